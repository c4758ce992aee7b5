"""Lambda entry points that are not HTTP routes: the outbox relay, queue consumers and scheduled jobs.

Each is a thin adapter; the same functions they call are driven by the local stack and the CLI. Event
source mappings (stream -> relay, queue -> consumer, with ReportBatchItemFailures) are declared in the
infra template, since Chalice cannot express partial batch failures.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, CloudWatchEvent

from chalicelib.audit import listeners as _audit_listeners  # noqa: F401  registers the consumer
from chalicelib.feedback import listeners as _feedback_listeners  # noqa: F401  registers the consumer
from chalicelib.members import listeners as _members_listeners  # noqa: F401  registers the consumer
from chalicelib.notifications import listeners as _notification_listeners  # noqa: F401  registers the consumer
from chalicelib.platform.jobs import purge_idempotency_records
from chalicelib.points.jobs import expire_points, mature_pending_points, points_expiry_reminders, reconcile_points
from chalicelib.purchases import listeners as _purchases_listeners  # noqa: F401  registers the consumer
from chalicelib.shared.db import ensure_tables_bound
from chalicelib.shared.events import handle_sqs_batch, relay
from chalicelib.shared.jobs import handle_job_messages, run_job, scheduled_day
from chalicelib.shared.topology import queue_spec
from chalicelib.stats import listeners as _stats_listeners  # noqa: F401  registers the consumer
from chalicelib.tiers.jobs import recalculate_tiers
from chalicelib.wallet import listeners as _wallet_listeners  # noqa: F401  registers the consumer

bp = Blueprint(__name__)


def bound(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Lambda runs these functions from this module, never importing ``app.py``: bind the stage's tables first."""

    @functools.wraps(handler)
    def run(*args: Any) -> Any:
        ensure_tables_bound()
        return handler(*args)

    return run


@bp.lambda_function(name="outbox_relay")
@bound
def outbox_relay(event: dict[str, Any], context: Any) -> dict[str, int]:
    return {"published": relay(event.get("Records", []))}


@bp.lambda_function(name="statistics_events")
@bound
def statistics_events(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return handle_sqs_batch("statistics", event.get("Records", []))


@bp.lambda_function(name="audit_events")
@bound
def audit_events(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return handle_sqs_batch("audit", event.get("Records", []))


@bp.lambda_function(name="notification_events")
@bound
def notification_events(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return handle_sqs_batch("notifications", event.get("Records", []))


@bp.lambda_function(name="points_events")
@bound
def points_events(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return handle_sqs_batch("points", event.get("Records", []))


@bp.lambda_function(name="wallet_events")
@bound
def wallet_events(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return handle_sqs_batch("wallet", event.get("Records", []))


@bp.lambda_function(name="job_batches")
@bound
def job_batches(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return handle_job_messages(event.get("Records", []))


@bp.lambda_function(name="member_imports")
@bound
def member_imports(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """Plans a started member import, or imports one chunk of its file (one message a call)."""
    from chalicelib.members.imports import handle_import_messages

    return handle_import_messages(event.get("Records", []), max_receives=queue_spec("imports").max_receives)


@bp.schedule(purge_idempotency_records.schedule, name="purge_idempotency_records")
@bound
def purge_idempotency_records_nightly(event: CloudWatchEvent) -> None:
    """Runs at 02:00 business time for the business day that just ended."""
    run_job(purge_idempotency_records, scheduled_day(purge_idempotency_records), fan_out=True)


@bp.schedule(expire_points.schedule, name="expire_points")
@bound
def expire_points_nightly(event: CloudWatchEvent) -> None:
    run_job(expire_points, scheduled_day(expire_points), fan_out=True)


@bp.schedule(mature_pending_points.schedule, name="mature_pending_points")
@bound
def mature_pending_points_nightly(event: CloudWatchEvent) -> None:
    run_job(mature_pending_points, scheduled_day(mature_pending_points), fan_out=True)


@bp.schedule(points_expiry_reminders.schedule, name="points_expiry_reminders")
@bound
def points_expiry_reminders_daily(event: CloudWatchEvent) -> None:
    run_job(points_expiry_reminders, scheduled_day(points_expiry_reminders), fan_out=True)


@bp.schedule(reconcile_points.schedule, name="reconcile_points")
@bound
def reconcile_points_nightly(event: CloudWatchEvent) -> None:
    run_job(reconcile_points, scheduled_day(reconcile_points), fan_out=True)


@bp.schedule(recalculate_tiers.schedule, name="recalculate_tiers")
@bound
def recalculate_tiers_nightly(event: CloudWatchEvent) -> None:
    run_job(recalculate_tiers, scheduled_day(recalculate_tiers), fan_out=True)
