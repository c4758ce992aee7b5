"""The counter view's contract."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.membership.schemas import TILL_STORE, Effective
from chalicelib.points.schemas import CashTerms
from chalicelib.purchases.schemas import PurchaseView
from chalicelib.shared.fields import BUSINESS_DATE, Id
from chalicelib.shared.http import Input, Schema
from chalicelib.wallet.schemas import WalletCounterPaymentOut

FEN = "integer fen (分, 1/100 CNY)"


class CounterTier(Schema):
    """The member's tier (会员等级) and what it gives."""

    code: str = Field(description="the tier's code, e.g. `gold`")
    name_zh: str = Field(description="its name in Chinese, e.g. 黄金会员")
    name_en: str = Field(description="its name in English, e.g. Gold")
    valid_until: date | None = Field(description=f"the last day of the tier; {BUSINESS_DATE}; null at the lowest tier")
    benefits: dict[str, Any] = Field(description="what the tier gives (discounts, multipliers, free shipping …)")
    coupon_names: dict[str, str] = Field(
        default_factory=dict,
        description="the names of the coupon templates its benefits name (专属券, 生日券), by template id, for screens "
        "to show instead of the ids; a template no longer there is left out",
    )


class CounterPoints(Schema):
    """The member's points (积分) at a glance."""

    available: int = Field(description="points (积分) spendable now")
    pending: int = Field(description="points in a return window, spendable from their date")
    debt: int = Field(description="points owed after refunds; later credits repay it first")
    next_expiry: date | None = Field(description=f"the soonest day at whose end points expire; {BUSINESS_DATE}")
    next_expiry_points: int = Field(description="how many points expire that day")
    cash: CashTerms | None = Field(
        default=None,
        description="积分抵现: what they pay of an order at most, as the chain offers it; null: it takes none",
    )


class CounterWallet(Schema):
    """The member's stored value (储值) at a glance: what they can pay with at the till."""

    principal_fen: int = Field(description="principal (本金) the member paid in, in fen (分)")
    bonus_fen: int = Field(description="bonus (赠送金) top-up plans gave, in fen (分)")
    total_fen: int = Field(description="principal and bonus together, in fen (分)")


class CounterCoupon(Schema):
    """A coupon the member can use, as the till lists it."""

    code: str = Field(description="the coupon's code (券码): redeem it with `POST /v1/coupons/{code}/redemptions`")
    name: str = Field(description="its template's name")
    rules: str = Field(description="its rules in words")
    valid_until: str = Field(description=f"its last valid day; {BUSINESS_DATE}")


class CounterCoupons(Schema):
    """The member's usable coupons (优惠券), newest first."""

    available: list[CounterCoupon] = Field(description="up to 20 usable coupons; the eligibility route prices them")
    more: bool = Field(description="true when the member holds more than those listed")


class CounterCard(Schema):
    """A paid card (付费会员卡) the member holds or held, as the till says it."""

    card_id: str = Field(description="the card's id (`mc_…`)")
    plan_id: str = Field(description="its plan (付费会员卡方案): a renewal at the counter names it")
    plan_name: str = Field(description="its plan's name")
    status: str = Field(
        description="active, renewal-due, grace (ended, its benefits kept a few days), paused (停卡), pending (待开卡: "
        "opened at its first use), lapsed or cancelled"
    )
    started_on: date | None = Field(
        default=None, description=f"its first day (a card waiting for its first use, 待开卡: the day it starts by "
        f"itself); {BUSINESS_DATE}")  # fmt: skip
    valid_until: date | None = Field(description=f"its last day; null: lifetime; {BUSINESS_DATE}")
    paused_until: date | None = Field(
        default=None, description=f"paused today (停卡): the pause's last day; {BUSINESS_DATE}")  # fmt: skip
    grace_ends_on: date | None = Field(description=f"the last day its benefits outlast it; {BUSINESS_DATE}")
    cancelled_on: date | None = Field(description=f"the day it was cancelled (退卡), if it was; {BUSINESS_DATE}")
    stores: list[str] = Field(
        default_factory=list, description="its plan's stores, where its uses, discount and multiplier apply (单店卡); "
        "empty: every store")  # fmt: skip
    student_id: str | None = Field(
        default=None, description="the student (学员) it is for, one of `students`; null: the member's own"
    )
    refundable_unused: bool = Field(
        default=False, description="its plan refunds what was not used (退还未使用部分): lapsed, its classes left are "
        "still the member's, refunded by a cancellation or used again after an extension (延期)")  # fmt: skip


class CounterStudent(Schema):
    """A student (学员) of the member, as the till names them."""

    student_id: str = Field(description="the student's id (`st_…`)")
    name: str = Field(description="the student's name")


class CounterView(Schema):
    """What a cashier needs to serve a member at any store of the chain: who they are (phone masked), their
    tier and benefits, their points, their stored value and their usable coupons."""

    confidential = True  # a name beside a member number and a masked phone points at one person

    member_id: str = Field(description="the member's id (`mb_…`)")
    member_no: str = Field(description="the member number (会员卡号)")
    name: str = Field(description="the member's name (姓名)")
    phone_masked: str | None = Field(description="the phone, masked, e.g. `138****8000`, to confirm who it is")
    status: str = Field(description="active or frozen (a frozen member may not redeem)")
    home_store_id: str | None = Field(description="their home store (所属门店); null: none")
    tier: CounterTier = Field(description="their tier (会员等级) and benefits (权益)")
    points: CounterPoints = Field(description="their points (积分)")
    wallet: CounterWallet = Field(description="stored value (储值): principal and bonus, as they pay at the till")
    coupons: CounterCoupons = Field(description="usable coupons (优惠券), as the member code shows them to the till")
    cards: list[CounterCard] = Field(
        description="the paid cards the member holds or held, newest first (a lapsed one: the cashier offers 续费)"
    )
    students: list[CounterStudent] = Field(
        default_factory=list, description="the children the member buys classes for (学员): a card sold or a class "
        "used names one")  # fmt: skip
    effective: Effective = Field(
        description="what applies now, the tier and the cards giving benefits combined (`tier` above is the tier "
        "earned; a card's floor may lift the tier whose benefits apply, and its discount and multiplier count)"
    )


class SaleQuery(Input):
    """Where the till order was taken."""

    store_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = Field(
        default=None,
        description="the store whose till took the order (its wallet payment is the store's and the order's); "
        "default: the store of the purchase recorded at the counter",
    )


class SaleCoupon(Schema):
    """A coupon used on the order."""

    code: str = Field(description="the coupon's code")
    name: str = Field(description="its template's name")
    discount_fen: int = Field(description=f"what it took off the order; {FEN}")
    store_id: str = Field(description="the store it was used at")
    order_total_fen: int | None = Field(
        default=None,
        description=f"the order's total (订单金额) as the till said it when the coupon was used, so a till taking the "
        f"order up again prices it as it was; null for a coupon used before it was kept; {FEN}",
    )
    least_spend_fen: int = Field(
        default=0,
        description=f"what the order (the items it covers) had to reach for it (满…可用); 0: no threshold; {FEN}",
    )
    narrows_items: bool = Field(
        default=False,
        description="it counts some items only (categories, brands, SKUs, exclusions): its threshold "
        "is reached by those items, not the whole order",
    )


class SalePoints(Schema):
    """Points that paid part of a till order (积分抵现)."""

    redemption_id: str = Field(description="the redemption (`rd_…`)")
    points: int = Field(description="the points spent")
    cash_fen: int = Field(description=f"what they paid of the order; {FEN}")
    order_total_fen: int | None = Field(default=None, description=f"the order's total as the till said it; {FEN}")
    status: Literal["completed", "reversed"] = Field(
        description="`completed`, or `reversed`: given back (a refund of the whole sale, or by hand)"
    )
    created_at: str = Field(description="when they were spent")


class Sale(Schema):
    """A till order as the counter made it: what a refund of it all gives back."""

    order_id: str = Field(description="the till's order number")
    store_id: str | None = Field(description="the store asked about, or the purchase's; null: neither")
    purchase: PurchaseView | None = Field(description="the purchase recorded at the counter (消费记账); null if none")
    wallet_payment: WalletCounterPaymentOut | None = Field(
        description="the wallet payment taken at the store's till for it, with what is left to refund; null if none"
    )
    coupons: list[SaleCoupon] = Field(description="the member's coupons used on it now")
    points: SalePoints | None = Field(
        default=None, description="the points that paid part of it (积分抵现); null if none"
    )


class OpenSalesQuery(Input):
    """Whose till is asking."""

    store_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = Field(
        default=None, description="the store whose till asks: the orders begun at its tills; default: at any store"
    )


class OpenSales(Schema):
    """The member's till orders begun at the store today and not yet recorded (消费记账)."""

    items: list[Sale] = Field(description="newest first; each with its wallet payment and the coupons used on it")


class PartnerMemberLookup(Input):
    """A member a partner's till serves, found by the code their pages show (会员码)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "668000123458493817"}]})

    code: str = Field(
        max_length=40, pattern=r"^[0-9A-Za-z-]+$",
        description="the member's code (会员码) as scanned from the member pages (current for a minute)",
    )  # fmt: skip
    store_id: Id | None = Field(default=None, description=TILL_STORE + "; one of the partner's stores")
