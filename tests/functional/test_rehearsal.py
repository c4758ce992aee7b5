"""Rehearsing the future: previews of a job for any day write nothing, and a test clock moves the platform's
"today" for the API, the jobs and the CLI alike, so a business walks its members through a year end."""

from datetime import date, datetime, timedelta

import pytest

from chalicelib.points import jobs as points_jobs
from chalicelib.points import service as points
from chalicelib.shared import clock, jobs, testclock
from chalicelib.shared.errors import ValidationFailed
from chalicelib.shared.settings import SettingsError, get_settings, load_settings
from chalicelib.tiers import jobs as tier_jobs
from tests.conftest import item_counts, member_token
from tests.functional.test_tiers import CNY, NOW, TZ, buy


@pytest.fixture
def test_clock(monkeypatch):
    """This stage allows test clocks (as the local stack does)."""
    monkeypatch.setenv("LOYALTY_TEST_CLOCK", "true")
    get_settings.cache_clear()
    clock.forget_test_clock()
    yield
    get_settings.cache_clear()
    clock.forget_test_clock()


def test_a_preview_of_a_future_day_lists_who_would_be_warned_or_downgraded_and_writes_nothing(api, partner):
    gold, _ = member_token("13900000005")
    buy(api, partner, gold, "R-1", 3_000 * CNY)  # gold through 2027-12-31
    before = item_counts()
    warned = jobs.preview_job(tier_jobs.recalculate_tiers, date(2027, 12, 1))
    downgraded = jobs.preview_job(tier_jobs.recalculate_tiers, date(2028, 1, 16))
    assert item_counts() == before
    assert [(f["member_id"], f["outcome"]) for f in warned.findings] == [(gold, "warned")]
    assert [(f["member_id"], f["outcome"], f["from_tier"], f["to_tier"]) for f in downgraded.findings] == [
        (gold, "downgrade", "gold", "normal")
    ]
    assert downgraded.tallies == {"downgrade": 1}
    assert jobs.watermark(tier_jobs.recalculate_tiers) is None


def test_a_preview_lists_the_points_that_would_expire_and_the_reminders_that_would_go_out(aws, monkeypatch):
    policy = get_settings().model_copy(update={"points_expiry": "rolling-days:30"})
    monkeypatch.setattr(points, "get_settings", lambda: policy)
    member_id, _ = member_token("13900000001")
    with clock.frozen(datetime(2026, 3, 1, 12, tzinfo=TZ)):
        points.earn(member_id, 100, source_kind="order", source_id="o1", reason="消费", key=None)  # expires 03-31
        before = item_counts()
        expiring = jobs.preview_job(points_jobs.expire_points, date(2026, 4, 1))
        reminders = jobs.preview_job(points_jobs.points_expiry_reminders, date(2026, 3, 25))
        far = jobs.preview_job(points_jobs.expire_points, date(2027, 6, 1))  # from where the next run starts
        assert item_counts() == before
    assert [(f["points"], f["expires_on"]) for f in far.findings] == [(100, "2026-03-31")]
    assert [(f["member_id"], f["points"], f["expires_on"]) for f in expiring.findings] == [
        (member_id, 100, "2026-03-31")
    ]
    assert (expiring.items, expiring.tallies) == (1, {"expire": 1, "points": 100})  # with the total (a head office)
    assert [(f["outcome"], f["points"], f["expires_on"]) for f in reminders.findings] == [("remind", 100, "2026-03-31")]


def test_a_preview_lists_the_coupons_that_would_expire_and_the_notices_that_would_go_out(api):
    """The coupons' night too: which coupons a future day's run expires, and whom it tells of one expiring in 3 days."""
    from chalicelib.coupons import jobs as coupon_jobs
    from tests.functional.test_coupons import issue, template

    member_id, _ = member_token("13900000002")
    issued = issue(api, template(api, validity={"days_after_issue": 10})["template_id"], member_id).body
    last_day = date.fromisoformat(issued["valid_until"])
    before = item_counts()
    noticed = jobs.preview_job(coupon_jobs.expire_coupons, last_day - timedelta(days=coupon_jobs.NOTICE_DAYS))
    expired = jobs.preview_job(coupon_jobs.expire_coupons, last_day + timedelta(days=1))
    quiet = jobs.preview_job(coupon_jobs.expire_coupons, clock.business_today())
    assert item_counts() == before
    assert [(f["outcome"], f["member_id"], f["code"]) for f in noticed.findings] == [
        ("notice", member_id, issued["code"])
    ]
    assert [f["outcome"] for f in expired.findings] == ["expire"]  # a run that day expires it: no notice to send
    assert quiet.findings == []


def test_a_job_without_a_preview_says_so(aws):
    with pytest.raises(jobs.NoPreview):
        jobs.preview_job(jobs.get_job("purge-idempotency-records"), date(2026, 3, 1))


def test_the_test_clock_moves_today_for_the_api_and_the_jobs_until_reset(api, partner, test_clock):
    gold, _token = member_token("13900000005")
    buy(api, partner, gold, "R-2", 3_000 * CNY)
    testclock.set_today(date(2028, 1, 16))
    assert clock.business_today() == date(2028, 1, 16)
    day = jobs.scheduled_day(tier_jobs.recalculate_tiers)  # what a run without --as-of is for
    assert day == date(2028, 1, 16)
    report = jobs.run_job(tier_jobs.recalculate_tiers, day)
    assert report.tallies["downgrade"] == 1
    assert api.get(f"/v1/members/{gold}/tier").body["tier"]["code"] == "normal"  # what the member would see
    with pytest.raises(jobs.FutureDay):
        jobs.run_job(tier_jobs.recalculate_tiers, date(2028, 1, 17))  # never after the moved today
    health = api.as_(None).get("/v1/health").body  # the front ends' "today"
    assert (health["today"], health["time_zone"]) == ("2028-01-16", "Asia/Shanghai")
    testclock.reset()
    assert clock.business_today() == clock.business_date(clock.real_now(), TZ)
    assert NOW.date() <= clock.business_today() < date(2028, 1, 16)
    assert api.as_(None).get("/v1/health").body["today"] == clock.business_today().isoformat()


def test_a_test_clock_only_moves_forward(aws, test_clock):
    """Found by an operator: a clock set before the platform's first day ran the nights for days it held no data."""
    real_today = clock.business_date(clock.real_now(), TZ)
    with pytest.raises(ValidationFailed, match="forward"):
        testclock.set_today(real_today - timedelta(days=1))
    assert clock.business_today() == real_today
    assert testclock.set_today(real_today) == timedelta(0)


def test_test_clocks_are_refused_where_the_stage_does_not_allow_them(aws):
    with pytest.raises(testclock.TestClocksNotAllowed):
        testclock.set_today(date(2030, 1, 1))
    assert clock.business_today() == clock.business_date(clock.real_now(), TZ)


def test_a_production_stage_cannot_enable_test_clocks(monkeypatch):
    monkeypatch.setenv("LOYALTY_STAGE", "prod")
    monkeypatch.setenv("LOYALTY_TEST_CLOCK", "true")
    with pytest.raises(SettingsError, match="production"):
        load_settings()


def test_a_token_outlives_a_moved_clock(api, test_clock):
    """Security clocks (token lifetimes, signature freshness) stay on real time: moving "today" a year ahead
    does not log the console out."""
    testclock.set_today(clock.business_today() + timedelta(days=365))
    assert api.get("/v1/stores").status == 200


def test_a_first_run_a_year_on_expires_what_lapsed_long_before_as_its_preview_said_and_tells_no_one_late(
    api, test_clock
):
    """Found by an operator: a preview listed 3 coupons to expire, then the first run under a test clock moved
    two years on looked back 7 days, expired none, and the coupon liability counted them usable for good."""
    from chalicelib.coupons import jobs as coupon_jobs
    from tests.conftest import published_envelopes
    from tests.functional.test_coupons import issue, template

    jobs.set_epoch(clock.business_today())
    member_id, _ = member_token("13900000003")
    issued = issue(api, template(api, validity={"days_after_issue": 10})["template_id"], member_id).body
    later = issue(api, template(api, validity={"days_after_issue": 720})["template_id"], member_id, "S-2").body
    night = date.fromisoformat(issued["valid_until"]) + timedelta(days=400)
    testclock.set_today(night)
    preview = jobs.preview_job(coupon_jobs.expire_coupons, night)
    assert [(f["code"], f["outcome"]) for f in preview.findings] == [(issued["code"], "expire")]
    report = jobs.run_job(coupon_jobs.expire_coupons, night)
    assert (report.tallies["expired"], report.tallies.get("noticed", 0)) == (1, 0)
    assert date.fromisoformat(report.first_day) <= date.fromisoformat(issued["valid_until"])
    assert api.get(f"/v1/coupons/{issued['code']}").body["coupon"]["status"] == "expired"
    assert api.get(f"/v1/coupons/{later['code']}").body["coupon"]["status"] == "available"
    assert not [e for e in published_envelopes() if e["type"] == "coupon.expiring"]  # no notice of one long over


def test_a_reset_says_which_jobs_the_rehearsal_ran_ahead(aws, test_clock):
    """Found by an operator: after a rehearsal a year on, `clock reset` said nothing of the watermarks left a year
    ahead, so the real nights of that year would not run on this data."""
    night = clock.business_date(clock.real_now(), TZ) + timedelta(days=30)
    testclock.set_today(night)
    jobs.run_job(points_jobs.expire_points, night)
    ahead = testclock.reset()
    assert list(ahead) == ["expire-points"]
    assert ahead["expire-points"] > clock.business_today()  # back on real time, the watermark a month on


def test_a_reset_names_the_day_a_job_acting_as_the_day_begins_ran_for(aws, test_clock):
    """Found by a new user: the reminders run on a day ahead was named as run through the day before it (its
    watermark settles only the days that ended)."""
    night = clock.business_date(clock.real_now(), TZ) + timedelta(days=30)
    testclock.set_today(night)
    jobs.run_job(points_jobs.points_expiry_reminders, night)
    assert testclock.reset() == {"points-expiry-reminders": night}
