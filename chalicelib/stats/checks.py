"""The figures checked against the events they were kept from: a business day's figures are counted afresh from the
day's events as the BI export landed them (``rules.recount``; an expiry of points booked the next night counts in
the day, ``rules.figure_day``) and compared, scope by scope, with what the statistics
consumer kept. Each event is committed with the ledger entry or the purchase it describes (the outbox), and each book
is checked against its entries by ``reconcile-ledger``, so a day that agrees here agrees with the ledgers.

The liability's breakdowns (the points outstanding by expiry quarter, what each store added) are checked the same way,
by the day's moves (``breakdown_drift``). And the liability itself is checked against the ledgers, not only their
events: its points outstanding, principal and bonus at the end of the day reconciliation last checked equal those
books' sums over every member, as reconciliation's checkpoints add them up (``ledger_drift``). A difference is drift:
logged, counted as the ``FiguresDrift`` metric (alarmed) and announced (``stats.drift``). ``rebuild_day`` writes a
day's figures anew from its events (an operator's repair, ``cli stats rebuild``), the breakdowns too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.exports.service import landed_day, landed_since, rewritable
from chalicelib.ledger.jobs import checked_totals
from chalicelib.shared import clock
from chalicelib.shared.clock import business_date
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import ValidationFailed
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.logs import logger
from chalicelib.shared.settings import get_settings
from chalicelib.stats import rules
from chalicelib.stats.listeners import (
    BY_EXPIRY,
    BY_STORE,
    CHAIN,
    MIX,
    MIX_CROSS,
    cross_key,
    mix_item,
    scope_of,
    sharded,
)
from chalicelib.stats.records import FigureRecord
from chalicelib.stats.reports import ADDITIVE, held_totals, read_day
from chalicelib.stores.service import all_stores

DRIFT_METRIC = "FiguresDrift"
DRIFT_SHOWN = 50  # drifted figures a drift event and log line name (all are counted)
DAY_FIGURES = (*(n for n in ADDITIVE if n not in rules.ADDED), *rules.DISTINCT, *rules.ADDED)  # new ones last
LEDGER_BOOKS = {"points_outstanding": "points", "wallet_principal_fen": "wallet-principal",
                "wallet_bonus_fen": "wallet-bonus"}  # fmt: skip # each of rules.HELD and the book it is the sum of


@dataclass(frozen=True)
class Drift:
    """A figure of a scope whose kept value is not what the day's events count."""

    scope: str
    figure: str
    kept: int
    counted: int


def day_events(day: date) -> tuple[list[tuple[str, Any]], int]:
    """The events (type and payload) whose figures count in ``day`` (``rules.figure_day``): those landed on it, less
    the expiries counting the day before, and the expiries landed on the next day that count in it; and the points
    those next-day expiries took, which the ledgers still held at the day's end (they book by the entry's time)."""
    tz = get_settings().tz

    def counts_in(event: dict[str, Any]) -> bool:
        booked = business_date(datetime.fromisoformat(event["occurred_at"]), tz)
        return rules.figure_day(event["type"], event["payload"], booked) == day

    own = [event for event in landed_day(day) if counts_in(event)]
    early = [event for event in landed_day(day + timedelta(days=1)) if event["type"] in rules.COUNTED_EARLIER
             and counts_in(event)]  # fmt: skip
    taken_later = sum(int(event["payload"].get("points") or 0) for event in early)
    return [(event["type"], event["payload"]) for event in [*own, *early]], taken_later


def counted(day: date) -> dict[str, dict[str, int]]:
    """The day's figures per scope, counted from the events that count in it."""
    return rules.recount(day_events(day)[0])


def breakdown_drift(day: date, events: Iterable[tuple[str, Any]]) -> list[Drift]:
    """The liability's breakdowns' moves of the day (by expiry quarter, by store) that are not what its ``events`` (type
    and payload) count: a query a shard and breakdown, of the day's items only."""
    recounted = rules.breakdown_moves(events)
    kept: dict[str, dict[str, int]] = {}
    for scope, kind in ((BY_EXPIRY, "expiry"), (BY_STORE, "store")):
        for shard in range(rules.SHARDS):
            condition = FigureRecord.key.startswith(f"day#{day.isoformat()}#")
            for record in FigureRecord.query(sharded(scope, shard), condition, consistent_read=True):
                figures = kept.setdefault(f"{kind}#{record.key.split('#', 2)[2]}", {})
                for name in rules.HELD:
                    figures[name] = figures.get(name, 0) + int(getattr(record, name) or 0)
    found = []
    for key in sorted({*kept, *recounted}):
        for name in rules.HELD:
            was, is_ = kept.get(key, {}).get(name, 0), recounted.get(key, {}).get(name, 0)
            if was != is_:
                found.append(Drift(f"liability-by-{key}", name, was, is_))
    return found


def mix_drift(day: date, events: Iterable[tuple[str, Any]]) -> list[Drift]:
    """The sales mix of the day (by category and hour, at the chain and each store; by category and hour, the chain's,
    for the categories the day's events name) that is not what its ``events`` count: a query a shard and scope, and a
    query a shard and category, of the day's items only."""
    recounted = rules.mix_recount(events, get_settings().tz)
    kept: dict[str, dict[str, int]] = {}

    def add(key: str, record: FigureRecord) -> None:
        figures = kept.setdefault(key, {})
        for name in rules.MIX:
            figures[name] = figures.get(name, 0) + int(getattr(record, name) or 0)

    for scope in _scopes(key.partition("|")[0] for key in recounted):
        for shard in range(rules.SHARDS):
            condition = FigureRecord.key.startswith(f"day#{day.isoformat()}#")
            for record in FigureRecord.query(sharded(f"{MIX}#{scope}", shard), condition, consistent_read=True):
                add(f"{scope}|{record.key.split('#', 2)[2]}", record)
    crossed = {key.partition("|")[2].removeprefix(rules.CROSS).rpartition("#")[0] for key in recounted
               if key.startswith(f"{CHAIN}|{rules.CROSS}")}  # fmt: skip
    for category in sorted(crossed):
        for shard in range(rules.SHARDS):
            condition = FigureRecord.key.startswith(f"{category}#day#{day.isoformat()}#")
            for record in FigureRecord.query(sharded(f"{MIX_CROSS}#{CHAIN}", shard), condition, consistent_read=True):
                add(f"{CHAIN}|{cross_key(record.key)[1]}", record)
    return [Drift(f"{MIX}#{key}", name, was, is_) for key in sorted({*kept, *recounted}) for name in rules.MIX
            if (was := kept.get(key, {}).get(name, 0)) != (is_ := recounted.get(key, {}).get(name, 0))]  # fmt: skip


def ledger_drift(day: date, taken_later: int = 0) -> list[Drift]:
    """The liability's points outstanding and stored value at the end of ``day`` that are not the sums of their books
    over every member (``kept``: the figures; ``counted``: the ledger), when reconciliation's totals stand at that
    day's end (it last completed for ``day``; else nothing to compare). ``taken_later``: the points of expiries booked
    the next night, which count in ``day`` but were still on the ledgers at its end."""
    ledger = checked_totals(day)
    if ledger is None:  # a later night compares: the totals are cumulative, so what drifted by then still shows
        logger.info("liability not compared with the ledgers", extra={"day": day.isoformat(),
                    "reason": "reconcile-ledger's totals do not stand at this day's end"})  # fmt: skip
        return []
    held = held_totals(day)
    held["points_outstanding"] -= taken_later
    return [Drift("liability-vs-ledger", name, held[name], ledger.get(book, 0))
            for name, book in LEDGER_BOOKS.items() if held[name] != ledger.get(book, 0)]  # fmt: skip


def _scopes(recounted: Iterable[str]) -> list[str]:
    return sorted({CHAIN, *recounted, *(scope_of(store.store_id) for store in all_stores())})


def drift_of(day: date, recounted: dict[str, dict[str, int]] | None = None) -> list[Drift]:
    """Every figure of the day, at the chain, each store and each scope the events name, that is not what they
    count (``recounted``: the day counted already)."""
    recounted = counted(day) if recounted is None else recounted
    scopes = _scopes(recounted)
    kept = read_day(day, scopes)
    found = []
    for scope in scopes:
        for name in DAY_FIGURES:
            was, is_ = kept.get(scope, {}).get(name, 0), recounted.get(scope, {}).get(name, 0)
            if was != is_:
                found.append(Drift(scope, name, was, is_))
    return found


def check_day(day: date) -> list[Drift]:
    """Check a day's figures, the liability's breakdowns, and the liability against the ledgers when their totals
    stand at that day; drift is logged, counted and announced."""
    events, taken_later = day_events(day)
    found = drift_of(day, rules.recount(events)) + breakdown_drift(day, events) + mix_drift(day, events)
    found += ledger_drift(day, taken_later)
    if found:
        from aws_lambda_powertools.metrics import MetricUnit, single_metric  # only a drift needs it

        details = [drift.__dict__ for drift in found[:DRIFT_SHOWN]]
        logger.error("figures drift", extra={"day": day.isoformat(), "drifted": len(found), "drift": details})
        with single_metric(name=DRIFT_METRIC, unit=MetricUnit.Count, value=len(found), namespace="Loyalty") as metric:
            metric.add_dimension(name="stage", value=get_settings().stage)
        tx = Transaction()
        emit(tx, new_event("stats.drift", f"day/{day.isoformat()}",
                           {"day": day.isoformat(), "drifted": len(found), "drift": details}))  # fmt: skip
        tx.commit()
    return found


def rebuild_day(day: date) -> list[Drift]:
    """Write a day's figures anew from its events: each scope's counts in its first shard, its other shards emptied,
    the chain's standing corrected by what its day's moves were off; and the liability's breakdowns corrected by what
    they miss, in the day's moves and in the standing alike (the standing is the sum of every day's moves). For a day
    that has ended and whose events are all still landed; week and month distinct counts are left as kept. Returns
    what it corrected."""
    if day >= clock.business_today() or not rewritable(day) or day < landed_since():
        message = f"a day that has ended, whose events are all landed (from {landed_since()}) and kept (35 days)"
        raise ValidationFailed([{"field": "day", "in": "option", "message": message}])
    events = day_events(day)[0]
    recounted = rules.recount(events)
    found = drift_of(day, recounted)
    mended = breakdown_drift(day, events)
    for start in range(0, len(mended), 50):  # two counters each, in transactions of up to 100 items
        tx = Transaction()
        for drift in mended[start : start + 50]:
            kind, _, bucket = drift.scope.removeprefix("liability-by-").partition("#")
            partition = sharded(BY_EXPIRY if kind == "expiry" else BY_STORE, 0)
            for key in (f"day#{day.isoformat()}#{bucket}", f"now#{bucket}"):
                tx.count(FigureRecord(partition, key), drift.figure, drift.counted - drift.kept)
        tx.commit()
    mixed = mix_drift(day, events)
    for start in range(0, len(mixed), 100):  # corrected in the first shard by what it misses
        tx = Transaction()
        for drift in mixed[start : start + 100]:
            scope, _, key = drift.scope.removeprefix(f"{MIX}#").partition("|")
            partition, sort_key = mix_item(scope, key, day.isoformat())
            tx.count(FigureRecord(sharded(partition, 0), sort_key), drift.figure, drift.counted - drift.kept)
        tx.commit()
    for scope in sorted({drift.scope for drift in found}):
        figures: dict[str, Any] = {name: recounted.get(scope, {}).get(name) for name in DAY_FIGURES}
        tx = Transaction()  # a scope's day is replaced whole: its first shard written, the others emptied, at once
        tx.put(FigureRecord(sharded(scope, 0), f"day#{day.isoformat()}", **figures))
        for shard in range(1, rules.SHARDS):
            tx.delete(FigureRecord(sharded(scope, shard), f"day#{day.isoformat()}"))
        if scope == CHAIN:  # the standing is the sum of every day's moves: mended by what the day's were off
            for drift in found:
                if drift.scope == CHAIN and drift.figure in STANDING_OF:
                    standing, sign = STANDING_OF[drift.figure]
                    tx.count(FigureRecord(sharded(CHAIN, 0), "now"), standing, sign * (drift.counted - drift.kept))
        tx.commit()
    return found + mended + mixed


STANDING_OF = {"points_net": ("points_outstanding", 1), "wallet_principal_net_fen": ("wallet_principal_fen", 1),
               "wallet_bonus_net_fen": ("wallet_bonus_fen", 1), "points_issued": ("points_issued_total", 1),
               "points_expired": ("points_expired_total", 1), "points_redeemed": ("points_redeemed_total", 1),
               "gift_cards_sold": ("gift_cards_held", 1), "gift_cards_sold_fen": ("gift_cards_fen", 1),
               "gift_cards_bound": ("gift_cards_held", -1), "gift_cards_bound_fen": ("gift_cards_fen", -1)}  # fmt: skip
"""The chain's day figures whose moves the standing (``now``) adds up, and the standing figure each moves (and
which way: a gift card bound takes one off the cards held)."""
