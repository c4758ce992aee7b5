"""The points mall (积分商城) API contract: rewards, members browsing them, orders and their fulfilment."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.media.rules import PATH_PREFIX as PICTURE_PATH
from chalicelib.media.rules import PUBLISHED as PUBLISHED_PICTURE
from chalicelib.members.schemas import MemberBrief, Phone
from chalicelib.purchases.schemas import HAPPENED, Happened, Label
from chalicelib.shared.fields import FEN, NEXT_CURSOR, REASON_EN, UTC_INSTANT, Id, Instant, Reason, Trimmed
from chalicelib.shared.http import Input, MergePatch, Schema
from chalicelib.shared.pagination import PageQuery

Points = Annotated[int, Field(ge=1, le=10**9)]
CashFen = Annotated[int, Field(ge=0, le=10**9)]
Units = Annotated[int, Field(ge=0, le=10**9)]
Limit = Annotated[int, Field(ge=1, le=10**6)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), Trimmed]
Kind = Literal["coupon", "goods", "service"]
Fulfilment = Literal["shipping", "pickup"]
Period = Literal["day", "week", "month", "year", "ever"]
Status = Literal["awaiting_payment", "pending", "ready_for_pickup", "shipped", "completed", "cancelled", "refunded"]


def _picture(url: str) -> str:
    if url.startswith(PICTURE_PATH):
        if not PUBLISHED_PICTURE.fullmatch(url):
            raise ValueError("a picture published with POST /v1/media/pictures, as its url says it")
        return url
    if not url.startswith("https://") or len(url) <= len("https://") or " " in url:
        raise ValueError("an https:// URL, or a picture's url of POST /v1/media/pictures")
    return url


ImageUrl = Annotated[str, StringConstraints(max_length=500), AfterValidator(_picture)]


def _distinct(urls: list[str] | None) -> list[str] | None:
    if urls and len(set(urls)) < len(urls):
        raise ValueError("each picture once")
    return urls


Images = Annotated[list[ImageUrl], AfterValidator(_distinct)]

THUMBNAILS = (
    "what a list shows of each picture, in order: a picture published here its thumbnail (a JPEG at most 480 pixels "
    "a side, `/media/<name>-480.jpg`), a link itself"
)
REWARD_ID = "the reward's id (`rw_…`)"
ORDER_ID = "the order's id (兑换订单号, `mo_…`)"
MEMBER_ID = "the member's id (`mb_…`)"
NAME = "the reward's name (商品名称) as members see it"
KIND = (
    "`coupon` (a coupon template's coupon, issued at once), `goods` (实物: shipped or picked up in store) or `service`"
)
POINTS = "points (积分) per unit"
CASH = f"cash per unit for points + cash (积分+现金, 积分换购), paid after the exchange; 0: points only; {FEN}"
LIMIT = "units one member may exchange per `limit_period` (每人限兑); null: no limit"
PERIOD = "the period of the per-member limit: `day`, `week` (ISO week), `month`, `year` (business calendar) or `ever`"
TIERS = "the tiers (会员等级 codes, e.g. `gold`) that may exchange it; empty: every tier"
TIER_POINTS = (
    '会员价: a tier\'s own points per unit, below `points`, e.g. `{"gold": 1000, "diamond": 800}`; the member pays '
    "the price of the tier whose benefits they have (a paid card's floor included); other tiers pay `points`"
)
SALE_FROM = "when its sale begins (上架时间); null: already"
SALE_UNTIL = "when its sale ends (下架时间); null: no end"
IMAGES = (
    "its pictures, at most 9, the first shown first: each an https URL, or a picture published here "
    "(`/media/<name>`, the url of `POST /v1/media/pictures`)"
)
FULFILMENT = "for goods: `shipping` (an address to ship to) or `pickup` (collected in store with a pickup code)"
TEMPLATE = "for coupon rewards: the coupon template (优惠券模板) whose coupon an exchange issues"
STORE = "the store (门店) where it is collected"
STATUS = (
    "`awaiting_payment` (points + cash: points and stock held until the cash part is paid), `pending` (to ship, or a "
    "coupon to issue), `ready_for_pickup` (its pickup code awaits the counter), `shipped`, `completed`, `cancelled` "
    "(points and stock given back) or `refunded` (after-sale: the same)"
)


class MallRewardCreate(Input):
    """A reward of the points mall (积分商城商品): a coupon, goods or a service, for points (and cash), in stock."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "保温杯",
                    "kind": "goods",
                    "points": 1200,
                    "cash_fen": 990,
                    "stock": 100,
                    "per_member_limit": 2,
                    "limit_period": "month",
                    "tiers": ["gold", "diamond"],
                    "on_sale_from": "2026-12-01T10:00:00+08:00",
                    "images": ["https://cdn.example.com/mall/cup.jpg"],
                    "description": "304 不锈钢, 500 ml",
                    "fulfilment": "shipping",
                }
            ]
        }
    )

    name: Label = Field(description=NAME)
    kind: Kind = Field(description=KIND)
    points: Points = Field(description=POINTS)
    cash_fen: CashFen = Field(default=0, description=CASH)
    stock: Units = Field(description="units to sell (库存); more are added later by `add_stock`, never overwritten")
    per_member_limit: Limit | None = Field(default=None, description=LIMIT)
    limit_period: Period = Field(default="ever", description=f"{PERIOD}; default `ever`")
    template_id: Id | None = Field(default=None, description=f"{TEMPLATE}; required for them, refused otherwise")
    tiers: list[Id] = Field(default=[], max_length=20, description=TIERS)
    tier_points: dict[Id, Points] = Field(default={}, max_length=20, description=TIER_POINTS)
    on_sale_from: Instant | None = Field(default=None, description=SALE_FROM)
    on_sale_until: Instant | None = Field(default=None, description=SALE_UNTIL)
    images: Images = Field(default=[], max_length=9, description=IMAGES)
    description: Description | None = Field(default=None, description="what members read about it (商品详情)")
    fulfilment: Fulfilment | None = Field(default=None, description=f"{FULFILMENT}; required for goods only")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = []
        if (self.kind == "coupon") != (self.template_id is not None):
            problems.append("template_id: required for coupon rewards, refused for others")
        if (self.kind == "goods") != (self.fulfilment is not None):
            problems.append("fulfilment: required for goods, refused for coupons and services")
        if self.on_sale_from and self.on_sale_until and self.on_sale_until <= self.on_sale_from:
            problems.append("on_sale_until: after on_sale_from")
        if "limit_period" in self.model_fields_set and self.per_member_limit is None:
            problems.append("limit_period: only with per_member_limit")
        if any(price >= self.points for price in self.tier_points.values()):
            problems.append("tier_points: a tier's price is below points (会员价 is a lower price)")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class MallRewardPatch(MergePatch):
    """A JSON merge patch of a reward: its terms, showcase and stock. `add_stock` adds units (negative: withdraws
    unsold ones) through the stock's ledger; `status` stops or resumes selling (停售/上架)."""

    clearable: ClassVar[frozenset[str]] = frozenset(
        {"per_member_limit", "on_sale_from", "on_sale_until", "description"}
    )
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"add_stock": 50, "points": 1000, "on_sale_until": "2027-01-31T23:59:59+08:00"}]
        }
    )

    name: Label | None = Field(default=None, description=NAME)
    points: Points | None = Field(default=None, description=POINTS)
    cash_fen: CashFen | None = Field(default=None, description=CASH)
    per_member_limit: Limit | None = Field(default=None, description=f"{LIMIT}; null clears it")
    limit_period: Period | None = Field(default=None, description=PERIOD)
    tiers: list[Id] | None = Field(default=None, max_length=20, description=TIERS)
    tier_points: dict[Id, Points] | None = Field(
        default=None, max_length=20, description=f"{TIER_POINTS}; replaces them all, `{{}}` ends them"
    )
    on_sale_from: Instant | None = Field(default=None, description=f"{SALE_FROM}; null clears it")
    on_sale_until: Instant | None = Field(default=None, description=f"{SALE_UNTIL}; null clears it")
    images: Images | None = Field(default=None, max_length=9, description=IMAGES)
    description: Description | None = Field(default=None, description="what members read about it; null clears it")
    status: Literal["on_sale", "stopped"] | None = Field(default=None, description="`stopped` stops selling (停售)")
    add_stock: Annotated[int, Field(ge=-(10**9), le=10**9)] | None = Field(
        default=None,
        description="units to add to the stock (补货), or withdraw when negative (never below 0: 409 `out-of-stock`); "
        "the `If-Match` makes a retried patch add nothing twice",
    )


class MallReward(Schema):
    """A reward as staff manage it, with its stock and `version` (its `ETag`)."""

    reward_id: str = Field(description=REWARD_ID)
    name: str = Field(description=NAME)
    kind: Kind = Field(description=KIND)
    points: int = Field(description=POINTS)
    cash_fen: int = Field(description=CASH)
    stock: int = Field(description="units left to sell (库存)")
    stocked: int = Field(description="units ever stocked: stock + units sold (not given back) always equals it")
    sold: int = Field(description="units sold, net of cancellations and refunds")
    per_member_limit: int | None = Field(description=LIMIT)
    limit_period: Period = Field(description=PERIOD)
    template_id: str | None = Field(description=TEMPLATE)
    tiers: list[str] = Field(description=TIERS)
    tier_points: dict[str, int] = Field(default_factory=dict, description=TIER_POINTS)
    on_sale_from: str | None = Field(description=f"{SALE_FROM}; {UTC_INSTANT}")
    on_sale_until: str | None = Field(description=f"{SALE_UNTIL}; {UTC_INSTANT}")
    images: list[str] = Field(description=IMAGES)
    thumbnails: list[str] = Field(description=THUMBNAILS)
    description: str | None = Field(description="what members read about it")
    fulfilment: Fulfilment | None = Field(description=FULFILMENT)
    status: Literal["on_sale", "stopped"] = Field(description="`stopped` when staff stopped selling it (停售)")
    on_sale_now: bool = Field(description="whether it sells now: not stopped and within its sale window")
    created_at: str = Field(description=f"when it was created; {UTC_INSTANT}")
    updated_at: str = Field(description=f"when it was last edited; {UTC_INSTANT}")
    version: int = Field(description='the version, which the `ETag` header quotes (`"7"`): send it in `If-Match`')


class MallRewardPage(Schema):
    """Rewards, newest first."""

    items: list[MallReward] = Field(description="rewards on this page")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class MallRankingQuery(Input):
    """How many rewards the ranking names."""

    limit: int = Field(default=10, ge=1, le=50, description="the most rewards named")


class MallRankedReward(Schema):
    """A reward in the ranking: what members exchanged of it."""

    reward_id: str = Field(description=REWARD_ID)
    name: str = Field(description=NAME)
    kind: Kind = Field(description=KIND)
    sold: int = Field(description="units exchanged, net of cancellations and refunds (累计兑换)")
    points: int = Field(description=POINTS)
    stock: int = Field(description="units left (库存)")
    status: Literal["on_sale", "stopped"] = Field(description="`stopped` when staff stopped selling it")


class MallRanking(Schema):
    """The rewards members exchange most (兑换排行)."""

    items: list[MallRankedReward] = Field(
        description="by units exchanged, the most first; rewards never exchanged left out"
    )


class MallMemberRewardQuery(Input):
    """What a member browses."""

    affordable: bool = Field(default=False, description="only rewards whose points price fits the points available")


class MallMemberReward(Schema):
    """A reward on sale to this member (their tier may have it), with what they can do about it."""

    reward_id: str = Field(description=REWARD_ID)
    name: str = Field(description=NAME)
    kind: Kind = Field(description=KIND)
    points: int = Field(description=f"{POINTS} for this member: their tier's price (会员价) when it has one")
    regular_points: int | None = Field(
        default=None,
        description="the price other tiers pay, when this member's tier pays less (会员价); null otherwise",
    )
    cash_fen: int = Field(description=CASH)
    images: list[str] = Field(description=IMAGES)
    thumbnails: list[str] = Field(description=THUMBNAILS)
    description: str | None = Field(description="what members read about it")
    fulfilment: Fulfilment | None = Field(description=FULFILMENT)
    on_sale_until: str | None = Field(description=f"{SALE_UNTIL}; {UTC_INSTANT}")
    in_stock: bool = Field(description="whether a unit is left (有货)")
    affordable: bool = Field(description="whether the member's points available pay one unit's points")
    per_member_limit: int | None = Field(description=LIMIT)
    limit_period: Period = Field(description=PERIOD)
    remaining_for_member: int | None = Field(
        description="units the member may still exchange this period; null: no limit"
    )
    tiers: list[str] = Field(default_factory=list, description="the tiers it is for (等级专享); empty: every tier")


class MallMemberRewardList(Schema):
    """The mall as this member sees it: rewards on sale to their tier, newest first."""

    items: list[MallMemberReward] = Field(description="rewards")
    available_points: int = Field(description="the member's points available now (可用积分)")
    points_owed: int = Field(
        0,
        description="points the member owes (待抵扣: a refund took back more than was available); points earned "
        "pay this first, so a reward needs this much more earned",
    )


class MallAddressIn(Input):
    """Where shipped goods go (收货地址). Personal data: sealed at rest, masked to staff without `pii:read`."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32), Trimmed] = Field(
        description="the recipient (收货人)"
    )
    phone: Phone = Field(description="the recipient's mobile phone (手机号); mainland numbers may omit +86")
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=200), Trimmed] = Field(
        description="the full address (详细地址), province to door"
    )


class MallOrderCreate(Input):
    """An exchange (积分兑换): units of a reward, paid in points (the cash part, if any, after)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reward_id": "rw_01JEXAMPLE0000000000000000",
                    "quantity": 1,
                    "address": {"name": "张三", "phone": "13800138000", "address": "上海市黄浦区南京东路 1 号 101 室"},
                }
            ]
        }
    )

    reward_id: Id = Field(description=REWARD_ID)
    quantity: Annotated[int, Field(ge=1, le=99)] = Field(default=1, description="units (数量); a coupon reward: 1")
    pickup_store_id: Id | None = Field(
        default=None, description=f"{STORE}: required for goods picked up in store, optional for services"
    )
    address: MallAddressIn | None = Field(default=None, description="where to ship: required for shipped goods only")


class MallOrderPayment(Schema):
    """How an order's cash part was paid."""

    method: Literal["wallet", "partner"] = Field(
        description="`wallet` (储值) or `partner` (a payment partner's webhook)"
    )
    payment_id: str = Field(description="the payment's id")
    amount_fen: int = Field(description=f"what was paid; {FEN}")
    paid_at: str = Field(description=f"when; {UTC_INSTANT}")


class MallAddressOut(Schema):
    """The shipping address: whole for the member and staff with `pii:read`, masked for others."""

    confidential: ClassVar[bool] = True
    name: str = Field(description="the recipient (收货人), or masked (张*)")
    phone: str = Field(description="the recipient's phone, or masked (138****8000)")
    address: str = Field(description="the address, or its first characters then ****")
    masked: bool = Field(description="true when masked")


class MallShipmentOut(Schema):
    """How shipped goods travel."""

    carrier: str = Field(description="the carrier (快递公司)")
    tracking_no: str = Field(description="the tracking number (运单号)")
    shipped_at: str = Field(description=f"when it was shipped; {UTC_INSTANT}")


class MallHistoryStep(Schema):
    """One change of an order's status: what, when, who and why."""

    status: Status = Field(description=f"the status it moved to: {STATUS}")
    action: str = Field(
        description="what moved it: place, pay, ship, complete, verify, issue, cancel, release, fail, refund"
    )
    at: str = Field(description=f"when; {UTC_INSTANT}")
    by: str = Field(description="who: `member`, `staff:<id>` (`staff` to members), `partner:<id>` or `system` (a job)")
    why: str = Field(description="the reason given or recorded")
    why_en: str | None = Field(default=None, description=REASON_EN)


class MallOrderSummary(Schema):
    """An order as lists show it."""

    confidential: ClassVar[bool] = True  # a recipient beside an order points at one person
    order_id: str = Field(description=ORDER_ID)
    member_id: str = Field(description=MEMBER_ID)
    reward_id: str = Field(description=REWARD_ID)
    reward_name: str = Field(description="the reward's name when exchanged")
    kind: Kind = Field(description=KIND)
    fulfilment: Fulfilment | None = Field(description=FULFILMENT)
    quantity: int = Field(description="units")
    points: int = Field(description="points it cost in all")
    cash_fen: int = Field(description=f"cash it costs in all (points + cash); {FEN}")
    status: Status = Field(description=STATUS)
    placed_at: str = Field(description=f"when it was placed; {UTC_INSTANT}")
    pay_by: str | None = Field(description=f"points + cash: released unless paid by then; {UTC_INSTANT}")
    pickup_store_id: str | None = Field(description=STORE)
    address: MallAddressOut | None = Field(description="where it ships (masked in lists)")
    shipment: MallShipmentOut | None = Field(description="carrier and tracking number, once shipped")
    coupon_code: str | None = Field(description="the coupon it issued (coupon rewards)")
    member: MemberBrief | None = Field(
        default=None,
        description="whose order, to staff reading the chain's orders (`GET /v1/mall/orders` and one "
        "order); null in a member's own list",
    )


class MallOrder(MallOrderSummary):
    """An order (兑换订单) with its payment, pickup code (the member's alone) and every change of status."""

    payment: MallOrderPayment | None = Field(description="how the cash part was paid")
    pickup_code: str | None = Field(
        description="the one-time pickup code (核销码) the cashier verifies; shown to the member only, while it can "
        "be used"
    )
    points_held: int = Field(description="points the order holds (0 once given back)")
    cash_refund_due_fen: int = Field(
        description=f"the paid cash part a cancellation or after-sale refund owes back (0: none); {FEN}"
    )
    cash_refund_to: Literal["wallet", "partner", "till"] | None = Field(
        description="where it goes: `wallet`, given back to the wallet in the cancellation's own transaction; "
        "`partner`, refunded by the payment partner that took it (its payment id is `payment.payment_id`); "
        "`till`, paid back in cash at a store (it was paid from the wallet of a member erased since)"
    )
    history: list[MallHistoryStep] = Field(description="every change of status, oldest first")


class MallOrderPage(Schema):
    """Orders, newest first."""

    items: list[MallOrderSummary] = Field(description="orders on this page")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class MallOrderListQuery(PageQuery):
    """Which orders staff list."""

    status: Status | None = Field(default=None, description=f"only orders of this status: {STATUS}")
    store_id: Id | None = Field(default=None, description="only orders collected at this store")


class MallPartnerPayment(Input):
    """The cash part of a points + cash order, paid through a payment partner."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": "mo_01JEXAMPLE0000000000000000",
                    "payment_id": "WX-20261111-0001",
                    "amount_fen": 990,
                    "paid_at": "2026-11-11T10:05:00+08:00",
                }
            ]
        }
    )

    order_id: Id = Field(description=ORDER_ID)
    payment_id: Id = Field(description="the partner's payment id (支付单号): taken once, for good")
    amount_fen: Annotated[int, Field(gt=0, le=10**12)] = Field(description=f"what was paid: the order's cash; {FEN}")
    paid_at: Happened = Field(description=f"when it was paid; {HAPPENED}")


class MallShipmentIn(Input):
    """Goods handed to a carrier (发货)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"carrier": "顺丰速运", "tracking_no": "SF1234567890"}]})

    carrier: Label = Field(description="the carrier (快递公司)")
    tracking_no: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{4,40}$")] = Field(
        description="the tracking number (运单号)"
    )


class MallPickup(Input):
    """A pickup code shown by a member at the counter (核销)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "4821 0937 1150 6622", "store_id": "SH-001"}]})

    code: Annotated[str, StringConstraints(min_length=8, max_length=40, pattern=r"^[0-9 -]+$")] = Field(
        description="the pickup code as the member's page shows it (spaces or dashes between groups are fine)"
    )
    store_id: Id = Field(description="the store where it is collected, one of the cashier's")


class MallCancellation(Input):
    """Why a member cancels their order; the body may be left out."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "不想要了"}]})

    reason: Reason = Field(default="会员取消", description="why, as the order's history shows it; default 会员取消")


class MallReason(Input):
    """Why staff cancel an order or refund it after sale."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "商品缺货, 与会员协商取消"}]})

    reason: Reason = Field(description="why, as the member reads it in the order's history")
