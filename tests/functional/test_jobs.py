"""The job runner, proven with the idempotency purge: due work only, once, caught up, fanned out."""

import json
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest

from chalicelib.platform.handlers import job_batches
from chalicelib.platform.jobs import purge_idempotency_records as purge
from chalicelib.shared import clock, jobs
from chalicelib.shared.http import IdempotencyKey
from chalicelib.shared.idempotency import IdempotencyRecord, run_once
from tests.conftest import REGION

DAY0 = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)  # noon in Shanghai


def remember(n: int, at: datetime) -> None:
    """``n`` idempotent requests made at ``at`` (kept 30 days by default)."""
    with clock.frozen(at):
        for i in range(n):
            key = IdempotencyKey(key=f"key-{at:%Y%m%d}-{i:04d}", operation="test", request_hash="h")
            run_once(key, lambda tx: {})


def expiry_day(at: datetime) -> date:
    return (at + timedelta(days=30)).date()


@pytest.fixture
def records(aws):
    remember(3, DAY0)
    remember(2, DAY0 + timedelta(days=1))
    remember(4, DAY0 + timedelta(days=5))
    return 9


def test_only_expired_records_are_purged_and_a_rerun_changes_nothing(records):
    as_of = expiry_day(DAY0 + timedelta(days=1))
    with clock.frozen(DAY0 + timedelta(days=40)):
        report = jobs.run_job(purge, as_of)
        assert (report.status, report.planned, report.processed) == ("completed", 5, 5)
        assert IdempotencyRecord.count() == 4
        again = jobs.run_job(purge, as_of)
        assert (again.planned, again.processed) == (0, 0)
    assert IdempotencyRecord.count() == 4


def test_a_missed_night_is_caught_up_from_the_watermark(records):
    with clock.frozen(DAY0 + timedelta(days=60)):
        jobs.run_job(purge, expiry_day(DAY0))
        assert jobs.watermark(purge) == expiry_day(DAY0)
        report = jobs.run_job(purge, expiry_day(DAY0 + timedelta(days=5)))  # several nights later
    assert date.fromisoformat(report.first_day) == expiry_day(DAY0) + timedelta(days=1)
    assert report.processed == 6
    assert IdempotencyRecord.count() == 0


def test_a_day_that_has_not_come_is_refused_and_changes_nothing(records):
    with clock.frozen(DAY0 + timedelta(days=2)), pytest.raises(jobs.FutureDay, match="jobs preview"):
        jobs.run_job(purge, expiry_day(DAY0 + timedelta(days=5)))
    assert IdempotencyRecord.count() == 9
    assert jobs.watermark(purge) is None
    assert jobs.recent_reports(purge.name) == []


def test_nothing_is_purged_before_it_expires(records):
    with clock.frozen(DAY0 + timedelta(days=2)):
        report = jobs.run_job(purge, (DAY0 + timedelta(days=2)).date())
    assert report.processed == 0
    assert IdempotencyRecord.count() == 9


@pytest.mark.parametrize(
    ("crash", "error"),
    [(RuntimeError("the database went away"), "RuntimeError: the database went away"),
     (KeyboardInterrupt(), "KeyboardInterrupt (interrupted)"), (SystemExit(143), "SystemExit: 143")],
)  # fmt: skip
def test_a_run_that_crashes_or_is_interrupted_is_marked_failed_and_the_next_run_does_the_work(
    records, monkeypatch, crash, error
):
    """A crash, a Ctrl-C or a SIGTERM (the CLI turns it into ``SystemExit``) fails the run at once: the next run
    goes ahead without waiting for it to go stale."""

    def process(keys, as_of):
        raise crash

    with clock.frozen(DAY0 + timedelta(days=60)):
        monkeypatch.setattr(purge, "process", process)
        with pytest.raises(type(crash)):
            jobs.run_job(purge, expiry_day(DAY0))
        monkeypatch.undo()
        failed = jobs.recent_reports(purge.name)[0]
        assert (failed.status, failed.error) == ("failed", error)
        assert jobs.watermark(purge) is None
        again = jobs.run_job(purge, expiry_day(DAY0))
    assert (again.status, again.processed, again.first_day) == ("completed", 3, failed.first_day)


def test_a_run_killed_mid_way_is_marked_failed_when_the_job_runs_again(records):
    """A run whose process died (kill -9, a Lambda timeout) makes no progress: after STALE_AFTER without any it
    is failed by the next run, which covers its days; a run still progressing makes the next one wait."""
    with clock.frozen(DAY0 + timedelta(days=60)):
        live = jobs.JobRecord(purge.name, "run#run_0live", as_of=expiry_day(DAY0).isoformat(), status="running",
                              started_at=clock.iso(clock.now()), updated_at=clock.iso(clock.real_now()))  # fmt: skip
        live.save()
        with pytest.raises(jobs.RunUnderWay):
            jobs.run_job(purge, expiry_day(DAY0))
        live.update(actions=[jobs.JobRecord.updated_at.set(clock.iso(clock.real_now() - jobs.STALE_AFTER * 2))])
        report = jobs.run_job(purge, expiry_day(DAY0))
    assert (report.status, report.processed) == ("completed", 3)
    abandoned = next(r for r in jobs.recent_reports(purge.name) if r.run_id == "run_0live")
    assert abandoned.status == "failed"
    assert abandoned.error is not None
    assert abandoned.error.startswith("abandoned")


def test_two_starts_at_once_make_one_run(records, monkeypatch):
    """A schedule delivered twice, or an operator's run beside the schedule's: a second start arriving after the
    first found no run under way, but before it recorded its own, is refused; a lease its holder left lapses."""
    settle, inner = jobs._settle_unfinished_runs, []

    def another_start_slips_in(job):
        settle(job)
        if not inner:
            inner.append(None)
            with pytest.raises(jobs.RunUnderWay, match="is starting"):
                jobs.run_job(purge, expiry_day(DAY0))

    with clock.frozen(DAY0 + timedelta(days=60)):
        monkeypatch.setattr(jobs, "_settle_unfinished_runs", another_start_slips_in)
        report = jobs.run_job(purge, expiry_day(DAY0))
        monkeypatch.undo()
        assert (report.status, report.processed, inner) == ("completed", 3, [None])
        assert [r.run_id for r in jobs.recent_reports(purge.name)] == [report.run_id]  # one run, not two
        assert jobs.JobRecord.find(purge.name, jobs.LEASE) is None  # released
        left = clock.iso(datetime.now(UTC) + timedelta(seconds=30))  # a start that died holding the lease
        jobs.JobRecord(purge.name, jobs.LEASE, status="lease_dead", updated_at=left).save()
        with pytest.raises(jobs.RunUnderWay):
            jobs.run_job(purge, expiry_day(DAY0))
        lapsed = clock.iso(datetime.now(UTC) - timedelta(seconds=1))
        jobs.JobRecord(purge.name, jobs.LEASE, status="lease_dead", updated_at=lapsed).save()
        assert jobs.run_job(purge, expiry_day(DAY0)).status == "completed"


def test_a_schedule_delivered_while_a_run_is_under_way_skips_quietly(records):
    """EventBridge delivers a schedule at least once: the second delivery finds the run and stops, not an error the
    schedule would retry."""
    from chalicelib.platform import handlers

    with clock.frozen(DAY0 + timedelta(days=60)):
        live = jobs.JobRecord(purge.name, "run#run_0live", as_of=expiry_day(DAY0).isoformat(), status="running",
                              started_at=clock.iso(clock.now()), updated_at=clock.iso(clock.real_now()))  # fmt: skip
        live.save()
        handlers._run_on_schedule(purge.name)
        assert [r.run_id for r in jobs.recent_reports(purge.name)] == ["run_0live"]


def test_the_cli_waits_for_a_run_under_way_then_runs_what_it_left_due(records, monkeypatch):
    """`jobs run` while a schedule's run of the job is under way (the local stack runs some once a minute) waits
    for it to end instead of refusing, says so, then runs; out of patience it is refused as before."""
    from click.testing import CliRunner

    from chalicelib.cli import cli

    monkeypatch.setattr("chalicelib.local.localdir.connect", lambda: {})
    as_of = expiry_day(DAY0).isoformat()
    with clock.frozen(DAY0 + timedelta(days=60)):
        live = jobs.JobRecord(purge.name, "run#run_0live", as_of=as_of, status="running",
                              started_at=clock.iso(clock.now()), updated_at=clock.iso(clock.real_now()))  # fmt: skip
        live.save()
        refused = CliRunner().invoke(cli, ["jobs", "run", purge.name, "--as-of", as_of, "--wait", "0"])
        assert (refused.exit_code, "run run_0live" in refused.stderr) == (2, True)
        naps = []

        def the_other_run_ends(seconds: float) -> None:
            naps.append(seconds)
            if len(naps) == 2:
                live.update(actions=[jobs.JobRecord.status.set("completed")])

        monkeypatch.setattr(jobs.time, "sleep", the_other_run_ends)
        waited = CliRunner().invoke(cli, ["jobs", "run", purge.name, "--as-of", as_of])
    assert waited.exit_code == 0, waited.output
    assert waited.stderr.count("waiting: run run_0live of purge-idempotency-records is under way") == 1
    assert len(naps) == 2
    report = json.loads(waited.stdout)
    assert (report["status"], report["processed"]) == ("completed", 3)


def test_a_first_run_looks_back_no_further_than_the_platform_holds_data(aws):
    """A year of empty index partitions before the platform existed is not read (the epoch bounds it)."""
    from chalicelib.points.jobs import expire_points

    with clock.frozen(DAY0 + timedelta(days=60)):
        jobs.set_epoch(DAY0.date())
        as_of = (DAY0 + timedelta(days=59)).date()
        report = jobs.run_job(expire_points, as_of)
    assert date.fromisoformat(report.first_day) == DAY0.date()
    assert report.planned == 2 * 16  # a query per shard and month since the epoch, not 366 days of partitions


def test_reads_grow_with_the_records_due_not_the_table(aws, monkeypatch):
    remember(3, DAY0)
    remember(40, DAY0 + timedelta(days=10))  # not due
    read = []
    original = IdempotencyRecord.by_purge_day.query

    def counting_query(*args, **kwargs):
        for item in original(*args, **kwargs):
            read.append(item)
            yield item

    monkeypatch.setattr(IdempotencyRecord.by_purge_day, "query", counting_query)
    with clock.frozen(DAY0 + timedelta(days=45)):
        jobs.run_job(purge, expiry_day(DAY0))
    assert len(read) == 3


def test_fanned_out_batches_are_counted_once_however_often_delivered(aws, monkeypatch):
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    remember(5, DAY0)
    monkeypatch.setenv("LOYALTY_JOBS_QUEUE_URL", aws.queue_urls["jobs"])
    from chalicelib.shared.settings import get_settings

    get_settings.cache_clear()
    try:
        with clock.frozen(DAY0 + timedelta(days=45)):
            report = jobs.run_job(purge, expiry_day(DAY0), fan_out=True)
            assert (report.status, report.batches, report.batches_done) == ("running", 3, 0)
            sqs = boto3.client("sqs", region_name=REGION)
            messages = sqs.receive_message(QueueUrl=aws.queue_urls["jobs"], MaxNumberOfMessages=10)["Messages"]
            records = [{"messageId": m["MessageId"], "body": m["Body"]} for m in messages]
            assert len(records) == 3
            assert job_batches({"Records": records}, None) == {"batchItemFailures": []}
            assert job_batches({"Records": records[:1]}, None) == {"batchItemFailures": []}  # redelivered
    finally:
        get_settings.cache_clear()
    final = jobs.get_report(purge.name, report.run_id)
    assert (final.status, final.batches_done, final.processed) == ("completed", 3, 5)
    assert jobs.watermark(purge) == expiry_day(DAY0)
    assert IdempotencyRecord.count() == 0


def test_a_broken_batch_message_is_reported_for_redelivery(aws):
    bad = {"messageId": "m-1", "body": json.dumps({"job": "purge-idempotency-records"})}
    assert job_batches({"Records": [bad]}, None) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}


def test_runs_keep_reports_newest_first(records):
    with clock.frozen(DAY0 + timedelta(days=60)):
        first = jobs.run_job(purge, expiry_day(DAY0))
        second = jobs.run_job(purge, expiry_day(DAY0 + timedelta(days=1)))
    assert [r.run_id for r in jobs.recent_reports(purge.name)] == [second.run_id, first.run_id]


def test_the_watermark_never_passes_a_day_still_under_way(aws):
    expires_tonight = datetime(2026, 3, 31, 12, 0, tzinfo=UTC) - timedelta(days=30)  # 20:00 Shanghai, day 30
    remember(3, expires_tonight)
    with clock.frozen(datetime(2026, 3, 31, 2, 0, tzinfo=UTC)):  # 10:00 Shanghai the same day
        early = jobs.run_job(purge, date(2026, 3, 31))
        assert (early.planned, early.processed) == (3, 0)
        assert jobs.watermark(purge) == date(2026, 3, 30)
    with clock.frozen(datetime(2026, 4, 10, 18, 0, tzinfo=UTC)):  # the nightly run ten days later
        later = jobs.run_job(purge, date(2026, 4, 10))
    assert later.processed == 3
    assert IdempotencyRecord.count() == 0


def test_every_scheduled_job_has_one_function_on_its_schedule():
    """The scheduled functions name their cron without importing the jobs' domains: each job's schedule has one."""
    import app

    crons = sorted(source.schedule_expression for source in app.app.event_sources
                   if hasattr(source, "schedule_expression"))  # fmt: skip
    assert crons == sorted(job.schedule for job in jobs.all_jobs() if job.schedule)


def test_a_rehearsed_night_runs_every_scheduled_job_and_no_job_that_runs_on_request():
    """`jobs run --all` is a night: a tier programme's preview and application run only when asked for."""
    night = jobs.in_nightly_order(jobs.all_jobs())
    assert {job.name for job in night} == {job.name for job in jobs.all_jobs() if job.schedule}
    assert not {"preview-tier-programme", "apply-tier-programme"} & {job.name for job in night}


def test_the_cli_names_an_unknown_job_in_words(aws, monkeypatch):
    from click.testing import CliRunner

    from chalicelib.cli import cli

    monkeypatch.setattr("chalicelib.local.localdir.connect", lambda: {})
    result = CliRunner().invoke(cli, ["jobs", "runs", "nope"])
    assert result.exit_code == 2  # a usage error, no traceback
    assert "nope" in result.output
    assert isinstance(result.exception, SystemExit)


def test_the_cli_lists_a_jobs_runs_with_their_tallies_as_the_api_does(aws, api, monkeypatch):
    """Found by an operator: `jobs runs recalculate-tiers` printed `"tallies": {}` for a run whose `jobs run` had
    printed its tallies (the API adds them up from the batches; the CLI did not)."""
    from click.testing import CliRunner

    from chalicelib.cli import cli

    monkeypatch.setattr("chalicelib.local.localdir.connect", lambda: {})
    job = jobs.get_job("expire-coupons")
    assert job.tallied
    jobs.run_job(job, clock.business_today())
    listed = CliRunner().invoke(cli, ["jobs", "runs", job.name, "--limit", "1"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == api.get(f"/v1/jobs/{job.name}/runs?limit=1").body["items"]
    assert json.loads(listed.stdout)[0]["tallies"]  # the batches' tallies, added up


def test_a_night_rehearsed_for_today_runs_the_whole_day_jobs_for_the_day_before():
    """Found by a review: `jobs run --all --as-of <today>` stopped at export-bi (a day under way is refused) and the
    jobs after it never ran. A night runs those for the last day that ended, the others for the day asked."""
    today = clock.business_today()
    whole_days = {job.name for job in jobs.all_jobs() if job.ended_days_only}
    assert whole_days == {"export-bi", "check-figures"}
    for job in jobs.in_nightly_order(jobs.all_jobs()):
        expected = today - timedelta(days=1) if job.name in whole_days else today
        assert jobs.night_day(job, today) == expected, job.name
        assert jobs.night_day(job, today - timedelta(days=3)) == today - timedelta(days=3)


def test_the_cli_rehearses_a_night_for_today_without_stopping_at_the_whole_day_jobs(aws, monkeypatch):
    """The CLI's `jobs run --all --as-of <today>` runs export-bi for the day before and the others for today."""
    from click.testing import CliRunner

    from chalicelib.cli import cli

    monkeypatch.setattr("chalicelib.local.localdir.connect", lambda: {})
    night = [jobs.get_job("export-bi"), jobs.get_job("purge-idempotency-records")]
    monkeypatch.setattr(jobs, "in_nightly_order", lambda _: night)
    today = clock.business_today()
    ran = CliRunner().invoke(cli, ["jobs", "run", "--all", "--as-of", today.isoformat()])
    assert ran.exit_code == 0, ran.output
    reports = json.loads(ran.stdout)
    assert [(report["job"], report["as_of"]) for report in reports] == [
        ("export-bi", (today - timedelta(days=1)).isoformat()),
        ("purge-idempotency-records", today.isoformat()),
    ]
