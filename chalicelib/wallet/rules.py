"""Stored value (储值) rules, pure: the wallet's books, how a payment splits between principal and bonus, what a
refund gives back, what a cash refund takes, the balance limit, top-up plans and the statement's arithmetic.

A member's wallet is two books on the ledger engine, kept apart everywhere: the principal (本金, what the member
paid in; it never expires and is what a cash refund pays out) and the bonus (赠送金, what top-up plans gave).
A wallet payment also opens an account of its own (holder ``wallet-payment:<partner>:<payment id>``) with one
book, ``wallet-refundable``: what of that payment may still be refunded, principal and bonus apart, so a refund
of more than the payment has left is refused by that book, atomically with the member's books, under races.

Rounding is always in the member's favour (消费者权益保护法实施条例: ambiguous terms read for the consumer): a
proportional payment takes principal rounded down, a refund gives principal back rounded up, a prorated cash
refund forfeits bonus rounded down.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Literal

from chalicelib.ledger.model import Counter, CounterBook, Entry, Insufficient, Posting

PRINCIPAL = "wallet-principal"
BONUS = "wallet-bonus"
REFUNDABLE = "wallet-refundable"
GIFTS = "wallet-gift-points"
BOOK_NAMES = {PRINCIPAL: "principal", BONUS: "bonus"}  # the ledger's book -> the API's name for it

Split = Literal["proportional", "principal-first", "bonus-first"]
BonusOnCashRefund = Literal["prorate", "forfeit"]


class WalletBook(CounterBook):
    """A wallet book: a balance that never goes below zero; its entries are ``we_…`` and name the store each
    happened at (the posting's ``store_id``)."""

    entry_prefix: ClassVar[str] = "we_"

    def apply(self, state: Counter, posting: Posting, today: date) -> tuple[Counter, Any]:
        after, _ = super().apply(state, posting, today)
        store_id = (posting.detail or {}).get("store_id")
        return after, {"store_id": store_id} if store_id else None


@dataclass(frozen=True)
class Parts:
    """An amount of stored value, principal and bonus apart (fen)."""

    principal: int = 0
    bonus: int = 0

    @property
    def total(self) -> int:
        return self.principal + self.bonus

    def to_json(self) -> dict[str, int]:
        return {"principal_fen": self.principal, "bonus_fen": self.bonus}


MICRO = 1_000_000  # gift points are counted in millionths of a point, so proportional shares lose nothing


@dataclass(frozen=True)
class GiftState:
    """Top-up plans' gift points (充值送积分) a member has yet to earn (``pending``, in millionths of a point), and the
    millionths earned but not yet a whole point (``earned``, under one). A gift is earned as the principal it came
    with is spent: each payment's share of the principal credits that share of the pending gift, a cash refund
    forfeits the share it pays out (as the bonus that goes with it), a refund of a payment takes back what it earned."""

    pending: int = 0
    earned: int = 0

    @classmethod
    def of(cls, raw: Mapping[str, Any] | None) -> GiftState:
        raw = raw or {}
        return cls(int(raw.get("pending", 0)), int(raw.get("earned", 0)))

    def to_json(self) -> dict[str, int]:
        return {"pending": self.pending, "earned": self.earned}

    @property
    def pending_points(self) -> int:
        """The whole gift points still to be earned, as the member is shown them."""
        return self.pending // MICRO


@dataclass(frozen=True)
class Refundable:
    """What a wallet payment may still have refunded, and where refunds go: the member it was paid by, the store
    it was paid at, when (UTC ISO 8601); the millionths of gift points its principal earned (``gift``), which a
    refund of that principal takes back; and what it took of each part (``paid``: none for a payment recorded before
    it was kept), which its refunds give back in proportion."""

    left: Parts = Parts()
    member_id: str = ""
    store_id: str = ""
    paid_at: str = ""
    gift: int = 0
    paid: Parts | None = None
    order_id: str = ""  # the till's order, for a payment taken at the counter


@dataclass(frozen=True)
class RefundableBook:
    """The book of a payment's account. A posting's ``detail`` is ``{"principal": signed, "bonus": signed}``
    adding up to its amount (the payment itself also names ``member_id``, ``store_id`` and ``paid_at``); neither
    part may go below zero, so a refund can never give back more than the payment took of either."""

    name: str = REFUNDABLE
    entry_prefix: ClassVar[str] = "wr_"

    def load(self, raw: Any) -> Refundable:
        raw = raw or {}
        left = Parts(int(raw.get("principal", 0)), int(raw.get("bonus", 0)))
        paid = Parts(*map(int, raw["paid"])) if raw.get("paid") else None
        return Refundable(left, raw.get("member_id", ""), raw.get("store_id", ""), raw.get("paid_at", ""),
                          int(raw.get("gift", 0)), paid, raw.get("order_id", ""))  # fmt: skip

    def dump(self, state: Refundable) -> dict[str, Any]:
        return {
            "principal": state.left.principal,
            "bonus": state.left.bonus,
            "member_id": state.member_id,
            "store_id": state.store_id,
            "paid_at": state.paid_at,
            **({"gift": state.gift} if state.gift else {}),
            **({"paid": [state.paid.principal, state.paid.bonus]} if state.paid else {}),
            **({"order_id": state.order_id} if state.order_id else {}),
        }

    def apply(self, state: Refundable, posting: Posting, today: date) -> tuple[Refundable, Any]:
        detail: Mapping[str, Any] = posting.detail or {}
        change = Parts(int(detail.get("principal", 0)), int(detail.get("bonus", 0)))
        if change.total != posting.amount:
            raise ValueError(f"a {self.name} posting's parts add up to {change.total}, not {posting.amount}")
        left = Parts(state.left.principal + change.principal, state.left.bonus + change.bonus)
        if left.principal < 0 or left.bonus < 0:
            raise Insufficient(self.name, state.left.total, -posting.amount)
        gift = int(detail.get("gift", 0))  # signed: earned by the payment, taken back by a refund
        if state.gift + gift < 0:
            raise ValueError(f"a payment that earned {state.gift} millionths of gift points cannot give back {-gift}")
        after = Refundable(
            left,
            detail.get("member_id", state.member_id),
            detail.get("store_id", state.store_id),
            detail.get("paid_at", state.paid_at),
            state.gift + gift,
            change if "member_id" in detail else state.paid,  # the payment itself names its member
            detail.get("order_id", state.order_id),
        )
        recorded = {"principal": change.principal, "bonus": change.bonus}
        return after, {**recorded, "gift": gift} if gift else recorded

    def undo(self, state: Refundable, entry: Entry, today: date) -> tuple[Refundable, Any]:
        detail = entry.detail or {}
        back = {"principal": -int(detail.get("principal", 0)), "bonus": -int(detail.get("bonus", 0)),
                "gift": -int(detail.get("gift", 0))}  # fmt: skip
        return self.apply(
            state, Posting(entry.holder, self.name, -entry.amount, "reverse", entry.source, "", back), today
        )

    def balance(self, state: Refundable) -> int:
        return state.left.total

    def due(self, state: Refundable, today: date) -> Mapping[str, date | None]:
        return {}


@dataclass(frozen=True)
class PendingGiftBook:
    """The member's ``GiftState``: a state without entries (every posting is of 0, its ``detail`` the new state).
    The gift points earned are the points book's entries; this keeps what is still to be earned."""

    name: str = GIFTS

    def load(self, raw: Any) -> GiftState:
        return GiftState.of(raw)

    def dump(self, state: GiftState) -> dict[str, int]:
        return state.to_json()

    def apply(self, state: GiftState, posting: Posting, today: date) -> tuple[GiftState, Any]:
        if posting.amount:
            raise ValueError(f"the {self.name} book keeps a state, not entries: a posting of {posting.amount}")
        after = GiftState.of(posting.detail)
        if after.pending < 0 or not 0 <= after.earned < MICRO:
            raise ValueError(f"a gift state out of bounds: {after}")
        return after, None

    def undo(self, state: GiftState, entry: Entry, today: date) -> tuple[GiftState, Any]:
        raise ValueError(f"the {self.name} book has no entries to undo")

    def balance(self, state: GiftState) -> int:
        return 0  # no entries: reconciliation finds the sum of none

    def due(self, state: GiftState, today: date) -> Mapping[str, date | None]:
        return {}


BOOKS: dict[str, Any] = {PRINCIPAL: WalletBook(PRINCIPAL), BONUS: WalletBook(BONUS), REFUNDABLE: RefundableBook(),
                         GIFTS: PendingGiftBook()}  # fmt: skip


# --- gift points earned as the principal is spent ------------------------------------------------------------------
# Nothing is credited with the top-up, so nothing has to be taken back from points that may have been spent or have
# expired since: a cash refund only forfeits what is still pending, as it forfeits the bonus. Shares are counted in
# millionths; a payment rounds what it earns down and its refund takes back exactly what it earned.


def gift_on_top_up(state: GiftState, gift_points: int) -> GiftState:
    """A plan's gift points wait to be earned as the principal is spent."""
    return GiftState(state.pending + gift_points * MICRO, state.earned)


def gift_on_payment(state: GiftState, principal_taken: int, principal_before: int) -> tuple[GiftState, int, int]:
    """A payment taking ``principal_taken`` of ``principal_before`` earns that share of the pending gift; returns the
    state, the millionths it earned (kept with the payment, for its refund) and the whole points to credit now."""
    if not principal_taken or not state.pending:
        return state, 0, 0
    if not 0 < principal_taken <= principal_before:
        raise ValueError(f"a payment of {principal_taken} of a principal of {principal_before}")
    share = state.pending * principal_taken // principal_before
    points, earned = divmod(state.earned + share, MICRO)
    return GiftState(state.pending - share, earned), share, points


def gift_on_refund(state: GiftState, earned_left: int, principal_back: int, principal_left: int
                   ) -> tuple[GiftState, int, int]:  # fmt: skip
    """A refund giving ``principal_back`` of the ``principal_left`` of a payment back to the wallet undoes that share of
    what the payment earned (rounded up; all of it with the last of its principal): it is pending again; returns the
    state, the millionths given back and the whole points to take back (a claw-back, as a purchase refund's)."""
    if not principal_back or not earned_left:
        return state, 0, 0
    if not 0 < principal_back <= principal_left:
        raise ValueError(f"a refund of {principal_back} of a payment's principal of {principal_left}")
    back = -(-earned_left * principal_back // principal_left)
    owing = back - state.earned
    points = -(-owing // MICRO) if owing > 0 else 0
    return GiftState(state.pending + back, state.earned - back + points * MICRO), back, points


def gift_on_cash_refund(state: GiftState, withdrawn: int, principal_before: int) -> tuple[GiftState, int]:
    """A cash refund of ``withdrawn`` of ``principal_before`` forfeits that share of the pending gift (all of it with
    the last of the principal), never a point already earned; returns the state and the whole points forfeited."""
    if not 0 < withdrawn <= principal_before:
        raise ValueError(f"a cash refund of {withdrawn} from a principal of {principal_before}")
    forfeited = state.pending * withdrawn // principal_before
    return GiftState(state.pending - forfeited, state.earned), forfeited // MICRO


def payment_holder(partner_id: str, payment_id: str) -> str:
    """The ledger holder of a wallet payment: a partner's payment ids are its own."""
    return f"wallet-payment:{partner_id}:{payment_id}"


# --- spending, refunds, cash refunds -----------------------------------------------------------------------------


def split_payment(amount: int, wallet: Parts, order: Split) -> Parts:
    """How a payment of ``amount`` (at most the wallet's total) is taken from the wallet.

    ``proportional`` (the default) takes bonus in proportion to the bonus share of the balance, so whatever is
    spent, the principal left is what a court would refund (法释〔2025〕4号 draft art. 21: bonus prorated on
    paid ÷ (paid + bonus)); the principal taken rounds down, in the member's favour by under a fen a payment (a
    run of 1-fen payments is taken from the bonus while the bonus lasts: bounded by a fen each, and any rounding
    that depends only on the balance drifts one way or the other, nearest rounding towards spending the principal).
    ``principal-first`` and ``bonus-first`` take one book before touching the other."""
    if not 0 < amount <= wallet.total:
        raise ValueError(f"a payment of {amount} from a wallet of {wallet.total}")
    if order == "principal-first":
        principal = min(amount, wallet.principal)
    elif order == "bonus-first":
        principal = amount - min(amount, wallet.bonus)
    else:
        principal = amount * wallet.principal // wallet.total
    return Parts(principal, amount - principal)


def split_refund(amount: int, left: Parts, paid: Parts | None = None) -> Parts:
    """What a refund of ``amount`` (at most what the payment has left) gives back: principal and bonus in the
    proportion the payment took them (``paid``), counted over all its refunds: the principal its refunds give back
    in all is the refunded total's share of the payment's principal, rounded up. So refunds in pieces give back
    what one refund of their sum would (rounding each piece up gave a hundred 1-fen refunds of a half-bonus payment
    back as principal alone, bonus the member had spent turned into principal they could cash out). Without
    ``paid`` (a payment recorded before it was kept), in the proportion the payment has left, principal rounded up.
    Refunding all that is left gives back exactly what is left of each."""
    if not 0 < amount <= left.total:
        raise ValueError(f"a refund of {amount} from a payment with {left.total} left")
    if paid is None or paid.total < left.total:
        principal = -(-amount * left.principal // left.total)
    else:
        refunded = paid.total - left.total + amount
        principal = -(-refunded * paid.principal // paid.total) - (paid.principal - left.principal)
    principal = min(max(principal, amount - left.bonus, 0), left.principal, amount)  # within what is left of each
    return Parts(principal, amount - principal)


def cash_out(amount: int, wallet: Parts, bonus_rule: BonusOnCashRefund) -> Parts:
    """What a cash refund (退卡/退余额) of ``amount`` of principal takes from the wallet: that principal, paid out in
    cash, and the bonus that goes with it, never paid out: all of it (``forfeit``), or the bonus in proportion
    to the principal withdrawn (``prorate``, rounded down), so withdrawing everything takes all the bonus either
    way and a partial withdrawal keeps the bonus of the principal left."""
    if not 0 < amount <= wallet.principal:
        raise ValueError(f"a cash refund of {amount} from a principal of {wallet.principal}")
    bonus = wallet.bonus if bonus_rule == "forfeit" else wallet.bonus * amount // wallet.principal
    return Parts(amount, bonus)


def over_limit(wallet: Parts, adding: Parts, limit: int) -> bool:
    """Whether a top-up takes the wallet's stored value (principal and bonus together) over the limit per member
    (单用途商业预付卡: 5,000 CNY on a named card); a limit of 0 is none. Refunds back to the balance are not
    top-ups: they restore what the member already held."""
    return limit > 0 and wallet.total + adding.total > limit


# --- top-up plans --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A top-up plan (充值方案): pay ``pay_fen``, get ``bonus_fen`` of bonus (充100送20) and ``gift_points`` points,
    from ``starts_on`` through ``ends_on`` (None: no end), at ``stores`` (empty: every store)."""

    plan_id: str
    name: str
    pay_fen: int
    bonus_fen: int
    gift_points: int
    starts_on: date
    ends_on: date | None
    stores: tuple[str, ...]

    def on_sale(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    def refusal(self, amount: int, store_id: str, day: date) -> str | None:
        """Why a top-up of ``amount`` at ``store_id`` on ``day`` cannot take this plan, or None if it can."""
        if amount != self.pay_fen:
            return f"plan {self.plan_id!r} is a top-up of {self.pay_fen} fen, not {amount}"
        if not self.on_sale(day):
            return f"plan {self.plan_id!r} is not on sale on {day}"
        if self.stores and store_id not in self.stores:
            return f"plan {self.plan_id!r} is not sold at store {store_id!r}"
        return None


# --- the statement ---------------------------------------------------------------------------------------------

ONLINE_STORE = "membership"  # where the statement books wallet payments no store took (paid cards on the member pages)
MALL_SCOPE = "mall"  # where it books wallet payments for points-mall orders no store collects
ERASURE_SCOPE = "erasure"  # where it books the bonus forfeited when its member was erased
GIFT_CARD_SCOPE = "gift-cards"  # where it books gift cards members bound (their money was taken when the card sold)
GIFT_CARD_METHOD = "gift-card"  # a top-up's payment method when it is a gift card bound: no money was paid in then
SCOPES_OF_NO_STORE = (ONLINE_STORE, MALL_SCOPE, ERASURE_SCOPE, GIFT_CARD_SCOPE)  # store ids no store may take
STATEMENT_SHARDS = 8  # the chain's figures are spread over this many partitions, so none is a hot key
MOVEMENTS = ("top_ups", "payments", "refunds", "cash_refunds", "forfeited")


@dataclass(frozen=True)
class Movements:
    """What moved one book's float over a period (fen, each positive)."""

    top_ups: int = 0
    payments: int = 0
    refunds: int = 0
    cash_refunds: int = 0
    forfeited: int = 0  # bonus that left with no money paid: its member was erased

    @property
    def net(self) -> int:
        """The change of the float: top-ups − payments + refunds − cash refunds − forfeited."""
        return self.top_ups - self.payments + self.refunds - self.cash_refunds - self.forfeited

    def __add__(self, other: Movements) -> Movements:
        return Movements(*(getattr(self, name) + getattr(other, name) for name in MOVEMENTS))


MOVEMENT_OF_EVENT = {
    "wallet.topped-up": "top_ups",
    "wallet.paid": "payments",
    "wallet.refunded": "refunds",
    "wallet.cash-refunded": "cash_refunds",
    "wallet.forfeited": "forfeited",
}


def movements_of(event_type: str, parts: Parts) -> tuple[Movements, Movements]:
    """The movements of the principal and of the bonus a wallet event records."""
    name = MOVEMENT_OF_EVENT[event_type]
    return Movements(**{name: parts.principal}), Movements(**{name: parts.bonus})


@dataclass(frozen=True)
class BookStatement:
    opening: int
    movements: Movements
    closing: int


def book_statement(day: Movements, after: Movements, total: Movements) -> BookStatement:
    """One book's statement of a day from the movements of that day, of everything booked after it, and of all
    time: the closing balance is all time's net less what came after, the opening is the closing less the day's.
    Exact whatever order the movements were counted in."""
    closing = total.net - after.net
    return BookStatement(closing - day.net, day, closing)


def statement_shard(key: str) -> int:
    """The partition of the chain's figures a movement is counted in (stable per key)."""
    return zlib.crc32(key.encode()) % STATEMENT_SHARDS


@dataclass(frozen=True)
class Policy:
    """The operator's stored-value settings: the spending order, the balance limit per member (0: none) and what
    a cash refund does to the bonus."""

    split: Split = "proportional"
    max_balance_fen: int = 500_000
    bonus_on_cash_refund: BonusOnCashRefund = "prorate"
