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
