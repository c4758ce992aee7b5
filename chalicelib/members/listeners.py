"""The members consumers: the profile's copies of the member's tier and marketing consents (for lists and segments)."""

from __future__ import annotations

from chalicelib.members import service
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer


@consumer("member-tier", queue="points", types=["tier.changed"], batched=True)
def copy_tier_to_profile(tx: Transaction, event: Event) -> None:
    """The ledger holds the tier; the profile keeps a copy, written with the consumer's marker."""
    service.copy_tier(tx, str(event.payload["member_id"]), str(event.payload["tier"]), event.occurred_at)


@consumer("member-consents", queue="points", types=["consent.changed"])
def copy_consents_to_profile(tx: Transaction, event: Event) -> None:
    """The notifications domain holds the consents; the profile keeps a copy of the marketing ones."""
    payload = event.payload
    given = {c["channel"]: bool(c["granted"]) for c in payload["changes"] if c["purpose"] == "marketing"}
    if given:
        service.copy_consents(tx, str(payload["member_id"]), given, str(payload["at"]), str(payload["source"]))
