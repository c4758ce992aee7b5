"""Shared measuring tools for bench scripts: request counting at the client, latency percentiles, emulator.

Run bench scripts from the repository root (``make bench``); each prints one JSON object.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
SCRATCH = tempfile.mkdtemp(prefix="loyalty-bench-")  # the master key and exports; removed when the bench ends
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
os.environ.update(
    AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="cn-north-1",
    LOYALTY_STAGE="bench", LOYALTY_STORAGE="emulator", LOYALTY_TABLE_PREFIX="loyalty-bench",
    LOYALTY_EVENTS_TOPIC_ARN="arn:aws-cn:sns:cn-north-1:123456789012:loyalty-bench-events",
    LOYALTY_JOBS_QUEUE_URL="https://sqs.cn-north-1.amazonaws.com.cn/123456789012/loyalty-bench-jobs",
    LOYALTY_IMPORTS_QUEUE_URL="https://sqs.cn-north-1.amazonaws.com.cn/123456789012/loyalty-bench-imports",
    LOYALTY_IMPORTS_BUCKET="loyalty-bench-imports",
    LOYALTY_CURSOR_SECRET="bench-cursor-secret-bench-cursor-secret", POWERTOOLS_LOG_LEVEL="ERROR",
    LOYALTY_LOOKUP_HASH_KEY="bench-lookup-hash-key-bench-lookup-hash",
    LOYALTY_JWT_SECRET="bench-jwt-secret-bench-jwt-secret-bench",
    LOYALTY_LOCAL_KEY_FILE=os.path.join(SCRATCH, "master.key"), LOYALTY_EXPORTS=os.path.join(SCRATCH, "exports"),
    LOYALTY_MEDIA=os.path.join(SCRATCH, "media"),
)  # fmt: skip
os.environ.pop("AWS_ENDPOINT_URL", None)
SCALE = float(os.environ.get("LOYALTY_BENCH_SCALE", "1"))  # below 1: the smoke run of `make test`
# The smoke runs assert counts (requests, items read, transactions), never times: they take the faster moto of the
# tests and the local stack (``speed_up_moto``: the same answers, each parsed and dumped with less of moto's work),
# which leaves every count as it is but would change the published latencies next to a raw ``GetItem``.
FAST_EMULATOR = os.environ.get("LOYALTY_BENCH_FAST_EMULATOR") == "1"


def scaled(count: int, least: int = 1) -> int:
    """``count`` at this run's scale (the published figures are at scale 1)."""
    return max(least, round(count * SCALE))


import botocore.handlers  # noqa: E402

REQUESTS: Counter[str] = Counter()
ITEMS_READ: Counter[str] = Counter()


def _count(request: Any, **kwargs: Any) -> None:
    target = request.headers.get("X-Amz-Target", b"")
    operation = (target.decode() if isinstance(target, bytes) else target).rpartition(".")[2]
    REQUESTS[operation or "other"] += 1


def _count_items(http_response: Any, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
    """Items each answer carried: what a read cost, counted the way DynamoDB bills reads (per item)."""
    items = len(parsed.get("Items", [])) + (1 if parsed.get("Item") else 0)
    items += sum(len(found) for found in parsed.get("Responses", {}).values()) if model.name == "BatchGetItem" else 0
    ITEMS_READ[model.name] += items


TRANSACTIONS: list[list[dict[str, Any]]] = []


BEFORE: list[list[int]] = []  # while ``write_units_of`` measures: each item's size before its transaction (0: none)
_SIZING: list[bool] = []  # non-empty while ``write_units_of`` measures (the sizes cost a read of every item)


def _capture_transaction(params: dict[str, Any], **kwargs: Any) -> None:
    TRANSACTIONS.append(list(params.get("TransactItems", [])))
    if _SIZING:
        BEFORE.append([_size_before(entry) for entry in TRANSACTIONS[-1]])


def _size_before(entry: dict[str, Any]) -> int:
    """The size of the item a transaction item writes, as it is now in the in-process emulator (0: none, or not
    in this process)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    kind, body = next(iter(entry.items()))
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["cn-north-1"]
    if kind == "ConditionCheck" or body["TableName"] not in backend.tables:
        return 0
    table = backend.tables[body["TableName"]]
    key = body.get("Key") or {name: body["Item"][name] for name in (table.hash_key_attr, table.range_key_attr) if name}
    found = backend.get_item(body["TableName"], key)
    return item_size(found.to_json()["Attributes"]) if found is not None else 0


S3_REQUESTS: Counter[str] = Counter()  # by method: apart from DynamoDB's, which the figures per operation count


def _count_s3(request: Any, **kwargs: Any) -> None:
    S3_REQUESTS[request.method] += 1


# Every botocore session created from here on counts its DynamoDB requests and the items they read (and S3's).
botocore.handlers.BUILTIN_HANDLERS.append(("before-send.dynamodb", _count))
botocore.handlers.BUILTIN_HANDLERS.append(("before-send.s3", _count_s3))
botocore.handlers.BUILTIN_HANDLERS.append(("after-call.dynamodb", _count_items))
botocore.handlers.BUILTIN_HANDLERS.append(("provide-client-params.dynamodb.TransactWriteItems", _capture_transaction))


def _value_size(value: dict[str, Any]) -> int:
    """Bytes of an attribute value as DynamoDB sizes items (strings in UTF-8, numbers ~1 byte per 2 digits)."""
    kind, raw = next(iter(value.items()))
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return (len(raw.lstrip("-").replace(".", "")) + 1) // 2 + 1
    if kind == "B":
        return len(raw)
    if kind == "M":
        return 3 + sum(len(name.encode()) + _value_size(inner) for name, inner in raw.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(inner) for inner in raw)
    if kind in ("SS", "NS"):
        return sum(_value_size({kind[0]: inner}) for inner in raw)
    return 1  # BOOL, NULL


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def write_units_of(operation: Callable[[], Any]) -> dict[str, Any]:
    """The write units one call of ``operation``'s transactions cost, computed from the items they write (as they
    were before, and read back after the commit) and the indexes those writes touch: DynamoDB bills a transactional
    write at 2 units per KB of the larger of the item before and after (a condition check too) and an index write
    at 1 unit per KB of what it projects. An update touches an index when it sets one of the index's key attributes
    or a projected attribute (every attribute for ALL); a put, every index whose keys the item has."""
    import boto3

    TRANSACTIONS.clear()
    BEFORE.clear()
    _SIZING.append(True)
    try:
        operation()
    finally:
        _SIZING.clear()
    client = boto3.client("dynamodb", region_name="cn-north-1")
    tables: dict[str, Any] = {}
    items, transactional, indexed = [], 0, 0
    for transaction, sizes_before in zip(TRANSACTIONS, BEFORE, strict=True):
        for entry, size_before in zip(transaction, sizes_before, strict=True):
            kind, body = next(iter(entry.items()))
            table = body["TableName"]
            if table not in tables:
                tables[table] = client.describe_table(TableName=table)["Table"]
            if kind == "Put":
                stored = body["Item"]
            else:
                stored = client.get_item(TableName=table, Key=body["Key"], ConsistentRead=True).get("Item", body["Key"])
            size = item_size(stored)
            units = 2 * -(-max(size, size_before) // 1024)  # an update is billed the larger of before and after
            named = set(body.get("ExpressionAttributeNames", {}).values())
            touched = []
            for index in tables[table].get("GlobalSecondaryIndexes", []):
                keys = {key["AttributeName"] for key in index["KeySchema"]}
                projection = index["Projection"]
                projected = set(projection.get("NonKeyAttributes", []))
                if not keys <= set(stored):
                    continue
                if kind == "Put" or (kind == "Update" and (keys & named or projection["ProjectionType"] == "ALL"
                                                            or projected & named)):  # fmt: skip
                    shown = stored if projection["ProjectionType"] == "ALL" else {
                        name: value for name, value in stored.items()
                        if name in keys | projected or name in {k["AttributeName"] for k in tables[table]["KeySchema"]}
                    }  # fmt: skip
                    touched.append(index["IndexName"])
                    indexed += -(-item_size(shown) // 1024)
            transactional += units
            items.append({"kind": kind, "table": table.removeprefix("loyalty-bench-"), "bytes": size,
                          "bytes_before": size_before, "units": units, "indexes": touched})  # fmt: skip
    return {"total": transactional + indexed, "transactional_units": transactional, "index_units": indexed,
            "items": items}  # fmt: skip


@contextlib.contextmanager
def emulator(*, as_the_local_stack: bool = False) -> Iterator[None]:
    """In-process moto with the platform's tables, queues and topic, and the app's tables bound.

    Single-threaded, so moto's missing lock does not matter here; the transactions are the local stack's. With
    ``as_the_local_stack``, its queues, queries and faster moto too, as the tests have them: for a bench whose figures
    are all counts (requests, items read), never times, since a latency is compared with moto's own raw ``GetItem``.
    The smoke runs of `make test` take the faster moto whatever the bench (``FAST_EMULATOR``).
    """
    from moto import mock_aws

    from chalicelib.local import gateway, queries, queues, transactions
    from chalicelib.local.emulator import speed_up_moto
    from chalicelib.local.provision import provision
    from chalicelib.shared.db import bind_tables

    gateway.install()
    import app  # noqa: F401  every module that declares a table, so all of them are provisioned

    transactions.install()  # as in the local stack: transactions cost what they write, not the table size
    if as_the_local_stack:
        queues.install()
        queries.install(in_process=True)
    if as_the_local_stack or FAST_EMULATOR:
        speed_up_moto()
    with mock_aws():
        provision("loyalty-bench", "cn-north-1")
        bind_tables("loyalty-bench", "cn-north-1")
        _TAKEN.clear()  # new tables: their streams start again
        yield


_TAKEN: Counter[str] = Counter()  # stream records already taken, by table


def take_events() -> list[dict[str, Any]]:
    """The events written since the last call, as the relay would publish them (for a bench handing events to
    consumers itself): each outbox item's, the item then deleted as the local relay forgets it, and those the other
    relayed tables' streams recorded since (ledger accounts carrying a post's events)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.shared.db import physical_name
    from chalicelib.shared.events import OutboxRecord, relayed_envelopes, relayed_tables

    records: list[dict[str, Any]] = []
    for record in OutboxRecord.scan():
        records.append({"eventName": "INSERT", "dynamodb": {"NewImage": {"envelope": {"S": record.envelope}}}})
        record.delete()
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID]["cn-north-1"].tables
    for cls in relayed_tables():
        if cls is not OutboxRecord:
            shard = tables[physical_name("loyalty-bench", cls.logical_name)].stream_shard
            records += [record.to_json() for record in shard.items[_TAKEN[cls.logical_name] :]]
            _TAKEN[cls.logical_name] = len(shard.items)
    return relayed_envelopes(records)


def requests_of(operation: Callable[[], Any]) -> tuple[int, dict[str, int]]:
    """DynamoDB requests one call of ``operation`` makes, in total and by API operation (``S3_REQUESTS`` counts S3's
    apart, cleared here too)."""
    REQUESTS.clear()
    S3_REQUESTS.clear()
    operation()
    counted = dict(REQUESTS)
    return sum(counted.values()), counted


def warm_requests_of(operation: Callable[[], Any]) -> tuple[int, dict[str, int]]:
    """``requests_of`` a call made right after a first one that filled every per-process cache: what a warm function
    spends, whatever the caches held before (one they had filled long ago would expire between the two calls)."""
    from chalicelib.shared import cache

    cache.forget_every()
    operation()
    ITEMS_READ.clear()
    return requests_of(operation)


def latency_ms(operation: Callable[[int], Any], runs: int = 200) -> dict[str, float]:
    """p50 and p95 in milliseconds of ``operation(i)`` over ``runs`` calls at this scale (after a short warm-up)."""
    runs = scaled(runs, least=20)
    for i in range(5):
        operation(-1 - i)
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        operation(i)
        samples.append((time.perf_counter() - start) * 1000)
    quantiles = statistics.quantiles(samples, n=20)
    return {"p50": round(statistics.median(samples), 3), "p95": round(quantiles[18], 3)}


def admin_auth() -> dict[str, str]:
    """An Authorization header of a bench admin (made through the identity service on the emulator)."""
    from chalicelib.identity import service

    service.ensure_admin("bench-admin", "bench admin password")
    return {"authorization": f"Bearer {service.log_in('bench-admin', 'bench admin password').access_token}"}


STORE = "SH-001"


@contextlib.contextmanager
def signed_purchases() -> Iterator[Callable[[str, int], None]]:
    """``post(member_id, paid_fen)``: a signed purchase webhook through the whole HTTP path, in-process."""
    import itertools
    import json

    from chalice.test import Client

    from chalicelib.identity.partners import create_partner
    from chalicelib.identity.signatures import signature_header
    from chalicelib.local import gateway
    from chalicelib.shared import clock
    from chalicelib.stores.schemas import StoreCreate
    from chalicelib.stores.service import create_store, store_exists

    gateway.install()
    import app

    if not store_exists(STORE):
        create_store(StoreCreate(store_id=STORE, name="上海一店", city="上海", region="华东"))
    issued = create_partner("bench POS", [], enrols_members=False)
    orders = itertools.count()
    with Client(app.app, stage_name="local") as client:

        def post(member_id: str, paid_fen: int) -> None:
            body = json.dumps({"order_id": f"bench-{next(orders)}", "member": {"member_id": member_id},
                               "store_id": STORE, "occurred_at": clock.iso(clock.now() - timedelta(hours=1)),
                               "total_fen": paid_fen, "paid_fen": paid_fen,
                               "payment_method": "cash"}).encode()  # fmt: skip
            headers = {"content-type": "application/json", "x-partner-id": issued.partner.partner_id,
                       "x-signature": signature_header(issued.secret, int(time.time()), body, "POST",
                                                      "/v1/webhooks/purchases")}  # fmt: skip
            answer = client.http.post("/v1/webhooks/purchases", headers=headers, body=body)
            assert answer.status_code == 200, answer.body

        yield post


@dataclass
class LocalStack:
    """A local stack started by ``local_stack``: its URL, its process, its data directory and its output."""

    url: str
    process: subprocess.Popen[bytes]
    local_dir: Path
    log: Path
    seconds_to_healthy: float
    token: str = ""

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """One API call as the stack's admin (logged in once per stack); its JSON answer."""
        if not self.token:
            admin = json.loads((self.local_dir / "credentials.json").read_text())["admin"]
            self.token = self._send("POST", "/v1/auth/token", admin, {})["access_token"]
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": secrets.token_hex(8)}
        return self._send(method, path, body, headers)

    def make_stores(self, stores: Iterable[str]) -> None:
        """Create ``stores`` (as an operator makes them before an import into a stack started without the demo
        data), and wait until their events are consumed."""
        for store in stores:
            self.call("POST", "/v1/stores", {"store_id": store, "name": store, "city": "c", "region": "r"})
        self.settle()

    def settle(self) -> None:
        """Until the stack's queues and outbox have stayed empty for two looks in a row, a second apart."""
        waiting, empty = waiting_messages(self), 0
        deadline = time.monotonic() + 600
        while empty < 2 and time.monotonic() < deadline:
            empty = empty + 1 if waiting() == 0 else 0
            time.sleep(1)

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data, {**headers, "Content-Type": "application/json"},
                                         method=method)  # fmt: skip
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read() or b"null")

    def client(self, service: str) -> Any:
        """A boto3 client of the stack's emulator, as its ``stack.json`` names it."""
        import boto3

        stack_file = json.loads((self.local_dir / "stack.json").read_text())
        return boto3.client(service, endpoint_url=stack_file["endpoint_url"],
                            region_name=stack_file["environment"]["AWS_DEFAULT_REGION"],
                            aws_access_key_id="local", aws_secret_access_key="local")  # fmt: skip

    def stop(self) -> float:
        """SIGTERM, as Ctrl-C or `make` sends it; seconds until the stack has finished its deliveries under way, saved
        its items and queued messages, and exited."""
        start = time.perf_counter()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=600)
        return round(time.perf_counter() - start, 2)


def waiting_messages(stack: LocalStack) -> Callable[[], int]:
    """Messages waiting or in flight in the stack's event queues, plus outbox items not yet relayed, as a function (the
    approximate counts are recounted at most once a second: ask again until it answers 0 twice)."""
    sqs, dynamodb = stack.client("sqs"), stack.client("dynamodb")
    urls = [url for url in sqs.list_queues()["QueueUrls"] if not url.endswith("-dlq")]
    urllib.request.urlopen(f"{stack.url}/v1/health", timeout=5).close()

    def waiting() -> int:
        counts = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
        queued = sum(int(value) for url in urls
                     for value in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(counts))["Attributes"]
                     .values())  # fmt: skip
        outbox = dynamodb.scan(TableName="loyalty-local-outbox", Select="COUNT", Limit=1000)["Count"]
        return queued + outbox

    return waiting


def local_env(local_dir: Path) -> dict[str, str]:
    """The environment of a developer's shell (none of this harness's settings), for ``local_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOYALTY_", "AWS_"))}
    return {**env, "LOYALTY_LOCAL_DIR": str(local_dir)}


@contextlib.contextmanager
def local_stack(local_dir: Path, *, seed: bool = True) -> Iterator[LocalStack]:
    """The local stack (what `make run` execs) on ``local_dir`` and a free port, once it answers healthy; without
    ``seed``, with no demo data (`local up --no-seed`)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # a free port, so a concurrent run elsewhere is never the one answering
    env = {**local_env(local_dir), "PORT": str(port)}
    log = local_dir.parent / f"{local_dir.name}.log"
    start = time.perf_counter()
    command = [sys.executable, "-m", "chalicelib.cli", "local", "up", *([] if seed else ["--no-seed"])]
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/v1/health", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.perf_counter() - start > 600:
                    raise RuntimeError(f"the local stack did not start:\n{log.read_text()}") from None
                time.sleep(0.05)
        yield LocalStack(url, process, local_dir, log, round(time.perf_counter() - start, 2))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=600)
