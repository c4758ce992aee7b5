"""Writing the BI files of a day's part: its landed events read with one query, turned into rows (``rules``), the
details read in batches (purchase lines and growth, the members changed), and each entity's rows written as one
gzip-compressed CSV file. A part written again (a re-run, a retried batch) replaces its files whole: the events' rows
are the same, the members and the day's figures as they stand when it is written."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.exports import files, rules
from chalicelib.exports.listeners import LANDING_KEPT
from chalicelib.exports.records import LandedEventRecord
from chalicelib.members import service as members
from chalicelib.purchases import service as purchases
from chalicelib.shared import clock
from chalicelib.shared.jobs import platform_epoch
from chalicelib.shared.settings import get_settings
from chalicelib.stats import service as stats
from chalicelib.stores.service import all_stores

GZIP = "application/gzip"
REWRITABLE = LANDING_KEPT - timedelta(days=5)  # the oldest day read again: its events are all still landed


def landed(part: str) -> list[dict[str, Any]]:
    """The envelopes landed in a part, in the order they happened."""
    found = [json.loads(record.envelope) for record in LandedEventRecord.query(part, consistent_read=True)]
    return sorted(found, key=lambda event: (event["occurred_at"], event["event_id"]))


def landed_day(day: date) -> list[dict[str, Any]]:
    """Every envelope landed for a business day (a query per part), in the order they happened."""
    found = [event for part in rules.parts(day, day) for event in landed(part)]
    return sorted(found, key=lambda event: (event["occurred_at"], event["event_id"]))


SINCE = ("~since", "~since")  # the landing table's item saying from which day every event is landed


def landed_since() -> date:
    """The first business day every event of which is landed: the platform's first day when the landing was there
    from its start, else the day after the landing table was made (that day's earlier events were never landed).
    Kept as an item of the landing table the first time it is asked for (``set_landed_since`` moves it)."""
    record = LandedEventRecord.find(*SINCE)
    if record is not None:
        return date.fromisoformat(record.envelope)
    made, epoch = LandedEventRecord.made_on(get_settings().tz), platform_epoch()
    return set_landed_since(epoch if made <= epoch else made + timedelta(days=1), only_if_unset=True)


def set_landed_since(day: date, *, only_if_unset: bool = False) -> date:
    """Record the first day every event of which is landed (the demo, which lands its month as it tells it; a test)."""
    condition = LandedEventRecord.partition.does_not_exist() if only_if_unset else None
    record = LandedEventRecord(*SINCE, envelope=day.isoformat(), expires_at=clock.now() + timedelta(days=36_500))
    try:
        record.save(condition=condition)
    except PutError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        return landed_since()
    return day


def rewritable(day: date) -> bool:
    """Whether every event of ``day`` is still landed (its oldest may expire after ``LANDING_KEPT``)."""
    return clock.business_today() - day <= REWRITABLE


def part_rows(part: str) -> dict[str, list[dict[str, Any]]]:
    """Every entity's rows of a part (the day's figures in the part numbered 0)."""
    settings = get_settings()
    key = settings.lookup_hash_key.encode()
    tables: dict[str, list[dict[str, Any]]] = {entity: [] for entity in rules.entities()}
    for event in landed(part):
        fact = rules.fact_row(event, settings.tz, key)
        if fact is not None:
            tables[fact[0]].append(fact[1])
    sold = tables["purchases"]
    details = purchases.bi_details((row["partner_id"], row["order_id"]) for row in sold)
    for row in sold:
        found = details.get((row["partner_id"], row["order_id"]), {"growth": None, "lines": []})
        row["growth"] = found["growth"]
        keys = {name: row[name] for name in ("partner_id", "order_id", "member_id", "store_id", "business_day")}
        tables["purchase_lines"] += [{**keys, **line} for line in found["lines"]]
    day, _, shard = part.partition("#")
    changed = (row["member_id"] for row in tables["member_changes"] if row["member_id"])
    tables["members"] = [{"business_day": day, **row} for row in members.bi_rows(changed)]
    if shard == "0":  # the chain's and every store's (by tier or payment method: group the purchases by them)
        stores = [f"store#{store.store_id}" for store in all_stores()]
        tables["daily_figures"] = stats.day_figures(date.fromisoformat(day), stores)
    return tables


def columns_of(entity: str) -> tuple[str, ...]:
    return (*rules.columns_of(entity), *stats.FIGURE_NAMES) if entity == "daily_figures" else rules.columns_of(entity)


def export_part(part: str) -> Counter[str]:
    """Write a part's files (those with rows); returns the rows written per entity."""
    written: Counter[str] = Counter()
    for entity, rows in part_rows(part).items():
        if rows:
            files.put(rules.file_key(entity, part), rules.gzipped(rules.csv_file(columns_of(entity), rows)), GZIP)
            written[entity] += len(rows)
    return written
