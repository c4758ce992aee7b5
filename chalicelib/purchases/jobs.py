"""The birthday gift job (生日礼): on the first of each month, every member whose birthday on record falls in it gets
the year's birthday gift (``activities.give_birthday_gift``: the rules' birthday points, the tier's birthday points,
and the birthday coupons through its event), once a member and year.

It reads only the members the members' birth-month index lists for the month, in ``SHARDS`` partitions, never every
member: a month costs its birthdays. A run reads a month's partitions when its days include the month's first (or,
on the job's first run, the month it starts in); members who join or record their birthday later in their month get
the gift as that happens (the ``birthday-gift`` consumer).
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

from chalicelib.members import service as members
from chalicelib.purchases.activities import birthday_gift_refused, give_birthday_gift, member_of
from chalicelib.purchases.records import ActivityRecord
from chalicelib.purchases.service import MemberNotEligible
from chalicelib.shared import schedules
from chalicelib.shared.dateindex import PARTITIONS_PER_BATCH, SHARDS
from chalicelib.shared.jobs import Job, recent_reports, register


def months_due(first_day: date, as_of: date, given_through: date | None) -> list[date]:
    """The first days of the months whose gifts are due from ``first_day`` through ``as_of``: each month whose first
    day is among them and after ``given_through`` (the last day a completed run covered), and on a first run the
    month it starts in."""
    start = first_day.replace(day=1) if given_through is None else first_day
    months, month = [], first_day.replace(day=1)
    while month <= as_of:
        if month >= start and (given_through is None or month > given_through):
            months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _members(key: str) -> Iterator[tuple[str, date]]:
    month, _, shard = key.partition("#")
    first = date.fromisoformat(f"{month}-01")
    for member_id in members.born_in(first.month, int(shard)):
        yield member_id, first


def _gift_day(first: date, as_of: date) -> date:
    """The day a month's gift is given as of ``as_of``: today within the month, its last day when caught up later."""
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return min(max(as_of, first), last)


class GiveBirthdayGifts(Job):
    """Give the birthday gift to the members born in the month that begins."""

    name = "give-birthday-gifts"
    schedule = schedules.GIVE_BIRTHDAY_GIFTS
    description = "Birthday gifts (生日礼) on the first of each month to the members born in it, once a year"
    first_run_lookback_days = 0
    batch_size = PARTITIONS_PER_BATCH
    tallied = True
    as_the_day_begins = True  # the first of the month is the day that begins

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        """A month's partitions once: its day begins a run, and the next day's run (which starts from the watermark,
        a day behind for a job run as the day begins) does not read it again."""
        completed = [date.fromisoformat(r.as_of) for r in recent_reports(self.name) if r.status == "completed"]
        for month in months_due(first_day, as_of, max(completed, default=None)):
            for shard in range(SHARDS):
                yield f"{month:%Y-%m}#{shard}"

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        tallies: Counter[str] = Counter()
        for key in keys:
            for member_id, first in _members(key):
                day = _gift_day(first, as_of)
                try:
                    member = member_of(member_id)  # read once: why not, or the gift
                    refused = birthday_gift_refused(member, day)  # the birthday changed since the index was read,
                    given = None if refused else give_birthday_gift(member_id, day, member=member)  # or the rules
                except MemberNotEligible:
                    tallies["not-eligible"] += 1
                    continue
                if given is None:
                    tallies[refused or "no-gift"] += 1
                elif given["duplicate"]:
                    tallies["given-before"] += 1
                elif given["limited"]:
                    tallies["reported-before"] += 1  # a partner's birthday report of this year came first
                else:
                    tallies["changed"] += 1
                    tallies["points"] += int(given["points_awarded"])
        return tallies

    def preview(self, keys: list[str], as_of: date) -> Iterator[dict[str, Any]]:
        """The members who would get a gift as of ``as_of`` (those given it this year left out), writing nothing."""
        for key in keys:
            for member_id, first in _members(key):
                if ActivityRecord.find(f"birthday#{member_id}:{first.year}") is not None:
                    continue  # given this year
                try:
                    refused = birthday_gift_refused(member_of(member_id), _gift_day(first, as_of))
                except MemberNotEligible:
                    continue  # erased since the index was read
                yield {"member_id": member_id, "outcome": refused or "birthday-gift", "month": f"{first:%Y-%m}"}


register(GiveBirthdayGifts())
