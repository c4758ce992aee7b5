"""Test settings: fake credentials and a stage of our own, set before any application module is imported."""

import atexit
import os
import shutil
import tempfile

# the master key, exports and pictures; removed when the process ends
SCRATCH = tempfile.mkdtemp(prefix="loyalty-test-")
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
os.mkdir(os.path.join(SCRATCH, "exports"))
os.mkdir(os.path.join(SCRATCH, "media"))
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="cn-north-1",
    LOYALTY_STAGE="test",
    LOYALTY_STORAGE="emulator",
    LOYALTY_TABLE_PREFIX="loyalty-test",
    LOYALTY_EVENTS_TOPIC_ARN="arn:aws-cn:sns:cn-north-1:123456789012:loyalty-test-events",
    LOYALTY_JOBS_QUEUE_URL="https://sqs.cn-north-1.amazonaws.com.cn/123456789012/loyalty-test-jobs",
    LOYALTY_IMPORTS_QUEUE_URL="https://sqs.cn-north-1.amazonaws.com.cn/123456789012/loyalty-test-imports",
    LOYALTY_IMPORTS_BUCKET="loyalty-test-imports",
    LOYALTY_CURSOR_SECRET="test-cursor-secret-test-cursor-secret",
    LOYALTY_CORS_ORIGINS="https://console.example",
    LOYALTY_LOOKUP_HASH_KEY="test-lookup-hash-key-test-lookup-hash-key",
    LOYALTY_JWT_SECRET="test-jwt-secret-test-jwt-secret-test-jwt",
    LOYALTY_LOCAL_KEY_FILE=os.path.join(SCRATCH, "master.key"),
    LOYALTY_EXPORTS=os.path.join(SCRATCH, "exports"),
    LOYALTY_MEDIA=os.path.join(SCRATCH, "media"),
    LOYALTY_PASSWORD_HASHING="test",  # argon2 at small costs: the tests hash many passwords
    POWERTOOLS_LOG_LEVEL="WARNING",
)
for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
    os.environ.pop(name, None)

import contextlib  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from _pytest.nodeid import NodeId  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core.custom_responses_mock import reset_responses_mock  # noqa: E402
from moto.core.model_instances import reset_model_data  # noqa: E402
from moto.core.models import DEFAULT_ACCOUNT_ID, responses_mock  # noqa: E402

from chalicelib.local import gateway, queries, queues, transactions  # noqa: E402
from chalicelib.local.emulator import speed_up_moto  # noqa: E402
from chalicelib.local.provision import Provisioned, provision  # noqa: E402
from chalicelib.shared import jobs  # noqa: E402
from chalicelib.shared.db import bind_tables, connection, physical_name, registered_tables  # noqa: E402
from chalicelib.shared.topology import physical_topic_name  # noqa: E402

PREFIX = os.environ["LOYALTY_TABLE_PREFIX"]
EPOCH = date(2026, 1, 1)  # the tests' platform holds data from this day (their clocks are frozen in 2026)
REGION = os.environ["AWS_DEFAULT_REGION"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep ``--dist loadgroup``'s groups under pytest 9.2. pytest-xdist 3.8 tells its scheduler a test's group by
    appending ``@group`` to ``item._nodeid``, which pytest no longer reads (node ids live in ``item._id`` now), so
    every ``xdist_group`` was silently ignored (pytest-dev/pytest-xdist#1386): the CloudFormation package was
    built once per worker, and the make-run and http-stack tests were spread over both."""
    for item in items:
        grouped = item.__dict__.get("_nodeid")
        if grouped and grouped != item.nodeid:
            item._id = NodeId.parse(grouped)


class _WorkerEmulator:
    """This test process's in-process emulator: the stage's tables, queues and topic are made once, emptied before
    every test that asks for ``aws``, and switched off for every other test (which may start an emulator of its
    own, as every test did before this one was shared).

    Emptying reaches into moto's memory, as the local stack's reload does (``chalicelib.local.emulator``): it costs
    microseconds, where making the 27 tables and the queues again cost 0.3-0.6 s a test, and deleting items
    through the API would cost a request per table.
    """

    def __init__(self) -> None:
        self._mock = mock_aws()
        self._on = False
        self._provisioned: Provisioned | None = None
        self._jobs_table: object = None  # the moto table provisioning made: another one means moto was reset

    def ready(self) -> Provisioned:
        """The stage's resources, holding nothing."""
        # moto copies every table a transaction touches, so a test's cost grew with what its tables held (the
        # points model spent 22 of its 30 s copying). The local stack's two-phase TransactWriteItems costs what
        # it writes and ends where moto's does for every outcome (tests/integration/test_emulator_transactions.py);
        # any test process that started a local emulator used it already, so now every test sees the same one.
        # It needs requests applied one at a time, as the emulator's lock makes them; in-process tests send them so.
        transactions.install()
        queues.install()  # the local stack's SQS, whose receive costs what it takes, not what the queue holds
        queries.install(in_process=True)  # and its queries, which read the partition asked for, not the table
        speed_up_moto()
        if not self._on:
            reset_responses_mock(responses_mock)  # each start registers moto's routes again: keep one set
            self._mock.start(reset=False)
            self._on = True
        jobs_table = _dynamodb_backend().tables.get(physical_name(PREFIX, "jobs"))
        if self._provisioned is None or jobs_table is not self._jobs_table:  # first use, or another emulator reset moto
            self._provisioned = provision(PREFIX, REGION)
            self._jobs_table = _dynamodb_backend().tables[physical_name(PREFIX, "jobs")]
            bind_tables(PREFIX, REGION)
        _unsigned(connection().client)
        empty_the_emulator()
        return self._provisioned

    def pause(self) -> None:
        """Switch moto off, keeping what it holds."""
        if self._on:
            self._mock.stop(remove_data=False)
            self._on = False


def _unsigned(client: Any) -> None:
    """DynamoDB requests to the in-process emulator go unsigned: moto never checks a signature, and signing was a
    twelfth of the tests' time. Only this process's shared DynamoDB client: other clients, presigned URLs and every
    stack a test starts sign as they do in production."""
    from botocore import UNSIGNED

    if not getattr(client, "_loyalty_unsigned", False):
        client.meta.events.register_first("choose-signer.dynamodb", lambda **kwargs: UNSIGNED)
        client._loyalty_unsigned = True


def _dynamodb_backend() -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


def empty_the_emulator() -> None:
    """Drop every item, stream record, queued message and published notification of this stage's resources, and
    any table, queue or topic a test made beside them: a test starts from an empty platform, as it would on a
    fresh emulator."""
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    ours = f"{PREFIX}-"
    dynamodb = _dynamodb_backend()
    for name, table in list(dynamodb.tables.items()):
        if not name.startswith(ours):
            dynamodb.delete_table(name)
            continue
        table.items.clear()
        if table.stream_shard is not None:
            table.stream_shard.items.clear()
    sqs = sqs_backends[DEFAULT_ACCOUNT_ID][REGION]
    for name, queue in list(sqs.queues.items()):
        if not name.startswith(ours):
            sqs.delete_queue(name)
            continue
        with queue._messages_lock:  # what purge_queue does, without its one-purge-a-minute rule
            queue._messages = []
            queue._pending_messages = set()
            queue.deleted_messages = set()
    sns = sns_backends[DEFAULT_ACCOUNT_ID][REGION]
    for arn, topic in list(sns.topics.items()):
        if not arn.endswith(f":{physical_topic_name(PREFIX)}"):
            sns.delete_topic(arn)
            continue
        topic.sent_notifications.clear()
    _empty_the_buckets()
    _empty_the_exports_folder()
    queries.items_changed()  # the local emulator's partition maps, if one ran in this process, are stale now
    reset_model_data()  # moto tracks every object it ever made (tables it copied for each transaction too)


def _empty_the_buckets() -> None:
    """Every object and unfinished upload out of the stage's bucket; any other bucket a test made, gone."""
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    s3 = s3_backends[DEFAULT_ACCOUNT_ID][get_partition(REGION)]
    for name, bucket in list(s3.buckets.items()):
        for key in bucket.keys.values():
            key.dispose()  # moto keeps each object in a temporary file
        bucket.keys.clear()
        for upload_id in list(bucket.multiparts):
            del bucket.multiparts[upload_id]  # disposes of its parts too
        if not name.startswith(f"{PREFIX}-"):
            s3.delete_bucket(name)


def _empty_the_exports_folder() -> None:
    """The export files of earlier tests gone (the folder is the session's, ``LOYALTY_EXPORTS``)."""
    for entry in Path(os.environ["LOYALTY_EXPORTS"]).iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


_worker_emulator = _WorkerEmulator()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test that does not ask for ``aws`` runs without it, from before its first fixture (a module's fixture may
    start an emulator of its own, and moto resets only an outermost one)."""
    if "aws" not in getattr(item, "fixturenames", ()):
        _worker_emulator.pause()


def pytest_sessionfinish() -> None:
    _worker_emulator.pause()


@pytest.fixture
def aws() -> Provisioned:
    """The in-process emulator with every table, queue and the topic, as the infra declares them, and nothing in
    them. The resources are made once per test process (xdist worker) and emptied before each test."""
    from chalicelib.shared import cache, clock
    from chalicelib.shared.settings import get_settings

    provisioned = _worker_emulator.ready()
    # an empty emulator holds none of what earlier tests created: forget the per-process caches
    cache.forget_every()
    clock.forget_test_clock()
    get_settings.cache_clear()
    jobs.set_epoch(EPOCH)
    return provisioned


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


class Api:
    """Calls the app in-process through chalice.test.Client, JSON in and out, as ``token``'s owner.

    By default calls carry an admin's access token; ``as_(token)`` gives a client acting as someone else
    (``None``: no credentials at all).
    """

    def __init__(self, client: Any, token: str | None = None) -> None:
        self._client = client
        self.token = token

    def as_(self, token: str | None) -> "Api":
        return Api(self._client, token)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        from tests.http import finished

        auth = {"authorization": f"Bearer {self.token}"} if self.token else {}
        sent = {"content-type": "application/json", **auth, **finished(headers, method, path)}
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        response = getattr(self._client.http, method.lower())(path, headers=sent, body=payload)
        text = response.body.decode() if response.body else ""
        content_type = response.headers.get("Content-Type", "")
        parsed = json.loads(text) if text and "json" in content_type else text
        return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, parsed)

    def get(self, path: str, **kw: Any) -> Answer:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("PATCH", path, body, **kw)


@pytest.fixture
def partner(api: Api) -> tuple[str, str]:
    """The POS of store SH-001 (stores SH-001 and BJ-001 exist), which may enrol members: ``(id, secret)``."""
    for store_id in ("SH-001", "BJ-001"):
        api.post("/v1/stores", {"store_id": store_id, "name": store_id, "city": "c", "region": "r"})
    created = api.post("/v1/partners", {"name": "POS", "stores": ["SH-001"], "enrols_members": True}).body
    return created["partner_id"], created["secret"]


@pytest.fixture
def api(aws: Provisioned) -> Iterator[Api]:
    from chalice.test import Client

    gateway.install()
    import app

    with Client(app.app, stage_name="local") as client:
        yield Api(client, token_for(["admin"]))


STAFF_PASSWORD = "correct horse battery staple"
_made: list[str] = []


def token_for(roles: list[str], stores: tuple[str, ...] = ()) -> str:
    """An access token for a new staff account with ``roles`` (and store scope, whose stores are made if
    missing: staff are scoped only to stores that exist), made through the service, as if they had just logged in
    (logging in is tested through the API; here it would cost a lockout count and two reads for every test)."""
    from chalicelib.identity import service
    from chalicelib.identity.schemas import StaffCreate
    from chalicelib.shared import clock
    from chalicelib.stores.schemas import StoreCreate
    from chalicelib.stores.service import create_store, store_exists

    for store_id in stores:
        if not store_exists(store_id):
            create_store(StoreCreate(store_id=store_id, name=store_id, city="c", region="r"))

    username = f"{'-'.join(roles)}-{len(_made)}".replace("_", "-")
    _made.append(username)
    account = StaffCreate(username=username, display_name=username, password=STAFF_PASSWORD, roles=roles,
                          stores=list(stores))  # fmt: skip
    staff = service.create_staff(account)
    return service.issue_tokens(service._staff_claims(staff, clock.real_now().timestamp())).access_token


def member_token(phone: str = "13900000000", name: str = "会员") -> tuple[str, str]:
    """A member registered through the service and an access token of theirs, as if they had just logged in:
    ``(member_id, token)``."""
    from chalicelib.identity.member_auth import member_claims
    from chalicelib.identity.service import issue_tokens
    from chalicelib.members import service
    from chalicelib.members.schemas import MemberCreate
    from chalicelib.shared import clock

    member_id, _ = service.register(MemberCreate(name=name, phone=phone))
    return member_id, issue_tokens(member_claims(member_id, clock.now().timestamp())).access_token


def signed_headers(
    partner_id: str, secret: str, body: bytes, timestamp: int | None = None, *, v1: bool = False
) -> dict[str, str]:
    """The headers of a partner request signed as the README shows: ``v2`` (method, path and body), signed when the
    request is sent (``tests.http.SignedHeaders``); with ``v1``, the older signature over the body alone."""
    import hashlib
    import hmac

    from chalicelib.shared import clock
    from tests.http import SignedHeaders

    t = int(clock.now().timestamp()) if timestamp is None else timestamp
    if not v1:
        return SignedHeaders(partner_id, secret, body, t)
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"x-partner-id": partner_id, "x-signature": f"t={t},v1={digest}"}


def deliver(aws: Provisioned, queue: str, times: int = 1) -> list[dict[str, Any]]:
    """Relay the outbox to the topic, then hand ``queue``'s messages to its Lambda handler ``times`` times (a
    repeat is a redelivery). Returns the messages."""
    from chalicelib.platform import handlers
    from chalicelib.shared.topology import QUEUES

    handlers.outbox_relay({"Records": stream_records()}, None)
    sqs = emulator_client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=aws.queue_urls[queue], MaxNumberOfMessages=10).get("Messages"):
        messages += [{"messageId": m["MessageId"], "body": m["Body"]} for m in batch]
        handles = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        sqs.delete_message_batch(QueueUrl=aws.queue_urls[queue], Entries=handles)
    handler = getattr(handlers, next(spec.handler for spec in QUEUES if spec.logical_name == queue))
    for _ in range(times):
        assert handler({"Records": messages}, None) == {"batchItemFailures": []}
    return messages


def stream_records() -> list[dict[str, Any]]:
    """What the relay's streams hand it, as if nothing had been relayed yet, in the order they were written: the
    records of every relayed table's stream as the emulator keeps them (emptied between tests), leaving out the
    insertions of outbox items a test deleted since."""
    from chalicelib.shared.events import OutboxRecord, relayed_tables

    present = {record.event_id for record in OutboxRecord.scan()}
    tables = _dynamodb_backend().tables
    records = []
    for cls in relayed_tables():
        for record in tables[physical_name(PREFIX, cls.logical_name)].stream_shard.items:
            found = record.to_json()
            if cls is OutboxRecord and found["dynamodb"]["Keys"]["event_id"]["S"] not in present:
                continue
            records.append(found)
    return sorted(records, key=lambda found: found["dynamodb"]["ApproximateCreationDateTime"])


def published_envelopes() -> list[dict[str, Any]]:
    """Every event written so far, as the relay publishes them (``stream_records``)."""
    from chalicelib.shared.events import relayed_envelopes

    return relayed_envelopes(stream_records())


@functools.cache
def emulator_client(service: str) -> Any:
    """A boto3 client of the in-process emulator (made once: a client costs 20-40 ms)."""
    import boto3

    return boto3.client(service, region_name=REGION)


def item_counts() -> dict[str, int]:
    """Items in every table, by logical name: proof that a refused request wrote nothing. Counted in the emulator's
    memory, which is this process's (a scan of each table was 27 requests a call)."""
    tables = _dynamodb_backend().tables
    return {
        cls.logical_name: sum(1 for _ in queries.stored_items(tables[physical_name(PREFIX, cls.logical_name)]))
        for cls in registered_tables()
    }


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class HttpStack:
    url: str
    token: str


def _undo_an_earlier_local_server() -> None:
    """Chalice's local server rebases the app's class onto its own; a second server in this process (another
    module's stack) must start from the app's own class, or the rebase makes an inheritance cycle."""
    from chalice.app import Chalice
    from chalice.local import LocalChalice

    import app

    if isinstance(app.app, LocalChalice):
        app.app.__class__ = Chalice


@pytest.fixture(scope="module")
def http_stack() -> Iterator[HttpStack]:
    """The API served by Chalice's local server over real HTTP, on the locked emulator (for race tests)."""
    from chalice.cli import create_local_server
    from chalice.cli.factory import CLIFactory

    from chalicelib.local.emulator import LockedEmulator
    from chalicelib.local.localdir import PROJECT_DIR

    emulator = LockedEmulator()
    emulator.start()
    os.environ["AWS_ENDPOINT_URL"] = emulator.endpoint_url
    provision(PREFIX, REGION, endpoint_url=emulator.endpoint_url)
    empty_the_emulator()  # moto's memory is this process's: what the last ``aws`` test left is still there
    bind_tables(PREFIX, REGION)
    gateway.install()
    _undo_an_earlier_local_server()
    port = free_port()
    server = create_local_server(
        CLIFactory(project_dir=str(PROJECT_DIR), environ=dict(os.environ)), "127.0.0.1", port, "local"
    )
    thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    from chalicelib.identity import service

    service.ensure_admin("race-admin", STAFF_PASSWORD)
    try:
        yield HttpStack(f"http://127.0.0.1:{port}", service.log_in("race-admin", STAFF_PASSWORD).access_token)
    finally:
        server.shutdown()
        server.server.server_close()
        thread.join(timeout=10)
        emulator.stop()
        os.environ.pop("AWS_ENDPOINT_URL", None)
        bind_tables(PREFIX, REGION)
