"""The messaging and file resources, declared once: the local stack creates them and the infra template declares
them.

One SNS topic carries every domain event. Queues subscribe to it (or, for ``jobs`` and ``imports``, are fed
directly by the job planner and the member import); each has a dead-letter queue that receives a message after
``max_receives`` failures. One bucket receives uploaded import files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EVENTS_TOPIC = "events"


@dataclass(frozen=True)
class QueueSpec:
    logical_name: str
    handler: str  # the Lambda function (Chalice name) fed by this queue
    subscribes_to_events: bool
    event_types: tuple[str, ...] = ()  # SNS filter policy on the "type" attribute; empty = every event
    actor_prefixes: tuple[str, ...] = ()  # and on the "actor" attribute (who caused the event); empty = anyone
    visibility_timeout: int = 120
    max_receives: int = 5
    concurrency: int | None = None  # the most handlers the queue feeds at once (the mapping's MaximumConcurrency)
    batch_size: int = 10  # messages a handler call takes at most
    batching_window: int = 0  # seconds a batch of more than ten may wait to fill (AWS requires one)


# Consumers that count and record take deliveries of up to 100 events (one transaction holds the markers and
# writes of many), waiting at most a second to fill one; messages to members go out at once. A job batch already
# holds up to 100 keys and an import chunk 500 rows: one message a call.
EVENT_BATCH, EVENT_BATCHING_WINDOW = 100, 1
AUDITED_ACTORS = ("staff:", "cli")  # the audit log records what staff and operators did, not what jobs did
QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("jobs", handler="job_batches", subscribes_to_events=False, visibility_timeout=900, batch_size=1),
    QueueSpec("imports", handler="member_imports", subscribes_to_events=False, visibility_timeout=900, concurrency=20,
              batch_size=1),
    QueueSpec("statistics", handler="statistics_events", subscribes_to_events=True, batch_size=EVENT_BATCH,
              batching_window=EVENT_BATCHING_WINDOW),
    QueueSpec("audit", handler="audit_events", subscribes_to_events=True, actor_prefixes=AUDITED_ACTORS,
              batch_size=EVENT_BATCH, batching_window=EVENT_BATCHING_WINDOW),
    QueueSpec("notifications", "notification_events", subscribes_to_events=True, max_receives=8,
              event_types=("notification.requested", "member.erased", "points.earned",
                           "points.expiring", "points.expired", "points.clawed-back", "points.adjusted",
                           "points.redeemed", "feedback.closed", "tier.changed",
                           "tier.downgrade-warning",
                           "wallet.topped-up", "wallet.paid", "wallet.refunded", "wallet.cash-refunded",
                           "coupon.issued", "coupon.expiring", "coupon.transferred", "mall.order-shipped",
                           "mall.order-ready-for-pickup", "mall.order-pickup-due", "mall.order-cancelled",
                           "messaging.announced",
                           "membership.card-paid",
                           "membership.card-expiring", "membership.renewal-notice", "membership.card-lapsed",
                           "membership.card-cancelled", "membership.benefit-used", "membership.benefit-use-reversed",
                           "membership.card-paused", "membership.card-resumed", "membership.card-activated",
                           "membership.card-started", "membership.card-extended", "membership.term-ending",
                           "activity.recorded")),
    QueueSpec("login-codes", "login_code_events", subscribes_to_events=True, visibility_timeout=30,
              event_types=("notification.code-requested",)),
    QueueSpec("points", "points_events", subscribes_to_events=True,
              event_types=("member.registered", "member.updated", "tier.changed", "consent.changed",
                           "membership.card-cancelled", "refund.recorded"),
              batch_size=EVENT_BATCH, batching_window=EVENT_BATCHING_WINDOW),
    QueueSpec("wallet", "wallet_events", subscribes_to_events=True,
              event_types=("wallet.topped-up", "wallet.paid", "wallet.refunded", "wallet.cash-refunded",
                           "wallet.forfeited", "membership.card-cancelled", "member.erased")),
    QueueSpec("mall", "mall_events", subscribes_to_events=True, event_types=("mall.order-placed", "mall.order-paid")),
    QueueSpec("coupons", "coupon_events", subscribes_to_events=True,
              event_types=("coupon.issued", "coupon.redeemed", "coupon.returned", "coupon.expired", "coupon.voided",
                           "member.registered", "tier.changed", "wallet.topped-up", "wallet.cash-refunded",
                           "activity.recorded", "membership.coupon-pack-due", "membership.card-cancelled",
                           "member.erased"),
              batch_size=EVENT_BATCH, batching_window=EVENT_BATCHING_WINDOW),
)  # fmt: skip


def filter_policy(spec: QueueSpec) -> dict[str, list[Any]] | None:
    """The queue's SNS subscription filter: on the event's type and on who caused it; None: every event."""
    policy: dict[str, list[Any]] = {}
    if spec.event_types:
        policy["type"] = list(spec.event_types)
    if spec.actor_prefixes:
        policy["actor"] = [{"prefix": prefix} for prefix in spec.actor_prefixes]
    return policy or None


def queue_spec(logical_name: str) -> QueueSpec:
    return next(spec for spec in QUEUES if spec.logical_name == logical_name)


def physical_queue_name(prefix: str, logical_name: str) -> str:
    return f"{prefix}-{logical_name}"


def dead_letter_name(prefix: str, logical_name: str) -> str:
    return f"{prefix}-{logical_name}-dlq"


def physical_topic_name(prefix: str) -> str:
    return f"{prefix}-{EVENTS_TOPIC}"


IMPORTS_BUCKET = "imports"
UPLOADS_KEPT_DAYS = 7  # uploaded files hold members' personal data: gone a week after their import


def local_bucket_name(prefix: str) -> str:
    """The imports bucket on the emulator; on AWS its name also carries the account and region (names are global)."""
    return f"{prefix}-{IMPORTS_BUCKET}"
