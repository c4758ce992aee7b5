"""A stateful model test of the points account: random credits, redemptions, reversals, adjustments,
duplicated requests and clock jumps across expiry dates, with the ledger's invariants checked after every
step against a small independent model (lots spent soonest-expiry first)."""

import itertools
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from chalicelib.points import service
from chalicelib.points.records import PointsAccountRecord, PointsEntryRecord
from chalicelib.shared import clock
from chalicelib.shared.errors import Conflict
from chalicelib.shared.http import IdempotencyKey
from chalicelib.shared.settings import get_settings

TZ = get_settings().tz
START = datetime(2026, 3, 10, 4, 0, tzinfo=TZ)
PHONES = itertools.count()


def key(name, body):
    return IdempotencyKey(key=name, operation="points-model", request_hash=body, caller="model")


class PointsAccount(RuleBasedStateMachine):
    redemptions = Bundle("redemptions")

    def __init__(self):
        super().__init__()
        from tests.conftest import member_token

        self.now = START
        self.ops = 0
        with clock.frozen(self.now):
            self.member_id, _ = member_token(f"1390{next(PHONES):07d}")
        self.lots: dict[date, int] = {}  # the model: points by expiry date (the default policy)
        self.reversed: set[str] = set()
        self.entries = 0

    def today(self):
        return clock.business_date(self.now, TZ)

    def available(self):
        return sum(points for day, points in self.lots.items() if day >= self.today())

    def _next(self, prefix):
        self.ops += 1
        return f"{prefix}-{self.member_id}-{self.ops:06d}"

    @rule(points=st.integers(1, 500), days_ago=st.integers(0, 800), repeat=st.booleans())
    def earn(self, points, days_ago, repeat):
        source = self._next("order")
        earned_at = self.now - timedelta(days=days_ago)
        with clock.frozen(self.now):
            for _ in range(2 if repeat else 1):
                service.earn(self.member_id, points, source_kind="order", source_id=source, reason="model",
                             key=key(source, str(points)), earned_at=earned_at)  # fmt: skip
        expires = date(clock.business_date(earned_at, TZ).year + 1, 12, 31)
        self.lots[expires] = self.lots.get(expires, 0) + points
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
        draws, left = [], points
        for day in sorted(d for d in self.lots if d >= self.today()):
            taken = min(left, self.lots[day])
            self.lots[day] -= taken
            draws.append((day, taken))
            left -= taken
            if not left:
                break
        self.entries += 1
        return answers[0][1]["redemption_id"], draws

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
        for day, points in draws:
            self.lots[day] = self.lots.get(day, 0) + points
        self.entries += 1

    @rule(points=st.integers(-400, 400).filter(bool))
    def adjust(self, points):
        name = self._next("adjust")
        with clock.frozen(self.now):
            try:
                service.adjust(self.member_id, points, "model", key(name, str(points)))
            except Conflict:
                assert points < 0
                assert self.available() < -points
                return
        if points > 0:
            expires = date(self.today().year + 1, 12, 31)
            self.lots[expires] = self.lots.get(expires, 0) + points
        else:
            assert self.available() >= -points
            left = -points
            for day in sorted(d for d in self.lots if d >= self.today()):
                taken = min(left, self.lots[day])
                self.lots[day] -= taken
                left -= taken
        self.entries += 1

    @rule(days=st.integers(1, 400))
    def time_passes(self, days):
        self.now += timedelta(days=days)

    @invariant()
    def the_account_matches_the_model_and_the_ledger(self):
        with clock.frozen(self.now):
            balance = service.balance(self.member_id)
        assert balance.available == self.available() >= 0
        assert balance.expiring == sorted((d, p) for d, p in self.lots.items() if d >= self.today() and p)
        assert balance.pending == 0
        record = PointsAccountRecord.find(self.member_id)
        entries = list(PointsEntryRecord.query(self.member_id)) if record else []
        assert len(entries) == self.entries, "every operation booked exactly once"
        running = 0
        for seq, entry in enumerate(entries, start=1):
            running += int(entry.points)
            assert (int(entry.seq), int(entry.balance_after)) == (seq, running)
        if record is not None:
            account = service.to_account(record)
            assert int(record.balance) == running == account.balance
            assert account.balance == account.earned - account.deducted - account.redeemed - account.expired
            assert all(lot.points > 0 for lot in account.lots)
            assert sum(lot.points for lot in account.lots) == sum(self.lots.values())


def test_the_points_account_keeps_its_invariants(aws):
    run_state_machine_as_test(
        PointsAccount,
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]),
    )  # fmt: skip
