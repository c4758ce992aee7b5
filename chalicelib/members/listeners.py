"""The members consumer: the profile's copy of the member's tier (for lists and segments)."""

from __future__ import annotations

from chalicelib.members import service
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer


@consumer("member-tier", queue="points", types=["tier.changed"], batched=True)
def copy_tier_to_profile(tx: Transaction, event: Event) -> None:
    """The ledger holds the tier; the profile keeps a copy, written with the consumer's marker."""
    service.copy_tier(tx, str(event.payload["member_id"]), str(event.payload["tier"]), event.occurred_at)
