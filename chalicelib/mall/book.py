"""The points mall's books, registered with the ledger engine when this module is imported: a reward's stock (with its
selling terms), a member's count under a reward's limit, and each order (``rules`` holds their pure rules). Registered,
they are reconciled nightly with every other book (drift metrics ``MallStockDrift``, ``MallLimitDrift``,
``MallOrderDrift``)."""

from __future__ import annotations

from chalicelib.ledger.registry import register_book
from chalicelib.mall.rules import BOOKS

for book in BOOKS.values():
    register_book(book)
