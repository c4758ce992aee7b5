"""A value loaded at most every so many seconds per process (rules and programmes that staff change rarely)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Cached(Generic[T]):
    """``get()`` answers the value loaded less than ``seconds`` ago, or loads it again; ``forget()`` drops it
    (after a write of this process, so the writer sees its own change at once)."""

    def __init__(self, load: Callable[[], T], seconds: float) -> None:
        self._load, self._seconds = load, seconds
        self._lock = threading.Lock()
        self._value: tuple[float, T] | None = None

    def get(self) -> T:
        with self._lock:
            if self._value and time.monotonic() - self._value[0] < self._seconds:
                return self._value[1]
        loaded = self._load()
        with self._lock:
            self._value = (time.monotonic(), loaded)
        return loaded

    def forget(self) -> None:
        with self._lock:
            self._value = None
