"""Field types every schema shares for days and instants.

A day or instant is taken only between 1900-01-01 and 2100-12-31: far enough inside the calendar's own ends
(years 1 and 9999) that every sum the platform does with one (time zone offsets, grace days, validity
months, date ranges) stays a valid date, so an absurd date is a 422 with its field, never a 500 later on.
Schemas narrow these further where the business has a rule (birthdays not in the future, and so on).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator

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
Instant = Annotated[datetime, AfterValidator(_aware_within_calendar)]

# How field descriptions name units, so every schema says them alike (the OpenAPI document explains them once)
FEN = "integer fen (分, 1/100 CNY)"
BUSINESS_DATE = "a business date, YYYY-MM-DD in the business time zone"
UTC_INSTANT = "a UTC instant, ISO 8601"
GIVEN_INSTANT = "ISO 8601 with a UTC offset, e.g. 2026-11-11T10:30:00+08:00"
VERSION = 'the version, which the `ETag` header quotes (`"7"`): send it back in `If-Match` to edit'
NEXT_CURSOR = "give it as `cursor` to read the next page; null on the last page"
