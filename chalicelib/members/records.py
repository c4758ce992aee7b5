"""Persistence shape of members: sealed personal fields, keyed hashes, uniqueness items."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, TTLAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection

from chalicelib.shared.db import NumberAttribute, Record, table

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


class _ByName(GlobalSecondaryIndex["MemberRecord"]):  # type: ignore[no-untyped-call]
    """Members by the keyed hash of their normalised name (names are not unique), newest registration first."""

    class Meta:
        index_name = "by-name"
        projection = IncludeProjection(SUMMARY_ATTRIBUTES)

    name_hash = UnicodeAttribute(hash_key=True)
    registered_key = UnicodeAttribute(range_key=True)


class _ByBirthMonth(GlobalSecondaryIndex["MemberRecord"]):  # type: ignore[no-untyped-call]
    """Members by the month of their birthday and a shard of their id (``MM#shard``): the birthday gift's work of a
    month. Sparse: only members with a birthday on record. The month alone is kept in clear, never the day or year."""

    class Meta:
        index_name = "by-birth-month"
        projection = KeysOnlyProjection()

    birth_month = UnicodeAttribute(hash_key=True)


@table
class MemberRecord(Record):
    """The profile: edited by people, versioned for If-Match. Balances and tiers live in items of their own."""

    logical_name = "members"

    class Meta:
        table_name = "members"

    member_id = UnicodeAttribute(hash_key=True)
    member_no = UnicodeAttribute()
    name = UnicodeAttribute()
    name_hash = UnicodeAttribute(null=True)  # a keyed hash of the normalised name, for search (none once erased)
    gender = UnicodeAttribute()
    city = UnicodeAttribute(null=True)
    region = UnicodeAttribute(null=True)
    source = UnicodeAttribute()
    referrer_id = UnicodeAttribute(null=True)
    home_store_id = UnicodeAttribute(null=True)
    joined_in = UnicodeAttribute(null=True)  # the language a member joined in: their messages' until they choose one
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
    birth_month = UnicodeAttribute(null=True)  # "MM#shard" of the birthday, for the birthday gift's index
    birthday_recorded_on = UnicodeAttribute(null=True)  # the business day the birthday was recorded (the gift's rule)
    addresses_sealed = UnicodeAttribute(null=True)
    students_sealed = UnicodeAttribute(null=True)  # JSON [{student_id, name, birthday?}], sealed: children's names
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    erased_at = UnicodeAttribute(null=True)
    returning = BooleanAttribute(null=True)  # joined with a phone an erased member had: welcomed before
    version = VersionAttribute()

    by_store = _ByStore()
    by_month = _ByMonth()
    by_email = _ByEmail()
    by_name = _ByName()
    by_birth_month = _ByBirthMonth()


@table
class MemberImportRecord(Record):
    """A member import job (``item`` = ``import``) and each chunk of its file once counted (``chunk#<n>``): the
    import holds its status and running totals, a chunk its own counts and error rows (JSON ``[[row, field,
    reason], ...]``: line numbers, column names and reasons, never a row's values)."""

    logical_name = "member-imports"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "member-imports"

    import_id = UnicodeAttribute(hash_key=True)
    item = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute(null=True)  # awaiting-file | planning | planned | completed | failed
    encoding = UnicodeAttribute(null=True)
    object_key = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    stores = ListAttribute(of=UnicodeAttribute, null=True)  # the importer's stores; none: every store
    created_at = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)  # wall-clock time of the last progress
    rows = NumberAttribute(null=True)
    chunks = NumberAttribute(null=True)
    chunks_done = NumberAttribute(null=True)
    imported = NumberAttribute(null=True)
    skipped = NumberAttribute(null=True)
    failed = NumberAttribute(null=True)  # rows with at least one error
    errors = NumberAttribute(null=True)  # error rows of the report (a row may have several)
    error = UnicodeAttribute(null=True)  # why the import failed
    error_rows = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
