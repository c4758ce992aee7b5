"""The books of member assets and the store they live in, filled by the domains that own them.

Each domain registers its books when its ``book`` module is imported, and the members domain registers the
guard that vouches for member holders; ``ledger()`` is the engine over all of them, so one post can move
several domains' books of a member at once (a purchase: points, growth and tier). Tests swap the store for
the in-memory one with ``use``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

from chalicelib.ledger.dynamo import DynamoStore, Guard
from chalicelib.ledger.engine import Ledger
from chalicelib.ledger.model import Account, Book
from chalicelib.ledger.store import Requirement, Store
from chalicelib.shared.db import Transaction, import_each


class _Books(dict[str, Book[Any]]):
    """The registered books by name. A book not registered yet is looked for in every domain's ``book`` module, so a
    process that imported only some domains (a purchase's cold start, the CLI running reconciliation, a job's
    function) still finds every book it may read, and imports the others' rules only when it meets one of them."""

    def __missing__(self, name: str) -> Book[Any]:
        _discover()
        if name in self:
            return self[name]
        raise KeyError(name)


_books = _Books()
_guard: list[Guard] = []
_store: list[Store] = []


def register_book(book: Book[Any]) -> Book[Any]:
    _books[book.name] = book
    return book


def register_guard(guard: Guard) -> None:
    _guard[:] = [guard]


def _guarded(tx: Transaction, holder: str, requirement: Requirement, on_fail: Exception) -> None:
    if not _guard:
        raise RuntimeError("no guard vouches for member holders: import chalicelib.members.service")
    _guard[0](tx, holder, requirement, on_fail)


@functools.cache
def _discover() -> None:
    """Import every domain's ``book`` module."""
    import_each("book")


def ledger() -> Ledger:
    """The engine over every book, on DynamoDB (or the store a test put in its place)."""
    return Ledger(_store[0] if _store else DynamoStore(guard=_guarded), _books)


def open_in(tx: Transaction, holder: str, postings: list[Any], announce: Any = None) -> None:
    """Open a new holder's account with ``postings`` inside ``tx`` (see ``Ledger.opening``)."""
    unit = ledger().opening(holder, postings, announce=announce)
    store = _store[0] if _store else DynamoStore(guard=_guarded)
    assert isinstance(store, DynamoStore), "an opening joins a DynamoDB transaction"
    store.add_to(tx, unit)


def mark_in(tx: Transaction, holder: str, status: str, unchanged_since: Account | None = None) -> None:
    """Keep a member holder's new ``status`` on their account inside ``tx``, the commit that changes it; with
    ``unchanged_since`` (the account as read), only while no post came in since (``PreconditionFailed``)."""
    store = _store[0] if _store else DynamoStore(guard=_guarded)
    assert isinstance(store, DynamoStore), "a status joins a DynamoDB transaction"
    store.mark_in(tx, holder, status, unchanged_since)


def unchanged_in(tx: Transaction, holder: str, seen: Account, on_fail: Exception) -> None:
    """Commit ``tx`` only while the holder's account is still as ``seen`` (``on_fail`` otherwise): a decision made on
    a holder the commit does not post to (a sale judged on its order's wallet payment)."""
    store = _store[0] if _store else DynamoStore(guard=_guarded)
    assert isinstance(store, DynamoStore), "a condition joins a DynamoDB transaction"
    store.unchanged_in(tx, holder, seen, on_fail)


def account(holder: str) -> Account:
    """The holder's account as it stands (its revision: None when it has none yet)."""
    return ledger().store.read(holder)


@contextlib.contextmanager
def use(store: Store) -> Iterator[Store]:
    """Run on ``store`` instead of DynamoDB (the in-memory store in fast tests and the simulation)."""
    _store.append(store)
    try:
        yield store
    finally:
        _store.remove(store)
