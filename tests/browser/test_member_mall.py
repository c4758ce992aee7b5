"""The member pages' points mall on a 375-pixel phone: the demo member browses with their points and finds the bag
they exchanged yesterday with its pickup code; a reward their points do not pay, one sold out and one whose limit
they reached are said plainly (and "I can afford" hides the first); a unit taken by someone else at the last moment is
said on the exchange; a points + cash order shows what is due and the time left, is paid from the wallet and cancelled
with everything back; shipped goods go to the address given, and the member confirms receipt."""

from __future__ import annotations

import re
import secrets
from typing import Any

from playwright.sync_api import expect

from chalicelib.local.demo import MALL_REWARDS, PICKED
from tests.browser.conftest import Screens, Site
from tests.browser.test_console_members import new_member, top_up
from tests.browser.test_member_pages import check_screen, exchange_on, me_api, member_tokens, open_as
from tests.http import send


def reward(site: Site, name: str, **terms: Any) -> dict[str, Any]:
    """A reward put on sale through the API (the console's own creation is tested in test_console_mall)."""
    return dict(site.api("POST", "/v1/mall/rewards", {"name": name, "kind": "goods", "fulfilment": "pickup", **terms}))


def shopper(site: Site, name: str, points: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A member of SH-001 given ``points``, logged in as the member pages log in: their tokens and their record."""
    member = new_member(site, name)
    adjustment = {"points": points, "reason": "商城测试积分"}
    site.api("POST", f"/v1/members/{member['member_id']}/points/adjustments", adjustment)
    return member_tokens(site, member["phone"]), member


def exchange_as(site: Site, tokens: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """An exchange through the API, as another phone would make it."""
    headers = {"Idempotency-Key": secrets.token_hex(8)}
    status, order = send("POST", f"{site.base}/v1/me/mall/orders", body, headers, token=tokens["access_token"])
    assert status == 201, order
    return dict(order)


def test_the_demo_member_browses_the_mall_with_their_points_and_finds_the_bag_to_pick_up(
    site: Site, mobile: Screens
) -> None:
    status, tokens = send("POST", f"{site.base}/v1/auth/member-token", site.credentials["member"])
    assert status == 200, tokens
    page = open_as(mobile, site, tokens, "/home")
    page.locator("[data-test=home-mall]").click()
    mall = me_api(site, tokens["access_token"], "/v1/me/mall/rewards")
    expect(page.locator("[data-test=mall-available]")).to_have_text(f"{mall['available_points']:,}")
    cards = page.locator("[data-test=reward-card]")
    expect(cards).to_have_count(len(mall["items"]))
    price = "[data-test=reward-price]"
    for name, terms in MALL_REWARDS.items():
        expect(cards.filter(has_text=name).locator(price)).to_contain_text(f"{terms['points']} 积分")
    expect(cards.filter(has_text="保温杯（积分+现金）").locator(price)).to_contain_text("+ ¥29.90")  # points + cash
    remaining = cards.filter(has_text=PICKED).locator("[data-test=reward-remaining]")
    expect(remaining).to_have_text("还可兑 1 件")  # two a member, and they took one
    check_screen(mobile, "积分商城", "mall")

    page.get_by_role("tab", name="我能兑换").click()
    affordable = me_api(site, tokens["access_token"], "/v1/me/mall/rewards?affordable=true")["items"]
    expect(cards).to_have_count(len(affordable))
    mobile.shot("mall-affordable")

    page.locator("[data-test=go-orders]").click()
    orders = me_api(site, tokens["access_token"], "/v1/me/mall/orders")["items"]
    (bag,) = [order for order in orders if order["reward_name"] == PICKED]
    row = page.locator("[data-test=mall-order]", has_text=PICKED)
    expect(row.locator("[data-test=order-status]")).to_have_text("待提货")
    expect(row.locator(".hint")).to_have_text("点开订单，到店出示提货码即可领取")  # the code is on the order, not here
    check_screen(mobile, "我的兑换", "mall-orders")

    row.click()
    code = me_api(site, tokens["access_token"], f"/v1/me/mall/orders/{bag['order_id']}")["pickup_code"]
    expect(page.locator("[data-test=pickup-code]")).to_have_text(" ".join(re.findall(r"\d{4}", code)))
    page.locator("[data-test=pickup-qr]").wait_for()
    expect(page.locator("[data-test=pickup]")).to_contain_text("在上海静安旗舰店出示")  # stores by name, not code
    shop = site.api("GET", "/v1/stores/SH-001")  # and where it is, to find it and call it
    expect(page.locator("[data-test=pickup-address]")).to_have_text(f"{shop['address']} · {shop['phone']}")
    check_screen(mobile, "兑换详情", "mall-order-pickup")

    page.goto(f"{site.base}/m/#/me")
    page.locator("[data-test=me-mall]").click()
    expect(page).to_have_title("积分商城 · 会员中心")

    page.goto(f"{site.base}/m/#/me")
    page.locator("[data-test=language]").click()
    page.get_by_role("button", name="English").click()
    page.locator(".van-action-sheet").wait_for(state="hidden")
    page.locator(".van-dialog").get_by_role("button", name="Keep as they are").click()  # messages stay in Chinese
    expect(page.locator(".van-dialog")).to_be_hidden()
    assert me_api(site, tokens["access_token"], "/v1/me/message-preferences")["language"] == "zh-CN"
    bag_page = f"/mall/rewards/{bag['reward_id']}"
    for path, title in (("/mall", "Points mall"), (bag_page, "Reward"), ("/mall/orders", "My exchanges")):
        page.goto(f"{site.base}/m/#{path}")
        expect(page).to_have_title(f"{title} · Member centre")  # English words are longer: the screens still fit
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    page.goto(f"{site.base}/m/#/mall/orders/{bag['order_id']}")
    expect(page.locator("[data-test=order-status]")).to_have_text("To collect")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    mobile.shot("mall-order-pickup-english")


def test_a_reward_out_of_reach_one_sold_out_and_one_at_its_limit_are_said_plainly(site: Site, mobile: Screens) -> None:
    tokens, _ = shopper(site, "积分不多", 200)
    tag = secrets.token_hex(2)
    dear = reward(site, f"按摩椅·{tag}", fulfilment="shipping", points=500_000, stock=5)
    gone = reward(site, f"限量徽章·{tag}", points=10, stock=0)
    once = reward(site, f"试用装·{tag}", points=20, stock=10, per_member_limit=1, limit_period="month")
    exchange_as(site, tokens, {"reward_id": once["reward_id"], "quantity": 1, "pickup_store_id": "SH-001"})

    page = open_as(mobile, site, tokens, "/mall")
    available = me_api(site, tokens["access_token"], "/v1/me/mall/rewards")["available_points"]
    assert available == 180
    card = {made["name"]: page.locator("[data-test=reward-card]", has_text=made["name"]) for made in (dear, gone, once)}
    expect(card[dear["name"]].locator("[data-test=reward-blocked]")).to_have_text(f"积分不足，还差 {500_000 - 180:,}")
    expect(card[gone["name"]].locator("[data-test=reward-blocked]")).to_have_text("已兑完")
    expect(card[gone["name"]].locator("[data-test=sold-out]")).to_be_visible()
    expect(card[once["name"]].locator("[data-test=reward-blocked]")).to_have_text("已达兑换上限")
    check_screen(mobile, "积分商城", "mall-refusals")

    page.get_by_role("tab", name="我能兑换").click()
    expect(card[dear["name"]]).to_have_count(0)  # the points do not pay it
    expect(card[once["name"]]).to_have_count(1)  # they do; the limit is another matter
    mobile.shot("mall-affordable-only")

    page.get_by_role("tab", name="全部").click()
    card[dear["name"]].click()
    button = page.locator("[data-test=exchange-submit]")
    expect(button).to_have_text(f"积分不足，还差 {500_000 - 180:,}")
    expect(button).to_be_disabled()
    check_screen(mobile, "商品详情", "reward-out-of-reach")


def test_a_member_picks_up_at_another_store_found_by_its_name(site: Site, mobile: Screens) -> None:
    """A member of 上海静安旗舰店 collects in Beijing: their own store is offered by name, any other open store is
    found by its name or city, and the order says where to show the code, by name."""
    tokens, _ = shopper(site, "出差取货", 100)
    mug = reward(site, f"随行杯·{secrets.token_hex(2)}", points=30, stock=5)
    page = open_as(mobile, site, tokens, f"/mall/rewards/{mug['reward_id']}")
    expect(page.locator("[data-test=store-SH-001]")).to_contain_text("上海静安旗舰店（我的门店）")
    page.locator("[data-test=store-other]").click()
    page.get_by_label("找门店").fill("三里屯")
    expect(page.locator("[data-test=other-stores] .van-cell")).to_have_count(1)
    page.locator("[data-test=other-store-BJ-001]").click()
    check_screen(mobile, "商品详情", "reward-other-store")
    page.get_by_label("找门店").fill("no such store")
    expect(page.locator("[data-test=no-store-found]")).to_be_visible()
    page.get_by_label("找门店").fill("北京")
    page.locator("[data-test=other-store-BJ-001]").click()
    exchange_on(page)
    expect(page.locator("[data-test=pickup]")).to_contain_text("在北京三里屯店出示")
    (order,) = [o for o in me_api(site, tokens["access_token"], "/v1/me/mall/orders")["items"]
                if o["reward_id"] == mug["reward_id"]]  # fmt: skip
    assert order["pickup_store_id"] == "BJ-001"


def test_the_last_unit_taken_by_someone_else_is_said_on_the_exchange(site: Site, mobile: Screens) -> None:
    tokens, _ = shopper(site, "慢一步", 100)
    quicker, _ = shopper(site, "快一步", 100)
    last = reward(site, f"最后一个·{secrets.token_hex(2)}", points=30, stock=1)
    page = open_as(mobile, site, tokens, f"/mall/rewards/{last['reward_id']}")
    expect(page.locator("[data-test=pickup-stores] [role=radio][aria-checked=true]")).to_have_count(1)  # their store
    exchange_as(site, quicker, {"reward_id": last["reward_id"], "quantity": 1, "pickup_store_id": "SH-001"})
    exchange_on(page)
    expect(page.locator("[data-test=exchange-error]")).to_have_text("来晚了，这件商品已经兑完了")
    expect(page.locator("[data-test=exchange-submit]")).to_be_disabled()
    check_screen(mobile, "商品详情", "reward-sold-out-at-the-last-moment")
    assert me_api(site, tokens["access_token"], "/v1/me/mall/orders")["items"] == []  # nothing was spent
    assert me_api(site, tokens["access_token"], "/v1/me/points")["available"] == 100


def test_a_points_and_cash_order_is_paid_from_the_wallet_in_time_then_cancelled_with_everything_back(
    site: Site, mobile: Screens
) -> None:
    tokens, member = shopper(site, "积分加钱", 300)
    top_up(site, member["member_id"], 10_000)
    name = f"洗车服务·{secrets.token_hex(2)}"
    service = reward(site, name, kind="service", fulfilment=None, points=100, cash_fen=990, stock=5)
    page = open_as(mobile, site, tokens, f"/mall/rewards/{service['reward_id']}")
    expect(page.locator("[data-test=exchange-total]")).to_contain_text("100 积分 + ¥9.90")
    expect(page.locator("[data-test=exchange-submit]")).to_have_text("100 积分 + ¥9.90 兑换")  # the cash said too
    check_screen(mobile, "商品详情", "reward-points-and-cash")
    exchange_on(page)

    payment = page.locator("[data-test=order-payment]")
    expect(payment.locator("[data-test=order-due]")).to_have_text("¥9.90")
    expect(payment.locator("[data-test=order-time-left]")).to_have_text(re.compile(r"^请在 (29|30|2\d):\d\d 内支付$"))
    expect(payment.locator("[data-test=order-wallet]")).to_have_text("储值余额 ¥100.00")
    (placed,) = me_api(site, tokens["access_token"], "/v1/me/mall/orders")["items"]
    assert (placed["status"], placed["points"], placed["cash_fen"]) == ("awaiting_payment", 100, 990)
    assert placed["pay_by"]
    check_screen(mobile, "兑换详情", "order-awaiting-payment")

    payment.locator("[data-test=pay-wallet]").click()  # money goes on a yes to its amount, never on one tap
    dialog = page.get_by_role("dialog").filter(has_text="从储值余额支付 ¥9.90？")  # (beside the exchange's toast)
    dialog.get_by_role("button", name="确认支付").click()
    expect(page.locator("[data-test=order-status]")).to_have_text("待提货")
    paid = me_api(site, tokens["access_token"], f"/v1/me/mall/orders/{placed['order_id']}")
    assert (paid["payment"]["method"], paid["payment"]["amount_fen"]) == ("wallet", 990)
    expect(page.locator("[data-test=pickup-code]")).to_have_text(" ".join(re.findall(r"\d{4}", paid["pickup_code"])))
    expect(page.locator("[data-test=pickup]")).to_contain_text("在任意门店出示")  # a service, no store chosen
    assert me_api(site, tokens["access_token"], "/v1/me/wallet")["total_fen"] == 10_000 - 990
    check_screen(mobile, "兑换详情", "order-paid")

    page.locator("[data-test=cancel-order]").click()
    page.locator(".van-dialog").get_by_role("button", name="取消订单").click()
    expect(page.locator("[data-test=order-status]")).to_have_text("已取消")
    expect(page.locator("[data-test=order-cash-refund]")).to_have_text("已付的 ¥9.90 已退回储值")
    expect(page.locator("[data-test=order-history]")).to_contain_text("会员取消")
    assert me_api(site, tokens["access_token"], "/v1/me/wallet")["total_fen"] == 10_000
    assert me_api(site, tokens["access_token"], "/v1/me/points")["available"] == 300
    check_screen(mobile, "兑换详情", "order-cancelled")


def test_goods_go_to_the_address_given_and_the_member_confirms_receipt(site: Site, mobile: Screens) -> None:
    tokens, _ = shopper(site, "收快递", 500)
    towel = reward(site, f"毛巾·{secrets.token_hex(2)}", fulfilment="shipping", points=60, stock=5)
    keys: list[str] = []
    page = open_as(mobile, site, tokens, f"/mall/rewards/{towel['reward_id']}")
    page.on("request", lambda r: keys.append(r.headers.get("idempotency-key", "")) if r.method == "POST" else None)
    expect(page.get_by_label("收货人")).not_to_have_value("")  # the profile's name filled in first (typing over it)
    page.get_by_label("收货人").fill("王小明")
    page.get_by_label("手机号").fill("13912345678")
    page.get_by_label("详细地址").fill("上海市黄浦区南京东路 100 号 1201 室")
    page.get_by_role("button", name="增加数量").click()
    expect(page.locator("[data-test=quantity]")).to_have_text("2")
    expect(page.locator("[data-test=exchange-total]")).to_contain_text("120 积分")
    check_screen(mobile, "商品详情", "reward-shipping")
    exchange_on(page)

    expect(page.locator("[data-test=order-status]")).to_have_text("待发货")
    assert len(keys) == 1  # one exchange,
    assert keys[0]  # sent with its Idempotency-Key
    (placed,) = me_api(site, tokens["access_token"], "/v1/me/mall/orders")["items"]
    mine = me_api(site, tokens["access_token"], f"/v1/me/mall/orders/{placed['order_id']}")
    given = {"name": "王小明", "phone": "+8613912345678", "address": "上海市黄浦区南京东路 100 号 1201 室"}
    assert mine["address"] == {**given, "masked": False}
    assert (mine["quantity"], mine["points"]) == (2, 120)
    expect(page.get_by_text("上海市黄浦区南京东路 100 号 1201 室")).to_be_visible()  # whole, to the member
    check_screen(mobile, "兑换详情", "order-to-ship")

    shipment = {"carrier": "顺丰速运", "tracking_no": "SF2026113001"}
    site.api("POST", f"/v1/mall/orders/{placed['order_id']}/shipment", shipment)
    page.reload()
    expect(page.locator("[data-test=order-status]")).to_have_text("已发货")
    expect(page.locator("[data-test=order-shipment]")).to_contain_text("顺丰速运 SF2026113001")
    page.locator("[data-test=confirm-receipt]").click()
    page.locator(".van-dialog").get_by_role("button", name="确认收货").click()
    expect(page.locator("[data-test=order-status]")).to_have_text("已完成")
    assert me_api(site, tokens["access_token"], f"/v1/me/mall/orders/{placed['order_id']}")["status"] == "completed"
    check_screen(mobile, "兑换详情", "order-received")
