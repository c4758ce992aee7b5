"""Lockouts: five wrong passwords in a row lock an account (staff or member) for 15 minutes.

Each attempt is counted before its password is checked, in one conditional update, so parallel guesses
cannot slip past the count: the sixth attempt within the lock is refused (429 with Retry-After) even with
the right password. The right password clears the count. A lock lapses 15 minutes after the last counted
attempt.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib.identity.records import LockoutRecord
from chalicelib.shared import clock
from chalicelib.shared.errors import RateLimited

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


def begin_attempt(subject: str) -> None:
    """Count an attempt for ``subject``; 429 while five uncleared attempts are younger than the lockout."""
    now = clock.now()
    record = LockoutRecord(subject)
    L = LockoutRecord
    open_ = L.failures.does_not_exist() | (L.failures < MAX_FAILURES) | (L.last_attempt_at < clock.iso(now - LOCKOUT))
    try:
        record.update(
            actions=[
                L.failures.add(1),
                L.last_attempt_at.set(clock.iso(now)),
                L.expires_at.set(now + timedelta(days=1)),
            ],
            condition=open_,
        )
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        current = LockoutRecord.find(subject)
        last = current.last_attempt_at if current else None
        until = datetime.fromisoformat(last) + LOCKOUT if last else now
        wait = max(1, int((until - now).total_seconds()) + 1)
        raise RateLimited("Too many wrong passwords; the account is locked for now", retry_after=wait) from None
    if (record.failures or 0) > MAX_FAILURES:  # the first attempt after a lock lapsed starts a new count
        try:
            LockoutRecord(subject).update(actions=[L.failures.set(1)], condition=L.failures == record.failures)
        except UpdateError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise


def clear(subject: str) -> None:
    """The right password: the count starts again."""
    LockoutRecord(subject).delete()
