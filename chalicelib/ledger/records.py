"""Persistence shape of the ledger: one account item per holder, one item per entry, one per claim."""

from __future__ import annotations

from pynamodb.attributes import BinaryAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.shared.db import NumberAttribute, Record, table


class _ByTouched(GlobalSecondaryIndex["LedgerAccountRecord"]):  # type: ignore[no-untyped-call]
    """Accounts by the business day of their last post: what reconciliation checks."""

    class Meta:
        index_name = "by-touched-month"
        projection = KeysOnlyProjection()

    touched_month = UnicodeAttribute(hash_key=True)
    touched = UnicodeAttribute(range_key=True)


class _ByExpiry(GlobalSecondaryIndex["LedgerAccountRecord"]):  # type: ignore[no-untyped-call]
    """Accounts by the soonest day something in them expires (points lots)."""

    class Meta:
        index_name = "by-expiry-month"
        projection = KeysOnlyProjection()

    expiry_month = UnicodeAttribute(hash_key=True)
    expiry_due = UnicodeAttribute(range_key=True)


class _ByMaturity(GlobalSecondaryIndex["LedgerAccountRecord"]):  # type: ignore[no-untyped-call]
    """Accounts by the soonest day something pending in them becomes available."""

    class Meta:
        index_name = "by-maturity-month"
        projection = KeysOnlyProjection()

    maturity_month = UnicodeAttribute(hash_key=True)
    maturity_due = UnicodeAttribute(range_key=True)


class _ByReview(GlobalSecondaryIndex["LedgerAccountRecord"]):  # type: ignore[no-untyped-call]
    """Accounts by the day a standing must be looked at again (a tier review or its warning)."""

    class Meta:
        index_name = "by-review-month"
        projection = KeysOnlyProjection()

    review_month = UnicodeAttribute(hash_key=True)
    review_due = UnicodeAttribute(range_key=True)


class _ByCardsDue(GlobalSecondaryIndex["LedgerAccountRecord"]):  # type: ignore[no-untyped-call]
    """Member accounts by the day their paid cards need the nightly job (a reminder, a lapse, a coupon pack)."""

    class Meta:
        index_name = "by-cards-due-month"
        projection = KeysOnlyProjection()

    cards_month = UnicodeAttribute(hash_key=True)
    cards_due = UnicodeAttribute(range_key=True)


class _ByCouponExpiry(GlobalSecondaryIndex["LedgerAccountRecord"]):  # type: ignore[no-untyped-call]
    """Coupon accounts by the day a usable coupon expires (the day after its last day). It projects the whole
    account, so the nightly job reads each coupon due once, from the index: its write is conditional on the
    revision it read there, so an image the index had not caught up with is re-read, never written over."""

    class Meta:
        index_name = "by-coupon-expiry-month"
        projection = AllProjection()

    coupon_expiry_month = UnicodeAttribute(hash_key=True)
    coupon_expiry_due = UnicodeAttribute(range_key=True)


@table
class LedgerAccountRecord(Record):
    """A holder's books (JSON: book -> state), their entry counts and reconciliation checkpoints. Every write
    is conditional on the ``rev`` it read and moves it on. ``events`` carries the last post's events where it had
    room (``shared.events.packed``); the stream (both images) feeds the events relay."""

    logical_name = "ledger-accounts"
    stream = "NEW_AND_OLD_IMAGES"

    class Meta:
        table_name = "ledger-accounts"

    holder = UnicodeAttribute(hash_key=True)
    rev = NumberAttribute()
    books = UnicodeAttribute(default="{}")
    seqs = UnicodeAttribute(default="{}")
    checked = UnicodeAttribute(default="{}")  # book -> [seq, sum]: entries 1..seq add up to sum
    touched_month = UnicodeAttribute(null=True)  # date indexes' keys (``shared.dateindex``)
    touched = UnicodeAttribute(null=True)
    expiry_month = UnicodeAttribute(null=True)
    expiry_due = UnicodeAttribute(null=True)
    maturity_month = UnicodeAttribute(null=True)
    maturity_due = UnicodeAttribute(null=True)
    review_month = UnicodeAttribute(null=True)
    review_due = UnicodeAttribute(null=True)
    coupon_expiry_month = UnicodeAttribute(null=True)
    coupon_expiry_due = UnicodeAttribute(null=True)
    cards_month = UnicodeAttribute(null=True)
    cards_due = UnicodeAttribute(null=True)
    member_status = UnicodeAttribute(null=True)  # the holder's status, kept by its domain's own commits (``mark_in``)
    updated_at = UnicodeAttribute(null=True)
    events = BinaryAttribute(null=True, legacy_encoding=False)

    by_touched = _ByTouched()
    by_expiry = _ByExpiry()
    by_maturity = _ByMaturity()
    by_review = _ByReview()
    by_coupon_expiry = _ByCouponExpiry()
    by_cards_due = _ByCardsDue()


DUE_INDEXES = {  # a book's due dates by index name: the index and its (month, day) attributes
    "expiry": (LedgerAccountRecord.by_expiry, LedgerAccountRecord.expiry_month, LedgerAccountRecord.expiry_due),
    "maturity": (LedgerAccountRecord.by_maturity, LedgerAccountRecord.maturity_month, LedgerAccountRecord.maturity_due),
    "review": (LedgerAccountRecord.by_review, LedgerAccountRecord.review_month, LedgerAccountRecord.review_due),
    "coupon_expiry": (
        LedgerAccountRecord.by_coupon_expiry,
        LedgerAccountRecord.coupon_expiry_month,
        LedgerAccountRecord.coupon_expiry_due,
    ),
    "cards": (LedgerAccountRecord.by_cards_due, LedgerAccountRecord.cards_month, LedgerAccountRecord.cards_due),
    "touched": (LedgerAccountRecord.by_touched, LedgerAccountRecord.touched_month, LedgerAccountRecord.touched),
}


@table
class LedgerEntryRecord(Record):
    """One entry, never updated or deleted; ``account`` is ``<holder>|<book>`` and ``seq`` orders its entries."""

    logical_name = "ledger-entries"

    class Meta:
        table_name = "ledger-entries"

    account = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    entry_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    amount = NumberAttribute()
    balance_after = NumberAttribute()
    source_kind = UnicodeAttribute()
    source_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute()
    reason_en = UnicodeAttribute(null=True)  # the reason in English where the platform wrote it
    detail = UnicodeAttribute(null=True)  # JSON
    actor = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    group = UnicodeAttribute()


@table
class LedgerClaimRecord(Record):
    """A source posted once: the content hash it came with, the answer given and the entries it posted."""

    logical_name = "ledger-claims"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "ledger-claims"

    key = UnicodeAttribute(hash_key=True)
    content = UnicodeAttribute()
    result = UnicodeAttribute()  # JSON
    entries = UnicodeAttribute()  # JSON [[holder, book, seq], ...]
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)  # none: kept for good


@table
class LedgerTotalRecord(Record):
    """What reconciliation has checked of one book, summed over the holders of one shard (``shard`` is
    ``dateindex.shard_of(holder)``, so a night's partitions, read on several workers, add to different items): each
    checkpoint adds what it moved, in its own transaction. A book's total is the sum of its shards. The item
    ``book = "~whole"`` says the totals count from zero, every checkpoint having added to them."""

    logical_name = "ledger-totals"

    class Meta:
        table_name = "ledger-totals"

    book = UnicodeAttribute(hash_key=True)
    shard = NumberAttribute(range_key=True)
    total = NumberAttribute(default=0)
