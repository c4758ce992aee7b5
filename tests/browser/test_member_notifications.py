"""The member pages' messages on a 375-pixel phone: the demo member finds the unread count on 我的, reads a message in
the inbox (the count drops), marks the rest read, switches marketing SMS on beside the consent wording (its version
recorded) and off again, and sees both in the consent history; an unsubscribe link from a marketing email, opened
without logging in, says what it withdraws and withdraws it once confirmed."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from chalicelib.notifications import profiles
from chalicelib.shared import pagination
from tests.browser.conftest import Screens, Site
from tests.browser.test_console_members import top_up
from tests.browser.test_console_notifications import eventually
from tests.browser.test_member_pages import check_screen, me_api, open_as
from tests.http import send


def demo_tokens(site: Site) -> dict[str, Any]:
    status, tokens = send("POST", f"{site.base}/v1/auth/member-token", site.credentials["member"])
    assert status == 200, tokens
    return dict(tokens)


def consent(preferences: dict[str, Any], channel: str, purpose: str) -> dict[str, Any]:
    return next(c for c in preferences["consents"] if (c["channel"], c["purpose"]) == (channel, purpose))


def test_the_demo_member_reads_the_inbox_and_switches_marketing_sms_on_and_off(site: Site, mobile: Screens) -> None:
    tokens = demo_tokens(site)
    token = tokens["access_token"]
    member_id = me_api(site, token)["member_id"]
    before = me_api(site, token, "/v1/me/inbox")["unread"]
    for _ in range(2):
        top_up(site, member_id, 10_000)  # a receipt each, in the inbox too
    eventually(lambda: me_api(site, token, "/v1/me/inbox"), lambda found: found["unread"] >= before + 2)
    site.quiet()  # the demo's own events may still be landing
    inbox = me_api(site, token, "/v1/me/inbox")
    unread = inbox["unread"]

    page = open_as(mobile, site, tokens, "/me")
    expect(page.locator("[data-test=me-unread]")).to_have_text(str(unread) if unread < 100 else "99+")
    page.locator("[data-test=me-inbox]").click()
    expect(page.locator("[data-test=inbox-unread]")).to_have_text(f"{unread} 条未读")
    newest = page.locator("[data-test=inbox-item]").first
    expect(newest).to_contain_text(inbox["items"][0]["title"])
    expect(newest.locator("[data-test=unread-dot]")).to_have_count(1)
    check_screen(mobile, "消息中心", "inbox")

    with page.expect_response(lambda answer: answer.url.endswith("/read") and answer.request.method == "POST") as told:
        newest.click()  # read: its text in full, the dot gone, the count one less, at once (the API confirms)
    expect(newest.locator("[data-test=unread-dot]")).to_have_count(0)
    expect(page.locator("[data-test=inbox-unread]")).to_have_text(f"{unread - 1} 条未读")
    clicked = told.value.json()
    assert (told.value.status, clicked["message_id"], bool(clicked["read_at"])) == (
        200,
        inbox["items"][0]["message_id"],
        True,
    )
    read = me_api(site, token, "/v1/me/inbox")  # after the page's request was answered: the screen did not run ahead
    assert read["unread"] == unread - 1
    opened = {item["message_id"] for item in read["items"] if item["read_at"]}
    assert opened - {item["message_id"] for item in inbox["items"] if item["read_at"]} == {clicked["message_id"]}
    mobile.shot("inbox-read-one")
    page.locator("[data-test=read-all]").click()
    expect(page.locator("[data-test=inbox-unread]")).to_have_text("0 条未读")
    expect(page.locator("[data-test=unread-dot]")).to_have_count(0)
    assert me_api(site, token, "/v1/me/inbox")["unread"] == 0
    newest.locator("[data-test=inbox-go]").click()  # an opened receipt links to what it is about: the wallet
    expect(page).to_have_title("储值钱包 · 会员中心")
    page.go_back()

    page.locator("[data-test=go-settings]").click()
    preferences = me_api(site, token, "/v1/me/message-preferences")
    wording = page.locator("[data-test=wording]")
    expect(wording).to_contain_text(preferences["wording"]["text"])
    expect(wording).to_contain_text(preferences["wording"]["version"])
    sms = page.get_by_role("switch", name="短信营销消息")
    expect(sms).to_have_attribute("aria-checked", "false")
    expect(page.get_by_role("switch", name="短信服务通知")).to_have_attribute("aria-checked", "true")  # on by default
    check_screen(mobile, "消息设置", "message-settings")

    sms.click()
    expect(sms).to_have_attribute("aria-checked", "true")
    granted = consent(me_api(site, token, "/v1/me/message-preferences"), "sms", "marketing")
    assert (granted["granted"], granted["source"]) == (True, "member-page")
    assert granted["wording_version"] == preferences["wording"]["version"]  # the wording shown is the proof
    mobile.shot("message-settings-marketing-sms-on")
    page.get_by_text("已开启短信营销消息").wait_for(state="hidden")
    sms.click()
    expect(sms).to_have_attribute("aria-checked", "false")
    assert consent(me_api(site, token, "/v1/me/message-preferences"), "sms", "marketing")["granted"] is False

    page.locator("[data-test=go-history]").click()
    rows = page.locator("[data-test=history-row]")
    expect(rows.first).to_contain_text("短信营销消息")
    expect(rows.first).to_contain_text("关闭")
    expect(rows.nth(1)).to_contain_text("开启")
    expect(rows.nth(1)).to_contain_text(f"说明版本 {preferences['wording']['version']}")
    history = me_api(site, token, "/v1/me/consent-history")["items"]
    expect(rows).to_have_count(len(history))
    check_screen(mobile, "授权记录", "consent-history")


def test_an_unsubscribe_link_withdraws_marketing_email_without_logging_in(
    site: Site, mobile: Screens, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = demo_tokens(site)
    token = tokens["access_token"]
    member_id = me_api(site, token)["member_id"]
    version = me_api(site, token, "/v1/me/message-preferences")["wording"]["version"]
    body = {"consents": [{"channel": "email", "purpose": "marketing", "granted": True}], "wording_version": version}
    status, answer = send("PATCH", f"{site.base}/v1/me/message-preferences", body, token=token)
    assert status == 200, answer
    secret = json.loads((site.local_dir / "secrets.json").read_text())["cursor_secret"]  # the stack's own
    monkeypatch.setattr(pagination, "get_settings", lambda: SimpleNamespace(cursor_secret=secret))  # links sign so
    link = profiles.unsubscribe_token(member_id, "email")

    page = mobile.page  # no session: the link is opened from a mail client
    page.goto(f"{site.base}/m/#/unsubscribe?token={link}")
    expect(page.locator("[data-test=unsubscribe-what]")).to_have_text("营销邮件")
    page.get_by_text("确认退订营销邮件？").wait_for()
    check_screen(mobile, "退订", "unsubscribe")
    page.locator("[data-test=unsubscribe-confirm]").click()
    expect(page.locator("[data-test=unsubscribe-done]")).to_have_text("已退订")
    preferences = me_api(site, token, "/v1/me/message-preferences")
    withdrawn = consent(preferences, "email", "marketing")
    assert (withdrawn["granted"], withdrawn["source"]) == (False, "unsubscribe-link")
    check_screen(mobile, "退订", "unsubscribed")

    page.reload()  # the link again: already done
    expect(page.locator("[data-test=unsubscribe-what]")).to_have_text("您已退订营销邮件")
    page.goto(f"{site.base}/m/#/unsubscribe?token=not-a-link")
    expect(page.locator("[data-test=unsubscribe-failed]")).to_contain_text("退订链接无效")
    mobile.shot("unsubscribe-bad-link")
