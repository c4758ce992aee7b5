"""The gift cards' book, registered with the ledger engine when this module is imported: a sold card's balance
(``gift-card`` on the holder ``gift-card:<number>``), never below zero, reconciled nightly with every other book."""

from __future__ import annotations

from typing import Any, ClassVar

from chalicelib.ledger.model import CounterBook
from chalicelib.ledger.registry import register_book

GIFT_CARD = "gift-card"


class GiftCardBook(CounterBook):
    """A card's balance: its face value once sold, nothing once bound."""

    entry_prefix: ClassVar[str] = "gc_"


BOOK: Any = GiftCardBook(GIFT_CARD)
register_book(BOOK)


def card_holder(number: str) -> str:
    return f"gift-card:{number}"
