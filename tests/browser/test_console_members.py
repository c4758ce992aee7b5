"""The back office's member screens and the counter, as staff use them: find, adjust, see the ledger; serve at
the counter by phone; a cashier sees the counter and not staff administration."""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from chalicelib.shared.clock import business_date
from tests.browser.conftest import Screens, Site, choose
from tests.browser.test_console_config import settle
from tests.browser.test_console_shell import log_in, unlabelled_inputs
from tests.conftest import signed_headers
from tests.http import send


def new_member(site: Site, name: str, store: str = "SH-001") -> dict[str, Any]:
    phone = "139" + "".join(secrets.choice("0123456789") for _ in range(8))
    return dict(site.api("POST", "/v1/members", {"name": name, "phone": phone, "home_store_id": store}))


def top_up(site: Site, member_id: str, amount_fen: int, plan_id: str | None = None) -> dict[str, Any]:
    """A top-up of the member's stored value, reported by the demo POS (a signed webhook)."""
    partner = site.credentials["partner"]
    body = json.dumps(
        {
            "payment_id": f"TOP-{secrets.token_hex(4)}",
            "member": {"member_id": member_id},
            "store_id": "SH-001",
            "occurred_at": datetime.now(UTC).isoformat(),
            "amount_fen": amount_fen,
            **({"plan_id": plan_id} if plan_id else {}),
        }
    )
    headers = signed_headers(partner["partner_id"], partner["secret"], body.encode())
    status, answer = send("POST", f"{site.base}/v1/webhooks/wallet/top-ups", json.loads(body), headers)
    assert status in (200, 201), answer
    return dict(answer)


def member_code(site: Site, phone: str) -> str:
    """The code the member pages show the member now (they log in with a texted code to see it)."""
    tokens = site.member_tokens(phone)
    status, shown = send("GET", f"{site.base}/v1/me/code", token=tokens["access_token"])
    assert status == 200, shown
    return str(shown["code"])


def serving(site: Site, console: Screens, member: dict[str, Any]) -> Page:
    """A cashier of SH-001 at the till, serving ``member`` found by their phone."""
    page = log_in(console, site, staff_account(site, ["cashier"], ["SH-001"]))
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(member["phone"])
    page.get_by_role("button", name="搜索").click()
    return page


def confirm(page: Page, said: str, button: str) -> None:
    """Money taken at the till is said once more before it goes: the dialog's words, then its button."""
    asked = page.get_by_role("dialog")
    expect(asked).to_contain_text(said)
    asked.get_by_role("button", name=button).click()


def staff_account(site: Site, roles: list[str], stores: list[str]) -> str:
    """A new staff account with these roles; its credentials are kept under its username for ``log_in``."""
    username = f"{roles[0].replace('_', '-')}-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(16)
    site.api("POST", "/v1/staff", {"username": username, "display_name": f"测试{roles[0]}", "password": password,
                                   "roles": roles, "stores": stores})  # fmt: skip
    site.extra_credentials[username] = {"username": username, "password": password}
    return username


def test_a_member_is_found_adjusted_and_the_ledger_shows_the_entry(site: Site, console: Screens) -> None:
    member = new_member(site, "韩梅梅")
    page = log_in(console, site)
    page.goto(f"{site.base}/console/#/members")
    page.locator("[data-test=members]").wait_for()
    assert unlabelled_inputs(page) == []
    console.shot("members")

    page.get_by_label("查找").fill("韩梅梅")  # a whole name searches (through the body, never the URL)
    page.get_by_role("button", name="搜索").click()
    row = page.locator("[data-test=members] tr", has_text="韩梅梅")
    lowest = site.api("GET", "/v1/tiers/programmes")["current"]["tiers"][0]
    expect(row.locator("[data-test=member-tier]")).to_have_text(lowest["name_zh"])  # the tier's name, not its code
    page.get_by_role("cell", name="韩梅梅").click()
    page.locator("[data-test=member-name]").get_by_text("韩梅梅").wait_for()
    expect(page).to_have_title("会员详情 · 会员管理后台")
    expect(page.locator("[data-test=member-source]")).to_have_text("门店")  # in words, as the consents are
    consents = site.api("GET", f"/v1/members/{member['member_id']}")["consents"]
    channels = {"sms": "短信", "email": "邮件", "push": "App推送", "wechat": "微信"}
    shown = [f"{channels[channel]} {'✓' if consent['granted'] else '✗'}" for channel, consent in consents.items()]
    expect(page.locator("[data-test=member-consent]")).to_have_text(shown)
    console.shot("member-profile")

    page.locator("[data-test=adjust]").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("积分", exact=True).fill("320")
    dialog.get_by_label("原因").fill("门店活动补发")
    assert unlabelled_inputs(page) == []
    page.locator("[data-test=adjust-save]").click()
    page.get_by_role("tab", name="积分", exact=True).click()
    row = page.locator("[data-test=ledger] tr", has_text="门店活动补发")
    row.wait_for()
    assert "+320" in row.inner_text()
    me = site.api("GET", "/v1/staff/me")
    expect(row.locator("[data-test=ledger-by]")).to_have_text(f"员工 {me['name']}")  # who booked it, by name
    page.locator("[data-test=available]").get_by_text("320").wait_for()
    (lot,) = site.api("GET", f"/v1/members/{member['member_id']}/points")["expiring"]
    page.get_by_text(f"{lot['date']} · 320").wait_for()  # the points, with the day they expire
    console.shot("member-points")

    balance = site.api("GET", f"/v1/members/{member['member_id']}/points")
    assert balance["available"] == 320  # the screen shows what the API holds


def test_a_store_manager_credits_points_within_the_store_staffs_limits(site: Site, console: Screens) -> None:
    """A fitness chain's walkthrough: a store manager credited a million points by hand. The dialog says the limits
    before they type, and a credit above them is refused on its field, nothing booked."""
    member = new_member(site, "补偿会员")
    page = log_in(console, site, staff_account(site, ["store_manager"], ["SH-001"]))
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.locator("[data-test=adjust]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("[data-test=adjust-limits]")).to_have_text(
        "门店员工调增积分：单次不超过 5,000，每日合计不超过 20,000"
    )
    dialog.get_by_label("积分", exact=True).fill("6000")
    dialog.get_by_label("原因").fill("会员投诉补偿")
    page.locator("[data-test=adjust-save]").click()
    dialog.get_by_text("门店员工单次调增积分不超过 5,000，更多请由总部办理").wait_for()
    console.shot("adjust-over-limit")
    assert site.api("GET", f"/v1/members/{member['member_id']}/points")["available"] == 0


def test_an_edit_against_a_stale_version_is_reloaded_and_said_kindly(site: Site, console: Screens) -> None:
    member = new_member(site, "李雷")
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the registration's answer logged a read of its own
    reads = f"/v1/audit?from={day}&to={day}&action=member.phone-read&target=member/{member['member_id']}"
    before = len(site.api("GET", reads)["items"])
    page = log_in(console, site)
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    phone = member["phone"]  # masked until asked, so the audit log holds the reads someone wanted (a walkthrough:
    expect(page.locator("[data-test=member-phone]")).to_have_text(f"{phone[3:6]}****{phone[-4:]}")  # every visit
    assert len(site.api("GET", reads)["items"]) == before  # logged one)
    expect(page.locator("[data-test=member-birthday]")).to_have_text("已隐藏")  # not "—": masked, not missing
    page.locator("[data-test=reveal]").click()  # the admin reads it whole, grouped as people read it
    expect(page.locator("[data-test=member-phone]")).to_have_text(f"{phone[3:6]} {phone[6:10]} {phone[10:]}")
    expect(page.locator("[data-test=member-birthday]")).to_have_text(member.get("birthday") or "—")
    expect(page.locator("[data-test=reveal]")).to_have_count(0)
    assert len(site.api("GET", reads)["items"]) == before + 1
    page.locator("[data-test=edit]").click()
    page.get_by_label("姓名").fill("李雷雷")
    site.api("PATCH", f"/v1/members/{member['member_id']}", {"city": "杭州"})  # someone else saves first
    page.locator("[data-test=save]").click()
    page.locator("[data-test=conflict]").wait_for()
    console.shot("edit-conflict")
    expect(page.get_by_label("地区")).to_have_value("杭州")  # the latest version is loaded (it may follow the banner)
    page.get_by_label("姓名").fill("李雷雷")
    page.locator("[data-test=save]").click()
    page.locator("[data-test=member-name]").get_by_text("李雷雷").wait_for()

    other = new_member(site, "韩梅梅")  # the phone and the tags are edited too (a walkthrough found neither)
    page.locator("[data-test=edit]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("手机号")).to_have_value(phone[3:])  # as the member says it
    dialog.get_by_label("手机号").fill(other["phone"][3:])
    dialog.locator("[data-test=save]").click()
    dialog.get_by_text("该手机号已属于另一位会员").wait_for()  # nothing saved
    fresh = "139" + "".join(secrets.choice("0123456789") for _ in range(8))
    dialog.get_by_label("手机号").fill(fresh)
    tags = dialog.get_by_role("combobox", name="标签")
    too_long = "长" * 33  # refused on the tags' field (the API names it tags.0)
    tags.press_sequentially(too_long)
    tags.press("Enter")
    dialog.get_by_label("姓名").click()
    dialog.locator("[data-test=save]").click()
    tag_field = dialog.locator(".el-form-item", has=page.locator("#edit-tags"))
    expect(tag_field.locator(".el-form-item__error")).to_be_visible()
    tag_field.locator(".el-tag", has_text=too_long).locator(".el-tag__close").click()
    for tag in ("VIP", "老客"):  # typed (a fill empties the box first, which takes the last tag off)
        tags.press_sequentially(tag)
        tags.press("Enter")
    dialog.get_by_label("姓名").click()  # the tags' list closes
    console.shot("edit-phone-and-tags")
    dialog.locator("[data-test=save]").click()
    expect(page.locator("[data-test=member-tags]")).to_have_text("VIP老客")
    expect(page.locator("[data-test=member-phone]")).to_have_text(f"{fresh[:3]}****{fresh[-4:]}")  # masked again
    saved = site.api("GET", f"/v1/members/{member['member_id']}")
    assert (saved["phone"], saved["tags"]) == (f"+86{fresh}", ["VIP", "老客"])


def test_a_cashier_serves_a_member_of_another_store_but_never_sees_staff_admin(site: Site, console: Screens) -> None:
    member = new_member(site, "王芳", store="BJ-001")
    site.api("POST", f"/v1/members/{member['member_id']}/points/adjustments", {"points": 500, "reason": "开卡礼"})
    top_up(site, member["member_id"], 20000)
    cashier = staff_account(site, ["cashier"], ["SH-001"])
    page = log_in(console, site, cashier)
    assert "收银员" in page.locator("[data-test=who]").inner_text()
    assert page.locator("[data-menu=counter]").is_visible()
    for admin_screen in ("staff", "partners", "jobs", "audit", "dashboard"):
        assert page.locator(f"[data-menu={admin_screen}]").count() == 0
    page.goto(f"{site.base}/console/#/dashboard")  # the figures are not a cashier's
    page.get_by_role("paragraph").get_by_text("没有权限访问此页面").wait_for()
    console.shot("cashier-forbidden")

    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(member["phone"])
    page.get_by_role("button", name="搜索").click()
    page.locator("[data-test=counter-available]").get_by_text("500").wait_for()
    assert unlabelled_inputs(page) == []
    page.get_by_label("兑换积分").fill("200")
    page.get_by_label("兑换内容").fill("兑换帆布袋")
    assert page.locator("[data-test=redeem]").is_disabled()  # found by phone: the member's points and stored value
    expect(page.locator("[data-test=code-first]")).to_contain_text("请先扫描会员出示的会员码")  # need them there
    assert page.locator("[data-test=pay]").is_disabled()  # (a probe: a stranger's points spent on a friend's sale)
    expect(page.locator("[data-test=pay-code-first]")).to_contain_text("请先扫描会员出示的会员码")  # and says why
    page.get_by_label("查找会员").fill(member_code(site, member["phone"]))  # the member shows their code: scanned
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_label("会员码", exact=True)).to_have_value(re.compile(r"^66\d+$"))  # filled by the scan
    page.get_by_label("兑换积分").fill("200")
    page.get_by_label("兑换内容").fill("兑换帆布袋")
    page.locator("[data-test=redeem]").click()
    page.locator("[data-test=counter-available]").get_by_text("300").wait_for()
    console.shot("counter-redeemed")
    assert site.api("GET", f"/v1/members/{member['member_id']}/points")["available"] == 300
    page.get_by_label("兑换积分").fill("100")  # again with the same scan: a code redeems once
    page.get_by_label("兑换内容").fill("兑换帆布袋")
    page.locator("[data-test=redeem]").click()
    page.get_by_text("该会员码已兑换过一次积分，请会员出示新的会员码").wait_for()
    assert site.api("GET", f"/v1/members/{member['member_id']}/points")["available"] == 300
    page.get_by_label("支付金额（元）").fill("36.50")
    order = f"POS-{secrets.token_hex(4)}"
    page.get_by_label("订单号").fill(order)
    page.locator("[data-test=pay]").click()  # taken from the wallet only once the cashier says so again
    page.get_by_role("dialog").get_by_role("button", name="取消").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert site.api("GET", f"/v1/members/{member['member_id']}/wallet")["total_fen"] == 20000  # nothing taken
    page.locator("[data-test=pay]").click()
    confirm(page, f"的储值扣款 ¥36.50（订单 {order}）？", "储值支付")
    page.locator("[data-test=counter-wallet]").get_by_text("163.50").wait_for()
    console.shot("counter-paid")
    assert site.api("GET", f"/v1/members/{member['member_id']}/wallet")["total_fen"] == 16350


def test_a_till_store_chosen_at_the_counter_is_kept_for_the_next_visit(site: Site, console: Screens) -> None:
    """Found by a walkthrough: staff of several stores chose their till's store again at every visit."""
    page = log_in(console, site, staff_account(site, ["cashier"], ["SH-001", "BJ-001"]))
    page.goto(f"{site.base}/console/#/counter")
    till = page.get_by_label("收银门店")
    shown = till.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' el-select ')][1]")
    expect(shown).to_contain_text("请选择门店")
    name = site.api("GET", "/v1/stores/BJ-001")["name"]
    choose(page, till, name)
    page.goto(f"{site.base}/console/#/members")
    page.reload()
    page.locator("[data-menu=counter]").click()
    page.get_by_label("查找会员").wait_for()
    expect(shown).to_contain_text(name)


def walk_in(site: Site, console: Screens) -> tuple[str, Page]:
    """A cashier at SH-001's counter looks up a phone no member has and opens its registration: the phone, the page."""
    phone = "137" + "".join(secrets.choice("0123456789") for _ in range(8))
    page = log_in(console, site, staff_account(site, ["cashier"], ["SH-001"]))
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(phone)
    page.get_by_role("button", name="搜索").click()
    page.locator("[data-test=counter-register]").click()
    return phone, page


def test_a_cashier_registers_a_walk_in_customer_from_the_counter_and_serves_them_at_once(
    site: Site, console: Screens
) -> None:
    """开卡 at the till: a phone no member has offers a registration with the phone filled in and the cashier's store
    as home store; the customer's yes to SMS marketing is kept as a consent; the counter then serves the new member.
    The same phone again, from the member list, is said to be a member already, on its field."""
    phone, page = walk_in(site, console)
    dialog = page.get_by_role("dialog")
    assert unlabelled_inputs(page) == []
    expect(dialog.get_by_label("手机号")).to_have_value(phone)
    expect(dialog.get_by_label("归属门店")).to_be_visible()
    expect(dialog.get_by_label("姓名")).to_have_attribute("placeholder", re.compile("^选填"))
    dialog.get_by_label("姓名").fill("陈到店")
    dialog.locator("[data-test=register-sms]").click()
    wording = site.api("GET", "/v1/consent-wording")  # the wording the consent's proof names, read to the customer
    expect(dialog.locator("[data-test=consent-wording]")).to_contain_text(wording["text"])  # (it said TD, not R)
    expect(dialog.locator("[data-test=consent-wording]")).to_contain_text(f"版本 {wording['version']}")
    console.shot("counter-register")
    dialog.locator("[data-test=register-save]").click()
    page.locator("[data-test=counter-view]").get_by_text("陈到店").wait_for()
    expect(page.locator("[data-test=counter-available]")).to_have_text("0")

    member = site.api("POST", "/v1/members/lookup", {"phone": phone})
    profile = site.api("GET", f"/v1/members/{member['member_id']}")
    assert (profile["name"], profile["home_store_id"], profile["source"]) == ("陈到店", "SH-001", "store")
    assert profile["consents"]["sms"]["granted"] is True
    assert set(profile["consents"]) == {"sms"}  # nothing the customer was not asked about

    page.goto(f"{site.base}/console/#/members")
    page.locator("[data-test=register]").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("手机号").fill(phone)
    dialog.get_by_label("姓名").fill("陈重复")
    dialog.locator("[data-test=register-save]").click()
    dialog.get_by_text("该手机号已是会员").wait_for()
    assert site.api("GET", f"/v1/members/{member['member_id']}")["name"] == "陈到店"


def test_a_walk_in_who_gives_only_a_phone_is_registered_as_member_and_its_last_four_digits(
    site: Site, console: Screens
) -> None:
    """A walkthrough's customer would not give a name at the till: the registration needed one. Now the phone alone
    registers 会员 and its last four digits, which the member or staff change later."""
    phone, page = walk_in(site, console)
    page.get_by_role("dialog").locator("[data-test=register-save]").click()
    page.locator("[data-test=counter-view]").get_by_text(f"会员{phone[-4:]}").wait_for()
    member = site.api("POST", "/v1/members/lookup", {"phone": phone})
    assert site.api("GET", f"/v1/members/{member['member_id']}")["name"] == f"会员{phone[-4:]}"


def test_a_sale_begun_in_another_tab_is_offered_to_be_taken_up_and_recorded(site: Site, console: Screens) -> None:
    """Found by a walkthrough: the open sale lived in the tab that began it, so a new tab (or another browser) began a
    new order and the wallet payment taken for the first stayed tied to no sale. Finding the member offers each
    order begun today at the till's store and not recorded; taking it up reads back its payment."""
    member = new_member(site, "另一窗口会员")
    top_up(site, member["member_id"], 10000)
    cashier = staff_account(site, ["cashier"], ["SH-001"])
    order_id = f"POS-{secrets.token_hex(4)}"
    payment = {"store_id": "SH-001", "amount_fen": 5000, "order_id": order_id,
               "member_code": member_code(site, member["phone"])}  # fmt: skip
    site.api("POST", f"/v1/members/{member['member_id']}/wallet/payments", payment, who=cashier)  # the tab since gone
    page = log_in(console, site, cashier)
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(member["phone"])
    page.get_by_role("button", name="搜索").click()
    begun = page.locator("[data-test=begun-sale]")
    expect(begun).to_have_text(f"该会员今天在本店有未记账的订单 {order_id}（储值已付 ¥50.00）继续这一单")
    assert page.get_by_label("核销单号").input_value() != order_id  # a new order was begun, as before
    console.shot("counter-begun-sale")
    sale = page.locator("[data-test=counter-purchase]")  # the same ¥50 as cash on the new order: asked first (a
    sale.get_by_label("实付金额（元）").fill("50")  # fitness chain's walkthrough recorded cash the drawer never took)
    sale.locator("[data-test=record-purchase]").click()
    asked = page.get_by_role("dialog")
    expect(asked).to_contain_text(f"订单 {order_id} 已用储值支付 ¥50.00，尚未记账")
    asked.get_by_role("button", name="取消").click()
    assert site.api("GET", f"/v1/members/{member['member_id']}/purchases")["items"] == []  # nothing recorded
    sale.get_by_label("实付金额（元）").fill("")
    begun.locator("[data-test=take-up-sale]").click()
    expect(page.get_by_label("核销单号")).to_have_value(order_id)
    expect(begun).to_have_count(0)  # the one being served is not offered
    expect(sale.get_by_label("实付金额（元）")).to_have_value("50.00")  # its payment, read back
    expect(sale.locator(".el-select").first).to_contain_text("储值")
    sale.get_by_label("实付金额（元）").fill("80")
    expect(sale.locator(".el-select").first).to_contain_text("组合支付")
    rest = sale.locator("[data-test=other-method]")  # and how the rest was paid (a walkthrough: the drawer's cash
    expect(rest).to_contain_text("现金")  # could not be told from it)
    choose(page, page.get_by_role("combobox", name="其余支付"), "微信支付")
    expect(sale.locator("[data-test=rest-due]")).to_have_text("应收微信支付 ¥30.00")  # what the till takes itself
    sale.locator("[data-test=record-purchase]").click()
    page.get_by_text(f"订单 {order_id} 已记账").first.wait_for()
    (recorded,) = [p for p in site.api("GET", f"/v1/members/{member['member_id']}/purchases")["items"]
                   if p["order_id"] == order_id]  # fmt: skip
    assert (recorded["payment_method"], recorded["other_method"]) == ("mixed", "wechat_pay")
    expect(begun).to_have_count(0)  # recorded: no longer open anywhere
    found = site.api("GET", f"/v1/members/{member['member_id']}/open-sales?store_id=SH-001", who=cashier)
    assert found["items"] == []


def test_an_order_taken_up_is_priced_as_its_coupon_left_it_and_nothing_is_paid_by_default(
    site: Site, console: Screens
) -> None:
    """Found by an F&B chain's walkthrough: taking up an order a ¥7.60 coupon was used on lost its ¥38 total, the
    payment field said ¥1.00 of itself, and the sale was paid and recorded at ¥1.00."""
    member = new_member(site, "奶茶会员")
    top_up(site, member["member_id"], 10000)
    cashier = staff_account(site, ["cashier"], ["SH-001"])
    body = {"name": f"立减7.6·{secrets.token_hex(2)}", "kind": "amount_off", "amount_off_fen": 760,
            "validity": {"days_after_issue": 30}}  # fmt: skip
    made = site.api("POST", "/v1/coupons/templates", body)
    coupon = site.api("POST", f"/v1/coupons/templates/{made['template_id']}/issues",
                      {"member_id": member["member_id"], "source_id": f"t-{secrets.token_hex(4)}"})  # fmt: skip
    order_id = f"POS-{secrets.token_hex(4)}"
    used = {"order_id": order_id, "order": {"store_id": "SH-001", "total_fen": 3800},
            "member_code": member_code(site, member["phone"])}  # fmt: skip
    site.api("POST", f"/v1/coupons/{coupon['code']}/redemptions", used, who=cashier)  # in a tab since gone
    page = log_in(console, site, cashier)
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(member["phone"])
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("[data-test=pay-amount] input")).to_have_value("")  # no amount until one is known
    page.locator("[data-test=take-up-sale]").click()
    expect(page.get_by_label("核销单号")).to_have_value(order_id)
    expect(page.get_by_label("订单金额（元）")).to_have_value("38.00")  # the total its coupon was used on
    expect(page.locator("[data-test=pay-amount] input")).to_have_value("30.40")  # what is left to pay
    sale = page.locator("[data-test=counter-purchase]")
    expect(sale.get_by_label("订单原价（元）")).to_have_value("38.00")
    expect(sale.get_by_label("实付金额（元）")).to_have_value("30.40")
    console.shot("counter-order-taken-up")
    sale.get_by_label("订单原价（元）").fill("1")  # what the platform refuses too (a test of its own)
    sale.get_by_label("实付金额（元）").fill("1")
    sale.locator("[data-test=record-purchase]").click()
    sale.get_by_text("订单原价不能小于实付金额加本单优惠券优惠 ¥7.60").wait_for()
    assert site.api("GET", f"/v1/members/{member['member_id']}/purchases")["items"] == []


def test_a_cashier_records_a_sale_for_points_and_a_store_manager_refunds_it_all(site: Site, console: Screens) -> None:
    """消费记账 for a chain whose till reports nothing (found by a walkthrough: no points could be given at all, and a
    refund took three screens and two people): one order number for the sale's coupon, its wallet payment and its
    record; what is left to pay filled in after the coupon; recording it earns the points and starts the next sale.
    A store manager refunds it from the member's purchases, and with it the wallet payment and the coupon."""
    member = new_member(site, "记账会员")
    top_up(site, member["member_id"], 20000)
    body = {"name": f"满100减20·{secrets.token_hex(2)}", "kind": "threshold", "threshold_fen": 10000,
            "amount_off_fen": 2000, "validity": {"days_after_issue": 30}}  # fmt: skip
    made = site.api("POST", "/v1/coupons/templates", body)
    coupon = site.api("POST", f"/v1/coupons/templates/{made['template_id']}/issues",
                      {"member_id": member["member_id"], "source_id": f"t-{secrets.token_hex(4)}"})  # fmt: skip
    page = log_in(console, site, staff_account(site, ["cashier"], ["SH-001"]))
    page.goto(f"{site.base}/console/#/counter")
    code = member_code(site, member["phone"])
    page.get_by_label("查找会员").fill(code)  # scanned: the member is there
    page.get_by_role("button", name="搜索").click()
    sale = page.locator("[data-test=counter-purchase]")
    order_id = page.get_by_label("核销单号").input_value()  # one number for the whole sale
    stamped = datetime.strptime(order_id[4:18], "%Y%m%d%H%M%S").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert abs((datetime.now(UTC) - stamped).total_seconds()) < 600  # the store's time, whatever the workstation's
    expect(sale).to_contain_text(f"订单 {order_id}")
    expect(page.get_by_label("订单号")).to_have_value(order_id)
    assert unlabelled_inputs(page) == []
    page.get_by_label("订单金额（元）").fill("128")
    page.locator("[data-test=coupon-check]").click()
    page.locator(f"[data-test=redeem-{coupon['code']}]").click()
    expect(page.get_by_label("支付金额（元）")).to_have_value("108.00")  # what is left to pay, after the coupon
    page.reload()  # a reload mid-sale (found by a walkthrough: the sale and its coupon were lost) takes it up again
    page.locator("[data-test=resume-sale]").click()
    expect(page.get_by_label("核销单号")).to_have_value(order_id)
    expect(page.locator("[data-test=on-order]")).to_contain_text("合计优惠 ¥20.00")  # its coupon, read back
    page.get_by_label("查找会员").fill(code)  # scanned again to pay: the same sale
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("[data-test=on-order]")).to_contain_text("合计优惠 ¥20.00")
    expect(page.get_by_label("核销单号")).to_have_value(order_id)
    page.get_by_label("支付金额（元）").fill("108")
    page.locator("[data-test=pay]").click()
    confirm(page, f"储值扣款 ¥108.00（订单 {order_id}）", "储值支付")
    page.locator("[data-test=counter-wallet]").get_by_text("92.00").wait_for()
    expect(sale.get_by_label("实付金额（元）")).to_have_value("108.00")
    page.reload()  # and once the wallet paid (a walkthrough: a reload forgot the payment, recorded as cash)
    page.locator("[data-test=resume-sale]").click()
    expect(sale.locator(".el-select").first).to_contain_text("储值")  # the payment read back
    expect(sale.get_by_label("实付金额（元）")).to_have_value("108.00")
    page.get_by_label("查找会员").fill(code)  # scanned once more and paid again by mistake (a review: the console
    page.get_by_role("button", name="搜索").click()  # added the same payment twice)
    page.get_by_label("支付金额（元）").fill("108")
    page.locator("[data-test=pay]").click()
    confirm(page, "储值扣款 ¥108.00", "储值支付")
    page.get_by_text("此单已从储值扣过 ¥108.00，未再扣款").wait_for()  # said so (a walkthrough read 已从储值扣款 twice)
    expect(page.locator("[data-test=counter-wallet]")).to_have_text("92.00")  # taken once
    limits = "单笔上限 ¥5,000.00 · 每日上限 ¥50,000.00"  # a cashier's, by the chain
    expect(sale.locator("[data-test=record-limit]")).to_have_text(limits)
    sale.get_by_label("订单原价（元）").fill("5020.01")  # its coupon's ¥20 off on top of what was paid
    sale.get_by_label("实付金额（元）").fill("5000.01")
    expect(sale.locator(".el-select").first).to_contain_text("组合支付")  # the wallet paid part of it (a walkthrough)
    sale.locator("[data-test=record-purchase]").click()
    sale.get_by_text("单笔实付超过 ¥5,000.00 的消费需由店长记账").wait_for()  # a store manager records it
    sale.get_by_label("订单原价（元）").fill("128")
    sale.get_by_label("实付金额（元）").fill("100")  # less than the wallet took: refused before sending
    sale.locator("[data-test=record-purchase]").click()
    sale.get_by_text("实付金额不能少于本单储值已付 ¥108.00").wait_for()
    sale.get_by_label("实付金额（元）").fill("108")
    expect(sale.locator(".el-select").first).to_contain_text("储值")  # paid from the wallet
    sale.get_by_label("订单原价（元）").fill("100")
    sale.locator("[data-test=record-purchase]").click()
    sale.get_by_text("订单原价不能小于实付金额").wait_for()  # nothing sent
    sale.get_by_label("订单原价（元）").fill("128")
    console.shot("counter-record-purchase")
    sale.locator("[data-test=record-purchase]").click()
    page.get_by_text(f"订单 {order_id} 已记账，获得 108 积分").wait_for()
    expect(page.locator("[data-test=counter-available]")).to_have_text("108")
    expect(sale).not_to_contain_text(f"订单 {order_id}")  # the next sale has its own number
    sale.get_by_role("button", name="新单号").click()  # one more, by hand: the member found again keeps it
    next_order = page.get_by_label("核销单号").input_value()
    page.get_by_label("查找会员").fill(code)
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_label("核销单号")).to_have_value(next_order)  # (a review: the button's event was kept as
    # the sale's member, so finding them again started yet another sale)
    (recorded,) = site.api("GET", f"/v1/members/{member['member_id']}/purchases")["items"]
    assert (recorded["order_id"], recorded["partner_id"], recorded["paid_fen"], recorded["total_fen"]) == (
        order_id, "counter", 10800, 12800)  # fmt: skip

    page.get_by_role("button", name="退出登录").click()
    page = log_in(console, site, staff_account(site, ["store_manager"], ["SH-001"]))  # where it was bought
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="消费记录").click()
    paid_by = page.locator("tr", has_text=order_id).locator("[data-test=purchase-method]")  # how it was paid, in
    expect(paid_by).to_have_text("储值")  # the list (a walkthrough: only the refund dialog said it)
    page.locator(f"[data-test=purchase-refund-{order_id}]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("退回金额（元）")).to_have_value("108.00")  # all that is left
    expect(dialog.locator("[data-test=sale-wallet]")).to_contain_text("同时退回储值 ¥108.00")
    expect(dialog.locator("[data-test=sale-rest]")).to_have_count(0)  # the wallet takes it all back
    dialog.locator("[data-test=sale-wallet]").click()  # untick it: said what becomes of it (a walkthrough: the
    rest = dialog.locator("[data-test=sale-rest]")  # part the wallet did not take back was never mentioned)
    expect(rest).to_contain_text("其余 ¥108.00 不退还：储值支付的部分只能退回储值")
    dialog.locator("[data-test=sale-wallet]").click()
    expect(dialog.locator("[data-test=sale-rest]")).to_have_count(0)
    expect(dialog.locator("[data-test=sale-coupons]")).to_contain_text(body["name"])
    dialog.get_by_label("退回金额（元）").fill("50")  # a part: its coupons stay, and the box is not ticked beside
    expect(dialog.locator("[data-test=sale-wallet]")).to_contain_text("同时退回储值 ¥50.00")  # the wallet's share
    expect(dialog.locator("[data-test=sale-coupons]")).to_contain_text("整单退款时才退还券")  # saying so (a
    expect(dialog.locator("[data-test=sale-coupons] input")).not_to_be_checked()  # walkthrough: it read as given back)
    below = dialog.locator("[data-test=sale-below-threshold]")  # ¥58 paid + its ¥20 off is under 满100: said, with
    expect(below).to_contain_text(f"退款后本单剩余 ¥78.00（优惠前），低于「{body['name']}」的使用门槛 ¥100.00")  # the
    below.locator("[data-test=sale-deduct-discount]").click()  # refund its discount kept back (a retail walkthrough)
    expect(dialog.get_by_label("退回金额（元）")).to_have_value("30.00")
    dialog.get_by_label("退回金额（元）").fill("108")
    expect(below).to_have_count(0)
    expect(dialog.locator("[data-test=sale-coupons] input")).to_be_checked()
    assert unlabelled_inputs(page) == []
    console.shot("purchase-refund-all")
    dialog.locator("[data-test=purchase-refund-save]").click()
    page.get_by_text("已退款 ¥108.00，扣回 108 积分；已退回储值 ¥108.00；已退还 1 张券").wait_for()
    expect(page.locator("[data-test=purchase-points-back]")).to_have_text(" −108")
    assert site.api("GET", f"/v1/members/{member['member_id']}/points")["available"] == 0
    assert site.api("GET", f"/v1/members/{member['member_id']}/wallet")["total_fen"] == 20000
    assert site.api("GET", f"/v1/coupons/{coupon['code']}")["coupon"]["status"] == "available"


def test_a_cashier_takes_points_off_an_order_and_its_whole_refund_gives_them_back(site: Site, console: Screens) -> None:
    """积分抵现 at the till (points bought nothing at a till but gifts typed in by hand): points pay part of the order,
    at most the chain's share of it, what is left to pay follows, the sale records what was paid; a refund of all of
    it says the points go back, and they do."""
    member = new_member(site, "抵现会员")
    site.api("POST", f"/v1/members/{member['member_id']}/points/adjustments", {"points": 2000, "reason": "开卡礼"})
    page = log_in(console, site, staff_account(site, ["cashier"], ["SH-001"]))
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(member_code(site, member["phone"]))
    page.get_by_role("button", name="搜索").click()
    order_id = page.get_by_label("订单号").input_value()
    page.locator("[data-test=redeem-mode]").get_by_text("积分抵现").click()
    expect(page.locator("[data-test=cash-coupons-first]")).to_contain_text("先核销本单的优惠券，再积分抵现")
    page.get_by_label("本单金额（元）").fill("38")
    page.get_by_label("抵现积分").fill("2000")  # more than half the order: held to what it allows
    page.get_by_label("抵现积分").blur()
    expect(page.get_by_label("抵现积分")).to_have_value("1900")
    page.get_by_label("抵现积分").fill("500")
    page.get_by_label("抵现积分").blur()
    expect(page.locator("[data-test=cash-worth]")).to_have_text("抵 ¥5.00 · 本单最多可抵 ¥19.00（1900 积分）")
    assert unlabelled_inputs(page) == []
    console.shot("counter-points-cash")
    page.locator("[data-test=redeem-cash]").click()
    confirm(page, f"用 抵现会员 的 500 积分抵扣订单 {order_id} ¥5.00？", "抵扣本单")
    expect(page.locator("[data-test=counter-available]")).to_have_text("1500")
    expect(page.locator("[data-test=cash-worth]")).to_contain_text("本单已用积分抵现 ¥5.00")
    sale = page.locator("[data-test=counter-purchase]")
    expect(sale.get_by_label("实付金额（元）")).to_have_value("33.00")  # what is left to pay
    expect(sale.get_by_label("订单原价（元）")).to_have_value("38.00")
    page.reload()  # taken up again: the order's points are read back with it
    page.locator("[data-test=resume-sale]").click()
    page.locator("[data-test=redeem-mode]").get_by_text("积分抵现").click()
    expect(page.locator("[data-test=cash-worth]")).to_contain_text("本单已用积分抵现 ¥5.00")
    expect(sale.get_by_label("实付金额（元）")).to_have_value("33.00")
    expect(page.locator("[data-test=redeem-cash]")).to_be_disabled()  # once per order
    sale.get_by_label("实付金额（元）").fill("34")
    sale.locator("[data-test=record-purchase]").click()
    sale.get_by_text("订单原价不能小于实付金额加本单优惠券与积分抵现 ¥5.00").wait_for()  # nothing sent
    sale.get_by_label("实付金额（元）").fill("33")
    sale.locator("[data-test=record-purchase]").click()
    page.get_by_text(f"订单 {order_id} 已记账，获得 33 积分").wait_for()
    expect(page.locator("[data-test=counter-available]")).to_have_text("1533")

    page.get_by_role("button", name="退出登录").click()
    page = log_in(console, site, staff_account(site, ["store_manager"], ["SH-001"]))
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="消费记录").click()
    page.locator(f"[data-test=purchase-refund-{order_id}]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("[data-test=sale-points]")).to_have_text("整单退款后，抵现的 500 积分（¥5.00）自动退回会员")
    dialog.get_by_label("退回金额（元）").fill("10")
    expect(dialog.locator("[data-test=sale-points]")).to_have_text("整单退款时才退回抵现的 500 积分（¥5.00）")
    dialog.get_by_label("退回金额（元）").fill("33")
    dialog.locator("[data-test=purchase-refund-save]").click()
    page.get_by_text("已退款 ¥33.00，扣回 33 积分").wait_for()
    for _ in range(50):  # the points consumer gives them back as the refund's event is relayed
        if site.api("GET", f"/v1/members/{member['member_id']}/points")["available"] == 2000:
            break
        time.sleep(0.2)
    assert site.api("GET", f"/v1/members/{member['member_id']}/points")["available"] == 2000


def test_a_store_manager_refunds_a_sale_another_store_recorded_by_its_order_number(
    site: Site, console: Screens
) -> None:
    """A member returns at another branch (found by a walkthrough: its manager saw no purchases to refund, the list
    being their stores'): the order number finds the sale, and the refund gives its points back."""
    member = new_member(site, "跨店退款", store="SH-001")
    order_id = f"POS-{secrets.token_hex(4).upper()}"
    body = {"order_id": order_id, "store_id": "SH-001", "total_fen": 5000, "paid_fen": 5000, "payment_method": "cash"}
    site.api("POST", f"/v1/members/{member['member_id']}/purchases", body)
    page = log_in(console, site, staff_account(site, ["store_manager"], ["BJ-001"]))
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="消费记录").click()
    page.get_by_label("订单号").fill(order_id)
    page.locator("[data-test=refund-by-order]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("退回金额（元）")).to_have_value("50.00")
    dialog.locator("[data-test=purchase-refund-save]").click()
    page.get_by_text("已退款 ¥50.00，扣回 50 积分").wait_for()
    assert site.api("GET", f"/v1/members/{member['member_id']}/points")["available"] == 0


def test_a_purchases_lines_open_under_it_by_product_name(site: Site, console: Screens) -> None:
    """What was bought, by name (商品名称, as the POS reports it) beside its SKU, units, amount and share of what was
    paid; an order the POS reported without lines says so."""
    member = new_member(site, "明细会员")
    partner = site.credentials["partner"]
    lines = [
        {"line_id": "1", "sku": "JK-2026-BLK-M", "name": "羽绒夹克 黑 M", "category": "outerwear", "quantity": 1,
         "amount_fen": 50000},
        {"line_id": "2", "sku": "TS-001-WHT-L", "category": "tops", "quantity": 2, "amount_fen": 10000},
    ]  # fmt: skip
    orders = {f"LN-{secrets.token_hex(3)}": lines, f"NL-{secrets.token_hex(3)}": []}
    for order_id, items in orders.items():
        body = {"order_id": order_id, "member": {"member_id": member["member_id"]}, "store_id": "SH-001",
                "occurred_at": datetime.now(UTC).isoformat(), "total_fen": 60000, "paid_fen": 54000,
                "payment_method": "cash", "items": items}  # fmt: skip
        raw = json.dumps(body).encode()
        status, answer = send("POST", f"{site.base}/v1/webhooks/purchases", body,
                              signed_headers(partner["partner_id"], partner["secret"], raw))  # fmt: skip
        assert status == 200, answer
    page = log_in(console, site)
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="消费记录").click()
    with_lines, without = (page.locator("[data-test=member-purchases] tr", has_text=order_id) for order_id in orders)
    with_lines.locator(".el-table__expand-icon").click()
    shown = page.locator("[data-test=purchase-lines]")
    expect(shown.locator("tbody tr")).to_have_count(2)
    expect(shown.locator("tbody tr").first).to_contain_text("羽绒夹克 黑 M")
    expect(shown.locator("tbody tr").first).to_contain_text("¥450.00")  # its share of the ¥540 paid
    expect(shown.locator("tbody tr").nth(1)).to_contain_text("TS-001-WHT-L")
    console.shot("purchase-lines")
    without.locator(".el-table__expand-icon").click()
    expect(page.locator("[data-test=purchase-lines]", has_text="整单（未报商品明细）")).to_have_count(1)


def test_a_cashier_sells_a_top_up_plan_at_the_counter(site: Site, console: Screens) -> None:
    """储值充值 at the till (found by a walkthrough: a chain without a till integration could sell no stored value):
    a plan on sale at the store fills in its price; the wallet gets the principal and the bonus, once per order."""
    plan_id = f"CZ-TILL-{secrets.token_hex(3)}"
    site.api("POST", "/v1/wallet/plans", {"plan_id": plan_id, "name": "充200送30", "pay_fen": 20000, "bonus_fen": 3000,
                                          "gift_points": 50})  # fmt: skip
    member = new_member(site, "充值会员")
    page = serving(site, console, member)
    card = page.locator("[data-test=counter-top-up]")
    sale_order = page.get_by_label("订单号").input_value()  # the sale under way keeps its number (a review found
    assert sale_order not in card.inner_text()  # a top-up taking it, cutting off the sale's coupons and payment)
    card.get_by_label("充值金额（元）").fill("5000.01")  # above a cashier's one top-up, and the wallet's limit: the
    card.locator("[data-test=take-top-up]").click()  # limit no one may pass is said, not a store manager's (a
    confirm(page, "已收取现金 ¥5,000.01，为 充值会员 充值？", "充值")  # walkthrough), once the money is said taken
    expect(card).to_contain_text("超过储值余额上限，最多还可充 ¥5,000.00")
    card.locator(".el-select").first.click()
    page.get_by_role(
        "option", name="充200送30 · ¥200.00 + ¥30.00"
    ).click()  # price and bonus: two plans of one name apart
    expect(card.get_by_label("充值金额（元）")).to_have_value("200.00")  # its price
    expect(card.get_by_role("combobox", name="充值支付方式")).to_have_value("")  # cash by default, shown as chosen:
    expect(card.locator("[data-test=top-up-method]")).to_contain_text("现金")
    choose(page, card.get_by_role("combobox", name="充值支付方式"), "微信支付")  # how the money was taken
    assert unlabelled_inputs(page) == []
    console.shot("counter-top-up")
    card.locator("[data-test=take-top-up]").click()
    confirm(
        page, "已收取微信支付 ¥200.00，为 充值会员 充值（另赠 ¥30.00），送 50 积分（随储值消费到账）？", "充值"
    )  # the
    page.get_by_text("已充值：本金 ¥200.00，赠送金 ¥30.00，送 50 积分（随储值消费到账）").wait_for()  # points to come
    expect(page.locator("[data-test=counter-wallet]")).to_have_text("230.00")
    expect(page.locator("[data-test=counter-wallet-parts]")).to_have_text(
        " · 本金 ¥200.00 · 赠送金 ¥30.00"
    )  # (a salon)
    expect(page.get_by_label("订单号")).to_have_value(sale_order)
    wallet = site.api("GET", f"/v1/members/{member['member_id']}/wallet")
    assert (wallet["principal_fen"], wallet["bonus_fen"]) == (20000, 3000)
    day = business_date(datetime.now(UTC), ZoneInfo("Asia/Shanghai")).isoformat()
    query = f"/v1/audit?from={day}&to={day}&action=wallet.topped-up&target=member/{member['member_id']}"
    for _ in range(50):  # the audit log reads the top-up's event as it is relayed
        if logged := site.api("GET", query)["items"]:
            break
        time.sleep(0.2)
    assert [entry["summary"]["payment_method"] for entry in logged] == ["wechat_pay"]  # for the drawer


def test_a_store_manager_gives_a_counter_payment_back_to_the_wallet(site: Site, console: Screens) -> None:
    """退款至储值: goods paid from the wallet at the till come back; a store manager opens the member's wallet tab,
    refunds part of the payment from its entry (more than it has left is said plainly), and the wallet shows it."""
    member = new_member(site, "吴退货")
    top_up(site, member["member_id"], 20000)
    till = {"store_id": "SH-001", "amount_fen": 8000, "order_id": f"T-{secrets.token_hex(3)}",
            "member_code": member_code(site, member["phone"])}  # fmt: skip
    paid = site.api("POST", f"/v1/members/{member['member_id']}/wallet/payments", till)  # the cashier's, by the API
    page = log_in(console, site, staff_account(site, ["store_manager"], ["SH-001"]))
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="储值").click()
    page.locator("[data-test=wallet-balance]").get_by_text("本金 ¥120.00").wait_for()
    page.locator(f"[data-test=payment-refund-{paid['payment_id']}]").click()
    dialog = page.get_by_role("dialog")
    assert unlabelled_inputs(page) == []
    expect(dialog.get_by_label("退回金额（元）")).to_have_value("80.00")  # the whole payment by default
    dialog.get_by_label("退回金额（元）").fill("80.01")
    dialog.get_by_label("原因").fill("退货：尺码不合适")
    dialog.locator("[data-test=payment-refund-save]").click()
    dialog.locator("[data-test=payment-refund-error]").get_by_text("该笔支付最多还可退 ¥80.00").wait_for()
    dialog.get_by_label("退回金额（元）").fill("30")
    console.shot("wallet-payment-refund")
    dialog.locator("[data-test=payment-refund-save]").click()
    page.get_by_text("已退回储值：本金 ¥30.00，赠送金 ¥0.00").wait_for()
    page.locator("[data-test=wallet-balance]").get_by_text("本金 ¥150.00").wait_for()
    page.get_by_role("cell", name="储值退款：退货：尺码不合适").first.wait_for()
    refunded = page.locator("tr", has_text="储值退款：退货：尺码不合适").first
    expect(refunded.locator("[data-test=wallet-by]")).to_have_text("员工 测试store_manager")  # who gave it back
    expect(refunded.locator("[data-test=wallet-store]")).to_have_text("上海静安旗舰店")  # where: the payment's store
    assert site.api("GET", f"/v1/members/{member['member_id']}/wallet")["principal_fen"] == 15000
    page.locator(f"[data-test=payment-refund-{paid['payment_id']}]").click()  # the rest: what is left, filled in
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("[data-test=payment-refundable]")).to_contain_text("尚可退 ¥50.00")
    expect(dialog.get_by_label("退回金额（元）")).to_have_value("50.00")
    expect(dialog).to_contain_text(till["order_id"])  # the payment named by its till order (as its entry is)
    dialog.get_by_label("原因").fill("退货：另一件")
    dialog.locator("[data-test=payment-refund-save]").click()
    page.get_by_text("已退回储值：本金 ¥50.00，赠送金 ¥0.00").wait_for()
    page.locator(f"[data-test=payment-refund-{paid['payment_id']}]").click()  # nothing left: said, nothing to send
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("[data-test=payment-refund-error]")).to_have_text("这笔支付已全部退回储值")
    expect(dialog.locator("[data-test=payment-refund-save]")).to_be_disabled()
    page.keyboard.press("Escape")
    buyer = new_member(site, "郑记账")  # an order recorded as a sale: its wallet part goes back with the sale's refund
    top_up(site, buyer["member_id"], 5000)  # (a probe: given back beside it, a mixed sale went back twice)
    sold = {"store_id": "SH-001", "amount_fen": 2000, "order_id": f"T-{secrets.token_hex(3)}",
            "member_code": member_code(site, buyer["phone"])}  # fmt: skip
    recorded = site.api("POST", f"/v1/members/{buyer['member_id']}/wallet/payments", sold)
    sale = {"order_id": sold["order_id"], "store_id": "SH-001", "total_fen": 2000, "paid_fen": 2000,
            "payment_method": "wallet"}  # fmt: skip
    site.api("POST", f"/v1/members/{buyer['member_id']}/purchases", sale)
    page.goto(f"{site.base}/console/#/members/{buyer['member_id']}")
    page.get_by_role("tab", name="储值").click()
    page.locator(f"[data-test=payment-refund-{recorded['payment_id']}]").click()
    dialog = page.get_by_role("dialog")  # said as it opens, before the form is filled in (a walkthrough)
    expect(dialog.locator("[data-test=payment-refund-error]")).to_contain_text("该订单已消费记账")
    expect(dialog.locator("[data-test=payment-refund-error]")).to_contain_text("现可退 ¥0.00")
    dialog.get_by_label("原因").fill("退货")
    expect(dialog.locator("[data-test=payment-refund-save]")).to_be_disabled()


def test_finance_takes_a_top_up_plan_off_sale(site: Site, console: Screens) -> None:
    """停售: a promotion ends early; the plan's last day becomes the one chosen (today by default, never a day gone
    by), and the screen shows it."""
    plan_id = f"CZ-END-{secrets.token_hex(3)}"
    site.api("POST", "/v1/wallet/plans", {"plan_id": plan_id, "name": "充500送80", "pay_fen": 50000, "bonus_fen": 8000})
    page = log_in(console, site, staff_account(site, ["finance"], []))
    page.goto(f"{site.base}/console/#/wallet-plans")
    page.locator(f"[data-test=plan-end-{plan_id}]").click()
    dialog = page.get_by_role("dialog")
    assert unlabelled_inputs(page) == []
    today = {date.today().isoformat(), (date.today() + timedelta(days=1)).isoformat()}  # Shanghai's day, ahead of UTC
    expect(dialog.get_by_label("最后售卖日")).not_to_have_value("")
    console.shot("wallet-plan-end")
    page.locator("[data-test=plan-end-confirm]").click()
    page.get_by_text("充500送80 将于").wait_for()
    plan = next(p for p in site.api("GET", "/v1/wallet/plans")["items"] if p["plan_id"] == plan_id)
    assert plan["ends_on"] in today
    expect(page.locator("[data-test=plans]").get_by_role("row").filter(has_text=plan_id)).to_contain_text(
        plan["ends_on"]
    )
    expect(page.locator(f"[data-test=plan-end-{plan_id}]")).to_have_count(0)  # nothing more to end


def test_finance_pays_principal_out_in_cash_and_the_days_statement_shows_it(site: Site, console: Screens) -> None:
    """The counter's 退余额: finance pays part of a member's principal out at a store (the bonus and the top-up plan's
    gift points not yet earned going with it, as the message says), the wallet tab shows what is left, and the
    stored-value statement (储值日报) shows the cash refund and balances, as the API answers it."""
    member = new_member(site, "周退款")
    finance = staff_account(site, ["finance"], [])
    page = log_in(console, site, finance)
    page.goto(f"{site.base}/console/#/wallet-plans")  # finance makes the plan: 充300送30 and 60 points
    page.locator("[data-test=plan-create]").click()
    form = page.locator("[data-test=plan-form]")
    plan_id = f"CZ-300-{secrets.token_hex(3)}"
    for label, value in (
        ("方案编号", plan_id),
        ("名称", "充300送30"),
        ("充值金额（元）", "300"),
        ("赠送金额（元）", "30"),
    ):
        form.get_by_label(label, exact=True).fill(value)
    form.get_by_label("充值金额（元）", exact=True).fill("-5")  # a sign said as such, not as decimals (a salon)
    form.get_by_label("充值金额（元）", exact=True).blur()
    expect(form).to_contain_text("金额必须大于 0")
    form.get_by_label("充值金额（元）", exact=True).fill("1,000")  # written as amounts are
    form.get_by_label("充值金额（元）", exact=True).blur()
    expect(form).not_to_contain_text("金额必须大于 0")
    expect(form).not_to_contain_text("最多两位小数")
    form.get_by_label("充值金额（元）", exact=True).fill("300")
    form.get_by_label("赠送积分", exact=True).fill("60")
    expect(form.locator("[data-test=gift-points-hint]")).to_contain_text("随储值本金消费按比例到账")
    console.shot("wallet-plan-gift-points")
    page.locator("[data-test=plan-save]").click()
    expect(page.locator("[data-test=plans]").get_by_role("row").filter(has_text=plan_id)).to_contain_text("60")
    assert top_up(site, member["member_id"], 30000, plan_id)["gift_points"] == 60
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="储值").click()
    page.locator("[data-test=wallet-balance]").get_by_text("本金 ¥300.00").wait_for()
    page.locator("[data-test=cash-refund]").click()
    dialog = page.get_by_role("dialog")
    assert unlabelled_inputs(page) == []
    dialog.get_by_label("退款门店").click()
    page.get_by_role("option").filter(has_text="上海").first.click()
    dialog.get_by_text("部分本金").click()
    dialog.get_by_label("金额（元）").fill("120.5")
    dialog.get_by_label("原因").fill("会员申请退部分余额")
    console.shot("wallet-cash-refund")
    dialog.locator("[data-test=cash-refund-save]").click()
    page.get_by_text("已退本金 ¥120.50，作废赠送金 ¥12.05，作废未到账赠送积分 24").wait_for()  # 60 × 120.50 / 300
    page.locator("[data-test=wallet-balance]").get_by_text("本金 ¥179.50").wait_for()
    wallet = site.api("GET", f"/v1/members/{member['member_id']}/wallet")
    assert (wallet["principal_fen"], wallet["gift_points_pending"]) == (17950, 35)  # 35.9 still to earn
    page.get_by_role("cell", name="会员申请退部分余额").first.wait_for()  # the entry, with the reason given

    page.goto(f"{site.base}/console/#/wallet-statements")
    page.locator("[data-test=statement]").wait_for()
    assert unlabelled_inputs(page) == []
    deadline = time.monotonic() + 30
    while (chain := site.api("GET", "/v1/wallet/statements"))["principal"]["cash_refunds_fen"] < 12050:
        assert time.monotonic() < deadline, "the cash refund never reached the statement"  # it follows its event
        time.sleep(0.2)
    page.get_by_role("button", name="刷新").click()
    page.locator("[data-figure='principal.cashRefunds']").get_by_text(
        f"¥{chain['principal']['cash_refunds_fen'] / 100:,.2f}"
    ).wait_for()
    page.locator("[data-test=statement-check]").get_by_text("已核平").wait_for()
    for book in ("principal", "bonus"):
        for column, field in (("opening", "opening_fen"), ("topUps", "top_ups_fen"), ("closing", "closing_fen")):
            assert page.locator(f"[data-figure='{book}.{column}']").inner_text() == f"¥{chain[book][field] / 100:,.2f}"
    # a cash refund pays principal out; the bonus that goes with it is forfeited (作废), never cash
    forfeited = chain["bonus"]["cash_refunds_fen"] + chain["bonus"]["forfeited_fen"]
    assert page.locator("[data-figure='bonus.forfeited']").inner_text() == f"¥{forfeited / 100:,.2f}"
    assert page.locator("[data-figure='bonus.cashRefunds']").inner_text() == "¥0.00"
    paid_out = f"¥{chain['principal']['cash_refunds_fen'] / 100:,.2f}"
    assert page.locator("[data-figure='total.cashRefunds']").inner_text() == paid_out
    expect(page.locator("[data-test=statement-scope]")).to_contain_text("全部门店（连锁）")
    settle(page)
    console.shot("wallet-statement")
    page.locator("[data-test=statement-last-month]").click()  # a month's close (a walkthrough: one day at a time)
    this_month = business_date(datetime.now(UTC), ZoneInfo("Asia/Shanghai")).replace(day=1)
    last_day = this_month - timedelta(days=1)
    first_day = last_day.replace(day=1)
    expect(page.locator("[data-test=statement-period]")).to_contain_text(f"{first_day} ~ {last_day}")
    closed = site.api("GET", f"/v1/wallet/statements?day={first_day}&to={last_day}")
    expect(page.locator("[data-test=statement-state]")).to_contain_text("已结束")
    for book in ("principal", "bonus"):
        closing = f"¥{closed[book]['closing_fen'] / 100:,.2f}"
        expect(page.locator(f"[data-figure='{book}.closing']")).to_have_text(closing)
        opening = f"¥{closed[book]['opening_fen'] / 100:,.2f}"
        expect(page.locator(f"[data-figure='{book}.opening']")).to_have_text(opening)
    page.locator("[data-test=statement-check]").get_by_text("已核平").wait_for()
    with page.expect_download() as saved:
        page.locator("[data-test=statement-download]").click()
    text = saved.value.path().read_text(encoding="utf-8-sig")
    assert f"{first_day} ~ {last_day}" in text  # the file says its period and scope, not only its name
    page.locator("[data-test=statement-today]").click()  # and back to the day under way
    expect(page.locator("[data-test=statement-state]")).to_contain_text("今日未结束")
    page.locator("[data-test=statement-scope]").click()
    page.get_by_role("option", name="门店 · 上海静安旗舰店").click()
    store = site.api("GET", "/v1/wallet/statements?store_id=SH-001")
    closing = f"¥{store['principal']['closing_fen'] / 100:,.2f}"
    page.locator("[data-figure='principal.closing']").get_by_text(closing, exact=True).wait_for()
    page.locator("[data-test=statement-scope]").click()
    page.get_by_role("option", name="会员注销（赠送金作废）").click()  # what no store did has a statement of its own
    erasures = site.api("GET", "/v1/wallet/statements?store_id=erasure")["bonus"]
    page.locator("[data-figure='bonus.forfeited']").get_by_text(f"¥{erasures['forfeited_fen'] / 100:,.2f}").wait_for()
    page.locator("[data-test=statement-check]").get_by_text("已核平").wait_for()


def test_a_store_manager_freezes_their_member_after_confirming_and_is_offered_no_edit_of_another_stores(
    site: Site, console: Screens
) -> None:
    """Found by a walkthrough: one click on 冻结 froze a member at once, and a store manager was offered edits of
    another store's member that could only answer 404 (in English)."""
    ours, theirs = new_member(site, "本店会员"), new_member(site, "外店会员", store="BJ-001")
    page = log_in(console, site, staff_account(site, ["store_manager"], ["SH-001"]))
    page.goto(f"{site.base}/console/#/members/{theirs['member_id']}")
    page.get_by_text("外店会员").first.wait_for()
    expect(page.locator("[data-test=adjust]")).to_be_visible()  # served: points at any store
    for managed in ("edit", "freeze", "erase"):
        expect(page.locator(f"[data-test={managed}]")).to_have_count(0)
    page.goto(f"{site.base}/console/#/members/{ours['member_id']}")
    page.locator("[data-test=freeze]").click()
    page.get_by_role("button", name="取消").click()  # a click is not a decision
    assert site.api("GET", f"/v1/members/{ours['member_id']}")["status"] == "active"
    page.locator("[data-test=freeze]").click()
    page.get_by_role("dialog").get_by_text("确定冻结").wait_for()
    page.get_by_role("button", name="确定").click()
    expect(page.locator("[data-test=freeze]")).to_contain_text("解冻")
    assert site.api("GET", f"/v1/members/{ours['member_id']}")["status"] == "frozen"


def test_a_sale_at_the_till_is_recorded_by_the_lines_typed_and_a_gift_card_earns_nothing(
    site: Site, console: Screens
) -> None:
    """A retail chain's walkthrough typed a 礼品卡 line at the till's coupons and recorded ¥800: the sale went as one
    line and earned 800 points, though the earn rules leave gift cards out. The sale goes by its lines (scored by
    category: tests/functional/test_purchases.py holds the rules to them)."""
    member = new_member(site, "买礼品卡的会员")
    page = serving(site, console, member)
    cards = page.locator("[data-test=counter-coupons]")
    for n, (sku, category, amount) in enumerate((("GC-500", "gift-card", "500"), ("TOP-01", "tops", "300")), 1):
        cards.locator("[data-test=coupon-add-item]").click()
        cards.get_by_label(f"商品编码 {n}").fill(sku)
        cards.get_by_label(f"品类 {n}").fill(category)
        cards.get_by_label(f"金额（元） {n}").fill(amount)
    sale = page.locator("[data-test=counter-purchase]")
    expect(sale.locator("[data-test=sale-lines]")).to_contain_text("按 2 行商品明细记账")
    expect(sale.get_by_label("订单原价（元）")).to_have_value("800.00")
    sale.get_by_label("订单原价（元）").fill("900")  # a total the lines do not make: said, nothing recorded
    sale.get_by_label("实付金额（元）").fill("800")
    sale.locator("[data-test=record-purchase]").click()
    expect(sale).to_contain_text("商品明细合计 ¥800.00 与原价 ¥900.00 不符")
    sale.get_by_label("订单原价（元）").fill("800")
    sale.locator("[data-test=record-purchase]").click()
    page.get_by_text("已记账，获得").first.wait_for()  # by the rules then published (the demo's leave gift cards out;
    # other tests publish their own), scored on the lines below
    (recorded,) = site.api("GET", f"/v1/members/{member['member_id']}/purchases")["items"]
    assert [(line["category"], line["amount_fen"]) for line in recorded["items"]] == [
        ("gift-card", 500_00),
        ("tops", 300_00),
    ]

    page.get_by_role("button", name="退出登录").click()  # the gift card comes back: refunded by its line (a new
    page = log_in(console, site, staff_account(site, ["store_manager"], ["SH-001"]))  # user: by amount, it took back
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")  # points the gift card never earned)
    page.get_by_role("tab", name="消费记录").click()
    page.locator(f"[data-test=purchase-refund-{recorded['order_id']}]").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("[data-test=refund-lines]").get_by_text("GC-500").click()
    expect(dialog.get_by_label("退回金额（元）")).to_have_value("500.00")
    expect(dialog.locator("[data-test=refund-lines] .el-checkbox.is-checked")).to_have_text("GC-500 ¥500.00")
    assert unlabelled_inputs(page) == []
    console.shot("purchase-refund-by-line")
    dialog.locator("[data-test=purchase-refund-save]").click()
    page.get_by_text("已退款 ¥500.00").wait_for()
    refunds = f"{site.base}/v1/members/{member['member_id']}/purchases/{recorded['order_id']}/refunds"
    line = {"line_id": recorded["items"][0]["line_id"], "quantity": 0, "amount_fen": 1}
    status, again = send("POST", refunds, {"amount_fen": 1, "items": [line]}, token=site.token("admin"),
                         headers={"Idempotency-Key": f"again-{secrets.token_hex(4)}"})  # fmt: skip
    assert status == 422, again  # its line went back whole: nothing of it is left


def test_a_member_without_their_pages_pays_from_stored_value_with_a_texted_code(site: Site, console: Screens) -> None:
    """A retail chain's walkthrough: an older member who never opens the member pages could not spend their stored
    value at the till. The till texts them six digits, which they read out and the cashier types as their code."""
    member = new_member(site, "老储值会员")
    top_up(site, member["member_id"], 10000)
    page = serving(site, console, member)
    assert page.locator("[data-test=pay]").is_disabled()  # found by phone: no code yet
    page.locator("[data-test=send-till-code]").click()
    expect(page.locator("[data-test=till-code-sent]")).to_contain_text("验证码已发送至 ")
    page.get_by_label("会员码", exact=True).fill(site.sms_code(member["phone"]))  # read out by the member
    page.get_by_label("支付金额（元）").fill("12")
    order = f"POS-{secrets.token_hex(4)}"
    page.get_by_label("订单号").fill(order)
    page.locator("[data-test=pay]").click()
    confirm(page, f"的储值扣款 ¥12.00（订单 {order}）？", "储值支付")
    page.locator("[data-test=counter-wallet]").get_by_text("88.00").wait_for()
    console.shot("counter-paid-with-a-texted-code")
    assert site.api("GET", f"/v1/members/{member['member_id']}/wallet")["total_fen"] == 8800
