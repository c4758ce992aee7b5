"""The nightly points jobs: expiry, maturity, reminders and reconciliation, each due work only and once."""

import json
from datetime import date, datetime, timedelta

import pytest

from chalicelib.points import jobs, service
from chalicelib.shared import clock
from chalicelib.shared.jobs import get_report, run_job, scheduled_day
from chalicelib.shared.settings import get_settings
from tests import ledger_views
from tests.conftest import member_token, published_envelopes

TZ = get_settings().tz
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=TZ)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=hour)


def earn(member_id, points, on, source):
    with clock.frozen(at(on)):
        service.earn(member_id, points, source_kind="order", source_id=source, reason="消费", key=None)


def events(type_):
    envelopes = iter(published_envelopes())
    return [envelope["payload"] for envelope in envelopes if envelope["type"] == type_]


@pytest.fixture
def rolling(monkeypatch):
    """Points expire 30 days after they are earned, so tests can walk past expiry dates."""
    policy = get_settings().model_copy(update={"points_expiry": "rolling-days:30"})
    monkeypatch.setattr(service, "get_settings", lambda: policy)
    return policy


def test_expiry_books_what_is_due_once_and_only_that(aws, rolling):
    first, _ = member_token("13900000001")
    second, _ = member_token("13900000002")
    earn(first, 100, date(2026, 3, 1), "o1")  # expires 2026-03-31
    earn(first, 50, date(2026, 3, 20), "o2")  # expires 2026-04-19
    earn(second, 70, date(2026, 3, 5), "o3")  # expires 2026-04-04
    with clock.frozen(at(date(2026, 4, 1), 0)):
        report = run_job(jobs.expire_points, date(2026, 3, 31))
        assert (report.processed, report.tallies) == (1, {"changed": 1, "points": 100})  # said (an empty report)
        assert service.balance(first).available == 50
        assert service.balance(first).expired == 100
        again = run_job(jobs.expire_points, date(2026, 3, 31))
    assert (again.processed, again.tallies) == (0, {})
    expire_entries = [e for e in ledger_views.entries(first) if e.type == "expire"]
    assert [(int(e.points), int(e.balance_after)) for e in expire_entries] == [(-100, 50)]
    assert ledger_views.account(second).expired == 0
    with clock.frozen(at(date(2026, 4, 21), 0)):
        caught_up = run_job(jobs.expire_points, date(2026, 4, 20))  # a missed night is caught up
    assert (caught_up.processed, caught_up.tallies) == (2, {"changed": 2, "points": 120})
    assert [int(ledger_views.account(m).balance) for m in (first, second)] == [0, 0]
    assert len(events("points.expired")) == 3


def test_points_given_back_after_their_date_are_expired_by_the_next_run(aws, rolling):
    member_id, _ = member_token("13900000003")
    earn(member_id, 100, date(2026, 3, 1), "o1")  # expires 2026-03-31
    with clock.frozen(at(date(2026, 3, 30))):
        answer, _ = service.redeem(member_id, 100, "兑换", None)
        run_job(jobs.expire_points, date(2026, 3, 29))
    with clock.frozen(at(date(2026, 4, 10))):
        service.reverse(member_id, answer["redemption_id"], "退货", None)
        assert service.balance(member_id).available == 0  # back, but past its date
        report = run_job(jobs.expire_points, date(2026, 4, 10))
    assert report.processed == 1
    assert int(ledger_views.account(member_id).expired) == 100


def test_pending_points_count_from_their_date_and_the_job_tidies_them(aws, monkeypatch):
    policy = get_settings().model_copy(update={"points_pending_days": 7})
    monkeypatch.setattr(service, "get_settings", lambda: policy)
    member_id, _ = member_token("13900000004")
    earn(member_id, 80, date(2026, 3, 1), "o1")
    with clock.frozen(at(date(2026, 3, 7))):
        balance = service.balance(member_id)
        assert (balance.available, balance.pending) == (0, 80)
        with pytest.raises(service.InsufficientPoints):
            service.redeem(member_id, 10, "兑换", None)
    with clock.frozen(at(date(2026, 3, 8))):
        assert service.balance(member_id).available == 80  # before the job runs
        first_run = run_job(jobs.mature_pending_points, date(2026, 3, 8))
        second_run = run_job(jobs.mature_pending_points, date(2026, 3, 8))
    assert (first_run.processed, second_run.processed) == (1, 0)
    assert ledger_views.account(member_id).maturity_due is None
    assert events("points.matured") == [{"member_id": member_id, "points": 80}]


def test_reminders_one_per_member_and_date_a_week_ahead(aws, rolling):
    member_id, _ = member_token("13900000005")
    earn(member_id, 100, date(2026, 3, 1), "o1")  # expires 2026-03-31
    earn(member_id, 40, date(2026, 3, 2), "o2")  # expires 2026-04-01
    earn(member_id, 10, date(2026, 3, 20), "o3")  # expires 2026-04-19: too far
    with clock.frozen(at(date(2026, 3, 24), 9)):  # the scheduled run on the 24th: a week ahead is the 31st
        first = run_job(jobs.points_expiry_reminders, scheduled_day(jobs.points_expiry_reminders))
        run_job(jobs.points_expiry_reminders, scheduled_day(jobs.points_expiry_reminders))
    assert get_report(jobs.points_expiry_reminders.name, first.run_id).tallies == {"changed": 1, "remind": 1}  # as its
    # preview says them (a walkthrough read an empty report)
    assert [(e["expires_on"], e["points"]) for e in events("points.expiring")] == [("2026-03-31", 100)]
    with clock.frozen(at(date(2026, 3, 25), 9)):
        run_job(jobs.points_expiry_reminders, scheduled_day(jobs.points_expiry_reminders))
    reminders = sorted((e["expires_on"], e["points"]) for e in events("points.expiring"))
    assert reminders == [("2026-03-31", 100), ("2026-04-01", 40)]


def test_reconciliation_checks_accounts_written_before_it_runs_on_its_own_night(aws, rolling):
    """An account written every night before the 03:00 run (a night owl, or tonight's expiry) is still
    checked: the run reads the day under way too. Its checkpoint stays at the end of the day that ended, so the
    books' totals stand at a day's end, and the next night reads that entry again."""
    member_id, _ = member_token("13900000008")
    with clock.frozen(at(date(2026, 3, 3), 10)):
        service.earn(member_id, 7, source_kind="order", source_id="day-1", reason="消费", key=None)
    with clock.frozen(at(date(2026, 3, 4), 1)):
        service.earn(member_id, 10, source_kind="order", source_id="night-1", reason="消费", key=None)
    with clock.frozen(at(date(2026, 3, 4), 3)):
        assert run_job(jobs.reconcile_points, scheduled_day(jobs.reconcile_points)).processed == 1
    assert (int(ledger_views.account(member_id).checked_seq), int(ledger_views.account(member_id).checked_sum)) == (
        1, 7)  # fmt: skip
    with clock.frozen(at(date(2026, 3, 4), 20)):
        service.earn(member_id, 5, source_kind="order", source_id="evening-1", reason="消费", key=None)
    with clock.frozen(at(date(2026, 3, 5), 3)):
        assert run_job(jobs.reconcile_points, scheduled_day(jobs.reconcile_points)).processed == 1
    assert int(ledger_views.account(member_id).checked_seq) == 3


def test_reconciliation_moves_its_checkpoint_and_reports_drift(aws, rolling, capsys):
    member_id, _ = member_token("13900000006")
    earn(member_id, 100, date(2026, 3, 1), "o1")
    earn(member_id, 20, date(2026, 3, 2), "o2")
    with clock.frozen(at(date(2026, 3, 3))):
        report = run_job(jobs.reconcile_points, date(2026, 3, 2))
    assert report.processed == 1
    account = ledger_views.account(member_id)
    assert (int(account.checked_seq), int(account.checked_sum)) == (2, 120)
    assert events("points.drift") == []
    earn(member_id, 5, date(2026, 3, 3), "o3")
    ledger_views.break_points_balance(member_id, 1)  # a bug elsewhere
    with clock.frozen(at(date(2026, 3, 4))):
        run_job(jobs.reconcile_points, date(2026, 3, 3))
    [drift] = events("points.drift")
    assert drift["member_id"] == member_id
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [(m["PointsDrift"], m["stage"]) for m in metrics] == [([1.0], get_settings().stage)]  # the alarm's metric
    assert any("balance 126" in problem for problem in drift["problems"])


@pytest.mark.parametrize(
    ("book", "amount", "detail", "broken", "metric", "event"),
    [("growth", 10, {"growth": 10, "paid_fen": 1_000, "month": "2026-03"},
      lambda books: books["growth"].update(growth=books["growth"]["growth"] + 3), "GrowthDrift", "growth.drift"),
     ("wallet-principal", 500, None, lambda books: books.update({"wallet-principal": 499}), "WalletPrincipalDrift",
      "wallet.drift")],
)  # fmt: skip
def test_reconciliation_checks_every_book_not_only_points(aws, rolling, capsys, book, amount, detail, broken, metric,
                                                          event):  # fmt: skip
    """Growth value and stored value are reconciled like points: a clean book moves its checkpoint, a book whose
    balance is not the sum of its entries is drift, with its own metric and event."""
    from chalicelib.ledger.jobs import reconcile_ledger
    from chalicelib.ledger.model import Posting, Source
    from chalicelib.ledger.registry import ledger

    member_id, _ = member_token("13900000016")
    with clock.frozen(at(date(2026, 3, 1))):
        ledger().post([Posting(member_id, book, amount, "earn", Source("test", "t-1"), "test", detail)])
    with clock.frozen(at(date(2026, 3, 2))):
        assert run_job(reconcile_ledger, date(2026, 3, 1)).processed >= 1
    assert json.loads(ledger_views.account(member_id).record.checked)[book] == [1, amount]
    assert events(event) == []
    ledger_views.rewrite_books(member_id, broken)  # a bug elsewhere
    with clock.frozen(at(date(2026, 3, 3))):
        ledger().post([Posting(member_id, book, amount, "earn", Source("test", "t-2"), "test", detail)])
    with clock.frozen(at(date(2026, 3, 4))):
        run_job(reconcile_ledger, date(2026, 3, 3))
    [drift] = events(event)
    assert (drift["member_id"], drift["book"]) == (member_id, book)
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m[metric] for m in metrics] == [[1.0]]
    assert json.loads(ledger_views.account(member_id).record.checked)[book] == [1, amount]  # the checkpoint stays


def test_an_account_s_drift_is_reported_once_when_its_batch_checkpoint_is_refused(aws, rolling, monkeypatch):
    """The batch's checkpoint commit meets a concurrent run: the account is checked again on its own, and its drift
    is reported once, from that last check, not once per check."""
    from chalicelib.ledger.dynamo import DynamoStore
    from chalicelib.ledger.jobs import reconcile_ledger
    from chalicelib.ledger.model import Posting, Source
    from chalicelib.ledger.registry import ledger

    member_id, _ = member_token("13900000017")
    earn(member_id, 100, date(2026, 3, 1), "o1")
    with clock.frozen(at(date(2026, 3, 1))):  # growth that adds up, so the account has a checkpoint to move
        ledger().post([Posting(member_id, "growth", 10, "earn", Source("test", "g-1"), "test",
                               {"growth": 10, "paid_fen": 1_000, "month": "2026-03"})])  # fmt: skip
    ledger_views.break_points_balance(member_id, 1)  # a bug elsewhere
    refused, original = [], DynamoStore.checkpoint

    def once_refused(self, checkpoints):
        if not refused:
            refused.append(len(checkpoints))
            return False
        return original(self, checkpoints)

    monkeypatch.setattr(DynamoStore, "checkpoint", once_refused)
    with clock.frozen(at(date(2026, 3, 2))):
        run_job(reconcile_ledger, date(2026, 3, 1))
    assert refused == [1]
    assert [drift["member_id"] for drift in events("points.drift")] == [member_id]


def test_an_erased_members_points_expire_without_stopping_the_run(api, aws, rolling):
    erased, _ = member_token("13900000007")
    kept, _ = member_token("13900000008")
    earn(erased, 100, date(2026, 3, 1), "o1")
    earn(kept, 100, date(2026, 3, 1), "o2")
    assert api.call("DELETE", f"/v1/members/{erased}").status == 204
    with clock.frozen(at(date(2026, 4, 1), 0)):
        report = run_job(jobs.expire_points, date(2026, 3, 31))
    assert (report.status, report.processed) == ("completed", 2)
    assert [int(ledger_views.account(m).expired) for m in (erased, kept)] == [100, 100]


def test_points_are_never_expired_on_their_last_day(aws, rolling):
    member_id, _ = member_token("13900000009")
    earn(member_id, 100, date(2026, 3, 1), "o1")  # expires 2026-03-31, spendable all that day
    with clock.frozen(at(date(2026, 3, 31), 10)):
        report = run_job(jobs.expire_points, date(2026, 3, 31))
        assert service.balance(member_id).available == 100
    assert report.processed == 0
