"""Stored value (储值) use cases on the ledger engine: top-ups, wallet payments, refunds back to the wallet, cash
refunds, and reading wallets and their entries.

``Wallets`` holds the verbs on one ledger (DynamoDB in the app, memory in service tests). Each write is one
``Ledger.post``: one read of the accounts it touches and one transaction holding the entries, the claim that makes
it happen once, the member check and its event (``wallet.topped-up``, ``wallet.paid``, ``wallet.refunded``,
``wallet.cash-refunded``, ``wallet.forfeited``, with ids, amounts and the entries' reason; a payment that earns
top-up gift points, or a refund that takes them back, adds the points event of its entry). The functions after it
take requests as the API parses them: they resolve the partner's store, the member and the plan, and turn the
engine's refusals into domain errors; they never return HTTP statuses.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import itertools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.identity.access import Caller
from chalicelib.ledger.engine import Announce, Attach, Holdings, Ledger, Plan, Result
from chalicelib.ledger.model import Answer, Claim, Entry, Insufficient, Posting, Source
from chalicelib.ledger.registry import ledger, never_posted, unchanged_in
from chalicelib.ledger.store import HolderUnavailable as HolderUnavailable  # what callers catch
from chalicelib.ledger.store import Requirement
from chalicelib.members import service as members
from chalicelib.members.model import Status
from chalicelib.points import service as points
from chalicelib.points.book import BOOK as POINTS
from chalicelib.purchases.schemas import CLOCK_SKEW, MemberRef
from chalicelib.shared import clock
from chalicelib.shared.crypto import lookup_hash
from chalicelib.shared.db import Transaction, together
from chalicelib.shared.errors import (
    Conflict,
    DomainError,
    IdempotencyKeyReused,
    InvalidCursor,
    NotFound,
    ValidationFailed,
)
from chalicelib.shared.events import Event, new_event
from chalicelib.shared.idempotency import IdempotencyKey
from chalicelib.shared.ids import COUNTER, new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.phrases import Phrase, english
from chalicelib.shared.settings import get_settings
from chalicelib.stores.service import not_open, require_partners
from chalicelib.wallet import book as _books  # noqa: F401  registers the wallet's books
from chalicelib.wallet import plans
from chalicelib.wallet.rules import (
    BONUS,
    BOOK_NAMES,
    ERASURE_SCOPE,
    GIFTS,
    PRINCIPAL,
    REFUNDABLE,
    SCOPES_OF_NO_STORE,
    GiftState,
    Parts,
    Policy,
    Refundable,
    cash_out,
    gift_on_cash_refund,
    gift_on_payment,
    gift_on_refund,
    gift_on_top_up,
    over_limit,
    payment_holder,
    split_payment,
    split_refund,
)
from chalicelib.wallet.rules import Plan as TopUpPlan
from chalicelib.wallet.schemas import (
    WalletCashRefundCreate,
    WalletCounterPayment,
    WalletCounterRefund,
    WalletCounterTopUp,
    WalletPayment,
    WalletRefund,
    WalletTopUp,
)


class InsufficientBalance(Conflict):
    slug, title = "insufficient-balance", "Not enough stored value"


class TopUpConflict(Conflict):
    slug, title = "top-up-conflict", "This top-up's payment id was reported before with other content"


class PaymentConflict(Conflict):
    slug, title = "payment-conflict", "This wallet payment's id was reported before with other content"


class _PaidBefore(PaymentConflict):
    """The order was paid at the counter before orders were the chain's (its payment keeps its store's id)."""


class RefundConflict(Conflict):
    slug, title = "refund-conflict", "This refund id was reported before with other content"


class BalanceLimitExceeded(DomainError):
    slug, title, status = "balance-limit-exceeded", "The top-up would take the wallet over its limit", 422


class PaymentOfAnotherMember(ValidationFailed):
    """A refund names a member, and the payment was another member's."""

    def __init__(self) -> None:
        detail = "The payment was made by another member"
        super().__init__([{"field": "member_id", "in": "body", "message": detail}], detail)


class PaymentMoved(Conflict):
    """A decision made on a counter payment met it changed at commit (a refund came in between): decide again."""

    title = "The order's wallet payment changed meanwhile; try again"


class RefundExceedsPayment(DomainError):
    slug, title, status = "refund-exceeds-payment", "More than the payment has left to refund", 422


class MemberNotEligible(ValidationFailed):
    slug, title = "member-not-eligible", "The member cannot use stored value"

    def __init__(self, detail: str) -> None:
        super().__init__([{"field": "member", "in": "body", "message": detail}], detail)


@dataclass(frozen=True)
class PartnerPayment:
    """A payment as a partner reports it: its own id, at one of its stores, when it was paid."""

    partner_id: str
    payment_id: str
    store_id: str
    paid_at: datetime
    order_id: str | None = None  # the till's order it belongs to, when said
    paid_for: str | None = None  # what it paid for, in the member's words on their entries (a card's plan)
    method: str | None = None  # how a top-up's money was taken (cash, wechat_pay…), when said

    def answer(self, member_id: str, moved: Parts, wallet: Parts) -> dict[str, Any]:
        """What a webhook answers about it: what it moved and the wallet after."""
        return {"payment_id": self.payment_id, "member_id": member_id, **moved.to_json(), "wallet": wallet.to_json()}

    def payload(self, member_id: str, moved: Parts) -> dict[str, Any]:
        """What its event says: ids and amounts."""
        return {
            "member_id": member_id,
            "partner_id": self.partner_id,
            "payment_id": self.payment_id,
            "store_id": self.store_id,
            **({"order_id": self.order_id} if self.order_id else {}),
            **({"payment_method": self.method} if self.method else {}),
            **moved.to_json(),
        }


SaleRefunded = Callable[[str], int | None]  # a till order -> what its recorded sale's refunds gave back (None: none)


def refund_room(payment: Refundable, sale_refunded: int | None) -> int:
    """What a wallet payment may still give back: what it has left, and, once its order was recorded as a sale,
    no more in all than the sale's refunds gave back (``sale_refunded``). The sale's refund is where money goes back:
    a wallet part given back on its own, and then the sale refunded whole, gave a mixed sale back twice over, the
    till paying the whole refund by its other payment (a probe); and the points of a sale refunded by the wallet
    alone stayed. None: no sale recorded, the payment's own left."""
    if sale_refunded is None:
        return payment.left.total
    given_back = (payment.paid.total if payment.paid else payment.left.total) - payment.left.total
    return max(0, min(payment.left.total, sale_refunded - given_back))


def _top_up_reason(plan: TopUpPlan | None, payment: PartnerPayment) -> Phrase:
    """A top-up in the member's words: its plan, and the till's order for one taken at the counter (a gift card
    bound: what the card's payment says it paid for)."""
    if plan is None and payment.paid_for is not None:
        return Phrase(payment.paid_for, english(payment.paid_for) or payment.paid_for)
    named, order = f" {plan.name}" if plan else "", payment.order_id
    return Phrase(f"储值充值{named}" + (f"·订单 {order}" if order else ""),
                  f"Top-up{named}" + (f", order {order}" if order else ""))  # fmt: skip


def _wallet(holdings: Holdings, member_id: str) -> Parts:
    return Parts(holdings.balance(member_id, PRINCIPAL), holdings.balance(member_id, BONUS))


def _after(answer: Answer, member_id: str, before: Parts) -> Parts:
    """The wallet after a post: each book's balance after its entry, or as read when the post did not touch it."""
    balances = answer.balances
    return Parts(balances.get((member_id, PRINCIPAL), before.principal), balances.get((member_id, BONUS), before.bonus))


def _moves(
    member_id: str, parts: Parts, kind: str, source: Source, reason: str, store_id: str | None, bonus_kind: str = "",
    bonus_reason: str | None = None,
) -> list[Posting]:  # fmt: skip
    """The postings moving ``parts`` (signed) on the member's two books, each entry naming the store it happened at
    (None: none did, as an erasure's forfeit); a part of 0 posts nothing. The bonus's entry says ``bonus_reason``
    where it differs (a bonus forfeited with a cash payout)."""
    books = (
        (PRINCIPAL, parts.principal, kind, reason),
        (BONUS, parts.bonus, bonus_kind or kind, bonus_reason or reason),
    )
    at = {"store_id": store_id} if store_id else None
    return [
        Posting(member_id, book, amount, entry_kind, source, said, at)
        for book, amount, entry_kind, said in books
        if amount
    ]


def _reasons_of(answer: Answer) -> dict[str, str | None]:
    """Why the wallet moved, as its entries say it to the member (``reason``, and ``reason_en`` where the platform
    wrote it): the event carries it to the store's journal, the audit log and the BI files (a reason staff typed holds
    no personal data: ``Reason``)."""
    moved = next((e for e in answer.entries if e.book in (PRINCIPAL, BONUS)), None)
    if moved is None:
        return {"reason": None}
    return {"reason": moved.reason, **({"reason_en": moved.reason_en} if moved.reason_en else {})}


def _gift(member_id: str, before: GiftState, after: GiftState) -> list[Posting]:
    """The posting that keeps the gift points the member has yet to earn, when they moved."""
    if after == before:
        return []
    return [Posting(member_id, GIFTS, 0, "gift", Source("wallet", member_id), "", after.to_json())]


def _gift_earned(member_id: str, gift_points: int, source: Source) -> Posting:
    """The credit of top-up gift points a payment earned: dated from now by the points' policy, however late the
    payment is reported (the policy is read only for a payment that earns some)."""
    expires_on, available_on = points.policy_dates(None)
    reason = Phrase("储值消费·充值赠送积分到账", "Top-up gift points, earned by spending")
    return points.credit(
        member_id, gift_points, "earn", source, reason, expires_on=expires_on, available_on=available_on
    )


def _points_events(answer: Answer, source: Source, store_id: str | None) -> list[Event]:
    """The points events of the gift points a payment earned or its refund took back (``source``: theirs; what a
    joined domain posted it announces itself)."""
    return [event for event in points.announce(answer, store_id)
            if (event.payload["source_kind"], event.payload["source_id"]) == (source.kind, source.id)]  # fmt: skip


def _positions_after(page: list[Entry], read: Mapping[str, tuple[list[Entry], bool]]) -> dict[str, int]:
    """Per book, the entry number the next page reads below: below the last entry this page took from it, or
    above the first one read when it took none; 1 when the book has nothing left."""
    after = {}
    for book, (found, more) in read.items():
        taken = [entry for entry in page if entry.book == book]
        if not more and len(taken) == len(found):
            after[BOOK_NAMES[book]] = 1
        else:
            after[BOOK_NAMES[book]] = taken[-1].seq if taken else found[0].seq + 1
    return after


@dataclass(frozen=True)
class Joined:
    """Another domain's part of a wallet payment or refund, committed in the same transaction: the holders its plan
    reads, its postings (planned first: raising refuses the whole write, so nothing is taken), its events and its
    records. A points-mall order paid from the wallet becomes paid in the payment's own transaction, and a cancelled
    one gives its points back in its refund's: money is never taken for an order cancelled meanwhile."""

    holders: Sequence[str]
    plan: Plan
    announce: Announce | None = None
    attach: Attach | None = None
    result: Result | None = None  # its part of a payment's answer, kept with the claim (a refund answers its own)

    def postings(self, holdings: Holdings) -> list[Posting]:
        return list(self.plan(holdings))

    def events(self, answer: Answer) -> list[Event]:
        return list(self.announce(answer)) if self.announce else []


def _joined_holders(joined: Joined | None) -> list[str]:
    return list(joined.holders) if joined else []


@dataclass(frozen=True)
class Wallets:
    """The wallet verbs on one ledger, under the operator's policy."""

    ledger: Ledger
    policy: Policy

    def top_up(
        self, member_id: str, payment: PartnerPayment, amount: int, plan: TopUpPlan | None, claim: Claim,
        joined: Joined | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Add ``amount`` of principal and the plan's bonus, once per claim, unless it takes the wallet over the
        limit (422), with what ``joined`` plans (after the wallet's limit is judged) and writes beside it. The plan's
        gift points are the member's to earn as the principal is spent (see ``pay``)."""
        added = Parts(amount, plan.bonus_fen if plan else 0)
        gift = plan.gift_points if plan else 0
        before = Parts()

        def postings(holdings: Holdings) -> list[Posting]:
            nonlocal before
            before = _wallet(holdings, member_id)
            limit = self.policy.max_balance_fen
            if over_limit(before, added, limit):
                room = max(0, limit - before.total)
                detail = f"A wallet holds at most {limit} fen; this top-up adds {added.total}, room for {room}"
                raise BalanceLimitExceeded(detail, room_fen=room)
            beside = joined.postings(holdings) if joined else []  # planned after the wallet's limit, said first
            source = Source("top-up", payment.payment_id)
            gifts = holdings.state(member_id, GIFTS)
            return [
                *_moves(member_id, added, "top-up", source, _top_up_reason(plan, payment), payment.store_id),
                *_gift(member_id, gifts, gift_on_top_up(gifts, gift)),
                *beside,
            ]

        def result(answer: Answer) -> dict[str, Any]:
            theirs = joined.result(answer) if joined and joined.result else {}
            ours = payment.answer(member_id, added, _after(answer, member_id, before))
            return {**theirs, **ours, "gift_points": gift}

        def announce(answer: Answer) -> list[Event]:
            given = {"plan_id": plan.plan_id if plan else None, "gift_points": gift}
            after = _after(answer, member_id, before)
            payload = {**payment.payload(member_id, added), **given, "balance_after_fen": after.total,
                       **_reasons_of(answer)}  # fmt: skip
            return [new_event("wallet.topped-up", f"member/{member_id}", payload),
                    *(joined.events(answer) if joined else [])]  # fmt: skip

        holders = [member_id, *_joined_holders(joined)]
        answer = self._post(postings, holders, claim, {member_id: "active"}, result, announce, joined)
        return {**answer.result, "duplicate": answer.duplicate}

    def pay(
        self, member_id: str, payment: PartnerPayment, amount: int, claim: Claim, joined: Joined | None = None
    ) -> dict[str, Any]:
        """Pay ``amount`` from the wallet, split by the policy's order, once per claim; not enough is 409. The
        payment's own account keeps what it may still have refunded, and to whom, in the same transaction, with what
        ``joined`` posts beside it. The principal it takes earns its share of the top-up gift points pending: the
        whole points are credited (an ``earn`` of the points, dated from now by the points' policy), the share kept
        with the payment for its refund."""
        holder = payment_holder(payment.partner_id, payment.payment_id)
        taken = before = Parts()

        def postings(holdings: Holdings) -> list[Posting]:
            nonlocal taken, before
            beside = joined.postings(holdings) if joined else []
            before = _wallet(holdings, member_id)
            if amount > before.total:
                detail = f"The wallet holds {before.total} fen, the payment asks {amount}"
                raise InsufficientBalance(detail, available_fen=before.total)
            taken = split_payment(amount, before, self.policy.split)
            source = Source("payment", payment.payment_id)
            gifts = holdings.state(member_id, GIFTS)
            gifts_after, earned, gift_points = gift_on_payment(gifts, taken.principal, before.principal)
            credited = [_gift_earned(member_id, gift_points, source)] if gift_points else []
            refundable = {
                "principal": taken.principal,
                "bonus": taken.bonus,
                "member_id": member_id,
                "store_id": payment.store_id,
                "paid_at": clock.iso(payment.paid_at),
                **({"order_id": payment.order_id} if payment.order_id else {}),
                **({"gift": earned} if earned else {}),
            }
            spent = Parts(-taken.principal, -taken.bonus)
            order = payment.order_id
            paid_for = payment.paid_for or (Phrase(f"订单 {order}", f"order {order}") if order else None)
            reason = (
                Phrase(f"储值支付·{paid_for}", f"Wallet payment for {english(paid_for) or paid_for}")
                if paid_for
                else Phrase("储值支付", "Wallet payment")
            )
            return [
                *_moves(member_id, spent, "payment", source, reason, payment.store_id),
                Posting(holder, REFUNDABLE, amount, "payment", source, "可退金额", refundable),
                *_gift(member_id, gifts, gifts_after),
                *credited,
                *beside,
            ]

        def result(answer: Answer) -> dict[str, Any]:
            theirs = joined.result(answer) if joined and joined.result else {}
            return {**theirs, **payment.answer(member_id, taken, _after(answer, member_id, before))}  # ours win

        def announce(answer: Answer) -> list[Event]:
            after = _after(answer, member_id, before).total
            payload = {**payment.payload(member_id, taken), "balance_after_fen": after, **_reasons_of(answer)}
            paid = new_event("wallet.paid", f"member/{member_id}", payload)
            return [
                paid,
                *_points_events(answer, Source("payment", payment.payment_id), payment.store_id),
                *(joined.events(answer) if joined else []),
            ]

        holders = [member_id, holder, *_joined_holders(joined)]
        answer = self._post(postings, holders, claim, {member_id: "active"}, result, announce, joined)
        return {**answer.result, "duplicate": answer.duplicate}

    def refund(
        self, partner_id: str, refund_id: str, payment_id: str, amount: int, occurred_at: datetime, claim: Claim,
        joined: Joined | None = None, member_id: str | None = None, reason: str | None = None,
        sale_refunded: SaleRefunded | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Give ``amount`` of a wallet payment back to the wallet it was paid from, once per claim: principal and
        bonus in the proportion the payment has left of each, with what ``joined`` posts beside it. More than it has
        left is 422, an unknown payment 404. The member must still be a member (frozen is fine: it is their money).
        A caller who knows whose payment it was says so (``member_id``): the payment and the wallet are then read
        together, one request fewer; a payment another member made is 422. The top-up gift points the refunded
        principal earned are pending again, their whole points taken back (a claw-back, as a purchase refund's).
        ``sale_refunded`` says, for a payment whose order was recorded as a sale, what the sale's refunds gave back so
        far: the payment gives back at most that in all (``refund_room``)."""
        holder = payment_holder(partner_id, payment_id)
        if member_id is None:
            paid: Refundable = self.ledger.holdings(holder).state(holder, REFUNDABLE)  # whose wallet it goes back to
            if not paid.member_id:
                replayed = self.replay(claim)
                if replayed is None:
                    raise NotFound(f"No wallet payment {payment_id!r} from this partner (yet)")
                return replayed
            member_id = paid.member_id
        owner = member_id
        back = before = Parts()
        store_id: str | None = None
        order_id = ""

        def postings(holdings: Holdings) -> list[Posting]:
            nonlocal back, before, store_id, order_id
            payment: Refundable = holdings.state(holder, REFUNDABLE)
            if not payment.member_id:
                raise NotFound(f"No wallet payment {payment_id!r} from this partner (yet)")
            if payment.member_id != owner:
                raise PaymentOfAnotherMember()
            beside = joined.postings(holdings) if joined else []
            before, store_id, order_id = _wallet(holdings, owner), payment.store_id, payment.order_id
            if occurred_at < datetime.fromisoformat(payment.paid_at) - CLOCK_SKEW:
                detail = "A refund cannot happen before its payment"
                raise ValidationFailed([{"field": "occurred_at", "in": "body", "message": detail}], detail)
            refunded = sale_refunded(payment.order_id) if sale_refunded and payment.order_id else None
            room = refund_room(payment, refunded)  # what the sale's refunds let go back, the payment's left at most
            if amount > payment.left.total and room >= payment.left.total:
                detail = f"The payment has {payment.left.total} fen left to refund, not {amount}"
                raise RefundExceedsPayment(detail, refundable_fen=payment.left.total)
            if room < amount:  # said first when it is what holds (a walkthrough read 1650 left, then 0)
                detail = (
                    f"The order's sale was recorded and its refunds gave back {refunded} fen: the wallet gives "
                    f"back {room} fen more at most; refund the sale first (退款), and its wallet part with it"
                )
                raise RefundExceedsPayment(detail, refundable_fen=room)
            back = split_refund(amount, payment.left, payment.paid)
            source = Source("refund", refund_id)
            gifts = holdings.state(owner, GIFTS)
            gifts_after, unearned, gift_points = gift_on_refund(gifts, payment.gift, back.principal,
                                                                payment.left.principal)  # fmt: skip
            given: dict[str, Any] = {"principal": -back.principal, "bonus": -back.bonus}
            if unearned:
                given["gift"] = -unearned
            refund_reason = (
                Phrase(f"储值退款：{reason}", f"Wallet refund: {reason.en if isinstance(reason, Phrase) else reason}")
                if reason
                else Phrase("储值退款", "Wallet refund")
            )
            return [
                Posting(holder, REFUNDABLE, -amount, "refund", source, "退款", given),
                *_moves(owner, back, "refund", source, refund_reason, store_id),
                *_gift(owner, gifts, gifts_after),
                *(
                    [
                        Posting(
                            owner,
                            POINTS,
                            -gift_points,
                            "refund",
                            source,
                            Phrase("储值退款·扣回赠送积分", "Wallet refund: top-up gift points taken back"),
                        )
                    ]
                    if gift_points
                    else []
                ),
                *beside,
            ]

        def result(answer: Answer) -> dict[str, Any]:
            wallet = _after(answer, owner, before)
            return {
                "refund_id": refund_id,
                "payment_id": payment_id,
                "member_id": owner,
                **back.to_json(),
                "wallet": wallet.to_json(),
            }

        def announce(answer: Answer) -> list[Event]:
            payload = {
                "member_id": owner,
                "partner_id": partner_id,
                "refund_id": refund_id,
                "payment_id": payment_id,
                "store_id": store_id,
                **({"order_id": order_id} if order_id else {}),  # the till's order it gives back on
                **back.to_json(),
                "balance_after_fen": _after(answer, owner, before).total,
                **_reasons_of(answer),
            }
            refunded = new_event("wallet.refunded", f"member/{owner}", payload)
            return [
                refunded,
                *_points_events(answer, Source("refund", refund_id), store_id),
                *(joined.events(answer) if joined else []),
            ]

        holders = [holder, owner, *_joined_holders(joined)]
        answer = self._post(postings, holders, claim, {owner: "present"}, result, announce, joined)
        return {**answer.result, "duplicate": answer.duplicate}

    def cash_refund(
        self, member_id: str, store_id: str, amount: int | None, reason: str, claim: Claim
    ) -> dict[str, Any]:
        """Pay ``amount`` of principal (all of it when None) out in cash (退卡/退余额), with the bonus that goes with
        it forfeited as the policy says, once per claim. More than the principal, or none left, is 409. The share of
        the top-up gift points still pending that goes with the principal paid out is forfeited too (never a point
        already earned), so topping up and cashing out gains nothing."""
        cash_refund_id = new_id("wc_")
        out = before = Parts()
        forfeited = 0

        def postings(holdings: Holdings) -> list[Posting]:
            nonlocal out, before, forfeited
            before = _wallet(holdings, member_id)
            asked = before.principal if amount is None else amount
            if not 0 < asked <= before.principal:
                detail = f"The wallet holds {before.principal} fen of principal to refund"
                raise InsufficientBalance(detail, available_fen=before.principal)
            out = cash_out(asked, before, self.policy.bonus_on_cash_refund)
            source = Source("cash-refund", cash_refund_id)
            gifts = holdings.state(member_id, GIFTS)
            gifts_after, forfeited = gift_on_cash_refund(gifts, out.principal, before.principal)
            paid_out = Phrase(f"退还储值本金：{reason}", f"Stored value paid out: {reason}")
            forfeit = Phrase(f"赠送金随退款作废：{reason}", f"Bonus forfeited with the payout: {reason}")
            return [
                *_moves(
                    member_id,
                    Parts(-out.principal, -out.bonus),
                    "cash-refund",
                    source,
                    paid_out,
                    store_id,
                    "bonus-forfeit",
                    forfeit,
                ),
                *_gift(member_id, gifts, gifts_after),
            ]

        def result(answer: Answer) -> dict[str, Any]:
            wallet = _after(answer, member_id, before)
            return {
                "cash_refund_id": cash_refund_id,
                "member_id": member_id,
                "store_id": store_id,
                **out.to_json(),
                "gift_points_forfeited": forfeited,
                "reason": reason,
                "wallet": wallet.to_json(),
            }

        def announce(answer: Answer) -> list[Event]:
            after = _after(answer, member_id, before).total
            payload = {"member_id": member_id, "cash_refund_id": cash_refund_id, "store_id": store_id, **out.to_json(),
                       "gift_points_forfeited": forfeited, "balance_after_fen": after,
                       **_reasons_of(answer)}  # fmt: skip
            return [new_event("wallet.cash-refunded", f"member/{member_id}", payload)]

        return dict(self._post(postings, [member_id], claim, {member_id: "present"}, result, announce).result)

    def forfeit(self, member_id: str) -> dict[str, Any]:
        """The bonus (赠送金) an erased member still held, forfeited once: no money was paid for it and nobody is left
        to spend it, so it leaves the float (``wallet.forfeited``, booked in the statement's ``erasure`` scope).
        Principal is never forfeited: erasure waits until it is paid out."""
        forfeited = before = Parts()

        def postings(holdings: Holdings) -> list[Posting]:
            nonlocal forfeited, before
            before = _wallet(holdings, member_id)
            forfeited = Parts(0, max(before.bonus, 0))
            return _moves(member_id, Parts(0, -forfeited.bonus), "forfeit", Source("erasure", member_id),
                          Phrase("会员注销·赠送金作废", "Account closed: bonus forfeited"), None)  # fmt: skip

        def result(answer: Answer) -> dict[str, Any]:
            return {"member_id": member_id, **forfeited.to_json()}

        def announce(answer: Answer) -> list[Event]:
            payload = {"member_id": member_id, "store_id": ERASURE_SCOPE, **forfeited.to_json(),
                       "balance_after_fen": _after(answer, member_id, before).total,
                       **_reasons_of(answer)}  # fmt: skip
            return [new_event("wallet.forfeited", f"member/{member_id}", payload)]

        claim = Claim.of(f"wallet-forfeit|{member_id}", {"member_id": member_id})
        return dict(self._post(postings, [member_id], claim, {}, result, announce).result)

    def wallet(self, member_id: str) -> Parts | None:
        """The member's wallet as of now, in one read; None when nothing was ever posted to any of the holder's
        books (no account: maybe no such member)."""
        holdings = self.ledger.holdings(member_id)
        return None if holdings.accounts[member_id].rev is None else _wallet(holdings, member_id)

    def entries(
        self, member_id: str, limit: int, positions: Mapping[str, int] | None
    ) -> tuple[list[Entry], dict[str, int] | None]:
        """The newest ``limit`` entries of both books, newest first, from ``positions`` (per book, the entry number
        the page reads below; None: from the newest), and the positions for the next page (None at the end). One
        query per book; within one post, the principal's entry comes first."""
        read: dict[str, tuple[list[Entry], bool]] = {}
        for book, name in BOOK_NAMES.items():
            below = positions.get(name) if positions else None
            if below is not None and below <= 1:
                read[book] = ([], False)
            else:
                found, more = self.ledger.page(member_id, book, limit, below)
                read[book] = (found, more is not None)
        first = {PRINCIPAL: 1, BONUS: 0}
        newest_first = heapq.merge(
            *(found for found, _ in read.values()), key=lambda e: (e.occurred_at, e.group, first[e.book]), reverse=True
        )
        page = list(itertools.islice(newest_first, limit))
        after = _positions_after(page, read)
        return page, after if any(position > 1 for position in after.values()) else None

    def principal_of_refund(self, partner_id: str, payment_id: str, amount: int) -> int:
        """What of a refund of ``amount`` from a wallet payment is principal (本金), as ``refund`` would give it back:
        all of it that may be paid out in cash once the wallet it came from is closed (an erased member's, whose
        bonus is forfeited). 0 for a payment unknown or with nothing left."""
        holder = payment_holder(partner_id, payment_id)
        payment: Refundable = self.ledger.holdings(holder).state(holder, REFUNDABLE)
        amount = min(amount, payment.left.total)
        return split_refund(amount, payment.left, payment.paid).principal if amount > 0 else 0

    def replay(self, claim: Claim) -> dict[str, Any] | None:
        """The first answer of a claimed post, marked a duplicate, if it was posted (other content: the claim's
        conflict)."""
        replayed = self.ledger.replay(claim)
        return None if replayed is None else {**replayed.result, "duplicate": True}

    def _post(
        self,
        postings: Plan,
        holders: Sequence[str],
        claim: Claim,
        require: Mapping[str, Requirement],
        result: Result,
        announce: Announce,
        joined: Joined | None = None,
    ) -> Answer:
        """``Ledger.post``, with a book's refusal as a domain error (the plans check first; this covers a book
        refusing what a plan let through)."""
        try:
            return self.ledger.post(
                postings, holders=holders, claim=claim, require=require, result=result, announce=announce,
                attach=joined.attach if joined else None,
            )  # fmt: skip
        except Insufficient as refused:
            if refused.book == REFUNDABLE:
                raise RefundExceedsPayment("The payment has less left to refund than that") from None
            raise InsufficientBalance(f"Not enough in the {BOOK_NAMES.get(refused.book, refused.book)}") from None


# --- requests as the API parses them ---------------------------------------------------------------------------


def policy() -> Policy:
    settings = get_settings()
    return Policy(settings.wallet_split, settings.wallet_max_balance_fen, settings.wallet_cash_refund_bonus)


def wallets() -> Wallets:
    """The wallets on the platform's ledger (DynamoDB, with the members domain vouching for members), under the
    settings' policy."""
    return Wallets(ledger(), policy())


def _claim(
    kind: str, partner_id: str, source_id: str, body: WalletTopUp | WalletPayment | WalletRefund, conflict: Conflict
) -> Claim:
    """Once per partner and source id, for good; the content is a keyed hash of the body as canonical JSON (it may
    name a phone, so a plain hash could be reversed by guessing). A refund's ``member_id`` only says where to look: a
    repeat with or without it is the same refund. A top-up's or payment's ``order_id`` and ``payment_method`` are
    content only when said, so a body from before they were asked keeps its content."""
    hint = {"member_id"} if isinstance(body, WalletRefund) else set()
    unsaid = {name for name in ("order_id", "payment_method") if getattr(body, name, None) is None}
    dumped = body.model_dump(mode="json", exclude=hint | unsaid | {"member_code"})  # a proof, not content
    canonical = json.dumps(dumped, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    content = lookup_hash(f"wallet-{kind}", canonical)
    return Claim(f"wallet-{kind}|{partner_id}|{source_id}", content, conflict=conflict)


def _at_partner_store(partner: Caller, store_id: str) -> None:
    require_partners(partner, store_id)
    if (why := not_open(store_id)) is not None:
        raise ValidationFailed([{"field": "store_id", "in": "body", "message": why}], why)


def _member_id(ref: MemberRef) -> str | None:
    """The member a webhook names: any member of the chain (wallets serve at every store)."""
    return ref.member_id or members.holder(phone=ref.phone, member_no=ref.member_no)


def _repeat_or_nobody(on: Wallets, claim: Claim) -> dict[str, Any]:
    """A report whose phone or member number finds nobody: the first answer if it is a repeat, else 422."""
    replayed = on.replay(claim)
    if replayed is None:
        raise MemberNotEligible("No member with that phone or member number")
    return replayed


def _not_eligible(error: HolderUnavailable) -> MemberNotEligible:
    return MemberNotEligible(f"Member {error.holder!r} is frozen, erased or unknown")


PLAN_MAX_AGE = timedelta(days=7)  # how late a till offline may report a top-up and still get its plan's bonus


def top_up(partner: Caller, request: WalletTopUp) -> dict[str, Any]:
    """A partner's top-up, booked once per payment id (other content: 409 ``top-up-conflict``); past the wallet's
    limit, 422 ``balance-limit-exceeded`` with ``room_fen`` (none to a partner that does not read the member's
    wallet, ``_reads_wallet_of``). A plan applies as it
    stood on the day paid, for a top-up reported within ``PLAN_MAX_AGE`` of it (a till back online); an older one
    is 422 ``plan-not-applicable`` (send it without ``plan_id``: its principal is the member's all the same)."""
    _at_partner_store(partner, request.store_id)
    on = wallets()
    claim = _claim("top-up", partner.id, request.payment_id, request, TopUpConflict())
    member_id = _member_id(request.member)
    if member_id is None:
        return _repeat_or_nobody(on, claim)
    plan = None
    if request.plan_id is not None:
        plan = plans.find(request.plan_id)
        day = clock.business_date(request.occurred_at, get_settings().tz)
        refusal = "no such plan" if plan is None else plan.refusal(request.amount_fen, request.store_id, day)
        if refusal is None and request.occurred_at < clock.now() - PLAN_MAX_AGE:
            refusal = f"a plan applies to a top-up reported within {PLAN_MAX_AGE.days} days of it"
        if refusal is not None:
            raise plans.PlanNotApplicable(refusal)
    payment = PartnerPayment(partner.id, request.payment_id, request.store_id, request.occurred_at, request.order_id,
                             method=request.payment_method)  # fmt: skip
    try:
        return on.top_up(member_id, payment, request.amount_fen, plan, claim)
    except HolderUnavailable as e:
        raise _not_eligible(e) from None
    except BalanceLimitExceeded:
        if not _reads_wallet_of(partner, member_id):  # the room left says the balance (a review)
            raise BalanceLimitExceeded("The top-up would take the wallet past its limit") from None
        raise


def _reads_wallet_of(partner: Caller, member_id: str) -> bool:
    """Whether a partner may read what the member's wallet holds: a partner limited to stores reads the members of
    its stores only (one of no store is none of theirs, as staff scoped to stores see them), so its refusals say no
    balance and no room for the others (found by an integrator: balances probed across the chain)."""
    return not partner.stores or partner.covers_store(members.home_store_of(member_id))


def pay(partner: Caller, request: WalletPayment) -> dict[str, Any]:
    """A partner's wallet payment, booked once per payment id (other content: 409 ``payment-conflict``). Too little
    in the wallet is 409 ``insufficient-balance`` with ``available_fen``, except to a partner that does not read the
    member's wallet (``_reads_wallet_of``). A partner limited to stores pays from the wallet of a member of none of
    them only with the member there (``member_code``, which pays once, as at the counter: a probe's partner took three
    payments on one code; a repeat is answered whatever became of its code)."""
    _at_partner_store(partner, request.store_id)
    on = wallets()
    claim = _claim("payment", partner.id, request.payment_id, request, PaymentConflict())
    member_id = _member_id(request.member)
    if member_id is None:
        return _repeat_or_nobody(on, claim)
    code = None
    if members.in_person_required(partner, member_id):  # another store's member, by phone alone: no (a probe)
        if (replayed := on.replay(claim)) is not None:
            return replayed  # a retry, whatever became of its code
        members.require_in_person(member_id, request.member_code)
        spent = members.spending_code(member_id, request.member_code or "")  # it pays once, here as at the counter
        code = Joined(holders=(), plan=lambda holdings: [], attach=lambda answer: [spent])
    payment = PartnerPayment(partner.id, request.payment_id, request.store_id, request.occurred_at, request.order_id)
    try:
        return on.pay(member_id, payment, request.amount_fen, claim, code)
    except HolderUnavailable as e:
        raise _not_eligible(e) from None
    except InsufficientBalance:
        if members.status_of(member_id) != Status.ACTIVE:  # an empty wallet of nobody, or of a frozen member
            raise _not_eligible(HolderUnavailable(member_id)) from None
        if not _reads_wallet_of(partner, member_id):
            raise InsufficientBalance("The wallet holds less than the payment asks") from None
        raise


def pay_at_counter(
    member_id: str,
    request: WalletCounterPayment,
    order_open: Sequence[Callable[[Transaction], None]] = (),
) -> dict[str, Any]:
    """A wallet payment a cashier takes at the counter: the partner webhook's payment exactly (the split by the
    policy, never below zero, the payment's own refundable account, ``wallet.paid``), at any store of the chain that
    exists, with the member there (their current member code, else 422 ``member-code-not-current``).

    Once per till order, at whichever store, for good, whatever Idempotency-Key or browser tab it comes from: its
    payment id is made from the order (``counter_payment_id``), a repeat answers the first answer and the same order
    with another member, store or amount is 409 ``payment-conflict``, as a partner's payment id is. A repeat is
    answered even once the code it carried has expired. A code pays once (another payment with it: 422
    ``member-code-used``). An unknown or erased member is 404, a frozen one 422 ``member-not-eligible``. A till order
    whose sale was recorded, or under which a card was sold, takes no new payment (``order_open``, the conditions the
    payment commits with: 422 on ``order_id``): the wallet's part of a recorded sale goes back only with its refunds
    (``refund_room``), so a payment after it held the member's money; a card's cancellation would refund it a second
    time."""
    if (why := not_open(request.store_id)) is not None:
        raise ValidationFailed([{"field": "store_id", "in": "body", "message": why}], why)
    payment_id, before = _order_payment_ids(request.store_id, request.order_id)
    on = wallets()
    content = {
        "member_id": member_id,
        "store_id": request.store_id,
        "order_id": request.order_id,
        "amount_fen": request.amount_fen,
    }  # fmt: skip  the code changes every minute: not content
    claim = Claim.of(f"wallet-payment|{COUNTER}|{payment_id}", content, conflict=PaymentConflict())
    if not members.code_matches(member_id, request.member_code):  # a retry of a payment taken while the code was
        taken_before = Claim.of(f"wallet-payment|{COUNTER}|{before}", content, conflict=PaymentConflict())
        for taken in (claim, taken_before):  # current (before orders were the chain's too): no miss, no lockout
            if (replayed := on.replay(taken)) is not None:
                return replayed
    members.require_present(member_id, request.member_code)  # the limits on wrong codes, and a miss counted
    payment = PartnerPayment(COUNTER, payment_id, request.store_id, clock.now(), request.order_id)
    spent = members.spending_code(member_id, request.member_code)  # the code pays once
    paid_before = never_posted(payment_holder(COUNTER, before), _PaidBefore("This order was paid before"))
    code = Joined(holders=(), plan=lambda holdings: [], attach=lambda answer: [spent, paid_before, *order_open])
    try:
        return on.pay(member_id, payment, request.amount_fen, claim, code)
    except _PaidBefore:  # taken before orders were the chain's: a retry of it is answered as it was (a review read 409)
        taken_before = Claim.of(f"wallet-payment|{COUNTER}|{before}", content, conflict=PaymentConflict())
        if (replayed := on.replay(taken_before)) is not None:
            return replayed
        raise PaymentConflict("This order was paid before with other content") from None
    except ValidationFailed:  # the order's sale was recorded, or a card sold (``order_open``): a repeat is answered
        if (replayed := on.replay(claim)) is not None:
            return replayed
        raise
    except HolderUnavailable:
        _require_member(member_id)
        raise _not_eligible(HolderUnavailable(member_id)) from None
    except InsufficientBalance:
        _require_member(member_id)
        if members.status_of(member_id) != Status.ACTIVE:
            raise _not_eligible(HolderUnavailable(member_id)) from None
        raise


def refund_at_counter(
    member_id: str, payment_id: str, request: WalletCounterRefund, key: IdempotencyKey,
    sale_refunded: SaleRefunded | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A payment taken at the counter given back to the wallet it came from (goods returned at any store of the chain):
    principal and bonus in the proportion the payment has left, in parts, never beyond what it took, as a partner's
    refund. Once per Idempotency-Key (another request under it: 422 ``idempotency-key-reused``). Only the counter's
    payments: a partner refunds its own through its webhook, so another payment id is 404 here. Once the order was
    recorded as a sale, the payment gives back no more than the sale's refunds have (``refund_room``)."""
    refund_id = "wr_" + hashlib.sha256(f"{key.caller}\n{key.key}".encode()).hexdigest()[:26]
    reused = IdempotencyKeyReused("This Idempotency-Key was used with a different request")
    retention = get_settings().idempotency_retention_days  # as every Idempotency-Key, kept for its retention
    claim = Claim(f"wallet-refund|{COUNTER}|{refund_id}", key.request_hash, retention, reused)
    try:
        return wallets().refund(COUNTER, refund_id, payment_id, request.amount_fen, clock.now(), claim,
                                member_id=member_id, reason=request.reason, sale_refunded=sale_refunded)  # fmt: skip
    except PaymentOfAnotherMember:
        raise NotFound(f"No counter payment {payment_id!r} of this member") from None
    except HolderUnavailable:
        _require_member(member_id)
        raise _not_eligible(HolderUnavailable(member_id)) from None


def top_up_at_counter(
    member_id: str, request: WalletCounterTopUp,
    limits: Callable[[], Callable[[Transaction], None] | None] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """储值充值 at the till: the money a cashier took added to any member's wallet with its plan's bonus (the plan on
    sale today at that store, the amount its price), as a partner's top-up: within the balance limit, once per store
    and till order, for good (its payment id is made from them: a repeat answers the first answer, the same order
    with another member, amount or plan is 409 ``top-up-conflict``), answered even once its plan or store has closed
    (a retry after a lost answer must not be refused and taken again). A frozen member is 422, an unknown one 404.
    ``limits`` are the counter's, applied to a new top-up only (a repeat is answered whatever they became): they
    refuse it, or give the count of the cashier's day to write in its transaction."""
    payment_id = "wt_" + hashlib.sha256(f"{request.store_id}\n{request.order_id}".encode()).hexdigest()[:26]
    unsaid = {"payment_method"} if request.payment_method is None else set()  # a retry from before it was asked
    content = {"member_id": member_id, **request.model_dump(mode="json", exclude=unsaid)}
    taken = TopUpConflict(f"Till order {request.order_id} at {request.store_id} took a top-up with other content")
    claim = Claim.of(f"wallet-top-up|{COUNTER}|{payment_id}", content, conflict=taken)  # the cashier's words
    on = wallets()
    if (replayed := on.replay(claim)) is not None:
        return replayed
    if (why := not_open(request.store_id)) is not None:
        raise ValidationFailed([{"field": "store_id", "in": "body", "message": why}], why)
    plan = None
    if request.plan_id is not None:
        plan = plans.find(request.plan_id)
        refusal = "no such plan" if plan is None else plan.refusal(request.amount_fen, request.store_id,
                                                                   clock.business_today())  # fmt: skip
        if refusal is not None:
            raise plans.PlanNotApplicable(refusal)
    payment = PartnerPayment(COUNTER, payment_id, request.store_id, clock.now(), request.order_id,
                             method=request.payment_method)  # fmt: skip
    takings: list[Callable[[Transaction], None]] = []

    def within_limits(holdings: Holdings) -> list[Posting]:
        """The counter's limits, judged after the wallet's own (a walkthrough: a cashier past both was sent to a
        manager who could not take it either); the day's count is written with the top-up."""
        takings[:] = [counted_in_day] if limits and (counted_in_day := limits()) else []
        return []

    counted = Joined(holders=(), plan=within_limits, attach=lambda answer: list(takings)) if limits else None
    try:
        return on.top_up(member_id, payment, request.amount_fen, plan, claim, counted)
    except HolderUnavailable:
        _require_member(member_id)
        raise _not_eligible(HolderUnavailable(member_id)) from None


def counter_payment(member_id: str, payment_id: str, sale_refunded: SaleRefunded | None = None) -> dict[str, Any]:
    """A counter payment of this member and what is left of it to refund (one read of its account; ``refundable_fen``
    held to what its order's sale gave back, ``refund_room``, with ``sale_refunded``): the console's refund fills in
    the whole of it. 404 for another member's, a partner's or an unknown payment."""
    holdings = wallets().ledger.holdings(payment_holder(COUNTER, payment_id))
    return _counter_payment(member_id, payment_id, holdings, sale_refunded)


def _counter_payment(
    member_id: str, payment_id: str, holdings: Holdings, sale_refunded: SaleRefunded | None = None
) -> dict[str, Any]:
    payment: Refundable = holdings.state(payment_holder(COUNTER, payment_id), REFUNDABLE)
    if payment.member_id != member_id:
        raise NotFound(f"No counter payment {payment_id!r} of this member")
    refunded = sale_refunded(payment.order_id) if sale_refunded and payment.order_id else None
    return {"payment_id": payment_id, "member_id": member_id, "order_id": payment.order_id or None,
            "store_id": payment.store_id, "paid_at": payment.paid_at,
            "paid": payment.paid.to_json() if payment.paid else None, "refundable": payment.left.to_json(),
            "refundable_fen": refund_room(payment, refunded)}  # fmt: skip


def counter_payment_of_order(member_id: str, store_id: str, order_id: str) -> dict[str, Any] | None:
    """The member's counter payment of a till order at a store, as ``counter_payment`` reads it; None without one."""
    return counter_payment_held(member_id, store_id, order_id)[0]


def counter_payment_held(
    member_id: str, store_id: str, order_id: str, *, others_refused: bool = False
) -> tuple[dict[str, Any] | None, Callable[[Transaction], None]]:
    """The member's counter payment of a till order, as ``counter_payment_of_order`` reads it, and the condition a
    decision made on it commits with: the payment still as read (none still none), else ``PaymentMoved``. A sale
    judged on the wallet's part of its order was recorded as paid from the wallet after that part went back (a
    refund between the read and the commit), and its refund paid the wallet part again. The order is the chain's: its
    payment is found whichever store took it; one from another member's wallet is none of this member's, and with
    ``others_refused`` 422 on ``order_id`` (a sale recorded under it would share that payment's refund room)."""
    ids = _order_payment_ids(store_id, order_id)
    holders = [payment_holder(COUNTER, payment_id) for payment_id in ids]
    holdings = wallets().ledger.holdings(*holders)  # one read of both
    paid: dict[str, Any] | None = None
    for payment_id, holder in zip(ids, holders, strict=True):
        if paid is None and holdings.accounts[holder].rev is not None:
            try:
                paid = _counter_payment(member_id, payment_id, holdings)
            except NotFound:  # another member's wallet paid this order: it is not this member's sale
                if not others_refused:
                    continue
                detail = f"order {order_id} was paid from another member's stored value: it is not this member's"
                raise ValidationFailed([{"field": "order_id", "in": "body", "message": detail}], detail) from None
    moved = PaymentMoved("The order's wallet payment changed meanwhile")
    return paid, together(*(functools.partial(unchanged_in, holder=holder, seen=holdings.accounts[holder],
                                              on_fail=moved) for holder in holders))  # fmt: skip


def order_paid_by(member_id: str, store_id: str, order_id: str) -> Callable[[Transaction], None]:
    """The condition points paying part of a till order commit with (积分抵现): no other member's stored value paid
    it (422 on ``order_id``; an order is one member's sale: a review's member A's points and member B's wallet paid
    one order, after which neither's sale could be recorded). One read of the order's payments, held to the commit
    (``PaymentMoved``)."""
    return counter_payment_held(member_id, store_id, order_id, others_refused=True)[1]


def counter_order_unpaid(store_id: str, order_id: str, on_fail: Exception) -> Callable[[Transaction], None]:
    """The condition a sale paid apart from stored value commits with: no stored-value payment was taken at the
    store's till under this order (``on_fail`` otherwise). A condition, not a read: it costs no request."""
    return together(*(never_posted(payment_holder(COUNTER, payment_id), on_fail)
                      for payment_id in _order_payment_ids(store_id, order_id)))  # fmt: skip


def counter_payments_since(member_id: str, since: str, store_id: str | None, look: int = 20) -> list[dict[str, Any]]:
    """The member's counter payments taken at a store's till (None: any store's) since ``since`` (an instant,
    ``clock.iso``), newest first, as ``counter_payment`` reads each: found among the wallet's newest ``look`` entries
    (two queries), so a member paying at the till more often than that in a day has their older ones left out."""
    found, _ = wallets().entries(member_id, look, None)
    paid = [e.source.id for e in found if e.source.kind == "payment" and e.source.id and e.occurred_at >= since
            and store_id in (None, _store_of(e))]  # fmt: skip
    payments = []
    for payment_id in dict.fromkeys(paid):  # a payment's principal and bonus entries share it
        try:
            payments.append(counter_payment(member_id, payment_id))
        except NotFound:  # a partner's payment at that store, not the counter's
            continue
    return payments


def cashed_out_after_top_up(member_id: str, payment_id: str) -> str | None:
    """The cash refund (退余额) that paid the member's stored value out after their top-up ``payment_id`` (the newest),
    None for none (or no such top-up): its gift still to be given is not given then (a cash refund booked while the
    gift was in the queue found no coupon to take back, and the gift came after it, kept)."""
    for entry in _principal_newest_first(member_id):
        if entry.kind == "cash-refund":
            return entry.source.id
        if entry.kind == "top-up" and entry.source.id == payment_id:
            return None
    return None


def top_ups_after(member_id: str, cash_refund_id: str) -> set[str]:
    """The top-ups (payment ids) booked after the cash refund ``cash_refund_id``: their gifts are not its to take back
    (its event, delivered late or again, voided a later top-up's gift)."""
    later = set()
    for entry in _principal_newest_first(member_id):
        if entry.kind == "cash-refund" and entry.source.id == cash_refund_id:
            break
        if entry.kind == "top-up":
            later.add(str(entry.source.id))
    return later


def _principal_newest_first(member_id: str, look: int = 20) -> Iterator[Entry]:
    """The member's principal entries, newest first, read ``look`` a page as they are wanted."""
    below = None
    while True:
        found, below = wallets().ledger.page(member_id, PRINCIPAL, look, below)
        yield from found
        if below is None:
            return


def counter_payment_id(order_id: str) -> str:
    """The payment id of a till order paid at the counter: the order alone makes it, as a till order is the chain's
    (a probe paid an order at one store and recorded its sale at another, whose refund then gave the money back twice:
    as cash, and to the wallet)."""
    return "wp_" + hashlib.sha256(f"#order\n{order_id}".encode()).hexdigest()[:26]  # '#': never a store's old id


def _order_payment_ids(store_id: str, order_id: str) -> tuple[str, str]:
    """The ids a till order's counter payment may have: the order's, and the one its store and order made before
    orders were the chain's (a payment taken then is found, and held, as before)."""
    return counter_payment_id(order_id), "wp_" + hashlib.sha256(f"{store_id}\n{order_id}".encode()).hexdigest()[:26]


def refund(partner: Caller, request: WalletRefund) -> dict[str, Any]:
    """A partner's refund of a wallet payment back to the wallet, once per refund id (other content: 409
    ``refund-conflict``)."""
    claim = _claim("refund", partner.id, request.refund_id, request, RefundConflict())
    try:
        return wallets().refund(
            partner.id,
            request.refund_id,
            request.payment_id,
            request.amount_fen,
            request.occurred_at,
            claim,
            member_id=request.member_id,
        )
    except HolderUnavailable as e:
        raise _not_eligible(e) from None


def refund_card_payment(
    partner_id: str, cancel_id: str, payment_id: str, amount: int, member_id: str | None = None,
    plan_name: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Give a cancelled membership card's wallet payment back (its refunded part), once per cancellation, saying
    which card it was (a walkthrough read a bare 储值退款 in the member's history)."""
    refund_id = f"{cancel_id}:{payment_id}"
    claim = Claim.of(f"wallet-refund|{partner_id}|{refund_id}", {"payment_id": payment_id, "amount": amount},
                     conflict=RefundConflict())  # fmt: skip
    reason = Phrase(f"退卡「{plan_name}」", f"card cancelled: {plan_name}") if plan_name else None
    return wallets().refund(partner_id, refund_id, payment_id, amount, clock.now(), claim, member_id=member_id,
                            reason=reason)  # fmt: skip


def cash_refund(caller: Caller, member_id: str, request: WalletCashRefundCreate, key: IdempotencyKey) -> dict[str, Any]:
    """Finance pays principal out in cash at one of their stores, once per Idempotency-Key (another request under
    it: 422). An unknown or erased member is 404."""
    if not caller.covers_store(request.store_id) or not_open(request.store_id) is not None:
        raise ValidationFailed([{"field": "store_id", "in": "body", "message": "pay out at one of your open stores"}])
    reused = IdempotencyKeyReused("This Idempotency-Key was used with a different request")
    retention = get_settings().idempotency_retention_days
    claim = Claim(f"wallet-cash-refund|{key.caller}|{key.key}", key.request_hash, retention, reused)
    try:
        return wallets().cash_refund(member_id, request.store_id, request.amount_fen, request.reason, claim)
    except HolderUnavailable:
        raise NotFound(f"No member {member_id!r}") from None
    except InsufficientBalance:
        _require_member(member_id)  # nothing to refund, or nobody to refund it to
        raise


def _require_member(member_id: str) -> None:
    status = members.status_of(member_id)
    if status is None or status == Status.ERASED:
        raise NotFound(f"No member {member_id!r}")


def parts_of(holdings: Holdings, member_id: str) -> Parts:
    """The member's wallet from their books already read (the counter view reads every book at once)."""
    return _wallet(holdings, member_id)


def wallet_of(member_id: str) -> dict[str, Any]:
    """The member's wallet as of now, with the gift points they have yet to earn: one read (two for a member who
    never had one: are they a member?)."""
    holdings = wallets().ledger.holdings(member_id)
    if holdings.accounts[member_id].rev is None:
        _require_member(member_id)
    found, pending = _wallet(holdings, member_id), holdings.state(member_id, GIFTS).pending_points
    limit = policy().max_balance_fen
    return {"member_id": member_id, **found.to_json(), "total_fen": found.total, "max_balance_fen": limit or None,
            "gift_points_pending": pending}  # fmt: skip


def _store_of(entry: Entry) -> str | None:
    """The store an entry happened at; None where none did (what the member pages or the mall took from the wallet
    is booked under a statement's scope of its own, which is no store)."""
    store = (entry.detail or {}).get("store_id")
    return None if store in SCOPES_OF_NO_STORE else store


def entries_of(
    member_id: str, limit: int, cursor: str | None, *, for_member: bool = False
) -> tuple[list[dict[str, Any]], str | None]:
    """The member's wallet entries, both books, newest first: two queries a page (one per book); staff read who booked
    each (``recorded_by``), the member not."""
    scope = f"wallet-entries|{member_id}"
    positions = decode_cursor(scope, cursor)
    if positions is not None and not all(isinstance(positions.get(name), int) for name in BOOK_NAMES.values()):
        raise InvalidCursor("The cursor is not one this API issued")
    on = wallets()
    found, after = on.entries(member_id, limit, positions)
    if not found and positions is None and on.wallet(member_id) is None:
        _require_member(member_id)
    items = [
        {
            "entry_id": e.entry_id,
            "book": BOOK_NAMES[e.book],
            "kind": e.kind,
            "amount_fen": e.amount,
            "balance_after_fen": e.balance_after,
            "source": {"kind": e.source.kind, "id": e.source.id},
            "reason": e.reason,
            "reason_en": e.reason_en,
            "occurred_at": e.occurred_at,
            "store_id": _store_of(e),
            "recorded_by": None if for_member else e.actor,
        }
        for e in found
    ]
    return items, encode_cursor(scope, after)
