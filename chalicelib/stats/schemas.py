"""The statistics API contract: the dashboard's day figures and standing figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, ValidationError, model_validator

from chalicelib.shared.fields import BUSINESS_DATE, FEN, UTC_INSTANT, Day, Trimmed
from chalicelib.shared.http import Input, Schema
from chalicelib.stats.reports import LONGEST, MIX_DAYS
from chalicelib.stats.rules import MAX_DAYS

StoreId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
STORE = "the store (门店) whose figures to read; left out: the whole chain (staff scoped to several stores name one)"


class DailyQuery(Input):
    """Business days ``from`` through ``to`` (at most 92 days), for the chain or one store."""

    from_: Day = Field(alias="from", description=f"the first day; {BUSINESS_DATE}")
    to: Day = Field(description=f"the last day, at most {MAX_DAYS} days counting both ends; {BUSINESS_DATE}")
    store_id: StoreId | None = Field(default=None, description=STORE)

    @model_validator(mode="after")
    def _span(self) -> DailyQuery:
        if not 0 <= (self.to - self.from_).days < MAX_DAYS:
            raise ValueError(f"'to' must be on or after 'from', at most {MAX_DAYS} days counting both")
        return self


class SummaryQuery(Input):
    """The chain's standing figures, or one store's members."""

    store_id: StoreId | None = Field(default=None, description=STORE)


NO_MONEY = "null for staff without `reports:money` (they see counts, as in the reports)"


class DayFigures(Schema):
    """What was booked on one business day (or in a period, for totals): counts and amounts, never a balance."""

    new_members: int = Field(description="members registered (新增会员); at a store: with it as their home store")
    purchases: int = Field(description="purchases reported (消费笔数)")
    sales_fen: int | None = Field(description=f"what those purchases paid, after discounts (销售额); {FEN}; {NO_MONEY}")
    refunds: int = Field(description="refunds reported (退款笔数); at a store: of its orders")
    refunded_fen: int | None = Field(description=f"what the refunds gave back (退款金额); {FEN}; {NO_MONEY}")
    points_issued: int = Field(
        description="points credited (发放积分): earned by purchases, activities and tier gifts, opening balances and "
        "positive adjustments"
    )
    points_redeemed: int = Field(
        description="points redeemed (兑换积分), net of reversals that day (a day with only a reversal is negative)"
    )
    points_expired: int = Field(
        description="points expired (过期积分) at the day's end, which the nightly job books minutes into the next day"
    )
    points_deducted: int = Field(
        description="points taken by negative adjustments and refund claw-backs (扣减积分); issued − redeemed − "
        "expired − deducted is the change of the points outstanding"
    )
    wallet_top_ups_fen: int | None = Field(
        description=f"money paid into wallets (储值充值本金), bonus not counted; {FEN}; {NO_MONEY}"
    )
    wallet_payments_fen: int | None = Field(
        description=f"what wallet payments took, principal and bonus (储值消费); {FEN}; {NO_MONEY}"
    )
    cards_revenue_fen: int | None = Field(
        default=0, description=f"paid cards sold and renewed, less their refunds (会员卡收入净额); at a store: its "
        f"tills'; {FEN}; {NO_MONEY}")  # fmt: skip
    cards_uses: int = Field(
        default=0, description="counted benefits used (权益使用: classes, a gym's entries), net of those taken back; "
        "at a store: recorded there")  # fmt: skip


class DayRow(DayFigures):
    """One business day's figures."""

    day: str = Field(description=BUSINESS_DATE)


class DailyStats(Schema):
    """A period's figures day by day, and their totals."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    from_: str = Field(alias="from", description=f"the first day; {BUSINESS_DATE}")
    to: str = Field(description=f"the last day; {BUSINESS_DATE}")
    store_id: str | None = Field(description="the store the figures are of; null: the whole chain")
    days: list[DayRow] = Field(description="one row per day, oldest first; a day without events is zeros")
    totals: DayFigures = Field(description="the period's sums")


class WalletFloat(Schema):
    """The stored value members hold (储值余额), a liability of the chain."""

    principal_fen: int = Field(description=f"principal (本金) members paid in and have not spent; {FEN}")
    bonus_fen: int = Field(description=f"bonus (赠送金) granted and not spent or forfeited; {FEN}")
    total_fen: int = Field(description=f"both; {FEN}")


class StatsSummary(Schema):
    """Standing figures as the events so far leave them (they follow writes within seconds)."""

    store_id: str | None = Field(description="the store whose members are counted; null: the whole chain")
    as_of: str = Field(description=f"when they were read; {UTC_INSTANT}")
    members_total: int = Field(description="members not erased (会员总数); at a store: with it as their home store")
    tier_distribution: dict[str, int] = Field(
        description="members at each tier code (会员等级分布), every tier of the current programme listed"
    )
    points_outstanding: int | None = Field(
        description="points members hold (积分余额: available and pending, debt counted negative), the sum over every "
        "points ledger; null for a store: points belong to the chain"
    )
    wallet_float_fen: WalletFloat | None = Field(
        description="the stored-value float (储值沉淀); null for a store (its movements: `GET /v1/wallet/statements`), "
        "and without `reports:money`"
    )


# --- reports (经营报表) -------------------------------------------------------------------------------------------

Label = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
CategoryText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Trimmed]
Region = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=r"^[^\x00-\x1f\x7f]+$"), Trimmed
]
GRANULARITY = "rows by `day`, ISO `week` (2026-W48) or calendar `month`"


class ScopedQuery(Input):
    """A report's days (``from`` through ``to``) and its scope: the chain, one store, or one region or city (its
    stores added up)."""

    from_: Day = Field(alias="from", description=f"the first day; {BUSINESS_DATE}")
    to: Day = Field(description=f"the last day, today at the latest; {BUSINESS_DATE}")
    store_id: StoreId | None = Field(default=None, description=STORE)
    region: Region | None = Field(default=None, description="a region (大区) whose stores' figures are added up")
    city: Region | None = Field(default=None, description="a city whose stores' figures are added up (城市)")

    def longest(self) -> tuple[int, str]:
        """The most days the report may span, and how it says so."""
        return MIX_DAYS, f"at most {MIX_DAYS} days"

    @model_validator(mode="after")
    def _span(self) -> ScopedQuery:
        days, said = self.longest()
        if not 0 <= (self.to - self.from_).days < days:
            raise ValueError(f"'to' must be on or after 'from', {said}")
        if sum(value is not None for value in self.dimensions().values()) > 1:
            raise ValueError(f"name at most one of {', '.join(self.dimensions())}")
        return self

    def dimensions(self) -> dict[str, str | None]:
        return {"store_id": self.store_id, "region": self.region, "city": self.city}


class ReportQuery(ScopedQuery):
    """A report's days (at most 92 days by day, 53 weeks by week, 24 months by month), its rows and its scope."""

    granularity: Literal["day", "week", "month"] = Field(default="day", description=GRANULARITY)

    def longest(self) -> tuple[int, str]:
        return LONGEST[self.granularity], f"at most {LONGEST[self.granularity]} days by {self.granularity}"


class MixQuery(ScopedQuery):
    """The sales mix's days (at most 92) and its scope: the chain, one store, or one region or city; and a category
    whose hours to give."""

    category: CategoryText | None = Field(default=None, description="a category (its code, or the name members "
                                          "read): the hours are its own (the purchases holding it, what its lines "
                                          "paid)")  # fmt: skip


class SalesQuery(ReportQuery):
    """A sales report's days and scope: the chain, a store, a region, a tier or a payment method."""

    tier: Label | None = Field(default=None, description="the tier members had when buying (会员等级)")
    payment_method: Label | None = Field(default=None, description="how they paid (支付方式), e.g. `wechat_pay`")

    def dimensions(self) -> dict[str, str | None]:
        return {**super().dimensions(), "tier": self.tier, "payment_method": self.payment_method}


class LiabilityQuery(Input):
    """The day whose end the liability is of."""

    as_of: Day | None = Field(default=None, description=f"the day (default today); {BUSINESS_DATE}")


class Row(Schema):
    """A report's row: a day, an ISO week or a calendar month, within the report's days."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    period: str = Field(description="the day (2026-11-30), ISO week (2026-W48) or month (2026-11)")
    from_: date = Field(alias="from", description="the row's first day, within the report's")
    to: date = Field(description="the row's last day, within the report's")
    whole: bool = Field(
        default=True, description="the whole day, week or month (false: the report's days cut it short, so its "
        "distinct counts are null: a month's buyers beside part of its purchases would mislead)")  # fmt: skip


class NewBySource(Schema):
    """Members registered, by how they joined (注册渠道)."""

    store: int = Field(description="at a store")
    online: int = Field(description="online (the member pages, a mini program)")
    referral: int = Field(description="referred by a member")
    ads: int = Field(description="from ads")
    offline_event: int = Field(description="at an offline event")
    import_: int = Field(alias="import", description="imported from another system")

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)


class MembersLine(Schema):
    """Members of a period (会员)."""

    new: int = Field(description="members registered (新增会员); at a store or region: with it as their home store")
    new_by_source: NewBySource = Field(description="the new members by how they joined")
    erased: int = Field(description="members erased")
    tier_ups: int | None = Field(description="members who moved up a tier (an upgrade); the chain's (null for a "
                                 "store or an area)")  # fmt: skip
    tier_downs: int | None = Field(description="members who moved down (a downgrade at review, or after a refund); "
                                   "the chain's")  # fmt: skip
    total: int = Field(description="members not erased at the end of the period (会员总数)")


class MembersRow(Row, MembersLine):
    """One period's members."""

    active: int | None = Field(
        description="distinct members with a purchase or an activity in the whole day, week or month (活跃会员); "
        "null for a region, and for a week or month the report's days cut short"
    )


class RecentlyActive(Schema):
    """Members whose last purchase or activity was in the last days through today (近期活跃会员)."""

    last_7_days: int = Field(description="active in the last 7 days")
    last_30_days: int = Field(description="active in the last 30 days")
    last_90_days: int = Field(description="active in the last 90 days")


class MembersTotals(MembersLine):
    """The window's members, and the chain's recently active members as of today."""

    recently_active: RecentlyActive | None = Field(description="the chain's, as of today; null for a store or area")


class MembersReport(Schema):
    """Members by period."""

    items: list[MembersRow] = Field(description="one row per day, week or month, oldest first")
    totals: MembersTotals = Field(description="the window's: members new and erased, and the total at its end")


class SalesLine(Schema):
    """Sales through the programme in a period (销售)."""

    purchases: int = Field(description="purchases reported (消费笔数)")
    refunds: int = Field(description="refunds reported (退款笔数)")
    paid_fen: int | None = Field(description=f"what members paid, after discounts (实收); {FEN}; null without money")
    total_fen: int | None = Field(description=f"the orders' totals before discounts (应收); {FEN}")
    refunded_fen: int | None = Field(description=f"what refunds gave back; {FEN}")
    average_order_fen: int | None = Field(description=f"paid ÷ purchases, rounded down (客单价); {FEN}")
    buyers: int | None = Field(
        description="distinct members with a purchase (消费会员); null by region, tier, method, and for a week or "
        "month the report's days cut short (`whole: false`)")  # fmt: skip
    repeat_buyers: int | None = Field(description="distinct members with two purchases or more (复购会员)")
    purchases_per_member: str | None = Field(description="purchases ÷ buyers (人均消费次数), 4 decimals")
    repurchase_rate: str | None = Field(description="repeat buyers ÷ buyers (复购率), 4 decimals")


class SalesRow(Row, SalesLine):
    """One period's sales."""


class SalesReport(Schema):
    """Sales through the programme by period; the totals' distinct counts only when the report is one period."""

    items: list[SalesRow] = Field(description="one row per day, week or month, oldest first")
    totals: SalesLine = Field(description="the window's sums; distinct counts only when it is one period")


class IssuedBySource(Schema):
    """Where the points issued came from (积分来源)."""

    purchases: int = Field(description="earned by purchases (消费积分)")
    activities: int = Field(description="earned by activities: registration, birthday, check-in, reviews (活动积分)")
    gifts: int = Field(description="tier gifts and other gifts of the platform")
    adjustments: int = Field(description="credits by hand")
    opening: int = Field(description="opening balances of migrated members")


class PointsLine(Schema):
    """Points in a period (积分)."""

    opening: int | None = Field(
        description="points members held at the start of the period (期初积分余额): opening + issued − redeemed − "
        "expired − clawed_back − adjusted_out = outstanding; null for a store or region"
    )
    issued: int = Field(description="points credited (发放积分)")
    issued_by_source: IssuedBySource = Field(description="the points issued, by where they came from")
    redeemed: int = Field(description="points redeemed, net of reversals (兑换积分)")
    expired: int = Field(description="points expired (过期积分)")
    clawed_back: int = Field(description="points refunds took back (退款扣回)")
    adjusted_out: int = Field(description="points debited by hand (人工扣减)")
    outstanding: int | None = Field(
        description="points members hold at the end of the period (积分余额; available and pending, debt negative); "
        "null for a store or region: points belong to the chain"
    )


class PointsRow(Row, PointsLine):
    """One period's points."""


class PointsTotals(PointsLine):
    """The window's points, and how much of what was issued was redeemed."""

    consumption_rate: str | None = Field(description="redeemed ÷ issued over the window (积分消耗率), 4 decimals")
    cumulative_consumption_rate: str | None = Field(description="redeemed ÷ issued since the start, 4 decimals")


class PointsReport(Schema):
    """Points by period."""

    items: list[PointsRow] = Field(description="one row per day, week or month, oldest first")
    totals: PointsTotals = Field(description="the window's sums, the outstanding at its end, the consumption rates")


class CouponFigures(Schema):
    """What coupons did in a period (优惠券)."""

    issued: int = Field(description="coupons issued")
    used: int = Field(description="coupons used (核销)")
    returned: int = Field(description="used coupons a refund gave back")
    expired: int = Field(description="coupons that expired unused")
    voided: int = Field(description="coupons voided with their template")
    discount_fen: int | None = Field(description=f"the discount used, net of what refunds gave back; {FEN}; "
                                     "null without reports:money")  # fmt: skip


class MallFigures(Schema):
    """What the points mall's orders did in a period (积分商城)."""

    placed: int = Field(description="orders placed")
    completed: int = Field(description="orders completed")
    cancelled: int = Field(description="orders cancelled, released unpaid, failed or refunded")
    cash_fen: int | None = Field(description=f"the cash paid, net of what is owed back; {FEN}; null without money")


class CardFigures(Schema):
    """What paid cards did in a period (付费会员卡)."""

    sold: int = Field(description="cards bought")
    trials: int = Field(description="free trials started")
    renewed: int = Field(description="cards renewed, by hand or automatically")
    lapsed: int = Field(description="cards that lapsed unrenewed")
    cancelled: int = Field(description="cards cancelled (with a refund as the plan's terms say)")
    revenue_fen: int | None = Field(description=f"what cards brought, net of refunds; {FEN}; null without money")
    uses: int = Field(
        default=0, description="counted benefits used at the counter (权益使用: classes 消课, a gym's entries 入场), "
        "net of those taken back; a store's where they were recorded")  # fmt: skip
    used_fen: int | None = Field(
        default=0, description=f"课消金额: what the uses of packs refunded by their uses (次卡, 课时包) took off the "
        f"liability, each its class's value as long as the pack owes that much, net of those taken back: the revenue "
        f"recognised as classes are taken; a store's where they were recorded; {FEN}; null without money")  # fmt: skip


class WalletHeld(Schema):
    """Stored value held at a period's end."""

    principal_fen: int | None = Field(description=f"principal (本金); {FEN}")
    bonus_fen: int | None = Field(description=f"bonus (赠送金); {FEN}")


class WalletFigures(Schema):
    """What stored value did in a period (储值)."""

    top_ups_fen: int | None = Field(description=f"money paid in (not gift cards bound: see `gift_cards`); {FEN}; null "
                                    "without money")  # fmt: skip
    payments_fen: int | None = Field(description=f"payments from the balance, principal and bonus; {FEN}")
    held: WalletHeld | None = Field(description="held at the period's end (the chain's; null for a store)")


class GiftCardFigures(Schema):
    """What gift cards did in a period (礼品卡)."""

    sold: int = Field(description="cards sold at the tills (售卡; a store: its own)")
    sold_fen: int | None = Field(description=f"what they were sold for: money taken; {FEN}; null without money")
    bound: int = Field(description="cards members bound to their stored value (the chain's: no store binds them)")
    bound_fen: int | None = Field(description=f"what those cards moved into stored value (not money paid in); {FEN}")


class ProgrammeLine(Schema):
    """A period of the programme's assets."""

    coupons: CouponFigures = Field(description="coupons (优惠券) issued, used, returned, expired, voided")
    mall_orders: MallFigures = Field(description="points-mall orders (积分商城订单)")
    cards: CardFigures = Field(description="paid membership cards (付费会员卡)")
    wallet: WalletFigures = Field(description="stored value (储值): in, out and held")
    gift_cards: GiftCardFigures = Field(description="gift cards (礼品卡) sold and bound")


class ProgrammeRow(Row, ProgrammeLine):
    """One period's coupons, mall orders, paid cards and stored value."""


class ProgrammeReport(Schema):
    """The programme's assets by period (权益与储值)."""

    items: list[ProgrammeRow] = Field(description="one row per day, week or month, oldest first")
    totals: ProgrammeLine = Field(description="the window's sums, stored value held at its end")


class ExpiringPoints(Schema):
    """The points outstanding whose lots expire in one calendar quarter (the liability's age: what expires when)."""

    expires: str | None = Field(description="the quarter they expire (2027-Q4); null for points that never expire")
    points: int = Field(description="points outstanding at the day's end that expire that quarter")
    value_fen: int = Field(description=f"those points × the value of a point, rounded down; {FEN}")


class PointsLiability(Schema):
    """The points members hold, as money (积分负债)."""

    outstanding: int = Field(description="points members hold at the end of the day")
    point_value_fen: str = Field(description="what a point is worth in fen (`LOYALTY_POINT_VALUE_FEN`)")
    value_fen: int = Field(description=f"outstanding × the value of a point, rounded down; {FEN}")
    expected_breakage: int = Field(description="points expected to expire unused, at the rate expired so far")
    expiry_rate: str = Field(description="points expired ÷ points issued since the start")
    debt: int | None = Field(description="points members owe (a refund took back more than they had), counted "
                             "negative in the outstanding; null more than 92 days back")  # fmt: skip
    undated: int | None = Field(description="what the expiry breakdown does not place: points booked before it was "
                                "kept (0 on a stack that always kept it); the quarters, less the debt, plus these make "
                                "the outstanding; null more than 92 days back")  # fmt: skip
    by_expiry: list[ExpiringPoints] | None = Field(description="the outstanding by the quarter its lots expire, "
                                                   "soonest first (those that never expire last); null more than 92 "
                                                   "days back")  # fmt: skip


class WalletLiability(Schema):
    """The stored value members hold (储值负债)."""

    principal_fen: int = Field(description=f"stored-value principal (储值本金); {FEN}")
    bonus_fen: int = Field(description=f"stored-value bonus (赠送金); {FEN}")


class CouponsLiability(Schema):
    """The coupons members may still use (优惠券负债)."""

    face_value_fen: int = Field(description=f"usable coupons' face value (as they stand now); {FEN}")


class MallOwed(Schema):
    """Mall orders still owed."""

    open: int = Field(description="mall orders not fulfilled yet (as they stand now)")
    value_fen: int = Field(description=f"their points at the value of a point, and their cash; {FEN}")


class MallAges(Schema):
    """The mall orders still owed by how long they have waited since they were placed (as of today)."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    within_7_days: MallOwed = Field(alias="7_days", description="placed 7 days ago or less")
    within_30_days: MallOwed = Field(alias="30_days", description="placed 8 to 30 days ago")
    older: MallOwed = Field(description="placed more than 30 days ago")


class MallLiability(MallOwed):
    """The mall orders still owed (未履约兑换订单)."""

    by_age: MallAges = Field(description="the same by how long they have waited (账龄)")


class CardsLiability(Schema):
    """Paid cards' payments for days not given yet (会员卡预收)."""

    unearned_fen: int = Field(description=f"each card payment shared straight over the days it paid for: the days "
                              f"after the day's end, a payment for days not begun whole; a cancelled card owes "
                              f"nothing from its cancellation on; counted classes are shared over the term like its "
                              f"days; cards sold before 2026-12-05 are not counted; {FEN}")  # fmt: skip
    undated_fen: int = Field(
        description=f"lifetime cards' payments, which have no days to share them over, and packs refunded by their "
        f"uses (次卡), owed by the uses left until cancelled; {FEN}")  # fmt: skip


class HeldAt(Schema):
    """What a store's counter added to the points and stored value owed, net (跨店结算: it may be negative where
    members spend more there than they were given or paid in)."""

    points: int = Field(description="points of its purchases, net of refunds' claw-backs")
    points_value_fen: int = Field(description=f"those points × the value of a point, rounded down; {FEN}")
    principal_fen: int = Field(description=f"stored-value principal paid in there, less paid out there; {FEN}")
    bonus_fen: int = Field(description=f"stored-value bonus given there, less spent there; {FEN}")
    total_fen: int = Field(description=f"the points' value, principal and bonus; {FEN}")


class _AtStore(Schema):
    store_id: str = Field(description="the store")


class StoreHeld(HeldAt, _AtStore):
    """One store's share of the liability (its id first)."""


class LiabilityByStore(Schema):
    """The points and stored value owed, by the store whose counter added them; the rows add up to the chain's."""

    stores: list[StoreHeld] = Field(description="each store with anything to its name, by store id")
    elsewhere: HeldAt = Field(description="what no store's counter did: redemptions online or by hand, gifts, expiry, "
                              "and anything booked before the breakdown was kept")  # fmt: skip


class GiftCardsLiability(Schema):
    """Gift cards sold and not bound to a member's stored value (礼品卡未绑定余额) at the day's end."""

    cards: int = Field(description="cards sold and not bound")
    value_fen: int = Field(description=f"what they hold; {FEN}")


class Liability(Schema):
    """What the programme owes (负债) at the end of a day."""

    as_of: date = Field(description=f"the day whose end it is of; {BUSINESS_DATE}")
    points: PointsLiability = Field(description="points outstanding and their value")
    wallet: WalletLiability = Field(description="stored value: principal and bonus")
    coupons: CouponsLiability = Field(description="usable coupons' face value")
    mall_orders: MallLiability = Field(description="unfulfilled mall orders")
    gift_cards: GiftCardsLiability = Field(description="gift cards sold and not bound at the day's end")
    cards: CardsLiability | None = Field(description="paid cards' days not given yet (会员卡预收); null more than 92 "
                                         "days back")  # fmt: skip
    by_store: LiabilityByStore | None = Field(description="the points and stored value by store; null more than 92 "
                                              "days back")  # fmt: skip
    total_fen: int = Field(description=f"all of it (without `cards` when it is null, more than 92 days back); {FEN}")


class ReportExportIn(Input):
    """Which report to write as a file, with what its query takes: ``from``, ``to``, ``granularity`` and a scope for
    members, sales and points; ``as_of`` for the liability."""

    model_config = ConfigDict(validate_by_name=True, json_schema_extra={"examples": [
        {"report": "sales", "from": "2026-10-01", "to": "2026-10-31", "granularity": "week", "region": "华东"},
        {"report": "liability", "as_of": "2026-10-31"},
    ]})  # fmt: skip

    report: Literal["members", "sales", "points", "programme", "liability"] = Field(description="the report to export")
    from_: Day | None = Field(default=None, alias="from", description=f"members, sales, points: the first day; "
                              f"{BUSINESS_DATE}")  # fmt: skip
    to: Day | None = Field(default=None, description="members, sales, points: the last day, today at the latest")
    granularity: Literal["day", "week", "month"] = Field(default="day", description=GRANULARITY)
    store_id: StoreId | None = Field(default=None, description=STORE)
    region: Region | None = Field(default=None, description="a region (大区) whose stores' figures are added up")
    city: Region | None = Field(default=None, description="a city whose stores' figures are added up")
    tier: Label | None = Field(default=None, description="sales only: the tier members had when buying")
    payment_method: Label | None = Field(default=None, description="sales only: how they paid")
    as_of: Day | None = Field(default=None, description="the liability only: the day (default today)")

    @model_validator(mode="after")
    def _fits_the_report(self) -> ReportExportIn:
        period = (self.from_, self.to, self.store_id, self.region, self.city, self.tier, self.payment_method)
        if self.report == "liability" and any(value is not None for value in period):
            raise ValueError("the liability takes as_of alone")
        if self.report != "liability":
            if self.as_of is not None:
                raise ValueError("as_of is the liability's; members, sales and points take from and to")
            if self.from_ is None or self.to is None:
                raise ValueError("members, sales and points need from and to")
            if self.report != "sales" and (self.tier or self.payment_method):
                raise ValueError("tier and payment_method scope the sales report only")
            try:
                self.query()  # the report's own checks of its days and scope
            except ValidationError as e:
                raise ValueError(e.errors()[0]["msg"].removeprefix("Value error, ")) from None
        return self

    def query(self) -> SalesQuery:
        """The report's query (the sales report's takes every scope the others do)."""
        return SalesQuery.model_validate(self.model_dump(by_alias=True, exclude={"report", "as_of"}))


class ReportExport(Schema):
    """A report written as a CSV file (UTF-8 with a BOM, so Excel reads Chinese), downloaded through a link that
    expires."""

    export_id: str = Field(description="the export's id")
    report: str = Field(description="members, sales, points, programme or liability")
    file_name: str = Field(description="the file's name when downloaded")
    rows: int = Field(description="rows in the file (the report's rows and a `total` row)")
    size_bytes: int = Field(description="the file's size")
    url: str = Field(description="where to download it (a pre-signed link: no token needed, until `expires_at`)")
    expires_at: str = Field(description=f"when the link stops working; {UTC_INSTANT}")


class MixCategory(Schema):
    """A category's sales in the window (品类分析)."""

    category: str | None = Field(description="the category's code as the tills give it; null: lines without one, "
                                 "and orders reported without their lines")  # fmt: skip
    name: str | None = Field(description="the name members read (`LOYALTY_CATEGORY_NAMES`), null when none is set")
    items_sold: int = Field(description="items bought (件数); an order reported without lines counts none")
    items_refunded: int = Field(description="items refunded")
    sales_fen: int | None = Field(description=f"what members paid for its lines (after discounts); {FEN}; null "
                                  "without money")  # fmt: skip
    refunded_fen: int | None = Field(description=f"what refunds gave back of its lines; {FEN}")
    net_fen: int | None = Field(description=f"paid less refunded; {FEN}")
    share: str | None = Field(description="its part of the window's net sales (占比), 4 decimals; null without money "
                              "or when the net is not positive")  # fmt: skip


class MixHour(Schema):
    """An hour of the week (时段): the purchases members made in it over the window."""

    weekday: int = Field(description="ISO weekday: 1 Monday … 7 Sunday")
    hour: int = Field(description="the hour of the day in the business time zone, 0-23 (18: 18:00-18:59)")
    purchases: int = Field(description="purchases made in it (消费笔数; refunds not taken off)")
    sales_fen: int | None = Field(default=None, description=f"what they paid; {FEN}; null without money")


class MixTotals(Schema):
    """The window's sums."""

    purchases: int = Field(description="purchases (with `category`: those holding it)")
    items_sold: int = Field(description="items bought")
    items_refunded: int = Field(description="items refunded")
    sales_fen: int | None = Field(description=f"what members paid; {FEN}")
    refunded_fen: int | None = Field(description=f"what refunds gave back; {FEN}")
    net_fen: int | None = Field(description=f"paid less refunded; {FEN}")


class MixReport(Schema):
    """The sales mix (商品与时段): what members buy and when."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    from_: date = Field(alias="from", description="the window's first day")
    to: date = Field(description="the window's last day")
    category: str | None = Field(default=None, description="the category whose hours these are (its code); null: "
                                 "every purchase's")  # fmt: skip
    categories: list[MixCategory] = Field(description="each category sold or refunded, most net sales first")
    hours: list[MixHour] = Field(description="all 168 hours of the week, Monday 0:00 first")
    busiest: list[MixHour] = Field(description="the three hours with most purchases (高峰时段), most first (ties: the "
                                   "more paid first)")  # fmt: skip
    busiest_tied: int = Field(
        description="how many hours have as many purchases as the last of `busiest` (more than it names when hours tie)"
    )
    totals: MixTotals = Field(description="the window's sums")
