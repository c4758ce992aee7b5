"""The ledger store in memory: the same contract as DynamoDB, for fast tests and the fault simulation.

``fault`` is called at every step a real store could fail at (``read``, ``read-claim``, ``commit`` before
anything is applied, ``committed`` after the unit was applied, ``checkpoint`` and ``checkpointed`` likewise for
reconciliation's checkpoints); it may raise a ``StoreFailure`` to simulate throttling, a conflict or a response
lost after the commit.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from chalicelib.ledger.model import Account, Entry
from chalicelib.ledger.store import (
    MAX_ITEMS,
    Checkpoint,
    ClaimTaken,
    HolderUnavailable,
    Page,
    Stale,
    StoredClaim,
    Throttled,
    Unit,
    checkpoint_items,
    meets,
)
from chalicelib.shared import clock
from chalicelib.shared.dateindex import due_keys
from chalicelib.shared.events import Event


def _stored(value: Any) -> Any:
    """What a value reads back as after storage: JSON, as DynamoDB keeps states, details and results."""
    return json.loads(json.dumps(value))


@dataclass
class _Account:
    rev: int
    books: dict[str, Any]
    seqs: dict[str, int]
    checked: dict[str, tuple[int, int]]
    due: dict[str, date | None]
    status: str | None = None


@dataclass
class MemoryStore:
    """Accounts, entries, claims and an outbox in dictionaries; ``statuses`` says what each member-like
    holder is (``active``, ``frozen``, ``erased``), as the members' own table would; a holder that is not listed
    meets no requirement. Change a status with ``mark``, as the members domain does, so the account's copy
    follows."""

    statuses: dict[str, str] = field(default_factory=dict)
    fault: Callable[[str], None] = lambda step: None
    accounts: dict[str, _Account] = field(default_factory=dict)
    entries: dict[tuple[str, str], list[Entry]] = field(default_factory=dict)
    claims: dict[str, tuple[StoredClaim, date | None]] = field(default_factory=dict)
    outbox: list[Event] = field(default_factory=list)
    attached: list[Any] = field(default_factory=list)
    checked_totals: Counter[str] = field(default_factory=Counter)
    totals_whole: bool = False
    commits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def read(self, holder: str) -> Account:
        self.fault("read")
        with self._lock:
            found = self.accounts.get(holder)
            if found is None:
                return Account(holder)
            return Account(holder, found.rev, dict(found.books), dict(found.seqs), dict(found.checked), dict(found.due),
                           found.status)  # fmt: skip

    def read_many(self, holders: Sequence[str]) -> dict[str, Account]:
        return {holder: self.read(holder) for holder in holders}

    def mark(self, holder: str, status: str) -> None:
        with self._lock:
            self.statuses[holder] = status
            found = self.accounts.setdefault(holder, _Account(0, {}, {}, {}, {}))
            found.status, found.rev = status, found.rev + 1

    def read_claim(self, key: str, keeper: Any = None) -> StoredClaim | None:
        self.fault("read-claim")  # a keeper's record is DynamoDB's: in memory, every claim is kept here
        with self._lock:
            found = self._live_claim(key)
            return found[0] if found else None

    def _live_claim(self, key: str) -> tuple[StoredClaim, date | None] | None:
        """The claim on ``key`` unless it lapsed: a claim kept until a day stops counting as that day begins."""
        found = self.claims.get(key)
        if found is None or (found[1] is not None and found[1] <= clock.business_today()):
            return None
        return found

    def commit(self, unit: Unit) -> None:
        self.fault("commit")
        with self._lock:
            if unit.claim is not None and self._live_claim(unit.claim.claim.key) is not None:
                raise ClaimTaken(unit.claim.claim.key)
            for write in unit.accounts:
                current = self.accounts.get(write.holder)
                if (current.rev if current else None) != write.expected_rev:
                    raise Stale(write.holder)
            for entry in unit.entries:
                if len(self.entries.get((entry.holder, entry.book), [])) >= entry.seq:
                    raise Stale(entry.holder)
            for holder, requirement in unit.requirements:
                if not meets(self.statuses.get(holder), requirement):
                    raise HolderUnavailable(holder)
            for write in unit.accounts:
                current = self.accounts.get(write.holder) or _Account(0, {}, {}, {}, {})
                self.accounts[write.holder] = _Account(
                    (write.expected_rev or 0) + 1, _stored(write.books), dict(write.seqs), current.checked,
                    {**current.due, **write.due}, write.status or current.status,
                )  # fmt: skip
            for entry in unit.entries:
                stored = Entry.from_json(_stored(entry.to_json()))
                self.entries.setdefault((entry.holder, entry.book), []).append(stored)
            if unit.claim is not None:
                claim = unit.claim.claim
                self.claims[claim.key] = (replace(claim, result=_stored(claim.result)), unit.claim.expires_on)
            self.outbox.extend(unit.events)
            self.attached.extend(unit.attachments)  # kept for inspection: a memory store applies no records
            self.commits += 1
        self.fault("committed")

    def entry(self, holder: str, book: str, seq: int) -> Entry | None:
        with self._lock:
            entries = self.entries.get((holder, book), [])
            return entries[seq - 1] if 0 < seq <= len(entries) else None

    def page(self, holder: str, book: str, limit: int, after: Any = None, *, consistent: bool = True) -> Page:
        with self._lock:
            entries = self.entries.get((holder, book), [])
            end = len(entries) if after is None else int(after) - 1
            start = max(0, end - limit)
            chosen = list(reversed(entries[start:end]))
            return Page(chosen, chosen[-1].seq if start > 0 and chosen else None)

    def entries_between(self, holder: str, book: str, first: int, last: int) -> list[Entry]:
        with self._lock:
            return list(self.entries.get((holder, book), [])[first - 1 : last])

    def scan(self, segment: int, total: int) -> Iterator[Account]:
        for n, holder in enumerate(sorted(self.accounts)):
            if n % total == segment:
                yield self.read(holder)

    def checkpoint(self, checkpoints: Sequence[Checkpoint]) -> bool:
        if checkpoint_items(checkpoints) > MAX_ITEMS:
            raise ValueError(f"a checkpoint commit holds at most {MAX_ITEMS} items")
        if len({checkpoint.holder for checkpoint in checkpoints}) < len(checkpoints):
            raise ValueError("a checkpoint commit holds each account once")  # as DynamoDB requires of a transaction
        try:
            self.fault("checkpoint")
        except (Throttled, Stale):  # DynamoDB's store retries these, then gives up: nothing moved
            return False
        with self._lock:
            for checkpoint in checkpoints:
                current = self.accounts.get(checkpoint.holder)
                if current is None or current.checked != dict(checkpoint.was):
                    return False
            for checkpoint in checkpoints:
                self.accounts[checkpoint.holder].checked = dict(checkpoint.now)
                self.checked_totals.update(checkpoint.moved())
        self.fault("checkpointed")  # a lost answer: applied, yet the caller hears of a failure
        return True

    def totals(self) -> dict[str, int] | None:
        with self._lock:
            return {book: total for book, total in self.checked_totals.items() if total} if self.totals_whole else None

    def mark_totals_whole(self) -> None:
        self.totals_whole = True

    def recount_totals(self) -> dict[str, int]:
        with self._lock:
            self.checked_totals = Counter()
            for account in self.accounts.values():
                self.checked_totals.update({book: total for book, (_, total) in account.checked.items()})
            self.totals_whole = True
            return {book: total for book, total in self.checked_totals.items() if total}

    def due_accounts(self, index: str, partition: str) -> list[Account]:
        return [self.read(holder) for holder in self.due_in(index, partition)]

    def due_in(self, index: str, partition: str) -> list[str]:
        month_shard, first, last = partition.split("@")
        with self._lock:
            found = []
            for holder, account in self.accounts.items():
                day = account.due.get(index)
                if day is not None and first <= day.isoformat() <= last and due_keys(day, holder)[0] == month_shard:
                    found.append(holder)
            return sorted(found)
