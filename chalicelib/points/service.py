"""Points use cases on the ledger engine: earn, redeem, reverse, adjust, open balances; balances and the ledger.

Every write is one post of the member's books: the points posting, the growth and tier postings its progress
causes (an upgrade's gift is a second points entry), the events, and the caller's own records attached. The
engine makes it exactly once (a claim per Idempotency-Key, bulk row or source), never below zero, and retries
a write that lost a race on a fresh read; this module says what each use case posts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.ledger.engine import Holdings, idempotency_claim
from chalicelib.ledger.model import Answer, Claim, Entry, Insufficient, Posting, Source
from chalicelib.ledger.registry import ledger
from chalicelib.ledger.store import HolderUnavailable, Requirement, Stale
from chalicelib.members import service as members
from chalicelib.members.model import Status
from chalicelib.points import rules
from chalicelib.points.book import BOOK, draws_of, dumped
from chalicelib.points.records import RedemptionRecord
from chalicelib.points.rules import Account, Draw, ExpiryPolicy
from chalicelib.shared import clock
from chalicelib.shared.context import current_origin
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Conflict, NotFound, ValidationFailed
from chalicelib.shared.events import Event, new_event
from chalicelib.shared.idempotency import IdempotencyKey
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.phrases import Phrase, phrased
from chalicelib.shared.settings import get_settings
from chalicelib.tiers import service as tiers
from chalicelib.tiers.service import Progress


class InsufficientPoints(Conflict):
    slug, title = "insufficient-points", "Not enough points are available"


class MemberNotActive(Conflict):
    slug, title = "member-not-active", "The member is frozen"


class AlreadyReversed(Conflict):
    slug, title = "already-reversed", "The redemption was already reversed"


class OrderPointsUsed(Conflict):
    slug, title = "order-points-used", "Points already paid part of this order"


class OrderPointsMoved(Conflict):
    slug, title = "order-points-moved", "The points paid on this order changed meanwhile: try again"


class OpeningBalanceExists(Conflict):
    slug, title = "opening-balance-exists", "The member already has an opening balance"


class AlreadyApplied(Conflict):
    slug, title = "already-applied", "This operation was applied before"


REVERSED = Phrase("撤销兑换", "Redemption reversed")  # a reversal's reason when none is given
BIRTHDAY_GIFT_BACK = Phrase("退款撤销生日等级礼遇", "Birthday tier gift taken back (refund)")
EVENT_OF = {  # the event each kind of points entry publishes
    "earn": "points.earned", "redeem": "points.redeemed", "reverse": "points.redemption-reversed",
    "adjust": "points.adjusted", "refund": "points.clawed-back", "opening": "points.opened",
    "expire": "points.expired",
}  # fmt: skip


# --- what a write posts ----------------------------------------------------------------------------------------


def policy_dates(earned_at: datetime | None) -> tuple[date | None, date | None]:
    """The expiry and availability dates the configured policy gives points earned at ``earned_at``."""
    settings = get_settings()
    earned_on = clock.business_date(earned_at or clock.now(), settings.tz)
    expires_on = ExpiryPolicy.parse(settings.points_expiry).expires_on(earned_on)
    pending = settings.points_pending_days
    return expires_on, (earned_on + timedelta(days=pending)) if pending else None


def policy_expiry() -> date | None:
    """The expiry date the configured policy gives points credited today."""
    return policy_dates(None)[0]


def credit(member_id: str, points: int, kind: str, source: Source, reason: str, *,
           expires_on: date | None, available_on: date | None = None) -> Posting:  # fmt: skip
    return Posting(member_id, BOOK, points, kind, source, reason,
                   detail={"lots": dumped([Draw(expires_on, available_on, points)])})  # fmt: skip


def tier_of(holdings: Holdings, member_id: str) -> str:
    """The member's tier as read with their points (the programme's lowest when they have none)."""
    return tiers.tier_in(holdings, member_id)


@dataclass
class Booking:
    """What a post of a member's books carries besides their postings: the tier change its progress made
    (its history record and event), the caller's own records and events, and the store it happened at, if any (a
    purchase's or refund's: its points events name it, for the store's statistics)."""

    member_id: str
    store_id: str | None = None
    stores: dict[Source, str] = field(default_factory=dict)  # an entry's own store, by its source (a rescored order's)
    advance: tiers.Advance | None = None
    attachments: list[Callable[[Transaction], None]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def with_progress(holdings: Holdings, booking: Booking, progress: Progress | None, today: date) -> list[Posting]:
    """The growth and tier postings ``progress`` causes, and an upgrade's gift (or a refund's taking it back)."""
    if progress is None:
        return []
    booking.advance = advance = tiers.advance(holdings, booking.member_id, progress, today)
    if advance is None:
        return []
    postings = list(advance.postings)
    change = advance.change
    if change is not None and advance.gift_points:
        expires_on, _ = policy_dates(None)
        postings.append(credit(booking.member_id, advance.gift_points, "earn", Source("tier", change.change_id),
                               advance.gift_reason, expires_on=expires_on))  # fmt: skip
    if change is not None and advance.gift_back:  # a refund undid the upgrade: its gift goes back as debt allows
        postings.append(Posting(booking.member_id, BOOK, -advance.gift_back, "refund",
                                Source("tier", change.change_id), advance.gift_reason))  # fmt: skip
    if change is not None and advance.birthday_back:  # and a birthday gift's part for the tier it undid
        postings.append(Posting(booking.member_id, BOOK, -advance.birthday_back, "refund",
                                Source("tier", change.change_id), BIRTHDAY_GIFT_BACK))  # fmt: skip
    return postings


def post(
    member_id: str, plan: Callable[[Holdings, Booking, date], Sequence[Posting]], *, claim: Claim | None = None,
    require: Requirement | None = "present", result: Callable[[Answer, Booking], dict[str, Any]] | None = None,
    records: Callable[[Answer], list[Callable[[Transaction], None]]] | None = None, known: Any = None,
    holders: Sequence[str] = (),
) -> Answer:  # fmt: skip
    """Post what ``plan`` gives for the member (it may add records and events to the booking), with the points
    events of its entries, the tier change of its progress, exactly once per ``claim``.

    ``require`` says what the member must be when the write commits: ``active`` to spend or earn (frozen
    members keep their points but cannot use them), ``present`` (not erased) for corrections, None for what
    is owed whatever became of the member (expiry, refunds). ``records`` are the caller's own records that
    need the entries made (a redemption keeps its draws), written with them; ``holders`` are other accounts
    the plan reads and posts to (an order's refunds), read in the same request."""
    booking = Booking(member_id)

    def planned(holdings: Holdings) -> Sequence[Posting]:
        booking.advance, booking.attachments[:], booking.events[:] = None, [], []
        booking.stores.clear()
        return plan(holdings, booking, clock.business_today())

    try:
        return ledger().post(
            planned, holders=[member_id, *holders], claim=claim, require={member_id: require} if require else None,
            result=(lambda answer: result(answer, booking)) if result else None,
            announce=lambda answer: [*booking.events, *announce(answer, booking.store_id, booking.stores),
                                     *_tier_events(booking)],
            attach=lambda answer: [*booking.attachments, *(records(answer) if records else []),
                                   *_tier_records(booking)],
            known={member_id: known} if known is not None else None,
        )  # fmt: skip
    except Insufficient as e:
        raise InsufficientPoints(
            f"{e.available} points are available, {e.asked} asked", available=e.available
        ) from None
    except HolderUnavailable:
        status = members.status_of(member_id)
        if status is None or status == Status.ERASED:
            raise NotFound(f"No member {member_id!r}") from None
        raise MemberNotActive("The member is frozen: they can neither earn nor spend points") from None


def _tier_events(booking: Booking) -> list[Event]:
    return [booking.advance.announce] if booking.advance and booking.advance.announce else []


def _tier_records(booking: Booking) -> list[Callable[[Transaction], None]]:
    advance = booking.advance
    return [advance.write] if advance is not None and advance.change is not None else []


def announce(answer: Answer, store_id: str | None = None, stores: Mapping[Source, str] | None = None
             ) -> Iterable[Event]:  # fmt: skip
    """The event of each points entry a post made; ``store_id`` names the store it happened at, when there was one,
    unless ``stores`` names the entry's own by its source."""
    for entry in answer.entries:
        if entry.book == BOOK:
            store = (stores or {}).get(entry.source, store_id)
            at_store = {"store_id": store} if store else {}
            yield new_event(EVENT_OF[entry.kind], f"member/{entry.holder}", {
                "member_id": entry.holder, "points": entry.amount, "seq": entry.seq,
                "balance_after": entry.balance_after, "type": entry.kind, "source_kind": entry.source.kind,
                "source_id": entry.source.id, "reason": entry.reason, "lots": lot_moves(entry), **at_store,
                **({"reason_en": entry.reason_en} if entry.reason_en else {}),
            })  # fmt: skip


def lot_moves(entry: Entry) -> list[list[Any]]:
    """How an entry moved the member's lots, by expiry date: ``[[expires_on or None, signed points], ...]``, soonest
    first. Its amount less their sum is what it moved the member's debt by (a claw-back's shortfall, a credit paying
    it off), so the liability can say when what is outstanding expires."""
    sign = 1 if entry.amount > 0 else -1
    moved: dict[str | None, int] = {}
    for expires_on, _, points in entry.detail or []:
        moved[expires_on] = moved.get(expires_on, 0) + sign * int(points)
    return [[expires_on, points] for expires_on, points in sorted(moved.items(), key=lambda m: m[0] or "9999")]


def spending(
    holdings: Holdings, member_id: str, points: int, source: Source, reason: str, today: date
) -> tuple[Posting, list[list[Any]]]:
    """The posting that spends ``points`` of the member's points available on ``today`` (soonest expiry first, as a
    redemption does), and the lots it draws from as its entry will record them: for another domain that sells for
    points (a points-mall order), posted with its own postings through ``post``. The caller keeps the lots to give the
    points back to them later (``giving_back``) and checks its answer with ``spent_as_planned``. 409
    ``insufficient-points`` (with ``available``) when fewer are available."""
    account: Account = holdings.state(member_id, BOOK)
    try:
        _, draws = rules.redeem(account, points, today)
    except rules.ShortOfPoints:
        available = account.available(today)
        raise InsufficientPoints(f"{available} points are available, {points} asked", available=available) from None
    return Posting(member_id, BOOK, -points, "redeem", source, reason), dumped(draws)


def available_in(holdings: Holdings, member_id: str, today: date) -> int:
    """The member's points available on ``today``, from their accounts as a post (or a read) found them."""
    account: Account = holdings.state(member_id, BOOK)
    return account.available(today)


def owed_in(holdings: Holdings, member_id: str) -> int:
    """The points the member owes (a refund took back more than was available): points earned pay this first."""
    account: Account = holdings.state(member_id, BOOK)
    return int(account.debt)


def spent_as_planned(answer: Answer, draws: list[list[Any]]) -> None:
    """Make the post plan again (on a fresh read) when its spend drew other lots than ``spending`` said: the business
    day turned between the plan and the posting. Call it from the post's ``result``, before anything is committed."""
    entry = points_entry(answer)
    if entry is None or entry.detail != draws:
        raise Stale("the spend drew other lots than planned: plan again")


def giving_back(member_id: str, points: int, draws: list[list[Any]], source: Source, reason: str) -> Posting:
    """The posting that gives spent points back to the lots they were drawn from (``spending``'s), with their expiry
    dates, as a reversal does (points whose date has passed meanwhile come back expired)."""
    return Posting(member_id, BOOK, points, "reverse", source, reason, detail={"draws": draws})


def points_entry(answer: Answer) -> Entry | None:
    """The first points entry of a post (its main one; an upgrade's gift follows it)."""
    return next((entry for entry in answer.entries if entry.book == BOOK), None)


def entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id, "seq": entry.seq, "type": entry.kind, "points": entry.amount,
        "balance_after": entry.balance_after, "source": {"kind": entry.source.kind, "id": entry.source.id},
        "reason": entry.reason, "reason_en": entry.reason_en, "occurred_at": entry.occurred_at,
    }  # fmt: skip


def _main_entry(answer: Answer, booking: Booking) -> dict[str, Any]:
    entry = points_entry(answer)
    return entry_json(entry) if entry else {}


Outcome = tuple[dict[str, Any], bool]  # what a write booked (its answer) and whether it was a repeat


def _created(answer: Answer) -> Outcome:
    return dict(answer.result), answer.duplicate


# --- use cases ---------------------------------------------------------------------------------------------------


def earn(
    member_id: str, points: int, *, source_kind: str, source_id: str, reason: str, key: IdempotencyKey | None,
    earned_at: datetime | None = None, require_active: bool = False, progress: Progress | None = None,
) -> Outcome:  # fmt: skip
    """Credit earned points into a lot dated by the expiry policy (and the pending period) from ``earned_at``."""
    expires_on, available_on = policy_dates(earned_at)

    def plan(holdings: Holdings, booking: Booking, today: date) -> list[Posting]:
        earned = [credit(member_id, points, "earn", Source(source_kind, source_id), reason, expires_on=expires_on,
                         available_on=available_on)] if points > 0 else []  # fmt: skip
        return [*earned, *with_progress(holdings, booking, progress, today)]

    answer = post(member_id, plan, claim=idempotency_claim(key), require="active" if require_active else "present",
                  result=_main_entry)  # fmt: skip
    return _created(answer)


@dataclass(frozen=True)
class OrderPart:
    """积分抵现: the till order the points pay part of, and what they pay of it (``rules.points_as_cash``)."""

    order_id: str
    cash_fen: int
    total_fen: int


def order_redemption_id(order_id: str) -> str:
    """The one redemption points may pay of a till order: its id is the order's (the order is the chain's, whoever's
    sale it becomes), so a second, by any member, is refused by the write itself (``OrderPointsUsed``), whatever
    Idempotency-Key it came with."""
    return "rd_" + hashlib.sha256(f"order\n{order_id}".encode()).hexdigest()[:26]


def redeem(
    member_id: str, points: int, reason: str | None, key: IdempotencyKey | None, store_id: str | None = None,
    alongside: Callable[[Transaction], None] | None = None, order: OrderPart | None = None,
) -> Outcome:  # fmt: skip
    """Spend available points, soonest expiry first; 409 insufficient-points when they fall short. The
    redemption is kept (with the lots it drew from) so that it can be reversed once; ``store_id``, the store where
    they were spent, is named on its event for the store's figures; ``alongside`` commits with it (the member code it
    spends). ``order``: the points pay part of a till order (积分抵现), once per order (409 ``order-points-used``);
    the member reads 积分抵现 ¥5.00·订单 … unless a reason is given."""
    redemption_id = order_redemption_id(order.order_id) if order else new_id("rd_")
    if order is not None and not reason:
        cash, order_id = f"{order.cash_fen / 100:.2f}", order.order_id
        why: str | Phrase = Phrase(f"积分抵现 ¥{cash}·订单 {order_id}", f"Points as cash ¥{cash}: order {order_id}")
    else:
        why = reason or ""

    def plan(holdings: Holdings, booking: Booking, today: date) -> list[Posting]:
        booking.store_id = store_id
        return [Posting(member_id, BOOK, -points, "redeem", Source("redemption", redemption_id), why)]

    def kept(answer: Answer) -> list[Callable[[Transaction], None]]:
        entry = points_entry(answer)
        assert entry is not None
        record = RedemptionRecord(
            redemption_id, member_id=member_id, points=points, draws=json.dumps(entry.detail), reason=entry.reason,
            status="completed", entry_seq=entry.seq, created_at=entry.occurred_at, store_id=store_id,
            order_id=order.order_id if order else None, cash_fen=order.cash_fen if order else None,
            order_total_fen=order.total_fen if order else None,
        )  # fmt: skip
        used = OrderPointsUsed(f"Points already paid part of order {order.order_id}") if order else None
        kept_record = [lambda tx: tx.put(record, condition=RedemptionRecord.redemption_id.does_not_exist(),
                                         on_fail=used)]  # fmt: skip
        return [*kept_record, *([alongside] if alongside else [])]

    def result(answer: Answer, booking: Booking) -> dict[str, Any]:
        entry = points_entry(answer)
        assert entry is not None
        return {**redemption_json(entry_json(entry)), "order_id": order.order_id if order else None,
                "cash_fen": order.cash_fen if order else None}  # fmt: skip

    answer = post(member_id, plan, claim=idempotency_claim(key), require="active", result=result, records=kept)
    return _created(answer)


def order_points(member_id: str, order_id: str) -> dict[str, Any] | None:
    """What points paid of the member's till order (积分抵现): the redemption, its points and cash, and whether it
    stands (`completed`) or was given back (`reversed`: by a refund of the whole sale, or by hand); None for none (or
    another member's)."""
    record = RedemptionRecord.find(order_redemption_id(order_id))
    if record is None or record.member_id != member_id:
        return None
    total = int(record.order_total_fen) if record.order_total_fen is not None else None
    return {"redemption_id": record.redemption_id, "points": int(record.points), "cash_fen": int(record.cash_fen or 0),
            "order_total_fen": total, "status": str(record.status), "created_at": record.created_at}  # fmt: skip


@dataclass(frozen=True)
class OrderCash:
    """What points pay of a till order now (0: none, or given back), the total they were paid against (0: none), and
    the condition a decision made on them commits with (``OrderPointsMoved``: judged again)."""

    cash_fen: int
    total_fen: int
    unchanged: Callable[[Transaction], None]


def order_cash_held(member_id: str, order_id: str) -> OrderCash:
    """What points pay of the member's till order, for its sale (``OrderCash``); another member's points on it are
    422 on ``order_id`` (their sale it is not: a review's member B paid part of member A's order, A's sale was
    recorded without them and B's points were never given back). One read."""
    redemption_id = order_redemption_id(order_id)
    record = RedemptionRecord.find(redemption_id)
    condition: Any
    if record is None:
        condition = RedemptionRecord.redemption_id.does_not_exist()
    else:
        condition = RedemptionRecord.status == str(record.status)
    standing = record is not None and record.status == "completed"
    if record is not None and standing and record.member_id != member_id:
        detail = f"another member's points paid part of order {order_id}: it is not this member's sale"
        raise ValidationFailed([{"field": "order_id", "in": "body", "message": detail}], detail)
    cash = int(record.cash_fen or 0) if record is not None and standing else 0
    total = int(record.order_total_fen or 0) if record is not None and standing else 0
    moved = OrderPointsMoved(f"The points paid on order {order_id} changed")
    return OrderCash(cash, total, lambda tx: tx.check(RedemptionRecord, redemption_id, condition=condition,
                                                        on_fail=moved))  # fmt: skip


def no_points_on_order(order_id: str, on_fail: Exception) -> Callable[[Transaction], None]:
    """The condition a write that the order's points would undo commits with (a card sold under it at its plan's
    price, a coupon after them): no points pay part of the order now (``on_fail`` otherwise). No request."""
    redemption_id = order_redemption_id(order_id)
    none = RedemptionRecord.redemption_id.does_not_exist() | (RedemptionRecord.status == "reversed")
    return lambda tx: tx.check(RedemptionRecord, redemption_id, condition=none, on_fail=on_fail)


def no_other_members_points(member_id: str, order_id: str) -> Callable[[Transaction], None]:
    """The condition the member's stored-value payment of a till order commits with: no other member's points pay
    part of it now (422 on ``order_id``: a review's member B paid an order from the wallet that member A's points
    paid part of, after which neither's sale could be recorded). No request."""
    redemption_id = order_redemption_id(order_id)
    theirs_or_none = (RedemptionRecord.redemption_id.does_not_exist() | (RedemptionRecord.member_id == member_id)
                      | (RedemptionRecord.status == "reversed"))  # fmt: skip
    detail = f"another member's points paid part of order {order_id}: it is not this member's"
    refused = ValidationFailed([{"field": "order_id", "in": "body", "message": detail}], detail)
    return lambda tx: tx.check(RedemptionRecord, redemption_id, condition=theirs_or_none, on_fail=refused)


def orders_paid_since(member_id: str, store_id: str | None, since: str, look: int = 20) -> list[tuple[str, str, str]]:
    """The till orders points paid part of at a store (None: any) since ``since`` (an instant) and not given back,
    each with its store and when: found among the member's ``look`` newest points entries (one query, and one batch
    read of their redemptions), so an order begun before a run of other entries is left out. Points spent at no store
    (staff of the whole chain naming none) belong to no till's open orders."""
    entries, _ = ledger().page(member_id, BOOK, look, None, consistent=False)
    spent = {str(e.source.id) for e in entries if e.kind == "redeem" and e.source.kind == "redemption"
             and e.occurred_at >= since}  # fmt: skip
    records = RedemptionRecord.batch_get(list(spent)) if spent else []
    return [(str(r.order_id), str(r.store_id), str(r.created_at)) for r in records
            if r.order_id and r.store_id and r.status == "completed" and store_id in (None, r.store_id)]  # fmt: skip


ORDER_REFUNDED = Phrase("退款退回抵现积分", "Points as cash given back: the order was refunded")


def return_order_points(member_id: str, order_id: str, alongside: Transaction) -> bool:
    """A till order's sale refunded whole gives back the points that paid part of it (积分抵现), to their lots, with
    ``alongside`` (a consumer's marker); False when there are none to give back (none, or given back already)."""
    redemption_id = order_redemption_id(order_id)
    record = RedemptionRecord.find(redemption_id)
    if record is None or record.status != "completed" or record.member_id != member_id:
        return False
    try:
        reverse(member_id, redemption_id, ORDER_REFUNDED, None, alongside=alongside, require=None, known=record)
    except AlreadyReversed:
        return False
    return True


def repeats(key: IdempotencyKey | None) -> bool:
    """Whether a post under ``key`` was made already (its repeat is answered as it was, whatever changed since)."""
    claim = idempotency_claim(key)
    return claim is not None and ledger().replay(claim) is not None


def redemption_json(entry: dict[str, Any]) -> dict[str, Any]:
    return {"redemption_id": entry["source"]["id"], "points": -entry["points"], "reason": entry["reason"],
            "status": "completed", "created_at": entry["occurred_at"], "entry": entry}  # fmt: skip


def reverse(
    member_id: str, redemption_id: str, reason: str | Phrase, key: IdempotencyKey | None,
    alongside: Transaction | None = None, require: Requirement | None = "present",
    known: RedemptionRecord | None = None,
) -> Outcome:  # fmt: skip
    """Give a redemption's points back to the lots they came from, exactly once; its event names the store where
    they were spent, so that store's figures take them back. ``alongside`` commits with it (a consumer's marker);
    ``require`` None gives them back whatever became of the member (a refund owes them); ``known``: the redemption as
    its caller read it (its status is the write's condition either way)."""
    why = reason if isinstance(reason, Phrase) else phrased(reason, REVERSED)
    redemption = known or RedemptionRecord.find(redemption_id)
    if redemption is None or redemption.member_id != member_id:
        raise NotFound(f"No redemption {redemption_id!r} for member {member_id!r}")
    draws = draws_of(json.loads(redemption.draws or "[]"))

    def plan(holdings: Holdings, booking: Booking, today: date) -> list[Posting]:
        booking.store_id = redemption.store_id
        if alongside is not None:
            booking.attachments.append(lambda tx: tx.extend(alongside))
        booking.attachments.append(lambda tx: tx.update(
            RedemptionRecord(redemption_id), [RedemptionRecord.status.set("reversed"),
                                              RedemptionRecord.reversed_at.set(clock.iso(clock.now()))],
            condition=RedemptionRecord.status == "completed",
            on_fail=AlreadyReversed(f"Redemption {redemption_id} was already reversed"),
        ))  # fmt: skip
        return [Posting(member_id, BOOK, int(redemption.points), "reverse", Source("redemption", redemption_id),
                        why, detail={"draws": dumped(draws)})]  # fmt: skip

    return _created(post(member_id, plan, claim=idempotency_claim(key), result=_main_entry, require=require))


def adjust(
    member_id: str, points: int, reason: str, key: IdempotencyKey | None, *, source_kind: str = "staff",
    source_id: str | None = None, expires_on: date | None = None, once: str | None = None,
    limit: Callable[[Transaction], None] | None = None, require: Requirement = "present",
) -> Outcome:  # fmt: skip
    """Credit (into a lot dated by the policy, or ``expires_on``) or debit (never below zero) points; ``limit`` is
    the count of the caller's credits that commits with it (a store's staff's day). A correction by hand reaches a
    frozen member too (``require`` present); a batch's credits need an active one.

    ``once`` names the operation for good (a bulk file's row): a second time is AlreadyApplied, however late.
    """
    by_policy = policy_expiry()
    source = Source(source_kind, source_id or current_origin().actor)

    def plan(holdings: Holdings, booking: Booking, today: date) -> list[Posting]:
        if limit is not None:
            booking.attachments.append(limit)
        if points > 0:
            return [credit(member_id, points, "adjust", source, reason, expires_on=expires_on or by_policy)]
        return [Posting(member_id, BOOK, points, "adjust", source, reason)]

    claim = Claim(f"points-op:{once}", once, conflict=AlreadyApplied()) if once else idempotency_claim(key)
    answer = post(member_id, plan, claim=claim, result=_main_entry, require=require)
    if once and answer.duplicate:
        raise AlreadyApplied()
    return _created(answer)


OPENING_REASON = Phrase("期初积分导入", "Opening points (migration)")
Lots = list[tuple[int, date | None]]  # a migrated balance: (points, expires on; None: never), one per old lot


def _opening_posting(member_id: str, lots: Lots, reason: str) -> Posting:
    detail = {"lots": dumped([Draw(expires_on, None, points) for points, expires_on in lots])}
    total = sum(points for points, _ in lots)
    return Posting(member_id, BOOK, total, "opening", Source("import", None), reason, detail=detail)


def _opening_claim(member_id: str) -> Claim:
    """A member's migrated balance is booked once, by whichever import comes first."""
    return Claim(f"points-opening:{member_id}", "opening", conflict=OpeningBalanceExists())


def open_balance(member_id: str, lots: Lots, reason: str) -> Outcome:
    """Migrate a balance from an old system: lots with their own expiry dates, once per member (a member whose
    import brought their points already has it)."""
    claim = _opening_claim(member_id)
    answer = post(member_id, lambda holdings, booking, today: [_opening_posting(member_id, lots, reason)],
                  claim=claim, result=_main_entry)  # fmt: skip
    if answer.duplicate:
        raise OpeningBalanceExists()
    return _created(answer)


@dataclass(frozen=True)
class Opening:
    """What a new member's registration opens their account with on the points book (a member import's
    ``points`` columns): its posting and the claim a later ``import-balances`` finds taken; its events are
    ``announce``'s, as any points entry's."""

    postings: list[Posting]
    claim: tuple[Claim, Callable[[Answer], dict[str, Any]]]


def opening(member_id: str, lots: Lots, reason: str = OPENING_REASON) -> Opening:
    """The opening of a member registered with a migrated balance (see ``Opening``)."""

    def result(answer: Answer) -> dict[str, Any]:
        entry = points_entry(answer)
        return entry_json(entry) if entry else {}

    return Opening([_opening_posting(member_id, lots, reason)], (_opening_claim(member_id), result))


# --- reads -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    available: int
    pending: int
    expiring: list[tuple[date, int]]
    lifetime_earned: int
    redeemed: int
    expired: int
    deducted: int
    debt: int


def account_of(member_id: str) -> Account:
    account: Account = ledger().holdings(member_id).state(member_id, BOOK)
    return account


def balance(member_id: str) -> Balance:
    """The member's points as of now: expired points are gone and matured pending points are available,
    whether or not the nightly jobs ran. Debt left by refunds is owed either way (later credits repay it
    first); ``LOYALTY_REFUND_POLICY=negative-balance`` shows it as a negative ``available``, ``debt`` beside a
    zero ``available`` otherwise. One read (two for a member without an account yet)."""
    holdings = ledger().holdings(member_id)
    if holdings.accounts[member_id].rev is None:
        status = members.status_of(member_id)
        if status is None or status == Status.ERASED:
            raise NotFound(f"No member {member_id!r}")
    return balance_of(holdings.state(member_id, BOOK))


def balance_of(account: Account) -> Balance:
    today = clock.business_today()
    unbooked = sum(lot.points for lot in account.lots if lot.expired(today))
    available = account.available(today)
    if get_settings().refund_policy == "negative-balance":
        available -= account.debt  # the debt shows as a negative balance rather than beside it
    return Balance(
        available=available, pending=account.pending(today), expiring=account.expiring(today),
        lifetime_earned=account.earned, redeemed=account.redeemed, expired=account.expired + unbooked,
        deducted=account.deducted, debt=account.debt,
    )  # fmt: skip


INTERNAL_SOURCES = frozenset({"staff", "import"})  # their ids name a staff member or a file


def ledger_page(member_id: str, limit: int, cursor: str | None, *, for_member: bool = False
                ) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """The member's entries, newest first, with who booked each (``recorded_by``: `staff:<id>`, a partner, `system`).
    The member themself sees that staff or an import booked an entry, not who or which file (``source.id`` and
    ``recorded_by`` null)."""
    scope = f"points-ledger|{member_id}"
    position = decode_cursor(scope, cursor)
    entries, after = ledger().page(member_id, BOOK, limit, position["seq"] if position else None, consistent=False)
    items = [{**entry_json(entry), "recorded_by": None if for_member else entry.actor} for entry in entries]
    if for_member:
        items = [{**e, "source": {**e["source"], "id": None}} if e["source"]["kind"] in INTERNAL_SOURCES else e
                 for e in items]  # fmt: skip
    return items, encode_cursor(scope, {"seq": after} if after else None)
