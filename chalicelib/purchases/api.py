"""Purchase and refund webhooks (partner-signed) and the earn-rules routes (staff)."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.identity.access import MEMBER, PARTNER, Staff, StaffOrSelf
from chalicelib.identity.rules import Permission
from chalicelib.members.api import reachable
from chalicelib.purchases import activities, history, service
from chalicelib.purchases.rules import Line
from chalicelib.purchases.schemas import (
    ActivityAnswer,
    ActivityReport,
    Preview,
    PreviewOrder,
    Purchase,
    PurchaseAnswer,
    PurchasePage,
    Refund,
    RefundAnswer,
    RulesIn,
    RulesVersion,
    RulesVersions,
    StorePurchasesQuery,
)
from chalicelib.shared.errors import Forbidden, InvalidCursor, NotFound, Unauthenticated, ValidationFailed
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.shared.pagination import PageQuery
from chalicelib.stores.service import store_exists

bp = Blueprint(__name__)
READ_RULES = Staff(Permission.STORES_READ)
WRITE_RULES = Staff(Permission.RULES_WRITE)
HISTORY = StaffOrSelf(Permission.MEMBERS_READ, serves=True)  # purchases listed: those in the caller's stores
STORE_HISTORY = Staff(Permission.MEMBERS_READ)


@endpoint(bp, "/v1/webhooks/purchases", "POST", summary="Report a purchase (points once per order id)",
          tag="webhooks", access=PARTNER, body=Purchase, response=PurchaseAnswer,
          errors=(Unauthenticated, Forbidden, service.MemberNotEligible, service.OrderConflict))  # fmt: skip
def purchase(ctx: RequestContext) -> Reply:
    return Reply(PurchaseAnswer.model_validate(service.record_purchase(ctx.caller, ctx.body)))


@endpoint(bp, "/v1/webhooks/refunds", "POST", summary="Report a refund (points clawed back once per refund id)",
          tag="webhooks", access=PARTNER, body=Refund, response=RefundAnswer,
          errors=(Unauthenticated, NotFound, ValidationFailed, service.RefundConflict))  # fmt: skip
def refund(ctx: RequestContext) -> Reply:
    return Reply(RefundAnswer.model_validate(service.record_refund(ctx.caller, ctx.body)))


def _version_body(version: service.RulesVersion) -> RulesVersion:
    return RulesVersion.model_validate({**version.document.model_dump(), "version": version.version,
                                        "effective_from": version.effective_from, "created_at": version.created_at,
                                        "created_by": version.created_by})  # fmt: skip


@endpoint(bp, "/v1/points/rules", "GET", summary="Earn-rules versions and the one in force", tag="points",
          access=READ_RULES, response=RulesVersions)  # fmt: skip
def list_rules(ctx: RequestContext) -> Reply:
    from chalicelib.shared import clock

    known = service.versions()
    current = service.rules_at(clock.now(), known)
    return Reply(RulesVersions(current=_version_body(current) if current.version else None,
                               versions=[_version_body(v) for v in reversed(known)]))  # fmt: skip


@endpoint(bp, "/v1/points/rules", "POST", summary="Publish an earn-rules version", tag="points",
          access=WRITE_RULES, body=RulesIn, response=RulesVersion, status=201)  # fmt: skip
def publish_rules(ctx: RequestContext) -> Reply:
    return Reply(_version_body(service.publish(ctx.body, ctx.caller.scope)), status=201)


@endpoint(bp, "/v1/points/rules/preview", "POST", summary="Score a sample order, rule by rule (writes nothing)",
          tag="points", access=WRITE_RULES, body=PreviewOrder, response=Preview)  # fmt: skip
def preview(ctx: RequestContext) -> Reply:
    order: PreviewOrder = ctx.body
    lines = [Line(i.line_id, i.sku, i.category, i.brand, i.quantity, i.amount_fen) for i in order.items]
    return Reply(Preview.model_validate(service.preview(order.occurred_at, order.paid_fen, order.tier, lines,
                                                        order.rules)))  # fmt: skip


@endpoint(bp, "/v1/webhooks/activities", "POST", summary="Report a rewarded activity (review, share, birthday ...)",
          tag="webhooks", access=PARTNER, body=ActivityReport, response=ActivityAnswer,
          errors=(Unauthenticated, Forbidden, service.MemberNotEligible, activities.NotTheirBirthday,
                  activities.ActivityConflict))  # fmt: skip
def activity(ctx: RequestContext) -> Reply:
    return Reply(ActivityAnswer.model_validate(activities.report(ctx.caller, ctx.body)))


@endpoint(bp, "/v1/me/check-ins", "POST", summary="Check in for today (points as the rules say, once a day)",
          tag="me", access=MEMBER, response=ActivityAnswer, errors=(service.MemberNotEligible,))  # fmt: skip
def check_in(ctx: RequestContext) -> Reply:
    return Reply(ActivityAnswer.model_validate(activities.check_in(ctx.caller.id)))


def _page(found: tuple[list[dict[str, object]], str | None]) -> Reply:
    items, cursor = found
    return Reply(PurchasePage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint(bp, "/v1/members/{member_id}/purchases", "GET", summary="A member's purchases, newest first",
          tag="purchases", access=HISTORY, query=PageQuery, response=PurchasePage,
          errors=(NotFound, InvalidCursor))  # fmt: skip
def member_purchases(ctx: RequestContext, member_id: str) -> Reply:
    query: PageQuery = ctx.query
    member_id = reachable(ctx.caller, member_id)
    return _page(history.of_member(member_id, ctx.caller.stores, query.limit, query.cursor,
                                   for_member=ctx.caller.is_member))  # fmt: skip


@endpoint(bp, "/v1/me/purchases", "GET", summary="My purchases, newest first", tag="me", access=MEMBER,
          query=PageQuery, response=PurchasePage, errors=(InvalidCursor,))  # fmt: skip
def my_purchases(ctx: RequestContext) -> Reply:
    query: PageQuery = ctx.query
    return _page(history.of_member(ctx.caller.id, frozenset(), query.limit, query.cursor, for_member=True))


@endpoint(bp, "/v1/stores/{store_id}/purchases", "GET", summary="A store's purchases between two days, newest first",
          tag="purchases", access=STORE_HISTORY, query=StorePurchasesQuery, response=PurchasePage,
          errors=(NotFound, InvalidCursor))  # fmt: skip
def store_purchases(ctx: RequestContext, store_id: str) -> Reply:
    query: StorePurchasesQuery = ctx.query
    if not ctx.caller.covers_store(store_id) or not store_exists(store_id):
        raise NotFound(f"No store {store_id!r}")
    return _page(history.of_store(store_id, query.from_, query.to, query.limit, query.cursor))
