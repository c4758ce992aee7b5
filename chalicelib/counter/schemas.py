"""The counter view's contract."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from chalicelib.shared.http import Schema


class CounterTier(Schema):
    code: str
    name_zh: str
    name_en: str
    valid_until: date | None = Field(description="the last business day of the tier (null at the lowest tier)")
    benefits: dict[str, Any] = Field(description="what the tier gives (discounts, multipliers, free shipping …)")


class CounterPoints(Schema):
    available: int = Field(description="points (积分) spendable now")
    pending: int = Field(description="points in a return window, spendable from their date")
    debt: int = Field(description="points owed after refunds; later credits repay it first")
    next_expiry: date | None = Field(description="the soonest business day on which points expire")
    next_expiry_points: int = Field(description="how many points expire that day")


class CounterView(Schema):
    """What a cashier needs to serve a member at any store of the chain: who they are (phone masked), their
    tier and benefits and their points. Coupons and stored value join this view as they ship."""

    confidential = True  # a name beside a member number and a masked phone points at one person

    member_id: str
    member_no: str
    name: str
    phone_masked: str | None
    status: str = Field(description="active or frozen (a frozen member may not redeem)")
    home_store_id: str | None
    tier: CounterTier
    points: CounterPoints
