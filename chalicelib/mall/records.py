"""Persistence shape of the points mall beside the ledger: what people edit about a reward, and the orders as lists
find them.

A reward's stock and selling terms, and each order's state, are ledger accounts (``rules``); the records here hold
what the ledger does not: a reward's pictures and description (versioned for If-Match), and a copy of each order,
written in the same transaction as every change of the order's account, under the indexes its lists and the release
job read. Lists read the copies; an order itself is always read from its account, so nothing is decided from an index.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection

from chalicelib.shared.db import Record, table

REWARDS_SCOPE = "rewards"


@table
class MallRewardRecord(Record):
    """A reward's showcase: pictures (https URLs, JSON list) and description. Every reward sits in one small partition
    (``scope``), newest last by id; its terms and stock are the ledger account ``mall-reward:<reward id>``."""

    logical_name = "mall-rewards"

    class Meta:
        table_name = "mall-rewards"

    scope = UnicodeAttribute(hash_key=True)
    reward_id = UnicodeAttribute(range_key=True)
    images = UnicodeAttribute(default="[]")
    description = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class _ByMember(GlobalSecondaryIndex["MallOrderRecord"]):  # type: ignore[no-untyped-call]
    """A member's orders, newest first."""

    class Meta:
        index_name = "by-member"
        projection = AllProjection()

    member_id = UnicodeAttribute(hash_key=True)
    placed_key = UnicodeAttribute(range_key=True)


class _ByStatus(GlobalSecondaryIndex["MallOrderRecord"]):  # type: ignore[no-untyped-call]
    """Orders of a status, newest first: the fulfilment desk's queues (to ship, to collect)."""

    class Meta:
        index_name = "by-status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    placed_key = UnicodeAttribute(range_key=True)


class _ByStore(GlobalSecondaryIndex["MallOrderRecord"]):  # type: ignore[no-untyped-call]
    """Orders collected at a store (goods picked up, services), newest first; sparse."""

    class Meta:
        index_name = "by-store"
        projection = AllProjection()

    pickup_store_id = UnicodeAttribute(hash_key=True)
    placed_key = UnicodeAttribute(range_key=True)


class _ByMonth(GlobalSecondaryIndex["MallOrderRecord"]):  # type: ignore[no-untyped-call]
    """Every order by the month it was placed, newest first."""

    class Meta:
        index_name = "by-month"
        projection = AllProjection()

    placed_month = UnicodeAttribute(hash_key=True)
    placed_key = UnicodeAttribute(range_key=True)


class _ByRelease(GlobalSecondaryIndex["MallOrderRecord"]):  # type: ignore[no-untyped-call]
    """Orders awaiting payment by the instant they are released unless paid; sparse (paid or cancelled orders leave
    it): the release job reads what is due, never every order, with the member and reward it names, so releasing an
    order reads its accounts in one request."""

    class Meta:
        index_name = "by-release"
        projection = IncludeProjection(["member_id", "reward_id"])

    release_partition = UnicodeAttribute(hash_key=True)
    release_key = UnicodeAttribute(range_key=True)


@table
class MallOrderRecord(Record):
    """An order as lists show it (``document``, JSON: no sealed address, no history), keyed for its lists.
    ``placed_key`` is ``<placed_at>#<order id>``; ``release_partition`` ``<business day of pay_by>#<shard>`` and
    ``release_key`` ``<pay_by>#<order id>`` while it awaits payment."""

    logical_name = "mall-orders"

    class Meta:
        table_name = "mall-orders"

    order_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()
    reward_id = UnicodeAttribute()
    status = UnicodeAttribute()
    placed_key = UnicodeAttribute()
    placed_month = UnicodeAttribute()
    pickup_store_id = UnicodeAttribute(null=True)
    release_partition = UnicodeAttribute(null=True)
    release_key = UnicodeAttribute(null=True)
    document = UnicodeAttribute()

    by_member = _ByMember()
    by_status = _ByStatus()
    by_store = _ByStore()
    by_month = _ByMonth()
    by_release = _ByRelease()
