"""The local stand-in for the outbox stream's trigger: read the stream, call the same relay function as Lambda.

``StreamReader`` does what the trigger and the relay function do (read new records, publish their events); it
runs in a worker process of its own, so its work is not the emulator's process's. ``OutboxRelay``, in the
stack's process, asks it to read on and then drops the relayed items from the emulator (which ignores TTL), so
the outbox saved on stop holds only events not yet relayed, and they are relayed on the next start. They are
dropped from the emulator's memory, not deleted through the API: a deletion would put a removal on the stream
for every event, which the relay would read back and skip (half of what it read).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from chalicelib.local.poller import WorkerProcesses

BATCH = 100  # records a call, as the stream's event source mapping hands the relay on AWS


class StreamReader:
    """Reads a table's stream from its start, like the Lambda trigger, and hands new records to the relay."""

    def __init__(self, stream_arn: str) -> None:
        import boto3

        self._streams = boto3.client("dynamodbstreams", region_name=os.environ["AWS_DEFAULT_REGION"])
        shards = self._streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        self._iterators = [
            self._streams.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for shard in shards
        ]

    def relay(self) -> list[dict[str, Any]]:
        """Relay the records that came since the last call; the keys of the items they inserted."""
        from chalicelib.platform.handlers import outbox_relay

        relayed = []
        for index, iterator in enumerate(self._iterators):
            result = self._streams.get_records(ShardIterator=iterator, Limit=BATCH)
            records = result["Records"]
            if records:
                outbox_relay({"Records": records}, None)
                relayed += [record["dynamodb"]["Keys"] for record in records if record["eventName"] == "INSERT"]
            self._iterators[index] = result.get("NextShardIterator", iterator)
        return relayed


@functools.cache
def reader(stream_arn: str) -> StreamReader:
    """This process's reader of the stream (a worker process keeps its place between calls)."""
    return StreamReader(stream_arn)


class OutboxRelay:
    """Relays the outbox stream, in ``process`` (none: in this thread), and forgets what it relayed."""

    def __init__(
        self, stream_arn: str, forget: Callable[[list[dict[str, Any]]], None], process: WorkerProcesses | None
    ) -> None:
        self._stream_arn, self._forget, self._process = stream_arn, forget, process

    def step(self) -> bool:
        """Relay what came; whether there was anything."""
        if self._process is None:
            keys = reader(self._stream_arn).relay()
        else:
            keys = self._process.submit({"relay": self._stream_arn}).result()
        if keys:
            self._forget(keys)
        return bool(keys)

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
