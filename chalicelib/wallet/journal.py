"""A store's journal of stored value (储值流水): every top-up, payment, refund back to the wallet and cash refund
booked at its tills, with how a top-up's money was taken and who booked each, so a store closes its day against
its cash drawer and payment terminals (the statement gives the totals, not the movements).

Kept from the wallet's events by the ``wallet-journal`` consumer (a redelivery rewrites the same line), in the order
booked; what no store did (the member pages' cards, mall orders, erasures) has no journal. A page is one query.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event
from chalicelib.shared.journals import page_of_days
from chalicelib.wallet.records import WalletJournalRecord
from chalicelib.wallet.rules import SCOPES_OF_NO_STORE

KINDS = {
    "wallet.topped-up": ("top-up", 1),
    "wallet.paid": ("payment", -1),
    "wallet.refunded": ("refund", 1),
    "wallet.cash-refunded": ("cash-refund", -1),
}  # fmt: skip  event type: (kind, sign of the money moved)
KEPT = timedelta(days=400)


def keep(tx: Transaction, event: Event) -> None:
    """The journal's line of a wallet event booked at a store (none for what no store did)."""
    payload = event.payload
    store_id = str(payload.get("store_id") or "")
    if event.type not in KINDS or not store_id or store_id in SCOPES_OF_NO_STORE:
        return
    kind, sign = KINDS[event.type]
    reference = payload.get("payment_id") if kind in ("top-up", "payment") else (
        payload.get("refund_id") or payload.get("cash_refund_id"))  # fmt: skip
    tx.put(WalletJournalRecord(
        store_id, f"{event.occurred_at}#{event.event_id}", kind=kind,
        member_id=str(payload["member_id"]), principal_fen=sign * int(payload["principal_fen"]),
        bonus_fen=sign * int(payload["bonus_fen"]), payment_method=payload.get("payment_method"),
        order_id=payload.get("order_id"), reference=str(reference or ""), actor=event.actor,
        reason=payload.get("reason"), reason_en=payload.get("reason_en"),
        expires_at=datetime.fromisoformat(event.occurred_at) + KEPT,
    ))  # fmt: skip


def lines(
    store_id: str, first: date, last: date, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The store's lines of business days ``first`` through ``last``, newest first, a page of ``limit``."""
    records, next_cursor = page_of_days(WalletJournalRecord, "wallet-journal", store_id, first, last, limit, cursor)
    return _rows(records), next_cursor


def _rows(records: list[WalletJournalRecord]) -> list[dict[str, Any]]:
    return [
        {"occurred_at": r.entry.rpartition("#")[0], "kind": r.kind, "member_id": r.member_id,
         "principal_fen": int(r.principal_fen), "bonus_fen": int(r.bonus_fen), "payment_method": r.payment_method,
         "order_id": r.order_id, "reference": r.reference, "recorded_by": r.actor, "reason": r.reason,
         "reason_en": r.reason_en}
        for r in records
    ]  # fmt: skip
