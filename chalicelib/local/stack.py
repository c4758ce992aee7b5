"""``make run``: the whole platform on one machine, for development only.

Starts the locked emulator, creates the tables, topic, queues and imports bucket from the infra definitions,
reloads the data saved under ``.local/``, seeds demo data once, relays the streams of the outbox and of the ledger
accounts (their carried events) to the topic and
feeds the queues to the same handler functions Lambda runs (in worker processes, see ``poller``), and serves
the API with Chalice's local server. On
SIGINT or SIGTERM it stops serving, relays what is left in the outbox, empties the queues into their
consumers, saves and exits; it also saves every few seconds after writes (a consistent snapshot).
Production data lives in DynamoDB; nothing here is meant for it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from chalicelib.local.arrivals import QUEUE_MESSAGES, STREAM_RECORDS, Bell
from chalicelib.local.emulator import LockedEmulator, save
from chalicelib.local.localdir import PROJECT_DIR, LocalDir
from chalicelib.local.poller import QueuePoller, WorkerProcesses, default_workers
from chalicelib.local.provision import Provisioned, provision
from chalicelib.local.relay import OutboxRelay
from chalicelib.shared.files import private_file

DEMO_CATEGORY_NAMES = {  # the names members read for the demo's item categories (an operator's LOYALTY_ ones win)
    "zh": {"tops": "上衣", "outerwear": "外套", "shoes": "鞋履", "accessories": "配饰", "gift-card": "礼品卡"},
    "en": {"tops": "tops", "outerwear": "outerwear", "shoes": "shoes", "accessories": "accessories",
           "gift-card": "gift cards"},
}  # fmt: skip

REGION = "cn-north-1"
PREFIX = "loyalty-local"
SAVE_INTERVAL_SECONDS = 5.0
RECHECK_SECONDS = 10.0  # a message back from its visibility timeout rings no bell: the poller looks anyway


def _private_json(path: Path, document: dict[str, Any]) -> None:
    with private_file(path) as file:
        file.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def local_secrets(local: LocalDir) -> dict[str, str]:
    """Secrets generated once per checkout and kept under ``.local/`` (never committed)."""
    existing = json.loads(local.secrets.read_text()) if local.secrets.exists() else {}
    wanted: dict[str, Callable[[], str]] = {
        "cursor_secret": lambda: secrets.token_urlsafe(32),
        "lookup_hash_key": lambda: secrets.token_urlsafe(32),
        "jwt_secret": lambda: secrets.token_urlsafe(32),
    }
    if not all(name in existing for name in wanted):
        existing = {name: existing.get(name) or make() for name, make in wanted.items()}
        _private_json(local.secrets, existing)
    return existing


# where the stack is and what starts it, not how the platform behaves: kept out of what the CLI is given
NOT_SETTINGS = frozenset({"LOYALTY_LOCAL_DIR", "LOYALTY_ADMIN_PASSWORD", "LOYALTY_DEMO_PARTNER_SECRET"})


def stack_environment(
    local: LocalDir, endpoint_url: str, provisioned: Provisioned, public_url: str | None = None
) -> dict[str, str]:
    """The environment that points the platform's code at the emulator and the local secrets, and its links (the
    member pages', the export files') at the local server, with the operator's own settings (every other
    ``LOYALTY_`` variable given to ``make run``): the CLI joining the stack runs with them too. The export folder,
    the test clock and the public URL are the operator's when given."""
    kept = local_secrets(local)
    operators = {name: value for name, value in os.environ.items()
                 if name.startswith("LOYALTY_") and name not in NOT_SETTINGS}  # fmt: skip
    return {
        "LOYALTY_EXPORTS": str(local.exports),
        "LOYALTY_MEDIA": str(local.media),
        "LOYALTY_TEST_CLOCK": "true",
        **({"LOYALTY_PUBLIC_URL": public_url} if public_url else {}),
        "LOYALTY_CATEGORY_NAMES": json.dumps(DEMO_CATEGORY_NAMES["zh"], ensure_ascii=False),  # the demo's (品类名称)
        "LOYALTY_CATEGORY_NAMES_EN": json.dumps(DEMO_CATEGORY_NAMES["en"]),
        **operators,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint_url,
        "LOYALTY_STAGE": "local",
        "LOYALTY_STORAGE": "emulator",
        "LOYALTY_TABLE_PREFIX": PREFIX,
        "LOYALTY_EVENTS_TOPIC_ARN": provisioned.topic_arn,
        "LOYALTY_JOBS_QUEUE_URL": provisioned.queue_urls["jobs"],
        "LOYALTY_IMPORTS_QUEUE_URL": provisioned.queue_urls["imports"],
        "LOYALTY_IMPORTS_BUCKET": provisioned.imports_bucket,
        "LOYALTY_CURSOR_SECRET": kept["cursor_secret"],
        "LOYALTY_LOOKUP_HASH_KEY": kept["lookup_hash_key"],
        "LOYALTY_JWT_SECRET": kept["jwt_secret"],
        "LOYALTY_LOCAL_KEY_FILE": str(local.master_key),
    }


class Worker(threading.Thread):
    """A loop run until stopped: after a step that found nothing to do, it sleeps until ``bell`` rings or
    ``idle`` seconds pass. Exceptions are logged and the loop goes on."""

    def __init__(self, name: str, step: Callable[[], bool], bell: Bell, idle: float) -> None:
        super().__init__(name=name, daemon=True)
        self._step, self._bell, self._idle = step, bell, idle
        self._halt = threading.Event()

    def run(self) -> None:
        from chalicelib.shared.logs import logger

        while not self._halt.is_set():
            seen = self._bell.rings
            try:
                busy = self._step()
            except Exception:
                logger.exception("local worker step failed", extra={"worker": self.name})
                busy = False
            if not busy:
                self._bell.wait(seen, self._idle)

    def stop(self) -> None:
        self._halt.set()
        self._bell.ring()


class FrequentJobs:
    """What AWS schedules every few minutes (``rate(...)``: held messages going out as the quiet hours end, unpaid
    mall orders released), run by the local stack once a minute, starting a minute after it starts."""

    def __init__(self) -> None:
        self._first = True

    def step(self) -> bool:
        if self._first:
            self._first = False
            return False
        from chalicelib.shared.jobs import RunUnderWay, all_jobs, run_job, scheduled_day

        for job in all_jobs():
            if (job.schedule or "").startswith("rate("):
                with contextlib.suppress(RunUnderWay):  # a run the CLI started: this minute's is skipped
                    run_job(job, scheduled_day(job))
        return False


class Saver:
    """Saves table data and queued messages when the emulator saw writes since the last save, spaced by the cost of
    saving. Writes to the ``waiting`` tables alone do not call for a save: they wait for the next one, or the stop's.
    That is the jobs table, which a frequent job's run writes every minute even when it finds nothing (its report
    and watermark): at a chain's size a save takes seconds (about 6 s for 20,000 members' 210,000 items), and an
    idle stack kept saving for that alone (4.4% of a core over 130 s). A hard kill loses at most the jobs table's
    writes since the last save: runs (a job run again does nothing twice), a test clock set since (set it again),
    and the platform's first day and oldest registration month if nothing else was written after them (the first is
    recorded again, later; the second is rewritten by `members index-months`)."""

    def __init__(self, emulator: LockedEmulator, local: LocalDir, tables: list[str], waiting: set[str]) -> None:
        self._emulator, self._local, self._tables, self._waiting = emulator, local, tables, waiting
        self.messages = 0  # queued when the last save was made
        self._saved_at = emulator.writes_by_table()
        self._next_save = 0.0
        self._lock = threading.Lock()

    def step(self) -> bool:
        if time.monotonic() >= self._next_save:
            self.save()
        return False

    def save(self, force: bool = False) -> int | None:
        with self._lock:
            written = self._emulator.writes_by_table()
            changed = {table for table, count in written.items() if count != self._saved_at.get(table, 0)}
            if not changed - self._waiting and not force:
                return None
            started = time.monotonic()
            items, queued = self._emulator.snapshot_with_queues(REGION, self._tables, f"{PREFIX}-")
            count = save(items, self._local.data, queued)
            self.messages = sum(len(messages) for messages in queued.values())
            self._saved_at = written
            took = time.monotonic() - started
            self._next_save = time.monotonic() + max(SAVE_INTERVAL_SECONDS, 20 * took)  # saving stays under ~5%
            return count


@contextlib.contextmanager
def running_stack(
    local: LocalDir,
    *,
    seed: bool = True,
    say: Callable[[str], None] = print,
    workers: int | None = None,
    public_url: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Everything but the HTTP server: emulator, resources, data, relay, poller (its handlers in ``workers``
    processes: ``LOYALTY_LOCAL_WORKERS``, else one per core; 0 runs them in its thread) and saver."""
    workers = default_workers() if workers is None else workers
    local.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    emulator = LockedEmulator(port=int(os.environ.get("LOYALTY_EMULATOR_PORT", "0")))
    emulator.start()
    emulator.answer_this_process()
    lock = _exclusive(local)
    threads: list[Worker] = []
    saver: Saver | None = None
    poller: QueuePoller | None = None
    relay: OutboxRelay | None = None
    try:
        endpoint = emulator.endpoint_url
        os.environ.update(
            {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION}
        )
        provisioned = provision(PREFIX, REGION, endpoint_url=endpoint)
        environment = stack_environment(local, endpoint, provisioned, public_url)
        os.environ.update(environment)
        from chalicelib.shared.db import bind_tables, physical_name, registered_tables
        from chalicelib.shared.events import relayed_tables
        from chalicelib.shared.settings import get_settings

        get_settings.cache_clear()
        bind_tables(PREFIX, REGION)
        started = time.monotonic()
        loaded = emulator.restore(REGION, local.data)
        requeued = f" ({emulator.requeued} queued messages with them)" if emulator.requeued else ""
        say(f"Emulator on {endpoint}; {loaded} items reloaded from {local.data} in {time.monotonic() - started:.2f} s"
            + requeued)  # fmt: skip
        tables = [physical_name(PREFIX, cls.logical_name) for cls in registered_tables()]
        saver = Saver(emulator, local, tables, waiting={physical_name(PREFIX, "jobs")})
        _bootstrap_admin(local, say)
        _bootstrap_partner(local, say)
        if seed:
            from chalicelib.local.seed import seed_demo_data

            seeding = time.monotonic()
            created = seed_demo_data(local.credentials)
            took = time.monotonic() - seeding
            say(f"Demo data: {created} new items in {took:.1f} s" if created else "Demo data already present")
        streams = {provisioned.stream_arns[cls.logical_name]: functools.partial(
            emulator.forget, REGION, physical_name(PREFIX, cls.logical_name)) for cls in relayed_tables()}  # fmt: skip
        relay = OutboxRelay(streams, WorkerProcesses(1, {**os.environ, **environment}) if workers else None)
        poller = QueuePoller(provisioned.queue_urls, {**os.environ, **environment}, workers)
        threads = [
            Worker("outbox-relay", relay.step, STREAM_RECORDS, idle=RECHECK_SECONDS),
            Worker("queue-poller", poller.step, QUEUE_MESSAGES, idle=RECHECK_SECONDS),
            Worker("saver", saver.step, Bell(), idle=SAVE_INTERVAL_SECONDS),
            Worker("frequent-jobs", FrequentJobs().step, Bell(), idle=60.0),
        ]
        for thread in threads:
            thread.start()
        stack = {"pid": os.getpid(), "environment": environment, "endpoint_url": endpoint}
        _private_json(local.stack, stack)
        yield stack
    finally:
        for thread in threads:
            thread.stop()
        for thread in threads:
            thread.join(timeout=10)
        for stopped in (poller, relay):
            if stopped is not None:
                stopped.stop()
        if saver is not None:
            count = saver.save(force=True)
            queued = f" and {saver.messages} queued messages (delivered on the next start)" if saver.messages else ""
            say(f"Saved {count} items{queued} to {local.data}")
        local.stack.unlink(missing_ok=True)
        emulator.stop()
        lock.close()


def _bootstrap_admin(local: LocalDir, say: Callable[[str], None]) -> None:
    """The first admin: password from LOYALTY_ADMIN_PASSWORD, else the one saved before, else a new one.

    It is written to ``.local/credentials.json`` (0600) so the CLI, tests and people can log in.
    """
    from chalicelib.identity.service import ensure_admin

    credentials = json.loads(local.credentials.read_text()) if local.credentials.exists() else {}
    saved = credentials.get("admin") or {}
    password = os.environ.get("LOYALTY_ADMIN_PASSWORD") or saved.get("password") or secrets.token_urlsafe(12)
    if ensure_admin("admin", password):
        say("Created the admin account")
    elif saved.get("password") and saved["password"] != password:
        say("LOYALTY_ADMIN_PASSWORD differs from the existing admin's; reset it with PUT /v1/staff/{id}/password")
        return
    credentials["admin"] = {"username": "admin", "password": password}
    _private_json(local.credentials, credentials)


def _bootstrap_partner(local: LocalDir, say: Callable[[str], None]) -> None:
    """The demo partner (a POS for every store): id and secret from LOYALTY_DEMO_PARTNER_ID and
    LOYALTY_DEMO_PARTNER_SECRET, else the ones saved before, else new ones; written to credentials.json."""
    from chalicelib.identity.partners import ensure_partner, new_secret

    credentials = json.loads(local.credentials.read_text()) if local.credentials.exists() else {}
    saved = credentials.get("partner") or {}
    partner_id = os.environ.get("LOYALTY_DEMO_PARTNER_ID") or saved.get("partner_id") or "demo-pos"
    secret = os.environ.get("LOYALTY_DEMO_PARTNER_SECRET") or saved.get("secret") or new_secret()
    if ensure_partner(partner_id, secret):
        say(f"Created the demo partner {partner_id}")
    elif saved.get("partner_id") != partner_id or saved.get("secret") != secret:
        say(f"Partner {partner_id} exists with other secrets; rotate them with POST /v1/partners/{partner_id}/secrets")
        return
    credentials["partner"] = {"partner_id": partner_id, "secret": secret}
    _private_json(local.credentials, credentials)


def _exclusive(local: LocalDir) -> Any:
    """Hold ``.local/`` for this stack alone: two stacks saving into one directory would lose data."""
    import fcntl

    handle = (local.root / "stack.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        sys.exit(f"Another local stack is running on {local.root}; stop it first (or set LOYALTY_LOCAL_DIR).")
    return handle


def serve(port: int, *, seed: bool = True) -> None:
    """Run the stack and ``chalice local`` until SIGINT or SIGTERM, then stop cleanly and save."""
    local = LocalDir.default()
    with running_stack(local, seed=seed, public_url=f"http://127.0.0.1:{port}") as stack:
        from chalice.cli import create_local_server
        from chalice.cli.factory import CLIFactory

        from chalicelib.local import gateway

        gateway.install()
        factory = CLIFactory(project_dir=str(PROJECT_DIR), environ=os.environ)
        server = create_local_server(factory, "127.0.0.1", port, "local")

        def shut_down(signum: int, frame: Any) -> None:
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, shut_down)
        signal.signal(signal.SIGINT, shut_down)
        _announce(local, port, stack)
        server.server.serve_forever(poll_interval=0.2)
        server.server.server_close()
        print("Stopping: finishing the deliveries under way and saving local data")


def _announce(local: LocalDir, port: int, stack: dict[str, Any]) -> None:
    credentials = json.loads(local.credentials.read_text()) if local.credentials.exists() else {}
    lines = [
        "",
        "Loyalty platform (local emulator: development only; production data lives in DynamoDB)",
        f"  Back office  http://127.0.0.1:{port}/console/   (log in with a staff account below)",
        f"  Member pages http://127.0.0.1:{port}/m/         (SMS codes go to the dev outbox: cli outbox)",
        f"  API          http://127.0.0.1:{port}/v1",
        f"  Health       http://127.0.0.1:{port}/v1/health",
        f"  API docs     http://127.0.0.1:{port}/v1/docs",
        f"  OpenAPI      http://127.0.0.1:{port}/v1/openapi.json",
        f"  Emulator     {stack['endpoint_url']} (DynamoDB, SQS, SNS, S3)",
        f"  Local data   {local.data} (saved on stop and every {SAVE_INTERVAL_SECONDS:.0f} s after writes)",
        f"  Credentials  {local.credentials}: {json.dumps(credentials) if credentials else 'none yet'}",
        "  CLI          .venv/bin/python -m chalicelib.cli --help   (acts on this running stack, with its settings)",
        "Press Ctrl-C to stop.",
        "",
    ]
    print("\n".join(lines), flush=True)
