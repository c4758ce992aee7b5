"""The nightly BI export (``export-bi``): each business day that ended is written as flat files, one part of each
entity per landing shard, each part a batch of its own (``service.export_part``). A catch-up writes every day
missed (a first run, every day whose events are landed); ``jobs run export-bi --as-of <day>`` writes that day again
(its events give the same rows; members and figures as they then stand). Days whose landed events may have begun to
expire are not written again, so a late re-run never shortens a file; a catch-up that reaches back past them (after an
outage of more than a month) counts each such day in its report as ``days_skipped``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

from chalicelib.exports import rules
from chalicelib.exports.service import REWRITABLE, export_part
from chalicelib.shared import clock, schedules
from chalicelib.shared.jobs import Job, register
from chalicelib.shared.logs import logger

SKIPPED = "skipped#"  # a day due that is too old to write: counted, never written


class ExportBi(Job):
    """Write the day's BI files."""

    name = "export-bi"
    schedule = schedules.EXPORT_BI
    description = "BI flat files (CSV.gz, UTF-8 BOM) of the day's events, purchase lines, members and figures"
    first_run_lookback_days = REWRITABLE.days - 1  # a first run (for yesterday) writes every day still writable
    batch_size = 1  # a part a worker: the day's parts are written at once
    tallied = True
    ended_days_only = True  # a day under way would give partial files and false drift

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        """Every part of the days through ``as_of``; a day too old to write (a catch-up after a long outage) is due
        as ``skipped#<day>``, so the run's report counts it (``days_skipped``) instead of passing over it."""
        oldest = clock.business_today() - REWRITABLE
        day = first_day
        while day < oldest and day <= as_of:
            yield f"{SKIPPED}{day.isoformat()}"
            day += timedelta(days=1)
        yield from rules.parts(max(first_day, oldest), as_of)

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        tallies: Counter[str] = Counter()
        for part in keys:
            if part.startswith(SKIPPED):
                logger.warning("BI export: %s is too old to write (its landed events may have expired)",
                               part.removeprefix(SKIPPED))  # fmt: skip
                tallies["days_skipped"] += 1
                continue
            tallies.update(export_part(part))
            tallies["changed"] += 1
        return tallies


register(ExportBi())
