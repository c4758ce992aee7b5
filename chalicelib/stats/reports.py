"""The reports (经营报表): members, sales, points and the liability, by day, week or month, for the chain, a store, a
region (its stores added up), a tier or a payment method, read from the figures the statistics consumer keeps.

A report reads each shard of its scope once, from its first day through today (the standing at the end of each
period is today's standing less what moved after it), so its reads grow with the days asked and never with the
members. Every metric is defined once, here and in the README:

- ``new``: members registered (``new_by_source``: by how they joined); ``active``: distinct members with a purchase or
  an activity in the period (and, the chain's as of today, ``recently_active``: in the last 7, 30 and 90 days);
  ``total``: members (not erased) at the period's end; ``tier_ups`` / ``tier_downs``: upgrades, and downgrades at
  review or after a refund (a tier set by hand or by a new programme is neither).
- ``purchases``, ``paid_fen`` (what members paid), ``total_fen`` (order totals before discounts), ``refunds``,
  ``refunded_fen``; ``average_order_fen`` = paid ÷ purchases (rounded down); ``buyers`` and ``repeat_buyers``:
  distinct members with at least one, and at least two, purchases in the period; ``purchases_per_member`` =
  purchases ÷ buyers; ``repurchase_rate`` = repeat buyers ÷ buyers. Distinct counts are of the whole day, ISO week or
  calendar month a row names, and are kept for the chain and each store (a region's, a tier's or a payment
  method's are null: a member may count in several of its stores); a row the report's days cut short (its first or
  last week or month, ``whole: false``) says none either, as a month's buyers beside a fortnight's purchases read
  as a repurchase rate of purchases that are not there (a fitness chain's walkthrough).
- Points: ``issued`` (by source: purchases, activities, gifts, adjustments, opening balances), ``redeemed`` (net of
  reversals), ``expired``, ``clawed_back`` (refunds), ``adjusted_out`` (debits by hand), ``outstanding`` at the
  period's end (available and pending, debt counted negative: the sum of every member's points ledger; the chain's
  only, a store's is null); ``consumption_rate`` = redeemed ÷ issued over the window, and cumulative since the start.
- The programme (``programme_report``): coupons issued, used, returned (by refunds), expired and voided, and the
  discount used net of returns; mall orders placed, completed and cancelled (refunds included), and their cash net of
  what is owed back; paid cards sold, free trials, renewed (by hand or automatically), lapsed and cancelled, what they
  brought net of refunds, and their counted uses (classes, entries) net of those taken back; stored value paid in
  (principal) and spent (principal and bonus), and held at each period's end (the chain's).
- The liability (``liability``) at a day's end: points outstanding at the value of a point with the breakage expected
  at the rate expired so far, stored value, usable coupons and unfulfilled mall orders (those two as they stand now);
  the points by when they expire (``by_expiry``: each quarter's lots at the day's end, ``never`` for lots without an
  expiry date, ``debt`` what members owe); and by store (``by_store``: what each store's counter added and took off:
  the points of its purchases net of refunds' claw-backs, stored value paid in less paid out there; ``elsewhere`` is
  the rest of the chain's total: redemptions online or by hand, gifts, expiry); both for the last 92 days only; and
  paid cards' days not given yet (``card_obligations``, 会员卡预收), in the last 92 days too.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal

from chalicelib.shared import clock
from chalicelib.stats import rules
from chalicelib.stats.listeners import BY_EXPIRY, BY_STORE, CHAIN, MIX, MIX_CROSS, OBLIGATIONS, cross_key, sharded
from chalicelib.stats.records import FigureRecord
from chalicelib.stats.rules import ADDED, DAILY, DISTINCT, MOVES, RECENT_WINDOWS, REPORTED, SHARDS, SOURCES, STANDING

Granularity = Literal["day", "week", "month"]
ADDITIVE = (*DAILY, *REPORTED, *MOVES, *ADDED)
LONGEST = {"day": 92, "week": 371, "month": 731}  # the days a report of each granularity may span


@dataclass(frozen=True)
class Period:
    """One row of a report: its label, its first and last day (clipped to the report's) and its distinct key;
    ``whole``: not clipped, so the distinct counts of its key are its own."""

    label: str
    first: date
    last: date
    key: str
    whole: bool = True


def periods(first: date, last: date, granularity: Granularity) -> list[Period]:
    """The rows of a report from ``first`` through ``last``: days, ISO weeks (``2026-W48``) or calendar months
    (``2026-11``), the first and last clipped to the report's days."""
    rows, start = [], first
    while start <= last:
        if granularity == "day":
            end, label, key = start, start.isoformat(), f"day#{start.isoformat()}"
        elif granularity == "week":
            end = start + timedelta(days=6 - start.weekday())
            year, week, _ = start.isocalendar()
            label = f"{year}-W{week:02d}"
            key = f"week#{label}"
        else:
            end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
            label, key = f"{start:%Y-%m}", f"month#{start:%Y-%m}"
        begins = {"day": start, "week": start - timedelta(days=start.weekday()), "month": start.replace(day=1)}
        rows.append(Period(label, start, min(end, last), key, begins[granularity] == start and end <= last))
        start = min(end, last) + timedelta(days=1)
    return rows


def _figures(record: FigureRecord, names: Iterable[str]) -> dict[str, int]:
    return {name: int(getattr(record, name) or 0) for name in names}


class Figures:
    """What the figures of some scopes hold from ``first`` on (through ``through``), each scope's shards added up: the
    day sums, the distinct counts of the periods asked, the standing and the members by tier."""

    def __init__(self, scopes: list[str], first: date, distinct_keys: list[str], through: date | None = None) -> None:
        self.days: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ADDITIVE, 0))
        self.distinct: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DISTINCT, 0))
        last = f"day#{through.isoformat()}" if through else "day#\uffff"  # every day kept: a test clock moved back
        for scope in scopes:  # leaves days after its today, which a standing at an earlier day must take off too
            for shard in range(SHARDS):
                partition = sharded(scope, shard)
                condition = FigureRecord.key.between(f"day#{first.isoformat()}", last)
                for record in FigureRecord.query(partition, condition, consistent_read=True):
                    day = self.days[record.key.removeprefix("day#")]
                    for name, amount in _figures(record, ADDITIVE).items():
                        day[name] += amount
                    self._add_distinct(record)
                for prefix in sorted({key.partition("#")[0] for key in distinct_keys} - {"day"}):
                    wanted = sorted(key for key in distinct_keys if key.startswith(prefix + "#"))
                    condition = FigureRecord.key.between(wanted[0], wanted[-1])
                    for record in FigureRecord.query(partition, condition, consistent_read=True):
                        self._add_distinct(record)

    def _add_distinct(self, record: FigureRecord) -> None:
        counts = self.distinct[record.key]
        for name, amount in _figures(record, DISTINCT).items():
            counts[name] += amount

    def summed(self, first: date, last: date) -> dict[str, int]:
        """The day sums from ``first`` through ``last``."""
        totals = dict.fromkeys(ADDITIVE, 0)
        for day, figures in self.days.items():
            if first.isoformat() <= day <= last.isoformat():
                for name, amount in figures.items():
                    totals[name] += amount
        return totals

    def after(self, day: date) -> dict[str, int]:
        """What moved after ``day``."""
        return self.summed(day + timedelta(days=1), date.max)


def read_day(day: date, scopes: list[str]) -> dict[str, dict[str, int]]:
    """The figures of one day for each of ``scopes`` that has any, its shards added up (batch reads)."""
    keys = [(sharded(scope, shard), f"day#{day.isoformat()}") for scope in scopes for shard in range(SHARDS)]
    found: dict[str, dict[str, int]] = {}
    for record in FigureRecord.batch_get(keys):
        scope = record.scope.rpartition("@")[0]
        figures = found.setdefault(scope, dict.fromkeys((*ADDITIVE, *DISTINCT), 0))
        for name, amount in _figures(record, (*ADDITIVE, *DISTINCT)).items():
            figures[name] += amount
    return found


def standing(scope: str) -> dict[str, int]:
    """The standing totals of a scope now (kept for the chain), its shards added up."""
    totals = dict.fromkeys(STANDING, 0)
    for shard in range(SHARDS):
        record = FigureRecord.find(sharded(scope, shard), "now")
        if record is not None:
            for name, amount in _figures(record, STANDING).items():
                totals[name] += amount
    return totals


def members_by_tier(scope: str) -> dict[str, int]:
    """The members at each tier now, of the chain or of a store's home members, its shards added up."""
    counted: dict[str, int] = defaultdict(int)
    for shard in range(SHARDS):
        for record in FigureRecord.query(sharded(scope, shard), FigureRecord.key.startswith("tier#"),
                                         consistent_read=True):  # fmt: skip
            counted[record.key.removeprefix("tier#")] += int(record.members or 0)
    return dict(counted)


def _ratio(part: int, whole: int) -> str | None:
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))) if whole else None


def _per(amount: int, count: int) -> int | None:
    return int((Decimal(amount) / Decimal(count)).to_integral_value(ROUND_FLOOR)) if count else None


@dataclass(frozen=True)
class Scope:
    """What a report reads: its scopes (one, or a region's stores), and whether it keeps distinct counts and the
    chain's standing."""

    scopes: list[str]
    distinct: bool
    chain: bool


def members_report(scope: Scope, first: date, last: date, granularity: Granularity) -> dict[str, Any]:
    rows = periods(first, last, granularity)
    figures = Figures(scope.scopes, first, [row.key for row in rows])
    now_total = sum(sum(members_by_tier(s).values()) for s in scope.scopes)
    items = []
    for row in rows:
        summed = figures.summed(row.first, row.last)
        moved_after = figures.after(row.last)
        items.append({
            "period": row.label, "from": row.first, "to": row.last, "whole": row.whole, **_moves(summed, scope.chain),
            "active": figures.distinct[row.key]["active"] if scope.distinct and row.whole else None,
            "total": now_total - moved_after["new_members"] + moved_after["erased_members"]
            - moved_after["members_moved_in"] + moved_after["members_moved_out"],
        })  # fmt: skip
    totals = {**_moves(figures.summed(first, last), scope.chain), "total": items[-1]["total"] if items else now_total,
              "recently_active": recently_active(clock.business_today()) if scope.chain else None}  # fmt: skip
    return {"items": items, "totals": totals}


def recently_active(today: date) -> dict[str, int]:
    """Members whose last purchase or activity was in the last 7, 30 and 90 days through ``today`` (the chain's):
    the members counted by the day they were last active, a query per shard."""
    longest = max(RECENT_WINDOWS)
    first = today - timedelta(days=longest - 1)
    by_day: dict[date, int] = defaultdict(int)
    for shard in range(SHARDS):
        condition = FigureRecord.key.between(f"last#{first.isoformat()}", f"last#{today.isoformat()}")
        for record in FigureRecord.query(sharded(CHAIN, shard), condition, consistent_read=True):
            by_day[date.fromisoformat(record.key.removeprefix("last#"))] += int(record.members or 0)
    return {f"last_{days}_days": sum(n for day, n in by_day.items() if (today - day).days < days)
            for days in RECENT_WINDOWS}  # fmt: skip


def _moves(summed: dict[str, int], chain: bool) -> dict[str, Any]:
    """Members new (by source) and erased, and, for the chain (a tier change names no store), tier moves."""
    return {
        "new": summed["new_members"], "erased": summed["erased_members"],
        "new_by_source": {source: summed[f"new_members_{source}"] for source in SOURCES},
        "tier_ups": summed["tier_ups"] if chain else None, "tier_downs": summed["tier_downs"] if chain else None,
    }  # fmt: skip


def sales_report(scope: Scope, first: date, last: date, granularity: Granularity, money: bool) -> dict[str, Any]:
    rows = periods(first, last, granularity)
    figures = Figures(scope.scopes, first, [row.key for row in rows])

    def line(summed: dict[str, int], distinct: dict[str, int] | None) -> dict[str, Any]:
        buyers = distinct["buyers"] if distinct is not None else None
        repeat = distinct["repeat_buyers"] if distinct is not None else None
        return {
            "purchases": summed["purchases"], "refunds": summed["refunds"],
            "paid_fen": summed["sales_fen"] if money else None, "total_fen": summed["total_fen"] if money else None,
            "refunded_fen": summed["refunded_fen"] if money else None,
            "average_order_fen": _per(summed["sales_fen"], summed["purchases"]) if money else None,
            "buyers": buyers, "repeat_buyers": repeat,
            "purchases_per_member": _ratio(summed["purchases"], buyers) if buyers is not None else None,
            "repurchase_rate": _ratio(repeat, buyers) if buyers is not None and repeat is not None else None,
        }  # fmt: skip

    items = []
    for row in rows:
        distinct = figures.distinct[row.key] if scope.distinct and row.whole else None
        items.append({"period": row.label, "from": row.first, "to": row.last, "whole": row.whole,
                      **line(figures.summed(row.first, row.last), distinct)})  # fmt: skip
    whole = figures.distinct[rows[0].key] if scope.distinct and len(rows) == 1 and rows[0].whole else None
    return {"items": items, "totals": line(figures.summed(first, last), whole)}


def points_report(scope: Scope, first: date, last: date, granularity: Granularity) -> dict[str, Any]:
    rows = periods(first, last, granularity)
    figures = Figures(scope.scopes, first, [])
    now = standing(CHAIN) if scope.chain else None

    def held_at_end_of(day: date) -> int | None:
        return now["points_outstanding"] - figures.after(day)["points_net"] if now is not None else None

    def line(summed: dict[str, int], start: date, end: date) -> dict[str, Any]:
        return {
            "opening": held_at_end_of(start - timedelta(days=1)),
            "issued": summed["points_issued"],
            "issued_by_source": {source: summed[f"points_issued_{source}"] for source in
                                 ("purchases", "activities", "gifts", "adjustments", "opening")},
            "redeemed": summed["points_redeemed"], "expired": summed["points_expired"],
            "clawed_back": summed["points_clawed_back"], "adjusted_out": summed["points_adjusted_out"],
            "outstanding": held_at_end_of(end),
        }  # fmt: skip

    items = [{"period": row.label, "from": row.first, "to": row.last,
              **line(figures.summed(row.first, row.last), row.first, row.last)} for row in rows]  # fmt: skip
    summed = figures.summed(first, last)
    cumulative = _ratio(now["points_redeemed_total"], now["points_issued_total"]) if now else None
    totals = {**line(summed, first, last), "cumulative_consumption_rate": cumulative,
              "consumption_rate": _ratio(summed["points_redeemed"], summed["points_issued"])}  # fmt: skip
    return {"items": items, "totals": totals}


def programme_report(scope: Scope, first: date, last: date, granularity: Granularity, money: bool) -> dict[str, Any]:
    """Coupons, mall orders, paid cards, stored value and gift cards by period (amounts for ``money`` only): what each
    asset of the programme did, and the stored value held at each period's end (the chain's)."""
    rows = periods(first, last, granularity)
    figures = Figures(scope.scopes, first, [])
    now = standing(CHAIN) if scope.chain else None

    def fen(amount: int) -> int | None:
        return amount if money else None

    def line(summed: dict[str, int], end: date) -> dict[str, Any]:
        after, held = figures.after(end), None
        if now is not None:
            held = {"principal_fen": now["wallet_principal_fen"] - after["wallet_principal_net_fen"],
                    "bonus_fen": now["wallet_bonus_fen"] - after["wallet_bonus_net_fen"]}  # fmt: skip
        return {
            "coupons": {"issued": summed["coupons_issued"], "used": summed["coupons_used"],
                        "returned": summed["coupons_returned"], "expired": summed["coupons_expired"],
                        "voided": summed["coupons_voided"], "discount_fen": fen(summed["coupon_discount_fen"])},
            "mall_orders": {"placed": summed["mall_orders_placed"], "completed": summed["mall_orders_completed"],
                            "cancelled": summed["mall_orders_cancelled"], "cash_fen": fen(summed["mall_cash_fen"])},
            "cards": {"sold": summed["cards_sold"], "trials": summed["cards_trials"],
                      "renewed": summed["cards_renewed"], "lapsed": summed["cards_lapsed"],
                      "cancelled": summed["cards_cancelled"], "revenue_fen": fen(summed["cards_revenue_fen"]),
                      "uses": summed["cards_uses"], "used_fen": fen(summed["cards_used_fen"])},
            "wallet": {"top_ups_fen": fen(summed["wallet_top_ups_fen"]),
                       "payments_fen": fen(summed["wallet_payments_fen"]),
                       "held": {name: fen(amount) for name, amount in held.items()} if held else None},
            "gift_cards": {"sold": summed["gift_cards_sold"], "sold_fen": fen(summed["gift_cards_sold_fen"]),
                           "bound": summed["gift_cards_bound"], "bound_fen": fen(summed["gift_cards_bound_fen"])},
        }  # fmt: skip

    items = [{"period": row.label, "from": row.first, "to": row.last,
              **line(figures.summed(row.first, row.last), row.last)} for row in rows]  # fmt: skip
    return {"items": items, "totals": line(figures.summed(first, last), last)}


def held_at(scope: str, as_of: date, names: Iterable[str]) -> dict[str, dict[str, int]]:
    """What each bucket of a liability breakdown (``BY_EXPIRY``, ``BY_STORE``) held at the end of ``as_of``: now, less
    what moved after it. Two queries a shard, whatever the members: items grow with the buckets and the days since."""
    wanted = tuple(names)
    held: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(wanted, 0))
    for shard in range(SHARDS):
        partition = sharded(scope, shard)
        for record in FigureRecord.query(partition, FigureRecord.key.startswith("now#"), consistent_read=True):
            figures = held[record.key.removeprefix("now#")]
            for name, amount in _figures(record, wanted).items():
                figures[name] += amount
        after = FigureRecord.key.between(f"day#{as_of + timedelta(days=1)}#", "day#\uffff")  # (see ``Figures``)
        for record in FigureRecord.query(partition, after, consistent_read=True):
            figures = held[record.key.split("#", 2)[2]]
            for name, amount in _figures(record, wanted).items():
                figures[name] -= amount
    return {bucket: figures for bucket, figures in held.items() if any(figures.values())}


def held_totals(as_of: date, now: dict[str, int] | None = None) -> dict[str, int]:
    """The chain's points outstanding, stored-value principal and bonus at the end of ``as_of`` (``rules.HELD``), and
    the points issued and expired by then: the standing (``now``, read if not given) less what moved after that day."""
    now = standing(CHAIN) if now is None else now
    after = Figures([CHAIN], as_of, []).after(as_of)
    return {
        "points_outstanding": now["points_outstanding"] - after["points_net"],
        "wallet_principal_fen": now["wallet_principal_fen"] - after["wallet_principal_net_fen"],
        "wallet_bonus_fen": now["wallet_bonus_fen"] - after["wallet_bonus_net_fen"],
        "points_issued_total": now["points_issued_total"] - after["points_issued"],
        "points_expired_total": now["points_expired_total"] - after["points_expired"],
        "gift_cards_held": now["gift_cards_held"] - after["gift_cards_sold"] + after["gift_cards_bound"],
        "gift_cards_fen": now["gift_cards_fen"] - after["gift_cards_sold_fen"] + after["gift_cards_bound_fen"],
    }


def _worth(points: int, point_value_fen: Decimal) -> int:
    return int((Decimal(points) * point_value_fen).to_integral_value(ROUND_FLOOR))


BREAKDOWN_DAYS = 92  # how far back the liability's breakdowns go: each day since is read per shard and bucket


def by_expiry(as_of: date, outstanding: int, point_value_fen: Decimal) -> dict[str, Any]:
    """The points outstanding at the end of ``as_of`` by the quarter their lots expire, soonest first (``null``:
    never); the debt members owe; and ``undated``, what the breakdown does not place (0 on a stack that always kept it),
    so the quarters less the debt plus it make the outstanding."""
    found = held_at(BY_EXPIRY, as_of, ["points_outstanding"])
    held = {bucket: figures["points_outstanding"] for bucket, figures in found.items()}
    debt = -held.pop(rules.DEBT, 0)
    quarters = sorted(held.items(), key=lambda item: (item[0] == rules.NEVER, item[0]))
    rows = [{"expires": None if quarter == rules.NEVER else quarter, "points": points,
             "value_fen": _worth(points, point_value_fen)} for quarter, points in quarters]  # fmt: skip
    return {"quarters": rows, "debt": debt, "undated": outstanding - sum(points for _, points in quarters) + debt}


def by_store(as_of: date, point_value_fen: Decimal, totals: dict[str, int], stores: Iterable[str]) -> dict[str, Any]:
    """What each of the chain's ``stores`` added to the liability by the end of ``as_of`` (the points of its
    purchases net of claw-backs, stored value paid in less paid out at its counter), and ``elsewhere``: the rest of the
    chain's ``totals`` (what no store did, and what a domain books under a name of its own, as paid cards do)."""

    def row(points: int, principal: int, bonus: int) -> dict[str, int]:
        value = _worth(points, point_value_fen)
        return {"points": points, "points_value_fen": value, "principal_fen": principal, "bonus_fen": bonus,
                "total_fen": value + principal + bonus}  # fmt: skip

    known = set(stores)
    found = held_at(BY_STORE, as_of, rules.HELD)
    held = {store_id: figures for store_id, figures in found.items() if store_id in known}
    rows = [{"store_id": store_id, **row(*(figures[name] for name in rules.HELD))}
            for store_id, figures in sorted(held.items())]  # fmt: skip
    rest = [totals[name] - sum(figures[name] for figures in held.values()) for name in rules.HELD]
    return {"stores": rows, "elsewhere": row(*rest)}


def card_obligations(as_of: date) -> dict[str, int] | None:
    """会员卡预收: what paid cards' payments owe at the end of ``as_of`` for days not given yet (each payment shared
    straight over the days it paid for, a payment for days not begun whole; a cancelled card owes nothing from its
    cancellation on), and lifetime cards' payments apart (``undated_fen``). A past day is now less what moved since
    (cards sold since, and given back those cancelled since), as far back as the breakdowns go (None before). Three
    queries a shard, whatever the members: items grow with the days payments end on and the days since."""
    if (clock.business_today() - as_of).days > BREAKDOWN_DAYS:
        return None
    buckets: dict[date, int] = defaultdict(int)
    undated = 0
    for shard in range(SHARDS):
        partition = sharded(OBLIGATIONS, shard)
        after = FigureRecord.key.between(f"d#{as_of + timedelta(days=1)}", "d#\uffff")
        for record in FigureRecord.query(partition, after, consistent_read=True):
            bucket = date.fromisoformat(record.key.removeprefix("d#"))
            buckets[bucket] += int(record.obligation_net or 0)
        now = FigureRecord.find(partition, "now")
        undated += int(now.cards_undated_fen or 0) if now else 0
        since = FigureRecord.key.between(f"m#{as_of + timedelta(days=1)}#", "m#\uffff")
        for record in FigureRecord.query(partition, since, consistent_read=True):
            bucket_key = record.key.split("#", 2)[2]
            if bucket_key == "now":
                undated -= int(record.cards_undated_fen or 0)
            elif (bucket := date.fromisoformat(bucket_key)) > as_of:
                buckets[bucket] -= int(record.obligation_net or 0)
    return {"unearned_fen": rules.unearned_fen(buckets.items(), as_of), "undated_fen": undated}


def liability(as_of: date, point_value_fen: Decimal, coupons_face_value_fen: int, open_orders: dict[str, Any],
              stores: Iterable[str]) -> dict[str, Any]:  # fmt: skip
    """What the programme owes at the end of ``as_of``: the points outstanding at the configured value of a point,
    with the breakage expected from the points that expired so far; stored value's principal and bonus; the usable
    coupons' face value and the unfulfilled mall orders (``open_orders``: their count, points and cash, in all and by
    age; both as they stand now), their points at a point's value; gift cards sold and not bound; paid cards' days
    not given yet (``card_obligations``); and the breakdowns by expiry and by store."""

    def owed(orders: dict[str, Any]) -> dict[str, int]:
        return {"open": orders["open"], "value_fen": orders["cash_fen"] + _worth(orders["points"], point_value_fen)}

    mall: dict[str, Any] = {**owed(open_orders), "by_age": {age: owed(o) for age, o in open_orders["by_age"].items()}}
    now = standing(CHAIN)
    totals = held_totals(as_of, now)
    outstanding, principal, bonus = (totals[name] for name in rules.HELD)
    gift_cards = {"cards": totals["gift_cards_held"], "value_fen": totals["gift_cards_fen"]}
    value = _worth(outstanding, point_value_fen)
    expiry_rate = (Decimal(totals["points_expired_total"]) / Decimal(totals["points_issued_total"])
                   if totals["points_issued_total"] else Decimal(0))  # fmt: skip  # as it stood that day
    breakage = int((Decimal(max(outstanding, 0)) * expiry_rate).to_integral_value(ROUND_FLOOR))
    recent = (clock.business_today() - as_of).days <= BREAKDOWN_DAYS  # older days: no breakdowns (null)
    unbroken: dict[str, Any] = dict.fromkeys(("debt", "undated", "quarters"))
    expiring = by_expiry(as_of, outstanding, point_value_fen) if recent else unbroken
    cards = card_obligations(as_of)
    return {
        "as_of": as_of,
        "points": {"outstanding": outstanding, "point_value_fen": str(point_value_fen), "value_fen": value,
                   "expected_breakage": breakage, "expiry_rate": str(expiry_rate.quantize(Decimal("0.0001"))),
                   "debt": expiring["debt"], "undated": expiring["undated"], "by_expiry": expiring["quarters"]},
        "wallet": {"principal_fen": principal, "bonus_fen": bonus},
        "coupons": {"face_value_fen": coupons_face_value_fen},
        "mall_orders": mall,
        "gift_cards": gift_cards,
        "cards": cards,
        "by_store": by_store(as_of, point_value_fen, totals, stores) if recent else None,
        "total_fen": value + principal + bonus + coupons_face_value_fen + mall["value_fen"] + gift_cards["value_fen"]
        + (cards["unearned_fen"] + cards["undated_fen"] if cards else 0),
    }  # fmt: skip


MIX_DAYS = 92  # the longest a sales mix spans: a quarter (its reads grow with the days, categories and hours)


def mix_report(
    scope: Scope, first: date, last: date, money: bool, names: dict[str, str], category: str | None = None
) -> dict[str, Any]:
    """The sales mix from ``first`` through ``last`` (see ``rules.MIX``): the categories by what members paid for them
    net of refunds (categories by the names given), every hour of the week, the busiest three and the totals; amounts
    None unless ``money``. With ``category``, the hours are that category's, the chain's (the purchases holding it, what
    its lines paid). A query a shard and scope, and a query a shard of the category's own items."""
    kept: dict[str, Counter[str]] = defaultdict(Counter)
    condition = FigureRecord.key.between(f"day#{first.isoformat()}", f"day#{last.isoformat()}#\uffff")
    for name in scope.scopes:
        for shard in range(SHARDS):
            for record in FigureRecord.query(sharded(f"{MIX}#{name}", shard), condition, consistent_read=True):
                kept[record.key.split("#", 2)[2]].update(_figures(record, rules.MIX))
    if category is not None:  # its hours in place of every purchase's: its own items only, the chain's
        its_hours: dict[str, Counter[str]] = defaultdict(Counter)
        own = FigureRecord.key.between(f"{category}#day#{first.isoformat()}", f"{category}#day#{last.isoformat()}#~")
        for shard in range(SHARDS):
            for record in FigureRecord.query(sharded(f"{MIX_CROSS}#{CHAIN}", shard), own, consistent_read=True):
                its_hours[f"h#{cross_key(record.key)[1].rpartition('#')[2]}"].update(_figures(record, rules.MIX))
        kept = defaultdict(Counter, {**{key: value for key, value in kept.items() if not key.startswith("h#")},
                                     **its_hours})  # fmt: skip

    def shown(fen: int) -> int | None:
        return fen if money else None

    sold = {key.removeprefix("c#"): figures for key, figures in kept.items() if key.startswith("c#")}
    totals = sum(sold.values(), Counter[str]())
    whole = totals["sales_fen"] - totals["refunded_fen"]
    ranked = sorted(sold.items(), key=lambda item: (item[1]["refunded_fen"] - item[1]["sales_fen"],
                                                    -item[1]["items_sold"], item[0]))  # fmt: skip
    categories = [{
        "category": code or None, "name": names.get(code), "items_sold": figures["items_sold"],
        "items_refunded": figures["items_refunded"], "sales_fen": shown(figures["sales_fen"]),
        "refunded_fen": shown(figures["refunded_fen"]),
        "net_fen": shown(net := figures["sales_fen"] - figures["refunded_fen"]),
        "share": _ratio(net, whole) if money and whole > 0 else None,
    } for code, figures in ranked]  # fmt: skip
    hours = [{"weekday": weekday, "hour": hour, "purchases": kept[f"h#{weekday}{hour:02d}"]["purchases"],
              "sales_fen": shown(kept[f"h#{weekday}{hour:02d}"]["sales_fen"])}
             for weekday in range(1, 8) for hour in range(24)]  # fmt: skip

    def peak(row: dict[str, Any]) -> tuple[int, int]:  # ties: the more paid first (with money: else said by nothing)
        paid = kept[f"h#{row['weekday']}{row['hour']:02d}"]["sales_fen"] if money else 0
        return -int(row["purchases"] or 0), -int(paid)

    busiest = sorted((row for row in hours if row["purchases"]), key=peak)[:3]
    last_peak = busiest[-1]["purchases"] if busiest else 0
    return {
        "from": first, "to": last, "category": category, "categories": categories, "hours": hours,
        "busiest": busiest, "busiest_tied": sum(1 for row in hours if busiest and row["purchases"] == last_peak),
        "totals": {"purchases": sum(row["purchases"] for row in hours), "items_sold": totals["items_sold"],
                   "items_refunded": totals["items_refunded"], "sales_fen": shown(totals["sales_fen"]),
                   "refunded_fen": shown(totals["refunded_fen"]), "net_fen": shown(whole)},
    }  # fmt: skip
