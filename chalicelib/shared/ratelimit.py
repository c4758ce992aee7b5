"""Rate limits: a counter item per (bucket, window), taken in the caller's transaction.

A fixed window of ``seconds`` allows ``count`` requests. ``take`` adds one conditional increment per limit to
a transaction, so a request either counts against every window and does its work, or is refused (429 with
Retry-After: the seconds left in the full window) and writes nothing at all. Counters expire with their
window (TTL is clean-up only: the window is part of the key, so an old counter is never read again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.attributes import TTLAttribute, UnicodeAttribute

from chalicelib.shared import clock
from chalicelib.shared.db import NumberAttribute, Record, Transaction, table
from chalicelib.shared.errors import RateLimited


@table
class RateRecord(Record):
    logical_name = "rates"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "rates"

    key = UnicodeAttribute(hash_key=True)  # "<bucket>#<seconds>#<window number>"
    used = NumberAttribute(default=0)
    expires_at = TTLAttribute()


@dataclass(frozen=True)
class Limit:
    """At most ``count`` requests per ``seconds``; ``refusal`` explains a refusal to the caller."""

    count: int
    seconds: int
    refusal: str


def take_in_window(tx: Transaction, key: str, limit: int, until: datetime, refusal: Exception, amount: int = 1) -> None:
    """Count ``amount`` (one, or fen of a sale) against ``limit`` for a window the caller names in ``key`` (a
    business day, a month), which ends at ``until``; ``refusal`` is raised when it would pass the limit."""
    if amount > limit:
        raise refusal
    keep_until = max(until, clock.now()) + timedelta(days=35)  # a back-dated window is kept as long as a new one
    actions = [RateRecord.used.add(amount), RateRecord.expires_at.set(keep_until)]
    below = RateRecord.used.does_not_exist() | (RateRecord.used <= limit - amount)
    tx.update(RateRecord(key), actions, condition=below, on_fail=refusal)


def refusal_now(*limits: tuple[str, Limit]) -> RateLimited | None:
    """The refusal ``take`` would give now for the first (bucket, limit) whose window is full, else None, in one
    consistent read of them all: for a check that counts only failures, yet must refuse a success once they reached
    the limit."""
    now = int(clock.now().timestamp())
    wanted = {f"{bucket}#{limit.seconds}#{now // limit.seconds}": limit for bucket, limit in limits}
    full = {counter.key for counter in RateRecord.batch_get(list(wanted), consistent_read=True)
            if int(counter.used or 0) >= wanted[counter.key].count}  # fmt: skip
    for key, limit in wanted.items():
        if key in full:
            return RateLimited(limit.refusal, retry_after=max(1, (now // limit.seconds + 1) * limit.seconds - now))
    return None


def take(tx: Transaction, bucket: str, *limits: Limit) -> None:
    """Count one request against each of ``limits`` for ``bucket`` when ``tx`` commits."""
    now = clock.now()
    for limit in limits:
        window = int(now.timestamp()) // limit.seconds
        ends = (window + 1) * limit.seconds
        retry_after = max(1, ends - int(now.timestamp()))
        actions = [RateRecord.used.add(1), RateRecord.expires_at.set(now + timedelta(seconds=retry_after + 3600))]
        below = RateRecord.used.does_not_exist() | (RateRecord.used < limit.count)
        refused = RateLimited(limit.refusal, retry_after=retry_after)
        tx.update(RateRecord(f"{bucket}#{limit.seconds}#{window}"), actions, condition=below, on_fail=refused)
