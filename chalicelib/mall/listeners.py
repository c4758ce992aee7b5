"""The coupon consumer: a coupon reward's coupon is issued once its order is placed (or, points + cash, paid).

The exchange issues it at once; this consumer of the order's events issues it should that call stop between the
commit and the coupon (a crash, a timeout). Both are exactly once: the coupons domain issues one coupon per source
id (the order's), and the order moves to completed once. Its writes are its own posts, so the marker commits after
them: a redelivery finds the coupon issued and the order completed, and changes nothing.
"""

from __future__ import annotations

from chalicelib.mall import service
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer


@consumer("mall-coupons", queue="mall", types=["mall.order-placed", "mall.order-paid"])
def issue_coupon(tx: Transaction, event: Event) -> None:
    if event.payload.get("kind") == "coupon" and event.payload.get("status") == "pending":
        service.issue_coupon(str(event.payload["order_id"]))
