"""The points API contract."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from chalicelib.shared import clock
from chalicelib.shared.fields import Day
from chalicelib.shared.http import Input, Schema

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MAX_POINTS = 100_000_000


class Expiring(Schema):
    date: date
    points: int


class PointsBalance(Schema):
    """As of now: points past their expiry date are gone and matured pending points count as available. With
    the negative-balance refund policy ``available`` may be negative (the debt)."""

    available: int
    pending: int
    expiring: list[Expiring]
    lifetime_earned: int
    redeemed: int
    expired: int
    debt: int


class Source(Schema):
    kind: str
    id: str | None


class LedgerEntry(Schema):
    entry_id: str
    seq: int
    type: Literal["earn", "redeem", "expire", "adjust", "refund", "reverse", "opening"]
    points: int = Field(description="signed: credits positive, debits negative")
    balance_after: int
    source: Source
    reason: str
    occurred_at: str


class LedgerPage(Schema):
    items: list[LedgerEntry]
    next_cursor: str | None


class RedemptionCreate(Input):
    points: int = Field(gt=0, le=MAX_POINTS)
    reason: Reason


class Redemption(Schema):
    redemption_id: str
    points: int
    reason: str
    status: Literal["completed"]
    created_at: str
    entry: LedgerEntry


class Reversal(Input):
    reason: Reason = "撤销兑换"


class AdjustmentCreate(Input):
    """Credit (positive) or debit (negative) points; a debit never takes the balance below zero."""

    points: int = Field(ge=-MAX_POINTS, le=MAX_POINTS)
    reason: Reason
    expires_on: Day | None = Field(default=None, description="credits only; default: the expiry policy")

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("an adjustment of 0 points changes nothing")
        return value

    @field_validator("expires_on")
    @classmethod
    def _not_past(cls, value: date | None) -> date | None:
        if value is not None and value < clock.business_today():
            raise ValueError("is past: the points would expire on arrival")
        return value
