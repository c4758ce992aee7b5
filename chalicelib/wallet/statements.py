"""The daily stored-value statement (储值日报), kept from the wallet's events.

Each wallet event (``wallet.topped-up``, ``wallet.paid``, ``wallet.refunded``, ``wallet.cash-refunded``,
``wallet.forfeited``) is
counted once by the ``wallet-statement`` consumer (its marker commits with the counts, ``shared.events``), by
the business day it was booked, into two scopes: its store (``store#<id>``) and one of the chain's shards
(``chain#<n>``, chosen by the event id, so no item takes every wallet write). In each scope it adds to three
items: the day (``d#YYYY-MM-DD``), its month (``m#YYYY-MM``) and all time (``total``).

A statement of day D for one scope is then two queries of its partition: the days of D's month from D on, and
the months after D's month with ``total`` (which sorts after every month). The closing balance is all time's
net less everything booked after D, the opening the closing less D's net: exact whatever order events arrived
in, with no table scan, and a read of at most the rest of D's month plus one item per later month (per shard
for the chain). The chain's closing balances equal the sum of every wallet once the events are consumed.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

from chalicelib.shared import clock
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event
from chalicelib.shared.settings import get_settings
from chalicelib.stores.service import store_exists
from chalicelib.wallet.records import WalletFigureRecord
from chalicelib.wallet.rules import (
    MOVEMENT_OF_EVENT,
    MOVEMENTS,
    SCOPES_OF_NO_STORE,
    STATEMENT_SHARDS,
    Movements,
    Parts,
    book_statement,
    movements_of,
    statement_shard,
)

WALLET_EVENTS = tuple(MOVEMENT_OF_EVENT)
TOTAL = "total"


def _store_scope(store_id: str) -> str:
    return f"store#{store_id}"


def _chain_scopes() -> list[str]:
    return [f"chain#{shard}" for shard in range(STATEMENT_SHARDS)]


def count_movement(tx: Transaction, event: Event) -> None:
    """Add a wallet event's movements to its day, month and all time, in its store and a chain shard."""
    payload = event.payload
    principal, bonus = movements_of(event.type, Parts(int(payload["principal_fen"]), int(payload["bonus_fen"])))
    day = clock.business_date(datetime.fromisoformat(event.occurred_at), get_settings().tz)
    actions = [
        getattr(WalletFigureRecord, f"{book}_{name}").add(getattr(moved, name))
        for book, moved in (("principal", principal), ("bonus", bonus))
        for name in MOVEMENTS
        if getattr(moved, name)
    ]
    if not actions:
        return
    scopes = (_store_scope(str(payload["store_id"])), f"chain#{statement_shard(event.event_id)}")
    for scope in scopes:
        for period in (f"d#{day.isoformat()}", f"m#{day.isoformat()[:7]}", TOTAL):
            tx.update(WalletFigureRecord(scope, period), actions=list(actions))


def _movements(record: WalletFigureRecord, book: str) -> Movements:
    return Movements(*(int(getattr(record, f"{book}_{name}")) for name in MOVEMENTS))


def known_scope(store_id: str) -> bool:
    """Whether a store has a statement to tell: a store of the chain (stores are never deleted; a new one answers
    zeros), or a scope of what no store did (``SCOPES_OF_NO_STORE``): ``membership`` (paid cards bought with the
    wallet on the member pages), ``mall`` (points-mall orders no store collects) and ``erasure`` (bonus forfeited
    when its member was erased). Store ids never take these names."""
    return store_id in SCOPES_OF_NO_STORE or store_exists(store_id)


def statement(day: date, store_id: str | None, to: date | None = None) -> dict[str, Any]:
    """The statement of ``day`` (or of the days ``day`` through ``to``: a month's close) for one store or the whole
    chain: per book, opening + top-ups − payments + refunds − cash refunds − forfeited = closing, the opening that of
    the first day and the closing that of the last. A period under way is provisional. Reads the days from ``day`` to
    the end of the last day's month and one item per later month (per shard for the chain)."""
    last = to or day
    month = last.isoformat()[:7]
    month_end = last.replace(day=calendar.monthrange(last.year, last.month)[1])
    figures = {
        book: {"day": Movements(), "after": Movements(), "total": Movements()} for book in ("principal", "bonus")
    }
    for scope in [_store_scope(store_id)] if store_id else _chain_scopes():
        days = WalletFigureRecord.query(
            scope,
            WalletFigureRecord.period.between(f"d#{day.isoformat()}", f"d#{month_end.isoformat()}"),
            consistent_read=True,
        )
        later = WalletFigureRecord.query(scope, WalletFigureRecord.period > f"m#{month}", consistent_read=True)
        for records, in_period in ((days, f"d#{last.isoformat()}"), (later, None)):
            for record in records:
                part = ("total" if record.period == TOTAL else
                        "day" if in_period and record.period <= in_period else "after")  # fmt: skip
                for book, sums in figures.items():
                    sums[part] = sums[part] + _movements(record, book)
    provisional = last >= clock.business_today()
    answer: dict[str, Any] = {"day": day, "to": last, "store_id": store_id, "provisional": provisional}
    for book, sums in figures.items():
        booked = book_statement(sums["day"], sums["after"], sums["total"])
        answer[book] = {
            "opening_fen": booked.opening,
            "top_ups_fen": booked.movements.top_ups,
            "payments_fen": booked.movements.payments,
            "refunds_fen": booked.movements.refunds,
            "cash_refunds_fen": booked.movements.cash_refunds,
            "forfeited_fen": booked.movements.forfeited,
            "closing_fen": booked.closing,
        }
    return answer
