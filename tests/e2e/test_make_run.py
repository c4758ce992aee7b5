"""`make run` as a user runs it: start, write over HTTP, stop with SIGTERM, start again, the data is there."""

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import free_port
from tests.http import send
from tests.processes import cpu_seconds, wait_quiet

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("make-run")]
PROJECT = Path(__file__).resolve().parents[2]


def start(local_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOYALTY_", "AWS_"))}
    env.update(PORT=str(port), LOYALTY_LOCAL_DIR=str(local_dir))
    return subprocess.Popen(
        ["make", "-s", "run"],
        cwd=PROJECT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_healthy(base: str, process: subprocess.Popen, log: Path) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"{base}/v1/health", timeout=2) as response:
                return json.loads(response.read())
        except OSError:  # refused, reset, or too slow: a first request waits for the routes it imports, under load
            time.sleep(0.3)
    raise AssertionError("the platform did not start:\n" + log.read_text())


def stop(process: subprocess.Popen, *, whole_group: bool) -> None:
    """SIGTERM to `make run` or its whole group; the stack must stop and leave no process behind.

    make exits by the signal, after its child has stopped, as GNU make does; a failed recipe would be 2.
    """
    if whole_group:
        os.killpg(process.pid, signal.SIGTERM)
    else:
        process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=60) == -signal.SIGTERM
        deadline = time.monotonic() + 10
        while _group_alive(process.pid):
            assert time.monotonic() < deadline, "processes of `make run` outlived it"
            time.sleep(0.1)
    finally:
        if _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def log_in(base: str, local_dir: Path) -> str:
    """Log in as the admin whose password the local stack wrote to .local/credentials.json."""
    credentials = json.loads((local_dir / "credentials.json").read_text())["admin"]
    assert oct((local_dir / "credentials.json").stat().st_mode & 0o777) == "0o600"
    status, tokens = send("POST", f"{base}/v1/auth/token", credentials)
    assert status == 200, tokens
    return str(tokens["access_token"])


@pytest.fixture
def launch() -> Iterator[Callable[[Path, int, Path], subprocess.Popen]]:
    """`start` for a test that stops its own stacks: any group still running when the test ends (it failed before
    its stop) is killed, so no stack outlives its test."""
    launched: list[subprocess.Popen] = []

    def launching(local_dir: Path, port: int, log: Path) -> subprocess.Popen:
        launched.append(start(local_dir, port, log))
        return launched[-1]

    yield launching
    for process in launched:
        if _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)


def test_data_survives_a_restart_and_both_stops_are_clean(tmp_path, launch):
    port, log = free_port(), tmp_path / "run.log"
    base = f"http://127.0.0.1:{port}"

    first = launch(tmp_path / "local", port, log)
    health = wait_healthy(base, first, log)
    assert health["storage"] == "emulator"
    for site, title in (("console", "会员管理后台"), ("m", "会员中心")):  # built by make run, served beside the API
        assert f"{base}/{site}/" in log.read_text()
        with urllib.request.urlopen(f"{base}/{site}/") as response:
            assert f"<title>{title}</title>" in response.read().decode()
    token = log_in(base, tmp_path / "local")
    assert send("GET", f"{base}/v1/stores/SH-001")[0] == 401  # nothing without credentials
    assert send("GET", f"{base}/v1/stores/SH-001", token=token)[0] == 200  # seeded demo store
    body = {"store_id": "E2E-1", "name": "E2E", "city": "c", "region": "r"}
    status, store = send("POST", f"{base}/v1/stores", body, token=token)
    assert status == 201
    stop(first, whole_group=True)
    assert "Saved" in log.read_text(), log.read_text()
    assert not (tmp_path / "local" / "stack.json").exists()
    assert oct((tmp_path / "local" / "data.json").stat().st_mode & 0o777) == "0o600"  # it holds members' data

    second = launch(tmp_path / "local", port, log)
    wait_healthy(base, second, log)
    token = log_in(base, tmp_path / "local")
    assert send("GET", f"{base}/v1/stores/E2E-1", token=token) == (200, store)
    assert "Demo data already present" in log.read_text()
    every_event_counted_once(base, token)  # the stop kept what the queues held: the restart delivered it
    stop(second, whole_group=False)  # SIGTERM to make alone is forwarded to the stack
    assert log.read_text().count("Saved") == 2, log.read_text()


def every_event_counted_once(base: str, token: str) -> None:
    """Within a minute the dashboard counts every member the list holds, no more, and the audit log the store made
    before the stop: a stop right after a start saves the start-up's events still queued, and delivers them after."""
    members, cursor = 0, ""
    while True:
        status, page = send("GET", f"{base}/v1/members?limit=200{cursor}", token=token)
        assert status == 200, page
        members += len(page["items"])
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    audit = f"{base}/v1/audit?from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    deadline, counted, audited = time.monotonic() + 60, None, False
    while time.monotonic() < deadline and not (counted == members and audited):
        counted = send("GET", f"{base}/v1/stats/summary", token=token)[1]["members_total"]
        audited = any("E2E-1" in entry["target"] for entry in send("GET", audit, token=token)[1]["items"])
        time.sleep(0.5)
    assert (counted, audited) == (members, True)


@dataclass
class Running:
    """A `make run` shared by the tests that need a stack but not a stack of their own."""

    base: str
    local_dir: Path
    log: Path
    process: subprocess.Popen


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One `make run` for the module's tests after the restart test (each starts nothing of its own): a start with a
    month of demo data costs about 15 s of a core; the last stops it with SIGTERM to the whole group."""
    tmp_path = tmp_path_factory.mktemp("running")
    port, log, local_dir = free_port(), tmp_path / "run.log", tmp_path / "local"
    process = start(local_dir, port, log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, process, log)
        yield Running(base, local_dir, log, process)
    finally:
        stop(process, whole_group=True)


def wait_settled(pid: int) -> None:
    """Until the start-up's work is done (events relayed and consumed) and so is the save after its last write."""
    from chalicelib.local.stack import SAVE_INTERVAL_SECONDS

    wait_quiet(pid, SAVE_INTERVAL_SECONDS)


def test_an_idle_stack_rests_and_a_write_still_reaches_its_consumer_at_once(running):
    """Nothing to do, the relay and the poller sleep until the emulator rings (polling every 0.2 s took
    ~0.5 s of CPU in 5 s); an event still reaches its consumer within seconds of the write that made it.

    Once a minute the stack runs the frequent jobs (a few tenths of a second of CPU; until 2026-12-02 a save of every
    item followed), so one 5 s window in twelve holds that work: up to three windows in a row are measured, of which
    that minute's run can touch two at most. A stack that polls fails all three."""
    base, local_dir = running.base, running.local_dir
    token = log_in(base, local_dir)
    stack = json.loads((local_dir / "stack.json").read_text())["pid"]
    wait_settled(stack)  # the events of the start-up (a month of demo data, the log-in) are relayed and consumed
    windows: list[float] = []
    while len(windows) < 3 and (not windows or windows[-1] >= 0.15):
        used = cpu_seconds(stack)
        time.sleep(5)
        windows.append(round(cpu_seconds(stack) - used, 2))
    assert windows[-1] < 0.15, f"an idle stack used more than 3% of a core in each 5 s: {windows} s of CPU"

    body = {"store_id": "WAKE-1", "name": "Wake", "city": "c", "region": "r"}
    assert send("POST", f"{base}/v1/stores", body, token=token)[0] == 201
    written, audited = time.monotonic(), []
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    days = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    while not audited and time.monotonic() - written < 5:
        status, page = send("GET", f"{base}/v1/audit?{days}", token=token)
        assert status == 200, page
        audited = [entry for entry in page["items"] if "WAKE-1" in entry["target"]]
    assert audited, "the store's event did not reach the audit consumer within 5 s"


def outbox(local_dir: Path) -> list[dict]:
    """`python -m chalicelib.cli outbox --json`, as a developer runs it next to `make run`."""
    env = {**os.environ, "LOYALTY_LOCAL_DIR": str(local_dir)}
    done = subprocess.run(
        [str(PROJECT / ".venv" / "bin" / "python"), "-m", "chalicelib.cli", "outbox", "--json"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def test_a_member_joins_by_sms_code_and_the_demo_partner_signs(running):
    base, local_dir = running.base, running.local_dir
    assert send("POST", f"{base}/v1/auth/otp", {"phone": "13912345678"}) == (202, {"expires_in": 300,
                                                                                   "resend_after": 60})  # fmt: skip
    deadline, texts = time.monotonic() + 60, []
    while not texts and time.monotonic() < deadline:
        texts = [m for m in outbox(local_dir) if m["recipient"] == "+8613912345678"]
        time.sleep(0.5)
    assert texts, running.log.read_text()
    assert set(texts[0]) >= {"channel", "recipient", "text", "created_at"}
    code = re.search(r"\d{6}", texts[0]["text"]).group()
    login = {"phone": "13912345678", "code": code}
    refused, problem = send("POST", f"{base}/v1/auth/member-token", login)  # the demo published its agreements
    assert (refused, problem["type"].rsplit("/", 1)[1]) == (422, "agreements-required")
    status, tokens = send("POST", f"{base}/v1/auth/member-token", {**login, "agreed": problem["current"]})
    assert status == 200, tokens  # the same code: a refusal for the agreements does not use it up
    status, me = send("GET", f"{base}/v1/me", token=tokens["access_token"])
    assert (status, me["phone"], me["source"]) == (200, "+8613912345678", "online")

    from chalicelib.identity.signatures import signature_header

    partner = json.loads((local_dir / "credentials.json").read_text())["partner"]
    body = json.dumps({"hello": "pos"}).encode()
    signature = signature_header(partner["secret"], int(time.time()), body, "POST", "/v1/webhooks/ping")
    status, pong = send("POST", f"{base}/v1/webhooks/ping", {"hello": "pos"},
                        headers={"x-partner-id": partner["partner_id"], "x-signature": signature})  # fmt: skip
    assert (status, pong["partner_id"]) == (200, partner["partner_id"])
    forged = signature_header("psk_not-the-secret", int(time.time()), body, "POST", "/v1/webhooks/ping")
    status, _ = send("POST", f"{base}/v1/webhooks/ping", {"hello": "pos"},
                     headers={"x-partner-id": partner["partner_id"], "x-signature": forged})  # fmt: skip
    assert status == 401


def cli(local_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m chalicelib.cli ARGS` in a process of its own, next to the running stack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOYALTY_", "AWS_"))}
    env["LOYALTY_LOCAL_DIR"] = str(local_dir)
    return subprocess.run(
        [str(PROJECT / ".venv" / "bin" / "python"), "-m", "chalicelib.cli", *args],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_every_job_runs_from_the_cli_and_the_test_clock_rehearses_a_year_end(running):
    """Every job from a fresh CLI process (which binds every table itself), as the README shows: a night's in the
    order a night runs them, those that run on request (a tier programme's preview and application) by name, and
    one by name again; a day after today is refused with a hint; the test clock moves "today"
    for the CLI's jobs and the API alike."""
    from chalicelib.shared.jobs import all_jobs, in_nightly_order

    local_dir = running.local_dir
    later = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=20)).isoformat()
    done = cli(local_dir, "jobs", "run", "--all")
    assert done.returncode == 0, (done.stdout, done.stderr)
    night = json.loads(done.stdout)
    assert [report["job"] for report in night] == [job.name for job in in_nightly_order(all_jobs())]
    assert {report["job"]: report["status"] for report in night} == {job.name: "completed" for job in all_jobs()
                                                                      if job.schedule}  # fmt: skip
    asked = cli(local_dir, "jobs", "run", *(job.name for job in all_jobs() if not job.schedule))  # on request only
    assert asked.returncode == 0, (asked.stdout, asked.stderr)
    assert {report["status"] for report in json.loads(asked.stdout)} == {"completed"}
    names = [report["job"] for report in night]
    assert names.index("expire-points") < names.index("recalculate-tiers") < names.index("export-bi")
    assert names.index("export-bi") < names.index("reconcile-ledger") < names.index("check-figures")
    one = cli(local_dir, "jobs", "run", "reconcile-ledger")
    assert (one.returncode, json.loads(one.stdout)["job"]) == (0, "reconcile-ledger"), one.stderr
    yesterday = (datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)).isoformat()
    written = list((local_dir / "exports" / "bi" / "purchases" / f"dt={yesterday}").glob("part-*.csv.gz"))
    assert written, "export-bi wrote the demo's purchases of the day that ended"
    report = cli(local_dir, "reports", "export", "sales", "--from", yesterday, "--to", yesterday)
    assert report.returncode == 0, report.stderr
    file = local_dir / "exports" / "reports" / f"sales_{yesterday}_{yesterday}_day.csv"
    assert f"wrote 2 rows to {file}" in report.stdout  # the day and the total
    assert file.read_bytes().startswith("\ufeffperiod,".encode())
    refused = cli(local_dir, "reports", "export", "points", "--from", yesterday, "--to", later)
    assert refused.returncode == 2
    assert "to: a day that has not come has no figures" in refused.stderr
    future = cli(local_dir, "jobs", "run", "expire-points", "--as-of", later)
    assert future.returncode == 2
    assert f"jobs preview expire-points --as-of {later}" in future.stderr
    preview = cli(local_dir, "jobs", "preview", "recalculate-tiers", "--as-of", later)
    assert preview.returncode == 0, preview.stderr
    assert json.loads(preview.stdout)["as_of"] == later

    moved = cli(local_dir, "clock", "set", later)
    assert moved.returncode == 0, moved.stderr
    assert "keep a copy of .local/data.json" in moved.stderr  # said before the rehearsal (a walkthrough)
    assert cli(local_dir, "clock", "show").stdout.startswith(f"today is {later}")
    run = cli(local_dir, "jobs", "run", "recalculate-tiers")  # no --as-of: the moved today
    assert json.loads(run.stdout)["as_of"] == later, run.stderr
    assert cli(local_dir, "clock", "reset").returncode == 0
    assert not cli(local_dir, "clock", "show").stdout.startswith(f"today is {later}")
