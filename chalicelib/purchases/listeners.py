"""The points consumers: registration points for members who joined, growth for a completed profile, and
the member profile's copy of the tier (for lists and segments)."""

from __future__ import annotations

import contextlib
from datetime import datetime

from chalicelib.purchases.activities import PROFILE_COMPLETING, reward_profile, reward_registration
from chalicelib.purchases.service import MemberNotEligible
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer


@consumer("registration-points", queue="points", types=["member.registered"], batched=True)
def reward_new_member(tx: Transaction, event: Event) -> None:
    """Books in its own transaction, exactly once by member id, so a redelivery changes nothing."""
    payload = event.payload
    registered_at = datetime.fromisoformat(str(payload["registered_at"]).replace("Z", "+00:00"))
    with contextlib.suppress(MemberNotEligible):  # frozen or erased before the event came: nothing is owed
        reward_registration(str(payload["member_id"]), registered_at, str(payload.get("source")))


@consumer("profile-growth", queue="points", types=["member.updated"], batched=True)
def reward_complete_profile(tx: Transaction, event: Event) -> None:
    """Once per member by construction (the activity's event id is the member id). Only edits of the fields
    that complete a profile are looked at."""
    if not PROFILE_COMPLETING.intersection(event.payload.get("changed", [])):
        return
    with contextlib.suppress(MemberNotEligible):
        reward_profile(str(event.payload["member_id"]))


@consumer("member-tier", queue="points", types=["tier.changed"], batched=True)
def copy_tier_to_profile(tx: Transaction, event: Event) -> None:
    """The account item holds the tier; the profile keeps a copy for member lists and segments. A change
    older than the copy (redelivered late) does not overwrite it. The profile's version (its ETag) moves on,
    as what it shows changed."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.members.records import MemberRecord

    M, changed_at = MemberRecord, event.occurred_at
    member = M(str(event.payload["member_id"]))
    member.version = 0  # not None: pynamodb then adds 1 to the stored version instead of setting it to 1
    try:
        member.update(
            actions=[M.tier.set(str(event.payload["tier"])), M.tier_changed_at.set(changed_at)],
            condition=M.member_id.exists() & (M.tier_changed_at.does_not_exist() | (M.tier_changed_at < changed_at)),
            add_version_condition=False,
        )
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
