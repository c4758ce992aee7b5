"""The points account through the API: balances as of now, redemptions, reversals, adjustments, the ledger."""

import json
from datetime import date, datetime, timedelta

import pytest

from chalicelib.ledger import engine
from chalicelib.members import service as members
from chalicelib.points import service
from chalicelib.shared import clock
from chalicelib.shared.db import Transaction
from chalicelib.shared.settings import get_settings
from tests import ledger_views
from tests.conftest import deliver, item_counts, member_token, token_for

TZ = get_settings().tz
PATCH = {"content-type": "application/merge-patch+json"}


def key(name):
    return {"idempotency-key": f"test-key-{name}"}


def earn(member_id, points, *, on=None, source_id=None):
    earned_at = datetime.combine(on, datetime.min.time(), TZ) + timedelta(hours=12) if on else None
    service.earn(member_id, points, source_kind="order", source_id=source_id or f"o-{points}-{on}", reason="消费",
                 key=None, earned_at=earned_at)  # fmt: skip


def ledger_sum(member_id):
    return sum(int(entry.points) for entry in ledger_views.entries(member_id))


def assert_invariants(member_id):
    """Booked balance = sum of the ledger = lots - debt = earned - deducted - redeemed - expired; never negative."""
    account = ledger_views.account(member_id)
    entries = ledger_views.entries(member_id)
    assert [int(e.seq) for e in entries] == list(range(1, len(entries) + 1))
    assert int(account.balance) == ledger_sum(member_id) == service.account_of(member_id).balance
    assert int(account.balance) == int(account.earned) - int(account.deducted) - int(account.redeemed) - int(
        account.expired
    )
    assert all(int(e.balance_after) >= -int(account.debt) for e in entries)
    running = 0
    for entry in entries:
        running += int(entry.points)
        assert int(entry.balance_after) == running


@pytest.fixture
def member(api):
    member_id, token = member_token("13900000001")
    return member_id, api.as_(token)


def today():
    return clock.business_date(clock.now(), TZ)


class TestBalance:
    def test_a_new_member_has_nothing(self, api, member):
        member_id, _ = member
        body = api.get(f"/v1/members/{member_id}/points").body
        assert body == {"available": 0, "pending": 0, "expiring": [], "lifetime_earned": 0, "redeemed": 0,
                        "expired": 0, "deducted": 0, "debt": 0,
                        "cash": {"worth_fen": 0, "point_value_fen": "1", "max_percent": 50}}  # fmt: skip

    def test_points_past_their_date_are_gone_before_the_job_runs(self, api, member):
        member_id, me = member
        earn(member_id, 300, on=today() - timedelta(days=800))  # end of next year: already past
        earn(member_id, 200)
        balance = me.get("/v1/me/points").body
        assert (balance["available"], balance["expired"], balance["lifetime_earned"]) == (200, 300, 500)
        assert balance["expiring"] == [{"date": f"{today().year + 1}-12-31", "points": 200}]
        assert me.post(f"/v1/members/{member_id}/points/redemptions", {"points": 201, "reason": "x"},
                       headers=key("too-much")).status == 409  # fmt: skip

    def test_an_unknown_member_is_404(self, api):
        assert api.get("/v1/members/mb_nobody/points").status == 404


class TestRedemption:
    def test_redeem_soonest_expiring_first_and_replay_with_the_same_key(self, api, member):
        member_id, me = member
        earn(member_id, 100, on=today() - timedelta(days=400))  # expires at the end of this year
        earn(member_id, 500)  # expires at the end of next year
        answer = me.post(f"/v1/members/{member_id}/points/redemptions", {"points": 150, "reason": "兑换咖啡"},
                         headers=key("coffee"))  # fmt: skip
        assert answer.status == 201
        assert answer.body["entry"]["points"] == -150
        assert answer.body["entry"]["balance_after"] == 450
        again = me.post(f"/v1/members/{member_id}/points/redemptions", {"points": 150, "reason": "兑换咖啡"},
                        headers=key("coffee"))  # fmt: skip
        assert again.body == answer.body
        assert me.get("/v1/me/points").body["expiring"] == [{"date": f"{today().year + 1}-12-31", "points": 450}]
        other = me.post(f"/v1/members/{member_id}/points/redemptions", {"points": 1, "reason": "兑换咖啡"},
                        headers=key("coffee"))  # fmt: skip
        assert other.status == 422
        assert other.body["type"].endswith("/idempotency-key-reused")
        assert_invariants(member_id)

    def test_not_enough_points_is_409_and_writes_nothing(self, api, member):
        member_id, me = member
        earn(member_id, 99)
        before = item_counts()
        answer = me.post(f"/v1/members/{member_id}/points/redemptions", {"points": 100, "reason": "x"},
                         headers=key("short"))  # fmt: skip
        assert answer.status == 409
        assert answer.body["type"].endswith("/insufficient-points")
        assert item_counts() == before

    def test_a_key_is_required_and_bad_bodies_are_refused(self, api, member):
        member_id, me = member
        path = f"/v1/members/{member_id}/points/redemptions"
        assert me.post(path, {"points": 1, "reason": "x"}).status == 428
        for body in ({"points": 0, "reason": "x"}, {"points": -5, "reason": "x"}, {"points": 1}, {"points": "1"}):
            assert me.post(path, body, headers=key("bad")).status == 422

    def test_a_frozen_member_keeps_points_but_cannot_spend_them(self, api, member):
        member_id, _ = member
        earn(member_id, 100)
        api.patch(f"/v1/members/{member_id}", {"status": "frozen"}, headers={**PATCH, "if-match": '"1"'})
        answer = api.post(f"/v1/members/{member_id}/points/redemptions", {"points": 10, "reason": "x"},
                          headers=key("frozen"))  # fmt: skip
        assert answer.status == 409
        assert answer.body["type"].endswith("/member-not-active")
        assert api.get(f"/v1/members/{member_id}/points").body["available"] == 100

    def test_a_cashier_redeems_at_the_till_and_a_member_only_for_themself(self, api, member):
        member_id, me = member
        earn(member_id, 100)
        cashier = api.as_(token_for(["cashier"]))
        path = f"/v1/members/{member_id}/points/redemptions"
        before = item_counts()  # a probe: a cashier spent a stranger's points found by phone, the member not there
        missing = cashier.post(path, {"points": 10, "reason": "x"}, headers=key("till"))
        assert (missing.status, missing.body["errors"][0]["field"]) == (422, "member_code")
        wrong = cashier.post(path, {"points": 10, "reason": "x", "member_code": "0000000000"}, headers=key("till"))
        assert (wrong.status, wrong.body["type"].split("/")[-1]) == (422, "member-code-not-current")
        assert {k: v for k, v in item_counts().items() if k != "rates"} == {
            k: v for k, v in before.items() if k != "rates"
        }  # fmt: skip  (the miss is counted, nothing else)
        shown = members.member_code(member_id).code
        paid = cashier.post(path, {"points": 10, "reason": "x", "member_code": shown}, headers=key("till"))
        assert paid.status == 201, paid.body
        before = item_counts()  # the same code under a new key (an integrator's till lost its key): once
        twice = cashier.post(path, {"points": 10, "reason": "x", "member_code": shown}, headers=key("till-again"))
        assert (twice.status, twice.body["type"].split("/")[-1]) == (422, "member-code-used")
        assert item_counts() == before
        assert api.get(f"/v1/members/{member_id}/points").body["available"] == 90
        with clock.frozen(clock.now() + timedelta(minutes=5)):  # a retry, its code long expired, is answered
            again = cashier.post(path, {"points": 10, "reason": "x", "member_code": "0000000000"}, headers=key("till"))
            assert (again.status, again.body["redemption_id"]) == (201, paid.body["redemption_id"])
        manager = api.as_(token_for(["store_manager"]))  # who adjusts points by hand needs no code
        assert manager.post(path, {"points": 1, "reason": "x"}, headers=key("manager")).status == 201
        other_id, _ = member_token("13900000002")
        assert me.post(f"/v1/members/{other_id}/points/redemptions", {"points": 1, "reason": "x"},
                       headers=key("other")).status == 404  # fmt: skip
        assert me.post(f"/v1/members/{member_id}/points/adjustments", {"points": 1000, "reason": "x"},
                       headers=key("self-credit")).status == 403  # fmt: skip

    def test_points_spent_at_a_till_count_in_that_stores_figures(self, api, member):
        """Found by a beauty salon's walkthrough: points redeemed at a till were counted for no store."""
        from tests.conftest import published_envelopes

        member_id, me = member
        earn(member_id, 100)
        path = f"/v1/members/{member_id}/points/redemptions"
        shown = members.member_code(member_id).code
        mine = me.post(path, {"points": 10, "reason": "x", "store_id": "SH-001"}, headers=key("m1"))
        assert (mine.status, mine.body["errors"][0]["field"]) == (422, "store_id")  # a review: a member chose a store
        cashier = api.as_(token_for(["cashier"], ("SH-001",)))  # one store: theirs by default
        assert cashier.post(path, {"points": 10, "reason": "x", "member_code": shown}, headers=key("t1")).status == 201
        elsewhere = cashier.post(path, {"points": 5, "reason": "x", "member_code": shown, "store_id": "BJ-001"},
                                 headers=key("t2"))  # fmt: skip
        assert (elsewhere.status, elsewhere.body["errors"][0]["field"]) == (422, "store_id")
        head_office = api.as_(token_for(["store_manager"]))
        at_head_office = head_office.post(path, {"points": 5, "reason": "x", "store_id": "SH-001"}, headers=key("t3"))
        assert at_head_office.status == 201
        nowhere = head_office.post(path, {"points": 5, "reason": "x", "store_id": "NOWHERE"}, headers=key("t4"))
        assert (nowhere.status, nowhere.body["errors"][0]["message"]) == (422, "no store 'NOWHERE'")
        redeemed = [e["payload"].get("store_id") for e in published_envelopes() if e["type"] == "points.redeemed"]
        assert redeemed == ["SH-001", "SH-001"]  # the store's daily figures count points.redeemed by its store_id
        redemption_id = at_head_office.body["redemption_id"]
        back = api.post(f"{path}/{redemption_id}/reversal", {"reason": "误操作"}, headers=key("r1"))
        assert back.status == 201, back.body
        (reversed_,) = [e["payload"] for e in published_envelopes() if e["type"] == "points.redemption-reversed"]
        assert reversed_.get("store_id") == "SH-001"  # a review: the store's figures never took them back
        patch = {"content-type": "application/merge-patch+json", "if-match": '"1"'}
        assert api.patch("/v1/stores/SH-001", {"status": "closed"}, headers=patch).status == 200
        closed = head_office.post(path, {"points": 5, "reason": "x", "store_id": "SH-001"}, headers=key("t5"))
        assert (closed.status, closed.body["errors"][0]["message"]) == (422, "store 'SH-001' is closed")
        again = head_office.post(path, {"points": 5, "reason": "x", "store_id": "SH-001"}, headers=key("t3"))
        assert (again.status, again.body) == (201, at_head_office.body)  # a repeat is answered, the store closed since


class TestReversal:
    def test_a_reversal_restores_the_original_lots_once(self, api, member):
        member_id, me = member
        earn(member_id, 100, on=today() - timedelta(days=400))
        earn(member_id, 100)
        redeemed = me.post(f"/v1/members/{member_id}/points/redemptions", {"points": 150, "reason": "x"},
                           headers=key("to-reverse")).body  # fmt: skip
        path = f"/v1/members/{member_id}/points/redemptions/{redeemed['redemption_id']}/reversal"
        reversed_ = api.post(path, {"reason": "顾客退货"})
        assert reversed_.status == 201
        assert (reversed_.body["type"], reversed_.body["points"]) == ("reverse", 150)
        expiring = api.get(f"/v1/members/{member_id}/points").body["expiring"]
        assert expiring == [{"date": f"{today().year}-12-31", "points": 100},
                            {"date": f"{today().year + 1}-12-31", "points": 100}]  # fmt: skip
        again = api.post(path, {"reason": "顾客退货"})
        assert again.status == 409
        assert again.body["type"].endswith("/already-reversed")
        assert me.post(path, {}).status == 403  # members do not reverse
        assert api.post(f"/v1/members/{member_id}/points/redemptions/rd_nothing/reversal", {}).status == 404
        assert_invariants(member_id)

    def test_a_reversal_needs_no_body(self, api, member):
        member_id, me = member
        earn(member_id, 100)
        redeemed = me.post(f"/v1/members/{member_id}/points/redemptions", {"points": 60, "reason": "x"},
                           headers=key("no-body")).body  # fmt: skip
        reversed_ = api.post(f"/v1/members/{member_id}/points/redemptions/{redeemed['redemption_id']}/reversal")
        assert (reversed_.status, reversed_.body["points"], reversed_.body["reason"]) == (201, 60, "撤销兑换")
        assert (
            reversed_.body["reason_en"] == "Redemption reversed"
        )  # the default is the platform's words: in English too
        assert_invariants(member_id)

    def test_a_write_that_keeps_losing_races_answers_503_and_a_retry_succeeds(self, api, member, monkeypatch):
        """Another writer wins every attempt: after the bounded retries the answer is 503 with Retry-After,
        nothing is half-applied, and the same request later succeeds once."""
        member_id, me = member
        earn(member_id, 100)
        path = f"/v1/members/{member_id}/points/redemptions"
        real_commit = Transaction.commit

        def another_writer_first(tx, **kw):
            ledger_views.bump_rev(member_id)
            return real_commit(tx, **kw)

        with monkeypatch.context() as busy:
            busy.setattr(Transaction, "commit", another_writer_first)
            busy.setattr(engine, "_jitter", lambda attempt: None)
            before = item_counts()
            answer = me.post(path, {"points": 10, "reason": "x"}, headers=key("busy"))
            assert (answer.status, answer.headers["retry-after"]) == (503, "1")
            assert item_counts() == before
        retried = me.post(path, {"points": 10, "reason": "x"}, headers=key("busy"))
        assert (retried.status, retried.body["entry"]["balance_after"]) == (201, 90)
        assert_invariants(member_id)

    def test_an_account_with_thousands_of_lots_spends_them_in_one_transaction(self, api, member):
        """Lots live on the account item (one per pair of dates), so spending never grows the transaction;
        3,000 distinct dates (far more than any policy keeps live) still fit the item with room to spare."""
        member_id, me = member
        lots = [(1, today() + timedelta(days=n)) for n in range(1, 3_001)]
        service.open_balance(member_id, lots, "期初积分导入")
        answer = me.post(f"/v1/members/{member_id}/points/redemptions", {"points": 3_000, "reason": "x"},
                         headers=key("all-lots"))  # fmt: skip
        assert answer.status == 201
        assert api.get(f"/v1/members/{member_id}/points").body["available"] == 0
        sizes = [len(entry.lots.encode()) for entry in ledger_views.entries(member_id)]
        assert max(sizes) < 400 * 1024 / 3  # the draws of 3,000 lots: a third of an item at most
        assert_invariants(member_id)


class TestAdjustments:
    def test_credit_and_debit_by_hand_never_below_zero(self, api, aws, member):
        member_id, _ = member
        path = f"/v1/members/{member_id}/points/adjustments"
        credit = api.post(path, {"points": 500, "reason": "补发积分", "expires_on": "2030-06-30"}, headers=key("a1"))
        assert credit.status == 201
        assert credit.body["source"]["kind"] == "staff"
        debit = api.post(path, {"points": -200, "reason": "误发扣回"}, headers=key("a2"))
        assert debit.body["balance_after"] == 300
        assert api.post(path, {"points": -301, "reason": "x"}, headers=key("a3")).status == 409
        assert api.post(path, {"points": 0, "reason": "x"}, headers=key("a4")).status == 422
        assert api.post(path, {"points": 5, "reason": ""}, headers=key("a5")).status == 422
        assert (
            api.post(path, {"points": -5, "reason": "x", "expires_on": "2030-01-01"}, headers=key("a6")).status == 422
        )
        assert api.as_(token_for(["cashier"])).post(path, {"points": 1, "reason": "x"}, headers=key("a7")).status == 403
        assert api.get(f"/v1/members/{member_id}/points").body["expiring"] == [{"date": "2030-06-30", "points": 300}]
        held = api.get(f"/v1/members/{member_id}/points").body  # the summary adds up (a walkthrough: a claw-back
        assert held["deducted"] == 200  # was in no figure, so the member pages' counters did not)
        assert held["lifetime_earned"] - held["redeemed"] - held["expired"] - held["deducted"] == (
            held["available"] + held["pending"] - held["debt"])  # fmt: skip
        yesterday = (today() - timedelta(days=1)).isoformat()
        past = api.post(path, {"points": 5, "reason": "x", "expires_on": yesterday}, headers=key("a8"))
        assert (past.status, past.body["errors"][0]["field"]) == (422, "expires_on")
        assert_invariants(member_id)

    def test_a_stores_staff_credit_by_hand_within_their_limits_and_head_office_beyond(self, api, member):
        """A fitness chain's walkthrough: a store manager credited 1,000,000 points to a member of another store."""
        member_id, _ = member
        path = f"/v1/members/{member_id}/points/adjustments"
        manager = api.as_(token_for(["store_manager"], ("SH-001",)))
        before = item_counts()
        over = manager.post(path, {"points": 5_001, "reason": "补偿"}, headers=key("m-over"))
        assert (over.status, over.body["type"].split("/")[-1], over.body["limit_points"]) == (
            403, "adjustment-over-limit", 5_000)  # fmt: skip
        assert item_counts() == before
        for n in range(4):
            assert manager.post(path, {"points": 5_000, "reason": "补偿"}, headers=key(f"m-{n}")).status == 201
        day = manager.post(path, {"points": 1, "reason": "补偿"}, headers=key("m-day"))
        assert (day.status, day.body["type"].split("/")[-1]) == (403, "adjustment-daily-limit")
        assert manager.post(path, {"points": 5_000, "reason": "补偿"}, headers=key("m-0")).status == 201  # a repeat
        assert manager.post(path, {"points": -1, "reason": "误发扣回"}, headers=key("m-debit")).status == 201
        assert api.post(path, {"points": 50_000, "reason": "总部补偿"}, headers=key("hq")).status == 201  # head office
        assert api.get(f"/v1/members/{member_id}/points").body["available"] == 20_000 - 1 + 50_000

    def test_adjustments_are_audited_with_who_how_much_and_why(self, api, aws, member):
        member_id, _ = member
        api.post(f"/v1/members/{member_id}/points/adjustments", {"points": 7, "reason": "补发"}, headers=key("au"))
        deliver(aws, "audit")
        day = today().isoformat()
        [entry] = [e for e in api.get(f"/v1/audit?from={day}&to={day}").body["items"]
                   if e["action"] == "points.adjusted"]  # fmt: skip
        assert entry["actor"].startswith("staff:")
        assert entry["target"] == f"member/{member_id}"
        assert (entry["summary"]["points"], entry["summary"]["reason"]) == (7, "补发")

    def test_members_see_that_staff_adjusted_but_not_who(self, api, member):
        member_id, me = member
        api.post(f"/v1/members/{member_id}/points/adjustments", {"points": 5, "reason": "补发"}, headers=key("w1"))
        [staff_view] = api.get(f"/v1/members/{member_id}/points/ledger").body["items"]
        assert staff_view["source"]["id"].startswith("staff:")
        assert staff_view["recorded_by"] == staff_view["source"]["id"]  # staff read who, by name in the console
        for path in ("/v1/me/points/ledger", f"/v1/members/{member_id}/points/ledger"):  # both ways to their own
            [own_view] = me.get(path).body["items"]
            assert own_view == {**staff_view, "source": {"kind": "staff", "id": None}, "recorded_by": None}, path


class TestLedger:
    def test_newest_first_with_balances_and_pages(self, api, member):
        member_id, me = member
        for points in (10, 20, 30):
            earn(member_id, points)
        me.post(f"/v1/members/{member_id}/points/redemptions", {"points": 25, "reason": "兑换"}, headers=key("l1"))
        first = me.get("/v1/me/points/ledger?limit=3").body
        assert [(e["type"], e["points"], e["balance_after"]) for e in first["items"]] == [
            ("redeem", -25, 35), ("earn", 30, 60), ("earn", 20, 30)]  # fmt: skip
        rest = me.get(f"/v1/me/points/ledger?limit=3&cursor={first['next_cursor']}").body
        assert [(e["type"], e["points"]) for e in rest["items"]] == [("earn", 10)]
        assert rest["next_cursor"] is None
        staff_read = api.get(f"/v1/members/{member_id}/points/ledger").body["items"]
        assert [{**e, "recorded_by": None} for e in staff_read] == first["items"] + rest["items"]
        assert staff_read[0]["recorded_by"] == f"member:{member_id}"  # the member's own redemption
        assert_invariants(member_id)

    def test_a_history_page_reads_at_half_the_units_and_a_decision_reads_consistently(self, api, member):
        """A history page is read eventually consistent (half the read units: an entry committed a moment ago may
        show a moment later); what a decision rests on (the wallet's entries before a top-up's gift) is read
        consistently."""
        from chalicelib.shared.db import connection
        from chalicelib.wallet.service import cashed_out_after_top_up

        member_id, me = member
        earn(member_id, 10)
        queries = []
        events = connection().client.meta.events
        spy = lambda request, **_: queries.append(json.loads(request.body))  # noqa: E731
        events.register("before-send.dynamodb.Query", spy)
        try:
            for path in ("/v1/me/points/ledger", "/v1/me/growth", "/v1/me/benefits/uses"):
                assert me.get(path).status == 200, path
            histories = [q.get("ConsistentRead", False) for q in queries if q["TableName"].endswith("-ledger-entries")]
            queries.clear()
            assert cashed_out_after_top_up(member_id, "no-such-top-up") is None
        finally:
            events.unregister("before-send.dynamodb.Query", spy)
        assert histories == [False, False, False]
        assert [q.get("ConsistentRead") for q in queries if q["TableName"].endswith("-ledger-entries")] == [True]


def test_expiry_policies():
    from chalicelib.points.rules import ExpiryPolicy

    day = date(2026, 1, 31)
    assert ExpiryPolicy.parse("rolling-days:365").expires_on(day) == date(2027, 1, 31)
    assert ExpiryPolicy.parse("end-of-month:1").expires_on(day) == date(2026, 2, 28)
    assert ExpiryPolicy.parse("end-of-month:12").expires_on(day) == date(2027, 1, 31)
    assert ExpiryPolicy.parse("end-of-next-year").expires_on(day) == date(2027, 12, 31)
    assert ExpiryPolicy.parse("never").expires_on(day) is None
    for bad in ("rolling-days", "rolling-days:0", "end-of-month:x", "sometimes", "never:1"):
        with pytest.raises(ValueError, match="rolling-days"):
            ExpiryPolicy.parse(bad)
