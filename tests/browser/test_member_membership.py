"""The member pages' paid membership on a 375-pixel phone: a member whose wallet was topped up finds the gym card from
the home page, sees its price against their balance, buys it from the wallet, sees it active, turns automatic renewal
on and reads their benefits with the uses left this week; a balance too small is said before paying, and the free
trial starts once; the demo member finds the card they bought and its class used."""

from __future__ import annotations

import secrets
from typing import Any

from playwright.sync_api import expect

from chalicelib.local.demo import MEMBERSHIP_PLAN
from tests.browser.conftest import Screens, Site
from tests.browser.test_console_members import top_up
from tests.browser.test_member_pages import check_screen, me_api, member_tokens, open_as
from tests.http import send

PT = "私教课每周1次"


def joined_with_wallet(site: Site, amount_fen: int) -> tuple[dict[str, Any], str]:
    """A new member logged in as the member pages log in, their wallet topped up by the demo POS."""
    tokens = member_tokens(site, "136" + "".join(secrets.choice("0123456789") for _ in range(8)))
    member_id = me_api(site, tokens["access_token"])["member_id"]
    top_up(site, member_id, amount_fen)
    return tokens, member_id


def settled(mobile: Screens) -> Screens:
    """The screen from its top once its toasts are gone and nothing moves (a dialog fades in), for a screenshot."""
    mobile.page.locator(".van-toast").first.wait_for(state="hidden")
    mobile.page.evaluate("() => window.scrollTo(0, 0)")
    mobile.page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    return mobile


def shown_day(ymd: str) -> str:
    """A business date as the member pages show it in Chinese: 2026/12/29."""
    return ymd.replace("-", "/")


def test_a_member_buys_the_gym_card_from_the_wallet_turns_auto_renewal_on_and_reads_the_uses_left(
    site: Site, mobile: Screens
) -> None:
    tokens, _ = joined_with_wallet(site, 50_000)
    token = tokens["access_token"]
    page = open_as(mobile, site, tokens, "/home")
    page.locator("[data-test=home-link-membership]").click()
    expect(page).to_have_title("会员卡 · 会员中心")
    page.locator("[data-test=no-cards]").wait_for()
    plan = page.locator("[data-test=plan]", has_text=MEMBERSHIP_PLAN["name"])
    expect(plan.locator("[data-test=plan-price]")).to_have_text("¥299.00 / 1 个月")
    expect(plan).to_contain_text(PT)
    expect(plan.get_by_role("button", name="免费试用 7 天")).to_be_visible()
    check_screen(mobile, "会员卡", "plans")

    plan.get_by_role("button", name="储值支付 ¥299.00").click()
    confirm = page.locator("[data-test=buy-confirm]")
    expect(confirm.locator("[data-test=confirm-price]")).to_have_text("¥299.00")
    expect(confirm.locator("[data-test=confirm-balance]")).to_have_text("¥500.00")
    expect(confirm).to_contain_text("¥201.00")  # what the wallet keeps
    # the terms the member agrees to, before paying: the demo plan refunds pro rata less the classes used
    expect(confirm.locator("[data-test=confirm-refund]")).to_have_text("退卡按未使用天数比例退款，扣除已使用权益")
    expect(confirm.locator("[data-test=confirm-auto-renew]")).to_have_text("默认关闭，可在会员卡页开启")
    settled(mobile).shot("buy-confirm")
    page.locator(".van-dialog").get_by_role("button", name="确认支付").click()
    expect(page.locator(".van-toast").first).to_contain_text("已开通，有效期至 ")  # a review found it said "undefined"

    card = page.locator("[data-test=my-card]", has_text=MEMBERSHIP_PLAN["name"])
    expect(card.locator("[data-test=card-status]")).to_have_text("生效中")
    (bought,) = me_api(site, token, "/v1/me/cards")["items"]
    assert (bought["status"], bought["paid_fen"], bought["payments"][0]["method"]) == ("active", 29_900, "wallet")
    expect(card.locator("[data-test=card-until]")).to_have_text(until_text(bought))
    assert me_api(site, token, "/v1/me/wallet")["total_fen"] == 50_000 - 29_900
    expect(plan.get_by_role("button", name="储值续费 ¥299.00")).to_be_visible()  # another payment renews it
    expect(plan.get_by_role("button", name="免费试用 7 天")).to_have_count(0)  # no trial once a card was had

    switch = card.get_by_role("switch", name=f"{MEMBERSHIP_PLAN['name']} 自动续费")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()  # a recurring charge: said with its price and when, on a yes (a walkthrough: one tap, a toast)
    asked = page.get_by_role("dialog").filter(has_text="自动续费")
    expect(asked).to_contain_text("自动扣费 ¥299.00")
    asked.get_by_role("button", name="开启").click()
    expect(switch).to_have_attribute("aria-checked", "true")
    (renewing,) = me_api(site, token, "/v1/me/cards")["items"]
    assert renewing["auto_renew"] is True
    notice = shown_day(renewing["renewal_notice_on"])  # a week before it ends
    expect(card.locator("[data-test=auto-renew-note]")).to_have_text(f"{notice} 提醒续费")
    check_screen(settled(mobile), "会员卡", "card-active")  # docs/screenshots/member-cards.png

    page.locator("[data-test=go-benefits]").click()
    expect(page).to_have_title("我的权益 · 会员中心")
    benefits = me_api(site, token, "/v1/me/benefits")
    (pt,) = [item for item in benefits["items"] if item["benefit_id"] == "pt-session"]
    assert (pt["remaining"], pt["source"]) == (1, "card")
    row = page.locator("[data-test=benefit]", has_text=PT)
    expect(row.locator("[data-test=benefit-remaining]")).to_have_text("本周剩余 1 次")
    expect(row.locator("[data-test=benefit-resets]")).to_have_text(f"{shown_day(pt['period_ends_on'])} 后重置")
    expect(row).to_contain_text(f"来自会员卡「{MEMBERSHIP_PLAN['name']}」")
    expect(page.locator("[data-test=effective]")).to_contain_text("9 折")
    expect(page.locator("[data-test=effective-tier]")).to_have_text("黄金会员等级权益")  # the card's floor
    gold = [item for item in benefits["items"] if item["source"] == "tier"]
    assert gold, "the demo's gold tier gives benefits of its own"
    row = page.locator("[data-test=benefit]", has_text=gold[0]["name"])  # they say the card, and last as it (a
    expect(row).to_contain_text(f"会员卡「{MEMBERSHIP_PLAN['name']}」享「黄金会员」权益")  # walkthrough read 长期有效)
    expect(row).not_to_contain_text("长期有效")
    check_screen(settled(mobile), "我的权益", "benefits")

    home = open_as(mobile, site, tokens, "/home")  # the tier card shows the tier's perks; the card's are said by it
    perks = home.locator("[data-test=home-benefits-now]")
    expect(perks).to_contain_text(
        f"{MEMBERSHIP_PLAN['name']} 生效中"
    )  # which card (a walkthrough read 会员卡权益生效中)
    pt = next(item for item in benefits["items"] if item["source"] == "card" and item["kind"] == "quota")
    expect(perks).to_contain_text(  # what it gives: its classes left first
        f"{pt['name']} 剩 {pt['remaining']} 次 · 9 折 · 积分 {float(benefits['effective']['points_multiplier']):g} 倍"
    )
    perks.click()
    expect(home).to_have_title("我的权益 · 会员中心")

    switch_back = open_as(mobile, site, tokens, "/membership")
    switch_back.locator("[data-test=my-card] .van-switch").click()  # and off again, at once
    expect(switch).to_have_attribute("aria-checked", "false")
    assert me_api(site, token, "/v1/me/cards")["items"][0]["auto_renew"] is False

    cancelled = site.api("POST", f"/v1/members/{bought['member_id']}/cards/{bought['card_id']}/cancellation",
                         {"cancel_id": f"m-cancel-{bought['card_id']}", "reason": "搬家"}, who="admin")  # fmt: skip
    page = open_as(mobile, site, tokens, "/membership")  # what came back, said on the card
    shown = page.locator("[data-test=my-card]", has_text=MEMBERSHIP_PLAN["name"]).locator("[data-test=card-until]")
    expect(shown).to_contain_text(f"已退卡，退款 ¥{cancelled['refund_fen'] / 100:.2f}（已退回钱包）")  # paid from it
    page.locator("[data-test=my-card]", has_text=MEMBERSHIP_PLAN["name"]).locator("[data-test=card-history]").click()
    sheet = page.locator("[data-test=card-history-sheet]")  # how it was worked out, as the refund explained it
    expect(sheet).to_contain_text(cancelled["explanation"][:12])
    expect(sheet).to_contain_text("退卡退款")
    mobile.shot("card-refund-history")


def test_a_balance_too_small_is_said_before_paying_and_the_free_trial_starts_once(site: Site, mobile: Screens) -> None:
    tokens, _ = joined_with_wallet(site, 10_000)
    page = open_as(mobile, site, tokens, "/membership")
    plan = page.locator("[data-test=plan]", has_text=MEMBERSHIP_PLAN["name"])
    plan.get_by_role("button", name="储值支付 ¥299.00").click()
    confirm = page.locator("[data-test=buy-confirm]")
    expect(confirm.locator("[data-test=confirm-short]")).to_have_text("储值余额不足，还差 ¥199.00，请到店充值")
    expect(page.locator(".van-dialog").get_by_role("button", name="确认支付")).to_be_disabled()
    settled(mobile).shot("balance-short")
    page.locator(".van-dialog").get_by_role("button", name="取消").click()
    assert me_api(site, tokens["access_token"], "/v1/me/cards")["items"] == []

    plan.get_by_role("button", name="免费试用 7 天").click()
    expect(page.locator("[data-test=buy-confirm]")).to_contain_text("到期后不会自动扣款")
    page.locator(".van-dialog").get_by_role("button", name="开始试用").click()
    card = page.locator("[data-test=my-card]", has_text=MEMBERSHIP_PLAN["name"])
    expect(card.locator("[data-test=card-status]")).to_have_text(
        "试用中"
    )  # not 生效中: nothing paid yet (a walkthrough)
    expect(
        plan.get_by_role("button", name=f"储值支付 ¥{MEMBERSHIP_PLAN['price_fen'] / 100:,.2f}")
    ).to_be_visible()  # not 续费
    (trial,) = me_api(site, tokens["access_token"], "/v1/me/cards")["items"]
    assert ([p["kind"] for p in trial["payments"]], trial["paid_fen"]) == (["trial"], 0)
    expect(card.locator("[data-test=card-until]")).to_have_text(until_text(trial))
    expect(plan.get_by_role("button", name="免费试用 7 天")).to_have_count(0)
    headers = {"Idempotency-Key": secrets.token_hex(8)}  # another phone trying the trial again is refused
    body = {"plan_id": trial["plan_id"], "pay_with": "trial"}
    status, answer = send("POST", f"{site.base}/v1/me/cards", body, headers, token=tokens["access_token"])
    assert (status, answer["type"].rsplit("/", 1)[-1]) == (409, "card-not-renewable")
    check_screen(settled(mobile), "会员卡", "trial")


def test_the_demo_member_finds_the_card_they_bought_and_the_class_they_used(site: Site, mobile: Screens) -> None:
    status, tokens = send("POST", f"{site.base}/v1/auth/member-token", site.credentials["member"])
    assert status == 200, tokens
    page = open_as(mobile, site, tokens, "/me")
    page.locator("[data-test=me-membership]").click()
    (card,) = me_api(site, tokens["access_token"], "/v1/me/cards")["items"]
    shown = page.locator("[data-test=my-card]", has_text=MEMBERSHIP_PLAN["name"])
    expect(shown.locator("[data-test=card-status]")).to_have_text("生效中")
    expect(shown.locator("[data-test=card-until]")).to_have_text(until_text(card))
    page.locator("[data-test=go-benefits]").click()
    benefits = me_api(site, tokens["access_token"], "/v1/me/benefits")["items"]
    (pt,) = [item for item in benefits if item["benefit_id"] == "pt-session"]
    said = "本周已用完" if pt["remaining"] == 0 else f"本周剩余 {pt['remaining']} 次"  # the class was last week or this
    expect(page.locator("[data-test=benefit]", has_text=PT).locator("[data-test=benefit-remaining]")).to_have_text(said)
    assert [payment["method"] for payment in card["payments"]] == ["wallet"]  # paid from their wallet
    used = page.locator("[data-test=use-entry]").first  # the class, with what it was and where (消课记录)
    expect(used).to_contain_text(f"使用权益「{PT}」")
    expect(used).to_contain_text("私教课 · 王教练")
    expect(used).to_contain_text("已使用 1 次")
    expect(used).to_contain_text("上海静安旗舰店")
    check_screen(mobile, "我的权益", "demo-benefits")


def until_text(card: dict[str, Any]) -> str:
    """How the member pages say a live card's end, and how long its benefits outlast it (its grace)."""
    shown = f"有效期至 {shown_day(card['valid_until'])}"
    if card["grace_ends_on"] and card["grace_ends_on"] > card["valid_until"]:
        shown += f"，到期后权益保留至 {shown_day(card['grace_ends_on'])}"
    return shown
