"""Feedback use cases: a member writes (at most a few messages a day), reads their own; staff list the open or
closed messages of their stores' members and close one with a reply. Each write is one transaction with its event.
"""

from __future__ import annotations

from typing import Any

from chalicelib.feedback.model import ERASED_TEXT, MESSAGES_PER_MEMBER_PER_DAY, Category, Status, may_close
from chalicelib.feedback.records import FeedbackRecord
from chalicelib.identity.access import Caller
from chalicelib.members import service as members
from chalicelib.shared import clock
from chalicelib.shared.db import FilledPage, Transaction, one_page
from chalicelib.shared.errors import Conflict, NotFound, PreconditionFailed, RateLimited
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.idempotency import IdempotencyKey, run_once
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.ratelimit import take_in_window
from chalicelib.shared.settings import get_settings
from chalicelib.shared.versions import Expected

READS_PER_PAGE = 25


class FeedbackClosed(Conflict):
    slug, title = "feedback-closed", "This feedback was closed already"


def submit(
    member_id: str, category: Category, text: str, contact_ok: bool, key: IdempotencyKey | None = None
) -> dict[str, Any]:
    """Keep a member's message, counted against their allowance of the business day (429 past it, nothing written);
    it remembers the member's home store, so staff scoped to stores read their members' messages. With an
    Idempotency-Key a retried submit answers the first answer: nothing is kept twice or counted twice."""

    def perform(tx: Transaction) -> dict[str, Any]:
        now = clock.now()
        today = clock.business_date(now, get_settings().tz)
        day_ends = clock.end_of_business_day(today, get_settings().tz)
        feedback_id, created_at = new_id("fb_"), clock.iso(now)
        record = FeedbackRecord(
            feedback_id, member_id=member_id, home_store_id=members.home_store_of(member_id), category=str(category),
            text=text, contact_ok=contact_ok, status=str(Status.OPEN), created_at=created_at,
            created_key=f"{created_at}#{feedback_id}",
        )  # fmt: skip
        refusal = RateLimited(f"At most {MESSAGES_PER_MEMBER_PER_DAY} messages a day; write again tomorrow",
                              retry_after=max(1, int((day_ends - now).total_seconds())))  # fmt: skip
        take_in_window(tx, f"feedback:{member_id}:{today.isoformat()}", MESSAGES_PER_MEMBER_PER_DAY, day_ends, refusal)
        tx.put(record, condition=FeedbackRecord.feedback_id.does_not_exist())
        emit(tx, new_event("feedback.submitted", f"feedback/{feedback_id}", {
            "feedback_id": feedback_id, "member_id": member_id, "category": str(category), "contact_ok": contact_ok,
            "home_store_id": record.home_store_id,
        }))  # fmt: skip
        return own_view(record)

    answer, _ = run_once(key, perform)
    return answer


def own_view(record: FeedbackRecord) -> dict[str, Any]:
    """A message as its member reads it: what they wrote and the answer."""
    return {
        "feedback_id": record.feedback_id, "category": record.category, "text": record.text,
        "contact_ok": record.contact_ok, "status": record.status, "reply": record.reply,
        "created_at": record.created_at, "closed_at": record.closed_at,
    }  # fmt: skip


def mine(member_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The member's messages, newest first."""
    scope = f"my-feedback|{member_id}"
    query = FeedbackRecord.by_member.query(member_id, scan_index_forward=False, page_size=limit,
                                           last_evaluated_key=decode_cursor(scope, cursor))  # fmt: skip
    records, last_key = one_page(FeedbackRecord, query)
    return [own_view(record) for record in records], encode_cursor(scope, last_key)


def _desk_views(records: list[FeedbackRecord]) -> list[dict[str, Any]]:
    """Messages as the service desk reads them, each with its member as member lists show them (one batch read)."""
    found = members.summaries(record.member_id for record in records)
    rows = []
    for record in records:
        member = found.get(record.member_id, {})
        rows.append({
            **own_view(record), "home_store_id": record.home_store_id, "closed_by": record.closed_by,
            "version": int(record.version or 0),
            "member": {"member_id": record.member_id, "member_no": member.get("member_no"),
                       "name": member.get("name", ""), "phone_masked": member.get("phone_masked")},
        })  # fmt: skip
    return rows


def desk(caller: Caller, status: Status, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Messages of a status, newest first; staff scoped to stores see those of their stores' members."""
    scope = f"feedback|{status}|{','.join(sorted(caller.stores))}"
    in_scope = FeedbackRecord.home_store_id.is_in(*sorted(caller.stores)) if caller.stores else None
    page = FilledPage(FeedbackRecord, limit, READS_PER_PAGE)
    key = page.read(FeedbackRecord.by_status.query(str(status), scan_index_forward=False, filter_condition=in_scope,
                                                   last_evaluated_key=decode_cursor(scope, cursor)))  # fmt: skip
    return _desk_views(page.records), encode_cursor(scope, key)


def close(caller: Caller, feedback_id: str, reply: str | None, if_match: Expected) -> dict[str, Any]:
    """Close an open message, with a reply the member reads, under ``If-Match`` (412 when it changed); closing a
    closed one is 409. Staff scoped to stores close their stores' members' messages (others are 404). The event
    names who closed it and whether they answered, for the audit log (not the words)."""
    record = FeedbackRecord.find(feedback_id)
    if record is None or (caller.stores and not caller.covers_store(record.home_store_id)):
        raise NotFound(f"No feedback {feedback_id!r}")
    if_match.require(int(record.version or 0), "feedback")
    if not may_close(Status(record.status)):
        raise FeedbackClosed(f"Feedback {feedback_id} was closed at {record.closed_at}")
    now = clock.iso(clock.now())
    actions = [
        FeedbackRecord.status.set(str(Status.CLOSED)),
        FeedbackRecord.closed_by.set(caller.scope),
        FeedbackRecord.closed_at.set(now),
    ]
    if reply is not None:
        actions.append(FeedbackRecord.reply.set(reply))
    tx = Transaction()
    tx.update(record, actions, on_fail=PreconditionFailed("The feedback changed while being closed"))
    emit(tx, new_event("feedback.closed", f"feedback/{feedback_id}", {
        "feedback_id": feedback_id, "member_id": record.member_id, "replied": reply is not None,
    }))  # fmt: skip
    tx.commit()
    # the record as committed, without a second read: what the actions set (pynamodb already moved the version on)
    record.status, record.closed_by, record.closed_at = str(Status.CLOSED), caller.scope, now
    record.reply = reply if reply is not None else record.reply
    return _desk_views([record])[0]


def erase_words_of(member_id: str) -> int:
    """Blank what an erased member wrote and what staff answered them (both may name them), keeping each message's
    category, dates and status; returns how many. Each update is idempotent (a redelivered erasure blanks them
    again). Read from the member's index, which DynamoDB updates within moments: a message written in the instant
    before erasure could be missed, and the member pages cannot write once the member is erased."""
    blanked = 0
    for record in FeedbackRecord.by_member.query(member_id):
        record.update(  # the version moves on, so a close racing the erasure fails its If-Match
            actions=[FeedbackRecord.text.set(ERASED_TEXT), FeedbackRecord.reply.remove(),
                     FeedbackRecord.contact_ok.set(False)],
            condition=FeedbackRecord.feedback_id.exists(), add_version_condition=False,
        )  # fmt: skip
        blanked += 1
    return blanked
