"""Persistence shape of tiers: programme versions, the growth ledger and each member's tier history.

A member's growth value, monthly metrics and tier standing are the ``growth`` and ``tier`` books of their
ledger account (``chalicelib.ledger``), beside their points, so that a purchase books points, growth and an
upgrade in one transaction conditional on one revision.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.shared.db import NumberAttribute, Record, table


@table
class TierProgrammeRecord(Record):
    """A version of the tier programme: a draft until applied; one version is current at a time."""

    logical_name = "tier-programmes"

    class Meta:
        table_name = "tier-programmes"

    scope = UnicodeAttribute(hash_key=True)  # "tiers"
    version = NumberAttribute(range_key=True)
    document = UnicodeAttribute()  # the ProgrammeIn JSON
    status = UnicodeAttribute()  # draft | current | superseded
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    applied_at = UnicodeAttribute(null=True)
    applied_by = UnicodeAttribute(null=True)


@table
class TierChangeRecord(Record):
    """One change of a member's tier (upgrade, downgrade, retained, override), never updated."""

    logical_name = "tier-history"

    class Meta:
        table_name = "tier-history"

    member_id = UnicodeAttribute(hash_key=True)
    change_key = UnicodeAttribute(range_key=True)  # "<occurred_at>#<change id>": oldest first
    change_id = UnicodeAttribute()
    tier = UnicodeAttribute()
    previous = UnicodeAttribute()
    reason = UnicodeAttribute()  # upgrade | downgrade | retained | override | programme | refund
    programme_version = NumberAttribute()
    gift_points = NumberAttribute(default=0)
    note = UnicodeAttribute(null=True)  # the staff reason of an override
    cause = UnicodeAttribute(null=True)  # an upgrade's purchase (``<partner>#<order id>``), which a refund may undo
    previous_since = UnicodeAttribute(null=True)  # the standing before an upgrade, restored if it is undone
    previous_until = UnicodeAttribute(null=True)
    actor = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
