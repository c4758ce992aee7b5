"""Audit routes: read the log (finance and admins)."""

from __future__ import annotations

from typing import Annotated, Any

from chalice.app import Blueprint
from pydantic import Field, StringConstraints, model_validator

from chalicelib.audit import service
from chalicelib.identity.access import Staff
from chalicelib.identity.rules import Permission
from chalicelib.shared.errors import InvalidCursor
from chalicelib.shared.fields import Day
from chalicelib.shared.http import Input, Reply, RequestContext, Schema, endpoint

bp = Blueprint(__name__)


class AuditQuery(Input):
    """Entries between two business days (at most 366 apart), optionally of one actor (``staff:<id>``)."""

    from_: Day = Field(alias="from")
    to: Day
    actor: Annotated[str, StringConstraints(pattern=r"^[a-z]+:[A-Za-z0-9_-]{1,64}$")] | None = None
    limit: int = Field(default=100, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=4096)

    @model_validator(mode="after")
    def _span(self) -> AuditQuery:
        if not 0 <= (self.to - self.from_).days <= 366:
            raise ValueError("'to' must be on or after 'from', at most 366 days later")
        return self


class AuditEntry(Schema):
    at: str
    actor: str
    action: str
    target: str
    summary: dict[str, Any]
    request_id: str | None
    source_ip: str | None


class AuditPage(Schema):
    items: list[AuditEntry]
    next_cursor: str | None


@endpoint(bp, "/v1/audit", "GET", summary="Read the audit log", tag="audit", access=Staff(Permission.AUDIT_READ),
          query=AuditQuery, response=AuditPage, errors=(InvalidCursor,))  # fmt: skip
def read_audit(ctx: RequestContext) -> Reply:
    """Audit log entries (审计日志) between two business days, newest first, optionally of one actor
    (`staff:<id>`, `member:<id>` or `partner:<id>`). Each says who did what on what (`member/<id>`), a summary
    without personal data (changed fields by name; old and new values only of fields that are not personal data),
    when, the request id and the client address. Staff writes are recorded from their events, so none is missed or
    recorded twice; each showing of a member's full phone is recorded as it happens.

    Errors: 422 when `to` is before `from` or more than 366 days after it; 400 for a cursor from another list."""
    query: AuditQuery = ctx.query
    rows, cursor = service.entries(query.from_, query.to, query.actor, query.limit, query.cursor)
    return Reply(AuditPage.model_validate({"items": rows, "next_cursor": cursor}))
