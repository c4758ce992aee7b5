"""Identity routes: staff and members log in, refresh and log out; members set passwords; admins manage staff."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.identity import member_auth, service
from chalicelib.identity.access import MEMBER, PUBLIC, Staff
from chalicelib.identity.records import StaffRecord
from chalicelib.identity.rules import Permission
from chalicelib.identity.schemas import (
    CodeRequest,
    CodeSent,
    LoginRequest,
    MemberLogin,
    MemberPasswordSet,
    PasswordReset,
    RefreshRequest,
    StaffCreate,
    StaffPage,
    StaffPatch,
    Tokens,
)
from chalicelib.identity.schemas import Staff as StaffOut
from chalicelib.shared.errors import (
    AlreadyExists,
    InvalidCursor,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint, etag, source_ip
from chalicelib.shared.pagination import PageQuery

bp = Blueprint(__name__)
ADMIN = Staff(Permission.STAFF_ADMIN)


def _staff_reply(record: StaffRecord, status: int = 200) -> Reply:
    body = StaffOut(
        staff_id=record.staff_id, username=record.username, display_name=record.display_name,
        roles=list(record.roles or []), stores=list(record.stores or []), status=record.status,
        created_at=record.created_at, updated_at=record.updated_at, version=int(record.version or 0),
    )  # fmt: skip
    return Reply(body, status=status, headers={"ETag": etag(body.version), "Location": f"/v1/staff/{body.staff_id}"})


@endpoint(bp, "/v1/auth/token", "POST", summary="Log in as staff", tag="auth", access=PUBLIC,
          body=LoginRequest, response=Tokens, errors=(Unauthenticated, RateLimited))  # fmt: skip
def log_in(ctx: RequestContext) -> Reply:
    login: LoginRequest = ctx.body
    return Reply(service.log_in(login.username, login.password))


@endpoint(bp, "/v1/auth/refresh", "POST", summary="Exchange a refresh token for new tokens", tag="auth",
          access=PUBLIC, body=RefreshRequest, response=Tokens, errors=(Unauthenticated,))  # fmt: skip
def refresh(ctx: RequestContext) -> Reply:
    return Reply(service.refresh(ctx.body.refresh_token))


@endpoint(bp, "/v1/auth/logout", "POST", summary="Revoke a refresh token", tag="auth", access=PUBLIC,
          body=RefreshRequest, status=204)  # fmt: skip
def log_out(ctx: RequestContext) -> Reply:
    service.log_out(ctx.body.refresh_token)
    return Reply(status=204)


@endpoint(bp, "/v1/auth/otp", "POST", summary="Text a one-time code to a member's phone", tag="auth",
          access=PUBLIC, body=CodeRequest, response=CodeSent, status=202,
          errors=(RateLimited, ValidationFailed))  # fmt: skip
def request_code(ctx: RequestContext) -> Reply:
    member_auth.request_code(ctx.body.phone, source_ip(ctx.request))
    expires_in = int(member_auth.CODE_LIFETIME.total_seconds())
    return Reply(CodeSent(expires_in=expires_in, resend_after=member_auth.PER_PHONE[0].seconds), status=202)


@endpoint(bp, "/v1/auth/member-token", "POST", summary="Log in (or join) as a member with a code or password",
          tag="auth", access=PUBLIC, body=MemberLogin, response=Tokens,
          errors=(Unauthenticated, RateLimited, ValidationFailed, member_auth.RegistrationClosed,
                  member_auth.MembershipFrozen))  # fmt: skip
def member_token(ctx: RequestContext) -> Reply:
    login: MemberLogin = ctx.body
    if login.code is not None:
        return Reply(member_auth.log_in_with_code(login.phone, login.code, login.name))
    assert login.password is not None
    return Reply(member_auth.log_in_with_password(login.phone, login.password, source_ip(ctx.request)))


@endpoint(bp, "/v1/me/password", "PUT", summary="Set or change my password (ends my other sessions)", tag="me",
          access=MEMBER, body=MemberPasswordSet, response=Tokens,
          errors=(Unauthenticated, ValidationFailed, RateLimited))  # fmt: skip
def set_my_password(ctx: RequestContext) -> Reply:
    body: MemberPasswordSet = ctx.body
    caller = ctx.caller
    return Reply(member_auth.set_password(caller.id, body.password, body.current_password, body.code, caller.auth_time))


@endpoint(bp, "/v1/staff", "POST", summary="Create a staff account", tag="staff", access=ADMIN,
          body=StaffCreate, response=StaffOut, status=201, etag=True, errors=(AlreadyExists,))  # fmt: skip
def create_staff(ctx: RequestContext) -> Reply:
    return _staff_reply(service.create_staff(ctx.body), 201)


@endpoint(bp, "/v1/staff", "GET", summary="List staff accounts", tag="staff", access=ADMIN, query=PageQuery,
          response=StaffPage, errors=(InvalidCursor,))  # fmt: skip
def list_staff(ctx: RequestContext) -> Reply:
    records, cursor = service.list_staff(ctx.query.limit, ctx.query.cursor)
    items = [_staff_reply(record).body for record in records]
    return Reply(StaffPage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint(bp, "/v1/staff/{staff_id}", "GET", summary="Read a staff account", tag="staff", access=ADMIN,
          response=StaffOut, etag=True, errors=(NotFound,))  # fmt: skip
def get_staff(ctx: RequestContext, staff_id: str) -> Reply:
    return _staff_reply(service.get_staff(staff_id))


@endpoint(bp, "/v1/staff/{staff_id}", "PATCH", summary="Re-role, re-scope, disable or enable staff",
          tag="staff", access=ADMIN, body=StaffPatch, response=StaffOut, if_match=True, etag=True,
          errors=(NotFound, PreconditionFailed, PreconditionRequired, service.LockingOut))  # fmt: skip
def update_staff(ctx: RequestContext, staff_id: str) -> Reply:
    patch: StaffPatch = ctx.body
    return _staff_reply(service.update_staff(staff_id, patch.changes(), ctx.if_match, by=ctx.caller.id))


@endpoint(bp, "/v1/staff/{staff_id}/password", "PUT", summary="Reset a staff password (unlocks the account)",
          tag="staff", access=ADMIN, body=PasswordReset, status=204, errors=(NotFound,))  # fmt: skip
def reset_password(ctx: RequestContext, staff_id: str) -> Reply:
    service.reset_password(staff_id, ctx.body.password)
    return Reply(status=204)
