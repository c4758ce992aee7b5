"""Identity routes: staff and members log in, refresh and log out; members set passwords; admins manage staff."""

from __future__ import annotations

from chalicelib.agreements.service import AgreementsRequired
from chalicelib.identity import member_auth, service
from chalicelib.identity.access import ANY_STAFF, MEMBER, PUBLIC, Staff
from chalicelib.identity.records import StaffRecord
from chalicelib.identity.rules import (
    PERMISSION_LABELS,
    PERMISSIONS,
    ROLE_LABELS,
    Permission,
    Role,
    counter_purchase_cap,
)
from chalicelib.identity.schemas import (
    CodeRequest,
    CodeSent,
    LoginRequest,
    MemberLogin,
    MemberPasswordSet,
    MembershipClose,
    PasswordReset,
    RefreshRequest,
    RoleMatrix,
    StaffCreate,
    StaffMe,
    StaffNames,
    StaffNamesQuery,
    StaffPage,
    StaffPatch,
    Tokens,
)
from chalicelib.identity.schemas import Staff as StaffOut
from chalicelib.members import service as members
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
from chalicelib.shared.settings import get_settings

ADMIN = Staff(Permission.STAFF_ADMIN)


def _staff_reply(record: StaffRecord, status: int = 200) -> Reply:
    body = StaffOut(
        staff_id=record.staff_id, username=record.username, display_name=record.display_name,
        roles=list(record.roles or []), stores=list(record.stores or []), status=record.status,
        created_at=record.created_at, updated_at=record.updated_at, version=int(record.version or 0),
    )  # fmt: skip
    return Reply(body, status=status, headers={"ETag": etag(body.version), "Location": f"/v1/staff/{body.staff_id}"})


@endpoint("/v1/auth/token", "POST", summary="Log in as staff", tag="auth", access=PUBLIC,
          body=LoginRequest, response=Tokens, errors=(Unauthenticated, RateLimited))  # fmt: skip
def log_in(ctx: RequestContext) -> Reply:
    """Staff log in with username and password and get an access token (a JWT, 15 minutes) and a refresh token
    (30 days, single use). A wrong password and an unknown username answer alike (401); five wrong passwords in a
    row lock the account for 15 minutes (429 with `Retry-After`, even for the right password). A disabled account
    cannot log in."""
    login: LoginRequest = ctx.body
    return Reply(service.log_in(login.username, login.password))


@endpoint("/v1/auth/refresh", "POST", summary="Exchange a refresh token for new tokens", tag="auth",
          access=PUBLIC, body=RefreshRequest, response=Tokens,
          errors=(Unauthenticated, member_auth.MembershipFrozen))  # fmt: skip
def refresh(ctx: RequestContext) -> Reply:
    """Exchange a refresh token (staff or member) for a new pair: the one sent is revoked, and the account's
    current roles and store scope apply. A refresh keeps the session's original log-in time (`auth_time`).

    Errors: 401 for an unknown, expired, revoked or already used refresh token, a disabled account, and after the
    account's sessions were ended (password, role or status change); 403 `membership-frozen` for a frozen member."""
    return Reply(service.refresh(ctx.body.refresh_token))


@endpoint("/v1/auth/logout", "POST", summary="Revoke a refresh token", tag="auth", access=PUBLIC,
          body=RefreshRequest, status=204)  # fmt: skip
def log_out(ctx: RequestContext) -> Reply:
    """Revoke a refresh token (staff or member), ending that session: its access token lapses within its 15
    minutes. Answers 204 whether or not the token was still valid."""
    service.log_out(ctx.body.refresh_token)
    return Reply(status=204)


@endpoint("/v1/auth/otp", "POST", summary="Text a one-time code to a member's phone", tag="auth",
          access=PUBLIC, body=CodeRequest, response=CodeSent, status=202,
          errors=(RateLimited, ValidationFailed))  # fmt: skip
def request_code(ctx: RequestContext) -> Reply:
    """Text a 6-digit one-time code (验证码) to a phone, for a member's log-in or registration. A code is
    valid 5 minutes and once; a new code replaces the last, and the fifth wrong try burns it. The answer is the same
    whether or not the phone belongs to a member.

    Errors: 429 with `Retry-After` past the limits (per phone 1 a minute, 5 an hour, 10 a day; per client address
    and in all, hourly), and nothing is sent; 422 for a phone outside the regions codes go to (mainland China)."""
    member_auth.request_code(ctx.body.phone, source_ip(ctx.request))
    expires_in = int(member_auth.CODE_LIFETIME.total_seconds())
    return Reply(CodeSent(expires_in=expires_in, resend_after=member_auth.PER_PHONE[0].seconds), status=202)


@endpoint("/v1/auth/member-token", "POST", summary="Log in (or join) as a member with a code or password",
          tag="auth", access=PUBLIC, body=MemberLogin, response=Tokens,
          errors=(Unauthenticated, RateLimited, ValidationFailed, member_auth.RegistrationClosed,
                  member_auth.MembershipFrozen, AgreementsRequired))  # fmt: skip
def member_token(ctx: RequestContext) -> Reply:
    """A member logs in with their phone and either the code just texted or their password, and gets
    tokens. With a code, a phone that is no member's joins (source `online`, named `name` or 会员 + the last four
    digits, lowest tier) while self-registration is open. Once the membership agreement or the privacy policy is
    published, a code log-in names their current versions in `agreed` (the tick box of the log-in page), and the
    member's acceptance is kept as proof; a password log-in may name them too (members who owe an acceptance are
    asked on their pages: `GET /v1/me/agreements`).

    Errors: 422 `agreements-required` when a code log-in leaves out a current version or names another, checked
    before the code is used (it stays valid); 401 for a wrong, expired or burnt code or a wrong password; 429 after
    five wrong passwords for a phone (locked 15 minutes) or past the per-address limit; 403 `registration-closed`
    when joining is off, 403 `membership-frozen` for a frozen member."""
    login: MemberLogin = ctx.body
    agreed = None if login.agreed is None else [(v.kind, v.version) for v in login.agreed]
    if login.code is not None:
        return Reply(member_auth.log_in_with_code(login.phone, login.code, login.name, agreed, login.language))
    assert login.password is not None
    return Reply(member_auth.log_in_with_password(login.phone, login.password, source_ip(ctx.request), agreed))


@endpoint("/v1/me/password", "PUT", summary="Set or change my password (ends my other sessions)", tag="me",
          access=MEMBER, body=MemberPasswordSet, response=Tokens,
          errors=(Unauthenticated, ValidationFailed, RateLimited))  # fmt: skip
def set_my_password(ctx: RequestContext) -> Reply:
    """Set the member's first password or change it. The first needs a log-in at most 10 minutes old
    (a refresh is not a log-in) or a fresh `code`; a change needs `current_password` or a fresh `code`. A new
    password ends every other session of the member: the answer holds fresh tokens for this one, and the tokens
    sent with the request end too.

    Errors: 401 for a wrong current password or code; 422 for a weak password or a missing proof; 429 after
    repeated wrong tries."""
    body: MemberPasswordSet = ctx.body
    caller = ctx.caller
    return Reply(member_auth.set_password(caller.id, body.password, body.current_password, body.code, caller.auth_time))


@endpoint("/v1/me/closure", "POST", summary="Close my membership (注销会员)", tag="me", access=MEMBER,
          body=MembershipClose, status=204,
          errors=(Unauthenticated, ValidationFailed, RateLimited, members.MemberHoldsValue))  # fmt: skip
def close_my_membership(ctx: RequestContext) -> Reply:
    """The member erases their own membership (PIPL 删除权), as `DELETE /v1/members/{id}` does for staff: the profile
    is anonymised, the phone released, the data key destroyed, and every session of theirs ends. It needs a log-in at
    most 10 minutes old (a refresh is not a log-in) or a fresh `code` (`POST /v1/auth/otp`).

    Errors: 409 `member-holds-value` while stored value holds principal (`principal_fen`: a store pays it out first,
    退余额), a points-mall order is under way (`open_orders`) or a paid card would still be refunded (`cards`: a store
    cancels it first); 422 on `code` for an older log-in without one; 401 for a wrong code; 429 after repeated wrong
    codes."""
    body: MembershipClose = ctx.body
    member_auth.close_membership(ctx.caller.id, body.code, ctx.caller.auth_time)
    return Reply(status=204)


@endpoint("/v1/staff", "POST", summary="Create a staff account", tag="staff", access=ADMIN,
          body=StaffCreate, response=StaffOut, status=201, etag=True, errors=(AlreadyExists,))  # fmt: skip
def create_staff(ctx: RequestContext) -> Reply:
    """Create a staff account (员工) with roles and an optional store scope: `stores` limits what they
    manage to those stores (which must exist); empty means every store.

    Errors: 409 `already-exists` when the username is taken; 422 for an unknown store or role; 403 when a
    store-scoped admin would give stores beyond their own (or every store)."""
    ctx.caller.require_within(ctx.body.stores, "The account's store scope")
    return _staff_reply(service.create_staff(ctx.body), 201)


@endpoint("/v1/staff", "GET", summary="List staff accounts", tag="staff", access=ADMIN, query=PageQuery,
          response=StaffPage, errors=(InvalidCursor,))  # fmt: skip
def list_staff(ctx: RequestContext) -> Reply:
    """Staff accounts, paged with `limit` and `cursor`."""
    records, cursor = service.list_staff(ctx.query.limit, ctx.query.cursor)
    items = [_staff_reply(record).body for record in records]
    return Reply(StaffPage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint("/v1/staff/{staff_id}", "GET", summary="Read a staff account", tag="staff", access=ADMIN,
          response=StaffOut, etag=True, errors=(NotFound,))  # fmt: skip
def get_staff(ctx: RequestContext, staff_id: str) -> Reply:
    """One staff account, with its `ETag` for a later edit. Errors: 404 for an unknown id."""
    return _staff_reply(service.get_staff(staff_id))


@endpoint("/v1/staff/{staff_id}", "PATCH", summary="Re-role, re-scope, disable or enable staff",
          tag="staff", access=ADMIN, body=StaffPatch, response=StaffOut, if_match=True, etag=True,
          errors=(NotFound, PreconditionFailed, PreconditionRequired, service.LockingOut))  # fmt: skip
def update_staff(ctx: RequestContext, staff_id: str) -> Reply:
    """Rename, re-role, re-scope, disable or enable a staff account (JSON merge patch, `If-Match`).
    Changing roles, stores or status ends every session the account has (refresh tokens at once, access tokens
    within 30 seconds); renaming keeps them.

    Errors: 409 `locking-out` when admins would disable themselves or drop their own admin role, or take an admin
    away after another admin took theirs (two admins disabling each other at once keep one); 412 on a stale
    `ETag`, 428 without `If-Match`; 404 for an unknown id; 403 when a store-scoped admin edits an account scoped
    beyond their stores, or would widen one past them."""
    patch: StaffPatch = ctx.body
    changes, caller = patch.changes(), ctx.caller
    assert ctx.if_match is not None
    return _staff_reply(service.update_staff(staff_id, changes, ctx.if_match, by=caller.id, scope=caller.stores))


@endpoint("/v1/staff/{staff_id}/password", "PUT", summary="Reset a staff password (unlocks the account)",
          tag="staff", access=ADMIN, body=PasswordReset, status=204, errors=(NotFound,))  # fmt: skip
def reset_password(ctx: RequestContext, staff_id: str) -> Reply:
    """Set a new password for a staff account: unlocks it and ends every session it has.
    Errors: 404 for an unknown id; 422 for a weak password; 403 for an account scoped beyond a store-scoped admin's
    stores (resetting a chain admin's password would take their account over)."""
    service.reset_password(staff_id, ctx.body.password, scope=ctx.caller.stores)
    return Reply(status=204)


@endpoint("/v1/staff/me", "GET", summary="Who I am: my account, roles, stores and permissions", tag="staff",
          access=ANY_STAFF, response=StaffMe)  # fmt: skip
def get_staff_me(ctx: RequestContext) -> Reply:
    """The calling staff member's account (id, username, display name) with the roles and stores their session
    holds and every permission those roles grant, sorted: the back office shows its menus and buttons by them (less
    what the chain's configuration turns off: `purchases:record` when its tills report purchases themselves), and the
    most they may record as paid in one sale at the counter and credit in points by hand. Reads the account once;
    changes nothing."""
    grant = ctx.caller.grant
    record = service.get_staff(ctx.caller.id)
    settings = get_settings()
    off = set() if settings.counter_purchases else {Permission.PURCHASES_RECORD}
    permissions = sorted(grant.permissions - off)
    records = Permission.PURCHASES_RECORD in permissions  # limits say nothing to who records no sale
    cap = counter_purchase_cap(grant, settings.counter_purchase_limit_fen) if records else None
    daily = counter_purchase_cap(grant, settings.counter_daily_limit_fen) if records else None
    adjusts = Permission.POINTS_ADJUST in permissions and bool(grant.stores)  # a store's staff credit within limits
    return Reply(StaffMe(staff_id=record.staff_id, username=record.username, name=record.display_name,
                         display_name=record.display_name, roles=sorted(grant.roles), stores=sorted(grant.stores),
                         permissions=permissions, counter_purchase_limit_fen=cap, counter_daily_limit_fen=daily,
                         adjust_limit_points=(settings.adjust_limit_points or None) if adjusts else None,
                         adjust_daily_limit_points=(settings.adjust_daily_limit_points or None) if adjusts else None,
                         ))  # fmt: skip


@endpoint("/v1/staff/names", "POST", summary="Colleagues' display names", tag="staff", access=ANY_STAFF,
          body=StaffNamesQuery, response=StaffNames)  # fmt: skip
def staff_names(ctx: RequestContext) -> Reply:
    """The display names of up to 100 staff accounts, by id, for any staff member: the back office says who recorded
    an entry (a use of a benefit, a card's history, a consent) by name rather than by account id. Names only, never
    roles, stores or usernames; an id no account has is left out. Reads the accounts in one batch."""
    return Reply(StaffNames(names=service.display_names(ctx.body.ids)))


@endpoint("/v1/roles", "GET", summary="The roles and the permissions each grants", tag="staff",
          access=ANY_STAFF, response=RoleMatrix)  # fmt: skip
def list_roles(ctx: RequestContext) -> Reply:
    """The permission matrix (权限矩阵): each role (收银员, 店长, 市场专员, 客服人员, 财务人员, 管理员) with its zh-CN
    and en names and the permissions it grants, and each permission with its names. The same for every caller; it
    changes only with a release. Reads nothing."""
    return Reply(RoleMatrix.model_validate({
        "roles": [{"role": role, "label": _label(ROLE_LABELS[role]), "permissions": sorted(PERMISSIONS[role])}
                  for role in Role],
        "permissions": [{"permission": permission, "label": _label(PERMISSION_LABELS[permission])}
                        for permission in Permission],
    }))  # fmt: skip


def _label(names: tuple[str, str]) -> dict[str, str]:
    return {"zh-CN": names[0], "en": names[1]}
