"""Persistence shape of purchases, refunds (the consumption records) and earn-rules versions."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.shared.db import NumberAttribute, Record, table


class _ByMember(GlobalSecondaryIndex["PurchaseRecord"]):  # type: ignore[no-untyped-call]
    """A member's purchases by time, whole (their history pages read nothing else; never for a rule's
    correctness)."""

    class Meta:
        index_name = "by-member"
        projection = AllProjection()

    member_id = UnicodeAttribute(hash_key=True)
    occurred_at = UnicodeAttribute(range_key=True)


class _ByStore(GlobalSecondaryIndex["PurchaseRecord"]):  # type: ignore[no-untyped-call]
    """A store's purchases by time, whole: what staff of that store see."""

    class Meta:
        index_name = "by-store"
        projection = AllProjection()

    store_id = UnicodeAttribute(hash_key=True)
    occurred_at = UnicodeAttribute(range_key=True)


class _RefundsAtTill(GlobalSecondaryIndex["RefundRecord"]):  # type: ignore[no-untyped-call]
    """The refunds given back at a store's till by time (counter refunds only: a sparse index), whole: what its
    journal lists, whichever store made the sale; a range of days is one query."""

    class Meta:
        index_name = "by-till"
        projection = AllProjection()

    till_store = UnicodeAttribute(hash_key=True)
    occurred_at = UnicodeAttribute(range_key=True)


class _RefundsByMember(GlobalSecondaryIndex["RefundRecord"]):  # type: ignore[no-untyped-call]
    """A member's refunds by time, next to their purchases."""

    class Meta:
        index_name = "by-member"
        projection = KeysOnlyProjection()

    member_id = UnicodeAttribute(hash_key=True)
    occurred_at = UnicodeAttribute(range_key=True)


@table
class PurchaseRecord(Record):
    """A purchase, once per partner and order id (the key): it keeps the ledger's claim on its order (the body's
    hash, the answer given, the entries posted), so a purchase writes no claim item besides. ``lines`` is JSON:
    ``[[line_id, sku, category, brand, quantity, amount_fen, paid_fen], ...]``; ``refunded`` maps a line id to
    ``[fen, quantity]`` refunded so far."""

    logical_name = "purchases"

    class Meta:
        table_name = "purchases"

    order_key = UnicodeAttribute(hash_key=True)  # "<partner id>#<order id>"
    partner_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    store_id = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    currency = UnicodeAttribute()
    total_fen = NumberAttribute()
    paid_fen = NumberAttribute()
    payment_method = UnicodeAttribute()
    other_method = UnicodeAttribute(null=True)  # with mixed: how the rest was paid (None: not said)
    lines = UnicodeAttribute()
    body_hash = UnicodeAttribute()
    rules_version = NumberAttribute()
    tier = UnicodeAttribute()
    points_awarded = NumberAttribute()
    upgrade_gift_points = NumberAttribute(default=0)  # what an upgrade it reached gave (升级礼遇), beside its own
    tier_multiplier = UnicodeAttribute(null=True)  # the tier's points multiplier from the programme, if it applied
    growth_awarded = NumberAttribute(default=0)
    growth_clawed_back = NumberAttribute(default=0)
    pending_points = NumberAttribute()
    ledger_entry_id = UnicodeAttribute(null=True)
    ledger_entries = UnicodeAttribute(null=True)  # JSON [[holder, book, seq], ...] its claim posted
    refunded = UnicodeAttribute(default="{}")
    refunded_fen = NumberAttribute(default=0)
    points_clawed_back = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    recorded_by = UnicodeAttribute(null=True)  # who recorded a purchase at the counter (``staff:<id>``)

    by_member = _ByMember()
    by_store = _ByStore()


@table
class RefundRecord(Record):
    """A refund, once per partner and refund id (the key): it keeps the refund's ledger claim."""

    logical_name = "refunds"

    class Meta:
        table_name = "refunds"

    refund_key = UnicodeAttribute(hash_key=True)  # "<partner id>#<refund id>"
    order_key = UnicodeAttribute()
    partner_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    store_id = UnicodeAttribute()  # the order's
    payment_method = UnicodeAttribute()  # the order's: money goes back the way it came
    occurred_at = UnicodeAttribute()
    amount_fen = NumberAttribute()
    lines = UnicodeAttribute()  # {line_id: [fen, quantity]} this refund gave back
    body_hash = UnicodeAttribute()
    points_clawed_back = NumberAttribute()
    tier_points_clawed_back = NumberAttribute(default=0)  # what the tier it undid had given, beside its own claw-back
    debt_after = NumberAttribute()
    ledger_entry_id = UnicodeAttribute(null=True)
    ledger_entries = UnicodeAttribute(null=True)  # JSON [[holder, book, seq], ...] its claim posted
    created_at = UnicodeAttribute()
    till_store = UnicodeAttribute(null=True)  # a counter refund's: the store whose till gave the money back
    recorded_by = UnicodeAttribute(null=True)  # a counter refund's: who gave it back

    by_member = _RefundsByMember()
    by_till = _RefundsAtTill()


@table
class ActivityRecord(Record):
    """A rewarded activity (registration, birthday, review, share, check-in), once per source and event id: it keeps
    the activity's ledger claim."""

    logical_name = "activities"

    class Meta:
        table_name = "activities"

    activity_key = UnicodeAttribute(hash_key=True)  # "<source>#<event id>"
    member_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    body_hash = UnicodeAttribute()
    points_awarded = NumberAttribute()
    limited = BooleanAttribute(default=False)
    ledger_entry_id = UnicodeAttribute(null=True)
    ledger_entries = UnicodeAttribute(null=True)  # JSON [[holder, book, seq], ...] its claim posted
    created_at = UnicodeAttribute()


@table
class EarnRulesRecord(Record):
    """A version of the earn rules; the one with the latest ``effective_from`` at an instant applies then."""

    logical_name = "earn-rules"

    class Meta:
        table_name = "earn-rules"

    scope = UnicodeAttribute(hash_key=True)  # "earn"
    version = NumberAttribute(range_key=True)
    document = UnicodeAttribute()  # the RulesIn JSON
    effective_from = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
