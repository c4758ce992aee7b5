"""Jobs over the API: admins list them, run one for a day as the schedule does (fanned out to workers), read the
reports; the future is refused as the CLI refuses it, and the audit log says who asked."""

from datetime import datetime, timedelta

import pytest

from chalicelib.points import service as points
from chalicelib.shared import clock
from chalicelib.shared.jobs import get_job
from chalicelib.shared.settings import get_settings
from tests.conftest import deliver, item_counts, member_token, token_for
from tests.functional.test_tiers import drain_jobs

TZ = get_settings().tz


@pytest.fixture
def jobs_queue(aws, monkeypatch):
    """Batches fan out to the emulator's jobs queue, as the scheduled function sends them."""
    monkeypatch.setenv("LOYALTY_JOBS_QUEUE_URL", aws.queue_urls["jobs"])
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def expired_yesterday(api):
    """A member whose trial points expired at the end of yesterday, the nightly job not run yet."""
    member_id, _ = member_token("13900000001")
    yesterday = clock.business_today() - timedelta(days=1)
    with clock.frozen(datetime.combine(yesterday, datetime.min.time(), TZ) + timedelta(hours=9)):
        points.adjust(member_id, 80, "体验积分", None, expires_on=yesterday)
    return member_id, yesterday


def test_the_jobs_are_listed_with_their_schedules(api):
    jobs = {job["name"]: job for job in api.get("/v1/jobs").body["items"]}
    assert {"expire-points", "purge-idempotency-records", "recalculate-tiers", "reconcile-ledger"} <= set(jobs)
    assert jobs["expire-points"]["schedule"] == "cron(5 16 * * ? *)"
    assert jobs["apply-tier-programme"]["schedule"] is None  # on request, from its own route
    assert (jobs["expire-points"]["watermark"], jobs["expire-points"]["last_runs"]) == (None, [])


def test_an_admin_runs_a_job_for_a_day_as_the_schedule_does(api, aws, jobs_queue, expired_yesterday):
    member_id, yesterday = expired_yesterday
    started = api.post("/v1/jobs/expire-points/runs", {"as_of": yesterday.isoformat()})
    assert started.status == 202, started.body
    assert (started.body["job"], started.body["as_of"], started.body["status"]) == (
        "expire-points",
        yesterday.isoformat(),
        "running",
    )
    drain_jobs(aws)  # the workers take the fanned-out batches
    run = f"/v1/jobs/expire-points/runs/{started.body['run_id']}"
    report = api.get(run).body
    assert (report["status"], report["processed"], report["batches_done"]) == ("completed", 1,
                                                                               report["batches"])  # fmt: skip
    assert api.get(f"/v1/members/{member_id}/points").body["expired"] == 80
    listed = api.get("/v1/jobs/expire-points/runs").body["items"]
    assert [r["run_id"] for r in listed] == [started.body["run_id"]]
    job = next(j for j in api.get("/v1/jobs").body["items"] if j["name"] == "expire-points")
    assert (job["watermark"], job["last_runs"][0]["status"]) == (yesterday.isoformat(), "completed")
    again = api.post("/v1/jobs/expire-points/runs", {})  # as scheduled: yesterday again, nothing left to do
    drain_jobs(aws)
    assert api.get(f"/v1/jobs/expire-points/runs/{again.body['run_id']}").body["processed"] == 0
    assert api.get(f"/v1/members/{member_id}/points").body["expired"] == 80


def test_an_admin_previews_a_job_for_any_day_and_nothing_is_written(api, expired_yesterday):
    """The console's 预演: what a run would do, the future included, as the CLI's preview says it; a job without a
    preview is 422 and the list says which have one."""
    member_id, yesterday = expired_yesterday
    before = item_counts()
    future = (clock.business_today() + timedelta(days=400)).isoformat()
    answer = api.get(f"/v1/jobs/expire-points/preview?as_of={future}")
    assert answer.status == 200, answer.body
    body = answer.body
    assert (body["job"], body["as_of"], body["items"], body["tallies"], body["truncated"]) == (
        "expire-points", future, 1, {"expire": 1, "points": 80}, False)  # fmt: skip
    assert [(f["member_id"], f["points"], f["expires_on"]) for f in body["findings"]] == [
        (member_id, 80, yesterday.isoformat())]  # fmt: skip
    refused = api.get(f"/v1/jobs/purge-idempotency-records/preview?as_of={future}")
    assert (refused.status, refused.body["type"].rsplit("/", 1)[1]) == (422, "job-has-no-preview")
    assert api.get("/v1/jobs/no-such-job/preview?as_of=2026-12-01").status == 404
    assert api.get("/v1/jobs/expire-points/preview").status == 422  # the day is required
    too_far = (clock.business_today() + timedelta(days=3 * 366 + 1)).isoformat()
    far = api.get(f"/v1/jobs/expire-points/preview?as_of={too_far}")
    assert (far.status, far.body["type"].rsplit("/", 1)[1]) == (422, "job-preview-too-far")
    assert item_counts() == before
    listed = {job["name"]: job["previewable"] for job in api.get("/v1/jobs").body["items"]}
    previewable = [name for name in ("expire-points", "expire-coupons", "purge-idempotency-records") if listed[name]]
    assert previewable == ["expire-points", "expire-coupons"]
    assert api.as_(token_for(["cashier"])).get(f"/v1/jobs/expire-points/preview?as_of={future}").status == 403


def test_who_asked_is_audited_and_what_the_job_booked_is_the_systems(api, aws, jobs_queue, expired_yesterday):
    started = api.post("/v1/jobs/expire-points/runs", {}).body
    drain_jobs(aws)
    deliver(aws, "audit")
    today = clock.business_today()
    entries = api.get(f"/v1/audit?from={today - timedelta(days=1)}&to={today}").body["items"]
    asked = [e for e in entries if e["action"] == "job.run-requested"]
    assert [(e["target"], e["summary"]["run_id"]) for e in asked] == [("job/expire-points", started["run_id"])]
    assert asked[0]["actor"].startswith("staff:")
    assert not [e for e in entries if e["action"] == "points.expired"]  # the job's own writes are not staff writes


def test_a_run_that_fails_part_way_is_still_attributed_to_who_asked(api, aws, jobs_queue, expired_yesterday,
                                                                    monkeypatch):  # fmt: skip
    def planning_fails(*_):
        raise RuntimeError("the due index could not be read")

    monkeypatch.setattr(type(get_job("expire-points")), "due", planning_fails)
    assert api.post("/v1/jobs/expire-points/runs", {}).status == 500
    (failed,) = api.get("/v1/jobs/expire-points/runs").body["items"]
    assert failed["status"] == "failed"
    deliver(aws, "audit")
    today = clock.business_today()
    entries = api.get(f"/v1/audit?from={today - timedelta(days=1)}&to={today}").body["items"]
    (asked,) = [e for e in entries if e["action"] == "job.run-requested"]
    assert (asked["target"], asked["summary"]["run_id"]) == ("job/expire-points", failed["run_id"])
    assert asked["actor"].startswith("staff:")


def test_a_day_to_come_an_unknown_job_and_an_on_request_job_are_refused_writing_nothing(api, jobs_queue):
    before = item_counts()
    tomorrow = clock.business_today() + timedelta(days=1)
    future = api.post("/v1/jobs/expire-points/runs", {"as_of": tomorrow.isoformat()})
    assert (future.status, future.body["type"].rsplit("/", 1)[1]) == (422, "job-day-in-future")
    assert api.post("/v1/jobs/no-such-job/runs", {}).status == 404
    on_request = api.post("/v1/jobs/apply-tier-programme/runs", {})
    assert (on_request.status, on_request.body["type"].rsplit("/", 1)[1]) == (422, "job-on-request")
    assert api.get("/v1/jobs/expire-points/runs/run_nothing").status == 404
    assert item_counts() == before


def test_only_admins_run_jobs(api):
    for role in ("store_manager", "finance", "customer_service"):
        assert api.as_(token_for([role])).post("/v1/jobs/expire-points/runs", {}).status == 403
