"""The nightly points jobs. Each reads sparse, sharded date indexes of the ledger accounts (keys only), then
the accounts they list in batches, so its reads grow with the accounts due, never with the number of members,
and each is safe to re-run.

Planning yields index partitions (a month of a shard, ``YYYY-MM#shard``, with the days due) rather than
accounts: a batch then reads them with one query each and one ``BatchGetItem`` per 100 accounts.
A batch holds ``PARTITIONS_PER_BATCH`` partitions, so a fanned-out day runs on 16 / 4 = 4 workers at once;
a day's cohort beyond what four workers book within the queue's 15-minute visibility (roughly 200,000
accounts at DynamoDB speeds) needs more shards.
An index may be a moment behind (indexes are eventually consistent): every write is conditional on the
revision read, and reads the account again when it moved. Expiring or maturing what is already done
finds nothing to do, so a re-run (or a retried batch) changes nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from chalicelib.ledger.jobs import reconcile_ledger
from chalicelib.ledger.model import Account as Image
from chalicelib.ledger.model import Posting, Source
from chalicelib.ledger.registry import ledger
from chalicelib.points import service
from chalicelib.points.book import BOOK
from chalicelib.points.rules import Account, Draw, expire, mature
from chalicelib.shared import clock, schedules
from chalicelib.shared.dateindex import PARTITIONS_PER_BATCH, partitions
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.jobs import SINCE_THE_FIRST_DAY, Job, register
from chalicelib.shared.phrases import Phrase
from chalicelib.shared.settings import get_settings
from chalicelib.shared.unique import UniqueRecord

READ_BATCH = 100  # accounts per BatchGetItem


def _due(index: str, keys: list[str]) -> Iterator[tuple[str, Image]]:
    """The accounts a date index lists in ``keys``, read in batches: (member, account as read)."""
    engine = ledger()
    for partition in keys:
        holders = engine.store.due_in(index, partition)
        for start in range(0, len(holders), READ_BATCH):
            yield from engine.store.read_many(holders[start : start + READ_BATCH]).items()


def _points(image: Image) -> Account:
    account: Account = ledger().books[BOOK].load(image.books.get(BOOK))
    return account


class ExpirePoints(Job):
    """Book an ``expire`` entry for the lots whose expiry date has passed (the day ``as_of`` included); its report
    tallies the members whose points expired (``changed``) and the points (``points``: a walkthrough read an empty
    report the night 28 points expired)."""

    name = "expire-points"
    schedule = schedules.EXPIRE_POINTS
    description = "Book points past their expiry date as expired"
    first_run_lookback_days = SINCE_THE_FIRST_DAY
    batch_size = PARTITIONS_PER_BATCH
    tallied = True

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        return partitions(first_day, as_of)

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        tallies: Counter[str] = Counter()
        for member_id, image in _due("expiry", keys):
            if points := _expire(member_id, image, as_of):
                tallies.update(changed=1, points=points)
        return tallies

    def preview(self, keys: list[str], as_of: date) -> Iterator[dict[str, Any]]:
        return _drawn(_due("expiry", keys), lambda account: expire(account, as_of), "expire")


def _expire(member_id: str, image: Image, as_of: date) -> int:
    """The points the member's lots due by ``as_of`` lost (0: none, or expired before)."""
    source = Source("job", f"expire-points:{as_of.isoformat()}")

    def plan(holdings: Any, booking: service.Booking, today: date) -> list[Posting]:
        # points are spendable through the end of their date: never expire a day that is not over
        through = min(as_of, today - timedelta(days=1))
        _, draws = expire(holdings.state(member_id, BOOK), through)
        points = sum(draw.points for draw in draws)
        return [Posting(member_id, BOOK, -points, "expire", source, Phrase("积分过期", "Points expired"),
                        detail={"through": through.isoformat()})] if points else []  # fmt: skip

    answer = service.post(member_id, plan, require=None, known=image)
    return -sum(entry.amount for entry in answer.entries)


class MaturePendingPoints(Job):
    """Make pending points (a return window) plainly available once their date has come. The balance shows
    them as available from that date anyway; this keeps the lots tidy and tells the member."""

    name = "mature-pending-points"
    schedule = schedules.MATURE_PENDING_POINTS
    description = "Move pending points to available on their date"
    first_run_lookback_days = SINCE_THE_FIRST_DAY
    batch_size = PARTITIONS_PER_BATCH

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        return partitions(first_day, as_of)

    def process(self, keys: list[str], as_of: date) -> int:
        through = min(as_of, clock.business_today())  # never release a return window early
        return sum(_mature(member_id, image, through) for member_id, image in _due("maturity", keys))

    def preview(self, keys: list[str], as_of: date) -> Iterator[dict[str, Any]]:
        return _drawn(_due("maturity", keys), lambda account: mature(account, as_of), "mature")


def _mature(member_id: str, image: Image, through: date) -> int:
    """Pending lots due by ``through`` become plain lots (the balance does not change: no entry)."""
    moved: list[int] = []

    def change(account: Account) -> Account:
        after, draws = mature(account, through)
        moved[:] = [sum(draw.points for draw in draws)]
        return after

    def announce(account: Account) -> list[Any]:
        return [new_event("points.matured", f"member/{member_id}", {"member_id": member_id, "points": moved[0]})]

    return 1 if ledger().amend(member_id, BOOK, change, announce=announce, known=image) else 0


def _drawn(images: Iterator[tuple[str, Image]], change: Callable[[Account], tuple[Account, list[Draw]]],
           outcome: str) -> Iterator[dict[str, Any]]:  # fmt: skip
    """A preview's findings: the lots ``change`` would draw from each account, with their dates."""
    for member_id, image in images:
        for draw in change(_points(image))[1]:
            yield {"member_id": member_id, "outcome": outcome, "points": draw.points,
                   "expires_on": _day(draw.expires_on), "available_on": _day(draw.available_on)}  # fmt: skip


class PointsExpiryReminders(Job):
    """One ``points.expiring`` event per member and expiry date, ``LOYALTY_POINTS_REMINDER_DAYS`` (7) ahead:
    the run on day D announces what expires on D + 7 at the latest, for the notifications path. A marker per
    member and date makes a re-run send nothing twice."""

    name = "points-expiry-reminders"
    schedule = schedules.POINTS_EXPIRY_REMINDERS
    description = "Announce points expiring in a week"
    batch_size = PARTITIONS_PER_BATCH
    as_the_day_begins = True
    tallied = True  # its report says how many it reminded, as its preview does (a walkthrough read an empty one)

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        ahead = timedelta(days=get_settings().points_reminder_days)
        return partitions(first_day, as_of + ahead)

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        reminded = sum(
            _remind(member_id, expires_on, points) for member_id, expires_on, points in _expiring(keys, as_of)
        )
        return Counter({"remind": reminded, "changed": reminded})

    def preview(self, keys: list[str], as_of: date) -> Iterator[dict[str, Any]]:
        for member_id, expires_on, points in _expiring(keys, as_of):
            if UniqueRecord.find(_reminded_key(member_id, expires_on)) is None:
                yield {"member_id": member_id, "outcome": "remind", "points": points, "expires_on": _day(expires_on)}


def _expiring(keys: list[str], as_of: date) -> Iterator[tuple[str, date, int]]:
    """(member, expiry date, points) for the points expiring after ``as_of`` and within the reminder days."""
    ahead = timedelta(days=get_settings().points_reminder_days)
    for member_id, image in _due("expiry", keys):
        for expires_on, points in _points(image).expiring(as_of + timedelta(days=1)):
            if expires_on <= as_of + ahead:
                yield member_id, expires_on, points


def _reminded_key(member_id: str, expires_on: date) -> str:
    return f"points-reminded:{member_id}:{expires_on.isoformat()}"


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


class _AlreadyReminded(Exception):
    pass


def _remind(member_id: str, expires_on: date, points: int) -> int:
    tx = Transaction()
    marker = UniqueRecord(_reminded_key(member_id, expires_on), owner=member_id, created_at=clock.iso(clock.now()))
    tx.put(marker, condition=UniqueRecord.key.does_not_exist(), on_fail=_AlreadyReminded())
    emit(tx, new_event("points.expiring", f"member/{member_id}", {
        "member_id": member_id, "expires_on": expires_on.isoformat(), "points": points,
    }))  # fmt: skip
    try:
        tx.commit()
    except _AlreadyReminded:
        return 0
    return 1


expire_points = register(ExpirePoints())
mature_pending_points = register(MaturePendingPoints())
points_expiry_reminders = register(PointsExpiryReminders())
reconcile_points = reconcile_ledger  # every book is reconciled by one job (points and growth among them)
