"""Field types every schema shares for days, instants and text people type.

A day or instant is taken only between 1900-01-01 and 2100-12-31: far enough inside the calendar's own ends
(years 1 and 9999) that every sum the platform does with one (time zone offsets, grace days, validity
months, date ranges) stays a valid date, so an absurd date is a 422 with its field, never a 500 later on.
Schemas narrow these further where the business has a rule (birthdays not in the future, and so on).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)


def within_calendar(value: date) -> date:
    """A day between FIRST_DAY and LAST_DAY; ValueError otherwise."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"a date between {FIRST_DAY} and {LAST_DAY}")
    return value


def _aware_within_calendar(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise ValueError("include a UTC offset, e.g. 2026-11-11T10:00:00+08:00")
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise ValueError(f"a time between {FIRST_DAY} and {LAST_DAY}")
    return value


Day = Annotated[date, AfterValidator(within_calendar)]
# an id a caller chooses: a store's, an order's, a plan's
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
Instant = Annotated[datetime, AfterValidator(_aware_within_calendar)]

# Direction overrides and isolates: they make text read otherwise than it is stored, so input refuses them
# wherever they stand (``http.Input``) instead of trimming them
DIRECTION_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_DIRECTION_CONTROL = re.compile(f"[{DIRECTION_CONTROLS}]")
# Letters that show nothing, used to pass off an empty name as text: Hangul fillers, the braille blank, the
# combining grapheme joiner
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")


def _shows_nothing(character: str) -> bool:
    if _DIRECTION_CONTROL.match(character):
        return False
    return character.isspace() or unicodedata.category(character) == "Cf" or character in _BLANK_LETTERS


def trim_invisible(value: object) -> object:
    """Text without the spaces and invisible characters at its ends (format characters such as zero-width spaces
    and joiners, the byte-order mark, soft hyphens; blank letters): so a name of nothing but those is empty, and
    a field that needs text refuses it. Inside text they stay (a joiner inside an emoji is part of it)."""
    if not isinstance(value, str):
        return value
    start, end = 0, len(value)
    while start < end and _shows_nothing(value[start]):
        start += 1
    while end > start and _shows_nothing(value[end - 1]):
        end -= 1
    return value[start:end]


# Put after a text field's StringConstraints (so the schema keeps them): it runs first, so the length counts from
# the first to the last visible character
Trimmed = BeforeValidator(trim_invisible)
ProductName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), Trimmed]
"""A product's name as a receipt prints it (商品名称)."""

# How field descriptions name units, so every schema says them alike (the OpenAPI document explains them once)
FEN = "integer fen (分, 1/100 CNY)"
BUSINESS_DATE = "a business date, YYYY-MM-DD in the business time zone"
UTC_INSTANT = "a UTC instant, ISO 8601"
REASON_EN = (
    "the reason in English where the platform wrote it, words a person typed kept as typed inside it (English pages "
    "show it); null where the reason is a person's or a partner's words alone, where `reason` is withheld, and on "
    "entries older than this field"
)
GIVEN_INSTANT = "ISO 8601 with a UTC offset, e.g. 2026-11-11T10:30:00+08:00"
VERSION = 'the version, which the `ETag` header quotes (`"7"`): send it back in `If-Match` to edit'
NEXT_CURSOR = "give it as `cursor` to read the next page; null on the last page"


# Personal data a reason must not carry: a mainland mobile number (its carriers' prefixes, written whole or in groups
# of 3-4-4 split by a space, dot or dash, with or without +86), an email address, a resident ID number (a region, a
# birth date and its check digit right). Read on the text as typed in half-width form without invisible characters;
# an order number, a coupon code or a batch of numbers is not taken for one.
_SPLIT = r"[ .\-–—]?"
_MOBILE = re.compile(
    rf"(?<![0-9A-Za-z])(?:\+?86{_SPLIT})?1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])"
    rf"{_SPLIT}\d{{4}}{_SPLIT}\d{{4}}(?![0-9])"
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z])"
)
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])([1-8]\d)\d{4}((?:19|20)\d{6})\d{3}[\dXx](?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _resident_id(match: re.Match[str]) -> bool:
    """A resident ID number: a province's code (11-82), a real birth date, and its check digit right."""
    number, region, born = match.group(0).upper(), int(match.group(1)), match.group(2)
    try:
        datetime.strptime(born, "%Y%m%d")
    except ValueError:
        return False
    check = "10X98765432"[sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True)) % 11]
    return 11 <= region <= 82 and number[17] == check


def without_personal_data(text: str) -> str:
    """``text`` if it holds no phone number, email address or resident ID number; ValueError otherwise. A reason staff
    type is shown to the member and travels in the write's event to the audit log, the BI files and every consumer,
    which never hold personal data: a person is named by their member id, not by their phone."""
    plain = "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf")
    found = ("a phone number" if _MOBILE.search(plain) else "an email address" if _EMAIL.search(plain)
             else "an ID number" if any(_resident_id(m) for m in _RESIDENT_ID.finditer(plain)) else None)  # fmt: skip
    if found:
        raise ValueError(f"leave personal data out ({found}): reasons are kept in the audit log and the history")
    return text


Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Trimmed,
    AfterValidator(without_personal_data),
]  # fmt: skip
"""Why staff (or a member) did something, in words: shown in the member's history and kept with the write's event."""


def _without_spaces(value: Any) -> Any:
    return "".join(value.split()) if isinstance(value, str) else value


MemberCode = Annotated[
    str, BeforeValidator(_without_spaces), StringConstraints(max_length=40, pattern=r"^[0-9A-Za-z-]+$")
]  # fmt: skip
"""A member's code (会员码) as scanned or typed from their pages (`GET /v1/me/code`), spaces as the pages group it
left out (a walkthrough: typed as shown, it was refused): proof the member is there."""
