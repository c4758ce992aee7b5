"""Stores routes: thin views over the store service."""

from __future__ import annotations

from chalicelib.identity.access import MEMBER, Staff
from chalicelib.identity.rules import Permission
from chalicelib.shared.errors import (
    AlreadyExists,
    IdempotencyKeyReused,
    InvalidCursor,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint, etag
from chalicelib.shared.pagination import PageQuery
from chalicelib.stores import service
from chalicelib.stores.schemas import Store, StoreCreate, StoreDirectory, StoreListed, StorePage, StorePatch

READ = Staff(Permission.STORES_READ)
WRITE = Staff(Permission.STORES_WRITE)
OPEN_STORES = Staff(Permission.STORES_WRITE, chain=True)  # a new store is outside every store scope


def _store_reply(store: Store, status: int = 200) -> Reply:
    return Reply(
        store, status=status, headers={"ETag": etag(store.version), "Location": f"/v1/stores/{store.store_id}"}
    )


@endpoint("/v1/stores", "POST", summary="Create a store", tag="stores", access=OPEN_STORES, body=StoreCreate,
          response=Store,
          status=201, errors=(AlreadyExists, IdempotencyKeyReused), idempotency="optional", etag=True)  # fmt: skip
def create_store(ctx: RequestContext) -> Reply:
    """Create a store (门店). `store_id` may be the business's own store code (e.g. `SH-001`); else one is
    made. With an `Idempotency-Key`, a repeat answers the first creation.

    Errors: 409 `already-exists` when the store id is taken; 422 `idempotency-key-reused`."""
    body = service.create_store(ctx.body, ctx.idempotency)
    return _store_reply(Store.model_validate(body), 201)


@endpoint("/v1/stores/{store_id}", "GET", summary="Read a store", tag="stores", access=READ, response=Store,
          errors=(NotFound,), etag=True)  # fmt: skip
def get_store(ctx: RequestContext, store_id: str) -> Reply:
    """One store with its `ETag`. Errors: 404 for an unknown store or one outside the caller's stores."""
    if not ctx.caller.covers_store(store_id):
        raise NotFound(f"Store {store_id!r} is not one of yours")
    return _store_reply(Store.of(service.get_store(store_id)))


@endpoint("/v1/stores/{store_id}", "PATCH", summary="Edit a store (JSON merge patch)", tag="stores", access=WRITE,
          body=StorePatch, response=Store, if_match=True, etag=True,
          errors=(NotFound, PreconditionFailed, PreconditionRequired))  # fmt: skip
def update_store(ctx: RequestContext, store_id: str) -> Reply:
    """Edit a store's name, city, region or status (`open`, `closed`) with a JSON merge patch and
    `If-Match`.

    Errors: 412 on a stale `ETag`, 428 without `If-Match`; 404 for an unknown store."""
    patch: StorePatch = ctx.body
    assert ctx.if_match is not None
    return _store_reply(Store.of(service.update_store(store_id, patch.changes(), ctx.if_match)))


@endpoint("/v1/stores", "GET", summary="List stores", tag="stores", access=READ, query=PageQuery,
          response=StorePage,
          errors=(InvalidCursor,))  # fmt: skip
def list_stores(ctx: RequestContext) -> Reply:
    """Stores, paged with `limit` and `cursor`. Staff scoped to stores get exactly those, on one page."""
    query: PageQuery = ctx.query
    scope = sorted(ctx.caller.stores)
    if scope:  # a scoped caller's stores fit on one page
        stores = [store for store_id in scope if (store := service.find_store(store_id)) is not None]
        return Reply(StorePage(items=[Store.of(store) for store in stores], next_cursor=None))
    stores, next_cursor = service.list_stores(query.limit, query.cursor)
    return Reply(StorePage(items=[Store.of(store) for store in stores], next_cursor=next_cursor))


@endpoint("/v1/me/stores", "GET", summary="The chain's open stores, for a member to choose one", tag="stores",
          access=MEMBER, response=StoreDirectory)  # fmt: skip
def store_directory(ctx: RequestContext) -> Reply:
    """Every open store of the chain, by city and then store code (its id, name and city): what the member pages
    show where a member chooses a store (a points-mall reward's pickup store) and name the stores of their orders. Read
    at most a minute ago: a store opened or closed shows within that time."""
    listed = service.open_stores()
    return Reply(
        StoreDirectory(
            items=[
                StoreListed(store_id=s.store_id, name=s.name, city=s.city, address=s.address, phone=s.phone)
                for s in listed
            ]
        )
    )
