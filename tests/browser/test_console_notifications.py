"""The back office's message screens as marketing and customer service use them: a template edited (an unknown
variable refused on its field, then words with a variable chip and a provider parameter saved, then the default
restored), the quiet hours changed in the policy; a marketing message sent to two members, the day's report
counting it and listing the member it was not sent to (and why), whose page shows the message and records the
consent they then gave at the counter, with its note."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import Screens, Site
from tests.browser.test_console_coupons import demo_member
from tests.browser.test_console_members import member_code, new_member
from tests.browser.test_console_shell import log_in, unlabelled_inputs

TITLE = "消息 · 会员管理后台"


def eventually(read: Callable[[], Any], wanted: Callable[[Any], bool], seconds: float = 20) -> Any:
    """What ``read`` answers once ``wanted`` holds (the stack decides messages a moment after their events)."""
    deadline = time.monotonic() + seconds
    while True:
        found = read()
        if wanted(found) or time.monotonic() > deadline:
            assert wanted(found), found
            return found
        time.sleep(0.3)


def sms_template(site: Site, kind: str) -> dict[str, Any]:
    items = site.api("GET", "/v1/notifications/templates")["items"]
    return next(item for item in items if (item["kind"], item["channel"]) == (kind, "sms"))


def test_a_template_is_edited_past_an_unknown_variable_then_restored_and_the_quiet_hours_change(
    site: Site, console: Screens
) -> None:
    page = log_in(console, site)
    page.locator("[data-menu=notifications]").click()  # the marketing group's entry
    expect(page).to_have_title(TITLE)
    templates = page.locator("[data-test=templates]")
    templates.get_by_text("储值到账").first.wait_for()
    page.locator("[data-test=template-channel]").get_by_text("短信").click()  # one channel's templates
    row = templates.locator("tr", has_text="储值到账")
    expect(row).to_have_count(1)
    console.shot("templates-sms")
    expect(row.locator("[data-test=template-custom]")).to_have_text("默认")
    row.locator("[data-test=template-edit]").click()
    dialog = page.get_by_role("dialog", name="编辑模板：储值到账 · 短信")
    text = dialog.get_by_label("正文").first
    expect(text).to_have_value(sms_template(site, "wallet-topped-up")["words"]["zh-CN"]["text"])
    text.fill("您已充值{amount}元，赠送{gift}元。")
    page.locator("[data-test=template-save]").click()
    dialog.locator(".el-form-item__error", has_text="未知变量 {gift}").wait_for()  # on the field, in Chinese, unsent
    expect(dialog.locator("[data-test=template-variables]")).to_contain_text("金额（元）")  # what each is
    assert sms_template(site, "wallet-topped-up")["custom"] is False
    assert unlabelled_inputs(page) == []
    console.shot("template-unknown-variable")

    text.fill("您已充值{amount}元，当前余额")
    text.press("End")
    dialog.locator("[data-test=template-variables]").get_by_text("{balance}").click()  # a chip puts it at the cursor
    expect(text).to_have_value("您已充值{amount}元，当前余额{balance}")
    text.press("End")
    text.press_sequentially("元。")
    dialog.get_by_label("服务商模板 ID").fill("1234567")
    dialog.get_by_role("button", name="添加参数").click()
    dialog.get_by_label("参数名 1").fill("1")
    chosen = dialog.locator(".param-variable").first
    option = page.locator(".el-select-dropdown__item:visible", has_text="amount")
    for _ in range(3):  # in a full run the option's click was lost three times in a row, alone never: choose again
        if not option.count():
            dialog.get_by_label("变量 1").click(force=True)  # through its placeholder
        option.click()
        page.wait_for_timeout(300)  # the choice renders after the dropdown closes
        if chosen.get_by_text("amount", exact=True).count():
            break
    expect(chosen).to_contain_text("amount")  # shown as chosen before it is saved
    console.shot("template-edit")
    page.locator("[data-test=template-save]").click()
    page.get_by_text("模板已保存").wait_for()
    expect(row.locator("[data-test=template-custom]")).to_have_text("已自定义")
    saved = sms_template(site, "wallet-topped-up")
    assert saved["words"]["zh-CN"]["text"] == "您已充值{amount}元，当前余额{balance}元。"
    assert (saved["provider_template"], saved["params"]) == ("1234567", [["1", "amount"]])
    expect(row.locator("[data-test=template-words]")).to_have_text(saved["words"]["zh-CN"]["text"])
    console.shot("template-saved")

    row.locator("[data-test=template-restore]").click()
    page.get_by_role("dialog").get_by_role("button", name="恢复默认").click()
    page.get_by_text("已恢复默认文案").wait_for()
    expect(row.locator("[data-test=template-custom]")).to_have_text("默认")
    assert sms_template(site, "wallet-topped-up")["custom"] is False

    before = site.api("GET", "/v1/notifications/policy")
    page.get_by_role("tab", name="消息策略").click()
    start = page.locator("#policy-quiet-start")
    expect(start).to_have_value(before["quiet_hours"]["start"])
    start.click()
    start.fill("23:00")  # too late: the providers' night is refused, said in Chinese (a walkthrough read English)
    start.press("Enter")
    page.locator("[data-test=policy-save]").click()
    page.get_by_text("免打扰须覆盖 22:00–08:00（运营商在此时段拒发营销短信）").wait_for()
    start.click()
    start.fill("21:30")
    start.press("Enter")
    page.locator("[data-test=policy-kinds]").get_by_text("积分到账").wait_for()  # every kind, with its switch
    assert unlabelled_inputs(page) == []
    page.locator("[data-test=policy-save]").click()
    page.get_by_text("消息策略已保存").wait_for()
    after = site.api("GET", "/v1/notifications/policy")
    try:
        assert after["quiet_hours"] == {"start": "21:30", "end": before["quiet_hours"]["end"]}
        assert after["version"] == before["version"] + 1
        kept = ("caps", "kinds", "wording")
        assert {k: after[k] for k in kept} == {k: before[k] for k in kept}
        console.shot("policy")
    finally:  # the other tests' messages keep the usual hours
        site.api("PATCH", "/v1/notifications/policy", {"quiet_hours": before["quiet_hours"]})


def test_a_marketing_message_is_reported_its_unsent_member_opened_and_their_consent_recorded(
    site: Site, console: Screens
) -> None:
    member = new_member(site, "营销测试")  # no marketing consent: the message is not sent to them
    demo = demo_member(site)
    page = log_in(console, site)
    page.goto(f"{site.base}/console/#/notifications?tab=report")
    page.locator("[data-test=announce]").click()
    dialog = page.get_by_role("dialog", name="发送营销消息")
    dialog.get_by_label("标题").fill("周末双倍积分")
    dialog.get_by_label("正文").fill("本周末到店消费享双倍积分。")
    addressed = f"{member['member_no']}\n{demo['member_id']}, {member['member_no']}, 9999999999"  # 会员号 or ids
    dialog.get_by_label("会员", exact=True).fill(addressed)
    dialog.get_by_text("3 个会员").wait_for()  # the same number twice is one member
    assert unlabelled_inputs(page) == []
    console.shot("announcement")
    page.locator("[data-test=announce-send]").click()
    result = dialog.locator("[data-test=announce-result]")
    expect(result).to_contain_text("2 位会员")
    expect(result.locator("[data-test=announce-unknown]")).to_have_text("以下不是会员，未发送：9999999999")
    console.shot("announcement-sent")
    page.locator("[data-test=announce-send]").click()  # 关闭

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()  # the business day the report opens on
    mine = f"/v1/members/{member['member_id']}/messages"
    eventually(lambda: site.api("GET", mine)["items"], lambda items: any(m["kind"] == "announcement" for m in items))
    report = site.api("GET", f"/v1/notifications/report?day={today}")["kinds"]
    figures = next(kind for kind in report if kind["kind"] == "announcement")
    assert figures["outcomes"]["suppressed"] >= 1
    page.locator("[data-test=report]").get_by_role("button", name="刷新").click()
    row = page.locator("[data-test=report-kinds] tr", has_text="营销消息")
    suppressed = row.locator("[data-test=report-suppressed-announcement]")
    expect(suppressed).to_have_text(str(figures["outcomes"]["suppressed"]))
    expect(row).to_contain_text(f"未发送 · 未获授权 {figures['reasons']['suppressed:no-consent']}")
    console.shot("report")

    suppressed.click()
    unsent = page.get_by_role("dialog", name=f"未发送明细：营销消息 · {today}")
    line = unsent.locator("[data-test=unsent] tr", has_text=member["member_id"])
    expect(line.locator("[data-test=unsent-reason]")).to_have_text("未获授权")
    expect(line.locator("[data-test=unsent-title]")).to_have_text("周末双倍积分")  # which announcement it was
    expect(line).to_contain_text("短信 · 未获授权")  # each channel passed over, and why
    console.shot("unsent")
    line.locator("[data-test=unsent-member]").click()

    expect(page.locator("[data-test=member-name]")).to_have_text(member["name"])
    page.get_by_role("tab", name="消息", exact=True).click()
    history = page.locator("[data-test=member-message-rows] tr", has_text="周末双倍积分")
    expect(history.locator("[data-test=message-status]")).to_have_text("未发送")
    expect(history.locator("[data-test=message-reason]")).to_have_text("未获授权")
    switch = page.get_by_role("switch", name="短信营销")
    expect(switch).not_to_be_checked()
    unbound = page.locator("[data-test=unreachable-wechat]")  # WeChat consent would reach nothing: none bound
    expect(unbound).to_contain_text("未绑定微信")
    page.locator("[data-test=consent-sms-marketing]").click()
    asked = page.get_by_role("dialog", name="会员本人授权")  # marketing consent is the member's own: they are there
    asked.get_by_role("textbox").fill("0000000000000000")
    asked.get_by_role("button", name="确定").click()
    prompt = page.get_by_role("dialog", name="记录会员授权")
    prompt.get_by_role("textbox").fill("会员在门店口头同意接收短信活动")
    prompt.get_by_role("button", name="确定").click()
    expect(page.get_by_text("会员码已过期或不是该会员的")).to_be_visible()
    expect(switch).not_to_be_checked()
    page.locator("[data-test=consent-sms-marketing]").click()
    asked.get_by_role("textbox").fill(member_code(site, member["phone"]))
    console.shot("consent-code")
    asked.get_by_role("button", name="确定").click()
    prompt = page.get_by_role("dialog", name="记录会员授权")
    prompt.get_by_role("textbox").fill("会员在门店口头同意接收短信活动")
    console.shot("consent-note")
    prompt.get_by_role("button", name="确定").click()
    page.get_by_text("已记录").wait_for()
    expect(switch).to_be_checked()
    changes = site.api("GET", f"/v1/members/{member['member_id']}/consent-history")["items"]
    latest = changes[0]
    assert (latest["channel"], latest["purpose"], latest["granted"]) == ("sms", "marketing", True)
    assert (latest["source"], latest["note"]) == ("staff", "会员在门店口头同意接收短信活动")
    assert latest["wording_version"] == site.api("GET", "/v1/notifications/policy")["wording_version"]
    listed = page.locator("[data-test=consent-history] tr", has_text="会员在门店口头同意接收短信活动")
    expect(listed).to_contain_text("员工代录")
    staff_id = latest["actor"].split(":")[1]
    name = site.api("POST", "/v1/staff/names", {"ids": [staff_id]})["names"][staff_id]
    expect(listed).to_contain_text(f"员工 {name}")  # who recorded it, by name
    console.shot("member-messages")


def test_customer_service_reads_the_message_policy_and_can_toggle_nothing_on_it(site: Site, console: Screens) -> None:
    """Found by a walkthrough: on the read-only policy the switches still flipped and channels could be removed."""
    from tests.browser.test_console_members import staff_account

    page = log_in(console, site, staff_account(site, ["customer_service"], []))
    page.goto(f"{site.base}/console/#/notifications")
    page.get_by_role("tab", name="消息策略").click()
    kinds = page.locator("[data-test=policy-kinds]")
    kinds.get_by_text("积分到账").wait_for()
    switches = kinds.locator(".el-switch")
    expect(switches.first).to_have_class(re.compile("is-disabled"))
    expect(kinds.locator(".el-switch:not(.is-disabled)")).to_have_count(0)
    expect(kinds.locator(".el-select__wrapper:not(.is-disabled)")).to_have_count(0)
    expect(page.locator("[data-test=policy-save]")).to_have_count(0)
