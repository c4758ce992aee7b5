"""The tiers and growth API contract: programmes (versions of staff configuration), a member's tier and
growth, staff overrides."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator
from pydantic.config import JsonDict

from chalicelib.purchases.schemas import Label
from chalicelib.shared import clock
from chalicelib.shared.fields import BUSINESS_DATE, FEN, NEXT_CURSOR, REASON_EN, UTC_INSTANT, Day, Reason, Trimmed
from chalicelib.shared.http import Input, Schema
from chalicelib.tiers.rules import Growth, Programme, Tier

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32), Trimmed]
Amount = Annotated[int, Field(ge=0, le=10**12)]
GROWTH_KINDS = Literal["registration", "birthday", "review", "share", "checkin", "profile"]

TIER_CODE = "the tier's code, e.g. `gold`: lower-case letters, digits, `_` and `-`"
NAME_ZH = "its name in Chinese, e.g. 黄金会员"
NAME_EN = "its name in English, e.g. Gold"
METRIC_VALUE = "on the programme's metric: growth value (成长值), or fen paid (分) when the metric is paid_fen"


class Entitlement(Input):
    """A named right with a quota per period (e.g. one private class a week); ``quota`` null: unlimited."""

    code: Code = Field(description="the right's code, e.g. `private_class`")
    name_zh: Name = Field(description="its name in Chinese, e.g. 私教课")
    name_en: Name = Field(description="its name in English, e.g. Private class")
    quota: int | None = Field(default=None, ge=1, le=10_000, description="uses per period; null: unlimited")
    period: Literal["day", "week", "month", "year", "unlimited"] = Field(
        default="unlimited", description="the period the quota renews in"
    )

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
    points_multiplier: Decimal = Field(default=Decimal(1), gt=0, le=100, max_digits=8, decimal_places=4,
                                       description="factor on purchase points (积分倍率), e.g. 1.5")  # fmt: skip
    birthday_bonus_points: int = Field(
        default=0, ge=0, le=1_000_000,
        description="points given once a year in the birthday month (生日礼), beside the earn rules' birthday points",
    )  # fmt: skip
    birthday_coupons: list[Label] = Field(
        default_factory=list, max_length=20,
        description="coupon templates (`ct_…`) given with the birthday gift, once a year, beside those marked as "
        "everyone's birthday gift",
    )  # fmt: skip
    free_shipping: bool = Field(default=False, description="orders ship free (包邮)")
    priority_purchase: bool = Field(default=False, description="early access to launches and sales (优先购)")
    exclusive_coupons: list[Label] = Field(
        default_factory=list,
        max_length=50,
        description="coupon templates (`ct_…`) only this tier gets (专属券): issued once to a member reaching it",
    )
    entitlements: list[Entitlement] = Field(
        default_factory=list, max_length=50, description="rights with a quota (权益), e.g. a private class a week"
    )


class TierIn(Input):
    """A tier (会员等级) of the programme."""

    code: Code = Field(description=TIER_CODE)
    name_zh: Name = Field(description=NAME_ZH)
    name_en: Name = Field(description=NAME_EN)
    qualify_at: Amount = Field(default=0, description=f"the threshold to reach it over the window, {METRIC_VALUE}")
    retain_at: Amount | None = Field(
        default=None, description=f"to keep the tier at review (保级), {METRIC_VALUE}; default: qualify_at"
    )
    upgrade_gift_points: int = Field(default=0, ge=0, le=1_000_000, description="points given on reaching it (升级礼)")
    benefits: Benefits = Field(default_factory=Benefits, description="what the tier gives (权益)")


class GrowthIn(Input):
    """How growth value (成长值) is earned."""

    per_cny: Decimal = Field(default=Decimal(1), ge=0, le=1000, max_digits=12, decimal_places=4,
                             description="growth per CNY (元) paid, rounded down per purchase")  # fmt: skip
    activities: dict[GROWTH_KINDS, int] = Field(default_factory=dict, description="growth per activity kind")

    @model_validator(mode="after")
    def _non_negative(self) -> GrowthIn:
        if any(value < 0 or value > 1_000_000 for value in self.activities.values()):
            raise ValueError("activity growth is between 0 and 1,000,000")
        return self


PROGRAMME_EXAMPLE: JsonDict = {
    "name": "年度消费等级",
    "metric": "paid_fen",
    "window": "calendar-year",
    "validity": "calendar-year",
    "grace_days": 15,
    "warning_days": 30,
    "growth": {"per_cny": 1, "activities": {"checkin": 1, "review": 10}},
    "tiers": [
        {"code": "normal", "name_zh": "普通会员", "name_en": "Member"},
        {
            "code": "silver",
            "name_zh": "白银会员",
            "name_en": "Silver",
            "qualify_at": 100000,
            "retain_at": 80000,
            "upgrade_gift_points": 100,
            "benefits": {"discount_rate": 0.98, "points_multiplier": 1.2, "birthday_bonus_points": 100},
        },
        {
            "code": "gold",
            "name_zh": "黄金会员",
            "name_en": "Gold",
            "qualify_at": 300000,
            "retain_at": 250000,
            "upgrade_gift_points": 300,
            "benefits": {
                "discount_rate": 0.95,
                "points_multiplier": 1.5,
                "birthday_bonus_points": 300,
                "free_shipping": True,
                "entitlements": [
                    {
                        "code": "alteration",
                        "name_zh": "免费改衣",
                        "name_en": "Free alterations",
                        "quota": 2,
                        "period": "month",
                    }
                ],
            },
        },
    ],
}


class ProgrammeIn(Input):
    """A tier programme: tiers lowest first, the first open to everyone (``qualify_at`` 0)."""

    model_config = ConfigDict(json_schema_extra={"examples": [PROGRAMME_EXAMPLE]})

    name: Name = Field(default="会员等级", description="the programme's name, as members see it")
    metric: Literal["growth", "paid_fen"] = Field(
        default="growth", description="what tiers are judged on: growth value (成长值) or the amount paid (fen)"
    )
    window: Literal["lifetime", "rolling-12-months", "calendar-year"] = Field(
        default="lifetime", description="over what time: ever, this month and the 11 before, or this calendar year"
    )
    validity: Literal["months", "calendar-year"] = Field(
        default="months", description="months: validity_months from reaching; calendar-year: through next year"
    )
    validity_months: int = Field(default=12, ge=1, le=120, description="months a tier holds after it is reached")
    grace_days: int = Field(default=0, ge=0, le=366, description="days after the last valid day before the review")
    warning_days: int = Field(
        default=30, ge=0, le=366, description="days before the end at which members at risk are warned"
    )
    growth: GrowthIn = Field(default_factory=GrowthIn, description="how growth value (成长值) is earned")
    tiers: list[TierIn] = Field(min_length=1, max_length=20, description="the tiers, lowest (everyone's) first")

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
    """A version of the tier programme (会员等级体系)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{**PROGRAMME_EXAMPLE, "version": 2, "status": "draft",
        "created_at": "2026-11-30T08:12:31.406Z", "created_by": "staff:sf_01JDZ8Q4X7K3M9N2P5R8T1V6W0"}]})  # fmt: skip

    version: int = Field(description="its number: 1, 2, 3 …")
    status: Literal["draft", "current", "superseded"] = Field(
        description="draft (not applied), current (judging members now) or superseded (applied once, replaced since)"
    )
    created_at: str = Field(description=f"when it was drafted; {UTC_INSTANT}")
    created_by: str = Field(description="who drafted it (`staff:<id>`)")
    applied_at: str | None = Field(default=None, description=f"when it was made current; {UTC_INSTANT}")
    applied_by: str | None = Field(default=None, description="who made it current")


class ProgrammeVersions(Schema):
    """Every tier programme version and the current one."""

    current: ProgrammeVersion = Field(description="the version judging members now")
    versions: list[ProgrammeVersion] = Field(description="every version, newest first")
    coupon_names: dict[str, str] = Field(
        default_factory=dict,
        description="the names of the coupon templates the versions' benefits name (专属券, 生日券), by template id, "
        "for screens to show instead of the ids; a template no longer there is left out",
    )


class ProgrammeJobIn(Input):
    """Which programme version to preview."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 2}]})

    version: int = Field(ge=1, description="the programme version to preview or apply")


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
    """A staff override of a member's tier, until a day, with a reason."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"kind": "floor", "tier": "gold", "until": "2030-12-31", "reason": "品牌大使合作期内保底黄金"}]
        }
    )

    kind: Literal["floor", "pin"] = Field(description="floor: never below the tier; pin: exactly the tier")
    tier: Code = Field(description="the tier's code in the current programme, e.g. `gold`")
    until: Annotated[Day, AfterValidator(_override_end)] = Field(
        description=f"the last day it holds, from today to at most {OVERRIDE_YEARS} years ahead; {BUSINESS_DATE}"
    )
    reason: Reason = Field(description="why, kept in the tier history and the audit log (write no personal data)")


class TierView(Schema):
    """A tier by code and names."""

    code: str = Field(description=TIER_CODE)
    name_zh: str = Field(description=NAME_ZH)
    name_en: str = Field(description=NAME_EN)


class NextTier(Schema):
    """The tier above the member's, and how far they are from it."""

    code: str = Field(description="its code, e.g. `gold`")
    name_zh: str = Field(description="its name in Chinese, e.g. 黄金会员")
    name_en: str = Field(description="its name in English")
    qualify_at: int = Field(description=f"the value that reaches it, {METRIC_VALUE}")
    missing: int = Field(description=f"what the member's value lacks to reach it (0 when reached), {METRIC_VALUE}")


class Retention(Schema):
    """Keeping the tier at its review (保级): what the value must be by then, and whether the member is at risk."""

    retain_at: int = Field(description=f"the value that keeps the tier, {METRIC_VALUE}")
    value: int = Field(description=f"the member's value over the window now, {METRIC_VALUE}")
    missing: int = Field(description=f"what it lacks to keep the tier (0 when kept), {METRIC_VALUE}")
    review_on: str = Field(description=f"the day the tier is reviewed, after the grace days; {BUSINESS_DATE}")
    at_risk: bool = Field(description="whether the member would move down were the review today")
    counted: int = Field(
        description="what the review will judge, as counted so far: the value over the window ending on the last "
        f"valid day (in the grace days, or over the window ending today if more), {METRIC_VALUE}; for a "
        "calendar-year window, the spending of the year the tier runs through, not of this year"
    )
    counted_missing: int = Field(description=f"what that lacks to keep the tier (0 when kept), {METRIC_VALUE}")


class OverrideView(Schema):
    """A staff override of the member's tier (等级调整), until a day."""

    kind: Literal["floor", "pin"] = Field(description="floor: never below the tier; pin: exactly the tier")
    tier: str = Field(description="the tier's code")
    until: str = Field(description=f"the last day it holds; {BUSINESS_DATE}")
    reason: str = Field(description="why, as the staff member gave it")


class TierChange(Schema):
    """One change of the member's tier, as the history keeps it."""

    tier: str = Field(description="the tier's code after the change")
    previous: str | None = Field(description="the tier's code before it; null for the first")
    reason: str = Field(
        description="upgrade, downgrade, retained, override, programme (a new programme version), refund or opening"
    )
    gift_points: int = Field(description="points given for reaching the tier (升级礼), 0 when none")
    programme_version: int = Field(description="the programme version that judged it")
    note: str | None = Field(description="what staff or the job noted, if anything")
    occurred_at: str = Field(description=f"when it changed; {UTC_INSTANT}")


class TierStatus(Schema):
    """Where a member stands: tier, period, progress to the next tier, retention, benefits, history."""

    programme_version: int = Field(description="the programme version judging the member")
    metric: str = Field(description="what tiers are judged on: `growth` or `paid_fen`")
    window: str = Field(description="over what time: `lifetime`, `rolling-12-months` or `calendar-year`")
    tier: TierView = Field(description="the member's tier (会员等级)")
    since: str = Field(description=f"the day they reached it; {BUSINESS_DATE}")
    valid_until: str | None = Field(description=f"the last day it holds; {BUSINESS_DATE}; null at the lowest tier")
    value: int = Field(description=f"the value over the window now, {METRIC_VALUE}")
    next: NextTier | None = Field(description="the next tier and what the value lacks to reach it; null at the top")
    retention: Retention | None = Field(description="keeping the tier at its review (保级); null at the lowest tier")
    override: OverrideView | None = Field(description="a staff override holding the member's tier; or null")
    benefits: dict[str, Any] = Field(description="what the tier gives (权益), as the programme's Benefits")
    history: list[TierChange] = Field(description="the latest tier changes (等级变化), newest first")
    coupon_names: dict[str, str] = Field(
        default_factory=dict,
        description="the names of the coupon templates its benefits name (专属券, 生日券), by template id, for screens "
        "to show instead of the ids; a template no longer there is left out",
    )


class GrowthEntry(Schema):
    """One entry of the growth ledger; entries are never changed, corrections are new entries."""

    entry_id: str = Field(description="the entry's id (`ge_…`)")
    seq: int = Field(description="its number in the member's growth ledger: 1, 2, 3 … without gaps")
    type: str = Field(description="earn, reverse (a refund taking growth back) or opening (migrated)")
    growth: int = Field(description="growth value (成长值), signed: credits positive, debits negative")
    value_after: int = Field(description="the member's lifetime growth value after this entry")
    paid_fen: int = Field(description=f"the amount paid it counts (negative for refunds); {FEN}")
    month: str = Field(description="the business month it counts in, YYYY-MM")
    source: dict[str, str | None] = Field(description="what booked it: `kind` (order, refund, activity …) and `id`")
    reason: str = Field(description="why, in words")
    reason_en: str | None = Field(default=None, description=REASON_EN)
    occurred_at: str = Field(description=f"when it was booked; {UTC_INSTANT}")


class GrowthPage(Schema):
    """A member's growth value (成长值) with a page of its entries, newest first."""

    value: int = Field(description="lifetime growth value (成长值)")
    paid_fen: int = Field(description=f"lifetime paid amount, net of refunds; {FEN}")
    months: dict[str, dict[str, int]] = Field(
        description="per business month (YYYY-MM), the last 24: `growth` and `paid_fen` (fen)"
    )
    items: list[GrowthEntry] = Field(description="this page's growth entries")
    next_cursor: str | None = Field(description=NEXT_CURSOR)
