"""Persistence shape of pictures: one item per published picture, by its name."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.shared.db import NumberAttribute, Record, table


@table
class PictureRecord(Record):
    """A published picture (``name``: its file name, made from its bytes) and, once withdrawn, when and why: a
    withdrawn picture is never published again (the same bytes have the same name) nor named by a reward."""

    logical_name = "pictures"

    class Meta:
        table_name = "pictures"

    name = UnicodeAttribute(hash_key=True)
    content_type = UnicodeAttribute()
    size_bytes = NumberAttribute(null=True)  # none for a name withdrawn before it was ever published
    published_at = UnicodeAttribute(null=True)
    withdrawn_at = UnicodeAttribute(null=True)
    withdrawn_reason = UnicodeAttribute(null=True)
