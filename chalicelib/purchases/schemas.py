"""The purchases and earn-rules API contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, JsonValue, StringConstraints, model_validator
from pydantic.config import JsonDict

from chalicelib.members.schemas import MemberBrief, MemberNo, Phone
from chalicelib.purchases.rules import Activity, EarnRules, Window
from chalicelib.shared import clock
from chalicelib.shared.fields import (
    BUSINESS_DATE,
    FEN,
    GIVEN_INSTANT,
    NEXT_CURSOR,
    UTC_INSTANT,
    Day,
    Id,
    Instant,
    ProductName,
    Trimmed,
)
from chalicelib.shared.http import FieldInvalid, Input, Schema
from chalicelib.shared.settings import get_settings

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Trimmed]
Fen = Annotated[int, Field(ge=0, le=10**12)]
MoneyBack = Annotated[int, Field(gt=0, le=10**12)]  # an amount given back: more than nothing
Rate = Annotated[Decimal, Field(ge=0, le=1000, max_digits=12, decimal_places=4)]
Factor = Annotated[Decimal, Field(gt=0, le=100, max_digits=8, decimal_places=4)]
Bonus = Annotated[int, Field(ge=0, le=1_000_000)]
ACTIVITIES = ("registration", "birthday", "review", "share", "checkin")

MEMBER_ID = "the member's id (`mb_…`)"
LINE_ID = "the line's id within the order, unique in it (行号)"
SKU = "the product's SKU (商品编码)"
PRODUCT_NAME = "the product's name as the receipt prints it (商品名称), shown to the member beside the line"
CATEGORY = "the product's category (品类), as the earn rules name categories"
BRAND = "the product's brand (品牌), as the earn rules name brands"
QUANTITY = "units bought (数量)"
ORDER_ID = "the partner's order id (订单号): points are booked once per partner and order id, for good"
HAPPENED = f"not in the future (a few minutes of clock skew allowed), kept in UTC; {GIVEN_INSTANT}"
LEDGER_ENTRY = "the points ledger entry it booked (`pe_…`); null when it booked no points"
DUPLICATE = "true when this repeats an earlier report: the first answer, nothing booked again"
RATE = "points per CNY paid (元), decimals allowed"
BONUS = "points per unit bought, added after multipliers"
FACTOR = "a multiplier, e.g. 2 for double points"


CLOCK_SKEW = timedelta(minutes=5)


def _happened(value: datetime) -> datetime:
    """An event that has happened: not later than now (allowing a few minutes of clock skew). Kept in UTC, so
    one instant written with another offset is the same report."""
    if value > clock.now() + CLOCK_SKEW:
        raise ValueError("is in the future")
    return value.astimezone(UTC)


Happened = Annotated[Instant, AfterValidator(_happened)]


class MemberRef(Input):
    """Exactly one of member_id, phone and member_no."""

    member_id: Id | None = Field(default=None, description=MEMBER_ID)
    phone: Phone | None = Field(default=None, description="mobile phone (手机号); mainland numbers may omit +86")
    member_no: MemberNo | None = Field(default=None, description="the member number (会员卡号) on their card")

    @model_validator(mode="after")
    def _exactly_one(self) -> MemberRef:
        if sum(value is not None for value in (self.member_id, self.phone, self.member_no)) != 1:
            raise ValueError("give exactly one of member_id, phone and member_no")
        return self


class Item(Input):
    """An order line (订单行)."""

    line_id: Id = Field(description=LINE_ID)
    sku: Label | None = Field(default=None, description=SKU)
    name: ProductName | None = Field(default=None, description=PRODUCT_NAME)
    category: Label | None = Field(default=None, description=CATEGORY)
    brand: Label | None = Field(default=None, description=BRAND)
    quantity: int = Field(ge=1, le=100_000, description=QUANTITY)
    amount_fen: Fen = Field(description=f"the line's amount before order discounts; {FEN}")
    paid_fen: Fen | None = Field(
        default=None,
        description="what the member paid for the line after the order's discounts (实付分摊: a coupon for some "
        "items comes off those lines alone), at most its amount_fen; give it on every line or on none; the lines' "
        f"paid_fen add up to the order's; default: the order's paid_fen spread in proportion to amount_fen; {FEN}",
    )


EXAMPLE_LINES: list[JsonValue] = [  # the order lines the examples share: a jacket and two T-shirts
    {"line_id": "1", "sku": "JK-2026-BLK-M", "name": "羽绒夹克 黑 M", "category": "outerwear", "brand": "Acme",
     "quantity": 1, "amount_fen": 50000},
    {"line_id": "2", "sku": "TS-001-WHT-L", "name": "纯棉T恤 白 L", "category": "tops", "brand": "Acme", "quantity": 2,
     "amount_fen": 10000},
]  # fmt: skip


OTHER_METHOD = (
    "with `mixed`: how the part stored value did not pay was paid (`cash`, `wechat_pay`, `alipay`, `card` ...), so a "
    "store's takings by method and a refund's rest can say it; null: not said"
)


def _check_rest(payment_method: str, other_method: str | None) -> None:
    """``other_method`` goes with ``mixed`` alone, and names a method other than stored value."""
    if other_method is not None and (payment_method != "mixed" or other_method in ("wallet", "mixed")):
        raise FieldInvalid("other_method", "goes with payment_method mixed, and names a method other than stored value")


def _check_order(total_fen: int, paid_fen: int, payment_method: str, other_method: str | None,
                 items: list[Item]) -> None:  # fmt: skip
    """An order adds up: paid at most its total, the rest of a mixed payment said rightly, lines adding up to the
    total with no line id twice."""
    if paid_fen > total_fen:
        raise FieldInvalid("paid_fen", "paid_fen is more than total_fen")
    _check_rest(payment_method, other_method)
    if items and sum(item.amount_fen for item in items) != total_fen:
        raise FieldInvalid("items", "the items' amount_fen add up to something else than total_fen")
    if len({item.line_id for item in items}) != len(items):
        raise FieldInvalid("items", "line_id repeats")
    given = [item.paid_fen for item in items if item.paid_fen is not None]
    if given and len(given) != len(items):
        raise FieldInvalid("items", "paid_fen is given on every line or on none")
    if given and sum(given) != paid_fen:
        raise FieldInvalid("items", "the items' paid_fen add up to something else than paid_fen")
    if any(item.paid_fen is not None and item.paid_fen > item.amount_fen for item in items):
        raise FieldInvalid("items", "a line's paid_fen is more than its amount_fen")


class Purchase(Input):
    """A purchase a partner reports. ``items`` add up to ``total_fen``; ``paid_fen`` (after discounts, what
    earns points) is at most ``total_fen``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": "POS-SH001-20261111-0042",
                    "member": {"phone": "13800138000"},
                    "store_id": "SH-001",
                    "occurred_at": "2026-11-11T10:30:00+08:00",
                    "currency": "CNY",
                    "total_fen": 60000,
                    "paid_fen": 54000,
                    "payment_method": "wechat_pay",
                    "items": EXAMPLE_LINES,
                }
            ]
        }
    )

    order_id: Id = Field(description=ORDER_ID)
    member: MemberRef = Field(description="the member who bought, by exactly one of id, phone and member number")
    store_id: Id = Field(description="the store (门店) where it was bought, one of the partner's")
    occurred_at: Happened = Field(description=f"when it was paid; points are dated from it; {HAPPENED}")
    currency: Literal["CNY"] = Field(default="CNY", description="always CNY (人民币)")
    total_fen: Fen = Field(description=f"the order's amount before discounts (订单金额); {FEN}")
    paid_fen: Fen = Field(
        description="what the member paid after discounts (实付金额), which earns points: what they paid from their "
        f"stored value too (its wallet payment is its own webhook); {FEN}"
    )
    payment_method: Label = Field(
        description="how they paid (支付方式), e.g. `wechat_pay`, `alipay`, `card`, `cash`, `wallet` (all from stored "
        "value), `mixed` (part from it); the reports group sales by it"
    )
    other_method: Label | None = Field(default=None, description=OTHER_METHOD)
    items: list[Item] = Field(
        default_factory=list, max_length=500, description="the order lines, adding up to total_fen; may be left out"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Purchase:
        _check_order(self.total_fen, self.paid_fen, self.payment_method, self.other_method, self.items)
        return self


class CounterPurchase(Input):
    """A purchase a cashier records at the till (消费记账), for a chain whose till reports nothing itself: a partner's
    purchase without ``member`` (the path names the member) nor ``occurred_at`` (the platform stamps it when it is
    first booked). The same body again answers the first answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": "POS-20261120113859-UQKH",
                    "store_id": "SH-001",
                    "total_fen": 3000,
                    "paid_fen": 3000,
                    "payment_method": "cash",
                }
            ]
        }
    )

    order_id: Id = Field(description="the till's order number, unique in the chain (the console makes one)")
    store_id: Id = Field(description="the store (门店) where it was bought, one of a store-scoped cashier's")
    total_fen: Fen = Field(description=f"the order's amount before discounts (订单金额); {FEN}")
    paid_fen: Fen = Field(description=f"what the member paid after discounts (实付金额), which earns points; {FEN}")
    payment_method: Label = Field(
        description="how they paid (支付方式), e.g. `cash`, `wechat_pay`, `alipay`, `card`, `wallet`, `mixed`"
    )
    other_method: Label | None = Field(default=None, description=OTHER_METHOD)
    items: list[Item] = Field(
        default_factory=list, max_length=500, description="the order lines, adding up to total_fen; may be left out"
    )

    @model_validator(mode="after")
    def _consistent(self) -> CounterPurchase:
        _check_order(self.total_fen, self.paid_fen, self.payment_method, self.other_method, self.items)
        return self

    def as_purchase(self, member_id: str, at: datetime) -> Purchase:
        return Purchase(order_id=self.order_id, member=MemberRef(member_id=member_id), store_id=self.store_id,
                        occurred_at=at, total_fen=self.total_fen, paid_fen=self.paid_fen,
                        payment_method=self.payment_method, other_method=self.other_method,
                        items=self.items)  # fmt: skip


class PurchaseAnswer(Schema):
    """What a reported purchase earned."""

    order_id: str = Field(description="the partner's order id, as reported")
    member_id: str = Field(description=f"{MEMBER_ID} who earned (a new one when the phone joined)")
    points_awarded: int = Field(description="points (积分) the purchase earned")
    pending_points: int = Field(description="of those, points in a return window, spendable later")
    upgrade_gift_points: int = Field(
        default=0,
        description="points an upgrade the purchase reached gave (升级礼遇), beside `points_awarded`: the member's "
        "points grew by both (a receipt printing one alone said less)",
    )
    ledger_entry_id: str | None = Field(description=LEDGER_ENTRY)
    duplicate: bool = Field(description=DUPLICATE)


class RefundItem(Input):
    """What a refund gives back on one order line."""

    line_id: Id = Field(description="the order line's id, as the purchase reported it")
    quantity: int = Field(ge=0, le=100_000, description="units returned; 0: a price adjustment that keeps the units "
                          "(a line whose money all went back keeps no per-unit bonus, whatever this says)")  # fmt: skip
    amount_fen: Fen = Field(
        description="money given back on this line, at most what is left of what the member paid for it: its "
        "paid share (its amount less its share of the order's discounts, as the purchase's lines answer "
        f"`paid_fen`) less what refunds gave back on it already; {FEN}"
    )


class Refund(Input):
    """Money given back on an order: by line, or without lines in proportion to what each line was paid."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "refund_id": "RF-SH001-20261115-0007",
                    "order_id": "POS-SH001-20261111-0042",
                    "occurred_at": "2026-11-15T16:00:00+08:00",
                    "amount_fen": 4500,
                    "items": [{"line_id": "2", "quantity": 1, "amount_fen": 4500}],
                },
                {
                    "refund_id": "RF-SH001-20261116-0002",
                    "order_id": "POS-SH001-20261111-0042",
                    "occurred_at": "2026-11-16T11:00:00+08:00",
                    "amount_fen": 1000,
                },
            ]
        }
    )

    refund_id: Id = Field(description="the partner's refund id (退款单号): booked once per partner and refund id")
    order_id: Id = Field(description="the order it refunds, as the purchase reported it")
    occurred_at: Happened = Field(description=f"when the money was given back, not before the order; {HAPPENED}")
    amount_fen: MoneyBack = Field(description=f"the money given back (退款金额); {FEN}")
    items: list[RefundItem] | None = Field(
        default=None,
        max_length=500,
        description="by line, adding up to amount_fen; null: spread over the lines by what each has left",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Refund:
        if self.items is not None:
            if sum(item.amount_fen for item in self.items) != self.amount_fen:
                raise FieldInvalid("items", "the items' amount_fen add up to something else than amount_fen")
            if len({item.line_id for item in self.items}) != len(self.items):
                raise FieldInvalid("items", "line_id repeats")
        return self


class CounterRefund(Input):
    """Money given back at the till on an order recorded there: a partner's refund without ids (the path names the
    order; the Idempotency-Key makes it once) nor time (now)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"amount_fen": 1800}]})

    amount_fen: MoneyBack = Field(description=f"the money given back (退款金额); {FEN}")
    items: list[RefundItem] | None = Field(
        default=None, max_length=500,
        description="by line, adding up to amount_fen; null: spread over the lines by what each has left",
    )  # fmt: skip
    store_id: Id | None = Field(
        default=None,
        description="the store (门店) whose till gives the money back, one of a store-scoped caller's: its journal of "
        "refunds lists it; default the caller's only store, else the sale's",
    )

    def as_refund(self, refund_id: str, order_id: str, at: datetime) -> Refund:
        return Refund(refund_id=refund_id, order_id=order_id, occurred_at=at,
                      amount_fen=self.amount_fen, items=self.items)  # fmt: skip


class RefundAnswer(Schema):
    """What a reported refund took back."""

    refund_id: str = Field(description="the partner's refund id, as reported")
    order_id: str = Field(description="the order it refunds")
    member_id: str = Field(description=MEMBER_ID)
    points_clawed_back: int = Field(description="points (积分) taken back, pending ones first")
    tier_points_clawed_back: int = Field(
        default=0,
        description="points taken back beside those, with the upgrade the refund undid: its gift (升级礼遇), the "
        "tier's part of a birthday gift, and what later orders earned at the tier (the member's points fell by both)",
    )
    debt_after: int = Field(
        description="points the member owes after it (what was already spent); later credits repay it first"
    )
    ledger_entry_id: str | None = Field(description=LEDGER_ENTRY)
    duplicate: bool = Field(description=DUPLICATE)


RULES_EXAMPLE: JsonDict = {
    "effective_from": "2026-12-01T00:00:00+08:00",
    "base_rate": 1,
    "category_rates": {"outerwear": 2},
    "brand_bonuses": {"Acme": 5},
    "windows": [
        {"name": "双12", "starts_at": "2026-12-12T00:00:00+08:00", "ends_at": "2026-12-13T00:00:00+08:00", "factor": 2}
    ],
    "tier_multipliers": {"gold": 1.5},
    "min_paid_fen": 1000,
    "excluded_categories": ["gift-card"],
    "activities": {"checkin": {"points": 5, "per_day": 1}, "review": {"points": 20, "per_month": 5}},
}


class WindowIn(Input):
    """A promotion window (活动时段) multiplying purchase points, e.g. 双11 ×2."""

    name: Label = Field(description="its name, e.g. 双11")
    starts_at: Instant = Field(description=f"when it opens; {GIVEN_INSTANT}")
    ends_at: Instant = Field(description=f"when it closes, after starts_at; {GIVEN_INSTANT}")
    factor: Factor = Field(description=f"{FACTOR}, applied to purchases paid inside the window")
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=list, max_length=7,
        description="only on these days of the week (1 Monday … 7 Sunday, in the business time zone), inside the "
        "window: a weekly members' day (会员日), e.g. `[3]` for Wednesdays; empty: every day",
    )  # fmt: skip

    @model_validator(mode="after")
    def _weekdays_once(self) -> WindowIn:
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError("each day of the week once")
        return self


class ActivityIn(Input):
    """What an activity earns, and how often."""

    points: int = Field(ge=0, le=1_000_000, description="points (积分) each time")
    per_day: int | None = Field(
        default=None, ge=1, le=1000, description="the most times a business day that earn; null: no limit"
    )
    per_month: int | None = Field(
        default=None, ge=1, le=10_000, description="the most times a calendar month that earn; null: no limit"
    )


class RulesIn(Input):
    """An earn-rules version. Rates are points per CNY paid; bonuses are points per unit; see the README for
    how they combine."""

    model_config = ConfigDict(json_schema_extra={"examples": [RULES_EXAMPLE]})

    effective_from: Instant | None = Field(
        default=None, description=f"orders paid from this instant on use this version; default now; {GIVEN_INSTANT}"
    )
    base_rate: Rate = Field(default=Decimal(1), description=f"{RATE}, for lines no category or brand rate names")
    category_rates: dict[Label, Rate] = Field(
        default_factory=dict, max_length=500, description=f"category (品类) → {RATE}; brand rates win"
    )
    brand_rates: dict[Label, Rate] = Field(default_factory=dict, max_length=500, description=f"brand (品牌) → {RATE}")
    category_bonuses: dict[Label, Bonus] = Field(
        default_factory=dict, max_length=500, description=f"category → {BONUS}"
    )
    brand_bonuses: dict[Label, Bonus] = Field(default_factory=dict, max_length=500, description=f"brand → {BONUS}")
    windows: list[WindowIn] = Field(
        default_factory=list, max_length=100, description="promotion windows (活动时段) multiplying purchase points"
    )
    tier_multipliers: dict[Label, Factor] = Field(
        default_factory=dict, max_length=20, description=f"tier code (会员等级) → {FACTOR}; else the tier programme's"
    )
    min_paid_fen: Fen = Field(
        default=0, description=f"orders paying less (after exclusions) earn nothing, bonuses included; {FEN}"
    )
    excluded_categories: list[Label] = Field(
        default_factory=list, max_length=500, description="categories that earn nothing and count for no minimum"
    )
    activities: dict[Literal["registration", "birthday", "review", "share", "checkin"], ActivityIn] = Field(
        default_factory=dict,
        description="points for registration (注册), birthday (生日), review (评价), share (分享) and check-in (签到)",
    )

    @model_validator(mode="after")
    def _windows_ordered(self) -> RulesIn:
        for window in self.windows:
            if window.ends_at <= window.starts_at:
                raise ValueError(f"window {window.name!r} ends before it starts")
        return self

    def to_rules(self, tz: tzinfo | None = None) -> EarnRules:
        """The rules to score with; windows' days of the week are the business's (``tz``, default the settings')."""
        zone = tz or get_settings().tz
        windows = tuple(
            Window(w.name, w.starts_at, w.ends_at, w.factor, frozenset(w.weekdays), zone) for w in self.windows
        )
        return EarnRules(
            base_rate=self.base_rate, category_rates=dict(self.category_rates), brand_rates=dict(self.brand_rates),
            category_bonuses=dict(self.category_bonuses), brand_bonuses=dict(self.brand_bonuses),
            windows=windows,
            tier_multipliers=dict(self.tier_multipliers), min_paid_fen=self.min_paid_fen,
            excluded_categories=frozenset(self.excluded_categories),
            activities={name: Activity(a.points, a.per_day, a.per_month) for name, a in self.activities.items()},
        )  # fmt: skip


class RulesVersion(RulesIn):
    """A published earn-rules version (积分规则)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{**RULES_EXAMPLE, "version": 2,
        "effective_from": "2026-11-30T16:00:00Z", "created_at": "2026-11-30T08:12:31.406Z",
        "created_by": "staff:sf_01JDZ8Q4X7K3M9N2P5R8T1V6W0"}]})  # fmt: skip

    version: int = Field(description="its number: 1, 2, 3 …")
    effective_from: datetime = Field(description=f"orders paid from this instant on use it; {UTC_INSTANT}")
    created_at: str = Field(description=f"when it was published; {UTC_INSTANT}")
    created_by: str = Field(description="who published it (`staff:<id>`)")


class RulesVersions(Schema):
    """Every earn-rules version and the one in force."""

    current: RulesVersion | None = Field(description="the version in force now; null before any (1 point per CNY)")
    versions: list[RulesVersion] = Field(description="every version, newest first")


class PreviewOrder(Input):
    """A sample order: scored with the rules in force at ``occurred_at`` (default now), writing nothing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "occurred_at": "2026-12-12T20:00:00+08:00",
                    "paid_fen": 54000,
                    "tier": "gold",
                    "items": EXAMPLE_LINES,
                },
                {
                    "paid_fen": 54000,
                    "items": EXAMPLE_LINES,
                    "rules": {"base_rate": 2, "min_paid_fen": 10000},
                },
            ]
        }
    )

    occurred_at: Instant | None = Field(
        default=None, description=f"when it would be paid, choosing the rules and windows; default now; {GIVEN_INSTANT}"
    )
    paid_fen: Fen = Field(description=f"what the member would pay after discounts (实付金额); {FEN}")
    tier: Label = Field(default="normal", description="the buyer's tier code (会员等级)")
    items: list[Item] = Field(
        default_factory=list, max_length=500, description="the order lines; none: one line of the whole order"
    )
    rules: RulesIn | None = Field(default=None, description="score with these rules instead (a draft)")

    @model_validator(mode="after")
    def _lines_paid(self) -> PreviewOrder:
        """Lines saying their own paid_fen (实付分摊) say it on every line and add up to paid_fen, as a purchase's."""
        given = [item.paid_fen for item in self.items if item.paid_fen is not None]
        if given and (len(given) != len(self.items) or sum(given) != self.paid_fen):
            raise FieldInvalid("items", "paid_fen is given on every line or on none, adding up to paid_fen")
        return self


class ScoredLine(Schema):
    """How one line of a sample order scores."""

    line_id: str = Field(description="the line's id")
    paid_fen: int = Field(description=f"its share of what the order paid; {FEN}")
    rate: str | None = Field(description="points per yuan it earns at (a decimal), null when excluded")
    rate_from: Literal["brand", "category", "base", "excluded"] = Field(description="which rule gave the rate")
    points: float = Field(description="points before the multipliers and the one rounding")
    bonus: int = Field(description="per-unit bonus points (按件奖励)")


class AppliedMultiplier(Schema):
    """A multiplier the order earned under."""

    name: str = Field(description="a time window's name, or `tier:<code>` for the member's tier")
    factor: str = Field(description="the factor (a decimal), e.g. `1.5`")


class RulesInWords(Schema):
    """The earn rules in force now as a member reads them (积分规则)."""

    version: int = Field(description="the earn rules' version in force")
    lines: list[str] = Field(
        description="each rule in a sentence, e.g. 消费每1元得1积分, 礼品卡不积分, "
        "周三会员日：周三，12月01日至12月31日积分×2, the member's tier's multiplier, each activity with its limits"
    )
    expiry: str = Field(description="when points expire, e.g. 积分在获得次年的12月31日过期")
    cash: str | None = Field(description="what points pay at the till (积分抵现); null when they pay nothing there")


class Preview(Schema):
    """How a sample order scores, rule by rule."""

    rules_version: int | None = Field(description="the rules version used; null for a draft")
    lines: list[ScoredLine] = Field(description="each line, scored")
    eligible_paid_fen: int = Field(description=f"what was paid on lines that earn; {FEN}")
    below_minimum: bool = Field(description="true when eligible_paid_fen is under min_paid_fen: nothing earned")
    multipliers: list[AppliedMultiplier] = Field(description="each multiplier applied, in order")
    base_points: int = Field(description="points from rates and multipliers, rounded down once")
    bonus_points: int = Field(description="points from per-unit bonuses")
    total: int = Field(description="points (积分) the order would earn")


class ActivityReport(Input):
    """Something a member did elsewhere that the earn rules may reward. Registration points come from the
    registration itself and check-ins from the member app, each once by construction, so partners cannot
    report those."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "review-88231",
                    "kind": "review",
                    "member": {"member_no": "8000123458"},
                    "occurred_at": "2026-11-12T20:15:00+08:00",
                }
            ]
        }
    )

    event_id: Id = Field(description="the partner's id for the event: booked once per partner and event id")
    kind: Literal["birthday", "review", "share"] = Field(description="birthday (生日), review (评价) or share (分享)")
    member: MemberRef = Field(description="the member, by exactly one of id, phone and member number")
    occurred_at: Happened = Field(description=f"when it happened, at most 7 days ago; {HAPPENED}")


class ActivityAnswer(Schema):
    """What an activity earned."""

    member_id: str = Field(description=MEMBER_ID)
    kind: str = Field(description="the activity: birthday, review, share or checkin (签到)")
    points_awarded: int = Field(description="points (积分) it earned; 0 past a limit or without a rule")
    ledger_entry_id: str | None = Field(description=LEDGER_ENTRY)
    limited: bool = Field(description="the member reached this activity's limit for the day or month")
    duplicate: bool = Field(description=DUPLICATE)


class PurchaseLine(Schema):
    """An order line as reported, with its share of what was paid."""

    line_id: str = Field(description=LINE_ID)
    sku: str | None = Field(description=SKU)
    name: str | None = Field(default=None, description=f"{PRODUCT_NAME}; null when not reported")
    category: str | None = Field(description=CATEGORY)
    brand: str | None = Field(description=BRAND)
    quantity: int = Field(description=QUANTITY)
    amount_fen: int = Field(description=f"the line's amount before order discounts; {FEN}")
    paid_fen: int = Field(description=f"the line's share of paid_fen; {FEN}")


class PurchaseView(Schema):
    """A purchase as reported, with what refunds took back so far (an order reported without lines shows one
    line ``order``)."""

    order_id: str = Field(description="the partner's order id (订单号)")
    partner_id: str | None = Field(description="the partner system that reported it (null for the member)")
    member_id: str = Field(description=MEMBER_ID)
    store_id: str = Field(description="the store (门店) where it was bought")
    occurred_at: str = Field(description=f"when it was paid; {UTC_INSTANT}")
    currency: str = Field(description="CNY (人民币)")
    total_fen: int = Field(description=f"the order's amount before discounts (订单金额); {FEN}")
    paid_fen: int = Field(description=f"what was paid after discounts (实付金额); {FEN}")
    payment_method: str = Field(description="how it was paid (支付方式)")
    items: list[PurchaseLine] = Field(description="the order lines")
    points_awarded: int = Field(description="points (积分) it earned")
    growth_awarded: int = Field(description="growth value (成长值) it earned")
    refunded_fen: int = Field(description=f"what refunds (退款) gave back so far; {FEN}")
    refunded_in_range_fen: int | None = Field(
        default=None, description=f"in a store's list: what refunds gave back of it by the end of the days asked (a "
        f"closed day keeps its refunds; a later one is the till refunds' of its day, or the sales report's); null "
        f"elsewhere; {FEN}")  # fmt: skip
    points_clawed_back: int = Field(description="points refunds took back so far")
    growth_clawed_back: int = Field(description="growth value refunds took back so far")
    recorded_by: str | None = Field(
        default=None,
        description="who recorded it at the counter (消费记账: `staff:<id>`, named in the console); null for a "
        "partner's, for one recorded before it was kept, and for the member",
    )
    other_method: str | None = Field(default=None, description="with `mixed`: how the rest was paid; null: not said")
    member: MemberBrief | None = Field(default=None, description="whose purchase, in a store's list; else null")


class PurchasePage(Schema):
    """A page of purchases (消费记录), newest first."""

    items: list[PurchaseView] = Field(description="this page's purchases")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class StorePurchasesQuery(Input):
    """A store's purchases on business days ``from`` through ``to`` (at most 366 days apart)."""

    from_: Day = Field(alias="from", description=f"the first day; {BUSINESS_DATE}")
    to: Day = Field(description=f"the last day, at most 366 days after `from`; {BUSINESS_DATE}")
    limit: int = Field(default=50, ge=1, le=200, description="the most purchases a page holds")
    cursor: str | None = Field(default=None, max_length=2048, description="the previous page's `next_cursor`")

    @model_validator(mode="after")
    def _span(self) -> StorePurchasesQuery:
        if not 0 <= (self.to - self.from_).days <= 366:
            raise ValueError("'to' must be on or after 'from', at most 366 days later")
        return self


class TillRefund(Schema):
    """Money given back at the store's till on a sale recorded at the counter (门店退款)."""

    refund_id: str = Field(description="the refund's id (`rf_…`)")
    order_id: str = Field(description="the till order it refunds")
    member_id: str = Field(description=MEMBER_ID)
    sale_store_id: str = Field(description="the store that made the sale (its figures keep the refund)")
    amount_fen: int = Field(description=f"the money given back (退款金额); {FEN}")
    points_clawed_back: int = Field(description="points (积分) it took back")
    payment_method: str = Field(description="how the sale was paid: the money goes back that way")
    occurred_at: str = Field(description=f"when it was given back; {UTC_INSTANT}")
    recorded_by: str | None = Field(description="who gave it back (`staff:<id>`)")
    member: MemberBrief | None = Field(default=None, description="whose purchase it refunded")


class TillRefundPage(Schema):
    """A page of a store's refunds, newest first."""

    items: list[TillRefund] = Field(description="this page's refunds")
    next_cursor: str | None = Field(description=NEXT_CURSOR)
