"""What refunds took from an order so far, as a book on the ledger engine (holder ``order:<partner>#<order>``).

The state is the fen and units refunded per line and the points and growth taken back; the balance is the
fen refunded. A refund posts its fen here and its claw-back on the member's books in one post, planned on
this state as read, so two refunds of one order cannot both spend the same money: the loser of a race
re-plans on what the winner left, and more than is left to refund is refused (422).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.ledger.model import Entry, Posting
from chalicelib.ledger.registry import register_book

ORDER = "order-refunds"


def order_holder(order_key: str) -> str:
    return f"order:{order_key}"


class OrderRefundsBook:
    name = ORDER
    entry_prefix = "oe_"

    def load(self, raw: Any) -> dict[str, Any]:
        return {"lines": {}, "points": 0, "growth": 0, **(raw or {})}

    def dump(self, state: dict[str, Any]) -> dict[str, Any]:
        return state

    def apply(self, state: dict[str, Any], posting: Posting, today: date) -> tuple[dict[str, Any], Any]:
        after = dict(posting.detail)
        assert self.balance(after) - self.balance(state) == posting.amount, "a refund posts the fen it refunds"
        return after, None

    def undo(self, state: dict[str, Any], entry: Entry, today: date) -> tuple[dict[str, Any], Any]:
        raise ValueError("a refund is never undone; a new purchase is a new order")

    def balance(self, state: dict[str, Any]) -> int:
        return sum(int(fen) for fen, _ in state["lines"].values())

    def due(self, state: dict[str, Any], today: date) -> dict[str, date | None]:
        return {}


register_book(OrderRefundsBook())
