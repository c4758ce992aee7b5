"""The coupon books, registered with the ledger engine when this module is imported: each coupon's state, a
template's stock shards, a member's count of a template and an order's coupons (``rules`` holds their pure rules).
Registered, they are reconciled nightly with every other book."""

from __future__ import annotations

from chalicelib.coupons.rules import BOOKS
from chalicelib.ledger.registry import register_book

for book in BOOKS.values():
    register_book(book)
