"""The paid membership (付费会员卡) API contract: plans, the payment webhook, cards, benefits and their uses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from chalicelib.members.schemas import MemberBrief
from chalicelib.membership.rules import EXTENSION_DAYS, Term, classes_worth
from chalicelib.purchases.schemas import HAPPENED, Happened, MemberRef
from chalicelib.shared.fields import (
    BUSINESS_DATE,
    FEN,
    NEXT_CURSOR,
    REASON_EN,
    UTC_INSTANT,
    Id,
    MemberCode,
    Reason,
    Trimmed,
)  # fmt: skip
from chalicelib.shared.http import FieldInvalid, Input, MergePatch, Schema
from chalicelib.shared.pagination import PageQuery
from chalicelib.wallet.schemas import TAKEN_BY

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Trimmed]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Period = Literal["day", "week", "month", "quarter", "year", "term"]

PLAN_ID = "the plan's id (`mp_…`)"
CARD_ID = "the card's id (`mc_…`): one per member and plan, kept across renewals"
MEMBER = "the member, by exactly one of id, phone and member number"
STATUS = (
    "active; renewal-due (automatic renewal announced, within its last week); grace (past its last day, benefits "
    "still apply); paused (停卡: no benefits today, its end moved later); pending (待开卡: bought to start at its "
    "first use, its days not begun); lapsed (benefits gone, back to the earned tier's); cancelled"
)


class Months(Input):
    """A term of months."""

    months: int = Field(ge=1, le=120, description="a term of N months (月卡 1, 季卡 3, 年卡 12)")


class Days(Input):
    """A term of days."""

    days: int = Field(ge=1, le=3_660, description="a term of N days")


class BenefitIn(Input):
    """A benefit a plan gives. Each kind takes its own fields: `quota` and `period` (quota); `rate` (discount: a
    price factor such as 0.9; points_multiplier: a factor such as 1.5); `tier` (tier_floor); `template_id`,
    `count` and `period` (coupon_pack)."""

    benefit_id: Code = Field(description="the benefit's code, unique in the plan, e.g. `car-wash`")
    name: Label = Field(description="its name as members see it, e.g. 每周洗车1次")
    kind: Literal["quota", "discount", "points_multiplier", "tier_floor", "coupon_pack"] = Field(
        description="quota (counted uses per period), discount, points_multiplier, tier_floor or coupon_pack"
    )
    quota: int | None = Field(default=None, ge=1, le=10_000, description="uses per period (quota)")
    unlimited: bool = Field(
        default=False, description="quota: uses of no number (不限次, a gym's entry): each use recorded in its period "
        "(`period`, default day), none refused, no text to the member per use; `quota` left out")  # fmt: skip
    period: Period | None = Field(
        default=None,
        description="the period a quota counts in (`day`, `week`, `month`, `quarter`, `year`: calendar periods; "
        "`term`: each paid term of the card, a purchase's or a renewal's days, as a 10-class card 次卡 counts), or a "
        "pack is issued in (calendar periods only)",
    )
    rolls_over: bool = Field(default=False, description="a quota's unused uses carry into the next period (one)")
    rate: Decimal | None = Field(default=None, gt=0, le=100, max_digits=8, decimal_places=4,
                                 description="discount: price factor below 1; multiplier: factor above 1")  # fmt: skip
    stacks: bool = Field(default=False, description="a multiplier that multiplies with the others (default: best wins)")
    tier: Code | None = Field(default=None, description="tier_floor: the tier whose benefits apply while active")
    template_id: Id | None = Field(default=None, description="coupon_pack: the coupon template (`ct_…`)")
    count: int = Field(default=1, ge=1, le=20, description="coupon_pack: coupons per period")
    value_fen: int = Field(
        default=0, ge=0, le=10**8, description=f"what one use is worth, deducted on refund (a plan refunded by its "
        f"uses needs it said: 0 for classes given free, 赠课); {FEN}")  # fmt: skip

    @model_validator(mode="after")
    def _fits_kind(self) -> BenefitIn:
        if self.unlimited:
            if self.kind != "quota" or self.quota is not None or self.rolls_over:
                raise ValueError("only a quota is unlimited (不限次), without a quota number or a roll-over")
            self.period = self.period or "day"
        needs = {
            "quota": ("period",) if self.unlimited else ("quota", "period"), "discount": ("rate",),
            "points_multiplier": ("rate",), "tier_floor": ("tier",), "coupon_pack": ("template_id", "period"),
        }[self.kind]  # fmt: skip
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} benefit needs {', '.join(missing)}")
        if self.kind == "coupon_pack" and self.period == "term":
            raise ValueError("a coupon pack is issued per calendar period: day, week, month, quarter or year")
        if self.kind == "discount" and self.rate is not None and self.rate >= 1:
            raise ValueError("a discount's rate is a price factor below 1, e.g. 0.9 for 10% off")
        if self.kind == "points_multiplier" and self.rate is not None and self.rate <= 1:
            raise ValueError("a points multiplier is above 1, e.g. 1.5")
        return self


class RefundPolicyIn(Input):
    """What a cancellation refunds."""

    kind: Literal["none", "pro_rata", "full_within_days", "unused"] = Field(
        default="none",
        description="none; pro_rata (the unused days' share); full_within_days (all within `days`); unused "
        "(退还未使用部分: all that was paid, on any day, less the value of the uses, as a class pack 次卡 refunds "
        "the classes left)",
    )
    days: int = Field(default=0, ge=0, le=365, description="full_within_days: days after the first payment")
    deduct_used: bool = Field(
        default=False, description="keep back the value of the counted benefits used (always, with unused)"
    )

    @model_validator(mode="after")
    def _days_with_their_kind(self) -> RefundPolicyIn:
        if self.kind == "full_within_days" and self.days < 1:
            raise ValueError("full_within_days needs days: at least 1 (a walkthrough's 0 days refunded nothing)")
        if self.kind != "full_within_days" and self.days:
            raise ValueError("days go with full_within_days only")
        if self.kind == "unused":
            if "deduct_used" in self.model_fields_set and not self.deduct_used:
                raise ValueError("unused always keeps back the value of the uses: deduct_used cannot be false")
            self.deduct_used = True
        return self


class PausePolicyIn(Input):
    """停卡: how often and how long a card of the plan may be paused (an injury, a trip), its end moving as many days
    later."""

    times: int = Field(ge=1, le=12, description="pauses begun in one paid term, at most")
    days: int = Field(ge=1, le=365, description="days paused in one paid term, in all, at most")
    min_days: int = Field(default=1, ge=1, le=365, description="the fewest days one pause lasts")

    @model_validator(mode="after")
    def _fits(self) -> PausePolicyIn:
        if self.min_days > self.days:
            raise FieldInvalid("min_days", "a pause's least days exceed the days allowed in all")
        return self


class PlanCreate(Input):
    """A paid membership plan (付费会员卡方案)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "健身金卡·月卡",
                    "term": {"months": 1},
                    "price_fen": 29900,
                    "benefits": [
                        {"benefit_id": "pt-session", "name": "私教课每周1次", "kind": "quota", "quota": 1,
                         "period": "week", "value_fen": 20000},
                        {"benefit_id": "discount", "name": "购物95折", "kind": "discount", "rate": "0.95"},
                        {"benefit_id": "gold", "name": "享黄金会员权益", "kind": "tier_floor", "tier": "gold"},
                    ],
                    "trial_days": 7,
                    "auto_renew": True,
                    "grace_days": 3,
                    "refund": {"kind": "pro_rata", "deduct_used": True},
                }
            ]
        }
    )  # fmt: skip

    name: Label = Field(description="its name as members see it")
    term: Months | Days | Literal["lifetime"] = Field(description='{months: N}, {days: N} or "lifetime"')
    price_fen: int = Field(ge=0, le=10**8, description=f"the price of one term; {FEN}")
    benefits: list[BenefitIn] = Field(default_factory=list, max_length=20, description="what the card gives")
    description: str = Field(default="", max_length=500, description="what members read on the plan")
    trial_days: int = Field(default=0, ge=0, le=90, description="a free trial of N days, once per member; 0: none")
    auto_renew: bool = Field(default=False, description="members may turn automatic renewal on (自动续费)")
    self_service: bool = Field(
        default=True, description="members buy it (and start its trial) on their own pages; false: sold at the "
        "counter or by a partner's till only (an education centre's class pack, sold at its desk)")  # fmt: skip
    grace_days: int = Field(default=3, ge=0, le=60, description="days after the end the benefits still apply")
    refund: RefundPolicyIn = Field(default_factory=RefundPolicyIn, description="what a cancellation refunds")
    stores: list[Id] = Field(
        default_factory=list, max_length=500, description="a card of some stores (单店卡): the stores selling it at "
        "their tills and honouring its counted uses, discount and multiplier (its tier floor and coupons hold "
        "everywhere); empty: every store (通店卡). Kept as sold, as its terms")  # fmt: skip
    pause: PausePolicyIn | None = Field(
        default=None, description="停卡: staff may pause its cards so (a lifetime card has no end to move: refused); "
        "null: never paused")  # fmt: skip
    activation_days: int | None = Field(
        default=None, ge=1, le=365, description="首次使用开卡: a card bought (not renewed) waits to start until the "
        "counter opens it at the member's first visit (`POST …/cards/{card_id}/activation`), and starts by itself "
        "after this many days at the latest (a gym's card sold ahead); null: it starts the day it is bought",
    )  # fmt: skip

    @model_validator(mode="after")
    def _benefit_ids_unique(self) -> PlanCreate:
        ids = [b.benefit_id for b in self.benefits]
        if len(ids) != len(set(ids)):
            raise ValueError("benefit ids must be unique in a plan")
        if len(set(self.stores)) != len(self.stores):
            raise FieldInvalid("stores", "a store repeats in stores")
        if self.term == "lifetime" and self.pause is not None:
            raise FieldInvalid("pause", "a lifetime card has no end to move: it is never paused")
        if self.term == "lifetime" and self.auto_renew:
            raise FieldInvalid("auto_renew", "a lifetime card is never renewed")
        if self.term == "lifetime" and self.refund.kind == "pro_rata":
            raise FieldInvalid(
                "refund.kind", "a lifetime card has no unused days to refund pro rata: none, full_within_days or unused"
            )
        if self.refund.kind == "unused":
            if self.auto_renew:  # each payment stays refundable until the card is cancelled: the card would grow
                raise FieldInvalid(
                    "auto_renew", "a card refunded by its uses (unused) is bought again by hand, not renewed by itself"
                )
            _refundable_by_uses(self.benefits, self.price_fen, self.term)
        return self


def _term_of(term: Months | Days | str) -> Term:
    return (
        Term(months=term.months)
        if isinstance(term, Months)
        else Term(days=term.days)
        if isinstance(term, Days)
        else Term()
    )


def _refundable_by_uses(benefits: list[BenefitIn], price_fen: int, term: Months | Days | str) -> None:
    """A card refunded by its uses (``unused``) gives only counted benefits, each worth ``value_fen`` a use (a class
    without a value would be refunded though taken), and a term's classes are worth its price at least (ten classes
    at ¥0.01 each would give back ¥999.90 of ¥1,000 once all were taken: a review), counting a calendar quota over
    the fewest of its periods the term holds (a probe's six-month card of one class a month, ¥100 each, for ¥1,000
    refunded ¥400 once all six were taken). A discount, a multiplier or a tier
    floor counts no use, and a coupon pack's coupons are not counted against what a refund of all but one use keeps
    (a review kept two months' packs so), so a member could buy, enjoy and refund them."""
    if not any(b.kind == "quota" for b in benefits):
        raise FieldInvalid("benefits", "refund unused needs a counted benefit (quota) whose uses are kept back")
    unvalued = [
        b.benefit_id
        for b in benefits
        if b.kind == "quota" and not b.unlimited and b.value_fen < 1 and "value_fen" not in b.model_fields_set
    ]  # fmt: skip  (0 said: classes given free, 赠课)
    if unvalued:
        raise FieldInvalid(
            "benefits",
            f"refund unused keeps back each use's value: give {', '.join(unvalued)} a value_fen (0 "
            "said for classes given free, 赠课)",
        )
    a_term = classes_worth(benefits, _term_of(term))
    if a_term is not None and a_term < price_fen:  # a member using all of them would still be refunded (a probe)
        raise FieldInvalid(
            "benefits",
            f"refund unused: a term's classes are worth {a_term} fen at most, less than its price {price_fen}",
        )
    uncounted = [b.benefit_id for b in benefits if b.kind in ("discount", "points_multiplier", "tier_floor",
                                                             "coupon_pack") or b.unlimited]  # fmt: skip
    if uncounted:
        raise FieldInvalid(
            "benefits",
            f"refund unused counts no use of {', '.join(uncounted)} (a discount, multiplier, tier floor or coupon "
            "pack): "
            "refund such a card pro rata, within days, or not at all",
        )


class PlanPatch(MergePatch):
    """What may change on a plan: its name, description and whether it is on sale (none of them null: an empty
    description clears it). Terms and benefits are kept as sold (make a new plan for new terms)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"on_sale": False}]})

    name: Label | None = Field(default=None, description="its new name")
    description: str | None = Field(default=None, max_length=500, description="what members read on the plan")
    on_sale: bool | None = Field(default=None, description="false: no longer sold (cards sold keep their benefits)")
    self_service: bool | None = Field(default=None, description="false: no longer sold on the member pages")


class BenefitOut(Schema):
    """A benefit of a plan, as created."""

    benefit_id: str = Field(description="the benefit's code, unique in the plan")
    name: str = Field(description="its name as members see it (权益名称)")
    kind: str = Field(description="quota, discount, points_multiplier, tier_floor or coupon_pack")
    quota: int | None = Field(default=None, description="uses per period (quota); null otherwise")
    unlimited: bool = Field(default=False, description="a quota of no number (不限次): uses recorded, none refused")
    period: str | None = Field(
        default=None, description="day, week, month, quarter or year (quota, coupon_pack); term (quota: per paid term)"
    )
    rolls_over: bool = Field(default=False, description="a quota's unused uses carry into the next period (one)")
    rate: str | None = Field(default=None, description="a discount's price factor or a multiplier's factor")
    stacks: bool = Field(default=False, description="a multiplier that multiplies with the others")
    tier: str | None = Field(default=None, description="a tier floor's tier code")
    template_id: str | None = Field(default=None, description="a coupon pack's template (`ct_…`)")
    count: int = Field(default=1, description="coupons per period (coupon_pack)")
    value_fen: int = Field(default=0, description=f"what one use is worth when a refund deducts it; {FEN}")


class PlanOut(Schema):
    """A paid membership plan (付费会员卡方案)."""

    plan_id: str = Field(description=PLAN_ID)
    name: str = Field(description="its name as members see it")
    term: dict[str, int] | str = Field(description='{months: N}, {days: N} or "lifetime"')
    price_fen: int = Field(description=f"the price of one term; {FEN}")
    benefits: list[BenefitOut] = Field(description="what the card gives (权益)")
    description: str = Field(description="what members read on the plan")
    trial_days: int = Field(description="the free trial's days, once per member (0: none)")
    auto_renew: bool = Field(description="whether members may turn automatic renewal on (自动续费)")
    grace_days: int = Field(description="days after the end its benefits still apply")
    refund: dict[str, Any] = Field(description="what a cancellation refunds: {kind, days, deduct_used}")
    on_sale: bool = Field(description="sold to new members (a plan off sale still renews its cards)")
    self_service: bool = Field(default=True, description="sold on the member pages too (false: counter and tills only)")
    stores: list[str] = Field(
        default_factory=list, description="the stores selling it and honouring its uses, discount and multiplier "
        "(单店卡); empty: every store (通店卡)")  # fmt: skip
    pause: dict[str, int] | None = Field(
        default=None, description="停卡: {times, days, min_days} a paid term allows; null: never paused"
    )
    activation_days: int | None = Field(
        default=None, description="首次使用开卡: a new card starts at its first use, by itself after these days at "
        "the latest; null: the day it is bought")  # fmt: skip
    created_at: str = Field(description=UTC_INSTANT)
    created_by: str = Field(description="who created it (`staff:<id>`)")
    trial_open: bool | None = Field(
        default=None, description="to the member reading their plans (`/v1/me/membership/plans`): whether they may "
        "start its free trial now (it has one, nobody of the family held its card, and their phone had none before); "
        "null to staff")  # fmt: skip


class PlanList(Schema):
    """Paid membership plans, oldest first."""

    items: list[PlanOut] = Field(description="the plans")


STUDENT_FOR = (
    "the member's student (学员, `st_…`) the card is for: a card per plan and student, so a second child's pack is a "
    "card of its own (its dates, classes and refund); null: the member's own card of the plan"
)
StudentId = Annotated[str, StringConstraints(pattern=r"^st_[0-9a-f]{8}$")]


class MembershipPayment(Input):
    """A paid card purchase or renewal a partner (POS, e-shop, mini program) took payment for."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "payment_id": "PAY-20261130-0001",
                    "member": {"phone": "13800138000"},
                    "plan_id": "mp_01J0000000000000000000000",
                    "occurred_at": "2026-11-30T10:00:00+08:00",
                    "amount_fen": 29900,
                }
            ]
        }
    )

    payment_id: Id = Field(description="the partner's payment id: a card is extended once per payment id, for good")
    member: MemberRef = Field(description=MEMBER)
    plan_id: Id = Field(description=PLAN_ID)
    occurred_at: Happened = Field(description=f"when it was paid; {HAPPENED}")
    amount_fen: int = Field(ge=0, le=10**8, description=f"what was paid: the plan's price; {FEN}")
    auto_renewal: bool = Field(
        default=False, description="an automatic renewal's charge: refused until 5 days after its notice"
    )
    store_id: Id | None = Field(
        default=None, description="the store (门店) that sold it, one of the partner's: its figures count the sale"
    )
    student_id: StudentId | None = Field(default=None, description=STUDENT_FOR)


class MembershipPaymentAnswer(Schema):
    """What a card payment booked."""

    payment_id: str = Field(description="the payment id, as reported (or made for a stored-value purchase)")
    member_id: str = Field(description="the member's id (`mb_…`)")
    card_id: str = Field(description=CARD_ID)
    valid_until: date | None = Field(
        description=f"the card's last day after this payment; null: lifetime; {BUSINESS_DATE}"
    )
    starts_on: date | None = Field(
        default=None, description=f"a card waiting for its first visit (待开卡): the day it starts by itself, its "
        f"`valid_until` counted from it until the counter opens it; null: it runs; {BUSINESS_DATE}")  # fmt: skip
    duplicate: bool = Field(description="true when this repeats an earlier report: the first answer, nothing again")


class CounterCardSale(Input):
    """A card (开卡) or its renewal (续卡) sold at the counter: the money taken at the till (cash, a bank card…), the
    card at once (a salon or a gym without a till system that reports payments)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "plan_id": "facial-10",
                    "store_id": "SH-001",
                    "order_id": "POS-20261204113859-UQKH",
                    "amount_fen": 298000,
                    "payment_method": "wechat_pay",
                }
            ]
        }
    )

    plan_id: Id = Field(description="the plan (付费会员卡方案) sold: on sale, or the member's own card's to renew")
    store_id: Id = Field(description="the store (门店) taking the money: one of a store-scoped cashier's")
    order_id: Id = Field(
        description="the till's order or receipt number (订单号) the money was taken under: one card payment per "
        "order, at whichever store, for good"
    )
    amount_fen: int = Field(
        ge=0, le=10**8, description=f"what the member paid: the plan's price (the cashier confirms it), less "
        f"`coupon_discount_fen`; {FEN}")  # fmt: skip
    coupon_discount_fen: int = Field(
        default=0, ge=0, le=10**8, description="what the coupons used on this order (续费券, 新生券: redeemed on "
        f"`order_id` first, the card as its one line) took off the plan's price, as they did; {FEN}")  # fmt: skip
    payment_method: Literal["cash", "wechat_pay", "alipay", "card", "wallet", "mixed"] | None = Field(
        default=None,
        description=f"{TAKEN_BY}; `wallet`: the member's stored value (储值) pays it whole, with `member_code` (a card "
        "is paid whole: by the till or by stored value, never part of each: `mixed` is 422 `payment-not-applicable`)",
    )
    member_code: MemberCode | None = Field(
        default=None,
        description="with `wallet`: the member's code (会员码) their pages show now, scanned or typed (the member is "
        "there; the code pays once)",
    )
    student_id: StudentId | None = Field(default=None, description=STUDENT_FOR)

    @model_validator(mode="after")
    def _code_with_wallet(self) -> CounterCardSale:
        if self.payment_method == "wallet" and self.member_code is None:
            raise FieldInvalid("member_code", "required to pay from stored value (payment_method wallet)")
        return self


class CardPurchase(Input):
    """A member buying or renewing a card from the member pages: paid from their stored value (储值支付), or the
    plan's free trial."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"plan_id": "mp_01J0000000000000000000000",
                                                               "pay_with": "wallet"}]})  # fmt: skip

    plan_id: Id = Field(description=PLAN_ID)
    pay_with: Literal["wallet", "trial"] = Field(description="wallet: stored value; trial: the plan's free trial")
    student_id: StudentId | None = Field(default=None, description=STUDENT_FOR)


class CardPatch(Input):
    """Automatic renewal switched by the member."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"auto_renew": True}]})

    auto_renew: bool = Field(description="automatic renewal (自动续费) on or off; off takes effect at once")


class CardPause(Input):
    """停卡: a card paused for some days, its end moved as many days later."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"pause_id": "PZ-20270310-0001", "days": 30,
                                                               "reason": "出差"}]})  # fmt: skip

    pause_id: Id = Field(description="the caller's id for this pause: once per id")
    first_day: date | None = Field(
        default=None, description=f"its first day, today to 30 days ahead within the card's days; default today; "
        f"{BUSINESS_DATE}")  # fmt: skip
    days: int = Field(ge=1, le=365, description="how many days, within the plan's policy")
    reason: Reason = Field(description="why, as the member said it (an injury, a trip); staff read it on the history")


class CardExtension(Input):
    """延期: days given after a card's end (a lapsed card revived from today), nothing paid."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"extension_id": "EX-20270310-0001", "days": 30,
                                                               "reason": "课时未用完，寒假延期"}]})  # fmt: skip

    extension_id: Id = Field(description="the caller's id for this extension: once per id")
    days: int = Field(ge=1, le=EXTENSION_DAYS, description="how many days it gives, after the card's end (from "
                      "today for a card past it)")  # fmt: skip
    reason: Reason = Field(description="why (the member's lessons left, an injury, a complaint); staff read it on the "
                           "history, the member reads the days and the new end")  # fmt: skip


class CardCancellation(Input):
    """Cancel a card now (退卡), refunded by its plan's policy."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"cancel_id": "CS-20261130-0001", "reason": "搬家",
                                                               "refund": "policy"}]})  # fmt: skip

    cancel_id: Id = Field(description="the caller's id for this cancellation: once per id")
    reason: Reason = Field(description="why, as the member said it; shown on the card's history")
    refund: Literal["policy", "none"] = Field(
        default="policy", description="policy: refund what the plan's policy gives; none: cancel without refund"
    )


class PaymentOut(Schema):
    """A payment that made or extended a card."""

    payment_id: str = Field(description="the payment's id")
    kind: str = Field(
        description="purchase, renewal, auto-renewal, trial, or extension (days given: 延期, nothing paid)"
    )
    amount_fen: int = Field(description=f"what was paid; {FEN}")
    first_day: date = Field(description=f"the first day it paid for; {BUSINESS_DATE}")
    last_day: date | None = Field(description=f"the last day it paid for; null: lifetime; {BUSINESS_DATE}")
    paid_at: str = Field(description=UTC_INSTANT)
    refunded_fen: int = Field(description=f"what of it a cancellation refunded; {FEN}")
    method: str = Field(
        description="how it was paid: wallet (stored value), partner:<partner id>, counter[:<how>] (taken at the "
        "counter: cash, wechat_pay …), trial, or extension (days given by staff)"
    )
    settled: bool = Field(
        default=False, description="closed by a cancellation: its refunded part went back, the rest was kept for good"
    )
    store_id: str | None = Field(default=None, description="the store that took it, when one did (门店)")
    order_id: str | None = Field(
        default=None, description="the till's order (订单号) it was taken under, at the counter"
    )


class EarlierPayments(Schema):
    """A card's earlier payments, no longer listed one by one: settled by a cancellation, or every day of them gone
    while no full refund's window is open (a refund gives nothing back of them)."""

    count: int = Field(description="how many")
    settled: int = Field(description="how many of them a cancellation settled")
    paid_fen: int = Field(description=f"paid by them and not refunded; {FEN}")


class PauseOut(Schema):
    """A card's pause (停卡)."""

    pause_id: str = Field(description="the pause's id")
    first_day: date = Field(description=f"its first day; {BUSINESS_DATE}")
    last_day: date = Field(description=f"its last day; {BUSINESS_DATE}")
    reason: str = Field(description="why, as staff noted it (empty on the member's own pages)")


class CardOut(Schema):
    """A member's paid card (付费会员卡)."""

    card_id: str = Field(description=CARD_ID)
    member_id: str = Field(description="the member's id (`mb_…`)")
    plan_id: str = Field(description=PLAN_ID)
    plan_name: str = Field(description="the plan's name")
    status: str = Field(description=STATUS)
    started_on: date = Field(description=f"its first day; {BUSINESS_DATE}")
    valid_until: date | None = Field(description="the last day; null: lifetime")
    grace_ends_on: date | None = Field(description="the last day its benefits apply after its end (grace)")
    auto_renew: bool = Field(description="automatic renewal (自动续费) on")
    renewal_notice_on: date | None = Field(description="when an automatic renewal is announced (a week ahead)")
    charge_not_before: date | None = Field(description="the first day an automatic renewal may be charged")
    cancelled_on: date | None = Field(description="the day it was cancelled (退卡)")
    paid_fen: int = Field(description=f"paid for it and not refunded; {FEN}")
    payments: list[PaymentOut] = Field(
        description="the payments that made and extended it, oldest first (the "
        "latest three at least, and every one a refund may still touch)"
    )
    earlier_payments: EarlierPayments = Field(description="the earlier payments, no longer listed one by one")
    stores: list[str] = Field(
        default_factory=list, description="its plan's stores, where its uses, discount and multiplier apply (单店卡); "
        "empty: every store")  # fmt: skip
    pauses: list[PauseOut] = Field(default_factory=list, description="its pauses this cycle (停卡), past and to come")
    student_id: str | None = Field(
        default=None,
        description="the member's student (学员) it is for; null: the member's "
        "own (their name is on the member's `students`)",
    )


class CardChanged(CardOut):
    """A card as a pause or its end left it."""

    duplicate: bool = Field(description="true when this repeats an earlier request: nothing done again")


class CardList(Schema):
    """A member's cards, newest first."""

    items: list[CardOut] = Field(description="the cards")


class CardHistoryItem(Schema):
    """One thing that happened to a card."""

    entry_id: str = Field(description="the ledger entry's id (`me_…`); a lapse's `lapse:<card_id>:<cycle>`")
    kind: str = Field(
        description="purchase, renewal, auto-renewal, trial, refund, notice, lapse (the running cycle's, once the "
        "nightly job lapsed it; no money moves), or birthday (the points its tier "
        "floor added to a birthday gift, which a cancellation refunding all it was paid takes back; amount 0)"
    )
    amount_fen: int = Field(description=f"money paid (positive) or refunded (negative); {FEN}")
    reason: str = Field(description="what happened, in words (a refund explains how it was worked out)")
    reason_en: str | None = Field(default=None, description=REASON_EN)
    actor: str = Field(description="who did it (`staff:<id>`, `partner:<id>`, `member:<id>`, `system`)")
    occurred_at: str = Field(description=UTC_INSTANT)


class CardHistory(Schema):
    """A card's history, oldest first."""

    items: list[CardHistoryItem] = Field(description="what happened")


class CancellationQuery(Input):
    """Which refund a cancellation quote is for."""

    refund: Literal["policy", "none"] = Field(
        default="policy", description="policy: what the plan's policy gives; none: a cancellation without refund"
    )


class CancellationQuote(Schema):
    """What cancelling the card now would refund, and why: nothing is written."""

    refund_fen: int = Field(description=f"what the business would owe back; {FEN}")
    explanation: str = Field(description="how it is worked out, in words, as the cancellation would write it")
    explanation_en: str = Field(description="the same in English")
    packs_taken_back: int = Field(description="coupons of the card's packs the cancellation would take back")


class CancellationAnswer(Schema):
    """A cancelled card and its refund."""

    card: CardOut = Field(description="the card after it")
    refund_fen: int = Field(description=f"what the business owes back; {FEN}")
    explanation: str = Field(description="how the refund was worked out, in words")
    explanation_en: str | None = Field(
        default=None,
        description="the same in English (null in an answer given again for a cancellation made before it was added)",
    )
    duplicate: bool = Field(description="true when this repeats an earlier cancellation: the first answer")


class BenefitNow(Schema):
    """A benefit the member has now."""

    benefit_id: str = Field(description="the benefit's code")
    name: str = Field(description="its name (权益名称)")
    kind: str = Field(description="quota, discount, points_multiplier, tier_floor or coupon_pack")
    source: str = Field(description="tier (the member's tier) or card")
    source_id: str = Field(description="the tier's code or the card's id")
    source_name: str = Field(description="the tier's or the plan's name")
    student_id: str | None = Field(
        default=None,
        description="a card's for a student (学员): theirs, one of the member's `students`; a use of it is their class",
    )
    applies: bool = Field(description="whether it applies now (the best discount does; a weaker one does not)")
    rate: str | None = Field(default=None, description="a discount's price factor or a multiplier's factor")
    tier: str | None = Field(default=None, description="a tier floor's tier")
    quota: int | None = Field(default=None, description="uses per period (quota)")
    period: str | None = Field(default=None, description="the period a quota counts in")
    remaining: int | None = Field(description="uses left this period (quota); null: not counted, or unlimited")
    unlimited: bool = Field(default=False, description="a quota of no number (不限次): uses recorded, none refused")
    allowed: int | None = Field(
        default=None,
        description="the uses this period allows: its quota, what rolled over, and for a term quota the terms paid "
        "ahead (a 次卡 bought again); null: not counted",
    )
    ahead: int = Field(default=0, description="of `remaining`, the uses of the terms paid ahead (a 次卡 bought again "
                       "before the last ran out): usable now, not lost at this term's end")  # fmt: skip
    period_ends_on: date | None = Field(description="the last day of the period the quota counts in")
    until: date | None = Field(description="the source's last day (a card's end, grace included); null: open")
    through_card: str | None = Field(
        default=None,
        description="for a tier's benefits that a card's tier floor (等级保底) gives: the card's plan name; `until` is "
        "then the card's last day",
    )
    stores: list[str] = Field(
        default_factory=list, description="the stores it is used or applies at, a card's of some stores (单店卡); "
        "empty: every store (a tier floor and a coupon pack always)")  # fmt: skip


class Effective(Schema):
    """What applies now, every source combined."""

    discount_rate: str = Field(description="the price factor that applies (1: none)")
    points_multiplier: str = Field(description="the points multiplier (积分倍率) a purchase earns with")
    tier: str = Field(description="the tier whose benefits apply (a card's floor, or the earned tier)")
    earned_tier: str = Field(description="the tier the member earned (会员等级)")


TILL_STORE = (
    "the till's store: `effective` is what applies there (a card of other stores, 单店卡, gives no discount nor "
    "multiplier there); left out, what applies at any of the member's cards' stores"
)


class TillQuery(Input):
    """Where the member is served."""

    store_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = Field(
        default=None, description=TILL_STORE
    )


class PausedCard(Schema):
    """A card paused today (停卡): its benefits wait until it resumes."""

    card_id: str = Field(description="the card (`mc_…`)")
    plan_name: str = Field(description="its plan's name")
    paused_until: date = Field(description="the pause's last day; the card's benefits come back the day after")
    student_id: str | None = Field(default=None, description="a student's card (学员): theirs")


class BenefitList(Schema):
    """The member's benefits now (权益) and what applies."""

    items: list[BenefitNow] = Field(description="every benefit of the tier and the cards giving benefits")
    effective: Effective = Field(description="what applies, combined")
    paused: list[PausedCard] = Field(
        default_factory=list, description="cards paused today, whose benefits are not among `items` until they resume"
    )


class BenefitUse(Input):
    """One use of a counted benefit."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"use_id": "BOOKING-20261130-17", "note": "私教课"}]})

    use_id: Id = Field(description="the caller's id for this use (e.g. the class booking): counted once per id")
    note: str = Field(default="", max_length=200, description="what it was used for (the class, the coach)")
    store_id: Id | None = Field(
        default=None,
        description="the store (门店) it was used at, one of a store-scoped caller's; the use record shows it",
    )
    member_code: MemberCode | None = Field(
        default=None,
        description="the member's code (会员码) as their pages show it now: a cashier uses a member's benefit only "
        "with the member there (staff who adjust points need none); not part of the use's content",
    )
    source_id: Id | None = Field(
        default=None,
        description="the card (`mc_…`) or tier (its code) to draw from, as the member's benefits list it "
        "(`source_id`); left out, the source that ends first. Needed when the member holds the code as different "
        "benefits (two class packs whose classes share a code)",
    )


class BenefitUseRecord(Schema):
    """A use of a counted benefit, or its reversal, as the use record (消课记录) lists it."""

    kind: Literal["use", "reversal"] = Field(description="`use` (one counted), or `reversal` (one taken back)")
    use_id: str | None = Field(description="the use's id, as recorded (a use); null for a reversal")
    undoes: str | None = Field(description="the entry of the use a reversal took back (`entry_id`); null for a use")
    entry_id: str = Field(description="this record's entry (`bu_…`)")
    benefit_id: str = Field(description="the benefit's code")
    source_id: str | None = Field(description="the card it was drawn from (`mc_…`); null: the tier's own benefit")
    student_id: str | None = Field(
        default=None,
        description="whose class it was: the student (学员) the card is for; null: the member's own card or their tier",
    )
    reason: str = Field(description="in words, e.g. 使用权益「私教课每周1次」 or 撤销使用权益「私教课每周1次」")
    reason_en: str | None = Field(default=None, description=REASON_EN)
    note: str | None = Field(description="what it was used for, as recorded")
    store_id: str | None = Field(description="the store it was used at, when recorded")
    at: str = Field(description=f"when it was recorded; {UTC_INSTANT}")
    recorded_by: str | None = Field(
        description="who recorded it (`staff:<id>`, a partner or the CLI); null for members"
    )


class BenefitUseQuery(PageQuery):
    """A page of the use record, of one student's classes when asked."""

    student_id: StudentId | None = Field(
        default=None,
        description="only the uses and reversals of this student's (学员) cards: a child's attendance (消课记录) "
        "across their packs; absent: every use",
    )


class BenefitUsePage(Schema):
    """A page of the use record, newest first."""

    items: list[BenefitUseRecord] = Field(description="this page's uses and reversals")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class BenefitUseAnswer(Schema):
    """A recorded (or taken back) use."""

    use_id: str = Field(description="the use's id, as given")
    member_id: str = Field(description="the member's id (`mb_…`)")
    benefit_id: str = Field(description="the benefit's code")
    source_id: str = Field(description="the tier or card whose quota it drew from")
    remaining: int | None = Field(
        description="uses left of this benefit this period: of the source named, else every source added; null where "
        "a source gives it without a number (不限次)"
    )
    period_ends_on: date = Field(description=f"the last day of the period it counts in; {BUSINESS_DATE}")
    reversed: bool = Field(default=False, description="true when this took the use back")
    duplicate: bool = Field(default=False, description="true when this repeats an earlier call: the first answer")


class MembershipJournalLine(Schema):
    """A card sold or refunded at the store (会员卡流水)."""

    occurred_at: str = Field(description=f"when it was booked; {UTC_INSTANT}")
    kind: Literal["sale", "refund"] = Field(
        description="sale (开卡/续卡: money taken), refund (退卡: money given back)"
    )
    member_id: str = Field(description="whose card (`mb_…`)")
    card_id: str = Field(description=CARD_ID)
    plan_name: str = Field(description="the card's plan, as members read it")
    amount_fen: int = Field(description=f"the money, signed: taken positive, given back negative; {FEN}")
    method: Literal["counter", "partner", "wallet"] = Field(
        description="counter (taken at this store's counter), partner (its till system took it and gives it back), "
        "wallet (the member's stored value at this store's counter: given back to the wallet)"
    )
    payment_method: str | None = Field(
        description="how it was taken, and so given back (支付方式: cash, wechat_pay …, wallet), when said"
    )
    order_id: str | None = Field(description="the till's order it was taken under, when one")
    reference: str = Field(description="the payment id, or `<cancel id>:<payment id>` for a refund")
    recorded_by: str = Field(description="who booked it (`staff:<id>`, `partner:<id>`)")
    coupon_fen: int = Field(
        default=0, description=f"a sale's: what the coupons used on its order took off the plan's price (续费券); {FEN}"
    )
    student_id: str | None = Field(default=None, description="a child's card: the student (学员) it is for")
    student_name: str | None = Field(
        default=None, description="that student's name, from their parent's record; null when none, or removed since"
    )
    member: MemberBrief | None = Field(default=None, description="whose card, as member lists show them")


class MembershipJournalPage(Schema):
    """A page of a store's journal of paid cards, newest first."""

    items: list[MembershipJournalLine] = Field(description="this page's lines")
    next_cursor: str | None = Field(description=NEXT_CURSOR)
