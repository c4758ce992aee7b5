"""The statistics API contract: the dashboard's day figures and standing figures."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from chalicelib.shared.fields import BUSINESS_DATE, FEN, UTC_INSTANT, Day
from chalicelib.shared.http import Input, Schema
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


class DayFigures(Schema):
    """What was booked on one business day (or in a period, for totals): counts and amounts, never a balance."""

    new_members: int = Field(description="members registered (新增会员); at a store: with it as their home store")
    purchases: int = Field(description="purchases reported (消费笔数)")
    sales_fen: int = Field(description=f"what those purchases paid, after discounts (销售额); {FEN}")
    refunds: int = Field(description="refunds reported (退款笔数); at a store: of its orders")
    refunded_fen: int = Field(description=f"what the refunds gave back (退款金额); {FEN}")
    points_issued: int = Field(
        description="points credited (发放积分): earned by purchases, activities and tier gifts, opening balances and "
        "positive adjustments"
    )
    points_redeemed: int = Field(
        description="points redeemed (兑换积分), net of reversals that day (a day with only a reversal is negative)"
    )
    points_expired: int = Field(description="points booked as expired (过期积分) by the nightly job")
    points_deducted: int = Field(
        description="points taken by negative adjustments and refund claw-backs (扣减积分); issued − redeemed − "
        "expired − deducted is the change of the points outstanding"
    )
    wallet_top_ups_fen: int = Field(description=f"money paid into wallets (储值充值本金), bonus not counted; {FEN}")
    wallet_payments_fen: int = Field(description=f"what wallet payments took, principal and bonus (储值消费); {FEN}")


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
        description="the stored-value float (储值沉淀); null for a store (its movements: `GET /v1/wallet/statements`)"
    )
