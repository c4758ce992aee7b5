"""Persistence of paid membership beyond the ledger: the plans. Cards and benefit uses are the ledger's books
(``book``) on the member's account; nothing here duplicates them."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.shared.db import Record, table

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
