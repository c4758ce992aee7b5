"""Messages the code sends to its own queues (job batches, import chunks), ten to a request."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from chalicelib.shared.settings import get_settings


@functools.cache
def _sqs() -> Any:
    import boto3  # imported on first send: it is not needed to answer most requests

    return boto3.client("sqs", region_name=get_settings().region)


def send_messages(queue_url: str, bodies: Sequence[str]) -> None:
    """Send every body to the queue; raise if SQS refuses any (a retried sender sends them again, which the
    queues' workers take as idempotent)."""
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + 10])]
        result = _sqs().send_message_batch(QueueUrl=queue_url, Entries=entries)
        if result.get("Failed"):
            raise RuntimeError(f"SQS refused {len(result['Failed'])} messages: {result['Failed'][0].get('Code')}")
