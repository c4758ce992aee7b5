"""Maps store records to domain stores and back."""

from __future__ import annotations

from typing import Any

from chalicelib.shared.db import one_page
from chalicelib.stores.model import Store, StoreStatus
from chalicelib.stores.records import StoreRecord


def to_store(record: StoreRecord) -> Store:
    return Store(
        store_id=record.store_id, name=record.name, city=record.city, region=record.region,
        status=StoreStatus(record.status), created_at=record.created_at, updated_at=record.updated_at,
        version=int(record.version or 0), address=record.address, phone=record.phone,
    )  # fmt: skip


def to_record(store: Store) -> StoreRecord:
    """A record of ``store`` whose version is the one read, so saving it checks nobody wrote since."""
    record = StoreRecord(
        store.store_id, name=store.name, city=store.city, region=store.region, status=str(store.status),
        created_at=store.created_at, updated_at=store.updated_at, address=store.address, phone=store.phone,
    )  # fmt: skip
    if store.version:
        record.version = store.version
    return record


def get(store_id: str) -> Store | None:
    record = StoreRecord.find(store_id)
    return to_store(record) if record else None


def page(limit: int, start_key: dict[str, Any] | None) -> tuple[list[Store], dict[str, Any] | None]:
    """One page of stores and the key to continue from."""
    records, last_key = one_page(StoreRecord, StoreRecord.scan(page_size=limit, last_evaluated_key=start_key))
    return [to_store(record) for record in records], last_key
