"""Earn rules as pure functions: how an order's paid money becomes points. No AWS here.

How an order is scored, in this order:

1. ``paid_fen`` is spread over the lines in proportion to their ``amount_fen`` (largest remainders, ties to
   the earlier line), so the shares add up to ``paid_fen`` exactly, unless the lines say what each was paid
   (``paid_by_line``: a coupon for some items comes off those lines alone). An order without lines is one line.
2. Lines of excluded categories earn nothing and do not count towards the minimum.
3. If the eligible paid amount is below ``min_paid_fen`` the order earns nothing at all (no bonuses either).
4. Each eligible line earns ``share × rate / 100`` points, where the rate (points per CNY) is the line's
   brand rate if there is one, else its category rate, else the base rate: the most specific rate wins.
5. The sum of the lines is multiplied by every multiplier window open at ``occurred_at`` and by the
   member's tier multiplier (multipliers multiply each other), then rounded down once: this is the only
   rounding.
6. Bonuses (fixed points per unit, by category and by brand; both apply) are added; they are not multiplied.

A refund takes back the difference between what the order earned and what the part that remains would
have earned under the same rules, so refunding everything takes back everything and nothing is taken
twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any

from chalicelib.shared.money import in_proportion


@dataclass(frozen=True)
class Line:
    line_id: str
    sku: str | None
    category: str | None
    brand: str | None
    quantity: int
    amount_fen: int


WHOLE_ORDER = "order"  # the line id of the one line an order reported without its lines is scored as


def whole_order(amount_fen: int) -> Line:
    """The one line of an order reported without its lines."""
    return Line(WHOLE_ORDER, None, None, None, 1, amount_fen)


def by_category(lines: Sequence[Line], amounts: Sequence[int], quantities: Sequence[int]) -> dict[str, list[int]]:
    """What lines add up to by category (品类): ``{category: [fen, items]}`` of the amounts and quantities given for
    each line (what was paid for it, or refunded of it), a line without a category under ``""``; an order reported
    without its lines counts its amount and no items. Categories with nothing are left out."""
    whole = len(lines) == 1 and lines[0] == whole_order(lines[0].amount_fen)
    summed: dict[str, list[int]] = {}
    for line, fen, quantity in zip(lines, amounts, quantities, strict=True):
        counted = summed.setdefault(line.category or "", [0, 0])
        counted[0] += fen
        counted[1] += 0 if whole else quantity
    return {category: counted for category, counted in summed.items() if any(counted)}


@dataclass(frozen=True)
class Window:
    """A promotion window (活动时段): from ``starts_at`` to ``ends_at``, on every day or only on ``weekdays`` (ISO: 1
    Monday … 7 Sunday, as the day is in ``tz``, the business's time zone: 周三会员日 is ``{3}``)."""

    name: str
    starts_at: datetime
    ends_at: datetime
    factor: Decimal
    weekdays: frozenset[int] = frozenset()
    tz: tzinfo = UTC

    def open_at(self, instant: datetime) -> bool:
        if not self.starts_at <= instant < self.ends_at:
            return False
        return not self.weekdays or instant.astimezone(self.tz).isoweekday() in self.weekdays


@dataclass(frozen=True)
class Activity:
    points: int
    per_day: int | None = None
    per_month: int | None = None


@dataclass(frozen=True)
class EarnRules:
    base_rate: Decimal = Decimal(1)
    category_rates: dict[str, Decimal] = field(default_factory=dict)
    brand_rates: dict[str, Decimal] = field(default_factory=dict)
    category_bonuses: dict[str, int] = field(default_factory=dict)
    brand_bonuses: dict[str, int] = field(default_factory=dict)
    windows: tuple[Window, ...] = ()
    tier_multipliers: dict[str, Decimal] = field(default_factory=dict)
    min_paid_fen: int = 0
    excluded_categories: frozenset[str] = frozenset()
    activities: dict[str, Activity] = field(default_factory=dict)


@dataclass(frozen=True)
class LineScore:
    line_id: str
    paid_fen: int
    rate: Decimal | None  # None: excluded
    rate_from: str  # brand | category | base | excluded
    points: Fraction
    bonus: int


@dataclass(frozen=True)
class Score:
    lines: list[LineScore]
    eligible_paid_fen: int
    below_minimum: bool
    multipliers: list[tuple[str, Decimal]]
    base_points: int
    bonus_points: int

    @property
    def total(self) -> int:
        return self.base_points + self.bonus_points

    def explain(self) -> dict[str, Any]:
        return {
            "lines": [{"line_id": s.line_id, "paid_fen": s.paid_fen, "rate": str(s.rate) if s.rate is not None
                       else None, "rate_from": s.rate_from, "points": float(s.points), "bonus": s.bonus}
                      for s in self.lines],
            "eligible_paid_fen": self.eligible_paid_fen, "below_minimum": self.below_minimum,
            "multipliers": [{"name": name, "factor": str(factor)} for name, factor in self.multipliers],
            "base_points": self.base_points, "bonus_points": self.bonus_points, "total": self.total,
        }  # fmt: skip


def spread(paid_fen: int, amounts: list[int]) -> list[int]:
    """``paid_fen`` over lines in proportion to ``amounts``, in whole fen adding up exactly (largest remainders)."""
    return in_proportion(paid_fen, amounts)


def paid_by_line(paid_fen: int, amounts: list[int], discounts: list[int]) -> list[int]:
    """What each line was paid when ``discounts`` (what coupons took off each line, ``amounts`` before them) come off
    their own lines: the rest of the order's difference (points that paid part, a discount of the till's own) in
    proportion to what is left of each line. A coupon's discount on lines it never covered does not come off them (a
    gift card beside a coupon that excludes it keeps its whole price, so a refund of it gives all of it back). An order
    whose discounts do not fit its lines is spread as a whole (``spread``)."""
    left = [amount - off for amount, off in zip(amounts, discounts, strict=True)]
    rest = sum(left) - paid_fen
    if min(left, default=0) < 0 or rest < 0:
        return spread(paid_fen, amounts)
    return [line - less for line, less in zip(left, spread(rest, left), strict=True)]


def score(rules: EarnRules, lines: list[Line], paid: list[int], quantities: list[int], at: datetime,
          tier: str) -> Score:  # fmt: skip
    """Score lines that were paid ``paid`` fen (per line) in ``quantities`` units, at ``at``, for a tier."""
    scored: list[LineScore] = []
    for line, share, quantity in zip(lines, paid, quantities, strict=True):
        if line.category in rules.excluded_categories:
            scored.append(LineScore(line.line_id, share, None, "excluded", Fraction(0), 0))
            continue
        if line.brand is not None and line.brand in rules.brand_rates:
            rate, source = rules.brand_rates[line.brand], "brand"
        elif line.category is not None and line.category in rules.category_rates:
            rate, source = rules.category_rates[line.category], "category"
        else:
            rate, source = rules.base_rate, "base"
        bonus = rules.category_bonuses.get(line.category or "", 0) + rules.brand_bonuses.get(line.brand or "", 0)
        scored.append(LineScore(line.line_id, share, rate, source, Fraction(share) * Fraction(rate) / 100,
                                bonus * quantity))  # fmt: skip
    eligible = sum(s.paid_fen for s in scored if s.rate is not None)
    multipliers = [(w.name, w.factor) for w in rules.windows if w.open_at(at)]
    if tier in rules.tier_multipliers:
        multipliers.append((f"tier:{tier}", rules.tier_multipliers[tier]))
    if eligible < rules.min_paid_fen or eligible == 0:
        nothing = [replace(s, points=Fraction(0), bonus=0) for s in scored]
        return Score(nothing, eligible, eligible < rules.min_paid_fen, multipliers, 0, 0)
    factor = Fraction(1)
    for _, value in multipliers:
        factor *= Fraction(value)
    base = int(sum((s.points for s in scored), Fraction(0)) * factor)  # int() of a positive Fraction rounds down
    return Score(scored, eligible, False, multipliers, base, sum(s.bonus for s in scored))


def score_order(rules: EarnRules, lines: list[Line], paid_fen: int, at: datetime, tier: str) -> Score:
    shares = spread(paid_fen, [line.amount_fen for line in lines])
    return score(rules, lines, shares, [line.quantity for line in lines], at, tier)


def remaining_score(
    rules: EarnRules, lines: list[Line], shares: list[int], refunded_fen: list[int], refunded_qty: list[int],
    at: datetime, tier: str,
) -> Score:  # fmt: skip
    """What the part of an order not refunded would have earned. A line that was paid for and whose money all went
    back earns no per-unit bonus, whatever units were named as returned (a refund of a line's money that names no
    units would otherwise keep them; the goods may still be returned after)."""
    left_paid = [share - refunded for share, refunded in zip(shares, refunded_fen, strict=True)]
    left_qty = [0 if share > 0 and paid <= 0 else line.quantity - qty
                for line, share, paid, qty in zip(lines, shares, left_paid, refunded_qty, strict=True)]  # fmt: skip
    return score(rules, lines, left_paid, left_qty, at, tier)


# --- the rules as members read them ---------------------------------------------------------------------------------

ACTIVITY_NAMES = {  # what each activity is called on the member pages
    "registration": ("注册会员", "joining"), "birthday": ("生日", "your birthday"), "review": ("评价", "a review"),
    "share": ("晒单分享", "sharing a purchase"), "checkin": ("每日签到", "the daily check-in"),
}  # fmt: skip
WEEKDAYS_ZH = "一二三四五六日"


def plain_number(value: Decimal | int) -> str:
    """A number as people write it: 1, 1.5, 0.7 (no exponent, no trailing zeros)."""
    return format(Decimal(value).normalize(), "f")


def _window_words(window: Window, zh: bool) -> str:
    """A promotion as members read it: 周三会员日：周三，12月01日至12月31日积分×2."""
    factor = plain_number(window.factor)
    first = window.starts_at.astimezone(window.tz).date()
    last = (window.ends_at - timedelta(microseconds=1)).astimezone(window.tz).date()  # its end is excluded
    weekdays = sorted(window.weekdays)
    if zh:
        days = "、".join("周" + WEEKDAYS_ZH[d - 1] for d in weekdays)
        return f"{window.name}：{days + '，' if days else ''}{first:%m月%d日}至{last:%m月%d日}积分×{factor}"
    days = ", ".join(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d - 1] for d in weekdays)
    return f"{window.name}: {days + ', ' if days else ''}{first:%d %b} to {last:%d %b}, points ×{factor}"


def _activity_words(kind: str, activity: Activity, zh: bool) -> str:
    """An activity's points and limits: 每日签到得5积分（每天最多1次）."""
    name = ACTIVITY_NAMES.get(kind, (kind, kind))[0 if zh else 1]
    limits = []
    if activity.per_day:
        limits.append(f"每天最多{activity.per_day}次" if zh else f"{activity.per_day} a day")
    if activity.per_month:
        limits.append(f"每月最多{activity.per_month}次" if zh else f"{activity.per_month} a month")
    if zh:
        return f"{name}得{activity.points}积分" + (f"（{'，'.join(limits)}）" if limits else "")
    return f"{activity.points} points for {name}" + (f" ({', '.join(limits)})" if limits else "")


def in_words(
    rules: EarnRules, *, zh: bool, now: datetime, tier: str | None = None, tier_name: str | None = None,
    categories: dict[str, str] | None = None, brands: dict[str, str] | None = None,
) -> list[str]:  # fmt: skip
    """How the rules in force earn points, one sentence each, as a member reads them (积分规则): the rate, its
    exceptions, what earns nothing, per-item bonuses, promotions under way or to come, the member's tier's multiplier
    and the activities with their limits. Category and brand codes by the names given (else as they are)."""
    named_categories, named_brands = categories or {}, brands or {}

    def cats(codes: Any, named: dict[str, str] = named_categories) -> str:
        return ("、" if zh else ", ").join(named.get(code, code) for code in sorted(codes))

    def rate(what: str, value: Decimal) -> str:
        return f"{what}每1元得{plain_number(value)}积分" if zh else f"{what}: {plain_number(value)} points a yuan"

    base = plain_number(rules.base_rate)
    lines = [rate("消费", rules.base_rate) if zh else f"{base} point{'' if base == '1' else 's'} a yuan paid"]
    if rules.min_paid_fen:
        yuan = plain_number(Decimal(rules.min_paid_fen) / 100)
        lines.append(f"单笔实付满{yuan}元起积分" if zh else f"orders paying ¥{yuan} or more earn")
    lines += [rate(cats([code]), value) for code, value in sorted(rules.category_rates.items())]
    lines += [rate(cats([code], named_brands), value) for code, value in sorted(rules.brand_rates.items())]
    if rules.excluded_categories:
        excluded = cats(rules.excluded_categories)
        lines.append(f"{excluded}不积分" if zh else f"{excluded} earn no points")
    bonuses = [(cats([code]), points) for code, points in rules.category_bonuses.items()]
    bonuses += [(cats([code], named_brands), points) for code, points in rules.brand_bonuses.items()]
    for name, points in sorted(bonuses):
        lines.append(f"购买{name}每件另得{points}积分" if zh else f"{name}: {points} more points an item")
    lines += [_window_words(w, zh) for w in sorted(rules.windows, key=lambda w: w.starts_at) if w.ends_at > now]
    if tier and rules.tier_multipliers.get(tier, Decimal(1)) != 1:
        factor = plain_number(rules.tier_multipliers[tier])
        lines.append(
            f"您是{tier_name or tier}，消费积分×{factor}" if zh else f"as {tier_name or tier}, points ×{factor}"
        )
    lines += [_activity_words(kind, activity, zh) for kind, activity in rules.activities.items()]
    return lines
