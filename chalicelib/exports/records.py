"""Persistence shape of the BI export: the events landed for the day's files."""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute

from chalicelib.shared.db import Record, table


@table
class LandedEventRecord(Record):
    """An event waiting in its business day for the day's files (``partition``: ``<YYYY-MM-DD>#<shard>``, see
    ``rules.landing_partition``): its envelope as it arrived, turned into rows when the files are written, so a
    file's columns follow the rules of the day it is written. Kept long enough to write a day's files again."""

    logical_name = "bi-landing"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "bi-landing"

    partition = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)
    envelope = UnicodeAttribute()
    expires_at = TTLAttribute()
