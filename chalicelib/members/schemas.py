"""The members API contract (and its OpenAPI source)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from chalicelib.members.model import CONSENT_CHANNELS, Gender, InvalidPhone, Member, Source, Status, normalise_phone
from chalicelib.shared import clock
from chalicelib.shared.fields import Day, Instant
from chalicelib.shared.http import Input, MergePatch, Schema


def _phone(value: str) -> str:
    try:
        return normalise_phone(value)
    except InvalidPhone as e:
        raise ValueError(str(e)) from None


EARLIEST_REGISTRATION = date(1990, 1, 1)
LATEST_LIST_DATE = date(2100, 12, 31)


def _not_future(value: date) -> date:
    if value > clock.business_today():
        raise ValueError("a birthday between 1900 and today")
    return value


def _listable(value: date) -> date:
    if not EARLIEST_REGISTRATION <= value <= LATEST_LIST_DATE:
        raise ValueError(f"a date between {EARLIEST_REGISTRATION} and {LATEST_LIST_DATE}")
    return value


Phone = Annotated[str, StringConstraints(min_length=3, max_length=32), AfterValidator(_phone)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
MemberNo = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z-]{4,20}$")]
Birthday = Annotated[Day, AfterValidator(_not_future)]


class Address(Input):
    label: Annotated[str, StringConstraints(max_length=20)] | None = None
    recipient: Annotated[str, StringConstraints(max_length=50)] | None = None
    province: Annotated[str, StringConstraints(max_length=30)] | None = None
    city: Annotated[str, StringConstraints(max_length=30)] | None = None
    district: Annotated[str, StringConstraints(max_length=30)] | None = None
    detail: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z -]{3,10}$")] | None = None


Consents = dict[Annotated[str, StringConstraints(pattern="^(" + "|".join(CONSENT_CHANNELS) + ")$")], bool]


class ConsentProof(Input):
    """When and where consents were given before they reached this platform (a migrated system, a paper
    form): kept with each consent as its proof."""

    given_at: Instant = Field(description="when the member gave them (with a time zone offset)")
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="where they were given, e.g. `old-crm: signup form v3`"
    )

    @field_validator("given_at")
    @classmethod
    def _past(cls, value: datetime) -> datetime:
        if value > clock.now() + timedelta(minutes=5):
            raise ValueError("a time before now")
        return value


class MemberCreate(Input):
    """A new member. ``phone`` is required and unique; mainland numbers may omit +86."""

    name: Name
    phone: Phone
    email: Email | None = None
    gender: Gender = Gender.UNDISCLOSED
    birthday: Birthday | None = None
    city: Text | None = None
    region: Text | None = None
    addresses: list[Address] = Field(default_factory=list, max_length=10)
    source: Source = Source.STORE
    referrer_id: Id | None = None
    home_store_id: Id | None = None
    registered_at: Instant | None = Field(default=None, description="defaults to now; set when importing")
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    consents: Consents = Field(default_factory=dict, description="marketing consent per channel")
    consent_proof: ConsentProof | None = Field(default=None, description="when and where the consents were "
                                               "given, if not by this request (migration, paper form)")  # fmt: skip
    member_no: MemberNo | None = Field(default=None, description="keep an existing card number; else one is made")

    @field_validator("registered_at")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        if not (value.date() >= EARLIEST_REGISTRATION and value <= clock.now() + timedelta(days=1)):
            raise ValueError(f"a time between {EARLIEST_REGISTRATION} and now")
        return value


class MyProfilePatch(MergePatch):
    """What a member may change about themself (a JSON merge patch). Not the phone (it is their login; staff
    change it), and never tier, points, status, store, tags or member number. ``null`` clears an optional
    field; required fields cannot be null."""

    clearable = frozenset({"email", "birthday", "city", "region"})

    name: Name | None = None
    email: Email | None = None
    gender: Gender | None = None
    birthday: Birthday | None = None
    city: Text | None = None
    region: Text | None = None
    addresses: list[Address] | None = Field(default=None, max_length=10)
    consents: Consents | None = None

    def changes(self) -> dict[str, Any]:
        values = super().changes()
        if "addresses" in values:
            values["addresses"] = [address.model_dump(exclude_none=True) for address in values["addresses"]]
        return values


class MemberPatch(MyProfilePatch):
    """A staff member's JSON merge patch: everything a member may change, and the phone, home store, referrer,
    status and tags."""

    clearable = MyProfilePatch.clearable | {"home_store_id", "referrer_id"}

    phone: Phone | None = None
    home_store_id: Id | None = None
    referrer_id: Id | None = None
    status: Status | None = Field(default=None, description="active or frozen; erase with DELETE")
    tags: list[Tag] | None = Field(default=None, max_length=50)


class Consent(Schema):
    granted: bool
    updated_at: str = Field(description="when the member gave or withdrew it")
    source: str | None = Field(default=None, description="where it was given, when it came from elsewhere")


class MemberOut(Schema):
    confidential = True

    member_id: str
    member_no: str
    name: str
    phone: str | None
    phone_masked: str | None
    email: str | None
    gender: Gender
    birthday: date | None
    city: str | None
    region: str | None
    addresses: list[Address]
    source: Source
    referrer_id: str | None
    home_store_id: str | None
    registered_at: str
    status: Status
    tier: str
    tags: list[str]
    consents: dict[str, Consent]
    created_at: str
    updated_at: str
    erased_at: str | None
    version: int

    @classmethod
    def of(cls, member: Member, phone_masked: str | None) -> MemberOut:
        fields = {name: value for name, value in member.__dict__.items() if name != "changed"}
        return cls.model_validate({**fields, "phone_masked": phone_masked})


class MemberSummary(Schema):
    """A list row: what staff scan, with the phone masked and nothing to decrypt."""

    confidential = True  # a name with a store and a masked phone still points at one person

    member_id: str
    member_no: str
    name: str
    phone_masked: str | None
    home_store_id: str | None
    tier: str
    status: Status
    registered_at: str


class MemberPage(Schema):
    items: list[MemberSummary]
    next_cursor: str | None


class MemberListQuery(Input):
    store_id: Id | None = None
    tier: Annotated[str, StringConstraints(max_length=32)] | None = None
    status: Status | None = None
    registered_from: Annotated[Day, AfterValidator(_listable)] | None = None
    registered_to: Annotated[Day, AfterValidator(_listable)] | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=4096)

    @model_validator(mode="after")
    def _ordered(self) -> MemberListQuery:
        if self.registered_from and self.registered_to and self.registered_from > self.registered_to:
            raise ValueError("registered_from is after registered_to")
        return self


class Lookup(Input):
    """Find a member by exactly one of phone, member number, email or the member's code (in the body, never
    in a URL). Every miss answers the same 404, whether nobody matches or a code has expired."""

    phone: Phone | None = None
    member_no: MemberNo | None = None
    email: Email | None = None
    code: str | None = Field(default=None, max_length=40, pattern=r"^[0-9A-Za-z-]+$",
                             description="the member's code (会员码) as scanned from the member pages")  # fmt: skip

    @model_validator(mode="after")
    def _exactly_one(self) -> Lookup:
        if sum(value is not None for value in (self.phone, self.member_no, self.email, self.code)) != 1:
            raise ValueError("give exactly one of phone, member_no, email and code")
        return self


class MemberCodeOut(Schema):
    """The member's code (会员码) to show as a QR code and barcode; a cashier's lookup resolves it."""

    confidential = True  # a bearer of the member's presence for two minutes

    code: str = Field(description="66, the member number and a one-time value of this minute")
    expires_at: datetime = Field(description="when a lookup stops accepting it (UTC)")
    refresh_after: int = Field(description="seconds until the next code should be shown")
