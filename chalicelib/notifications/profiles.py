"""A member's messaging profile: consents per channel and purpose with their proof, language, push devices,
WeChat one-time grants and unread inbox count.

Consent (消息授权) is kept as the member's current answer per ``channel:purpose`` and a history entry per change,
each with its proof: when, from what (``registration``, ``member-page``, ``import``, ``staff`` on the member's
request, ``sms-reply``, ``unsubscribe-link``), the wording version agreed to and who recorded it. A change that
changes nothing is not recorded. Every change announces ``consent.changed``, so the member profile's copy of the
marketing consents follows. WeChat subscribe messages need a one-time grant per message (一次性订阅): there is
no API to read them back, so each grant the member's app reports is counted here and each message spends one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.notifications import channels
from chalicelib.notifications.kinds import EXTERNAL_CHANNELS, LANGUAGES, Purpose
from chalicelib.notifications.records import MessagingProfileRecord
from chalicelib.shared import clock
from chalicelib.shared.context import current_origin
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Conflict, InvalidCursor, NotFound, ValidationFailed
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor

PROFILE = "profile"
HISTORY = "consent#"
GRANTS = "wechat#"
UNSUBSCRIBE_SCOPE = "unsubscribe-link"
SOURCES = ("registration", "member-page", "import", "staff", "sms-reply", "unsubscribe-link")
PURPOSES = (Purpose.SERVICE, Purpose.MARKETING)
MAX_DEVICES = 10


@dataclass(frozen=True)
class ConsentChange:
    channel: str
    purpose: str
    granted: bool
    given_at: str | None = None  # when this answer was given, where it differs from its proof's (a migrated channel)
    note: str | None = None  # this answer's own proof note, likewise


JOINING = frozenset({"registration", "import"})  # consent sources of the answers a member gives as they join


@dataclass(frozen=True)
class Profile:
    member_id: str
    consents: dict[str, dict[str, Any]] = field(default_factory=dict)
    language: str = "zh-CN"
    wechat_openid: str | None = None
    wechat_grants: dict[str, int] = field(default_factory=dict)
    devices: list[dict[str, Any]] = field(default_factory=list)
    unread: int = 0
    version: int = 0
    language_set: bool = False  # whether a language was ever recorded (else ``language`` is the default)

    def states(self) -> dict[str, bool]:
        """What the member said per ``channel:purpose`` (absent: never agreed). A marketing "no" given as they joined
        (registration, an import) is left out: they declined, they did not withdraw (``no-consent``, not
        ``opted-out``)."""
        return {key: bool(value["granted"]) for key, value in self.consents.items()
                if value["granted"] or not (key.endswith(":marketing") and value.get("source") in JOINING)}  # fmt: skip


class _Changed(Exception):
    """The profile changed between its read and this write: read it again (never an answer of its own)."""


def profile(member_id: str) -> Profile:
    """The member's messaging profile (empty for a member who never set anything): one query."""
    found = list(MessagingProfileRecord.query(member_id, MessagingProfileRecord.entry >= PROFILE))
    main = next((r for r in found if r.entry == PROFILE), None)
    grants = {r.entry.removeprefix(GRANTS): int(r.grants or 0) for r in found if r.entry.startswith(GRANTS)}
    if main is None:
        return Profile(member_id, wechat_grants=grants)
    return Profile(
        member_id,
        json.loads(main.consents or "{}"),
        main.language or "zh-CN",
        main.wechat_openid,
        grants,
        json.loads(main.devices or "[]"),
        int(main.unread or 0),
        int(main.version or 0),
        main.language is not None,
    )


@dataclass(frozen=True)
class Proof:
    """What a consent change is recorded with: where it was given (``SOURCES``), the wording version agreed to, a
    note (staff's: how the member asked), and when (None: now; a migrated system's own date otherwise)."""

    source: str
    wording_version: str | None = None
    note: str | None = None
    at: str | None = None
    actor: str | None = None  # who recorded it, when not the caller (a consumer records what an event says)


def change(member_id: str, changes: Iterable[ConsentChange], proof: Proof, language: str | None = None) -> Profile:
    """Record the member's answers (and language) with their proof; answers equal to the current ones are not
    recorded again."""
    wanted = list(changes)
    _check(wanted, proof.source, language)

    def attempt() -> Profile:
        tx = Transaction()
        current = record_in(tx, member_id, wanted, proof, language)
        if not len(tx):
            return current
        tx.commit()
        return profile(member_id)

    return _retrying(attempt)


def record_in(
    tx: Transaction,
    member_id: str,
    wanted: list[ConsentChange],
    proof: Proof,
    language: str | None = None,
    joined_in: str | None = None,
) -> Profile:
    """Add to ``tx`` the answers that change something, with their history and ``consent.changed``, on condition
    the profile is still as read (a race refuses ``tx`` whole); returns the profile as read. ``joined_in``, the
    language a member joined in, is set only on a profile that holds no language yet (a device or a WeChat openid
    recorded first holds none): one the member set since stands."""
    current = profile(member_id)
    if joined_in is not None and not current.language_set:
        language = joined_in
    when, actor = proof.at or clock.iso(clock.now()), proof.actor or current_origin().actor

    def given_at(c: ConsentChange) -> str | None:
        return c.given_at or proof.at

    def moves(c: ConsentChange) -> bool:
        """A different answer, and not older than the one recorded (an event delivered late changes nothing)."""
        said = current.consents.get(f"{c.channel}:{c.purpose}", {})
        at = given_at(c)
        return said.get("granted") != c.granted and not (at and str(said.get("at", "")) > at)

    moved = [c for c in wanted if moves(c)]
    if not moved and (language is None or (language == current.language and current.language_set)):
        return current  # a language said on a profile holding none is kept: a language joined in then yields to it
    consents = dict(current.consents)
    for c in moved:
        at = given_at(c) or when
        wording = None if c.note else proof.wording_version  # an answer with a proof of its own: wording unknown
        consents[f"{c.channel}:{c.purpose}"] = {
            "granted": c.granted,
            "at": at,
            "source": proof.source,
            "wording_version": wording,
        }
        tx.put(
            MessagingProfileRecord(
                member_id,
                f"{HISTORY}{at}#{new_id('')}",
                channel=c.channel,
                purpose=c.purpose,
                granted=c.granted,
                source=proof.source,
                wording_version=wording,
                actor=actor,
                note=c.note or proof.note,
                at=at,
            )
        )
    _write_profile(tx, current, consents=json.dumps(consents, sort_keys=True), language=language)
    if moved:
        emit(
            tx,
            new_event(
                "consent.changed",
                f"member/{member_id}",
                {
                    "member_id": member_id,
                    "source": proof.source,
                    "at": when,
                    "changes": [{"channel": c.channel, "purpose": c.purpose, "granted": c.granted} for c in moved],
                },
            ),
        )
    return current


def _check(changes: list[ConsentChange], source: str, language: str | None) -> None:
    errors = []
    for index, c in enumerate(changes):
        if c.channel not in EXTERNAL_CHANNELS or c.purpose not in PURPOSES:
            errors.append(
                {
                    "field": f"consents.{index}",
                    "in": "body",
                    "message": f"channels are {list(EXTERNAL_CHANNELS)}, purposes service and marketing",
                }
            )
    if source not in SOURCES:
        errors.append({"field": "source", "in": "body", "message": f"sources are {list(SOURCES)}"})
    if language is not None and language not in LANGUAGES:
        errors.append({"field": "language", "in": "body", "message": f"languages are {list(LANGUAGES)}"})
    if errors:
        raise ValidationFailed(errors, "The consents are not valid")


def _write_profile(tx: Transaction, current: Profile, **values: Any) -> None:
    """Add to ``tx`` the profile's new values, on condition nobody changed it since ``current`` was read."""
    actions = [getattr(MessagingProfileRecord, name).set(value) for name, value in values.items() if value is not None]
    actions += [
        MessagingProfileRecord.version.set(current.version + 1),
        MessagingProfileRecord.updated_at.set(clock.iso(clock.now())),
    ]
    unchanged = (
        MessagingProfileRecord.version.does_not_exist()
        if current.version == 0
        else MessagingProfileRecord.version == current.version
    )
    tx.update(MessagingProfileRecord(current.member_id, PROFILE), actions, condition=unchanged, on_fail=_Changed())


def _retrying(attempt: Any) -> Profile:
    """Run ``attempt`` (a read, then a write conditional on it) again while the profile changed in between, at most
    five times; a transient conflict or throttle is the commit's own to retry (its one policy)."""
    for _ in range(5):
        try:
            result: Profile = attempt()
            return result
        except _Changed:
            continue
    raise Conflict("The messaging profile kept changing; retry")


def history(member_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The member's consent changes with their proof, newest first."""
    found = MessagingProfileRecord.query(
        member_id, MessagingProfileRecord.entry.startswith(HISTORY), scan_index_forward=False, limit=limit
    )
    return [
        {
            "channel": r.channel,
            "purpose": r.purpose,
            "granted": r.granted,
            "source": r.source,
            "wording_version": r.wording_version,
            "actor": r.actor,
            "note": r.note,
            "at": r.at,
        }
        for r in found
    ]


def consents_json(found: Profile) -> list[dict[str, Any]]:
    """Every channel and purpose with the member's answer, or the default where they never gave one: service
    messages on, marketing off."""
    rows = []
    for channel in EXTERNAL_CHANNELS:
        for purpose in PURPOSES:
            said = found.consents.get(f"{channel}:{purpose}")
            rows.append(
                {
                    "channel": channel,
                    "purpose": str(purpose),
                    "granted": bool(said["granted"]) if said else purpose is Purpose.SERVICE,
                    "given": said is not None,
                    "source": said and said.get("source"),
                    "at": said and said.get("at"),
                    "wording_version": said and said.get("wording_version"),
                }
            )
    return rows


# --- push devices and WeChat ------------------------------------------------------------------------------------


class TooManyDevices(Conflict):
    slug, title = "too-many-devices", "The member has registered the most devices allowed"


def add_device(member_id: str, platform: str, token: str) -> dict[str, Any]:
    """Remember a push device with its SNS endpoint (made for a new token only); the same token again is the same
    device."""
    token_hash = hashlib.sha256(token.encode()).hexdigest()

    def attempt() -> Profile:
        current = profile(member_id)
        if any(d["token_hash"] == token_hash for d in current.devices):
            return current
        if len(current.devices) >= MAX_DEVICES:
            raise TooManyDevices(f"At most {MAX_DEVICES} devices; forget one first")
        device = {
            "device_id": new_id("dv_"),
            "platform": platform,
            "endpoint": channels.device_endpoint(platform, token, member_id),
            "token_hash": token_hash,
            "registered_at": clock.iso(clock.now()),
        }
        tx = Transaction()
        _write_profile(tx, current, devices=json.dumps([*current.devices, device]))
        tx.commit()
        return profile(member_id)

    found = _retrying(attempt)
    return next(d for d in found.devices if d["token_hash"] == token_hash)


def forget_device(member_id: str, device_id: str) -> dict[str, Any]:
    """Forget a push device and delete its endpoint."""
    gone: dict[str, Any] = {}

    def attempt() -> Profile:
        current = profile(member_id)
        kept = [d for d in current.devices if d["device_id"] != device_id]
        if len(kept) == len(current.devices):
            raise NotFound(f"No device {device_id!r}")
        gone.update(next(d for d in current.devices if d["device_id"] == device_id))
        tx = Transaction()
        _write_profile(tx, current, devices=json.dumps(kept))
        tx.commit()
        return current

    _retrying(attempt)
    channels.forget_endpoint(gone["endpoint"])
    return gone


def forget_contacts(tx: Transaction, member_id: str) -> None:
    """Add to ``tx`` the forgetting of the member's push devices and WeChat openid (their SNS endpoints are deleted
    first, which is idempotent)."""
    current = profile(member_id)
    if not current.devices and not current.wechat_openid:
        return
    for device in current.devices:
        channels.forget_endpoint(device["endpoint"])
    record = MessagingProfileRecord(member_id, PROFILE)
    actions = [MessagingProfileRecord.devices.remove(), MessagingProfileRecord.wechat_openid.remove()]
    tx.update(record, actions, condition=MessagingProfileRecord.member_id.exists())


def add_wechat_grants(member_id: str, openid: str, template_ids: list[str]) -> Profile:
    """Count the one-time subscribe grants the member just gave in WeChat (one per template accepted), and
    remember their openid. Each message on WeChat spends one grant of its template."""

    def attempt() -> Profile:
        current = profile(member_id)
        tx = Transaction()
        if current.wechat_openid != openid:
            _write_profile(tx, current, wechat_openid=openid)
        for template_id in template_ids:
            tx.count(MessagingProfileRecord(member_id, f"{GRANTS}{template_id}"), "grants", 1)
        tx.commit()  # all or nothing: a change in between counted no grant, and the attempt runs again
        return profile(member_id)

    return _retrying(attempt)


def spend_grant(tx: Transaction, member_id: str, template_id: str, count: int, on_fail: Exception) -> None:
    """Add to ``tx`` the spending of ``count`` WeChat grants of ``template_id`` (refused when fewer are left)."""
    record = MessagingProfileRecord(member_id, f"{GRANTS}{template_id}")
    tx.update(
        record,
        [MessagingProfileRecord.grants.add(-count)],
        condition=MessagingProfileRecord.grants >= count,
        on_fail=on_fail,
    )


def add_unread(tx: Transaction, member_id: str, amount: int) -> None:
    tx.count(MessagingProfileRecord(member_id, PROFILE), "unread", amount)


# --- unsubscribe links ------------------------------------------------------------------------------------------


def unsubscribe_token(member_id: str, channel: str, purpose: str = "marketing") -> str:
    """A signed token naming what a one-click unsubscribe link withdraws (signed as list cursors are, under a scope
    of its own); it does not expire."""
    return str(encode_cursor(UNSUBSCRIBE_SCOPE, {"member_id": member_id, "channel": channel, "purpose": purpose}))


def read_unsubscribe_token(token: str) -> tuple[str, str, str]:
    """(member, channel, purpose) of a token this platform signed; ValidationFailed otherwise."""
    try:
        claim = decode_cursor(UNSUBSCRIBE_SCOPE, token) or {}
    except InvalidCursor:
        claim = {}
    found = str(claim.get("member_id", "")), str(claim.get("channel", "")), str(claim.get("purpose", ""))
    if not found[0] or found[1] not in EXTERNAL_CHANNELS or found[2] not in PURPOSES:
        raise ValidationFailed(
            [{"field": "token", "in": "query", "message": "not a valid unsubscribe link"}],
            "The unsubscribe link is not valid",
        )
    return found
