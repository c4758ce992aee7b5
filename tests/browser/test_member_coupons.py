"""The member pages' coupons on a 375-pixel phone: the home page's entry, the claim centre (领券中心), a claim seen
under 我的优惠券 as the API holds it, a second claim past the limit and a claim of a template just sold out said
plainly, a used coupon stamped under 已使用, and the member code counting the coupons to show at the till."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Screens, Site
from tests.browser.test_member_pages import check_screen, me_api, member_tokens, open_as
from tests.http import send


def welcome_template(site: Site, name: str, **terms: Any) -> dict[str, Any]:
    """A template like the demo's welcome coupon (满100减10, claimable, one per member), changed by ``terms``."""
    body = {
        "name": name,
        "kind": "threshold",
        "threshold_fen": 10000,
        "amount_off_fen": 1000,
        "validity": {"days_after_issue": 30},
        "claimable": True,
        "per_member_limit": 1,
        **terms,
    }
    return dict(site.api("POST", "/v1/coupons/templates", body))


def claim_as(site: Site, phone: str, template_id: str) -> Any:
    """Another member claims through the API, as their own member pages would."""
    token = member_tokens(site, phone)["access_token"]
    status, answer = send("POST", f"{site.base}/v1/me/coupons/claims", {"template_id": template_id}, token=token)
    assert status == 201, answer
    return answer


def test_a_member_claims_a_coupon_sees_it_available_and_cannot_claim_beyond_the_limit(
    site: Site, mobile: Screens
) -> None:
    name = f"领券满100减10·{secrets.token_hex(2)}"
    made = welcome_template(site, name, stock=100)
    tokens = member_tokens(site, "13700000611")
    page = open_as(mobile, site, tokens, "/home")
    summary = page.locator("[data-test=coupons-summary]")
    before = len(me_api(site, tokens["access_token"], "/v1/me/coupons?status=available")["items"])
    expect(summary.locator("[data-test=coupon-count]")).to_have_text(f"{before} 张可用")
    check_screen(mobile, "首页", "home-coupons")

    page.locator("[data-test=home-claim]").click()
    ticket = page.locator("[data-test=coupon-ticket]", has_text=name)
    ticket.wait_for()
    assert made["rules"] in ticket.inner_text()  # the rules in words, as the API says them
    assert ticket.locator("[data-test=stock-left]").inner_text() == "剩 100 张"
    check_screen(mobile, "领券中心", "claim-centre")

    ticket.get_by_role("button", name="领取").click()
    page.get_by_text("领取成功").wait_for()
    expect(ticket.locator("[data-test=claimed]")).to_have_text("已领 1 张")
    expect(ticket.locator("[data-test=stock-left]")).to_have_text("剩 99 张")
    expect(ticket.get_by_role("button", name="已领满")).to_be_disabled()  # one per member: said at once, no tap needed
    page.reload()
    expect(ticket.get_by_role("button", name="已领满")).to_be_disabled()  # as the list says it read again
    mobile.shot("claim-limit-reached")

    page.locator("[data-test=go-mine]").click()
    mine = me_api(site, tokens["access_token"], "/v1/me/coupons?status=available")["items"]
    (coupon,) = [item for item in mine if item["template_id"] == made["template_id"]]
    assert coupon["source_kind"] == "claim"
    shown = page.locator("[data-test=coupons-available] [data-test=coupon-ticket]", has_text=name)
    shown.wait_for()
    assert coupon["rules"] in shown.inner_text()
    assert f"券码 {coupon['code']}" in shown.inner_text()
    assert "¥10" in shown.inner_text()
    expect(page.locator("[data-test=coupons-available] [data-test=coupon-ticket]")).to_have_count(len(mine))
    check_screen(mobile, "我的优惠券", "my-coupons-available")
    shown.locator("[data-test=coupon-use]").click()  # how one is used: the code the till scans (a walkthrough)
    expect(page).to_have_url(re.compile(r"/m/#/code"))
    page.go_back()

    page.get_by_role("tab", name="已过期").click()
    page.locator("[data-test=coupons-expired]").get_by_text("没有过期的优惠券").wait_for()
    check_screen(mobile, "我的优惠券", "my-coupons-expired-empty")  # its picture too (a review found it broken)


def test_a_claim_of_a_coupon_just_sold_out_is_said_plainly(site: Site, mobile: Screens) -> None:
    name = f"限量一张·{secrets.token_hex(2)}"
    made = welcome_template(site, name, stock=1)
    page = open_as(mobile, site, member_tokens(site, "13700000612"), "/coupons/claim")
    ticket = page.locator("[data-test=coupon-ticket]", has_text=name)
    expect(ticket.locator("[data-test=stock-left]")).to_have_text("剩 1 张")
    claim_as(site, "13700000613", made["template_id"])  # someone else is quicker
    ticket.get_by_role("button", name="领取").click()
    ticket.get_by_role("alert").get_by_text("来晚了，这张券已经被领完了").wait_for()
    expect(ticket.get_by_role("button", name="已抢光")).to_be_disabled()
    check_screen(mobile, "领券中心", "claim-out-of-stock")


def test_a_used_coupon_is_stamped_and_the_member_code_counts_those_to_show(site: Site, mobile: Screens) -> None:
    phone = "13700000614"
    tokens = member_tokens(site, phone)
    member = site.api("POST", "/v1/members/lookup", {"phone": phone})
    name = f"满100减20·{secrets.token_hex(2)}"
    made = welcome_template(
        site, name, amount_off_fen=2000, validity={"days_after_issue": 7}, claimable=False, per_member_limit=None
    )
    gift = {"member_id": member["member_id"]}
    issues = f"/v1/coupons/templates/{made['template_id']}/issues"
    issued = [site.api("POST", issues, {**gift, "source_id": f"test-{secrets.token_hex(6)}"}) for _ in range(2)]
    order = {"order_id": f"POS-{secrets.token_hex(4)}", "order": {"store_id": "SH-001", "total_fen": 15000}}
    site.api("POST", f"/v1/coupons/{issued[0]['code']}/redemptions", order)

    page = open_as(mobile, site, tokens, "/coupons?tab=used")
    used = page.locator("[data-test=coupons-used] [data-test=coupon-ticket]", has_text=name)
    expect(used.locator("[data-test=coupon-stamp]")).to_have_text("已使用")
    assert issued[0]["code"] not in used.inner_text()  # a spent coupon's code is not offered again
    check_screen(mobile, "我的优惠券", "my-coupons-used")

    available = me_api(site, tokens["access_token"], "/v1/me/coupons?status=available")["items"]
    page.goto(f"{site.base}/m/#/code")
    expect(page.locator("[data-test=code-coupons]")).to_contain_text(f"{len(available)} 张可用")
    page.locator("[data-test=member-qr]").wait_for()
    check_screen(mobile, "会员码", "member-code-coupons")


def test_a_printed_code_typed_under_my_coupons_becomes_the_members_coupon(
    site: Site, mobile: Screens, console: Screens
) -> None:
    """兑换码: a code from a batch printed on a flyer, typed in groups as printed, becomes a coupon of the member's own
    under 可使用; typed again by another member it is said to be claimed."""
    name = f"传单券·{secrets.token_hex(2)}"
    made = welcome_template(site, name, claimable=False, stock=5)
    batch = site.api("POST", f"/v1/coupons/templates/{made['template_id']}/batches", {"kind": "codes", "count": 2})
    printed: list[str] = []
    cursor = ""
    while True:
        page_of = site.api("GET", f"/v1/coupons/batches/{batch['batch_id']}/codes?limit=50{cursor}")
        printed += page_of["items"]
        if not page_of["next_cursor"]:
            break
        cursor = f"&cursor={page_of['next_cursor']}"
    page = open_as(mobile, site, member_tokens(site, "13700000619"), "/coupons")
    box = page.get_by_label("兑换码")
    box.fill(f"{printed[0][:4]} {printed[0][4:8]} {printed[0][8:]}")
    page.locator("[data-test=code-submit]").click()
    page.get_by_text(f"兑换成功：{name}").wait_for()
    ticket = page.locator("[data-test=coupons-available] [data-test=coupon-ticket]", has_text=name)
    ticket.wait_for()
    assert printed[0] not in ticket.inner_text()  # a code of their own, not the printed one others saw
    check_screen(mobile, "我的优惠券", "coupon-by-code")
    other = open_as(mobile, site, member_tokens(site, "13700000620"), "/coupons")
    other.get_by_label("兑换码").fill(printed[0])
    other.locator("[data-test=code-submit]").click()
    expect(other.locator("[data-test=code-form]")).to_contain_text("该兑换码已被领取")
    from tests.browser.test_console_shell import log_in

    till = log_in(console, site)  # the printed code looked up at the till: claimed by a member, not a gift
    till.goto(f"{site.base}/console/#/counter")
    till.get_by_label("券码").fill(printed[0])
    till.locator("[data-test=lookup-find]").click()
    expect(till.locator("[data-test=lookup-status]")).to_have_text("已被会员用兑换码领取")


def test_the_demo_member_finds_the_demo_coupons_to_use_and_the_welcome_one_claimed(site: Site, mobile: Screens) -> None:
    status, tokens = send("POST", f"{site.base}/v1/auth/member-token", site.credentials["member"])  # the demo member
    assert status == 200, tokens  # claimed the welcome coupon two days ago and was given 9折: both still valid
    available = me_api(site, tokens["access_token"], "/v1/me/coupons?status=available")["items"]
    assert {"新人满100减10", "会员专享9折"} <= {coupon["name"] for coupon in available}
    page = open_as(mobile, site, tokens, "/coupons")
    tickets = page.locator("[data-test=coupons-available] [data-test=coupon-ticket]")
    expect(tickets).to_have_count(len(available))
    for coupon in available:
        ticket = tickets.filter(has_text=coupon["name"])
        assert coupon["rules"] in ticket.inner_text()
    expect(tickets.filter(has_text="会员专享9折")).to_contain_text("9")
    check_screen(mobile, "我的优惠券", "demo-member-available")

    page.locator("[data-test=go-claim]").click()
    welcome = page.locator("[data-test=coupon-ticket]", has_text="新人满100减10")
    expect(welcome.locator("[data-test=claimed]")).to_be_visible()  # one per member, and they had theirs
    expect(welcome.get_by_role("button")).to_be_disabled()
    check_screen(mobile, "领券中心", "demo-member-claim-centre")


def test_a_coupon_for_days_to_come_says_so_and_its_words_for_members_show(site: Site, mobile: Screens) -> None:
    """Found by a walkthrough: a voucher valid from next week was listed as usable with only its last day, so a member
    would try it today; and the template's words for members (说明) were shown nowhere."""
    today = date.fromisoformat(send("GET", f"{site.base}/v1/health")[1]["today"])
    starts, ends = today + timedelta(days=3), today + timedelta(days=10)
    name = f"下周美式券·{secrets.token_hex(2)}"
    made = welcome_template(site, name, claimable=False, description="到店出示即可，不与其他优惠同享",
                            validity={"from": starts.isoformat(), "until": ends.isoformat()})  # fmt: skip
    tokens = member_tokens(site, "13700000615")
    member_id = me_api(site, tokens["access_token"], "/v1/me")["member_id"]
    site.api(
        "POST",
        f"/v1/coupons/templates/{made['template_id']}/issues",
        {"member_id": member_id, "source_id": "next-week"},
    )
    page = open_as(mobile, site, tokens, "/coupons")
    ticket = page.locator("[data-test=coupons-available] [data-test=coupon-ticket]", has_text=name)
    expect(ticket.locator("[data-test=coupon-not-yet]")).to_have_text("未到使用日期")
    expect(ticket.locator("[data-test=coupon-valid]")).to_contain_text(f"{starts:%Y/%m/%d} 至 {ends:%Y/%m/%d} 有效")
    expect(ticket.locator("[data-test=coupon-description]")).to_have_text("到店出示即可，不与其他优惠同享")
    check_screen(mobile, "我的优惠券", "coupon-not-yet-valid")


def test_a_member_gives_a_coupon_to_a_friend_who_logs_in_from_the_link_and_takes_it(
    site: Site, mobile: Screens
) -> None:
    """转赠: the giver's ticket offers it after saying what that means, the link's page asks a friend who is not logged
    in to log in and brings them back, the friend takes it once, and each side's list says what became of it."""
    name = f"好友券·{secrets.token_hex(2)}"
    made = welcome_template(site, name, claimable=False, per_member_limit=None, transferable=True)
    giver = member_tokens(site, "13700000616")
    giver_id = me_api(site, giver["access_token"], "/v1/me")["member_id"]
    issued = site.api("POST", f"/v1/coupons/templates/{made['template_id']}/issues",
                      {"member_id": giver_id, "source_id": f"gift-{secrets.token_hex(4)}"})  # fmt: skip

    page = open_as(mobile, site, giver, "/coupons")
    ticket = page.locator("[data-test=coupons-available] [data-test=coupon-ticket]", has_text=name)
    ticket.locator("[data-test=coupon-give]").click()
    page.get_by_role("dialog").get_by_text("24 小时内有效").wait_for()
    page.get_by_role("button", name="生成领取链接").click()
    share = page.locator("[data-test=gift-share]")
    link = share.locator("[data-test=gift-link]").inner_text()
    assert re.fullmatch(rf"{re.escape(site.base)}/m/#/gifts/[A-Za-z0-9_-]{{32}}", link), link
    share.locator("[data-test=gift-qr]").wait_for()
    mobile.shot("gift-share")
    share.locator(".van-popup__close-icon").click()
    expect(share).to_be_hidden()
    expect(ticket.locator("[data-test=coupon-offered]")).to_have_text("转赠中")
    expect(ticket.locator("[data-test=coupon-offer-note]")).to_contain_text("等待好友领取")
    assert issued["code"] not in ticket.inner_text()  # not shown while a friend may take it
    expect(ticket.locator("[data-test=coupon-withdraw]")).to_be_visible()
    check_screen(mobile, "我的优惠券", "my-coupons-offered")

    page.evaluate("localStorage.clear()")  # a friend with no session opens the link
    page.goto("about:blank")
    page.goto(link)
    expect(page).to_have_url(re.compile(r"#/login\?next=/gifts/"))
    expect(page.locator("[data-test=login-for-gift]")).to_contain_text("好友送你一张优惠券")  # why to log in
    friend = member_tokens(site, "13700000617")
    page = open_as(mobile, site, friend, "/" + link.split("#/", 1)[1])
    expect(page.locator("[data-test=gift-state]")).to_contain_text("前可领取")
    expect(page.locator("[data-test=coupon-ticket]")).to_contain_text(name)
    assert issued["code"] not in page.content()
    check_screen(mobile, "好友送券", "gift-open")
    page.locator("[data-test=gift-accept]").click()
    page.get_by_text("领取成功").wait_for()
    expect(page.locator("[data-test=gift-state]")).to_have_text("您已领取这张券，可在「我的优惠券」中查看")
    page.locator("[data-test=gift-mine]").click()
    mine = page.locator("[data-test=coupons-available] [data-test=coupon-ticket]", has_text=name)
    expect(mine.locator("[data-test=coupon-from-friend]")).to_have_text("好友赠送")
    expect(mine.locator("[data-test=coupon-give]")).to_have_count(0)  # never given on
    (received,) = [c for c in me_api(site, friend["access_token"], "/v1/me/coupons")["items"] if c["name"] == name]
    assert (received["source_kind"], received["valid_until"]) == ("transfer", issued["valid_until"])

    page = open_as(mobile, site, giver, "/coupons?tab=transferred")
    given = page.locator("[data-test=coupons-transferred] [data-test=coupon-ticket]", has_text=name)
    expect(given.locator("[data-test=coupon-stamp]")).to_have_text("已转赠")
    page.goto("about:blank")
    page.goto(link)
    expect(page.locator("[data-test=gift-state]")).to_have_text("好友已领取这张券")  # the giver's own link, once taken

    limited = welcome_template(site, f"限领券·{secrets.token_hex(2)}", claimable=False, transferable=True)
    for member_id in (giver_id, received["member_id"]):  # one each: the friend is at the limit of one
        site.api("POST", f"/v1/coupons/templates/{limited['template_id']}/issues",
                 {"member_id": member_id, "source_id": f"gift-{secrets.token_hex(4)}"})  # fmt: skip
    (second,) = [
        c for c in me_api(site, giver["access_token"], "/v1/me/coupons")["items"] if c["name"] == limited["name"]
    ]
    status, offered = send("POST", f"{site.base}/v1/me/coupons/{second['code']}/offer", token=giver["access_token"])
    assert status == 201, offered
    page = open_as(mobile, site, friend, f"/gifts/{offered['token']}")
    expect(page.locator("[data-test=gift-state]")).to_have_text("这张券每人限领的张数您已领满")  # before any tap
    expect(page.locator("[data-test=gift-accept]")).to_have_count(0)
