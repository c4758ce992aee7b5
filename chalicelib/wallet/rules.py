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
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Literal

from chalicelib.ledger.model import CounterBook, Entry, Insufficient, Posting

PRINCIPAL = "wallet-principal"
BONUS = "wallet-bonus"
REFUNDABLE = "wallet-refundable"
GIFTS = "wallet-gift-points"
BOOK_NAMES = {PRINCIPAL: "principal", BONUS: "bonus"}  # the ledger's book -> the API's name for it

Split = Literal["proportional", "principal-first", "bonus-first"]
BonusOnCashRefund = Literal["prorate", "forfeit"]


class WalletBook(CounterBook):
    """A wallet book: a balance that never goes below zero; its entries are ``we_…``."""

    entry_prefix: ClassVar[str] = "we_"


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


MICRO = 1_000_000  # gift points ride in millionths of a point, so proportional shares lose nothing that adds up
NEVER = ""  # the key of gift points whose lot never expires


@dataclass(frozen=True)
class Riding:
    """Top-up plans' gift points (充值送积分) riding on principal, in millionths of a point, by the last day of the
    points lot they were credited to (``NEVER``: no expiry), so that the points that lot loses to expiry stop riding.
    A gift is earned as the principal it came with is spent; what still rides goes back with principal paid out in
    cash."""

    shares: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, raw: Mapping[str, Any] | None) -> Riding:
        return cls({str(key): int(micro) for key, micro in (raw or {}).items() if int(micro)})

    def to_json(self) -> dict[str, int]:
        return dict(sorted(self.shares.items()))

    @property
    def micro(self) -> int:
        return sum(self.shares.values())

    def current(self, today: date) -> Riding:
        """Without the shares of lots past their last day (what a refund puts back to ride: whether those points
        were spent or expired is no longer known, and the member has the benefit of the doubt)."""
        return Riding({key: micro for key, micro in self.shares.items() if key == NEVER or key >= today.isoformat()})

    def plus(self, other: Riding) -> Riding:
        keys = dict.fromkeys([*self.shares, *other.shares])
        return Riding.of({key: self.shares.get(key, 0) + other.shares.get(key, 0) for key in keys})

    def minus(self, other: Riding) -> Riding:
        left = {key: micro - other.shares.get(key, 0) for key, micro in self.shares.items()}
        if any(micro < 0 for micro in left.values()) or set(other.shares) - set(self.shares):
            raise ValueError(f"taking {other} from {self}")
        return Riding.of(left)

    def share(self, part: int, whole: int, *, round_up: bool = False) -> Riding:
        """``part`` of ``whole`` of each share (all of it when ``part`` is ``whole``), rounded down or up."""
        if not 0 <= part <= whole:
            raise ValueError(f"a share of {part} in {whole}")
        if part == whole:
            return self
        if round_up:
            return Riding.of({key: -(-micro * part // whole) for key, micro in self.shares.items()})
        return Riding.of({key: micro * part // whole for key, micro in self.shares.items()})


@dataclass(frozen=True)
class GiftState:
    """A member's gift points riding on their principal, and ``owed``: the millionths of a point cash refunds have
    taken off the riding but not yet back (under a point), taken with the next cash refund that makes a whole one."""

    riding: Riding = Riding()
    owed: int = 0

    @classmethod
    def of(cls, raw: Mapping[str, Any] | None) -> GiftState:
        raw = raw or {}
        return cls(Riding.of(raw.get("riding")), int(raw.get("owed", 0)))

    def to_json(self) -> dict[str, Any]:
        return {"riding": self.riding.to_json(), "owed": self.owed}


@dataclass(frozen=True)
class Refundable:
    """What a wallet payment may still have refunded, and where refunds go: the member it was paid by, the store
    it was paid at, when (UTC ISO 8601); and the gift points its principal carried off (``gift``), which a refund
    of that principal puts back to ride."""

    left: Parts = Parts()
    member_id: str = ""
    store_id: str = ""
    paid_at: str = ""
    gift: Riding = Riding()


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
        return Refundable(left, raw.get("member_id", ""), raw.get("store_id", ""), raw.get("paid_at", ""),
                          Riding.of(raw.get("gift")))  # fmt: skip

    def dump(self, state: Refundable) -> dict[str, Any]:
        return {
            "principal": state.left.principal,
            "bonus": state.left.bonus,
            "member_id": state.member_id,
            "store_id": state.store_id,
            "paid_at": state.paid_at,
            **({"gift": state.gift.to_json()} if state.gift.shares else {}),
        }

    def apply(self, state: Refundable, posting: Posting, today: date) -> tuple[Refundable, Any]:
        detail: Mapping[str, Any] = posting.detail or {}
        change = Parts(int(detail.get("principal", 0)), int(detail.get("bonus", 0)))
        if change.total != posting.amount:
            raise ValueError(f"a {self.name} posting's parts add up to {change.total}, not {posting.amount}")
        left = Parts(state.left.principal + change.principal, state.left.bonus + change.bonus)
        if left.principal < 0 or left.bonus < 0:
            raise Insufficient(self.name, state.left.total, -posting.amount)
        gift = Riding.of(detail.get("gift"))  # signed: carried off by the payment, put back by a refund
        added, taken = (Riding.of({k: m for k, m in gift.shares.items() if m > 0}),
                        Riding.of({k: -m for k, m in gift.shares.items() if m < 0}))  # fmt: skip
        after = Refundable(
            left,
            detail.get("member_id", state.member_id),
            detail.get("store_id", state.store_id),
            detail.get("paid_at", state.paid_at),
            state.gift.plus(added).minus(taken),
        )
        recorded = {"principal": change.principal, "bonus": change.bonus}
        return after, {**recorded, "gift": gift.to_json()} if gift.shares else recorded

    def undo(self, state: Refundable, entry: Entry, today: date) -> tuple[Refundable, Any]:
        detail = entry.detail or {}
        back = {"principal": -int(detail.get("principal", 0)), "bonus": -int(detail.get("bonus", 0)),
                "gift": {key: -int(micro) for key, micro in (detail.get("gift") or {}).items()}}  # fmt: skip
        return self.apply(
            state, Posting(entry.holder, self.name, -entry.amount, "reverse", entry.source, "", back), today
        )

    def balance(self, state: Refundable) -> int:
        return state.left.total

    def due(self, state: Refundable, today: date) -> Mapping[str, date | None]:
        return {}


@dataclass(frozen=True)
class GiftRidingBook:
    """The member's ``GiftState``: a state without entries (every posting is of 0, its ``detail`` the new state).
    The gift points themselves are the points book's entries; this remembers what a cash refund would take back."""

    name: str = GIFTS

    def load(self, raw: Any) -> GiftState:
        return GiftState.of(raw)

    def dump(self, state: GiftState) -> dict[str, Any]:
        return state.to_json()

    def apply(self, state: GiftState, posting: Posting, today: date) -> tuple[GiftState, Any]:
        if posting.amount:
            raise ValueError(f"the {self.name} book keeps a state, not entries: a posting of {posting.amount}")
        after = GiftState.of(posting.detail)
        if after.owed < 0 or any(micro < 0 for micro in after.riding.shares.values()):
            raise ValueError(f"gift points riding cannot be negative: {after}")
        return after, None

    def undo(self, state: GiftState, entry: Entry, today: date) -> tuple[GiftState, Any]:
        raise ValueError(f"the {self.name} book has no entries to undo")

    def balance(self, state: GiftState) -> int:
        return 0  # no entries: reconciliation finds the sum of none

    def due(self, state: GiftState, today: date) -> Mapping[str, date | None]:
        return {}


BOOKS: dict[str, Any] = {PRINCIPAL: WalletBook(PRINCIPAL), BONUS: WalletBook(BONUS), REFUNDABLE: RefundableBook(),
                         GIFTS: GiftRidingBook()}  # fmt: skip


# --- gift points riding on the principal -------------------------------------------------------------------------
# Every movement of principal moves them in proportion, so what rides is the gift's share of the principal still
# held, whatever the order of top-ups, payments, refunds and cash refunds. Shares are kept in millionths and every
# rounding leaves the riding share high rather than low, so no run of small movements wears a gift away; a cash
# refund takes back whole points only, carrying the fraction over (``owed``) to the next, so none is lost either.


def ride_on_top_up(state: GiftState, expires_on: date | None, gift_points: int) -> GiftState:
    """A plan's gift points, credited to a lot lasting through ``expires_on``, start riding on the principal."""
    key = expires_on.isoformat() if expires_on else NEVER
    return GiftState(state.riding.plus(Riding.of({key: gift_points * MICRO})), state.owed)


def ride_on_payment(state: GiftState, principal_taken: int, principal_before: int) -> tuple[GiftState, Riding]:
    """A payment taking ``principal_taken`` of ``principal_before`` carries off that share of the gift points
    (earned: a cash refund no longer takes them back); returns the state and what the payment carried (kept with
    it, for a refund to put back)."""
    if not principal_taken or not state.riding.shares:
        return state, Riding()
    carried = state.riding.share(principal_taken, principal_before)
    return GiftState(state.riding.minus(carried), state.owed), carried


def ride_on_refund(state: GiftState, today: date, carried: Riding, principal_back: int, principal_left: int
                   ) -> tuple[GiftState, Riding]:  # fmt: skip
    """A refund giving ``principal_back`` of the ``principal_left`` of a payment back to the wallet puts that share of
    what the payment carried off back to ride (rounded up; all of it with the last of its principal), but for the
    shares of lots past their last day; returns the state and what the payment gave back."""
    if not principal_back or not carried.shares:
        return state, Riding()
    back = carried.share(principal_back, principal_left, round_up=True)
    return GiftState(state.riding.plus(back.current(today)), state.owed), back


def ride_on_cash_refund(state: GiftState, withdrawn: int, principal_before: int) -> tuple[GiftState, int]:
    """A cash refund of ``withdrawn`` of ``principal_before`` takes that share off what rides and back the whole
    points of what is owed with it; returns the state and the points taken back. Paying out all the principal
    leaves nothing riding or owed (the fraction of a point is the member's)."""
    if not 0 < withdrawn <= principal_before:
        raise ValueError(f"a cash refund of {withdrawn} from a principal of {principal_before}")
    share = state.riding.share(withdrawn, principal_before)
    owed = state.owed + share.micro
    if withdrawn == principal_before:
        return GiftState(), owed // MICRO
    return GiftState(state.riding.minus(share), owed % MICRO), owed // MICRO


def ride_on_expiry(state: GiftState, expired: Mapping[str, int]) -> GiftState:
    """Points a lot lost to expiry (``expired``: the lot's last day -> points) no longer ride: a cash refund does
    not take back points the member never had. They count as the gift's first (the member's way); what the member
    spent of the gift before it expired still rides."""
    left = {key: max(0, micro - expired.get(key, 0) * MICRO) if key != NEVER else micro
            for key, micro in state.riding.shares.items()}  # fmt: skip
    return GiftState(Riding.of(left), state.owed)


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


def split_refund(amount: int, left: Parts) -> Parts:
    """What a refund of ``amount`` (at most what the payment has left) gives back: principal and bonus in the
    proportion the payment has left of each, principal rounded up; refunding all that is left gives back exactly
    what is left of each."""
    if not 0 < amount <= left.total:
        raise ValueError(f"a refund of {amount} from a payment with {left.total} left")
    principal = -(-amount * left.principal // left.total)
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
STATEMENT_SHARDS = 8  # the chain's figures are spread over this many partitions, so none is a hot key
MOVEMENTS = ("top_ups", "payments", "refunds", "cash_refunds")


@dataclass(frozen=True)
class Movements:
    """What moved one book's float over a period (fen, each positive)."""

    top_ups: int = 0
    payments: int = 0
    refunds: int = 0
    cash_refunds: int = 0

    @property
    def net(self) -> int:
        """The change of the float: top-ups − payments + refunds − cash refunds."""
        return self.top_ups - self.payments + self.refunds - self.cash_refunds

    def __add__(self, other: Movements) -> Movements:
        return Movements(*(getattr(self, name) + getattr(other, name) for name in MOVEMENTS))


MOVEMENT_OF_EVENT = {
    "wallet.topped-up": "top_ups",
    "wallet.paid": "payments",
    "wallet.refunded": "refunds",
    "wallet.cash-refunded": "cash_refunds",
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
