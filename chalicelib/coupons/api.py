"""Coupon routes: templates and issuing (marketing, admins), a member's coupons (the member, or staff serving them),
the till's eligibility, reservation, redemption and reversal (a signed partner or a cashier), and the liability."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.coupons import batches, service
from chalicelib.coupons.schemas import (
    CodeClaim,
    Coupon,
    CouponBatch,
    CouponBatchCreate,
    CouponClaim,
    CouponCodePage,
    CouponEligibility,
    CouponEligibilityQuery,
    CouponHistory,
    CouponIssue,
    CouponLiability,
    CouponOffer,
    CouponPage,
    CouponQuery,
    CouponRedemption,
    CouponRedemptionCreate,
    CouponRedemptionReversal,
    CouponReservation,
    CouponReservationCreate,
    CouponTemplate,
    CouponTemplateCreate,
    CouponTemplatePage,
    CouponTemplatePatch,
    CouponTemplateQuery,
    FriendGift,
)
from chalicelib.identity.access import MEMBER, PartnerOrStaff, Staff, StaffOrSelf
from chalicelib.identity.rules import Permission
from chalicelib.members import service as members
from chalicelib.members.service import reachable
from chalicelib.shared.db import Transaction, together
from chalicelib.shared.errors import (
    Forbidden,
    IdempotencyKeyReused,
    InvalidCursor,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    ValidationFailed,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint, etag
from chalicelib.shared.pagination import PageQuery

MANAGE = Staff(Permission.COUPONS_MANAGE, chain=True)
TILL = PartnerOrStaff(Permission.COUPONS_REDEEM)
READ = StaffOrSelf(Permission.MEMBERS_READ, serves=True)
LIABILITY = Staff(Permission.REPORTS_READ, chain=True)
TILL_ERRORS = (NotFound, Forbidden, ValidationFailed)


@endpoint(
    "/v1/coupons/templates",
    "POST",
    summary="Create a coupon template",
    tag="coupons",
    access=MANAGE,
    body=CouponTemplateCreate,
    response=CouponTemplate,
    status=201,
    etag=True,
    idempotency="optional",
    errors=(IdempotencyKeyReused,),
)
def create_template(ctx: RequestContext) -> Reply:
    """A coupon template (券模板): what its coupons take off (amount off, percent off with a cap, 满减 threshold,
    one item free, free shipping), when they are valid (N days from issue, or fixed dates; optionally some days of
    the week and hours), where and on what (stores, categories, brands, SKUs, tiers), the minimum spend, whether
    they stack, the stock (absent: unlimited; spread over shards so a flash sale's claims do not all write one
    item), the limit per member, whether members may claim it, and how its codes look. Its terms never change
    once created: issued coupons keep them. With an `Idempotency-Key`, a repeat answers the first template."""
    body = ctx.body.model_dump(mode="json", by_alias=True)
    created = service.create_template(body, ctx.caller.scope, ctx.language, ctx.idempotency)
    answer = CouponTemplate.model_validate(created)
    return Reply(answer, status=201, headers={"ETag": etag(answer.version)})


@endpoint(
    "/v1/coupons/templates",
    "GET",
    summary="Coupon templates, newest first",
    tag="coupons",
    access=MANAGE,
    query=CouponTemplateQuery,
    response=CouponTemplatePage,
    errors=(InvalidCursor,),
)
def list_templates(ctx: RequestContext) -> Reply:
    """Templates newest first, optionally in one status, each with the stock it has left and its rules in words."""
    items, cursor = service.list_templates(ctx.query.status, ctx.query.limit, ctx.query.cursor, ctx.language)
    return Reply(CouponTemplatePage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint(
    "/v1/coupons/templates/{template_id}",
    "GET",
    summary="A coupon template",
    tag="coupons",
    access=MANAGE,
    response=CouponTemplate,
    errors=(NotFound,),
    etag=True,
)
def get_template(ctx: RequestContext, template_id: str) -> Reply:
    """A template, its stock left and its rules in words; the `ETag` is its version (for `If-Match`)."""
    template = service.get_template(template_id)
    answer = CouponTemplate.model_validate(service.template_json(template, ctx.language, service.stock_left(template)))
    return Reply(answer, headers={"ETag": etag(answer.version)})


@endpoint(
    "/v1/coupons/templates/{template_id}",
    "PATCH",
    summary="Rename, open to claims, stop (停发) or void (作废)",
    tag="coupons",
    access=MANAGE,
    body=CouponTemplatePatch,
    response=CouponTemplate,
    if_match=True,
    etag=True,
    errors=(NotFound, PreconditionRequired, PreconditionFailed, service.TemplateNotIssuing),
)
def change_template(ctx: RequestContext, template_id: str) -> Reply:
    """A merge patch of a template's name, description or claimability, or of its status: `stopped` (停发) issues
    nothing more while issued coupons stay valid; `voided` (作废) also makes every unused coupon unusable at once
    (the `void-coupons` job books each one voided). Neither goes back. `If-Match` its version.

    Errors: 409 `template-not-issuing` for a status it cannot take (a voided template stays voided); 412 when the
    version moved; 428 without `If-Match`."""
    assert ctx.if_match is not None
    changes = ctx.body.model_dump(exclude_unset=True)
    answer = CouponTemplate.model_validate(service.change_template(template_id, changes, ctx.if_match, ctx.language))
    return Reply(answer, headers={"ETag": etag(answer.version)})


@endpoint(
    "/v1/coupons/templates/{template_id}/issues",
    "POST",
    summary="Issue a coupon to a member",
    tag="coupons",
    access=MANAGE,
    body=CouponIssue,
    response=Coupon,
    status=201,
    errors=(
        NotFound,
        service.MemberNotEligible,
        service.OutOfStock,
        service.LimitReached,
        service.TemplateNotIssuing,
        service.IssueConflict,
    ),
)
def issue_coupon(ctx: RequestContext, template_id: str) -> Reply:
    """Issue one coupon of the template to a member (发券), once per `source_id`: the same `source_id` again answers
    the same coupon with `duplicate: true` and issues nothing. It takes one from the stock and counts against the
    member's limit.

    Errors: 409 `out-of-stock`, `limit-reached` or `template-not-issuing` (stopped or voided, or past its last
    day); 409 `issue-conflict` for a `source_id` that issued to another member; 422 `member-not-eligible` for a
    frozen, erased or unknown member; 404 for an unknown template."""
    body = ctx.body
    answer = service.issue_for(
        template_id, body.member_id, source_kind="staff", source_id=body.source_id, language=ctx.language
    )
    return Reply(Coupon.model_validate(answer), status=201)


@endpoint(
    "/v1/me/coupons/claimable",
    "GET",
    summary="Coupons I may claim (领券中心)",
    tag="me",
    access=MEMBER,
    query=PageQuery,
    response=CouponTemplatePage,
    errors=(InvalidCursor,),
)
def list_claimable(ctx: RequestContext) -> Reply:
    """Templates open to claims and issuing, newest first, with the stock they have left, how many of each the
    member received (`claimed_by_me`) and whether they may claim one now (`may_claim`: stock left and under their
    limit). Templates for other tiers than the member's are left out."""
    items, cursor = service.list_templates(
        None, ctx.query.limit, ctx.query.cursor, ctx.language, claimable=True, member_id=ctx.caller.id
    )
    return Reply(CouponTemplatePage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint(
    "/v1/me/coupons/claims",
    "POST",
    summary="Claim a coupon (领券)",
    tag="me",
    access=MEMBER,
    body=CouponClaim,
    response=Coupon,
    status=201,
    idempotency="optional",
    errors=(
        NotFound,
        IdempotencyKeyReused,
        service.NotClaimable,
        service.OutOfStock,
        service.LimitReached,
        service.TemplateNotIssuing,
        service.TierNotApplicable,
    ),
)
def claim_coupon(ctx: RequestContext) -> Reply:
    """The member claims one coupon of a claimable template. With an `Idempotency-Key`, a repeat answers the same
    coupon. Never beyond the stock: when the last ones go, concurrent claims beyond them get 409 `out-of-stock`.
    A template for some tiers only (`applies_to.tiers`) is claimed by members of those tiers only.

    Errors: 409 `out-of-stock`, `limit-reached`, `template-not-issuing` or `tier-not-applicable`; 422
    `template-not-claimable`; 404 for an unknown template."""
    answer = service.claim(ctx.caller.id, ctx.body.template_id, ctx.idempotency, ctx.language)
    return Reply(Coupon.model_validate(answer), status=201)


@endpoint(
    "/v1/me/coupons/code-claims",
    "POST",
    summary="Claim a coupon by its code (兑换码)",
    tag="me",
    access=MEMBER,
    body=CodeClaim,
    response=Coupon,
    status=201,
    errors=(NotFound, RateLimited, service.CodeNotClaimable, service.LimitReached, service.TierNotApplicable,
            service.MemberNotEligible),
)  # fmt: skip
def claim_code(ctx: RequestContext) -> Reply:
    """A bearer code (a batch's codes, printed or handed out by a partner) typed on the member pages becomes the
    member's own coupon: a new code of theirs, with the printed coupon's template and days; the printed code is
    then `transferred` and no till takes it. Once per code: the same member again is answered the same coupon.

    Errors: 404 for a code that is no coupon (ten an hour, then 429); 409 `code-not-claimable` with `reason`
    (`claimed` by another member, `not-bearer`: a member's own coupon, or its status: `used`, `expired`, `voided`,
    `reserved`), `limit-reached`, `tier-not-applicable`; 422 `member-not-eligible` for a frozen membership."""
    answer = service.claim_code(ctx.caller.id, ctx.body.code, ctx.language)
    return Reply(Coupon.model_validate(answer), status=201)


@endpoint(
    "/v1/me/coupons",
    "GET",
    summary="My coupons",
    tag="me",
    access=MEMBER,
    query=CouponQuery,
    response=CouponPage,
    errors=(InvalidCursor,),
)
def my_coupons(ctx: RequestContext) -> Reply:
    """The member's coupons newest first, in the status they have now (one past its last day is expired at once),
    each with its rules in words; `status` filters."""
    items, cursor = service.member_coupons(
        ctx.caller.id, ctx.query.status, ctx.query.limit, ctx.query.cursor, ctx.language
    )
    return Reply(CouponPage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint(
    "/v1/me/coupons/{code}/offer",
    "POST",
    summary="Offer one of my coupons to a friend (转赠)",
    tag="me",
    access=MEMBER,
    response=CouponOffer,
    status=201,
    errors=(NotFound, service.NotTransferable, service.CouponUnusable, service.CouponUsed),
)
def offer_coupon(ctx: RequestContext, code: str) -> Reply:
    """Make a link a friend opens to take the coupon (`/m/#/gifts/{token}`), open 24 hours; the coupon cannot be used
    or held for an order meanwhile (409 `coupon-unusable`, reason `offered`, at a till). Offering it again makes a new
    link and ends the first; a coupon is offered 10 times at most. Only coupons of a template that lets them be given
    (`transferable`), never one received from a friend, and only one usable now.

    Errors: 409 `coupon-not-transferable` (`reason`: template, received or offers-used); 409 `coupon-unusable` or
    `coupon-used` (with its `reason`: reserved for an order, expired, voided …); 404 for a coupon that is not the
    member's."""
    return Reply(CouponOffer.model_validate(service.offer_gift(ctx.caller.id, code, ctx.language)), status=201)


@endpoint(
    "/v1/me/coupons/{code}/offer",
    "DELETE",
    summary="Take back an offer to a friend (收回转赠)",
    tag="me",
    access=MEMBER,
    response=Coupon,
    errors=(NotFound,),
)
def withdraw_offer(ctx: RequestContext, code: str) -> Reply:
    """The coupon is usable again at once and its link says withdrawn. A coupon not offered, or taken meanwhile, is
    answered as it is (`transferred` once taken)."""
    return Reply(Coupon.model_validate(service.withdraw_gift(ctx.caller.id, code, ctx.language)))


@endpoint(
    "/v1/me/gifts/{token}",
    "GET",
    summary="A friend's coupon gift, before taking it",
    tag="me",
    access=MEMBER,
    response=FriendGift,
    errors=(NotFound,),
)
def friend_gift(ctx: RequestContext, token: str) -> Reply:
    """What the link's coupon is (its terms, never its code nor whose it is) and whether it may be taken now
    (`status`), and if not by the caller, why (`refusal`); once taken by the caller, their coupon's code. 404 for a
    token never offered."""
    return Reply(FriendGift.model_validate(service.gift_preview(ctx.caller.id, token, ctx.language)))


@endpoint(
    "/v1/me/gifts/{token}/acceptance",
    "POST",
    summary="Take a friend's coupon gift (领取转赠)",
    tag="me",
    access=MEMBER,
    response=Coupon,
    status=201,
    errors=(
        NotFound,
        service.GiftOver,
        service.OwnGift,
        service.LimitReached,
        service.TierNotApplicable,
        service.MemberNotEligible,
    ),
)
def accept_gift(ctx: RequestContext, token: str) -> Reply:
    """The member gets a coupon of their own for the friend's (a new code; the same template and last day), and the
    friend's ends `transferred`, in one transaction; once per link: the same member again is answered the same
    coupon (`duplicate`), anyone else 409 `gift-over`. It counts against the member's limit of the template
    (`per_member_limit`).

    Errors: 409 `gift-over` (`reason`: taken, withdrawn, lapsed, unusable or closed); 409 `own-gift` for the member who
    offered it; 409 `limit-reached`; 409 `tier-not-applicable` for a member of a tier the template is not for; 422
    `member-not-eligible` when either member is frozen; 404 for a token never offered."""
    return Reply(Coupon.model_validate(service.accept_gift(ctx.caller.id, token, ctx.language)), status=201)


@endpoint(
    "/v1/members/{member_id}/coupons",
    "GET",
    summary="A member's coupons",
    tag="coupons",
    access=READ,
    query=CouponQuery,
    response=CouponPage,
    errors=(NotFound, InvalidCursor),
)
def member_coupons(ctx: RequestContext, member_id: str) -> Reply:
    """A member's coupons newest first, as the member sees them; served at any store of the chain.

    Errors: 404 for another member's id from a member token."""
    member_id = reachable(ctx.caller, member_id)
    items, cursor = service.member_coupons(member_id, ctx.query.status, ctx.query.limit, ctx.query.cursor, ctx.language)
    return Reply(CouponPage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint(
    "/v1/coupons/eligibility",
    "POST",
    summary="A member's coupons for an order: usable and why not",
    tag="coupons",
    access=TILL,
    body=CouponEligibilityQuery,
    response=CouponEligibility,
    errors=TILL_ERRORS,
)
def coupon_eligibility(ctx: RequestContext) -> Reply:
    """Every coupon the member holds that is not used, expired or voided, sorted into those usable on the order
    (with what each takes off, the best first) and those not (with a stable reason code and the reason in words):
    not valid yet, not today or not at this hour, not at this store, not for the member's tier, no qualifying
    item, below the minimum spend, reserved for another order. A till or e-shop (signed) or a cashier asks.

    Errors: 403 for a store outside a partner's stores; 422 for an unknown store; 404 for an unknown member."""
    body = ctx.body
    answer = service.eligibility(ctx.caller, body.member_id, body.order.model_dump(), body.order_id, ctx.language)
    return Reply(CouponEligibility.model_validate(answer))


@endpoint(
    "/v1/coupons/liability",
    "GET",
    summary="What usable coupons stand for (优惠券负债)",
    tag="coupons",
    access=LIABILITY,
    response=CouponLiability,
)
def coupon_liability(ctx: RequestContext) -> Reply:
    """Per template and in total: coupons issued, and how many are available, reserved, used, expired and voided
    (issued = the sum of the five), and the face value of the usable ones — what the programme owes in coupons.
    Kept from the coupon events; a day's late expiries show once the nightly job books them."""
    return Reply(CouponLiability.model_validate(service.liability()))


@endpoint(
    "/v1/coupons/{code}",
    "GET",
    summary="A coupon and its history",
    tag="coupons",
    access=TILL,
    response=CouponHistory,
    errors=(NotFound,),
)
def get_coupon(ctx: RequestContext, code: str) -> Reply:
    """A coupon by its code (a till scans or types it): its status now, its rules in words, and every entry of its
    history (issued, reserved, released, redeemed, returned, expired, voided: who, when, why). A partner scoped to
    stores sees an entry made at another store as what happened and when, without its details or who, and no other
    store's order on the coupon."""
    caller = ctx.caller
    within = caller.stores if caller.kind == "partner" and caller.stores else None
    return Reply(CouponHistory.model_validate(service.coupon_history(code, ctx.language, within)))


@endpoint(
    "/v1/coupons/{code}/reservations",
    "POST",
    summary="Hold a coupon for an order",
    tag="coupons",
    access=TILL,
    body=CouponReservationCreate,
    response=CouponReservation,
    status=201,
    errors=(*TILL_ERRORS, service.CouponUnusable, service.CouponUsed),
)
def reserve_coupon(ctx: RequestContext, code: str) -> Reply:
    """Reserve (锁券) a coupon for an order while it is being paid: no other order may use it until `minutes` pass
    (default 15) or it is released or redeemed. The same order may reserve it again to extend the hold.

    Errors: 409 `coupon-unusable` with its `reason` (e.g. `reserved` for another order, `below-minimum-spend`);
    409 `coupon-used`; 404 for an unknown code."""
    body = ctx.body

    def present(member_id: str) -> None:  # a cashier holds a member's coupon with the member there (a review: a
        members.check_in_person(ctx.caller, member_id, body.member_code, partners=False)  # stranger's, for a day)

    answer = service.reserve(ctx.caller, code, body.order_id, body.order.model_dump(), body.minutes, ctx.language,
                             present)  # fmt: skip
    return Reply(CouponReservation.model_validate(answer), status=201)


@endpoint(
    "/v1/coupons/{code}/reservations/{order_id}",
    "DELETE",
    summary="Release a coupon's hold",
    tag="coupons",
    access=TILL,
    status=204,
    errors=(NotFound, Forbidden, service.NotReserved),
)
def release_coupon(ctx: RequestContext, code: str, order_id: str) -> Reply:
    """Release (解锁) an order's hold on a coupon: it is available again.

    Errors: 409 `not-reserved` when the coupon is not reserved for that order; 404 for an unknown code."""
    service.release(ctx.caller, code, order_id)
    return Reply(status=204)


@endpoint(
    "/v1/coupons/{code}/redemptions",
    "POST",
    summary="Redeem a coupon on an order (核销)",
    tag="coupons",
    access=TILL,
    body=CouponRedemptionCreate,
    response=CouponRedemption,
    status=201,
    errors=(
        *TILL_ERRORS,
        service.CouponUnusable,
        service.CouponUsed,
        service.RedemptionConflict,
        members.MemberCodeNotCurrent,
        members.MemberCodeUsed,
        service.PointsOnOrder,
    ),
)
def redeem_coupon(ctx: RequestContext, code: str) -> Reply:
    """Use a coupon on an order, once per code: the same order again answers the same redemption with
    `duplicate: true`; another order gets 409 `coupon-used`. The discount is what the coupon takes off this order
    (never more than the qualifying items); a coupon that does not stack is refused on an order that already has
    one, and the reverse. Under races on one code exactly one order wins.

    Errors: 409 `coupon-used`; 409 `coupon-unusable` with its `reason` (expired, voided, reserved for another
    order, below the minimum spend, not stackable …); 409 `redemption-conflict` for the same order with another
    body; 403 for a store outside a partner's stores; 404 for an unknown code. A cashier, and a partner limited to
    stores using a coupon of a member of none of them, uses a member's coupon only with the member there: 422 on
    `member_code` without one, 422 `member-code-not-current` for a code that is not the member's now (staff who
    adjust points, partners at the member's stores and bearer coupons need none); a code uses coupons on one order
    (422 `member-code-used` on another: one scan spent a member's coupons on three friends' orders). Staff use no
    coupon after points paid part of the order (422 `points-on-order`: coupons first, points pay what they leave), nor
    on a till order whose sale the counter recorded already (消费记账: 422 on `order_id`; the coupon comes
    before the sale, which a coupon used after it would not have discounted), nor on one a card was sold under at the
    store (开卡: at its plan's price); a repeat of a use is answered whatever became of the order."""
    from chalicelib.membership.service import no_card_sold_on  # a card is sold at its plan's price
    from chalicelib.points.service import no_points_on_order  # points pay what coupons leave (积分抵现)
    from chalicelib.purchases.service import counter_order_open  # the counter's record of a sale

    body = ctx.body

    def new_use(member_id: str | None) -> Callable[[Transaction], None] | None:  # a cashier, or a partner at another
        writes = []  # store's member: the member is there, their code used on this order alone (a probe used three
        if member_id and members.check_in_person(ctx.caller, member_id, body.member_code) and body.member_code:
            writes.append(members.code_on_order(member_id, body.member_code, body.order_id))  # coupons on 3 orders)
        if ctx.caller.kind == "staff":  # staff use it while the counter's sale is unrecorded, before any points
            writes += [counter_order_open(body.order_id, "coupons are used"),
                       no_card_sold_on(body.order.store_id, body.order_id),
                       no_points_on_order(body.order_id, service.PointsOnOrder())]  # fmt: skip
        return together(*writes) if writes else None

    answer = service.redeem(ctx.caller, code, body.order_id, body.order.model_dump(), ctx.language, new_use)
    return Reply(CouponRedemption.model_validate(answer), status=201)


@endpoint(
    "/v1/coupons/{code}/redemptions/{order_id}/reversal",
    "POST",
    summary="Give a used coupon back",
    tag="coupons",
    access=TILL,
    body=CouponRedemptionReversal,
    response=Coupon,
    errors=(NotFound, Forbidden, service.NotReversible),
)
def reverse_redemption(ctx: RequestContext, code: str, order_id: str) -> Reply:
    """The order was refunded (退券回流, `reason: refund`) or the redemption was a mistake (撤销核销, `mistake`): the
    coupon is usable again until its last day — past it, it comes back expired. Once per redemption: a repeat
    answers the coupon as it is now, with `duplicate: true`, even once it was used again on another order.

    Staff give a coupon back by mistake (撤销核销) only while the order is open: once the counter has recorded the
    member's sale for the order (消费记账), or at another store, it comes back only with a refund (`reason:
    refund`), by staff who refund purchases (a store manager, customer service), and for a recorded sale only once
    all of it was refunded; anyone else, or before, gets 422 on `reason`. A coupon is given back by the channel that
    used it: a partner's till's use by that partner, the counter's by staff (422 on `order_id` otherwise). The coupon
    of an order a card was sold under (开卡/续卡 with a 续费券) never comes back: the card costs what was paid (422 on
    `order_id`).

    Errors: 409 `not-reversible` when the coupon was not used on that order; 404 for an unknown code; 422 on
    `reason` as above."""
    from chalicelib.membership.service import no_card_sold_on  # a card sold under the order keeps its coupon
    from chalicelib.purchases.service import counter_order_recorded, counter_order_refunded_whole  # the counter's sale

    body = ctx.body
    answer = service.reverse_redemption(ctx.caller, code, order_id, body.reason, body.note, ctx.language,
                                        counter_order_recorded, counter_order_refunded_whole,
                                        no_card_sold_on)  # fmt: skip
    return Reply(Coupon.model_validate(answer))


@endpoint(
    "/v1/coupons/templates/{template_id}/batches",
    "POST",
    summary="Issue in bulk, as a job (批量发券)",
    tag="coupons",
    access=MANAGE,
    body=CouponBatchCreate,
    response=CouponBatch,
    status=201,
    errors=(NotFound, service.TemplateNotIssuing, service.OutOfStock),
)
def create_batch(ctx: RequestContext, template_id: str) -> Reply:
    """`codes`: make `count` bearer coupons (up to 100,000) as a job run at once, fanned out to workers; their codes
    are listed by `GET /v1/coupons/batches/{batch_id}/codes`. `members`: answers where to PUT a CSV of members (a
    `member_id` or `phone` column, UTF-8 or GBK, up to 4 MB); `POST …/start` then issues one coupon to each row,
    once per row, with a report of what happened to the rows.

    Errors: 409 `out-of-stock` when the template has fewer left than `count`; 409 `template-not-issuing`."""
    body = ctx.body
    answer = batches.create(template_id, body.kind, body.count, ctx.caller.scope)
    return Reply(CouponBatch.model_validate(answer), status=201)


@endpoint(
    "/v1/coupons/batches/{batch_id}/start",
    "POST",
    summary="Start a members batch once its CSV is uploaded",
    tag="coupons",
    access=MANAGE,
    response=CouponBatch,
    errors=(NotFound, batches.BatchStarted, batches.BadBatchFile),
)
def start_batch(ctx: RequestContext, batch_id: str) -> Reply:
    """Read the uploaded CSV and issue to its rows as a job (once per row). Nothing is issued when the file cannot be
    read. Errors: 422 `bad-batch-file` (nothing uploaded, a bad header, not UTF-8 or GBK, too large); 409
    `batch-started`."""
    return Reply(CouponBatch.model_validate(batches.start(batch_id)))


@endpoint(
    "/v1/coupons/batches/{batch_id}",
    "GET",
    summary="A coupon batch and its report",
    tag="coupons",
    access=MANAGE,
    response=CouponBatch,
    errors=(NotFound,),
)
def get_batch(ctx: RequestContext, batch_id: str) -> Reply:
    """Its status, its parts done, and its job run's report with tallies (issued, duplicate, unknown-member,
    out-of-stock, limit-reached, member-not-eligible)."""
    return Reply(CouponBatch.model_validate(batches.get(batch_id)))


@endpoint(
    "/v1/coupons/batches/{batch_id}/codes",
    "GET",
    summary="A codes batch's codes",
    tag="coupons",
    access=MANAGE,
    query=PageQuery,
    response=CouponCodePage,
    errors=(NotFound, InvalidCursor),
)
def list_batch_codes(ctx: RequestContext, batch_id: str) -> Reply:
    """The bearer codes a batch made, a page at a time (a page may hold fewer than `limit` while more remain)."""
    items, cursor = batches.codes(batch_id, ctx.query.limit, ctx.query.cursor)
    return Reply(CouponCodePage.model_validate({"items": items, "next_cursor": cursor}))
