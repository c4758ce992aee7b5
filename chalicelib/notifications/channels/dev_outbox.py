"""The dev outbox: nothing leaves the machine (the local stack and tests send through it)."""

from __future__ import annotations

from chalicelib.notifications.channels.delivery import Delivery

DEV_OUTBOX = "dev-outbox"


class DevOutbox:
    """Accepts every message and sends none; the notification record itself is the outbox entry."""

    name = DEV_OUTBOX

    def send(self, delivery: Delivery) -> str:
        return delivery.message_id
