"""Members routes: staff register, read, edit and erase members; a member reads and edits their own profile."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.audit.service import record_read
from chalicelib.identity.access import MEMBER, Caller, Staff, StaffOrSelf
from chalicelib.identity.rules import Permission
from chalicelib.members import service
from chalicelib.members.model import Member, mask_email, mask_phone
from chalicelib.members.records import MemberRecord
from chalicelib.members.schemas import (
    Lookup,
    MemberCodeOut,
    MemberCreate,
    MemberListQuery,
    MemberOut,
    MemberPage,
    MemberPatch,
    MyProfilePatch,
)
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
LIST = Staff(Permission.MEMBERS_READ)
FIND = Staff(Permission.MEMBERS_READ, serves=True)
READ_OR_SELF = StaffOrSelf(Permission.MEMBERS_READ, serves=True)
REGISTER = Staff(Permission.MEMBERS_REGISTER)
WRITE = Staff(Permission.MEMBERS_WRITE)
ERASE = Staff(Permission.MEMBERS_ERASE)


def _member_reply(caller: Caller, member: Member, status: int = 200) -> Reply:
    """The member as this caller may see them: the member themself sees everything; staff without
    ``pii:read``, or serving a member whose home store is outside their stores, see the phone and email
    masked and neither birthday nor addresses; staff with it see the full phone, and that read is recorded in
    the audit log."""
    body = MemberOut.of(member, phone_masked=mask_phone(member.phone) if member.phone else None)
    if caller.is_member:
        pass
    elif not caller.may(Permission.PII_READ) or not caller.covers_store(member.home_store_id):
        body = body.model_copy(update={"phone": body.phone_masked, "email": mask_email(member.email),
                                       "birthday": None, "addresses": []})  # fmt: skip
    elif member.phone:
        record_read("member.phone-read", f"member/{member.member_id}")
    headers = {"ETag": etag(member.version), "Location": f"/v1/members/{member.member_id}"}
    return Reply(body, status=status, headers=headers)


def reachable(caller: Caller, member_id: str) -> str:
    """``member_id`` if the caller may reach that member: a route that serves reaches every member of the
    chain; one that manages, called by staff scoped to stores, reaches only members of those stores (others
    are 404, as if absent; the profile is read unopened); anyone else passes here."""
    if caller.stores and not caller.serving:
        member = MemberRecord.find(member_id)
        if member is None or not caller.covers_store(member.home_store_id):
            raise NotFound(f"No member {member_id!r}")
    return member_id


@endpoint(bp, "/v1/members", "POST", summary="Register a member", tag="members", access=REGISTER, body=MemberCreate,
          response=MemberOut, status=201, idempotency="optional", etag=True,
          errors=(service.PhoneTaken, service.MemberNoTaken, IdempotencyKeyReused))  # fmt: skip
def register_member(ctx: RequestContext) -> Reply:
    data: MemberCreate = ctx.body
    if not ctx.caller.covers_store(data.home_store_id):
        problem = {"field": "home_store_id", "in": "body", "message": "register members at one of your stores"}
        raise ValidationFailed([problem])
    member_id, _ = service.register(data, ctx.idempotency)
    return _member_reply(ctx.caller, service.get_member(member_id), 201)


@endpoint(bp, "/v1/members/{member_id}", "GET", summary="Read a member", tag="members", access=READ_OR_SELF,
          response=MemberOut, etag=True, errors=(NotFound,))  # fmt: skip
def get_member(ctx: RequestContext, member_id: str) -> Reply:
    return _member_reply(ctx.caller, service.get_member(member_id))


@endpoint(bp, "/v1/members/{member_id}", "PATCH", summary="Edit a member (JSON merge patch)", tag="members",
          access=WRITE,
          body=MemberPatch, response=MemberOut, if_match=True, etag=True,
          errors=(NotFound, PreconditionFailed, PreconditionRequired, service.PhoneTaken,
                  service.MemberErased))  # fmt: skip
def update_member(ctx: RequestContext, member_id: str) -> Reply:
    patch: MemberPatch = ctx.body
    assert ctx.if_match is not None
    reachable(ctx.caller, member_id)
    if "home_store_id" in patch.model_fields_set and not ctx.caller.covers_store(patch.home_store_id):
        raise ValidationFailed([{"field": "home_store_id", "in": "body", "message": "not one of your stores"}])
    return _member_reply(ctx.caller, service.update(member_id, patch.changes(), ctx.if_match))


@endpoint(bp, "/v1/members/{member_id}", "DELETE", summary="Erase a member (PIPL/GDPR)", tag="members", access=ERASE,
          status=204, errors=(NotFound,))  # fmt: skip
def erase_member(ctx: RequestContext, member_id: str) -> Reply:
    reachable(ctx.caller, member_id)
    service.erase(member_id)
    return Reply(status=204)


@endpoint(bp, "/v1/members/lookup", "POST", summary="Find a member by phone, member number, email or member code",
          tag="members", access=FIND,
          body=Lookup, response=MemberOut, etag=True,
          errors=(NotFound, ValidationFailed, service.AmbiguousEmail))  # fmt: skip
def lookup_member(ctx: RequestContext) -> Reply:
    query: Lookup = ctx.body
    member = service.lookup(phone=query.phone, member_no=query.member_no, email=query.email, code=query.code)
    return _member_reply(ctx.caller, member)


@endpoint(bp, "/v1/members", "GET", summary="List members", tag="members", access=LIST, query=MemberListQuery,
          response=MemberPage, errors=(InvalidCursor,))  # fmt: skip
def list_members(ctx: RequestContext) -> Reply:
    query: MemberListQuery = ctx.query
    scope = sorted(ctx.caller.stores)
    if scope and query.store_id is None and len(scope) == 1:
        query = query.model_copy(update={"store_id": scope[0]})
    if scope and query.store_id not in scope:
        message = f"one of your stores: {', '.join(scope)}" if query.store_id is None else "not one of your stores"
        raise ValidationFailed([{"field": "store_id", "in": "query", "message": message}])
    rows, next_cursor = service.list_members(query)
    return Reply(MemberPage.model_validate({"items": rows, "next_cursor": next_cursor}))


@endpoint(bp, "/v1/me", "GET", summary="Read my profile", tag="me", access=MEMBER, response=MemberOut, etag=True)
def get_me(ctx: RequestContext) -> Reply:
    return _member_reply(ctx.caller, service.get_member(ctx.caller.id))


@endpoint(bp, "/v1/me", "PATCH", summary="Edit my profile (JSON merge patch)", tag="me", access=MEMBER,
          body=MyProfilePatch, response=MemberOut, if_match=True, etag=True,
          errors=(PreconditionFailed, PreconditionRequired))  # fmt: skip
def update_me(ctx: RequestContext) -> Reply:
    patch: MyProfilePatch = ctx.body
    assert ctx.if_match is not None
    return _member_reply(ctx.caller, service.update(ctx.caller.id, patch.changes(), ctx.if_match))


@endpoint(bp, "/v1/me/code", "GET", summary="My member code (会员码) for the counter, refreshed every minute",
          tag="me", access=MEMBER, response=MemberCodeOut)  # fmt: skip
def get_my_code(ctx: RequestContext) -> Reply:
    code = service.member_code(ctx.caller.id)
    body = MemberCodeOut(code=code.code, expires_at=code.expires_at, refresh_after=code.refresh_after)
    return Reply(body)
