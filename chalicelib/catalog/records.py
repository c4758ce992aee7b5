"""Persistence shape of the catalogue's names."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.shared.db import NumberAttribute, Record, table

NAMES = "names"


@table
class CatalogRecord(Record):
    """The chain's names for the tills' codes (one item, ``kind`` ``names``): categories and brands, each code with its
    Chinese and English names (JSON), replaced whole by a save, with who saved it and when."""

    logical_name = "catalog"

    class Meta:
        table_name = "catalog"

    kind = UnicodeAttribute(hash_key=True)
    categories = UnicodeAttribute()  # JSON: {code: {"zh": name, "en": name}}
    brands = UnicodeAttribute()
    saved = NumberAttribute(default=0)  # how many saves: a save names the one it read
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
