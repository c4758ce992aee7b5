"""The ledger engine: every rule of a ledger write, once, for every book.

A post reads its holders' accounts in one request, lets the caller plan its postings from what it read, applies each
with its book's pure rules, numbers the entries per book, and commits the account updates (conditional on
the revisions read), the entries, the claim, the holders' requirements and the events as one unit. Then:

- Exactly once: a call with a ``Claim`` posts once per claim key (the claim is written with the post, on
  the condition that its key is new). A repeat with the same content answers the first call's result
  (``duplicate``), whether it arrives during the first call or years later; other content is a conflict.
  A response lost after the commit is resolved by reading the claim.
- Never below zero: a book raises ``Insufficient`` on the state read; the revision condition makes a
  concurrent spend lose and re-plan on a fresh read, so the loser of a race for the last units is refused,
  never overdrawn.
- One retry policy: a stale read or a throttled store is retried with full jitter, a bounded number of
  times; a write only goes stale when another committed, so contention alone does not exhaust it. Then
  ``LedgerBusy`` (503) with nothing applied.
- An entry records a change of balance: a posting of 0 changes its book's state (a tier standing, a paid
  amount counted without growth) and makes no entry unless it is ``kept`` (an opening that explains itself);
  ``amend`` changes a state outside a post.
- At most 100 items per unit (DynamoDB's transaction limit): a plan that needs more is refused before any
  write (a programming error, not a retry).
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from chalicelib.ledger.model import Account, Answer, Book, Claim, Entry, Posting, Source
from chalicelib.ledger.store import (
    MAX_ITEMS,
    AccountWrite,
    ClaimTaken,
    ClaimWrite,
    HolderUnavailable,
    Requirement,
    Stale,
    Store,
    StoredClaim,
    Throttled,
    TooManyItems,
    Uncertain,
    Unit,
    meets,
)
from chalicelib.shared import clock
from chalicelib.shared.context import current_origin
from chalicelib.shared.errors import Conflict, IdempotencyKeyReused, Unavailable
from chalicelib.shared.events import Event
from chalicelib.shared.idempotency import IdempotencyKey
from chalicelib.shared.ids import new_id
from chalicelib.shared.phrases import english
from chalicelib.shared.settings import get_settings

MAX_ATTEMPTS = 64
T = TypeVar("T")


class LedgerBusy(Unavailable):
    """The accounts stayed too busy (or the store too throttled) for every attempt; nothing was applied."""


class SourceConflict(Conflict):
    slug, title = "source-conflict", "This source was reported before with other content"


def idempotency_claim(key: IdempotencyKey | None) -> Claim | None:
    """A client's Idempotency-Key as a claim: kept for the retention days, per caller and operation; the same key with
    another request is 422 ``idempotency-key-reused``."""
    if key is None:
        return None
    return Claim(f"idem:{key.caller}#{key.operation}#{key.key}", key.request_hash,
                 keep_days=get_settings().idempotency_retention_days,
                 conflict=IdempotencyKeyReused("This Idempotency-Key was used with a different request"))  # fmt: skip


class Holdings:
    """The accounts a post read, as its plan sees them: each book's state and balance."""

    def __init__(self, books: Mapping[str, Book[Any]], accounts: Mapping[str, Account]) -> None:
        self._books, self.accounts = books, accounts

    def state(self, holder: str, book: str) -> Any:
        return self._books[book].load(self.accounts[holder].books.get(book))

    def balance(self, holder: str, book: str) -> int:
        return self._books[book].balance(self.state(holder, book))

    def seq(self, holder: str, book: str) -> int:
        return self.accounts[holder].seqs.get(book, 0)


Plan = Callable[[Holdings], Sequence[Posting]]
Result = Callable[[Answer], Mapping[str, Any]]
Announce = Callable[[Answer], Iterable[Event]]
Attach = Callable[
    [Answer], Iterable[Any]
]  # a store's own write of the caller's records (DynamoDB: Transaction -> None)


def _jitter(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))


@dataclass
class Ledger:
    """The facade every asset's service uses: ``post``, ``reverse``, ``balance``, ``page``."""

    store: Store
    books: Mapping[str, Book[Any]]
    attempts: int = MAX_ATTEMPTS
    pause: Callable[[int], None] = lambda attempt: _jitter(attempt)
    today: Callable[[], date] | None = None  # the business day posts are filed under (tests fix it)

    def _instant(self) -> tuple[datetime, date]:
        """The instant a post's entries are stamped with, and the business day its accounts are filed under: by
        default that instant's own day, read once, so an entry never falls on a later day than its account's
        ``touched`` (a post straddling midnight would otherwise escape the next night's reconciliation)."""
        now = clock.now()
        return now, self.today() if self.today is not None else clock.business_date(now, get_settings().tz)

    def post(
        self, plan: Plan | Sequence[Posting], *, holders: Sequence[str] = (), claim: Claim | None = None,
        require: Mapping[str, Requirement] | None = None, result: Result | None = None,
        announce: Announce | None = None, attach: Attach | None = None, known: Mapping[str, Account] | None = None,
    ) -> Answer:  # fmt: skip
        """Post what ``plan`` asks for (postings, or a function of the holders' accounts giving them), at most
        once per ``claim``. ``require`` says what each holder must be when the post commits; ``result`` is the
        caller's answer (kept with the claim for repeats); ``announce`` gives the events to publish with it;
        ``attach`` the caller's own writes to commit with it (its domain's records). ``known`` are accounts
        already read (a nightly job's batch): the first attempt uses them, as the commit checks their revision.
        A plan that posts nothing commits nothing (its result is still given, with no claim kept)."""
        fixed = None if callable(plan) else list(plan)
        wanted = list(dict.fromkeys([*holders, *(posting.holder for posting in fixed or [])]))
        for attempt in range(self.attempts):
            try:
                return self._attempt(fixed if fixed is not None else plan, wanted, claim, require or {}, result,
                                     announce, attach, known if attempt == 0 else None)  # fmt: skip
            except (Stale, Throttled):
                self.pause(attempt)
            except ClaimTaken:
                assert claim is not None
                replayed = self.replay(claim)
                if replayed is not None:
                    return replayed
                self.pause(attempt)  # the claim lapsed meanwhile: post afresh
            except Uncertain:
                if claim is None:
                    raise LedgerBusy("The ledger did not confirm the write; check before retrying") from None
                replayed = self.replay(claim)
                if replayed is not None:
                    return replayed
                self.pause(attempt)
        raise LedgerBusy("The account is too busy; retry", retry_after=1)

    def reverse(
        self, original: str, *, claim: Claim, reason: str | Callable[[Entry], str],
        require: Mapping[str, Requirement] | None = None, result: Result | None = None,
        announce: Announce | None = None, check: Callable[[Holdings, list[Entry]], None] | None = None,
    ) -> Answer:  # fmt: skip
        """Undo every entry the post claimed as ``original`` posted, once (``claim``): each book puts back what
        it took or takes back what it gave, as its ``undo`` rule says; ``reason`` is the reversal's words, or gives
        them from the entry it undoes; ``check`` may refuse it (by raising) on the holdings as the reversal reads
        them and the entries it undoes. ``KeyError`` if nothing was posted under ``original``."""
        posted = self._reading(lambda: self.store.read_claim(original))
        if posted is None:
            raise KeyError(original)
        undone = [self._reading(functools.partial(self.store.entry, *key)) for key in posted.entries]
        said = reason if callable(reason) else lambda e: reason
        found = [e for e in undone if e is not None]
        postings = [Posting(e.holder, e.book, -e.amount, "reverse", Source("entry", e.entry_id), said(e), undoes=e)
                    for e in found]  # fmt: skip
        if check is None:
            return self.post(postings, claim=claim, require=require, result=result, announce=announce)

        def checked(holdings: Holdings) -> list[Posting]:
            check(holdings, found)
            return postings

        holders = list(dict.fromkeys(p.holder for p in postings))
        return self.post(checked, holders=holders, claim=claim, require=require, result=result, announce=announce)

    def holdings(self, *holders: str) -> Holdings:
        return Holdings(self.books, self._reading(lambda: self.store.read_many(list(holders))))

    def balance(self, holder: str, book: str) -> int:
        return self.holdings(holder).balance(holder, book)

    def page(
        self, holder: str, book: str, limit: int, after: Any = None, *, consistent: bool = True
    ) -> tuple[list[Entry], Any]:
        """A page of a book's entries, newest first (``Store.page``: ``consistent=False`` for a history page)."""
        page = self._reading(lambda: self.store.page(holder, book, limit, after, consistent=consistent))
        return page.entries, page.cursor

    def amend(
        self, holder: str, book: str, change: Callable[[Any], Any], *, announce: Callable[[Any], Iterable[Event]] |
        None = None, known: Account | None = None,
    ) -> bool:  # fmt: skip
        """Rewrite a book's state without an entry, where its balance does not change (pending points maturing,
        a warning noted on a standing), conditional on the revision read like every write. ``change`` returns
        the new state, or the same state for nothing to do. ``announce`` gives the events of the new state.
        True when something changed. A state left as it was is still filed again under the day its book is next due
        when the account's date index says an earlier one: a job that looked and found nothing to do leaves no
        account under a day no later night reads (a walkthrough's trials lost their reminders and lapses so)."""
        the_book = self.books[book]
        for attempt in range(self.attempts):
            try:
                account = known if known is not None and attempt == 0 else self.store.read(holder)
                before = the_book.load(account.books.get(book))
                after = change(before)
                _, today = self._instant()
                if after == before and not self._filed_early(account, book, before, today):
                    return False  # nothing (left) to do: a lost answer of an earlier attempt lands here too
                if the_book.balance(after) != the_book.balance(before):
                    raise ValueError(f"amending {book} may not change its balance")
                write = self._account_writes({holder: account}, {(holder, book): after}, [], today, [holder])[0]
                events = list(announce(after)) if announce and after != before else []
                self.store.commit(Unit(accounts=[write], entries=[], events=events))
                return bool(after != before)
            except (Stale, Throttled, Uncertain):
                self.pause(attempt)
        raise LedgerBusy("The account is too busy; retry", retry_after=1)

    def _filed_early(self, account: Account, book: str, state: Any, today: date) -> bool:
        """Whether the account is listed under a day before the one ``book`` is next due (or listed at all when it
        is due no more) in one of the book's date indexes."""
        for index, day in self.books[book].due(state, today).items():
            filed = account.due.get(index)
            if filed is not None and filed < today and filed != (max(day, today) if day is not None else None):
                return True
        return False

    def opening(
        self, holder: str, postings: Sequence[Posting], *, announce: Announce | None = None,
        claim: tuple[Claim, Result] | None = None,
    ) -> Unit:  # fmt: skip
        """The unit opening a new holder's account with ``postings``, for the caller to commit inside the
        transaction that creates the holder (a registration): its account write is conditional on there being
        no account yet, so it is exactly once with that transaction. A ``claim`` is taken with it, keeping its
        result's answer, so a later post under the claim (a migrated balance imported again
        another way) is answered as a repeat instead of booked twice."""
        accounts = {holder: Account(holder)}
        now, today = self._instant()
        entries, states = self._apply(accounts, list(postings), today, now)
        answer = Answer({}, tuple(entries), {(e.holder, e.book): e.balance_after for e in entries})
        claim_write = None
        if claim is not None:
            taken, result = claim
            keys = tuple((e.holder, e.book, e.seq) for e in entries)
            expires = today + timedelta(days=taken.keep_days) if taken.keep_days is not None else None
            claim_write = ClaimWrite(StoredClaim(taken.key, taken.content, dict(result(answer)), keys), expires,
                                     taken.keeper)  # fmt: skip
        return Unit(accounts=self._account_writes(accounts, states, entries, today, [holder]), entries=entries,
                    events=list(announce(answer)) if announce else [], claim=claim_write)  # fmt: skip

    # --- one attempt ------------------------------------------------------------------------------------------

    def _reading(self, read: Callable[[], T]) -> T:
        """A read outside a post, retried like a post when the store throttles it."""
        for attempt in range(self.attempts):
            try:
                return read()
            except Throttled:
                self.pause(attempt)
        raise LedgerBusy("The ledger is too busy; retry", retry_after=1)

    def _read(self, holders: list[str]) -> dict[str, Account]:
        return self.store.read_many(holders) if holders else {}

    def replay(self, claim: Claim) -> Answer | None:
        """The first answer of a claimed post (``duplicate``), or None when nothing was posted under its key; other
        content under the key raises the claim's conflict. A throttled read is retried like a post's."""
        stored = self._reading(lambda: self.store.read_claim(claim.key, claim.keeper))
        if stored is None:
            return None
        if stored.content != claim.content:
            raise claim.conflict or SourceConflict(f"{claim.key} was posted before with other content")
        return Answer(stored.result, duplicate=True)

    def _attempt(
        self, plan: Plan | Sequence[Posting], holders: list[str], claim: Claim | None,
        require: Mapping[str, Requirement], result: Result | None, announce: Announce | None,
        attach: Attach | None, known: Mapping[str, Account] | None,
    ) -> Answer:  # fmt: skip
        unknown = [holder for holder in holders if holder not in (known or {})]
        accounts = {**{h: known[h] for h in holders if known and h in known}, **self._read(unknown)}
        now, today = self._instant()
        try:
            postings = list(plan) if not callable(plan) else list(plan(Holdings(self.books, accounts)))
            missing = [posting.holder for posting in postings if posting.holder not in accounts]
            accounts.update(self._read(missing))  # holders the plan did not name
            entries, states = self._apply(accounts, postings, today, now)
        except Exception:
            # a repeat is answered as the first call was, even when its plan no longer fits (the balance it
            # spent is gone): the claim is only read when something went wrong, so a post costs one read
            if claim is not None and (replayed := self.replay(claim)) is not None:
                return replayed
            if len(unknown) < len(holders):
                raise Stale("planned on accounts given, maybe old: read them and plan again") from None
            raise
        balances = {(e.holder, e.book): e.balance_after for e in entries}
        answer = Answer({}, tuple(entries), balances)
        answer = replace(answer, result=dict(result(answer)) if result else {})
        changed = [holder for (holder, book), state in states.items()
                   if self.books[book].dump(state) != accounts[holder].books.get(book)]  # fmt: skip
        attachments = list(attach(answer)) if attach else []
        if not entries and not changed and not attachments:
            return answer
        claim_write = None
        if claim is not None:
            expires = today + timedelta(days=claim.keep_days) if claim.keep_days is not None else None
            keys = tuple((e.holder, e.book, e.seq) for e in entries)
            claim_write = ClaimWrite(StoredClaim(claim.key, claim.content, answer.result, keys), expires, claim.keeper)
        writes = self._account_writes(accounts, states, entries, today, changed)
        try:
            writes, requirements = self._requirements(accounts, writes, require)
        except HolderUnavailable:
            if claim is not None and (replayed := self.replay(claim)) is not None:
                return replayed  # a repeat is answered, whatever became of the holder since
            raise
        unit = Unit(
            accounts=writes, entries=entries, claim=claim_write, requirements=requirements,
            events=_stamped(announce(answer), entries) if announce else [], attachments=attachments,
        )  # fmt: skip
        if unit.items > MAX_ITEMS:
            raise TooManyItems(f"a post holds at most {MAX_ITEMS} items, this one {unit.items}")
        self.store.commit(unit)
        return answer

    @staticmethod
    def _requirements(
        accounts: Mapping[str, Account], writes: list[AccountWrite], require: Mapping[str, Requirement]
    ) -> tuple[list[AccountWrite], list[tuple[str, Requirement]]]:
        """The requirements the unit must check apart, and the account writes that keep a status proven.

        A holder whose account keeps its status and is written by the unit needs no check of its own: its
        domain moves the revision on with every change of status, so the revision condition proves the status
        read. Otherwise the holder's domain checks it at commit, and an ``active`` proven that way is kept on the
        account, so the holder's next posts need no check (its domain keeps it true from then on)."""
        written = {write.holder: write for write in writes}
        apart: list[tuple[str, Requirement]] = []
        for holder, level in require.items():
            status = accounts[holder].status if holder in accounts else None
            if holder in written and status is not None:
                if not meets(status, level):
                    raise HolderUnavailable(holder)
                continue
            apart.append((holder, level))
            if holder in written and level == "active":
                written[holder] = replace(written[holder], status="active")
        return list(written.values()), apart

    def _apply(
        self, accounts: dict[str, Account], postings: list[Posting], today: date, now: datetime
    ) -> tuple[list[Entry], dict[tuple[str, str], Any]]:
        """Each posting through its book, in order, on the states read: the entries it makes."""
        states: dict[tuple[str, str], Any] = {}
        seqs: dict[tuple[str, str], int] = {}
        entries: list[Entry] = []
        group, occurred_at, actor = new_id("lg_"), clock.iso(now), current_origin().actor
        for posting in postings:
            book = self.books[posting.book]
            key = (posting.holder, posting.book)
            if key not in states:
                states[key] = book.load(accounts[posting.holder].books.get(posting.book))
                seqs[key] = accounts[posting.holder].seqs.get(posting.book, 0)
            if posting.undoes is not None:
                states[key], detail = book.undo(states[key], posting.undoes, today)
            else:
                states[key], detail = book.apply(states[key], posting, today)
            if not posting.amount and not posting.kept:
                continue  # a change of state alone (a standing, a paid amount that earns no growth): no entry
            seqs[key] += 1
            entries.append(Entry(
                posting.holder, posting.book, seqs[key], new_id(getattr(book, "entry_prefix", "le_")), posting.kind,
                posting.amount, book.balance(states[key]), posting.source, posting.reason, detail, actor,
                occurred_at, group, english(posting.reason),
            ))  # fmt: skip
        return entries, states

    def _account_writes(
        self, accounts: Mapping[str, Account], states: Mapping[tuple[str, str], Any], entries: list[Entry],
        today: date, holders: Sequence[str] = (),
    ) -> list[AccountWrite]:  # fmt: skip
        writes = []
        for holder in dict.fromkeys([*holders, *(e.holder for e in entries)]):
            account = accounts[holder]
            books, seqs = dict(account.books), dict(account.seqs)
            for (owner, name), state in states.items():
                if owner == holder:
                    books[name] = self.books[name].dump(state)
            for e in entries:
                if e.holder == holder:
                    seqs[e.book] = e.seq
            due: dict[str, date | None] = {"touched": today}
            for name, raw in books.items():
                for index, day in self.books[name].due(self.books[name].load(raw), today).items():
                    due[index] = max(day, today) if day is not None else None
            moved = {index: day for index, day in due.items() if account.rev is None or account.due.get(index) != day}
            writes.append(AccountWrite(holder, account.rev, books, seqs, moved, stored_sizes=account.stored_sizes))
        return writes


def _stamped(events: Iterable[Event], entries: Sequence[Entry]) -> list[Event]:
    """A post's events occur at its entries' instant, so an event and its entries fall on the same business day
    (the reports' figures, kept from events, are compared with the ledger's sums at a day's end)."""
    if not entries:
        return list(events)
    return [event.model_copy(update={"occurred_at": entries[0].occurred_at}) for event in events]
