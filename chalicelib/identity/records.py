"""Persistence shape of credentials: staff accounts, sessions, lockouts, SMS codes, member passwords, partners."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, TTLAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.shared.db import NumberAttribute, Record, table


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
    session_generation = NumberAttribute(default=0)  # raised to end every session (tokens carry the one they got)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


@table
class LockoutRecord(Record):
    """Password attempts not yet cleared by a right one, for one account (or one phone), and when the last was.
    Kept apart from the account (which people edit under If-Match), as it changes with every attempt."""

    logical_name = "lockouts"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "lockouts"

    subject = UnicodeAttribute(hash_key=True)
    failures = NumberAttribute(default=0)
    last_attempt_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


@table
class SessionRecord(Record):
    """A refresh token, stored by its hash. Used once: a refresh revokes it and issues the next, which keeps the
    log-in time."""

    logical_name = "sessions"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "sessions"

    token_hash = UnicodeAttribute(hash_key=True)
    subject = UnicodeAttribute()
    status = UnicodeAttribute()  # active | used | revoked
    created_at = UnicodeAttribute()
    generation = NumberAttribute(null=True)  # its subject's session generation when the session began
    auth_time = NumberAttribute(null=True)  # when its holder logged in (epoch seconds); its refreshes keep it
    expires_at = TTLAttribute()


@table
class OneTimeCodeRecord(Record):
    """The latest SMS code sent to a phone (keyed by the phone's keyed hash), as a keyed hash of the code.
    A new code replaces the old one; the right code deletes it (single use); five tries burn it."""

    logical_name = "codes"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "codes"

    phone_hash = UnicodeAttribute(hash_key=True)
    code_id = UnicodeAttribute()
    code_hash = UnicodeAttribute()
    tries = NumberAttribute(default=0)
    valid_until = UnicodeAttribute()
    expires_at = TTLAttribute()


@table
class MemberCredentialRecord(Record):
    """A member's password, if they set one, and their session generation, which every new password raises to end
    the member's other sessions. Kept apart from the profile, which people edit under If-Match."""

    logical_name = "member-credentials"

    class Meta:
        table_name = "member-credentials"

    member_id = UnicodeAttribute(hash_key=True)
    password_hash = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    session_generation = NumberAttribute(default=0)  # tokens and sessions carry the one they began with


@table
class PartnerRecord(Record):
    """A partner system (POS, e-shop, mini-program backend) and its signing secrets.

    ``secrets`` is JSON: a list of ``{secret_id, sealed, created_at, revoked_at}``; the secret itself is sealed
    with the partner's own data key (HMAC needs the secret, so it cannot be hashed like a password).
    """

    logical_name = "partners"

    class Meta:
        table_name = "partners"

    partner_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    stores = ListAttribute(of=UnicodeAttribute, default=list)
    enrols_members = BooleanAttribute(default=False)  # a purchase naming an unknown phone registers a member
    accepts_v1 = BooleanAttribute(default=False)  # signatures over the body alone still pass (systems not yet on v2)
    status = UnicodeAttribute()  # active | disabled
    data_key = UnicodeAttribute()
    secrets = UnicodeAttribute(default="[]")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()
