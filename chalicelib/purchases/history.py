"""Consumption history (消费记录): a member's purchases and a store's, newest first, as kept when reported,
with what refunds took back so far. Read from the purchase indexes, one request per page."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib.purchases.records import PurchaseRecord, RefundRecord
from chalicelib.shared import clock
from chalicelib.shared.db import one_page
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.settings import get_settings

IN_LIMIT = 100  # values one DynamoDB IN comparison takes


def of_member(member_id: str, stores: frozenset[str], limit: int, cursor: str | None, *, for_member: bool = False
              ) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """The member's purchases; with ``stores`` (staff scoped to stores) only those made there. The member
    themself is not shown which partner system reported a purchase, nor which cashier recorded it."""
    scope = f"purchases|member|{member_id}|{','.join(sorted(stores))}"
    results = PurchaseRecord.by_member.query(
        member_id, filter_condition=_made_in(sorted(stores)), scan_index_forward=False, page_size=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )  # fmt: skip
    records, last = one_page(PurchaseRecord, results)
    items = [purchase_json(record) for record in records]
    if for_member:
        items = [{**item, "partner_id": None, "recorded_by": None} for item in items]
    return items, encode_cursor(scope, last)


def _made_in(stores: list[str]) -> Condition | None:
    """Purchases made in one of ``stores`` (none: anywhere), in IN comparisons of at most ``IN_LIMIT`` each."""
    condition = None
    for start in range(0, len(stores), IN_LIMIT):
        chunk = PurchaseRecord.store_id.is_in(*stores[start : start + IN_LIMIT])
        condition = chunk if condition is None else condition | chunk
    return condition


def of_store(store_id: str, first_day: date, last_day: date, limit: int, cursor: str | None
             ) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """The store's purchases made on business days ``first_day`` through ``last_day``, each with what refunds gave
    back of it by the end of ``last_day`` (``refunded_in_range_fen``): a day closed keeps its refunds (a tea chain's
    walkthrough saw a closed day's 已退款 grow a month later); a later one is the till refunds' of its day, or, a
    partner's, the sales report's."""
    scope = f"purchases|store|{store_id}|{first_day}|{last_day}"
    records, after = _on_days(
        PurchaseRecord, PurchaseRecord.by_store, store_id, first_day, last_day, scope, limit, cursor
    )
    _, ends = clock.business_days_span(first_day, last_day, get_settings().tz)
    later = _refunded_after([r for r in records if int(r.refunded_fen)], ends)
    return [{**purchase_json(record),
             "refunded_in_range_fen": int(record.refunded_fen) - later.get(str(record.order_key), 0)}
            for record in records], after  # fmt: skip


def _refunded_after(records: list[PurchaseRecord], ends: str) -> dict[str, int]:
    """What refunds made after ``ends`` (an instant) gave back of each of ``records``, by order key: a query of each
    refunded purchase's member's refunds since (none while the range runs to now) and one batch read of them."""
    if not records or ends >= clock.iso(clock.now()):
        return {}
    keys: set[str] = set()
    for member_id in {str(r.member_id) for r in records}:
        keys |= {
            str(found.refund_key) for found in RefundRecord.by_member.query(member_id, RefundRecord.occurred_at > ends)
        }
    wanted, later = {str(r.order_key) for r in records}, dict[str, int]()
    for refund in RefundRecord.batch_get(list(keys)) if keys else []:
        if refund.order_key in wanted and refund.occurred_at > ends:
            later[str(refund.order_key)] = later.get(str(refund.order_key), 0) + int(refund.amount_fen)
    return later


def _on_days(
    cls: Any, index: Any, store_id: str, first_day: date, last_day: date, scope: str, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """One page, newest first, of the items ``index`` lists for the store with ``occurred_at`` on business days
    ``first_day`` through ``last_day``: one request."""
    starts, ends = clock.business_days_span(first_day, last_day, get_settings().tz)
    results = index.query(
        store_id, cls.occurred_at.between(starts, ends), scan_index_forward=False, page_size=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )  # fmt: skip
    records, last = one_page(cls, results)
    return records, encode_cursor(scope, last)


_LINE_FIELDS = ("line_id", "sku", "category", "brand", "quantity", "amount_fen", "paid_fen", "name")


def lines_of(record: PurchaseRecord) -> list[dict[str, Any]]:
    """An order's lines as its record keeps them (a line kept before product names has none)."""
    return [
        dict(zip(_LINE_FIELDS, [*line, None][: len(_LINE_FIELDS)], strict=True)) for line in json.loads(record.lines)
    ]


def purchase_json(record: PurchaseRecord) -> dict[str, Any]:
    lines = lines_of(record)
    return {
        "order_id": record.order_id, "partner_id": record.partner_id, "member_id": record.member_id,
        "store_id": record.store_id, "occurred_at": record.occurred_at, "currency": record.currency,
        "total_fen": int(record.total_fen), "paid_fen": int(record.paid_fen), "payment_method": record.payment_method,
        "other_method": record.other_method,
        "items": lines, "points_awarded": int(record.points_awarded), "growth_awarded": int(record.growth_awarded),
        "refunded_fen": int(record.refunded_fen), "points_clawed_back": int(record.points_clawed_back),
        "growth_clawed_back": int(record.growth_clawed_back or 0), "recorded_by": record.recorded_by,
    }  # fmt: skip


def refunds_at(store_id: str, first_day: date, last_day: date, limit: int, cursor: str | None
               ) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """The refunds given back at a store's till (at the counter) on business days ``first_day`` through
    ``last_day``, newest first, whichever store made the sale, and who gave each: one query a page."""
    scope = f"refunds|till|{store_id}|{first_day}|{last_day}"
    records, after = _on_days(RefundRecord, RefundRecord.by_till, store_id, first_day, last_day, scope, limit, cursor)
    return [_refund_json(record) for record in records], after


def _refund_json(record: RefundRecord) -> dict[str, Any]:
    return {
        "refund_id": record.refund_key.partition("#")[2], "order_id": record.order_key.partition("#")[2],
        "member_id": record.member_id, "sale_store_id": record.store_id, "amount_fen": int(record.amount_fen),
        "points_clawed_back": int(record.points_clawed_back), "payment_method": record.payment_method,
        "occurred_at": record.occurred_at, "recorded_by": record.recorded_by,
    }  # fmt: skip
