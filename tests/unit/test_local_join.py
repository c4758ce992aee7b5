"""The CLI joins a running local stack with the settings the stack was started with, and a stack that is not
running (stopped, or killed and its stack.json left behind) is said in a sentence, not a traceback."""

import fcntl
import json
import os

import pytest

from chalicelib.local import localdir
from chalicelib.local.localdir import LocalDir
from chalicelib.local.provision import Provisioned
from chalicelib.local.stack import stack_environment
from chalicelib.shared.settings import get_settings

PROVISIONED = Provisioned("arn:topic", {"jobs": "http://q/jobs", "imports": "http://q/imports"}, {}, "bucket")


@pytest.fixture
def environ():
    """The process's environment and settings as they were, whatever a join changed."""
    kept = dict(os.environ)
    yield os.environ
    os.environ.clear()
    os.environ.update(kept)
    get_settings.cache_clear()


@pytest.fixture
def local(tmp_path, monkeypatch):
    monkeypatch.setattr("chalicelib.shared.db.bind_tables", lambda prefix, region: None)
    return LocalDir(tmp_path)


def started(local, environ, **given):
    """The stack.json a `make run` given these variables writes."""
    environ.update(given)
    environment = stack_environment(local, "http://127.0.0.1:1", PROVISIONED, public_url="http://127.0.0.1:8000")
    local.stack.write_text(json.dumps({"pid": 1, "environment": environment}))
    return environment


def running(local):
    handle = (local.root / "stack.lock").open("w")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def test_the_operators_settings_reach_the_cli_and_the_stacks_own_stay_its_own(local, environ, capsys):
    """Found by an operator: `LOYALTY_POINT_VALUE_FEN=2 make run` valued points at 2 fen in the API and at 1 in
    the CLI's liability export; the test clock and the export folder given were overridden without a word."""
    given = {"LOYALTY_POINT_VALUE_FEN": "2", "LOYALTY_TEST_CLOCK": "false", "LOYALTY_EXPORTS": "/srv/exports"}
    environment = started(local, environ, **given, LOYALTY_STORAGE="aws", LOYALTY_ADMIN_PASSWORD="pw")
    assert environment["LOYALTY_STORAGE"] == "emulator"  # where the data is stays the stack's
    assert "LOYALTY_ADMIN_PASSWORD" not in environment  # only what the platform runs with
    for name in ("LOYALTY_POINT_VALUE_FEN", "LOYALTY_TEST_CLOCK", "LOYALTY_EXPORTS", "LOYALTY_STORAGE"):
        del environ[name]
    environ["LOYALTY_EXPORTS"] = "/tmp/elsewhere"
    environ["LOYALTY_COUNTER_DAILY_LIMIT_FEN"] = "1"  # the stack was not given it: runs on the default (a review)
    lock = running(local)
    try:
        localdir.connect(local)
    finally:
        lock.close()
    settings = get_settings()
    assert (settings.point_value_fen, settings.test_clock, str(settings.exports)) == (2, False, "/srv/exports")
    said = capsys.readouterr().err
    assert "LOYALTY_EXPORTS=/tmp/elsewhere ignored: the running stack has '/srv/exports'" in said
    assert "LOYALTY_COUNTER_DAILY_LIMIT_FEN=1 ignored: the running stack was not given it" in said
    assert settings.counter_daily_limit_fen == 5_000_000


def test_a_stack_killed_or_stopped_is_said_plainly(local, environ):
    started(local, environ)
    with pytest.raises(SystemExit, match="No local stack is running"):
        localdir.connect(local)  # its stack.json left by a hard kill, its lock held by no one
    local.stack.unlink()
    with pytest.raises(SystemExit, match="No local stack is running"):
        localdir.connect(local)
