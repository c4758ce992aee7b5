"""A store's journal of paid cards (会员卡流水): each card sold or renewed at its tills (at the counter, from stored
value at the counter, or reported by its till system with the store) and each refund of such a payment a cancellation
gave, with how the counter took it (and so gives it back), the till's order and who booked it, so a store closes its
day against its cash drawer and payment terminals.

Kept from the card events by the ``membership-journal`` consumer (a redelivery rewrites the same lines), in the order
booked; what no store took (the member pages' stored-value purchases, trials) has no line. A page is one query.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.members import service as members
from chalicelib.members.model import mask_name
from chalicelib.membership.records import MembershipJournalRecord
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event
from chalicelib.shared.journals import page_of_days

TYPES = ("membership.card-paid", "membership.card-cancelled")
TAKEN_AT_A_STORE = ("counter", "partner", "wallet")  # how a payment a store's journal lists was taken (with a store)
KEPT = timedelta(days=400)


def keep(tx: Transaction, event: Event) -> None:
    """The journal's lines of a card event: a sale at a store, or each refunded part of a payment a store took."""
    payload = event.payload
    base: dict[str, Any] = {"member_id": str(payload["member_id"]), "card_id": str(payload["card_id"]),
            "plan_name": str(payload.get("plan_name") or payload["plan_id"]), "actor": event.actor,
            **({"student_id": str(payload["student_id"])} if payload.get("student_id") else {}),
            "expires_at": datetime.fromisoformat(event.occurred_at) + KEPT}  # fmt: skip
    lines: list[tuple[str, dict[str, Any]]] = []
    if event.type == "membership.card-paid" and payload.get("store_id") and payload.get("method") in TAKEN_AT_A_STORE:
        lines.append((str(payload["store_id"]), {
            "kind": "sale", "amount_fen": int(payload["amount_fen"]), "method": payload["method"],
            "payment_method": payload.get("payment_method"), "order_id": payload.get("order_id"),
            "reference": str(payload["payment_id"]),
            **({"coupon_fen": int(payload["coupon_discount_fen"])} if payload.get("coupon_discount_fen") else {}),
        }))  # fmt: skip
    elif event.type == "membership.card-cancelled":
        for part in payload.get("parts") or []:
            if part.get("store_id") and part.get("method") in TAKEN_AT_A_STORE and int(part["amount_fen"]) > 0:
                lines.append((str(part["store_id"]), {
                    "kind": "refund", "amount_fen": -int(part["amount_fen"]), "method": part["method"],
                    "payment_method": part.get("payment_method"), "order_id": part.get("order_id"),
                    "reference": f"{payload['cancel_id']}:{part['payment_id']}",
                }))  # fmt: skip
    for n, (store_id, line) in enumerate(lines):
        tx.put(MembershipJournalRecord(store_id, f"{event.occurred_at}#{event.event_id}#{n}", **base, **line))


def lines(
    store_id: str, first: date, last: date, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The store's lines of business days ``first`` through ``last``, newest first, a page of ``limit``."""
    records, next_cursor = page_of_days(
        MembershipJournalRecord, "membership-journal", store_id, first, last, limit, cursor
    )
    return [_row(record) for record in records], next_cursor


def _row(r: MembershipJournalRecord) -> dict[str, Any]:
    return {"occurred_at": r.entry.split("#")[0], "kind": r.kind, "member_id": r.member_id, "card_id": r.card_id,
            "plan_name": r.plan_name, "amount_fen": int(r.amount_fen), "method": r.method,
            "payment_method": r.payment_method, "order_id": r.order_id, "reference": r.reference,
            "recorded_by": r.actor, "coupon_fen": int(r.coupon_fen or 0), "student_id": r.student_id}  # fmt: skip


def with_students(rows: list[dict[str, Any]], whole: bool = True) -> list[dict[str, Any]]:
    """Each line of a child's card with the child's name (学员), read from their parent's sealed record, once per
    member a page names (a walkthrough: a campus with siblings on one plan could not tell whose pack was refunded);
    masked (小*) unless ``whole``: to those who read personal data."""
    names: dict[str, dict[str, str]] = {}
    for row in rows:
        if row.get("student_id") and row["member_id"] not in names:
            names[row["member_id"]] = members.student_names(row["member_id"])

    def named(row: dict[str, Any]) -> str | None:
        name = names.get(row["member_id"], {}).get(row.get("student_id") or "")
        return name if name is None or whole else mask_name(name)

    return [{**row, "student_name": named(row)} for row in rows]
