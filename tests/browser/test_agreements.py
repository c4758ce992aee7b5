"""The membership agreement and privacy policy in the browser: an administrator publishes a version in the back
office and reads a member's acceptances; a member who owes an acceptance is asked on the member pages until they
agree (or they log out)."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.conftest import Screens, Site
from tests.browser.test_console_config import open_screen, shot
from tests.browser.test_console_shell import log_in, unlabelled_inputs
from tests.browser.test_member_pages import check_screen, me_api, open_as
from tests.http import send


def current(site: Site) -> list[dict[str, int | str]]:
    return [{"kind": d["kind"], "version": d["version"]} for d in site.api("GET", "/v1/agreements")["items"]]


def test_an_administrator_publishes_a_correction_and_reads_a_members_acceptance(site: Site, console: Screens) -> None:
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    site.member_tokens(phone)  # joins on the member pages' terms
    member = site.api("POST", "/v1/members/lookup", {"phone": phone})
    page = log_in(console, site)
    open_screen(page, "agreements")
    expect(page.locator("[data-test=agreement-current-terms]")).to_contain_text("欢迎加入本品牌会员计划")
    shot(console, "agreements")
    before = site.api("GET", "/v1/agreements/terms/versions")["items"][0]["version"]
    page.locator("[data-test=agreement-publish-terms]").click()
    text = page.get_by_label("正文")
    assert "欢迎加入本品牌会员计划" in text.input_value()  # the current text, to edit
    text.fill(text.input_value().replace("客服热线：400-000-0000", "客服热线：400-000-0001"))
    page.get_by_label("更新要点").fill("更正客服热线号码\n\n")  # what changed, a point per line (blank ones dropped)
    page.locator("[data-test=agreement-requires] .el-switch__core").click()  # a correction: nobody asked again
    assert unlabelled_inputs(page) == []
    shot(console, "agreement-publish")
    page.locator("[data-test=agreement-save]").click()
    page.get_by_text(f"已发布会员协议第 {before + 1} 版").wait_for()
    newest = page.locator("[data-test=agreement-versions-terms] tbody tr").first
    expect(newest).to_contain_text("更正，无需重新同意")
    expect(newest).to_contain_text("更正客服热线号码")
    expect(page.locator("[data-test=agreement-changes-terms]")).to_contain_text("更正客服热线号码")
    assert site.api("GET", "/v1/agreements/terms/versions")["items"][0]["changes"] == ["更正客服热线号码"]
    expect(page.locator("[data-test=agreement-current-terms]")).to_contain_text("400-000-0001")

    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    proof = page.locator("[data-test=member-agreements]")
    expect(proof).to_contain_text("会员协议")
    expect(proof).to_contain_text("验证码登录时勾选")
    assert proof.locator("[data-test=agreement-due]").count() == 0  # a correction asks nobody again
    shot(console, "member-agreements")


def test_a_member_who_owes_a_new_version_is_asked_until_they_agree(site: Site, mobile: Screens) -> None:
    tokens = site.member_tokens(f"139{uuid.uuid4().int % 10**8:08d}")
    declining = site.member_tokens(f"139{uuid.uuid4().int % 10**8:08d}")
    privacy = next(d for d in site.api("GET", "/v1/agreements")["items"] if d["kind"] == "privacy")
    added = "七、新增：我们会在您同意后使用位置信息推荐附近门店。"
    said = "新增：经您同意后，用位置信息推荐附近门店"  # what changed, said before the text (a walkthrough)
    site.api("POST", "/v1/agreements", {"kind": "privacy", "title": "隐私政策",
                                        "paragraphs": [*privacy["paragraphs"], added], "changes": [said]})  # fmt: skip
    try:
        page = open_as(mobile, site, tokens, "/home")
        gate = page.locator("[data-test=agreement-gate]")
        gate.get_by_text("为继续使用会员服务，请阅读并同意以下内容").wait_for()
        expect(gate.locator("[data-test=agreement-changes-privacy]")).to_have_text(f"《隐私政策》本次更新要点{said}")
        gate.get_by_text("《隐私政策》", exact=True).click()
        gate.get_by_text("我们会在您同意后使用位置信息推荐附近门店").wait_for()
        check_screen(mobile, "首页", "agreement-gate")
        page.locator("[data-test=agreement-accept]").click()
        expect(gate).to_be_hidden()
        owed = me_api(site, tokens["access_token"], "/v1/me/agreements")
        assert owed["due"] == []
        assert owed["accepted"][0]["via"] == "member-pages"
        page.locator("[data-test=tab-me]").click()
        page.locator("[data-test=me-privacy]").click()
        page.locator("[data-test=agreement]").get_by_text("使用位置信息推荐附近门店").wait_for()
        terms = next(d for d in site.api("GET", "/v1/agreements")["items"] if d["kind"] == "terms")
        page.evaluate("location.hash = '#/agreements/terms'")  # from one document to the other (it kept the first)
        expect(page.locator("[data-test=agreement] h1")).to_have_text(terms["title"])
        expect(page.locator("[data-test=agreement]")).not_to_contain_text("使用位置信息推荐附近门店")

        page = open_as(mobile, site, declining, "/home")
        page.locator("[data-test=agreement-decline]").click()
        page.get_by_role("button", name="登录 / 注册").wait_for()  # logged out: back at the log-in
        status, _ = send("POST", f"{site.base}/v1/auth/refresh", {"refresh_token": declining["refresh_token"]})
        assert status == 401
    finally:  # the demo member, whom later tests log in as, accepts the new version too
        body = {**site.credentials["member"], "agreed": current(site)}
        status, answer = send("POST", f"{site.base}/v1/auth/member-token", body)
        assert status == 200, answer
