"""The statistics consumer: counts every event once, per business day, type and store, and folds it into the
dashboard's figures (``rules``): day sums per scope, the chain's standing totals and the members by tier."""

from __future__ import annotations

from datetime import datetime

from chalicelib.members import service as members
from chalicelib.shared.clock import business_date
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer
from chalicelib.shared.settings import get_settings
from chalicelib.stats import rules
from chalicelib.stats.records import DailyCountRecord, FigureRecord
from chalicelib.tiers import programmes

ALL_EVENTS = "*"
CHAIN = "chain"


def metrics_of(event: Event) -> list[str]:
    """What an event counts towards: its type, and its type at its store when it names one."""
    metrics = [event.type]
    store_id = event.payload.get("store_id")
    if isinstance(store_id, str):
        metrics.append(f"{event.type}@{store_id}")
    return metrics


def scope_of(store_id: str | None) -> str:
    """The partition of a store's figures, or of the chain's (None)."""
    return f"store#{store_id}" if store_id else CHAIN


@consumer("daily-stats", queue="statistics", types=[ALL_EVENTS], batched=True)
def count_event(tx: Transaction, event: Event) -> None:
    day = business_date(datetime.fromisoformat(event.occurred_at), get_settings().tz).isoformat()
    for metric in metrics_of(event):
        tx.count(DailyCountRecord(day, metric), "total")
    fold_figures(tx, event, day)


def fold_figures(tx: Transaction, event: Event, day: str) -> None:
    """Add what ``event`` moves of the dashboard's figures to ``tx`` (counters only, so the events of a delivery
    share one commit). A tier change reads the member's home store, which its event does not carry."""
    payload = event.payload
    store_id = rules.store_of(event.type, payload)
    for name, amount in rules.day_figures(event.type, payload).items():
        for scope in {CHAIN, scope_of(store_id)}:
            tx.count(FigureRecord(scope, f"day#{day}"), name, amount)
    for name, amount in rules.standing_moves(event.type, payload).items():
        tx.count(FigureRecord(CHAIN, "now"), name, amount)
    if event.type in rules.MEMBERSHIP_EVENTS:
        tiers = [tier.code for tier in programmes.programme().tiers]
        home = members.home_store_of(str(payload["member_id"])) if event.type == "tier.changed" else None
        for move in rules.tier_moves(event.type, payload, tiers, home):
            tx.count(FigureRecord(scope_of(move.store_id), f"tier#{move.tier}"), "members", move.members)


def daily_counts(day: str) -> dict[str, int]:
    """Every counter of one business day."""
    return {record.metric: int(record.total) for record in DailyCountRecord.query(day, consistent_read=True)}
