"""The ledger's pure model: books, postings, entries and claims. No AWS here.

A *holder* (a member, a payment, a coupon template) has one account: the states of its books, each with
its own entry numbering. A *book* is pure rules: how its state loads and dumps, how a posting changes it
(raising ``Insufficient`` when a spend would take it below zero) and what its balance is. A *posting* names
the holder, the book, a signed amount, a kind, the source that caused it and a reason. Every posting
becomes one entry; the book's balance after it is recorded on the entry, so a book's balance always equals
the sum of its entries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TypeVar

S = TypeVar("S")


class Insufficient(Exception):
    """A posting would take a book below what it may hold."""

    def __init__(self, book: str, available: int, asked: int) -> None:
        super().__init__(f"{available} available in {book}, {asked} asked")
        self.book, self.available, self.asked = book, available, asked


@dataclass(frozen=True)
class Source:
    """What caused a posting: ``kind`` (order, refund, payment, top-up, staff, job, ...) and its id."""

    kind: str
    id: str | None = None


@dataclass(frozen=True)
class Posting:
    """A signed change of one holder's book. ``detail`` is book-specific input (a points credit's dates). A reason
    the platform writes is a ``Phrase``, so that its entry keeps it in English too; a person's is as they gave it."""

    holder: str
    book: str
    amount: int
    kind: str
    source: Source
    reason: str
    detail: Any = None
    undoes: Entry | None = None  # the entry this posting reverses (the book's ``undo`` applies it)
    kept: bool = False  # an entry even for 0 (an opening that brings a paid amount but no growth)


@dataclass(frozen=True)
class Entry:
    """A posted entry, never updated or deleted. ``seq`` numbers the book's entries of one holder from 1;
    ``detail`` is what the book recorded about the change (the lots a points spend drew from)."""

    holder: str
    book: str
    seq: int
    entry_id: str
    kind: str
    amount: int
    balance_after: int
    source: Source
    reason: str
    detail: Any
    actor: str
    occurred_at: str
    group: str  # the postings of one call share it
    reason_en: str | None = None  # the reason in English where the platform wrote it

    def to_json(self) -> dict[str, Any]:
        return {
            "holder": self.holder, "book": self.book, "seq": self.seq, "entry_id": self.entry_id,
            "kind": self.kind, "amount": self.amount, "balance_after": self.balance_after,
            "source": {"kind": self.source.kind, "id": self.source.id}, "reason": self.reason,
            "detail": self.detail, "actor": self.actor, "occurred_at": self.occurred_at, "group": self.group,
            **({"reason_en": self.reason_en} if self.reason_en is not None else {}),
        }  # fmt: skip

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Entry:
        source = raw["source"]
        return cls(
            raw["holder"], raw["book"], int(raw["seq"]), raw["entry_id"], raw["kind"], int(raw["amount"]),
            int(raw["balance_after"]), Source(source["kind"], source["id"]), raw["reason"], raw["detail"],
            raw["actor"], raw["occurred_at"], raw["group"], raw.get("reason_en"),
        )  # fmt: skip


class Book(Protocol[S]):
    """The rules of one asset. ``apply`` returns the new state and the detail to record on the entry."""

    name: str

    def load(self, raw: Any) -> S: ...

    def dump(self, state: S) -> Any: ...

    def apply(self, state: S, posting: Posting, today: date) -> tuple[S, Any]: ...

    def undo(self, state: S, entry: Entry, today: date) -> tuple[S, Any]:
        """The state with ``entry`` reversed (its amount negated), and the detail of the reversal."""
        ...

    def balance(self, state: S) -> int: ...

    def due(self, state: S, today: date) -> Mapping[str, date | None]:
        """When a nightly job must look at this holder, by date index (``expiry``, ``maturity``, ``review``);
        None takes it out of that index. A date already past is indexed as ``today``, so tonight's run finds it."""
        ...


@dataclass(frozen=True)
class Counter:
    """A plain balance: the state of most books (stored value, stock, quotas)."""

    balance: int = 0


@dataclass(frozen=True)
class CounterBook:
    """A book that is only a balance, never below ``floor`` (0: spending stops at zero)."""

    name: str
    floor: int = 0

    def load(self, raw: Any) -> Counter:
        return Counter(int(raw or 0))

    def dump(self, state: Counter) -> int:
        return state.balance

    def apply(self, state: Counter, posting: Posting, today: date) -> tuple[Counter, Any]:
        after = state.balance + posting.amount
        if posting.amount < 0 and after < self.floor:
            raise Insufficient(self.name, state.balance - self.floor, -posting.amount)
        return Counter(after), None

    def undo(self, state: Counter, entry: Entry, today: date) -> tuple[Counter, Any]:
        """Taking back what was added may fail like a spend; giving back what was taken never does."""
        return self.apply(state, Posting(entry.holder, self.name, -entry.amount, "reverse", entry.source, ""), today)

    def balance(self, state: Counter) -> int:
        return state.balance

    def due(self, state: Counter, today: date) -> Mapping[str, date | None]:
        return {}


@dataclass(frozen=True)
class Claim:
    """Exactly once per ``key``: the first call's answer is kept and a repeat with the same ``content`` gets
    it again; other content under the key is a conflict. ``keep_days`` None keeps the claim for good (a
    payment id), a number lets it lapse (an Idempotency-Key's retention). A ``keeper`` keeps it in the caller's
    own record instead of a claim item of the ledger's (a purchase record is its order's claim)."""

    key: str
    content: str
    keep_days: int | None = None
    conflict: Exception | None = field(default=None, compare=False)
    keeper: Any = field(default=None, compare=False)  # the caller's record that keeps it (``store.ClaimKeeper``)

    @classmethod
    def of(cls, key: str, content: Any, *, keep_days: int | None = None, conflict: Exception | None = None) -> Claim:
        """A claim on ``key`` whose content is the canonical JSON of ``content``, hashed."""
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return cls(key, hashlib.sha256(canonical.encode()).hexdigest(), keep_days, conflict)


@dataclass(frozen=True)
class Account:
    """A holder's account as read: each book's raw state and entry count, and the revision every write
    moves on (``None``: the account does not exist yet)."""

    holder: str
    rev: int | None = None
    books: Mapping[str, Any] = field(default_factory=dict)  # book -> raw state
    seqs: Mapping[str, int] = field(default_factory=dict)  # book -> entries so far
    checked: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # book -> (seq, sum) reconciled
    due: Mapping[str, date | None] = field(default_factory=dict)  # date index -> the day it lists the account
    status: str | None = None  # the holder's status as its domain keeps it here (None: not kept, so checked apart)
    # the stored account's attributes and their sizes, as its store counts them; None: it may carry no events
    stored_sizes: Mapping[str, int] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Answer:
    """What a post answers: its entries, the balances after, the caller's result, and whether it was a repeat
    of an earlier call (then ``entries`` is empty and ``result`` is the first call's)."""

    result: Mapping[str, Any]
    entries: tuple[Entry, ...] = ()
    balances: Mapping[tuple[str, str], int] = field(default_factory=dict)
    duplicate: bool = False
