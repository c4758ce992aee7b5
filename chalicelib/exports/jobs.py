"""The nightly BI export (``export-bi``): each business day that ended is written as flat files, one part of each
entity per landing shard, each part a batch of its own (``service.export_part``). A catch-up writes every day
missed (a first run, every day whose events are landed); ``jobs run export-bi --as-of <day>`` writes that day again
(its events give the same rows; members and figures as they then stand). Days whose landed events may have begun to
expire are not written again, so a late re-run never shortens a file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date

from chalicelib.exports import rules
from chalicelib.exports.service import REWRITABLE, export_part
from chalicelib.shared import clock, schedules
from chalicelib.shared.jobs import Job, register


class ExportBi(Job):
    """Write the day's BI files."""

    name = "export-bi"
    schedule = schedules.EXPORT_BI
    description = "BI flat files (CSV.gz, UTF-8 BOM) of the day's events, purchase lines, members and figures"
    first_run_lookback_days = REWRITABLE.days  # a first run writes every day whose events are landed
    batch_size = 1  # a part a worker: the day's parts are written at once
    tallied = True

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        oldest = clock.business_today() - REWRITABLE
        yield from rules.parts(max(first_day, oldest), as_of)

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        tallies: Counter[str] = Counter()
        for part in keys:
            tallies.update(export_part(part))
            tallies["changed"] += 1
        return tallies


register(ExportBi())
