"""Bells the emulator rings when there is work for the local stack's relay and poller, so they need not poll.

The relay reads the outbox table's stream and the poller the queues. Asking every 0.2 s, an idle stack sent
30 requests a second and kept 10-18% of a core busy. The emulator runs in this process, so moto itself rings
a bell when a table's stream gets a record or a queue a message, and each worker sleeps until its bell rings.
SQS long polling cannot stand in for this here: a waiting ReceiveMessage would hold the emulator's lock and
stop every other request for as long as it waits.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moto.sqs.models import Queue


class Bell:
    """Counts its rings; a waiter sleeps until a ring after the count it saw, so a ring is never missed."""

    def __init__(self) -> None:
        self._rung = threading.Condition()
        self.rings = 0

    def ring(self) -> None:
        with self._rung:
            self.rings += 1
            self._rung.notify_all()

    def wait(self, seen: int, timeout: float) -> None:
        """Return once the bell has rung since it had rung ``seen`` times, or after ``timeout`` seconds."""
        with self._rung:
            self._rung.wait_for(lambda: self.rings != seen, timeout)


class Arrivals(Bell):
    """A bell that also remembers which queues got messages since they were last looked at."""

    def __init__(self) -> None:
        super().__init__()
        self._names: set[str] = set()
        self._names_lock = threading.Lock()

    def ring_for(self, name: str) -> None:
        with self._names_lock:
            self._names.add(name)
        self.ring()

    def take(self) -> set[str]:
        """The queues that got messages since the last ``take``."""
        with self._names_lock:
            names, self._names = self._names, set()
        return names


STREAM_RECORDS = Bell()
QUEUE_MESSAGES = Arrivals()


def _ringing(method: Any, bell: Bell) -> Any:
    def method_then_ring(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        bell.ring()
        return result

    method_then_ring._rings = bell  # type: ignore[attr-defined]
    return method_then_ring


def _ringing_for_queue(method: Any, bell: Arrivals) -> Any:
    def method_then_ring(queue: Queue, *args: Any, **kwargs: Any) -> Any:
        result = method(queue, *args, **kwargs)
        bell.ring_for(queue.name)
        return result

    method_then_ring._rings = bell  # type: ignore[attr-defined]
    return method_then_ring


def install() -> None:
    """Ring ``STREAM_RECORDS`` on every stream record and ``QUEUE_MESSAGES`` (naming the queue) on every queued
    message. Imports moto only here: the processes that merely feed deliveries to handlers (the stack's workers, the
    CLI) never load it."""
    from moto.dynamodb.models.table import StreamShard
    from moto.sqs.models import Queue

    if not hasattr(StreamShard.add, "_rings"):
        StreamShard.add = _ringing(StreamShard.add, STREAM_RECORDS)  # type: ignore[method-assign]
    if not hasattr(Queue.add_message, "_rings"):
        Queue.add_message = _ringing_for_queue(Queue.add_message, QUEUE_MESSAGES)  # type: ignore[method-assign]
