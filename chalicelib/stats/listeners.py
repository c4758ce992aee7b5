"""The statistics consumer: counts every event once, per business day, type and store."""

from __future__ import annotations

from datetime import datetime

from chalicelib.shared.clock import business_date
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer
from chalicelib.shared.settings import get_settings
from chalicelib.stats.records import DailyCountRecord

ALL_EVENTS = "*"


def metrics_of(event: Event) -> list[str]:
    """What an event counts towards: its type, and its type at its store when it names one."""
    metrics = [event.type]
    store_id = event.payload.get("store_id")
    if isinstance(store_id, str):
        metrics.append(f"{event.type}@{store_id}")
    return metrics


@consumer("daily-stats", queue="statistics", types=[ALL_EVENTS], batched=True)
def count_event(tx: Transaction, event: Event) -> None:
    day = business_date(datetime.fromisoformat(event.occurred_at), get_settings().tz).isoformat()
    for metric in metrics_of(event):
        tx.count(DailyCountRecord(day, metric), "total")


def daily_counts(day: str) -> dict[str, int]:
    """Every counter of one business day."""
    return {record.metric: int(record.total) for record in DailyCountRecord.query(day, consistent_read=True)}
