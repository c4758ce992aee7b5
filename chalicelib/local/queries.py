"""Query in the local emulator at a cost that grows with the partition it reads, not with the table.

moto answers a Query by sorting every item of the table, then keeping those of the partition asked for: with
100,000 members one index query took 1.5 s, so a list walking month by month, or a job reading a due-date
index, took minutes. Here a query the emulator serves is handed its partition's items only: a table's from
the table itself, an index's from a map of that index's partitions, made when first needed and dropped
once any request that may change an item has been served (the emulator's lock orders requests, so a map
is never used across a change). moto still applies every key condition, sorts, pages, filters and projects.

An index that projects some attributes (``KEYS_ONLY``, ``INCLUDE``) had moto turn every item it read into
plain Python once per attribute kept (1.4 ms an item for the members' list index); here the attributes kept
are picked from the item read, which moto has already copied.
"""

from __future__ import annotations

import contextlib
import threading
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import SecondaryIndex, Table
from moto.dynamodb.responses import DynamoHandler

_original_query = Table.query
_original_all_items = Table.all_items
_original_project = SecondaryIndex.project
_local = threading.local()
_generation = 0  # how many requests that may change items the emulator has served
_READS = ("GetItem", "BatchGetItem", "Query", "Scan", "Describe", "List")


@contextlib.contextmanager
def serving(target: str) -> Iterator[None]:
    """Around one request the emulator serves (``target``: its X-Amz-Target header)."""
    global _generation
    _local.serving = True
    try:
        yield
    finally:
        _local.serving = False
        if target.startswith("DynamoDB_") and not target.rpartition(".")[2].startswith(_READS):
            _generation += 1


def items_changed() -> None:
    """Drop every partition map: items changed without a request (a reload)."""
    global _generation
    _generation += 1


def query(
    self: Table,
    hash_key: DynamoType | None,
    range_comparison: Any,
    range_objs: Any,
    limit: Any,
    exclusive_start_key: Any,
    scan_index_forward: Any,
    projection_expressions: Any,
    index_name: str | None = None,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """moto's query, handed only the partition asked for when the emulator serves it."""
    moto_arguments = (
        range_comparison,
        range_objs,
        limit,
        exclusive_start_key,
        scan_index_forward,
        projection_expressions,
        index_name,
        *args,
    )
    if not getattr(_local, "serving", False):
        return _original_query(self, hash_key, *moto_arguments, **kwargs)
    _local.candidates = (self, _partition(self, index_name, hash_key, kwargs.get("hash_key_conditions")))
    try:
        return _original_query(self, hash_key, *moto_arguments, **kwargs)
    finally:
        _local.candidates = None


def all_items(self: Table) -> list[Item]:
    """Inside a query the emulator serves, the items of the partition queried; else every item, sorted."""
    candidates = getattr(_local, "candidates", None)
    if candidates is not None and candidates[0] is self:
        return list(candidates[1])
    return _original_all_items(self)


def project(self: SecondaryIndex, item: Item) -> Item:
    """The item with the attributes this index keeps: all of them, its keys, or its keys and some others."""
    if not getattr(_local, "serving", False):
        return _original_project(self, item)
    projection_type = (self.projection or {}).get("ProjectionType", "ALL")
    if projection_type == "ALL":
        return item
    kept = {*self.table_key_attrs, *self.schema_key_attrs}
    if projection_type == "INCLUDE":
        kept.update(self.projection.get("NonKeyAttributes", []))
    projected = Item(item.hash_key, item.range_key, {})
    dict.update(projected.attrs, {name: value for name, value in item.attrs.items() if name in kept})
    return projected


def _partition(
    table: Table, index_name: str | None, hash_key: DynamoType | None, conditions: list[tuple[str, DynamoType]] | None
) -> list[Item]:
    if index_name is None:
        stored = table.items.get(hash_key) if hash_key is not None else None
        if stored is None:
            return []
        return [stored] if isinstance(stored, Item) else list(stored.values())
    index = next(index for index in table.all_indexes() if index.name == index_name)
    attribute = next(key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH")
    value = dict(conditions).get(attribute, hash_key) if conditions else hash_key
    maps = table.__dict__.setdefault("_partitions", {})
    if maps.get(index_name, (None,))[0] != _generation:
        partitions: defaultdict[DynamoType, list[Item]] = defaultdict(list)
        for item in stored_items(table):
            key = item.attrs.get(attribute)
            if key is not None:
                partitions[key].append(item)
        maps[index_name] = (_generation, partitions)
    return list(maps[index_name][1].get(value, ()))


def stored_items(table: Table) -> Iterator[Item]:
    """A table's items in storage order (``Table.all_items`` sorts the whole table first)."""
    for stored in table.items.values():
        if isinstance(stored, Item):
            yield stored
        else:
            yield from stored.values()


def install(*, in_process: bool = False) -> None:
    """Use partition-sized queries in this process's moto tables (only for requests the emulator serves, and with
    ``in_process`` for the DynamoDB requests an in-process moto (``mock_aws``) serves: the tests' and benches',
    which send their requests one at a time, as the emulator's lock applies them)."""
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    SecondaryIndex.project = project  # type: ignore[method-assign]
    if in_process and not getattr(DynamoHandler.call_action, "serving", False):
        call_action = DynamoHandler.call_action

        def served(self: DynamoHandler) -> Any:
            with serving(self.headers.get("X-Amz-Target", "")):
                return call_action(self)

        served.serving = True  # type: ignore[attr-defined]
        DynamoHandler.call_action = served  # type: ignore[method-assign]
