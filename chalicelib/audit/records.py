"""Persistence shape of audit entries: one partition per business day, newest last."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.shared.db import NumberAttribute, Record, table


@table
class AuditRecord(Record):
    logical_name = "audit"

    class Meta:
        table_name = "audit"

    day = UnicodeAttribute(hash_key=True)  # business date of the entry
    entry = UnicodeAttribute(range_key=True)  # "<occurred_at>#<event or entry id>": sortable, unique
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    summary = UnicodeAttribute()  # JSON: what changed, never personal data
    request_id = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    status = NumberAttribute(null=True)
