"""SQS receive for the local emulator at a cost that does not grow with the queue's length.

For every message it hands out, moto checks the retention period through ``get_queue_attributes``, which
recomputes every attribute of the queue, message counts included: receiving becomes quadratic in the
queue's length. During a bulk import the statistics and audit queues grow faster than their consumers
drain them, and the whole stack slows down. The retention period is a plain attribute of the queue;
reading it directly gives the same answer.
"""

from __future__ import annotations

from moto.core.utils import unix_time
from moto.sqs.models import Message, SQSBackend


def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
    retention_period = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
    return bool(retention_period + message.sent_timestamp / 1000 > unix_time())  # type: ignore[operator]


def install() -> None:
    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]
