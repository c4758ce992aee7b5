"""Store use cases: create, read, edit with If-Match, list. Each write emits its event in the same commit."""

from __future__ import annotations

from typing import Any

from chalicelib.identity.access import Caller
from chalicelib.shared import clock
from chalicelib.shared.cache import Cached, CachedByKey
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import AlreadyExists, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from chalicelib.shared.events import change_summary, emit, new_event
from chalicelib.shared.idempotency import IdempotencyKey, run_once
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.versions import Expected
from chalicelib.stores import repository
from chalicelib.stores.model import EDITABLE_FIELDS, Store, StoreStatus, apply_changes
from chalicelib.stores.records import StoreRecord
from chalicelib.stores.schemas import Store as StoreOut
from chalicelib.stores.schemas import StoreCreate

LIST_SCOPE = "stores"
STORE_CACHE_SECONDS = 60.0


def _event_payload(store: Store) -> dict[str, Any]:
    return {"store_id": store.store_id, "name": store.name, "city": store.city, "region": store.region,
            "status": str(store.status)}  # fmt: skip


def create_store(data: StoreCreate, key: IdempotencyKey | None = None) -> dict[str, Any]:
    """Create a store; a store id already taken is ``AlreadyExists``. Returns the store created, once per key."""

    def perform(tx: Transaction) -> dict[str, Any]:
        now = clock.iso(clock.now())
        store = Store(
            store_id=data.store_id or new_id("st_"), name=data.name, city=data.city, region=data.region,
            status=StoreStatus(data.status), created_at=now, updated_at=now, version=0, address=data.address,
            phone=data.phone,
        )  # fmt: skip
        record = repository.to_record(store)
        tx.put(
            record,
            condition=StoreRecord.store_id.does_not_exist(),
            on_fail=AlreadyExists(f"A store with id {store.store_id!r} already exists"),
        )
        created = Store(**{**store.__dict__, "version": 1})
        emit(tx, new_event("store.created", f"store/{store.store_id}", _event_payload(created)))
        return StoreOut.of(created).model_dump(mode="json")

    answer, _ = run_once(key, perform)
    _directory.forget()  # the writer sees its store listed at once
    return answer


def find_store(store_id: str) -> Store | None:
    return repository.get(store_id)


def _status(store_id: str) -> str:
    found = repository.get(store_id)
    return "" if found is None else str(found.status)


# The stores seen to exist in the last minute (this process only): stores are never deleted, and an unknown id is
# read again each time (it may be new).
_known: CachedByKey[str, str] = CachedByKey(_status, STORE_CACHE_SECONDS, keep=bool)


def _name(store_id: str) -> str:
    found = repository.get(store_id)
    return "" if found is None else found.name


# The names of stores read in the last minute (this process only): what members' messages name a store by.
_names: CachedByKey[str, str] = CachedByKey(_name, STORE_CACHE_SECONDS, keep=bool)


def store_name(store_id: str) -> str | None:
    """A store's name as members read it, as read at most a minute ago; None for no such store."""
    return _names.get(store_id) or None


def store_exists(store_id: str) -> bool:
    """Whether a store exists; a store seen in the last minute is not read again (stores are never deleted)."""
    return bool(_known.get(store_id))


def require_known(store_id: str | None, field: str = "store_id", where: str = "query") -> None:
    """A store a read is filtered by, when named, exists: 422 on ``field`` otherwise (a probe read an empty list for
    a store the chain does not have, where the statements and reports said so)."""
    if store_id is not None and not store_exists(store_id):
        raise ValidationFailed([{"field": field, "in": where, "message": "no such store"}], f"No store {store_id!r}")


def require_theirs(caller: Caller, store_id: str) -> None:
    """A store the caller reads the figures or journals of: one of theirs that exists, else 404, whose detail says
    which (a walkthrough's store manager read "No store 'FIT-XH'" of a store every screen named)."""
    if not caller.covers_store(store_id):
        raise NotFound(f"Store {store_id!r} is not one of yours")
    if not store_exists(store_id):
        raise NotFound(f"No store {store_id!r}")


def require_partners(partner: Caller, store_id: str, field: str = "store_id") -> None:
    """A partner limited to stores names one of its own: 403 for another store of the chain, 422 on ``field`` for no
    store at all, as for any partner (an integrator's scoped till read 403 for a store that does not exist). The
    store is looked up only when it is not one of the partner's."""
    if partner.covers_store(store_id):
        return
    if not store_exists(store_id):
        raise ValidationFailed([{"field": field, "in": "body", "message": "no such store"}], f"No store {store_id!r}")
    raise Forbidden(f"Store {store_id!r} is not one of this partner's stores")


def not_open(store_id: str) -> str | None:
    """Why new business cannot happen at a store (``no store 'X'``, ``store 'X' is closed``), or None when it
    trades. A closed store keeps its history and its members, and what happened there can still be refunded or
    read; nothing new happens there: no purchase, top-up, payment, coupon or pickup, no member joins it, no plan
    is sold there. As read at most a minute ago (closing a store holds everywhere within that time)."""
    status = _known.get(store_id)
    if not status:
        return f"no store {store_id!r}"
    return f"store {store_id!r} is closed" if status == StoreStatus.CLOSED else None


def get_store(store_id: str) -> Store:
    store = repository.get(store_id)
    if store is None:
        raise NotFound(f"No store {store_id!r}")
    return store


def update_store(store_id: str, changes: dict[str, Any], if_match: Expected) -> Store:
    """Apply a merge patch if the store's version is one ``if_match`` names; else 412. Unchanged values
    change nothing: no new version, no event."""
    current = get_store(store_id)
    if_match.require(current.version, "store")
    updated = apply_changes(current, changes, clock.iso(clock.now()))
    if updated == current:
        return current
    tx = Transaction()
    tx.put(repository.to_record(updated), on_fail=PreconditionFailed("The store changed while it was being edited"))
    saved = Store(**{**updated.__dict__, "version": current.version + 1})
    summary = change_summary(changes, vars(current), vars(saved), EDITABLE_FIELDS)  # stores hold no personal data
    emit(tx, new_event("store.updated", f"store/{store_id}", {**_event_payload(saved), **summary}))
    tx.commit()
    _known.forget(store_id)
    _names.forget(store_id)
    _directory.forget()
    return saved


def list_stores(limit: int, cursor: str | None) -> tuple[list[Store], str | None]:
    stores, last_key = repository.page(limit, decode_cursor(LIST_SCOPE, cursor))
    return stores, encode_cursor(LIST_SCOPE, last_key)


def stores_in_region(region: str) -> list[str]:
    """The ids of the stores of ``region`` (大区), in id order. Reads the stores table (a chain's stores, not its
    members)."""
    return sorted(store.store_id for store in all_stores() if store.region == region)


def stores_in_city(city: str) -> list[str]:
    """The ids of the stores of ``city``, in id order."""
    return sorted(store.store_id for store in all_stores() if store.city == city)


def open_stores() -> list[Store]:
    """The chain's open stores by city and code, as read at most a minute ago in this process (what the member pages
    list on every visit; a store opened or closed shows within that time, as ``not_open`` holds)."""
    return _directory.get()


def _read_open_stores() -> list[Store]:
    return sorted((s for s in all_stores() if s.status == "open"), key=lambda s: (s.city, s.store_id))


_directory: Cached[list[Store]] = Cached(_read_open_stores, STORE_CACHE_SECONDS)


def all_stores() -> list[Store]:
    """Every store of the chain, in id order (a chain's stores are hundreds, read a hundred a page)."""
    found, cursor = [], None
    while True:
        stores, cursor = repository.page(100, cursor)
        found += stores
        if cursor is None:
            return sorted(found, key=lambda store: store.store_id)
