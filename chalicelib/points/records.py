"""Persistence shape of points beside the ledger: the redemptions, so each can be reversed exactly once.

A member's points are the ``points`` book of their ledger account (``chalicelib.ledger``)."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.shared.db import NumberAttribute, Record, table


@table
class RedemptionRecord(Record):
    """A redemption, so it can be reversed exactly once, back into the lots it drew from."""

    logical_name = "points-redemptions"

    class Meta:
        table_name = "points-redemptions"

    redemption_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()
    points = NumberAttribute()
    draws = UnicodeAttribute()
    reason = UnicodeAttribute()
    status = UnicodeAttribute()  # completed | reversed
    entry_seq = NumberAttribute()
    created_at = UnicodeAttribute()
    reversed_at = UnicodeAttribute(null=True)
    store_id = UnicodeAttribute(null=True)  # where they were spent: its reversal counts there too
    order_id = UnicodeAttribute(null=True)  # 积分抵现: the till order the points paid part of (one per order)
    cash_fen = NumberAttribute(null=True)  # what they paid of it
    order_total_fen = NumberAttribute(null=True)  # the order's total as the till said it
