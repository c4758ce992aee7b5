"""Persistence of paid membership beyond the ledger: the plans, and a store's journal of card sales and refunds.
Cards and benefit uses are the ledger's books (``book``) on the member's account; nothing here duplicates them."""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute

from chalicelib.shared.db import NumberAttribute, Record, table

PLANS_SCOPE = "plans"


@table
class MembershipPlanRecord(Record):
    """A plan (付费会员卡方案); every plan sits in one small partition (``scope``), read whole and cached."""

    logical_name = "membership-plans"

    class Meta:
        table_name = "membership-plans"

    scope = UnicodeAttribute(hash_key=True)
    plan_id = UnicodeAttribute(range_key=True)
    document = UnicodeAttribute()  # JSON: the plan as created (``PlanCreate``) and whether it is on sale
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)


@table
class MembershipJournalRecord(Record):
    """A card sold or refunded at a store (会员卡流水), for the store's day close beside its sales and stored value: by
    store in the order booked (``entry`` ``<instant>#<event id>#<n>``: a range of days is one query). Only the journal
    consumer writes them, once per event; kept 400 days (the BI files keep the rest)."""

    logical_name = "membership-journal"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "membership-journal"

    store_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # sale, refund
    member_id = UnicodeAttribute()
    card_id = UnicodeAttribute()
    plan_name = UnicodeAttribute()
    amount_fen = NumberAttribute()  # signed: money taken positive, given back negative
    method = UnicodeAttribute()  # counter (taken at this store's counter), partner (its till system)
    payment_method = UnicodeAttribute(null=True)  # how the counter took it (cash, wechat_pay …), when said
    order_id = UnicodeAttribute(null=True)
    reference = UnicodeAttribute()  # the payment id, or the cancellation's
    coupon_fen = NumberAttribute(null=True)  # what the order's coupons took off a sale's price (续费券)
    student_id = UnicodeAttribute(null=True)  # a child's card (学员): whose, by id (the name stays sealed)
    actor = UnicodeAttribute()
    expires_at = TTLAttribute()
