"""The dashboard shows the figures the API keeps, to the unit, as numbers and charts."""

from __future__ import annotations

from datetime import datetime, timedelta

from playwright.sync_api import expect

from chalicelib.shared.settings import get_settings
from tests.browser.conftest import Screens, Site, choose
from tests.browser.test_console_shell import log_in, unlabelled_inputs

FIGURES = (
    "new_members",
    "purchases",
    "sales_fen",
    "points_issued",
    "points_redeemed",
    "points_expired",
    "points_deducted",
)


def shown(screens: Screens, key: str) -> float:
    text = screens.page.locator(f"[data-figure={key}] .el-statistic__number").inner_text()
    return float(text.replace(",", ""))


def test_the_dashboard_shows_what_the_api_counts(site: Site, console: Screens) -> None:
    today = datetime.now(get_settings().tz).date()  # the business day, as the console counts (not UTC's)
    site.quiet()  # the demo's events may still be landing
    daily, summary = (
        site.api("GET", f"/v1/stats/daily?from={today - timedelta(days=29)}&to={today}"),
        site.api("GET", "/v1/stats/summary") | {"as_of": None},
    )  # fmt: skip
    page = log_in(console, site)
    page.goto(f"{site.base}/console/#/dashboard")
    page.locator("[data-figure=members_total]").wait_for()
    page.locator("svg").first.wait_for()  # the charts are drawn (SVG renderer)
    expect(page).to_have_title("数据概览 · 会员管理后台")
    assert unlabelled_inputs(page) == []
    console.shot("dashboard")

    for key in FIGURES:
        expected = daily["totals"][key] / 100 if key.endswith("_fen") else daily["totals"][key]
        assert shown(console, key) == expected, key
    assert shown(console, "members_total") == summary["members_total"]
    totals = daily["totals"]  # what refunds gave back, beside the gross (a walkthrough: no refunds anywhere)
    net = f"¥{(totals['sales_fen'] - totals['refunded_fen']) / 100:,.2f}"  # grouped, as the figures are
    expect(page.locator("[data-figure=sales_fen] .note")).to_have_text(
        f"退款 {totals['refunds']} 笔 ¥{totals['refunded_fen'] / 100:,.2f}，净额 {net}")  # fmt: skip
    assert shown(console, "points_outstanding") == summary["points_outstanding"]
    assert shown(console, "wallet_float_fen") == summary["wallet_float_fen"]["total_fen"] / 100
    assert summary["members_total"] > 0, "the demo data gives the dashboard something to show"
    todo = page.locator("[data-test=todo]")  # 待办: each counted as its own list holds it, and opening it
    feedback = len(site.api("GET", "/v1/feedback?status=open&limit=100")["items"])
    expect(todo.locator("[data-todo=feedbackOpen] [data-test=todo-count]")).to_have_text(str(feedback))
    pickups = len(site.api("GET", "/v1/mall/orders?status=ready_for_pickup&limit=100")["items"])
    expect(todo.locator("[data-todo=pickupsWaiting] [data-test=todo-count]")).to_have_text(str(pickups))
    expect(todo.locator("[data-todo]")).to_have_count(5)  # an admin may open every list
    todo.locator("[data-todo=pickupsWaiting]").click()
    page.wait_for_url("**/#/mall/orders?status=ready_for_pickup")
    page.go_back()
    page.locator("[data-figure=members_total]").wait_for()
    expect(page.locator("[data-figure=points_redeemed] .note")).to_have_count(0)
    choose(page, page.get_by_label("门店"), "上海静安旗舰店")  # a store's redeemed: what its tills took
    expect(page.locator("[data-figure=points_redeemed] .note")).to_have_text("选门店时：在该店收银台兑换与抵现的积分")
    expect(page.locator("[data-figure=points_expired] .note")).to_have_text(
        "仅统计全连锁：会员积分不归属门店，选门店时为 0"
    )
    expect(page.locator("[data-figure=points_deducted] .note")).to_have_text("退款扣回与手动扣减")

    # The tests' browser asks for reduced motion, as a visitor's system can: the charts are drawn at once (each chart
    # says what ECharts was set to) and every transition ends at once. Asked for nothing, the charts animate and the
    # transitions take their time.
    transition = "parseFloat(getComputedStyle(document.querySelector('[data-test=logout]')).transitionDuration)"
    expect(page.locator("[data-animated]")).to_have_count(4)  # the four charts
    for chart in page.locator("[data-animated]").all():
        expect(chart).to_have_attribute("data-animated", "false")
    assert page.evaluate(transition) < 0.001  # seconds: ended at once
    page.emulate_media(reduced_motion="no-preference")
    page.reload()
    expect(page.locator("[data-animated=true]")).to_have_count(4)
    assert page.evaluate(transition) >= 0.05
