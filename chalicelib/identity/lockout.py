"""Lockouts: five wrong passwords in a row lock an account (staff or member) for 15 minutes.

While locked even the right password is refused (429 with Retry-After); the right password before that
clears the count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.identity.records import LockoutRecord
from chalicelib.shared import clock
from chalicelib.shared.errors import RateLimited

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


def refuse_if_locked(subject: str) -> LockoutRecord | None:
    """Raise 429 while ``subject`` is locked; else return its failure count, if any."""
    lockout = LockoutRecord.find(subject)
    now = clock.now()
    if lockout and lockout.locked_until and datetime.fromisoformat(lockout.locked_until) > now:
        wait = int((datetime.fromisoformat(lockout.locked_until) - now).total_seconds()) + 1
        raise RateLimited("Too many wrong passwords; the account is locked for now", retry_after=wait)
    return lockout


def count_failure(subject: str) -> None:
    """Count a wrong password atomically; the fifth in a row locks the account."""
    record = LockoutRecord(subject)
    expires = clock.now() + timedelta(days=1)
    record.update(actions=[LockoutRecord.failures.add(1), LockoutRecord.expires_at.set(expires)])
    if (record.failures or 0) >= MAX_FAILURES:
        until = clock.iso(clock.now() + LOCKOUT)
        LockoutRecord(subject).update(actions=[LockoutRecord.locked_until.set(until), LockoutRecord.failures.set(0)])


def clear(subject: str) -> None:
    LockoutRecord(subject).delete()
