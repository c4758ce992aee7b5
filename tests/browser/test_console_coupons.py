"""The back office's coupon screens as marketing and a cashier use them: a template created by its kind, issued to
the demo member found by phone and seen on the member's page; a template stopped, then voided after a confirmation;
the liability as the API counts it; at the counter, a cashier sees a member's coupons for an order total, redeems
one, sees it used, and reverses the redemption."""

from __future__ import annotations

import secrets
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Screens, Site
from tests.browser.test_console_members import member_code, new_member
from tests.browser.test_console_shell import log_in, unlabelled_inputs
from tests.http import send

DEMO_PHONE = "13800138000"  # the demo member (chalicelib.local.demo)
TITLE = "优惠券 · 会员管理后台"


def demo_member(site: Site) -> dict[str, Any]:
    return dict(site.api("POST", "/v1/members/lookup", {"phone": DEMO_PHONE}))


def template(site: Site, name: str, **terms: Any) -> dict[str, Any]:
    """A template made through the API (the screens' own creation is tested once, below)."""
    body = {
        "name": name,
        "kind": "threshold",
        "threshold_fen": 10000,
        "amount_off_fen": 2000,
        "validity": {"days_after_issue": 30},
        **terms,
    }
    return dict(site.api("POST", "/v1/coupons/templates", body))


def issue(site: Site, template_id: str, member_id: str) -> dict[str, Any]:
    body = {"member_id": member_id, "source_id": f"test-{secrets.token_hex(6)}"}
    return dict(site.api("POST", f"/v1/coupons/templates/{template_id}/issues", body))


def test_a_template_is_created_issued_to_the_demo_member_and_shown_on_their_page(site: Site, console: Screens) -> None:
    page = log_in(console, site)
    page.locator("[data-menu=coupons]").click()  # the marketing group's entry
    expect(page).to_have_title(TITLE)
    page.locator("[data-test=templates] .el-table__row").first.wait_for()  # the demo's templates, not a spinner
    for actions in page.locator("[data-test=templates] .el-table__row td:last-child .cell").all():
        assert actions.evaluate("el => el.scrollHeight <= 32"), actions.inner_text()  # on one line: none wraps
    fits = "el => el.querySelector('.el-table__body').offsetWidth <= el.clientWidth"
    assert page.locator("[data-test=templates]").evaluate(fits)  # every column shows, none under the fixed actions
    for cell in page.locator("[data-test=templates] th .cell, [data-test=templates] .el-tag").all():
        assert cell.evaluate("el => el.scrollWidth <= el.clientWidth && el.offsetHeight <= 24"), cell.inner_text()
    console.shot("templates")

    name = f"满100减15·{secrets.token_hex(2)}"
    page.locator("[data-test=template-create]").click()
    dialog = page.get_by_role("dialog", name="新建券模板")
    dialog.get_by_label("名称", exact=True).fill(name)
    dialog.locator("[data-test=tpl-kind]").get_by_text("满减券").click()
    dialog.get_by_label("订单满（元）").fill("100")
    dialog.get_by_label("减免金额（元）").fill("15")
    dialog.get_by_label("有效天数").fill("30")
    dialog.get_by_text("周六").click()
    dialog.get_by_text("周日").click()
    dialog.get_by_label("库存（张）").fill("50")
    dialog.get_by_label("每人限领（张）").fill("2")
    dialog.locator("[data-test=tpl-transferable]").click()
    dialog.get_by_text("生日送券").click()  # a birthday coupon made here (an F&B walkthrough found it API-only)
    excluded = dialog.get_by_label("不适用品类")  # a retail walkthrough: 不可用于礼品卡
    dialog.locator(".el-select", has=page.locator("#tpl-excluded_categories")).click()  # the box, then type
    page.keyboard.type("礼品卡")
    page.locator(".el-select-dropdown__item:visible", has_text="礼品卡").wait_for()
    excluded.press("Enter")
    expect(dialog.locator(".el-select .el-tag", has_text="礼品卡")).to_be_visible()
    assert unlabelled_inputs(page) == []
    console.shot("template-create")
    page.locator("[data-test=template-save]").click()

    row = page.locator("[data-test=templates] tr", has_text=name)
    row.wait_for()
    listed = site.api("GET", "/v1/coupons/templates?status=issuing&limit=200")["items"]
    (made,) = [item for item in listed if item["name"] == name]
    assert (made["kind"], made["threshold_fen"], made["amount_off_fen"]) == ("threshold", 10000, 1500)
    assert (made["validity"], made["weekdays"]) == ({"days_after_issue": 30}, [6, 7])
    assert (made["stock"], made["per_member_limit"], made["transferable"]) == (50, 2, True)
    assert made["gift"]["on"] == "birthday"
    assert made["applies_to"]["excluded_categories"] == ["gift-card"]  # the name typed, kept by the tills' code
    assert "不适用品类 礼品卡" in made["rules"]
    expect(row).to_contain_text("生日送券")  # its tag in words (it showed the raw key coupons.gifts.birthday)
    assert row.locator("[data-test=template-rules]").inner_text() == made["rules"]  # in words, as the API says
    assert row.locator("[data-test=stock-left]").inner_text() == "50 / 50"
    console.shot("template-created")

    page.get_by_role("button", name="English").click()  # the rules follow the language chosen
    in_english = site.api("GET", f"/v1/coupons/templates/{made['template_id']}", **{"Accept-Language": "en"})["rules"]
    assert in_english != made["rules"]
    expect(row.locator("[data-test=template-rules]")).to_have_text(in_english)
    page.get_by_role("button", name="中文").click()
    expect(row.locator("[data-test=template-rules]")).to_have_text(made["rules"])

    row.get_by_role("button", name="发券", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"发券：{name}")
    dialog.get_by_label("会员", exact=True).fill(DEMO_PHONE)
    dialog.locator("[data-test=issue-find]").click()
    member = demo_member(site)
    dialog.locator("[data-test=issue-found]").get_by_text(member["name"]).wait_for()
    assert (
        dialog.get_by_label("来源编号").input_value() == ""
    )  # left empty: one is made for this gift (no raw id shown)
    assert unlabelled_inputs(page) == []
    console.shot("issue")
    page.locator("[data-test=issue-save]").click()
    page.get_by_text("已发券").wait_for()
    expect(row.locator("[data-test=stock-left]")).to_have_text("49 / 50")

    coupons = site.api("GET", f"/v1/members/{member['member_id']}/coupons?status=available&limit=200")["items"]
    (coupon,) = [item for item in coupons if item["template_id"] == made["template_id"]]
    assert coupon["source_kind"] == "staff"

    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="优惠券").click()
    shown = page.locator("[data-test=member-coupon-rows] tr", has_text=coupon["code"])
    shown.wait_for()
    assert name in shown.inner_text()
    assert "可用" in shown.inner_text()
    assert coupon["valid_until"] in shown.inner_text()
    console.shot("member-coupons")

    status, tokens = send("POST", f"{site.base}/v1/auth/member-token", site.credentials["member"])  # 转赠 by the member
    assert status == 200, tokens
    status, offered = send("POST", f"{site.base}/v1/me/coupons/{coupon['code']}/offer", token=tokens["access_token"])
    assert status == 201, offered
    page.locator("[data-test=member-coupons]").get_by_role("button", name="刷新").click()
    expect(shown.locator("[data-test=member-coupon-offered]")).to_contain_text("转赠给好友中")
    friend = site.member_tokens("13700000618")["access_token"]
    status, _ = send("POST", f"{site.base}/v1/me/gifts/{offered['token']}/acceptance", token=friend)
    assert status == 201
    page.locator("[data-test=member-coupon-status]").get_by_text("已转赠").click()
    expect(shown).to_contain_text("已转赠")


def test_a_template_stops_then_is_voided_when_confirmed_and_the_liability_follows(site: Site, console: Screens) -> None:
    name = f"停发作废·{secrets.token_hex(2)}"
    made = template(site, name, stock=10)
    coupon = issue(site, made["template_id"], demo_member(site)["member_id"])
    page = log_in(console, site)
    page.goto(f"{site.base}/console/#/coupons")
    row = page.locator("[data-test=templates] tr", has_text=name)
    switch = row.get_by_role("switch", name=f"{name} 开放会员领取")  # named for a screen reader
    expect(switch).not_to_be_checked()
    row.locator("[data-test=template-claimable]").click()  # members may claim it from now on
    page.get_by_text(f"「{name}」已开放会员领取").wait_for()
    assert site.api("GET", f"/v1/coupons/templates/{made['template_id']}")["claimable"] is True
    expect(switch).to_be_checked()
    row.get_by_role("button", name="停发").click()
    page.get_by_role("dialog").get_by_text("停发不可撤回").wait_for()  # said before it is done
    console.shot("stop-confirm")
    page.get_by_role("dialog").get_by_role("button", name="停发").click()
    page.get_by_text(f"「{name}」已停发").wait_for()
    assert site.api("GET", f"/v1/coupons/templates/{made['template_id']}")["status"] == "stopped"
    expect(row).to_have_count(0)  # the list shows what is issuing

    page.locator("[data-test=template-status]").get_by_text("已停发").click()
    row.get_by_text("已停发").wait_for()
    row.get_by_role("button", name="作废").click()
    page.get_by_role("dialog").get_by_text("所有未使用的券").wait_for()
    page.get_by_role("dialog").get_by_role("button", name="取消").click()  # a second thought: nothing happens
    assert site.api("GET", f"/v1/coupons/templates/{made['template_id']}")["status"] == "stopped"
    row.get_by_role("button", name="作废").click()
    page.get_by_role("dialog").get_by_role("button", name="作废").click()
    page.get_by_text(f"「{name}」已作废").wait_for()
    assert site.api("GET", f"/v1/coupons/templates/{made['template_id']}")["status"] == "voided"
    assert site.api("GET", f"/v1/coupons/{coupon['code']}")["coupon"]["status"] == "voided"
    console.shot("voided")

    page.get_by_role("tab", name="券负债").click()
    liability = site.api("GET", "/v1/coupons/liability")
    total = f"{liability['total_usable_face_value_fen'] / 100:.2f}"
    expect(page.locator("[data-test=liability-total]")).to_contain_text(total)
    line = page.locator("[data-test=liability-lines] tr", has_text=name)
    line.wait_for()
    console.shot("liability")


def test_a_cashier_redeems_a_coupon_at_the_counter_sees_it_used_and_reverses_it(site: Site, console: Screens) -> None:
    member = new_member(site, "钱多券")
    name = f"满100减20·{secrets.token_hex(2)}"
    made = template(site, name)
    coupon = issue(site, made["template_id"], member["member_id"])
    page = log_in(console, site, "cashier")  # the demo cashier, at SH-001
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(member_code(site, member["phone"]))  # scanned: the member is there
    page.get_by_role("button", name="搜索").click()
    cards = page.locator("[data-test=counter-coupons]")
    held_now = site.api("GET", f"/v1/members/{member['member_id']}/coupons?status=available")["items"]
    available = len(held_now)  # a gift on joining, maybe, beside the one issued here
    expect(cards.locator("[data-test=counter-coupon-count]")).to_contain_text(f"可用 {available} 张")
    cards.locator("[data-test=available-coupons]").get_by_text(name).wait_for()
    assert unlabelled_inputs(page) == []

    page.get_by_label("订单金额（元）").fill("80")  # below the threshold: not usable, and why
    page.locator("[data-test=coupon-check]").click()
    fit = site.api(
        "POST",
        "/v1/coupons/eligibility",
        {"member_id": member["member_id"], "order": {"store_id": "SH-001", "total_fen": 8000}},
    )
    (why,) = [item for item in fit["unusable"] if item["code"] == coupon["code"]]
    cards.get_by_text(f"不可用的券（{len(fit['unusable'])} 张）").click()
    cards.locator("[data-test=unusable-coupons] tr", has_text=name).get_by_text(why["reason_text"]).wait_for()
    assert cards.locator("[data-test=usable-coupons] tr", has_text=name).count() == 0
    console.shot("counter-unusable")

    page.get_by_label("订单金额（元）").fill("128")
    page.locator("[data-test=coupon-check]").click()
    usable = cards.locator("[data-test=usable-coupons] tr", has_text=name)
    expect(usable).to_contain_text("−¥20.00")
    order_id = page.get_by_label("核销单号").input_value()
    assert order_id.startswith("POS-")
    console.shot("counter-usable")
    usable.get_by_role("button", name="核销").click()
    page.get_by_text(f"已核销「{name}」").wait_for()

    lookup = page.locator("[data-test=coupon-lookup]")  # the coupon just redeemed is looked up at once
    expect(lookup.locator("[data-test=lookup-status]")).to_have_text("已使用")
    expect(lookup.locator("[data-test=lookup-redemption]")).to_contain_text(f"{order_id} · 上海静安旗舰店")
    expect(lookup.locator("[data-test=lookup-member]")).to_contain_text("钱多券 · 139****")  # whose, by name
    held = site.api("GET", f"/v1/coupons/{coupon['code']}")["coupon"]
    assert held["status"] == "used"
    assert (held["redemption"]["order_id"], held["redemption"]["store_id"]) == (order_id, "SH-001")
    assert held["redemption"]["discount_fen"] == 2000
    expect(cards.locator("[data-test=counter-coupon-count]")).to_contain_text(f"可用 {available - 1} 张")
    expect(cards.locator("[data-test=on-order]")).to_contain_text("合计优惠 ¥20.00")  # what comes off the bill
    sale = page.locator("[data-test=counter-purchase]")  # the rest of the sale: what is left to pay, filled in
    expect(sale.get_by_label("实付金额（元）")).to_have_value("108.00")
    expect(sale.get_by_label("订单原价（元）")).to_have_value("128.00")
    expect(page.get_by_label("支付金额（元）")).to_have_value("108.00")
    expect(sale).to_contain_text(f"订单 {order_id}")
    console.shot("counter-redeemed")

    lookup.get_by_text("核销有误，撤销").click()
    lookup.locator("[data-test=reverse]").click()
    page.get_by_role("dialog").get_by_role("button", name="撤销核销").click()
    expect(lookup.locator("[data-test=lookup-status]")).to_have_text("可用")
    assert site.api("GET", f"/v1/coupons/{coupon['code']}")["coupon"]["status"] == "available"
    expect(cards.locator("[data-test=on-order]")).to_have_count(0)  # given back: off the order
    expect(cards.locator("[data-test=usable-coupons] tr", has_text=name)).to_contain_text("−¥20.00")  # usable again
    lookup.locator("[data-test=lookup-history]").get_by_text("核销", exact=True).wait_for()  # every change kept
    console.shot("counter-reversed")

    page.get_by_label("订单金额（元）").fill("80")  # in English, a reason is a sentence: whole, never cut off
    page.get_by_role("button", name="English").click()
    page.locator("[data-test=coupon-check]").click()
    order = {"member_id": member["member_id"], "order": {"store_id": "SH-001", "total_fen": 8000}}
    fit = site.api("POST", "/v1/coupons/eligibility", order, **{"Accept-Language": "en"})
    (why,) = [item for item in fit["unusable"] if item["code"] == coupon["code"]]
    tag = cards.locator("[data-test=unusable-coupons] tr", has_text=name).locator("[data-test=why-not]")
    expect(tag).to_have_text(why["reason_text"])
    if not tag.is_visible():
        cards.locator(".unusable .el-collapse-item__header").click()
    expect(tag).to_be_visible()
    whole = "el => el.scrollWidth <= el.clientWidth && el.getBoundingClientRect().right <= el.closest('td').getBoundingClientRect().right"  # noqa: E501
    assert tag.evaluate(whole)
    console.shot("counter-unusable-english")
    page.get_by_role("button", name="中文").click()


def test_a_free_drink_coupon_is_made_with_its_price_and_redeemed_at_the_counter_on_the_item_it_gives(
    site: Site, console: Screens
) -> None:
    """兑换券 at a tea shop (found by a walkthrough): marketing names the item members read and must give its price,
    which the liability counts; at the counter the order's lines hold the item, so the voucher is usable (without
    them it never was) and takes the item's price off."""
    page = log_in(console, site)
    page.locator("[data-menu=coupons]").click()
    name = f"招牌奶茶兑换券·{secrets.token_hex(2)}"
    sku = f"TEA-{secrets.token_hex(3).upper()}"
    page.locator("[data-test=template-create]").click()
    dialog = page.get_by_role("dialog", name="新建券模板")
    dialog.get_by_label("名称", exact=True).fill(name)
    dialog.locator("[data-test=tpl-kind]").get_by_text("兑换券").click()
    dialog.get_by_label("兑换商品 SKU").fill(sku)
    dialog.get_by_label("兑换商品名称").fill("招牌奶茶一杯")
    dialog.get_by_label("有效天数").fill("30")
    assert unlabelled_inputs(page) == []
    page.locator("[data-test=template-save]").click()
    dialog.get_by_text("请输入金额").first.wait_for()  # no price: finance could not count it
    dialog.get_by_label("记账面值（元）").fill("18")
    page.locator("[data-test=template-save]").click()
    row = page.locator("[data-test=templates] tr", has_text=name)
    expect(row.locator("[data-test=template-rules]")).to_contain_text(f"兑换商品 招牌奶茶一杯（{sku}）")
    listed = site.api("GET", "/v1/coupons/templates?status=issuing&limit=200")["items"]
    (made,) = [item for item in listed if item["name"] == name]
    assert (made["exchange_sku"], made["exchange_name"], made["face_value_fen"]) == (sku, "招牌奶茶一杯", 1800)

    member = new_member(site, "奶茶控")
    coupon = issue(site, made["template_id"], member["member_id"])
    page.get_by_role("button", name="退出登录").click()
    page = log_in(console, site, "cashier")
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(member_code(site, member["phone"]))  # scanned: the member is there
    page.get_by_role("button", name="搜索").click()
    cards = page.locator("[data-test=counter-coupons]")
    page.get_by_label("订单金额（元）").fill("30")
    cards.locator("[data-test=coupon-check]").click()
    cards.get_by_text("不可用的券").click()
    expect(cards.locator("[data-test=unusable-coupons] tr", has_text=name)).to_contain_text("订单中没有可兑换商品")
    cards.locator("[data-test=coupon-add-item]").click()  # the order by its lines: the tea and a cake
    cards.get_by_label("商品编码 1").fill(sku)
    cards.get_by_label("金额（元） 1").fill("18")
    cards.locator("[data-test=coupon-add-item]").click()
    cards.get_by_label("商品编码 2").fill("CAKE-01")
    cards.get_by_label("金额（元） 2").fill("12")
    expect(page.get_by_label("订单金额（元）")).to_have_value("30.00")  # the lines' total
    assert unlabelled_inputs(page) == []
    cards.locator("[data-test=coupon-check]").click()
    usable = cards.locator("[data-test=usable-coupons] tr", has_text=name)
    expect(usable).to_contain_text("−¥18.00")
    console.shot("counter-exchange")
    usable.get_by_role("button", name="核销").click()
    page.get_by_text(f"已核销「{name}」").wait_for()
    held = site.api("GET", f"/v1/coupons/{coupon['code']}")["coupon"]
    assert (held["status"], held["redemption"]["discount_fen"]) == ("used", 1800)

    thirsty = new_member(site, "只要一杯")  # the free drink alone: nothing to pay, and the sale is still recorded
    issue(site, made["template_id"], thirsty["member_id"])
    page.goto(f"{site.base}/console/#/counter")
    page.get_by_label("查找会员").fill(member_code(site, thirsty["phone"]))
    page.get_by_role("button", name="搜索").click()
    cards.locator("[data-test=coupon-add-item]").click()
    cards.get_by_label("商品编码 1").fill(sku)
    cards.get_by_label("金额（元） 1").fill("18")
    cards.locator("[data-test=coupon-check]").click()
    cards.locator("[data-test=usable-coupons] tr", has_text=name).get_by_role("button", name="核销").click()
    page.get_by_text(f"已核销「{name}」").last.wait_for()  # the first member's may still show
    expect(page.get_by_label("实付金额（元）")).to_have_value("0.00")
    page.locator("[data-test=record-purchase]").click()  # a tea chain's walkthrough read 金额必须大于 0 here
    page.get_by_text("已记账，获得 0 积分").wait_for()
    (sale,) = site.api("GET", f"/v1/members/{thirsty['member_id']}/purchases")["items"]
    assert (sale["paid_fen"], sale["total_fen"]) == (0, 1800)


def test_a_bulk_issue_makes_codes_to_download_and_issues_to_a_csv_of_members(
    site: Site, console: Screens, tmp_path: Any
) -> None:
    made = template(site, f"印刷券·{secrets.token_hex(2)}", stock=100)
    page = log_in(console, site)
    page.locator("[data-menu=coupons]").click()
    page.locator(f"[data-test=batch-{made['template_id']}]").click()
    dialog = page.get_by_role("dialog", name=f"批量发券：{made['name']}")
    dialog.get_by_label("数量").fill("30")
    dialog.locator("[data-test=batch-start]").click()
    expect(dialog.locator("[data-test=batch-tally-issued]")).to_have_text("30")
    with page.expect_download() as download:
        dialog.locator("[data-test=batch-download]").click()
    codes = download.value.path().read_text().split()
    assert (codes[0], len(set(codes[1:]))) == ("code", 30)
    console.shot("codes-batch")
    dialog.locator("[data-test=batch-start]").click()  # 完成

    page.locator(f"[data-test=batch-{made['template_id']}]").click()
    dialog = page.get_by_role("dialog", name=f"批量发券：{made['name']}")
    dialog.locator("[data-test=batch-kind]").get_by_text("导入会员名单").click()
    csv = tmp_path / "members.csv"
    csv.write_text(f"phone\n{DEMO_PHONE}\n13999999999\n")
    dialog.locator("[data-test=batch-file]").set_input_files(str(csv))
    dialog.locator("[data-test=batch-start]").click()
    expect(dialog.locator("[data-test=batch-tally-issued]")).to_have_text("1")
    expect(dialog.locator("[data-test=batch-tally-unknown-member]")).to_have_text("1")
    console.shot("members-batch")
    owned = site.api("GET", f"/v1/members/{demo_member(site)['member_id']}/coupons?limit=200")["items"]
    assert made["template_id"] in {coupon["template_id"] for coupon in owned}
