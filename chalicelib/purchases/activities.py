"""Points for what members do besides buying: registration, birthday, review, share (晒单), daily check-in.

The earn rules in force at the activity's time say how many points each kind gives and how many times a
member may earn it per business day and per calendar month (business time zone). Each activity is booked
once per source and event id: a repeat answers the first answer. Past a limit the activity is recorded with
0 points (``limited``), so a retried event does not earn on a later day instead.

The limits count on the day (and month) the activity happened and on the day (and month) it was reported:
both must have room, so a burst of events back-dated to many different days earns no more than one day's
limit. Partners may date an activity at most ``ACTIVITY_MAX_AGE`` back.

A birthday (生日礼) is rewarded once a calendar year, whoever reports it: the platform gives it by itself in the
month of the member's birthday on record (``give_birthday_gift``, from the nightly job or as the birthday is
recorded), and a partner may report it in that month too; the first is booked, later ones are ``limited``. It gives
the rules' birthday points plus the ``birthday_bonus_points`` of the tier whose benefits the member has then (a paid
card's floor included), growth as the programme says, and, through its event, the birthday coupons.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from chalicelib.identity.access import Caller
from chalicelib.ledger.dynamo import RecordKeeper
from chalicelib.ledger.engine import Holdings
from chalicelib.ledger.model import Answer, Claim, Entry, Posting
from chalicelib.ledger.model import Source as EntrySource
from chalicelib.ledger.registry import ledger
from chalicelib.ledger.store import StoredClaim
from chalicelib.members import service as members
from chalicelib.members.model import Member
from chalicelib.points import service as points
from chalicelib.points.book import BOOK as POINTS
from chalicelib.purchases.records import ActivityRecord
from chalicelib.purchases.schemas import ActivityReport
from chalicelib.purchases.service import MemberNotEligible, body_hash_of, member_for_partner, rules_at
from chalicelib.shared import clock
from chalicelib.shared.db import Record, Transaction
from chalicelib.shared.errors import Conflict, NotFound, ValidationFailed
from chalicelib.shared.events import new_event
from chalicelib.shared.phrases import Phrase
from chalicelib.shared.ratelimit import take_in_window
from chalicelib.shared.settings import get_settings
from chalicelib.tiers import programmes
from chalicelib.tiers.service import Progress, noting_birthday

REASONS = {
    "registration": Phrase("注册奖励", "Welcome reward"), "birthday": Phrase("生日奖励", "Birthday reward"),
    "review": Phrase("评价奖励", "Review reward"), "share": Phrase("晒单奖励", "Share reward"),
    "checkin": Phrase("签到奖励", "Check-in reward"), "profile": Phrase("完善资料奖励", "Profile completion reward"),
}  # fmt: skip


ACTIVITY_MAX_AGE = timedelta(days=7)


class ActivityConflict(Conflict):
    slug, title = "activity-conflict", "This event id was reported before with other content"


class NotTheirBirthday(MemberNotEligible):
    slug, title = "not-their-birthday", "The member's birthday is not in this month"


class _Limited(Exception):
    pass


def award(member_id: str, kind: str, *, source: str, event_id: str, occurred_at: datetime,
          body: dict[str, Any], alongside: Transaction | None = None) -> dict[str, Any]:  # fmt: skip
    """Book the points the rules give ``kind`` at ``occurred_at``, once per ``source`` and ``event_id``;
    ``alongside`` are writes to commit with it (a consumer's marker)."""
    key, digest = f"{source}#{event_id}", body_hash_of(body)
    rule = rules_at(occurred_at).rules.activities.get(kind)
    day = clock.business_date(occurred_at, get_settings().tz)
    limited = False
    while True:
        try:
            if limited:  # recorded with 0 points, so a retried event does not earn on a later day instead
                return _book(member_id, kind, key, digest, occurred_at, day, 0, None, None, limited=True,
                             alongside=alongside)  # fmt: skip
            return _book(member_id, kind, key, digest, occurred_at, day, rule.points if rule else 0,
                         rule.per_day if rule else None, rule.per_month if rule else None,
                         alongside=alongside)  # fmt: skip
        except _Limited:
            limited = True
        except (NotFound, points.MemberNotActive) as e:
            raise MemberNotEligible(e.detail) from None


def _book(
    member_id: str, kind: str, key: str, digest: str, occurred_at: datetime, day: date, amount: int,
    per_day: int | None, per_month: int | None, *, limited: bool = False, alongside: Transaction | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One post: the points and growth, the limits' counters (``_Limited`` when one is full), the activity's
    record and event, claimed once by the activity's key (a repeat answers the first answer). A birthday also
    counts once in its year and adds the tier's birthday points."""
    tz = get_settings().tz
    counted_days = sorted({day, clock.business_today()})  # when it happened, and when it was reported
    source, reason = EntrySource("activity", key), REASONS.get(kind, kind)
    expires_on, available_on = points.policy_dates(occurred_at)
    growth = 0 if limited else programmes.programme().growth.activities.get(kind, 0)
    progress = Progress(growth, 0, day, "activity", key, reason)

    def plan(holdings: Holdings, booking: points.Booking, today: date) -> list[Posting]:
        if per_day is not None:
            for counted in counted_days:
                ends = datetime.combine(counted + timedelta(days=1), time(), tz)
                booking.attachments.append(_cap(f"activity:{member_id}:{kind}:{counted.isoformat()}", per_day, ends))
        if per_month is not None:
            for month_end in sorted({_month_end(counted) for counted in counted_days}):
                ends = datetime.combine(month_end + timedelta(days=1), time(), tz)
                booking.attachments.append(_cap(f"activity:{member_id}:{kind}:{month_end:%Y-%m}", per_month, ends))
        total, tier, bonus, floor, floor_bonus, carded = amount, None, 0, "", 0, []
        if kind == "birthday" and not limited:
            ends = datetime.combine(date(day.year + 1, 1, 1), time(), tz)
            booking.attachments.append(_cap(f"activity:{member_id}:birthday:{day.year}", 1, ends))
            from chalicelib.membership.service import noting_card_birthday, tier_of_benefits  # the others need none

            programme = programmes.programme()

            def bonus_of(tier: str) -> int:
                return int(programme.tier(tier).benefits.get("birthday_bonus_points") or 0)

            # a card's floor gives its tier's birthday points only once paid for: a free trial's floor gives none
            tier = tier_of_benefits(holdings, member_id, today, paid_only=True)
            bonus = bonus_of(tier)
            floor = tier_of_benefits(holdings, member_id, today, earned=programme.tiers[0].code, paid_only=True)
            floor_bonus = min(bonus, bonus_of(floor))
            total += bonus
            carded = noting_card_birthday(holdings, member_id, today, day.year, bonus_of, source)
        booking.events.append(new_event("activity.recorded", f"member/{member_id}", {
            "member_id": member_id, "kind": kind, "points": max(total, 0), "limited": limited,
            "activity_key": key, **({"tier": tier} if tier else {}),
            **({"year": day.year, "month": f"{day:%Y-%m}"} if kind == "birthday" else {}),  # the year it counts in
            # (once a year), and the month it is for: its greeting is not sent after it
        }))  # fmt: skip
        earned = [points.credit(member_id, total, "earn", source, reason, expires_on=expires_on,
                                available_on=available_on)] if total > 0 else []  # fmt: skip
        progressed = points.with_progress(holdings, booking, progress, today)
        if tier is not None:  # the tier's part is kept on the standing: a refund undoing that tier takes it back
            progressed = noting_birthday(holdings, member_id, tier, bonus, (floor, floor_bonus), source, progressed,
                                         day.year)  # fmt: skip
        return [*earned, *progressed, *carded]

    def entry_of(answer: Answer) -> Entry | None:
        return next((e for e in answer.entries if e.book == POINTS and e.source == source), None)

    def result(answer: Answer, booking: points.Booking) -> dict[str, Any]:
        entry = entry_of(answer)
        return {"member_id": member_id, "kind": kind, "points_awarded": entry.amount if entry else 0,
                "ledger_entry_id": entry.entry_id if entry else None, "limited": limited}  # fmt: skip

    def record_of(claim: StoredClaim) -> ActivityRecord:
        return ActivityRecord(
            key, member_id=member_id, kind=kind, occurred_at=clock.iso(occurred_at), body_hash=claim.content,
            points_awarded=claim.result["points_awarded"], limited=limited,
            ledger_entry_id=claim.result["ledger_entry_id"], created_at=clock.iso(clock.now()),
            ledger_entries=json.dumps([list(entry) for entry in claim.entries]),
        )  # fmt: skip

    def records(answer: Answer) -> list[Callable[[Transaction], None]]:
        return [lambda tx: tx.extend(alongside)] if alongside is not None else []

    claim = _activity_claim(key, digest, record_of)
    answer = points.post(member_id, plan, claim=claim, require="active", result=result, records=records)
    return {**answer.result, "duplicate": answer.duplicate}


def _activity_claim(key: str, digest: str, record_of: Callable[[StoredClaim], Record] | None = None) -> Claim:
    """An activity's claim, kept by its record (no claim item of its own): once per source and event id, for good;
    other content under the event id is 409 ``activity-conflict``."""
    keeper = RecordKeeper(ActivityRecord, key, _first_answer, record_of)
    return Claim(f"activity:{key}", digest, keeper=keeper,
                 conflict=ActivityConflict("This event id was reported before with other content"))  # fmt: skip


def _cap(key: str, limit: int, ends: datetime) -> Callable[[Transaction], None]:
    return lambda tx: take_in_window(tx, key, limit, ends, _Limited())


def _month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _first_answer(record: ActivityRecord) -> dict[str, Any]:
    return {"member_id": record.member_id, "kind": record.kind, "points_awarded": int(record.points_awarded),
            "ledger_entry_id": record.ledger_entry_id, "limited": bool(record.limited)}  # fmt: skip


def report(partner: Caller, reported: ActivityReport) -> dict[str, Any]:
    """An activity a partner reports for a member of its stores, at most a week after it happened. A birthday
    counts only in the month of the member's birthday on record (business time zone). A repeat answers the
    first answer, whatever became of the member since."""
    body = reported.model_dump(mode="json")
    first = ledger().replay(_activity_claim(f"{partner.id}#{reported.event_id}", body_hash_of(body)))
    if first is not None:  # whatever became of the member, and however late the repeat
        return {**first.result, "duplicate": True}
    if reported.occurred_at < clock.now() - ACTIVITY_MAX_AGE:
        detail = f"An activity may be reported at most {ACTIVITY_MAX_AGE.days} days after it happened"
        raise ValidationFailed([{"field": "occurred_at", "in": "body", "message": detail}], detail)
    member_id = member_for_partner(partner, reported.member)
    if reported.kind == "birthday" and not _born_in(
        member_of(member_id), clock.business_date(reported.occurred_at, get_settings().tz).month
    ):
        raise NotTheirBirthday("The member has no birthday on record in the month of occurred_at")
    return award(member_id, reported.kind, source=partner.id, event_id=reported.event_id,
                 occurred_at=reported.occurred_at, body=body)  # fmt: skip


def check_in(member_id: str) -> dict[str, Any]:
    """Today's check-in (business day): once a day by construction, whatever the rules' limits say."""
    now = clock.now()
    day = clock.business_date(now, get_settings().tz).isoformat()
    return award(member_id, "checkin", source="member", event_id=f"{member_id}:checkin:{day}", occurred_at=now,
                 body={"kind": "checkin", "day": day})  # fmt: skip


PROFILE_COMPLETING = frozenset({"gender", "city", "birthday", "email"})  # as edits name them


def reward_profile(member_id: str, alongside: Transaction | None = None) -> dict[str, Any] | None:
    """Growth (and any points the rules give) once a member's profile is complete: gender stated, city,
    birthday and email given. Once per member, however often the profile changes afterwards, and not to a member who
    joined with a phone an erased member had (a review: erase, join again, complete the profile, again)."""
    if not members.profile_complete(member_id, first_welcome=True):
        return None
    return award(member_id, "profile", source="profile", event_id=member_id, occurred_at=clock.now(),
                 body={"kind": "profile", "member_id": member_id}, alongside=alongside)  # fmt: skip


def give_birthday_gift(
    member_id: str, on: date, alongside: Transaction | None = None, member: Member | None = None
) -> dict[str, Any] | None:  # fmt: skip
    """The birthday gift of ``on``'s year, if ``on`` falls in the month of the member's birthday on record: once a
    member and year (the event id is the year), and not at all if a partner's birthday report came first, nor in the
    year a member joined with a phone an erased member had (given to that membership: a review), nor in the month a
    member was imported in (the old system gave that one: a retail chain's walkthrough imported a member born that
    month and gave them a second), nor, with ``LOYALTY_BIRTHDAY_GIFT_NEEDS_NOTICE`` (the default), for a birthday
    recorded during its month, at joining or after: it gives next year's. ``member``: theirs, when read already."""
    member = member or member_of(member_id)
    if birthday_gift_refused(member, on) is not None:
        return None
    tz = get_settings().tz
    now = clock.now()
    occurred_at = now if clock.business_date(now, tz) == on else datetime.combine(on, time(12), tz)
    return award(member_id, "birthday", source="birthday", event_id=f"{member_id}:{on.year}", occurred_at=occurred_at,
                 body={"kind": "birthday", "member_id": member_id, "year": on.year}, alongside=alongside)  # fmt: skip


def birthday_gift_refused(member: Member, on: date) -> str | None:
    """Why ``on``'s year gives the member no birthday gift (None: it does, unless given already): ``not-their-month``
    (no birthday in ``on``'s month on record), ``returning`` (joined that year with a closed membership's phone),
    ``imported-this-month`` (the old system gave it), ``recorded-this-month`` (next year's, with
    ``LOYALTY_BIRTHDAY_GIFT_NEEDS_NOTICE``)."""
    settings = get_settings()
    if not _born_in(member, on.month):
        return "not-their-month"
    if member.returning and member.registered_at[:4] == str(on.year):
        return "returning"
    imported_on = clock.business_date(datetime.fromisoformat(member.created_at), settings.tz)
    if str(member.source) == "import" and (imported_on.year, imported_on.month) == (on.year, on.month):
        return "imported-this-month"
    recorded = member.birthday_recorded_on
    if settings.birthday_gift_needs_notice and recorded and recorded >= f"{on:%Y-%m}-01":
        return "recorded-this-month"  # or later: next year's (a walkthrough chose this month to be given it)
    return None


def _born_in(member: Member, month: int) -> bool:
    return member.birthday is not None and member.birthday.month == month


def member_of(member_id: str) -> Member:
    """The member a gift goes to (``MemberNotEligible`` for nobody)."""
    try:
        return members.get_member(member_id)
    except NotFound as e:
        raise MemberNotEligible(e.detail) from None


def reward_registration(member_id: str, registered_at: datetime, source: str,
                        alongside: Transaction | None = None) -> dict[str, Any] | None:  # fmt: skip
    """Registration points for a member who joined (imported members are not new: nothing)."""
    if source == "import":
        return None
    return award(member_id, "registration", source="registration", event_id=member_id, occurred_at=registered_at,
                 body={"kind": "registration", "member_id": member_id}, alongside=alongside)  # fmt: skip
