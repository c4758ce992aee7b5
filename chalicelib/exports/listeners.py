"""The landing consumer: every event a BI file holds is kept under its business day, once (an item keyed by the
event: a redelivery puts it again alike), for the nightly export to read the day with a query per shard."""

from __future__ import annotations

import json
from datetime import timedelta

from chalicelib.exports import rules
from chalicelib.exports.records import LandedEventRecord
from chalicelib.shared import clock
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer
from chalicelib.shared.settings import get_settings

LANDING_KEPT = timedelta(days=40)  # a day's files can be written again for this long (a month and a margin)


@consumer("bi-landing", queue="statistics", types=rules.LANDED_TYPES, batched=True, marked=False)
def land_event(tx: Transaction, event: Event) -> None:
    """Keep the event under its business day: a put of its own item, which a redelivery writes again alike."""
    day = rules.business_day_of(event.occurred_at, get_settings().tz)
    envelope = event.model_dump(mode="json", include={"event_id", "type", "occurred_at", "subject", "payload", "actor"})
    tx.put(LandedEventRecord(
        rules.landing_partition(day, envelope), event.event_id,
        envelope=json.dumps(envelope, ensure_ascii=False, separators=(",", ":")),
        expires_at=clock.now() + LANDING_KEPT,
    ))  # fmt: skip
