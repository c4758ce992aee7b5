"""Browser tests: the built front ends on the local stack (as `make run` starts it, demo data included), driven
by Debian's Chromium through Playwright. Every test saves a screenshot of each screen it sees under
``tests/screenshots/`` (the artefacts CI keeps)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.http import send
from tests.processes import wait_quiet

PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT / "tests" / "screenshots"
CHROMIUM = os.environ.get("LOYALTY_CHROMIUM", "/usr/bin/chromium")
MOBILE = {"width": 375, "height": 812}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@dataclass
class Site:
    """The local stack a browser test drives: its base URL and the credentials it wrote."""

    base: str
    local_dir: Path
    extra_credentials: dict[str, dict[str, str]] = field(default_factory=dict)  # staff the tests created

    @property
    def credentials(self) -> dict[str, Any]:
        return {**json.loads((self.local_dir / "credentials.json").read_text()), **self.extra_credentials}

    tokens: dict[str, tuple[float, str]] = field(default_factory=dict)  # who: (logged in at, access token)

    def token(self, who: str = "admin", fresh: bool = False) -> str:
        """An access token for ``who``: one log-in serves the calls of ten minutes (a token lasts fifteen)."""
        logged_in, token = self.tokens.get(who, (0.0, ""))
        if fresh or who not in self.tokens or time.monotonic() - logged_in > 600:
            status, tokens = send("POST", f"{self.base}/v1/auth/token", self.credentials[who])
            assert status == 200, tokens
            token = str(tokens["access_token"])
            self.tokens[who] = (time.monotonic(), token)
        return token

    def api(self, method: str, path: str, body: Any = None, who: str = "admin", **headers: str) -> Any:
        """One API call as ``who``; a write gets a fresh Idempotency-Key (and If-Match: * for a PATCH). A token a
        test revoked (its staff logged out everywhere) is replaced by a new log-in."""
        if method != "GET":
            headers.setdefault("Idempotency-Key", secrets.token_hex(8))
        if method == "PATCH":
            headers.setdefault("If-Match", "*")
        status, answer = send(method, f"{self.base}{path}", body, headers, token=self.token(who))
        if status == 401:
            status, answer = send(method, f"{self.base}{path}", body, headers, token=self.token(who, fresh=True))
        assert status < 300, (status, answer)
        return answer

    def quiet(self, seconds: float = 2) -> None:
        """Until the stack has done the work it was given: every event written so far relayed and consumed (its
        process idle for ``seconds``). A page then shows what the API answers."""
        wait_quiet(json.loads((self.local_dir / "stack.json").read_text())["pid"], seconds)

    def member_tokens(self, phone: str) -> dict[str, Any]:
        """Log a member in with a texted code (joining if new), accepting the current agreements as the log-in
        page's tick box does."""
        status, answer = send("POST", f"{self.base}/v1/auth/otp", {"phone": phone})
        assert status == 202, answer
        status, current = send("GET", f"{self.base}/v1/agreements")
        agreed = [{"kind": d["kind"], "version": d["version"]} for d in current["items"]]
        body = {"phone": phone, "code": self.sms_code(phone), "agreed": agreed}
        status, tokens = send("POST", f"{self.base}/v1/auth/member-token", body)
        assert status == 200, tokens
        return dict(tokens)

    def sms_code(self, phone: str) -> str:
        """The newest login code texted to ``phone``, read from the local stack's dev outbox (the CLI). The text is
        sent after the request is answered, so a code asked for a moment ago is waited for (a few seconds)."""
        deadline = time.monotonic() + 10
        while True:
            out = subprocess.run(
                [sys.executable, "-m", "chalicelib.cli", "outbox", "--json"],
                cwd=PROJECT, env={**os.environ, "LOYALTY_LOCAL_DIR": str(self.local_dir)},
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            texts = [message["text"] for message in json.loads(out) if phone[-4:] in message["recipient"]]
            codes = [found.group(0) for text in texts if (found := re.search(r"(?<!\d)\d{6}(?!\d)", text))]
            if codes or time.monotonic() > deadline:  # the member's other texts (a top-up's receipt) hold no code
                break
            time.sleep(0.3)
        assert codes, texts or out
        return codes[-1]


def choose(page: Any, select: Any, option: str) -> None:
    """Pick ``option`` in the Element Plus select whose input is ``select``, and see the select show it. Under load a
    click can land while the dropdown still fades in and be lost (the select keeps its value): it is picked again."""
    from playwright.sync_api import expect

    shown = select.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' el-select ')][1]")
    for attempt in range(3):
        if page.locator(".el-select-dropdown__item:visible", has_text=option).count() == 0:
            select.click(force=True)
        page.locator(".el-select-dropdown__item:visible", has_text=option).click()
        try:
            expect(shown).to_contain_text(option, timeout=3_000)
            return
        except AssertionError:
            if attempt == 2:
                raise


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The platform as `make run` starts it (same launcher, demo data), on a free port and a fresh directory."""
    assert (PROJECT / "web" / "dist" / "console" / "index.html").is_file(), "build the front ends: make web"
    local_dir = tmp_path_factory.mktemp("browser") / "local"
    port = free_port()
    log = local_dir.parent / "stack.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOYALTY_", "AWS_"))}
    # every member the browser tests log in asks for a code from 127.0.0.1: more than a real address's 20 an hour;
    # and each of their many log-ins would cost some 0.3 s of CPU at argon2's standard cost
    env.update(PORT=str(port), LOYALTY_LOCAL_DIR=str(local_dir), LOYALTY_LOCAL_WORKERS="0",
               LOYALTY_OTP_REQUESTS_PER_ADDRESS_HOUR="200", LOYALTY_PASSWORD_HASHING="test")  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "chalicelib.cli", "local", "up"], cwd=PROJECT, env=env,
        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"{base}/v1/health", timeout=2):
                    break
            except OSError:  # refused, reset, or too slow: a first request waits for the routes it imports, under load
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        yield Site(base, local_dir)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Screens:
    """A page plus its screenshots: ``shot(name)`` saves ``tests/screenshots/<test>/<nn>-<name>.png``, numbered in the
    order taken across every tab of the test (a test driving the console and a phone shares one folder)."""

    def __init__(self, page: Any, folder: Path) -> None:
        self.page = page
        self.folder = folder
        shutil.rmtree(folder, ignore_errors=True)  # only this run's screens

    def shot(self, name: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        taken = len(list(self.folder.glob("*.png")))
        path = self.folder / f"{taken + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@dataclass
class SharedContext:
    """A browser context the tests share, with one tab (``keeper``) kept open on the site all along: each test's
    tab then joins that tab's renderer process, whose compiled scripts it reuses. A page loaded in a new context
    (or a new process) cost Chromium about 1.6 s of CPU here, 0.6 s this way. The tests share its HTTP cache (the
    API answers are never cached; the bundles' names change with their content), never its storage."""

    context: Any
    keeper: Any
    origin: str

    def forget(self) -> None:
        """Close every tab but the keeper, and clear the cookies and every kind of storage (local, IndexedDB, cache
        storage, service workers) of the site and of any other origin that kept some; the HTTP cache stays."""
        for tab in self.context.pages:
            if tab != self.keeper:
                tab.close()
        kept = {self.origin} | {origin["origin"] for origin in self.context.storage_state(indexed_db=True)["origins"]}
        cdp = self.context.new_cdp_session(self.keeper)
        try:
            for origin in sorted(kept):
                cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
        finally:
            cdp.detach()
        self.context.clear_cookies()

    def assert_clean(self) -> None:
        """Only the keeper is open, and no cookie and no stored data is left: as a new context starts."""
        assert self.context.pages == [self.keeper], "a tab of an earlier test is still open"
        assert self.context.storage_state(indexed_db=True) == {"cookies": [], "origins": []}


def shared_context(browser: Any, site: Site, **options: Any) -> Iterator[SharedContext]:
    """A context that asks for reduced motion, as a visitor's system can (the pages then draw their charts at once and
    end their transitions at once; the dashboard's test checks both ways): the dashboard after a log-in cost Chromium
    2.6-3.0 s of CPU with its charts animated, 1.3 s without."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", reduced_motion="reduce", **options)
    keeper = context.new_page()
    keeper.goto(f"{site.base}/v1/health")
    yield SharedContext(context, keeper, site.base)
    context.close()


@pytest.fixture(scope="session")
def desktop_context(browser: Any, site: Site) -> Iterator[SharedContext]:
    """The back office's browser context, shared by the tests."""
    yield from shared_context(browser, site, viewport={"width": 1440, "height": 900})


@pytest.fixture(scope="session")
def phone_context(browser: Any, site: Site) -> Iterator[SharedContext]:
    """The member pages' context (375 px wide, touch), shared by the tests."""
    yield from shared_context(browser, site, viewport=MOBILE, device_scale_factor=2, is_mobile=True, has_touch=True)


def _screens(shared: SharedContext, request: pytest.FixtureRequest) -> Iterator[Screens]:
    """A new tab in the shared context, which is clean when the test starts and cleared when it ends (the next test
    starts logged out, as in a new context)."""
    shared.assert_clean()
    page = shared.context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    missing: list[str] = []  # the front ends' own files that failed (a picture's name taken for its address)
    page.on("response", lambda answer: missing.append(f"{answer.status} {answer.url}")
            if answer.status >= 400 and "/v1/" not in answer.url else None)  # fmt: skip
    page.set_default_timeout(15_000)
    screens = Screens(page, SCREENSHOTS / request.node.name)
    try:
        yield screens
        if request.node.stash.get(FAILED, False):
            screens.shot("failed")  # what the page showed when the test failed
    finally:
        shared.forget()
    assert not errors, f"the page raised: {errors}"
    assert not missing, f"the page asked for what is not there: {missing}"


@pytest.fixture
def console(desktop_context: SharedContext, request: pytest.FixtureRequest) -> Iterator[Screens]:
    """A desktop browser tab for the back office."""
    yield from _screens(desktop_context, request)


@pytest.fixture
def mobile(phone_context: SharedContext, request: pytest.FixtureRequest) -> Iterator[Screens]:
    """A phone-sized tab (375 px wide) for the member pages."""
    yield from _screens(phone_context, request)
