"""The member pages at /m on a 375-pixel phone: joining with an SMS code, points from a purchase on the home
chart, redeeming, the profile and consents, the member code, feedback; every screen titled, labelled and no
wider than the phone."""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from chalicelib.local.demo import MALL_REWARDS
from tests.browser.conftest import Screens, Site
from tests.browser.test_console_members import top_up
from tests.conftest import signed_headers
from tests.http import send

SESSION_KEY = "loyalty.m.session"
APP = "会员中心"


def unlabelled_inputs(page: Any) -> list[str]:
    """Visible inputs a screen reader cannot name: no <label for>, no wrapping label, no aria-label(ledby)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select, [role=switch]')]
            .filter((el) => el.offsetParent !== null)
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                            && !el.getAttribute('aria-labelledby'))
            .map((el) => el.outerHTML.slice(0, 120))"""
    )


def broken_images(page: Any) -> list[str]:
    """The pictures on the page that were loaded and failed (a name taken for an address, a missing file)."""
    return list(page.evaluate(
        "[...document.images].filter((i) => i.complete && i.getAttribute('src') && i.naturalWidth === 0)"
        ".map((i) => i.getAttribute('src'))"
    ))  # fmt: skip


COUPON_REWARD = "会员专享9折券"  # the demo's coupon for points, issued the moment it is exchanged


def check_screen(mobile: Screens, title: str, name: str) -> None:
    """The basics of a screen: its title, labelled inputs, no broken picture, nothing wider than the phone; then a
    screenshot."""
    page = mobile.page
    expect(page).to_have_title(f"{title} · {APP}")
    assert unlabelled_inputs(page) == []
    assert broken_images(page) == [], name
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, name
    mobile.shot(name)


def partner(site: Site, path: str, body: dict[str, Any]) -> Any:
    """A signed webhook from the demo POS (purchases, wallet top-ups)."""
    creds = site.credentials["partner"]
    headers = signed_headers(creds["partner_id"], creds["secret"], json.dumps(body).encode())
    status, answer = send("POST", f"{site.base}{path}", body, headers=headers)
    assert status == 200, answer
    return answer


def purchase(site: Site, phone: str, order_id: str, paid_fen: int, items: list[dict[str, Any]] | None = None) -> Any:
    now = datetime.now(UTC).isoformat()
    body = {"order_id": order_id, "member": {"phone": phone}, "store_id": "SH-001", "occurred_at": now,
            "total_fen": paid_fen, "paid_fen": paid_fen, "payment_method": "wechat_pay",
            "items": items or []}  # fmt: skip
    return partner(site, "/v1/webhooks/purchases", body)


def member_tokens(site: Site, phone: str) -> dict[str, Any]:
    """Log a member in (joining if new) through the public API, as the log-in page does."""
    return site.member_tokens(phone)


def open_as(mobile: Screens, site: Site, tokens: dict[str, Any], path: str) -> Any:
    """Open ``path`` of the member pages with the member's session kept as the log-in keeps it."""
    page = mobile.page
    page.goto(f"{site.base}/m/#/login")
    page.evaluate(
        "([key, t]) => localStorage.setItem(key, JSON.stringify({...t, expires_at: Date.now() + t.expires_in * 1000}))",
        [SESSION_KEY, tokens],
    )
    page.goto("about:blank")  # a fresh load reads the session
    page.goto(f"{site.base}/m/#{path}")
    return page


def browser_token(page: Any) -> str:
    return str(page.evaluate(f"JSON.parse(localStorage.getItem('{SESSION_KEY}')).access_token"))


def me_api(site: Site, token: str, path: str = "/v1/me") -> Any:
    status, answer = send("GET", f"{site.base}{path}", token=token)
    assert status == 200, answer
    return answer


def test_a_new_member_joins_earns_points_sees_the_chart_and_redeems(site: Site, mobile: Screens) -> None:
    page, phone = mobile.page, "13700000101"
    page.goto(f"{site.base}/m/")
    page.get_by_label("手机号").wait_for()
    page.locator("[data-test=dev-outbox]").get_by_text("python -m chalicelib.cli outbox").wait_for()
    check_screen(mobile, "登录 / 注册", "login")

    page.get_by_label("手机号").fill(phone)
    page.locator("[data-test=send-code]").click()
    page.get_by_text("秒后重发").wait_for()  # the countdown before another code
    page.get_by_label("验证码", exact=True).fill(site.sms_code(phone))
    page.get_by_label("姓名").fill("林小满")
    page.get_by_role("button", name="登录 / 注册").click()
    page.get_by_text("请先阅读并同意《会员协议》和《隐私政策》").wait_for()  # nothing is sent unticked
    page.locator("[data-test=read-privacy]").click()  # the policy reads in place before joining
    sheet = page.locator("[data-test=agreement-sheet]")
    sheet.get_by_text("本政策说明我们在会员服务中如何").wait_for()
    mobile.shot("privacy-policy")
    sheet.locator(".van-popup__close-icon").click()
    expect(sheet).to_be_hidden()
    expect(page.get_by_label("姓名")).to_have_value("林小满")  # a walkthrough lost the form reading it elsewhere
    expect(page.locator("[data-test=agree] .van-checkbox__icon--checked")).to_have_count(0)
    page.locator("[data-test=agree] .van-checkbox__label").click(position={"x": 6, "y": 8})  # the words tick it too
    expect(page.locator("[data-test=agree] .van-checkbox__icon--checked")).to_have_count(1)
    page.get_by_role("button", name="登录 / 注册").click()
    page.get_by_text("你好，林小满").wait_for()
    accepted = me_api(site, browser_token(page), "/v1/me/agreements")
    assert (accepted["due"], {a["via"] for a in accepted["accepted"]}) == ([], {"code-login"})
    assert page.locator("[data-test=available-points]").inner_text() == "0"
    check_screen(mobile, "首页", "home-new-member")

    earned = purchase(site, phone, "m-order-101", 128_800)
    assert earned["points_awarded"] > 0
    token = browser_token(page)
    points = me_api(site, token, "/v1/me/points")
    page.reload()
    page.locator("[data-test=points-chart] svg path[stroke='#c8102e']").first.wait_for()  # the balance line
    expect(page.locator("[data-test=points-chart]")).to_have_attribute("data-animated", "false")  # reduced motion
    assert page.locator("[data-test=available-points]").inner_text() == f"{points['available']:,}"  # grouped
    assert page.locator("[data-test=tier-name]").inner_text() == me_api(site, token, "/v1/me/tier")["tier"]["name_zh"]
    check_screen(mobile, "首页", "home-with-points")

    page.locator("[data-test=tab-points]").click()
    page.get_by_text("消费积分").wait_for()
    expect(page.locator("[data-test=entry-order]").first).to_have_text(" · 订单 m-order-101")  # which purchase
    page.locator("[data-test=go-redeem]").click()  # points buy what the mall offers: a coupon here, at once
    page.wait_for_url(re.compile("#/mall$"))
    page.locator("[data-test=reward-card]", has_text=COUPON_REWARD).click()
    check_screen(mobile, "商品详情", "redeem")
    exchange_on(page)
    expect(page.locator("[data-test=order-status]")).to_have_text("已完成")
    price = MALL_REWARDS[COUPON_REWARD]["points"]
    (order,) = me_api(site, token, "/v1/me/mall/orders")["items"]
    assert order["coupon_code"] in {c["code"] for c in me_api(site, token, "/v1/me/coupons?status=available")["items"]}
    page.goto(f"{site.base}/m/#/points")
    top = page.locator("[data-test=ledger] .van-cell").first
    expect(top).to_contain_text(f"−{price}")
    expect(top).to_contain_text(COUPON_REWARD)
    assert page.locator("[data-test=points-available]").inner_text() == f"{points['available'] - price:,}"
    check_screen(mobile, "我的积分", "points-after-redeem")
    page.goto(f"{site.base}/m/#/points/redeem")  # the old address of the free-form redemption leads to the mall too
    page.wait_for_url(re.compile("#/mall$"))


def test_a_member_who_joins_on_the_english_page_gets_their_messages_in_english(site: Site, mobile: Screens) -> None:
    """Found by a walkthrough: joining on the English log-in page left the member's messages in Chinese."""
    page, phone = mobile.page, "135" + "".join(secrets.choice("0123456789") for _ in range(8))
    page.goto(f"{site.base}/m/")
    page.locator("[data-test=language]").click()
    page.get_by_label("Phone").fill(phone)
    page.locator("[data-test=send-code]").click()
    page.get_by_label("Code", exact=True).fill(site.sms_code(phone))
    page.locator("[data-test=agree] .van-checkbox__label").click(position={"x": 6, "y": 8})
    page.get_by_role("button", name="Log in / Join").click()
    page.wait_for_url(re.compile("#/home$"))
    site.quiet()  # the messaging profile's consumer records it, as it does the consents given on joining
    assert me_api(site, browser_token(page), "/v1/me/message-preferences")["language"] == "en"


def test_a_member_reads_what_their_points_pay_at_a_till_and_the_order_they_paid_part_of(
    site: Site, mobile: Screens
) -> None:
    """积分抵现 on the phone: the points page says what the available points pay at the stores (and how much of an
    order), and the history names the order points paid part of."""
    phone = "136" + "".join(secrets.choice("0123456789") for _ in range(8))
    tokens = member_tokens(site, phone)
    member_id = me_api(site, tokens["access_token"])["member_id"]
    site.api("POST", f"/v1/members/{member_id}/points/adjustments", {"points": 1234, "reason": "开卡礼"})
    order_id = f"POS-{secrets.token_hex(4).upper()}"
    site.api("POST", f"/v1/members/{member_id}/points/redemptions",
             {"points": 300, "order_id": order_id, "order_total_fen": 2_000, "store_id": "SH-001"})  # fmt: skip
    page = open_as(mobile, site, tokens, "/points")
    expect(page.locator("[data-test=points-cash]")).to_have_text("到店消费可抵 ¥9.34：结账时出示会员码，每单最多抵 50%")
    expect(page.locator("[data-test=ledger]")).to_contain_text(f"积分抵现 ¥3.00·订单 {order_id}")
    mobile.shot("points-cash")
    page.locator("[data-test=go-rules]").click()  # 积分规则: how points are earned now, as the API says them
    said = me_api(site, tokens["access_token"], "/v1/me/points/rules")
    expect(page.locator("[data-test=rules-line]")).to_have_count(len(said["lines"]))
    expect(page.locator("[data-test=rules-line]").first).to_have_text(said["lines"][0])
    expect(page.locator("[data-test=rules-expiry]")).to_have_text(said["expiry"])
    check_screen(mobile, "积分规则", "points-rules")


def test_a_refunded_purchase_shows_the_points_it_kept_not_those_it_earned(site: Site, mobile: Screens) -> None:
    """Found by a walkthrough: an order refunded in full still read +87 积分 on the phone, though its points were
    taken back. The history shows what each order keeps, and what a refund took back."""
    phone = "136" + "".join(secrets.choice("0123456789") for _ in range(8))
    tokens = member_tokens(site, phone)
    kept_id, refunded_id = f"KEEP-{secrets.token_hex(3)}", f"BACK-{secrets.token_hex(3)}"
    bought = [{"line_id": str(n), "sku": f"SKU-{n}", "name": name, "quantity": n, "amount_fen": 1_000 * n}
              for n, name in enumerate(("拿铁 大杯", None, "提拉米苏", "曲奇礼盒"), start=1)]  # fmt: skip
    purchase(site, phone, kept_id, 10_000, bought)
    earned = purchase(site, phone, refunded_id, 8_700)["points_awarded"]
    now = datetime.now(UTC).isoformat()
    partner(site, "/v1/webhooks/refunds", {"refund_id": f"R-{refunded_id}", "order_id": refunded_id,
                                           "occurred_at": now, "amount_fen": 8_700})  # fmt: skip
    page = open_as(mobile, site, tokens, "/purchases")
    back = page.locator("[data-test=purchase]", has_text=refunded_id)
    expect(back.locator("[data-test=purchase-points-back]")).to_have_text(f"退款扣回 {earned} 积分")
    expect(back.locator("[data-test=purchase-points]")).to_have_count(0)  # nothing kept
    kept = page.locator("[data-test=purchase]", has_text=kept_id)
    expect(kept.locator("[data-test=purchase-points]")).to_have_text("+100 积分")
    expect(kept.locator("[data-test=purchase-lines] li")).to_have_text(  # what was bought, by name (else its SKU)
        [re.compile(r"拿铁 大杯\s*× 1\s*¥10\.00"), re.compile(r"SKU-2\s*× 2\s*¥20\.00"), re.compile("提拉米苏"),
         "另有 1 项商品"])  # fmt: skip
    expect(back.locator("[data-test=purchase-lines]")).to_have_count(0)  # reported without lines
    check_screen(mobile, "消费记录", "purchases-refunded")

    # A part refunded: what it keeps, and what the refund took of what it earned ("+25" beside "扣回 75" read as
    # two unrelated figures)
    part_id = f"PART-{secrets.token_hex(3)}"
    part_earned = purchase(site, phone, part_id, 10_000)["points_awarded"]
    refund = {"refund_id": f"R-{part_id}", "order_id": part_id, "occurred_at": datetime.now(UTC).isoformat(),
              "amount_fen": 7_500}  # fmt: skip
    taken = partner(site, "/v1/webhooks/refunds", refund)["points_clawed_back"]
    page.reload()
    part = page.locator("[data-test=purchase]", has_text=part_id)
    expect(part.locator("[data-test=purchase-points]")).to_have_text(f"+{part_earned - taken} 积分")
    expect(part.locator("[data-test=purchase-points-back]")).to_have_text(f"原得 {part_earned}，退款扣回 {taken} 积分")

    # The refunded order's points were spent meanwhile: the refund leaves a debt, and the points page says why its
    # history shows a negative balance while the member has 0 available (it said nothing).
    spent_id = f"SPENT-{secrets.token_hex(3)}"
    spent = purchase(site, phone, spent_id, 6_000)
    member_id = spent["member_id"]
    available = site.api("GET", f"/v1/members/{member_id}/points")["available"]
    site.api("POST", f"/v1/members/{member_id}/points/redemptions", {"points": available, "reason": "兑换礼品"})
    refund = {"refund_id": f"R-{spent_id}", "order_id": spent_id, "occurred_at": datetime.now(UTC).isoformat(),
              "amount_fen": 6_000}  # fmt: skip
    partner(site, "/v1/webhooks/refunds", refund)
    owed = site.api("GET", f"/v1/members/{member_id}/points")["debt"]
    assert owed == spent["points_awarded"]
    page = open_as(mobile, site, tokens, "/points")
    expect(page.locator("[data-test=points-available]")).to_have_text("0")
    expect(page.locator("[data-test=points-debt]")).to_contain_text(f"待抵扣 {owed} 积分")
    check_screen(mobile, "我的积分", "points-owed")
    mall = me_api(site, tokens["access_token"], "/v1/me/mall/rewards")  # a reward needs the debt earned too
    assert mall["points_owed"] == owed
    reward = next(r for r in mall["items"] if r["in_stock"] and r["remaining_for_member"] != 0)
    page.goto(f"{site.base}/m/#/mall")
    card = page.locator("[data-test=reward-card]", has_text=reward["name"]).first
    expect(card.locator("[data-test=reward-blocked]")).to_have_text(
        f"积分不足，还差 {reward['points'] + owed:,}（含待抵扣的欠积分 {owed:,}）"  # why more than its price
    )


def test_a_refund_that_undoes_an_upgrade_says_so_and_that_its_gift_was_taken_back(site: Site, mobile: Screens) -> None:
    """Found by a member's walkthrough: the history read "退款后调整为… · 升级礼 300 积分", as if a gift had come, and
    no message said the tier had gone (the message is `tier-refunded`, tested with every trigger)."""
    phone = "136" + "".join(secrets.choice("0123456789") for _ in range(8))
    tokens = member_tokens(site, phone)
    order_id = f"UP-{secrets.token_hex(3)}"
    member_id = purchase(site, phone, order_id, 120_000)["member_id"]  # ¥1,200: silver, and its gift
    page = open_as(mobile, site, tokens, "/tier")  # kept by next year's spending, of which there is none yet
    standing = site.api("GET", f"/v1/members/{member_id}/tier")
    review_on, until = standing["retention"]["review_on"], standing["valid_until"]
    expect(page.locator("[data-test=retention]")).to_have_text(
        f"在 {review_on.replace('-', '/')} 复核前再达到 ¥800.00 即可保级"
    )
    # found by a walkthrough: the card's 有效期至 the last day of next year, the review half a month later, unexplained
    assert date.fromisoformat(review_on) == date.fromisoformat(until) + timedelta(days=16)  # the 15 grace days
    expect(page.locator("[data-test=retention-grace]")).to_have_text(
        f"有效期到 {until.replace('-', '/')}，此后等级保留到 {review_on.replace('-', '/')} 复核时再定"
    )
    now = datetime.now(UTC).isoformat()
    partner(site, "/v1/webhooks/refunds", {"refund_id": f"R-{order_id}", "order_id": order_id, "occurred_at": now,
                                           "amount_fen": 120_000})  # fmt: skip
    page.reload()
    newest = page.locator(".van-step").first
    expect(newest).to_contain_text("退款后调整为普通会员")
    expect(newest.locator("[data-test=tier-gift]")).to_have_text("· 升级礼 100 积分已扣回")
    expect(page.locator(".van-step").nth(1).locator("[data-test=tier-gift]")).to_have_text("· 升级礼 100 积分")
    check_screen(mobile, "会员等级", "tier-refunded")


def test_a_wallet_payment_reads_as_one_row_of_what_was_paid_split_below(site: Site, mobile: Screens) -> None:
    """Found by a member's walkthrough: a ¥29.90 payment read as two rows, −27.18 and −2.72 (its principal and its
    bonus entries)."""
    phone = "136" + "".join(secrets.choice("0123456789") for _ in range(8))
    tokens = member_tokens(site, phone)
    now = datetime.now(UTC).isoformat()
    plan = {"plan_id": f"CZ-100-{secrets.token_hex(3)}", "name": "充100送20", "pay_fen": 10_000, "bonus_fen": 2_000}
    site.api("POST", "/v1/wallet/plans", plan)
    partner(site, "/v1/webhooks/wallet/top-ups", {"payment_id": f"T-{secrets.token_hex(3)}", "member": {"phone": phone},
                                                  "store_id": "SH-001", "occurred_at": now, "amount_fen": 10_000,
                                                  "plan_id": plan["plan_id"]})  # fmt: skip
    paid = partner(site, "/v1/webhooks/wallet/payments", {"payment_id": f"P-{secrets.token_hex(3)}",
                                                          "member": {"phone": phone}, "store_id": "SH-001",
                                                          "occurred_at": now, "amount_fen": 2_990})  # fmt: skip
    assert paid["principal_fen"] > 0
    assert paid["bonus_fen"] > 0
    page = open_as(mobile, site, tokens, "/wallet")
    payment, top_up = page.locator("[data-test=wallet-move]").nth(0), page.locator("[data-test=wallet-move]").nth(1)
    expect(payment.locator(".amount")).to_have_text("−¥29.90")
    principal, bonus = paid["principal_fen"] / 100, paid["bonus_fen"] / 100
    expect(payment.locator("[data-test=wallet-move-split]")).to_have_text(
        f"本金 −¥{principal:.2f} · 赠送金 −¥{bonus:.2f}"
    )
    expect(payment).to_contain_text("余额 ¥90.10")  # the wallet's, after it
    expect(top_up.locator(".amount")).to_have_text("+¥120.00")
    expect(page.locator("[data-test=wallet-move]")).to_have_count(2)
    check_screen(mobile, "储值钱包", "wallet-moves")


def test_a_wrong_code_or_password_is_said_plainly(site: Site, mobile: Screens) -> None:
    page, phone = mobile.page, "13700000202"
    page.goto(f"{site.base}/m/#/login")
    page.get_by_label("手机号").fill(phone)
    page.locator("[data-test=send-code]").click()
    page.get_by_text("秒后重发").wait_for()
    page.get_by_label("验证码", exact=True).fill("000000" if site.sms_code(phone) != "000000" else "111111")
    page.locator("[data-test=agree] .van-checkbox__icon").click()
    page.get_by_role("button", name="登录 / 注册").click()
    page.get_by_text("验证码不正确或已过期，请重新获取").wait_for()
    mobile.shot("wrong-code")

    page.get_by_role("tab", name="密码登录").click()
    page.locator("#pw-phone").fill(phone)
    page.get_by_label("密码", exact=True).fill("not my password at all")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_text("手机号或密码不正确").wait_for()
    check_screen(mobile, "登录 / 注册", "wrong-password")


def test_a_member_sets_a_password_and_logs_in_with_it(site: Site, mobile: Screens) -> None:
    phone = "13700000303"
    page = open_as(mobile, site, member_tokens(site, phone), "/me/password")
    page.get_by_label("新密码").fill("a long passphrase 42")
    page.get_by_label("确认密码").fill("a long passphrase 42")
    check_screen(mobile, "设置密码", "password")
    page.locator("[data-test=password-save]").click()
    page.locator("[data-test=logout]").click()  # back on 我的 after saving
    page.get_by_role("tab", name="密码登录").click()
    page.locator("[data-test=agree] .van-checkbox__icon").click()
    page.locator("#pw-phone").fill(phone)
    page.get_by_label("密码", exact=True).fill("a long passphrase 42")
    page.get_by_role("button", name="登录", exact=True).click()
    page.locator("[data-test=tier-card]").wait_for()


def test_a_wrong_current_password_is_said_once_and_counted_once(site: Site, mobile: Screens) -> None:
    """A 401 for a wrong current password answers what was sent: the page says so and never sends it again (a
    resend would count twice towards the lock-out, which five wrong tries set)."""
    tokens = member_tokens(site, "13700000313")
    status, tokens = send("PUT", f"{site.base}/v1/me/password", {"password": "the first passphrase"},
                          token=tokens["access_token"])  # fmt: skip
    assert status == 200, tokens
    page = open_as(mobile, site, tokens, "/me/password")
    for attempt in range(3):
        page.get_by_label("新密码").fill("a second passphrase")
        page.get_by_label("确认密码").fill("a second passphrase")
        page.get_by_label("当前密码").fill(f"a wrong guess {attempt}")
        with page.expect_response(lambda response: response.url.endswith("/v1/me/password")):
            page.locator("[data-test=password-save]").click()
        page.locator("[data-test=password-error]").get_by_text("当前密码或验证码不正确").wait_for()
        page.wait_for_timeout(500)  # a resend (after a refresh) would have left by now
    status, answer = send("PUT", f"{site.base}/v1/me/password", {"password": "a second passphrase",
                          "current_password": "the first passphrase"}, token=browser_token(page))  # fmt: skip
    assert status == 200, answer  # three tries counted, not six: no lock-out


def test_the_profile_and_a_consent_round_trip(site: Site, mobile: Screens) -> None:
    tokens = member_tokens(site, "13700000404")
    page = open_as(mobile, site, tokens, "/me/profile")
    page.get_by_label("姓名").fill("周一鸣")
    page.get_by_label("邮箱").fill("yiming@example.com")
    page.get_by_role("radio", name="女").click()
    page.locator("[data-test=profile-save]").click()
    page.get_by_text("已保存").wait_for()
    page.reload()
    page.get_by_label("姓名").wait_for()
    assert page.get_by_label("姓名").input_value() == "周一鸣"
    assert page.get_by_label("邮箱").input_value() == "yiming@example.com"
    me = me_api(site, tokens["access_token"])
    assert (me["name"], me["email"], me["gender"]) == ("周一鸣", "yiming@example.com", "female")
    check_screen(mobile, "个人资料", "profile")

    page.get_by_label("生日").click()  # recorded once: afterwards a store corrects it, so the page asks first
    expect(page.locator(".van-picker-column__item", has_text="1990年")).to_have_count(1)  # columns say what they are
    page.locator(".van-picker__confirm").click()
    page.locator("[data-test=profile-save]").click()
    asked = page.locator(".van-dialog")
    asked.get_by_text("生日 1990-01-01 保存后不能自行修改").wait_for()
    asked.get_by_role("button", name="取消").click()
    expect(asked).to_be_hidden()
    assert me_api(site, tokens["access_token"])["birthday"] is None
    page.locator("[data-test=profile-save]").click()
    asked.get_by_role("button", name="确认").click()
    deadline = time.monotonic() + 10
    while me_api(site, tokens["access_token"])["birthday"] != "1990-01-01":
        assert time.monotonic() < deadline, "the birthday was never saved"
        time.sleep(0.2)
    page.reload()
    expect(page.locator("[data-test=birthday-kept]")).to_have_text("如需更正请联系门店")
    page.get_by_label("生日").click()
    expect(page.locator(".van-picker")).to_be_hidden()

    # Someone else edits in between: the page reloads the profile and says so kindly.
    status, answer = send("GET", f"{site.base}/v1/me", token=tokens["access_token"])
    headers = {"if-match": f'"{answer["version"]}"', "content-type": "application/merge-patch+json"}
    status, _ = send("PATCH", f"{site.base}/v1/me", {"city": "杭州"}, headers=headers, token=tokens["access_token"])
    assert status == 200
    page.get_by_label("姓名").fill("周二鸣")
    page.locator("[data-test=profile-save]").click()
    page.locator("[data-test=notice]").get_by_text("已为您载入最新内容").wait_for()
    assert page.get_by_label("城市").input_value() == "杭州"
    assert page.get_by_label("姓名").input_value() == "周一鸣"
    mobile.shot("profile-conflict")

    page.goto(f"{site.base}/m/#/me/consents")  # the old address of the marketing switches: the message settings
    sms = page.get_by_role("switch", name="短信营销消息")
    expect(sms).to_have_attribute("aria-checked", "false")
    sms.click()
    expect(sms).to_have_attribute("aria-checked", "true")
    deadline = time.monotonic() + 10  # the profile's copy follows the consent ledger through its event
    while not me_api(site, tokens["access_token"])["consents"].get("sms", {}).get("granted"):
        assert time.monotonic() < deadline, "the profile's copy of the consent never followed"
        time.sleep(0.3)


def test_the_member_code_shows_a_qr_and_its_digits(site: Site, mobile: Screens) -> None:
    tokens = member_tokens(site, "13700000505")
    page = open_as(mobile, site, tokens, "/code")
    qr = page.locator("[data-test=member-qr]")
    qr.wait_for()
    assert qr.get_attribute("src").startswith("data:image/png;base64,")
    assert page.evaluate("document.querySelector('[data-test=member-qr]').naturalWidth") > 0
    assert page.locator("[data-test=member-barcode] rect").count() > 20  # Code 128 bars
    digits = page.locator("[data-test=member-code]").inner_text().replace(" ", "")
    member_no = me_api(site, tokens["access_token"])["member_no"]
    assert digits.startswith("66" + member_no)
    check_screen(mobile, "会员码", "member-code")
    served = partner(site, "/v1/webhooks/members/lookup", {"code": digits})  # a partner's till scans it: the member
    assert (served["member_no"], served["phone_masked"]) == (member_no, "137****0505")  # and what to show them
    expect(page.locator("[data-test=code-wallet]")).to_have_count(0)  # no stored value: nothing said
    top_up(site, served["member_id"], 5_000)  # a tea chain's members looked for their balance beside the code
    page.reload()
    expect(page.locator("[data-test=code-wallet]")).to_contain_text("储值余额 ¥50.00")


SCREENS = [  # path, title (zh-CN, en), a locator that shows the screen has its data
    ("/home", "首页", "Home", "[data-test=points-chart] svg path[stroke='#c8102e']"),
    ("/points", "我的积分", "My points", "[data-test=ledger] .van-cell"),
    ("/mall", "积分商城", "Points mall", "[data-test=reward-card]"),
    ("/wallet", "储值钱包", "Wallet", "[data-test=wallet-entries] .van-cell"),
    ("/purchases", "消费记录", "Purchases", "[data-test=purchase]"),
    ("/tier", "会员等级", "My tier", "[data-test=growth-value]"),
    ("/membership", "会员卡", "Membership", "[data-test=plan]"),
    ("/benefits", "我的权益", "My benefits", "[data-test=effective]"),
    ("/me", "我的", "Me", "[data-test=me-name]:has-text('陈可')"),
    ("/me/profile", "个人资料", "Profile", "#profile-name"),
    ("/me/password", "设置密码", "Password", "#new-password"),
    ("/code", "会员码", "Member code", "[data-test=member-qr]"),
    ("/feedback", "意见反馈", "Feedback", "#feedback-text"),
    ("/messages", "消息中心", "Messages", "[data-test=inbox-item]"),
    ("/messages/settings", "消息设置", "Message settings", "[data-test=wording]"),
    ("/messages/consent-history", "授权记录", "Consent history", "[data-test=history-row], [data-test=history-empty]"),
]


def test_every_screen_has_a_title_labelled_inputs_and_fits_a_phone(site: Site, mobile: Screens) -> None:
    phone = "13700000606"
    tokens = member_tokens(site, phone)
    status, _ = send("PATCH", f"{site.base}/v1/me", {"name": "陈可"}, token=tokens["access_token"],
                     headers={"if-match": '"1"', "content-type": "application/merge-patch+json"})  # fmt: skip
    assert status == 200
    purchase(site, phone, "m-order-606", 356_000)
    now = datetime.now(UTC).isoformat()
    plan = {"plan_id": f"CZ-500-{secrets.token_hex(3)}", "name": "充500送100积分", "pay_fen": 50_000, "bonus_fen": 0,
            "gift_points": 100}  # fmt: skip
    site.api("POST", "/v1/wallet/plans", plan)
    top_up = {"payment_id": "m-top-up-606", "member": {"phone": phone}, "store_id": "SH-001", "occurred_at": now,
              "amount_fen": 50_000, "plan_id": plan["plan_id"]}  # fmt: skip
    partner(site, "/v1/webhooks/wallet/top-ups", top_up)

    page = open_as(mobile, site, tokens, "/home")
    for path, title, _, ready in SCREENS:
        page.goto(f"{site.base}/m/#{path}")
        page.locator(ready).first.wait_for()
        check_screen(mobile, title, path.strip("/").replace("/", "-"))

    page.goto(f"{site.base}/m/#/wallet")
    expect(page.locator("[data-test=wallet-principal]")).to_have_text("¥500.00")
    expect(page.locator("[data-test=wallet-gift-pending]")).to_have_text("待到账赠送积分 100：使用本金消费时按比例到账")
    expect(page.locator("[data-test=wallet-entries] .van-cell").first).to_contain_text(" · 上海静安旗舰店")  # where
    refund = {"refund_id": "m-refund-606", "order_id": "m-order-606", "occurred_at": datetime.now(UTC).isoformat(),
              "amount_fen": 10_000}  # fmt: skip
    partner(site, "/v1/webhooks/refunds", refund)
    page.goto(f"{site.base}/m/#/points")
    status, held = send("GET", f"{site.base}/v1/me/points", None, token=tokens["access_token"])
    assert (status, held["deducted"] > 0) == (200, True)
    deducted = page.locator("[data-test=points-deducted]")  # what the refund took back, so the counters add up
    expect(deducted).to_contain_text("已扣回")
    expect(deducted.locator("b")).to_have_text(f"{held['deducted']:,}")
    page.locator("[data-test=check-in]").click()
    page.get_by_role("button", name="今日已签到").wait_for()

    page.goto(f"{site.base}/m/#/me")
    page.locator("[data-test=language]").click()
    page.get_by_role("button", name="English").click()
    page.get_by_text("Log out").wait_for()
    page.locator(".van-action-sheet").wait_for(state="hidden")
    # the pages' language is the phone's, the messages' the member's: switching one offers the other
    asked = page.locator(".van-dialog", has_text="Receive your messages in English too?")
    asked.get_by_role("button", name="Yes, in English").click()
    page.get_by_text("Messages will come in English").wait_for()
    assert me_api(site, tokens["access_token"], "/v1/me/message-preferences")["language"] == "en"
    expect(page).to_have_title("Me · Member centre")
    mobile.shot("me-english")
    for path, _, title, ready in SCREENS:  # English words are longer: every screen still fits
        page.goto(f"{site.base}/m/#{path}")
        page.locator(ready).first.wait_for()
        expect(page).to_have_title(f"{title} · Member centre")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    # found by a walkthrough: what the platform wrote on the member's entries read in Chinese on English pages
    page.goto(f"{site.base}/m/#/points")
    ledger = page.locator("[data-test=ledger]")
    for reason in ("Check-in reward", "Points taken back: refund of order m-order-606", "Purchase"):
        expect(ledger.locator(".reason", has_text=reason).first).to_be_visible()
    expect(ledger).not_to_contain_text("消费积分")
    # dates as English readers of either side of the Atlantic read them alike: 4 Dec 2026, never 04/12/2026
    expect(ledger).to_contain_text(re.compile(r"\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4},"))
    expect(ledger).not_to_contain_text(re.compile(r"\d{2}/\d{2}/\d{4}"))
    mobile.shot("points-english")
    page.goto(f"{site.base}/m/#/wallet")
    expect(page.locator("[data-test=wallet-move]").first).to_contain_text("Top-up 充500送100积分")  # the plan's name


def test_feedback_is_sent_and_the_staff_reply_is_read(site: Site, mobile: Screens) -> None:
    page = open_as(mobile, site, member_tokens(site, "13700000707"), "/feedback")
    page.get_by_role("radio", name="建议").click()
    page.get_by_label("反馈内容").fill("希望门店周末能延长营业时间。\n最好到晚上十点。")
    page.get_by_role("switch", name="允许客服联系我").click()
    page.locator("[data-test=feedback-submit]").click()
    item = page.locator("[data-test=feedback-item]").first
    item.get_by_text("希望门店周末能延长营业时间。 最好到晚上十点。").wait_for()  # one line, as the API keeps it
    assert "建议" in item.inner_text()
    assert "处理中" in item.inner_text()
    check_screen(mobile, "意见反馈", "feedback")

    desk = site.api("GET", "/v1/feedback?status=open")["items"]
    mine = next(f for f in desk if f["text"].startswith("希望门店周末"))
    url = f"{site.base}/v1/feedback/{mine['feedback_id']}"
    headers = {"if-match": f'"{mine["version"]}"', "content-type": "application/merge-patch+json"}
    reply = {"status": "closed", "reply": "已转告门店，感谢建议！"}
    status, answer = send("PATCH", url, reply, headers=headers, token=site.token())
    assert status == 200, answer
    page.reload()
    page.locator("[data-test=feedback-reply]").get_by_text("已转告门店，感谢建议！").wait_for()
    assert "已处理" in page.locator("[data-test=feedback-item]").first.inner_text()
    mobile.shot("feedback-answered")


def exchange_on(page: Any) -> None:
    """Exchange the reward on screen: the button, then yes to what it costs (the points are spent at once)."""
    page.locator("[data-test=exchange-submit]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("积分在确认后立即扣除")
    dialog.get_by_role("button", name="确认兑换").click()


def test_a_member_downloads_their_data_and_closes_the_membership_once_the_wallet_is_paid_out(
    site: Site, mobile: Screens
) -> None:
    """Found by a walkthrough: the privacy policy offered a copy of one's data and 注销, and nothing led there. 账号与
    隐私 downloads what the member pages read of the member, and closes the membership after saying what it does;
    stored value's principal is said to be paid out first, at a store."""
    phone = "136" + "".join(secrets.choice("0123456789") for _ in range(8))
    tokens = member_tokens(site, phone)
    now = datetime.now(UTC).isoformat()
    top_up = {"payment_id": f"T-{secrets.token_hex(3)}", "member": {"phone": phone}, "store_id": "SH-001",
              "occurred_at": now, "amount_fen": 10_000}  # fmt: skip
    partner(site, "/v1/webhooks/wallet/top-ups", top_up)
    me = me_api(site, tokens["access_token"])
    page = open_as(mobile, site, tokens, "/me")
    page.locator("[data-test=me-account-privacy]").click()
    check_screen(mobile, "账号与隐私", "privacy")
    with page.expect_download() as downloading:
        page.locator("[data-test=privacy-export]").click()
    data = json.loads(downloading.value.path().read_text(encoding="utf-8"))
    assert (data["profile"]["member_no"], data["wallet"]["principal_fen"]) == (me["member_no"], 10_000)
    assert downloading.value.suggested_filename == f"my-data-{me['member_no']}.json"

    page.locator("[data-test=privacy-close]").click()
    page.get_by_role("dialog").get_by_role("button", name="注销会员").click()
    expect(page.locator("[data-test=privacy-problem]")).to_have_text(
        "您的储值本金 ¥100.00 尚未退还：请到门店办理退余额后再注销。"
    )
    assert site.api("GET", f"/v1/members/{me['member_id']}")["status"] == "active"
    mobile.shot("privacy-holds-value")
    paid_out = {"store_id": "SH-001", "reason": "退卡"}  # at a store, by finance
    refunded = site.api("POST", f"/v1/members/{me['member_id']}/wallet/cash-refunds", paid_out)
    assert refunded["principal_fen"] == 10_000
    page.locator("[data-test=privacy-close]").click()
    page.get_by_role("dialog").get_by_role("button", name="注销会员").click()
    expect(page).to_have_url(re.compile(r"/m/#/login"))  # logged out once closed (said in a toast)
    assert site.api("GET", f"/v1/members/{me['member_id']}")["status"] == "erased"


def test_the_home_pages_check_in_checks_in(site: Site, mobile: Screens) -> None:
    """Found by a walkthrough: 每日签到 among the home page's links only opened the points page; a second tap there
    checked in."""
    phone = "136" + "".join(secrets.choice("0123456789") for _ in range(8))
    tokens = member_tokens(site, phone)
    page = open_as(mobile, site, tokens, "/home")
    page.locator("[data-test=home-link-checkIn]").click()
    page.get_by_role("button", name="今日已签到").wait_for()
    entries = me_api(site, tokens["access_token"], "/v1/me/points/ledger")["items"]
    assert any("签到" in entry["reason"] for entry in entries), entries
