"""门店流水: a store closes its day from the console (found by a finance walkthrough: no screen listed a store's
sales, and nothing said which cashier rang each up)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from chalicelib.shared.clock import business_date
from tests.browser.conftest import Screens, Site, choose
from tests.browser.test_console_members import member_code, new_member, staff_account
from tests.browser.test_console_shell import log_in, unlabelled_inputs


def test_a_store_manager_reads_the_days_sales_by_method_and_cashier_and_downloads_them(
    site: Site, console: Screens
) -> None:
    cashier = staff_account(site, ["cashier"], ["SH-001"])
    member = new_member(site, "流水会员")
    orders = {method: f"J-{secrets.token_hex(4)}" for method in ("cash", "wechat_pay")}
    for (method, order_id), paid in zip(orders.items(), (12000, 8000), strict=True):
        sale = {"order_id": order_id, "store_id": "SH-001", "total_fen": paid, "paid_fen": paid,
                "payment_method": method}  # fmt: skip
        site.api("POST", f"/v1/members/{member['member_id']}/purchases", sale, who=cashier)
    top_up = {"store_id": "SH-001", "order_id": f"JT-{secrets.token_hex(4)}", "amount_fen": 30000,
              "payment_method": "wechat_pay"}  # fmt: skip
    site.api("POST", f"/v1/members/{member['member_id']}/wallet/top-ups", top_up, who=cashier)
    withdrawal = {"store_id": "SH-001", "amount_fen": 2000, "reason": "退部分余额"}  # principal paid out in cash
    site.api("POST", f"/v1/members/{member['member_id']}/wallet/cash-refunds", withdrawal)
    mixed = f"J-{secrets.token_hex(4)}"  # part from the wallet, the rest in cash (a walkthrough: the drawer's cash
    payment = {"store_id": "SH-001", "amount_fen": 5000, "order_id": mixed,  # could not be told from 组合支付)
               "member_code": member_code(site, member["phone"])}  # fmt: skip
    site.api("POST", f"/v1/members/{member['member_id']}/wallet/payments", payment, who=cashier)
    sale = {"order_id": mixed, "store_id": "SH-001", "total_fen": 18000, "paid_fen": 18000,
            "payment_method": "mixed", "other_method": "cash"}  # fmt: skip
    site.api("POST", f"/v1/members/{member['member_id']}/purchases", sale, who=cashier)
    page = log_in(console, site, staff_account(site, ["store_manager"], ["SH-001"]))
    page.locator("[data-menu=store-sales]").click()
    rows = page.locator("[data-test=sales] tbody tr")
    cash = rows.filter(has_text=orders["cash"])
    expect(cash).to_contain_text("¥120.00")
    expect(cash).to_contain_text("现金")
    expect(cash.locator("[data-test=sale-recorder]")).to_have_text("员工 测试cashier")  # who rang it up
    whose = f"流水会员 · {member['member_no']}"  # by name, not a bare link (a walkthrough)
    expect(cash.locator("[data-test=sale-member]")).to_have_text(whose)
    expect(page.locator("[data-test=sales-by-method]")).to_contain_text("微信支付")
    expect(rows.filter(has_text=mixed).locator("[data-test=sale-method]")).to_have_text("组合支付（储值+现金）")
    expect(page.locator("[data-test=sales-by-method]")).to_contain_text("组合支付（储值+现金） 1 笔")
    expect(page.locator("[data-test=sales-totals]")).to_contain_text("合计")
    assert unlabelled_inputs(page) == []
    console.shot("store-sales")
    choose(page, page.get_by_role("combobox", name="支付方式"), "微信支付")
    expect(rows.filter(has_text=orders["wechat_pay"])).to_contain_text("¥80.00")
    expect(rows.filter(has_text=orders["cash"])).to_have_count(0)  # the chosen method only, and its totals
    expect(page.locator("[data-test=sales-by-method]")).not_to_contain_text("现金")
    with page.expect_download() as saved:
        page.locator("[data-test=sales-download]").click()
    text = saved.value.path().read_text(encoding="utf-8-sig")
    assert orders["wechat_pay"] in text
    assert orders["cash"] not in text
    assert "员工 测试cashier" in text
    assert whose in text  # the file names the member too (it held a bare `mb_` id)

    page.get_by_role("tab", name="储值流水").click()  # the stored value taken at the till, line by line (two
    journal = page.locator("[data-test=wallet-journal] tbody tr")  # walkthroughs: no way to reconcile top-ups)
    for _ in range(50):  # the journal follows the top-up's event
        if journal.filter(has_text=top_up["order_id"]).count():
            break
        page.get_by_role("button", name="刷新").click()
        page.wait_for_timeout(200)
    line = journal.filter(has_text=top_up["order_id"])
    expect(line).to_contain_text("充值")
    expect(line).to_contain_text("+¥300.00")
    expect(line).to_contain_text("微信支付")
    expect(line.locator("[data-test=journal-recorder]")).to_have_text("员工 测试cashier")
    expect(line.locator("[data-test=sale-member]")).to_have_text(whose)
    expect(page.locator("[data-test=wallet-top-ups-by-method]")).to_contain_text("微信支付")
    day = business_date(datetime.now(UTC), ZoneInfo("Asia/Shanghai")).isoformat()  # the day's balance refunds here:
    rows, cursor = [], ""  # the cash paid out, and the bonus forfeited beside it (a salon counted both as cash)
    while True:
        page_of = site.api("GET", f"/v1/stores/SH-001/wallet/journal?from={day}&to={day}&limit=100{cursor}")
        rows += [row for row in page_of["items"] if row["kind"] == "cash-refund"]
        if not page_of.get("next_cursor"):
            break
        cursor = f"&cursor={page_of['next_cursor']}"
    cash, bonus = -sum(row["principal_fen"] for row in rows), -sum(row["bonus_fen"] for row in rows)
    said = f"退余额付现 {len(rows)} 笔 · 付现 ¥{cash / 100:,.2f}" + (
        f"（另作废赠送金 ¥{bonus / 100:,.2f}）" if bonus else ""
    )
    expect(page.locator("[data-test=wallet-kind-cash-refund]")).to_contain_text(said)
    expect(page.locator("[data-test=wallet-kind-top-up]")).to_contain_text(
        re.compile(r"笔 · \+¥[\d,]+\.\d\d")
    )  # signed
    totals = page.locator("[data-test=wallet-totals]")
    expect(totals).to_contain_text("存入会员储值")  # not 收入: a refund back to a wallet is no takings
    assert unlabelled_inputs(page) == []
    console.shot("store-wallet-journal")

    plan = next(p for p in site.api("GET", "/v1/membership/plans")["items"] if p["on_sale"])  # 开卡 at the counter
    card_sale = {"plan_id": plan["plan_id"], "store_id": "SH-001", "order_id": f"JC-{secrets.token_hex(4)}",
                 "amount_fen": plan["price_fen"], "payment_method": "cash"}  # fmt: skip
    site.api("POST", f"/v1/members/{member['member_id']}/cards", card_sale, who=cashier)
    page.get_by_role("tab", name="会员卡流水").click()  # the card money the drawer holds (a review: in no journal)
    cards = page.locator("[data-test=card-journal] tbody tr")
    for _ in range(50):  # the journal follows the sale's event
        if cards.filter(has_text=card_sale["order_id"]).count():
            break
        page.get_by_role("button", name="刷新").click()
        page.wait_for_timeout(200)
    sold = cards.filter(has_text=card_sale["order_id"])
    expect(sold).to_contain_text("开卡/续卡")
    expect(sold).to_contain_text(plan["name"])
    expect(sold).to_contain_text(f"+¥{plan['price_fen'] / 100:,.2f}")
    expect(sold.locator("[data-test=card-method]")).to_have_text("现金")
    expect(sold.locator("[data-test=card-coupon]")).to_have_text("—")  # no coupon on its order
    expect(page.locator("[data-test=cards-by-method]")).to_contain_text("现金 1 笔")
    console.shot("store-card-journal")

    beijing = staff_account(site, ["store_manager"], ["BJ-001"])  # gives money back on a Shanghai sale at its till
    refund = {"amount_fen": 2000}
    site.api("POST", f"/v1/members/{member['member_id']}/purchases/{orders['cash']}/refunds", refund, who=beijing)
    page.get_by_role("button", name="退出登录").click()
    page = log_in(console, site, beijing)
    page.locator("[data-menu=store-sales]").click()
    given = page.locator("[data-test=till-refunds] tbody tr", has_text=orders["cash"])  # (an owner's walkthrough:
    expect(given).to_contain_text("SH-001")  # it showed only in Shanghai's day, naming no one)
    expect(given).to_contain_text("¥20.00")
    expect(given.locator("[data-test=till-refund-by]")).to_have_text("员工 测试store_manager")
