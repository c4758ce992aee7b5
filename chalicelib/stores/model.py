"""The store as the domain sees it, and the rules for changing one. No AWS here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class StoreStatus(StrEnum):
    """Whether a store trades: `open`, or `closed` (kept, with its history)."""

    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Store:
    store_id: str
    name: str
    city: str
    region: str
    status: StoreStatus
    created_at: str
    updated_at: str
    version: int
    address: str | None = None  # where members find it (a pickup, a class): shown on the member pages
    phone: str | None = None  # the store's own number members call (not a person's: kept as it is)


EDITABLE_FIELDS = frozenset({"name", "city", "region", "status", "address", "phone"})


def apply_changes(store: Store, changes: dict[str, Any], updated_at: str) -> Store:
    """A store with ``changes`` applied; the id, creation time and version are never edited by hand."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    if all(getattr(store, name) == value for name, value in changes.items()):
        return store  # nothing changes: no new version, no event
    return replace(store, **changes, updated_at=updated_at)
