"""品类与品牌名称 in a real browser: marketing names a category the tills send as a code, and the platform reads the
name (a bakery's walkthrough read bread and coffee as codes, nameable only by a redeploy)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Screens, Site
from tests.browser.test_console_members import staff_account
from tests.browser.test_console_shell import log_in, unlabelled_inputs


def test_marketing_names_a_category_and_its_code_reads_as_the_name(site: Site, console: Screens) -> None:
    page = log_in(console, site, staff_account(site, ["marketing"], []))
    page.goto(f"{site.base}/console/#/catalog")
    expect(page).to_have_title("品类与品牌名称 · 会员管理后台")
    codes = page.locator("input[data-test=catalog-code]")
    expect(codes.first).to_be_visible()
    assert "tops" in [codes.nth(n).input_value() for n in range(codes.count())]  # the demo's, as the stack names them
    assert unlabelled_inputs(page) == []
    page.locator("[data-test=catalog-add]").click()
    rows = codes.count()
    codes.nth(rows - 1).fill("tops")  # a code named twice: said before saving
    page.locator("[data-test=catalog-save]").click()
    expect(page.get_by_text("编码重复")).to_be_visible()
    codes.nth(rows - 1).fill("bread")
    page.locator("input[data-test=catalog-zh]").nth(rows - 1).fill("面包")
    page.locator("[data-test=catalog-save]").click()
    expect(page.get_by_text("已保存，各处一分钟内生效")).to_be_visible()
    named = site.api("GET", "/v1/catalog/names")["categories"]
    assert named["bread"] == {"zh": "面包", "en": ""}
    assert named["tops"]["zh"] == "上衣"  # the others kept
    console.shot("catalog")  # docs/screenshots/console-catalog.png
    page.get_by_role("button", name="退出登录").click()
