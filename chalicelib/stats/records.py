"""Persistence shape of daily counters."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.shared.db import Record, table


@table
class DailyCountRecord(Record):
    """One counter: a business day and what was counted (``<event type>`` or ``<event type>@<store id>``)."""

    logical_name = "daily-stats"

    class Meta:
        table_name = "daily-stats"

    day = UnicodeAttribute(hash_key=True)
    metric = UnicodeAttribute(range_key=True)
    total = NumberAttribute(default=0)


@table
class FigureRecord(Record):
    """The dashboard's figures of one scope (``scope``: ``chain`` or ``store#<id>``): a day's sums (``key``
    ``day#YYYY-MM-DD``, so a period is one query), the chain's standing totals (``now``) and the members at each tier
    (``tier#<code>``, in ``members``). Every attribute is a counter the statistics consumer adds to."""

    logical_name = "stats-figures"

    class Meta:
        table_name = "stats-figures"

    scope = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    new_members = NumberAttribute(null=True)
    purchases = NumberAttribute(null=True)
    sales_fen = NumberAttribute(null=True)
    refunds = NumberAttribute(null=True)
    refunded_fen = NumberAttribute(null=True)
    points_issued = NumberAttribute(null=True)
    points_redeemed = NumberAttribute(null=True)
    points_expired = NumberAttribute(null=True)
    points_deducted = NumberAttribute(null=True)
    wallet_top_ups_fen = NumberAttribute(null=True)
    wallet_payments_fen = NumberAttribute(null=True)
    points_outstanding = NumberAttribute(null=True)
    wallet_principal_fen = NumberAttribute(null=True)
    wallet_bonus_fen = NumberAttribute(null=True)
    members = NumberAttribute(null=True)
