"""Persistence of agreements: the published versions (one small partition, read whole) and members' acceptances
(one item per member and version, written once: the proof)."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chalicelib.shared.db import NumberAttribute, Record, table

DOCUMENTS_SCOPE = "documents"


def version_key(kind: str, version: int) -> str:
    """``terms#000003``: versions of a document sort in order."""
    return f"{kind}#{version:06d}"


@table
class AgreementRecord(Record):
    """A published version of the membership agreement or the privacy policy; never changed once written."""

    logical_name = "agreements"

    class Meta:
        table_name = "agreements"

    scope = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)  # version_key
    kind = UnicodeAttribute()
    version = NumberAttribute()
    title = UnicodeAttribute()
    paragraphs = UnicodeAttribute()  # JSON: a list of one-line paragraphs
    changes = UnicodeAttribute(null=True)  # JSON: what changed since the version before, a point per item
    requires_acceptance = BooleanAttribute()
    published_at = UnicodeAttribute()
    published_by = UnicodeAttribute()


@table
class AcceptanceRecord(Record):
    """A member's acceptance of one version (the proof, kept after erasure: it holds no personal data)."""

    logical_name = "agreement-acceptances"

    class Meta:
        table_name = "agreement-acceptances"

    member_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)  # version_key
    accepted_at = UnicodeAttribute()
    via = UnicodeAttribute()  # code-login, password-login or member-pages
