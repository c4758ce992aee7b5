"""The points consumer: registration points for members who joined."""

from __future__ import annotations

import contextlib
from datetime import datetime

from chalicelib.purchases.activities import reward_registration
from chalicelib.purchases.service import MemberNotEligible
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer


@consumer("registration-points", queue="points", types=["member.registered"])
def reward_new_member(tx: Transaction, event: Event) -> None:
    """Books in its own transaction, exactly once by member id, so a redelivery changes nothing."""
    payload = event.payload
    registered_at = datetime.fromisoformat(str(payload["registered_at"]).replace("Z", "+00:00"))
    with contextlib.suppress(MemberNotEligible):  # frozen or erased before the event came: nothing is owed
        reward_registration(str(payload["member_id"]), registered_at, str(payload.get("source")))
