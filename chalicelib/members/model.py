"""Member rules that need no storage: phone numbers, masking, member numbers, what may change and how."""

from __future__ import annotations

import contextlib
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

DEFAULT_REGION = "CN"
MEMBER_NO_DIGITS = 10  # 9 random digits and a Luhn check digit
CONSENT_CHANNELS = ("sms", "email", "push", "wechat")


class InvalidPhone(ValueError):
    pass


class Gender(StrEnum):
    """A member's gender (性别), as they state it; `undisclosed` unless they do."""

    FEMALE = "female"
    MALE = "male"
    UNDISCLOSED = "undisclosed"


class Source(StrEnum):
    """How a member joined (注册渠道): at a store, online, referred by a member, from ads, at an offline event, or
    imported from another system."""

    STORE = "store"
    ONLINE = "online"
    REFERRAL = "referral"
    ADS = "ads"
    OFFLINE_EVENT = "offline_event"
    IMPORT = "import"


class Status(StrEnum):
    """A membership's status: `active`; `frozen` (冻结: keeps its points but cannot spend them or log in); `erased`
    (已注销: anonymised for good)."""

    ACTIVE = "active"
    FROZEN = "frozen"
    ERASED = "erased"


def normalise_phone(raw: str) -> str:
    """The E.164 form of a phone number; mainland numbers may omit +86, and full-width digits are digits. Letters
    are refused rather than read as a vanity number (a typo would become someone else's number), and so is an
    extension (a member's phone takes texts). Raises InvalidPhone."""
    import phonenumbers

    if any(character.isalpha() for character in raw):
        raise InvalidPhone("digits only: a phone number has no letters")
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidPhone("not a phone number") from None
    if number.extension:
        raise InvalidPhone("a phone number without an extension")
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def mask_phone(e164: str) -> str:
    """A phone as shown to those who may not see it whole: 138****1234 for mainland numbers."""
    national = e164.removeprefix("+86") if e164.startswith("+86") else e164
    if len(national) <= 7:
        return "*" * len(national)
    return national[:3] + "*" * (len(national) - 7) + national[-4:]


def mask_email(email: str | None) -> str | None:
    """An email as shown to those who may not see it whole: z***@example.com."""
    if not email:
        return None
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_name(name: str) -> str:
    """A name as shown to those who may not read personal data: its first character, the rest starred (小*); a name
    of one character, starred whole."""
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def normalise_email(raw: str) -> str:
    """Emails are compared case-insensitively."""
    return raw.strip().lower()


def normalise_name(raw: str) -> str:
    """A name as a search finds it: whole names match, whatever their case, width (全角/半角) and spaces, so 张 伟 is
    张伟 and ＬＩ　Ｎａ is Li Na; nothing else does (no prefixes or parts: an index of whole names needs no scan)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).casefold()


_TYPED_PHONE = re.compile(r"\+?[0-9]{6,15}")
_MEMBER_NO = re.compile(r"[0-9A-Za-z-]{4,20}")


def search_terms(text: str) -> list[tuple[str, str]]:
    """What a search box may mean, in the order to try: a phone (a valid number, typed with spaces or dashes or
    not; mainland numbers without +86), then a member number (4 to 20 letters, digits or dashes, one digit at least);
    text that is neither is a name. The first kind that finds a member wins."""
    text = text.strip()
    compact = re.sub(r"[\s-]", "", text)
    terms: list[tuple[str, str]] = []
    if _TYPED_PHONE.fullmatch(compact):
        with contextlib.suppress(InvalidPhone):  # digits that are no phone may be a member number
            terms.append(("phone", normalise_phone(compact)))
    if _MEMBER_NO.fullmatch(text) and any(character.isdigit() for character in text):
        terms.append(("member_no", text))
    return terms or [("name", normalise_name(text))]


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of ``digits``: catches any single mistyped digit and most swaps."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def new_member_no() -> str:
    """A fresh member number (会员卡号): 10 digits, printable, for POS lookup, barcodes and QR codes."""
    body = str(secrets.randbelow(9 * 10 ** (MEMBER_NO_DIGITS - 2)) + 10 ** (MEMBER_NO_DIGITS - 2))
    return body + luhn_digit(body)


@dataclass
class Member:
    """A member profile with personal fields in the clear (only ever in memory)."""

    member_id: str
    member_no: str
    name: str
    phone: str | None
    email: str | None
    gender: Gender
    birthday: date | None
    city: str | None
    region: str | None
    addresses: list[dict[str, Any]]
    source: Source
    referrer_id: str | None
    home_store_id: str | None
    registered_at: str
    status: Status
    tier: str
    tags: list[str]
    consents: dict[str, dict[str, Any]]
    created_at: str
    updated_at: str
    version: int
    erased_at: str | None = None
    returning: bool = False  # joined with a phone an erased member had, so welcomed before (no welcome gift again)
    birthday_recorded_on: str | None = None  # the business day the birthday was recorded (None: before this was kept)
    students: list[dict[str, Any]] = field(default_factory=list)  # children the member buys classes for (学员)
    changed: set[str] = field(default_factory=set)


EDITABLE = frozenset(
    {"name", "phone", "email", "gender", "birthday", "city", "region", "addresses", "home_store_id", "referrer_id",
     "status", "tags", "consents", "students"}
)  # fmt: skip


SHOWN_IN_AUDIT = frozenset({"status", "home_store_id", "referrer_id", "consents"})
"""Editable fields whose values before and after an edit its event (and so the audit log) shows. The others are
personal data (name, phone, email, gender, birthday, addresses, city, region and students, which erasure clears while
the audit log outlives it, and tags, which may say more than they should) and are named only."""


def with_student_ids(
    current: list[dict[str, Any]], given: list[dict[str, Any]], now: str = "", by: str = "staff"
) -> list[dict[str, Any]]:
    """The member's students (学员: the children a parent buys classes for) after an edit giving the whole list: a
    student keeps their id (``st_`` and 8 hex digits) when the edit names it, one of the member's, and what the edit
    leaves out (a birthday its reader was not shown; ``None`` clears it); a new one gets a fresh id, never one used
    before (cards name students by id, so a student removed and another added are never confused), and the guardian's
    consent it was added with, stamped (``consent_at`` ``now``, ``consent_by`` ``member`` on their own pages, else
    ``staff`` at a desk: PIPL art. 31, a child's data is kept with a guardian's consent). Names are the member's
    personal data, sealed with theirs; nothing else stores them."""
    known = {student["student_id"] for student in current}
    unknown = sorted({s["student_id"] for s in given if s.get("student_id")} - known)
    if unknown:
        raise RuleBroken(f"not a student of this member: {', '.join(unknown)}")
    ids = [s["student_id"] for s in given if s.get("student_id")]
    if len(ids) != len(set(ids)):
        raise RuleBroken("a student is named twice")
    if any(not s.get("student_id") and not s.get("guardian_consent") for s in given):
        raise RuleBroken("a new student is added with their guardian's consent (guardian_consent)")
    kept = {student["student_id"]: student for student in current}
    consent = {"consent_at": now, "consent_by": by}
    said = [{name: value for name, value in s.items() if name not in ("guardian_consent", *consent)} for s in given]
    merged = [
        {
            **kept.get(s.get("student_id") or "", {}),
            **s,
            "student_id": s.get("student_id") or new_student_id(),
            **({} if s.get("student_id") else consent),
        }
        for s in said
    ]  # fmt: skip  a consent kept as given
    return [{name: value for name, value in s.items() if value is not None} for s in merged]


def new_student_id() -> str:
    return f"st_{secrets.token_hex(4)}"


class RuleBroken(ValueError):
    """A change the rules refuse; the message says which rule."""


def apply_changes(member: Member, changes: dict[str, Any], now: str, by: str = "staff") -> Member:
    """The member after an edit (``by`` staff, or the ``member`` themself). Erased members cannot be edited; erasure
    is its own operation.

    Status moves only between active and frozen here. Consents are merged per channel, each stamped with
    the time it changed.
    """
    if member.status is Status.ERASED:
        raise RuleBroken("an erased member cannot be edited")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise RuleBroken(f"not editable: {', '.join(sorted(unknown))}")
    if changes.get("status") == Status.ERASED:
        raise RuleBroken("erase a member with DELETE, not by setting the status")
    updated = Member(**{**member.__dict__, "changed": set()})
    for name, value in changes.items():
        if name == "consents":
            updated.consents = merge_consents(member.consents, value, now)
        elif name == "students":
            updated.students = with_student_ids(member.students, value, now, by)
        else:
            setattr(updated, name, value)
        if getattr(updated, name) != getattr(member, name):
            updated.changed.add(name)
    if updated.changed:
        updated.updated_at = now
    return updated


def merge_consents(
    current: dict[str, dict[str, Any]], given: dict[str, bool], now: str, source: str | None = None
) -> dict[str, dict[str, Any]]:
    """Channel consents after ``given``: a channel whose answer changes is stamped ``now`` (when it was given)
    and, as proof, with ``source`` (where it was given, e.g. a migrated system's form) when there is one."""
    merged = {channel: dict(value) for channel, value in current.items()}
    for channel, granted in given.items():
        if merged.get(channel, {}).get("granted") != granted:
            merged[channel] = {"granted": granted, "updated_at": now, **({"source": source} if source else {})}
    return merged
