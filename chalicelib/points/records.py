"""Persistence shape of points: one account item per member, an append-only ledger, redemptions."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection

from chalicelib.shared.db import Record, table


class _ByExpiryDue(GlobalSecondaryIndex["PointsAccountRecord"]):  # type: ignore[no-untyped-call]
    """Accounts by their soonest expiry date, whole: the expiry job reads nothing else."""

    class Meta:
        index_name = "by-expiry-month"
        projection = AllProjection()

    expiry_month = UnicodeAttribute(hash_key=True)
    expiry_due = UnicodeAttribute(range_key=True)


class _ByMaturityDue(GlobalSecondaryIndex["PointsAccountRecord"]):  # type: ignore[no-untyped-call]
    """Accounts by the soonest date a pending lot becomes available."""

    class Meta:
        index_name = "by-maturity-month"
        projection = AllProjection()

    maturity_month = UnicodeAttribute(hash_key=True)
    maturity_due = UnicodeAttribute(range_key=True)


class _ByTouched(GlobalSecondaryIndex["PointsAccountRecord"]):  # type: ignore[no-untyped-call]
    """Accounts by the business day of their last write: what reconciliation checks."""

    class Meta:
        index_name = "by-touched-month"
        projection = KeysOnlyProjection()

    touched_month = UnicodeAttribute(hash_key=True)
    touched = UnicodeAttribute(range_key=True)


TIER_FIELDS = ["rev", "seq", "growth", "growth_seq", "paid_total", "months", "tier", "tier_since", "tier_until",
               "tier_override", "tier_warned_for", "tier_programme"]  # fmt: skip


class _ByTierReview(GlobalSecondaryIndex["PointsAccountRecord"]):  # type: ignore[no-untyped-call]
    """Accounts by the day the tier job must look at them next (a warning or a review), with what that job
    reads: members at the lowest tier are not in it."""

    class Meta:
        index_name = "by-tier-review-month"
        projection = IncludeProjection(TIER_FIELDS)

    tier_review_month = UnicodeAttribute(hash_key=True)
    tier_review = UnicodeAttribute(range_key=True)


@table
class PointsAccountRecord(Record):
    """A member's account: points lots (JSON) and counters, a projection of the ledger updated in the ledger
    entry's transaction (``seq`` counts the entries); and the growth value, monthly metrics and tier standing
    that the tiers work keeps beside them, so one transaction books a purchase's points, growth and upgrade.
    Every write is conditional on the ``rev`` it read."""

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
    expiry_month = UnicodeAttribute(null=True)  # a date index's keys (``shared.dateindex``)
    expiry_due = UnicodeAttribute(null=True)
    maturity_month = UnicodeAttribute(null=True)
    maturity_due = UnicodeAttribute(null=True)
    touched_month = UnicodeAttribute(null=True)
    touched = UnicodeAttribute(null=True)
    growth = NumberAttribute(default=0)  # lifetime growth value (成长值)
    growth_seq = NumberAttribute(default=0)  # growth-ledger entries
    paid_total = NumberAttribute(default=0)  # lifetime paid fen, net of refunds
    months = UnicodeAttribute(default="{}")  # {"YYYY-MM": [growth, paid_fen]}, the last 24 months
    tier = UnicodeAttribute(null=True)  # null: the programme's lowest tier
    tier_since = UnicodeAttribute(null=True)
    tier_until = UnicodeAttribute(null=True)  # the last valid day; null at the lowest tier
    tier_override = UnicodeAttribute(null=True)  # {"kind", "tier", "until", "reason"}
    tier_warned_for = UnicodeAttribute(null=True)
    tier_programme = NumberAttribute(null=True)  # the programme version the standing was last judged by
    tier_review_month = UnicodeAttribute(null=True)
    tier_review = UnicodeAttribute(null=True)
    checked_seq = NumberAttribute(default=0)  # reconciliation's checkpoint: entries 1..checked_seq add up to
    checked_sum = NumberAttribute(default=0)  # checked_sum
    updated_at = UnicodeAttribute(null=True)

    by_expiry_due = _ByExpiryDue()
    by_maturity_due = _ByMaturityDue()
    by_touched = _ByTouched()
    by_tier_review = _ByTierReview()


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
