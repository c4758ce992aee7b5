"""The back office's shell: log in, who you are, menus by permission, log out; and basic accessibility."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Screens, Site


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
    assert page.title() == "登录 · 会员管理后台"
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
