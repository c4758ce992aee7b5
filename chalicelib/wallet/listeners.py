"""The statement consumer: every wallet event counted once into its day, month and all time (``statements``); the
journal's, a store's movements one by one (``journal``); and the wallet's reactions to erasures and cancelled cards."""

from __future__ import annotations

from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer
from chalicelib.shared.logs import logger
from chalicelib.wallet import journal
from chalicelib.wallet.statements import WALLET_EVENTS, count_movement


@consumer("wallet-statement", queue="wallet", types=WALLET_EVENTS)
def keep_statement(tx: Transaction, event: Event) -> None:
    count_movement(tx, event)


@consumer("wallet-journal", queue="wallet", types=tuple(journal.KINDS), marked=False)  # its line is keyed by the event
def keep_journal(tx: Transaction, event: Event) -> None:
    journal.keep(tx, event)


@consumer("wallet-forfeit", queue="wallet", types=["member.erased"])
def forfeit_bonus_of_the_erased(tx: Transaction, event: Event) -> None:
    """An erased member's bonus is forfeited, once (the forfeiture's own claim)."""
    from chalicelib.wallet.service import wallets

    wallets().forfeit(str(event.payload["member_id"]))


@consumer("wallet-card-refund", queue="wallet", types=["membership.card-cancelled"])
def refund_cancelled_card(tx: Transaction, event: Event) -> None:
    """A cancelled membership card's refund of the parts its member paid from the wallet goes back to the wallet,
    once per cancellation and payment (the refund's own claim); a partner refunds its own payments' parts. A member
    erased before the refund landed has no wallet to take it: it is logged for finance to pay out, not retried
    forever (which would only park the message on the dead-letter queue)."""
    from chalicelib.wallet.service import HolderUnavailable, refund_card_payment

    for part in event.payload.get("parts", []):
        if part.get("method") == "wallet" and int(part["amount_fen"]) > 0:
            try:
                refund_card_payment(str(event.payload["wallet_partner"]), str(event.payload["cancel_id"]),
                                    str(part["payment_id"]), int(part["amount_fen"]),
                                    member_id=event.payload.get("member_id"),
                                    plan_name=event.payload.get("plan_name"))  # fmt: skip
            except HolderUnavailable:
                logger.error("a card's wallet refund found its member erased: pay it out by hand", extra={
                    "member_id": event.payload.get("member_id"), "cancel_id": event.payload["cancel_id"],
                    "payment_id": part["payment_id"], "amount_fen": int(part["amount_fen"]),
                })  # fmt: skip
