"""Paid membership (付费会员卡) rules, pure: plans and their terms, how a payment extends a card, the card's states,
the periods quotas count in, how benefits from the tier and from cards combine, and what a cancellation refunds.

A member holds at most one card per plan (``card_id`` stays for good; renewals extend it). Its days run from
``started_on`` to ``valid_until`` inclusive (None: lifetime). States, computed from the dates so a late job never
leaves a card wrong:

- ``active``: today ≤ ``valid_until``;
- ``renewal-due``: active, automatic renewal on, and within the notice window (the last ``RENEWAL_NOTICE_DAYS``);
- ``grace``: past ``valid_until`` by at most the plan's ``grace_days``: benefits still apply (a renewal may be
  late);
- ``lapsed``: after grace: the card gives nothing, the member is back to their earned tier's benefits;
- ``cancelled``: ended by a cancellation (refunded by the plan's policy).

A payment extends the card from its current end while it is active or in grace (renewing early loses nothing),
from today once it lapsed or was cancelled. Benefits combine: the best discount applies (the lowest price factor);
points multipliers do not stack (the highest applies) unless each one that applies says it stacks; a tier floor
gives the floor tier's benefits while the card is active, leaving the earned tier untouched; quotas add up per
source (the tier's entitlements and each card's benefits are counted apart).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal, NamedTuple, Protocol

from chalicelib.shared.phrases import Phrase

Kind = Literal["quota", "discount", "points_multiplier", "tier_floor", "coupon_pack"]
Period = Literal["day", "week", "month", "quarter", "year", "term"]  # term: a card's paid term (counted uses only)
RefundKind = Literal["none", "pro_rata", "full_within_days", "unused"]

RENEWAL_NOTICE_DAYS = 7  # an automatic renewal is announced a week before the card ends
LEAST_NOTICE_DAYS = 5  # and never charged sooner than 5 days after its notice (自动续费 rules: a prominent notice)
REMINDER_DAYS = (7, 1)  # reminders that a card ends, days before its last day; and one on the day it lapses


@dataclass(frozen=True)
class Term:
    """A plan's term: a number of months, a number of days, or lifetime (``months`` and ``days`` both None)."""

    months: int | None = None
    days: int | None = None

    @property
    def lifetime(self) -> bool:
        return self.months is None and self.days is None

    def end(self, first_day: date) -> date | None:
        """The last day of a term that starts on ``first_day`` (a month from 31 Jan ends on 28/29 Feb)."""
        if self.days is not None:
            return first_day + timedelta(days=self.days - 1)
        if self.months is not None:
            return add_months(first_day, self.months) - timedelta(days=1)
        return None

    def to_json(self) -> dict[str, int] | str:
        if self.days is not None:
            return {"days": self.days}
        if self.months is not None:
            return {"months": self.months}
        return "lifetime"

    @classmethod
    def from_json(cls, raw: Any) -> Term:
        if raw == "lifetime":
            return cls()
        return cls(months=raw.get("months"), days=raw.get("days"))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class PlanBenefit:
    """One benefit a plan gives. ``quota`` per ``period`` for a counted benefit (``rolls_over``: the previous
    period's unused uses carry into this one); ``rate`` a discount's price factor (0.9: 10% off) or a points
    multiplier (1.5); ``stacks``: a multiplier that multiplies with the others instead of competing; ``tier`` a
    tier floor's tier code; ``template_id`` and ``count`` a coupon pack issued each ``period``; ``value_fen`` what
    one use is worth when a refund deducts what was used."""

    benefit_id: str
    name: str
    kind: Kind
    quota: int | None = None
    period: Period | None = None
    rolls_over: bool = False
    rate: Decimal | None = None
    stacks: bool = False
    tier: str | None = None
    template_id: str | None = None
    count: int = 1
    value_fen: int = 0
    unlimited: bool = False  # a quota of no number (不限次: a gym's entry): each use recorded, none refused


UNLIMITED = 1_000_000  # what an unlimited quota allows a period: more than any till records


def left_shown(left: int) -> int | None:
    """Uses left as said to a reader: None where a source without a number (不限次) gives them."""
    return None if left >= UNLIMITED // 2 else left


@dataclass(frozen=True)
class RefundPolicy:
    """What a cancellation gives back: ``none``; ``pro_rata`` the unused days' share of what was paid;
    ``full_within_days`` everything when cancelled within ``days`` of the first payment (nothing after); or
    ``unused`` (退还未使用部分, as a class pack 次卡 refunds the classes left) everything paid at any time, less the
    uses. ``deduct_used`` (always, for ``unused``): what the card's counted benefits were used for (``value_fen`` a
    use) is kept back."""

    kind: RefundKind = "none"
    days: int = 0
    deduct_used: bool = False

    @property
    def keeps_back_used(self) -> bool:
        return self.deduct_used or self.kind == "unused"

    @property
    def always_open(self) -> bool:
        """Whether every payment not settled can still be refunded, whatever its days and age."""
        return self.kind == "unused"


@dataclass(frozen=True)
class PausePolicy:
    """停卡 (a gym card paused for an injury or a trip): at most ``times`` pauses, ``days`` days in all, begun in each
    paid term; a pause lasts ``min_days`` at least."""

    times: int
    days: int
    min_days: int = 1


@dataclass(frozen=True)
class Plan:
    plan_id: str
    name: str
    term: Term
    price_fen: int
    benefits: tuple[PlanBenefit, ...] = ()
    trial_days: int = 0  # a free trial, once per member and plan; 0: none
    auto_renew: bool = False  # whether members may turn automatic renewal on
    grace_days: int = 3
    refund: RefundPolicy = RefundPolicy()
    on_sale: bool = True
    self_service: bool = True  # sold on the member pages (false: at the counter and partners' tills only)
    stores: tuple[str, ...] = ()  # the stores selling it and honouring its uses, discount and multiplier; (): all
    pause: PausePolicy | None = None  # 停卡: how often and how long a card may be paused each term; None: never
    activation_days: int | None = None  # 首次使用开卡: a new card starts when first used, at the latest N days on

    def benefit(self, benefit_id: str) -> PlanBenefit | None:
        return next((b for b in self.benefits if b.benefit_id == benefit_id), None)


def periods_held(period: str, term: Term) -> int | None:
    """How many of a calendar ``period`` (day, week, month, quarter, year) a term holds at least, whenever it starts
    (a partial period at its start counts once); None for a lifetime card (no end). ``term`` periods: one."""
    if period == "term":
        return 1
    if term.lifetime:
        return None
    if period == "month" and term.months is not None:
        return term.months
    days = term.months * 28 if term.months is not None else int(term.days or 0)  # the fewest days N months have
    per = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}[period]
    return max(1, days // per)


class Counted(Protocol):
    """What a benefit's worth over a term reads of it: a plan's or one being made (``schemas.BenefitIn``)."""

    @property
    def kind(self) -> str: ...
    @property
    def quota(self) -> int | None: ...
    @property
    def period(self) -> str | None: ...
    @property
    def value_fen(self) -> int: ...


def longest_days(term: Term) -> int | None:
    """The most days a term spans, whenever it starts (3 months: 92, July to September); None for a lifetime card."""
    if term.lifetime:
        return None
    firsts = [date(2027, month, 1) for month in range(1, 13)] if term.months is not None else [date(2027, 1, 1)]
    return max((term.end(first) or first) - first for first in firsts).days + 1


def _periods_touched(period: str, term: Term) -> int | None:
    """The most calendar ``period``s a term touches, whenever it starts (every start day of four years, leap years
    in: a review counted a month as 28 days and read three months where one touches two); None for a lifetime."""
    if term.lifetime:
        return None

    def index(day: date) -> int:
        if period == "week":
            return (day - date(2000, 1, 3)).days // 7  # from a Monday
        return {"day": day.toordinal(), "month": day.year * 12 + day.month - 1,
                "quarter": day.year * 4 + (day.month - 1) // 3, "year": day.year}[period]  # fmt: skip

    firsts = (date(2027, 1, 1) + timedelta(days=n) for n in range(366 * 4))
    return max(index(term.end(first) or first) - index(first) + 1 for first in firsts)


def uses_prepaid(benefits: Iterable[Counted], term: Term) -> int | None:
    """The most counted uses a term pays for ahead (课时), each calendar quota over every period the term touches;
    None when unbounded (a lifetime card's calendar quota; an unlimited one is no number of classes)."""
    total = 0
    for b in benefits:
        if b.kind != "quota" or getattr(b, "unlimited", False):
            continue
        periods = 1 if b.period in (None, "term") else _periods_touched(str(b.period), term)
        if periods is None:
            return None
        total += (b.quota or 0) * periods
    return total


def prepaid_limits_passed(price_fen: int, benefits: Iterable[Counted], term: Term, *, max_price_fen: int,
                          max_days: int, max_uses: int) -> list[tuple[str, str, str, str]]:  # fmt: skip
    """What a plan passes of the chain's limits on fees charged ahead (预收费上限: an education chain's rules allow
    at most 3 months or 60 classes a payment, and some cities 5,000 CNY), each as (field, why, code, limit) where
    ``code`` names the limit for a screen's own words (a walkthrough read these in English on Chinese screens); a
    limit of 0 is none."""
    passed = []
    if max_price_fen and price_fen > max_price_fen:
        limit = f"{max_price_fen / 100:,.2f}"
        passed.append(("price_fen", f"above the chain's limit on a fee charged ahead ({limit} CNY)", "prepaid_price",
                       limit))  # fmt: skip
    days = longest_days(term)
    if max_days and (days is None or days > max_days):
        passed.append(("term", f"longer than the chain's limit on a term charged ahead ({max_days} days)",
                       "prepaid_days", str(max_days)))  # fmt: skip
    uses = uses_prepaid(benefits, term)
    if max_uses and (uses is None or uses > max_uses):
        said = f"{uses} classes a term at most, counting each calendar period the term touches" if uses else "unbounded"
        passed.append(("benefits", f"more than the chain's limit on classes charged ahead ({max_uses}): {said}",
                       "prepaid_uses", str(max_uses)))  # fmt: skip
    return passed


def paid_ahead_passed(card: Card, plan: Plan, by_key: Mapping[str, Usage], today: date, *, max_price_fen: int,
                      max_days: int, max_uses: int, used_value_fen: int = 0) -> list[str]:  # fmt: skip
    """What a card, as a payment leaves it, holds paid ahead past the chain's limits on fees charged ahead (a
    walkthrough's cashier sold one parent a 3-month pack four times over: a year and 96 classes paid ahead): its days
    from today to its end, its term classes not yet taken, and the money for what it has not yet given
    (``unearned_fen``: a pack's classes used are given, so a parent renewing with two classes left is not refused
    for the 22 taken); each limit of 0 is none."""
    passed = []
    if max_days and card.valid_until is not None and (card.valid_until - today).days + 1 > max_days:
        passed.append(f"its days would run {(card.valid_until - today).days + 1} days ahead, past {max_days}")
    left = sum(n for _, n, _ in term_uses_left(card, plan, by_key, today))
    if max_uses and left > max_uses:
        passed.append(f"it would hold {left} classes paid ahead, past {max_uses}")
    running = unearned_fen(card, today, used_value_fen)
    if max_price_fen and running > max_price_fen:
        passed.append(f"it would hold {running / 100:,.2f} CNY paid ahead, past {max_price_fen / 100:,.2f}")
    return passed


def unearned_fen(card: Card, today: date, used_value_fen: int) -> int:
    """The money the card holds for what it has not given yet: a pack refunded by its uses, its price less its uses'
    value (``owed_by_use``); a payment for days, its share of the days it gives after today (a lifetime card's, all
    of it); nothing of payments settled or refunded."""
    by_days = 0
    for p in card.payments:
        if p.settled or p.by_use or p.amount_fen <= p.refunded_fen:
            continue
        net = p.amount_fen - p.refunded_fen
        if p.last_day is None:
            by_days += net
        elif days := p.given_days:
            by_days += net * p.given_after(today) // days
    return by_days + owed_by_use(card, used_value_fen)


def classes_worth(benefits: Iterable[Counted], term: Term) -> int | None:
    """What a term's counted benefits are worth at most, each use at its ``value_fen``; None when they are unbounded
    (a calendar quota on a lifetime card)."""
    total = 0
    for b in benefits:
        if b.kind == "quota" and not getattr(b, "unlimited", False) and b.value_fen > 0:  # 赠课 add nothing (a
            periods = periods_held(b.period or "term", term)  # review: a lifetime 0-valued one read as unbounded)
            if periods is None:
                return None
            total += (b.quota or 0) * b.value_fen * periods
    return total


# --- cards ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    """A payment that made or extended a card (``kind``: purchase, renewal, auto-renewal, trial), the days it paid
    for and what of it was refunded. A cancellation settles every payment of the card: what it refunded went back,
    the rest was kept, and a later cancellation (of the card bought again) never refunds it again."""

    payment_id: str
    kind: str
    amount_fen: int
    first_day: date
    last_day: date | None
    paid_at: str
    refunded_fen: int = 0
    method: str = ""  # partner:<id> (its system refunds it), wallet (refunded to the wallet), counter[:<how>], trial
    settled: bool = False
    store_id: str | None = None  # the store that took it, when one did: its figures count its refund too
    order_id: str | None = None  # the till's order it was taken under, at the counter: its refund names it too
    owed: bool = False  # its sale said its days, so the liability counts it (paid before 2026-12-05: never counted)
    gaps: tuple[tuple[date, date], ...] = ()  # its days a pause (停卡) took: not given, its end moved past them
    by_use: bool = False  # owed by the uses left, not the days (a pack refunded by uses, sold since 2026-12-05)

    @property
    def given_days(self) -> int | None:
        """The days it gives (its span less its gaps); None for a lifetime payment."""
        if self.last_day is None:
            return None
        return (self.last_day - self.first_day).days + 1 - sum((b - a).days + 1 for a, b in self.gaps)

    def given_after(self, day: date) -> int:
        """How many of the days it gives come after ``day`` (all of them when it begins later)."""
        if self.last_day is None or day >= self.last_day:
            return 0
        start = max(day + timedelta(days=1), self.first_day)
        paused = sum(max(0, (min(b, self.last_day) - max(a, start)).days + 1) for a, b in self.gaps)
        return (self.last_day - start).days + 1 - paused

    def days_json(self) -> dict[str, Any]:
        """Its days as the liability's buckets read them: first, last and the gaps."""
        return {"first_day": self.first_day.isoformat(), "last_day": _day(self.last_day),
                **({"gaps": [[a.isoformat(), b.isoformat()] for a, b in self.gaps]} if self.gaps else {})}  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {"payment_id": self.payment_id, "kind": self.kind, "amount_fen": self.amount_fen,
                "first_day": self.first_day.isoformat(), "last_day": _day(self.last_day), "paid_at": self.paid_at,
                "refunded_fen": self.refunded_fen, "method": self.method, "settled": self.settled,
                **({"store_id": self.store_id} if self.store_id else {}),
                **({"order_id": self.order_id} if self.order_id else {}),
                **({"owed": True} if self.owed else {}),
                **({"gaps": [[a.isoformat(), b.isoformat()] for a, b in self.gaps]} if self.gaps else {}),
                **({"by_use": True} if self.by_use else {})}  # fmt: skip

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Payment:
        return cls(raw["payment_id"], raw["kind"], int(raw["amount_fen"]), date.fromisoformat(raw["first_day"]),
                   _date(raw["last_day"]), raw["paid_at"], int(raw.get("refunded_fen", 0)),
                   raw.get("method", ""), bool(raw.get("settled")), raw.get("store_id"),
                   raw.get("order_id"), bool(raw.get("owed")),
                   tuple((date.fromisoformat(a), date.fromisoformat(b)) for a, b in raw.get("gaps", ())),
                   bool(raw.get("by_use")))  # fmt: skip


def owed_still(payment: Payment, today: date) -> bool:
    """Whether the liability owes some of ``payment`` today, which its card's cancellation takes away: one its sale
    counted (``owed``: a review cancelled a card sold before the days were said and drove the figure below zero),
    not settled, with days from today on (an older one is owed nothing now, and what it owed before stays)."""
    return (payment.owed and not payment.by_use and not payment.settled and payment.amount_fen > 0
            and (payment.last_day is None or payment.last_day >= today))  # fmt: skip


def owed_by_use(card: Card, used_value_fen: int) -> int:
    """What a pack refunded by its uses (次卡) owes now, as the liability counts it: its payments owed by use, not
    settled nor refunded, less the value of the uses this cycle made (``used_value_fen``, every use ever, less what a
    cancellation counted before), never below nothing: what a cancellation today would give back."""
    held = sum(p.amount_fen - p.refunded_fen for p in card.payments if p.by_use and not p.settled)
    return max(0, held - max(0, used_value_fen - card.uses_counted_fen))


@dataclass(frozen=True)
class Earlier:
    """The payments a card no longer lists one by one (``compact``): how many (``settled`` of them by a
    cancellation), the money they kept (paid less refunded), and of that what no cancellation has settled yet
    (``open_fen``, paid since ``open_since``): a cancellation that gives back all a cycle paid must count it, and a
    full refund's window runs from it."""

    count: int = 0
    kept_fen: int = 0
    open_fen: int = 0
    open_since: date | None = None
    settled_count: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "kept_fen": self.kept_fen, "open_fen": self.open_fen,
                "open_since": _day(self.open_since), "settled": self.settled_count}  # fmt: skip

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> Earlier:
        raw = raw or {}
        return cls(int(raw.get("count", 0)), int(raw.get("kept_fen", 0)), int(raw.get("open_fen", 0)),
                   _date(raw.get("open_since")), int(raw.get("settled", 0)))  # fmt: skip

    def settled(self) -> Earlier:
        """As a cancellation (or a new cycle) leaves it: every one of them settled, nothing open any more."""
        return replace(self, open_fen=0, open_since=None, settled_count=self.count)


class CardBirthday(NamedTuple):
    """What a card's tier floor added to a birthday gift of ``year``: its ``points``, and the gift's ``tier`` next to
    the tier it would have been given at ``without`` the card (their birthday coupons differ by what the floor gave;
    both empty for a gift noted before they were kept)."""

    year: int
    points: int
    tier: str = ""
    without: str = ""


@dataclass(frozen=True)
class Pause:
    """A card's pause (停卡): its days ``first_day``..``last_day`` give no benefit, and the card's end (and every day
    paid after them) moved as many days later."""

    pause_id: str
    first_day: date
    last_day: date
    reason: str = ""

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def to_json(self) -> dict[str, Any]:
        return {"pause_id": self.pause_id, "first_day": self.first_day.isoformat(),
                "last_day": self.last_day.isoformat(), "reason": self.reason}  # fmt: skip

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Pause:
        return cls(raw["pause_id"], date.fromisoformat(raw["first_day"]), date.fromisoformat(raw["last_day"]),
                   raw.get("reason", ""))  # fmt: skip


@dataclass(frozen=True)
class Card:
    """A member's card of one plan, as its ledger book keeps it (on the member's ledger account, read with every
    purchase: ``compact`` keeps it from growing with every renewal)."""

    card_id: str
    plan_id: str
    started_on: date
    valid_until: date | None
    grace_days: int
    auto_renew: bool = False
    cancelled_on: date | None = None
    payments: tuple[Payment, ...] = ()
    notified: tuple[str, ...] = ()  # reminders and notices sent, each ``<what>:<valid_until>`` (once per end)
    packs: tuple[str, ...] = ()  # coupon packs issued this cycle, each ``<benefit_id>:<period start>``
    lapsed_on: date | None = None  # set by the nightly job when it announced the lapse
    uses_counted_fen: int = 0  # the value of the uses a cancellation counted (kept back or not): never counted twice
    cycle: int = 0  # how many times the card was bought again after a cancellation or a lapse
    earlier: Earlier = Earlier()  # payments folded out of ``payments``
    birthdays: tuple[CardBirthday, ...] = ()  # what its tier floor added to birthday gifts this cycle
    pauses: tuple[Pause, ...] = ()  # this cycle's pauses (停卡), begun, under way or to come
    waits: bool = False  # sold to start at its first use (首次使用开卡): pending until then or its first day
    student_id: str | None = None  # the member's student (学员) it was bought for: a card per plan and student

    def status(self, today: date) -> str:
        if self.cancelled_on is not None:
            return "cancelled"
        if any(pause.first_day <= today <= pause.last_day for pause in self.pauses):
            return "paused"
        if self.waits and today < self.started_on:
            return "pending"  # 待开卡: sold to start at its first use, or by itself on its first day
        if self.valid_until is None or today <= self.valid_until:
            if self.auto_renew and self.valid_until is not None and renewal_notice_on(self.valid_until) <= today:
                return "renewal-due"
            return "active"
        if today <= self.valid_until + timedelta(days=self.grace_days):
            return "grace"
        return "lapsed"

    def gives_benefits(self, today: date) -> bool:
        return self.status(today) in ("active", "renewal-due", "grace")

    def on_trial(self, today: date) -> bool:
        """Whether the days running now (or the last ones, in grace) are its free trial's: nothing was paid for them."""
        begun = [p for p in self.payments if not p.settled and p.first_day <= today]
        return bool(begun) and max(begun, key=lambda p: p.first_day).kind == "trial"

    @property
    def grace_ends_on(self) -> date | None:
        return None if self.valid_until is None else self.valid_until + timedelta(days=self.grace_days)

    @property
    def paid_terms(self) -> tuple[tuple[date, date | None], ...]:
        """The terms this cycle's payments paid for (a purchase, each renewal): what a quota counted per ``term``
        counts in. A free trial's days count in the term paid right after them, so a trial gives no quota of its own
        beside the first paid term's; a trial not followed by a payment is a term alone. Days given (延期) count in
        the term before them: its classes left are used then, none are given again."""
        terms: list[tuple[date, date | None]] = []
        after_trial = False
        for p in sorted((p for p in self.payments if not p.settled), key=lambda p: p.first_day):
            if (after_trial or p.kind == EXTENSION) and terms:
                terms[-1] = (terms[-1][0], p.last_day)  # the trial's days and this payment's, or days given: one term
            else:
                terms.append((p.first_day, p.last_day))
            after_trial = p.kind == "trial"
        return tuple(terms)

    @property
    def sold_at(self) -> str | None:
        """The store that took its latest payment standing, when one did: where its lapse counts (a walkthrough read
        a chain's lapses at none of its campuses)."""
        taken = [p for p in self.payments if not p.settled and p.store_id and p.kind != EXTENSION]
        return max(taken, key=lambda p: p.first_day).store_id if taken else None

    @property
    def paid_fen(self) -> int:
        return self.earlier.kept_fen + sum(p.amount_fen - p.refunded_fen for p in self.payments)

    @property
    def open_fen(self) -> int:
        """What the payments no cancellation settled yet hold: all a cancellation could ever give back."""
        return self.earlier.open_fen + sum(p.amount_fen - p.refunded_fen for p in self.payments if not p.settled)

    @property
    def first_open_day(self) -> date | None:
        """The first day of the earliest payment not settled nor refunded (a trial aside), folded ones included:
        where a full refund's window runs from."""
        firsts = [p.first_day for p in self.payments if _opens_window(p)]
        return min([*firsts, *([self.earlier.open_since] if self.earlier.open_since else [])], default=None)

    def to_json(self) -> dict[str, Any]:
        return {
            "card_id": self.card_id, "plan_id": self.plan_id, "started_on": self.started_on.isoformat(),
            "valid_until": _day(self.valid_until), "grace_days": self.grace_days, "auto_renew": self.auto_renew,
            "cancelled_on": _day(self.cancelled_on), "payments": [p.to_json() for p in self.payments],
            "notified": list(self.notified), "packs": list(self.packs), "lapsed_on": _day(self.lapsed_on),
            "uses_counted_fen": self.uses_counted_fen, "cycle": self.cycle,
            **({"earlier": self.earlier.to_json()} if self.earlier.count else {}),
            **({"birthdays": [list(given) for given in self.birthdays]} if self.birthdays else {}),
            **({"pauses": [pause.to_json() for pause in self.pauses]} if self.pauses else {}),
            **({"waits": True} if self.waits else {}),
            **({"student_id": self.student_id} if self.student_id else {}),
        }  # fmt: skip

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Card:
        return cls(
            raw["card_id"], raw["plan_id"], date.fromisoformat(raw["started_on"]), _date(raw["valid_until"]),
            int(raw["grace_days"]), bool(raw.get("auto_renew")), _date(raw.get("cancelled_on")),
            tuple(Payment.from_json(p) for p in raw.get("payments", [])), tuple(raw.get("notified", [])),
            tuple(raw.get("packs", [])), _date(raw.get("lapsed_on")), int(raw.get("uses_counted_fen", 0)),
            int(raw.get("cycle", 0)), Earlier.from_json(raw.get("earlier")),
            tuple(CardBirthday(int(b[0]), int(b[1]), *map(str, b[2:4])) for b in raw.get("birthdays", [])),
            tuple(Pause.from_json(pause) for pause in raw.get("pauses", [])), bool(raw.get("waits")),
            raw.get("student_id"),
        )  # fmt: skip


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def renewal_notice_on(valid_until: date) -> date:
    return valid_until - timedelta(days=RENEWAL_NOTICE_DAYS - 1)


class NotRenewable(Exception):
    """A payment the card cannot take: ``why`` is a short reason (``lifetime``, ``trial-used``, ``notice-pending``)."""

    def __init__(self, why: str, detail: str) -> None:
        super().__init__(detail)
        self.why = why


def extend(
    card: Card | None, plan: Plan, *, card_id: str, payment_id: str, kind: str, amount_fen: int, paid_at: str,
    today: date, trials: Sequence[str] = (), method: str = "", used_value_fen: int = 0, store_id: str | None = None,
    order_id: str | None = None, student_id: str | None = None,
) -> Card:  # fmt: skip
    """The card after a payment for ``plan`` (``kind`` purchase/renewal/auto-renewal, or ``trial`` for the plan's
    free trial, once per member and plan). It runs on from the card's end while active or in grace, from today
    otherwise. An automatic renewal is refused until ``LEAST_NOTICE_DAYS`` after its notice went out. A card bought
    again after it was cancelled or lapsed starts a new cycle: its earlier payments are settled (nothing of them is
    refunded again), the uses made so far (``used_value_fen``) were theirs (never deducted again), and its coupon
    packs are owed afresh (the new cycle pays for its periods; a pack a cancellation took back stays void). A new card
    bought for a student (学员) is ``student_id``'s, and stays theirs when bought again."""
    live = card is not None and card.cancelled_on is None and card.status(today) != "lapsed"
    if card is not None and live and card.valid_until is None:
        raise NotRenewable("lifetime", f"card {card.card_id} is for life already")
    if kind == "trial":
        if plan.trial_days <= 0:
            raise NotRenewable("no-trial", f"plan {plan.plan_id} offers no trial")
        if plan.plan_id in trials:
            raise NotRenewable("trial-used", f"the trial of plan {plan.plan_id} was taken before")
        if card is not None:
            raise NotRenewable("trial-used", f"the trial of plan {plan.plan_id} is for members who never held its card")
    if kind == "auto-renewal":
        noticed = notice_sent_on(card) if card is not None else None
        if card is None or not card.auto_renew or noticed is None or (today - noticed).days < LEAST_NOTICE_DAYS:
            raise NotRenewable(
                "notice-pending", "an automatic renewal is charged 5 days after its notice at the soonest"
            )
    first = card.valid_until + timedelta(days=1) if live and card is not None and card.valid_until else today
    waits = bool(plan.activation_days) and kind != "trial" and not (live and card is not None)
    if waits:  # starts at its first use (首次使用开卡), by itself on the last day it may wait
        first = today + timedelta(days=plan.activation_days or 0)
    term = Term(days=plan.trial_days) if kind == "trial" else plan.term
    last = term.end(first)
    payment = Payment(payment_id, kind, amount_fen, first, last, paid_at, method=method, store_id=store_id,
                      order_id=order_id, owed=True, by_use=plan.refund.always_open)  # fmt: skip
    if card is None or not live:
        previous = tuple(replace(p, settled=True) for p in card.payments) if card else ()
        counted = used_value_fen if card else 0
        grace = 0 if kind == "trial" else plan.grace_days  # a 7-day trial is 7 days (a walkthrough's gave 10)
        return Card(card.card_id if card else card_id, plan.plan_id, first, last, grace,
                    auto_renew=card.auto_renew if card and live else False, payments=(*previous, payment),
                    uses_counted_fen=counted, cycle=card.cycle + 1 if card else 0,
                    earlier=card.earlier.settled() if card else Earlier(), waits=waits,
                    student_id=card.student_id if card else student_id)  # fmt: skip
    return replace(card, valid_until=last, grace_days=plan.grace_days, payments=(*card.payments, payment))


class NotPausable(Exception):
    """A pause the card cannot take (``why``: ``not-offered``, ``lifetime``, ``ended``, ``when``, ``overlaps``,
    ``too-short``, ``used-up``), said in ``detail``."""

    def __init__(self, why: str, detail: str) -> None:
        super().__init__(detail)
        self.why = why


EXTENSION = "extension"  # the kind (and method) of the payment of nothing that records days given (延期)
PAUSE_AHEAD_DAYS = 30  # a pause may be arranged to begin up to a month ahead (the trip planned)


def _shifted(p: Payment, at: date, n: int) -> Payment:
    """``p`` with its days from ``at`` on moved ``n`` days (later when positive): a payment beginning on or after
    ``at`` moves whole, one running over it ends ``n`` days later; its gaps from ``at`` on move with them."""
    if p.settled or p.last_day is None or p.last_day < at:
        return p
    moved = timedelta(days=n)
    gaps = tuple((a + moved, b + moved) if a >= at else (a, b) for a, b in p.gaps)
    if p.first_day >= at:
        return replace(p, first_day=p.first_day + moved, last_day=p.last_day + moved, gaps=gaps)
    return replace(p, last_day=p.last_day + moved, gaps=gaps)


def _moved(card: Card, at: date, n: int) -> Card:
    """The card with every day from ``at`` on moved ``n`` days: its payments' days, its later pauses, its end."""
    moved = timedelta(days=n)
    pauses = tuple(replace(q, first_day=q.first_day + moved, last_day=q.last_day + moved) if q.first_day >= at else q
                   for q in card.pauses)  # fmt: skip
    until = card.valid_until + moved if card.valid_until is not None else None
    return replace(card, payments=tuple(_shifted(p, at, n) for p in card.payments), pauses=pauses, valid_until=until)


def pause(card: Card, plan: Plan, pause_id: str, first: date, days: int, reason: str, today: date) -> Card:
    """停卡: the card paused for ``days`` days from ``first`` (today, or up to a month ahead, within its paid days):
    its benefits do not apply then, and its end, with every day paid after ``first``, moves ``days`` later (the
    payment running over them gives them later: a pro-rata refund and the liability count only the days it gives).
    Within the plan's policy: at most ``times`` pauses and ``days`` days in all begun in one paid term, each at least
    ``min_days``; never two at once."""
    policy = plan.pause
    if policy is None:
        raise NotPausable("not-offered", f"plan {plan.plan_id} does not let its cards be paused")
    if card.valid_until is None:
        raise NotPausable("lifetime", "a lifetime card has no end to move")
    if card.status(today) == "pending":
        raise NotPausable("pending", "the card waits for its first visit: open it (开卡) before pausing it")
    if card.status(today) not in ("active", "renewal-due", "paused"):
        raise NotPausable("ended", f"the card is {card.status(today)}")
    if card.on_trial(today):  # a review: a paused trial gave free days
        raise NotPausable("trial", "a free trial is not paused")
    if card.auto_renew and notice_sent_on(card) is not None:  # a review: the charge announced would be refused
        raise NotPausable("renewal-notice", "its automatic renewal is announced: pause it once renewed, or turn "
                          "automatic renewal off first")  # fmt: skip
    if any(q.last_day >= today for q in card.pauses):  # a review: a new pause moved a trip arranged later
        raise NotPausable("overlaps", "one pause at a time: end or withdraw the one under way or arranged first")
    if not today <= first <= min(card.valid_until, today + timedelta(days=PAUSE_AHEAD_DAYS)):
        raise NotPausable("when", f"a pause begins between today and {PAUSE_AHEAD_DAYS} days ahead, by the card's end "
                          f"({card.valid_until.isoformat()})")  # fmt: skip
    if days < policy.min_days:
        raise NotPausable("too-short", f"a pause lasts {policy.min_days} days at least")
    last = first + timedelta(days=days - 1)
    if any(q.first_day <= last and first <= q.last_day for q in card.pauses):
        raise NotPausable("overlaps", "the card is paused on some of those days already")
    term = next(((a, b) for a, b in card.paid_terms if a <= first and (b is None or first <= b)), None)
    begun = [
        q
        for q in card.pauses
        if term is not None and term[0] <= q.first_day and (term[1] is None or q.first_day <= term[1])
    ]
    taken = sum(q.days for q in begun)
    if len(begun) >= policy.times or taken + days > policy.days:
        raise NotPausable("used-up", f"this term allows {policy.times} pauses of {policy.days} days in all; "
                          f"{len(begun)} taken, {taken} days")  # fmt: skip
    moved = _moved(card, first, days)
    gap = (first, last)
    payments = tuple(replace(p, gaps=tuple(sorted((*p.gaps, gap)))) if not p.settled and p.last_day is not None
                     and p.first_day < first <= p.last_day else p for p in moved.payments)  # fmt: skip
    pauses = tuple(sorted((*moved.pauses, Pause(pause_id, first, last, reason)), key=lambda q: q.first_day))
    return replace(moved, payments=payments, pauses=pauses)


def activate(card: Card, plan: Plan, today: date) -> Card:
    """开卡 at the first use: a card sold to start then (``pending``, its days set to begin on the last day it may
    wait) starts today, each of its terms paid for laid again one after another from today (a month is a month from
    its first day, as if bought today)."""
    if card.cancelled_on is not None or card.status(today) != "pending":
        said = (
            "it started by itself"
            if card.waits and card.status(today) != "cancelled"
            else f"it is {card.status(today)}"
        )
        raise NotPausable("not-pending", f"the card waits for no first visit: {said}")
    payments, first = [], today
    for p in sorted(card.payments, key=lambda p: p.first_day):
        if p.settled:
            payments.append(p)
            continue
        last = plan.term.end(first)
        payments.append(replace(p, first_day=first, last_day=last))
        first = last + timedelta(days=1) if last is not None else first
    until = max((p.last_day for p in payments if not p.settled and p.last_day), default=None)
    return replace(card, started_on=today, payments=tuple(payments), valid_until=until, waits=False)


def resume(card: Card, pause_id: str, today: date) -> tuple[Card, int]:
    """复卡: the pause ended today (the card gives its benefits again from today on), or withdrawn when it has not
    begun; the days it no longer takes come back off the card's end. The card and the days given back."""
    found = next((q for q in card.pauses if q.pause_id == pause_id), None)
    if found is None or card.cancelled_on is not None or found.last_day < today:
        raise NotPausable("ended", "the pause is over")
    back = found.last_day - max(today, found.first_day) + timedelta(days=1)
    moved = _moved(card, found.last_day + timedelta(days=1), -back.days)
    whole = (found.first_day, found.last_day)
    kept = (found.first_day, today - timedelta(days=1)) if today > found.first_day else None

    def regapped(p: Payment) -> Payment:  # the pause's gap cut to the days it took, or gone with it
        shortened = (kept,) if kept is not None and whole in p.gaps else ()
        return replace(p, gaps=tuple(sorted((*(gap for gap in p.gaps if gap != whole), *shortened))))

    pauses = tuple(q if q.pause_id != pause_id or kept is None else replace(q, last_day=kept[1])
                   for q in moved.pauses if q.pause_id != pause_id or kept is not None)  # fmt: skip
    return replace(moved, payments=tuple(regapped(p) for p in moved.payments), pauses=pauses), back.days


EXTENSION_DAYS = 366  # the most days one extension gives


def prolong(card: Card, extension_id: str, days: int, given_at: str, today: date) -> Card:
    """延期: ``days`` days given after the card's end, as staff decide (a class pack's lessons left at its end, an
    injury, a goodwill gesture): a payment of nothing records them (``extension:<id>``, never one of the card's
    payments: a review saw an id reused from a till's order refunded twice), counted in the term before it, so its
    counted uses left are used then and none are given again, and a pro-rata refund and the liability read the days
    paid for as before. A card running runs on from its end; one past it (in grace, or lapsed and not bought again:
    revived) from today. Not a lifetime card, a cancelled one, one waiting for its first visit, one on its free trial,
    nor a running card whose automatic renewal is announced (the charge announced would be refused; a lapsed card's
    announcement is spent)."""
    status = card.status(today)
    if card.cancelled_on is not None:
        raise NotPausable("ended", "the card is cancelled")
    if card.valid_until is None:
        raise NotPausable("lifetime", "a lifetime card has no end to move")
    if status == "pending":
        raise NotPausable("pending", "the card waits for its first visit: open it (开卡) first")
    if card.on_trial(today):
        raise NotPausable("trial", "the card is on its free trial: its trial days are not extended")
    if card.auto_renew and notice_sent_on(card) is not None and status != "lapsed":
        raise NotPausable("renewal-notice", "its automatic renewal is announced: extend it once renewed, or once "
                          "the member turned automatic renewal off")  # fmt: skip
    if not 1 <= days <= EXTENSION_DAYS:
        raise NotPausable("days", f"an extension gives 1 to {EXTENSION_DAYS} days")
    payment_id = f"{EXTENSION}:{extension_id}"
    if any(p.payment_id == payment_id for p in card.payments):
        raise NotPausable("again", f"the card was extended under {extension_id!r} already")
    first = max(today, card.valid_until + timedelta(days=1))  # past its end (grace, lapsed): from today
    last = first + timedelta(days=days - 1)
    given = Payment(payment_id, EXTENSION, 0, first, last, given_at, method=EXTENSION)
    return replace(card, valid_until=last, payments=(*card.payments, given), lapsed_on=None)


def notice_sent_on(card: Card) -> date | None:
    """The day the automatic renewal of the card's current end was announced (None: not yet)."""
    for noted in card.notified:
        what, _, rest = noted.partition(":")
        end, _, on = rest.partition("@")
        if what == "renewal-notice" and card.valid_until is not None and end == card.valid_until.isoformat() and on:
            return date.fromisoformat(on)
    return None


# --- periods and quotas -----------------------------------------------------------------------------------------


def period_of(period: Period, day: date) -> tuple[date, date]:
    """The first and last day of the ``period`` holding ``day`` (weeks start on Monday)."""
    if period == "day":
        return day, day
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if period == "month":
        start = day.replace(day=1)
    elif period == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    else:
        start = date(day.year, 1, 1)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    return start, add_months(start, months) - timedelta(days=1)


def span_of(period: Period, day: date, terms: Sequence[tuple[date, date | None]] = ()) -> tuple[date, date]:
    """The first and last day of the period a counted benefit counts in on ``day``: a calendar period, or for
    ``term`` the card's paid term holding it (a purchase's days, then each renewal's: a 10-class card gives 10
    classes a term, however the calendar falls; its grace days count in its last term)."""
    if period != "term":
        return period_of(period, day)
    begun = [term for term in terms if term[0] <= day]
    first, last = max(begun) if begun else min(terms, default=(day, day))
    return first, last or date.max


@dataclass(frozen=True)
class Usage:
    """A counted benefit's uses: the period they count in (its first day) and how many; ``carried`` what the
    previous period left over, when the benefit rolls over; ``cycle`` the card's cycle a ``term`` quota's uses were
    made in (a card bought again after a cancellation or a lapse counts its term afresh, even from the day its last
    cycle began; a calendar month's uses stay the month's, or cancelling and buying again would give it twice)."""

    period: date
    used: int = 0
    carried: int = 0
    cycle: int | None = None  # None: counted before cycles were kept (taken as the card's cycle now)
    drawn: int = 0  # of ``used``, the uses earlier terms drew from this one (a term quota's terms paid ahead)

    def counts_in(self, cycle: int | None) -> bool:
        """Whether these uses count in ``cycle`` of the card (either unknown: kept before cycles were, they do)."""
        return None in (self.cycle, cycle) or self.cycle == cycle


def allowance(benefit: PlanBenefit, usage: Usage | None, today: date, source: Source) -> tuple[int, int, date]:
    """(uses allowed this period, uses so far, the period's last day) for a counted benefit. A new period starts
    from nothing, unless the benefit rolls over: then the previous period's unused quota (at most one quota) is
    carried, when the source gave the benefit through that whole period. The last day said is never after the
    source's (a card's): its benefits end with it.

    A ``term`` quota also allows, at once, the quota of every term paid ahead (a 次卡 bought again before the last
    ran out gives its classes that day: a walkthrough's gym took ¥1,500 for ten classes usable only months later);
    the uses drawn from a later term count in it when it begins (``used`` then starts from them), and a term's own
    unused classes end with it, the last term's with the card's grace. An unlimited one (不限次) allows ``UNLIMITED``:
    its uses are only counted."""
    assert benefit.period is not None
    first, last = span_of(benefit.period, today, source.terms)
    final_term = benefit.period == "term" and not any(start > first for start, _ in source.terms)
    if source.until:  # a card's last term runs to its grace's end, as its uses then count in it (a console said the
        last = source.until if final_term else min(last, source.until)  # classes came back after a pack's end)
    if benefit.unlimited:
        return UNLIMITED, usage.used if usage is not None and usage.period == first else 0, last
    assert benefit.quota is not None
    if benefit.period == "term" and usage is not None and not usage.counts_in(source.cycle):
        usage = None  # an earlier cycle's term, paid and settled with it (a calendar period's uses stay its own)
    ahead = paid_ahead(benefit, source, today)
    if usage is not None and usage.period == first:
        return benefit.quota + ahead + usage.carried, usage.used, last
    drawn = 0
    if benefit.period == "term" and usage is not None and usage.period < first:  # what earlier terms drew from this
        passed = sum(1 for start, _ in source.terms if usage.period <= start < first)
        drawn = max(0, usage.used - usage.carried - benefit.quota * passed)
    carried = 0
    if benefit.rolls_over:
        previous_first, _ = span_of(benefit.period, first - timedelta(days=1), source.terms)
        if source.since <= previous_first < first:
            used_before, before = 0, 0
            if usage is not None and usage.period == previous_first:
                used_before, before = usage.used, usage.carried
            elif benefit.period == "term" and usage is not None and usage.period < previous_first:  # drawn from it
                passed = sum(1 for start, _ in source.terms if usage.period <= start < previous_first)
                used_before = max(0, usage.used - usage.carried - benefit.quota * passed)  # (a review: it carried all)
            carried = min(benefit.quota, max(0, benefit.quota + before - used_before))
    return benefit.quota + ahead + carried, drawn, last


def paid_ahead(benefit: PlanBenefit, source: Source, today: date) -> int:
    """The uses of a ``term`` quota the terms paid ahead of today give at once (none for a calendar period's, nor
    where the source's refund would give a term not begun back whole: ``draws_ahead``)."""
    if benefit.period != "term" or benefit.quota is None or not source.draws_ahead:
        return 0
    return benefit.quota * sum(1 for start, _ in source.terms if start > today)


def uses_key(source: Source, benefit: PlanBenefit) -> str:
    """Where a counted benefit's uses are kept: per card (``card|<card id>|<benefit>``), or the tier's whatever the
    tier (``tier|<benefit>``)."""
    kind, _, source_id = source.key.partition(":")
    return f"card|{source_id}|{benefit.benefit_id}" if kind == "card" else f"tier|{benefit.benefit_id}"


def card_source(card: Card, plan: Plan) -> Source:
    """The benefits a card gives, as a source: from its start to the end of its grace, over this cycle's terms. Its
    terms paid ahead give their quota at once when no cancellation could refund them unused in spite of that: the
    plan refunds nothing, or keeps back the value of what was used (a review: pro rata by days alone refunds a term
    not begun in full, whose classes were used). A card bought for a student (学员) gives its counted benefits only
    (``given_by``)."""
    ahead = plan.refund.kind == "none" or plan.refund.keeps_back_used
    return Source(f"card:{card.card_id}", plan.name, card.started_on, card.grace_ends_on, given_by(card, plan),
                  card.paid_terms, card.cycle, draws_ahead=ahead, stores=plan.stores,
                  student_id=card.student_id)  # fmt: skip


def given_by(card: Card, plan: Plan) -> tuple[PlanBenefit, ...]:
    """The plan's benefits the card gives: all of them, or for a card bought for a student (学员) its counted ones
    alone, the student's classes: its discount, points multiplier, tier floor and coupon packs would be the parent's,
    once per child (a review: a stacking multiplier bought for five children multiplied the parent's points 64 times;
    a probe: a monthly coupon pack came once a child)."""
    return plan.benefits if card.student_id is None else tuple(b for b in plan.benefits if b.kind == "quota")


def refunds_unused(card: Card, plan: Plan | None) -> bool:
    """Whether what the card's classes left are worth is still the member's money: its plan refunds what was not used
    and something was paid for its cycle (a free trial's classes are no money: a walkthrough's lapsed trial texted
    "24次仍可到店申请退还", and its quote was 0)."""
    return bool(plan and plan.refund.always_open) and any(
        p.kind != "trial" and p.amount_fen > p.refunded_fen and not p.settled for p in card.payments
    )


def term_uses_left(
    card: Card, plan: Plan, by_key: Mapping[str, Usage], today: date, *, own_only: bool = False
) -> list[tuple[str, int, bool]]:  # fmt: skip
    """Each of the card's per-term quotas (a 次卡's classes) with the uses left of it today, those with any left, and
    whether a renewal carries them (``rolls_over``): what its ending would lose, so its reminder says it. With
    ``own_only``, the running term's own, those of the terms paid ahead of it apart (what a term renewed ahead loses
    at its end)."""
    source = card_source(card, plan)
    left = []
    for benefit in plan.benefits:
        if benefit.kind == "quota" and benefit.period == "term" and not benefit.unlimited:
            allowed, used, _ = allowance(benefit, by_key.get(uses_key(source, benefit)), today, source)
            ahead = paid_ahead(benefit, source, today) if own_only else 0
            if allowed - ahead > used:
                left.append((benefit.name, allowed - ahead - used, benefit.rolls_over))
    return left


# --- combining benefits -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where benefits come from: the tier (``tier:<code>``) or a card (``card:<card id>``), and since when."""

    key: str
    name: str
    since: date
    until: date | None
    benefits: tuple[PlanBenefit, ...]
    terms: tuple[tuple[date, date | None], ...] = ()  # a card's paid terms (first and last day), for ``term`` quotas
    cycle: int = 0  # a card's cycle (bought again after a cancellation or a lapse): its uses count afresh
    draws_ahead: bool = False  # its terms paid ahead give their quota at once (its refund counts what was used)
    stores: tuple[str, ...] = ()  # a single-store card's stores (单店卡): its uses, discount and multiplier there only
    student_id: str | None = None  # a card bought for a student (学员): their uses only

    def serves(self, store_id: str | None) -> bool:
        """Whether its counted uses, discount and multiplier apply at ``store_id``: a source of every store (the tier,
        a card of every store 通店卡) anywhere, a card limited to stores at one of them; None (no store said: the
        member's own pages) counts as anywhere."""
        return not self.stores or store_id is None or store_id in self.stores


@dataclass(frozen=True)
class Combined:
    """What applies now: the best price factor, the points multiplier and the tier whose benefits apply, each with
    the source it came from."""

    discount_rate: Decimal = Decimal(1)
    discount_from: str | None = None
    points_multiplier: Decimal = Decimal(1)
    multiplier_from: tuple[str, ...] = ()
    tier: str | None = None
    tier_from: str | None = None
    sources: tuple[Source, ...] = field(default_factory=tuple)


def combine(
    sources: Sequence[Source], tier_rank: Mapping[str, int], earned_tier: str, store_id: str | None = None
) -> Combined:  # fmt: skip
    """Combine the benefits of every source by the rules above: the lowest price factor, the highest multiplier
    (times those that stack), the highest tier floor above the earned tier. At ``store_id``, a card limited to other
    stores gives no discount nor multiplier; its tier floor, the member's standing, holds at every store."""
    discount, discount_from = Decimal(1), None
    best, best_from = Decimal(1), None
    stacked: list[tuple[Decimal, str]] = []
    tier, tier_from = earned_tier, None
    for source in sources:
        here = source.serves(store_id)
        for benefit in source.benefits:
            if benefit.kind in ("discount", "points_multiplier") and not here:
                continue
            if benefit.kind == "discount" and benefit.rate is not None and benefit.rate < discount:
                discount, discount_from = benefit.rate, source.key
            elif benefit.kind == "points_multiplier" and benefit.rate is not None:
                if benefit.stacks:
                    stacked.append((benefit.rate, source.key))
                elif benefit.rate > best:
                    best, best_from = benefit.rate, source.key
            elif (
                benefit.kind == "tier_floor"
                and benefit.tier
                and tier_rank.get(benefit.tier, -1) > tier_rank.get(tier, -1)
            ):
                tier, tier_from = benefit.tier, source.key
    multiplier = best
    for rate, _ in stacked:
        multiplier *= rate
    applied = tuple(key for key in ([best_from] if best_from else []) + [key for _, key in stacked])
    return Combined(discount, discount_from, multiplier, applied, tier, tier_from, tuple(sources))


# --- cancellation ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refund:
    """What a cancellation gives back (fen), each payment's part of it, and how it was worked out."""

    amount_fen: int
    parts: tuple[tuple[str, int], ...]  # (payment id, fen)
    explanation: Phrase
    uses_counted_fen: int = 0  # the value of every use of the card so far, counted by this cancellation

    def explained(self) -> dict[str, str]:
        """How it was worked out, in both languages, as answers and the cancellation's entry keep it."""
        return {"explanation": str(self.explanation), "explanation_en": self.explanation.en}


def refund_for(card: Card, policy: RefundPolicy, today: date, used_value_fen: int, *, waived: bool = False) -> Refund:
    """The refund of cancelling ``card`` today under ``policy``. Pro rata: each payment gives back its share of the
    days it paid for that are not yet used (today counts as used), rounded down; a payment for days not begun gives
    all of it back. Full within N days: everything not yet refunded, when the first payment is at most N days old.
    Unused: everything not yet refunded, on any day. With ``deduct_used`` (always with unused), the value of the
    benefits used is kept back, from the earliest payments' parts first. Only payments no cancellation settled count,
    and uses an earlier cancellation counted are not counted again.
    ``waived``: cancelled without a refund (``policy`` none), which the explanation says as such."""
    open_payments = [p for p in card.payments if not p.settled and p.amount_fen > p.refunded_fen]
    parts: list[tuple[str, int]] = []
    if policy.kind == "pro_rata":
        for p in open_payments:
            if p.last_day is None:  # a lifetime card has no unused days to count
                continue
            days = p.given_days or 0  # a pause's days are neither given nor paid for: they count for nothing
            unused = p.given_after(today)
            share = (p.amount_fen - p.refunded_fen) * unused // days if days else 0
            parts.append((p.payment_id, min(share, p.amount_fen - p.refunded_fen)))
        why = Phrase("按未使用天数比例退款", "Refunded pro rata for the days not used")
    elif policy.kind == "full_within_days":
        first = card.first_open_day or today
        within = (today - first).days <= policy.days
        parts = [(p.payment_id, p.amount_fen - p.refunded_fen) for p in open_payments] if within else []
        why = (Phrase(f"开卡{policy.days}天内全额退款", f"Refunded in full within {policy.days} days of opening")
               if within else Phrase(f"已超过开卡{policy.days}天，不予退款",
                                     f"More than {policy.days} days since opening: no refund"))  # fmt: skip
    elif policy.kind == "unused":
        parts = [(p.payment_id, p.amount_fen - p.refunded_fen) for p in open_payments]
        why = Phrase("退还未使用部分", "Refunded what was not used")
    elif waived:  # staff chose no refund, whatever the plan's policy (a walkthrough read "not refundable")
        why = Phrase("本次退卡不退款", "Cancelled without a refund")
    else:
        why = Phrase("该卡不支持退款", "This card is not refundable")
    deducted, uncounted = 0, used_value_fen - card.uses_counted_fen
    if policy.keeps_back_used and uncounted > 0:
        parts, deducted = _kept_back(parts, uncounted)
    parts = [(payment_id, fen) for payment_id, fen in parts if fen > 0]
    total = sum(fen for _, fen in parts)
    if deducted:
        why = Phrase(
            f"{why}，扣除已使用权益{deducted / 100:.2f}元", f"{why.en}, less {deducted / 100:.2f} CNY of benefits used"
        )
    return Refund(total, tuple(parts), _refunding(why, total), used_value_fen)


def _refunding(why: Phrase, total: int) -> Phrase:
    return Phrase(f"{why}：退款{total / 100:.2f}元", f"{why.en}: {total / 100:.2f} CNY refunded")


def _kept_back(parts: list[tuple[str, int]], amount: int) -> tuple[list[tuple[str, int]], int]:
    """``parts`` less ``amount`` kept back, from the earliest payments' parts first (what was used was used of them
    first: an education chain's walkthrough read the second pack's order, at another centre maybe, charged for the
    classes taken on the first), and how much was kept back."""
    remaining, kept = amount, []
    for payment_id, fen in parts:
        take = min(fen, remaining)
        remaining -= take
        kept.append((payment_id, fen - take))
    return kept, amount - remaining


def keeping_back_used_packs(refund: Refund, taken: Sequence[Mapping[str, str]], discounts: Mapping[str, int]) -> Refund:
    """The refund less what the pack coupons it takes back gave off orders when they were used already (by their
    source: ``discounts``): a pack taken back is one whose period the refund pays back, so a coupon of it used cannot
    be voided and its value is kept back instead, whatever the policy says of other benefits (a card bought, its pack
    used and the card refunded at once would otherwise turn a day's price into the pack's value, again and again)."""
    used = sum(discounts.get(pack["source"], 0) for pack in taken)
    if used <= 0 or refund.amount_fen <= 0:
        return refund
    parts, deducted = _kept_back(list(refund.parts), used)
    parts = [(payment_id, fen) for payment_id, fen in parts if fen > 0]
    total = sum(fen for _, fen in parts)
    said = refund.explanation
    why = Phrase(f"{said.rpartition('：')[0]}，扣除已使用券包优惠{deducted / 100:.2f}元",
                 f"{said.en.rpartition(':')[0]}, less {deducted / 100:.2f} CNY of pack coupons used")  # fmt: skip
    return replace(refund, amount_fen=total, parts=tuple(parts), explanation=_refunding(why, total))


def refunded(card: Card, refund: Refund, today: date) -> Card:
    """The card cancelled today with ``refund`` recorded on its payments, every one of them settled."""
    back = dict(refund.parts)
    payments = tuple(replace(p, refunded_fen=p.refunded_fen + back.get(p.payment_id, 0), settled=True)
                     for p in card.payments)  # fmt: skip
    return replace(card, cancelled_on=today, auto_renew=False, payments=payments, earlier=card.earlier.settled(),
                   uses_counted_fen=max(card.uses_counted_fen, refund.uses_counted_fen))  # fmt: skip


LISTED = 3  # payments a card keeps listing one by one, at least


def compact(card: Card, plan: Plan, today: date, *, listed: int = LISTED) -> Card:
    """The card with what no rule reads one by one any more folded away, so that a card renewed every month for
    years stays the size of a few payments: the oldest payments beyond ``listed`` that no refund can touch (settled
    by a cancellation, or every day of them past while a full refund's window is closed for good: a pro-rata
    refund gives nothing back of a day gone) go into ``Earlier``; notes about an earlier end are dropped (each
    reminder is owed once per end); and once no refund of the cycle can give back all it paid, so that a
    cancellation takes back only the packs of the period it ends in, the coupon packs of periods gone are dropped,
    and so are the birthday points its floor gave (only a cancellation giving all back takes them). Every refund,
    status, sum and pack taken back reads the same before and after, on every day after (under the plan's refund
    policy: were it to become a full refund within N days, only the payments listed would count)."""
    policy = plan.refund

    since = card.first_open_day
    window_open = policy.always_open or (
        policy.kind == "full_within_days" and since is not None and (today - since).days <= policy.days)  # fmt: skip

    terms = card.paid_terms

    def foldable(p: Payment) -> bool:  # every day of its term gone (days given after it lengthen it: a review)
        term_end = next((b for a, b in terms if a <= p.first_day and (b is None or p.first_day <= b)), p.last_day)
        return p.settled or (not window_open and term_end is not None and term_end < today)

    kept, earlier, spare = [], card.earlier, len(card.payments) - listed
    for p in card.payments:
        if spare > 0 and foldable(p):
            spare -= 1
            held = p.amount_fen - p.refunded_fen
            firsts = [d for d in (earlier.open_since, p.first_day if _opens_window(p) else None) if d]
            earlier = Earlier(earlier.count + 1, earlier.kept_fen + held, earlier.open_fen + (0 if p.settled else held),
                              min(firsts, default=None), earlier.settled_count + p.settled)  # fmt: skip
        else:
            kept.append(p)
    end = _day(card.valid_until)
    notes = tuple(n for n in card.notified if n.partition(":")[2].partition("@")[0] == end)
    begun = any(_opens_window(p) and p.first_day <= today for p in card.payments) or card.earlier.open_fen > 0
    never_all = policy.kind == "none" or (policy.kind == "pro_rata" and begun) or (
        policy.kind == "full_within_days" and since is not None and not window_open)  # fmt: skip
    packs = tuple(pack for pack in card.packs if not never_all or not _pack_gone(pack, plan, today))
    birthdays = () if never_all else card.birthdays  # no cancellation can give all back and take them any more
    oldest = min((p.first_day for p in kept if not p.settled), default=today)  # pauses of terms folded away go too
    pauses = tuple(q for q in card.pauses if q.last_day >= oldest)
    return replace(card, payments=tuple(kept), earlier=earlier, notified=notes, packs=packs, birthdays=birthdays,
                   pauses=pauses)  # fmt: skip


def _opens_window(p: Payment) -> bool:
    """A payment a full refund's window runs from: not settled, something left to refund, not a trial."""
    return not p.settled and p.amount_fen > p.refunded_fen and p.kind != "trial"


def _pack_gone(pack: str, plan: Plan, today: date) -> bool:
    """Whether a coupon pack noted on a card (``<benefit_id>:<period start>``) is of a period before today's."""
    benefit_id, _, first = pack.partition(":")
    benefit = plan.benefit(benefit_id)
    if benefit is None or benefit.period is None:
        return False
    return date.fromisoformat(first) < period_of(benefit.period, today)[0]


# --- what the nightly job owes a card ----------------------------------------------------------------------------


TERM_REMINDER_DAYS = 7  # a term renewed ahead is told a week before it ends that its own classes end with it


def term_ending(card: Card, today: date) -> date | None:
    """The last day of the paid term running today when another term is paid after it (a pack renewed ahead): its
    own classes that do not roll over end then, whatever the card's end (an education chain's walkthrough lost 22
    lessons at such a term's end with no word)."""
    if card.cancelled_on is not None or card.valid_until is None:
        return None
    return next((b for a, b in card.paid_terms if b is not None and a <= today <= b < card.valid_until), None)


def notices_due(card: Card, today: date) -> list[str]:
    """The reminders and notices due for ``card`` by ``today`` and not yet sent: ``expiring-7`` and ``expiring-1``
    before the last day, ``renewal-notice`` a week before an automatic renewal, ``lapsed`` once grace ended. A
    reminder whose day passed by more than a day is skipped (a late job sends no stale warning), and so is one whose
    day came before the term it warns of began (a 7-day trial is not told on its first day that 7 days are left)."""
    if card.cancelled_on is not None or card.valid_until is None:
        return []
    end = card.valid_until
    begun = max(
        (p.first_day for p in card.payments if not p.settled and p.first_day <= end and p.kind != EXTENSION),
        default=card.started_on,
    )  # days given (延期) lengthen the term they follow: its reminders stand
    due: list[str] = []
    for days in REMINDER_DAYS:
        on = end - timedelta(days=days)
        if begun <= on <= today <= on + timedelta(days=1) and not card.auto_renew:
            due.append(f"expiring-{days}")
    if card.auto_renew and renewal_notice_on(end) <= today <= end:
        due.append("renewal-notice")
    if card.status(today) == "lapsed" and card.lapsed_on is None:
        due.append("lapsed")
    if card.waits and card.started_on <= today <= card.started_on + timedelta(days=1):  # started by itself, unopened
        due.append("started")  # (a walkthrough's member heard nothing, their only text with a provisional end)
    term_end = term_ending(card, today)
    if term_end is not None and term_end - timedelta(days=TERM_REMINDER_DAYS) <= today <= term_end - timedelta(
            days=TERM_REMINDER_DAYS - 1):  # fmt: skip
        due.append(f"term-ending@{term_end.isoformat()}")
    told = {f"term-ending@{n.rpartition('@')[2]}" for n in card.notified if n.startswith("term-ending:")}
    return [
        what
        for what in due
        if not any(n.startswith(f"{what}:{end.isoformat()}") for n in card.notified) and what not in told
    ]  # fmt: skip  a term's end told once, noted "term-ending:<end>@<term end>"


def packs_due(card: Card, plan: Plan, today: date) -> list[tuple[PlanBenefit, date]]:
    """The coupon packs the card owes this period (one per pack benefit and period while it gives benefits)."""
    if not card.gives_benefits(today):
        return []
    owed = []
    for benefit in given_by(card, plan):
        if benefit.kind == "coupon_pack" and benefit.period is not None:
            first, _ = period_of(benefit.period, today)
            if f"{benefit.benefit_id}:{first.isoformat()}" not in card.packs:
                owed.append((benefit, first))
    return owed


def pack_source(card: Card, pack: str) -> str:
    """The source a pack's coupons are issued under, before their number: ``<card>:<benefit>:<period start>``, the
    card named with its cycle once bought again (``<card>#1``), so a new cycle's pack is not the one taken back."""
    return f"{card.card_id}#{card.cycle}:{pack}" if card.cycle else f"{card.card_id}:{pack}"


def packs_taken_back(card: Card, plan: Plan, refund: Refund, today: date) -> list[dict[str, str]]:
    """The coupon packs a cancellation of ``card`` today takes back, each coupon as its template and the source it
    was issued under (``pack_source`` and its number): none when nothing is refunded (the packs were paid
    for); every pack of the cycle when all it paid goes back; else the packs of the period the card ends in (its
    unused days were refunded, the periods before were kept)."""
    if refund.amount_fen <= 0:
        return []
    everything = refund.amount_fen >= card.open_fen
    return pack_coupons(card, plan, since=None if everything else today)


def pack_coupons(card: Card, plan: Plan, since: date | None = None) -> list[dict[str, str]]:
    """The coupons the card's packs gave in this cycle (of periods from the one ``since`` falls in; None: all), each
    as its template and the source it was issued under."""
    given: list[dict[str, str]] = []
    for benefit in plan.benefits:
        if benefit.kind != "coupon_pack" or benefit.period is None or benefit.template_id is None:
            continue
        first_period, _ = period_of(benefit.period, since or card.started_on)
        for pack in card.packs:
            benefit_id, _, first = pack.partition(":")
            if benefit_id == benefit.benefit_id and date.fromisoformat(first) >= first_period:
                given += [{"template_id": benefit.template_id, "source": f"{pack_source(card, pack)}:{n}"}
                          for n in range(benefit.count)]  # fmt: skip
    return given


def next_due(card: Card, plan: Plan | None, today: date) -> date | None:
    """The next day the nightly job must look at ``card``: a reminder, a notice, the lapse, the next coupon pack."""
    if card.cancelled_on is not None:
        return None
    days: list[date] = [q.last_day + timedelta(days=1) for q in card.pauses]  # its packs resume (a review lost two)
    if card.waits:
        days.append(card.started_on)  # a card waiting for its first use starts by itself: its first pack is due
    if card.valid_until is not None:
        end = card.valid_until
        if card.lapsed_on is None:
            days.append(end + timedelta(days=card.grace_days + 1))
        days += [renewal_notice_on(end)] if card.auto_renew else [end - timedelta(days=d) for d in REMINDER_DAYS]
        if (term_end := term_ending(card, today)) is not None:  # a term renewed ahead: its own classes' end told
            days.append(term_end - timedelta(days=TERM_REMINDER_DAYS))
    if plan is not None and card.gives_benefits(today):
        for benefit in given_by(card, plan):
            if benefit.kind == "coupon_pack" and benefit.period is not None:
                first, last = period_of(benefit.period, today)
                owed = f"{benefit.benefit_id}:{first.isoformat()}" not in card.packs
                days.append(today if owed else last + timedelta(days=1))
    upcoming = [d for d in days if d >= today and (card.valid_until is None or d <= card.valid_until + timedelta(
        days=card.grace_days + 1))]  # fmt: skip
    pending = notices_due(card, today)
    return today if pending else min(upcoming, default=None)
