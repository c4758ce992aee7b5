"""Persistence shape of members: sealed personal fields, keyed hashes, uniqueness items."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection

from chalicelib.shared.db import Record, table

SUMMARY_ATTRIBUTES = ["member_no", "name", "phone_masked", "home_store_id", "tier", "status", "registered_at"]


class _ByStore(GlobalSecondaryIndex["MemberRecord"]):  # type: ignore[no-untyped-call]
    """Members of a home store, newest registration first."""

    class Meta:
        index_name = "by-store"
        projection = IncludeProjection(SUMMARY_ATTRIBUTES)

    home_store_id = UnicodeAttribute(hash_key=True)
    registered_key = UnicodeAttribute(range_key=True)


class _ByMonth(GlobalSecondaryIndex["MemberRecord"]):  # type: ignore[no-untyped-call]
    """Members by the month they registered (``YYYY-MM``): a bounded partition per month."""

    class Meta:
        index_name = "by-month"
        projection = IncludeProjection(SUMMARY_ATTRIBUTES)

    registered_month = UnicodeAttribute(hash_key=True)
    registered_key = UnicodeAttribute(range_key=True)


class _ByEmail(GlobalSecondaryIndex["MemberRecord"]):  # type: ignore[no-untyped-call]
    """Members by the keyed hash of their email (emails are not unique, so no uniqueness item)."""

    class Meta:
        index_name = "by-email"
        projection = KeysOnlyProjection()

    email_hash = UnicodeAttribute(hash_key=True)


@table
class MemberRecord(Record):
    """The profile: edited by people, versioned for If-Match. Balances and tiers live in items of their own."""

    logical_name = "members"

    class Meta:
        table_name = "members"

    member_id = UnicodeAttribute(hash_key=True)
    member_no = UnicodeAttribute()
    name = UnicodeAttribute()
    gender = UnicodeAttribute()
    city = UnicodeAttribute(null=True)
    region = UnicodeAttribute(null=True)
    source = UnicodeAttribute()
    referrer_id = UnicodeAttribute(null=True)
    home_store_id = UnicodeAttribute(null=True)
    registered_at = UnicodeAttribute()
    registered_month = UnicodeAttribute()
    registered_key = UnicodeAttribute()
    status = UnicodeAttribute()
    tier = UnicodeAttribute()  # a copy of the account's tier (the tiers work keeps it), for lists
    tier_changed_at = UnicodeAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    consents = UnicodeAttribute(default="{}")  # JSON: channel -> {granted, updated_at}
    data_key = UnicodeAttribute(null=True)  # the member's data key, wrapped: "<keyring>|<base64>"
    phone_sealed = UnicodeAttribute(null=True)
    phone_hash = UnicodeAttribute(null=True)
    phone_masked = UnicodeAttribute(null=True)
    email_sealed = UnicodeAttribute(null=True)
    email_hash = UnicodeAttribute(null=True)
    birthday_sealed = UnicodeAttribute(null=True)
    addresses_sealed = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    erased_at = UnicodeAttribute(null=True)
    version = VersionAttribute()

    by_store = _ByStore()
    by_month = _ByMonth()
    by_email = _ByEmail()
