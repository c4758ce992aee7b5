"""Members routes (staff): thin views over the member service."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.members import service
from chalicelib.members.model import Member, mask_phone
from chalicelib.members.schemas import Lookup, MemberCreate, MemberListQuery, MemberOut, MemberPage, MemberPatch
from chalicelib.shared.errors import (
    IdempotencyKeyReused,
    InvalidCursor,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint, etag

bp = Blueprint(__name__)


def _member_reply(member: Member, status: int = 200) -> Reply:
    body = MemberOut.of(member, phone_masked=mask_phone(member.phone) if member.phone else None)
    headers = {"ETag": etag(member.version), "Location": f"/v1/members/{member.member_id}"}
    return Reply(body, status=status, headers=headers)


@endpoint(bp, "/v1/members", "POST", summary="Register a member", tag="members", body=MemberCreate,
          response=MemberOut, status=201, idempotency="optional", etag=True,
          errors=(service.PhoneTaken, service.MemberNoTaken, IdempotencyKeyReused))  # fmt: skip
def register_member(ctx: RequestContext) -> Reply:
    member_id, _ = service.register(ctx.body, ctx.idempotency)
    return _member_reply(service.get_member(member_id), 201)


@endpoint(bp, "/v1/members/{member_id}", "GET", summary="Read a member", tag="members", response=MemberOut,
          etag=True, errors=(NotFound,))  # fmt: skip
def get_member(ctx: RequestContext, member_id: str) -> Reply:
    return _member_reply(service.get_member(member_id))


@endpoint(bp, "/v1/members/{member_id}", "PATCH", summary="Edit a member (JSON merge patch)", tag="members",
          body=MemberPatch, response=MemberOut, if_match=True, etag=True,
          errors=(NotFound, PreconditionFailed, PreconditionRequired, service.PhoneTaken,
                  service.MemberErased))  # fmt: skip
def update_member(ctx: RequestContext, member_id: str) -> Reply:
    patch: MemberPatch = ctx.body
    assert ctx.if_match is not None
    return _member_reply(service.update(member_id, patch.changes(), ctx.if_match))


@endpoint(bp, "/v1/members/{member_id}", "DELETE", summary="Erase a member (PIPL/GDPR)", tag="members",
          status=204, errors=(NotFound,))  # fmt: skip
def erase_member(ctx: RequestContext, member_id: str) -> Reply:
    service.erase(member_id)
    return Reply(status=204)


@endpoint(bp, "/v1/members/lookup", "POST", summary="Find a member by phone, member number or email", tag="members",
          body=Lookup, response=MemberOut, etag=True,
          errors=(NotFound, ValidationFailed, service.AmbiguousEmail))  # fmt: skip
def lookup_member(ctx: RequestContext) -> Reply:
    query: Lookup = ctx.body
    return _member_reply(service.lookup(phone=query.phone, member_no=query.member_no, email=query.email))


@endpoint(bp, "/v1/members", "GET", summary="List members", tag="members", query=MemberListQuery,
          response=MemberPage, errors=(InvalidCursor,))  # fmt: skip
def list_members(ctx: RequestContext) -> Reply:
    rows, next_cursor = service.list_members(ctx.query)
    return Reply(MemberPage.model_validate({"items": rows, "next_cursor": next_cursor}))
