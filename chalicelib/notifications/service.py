"""The dispatcher: every message to a member is decided here once, then sent once.

``dispatch`` takes a notice (member, kind, occurrence, variables), decides it by the rules (consent, caps, quiet
hours) and adds to the consumer's transaction the message (its id derived from member, kind and occurrence, so a
redelivered event finds it and changes nothing), the cap count, the day's figures, the inbox copy and, for a
message to send now, ``notification.requested``. ``send`` (fed by that event) claims the message, hands it to the
channel's sender and records the outcome: provider throttling and network errors put it back and raise, so the
queue retries it (and after its last try moves it to the dead-letter queue, where ``cli queues redrive
notifications`` finds it); a permanent refusal (an invalid number, a template not approved) marks it failed with the
reason, and a consent withdrawn since the decision (a reply of T overnight) suppresses it.
A message found ``sending`` after a crash is not sent again (at most once past the claim): it is marked failed,
``unconfirmed``. ``release`` moves held messages whose quiet hours ended to ``queued``.

Login codes (``request_code``) take the same path with their recipient and text sealed, bypassing consent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.members import service as members
from chalicelib.members.model import Status as MemberStatus
from chalicelib.members.model import mask_phone
from chalicelib.notifications import profiles, settings
from chalicelib.notifications.kinds import KINDS, Purpose, Words
from chalicelib.notifications.records import MessageCountRecord, MessageRecord
from chalicelib.notifications.rules import (
    STUDENT_MARK,
    Decision,
    Notice,
    Policy,
    Situation,
    consent_reason,
    decide,
    name_students,
    release_at,
    render,
    with_opt_out,
)
from chalicelib.shared import clock
from chalicelib.shared.crypto import Sealer, WrappedKey, keyring
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Conflict
from chalicelib.shared.events import RetryLater, emit, new_event
from chalicelib.shared.ids import new_id
from chalicelib.shared.settings import get_settings

HELD_SHARDS = 4
FIGURE_SHARDS = 8
KEEP = timedelta(days=400)  # a message history a year back, and the consent proof's months beside it
KEEP_CODE = timedelta(days=1)
UNCONFIRMED_AFTER = timedelta(minutes=5)  # longer than a sender runs: a claim this old belongs to a crashed send
REQUESTED = "notification.requested"
CODE_REQUESTED = "notification.code-requested"  # on a queue of its own: a bulk run never delays a login code


RELEASE_SLACK = timedelta(hours=1)  # a held message's release job runs every 15 minutes: not too late for that


def message_id(member_id: str, kind: str, occurrence: str) -> str:
    digest = hashlib.sha256(f"{member_id}|{kind}|{occurrence}".encode()).hexdigest()
    return f"ms_{digest[:32]}"


# --- deciding ---------------------------------------------------------------------------------------------------


def dispatch(tx: Transaction, notice: Notice, grants_spent: Counter[tuple[str, str]]) -> Decision | None:
    """Decide ``notice`` and add its message to ``tx``; None when it was decided before (or its member is gone).
    A message on WeChat spends one of the member's grants of its template: counted in ``grants_spent`` (by member
    and template, for the notices of one event), which the caller writes once with ``spend_grants``."""
    mid = message_id(notice.member_id, notice.kind, notice.occurrence)
    reach = members.reach_of(notice.member_id)
    if reach is None or reach.status == MemberStatus.ERASED or MessageRecord.find(mid) is not None:
        return None
    kind, policy = KINDS[notice.kind], settings.policy()
    profile = profiles.profile(notice.member_id)
    wechat = settings.template(kind.name, "wechat").provider_template
    reachable = {
        channel
        for channel, has in (
            ("sms", reach.has_phone),
            ("email", reach.has_email),
            ("push", bool(profile.devices)),
            ("wechat", bool(profile.wechat_openid and wechat and _grants_left(profile, wechat, grants_spent) > 0)),
        )
        if has
    }
    now = clock.now().astimezone(_tz())
    situation = Situation(kind, policy, now, frozenset(reachable), profile.states(), frozenset(), notice.send_by,
                          frozen=reach.status == MemberStatus.FROZEN)  # fmt: skip
    decision = decide(situation)
    while (
        kind.purpose is Purpose.MARKETING
        and decision.channel
        and _capped(notice.member_id, policy, decision.channel, _sent_on(decision, now))
    ):
        situation = replace(situation, capped=situation.capped | {decision.channel})
        decision = decide(situation)
    _record(tx, notice, mid, decision, _language(profile, reach), now)
    if decision.channel and kind.purpose is Purpose.MARKETING and (cap := policy.cap(decision.channel)):
        counter = MessageCountRecord(
            f"cap#{notice.member_id}#{decision.channel}",
            cap.period_key(_sent_on(decision, now)),
            expires_at=clock.now() + timedelta(days=40),
        )
        tx.update(
            counter,
            [MessageCountRecord.tally.add(1), MessageCountRecord.expires_at.set(counter.expires_at)],
            condition=MessageCountRecord.tally.does_not_exist() | (MessageCountRecord.tally < cap.limit),
            on_fail=Conflict("The cap was reached meanwhile; the notice is redelivered"),
        )
    if decision.channel == "wechat" and wechat:
        grants_spent[(notice.member_id, wechat)] += 1
    return decision


def _language(profile: profiles.Profile, reach: members.Reach) -> str:
    """The language a message comes in: the profile's once one was recorded there, before that the one the member
    joined in (a message caused by the joining itself, such as a registration coupon's, may be decided before the
    consumer that puts that language on the profile has run)."""
    return profile.language if profile.language_set else (reach.joined_in or profile.language)


def _grants_left(profile: profiles.Profile, template_id: str, spent: Counter[tuple[str, str]]) -> int:
    return profile.wechat_grants.get(template_id, 0) - spent[(profile.member_id, template_id)]


def spend_grants(tx: Transaction, grants_spent: Counter[tuple[str, str]]) -> None:
    """Add to ``tx`` the WeChat grants the decisions spent: one write per member and template, refused (and the
    event redelivered) when fewer are left than spent."""
    for (member_id, template_id), count in grants_spent.items():
        profiles.spend_grant(tx, member_id, template_id, count, Conflict("The WeChat grants were spent meanwhile"))


def _sent_on(decision: Decision, now: datetime) -> date:
    """The business day a message goes out: a cap counts it in that day's period (a message held through Sunday
    night counts in Monday's week)."""
    return (decision.release_at or now).astimezone(_tz()).date()


def _capped(member_id: str, policy: Policy, channel: str, day: date) -> bool:
    """Whether the member's marketing on ``channel`` reached its cap in ``day``'s period (one read, for a capped
    channel)."""
    cap = policy.cap(channel)
    if cap is None:
        return False
    counter = MessageCountRecord.find(f"cap#{member_id}#{channel}", cap.period_key(day))
    return counter is not None and int(counter.tally or 0) >= cap.limit


STATUS_OF = {"send": "queued", "hold": "held", "inbox": "inbox", "suppressed": "suppressed"}


def _record(tx: Transaction, notice: Notice, mid: str, decision: Decision, language: str, now: datetime) -> None:
    kind = KINDS[notice.kind]
    words = _words(kind.name, decision.channel or "inbox", language, notice.variables)
    if decision.channel:
        words = Words(
            words.title, with_opt_out(words.text, kind.purpose, decision.channel, settings.policy().sms_opt_out)
        )
    status = STATUS_OF[decision.outcome]
    created = clock.iso(clock.now())
    record = MessageRecord(
        mid,
        member_id=notice.member_id,
        kind=kind.name,
        purpose=str(kind.purpose),
        occurrence=notice.occurrence,
        language=language,
        channel=decision.channel,
        status=status,
        reason=decision.reason,
        passed_over=json.dumps([list(p) for p in decision.passed_over]) if decision.passed_over else None,
        title=words.title,
        text=words.text,
        variables=json.dumps(dict(notice.variables), ensure_ascii=False, default=str),
        send_by=clock.iso(notice.send_by) if notice.send_by else None,
        created_at=created,
        created_key=f"{created}#{mid}",
        expires_at=clock.now() + KEEP,
    )
    if decision.outcome == "hold":
        assert decision.release_at is not None
        release = decision.release_at.astimezone(_tz())
        record.release_partition = f"{release.date().isoformat()}#{_shard(mid, HELD_SHARDS)}"
        record.release_at = clock.iso(decision.release_at)
        # released later than the longest hold (its job late: an outage, a test clock moved on), it is too late, not
        # sent into another night (an education chain's walkthrough: an announcement went out 357 days late at 23:04)
        latest = clock.iso(clock.now() + settings.policy().max_delay + RELEASE_SLACK)
        record.send_by = min(record.send_by, latest) if record.send_by else latest
    if decision.reason:
        record.unsent_key = f"{now.date().isoformat()}#{kind.name}"
    if decision.inbox:
        record.inbox_member = notice.member_id
        profiles.add_unread(tx, notice.member_id, 1)
    tx.put(
        record,
        condition=MessageRecord.message_id.does_not_exist(),
        on_fail=Conflict("The message was decided meanwhile; the notice is redelivered"),
    )
    _count(tx, mid, now, kind.name, status, decision.reason)
    if decision.outcome == "send":
        emit(
            tx,
            new_event(REQUESTED, f"message/{mid}", {"message_id": mid, "kind": kind.name, "channel": decision.channel}),
        )


def _words(kind_name: str, channel: str, language: str, variables: Mapping[str, Any]) -> Words:
    words, written_in = settings.template(kind_name, channel).in_language(language)
    return render(words, variables, written_in)  # dates as the words are written, an English member's or not


def _count(tx: Transaction, mid: str, now: datetime, kind: str, status: str, reason: str | None) -> None:
    """One count in the day's figures (a shard of them, so a busy day spreads its writes)."""
    key = f"day#{now.date().isoformat()}#{_shard(mid, FIGURE_SHARDS)}"
    names = [f"{kind}#{status}"] + ([f"{kind}#{status}#{reason}"] if reason else [])
    for name in names:
        tx.count(MessageCountRecord(key, name), "tally", 1)


def _shard(mid: str, shards: int) -> int:
    return int(hashlib.sha256(mid.encode()).hexdigest()[:8], 16) % shards


# --- login codes ------------------------------------------------------------------------------------------------


def request_code(
    tx: Transaction, *, phone: str, code: str, minutes: int, send_before: datetime, kind: str = "login-code"
) -> str:  # fmt: skip
    """Add a one-time code for ``phone`` (a log-in's, or ``till-code``: a payment's at a till) and its
    ``notification.requested`` to ``tx``. Its recipient and text are sealed; it bypasses consent, caps and quiet hours,
    and is not sent at all after ``send_before``."""
    mid = new_id("ms_")
    variables = {"code": code, "minutes": minutes}
    words = _words(kind, "sms", "zh-CN", variables)
    data_key, wrapped = _data_key()
    sealer = Sealer(f"message/{mid}", data_key)
    now = clock.now()
    created = clock.iso(now)
    tx.put(
        MessageRecord(
            mid,
            kind=kind,
            purpose=str(Purpose.LOGIN),
            occurrence=mid,
            language="zh-CN",
            channel="sms",
            status="queued",
            data_key=wrapped.stored,
            recipient_sealed=sealer.seal("recipient", phone),
            text_sealed=sealer.seal("text", words.text),
            variables=sealer.seal("variables", json.dumps(variables)),
            send_by=clock.iso(send_before),
            created_at=created,
            created_key=f"{created}#{mid}",
            expires_at=now + KEEP_CODE,
        ),
        condition=MessageRecord.message_id.does_not_exist(),
    )
    emit(tx, new_event(CODE_REQUESTED, f"message/{mid}", {"message_id": mid, "kind": kind, "channel": "sms"}))
    return mid


_key_lock = threading.Lock()
_current_key: tuple[float, bytes, WrappedKey] | None = None
KEY_REUSE_SECONDS = 300.0


def _data_key() -> tuple[bytes, WrappedKey]:
    """A data key for sealing codes, made at most every five minutes per process (one KMS call then, not one per
    message); each message is still bound to its own id."""
    global _current_key
    with _key_lock:
        now = time.monotonic()
        if _current_key is None or now - _current_key[0] > KEY_REUSE_SECONDS:
            _current_key = (now, *keyring().new_data_key())
        return _current_key[1], _current_key[2]


# --- sending ----------------------------------------------------------------------------------------------------


class SendLater(RetryLater):
    """The provider asked us to wait, or could not be reached: the queue delivers the message again after a backoff
    (at least the provider's ``retry_after``)."""


@dataclass(frozen=True)
class Outgoing:
    """A message as its sender takes it: where to, what, and the masked address for the history."""

    addresses: list[str]
    shown_to: str
    text: str
    title: str
    variables: dict[str, Any]


def send(tx: Transaction, mid: str) -> str | None:
    """Send a queued message once and add its outcome to ``tx``; returns the outcome (None: nothing to do). Consent,
    and for marketing the membership not frozen, are asked again: either may have changed since it was decided."""
    from chalicelib.notifications import channels

    record = MessageRecord.find(mid)
    if record is None or record.status not in ("queued", "sending"):
        return None
    now = clock.now()
    if record.status == "sending":
        since = datetime.fromisoformat(record.sending_since) if record.sending_since else now
        if now - since < UNCONFIRMED_AFTER:
            raise SendLater(
                f"message {mid} is being sent by another delivery",
                retry_after=int((UNCONFIRMED_AFTER - (now - since)).total_seconds()) + 1,
            )
        return _finish(tx, record, "failed", reason="unconfirmed")
    if record.send_by and record.send_by < clock.iso(now):
        return _finish(tx, record, "lapsed", reason="too-late")
    profile = profiles.profile(record.member_id) if record.member_id else None
    if profile is not None and (withdrawn := _consent_withdrawn(record, profile)):
        return _finish(tx, record, "suppressed", reason=withdrawn)
    if (
        record.member_id
        and Purpose(record.purpose) is Purpose.MARKETING
        and members.status_of(record.member_id) == MemberStatus.FROZEN
    ):  # since it was decided (held overnight)
        return _finish(tx, record, "suppressed", reason="member-frozen")
    outgoing = _outgoing(record, profile)
    if outgoing is None:
        return _finish(tx, record, "failed", reason="no-address")
    try:  # everything that can refuse before a provider is called, refused before the claim
        sender = channels.sender_for(str(record.channel))
        deliveries = [_delivery(record, address, outgoing) for address in outgoing.addresses]
    except channels.Rejected as e:
        return _finish(tx, record, "failed", reason=e.reason, error=str(getattr(e, "detail", e)))
    _claim(record, now)
    provider_ids, refused = [], None
    try:
        for delivery in deliveries:
            try:
                provider_ids.append(sender.send(delivery))
            except channels.Rejected as e:
                refused = e
    except (channels.Throttled, channels.Transient) as e:
        _unclaim(record, f"{e.reason}: {e.detail}" if hasattr(e, "detail") else str(e))
        raise SendLater(str(e), retry_after=getattr(e, "retry_after", None)) from e
    if not provider_ids:
        assert refused is not None
        return _finish(tx, record, "failed", reason=refused.reason, error=str(getattr(refused, "detail", refused)))
    return _finish(tx, record, "sent", via=sender.name, shown_to=outgoing.shown_to, provider_id=provider_ids[0])


def _consent_withdrawn(record: MessageRecord, profile: profiles.Profile) -> str | None:
    """Why a decided message may no longer go on its channel: the member withdrew consent since (a reply of T to
    a text while a marketing message was held through the night)."""
    return consent_reason(str(record.channel), Purpose(record.purpose), profile.states())


def _outgoing(record: MessageRecord, profile: profiles.Profile | None) -> Outgoing | None:
    """Where and what to send: a login code's sealed phone and text, or the member's address on the channel."""
    if profile is None:  # a login code (to a phone, not yet a member's): everything it needs is sealed in it
        sealer = Sealer.for_stored_key(f"message/{record.message_id}", str(record.data_key))
        phone = sealer.open("recipient", str(record.recipient_sealed))
        variables = json.loads(sealer.open("variables", str(record.variables)))
        return Outgoing([phone], phone, sealer.open("text", str(record.text_sealed)), "", variables)
    member_id, channel = str(record.member_id), str(record.channel)
    variables = json.loads(record.variables or "{}")
    text, title = str(record.text or ""), str(record.title or "")
    text, title, *said = students_named(member_id, text, title, *(v for v in variables.values() if isinstance(v, str)))
    named = iter(said)
    variables = {k: next(named) if isinstance(v, str) else v for k, v in variables.items()}
    if channel in ("sms", "email"):
        found = members.address_of(member_id, channel)
        return Outgoing([found[0]], found[1], text, title, variables) if found else None
    if channel == "push":
        endpoints = [device["endpoint"] for device in profile.devices]
        return Outgoing(endpoints, f"{len(endpoints)} device(s)", text, title, variables) if endpoints else None
    if channel == "wechat" and profile.wechat_openid:
        openid = profile.wechat_openid
        return Outgoing([openid], f"{openid[:4]}…{openid[-2:]}", text, title, variables)
    return None


def students_named(member_id: str, *texts: str) -> list[str]:
    """``texts`` of a message to the member with their students' marks replaced by the students' names (学员: a card's
    words marked as a child's), read from the member's sealed record only when a mark is there."""
    if not any(STUDENT_MARK.search(text) for text in texts):
        return list(texts)
    names = members.student_names(member_id)
    return [name_students(text, names) for text in texts]


def _delivery(record: MessageRecord, address: str, outgoing: Outgoing) -> Any:
    from chalicelib.notifications.channels import Delivery

    found = settings.template(record.kind, str(record.channel))
    params = tuple((name, str(outgoing.variables.get(variable, ""))) for name, variable in found.params)
    unsubscribe = page = None
    if record.channel == "email" and record.purpose == Purpose.MARKETING and record.member_id:
        unsubscribe, page = unsubscribe_links(record.member_id, "email")
    return Delivery(
        message_id=record.message_id,
        channel=str(record.channel),
        address=address,
        text=outgoing.text,
        subject=outgoing.title or None,
        language=record.language,
        provider_template=found.provider_template,
        params=params,
        unsubscribe_url=unsubscribe,
        unsubscribe_page=page,
    )


def unsubscribe_links(member_id: str, channel: str) -> tuple[str, str]:
    """A marketing message's unsubscribe links: the one-click URL mail clients post to (RFC 8058: the API itself,
    since a client drops a URL's ``#`` part), and the member pages' confirmation page people open."""
    base, token = get_settings().public_url.rstrip("/"), profiles.unsubscribe_token(member_id, channel)
    return f"{base}/v1/unsubscribe?token={token}", f"{base}/m/#/unsubscribe?token={token}"


def _claim(record: MessageRecord, now: datetime) -> None:
    try:
        record.update(
            [
                MessageRecord.status.set("sending"),
                MessageRecord.sending_since.set(clock.iso(now)),
                MessageRecord.attempts.add(1),
            ],
            condition=MessageRecord.status == "queued",
        )
    except Exception as e:
        raise SendLater(f"message {record.message_id} was claimed meanwhile") from e


def _unclaim(record: MessageRecord, error: str) -> None:
    record.update(
        [
            MessageRecord.status.set("queued"),
            MessageRecord.last_error.set(error[:500]),
            MessageRecord.sending_since.remove(),
        ],
        condition=MessageRecord.status == "sending",
    )


def _finish(
    tx: Transaction,
    record: MessageRecord,
    status: str,
    *,
    reason: str | None = None,
    error: str | None = None,
    via: str | None = None,
    shown_to: str | None = None,
    provider_id: str | None = None,
) -> str:
    now = clock.now()
    actions = [MessageRecord.status.set(status), MessageRecord.sending_since.remove()]
    actions += [
        getattr(MessageRecord, name).set(value)
        for name, value in (
            ("reason", reason),
            ("last_error", error),
            ("sent_via", via),
            ("provider_id", provider_id),
        )
        if value
    ]
    if shown_to:
        actions.append(MessageRecord.sent_to.set(shown_to if record.data_key is None else mask_phone(shown_to)))
    if status == "sent":
        actions.append(MessageRecord.sent_at.set(clock.iso(now)))
    local = now.astimezone(_tz())
    if reason and record.member_id:
        actions.append(MessageRecord.unsent_key.set(f"{local.date().isoformat()}#{record.kind}"))
    tx.update(MessageRecord(record.message_id), actions, condition=MessageRecord.status.is_in("queued", "sending"))
    _count(tx, record.message_id, local, record.kind, status, reason)
    return status


def _tz() -> ZoneInfo:
    return get_settings().tz


# --- releasing held messages ------------------------------------------------------------------------------------


def releasable(partition: str, now: datetime) -> Iterator[MessageRecord]:
    """The held messages of a release partition whose quiet hours have ended by ``now``."""
    return MessageRecord.held.query(partition, MessageRecord.release_at <= clock.iso(now))


def release(record: MessageRecord, now: datetime) -> int:
    """Queue a held message whose quiet hours ended (or drop it, too late, past its ``send_by``); once. A release
    that finds the next night's quiet hours begun (its job ran late: a probe's messages went out at 05:42) holds it
    again until they end, unless that is past its ``send_by`` (too late)."""
    tx = Transaction()
    local = now.astimezone(_tz())
    quiet = release_at(KINDS[record.kind], settings.policy(), local, str(record.channel))
    late = record.send_by is not None and record.send_by < clock.iso(quiet or now)
    if quiet is not None and not late:
        return _hold_again(record, quiet)
    status = "suppressed" if late else "queued"
    actions = [MessageRecord.status.set(status), MessageRecord.release_partition.remove()]
    if late:
        actions += [
            MessageRecord.reason.set("too-late"),
            MessageRecord.unsent_key.set(f"{local.date().isoformat()}#{record.kind}"),
        ]
    tx.update(
        MessageRecord(record.message_id), actions, condition=MessageRecord.status == "held", on_fail=_AlreadyReleased()
    )
    _count(tx, record.message_id, local, record.kind, status, "too-late" if late else None)
    if not late:
        emit(
            tx,
            new_event(
                REQUESTED,
                f"message/{record.message_id}",
                {
                    "message_id": record.message_id,
                    "kind": record.kind,
                    "channel": record.channel,
                },
            ),
        )
    try:
        tx.commit()
    except _AlreadyReleased:
        return 0
    return 1


def _hold_again(record: MessageRecord, until: datetime) -> int:
    """Keep a held message held until ``until`` (the quiet hours a late release found begun); 0: none released."""
    partition = f"{until.astimezone(_tz()).date().isoformat()}#{_shard(record.message_id, HELD_SHARDS)}"
    tx = Transaction()
    tx.update(MessageRecord(record.message_id),
              [MessageRecord.release_at.set(clock.iso(until)), MessageRecord.release_partition.set(partition)],
              condition=MessageRecord.status == "held", on_fail=_AlreadyReleased())  # fmt: skip
    with contextlib.suppress(_AlreadyReleased):  # released by another run meanwhile
        tx.commit()
    return 0


class _AlreadyReleased(Exception):
    pass
