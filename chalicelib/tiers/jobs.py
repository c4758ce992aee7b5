"""The tier jobs: the nightly review (downgrades, retention, warnings) on a sparse date index, and the
programme jobs (a dry-run preview of a version, and applying it), which read every account once.

``recalculate-tiers`` reads only the accounts whose warning or review day has come: the ledger's ``review``
index holds members above the lowest tier, keyed by that day and a shard; the accounts it lists are read in
batches of 100. Every write is conditional on the account's revision; a re-run
finds nothing left to do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from chalicelib.ledger.model import Account
from chalicelib.ledger.registry import ledger
from chalicelib.shared import clock, schedules
from chalicelib.shared.dateindex import PARTITIONS_PER_BATCH, partitions
from chalicelib.shared.jobs import SINCE_THE_FIRST_DAY, Job, register
from chalicelib.tiers import programmes
from chalicelib.tiers.book import GROWTH, TIER
from chalicelib.tiers.rules import (
    Metrics,
    Programme,
    Standing,
    direction,
    rejudge,
    review,
    review_value,
    warning_due,
)
from chalicelib.tiers.service import Verdict, settle, standing_of, warned

READ_BATCH = 100  # accounts per BatchGetItem


def _due(keys: list[str]) -> Iterator[tuple[str, Account]]:
    """The accounts whose review or warning day is in ``keys`` (index partitions), read in batches."""
    engine = ledger()
    for partition in keys:
        holders = engine.store.due_in("review", partition)
        for start in range(0, len(holders), READ_BATCH):
            yield from engine.store.read_many(holders[start : start + READ_BATCH]).items()


def _standing(image: Account, programme: Programme, *, dropped: bool = False) -> Standing:
    return standing_of(ledger().books[TIER].load(image.books.get(TIER)), programme, dropped=dropped)


def _metrics(image: Account) -> Metrics:
    metrics: Metrics = ledger().books[GROWTH].load(image.books.get(GROWTH))
    return metrics


SEGMENTS = 16


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


# scan segments of a programme job: workers read the accounts in parallel


def review_verdict(programme: Programme, standing: Standing, metrics: Metrics, today: date) -> Verdict:
    """The nightly look at a member: the warning check once per period (a warning if the review would drop
    them), then, after the last valid day and the grace days, the review."""
    if standing.valid_until is None:
        return Verdict(standing)
    value = review_value(programme, standing, metrics, today)
    judged, change = review(programme, standing, value, today)
    if change is not None or judged != standing:
        return Verdict(judged, change)
    warn_from = standing.valid_until - timedelta(days=programme.warning_days)
    if standing.warned_for != standing.valid_until and today >= warn_from:
        value = metrics.value(programme, today)
        warn = warning_due(programme, standing, value, today)
        missing = max(0, programme.tiers[programme.rank(standing.tier)].retain_at - value)
        return Verdict(warned(standing), warn=warn, missing=missing)  # checked for this period, warned or not
    return Verdict(standing)


class RecalculateTiers(Job):
    """Downgrade, retain or warn the members whose review or warning day has come."""

    name = "recalculate-tiers"
    schedule = schedules.RECALCULATE_TIERS
    description = "Review tiers at period end (retain, downgrade after grace) and warn before"
    first_run_lookback_days = SINCE_THE_FIRST_DAY
    batch_size = PARTITIONS_PER_BATCH
    tallied = True
    as_the_day_begins = True  # reviews are due the day after the last valid day (plus grace): today's

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        return partitions(first_day, as_of)

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        today = min(as_of, clock.business_today())  # never judge a day that has not come
        tallies: Counter[str] = Counter()
        for member_id, image in _due(keys):
            verdict = settle(member_id, review_verdict, image=image, today=today)
            if verdict is None:
                tallies["unchanged"] += 1
            elif verdict.change is None:
                tallies["warned" if verdict.warn else "checked"] += 1  # the warning check, once a period
            else:
                tallies[verdict.change.reason] += 1
                tallies["changed"] += 1
        return tallies

    def preview(self, keys: list[str], as_of: date) -> Iterator[dict[str, Any]]:
        """Who the review would downgrade, retain or warn if it ran on ``as_of`` with today's figures."""
        programme = programmes.current().programme
        for member_id, image in _due(keys):
            standing = _standing(image, programme)
            verdict = review_verdict(programme, standing, _metrics(image), as_of)
            if verdict.change is not None:
                yield {"member_id": member_id, "outcome": verdict.change.reason,
                       "from_tier": standing.tier, "to_tier": verdict.standing.tier,
                       "valid_until": _day(standing.valid_until)}  # fmt: skip
            elif verdict.warn:
                yield {"member_id": member_id, "outcome": "warned", "tier": standing.tier,
                       "valid_until": _day(standing.valid_until)}  # fmt: skip


class _ProgrammeJob(Job):
    """Every account judged by a programme version against the one before; the keys carry both
    (``<version>:<previous>:<segment>/<total>``)."""

    first_run_lookback_days = 0
    batch_size = 1
    tallied = True
    apply: bool

    def __init__(self, version: int | None = None, previous: int | None = None) -> None:
        self.version, self.previous = version, previous

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        """Run without a version (from the CLI), a preview judges the newest version and an application
        re-judges every member by the current one, each against the current version."""
        current = programmes.current().version
        newest = (programmes.versions() or [programmes.current()])[-1].version
        version = self.version if self.version is not None else (current if self.apply else newest)
        previous = self.previous if self.previous is not None else current
        return (f"{version}:{previous}:{segment}/{SEGMENTS}" for segment in range(SEGMENTS))

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        tallies: Counter[str] = Counter()
        for key in keys:
            version, previous, part = key.split(":")
            segment, _, total = part.partition("/")
            new, old = programmes.get(int(version)).programme, programmes.get(int(previous)).programme
            for image in ledger().store.scan(int(segment), int(total)):
                if TIER in image.books or GROWTH in image.books:  # a member's account (not a payment's)
                    tallies[self._judge(image, old, new)] += 1
        tallies["changed"] = tallies["up"] + tallies["down"]
        return tallies

    def _judge(self, image: Account, old: Programme, new: Programme) -> str:
        """Up, down or unchanged, judged alike whether previewed or applied."""

        def judge(programme: Programme, standing: Standing, metrics: Metrics, today: date) -> Verdict:
            return Verdict(*rejudge(programme, standing, metrics.value(programme, today), today))

        if self.apply:  # a tier the new version dropped is seen as it is: its members move, from there
            verdict = settle(image.holder, judge, image=image, programme=new, dropped=True)
        else:
            verdict = judge(new, _standing(image, new, dropped=True), _metrics(image), clock.business_today())
        after = verdict.standing.tier if verdict else _standing(image, new).tier
        return direction(old, new, _standing(image, old).tier, after)


class PreviewTierProgramme(_ProgrammeJob):
    """A dry run: how many members a programme version would move up or down. Writes nothing but its report."""

    name = "preview-tier-programme"
    schedule = ""  # on request only
    description = "Count the members a tier programme version would move (dry run)"
    apply = False


class ApplyTierProgramme(_ProgrammeJob):
    """Re-judge every member by the version just made current, with a report of who moved."""

    name = "apply-tier-programme"
    schedule = ""
    description = "Re-judge every member by the current tier programme"
    apply = True


recalculate_tiers = register(RecalculateTiers())
preview_tier_programme = register(PreviewTierProgramme())
apply_tier_programme = register(ApplyTierProgramme())
