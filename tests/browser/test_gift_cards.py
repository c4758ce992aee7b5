"""Gift cards (礼品卡) in a real browser: finance makes a batch and downloads its numbers and PINs for the printer, a
cashier checks and sells two cards at the till, a member binds one on the wallet page and spends nothing to see it
in their stored value, and finance reads what the cards sold and not bound hold, on the batch and in the liability."""

from __future__ import annotations

import csv
import io
import secrets

from playwright.sync_api import expect

from tests.browser.conftest import Screens, Site, choose
from tests.browser.test_console_members import staff_account
from tests.browser.test_console_shell import log_in, unlabelled_inputs
from tests.browser.test_member_pages import check_screen, me_api, member_tokens, open_as


def test_finance_prints_a_batch_a_cashier_sells_two_cards_and_a_member_binds_one(
    site: Site, console: Screens, mobile: Screens
) -> None:
    name = f"春节礼品卡·{secrets.token_hex(2)}"
    page = log_in(console, site, staff_account(site, ["finance"], []))
    page.goto(f"{site.base}/console/#/gift-cards")
    expect(page).to_have_title("礼品卡 · 会员管理后台")
    page.locator("[data-test=batch-create]").click()
    dialog = page.get_by_role("dialog", name="新建批次")
    dialog.get_by_label("批次名称").fill(name)
    dialog.get_by_label("面值（元）").fill("2000")  # above an anonymous card's ¥1,000: said before sending
    dialog.get_by_label("数量（张）").fill("3")
    dialog.get_by_label("面值（元）").blur()
    expect(dialog).to_contain_text("不记名卡单张面值不超过 1,000 元")
    dialog.get_by_label("面值（元）").fill("200")
    assert unlabelled_inputs(page) == []
    page.locator("[data-test=batch-save]").click()
    row = page.locator("[data-test=gift-card-batches] tr", has_text=name)
    expect(row.locator("[data-cell=sold]")).to_have_text("0")
    expect(row).to_contain_text("¥200.00")
    (batch,) = [b for b in site.api("GET", "/v1/gift-cards/batches")["items"] if b["name"] == name]
    with page.expect_download() as downloading:
        page.locator(f"[data-test=batch-codes-{batch['batch_id']}]").click()
    table = list(csv.reader(io.StringIO(downloading.value.path().read_bytes().decode("utf-8-sig"))))
    assert table[0][:2] == ["卡号 number", "卡密 PIN"]
    cards = [(row[0], row[1]) for row in table[1:]]
    assert len(cards) == 3
    assert all(len(number.replace(" ", "")) == 16 and len(pin) == 8 for number, pin in cards)
    console.shot("gift-card-batches")  # docs/screenshots/console-gift-cards.png
    page.get_by_role("button", name="退出登录").click()

    page = log_in(console, site, staff_account(site, ["cashier"], ["SH-001"]))
    page.goto(f"{site.base}/console/#/gift-card-sales")
    expect(page).to_have_title("售卖礼品卡 · 会员管理后台")
    (first, first_pin), (second, _), (third, _) = cards
    mistyped = third.replace(" ", "")[:-1] + str((int(third[-1]) + 1) % 10)
    page.get_by_label("卡号").first.fill(f"{first}\n{second}\n{mistyped}")  # scanned as printed; one mistyped
    page.get_by_role("button", name="核对卡片").click()
    checked = page.locator("[data-test=gc-checked]")
    expect(checked.locator("[data-cell=problem]")).to_have_text(["✓", "✓", "卡号有误（校验位不符）"])
    expect(page.locator("[data-test=gc-sell]")).to_be_disabled()  # not while a card cannot be sold
    page.get_by_label("卡号").first.fill(f"{first}\n{second}")
    page.get_by_role("button", name="核对卡片").click()
    expect(page.locator("[data-test=gc-total]")).to_have_text("合计 2 张，应收 ¥400.00")
    page.locator("[data-test=gc-method]").get_by_text("现金").click()
    order_id = f"POS-RECEIPT-{secrets.token_hex(3)}"  # the till receipt's number, typed to match them
    page.get_by_label("订单号").fill(order_id)
    page.locator("[data-test=gc-sell]").click()
    page.get_by_role("dialog").get_by_role("button", name="确认售卡").click()
    expect(page.locator("[data-test=gc-sold]")).to_contain_text("已售出 2 张，收款 ¥400.00")
    sold = site.api("GET", f"/v1/gift-cards/{first.replace(' ', '')}")
    assert (sold["status"], sold["store_id"], sold["order_id"], sold["payment_method"]) == (
        "active", "SH-001", order_id, "cash")  # fmt: skip
    page.get_by_label("卡号").first.fill(first)  # the same card again: refused before any sale
    page.get_by_role("button", name="核对卡片").click()
    expect(page.locator("[data-test=gc-checked] [data-cell=problem]")).to_have_text(["已售出"])
    page.locator("[data-test=gc-lookup]").fill(first)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("[data-test=gc-found] [data-cell=status]")).to_have_text("已售未绑定")
    expect(page.locator("[data-test=gc-found] [data-cell=balance]")).to_have_text("¥200.00")
    console.shot("gift-card-sale")  # docs/screenshots/console-gift-card-sale.png
    page.get_by_role("button", name="退出登录").click()

    tokens = member_tokens(site, "13700000931")
    before = me_api(site, tokens["access_token"], "/v1/me/wallet")["principal_fen"]
    phone = open_as(mobile, site, tokens, "/wallet")
    phone.locator("[data-test=gift-card-number] input").fill(mistyped)  # said at once, and no try spent on it
    phone.locator("[data-test=gift-card-pin] input").fill(first_pin)
    phone.locator("[data-test=gift-card-submit]").click()
    expect(phone.locator("[data-test=gift-card-form]")).to_contain_text("卡号有误")
    phone.locator("[data-test=gift-card-number] input").fill(first)
    phone.locator("[data-test=gift-card-pin] input").fill("0" * 8 if first_pin != "0" * 8 else "1" * 8)
    phone.locator("[data-test=gift-card-submit]").click()
    expect(phone.locator("[data-test=gift-card-form]")).to_contain_text("卡号或卡密不正确")
    phone.locator("[data-test=gift-card-pin] input").fill(first_pin)
    phone.locator("[data-test=gift-card-submit]").click()
    expect(phone.locator("[data-test=wallet-principal]")).to_have_text(f"¥{(before + 20_000) / 100:.2f}")
    expect(phone.locator("[data-test=wallet-move]").first).to_contain_text(f"礼品卡充值·尾号 {first[-4:]}")
    phone.locator("[data-test=gift-card-number] input").fill(first)  # the same card again: said, not "added" again
    phone.locator("[data-test=gift-card-pin] input").fill(first_pin)
    phone.locator("[data-test=gift-card-submit]").click()
    expect(phone.get_by_text("这张卡已绑定到您的储值")).to_be_visible()
    expect(phone.locator("[data-test=wallet-principal]")).to_have_text(f"¥{(before + 20_000) / 100:.2f}")
    check_screen(mobile, "储值钱包", "wallet-gift-card")  # docs/screenshots/member-gift-card.png

    page = log_in(console, site, staff_account(site, ["finance"], []))
    page.goto(f"{site.base}/console/#/gift-cards")
    row = page.locator("[data-test=gift-card-batches] tr", has_text=name)
    expect(row.locator("[data-cell=redeemed]")).to_have_text("1")
    expect(row.locator("[data-cell=outstanding]")).to_have_text("¥200.00")  # one card sold and not bound
    page.locator("[data-test=gc-lookup]").fill(second)  # 延期: the card sold and not bound, renewed by finance
    page.get_by_role("button", name="查询").click()
    was = page.locator("[data-test=gc-found] [data-cell=valid-until]").inner_text()
    later = f"{int(was[:4]) + 1}{was[4:]}"
    page.get_by_label("延期至").fill(later)
    page.get_by_label("延期至").press("Enter")
    page.locator("[data-test=gc-extend]").click()
    expect(page.locator("[data-test=gc-found] [data-cell=valid-until]")).to_have_text(later)
    assert site.api("GET", f"/v1/gift-cards/{second.replace(' ', '')}")["valid_until"] == later
    page.locator("[data-test=gc-lookup]").fill(first)  # bound: nothing to extend
    page.get_by_role("button", name="查询").click()
    expect(page.locator("[data-test=gc-found] [data-cell=status]")).to_have_text("已绑定储值")
    expect(page.locator("[data-test=gc-extend]")).to_have_count(0)
    site.quiet()  # the statistics consumer has counted the sale and the binding
    owed = site.api("GET", "/v1/reports/liability")["gift_cards"]
    assert owed["value_fen"] >= 20_000  # the card sold and not bound, beside the demo's
    page.goto(f"{site.base}/console/#/reports")
    page.get_by_role("tab", name="负债").click()
    expect(page.locator("[data-figure=giftCards] .el-statistic__number")).to_have_text(
        f"{owed['value_fen'] / 100:,.2f}"
    )
    page.goto(f"{site.base}/console/#/store-sales")  # 礼品卡流水: the store closes its drawer with the card takings
    choose(page, page.locator("#sales-store"), "上海静安旗舰店")
    page.get_by_role("tab", name="礼品卡流水").click()
    sale = page.locator("[data-test=gift-card-journal] tr", has_text=order_id)
    expect(sale.locator("[data-cell=amount]")).to_have_text("¥400.00")
    expect(sale.locator("[data-cell=cards]")).to_have_text("2")
    expect(page.locator("[data-test=gift-cards-by-method]")).to_contain_text("现金")
    page.get_by_role("button", name="退出登录").click()
