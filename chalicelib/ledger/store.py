"""The ledger's storage port: what the engine asks of a store, and how a store fails.

A store reads accounts, claims and entries, and commits a ``Unit`` whole or not at all: every account
update conditional on the revision it was read at, the entries (new keys only), the claim (a new key only),
the holders' status requirements and the events (DynamoDB lets an account carry them where it has room,
``Account.stored_sizes``). Two stores implement it — DynamoDB (one
``TransactWriteItems``) and memory (for fast tests and the fault simulation) — and pass one contract suite.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

from chalicelib.ledger.model import Account, Entry
from chalicelib.shared.errors import Unavailable
from chalicelib.shared.events import Event

Requirement = Literal["active", "present"]  # active: may earn and spend; present: not erased

MAX_ITEMS = 100  # a DynamoDB transaction's limit


@dataclass(frozen=True)
class AccountWrite:
    """An account's new book states and entry counts, conditional on ``expected_rev`` (None: new), and the
    date indexes whose day changed (only those are written, so an index is written only when it moves). A post
    never writes reconciliation's checkpoint: that is ``Store.checkpoint``'s alone."""

    holder: str
    expected_rev: int | None
    books: Mapping[str, Any]
    seqs: Mapping[str, int]
    due: Mapping[str, date | None]
    status: str | None = None  # a status the post proved by its requirement check, kept on the account from now on
    stored_sizes: Mapping[str, int] | None = field(default=None, compare=False)  # ``Account.stored_sizes`` as read


@dataclass(frozen=True)
class StoredClaim:
    key: str
    content: str
    result: Mapping[str, Any]
    entries: tuple[tuple[str, str, int], ...]  # (holder, book, seq) of the entries it posted


@dataclass(frozen=True)
class ClaimWrite:
    claim: StoredClaim
    expires_on: date | None
    keeper: Any = None  # the ``ClaimKeeper`` whose record holds the claim (None: the ledger's claim item)


class ClaimKeeper(Protocol):
    """A record of the caller's that keeps a claim in the ledger's place, so the claim costs no item of its own
    (a purchase record, unique per order, is its order's claim): written with the post on the condition that
    its key is new, and read back for a repeat. It keeps the claim for good. A keeper works in its store's
    terms (DynamoDB: it adds a put to the transaction, ``decisive``, raising ``on_fail`` when the key is
    taken); the memory store keeps such claims as it keeps its own."""

    def keep(self, tx: Any, claim: StoredClaim, on_fail: Exception) -> None: ...

    def find(self, key: str) -> StoredClaim | None: ...


@dataclass(frozen=True)
class Unit:
    """Everything one post commits together."""

    accounts: Sequence[AccountWrite]
    entries: Sequence[Entry]
    claim: ClaimWrite | None = None
    requirements: Sequence[tuple[str, Requirement]] = ()
    events: Sequence[Event] = ()
    attachments: Sequence[Any] = ()  # the caller's own writes, in the store's terms (see each store)

    @property
    def items(self) -> int:
        parts = (self.accounts, self.entries, self.requirements, self.events, self.attachments)
        return sum(len(part) for part in parts) + (self.claim is not None)


@dataclass(frozen=True)
class Checkpoint:
    """Reconciliation's progress on one account: per book, the entries checked and their sum (``1..seq`` add up to
    ``sum``), as read (``was``) and as now checked."""

    holder: str
    was: Mapping[str, tuple[int, int]]
    now: Mapping[str, tuple[int, int]]

    def moved(self) -> dict[str, int]:
        """What each book's checked sum moved by (books whose sum did not move are left out)."""
        moved = {book: total - self.was.get(book, (0, 0))[1] for book, (_, total) in self.now.items()}
        return {book: amount for book, amount in moved.items() if amount}


def checkpoint_items(checkpoints: Sequence[Checkpoint]) -> int:
    """The items a checkpoint commit writes: each account, and each book total it moves."""
    return len(checkpoints) + len({book for checkpoint in checkpoints for book in checkpoint.moved()})


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    cursor: Any = field(default=None)  # the store's own position after the last entry, or None at the end


# --- how a commit fails ----------------------------------------------------------------------------------------


class TooManyItems(Exception):
    """A post would need more than a transaction's 100 items: a design error, raised before any write. The engine
    counts a unit's items before it commits; the DynamoDB store counts the writes themselves (a caller's attachment
    may add several), so neither store ever sends a transaction DynamoDB would refuse for its size."""


class StoreFailure(Exception):
    """Base of a store's commit failures; nothing of the unit was applied unless said otherwise."""


class Stale(StoreFailure):
    """An account changed since it was read (or was created meanwhile)."""


class ClaimTaken(StoreFailure):
    """The claim's key was taken (by an earlier or concurrent call)."""


class HolderUnavailable(StoreFailure):
    """A holder does not meet its requirement (frozen, erased, unknown)."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


class Throttled(StoreFailure, Unavailable):
    """The store refused the request for now (throughput, a transaction conflict); retry with back-off. The engine
    retries it; one that escapes a read made outside a post answers 503 with Retry-After, as every refusal for now."""

    def __init__(self, detail: str = "The ledger is busy; retry shortly") -> None:
        Unavailable.__init__(self, detail, retry_after=1)


class Uncertain(StoreFailure):
    """The commit may or may not have been applied (the response was lost)."""


def meets(status: str | None, requirement: Requirement) -> bool:
    """Whether a holder of ``status`` meets ``requirement``: ``active`` may earn and spend, ``present`` is anything
    but erased (a frozen member still gets corrections); an unknown holder meets nothing."""
    return status is not None and status != "erased" and (requirement != "active" or status == "active")


class Store(Protocol):
    def read(self, holder: str) -> Account: ...

    def read_many(self, holders: Sequence[str]) -> dict[str, Account]:
        """Several accounts, read consistently in one request."""
        ...

    def mark(self, holder: str, status: str) -> None:
        """Keep ``status`` on the holder's account (making it if need be) and move its revision on, so a post
        that read the old status re-reads. The holder's domain does this in the same commit as its own change
        of status (DynamoDB: ``DynamoStore.mark_in``), so the account never tells an old status."""
        ...

    def read_claim(self, key: str, keeper: ClaimKeeper | None = None) -> StoredClaim | None:
        """The claim on ``key``, from ``keeper``'s record when it keeps it."""
        ...

    def commit(self, unit: Unit) -> None:
        """Apply ``unit`` whole or raise a ``StoreFailure`` having applied nothing (``Uncertain``: unknown)."""
        ...

    def entry(self, holder: str, book: str, seq: int) -> Entry | None: ...

    def page(self, holder: str, book: str, limit: int, after: Any = None, *, consistent: bool = True) -> Page:
        """Entries newest first, ``limit`` at most, continuing after the position ``after``; read consistently (what a
        decision rests on: a gift after a cash refund) unless ``consistent`` is False (a history page, at half the
        read units: an entry committed a moment ago may show a moment later)."""
        ...

    def entries_between(self, holder: str, book: str, first: int, last: int) -> list[Entry]:
        """Entries ``first`` through ``last`` of a book, oldest first (reconciliation reads them)."""
        ...

    def checkpoint(self, checkpoints: Sequence[Checkpoint]) -> bool:
        """Record reconciliation's progress on several accounts at once (at most 100 accounts and books in all),
        each on the condition its checkpoint is still as read, and add what each book's sum moved to the book's
        total; all or nothing: False when a checkpoint had moved meanwhile (a concurrent run), or when the commit
        kept meeting posts to its accounts (DynamoDB refuses a transaction that overlaps another in flight): the
        caller checks them again. Posts never touch a checkpoint, so they never make a checkpoint stale."""
        ...

    def totals(self) -> dict[str, int] | None:
        """Each book's checked sum over every holder (what the checkpoints add up to), or None unless the totals
        count from zero (``mark_totals_whole``): a platform checked before the totals were kept must count them
        once (``recount_totals``). Reads grow with the books, never with the holders."""
        ...

    def mark_totals_whole(self) -> None:
        """Say the totals count from zero: called before the first reconciliation ever, when no checkpoint exists."""
        ...

    def recount_totals(self) -> dict[str, int]:
        """Set the totals to what every account's checkpoint says (a one-off scan for a platform reconciled before
        they were kept; run it while reconciliation is not running) and mark them whole."""
        ...

    def scan(self, segment: int, total: int) -> Iterator[Account]:
        """Every account in one of ``total`` segments (a job that must judge every holder, in parallel)."""
        ...

    def due_in(self, index: str, partition: str) -> list[str]:
        """The holders a date index lists in a ``shared.dateindex.partitions`` key (eventually consistent)."""
        ...

    def due_accounts(self, index: str, partition: str) -> list[Account]:
        """The accounts a date index lists, as read for a post's ``known`` (maybe behind: the post checks)."""
        ...
