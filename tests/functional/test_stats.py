"""The dashboard's statistics, kept from the event stream: day figures per chain and store, and standing figures that
equal what the ledgers hold, whatever the order and however often events are delivered."""

import json
from datetime import datetime, timedelta

import pytest

from chalicelib.points import jobs as points_jobs
from chalicelib.shared import clock
from chalicelib.shared.jobs import run_job
from chalicelib.shared.settings import get_settings
from tests.conftest import deliver, member_token, signed_headers, token_for

TZ = get_settings().tz
PATCH = {"content-type": "application/merge-patch+json", "if-match": '"1"'}


def signed(api, partner, path, body):
    raw = json.dumps(body, ensure_ascii=False).encode()
    return api.as_(None).call("POST", path, raw=raw, headers=signed_headers(*partner, raw))


def ledger_sum(api, member_id):
    """Every points entry of the member, summed by paging through their ledger."""
    total, cursor = 0, None
    while True:
        page = api.get(f"/v1/members/{member_id}/points/ledger?limit=200" + (f"&cursor={cursor}" if cursor else ""))
        total += sum(entry["points"] for entry in page.body["items"])
        cursor = page.body["next_cursor"]
        if not cursor:
            return total


class Chain:
    """Members at two stores who buy, redeem, get refunds, lose expired points and use their wallets."""

    def __init__(self, api, aws):
        self.api, self.aws = api, aws
        for store_id in ("SH-001", "BJ-001"):
            api.post("/v1/stores", {"store_id": store_id, "name": store_id, "city": "c", "region": "r"})
        created = api.post("/v1/partners", {"name": "POS", "all_stores": True}).body
        self.partner = created["partner_id"], created["secret"]
        self.members = {}
        for name, phone, store in (("沪一", "13800000001", "SH-001"), ("沪二", "13800000002", "SH-001"),
                                   ("京一", "13800000003", "BJ-001")):  # fmt: skip
            body = {"name": name, "phone": phone, "home_store_id": store}
            self.members[name] = api.post("/v1/members", body).body["member_id"]
        self.online, _ = member_token("13800000009")  # joined online: no home store
        self.orders = 0

    def buy(self, name, paid, store):
        self.orders += 1
        body = {"order_id": f"O-{self.orders}", "member": {"member_id": self.members[name]}, "store_id": store,
                "occurred_at": clock.iso(clock.now()), "currency": "CNY", "total_fen": paid, "paid_fen": paid,
                "payment_method": "cash"}  # fmt: skip
        answer = signed(self.api, self.partner, "/v1/webhooks/purchases", body)
        assert answer.status == 200, answer.body
        return body["order_id"]

    def wallet(self, kind, name, amount, payment_id, store):
        body = {"payment_id": payment_id, "member": {"member_id": self.members[name]}, "store_id": store,
                "occurred_at": clock.iso(clock.now()), "amount_fen": amount}  # fmt: skip
        answer = signed(self.api, self.partner, f"/v1/webhooks/wallet/{kind}", body)
        assert answer.status == 200, answer.body


@pytest.fixture
def chain(api, aws):
    return Chain(api, aws)


@pytest.fixture
def story(api, aws, chain):
    """Purchases at both stores (one lifts 沪一 to silver), a redemption and its reversal, a refund, points that
    expire, wallet top-ups and a payment; then the statistics consumer takes every event."""
    chain.buy("沪一", 120_000, "SH-001")  # 1,200 points and the silver gift (100)
    chain.buy("沪二", 30_000, "SH-001")
    order = chain.buy("京一", 50_000, "BJ-001")
    assert signed(api, chain.partner, "/v1/webhooks/refunds", {
        "refund_id": "R-1", "order_id": order, "occurred_at": clock.iso(clock.now()), "amount_fen": 10_000,
    }).status == 200  # fmt: skip
    redeemed = api.post(f"/v1/members/{chain.members['沪二']}/points/redemptions", {"points": 100, "reason": "换购"},
                        headers={"idempotency-key": "stats-redeem-1"}).body  # fmt: skip
    api.post(f"/v1/members/{chain.members['沪二']}/points/redemptions", {"points": 50, "reason": "换购"},
             headers={"idempotency-key": "stats-redeem-2"})  # fmt: skip
    reversal = f"/v1/members/{chain.members['沪二']}/points/redemptions/{redeemed['redemption_id']}/reversal"
    assert api.post(reversal, {"reason": "退货"}).status == 201
    today = clock.business_today()
    trial = {"points": 80, "reason": "体验积分", "expires_on": today.isoformat()}
    assert api.post(f"/v1/members/{chain.members['京一']}/points/adjustments", trial,
                    headers={"idempotency-key": "stats-trial"}).status == 201  # fmt: skip
    api.post(f"/v1/members/{chain.online}/points/adjustments", {"points": 30, "reason": "补偿"},
             headers={"idempotency-key": "stats-online"})  # fmt: skip
    chain.wallet("top-ups", "沪一", 50_000, "T-1", "SH-001")
    chain.wallet("top-ups", "京一", 20_000, "T-2", "BJ-001")
    chain.wallet("payments", "沪一", 12_000, "P-1", "BJ-001")  # paid at another store of the chain
    tomorrow = today + timedelta(days=1)
    with clock.frozen(datetime.combine(tomorrow, datetime.min.time(), TZ) + timedelta(hours=1)):
        assert run_job(points_jobs.expire_points, today).processed == 1
    deliver(aws, "statistics")
    return today


def daily(api, today, **query):
    extra = "".join(f"&{name}={value}" for name, value in query.items())
    answer = api.get(f"/v1/stats/daily?from={today - timedelta(days=2)}&to={today + timedelta(days=1)}{extra}")
    assert answer.status == 200, answer.body
    return answer.body


def test_the_standing_figures_equal_what_the_ledgers_hold(api, chain, story):
    summary = api.get("/v1/stats/summary").body
    member_ids = [*chain.members.values(), chain.online]
    balances = [api.get(f"/v1/members/{member_id}/points").body for member_id in member_ids]
    assert summary["points_outstanding"] == sum(b["available"] + b["pending"] for b in balances)
    assert summary["points_outstanding"] == sum(ledger_sum(api, member_id) for member_id in member_ids)
    wallets = [api.get(f"/v1/members/{member_id}/wallet").body for member_id in member_ids]
    assert summary["wallet_float_fen"] == {
        "principal_fen": sum(w["principal_fen"] for w in wallets), "bonus_fen": sum(w["bonus_fen"] for w in wallets),
        "total_fen": sum(w["total_fen"] for w in wallets),
    }  # fmt: skip
    assert summary["wallet_float_fen"]["total_fen"] == 58_000
    tiers = [api.get(f"/v1/members/{member_id}/tier").body["tier"]["code"] for member_id in member_ids]
    assert summary["members_total"] == 4
    assert summary["tier_distribution"] == {"normal": 3, "silver": 1, "gold": 0, "diamond": 0}
    assert sorted(tiers) == ["normal", "normal", "normal", "silver"]


def test_the_days_count_what_was_booked_and_the_totals_add_them_up(api, chain, story):
    figures = daily(api, story)
    days = [(story + timedelta(days=n)).isoformat() for n in (-2, -1, 0, 1)]
    assert [row["day"] for row in figures["days"]] == days
    assert figures["days"][0]["purchases"] == 0  # a day without events is zeros
    booked, expiry_booked = figures["days"][2], figures["days"][3]
    assert (booked["new_members"], booked["purchases"], booked["sales_fen"]) == (4, 3, 200_000)
    assert (booked["refunds"], booked["refunded_fen"]) == (1, 10_000)
    assert booked["points_redeemed"] == 50  # 150 redeemed, 100 given back
    assert (booked["wallet_top_ups_fen"], booked["wallet_payments_fen"]) == (70_000, 12_000)
    # points whose last day it was expire at its end: booked the next night, they count in that day
    assert (booked["points_expired"], expiry_booked["points_expired"]) == (80, 0)
    totals = figures["totals"]
    assert totals == {name: sum(row[name] for row in figures["days"]) for name in totals}
    summary = api.get("/v1/stats/summary").body
    moved = totals["points_issued"] - totals["points_redeemed"] - totals["points_expired"] - totals["points_deducted"]
    assert moved == summary["points_outstanding"]


def test_a_store_counts_what_happened_there_and_its_home_members(api, chain, story):
    shanghai, beijing = daily(api, story, store_id="SH-001")["totals"], daily(api, story, store_id="BJ-001")["totals"]
    assert (shanghai["purchases"], shanghai["sales_fen"], shanghai["new_members"]) == (2, 150_000, 2)
    assert shanghai["points_issued"] == 1_200 + 100 + 300  # the purchases' points and the upgrade's gift
    assert (shanghai["points_redeemed"], shanghai["points_expired"]) == (0, 0)  # redemptions belong to no store
    assert (beijing["refunds"], beijing["refunded_fen"], beijing["wallet_payments_fen"]) == (1, 10_000, 12_000)
    assert beijing["points_deducted"] == 100  # the refund's claw-back, at the order's store
    summary = api.get("/v1/stats/summary?store_id=SH-001").body
    assert (summary["members_total"], summary["tier_distribution"]["silver"]) == (2, 1)
    assert (summary["points_outstanding"], summary["wallet_float_fen"]) == (None, None)


def test_a_redelivered_event_changes_nothing(api, aws, chain, story):
    before = (api.get("/v1/stats/summary").body, daily(api, story))
    deliver(aws, "statistics", times=2)
    after = (api.get("/v1/stats/summary").body, daily(api, story))
    assert after[0]["points_outstanding"] == before[0]["points_outstanding"]
    assert after[1] == before[1]


def test_a_members_events_in_one_delivery_share_its_commits_and_count_the_member_once(api, aws, chain, monkeypatch):
    """A member's second event in a delivery writes the markers their first one writes: it waits for the first's
    commit and is read again, so the delivery needs no event consumed one by one."""
    from chalicelib.shared import events

    for paid in (10_000, 20_000, 30_000):
        chain.buy("沪一", paid, "SH-001")
    chain.buy("沪二", 5_000, "SH-001")
    alone, consume_one = [], events._consume_one
    monkeypatch.setattr(events, "_consume_one", lambda registered, event: (
        alone.append(registered.name), consume_one(registered, event))[1])  # fmt: skip
    deliver(aws, "statistics")
    assert "daily-stats" not in alone
    today = clock.business_today()
    sales = api.get(f"/v1/reports/sales?from={today}&to={today}&granularity=day").body["items"][0]
    assert (sales["purchases"], sales["buyers"], sales["repeat_buyers"]) == (4, 2, 1)
    assert daily(api, today)["days"][2]["new_members"] == 4


def test_moves_between_stores_and_erasure_follow_the_members(api, aws, chain):
    member_id = chain.members["沪二"]
    assert api.patch(f"/v1/members/{member_id}", {"home_store_id": "BJ-001"}, headers=PATCH).status == 200
    assert api.call("DELETE", f"/v1/members/{chain.members['京一']}").status == 204
    deliver(aws, "statistics")
    counted = {store: api.get(f"/v1/stats/summary?store_id={store}").body["members_total"]
               for store in ("SH-001", "BJ-001")}  # fmt: skip
    assert counted == {"SH-001": 1, "BJ-001": 1}
    assert api.get("/v1/stats/summary").body["members_total"] == 3


def test_store_scoped_staff_read_only_their_stores(api, aws, chain, story):
    manager = api.as_(token_for(["store_manager"], ("SH-001",)))
    mine = manager.get(f"/v1/stats/daily?from={story}&to={story}")
    assert (mine.status, mine.body["store_id"]) == (200, "SH-001")
    assert mine.body["totals"]["purchases"] == 2
    assert mine.body["totals"]["sales_fen"] > 0  # their stores' money (a tea chain's manager read — in the reports)
    assert manager.get(f"/v1/reports/liability?as_of={story}").status == 403  # the whole chain's: never theirs
    concierge = api.as_(token_for(["marketing"], ("SH-001",)))
    counted = concierge.get(f"/v1/stats/daily?from={story}&to={story}").body
    assert counted["totals"]["sales_fen"] is None  # counts, not money, for those who do not close a store's day
    assert {row["sales_fen"] for row in counted["days"]} == {None}
    assert manager.get(f"/v1/stats/daily?from={story}&to={story}&store_id=BJ-001").status == 422
    assert manager.get("/v1/stats/summary?store_id=BJ-001").status == 422
    assert manager.get("/v1/stats/summary").body["store_id"] == "SH-001"
    regional = api.as_(token_for(["finance"], ("SH-001", "BJ-001")))
    refused = regional.get("/v1/stats/summary")
    assert (refused.status, refused.body["errors"][0]["field"]) == (422, "store_id")
    assert regional.get("/v1/stats/summary?store_id=BJ-001").status == 200
    assert api.as_(token_for(["cashier"])).get("/v1/stats/summary").status == 403
    marketing = api.as_(token_for(["marketing"])).get("/v1/stats/summary").body
    assert (marketing["points_outstanding"] is not None, marketing["wallet_float_fen"]) == (True, None)
    assert regional.get(f"/v1/stats/daily?from={story}&to={story}&store_id=SH-001").body["totals"]["sales_fen"] > 0


def test_a_period_is_at_most_92_days(api):
    assert api.get("/v1/stats/daily?from=2026-01-01&to=2026-04-02").status == 200  # 92 days
    too_long = api.get("/v1/stats/daily?from=2026-01-01&to=2026-04-03")
    assert too_long.status == 422
    assert api.get("/v1/stats/daily?from=2026-02-01&to=2026-01-01").status == 422
