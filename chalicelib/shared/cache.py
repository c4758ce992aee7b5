"""Values loaded at most every so many seconds per process: rules and programmes that staff change rarely
(``Cached``), and small per-key facts read on every request, such as whether a staff session still holds
(``CachedByKey``). ``forget_every()`` drops what every cache of the process holds (a test's fresh database, a
bench that counts a warm call's requests)."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K")
_EVERY: weakref.WeakSet[Cached[object] | CachedByKey[object, object]] = weakref.WeakSet()


def forget_every() -> None:
    """Drop the values of every cache of this process: the next ``get`` of each loads again."""
    for cache in list(_EVERY):
        if isinstance(cache, Cached):
            cache.forget()
        else:
            cache.clear()


class Cached(Generic[T]):
    """``get()`` answers the value loaded less than ``seconds`` ago, or loads it again; ``forget()`` drops it
    (after a write of this process, so the writer sees its own change at once)."""

    def __init__(self, load: Callable[[], T], seconds: float) -> None:
        self._load, self._seconds = load, seconds
        self._lock = threading.Lock()
        self._value: tuple[float, T] | None = None
        _EVERY.add(self)  # type: ignore[arg-type]

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

    def set(self, value: T) -> None:
        """Keep ``value`` as if just loaded (what this process has just written)."""
        with self._lock:
            self._value = (time.monotonic(), value)


class CachedByKey(Generic[K, T]):
    """``get(key)`` answers the value loaded for ``key`` less than ``seconds`` ago, or loads it again: one read per
    key and period. At most ``size`` keys are kept; beyond that all are dropped (each costs one read again). Only values
    ``keep`` accepts are kept (e.g. not an unknown id's: made-up ids cannot flood the cache, and a new one is seen)."""

    def __init__(
        self, load: Callable[[K], T], seconds: float, size: int = 10_000, keep: Callable[[T], bool] = lambda _: True
    ) -> None:
        self._load, self._seconds, self._size, self._keep = load, seconds, size, keep
        self._lock = threading.Lock()
        self._values: dict[K, tuple[float, T]] = {}
        self._forgotten = 0  # counts forget() calls: a load that began before one is answered but not kept
        _EVERY.add(self)  # type: ignore[arg-type]

    def get(self, key: K) -> T:
        with self._lock:
            cached, forgotten = self._values.get(key), self._forgotten
        if cached and time.monotonic() - cached[0] < self._seconds:
            return cached[1]
        loaded = self._load(key)
        if not self._keep(loaded):
            return loaded
        with self._lock:
            if len(self._values) >= self._size:
                self._values.clear()
            if self._forgotten == forgotten:  # else it may predate the change that forget() announced
                self._values[key] = (time.monotonic(), loaded)
        return loaded

    def forget(self, key: K) -> None:
        with self._lock:
            self._values.pop(key, None)
            self._forgotten += 1

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._forgotten += 1
