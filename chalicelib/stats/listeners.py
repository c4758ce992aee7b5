"""The statistics consumer: counts every event once, per business day, type and store, and folds it into the
figures of the dashboard and the reports (``rules``): day sums per scope, the distinct members of each day, week and
month, the chain's standing totals, the liability by expiry quarter and by store (each now, and its moves by day), paid
cards' payments by their days, the members by tier, and the sales mix by category and hour (the chain's and each
store's), each in the event's shard."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from chalicelib.members import service as members
from chalicelib.shared.clock import business_date
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer
from chalicelib.shared.settings import get_settings
from chalicelib.stats import rules
from chalicelib.stats.records import ActiveMarkerRecord, DailyCountRecord, FigureRecord
from chalicelib.tiers import programmes

ALL_EVENTS = "*"
CHAIN = "chain"
BY_EXPIRY = "liability-by-expiry"  # the points outstanding by expiry quarter (``now#<bucket>``) and each day's moves
BY_STORE = "liability-by-store"  # what each store's counter added to the liability (``now#<store>``), and by day
OBLIGATIONS = "card-obligations"  # paid cards' payments by the days they end and begin (``d#…``), and by day (``m#…``)
MIX = "sales-mix"  # per scope (``sales-mix#chain``): by day, and category or hour of the week (``day#<day>#c#…``)
MIX_CROSS = "sales-mix-x"  # the chain's category by hour (``<category>#day#<day>#<hour>``): read when asked for


def mix_item(scope: str, key: str, day: str) -> tuple[str, str]:
    """Where a scope's sales-mix figure of ``key`` on ``day`` lives: its partition (without its shard) and sort key. A
    category by hour is kept apart, by category first, so the mix reads none and a category's hours read its own."""
    if key.startswith(rules.CROSS):
        category, _, hour = key.removeprefix(rules.CROSS).rpartition("#")
        return f"{MIX_CROSS}#{scope}", f"{category}#day#{day}#{hour}"
    return f"{MIX}#{scope}", f"day#{day}#{key}"


def cross_key(sort_key: str) -> tuple[str, str]:
    """A category-by-hour item's day and its sales-mix key (``x#<category>#<hour>``), from its sort key."""
    at = sort_key.rindex("#day#")
    day, _, hour = sort_key[at + 5 :].partition("#")
    return day, f"{rules.CROSS}{sort_key[:at]}#{hour}"


def metrics_of(event: Event) -> list[str]:
    """What an event counts towards: its type, and its type at its store when it names one."""
    metrics = [event.type]
    store_id = event.payload.get("store_id")
    if isinstance(store_id, str):
        metrics.append(f"{event.type}@{store_id}")
    return metrics


def scope_of(store_id: str | None) -> str:
    """The scope of a store's figures, or of the chain's (None)."""
    return f"store#{store_id}" if store_id else CHAIN


def sharded(scope: str, shard: int) -> str:
    """The partition of one shard of a scope's figures."""
    return f"{scope}@{shard}"


MARKERS_KEPT = timedelta(days=400)  # a month's markers outlive the month by a year


@consumer("daily-stats", queue="statistics", types=[ALL_EVENTS], batched=True)
def count_event(tx: Transaction, event: Event) -> None:
    booked = business_date(datetime.fromisoformat(event.occurred_at), get_settings().tz)
    for metric in metrics_of(event):
        tx.count(DailyCountRecord(booked.isoformat(), metric), "total")
    fold_figures(tx, event, rules.figure_day(event.type, event.payload, booked).isoformat())


def fold_figures(tx: Transaction, event: Event, day: str) -> None:
    """Add what ``event`` moves of the dashboard's figures to ``tx`` (counters only, so the events of a delivery
    share one commit). A tier change reads the member's home store, which its event does not carry."""
    payload = event.payload
    shard = rules.shard_of(event.event_id)
    for scope, figures in rules.scoped_figures(event.type, payload):
        for name, amount in figures.items():
            tx.count(FigureRecord(sharded(scope, shard), f"day#{day}"), name, amount)
    for name, amount in rules.standing_moves(event.type, payload).items():
        tx.count(FigureRecord(sharded(CHAIN, shard), "now"), name, amount)
    for bucket, amount in rules.expiry_moves(event.type, payload).items():
        for key in (f"now#{bucket}", f"day#{day}#{bucket}"):
            tx.count(FigureRecord(sharded(BY_EXPIRY, shard), key), "points_outstanding", amount)
    owed, undated = rules.obligation_moves(event.type, payload)
    for bucket, net in owed.items():  # each bucket now, and the day's moves (a past day's figure undoes those after)
        for key in (f"d#{bucket}", f"m#{day}#{bucket}"):
            tx.count(FigureRecord(sharded(OBLIGATIONS, shard), key), "obligation_net", net)
    if undated:
        for key in ("now", f"m#{day}#now"):
            tx.count(FigureRecord(sharded(OBLIGATIONS, shard), key), "cards_undated_fen", undated)
    for key, figures in rules.mix_moves(event.type, payload, get_settings().tz).items():
        for scope in (scope for scope in rules.mix_scopes(event.type, payload) if rules.kept_at(scope, key)):
            partition, sort_key = mix_item(scope, key, day)
            for name, amount in figures.items():
                tx.count(FigureRecord(sharded(partition, shard), sort_key), name, amount)
    held = rules.held_moves(event.type, payload)
    if held is not None:
        store_id, moves = held
        for key in (f"now#{store_id}", f"day#{day}#{store_id}"):
            for name, amount in moves.items():
                tx.count(FigureRecord(sharded(BY_STORE, shard), key), name, amount)
    if event.type in rules.MEMBERSHIP_EVENTS:
        tiers = [tier.code for tier in programmes.programme().tiers]
        home = members.home_store_of(str(payload["member_id"])) if event.type == "tier.changed" else None
        for move in rules.tier_moves(event.type, payload, tiers, home, programmes.codes_ever()):
            record = FigureRecord(sharded(scope_of(move.store_id), shard), f"tier#{move.tier}")
            tx.count(record, "members", move.members)
    activity = rules.activity_of(event.type, payload)
    if activity is not None:
        _count_distinct(tx, shard, day, *activity)


def _count_distinct(tx: Transaction, shard: int, day: str, member_id: str, store_id: str | None, bought: bool) -> None:
    """The member's first activity (and first and second purchase) of each period at the chain and at the store
    counts once: their markers, read here, are written on the condition that they are still as read (a concurrent
    delivery makes the commit fail and the events go one by one; a second event of the member in this delivery writes
    the same markers, so it waits for the first one's commit and reads them again)."""
    periods = rules.period_keys(date.fromisoformat(day))
    wanted = [f"{scope}|{key}" for scope in dict.fromkeys((CHAIN, scope_of(store_id))) for key in periods]
    keys = [(member_id, period) for period in (*wanted, LAST_ACTIVE)]
    found = {m.period: m for m in ActiveMarkerRecord.batch_get(keys)}
    expires = datetime.combine(date.fromisoformat(day), datetime.min.time(), get_settings().tz) + MARKERS_KEPT
    _move_last_active(tx, shard, member_id, day, found.get(LAST_ACTIVE), expires)
    for period in wanted:
        marker = found.get(period)
        before = None if marker is None else int(marker.purchases or 0)
        moves = rules.distinct_moves(before, bought)
        if not moves:
            continue
        after = (before or 0) + (1 if bought else 0)
        if before is None:
            tx.put(ActiveMarkerRecord(member_id, period, purchases=after, expires_at=expires),
                   condition=ActiveMarkerRecord.period.does_not_exist())  # fmt: skip
        else:
            tx.update(ActiveMarkerRecord(member_id, period), [ActiveMarkerRecord.purchases.set(after)],
                      condition=ActiveMarkerRecord.purchases == before, add_version_condition=False)  # fmt: skip
        scope, _, key = period.partition("|")
        for name, amount in moves.items():
            tx.count(FigureRecord(sharded(scope, shard), key), name, amount)


LAST_ACTIVE = f"{CHAIN}|last"


def _move_last_active(
    tx: Transaction, shard: int, member_id: str, day: str, marker: ActiveMarkerRecord | None, expires: datetime
) -> None:
    """The member's last active day moves to ``day`` (their marker, on the condition it is as read), and so do they in
    the chain's count of members by last active day."""
    previous = marker.last_day if marker is not None else None
    moves = rules.last_active_moves(previous, day)
    if not moves:
        return
    condition = (ActiveMarkerRecord.period.does_not_exist() if marker is None
                 else ActiveMarkerRecord.last_day == previous)  # fmt: skip
    tx.put(ActiveMarkerRecord(member_id, LAST_ACTIVE, last_day=day, expires_at=expires), condition=condition)
    for key, amount in moves.items():
        tx.count(FigureRecord(sharded(CHAIN, shard), key), "members", amount)


def daily_counts(day: str) -> dict[str, int]:
    """Every counter of one business day."""
    return {record.metric: int(record.total) for record in DailyCountRecord.query(day, consistent_read=True)}
