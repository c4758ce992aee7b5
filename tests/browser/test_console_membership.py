"""The back office's paid membership screens as marketing, customer service and a cashier use them: a plan created with
its benefits as rows whose fields follow their kind (a code used twice refused on its field), renamed, taken off sale
and put back; a member's card on their page with its history, a use of its counted benefit recorded, taken back and
recorded again until none is left, then the card cancelled with the refund worked out by the plan's policy and said;
at the counter, a cashier sees the member's benefits, records a use until the quota is exhausted, and may not cancel."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from chalicelib.local.demo import MEMBERSHIP_PLAN
from tests.browser.conftest import Screens, Site, choose
from tests.browser.test_console_config import settle
from tests.browser.test_console_members import member_code, new_member, staff_account, top_up
from tests.browser.test_console_shell import log_in, unlabelled_inputs
from tests.browser.test_member_pages import open_as, partner
from tests.http import send

TITLE = "付费会员卡 · 会员管理后台"
PT = "私教课每周1次"  # the demo plan's counted benefit: one a week


def plan_named(site: Site, name: str) -> dict[str, Any]:
    return next(plan for plan in site.api("GET", "/v1/membership/plans")["items"] if plan["name"] == name)


def card_paid(site: Site, member_id: str, plan: dict[str, Any]) -> dict[str, Any]:
    """A card of ``plan`` the demo POS took payment for (the signed webhook)."""
    body = {
        "payment_id": f"CARD-{secrets.token_hex(4)}",
        "member": {"member_id": member_id},
        "plan_id": plan["plan_id"],
        "occurred_at": datetime.now(UTC).isoformat(),
        "amount_fen": plan["price_fen"],
    }
    return dict(partner(site, "/v1/webhooks/membership/payments", body))


def holding(site: Site, page: Any, plan: dict[str, Any], name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new member holding a card of ``plan`` the demo POS took payment for, their cards tab open in the console."""
    member = new_member(site, name)
    card = card_paid(site, member["member_id"], plan)
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="会员卡与权益").click()
    return member, card


def at_till(site: Site, console: Screens, member: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """A cashier of SH-001 at the till with ``member`` found by the code their pages show (they log in once: the
    tokens are answered for their pages later)."""
    page = log_in(console, site, staff_account(site, ["cashier"], ["SH-001"]))
    tokens = site.member_tokens(member["phone"])
    shown = send("GET", f"{site.base}/v1/me/code", token=tokens["access_token"])[1]
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(str(shown["code"]))
    page.get_by_role("button", name="搜索").click()
    return page, tokens


def plan_form(console: Screens, site: Site, name: str) -> tuple[Any, Any]:
    """The console's new-plan dialog, opened by an administrator, its name filled."""
    page = log_in(console, site)
    page.locator("[data-menu=membership]").click()
    page.locator("[data-test=plan-create]").click()
    dialog = page.get_by_role("dialog", name="新建会员卡方案")
    dialog.get_by_label("方案名称").fill(name)
    return page, dialog


def classes_and_discount(
    page: Any, dialog: Any, counted: tuple[str, str, str], discount: tuple[str, str, str], per_term: str | None = None
) -> None:
    """Two benefit rows in the plan form: a counted one (code, name, quota: a week's, or each term's at ``per_term``
    yuan a class) and a discount (code, name, price factor)."""
    dialog.locator("[data-test=benefit-add]").click()
    for field, value in zip(("id", "name", "quota"), counted, strict=True):
        dialog.locator(f"#mb-0-{field}").fill(value)
    if per_term is not None:
        dialog.locator("#mb-0-quota").press("Tab")
        choose(page, dialog.locator("#mb-0-period"), "每个卡期")
        dialog.locator("#mb-0-value").fill(per_term)
    dialog.locator("[data-test=benefit-add]").click()
    choose(page, dialog.locator("#mb-1-kind"), "折扣")
    for field, value in zip(("id", "name", "rate"), discount, strict=True):
        dialog.locator(f"#mb-1-{field}").fill(value)
    dialog.locator("#mb-1-rate").press("Tab")


def test_a_plan_is_created_with_benefits_by_kind_renamed_and_taken_off_sale_then_back(
    site: Site, console: Screens
) -> None:
    page = log_in(console, site)
    page.locator("[data-menu=membership]").click()  # the marketing group's entry
    expect(page).to_have_title(TITLE)
    plans = page.locator("[data-test=plans]")
    demo = plans.locator("tr", has_text=MEMBERSHIP_PLAN["name"])
    expect(demo.locator("[data-test=plan-term]")).to_have_text("1 个月")
    expect(demo.locator("[data-test=plan-price]")).to_have_text("¥299.00")
    benefits = demo.locator("[data-test=plan-benefits]")
    for shown in (f"{PT} · 1 次/周", "购物9折 · 9 折", "享黄金会员权益 · 黄金会员保底"):
        expect(benefits).to_contain_text(shown)
    expect(demo.locator("[data-test=plan-refund]")).to_have_text("按比例退款，扣除已用权益")

    name = f"瑜伽季卡·{secrets.token_hex(2)}"
    page.locator("[data-test=plan-create]").click()
    dialog = page.get_by_role("dialog", name="新建会员卡方案")
    dialog.get_by_label("方案名称").fill(name)
    dialog.get_by_label("时长").fill("3")
    dialog.get_by_label("时长").press("Tab")
    dialog.get_by_label("价格（元）").fill("599")
    dialog.locator("[data-test=benefit-add]").click()  # a counted benefit: the row's fields are a quota's
    expect(dialog.locator("#mb-0-id")).to_have_value("benefit-1")  # a code made for it (a Chinese one was refused)
    dialog.locator("#mb-0-id").fill("yoga-class")
    dialog.locator("#mb-0-name").fill("瑜伽课24节（季卡）")
    dialog.locator("#mb-0-quota").fill("24")
    dialog.locator("#mb-0-quota").press("Tab")
    choose(page, dialog.locator("#mb-0-period"), "每个卡期")  # a 次卡: 24 classes over each term it is paid for
    dialog.locator("#mb-0-value").fill("50")
    dialog.locator("[data-test=benefit-add]").click()  # a tier floor: a tier to choose
    choose(page, dialog.locator("#mb-1-kind"), "等级保底")
    dialog.locator("#mb-1-id").fill("floor")
    dialog.locator("#mb-1-name").fill("享白银会员权益")
    choose(page, dialog.locator("#mb-1-tier"), "(silver)")
    dialog.locator("[data-test=benefit-add]").click()  # a discount: its price factor
    choose(page, dialog.locator("#mb-2-kind"), "折扣")
    expect(dialog.locator("#mb-2-quota")).to_have_count(0)
    dialog.locator("#mb-2-id").fill("floor")  # the tier floor's code again
    dialog.locator("#mb-2-name").fill("购物95折")
    dialog.locator("#mb-2-rate").fill("0.95")
    dialog.locator("#mb-2-rate").press("Tab")
    dialog.locator("[data-test=mp-auto-renew]").click()
    dialog.locator("[data-test=mp-self-service]").click()  # sold at the desk only (an education chain's packs)
    dialog.get_by_text("开卡 N 天内全额退款").click()
    dialog.get_by_label("全额退款天数").fill("7")
    dialog.get_by_label("全额退款天数").press("Tab")
    assert unlabelled_inputs(page) == []
    page.locator("[data-test=plan-save]").click()
    dialog.locator("[data-test=benefit-2] .el-form-item__error", has_text="同一方案内权益编码不能重复").wait_for()
    console.shot("plan-code-twice")
    dialog.locator("#mb-2-id").fill("discount")
    page.locator("[data-test=plan-save]").click()
    page.get_by_text(f"已创建会员卡方案 {name}").wait_for()

    made = plan_named(site, name)
    assert (made["term"], made["price_fen"], made["auto_renew"], made["on_sale"]) == ({"months": 3}, 59_900, True, True)
    assert made["refund"] == {"kind": "full_within_days", "days": 7, "deduct_used": False}
    assert made["self_service"] is False
    assert [(b["benefit_id"], b["kind"]) for b in made["benefits"]] == [
        ("yoga-class", "quota"), ("floor", "tier_floor"), ("discount", "discount")
    ]  # fmt: skip
    assert (made["benefits"][0]["quota"], made["benefits"][0]["period"], made["benefits"][0]["value_fen"]) == (
        24,
        "term",
        5_000,
    )
    assert (made["benefits"][1]["tier"], made["benefits"][2]["rate"]) == ("silver", "0.95")
    row = plans.locator("tr", has_text=name)
    expect(row.locator("[data-test=plan-term]")).to_have_text("3 个月")
    expect(row.locator("[data-test=plan-desk-only]")).to_have_text("仅收银台")
    expect(row.locator("[data-test=plan-price]")).to_have_text("¥599.00")
    expect(row.locator("[data-test=plan-benefits]")).to_contain_text("瑜伽课24节（季卡） · 24 次/卡期")
    expect(row.locator("[data-test=plan-refund]")).to_have_text("7 天内全额退款")
    page.locator(".el-message").first.wait_for(state="hidden")
    settle(page)
    console.shot("plans")  # docs/screenshots/console-membership.png

    page.locator(f"[data-test=edit-{made['plan_id']}]").click()
    edit = page.get_by_role("dialog", name=f"修改方案：{name}")
    renamed = name.replace("季卡", "季卡Plus")
    edit.get_by_label("方案名称").fill(renamed)
    page.locator("[data-test=plan-edit-save]").click()
    row = plans.locator("tr", has_text=renamed)
    expect(row.locator("[data-test=plan-name]")).to_have_text(renamed)
    assert plan_named(site, renamed)["term"] == {"months": 3}  # the terms as they were

    switch = row.get_by_role("switch", name=f"{renamed} 在售")  # named for a screen reader
    expect(switch).to_be_checked()
    row.locator(".el-switch").click()
    page.get_by_role("dialog").get_by_role("button", name="下架").click()  # asked first: members can no longer buy it
    page.get_by_text(f"{renamed} 已下架").wait_for()
    expect(switch).not_to_be_checked()
    assert plan_named(site, renamed)["on_sale"] is False
    row.locator(".el-switch").click()
    page.get_by_text(f"{renamed} 已上架").wait_for()
    expect(switch).to_be_checked()
    assert plan_named(site, renamed)["on_sale"] is True


def test_a_class_pack_is_refunded_by_what_was_not_used_and_a_discount_on_it_is_refused(
    site: Site, console: Screens
) -> None:
    """A school's 10-lesson pack for life (次卡), refunded by the lessons left: each lesson needs a value, and a
    discount on such a card, which counts no use, is refused and said."""
    name = f"钢琴课10次卡·{secrets.token_hex(2)}"
    page, dialog = plan_form(console, site, name)
    dialog.locator("[data-test=mp-term]").get_by_text("永久").click()
    dialog.get_by_label("价格（元）").fill("1500")
    classes_and_discount(page, dialog, ("lesson", "钢琴课", "10"), ("discount", "购物95折", "0.95"), per_term="150")
    dialog.get_by_text("退还未使用部分（次卡）").click()
    expect(dialog.locator("[data-test=mp-unused-hint]")).to_contain_text("实付金额减去已使用次数 × 每次价值")
    expect(dialog.locator("#mp-deduct")).to_have_count(0)  # always kept back: no switch to turn off
    page.locator("[data-test=plan-save]").click()
    expect(dialog.locator("[data-test=benefits-error]")).to_contain_text("refund unused counts no use of discount")
    console.shot("unused-refund-refused")
    dialog.locator("[data-test=benefit-1]").get_by_role("button", name="删除权益 2").click()
    page.locator("[data-test=plan-save]").click()
    page.get_by_text(f"已创建会员卡方案 {name}").wait_for()
    made = plan_named(site, name)
    assert (made["term"], made["refund"]) == ("lifetime", {"kind": "unused", "days": 0, "deduct_used": True})
    row = page.locator("[data-test=plans]").locator("tr", has_text=name)
    expect(row.locator("[data-test=plan-refund]")).to_have_text("退还未使用部分（按次扣除）")


def test_a_class_is_used_from_the_pack_whose_row_was_clicked(site: Site, console: Screens) -> None:
    """An education chain's walkthrough: two packs' classes both coded `benefit-1` (the plan form's default then),
    and 记录使用 on the 体适能课 row took a class off the dance pack."""
    member = new_member(site, "两张次卡")
    packs = {}
    for name, lesson, classes in (("体适能次卡", "体适能课", 20), ("舞蹈次卡", "舞蹈课", 10)):
        made = site.api("POST", "/v1/membership/plans", {
            "name": f"{name}-{secrets.token_hex(2)}", "term": {"months": 6}, "price_fen": 100_00, "auto_renew": False,
            "benefits": [{"benefit_id": "shared-class", "name": lesson, "kind": "quota", "quota": classes,
                          "period": "term"}]})  # fmt: skip
        card_paid(site, member["member_id"], made)
        packs[lesson] = made
    page = log_in(console, site)
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="会员卡与权益").click()
    benefits = page.locator("[data-test=member-benefits]")
    fitness = benefits.locator("[data-test=benefit-rows] tr", has_text="体适能课")
    dance = benefits.locator("[data-test=benefit-rows] tr", has_text="舞蹈课")
    expect(dance.locator("[data-test=benefit-remaining]")).to_have_text("10 / 10 次")
    fitness.get_by_role("button", name="记录使用：体适能课").click()
    expect(benefits.locator("[data-test=benefit-used]")).to_contain_text("已记录一次「体适能课」，本期剩余 19 次")
    expect(fitness.locator("[data-test=benefit-remaining]")).to_have_text("19 / 20 次")
    expect(dance.locator("[data-test=benefit-remaining]")).to_have_text("10 / 10 次")
    console.shot("two-packs")


def test_a_members_card_is_used_until_none_is_left_then_cancelled_with_its_refund_explained(
    site: Site, console: Screens
) -> None:
    member = new_member(site, "办卡会员")
    plan = plan_named(site, MEMBERSHIP_PLAN["name"])
    paid = card_paid(site, member["member_id"], plan)
    page = log_in(console, site)
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="会员卡与权益").click()
    card = page.locator("[data-test=card-rows] tr", has_text=plan["name"])
    expect(card.locator("[data-test=card-status]")).to_have_text("有效")
    expect(card.locator("[data-test=card-valid-until]")).to_have_text(paid["valid_until"])
    expect(card.locator("[data-test=card-paid]")).to_have_text("¥299.00")
    benefits = page.locator("[data-test=member-benefits]")
    pt = benefits.locator("[data-test=benefit-rows] tr", has_text=PT)
    expect(pt.locator("[data-test=benefit-remaining]")).to_have_text("1 / 1 次")
    expect(benefits.locator("[data-test=benefits-effective]")).to_contain_text("折扣 9 折")
    expect(benefits.locator("[data-test=benefits-effective]")).to_contain_text("按黄金会员享受等级权益")
    settle(page)
    console.shot("member-card")

    pt.get_by_role("button", name=f"记录使用：{PT}").click()
    expect(benefits.locator("[data-test=benefit-used]")).to_contain_text(f"已记录一次「{PT}」，本期剩余 0 次")
    expect(pt.locator("[data-test=benefit-remaining]")).to_have_text("已用完")
    benefits.locator("[data-test=benefit-undo]").click()  # recorded by mistake: taken back
    expect(benefits.locator("[data-test=benefit-used]")).to_contain_text(f"已撤销，「{PT}」本期剩余 1 次")
    expect(pt.locator("[data-test=benefit-remaining]")).to_have_text("1 / 1 次")
    pt.get_by_role("button", name=f"记录使用：{PT}").click()
    expect(pt.locator("[data-test=benefit-remaining]")).to_have_text("已用完")
    pt.get_by_role("button", name=f"记录使用：{PT}").click()  # none left this week: refused, and said so
    now = site.api("GET", f"/v1/members/{member['member_id']}/benefits")["items"]
    (left,) = [item for item in now if item["benefit_id"] == "pt-session"]
    assert left["remaining"] == 0
    failure = benefits.locator("[data-test=benefit-failure]")
    expect(failure).to_have_text(f"「{PT}」本期次数已用完，{left['period_ends_on']} 之后可再使用")
    console.shot("quota-exhausted")
    benefits.locator("[data-test=use-record-toggle]").click()  # 消课记录: the uses and the one taken back
    record = benefits.locator("[data-test=use-record] tbody tr")
    expect(record).to_have_count(3)
    expect(record.nth(1)).to_contain_text("撤销")
    expect(record.first).to_contain_text(f"使用权益「{PT}」")

    card.get_by_role("button", name="历史").click()
    history = page.get_by_role("dialog", name=f"会员卡历史：{plan['name']}")
    expect(history.locator("[data-test=card-history] tr", has_text="开通")).to_contain_text(
        f"开通会员卡「{plan['name']}」，有效期至{paid['valid_until']}"
    )
    page.keyboard.press("Escape")
    expect(history).to_be_hidden()

    card.get_by_role("button", name="退卡").click()
    cancel = page.get_by_role("dialog", name=f"退卡：{plan['name']}")
    expect(cancel.locator("[data-test=cancel-policy]")).to_have_text("本方案的退卡规则：按比例退款，扣除已用权益")
    quote = site.api("GET", f"/v1/members/{member['member_id']}/cards/{paid['card_id']}/cancellation-quote")
    quoted = cancel.locator("[data-test=cancel-quote]")  # what it comes to, before anyone agrees
    expect(quoted).to_contain_text(f"现在退卡将退款 ¥{quote['refund_fen'] / 100:,.2f}")
    expect(quoted).to_contain_text(quote["explanation"])
    console.shot("cancel-quote")
    cancel.get_by_text("不退款").click()
    expect(quoted).to_contain_text("现在退卡将退款 ¥0.00")
    cancel.get_by_text("按方案规则退款").click()
    expect(quoted).to_contain_text(f"现在退卡将退款 ¥{quote['refund_fen'] / 100:,.2f}")
    page.locator("[data-test=cancel-confirm]").click()
    cancel.locator(".el-form-item__error", has_text="必填").wait_for()  # why, as the member said it
    cancel.get_by_label("退卡原因").fill("搬家了，以后不方便来")
    assert unlabelled_inputs(page) == []
    page.locator("[data-test=cancel-confirm]").click()
    result = cancel.locator("[data-test=cancel-result]")
    result.wait_for()
    entries = site.api("GET", f"/v1/members/{member['member_id']}/cards/{paid['card_id']}/history")["items"]
    refund = entries[-1]
    assert refund["kind"] == "refund"
    assert refund["reason"].startswith("退卡：搬家了，以后不方便来。按未使用天数比例退款，扣除已使用权益100.00元：退款")
    explanation = refund["reason"].split("。", 1)[1]
    expect(result).to_contain_text(f"已退卡，应退 ¥{-refund['amount_fen'] / 100:,.2f}")
    expect(result.locator("[data-test=cancel-explanation]")).to_have_text(f"退款说明：{explanation}")
    assert -refund["amount_fen"] == quote["refund_fen"]  # the quote held
    console.shot("cancelled")
    page.locator("[data-test=cancel-confirm]").click()  # 关闭
    expect(card.locator("[data-test=card-status]")).to_have_text("已退卡")
    expect(card.locator("[data-test=card-cancelled-on]")).to_contain_text("已退卡，不再有效")  # not its old end alone
    expect(card.locator("[data-test=card-payments]")).to_have_text("1 笔付款 · 1 笔已结清")  # never refunded again
    expect(card.locator("[data-test=card-paid]")).to_have_text(
        f"¥{(plan['price_fen'] + refund['amount_fen']) / 100:.2f}"
    )
    expect(benefits.locator("[data-test=benefit-rows] tr", has_text=PT)).to_have_count(0)  # its benefits stopped
    card.get_by_role("button", name="历史").click()
    expect(page.locator("[data-test=card-history] tr", has_text="退卡退款")).to_contain_text(explanation)


def test_a_cashier_records_a_use_at_the_counter_until_the_quota_is_exhausted_and_may_not_cancel(
    site: Site, console: Screens
) -> None:
    member = new_member(site, "私教会员")
    plan = plan_named(site, MEMBERSHIP_PLAN["name"])
    paid = card_paid(site, member["member_id"], plan)
    cashier = staff_account(site, ["cashier"], ["SH-001"])
    page = log_in(console, site, cashier)
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(member_code(site, member["phone"]))  # scanned: the member is there to use it
    page.get_by_role("button", name="搜索").click()
    benefits = page.locator("[data-test=counter-benefits]")
    pt = benefits.locator("[data-test=benefit-rows] tr", has_text=PT)
    expect(pt.locator("[data-test=benefit-remaining]")).to_have_text("1 / 1 次")
    expect(pt).to_contain_text(plan["name"])  # where it comes from
    served = page.locator("[data-test=counter-view] [data-test=summary-effective]")  # the top card: what applies
    expect(served).to_contain_text("折扣 9 折")  # the card's, not the tier's (a review: a cashier read the tier's)
    sale = page.locator("[data-test=counter-purchase]")  # and offered on the sale (a tea chain's walkthrough: shown,
    sale.get_by_label("订单原价（元）").fill("55")  # never applied)
    expect(sale.locator("[data-test=member-discount]")).to_contain_text("会员 9 折：折后应付 ¥49.50")
    sale.locator("[data-test=apply-member-discount]").click()
    expect(sale.get_by_label("实付金额（元）")).to_have_value("49.50")
    expect(served).to_contain_text("积分 1.5 倍")
    expect(served).to_contain_text("按黄金会员享受等级权益")
    expect(page.locator("[data-test=counter-card]", has_text=plan["name"])).to_contain_text("生效中")
    shown_card = site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"][0]  # its grace, as the benefits
    expect(page.locator("[data-test=counter-card]", has_text=plan["name"])).to_contain_text(  # beside it say it
        f"有效期至 {shown_card['valid_until']}（权益保留至 {shown_card['grace_ends_on']}）")  # fmt: skip
    assert unlabelled_inputs(page) == []
    benefits.get_by_label("使用备注").fill("私教课 · 王教练")  # kept on the use record
    pt.get_by_role("button", name=f"记录使用：{PT}").click()
    expect(benefits.locator("[data-test=benefit-used]")).to_contain_text("本期剩余 0 次")
    pt.get_by_role("button", name=f"记录使用：{PT}").click()
    expect(benefits.locator("[data-test=benefit-failure]")).to_contain_text(f"「{PT}」本期次数已用完")
    benefits.locator("[data-test=use-record-toggle]").click()
    expect(benefits.locator("[data-test=use-record] tbody tr").first).to_contain_text("上海静安旗舰店")  # the till's
    expect(benefits.locator("[data-test=use-record] tbody tr").first).to_contain_text("私教课 · 王教练")
    expect(benefits.locator("[data-test=use-record] tbody tr").first).to_contain_text("员工 测试cashier")  # by name
    settle(page)
    console.shot("counter-benefits")
    (left,) = [
        b
        for b in site.api("GET", f"/v1/members/{member['member_id']}/benefits")["items"]
        if b["benefit_id"] == "pt-session"
    ]
    assert left["remaining"] == 0  # one use recorded, the second refused

    page.goto(f"{site.base}/console/#/members/{member['member_id']}")  # a cashier reads the card, cannot cancel it
    page.get_by_role("tab", name="会员卡与权益").click()
    card = page.locator("[data-test=card-rows] tr", has_text=plan["name"])
    expect(card.locator("[data-test=card-status]")).to_have_text("有效")
    expect(card.get_by_role("button", name="历史")).to_be_visible()
    expect(page.locator(f"[data-test=cancel-{paid['card_id']}]")).to_have_count(0)


def test_a_cashier_sells_a_card_at_the_counter_and_the_member_finds_it_on_their_pages(
    site: Site, console: Screens, mobile: Screens
) -> None:
    """开卡 at the desk (a beauty salon's walkthrough: with no till reporting payments, a 次卡 could not be sold for
    cash or WeChat Pay): the plan, its price and how it was paid, confirmed, once; the counter shows the card, and the
    member's own pages too."""
    member = new_member(site, "美容会员")
    plan = plan_named(site, MEMBERSHIP_PLAN["name"])
    page, tokens = at_till(site, console, member)  # the member logs in once: their code now, their pages later
    sale = page.locator("[data-test=counter-card-sale]")
    choose(page, sale.get_by_label("会员卡方案"), plan["name"])
    expect(sale.locator("[data-test=card-sale-price]")).to_have_text(f"¥{plan['price_fen'] / 100:,.2f}")
    choose(page, sale.get_by_label("支付方式"), "微信支付")
    assert unlabelled_inputs(page) == []
    sale.locator("[data-test=card-sale-take]").click()
    asked = page.get_by_role("dialog")
    expect(asked).to_contain_text(f"向会员收取 ¥{plan['price_fen'] / 100:,.2f}（微信支付），开通「{plan['name']}」？")
    console.shot("card-sale-confirm")
    asked.get_by_role("button", name="确定").click()
    page.get_by_text(f"已开卡「{plan['name']}」").wait_for()
    expect(page.locator("[data-test=counter-card]", has_text=plan["name"])).to_contain_text("生效中")
    served = page.locator("[data-test=counter-view] [data-test=summary-effective]")
    expect(served).to_contain_text("折扣 9 折")  # what the card gives applies at once, read again
    expect(page.locator("[data-test=counter-benefits]")).to_contain_text(PT)
    (card,) = site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"]
    assert (card["status"], card["payments"][0]["method"]) == ("active", "counter:wechat_pay")
    console.shot("card-sold")
    choose(page, sale.get_by_label("会员卡方案"), plan["name"])  # held now: the button renews
    expect(sale.locator("[data-test=card-sale-take]")).to_have_text("收款续卡")
    choose(page, sale.get_by_label("支付方式"), "储值")  # too little stored value: said before sending
    sale.locator("[data-test=card-sale-take]").click()
    sale.get_by_text("储值余额不足").wait_for()
    top_up(site, member["member_id"], plan["price_fen"] + 10000)
    page.get_by_role("button", name="搜索").click()  # the member read again: the code they showed is kept
    expect(page.locator("[data-test=counter-wallet]")).to_have_text(f"{(plan['price_fen'] + 10000) / 100:,.2f}")
    sale.scroll_into_view_if_needed()
    choose(page, sale.get_by_label("会员卡方案"), plan["name"])
    choose(page, sale.get_by_label("支付方式"), "储值")
    sale.locator("[data-test=card-sale-take]").click()
    expect(page.get_by_role("dialog")).to_contain_text(
        f"从会员储值扣款 ¥{plan['price_fen'] / 100:,.2f}，续费「{plan['name']}」？"
    )
    page.get_by_role("dialog").get_by_role("button", name="确定").click()
    page.get_by_text(f"已续卡「{plan['name']}」", exact=False).wait_for()
    expect(page.locator("[data-test=counter-wallet]")).to_have_text("100.00")  # the card paid whole from it
    (card,) = site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"]
    assert [payment["method"] for payment in card["payments"]] == ["counter:wechat_pay", "wallet"]

    from tests.browser.test_member_pages import open_as

    mine = open_as(mobile, site, tokens, "/membership")
    expect(mine.locator("body")).to_contain_text(plan["name"])
    expect(mine.locator("body")).to_contain_text(card["valid_until"].replace("-", "/"))
    mobile.shot("card-on-member-pages")


def test_a_renewal_coupon_takes_its_discount_off_a_card_sold_at_the_till(site: Site, console: Screens) -> None:
    """An education chain's walkthrough: its 续费券 could not be used on a pack, sold at its list price only. The till
    offers the member's coupons that fit the card, says the price less the coupon, takes that, and uses the coupon."""
    member = new_member(site, "用券办卡")
    plan = plan_named(site, MEMBERSHIP_PLAN["name"])
    off = {"name": f"续费立减50·{secrets.token_hex(2)}", "kind": "threshold", "threshold_fen": 10_000,
           "amount_off_fen": 5_000, "validity": {"days_after_issue": 30}}  # fmt: skip
    template = site.api("POST", "/v1/coupons/templates", off)["template_id"]
    code = site.api("POST", f"/v1/coupons/templates/{template}/issues",
                    {"member_id": member["member_id"], "source_id": "renewal-1"})["code"]  # fmt: skip
    page, _ = at_till(site, console, member)
    sale = page.locator("[data-test=counter-card-sale]")
    choose(page, sale.get_by_label("会员卡方案"), plan["name"])
    price, due = plan["price_fen"] / 100, (plan["price_fen"] - 5_000) / 100
    expect(sale.locator("[data-test=card-sale-coupon]")).to_contain_text("不使用优惠券")  # not 请选择 (a walkthrough)
    choose(page, sale.get_by_label("支付方式"), "支付宝")
    choose(page, sale.get_by_label("优惠券"), off["name"])
    expect(sale.locator("[data-test=card-sale-price]")).to_have_text(f"¥{price:,.2f} − ¥50.00 = ¥{due:,.2f}")
    assert unlabelled_inputs(page) == []
    sale.locator("[data-test=card-sale-take]").click()
    asked = page.get_by_role("dialog")
    expect(asked).to_contain_text(f"向会员收取 ¥{due:,.2f}（支付宝），开通「{plan['name']}」？")
    console.shot("card-sale-with-coupon")
    asked.get_by_role("button", name="确定").click()
    page.get_by_text(f"已开卡「{plan['name']}」").wait_for()
    (card,) = site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"]
    assert (card["paid_fen"], card["payments"][0]["method"]) == (plan["price_fen"] - 5_000, "counter:alipay")
    assert site.api("GET", f"/v1/coupons/{code}")["coupon"]["status"] == "used"
    page.get_by_role("button", name="退出登录").click()
    page = log_in(console, site, staff_account(site, ["store_manager"], ["SH-001"]))  # the day's close reads it
    page.goto(f"{site.base}/console/#/store-sales")
    page.get_by_role("tab", name="会员卡流水").click()
    sold = page.locator("[data-test=card-journal] tbody tr", has_text="用券办卡")
    for _ in range(50):  # the journal follows the sale's event
        if sold.count():
            break
        page.get_by_role("button", name="刷新").click()
        page.wait_for_timeout(200)
    expect(sold.locator("[data-test=card-coupon]")).to_have_text("−¥50.00")  # a walkthrough read ¥249 alone
    expect(page.locator("[data-test=card-coupons-total]")).to_contain_text("另有优惠券抵扣")


def test_store_customer_service_cannot_cancel_a_card_another_till_was_paid_for(site: Site, console: Screens) -> None:
    """A review: customer service of one store refunded what another store's till took; a later review: another
    store's manager cancelled such a card without refund, and the member lost its term. Their dialog says who cancels
    it, refunded or not, and nothing is cancelled."""
    member = new_member(site, "外店办卡")
    plan = plan_named(site, MEMBERSHIP_PLAN["name"])
    card_paid(site, member["member_id"], plan)  # the POS reported it: no store of theirs took the money
    page = log_in(console, site, staff_account(site, ["customer_service"], ["SH-001"]))
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="会员卡与权益").click()
    page.locator("[data-test=card-rows] tr", has_text=plan["name"]).get_by_role("button", name="退卡").click()
    cancel = page.get_by_role("dialog", name=f"退卡：{plan['name']}")
    said = "这张卡的款项不是本店收取的，退卡（退款与否）请由收款门店或总部办理"
    cancel.get_by_text(said).wait_for()
    expect(cancel.locator("[data-test=cancel-quote]")).to_have_count(0)
    console.shot("refund-elsewhere")
    cancel.get_by_text("不退款", exact=True).click()
    cancel.get_by_text(said).wait_for()  # without refund too
    expect(cancel.locator("[data-test=cancel-quote]")).to_have_count(0)
    cancel.get_by_label("退卡原因").fill("会员要求停卡")
    page.locator("[data-test=cancel-confirm]").click()
    cancel.get_by_text(said).wait_for()
    (card,) = site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"]
    assert card["status"] == "active"


def test_a_clubs_own_card_is_made_for_its_store_and_used_and_discounting_there_only(
    site: Site, console: Screens, mobile: Screens
) -> None:
    """单店卡 (a fitness chain: a club's own card, cheaper than the all-club card, is used at that club only): made for
    a store in the plan form; at another store's till its class cannot be recorded and its discount does not apply,
    at its own both do; the member's pages say where it is used."""
    name = f"静安店月卡·{secrets.token_hex(2)}"
    page, dialog = plan_form(console, site, name)
    dialog.get_by_label("价格（元）").fill("199")
    classes_and_discount(page, dialog, ("club-class", "团课每周2次", "2"), ("club-discount", "水吧85折", "0.85"))
    choose(page, dialog.get_by_label("适用门店"), "(SH-001)")
    page.keyboard.press("Escape")
    expect(dialog).to_contain_text("选了门店即为单店卡")
    assert unlabelled_inputs(page) == []
    page.locator("[data-test=plan-save]").click()
    page.get_by_text(f"已创建会员卡方案 {name}").wait_for()
    made = plan_named(site, name)
    assert made["stores"] == ["SH-001"]
    row = page.locator("[data-test=plans] tr", has_text=name)
    expect(row.locator("[data-test=plan-stores]")).to_have_text("仅限 上海静安旗舰店")

    member = new_member(site, "单店卡会员")
    card_paid(site, member["member_id"], made)
    tokens = site.member_tokens(member["phone"])
    page.goto(f"{site.base}/console/#/counter")
    choose(page, page.get_by_label("收银门店"), "北京三里屯店")  # another club's till
    shown = send("GET", f"{site.base}/v1/me/code", token=tokens["access_token"])[1]
    page.get_by_label("查找会员").fill(str(shown["code"]))
    page.get_by_role("button", name="搜索").click()
    benefits = page.locator("[data-test=counter-benefits]")
    club_class = benefits.locator("[data-test=benefit-rows] tr", has_text="团课每周2次")
    expect(club_class.locator("[data-test=benefit-stores]")).to_have_text("仅限 上海静安旗舰店")
    expect(club_class.get_by_role("button", name="记录使用：团课每周2次")).to_be_disabled()
    served = page.locator("[data-test=counter-view] [data-test=summary-effective]")
    expect(served).not_to_contain_text("8.5 折")  # its discount is its club's
    expect(benefits.locator("[data-test=benefit-rows] tr", has_text="水吧85折")).to_contain_text("本店不适用")
    sale = page.locator("[data-test=counter-card-sale]")
    sale.get_by_label("会员卡方案").click(force=True)  # nor is it sold at another club's till
    expect(page.locator(".el-select-dropdown__item:visible", has_text=MEMBERSHIP_PLAN["name"])).to_have_count(1)
    expect(page.locator(".el-select-dropdown__item:visible", has_text=name)).to_have_count(0)
    page.keyboard.press("Escape")
    settle(page)
    console.shot("club-card-elsewhere")

    choose(page, page.get_by_label("收银门店"), "上海静安旗舰店")  # its own club: read again for this till
    expect(served).to_contain_text("8.5 折")
    club_class.get_by_role("button", name="记录使用：团课每周2次").click()
    expect(benefits.locator("[data-test=benefit-used]")).to_contain_text("本期剩余 1 次")
    (used,) = site.api("GET", f"/v1/members/{member['member_id']}/benefits/uses")["items"]
    assert used["store_id"] == "SH-001"

    from tests.browser.test_member_pages import open_as

    mine = open_as(mobile, site, tokens, "/membership")
    expect(mine.locator("[data-test=my-card]", has_text=name).locator("[data-test=card-stores]")).to_have_text(
        "仅限 上海静安旗舰店 使用"
    )
    mobile.shot("club-card-on-member-pages")


def test_a_card_is_paused_at_the_desk_its_end_moved_the_member_reads_it_and_it_is_resumed(
    site: Site, console: Screens, mobile: Screens
) -> None:
    """停卡 (a fitness chain: a member's knee surgery): a plan made to allow pauses; customer service pauses a member's
    card from today, told the last paused day and the new end first; the member's pages say it is paused and until
    when; 复卡 gives the days back."""
    name = f"健身季卡·{secrets.token_hex(2)}"
    page, dialog = plan_form(console, site, name)
    dialog.get_by_label("价格（元）").fill("999")
    dialog.locator(
        "[data-test=benefit-add]"
    ).click()  # entry as often as they like (不限次: its walkthrough read 1 a day)
    dialog.locator("#mb-0-id").fill("entry")
    dialog.locator("#mb-0-name").fill("入场")
    dialog.locator("[data-test=mb-0-unlimited]").click()
    expect(dialog.locator("#mb-0-quota")).to_have_count(0)
    dialog.locator("[data-test=mp-pause]").click()
    dialog.get_by_label("每期天数").fill("20")
    dialog.get_by_label("每次至少").fill("5")
    dialog.get_by_label("每次至少").press("Tab")
    assert unlabelled_inputs(page) == []
    page.locator("[data-test=plan-save]").click()
    page.get_by_text(f"已创建会员卡方案 {name}").wait_for()
    made = plan_named(site, name)
    assert made["pause"] == {"times": 1, "days": 20, "min_days": 5}
    assert [(b["benefit_id"], b["unlimited"], b["quota"]) for b in made["benefits"]] == [("entry", True, None)]
    expect(page.locator("[data-test=plans] tr", has_text=name).locator("[data-test=plan-benefits]")).to_contain_text(
        "入场 · 不限次"
    )
    expect(page.locator("[data-test=plans] tr", has_text=name).locator("[data-test=plan-pause]")).to_have_text(
        "可停卡 1 次/共 20 天"
    )

    member, card = holding(site, page, made, "停卡会员")
    page.locator(f"[data-test=pause-{card['card_id']}]").click()
    asked = page.get_by_role("dialog", name=f"停卡：{name}")
    expect(asked.locator("[data-test=pause-policy]")).to_contain_text("每个卡期最多停卡 1 次、共 20 天，每次至少 5 天")
    asked.get_by_label("停卡天数").fill("10")
    asked.get_by_label("停卡天数").press("Tab")
    asked.get_by_label("原因").fill("膝伤手术")
    until = date.fromisoformat(card["valid_until"]) + timedelta(days=10)
    expect(asked.locator("[data-test=pause-until]")).to_contain_text(f"到期日顺延至 {until.isoformat()}")
    assert unlabelled_inputs(page) == []
    console.shot("pause-dialog")
    asked.locator("[data-test=pause-confirm]").click()
    page.get_by_text(f"已停卡：{name} 到期日顺延至 {until.isoformat()}").wait_for()
    row = page.locator("[data-test=card-rows] tr", has_text=name)
    expect(row.locator("[data-test=card-status]")).to_have_text("停卡中")
    expect(row.locator("[data-test=card-valid-until]")).to_have_text(until.isoformat())
    expect(row.locator("[data-test=card-pause]")).to_contain_text("停卡")
    settle(page)
    console.shot("card-paused")

    from tests.browser.test_member_pages import open_as

    tokens = site.member_tokens(member["phone"])
    page.goto(f"{site.base}/console/#/counter")  # the till says until when (a walkthrough read 停卡中 alone)
    page.get_by_label("查找会员").fill(
        str(send("GET", f"{site.base}/v1/me/code", token=tokens["access_token"])[1]["code"])
    )
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("[data-test=counter-card]", has_text=name)).to_contain_text(f"到期日 {until.isoformat()}")
    expect(page.locator("[data-test=counter-card]", has_text=name)).to_contain_text("停卡至 ")
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="会员卡与权益").click()
    mine = open_as(mobile, site, tokens, "/membership")
    shown = mine.locator("[data-test=my-card]", has_text=name)
    expect(shown.locator("[data-test=card-status]")).to_have_text("停卡中")
    expect(shown.locator("[data-test=card-until]")).to_contain_text(f"到期日顺延至 {until.strftime('%Y/%m/%d')}")
    expect(mine.locator("[data-test=plan]", has_text=name).locator("[data-test=plan-pause]")).to_contain_text(
        "可停卡：每期最多 1 次、共 20 天"
    )
    mobile.shot("card-paused-on-member-pages")
    (pause,) = site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"][0]["pauses"]
    last = date.fromisoformat(pause["last_day"]).strftime("%Y/%m/%d")
    mine.goto(f"{site.base}/m/#/benefits")  # the benefits page says why the card's are missing (a salon's walkthrough)
    expect(mine.locator("[data-test=benefits-paused]")).to_contain_text(f"「{name}」停卡中，至 {last}")

    row.locator("[data-test^=resume-]").click()  # back the same day: the pause withdrawn, every day given back
    page.get_by_role("dialog").get_by_role("button", name="确定").click()
    page.get_by_text(f"已复卡：{name} 到期日为 {card['valid_until']}").wait_for()
    expect(row.locator("[data-test=card-status]")).to_have_text("有效")
    (held,) = site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"]
    assert (held["valid_until"], held["pauses"]) == (card["valid_until"], [])
    entry = page.locator("[data-test=member-benefits] [data-test=benefit-rows] tr", has_text="入场")
    expect(entry.locator("[data-test=benefit-remaining]")).to_have_text("不限次")
    for _ in range(2):  # twice the same day: neither refused
        entry.get_by_role("button", name="记录使用：入场").click()
        expect(page.locator("[data-test=benefit-used]")).to_contain_text("已记录一次「入场」（不限次）")
        page.locator("[data-test=benefit-used]").wait_for()
    uses = site.api("GET", f"/v1/members/{member['member_id']}/benefits/uses")["items"]
    assert [use["benefit_id"] for use in uses] == ["entry", "entry"]
    theirs = open_as(mobile, site, tokens, "/benefits")
    expect(
        theirs.locator("[data-test=benefit]", has_text="入场").locator("[data-test=benefit-remaining]")
    ).to_have_text("不限次")


def test_a_card_sold_ahead_is_opened_at_the_till_on_the_first_visit_and_used_at_once(
    site: Site, console: Screens
) -> None:
    """首次使用开卡 (a fitness chain: a card sold ahead starts at the member's first visit, not the day it was sold):
    the till shows it waiting with the day it would start by itself, opens it, and its class is recorded."""
    terms = {key: MEMBERSHIP_PLAN[key] for key in ("term", "price_fen", "benefits")}
    plan = site.api(
        "POST", "/v1/membership/plans", {**terms, "name": f"预售月卡·{secrets.token_hex(2)}", "activation_days": 30}
    )
    member = new_member(site, "预售卡会员")
    card = card_paid(site, member["member_id"], plan)
    cashier = staff_account(site, ["cashier"], ["SH-001"])
    page = log_in(console, site, cashier)
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(member_code(site, member["phone"]))
    page.get_by_role("button", name="搜索").click()
    shown = page.locator("[data-test=counter-card]", has_text=plan["name"])
    (waiting,) = site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"]
    expect(shown).to_contain_text(f"待开卡：首次到店开卡，最迟 {waiting['started_on']} 自动开卡")
    benefits = page.locator("[data-test=counter-benefits]")
    expect(benefits.locator("[data-test=benefit-rows] tr", has_text=PT)).to_have_count(0)  # nothing yet
    shown.locator(f"[data-test=open-card-{card['card_id']}]").click()
    asked = page.get_by_role("dialog")  # a click begins a year: asked first (a walkthrough)
    expect(asked).to_contain_text(f"现在为会员开卡「{plan['name']}」？有效期从今天起算")
    asked.get_by_role("button", name="确定").click()
    page.get_by_text(f"已开卡：{plan['name']}").first.wait_for()
    expect(shown).to_contain_text("生效中")
    pt = benefits.locator("[data-test=benefit-rows] tr", has_text=PT)
    pt.get_by_role("button", name=f"记录使用：{PT}").click()
    expect(benefits.locator("[data-test=benefit-used]")).to_contain_text("本期剩余 0 次")
    (opened,) = site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"]
    assert opened["status"] == "active"
    assert opened["started_on"] < waiting["started_on"]  # today, not the day it would have started by itself


def test_a_card_is_extended_at_the_desk_told_its_new_end_first_and_the_member_reads_the_days_given(
    site: Site, console: Screens, mobile: Screens
) -> None:
    """延期 (an education chain: a pack's lessons left at its end): an administrator gives a member's card 30 days,
    told first that nothing is charged and the term's lessons carry on, and the new end; the card list says it, the
    history reads 延期 with the staff's reason, and the member's pages show the new end and the days given, without
    the reason."""
    name = f"美术课时包·{secrets.token_hex(2)}"
    page, dialog = plan_form(console, site, name)
    dialog.get_by_label("价格（元）").fill("2400")
    page.locator("[data-test=plan-save]").click()
    page.get_by_text(f"已创建会员卡方案 {name}").wait_for()
    made = plan_named(site, name)
    member, card = holding(site, page, made, "延期会员")
    page.locator(f"[data-test=extend-{card['card_id']}]").click()
    asked = page.get_by_role("dialog", name=f"延期：{name}")
    expect(asked.locator("[data-test=extend-note]")).to_contain_text("不收费，不计入会员卡预收")
    asked.get_by_label("延期天数").fill("30")
    asked.get_by_label("延期天数").press("Tab")
    asked.locator("[data-test=extend-confirm]").click()  # no reason yet: refused on its field, nothing sent
    expect(asked.locator(".el-form-item__error")).to_have_count(1)
    asked.get_by_label("延期原因").fill("寒假课时未用完")
    asked.get_by_label("延期原因").press("Tab")
    until = date.fromisoformat(card["valid_until"]) + timedelta(days=30)
    expect(asked.locator("[data-test=extend-until]")).to_have_text(
        f"有效期由 {card['valid_until']} 延至 {until.isoformat()}"
    )
    assert unlabelled_inputs(page) == []
    console.shot("extend-dialog")
    asked.locator("[data-test=extend-confirm]").click()
    page.get_by_text(f"已延期：{name} 有效期至 {until.isoformat()}").wait_for()
    row = page.locator("[data-test=card-rows] tr", has_text=name)
    expect(row.locator("[data-test=card-valid-until]")).to_have_text(until.isoformat())
    expect(row.locator("[data-test=card-payments]")).to_have_text("1 笔付款")  # the days given are no payment
    row.locator(f"[data-test=history-{card['card_id']}]").click()
    history = page.locator("[data-test=card-history]")
    expect(history.locator("tr", has_text="延期")).to_contain_text(
        f"延期 30 天，有效期至 {until.isoformat()}：寒假课时未用完"
    )
    settle(page)
    console.shot("card-extended")
    (held,) = site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"]
    assert ([p["kind"] for p in held["payments"]], held["paid_fen"]) == (["purchase", "extension"], made["price_fen"])

    from tests.browser.test_member_pages import open_as

    mine = open_as(mobile, site, site.member_tokens(member["phone"]), "/membership")
    shown = mine.locator("[data-test=my-card]", has_text=name)
    expect(shown.locator("[data-test=card-until]")).to_contain_text(until.strftime("%Y/%m/%d"))
    shown.locator("[data-test=card-history]").click()
    sheet = mine.locator("[data-test=card-history-sheet]")
    expect(sheet).to_contain_text(f"延期 30 天，有效期至 {until.isoformat()}")
    expect(sheet).not_to_contain_text("寒假课时未用完")  # staff's note
    mobile.shot("card-extended-on-member-pages")

    page.keyboard.press("Escape")  # the history closed
    page.get_by_role("button", name="退出登录").click()  # at the desk too (a walkthrough found it on this page only)
    page = log_in(console, site, staff_account(site, ["store_manager"], ["SH-001"]))
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(member["phone"])
    page.get_by_role("button", name="搜索").click()
    page.locator(f"[data-test=extend-card-{card['card_id']}]").click()
    asked = page.get_by_role("dialog", name=f"延期：{name}")
    asked.get_by_label("延期天数").fill("10")
    asked.get_by_label("延期天数").press("Tab")
    asked.get_by_label("延期原因").fill("伤病")
    later = until + timedelta(days=10)
    asked.locator("[data-test=extend-confirm]").click()
    page.get_by_text(f"已延期：{name} 有效期至 {later.isoformat()}").wait_for()
    expect(page.locator("[data-test=counter-card]", has_text=name)).to_contain_text(later.isoformat())


def test_a_parent_s_two_children_each_get_a_pack_at_the_desk_used_by_name_and_read_on_their_pages(
    site: Site, console: Screens, mobile: Screens
) -> None:
    """一家长多孩 (an education chain's walkthrough: the second child's pack became a renewal of the first's, their
    lessons pooled): the parent names a child on their pages, the desk another; each child's pack is sold as a card of
    its own, a lesson is recorded on the row of the child who came, and the parent reads whose card is whose."""
    member = new_member(site, "两个孩子的家长")
    pack = site.api("POST", "/v1/membership/plans", {
        "name": f"美术24课时-{secrets.token_hex(2)}", "term": {"months": 3}, "price_fen": 4320_00, "auto_renew": False,
        "refund": {"kind": "unused"}, "benefits": [{"benefit_id": "art", "name": "美术课", "kind": "quota", "quota": 24,
                                                    "period": "term", "value_fen": 180_00}]})  # fmt: skip
    tokens = site.member_tokens(member["phone"])
    mine = open_as(mobile, site, tokens, "/me/profile")
    mine.locator("[data-test=profile-add-student]").click()
    mine.locator("[data-test=profile-student-0] input").fill("小明")
    mine.locator("[data-test=profile-student-birthday-0] input").fill("2017-06-01")
    mine.locator("[data-test=profile-save]").click()
    expect(mine.locator("[data-test=profile-error]")).to_have_text("请先勾选监护人同意")  # PIPL art. 31
    mine.locator("[data-test=profile-guardian]").get_by_role("checkbox").click()
    mine.locator("[data-test=profile-save]").click()
    mine.get_by_text("已保存").wait_for()
    (child,) = site.api("GET", f"/v1/members/{member['member_id']}")["students"]
    assert (child["name"], child["birthday"], child["consent_by"]) == ("小明", "2017-06-01", "member")

    page = log_in(console, site, staff_account(site, ["store_manager"], ["SH-001"]))
    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.locator("[data-test=edit]").click()
    dialog = page.get_by_role("dialog", name="编辑会员资料")
    expect(dialog.locator("[data-test=student-name-0]")).to_have_value("小明")  # the parent's, kept
    dialog.locator("[data-test=add-student]").click()
    dialog.locator("[data-test=student-name-1]").fill("小红")
    assert unlabelled_inputs(page) == []
    dialog.locator("[data-test=save]").click()
    expect(dialog.locator("[data-test=edit-students]")).to_contain_text("新增学员须经家长（监护人）同意")
    dialog.locator("[data-test=guardian-consent]").click()
    console.shot("students-edited")
    dialog.locator("[data-test=save]").click()
    expect(page.locator("[data-test=member-students]")).to_have_text("小明、小红")

    shown = send("GET", f"{site.base}/v1/me/code", token=tokens["access_token"])[1]
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(str(shown["code"]))
    page.get_by_role("button", name="搜索").click()
    sale = page.locator("[data-test=counter-card-sale]")
    expect(page.locator("[data-test=counter-view]")).to_contain_text("两个孩子的家长")  # the member read, laid out
    for child in ("小明", "小红"):
        sale.scroll_into_view_if_needed()  # at the foot of a long page
        choose(page, sale.get_by_label("学员"), child)
        choose(page, sale.get_by_label("会员卡方案"), pack["name"])
        choose(page, sale.get_by_label("支付方式"), "支付宝")
        expect(sale.locator("[data-test=card-sale-take]")).to_have_text("收款开卡")  # the other child's is no renewal
        sale.locator("[data-test=card-sale-take]").click()
        asked = page.get_by_role("dialog")
        expect(asked).to_contain_text(f"开通「{child} · {pack['name']}」")
        asked.get_by_role("button", name="确定").click()
        page.get_by_text(f"已开卡「{child} · {pack['name']}」", exact=False).wait_for()
    sale.locator("[data-test=card-sale-add-student]").click()  # a third child, named at the desk
    asked = page.get_by_role("dialog", name="添加学员")
    asked.get_by_placeholder("学员姓名").fill("小刚")
    asked.get_by_role("button", name="确定").click()
    page.get_by_text("已添加学员 小刚").wait_for()
    expect(sale.locator("[data-test=card-sale-student]")).to_contain_text("小刚")  # chosen for the sale at once
    students = page.locator("[data-test=counter-card-student]")
    expect(students).to_have_count(2)
    assert sorted(students.all_inner_texts()) == ["（学员 小明）", "（学员 小红）"]
    benefits = page.locator("[data-test=counter-benefits]")
    ming = benefits.locator("[data-test=benefit-rows] tr", has_text="学员 小明")
    hong = benefits.locator("[data-test=benefit-rows] tr", has_text="学员 小红")
    ming.get_by_role("button", name="记录使用：美术课").click()
    expect(benefits.locator("[data-test=benefit-used]")).to_contain_text(
        "已记录一次「美术课（学员 小明）」，本期剩余 23 次"
    )
    expect(ming.locator("[data-test=benefit-remaining]")).to_have_text("23 / 24 次")
    expect(hong.locator("[data-test=benefit-remaining]")).to_have_text("24 / 24 次")  # each child's lessons apart
    console.shot("two-children-at-the-desk")
    benefits.locator("[data-test=use-record-toggle]").click()  # each child's attendance (消课记录) apart
    record = benefits.locator("[data-test=use-record]")
    expect(record.locator("[data-test=use-student]")).to_have_text(["（学员 小明）"])
    benefits.locator("[data-test=use-record-student]").get_by_text("小红").click()
    expect(record).to_contain_text("还没有使用记录")
    benefits.locator("[data-test=use-record-student]").get_by_text("小明").click()
    expect(record.locator("[data-test=use-student]")).to_have_text(["（学员 小明）"])
    cards = site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"]
    named = {s["student_id"]: s["name"] for s in site.api("GET", f"/v1/members/{member['member_id']}")["students"]}
    assert sorted(named[card["student_id"]] for card in cards) == ["小明", "小红"]

    mine = open_as(mobile, site, tokens, "/membership")
    expect(mine.locator("[data-test=card-student]")).to_have_count(2)
    assert sorted(text.strip() for text in mine.locator("[data-test=card-student]").all_inner_texts()) == [
        "· 小明",
        "· 小红",
    ]
    mobile.shot("children-cards-on-member-pages")
    top_up(site, member["member_id"], pack["price_fen"])  # the third child's pack, bought on the parent's pages
    mine.reload()
    mine.locator("[data-test=plan]", has_text=pack["name"]).get_by_role("button", name="储值支付 ¥4,320.00").click()
    confirm = mine.locator("[data-test=buy-confirm]")
    confirm.locator("[data-test=confirm-for]").get_by_text("小刚").click()
    expect(confirm.locator("[data-test=confirm-balance]")).to_have_text("¥4,320.00")
    mobile.shot("buy-for-a-child")
    mine.locator(".van-dialog").get_by_role("button", name="确认支付").click()
    expect(mine.locator(".van-toast").first).to_contain_text("已开通")
    expect(mine.locator("[data-test=card-student]")).to_have_count(3)
    gang = next(s["student_id"] for s in site.api("GET", f"/v1/members/{member['member_id']}")["students"]
                if s["name"] == "小刚")  # fmt: skip
    assert gang in {card["student_id"] for card in site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"]}
    hongs = next(card for card in site.api("GET", f"/v1/members/{member['member_id']}/cards")["items"]
                 if named.get(card["student_id"]) == "小红")  # fmt: skip
    for n in range(2):  # 小红 came twice
        site.api(
            "POST",
            f"/v1/members/{member['member_id']}/benefits/art/uses",
            {"use_id": f"hong-{n}-{secrets.token_hex(3)}", "store_id": "SH-001", "source_id": hongs["card_id"]},
        )
    mine.goto(f"{site.base}/m/#/benefits")
    expect(
        mine.locator("[data-test=benefit]", has_text="小明").locator("[data-test=benefit-remaining]")
    ).to_contain_text("23")
    expect(mine.locator("[data-test=use-entry]")).to_have_count(3)  # everyone's
    mine.locator("[data-test=use-record-student]").get_by_role("tab", name="小红").click()
    expect(mine.locator("[data-test=use-student]")).to_have_text(["· 小红", "· 小红"])
    mine.locator("[data-test=use-record-student]").get_by_role("tab", name="小刚").click()
    expect(mine.get_by_text("还没有使用记录")).to_be_visible()
    mobile.shot("a-child-s-use-record")
