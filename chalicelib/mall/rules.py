"""The points mall (积分商城) as pure rules: a reward's selling terms, prices, the per-member limit by period, an
order's states and what moves them, and the three books the mall keeps on the ledger engine. Standard library only.

- ``mall-stock`` (holder ``mall-reward:<reward id>``): the units left to sell, never below zero, with the counters
  stock = stocked − sold that reconciliation checks. It also keeps the reward's selling terms (price, limit, tiers,
  sale window), so an exchange reads them with the stock in the one read of its post, and a staff edit of the terms
  moves the account's revision: an exchange planned on the old terms loses its race and is planned again.
- ``mall-limit`` (holder ``mall-limit:<reward id>:<member id>``): the units a member exchanged: for life (its
  balance, the sum of its entries) and in the current period (a day, an ISO week, a month, a year, or ever), which a
  count beyond the limit cannot pass. A new period starts from zero; giving units back only frees the period they
  were counted in.
- ``mall-order`` (holder ``mall-order:<order id>``): the order itself (兑换订单): what was exchanged, its status,
  its payment, shipment and history. Its balance is the points the order holds (spent and not given back), so the
  points of live orders are a ledger sum like any other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Literal

from chalicelib.ledger.model import Entry, Insufficient, Posting
from chalicelib.shared.phrases import english

STOCK, LIMIT, ORDER = "mall-stock", "mall-limit", "mall-order"

Kind = Literal["coupon", "goods", "service"]
Fulfilment = Literal["shipping", "pickup"]
Period = Literal["day", "week", "month", "year", "ever"]


def reward_holder(reward_id: str) -> str:
    return f"mall-reward:{reward_id}"


def limit_holder(reward_id: str, member_id: str) -> str:
    return f"mall-limit:{reward_id}:{member_id}"


def order_holder(order_id: str) -> str:
    return f"mall-order:{order_id}"


# --- a reward's terms --------------------------------------------------------------------------------------------


class Refusal(StrEnum):
    """Why a reward cannot be exchanged now by this member."""

    STOPPED = "stopped"  # staff stopped selling it (停售)
    NOT_YET = "not-yet"  # its sale has not begun
    ENDED = "ended"  # its sale is over
    TIER = "tier"  # not for the member's tier


@dataclass(frozen=True)
class Terms:
    """What a reward sells for and to whom: ``points`` (and ``cash_fen``, for points + cash 积分+现金) per unit, at most
    ``per_member_limit`` units per member and ``limit_period`` (None: no limit), to the ``tiers`` listed (empty:
    every tier), from ``on_sale_from`` until ``on_sale_until`` (UTC ISO instants, None: open), while ``selling``."""

    name: str
    kind: str
    points: int
    cash_fen: int = 0
    per_member_limit: int | None = None
    limit_period: str = "ever"
    tiers: tuple[str, ...] = ()
    on_sale_from: str | None = None
    on_sale_until: str | None = None
    fulfilment: str | None = None  # goods: shipping or pickup in store
    template_id: str | None = None  # coupon rewards: the coupon template they issue
    selling: bool = True
    tier_points: Mapping[str, int] = field(default_factory=dict)  # 会员价: a tier's own points price, below ``points``

    def refusal(self, now: str, tier: str) -> Refusal | None:
        """Why a member of ``tier`` cannot exchange it at instant ``now`` (UTC ISO), or None when they can."""
        if not self.selling:
            return Refusal.STOPPED
        if self.on_sale_from is not None and now < self.on_sale_from:
            return Refusal.NOT_YET
        if self.on_sale_until is not None and now >= self.on_sale_until:
            return Refusal.ENDED
        if self.tiers and tier not in self.tiers:
            return Refusal.TIER
        return None

    def points_for(self, tier: str | None) -> int:
        """One unit's points for a member of ``tier``: its own price (会员价) when it has one, else ``points``."""
        return min(self.points, self.tier_points.get(tier or "", self.points))

    def price(self, quantity: int, tier: str | None = None) -> tuple[int, int]:
        """The points and fen ``quantity`` units cost a member of ``tier``."""
        return self.points_for(tier) * quantity, self.cash_fen * quantity

    @property
    def fulfilled_in_store(self) -> bool:
        """Whether the member collects it with a pickup code (goods picked up in store, and services)."""
        return self.kind == "service" or (self.kind == "goods" and self.fulfilment == "pickup")

    def to_json(self) -> dict[str, Any]:
        raw = {**dataclasses.asdict(self), "tiers": list(self.tiers), "tier_points": dict(self.tier_points)}
        if not self.tier_points:  # the terms of a reward without 会员价 stay as they were kept before them
            del raw["tier_points"]
        return raw

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Terms:
        return cls(**{**raw, "tiers": tuple(raw.get("tiers") or ()), "tier_points": dict(raw.get("tier_points") or {})})


def period_key(period: str, day: date) -> str:
    """The period of ``period`` a business day falls in: ``2026-12-01`` (day), ``2026-W49`` (ISO week), ``2026-12``
    (month), ``2026`` (year) or ``ever``."""
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{day:%Y-%m}"
    if period == "year":
        return f"{day:%Y}"
    if period == "ever":
        return "ever"
    raise ValueError(f"no period {period!r}")


# --- the stock book -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stock:
    """A reward's units left (``units``), everything ever stocked and the units sold net of returns: units = stocked −
    sold. ``terms`` are its selling terms (None: no such reward)."""

    units: int = 0
    stocked: int = 0
    sold: int = 0
    terms: Terms | None = None


class StockBook:
    """Postings: ``terms`` (0, detail: the terms) sets the terms; ``stock`` adds units (or withdraws unsold ones, never
    below zero); ``sale`` takes units (never below zero: ``Insufficient``); ``return`` gives units back."""

    name: ClassVar[str] = STOCK
    entry_prefix: ClassVar[str] = "ms_"

    def load(self, raw: Any) -> Stock:
        raw = raw or {}
        terms = raw.get("terms")
        return Stock(
            int(raw.get("units", 0)),
            int(raw.get("stocked", 0)),
            int(raw.get("sold", 0)),
            Terms.from_json(terms) if terms else None,
        )

    def dump(self, state: Stock) -> dict[str, Any]:
        terms = state.terms.to_json() if state.terms else None
        return {"units": state.units, "stocked": state.stocked, "sold": state.sold, "terms": terms}

    def apply(self, state: Stock, posting: Posting, today: date) -> tuple[Stock, Any]:
        units = state.units + posting.amount
        if posting.amount < 0 and units < 0:
            raise Insufficient(self.name, state.units, -posting.amount)
        if posting.kind == "terms":
            return replace(state, terms=Terms.from_json(posting.detail)), None
        if posting.kind == "stock":
            return replace(state, units=units, stocked=state.stocked + posting.amount), None
        if posting.kind in ("sale", "return"):
            return replace(state, units=units, sold=state.sold - posting.amount), None
        raise ValueError(f"the stock book has no {posting.kind!r}")

    def undo(self, state: Stock, entry: Entry, today: date) -> tuple[Stock, Any]:
        kind = "return" if entry.kind == "sale" else entry.kind
        return self.apply(state, Posting(entry.holder, self.name, -entry.amount, kind, entry.source, ""), today)

    def balance(self, state: Stock) -> int:
        return state.units

    def problems(self, state: Stock) -> list[str]:
        """Units left = stocked − sold (reconciliation checks)."""
        return [] if state.units == state.stocked - state.sold else ["units differ from stocked - sold"]

    def due(self, state: Stock, today: date) -> Mapping[str, date | None]:
        return {}


# --- the per-member limit book -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quota:
    """Units a member exchanged of one reward: for life, and in ``period`` (its key) so far."""

    used: int = 0
    period: str = ""
    in_period: int = 0

    def counted_in(self, period: str) -> int:
        """Units counted in ``period``: none once a new period has begun."""
        return self.in_period if self.period == period else 0

    def remaining(self, limit: int | None, period: str) -> int | None:
        """Units left to the member in ``period`` under ``limit`` (None: no limit)."""
        return None if limit is None else max(0, limit - self.counted_in(period))


class LimitBook:
    """Postings: ``count`` (+units, detail ``{"period", "limit"}``) refuses to pass the limit in the period
    (``Insufficient``); ``uncount`` (−units, detail ``{"period"}``) gives them back to the period they were counted
    in (nothing to free once that period is over)."""

    name: ClassVar[str] = LIMIT
    entry_prefix: ClassVar[str] = "ml_"

    def load(self, raw: Any) -> Quota:
        raw = raw or {}
        return Quota(int(raw.get("used", 0)), str(raw.get("period", "")), int(raw.get("in_period", 0)))

    def dump(self, state: Quota) -> dict[str, Any]:
        return {"used": state.used, "period": state.period, "in_period": state.in_period}

    def apply(self, state: Quota, posting: Posting, today: date) -> tuple[Quota, Any]:
        detail: Mapping[str, Any] = posting.detail or {}
        period = str(detail["period"])
        if posting.amount > 0:
            counted, limit = state.counted_in(period), detail.get("limit")
            if limit is not None and counted + posting.amount > int(limit):
                raise Insufficient(self.name, max(0, int(limit) - counted), posting.amount)
            return Quota(state.used + posting.amount, period, counted + posting.amount), {"period": period}
        if state.used + posting.amount < 0:
            raise Insufficient(self.name, state.used, -posting.amount)
        freed = max(0, state.in_period + posting.amount) if state.period == period else state.in_period
        return Quota(state.used + posting.amount, state.period, freed), {"period": period}

    def undo(self, state: Quota, entry: Entry, today: date) -> tuple[Quota, Any]:
        kind = "uncount" if entry.amount > 0 else "count"
        detail = {"period": (entry.detail or {}).get("period", state.period)}
        return self.apply(state, Posting(entry.holder, self.name, -entry.amount, kind, entry.source, "", detail), today)

    def balance(self, state: Quota) -> int:
        return state.used

    def due(self, state: Quota, today: date) -> Mapping[str, date | None]:
        return {}


# --- the order ---------------------------------------------------------------------------------------------------


class Status(StrEnum):
    """An order's status: ``awaiting_payment`` (points + cash: holds the points and the stock until paid),
    ``pending`` (to ship, or a coupon to issue), ``ready_for_pickup`` (a pickup code to verify), ``shipped``,
    ``completed``, ``cancelled`` (points and stock given back) and ``refunded`` (after-sale: the same)."""

    AWAITING_PAYMENT = "awaiting_payment"
    PENDING = "pending"
    READY_FOR_PICKUP = "ready_for_pickup"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class Action(StrEnum):
    """What moves an order: ``place`` (the exchange), ``pay`` (the cash part), ``ship``, ``complete`` (received),
    ``verify`` (the pickup code at the counter, 核销), ``issue`` (the coupon), ``cancel`` (staff or the member),
    ``release`` (unpaid in time), ``fail`` (the coupon could not be issued) and ``refund`` (after-sale)."""

    PLACE = "place"
    PAY = "pay"
    SHIP = "ship"
    COMPLETE = "complete"
    VERIFY = "verify"
    ISSUE = "issue"
    CANCEL = "cancel"
    RELEASE = "release"
    FAIL = "fail"
    REFUND = "refund"


LIVE = frozenset({Status.AWAITING_PAYMENT, Status.PENDING, Status.READY_FOR_PICKUP, Status.SHIPPED, Status.COMPLETED})
GIVING_BACK = frozenset({Action.CANCEL, Action.RELEASE, Action.FAIL, Action.REFUND})  # points and stock come back
UNFULFILLED = frozenset({Status.AWAITING_PAYMENT, Status.PENDING, Status.READY_FOR_PICKUP})


class NotAllowed(Exception):
    """An action an order's status (or kind) does not allow."""

    def __init__(self, action: str, status: str, why: str) -> None:
        super().__init__(why)
        self.action, self.status, self.why = action, status, why


@dataclass(frozen=True)
class Order:
    """A redemption order (兑换订单): ``quantity`` units of a reward for ``points`` and ``cash_fen`` in all. ``held`` is
    the points it holds; ``draws`` the lots its spend drew from, as the points entry recorded them (a cancellation
    gives the points back to them, with their expiry dates); ``limit_period`` the period its units were counted in
    (None: no limit). ``history`` is every change of status: ``{"status", "action", "at", "by", "why"}``."""

    order_id: str
    member_id: str
    reward_id: str
    reward_name: str
    kind: str
    quantity: int
    points: int
    cash_fen: int
    placed_at: str
    fulfilment: str | None = None
    status: str = ""
    held: int = 0
    pay_by: str | None = None  # points + cash: unpaid at this instant, it is released
    payment: Mapping[str, Any] | None = None  # {"method": "wallet"|"partner", "partner_id", "payment_id", ...}
    pickup_store_id: str | None = None
    pickup_hash: str | None = None  # the keyed hash of its pickup code (the code itself is never stored)
    address: Mapping[str, Any] | None = None  # {"sealed": ..., "masked": {"name", "phone", "address"}}
    shipment: Mapping[str, Any] | None = None  # {"carrier", "tracking_no", "shipped_at"}
    template_id: str | None = None
    coupon_code: str | None = None
    draws: Sequence[Sequence[Any]] = ()
    limit_period: str | None = None
    cash_refund_due_fen: int = 0  # a paid cash part a cancellation or refund owes back
    refund_at_till: bool = False  # owed back in cash at a store: the wallet it was paid from was closed (erased)
    history: tuple[Mapping[str, Any], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "history": [dict(step) for step in self.history]}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Order:
        """An order as stored; a field this release does not know (written by a later one) is left out."""
        known = {f.name for f in dataclasses.fields(cls)} - {"history"}
        kept = {name: value for name, value in raw.items() if name in known}
        return cls(**kept, history=tuple(raw.get("history") or ()))

    @property
    def live(self) -> bool:
        return self.status in LIVE


def placed_status(kind: str, fulfilment: str | None, cash_fen: int) -> Status:
    """Where an exchange starts: awaiting payment when there is cash to pay, else where fulfilment starts."""
    return Status.AWAITING_PAYMENT if cash_fen > 0 else fulfilment_status(kind, fulfilment)


def fulfilment_status(kind: str, fulfilment: str | None) -> Status:
    """Where a paid (or points-only) order waits: a pickup code for goods picked up in store and for services, else
    pending (goods to ship, a coupon to issue)."""
    return Status.READY_FOR_PICKUP if kind == "service" or fulfilment == "pickup" else Status.PENDING


def next_status(order: Order, action: Action) -> Status:
    """The status ``action`` moves ``order`` to; ``NotAllowed`` says why not.

    Shipped goods go pending → shipped → completed; goods picked up in store and services are completed when their
    pickup code is verified; coupon rewards when the coupon is issued (or cancelled when it cannot be). An order is
    cancelled (and releases its points and stock) before it is fulfilled, except a coupon to issue, which is issued at
    once; an unpaid one is released when its time is up; a shipped or completed goods order may be refunded
    (after-sale)."""
    status, shipped_goods = order.status, order.kind == "goods" and order.fulfilment == "shipping"
    in_store = order.kind == "service" or (order.kind == "goods" and order.fulfilment == "pickup")

    def refuse(why: str) -> NotAllowed:
        return NotAllowed(action, status, why)

    if action is Action.PLACE:
        if status:
            raise refuse("the order exists")
        return placed_status(order.kind, order.fulfilment, order.cash_fen)
    if action is Action.PAY:
        if status != Status.AWAITING_PAYMENT:
            raise refuse(f"the order is {status}, not awaiting payment")
        return fulfilment_status(order.kind, order.fulfilment)
    if action is Action.SHIP:
        if not shipped_goods:
            raise refuse("only goods to ship are shipped")
        if status != Status.PENDING:
            raise refuse(f"the order is {status}: only a pending order is shipped")
        return Status.SHIPPED
    if action is Action.COMPLETE:
        if not shipped_goods or status != Status.SHIPPED:
            raise refuse(f"the order is {status}: only a shipped order is received")
        return Status.COMPLETED
    if action is Action.VERIFY:
        if not in_store or status != Status.READY_FOR_PICKUP:
            raise refuse(f"the order is {status}, not ready for pickup")
        return Status.COMPLETED
    if action is Action.ISSUE or action is Action.FAIL:
        if order.kind != "coupon" or status != Status.PENDING:
            raise refuse(f"the order is a {order.kind} order, {status}: no coupon to issue")
        return Status.COMPLETED if action is Action.ISSUE else Status.CANCELLED
    if action is Action.CANCEL:
        if status not in UNFULFILLED:
            raise refuse(f"the order is {status}: only an order not yet fulfilled is cancelled")
        if order.kind == "coupon" and status != Status.AWAITING_PAYMENT:
            raise refuse("a coupon reward is issued at once: the coupon is the member's now")
        return Status.CANCELLED
    if action is Action.RELEASE:
        if status != Status.AWAITING_PAYMENT:
            raise refuse(f"the order is {status}, not awaiting payment")
        return Status.CANCELLED
    if action is Action.REFUND:
        refundable = (Status.SHIPPED, Status.COMPLETED) if shipped_goods else (Status.COMPLETED,)
        if order.kind != "goods" or status not in refundable:
            raise refuse(f"only shipped or completed goods are refunded after sale; the order is {status}")
        return Status.REFUNDED
    raise refuse(f"no action {action!r}")


class OrderBook:
    """An order's book. Every posting's detail names its ``action``, when (``at``), by whom (``by``) and the fields it
    changes (``changes``; the whole order for ``place``); its amount is the change of points held (``place`` +points,
    the actions giving back −all held, the others 0). The state machine (``next_status``) is enforced here, on the
    state read, so two racing actions cannot both move an order."""

    name: ClassVar[str] = ORDER
    entry_prefix: ClassVar[str] = "mh_"  # points held (order ids are ``mo_…``)

    def load(self, raw: Any) -> Order | None:
        return Order.from_json(raw) if raw else None

    def dump(self, state: Order | None) -> dict[str, Any] | None:
        return state.to_json() if state else None

    def apply(self, state: Order | None, posting: Posting, today: date) -> tuple[Order, Any]:
        detail: Mapping[str, Any] = posting.detail
        action = Action(detail["action"])
        order = Order.from_json(detail["changes"]) if action is Action.PLACE and state is None else state
        if order is None:
            raise NotAllowed(action, "", "no such order")
        to = next_status(replace(order, status="") if state is None else order, action)
        held = (state.held if state else 0) + posting.amount
        if held != (order.points if to in LIVE else 0):
            raise ValueError(f"an order holding {held} points after {action}, not what {to} holds")
        changes = {} if action is Action.PLACE else dict(detail.get("changes") or {})
        why, why_en = posting.reason, english(posting.reason)
        step = {"status": str(to), "action": str(action), "at": detail["at"], "by": detail["by"], "why": why,
                **({"why_en": why_en} if why_en else {})}  # fmt: skip
        moved = replace(order, **changes, status=str(to), held=held, history=(*order.history, step))
        return moved, {"action": str(action), "status": str(to)}

    def undo(self, state: Order | None, entry: Entry, today: date) -> tuple[Order, Any]:
        raise ValueError("an order is moved by its actions (cancel, refund), never undone")

    def balance(self, state: Order | None) -> int:
        return state.held if state else 0

    def due(self, state: Order | None, today: date) -> Mapping[str, date | None]:
        return {}


BOOKS: dict[str, Any] = {STOCK: StockBook(), LIMIT: LimitBook(), ORDER: OrderBook()}


@dataclass(frozen=True)
class Delivery:
    """Where an order goes: a store collecting it, or an address (``{"sealed", "masked"}``) to ship to."""

    pickup_store_id: str | None = None
    address: Mapping[str, Any] | None = None

    def problems(self, terms: Terms, quantity: int) -> list[dict[str, str]]:
        """What the request gets wrong for this reward (each a 422 field error)."""
        found = []

        def wrong(name: str, message: str) -> None:
            found.append({"field": name, "in": "body", "message": message})

        shipped = terms.kind == "goods" and terms.fulfilment == "shipping"
        if shipped and self.address is None:
            wrong("address", "goods shipped to the member need an address")
        if not shipped and self.address is not None:
            wrong("address", f"a {terms.kind} reward {'picked up in store ' if terms.fulfilment else ''}is not shipped")
        if terms.kind == "goods" and terms.fulfilment == "pickup" and self.pickup_store_id is None:
            wrong("pickup_store_id", "goods picked up in store need the store")
        if (shipped or terms.kind == "coupon") and self.pickup_store_id is not None:
            wrong("pickup_store_id", f"a {'coupon' if terms.kind == 'coupon' else 'shipped'} reward is not collected")
        if terms.kind == "coupon" and quantity != 1:
            wrong("quantity", "a coupon reward is exchanged one at a time (each order issues one coupon)")
        return found


# --- what members see -------------------------------------------------------------------------------------------

PICKUP_CODE_DIGITS = 16


def pickup_code(digest: str) -> str:
    """The pickup code (核销码) of an order from a keyed hash of its id (hex): 16 digits, which nobody can work out
    without the key, so the code is never stored, only its own hash (to find the order by)."""
    return str(int(digest, 16) % 10**PICKUP_CODE_DIGITS).zfill(PICKUP_CODE_DIGITS)


def normal_code(typed: str) -> str:
    """A pickup code as a cashier may type it (spaces or dashes between groups): digits only."""
    return "".join(ch for ch in typed if ch not in " -")


def mask_name(name: str) -> str:
    """A recipient's name for those who may not read it: the first character, the rest starred (张**)."""
    return name[:1] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str) -> str:
    """A phone for those who may not read it: 138****1234."""
    national = phone.removeprefix("+86")
    return national[:3] + "*" * max(1, len(national) - 7) + national[-4:] if len(national) > 7 else "*" * len(national)


def mask_address(text: str) -> str:
    """An address for those who may not read it: its first six characters (the province and city), then stars."""
    return text[:6] + "****"


def affordable(price_points: int, available: int) -> bool:
    """Whether a member with ``available`` points can pay a unit's points price."""
    return price_points <= available
