"""Test clocks: move a non-production stage's "today" by whole days, so a business can rehearse the future
(a year-end downgrade, an expiry, a reminder) on a copy of its data and see what members would see.

The offset is one item in the jobs table, read by every process through ``clock.now()``. Moving the clock
never rewrites data: entries keep the instants they were booked at, and jobs run for the moved "today".
"""

from __future__ import annotations

from datetime import date, timedelta

from chalicelib.shared import clock
from chalicelib.shared.errors import Conflict, ValidationFailed
from chalicelib.shared.jobs import PLATFORM, Job, JobRecord, all_jobs, recent_reports, watermark
from chalicelib.shared.settings import get_settings

CLOCK_ITEM = "test-clock"


class TestClocksNotAllowed(Conflict):
    slug, title = "test-clocks-not-allowed", "This stage does not allow test clocks"


def stored_offset() -> timedelta:
    """The offset the stage's test clock is moved by (zero when it is not moved)."""
    record = JobRecord.find(PLATFORM, CLOCK_ITEM)
    return timedelta(days=int(record.offset_days or 0)) if record else timedelta(0)


def set_today(today: date) -> timedelta:
    """Move the platform's "today" to ``today`` (the time of day keeps running); returns the offset. Only forward, as
    payment platforms' test clocks go: a day before the real today would date new entries before those kept, and
    run nights for days the platform held no data yet (an operator ran expiry for a day before its first)."""
    _require_allowed()
    real_today = clock.business_date(clock.real_now(), get_settings().tz)
    if today < real_today:
        detail = f"a test clock moves today forward, to rehearse what comes: not before {real_today.isoformat()}"
        raise ValidationFailed([{"field": "day", "in": "body", "message": detail}], detail)
    offset_days = (today - real_today).days
    JobRecord(PLATFORM, CLOCK_ITEM, offset_days=offset_days, as_of=today.isoformat()).save()
    clock.forget_test_clock()
    return timedelta(days=offset_days)


def reset() -> dict[str, date]:
    """Return the platform to real time. Returns the jobs whose runs reached days after the real today (a rehearsal
    ran them): their watermarks stay, so the nights for those days will not run again on this data (an operator
    found no word of it); restoring the data kept aside before ``clock set`` undoes them."""
    _require_allowed()
    JobRecord(PLATFORM, CLOCK_ITEM).delete()
    clock.forget_test_clock()
    today = clock.business_today()
    ahead = {job.name: last for job in all_jobs() if (last := _last_day_run(job)) is not None and last > today}
    return dict(sorted(ahead.items()))


def _last_day_run(job: Job) -> date | None:
    """The latest day a completed run of ``job`` was for: its watermark, or its newest run's day when that is later
    (a job acting as the day begins settles only the day before; a new user read the reminders run for a day named
    as the day before it)."""
    days = [day for day in [watermark(job)] if day is not None]
    days += [date.fromisoformat(run.as_of) for run in recent_reports(job.name, 1) if run.status == "completed"]
    return max(days, default=None)


def _require_allowed() -> None:
    settings = get_settings()
    if not settings.test_clock:
        raise TestClocksNotAllowed(
            f"stage {settings.stage!r} does not allow test clocks (LOYALTY_TEST_CLOCK is off; never in production)"
        )
