"""Persistence shape of stores."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, VersionAttribute

from chalicelib.shared.db import Record, table


@table
class StoreRecord(Record):
    logical_name = "stores"

    class Meta:
        table_name = "stores"

    store_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    city = UnicodeAttribute()
    region = UnicodeAttribute()
    status = UnicodeAttribute()
    address = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()
