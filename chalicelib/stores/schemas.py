"""The stores API contract (and its OpenAPI source)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from chalicelib.shared.http import Input, MergePatch, Schema
from chalicelib.stores.model import Store as StoreModel
from chalicelib.stores.model import StoreStatus

StoreId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class StoreCreate(Input):
    """A new store. ``store_id`` may be the business's own store code (e.g. ``SH-001``); else one is made."""

    store_id: StoreId | None = None
    name: Name
    city: Place
    region: Place
    status: StoreStatus = StoreStatus.OPEN


class StorePatch(MergePatch):
    """A JSON merge patch of a store; none of its fields may be null."""

    name: Name | None = None
    city: Place | None = None
    region: Place | None = None
    status: StoreStatus | None = None


class Store(Schema):
    store_id: str
    name: str
    city: str
    region: str
    status: StoreStatus
    created_at: str
    updated_at: str
    version: int

    @classmethod
    def of(cls, store: StoreModel) -> Store:
        return cls(**store.__dict__)


class StorePage(Schema):
    items: list[Store]
    next_cursor: str | None
