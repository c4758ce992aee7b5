"""The release of held messages: messages that may wait (reminders, notices, marketing) decided during the quiet
hours are held until they end.

Every quarter of an hour a run reads the held index (held messages by the business day and shard of their release,
and its instant) for the days since the last run through today, up to now: one query per partition, returning only
what is due. Each message it lists is queued once (a condition on its status), or dropped as too late when its
``send_by`` has passed; a re-run or a retried batch changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from chalicelib.notifications import service
from chalicelib.shared import clock, schedules
from chalicelib.shared.jobs import Job, days, register


class ReleaseHeldMessages(Job):
    """Send the messages held through the quiet hours once they end."""

    name = "release-held-messages"
    schedule = schedules.RELEASE_HELD_MESSAGES
    description = "Send messages held through the quiet hours"
    first_run_lookback_days = 2
    batch_size = service.HELD_SHARDS
    as_the_day_begins = True

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        for day in days(first_day, as_of):
            for shard in range(service.HELD_SHARDS):
                yield f"{day.isoformat()}#{shard}"

    def process(self, keys: list[str], as_of: date) -> int:
        now = clock.now()
        return sum(service.release(record, now) for partition in keys for record in service.releasable(partition, now))


release_held_messages = register(ReleaseHeldMessages())
