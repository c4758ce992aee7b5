"""Time: instants in UTC, business dates in the configured zone, on one clock for the whole platform.

Tests pin the clock with ``frozen``. A stage that allows test clocks (``LOYALTY_TEST_CLOCK``, never production)
can be moved by whole days with ``cli clock set``: the offset is kept in the database, so the API, the jobs and
the CLI see the same "today" (each process reads it again at most every ``OFFSET_CACHE_SECONDS``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

OFFSET_CACHE_SECONDS = 2.0
_frozen: datetime | None = None
_offset: tuple[float, timedelta] | None = None  # (monotonic time read, offset) of a moved clock


def now() -> datetime:
    """The current instant, timezone-aware UTC, moved by the stage's test clock if it has one."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _test_clock_offset()


def real_now() -> datetime:
    """The instant on the wall clock, whatever a test clock says: what security measures (token lifetimes,
    signature freshness, a run's progress) and the test clock itself is moved from. ``frozen`` pins it too."""
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


def business_days_span(first: date, last: date, tz: ZoneInfo) -> tuple[str, str]:
    """The stored instants (``iso``) from the start of business day ``first`` to the last millisecond of ``last``:
    a range condition for records keyed by when they happened."""
    starts = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    return iso(starts), iso(end_of_business_day(last, tz) - timedelta(milliseconds=1))


@contextlib.contextmanager
def frozen(instant: datetime) -> Iterator[None]:
    """Pin ``now()`` for a test or a replayed job."""
    global _frozen
    previous, _frozen = _frozen, instant.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous


def _test_clock_offset() -> timedelta:
    global _offset
    from chalicelib.shared.settings import get_settings

    if not get_settings().test_clock:
        return timedelta(0)
    if _offset is None or time.monotonic() - _offset[0] > OFFSET_CACHE_SECONDS:
        from chalicelib.shared.testclock import stored_offset

        _offset = (time.monotonic(), stored_offset())
    return _offset[1]


def forget_test_clock() -> None:
    """Read the test clock's offset again on the next ``now()`` (after moving it, or between tests)."""
    global _offset
    _offset = None
