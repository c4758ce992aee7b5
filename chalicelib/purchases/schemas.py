"""The purchases and earn-rules API contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from chalicelib.members.schemas import MemberNo, Phone
from chalicelib.purchases.rules import Activity, EarnRules, Window
from chalicelib.shared import clock
from chalicelib.shared.fields import Day, Instant
from chalicelib.shared.http import Input, Schema

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Fen = Annotated[int, Field(ge=0, le=10**12)]
Rate = Annotated[Decimal, Field(ge=0, le=1000, max_digits=12, decimal_places=4)]
Factor = Annotated[Decimal, Field(gt=0, le=100, max_digits=8, decimal_places=4)]
Bonus = Annotated[int, Field(ge=0, le=1_000_000)]
ACTIVITIES = ("registration", "birthday", "review", "share", "checkin")


CLOCK_SKEW = timedelta(minutes=5)


def _happened(value: datetime) -> datetime:
    """An event that has happened: not later than now (allowing a few minutes of clock skew). Kept in UTC, so
    one instant written with another offset is the same report."""
    if value > clock.now() + CLOCK_SKEW:
        raise ValueError("is in the future")
    return value.astimezone(UTC)


Happened = Annotated[Instant, AfterValidator(_happened)]


class MemberRef(Input):
    """Exactly one of member_id, phone and member_no."""

    member_id: Id | None = None
    phone: Phone | None = None
    member_no: MemberNo | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> MemberRef:
        if sum(value is not None for value in (self.member_id, self.phone, self.member_no)) != 1:
            raise ValueError("give exactly one of member_id, phone and member_no")
        return self


class Item(Input):
    line_id: Id
    sku: Label | None = None
    category: Label | None = None
    brand: Label | None = None
    quantity: int = Field(ge=1, le=100_000)
    amount_fen: Fen


class Purchase(Input):
    """A purchase a partner reports. ``items`` add up to ``total_fen``; ``paid_fen`` (after discounts, what
    earns points) is at most ``total_fen``."""

    order_id: Id
    member: MemberRef
    store_id: Id
    occurred_at: Happened
    currency: Literal["CNY"] = "CNY"
    total_fen: Fen
    paid_fen: Fen
    payment_method: Label
    items: list[Item] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _consistent(self) -> Purchase:
        if self.paid_fen > self.total_fen:
            raise ValueError("paid_fen is more than total_fen")
        if self.items and sum(item.amount_fen for item in self.items) != self.total_fen:
            raise ValueError("the items' amount_fen add up to something else than total_fen")
        if len({item.line_id for item in self.items}) != len(self.items):
            raise ValueError("line_id repeats")
        return self


class PurchaseAnswer(Schema):
    order_id: str
    member_id: str
    points_awarded: int
    pending_points: int
    ledger_entry_id: str | None
    duplicate: bool


class RefundItem(Input):
    line_id: Id
    quantity: int = Field(ge=0, le=100_000)
    amount_fen: Fen


class Refund(Input):
    """Money given back on an order: by line, or without lines in proportion to what each line was paid."""

    refund_id: Id
    order_id: Id
    occurred_at: Happened
    amount_fen: Fen = Field(gt=0)
    items: list[RefundItem] | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _consistent(self) -> Refund:
        if self.items is not None:
            if sum(item.amount_fen for item in self.items) != self.amount_fen:
                raise ValueError("the items' amount_fen add up to something else than amount_fen")
            if len({item.line_id for item in self.items}) != len(self.items):
                raise ValueError("line_id repeats")
        return self


class RefundAnswer(Schema):
    refund_id: str
    order_id: str
    member_id: str
    points_clawed_back: int
    debt_after: int
    ledger_entry_id: str | None
    duplicate: bool


class WindowIn(Input):
    name: Label
    starts_at: Instant
    ends_at: Instant
    factor: Factor


class ActivityIn(Input):
    points: int = Field(ge=0, le=1_000_000)
    per_day: int | None = Field(default=None, ge=1, le=1000)
    per_month: int | None = Field(default=None, ge=1, le=10_000)


class RulesIn(Input):
    """An earn-rules version. Rates are points per CNY paid; bonuses are points per unit; see the README for
    how they combine."""

    effective_from: Instant | None = Field(default=None, description="default: now")
    base_rate: Rate = Decimal(1)
    category_rates: dict[Label, Rate] = Field(default_factory=dict, max_length=500)
    brand_rates: dict[Label, Rate] = Field(default_factory=dict, max_length=500)
    category_bonuses: dict[Label, Bonus] = Field(default_factory=dict, max_length=500)
    brand_bonuses: dict[Label, Bonus] = Field(default_factory=dict, max_length=500)
    windows: list[WindowIn] = Field(default_factory=list, max_length=100)
    tier_multipliers: dict[Label, Factor] = Field(default_factory=dict, max_length=20)
    min_paid_fen: Fen = 0
    excluded_categories: list[Label] = Field(default_factory=list, max_length=500)
    activities: dict[Literal["registration", "birthday", "review", "share", "checkin"], ActivityIn] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _windows_ordered(self) -> RulesIn:
        for window in self.windows:
            if window.ends_at <= window.starts_at:
                raise ValueError(f"window {window.name!r} ends before it starts")
        return self

    def to_rules(self) -> EarnRules:
        return EarnRules(
            base_rate=self.base_rate, category_rates=dict(self.category_rates), brand_rates=dict(self.brand_rates),
            category_bonuses=dict(self.category_bonuses), brand_bonuses=dict(self.brand_bonuses),
            windows=tuple(Window(w.name, w.starts_at, w.ends_at, w.factor) for w in self.windows),
            tier_multipliers=dict(self.tier_multipliers), min_paid_fen=self.min_paid_fen,
            excluded_categories=frozenset(self.excluded_categories),
            activities={name: Activity(a.points, a.per_day, a.per_month) for name, a in self.activities.items()},
        )  # fmt: skip


class RulesVersion(RulesIn):
    version: int
    effective_from: datetime
    created_at: str
    created_by: str


class RulesVersions(Schema):
    current: RulesVersion | None
    versions: list[RulesVersion]


class PreviewOrder(Input):
    """A sample order: scored with the rules in force at ``occurred_at`` (default now), writing nothing."""

    occurred_at: Instant | None = None
    paid_fen: Fen
    tier: Label = "normal"
    items: list[Item] = Field(default_factory=list, max_length=500)
    rules: RulesIn | None = Field(default=None, description="score with these rules instead (a draft)")


class Preview(Schema):
    rules_version: int | None
    lines: list[dict[str, object]]
    eligible_paid_fen: int
    below_minimum: bool
    multipliers: list[dict[str, str]]
    base_points: int
    bonus_points: int
    total: int


class ActivityReport(Input):
    """Something a member did elsewhere that the earn rules may reward. Registration points come from the
    registration itself and check-ins from the member app, each once by construction, so partners cannot
    report those."""

    event_id: Id
    kind: Literal["birthday", "review", "share"]
    member: MemberRef
    occurred_at: Happened


class ActivityAnswer(Schema):
    member_id: str
    kind: str
    points_awarded: int
    ledger_entry_id: str | None
    limited: bool = Field(description="the member reached this activity's limit for the day or month")
    duplicate: bool


class PurchaseLine(Schema):
    line_id: str
    sku: str | None
    category: str | None
    brand: str | None
    quantity: int
    amount_fen: int
    paid_fen: int = Field(description="the line's share of paid_fen")


class PurchaseView(Schema):
    """A purchase as reported, with what refunds took back so far (an order reported without lines shows one
    line ``order``)."""

    order_id: str
    partner_id: str | None = Field(description="the partner system that reported it (null for the member)")
    member_id: str
    store_id: str
    occurred_at: str
    currency: str
    total_fen: int
    paid_fen: int
    payment_method: str
    items: list[PurchaseLine]
    points_awarded: int
    growth_awarded: int
    refunded_fen: int
    points_clawed_back: int


class PurchasePage(Schema):
    items: list[PurchaseView]
    next_cursor: str | None


class StorePurchasesQuery(Input):
    """A store's purchases on business days ``from`` through ``to`` (at most 366 days apart)."""

    from_: Day = Field(alias="from")
    to: Day
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2048)

    @model_validator(mode="after")
    def _span(self) -> StorePurchasesQuery:
        if not 0 <= (self.to - self.from_).days <= 366:
            raise ValueError("'to' must be on or after 'from', at most 366 days later")
        return self
