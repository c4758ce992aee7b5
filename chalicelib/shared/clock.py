"""Time: instants in UTC, business dates in the configured zone. Tests move time with ``frozen``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def iso(instant: datetime) -> str:
    """UTC ISO 8601 with milliseconds and a Z, the one format instants are stored and served in."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def business_date(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar date of ``instant`` in the business time zone."""
    return instant.astimezone(tz).date()


def business_today() -> date:
    """Today in the business time zone (``LOYALTY_TZ``)."""
    from chalicelib.shared.settings import get_settings

    return business_date(now(), get_settings().tz)


def end_of_business_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant after ``day`` in the business zone: a thing valid "through" ``day`` ends here."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz).astimezone(UTC)


@contextlib.contextmanager
def frozen(instant: datetime) -> Iterator[None]:
    """Pin ``now()`` for a test or a replayed job."""
    global _frozen
    previous, _frozen = _frozen, instant.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous
