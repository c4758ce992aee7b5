"""Feedback routes: a member writes and reads their messages; the service desk lists and closes them."""

from __future__ import annotations

from chalicelib.feedback import service
from chalicelib.feedback.schemas import (
    Feedback,
    FeedbackClose,
    FeedbackCreate,
    FeedbackPage,
    FeedbackQuery,
    MyFeedback,
    MyFeedbackPage,
)
from chalicelib.identity.access import MEMBER, Staff
from chalicelib.identity.rules import Permission
from chalicelib.shared.errors import (
    IdempotencyKeyReused,
    InvalidCursor,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint, etag
from chalicelib.shared.pagination import PageQuery

READ = Staff(Permission.FEEDBACK_READ)
REPLY = Staff(Permission.FEEDBACK_REPLY)


@endpoint("/v1/me/feedback", "POST", summary="Write to the service desk (意见反馈)", tag="me", access=MEMBER,
          body=FeedbackCreate, response=MyFeedback, status=201, idempotency="optional",
          errors=(RateLimited, IdempotencyKeyReused))  # fmt: skip
def write_feedback(ctx: RequestContext) -> Reply:
    """The member writes a suggestion, complaint, praise or anything else (1 to 1,000 characters, one line) and says
    whether staff may contact them about it. Customer service and store managers read it in the back office and may
    answer; the member reads the answer in `GET /v1/me/feedback`.

    With an `Idempotency-Key` (one per message, kept while it is retried) a retried submit answers the first answer:
    the message is kept once and counted once against the day's five.

    Errors: 429 with `Retry-After` (until the business day ends) past 5 messages a day, and nothing is kept; 403 for
    a frozen member; 422 `idempotency-key-reused` for another message under the same key."""
    body: FeedbackCreate = ctx.body
    kept = service.submit(ctx.caller.id, body.category, body.text, body.contact_ok, ctx.idempotency)
    return Reply(MyFeedback.model_validate(kept), status=201)


@endpoint("/v1/me/feedback", "GET", summary="My messages to the service desk and their answers", tag="me",
          access=MEMBER, query=PageQuery, response=MyFeedbackPage, errors=(InvalidCursor,))  # fmt: skip
def list_my_feedback(ctx: RequestContext) -> Reply:
    """The member's own messages, newest first, each with its status and staff's answer."""
    items, cursor = service.mine(ctx.caller.id, ctx.query.limit, ctx.query.cursor)
    return Reply(MyFeedbackPage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint("/v1/feedback", "GET", summary="Members' feedback, open or closed, newest first", tag="feedback",
          access=READ, query=FeedbackQuery, response=FeedbackPage, errors=(InvalidCursor,))  # fmt: skip
def list_feedback(ctx: RequestContext) -> Reply:
    """Members' messages (意见反馈) of a status (`open` by default), newest first, paged: category, text, whether the
    member may be contacted, and the member as member lists show them (id, number, name, masked phone: open the
    member's page for the rest, by the caller's personal-data permission). Staff scoped to stores read the messages
    of members whose home store is theirs; a page may be short while `next_cursor` goes on."""
    query: FeedbackQuery = ctx.query
    items, cursor = service.desk(ctx.caller, query.status, query.limit, query.cursor)
    return Reply(FeedbackPage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint("/v1/feedback/{feedback_id}", "PATCH", summary="Close a member's feedback, with an answer",
          tag="feedback", access=REPLY, body=FeedbackClose, response=Feedback, if_match=True, etag=True,
          errors=(NotFound, PreconditionFailed, PreconditionRequired, service.FeedbackClosed))  # fmt: skip
def close_feedback(ctx: RequestContext, feedback_id: str) -> Reply:
    """Close an open message (JSON merge patch `{"status": "closed", "reply"?}`, `If-Match` with the version listed):
    the member reads the answer in their pages. The audit log records who closed it and whether they answered.

    Errors: 409 `feedback-closed` when it was closed already; 412 on a stale `ETag`, 428 without `If-Match`; 404 for
    an unknown id or, for staff scoped to stores, a message of another store's member."""
    body: FeedbackClose = ctx.body
    assert ctx.if_match is not None
    closed = Feedback.model_validate(service.close(ctx.caller, feedback_id, body.reply, ctx.if_match))
    return Reply(closed, headers={"ETag": etag(closed.version)})
