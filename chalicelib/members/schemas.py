"""The members API contract (and its OpenAPI source)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.members.model import CONSENT_CHANNELS, Gender, InvalidPhone, Member, Source, Status, normalise_phone
from chalicelib.shared import clock
from chalicelib.shared.fields import (
    BUSINESS_DATE,
    GIVEN_INSTANT,
    NEXT_CURSOR,
    UTC_INSTANT,
    VERSION,
    Day,
    Instant,
    Trimmed,
)
from chalicelib.shared.http import CONTROL_CHARACTERS_REFUSED, Input, MergePatch, Schema, holds_control_character


def _phone(value: str) -> str:
    if holds_control_character(value):  # refused as sent: normalising would wash it out
        raise ValueError(CONTROL_CHARACTERS_REFUSED)
    if any(unicodedata.category(character) == "Cf" for character in value):  # zero-width, direction marks
        raise ValueError("a phone may not hold invisible formatting characters")
    try:
        return normalise_phone(value)
    except InvalidPhone as e:
        raise ValueError(str(e)) from None


EARLIEST_REGISTRATION = date(1990, 1, 1)
LATEST_LIST_DATE = date(2100, 12, 31)


def _not_future(value: date) -> date:
    if value > clock.business_today():  # a code of its own, which screens say in their language (a walkthrough)
        raise PydanticCustomError("birthday_range", "a birthday between 1900 and today")
    return value


def _listable(value: date) -> date:
    if not EARLIEST_REGISTRATION <= value <= LATEST_LIST_DATE:
        raise ValueError(f"a date between {EARLIEST_REGISTRATION} and {LATEST_LIST_DATE}")
    return value


Phone = Annotated[str, StringConstraints(min_length=3, max_length=32), AfterValidator(_phone)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), Trimmed]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), Trimmed]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32), Trimmed]
MemberNo = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z-]{4,20}$")]
Birthday = Annotated[Day, AfterValidator(_not_future)]

NAME = "the member's name (姓名) as they give it; receipts and lists show it"
MessageLanguage = Literal["zh-CN", "en"]
MESSAGE_LANGUAGE = (
    "the language their messages come in (消息语言), `zh-CN` or `en`, as they join (the member pages' own); null: "
    "zh-CN. They change it in their message settings, and it stays as they set it there"
)
PHONE_IN = "mobile phone (手机号); mainland numbers may omit +86, e.g. `13800138000`; unique among members"
EMAIL = "email address, stored in lower case"
GENDER = "gender (性别)"
BIRTHDAY = "date of birth (生日), YYYY-MM-DD, not in the future"
CITY = "the city they live in (城市)"
REGION = "the province or region they live in (省份/地区)"
ADDRESSES = "postal addresses (收货地址), up to ten"
SOURCE = "how they joined (注册渠道)"
REFERRER = "the member who referred them (推荐人), by member id"
HOME_STORE = "their home store (所属门店), by store id: staff scoped to stores manage the members of those stores"
TAGS = "labels staff give the member (标签), e.g. `VIP`, up to 50"
CONSENTS = "marketing consent (营销授权) per channel (`sms`, `email`, `push`, `wechat`): true grants, false withdraws"
MEMBER_ID = "the member's id (`mb_…`)"
MEMBER_NO = "the member number (会员卡号): 10 digits with a Luhn check digit, or an imported card's own number"
PHONE_MASKED = "the phone as shown to those who may not see it whole, e.g. `138****8000`"
STATUS = "active, frozen (冻结: keeps points, cannot spend them or log in) or erased (已注销)"
TIER = "the tier's code (会员等级), e.g. `normal`, `gold`; the tier routes tell the full standing"
REGISTERED_AT = "when they registered"


class Address(Input):
    """A postal address (收货地址) of the member's."""

    label: Annotated[str, StringConstraints(max_length=20)] | None = Field(
        default=None, description="the member's name for it, e.g. 家 (home) or 公司 (work)"
    )
    recipient: Annotated[str, StringConstraints(max_length=50)] | None = Field(
        default=None, description="who receives parcels there (收件人), if not the member"
    )
    province: Annotated[str, StringConstraints(max_length=30)] | None = Field(
        default=None, description="province (省), e.g. 上海市"
    )
    city: Annotated[str, StringConstraints(max_length=30)] | None = Field(default=None, description="city (市)")
    district: Annotated[str, StringConstraints(max_length=30)] | None = Field(
        default=None, description="district (区/县)"
    )
    detail: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Trimmed] = Field(
        description="street, building and room (详细地址)"
    )
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z -]{3,10}$")] | None = Field(
        default=None, description="postal code (邮编)"
    )


ConsentChannel = Annotated[str, StringConstraints(pattern="^(" + "|".join(CONSENT_CHANNELS) + ")$")]
Consents = dict[ConsentChannel, bool]


STUDENTS = (
    "the children the member buys classes for (学员), up to ten: a card sold for one names its `student_id`, so two "
    "children's packs of one plan are two cards"
)


GUARDIAN_CONSENT = (
    "true: the member (or, at a desk, staff for them) confirms being the student's guardian (监护人) and agrees to "
    "their name and birthday being kept for their classes (PIPL art. 31: a child's data is processed with a guardian's "
    "consent); required to add a student, stamped on them (`consent_at`, `consent_by`)"
)


class NewStudent(Input):
    """A child the member buys classes for (学员): personal data, sealed with the member's."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "陈小雨", "birthday": "2017-06-01", "guardian_consent": True}]}
    )

    name: Name = Field(description="the student's name (学员姓名)")
    birthday: Birthday | None = Field(default=None, description=f"the student's {BIRTHDAY}")
    guardian_consent: bool = Field(default=False, description=GUARDIAN_CONSENT)

    @model_validator(mode="after")
    def _consented(self) -> Self:
        if not self.guardian_consent and getattr(self, "student_id", None) is None:
            raise PydanticCustomError(
                "guardian_consent", "a new student is added with their guardian's consent (guardian_consent: true)"
            )
        return self


class Student(NewStudent):
    """A student in an edit: with the `student_id` of one of the member's to keep them (and their cards; a birthday
    left out is kept, `null` clears it), without one to add a student (with the guardian's consent)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"student_id": "st_3c26722e", "name": "陈小雨"}]})

    student_id: Annotated[str, StringConstraints(pattern=r"^st_[0-9a-f]{8}$")] | None = Field(
        default=None, description="the student's id (`st_…`); left out for a new student"
    )
    consent_at: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="as read (a student read and sent back whole); ignored: the consent kept stays"
    )
    consent_by: Literal["member", "staff"] | None = Field(default=None, description="as read; ignored likewise")


class StudentOut(Schema):
    """A student (学员) of the member."""

    student_id: str = Field(description="the student's id (`st_…`), which their cards name")
    name: str = Field(description="the student's name (学员姓名)")
    birthday: date | None = Field(
        default=None, description="date of birth, YYYY-MM-DD; null when not given or not shown"
    )
    consent_at: str | None = Field(
        default=None,
        description=f"when the guardian's consent was given as the student was added; {UTC_INSTANT}; null: added "
        "before consents were kept",
    )
    consent_by: Literal["member", "staff"] | None = Field(
        default=None, description="who recorded it: the `member` on their own pages, or `staff` at a desk"
    )


class ConsentProof(Input):
    """When and where consents were given before they reached this platform (a migrated system, a paper
    form): kept with each consent as its proof."""

    given_at: Instant = Field(description=f"when the member gave them; {GIVEN_INSTANT}")
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), Trimmed] = Field(
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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "张伟",
                    "phone": "13800138000",
                    "email": "zhang.wei@example.com",
                    "gender": "male",
                    "birthday": "1990-05-20",
                    "city": "上海",
                    "home_store_id": "SH-001",
                    "tags": ["VIP"],
                    "consents": {"sms": True, "wechat": True},
                },
                {
                    "name": "王芳",
                    "phone": "+8613900139000",
                    "source": "import",
                    "member_no": "8000123458",
                    "registered_at": "2019-03-08T14:20:00+08:00",
                    "consents": {"sms": True},
                    "consent_proof": {"given_at": "2019-03-08T14:20:00+08:00", "source": "old-crm: signup form v3"},
                },
            ]
        }
    )

    name: Name = Field(
        default="",
        description=f"{NAME}; left out: 会员 and the phone's last four digits "
        "(a walk-in who gives only a phone, as tills register them)",
    )
    phone: Phone = Field(description=PHONE_IN)
    email: Email | None = Field(default=None, description=EMAIL)
    gender: Gender = Field(default=Gender.UNDISCLOSED, description=GENDER)
    birthday: Birthday | None = Field(default=None, description=BIRTHDAY)
    city: Text | None = Field(default=None, description=CITY)
    region: Text | None = Field(default=None, description=REGION)
    addresses: list[Address] = Field(default_factory=list, max_length=10, description=ADDRESSES)
    source: Source = Field(default=Source.STORE, description=SOURCE)
    referrer_id: Id | None = Field(default=None, description=REFERRER)
    home_store_id: Id | None = Field(default=None, description=f"{HOME_STORE}; null: none (e.g. joined online)")
    registered_at: Instant | None = Field(
        default=None, description=f"{REGISTERED_AT}; default now, set when importing; {GIVEN_INSTANT}"
    )
    tags: list[Tag] = Field(default_factory=list, max_length=50, description=TAGS)
    consents: Consents = Field(default_factory=dict, description=CONSENTS)
    consent_proof: ConsentProof | None = Field(default=None, description="when and where the consents were "
                                               "given, if not by this request (migration, paper form)")  # fmt: skip
    consent_proofs: dict[ConsentChannel, ConsentProof] = Field(
        default_factory=dict,
        description="a proof per channel, where each was given apart (a migrated system that kept one date per "
        "channel); a channel named here takes its own proof instead of `consent_proof`",
    )
    member_no: MemberNo | None = Field(default=None, description="keep an existing card number; else one is made")
    students: list[NewStudent] = Field(default_factory=list, max_length=10, description=STUDENTS)
    language: MessageLanguage | None = Field(default=None, description=MESSAGE_LANGUAGE)

    @model_validator(mode="after")
    def _named(self) -> MemberCreate:
        """A customer who gives only a phone is 会员 and its last four digits (会员5678) until they say their name."""
        if not self.name:
            self.name = f"会员{self.phone[-4:]}"
        return self

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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"email": "zhang.wei@example.com", "city": "杭州", "consents": {"sms": False}},
                {
                    "addresses": [
                        {
                            "label": "家",
                            "province": "上海市",
                            "city": "上海市",
                            "district": "静安区",
                            "detail": "南京西路 1515 号 12 楼",
                            "postal_code": "200040",
                        }
                    ],
                    "birthday": None,
                },
            ]
        }
    )

    clearable = frozenset({"email", "birthday", "city", "region"})

    name: Name | None = Field(default=None, description=NAME)
    email: Email | None = Field(default=None, description=f"{EMAIL}; null clears it")
    gender: Gender | None = Field(default=None, description=GENDER)
    birthday: Birthday | None = Field(default=None, description=f"{BIRTHDAY}; null clears it")
    city: Text | None = Field(default=None, description=f"{CITY}; null clears it")
    region: Text | None = Field(default=None, description=f"{REGION}; null clears it")
    addresses: list[Address] | None = Field(
        default=None, max_length=10, description=f"{ADDRESSES}: the whole list, replacing the old one"
    )
    consents: Consents | None = Field(default=None, description=f"{CONSENTS}; channels left out stay as they are")
    students: list[Student] | None = Field(
        default=None,
        max_length=10,
        description=f"{STUDENTS}: the whole list, replacing the old one (a student left "
        "out is removed; their cards stay, naming their id)",
    )

    def changes(self) -> dict[str, Any]:
        values = super().changes()
        if "addresses" in values:
            values["addresses"] = [address.model_dump(exclude_none=True) for address in values["addresses"]]
        if "students" in values:  # a birthday left out is kept, null clears it
            values["students"] = [student.model_dump(mode="json", exclude_unset=True) for student in values["students"]]
        return values


class MemberPatch(MyProfilePatch):
    """A staff member's JSON merge patch: everything a member may change, and the phone, home store, referrer,
    status and tags."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "frozen"},
                {"phone": "13700137000", "home_store_id": "SH-001", "tags": ["VIP", "老客"]},
            ]
        }
    )

    clearable = MyProfilePatch.clearable | {"home_store_id", "referrer_id"}

    phone: Phone | None = Field(default=None, description=PHONE_IN)
    home_store_id: Id | None = Field(default=None, description=f"{HOME_STORE}; null clears it")
    referrer_id: Id | None = Field(default=None, description=f"{REFERRER}; null clears it")
    status: Status | None = Field(
        default=None,
        description="active or frozen (冻结: keeps points, cannot spend them or log in); erase with DELETE",
    )
    tags: list[Tag] | None = Field(
        default=None, max_length=50, description=f"{TAGS}: the whole list, replacing the old one"
    )


class Consent(Schema):
    """One channel's marketing consent (营销授权) and its proof."""

    granted: bool = Field(description="whether the member agrees to marketing on this channel")
    updated_at: str = Field(description=f"when the member gave or withdrew it; {UTC_INSTANT}")
    source: str | None = Field(default=None, description="where it was given, when it came from elsewhere")


class MemberOut(Schema):
    """A member's profile (会员资料). Staff without `pii:read`, or serving a member whose home store is outside
    their stores, get `phone` and `email` masked and neither birthday nor addresses."""

    confidential = True

    member_id: str = Field(description=MEMBER_ID)
    member_no: str = Field(description=MEMBER_NO)
    name: str = Field(description=f"{NAME}; blank once erased")
    phone: str | None = Field(
        description="mobile phone (手机号) in E.164, e.g. `+8613800138000`, or masked; null once erased"
    )
    phone_masked: str | None = Field(description=PHONE_MASKED)
    email: str | None = Field(description=f"{EMAIL}, or masked (`z***@example.com`)")
    gender: Gender = Field(description=GENDER)
    birthday: date | None = Field(description="date of birth (生日), YYYY-MM-DD; null when not given or not shown")
    city: str | None = Field(description=CITY)
    region: str | None = Field(description=REGION)
    addresses: list[Address] = Field(description=f"{ADDRESSES}; empty when not shown")
    students: list[StudentOut] = Field(
        default_factory=list, description=f"{STUDENTS}; their birthdays not shown when the member's is not"
    )
    source: Source = Field(description=SOURCE)
    referrer_id: str | None = Field(description=REFERRER)
    home_store_id: str | None = Field(description=f"{HOME_STORE}; null: none")
    registered_at: str = Field(description=f"{REGISTERED_AT}; {UTC_INSTANT}")
    status: Status = Field(description=STATUS)
    tier: str = Field(description=TIER)
    tags: list[str] = Field(description=TAGS)
    consents: dict[str, Consent] = Field(
        description="marketing consent (营销授权) by channel: `sms`, `email`, `push`, `wechat`"
    )
    created_at: str = Field(description=f"when the profile was created; {UTC_INSTANT}")
    updated_at: str = Field(description=f"when the profile last changed; {UTC_INSTANT}")
    erased_at: str | None = Field(description=f"when the member was erased; {UTC_INSTANT}; null unless erased")
    version: int = Field(description=VERSION)

    @classmethod
    def of(cls, member: Member, phone_masked: str | None) -> MemberOut:
        fields = {
            name: value
            for name, value in member.__dict__.items()
            if name not in ("changed", "returning", "birthday_recorded_on")
        }
        return cls.model_validate({**fields, "phone_masked": phone_masked})


class MemberReadQuery(Input):
    """How a member is read."""

    masked: bool = Field(
        default=False,
        description="mask personal data whatever the caller may read, and record no read (a profile opened before "
        "anyone asks to see the phone)",
    )


class MemberBrief(Schema):
    """Whose row it is, as member lists show them: a list of a store's sales or the chain's orders names the member,
    not an id."""

    confidential = True  # a name with a masked phone points at one person: answers carrying it are not cached
    member_no: str | None = Field(description="their member number; null once erased or unknown")
    name: str = Field(description="their name (empty once erased)")
    phone_masked: str | None = Field(description=PHONE_MASKED)


class MemberSummary(Schema):
    """A list row: what staff scan, with the phone masked and nothing to decrypt."""

    confidential = True  # a name with a store and a masked phone still points at one person

    member_id: str = Field(description=MEMBER_ID)
    member_no: str = Field(description=MEMBER_NO)
    name: str = Field(description=NAME)
    phone_masked: str | None = Field(description=PHONE_MASKED)
    home_store_id: str | None = Field(description=f"{HOME_STORE}; null: none")
    tier: str = Field(description=TIER)
    status: Status = Field(description=STATUS)
    registered_at: str = Field(description=f"{REGISTERED_AT}; {UTC_INSTANT}")


class MemberPage(Schema):
    """A page of members, newest registration first; a filtered page may be short while more follow."""

    items: list[MemberSummary] = Field(description="this page's members")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class MemberListQuery(Input):
    """Which members to list: filters on home store, tier, status and registration days."""

    store_id: Id | None = Field(
        default=None, description="only members of this home store; staff scoped to several stores name one"
    )
    tier: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        default=None, description="only members at this tier code (会员等级), e.g. `gold`"
    )
    status: Status | None = Field(default=None, description="only members of this status")
    registered_from: Annotated[Day, AfterValidator(_listable)] | None = Field(
        default=None, description=f"only members registered on or after this day; {BUSINESS_DATE}"
    )
    registered_to: Annotated[Day, AfterValidator(_listable)] | None = Field(
        default=None, description=f"only members registered on or before this day; {BUSINESS_DATE}"
    )
    limit: int = Field(default=50, ge=1, le=200, description="the most members a page holds")
    cursor: str | None = Field(default=None, max_length=4096, description="the previous page's `next_cursor`")

    @model_validator(mode="after")
    def _ordered(self) -> MemberListQuery:
        if self.registered_from and self.registered_to and self.registered_from > self.registered_to:
            raise ValueError("registered_from is after registered_to")
        return self


class MemberSearch(MemberListQuery):
    """Find members by phone, member number or whole name (in the body, never in a URL), with the list's filters."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"q": "张伟"}, {"q": "138 0013 8000"}, {"q": "8000123458", "status": "active"}]}
    )

    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Trimmed] = Field(
        description="what was typed in the search box: a phone (手机号, spaces and dashes allowed), a member number "
        "(会员卡号) or a whole name (姓名; case, width and spaces do not matter, parts of names find nothing)"
    )


class Lookup(Input):
    """Find a member by exactly one of phone, member number, email or the member's code (in the body, never
    in a URL). Every miss answers the same 404, whether nobody matches or a code has expired."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"phone": "13800138000"},
                {"member_no": "8000123458"},
                {"code": "668000123458493817"},
                {"email": "zhang.wei@example.com"},
            ]
        }
    )

    phone: Phone | None = Field(default=None, description="mobile phone (手机号); mainland numbers may omit +86")
    member_no: MemberNo | None = Field(default=None, description=MEMBER_NO)
    email: Email | None = Field(default=None, description="email address (case does not matter)")
    code: str | None = Field(default=None, max_length=40, pattern=r"^[0-9A-Za-z-]+$",
                             description="the member's code (会员码) as scanned from the member pages")  # fmt: skip
    masked: bool = Field(
        default=False,
        description="true: the member answered as the counter shows them, phone and email masked, whatever the "
        "caller may read, and no read of a full phone recorded (the counter never shows one)",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Lookup:
        if sum(value is not None for value in (self.phone, self.member_no, self.email, self.code)) != 1:
            raise ValueError("give exactly one of phone, member_no, email and code")
        return self


class MemberCodeOut(Schema):
    """The member's code (会员码) to show as a QR code and barcode; a cashier's lookup resolves it."""

    confidential = True  # a bearer of the member's presence for two minutes

    code: str = Field(description="`66`, the member number and a one-time value of this minute")
    expires_at: datetime = Field(description=f"when a lookup stops accepting it; {UTC_INSTANT}")
    refresh_after: int = Field(description="seconds until the next code should be shown")


class TillCodeSent(Schema):
    """A till code (门店验证码) texted to the member: they read its six digits to the cashier, who gives them as the
    `member_code` of the payment, redemption or use."""

    phone_masked: str = Field(description=PHONE_MASKED)
    expires_at: str = Field(description=f"when it stops being accepted (five to ten minutes); {UTC_INSTANT}")


IMPORT_ID = "the import's id (`im_…`)"
IMPORT_STATUS = (
    "`awaiting-file` (upload it, then start), `planning` (a worker reads the file), `planned` (its chunks are "
    "queued), `running` (chunks being imported), `completed` or `failed` (see `error`)"
)


class ImportCreate(Input):
    """A member import (会员导入) of a CSV file: its encoding. The file goes to the upload URL of the answer."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"encoding": "utf-8"}, {"encoding": "gbk"}]})

    encoding: Literal["utf-8", "gbk", "gb18030"] = Field(
        default="utf-8", description="the file's encoding: `utf-8` (a byte order mark is fine) or `gbk`/`gb18030` "
        "for spreadsheet exports"
    )  # fmt: skip


class UploadOut(Schema):
    """Where to send the file: `method` (PUT) to `url` with `headers`, the CSV file as the body, before
    `expires_at` (e.g. `curl -X PUT -H 'Content-Type: text/csv' --data-binary @members.csv "$url"`)."""

    url: str = Field(description="a presigned URL of the imports bucket (S3; the local stack's emulator locally)")
    method: Literal["PUT"] = Field(description="the HTTP method of the upload")
    headers: dict[str, str] = Field(description="headers the upload must send, exactly (`Content-Type: text/csv`)")
    expires_at: str = Field(description=f"when the URL stops working; {UTC_INSTANT}")


class ImportOut(Schema):
    """A member import's progress (导入进度): its status, rows counted so far and chunks done."""

    import_id: str = Field(description=IMPORT_ID)
    status: Literal["awaiting-file", "planning", "planned", "running", "completed", "failed"] = Field(
        description=IMPORT_STATUS
    )
    encoding: str = Field(description="the file's encoding")
    created_at: str = Field(description=f"when the import was created; {UTC_INSTANT}")
    started_at: str | None = Field(description=f"when it was started; {UTC_INSTANT}; null before")
    finished_at: str | None = Field(description=f"when it completed or failed; {UTC_INSTANT}; null before")
    rows: int = Field(description="rows in the file (blank lines aside), known once planned")
    imported: int = Field(description="rows registered as members by this import so far")
    skipped: int = Field(description="rows an earlier import already brought in, unchanged (a re-run)")
    failed: int = Field(description="rows refused so far (see the error report)")
    errors: int = Field(description="lines of the error report so far (a row may have several)")
    chunks: int = Field(description="parts of the file imported apart (500 rows each), known once planned")
    chunks_done: int = Field(description="parts done so far")
    error: str | None = Field(description="why the import failed (an unreadable file, a bad header); null otherwise")


class ImportCreated(ImportOut):
    """A new member import awaiting its file, and where to upload it."""

    upload: UploadOut = Field(description="where to send the file")
