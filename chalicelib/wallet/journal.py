"""A store's journal of stored value (储值流水): every top-up, payment, refund back to the wallet and cash refund
booked at its tills, with how a top-up's money was taken and who booked each, so a store closes its day against
its cash drawer and payment terminals (the statement gives the totals, not the movements).

Kept from the wallet's events by the ``wallet-journal`` consumer, once per event (its marker commits with the
item), by the business day each was booked; what no store did (the member pages' cards, mall orders, erasures) has
no journal. A page reads the days from the last back to the first.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.shared import clock
from chalicelib.shared.db import FilledPage, Transaction
from chalicelib.shared.events import Event
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.settings import get_settings
from chalicelib.wallet.records import WalletJournalRecord
from chalicelib.wallet.rules import SCOPES_OF_NO_STORE

KINDS = {
    "wallet.topped-up": ("top-up", 1),
    "wallet.paid": ("payment", -1),
    "wallet.refunded": ("refund", 1),
    "wallet.cash-refunded": ("cash-refund", -1),
}  # fmt: skip  event type: (kind, sign of the money moved)
KEPT = timedelta(days=400)
READS_PER_PAGE = 10


def keep(tx: Transaction, event: Event) -> None:
    """The journal's line of a wallet event booked at a store (none for what no store did)."""
    payload = event.payload
    store_id = str(payload.get("store_id") or "")
    if event.type not in KINDS or not store_id or store_id in SCOPES_OF_NO_STORE:
        return
    kind, sign = KINDS[event.type]
    day = clock.business_date(datetime.fromisoformat(event.occurred_at), get_settings().tz)
    reference = payload.get("payment_id") if kind in ("top-up", "payment") else (
        payload.get("refund_id") or payload.get("cash_refund_id"))  # fmt: skip
    tx.put(WalletJournalRecord(
        f"{store_id}#{day.isoformat()}", f"{event.occurred_at}#{event.event_id}", kind=kind,
        member_id=str(payload["member_id"]), principal_fen=sign * int(payload["principal_fen"]),
        bonus_fen=sign * int(payload["bonus_fen"]), payment_method=payload.get("payment_method"),
        order_id=payload.get("order_id"), reference=str(reference or ""), actor=event.actor,
        reason=payload.get("reason"), expires_at=datetime.fromisoformat(event.occurred_at) + KEPT,
    ))  # fmt: skip


def lines(
    store_id: str, first: date, last: date, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The store's lines from ``last`` back to ``first``, newest first, a page of ``limit``."""
    scope = f"wallet-journal|{store_id}|{first}|{last}"
    start = decode_cursor(scope, cursor) or {}
    day = date.fromisoformat(start["day"]) if "day" in start else last
    key = start.get("key")
    page = FilledPage(WalletJournalRecord, limit, READS_PER_PAGE)
    while True:
        results = WalletJournalRecord.query(f"{store_id}#{day.isoformat()}", scan_index_forward=False,
                                            last_evaluated_key=key)  # fmt: skip
        key = page.read(results)
        if key:
            return _rows(page.records), encode_cursor(scope, {"day": day.isoformat(), "key": key})
        if day <= first:
            return _rows(page.records), None
        day -= timedelta(days=1)
        if page.full:
            return _rows(page.records), encode_cursor(scope, {"day": day.isoformat()})


def _rows(records: list[WalletJournalRecord]) -> list[dict[str, Any]]:
    return [
        {"occurred_at": r.entry.rpartition("#")[0], "kind": r.kind, "member_id": r.member_id,
         "principal_fen": int(r.principal_fen), "bonus_fen": int(r.bonus_fen), "payment_method": r.payment_method,
         "order_id": r.order_id, "reference": r.reference, "recorded_by": r.actor, "reason": r.reason}
        for r in records
    ]  # fmt: skip
