"""Points mall (积分商城) verbs on the ledger engine: a reward's terms and stock, exchanges, the cash part's payment,
fulfilment, cancellations and after-sale refunds, the release of unpaid orders, and the changes of orders as the API
asks them (``rewards`` and ``orders`` hold the rewards' use cases and how orders read).

Every write that moves points, stock or money is one ``Ledger.post``: one read of the accounts it touches, one
transaction. An exchange spends the member's points (the points book's own posting, soonest expiry first), takes the
stock, counts the units under the member's limit and places the order, with its events and the order's copy for the
lists; a cancellation gives all of it back; a wallet payment or refund of the cash part is the wallet's own post with
the order's change joined to it (``wallet.service.Joined``).

Why the order is a holder of its own book (``mall-order:<order id>``) rather than a record attached to the posts: each
change of an order must happen once however requests race (a payment against the release of an unpaid order, a
cancellation against a shipment), and most move points, stock or money with them. As a ledger account the order is
read with the accounts a change posts to and committed under the same revision conditions, so of two racing actions
one wins and the other plans again on what the winner left; this holds in the in-memory store too, so the service
tests need no DynamoDB. Its balance is the points it holds, which makes "points of live orders" a ledger sum that the
nightly reconciliation checks. A copy (``MallOrderRecord``) is written in the same transaction for the lists and the
release job; decisions are only ever made on the account.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.identity.access import Caller
from chalicelib.ledger.engine import Holdings, idempotency_claim
from chalicelib.ledger.model import Answer, Claim, Posting, Source
from chalicelib.ledger.registry import ledger
from chalicelib.ledger.store import HolderUnavailable
from chalicelib.mall import book as _books  # noqa: F401  registers the mall's books
from chalicelib.mall.orders import Viewer, code_of, find_order, listed, order_view, reach
from chalicelib.mall.records import MallOrderRecord
from chalicelib.mall.rules import (
    BOOKS,
    GIVING_BACK,
    LIMIT,
    ORDER,
    STOCK,
    Action,
    Delivery,
    NotAllowed,
    Order,
    Refusal,
    Status,
    Stock,
    Terms,
    limit_holder,
    mask_address,
    mask_name,
    mask_phone,
    normal_code,
    order_holder,
    period_key,
    reward_holder,
)
from chalicelib.members import service as members
from chalicelib.points import service as points
from chalicelib.shared import clock
from chalicelib.shared.context import current_origin
from chalicelib.shared.crypto import lookup_hash
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import (
    Conflict,
    DomainError,
    NotFound,
    Unavailable,
    ValidationFailed,
)
from chalicelib.shared.events import Event, emit, new_event
from chalicelib.shared.idempotency import IdempotencyKey
from chalicelib.shared.ids import new_id
from chalicelib.shared.logs import logger
from chalicelib.shared.phrases import Phrase, english, phrased
from chalicelib.shared.settings import get_settings
from chalicelib.shared.unique import UniqueRecord
from chalicelib.stores.service import not_open, store_exists
from chalicelib.tiers import service as tiers
from chalicelib.wallet import service as wallet
from chalicelib.wallet.rules import MALL_SCOPE

MALL_PARTNER = "mall"  # the wallet payments the mall takes, apart from every partner system's
MALL_STORE = MALL_SCOPE  # where the wallet books a payment for an order no store collects (the statement's scope)
RELEASE_SHARDS = 4  # the release index's partitions per day: a run reads 4 a day, however few orders are due
READ_BATCH = 100  # accounts per BatchGetItem
READS_PER_PAGE = 25
MEMBER_CANCELLED = Phrase("会员取消", "Cancelled by the member")  # a cancellation's reason when none is given


class OutOfStock(Conflict):
    slug, title = "out-of-stock", "Not enough of the reward is left"


class LimitReached(Conflict):
    slug, title = "limit-reached", "The member has reached the reward's limit for the period"


class RewardNotOnSale(DomainError):
    slug, title, status = "reward-not-on-sale", "The reward is not on sale now", 422


class RewardNotForTier(DomainError):
    slug, title, status = "reward-not-for-tier", "The reward is not for the member's tier", 422


class OrderStateConflict(Conflict):
    slug, title = "order-state-conflict", "The order's status does not allow this"


class OrderNotAwaitingPayment(Conflict):
    slug, title = "order-not-awaiting-payment", "The order is not awaiting payment: nothing was taken"


class PaymentAmountMismatch(DomainError):
    slug, title, status = "payment-amount-mismatch", "The payment is not the order's cash part", 422


class MallPaymentConflict(Conflict):
    slug, title = "mall-payment-conflict", "This payment id was reported before with other content"


class PickupCodeUsed(Conflict):
    slug, title = "pickup-code-used", "This pickup code was used already"


class WrongPickupStore(DomainError):
    slug, title, status = "wrong-pickup-store", "The order is collected at another store", 422


REFUSALS: dict[Refusal, Callable[[str], DomainError]] = {
    Refusal.STOPPED: lambda name: RewardNotOnSale(f"{name} is no longer sold"),
    Refusal.NOT_YET: lambda name: RewardNotOnSale(f"{name} is not on sale yet"),
    Refusal.ENDED: lambda name: RewardNotOnSale(f"The sale of {name} is over"),
    Refusal.TIER: lambda name: RewardNotForTier(f"{name} is not for the member's tier"),
}

EVENT_OF = {  # the event each action announces
    Action.PLACE: "mall.order-placed",
    Action.PAY: "mall.order-paid",
    Action.SHIP: "mall.order-shipped",
    Action.COMPLETE: "mall.order-completed",
    Action.VERIFY: "mall.order-completed",
    Action.ISSUE: "mall.order-completed",
    Action.CANCEL: "mall.order-cancelled",
    Action.RELEASE: "mall.order-cancelled",
    Action.FAIL: "mall.order-cancelled",
    Action.REFUND: "mall.order-refunded",
}


# --- what a change posts ---------------------------------------------------------------------------------------


def _moving(
    order: Order | None, new: Order | None, action: Action, amount: int, reason: str, changes: Mapping[str, Any]
) -> tuple[Posting, Order]:
    """The posting moving an order (``new``: the one an exchange places) by ``action``, and the order it leaves,
    worked out by the order's own book on the state read (so it is what the post commits). An action the order's
    status does not allow is 409 ``order-state-conflict``."""
    target = new if new is not None else order
    assert target is not None
    detail = {
        "action": str(action),
        "at": clock.iso(clock.now()),
        "by": current_origin().actor,
        "changes": target.to_json() if action is Action.PLACE else dict(changes),
    }
    posting = Posting(
        order_holder(target.order_id), ORDER, amount, str(action), Source("mall-order", target.order_id), reason, detail
    )
    try:
        moved, _ = BOOKS[ORDER].apply(order, posting, clock.business_today())
    except NotAllowed as refused:
        raise OrderStateConflict(f"Order {target.order_id}: {refused.why}", order_status=refused.status) from None
    return posting, moved


def _events(order: Order, action: Action) -> list[Event]:
    """What a change of ``order`` (as it left it) announces: ids and amounts only."""
    payload = {
        "order_id": order.order_id,
        "member_id": order.member_id,
        "reward_id": order.reward_id,
        "kind": order.kind,
        "quantity": order.quantity,
        "points": order.points,
        "cash_fen": order.cash_fen,
        "status": order.status,
        "action": str(action),
    }
    if action is Action.PAY and order.payment:
        payload |= {"method": order.payment["method"], "payment_id": order.payment["payment_id"]}
    if action in GIVING_BACK:
        payload |= {"cash_refund_due_fen": order.cash_refund_due_fen}
    subject = f"member/{order.member_id}"
    named: dict[str, Any] = {"reward_name": order.reward_name} if action is Action.SHIP else {}  # the message names it
    if action is Action.CANCEL and order.history:  # who cancelled and why: the member hears of one they did not make
        step = order.history[-1]
        named = {"reward_name": order.reward_name, "by": step.get("by"), "why": step.get("why"),
                 **({"why_en": step["why_en"]} if step.get("why_en") else {})}  # fmt: skip
    events = [new_event(EVENT_OF[action], subject, {**payload, **named})]
    if order.status == Status.READY_FOR_PICKUP:
        ready = {**payload, "pickup_store_id": order.pickup_store_id, "reward_name": order.reward_name}
        events.append(new_event("mall.order-ready-for-pickup", subject, ready))
    return events


def _copy(order: Order) -> Callable[[Transaction], None]:
    """The order's copy for its lists (and, awaiting payment, the release index), put in the change's transaction."""
    due = order.pay_by if order.status == Status.AWAITING_PAYMENT else None
    record = MallOrderRecord(
        order.order_id,
        member_id=order.member_id,
        reward_id=order.reward_id,
        status=order.status,
        placed_key=f"{order.placed_at}#{order.order_id}",
        placed_month=order.placed_at[:7],
        pickup_store_id=order.pickup_store_id,
        release_partition=release_partition(due, order.order_id) if due else None,
        release_key=f"{due}#{order.order_id}" if due else None,
        document=json.dumps(listed(order), ensure_ascii=False, separators=(",", ":")),
    )
    return lambda tx: tx.put(record)


def release_partition(pay_by: str, order_id: str) -> str:
    """The release index's partition of an order due at ``pay_by``: its business day and a shard of its id."""
    day = clock.business_date(datetime.fromisoformat(pay_by.replace("Z", "+00:00")), get_settings().tz)
    return f"{day.isoformat()}#{zlib.crc32(order_id.encode()) % RELEASE_SHARDS}"


def _pickup_key(code: str) -> str:
    return f"mall-pickup:{lookup_hash('mall-pickup', code)}"


def _pickup_claim(order: Order) -> Callable[[Transaction], None]:
    """The uniqueness item a pickup code finds its order by, written with the exchange (a code taken by another order,
    one chance in 10^16 per pair, refuses the exchange: a retry makes another order and code)."""
    record = UniqueRecord(_pickup_key(code_of(order.order_id)), owner=order.order_id, created_at=order.placed_at)
    taken = Unavailable("The order's pickup code is taken; retry with a new Idempotency-Key")
    return lambda tx: tx.put(record, condition=UniqueRecord.key.does_not_exist(), on_fail=taken)


def _coupon_issuer() -> Callable[..., Mapping[str, Any]]:
    """The coupons domain's ``issue_for`` (imported on first need: most requests never issue a coupon)."""
    from chalicelib.coupons.service import issue_for

    return issue_for


@dataclass(frozen=True)
class Mall:
    """The mall's verbs on the platform's ledger (DynamoDB, or the store a test put in its place): ``tier_of`` reads a
    member's tier from their accounts as read (which rewards kept for tiers they may have, as coupons' tiers are),
    ``price_tier_of`` the tier whose benefits they have (a paid card's floor: its 会员价); ``payment_minutes`` is how
    long a points + cash order waits for its cash part (None: the settings')."""

    tier_of: Callable[[Holdings, str], str] = field(default=tiers.tier_in)
    price_tier_of: Callable[[Holdings, str], str] = field(default=tiers.tier_with_benefits)
    payment_minutes: int | None = None

    # --- rewards -----------------------------------------------------------------------------------------------

    def open_reward(
        self,
        reward_id: str,
        terms: Terms,
        stock: int,
        *,
        claim: Claim | None = None,
        attach: Sequence[Callable[[Transaction], None]] = (),
    ) -> bool:
        """Put a new reward on sale: its terms and first stock on its account, once (per ``claim``). True when it
        was a repeat."""
        holder, source = reward_holder(reward_id), Source("reward", reward_id)
        postings = [
            Posting(holder, STOCK, 0, "terms", source, "上架", terms.to_json()),
            Posting(holder, STOCK, stock, "stock", source, "初始库存"),
        ]
        payload = {
            "reward_id": reward_id,
            "name": terms.name,
            "kind": terms.kind,
            "points": terms.points,
            "cash_fen": terms.cash_fen,
            "stock": stock,
        }
        answer = ledger().post(
            postings,
            claim=claim,
            result=lambda answer: {"reward_id": reward_id},
            announce=lambda answer: [new_event("mall.reward-created", f"mall-reward/{reward_id}", payload)],
            attach=lambda answer: list(attach),
        )
        return answer.duplicate

    def change_reward(
        self,
        reward_id: str,
        change: Callable[[Terms], Terms],
        add_stock: int,
        *,
        attach: Sequence[Callable[[Transaction], None]] = (),
        announce: Mapping[str, Any] | None = None,
    ) -> Stock:
        """Change a reward's terms and add (or withdraw) stock, on its account, in one post with the caller's records:
        an exchange that planned on the old terms plans again. Withdrawing more than is left is 409 ``out-of-stock``."""
        holder, source = reward_holder(reward_id), Source("staff", current_origin().actor)
        after: list[Stock] = []

        def plan(holdings: Holdings) -> list[Posting]:
            stock: Stock = holdings.state(holder, STOCK)
            if stock.terms is None:
                raise NotFound(f"No reward {reward_id!r}")
            terms, postings = change(stock.terms), []
            if terms != stock.terms:
                postings.append(Posting(holder, STOCK, 0, "terms", source, "修改兑换条件", terms.to_json()))
            if add_stock < 0 and stock.units < -add_stock:
                raise OutOfStock(f"{stock.units} units are left to withdraw, not {-add_stock}", available=stock.units)
            if add_stock:
                postings.append(
                    Posting(holder, STOCK, add_stock, "stock", source, "补货" if add_stock > 0 else "减库存")
                )
            after[:] = [replace(stock, terms=terms, units=stock.units + add_stock, stocked=stock.stocked + add_stock)]
            return postings

        payload = {"reward_id": reward_id, **(announce or {}), "add_stock": add_stock}
        ledger().post(
            plan,
            holders=[holder],
            attach=lambda answer: list(attach),
            announce=lambda answer: [new_event("mall.reward-updated", f"mall-reward/{reward_id}", payload)],
        )
        return after[0]

    # --- exchanges ---------------------------------------------------------------------------------------------

    def exchange(
        self, order_id: str, member_id: str, reward_id: str, quantity: int, delivery: Delivery, claim: Claim | None
    ) -> tuple[Order, bool]:
        """Exchange ``quantity`` units of a reward for the member's points (积分兑换), once per ``claim``: in one
        transaction the points are spent (soonest expiry first), the stock taken, the units counted under the
        member's limit for the period, and the order placed — awaiting payment when the reward also costs cash.

        Refused, with nothing written: 409 ``insufficient-points``, ``out-of-stock`` or ``limit-reached`` (each with
        what is left); 422 for a reward not on sale now or not for the member's tier, or a delivery the reward does
        not take; 404 for no such reward. A repeat answers the order the first call placed, as it stands now."""
        reward, quota, held = reward_holder(reward_id), limit_holder(reward_id, member_id), order_holder(order_id)
        source = Source("mall-order", order_id)
        placed: list[Order] = []
        spent: list[list[list[Any]]] = []

        def plan(holdings: Holdings, booking: points.Booking, today: date) -> list[Posting]:
            stock: Stock = holdings.state(reward, STOCK)
            terms = stock.terms
            if terms is None:
                raise NotFound(f"No reward {reward_id!r}")
            now = clock.now()
            tier = self.tier_of(holdings, member_id)
            refusal = terms.refusal(clock.iso(now), tier)
            if refusal is not None:
                raise REFUSALS[refusal](terms.name)
            if problems := delivery.problems(terms, quantity):
                raise ValidationFailed(problems, problems[0]["message"])
            if stock.units < quantity:
                raise OutOfStock(
                    f"{stock.units} units of {terms.name} are left, {quantity} asked", available=stock.units
                )
            period = None
            if terms.per_member_limit is not None:
                period = period_key(terms.limit_period, today)
                left = holdings.state(quota, LIMIT).remaining(terms.per_member_limit, period)
                if quantity > (left or 0):
                    raise LimitReached(
                        f"{left} more units of {terms.name} this {terms.limit_period}, not {quantity}", remaining=left
                    )
            price, cash = terms.price(quantity, self.price_tier_of(holdings, member_id))  # 会员价: the tier whose
            # benefits they have (a paid card's floor); which rewards they may have stays their own tier's, as coupons'
            # tiers are (a review: a card-lifted member bought a gold coupon the till then refused)
            reason = Phrase(f"积分商城兑换 {terms.name} ×{quantity}", f"Points mall: {terms.name} ×{quantity}")
            spend, draws = points.spending(holdings, member_id, price, source, reason, today)
            pay_by = clock.iso(now + timedelta(minutes=self._payment_minutes())) if cash else None
            order = Order(
                order_id,
                member_id,
                reward_id,
                terms.name,
                terms.kind,
                quantity,
                price,
                cash,
                clock.iso(now),
                fulfilment=terms.fulfilment,
                pay_by=pay_by,
                pickup_store_id=delivery.pickup_store_id,
                pickup_hash=lookup_hash("mall-pickup", code_of(order_id)) if terms.fulfilled_in_store else None,
                address=delivery.address,
                template_id=terms.template_id,
                draws=draws,
                limit_period=period,
            )
            placing, after = _moving(None, order, Action.PLACE, price, reason, {})
            placed[:], spent[:] = [after], [draws]
            booking.events.extend(_events(after, Action.PLACE))
            counted = (
                [
                    Posting(
                        quota,
                        LIMIT,
                        quantity,
                        "count",
                        source,
                        reason,
                        {"period": period, "limit": terms.per_member_limit},
                    )
                ]
                if period
                else []
            )
            return [spend, Posting(reward, STOCK, -quantity, "sale", source, reason), *counted, placing]

        def result(answer: Answer, booking: points.Booking) -> dict[str, Any]:
            points.spent_as_planned(answer, spent[0])
            return {"order_id": order_id}

        def records(answer: Answer) -> list[Callable[[Transaction], None]]:
            order = placed[0]
            return [_copy(order), *([_pickup_claim(order)] if order.pickup_hash else [])]

        answer = points.post(
            member_id,
            plan,
            claim=claim,
            require="active",
            result=result,
            records=records,
            holders=[reward, quota, held],
        )
        if answer.duplicate:
            first = self.order(str(answer.result["order_id"]))
            assert first is not None
            return first, True
        return placed[0], False

    def _payment_minutes(self) -> int:
        return self.payment_minutes or get_settings().mall_payment_minutes

    # --- changes of an order -----------------------------------------------------------------------------------

    def move(
        self,
        order_id: str,
        action: Action,
        reason: str,
        *,
        decide: Callable[[Order], bool] = lambda order: True,
        changes: Callable[[Order], Mapping[str, Any]] = lambda order: {},
        claim: Claim | None = None,
    ) -> tuple[Order, bool]:
        """Move an order by an action that gives nothing back (a partner's payment, shipping, completion, a pickup
        verified, a coupon issued): one read of the order, one transaction with its events and copy. ``decide`` checks
        the order as read (raising a domain error), or says False when the action is done already (nothing is written);
        ``changes`` gives the fields it sets. Once per ``claim`` when there is one. Answers the order after, and
        whether the call was a repeat of a claimed one."""
        holder = order_holder(order_id)
        moved: list[Order] = []
        seen: list[Order] = []

        def plan(holdings: Holdings) -> list[Posting]:
            order: Order | None = holdings.state(holder, ORDER)
            if order is None:
                raise NotFound(f"No order {order_id!r}")
            seen[:], moved[:] = [order], []
            if not decide(order):
                return []
            posting, after = _moving(order, None, action, 0, reason, changes(order))
            moved[:] = [after]
            return [posting]

        answer = ledger().post(
            plan,
            holders=[holder],
            claim=claim,
            result=lambda answer: {"order_id": order_id},
            announce=lambda answer: _events(moved[0], action) if moved else [],
            attach=lambda answer: [_copy(moved[0])] if moved else [],
        )
        if answer.duplicate:
            return self._order_or_404(order_id), True
        return (moved or seen)[0], False

    def give_back(
        self,
        order_id: str,
        action: Action,
        reason: str,
        *,
        decide: Callable[[Order], bool],
        named: tuple[str, str] | None = None,
    ) -> tuple[Order, bool]:
        """Cancel an order (staff, the member, the release of an unpaid one, a coupon that could not be issued) or
        refund it after sale, exactly once: in one transaction the points go back to the lots they came from (with
        their expiry dates), the units back to the stock and out of the member's count, and the order holds nothing.
        A cash part paid from the wallet goes back to the wallet in that same transaction (the wallet's refund with
        the order's change joined); one paid through a partner is owed back (``cash_refund_due_fen``), and so is the
        principal part of one paid from the wallet of a member erased since (their wallet is closed; what its bonus
        paid is forfeited with it). A way back the order's status refuses is 409
        ``order-state-conflict``, for a wallet-paid order too (its refund's claim names the way back it was for).

        ``decide`` checks the order as read, or says False when there is nothing to do (released already, paid
        meanwhile): then nothing is written. ``named`` are the order's member and reward when the caller knows them (the
        release job, from its index): the post then reads every account in one request. Answers the order after, and
        whether nothing changed."""
        holder = order_holder(order_id)
        first = None
        if named is None:
            first = self._order_or_404(order_id)
            decide(first)  # who may act on it, before the post: inside it, a refusal would replay a kept answer
            member_id, reward_id = first.member_id, first.reward_id
        else:
            member_id, reward_id = named
        reward, quota = reward_holder(reward_id), limit_holder(reward_id, member_id)
        by_wallet = first is not None and first.payment is not None and first.payment["method"] == "wallet"
        moved: list[Order] = []
        seen: list[Order] = []
        till: dict[str, Any] = {}  # once the member's wallet is found closed: owed back at the till, and how much

        def plan(holdings: Holdings) -> list[Posting]:
            order: Order | None = holdings.state(holder, ORDER)
            if order is None:
                raise NotFound(f"No order {order_id!r}")
            seen[:], moved[:] = [order], []
            if not decide(order):
                return []
            paid = order.payment
            if (paid is not None and paid["method"] == "wallet") != by_wallet:
                raise OrderStateConflict(f"Order {order_id} was paid meanwhile: try again", order_status=order.status)
            source = Source("mall-order", order_id)
            owed = {"cash_refund_due_fen": int(paid["amount_fen"]) if paid else 0, **till}
            posting, after = _moving(order, None, action, -order.held, reason, owed)
            moved[:] = [after]
            uncounted = (
                [Posting(quota, LIMIT, -order.quantity, "uncount", source, reason, {"period": order.limit_period})]
                if order.limit_period
                else []
            )
            way_back = ("退款", "refunded") if action == Action.REFUND else ("取消", "cancelled")  # names the order too
            item = f"{order.reward_name} ×{order.quantity}"
            back = Phrase(
                f"积分商城兑换{way_back[0]} {item}: {reason}",
                f"Points mall exchange {way_back[1]}: {item}: {english(reason) or reason}",
            )
            return [
                points.giving_back(order.member_id, order.held, [list(draw) for draw in order.draws], source, back),
                Posting(reward, STOCK, order.quantity, "return", source, reason),
                *uncounted,
                posting,
            ]

        def records(answer: Answer) -> list[Callable[[Transaction], None]]:
            return [_copy(moved[0])] if moved else []

        def without_wallet() -> None:
            points.post(
                member_id,
                lambda holdings, booking, today: self._booked(plan(holdings), booking, moved, action),
                require=None,
                records=records,
                holders=[reward, quota, holder],
            )

        if by_wallet:
            assert first is not None
            try:
                self._refund_to_wallet(first, plan, records, moved, action)
            except HolderUnavailable:  # an erased member's wallet is closed: what it paid is owed back at the till,
                assert first.payment is not None  # its principal only (the bonus is forfeited, as erasure forfeits it)
                principal = wallet.wallets().principal_of_refund(
                    MALL_PARTNER, str(first.payment["payment_id"]), int(first.payment["amount_fen"])
                )
                till.update(refund_at_till=True, cash_refund_due_fen=principal)
                without_wallet()
        else:
            without_wallet()
        if moved:
            return moved[0], False
        return (seen[0] if seen else self._order_or_404(order_id)), True

    @staticmethod
    def _booked(postings: list[Posting], booking: points.Booking, moved: list[Order], action: Action) -> list[Posting]:
        if moved:
            booking.events.extend(_events(moved[0], action))
        return postings

    @staticmethod
    def _refund_to_wallet(
        order: Order,
        plan: Callable[[Holdings], list[Posting]],
        records: Callable[[Answer], list[Callable[[Transaction], None]]],
        moved: list[Order],
        action: Action,
    ) -> None:
        """Give the order's wallet payment back in the wallet's own refund, the order's giving back joined to it: once,
        by the refund's claim (a repeat finds it and changes nothing)."""
        assert order.payment is not None
        amount = int(order.payment["amount_fen"])

        def announce(answer: Answer) -> list[Event]:
            ours = [
                e for e in points.announce(answer) if e.payload["source_kind"] == "mall-order"
            ]  # the wallet's: its own
            return [*ours, *(_events(moved[0], action) if moved else [])]

        refused = OrderStateConflict(f"Order {order.order_id} was given back otherwise", order_status=order.status)
        claim = Claim.of(
            f"wallet-refund|{MALL_PARTNER}|{order.order_id}",
            {"order_id": order.order_id, "action": str(action)},
            conflict=refused,  # the other way back after this one (a refund after a cancellation): 409
        )
        joined = wallet.Joined(
            [
                order.member_id,
                reward_holder(order.reward_id),
                limit_holder(order.reward_id, order.member_id),
                order_holder(order.order_id),
            ],
            plan,
            announce,
            records,
        )
        wallet.wallets().refund(
            MALL_PARTNER,
            f"mall-{order.order_id}",
            str(order.payment["payment_id"]),
            amount,
            clock.now(),
            claim,
            joined,
            member_id=order.member_id,
        )

    def pay_from_wallet(self, member_id: str, order_id: str) -> tuple[Order, bool]:
        """Pay an order's cash part from the member's stored value (储值支付): the wallet's payment and the order's
        change to paid in one transaction, once per order (the payment id is made from it). 409
        ``order-not-awaiting-payment`` for an order paid, released or cancelled (nothing is taken), 409
        ``insufficient-balance`` when the wallet holds less. Answers the order, and whether it was paid before."""
        order = self.order(order_id)
        if order is None or order.member_id != member_id:
            raise NotFound(f"No order {order_id!r}")
        if order.payment is not None and order.payment["method"] == "wallet" and order.live:
            return order, True  # paid before: a repeat
        holder, payment_id, paid_at = order_holder(order_id), f"mall-{order_id}", clock.now()
        moved: list[Order] = []

        def plan(holdings: Holdings) -> list[Posting]:
            current: Order = holdings.state(holder, ORDER)
            _require_awaiting_payment(current)
            paid = {
                "method": "wallet",
                "partner_id": MALL_PARTNER,
                "payment_id": payment_id,
                "amount_fen": current.cash_fen,
                "paid_at": clock.iso(paid_at),
            }
            posting, after = _moving(
                current, None, Action.PAY, 0, Phrase("储值支付", "Paid from the wallet"), {"payment": paid}
            )
            moved[:] = [after]
            return [posting]

        content = {"member_id": member_id, "order_id": order_id, "amount_fen": order.cash_fen}
        claim = Claim.of(f"wallet-payment|{MALL_PARTNER}|{payment_id}", content, conflict=MallPaymentConflict())
        payment = wallet.PartnerPayment(
            MALL_PARTNER, payment_id, order.pickup_store_id or MALL_STORE, paid_at, order_id,
            paid_for=Phrase(f"积分商城 {order.reward_name}", f"{order.reward_name} (points mall)"),
        )  # fmt: skip
        joined = wallet.Joined(
            [holder], plan, lambda answer: _events(moved[0], Action.PAY), lambda answer: [_copy(moved[0])]
        )
        answer = wallet.wallets().pay(member_id, payment, order.cash_fen, claim, joined)
        if answer["duplicate"]:
            return self._order_or_404(order_id), True
        return moved[0], False

    # --- reads -------------------------------------------------------------------------------------------------

    def order(self, order_id: str) -> Order | None:
        """The order as it stands (one read of its account)."""
        return find_order(order_id)

    def _order_or_404(self, order_id: str) -> Order:
        found = self.order(order_id)
        if found is None:
            raise NotFound(f"No order {order_id!r}")
        return found


def _require_awaiting_payment(order: Order | None) -> None:
    if order is None:
        raise NotFound("No such order")
    if order.status == Status.AWAITING_PAYMENT:
        return
    last = order.history[-1] if order.history else {}
    detail = f"Order {order.order_id} is {order.status}"
    if order.status == Status.CANCELLED:
        detail += f" ({last.get('why')}, {last.get('at')}): nothing was taken"
    elif order.payment is not None:
        detail += f", paid already by {order.payment['method']} payment {order.payment['payment_id']}"
    raise OrderNotAwaitingPayment(detail, order_status=order.status)


def mall() -> Mall:
    """The mall on the platform's ledger, with members' tiers from the tier programme and the settings' payment time."""
    return Mall()


# --- orders, as the API asks -----------------------------------------------------------------------------------


def place_order(member_id: str, body: Any, key: IdempotencyKey | None) -> dict[str, Any]:
    """A member's exchange (``Mall.exchange``), once per Idempotency-Key; a coupon reward's coupon is issued at once
    (and by the ``mall-coupons`` consumer of the order's event, should this call stop between the two)."""
    order_id = new_id("mo_")
    if body.pickup_store_id is not None and (why := not_open(body.pickup_store_id)) is not None:
        raise ValidationFailed([{"field": "pickup_store_id", "in": "body", "message": why}], why)
    address = None
    if body.address is not None:
        sealer = members.sealer_of(member_id)
        if sealer is None:
            raise NotFound(f"No member {member_id!r}")
        given = body.address.model_dump()
        address = {
            "sealed": sealer.seal(f"mall-address/{order_id}", json.dumps(given, ensure_ascii=False)),
            "masked": {
                "name": mask_name(given["name"]),
                "phone": mask_phone(given["phone"]),
                "address": mask_address(given["address"]),
            },
        }
    delivery = Delivery(body.pickup_store_id, address)
    order, _ = mall().exchange(order_id, member_id, body.reward_id, body.quantity, delivery, idempotency_claim(key))
    if order.kind == "coupon" and order.status == Status.PENDING:
        try:
            order = issue_coupon(order.order_id) or order
        except Exception:  # the consumer of the order's event issues it: the exchange stands
            logger.exception("coupon not issued yet", extra={"order_id": order.order_id})
    return order_view(order, Viewer.answering_member(), opened=body.address.model_dump() if body.address else None)


def issue_coupon(order_id: str) -> Order | None:
    """Issue a pending coupon order's coupon, exactly once per order (the coupons domain keys it by the order id), and
    complete the order with its code; a coupon the coupons domain refuses (stopped, out of stock) cancels the order,
    giving its points and stock back. Transient failures are raised, for a retry. Returns the order after."""
    engine = mall()
    order = engine.order(order_id)
    issue_for = _coupon_issuer()
    if order is None or order.kind != "coupon" or order.status != Status.PENDING:
        return order
    try:
        coupon = issue_for(order.template_id, order.member_id, source_kind="mall-order", source_id=order_id)
    except Unavailable:
        raise
    except DomainError as refused:
        reason = Phrase(f"优惠券未能发放: {refused.detail}", f"The coupon could not be issued: {refused.detail}")
        return engine.give_back(order_id, Action.FAIL, reason, decide=lambda now: now.status == Status.PENDING)[0]
    code = str(coupon["code"])
    return engine.move(
        order_id,
        Action.ISSUE,
        Phrase("优惠券已发放", "Coupon issued"),
        decide=lambda now: now.status == Status.PENDING,
        changes=lambda now: {"coupon_code": code},
    )[0]


def pay_from_wallet(member_id: str, order_id: str) -> dict[str, Any]:
    order, _ = mall().pay_from_wallet(member_id, order_id)
    if order.kind == "coupon" and order.status == Status.PENDING:
        order = _issue_quietly(order)
    return order_view(order, Viewer.answering_member())


def _issue_quietly(order: Order) -> Order:
    try:
        return issue_coupon(order.order_id) or order
    except Exception:
        logger.exception("coupon not issued yet", extra={"order_id": order.order_id})
        return order


def pay_by_partner(partner: Caller, body: Any) -> dict[str, Any]:
    """A payment partner took an order's cash part: the order is paid, once per partner and payment id, for good (a
    repeat answers the order; other content is 409 ``mall-payment-conflict``). A partner scoped to stores pays only
    the orders collected at them (404 otherwise, as for no order). An order released or cancelled
    meanwhile is 409 ``order-not-awaiting-payment`` and nothing is recorded: the partner refunds the payer."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    claim = Claim(
        f"mall-payment|{partner.id}|{body.payment_id}",
        lookup_hash("mall-payment", canonical),
        conflict=MallPaymentConflict(),
    )
    paid = {
        "method": "partner",
        "partner_id": partner.id,
        "payment_id": body.payment_id,
        "amount_fen": body.amount_fen,
        "paid_at": clock.iso(body.paid_at),
    }

    def decide(order: Order) -> bool:
        reach(partner, order)
        _require_awaiting_payment(order)
        if body.amount_fen != order.cash_fen:
            problem = {"field": "amount_fen", "in": "body", "message": f"the order's cash part is {order.cash_fen}"}
            raise PaymentAmountMismatch(f"Order {order.order_id} costs {order.cash_fen} fen in cash", errors=[problem])
        return True

    order, _ = mall().move(
        body.order_id,
        Action.PAY,
        Phrase("现金支付", "Paid in cash"),
        decide=decide,
        changes=lambda order: {"payment": paid},
        claim=claim,
    )
    reach(partner, order)  # a repeat too: a partner whose stores changed since reads only what it still reaches
    if order.kind == "coupon" and order.status == Status.PENDING:
        order = _issue_quietly(order)
    return order_view(order, Viewer.answering(partner))


def ship(caller: Caller, order_id: str, body: Any) -> dict[str, Any]:
    """Goods to ship are shipped with a carrier and tracking number; the same shipment again answers the order."""
    shipment = {"carrier": body.carrier, "tracking_no": body.tracking_no}

    def decide(order: Order) -> bool:
        reach(caller, order)
        same = order.shipment is not None and {k: order.shipment[k] for k in shipment} == shipment
        return not (order.status == Status.SHIPPED and same)

    order, _ = mall().move(
        order_id,
        Action.SHIP,
        Phrase(f"已发货 {body.carrier} {body.tracking_no}", f"Shipped: {body.carrier} {body.tracking_no}"),
        decide=decide,
        changes=lambda order: {"shipment": {**shipment, "shipped_at": clock.iso(clock.now())}},
    )
    return order_view(order, Viewer.answering(caller))


def complete(caller: Caller, order_id: str) -> dict[str, Any]:
    """Shipped goods are received (staff, or the member confirming receipt 确认收货); again: the order as it is."""

    def decide(order: Order) -> bool:
        if caller.is_member and order.member_id != caller.id:
            raise NotFound(f"No order {order_id!r}")
        reach(caller, order)
        return order.status != Status.COMPLETED

    why = Phrase("会员确认收货", "Receipt confirmed") if caller.is_member else Phrase("已签收", "Delivered")
    order, _ = mall().move(order_id, Action.COMPLETE, why, decide=decide)
    return order_view(order, Viewer.answering(caller))


def verify_pickup(caller: Caller, body: Any) -> dict[str, Any]:
    """A cashier verifies a member's pickup code (核销) at one of their stores: the order is completed, exactly once
    (the code again is 409 ``pickup-code-used``). Goods are collected at the store the member chose (422
    ``wrong-pickup-store`` elsewhere); a service at any store unless the member chose one."""
    if not caller.covers_store(body.store_id) or not store_exists(body.store_id):
        problem = {"field": "store_id", "in": "body", "message": "one of your stores"}
        raise ValidationFailed([problem], f"Store {body.store_id!r} is not one of yours")
    if (why := not_open(body.store_id)) is not None:
        raise ValidationFailed([{"field": "store_id", "in": "body", "message": why}], why)
    code = normal_code(body.code)
    found = UniqueRecord.find(_pickup_key(code))
    if found is None:
        raise NotFound("No order has this pickup code")

    def decide(order: Order) -> bool:
        if order.pickup_hash != lookup_hash("mall-pickup", code):
            raise NotFound("No order has this pickup code")
        if order.status == Status.COMPLETED:
            raise PickupCodeUsed(f"Order {order.order_id} was collected at {order.history[-1]['at']}")
        if order.pickup_store_id is not None and order.pickup_store_id != body.store_id:
            problem = {"field": "store_id", "in": "body", "message": f"collected at {order.pickup_store_id}"}
            raise WrongPickupStore(
                f"Order {order.order_id} is collected at store {order.pickup_store_id}",
                errors=[problem],
                pickup_store_id=order.pickup_store_id,
            )
        return True

    order, _ = mall().move(
        found.owner,
        Action.VERIFY,
        Phrase(f"门店核销 {body.store_id}", f"Collected at store {body.store_id}"),
        decide=decide,
        changes=lambda order: {"pickup_store_id": body.store_id},
    )
    return order_view(order, Viewer.answering(caller))


def cancel(caller: Caller, order_id: str, reason: str) -> dict[str, Any]:
    """Cancel an order not yet fulfilled (staff, or the member their own): points, stock and the limit's count back,
    exactly once (a cancelled order again answers as it is); a paid cash part back to the wallet or owed back."""
    reason = phrased(reason, MEMBER_CANCELLED)

    def decide(order: Order) -> bool:
        if caller.is_member and order.member_id != caller.id:
            raise NotFound(f"No order {order_id!r}")
        reach(caller, order)
        return order.status != Status.CANCELLED  # any other status the cancellation's own move checks (409)

    order, _ = mall().give_back(order_id, Action.CANCEL, reason, decide=decide)
    return order_view(order, Viewer.answering(caller))


def refund(caller: Caller, order_id: str, reason: str) -> dict[str, Any]:
    """An after-sale refund of shipped or completed goods (staff): as a cancellation, exactly once."""

    def decide(order: Order) -> bool:
        reach(caller, order)
        return order.status != Status.REFUNDED

    order, _ = mall().give_back(order_id, Action.REFUND, reason, decide=decide)
    return order_view(order, Viewer.answering(caller))


def expire_uncollected(order_id: str, now: datetime, days: int) -> bool:
    """Cancel a pickup order not collected within ``days`` of being ready (an education chain's walkthrough: a year-old
    one held the member's closure): points, stock, count and any cash part back, once. Nothing to do for one collected
    or cancelled meanwhile. True when it cancelled it."""
    since = clock.iso(now - timedelta(days=days))

    def decide(order: Order) -> bool:
        ready = [h["at"] for h in order.history if h.get("status") == Status.READY_FOR_PICKUP] or [order.placed_at]
        return order.status == Status.READY_FOR_PICKUP and ready[-1] <= since

    why = Phrase(f"超过 {days} 天未提货，自动取消", f"Not collected within {days} days: cancelled")
    _, unchanged = mall().give_back(order_id, Action.CANCEL, why, decide=decide)
    return not unchanged


PICKUP_REMINDER_DAYS = 3  # a pickup not collected is told this many days before it is cancelled


def remind_uncollected(order_id: str, now: datetime, days: int) -> bool:
    """Tell the member of a pickup order still waiting that it is cancelled on its day unless collected (a retail
    chain's walkthrough: pickups went after 30 days with no word before): ``mall.order-pickup-due``, its message once
    per order whichever night gives it. True when it was still waiting."""
    order = find_order(order_id)
    if order is None or order.status != Status.READY_FOR_PICKUP:
        return False
    ready = [h["at"] for h in order.history if h.get("status") == Status.READY_FOR_PICKUP] or [order.placed_at]
    cancel_on = clock.business_date(datetime.fromisoformat(ready[-1]) + timedelta(days=days), get_settings().tz)
    tx = Transaction()
    emit(tx, new_event("mall.order-pickup-due", f"member/{order.member_id}", {
        "member_id": order.member_id, "order_id": order.order_id, "reward_name": order.reward_name,
        "pickup_store_id": order.pickup_store_id, "cancel_on": cancel_on.isoformat(),
    }))  # fmt: skip
    tx.commit()
    return True


def release(order_id: str, member_id: str, reward_id: str, now: datetime) -> bool:
    """Release an order whose cash part was not paid by its time: points, stock and count back, once. Nothing to do
    for an order paid or cancelled meanwhile, or not due yet. True when it released it."""
    minutes = get_settings().mall_payment_minutes

    def decide(order: Order) -> bool:
        return order.status == Status.AWAITING_PAYMENT and order.pay_by is not None and order.pay_by <= clock.iso(now)

    why = Phrase(f"未在 {minutes} 分钟内支付, 自动取消", f"Not paid within {minutes} minutes: cancelled")
    _, unchanged = mall().give_back(order_id, Action.RELEASE, why, decide=decide, named=(member_id, reward_id))
    return not unchanged
