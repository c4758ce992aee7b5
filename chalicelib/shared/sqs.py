"""Messages the code sends to its own queues (job batches, import chunks), ten to a request."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from chalicelib.shared.settings import get_settings


@functools.cache
def _sqs() -> Any:
    from chalicelib.shared import aws  # imported on first send: it is not needed to answer most requests

    return aws.client("sqs", get_settings().region)


def send_messages(queue_url: str, bodies: Sequence[str]) -> None:
    """Send every body to the queue; raise if SQS refuses any (a retried sender sends them again, which the
    queues' workers take as idempotent)."""
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + 10])]
        result = _sqs().send_message_batch(QueueUrl=queue_url, Entries=entries)
        if result.get("Failed"):
            raise RuntimeError(f"SQS refused {len(result['Failed'])} messages: {result['Failed'][0].get('Code')}")


@functools.cache
def queue_url(logical_name: str) -> str:
    from chalicelib.shared.topology import physical_queue_name

    name = physical_queue_name(get_settings().table_prefix, logical_name)
    return str(_sqs().get_queue_url(QueueName=name)["QueueUrl"])


def hide_for(logical_name: str, entries: Sequence[tuple[str, int]]) -> None:
    """Keep received messages (receipt handle, seconds) hidden that long from now: a backoff before they return."""
    url = queue_url(logical_name)
    for start in range(0, len(entries), 10):
        batch = [{"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": seconds}
                 for i, (handle, seconds) in enumerate(entries[start : start + 10])]  # fmt: skip
        _sqs().change_message_visibility_batch(QueueUrl=url, Entries=batch)


def redrive(logical_name: str, limit: int = 10_000) -> int:
    """Move up to ``limit`` messages from a queue's dead-letter queue back to the queue (after the cause of their
    failures is fixed); returns how many. Each is sent before it is deleted, so a crash repeats one, never loses it:
    the consumers are idempotent."""
    from chalicelib.shared.topology import dead_letter_name, physical_queue_name

    prefix = get_settings().table_prefix
    target = _sqs().get_queue_url(QueueName=physical_queue_name(prefix, logical_name))["QueueUrl"]
    source = _sqs().get_queue_url(QueueName=dead_letter_name(prefix, logical_name))["QueueUrl"]
    moved = 0
    while moved < limit:
        found = _sqs().receive_message(QueueUrl=source, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages")
        if not found:
            break
        send_messages(target, [message["Body"] for message in found])
        handles = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(found)]
        _sqs().delete_message_batch(QueueUrl=source, Entries=handles)
        moved += len(found)
    return moved
