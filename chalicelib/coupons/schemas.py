"""The coupon (优惠券) API contract: templates, issuing and claiming, a member's coupons, the till's eligibility,
reservation, redemption and its reversal, and the liability."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.coupons.rules import DEFAULT_CHARSET, MAX_CODES, MIN_CODE_BITS, CodeFormat
from chalicelib.shared.fields import (
    BUSINESS_DATE,
    FEN,
    NEXT_CURSOR,
    REASON_EN,
    UTC_INSTANT,
    VERSION,
    Day,
    Id,
    MemberCode,
    ProductName,
    Trimmed,
)  # fmt: skip
from chalicelib.shared.http import FieldInvalid, Input, Schema
from chalicelib.shared.pagination import PageQuery

Fen = Annotated[int, Field(ge=0, le=10**10)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Trimmed]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), Trimmed]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), Trimmed]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{4,40}$")]
Kind = Literal["amount_off", "percent_off", "threshold", "exchange", "free_shipping"]
Status = Literal["available", "reserved", "used", "expired", "voided", "transferred"]
TemplateStatus = Literal["issuing", "stopped", "voided"]

KIND = (
    "amount_off (立减), percent_off (折扣, with an optional cap), threshold (满减), exchange (兑换券: one unit of "
    "an item free) or free_shipping (免运费)"
)
STATUS = (
    "available (可用), reserved (locked for an order until it is redeemed or released), used (已使用), "
    "expired (已过期), voided (已作废) or transferred (已转赠: given to a friend, who holds a coupon of their own "
    "for it)"
)
CODE = "the coupon's code (券码), unique and unguessable"
MEMBER_ID = "the member's id (`mb_…`)"
ORDER_ID = "the order's id in the till or the e-shop (订单号)"


class ValidityWindow(Input):
    """Fixed dates: every coupon is valid from `from` through `until` (a coupon issued later starts that day)."""

    model_config = ConfigDict(populate_by_name=True)

    starts_on: Day = Field(alias="from", description=f"the first valid day; {BUSINESS_DATE}")
    ends_on: Day = Field(alias="until", description=f"the last valid day; {BUSINESS_DATE}")

    @model_validator(mode="after")
    def _ordered(self) -> ValidityWindow:
        if self.ends_on < self.starts_on:
            raise ValueError("until is before from")
        return self


class DaysAfterIssue(Input):
    """Valid for N days from the day the coupon is issued (that day is the first)."""

    days_after_issue: int = Field(ge=1, le=3650, description="days valid, counting the day of issue")


class ValidHours(Input):
    """Local times of day a coupon is usable."""

    model_config = ConfigDict(populate_by_name=True)

    starts_at: time = Field(alias="from", description="local time it becomes usable each valid day, e.g. 11:00")
    ends_at: time = Field(alias="until", description="local time it stops being usable, e.g. 14:00 (excluded)")

    @model_validator(mode="after")
    def _ordered(self) -> ValidHours:
        if self.ends_at <= self.starts_at:
            raise ValueError("until must be after from")
        return self


class CouponApplicability(Input):
    """Where and on what coupons apply; an empty list: no restriction. An item counts towards a coupon when it
    matches every list given and none of the exclusions (a 礼品卡 or 特价 line never does)."""

    stores: list[Id] = Field(default_factory=list, max_length=200, description="store ids (适用门店)")
    categories: list[Label] = Field(default_factory=list, max_length=100, description="item categories (品类)")
    brands: list[Label] = Field(default_factory=list, max_length=100, description="brands (品牌)")
    skus: list[Label] = Field(default_factory=list, max_length=500, description="SKUs (商品)")
    tiers: list[Label] = Field(default_factory=list, max_length=20, description="member tiers (等级) it is for")
    excluded_categories: list[Label] = Field(
        default_factory=list, max_length=100, description="categories it never applies to (不适用品类), e.g. gift-card"
    )
    excluded_brands: list[Label] = Field(default_factory=list, max_length=100, description="brands it never applies to")
    excluded_skus: list[Label] = Field(
        default_factory=list, max_length=500, description="SKUs it never applies to (不适用商品), e.g. 特价商品"
    )

    @model_validator(mode="after")
    def _not_both(self) -> CouponApplicability:
        for name in ("categories", "brands", "skus"):
            both = sorted(set(getattr(self, name)) & set(getattr(self, f"excluded_{name}")))
            if both:
                raise ValueError(f"{name} both included and excluded: {', '.join(both)}")
        return self


class CouponCodeFormat(Input):
    """How codes look: `prefix` and `length` characters from `charset`; at least 40 bits of chance."""

    length: int = Field(default=12, ge=6, le=32, description="characters drawn at random")
    charset: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{10,62}$")] = Field(
        default=DEFAULT_CHARSET, description="the characters codes are drawn from"
    )
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{0,8}$")] = Field(
        default="", description="a fixed start, e.g. `YH-`"
    )

    @model_validator(mode="after")
    def _unguessable(self) -> CouponCodeFormat:
        if CodeFormat(self.length, self.charset, self.prefix).bits < MIN_CODE_BITS:
            raise ValueError(f"codes need at least {MIN_CODE_BITS} bits of chance: more characters or a larger charset")
        return self


class CouponGift(Input):
    """The platform issues the template itself: to every new member (注册送券), on a wallet top-up of at least
    `min_top_up_fen` (充值送券), or once a year with the birthday gift (生日礼: the platform's own in the birthday
    month, or a partner's birthday report in it). Tier upgrade and tier birthday coupons are named by the programme's
    `exclusive_coupons` and `birthday_coupons`."""

    on: Literal["registration", "top_up", "birthday"] = Field(description="registration, top_up or birthday")
    min_top_up_fen: Fen = Field(default=0, description=f"top_up: the least principal topped up; {FEN}")


class CouponTemplateCreate(Input):
    """A coupon template (券模板)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "满200减30",
                    "kind": "threshold",
                    "threshold_fen": 20000,
                    "amount_off_fen": 3000,
                    "validity": {"days_after_issue": 30},
                    "stock": 1000,
                    "per_member_limit": 1,
                    "claimable": True,
                }
            ]
        }
    )

    name: Name = Field(description="what members see, e.g. 满200减30")
    description: Text | None = Field(default=None, description="more words for members")
    kind: Kind = Field(description=KIND)
    amount_off_fen: Fen | None = Field(default=None, description=f"amount_off and threshold: what comes off; {FEN}")
    percent_off: int | None = Field(default=None, ge=1, le=99, description="percent_off: % taken off (20: 8折)")
    cap_fen: Fen | None = Field(default=None, description=f"percent_off: the most it takes off; {FEN}")
    threshold_fen: Fen | None = Field(default=None, description=f"threshold: what the order must reach (满); {FEN}")
    exchange_sku: Label | None = Field(default=None, description="exchange: the SKU one unit of which is free")
    exchange_name: Name | None = Field(
        default=None, description="exchange: the item as members read it, e.g. 招牌奶茶一杯 (default: the SKU)"
    )
    min_spend_fen: Fen = Field(default=0, description=f"any kind: what the qualifying items must add up to; {FEN}")
    face_value_fen: Fen | None = Field(
        default=None,
        description=f"what one coupon counts for in the liability (default: its amount off, or cap); {FEN}",
    )
    validity: DaysAfterIssue | ValidityWindow = Field(description="`{days_after_issue}` or `{from, until}`")
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=list, max_length=7, description="usable only on these days (1 = Monday); empty: every day"
    )
    hours: ValidHours | None = Field(default=None, description="usable only between these local times each day")
    applies_to: CouponApplicability = Field(default_factory=CouponApplicability, description="stores, items and tiers")
    stacks: bool = Field(default=False, description="may be used on one order with other coupons that stack")
    stock: int | None = Field(default=None, ge=1, le=10_000_000, description="coupons it may issue; absent: unlimited")
    per_member_limit: int | None = Field(default=None, ge=1, le=1000, description="coupons one member may receive")
    claimable: bool = Field(default=False, description="members may claim it themselves (领券中心)")
    transferable: bool = Field(
        default=False, description="members may give its coupons to a friend (转赠), each coupon once"
    )
    code: CouponCodeFormat = Field(default_factory=CouponCodeFormat, description="how its codes look")
    gift: CouponGift | None = Field(default=None, description="issued by the platform on registration or a top-up")

    @model_validator(mode="after")
    def _kind_fields(self) -> CouponTemplateCreate:
        needed = {
            "amount_off": ("amount_off_fen",),
            "percent_off": ("percent_off",),
            "threshold": ("amount_off_fen", "threshold_fen"),
            "exchange": ("exchange_sku",),
            "free_shipping": (),
        }[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} coupon needs {', '.join(missing)}")
        allowed = {*needed, *(("cap_fen",) if self.kind == "percent_off" else ()),
                   *(("exchange_name",) if self.kind == "exchange" else ())}  # fmt: skip
        extra = [
            n
            for n in ("amount_off_fen", "percent_off", "cap_fen", "threshold_fen", "exchange_sku", "exchange_name")
            if getattr(self, n) is not None and n not in allowed
        ]
        if extra:
            raise ValueError(f"a {self.kind} coupon takes no {', '.join(extra)}")
        if self.kind == "threshold" and (self.amount_off_fen or 0) >= (self.threshold_fen or 0):
            raise ValueError("the amount off must be less than the threshold")
        if self.kind in ("amount_off", "threshold") and not self.amount_off_fen:
            raise ValueError("amount_off_fen must be more than 0")
        if self.exchange_sku is not None and self.exchange_sku in self.applies_to.excluded_skus:
            raise ValueError("an exchange coupon cannot exclude the SKU it gives")
        return self


class CouponTemplatePatch(Input):
    """What may change on a template: its words, whether members may claim it, and its status: `stopped` (停发)
    ends issuing while issued coupons stay valid; `voided` also voids every unused coupon. Neither goes back."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "stopped"}]})

    name: Name | None = Field(default=None, description="the new name")
    description: Text | None = Field(default=None, description="the new words for members")
    claimable: bool | None = Field(default=None, description="whether members may claim it (领券)")
    transferable: bool | None = Field(
        default=None, description="whether members may give its coupons to a friend (转赠; offers open stay open)"
    )
    status: Literal["stopped", "voided"] | None = Field(default=None, description="stop issuing, or void")
    gift: CouponGift | None = Field(
        default=None, description="issued by the platform on registration or a top-up (null: not)"
    )

    @model_validator(mode="after")
    def _name_kept(self) -> CouponTemplatePatch:
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be removed")
        return self


class CouponTemplate(Schema):
    """A coupon template and how it stands."""

    template_id: str = Field(description="its id (`ct_…`)")
    name: str = Field(description="what members see (券名)")
    description: str | None = Field(description="more words for members")
    kind: Kind = Field(description=KIND)
    amount_off_fen: int | None = Field(description=f"what comes off (amount_off, threshold); {FEN}")
    percent_off: int | None = Field(description="% taken off (percent_off)")
    cap_fen: int | None = Field(description=f"the most a percent coupon takes off; {FEN}")
    threshold_fen: int | None = Field(description=f"what the order must reach (threshold, 满); {FEN}")
    exchange_sku: str | None = Field(description="the SKU one unit of which is free (exchange)")
    exchange_name: str | None = Field(description="the item as members read it (exchange; null: the SKU)")
    min_spend_fen: int = Field(description=f"what the qualifying items must add up to; {FEN}")
    face_value_fen: int = Field(description=f"what one usable coupon counts for in the liability; {FEN}")
    validity: dict[str, Any] = Field(description="`{days_after_issue}` or `{from, until}`")
    weekdays: list[int] = Field(description="usable only on these days (1 = Monday); empty: every day")
    hours: dict[str, str] | None = Field(description="`{from, until}` local times it is usable each day; null: all day")
    applies_to: CouponApplicability = Field(
        description="stores, categories, brands, SKUs and tiers it applies to (empty: all)"
    )
    stacks: bool = Field(description="may be used with other coupons that stack")
    stock: int | None = Field(description="what it was created with (null: unlimited)")
    stock_left: int | None = Field(description="what it may still issue (null: unlimited)")
    per_member_limit: int | None = Field(description="coupons one member may receive (null: no limit)")
    claimable: bool = Field(description="members may claim it (领券中心)")
    transferable: bool = Field(description="members may give its coupons to a friend (转赠)")
    status: TemplateStatus = Field(description="issuing, stopped (停发) or voided (作废)")
    rules: str = Field(description="its rules in words, in the caller's language")
    code: dict[str, Any] = Field(description="how its codes look")
    gift: dict[str, Any] | None = Field(description="`{on, min_top_up_fen}` when the platform issues it itself")
    claimed_by_me: int | None = Field(
        default=None, description="the claim centre only: how many of its coupons the member has received"
    )
    may_claim: bool | None = Field(
        default=None, description="the claim centre only: whether the member may claim one now (stock and limit)"
    )
    created_at: str = Field(description=UTC_INSTANT)
    created_by: str = Field(description="who created it (`staff:…`)")
    version: int = Field(description=VERSION)


class CouponTemplatePage(Schema):
    """A page of templates."""

    items: list[CouponTemplate] = Field(description="templates, newest first")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class CouponTemplateQuery(PageQuery):
    status: TemplateStatus | None = Field(default=None, description="only templates in this status")


class CouponIssue(Input):
    """Issue one coupon to a member, once per `source_id`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"member_id": "mb_01JD0000000000000000000001", "source_id": "WINBACK-2026-11-0001"}]
        }
    )

    member_id: Id = Field(description=MEMBER_ID)
    source_id: Id = Field(
        description="your id for this gift (a campaign row, a ticket): the same id again answers the same coupon"
    )


class CouponClaim(Input):
    """A member claims a claimable template's coupon (领券)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"template_id": "ct_01JD0000000000000000000001"}]})

    template_id: Id = Field(description="the template (`ct_…`)")


class CodeClaim(Input):
    """A bearer code a member types on their pages (兑换码): a printed or partner-handed coupon becomes theirs."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "YH-7KQ2M9XW4PRT"}]})

    code: Annotated[str, BeforeValidator(lambda v: "".join(v.split()) if isinstance(v, str) else v),
                    StringConstraints(min_length=6, max_length=48, pattern=r"^[A-Za-z0-9-]+$")] = Field(
        description="the code as printed (spaces left out)"
    )  # fmt: skip


class CouponReservationOut(Schema):
    """The order a coupon is held for."""

    order_id: str = Field(description=ORDER_ID)
    store_id: str = Field(description="the store of the order")
    until: str = Field(description=f"when it lapses unless redeemed; {UTC_INSTANT}")


class CouponRedemptionOut(Schema):
    """The order a coupon was used on."""

    redemption_id: str = Field(description="the redemption's id (`cr_…`)")
    order_id: str = Field(description=ORDER_ID)
    store_id: str = Field(description="the store it was used at")
    discount_fen: int = Field(description=FEN)
    at: str = Field(description=UTC_INSTANT)


class Coupon(Schema):
    """A coupon (优惠券) as its holder and the till see it. Its code is a bearer instrument: never cached."""

    confidential: ClassVar[bool] = True

    code: str = Field(description=CODE)
    template_id: str = Field(description="its template (`ct_…`)")
    name: str = Field(description="the template's name")
    kind: Kind = Field(description=KIND)
    rules: str = Field(description="its rules in words, in the caller's language")
    description: str | None = Field(default=None, description="the template's more words for members (说明)")
    face_value_fen: int = Field(description=FEN)
    amount_off_fen: int | None = Field(default=None, description=f"what comes off (amount_off, threshold); {FEN}")
    percent_off: int | None = Field(default=None, description="% taken off (percent_off; 20: 8折)")
    cap_fen: int | None = Field(default=None, description=f"the most a percent coupon takes off; {FEN}")
    min_spend_fen: int = Field(default=0, description=f"what the qualifying items must reach (满); {FEN}")
    member_id: str | None = Field(description=f"{MEMBER_ID}; null for a bearer coupon")
    status: Status = Field(description=f"{STATUS}, as of now")
    valid_from: str = Field(description=BUSINESS_DATE)
    valid_until: str = Field(description=f"the last valid day; {BUSINESS_DATE}")
    issued_at: str = Field(description=UTC_INSTANT)
    source_kind: str = Field(description="how it was issued: staff, claim, registration, tier-upgrade, mall-order …")
    reservation: CouponReservationOut | None = Field(default=None, description="the order holding it now, if any")
    redemption: CouponRedemptionOut | None = Field(default=None, description="the order it was used on, when used")
    offered_until: str | None = Field(
        default=None,
        description=f"offered to a friend (转赠中) until then, unusable meanwhile; null: not offered; {UTC_INSTANT}",
    )
    transferable: bool = Field(
        default=False,
        description="its template lets its coupons be given to a friend and it was not received from one (转赠)",
    )
    duplicate: bool = Field(
        default=False,
        description="true when this repeats an earlier issue or reversal: nothing issued or given back again",
    )


class CouponPage(Schema):
    """A page of coupons."""

    items: list[Coupon] = Field(description="coupons, newest first")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class CouponQuery(PageQuery):
    status: Status | None = Field(default=None, description="only coupons in this status as of now")


class CouponOrderLine(Input):
    """An order line (the purchase's own line, with its ``line_id`` and product ``name``, is taken as it is: the
    coupon rules read neither, so a till sends the order's lines once as it reports them)."""

    line_id: Id | None = Field(default=None, description="the line's id, as the purchase reports it (not read here)")
    name: ProductName | None = Field(
        default=None, description="the product's name (商品名称), as the purchase reports it (not read here)"
    )
    sku: Label | None = Field(default=None, description="the SKU")
    category: Label | None = Field(default=None, description="its category")
    brand: Label | None = Field(default=None, description="its brand")
    quantity: int = Field(default=1, ge=1, le=100_000, description="units on the line")
    amount_fen: Fen = Field(description=f"the line's amount (all its units); {FEN}")


class CouponOrder(Input):
    """The order a coupon is for, as the till or the e-shop prices it before coupons."""

    store_id: Id = Field(description="the store (门店) the order is at")
    total_fen: Fen = Field(description=f"the order's total before coupons; {FEN}")
    items: list[CouponOrderLine] = Field(
        default_factory=list, max_length=500, description="its lines (optional; their amounts add up to `total_fen`)"
    )
    shipping_fen: Fen = Field(default=0, description=f"its shipping fee; {FEN}")

    @model_validator(mode="after")
    def _lines_add_up(self) -> Self:
        if self.items and sum(item.amount_fen for item in self.items) != self.total_fen:
            raise FieldInvalid("items", "the items' amount_fen add up to something else than total_fen")
        return self


class CouponEligibilityQuery(Input):
    """Which of a member's coupons fit an order."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": "mb_01JD0000000000000000000001",
                    "order": {
                        "store_id": "SH-001",
                        "total_fen": 25000,
                        "items": [{"sku": "JK-001", "category": "jackets", "quantity": 1, "amount_fen": 25000}],
                    },
                }
            ]
        }
    )

    member_id: Id = Field(description=MEMBER_ID)
    order: CouponOrder = Field(description="the order as priced before coupons")
    order_id: Id | None = Field(default=None, description=f"{ORDER_ID}: coupons reserved for it count as usable")


class UsableCoupon(Schema):
    """A coupon that fits the order."""

    code: str = Field(description=CODE)
    discount_fen: int = Field(description=f"what it takes off this order; {FEN}")
    name: str = Field(description="its template's name")
    rules: str = Field(description="its rules in words")
    valid_until: str = Field(description=f"its last valid day; {BUSINESS_DATE}")
    stacks: bool = Field(description="may be used with other coupons that stack")


class UnusableCoupon(Schema):
    """A coupon that does not fit the order, and why."""

    code: str = Field(description=CODE)
    reason: str = Field(
        description="a stable code: used, expired, voided, reserved, not-yet-valid, not-on-this-day, "
        "not-at-this-hour, store-not-applicable, tier-not-applicable, no-applicable-items, items-needed (a coupon for "
        "some items on an order without lines), "
        "below-minimum-spend, item-not-in-order, no-shipping-fee"
    )
    reason_text: str = Field(description="the reason in words, in the caller's language")
    name: str = Field(description="its template's name")
    rules: str = Field(description="its rules in words")
    valid_until: str = Field(description=f"its last valid day; {BUSINESS_DATE}")


class CouponEligibility(Schema):
    """A member's coupons sorted for one order."""

    usable: list[UsableCoupon] = Field(description="best discount first")
    unusable: list[UnusableCoupon] = Field(description="the member's other coupons, each with why it does not fit")


class CouponReservationCreate(Input):
    """Hold a coupon for an order while it is being paid."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"order_id": "SH001-20261130-0042", "order": {"store_id": "SH-001", "total_fen": 25000}, "minutes": 15}
            ]
        }
    )

    order_id: Id = Field(description=ORDER_ID)
    order: CouponOrder = Field(description="the order as priced before coupons")
    minutes: int = Field(default=15, ge=1, le=1440, description="how long it holds (default 15 minutes)")
    member_code: MemberCode | None = Field(
        default=None,
        description="the member's code (会员码) as their pages show it now: a cashier holds a member's coupon only "
        "with the member there (partners, store managers, and the order already holding it need none)",
    )


class CouponReservation(Schema):
    """A coupon held for an order."""

    code: str = Field(description=CODE)
    order_id: str = Field(description=ORDER_ID)
    store_id: str = Field(description="the store of the order")
    until: str = Field(description=UTC_INSTANT)
    discount_fen: int = Field(description=FEN)


class CouponRedemptionCreate(Input):
    """Use a coupon on an order (核销)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"order_id": "SH001-20261130-0042", "order": {"store_id": "SH-001", "total_fen": 25000}}]
        }
    )

    order_id: Id = Field(description=ORDER_ID)
    order: CouponOrder = Field(description="the order as priced before coupons")
    member_code: MemberCode | None = Field(
        default=None,
        description="the member's code (会员码) as their pages show it now: a cashier uses a member's coupon only with "
        "the member there (a bearer coupon, staff who adjust points, and partners need none); not part of the order",
    )


class CouponRedemption(Schema):
    """A coupon used on an order."""

    confidential: ClassVar[bool] = True  # its code: a bearer's, usable again if the use is reversed (an integrator)

    redemption_id: str = Field(description="the redemption's id (`cr_…`)")
    code: str = Field(description=CODE)
    order_id: str = Field(description=ORDER_ID)
    store_id: str = Field(description="the store it was used at")
    member_id: str | None = Field(description=f"{MEMBER_ID}; null for a bearer coupon")
    discount_fen: int = Field(description=FEN)
    duplicate: bool = Field(default=False, description="true when this repeats the redemption of the same order")


class CouponRedemptionReversal(Input):
    """Give a used coupon back: its order was refunded (退券回流) or the redemption was a mistake (撤销核销)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "refund", "note": "整单退货"}]})

    reason: Literal["refund", "mistake"] = Field(description="refund (退款退券) or mistake (撤销核销)")
    note: Text | None = Field(default=None, description="why, in words (kept on the coupon's history)")


class CouponEntry(Schema):
    """One entry of a coupon's history: a change of its state, never edited."""

    seq: int = Field(description="the entry's number in the coupon's history, from 1")
    kind: str = Field(
        description="issue, reserve, release, redeem, return, expire, void, or offer, withdraw and transfer (转赠)"
    )
    amount: int = Field(description="+1 while usable, -1 when it stops being usable, 0 for a change of state")
    usable_after: int = Field(description="1 when usable after it, 0 when not")
    reason: str = Field(description="why, in words")
    reason_en: str | None = Field(default=None, description=REASON_EN)
    detail: dict[str, Any] | None = Field(description="what the change recorded (the order, the hold's end …)")
    actor: str | None = Field(
        description="who caused it (`staff:…`, `partner:…`, `member:…`, a job); null when a partner reads an entry "
        "made at another store"
    )
    occurred_at: str = Field(description=UTC_INSTANT)


class CouponHistory(Schema):
    """A coupon and every change of it."""

    coupon: Coupon = Field(description="the coupon as of now")
    entries: list[CouponEntry] = Field(description="oldest first: every state it was in, and why")


class CouponLiabilityLine(Schema):
    """A template's coupons: issued = usable + used + expired + voided."""

    template_id: str = Field(description="the template (`ct_…`)")
    name: str = Field(description="its name")
    face_value_fen: int = Field(description=FEN)
    issued: int = Field(description="coupons issued")
    usable: int = Field(description="available or reserved: still to be used")
    used: int = Field(description="used and not given back")
    expired: int = Field(description="expired unused")
    voided: int = Field(description="voided unused")
    usable_face_value_fen: int = Field(description=f"what the usable coupons stand for (负债); {FEN}")


class CouponLiability(Schema):
    """What the coupons issued and still usable stand for, per template and in total."""

    templates: list[CouponLiabilityLine] = Field(description="per template, by id")
    total_usable_face_value_fen: int = Field(description=FEN)
    as_of: str = Field(description=UTC_INSTANT)


class CouponBatchCreate(Input):
    """A batch issued as a job: `codes` makes `count` bearer coupons (to print or hand to a partner); `members`
    issues one to each member of a CSV you upload next (a `member_id` or `phone` column)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"kind": "codes", "count": 100000}]})

    kind: Literal["codes", "members"] = Field(description="codes (bearer codes) or members (a CSV of members)")
    count: int | None = Field(default=None, ge=1, le=MAX_CODES, description=f"codes: how many (at most {MAX_CODES:,})")

    @model_validator(mode="after")
    def _count_for_codes(self) -> CouponBatchCreate:
        if (self.kind == "codes") != (self.count is not None):
            raise ValueError("a codes batch needs count; a members batch takes none (upload its CSV)")
        return self


class BatchUpload(Schema):
    """Where to PUT the batch's CSV, before `expires_at`, then start the batch."""

    url: str = Field(description="the presigned URL to PUT the file to")
    method: str = Field(description="PUT")
    headers: dict[str, str] = Field(description="headers the PUT must carry")
    expires_at: str = Field(description=UTC_INSTANT)


class CouponBatch(Schema):
    """A coupon batch and its run's report."""

    batch_id: str = Field(description="its id (`cb_…`)")
    template_id: str = Field(description="the template it issues (`ct_…`)")
    kind: Literal["codes", "members"] = Field(description="codes or members")
    count: int = Field(description="codes asked, or the CSV's rows")
    status: Literal["awaiting_file", "running", "completed"] = Field(description="awaiting_file, running, completed")
    chunks: int = Field(description="parts of its work (25 codes, or 100 rows, each)")
    chunks_done: int = Field(description="parts finished")
    created_at: str = Field(description=UTC_INSTANT)
    created_by: str = Field(description="who made it")
    report: dict[str, Any] | None = Field(
        description="its job run's report: tallies of issued, duplicate, unknown-member, out-of-stock, limit-reached …"
    )
    upload: BatchUpload | None = Field(default=None, description="a members batch: where to upload its CSV")


class CouponCodePage(Schema):
    """A page of a codes batch's codes."""

    items: list[str] = Field(description="codes (券码)")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class CouponOffer(Schema):
    """A coupon offered to a friend (转赠): the link to send them holds ``token``, shown this once."""

    confidential: ClassVar[bool] = True

    token: str = Field(description="the offer's secret: whoever opens `/m/#/gifts/{token}` logged in may take it")
    expires_at: str = Field(description=f"the offer lapses then (24 hours), the coupon usable again; {UTC_INSTANT}")
    coupon: Coupon = Field(description="the coupon as offered (`offered_until`)")


class CouponOfferTerms(Schema):
    """What a gift is, as the friend sees it before taking it: never its code nor whose it is."""

    template_id: str = Field(description="its template (`ct_…`)")
    name: str = Field(description="the template's name")
    kind: Kind = Field(description=KIND)
    rules: str = Field(description="its rules in words, in the caller's language")
    description: str | None = Field(description="the template's more words for members (说明)")
    face_value_fen: int = Field(description=FEN)
    amount_off_fen: int | None = Field(description=f"what comes off (amount_off, threshold); {FEN}")
    percent_off: int | None = Field(description="% taken off (percent_off; 20: 8折)")
    cap_fen: int | None = Field(description=f"the most a percent coupon takes off; {FEN}")
    min_spend_fen: int = Field(description=f"what the qualifying items must reach (满); {FEN}")
    valid_from: str = Field(description=BUSINESS_DATE)
    valid_until: str = Field(description=f"the last valid day, the gift's too; {BUSINESS_DATE}")


class FriendGift(Schema):
    """A friend's gift as the member opening its link sees it."""

    confidential: ClassVar[bool] = True

    status: Literal["open", "received", "taken", "withdrawn", "lapsed", "unusable", "closed"] = Field(
        description="open (may be taken now), received (the caller took it), taken (by someone else), withdrawn "
        "(收回, or offered again with another link), lapsed (24 hours passed), unusable (the coupon was used, "
        "expired or voided) or closed (the business no longer lets this coupon be given)"
    )
    from_me: bool = Field(description="the caller offered it (they cannot take it)")
    expires_at: str | None = Field(description=f"when the offer lapses; {UTC_INSTANT}")
    received_code: str | None = Field(description="received: the code of the caller's coupon")
    refusal: Literal["tier-not-applicable", "limit-reached", "member-not-eligible"] | None = Field(
        description="open: why the caller could not take it, as taking it would answer (a tier the coupon is not "
        "for, their limit of the template reached, their membership frozen); null when they may"
    )
    coupon: CouponOfferTerms = Field(description="the coupon's terms")
