"""The release of unpaid orders: a points + cash order not paid by its ``pay_by`` gives its points and stock back;
and, each night, the cancellation of pickups not collected in time.

Every five minutes a run reads the release index (orders awaiting payment by the business day and instant they fall
due, in ``RELEASE_SHARDS`` partitions a day) for the days since the last run through today, up to now: one query per
partition, returning only what is due, never every order. Each order it lists is released in one post that reads its
four accounts (member, reward, limit, order: named by the index) in one request; an order paid or cancelled meanwhile
(the index may be a moment behind) is read as it is and left alone. Releasing what is released already changes
nothing, so a retried batch or a re-run is harmless.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

from chalicelib.mall import orders, service
from chalicelib.shared import clock, schedules
from chalicelib.shared.jobs import Job, days, register
from chalicelib.shared.settings import get_settings


class ReleaseUnpaidMallOrders(Job):
    """Cancel the points + cash orders whose cash part was not paid in time, giving back their points and stock."""

    name = "release-unpaid-mall-orders"
    schedule = schedules.RELEASE_UNPAID_MALL_ORDERS
    description = "Release points-mall orders not paid in time"
    first_run_lookback_days = 2
    batch_size = service.RELEASE_SHARDS
    as_the_day_begins = True  # a run is for today: what falls due today is released today

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        for day in days(first_day, as_of):
            for shard in range(service.RELEASE_SHARDS):
                yield f"{day.isoformat()}#{shard}"

    tallied = True  # its report says how many it cancelled (a probe read an empty one)

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        now = clock.now()
        released = sum(
            service.release(record.order_id, record.member_id, record.reward_id, now)
            for partition in keys
            for record in orders.releasable(partition, now)
        )
        return Counter(changed=released, cancelled=released) if released else Counter()


release_unpaid_mall_orders = register(ReleaseUnpaidMallOrders())


class ExpireUncollectedMallOrders(Job):
    """Cancel the pickup orders not collected within ``LOYALTY_MALL_PICKUP_DAYS`` of being ready (0: never): their
    points, stock, count and any cash part go back, once, and the member is told as for any cancellation; those that
    will be in ``PICKUP_REMINDER_DAYS`` are told first (once per order)."""

    name = "expire-uncollected-mall-orders"
    schedule = schedules.EXPIRE_UNCOLLECTED_MALL_ORDERS
    description = "Cancel points-mall pickups not collected in time (LOYALTY_MALL_PICKUP_DAYS)"
    first_run_lookback_days = 1
    batch_size = 1

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        yield as_of.isoformat()  # one queue: the orders waiting, oldest first (what is due does not depend on the day)

    tallied = True  # its report says how many pickups it cancelled (a probe read an empty one)

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        days_ = get_settings().mall_pickup_days
        if not days_:
            return Counter()
        now = clock.now()
        cutoff = clock.iso(now - timedelta(days=days_))
        # the queue up to the orders cancelled within the reminder's days: those past the cutoff go, the rest are told
        waiting = orders.uncollected(now - timedelta(days=max(0, days_ - service.PICKUP_REMINDER_DAYS)))
        cancelled = sum(service.expire_uncollected(record.order_id, now, days_)
                        for record in waiting if record.placed_key < cutoff)  # fmt: skip
        reminded = sum(service.remind_uncollected(record.order_id, now, days_)
                       for record in waiting if record.placed_key >= cutoff)  # fmt: skip
        tallies = Counter(changed=cancelled, cancelled=cancelled) if cancelled else Counter()
        return tallies + (Counter(reminded=reminded) if reminded else Counter())


expire_uncollected_mall_orders = register(ExpireUncollectedMallOrders())
