"""Uniqueness claims: one item per value that must belong to one owner, written in the owner's transaction.

Never decided from an index: a claim is a key, so a conditional put either takes it or fails.
"""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute

from chalicelib.shared.db import Record, table


@table
class UniqueRecord(Record):
    """Claims a value for one owner (``phone:<hash>``, ``member_no:<no>``, ``import:<hash>``), written in the
    owner's transaction."""

    logical_name = "unique"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "unique"

    key = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()
    created_at = UnicodeAttribute()
    fingerprint = UnicodeAttribute(null=True)  # import markers: a keyed hash of the imported row
    expires_at = TTLAttribute(null=True)  # a marker kept for a while (``welcomed:``); none: kept while its owner is
    imported_by = UnicodeAttribute(null=True)  # import markers: the import job that wrote it (none: the CLI's loop)
