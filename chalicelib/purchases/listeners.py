"""The points consumer: registration points for members who joined."""

from __future__ import annotations

from datetime import datetime

from chalicelib.purchases.activities import reward_registration
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer


@consumer("registration-points", queue="points", types=["member.registered"])
def reward_new_member(tx: Transaction, event: Event) -> None:
    """Books in its own transaction, exactly once by member id, so a redelivery changes nothing."""
    payload = event.payload
    registered_at = datetime.fromisoformat(str(payload["registered_at"]).replace("Z", "+00:00"))
    reward_registration(str(payload["member_id"]), registered_at, str(payload.get("source")))
