"""Maps member records to members: seals personal fields on the way in, opens them on the way out."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from chalicelib.members.model import Gender, Member, Source, Status, mask_phone, normalise_email, normalise_name
from chalicelib.members.records import MemberRecord
from chalicelib.shared import clock
from chalicelib.shared.crypto import Sealer, WrappedKey, lookup_hash
from chalicelib.shared.dateindex import shard_of

SEALED_FIELDS = ("phone", "email", "birthday", "addresses", "students")


def phone_key(e164: str) -> str:
    """The uniqueness item of a phone."""
    return f"phone:{lookup_hash('phone', e164)}"


def name_key(name: str) -> str | None:
    """The index key of a name (a keyed hash of its normalised form, like phones and emails); None for a blank name."""
    normalised = normalise_name(name)
    return lookup_hash("name", normalised) if normalised else None


def member_no_key(member_no: str) -> str:
    return f"member_no:{member_no}"


def welcomed_key(phone_hash: str) -> str:
    """The marker a phone an erased member had (or a member changed from) leaves, so joining again with it is known
    as a return and gives no welcome gift again: a keyed hash of the phone's lookup hash (``phone_key`` has that), for
    a purpose of its own, so it matches no other item's hash (a review)."""
    return f"welcomed:{lookup_hash('welcomed', phone_hash)}"


def import_key(e164: str) -> str:
    """The marker an import leaves for a phone it registered."""
    return f"import:{lookup_hash('phone', e164)}"


def birth_month_key(month: int, shard: int) -> str:
    """A partition of the birthday index: the month and a shard of the members' ids (``shard_of``)."""
    return f"{month:02d}#{shard}"


def wrapped_key(record: MemberRecord) -> WrappedKey | None:
    return WrappedKey.from_stored(record.data_key) if record.data_key else None


def sealed_values(member: Member, sealer: Sealer, fields: set[str]) -> dict[str, Any]:
    """The stored attributes of the personal ``fields`` of ``member``: sealed text, hashes, masks."""
    values: dict[str, Any] = {}
    if "phone" in fields:
        values["phone_sealed"] = sealer.seal("phone", member.phone) if member.phone else None
        values["phone_hash"] = lookup_hash("phone", member.phone) if member.phone else None
        values["phone_masked"] = mask_phone(member.phone) if member.phone else None
    if "email" in fields:
        email = normalise_email(member.email) if member.email else None
        values["email_sealed"] = sealer.seal("email", email) if email else None
        values["email_hash"] = lookup_hash("email", email) if email else None
    if "birthday" in fields:
        values["birthday_sealed"] = sealer.seal("birthday", member.birthday.isoformat()) if member.birthday else None
        values["birthday_recorded_on"] = clock.business_today().isoformat() if member.birthday else None
        values["birth_month"] = (
            birth_month_key(member.birthday.month, shard_of(member.member_id)) if member.birthday else None
        )
    if "addresses" in fields:
        values["addresses_sealed"] = (
            sealer.seal("addresses", json.dumps(member.addresses, ensure_ascii=False)) if member.addresses else None
        )
    if "students" in fields:
        values["students_sealed"] = (
            sealer.seal("students", json.dumps(member.students, ensure_ascii=False)) if member.students else None
        )
    return values


def plain_values(member: Member, fields: set[str]) -> dict[str, Any]:
    """The stored attributes of the non-personal ``fields`` of ``member``."""
    values: dict[str, Any] = {}
    for name in fields - set(SEALED_FIELDS):
        value = getattr(member, name)
        if name == "consents":
            value = json.dumps(value, sort_keys=True)
        elif name in ("gender", "status", "source"):
            value = str(value)
        elif name == "name":
            values["name_hash"] = name_key(value)
        values[name] = value
    return values


def new_record(member: Member, wrapped: WrappedKey, sealer: Sealer, joined_in: str | None = None) -> MemberRecord:
    everything = set(Member.__dataclass_fields__) - {
        "member_id",
        "version",
        "changed",
        "erased_at",
        "birthday_recorded_on",
    }  # fmt: skip  (the birthday's)
    attributes = {**plain_values(member, everything - set(SEALED_FIELDS)), **sealed_values(member, sealer, everything)}
    registered_month = member.registered_at[:7]
    return MemberRecord(
        member.member_id,
        **attributes,
        registered_month=registered_month,
        registered_key=f"{member.registered_at}#{member.member_id}",
        data_key=wrapped.stored,
        joined_in=joined_in,
    )


def sealer_for(record: MemberRecord) -> Sealer | None:
    """The member's sealer, or None once erasure destroyed the data key."""
    return Sealer.for_stored_key(record.member_id, record.data_key) if record.data_key else None


def to_member(record: MemberRecord) -> Member:
    sealer = sealer_for(record)

    def opened(field: str, sealed: str | None) -> str | None:
        return sealer.open(field, sealed) if sealer and sealed else None

    birthday = opened("birthday", record.birthday_sealed)
    addresses = opened("addresses", record.addresses_sealed)
    students = opened("students", record.students_sealed)
    return Member(
        member_id=record.member_id, member_no=record.member_no, name=record.name,
        phone=opened("phone", record.phone_sealed), email=opened("email", record.email_sealed),
        gender=Gender(record.gender), birthday=date.fromisoformat(birthday) if birthday else None,
        city=record.city, region=record.region, addresses=json.loads(addresses) if addresses else [],
        source=Source(record.source), referrer_id=record.referrer_id, home_store_id=record.home_store_id,
        registered_at=record.registered_at, status=Status(record.status), tier=record.tier,
        tags=[str(tag) for tag in record.tags or []], consents=json.loads(record.consents or "{}"),
        created_at=record.created_at, updated_at=record.updated_at, version=int(record.version or 0),
        erased_at=record.erased_at, returning=bool(record.returning), students=json.loads(students) if students else [],
        birthday_recorded_on=record.birthday_recorded_on if birthday else None,
    )  # fmt: skip


def summary(record: MemberRecord) -> dict[str, Any]:
    """A list row from an index item: no personal field is opened."""
    return {
        "member_id": record.member_id, "member_no": record.member_no, "name": record.name,
        "phone_masked": record.phone_masked, "home_store_id": record.home_store_id, "tier": record.tier,
        "status": record.status, "registered_at": record.registered_at,
    }  # fmt: skip
