"""Points for activities: registration, reviews, shares, birthdays, check-ins, with per-day and per-month
limits, once per event id."""

from datetime import datetime, timedelta

import pytest

from chalicelib.shared import clock
from chalicelib.shared.settings import get_settings
from tests import ledger_views
from tests.conftest import deliver, item_counts, member_token, signed_headers
from tests.functional.test_purchases import publish, signed

TZ = get_settings().tz
DAY = datetime(2026, 10, 20, 10, 0, tzinfo=TZ)


@pytest.fixture
def rules(api):
    return publish(api, activities={"review": {"points": 10, "per_day": 2, "per_month": 3},
                                    "registration": {"points": 50}, "checkin": {"points": 1},
                                    "share": {"points": 5, "per_day": 1}})  # fmt: skip


def report(api, partner, event_id, kind, member_id, at=DAY, received_at=None):
    """The partner reports an activity; by default a few minutes after it happened."""
    body = {"event_id": event_id, "kind": kind, "member": {"member_id": member_id}, "occurred_at": at.isoformat()}
    with clock.frozen(received_at or at + timedelta(minutes=5)):
        return signed(api, partner, "/v1/webhooks/activities", body)


def shanghai_member(api, phone, **profile):
    body = {"name": "会员", "phone": phone, "home_store_id": "SH-001", **profile}
    return api.post("/v1/members", body).body["member_id"]


def earned(member_id):
    return [(e.type, int(e.points), e.reason) for e in ledger_views.entries(member_id)]


def test_reviews_earn_within_their_daily_and_monthly_limits_once_per_event(api, partner, rules):
    member_id = shanghai_member(api, "13900000001")
    answers = [report(api, partner, f"rv-{i}", "review", member_id).body for i in range(3)]
    assert [(a["points_awarded"], a["limited"]) for a in answers] == [(10, False), (10, False), (0, True)]
    assert report(api, partner, "rv-0", "review", member_id).body == {**answers[0], "duplicate": True}
    later = report(api, partner, "rv-3", "review", member_id, at=DAY + timedelta(days=1)).body
    limited = report(api, partner, "rv-4", "review", member_id, at=DAY + timedelta(days=2)).body
    next_month = report(api, partner, "rv-5", "review", member_id, at=DAY + timedelta(days=12)).body
    assert [later["points_awarded"], limited["limited"], next_month["points_awarded"]] == [10, True, 10]
    assert earned(member_id) == [("earn", 10, "评价奖励")] * 4
    assert report(api, partner, "rv-0", "share", member_id).status == 409  # same event id, other content


def test_the_activity_record_keeps_the_claim_so_an_activity_writes_no_claim_item(api, partner, rules):
    member_id = shanghai_member(api, "13900000009")
    before = item_counts()
    first = report(api, partner, "sh-9", "share", member_id).body
    after = item_counts()
    assert (after["ledger-claims"], after["activities"]) == (before["ledger-claims"], before["activities"] + 1)
    late = report(api, partner, "sh-9", "share", member_id, received_at=DAY + timedelta(days=30))  # past the week
    assert late.body == {**first, "duplicate": True}
    assert item_counts() == after


def test_an_activity_without_a_rule_earns_nothing(api, partner, rules):
    member_id = shanghai_member(api, "13900000002", birthday="1990-10-03")
    answer = report(api, partner, "bd-1", "birthday", member_id)
    assert (answer.status, answer.body["points_awarded"], answer.body["ledger_entry_id"]) == (200, 0, None)


def test_a_member_checks_in_once_a_day(api, rules):
    member_id, token = member_token("13900000003")
    me = api.as_(token)
    something = me.post("/v1/me/check-ins", {"day": "2026-12-04"})  # a body it does not take: said, nothing done
    assert (something.status, something.body["errors"][0]["message"]) == (422, "this operation takes no body")
    first = me.post("/v1/me/check-ins")
    assert (first.status, first.body["points_awarded"]) == (200, 1)
    assert me.post("/v1/me/check-ins", {}).body["duplicate"] is True  # `{}`, as many clients send: no body
    assert earned(member_id) == [("earn", 1, "签到奖励")]


def test_new_members_get_registration_points_once_and_imported_ones_do_not(api, aws, rules):
    joined = api.post("/v1/members", {"name": "新会员", "phone": "13900000004"}).body
    imported = api.post("/v1/members", {"name": "老会员", "phone": "13900000005", "source": "import"}).body
    deliver(aws, "points", times=2)
    assert earned(joined["member_id"]) == [("earn", 50, "注册奖励")]
    assert earned(imported["member_id"]) == []
    with clock.frozen(clock.now()):
        assert api.get(f"/v1/members/{joined['member_id']}/points").body["available"] == 50


def test_a_scoped_partner_reports_only_its_stores_members(api, rules):
    for store_id in ("SH-001", "BJ-001"):
        api.post("/v1/stores", {"store_id": store_id, "name": store_id, "city": "c", "region": "r"})
    scoped = api.post("/v1/partners", {"name": "SH POS", "stores": ["SH-001"]}).body
    member = api.post("/v1/members", {"name": "京", "phone": "13900000006", "home_store_id": "BJ-001"}).body
    body = {"event_id": "s-1", "kind": "share", "member": {"member_id": member["member_id"]},
            "occurred_at": (clock.now() - timedelta(hours=1)).isoformat()}  # fmt: skip
    raw = __import__("json").dumps(body).encode()
    answer = api.as_(None).call("POST", "/v1/webhooks/activities", raw=raw,
                                headers=signed_headers(scoped["partner_id"], scoped["secret"], raw))  # fmt: skip
    assert answer.status == 403


def test_partners_cannot_report_registrations_or_check_ins(api, partner, rules):
    member_id = shanghai_member(api, "13900000007")
    for kind in ("registration", "checkin"):
        assert report(api, partner, f"{kind}-1", kind, member_id).status == 422


def test_a_member_frozen_before_the_registration_event_is_simply_done(api, aws, rules):
    joined = api.post("/v1/members", {"name": "新会员", "phone": "13900000008"}).body
    api.patch(f"/v1/members/{joined['member_id']}", {"status": "frozen"},
              headers={"content-type": "application/merge-patch+json", "if-match": '"1"'})  # fmt: skip
    deliver(aws, "points")  # asserts no batch item failed
    assert earned(joined["member_id"]) == []


def test_activities_in_the_future_are_refused(api, partner, rules):
    member_id = shanghai_member(api, "13900000009")
    future = clock.now() + timedelta(hours=1)
    assert report(api, partner, "rv-f", "review", member_id, at=future, received_at=clock.now()).status == 422


def test_a_burst_back_dated_to_many_days_earns_no_more_than_one_days_limit(api, partner, rules):
    """30 reviews sent at once, each dated a different day of the past week: the day they were reported counts
    too, so the burst earns what one day's limit allows (2 of 10 points), not 2 per claimed day."""
    member_id = shanghai_member(api, "13900000014")
    now = DAY + timedelta(days=6, hours=2)
    answers = [report(api, partner, f"burst-{i}", "review", member_id, at=now - timedelta(days=i % 7, hours=1),
                      received_at=now).body for i in range(30)]  # fmt: skip
    assert sum(a["points_awarded"] for a in answers) == 20
    assert earned(member_id) == [("earn", 10, "评价奖励")] * 2


def test_an_activity_older_than_a_week_is_refused(api, partner, rules):
    member_id = shanghai_member(api, "13900000015")
    stale = report(api, partner, "old-1", "review", member_id, at=DAY, received_at=DAY + timedelta(days=8))
    assert (stale.status, stale.body["errors"][0]["field"]) == (422, "occurred_at")
    assert earned(member_id) == []


def test_shares_earn_once_a_day(api, partner, rules):
    member_id = shanghai_member(api, "13900000010")
    answers = [report(api, partner, f"sh-{i}", "share", member_id).body for i in range(2)]
    assert [(a["points_awarded"], a["limited"]) for a in answers] == [(5, False), (0, True)]
    assert earned(member_id) == [("earn", 5, "晒单奖励")]


def test_a_birthday_counts_only_in_the_members_birthday_month(api, partner):
    publish(api, activities={"birthday": {"points": 100, "per_month": 1}})
    born_in_october = shanghai_member(api, "13900000011", birthday="1990-10-31")
    no_birthday = shanghai_member(api, "13900000012")
    assert report(api, partner, "bd-1", "birthday", born_in_october).body["points_awarded"] == 100
    assert report(api, partner, "bd-2", "birthday", born_in_october).body["limited"] is True  # once a month
    november = report(api, partner, "bd-3", "birthday", born_in_october, at=DAY + timedelta(days=12))
    assert (november.status, november.body["type"].rsplit("/", 1)[1]) == (422, "not-their-birthday")
    assert report(api, partner, "bd-4", "birthday", no_birthday).status == 422
    api.patch(f"/v1/members/{born_in_october}", {"birthday": "1990-12-01"},
              headers={"content-type": "application/merge-patch+json", "if-match": '"1"'})  # fmt: skip
    repeat = report(api, partner, "bd-1", "birthday", born_in_october)  # after the edit: still its first answer
    assert (repeat.status, repeat.body["points_awarded"], repeat.body["duplicate"]) == (200, 100, True)
    assert earned(born_in_october) == [("earn", 100, "生日奖励")]
    assert earned(no_birthday) == []


def test_check_ins_stop_earning_at_the_monthly_limit(api):
    from chalicelib.purchases import activities

    publish(api, activities={"checkin": {"points": 2, "per_month": 2}})
    member_id, _ = member_token("13900000013")
    days = [datetime(2026, 10, day, 9, tzinfo=TZ) for day in (1, 2, 3)] + [datetime(2026, 11, 1, 9, tzinfo=TZ)]
    answers = []
    for day in days:
        with clock.frozen(day):
            answers.append(activities.check_in(member_id))
    assert [(a["points_awarded"], a["limited"]) for a in answers] == [(2, False), (2, False), (0, True), (2, False)]
    assert sum(points for _, points, _ in earned(member_id)) == 6
