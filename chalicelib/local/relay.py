"""The local stand-in for the relay's stream triggers: read the streams, call the same relay function as Lambda.

``StreamReader`` does what a trigger and the relay function do (read new records, publish their events); it
runs in a worker process of its own, so its work is not the emulator's process's. ``OutboxRelay``, in the
stack's process, asks it to read on and then has the emulator forget what it relayed (the outbox items, which
the emulator keeps past their TTL, and the events an account carried), so the tables saved on stop hold only
events not yet relayed, and they are relayed on the next start. They are dropped from the emulator's memory,
not deleted through the API: a deletion would put a record on the stream for every event, which the relay
would read back and skip (half of what it read).
"""

from __future__ import annotations

import base64
import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.local.poller import WorkerProcesses

BATCH = 100  # records a call, as the stream's event source mapping hands the relay on AWS
Relayed = tuple[dict[str, Any], str | None]  # an item's key, and the events it carried (base64; None: outbox item)


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

    def relay(self) -> dict[str, Any]:
        """Relay the records that came since the last call: ``relayed``, what the items they published from held, and
        ``through``, the last sequence number read (None: none came)."""
        from chalicelib.platform.handlers import outbox_relay
        from chalicelib.shared.events import CARRIED, envelopes_in

        relayed: list[Relayed] = []
        through = None
        for index, iterator in enumerate(self._iterators):
            result = self._streams.get_records(ShardIterator=iterator, Limit=BATCH)
            records = result["Records"]
            if records:
                outbox_relay({"Records": records}, None)
                for record in filter(envelopes_in, records):
                    carried = record["dynamodb"]["NewImage"].get(CARRIED)
                    relayed.append((record["dynamodb"]["Keys"], _text(carried["B"]) if carried else None))
                through = int(records[-1]["dynamodb"]["SequenceNumber"])
            self._iterators[index] = result.get("NextShardIterator", iterator)
        return {"relayed": relayed, "through": through}


def _text(value: bytes | str) -> str:
    return value if isinstance(value, str) else base64.b64encode(value).decode()


@functools.cache
def reader(stream_arn: str) -> StreamReader:
    """This process's reader of the stream (a worker process keeps its place between calls)."""
    return StreamReader(stream_arn)


class OutboxRelay:
    """Relays the streams (stream ARN -> how to forget what was relayed from its table), in ``process`` (none: in
    this thread), and forgets what it relayed."""

    def __init__(
        self, streams: Mapping[str, Callable[[list[Relayed], int], None]], process: WorkerProcesses | None
    ) -> None:
        self._streams, self._process = streams, process

    def step(self) -> bool:
        """Relay what came; whether anything was published."""
        anything = False
        for stream_arn, forget in self._streams.items():
            read = (
                reader(stream_arn).relay()
                if self._process is None
                else self._process.submit({"relay": stream_arn}).result()
            )
            relayed = [(key, carried) for key, carried in read["relayed"]]
            if read["through"] is not None:
                forget(relayed, read["through"])
            anything = anything or bool(relayed)
        return anything

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
