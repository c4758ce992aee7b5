"""The nightly check of the figures (``check-figures``): each day that ended is counted afresh from its events and
compared with what the statistics consumer kept (``checks``); drift is an alarm. ``jobs run check-figures --as-of
<day>`` checks that day again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date

from chalicelib.exports.service import REWRITABLE, landed_since
from chalicelib.shared import clock, schedules
from chalicelib.shared.jobs import Job, days, register
from chalicelib.stats.checks import check_day


class CheckFigures(Job):
    """Count each day's figures afresh from its events and compare them with those kept."""

    name = "check-figures"
    schedule = schedules.CHECK_FIGURES
    description = "Check the reports' figures of the day against its events (drift is alarmed)"
    tallied = True
    ended_days_only = True  # a day under way would give partial files and false drift

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        """The days from ``first_day`` whose every event is landed (from the day after the landing was deployed)
        and still kept."""
        oldest = max(clock.business_today() - REWRITABLE, landed_since())
        for day in days(max(first_day, oldest), as_of):
            yield day.isoformat()

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        tallies: Counter[str] = Counter()
        for key in keys:
            drift = check_day(date.fromisoformat(key))
            tallies["days"] += 1
            tallies["drifted-figures"] += len(drift)
        return tallies


register(CheckFigures())
