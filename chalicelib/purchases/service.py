"""Purchases and refunds from partners, scored by the earn rules in force, booked on the points ledger.

A purchase is one post of the member's books: its points, growth and any upgrade, with the purchase record
and its event, claimed once for good by partner and order id. A repeat with the same body (as canonical
JSON) answers the first answer with ``duplicate: true``, another body 409. A refund is the same shape claimed
by its refund id, and also moves the order's refunded amounts under a condition on what it read, so two
refunds of one order cannot both spend the same money.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from chalicelib.identity.access import Caller
from chalicelib.identity.rules import StaffGrant
from chalicelib.ledger.dynamo import RecordKeeper
from chalicelib.ledger.engine import Holdings
from chalicelib.ledger.model import Answer, Claim, Entry, Posting
from chalicelib.ledger.model import Source as EntrySource
from chalicelib.ledger.registry import ledger
from chalicelib.ledger.store import StoredClaim
from chalicelib.members import service as members
from chalicelib.members.model import Source
from chalicelib.members.model import Status as MemberStatus
from chalicelib.members.schemas import MemberCreate
from chalicelib.membership.book import MEMBERSHIP
from chalicelib.points import rules as points_rules
from chalicelib.points import service as points
from chalicelib.points.book import BOOK as POINTS
from chalicelib.purchases import history, rules
from chalicelib.purchases.book import ORDER, order_holder
from chalicelib.purchases.records import EarnRulesRecord, PurchaseRecord, RefundRecord
from chalicelib.purchases.rules import EarnRules, Line
from chalicelib.purchases.schemas import (
    CLOCK_SKEW,
    CounterPurchase,
    CounterRefund,
    MemberRef,
    Purchase,
    Refund,
    RulesIn,
)
from chalicelib.shared import clock
from chalicelib.shared.cache import Cached
from chalicelib.shared.context import current_origin
from chalicelib.shared.db import Record, Transaction
from chalicelib.shared.errors import (
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    NotFound,
    Unavailable,
    ValidationFailed,
)
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.idempotency import IdempotencyKey
from chalicelib.shared.ids import COUNTER
from chalicelib.shared.phrases import Phrase
from chalicelib.shared.settings import get_settings
from chalicelib.shared.validity import ExpiryPolicy
from chalicelib.shared.versions import append_version
from chalicelib.stores.service import not_open, require_partners, store_exists
from chalicelib.tiers import programmes
from chalicelib.tiers.rules import Programme
from chalicelib.tiers.service import Progress, tier_in, tier_with_benefits

RULES_CACHE_SECONDS = 30.0
RULES_SCOPE = "earn"
EARNED, GROWN = Phrase("消费积分", "Purchase"), Phrase("消费成长值", "Purchase")  # an order's points and growth
RESCORED_BY_REFUND = (  # an order rescored at the tier a refund left (its own entry's reason, the points')
    Phrase("退款撤销等级：订单按新等级重算", "Tier undone by a refund: order rescored at the new tier"),
    Phrase("退款撤销等级倍率积分", "Tier undone by a refund: its multiplier's points taken back"),
)
RESCORED_BY_CARD = (  # and one rescored without a cancelled card's multiplier
    Phrase("退卡：订单不按会员卡倍率重算", "Card cancelled: order rescored without its multiplier"),
    Phrase("退卡撤销会员卡倍率积分", "Card cancelled: its multiplier's points taken back"),
)
CARD_BIRTHDAY_BACK = Phrase("退卡撤销会员卡等级生日礼积分", "Card cancelled: its tier's birthday points taken back")


class OrderConflict(Conflict):
    slug, title = "order-conflict", "This order id was reported before with other content"


class RefundConflict(Conflict):
    slug, title = "refund-conflict", "This refund id was reported before with other content"


class MemberNotEligible(ValidationFailed):
    slug, title = "member-not-eligible", "The member cannot earn points"

    def __init__(self, detail: str) -> None:
        super().__init__([{"field": "member", "in": "body", "message": detail}], detail)


class _Duplicate(Exception):
    """A repeat of a booked order found before its post (``answer``: the first answer)."""

    def __init__(self, answer: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.answer = answer


def body_hash(model: Purchase | Refund) -> str:
    return body_hash_of(_without_unsaid(model.model_dump(mode="json")))


def _without_unsaid(body: dict[str, Any]) -> dict[str, Any]:
    """A body as its fingerprint reads it: ``other_method`` and a line's ``name`` and ``paid_fen`` left out when not
    said, so a body sent before they existed is the same body after."""
    said = {name: value for name, value in body.items() if not (name == "other_method" and value is None)}
    if said.get("items"):
        said["items"] = [{name: value for name, value in item.items()
                          if not (name in ("name", "paid_fen") and value is None)}
                         for item in said["items"]]  # fmt: skip
    return said


def body_hash_of(body: dict[str, Any]) -> str:
    """The fingerprint of a request body as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- earn rules ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RulesVersion:
    version: int
    effective_from: datetime
    document: RulesIn
    rules: EarnRules
    created_at: str
    created_by: str


def _load_versions() -> list[RulesVersion]:
    return [_version(record) for record in EarnRulesRecord.query(RULES_SCOPE)]


_versions = Cached(_load_versions, RULES_CACHE_SECONDS)


def versions() -> list[RulesVersion]:
    """Every rules version, oldest first; read at most every ``RULES_CACHE_SECONDS`` per process."""
    return _versions.get()


def forget_rules() -> None:
    _versions.forget()


def _version(record: EarnRulesRecord) -> RulesVersion:
    document = RulesIn.model_validate_json(record.document)
    return RulesVersion(int(record.version), datetime.fromisoformat(record.effective_from), document,
                        document.to_rules(), record.created_at, record.created_by)  # fmt: skip


@functools.cache
def default_rules() -> RulesVersion:
    """The rules in force before any version is published (made on first use, not at import)."""
    document = RulesIn()
    return RulesVersion(0, datetime(2000, 1, 1, tzinfo=UTC), document, document.to_rules(), "", "default")


def rules_at(instant: datetime, known: list[RulesVersion] | None = None) -> RulesVersion:
    """The version in force at ``instant``: the latest ``effective_from`` not after it (then the latest
    version number); before any version, the defaults (1 point per CNY)."""
    in_force = [v for v in (known if known is not None else versions()) if v.effective_from <= instant]
    return max(in_force, key=lambda v: (v.effective_from, v.version), default=default_rules())


def rules_version(number: int) -> RulesVersion:
    if number == 0:
        return default_rules()
    found = next((v for v in versions() if v.version == number), None)
    if found is None:
        forget_rules()
        found = next((v for v in versions() if v.version == number), None)
    assert found is not None, f"rules version {number} is missing"
    return found


def publish(document: RulesIn, by: str) -> RulesVersion:
    """Add a version; it applies to purchases from its ``effective_from`` (default now)."""
    effective = document.effective_from or clock.now()
    written: list[EarnRulesRecord] = []

    def write(number: int) -> Transaction:
        record = EarnRulesRecord(
            RULES_SCOPE, number, document=document.model_dump_json(exclude={"effective_from"}),
            effective_from=clock.iso(effective), created_at=clock.iso(clock.now()), created_by=by,
        )  # fmt: skip
        written[:] = [record]
        tx = Transaction()
        tx.put(record, condition=EarnRulesRecord.version.does_not_exist(), on_fail=_Duplicate())
        emit(tx, new_event("points.rules-published", f"earn-rules/{number}", {
            "version": number, "effective_from": clock.iso(effective),
        }))  # fmt: skip
        return tx

    append_version(lambda: max((v.version for v in _fresh_versions()), default=0), write, _Duplicate,
                   "Rules are being published concurrently; retry")  # fmt: skip
    forget_rules()
    return _version(written[0])


def _fresh_versions() -> list[RulesVersion]:
    forget_rules()
    return versions()


def with_tier_multiplier(earn_rules: EarnRules, programme: Programme, tier: str) -> EarnRules:
    """The earn rules with the tier's points multiplier from the programme's benefits, unless the earn rules
    name the tier themselves (theirs wins)."""
    if tier in earn_rules.tier_multipliers or not programme.knows(tier):
        return earn_rules
    multiplier = Decimal(str(programme.tier(tier).benefits.get("points_multiplier", 1)))
    if multiplier == 1:
        return earn_rules
    return replace(earn_rules, tier_multipliers={**earn_rules.tier_multipliers, tier: multiplier})


def with_card_multiplier(
    earn_rules: EarnRules, holdings: Holdings, member_id: str, tier: str, today: date, *, every_card: bool = False,
    excluding: str | None = None, store_id: str | None = None,
) -> EarnRules:  # fmt: skip
    """The earn rules with the member's paid cards' multiplier combined with the ``tier``'s (the best applies; those
    that stack multiply), read from the account the purchase read anyway; with ``every_card``, every card the member
    holds or held counts (a rescoring, which never takes back what a card gave); a card of other stores than the
    purchase's (``store_id``, 单店卡) adds nothing. A member without cards earns with the
    tier's, and the membership service (its plans and their schemas) is not imported for them: most purchases, and
    on a cold start about 50 ms of CPU on the slow machine."""
    if not holdings.state(member_id, MEMBERSHIP).cards:
        return earn_rules
    from chalicelib.membership.service import points_multiplier

    current = earn_rules.tier_multipliers.get(tier, Decimal(1))
    combined = points_multiplier(holdings, member_id, current, today, tier, every_card=every_card, excluding=excluding,
                                 store_id=store_id)  # fmt: skip
    if combined == current:
        return earn_rules
    return replace(earn_rules, tier_multipliers={**earn_rules.tier_multipliers, tier: combined})


# --- purchases -------------------------------------------------------------------------------------------------


def _lines(purchase: Purchase) -> list[Line]:
    if not purchase.items:
        return [rules.whole_order(purchase.total_fen)]
    return [Line(i.line_id, i.sku, i.category, i.brand, i.quantity, i.amount_fen) for i in purchase.items]


def _names(purchase: Purchase) -> list[str | None]:
    """The lines' product names as reported (none for an order reported without lines)."""
    return [item.name for item in purchase.items] or [None]


def record_purchase(
    partner: Caller, purchase: Purchase, digest: str | None = None,
    alongside: Callable[[Transaction], None] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Score and book a purchase once; a repeat answers the first answer (or 409 for other content). ``digest`` is
    its content when not the whole purchase (the counter's, whose time the platform stamps); ``alongside`` adds a
    write that must commit with it (a cashier's day of counter sales). A store closed since still answers a
    repeat."""
    require_partners(partner, purchase.store_id)
    order_key, digest = f"{partner.id}#{purchase.order_id}", digest or body_hash(purchase)
    if (why := not_open(purchase.store_id)) is not None:
        if (first := ledger().replay(_order_claim(order_key, digest))) is not None:
            return {**first.result, "duplicate": True}
        raise ValidationFailed([{"field": "store_id", "in": "body", "message": why}], why)
    try:
        member_id = _member_of(partner, purchase.member, purchase.store_id, _order_claim(order_key, digest))
    except _Duplicate as repeat:
        return {**(repeat.answer or {}), "duplicate": True}
    version = rules_at(purchase.occurred_at)
    lines = _lines(purchase)
    shares = [int(item.paid_fen) for item in purchase.items if item.paid_fen is not None] or rules.spread(
        purchase.paid_fen, [line.amount_fen for line in lines]
    )  # the lines' own, or the order's in proportion
    programme = programmes.programme()
    growth = programme.growth.for_paid(purchase.paid_fen)
    expires_on, available_on = points.policy_dates(purchase.occurred_at)
    progress = Progress(growth, purchase.paid_fen, clock.business_date(purchase.occurred_at, get_settings().tz),
                        "order", purchase.order_id, GROWN, cause=order_key)  # fmt: skip
    source = EntrySource("order", purchase.order_id)
    scored: dict[str, Any] = {}

    def plan(holdings: Holdings, booking: points.Booking, today: date) -> list[Posting]:
        tier = points.tier_of(holdings, member_id)
        earn_rules = with_card_multiplier(with_tier_multiplier(version.rules, programme, tier), holdings, member_id,
                                          tier, today, store_id=purchase.store_id)  # fmt: skip
        score = rules.score(earn_rules, lines, shares, [line.quantity for line in lines], purchase.occurred_at, tier)
        scored.update(total=score.total, tier=tier, multiplier=earn_rules.tier_multipliers.get(tier))
        booking.store_id = purchase.store_id
        if alongside is not None:
            booking.attachments.append(alongside)
        booking.events.append(new_event("purchase.recorded", f"member/{member_id}", {
            "member_id": member_id, "partner_id": partner.id, "order_id": purchase.order_id,
            "store_id": purchase.store_id, "paid_fen": purchase.paid_fen, "total_fen": purchase.total_fen,
            "points": score.total, "tier": tier, "payment_method": purchase.payment_method,
            "ordered_at": clock.iso(purchase.occurred_at),  # when members buy (时段), as the till says
            "categories": rules.by_category(lines, shares, [line.quantity for line in lines]),  # what they buy (品类)
        }))  # fmt: skip
        earned = [points.credit(member_id, score.total, "earn", source, EARNED, expires_on=expires_on,
                                available_on=available_on)] if score.total > 0 else []  # fmt: skip
        return [*earned, *points.with_progress(holdings, booking, progress, today)]

    def entry_of(answer: Answer) -> Entry | None:
        return next((e for e in answer.entries if e.book == POINTS and e.source == source), None)

    def result(answer: Answer, booking: points.Booking) -> dict[str, Any]:
        entry = entry_of(answer)
        awarded = scored["total"] if entry is not None else 0
        return {"order_id": purchase.order_id, "member_id": member_id, "points_awarded": awarded,
                "pending_points": awarded if get_settings().points_pending_days else 0,
                "upgrade_gift_points": _beside(answer, member_id, source),
                "ledger_entry_id": entry.entry_id if entry else None}  # fmt: skip

    def record_of(claim: StoredClaim) -> PurchaseRecord:
        awarded = int(claim.result["points_awarded"])
        return PurchaseRecord(
            order_key, partner_id=partner.id, order_id=purchase.order_id, member_id=member_id,
            store_id=purchase.store_id, occurred_at=clock.iso(purchase.occurred_at), currency=purchase.currency,
            total_fen=purchase.total_fen, paid_fen=purchase.paid_fen, payment_method=purchase.payment_method,
            other_method=purchase.other_method,
            lines=json.dumps([[line.line_id, line.sku, line.category, line.brand, line.quantity, line.amount_fen,
                               share, name] for line, share, name in zip(lines, shares, _names(purchase), strict=True)],
                             ensure_ascii=False),
            body_hash=claim.content, rules_version=version.version, tier=scored["tier"], points_awarded=awarded,
            upgrade_gift_points=int(claim.result.get("upgrade_gift_points", 0)),
            tier_multiplier=str(scored["multiplier"]) if scored["multiplier"] else None, growth_awarded=growth,
            pending_points=int(claim.result["pending_points"]), ledger_entry_id=claim.result["ledger_entry_id"],
            ledger_entries=json.dumps([list(key) for key in claim.entries]), created_at=clock.iso(clock.now()),
            recorded_by=current_origin().actor if partner.id == COUNTER else None,
        )  # fmt: skip

    claim = _order_claim(order_key, digest, record_of)
    try:
        answer = points.post(member_id, plan, claim=claim, require="active", result=result)
    except (NotFound, points.MemberNotActive) as e:
        raise MemberNotEligible(e.detail) from None
    return {**answer.result, "duplicate": answer.duplicate}


def _order_claim(order_key: str, digest: str, record_of: Callable[[StoredClaim], Record] | None = None) -> Claim:
    """An order's claim, kept by its purchase record (no claim item of its own): once per partner and order id, for
    good; other content under the order id is 409 ``order-conflict``."""
    keeper = RecordKeeper(PurchaseRecord, order_key, _first_answer, record_of)
    return Claim(f"order:{order_key}", digest, keeper=keeper,
                 conflict=OrderConflict("This order id was reported before with other content"))  # fmt: skip


def _first_answer(record: PurchaseRecord) -> dict[str, Any]:
    return {"order_id": record.order_id, "member_id": record.member_id, "points_awarded": int(record.points_awarded),
            "pending_points": int(record.pending_points), "upgrade_gift_points": int(record.upgrade_gift_points or 0),
            "ledger_entry_id": record.ledger_entry_id}  # fmt: skip


def _beside(answer: Answer, member_id: str, source: EntrySource) -> int:
    """What the member's points moved by beside the order's (or refund's) own entry: an upgrade's gift, or what the
    tier a refund undid had given, as a positive number."""
    moved = sum(e.amount for e in answer.entries if e.book == POINTS and e.holder == member_id and e.source != source)
    return abs(moved)


def bi_details(orders: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """What the BI export adds to purchases, by (partner id, order id): the growth value they brought and their lines
    (each with its share of what was paid), in one batch read per hundred."""
    keys = sorted({f"{partner_id}#{order_id}" for partner_id, order_id in orders})
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for record in PurchaseRecord.batch_get(keys) if keys else []:
        found[(record.partner_id, record.order_id)] = {
            "growth": int(record.growth_awarded or 0),
            "lines": history.lines_of(record),
        }
    return found


class CounterPurchasesOff(Forbidden):
    slug, title = "counter-purchases-off", "Purchases are not recorded at the counter in this chain"


_AT_THE_COUNTER = Caller("partner", COUNTER, StaffGrant(frozenset(), frozenset()))  # every store; enrols nobody


def record_at_counter(
    member_id: str, purchase: CounterPurchase, alongside: Callable[[Transaction], None] | None = None,
    line_discounts: list[int] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A purchase a cashier records at the till (消费记账) for any member of the chain: scored and booked exactly as
    a partner's, at the moment it is first booked (the platform's clock, never the till's: an earlier day would
    choose other rules, tier windows and cards), once per till order (its order number, unique in the chain: a repeat
    answers the first answer, other content is 409 ``order-conflict``). An unknown or erased member is 404, a frozen
    one 422 ``member-not-eligible``. ``line_discounts``: what the order's coupons took off each line, which come off
    those lines alone (``rules.paid_by_line``); the repeat of a sale is known by its request, whatever they were."""
    if not get_settings().counter_purchases:
        raise CounterPurchasesOff("This chain's tills report their purchases: the counter records none")
    digest = body_hash_of({"member_id": member_id, **_without_unsaid(purchase.model_dump(mode="json"))})
    booked = purchase.as_purchase(member_id, clock.now())
    if line_discounts and any(line_discounts) and purchase.items and all(i.paid_fen is None for i in purchase.items):
        amounts = [item.amount_fen for item in purchase.items]
        paid = rules.paid_by_line(purchase.paid_fen, amounts, line_discounts)
        lines = [item.model_copy(update={"paid_fen": share}) for item, share in zip(purchase.items, paid, strict=True)]
        booked = booked.model_copy(update={"items": lines})
    try:
        return record_purchase(_AT_THE_COUNTER, booked, digest, alongside)
    except MemberNotEligible:
        if members.status_of(member_id) in (None, MemberStatus.ERASED):
            raise NotFound(f"No member {member_id!r}") from None
        raise


def counter_order(member_id: str, order_id: str) -> dict[str, Any] | None:
    """The member's order recorded at the counter, as the purchase history shows it; None for none."""
    record = PurchaseRecord.find(f"{COUNTER}#{order_id}")
    return history.purchase_json(record) if record is not None and record.member_id == member_id else None


class OrderRecorded(ValidationFailed):
    """The counter recorded the sale of this till order: it is closed to new payments and coupon uses."""

    def __init__(self, what: str) -> None:
        detail = f"this order's sale is recorded (消费记账): {what} before the sale is recorded"
        super().__init__([{"field": "order_id", "in": "body", "message": detail}], detail)


def counter_order_open(order_id: str, what: str) -> Callable[[Transaction], None]:
    """The condition a write on a till order commits with: no sale recorded under it (``OrderRecorded``, saying
    ``what`` is done first, otherwise). A condition, not a read: it costs no request."""
    key = f"{COUNTER}#{order_id}"
    return lambda tx: tx.check(PurchaseRecord, key, condition=PurchaseRecord.order_key.does_not_exist(),
                               on_fail=OrderRecorded(what))  # fmt: skip


def counter_order_recorded(order_id: str) -> bool:
    """Whether the counter recorded a sale under this till order number (unique in the chain), whoever's it is."""
    return PurchaseRecord.find(f"{COUNTER}#{order_id}") is not None


def counter_order_refunded_whole(order_id: str, on_fail: Exception) -> Callable[[Transaction], None]:
    """The condition a write on a till order commits with: the counter recorded no sale under it, or refunded all of
    that sale (``on_fail`` otherwise; a sale paid nothing, its coupons paying it all, is never refunded: a probe took
    its coupon back at once and used it again). A condition, not a read: it costs no request."""
    key = f"{COUNTER}#{order_id}"
    refunded = (PurchaseRecord.refunded_fen >= PurchaseRecord.paid_fen) & (PurchaseRecord.refunded_fen > 0)
    whole = PurchaseRecord.order_key.does_not_exist() | refunded  # a sale paid nothing was never refunded (a probe)
    return lambda tx: tx.check(PurchaseRecord, key, condition=whole, on_fail=on_fail)


def refund_at_counter(
    caller: Caller, member_id: str, order_id: str, refund: CounterRefund, key: IdempotencyKey
) -> dict[str, Any]:
    """Money given back at a till (any store of the chain) on an order the counter recorded for this member (another
    order is 404: a partner's is refunded through its webhook): the points and growth value the refunded part earned
    go back as a partner's refund takes them, once per Idempotency-Key (a retry answers its first answer, whatever
    the caller's stores became since). The till is ``store_id``, else the caller's only store, else the sale's; it
    must be a store of the chain and one of a store-scoped caller's (422). Its store's journal of refunds lists the
    refund with who gave it, whichever store made the sale (whose figures keep it)."""
    refund_id = "rf_" + hashlib.sha256(f"{key.caller}\n{key.key}".encode()).hexdigest()[:26]
    till = None
    if RefundRecord.find(f"{COUNTER}#{refund_id}") is None:
        purchase = PurchaseRecord.find(f"{COUNTER}#{order_id}")
        if purchase is None or purchase.member_id != member_id:
            raise NotFound(f"No order {order_id!r} recorded at the counter for this member")
        only = next(iter(caller.stores)) if len(caller.stores) == 1 else None
        till = refund.store_id or only or str(purchase.store_id)
        if refund.store_id is not None and not store_exists(refund.store_id):
            raise ValidationFailed([{"field": "store_id", "in": "body", "message": "no store of the chain"}])
        caller.require_trading_at(till, "store_id")
    reused = IdempotencyKeyReused("This Idempotency-Key was used with a different request")
    return record_refund(_AT_THE_COUNTER, refund.as_refund(refund_id, order_id, clock.now()), reused,
                         key.request_hash, till_store=till)  # fmt: skip


def _member_of(partner: Caller, ref: MemberRef, store_id: str, claim: Claim) -> str:
    """The member a purchase names. An unknown phone joins when the partner may enrol members (home store:
    the purchase's store); otherwise, and for unknown member numbers, 422. A repeat of a booked order never
    enrols anyone, even if its phone has no member any more (``_Duplicate``: the engine's replay of its claim
    gives the first answer, or the conflict of other content)."""
    found = ref.member_id or members.holder(phone=ref.phone, member_no=ref.member_no)
    if found is not None:
        return found
    if (first := ledger().replay(claim)) is not None:
        raise _Duplicate(first.result)
    from chalicelib.identity.partners import enrols_members

    if ref.phone is None or not enrols_members(partner.id):
        raise MemberNotEligible("No member with that phone or member number")
    data = MemberCreate(name=f"会员{ref.phone[-4:]}", phone=ref.phone, source=Source.STORE, home_store_id=store_id)
    try:
        return members.join(data)
    except ValidationFailed as e:
        raise MemberNotEligible("; ".join(problem["message"] for problem in e.extensions.get("errors", []))
                                or e.detail) from None  # fmt: skip


def member_for_partner(partner: Caller, ref: MemberRef) -> str:
    """The member an activity report names; a partner scoped to stores reaches only their members (403)."""
    member_id = ref.member_id or members.holder(phone=ref.phone, member_no=ref.member_no)
    if member_id is None:
        raise MemberNotEligible("No member with that phone or member number")
    known = partner.stores and members.status_of(member_id) is not None
    if known and not partner.covers_store(members.home_store_of(member_id)):
        raise Forbidden("The member's home store is not one of this partner's stores")
    return member_id


# --- refunds ---------------------------------------------------------------------------------------------------


def record_refund(
    partner: Caller, refund: Refund, conflict: Exception | None = None, digest: str | None = None,
    till_store: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Claw back the points and growth of the refunded part, once per refund id (see ``rules`` for how much); the
    refund id again with other content (``digest``: its content, when not the whole refund) raises ``conflict``
    (default 409 ``refund-conflict``).

    One post: the fen refunded on the order's book, the claw-back on the member's books, the refund record.
    It is planned on what earlier refunds of the order left (read with the member's books), so a concurrent
    refund of the same order makes this one re-plan rather than spend the same money twice."""
    refund_key, digest = f"{partner.id}#{refund.refund_id}", digest or body_hash(refund)
    purchase = PurchaseRecord.find(f"{partner.id}#{refund.order_id}")
    if purchase is None:
        raise NotFound(f"No order {refund.order_id!r} from this partner (yet)")
    if refund.occurred_at < datetime.fromisoformat(purchase.occurred_at) - CLOCK_SKEW:
        detail = "A refund cannot happen before its order"
        raise ValidationFailed([{"field": "occurred_at", "in": "body", "message": detail}], detail)
    lines, shares = _stored_lines(purchase)
    version_rules = rules_version(int(purchase.rules_version)).rules
    member_id, order, paid = purchase.member_id, order_holder(purchase.order_key), int(purchase.paid_fen)
    occurred_on = clock.business_date(datetime.fromisoformat(purchase.occurred_at), get_settings().tz)
    source = EntrySource("refund", refund.refund_id)
    kept: dict[str, Any] = {}
    others: _LaterOrders | None = None  # read when the refund undoes an upgrade: the orders placed at its tier

    def plan(holdings: Holdings, booking: points.Booking, today: date) -> list[Posting]:
        before = holdings.state(order, ORDER)
        tier = before.get("tier", purchase.tier)  # a refund that undid the tier this order earned at rescored it
        earn_rules = _earning(version_rules, tier, before.get("multiplier", purchase.tier_multiplier))
        before_fen = [int(before["lines"].get(line.line_id, [0, 0])[0]) for line in lines]
        before_qty = [int(before["lines"].get(line.line_id, [0, 0])[1]) for line in lines]
        this_fen, this_qty = _refund_split(refund, lines, shares, before_fen, before_qty)
        after_fen = [a + b for a, b in zip(before_fen, this_fen, strict=True)]
        after_qty = [a + b for a, b in zip(before_qty, this_qty, strict=True)]
        ordered_at = datetime.fromisoformat(purchase.occurred_at)
        remaining = rules.remaining_score(earn_rules, lines, shares, after_fen, after_qty, ordered_at, tier).total
        claw = max(0, int(purchase.points_awarded) - int(before["points"]) - remaining)
        last_day = points.policy_dates(ordered_at)[0]
        if last_day is not None and last_day < today:  # the order's points are past their last day: none left of
            claw = 0  # them to take back (what was not spent expired; another order's points are not taken)
        growth_left = int(purchase.growth_awarded) * (paid - sum(after_fen)) // paid if paid else 0
        growth_back = int(purchase.growth_awarded) - int(before["growth"]) - growth_left
        kept.update(
            claw=claw,
            this={
                line.line_id: [this_fen[i], this_qty[i]] for i, line in enumerate(lines) if this_fen[i] or this_qty[i]
            },
        )
        refunded = {line.line_id: [after_fen[i], after_qty[i]] for i, line in enumerate(lines)
                    if after_fen[i] or after_qty[i]}  # fmt: skip
        clawed_points, clawed_growth = int(before["points"]) + claw, int(before["growth"]) + growth_back
        after = {**before, "lines": refunded, "points": clawed_points, "growth": clawed_growth}
        P = PurchaseRecord  # a copy for the consumption history; the order's book is what refunds plan on
        booking.attachments.append(lambda tx: tx.update(P(purchase.order_key), [
            P.refunded.set(json.dumps(refunded)), P.refunded_fen.set(sum(after_fen)),
            P.points_clawed_back.set(clawed_points), P.growth_clawed_back.set(clawed_growth),
        ]))  # fmt: skip
        booking.store_id = purchase.store_id  # the order's store
        booking.events.append(new_event("refund.recorded", f"member/{member_id}", {
            "member_id": member_id, "partner_id": partner.id, "order_id": refund.order_id,
            "refund_id": refund.refund_id, "store_id": purchase.store_id, "amount_fen": refund.amount_fen,
            "points": -claw, "payment_method": purchase.payment_method, "tier": purchase.tier,
            "whole": sum(after_fen) >= paid,  # the order is refunded whole now: what paid for it goes back
            "categories": rules.by_category(lines, this_fen, this_qty),  # what of each category came back
            **({"till_store_id": till_store} if till_store else {}),  # where a counter refund's money left
        }))  # fmt: skip
        order_id = refund.order_id  # which order: the ledger says what was taken back for what
        growth_why = Phrase(f"退款扣回成长值·订单 {order_id}", f"Growth taken back: refund of order {order_id}")
        progress = Progress(-growth_back, -sum(this_fen), occurred_on, "refund", refund.refund_id, growth_why,
                            cause=purchase.order_key, cause_at=purchase.created_at)  # fmt: skip
        points_why = Phrase(f"退款扣回积分·订单 {order_id}", f"Points taken back: refund of order {order_id}")
        clawed = [Posting(member_id, POINTS, -claw, "refund", source, points_why)] if claw else []
        tiered = points.with_progress(holdings, booking, progress, today)
        since = booking.advance.undone_since if booking.advance else ""
        if since and (others is None or others.since > since):
            raise _NeedLaterOrders(since)
        rescored = others.rescore(holdings, booking, since, source, today) if since and others else []
        postings = [Posting(order, ORDER, sum(this_fen), "refund", source, "退款", detail=after), *clawed, *tiered,
                    *rescored]  # fmt: skip
        account = holdings.state(member_id, POINTS)  # what the member owes once all of it is taken back
        taken = -sum(p.amount for p in postings if p.holder == member_id and p.book == POINTS and p.amount < 0)
        kept["debt_after"] = points_rules.claw_back(account, taken, today)[0].debt if taken else account.debt
        return postings

    def entry_id(answer: Answer) -> str | None:
        return next((e.entry_id for e in answer.entries if e.book == POINTS and e.source == source), None)

    def result(answer: Answer, booking: points.Booking) -> dict[str, Any]:
        return {"refund_id": refund.refund_id, "order_id": refund.order_id, "member_id": member_id,
                "points_clawed_back": kept["claw"], "tier_points_clawed_back": _beside(answer, member_id, source),
                "debt_after": kept["debt_after"], "ledger_entry_id": entry_id(answer)}  # fmt: skip

    def record_of(claim: StoredClaim) -> RefundRecord:
        return RefundRecord(
            refund_key, order_key=purchase.order_key, partner_id=partner.id, member_id=member_id,
            store_id=purchase.store_id, payment_method=purchase.payment_method,
            occurred_at=clock.iso(refund.occurred_at), amount_fen=refund.amount_fen, lines=json.dumps(kept["this"]),
            body_hash=claim.content, points_clawed_back=kept["claw"], debt_after=kept["debt_after"],
            tier_points_clawed_back=int(claim.result.get("tier_points_clawed_back", 0)),
            ledger_entry_id=claim.result["ledger_entry_id"], created_at=clock.iso(clock.now()),
            ledger_entries=json.dumps([list(key) for key in claim.entries]),
            till_store=till_store,
            recorded_by=current_origin().actor if till_store else None,
        )  # fmt: skip

    keeper = RecordKeeper(RefundRecord, refund_key, _first_refund_answer, record_of)
    conflict = conflict or RefundConflict("This refund id was reported before with other content")
    claim = Claim(f"refund:{refund_key}", digest, keeper=keeper, conflict=conflict)
    for _ in range(3):  # the first plan learns whether the refund undoes an upgrade; the orders since are read then
        try:
            answer = points.post(member_id, plan, claim=claim, require=None, result=result,
                                 holders=[order, *(others.holders if others else ())])  # fmt: skip
            return {**answer.result, "duplicate": answer.duplicate}
        except _NeedLaterOrders as need:
            others = _LaterOrders.since_upgrade(member_id, need.since, purchase.order_key)
    raise Unavailable("The member's tier is changing concurrently; retry", retry_after=1)


class _NeedLaterOrders(Exception):
    """A refund's plan undid an upgrade made at ``since`` (ISO): the orders recorded since are to be read with it."""

    def __init__(self, since: str) -> None:
        super().__init__(since)
        self.since = since


def _earning(version_rules: EarnRules, tier: str, multiplier: str | None) -> EarnRules:
    """The earn rules an order is scored with: its version's, with the multiplier it earned with at ``tier``."""
    if not multiplier:
        return version_rules
    return replace(version_rules, tier_multipliers={**version_rules.tier_multipliers, tier: Decimal(multiplier)})


RESCORED_ORDERS = (
    18  # later orders one refund rescores: four items each (the order's book, its record, an entry, its event)
)


@dataclass(frozen=True)
class _LaterOrders:
    """The member's orders recorded since the first upgrade a refund undid, earned with a multiplier.

    A purchase earns at the tier held when buying; a refund that takes that tier back shows it was never the
    member's to hold, so those orders keep only what they would have earned at the tier the refund leaves, with
    every paid card the member holds or held (never less than a card gave), the rest taken back as a claw-back (debt
    if spent). Their later refunds score at that tier too. An order whose points are past their last day keeps them.
    At most ``RESCORED_ORDERS`` orders, those holding the most points."""

    since: str
    records: tuple[PurchaseRecord, ...]

    @property
    def holders(self) -> list[str]:
        return [order_holder(record.order_key) for record in self.records]

    @classmethod
    def since_upgrade(cls, member_id: str, since: str, refunded: str) -> _LaterOrders:
        """Read from the member's purchases index, whatever the orders' dates (a till may report one long after): an
        order recorded in the last moment may be missed. A refund undoing an upgrade is rare, so is this read."""
        P = PurchaseRecord
        found = [record for record in P.by_member.query(member_id, filter_condition=P.created_at >= since)
                 if record.order_key != refunded and record.tier_multiplier and _points_held(record) > 0
                 and int(record.refunded_fen) < int(record.paid_fen)]  # fmt: skip
        found.sort(key=_points_held, reverse=True)
        return cls(since, tuple(found[:RESCORED_ORDERS]))

    def rescore(self, holdings: Holdings, booking: points.Booking, since: str, source: EntrySource, today: date
                ) -> list[Posting]:  # fmt: skip
        advance, programme = booking.advance, programmes.programme()
        assert advance is not None, "rescored only when a refund undid an upgrade"
        assert advance.change is not None, "rescored only when a refund undid an upgrade"
        tier, postings = advance.change.tier, []
        for record in self.records:
            held = holdings.state(order_holder(record.order_key), ORDER).get("tier", record.tier)
            known = programme.knows(held) and programme.knows(tier)
            if record.created_at < since or not known or programme.rank(held) <= programme.rank(tier):
                continue
            postings += _rescored(holdings, booking, record, tier, source, RESCORED_BY_REFUND, today)
        return postings


def _rescored(
    holdings: Holdings, booking: points.Booking, record: PurchaseRecord, tier: str, source: EntrySource,
    reasons: tuple[str, str], today: date, excluding: str | None = None,
) -> list[Posting]:  # fmt: skip
    """An order scored again at ``tier`` with every paid card the member holds or held (but ``excluding``): what it
    holds beyond that goes back as a claw-back from the order (debt if spent), the order's book remembering the tier
    and multiplier its later refunds score at (``reasons``: the order's entry's and the points'). None for an order
    whose points are past their last day, or that holds no more than it is entitled to."""
    holder, member_id = order_holder(record.order_key), booking.member_id
    state = holdings.state(holder, ORDER)
    ordered_at = datetime.fromisoformat(record.occurred_at)
    last_day = points.policy_dates(ordered_at)[0]
    if last_day is not None and last_day < today:
        return []
    ordered_on = clock.business_date(ordered_at, get_settings().tz)
    version_rules = rules_version(int(record.rules_version)).rules
    earning = with_card_multiplier(with_tier_multiplier(version_rules, programmes.programme(), tier), holdings,
                                   member_id, tier, ordered_on, every_card=True, excluding=excluding,
                                   store_id=record.store_id)  # fmt: skip
    lines, shares = _stored_lines(record)
    refunded = [state["lines"].get(line.line_id, [0, 0]) for line in lines]
    entitled = rules.remaining_score(earning, lines, shares, [int(r[0]) for r in refunded],
                                     [int(r[1]) for r in refunded], ordered_at, tier).total  # fmt: skip
    extra = int(record.points_awarded) - int(state["points"]) - entitled
    if extra <= 0:
        return []
    corrected = earning.tier_multipliers.get(tier)
    detail = {**state, "points": int(state["points"]) + extra, "tier": tier,
              "multiplier": str(corrected) if corrected else None}  # fmt: skip
    booking.attachments.append(_history_copy(record.order_key, int(detail["points"])))
    booking.stores[EntrySource("order", record.order_id)] = record.store_id  # its store's figures
    taken = Posting(member_id, POINTS, -extra, "refund", EntrySource("order", record.order_id), reasons[1])
    return [Posting(holder, ORDER, 0, "refund", source, reasons[0], detail=detail), taken]


def take_back_card_points(
    member_id: str, card_id: str, since: date, cancel_id: str, birthday_points: int = 0,
    alongside: Transaction | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """A paid card cancelled with all it was paid refunded counts as never held: what its points multiplier (its own,
    or its tier floor's) added to the orders placed since its cycle began goes back, each order rescored with every
    other card the member holds or held, as a claw-back (debt if spent) named for the order and its store; and so do
    the ``birthday_points`` its floor added to a birthday gift. Once per cancellation; at most ``RESCORED_ORDERS``
    orders, those holding the most points; an order whose points are past their last day keeps them. A card
    refunded in part keeps what it gave: the days used were paid for."""
    P = PurchaseRecord
    start = clock.iso(datetime.combine(since, datetime.min.time(), get_settings().tz))
    found = [record for record in P.by_member.query(member_id, filter_condition=P.occurred_at >= start)
             if record.tier_multiplier and _points_held(record) > 0
             and int(record.refunded_fen) < int(record.paid_fen)]  # fmt: skip
    if not found and birthday_points <= 0:
        return None
    found.sort(key=_points_held, reverse=True)
    records = found[:RESCORED_ORDERS]
    source = EntrySource("card-cancellation", cancel_id)

    def plan(holdings: Holdings, booking: points.Booking, today: date) -> list[Posting]:
        programme = programmes.programme()
        postings = [Posting(member_id, POINTS, -birthday_points, "refund", source, CARD_BIRTHDAY_BACK)
                    ] if birthday_points > 0 else []  # fmt: skip
        for record in records:
            tier = holdings.state(order_holder(record.order_key), ORDER).get("tier", record.tier)
            if programme.knows(tier):
                postings += _rescored(holdings, booking, record, tier, source, RESCORED_BY_CARD, today, card_id)
        if alongside is not None:
            booking.attachments.append(lambda tx: tx.extend(alongside))
        return postings

    claim = Claim(f"card-cancellation-points|{member_id}|{cancel_id}", card_id)
    answer = points.post(member_id, plan, claim=claim, require=None,
                         holders=[order_holder(record.order_key) for record in records],
                         result=lambda answer, booking: {"entries": len(answer.entries)})  # fmt: skip
    return {**answer.result, "duplicate": answer.duplicate}


def _stored_lines(record: PurchaseRecord) -> tuple[list[Line], list[int]]:
    """An order's lines as its record keeps them, and each line's share of what was paid."""
    raw = json.loads(record.lines)
    return [Line(l[0], l[1], l[2], l[3], int(l[4]), int(l[5])) for l in raw], [int(l[6]) for l in raw]  # noqa: E741


def _points_held(record: PurchaseRecord) -> int:
    """What an order's points are now, as its record's copy says (a rescoring chooses the orders holding most)."""
    return int(record.points_awarded) - int(record.points_clawed_back)


def _history_copy(order_key: str, points_taken: int) -> Callable[[Transaction], None]:
    """The consumption history's copy of what was taken back from an order's points."""
    P = PurchaseRecord
    return lambda tx: tx.update(P(order_key), [P.points_clawed_back.set(points_taken)])


def _first_refund_answer(record: RefundRecord) -> dict[str, Any]:
    return {"refund_id": record.refund_key.partition("#")[2], "order_id": record.order_key.partition("#")[2],
            "member_id": record.member_id, "points_clawed_back": int(record.points_clawed_back),
            "tier_points_clawed_back": int(record.tier_points_clawed_back or 0), "debt_after": int(record.debt_after),
            "ledger_entry_id": record.ledger_entry_id}  # fmt: skip


def _refund_split(refund: Refund, lines: list[Line], shares: list[int], before_fen: list[int], before_qty: list[int]
                  ) -> tuple[list[int], list[int]]:  # fmt: skip
    """Fen and units this refund gives back per line; 422 when it is more than is left to refund."""
    left = [share - done for share, done in zip(shares, before_fen, strict=True)]
    if refund.amount_fen > sum(left):
        detail = f"Only {sum(left)} fen of this order are left to refund"
        raise ValidationFailed([{"field": "amount_fen", "in": "body", "message": detail}], detail)
    if refund.items is None:  # units go back in proportion too (rounded down), so per-unit bonuses follow
        fen = rules.spread(refund.amount_fen, left)
        units_left = [line.quantity - done for line, done in zip(lines, before_qty, strict=True)]
        return fen, [units * f // paid if paid else 0 for units, f, paid in zip(units_left, fen, left, strict=True)]
    index = {line.line_id: i for i, line in enumerate(lines)}
    fen, qty, problems = [0] * len(lines), [0] * len(lines), []
    for n, item in enumerate(refund.items):
        i = index.get(item.line_id)
        if i is None:
            problems.append({"field": f"items.{n}.line_id", "in": "body", "message": "not a line of this order"})
            continue
        if item.amount_fen > left[i] or item.quantity > lines[i].quantity - before_qty[i]:
            problems.append({"field": f"items.{n}", "in": "body", "message": "more than is left of this line"})
            continue
        fen[i], qty[i] = item.amount_fen, item.quantity
    if problems:
        raise ValidationFailed(problems, "The refund's lines do not fit what is left of the order")
    return fen, qty


# --- preview ---------------------------------------------------------------------------------------------------


def preview(occurred_at: datetime | None, paid_fen: int, tier: str, lines: list[Line], draft: RulesIn | None,
            shares: list[int] | None = None) -> dict[str, Any]:  # fmt: skip
    """What a sample order would earn, rule by rule, with the rules in force then (or a draft); ``shares``: what
    each line was paid, when the sample says it (as a purchase may). Writes nothing."""
    at = occurred_at or clock.now()
    version = None if draft else rules_at(at)
    chosen = draft.to_rules() if draft else version.rules  # type: ignore[union-attr]
    chosen = with_tier_multiplier(chosen, programmes.programme(), tier)  # as a member of this tier would earn
    lines = lines or [rules.whole_order(paid_fen)]
    if shares:
        explained = rules.score(chosen, lines, shares, [line.quantity for line in lines], at, tier).explain()
    else:
        explained = rules.score_order(chosen, lines, paid_fen, at, tier).explain()
    return {"rules_version": version.version if version else None, **explained}


# --- the rules as members read them ----------------------------------------------------------------------------------

EXPIRY_WORDS = {  # the expiry policy as members read it, by its kind (zh, en)
    "rolling-days": ("积分自获得之日起{n}天内有效", "points last {n} days from the day they are earned"),
    "end-of-month": ("积分在获得后第{n}个月的月底过期", "points expire at the end of the month {n} months on"),
    "end-of-next-year": ("积分在获得次年的12月31日过期", "points expire on 31 December of the year after earning"),
    "never": ("积分永久有效", "points never expire"),
}  # fmt: skip


def rules_for_member(member_id: str, language: str) -> dict[str, Any]:
    """The earn rules in force now as the member reads them (积分规则): each rule in words with their multiplier (their
    tier's and their cards', as their purchases earn, named by the tier whose benefits they have), when points expire
    and what they pay at the till. One read of the member's account."""
    from chalicelib.catalog import service as catalog  # the member pages' read only: no purchase imports it

    settings, zh = get_settings(), language.startswith("zh")
    version = rules_at(clock.now())
    programme = programmes.programme()
    holdings = ledger().holdings(member_id)
    tier, shown = tier_in(holdings, member_id), tier_with_benefits(holdings, member_id)
    own = with_tier_multiplier(version.rules, programme, tier)  # as their purchases earn: tier and cards combined
    earn = with_card_multiplier(own, holdings, member_id, tier, clock.business_today())
    names, brands = catalog.category_names(zh), catalog.brand_names(zh)
    known = programme.tier(shown) if programme.knows(shown) else None  # a card's floor is the tier they are
    tier_name = (known.name_zh if zh else known.name_en) if known else shown
    lines = rules.in_words(
        earn, zh=zh, now=clock.now(), tier=tier, tier_name=tier_name, categories=names, brands=brands
    )
    policy = ExpiryPolicy.parse(settings.points_expiry)
    expiry = EXPIRY_WORDS[policy.kind][0 if zh else 1].format(n=policy.n)
    cash = None
    if settings.points_cash_max_percent and settings.point_value_fen > 0:
        per_yuan, share = Decimal(100) / settings.point_value_fen, settings.points_cash_max_percent
        if per_yuan == per_yuan.to_integral_value():  # 100积分抵1元; else what one point pays (0.7分: not 142.857…)
            rate = f"{rules.plain_number(per_yuan)}积分抵1元" if zh else f"{rules.plain_number(per_yuan)} points pay ¥1"
        else:
            fen = rules.plain_number(settings.point_value_fen)
            rate = f"每1积分抵{fen}分" if zh else f"a point pays {fen} fen"
        cash = f"门店消费时{rate}，每单最多抵{share}%" if zh else f"at the till {rate}, up to {share}% of an order"
    return {"version": version.version, "lines": lines, "expiry": expiry, "cash": cash}
