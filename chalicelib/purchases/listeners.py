"""The points consumers: registration points for members who joined, growth for a completed profile, the birthday
gift of a member whose birthday is recorded in its month (the nightly job gives the others on the month's first). Each
books through the ledger with the consumer's marker in the same transaction (``drain``), so an event is
handled exactly once whether the write or the marker is what a redelivery finds."""

from __future__ import annotations

from datetime import date, datetime

from chalicelib.purchases.activities import PROFILE_COMPLETING, give_birthday_gift, reward_profile, reward_registration
from chalicelib.purchases.service import MemberNotEligible, take_back_card_points
from chalicelib.shared import clock
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer


@consumer("registration-points", queue="points", types=["member.registered"], batched=True)
def reward_new_member(tx: Transaction, event: Event) -> None:
    """Books in its own transaction, exactly once by member id, so a redelivery changes nothing; a phone joining
    again after its member was erased (``returning``) was welcomed before: nothing."""
    payload = event.payload
    if payload.get("returning"):
        return
    registered_at = datetime.fromisoformat(str(payload["registered_at"]).replace("Z", "+00:00"))
    marker = tx.drain()
    try:
        booked = reward_registration(str(payload["member_id"]), registered_at, str(payload.get("source")),
                                     alongside=marker)  # fmt: skip
        if booked is None or booked["duplicate"]:
            tx.extend(marker)  # nothing to book (an imported member), or booked before: the marker alone
    except MemberNotEligible:  # frozen or erased before the event came: nothing is owed
        tx.extend(marker)


@consumer("profile-growth", queue="points", types=["member.updated"], batched=True)
def reward_complete_profile(tx: Transaction, event: Event) -> None:
    """Once per member by construction (the activity's event id is the member id). Only edits of the fields
    that complete a profile are looked at."""
    if not PROFILE_COMPLETING.intersection(event.payload.get("changed", [])):
        return
    marker = tx.drain()
    try:
        booked = reward_profile(str(event.payload["member_id"]), alongside=marker)
        if booked is None or booked["duplicate"]:
            tx.extend(marker)  # not complete yet, or rewarded before: the marker alone
    except MemberNotEligible:
        tx.extend(marker)


@consumer("birthday-gift", queue="points", types=["member.registered", "member.updated"], batched=True)
def birthday_recorded(tx: Transaction, event: Event) -> None:
    """A member who joins, or records their birthday, in their birthday month gets this year's gift now rather than
    a year later; once a member and year, so changing the birthday again gives nothing more. A migrated member (an
    import) gets theirs from their next birthday month on: the old system gave this one; so does a phone joining again
    after its member was erased (``returning``)."""
    payload = event.payload
    joined = (event.type == "member.registered" and payload.get("born_this_month")
              and payload.get("source") != "import" and not payload.get("returning"))  # fmt: skip
    if not (joined or "birthday" in payload.get("changed", [])):
        return
    marker = tx.drain()
    try:
        booked = give_birthday_gift(str(payload["member_id"]), clock.business_today(), alongside=marker)
        if booked is None or booked["duplicate"]:
            tx.extend(marker)
    except MemberNotEligible:
        tx.extend(marker)


@consumer("card-cancellation-points", queue="points", types=["membership.card-cancelled"], batched=True)
def card_refunded_in_full(tx: Transaction, event: Event) -> None:
    """A card cancelled with all it was paid refunded: the points its multiplier added to the orders of its cycle,
    and those its floor added to a birthday gift, go back (``take_back_card_points``), once per cancellation; a
    partial refund leaves them (the days used were paid)."""
    payload = event.payload
    since = payload.get("refunded_in_full_since")
    if not since:
        return
    marker = tx.drain()
    booked = take_back_card_points(str(payload["member_id"]), str(payload["card_id"]), date.fromisoformat(since),
                                   str(payload["cancel_id"]), int(payload.get("birthday_points") or 0),
                                   alongside=marker)  # fmt: skip
    if booked is None or booked["duplicate"]:
        tx.extend(marker)
