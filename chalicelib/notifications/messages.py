"""Reading messages: the member's inbox (站内信) with read / unread, a member's message history for staff, a day's
figures per kind and outcome, and the messages a day did not send with the reason (the suppression report).

An inbox read is one query of the member's inbox index; marking read is one transaction with the unread count, on
condition the message was unread, so the count stays exact however often a member taps. A day's figures are read
from its counter shards (eight items), never from its messages.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any

from chalicelib.members import service as members
from chalicelib.notifications import profiles, service
from chalicelib.notifications.records import MessageCountRecord, MessageRecord
from chalicelib.notifications.rules import name_students
from chalicelib.shared import clock
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import NotFound, ValidationFailed
from chalicelib.shared.events import emit_all, new_event
from chalicelib.shared.idempotency import IdempotencyKey, run_once
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor

ANNOUNCEMENT_CHUNK = 10  # members per announcement event: one consumer transaction decides them all


def inbox(member_id: str, limit: int, cursor: str | None, unread_only: bool) -> tuple[list[dict[str, Any]], str | None]:
    """The member's inbox, newest first."""
    scope = f"inbox:{member_id}"
    found = MessageRecord.inbox.query(
        member_id,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
        filter_condition=MessageRecord.read_at.does_not_exist() if unread_only else None,
    )
    items = [inbox_item(record) for record in found]
    return items, encode_cursor(scope, found.last_evaluated_key)


def _shown(record: MessageRecord, named: bool = True) -> dict[str, Any]:
    """What the inbox and staff's message lists both show of a message: a student's name read from their parent's
    record as the message was sent, or (``named`` false: the chain's unsent report, whoever reads it) left out."""
    title, text = record.title or "", record.text or ""
    if record.member_id:
        title, text = service.students_named(record.member_id, title, text) if named else (
            name_students(title, {}), name_students(text, {}))  # fmt: skip
    return {
        "message_id": record.message_id,
        "kind": record.kind,
        "purpose": record.purpose,
        "title": title,
        "text": text,
        "created_at": record.created_at,
        "read_at": record.read_at,
    }


def inbox_item(record: MessageRecord) -> dict[str, Any]:
    """A message as the member's inbox shows it, with the order a mall order's message is about."""
    return {**_shown(record), "about": record.occurrence if str(record.kind).startswith("mall-order") else None}


def unread(member_id: str) -> int:
    return max(profiles.profile(member_id).unread, 0)


def mark_read(member_id: str, message_id: str) -> dict[str, Any]:
    """Mark an inbox message read (once: reading it again changes nothing)."""
    record = MessageRecord.find(message_id)
    if record is None or record.inbox_member != member_id:
        raise NotFound(f"No message {message_id!r} in this inbox")
    if record.read_at is None:
        now = clock.iso(clock.now())
        if _read(member_id, [message_id], now):
            record.read_at = now
        else:  # another tap read it meanwhile
            record = MessageRecord.find(message_id) or record
    return inbox_item(record)


def mark_all_read(member_id: str) -> int:
    """Mark the member's unread inbox messages read, up to 40 a call; returns how many were marked."""
    unread_ids = [
        r.message_id
        for r in MessageRecord.inbox.query(
            member_id, filter_condition=MessageRecord.read_at.does_not_exist(), scan_index_forward=False, limit=40
        )
    ]
    return _read(member_id, unread_ids, clock.iso(clock.now())) if unread_ids else 0


class _ReadMeanwhile(Exception):
    pass


def _read(member_id: str, message_ids: list[str], now: str) -> int:
    """Mark the unread of ``message_ids`` read at ``now`` with the unread count in the same transaction; returns
    how many this call marked."""

    def commit(ids: list[str]) -> None:
        tx = Transaction()
        for message_id in ids:
            tx.update(
                MessageRecord(message_id),
                [MessageRecord.read_at.set(now)],
                condition=MessageRecord.read_at.does_not_exist(),
                on_fail=_ReadMeanwhile(),
            )
        profiles.add_unread(tx, member_id, -len(ids))
        tx.commit()

    try:
        commit(message_ids)
        return len(message_ids)
    except _ReadMeanwhile:  # some were read by another tap: mark the rest one by one
        marked = 0
        for message_id in message_ids:
            try:
                commit([message_id])
                marked += 1
            except _ReadMeanwhile:
                continue
        return marked


def history(
    member_id: str, limit: int, cursor: str | None, *, named: bool = True
) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """Every message decided for the member, newest first, with the decision and its reason (``named``: students'
    names in)."""
    scope = f"messages:{member_id}"
    found = MessageRecord.by_member.query(
        member_id, scan_index_forward=False, limit=limit, last_evaluated_key=decode_cursor(scope, cursor)
    )
    return [message_json(record, named) for record in found], encode_cursor(scope, found.last_evaluated_key)


def message_json(record: MessageRecord, named: bool = True) -> dict[str, Any]:
    return {
        **_shown(record, named),
        "member_id": record.member_id,
        "channel": record.channel,
        "status": record.status,
        "reason": record.reason,
        "passed_over": json.loads(record.passed_over or "[]"),
        "inbox": bool(record.inbox_member),
        "sent_via": record.sent_via,
        "sent_to": record.sent_to,
        "sent_at": record.sent_at,
        "release_at": record.release_at,
        "attempts": int(record.attempts or 0),
        "last_error": record.last_error,
        "occurrence": record.occurrence,
    }


def day_report(day: date) -> list[dict[str, Any]]:
    """A business day's decisions per kind: how many went out, were held, landed in the inbox alone, were
    suppressed or failed, each of the last two by reason."""
    counts: dict[str, dict[str, Any]] = defaultdict(lambda: {"outcomes": defaultdict(int), "reasons": defaultdict(int)})
    for shard in range(service.FIGURE_SHARDS):
        for record in MessageCountRecord.query(f"day#{day.isoformat()}#{shard}"):
            kind, outcome, *reason = record.name.split("#")
            if reason:
                counts[kind]["reasons"][f"{outcome}:{reason[0]}"] += int(record.tally or 0)
            else:
                counts[kind]["outcomes"][outcome] += int(record.tally or 0)
    return [
        {"kind": kind, "outcomes": dict(found["outcomes"]), "reasons": dict(found["reasons"])}
        for kind, found in sorted(counts.items())
    ]


def unsent(day: date, kind: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The messages of a kind a business day did not send (suppressed, failed, too late, or the inbox alone)."""
    scope = f"unsent:{day}:{kind}"
    found = MessageRecord.unsent.query(
        f"{day.isoformat()}#{kind}",
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    return [message_json(record, named=False) for record in found], encode_cursor(scope, found.last_evaluated_key)


def announce(
    title: str, text: str, member_ids: list[str], key: IdempotencyKey | None, member_nos: list[str] | None = None
) -> dict[str, Any]:
    """A marketing message to members (营销消息), named by id or by member number (会员号): each is decided on its own
    (consent, caps, quiet hours), once per member; the events carry ten members each, in one outbox write. Ids and
    numbers of no member (or an erased one) are answered as ``unknown`` and sent nothing; none known is 422. Once per
    Idempotency-Key: a retried request answers the first announcement and sends nothing again."""
    by_number = members.holders_of_member_nos(member_nos or [])
    asked = set(member_ids) | set(by_number.values())
    known = members.current_members(asked)
    if not known:
        field = "member_ids" if member_ids else "member_nos"
        raise ValidationFailed([{"field": field, "in": "body", "message": "none of these is a member"}],
                               "None of the members named is a member")  # fmt: skip
    unknown = sorted(set(member_ids) - known) + sorted(
        {no for no in member_nos or [] if by_number.get(no) not in known}
    )
    wanted = sorted(known)

    def perform(tx: Transaction) -> dict[str, Any]:
        announcement_id = new_id("an_")
        events = [
            new_event(
                "messaging.announced",
                f"announcement/{announcement_id}",
                {
                    "announcement_id": announcement_id,
                    "title": title,
                    "text": text,
                    "member_ids": wanted[start : start + ANNOUNCEMENT_CHUNK],
                },
            )
            for start in range(0, len(wanted), ANNOUNCEMENT_CHUNK)
        ]
        emit_all(tx, events)
        return {"announcement_id": announcement_id, "members": len(wanted), "unknown": unknown}

    answer, _ = run_once(key, perform)
    return answer
