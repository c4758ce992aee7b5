"""The points mall (积分商城) through the API: rewards, the mall as a member sees it, exchanges exactly once and what
they refuse (writing nothing), points + cash paid by a partner or the wallet or released when unpaid, fulfilment by
shipment and by pickup code, cancellations and after-sale refunds, lists and the order's history."""

import json
from datetime import datetime, timedelta

import pytest

from chalicelib.audit.records import AuditRecord
from chalicelib.ledger.jobs import reconcile
from chalicelib.mall import jobs as mall_jobs
from chalicelib.mall.rules import order_holder, reward_holder
from chalicelib.shared import clock
from chalicelib.shared.jobs import run_job, scheduled_day
from chalicelib.shared.settings import get_settings
from tests.conftest import deliver, item_counts, member_token, published_envelopes, signed_headers, token_for

MERGE_PATCH = {"content-type": "application/merge-patch+json"}
CUP = {"name": "保温杯", "kind": "goods", "points": 300, "stock": 5, "fulfilment": "shipping"}
ADDRESS = {"name": "张三", "phone": "13800138000", "address": "上海市黄浦区南京东路 1 号 101 室"}
KEYS = iter(range(10**6))


def ok(answer, status=200):
    assert answer.status == status, answer.body
    return answer.body


def refused(answer, status, slug):
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.body["type"].endswith("/" + slug), answer.body
    return answer.body


def key(name=None):
    return {"idempotency-key": name or f"mall-key-{next(KEYS):06d}"}


@pytest.fixture
def member(api):
    """A member holding 1,000 points: ``(member id, their token as a client)``."""
    member_id, token = member_token("13900000001")
    ok(
        api.post(f"/v1/members/{member_id}/points/adjustments", {"points": 1_000, "reason": "开卡礼"}, headers=key()),
        201,
    )
    return member_id, api.as_(token)


def reward(api, **fields):
    return ok(api.post("/v1/mall/rewards", {**CUP, **fields}), 201)


def exchange(client, reward_id, *, headers=None, **fields):
    body = {"reward_id": reward_id, "quantity": 1, **fields}
    return client.post("/v1/me/mall/orders", body, headers=headers or key())


def placed(client, reward_id, **fields):
    return ok(exchange(client, reward_id, **fields), 201)


def available(client):
    return ok(client.get("/v1/me/points"))["available"]


def stock_of(api, reward_id):
    return ok(api.get(f"/v1/mall/rewards/{reward_id}"))["stock"]


def events(kind):
    return [e for e in published_envelopes() if e["type"] == kind]


def assert_reconciled(*holders):
    for holder in holders:
        assert reconcile(holder) == {}, holder


class TestRewards:
    def test_a_reward_is_created_read_and_listed_with_its_stock(self, api):
        created = api.post("/v1/mall/rewards", {**CUP, "images": ["https://cdn.example.com/cup.jpg"]})
        body = ok(created, 201)
        assert created.headers["etag"] == '"1"'
        assert created.headers["location"] == f"/v1/mall/rewards/{body['reward_id']}"
        assert (body["stock"], body["stocked"], body["sold"], body["status"], body["on_sale_now"]) == (
            5,
            5,
            0,
            "on_sale",
            True,
        )
        assert ok(api.get(f"/v1/mall/rewards/{body['reward_id']}")) == body
        second = reward(api, name="雨伞")
        page = ok(api.get("/v1/mall/rewards?limit=1"))
        assert [item["reward_id"] for item in page["items"]] == [second["reward_id"]]  # newest first
        rest = ok(api.get(f"/v1/mall/rewards?limit=1&cursor={page['next_cursor']}"))
        assert [item["reward_id"] for item in rest["items"]] == [body["reward_id"]]

    def test_a_patch_changes_terms_adds_stock_through_the_ledger_and_a_retry_adds_nothing_twice(self, api):
        created = reward(api)
        path = f"/v1/mall/rewards/{created['reward_id']}"
        patch = {"add_stock": 10, "points": 250, "status": "stopped", "description": "新款"}
        edited = api.patch(path, patch, headers={**MERGE_PATCH, "if-match": '"1"'})
        body = ok(edited)
        assert edited.headers["etag"] == '"2"'
        assert (body["stock"], body["stocked"], body["points"], body["status"], body["on_sale_now"]) == (
            15,
            15,
            250,
            "stopped",
            False,
        )
        before = item_counts()
        refused(api.patch(path, patch, headers={**MERGE_PATCH, "if-match": '"1"'}), 412, "precondition-failed")
        refused(api.patch(path, patch, headers=MERGE_PATCH), 428, "precondition-required")
        refused(api.patch(path, {"add_stock": -16}, headers={**MERGE_PATCH, "if-match": '"2"'}), 409, "out-of-stock")
        assert item_counts() == before
        assert ok(api.get(path))["stock"] == 15
        assert_reconciled(reward_holder(created["reward_id"]))

    @pytest.mark.parametrize(
        "body",
        [
            {**CUP, "fulfilment": None},
            {**CUP, "kind": "service"},
            {**CUP, "template_id": "tpl-1"},
            {**CUP, "images": ["http://cdn.example.com/cup.jpg"]},
            {**CUP, "on_sale_from": "2026-12-02T00:00:00+08:00", "on_sale_until": "2026-12-01T00:00:00+08:00"},
            {**CUP, "limit_period": "day"},
            {**CUP, "points": 0},
            {**CUP, "stock": -1},
        ],
    )
    def test_an_inconsistent_reward_is_422_and_writes_nothing(self, api, body):
        before = item_counts()
        refused(api.post("/v1/mall/rewards", body), 422, "validation-failed")
        assert item_counts() == before

    def test_a_coupon_reward_names_a_template_that_exists(self, api):
        body = {"name": "满100减20", "kind": "coupon", "points": 100, "stock": 10, "template_id": "tpl-nothing"}
        before = item_counts()
        assert refused(api.post("/v1/mall/rewards", body), 422, "validation-failed")["errors"][0]["field"] == (
            "template_id"
        )
        assert item_counts() == before

    def test_a_member_sees_what_is_on_sale_to_their_tier_what_they_can_afford_and_their_limit(self, api, member):
        _, client = member
        cheap = reward(api, per_member_limit=2, limit_period="month")
        dear = reward(api, name="行李箱", points=5_000)
        gold = reward(api, name="黄金专享", tiers=["gold"])
        reward(api, name="下月开售", on_sale_from=clock.iso(clock.now() + timedelta(days=30)))
        placed(client, cheap["reward_id"], address=ADDRESS)
        mall = ok(client.get("/v1/me/mall/rewards"))
        assert mall["available_points"] == 700
        shown = {item["name"]: item for item in mall["items"]}
        assert set(shown) == {"保温杯", "行李箱"}
        assert (shown["保温杯"]["affordable"], shown["保温杯"]["remaining_for_member"]) == (True, 1)
        assert (shown["行李箱"]["affordable"], shown["行李箱"]["remaining_for_member"]) == (False, None)
        affordable = ok(client.get("/v1/me/mall/rewards?affordable=true"))
        assert [item["reward_id"] for item in affordable["items"]] == [cheap["reward_id"]]
        assert dear["reward_id"] not in {item["reward_id"] for item in affordable["items"]}
        one = ok(client.get(f"/v1/me/mall/rewards/{cheap['reward_id']}"))
        assert (one["remaining_for_member"], one["tiers"]) == (1, [])
        refused(client.get(f"/v1/me/mall/rewards/{gold['reward_id']}"), 404, "not-found")  # not for their tier


class TestExchange:
    def test_an_exchange_spends_points_takes_stock_and_answers_the_order_once_per_key(self, api, member):
        member_id, client = member
        cup = reward(api)
        first = exchange(client, cup["reward_id"], headers=key("order-once"), quantity=2, address=ADDRESS)
        order = ok(first, 201)
        assert first.headers["cache-control"] == "no-store"
        assert (order["status"], order["points"], order["points_held"], order["quantity"]) == ("pending", 600, 600, 2)
        assert order["address"] == {**ADDRESS, "phone": "+8613800138000", "masked": False}
        assert [step["action"] for step in order["history"]] == ["place"]
        assert (available(client), stock_of(api, cup["reward_id"])) == (400, 3)
        before = item_counts()
        again = exchange(client, cup["reward_id"], headers=key("order-once"), quantity=2, address=ADDRESS)
        assert ok(again, 201) == order
        refused(
            exchange(client, cup["reward_id"], headers=key("order-once"), quantity=1, address=ADDRESS),
            422,
            "idempotency-key-reused",
        )
        assert item_counts() == before
        [event] = events("mall.order-placed")
        assert event["payload"] == {
            "order_id": order["order_id"],
            "member_id": member_id,
            "reward_id": cup["reward_id"],
            "kind": "goods",
            "quantity": 2,
            "points": 600,
            "cash_fen": 0,
            "status": "pending",
            "action": "place",
        }
        ledger = ok(client.get("/v1/me/points/ledger"))["items"]
        assert (ledger[0]["type"], ledger[0]["points"], ledger[0]["source"]) == (
            "redeem",
            -600,
            {"kind": "mall-order", "id": order["order_id"]},
        )
        assert_reconciled(member_id, reward_holder(cup["reward_id"]), order_holder(order["order_id"]))

    def test_what_does_not_fit_is_refused_with_what_is_left_and_writes_nothing(self, api, member):
        _, client = member
        cup = reward(api, stock=2, per_member_limit=1, limit_period="day")
        dear = reward(api, name="行李箱", points=5_000)
        before = item_counts()
        problem = refused(exchange(client, dear["reward_id"], address=ADDRESS), 409, "insufficient-points")
        assert problem["available"] == 1_000
        assert (
            refused(exchange(client, cup["reward_id"], quantity=3, address=ADDRESS), 409, "out-of-stock")["available"]
            == 2
        )
        refused(exchange(client, cup["reward_id"], quantity=2, address=ADDRESS), 409, "limit-reached")
        refused(exchange(client, cup["reward_id"]), 422, "validation-failed")  # shipped goods need an address
        refused(exchange(client, "rw_nothing", address=ADDRESS), 404, "not-found")
        refused(client.post("/v1/me/mall/orders", {"reward_id": cup["reward_id"]}), 428, "precondition-required")
        assert item_counts() == before
        placed(client, cup["reward_id"], address=ADDRESS)
        assert refused(exchange(client, cup["reward_id"], address=ADDRESS), 409, "limit-reached")["remaining"] == 0

    def test_rewards_not_on_sale_or_for_another_tier_are_422(self, api, member):
        _, client = member
        gold = reward(api, tiers=["gold"])
        soon = reward(api, on_sale_from=clock.iso(clock.now() + timedelta(hours=1)))
        stopped = reward(api)
        api.patch(
            f"/v1/mall/rewards/{stopped['reward_id']}",
            {"status": "stopped"},
            headers={**MERGE_PATCH, "if-match": '"1"'},
        )
        refused(exchange(client, gold["reward_id"], address=ADDRESS), 422, "reward-not-for-tier")
        refused(exchange(client, soon["reward_id"], address=ADDRESS), 422, "reward-not-on-sale")
        refused(exchange(client, stopped["reward_id"], address=ADDRESS), 422, "reward-not-on-sale")

    def test_the_ranking_names_the_rewards_exchanged_most_net_of_cancellations(self, api, member):
        """兑换排行 (哪些兑换商品最受会员欢迎): by units exchanged, cancellations taken off, none exchanged left out."""
        _, client = member
        cup, bag, idle = reward(api), reward(api, name="帆布袋", points=100), reward(api, name="无人问津")
        placed(client, bag["reward_id"], address=ADDRESS)
        placed(client, cup["reward_id"], address=ADDRESS)
        cancelled = placed(client, bag["reward_id"], quantity=2, address=ADDRESS)
        ok(client.post(f"/v1/me/mall/orders/{cancelled['order_id']}/cancellation", {}))
        placed(client, cup["reward_id"], address=ADDRESS)
        ranked = ok(api.get("/v1/mall/rewards/ranking"))["items"]
        assert [(r["name"], r["sold"]) for r in ranked] == [("保温杯", 2), ("帆布袋", 1)]  # the cancelled two not
        assert idle["reward_id"] not in {r["reward_id"] for r in ranked}
        assert [r["name"] for r in ok(api.get("/v1/mall/rewards/ranking?limit=1"))["items"]] == ["保温杯"]

    def test_a_tier_with_its_own_price_pays_it_and_a_cancellation_gives_that_back(self, api, member):
        """会员价: gold pays 200 where others pay 300; the member's list says both, the order charges theirs."""
        member_id, client = member
        cup = reward(api, tier_points={"gold": 200})
        assert cup["tier_points"] == {"gold": 200}
        (shown,) = [i for i in ok(client.get("/v1/me/mall/rewards"))["items"] if i["reward_id"] == cup["reward_id"]]
        assert (shown["points"], shown["regular_points"]) == (300, None)  # a normal member: the regular price
        pin = {"kind": "pin", "tier": "gold", "until": "2030-12-31", "reason": "员工等级"}
        assert api.call("PUT", f"/v1/members/{member_id}/tier/override", pin).status == 200
        (shown,) = [i for i in ok(client.get("/v1/me/mall/rewards"))["items"] if i["reward_id"] == cup["reward_id"]]
        assert (shown["points"], shown["regular_points"]) == (200, 300)
        order = placed(client, cup["reward_id"], quantity=2, address=ADDRESS)
        assert (order["points"], available(client)) == (400, 600)
        ok(client.post(f"/v1/me/mall/orders/{order['order_id']}/cancellation", {}))
        assert available(client) == 1_000  # what the order charged, back
        before = item_counts()
        for prices in ({"gold": 300}, {"platinum": 100}):
            refused(api.post("/v1/mall/rewards", {**CUP, "tier_points": prices}), 422, "validation-failed")
        cheaper = api.patch(f"/v1/mall/rewards/{cup['reward_id']}", {"points": 150},
                            headers={**MERGE_PATCH, "if-match": '"1"'})  # fmt: skip
        assert (cheaper.status, cheaper.body["errors"][0]["field"]) == (422, "tier_points")  # under gold's 200
        assert item_counts() == before

    def test_a_reward_kept_for_a_tier_the_programme_does_not_have_is_422(self, api):
        """Found by a probe: "platinum" was accepted, which kept the reward from everyone."""
        before = item_counts()
        body = {
            "name": "白金专享",
            "kind": "goods",
            "points": 100,
            "stock": 5,
            "tiers": ["platinum"],
            "fulfilment": "shipping",
        }
        problem = refused(api.post("/v1/mall/rewards", body), 422, "validation-failed")
        assert problem["errors"][0]["field"] == "tiers"
        assert item_counts() == before


def test_a_member_with_an_order_under_way_is_erased_only_once_it_is_settled(api, member):
    """Found by a probe: an erased member's pickup code still completed their order. An order under way keeps the
    erasure waiting (409), as principal does; once it is completed or cancelled the erasure goes ahead."""
    member_id, client = member
    order = placed(client, reward(api)["reward_id"], address=ADDRESS)
    before = item_counts()
    held = api.call("DELETE", f"/v1/members/{member_id}")
    assert refused(held, 409, "member-holds-value")["open_orders"] == [order["order_id"]]
    assert item_counts() == before
    ok(api.post(f"/v1/mall/orders/{order['order_id']}/cancellation", {"reason": "会员注销"}))
    assert api.call("DELETE", f"/v1/members/{member_id}").status == 204


def test_staff_cancelling_without_a_reason_say_the_store_did_it_not_the_member(api, member):
    """A review: a staff cancellation with no reason told the member they had cancelled it themselves (会员取消)."""
    _, client = member
    order = placed(client, reward(api)["reward_id"], address=ADDRESS)
    cancelled = ok(api.post(f"/v1/mall/orders/{order['order_id']}/cancellation"))
    assert cancelled["history"][-1]["why"] == "门店取消"
    (said,) = [e["payload"] for e in events("mall.order-cancelled")]
    assert (said["why"], said["by"].split(":")[0]) == ("门店取消", "staff")


class TestShipping:
    def test_goods_are_shipped_received_and_refunded_after_sale_with_every_step_explained(self, api, member):
        member_id, client = member
        order = placed(client, reward(api)["reward_id"], address=ADDRESS)
        path = f"/v1/mall/orders/{order['order_id']}"
        shipment = {"carrier": "顺丰速运", "tracking_no": "SF1234567890"}
        shipped = ok(api.post(f"{path}/shipment", shipment))
        assert (shipped["status"], shipped["shipment"]["tracking_no"]) == ("shipped", "SF1234567890")
        assert ok(api.post(f"{path}/shipment", shipment))["history"] == shipped["history"]  # the same again: nothing
        refused(api.post(f"{path}/shipment", {**shipment, "tracking_no": "SF0000"}), 409, "order-state-conflict")
        refused(client.post(f"/v1/me/mall/orders/{order['order_id']}/cancellation", {}), 409, "order-state-conflict")
        received = ok(client.post(f"/v1/me/mall/orders/{order['order_id']}/completion"))
        assert received["status"] == "completed"
        cashier = api.as_(token_for(["cashier"]))  # hands goods over, but cannot give them back after sale alone
        before = item_counts()
        refused(cashier.post(f"{path}/refund", {"reason": "质量问题"}), 403, "forbidden")
        assert item_counts() == before
        refunded = ok(api.post(f"{path}/refund", {"reason": "质量问题"}))
        assert (refunded["status"], refunded["points_held"]) == ("refunded", 0)
        assert [(step["action"], step["status"], step["why"]) for step in refunded["history"]] == [
            ("place", "pending", "积分商城兑换 保温杯 ×1"),
            ("ship", "shipped", "已发货 顺丰速运 SF1234567890"),
            ("complete", "completed", "会员确认收货"),
            ("refund", "refunded", "质量问题"),
        ]
        assert refunded["history"][1]["by"].startswith("staff:")
        mine = ok(client.get(f"/v1/me/mall/orders/{order['order_id']}"))
        assert [step["by"] for step in mine["history"]] == ["member", "staff", "member", "staff"]
        assert available(client) == 1_000
        assert ok(client.get("/v1/me/points/ledger"))["items"][0]["reason"] == "积分商城兑换退款 保温杯 ×1: 质量问题"
        assert stock_of(api, order["reward_id"]) == 5
        assert ok(api.post(f"{path}/refund", {"reason": "again"}))["history"] == refunded["history"]  # once
        assert [e["type"] for e in events("mall.order-shipped")] == ["mall.order-shipped"]
        assert len(events("mall.order-refunded")) == 1
        assert_reconciled(member_id, reward_holder(order["reward_id"]), order_holder(order["order_id"]))

    def test_the_address_is_whole_for_the_member_and_pii_readers_masked_for_the_others(self, api, member):
        _, client = member
        order = placed(client, reward(api)["reward_id"], address=ADDRESS)
        path = f"/v1/mall/orders/{order['order_id']}"
        whole = {**ADDRESS, "phone": "+8613800138000", "masked": False}
        masked = {"name": "张*", "phone": "138****8000", "address": "上海市黄浦区****", "masked": True}
        assert ok(client.get(f"/v1/me/mall/orders/{order['order_id']}"))["address"] == whole
        assert ok(api.as_(token_for(["cashier"])).get(path))["address"] == masked
        assert ok(api.as_(token_for(["store_manager"])).get(path))["address"] == whole
        assert ok(client.get("/v1/me/mall/orders"))["items"][0]["address"] == masked  # lists never open it
        reads = [r.target for r in AuditRecord.scan() if r.action == "mall-order.address-read"]
        assert reads == [f"mall-order/{order['order_id']}"]  # the store manager's whole read, not the cashier's

    def test_a_member_cancels_a_pending_order_and_gets_points_and_stock_back_once(self, api, member):
        member_id, client = member
        order = placed(client, reward(api)["reward_id"], address=ADDRESS)
        path = f"/v1/me/mall/orders/{order['order_id']}/cancellation"
        cancelled = ok(client.post(path, {"reason": "不想要了"}))
        assert (cancelled["status"], cancelled["history"][-1]["why"]) == ("cancelled", "不想要了")
        assert (cancelled["cash_refund_due_fen"], cancelled["cash_refund_to"]) == (0, None)
        before = item_counts()
        assert ok(client.post(path)) == cancelled
        assert item_counts() == before
        assert (available(client), stock_of(api, order["reward_id"])) == (1_000, 5)
        back = ok(client.get("/v1/me/points/ledger"))["items"][0]  # says what came back, and why
        assert ok(client.get(f"/v1/me/mall/orders/{order['order_id']}"))["history"][-1]["why_en"] is None  # as given
        assert (back["points"], back["reason"]) == (300, "积分商城兑换取消 保温杯 ×1: 不想要了")
        assert back["reason_en"] == "Points mall exchange cancelled: 保温杯 ×1: 不想要了"  # the member's words as given
        _, other = member_token("13900000002")
        refused(api.as_(other).post(path), 404, "not-found")  # another member's order does not exist for them
        assert_reconciled(member_id, order_holder(order["order_id"]))

    def test_the_contract_route_cancels_for_the_member_their_own_order_and_no_one_elses(self, api, member):
        _, client = member
        order = placed(client, reward(api)["reward_id"], address=ADDRESS)
        path = f"/v1/mall/orders/{order['order_id']}/cancellation"  # the issue's route: staff, or the member
        _, other = member_token("13900000002")
        refused(api.as_(other).post(path, {"reason": "x"}), 404, "not-found")
        assert ok(client.post(path, {"reason": "不想要了"}))["status"] == "cancelled"
        other_order = placed(client, reward(api)["reward_id"], address=ADDRESS)
        cancelled = ok(client.post(f"/v1/me/mall/orders/{other_order['order_id']}/cancellation"))  # no body
        assert (cancelled["history"][-1]["why"], cancelled["history"][-1]["why_en"]) == (
            "会员取消",
            "Cancelled by the member",
        )
        assert (available(client), stock_of(api, order["reward_id"])) == (1_000, 5)


class TestPickup:
    def test_a_pickup_not_collected_in_time_is_cancelled_once_with_everything_back(self, api, member):
        """An education chain's walkthrough: a ready order from a year before still held the member's closure."""
        _, client = member
        api.post("/v1/stores", {"store_id": "SH-001", "name": "SH-001", "city": "c", "region": "r"})
        pickup = reward(api, fulfilment="pickup")
        before = (available(client), stock_of(api, pickup["reward_id"]))
        order = placed(client, pickup["reward_id"], pickup_store_id="SH-001")
        collected = placed(client, pickup["reward_id"], pickup_store_id="SH-001")
        ok(api.post("/v1/mall/pickups", {"code": collected["pickup_code"], "store_id": "SH-001"}))
        job = mall_jobs.expire_uncollected_mall_orders
        with clock.frozen(clock.now() + timedelta(days=26)):
            assert run_job(job, clock.business_today()).tallies == {}  # not due, nor told yet
        for day in (28, 29):  # told three days before, once however many nights (a retail chain's walkthrough: none)
            with clock.frozen(clock.now() + timedelta(days=day)):
                report = run_job(job, clock.business_today())
                assert report.tallies == {"reminded": 1}  # the collected order is not told
        (due, again) = [e["payload"] for e in events("mall.order-pickup-due")]
        assert (due["order_id"], due["reward_name"], due["pickup_store_id"]) == (order["order_id"], pickup["name"],
                                                                                 "SH-001")  # fmt: skip
        assert due["cancel_on"] == again["cancel_on"] == clock.business_date(
            datetime.fromisoformat(order["placed_at"]) + timedelta(days=30), get_settings().tz).isoformat()  # fmt: skip
        with clock.frozen(clock.now() + timedelta(days=31)):
            report = run_job(job, clock.business_today())
            assert (report.processed, report.tallies) == (1, {"changed": 1, "cancelled": 1})  # said (a probe: {})
            assert run_job(job, clock.business_today()).processed == 0  # once
        expired = ok(client.get(f"/v1/me/mall/orders/{order['order_id']}"))
        assert (expired["status"], expired["history"][-1]["why"]) == ("cancelled", "超过 30 天未提货，自动取消")
        assert ok(client.get(f"/v1/me/mall/orders/{collected['order_id']}"))["status"] == "completed"  # collected
        assert available(client) == before[0] - collected["points"]  # the uncollected order's points came back
        assert stock_of(api, pickup["reward_id"]) == before[1] - 1
        (gone,) = [e["payload"] for e in events("mall.order-cancelled")]  # the member hears why (a walkthrough)
        assert (gone["by"], gone["why"], gone["reward_name"]) == (
            "system",
            "超过 30 天未提货，自动取消",
            pickup["name"],
        )

    def test_a_cashier_verifies_the_members_pickup_code_once_at_the_chosen_store(self, api, member):
        _, client = member
        for store_id in ("SH-001", "BJ-001"):
            api.post("/v1/stores", {"store_id": store_id, "name": store_id, "city": "c", "region": "r"})
        pickup = reward(api, fulfilment="pickup")
        order = placed(client, pickup["reward_id"], pickup_store_id="SH-001")
        assert order["status"] == "ready_for_pickup"
        code = order["pickup_code"]
        assert len(code) == 16
        assert code.isdigit()
        assert ok(api.get(f"/v1/mall/orders/{order['order_id']}"))["pickup_code"] is None  # the member's alone
        cashier = api.as_(token_for(["cashier"], ("SH-001",)))
        refused(cashier.post("/v1/mall/pickups", {"code": code, "store_id": "BJ-001"}), 422, "validation-failed")
        refused(api.post("/v1/mall/pickups", {"code": code, "store_id": "BJ-001"}), 422, "wrong-pickup-store")
        refused(cashier.post("/v1/mall/pickups", {"code": "1" * 16, "store_id": "SH-001"}), 404, "not-found")
        grouped = " ".join(code[i : i + 4] for i in range(0, 16, 4))
        collected = ok(cashier.post("/v1/mall/pickups", {"code": grouped, "store_id": "SH-001"}))
        assert (collected["status"], collected["history"][-1]["action"]) == ("completed", "verify")
        refused(cashier.post("/v1/mall/pickups", {"code": code, "store_id": "SH-001"}), 409, "pickup-code-used")
        assert ok(client.get(f"/v1/me/mall/orders/{order['order_id']}"))["pickup_code"] is None  # used
        assert len(events("mall.order-ready-for-pickup")) == 1
        assert len(events("mall.order-completed")) == 1
        listed = ok(cashier.get("/v1/mall/orders?store_id=SH-001"))["items"]
        assert [item["order_id"] for item in listed] == [order["order_id"]]
        whose = {"member_no": ok(api.get(f"/v1/members/{member[0]}"))["member_no"], "name": "会员",
                 "phone_masked": "139****0001"}  # fmt: skip
        assert listed[0]["member"] == whose  # named, not an id (found by a walkthrough)
        assert ok(cashier.get(f"/v1/mall/orders/{order['order_id']}"))["member"] == whose
        assert ok(client.get(f"/v1/me/mall/orders/{order['order_id']}"))["member"] is None  # the member's own
        refused(cashier.get("/v1/mall/orders"), 422, "validation-failed")  # scoped staff name one of their stores

    def test_a_service_is_verified_at_any_store(self, api, member):
        _, client = member
        api.post("/v1/stores", {"store_id": "SH-001", "name": "SH", "city": "c", "region": "r"})
        wash = reward(api, name="洗车", kind="service", fulfilment=None)
        order = placed(client, wash["reward_id"])
        done = ok(api.post("/v1/mall/pickups", {"code": order["pickup_code"], "store_id": "SH-001"}))
        assert (done["status"], done["pickup_store_id"]) == ("completed", "SH-001")


@pytest.fixture
def pos(api):
    issued = ok(api.post("/v1/partners", {"name": "Pay", "all_stores": True}), 201)
    return issued["partner_id"], issued["secret"]


def paid_by_partner(api, pos, order, payment_id="WX-1", amount=None):
    body = {
        "order_id": order["order_id"],
        "payment_id": payment_id,
        "amount_fen": amount or order["cash_fen"],
        "paid_at": order["placed_at"],
    }
    raw = json.dumps(body).encode()
    return api.as_(None).call("POST", "/v1/webhooks/mall/payments", raw=raw, headers=signed_headers(*pos, raw))


class TestPointsAndCash:
    def test_a_partner_pays_the_cash_part_once_and_a_cancellation_owes_it_back(self, api, member, pos):
        _, client = member
        order = placed(client, reward(api, cash_fen=990)["reward_id"], address=ADDRESS)
        assert (order["status"], order["cash_fen"]) == ("awaiting_payment", 990)
        refused(paid_by_partner(api, pos, order, amount=100), 422, "payment-amount-mismatch")
        paid = ok(paid_by_partner(api, pos, order))
        assert (paid["status"], paid["payment"]["method"], paid["payment"]["payment_id"]) == (
            "pending",
            "partner",
            "WX-1",
        )
        before = item_counts()
        assert ok(paid_by_partner(api, pos, order))["status"] == "pending"  # the same payment again
        refused(paid_by_partner(api, pos, order, "WX-2"), 409, "order-not-awaiting-payment")
        assert item_counts() == before
        cancelled = ok(api.post(f"/v1/mall/orders/{order['order_id']}/cancellation", {"reason": "缺货"}))
        assert (cancelled["cash_refund_due_fen"], cancelled["cash_refund_to"]) == (990, "partner")
        assert available(client) == 1_000

    def test_an_unpaid_order_is_released_by_the_job_and_a_late_payment_takes_nothing(self, api, member, pos):
        member_id, client = member
        cup = reward(api, cash_fen=990)
        unpaid = placed(client, cup["reward_id"], address=ADDRESS)
        in_time = placed(client, cup["reward_id"], address=ADDRESS)
        ok(paid_by_partner(api, pos, in_time))
        job = mall_jobs.release_unpaid_mall_orders
        assert run_job(job, scheduled_day(job)).processed == 0  # not due yet
        with clock.frozen(clock.now() + timedelta(minutes=31)):
            report = run_job(job, scheduled_day(job))
            assert (report.status, report.processed, report.tallies) == ("completed", 1, {"changed": 1, "cancelled": 1})
            assert run_job(job, scheduled_day(job)).processed == 0  # once
            before = item_counts()
            late = refused(paid_by_partner(api, pos, unpaid, "WX-late"), 409, "order-not-awaiting-payment")
            assert "nothing was taken" in late["detail"]
            assert item_counts() == before
        released = ok(client.get(f"/v1/me/mall/orders/{unpaid['order_id']}"))
        assert (released["status"], released["history"][-1]["action"], released["history"][-1]["by"]) == (
            "cancelled",
            "release",
            "system",
        )
        assert (available(client), stock_of(api, cup["reward_id"])) == (700, 4)
        before = item_counts()
        wallet = client.post(f"/v1/me/mall/orders/{unpaid['order_id']}/wallet-payment")
        refused(wallet, 409, "order-not-awaiting-payment")
        assert item_counts() == before
        assert_reconciled(member_id, reward_holder(cup["reward_id"]), order_holder(unpaid["order_id"]))

    def test_the_wallet_pays_the_cash_part_in_the_orders_transaction_and_a_cancellation_refunds_it(
        self, api, member, partner
    ):
        member_id, client = member
        top_up = {
            "payment_id": "T-1",
            "member": {"member_id": member_id},
            "store_id": "SH-001",
            "occurred_at": clock.iso(clock.now()),
            "amount_fen": 5_000,
        }
        raw = json.dumps(top_up).encode()
        ok(api.as_(None).call("POST", "/v1/webhooks/wallet/top-ups", raw=raw, headers=signed_headers(*partner, raw)))
        order = placed(client, reward(api, cash_fen=990)["reward_id"], address=ADDRESS)
        path = f"/v1/me/mall/orders/{order['order_id']}/wallet-payment"
        paid = ok(client.post(path))
        assert (paid["status"], paid["payment"]["method"], paid["payment"]["amount_fen"]) == ("pending", "wallet", 990)
        assert ok(client.post(path)) == paid  # once per order
        assert ok(client.get("/v1/me/wallet"))["total_fen"] == 5_000 - 990
        entries = ok(client.get("/v1/me/wallet/entries"))["items"]  # what it paid for, in words (it read mo_01…)
        assert {e["reason"] for e in entries if e["kind"] == "payment"} == {f"储值支付·积分商城 {CUP['name']}"}
        cancelled = ok(client.post(f"/v1/me/mall/orders/{order['order_id']}/cancellation"))
        assert (cancelled["cash_refund_due_fen"], cancelled["cash_refund_to"]) == (990, "wallet")
        assert ok(client.get("/v1/me/wallet"))["total_fen"] == 5_000
        assert ok(client.post(path))["status"] == "cancelled"  # the payment again: its order as it is, nothing taken
        assert ok(client.get("/v1/me/wallet"))["total_fen"] == 5_000
        _, other = member_token("13900000002")  # another member is told of no such order, never shown the kept answer
        refused(api.as_(other).post(f"/v1/me/mall/orders/{order['order_id']}/cancellation"), 404, "not-found")
        assert_reconciled(member_id, order_holder(order["order_id"]))

    def test_a_wallet_short_of_the_cash_part_takes_nothing(self, api, member):
        _, client = member
        order = placed(client, reward(api, cash_fen=990)["reward_id"], address=ADDRESS)
        before = item_counts()
        refused(client.post(f"/v1/me/mall/orders/{order['order_id']}/wallet-payment"), 409, "insufficient-balance")
        assert item_counts() == before


def test_the_orders_events_reach_the_mall_queue_and_its_consumer_acts_once(api, aws, member):
    _, client = member
    placed(client, reward(api)["reward_id"], address=ADDRESS)
    messages = deliver(aws, "mall", times=2)  # a redelivery changes nothing
    assert [json.loads(m["body"])["type"] for m in messages] == ["mall.order-placed"]


TEMPLATE = {
    "name": "满100减20",
    "kind": "threshold",
    "threshold_fen": 10_000,
    "amount_off_fen": 2_000,
    "validity": {"days_after_issue": 30},
    "stock": 100,
}


def test_a_coupon_reward_issues_its_coupon_at_once_exactly_once(api, aws, member):
    member_id, client = member
    template = ok(api.post("/v1/coupons/templates", TEMPLATE), 201)
    coupon = reward(
        api, name="满100减20券", kind="coupon", points=200, fulfilment=None, template_id=template["template_id"]
    )
    order = placed(client, coupon["reward_id"])
    assert (order["status"], [step["action"] for step in order["history"]]) == ("completed", ["place", "issue"])
    deliver(aws, "mall", times=2)  # the consumer finds it issued: nothing more
    codes = [c["code"] for c in ok(client.get("/v1/me/coupons"))["items"]]
    assert codes == [order["coupon_code"]]
    refused(client.post(f"/v1/me/mall/orders/{order['order_id']}/cancellation"), 409, "order-state-conflict")
    refused(exchange(client, coupon["reward_id"], quantity=2), 422, "validation-failed")
    assert available(client) == 800
    assert_reconciled(member_id, order_holder(order["order_id"]))


def test_a_coupon_the_template_refuses_cancels_the_order_and_gives_the_points_back(api, member):
    _, client = member
    template = ok(api.post("/v1/coupons/templates", {**TEMPLATE, "stock": 1}), 201)
    coupon = reward(api, name="限量券", kind="coupon", points=200, fulfilment=None, template_id=template["template_id"])
    assert placed(client, coupon["reward_id"])["status"] == "completed"
    refused_order = placed(client, coupon["reward_id"])  # the template's last coupon is gone
    assert (refused_order["status"], refused_order["history"][-1]["action"]) == ("cancelled", "fail")
    assert available(client) == 800
    assert stock_of(api, coupon["reward_id"]) == 4  # the one issued; the refused one came back


class TestLists:
    def test_staff_list_orders_by_status_and_everything_newest_first_and_a_members_orders(self, api, member):
        member_id, client = member
        cup = reward(api)
        first = placed(client, cup["reward_id"], address=ADDRESS)
        second = placed(client, cup["reward_id"], address=ADDRESS)
        ok(api.post(f"/v1/mall/orders/{first['order_id']}/shipment", {"carrier": "SF", "tracking_no": "SF0001"}))
        assert [o["order_id"] for o in ok(api.get("/v1/mall/orders?status=pending"))["items"]] == [second["order_id"]]
        assert [o["order_id"] for o in ok(api.get("/v1/mall/orders?status=shipped"))["items"]] == [first["order_id"]]
        every = ok(api.get("/v1/mall/orders?limit=1"))
        assert [o["order_id"] for o in every["items"]] == [second["order_id"]]
        rest = ok(api.get(f"/v1/mall/orders?limit=1&cursor={every['next_cursor']}"))
        assert [o["order_id"] for o in rest["items"]] == [first["order_id"]]
        theirs = ok(api.get(f"/v1/members/{member_id}/mall/orders"))["items"]
        assert [(o["order_id"], o["status"]) for o in theirs] == [
            (second["order_id"], "pending"),
            (first["order_id"], "shipped"),
        ]
        assert ok(client.get(f"/v1/members/{member_id}/mall/orders")) == ok(client.get("/v1/me/mall/orders"))
        received = ok(api.post(f"/v1/mall/orders/{first['order_id']}/completion"))
        assert (received["status"], received["history"][-1]["why"]) == ("completed", "已签收")
        refused(api.post(f"/v1/mall/orders/{second['order_id']}/completion"), 409, "order-state-conflict")
        refused(api.get("/v1/mall/orders?status=lost"), 422, "validation-failed")
        refused(api.get("/v1/mall/orders/mo_nothing"), 404, "not-found")


def test_the_liability_counts_the_open_orders_by_how_long_they_have_waited(api, member):
    """What the mall still owes, in all and by age: orders placed today, 10 days ago and 40 days ago, each for 100
    points (a fen each by default); a completed order is owed nothing."""
    from chalicelib.identity.member_auth import member_claims
    from chalicelib.identity.service import issue_tokens

    member_id, _ = member
    cup = reward(api, points=100)
    for days_ago in (40, 10, 0):
        with clock.frozen(clock.now() - timedelta(days=days_ago)):  # logged in then
            token = issue_tokens(member_claims(member_id, clock.now().timestamp())).access_token
            placed(api.as_(token), cup["reward_id"], address=ADDRESS)
    owed = ok(api.get("/v1/reports/liability"))["mall_orders"]
    assert (owed["open"], owed["value_fen"]) == (3, 300)
    assert owed["by_age"] == {age: {"open": 1, "value_fen": 100} for age in ("7_days", "30_days", "older")}
