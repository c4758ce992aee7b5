"""Housekeeping jobs of the platform."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from pynamodb.exceptions import DeleteError

from chalicelib.shared import clock, schedules
from chalicelib.shared.idempotency import PURGE_SHARDS, IdempotencyRecord
from chalicelib.shared.jobs import Job, days, register
from chalicelib.shared.settings import get_settings


class PurgeIdempotencyRecords(Job):
    """Delete idempotency records past their retention.

    DynamoDB's TTL deletes them too, but only "within days" (and the emulator never does), so this job
    makes the retention exact. It reads the expiry-day index for the days due, so its reads grow with the
    records due, not with the table.
    """

    name = "purge-idempotency-records"
    schedule = schedules.PURGE_IDEMPOTENCY_RECORDS
    description = "Delete Idempotency-Key records past their retention"

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        for day in days(first_day, as_of):
            for shard in range(PURGE_SHARDS):
                for item in IdempotencyRecord.by_purge_day.query(f"{day.isoformat()}#{shard}"):
                    yield item.key

    def process(self, keys: list[str], as_of: date) -> int:
        cutoff = min(clock.end_of_business_day(as_of, get_settings().tz), clock.now())
        deleted = 0
        for key in keys:
            try:
                IdempotencyRecord(key).delete(condition=IdempotencyRecord.expires_at <= cutoff)
            except DeleteError as e:
                if e.cause_response_code != "ConditionalCheckFailedException":
                    raise
                continue  # already gone, or not expired yet
            deleted += 1
        return deleted


purge_idempotency_records = register(PurgeIdempotencyRecords())
