"""SQS in the local emulator at a cost that does not grow with the queue's length.

moto recounts every message of a queue whenever any of its attributes is read: once per message received
(the retention check) and once per message sent (the deduplication check); it lists every visible message
to receive ten, and reads every message to delete one. During a bulk import the statistics and audit queues
grow faster than their consumers drain them, each send, receive and delete gets slower, and the stack grinds
to a crawl (a backlog of 100,000 messages made each receive scan all of them). Six changes, all faithful
to SQS:

- the retention check reads the retention period directly (the same value);
- the approximate message counts are recounted at most once a second per queue, from the messages in
  flight rather than the whole queue (a queue without a delivery delay holds no delayed messages): SQS
  documents them as approximate and eventually consistent, and no code of ours decides anything from them;
- a receive walks the queue from its oldest message and stops once it has what it asked for;
- a delete finds its message by the receipt handle it was given, not by reading the queue;
- a queue's attributes are worked out as they are read: moto built them all, approximate counts included,
  for every message sent, to read one that only FIFO queues have;
- a receipt handle is drawn in one call (moto drew its 185 letters one by one, a third of a receive's time).
"""

from __future__ import annotations

import json
import random
import string
import time
from collections.abc import Iterator, Mapping
from typing import Any

from moto.core.utils import camelcase_to_underscores, unix_time
from moto.sqs import models as sqs_models
from moto.sqs.models import Message, Queue, SQSBackend

COUNT_REFRESH_SECONDS = 1.0
APPROXIMATE_COUNTS = (
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
)


def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
    retention_period = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
    return bool(retention_period + message.sent_timestamp / 1000 > unix_time())  # type: ignore[operator]


def _not_visible(queue: Queue) -> int:
    return sum(1 for message in queue.pending_messages if not message.visible)


_MOTO_DELAYED: property = Queue.__dict__["approximate_number_of_messages_delayed"]


def _delayed(queue: Queue) -> int:
    return int(_MOTO_DELAYED.fget(queue)) if int(queue.delay_seconds or 0) else 0  # type: ignore[attr-defined,misc]


def _visible(queue: Queue) -> int:
    return len(queue._messages) - _not_visible(queue) - _delayed(queue)


_COUNTS = {
    "approximate_number_of_messages": _visible,
    "approximate_number_of_messages_delayed": _delayed,
    "approximate_number_of_messages_not_visible": _not_visible,
}


def _recounted_at_most_every_second(name: str) -> property:
    counted = _COUNTS[name]

    def approximately(queue: Queue) -> Any:
        cache = queue.__dict__.setdefault("_approximate_counts", {})
        now = time.monotonic()
        if name not in cache or now - cache[name][0] >= COUNT_REFRESH_SECONDS:
            cache[name] = (now, counted(queue))
        return cache[name][1]

    return property(approximately)


class _VisibleMessages:
    """A queue's visible messages, read as far as the reader goes: moto's receive loop takes ten and stops."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue

    def __iter__(self) -> Iterator[Message]:
        return (message for message in self._queue._messages if message.visible and not message.delayed)

    def __bool__(self) -> bool:
        return next(iter(self), None) is not None

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Attributes(Mapping[str, Any]):
    """A queue's attributes as moto's ``Queue.attributes`` gives them, each read when asked for."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue

    def _names(self) -> list[str]:
        queue = self._queue
        fifo = queue.FIFO_ATTRIBUTES if queue.fifo_queue else []
        kms = queue.KMS_ATTRIBUTES if queue.kms_master_key_id else []  # type: ignore[attr-defined]
        return [*queue.BASE_ATTRIBUTES, *fifo, *kms]

    def __getitem__(self, name: str) -> Any:
        if name not in self._names():
            raise KeyError(name)
        queue = self._queue
        if name == "RedrivePolicy" and queue.redrive_policy:
            return json.dumps(queue.redrive_policy)
        value = getattr(queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


_receipts: dict[str, Message] = {}  # receipt handle -> its message, while the message is in a queue
_original_mark_received = Message.mark_received
_original_delete_message = Queue.delete_message


def _mark_received(self: Message, visibility_timeout: int | None = None) -> None:
    _original_mark_received(self, visibility_timeout)
    assert self.receipt_handle is not None
    _receipts[self.receipt_handle] = self


def _delete_message(self: Queue, receipt_handle: str) -> None:
    """moto's delete, finding the message by its handle (any handle it was ever given, as SQS accepts)."""
    if receipt_handle in self.deleted_messages:
        return
    message = _receipts.get(receipt_handle)
    if message is None or message not in self._messages:  # by identity: moto's messages define no equality
        _original_delete_message(self, receipt_handle)  # moto's own answer: an unknown handle is refused
        return
    self._messages.remove(message)
    self.pending_messages.discard(message)
    self.deleted_messages.update(message.all_receipt_handles)  # type: ignore[arg-type]
    for handle in message.all_receipt_handles:
        _receipts.pop(handle or "", None)


def _receipt_handle() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=RECEIPT_HANDLE_LENGTH))


RECEIPT_HANDLE_LENGTH = 185  # as moto's


def install() -> None:
    if getattr(SQSBackend, "_loyalty_queues_installed", False):
        return
    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]
    for name in APPROXIMATE_COUNTS:
        setattr(Queue, name, _recounted_at_most_every_second(name))
    Queue.messages = property(_VisibleMessages)  # type: ignore[assignment,method-assign]
    Queue.attributes = property(_Attributes)  # type: ignore[assignment,method-assign]
    Message.mark_received = _mark_received  # type: ignore[method-assign]
    Queue.delete_message = _delete_message  # type: ignore[method-assign]
    sqs_models.generate_receipt_handle = _receipt_handle  # type: ignore[attr-defined]
    SQSBackend._loyalty_queues_installed = True  # type: ignore[attr-defined]
