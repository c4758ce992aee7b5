"""The tiers and growth API contract: programmes (versions of staff configuration), a member's tier and
growth, staff overrides."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from chalicelib.purchases.schemas import Label
from chalicelib.shared import clock
from chalicelib.shared.fields import Day
from chalicelib.shared.http import Input, Schema
from chalicelib.tiers.rules import Growth, Programme, Tier

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Amount = Annotated[int, Field(ge=0, le=10**12)]
GROWTH_KINDS = Literal["registration", "birthday", "review", "share", "checkin", "profile"]


class Entitlement(Input):
    """A named right with a quota per period (e.g. one private class a week); ``quota`` null: unlimited."""

    code: Code
    name_zh: Name
    name_en: Name
    quota: int | None = Field(default=None, ge=1, le=10_000)
    period: Literal["day", "week", "month", "year", "unlimited"] = "unlimited"

    @model_validator(mode="after")
    def _quota_matches_period(self) -> Entitlement:
        if (self.quota is None) != (self.period == "unlimited"):
            raise ValueError("give a quota with a period, or neither for an unlimited right")
        return self


class Benefits(Input):
    """What a tier gives; clients read these. ``points_multiplier`` applies to purchase points unless the
    earn rules name the tier themselves."""

    discount_rate: Decimal = Field(default=Decimal(1), gt=0, le=1, max_digits=5, decimal_places=4,
                                   description="price factor, e.g. 0.95 for 5% off")  # fmt: skip
    points_multiplier: Decimal = Field(default=Decimal(1), gt=0, le=100, max_digits=8, decimal_places=4)
    birthday_bonus_points: int = Field(default=0, ge=0, le=1_000_000)
    free_shipping: bool = False
    priority_purchase: bool = False
    exclusive_coupons: list[Label] = Field(default_factory=list, max_length=50)
    entitlements: list[Entitlement] = Field(default_factory=list, max_length=50)


class TierIn(Input):
    code: Code
    name_zh: Name
    name_en: Name
    qualify_at: Amount = Field(default=0, description="threshold on the programme's metric over its window")
    retain_at: Amount | None = Field(default=None, description="to keep the tier at review (保级); default: qualify_at")
    upgrade_gift_points: int = Field(default=0, ge=0, le=1_000_000)
    benefits: Benefits = Field(default_factory=Benefits)


class GrowthIn(Input):
    per_cny: Decimal = Field(default=Decimal(1), ge=0, le=1000, max_digits=12, decimal_places=4)
    activities: dict[GROWTH_KINDS, int] = Field(default_factory=dict, description="growth per activity kind")

    @model_validator(mode="after")
    def _non_negative(self) -> GrowthIn:
        if any(value < 0 or value > 1_000_000 for value in self.activities.values()):
            raise ValueError("activity growth is between 0 and 1,000,000")
        return self


class ProgrammeIn(Input):
    """A tier programme: tiers lowest first, the first open to everyone (``qualify_at`` 0)."""

    name: Name = "会员等级"
    metric: Literal["growth", "paid_fen"] = "growth"
    window: Literal["lifetime", "rolling-12-months", "calendar-year"] = "lifetime"
    validity: Literal["months", "calendar-year"] = Field(
        default="months", description="months: validity_months from reaching; calendar-year: through next year"
    )
    validity_months: int = Field(default=12, ge=1, le=120)
    grace_days: int = Field(default=0, ge=0, le=366)
    warning_days: int = Field(default=30, ge=0, le=366)
    growth: GrowthIn = Field(default_factory=GrowthIn)
    tiers: list[TierIn] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _ladder(self) -> ProgrammeIn:
        codes = [tier.code for tier in self.tiers]
        if len(set(codes)) != len(codes):
            raise ValueError("tier codes must be unique")
        if self.tiers[0].qualify_at != 0:
            raise ValueError("the first tier is everyone's: its qualify_at must be 0")
        bars = [tier.qualify_at for tier in self.tiers]
        if any(b <= a for a, b in itertools.pairwise(bars)):
            raise ValueError("qualify_at must rise strictly from each tier to the next")
        for tier in self.tiers:
            if tier.retain_at is not None and tier.retain_at > tier.qualify_at:
                raise ValueError(f"tier {tier.code!r}: retain_at cannot be above qualify_at")
        return self

    def to_programme(self, version: int) -> Programme:
        tiers = tuple(
            Tier(t.code, t.name_zh, t.name_en, t.qualify_at, t.qualify_at if t.retain_at is None else t.retain_at,
                 t.benefits.model_dump(mode="json"), t.upgrade_gift_points)
            for t in self.tiers
        )  # fmt: skip
        return Programme(
            tiers, metric=self.metric, window=self.window, validity=self.validity,
            validity_months=self.validity_months, grace_days=self.grace_days, warning_days=self.warning_days,
            growth=Growth(self.growth.per_cny, {str(k): v for k, v in self.growth.activities.items()}), version=version,
        )  # fmt: skip


class ProgrammeVersion(ProgrammeIn):
    version: int
    status: Literal["draft", "current", "superseded"]
    created_at: str
    created_by: str
    applied_at: str | None = None
    applied_by: str | None = None


class ProgrammeVersions(Schema):
    current: ProgrammeVersion
    versions: list[ProgrammeVersion]


class ProgrammeJobIn(Input):
    version: int = Field(ge=1, description="the programme version to preview or apply")


class JobRun(Schema):
    """A job run's report; ``tallies`` count what it found (for tiers: members up, down, unchanged)."""

    job: str
    run_id: str
    as_of: str
    first_day: str
    status: str
    planned: int
    batches: int
    batches_done: int
    processed: int
    tallies: dict[str, int]
    started_at: str
    finished_at: str | None
    error: str | None = Field(default=None, description="why the run failed (status `failed`)")


OVERRIDE_YEARS = 10


def _override_end(value: date) -> date:
    """An override holds from today through a day at most OVERRIDE_YEARS ahead: staff grant a standing for a
    while, never for good (a tier for life is a programme rule, not a hand-set exception)."""
    today = clock.business_today()
    leap_day = (today.month, today.day) == (2, 29)
    latest = today.replace(year=today.year + OVERRIDE_YEARS, day=28 if leap_day else today.day)
    if not today <= value <= latest:
        raise ValueError(f"a day from today through {latest} ({OVERRIDE_YEARS} years ahead)")
    return value


class OverrideIn(Input):
    kind: Literal["floor", "pin"] = Field(description="floor: never below the tier; pin: exactly the tier")
    tier: Code
    until: Annotated[Day, AfterValidator(_override_end)] = Field(
        description=f"the last day it holds: from today to at most {OVERRIDE_YEARS} years ahead"
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class TierView(Schema):
    code: str
    name_zh: str
    name_en: str


class TierStatus(Schema):
    """Where a member stands: tier, period, progress to the next tier, retention, benefits, history."""

    programme_version: int
    metric: str
    window: str
    tier: TierView
    since: str
    valid_until: str | None
    value: int = Field(description="the metric over the window now")
    next: dict[str, Any] | None = Field(description="the next tier, the value it needs and what is missing")
    retention: dict[str, Any] | None = Field(description="what keeping the tier at its review needs")
    override: dict[str, Any] | None
    benefits: dict[str, Any]
    history: list[dict[str, Any]]


class GrowthEntry(Schema):
    entry_id: str
    seq: int
    type: str
    growth: int
    value_after: int
    paid_fen: int
    month: str
    source: dict[str, str | None]
    reason: str
    occurred_at: str


class GrowthPage(Schema):
    value: int
    paid_fen: int = Field(description="lifetime paid amount, net of refunds")
    months: dict[str, dict[str, int]] = Field(description="growth and paid fen per month, the last 24 months")
    items: list[GrowthEntry]
    next_cursor: str | None
