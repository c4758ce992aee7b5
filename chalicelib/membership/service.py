"""Paid membership use cases on the ledger engine: a card bought or renewed once per payment (a partner's webhook,
the member's stored value, or the plan's trial), automatic renewal switched, a card cancelled and refunded by its
plan's policy, the benefits a member has now (tier and cards combined), and a counted benefit used once per use id.

Every write is one ``Ledger.post`` on the member's account (where the cards and the uses are books), so two
cashiers recording the last use of a quota at once cannot both succeed: the loser re-plans on a fresh read and is
refused. Services return domain results, never HTTP statuses.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

from chalicelib.coupons import service as coupons
from chalicelib.identity.access import Caller
from chalicelib.identity.rules import Permission
from chalicelib.ledger.engine import Holdings
from chalicelib.ledger.model import Answer, Claim, Entry, Insufficient, Posting, Source
from chalicelib.ledger.registry import ledger, unclaimed_in
from chalicelib.ledger.store import HolderUnavailable
from chalicelib.members import service as members
from chalicelib.members.model import Status as MemberStatus
from chalicelib.membership import plans as plan_store
from chalicelib.membership import rules
from chalicelib.membership.book import MEMBERSHIP, USES, Cards, Uses
from chalicelib.membership.rules import Card, Combined, NotRenewable, Plan, PlanBenefit
from chalicelib.membership.schemas import CardCancellation, CounterCardSale, MembershipPayment
from chalicelib.shared import clock
from chalicelib.shared.crypto import lookup_hash
from chalicelib.shared.db import Transaction, together
from chalicelib.shared.errors import Conflict, DomainError, Forbidden, NotFound, Unavailable, ValidationFailed
from chalicelib.shared.events import Event, new_event
from chalicelib.shared.idempotency import IdempotencyKey
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.phrases import Phrase
from chalicelib.shared.settings import get_settings
from chalicelib.stores.service import not_open, require_partners, store_exists, store_name
from chalicelib.tiers import programmes
from chalicelib.tiers.rules import birthday_coupons_beyond
from chalicelib.tiers.service import tier_in
from chalicelib.wallet.rules import ONLINE_STORE

WALLET_PARTNER = "membership"  # the wallet payments for cards bought on the member pages
WALLET_STORE = ONLINE_STORE  # where the wallet statement books them: no store sold the card
USE_REVERSED = Phrase("撤销权益使用", "Use reversed")
CARD_REASONS = {  # a card's payment in the member's words
    "purchase": ("开通会员卡", "Card bought"), "renewal": ("续费会员卡", "Card renewed"),
    "auto-renewal": ("自动续费", "Renewed automatically"), "trial": ("免费试用", "Free trial"),
}  # fmt: skip


class PaymentConflict(Conflict):
    slug, title = "membership-payment-conflict", "This payment id was reported before with other content"


class _SoldBefore(PaymentConflict):
    """A card was sold under the order at the till before orders were the chain's (its claim keeps its store's id)."""


class CardNotFound(NotFound):
    slug, title = "card-not-found", "No such membership card"


class QuotaExhausted(Conflict):
    slug, title = "quota-exhausted", "No uses of this benefit are left this period"


class BenefitNotHeld(NotFound):
    slug, title = "benefit-not-held", "The member has no such counted benefit now"


class BenefitElsewhere(ValidationFailed):
    slug, title = "benefit-elsewhere", "The card is used at its own stores only"

    def __init__(self, source: rules.Source, store_id: str | None) -> None:
        stores = "、".join(store_name(store) or store for store in source.stores)
        detail = f"{source.name} is used at {stores} only (单店卡)" + ("" if store_id else ": name the store")
        super().__init__([{"field": "store_id", "in": "body", "message": detail}], detail)


class MemberUnavailable(NotFound):
    slug, title = "member-unavailable", "No such member, or the member is frozen"


class UseNotFound(NotFound):
    slug, title = "use-not-found", "No such benefit use"


class UseConflict(Conflict):
    slug, title = "use-conflict", "This use id was recorded before for another benefit"


class UseSettled(Conflict):
    slug, title = "use-settled", "The use's card was cancelled or bought again since: the use stands"


class CardNotRenewable(Conflict):
    slug, title = "card-not-renewable", "The card cannot take this payment"


class AutoRenewNotOffered(DomainError):
    slug, title, status = "auto-renew-not-offered", "The plan does not offer automatic renewal", 422


class CardNotCancellable(Conflict):
    slug, title = "card-not-cancellable", "The card is cancelled or lapsed already"


class RefundElsewhere(Forbidden):
    slug, title = "card-refund-elsewhere", "The refund gives back what another store took"


def _refunds_only_theirs(caller: Caller | None, card: Card, refund: rules.Refund) -> None:
    """Staff scoped to stores cancel only cards their stores were paid for: a card with money still standing from a
    payment taken at another store, or at none (the member pages, a partner's), is that store's or head office's to
    cancel, refunded or not (a review: another store's customer service refunded a counter sale's cash, which that
    store's journal then paid out; a later review: another store's manager cancelled one without refund, and the
    member lost its unused term)."""
    if caller is None or caller.kind != "staff" or not caller.stores:
        return
    taken_at = {payment.payment_id: payment.store_id for payment in card.payments}
    standing = [p.payment_id for p in card.payments if not p.settled and p.amount_fen > p.refunded_fen]
    elsewhere = [pid for pid in standing if not caller.covers_store(taken_at.get(pid) or "")]
    elsewhere += [pid for pid, fen in refund.parts if fen > 0 and not caller.covers_store(taken_at.get(pid) or "")]
    if elsewhere:
        if all(taken_at.get(pid) is None for pid in elsewhere):  # the member pages, a partner naming no store
            raise RefundElsewhere(
                "The card was paid at no store (the member pages or a partner's system): head office cancels it"
            )  # fmt: skip  (a walkthrough read "not one of yours")
        raise RefundElsewhere("The card was paid at a store that is not one of yours: that store or head office "
                              "cancels it")  # fmt: skip


class PaymentNotApplicable(ValidationFailed):
    slug, title = "payment-not-applicable", "The payment does not buy this plan"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__([{"field": field, "in": "body", "message": detail}], detail)


class MemberNotEligible(ValidationFailed):
    slug, title = "member-not-eligible", "The member cannot buy a card"

    def __init__(self, detail: str) -> None:
        super().__init__([{"field": "member", "in": "body", "message": detail}], detail)


# --- reading ---------------------------------------------------------------------------------------------------


def _cards(holdings: Holdings, member_id: str) -> Cards:
    cards: Cards = holdings.state(member_id, MEMBERSHIP)
    return cards


def card_json(member_id: str, card: Card, today: date) -> dict[str, Any]:
    plan = plan_store.find_or_none(card.plan_id)
    notice = rules.renewal_notice_on(card.valid_until) if card.auto_renew and card.valid_until else None
    sent = rules.notice_sent_on(card)
    return {
        "card_id": card.card_id, "member_id": member_id, "plan_id": card.plan_id,
        "plan_name": plan.name if plan else card.plan_id,
        "status": card.status(today), "started_on": card.started_on, "valid_until": card.valid_until,
        "grace_ends_on": card.grace_ends_on, "auto_renew": card.auto_renew, "renewal_notice_on": notice,
        "charge_not_before": sent + timedelta(days=rules.LEAST_NOTICE_DAYS) if sent else None,
        "cancelled_on": card.cancelled_on, "paid_fen": card.paid_fen,
        "payments": [{k: v for k, v in p.to_json().items() if k not in ("owed", "gaps", "by_use")}  # the book's own
                     for p in card.payments],
        "earlier_payments": {"count": card.earlier.count, "settled": card.earlier.settled_count,
                             "paid_fen": card.earlier.kept_fen},
        "stores": list(plan.stores) if plan else [],
        "pauses": [pause.to_json() for pause in card.pauses], "student_id": card.student_id,
    }  # fmt: skip


def cards_at_counter(holdings: Holdings, member_id: str, today: date) -> list[dict[str, Any]]:
    """The member's cards as the counter says them, newest first, from the account the caller read: the plan, its
    state now and its dates, so a cashier tells a lapsed card (续费) from one that never was."""
    cards = sorted(_cards(holdings, member_id).cards.values(), key=lambda card: card.started_on, reverse=True)
    return [{**{key: shown[key] for key in ("card_id", "plan_id", "plan_name", "status", "started_on", "valid_until",
                                            "grace_ends_on", "cancelled_on", "stores", "student_id")},
             "paused_until": next((q.last_day for q in card.pauses if q.first_day <= today <= q.last_day), None),
             "refundable_unused": rules.refunds_unused(card, plan_store.find_or_none(card.plan_id))}
            for card, shown in ((card, card_json(member_id, card, today)) for card in cards)]  # fmt: skip


def cards_of(member_id: str, *, for_member: bool = False) -> list[dict[str, Any]]:
    """The member's cards, newest first (404 for no such member); the member reads a pause's days, not the note staff
    typed for it (a review read 内部备注 on their pages)."""
    _require_member(member_id)
    today = clock.business_today()
    state = _cards(ledger().holdings(member_id), member_id)
    cards = sorted(state.cards.values(), key=lambda card: card.started_on, reverse=True)
    shown = [card_json(member_id, card, today) for card in cards]
    if for_member:
        shown = [{**card, "pauses": [{**pause, "reason": ""} for pause in card["pauses"]]} for card in shown]
    return shown


def students_cards(member_id: str) -> list[dict[str, Any]]:
    """The member's cards bought for students (学员): each card's id, plan name, student, and whether it still holds
    something of theirs (it runs, or lapsed its classes left are still refunded)."""
    today = clock.business_today()
    found = []
    for card in _cards(ledger().holdings(member_id), member_id).cards.values():
        if card.student_id is not None:
            plan = plan_store.find_or_none(card.plan_id)
            status = card.status(today)
            holds = status not in ("cancelled", "lapsed") or (status == "lapsed" and rules.refunds_unused(card, plan))
            found.append({"card_id": card.card_id, "plan_name": plan.name if plan else card.plan_id,
                          "student_id": card.student_id, "holds": holds})  # fmt: skip
    return found


def card_of(member_id: str, card_id: str) -> Card:
    found = _cards(ledger().holdings(member_id), member_id).cards.get(card_id)
    if found is None:
        raise CardNotFound(f"No card {card_id!r} for this member")
    return found


def history(member_id: str, card_id: str, *, for_member: bool = False) -> list[dict[str, Any]]:
    """What happened to a card, oldest first: payments, refunds with how they were worked out, lapses. The member
    reads who by kind only (staff, partner, system), never which staff member, and a cancellation's refund worked out
    without the reason staff typed (an internal note)."""
    card = card_of(member_id, card_id)
    items, cursor = [], None
    while True:
        entries, cursor = ledger().page(member_id, MEMBERSHIP, 100, cursor, consistent=False)
        items += [
            {"entry_id": e.entry_id, "kind": e.kind, "amount_fen": e.amount, **_reasons(e, for_member),
             "actor": e.actor.partition(":")[0] if for_member else e.actor, "occurred_at": e.occurred_at}
            for e in entries if (e.detail or {}).get("card_id") == card_id
        ]  # fmt: skip
        if cursor is None:
            return sorted(items + _lapse_line(card), key=lambda item: item["occurred_at"])


def _lapse_line(card: Card) -> list[dict[str, Any]]:
    """The lapse of the card's running cycle, as a line of its history (the nightly job notes it on the card, no
    money moves: a walkthrough's history ended at the last payment, as if the card still ran); none once it is bought
    again (a new cycle) or for a lapse not announced yet."""
    if card.lapsed_on is None or card.valid_until is None:
        return []
    until, grace = card.valid_until.isoformat(), (card.grace_ends_on or card.valid_until).isoformat()
    kept = f"，宽限期至{grace}" if grace != until else ""
    kept_en = f", its grace until {grace}" if grace != until else ""
    at = clock.iso(clock.end_of_business_day(card.lapsed_on - timedelta(days=1), get_settings().tz))
    return [{"entry_id": f"lapse:{card.card_id}:{card.cycle}", "kind": "lapse", "amount_fen": 0,
             "reason": f"已过期：有效期至{until}{kept}", "reason_en": f"Lapsed: valid until {until}{kept_en}",
             "actor": "system", "occurred_at": at}]  # fmt: skip


def _reasons(entry: Entry, for_member: bool) -> dict[str, str | None]:
    """An entry's reason (and its English) as its reader may read it: a member reads a cancellation as 退卡 and how
    its refund was worked out, not the reason staff typed."""
    detail = entry.detail or {}
    if for_member and "member_reason" in detail:  # a pause as the member reads it, without staff's note
        return {"reason": detail["member_reason"], "reason_en": detail.get("member_reason_en")}
    explanation = detail.get("explanation")
    if for_member and explanation is not None:
        explained = detail.get("explanation_en")
        return {"reason": f"退卡。{explanation}", "reason_en": f"Card cancelled. {explained}" if explained else None}
    return {"reason": entry.reason, "reason_en": entry.reason_en}


def _require_member(member_id: str) -> None:
    if members.status_of(member_id) is None:
        raise NotFound(f"No member {member_id!r}")


# --- buying and renewing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paid:
    """A payment for a card as it reached us."""

    payment_id: str
    kind: str  # purchase (or renewal: decided from the card), auto-renewal, trial
    amount_fen: int
    paid_at: datetime
    method: str  # partner:<id>, wallet, trial
    store_id: str | None = None  # the store that sold it, when a partner's till says so
    order_id: str | None = None  # the till's order it was taken under, at the counter
    coupon_fen: int = 0  # what coupons used on that order took off the plan's price (续费券)
    student_id: str | None = None  # the member's student (学员) the card is for


def _card_posting(
    member_id: str, plan: Plan, paid: Paid, holdings: Holdings, today: date
) -> tuple[Posting, Card, int]:  # fmt: skip
    """The posting making or extending the member's card of ``plan`` (for the student the payment names: each student's
    is a card of its own), the card it makes, and what it adds to what the card owes by its uses (a pack refunded by
    uses: its price, less any uses beyond what it held before)."""
    state = _cards(holdings, member_id)
    current = _card_for(state, plan.plan_id, paid.student_id)
    if paid.kind == "trial" and any(card.plan_id == plan.plan_id for card in state.cards.values()):
        raise CardNotRenewable(
            f"the trial of plan {plan.plan_id} is for members who never held its card", why="trial-used"
        )  # for a student too: one trial a family (a review)
    kind = paid.kind
    if (
        kind == "purchase"
        and current is not None
        and current.status(today) not in ("lapsed", "cancelled")
        and any(p.kind != "trial" for p in current.payments if not p.settled)
    ):  # a card on its free trial bought is sold, not renewed (a walkthrough's text said 已续费)
        kind = "renewal"
    used = _used_value(holdings.state(member_id, USES), current, plan) if current is not None else 0
    owed_before = rules.owed_by_use(current, used) if current is not None else 0
    try:
        card = rules.extend(current, plan, card_id=new_id("mc_"), payment_id=paid.payment_id, kind=kind,
                            amount_fen=paid.amount_fen, paid_at=clock.iso(paid.paid_at), today=today,
                            trials=state.trials, method=paid.method, used_value_fen=used,
                            store_id=paid.store_id, order_id=paid.order_id,
                            student_id=paid.student_id)  # fmt: skip
        card = rules.compact(card, plan, today)
    except NotRenewable as e:
        raise CardNotRenewable(str(e), why=e.why) from None
    settings = get_settings()
    passed = [] if kind == "trial" else rules.paid_ahead_passed(
        card, plan, holdings.state(member_id, USES).by_key, today, max_price_fen=settings.plan_max_price_fen,
        max_days=settings.plan_max_term_days, max_uses=settings.plan_max_uses, used_value_fen=used)  # fmt: skip
    if passed:  # a family's packs paid ahead together, not each payment alone (预收费上限)
        said = "; ".join(passed)
        raise PaymentNotApplicable("plan_id", f"the chain's limits on fees charged ahead (预收费上限): {said}")
    zh, en = CARD_REASONS[kind]
    until = card.valid_until.isoformat() if card.valid_until else None
    reason = Phrase(f"{zh}「{plan.name}」，有效期至{until or '永久'}",
                    f"{en}: {plan.name}, " + (f"valid until {until}" if until else "no end date"))  # fmt: skip
    if card.waits and card.started_on > today:  # its days begin at the first visit: no end is known yet
        starts = card.started_on.isoformat()
        reason = Phrase(
            f"{zh}「{plan.name}」，待开卡：首次到店开卡，最迟{starts}自动开卡",
            f"{en}: {plan.name}, opened at the first visit, by itself on {starts} at the latest",
        )
    detail = {"card": card.to_json(), "plan": plan_store.due_part(plan), "trial": kind == "trial",
              "method": paid.method}  # fmt: skip
    posting = Posting(member_id, MEMBERSHIP, paid.amount_fen, kind, Source("payment", paid.payment_id), reason,
                      detail, kept=True)  # fmt: skip
    return posting, card, rules.owed_by_use(card, used) - owed_before


def _card_for(state: Cards, plan_id: str, student_id: str | None) -> Card | None:
    """The member's card of a plan for a student (None: their own): a second child's pack is not the first's renewal
    (an education chain's walkthrough)."""
    return next((card for card in state.cards.values() if (card.plan_id, card.student_id) == (plan_id, student_id)),
                None)  # fmt: skip


def _whose(card: Card) -> dict[str, str]:
    """What an event about a card says of the student it is for (their id: names stay sealed on the member)."""
    return {"student_id": card.student_id} if card.student_id else {}


def _require_student(
    member_id: str, student_id: str | None, claim: Claim, record: Any = None
) -> Callable[[Transaction], None] | None:
    """A sale names one of the member's students (422 otherwise), unless it repeats one booked before (a retry after
    a lost answer is answered, the student removed since or not); ``record``: the member's, when read already. The
    condition the sale commits with, while its student is still the member's (None: no student, or a repeat)."""
    if student_id is None:
        return None
    held = members.student_held(member_id, student_id, record)
    if held is None and ledger().replay(claim) is None:
        raise ValidationFailed([{"field": "student_id", "in": "body", "message": "not a student of this member"}])
    return held


SALE_ATTEMPTS = 3
P = ParamSpec("P")
T = TypeVar("T")


def _read_again_if_students_changed(sale: Callable[P, T]) -> Callable[P, T]:
    """Run a sale again when its student's member changed their students before it committed (a removal racing the
    sale: read again, the student gone is 422, never a card naming nobody); 503 when they kept changing."""

    @functools.wraps(sale)
    def again(*args: P.args, **kwargs: P.kwargs) -> T:
        for _ in range(SALE_ATTEMPTS):
            try:
                return sale(*args, **kwargs)
            except members.StudentsChanged:
                continue
        raise Unavailable("The member's students kept changing; retry", retry_after=1)

    return again


def _paid_event(member_id: str, card: Card, plan: Plan, paid: Paid, kind: str, by_use: int) -> Event:
    """``membership.card-paid``, with the days the payment paid for (the liability shares it over them), or, for a
    pack refunded by its uses, what it adds to what the card owes by them (``by_use_fen``: the liability counts it
    until its classes are used or it is cancelled, whatever the days)."""
    payment = next((p for p in card.payments if p.payment_id == paid.payment_id), None)
    days = (payment.first_day, payment.last_day) if payment is not None and not payment.by_use else None
    return new_event("membership.card-paid", f"member/{member_id}", {
        "member_id": member_id, "card_id": card.card_id, "plan_id": plan.plan_id, "payment_id": paid.payment_id,
        "plan_name": plan.name, "kind": kind, "amount_fen": paid.amount_fen, "method": paid.method.partition(":")[0],
        "valid_until": card.valid_until.isoformat() if card.valid_until else None,
        **({"store_id": paid.store_id} if paid.store_id else {}), **_whose(card),
        **({"order_id": paid.order_id} if paid.order_id else {}),  # the till's, so its drawer is reconciled
        **({"coupon_discount_fen": paid.coupon_fen} if paid.coupon_fen else {}),  # and its coupons (a walkthrough)
        **({"payment_method": how} if (how := _taken_by(paid.method)) else {}),
        **({"first_day": days[0].isoformat(), "last_day": days[1].isoformat() if days[1] else None} if days else {}),
        **({"by_use": True, "by_use_fen": by_use} if payment is not None and payment.by_use else {}),
        **({"starts_on": card.started_on.isoformat()} if card.waits and card.started_on > clock.business_today()
           else {}),  # a card waiting for its first visit: its text says so, not a provisional end
    })  # fmt: skip


def _taken_by(method: str) -> str | None:
    """How a card's payment was taken, as a till says it: the counter's way (cash, wechat_pay …), ``wallet`` for
    stored value; None when not said (a partner's, a trial)."""
    kind, _, how = method.partition(":")
    return (how or None) if kind == COUNTER else "wallet" if kind == "wallet" else None


def _buy(
    member_id: str, plan: Plan, paid: Paid, claim: Claim, joined_with_wallet: bool = False,
    attach: Callable[[Answer], Iterable[Any]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The post that makes or extends the card, once per claim (or, paid from the wallet, the plan joined to the
    wallet's payment, booked at the till's store when a cashier took it); ``attach`` commits with it."""
    made: list[Card] = []
    kinds: list[str] = []
    owed: list[int] = []

    def plan_postings(holdings: Holdings) -> list[Posting]:
        posting, card, by_use = _card_posting(member_id, plan, paid, holdings, clock.business_today())
        made[:], kinds[:], owed[:] = [card], [posting.kind], [by_use]
        return [posting]

    def result(answer: Answer) -> dict[str, Any]:
        card = made[0]
        waits = card.waits and card.started_on > clock.business_today()  # 待开卡 (a walkthrough's till said 已开卡)
        return {"payment_id": paid.payment_id, "member_id": member_id, "card_id": card.card_id,
                "valid_until": card.valid_until.isoformat() if card.valid_until else None,
                **({"starts_on": card.started_on.isoformat()} if waits else {})}  # fmt: skip

    def announce(answer: Answer) -> list[Event]:
        return [_paid_event(member_id, made[0], plan, paid, kinds[0], owed[0])]

    if joined_with_wallet:
        from chalicelib.wallet import service as wallet

        paid_for = Phrase(f"会员卡「{plan.name}」", f"membership card {plan.name}")
        payment = wallet.PartnerPayment(WALLET_PARTNER, paid.payment_id, paid.store_id or WALLET_STORE, paid.paid_at,
                                        order_id=paid.order_id, paid_for=paid_for)  # fmt: skip
        joined = wallet.Joined([member_id], plan_postings, announce, attach=attach,
                               result=lambda answer: {"card": result(answer)})  # fmt: skip
        try:
            answer = wallet.wallets().pay(member_id, payment, paid.amount_fen, claim, joined)
        except HolderUnavailable as e:
            raise MemberNotEligible(f"Member {e.holder!r} is frozen, erased or unknown") from None
        if answer["duplicate"]:
            kept = answer.get("card") or _replayed_card(member_id, plan.plan_id, paid)  # an older claim
            return {**kept, "duplicate": True}
        return {**result(Answer({})), "duplicate": False}
    try:
        posted = ledger().post(plan_postings, holders=[member_id], claim=claim, require={member_id: "active"},
                               result=result, announce=announce, attach=attach)  # fmt: skip
    except HolderUnavailable as e:
        raise MemberNotEligible(f"Member {e.holder!r} is frozen, erased or unknown") from None
    return {**posted.result, "duplicate": posted.duplicate}


def _replayed_card(member_id: str, plan_id: str, paid: Paid) -> dict[str, Any]:
    """The answer of a wallet payment for a card repeated after its answer was folded away: the card holding the
    payment, else the card of the plan for its student."""
    state, payment_id = _cards(ledger().holdings(member_id), member_id), paid.payment_id
    held = (
        c for c in state.cards.values() if c.plan_id == plan_id and any(p.payment_id == payment_id for p in c.payments)
    )
    card = next(held, None) or _card_for(state, plan_id, paid.student_id)
    assert card is not None  # the payment made or extended it
    payment = next((p for p in card.payments if p.payment_id == payment_id), None)
    until = payment.last_day if payment else card.valid_until
    return {"payment_id": payment_id, "member_id": member_id, "card_id": card.card_id,
            "valid_until": until.isoformat() if until else None}  # fmt: skip


@_read_again_if_students_changed
def pay(partner: Caller, request: MembershipPayment) -> dict[str, Any]:
    """A partner's card payment, booked once per payment id (other content: 409). The amount must be the plan's
    price (422); a plan off sale still renews the cards it sold, but sells no new ones. The store that sold it
    (``store_id``, one of the partner's: 403 otherwise; 422 for no such store) counts the sale in its figures."""
    if request.store_id is not None:
        require_partners(partner, request.store_id)
        if not store_exists(request.store_id):
            raise ValidationFailed([{"field": "store_id", "in": "body", "message": "no such store"}])
    # the content a payment id is held to, as before stores were named (a retry of an older report still matches)
    unsaid = {name for name in ("store_id", "student_id") if getattr(request, name) is None}  # as before they were
    canonical = request.model_dump_json(exclude=unsaid or None)
    claim = Claim(f"membership-payment|{partner.id}|{request.payment_id}",
                  lookup_hash("membership-payment", canonical), conflict=PaymentConflict())  # fmt: skip
    member_id = request.member.member_id or members.holder(phone=request.member.phone,
                                                          member_no=request.member.member_no)  # fmt: skip
    if member_id is None:
        replayed = ledger().replay(claim)
        if replayed is None:
            raise MemberNotEligible("No member with that phone or member number")
        return {**replayed.result, "duplicate": True}
    plan = plan_store.find(request.plan_id)
    if request.amount_fen != plan.price_fen:
        raise PaymentNotApplicable("amount_fen", f"plan {plan.plan_id} costs {plan.price_fen} fen")
    held = _require_student(member_id, request.student_id, claim)
    _on_sale_or_held(member_id, plan, request.student_id)
    _sold_at(plan, request.store_id)
    kind = "auto-renewal" if request.auto_renewal else "purchase"
    paid = Paid(request.payment_id, kind, request.amount_fen, request.occurred_at, f"partner:{partner.id}",
                request.store_id, student_id=request.student_id)  # fmt: skip
    return _buy(member_id, plan, paid, claim, attach=(lambda answer: [held]) if held else None)


COUNTER = "counter"  # a card's payment taken at the counter: ``method`` counter[:<how>], refunded there


@_read_again_if_students_changed
def sell_at_counter(
    member_id: str, request: CounterCardSale, limits: Callable[[], Callable[[Transaction], None] | None] | None = None
) -> dict[str, Any]:
    """开卡 / 续卡 at the till: the money a cashier took (the plan's price, 422 otherwise) starts or extends the
    member's card as a partner's payment does, once per till order, at whichever store, for good (a repeat answers the
    first answer, the same order with another member, plan or amount is 409 ``membership-payment-conflict``), answered
    even once its plan or store has closed (a retry after a lost answer is never refused and taken again). A plan off
    sale renews only the cards it sold. ``limits`` are the counter's (a cashier's one sale and day), applied to a new
    sale only. An unknown or erased member is 404, a frozen one 422 ``member-not-eligible``."""
    payment_id = counter_sale_id(request.order_id)
    unsaid = {
        "member_code",
        *(() if request.coupon_discount_fen else ("coupon_discount_fen",)),
        *(() if request.student_id else ("student_id",)),
    }  # as sales before they were said
    content = {"member_id": member_id, **request.model_dump(mode="json", exclude=unsaid)}
    claim = Claim.of(f"membership-payment|{COUNTER}|{payment_id}", content, conflict=PaymentConflict())
    if (replayed := ledger().replay(claim)) is not None:
        return {**replayed.result.get("card", replayed.result), "duplicate": True}  # from the wallet: its card part
    record = members.get_record(member_id)  # read once: its status here, its students below
    if record.status == str(MemberStatus.ERASED):  # 404 for nobody, as for one erased
        raise NotFound(f"No member {member_id!r}")
    if (why := not_open(request.store_id)) is not None:
        raise ValidationFailed([{"field": "store_id", "in": "body", "message": why}], why)
    if request.payment_method == "mixed":  # taken before; refused after its replay, so a retry is answered
        raise PaymentNotApplicable("payment_method", "a card is paid whole: by the till or from stored value (wallet)")
    plan = plan_store.find(request.plan_id)
    off = request.coupon_discount_fen  # 续费券, 新生券 used on the card's order (an education chain's walkthrough)
    if request.amount_fen != plan.price_fen - off:
        took = f", less the {off} fen its coupons took" if off else ""
        raise PaymentNotApplicable("amount_fen", f"plan {plan.plan_id} costs {plan.price_fen} fen{took}")
    if off:  # what the order's coupons took, read, and held to at the commit
        held, coupons_as_read = coupons.card_order_discount(
            request.order_id, card_order(plan, request.store_id), member_id,
            lambda why: ValidationFailed([{"field": "order_id", "in": "body", "message": why}], why))  # fmt: skip
        if held != off:
            said = f"the coupons used on this order took {held} fen off it"
            raise ValidationFailed([{"field": "coupon_discount_fen", "in": "body", "message": said}], said)
    else:
        why = "coupons were used on this order: say what they took off the card's price (coupon_discount_fen)"
        coupons_as_read = coupons.no_coupon_on_order(
            request.order_id, ValidationFailed([{"field": "order_id", "in": "body", "message": why}], why)
        )  # fmt: skip  (a walkthrough sold a card at its full price beside a coupon, and its refund gave that back)
    student_as_read = _require_student(member_id, request.student_id, claim, record)
    _on_sale_or_held(member_id, plan, request.student_id)
    _sold_at(plan, request.store_id)
    from chalicelib.wallet import service as wallet

    why = "stored value paid this order apart: sell the card under a new till order (payment_method wallet to pay it"
    why += " from stored value), and give that payment back if it was for the card"
    paid_apart = ValidationFailed([{"field": "order_id", "in": "body", "message": why}], why)
    paid_by_wallet = wallet.counter_order_unpaid(
        request.store_id, request.order_id, paid_apart
    )  # conditions, not reads
    sold_before = _SoldBefore("A card was sold under this order before")
    legacy = _sale_claim_keys(request.store_id, request.order_id)[1]

    from chalicelib.points.service import no_points_on_order

    why = "points paid part of this order (积分抵现): a card is paid whole, at its plan's price, under its own order"
    by_points = ValidationFailed([{"field": "order_id", "in": "body", "message": why}], why)
    no_points = no_points_on_order(request.order_id, by_points)

    unpaid = together(paid_by_wallet, functools.partial(unclaimed_in, key=legacy, on_fail=sold_before), no_points)
    # sold under it at this store before orders were the chain's; nor points on it (a review: the card's
    # cancellation refunded what points had paid)

    no_coupon = together(coupons_as_read, student_as_read)  # its coupons as its price was judged on; its student
    try:
        if request.payment_method == "wallet":  # the member's stored value, in the wallet's own payment, code spent
            paid = Paid(payment_id, "purchase", request.amount_fen, clock.now(), "wallet", request.store_id,
                        request.order_id, off, request.student_id)  # fmt: skip
            members.require_present(member_id, request.member_code or "")  # a wrong code counted, as at the wallet
            spent = members.spending_code(member_id, request.member_code or "")
            return _buy(member_id, plan, paid, claim, joined_with_wallet=True,
                        attach=lambda answer: [spent, unpaid, no_coupon])  # fmt: skip
        counted = limits() if limits else None
        how = f"{COUNTER}:{request.payment_method}" if request.payment_method else COUNTER
        paid = Paid(payment_id, "purchase", request.amount_fen, clock.now(), how, request.store_id, request.order_id,
                    off, request.student_id)  # fmt: skip
        return _buy(
            member_id, plan, paid, claim, attach=lambda answer: [unpaid, no_coupon, *([counted] if counted else [])]
        )
    except _SoldBefore:  # sold before orders were the chain's: a retry of that sale is answered as it was (a review)
        if (replayed := ledger().replay(Claim.of(legacy, content, conflict=PaymentConflict()))) is not None:
            return {**replayed.result.get("card", replayed.result), "duplicate": True}
        raise PaymentConflict("A card was sold under this order before") from None


def card_order(plan: Plan, store_id: str) -> dict[str, Any]:
    """A card's till order as coupons are used on it (``POST /v1/coupons/{code}/redemptions``'s ``order``): its one
    line, sku the plan's id, category ``membership``, at the plan's price; its coupons are checked against it."""
    from chalicelib.coupons.rules import CARD_CATEGORY
    from chalicelib.coupons.schemas import CouponOrder

    line = {"sku": plan.plan_id, "category": CARD_CATEGORY, "amount_fen": plan.price_fen}
    return CouponOrder.model_validate({"store_id": store_id, "total_fen": plan.price_fen, "items": [line]}).model_dump()


def counter_sale_id(order_id: str) -> str:
    """The payment id of a card sold at a till under an order: one sale per order, at whichever store, for good (a
    till order is the chain's: a probe paid an order from stored value at one store and sold a card under it at
    another, whose cancellation refunded the payment again)."""
    return "mk_" + hashlib.sha256(f"#order\n{order_id}".encode()).hexdigest()[:26]  # '#': never a store's old id


def _sale_claim_keys(store_id: str, order_id: str) -> tuple[str, str]:
    """The claims a card sold under a till order holds: the order's, and the one its store and order made before
    orders were the chain's."""
    before = "mk_" + hashlib.sha256(f"{store_id}\n{order_id}".encode()).hexdigest()[:26]
    return (f"membership-payment|{COUNTER}|{counter_sale_id(order_id)}", f"membership-payment|{COUNTER}|{before}")


def no_card_sold_on(store_id: str, order_id: str) -> Callable[[Transaction], None]:
    """The condition a stored-value payment at a till commits with: no card was sold under the order, at any store
    (whoever's, however paid), whose cancellation would refund it (422 on ``order_id`` otherwise). No request."""
    why = "a card was sold under this order at the till: its coupons stay used and none is used after it, nor is "
    why += "stored value taken for it apart"
    sold = ValidationFailed([{"field": "order_id", "in": "body", "message": why}], why)
    return together(*(functools.partial(unclaimed_in, key=key, on_fail=sold)
                      for key in _sale_claim_keys(store_id, order_id)))  # fmt: skip


def _on_sale_or_held(member_id: str, plan: Plan, student_id: str | None = None) -> None:
    """A plan off sale renews the cards it sold (each student's), and sells no new one (422)."""
    if plan.on_sale:
        return
    if _card_for(_cards(ledger().holdings(member_id), member_id), plan.plan_id, student_id) is None:
        raise PaymentNotApplicable("plan_id", f"plan {plan.plan_id} is no longer sold")


def _sold_at(plan: Plan, store_id: str | None) -> None:
    """A card of some stores (单店卡) is sold at their tills, not another store's (422 ``payment-not-applicable`` on
    ``store_id``: its member could use it nowhere near); on the member pages and by a partner naming no store, the
    member chooses it knowing its stores."""
    if plan.stores and store_id is not None and store_id not in plan.stores:
        stores = "、".join(store_name(store) or store for store in plan.stores)
        raise PaymentNotApplicable("store_id", f"{plan.name} is sold and used at {stores} only (单店卡)")


@_read_again_if_students_changed
def buy_as_member(
    member_id: str, plan_id: str, pay_with: str, key: IdempotencyKey, student_id: str | None = None
) -> dict[str, Any]:  # fmt: skip
    """A member buying (or renewing) a card on the member pages, for themself or one of their students (学员): from
    their stored value, in the wallet's own payment (409 ``insufficient-balance`` when it holds less), or the plan's
    free trial (once per member and plan, and not for a member who joined again with a closed membership's phone);
    once per Idempotency-Key."""
    plan = plan_store.find(plan_id)
    content = {"member_id": member_id, "plan_id": plan_id, "pay_with": pay_with,
               **({"student_id": student_id} if student_id else {})}  # fmt: skip
    if pay_with == "trial":
        paid = Paid(f"trial-{member_id}-{plan_id}", "trial", 0, clock.now(), "trial", student_id=student_id)
        claim = Claim.of(f"membership-trial|{member_id}|{plan_id}|{key.key}", content)
    else:
        payment_id = f"card-{lookup_hash('membership-wallet', f'{member_id}|{key.key}').rpartition(':')[2][:24]}"
        paid = Paid(payment_id, "purchase", plan.price_fen, clock.now(), "wallet", student_id=student_id)
        claim = Claim.of(f"wallet-payment|{WALLET_PARTNER}|{payment_id}", content, conflict=PaymentConflict())
    held = _require_student(member_id, student_id, claim)
    if pay_with == "trial" and members.welcomed_before(member_id) and ledger().replay(claim) is None:
        raise CardNotRenewable(  # a probe closed its membership and joined again for a second free trial
            "a free trial is once per phone: this phone's membership was closed and joined again", why="trial-used"
        )
    _on_sale_or_held(member_id, plan, student_id)
    _sold_on_member_pages(plan, claim)
    return _buy(member_id, plan, paid, claim, joined_with_wallet=pay_with != "trial",
                attach=(lambda answer: [held]) if held else None)  # fmt: skip


def plans_for_member(member_id: str, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The plans ``listed`` as the member reads them: each with whether its free trial is open to them now (one per
    member and plan, none for a plan anyone of the family held, none for a phone welcomed before)."""
    held = {card.plan_id for card in _cards(ledger().holdings(member_id), member_id).cards.values()}
    returning = members.welcomed_before(member_id)
    return [{**plan, "trial_open": bool(plan.get("trial_days")) and plan["plan_id"] not in held and not returning}
            for plan in listed]  # fmt: skip


def _sold_on_member_pages(plan: Plan, claim: Claim) -> None:
    """A plan sold at the counter only is not bought on the member pages (422 ``payment-not-applicable``: an education
    chain's class packs were offered there with 储值支付); a repeat of one bought before is answered."""
    if not plan.self_service and ledger().replay(claim) is None:
        raise PaymentNotApplicable("plan_id", f"plan {plan.plan_id} is sold at the counter, not on the member pages")


def set_auto_renew(member_id: str, card_id: str, on: bool) -> dict[str, Any]:
    """Turn automatic renewal on (only where the plan offers it, 422) or off (at once, always allowed)."""
    card = card_of(member_id, card_id)
    plan = plan_store.find(card.plan_id)
    if on and not plan.auto_renew:
        raise AutoRenewNotOffered(f"plan {plan.plan_id} does not offer automatic renewal")
    if card.status(clock.business_today()) in ("cancelled", "lapsed"):
        raise CardNotCancellable(f"card {card_id} has ended")

    def change(state: Cards) -> Cards:
        current = state.cards[card_id]
        if current.auto_renew == on:
            return state
        return replace(state, cards={**state.cards, card_id: replace(current, auto_renew=on)})

    def announce(state: Cards) -> list[Event]:
        return [new_event("membership.auto-renew-changed", f"member/{member_id}",
                          {"member_id": member_id, "card_id": card_id, "auto_renew": on})]  # fmt: skip

    ledger().amend(member_id, MEMBERSHIP, change, announce=announce)
    return card_json(member_id, card_of(member_id, card_id), clock.business_today())


Changed = TypeVar("Changed")


# --- pausing (停卡) ------------------------------------------------------------------------------------------------


class CardNotPausable(ValidationFailed):
    slug, title = "card-not-pausable", "The card cannot be paused (or resumed) so"

    def __init__(self, detail: str, field: str | None = "days") -> None:
        super().__init__([{"field": field, "in": "body", "message": detail}] if field else [], detail)

    @classmethod
    def of(cls, refused: rules.NotPausable) -> CardNotPausable:
        """A pause refused, said on its first day when out of its window (a review: on `days`), else on its days."""
        return cls(str(refused), "first_day" if refused.why == "when" else "days")


def pause(member_id: str, card_id: str, pause_id: str, first: date | None, days: int, reason: str) -> dict[str, Any]:
    """停卡: pause a card for ``days`` days from ``first`` (default today) under its plan's policy, once per pause id
    (the same id with other content: 409): its benefits stop for those days and its end moves as many days later
    (422 ``card-not-pausable`` saying why not). The payments whose days moved ride in the event, so the liability
    keeps still over the pause."""
    content = {"card_id": card_id, "first": first.isoformat() if first else None, "days": days, "reason": reason}
    claim = Claim.of(f"membership-pause|{member_id}|{pause_id}", content,
                     conflict=Conflict("This pause id was used before for another pause"))  # fmt: skip
    worked: list[tuple[Card, Card]] = []

    def plan_postings(holdings: Holdings) -> list[Posting]:
        card, after = _card_changing(holdings, member_id, card_id, lambda card, today: rules.pause(
            card, plan_store.find(card.plan_id), pause_id, first or today, days, reason, today))  # fmt: skip
        worked[:] = [(card, after)]
        added = next(q for q in after.pauses if q.pause_id == pause_id)
        span, until = f"{added.first_day.isoformat()} 至 {added.last_day.isoformat()}", _day_of(after.valid_until)
        said = Phrase(f"停卡 {days} 天（{span}），到期日顺延至 {until}",
                      f"Paused {days} days ({span.replace(' 至 ', ' to ')}), its end moved to {until}")  # fmt: skip
        detail = {"card": after.to_json(), "member_reason": str(said), "member_reason_en": said.en}
        return [Posting(member_id, MEMBERSHIP, 0, "pause", Source("pause", pause_id),
                        Phrase(f"{said}：{reason}", f"{said.en}: {reason}"), detail, kept=True)]  # fmt: skip

    def announce(answer: Answer) -> list[Event]:
        before, after = worked[0]
        added = next(q for q in after.pauses if q.pause_id == pause_id)
        begins = "today" if added.first_day <= clock.business_today() else "later"
        return [_moved_event("membership.card-paused", member_id, before, after, {
            "pause_id": pause_id, "first_day": added.first_day.isoformat(), "last_day": added.last_day.isoformat(),
            "days": added.days, "begins": begins})]  # fmt: skip

    return _card_changed(member_id, card_id, plan_postings, claim, announce, worked)


def resume(member_id: str, card_id: str, pause_id: str) -> dict[str, Any]:
    """复卡: end a pause today (the benefits apply again from today on) or withdraw one not begun; its days not taken
    come back off the card's end. Once: a pause over or ended already is 422 ``card-not-pausable``."""
    claim = Claim.of(f"membership-resume|{member_id}|{pause_id}", {"card_id": card_id},
                     conflict=Conflict("This pause was of another card"))  # fmt: skip
    worked: list[tuple[Card, Card]] = []
    given: list[int] = []
    withdrawn: list[bool] = []  # the pause had not begun: withdrawn whole, not ended

    def plan_postings(holdings: Holdings) -> list[Posting]:
        card, (after, back) = _card_changing(holdings, member_id, card_id,
                                                 lambda card, today: rules.resume(card, pause_id, today))  # fmt: skip
        worked[:], given[:] = [(card, after)], [back]
        until = _day_of(after.valid_until)
        first = next((q.first_day for q in card.pauses if q.pause_id == pause_id), None)  # one ended on its first
        withdrawn[:] = [first is not None and first > clock.business_today()]  # day is no 停卡未开始 (a walkthrough)
        withdrawn_said = Phrase(
            f"取消停卡：停卡未开始，到期日改回 {until}", f"Pause withdrawn before it began: its end back to {until}"
        )
        ended_said = Phrase(
            f"复卡：提前结束停卡，{back} 天未停，到期日改为 {until}",
            f"Resumed: the pause ended early, {back} days not taken, its end now {until}",
        )
        said = withdrawn_said if withdrawn[0] else ended_said
        detail = {"card": after.to_json(), "member_reason": str(said), "member_reason_en": said.en}
        return [Posting(member_id, MEMBERSHIP, 0, "resume", Source("resume", pause_id), said, detail, kept=True)]

    def announce(answer: Answer) -> list[Event]:
        before, after = worked[0]
        return [_moved_event("membership.card-resumed", member_id, before, after,
                             {"pause_id": pause_id, "days_back": given[0], "withdrawn": withdrawn[0]})]  # fmt: skip

    return _card_changed(member_id, card_id, plan_postings, claim, announce, worked)


def _card_changing(
    holdings: Holdings, member_id: str, card_id: str, change: Callable[[Card, date], Changed],
    refused_as: type[CardNotPausable] | None = None,
) -> tuple[Card, Changed]:  # fmt: skip
    """The member's card (404 ``card-not-found``) and what ``change`` makes of it today (a pause, its end, its
    opening, an extension), a refusal said as 422 ``card-not-pausable`` (or ``refused_as``)."""
    card = _cards(holdings, member_id).cards.get(card_id)
    if card is None:
        raise CardNotFound(f"No card {card_id!r} for this member")
    try:
        return card, change(card, clock.business_today())
    except rules.NotPausable as refused:
        raise (refused_as or CardNotPausable).of(refused) from None


# --- extending (延期) ---------------------------------------------------------------------------------------------


class CardNotExtendable(CardNotPausable):
    slug, title = "card-not-extendable", "The card cannot be extended"

    @classmethod
    def of(cls, refused: rules.NotPausable) -> CardNotPausable:
        """Said on `days` when they are wrong; the card's state is no field's (a review read "a lifetime card has no
        end" under the days field)."""
        return cls(str(refused), "days" if refused.why == "days" else None)


def prolong(member_id: str, card_id: str, extension_id: str, days: int, reason: str) -> dict[str, Any]:
    """延期: ``days`` days given after the card's end (a lapsed card revived from today), once per extension id (the
    same id with other content: 409); 422 ``card-not-extendable`` saying why not. Nothing is paid, so the liability
    and a pro-rata refund read the days paid for as before; the member reads the days and the new end, not the
    reason staff typed."""
    content = {"card_id": card_id, "days": days, "reason": reason}
    claim = Claim.of(f"membership-extension|{member_id}|{extension_id}", content,
                     conflict=Conflict("This extension id was used before for another extension"))  # fmt: skip
    worked: list[tuple[Card, Card]] = []

    def plan_postings(holdings: Holdings) -> list[Posting]:
        card, after = _card_changing(holdings, member_id, card_id, lambda card, today: rules.prolong(
            card, extension_id, days, clock.iso(clock.now()), today), CardNotExtendable)  # fmt: skip
        worked[:] = [(card, after)]
        until = _day_of(after.valid_until)
        said = Phrase(f"延期 {days} 天，有效期至 {until}", f"Extended by {days} days, valid until {until}")
        detail = {"card": after.to_json(), "member_reason": str(said), "member_reason_en": said.en}
        return [Posting(member_id, MEMBERSHIP, 0, "extension", Source("extension", extension_id),
                        Phrase(f"{said}：{reason}", f"{said.en}: {reason}"), detail, kept=True)]  # fmt: skip

    def announce(answer: Answer) -> list[Event]:
        before, after = worked[0]
        return [new_event("membership.card-extended", f"member/{member_id}", {
            "member_id": member_id, "card_id": card_id, "plan_id": after.plan_id, "extension_id": extension_id,
            **_whose(after),
            "plan_name": plan_store.document(after.plan_id)["name"], "days": days,
            "valid_until": _day_of(after.valid_until), "was_valid_until": _day_of(before.valid_until),
            "revived": before.status(clock.business_today()) == "lapsed",
            **({"was_lapsed_on": before.lapsed_on.isoformat()} if before.lapsed_on else {}),  # its lapse was counted
            **({"store_id": before.sold_at} if before.lapsed_on and before.sold_at else {}),  # there, as it was
        })]  # fmt: skip

    return _card_changed(member_id, card_id, plan_postings, claim, announce, worked)


def activate(member_id: str, card_id: str) -> dict[str, Any]:
    """开卡 at the member's first visit: a card sold to start at its first use (``pending``) starts today, every day it
    paid for moved earlier; a card started already (by this, or by itself on its last waiting day) is answered as it
    is (``duplicate``); a card that never waited, or started by itself, is 422. The payments whose days moved ride in
    the event, as a pause's do."""
    cycle = card_of(member_id, card_id).cycle  # opened once a cycle (a card bought again waits again)
    claim = Claim.of(f"membership-activate|{member_id}|{card_id}|{cycle}", {"card_id": card_id})
    worked: list[tuple[Card, Card]] = []

    def plan_postings(holdings: Holdings) -> list[Posting]:
        card, after = _card_changing(holdings, member_id, card_id, lambda card, today: rules.activate(
            card, plan_store.find(card.plan_id), today))  # fmt: skip
        worked[:] = [(card, after)]
        until = _day_of(after.valid_until)
        said = Phrase(f"开卡：首次使用，有效期至 {until}", f"Opened at its first use, valid until {until}")
        return [Posting(member_id, MEMBERSHIP, 0, "activation", Source("activation", f"{card_id}:{after.cycle}"), said,
                        {"card": after.to_json()}, kept=True)]  # fmt: skip

    def announce(answer: Answer) -> list[Event]:
        before, after = worked[0]
        return [_moved_event("membership.card-activated", member_id, before, after,
                             {"started_on": after.started_on.isoformat()})]  # fmt: skip

    return _card_changed(member_id, card_id, plan_postings, claim, announce, worked)


def _day_of(day: date | None) -> str:
    return day.isoformat() if day else "—"


def _moved_event(kind: str, member_id: str, before: Card, after: Card, said: dict[str, Any]) -> Event:
    """A pause's event: the card's new end and each payment the liability counts whose days moved, as it was and is."""
    was = {p.payment_id: p for p in before.payments}
    moved = [
        {
            "payment_id": p.payment_id,
            "amount_fen": p.amount_fen,
            "before": was[p.payment_id].days_json(),
            "after": p.days_json(),
        }
        for p in after.payments
        if p.owed and not p.by_use and p.payment_id in was and was[p.payment_id] != p
    ]  # fmt: skip  (a pack owed by its uses owes nothing by days)
    return new_event(kind, f"member/{member_id}", {
        "member_id": member_id, "card_id": after.card_id, "plan_id": after.plan_id, **said, **_whose(after),
        "plan_name": plan_store.document(after.plan_id)["name"], "valid_until": _day_of(after.valid_until),
        "moved_payments": moved,
    })  # fmt: skip


def _card_changed(
    member_id: str, card_id: str, plan_postings: Callable[[Holdings], list[Posting]], claim: Claim,
    announce: Callable[[Answer], list[Event]], worked: list[tuple[Card, Card]],
) -> dict[str, Any]:  # fmt: skip
    """The post of a pause, its end or an opening, answered with the card as it left it (``worked``: the card before
    and after, as the attempt that committed planned it); a repeat reads the card as it is."""
    try:
        posted = ledger().post(plan_postings, holders=[member_id], claim=claim, require={member_id: "active"},
                               announce=announce)  # fmt: skip
    except HolderUnavailable:
        raise MemberUnavailable(f"No active member {member_id!r}") from None
    card = card_of(member_id, card_id) if posted.duplicate else worked[0][1]
    return {**card_json(member_id, card, clock.business_today()), "duplicate": posted.duplicate}


# --- cancelling -------------------------------------------------------------------------------------------------


def cancel(caller: Caller, member_id: str, card_id: str, request: CardCancellation) -> dict[str, Any]:
    """Cancel a card today, refunded by its plan's policy (or not at all), once per cancel id. What the refund
    comes to and why is written on the card's history; the payments' parts ride in the event (a wallet payment's
    part goes back to the wallet; a partner refunds its own payment's part)."""
    content = {"member_id": member_id, "card_id": card_id, "refund": request.refund}
    claim = Claim.of(f"membership-cancel|{member_id}|{request.cancel_id}", content,
                     conflict=Conflict("This cancel id was used before for another card"))  # fmt: skip
    worked: list[tuple[Card, rules.Refund, list[dict[str, str]]]] = []
    whole: list[str] = []  # the cycle's first day, when all it paid goes back: the card counts as never held
    closed: list[dict[str, Any]] = []  # the payments it closes, with their days: the liability owes them no more
    by_use: list[int] = []  # and what a pack refunded by uses owed by them
    discounts = _pack_discounts(member_id, card_id)

    def plan_postings(holdings: Holdings) -> list[Posting]:
        today = clock.business_today()
        card, refund, taken = _cancellation(holdings, member_id, card_id, request.refund, discounts, today)
        _refunds_only_theirs(caller, card, refund)
        after = rules.refunded(card, refund, today)
        worked[:] = [(after, refund, taken)]
        closed[:] = [{"payment_id": p.payment_id, "amount_fen": p.amount_fen, **p.days_json()}
                     for p in card.payments if rules.owed_still(p, today)]  # fmt: skip
        by_use[:] = [_owed_by_use(holdings, member_id, card)]
        whole[:] = [card.started_on.isoformat()] if 0 < card.open_fen <= refund.amount_fen else []
        said = refund.explanation
        reason = Phrase(f"退卡：{request.reason}。{said}", f"Card cancelled: {request.reason}. {said.en}")
        way_of = {p.payment_id: p.method for p in card.payments}
        to_wallet = [pid for pid, fen in refund.parts if fen > 0 and way_of.get(pid) == "wallet"]
        detail = {"card": after.to_json(), "refund": list(refund.parts), **refund.explained(),
                  **({"to_wallet": to_wallet} if to_wallet else {})}  # fmt: skip
        return [Posting(member_id, MEMBERSHIP, -refund.amount_fen, "refund", Source("cancellation", request.cancel_id),
                        reason, detail, kept=True)]  # fmt: skip

    def result(answer: Answer) -> dict[str, Any]:
        _, refund, _ = worked[0]
        return {"refund_fen": refund.amount_fen, **refund.explained()}

    def announce(answer: Answer) -> list[Event]:
        card, refund, packs = worked[0]
        methods = {p.payment_id: p for p in card.payments}
        parts = [_refunded_part(methods[pid], fen) for pid, fen in refund.parts]
        stores = {part.get("store_id") for part in parts}  # the store whose sale it takes back, when one sold it all
        return [new_event("membership.card-cancelled", f"member/{member_id}", {
            "member_id": member_id, "card_id": card_id, "plan_id": card.plan_id, "cancel_id": request.cancel_id,
            **_whose(card),
            "plan_name": plan_store.document(card.plan_id)["name"],
            "refund_fen": refund.amount_fen, "parts": parts, "wallet_partner": WALLET_PARTNER,
            **({"store_id": next(iter(stores))} if len(stores) == 1 and None not in stores else {}),
            "packs_taken_back": packs, **({"refunded_in_full_since": whole[0]} if whole else {}),
            **(_birthdays_back(card) if whole and card.birthdays else {}),
            "closed_payments": closed, **({"by_use_closed_fen": by_use[0]} if by_use and by_use[0] else {}),
        })]  # fmt: skip

    posted = ledger().post(plan_postings, holders=[member_id], claim=claim, require={member_id: "present"},
                           result=result, announce=announce)  # fmt: skip
    card = card_of(member_id, card_id) if posted.duplicate else worked[0][0]  # a repeat reads the card as it is
    return {**posted.result, "card": card_json(member_id, card, clock.business_today()), "duplicate": posted.duplicate}


def wallet_refunds_on_their_way(member_id: str, within: timedelta = timedelta(days=7)) -> list[str]:
    """The cancellations of the last ``within`` (among the member's latest 20 card entries) whose refund of what
    stored value paid has not reached the wallet yet: its consumer gives it back moments after (an erasure waits for
    it, or the refund would find no wallet to take it: a review)."""
    since = clock.iso(clock.now() - within)
    entries, _ = ledger().page(member_id, MEMBERSHIP, 20)
    waiting = set()
    for entry in entries:
        if entry.source.kind != "cancellation" or entry.occurred_at < since:
            continue
        for payment_id in (entry.detail or {}).get("to_wallet", []):
            if ledger().store.read_claim(f"wallet-refund|{WALLET_PARTNER}|{entry.source.id}:{payment_id}") is None:
                waiting.add(str(entry.source.id))
    return sorted(waiting)


def _refunded_part(payment: rules.Payment, fen: int) -> dict[str, Any]:
    """A payment's part of a cancellation's refund, as its event says it: how the payment was taken (``wallet``,
    ``partner`` with its id, ``counter``) and the store that took it."""
    method, _, of = payment.method.partition(":")
    return {"payment_id": payment.payment_id, "amount_fen": fen, "method": method,
            "partner_id": (of or None) if method == "partner" else None,
            **({"store_id": payment.store_id} if payment.store_id else {}),
            **({"payment_method": how} if (how := _taken_by(payment.method)) else {}),
            **({"order_id": payment.order_id} if payment.order_id else {})}  # fmt: skip


def _cancellation(
    holdings: Holdings, member_id: str, card_id: str, refund_as: str, discounts: dict[str, int], today: date
) -> tuple[Card, rules.Refund, list[dict[str, str]]]:
    """What cancelling a card today comes to: the card, its refund (``refund_as`` the policy's, or none) less the
    used coupons of the packs it takes back, and those packs. 404 ``card-not-found``; 409 ``card-not-cancellable``
    for a card cancelled, or lapsed unless its plan refunds what was not used (``always_open``)."""
    card = _cards(holdings, member_id).cards.get(card_id)
    if card is None:
        raise CardNotFound(f"No card {card_id!r} for this member")
    plan = plan_store.find(card.plan_id)
    status = card.status(today)
    # a card refunded by what was not used stays refundable once it lapsed: what was paid for and not used is the
    # member's (a salon's walkthrough lost seven facials at the card's end; prepaid cards keep their balance)
    worth = rules.classes_worth(plan.benefits, plan.term)  # a plan made before its classes had to be worth its price
    refundable = plan.refund.always_open and (worth is None or worth >= plan.price_fen)  # ends with its term (a review)
    if status == "cancelled" or (status == "lapsed" and not (refund_as == "policy" and refundable)):
        raise CardNotCancellable(f"card {card_id} is {status}")
    policy = plan.refund if refund_as == "policy" else rules.RefundPolicy()
    used = _used_value(holdings.state(member_id, USES), card, plan)
    refund = rules.refund_for(card, policy, today, used, waived=refund_as != "policy" and plan.refund.kind != "none")
    taken = rules.packs_taken_back(card, plan, refund, today)
    return card, rules.keeping_back_used_packs(refund, taken, discounts), taken


def quote_cancellation(member_id: str, card_id: str, refund_as: str, caller: Caller | None = None) -> dict[str, Any]:
    """What cancelling the card now would refund and why, as ``cancel`` works it out (refused alike to ``caller``
    when it would be), writing nothing (the counter tells the member before they agree)."""
    today, holdings = clock.business_today(), ledger().holdings(member_id)
    discounts = _pack_discounts(member_id, card_id, holdings)
    card, refund, taken = _cancellation(holdings, member_id, card_id, refund_as, discounts, today)
    _refunds_only_theirs(caller, card, refund)
    return {"refund_fen": refund.amount_fen, **refund.explained(),
            "packs_taken_back": len(taken)}  # fmt: skip


def _pack_discounts(member_id: str, card_id: str, holdings: Holdings | None = None) -> dict[str, int]:
    """What the card's pack coupons used so far took off orders, by source (read before the cancellation's post: a
    coupon used in the moment between is not kept back), from ``holdings`` when the caller read them."""
    card = _cards(holdings or ledger().holdings(member_id), member_id).cards.get(card_id)
    if card is None or not card.packs:
        return {}
    packs = rules.pack_coupons(card, plan_store.find(card.plan_id))
    return coupons.pack_discounts(member_id, [(p["template_id"], p["source"]) for p in packs])


def _owed_by_use(holdings: Holdings, member_id: str, card: Card, uses: Uses | None = None) -> int:
    """What ``card`` owes by its uses now (``rules.owed_by_use``; 0 for a card owed by its days), from ``holdings``
    (with ``uses``: the counts as a write about to commit leaves them)."""
    if not any(p.by_use and not p.settled for p in card.payments):
        return 0
    plan = plan_store.find(card.plan_id)
    return rules.owed_by_use(card, _used_value(uses or holdings.state(member_id, USES), card, plan))


def _used_value(uses: Uses, card: Card, plan: Plan) -> int:
    """What the card's counted benefits were used for: each use at its benefit's ``value_fen``."""
    return sum(
        uses.totals.get(f"card|{card.card_id}|{b.benefit_id}", 0) * b.value_fen
        for b in plan.benefits
        if b.kind == "quota"
    )


# --- benefits ---------------------------------------------------------------------------------------------------


def _tier_source(tier: str, since: date) -> rules.Source:
    """The benefits a tier gives, as benefits of a source: its discount, multiplier and counted entitlements."""
    programme = programmes.programme()
    found = programme.tier(tier)
    benefits: list[PlanBenefit] = []
    given = found.benefits
    rate = Decimal(str(given.get("discount_rate", 1)))
    if rate < 1:
        benefits.append(PlanBenefit("tier-discount", f"{found.name_zh}折扣", "discount", rate=rate))
    multiplier = Decimal(str(given.get("points_multiplier", 1)))
    if multiplier > 1:
        benefits.append(PlanBenefit("tier-points", f"{found.name_zh}积分倍率", "points_multiplier", rate=multiplier))
    for right in given.get("entitlements", []):
        if right.get("quota") and right.get("period") in ("day", "week", "month", "year"):
            benefits.append(PlanBenefit(right["code"], right["name_zh"], "quota", quota=int(right["quota"]),
                                        period=right["period"]))  # fmt: skip
    return rules.Source(f"tier:{tier}", found.name_zh, since, None, tuple(benefits))


def sources_of(
    holdings: Holdings, member_id: str, today: date, earned: str | None = None, *, every_card: bool = False,
    paid_only: bool = False, excluding: str | None = None, store_id: str | None = None,
) -> tuple[list[rules.Source], Combined, str]:  # fmt: skip
    """The sources of the member's benefits now (their cards giving benefits, then their tier) and how they
    combine; the tier whose benefits apply is the highest of the earned tier (``earned``: as if it were that) and
    the cards' floors. With ``every_card``, each card the member holds or held counts, whatever its state now; with
    ``paid_only``, a card on its free trial does not; ``excluding`` names a card that counts for nothing (one
    cancelled with all it was paid refunded); at ``store_id``, a card of other stores gives no discount nor
    multiplier (its floor holds)."""
    earned = earned or tier_in(holdings, member_id)
    programme = programmes.programme()
    rank = {tier.code: i for i, tier in enumerate(programme.tiers)}
    card_sources = []
    for card in _cards(holdings, member_id).cards.values():
        plan = plan_store.find_or_none(card.plan_id)
        if plan is None or not (every_card or card.gives_benefits(today)) or (paid_only and card.on_trial(today)):
            continue
        if card.card_id == excluding:
            continue
        card_sources.append(rules.card_source(card, plan))
    floors = rules.combine(card_sources, rank, earned)
    tier_source = _tier_source(floors.tier or earned, date.min)
    sources = [*card_sources, tier_source]
    return sources, rules.combine(sources, rank, earned, store_id), earned


def tier_of_benefits(
    holdings: Holdings, member_id: str, today: date, earned: str | None = None, *, paid_only: bool = False,
    excluding: str | None = None,
) -> str:  # fmt: skip
    """The tier whose benefits the member has now: the earned tier (``earned``: as if it were that), or a higher
    floor an active card gives (``paid_only``: a card paid for, not on its free trial; ``excluding``: but that
    card). Read from holdings the caller read anyway."""
    if not _cards(holdings, member_id).cards:
        return earned or tier_in(holdings, member_id)
    _, combined, earned = sources_of(holdings, member_id, today, earned, paid_only=paid_only, excluding=excluding)
    return combined.tier or earned


def noting_card_birthday(
    holdings: Holdings, member_id: str, today: date, year: int, bonus_of: Callable[[str], int], source: Source
) -> list[Posting]:
    """What a paid card's tier floor alone added to a birthday gift (the gift's tier points less what they would be
    without that card, and the birthday coupons its tier names that the tier without it does not), noted on the card:
    a cancellation that gives back all the card was paid takes them back, as it takes back what its multiplier added.
    None when no card was decisive (no floor above the earned tier, or two cards giving the same one) or it added
    nothing."""
    tier = tier_of_benefits(holdings, member_id, today, paid_only=True)
    given, programme = bonus_of(tier), programmes.programme()
    postings = []
    for card in _cards(holdings, member_id).cards.values():
        if not card.gives_benefits(today) or card.on_trial(today):
            continue
        without = tier_of_benefits(holdings, member_id, today, paid_only=True, excluding=card.card_id)
        part = max(given - bonus_of(without), 0)
        if part > 0 or birthday_coupons_beyond(programme, tier, without):
            noted = replace(card, birthdays=(*card.birthdays, rules.CardBirthday(year, part, tier, without)))
            reason = (
                Phrase(f"生日礼：会员卡等级加赠 {part} 积分", f"Birthday gift: {part} more points from the card's tier")
                if part
                else Phrase("生日礼：会员卡等级生日礼券", "Birthday gift: the card tier's coupons")
            )
            postings.append(Posting(member_id, MEMBERSHIP, 0, "birthday", source, reason, {"card": noted.to_json()}))
    return postings


def _birthdays_back(card: Card) -> dict[str, Any]:
    """What a cancellation giving back all a card was paid takes back of the birthday gifts its floor added, for the
    cancellation's event: the points (``birthday_points``), and by year the birthday coupons its floor's tier named
    beyond the tier without it (``templates``: voided if still usable) with those the tier without it names beyond the
    floor's (``give``), so each gift is what it would have been without the card."""
    programme = programmes.programme()
    coupons_back = [
        {"year": given.year, "templates": birthday_coupons_beyond(programme, given.tier, given.without),
         "give": birthday_coupons_beyond(programme, given.without, given.tier)}
        for given in card.birthdays if given.tier
    ]  # fmt: skip
    return {"birthday_points": sum(given.points for given in card.birthdays),
            **({"birthday_coupons": coupons_back} if coupons_back else {})}  # fmt: skip


def benefits_of(member_id: str, store_id: str | None = None) -> dict[str, Any]:
    """Every benefit the member has now, its source, and for counted ones what is left this period (one read); at
    ``store_id`` when said, what applies there; and the cards paused today, whose benefits wait (a salon's
    walkthrough read an empty list during a pause, with no word of the card)."""
    _require_member(member_id)
    today = clock.business_today()
    holdings = ledger().holdings(member_id)
    sources, combined, earned = sources_of(holdings, member_id, today, store_id=store_id)
    uses: Uses = holdings.state(member_id, USES)
    floor = next((s for s in sources if s.key == combined.tier_from), None) if combined.tier_from else None
    items = []
    for source in sources:
        kind_of_source, _, source_id = source.key.partition(":")
        through = floor if kind_of_source == "tier" and floor is not None and floor.key != source.key else None
        for b in source.benefits:
            remaining = period_ends = allowed = None
            ahead = 0
            if b.kind == "quota":
                allowed, used, period_ends = rules.allowance(
                    b, uses.by_key.get(rules.uses_key(source, b)), today, source
                )
                remaining = rules.left_shown(max(0, allowed - used))
                allowed = None if b.unlimited else allowed
                ahead = min(rules.paid_ahead(b, source, today), remaining or 0)  # said apart (an education chain)
            applies = _applies(b, source, combined)
            items.append(
                {
                    "benefit_id": b.benefit_id,
                    "name": b.name,
                    "kind": b.kind,
                    "source": kind_of_source,
                    "source_id": source_id,
                    "source_name": source.name,
                    "student_id": source.student_id,
                    "applies": applies,
                    "rate": str(b.rate) if b.rate is not None else None,
                    "tier": b.tier,
                    "quota": b.quota,
                    "period": b.period,
                    "remaining": remaining,
                    "ahead": ahead,
                    "allowed": allowed,
                    "period_ends_on": period_ends,
                    "until": through.until if through else source.until,
                    "through_card": through.name if through else None,
                    "unlimited": b.unlimited,
                    "stores": list(source.stores) if b.kind in ("quota", "discount", "points_multiplier") else [],
                }
            )  # fmt: skip  a tier a card's floor gives lasts as the card (a walkthrough read 长期有效 from the tier)
    paused = []
    for card in _cards(holdings, member_id).cards.values():
        until = next((q.last_day for q in card.pauses if q.first_day <= today <= q.last_day), None)
        if until is not None and card.status(today) == "paused":
            plan = plan_store.find_or_none(card.plan_id)
            paused.append({"card_id": card.card_id, "plan_name": plan.name if plan else card.plan_id,
                           "paused_until": until, "student_id": card.student_id})  # fmt: skip
    return {"items": items, "effective": _effective(combined, earned), "paused": paused}


def effective_now(holdings: Holdings, member_id: str, today: date, store_id: str | None = None) -> dict[str, str]:
    """What applies now (at ``store_id``, when said), the tier and every card giving benefits combined, from the
    account the caller read: the discount, the points multiplier and the tier whose benefits apply (a card's floor,
    or the earned tier)."""
    _, combined, earned = sources_of(holdings, member_id, today, store_id=store_id)
    return _effective(combined, earned)


def _effective(combined: Combined, earned: str) -> dict[str, str]:
    return {"discount_rate": str(combined.discount_rate), "points_multiplier": str(combined.points_multiplier),
            "tier": combined.tier or earned, "earned_tier": earned}  # fmt: skip


def _applies(benefit: PlanBenefit, source: rules.Source, combined: Combined) -> bool:
    if benefit.kind == "discount":
        return combined.discount_from == source.key and benefit.rate == combined.discount_rate
    if benefit.kind == "points_multiplier":
        return source.key in combined.multiplier_from
    if benefit.kind == "tier_floor":
        return combined.tier_from == source.key
    return True


def points_multiplier(
    holdings: Holdings, member_id: str, tier_multiplier: Decimal, today: date, earned: str | None = None, *,
    every_card: bool = False, excluding: str | None = None, store_id: str | None = None,
) -> Decimal:  # fmt: skip
    """The multiplier a purchase (at ``store_id``) earns with: the tier's (``earned``, the member's as read unless
    named) and the active cards' combined (best wins, stacking ones multiply; a card of other stores none); with
    ``every_card``, every card held or once held. Read from the holdings the purchase read anyway: no request of its
    own."""
    state = _cards(holdings, member_id)
    if not state.cards:
        return tier_multiplier
    _, combined, _ = sources_of(holdings, member_id, today, earned, every_card=every_card, excluding=excluding,
                                store_id=store_id)  # fmt: skip
    return max(combined.points_multiplier, tier_multiplier)


# --- using a counted benefit ------------------------------------------------------------------------------------


def use_recorded(member_id: str, use_id: str) -> bool:
    """Whether a use under ``use_id`` was recorded for the member already (its repeat is answered as it was)."""
    return ledger().store.read_claim(f"benefit-use|{member_id}|{use_id}") is not None


def use(
    member_id: str, benefit_id: str, use_id: str, note: str, store_id: str | None = None,
    alongside: Callable[[str], Callable[[Transaction], None]] | None = None, source_id: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Record one use of a counted benefit, once per use id: drawn from ``source_id`` (a card's id, or the tier's
    code) when named, else from the source that ends first (a card before the tier), never beyond the period's quota
    (409 ``quota-exhausted``), under races too; a repeat of a use taken back since says ``reversed`` (a use id records
    one use, for good: a new use takes a new id). Sources offering the code under different names are different
    benefits (two packs' classes, each coded `benefit-1` by default: a walkthrough's 体适能课 came off the dance pack):
    unnamed, 422 on ``source_id``. One read of the member's account and one transaction (the member's status is
    proven by the account, or checked in the transaction). ``alongside(whose)`` commits with it: the member code it
    spends, once per benefit and person whose class it was (``member``, or a student's id: siblings in one class on
    their parent's scan; a review: naming a card, or not, booked one person's class twice on one scan)."""
    claim = Claim.of(f"benefit-use|{member_id}|{use_id}", {"benefit_id": benefit_id},
                     conflict=UseConflict(f"Use {use_id!r} was recorded for another benefit"))  # fmt: skip
    drawn: list[tuple[str, int, date]] = []
    named: list[str] = []  # the benefit's name, as the member reads it in the reminder (消课提醒)
    told: dict[str, Any] = {}  # what the reminder says besides: its period's kind, the uses of terms paid ahead left
    owed: list[int] = []  # what the use takes off what its pack owes by its uses (a pack refunded by uses)

    def plan_postings(holdings: Holdings) -> list[Posting]:
        today = clock.business_today()
        sources, _, _ = sources_of(holdings, member_id, today)
        uses: Uses = holdings.state(member_id, USES)
        offering = [(s, b) for s in sources for b in s.benefits if b.benefit_id == benefit_id and b.kind == "quota"
                    and source_id in (None, s.key.partition(":")[2])]  # fmt: skip
        if not offering:
            raise BenefitNotHeld(f"The member has no counted benefit {benefit_id!r} now"
                                 + (f" from {source_id!r}" if source_id else "") + _resting(holdings, member_id,
                                                                                      benefit_id, today))  # fmt: skip
        elsewhere = [source for source, _ in offering if source.stores and store_id not in source.stores]
        offering = [(source, b) for source, b in offering if source not in elsewhere]
        if not offering:
            raise BenefitElsewhere(elsewhere[0], store_id)
        if len({(b.name, s.student_id) for s, b in offering}) > 1:  # or for two students (学员): whose class is it?
            held = "; ".join(
                f"{s.key.partition(':')[2]} ({s.name}: {b.name}"
                + (f", student {s.student_id}" if s.student_id else "")
                + ")"
                for s, b in offering
            )
            said = f"{benefit_id!r} is more than one benefit of the member's: name the one to use ({held})"
            raise ValidationFailed([{"field": "source_id", "in": "body", "message": said}], said)
        offering.sort(key=lambda found: (found[0].until or date.max, found[0].key))
        left_total = 0
        chosen = None
        for source, b in offering:
            usage = uses.by_key.get(rules.uses_key(source, b))
            allowed, used, ends = rules.allowance(b, usage, today, source)
            left_total += max(0, allowed - used)
            if chosen is None and used < allowed:
                chosen = (source, b, allowed, used, ends, usage)
        if chosen is None:
            raise QuotaExhausted(f"No uses of {benefit_id!r} are left this period", remaining=0)
        source, b, allowed, used, ends, usage = chosen
        first, _ = rules.span_of(b.period or "day", today, source.terms)
        carried = allowed - (b.quota or 0) - rules.paid_ahead(b, source, today)
        starts_at = used if usage is None or usage.period != first else 0  # a new term: what earlier ones drew from it
        drawn[:] = [(source.key, left_total - 1, ends)]
        named[:] = [b.name]
        ahead = rules.paid_ahead(b, source, today)  # of what is left, the terms paid ahead's (an education chain's
        own = allowed - used - 1  # text said 本期还剩47 of two packs), and this card's own (a review: of two cards)
        told.update(period=b.period, ahead=min(ahead, own), own=own, quota=b.quota or 0, student_id=source.student_id)
        card = _cards(holdings, member_id).cards.get(source.key.partition(":")[2]) if source.key.startswith("card:") \
            else None  # fmt: skip
        owed[:] = [-min(b.value_fen, _owed_by_use(holdings, member_id, card)) if card is not None else 0]
        detail = {"key": rules.uses_key(source, b), "period": first.isoformat(), "allowed": allowed, "carried": carried,
                  **({"drawn": starts_at} if starts_at else {}),
                  "benefit_id": benefit_id, "use_id": use_id, "note": note, "store_id": store_id,
                  **({"cycle": source.cycle} if b.period == "term" else {}),
                  **({"card_cycle": source.cycle} if source.key.startswith("card:") else {}),
                  **({"student_id": source.student_id} if source.student_id else {})}  # fmt: skip
        return [
            Posting(
                member_id,
                USES,
                1,
                "use",
                Source("use", use_id),
                Phrase(f"使用权益「{b.name}」", f"Used: {b.name}"),
                detail,
            )
        ]

    def result(answer: Answer) -> dict[str, Any]:
        key, left, ends = drawn[0]
        return {"use_id": use_id, "member_id": member_id, "benefit_id": benefit_id,
                "source_id": key.partition(":")[2], "remaining": rules.left_shown(left),
                "period_ends_on": ends.isoformat()}  # fmt: skip

    def announce(answer: Answer) -> list[Event]:
        key, left, _ = drawn[0]
        return [new_event("membership.benefit-used", f"member/{member_id}", {
            "member_id": member_id, "benefit_id": benefit_id, "use_id": use_id, "source": key,
            "remaining": rules.left_shown(left), **({"unlimited": True} if rules.left_shown(left) is None else {}),
            **({"by_use_fen": owed[0]} if owed and owed[0] else {}),
            "benefit_name": named[0], **({"store_id": store_id} if store_id else {}),
            **({"store_name": store_name(store_id) or store_id} if store_id else {}),
            "period": told["period"], **({"ahead": told["ahead"]} if told["ahead"] > 0 else {}),
            **({"student_id": told["student_id"]} if told["student_id"] else {}),
            **({"source_remaining": told["own"], "quota": told["quota"]} if rules.left_shown(left) is not None else {}),
        })]  # fmt: skip

    try:
        posted = ledger().post(plan_postings, holders=[member_id], claim=claim, require={member_id: "active"},
                               result=result, announce=announce,
                               attach=(lambda answer: [alongside(told["student_id"] or "member")])
                               if alongside else None)  # fmt: skip
    except Insufficient:
        raise QuotaExhausted(f"No uses of {benefit_id!r} are left this period", remaining=0) from None
    except HolderUnavailable:
        raise MemberUnavailable(f"No active member {member_id!r}") from None
    if posted.duplicate and ledger().store.read_claim(f"benefit-use-reversal|{member_id}|{use_id}") is not None:
        # taken back since: said so, with what is left now (a walkthrough's cashier read "recorded" and nothing was)
        drawn_from = posted.result.get("source_id")
        return {**posted.result, "remaining": benefits_remaining(member_id, benefit_id, drawn_from), "reversed": True,
                "duplicate": True}  # fmt: skip
    return {**posted.result, "reversed": False, "duplicate": posted.duplicate}


def _resting(holdings: Holdings, member_id: str, benefit_id: str, today: date) -> str:
    """Why a card of the member's giving ``benefit_id`` gives it not today, said after a refusal: paused until when
    (停卡中: an education chain's walkthrough read "no counted benefit" for a child on leave), or waiting to open."""
    for card in _cards(holdings, member_id).cards.values():
        plan = plan_store.find_or_none(card.plan_id)
        if plan is None or plan.benefit(benefit_id) is None:
            continue
        status = card.status(today)
        if status == "paused":
            last = next(q.last_day for q in card.pauses if q.first_day <= today <= q.last_day)
            return f": its card {plan.name} is paused until {last.isoformat()} (停卡中)"
        if status == "pending":
            return f": its card {plan.name} waits to be opened (待开卡: 开卡 first)"
    return ""


TAKE_BACK_ANY_USE = (Permission.PURCHASES_REFUND, Permission.MEMBERSHIP_CANCEL)  # store managers, customer service


class UseNotReversible(Forbidden):
    slug, title = "use-not-reversible", "This use is not yours to take back"


def reverse_use(member_id: str, benefit_id: str, use_id: str, caller: Caller | None = None) -> dict[str, Any]:
    """Take a use back (a class cancelled, a mistake at the till), once: its period's count goes down while that
    period lasts. Staff who neither refund purchases nor cancel cards (cashiers) take back only a use of today, the
    mistake at the till; an earlier one is a store manager's (403 ``use-not-reversible``): a use taken back raises
    what a cancellation refunds and gives the quota again (a probe: a cashier took back classes already given). Staff
    scoped to stores take back only a use recorded at one of theirs (a walkthrough: another store's cashier took one
    back)."""
    original = f"benefit-use|{member_id}|{use_id}"
    engine = ledger()
    first = engine.replay(Claim.of(original, {"benefit_id": benefit_id},
                                   conflict=UseNotFound(f"No use {use_id!r} of {benefit_id!r}")))  # fmt: skip
    if first is None:
        raise UseNotFound(f"No use {use_id!r} of {benefit_id!r}")
    claim = Claim.of(f"benefit-use-reversal|{member_id}|{use_id}", {"benefit_id": benefit_id})
    staff = caller if caller is not None and caller.kind == "staff" else None
    at_the_till = staff is not None and not any(map(staff.may, TAKE_BACK_ANY_USE))
    if staff is not None and (at_the_till or staff.stores) and engine.replay(claim) is None:  # a repeat was checked
        entry = _use_entry(original)
        day = clock.business_date(datetime.fromisoformat(entry.occurred_at), get_settings().tz) if entry else None
        if at_the_till and day != clock.business_today():
            raise UseNotReversible("Only a use recorded today is taken back at the till; a store manager takes back "
                                   "an earlier one")  # fmt: skip
        at = (entry.detail or {}).get("store_id") if entry else None
        if staff.stores and at not in staff.stores:
            raise UseNotReversible("A use recorded at another store is taken back there, or by staff of every store")

    left: list[int] = []  # what is left once it is taken back, worked out on the reversal's own read
    owed: list[int] = []  # what it gives back to what its pack owes by its uses
    whose: dict[str, str] = {}  # the student (学员) whose card's use it was

    def check(holdings: Holdings, undone: list[Entry]) -> None:
        _unsettled(holdings, undone)
        book, today = ledger().books[USES], clock.business_today()
        after: Uses = holdings.state(member_id, USES)
        for entry in (e for e in undone if e.book == USES):
            after = book.undo(after, entry, today)[0]
        keys = [str((e.detail or {}).get("key", "")) for e in undone if e.book == USES]
        card_id = keys[0].split("|")[1] if keys and keys[0].startswith("card|") else None
        left[:] = [_left_of(holdings, member_id, benefit_id, after, drawn_from=first.result.get("source_id"))]
        card = _cards(holdings, member_id).cards.get(card_id) if card_id else None
        owed[:] = [_owed_by_use(holdings, member_id, card, after) - _owed_by_use(holdings, member_id, card)
                   if card is not None else 0]  # fmt: skip
        whose.update(_whose(card) if card is not None else {})

    def announce(answer: Answer) -> list[Event]:
        reversal = next(e for e in answer.entries if e.book == USES)
        named = re.search(r"「(.+)」", reversal.reason)  # the member's text names it (撤销使用权益「…」)
        return [new_event("membership.benefit-use-reversed", f"member/{member_id}", {
            "member_id": member_id, "benefit_id": benefit_id, "use_id": use_id, "remaining": rules.left_shown(left[0]),
            **({"unlimited": True} if rules.left_shown(left[0]) is None else {}),
            **({"by_use_fen": owed[0]} if owed and owed[0] else {}),
            **({"benefit_name": named.group(1)} if named else {}), **whose,
            **({"store_id": store_id} if (store_id := (reversal.detail or {}).get("store_id")) else {}),
        })]  # fmt: skip

    posted = engine.reverse(original, claim=claim, reason=_reversal_reason, result=lambda answer: dict(first.result),
                            announce=announce, check=check)  # fmt: skip
    remaining = (
        rules.left_shown(left[0]) if left and not posted.duplicate
        else benefits_remaining(member_id, benefit_id, first.result.get("source_id"))
    )  # fmt: skip
    return {**posted.result, "remaining": remaining, "reversed": True, "duplicate": posted.duplicate}  # reads it now


def _unsettled(holdings: Holdings, undone: list[Entry]) -> None:
    """A card's use stands once the card was cancelled, or bought again, since (409 ``use-settled``): its
    cancellation's refund counted it at its value (a walkthrough took a class back after the refund had kept ¥150 for
    it), and a new cycle's uses are the new cycle's; and once the period it counted in is over."""
    for use in undone:
        kind, _, rest = str((use.detail or {}).get("key", "")).partition("|")
        if kind != "card" or use.book != USES:
            continue
        card_id = rest.partition("|")[0]
        card = _cards(holdings, use.holder).cards.get(card_id)
        if card is None:
            continue
        made_in = (use.detail or {}).get("card_cycle", (use.detail or {}).get("cycle"))  # None: kept before cycles
        used_on = clock.business_date(datetime.fromisoformat(use.occurred_at), get_settings().tz)
        bought_again = made_in != card.cycle if made_in is not None else card.cycle and used_on < card.started_on
        if card.status(clock.business_today()) == "cancelled" or bought_again:
            raise UseSettled("The card this use was of was cancelled or bought again since: its refund counted the "
                             "use, which stands")  # fmt: skip
        if _period_over(holdings, use, card):
            raise UseSettled("The period this use counted in is over: it stands (a cancellation's refund would "
                             "count it back)")  # fmt: skip


def _period_over(holdings: Holdings, use: Entry, card: Card) -> bool:
    """Whether the period a card's use counted in is over, and nothing of it runs on (an education chain's walkthrough
    took back a lesson of a term a year gone, which only raised what a cancellation refunds). A use of today is the
    till's mistake whatever renewed since; a use of the term just before this one stands only while it drew nothing
    from this one (taken back, one of those drawn comes back)."""
    detail = use.detail or {}
    plan = plan_store.find(card.plan_id)
    benefit = plan.benefit(str(detail.get("benefit_id", "")))
    if benefit is None or benefit.period is None or "period" not in detail:
        return False
    today = clock.business_today()
    if clock.business_date(datetime.fromisoformat(use.occurred_at), get_settings().tz) == today:
        return False
    current, _ = rules.span_of(benefit.period, today, card.paid_terms)
    made_in = date.fromisoformat(detail["period"])
    if made_in >= current:
        return False
    previous, _ = rules.span_of(benefit.period, current - timedelta(days=1), card.paid_terms)
    if benefit.period != "term" or made_in != previous:
        return True
    usage = holdings.state(use.holder, USES).by_key.get(str(detail.get("key")))
    if usage is None:
        return True
    drawn = usage.drawn if usage.period == current else rules.allowance(benefit, usage, today,
                                                                          rules.card_source(card, plan))[1]  # fmt: skip
    return drawn <= 0


def _reversal_reason(use: Entry) -> Phrase:
    """A reversal's words, naming what the use was (a walkthrough read a bare 撤销权益使用 in the use record)."""
    if not use.reason.startswith("使用权益"):
        return USE_REVERSED
    return Phrase(f"撤销{use.reason}", f"Use reversed: {(use.reason_en or '').removeprefix('Used: ')}")


def _use_entry(original: str) -> Entry | None:
    """A use's entry (when and at which store it was recorded), found through its claim."""
    stored = ledger().store.read_claim(original)
    for key in stored.entries if stored else ():
        entry = ledger().store.entry(*key)
        if entry is not None:
            return entry
    return None


USES_READ = 100  # entries a read of a student's use record takes
USES_READS = 5  # reads a page of one student's uses makes at most once it holds one (20 give up: an empty page)


def uses_page(
    member_id: str, limit: int, cursor: str | None, *, for_member: bool = False, student_id: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The member's counted-benefit uses and their reversals (消课记录), newest first: which benefit, when, at which
    store, what for, and (for staff) who recorded it; a reversal names the use it took back. With ``student_id``, only
    that student's (a child's attendance across their packs: a parent of two reads each apart), a page empty only at
    the record's end (or after a long stretch of their siblings')."""
    scope = f"benefit-uses|{member_id}" + (f"|{student_id}" if student_id else "")
    position = decode_cursor(scope, cursor)
    after = position["seq"] if position else None
    if student_id is None:
        entries, after = ledger().page(member_id, USES, limit, after, consistent=False)
        return [_use_json(e, for_member) for e in entries], encode_cursor(scope, {"seq": after} if after else None)
    taken: list[Entry] = []
    for reads in range(1, 4 * USES_READS + 1):
        entries, after = ledger().page(member_id, USES, USES_READ, after, consistent=False)
        for entry in entries:
            if (entry.detail or {}).get("student_id") == student_id:
                taken.append(entry)
                if len(taken) == limit:
                    after = entry.seq if entry is not entries[-1] or after is not None else None
                    break
        if after is None or len(taken) == limit or (taken and reads >= USES_READS):
            break
    return [_use_json(e, for_member) for e in taken], encode_cursor(scope, {"seq": after} if after else None)


def _use_json(entry: Entry, for_member: bool) -> dict[str, Any]:
    detail = entry.detail or {}
    use_id = entry.source.id if entry.kind == "use" else detail.get("use_id")  # a reversal names its use
    return {
        "kind": "use" if entry.amount > 0 else "reversal", "use_id": use_id, "undoes": detail.get("undoes"),
        "entry_id": entry.entry_id, "benefit_id": detail.get("benefit_id") or str(detail["key"]).rpartition("|")[2],
        "source_id": str(detail["key"]).split("|")[1] if str(detail["key"]).startswith("card|") else None,
        "reason": entry.reason, "reason_en": entry.reason_en, "note": detail.get("note") or None,
        "store_id": detail.get("store_id"), "student_id": detail.get("student_id"),
        "at": entry.occurred_at,
        "recorded_by": None if for_member else entry.actor,
    }  # fmt: skip


def benefits_remaining(member_id: str, benefit_id: str, drawn_from: str | None = None) -> int | None:
    """What is left of a counted benefit this period, every source added (one read; ``drawn_from``: of the person a
    use drawn from that card or tier was for); None without a number."""
    return rules.left_shown(_left_of(ledger().holdings(member_id), member_id, benefit_id, drawn_from=drawn_from))


def _left_of(
    holdings: Holdings, member_id: str, benefit_id: str, uses: Uses | None = None, drawn_from: str | None = None
) -> int:  # fmt: skip
    """What is left of a counted benefit this period, every source added, from ``holdings`` (with ``uses``: the
    counts as a write about to commit leaves them); with ``drawn_from`` (a use's card or tier), only the sources of
    the person whose use it was (a student's cards, or the member's own and their tier: a child's class taken back
    read the family's classes as the child's)."""
    today = clock.business_today()
    sources, _, _ = sources_of(holdings, member_id, today)
    uses = uses if uses is not None else holdings.state(member_id, USES)
    if drawn_from is not None:
        card = _cards(holdings, member_id).cards.get(drawn_from)
        whose = card.student_id if card is not None else None
        sources = [source for source in sources if source.student_id == whose]
    left = 0
    for source in sources:
        for b in source.benefits:
            if b.benefit_id == benefit_id and b.kind == "quota":
                allowed, used, _ = rules.allowance(b, uses.by_key.get(rules.uses_key(source, b)), today, source)
                left += max(0, allowed - used)
    return left
