"""The back office's shell: log in, who you are, menus by permission, log out; and basic accessibility."""

from __future__ import annotations

import time
from typing import Any

from tests.browser.conftest import SCREENSHOTS, Screens, Site

SESSION_KEY = "loyalty.console.session"


def log_in(screens: Screens, site: Site, who: str = "admin") -> Any:
    page = screens.page
    page.goto(f"{site.base}/console/")
    page.get_by_label("用户名").fill(site.credentials[who]["username"])
    page.get_by_label("密码").fill(site.credentials[who]["password"])
    page.get_by_role("button", name="登录").click()
    page.locator("[data-test=who]").wait_for()
    return page


def unlabelled_inputs(page: Any) -> list[str]:
    """Inputs a screen reader cannot name: no <label for>, no wrapping label, no aria-label(ledby)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
            .filter((el) => el.offsetParent !== null)
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                            && !el.getAttribute('aria-labelledby'))
            .map((el) => el.outerHTML.slice(0, 120))"""
    )


def test_staff_log_in_see_who_they_are_and_log_out(site: Site, console: Screens) -> None:
    page = console.page
    page.goto(f"{site.base}/console/")
    page.get_by_label("用户名").wait_for()
    page.wait_for_function("document.title === '登录 · 会员管理后台'")  # each page has its own title
    assert unlabelled_inputs(page) == []
    console.shot("login")

    log_in(console, site)
    who = page.locator("[data-test=who]")
    assert "管理员" in who.inner_text()
    assert "全部门店" in who.inner_text()
    console.shot("after-login")

    page.locator("[data-test=logout]").click()
    page.get_by_label("用户名").wait_for()
    page.goto(f"{site.base}/console/#/dashboard")
    page.get_by_label("用户名").wait_for()  # the session is gone: back to the log-in


def test_a_wrong_password_is_said_plainly(site: Site, console: Screens) -> None:
    page = console.page
    page.goto(f"{site.base}/console/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("not the password at all")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("用户名或密码不正确").wait_for()


def test_two_tabs_refreshing_at_once_both_stay_logged_in(site: Site, browser: Any) -> None:
    """Each refresh token is valid once: tabs sharing a session refresh one at a time and adopt each other's."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    try:
        first = context.new_page()
        log_in(Screens(first, SCREENSHOTS / "two-tabs"), site)
        first.evaluate(
            """key => { const t = JSON.parse(localStorage.getItem(key)); t.expires_at = Date.now();
                        localStorage.setItem(key, JSON.stringify(t)) }""",
            SESSION_KEY,
        )  # the stored access token is about to expire
        second = context.new_page()
        second.evaluate(f"location.href = '{site.base}/console/#/members'")
        first.evaluate("location.reload()")  # both tabs start at once, each about to refresh
        for page in (first, second):
            page.locator("[data-test=who]").wait_for()
        tokens = first.evaluate("key => JSON.parse(localStorage.getItem(key))", SESSION_KEY)
        assert tokens["expires_at"] > time.time() * 1000 + 60_000  # refreshed, and still logged in
    finally:
        context.close()
