"""Persistence shape of staff accounts and sessions."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.shared.db import Record, table


@table
class StaffRecord(Record):
    """A staff account. The username is claimed by a uniqueness item (``username:<lowercase>``)."""

    logical_name = "staff"

    class Meta:
        table_name = "staff"

    staff_id = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    display_name = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    roles = ListAttribute(of=UnicodeAttribute, default=list)
    stores = ListAttribute(of=UnicodeAttribute, default=list)
    status = UnicodeAttribute()  # active | disabled
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


@table
class LockoutRecord(Record):
    """Wrong passwords in a row for one account, and until when it is locked. Kept apart from the account
    (which people edit under If-Match), as counters change with every attempt."""

    logical_name = "lockouts"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "lockouts"

    subject = UnicodeAttribute(hash_key=True)
    failures = NumberAttribute(default=0)
    locked_until = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


@table
class SessionRecord(Record):
    """A refresh token, stored by its hash. Used once: a refresh revokes it and issues the next."""

    logical_name = "sessions"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "sessions"

    token_hash = UnicodeAttribute(hash_key=True)
    subject = UnicodeAttribute()
    status = UnicodeAttribute()  # active | used | revoked
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute()
