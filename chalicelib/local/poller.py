"""The local stack's stand-in for Lambda's SQS event source mappings: each local queue feeds its handler.

Like a mapping, a delivery takes up to the queue's batch size of messages (ten a receive, several receives for
a larger batch), hands them to the handler function as one SQS event (the shape Lambda sends, with
``ApproximateReceiveCount``), then deletes only the messages the handler did not report in
``batchItemFailures``; the others come back after their visibility timeout and, after the queue's
``max_receives``, go to its dead-letter queue.

Deliveries run in worker processes, as Lambda runs handlers in instances of their own: a worker receives,
handles and deletes, so the stack's process is left to the emulator, and the two use different cores. The
stack's poller only decides which queue is served next: a queue that got messages, one whose last delivery
was full, up to the queue's concurrency at once. ``workers=0`` delivers in the poller's own thread.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from chalicelib.local.arrivals import QUEUE_MESSAGES
from chalicelib.local.localdir import PROJECT_DIR

PER_RECEIVE = 10  # SQS's most per receive
# a look at every queue costs 0.03-0.08 s of CPU: every 5 s, that was an idle stack's 3% of a core on a loaded machine
RECHECK_SECONDS = 10.0


@dataclass(frozen=True)
class Delivery:
    """A batch for a queue's handler: its queue, its handler function, and the most messages it takes."""

    queue_url: str
    handler: str
    batch_size: int


@functools.cache
def _sqs() -> Any:
    import boto3

    return boto3.client("sqs", region_name=os.environ["AWS_DEFAULT_REGION"])


def deliver(delivery: Delivery) -> int:
    """Receive up to a batch of messages, hand them to the handler as one SQS event, delete those it did not
    report as failed; how many were received (a full batch: the queue may hold more)."""
    from chalicelib.platform import handlers

    messages: list[dict[str, Any]] = []
    while len(messages) < delivery.batch_size:
        received = _sqs().receive_message(
            QueueUrl=delivery.queue_url, MaxNumberOfMessages=min(PER_RECEIVE, delivery.batch_size - len(messages)),
            WaitTimeSeconds=0, MessageSystemAttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])  # fmt: skip
        messages += received
        if len(received) < PER_RECEIVE:
            break
    if not messages:
        return 0
    records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": m.get("Attributes", {}), "eventSource": "aws:sqs"} for m in messages]  # fmt: skip
    try:
        answer = getattr(handlers, delivery.handler)({"Records": records}, None)
        failed = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
    except Exception:  # the handler itself failed: every message comes back after its visibility timeout
        from chalicelib.shared.logs import logger

        logger.exception("local handler failed", extra={"handler": delivery.handler})
        return len(messages)
    done = [m for m in messages if m["MessageId"] not in failed]
    for start in range(0, len(done), PER_RECEIVE):
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])]
        _sqs().delete_message_batch(QueueUrl=delivery.queue_url, Entries=entries)
    return len(messages)


class WorkerProcesses:
    """Work runs in ``count`` worker processes (``python -m chalicelib.local.worker``), one command at a time
    each (a delivery, a relay step), sent on their standard input and answered on their standard output (a JSON
    line each way).

    A worker ends when its input closes, so workers never outlive the stack, however the stack ends; they ignore
    Ctrl-C (the terminal sends it to the whole process group), since the stack drains them before it stops.
    """

    def __init__(self, count: int, environment: dict[str, str]) -> None:
        self._work: queue.Queue[tuple[dict[str, Any], Future[Any]] | None] = queue.Queue()
        self._processes = [
            subprocess.Popen(
                [sys.executable, "-m", "chalicelib.local.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                env=environment, cwd=str(PROJECT_DIR),
            )
            for _ in range(count)
        ]  # fmt: skip
        self._threads = [threading.Thread(target=self._feed, args=(process,), name=f"worker-{n}", daemon=True)
                         for n, process in enumerate(self._processes)]  # fmt: skip
        for thread in self._threads:
            thread.start()

    def submit(self, command: dict[str, Any]) -> Future[Any]:
        future: Future[Any] = Future()
        self._work.put((command, future))
        return future

    def _feed(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        while (work := self._work.get()) is not None:
            command, future = work
            try:
                process.stdin.write(json.dumps(command).encode() + b"\n")
                process.stdin.flush()
                answer = process.stdout.readline()
                if not answer:
                    raise RuntimeError(f"worker process {process.pid} ended (exit {process.poll()})")
                future.set_result(json.loads(answer))
            except Exception as e:
                future.set_exception(e)
                if process.poll() is not None:
                    return

    def stop(self) -> None:
        for _ in self._threads:
            self._work.put(None)
        for thread in self._threads:
            thread.join(timeout=600)
        for process in self._processes:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=30)


@dataclass
class _Route:
    delivery: Delivery
    concurrency: int
    in_flight: int = 0
    more: bool = True  # its last delivery was full, or it was never looked at: there may be more

    @property
    def name(self) -> str:
        return self.delivery.queue_url.rsplit("/", 1)[1]


class QueuePoller:
    """Feeds each local queue to its Lambda handler as its event source mapping would on AWS."""

    def __init__(self, queue_urls: dict[str, str], environment: dict[str, str], workers: int) -> None:
        from chalicelib.shared.topology import QUEUES

        self._routes = [
            _Route(Delivery(queue_urls[spec.logical_name], spec.handler, spec.batch_size),
                   min(spec.concurrency or 1, max(workers, 1)))
            for spec in QUEUES
        ]  # fmt: skip
        self._lock = threading.Lock()
        self._pool = WorkerProcesses(workers, environment) if workers else None
        self._next_recheck = 0.0

    def step(self) -> bool:
        """Start a delivery for each queue that may hold messages, up to its concurrency; whether any started.

        Only queues that got messages since they were last emptied are served (an empty receive costs the
        emulator as much as a full one), and every queue every ``RECHECK_SECONDS`` (a message back from its
        visibility timeout rings no bell)."""
        started = False
        arrived = QUEUE_MESSAGES.take()
        recheck = time.monotonic() >= self._next_recheck
        if recheck:
            self._next_recheck = time.monotonic() + RECHECK_SECONDS
        for route in self._routes:
            if not (recheck or route.more or route.name in arrived):
                continue
            if self._pool is None:
                received = deliver(route.delivery)
                route.more = received == route.delivery.batch_size
                started = started or received > 0
                continue
            with self._lock:
                if route.in_flight >= route.concurrency:
                    route.more = True  # served again once one of its deliveries ends
                    continue
                route.in_flight += 1
                route.more = False
            started = True
            future = self._pool.submit({"deliver": vars(route.delivery)})
            future.add_done_callback(functools.partial(self._delivered, route))
        return started

    def _delivered(self, route: _Route, future: Future[Any]) -> None:
        try:
            received = int(future.result())
        except Exception:
            from chalicelib.shared.logs import logger

            logger.exception("local delivery failed", extra={"handler": route.delivery.handler})
            received = 0
        with self._lock:
            route.in_flight -= 1
            if received == route.delivery.batch_size:  # a full batch: it may hold more
                route.more = True
        QUEUE_MESSAGES.ring()  # the poller looks again

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.stop()


def default_workers() -> int:
    """``LOYALTY_LOCAL_WORKERS``, else one process per core (at least two)."""
    return int(os.environ.get("LOYALTY_LOCAL_WORKERS") or max(2, os.cpu_count() or 2))
