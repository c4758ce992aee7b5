"""The audit consumer: every event a staff member (or an operator at the CLI) caused becomes an audit
entry, exactly once."""

from __future__ import annotations

from chalicelib.audit.service import record_event
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer


@consumer("audit", queue="audit", types=["*"], batched=True)
def audit_staff_writes(tx: Transaction, event: Event) -> None:
    if event.actor.startswith("staff:") or event.actor == "cli":
        record_event(tx, event)
