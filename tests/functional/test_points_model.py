"""A stateful model test of the points account: random credits (some with a return window), redemptions,
reversals, adjustments, duplicated requests, clock jumps across expiry dates and the nightly expiry and
maturity jobs, with the ledger's invariants checked after every step against a small independent model
(lots by expiry and availability dates, spent soonest expiry first)."""

import itertools
from datetime import date, datetime, timedelta
from unittest import mock

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from chalicelib.points import jobs, service
from chalicelib.shared import clock
from chalicelib.shared.dateindex import partitions, shard_of
from chalicelib.shared.errors import Conflict
from chalicelib.shared.http import IdempotencyKey
from chalicelib.shared.settings import get_settings
from tests import ledger_views

TZ = get_settings().tz
START = datetime(2026, 3, 10, 4, 0, tzinfo=TZ)
PHONES = itertools.count()
RETURN_WINDOW = 7
Key = tuple[date, date | None]  # a lot: (expires_on, available_on or None)


def key(name, body):
    return IdempotencyKey(key=name, operation="points-model", request_hash=body, caller="model")


class PointsAccount(RuleBasedStateMachine):
    redemptions = Bundle("redemptions")

    def __init__(self):
        super().__init__()
        from tests.conftest import member_token

        self.now = START
        self.ops = 0
        n = next(PHONES)
        with clock.frozen(self.now):
            self.member_id, _ = member_token(f"1390{n:07d}")
        self.jobs_through = self.today() - timedelta(days=1)  # the nightly jobs have run for the days before
        self.lots: dict[Key, int] = {}  # the model: points by lot (the default expiry policy)
        self.reversed: set[str] = set()
        self.entries = 0

    def today(self):
        return clock.business_date(self.now, TZ)

    def spendable(self):
        today = self.today()
        spendable = [(lot, p) for lot, p in self.lots.items() if lot[0] >= today and (lot[1] or today) <= today and p]
        return sorted(spendable, key=lambda item: (item[0][0], item[0][1] or date.min))

    def available(self):
        return sum(points for _, points in self.spendable())

    def take(self, points):
        """Spend from the model's lots as the account should; the draws."""
        draws, left = [], points
        for lot, held in self.spendable():
            taken = min(left, held)
            self.lots[lot] -= taken
            draws.append((lot, taken))
            left -= taken
            if not left:
                break
        return draws

    def _next(self, prefix):
        self.ops += 1
        return f"{prefix}-{self.member_id}-{self.ops:06d}"

    @rule(points=st.integers(1, 500), days_ago=st.integers(0, 800), repeat=st.booleans(), pending=st.booleans())
    def earn(self, points, days_ago, repeat, pending):
        source = self._next("order")
        earned_at = self.now - timedelta(days=days_ago)
        policy = get_settings().model_copy(update={"points_pending_days": RETURN_WINDOW if pending else 0})
        with clock.frozen(self.now), mock.patch.object(service, "get_settings", return_value=policy):
            for _ in range(2 if repeat else 1):
                service.earn(self.member_id, points, source_kind="order", source_id=source, reason="model",
                             key=key(source, str(points)), earned_at=earned_at)  # fmt: skip
        earned_on = clock.business_date(earned_at, TZ)
        lot = (date(earned_on.year + 1, 12, 31), earned_on + timedelta(days=RETURN_WINDOW) if pending else None)
        self.lots[lot] = self.lots.get(lot, 0) + points
        self.entries += 1

    @rule(target=redemptions, points=st.integers(1, 600), repeat=st.booleans())
    def redeem(self, points, repeat):
        name = self._next("redeem")
        enough = self.available() >= points
        with clock.frozen(self.now):
            answers = []
            for _ in range(2 if repeat else 1):
                try:
                    answers.append(service.redeem(self.member_id, points, "model", key(name, str(points)))[0])
                except service.InsufficientPoints:
                    answers.append(None)
        assert all(answer == answers[0] for answer in answers), "a repeated request answers as the first"
        if not enough:
            assert answers[0] is None
            return None
        assert answers[0] is not None
        self.entries += 1
        return answers[0]["redemption_id"], self.take(points)

    @rule(redemption=redemptions)
    def reverse(self, redemption):
        if redemption is None:
            return
        redemption_id, draws = redemption
        with clock.frozen(self.now):
            try:
                service.reverse(self.member_id, redemption_id, "model", None)
            except service.AlreadyReversed:
                assert redemption_id in self.reversed
                return
        assert redemption_id not in self.reversed
        self.reversed.add(redemption_id)
        for lot, points in draws:  # back into the lots they came from, with their dates
            self.lots[lot] = self.lots.get(lot, 0) + points
        self.entries += 1

    @rule(points=st.integers(-400, 400).filter(bool), repeat=st.booleans())
    def adjust(self, points, repeat):
        name = self._next("adjust")
        with clock.frozen(self.now):
            try:
                answers = [service.adjust(self.member_id, points, "model", key(name, str(points)))[0]
                           for _ in range(2 if repeat else 1)]  # fmt: skip
            except Conflict:
                assert points < 0
                assert self.available() < -points
                return
        assert all(answer == answers[0] for answer in answers), "a repeated request answers as the first"
        if points > 0:
            lot = (date(self.today().year + 1, 12, 31), None)
            self.lots[lot] = self.lots.get(lot, 0) + points
        else:
            assert self.available() >= -points
            self.take(-points)
        self.entries += 1

    @rule(days=st.integers(1, 400))
    def time_passes(self, days):
        self.now += timedelta(days=days)

    @rule(days=st.integers(1, 40), twice=st.booleans())
    def the_nightly_jobs_run(self, days, twice):
        """Days pass and the jobs process what came due since they last ran, through the day that ended, as
        ``run_job`` plans it (only this member's shard, to keep the example fast); a re-run changes nothing."""
        self.now += timedelta(days=days)
        ended = self.today() - timedelta(days=1)
        shard = f"#{shard_of(self.member_id)}@"
        due = [key for key in partitions(self.jobs_through + timedelta(days=1), ended) if shard in key]
        with clock.frozen(self.now):
            for _ in range(2 if twice else 1):
                jobs.expire_points.process(due, ended)
                jobs.mature_pending_points.process(due, ended)
        self.jobs_through = ended
        if any(p for lot, p in self.lots.items() if lot[0] <= ended):
            self.entries += 1  # one expire entry for every lot past its date
        self.lots = {lot: p for lot, p in self.lots.items() if lot[0] > ended and p}
        for (expires, available), points in list(self.lots.items()):
            if available is not None and available <= ended:
                del self.lots[(expires, available)]
                self.lots[(expires, None)] = self.lots.get((expires, None), 0) + points

    @invariant()
    def the_account_matches_the_model_and_the_ledger(self):
        with clock.frozen(self.now):
            balance = service.balance(self.member_id)
        assert balance.available == self.available() >= 0
        expiring: dict[date, int] = {}
        for (expires, _), points in self.spendable():
            expiring[expires] = expiring.get(expires, 0) + points
        assert balance.expiring == sorted(expiring.items())
        today = self.today()
        assert balance.pending == sum(p for (exp, av), p in self.lots.items() if av and av > today and exp >= today)
        record = ledger_views.find_account(self.member_id)
        entries = ledger_views.entries(self.member_id) if record else []
        assert len(entries) == self.entries, "every operation booked exactly once"
        running = 0
        for seq, entry in enumerate(entries, start=1):
            running += int(entry.points)
            assert (int(entry.seq), int(entry.balance_after)) == (seq, running)
        if record is not None:
            account = service.account_of(self.member_id)
            assert int(record.balance) == running == account.balance
            assert account.balance == account.earned - account.deducted - account.redeemed - account.expired
            assert all(lot.points > 0 for lot in account.lots)
            assert sum(lot.points for lot in account.lots) == sum(self.lots.values())


def test_the_points_account_keeps_its_invariants(aws):
    run_state_machine_as_test(
        PointsAccount,
        settings=settings(max_examples=10, stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]),
    )  # fmt: skip
