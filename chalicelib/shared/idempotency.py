"""Exactly-once writes keyed by a client's Idempotency-Key (or any deterministic key).

The stored answer is written in the same transaction as the effect, under a condition that the key is
new. A repeat with the same request gets the stored answer and changes nothing, whether it arrives
concurrently or days later; the same key with a different request is 422. Records are kept for
``LOYALTY_IDEMPOTENCY_RETENTION_DAYS`` (30 by default), then TTL and the ``purge-idempotency-records``
job remove them.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.shared import clock
from chalicelib.shared.db import NumberAttribute, Record, Transaction, table
from chalicelib.shared.errors import IdempotencyKeyReused
from chalicelib.shared.settings import get_settings

PURGE_SHARDS = 8


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's Idempotency-Key, bound to its caller, the operation and the exact request it came with.

    ``caller`` keeps one caller's key from ever replaying another's answer.
    """

    key: str
    operation: str
    request_hash: str
    caller: str = "anonymous"


class _ByPurgeDay(GlobalSecondaryIndex["IdempotencyRecord"]):  # type: ignore[no-untyped-call]
    """Sparse index of records by the UTC day they expire, sharded so no day is a hot partition."""

    class Meta:
        index_name = "by-purge-day"
        projection = KeysOnlyProjection()

    purge_bucket = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)


@table
class IdempotencyRecord(Record):
    logical_name = "idempotency"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "idempotency"

    key = UnicodeAttribute(hash_key=True)
    request_hash = UnicodeAttribute()
    status = NumberAttribute(null=True)  # written by versions that kept the HTTP status: the api says it now
    body = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute()
    purge_bucket = UnicodeAttribute()
    by_purge_day = _ByPurgeDay()


def purge_bucket(key: str, expires_day: str) -> str:
    """The index partition of a record: its business-day of expiry and a stable shard of its key."""
    return f"{expires_day}#{zlib.crc32(key.encode()) % PURGE_SHARDS}"


StoredAnswer = dict[str, Any]  # a use case's answer, never an HTTP status: the api maps that


def run_once(key: IdempotencyKey | None, perform: Callable[[Transaction], StoredAnswer]) -> tuple[StoredAnswer, bool]:
    """Apply ``perform``'s writes and remember its answer under ``key``, exactly once.

    ``perform`` adds its writes to the transaction and returns its answer. Returns that answer and False, or the
    first answer and True when the key was seen before. Keys are kept per caller and
    operation, so one caller's key never replays another's answer.
    """
    if key is None:
        tx = Transaction()
        answer = perform(tx)
        tx.commit()
        return answer, False
    record_key = f"{key.caller}#{key.operation}#{key.key}"
    existing = IdempotencyRecord.find(record_key)
    if existing is not None:
        return _replay(existing, key), True
    tx = Transaction()
    answer = perform(tx)
    now = clock.now()
    expires = now + timedelta(days=get_settings().idempotency_retention_days)
    record = IdempotencyRecord(
        record_key,
        request_hash=key.request_hash,
        body=json.dumps(answer, separators=(",", ":")),
        created_at=clock.iso(now),
        expires_at=expires,
        purge_bucket=purge_bucket(record_key, clock.business_date(expires, get_settings().tz).isoformat()),
    )
    tx.put(record, condition=IdempotencyRecord.key.does_not_exist(), on_fail=_KeyTaken(), decisive=True)
    try:
        tx.commit()
    except _KeyTaken:
        winner = IdempotencyRecord.get(record_key, consistent_read=True)
        return _replay(winner, key), True
    return answer, False


class _KeyTaken(Exception):
    pass


def _replay(record: IdempotencyRecord, key: IdempotencyKey) -> StoredAnswer:
    if record.request_hash != key.request_hash:
        raise IdempotencyKeyReused("This Idempotency-Key was used with a different request")
    return dict(json.loads(record.body))
