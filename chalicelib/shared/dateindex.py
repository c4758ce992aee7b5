"""Sparse date indexes for nightly work: an item due on a day is indexed under the month of that day and a
shard of its key (the partition, ``YYYY-MM#shard``) and under the day itself (the sort key,
``YYYY-MM-DD#shard``). Writes spread over ``SHARDS`` partitions a month; a job reads a month of a shard with
one query between the days it covers, so a night costs ``SHARDS`` queries and a catch-up over many days costs
them per month, in proportion to what is due rather than to the days passed.
"""

from __future__ import annotations

import calendar
import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

SHARDS = 16  # no month's partition of a date index takes more than a sixteenth of its writes
PARTITIONS_PER_BATCH = 4  # keys per fanned-out batch: a night's 16 run on 4 workers at once


def shard_of(key: str) -> int:
    return zlib.crc32(key.encode()) % SHARDS


def due_keys(day: date, key: str) -> tuple[str, str]:
    """The index keys of work due on ``day`` for the item ``key``: its partition and its sort key."""
    shard = shard_of(key)
    return f"{day:%Y-%m}#{shard}", f"{day.isoformat()}#{shard}"


def indexed(month: Any, day: Any, due: date | None, key: str) -> list[Any]:
    """Update actions putting an item under ``due`` in a date index (its month and day attributes), or taking
    it out."""
    if due is None:
        return [month.remove(), day.remove()]
    month_key, day_key = due_keys(due, key)
    return [month.set(month_key), day.set(day_key)]


def partitions(first_day: date, last_day: date) -> Iterator[str]:
    """What to read for work due from ``first_day`` through ``last_day``: per month and shard, a key
    ``YYYY-MM#shard@first@last`` naming a partition and the days of it that are due."""
    start = first_day
    while start <= last_day:
        end = min(date(start.year, start.month, calendar.monthrange(start.year, start.month)[1]), last_day)
        for shard in range(SHARDS):
            yield f"{start:%Y-%m}#{shard}@{start.isoformat()}@{end.isoformat()}"
        start = end + timedelta(days=1)


def due_in(index: Any, day: Any, key: str) -> Iterator[Any]:
    """The index items of a ``partitions`` key: one query of the month's partition, between its days."""
    partition, first, last = key.split("@")
    shard = partition.partition("#")[2]
    items: Iterator[Any] = index.query(
        partition, range_key_condition=day.between(f"{first}#{shard}", f"{last}#{shard}")
    )
    return items
