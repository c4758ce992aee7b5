"""The embedded AWS emulator (moto server) behind one lock, with save and restore of table data.

moto applies conditions and transactions without a lock, so concurrent requests can both pass a condition
(lost updates, negative balances) in ways DynamoDB never allows. Serving every request under one lock makes
the emulator serialisable, so race tests measure our code rather than the emulator. moto keeps nothing on
disk: ``snapshot`` and ``save`` dump table items as DynamoDB JSON and ``restore`` reloads them.

At the size of a real chain (100,000 members are some 700,000 items) both run inside the emulator's memory,
since it runs in this process: a reload writes the saved items straight into moto's tables instead of
sending one request per 25 items, and a snapshot copies items without sorting tables or copying twice.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gc
import io
import json
import pickle
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from moto import backends as _moto_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from chalicelib.local import arrivals, queries, queues, transactions
from chalicelib.shared.events import published_from
from chalicelib.shared.files import private_file

_LIST_MOTO_MODULES = _moto_backends.list_of_moto_modules
_FRAMING = {"connection", "transfer-encoding", "content-length"}  # the kept-alive handler sets its own
_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


UNREAD = "?"  # stands for the tables of a write whose body could not be read: a table no saver waits for


def _tables_written(environ: dict[str, Any]) -> list[str]:
    """The tables a DynamoDB write request names, one per item a transaction writes; its body is read and handed
    back to moto unchanged. A body without a length (chunked) is left to moto unread, and one that is not plain JSON
    (compressed, say) names none: either counts as ``UNREAD``, so a write is never kept from a save."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return [UNREAD]
    if not length:
        return [UNREAD]
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        request = json.loads(body)
        if "TransactItems" in request:
            return [operation["TableName"] for entry in request["TransactItems"] for operation in entry.values()]
        if "RequestItems" in request:
            return list(request["RequestItems"])
        return [request["TableName"]]
    except (ValueError, TypeError, KeyError, AttributeError):
        return [UNREAD]


class _QuietHandler(MotoRequestHandler):
    def setup(self) -> None:
        """Answers go out as they are written: werkzeug writes an answer in several small pieces (headers, chunk
        sizes, the body, the last chunk), and with Nagle's algorithm each piece after the first waited for the
        client's acknowledgement, which the client delays: 10 to 60 ms a request, most of a local import's time."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Requests are not logged: the emulator would drown the platform's own logs."""

    def run_wsgi(self) -> None:
        """Answer on a kept-alive connection, as DynamoDB does. werkzeug closes every connection (and waits 10 ms
        after each answer to drain the socket), so every request paid a new TCP connection. A request whose length
        is known is read whole, and the answer (the locked app returns it whole) goes out with its length; a
        request without a length is answered by werkzeug, which closes the connection."""
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            super().run_wsgi()
            return
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(self.rfile.read(int(length)))
        status, headers, body = _whole_answer(self.server.app, environ)
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        head = environ["REQUEST_METHOD"] == "HEAD"  # its Content-Length is the app's: that of the body not sent
        for name, value in headers:
            if name.lower() not in _FRAMING or (head and name.lower() == "content-length"):
                self.send_header(name, value)
        if not head:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)
        self.wfile.flush()


def _whole_answer(
    app: Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    """The locked app's answer to ``environ``: its status line, headers and whole body."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
        started[:] = [status, headers]
        return _no_write

    body = b"".join(app(environ, start_response))
    return started[0], started[1], body


def _no_write(data: bytes) -> None:
    raise NotImplementedError("the locked app returns its answer whole")


class _Body(io.BytesIO):
    """An answer's body as botocore reads one: whole (``stream``) or in pieces (``read``, a streamed S3 object)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


class LockedEmulator(ThreadedMotoServer):
    """moto's server with every request applied under one lock; counts DynamoDB writes for saving."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)
        self._lock = threading.Lock()
        self._writes_to: Counter[str] = Counter()  # per table, changed under the lock
        self.requeued = 0  # messages the last ``restore`` sent to their queues again
        self._made_clients: Callable[..., Any] | None = None  # botocore's, while ``answer_this_process`` is on
        self._answering_with: Callable[..., Any] | None = None  # the wrapper put in its place
        transactions.install()  # safe only because every request runs under the lock
        queues.install()
        queries.install()
        arrivals.install()
        speed_up_moto()

    def _server_entry(self) -> None:
        self._server = make_server(self._ip_address, self._port, self.app, True, request_handler=_QuietHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    @functools.cached_property
    def _dispatcher(self) -> DomainDispatcherApplication:
        return DomainDispatcherApplication(create_backend_app)

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """moto's WSGI application, one request at a time under the lock; counts the writes that changed something
        (they make the data worth saving)."""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        tables = _tables_written(environ) if target.endswith(_WRITES) else []

        def counting_start_response(status: str, *args: Any) -> Any:
            if status.startswith("200"):
                self._writes_to.update(tables)
            return start_response(status, *args)

        with self._lock, queries.serving(target):
            return list(self._dispatcher(environ, counting_start_response))

    def writes_by_table(self) -> dict[str, int]:
        """How many writes that changed something each table has had (one per item a transaction writes)."""
        with self._lock:
            return dict(self._writes_to)

    def answer_this_process(self) -> None:
        """From now until ``stop``, every AWS client this process makes for the emulator's endpoint hands its requests
        to ``app`` directly instead of over a socket (the local stack's own API, seed, relay and poller: most of its
        requests). botocore still signs each request and parses its answer, and the lock still orders it among the
        requests other processes (the CLI, the workers) send over HTTP: the HTTP round trip is saved, and an exception
        inside moto reaches the caller as raised (over HTTP, the connection dropped and botocore retried). A client
        made before stays on its socket; once the emulator stops, every client goes back to its socket."""
        from botocore.session import Session

        if self._made_clients is not None:
            raise RuntimeError("the emulator already answers this process")
        make_client, served = Session.create_client, urlsplit(self.endpoint_url)[:2]

        def create_client(session: Session, *args: Any, **kwargs: Any) -> Any:
            client = make_client(session, *args, **kwargs)
            if urlsplit(client.meta.endpoint_url)[:2] == served:
                client.meta.events.register_first("before-send", self._answer, unique_id=f"emulator-{id(self)}")
            return client

        Session.create_client = create_client
        self._made_clients = make_client
        self._answering_with = create_client

    def stop(self) -> None:
        if self._made_clients is not None:
            from botocore.session import Session

            if Session.create_client is self._answering_with:  # unless patched again since
                Session.create_client = self._made_clients
            self._made_clients = self._answering_with = None
        super().stop()

    def _answer(self, request: Any, **_: Any) -> Any:
        """A botocore request answered by ``app`` in this thread, as the HTTP server would have answered it; None (the
        socket) once the emulator stopped. The body goes whole, so the transport's framing headers are left out."""
        from botocore.awsrequest import AWSResponse
        from werkzeug.test import EnvironBuilder

        if self._made_clients is None:
            return None
        url = urlsplit(request.url)
        body = request.body
        body = body.read() if hasattr(body, "read") else body.encode() if isinstance(body, str) else body or b""
        headers = {
            name: value.decode() if isinstance(value, bytes) else value
            for name, value in request.headers.items()
            if name.lower() not in _FRAMING
        }
        environ = EnvironBuilder(
            path=url.path or "/", base_url=f"{url.scheme}://{url.netloc}", query_string=url.query,
            method=request.method, headers=headers, data=body,
        ).get_environ()  # fmt: skip
        status, listed, answer = _whole_answer(self.app, environ)
        answer_headers: dict[str, str] = {}
        for name, value in listed:  # a header named twice is joined, as HTTP would carry it
            answer_headers[name] = f"{answer_headers[name]}, {value}" if name in answer_headers else value
        return AWSResponse(request.url, int(status.split(" ", 1)[0]), answer_headers, _Body(answer))

    @property
    def endpoint_url(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def snapshot(self, region: str, tables: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Every item of ``tables`` as DynamoDB JSON, read under the lock: no write is half in the snapshot.

        Values are copied into containers of their own, so writes made once the lock is released never reach
        into a snapshot still being written out.
        """
        with self._lock, _collector_paused():
            return self._items(region, tables)

    def snapshot_with_queues(
        self, region: str, tables: Iterable[str], prefix: str
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
        """``snapshot`` and the messages queued (``_queued``) in one hold of the lock, so nothing happens between the
        two: an event is in the outbox, in a queue, or consumed (the relay moves it from the outbox to a queue, a
        consumer takes it off)."""
        with self._lock, _collector_paused():
            return self._items(region, tables), self._queued(region, prefix)

    @staticmethod
    def _items(region: str, tables: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        backend = _dynamodb(region)
        return {
            name: [_attribute_values(item) for item in queries.stored_items(backend.tables[name])]
            for name in tables
            if name in backend.tables
        }

    def forget(
        self, region: str, table_name: str, relayed: list[tuple[dict[str, Any], str | None]], through: int | None = None
    ) -> None:
        """Forget what the relay published, leaving no record on the table's stream: for each key (DynamoDB JSON),
        the item (an outbox item), or the events it carried (base64) if it still carries those; and the stream's
        records up to sequence number ``through``, which the relay has read (the emulator keeps every record else:
        about a kilobyte for each write of an account)."""
        from chalicelib.shared.events import CARRIED

        with self._lock:
            table = _dynamodb(region).tables[table_name]
            for key, carried in relayed:
                hash_key = DynamoType(key[table.hash_key_attr])
                found: Any = table.items if table.range_key_attr is None else table.items.get(hash_key, {})
                item_key = hash_key if table.range_key_attr is None else DynamoType(key[table.range_key_attr])
                if carried is None:
                    found.pop(item_key, None)
                elif (item := found.get(item_key)) is not None and _base64(item.attrs.get(CARRIED)) == carried:
                    del item.attrs[CARRIED]
            shard = table.stream_shard
            if through is not None and shard is not None and (read := through - shard.starting_sequence_number + 1) > 0:
                del shard.items[:read]
                shard.starting_sequence_number += read
            if relayed:
                self._writes_to[table_name] += 1
                queries.items_changed()

    @staticmethod
    def _queued(region: str, prefix: str) -> dict[str, list[dict[str, Any]]]:
        """The messages each queue named ``prefix…`` holds, waiting or in flight: each as its body and message
        attributes, for ``save`` to keep beside the items."""
        from moto.sqs.models import sqs_backends

        queues = sqs_backends[DEFAULT_ACCOUNT_ID][region].queues
        return {
            name: [{"body": m.body, **({"attributes": m.message_attributes} if m.message_attributes else {})}
                   for m in queue._messages]
            for name, queue in queues.items() if name.startswith(prefix) and queue._messages
        }  # fmt: skip

    def restore(self, region: str, path: Path) -> int:
        """Load the items saved at ``path`` into the existing tables; return how many were loaded. The messages saved
        with them are sent to their queues again (``requeued`` counts them): a message that was in flight is delivered
        again, which its consumers take as the repeat it is.

        The items go straight into the emulator's tables: they were accepted when they were written, so they
        are not checked again. A table with a stream records each item the relay publishes from as PutItem would
        (the outbox, and the events an account carried, that were not relayed when they were saved). The items
        then live as long as the emulator, so they are frozen out of the garbage collector's passes, which would
        otherwise walk millions of objects again and again.
        """
        if not path.exists():
            return 0
        from moto.sqs.models import sqs_backends

        loaded = 0
        with self._lock, _collector_paused():
            document = json.loads(path.read_text(encoding="utf-8"))
            backend = _dynamodb(region)
            for name, items in document.get("tables", {}).items():
                if name in backend.tables:
                    table = backend.tables[name]
                    for attributes in items:
                        _put(table, attributes)
                    loaded += len(items)
            sqs = sqs_backends[DEFAULT_ACCOUNT_ID][region]
            for name, messages in document.get("queues", {}).items():
                if name in sqs.queues:
                    for message in messages:
                        sqs.send_message(name, message["body"], message_attributes=message.get("attributes"))
                    self.requeued += len(messages)
            del document
            queries.items_changed()
        gc.freeze()
        return loaded


def speed_up_moto() -> None:
    """moto's work per request that does not change while a process runs, done once (each measured in the
    emulator's profile): pure speed, for the local stack and the tests' in-process emulator alike."""
    _list_moto_modules_once()
    _convert_names_once()
    _list_handler_methods_once()
    _dump_item_answers_directly()
    _load_item_requests_directly()
    _parse_update_expressions_once()
    _copy_update_trees_by_pickle()
    _list_node_types_once()
    _check_whole_updates_once()


def _list_handler_methods_once() -> None:
    """moto lists a handler class's methods (``inspect.getmembers``) on every request to find the action's: a
    twentieth of the tests' emulator time. A class's methods do not change."""
    from moto.core import responses

    listed = responses.method_names_from_class  # type: ignore[attr-defined]
    if not hasattr(listed, "cache_info"):
        responses.method_names_from_class = functools.cache(listed)  # type: ignore[attr-defined]


_ITEM_ACTIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
    "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
})  # fmt: skip


def _dump_item_answers_directly() -> None:
    """moto walks botocore's model of every answer to serialize it, a third of its time on a request. An item
    action's answer is DynamoDB JSON already once moto has built it, so it is dumped as it is, leaving out what
    the model walk leaves out (members the model does not know, or absent). Any other answer, an error, or an
    answer holding what JSON cannot hold (binary, times) still takes moto's way;
    ``tests/integration/test_emulator_answers.py`` checks that both ways give the same answers."""
    from moto.core.utils import get_service_model
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.serialized, "direct", False):
        return
    modelled = DynamoHandler.serialized

    @functools.cache
    def answer_members(action: str) -> frozenset[str]:
        return frozenset(get_service_model("dynamodb").operation_model(action).output_shape.members)

    def serialized(self: DynamoHandler, action_result: Any) -> Any:
        answer, action = action_result.result, self._get_action()
        if action not in _ITEM_ACTIONS or type(answer) is not dict:
            return modelled(self, action_result)
        members = answer_members(action)
        kept = {name: value for name, value in answer.items() if name in members and value is not None}
        if "ConsumedCapacity" in kept:  # its capacity units are doubles in the model: 2 is sent as 2.0
            kept["ConsumedCapacity"] = _capacity_as_doubles(kept["ConsumedCapacity"])
        try:
            body = json.dumps(kept)
        except TypeError:
            return modelled(self, action_result)
        return 200, {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}, body

    serialized.direct = True  # type: ignore[attr-defined]
    serialized.modelled = modelled  # type: ignore[attr-defined]
    DynamoHandler.serialized = serialized  # type: ignore[method-assign,assignment]


def _capacity_as_doubles(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            name: float(member)
            if name.endswith("CapacityUnits") and isinstance(member, int)
            else _capacity_as_doubles(member)
            for name, member in value.items()
        }
    return [_capacity_as_doubles(member) for member in value] if isinstance(value, list) else value


_BINARY = re.compile(rb'"BS?"\s*:')  # a binary value (or an attribute so named: parsed moto's way then)


def _load_item_requests_directly() -> None:
    """moto walks botocore's model of every request to parse it. An item action's request is DynamoDB JSON
    already, and parsed as it is unless it may hold what the model would turn into something else (binary
    values); ``tests/integration/test_emulator_answers.py`` checks that both ways give the same parameters."""
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.parse_parameters, "direct", False):
        return
    modelled = DynamoHandler.parse_parameters

    def parse_parameters(self: DynamoHandler, request: Any) -> None:
        body = request.data
        if self._get_action() in _ITEM_ACTIONS and not _BINARY.search(body):
            self.params = json.loads(body or b"{}")
        else:
            modelled(self, request)

    parse_parameters.direct = True  # type: ignore[attr-defined]
    parse_parameters.modelled = modelled  # type: ignore[attr-defined]
    DynamoHandler.parse_parameters = parse_parameters  # type: ignore[method-assign,assignment]


def _list_moto_modules_once() -> None:
    """moto's server lists its own package directory on every request (twice) to route it: a fifth of the
    emulator's time during a bulk import. The directory does not change while the process runs."""
    if not hasattr(_moto_backends.list_of_moto_modules, "cache_info"):
        _moto_backends.list_of_moto_modules = functools.cache(lambda: tuple(_LIST_MOTO_MODULES()))


def _parse_update_expressions_once() -> None:
    """moto parses an update expression into a tree twice for each update of a transaction (a twentieth of the tests'
    time), though our code sends a few dozen different expressions (the values travel apart). The tree of each is
    kept: moto copies it before filling in an item's values, and only reads it otherwise."""
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    if hasattr(UpdateExpressionParser.make, "cache_info"):
        return
    parse = UpdateExpressionParser.make
    UpdateExpressionParser.make = functools.lru_cache(maxsize=1024)(parse)


def _copy_update_trees_by_pickle() -> None:
    """Before validating an update, moto copies its parsed tree (``copy.deepcopy``), as validation fills in the item's
    values: a twelfth of a seeded local stack's CPU. A pickle round trip makes the same tree, its parent links within
    the copy, in under half the time; anything else moto copies there is still deep-copied."""
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    deepcopy = getattr(validators, "deepcopy")  # noqa: B009  # moto's module imports it by name
    if getattr(deepcopy, "by_pickle", False):
        return

    def copied(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Node) and memo is None:
            return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))  # noqa: S301  # our own bytes
        return deepcopy(value, memo)

    copied.by_pickle = True  # type: ignore[attr-defined]
    setattr(validators, "deepcopy", copied)  # noqa: B010


def _list_node_types_once() -> None:
    """moto validates an update by walking its tree once per check (ten), and for every node of every walk each check
    builds its map of node types to handlers again to ask whether the node is one of them: a fifth of an update's time.
    The types a check handles are the keys of a map it builds the same way every time, so they are listed once."""
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser  # type: ignore[attr-defined]

    if getattr(DepthFirstTraverser.nodes_to_be_processed, "once", False):
        return
    listed = DepthFirstTraverser.nodes_to_be_processed
    types: dict[type, tuple[type, ...]] = {}

    def nodes_to_be_processed(self: DepthFirstTraverser) -> tuple[type, ...]:
        kind = type(self)
        found = types.get(kind)
        if found is None:
            found = types[kind] = listed(self)
        return found

    nodes_to_be_processed.once = True  # type: ignore[attr-defined]
    DepthFirstTraverser.nodes_to_be_processed = nodes_to_be_processed


def _check_whole_updates_once() -> None:
    """Two of moto's checks of an update (one clause of each kind, no path updated twice) read every action below the
    node they check, and run on every node of the tree, as each clause is a kind of update expression: their cost grew
    with the square of the actions (a third of an update of ten counters). Both find what they look for from the root
    alone (the only node with clauses as children, and the one with every action below it), so they run there."""
    from moto.dynamodb.parsing.validators import ActionCountValidator, OverlappingPathsValidator

    for check, name in ((ActionCountValidator, "verify_action_counts"),
                        (OverlappingPathsValidator, "check_for_overlapping_paths")):  # fmt: skip
        original = getattr(check, name)
        if getattr(original, "at_the_root", False):
            continue

        def at_the_root(self: Any, node: Any, original: Callable[[Any, Any], Any] = original) -> Any:
            return original(self, node) if node.parent is None else node

        at_the_root.at_the_root = True  # type: ignore[attr-defined]
        setattr(check, name, at_the_root)


def _convert_names_once() -> None:
    """moto turns every action and attribute name from CamelCase to snake_case, character by character, on every
    request (a tenth of its time here): a pure function of a few hundred names, so each is converted once."""
    import sys

    from moto.core import utils

    original = utils.camelcase_to_underscores
    if hasattr(original, "cache_info"):
        return
    converted = functools.cache(original)
    for module in [module for name, module in sys.modules.items() if name.startswith("moto.")]:
        if getattr(module, "camelcase_to_underscores", None) is original:
            module.camelcase_to_underscores = converted  # type: ignore[attr-defined]


def _dynamodb(region: str) -> DynamoDBBackend:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][region]


def _attribute_values(item: Item) -> dict[str, Any]:
    return {name: _copied(value) for name, value in item.attrs.items()}


def _copied(value: DynamoType) -> dict[str, Any]:
    """A value as DynamoDB JSON in containers of its own (strings, numbers and booleans are immutable)."""
    if value.is_map():
        return {value.type: {name: _copied(member) for name, member in value.value.items()}}
    if value.is_list():
        return {value.type: [_copied(member) for member in value.value]}
    if value.is_set():
        return {value.type: list(value.value)}
    return value.to_json()


def _base64(value: DynamoType | None) -> str | None:
    """A binary value as base64 text (moto keeps what the request sent: text, or bytes from a reload)."""
    if value is None:
        return None
    return value.value if isinstance(value.value, str) else base64.b64encode(value.value).decode()


def _as_received(value: dict[str, Any]) -> dict[str, Any]:
    """A saved value (DynamoDB JSON, binary as base64 text) as moto keeps one it received: binary as bytes, which
    its answers encode (a stream record would otherwise hand back the base64 text as the bytes)."""
    kind, inner = next(iter(value.items()))
    if kind == "B":
        return {kind: base64.b64decode(inner) if isinstance(inner, str) else inner}
    if kind == "BS":
        return {kind: [base64.b64decode(member) if isinstance(member, str) else member for member in inner]}
    if kind == "M":
        return {kind: {name: _as_received(member) for name, member in inner.items()}}
    if kind == "L":
        return {kind: [_as_received(member) for member in inner]}
    return value


def _put(table: Table, attributes: dict[str, Any]) -> None:
    values = {name: DynamoType(value if "S" in value or "N" in value else _as_received(value))
              for name, value in attributes.items()}  # fmt: skip
    hash_key = values[table.hash_key_attr]
    range_key = values[table.range_key_attr] if table.range_key_attr else None
    item = Item(hash_key, range_key, {})
    # moto's item dict recounts the whole item's size on every attribute set; a saved item was counted once
    dict.update(item.attrs, values)
    if range_key is None:
        table.items[hash_key] = item  # type: ignore[assignment]  # moto types only range-keyed tables
    else:
        table.items[hash_key][range_key] = item
    if table.stream_shard is not None and published_from(attributes):
        table.stream_shard.add(None, item)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection while millions of objects are made at once: each pass would walk them all."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def save(
    data: dict[str, list[dict[str, Any]]], path: Path, queues: dict[str, list[dict[str, Any]]] | None = None
) -> int:
    """Write a snapshot (and the messages ``queues`` hold) to ``path`` atomically and in one piece, readable by its
    owner only (it holds members' data); return the number of items saved."""
    document = {"format": 1, "tables": data, **({"queues": queues} if queues else {})}
    with private_file(path) as file:
        file.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")))
    return sum(len(items) for items in data.values())
