"""Audit routes: read the log (finance and admins)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from chalicelib.audit import service
from chalicelib.identity.access import Staff
from chalicelib.identity.rules import Permission
from chalicelib.shared.errors import InvalidCursor
from chalicelib.shared.fields import BUSINESS_DATE, NEXT_CURSOR, UTC_INSTANT, Day
from chalicelib.shared.http import Input, Reply, RequestContext, Schema, endpoint


class AuditQuery(Input):
    """Entries between two business days (at most 366 apart), optionally of one actor (``staff:<id>``), of one kind of
    action (``wallet.``: every stored-value entry) and on one target (``member/<id>``)."""

    from_: Day = Field(alias="from", description=f"the first day; {BUSINESS_DATE}")
    to: Day = Field(description=f"the last day, at most 366 days after `from`; {BUSINESS_DATE}")
    actor: Annotated[str, StringConstraints(pattern=r"^[a-z]+:[A-Za-z0-9_-]{1,64}$")] | None = Field(
        default=None, description="only this actor's entries, e.g. `staff:sf_01J…`"
    )
    action: Annotated[str, StringConstraints(pattern=r"^[a-z-]+(\.[a-z-]*)?$")] | None = Field(
        default=None,
        description="only entries whose action is this or begins with it: `wallet.` for every "
        "stored-value entry, `wallet.cash-refunded` for cash refunds",
    )
    target: Annotated[str, StringConstraints(pattern=r"^[a-z-]+/[A-Za-z0-9_.:#-]{1,128}$")] | None = Field(
        default=None, description="only entries on this target, e.g. `member/mb_01J…`"
    )
    limit: int = Field(default=100, ge=1, le=500, description="the most entries a page holds")
    cursor: str | None = Field(default=None, max_length=4096, description="the previous page's `next_cursor`")

    @model_validator(mode="after")
    def _span(self) -> AuditQuery:
        if not 0 <= (self.to - self.from_).days <= 366:
            raise ValueError("'to' must be on or after 'from', at most 366 days later")
        return self


class AuditEntry(Schema):
    """Who did what on what, and when (审计日志)."""

    at: str = Field(description=f"when; {UTC_INSTANT}")
    actor: str = Field(description="who: `staff:<id>`, `member:<id>`, `partner:<id>` or `cli`")
    action: str = Field(description="what: the event type, e.g. `member.updated`, or `member.phone-read`")
    target: str = Field(description="on what, e.g. `member/mb_01J…`")
    summary: dict[str, Any] = Field(
        description="what changed, without personal data: `changed` names every changed field; `before` and "
        "`after` give old and new values of fields that are not personal data"
    )
    request_id: str | None = Field(description="the request's `X-Request-Id`; null for jobs and the CLI")
    source_ip: str | None = Field(description="the client's address; null for jobs and the CLI")


class AuditPage(Schema):
    """A page of audit entries, newest first."""

    items: list[AuditEntry] = Field(description="this page's entries")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


READ_AUDIT = Staff(Permission.AUDIT_READ, chain=True)  # the whole chain's log: no store scope limits it


@endpoint("/v1/audit", "GET", summary="Read the audit log", tag="audit", access=READ_AUDIT,
          query=AuditQuery, response=AuditPage, errors=(InvalidCursor,))  # fmt: skip
def read_audit(ctx: RequestContext) -> Reply:
    """Audit log entries (审计日志) between two business days, newest first, optionally of one actor
    (`staff:<id>`, `member:<id>` or `partner:<id>`), of one kind of action (`action`: the action or its beginning,
    `wallet.` for every stored-value entry) and on one target (`member/<id>`): the filters read the same days, so a
    page may be short while `next_cursor` goes on. Each says who did what on what (`member/<id>`), a summary
    without personal data (changed fields by name; old and new values only of fields that are not personal data),
    when, the request id and the client address. Staff writes are recorded from their events, so none is missed or
    recorded twice; each showing of a member's full phone is recorded as it happens.

    Errors: 422 when `to` is before `from` or more than 366 days after it; 400 for a cursor from another list."""
    query: AuditQuery = ctx.query
    rows, cursor = service.entries(query.from_, query.to, service.Filter(query.actor, query.action, query.target),
                                   query.limit, query.cursor)  # fmt: skip
    return Reply(AuditPage.model_validate({"items": rows, "next_cursor": cursor}))
