"""Tier programmes and their evaluation, as pure rules. No AWS here.

- A programme is an ordered list of tiers (lowest first; the first has no threshold). Each tier qualifies
  on one metric (growth value, or paid amount in fen) over one window (lifetime, the rolling 12 months, the
  calendar year), keeps its place with a retention threshold (保级, on the same metric and window) and is
  valid for a number of months from when it was reached or last retained.
- Upgrades happen at once: whenever a metric moves, the member takes the highest tier whose qualification
  threshold is met, if it is above the current one, valid from that day.
- Downgrades happen only at review (the end of the validity), in the nightly job: a member who meets the
  current tier's retention threshold keeps it for another period; otherwise, after ``grace_days``, they
  drop to the highest tier whose retention threshold they meet (never below what they qualify for). A
  warning is due ``warning_days`` before the review.
- Staff overrides: a floor (never below this tier) or a pin (exactly this tier), each until a date.
- Metrics come from monthly buckets (business months), so "rolling 12 months" means the current month and
  the eleven before it. A refund takes its amount out of the purchase's month.
- Validity: a number of months from the day a tier was reached, or (``calendar-year``) through the end of
  the next calendar year. Retaining extends the period from its old end (a late review or grace days never
  shift the periods). At review the metric counts over the window ending on the last valid day, or over the
  window ending today when that is more (what a member made up during the grace days).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal

Metric = Literal["growth", "paid_fen"]
Window = Literal["lifetime", "rolling-12-months", "calendar-year"]
Validity = Literal["months", "calendar-year"]
MONTHS_KEPT = 24  # monthly buckets older than this are dropped; lifetime totals are kept apart


@dataclass(frozen=True)
class Tier:
    code: str
    name_zh: str
    name_en: str
    qualify_at: int = 0  # threshold on the programme's metric over its window
    retain_at: int = 0
    benefits: dict[str, Any] = field(default_factory=dict)
    upgrade_gift_points: int = 0


@dataclass(frozen=True)
class Growth:
    """How growth value (成长值) is earned: per CNY paid (rounded down per purchase) and per activity kind."""

    per_cny: Decimal = Decimal(1)
    activities: dict[str, int] = field(default_factory=dict)  # checkin, review, share, birthday, profile, ...

    def for_paid(self, paid_fen: int) -> int:
        return int((Decimal(paid_fen) * self.per_cny / 100).to_integral_value(ROUND_FLOOR))


@dataclass(frozen=True)
class Programme:
    tiers: tuple[Tier, ...]
    metric: Metric = "growth"
    window: Window = "lifetime"
    validity: Validity = "months"
    validity_months: int = 12
    grace_days: int = 0
    warning_days: int = 30
    growth: Growth = field(default_factory=Growth)
    version: int = 0

    def rank(self, code: str) -> int:
        return next((i for i, tier in enumerate(self.tiers) if tier.code == code), 0)

    def knows(self, code: str) -> bool:
        return any(tier.code == code for tier in self.tiers)

    def tier(self, code: str) -> Tier:
        return self.tiers[self.rank(code)]

    def valid_until(self, since: date) -> date:
        """The last valid day of a tier reached on ``since``."""
        if self.validity == "calendar-year":
            return date(since.year + 1, 12, 31)
        return add_months(since, self.validity_months)

    def renewed(self, valid_until: date) -> date:
        """The last valid day after retaining a tier that was valid through ``valid_until``."""
        if self.validity == "calendar-year":
            return date(valid_until.year + 1, 12, 31)
        return add_months(valid_until, self.validity_months)


@dataclass(frozen=True)
class Metrics:
    """What tiers are judged on: lifetime growth and paid fen, and both per business month (``YYYY-MM``)."""

    growth: int = 0
    paid_fen: int = 0
    months: dict[str, tuple[int, int]] = field(default_factory=dict)  # month -> (growth, paid_fen)

    def value(self, programme: Programme, on: date) -> int:
        """The programme's metric over its window ending on ``on``."""
        index = 0 if programme.metric == "growth" else 1
        lifetime = self.growth if programme.metric == "growth" else self.paid_fen
        buckets = {month: pair[index] for month, pair in self.months.items()}
        return window_total(buckets, programme.window, on, lifetime)

    def add(self, month: str, growth: int, paid_fen: int, today: date) -> Metrics:
        """Count growth and paid fen (negative for a refund) in ``month``; buckets older than
        ``MONTHS_KEPT`` months before ``today`` are dropped. Nothing goes below zero."""
        months = dict(self.months)
        old = months.get(month, (0, 0))
        oldest = _month_back(today, MONTHS_KEPT - 1)
        if month >= oldest:
            months[month] = (max(0, old[0] + growth), max(0, old[1] + paid_fen))
        kept = {m: pair for m, pair in months.items() if m >= oldest and pair != (0, 0)}
        return Metrics(max(0, self.growth + growth), max(0, self.paid_fen + paid_fen), kept)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class Override:
    kind: Literal["floor", "pin"]
    tier: str
    until: date
    reason: str


@dataclass(frozen=True)
class Standing:
    """Where a member stands: their tier, since when, until when it is valid, and any override; and the birthday
    points their last birthday gift had for their earned tier (``birthday``)."""

    tier: str
    since: date
    valid_until: date | None  # None: the lowest tier, never reviewed
    override: Override | None = None
    warned_for: date | None = None  # the review date a downgrade warning was sent for
    birthday: BirthdayBonus | None = None


@dataclass(frozen=True)
class BirthdayBonus:
    """What a birthday gift booked at ``given_at`` (UTC ISO 8601) had for the earned ``tier``: its
    ``birthday_bonus_points`` (``bonus``), of which a paid card's tier floor alone (``floor_tier``) would have given
    ``floor``; and the tier's ``birthday_coupons``, those the floor's name too kept whatever happens."""

    given_at: str
    tier: str
    bonus: int
    floor: int = 0
    floor_tier: str | None = None  # "" for no card's floor; None: noted before floors were kept (its coupons stay)
    year: int | None = None  # the year the gift counts in (its coupons' source); None: the year it was booked in


def birthday_coupons_beyond(programme: Programme, tier: str, *kept: str) -> list[str]:
    """The templates ``tier``'s ``birthday_coupons`` name that none of the ``kept`` tiers' name."""
    named = [str(template) for template in (programme.tier(tier).benefits.get("birthday_coupons") or [])
             ] if programme.knows(tier) else []  # fmt: skip
    keeps = {str(template) for other in kept if programme.knows(other)
             for template in programme.tier(other).benefits.get("birthday_coupons") or []}  # fmt: skip
    return [template for template in dict.fromkeys(named) if template not in keeps]


def birthday_on_refund(
    programme: Programme, given: BirthdayBonus | None, undone_since: str, tier_left: str
) -> tuple[int, BirthdayBonus | None]:
    """What a refund that undid the upgrades made since ``undone_since`` takes back of a birthday gift booked since
    then at a tier above ``tier_left``: its tier's birthday points beyond what the tier left, or the card's floor
    then, would have given; and the gift as it then stands (its coupons beyond those tiers' go back too:
    ``birthday_coupons_beyond``). Buying a tier just before the birthday gift and returning the goods keeps what the
    gift would have been without that tier."""
    if given is None or given.given_at < undone_since or not programme.knows(given.tier):
        return 0, given
    if programme.rank(given.tier) <= programme.rank(tier_left):
        return 0, given
    left = int(programme.tier(tier_left).benefits.get("birthday_bonus_points") or 0)
    kept = min(given.bonus, max(left, given.floor))
    return given.bonus - kept, replace(given, tier=tier_left, bonus=kept)


@dataclass(frozen=True)
class Change:
    tier: str
    previous: str
    reason: Literal["upgrade", "downgrade", "retained", "override", "programme", "refund"]
    gift_points: int = 0


def window_total(buckets: dict[str, int], window: Window, today: date, lifetime: int) -> int:
    """The metric over a window, from monthly buckets keyed ``YYYY-MM``."""
    if window == "lifetime":
        return lifetime
    if window == "calendar-year":
        return sum(value for month, value in buckets.items() if month.startswith(f"{today.year:04d}-"))
    months = {_month_back(today, n) for n in range(12)}
    return sum(value for month, value in buckets.items() if month in months)


def _month_back(today: date, n: int) -> str:
    months = today.year * 12 + today.month - 1 - n
    return f"{months // 12:04d}-{months % 12 + 1:02d}"


def qualifying(programme: Programme, value: int) -> int:
    """The rank of the highest tier whose qualification threshold ``value`` meets."""
    return max((i for i, tier in enumerate(programme.tiers) if value >= tier.qualify_at), default=0)


def retaining(programme: Programme, value: int) -> int:
    """The rank of the highest tier whose retention threshold ``value`` meets."""
    return max((i for i, tier in enumerate(programme.tiers) if value >= tier.retain_at), default=0)


def add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    year, month = total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _bounded(programme: Programme, rank: int, override: Override | None, today: date) -> int:
    if override is None or override.until < today:
        return rank
    wanted = programme.rank(override.tier)
    return wanted if override.kind == "pin" else max(rank, wanted)


def on_metric_change(
    programme: Programme, standing: Standing, value: int, today: date
) -> tuple[Standing, Change | None]:
    """A purchase or growth entry moved the metric to ``value``: upgrade at once if it qualifies higher."""
    current = programme.rank(standing.tier)
    target = _bounded(programme, max(current, qualifying(programme, value)), standing.override, today)
    if target <= current:
        return standing, None
    gift = sum(tier.upgrade_gift_points for tier in programme.tiers[current + 1 : target + 1])
    upgraded = replace(standing, tier=programme.tiers[target].code, since=today,
                       valid_until=programme.valid_until(today), warned_for=None)  # fmt: skip
    return upgraded, Change(upgraded.tier, standing.tier, "upgrade", gift)


def on_refund(
    programme: Programme, standing: Standing, value: int, before_upgrade: Standing | None, today: date
) -> tuple[Standing, Change | None]:
    """A refund took the metric back to ``value``. When upgrades that counted the refunded purchase brought the
    member to the tier they hold (``before_upgrade``: where they stood before the first of them) and what remains
    no longer qualifies for that tier, they are undone: back to the standing before them, or to the highest tier
    the rest still qualifies for if that is higher (keeping the upgrade's dates). The change's ``gift_points``
    are the gifts of the tiers left, to take back. A refund never undoes what staff or a review did."""
    current = programme.rank(standing.tier)
    if before_upgrade is None or value >= programme.tiers[current].qualify_at:
        return standing, None
    floor = programme.rank(before_upgrade.tier)
    target = _bounded(programme, max(floor, qualifying(programme, value)), standing.override, today)
    if target >= current:
        return standing, None
    gift_back = sum(tier.upgrade_gift_points for tier in programme.tiers[target + 1 : current + 1])
    undone = before_upgrade if target == floor else replace(standing, tier=programme.tiers[target].code)
    return replace(undone, override=standing.override, warned_for=None), Change(
        undone.tier, standing.tier, "refund", gift_back
    )


def review_value(programme: Programme, standing: Standing, metrics: Metrics, today: date) -> int:
    """The metric a review judges: over the window ending on the last valid day, or ending today if more."""
    value = metrics.value(programme, today)
    if standing.valid_until is not None and standing.valid_until < today:
        value = max(value, metrics.value(programme, standing.valid_until))
    return value


def review(programme: Programme, standing: Standing, value: int, today: date) -> tuple[Standing, Change | None]:
    """The nightly review after ``valid_until`` + grace: retain, or drop to what ``value`` (see
    ``review_value``) retains. A kept or lower tier runs for another period from the old end."""
    current = programme.rank(standing.tier)
    override_ended = standing.override is not None and standing.override.until < today
    override = None if override_ended else standing.override
    if standing.valid_until is None or today <= standing.valid_until + timedelta(days=programme.grace_days):
        if override_ended:
            return replace(standing, override=None), None
        return standing, None
    earned = max(min(retaining(programme, value), current), qualifying(programme, value))
    target = _bounded(programme, earned, override, today)
    if target == 0:
        dropped = replace(standing, tier=programme.tiers[0].code, since=today, valid_until=None, override=override,
                          warned_for=None)  # fmt: skip
        return dropped, (Change(dropped.tier, standing.tier, "downgrade") if current else None)
    renewed = replace(
        standing, tier=programme.tiers[target].code, override=override, warned_for=None,
        valid_until=programme.valid_until(today) if target > current else programme.renewed(standing.valid_until),
        since=standing.since if target == current else today,
    )  # fmt: skip
    if target < current:
        return renewed, Change(renewed.tier, standing.tier, "downgrade")
    if target > current:
        return renewed, Change(renewed.tier, standing.tier, "upgrade")
    return renewed, Change(renewed.tier, standing.tier, "retained")


def warning_due(programme: Programme, standing: Standing, value: int, today: date) -> bool:
    """Whether to warn now that the coming review would drop the member (once per review date)."""
    if standing.valid_until is None or standing.warned_for == standing.valid_until:
        return False
    if today < standing.valid_until - timedelta(days=programme.warning_days):
        return False
    keeps = max(min(retaining(programme, value), programme.rank(standing.tier)), qualifying(programme, value)) >= (
        programme.rank(standing.tier)
    )
    return not keeps and _bounded(programme, 0, standing.override, standing.valid_until) < programme.rank(standing.tier)


def review_date(programme: Programme, standing: Standing) -> date | None:
    """When the nightly job must look at this member next: the warning, then the review (with grace)."""
    if standing.valid_until is None:
        return None
    review_on = standing.valid_until + timedelta(days=programme.grace_days + 1)
    warn_on = standing.valid_until - timedelta(days=programme.warning_days)
    return warn_on if standing.warned_for != standing.valid_until else review_on


def apply_override(programme: Programme, standing: Standing, override: Override | None, value: int, today: date
                   ) -> tuple[Standing, Change | None]:  # fmt: skip
    """Staff set (or, with ``None``, lift) a floor or a pin. A tier it changes is valid through the
    override's end, then reviewed as usual; lifting one changes nothing until the next review."""
    if override is None:
        return replace(standing, override=None), None
    current = programme.rank(standing.tier)
    target = _bounded(programme, max(current, qualifying(programme, value)) if override.kind == "floor" else current,
                      override, today)  # fmt: skip
    if target == current:
        return replace(standing, override=override), None
    until = None if target == 0 else max(override.until, programme.valid_until(today))
    changed = replace(standing, tier=programme.tiers[target].code, since=today, valid_until=until, override=override,
                      warned_for=None)  # fmt: skip
    return changed, Change(changed.tier, standing.tier, "override")


def rejudge(new: Programme, standing: Standing, value: int, today: date) -> tuple[Standing, Change | None]:
    """A new programme version: who qualifies higher moves up at once (no gift: nothing was earned); a tier
    the new version keeps is kept until its review; a tier it dropped becomes what the member qualifies for
    (valid for a new period), so nobody loses a tier the programme still has before the review. Staff overrides
    still bind: a pin keeps its member exactly on its tier, a floor keeps them at least there, valid at least
    through the override's end; an override on a tier the new version dropped is lifted."""
    if standing.override is not None and not new.knows(standing.override.tier):
        standing = replace(standing, override=None)
    override = standing.override
    target = _bounded(new, qualifying(new, value), override, today)
    pinned = override is not None and override.kind == "pin" and override.until >= today
    rank = new.rank(standing.tier) if new.knows(standing.tier) else None
    if rank is not None and (rank == target or (rank > target and not pinned)):
        return standing, None
    tier = new.tiers[target]
    until = new.valid_until(today) if target else None
    if until is not None and override is not None and override.until >= today and target == new.rank(override.tier):
        until = max(until, override.until)
    moved = replace(standing, tier=tier.code, since=today, valid_until=until, warned_for=None)
    return moved, Change(tier.code, standing.tier, "programme")


def direction(old: Programme, new: Programme, before: str, after: str) -> Literal["up", "down", "unchanged"]:
    """Whether a member moved up or down the ladder: by the tier's place in its programme."""
    was, now = old.rank(before), new.rank(after)
    return "up" if now > was else "down" if now < was else "unchanged"
