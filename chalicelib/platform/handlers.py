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

from chalicelib.shared import schedules
from chalicelib.shared.db import ensure_tables_bound
from chalicelib.shared.events import handle_sqs_batch, relay
from chalicelib.shared.jobs import RunUnderWay, get_job, handle_job_messages, run_job, scheduled_day
from chalicelib.shared.logs import logger
from chalicelib.shared.topology import queue_spec

bp = Blueprint(__name__)


def bound(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Lambda runs these functions from this module, never importing ``app.py``: bind the stage's tables first.
    The consumers and jobs they run are found (and their domains imported) on a first call."""

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


@bp.lambda_function(name="login_code_events")
@bound
def login_code_events(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return handle_sqs_batch("login-codes", event.get("Records", []))


@bp.lambda_function(name="points_events")
@bound
def points_events(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return handle_sqs_batch("points", event.get("Records", []))


@bp.lambda_function(name="wallet_events")
@bound
def wallet_events(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return handle_sqs_batch("wallet", event.get("Records", []))


@bp.lambda_function(name="mall_events")
@bound
def mall_events(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return handle_sqs_batch("mall", event.get("Records", []))


@bp.lambda_function(name="coupon_events")
@bound
def coupon_events(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return handle_sqs_batch("coupons", event.get("Records", []))


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


def _run_on_schedule(job_name: str) -> None:
    """The scheduled run of a job. A schedule delivered twice (EventBridge delivers at least once) or beside a run
    already under way finds it and stops there: not a failure, so the schedule does not retry it."""
    job = get_job(job_name)
    try:
        run_job(job, scheduled_day(job), fan_out=True)
    except RunUnderWay as under_way:
        logger.warning(
            "scheduled run skipped: its days wait for the next", extra={"job": job_name, "why": under_way.detail}
        )


@bp.schedule(schedules.PURGE_IDEMPOTENCY_RECORDS, name="purge_idempotency_records")
@bound
def purge_idempotency_records_nightly(event: CloudWatchEvent) -> None:
    """Runs at 02:00 business time for the business day that just ended."""
    _run_on_schedule("purge-idempotency-records")


@bp.schedule(schedules.EXPIRE_POINTS, name="expire_points")
@bound
def expire_points_nightly(event: CloudWatchEvent) -> None:
    _run_on_schedule("expire-points")


@bp.schedule(schedules.MATURE_PENDING_POINTS, name="mature_pending_points")
@bound
def mature_pending_points_nightly(event: CloudWatchEvent) -> None:
    _run_on_schedule("mature-pending-points")


@bp.schedule(schedules.SETTLE_MEMBERSHIP_CARDS, name="settle_membership_cards")
@bound
def settle_membership_cards_nightly(event: CloudWatchEvent) -> None:
    _run_on_schedule("settle-membership-cards")


@bp.schedule(schedules.GIVE_BIRTHDAY_GIFTS, name="give_birthday_gifts")
@bound
def give_birthday_gifts_nightly(event: CloudWatchEvent) -> None:
    _run_on_schedule("give-birthday-gifts")


@bp.schedule(schedules.EXPIRE_COUPONS, name="expire_coupons")
@bound
def expire_coupons_nightly(event: CloudWatchEvent) -> None:
    _run_on_schedule("expire-coupons")


@bp.schedule(schedules.VOID_COUPONS, name="void_coupons")
@bound
def void_coupons_nightly(event: CloudWatchEvent) -> None:
    _run_on_schedule("void-coupons")


@bp.schedule(schedules.COUPON_BATCHES, name="coupon_batches")
@bound
def coupon_batches_nightly(event: CloudWatchEvent) -> None:
    _run_on_schedule("coupon-batches")


@bp.schedule(schedules.POINTS_EXPIRY_REMINDERS, name="points_expiry_reminders")
@bound
def points_expiry_reminders_daily(event: CloudWatchEvent) -> None:
    _run_on_schedule("points-expiry-reminders")


@bp.schedule(schedules.EXPORT_BI, name="export_bi")
@bound
def export_bi_nightly(event: CloudWatchEvent) -> None:
    _run_on_schedule("export-bi")


@bp.schedule(schedules.RECONCILE_LEDGER, name="reconcile_points")
@bound
def reconcile_points_nightly(event: CloudWatchEvent) -> None:
    _run_on_schedule("reconcile-ledger")


@bp.schedule(schedules.CHECK_FIGURES, name="check_figures")
@bound
def check_figures_nightly(event: CloudWatchEvent) -> None:
    _run_on_schedule("check-figures")


@bp.schedule(schedules.RECALCULATE_TIERS, name="recalculate_tiers")
@bound
def recalculate_tiers_nightly(event: CloudWatchEvent) -> None:
    _run_on_schedule("recalculate-tiers")


@bp.schedule(schedules.RELEASE_UNPAID_MALL_ORDERS, name="release_unpaid_mall_orders")
@bound
def release_unpaid_mall_orders_often(event: CloudWatchEvent) -> None:
    """Every five minutes, for today: points + cash orders not paid in time give their points and stock back."""
    _run_on_schedule("release-unpaid-mall-orders")


@bp.schedule(schedules.EXPIRE_UNCOLLECTED_MALL_ORDERS, name="expire_uncollected_mall_orders")
@bound
def expire_uncollected_mall_orders_nightly(event: CloudWatchEvent) -> None:
    """Each night: points-mall pickups not collected in time are cancelled, their points and stock given back."""
    _run_on_schedule("expire-uncollected-mall-orders")


@bp.schedule(schedules.RELEASE_HELD_MESSAGES, name="release_held_messages")
@bound
def release_held_messages_often(event: CloudWatchEvent) -> None:
    """Every quarter of an hour, for today: messages held through the quiet hours go out when they end."""
    _run_on_schedule("release-held-messages")
