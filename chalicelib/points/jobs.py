"""The nightly points jobs. Each reads sparse, sharded date indexes of the account items, so its reads grow
with the accounts due, never with the number of members, and each is safe to re-run.

Planning yields index partitions (a month of a shard, ``YYYY-MM#shard``, with the days due) rather than
accounts: a batch then reads them with one query each, and the index items (full account images) are all
the expiry and maturity jobs read.
A batch holds ``PARTITIONS_PER_BATCH`` partitions, so a fanned-out day runs on 16 / 4 = 4 workers at once;
a day's cohort beyond what four workers book within the queue's 15-minute visibility (roughly 200,000
accounts at DynamoDB speeds) needs more shards.
An image may be a moment old (indexes are eventually consistent), so every write is conditional on the
entry count the image shows and reads the account again when it moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.points import rules, service
from chalicelib.points.records import PointsAccountRecord, PointsEntryRecord
from chalicelib.points.rules import Account, Draw
from chalicelib.shared import clock
from chalicelib.shared.dateindex import PARTITIONS_PER_BATCH, due_in, partitions
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.jobs import Job, register
from chalicelib.shared.logs import logger
from chalicelib.shared.settings import get_settings
from chalicelib.shared.unique import UniqueRecord


class ExpirePoints(Job):
    """Book an ``expire`` entry for the lots whose expiry date has passed (the day ``as_of`` included)."""

    name = "expire-points"
    schedule = "cron(5 16 * * ? *)"  # 00:05 Asia/Shanghai: the day just ended
    description = "Book points past their expiry date as expired"
    first_run_lookback_days = 366
    batch_size = PARTITIONS_PER_BATCH

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        return partitions(first_day, as_of)

    def process(self, keys: list[str], as_of: date) -> int:
        booked = 0
        for partition in keys:
            for image in due_in(PointsAccountRecord.by_expiry_due, PointsAccountRecord.expiry_due, partition):
                booked += _expire(image, as_of)
        return booked

    def preview(self, keys: list[str], as_of: date) -> Iterator[dict[str, Any]]:
        index, day = PointsAccountRecord.by_expiry_due, PointsAccountRecord.expiry_due
        images = (image for key in keys for image in due_in(index, day, key))
        return _drawn(images, lambda account: rules.expire(account, as_of), "expire")


def _expire(image: PointsAccountRecord, as_of: date) -> int:
    def operation(account: Account, today: date) -> tuple[Account, int, list[Draw]]:
        # points are spendable through the end of their date: never expire a day that is not over
        after, draws = rules.expire(account, min(as_of, today - timedelta(days=1)))
        return after, -sum(draw.points for draw in draws), draws

    entry = service.Entry("expire", "job", f"expire-points:{as_of.isoformat()}", "积分过期")
    (status, _), _ = service.write(
        image.member_id, operation, entry, event_type="points.expired", record=image, member="any"
    )
    return 1 if status == 201 else 0


class MaturePendingPoints(Job):
    """Make pending points (a return window) plainly available once their date has come. The balance shows
    them as available from that date anyway; this keeps the lots tidy and tells the member."""

    name = "mature-pending-points"
    schedule = "cron(10 16 * * ? *)"
    description = "Move pending points to available on their date"
    first_run_lookback_days = 366
    batch_size = PARTITIONS_PER_BATCH

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        return partitions(first_day, as_of)

    def process(self, keys: list[str], as_of: date) -> int:
        moved = 0
        through = min(as_of, clock.business_today())  # never release a return window early

        def mature(account: Account) -> tuple[Account, list[Draw]]:
            return rules.mature(account, through)

        for partition in keys:
            for image in due_in(PointsAccountRecord.by_maturity_due, PointsAccountRecord.maturity_due, partition):
                moved += service.rearrange(image, mature, "points.matured")
        return moved

    def preview(self, keys: list[str], as_of: date) -> Iterator[dict[str, Any]]:
        index, day = PointsAccountRecord.by_maturity_due, PointsAccountRecord.maturity_due
        images = (image for key in keys for image in due_in(index, day, key))
        return _drawn(images, lambda account: rules.mature(account, as_of), "mature")


def _drawn(images: Iterator[PointsAccountRecord], change: Callable[[Account], tuple[Account, list[Draw]]],
           outcome: str) -> Iterator[dict[str, Any]]:  # fmt: skip
    """A preview's findings: the lots ``change`` would draw from each account, with their dates."""
    for image in images:
        for draw in change(service.to_account(image))[1]:
            yield {"member_id": image.member_id, "outcome": outcome, "points": draw.points,
                   "expires_on": _day(draw.expires_on), "available_on": _day(draw.available_on)}  # fmt: skip


class PointsExpiryReminders(Job):
    """One ``points.expiring`` event per member and expiry date, ``LOYALTY_POINTS_REMINDER_DAYS`` (7) ahead:
    the run on day D announces what expires on D + 7 at the latest, for the notifications path. A marker per
    member and date makes a re-run send nothing twice."""

    name = "points-expiry-reminders"
    schedule = "cron(0 1 * * ? *)"  # 09:00 Asia/Shanghai, when people read messages
    description = "Announce points expiring in a week"
    batch_size = PARTITIONS_PER_BATCH
    as_the_day_begins = True

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        ahead = timedelta(days=get_settings().points_reminder_days)
        return partitions(first_day, as_of + ahead)

    def process(self, keys: list[str], as_of: date) -> int:
        return sum(_remind(member_id, expires_on, points) for member_id, expires_on, points in _expiring(keys, as_of))

    def preview(self, keys: list[str], as_of: date) -> Iterator[dict[str, Any]]:
        for member_id, expires_on, points in _expiring(keys, as_of):
            if UniqueRecord.find(_reminded_key(member_id, expires_on)) is None:
                yield {"member_id": member_id, "outcome": "remind", "points": points, "expires_on": _day(expires_on)}


def _expiring(keys: list[str], as_of: date) -> Iterator[tuple[str, date, int]]:
    """(member, expiry date, points) for the points expiring after ``as_of`` and within the reminder days."""
    ahead = timedelta(days=get_settings().points_reminder_days)
    for partition in keys:
        for image in due_in(PointsAccountRecord.by_expiry_due, PointsAccountRecord.expiry_due, partition):
            for expires_on, points in service.to_account(image).expiring(as_of + timedelta(days=1)):
                if expires_on <= as_of + ahead:
                    yield image.member_id, expires_on, points


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


class ReconcilePoints(Job):
    """For every account written since the last run, check from its checkpoint that the booked balance is
    the sum of the ledger and that the counters add up (earned - deducted = lots - debt + redeemed +
    expired). Drift is logged, counted as the ``PointsDrift`` metric and announced as ``points.drift``."""

    name = "reconcile-points"
    schedule = "cron(0 19 * * ? *)"  # 03:00 Asia/Shanghai, after the other points jobs
    description = "Check balances against the ledger"
    batch_size = PARTITIONS_PER_BATCH

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        """Accounts last written through the day under way: one written every night before this run would
        otherwise always sit in tonight's partition. That day is read again by the next run (checking an
        account twice is cheap: it starts from its checkpoint)."""
        return partitions(first_day, as_of + timedelta(days=1))

    def process(self, keys: list[str], as_of: date) -> int:
        checked = 0
        for partition in keys:
            for item in due_in(PointsAccountRecord.by_touched, PointsAccountRecord.touched, partition):
                reconcile(item.member_id)
                checked += 1
        return checked


def reconcile(member_id: str) -> list[str]:
    """Check one account; returns what is wrong (and announces it), moving its checkpoint when all is well."""
    account = PointsAccountRecord.find(member_id)
    if account is None:
        return []
    start, total = int(account.checked_seq), int(account.checked_sum)
    entries = PointsEntryRecord.query(member_id, PointsEntryRecord.seq > start, consistent_read=True)
    expected_seq = start
    problems = []
    for entry in entries:
        if int(entry.seq) > int(account.seq):
            break  # written after the account was read; the next run checks it
        expected_seq += 1
        if int(entry.seq) != expected_seq:
            problems.append(f"entry {expected_seq} is missing")
            expected_seq = int(entry.seq)
        total += int(entry.points)
        if int(entry.balance_after) != total:
            problems.append(f"entry {entry.seq} says balance {entry.balance_after}, the ledger adds up to {total}")
    if expected_seq != int(account.seq):
        problems.append(f"the account counts {account.seq} entries, the ledger {expected_seq}")
    view = service.to_account(account)
    if total != int(account.balance) or view.balance != int(account.balance):
        problems.append(f"balance {account.balance}, ledger {total}, lots less debt {view.balance}")
    if view.earned - view.deducted - view.redeemed - view.expired != view.balance:
        problems.append("earned - deducted - redeemed - expired differs from the balance")
    if problems:
        _report_drift(member_id, problems)
        return problems
    try:
        PointsAccountRecord(member_id).update(
            actions=[PointsAccountRecord.checked_seq.set(expected_seq), PointsAccountRecord.checked_sum.set(total)],
            condition=PointsAccountRecord.seq == account.seq,
        )
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise  # a write meanwhile: the checkpoint moves next time
    return []


def _report_drift(member_id: str, problems: list[str]) -> None:
    from aws_lambda_powertools.metrics import MetricUnit, single_metric  # only a drift needs it

    logger.error("points drift", extra={"member_id": member_id, "problems": problems})
    with single_metric(name="PointsDrift", unit=MetricUnit.Count, value=1, namespace="Loyalty") as metric:
        metric.add_dimension(name="stage", value=get_settings().stage)
    tx = Transaction()
    emit(tx, new_event("points.drift", f"member/{member_id}", {"member_id": member_id, "problems": problems}))
    tx.commit()


expire_points = register(ExpirePoints())
mature_pending_points = register(MaturePendingPoints())
points_expiry_reminders = register(PointsExpiryReminders())
reconcile_points = register(ReconcilePoints())
