"""The books of member assets and the store they live in, filled by the domains that own them.

Each domain registers its books when its ``book`` module is imported, and the members domain registers the
guard that vouches for member holders; ``ledger()`` is the engine over all of them, so one post can move
several domains' books of a member at once (a purchase: points, growth and tier). Tests swap the store for
the in-memory one with ``use``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from chalicelib.ledger.dynamo import DynamoStore, Guard
from chalicelib.ledger.engine import Ledger
from chalicelib.ledger.model import Account, Book
from chalicelib.ledger.store import Requirement, Store
from chalicelib.shared.db import Transaction, import_each


class _Books(Mapping[str, Book[Any]]):
    """Every book by name. A name not registered yet is looked for in every domain's ``book`` module, and so is the
    whole set when it is listed or counted: a process that imported only some domains (a purchase's cold start, the
    CLI running reconciliation, a job's function, the drift alarms declared) still finds every book it may read, and a
    purchase imports the other domains' rules only when an account it reads holds one of their books."""

    def __init__(self) -> None:
        self._registered: dict[str, Book[Any]] = {}

    def register(self, book: Book[Any]) -> None:
        self._registered[book.name] = book

    def __getitem__(self, name: str) -> Book[Any]:
        if name not in self._registered:
            _discover()
        return self._registered[name]

    def __iter__(self) -> Iterator[str]:
        _discover()
        return iter(self._registered)

    def __len__(self) -> int:
        _discover()
        return len(self._registered)


_books = _Books()
_guard: list[Guard] = []
_store: list[Store] = []


def register_book(book: Book[Any]) -> Book[Any]:
    _books.register(book)
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


def open_in(tx: Transaction, holder: str, postings: list[Any], announce: Any = None, claim: Any = None) -> None:
    """Open a new holder's account with ``postings`` inside ``tx`` (see ``Ledger.opening``)."""
    unit = ledger().opening(holder, postings, announce=announce, claim=claim)
    store = _store[0] if _store else DynamoStore(guard=_guarded)
    assert isinstance(store, DynamoStore), "an opening joins a DynamoDB transaction"
    store.add_to(tx, unit)


def mark_in(
    tx: Transaction, holder: str, status: str, unchanged_since: Account | None = None, on_fail: Exception | None = None
) -> None:  # fmt: skip
    """Keep a member holder's new ``status`` on their account inside ``tx``, the commit that changes it; with
    ``unchanged_since`` (the account as read), only while no post came in since (``on_fail``, else
    ``PreconditionFailed``)."""
    store = _store[0] if _store else DynamoStore(guard=_guarded)
    assert isinstance(store, DynamoStore), "a status joins a DynamoDB transaction"
    store.mark_in(tx, holder, status, unchanged_since, on_fail)


def unchanged_in(tx: Transaction, holder: str, seen: Account, on_fail: Exception) -> None:
    """Commit ``tx`` only while the holder's account is still as ``seen`` (``on_fail`` otherwise): a decision made on
    a holder the commit does not post to (a sale judged on its order's wallet payment)."""
    store = _store[0] if _store else DynamoStore(guard=_guarded)
    assert isinstance(store, DynamoStore), "a condition joins a DynamoDB transaction"
    store.unchanged_in(tx, holder, seen, on_fail)


def never_posted(holder: str, on_fail: Exception) -> Callable[[Transaction], None]:
    """The condition a write commits with while nothing was ever posted to ``holder`` (``on_fail`` otherwise): a sale
    another domain's account for its order rules out (stored value paid apart, a coupon used). No request."""
    return lambda tx: unchanged_in(tx, holder, Account(holder), on_fail)


def unclaimed_in(tx: Transaction, key: str, on_fail: Exception) -> None:
    """Commit ``tx`` only while nothing was posted under the claim's ``key`` (``on_fail`` otherwise): a write another
    domain's sale rules out (a stored-value payment for a till order a card was sold under)."""
    store = _store[0] if _store else DynamoStore(guard=_guarded)
    assert isinstance(store, DynamoStore), "a condition joins a DynamoDB transaction"
    store.unclaimed_in(tx, key, on_fail)


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
