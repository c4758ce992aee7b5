"""Audit entries: who did what to what, when and from where; and reading them back by day.

Staff writes are recorded from their domain events, which are committed in the same transaction as the
write, so no write goes unrecorded and none twice. Reads of a full phone number are recorded as they
happen. Entries carry ids, field names and non-personal values only (events never hold personal data).
"""

from __future__ import annotations

import functools
import json
import operator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib.audit.records import AuditRecord
from chalicelib.shared import clock
from chalicelib.shared.context import current_origin
from chalicelib.shared.db import FilledPage, Transaction
from chalicelib.shared.events import Event
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.settings import get_settings

DAYS_PER_PAGE = 31
READS_PER_PAGE = 10  # requests a page may make once it holds an entry
MOST_READS = 40  # requests a page makes at most, found or not: a filter matching nothing in a busy month goes on


def _day(instant: str) -> str:
    return clock.business_date(datetime.fromisoformat(instant), get_settings().tz).isoformat()


def entry_of_event(event: Event) -> AuditRecord:
    return AuditRecord(
        _day(event.occurred_at), f"{event.occurred_at}#{event.event_id}", actor=event.actor, action=event.type,
        target=event.subject, summary=json.dumps(event.payload, ensure_ascii=False, sort_keys=True),
        request_id=event.request_id, source_ip=event.source_ip,
    )  # fmt: skip


def record_event(tx: Transaction, event: Event) -> None:
    """Add the audit entry of a staff member's write to the consumer's transaction."""
    tx.put(entry_of_event(event))


def record_read(action: str, target: str) -> None:
    """Record a read that must be audited (a full phone number), as the current caller."""
    origin = current_origin()
    now = clock.iso(clock.now())
    AuditRecord(
        _day(now), f"{now}#{new_id('au_')}", actor=origin.actor, action=action, target=target, summary="{}",
        request_id=origin.request_id, source_ip=origin.source_ip,
    ).save()  # fmt: skip


@dataclass(frozen=True)
class Filter:
    """Which entries a reader asks for: of one actor, of an action or its beginning (``wallet.``), on one target."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None

    def condition(self) -> Condition | None:
        found = [condition for condition in (
            AuditRecord.actor == self.actor if self.actor else None,
            AuditRecord.action.startswith(self.action) if self.action else None,
            AuditRecord.target == self.target if self.target else None,
        ) if condition is not None]  # fmt: skip
        return functools.reduce(operator.and_, found) if found else None


def entries(
    first: date, last: date, only: Filter, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Entries from ``last`` back to ``first``, newest first, optionally only some (``only``).

    A page is filled however few entries a filter lets by (DynamoDB limits before it filters: a day of phone reads
    would otherwise give empty pages with more to come), reading at most ``READS_PER_PAGE`` requests and
    ``DAYS_PER_PAGE`` day partitions once it found something, and ``MOST_READS`` requests in all, so it may be short
    (even empty, after a long stretch the filter matches nothing in) while ``next_cursor`` goes on.
    """
    scope = f"audit|{first}|{last}|{only.actor}|{only.action}|{only.target}"
    start = decode_cursor(scope, cursor) or {}
    day = date.fromisoformat(start["day"]) if "day" in start else last
    key = start.get("key")
    page = FilledPage(AuditRecord, limit, READS_PER_PAGE, give_up_after=MOST_READS)
    for _ in range(DAYS_PER_PAGE):
        results = AuditRecord.query(
            day.isoformat(), filter_condition=only.condition(), scan_index_forward=False, last_evaluated_key=key
        )
        key = page.read(results)
        rows = [_row(record) for record in page.records]
        if key:
            return rows, encode_cursor(scope, {"day": day.isoformat(), "key": key})
        if day <= first:
            return rows, None
        day -= timedelta(days=1)
        if page.full:
            break
    return [_row(record) for record in page.records], encode_cursor(scope, {"day": day.isoformat()})


def _row(record: AuditRecord) -> dict[str, Any]:
    return {
        "at": record.entry.partition("#")[0], "actor": record.actor, "action": record.action,
        "target": record.target, "summary": json.loads(record.summary), "request_id": record.request_id,
        "source_ip": record.source_ip,
    }  # fmt: skip
