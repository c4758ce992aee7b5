"""`make run` as a user runs it: start, write over HTTP, stop with SIGTERM, start again, the data is there."""

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.http import send

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
        except (urllib.error.URLError, ConnectionError):
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


def test_data_survives_a_restart_and_both_stops_are_clean(tmp_path):
    port, log = free_port(), tmp_path / "run.log"
    base = f"http://127.0.0.1:{port}"

    first = start(tmp_path / "local", port, log)
    health = wait_healthy(base, first, log)
    assert health["storage"] == "emulator"
    token = log_in(base, tmp_path / "local")
    assert send("GET", f"{base}/v1/stores/SH-001")[0] == 401  # nothing without credentials
    assert send("GET", f"{base}/v1/stores/SH-001", token=token)[0] == 200  # seeded demo store
    body = {"store_id": "E2E-1", "name": "E2E", "city": "c", "region": "r"}
    status, store = send("POST", f"{base}/v1/stores", body, token=token)
    assert status == 201
    stop(first, whole_group=True)
    assert "Saved" in log.read_text(), log.read_text()
    assert not (tmp_path / "local" / "stack.json").exists()

    second = start(tmp_path / "local", port, log)
    wait_healthy(base, second, log)
    assert send("GET", f"{base}/v1/stores/E2E-1", token=log_in(base, tmp_path / "local")) == (200, store)
    assert "Demo data already present" in log.read_text()
    stop(second, whole_group=False)  # SIGTERM to make alone is forwarded to the stack
    assert log.read_text().count("Saved") == 2, log.read_text()
