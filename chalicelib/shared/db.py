"""DynamoDB access shared by every domain: table binding, transactions and their failure modes.

Each pynamodb model subclasses ``Record`` and names its table with a short logical name; ``bind_tables``
turns logical names into the stage's physical names in one place (``<prefix>-<name>``), so the same
classes serve tests, the emulator and AWS. The same classes are the single source of the table
definitions that the emulator creates and the CloudFormation template declares.
"""

from __future__ import annotations

import contextlib
import functools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from botocore.exceptions import ClientError
from pynamodb import attributes
from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import AttributeNullError, PutError, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator
from pynamodb.transactions import TransactWrite

from chalicelib.shared import aws
from chalicelib.shared.errors import Unavailable
from chalicelib.shared.logs import logger
from chalicelib.shared.wire import WireClient

T = TypeVar("T")
R = TypeVar("R", bound="Record")

# Cancellation-reason codes (in transactions) and error codes (single-item writes) worth retrying.
_RETRYABLE = {
    "TransactionConflict", "TransactionConflictException", "ThrottlingError", "ThrottlingException",
    "ProvisionedThroughputExceeded", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
}  # fmt: skip
MAX_ATTEMPTS = 6


class NumberAttribute(attributes.NumberAttribute):
    """pynamodb's number attribute, a whole number written and read as its digits (pynamodb's own goes through JSON
    for each number, and a purchase writes about twenty); any other number pynamodb's way."""

    def serialize(self, value: Any) -> Any:
        return str(value) if type(value) is int else super().serialize(value)  # type: ignore[no-untyped-call]

    def deserialize(self, value: str) -> Any:
        digits = value[1:] if value[:1] == "-" else value
        if digits.isascii() and digits.isdigit():
            return int(value)
        return super().deserialize(value)  # type: ignore[no-untyped-call]


class _Plain(NamedTuple):
    """A record class's attributes, where each is plain: by name, their defaults (for new items, for read ones), and
    those that convert what is set (a TTL's instant in UTC, a version as an integer): set through pynamodb."""

    attributes: tuple[tuple[str, attributes.Attribute[Any]], ...]
    defaults: tuple[tuple[str, Any, Any], ...]
    converting: frozenset[str]


_plains: dict[type, _Plain | None] = {}


def _plain(cls: type[Record]) -> _Plain | None:
    """``cls``'s attributes if none is a list or a map and it has no discriminator (pynamodb's way then)."""
    if cls not in _plains:
        found = cls.get_attributes()
        mixed = cls._discriminator or any(  # type: ignore[attr-defined]
            isinstance(attribute, attributes.ListAttribute | attributes.MapAttribute) for attribute in found.values()
        )
        _plains[cls] = None if mixed else _Plain(
            tuple(found.items()),
            tuple((name, a.default_for_new, a.default) for name, a in found.items()
                  if a.default is not None or a.default_for_new is not None),
            frozenset(name for name, a in found.items() if type(a).__set__ is not attributes.Attribute.__set__),
        )  # fmt: skip
    return _plains[cls]


class Record(Model):
    """Base of every persisted item. ``logical_name`` identifies its table across stages."""

    logical_name: ClassVar[str] = ""
    stream: ClassVar[str | None] = None  # a StreamViewType when a stream handler reads this table
    ttl_attribute: ClassVar[str | None] = None

    class Meta:
        abstract = True

    # pynamodb sets, reads and serializes each attribute of an item through the attribute's descriptor, which checks
    # its owner's type on every access (dozens of times for an item). A record of plain attributes (no lists or maps,
    # no discriminator) keeps its values in ``attribute_values`` by attribute name, as those descriptors do, directly.

    def _set_defaults(self, _user_instantiated: bool = True) -> None:
        plain = _plain(type(self))
        if plain is None:
            super()._set_defaults(_user_instantiated)
            return
        values = self.attribute_values
        for name, for_new, default in plain.defaults:
            chosen = for_new if _user_instantiated and for_new is not None else default
            value = chosen() if callable(chosen) else chosen
            if value is not None:
                self._set(plain, values, name, value)

    def _set_attributes(self, **attributes: Any) -> None:
        plain = _plain(type(self))
        if plain is None:
            super()._set_attributes(**attributes)
            return
        values, known = self.attribute_values, self.get_attributes()
        for name, value in attributes.items():
            if name not in known:
                raise ValueError(f"Attribute {name} specified does not exist")
            self._set(plain, values, name, value)

    def _container_serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        plain = _plain(type(self))
        if plain is None:
            return super()._container_serialize(null_check)
        values, serialized = self.attribute_values, {}
        for name, attribute in plain.attributes:
            value = values.get(name)
            written = None if value is None else attribute.serialize(value)
            if written is not None:
                serialized[attribute.attr_name] = {attribute.attr_type: written}
            elif null_check and not attribute.null:
                raise AttributeNullError(name)
        return serialized

    def _container_deserialize(self, attribute_values: dict[str, dict[str, Any]]) -> None:
        plain = _plain(type(self))
        if plain is None:
            super()._container_deserialize(attribute_values)
            return
        self.attribute_values = {}
        self._set_defaults(_user_instantiated=False)
        values = self.attribute_values
        for name, attribute in plain.attributes:
            stored = attribute_values.get(attribute.attr_name)
            if stored and "NULL" not in stored:
                self._set(plain, values, name, attribute.deserialize(attribute.get_value(stored)))

    def _set(self, plain: _Plain, values: dict[str, Any], name: str, value: Any) -> None:
        if name in plain.converting:
            setattr(self, name, value)
        else:
            values[name] = value

    @classmethod
    def made_on(cls, tz: Any) -> date:
        """The business day (in ``tz``) this record's table was made."""
        created = cls.describe_table()["CreationDateTime"]
        if isinstance(created, int | float):
            created = datetime.fromtimestamp(created, UTC)
        return created.astimezone(tz).date()  # type: ignore[no-any-return]

    @classmethod
    def find(cls: type[R], hash_key: Any, range_key: Any = None) -> R | None:
        """The item with this key, read consistently, or None."""
        try:
            return cls.get(hash_key, range_key, consistent_read=True)
        except cls.DoesNotExist:
            return None

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """pynamodb's connection to this table, sending through the process's one ``connection()``.

        pynamodb gives each model class a connection of its own, and each makes its own botocore session and
        client on first use (about 110 ms of CPU each): a first request touching six tables paid that six times.
        """
        meta: Any = cls.Meta
        if cls._connection is None or cls._connection.table_name != meta.table_name:
            table_connection = super()._get_connection()  # the table's key schema, on a connection never used
            shared = connection()
            with contextlib.suppress(ValueError):  # the table is already known to the shared connection
                shared.add_meta_table(table_connection.get_meta_table())
            table_connection.connection = shared
            return table_connection
        return cls._connection


_registry: dict[str, type[Record]] = {}
_binding: tuple[str, str] | None = None  # the (prefix, region) tables are bound to; classes declared later follow


def table(cls: type[Record]) -> type[Record]:
    """Class decorator registering a record class as the definition of its table."""
    if not cls.logical_name:
        raise TypeError(f"{cls.__name__} needs a logical_name")
    _registry[cls.logical_name] = cls
    if _binding is not None:
        _bind(cls, *_binding)
    return cls


def registered_tables() -> list[type[Record]]:
    """Every table definition, in a stable order."""
    _import_all_records()
    return [_registry[name] for name in sorted(_registry)]


def physical_name(prefix: str, logical_name: str) -> str:
    return f"{prefix}-{logical_name}"


def bind_tables(prefix: str, region: str) -> None:
    """Point every record class at this stage's tables, dropping connections made for another endpoint; a class
    declared later (its domain imported on a first request) is bound as it is declared."""
    global _binding
    _shared_connection.cache_clear()
    _binding = (prefix, region)
    for cls in _registry.values():
        _bind(cls, prefix, region)


def ensure_tables_bound() -> None:
    """Bind the tables to the settings' stage unless something bound them already. Lambda imports each
    non-HTTP function's module directly (``chalicelib.platform.handlers.<name>``), never ``app.py``, so that
    module calls this: without it, jobs and consumers would write to tables named without the stage."""
    if _binding is None:
        from chalicelib.shared.settings import get_settings

        settings = get_settings()
        bind_tables(settings.table_prefix, settings.region)


def _bind(cls: type[Record], prefix: str, region: str) -> None:
    meta: Any = cls.Meta
    meta.table_name = physical_name(prefix, cls.logical_name)
    meta.region = region
    cls._connection = None


def _import_all_records() -> None:
    """Import every domain's ``records`` module and the shared modules that declare tables, so a table is
    bound wherever its first use happens (a job the CLI imports late, a consumer): none is left out by hand."""
    from chalicelib.shared import events, idempotency, jobs, ratelimit, unique  # noqa: F401

    import_each("records")


def import_each(module_name: str) -> list[Any]:
    """Import ``chalicelib.<domain>.<module_name>`` for every domain package that has one."""
    import importlib
    import importlib.util
    import pkgutil

    import chalicelib

    found = []
    for package in pkgutil.iter_modules(chalicelib.__path__):
        if package.ispkg and importlib.util.find_spec(f"chalicelib.{package.name}.{module_name}") is not None:
            found.append(importlib.import_module(f"chalicelib.{package.name}.{module_name}"))
    return found


_connection_lock = threading.Lock()


def connection() -> Connection:
    """The process's one DynamoDB connection: every table and every transaction sends through its botocore
    client (thread-safe, with a pool of kept-alive HTTP connections), made once per binding of the tables."""
    with _connection_lock:  # making a botocore client is not thread-safe: one thread makes it, others wait
        return _shared_connection()


class _Connection(Connection):
    """pynamodb's connection, sending its item operations the short way (``wire``)."""

    _wire: WireClient | None = None

    @property
    def client(self) -> Any:
        made = super().client  # a new botocore client where pynamodb replaces it (credentials lost)
        if self._wire is None or self._wire.botocore is not made:
            self._wire = WireClient(made)
        return self._wire


@functools.cache
def _shared_connection() -> Connection:
    from chalicelib.shared.settings import get_settings

    shared = _Connection(region=_binding[1] if _binding else get_settings().region)
    shared._local.session = aws.session()  # what pynamodb would make, reading botocore's data the short way
    shared.client  # noqa: B018  made now, under the lock
    return shared


def reason_codes(error: TransactWriteError) -> list[str | None]:
    """One code per transaction item (None where that item was fine), as DynamoDB reports them."""
    return [reason.code if reason else None for reason in error.cancellation_reasons]


def _is_retryable(error: Exception) -> bool:
    if isinstance(error, TransactWriteError):
        codes = set(reason_codes(error)) | {error.cause_response_code}
        return bool(codes & _RETRYABLE) and "ConditionalCheckFailed" not in codes
    return is_throttled(error)


def is_throttled(error: Exception) -> bool:
    """DynamoDB refused the request for now (throughput, a request limit) once botocore's own retries ran out:
    asking again later is safe, whatever the request."""
    return isinstance(error, PynamoDBException) and error.cause_response_code in _RETRYABLE


def back_off(attempt: int, cap: float = 0.5) -> None:
    """Wait before retry ``attempt`` (from 0): full jitter, doubling from 20 ms up to ``cap`` seconds."""
    time.sleep(random.uniform(0, min(cap, 0.02 * 2**attempt)))


def with_retries(operation: Callable[[], T], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Run ``operation``; on a transient conflict or throttle retry with full jitter, then answer 503.

    A transaction either applies whole or not at all, so retrying it is safe; after the last attempt the
    caller gets ``Unavailable`` (503 with Retry-After) and nothing was applied.
    """
    for attempt in range(attempts):
        try:
            return operation()
        except (TransactWriteError, PutError, UpdateError) as e:
            if not _is_retryable(e):
                raise
            logger.info("transient conflict, retrying", extra={"attempt": attempt + 1})
            back_off(attempt)
    raise Unavailable("The write conflicted with concurrent writes; retry shortly", retry_after=1)


class TransientWriteError(Exception):
    """A write refused for now (a transaction conflict, throttling): retrying it is safe."""


class UnconfirmedWrite(Exception):
    """A write whose answer never came (a timeout, a dropped connection): it may or may not have applied."""


# pynamodb sends a transaction's items grouped in this order, and DynamoDB reports reasons in request order.
_KIND_ORDER = {"check": 0, "delete": 1, "put": 2, "update": 3}


ItemKey = tuple[type, Any, Any]  # a record class and its item's serialized hash and range keys


def _item_key(record: Record) -> ItemKey:
    return (type(record), *record._get_hash_range_key_serialized_values())


@dataclass
class _Write:
    kind: str
    apply: Callable[[TransactWrite], None]
    on_fail: Exception | None
    decisive: bool
    key: Callable[[], ItemKey]  # worked out only when asked (``shares_an_item_with``), never on a commit's path

    @functools.cached_property
    def item(self) -> ItemKey:
        return self.key()


class Transaction:
    """Writes committed together by one ``TransactWriteItems`` (at most 100 items), retried on conflicts.

    Each write may carry the error to raise when its condition fails, so a caller learns which rule broke
    (an existing key, a spent balance) without reading again. A ``decisive`` write's failure is reported
    before any other (an idempotency key already used explains every other failure of a repeat). Counter
    increments (``count``) of one item are summed into one update, since DynamoDB refuses a transaction
    naming an item twice.
    """

    def __init__(self) -> None:
        self._writes: list[_Write] = []
        self._counters: dict[ItemKey, tuple[Record, dict[str, int]]] = {}

    def __len__(self) -> int:
        return len(self._writes) + len(self._counters)

    def extend(self, other: Transaction) -> None:
        """Add ``other``'s writes (built apart, e.g. one per imported row) to this transaction."""
        self._writes.extend(other._writes)
        for record, amounts in other._counters.values():
            for attribute, amount in amounts.items():
                self._add(record, attribute, amount)

    def shares_an_item_with(self, other: Transaction) -> bool:
        """Whether ``other`` writes or checks an item this transaction does (counters of one item aside: those are
        summed), so the two cannot commit as one."""
        mine, theirs = {write.item for write in self._writes}, {write.item for write in other._writes}
        return (
            not mine.isdisjoint(theirs) or not mine.isdisjoint(other._counters) or not theirs.isdisjoint(self._counters)
        )

    def drain(self) -> Transaction:
        """Move this transaction's writes to a new one (that another writer commits with its own)."""
        moved = Transaction()
        moved._writes, self._writes = self._writes, []
        moved._counters, self._counters = self._counters, {}
        return moved

    def count(self, record: Record, attribute: str, amount: int = 1) -> None:
        """Add ``amount`` to the number ``attribute`` of ``record``'s item (made at 0 if missing)."""
        self._add(record, attribute, amount)

    def _add(self, record: Record, attribute: str, amount: int) -> None:
        _, amounts = self._counters.setdefault(_item_key(record), (record, {}))
        amounts[attribute] = amounts.get(attribute, 0) + amount

    def put(
        self, record: Record, *, condition: Any = None, on_fail: Exception | None = None, decisive: bool = False
    ) -> None:
        save = _Write(
            "put", lambda tx: tx.save(record, condition=condition), on_fail, decisive, lambda: _item_key(record)
        )
        self._writes.append(save)

    def update(
        self, record: Record, actions: list[Any], *, condition: Any = None, on_fail: Exception | None = None,
        add_version_condition: bool = True,
    ) -> None:  # fmt: skip
        def apply(tx: TransactWrite) -> None:
            tx.update(record, actions=actions, condition=condition, add_version_condition=add_version_condition)

        self._writes.append(_Write("update", apply, on_fail, False, lambda: _item_key(record)))

    def check(self, cls: type[Record], hash_key: Any, *, condition: Any, on_fail: Exception) -> None:
        """Require ``condition`` of another item at commit time, without writing it."""
        self._writes.append(_Write("check", lambda tx: tx.condition_check(cls, hash_key, condition=condition), on_fail,
                                   False, lambda: _item_key(cls(hash_key))))  # fmt: skip

    def delete(self, record: Record, *, condition: Any = None, on_fail: Exception | None = None) -> None:
        delete = _Write("delete", lambda tx: tx.delete(record, condition=condition), on_fail, False,
                        lambda: _item_key(record))  # fmt: skip
        self._writes.append(delete)

    def commit(self, *, retry: bool = True) -> None:
        """Apply every write or none. A failed condition raises that write's ``on_fail``.

        ``retry`` False leaves retrying to the caller's own policy: a conflict or throttle raises
        ``TransientWriteError`` and a request whose answer was lost ``UnconfirmedWrite``."""
        if len(self) > 100:
            raise ValueError(f"a transaction holds at most 100 items, not {len(self)}")
        counted = [self._counter_write(record, amounts) for record, amounts in self._counters.values()]
        in_request_order = sorted(self._writes + counted, key=lambda write: _KIND_ORDER[write.kind])

        def run() -> None:
            with TransactWrite(connection=connection()) as tx:
                for write in in_request_order:
                    write.apply(tx)

        try:
            with_retries(run) if retry else run()
        except TransactWriteError as e:
            if not retry and _is_retryable(e):
                raise TransientWriteError(str(e)) from e
            if not retry and e.cause is not None and not isinstance(e.cause, ClientError):
                raise UnconfirmedWrite(str(e)) from e
            failed = [
                write
                for write, code in zip(in_request_order, reason_codes(e), strict=False)
                if code == "ConditionalCheckFailed" and write.on_fail is not None
            ]
            if failed:
                error = min(failed, key=lambda write: not write.decisive).on_fail
                assert error is not None  # failed keeps only writes with on_fail
                raise error from None
            raise

    @staticmethod
    def _counter_write(record: Record, amounts: dict[str, int]) -> _Write:
        attributes = record.get_attributes()
        actions: list[Any] = [attributes[name].add(amount) for name, amount in sorted(amounts.items())]

        def apply(tx: TransactWrite) -> None:
            tx.update(record, actions=actions, add_version_condition=False)

        return _Write("update", apply, None, False, lambda: _item_key(record))


def together(*writes: Callable[[Transaction], None] | None) -> Callable[[Transaction], None]:
    """The writes given (None: none) as one that adds them all to a transaction: conditions and records of several
    domains that must commit with one post."""
    given = [write for write in writes if write is not None]

    def add(tx: Transaction) -> None:
        for write in given:
            write(tx)

    return add


def table_definition(cls: type[Record], name: str) -> dict[str, Any]:
    """The CreateTable arguments of a record class: keys, indexes and stream, billed on demand."""
    schema = cls._get_schema()

    def keys(key_schema: list[Any]) -> list[dict[str, str]]:
        return sorted(
            ({"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in key_schema),
            key=lambda k: k["KeyType"] != "HASH",
        )

    definition: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"]),
        "KeySchema": keys(schema["key_schema"]),
    }
    indexes = [
        {"IndexName": index["index_name"], "KeySchema": keys(index["key_schema"]), "Projection": index["projection"]}
        for index in schema["global_secondary_indexes"]
    ]
    if indexes:
        definition["GlobalSecondaryIndexes"] = sorted(indexes, key=lambda i: i["IndexName"])
    if cls.stream:
        definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": cls.stream}
    return definition


def one_page(cls: type[R], results: ResultIterator[R]) -> tuple[list[R], dict[str, Any] | None]:
    """The first page of a query or scan, in exactly one request, and the key to continue from.

    With a filter a page may hold fewer items than asked (or none) while more remain: the cost of a page is
    bounded by its size, never by how many items the filter rejects.
    """
    page = next(results.page_iter, None)
    raw_items = page.get("Items", []) if page else []
    return [cls.from_raw_data(raw) for raw in raw_items], results.page_iter.last_evaluated_key


class FilledPage(Generic[R]):
    """A page of ``limit`` records read from one query or more, in order, however few items a filter lets by.

    It reads until it holds ``limit`` records, or until it holds at least one and has made ``most_reads``
    requests: so a page is empty only at the end of the list, and a page that found something costs a bounded
    number of requests. With ``give_up_after``, it also stops after that many requests however few it found (an
    empty page whose cursor goes on: a filter that matches nothing in a long list never times a request out).
    DynamoDB applies ``Limit`` before the filter, so after a request whose filter turned items away the next one
    asks for twice as many (up to ``LARGEST_READ``); a request that brings more than the page needs is cut after
    the last record taken, and the list goes on from there.
    """

    LARGEST_READ = 1000

    def __init__(self, cls: type[R], limit: int, most_reads: int, give_up_after: int | None = None) -> None:
        self._cls, self.limit, self.most_reads, self.give_up_after = cls, limit, most_reads, give_up_after
        self.records: list[R] = []
        self.reads = 0
        self._read_size = 0

    @property
    def full(self) -> bool:
        given_up = self.give_up_after is not None and self.reads >= self.give_up_after
        return len(self.records) >= self.limit or (bool(self.records) and self.reads >= self.most_reads) or given_up

    def read(self, results: ResultIterator[R]) -> dict[str, Any] | None:
        """Take records from ``results`` until the page is full; the key to go on from, or None once the query
        has nothing more."""
        pages = results.page_iter
        while not self.full:
            missing = self.limit - len(self.records)
            asked = pages.page_size = max(missing, self._read_size)
            page = next(pages)
            self.reads += 1
            if page["Count"] < page["ScannedCount"]:
                self._read_size = min(self.LARGEST_READ, 2 * asked)
            raw_items = page.get("Items", [])
            self.records += [self._cls.from_raw_data(raw) for raw in raw_items[:missing]]
            if len(raw_items) > missing:
                last_taken = raw_items[missing - 1]
                return {name: last_taken[name] for name in pages.key_names}
            if pages.last_evaluated_key is None:
                return None
        return pages.last_evaluated_key
