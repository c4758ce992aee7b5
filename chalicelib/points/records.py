"""Persistence shape of points: one account item per member, an append-only ledger, redemptions."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.shared.db import Record, table


class _ByExpiryDue(GlobalSecondaryIndex["PointsAccountRecord"]):  # type: ignore[no-untyped-call]
    """Accounts by their soonest expiry date (``YYYY-MM-DD#shard``), whole: the expiry job reads nothing else."""

    class Meta:
        index_name = "by-expiry-due"
        projection = AllProjection()

    expiry_due = UnicodeAttribute(hash_key=True)


class _ByMaturityDue(GlobalSecondaryIndex["PointsAccountRecord"]):  # type: ignore[no-untyped-call]
    """Accounts by the soonest date a pending lot becomes available (``YYYY-MM-DD#shard``)."""

    class Meta:
        index_name = "by-maturity-due"
        projection = AllProjection()

    maturity_due = UnicodeAttribute(hash_key=True)


class _ByTouched(GlobalSecondaryIndex["PointsAccountRecord"]):  # type: ignore[no-untyped-call]
    """Accounts by the business day of their last write (``YYYY-MM-DD#shard``): what reconciliation checks."""

    class Meta:
        index_name = "by-touched"
        projection = KeysOnlyProjection()

    touched = UnicodeAttribute(hash_key=True)


@table
class PointsAccountRecord(Record):
    """A member's points: lots (JSON) and counters, a projection of the ledger updated in the ledger entry's
    transaction. ``seq`` counts the entries: each write is conditional on the ``seq`` it read."""

    logical_name = "points-accounts"

    class Meta:
        table_name = "points-accounts"

    member_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(default=0)
    rev = NumberAttribute(null=True)  # moves on with every write of the item; writes are conditional on it
    lots = UnicodeAttribute(default="[]")  # [[expires_on|null, available_on|null, points], ...]
    balance = NumberAttribute(default=0)
    debt = NumberAttribute(default=0)
    earned = NumberAttribute(default=0)
    deducted = NumberAttribute(default=0)
    redeemed = NumberAttribute(default=0)
    expired = NumberAttribute(default=0)
    expiry_due = UnicodeAttribute(null=True)
    maturity_due = UnicodeAttribute(null=True)
    touched = UnicodeAttribute(null=True)
    tier = UnicodeAttribute(null=True)  # the member's tier, kept here for earn multipliers (tiers work)
    checked_seq = NumberAttribute(default=0)  # reconciliation's checkpoint: entries 1..checked_seq add up to
    checked_sum = NumberAttribute(default=0)  # checked_sum
    updated_at = UnicodeAttribute(null=True)

    by_expiry_due = _ByExpiryDue()
    by_maturity_due = _ByMaturityDue()
    by_touched = _ByTouched()


@table
class PointsEntryRecord(Record):
    """One ledger entry, never updated or deleted; ``seq`` orders a member's entries."""

    logical_name = "points-ledger"

    class Meta:
        table_name = "points-ledger"

    member_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    entry_id = UnicodeAttribute()
    type = UnicodeAttribute()  # earn | redeem | expire | adjust | refund | reverse | opening
    points = NumberAttribute()
    balance_after = NumberAttribute()
    source_kind = UnicodeAttribute()  # order | refund | rule | campaign | staff | import | redemption | job
    source_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute()
    lots = UnicodeAttribute(default="[]")  # the lots it added to or took from
    actor = UnicodeAttribute()
    occurred_at = UnicodeAttribute()


@table
class RedemptionRecord(Record):
    """A redemption, so it can be reversed exactly once, back into the lots it drew from."""

    logical_name = "points-redemptions"

    class Meta:
        table_name = "points-redemptions"

    redemption_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()
    points = NumberAttribute()
    draws = UnicodeAttribute()
    reason = UnicodeAttribute()
    status = UnicodeAttribute()  # completed | reversed
    entry_seq = NumberAttribute()
    created_at = UnicodeAttribute()
    reversed_at = UnicodeAttribute(null=True)
