"""Reading points-mall orders: an order as its member or staff see it, and the lists.

An order is read from its ledger account (one ``GetItem``, strongly consistent): what every decision is made on. The
lists read the copies (``MallOrderRecord``) written in the same transaction as each change, under their indexes: a
member's orders, a status, a store, every order month by month.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.identity.access import Caller
from chalicelib.identity.rules import Permission
from chalicelib.ledger.registry import ledger
from chalicelib.mall.records import MallOrderRecord
from chalicelib.mall.rules import ORDER, Order, Status, order_holder, pickup_code
from chalicelib.members import service as members
from chalicelib.shared import clock
from chalicelib.shared.crypto import KeyUnavailable, lookup_hash
from chalicelib.shared.db import FilledPage, one_page
from chalicelib.shared.errors import NotFound, ValidationFailed
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.settings import get_settings

READS_PER_PAGE = 25


LISTED = (
    "order_id",
    "member_id",
    "reward_id",
    "reward_name",
    "kind",
    "fulfilment",
    "quantity",
    "points",
    "cash_fen",
    "status",
    "placed_at",
    "pay_by",
    "pickup_store_id",
    "shipment",
    "coupon_code",
)


def listed(order: Order) -> dict[str, Any]:
    """The order as lists show it: no history, no payment, the address masked, nothing of its pickup code."""
    document = {name: value for name, value in order.to_json().items() if name in LISTED}
    document["address"] = {**order.address["masked"], "masked": True} if order.address else None
    return document


def code_of(order_id: str) -> str:
    """An order's pickup code (核销码): worked out from its id under the platform's lookup key, never stored."""
    return pickup_code(lookup_hash("mall-pickup-code", order_id).removeprefix("h1:"))


def find_order(order_id: str) -> Order | None:
    """The order as it stands: one read of its account."""
    found: Order | None = ledger().holdings(order_holder(order_id)).state(order_holder(order_id), ORDER)
    return found


def reach(caller: Caller, order: Order) -> None:
    """Staff and partners scoped to stores reach the orders collected at their stores; others, every order (404
    otherwise, as for no order)."""
    if caller.kind in ("staff", "partner") and caller.stores and not caller.covers_store(order.pickup_store_id):
        raise NotFound(f"No order {order.order_id!r}")


# --- an order as people see it ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who reads an order: the member (their pickup code, their address), or staff (no pickup code; the address whole
    with ``pii:read``, masked otherwise). A change answers the address masked to everyone (the exchange excepted, which
    shows the member what they sent): reading it whole is a read of its own (``GET``), audited for staff."""

    member: bool
    pii: bool

    @classmethod
    def for_member(cls) -> Viewer:
        return cls(True, True)

    @classmethod
    def for_staff(cls, caller: Caller) -> Viewer:
        return cls(False, caller.may(Permission.PII_READ))

    @classmethod
    def answering_member(cls) -> Viewer:
        return cls(True, False)

    @classmethod
    def answering(cls, caller: Caller) -> Viewer:
        return cls(caller.is_member, False)


def refund_to(order: Order) -> str | None:
    """Where an owed cash part goes: back where it was paid from (``wallet``, ``partner``), or ``till``."""
    if not order.cash_refund_due_fen or not order.payment:
        return None
    return "till" if order.refund_at_till else str(order.payment["method"])


def _shown_by(actor: str, viewer: Viewer) -> str:
    """Who made a change, as ``viewer`` is shown it: members are not shown which staff member or partner it was."""
    kind = actor.partition(":")[0]
    if kind == "member":
        return "member"
    if viewer.member:
        return "staff" if kind == "cli" else kind
    return actor


def _address(order: Order, viewer: Viewer, opened: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    if order.address is None:
        return None
    if opened is not None:
        return {**opened, "masked": False}
    masked = {**order.address["masked"], "masked": True}
    if not viewer.pii:
        return masked
    sealer = members.sealer_of(order.member_id)
    try:
        opened = json.loads(sealer.open(f"mall-address/{order.order_id}", order.address["sealed"])) if sealer else None
    except KeyUnavailable:
        opened = None
    return {**opened, "masked": False} if opened else masked


def order_view(order: Order, viewer: Viewer, opened: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An order as ``viewer`` reads it: with its payment, pickup code (the member's alone, while it can be used),
    address (``opened``: the member's own, as they just sent it), owed cash and history."""
    view = {
        **listed(order),
        "address": _address(order, viewer, opened),
        "payment": order.payment,
        "pickup_code": code_of(order.order_id)
        if viewer.member and order.pickup_hash and order.status == Status.READY_FOR_PICKUP
        else None,
        "points_held": order.held,
        "cash_refund_due_fen": order.cash_refund_due_fen,
        "cash_refund_to": refund_to(order),
        "history": [{**step, "by": _shown_by(str(step["by"]), viewer)} for step in order.history],
    }
    if view["payment"] is not None:
        view["payment"] = {name: view["payment"][name] for name in ("method", "payment_id", "amount_fen", "paid_at")}
    return view


def my_order(member_id: str, order_id: str) -> dict[str, Any]:
    order = find_order(order_id)
    if order is None or order.member_id != member_id:
        raise NotFound(f"No order {order_id!r}")
    return order_view(order, Viewer.for_member())


def staff_order(caller: Caller, order_id: str) -> dict[str, Any]:
    """An order for staff, naming its member; reading a shipping address whole is recorded in the audit log."""
    order = find_order(order_id)
    if order is None:
        raise NotFound(f"No order {order_id!r}")
    reach(caller, order)
    viewer = Viewer.for_staff(caller)
    if viewer.pii and order.address is not None:
        from chalicelib.audit.service import record_read

        record_read("mall-order.address-read", f"mall-order/{order_id}")
    return members.with_briefs([order_view(order, viewer)])[0]


def _rows(records: Iterable[MallOrderRecord]) -> list[dict[str, Any]]:
    return [json.loads(record.document) for record in records]


def orders_of(member_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """A member's orders, newest first (addresses masked: open one for the whole)."""
    scope = f"mall-orders|member|{member_id}"
    query = MallOrderRecord.by_member.query(
        member_id, scan_index_forward=False, page_size=limit, last_evaluated_key=decode_cursor(scope, cursor)
    )
    records, last = one_page(MallOrderRecord, query)
    return _rows(records), encode_cursor(scope, last)


def list_orders(
    caller: Caller,
    status: str | None,
    store_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Orders newest first, of a status and collected at a store, either or both, each naming its member (one batch
    read). Staff scoped to stores name one of theirs (422 otherwise)."""
    if caller.stores and (store_id is None or not caller.covers_store(store_id)):
        problem = {"field": "store_id", "in": "query", "message": "name one of your stores"}
        raise ValidationFailed([problem], "Staff scoped to stores list the orders of one of them")
    scope = f"mall-orders|{status}|{store_id}"
    start = decode_cursor(scope, cursor) or {}
    page = FilledPage(MallOrderRecord, limit, READS_PER_PAGE)
    position: dict[str, Any] | None
    if store_id is not None:
        condition = MallOrderRecord.status == status if status else None
        key = page.read(
            MallOrderRecord.by_store.query(
                store_id, scan_index_forward=False, filter_condition=condition, last_evaluated_key=start.get("key")
            )
        )
        position = {"key": key} if key else None
    elif status is not None:
        key = page.read(
            MallOrderRecord.by_status.query(status, scan_index_forward=False, last_evaluated_key=start.get("key"))
        )
        position = {"key": key} if key else None
    else:
        position = _read_months(page, start.get("month", clock.iso(clock.now())[:7]), start.get("key"))
    return members.with_briefs(_rows(page.records)), encode_cursor(scope, position)


FIRST_MONTH = "2026-01"  # no order is older than the mall


def _read_months(page: FilledPage[MallOrderRecord], month: str, key: dict[str, Any] | None) -> dict[str, Any] | None:
    """Fill ``page`` from the month index, from ``month`` (at ``key``) back to the mall's first month."""
    while True:
        key = page.read(MallOrderRecord.by_month.query(month, scan_index_forward=False, last_evaluated_key=key))
        if key:
            return {"month": month, "key": key}
        if month <= FIRST_MONTH:
            return None
        year, number = int(month[:4]), int(month[5:])
        month = f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"
        if page.full:
            return {"month": month}


def releasable(partition: str, now: datetime) -> list[MallOrderRecord]:
    """The orders of a release partition whose time is up at ``now`` (the index's keys, member and reward)."""
    return list(MallOrderRecord.by_release.query(partition, MallOrderRecord.release_key <= f"{clock.iso(now)}#~"))


def uncollected(placed_before: datetime) -> list[MallOrderRecord]:
    """The orders waiting to be collected (提货) that were placed before ``placed_before``: the status index's queue,
    oldest first, up to that instant (one query a page)."""
    return list(MallOrderRecord.by_status.query(str(Status.READY_FOR_PICKUP),
                                                MallOrderRecord.placed_key < clock.iso(placed_before)))  # fmt: skip


OPEN = (Status.AWAITING_PAYMENT, Status.PENDING, Status.READY_FOR_PICKUP, Status.SHIPPED)


WAITED = ((7, "7_days"), (30, "30_days"), (None, "older"))  # how long open orders have waited, in days


def open_orders() -> dict[str, Any]:
    """The orders not fulfilled yet (awaiting payment, to ship or issue, ready for pickup, shipped): how many, and the
    points and cash members gave for them, in all and by how long they have waited since placed (``by_age``: 7 days
    or less, 8 to 30, older). Reads the status index's open partitions: what is owed, not every order."""

    def empty() -> dict[str, int]:
        return {"open": 0, "points": 0, "cash_fen": 0}

    figures: dict[str, Any] = empty()
    by_age = {label: empty() for _, label in WAITED}
    today, tz = clock.business_today(), get_settings().tz
    for status in OPEN:
        for record in MallOrderRecord.by_status.query(str(status)):
            document = json.loads(record.document)
            waited = (today - clock.business_date(datetime.fromisoformat(document["placed_at"]), tz)).days
            label = next(label for days, label in WAITED if days is None or waited <= days)
            for counted in (figures, by_age[label]):
                counted["open"] += 1
                counted["points"] += int(document.get("points") or 0)
                counted["cash_fen"] += int(document.get("cash_fen") or 0)
    figures["by_age"] = by_age
    return figures
