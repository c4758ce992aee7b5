"""SQS in the local emulator at a cost that does not grow with the queue's length.

moto recounts every message of a queue whenever any of its attributes is read: once per message received
(the retention check) and once per message sent (the deduplication check). During a bulk import the
statistics and audit queues grow faster than their consumers drain them, each send and receive gets
slower, and the stack grinds to a crawl. Two changes, both faithful to SQS:

- the retention check reads the retention period directly (the same value);
- the approximate message counts are recounted at most once a second per queue: SQS documents them as
  approximate and eventually consistent, and no code of ours decides anything from them.
"""

from __future__ import annotations

import time
from typing import Any

from moto.core.utils import unix_time
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


def _recounted_at_most_every_second(name: str, count: property) -> property:
    def approximately(queue: Queue) -> Any:
        cache = queue.__dict__.setdefault("_approximate_counts", {})
        now = time.monotonic()
        if name not in cache or now - cache[name][0] >= COUNT_REFRESH_SECONDS:
            cache[name] = (now, count.fget(queue))  # type: ignore[misc]
        return cache[name][1]

    return property(approximately)


def install() -> None:
    if getattr(SQSBackend, "_loyalty_queues_installed", False):
        return
    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]
    for name in APPROXIMATE_COUNTS:
        setattr(Queue, name, _recounted_at_most_every_second(name, getattr(Queue, name)))
    SQSBackend._loyalty_queues_installed = True  # type: ignore[attr-defined]
