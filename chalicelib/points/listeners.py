"""The points domain's consumer: a till order's sale refunded whole gives back the points that paid part of it."""

from __future__ import annotations

from chalicelib.points import service
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer
from chalicelib.shared.ids import COUNTER


@consumer("order-points-back", queue="points", types=["refund.recorded"], batched=True)
def give_order_points_back(tx: Transaction, event: Event) -> None:
    """积分抵现 undone by its refund: once the counter's sale of a till order is refunded whole, the points that paid
    part of it go back to their lots, exactly once (the redemption's own status, with the consumer's marker). A partial
    refund keeps them spent, as it keeps the order's coupons used."""
    payload = event.payload
    if payload.get("partner_id") != COUNTER or not payload.get("whole"):
        return
    marker = tx.drain()
    if not service.return_order_points(str(payload["member_id"]), str(payload["order_id"]), marker):
        tx.extend(marker)  # none to give back, or given back before: the marker alone
