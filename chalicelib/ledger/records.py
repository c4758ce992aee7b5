"""Persistence shape of the ledger: one account item per holder, one item per entry, one per claim."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.shared.db import Record, table


class _ByTouched(GlobalSecondaryIndex["LedgerAccountRecord"]):  # type: ignore[no-untyped-call]
    """Accounts by the business day of their last post: what reconciliation checks."""

    class Meta:
        index_name = "by-touched-month"
        projection = KeysOnlyProjection()

    touched_month = UnicodeAttribute(hash_key=True)
    touched = UnicodeAttribute(range_key=True)


@table
class LedgerAccountRecord(Record):
    """A holder's books (JSON: book -> state), their entry counts and reconciliation checkpoints. Every write
    is conditional on the ``rev`` it read and moves it on."""

    logical_name = "ledger-accounts"

    class Meta:
        table_name = "ledger-accounts"

    holder = UnicodeAttribute(hash_key=True)
    rev = NumberAttribute()
    books = UnicodeAttribute(default="{}")
    seqs = UnicodeAttribute(default="{}")
    checked = UnicodeAttribute(default="{}")  # book -> [seq, sum]: entries 1..seq add up to sum
    touched_month = UnicodeAttribute(null=True)  # a date index's keys (``shared.dateindex``)
    touched = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)

    by_touched = _ByTouched()


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
