"""The ledger store on DynamoDB: a unit is one ``TransactWriteItems``.

Account updates are conditional on the revision read (or on the item not existing), entries and the claim
on their keys being new, and each holder requirement the account cannot prove itself is a condition check
that the holder's own domain supplies (``Guard``): the ledger never reads another domain's items. An account
proves its holder's status when the holder's domain keeps it there (``mark_in``, in the commit that changes
the status, moving the revision on): then the revision condition alone shows the status read still holds.
Retrying is the engine's: a conflict or throttle surfaces as ``Throttled``, a lost answer as ``Uncertain``.

A post's events ride on one of its accounts (packed, ``events.CARRIED``) when that adds no kilobyte to the item,
so no outbox item is written: the accounts table's stream relays them. An account a whole-item index copies (a
coupon's) carries none, since the index would copy them too. Every other write of an account removes what a post's
events left on it (its stream record holds them), so an account carries at most one post's events, until its next
write: a status kept (an erasure among them), a checkpoint, the next post.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from pynamodb.indexes import AllProjection

from chalicelib.ledger.model import Account, Entry, Source
from chalicelib.ledger.records import (
    DUE_INDEXES,
    LedgerAccountRecord,
    LedgerClaimRecord,
    LedgerEntryRecord,
    LedgerTotalRecord,
)
from chalicelib.ledger.store import (
    MAX_ITEMS,
    AccountWrite,
    Checkpoint,
    ClaimKeeper,
    ClaimTaken,
    HolderUnavailable,
    Page,
    Requirement,
    Stale,
    StoredClaim,
    Throttled,
    TooManyItems,
    Uncertain,
    Unit,
    checkpoint_items,
)
from chalicelib.shared import clock
from chalicelib.shared.dateindex import due_in as shared_due_in
from chalicelib.shared.dateindex import due_keys, indexed, shard_of
from chalicelib.shared.db import Record, Transaction, TransientWriteError, UnconfirmedWrite, is_throttled, one_page
from chalicelib.shared.errors import PreconditionFailed, Unavailable
from chalicelib.shared.events import CARRIED, emit_all, packed
from chalicelib.shared.settings import get_settings

Guard = Callable[[Transaction, str, Requirement, Exception], None]
Attachment = Callable[[Transaction], None]
"""A caller's own write (its domain's record), added to the unit's transaction; a failed condition raises the
write's ``on_fail`` (``Stale`` makes the engine read and plan again)."""
"""Adds to a transaction the check that ``holder`` meets the requirement, raising the exception if not."""

A, E, C, T = LedgerAccountRecord, LedgerEntryRecord, LedgerClaimRecord, LedgerTotalRecord
WHOLE = "~whole"  # the totals' item saying they count from zero
KB = 1024
MARGIN = 64  # bytes a size may be off by: a checkpoint between a post's read and its commit grows ``checked``
WHOLE_ITEM_INDEXES = frozenset(name for name, (index, _, _) in DUE_INDEXES.items()
                               if isinstance(index.Meta.projection, AllProjection))  # fmt: skip
_REWRITTEN = frozenset({"books", "seqs", "rev", "updated_at", CARRIED})  # what every post's write replaces


def _bytes(name: str, value: Any) -> int:
    """What DynamoDB counts of an attribute: its name and value (a number one byte per two digits, and one)."""
    if value is None:
        return 0
    if isinstance(value, bytes):
        return len(name) + len(value)
    if isinstance(value, int | float):
        return len(name) + -(-len(str(abs(value)).replace(".", "")) // 2) + 1
    return len(name) + len(str(value).encode())


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@contextlib.contextmanager
def _reading() -> Iterator[None]:
    """A read DynamoDB refused for now (throughput) surfaces as ``Throttled``, retried by the engine's policy."""
    try:
        yield
    except Exception as e:
        if is_throttled(e):
            raise Throttled() from e
        raise


@dataclass(frozen=True)
class RecordKeeper:
    """A ``ClaimKeeper`` for a record that is unique per source anyway (a purchase per order, a refund per refund id,
    an activity per event id): the record is written with the post on the condition that its key is new, holding the
    claim's content hash (``body_hash``) and the entries it posted (``ledger_entries``), and read back for a repeat,
    so the claim costs no item of its own. ``record_of`` makes the record from the claim (the post's answer and
    entries); ``answer_of`` gives the first answer back from the record. A keeper made only to read (a repeat caught
    before its post is planned) needs no ``record_of``."""

    record_class: type[Record]
    key: str
    answer_of: Callable[[Any], Mapping[str, Any]]
    record_of: Callable[[StoredClaim], Record] | None = None

    def keep(self, tx: Transaction, claim: StoredClaim, on_fail: Exception) -> None:
        if self.record_of is None:
            raise TypeError("a keeper made to read cannot keep a claim")
        hash_key = self.record_class.get_attributes()[str(self.record_class._hash_keyname)]
        tx.put(self.record_of(claim), condition=hash_key.does_not_exist(), on_fail=on_fail, decisive=True)

    def find(self, key: str) -> StoredClaim | None:
        record: Any = self.record_class.find(self.key)
        if record is None:
            return None
        entries = tuple((holder, book, int(seq)) for holder, book, seq in json.loads(record.ledger_entries or "[]"))
        return StoredClaim(key, record.body_hash, dict(self.answer_of(record)), entries)


@dataclass(frozen=True)
class DynamoStore:
    guard: Guard | None = None

    @_reading()
    def read(self, holder: str) -> Account:
        return _account(holder, A.find(holder))

    @_reading()
    def read_many(self, holders: Sequence[str]) -> dict[str, Account]:
        """One ``BatchGetItem`` (strongly consistent) for up to 100 holders; one ``GetItem`` for one."""
        if len(holders) == 1:
            return {holders[0]: self.read(holders[0])}
        found = {record.holder: record for record in A.batch_get(list(holders), consistent_read=True)}
        return {holder: _account(holder, found.get(holder)) for holder in holders}

    def mark(self, holder: str, status: str) -> None:
        tx = Transaction()
        self.mark_in(tx, holder, status)
        tx.commit()

    @staticmethod
    def mark_in(
        tx: Transaction, holder: str, status: str, unchanged_since: Account | None = None,
        on_fail: Exception | None = None,
    ) -> None:  # fmt: skip
        """Keep ``status`` on the holder's account in ``tx``, the holder's domain's own commit of the change; with
        ``unchanged_since``, only while the account is still as it was read then (else the commit fails with
        ``PreconditionFailed``: the domain decided on what it read, and a post came in between)."""
        actions = [
            A.member_status.set(status),
            A.rev.add(1),
            A.updated_at.set(clock.iso(clock.now())),
            A.events.remove(),
        ]
        if unchanged_since is None:
            tx.update(A(holder), actions)
            return
        seen = unchanged_since.rev
        condition = A.rev.does_not_exist() if seen is None else A.rev == seen
        tx.update(A(holder), actions, condition=condition,
                  on_fail=on_fail or PreconditionFailed("The member's account changed meanwhile"))  # fmt: skip

    @staticmethod
    def unchanged_in(tx: Transaction, holder: str, seen: Account, on_fail: Exception) -> None:
        """Require in ``tx`` that the holder's account is still as ``seen`` (none yet, when it had none): a domain
        that decided on it commits only while no post came in since, else ``on_fail``. Writes nothing to it."""
        condition = A.rev.does_not_exist() if seen.rev is None else A.rev == seen.rev
        tx.check(A, holder, condition=condition, on_fail=on_fail)

    @staticmethod
    def unclaimed_in(tx: Transaction, key: str, on_fail: Exception) -> None:
        """Require in ``tx`` that nothing was ever posted under a claim's key (one kept for good), else ``on_fail``:
        a write another domain's post under that key rules out."""
        tx.check(C, key, condition=C.key.does_not_exist(), on_fail=on_fail)

    @_reading()
    def read_claim(self, key: str, keeper: ClaimKeeper | None = None) -> StoredClaim | None:
        if keeper is not None:
            return keeper.find(key)
        record = C.find(key)
        if record is None or (record.expires_at is not None and record.expires_at <= clock.now()):
            return None  # none, or lapsed: TTL deletes it within days, but it stopped counting at its time
        entries = tuple((holder, book, int(seq)) for holder, book, seq in json.loads(record.entries))
        return StoredClaim(record.key, record.content, json.loads(record.result), entries)

    def commit(self, unit: Unit) -> None:
        tx = Transaction()
        self.add_to(tx, unit)
        if len(tx) > MAX_ITEMS:
            raise TooManyItems(f"a post holds at most {MAX_ITEMS} items, this one {len(tx)}")
        try:
            tx.commit(retry=False)
        except TransientWriteError:
            raise Throttled() from None
        except UnconfirmedWrite:
            raise Uncertain() from None

    def add_to(self, tx: Transaction, unit: Unit) -> None:
        """Add ``unit``'s writes to a transaction the caller commits (a registration opening an account)."""
        now = clock.iso(clock.now())
        candidates = [write for write in unit.accounts if _may_carry(write)] if unit.events else []
        events = packed(unit.events) if candidates else b""
        carrier = next((write.holder for write in candidates if _has_room(write, now, len(events))), None)
        carried = None if carrier is None else events
        for write in unit.accounts:
            self._update_account(tx, write, now, carried if write.holder == carrier else None)
        for entry in unit.entries:
            tx.put(_entry_record(entry), condition=E.seq.does_not_exist(), on_fail=Stale(entry.holder))
        if unit.claim is not None and unit.claim.keeper is not None:
            unit.claim.keeper.keep(tx, unit.claim.claim, ClaimTaken(unit.claim.claim.key))
        elif unit.claim is not None:
            stored, expires_on = unit.claim.claim, unit.claim.expires_on
            expires_at = datetime.combine(expires_on, time(), get_settings().tz) if expires_on else None
            tx.put(
                C(
                    stored.key,
                    content=stored.content,
                    result=_dumps(stored.result),
                    entries=_dumps([list(key) for key in stored.entries]),
                    created_at=now,
                    expires_at=expires_at,
                ),
                condition=C.key.does_not_exist() | (C.expires_at <= clock.now()),
                on_fail=ClaimTaken(stored.key),
                decisive=True,
            )  # fmt: skip  a lapsed claim (not yet deleted by TTL) is claimed afresh
        for holder, requirement in unit.requirements:
            if self.guard is None:
                raise HolderUnavailable(holder)  # a store without a guard cannot vouch for any holder
            self.guard(tx, holder, requirement, HolderUnavailable(holder))
        if carried is None:
            emit_all(tx, unit.events)  # one outbox item for the post's events
        for attachment in unit.attachments:
            attachment(tx)

    @staticmethod
    def _update_account(tx: Transaction, write: AccountWrite, now: str, events: bytes | None) -> None:
        condition = A.holder.does_not_exist() if write.expected_rev is None else A.rev == write.expected_rev
        actions = [
            A.rev.set((write.expected_rev or 0) + 1), A.books.set(_dumps(write.books)),
            A.seqs.set(_dumps(write.seqs)), A.updated_at.set(now),
            A.events.set(events) if events is not None else A.events.remove(),
        ]  # fmt: skip
        if write.status is not None:
            actions.append(A.member_status.set(write.status))
        for name, day in write.due.items():
            _, month, due = DUE_INDEXES[name]
            actions += indexed(month, due, day, write.holder)
        tx.update(A(write.holder), actions, condition=condition, on_fail=Stale(write.holder))

    @_reading()
    def entry(self, holder: str, book: str, seq: int) -> Entry | None:
        record = E.find(f"{holder}|{book}", seq)
        return _entry(holder, book, record) if record else None

    @_reading()
    def page(self, holder: str, book: str, limit: int, after: Any = None, *, consistent: bool = True) -> Page:
        start = {"account": {"S": f"{holder}|{book}"}, "seq": {"N": str(int(after))}} if after else None
        results = E.query(
            f"{holder}|{book}", scan_index_forward=False, limit=limit, last_evaluated_key=start,
            consistent_read=consistent,
        )  # fmt: skip
        records, last = one_page(E, results)
        return Page([_entry(holder, book, r) for r in records], int(last["seq"]["N"]) if last else None)

    @_reading()
    def entries_between(self, holder: str, book: str, first: int, last: int) -> list[Entry]:
        results = E.query(f"{holder}|{book}", E.seq.between(first, last), consistent_read=True)
        return [_entry(holder, book, record) for record in results]

    def due_in(self, index: str, partition: str) -> list[str]:
        found, _, day = DUE_INDEXES[index]
        return [record.holder for record in shared_due_in(found, day, partition)]

    def due_accounts(self, index: str, partition: str) -> list[Account]:
        """Accounts a date index lists, as the index has them when it projects every attribute (an image that may
        lag: a post given it as ``known`` checks its revision), else read consistently."""
        found, _, day = DUE_INDEXES[index]
        records = list(shared_due_in(found, day, partition))
        if isinstance(found.Meta.projection, AllProjection):
            return [_account(record.holder, record) for record in records]
        holders = [record.holder for record in records]
        return [
            account
            for start in range(0, len(holders), 100)
            for account in self.read_many(holders[start : start + 100]).values()
        ]

    def scan(self, segment: int, total: int) -> Iterator[Account]:
        for record in A.scan(segment=segment, total_segments=total):
            yield _account(record.holder, record)

    def checkpoint(self, checkpoints: Sequence[Checkpoint]) -> bool:
        """One transaction: each account's checkpoint, on the condition it is still as read (its JSON, which only
        this writes), and an addition to each moved book's total in the shard of the first holder (a night's
        partition holds one shard's holders, so concurrent workers add to different items)."""
        if not checkpoints:
            return True
        if checkpoint_items(checkpoints) > MAX_ITEMS:
            raise ValueError(f"a checkpoint commit holds at most {MAX_ITEMS} items")
        if len({checkpoint.holder for checkpoint in checkpoints}) < len(checkpoints):
            raise ValueError("a checkpoint commit holds each account once")  # as DynamoDB requires of a transaction
        tx, moved = Transaction(), Counter[str]()
        for checkpoint in checkpoints:
            tx.update(A(checkpoint.holder), [A.checked.set(_checked(checkpoint.now)), A.events.remove()],
                      condition=_checked_is(checkpoint.was), on_fail=Stale(checkpoint.holder))  # fmt: skip
            moved.update(checkpoint.moved())
        shard = shard_of(checkpoints[0].holder)
        for book, amount in moved.items():
            tx.count(T(book, shard), "total", amount)
        try:
            tx.commit()
        except (Stale, Unavailable):  # moved meanwhile, or a post kept conflicting with one of them: none moved
            return False
        return True

    def totals(self) -> dict[str, int] | None:
        found: Counter[str] = Counter()
        for record in T.scan(consistent_read=True):  # books x shards items, whatever the holders
            found[record.book] += int(record.total or 0)
        return {book: total for book, total in found.items() if book != WHOLE and total} if WHOLE in found else None

    def mark_totals_whole(self) -> None:
        T(WHOLE, 0, total=1).save()

    def recount_totals(self) -> dict[str, int]:
        counted: Counter[str] = Counter()
        for account in A.scan(attributes_to_get=["holder", "checked"], consistent_read=True):
            counted.update({book: int(pair[1]) for book, pair in json.loads(account.checked or "{}").items()})
        kept = {(record.book, int(record.shard)) for record in T.scan(consistent_read=True) if record.book != WHOLE}
        with T.batch_write() as batch:  # each shard overwritten (no deletion, so no moment without a total)
            for book, shard in kept | {(book, 0) for book in counted}:
                batch.save(T(book, shard, total=counted[book] if shard == 0 else 0))
            batch.save(T(WHOLE, 0, total=1))
        return {book: total for book, total in counted.items() if total}


def _checked(checked: Mapping[str, tuple[int, int]]) -> str:
    return _dumps({book: list(pair) for book, pair in checked.items()})


def _checked_is(was: Mapping[str, tuple[int, int]]) -> Any:
    """The account's checkpoint is still ``was`` (as ``_checked`` wrote it; an account never checked has none)."""
    if not was:
        return A.holder.exists() & (A.checked.does_not_exist() | (A.checked == "{}"))
    return A.checked == _checked(was)


def _may_carry(write: AccountWrite) -> bool:
    """Whether the account may carry events at all: not one a whole-item index lists, as read or as written."""
    return write.stored_sizes is not None and not any(write.due.get(name) for name in WHOLE_ITEM_INDEXES)


def _has_room(write: AccountWrite, now: str, events: int) -> bool:
    """Whether ``events`` bytes fit in the last kilobyte of the account ``write`` leaves, even were its size off by
    ``MARGIN`` either way: the item with them is billed the kilobytes it is billed without them, and a later write
    (before or after image) never crosses a kilobyte because of them."""
    sizes = {name: size for name, size in (write.stored_sizes or {}).items() if name not in _REWRITTEN}
    sizes.update(books=_bytes("books", _dumps(write.books)), seqs=_bytes("seqs", _dumps(write.seqs)),
                 rev=_bytes("rev", (write.expected_rev or 0) + 1), updated_at=_bytes("updated_at", now))  # fmt: skip
    if write.status is not None:
        sizes["member_status"] = _bytes("member_status", write.status)
    for name, day in write.due.items():
        _, month, due = DUE_INDEXES[name]
        for attribute in (month, due):
            sizes.pop(attribute.attr_name, None)
        if day is not None:
            month_key, day_key = due_keys(day, write.holder)
            sizes.update(
                {month.attr_name: _bytes(month.attr_name, month_key), due.attr_name: _bytes(due.attr_name, day_key)}
            )
    size = sum(sizes.values())
    return -(-(size + MARGIN + len(CARRIED) + events) // KB) == -(-max(1, size - MARGIN) // KB)


def _stored_sizes(holder: str, record: LedgerAccountRecord | None) -> dict[str, int] | None:
    """The stored account's attributes and their sizes; None where it may carry no events (a whole-item index lists
    it). A new account is its key."""
    if record is None:
        return {"holder": _bytes("holder", holder)}
    values = record.attribute_values
    if any(values.get(DUE_INDEXES[name][1].attr_name) for name in WHOLE_ITEM_INDEXES):
        return None
    return {name: _bytes(name, value) for name, value in values.items() if value is not None}


def _account(holder: str, record: LedgerAccountRecord | None) -> Account:
    if record is None:
        return Account(holder, stored_sizes=_stored_sizes(holder, None))
    checked = {book: (int(pair[0]), int(pair[1])) for book, pair in json.loads(record.checked or "{}").items()}
    due = {name: date.fromisoformat(key.partition("#")[0]) if (key := getattr(record, day.attr_name)) else None
           for name, (_, _, day) in DUE_INDEXES.items()}  # fmt: skip
    books, seqs = json.loads(record.books or "{}"), json.loads(record.seqs or "{}")  # a status alone: no books yet
    return Account(
        holder, int(record.rev), books, seqs, checked, due, record.member_status, _stored_sizes(holder, record)
    )


def _entry_record(entry: Entry) -> LedgerEntryRecord:
    return E(
        f"{entry.holder}|{entry.book}", entry.seq, entry_id=entry.entry_id, kind=entry.kind, amount=entry.amount,
        balance_after=entry.balance_after, source_kind=entry.source.kind, source_id=entry.source.id,
        reason=entry.reason, reason_en=entry.reason_en, detail=None if entry.detail is None else _dumps(entry.detail),
        actor=entry.actor, occurred_at=entry.occurred_at, group=entry.group,
    )  # fmt: skip


def _entry(holder: str, book: str, record: LedgerEntryRecord) -> Entry:
    return Entry(
        holder, book, int(record.seq), record.entry_id, record.kind, int(record.amount), int(record.balance_after),
        Source(record.source_kind, record.source_id), record.reason,
        json.loads(record.detail) if record.detail else None, record.actor, record.occurred_at, record.group,
        record.reason_en,
    )  # fmt: skip
