"""The embedded AWS emulator (moto server) behind one lock, with save and restore of table data.

moto applies conditions and transactions without a lock, so concurrent requests can both pass a condition
(lost updates, negative balances) in ways DynamoDB never allows. Serving every request under one lock makes
the emulator serialisable, so race tests measure our code rather than the emulator. moto keeps nothing on
disk: ``save`` and ``restore`` dump and reload table items as DynamoDB JSON.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import boto3
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from chalicelib.local import queues, transactions
from chalicelib.local.files import private_file

_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


class _QuietHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Requests are not logged: the emulator would drown the platform's own logs."""


class LockedEmulator(ThreadedMotoServer):
    """moto's server with every request applied under one lock; counts DynamoDB writes for saving."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)
        self._lock = threading.Lock()
        self.writes = 0
        transactions.install()  # safe only because every request runs under the lock
        queues.install()

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)

        def locked_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            is_write = environ.get("HTTP_X_AMZ_TARGET", "").endswith(_WRITES)

            def counting_start_response(status: str, *args: Any) -> Any:
                if is_write and status.startswith("200"):
                    self.writes += 1  # only writes that changed something make the data worth saving
                return start_response(status, *args)

            with self._lock:
                return list(app(environ, counting_start_response))

        self._server = make_server(self._ip_address, self._port, locked_app, True, request_handler=_QuietHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def endpoint_url(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def snapshot(self, region: str, tables: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Every item of ``tables`` as DynamoDB JSON, read under the lock: no write is half in the snapshot."""
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        with self._lock:
            backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
            return {
                name: [copy.deepcopy(item.to_json()["Attributes"]) for item in backend.tables[name].all_items()]
                for name in tables
                if name in backend.tables
            }


def save(data: dict[str, list[dict[str, Any]]], path: Path) -> int:
    """Write a snapshot to ``path`` atomically, readable by its owner only (it holds members' data); return
    the number of items saved."""
    with private_file(path) as file:
        json.dump({"format": 1, "tables": data}, file, ensure_ascii=False, separators=(",", ":"))
    return sum(len(items) for items in data.values())


def restore(endpoint_url: str, region: str, path: Path) -> int:
    """Load the items saved at ``path`` into existing tables; return how many were loaded."""
    if not path.exists():
        return 0
    document = json.loads(path.read_text(encoding="utf-8"))
    client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
    existing = set(client.list_tables()["TableNames"])
    loaded = 0
    for table, items in document.get("tables", {}).items():
        if table not in existing:
            continue
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            pending: dict[str, Any] = {table: requests}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems", {})
        loaded += len(items)
    return loaded
