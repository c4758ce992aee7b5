"""The birthday gift on the screens: a gold member who records their birthday in its month is given no gift for it
(next year's: anyone could pick this month otherwise), and when the chain's till reports their birthday they find the
gift (the tier's birthday points) on the points page and a greeting in the inbox at once; the console shows the entry in
the member's points ledger and lists the monthly job that gives everyone else theirs on the first."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import expect

from chalicelib.shared.settings import get_settings
from tests.browser.conftest import Screens, Site
from tests.browser.test_console_notifications import eventually
from tests.browser.test_console_shell import log_in
from tests.browser.test_member_pages import me_api, member_tokens, open_as, partner, purchase
from tests.http import send

GOLD_BIRTHDAY_POINTS = 300  # the demo's (default) programme


def test_a_birthday_reported_in_its_month_brings_the_gift_and_a_greeting(
    site: Site, mobile: Screens, console: Screens
) -> None:
    phone = "13700000717"
    tokens = member_tokens(site, phone)
    token = tokens["access_token"]
    purchase(site, phone, "BIRTHDAY-GOLD-1", 3_000_00)  # gold, by the programme's yearly spend
    me = eventually(lambda: me_api(site, token), lambda found: found["tier"] == "gold")
    today = datetime.now(get_settings().tz).date()
    birthday = today.replace(year=1991, day=min(today.day, 28)).isoformat()  # this month: next year's gift
    headers = {"if-match": f'"{me["version"]}"', "content-type": "application/merge-patch+json"}
    status, _ = send("PATCH", f"{site.base}/v1/me", {"birthday": birthday}, headers=headers, token=token)
    assert status == 200
    now = datetime.now(get_settings().tz).isoformat()
    report = {
        "event_id": f"BD-{phone}-{today.year}",
        "kind": "birthday",
        "member": {"phone": phone},
        "occurred_at": now,
    }
    assert partner(site, "/v1/webhooks/activities", report)["points_awarded"] == GOLD_BIRTHDAY_POINTS  # the till's
    eventually(lambda: me_api(site, token, "/v1/me/inbox"),
               lambda inbox: any(item["title"] == "生日快乐" for item in inbox["items"]))  # fmt: skip

    page = open_as(mobile, site, tokens, "/points")
    gift = page.locator("[data-test=ledger] .entry", has_text="生日奖励")
    expect(gift).to_contain_text(f"+{GOLD_BIRTHDAY_POINTS}")
    mobile.shot("member-birthday-points")
    page.goto(f"{site.base}/m/#/messages")
    greeting = page.locator("[data-test=inbox-item]", has_text="生日快乐")
    expect(greeting).to_contain_text(f"{GOLD_BIRTHDAY_POINTS}积分")
    mobile.shot("member-birthday-greeting")

    staff = log_in(console, site)
    staff.goto(f"{site.base}/console/#/members/{me['member_id']}")
    staff.get_by_role("tab", name="积分", exact=True).click()
    row = staff.locator("[data-test=ledger] tr", has_text="生日奖励")
    expect(row).to_contain_text(f"+{GOLD_BIRTHDAY_POINTS}")
    console.shot("member-birthday-ledger")
    staff.goto(f"{site.base}/console/#/jobs")
    expect(staff.locator("[data-test=jobs]")).to_contain_text("give-birthday-gifts")
    status, again = send("GET", f"{site.base}/v1/me/points/ledger", token=token)
    assert status == 200
    assert [e["points"] for e in again["items"] if e["reason"] == "生日奖励"] == [GOLD_BIRTHDAY_POINTS]  # once
