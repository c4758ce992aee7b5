"""Coupon (优惠券) rules, pure: a template's terms, when a coupon is valid, whether it fits an order (and why not),
what it takes off, its rules in words, codes, and the books that keep coupons, stock and limits exact.

Every coupon is a holder of its own on the ledger engine (``coupon:<code>``) with one book, ``coupon``, whose
state is the coupon and whose balance is 1 while it can be used (available or reserved) and 0 once used,
expired or voided. Every change is an entry: issue +1, redeem -1, a reversed redemption +1, expiry -1, voiding
-1; a reservation and its release change the state alone and are kept as entries of 0, so a coupon's history
explains every state it was in. A coupon given to a friend (转赠) ends ``transferred`` (-1) in the transaction that
issues the friend a coupon of its own (+1, a new code: the giver has seen the first), so a template's usable coupons
are unchanged by it. Hence, per template: issued + transfers = available + reserved + used + expired + voided +
transferred.

A template's stock is spread over shards (holders ``coupon-stock:<template>:<n>``, each a plain balance that
never goes below zero) so a flash sale's claims do not all write one item; a member's coupons of a template are
counted by ``coupon-taken`` (holder ``coupon-taken:<template>:<member>``), which refuses one beyond the limit;
the coupons redeemed on one order are the ``coupon-order`` book of ``coupon-order:<order>``, which
refuses a coupon that does not stack with those already on it.
"""

from __future__ import annotations

import math
import secrets
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar, Literal

from chalicelib.ledger.model import CounterBook, Entry, Insufficient, Posting, Source
from chalicelib.shared.money import in_proportion

COUPON, STOCK, TAKEN, ORDER = "coupon", "coupon-stock", "coupon-taken", "coupon-order"
Kind = Literal["amount_off", "percent_off", "threshold", "exchange", "free_shipping"]
Status = Literal["available", "reserved", "used", "expired", "voided", "transferred"]
STATUSES: tuple[Status, ...] = ("available", "reserved", "used", "expired", "voided", "transferred")
DEFAULT_CHARSET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed at a till
MIN_CODE_BITS = 40  # a code of fewer bits of chance could be guessed by trying
MAX_CODES = 100_000  # bearer codes one batch makes
MAX_SHARDS = 16
UNITS_PER_SHARD = 50  # a template's stock gets a shard per this many coupons, up to MAX_SHARDS
WEEKDAYS_ZH = "一二三四五六日"


def coupon_holder(code: str) -> str:
    return f"coupon:{code}"


def stock_holder(template_id: str, shard: int) -> str:
    return f"coupon-stock:{template_id}:{shard}"


def taken_holder(template_id: str, member_id: str) -> str:
    return f"coupon-taken:{template_id}:{member_id}"


def order_holder(order_id: str) -> str:
    """An order's coupons, by the order id alone (whichever store or channel redeems on it): order ids are the
    chain's own and must be unique across its tills and shops (prefix them per system)."""
    return f"coupon-order:{order_id}"


def shards_for(stock: int) -> int:
    """How many shards a stock is spread over: one per ``UNITS_PER_SHARD``, 1 to ``MAX_SHARDS``."""
    return max(1, min(MAX_SHARDS, stock // UNITS_PER_SHARD))


def spread(amount: int, shards: int) -> list[int]:
    """``amount`` split over ``shards`` as evenly as whole coupons allow."""
    return [amount // shards + (1 if n < amount % shards else 0) for n in range(shards)]


def pick_shard(balances: Sequence[int], seed: str) -> int | None:
    """A shard with stock left, chosen by ``seed`` (a claim's own id) so concurrent claims spread over the
    shards; None when every shard is empty."""
    left = [n for n, balance in enumerate(balances) if balance > 0]
    return left[zlib.crc32(seed.encode()) % len(left)] if left else None


# --- a template's terms ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeFormat:
    """How a template's codes look: ``prefix`` then ``length`` characters drawn from ``charset``."""

    length: int = 12
    charset: str = DEFAULT_CHARSET
    prefix: str = ""

    @property
    def bits(self) -> float:
        return self.length * math.log2(len(set(self.charset)))

    def new_code(self) -> str:
        """A fresh code, unguessable (drawn with ``secrets``); uniqueness is the store's condition on it."""
        return self.prefix + "".join(secrets.choice(self.charset) for _ in range(self.length))


@dataclass(frozen=True)
class Validity:
    """When a coupon can be used: fixed dates (``starts_on`` through ``ends_on``) or ``days_after_issue`` days
    from the day it is issued (that day counts as the first); optionally only on some ``weekdays`` (1 = Monday)
    and between ``hours`` (local times, start included, end excluded)."""

    days_after_issue: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    weekdays: tuple[int, ...] = ()
    hours: tuple[time, time] | None = None

    def window(self, issued_on: date) -> tuple[date, date]:
        """The first and last day a coupon issued on ``issued_on`` is valid."""
        if self.days_after_issue is not None:
            return issued_on, issued_on + timedelta(days=self.days_after_issue - 1)
        assert self.starts_on is not None
        assert self.ends_on is not None
        return max(self.starts_on, issued_on), self.ends_on

    def issuable_on(self, day: date) -> bool:
        """A fixed-date template stops issuing once its last day has passed (nothing issued could be used)."""
        return self.ends_on is None or day <= self.ends_on


@dataclass(frozen=True)
class Scope:
    """Where and on what a coupon applies; an empty list means no restriction."""

    stores: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    excluded_categories: tuple[str, ...] = ()
    excluded_brands: tuple[str, ...] = ()
    excluded_skus: tuple[str, ...] = ()

    @property
    def narrows_items(self) -> bool:
        """Whether the coupon looks at the order's lines: an order without lines then has nothing it applies to
        (a till that sends only a total cannot show that no 礼品卡 is on it)."""
        return bool(
            self.categories or self.brands or self.skus
            or self.excluded_categories or self.excluded_brands or self.excluded_skus
        )  # fmt: skip

    def covers(self, item: Item) -> bool:
        """An item is covered when it matches every restriction given (its SKU, its category, its brand) and no
        exclusion."""
        return (
            (not self.skus or item.sku in self.skus)
            and (not self.categories or item.category in self.categories)
            and (not self.brands or item.brand in self.brands)
            and item.sku not in self.excluded_skus
            and item.category not in self.excluded_categories
            and item.brand not in self.excluded_brands
        )


@dataclass(frozen=True)
class Terms:
    """What a template's coupons are worth and when they apply.

    - ``amount_off``: ``amount_off_fen`` off what the coupon applies to (never more than that).
    - ``percent_off``: ``percent_off`` % off what it applies to, rounded down to the fen, at most ``cap_fen``.
    - ``threshold`` (满减): ``amount_off_fen`` off once what it applies to reaches ``threshold_fen``.
    - ``exchange`` (兑换券): one unit of ``exchange_sku`` (``exchange_name`` as members read it) free, when the order
      holds it.
    - ``free_shipping``: the order's shipping fee.
    ``min_spend_fen`` (any kind) is what the covered items must add up to first."""

    kind: Kind
    amount_off_fen: int = 0
    percent_off: int = 0
    cap_fen: int | None = None
    threshold_fen: int = 0
    exchange_sku: str | None = None
    exchange_name: str | None = None
    min_spend_fen: int = 0
    stacks: bool = False
    validity: Validity = field(default_factory=lambda: Validity(days_after_issue=30))
    scope: Scope = field(default_factory=Scope)
    face_value_fen: int | None = None  # what one coupon is owed as, for the liability (default: by kind)

    @property
    def least_spend_fen(self) -> int:
        return max(self.min_spend_fen, self.threshold_fen if self.kind == "threshold" else 0)

    @property
    def face_value(self) -> int:
        """What one usable coupon stands for in the liability (面值): the amount off, or a percent coupon's cap;
        an exchange or free-shipping coupon counts what the template says (0 when it says nothing)."""
        if self.face_value_fen is not None:
            return self.face_value_fen
        if self.kind in ("amount_off", "threshold"):
            return self.amount_off_fen
        if self.kind == "percent_off":
            return self.cap_fen or 0
        return 0


# --- orders and eligibility ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """An order line: its amount is the line's (all its units)."""

    sku: str | None
    amount_fen: int
    quantity: int = 1
    category: str | None = None
    brand: str | None = None

    @property
    def unit_fen(self) -> int:
        return self.amount_fen // max(self.quantity, 1)


@dataclass(frozen=True)
class Order:
    """An order as a till or the e-shop describes it. Without items, the whole ``total_fen`` is what a coupon
    that covers every item applies to."""

    store_id: str
    total_fen: int
    items: tuple[Item, ...] = ()
    shipping_fen: int = 0


@dataclass(frozen=True)
class Fit:
    """Whether a coupon fits an order: its discount, or the reason it does not (a stable code)."""

    discount_fen: int = 0
    reason: str | None = None

    @property
    def usable(self) -> bool:
        return self.reason is None


REASONS = {  # the stable codes an unusable coupon answers, and what they mean (zh-CN, en)
    "used": ("已使用", "already used"),
    "expired": ("已过期", "expired"),
    "voided": ("已作废", "voided by the business"),
    "transferred": ("已转赠", "given to a friend"),
    "claimed": ("已被会员用兑换码领取", "claimed by a member with its code: theirs now, under a code of their own"),
    "offered": ("转赠中，好友领取前不可使用", "offered to a friend: not usable until the offer is withdrawn"),
    "reserved": ("已被其他订单锁定", "reserved for another order"),
    "not-yet-valid": ("未到可用日期", "not valid yet"),
    "not-on-this-day": ("今天不可用", "not valid on this day of the week"),
    "not-at-this-hour": ("当前时段不可用", "not valid at this hour"),
    "store-not-applicable": ("本店不可用", "not valid at this store"),
    "tier-not-applicable": ("会员等级不符", "not for the member's tier"),
    "no-applicable-items": ("订单中没有适用商品", "no item of the order qualifies"),
    "items-needed": ("限部分商品，需按商品明细计算", "it counts some items only: give the order's lines"),
    "below-minimum-spend": ("未达到使用门槛", "the qualifying items do not reach the minimum spend"),
    "item-not-in-order": ("订单中没有可兑换商品", "the order does not hold the item to exchange"),
    "no-shipping-fee": ("订单无运费", "the order has no shipping fee"),
    "not-stackable": ("不可与其他券叠加", "does not stack with the other coupons"),
    "exceeds-order": (
        "优惠将超过订单金额",
        "with the coupons already on the order it would take off more than it costs",
    ),
    "member-frozen": ("会员已冻结", "the membership is frozen"),
}


def _covered_lines(terms: Terms, items: Sequence[Item]) -> list[bool]:
    """The lines a coupon takes its discount off: an exchange coupon's item (the first line of it), a free-shipping
    coupon's none, any other's the lines it covers (all of them when it names no items, or when none of the lines
    given is covered: it was judged on a total)."""
    if terms.kind == "free_shipping":
        return [False] * len(items)
    if terms.kind == "exchange":
        taken = next((n for n, item in enumerate(items) if item.sku == terms.exchange_sku), None)
        return [n == taken for n in range(len(items))] if taken is not None else [True] * len(items)
    lines = [terms.scope.covers(item) for item in items] if terms.scope.narrows_items else [True] * len(items)
    return lines if any(lines) else [True] * len(items)


def discounts_by_line(used: Sequence[tuple[Terms, int]], items: Sequence[Item]) -> list[int]:
    """What the coupons used on an order (each its terms and the discount it took) took off each of ``items``: one
    after another on what is left of each line, exchange coupons first (their item is free whatever else applies),
    each over the lines it covers in proportion to what is left of them, never more than is left of a line; a
    discount its lines cannot hold stays off the books of the others (the order's paid amount then spreads it)."""
    left = [item.amount_fen for item in items]
    taken = [0] * len(items)
    for terms, off in sorted(used, key=lambda coupon: coupon[0].kind != "exchange"):
        lines = _covered_lines(terms, items)
        while off > 0:
            room = [left[n] if lines[n] else 0 for n in range(len(items))]
            if not any(room):
                break
            shares = [min(share, room[n]) for n, share in enumerate(in_proportion(off, room))]
            for n, share in enumerate(shares):
                left[n] -= share
                taken[n] += share
            off -= sum(shares)
    return taken


def scope_key(scope: Scope) -> str:
    """The items a coupon covers as a stable key (empty: every item), for coupons on one order that cover the same."""
    lists = (scope.categories, scope.brands, scope.skus, scope.excluded_categories, scope.excluded_brands,
             scope.excluded_skus)  # fmt: skip
    return "|".join(",".join(sorted(codes)) for codes in lists) if scope.narrows_items else ""


def covered_fen(scope: Scope, order: Order) -> int:
    """What the coupon applies to: the covered items' total, or the whole order when it names no items (or has
    no item list)."""
    if not scope.narrows_items:
        return order.total_fen
    return sum(item.amount_fen for item in order.items if scope.covers(item))


def discount(terms: Terms, order: Order) -> Fit:
    """What the coupon takes off ``order``, never more than the order (or the covered items) is worth."""
    base = covered_fen(terms.scope, order)
    if terms.kind in ("free_shipping", "exchange") and base < terms.least_spend_fen:
        return Fit(reason="below-minimum-spend")
    if terms.kind == "free_shipping":
        return Fit(order.shipping_fen) if order.shipping_fen > 0 else Fit(reason="no-shipping-fee")
    if terms.kind == "exchange":
        units = [item for item in order.items if item.sku == terms.exchange_sku and item.quantity > 0]
        return Fit(min(item.unit_fen for item in units)) if units else Fit(reason="item-not-in-order")
    if terms.scope.narrows_items and not order.items:  # a total alone cannot say what it counts (a new user's
        return Fit(reason="items-needed")  # walkthrough read 订单中没有适用商品 of a till that gave no lines)
    if base <= 0:
        return Fit(reason="no-applicable-items")
    if base < terms.least_spend_fen:
        return Fit(reason="below-minimum-spend")
    if terms.kind == "percent_off":
        off = base * terms.percent_off // 100
        return Fit(min(off, terms.cap_fen) if terms.cap_fen is not None else off)
    return Fit(min(terms.amount_off_fen, base))


# --- a coupon ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reservation:
    order_id: str
    store_id: str
    until: str  # UTC ISO 8601


@dataclass(frozen=True)
class Redemption:
    redemption_id: str
    order_id: str
    store_id: str
    discount_fen: int
    at: str
    order_hash: str = ""  # the order's content as redeemed: the same order again with other content is a conflict
    partner_id: str | None = (
        None  # the partner whose till used it; None: the counter (staff), or used before it was kept
    )


@dataclass(frozen=True)
class Offer:
    """A coupon offered to a friend (转赠): whoever opens the link holding ``token`` (kept as its SHA-256,
    ``token_hash``) before ``until`` (UTC ISO 8601) may take it."""

    token_hash: str
    until: str


GIFT_HOURS = 24  # how long an offer to a friend stays open
OFFERS_PER_COUPON = 10  # links a coupon may be offered with, all told: a friend who missed one gets another, while
# a loop of offers and withdrawals cannot grow a coupon's history and its links' items without end


@dataclass(frozen=True)
class Coupon:
    """A coupon's state as its book keeps it. ``status`` is as last booked; ``status_at`` reads it as of a moment
    (an available coupon whose last day has passed is expired even before the nightly job books it, and a
    reservation that has lapsed leaves the coupon available)."""

    code: str = ""
    template_id: str = ""
    member_id: str | None = None
    status: Status = "available"
    valid_from: str = ""  # business dates, ISO
    valid_until: str = ""
    issued_at: str = ""
    source_kind: str = ""
    source_id: str = ""
    reservation: Reservation | None = None
    redemption: Redemption | None = None
    returned_from: str | None = None  # the order whose use of it was last given back (a repeat answers as it is)
    noticed: bool = False  # its expiry reminder was announced
    offer: Offer | None = None  # offered to a friend (转赠), while ``offer.until`` has not passed
    transferred_to: str | None = None  # the code the friend received for it
    offers: int = 0  # links it was offered with (at most ``OFFERS_PER_COUPON``)

    @property
    def usable_count(self) -> int:
        return 1 if self.status in ("available", "reserved") else 0

    def status_at(self, now: str, today: date) -> Status:
        """The status at the instant ``now`` (UTC ISO 8601, as ``clock.iso`` writes it) of the business day
        ``today``."""
        if (
            self.status in ("available", "reserved")
            and self.valid_until
            and date.fromisoformat(self.valid_until) < today
        ):
            return "expired"
        if self.status == "reserved" and self.held_for(now) is None:
            return "available"
        return self.status

    def offered(self, now: str) -> Offer | None:
        """The offer to a friend still open at ``now`` (UTC ISO 8601): the coupon waits for them, unusable."""
        if self.status == "available" and self.offer is not None and self.offer.until > now:
            return self.offer
        return None

    def held_for(self, now: str) -> Reservation | None:
        """The reservation still holding the coupon at ``now`` (UTC ISO 8601)."""
        if self.status == "reserved" and self.reservation is not None and self.reservation.until > now:
            return self.reservation
        return None


def fits(
    coupon: Coupon,
    terms: Terms,
    order: Order,
    *,
    tier: str | None,
    local: datetime,
    now: str,
    today: date,
    order_id: str | None = None,
) -> Fit:
    """Whether ``coupon`` can be used on ``order`` at ``now`` (``local``: the same instant in the business's time
    zone), and for how much: its state first, then its days and hours, the store, the member's tier, then the
    order's items. A coupon reserved for ``order_id`` at the order's store fits that order."""
    status = coupon.status_at(now, today)
    if status == "reserved":
        held = coupon.held_for(now)
        if held is None or held.order_id != order_id or held.store_id != order.store_id:
            return Fit(reason="reserved")
    elif status == "transferred" and coupon.member_id is None:  # a printed code a member claimed: theirs now
        return Fit(reason="claimed")
    elif status != "available":
        return Fit(reason=status)
    if coupon.offered(now):
        return Fit(reason="offered")
    if coupon.valid_from and today < date.fromisoformat(coupon.valid_from):
        return Fit(reason="not-yet-valid")
    validity = terms.validity
    if validity.weekdays and local.isoweekday() not in validity.weekdays:
        return Fit(reason="not-on-this-day")
    if validity.hours and not (validity.hours[0] <= local.time().replace(tzinfo=None) < validity.hours[1]):
        return Fit(reason="not-at-this-hour")
    if terms.scope.stores and order.store_id not in terms.scope.stores:
        return Fit(reason="store-not-applicable")
    if terms.scope.tiers and tier not in terms.scope.tiers:
        return Fit(reason="tier-not-applicable")
    return discount(terms, order)


def in_words(
    terms: Terms, language: str = "zh-CN", *, stores: Mapping[str, str] | None = None,
    tiers: Mapping[str, str] | None = None, categories: Mapping[str, str] | None = None,
    brands: Mapping[str, str] | None = None,
) -> str:  # fmt: skip
    """A template's rules as a member reads them, e.g. ``满200减30 · 限周六、周日 · 限门店 静安店``: stores, tiers,
    categories and brands by the names given (else their codes; a paid card's category by its own name)."""
    zh = language.startswith("zh")
    named_categories = {**CARD_CATEGORY_NAMES[zh], **(categories or {})}
    yuan = _yuan
    if terms.kind == "amount_off":
        head = f"立减{yuan(terms.amount_off_fen)}元" if zh else f"¥{yuan(terms.amount_off_fen)} off"
    elif terms.kind == "percent_off":
        head = f"{_zhe(terms.percent_off)}折" if zh else f"{terms.percent_off}% off"
        if terms.cap_fen is not None:
            head += f"，最多减{yuan(terms.cap_fen)}元" if zh else f", at most ¥{yuan(terms.cap_fen)}"
    elif terms.kind == "threshold":
        head = (
            f"满{yuan(terms.threshold_fen)}减{yuan(terms.amount_off_fen)}"
            if zh
            else f"¥{yuan(terms.amount_off_fen)} off orders of ¥{yuan(terms.threshold_fen)} or more"
        )
    elif terms.kind == "exchange":
        item = f"{terms.exchange_name}（{terms.exchange_sku}）" if terms.exchange_name else terms.exchange_sku
        if not zh:
            item = f"{terms.exchange_name} ({terms.exchange_sku})" if terms.exchange_name else terms.exchange_sku
        head = f"兑换商品 {item}" if zh else f"one {item} free"
    else:
        head = "免运费" if zh else "free shipping"
    parts = [head]
    if terms.min_spend_fen and terms.kind != "threshold":
        parts.append(f"满{yuan(terms.min_spend_fen)}元可用" if zh else f"on ¥{yuan(terms.min_spend_fen)} or more")
    validity, scope = terms.validity, terms.scope
    if validity.weekdays:
        days = "、".join("周" + WEEKDAYS_ZH[d - 1] for d in sorted(validity.weekdays))
        en_days = ", ".join(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d - 1] for d in sorted(validity.weekdays))
        parts.append(f"限{days}" if zh else f"{en_days} only")
    if validity.hours:
        span = f"{validity.hours[0]:%H:%M}-{validity.hours[1]:%H:%M}"
        parts.append(f"限{span}使用" if zh else f"{span} only")
    for codes, zh_label, en_label, named in (
        (scope.stores, "限门店", "stores", stores or {}),
        (scope.categories, "限品类", "categories", named_categories),
        (scope.brands, "限品牌", "brands", brands or {}),
        (scope.skus, "限商品", "items", {}),
        (scope.tiers, "限等级", "tiers", tiers or {}),
        (scope.excluded_categories, "不适用品类", "not for categories", named_categories),
        (scope.excluded_brands, "不适用品牌", "not for brands", brands or {}),
        (scope.excluded_skus, "不适用商品", "not for items", {}),
    ):
        names = [named.get(code, code) for code in codes]
        if names:
            parts.append(f"{zh_label} {'、'.join(names)}" if zh else f"{en_label}: {', '.join(names)}")
    parts.append(
        ("可与其他券叠加" if terms.stacks else "不可与其他券叠加")
        if zh
        else ("stacks with other coupons" if terms.stacks else "one coupon per order")
    )
    return " · ".join(parts)


CARD_CATEGORY = "membership"  # the category of a paid card's line on its till order (its coupons: 续费券)
CARD_CATEGORY_NAMES = {True: {CARD_CATEGORY: "会员卡"}, False: {CARD_CATEGORY: "paid cards"}}  # as members read it
# (a walkthrough read 限品类 membership)


def _yuan(fen: int) -> str:
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen / 100:.2f}".rstrip("0")


def _zhe(percent_off: int) -> str:
    """20 % off reads 8 折, 15 % off 8.5 折."""
    rest = 100 - percent_off
    return f"{rest // 10}" if rest % 10 == 0 else f"{rest / 10:g}"


# --- the books ---------------------------------------------------------------------------------------------------


def issuing(coupon: Coupon, source: Source, reason: str) -> Posting:
    """The posting that issues ``coupon``: +1 on its own new account, its fields as the entry's detail."""
    fields = {
        name: getattr(coupon, name)
        for name in coupon.__dataclass_fields__
        if name not in ("reservation", "redemption", "offer")
    }
    return Posting(coupon_holder(coupon.code), COUPON, 1, "issue", source, reason, fields)


class CouponRefused(Exception):
    """A change the coupon's state does not allow (``reason``: a ``REASONS`` code or ``not-reversible``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CouponBook:
    """The ``coupon`` book. A posting's ``kind`` says the change and its ``detail`` what it needs:

    - ``issue`` (+1): the coupon's fields; the account must be new.
    - ``reserve`` (0): ``{"order_id", "store_id", "until", "now"}``; an available coupon, or one reserved for
      the same order (extended), or whose reservation lapsed.
    - ``release`` (0): ``{"order_id"}``; the reservation of that order.
    - ``redeem`` (-1): ``{"redemption_id", "order_id", "store_id", "discount_fen", "at", "now"}``; available, or
      reserved for that order.
    - ``return`` (+1, or 0 when its last day has passed or its template was voided: then it is booked expired or
      voided): ``{"order_id", "voided"?}``, the order that used it, once (``returned_from`` remembers the order).
    - ``expire`` / ``void`` (-1): an available or reserved coupon (an offer to a friend ends with it).
    - ``offer`` (0): ``{"token_hash", "until", "now"}``; an available coupon (a lapsed reservation left), offered to a
      friend until ``until`` (转赠), in place of any offer before it; it cannot be reserved or used meanwhile. At
      most ``OFFERS_PER_COUPON`` offers a coupon (refused ``offers-used``).
    - ``withdraw`` (0): ``{"now"}``; the coupon's offer, open or lapsed, taken back.
    - ``transfer`` (-1): ``{"token_hash", "to_code", "to_member_id", "now"}``; the coupon offered with that token,
      the offer still open: it ends ``transferred``, ``transferred_to`` naming the friend's coupon.
    """

    name: str = COUPON
    entry_prefix: ClassVar[str] = "ce_"

    def load(self, raw: Any) -> Coupon:
        raw = dict(raw or {})
        reservation = raw.pop("reservation", None)
        redemption = raw.pop("redemption", None)
        offer = raw.pop("offer", None)
        return Coupon(
            **raw,
            reservation=Reservation(**reservation) if reservation else None,
            redemption=Redemption(**redemption) if redemption else None,
            offer=Offer(**offer) if offer else None,
        )

    def dump(self, state: Coupon) -> dict[str, Any] | None:
        if not state.code:
            return None
        raw = {name: getattr(state, name) for name in state.__dataclass_fields__}
        raw["reservation"] = vars(state.reservation).copy() if state.reservation else None
        raw["redemption"] = vars(state.redemption).copy() if state.redemption else None
        raw["offer"] = vars(state.offer).copy() if state.offer else None
        return raw

    def apply(self, state: Coupon, posting: Posting, today: date) -> tuple[Coupon, Any]:
        detail = dict(posting.detail or {})
        kind = posting.kind
        if kind == "issue":
            if state.code:
                raise CouponRefused("exists")
            return Coupon(**detail), None
        now = detail.pop("now", "")
        current = state.status
        if (
            state.status in ("available", "reserved")
            and state.valid_until
            and date.fromisoformat(state.valid_until) < today
        ):
            current = "expired"
        lapsed = state.status == "reserved" and state.reservation is not None and state.reservation.until <= now
        if kind in ("reserve", "redeem") and state.offered(now):
            raise CouponRefused("offered")
        if kind in ("offer", "transfer", "withdraw"):
            return self._gift(state, kind, detail, "available" if current == "reserved" and lapsed else current, now)
        if kind == "claim-code":  # a bearer code a member typed on their pages (兑换码): it becomes their own coupon
            if state.member_id is not None:
                raise CouponRefused("not-bearer")
            if current != "available" and not (current == "reserved" and lapsed):
                raise CouponRefused(current)
            return replace(state, status="transferred", reservation=None, transferred_to=detail["to_code"]), detail
        if kind == "reserve":
            held = state.reservation if state.status == "reserved" and not lapsed else None
            if current not in ("available", "reserved") or (held and held.order_id != detail["order_id"]):
                raise CouponRefused("reserved" if held else current)
            return replace(state, status="reserved", reservation=Reservation(**detail)), detail
        if kind == "release":
            if (
                state.status != "reserved"
                or state.reservation is None
                or state.reservation.order_id != detail["order_id"]
            ):
                raise CouponRefused("not-reserved")
            return replace(state, status="available", reservation=None), detail
        if kind == "redeem":
            if (
                current == "reserved"
                and not lapsed
                and state.reservation
                and state.reservation.order_id != detail["order_id"]
            ):
                raise CouponRefused("reserved")
            if current not in ("available", "reserved"):
                raise CouponRefused(current)
            return replace(state, status="used", reservation=None, redemption=Redemption(**detail)), detail
        if kind == "return":
            if state.status != "used" or state.redemption is None or state.redemption.order_id != detail["order_id"]:
                raise CouponRefused("not-reversible")
            back_as: Status = "available"
            if posting.amount == 0:  # past its last day it comes back expired; of a voided template, voided
                back_as = "voided" if detail.get("voided") else "expired"
            return replace(state, status=back_as, redemption=None, returned_from=detail["order_id"]), detail
        if kind in ("expire", "void"):
            if state.status not in ("available", "reserved"):
                raise CouponRefused(state.status)
            ended: Status = "expired" if kind == "expire" else "voided"
            return replace(state, status=ended, reservation=None, offer=None), detail
        raise ValueError(f"unknown coupon change {kind!r}")

    @staticmethod
    def _gift(state: Coupon, kind: str, detail: dict[str, Any], current: Status, now: str) -> tuple[Coupon, Any]:
        """An offer to a friend, its withdrawal, or the transfer the friend's acceptance makes (``current``: the
        status as of the change, a lapsed reservation read as available)."""
        if kind == "withdraw":
            if state.offer is None:
                raise CouponRefused("not-offered")
            return replace(state, offer=None), detail
        if current != "available":
            raise CouponRefused(current)
        if kind == "offer":
            if state.offers >= OFFERS_PER_COUPON:
                raise CouponRefused("offers-used")
            offer = Offer(detail["token_hash"], detail["until"])
            return replace(state, status="available", reservation=None, offer=offer, offers=state.offers + 1), detail
        open_offer = state.offered(now)
        if open_offer is None or open_offer.token_hash != detail["token_hash"]:
            raise CouponRefused("not-offered")
        return replace(state, status="transferred", reservation=None, offer=None,
                       transferred_to=detail["to_code"]), detail  # fmt: skip

    def undo(self, state: Coupon, entry: Entry, today: date) -> tuple[Coupon, Any]:
        raise CouponRefused("not-reversible")  # a coupon is changed forward only (a return, never an undo)

    def balance(self, state: Coupon) -> int:
        return state.usable_count

    def due(self, state: Coupon, today: date) -> Mapping[str, date | None]:
        """Usable coupons are listed on the day after their last day, when the nightly job expires them."""
        if state.status in ("available", "reserved") and state.valid_until:
            return {"coupon_expiry": date.fromisoformat(state.valid_until) + timedelta(days=1)}
        return {"coupon_expiry": None}


class StockBook(CounterBook):
    """A shard of a template's stock: a balance that never goes below zero."""

    entry_prefix: ClassVar[str] = "cs_"


@dataclass(frozen=True)
class TakenBook:
    """How many coupons of a template a member has received: a posting's ``detail`` is the template's
    ``limit`` (None: none), and receiving one beyond it is refused as ``Insufficient``."""

    name: str = TAKEN
    entry_prefix: ClassVar[str] = "ct_"

    def load(self, raw: Any) -> int:
        return int(raw or 0)

    def dump(self, state: int) -> int:
        return state

    def apply(self, state: int, posting: Posting, today: date) -> tuple[int, Any]:
        limit = posting.detail
        after = state + posting.amount
        if posting.amount > 0 and limit is not None and after > limit:
            raise Insufficient(self.name, max(limit - state, 0), posting.amount)
        return after, None

    def undo(self, state: int, entry: Entry, today: date) -> tuple[int, Any]:
        return state - entry.amount, None

    def balance(self, state: int) -> int:
        return state

    def due(self, state: int, today: date) -> Mapping[str, date | None]:
        return {}


def stacks_with(on_order: Mapping[str, list[Any]], stacks: bool) -> bool:
    """Whether a coupon (``stacks``: it stacks) may join the coupons already on an order (the order book's state):
    on an empty order any may; else only one that stacks, and only onto coupons that all stack."""
    return not on_order or (stacks and all(value[0] for value in on_order.values()))


@dataclass(frozen=True)
class OrderBook:
    """The coupons redeemed on one order: ``{code: [stacks, discount_fen, total_fen, shipping_fen, on_shipping,
    covered_fen, scope]}``. Adding one that does not stack to an order that has any, or any to an order holding one
    that does not stack, is refused (``not-stackable``), and so is one that would take more off than the order costs
    (``exceeds-order``): the coupons on its goods never more than its goods' ``total_fen``, its free-shipping coupons
    never more than its ``shipping_fen``, and coupons for the same items (``scope``: their lists of items, the same)
    never more than those items cost (``covered_fen``: two coupons excluding gift cards, ¥80 and ¥50 off ¥100 of
    tops, would take ¥30 off the gift card), each the least any of its redemptions said (a later one saying it costs
    more makes no room). A posting's ``detail`` is ``{"code", "stacks", "discount_fen", "total_fen", "shipping_fen",
    "on_shipping", "covered_fen", "scope"}`` (a reversal needs only the code)."""

    name: str = ORDER
    entry_prefix: ClassVar[str] = "co_"

    def load(self, raw: Any) -> dict[str, list[Any]]:
        # an order booked before discounts were kept holds ``{code: stacks}`` (nothing taken off); one booked before
        # its costs were kept, ``[stacks, discount_fen, ...]``: its costs are unknown, its discount on its goods
        # one booked before what it covered was kept, ``[... on_shipping]``: covered as unknown
        loaded = {code: value if isinstance(value, list) else [bool(value), 0] for code, value in (raw or {}).items()}
        padded = {code: value if len(value) >= 5 else [*value[:2], None, None, False] for code, value in loaded.items()}
        return {code: value if len(value) == 7 else [*value[:5], None, ""] for code, value in padded.items()}

    def dump(self, state: dict[str, list[Any]]) -> dict[str, list[Any]]:
        return state

    def apply(self, state: dict[str, list[Any]], posting: Posting, today: date) -> tuple[dict[str, list[Any]], Any]:
        detail = posting.detail
        code = detail["code"]
        others = {k: v for k, v in state.items() if k != code}
        if posting.amount < 0:
            return others, None
        stacks, off = bool(detail["stacks"]), int(detail.get("discount_fen", 0))
        if not stacks_with(others, stacks):
            raise CouponRefused("not-stackable")
        total, shipping = detail.get("total_fen"), detail.get("shipping_fen")
        scope = str(detail.get("scope") or "")
        after = {**others, code: [stacks, off, total, shipping, bool(detail.get("on_shipping")),
                                  detail.get("covered_fen"), scope]}  # fmt: skip
        for cap_at, shipped in ((2, False), (3, True)):
            costs = [int(value[cap_at]) for value in after.values() if value[cap_at] is not None]
            taken = sum(int(value[1]) for value in after.values() if bool(value[4]) is shipped)
            if costs and taken > min(costs):
                raise CouponRefused("exceeds-order")
        if not detail.get("on_shipping") and not within_covered(others, scope, detail.get("covered_fen"), off):
            raise CouponRefused("exceeds-order")
        return after, None

    def undo(self, state: dict[str, list[Any]], entry: Entry, today: date) -> tuple[dict[str, list[Any]], Any]:
        raise CouponRefused("not-reversible")

    def balance(self, state: dict[str, list[Any]]) -> int:
        return len(state)

    def due(self, state: dict[str, list[Any]], today: date) -> Mapping[str, date | None]:
        return {}


def within_covered(on_order: Mapping[str, list[Any]], scope: str, covered_fen: int | None, discount_fen: int) -> bool:
    """Whether a coupon for the items ``scope`` keys (``scope_key``; empty: every item, which the order's total
    bounds) taking ``discount_fen`` off ``covered_fen`` of them fits beside the coupons already on the order for the
    same items (``OrderBook``'s state): together no more than the least any of them said those items cost."""
    alike = [value for value in on_order.values() if not value[4] and value[6] == scope]
    covered = [int(value[5]) for value in alike if value[5] is not None]
    covered += [covered_fen] if covered_fen is not None else []
    return not scope or not covered or sum(int(value[1]) for value in alike) + discount_fen <= min(covered)


def goods_discount(on_order: Mapping[str, list[Any]]) -> int:
    """What an order's coupons (``OrderBook``'s state) took off its goods, its shipping left out."""
    return sum(int(value[1]) for value in on_order.values() if not bool(value[4]))


COUPON_BOOK = CouponBook()
BOOKS: dict[str, Any] = {COUPON: COUPON_BOOK, STOCK: StockBook(STOCK), TAKEN: TakenBook(), ORDER: OrderBook()}
