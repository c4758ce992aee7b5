"""TransactWriteItems for the local emulator at a cost that grows with the items written, not the tables.

moto snapshots every table a transaction touches with ``copy.deepcopy`` before applying it, so each local
write costs time in proportion to the table's size: at 100,000 members one registration takes seconds.
Behind the emulator's single lock nothing else runs during a transaction, so two phases give the same
all-or-nothing outcome: first check every item's condition (a condition reads only its own item, and an
item appears once per transaction), then apply them, undoing the items already applied if one fails.
Condition results and error codes are those moto reports.

Two costs of every write are cut as well: an item checked its size against DynamoDB's 400 KB once per
attribute set, each time adding up every attribute it had (here once, when it is made, with the same limit),
and a condition was parsed again for each item (here a condition without values, such as an event marker's
``attribute_not_exists``, is parsed once).
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    ItemSizeTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize

_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    planned: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = []
    errors: list[tuple[Any, Any, Any]] = []
    seen: set[tuple[str, str]] = set()
    for entry in transact_items:
        if len(entry) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(entry.items()))
        failed_item = None
        try:
            if op_type not in _OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            key = _key_of(self, op_type, op)
            identity = (str(table_name), str(dict(sorted(key.items()))))
            if identity in seen:
                raise MultipleTransactionsException()
            seen.add(identity)
            current = self.get_item(table_name, key)
            if op.get("ConditionExpression") is not None:
                condition = _condition(
                    op["ConditionExpression"], op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                )
                if not condition.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        failed_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=failed_item)
            planned.append((op_type, op, table_name, key))
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), failed_item))
        except Exception as e:
            errors.append((type(e).__name__, str(e), failed_item))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    applied: list[tuple[str, dict[str, Any], Any]] = []
    shards = [shard for name in {p[2] for p in planned} if (shard := self.get_table(name).stream_shard) is not None]
    recorded = [(shard, len(shard.items)) for shard in shards]
    try:
        for op_type, op, table_name, key in planned:
            if op_type == "ConditionCheck":
                continue
            applied.append((table_name, key, copy.deepcopy(self.get_item(table_name, key))))
            _apply(self, op_type, op, table_name, key)
    except Exception:
        for table_name, key, previous in reversed(applied):
            _restore(self, table_name, key, previous)
        for shard, length in recorded:  # nor do its writes reach the streams
            del shard.items[length:]
        raise


def _condition(expression: str | None, names: dict[str, str] | None, values: dict[str, Any] | None) -> Any:
    """The parsed condition; the same condition (an event marker's, an import marker's) is parsed once."""
    if values:
        return get_filter_expression(expression, names, values)
    return _condition_without_values(expression, json.dumps(names, sort_keys=True))


@functools.lru_cache(maxsize=256)
def _condition_without_values(expression: str | None, names: str) -> Any:
    return get_filter_expression(expression, json.loads(names), None)


def _item_made(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    """moto's Item, its size checked once."""
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = LimitedSizeDict()
    values = {key: DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(key) + value.size() for key, value in values.items()) > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    dict.update(self.attrs, values)


ITEM_SIZE_LIMIT = 405000  # moto's, between the 409 and 410 KB DynamoDB takes


def _key_of(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def _apply(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], table_name: str, key: dict[str, Any]) -> None:
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(table_name, op["Item"], expression_attribute_names=names, expression_attribute_values=values)
    elif op_type == "Delete":
        backend.delete_item(table_name, key, expression_attribute_names=names, expression_attribute_values=values)
    else:
        update = op["UpdateExpression"]
        backend.update_item(table_name, key, update, expression_attribute_names=names or {},
                            expression_attribute_values=values or {})  # fmt: skip


def _restore(backend: DynamoDBBackend, table_name: str, key: dict[str, Any], previous: Any) -> None:
    table = backend.get_table(table_name)
    hash_value, range_value = backend.get_keys_value(table, key)
    if previous is None:
        table.delete_item(hash_value, range_value)
    elif range_value is None:
        table.items[hash_value] = previous
    else:
        table.items[hash_value][range_value] = previous


def install() -> None:
    """Use the two-phase TransactWriteItems in this process's moto backends (the emulator is locked), items that
    check their size once and conditions parsed once."""
    from moto.dynamodb import models
    from moto.dynamodb.models import table

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Item.__init__ = _item_made  # type: ignore[method-assign]
    models.get_filter_expression = _condition  # type: ignore[assignment,attr-defined]
    table.get_filter_expression = _condition  # type: ignore[assignment,attr-defined]
