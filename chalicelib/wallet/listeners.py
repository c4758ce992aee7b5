"""The statement consumer: every wallet event counted once into its day, month and all time (``statements``)."""

from __future__ import annotations

from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer
from chalicelib.wallet.statements import WALLET_EVENTS, count_movement


@consumer("wallet-statement", queue="wallet", types=WALLET_EVENTS)
def keep_statement(tx: Transaction, event: Event) -> None:
    count_movement(tx, event)
