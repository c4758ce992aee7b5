"""Purchase and refund webhooks (partner-signed) and the earn-rules routes (staff)."""

from __future__ import annotations

from chalicelib.identity.access import MEMBER, PARTNER, Staff, StaffOrSelf
from chalicelib.identity.rules import Permission
from chalicelib.members import service as members
from chalicelib.members.service import reachable
from chalicelib.purchases import activities, history, service
from chalicelib.purchases.rules import Line
from chalicelib.purchases.schemas import (
    ActivityAnswer,
    ActivityReport,
    CounterRefund,
    Preview,
    PreviewOrder,
    Purchase,
    PurchaseAnswer,
    PurchasePage,
    Refund,
    RefundAnswer,
    RulesIn,
    RulesInWords,
    RulesVersion,
    RulesVersions,
    StorePurchasesQuery,
    TillRefundPage,
)
from chalicelib.shared.errors import (
    Forbidden,
    IdempotencyKeyReused,
    InvalidCursor,
    NotFound,
    PreconditionRequired,
    Unauthenticated,
    ValidationFailed,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.shared.pagination import PageQuery
from chalicelib.stores.service import require_theirs

READ_RULES = Staff(Permission.STORES_READ)
WRITE_RULES = Staff(Permission.RULES_WRITE, chain=True)
HISTORY = StaffOrSelf(Permission.MEMBERS_READ, serves=True)  # purchases listed: those in the caller's stores
STORE_HISTORY = Staff(Permission.SALES_JOURNAL)  # who close a store's day: its managers, finance, admins
REFUND = Staff(Permission.PURCHASES_REFUND, serves=True)


@endpoint("/v1/webhooks/purchases", "POST", summary="Report a purchase (points once per order id)",
          tag="webhooks", access=PARTNER, body=Purchase, response=PurchaseAnswer,
          errors=(Unauthenticated, Forbidden, service.MemberNotEligible, service.OrderConflict))  # fmt: skip
def purchase(ctx: RequestContext) -> Reply:
    """A partner reports a purchase (消费); the earn rules in force at `occurred_at` turn `paid_fen` (实付) into
    points, growth value (成长值) and possibly a tier upgrade, in one transaction. Points once per order id, for
    good: a repeat answers the first answer with `duplicate: true`. The member is named by id, phone or member
    number; an unknown phone joins when the partner enrols members.

    Errors: 403 for a store outside the partner's stores; 422 for a store that does not exist, 422
    `member-not-eligible` for a frozen, erased or unknown member; 409 `order-conflict` for the same order id with
    other content."""
    return Reply(PurchaseAnswer.model_validate(service.record_purchase(ctx.caller, ctx.body)))


@endpoint("/v1/webhooks/refunds", "POST", summary="Report a refund (points clawed back once per refund id)",
          tag="webhooks", access=PARTNER, body=Refund, response=RefundAnswer,
          errors=(Unauthenticated, NotFound, ValidationFailed, service.RefundConflict))  # fmt: skip
def refund(ctx: RequestContext) -> Reply:
    """A partner reports a refund (退款) of an order, by line or in proportion to what each line was paid. It
    takes back the points and growth value the refunded part earned (pending points first, then available ones);
    what was already spent becomes debt, repaid by later credits. A refund that leaves the order short of its
    upgrade's threshold undoes that upgrade. Once per refund id: a repeat answers the first answer. It moves no
    money and returns nothing else: stored value paid for the order goes back by `POST /v1/webhooks/wallet/refunds`,
    a coupon used on it by `POST /v1/coupons/{code}/redemptions/{order_id}/reversal` (with `reason: refund`).

    Errors: 404 for an unknown order (retry later); 422 for more than is left of the order or a line, or a refund
    dated before its order; 409 `refund-conflict` for the same refund id with other content."""
    return Reply(RefundAnswer.model_validate(service.record_refund(ctx.caller, ctx.body)))


@endpoint("/v1/members/{member_id}/purchases/{order_id}/refunds", "POST",
          summary="Refund a purchase recorded at the counter", tag="purchases", access=REFUND, body=CounterRefund,
          response=RefundAnswer, status=201, idempotency="required",
          errors=(NotFound, ValidationFailed, PreconditionRequired, IdempotencyKeyReused))  # fmt: skip
def refund_counter_purchase(ctx: RequestContext, member_id: str, order_id: str) -> Reply:
    """Money given back at the till (at any store of the chain) on an order recorded there: the points and growth
    value the refunded part earned go back (pending points first, then available ones; what was spent becomes
    debt), and an upgrade the order alone reached is undone, as a partner's refund does. By line, or in proportion
    to what each line was paid. Once per `Idempotency-Key`. The money leaves the till of `store_id` (default the
    caller's only store, else the sale's): that store's journal of refunds (`GET /v1/stores/{id}/refunds`) lists it
    with who gave it back, whichever store made the sale, whose figures keep it.

    Errors: 404 for an order not recorded at the counter for this member (a partner's is refunded through its
    webhook); 422 for more than is left of the order or a line, or a `store_id` that is no store or not one of a
    store-scoped caller's; 428 without `Idempotency-Key`, 422 `idempotency-key-reused` with another body."""
    assert ctx.idempotency is not None  # required: the request was refused without one
    answer = service.refund_at_counter(ctx.caller, member_id, order_id, ctx.body, ctx.idempotency)
    return Reply(RefundAnswer.model_validate(answer), status=201)


def _version_body(version: service.RulesVersion) -> RulesVersion:
    return RulesVersion.model_validate({**version.document.model_dump(), "version": version.version,
                                        "effective_from": version.effective_from, "created_at": version.created_at,
                                        "created_by": version.created_by})  # fmt: skip


@endpoint("/v1/points/rules", "GET", summary="Earn-rules versions and the one in force", tag="points",
          access=READ_RULES, response=RulesVersions)  # fmt: skip
def list_rules(ctx: RequestContext) -> Reply:
    """The earn-rules (积分规则) versions, newest first, and the one in force now (null before any: 1 point
    per CNY paid)."""
    from chalicelib.shared import clock

    known = service.versions()
    current = service.rules_at(clock.now(), known)
    return Reply(RulesVersions(current=_version_body(current) if current.version else None,
                               versions=[_version_body(v) for v in reversed(known)]))  # fmt: skip


@endpoint("/v1/points/rules", "POST", summary="Publish an earn-rules version", tag="points",
          access=WRITE_RULES, body=RulesIn, response=RulesVersion, status=201)  # fmt: skip
def publish_rules(ctx: RequestContext) -> Reply:
    """Publish an earn-rules version (积分规则): it applies to orders whose `occurred_at` is on or after its
    `effective_from` (default now) until a later version's. A back-dated version applies to orders reported from
    now on; orders already booked keep their points and their version. Rules are cached 30 seconds."""
    return Reply(_version_body(service.publish(ctx.body, ctx.caller.scope)), status=201)


@endpoint("/v1/points/rules/preview", "POST", summary="Score a sample order, rule by rule (writes nothing)",
          tag="points", access=WRITE_RULES, body=PreviewOrder, response=Preview)  # fmt: skip
def preview(ctx: RequestContext) -> Reply:
    """Score a sample order line by line with the rules in force at `occurred_at`, or with a draft `rules`, for a
    `tier` (with the tier programme's points multiplier, as a purchase would). Writes nothing."""
    order: PreviewOrder = ctx.body
    lines = [Line(i.line_id, i.sku, i.category, i.brand, i.quantity, i.amount_fen) for i in order.items]
    shares = [int(i.paid_fen) for i in order.items if i.paid_fen is not None]  # the lines' own 实付, as a purchase's
    return Reply(Preview.model_validate(service.preview(order.occurred_at, order.paid_fen, order.tier, lines,
                                                        order.rules, shares)))  # fmt: skip


@endpoint("/v1/webhooks/activities", "POST", summary="Report a rewarded activity (review, share, birthday ...)",
          tag="webhooks", access=PARTNER, body=ActivityReport, response=ActivityAnswer,
          errors=(Unauthenticated, Forbidden, service.MemberNotEligible, activities.NotTheirBirthday,
                  activities.ActivityConflict))  # fmt: skip
def activity(ctx: RequestContext) -> Reply:
    """A partner reports something a member did that the earn rules may reward: a review (评价), a share (分享)
    or a birthday (生日). Points and growth value once per event id; past the rules' per-day or per-month limit
    the activity is recorded with 0 points and `limited: true`. `occurred_at` may be at most 7 days back.

    Errors: 422 `not-their-birthday` outside the month of the member's birthday on record; 422
    `member-not-eligible` for a frozen, erased or unknown member; 409 `activity-conflict` for the same event id
    with other content; 403 for a member whose home store is outside the partner's stores."""
    return Reply(ActivityAnswer.model_validate(activities.report(ctx.caller, ctx.body)))


@endpoint("/v1/me/check-ins", "POST", summary="Check in for today (points as the rules say, once a day)",
          tag="me", access=MEMBER, response=ActivityAnswer, errors=(service.MemberNotEligible,))  # fmt: skip
def check_in(ctx: RequestContext) -> Reply:
    """The member's daily check-in (签到): points and growth value as the earn rules say, once per business day
    (a second check-in that day answers the first). Errors: 422 `member-not-eligible` for a frozen member."""
    return Reply(ActivityAnswer.model_validate(activities.check_in(ctx.caller.id)))


def _page(found: tuple[list[dict[str, object]], str | None]) -> Reply:
    items, cursor = found
    return Reply(PurchasePage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint("/v1/members/{member_id}/purchases", "GET", summary="A member's purchases, newest first",
          tag="purchases", access=HISTORY, query=PageQuery, response=PurchasePage,
          errors=(NotFound, InvalidCursor))  # fmt: skip
def member_purchases(ctx: RequestContext, member_id: str) -> Reply:
    """A member's consumption history (消费记录), newest first: each purchase with its lines, amounts,
    points and growth awarded, and what refunds took back. Staff scoped to stores see purchases made in their
    stores; a member is not shown the partner id.

    Errors: 404 for an unknown member, or another member's id from a member token."""
    query: PageQuery = ctx.query
    member_id = reachable(ctx.caller, member_id)
    return _page(history.of_member(member_id, ctx.caller.stores, query.limit, query.cursor,
                                   for_member=ctx.caller.is_member))  # fmt: skip


@endpoint("/v1/me/purchases", "GET", summary="My purchases, newest first", tag="me", access=MEMBER,
          query=PageQuery, response=PurchasePage, errors=(InvalidCursor,))  # fmt: skip
def my_purchases(ctx: RequestContext) -> Reply:
    """The member's own consumption history (消费记录), newest first."""
    query: PageQuery = ctx.query
    return _page(history.of_member(ctx.caller.id, frozenset(), query.limit, query.cursor, for_member=True))


@endpoint("/v1/stores/{store_id}/purchases", "GET", summary="A store's purchases between two days, newest first",
          tag="purchases", access=STORE_HISTORY, query=StorePurchasesQuery, response=PurchasePage,
          errors=(NotFound, InvalidCursor))  # fmt: skip
def store_purchases(ctx: RequestContext, store_id: str) -> Reply:
    """A store's purchases (门店消费) between two business days, newest first: its sales journal (`sales:journal`:
    store managers of their stores, finance and admins, who close a store's day).

    Errors: 404 for an unknown store or one outside the caller's stores; 422 when `to` is before `from` or more
    than 366 days after it."""
    query: StorePurchasesQuery = ctx.query
    require_theirs(ctx.caller, store_id)
    rows, cursor = history.of_store(store_id, query.from_, query.to, query.limit, query.cursor)
    return _page((members.with_briefs(rows), cursor))


@endpoint("/v1/stores/{store_id}/refunds", "GET", summary="The refunds given back at a store's till, newest first",
          tag="purchases", access=STORE_HISTORY, query=StorePurchasesQuery, response=TillRefundPage,
          errors=(NotFound, InvalidCursor))  # fmt: skip
def store_refunds(ctx: RequestContext, store_id: str) -> Reply:
    """The refunds given back at a store's till (门店退款) between two business days, newest first, whichever store
    made the sale (a chain serves everywhere): the money that left its drawer, with who gave it back
    (`sales:journal`). A partner's refunds go back through its own till and are not listed.

    Errors: 404 for an unknown store or one outside the caller's stores; 422 when `to` is before `from` or more
    than 366 days after it."""
    query: StorePurchasesQuery = ctx.query
    require_theirs(ctx.caller, store_id)
    rows, cursor = history.refunds_at(store_id, query.from_, query.to, query.limit, query.cursor)
    return Reply(TillRefundPage.model_validate({"items": members.with_briefs(rows), "next_cursor": cursor}))


@endpoint("/v1/me/points/rules", "GET", summary="How I earn points, in words (积分规则)", tag="me", access=MEMBER,
          response=RulesInWords)  # fmt: skip
def my_points_rules(ctx: RequestContext) -> Reply:
    """The earn rules in force now as the member reads them: the rate and its exceptions, what earns nothing, per-item
    bonuses, promotions under way or to come, their tier's multiplier, each activity with its limits, when points
    expire and what they pay at the till; in the language asked for (`Accept-Language`), item categories by the names
    `LOYALTY_CATEGORY_NAMES` gives."""
    return Reply(RulesInWords.model_validate(service.rules_for_member(ctx.caller.id, ctx.language)))
