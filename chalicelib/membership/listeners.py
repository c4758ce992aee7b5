"""Paid membership's reactions to events: the store's journal of card sales and refunds (``journal``)."""

from __future__ import annotations

from chalicelib.membership import journal
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer


@consumer("membership-journal", queue="statistics", types=journal.TYPES, marked=False)  # its lines keyed by the event
def keep_journal(tx: Transaction, event: Event) -> None:
    journal.keep(tx, event)
