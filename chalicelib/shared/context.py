"""Who caused what is happening: set by the HTTP layer for a request, read by events and audit."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    actor: str  # "staff:<id>", "member:<id>", "partner:<id>", "anonymous", "system"
    request_id: str | None = None
    source_ip: str | None = None


SYSTEM = Origin("system")
_current: ContextVar[Origin] = ContextVar("origin", default=SYSTEM)


def current_origin() -> Origin:
    return _current.get()


@contextlib.contextmanager
def acting_as(origin: Origin) -> Iterator[None]:
    token = _current.set(origin)
    try:
        yield
    finally:
        _current.reset(token)
