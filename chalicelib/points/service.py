"""Points use cases: earn, redeem, reverse, adjust, open balances; read balances and the ledger.

Every write is one transaction holding the account update, its ledger entry, the idempotency record (when
keyed) and its event. The account update is conditional on the revision it read (every write moves it on;
an entry also moves ``seq``, the count of entries, which keys the entry), so the entry's ``balance_after`` is
exact and a balance can never be spent twice: a write that lost a race reads again and recomputes, and
answers 409 insufficient-points once the points are gone. A write only loses when another one committed,
so the retry bound is never reached by contention alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from chalicelib.members.model import Status
from chalicelib.members.records import MemberRecord
from chalicelib.points import rules
from chalicelib.points.records import PointsAccountRecord, PointsEntryRecord, RedemptionRecord
from chalicelib.points.rules import Account, Draw, ExpiryPolicy
from chalicelib.shared import clock
from chalicelib.shared.context import current_origin
from chalicelib.shared.dateindex import indexed
from chalicelib.shared.db import Transaction, back_off, one_page
from chalicelib.shared.errors import Conflict, NotFound, Unavailable
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.http import IdempotencyKey
from chalicelib.shared.idempotency import StoredAnswer, run_once
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.settings import get_settings
from chalicelib.shared.unique import UniqueRecord
from chalicelib.tiers import service as tiers
from chalicelib.tiers.service import Progress

MAX_ATTEMPTS = 64


class InsufficientPoints(Conflict):
    slug, title = "insufficient-points", "Not enough points are available"


class MemberNotActive(Conflict):
    slug, title = "member-not-active", "The member is frozen"


class AlreadyReversed(Conflict):
    slug, title = "already-reversed", "The redemption was already reversed"


class OpeningBalanceExists(Conflict):
    slug, title = "opening-balance-exists", "The member already has an opening balance"


class AlreadyApplied(Conflict):
    slug, title = "already-applied", "This operation was applied before"


class _Stale(Exception):
    """The account changed between the read and the write."""


class _MemberGone(Exception):
    pass


@dataclass(frozen=True)
class Entry:
    type: str
    source_kind: str
    source_id: str | None
    reason: str


Operation = Callable[[Account, date], tuple[Account, int, list[Draw]]]
MemberCheck = Literal["active", "present", "any"]
Extra = Callable[[Transaction, PointsEntryRecord | None], None]  # None: nothing was booked


def to_account(record: PointsAccountRecord | None) -> Account:
    if record is None:
        return Account()
    return Account(
        lots=rules.load_lots(record.lots), debt=int(record.debt), earned=int(record.earned),
        deducted=int(record.deducted), redeemed=int(record.redeemed), expired=int(record.expired),
        tier=record.tier,
    )  # fmt: skip


def write(
    member_id: str, operation: Operation, entry: Entry, *, key: IdempotencyKey | None = None,
    event_type: str, extra: Extra | None = None, member: MemberCheck = "present",
    record: PointsAccountRecord | None = None, progress: Progress | None = None,
) -> tuple[StoredAnswer, bool]:  # fmt: skip
    """Apply ``operation`` to the member's account with its ledger entry, exactly once per ``key``.

    ``member`` says what the member must be when the write commits: ``active`` to spend or earn (frozen
    members keep their points but cannot use them), ``present`` (not erased) for corrections, ``any`` for
    what is owed whatever became of the member (expiry, refunds).
    ``progress`` is the growth and paid amount the write counts towards tiers, in the same transaction: an
    upgrade it causes credits its gift as a second ledger entry (the operation sees the tier before).
    ``extra`` adds the caller's own items to the transaction; when the operation books nothing (0 points)
    they are still written, with the member check, and the answer is 200 with no entry (without ``extra``
    nothing is written and the answer is 204).
    ``record`` is an account image already read (the nightly jobs read it from an index); it is used for
    the first attempt only, as the write's condition checks it is current.
    """
    for attempt in range(MAX_ATTEMPTS):
        perform = functools.partial(
            _perform, member_id=member_id, record=record if attempt == 0 else None, operation=operation,
            entry=entry, event_type=event_type, extra=extra, member=member, progress=progress,
        )  # fmt: skip
        try:
            return run_once(key, perform)
        except _Stale:
            back_off(attempt, cap=0.2)
        except _MemberGone:
            found = MemberRecord.find(member_id)
            if found is None or found.status == Status.ERASED:
                raise NotFound(f"No member {member_id!r}") from None
            raise MemberNotActive("The member is frozen: they can neither earn nor spend points") from None
    raise Unavailable("The points account is too busy; retry", retry_after=1)


@dataclass(frozen=True)
class _Booking:
    entry: Entry
    points: int
    draws: list[Draw]
    balance_after: int
    event_type: str


def _perform(
    tx: Transaction, *, member_id: str, record: PointsAccountRecord | None, operation: Operation, entry: Entry,
    event_type: str, extra: Extra | None, member: MemberCheck, progress: Progress | None,
) -> StoredAnswer:  # fmt: skip
    """One attempt: read the account (unless given), apply the operation and any tier progress, add the writes
    to ``tx``."""
    record = record or PointsAccountRecord.find(member_id)
    today = clock.business_today()
    try:
        after, points, draws = operation(to_account(record), today)
    except rules.InsufficientPoints as e:
        raise InsufficientPoints(str(e)) from None
    bookings = [_Booking(entry, points, draws, after.balance, event_type)] if points or draws else []
    advanced = tiers.advance(member_id, record, progress, today) if progress else None
    if advanced and advanced.gift_points:
        expires_on, _ = _policy_dates(None)
        after = rules.credit(after, advanced.gift_points, expires_on)
        assert advanced.change is not None  # a gift comes with an upgrade
        bookings.append(_Booking(Entry("earn", "tier", advanced.change.change_id, advanced.gift_reason),
                                 advanced.gift_points, [Draw(expires_on, None, advanced.gift_points)], after.balance,
                                 "points.earned"))  # fmt: skip
    if advanced and advanced.gift_back:  # a refund undid the upgrade: its gift goes back, as the debt policy says
        assert advanced.change is not None
        after, gift_draws = rules.claw_back(after, advanced.gift_back, today)
        bookings.append(_Booking(Entry("refund", "tier", advanced.change.change_id, advanced.gift_reason),
                                 -advanced.gift_back, gift_draws, after.balance, "points.clawed-back"))  # fmt: skip
    if not bookings and not advanced:
        if extra is None:
            return 204, {}  # nothing to book (a job found the account already up to date)
        _check_member(tx, member_id, member)
        extra(tx, None)
        return 200, {}
    seq = int(record.seq) if record else 0
    occurred_at = clock.iso(clock.now())
    actions = _account_actions(member_id, after, seq + len(bookings), today, occurred_at, record)
    tx.update(PointsAccountRecord(member_id), actions + (advanced.actions if advanced else []),
              condition=_unchanged(record), on_fail=_Stale())  # fmt: skip
    entries = []
    for n, booking in enumerate(bookings, start=seq + 1):
        ledger_entry = PointsEntryRecord(
            member_id, n, entry_id=new_id("pe_"), type=booking.entry.type, points=booking.points,
            balance_after=booking.balance_after, source_kind=booking.entry.source_kind,
            source_id=booking.entry.source_id, reason=booking.entry.reason, lots=rules.dump_draws(booking.draws),
            actor=current_origin().actor, occurred_at=occurred_at,
        )  # fmt: skip
        tx.put(ledger_entry, condition=PointsEntryRecord.seq.does_not_exist(), on_fail=_Stale())
        emit(tx, new_event(booking.event_type, f"member/{member_id}", {
            "member_id": member_id, "points": booking.points, "seq": n, "balance_after": booking.balance_after,
            "type": booking.entry.type, "source_kind": booking.entry.source_kind,
            "source_id": booking.entry.source_id, "reason": booking.entry.reason,
        }))  # fmt: skip
        entries.append(ledger_entry)
    if advanced:
        advanced.write(tx)
    _check_member(tx, member_id, member)
    main = entries[0] if bookings and bookings[0].entry is entry else None
    if extra:
        extra(tx, main)
    return (201, entry_json(main)) if main else (200, {})


def _check_member(tx: Transaction, member_id: str, check: MemberCheck) -> None:
    if check == "any":
        return
    wanted = (
        MemberRecord.status == str(Status.ACTIVE) if check == "active" else MemberRecord.status != str(Status.ERASED)
    )
    tx.check(MemberRecord, member_id, condition=MemberRecord.member_id.exists() & wanted, on_fail=_MemberGone())


def _unchanged(record: PointsAccountRecord | None) -> Any:
    """The account is as read: every write moves ``rev`` on (entries move ``seq`` too)."""
    if record is None:
        return PointsAccountRecord.member_id.does_not_exist()
    return PointsAccountRecord.rev == record.rev if record.rev is not None else PointsAccountRecord.rev.does_not_exist()


def _account_actions(
    member_id: str, account: Account, seq: int, today: date, now: str, record: PointsAccountRecord | None
) -> list[Any]:
    expiry, maturity = _due_from(account.soonest_expiry(), today), _due_from(account.soonest_maturity(), today)
    A = PointsAccountRecord
    return [
        *indexed(A.touched_month, A.touched, today, member_id),
        *indexed(A.expiry_month, A.expiry_due, expiry, member_id),
        *indexed(A.maturity_month, A.maturity_due, maturity, member_id),
        A.lots.set(rules.dump_lots(account.lots)), A.balance.set(account.balance), A.debt.set(account.debt),
        A.earned.set(account.earned), A.deducted.set(account.deducted), A.redeemed.set(account.redeemed),
        A.expired.set(account.expired), A.seq.set(seq), A.updated_at.set(now),
        A.rev.set(int(record.rev or 0) + 1 if record else 1),
    ]  # fmt: skip


def _due_from(day: date | None, today: date) -> date | None:
    """The index date of work due on ``day``: never before today, so a date already past (a reversal giving
    back expired points) is still found by tonight's run rather than by a run that is over."""
    return max(day, today) if day else None


def rearrange(image: PointsAccountRecord, change: Callable[[Account], tuple[Account, list[Draw]]], event: str) -> int:
    """Rewrite an account's lots without a ledger entry (the balance does not change: pending points
    maturing). Conditional on the account being as read, like every write; 1 when something moved."""
    record: PointsAccountRecord | None = image
    for attempt in range(MAX_ATTEMPTS):
        if record is None:
            return 0
        after, moved = change(to_account(record))
        if not moved:
            return 0
        tx = Transaction()
        now, today = clock.iso(clock.now()), clock.business_today()
        actions = _account_actions(record.member_id, after, int(record.seq), today, now, record)
        tx.update(PointsAccountRecord(record.member_id), actions, condition=_unchanged(record), on_fail=_Stale())
        emit(tx, new_event(event, f"member/{record.member_id}", {
            "member_id": record.member_id, "points": sum(draw.points for draw in moved),
        }))  # fmt: skip
        try:
            tx.commit()
            return 1
        except _Stale:
            back_off(attempt, cap=0.2)
            record = PointsAccountRecord.find(image.member_id)
    raise Unavailable("The points account is too busy; retry", retry_after=1)


def entry_json(record: PointsEntryRecord) -> dict[str, Any]:
    return {
        "entry_id": record.entry_id, "seq": int(record.seq), "type": record.type, "points": int(record.points),
        "balance_after": int(record.balance_after), "source": {"kind": record.source_kind, "id": record.source_id},
        "reason": record.reason, "occurred_at": record.occurred_at,
    }  # fmt: skip


def _policy_dates(earned_at: datetime | None) -> tuple[date | None, date | None]:
    settings = get_settings()
    earned_on = clock.business_date(earned_at or clock.now(), settings.tz)
    expires_on = ExpiryPolicy.parse(settings.points_expiry).expires_on(earned_on)
    pending = settings.points_pending_days
    return expires_on, (earned_on + timedelta(days=pending)) if pending else None


def policy_expiry() -> date | None:
    """The expiry date the configured policy gives points credited today."""
    return _policy_dates(None)[0]


def earn(
    member_id: str, points: int | Callable[[Account], int], *, source_kind: str, source_id: str, reason: str,
    key: IdempotencyKey | None, earned_at: datetime | None = None, extra: Extra | None = None,
    require_active: bool = False, progress: Progress | None = None,
) -> tuple[StoredAnswer, bool]:  # fmt: skip
    """Credit earned points into a lot dated by the expiry policy (and the pending period) from ``earned_at``.

    ``points`` may be a function of the account (its tier decides a multiplier); 0 books nothing.
    """
    expires_on, available_on = _policy_dates(earned_at)

    def operation(account: Account, today: date) -> tuple[Account, int, list[Draw]]:
        earned = points(account) if callable(points) else points
        if earned <= 0:
            return account, 0, []
        return rules.credit(account, earned, expires_on, available_on), earned, [Draw(expires_on, available_on, earned)]

    entry = Entry("earn", source_kind, source_id, reason)
    check: MemberCheck = "active" if require_active else "present"
    return write(member_id, operation, entry, key=key, event_type="points.earned", extra=extra, member=check,
                 progress=progress)  # fmt: skip


def redeem(member_id: str, points: int, reason: str, key: IdempotencyKey | None) -> tuple[StoredAnswer, bool]:
    """Spend available points, soonest expiry first; 409 insufficient-points when they fall short."""
    redemption_id = new_id("rd_")
    drawn: list[Draw] = []

    def operation(account: Account, today: date) -> tuple[Account, int, list[Draw]]:
        after, draws = rules.redeem(account, points, today)
        drawn[:] = draws
        return after, -points, draws

    def record_redemption(tx: Transaction, entry: PointsEntryRecord | None) -> None:
        assert entry is not None  # these operations always book points
        tx.put(RedemptionRecord(
            redemption_id, member_id=member_id, points=points, draws=rules.dump_draws(drawn), reason=reason,
            status="completed", entry_seq=entry.seq, created_at=entry.occurred_at,
        ), condition=RedemptionRecord.redemption_id.does_not_exist())  # fmt: skip

    entry = Entry("redeem", "redemption", redemption_id, reason)
    (status, body), replayed = write(member_id, operation, entry, key=key, event_type="points.redeemed",
                                     extra=record_redemption, member="active")  # fmt: skip
    return (status, redemption_json(body)), replayed


def redemption_json(entry: dict[str, Any]) -> dict[str, Any]:
    return {"redemption_id": entry["source"]["id"], "points": -entry["points"], "reason": entry["reason"],
            "status": "completed", "created_at": entry["occurred_at"], "entry": entry}  # fmt: skip


def reverse(member_id: str, redemption_id: str, reason: str, key: IdempotencyKey | None) -> tuple[StoredAnswer, bool]:
    """Give a redemption's points back to the lots they came from, exactly once."""
    redemption = RedemptionRecord.find(redemption_id)
    if redemption is None or redemption.member_id != member_id:
        raise NotFound(f"No redemption {redemption_id!r} for member {member_id!r}")
    draws = rules.load_draws(redemption.draws)

    def operation(account: Account, today: date) -> tuple[Account, int, list[Draw]]:
        return rules.restore(account, draws), int(redemption.points), draws

    def mark_reversed(tx: Transaction, entry: PointsEntryRecord | None) -> None:
        assert entry is not None  # these operations always book points
        tx.update(RedemptionRecord(redemption_id), [RedemptionRecord.status.set("reversed"),
                  RedemptionRecord.reversed_at.set(entry.occurred_at)],
                  condition=RedemptionRecord.status == "completed",
                  on_fail=AlreadyReversed(f"Redemption {redemption_id} was already reversed"))  # fmt: skip

    entry = Entry("reverse", "redemption", redemption_id, reason)
    return write(member_id, operation, entry, key=key, event_type="points.redemption-reversed", extra=mark_reversed)


def adjust(
    member_id: str, points: int, reason: str, key: IdempotencyKey | None, *, source_kind: str = "staff",
    source_id: str | None = None, expires_on: date | None = None, once: str | None = None,
) -> tuple[StoredAnswer, bool]:  # fmt: skip
    """Credit (into a lot dated by the policy, or ``expires_on``) or debit (never below zero) points.

    ``once`` names the operation for good (a bulk file's row): a second time is AlreadyApplied, however late.
    """
    by_policy = policy_expiry()

    def operation(account: Account, today: date) -> tuple[Account, int, list[Draw]]:
        if points > 0:
            expiry = expires_on or by_policy
            return rules.credit(account, points, expiry), points, [Draw(expiry, None, points)]
        after, draws = rules.deduct(account, -points, today)
        return after, points, draws

    def claim(tx: Transaction, entry: PointsEntryRecord | None) -> None:
        assert entry is not None  # these operations always book points
        if once:
            marker = UniqueRecord(f"points-op:{once}", owner=member_id, created_at=entry.occurred_at)
            tx.put(marker, condition=UniqueRecord.key.does_not_exist(), on_fail=AlreadyApplied(), decisive=True)

    entry = Entry("adjust", source_kind, source_id or current_origin().actor, reason)
    return write(member_id, operation, entry, key=key, event_type="points.adjusted", extra=claim)


def open_balance(member_id: str, lots: list[tuple[int, date | None]], reason: str) -> tuple[StoredAnswer, bool]:
    """Migrate a balance from an old system: lots with their own expiry dates, once per member."""
    total = sum(points for points, _ in lots)

    def operation(account: Account, today: date) -> tuple[Account, int, list[Draw]]:
        for points, expires_on in lots:
            account = rules.credit(account, points, expires_on)
        return account, total, [Draw(expires_on, None, points) for points, expires_on in lots]

    def claim(tx: Transaction, entry: PointsEntryRecord | None) -> None:
        assert entry is not None  # these operations always book points
        marker = UniqueRecord(f"points-opening:{member_id}", owner=member_id, created_at=entry.occurred_at)
        tx.put(marker, condition=UniqueRecord.key.does_not_exist(), on_fail=OpeningBalanceExists(), decisive=True)

    entry = Entry("opening", "import", None, reason)
    return write(member_id, operation, entry, event_type="points.opened", extra=claim)


@dataclass(frozen=True)
class Balance:
    available: int
    pending: int
    expiring: list[tuple[date, int]]
    lifetime_earned: int
    redeemed: int
    expired: int
    debt: int


def balance(member_id: str) -> Balance:
    """The member's points as of now: expired points are gone and matured pending points are available,
    whether or not the nightly jobs ran. Debt left by refunds is owed either way (later credits repay it
    first); ``LOYALTY_REFUND_POLICY=negative-balance`` shows it as a negative ``available``, ``debt`` beside a
    zero ``available`` otherwise. One read (two for a member without an account yet)."""
    record = PointsAccountRecord.find(member_id)
    if record is None:
        member = MemberRecord.find(member_id)
        if member is None or member.status == Status.ERASED:
            raise NotFound(f"No member {member_id!r}")
    account, today = to_account(record), clock.business_today()
    unbooked = sum(lot.points for lot in account.lots if lot.expired(today))
    available = account.available(today)
    if get_settings().refund_policy == "negative-balance":
        available -= account.debt  # the debt shows as a negative balance rather than beside it
    return Balance(
        available=available, pending=account.pending(today), expiring=account.expiring(today),
        lifetime_earned=account.earned, redeemed=account.redeemed, expired=account.expired + unbooked,
        debt=account.debt,
    )  # fmt: skip


INTERNAL_SOURCES = frozenset({"staff", "import"})  # their ids name a staff member or a file


def ledger(member_id: str, limit: int, cursor: str | None, *, for_member: bool = False
           ) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """The member's entries, newest first. The member themself sees that staff or an import booked an entry,
    not who or which file (``source.id`` null)."""
    scope = f"points-ledger|{member_id}"
    results = PointsEntryRecord.query(
        member_id, scan_index_forward=False, page_size=limit, last_evaluated_key=decode_cursor(scope, cursor)
    )
    records, last = one_page(PointsEntryRecord, results)
    entries = [entry_json(record) for record in records]
    if for_member:
        entries = [{**e, "source": {**e["source"], "id": None}} if e["source"]["kind"] in INTERNAL_SOURCES else e
                   for e in entries]  # fmt: skip
    return entries, encode_cursor(scope, last)
