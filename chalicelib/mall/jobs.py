"""The release of unpaid orders: a points + cash order not paid by its ``pay_by`` gives its points and stock back.

Every five minutes a run reads the release index (orders awaiting payment by the business day and instant they fall
due, in ``RELEASE_SHARDS`` partitions a day) for the days since the last run through today, up to now: one query per
partition, returning only what is due, never every order. Each order it lists is released in one post that reads its
four accounts (member, reward, limit, order: named by the index) in one request; an order paid or cancelled meanwhile
(the index may be a moment behind) is read as it is and left alone. Releasing what is released already changes
nothing, so a retried batch or a re-run is harmless.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from chalicelib.mall import orders, service
from chalicelib.shared import clock, schedules
from chalicelib.shared.jobs import Job, days, register


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

    def process(self, keys: list[str], as_of: date) -> int:
        now = clock.now()
        return sum(
            service.release(record.order_id, record.member_id, record.reward_id, now)
            for partition in keys
            for record in orders.releasable(partition, now)
        )


release_unpaid_mall_orders = register(ReleaseUnpaidMallOrders())
