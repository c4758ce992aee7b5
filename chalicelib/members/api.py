"""Members routes: staff register, read, edit and erase members; a member reads and edits their own profile."""

from __future__ import annotations

from chalicelib.audit.service import record_read
from chalicelib.identity.access import MEMBER, Caller, Staff, StaffOrSelf
from chalicelib.identity.rules import Permission
from chalicelib.members import service
from chalicelib.members.model import Member, mask_email, mask_name, mask_phone
from chalicelib.members.schemas import (
    Lookup,
    MemberCodeOut,
    MemberCreate,
    MemberListQuery,
    MemberOut,
    MemberPage,
    MemberPatch,
    MemberReadQuery,
    MemberSearch,
    MyProfilePatch,
    NewStudent,
    StudentOut,
    TillCodeSent,
)
from chalicelib.shared.errors import (
    IdempotencyKeyReused,
    InvalidCursor,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    ValidationFailed,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint, etag

LIST = Staff(Permission.MEMBERS_READ)
FIND = Staff(Permission.MEMBERS_READ, serves=True)
READ_OR_SELF = StaffOrSelf(Permission.MEMBERS_READ, serves=True)
REGISTER = Staff(Permission.MEMBERS_REGISTER)
WRITE = Staff(Permission.MEMBERS_WRITE)
ERASE = Staff(Permission.MEMBERS_ERASE)
ADD_STUDENT = Staff(Permission.MEMBERS_REGISTER, serves=True)  # a desk names a child as it registers a member
TILL_CODE = Staff(Permission.POINTS_REDEEM, serves=True)  # the staff who serve at a till


def _member_reply(caller: Caller, member: Member, status: int = 200, masked: bool = False) -> Reply:
    """The member as this caller may see them: the member themself sees everything; staff without
    ``pii:read``, serving a member whose home store is outside their stores, or asking ``masked`` (the counter),
    see the phone and email masked and neither birthday nor addresses; staff with it see the full phone, and that
    read is recorded in the audit log."""
    body = MemberOut.of(member, phone_masked=mask_phone(member.phone) if member.phone else None)
    if caller.is_member:
        pass
    elif masked or not caller.may(Permission.PII_READ) or not caller.covers_store(member.home_store_id):
        whole = caller.may(Permission.PII_READ)  # a child's name, to those who read personal data (the till: its own)
        students = [s.model_copy(update={"birthday": None, **({} if whole else {"name": mask_name(s.name)})})
                    for s in body.students]  # fmt: skip
        body = body.model_copy(update={"phone": body.phone_masked, "email": mask_email(member.email),
                                       "birthday": None, "addresses": [], "students": students})  # fmt: skip
    elif member.phone:
        record_read("member.phone-read", f"member/{member.member_id}")
    headers = {"ETag": etag(member.version), "Location": f"/v1/members/{member.member_id}"}
    return Reply(body, status=status, headers=headers)


@endpoint("/v1/members", "POST", summary="Register a member", tag="members", access=REGISTER, body=MemberCreate,
          response=MemberOut, status=201, idempotency="optional", etag=True,
          errors=(service.PhoneTaken, service.MemberNoTaken, IdempotencyKeyReused))  # fmt: skip
def register_member(ctx: RequestContext) -> Reply:
    """Register a member (会员) with a unique phone (mainland numbers may omit +86). A member number
    (会员卡号, 10 digits with a Luhn check digit) is made unless `member_no` keeps an existing card's. Staff scoped to
    stores register members at one of their stores (`home_store_id`). Registration may earn points and growth
    value by the earn rules. With an `Idempotency-Key`, a repeat answers the first registration.

    Errors: 409 `phone-taken` or `member-no-taken`; 422 for a home store outside the caller's stores; 422
    `idempotency-key-reused` for a key sent with another body."""
    data: MemberCreate = ctx.body
    if not ctx.caller.covers_store(data.home_store_id):
        problem = {"field": "home_store_id", "in": "body", "message": "register members at one of your stores"}
        raise ValidationFailed([problem])
    member_id, _ = service.register(data, ctx.idempotency)
    return _member_reply(ctx.caller, service.get_member(member_id), 201)


@endpoint("/v1/members/{member_id}/students", "POST", summary="Add a student (学员) at a desk", tag="members",
          access=ADD_STUDENT, body=NewStudent, response=StudentOut, status=201, idempotency="optional",
          errors=(NotFound, IdempotencyKeyReused))  # fmt: skip
def add_student(ctx: RequestContext, member_id: str) -> Reply:
    """A child the member buys classes for (学员), added by a desk serving the member at any store of the chain
    (staff who register members: a parent who joined online, or a member of another campus, buys a child's pack at
    this one), then named by their `student_id` on the card sold. The member's other students stay as they are; the
    edit is audited as any staff edit. With an `Idempotency-Key`, a repeat answers the first answer and adds no one.

    Errors: 404 for an unknown or erased member; 422 for a bad name or birthday, or past ten students."""
    student = service.add_student(member_id, ctx.body.model_dump(mode="json", exclude_none=True), ctx.idempotency)
    return Reply(StudentOut.model_validate(student), status=201)


@endpoint("/v1/members/{member_id}/till-codes", "POST", summary="Text the member a till code (门店验证码)",
          tag="counter", access=TILL_CODE, response=TillCodeSent, status=202,
          errors=(NotFound, service.NoCodeToText, RateLimited))  # fmt: skip
def send_till_code(ctx: RequestContext, member_id: str) -> Reply:
    """For a member at the till with no member pages to show (an older member paying from stored value): six digits
    texted to their phone, good for five to ten minutes, that the cashier gives as `member_code` where a member's code
    is asked (a stored-value payment, a points redemption, a benefit's use, a card sold from stored value): each spends
    it once, as a scanned code. Any member of the chain, as the till serves them. Writes the message and the counts.

    Errors: 404 for an unknown or erased member; 422 `member-not-eligible` for one frozen or without a phone; 429 once a
    minute and five times an hour a member, 60 an hour an account."""
    return Reply(TillCodeSent.model_validate(service.send_till_code(member_id)), status=202)


@endpoint("/v1/members/{member_id}", "GET", summary="Read a member", tag="members", access=READ_OR_SELF,
          query=MemberReadQuery, response=MemberOut, etag=True, errors=(NotFound,))  # fmt: skip
def get_member(ctx: RequestContext, member_id: str) -> Reply:
    """A member's profile with its `ETag`. Staff without `pii:read`, or serving a member whose home store is
    outside their stores, see phone and email masked and neither birthday nor addresses; a full phone shown to
    staff is recorded in the audit log. With `masked`, staff see it masked whatever they may read, and no read is
    recorded: the console opens a profile so and reads it whole when asked (显示完整资料), so the log holds the
    reads someone wanted. A member token reads only its own id.

    Errors: 404 for an unknown id, or another member's id from a member token."""
    query: MemberReadQuery = ctx.query
    return _member_reply(ctx.caller, service.get_member(member_id), masked=query.masked)


@endpoint("/v1/members/{member_id}", "PATCH", summary="Edit a member (JSON merge patch)", tag="members",
          access=WRITE,
          body=MemberPatch, response=MemberOut, if_match=True, etag=True,
          errors=(NotFound, PreconditionFailed, PreconditionRequired, service.PhoneTaken,
                  service.MemberErased, service.StudentHoldsCard))  # fmt: skip
def update_member(ctx: RequestContext, member_id: str) -> Reply:
    """Edit a member (JSON merge patch, `If-Match`): profile fields, phone, home store, referrer, status
    (`active` or `frozen`: a frozen member keeps points but cannot spend them or log in), tags and students (学员: a
    student named by `student_id` keeps their id and cards, one without gets a new id). `null` clears
    email, birthday, city, region, home store and referrer. Tier, points, member number, source and registration
    time are not editable here. Only changed fields are written; an unchanged value makes no new version.

    Errors: 409 `phone-taken`, 409 `member-erased`, 409 `student-holds-card` (a student removed whose card still
    runs or refunds: cancel it first); 412 on a stale `ETag`, 428 without `If-Match`; 404 for a
    member outside the caller's stores; 422 for a home store outside them."""
    patch: MemberPatch = ctx.body
    assert ctx.if_match is not None
    service.reachable(ctx.caller, member_id)
    if "home_store_id" in patch.model_fields_set and not ctx.caller.covers_store(patch.home_store_id):
        raise ValidationFailed([{"field": "home_store_id", "in": "body", "message": "not one of your stores"}])
    return _member_reply(ctx.caller, service.update(member_id, patch.changes(), ctx.if_match))


@endpoint("/v1/members/{member_id}", "DELETE", summary="Erase a member (PIPL/GDPR)", tag="members", access=ERASE,
          status=204, errors=(NotFound, service.MemberHoldsValue))  # fmt: skip
def erase_member(ctx: RequestContext, member_id: str) -> Reply:
    """Erase a member (PIPL/GDPR 删除): the profile is anonymised (blank name, personal fields removed,
    status `erased`), the phone released and the member's data key destroyed. Ledgers and audit records keep the
    member id alone; the member number stays reserved. Repeating it answers 204 too.

    Errors: 404 for an unknown id or a member outside the caller's stores; 409 `member-holds-value` while the
    member's stored value (储值) holds principal, which only a cash refund (退余额) may pay out (`principal_fen`), or
    while a points-mall order of theirs is under way (`open_orders`: complete or cancel them first), or while they
    hold a paid card a cancellation would still refund (`cards`: cancel them first, with or without refund), or a card's
    refund to their stored value is still on its way (`cancellations`: moments)."""
    service.reachable(ctx.caller, member_id)
    service.erase(member_id)
    return Reply(status=204)


@endpoint("/v1/members/lookup", "POST", summary="Find a member by phone, member number, email or member code",
          tag="members", access=FIND,
          body=Lookup, response=MemberOut, etag=True,
          errors=(NotFound, ValidationFailed, service.AmbiguousEmail, RateLimited))  # fmt: skip
def lookup_member(ctx: RequestContext) -> Reply:
    """Find a member by exactly one of phone, member number (会员卡号), email or member code (会员码 as
    scanned at the counter), in the body so personal data never enters a URL. Any member of the chain is found,
    whatever the caller's stores. With `masked` (the counter's), the answer masks personal data whatever the caller
    may read and records no read of a full phone.

    Errors: 404 `No member matches` for every miss alike (nobody, an erased member, an expired or forged code); 409
    `ambiguous-email` when several members share the email; 429 after 10 wrong codes for one member in 10 minutes,
    whatever the code, until the window ends."""
    query: Lookup = ctx.body
    member = service.lookup(phone=query.phone, member_no=query.member_no, email=query.email, code=query.code)
    return _member_reply(ctx.caller, member, masked=query.masked)


@endpoint("/v1/members", "GET", summary="List members", tag="members", access=LIST, query=MemberListQuery,
          response=MemberPage, errors=(InvalidCursor,))  # fmt: skip
def list_members(ctx: RequestContext) -> Reply:
    """Members, newest registration first, filtered by home store, tier, status and registration days.
    Rows carry the masked phone only. Staff scoped to one store see that store's members; scoped to several, they
    name one in `store_id`. Tier and status filter within a page, so a page may be short while `next_cursor` goes
    on.

    Errors: 422 for a store outside the caller's stores, or `registered_from` after `registered_to`."""
    query: MemberListQuery = ctx.query
    scope = sorted(ctx.caller.stores)
    if scope and query.store_id is None and len(scope) == 1:
        query = query.model_copy(update={"store_id": scope[0]})
    if scope and query.store_id not in scope:
        message = f"one of your stores: {', '.join(scope)}" if query.store_id is None else "not one of your stores"
        raise ValidationFailed([{"field": "store_id", "in": "query", "message": message}])
    rows, next_cursor = service.list_members(query)
    return Reply(MemberPage.model_validate({"items": rows, "next_cursor": next_cursor}))


@endpoint("/v1/members/search", "POST", summary="Search members by phone, member number or name", tag="members",
          access=LIST, body=MemberSearch, response=MemberPage, errors=(InvalidCursor,))  # fmt: skip
def search_members(ctx: RequestContext) -> Reply:
    """Members matching what was typed in the back office's search box (`q`, in the body: personal data never
    enters a URL), newest registration first, with the list's filters: a phone or member number finds that member
    (as a lookup does), anything else is a whole name (姓名: case, full- or half-width and spaces ignored; no partial
    matches) found through an index of keyed name hashes, never a scan. Staff scoped to stores find only members of
    their stores (manage: a member of another store is not listed, though a lookup serves them). Rows carry the masked
    phone only.

    Errors: 422 for a store outside the caller's stores, or `registered_from` after `registered_to`."""
    query: MemberSearch = ctx.body
    if query.store_id is not None and not ctx.caller.covers_store(query.store_id):
        raise ValidationFailed([{"field": "store_id", "in": "body", "message": "not one of your stores"}])
    rows, next_cursor = service.search(query, ctx.caller.stores)
    return Reply(MemberPage.model_validate({"items": rows, "next_cursor": next_cursor}))


@endpoint("/v1/me", "GET", summary="Read my profile", tag="me", access=MEMBER, response=MemberOut, etag=True)
def get_me(ctx: RequestContext) -> Reply:
    """The member's own profile, unmasked, with its `ETag` for `PATCH /v1/me`."""
    return _member_reply(ctx.caller, service.get_member(ctx.caller.id))


@endpoint("/v1/me", "PATCH", summary="Edit my profile (JSON merge patch)", tag="me", access=MEMBER,
          body=MyProfilePatch, response=MemberOut, if_match=True, etag=True,
          errors=(PreconditionFailed, PreconditionRequired, service.BirthdayOnRecord,
                  service.StudentHoldsCard))  # fmt: skip
def update_me(ctx: RequestContext) -> Reply:
    """The member edits their own profile (JSON merge patch, `If-Match`): name, email, gender, birthday, city,
    region, addresses, students (学员, the children they buy classes for) and marketing consents (营销授权).
    Anything else (phone, tier, points, status, store, tags, member number) is 422 and changes nothing. Completing
    the profile (gender, city, birthday and email) may earn growth value once. The birthday is recorded once: staff
    correct one on record.

    Errors: 412 on a stale `ETag`, 428 without `If-Match`, 409 `birthday-on-record` for a change of the birthday on
    record, 409 `student-holds-card` for removing a student whose card still runs or refunds, or renaming one named
    on a card (a store does it)."""
    patch: MyProfilePatch = ctx.body
    assert ctx.if_match is not None
    return _member_reply(ctx.caller, service.update(ctx.caller.id, patch.changes(), ctx.if_match, own=True))


@endpoint("/v1/me/code", "GET", summary="My member code (会员码) for the counter, refreshed every minute",
          tag="me", access=MEMBER, response=MemberCodeOut)  # fmt: skip
def get_my_code(ctx: RequestContext) -> Reply:
    """The member's code (会员码) to show as a QR code and barcode at the counter: `66` + the member number +
    a one-time value of this minute. It is accepted by a lookup during its minute and the next, never again; fetch
    the next one after `refresh_after` seconds. Nothing is stored."""
    code = service.member_code(ctx.caller.id)
    body = MemberCodeOut(code=code.code, expires_at=code.expires_at, refresh_after=code.refresh_after)
    return Reply(body)
