"""The notifications consumer: sends each requested message."""

from __future__ import annotations

from chalicelib.notifications.service import deliver
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer


@consumer("notifications", queue="notifications", types=["notification.requested"])
def send_requested(tx: Transaction, event: Event) -> None:
    deliver(tx, str(event.payload["notification_id"]))
