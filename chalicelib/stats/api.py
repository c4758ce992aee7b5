"""Statistics routes: the dashboard's figures by day and as they stand (reports, within the caller's stores)."""

from __future__ import annotations

from chalicelib.coupons.service import liability as coupon_liability
from chalicelib.identity.access import Caller, Staff
from chalicelib.identity.rules import Permission
from chalicelib.mall.orders import open_orders
from chalicelib.shared import clock
from chalicelib.shared.errors import ValidationFailed
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.shared.settings import get_settings
from chalicelib.stats import reports, service
from chalicelib.stats.listeners import CHAIN, scope_of
from chalicelib.stats.schemas import (
    DailyQuery,
    DailyStats,
    Liability,
    LiabilityQuery,
    MembersReport,
    PointsReport,
    ReportQuery,
    SalesQuery,
    SalesReport,
    StatsSummary,
    SummaryQuery,
)
from chalicelib.stores.service import stores_in_region

REPORTS = Staff(Permission.REPORTS_READ)
MONEY = Staff(Permission.REPORTS_MONEY)


def _store_in_scope(caller: Caller, store_id: str | None) -> str | None:
    """The store to read: staff scoped to stores read one of theirs (the only one when they have one and name
    none); unscoped staff may leave it out for the whole chain."""
    scope = sorted(caller.stores)
    if scope and store_id is None and len(scope) == 1:
        return scope[0]
    if scope and store_id not in scope:
        message = f"one of your stores: {', '.join(scope)}" if store_id is None else "not one of your stores"
        raise ValidationFailed([{"field": "store_id", "in": "query", "message": message}])
    return store_id


@endpoint("/v1/stats/daily", "GET", summary="The dashboard's figures day by day", tag="stats", access=REPORTS,
          query=DailyQuery, response=DailyStats)  # fmt: skip
def get_daily_stats(ctx: RequestContext) -> Reply:
    """What was booked on each business day from `from` through `to` (at most 92 days), for the whole chain or one
    store: members registered, purchases and sales, refunds, points issued, redeemed, expired and deducted, wallet
    top-ups and payments, with the period's totals. Days without events are zeros. A day counts what was booked on
    it (a late purchase upload counts on the day it arrived, as the ledger books it). A store counts its purchases and
    refunds, the points they earned or took back, its wallet movements, and the members registered with it as their
    home store; points redeemed, adjusted or expired belong to no store and count for the chain only. Kept from the
    event stream (figures follow writes within seconds); one query a period.

    Errors: 422 for `to` before `from` or more than 92 days, and, for staff scoped to stores, a store outside
    them (or none named when they have several)."""
    query: DailyQuery = ctx.query
    store_id = _store_in_scope(ctx.caller, query.store_id)
    return Reply(DailyStats.model_validate(service.daily(query.from_, query.to, store_id)))


@endpoint("/v1/stats/summary", "GET", summary="The dashboard's figures as they stand", tag="stats",
          access=REPORTS, query=SummaryQuery, response=StatsSummary)  # fmt: skip
def get_stats_summary(ctx: RequestContext) -> Reply:
    """The standing figures: members (not erased) and their distribution by tier, for the chain or for the members
    whose home store is `store_id`; for the chain also the points outstanding (the sum of every member's points
    ledger) and the stored-value float, principal and bonus apart (a store's are null: points and stored value are
    the chain's). Running totals kept from the event stream, never a scan; two reads.

    Errors: 422, for staff scoped to stores, for a store outside them (or none named when they have several)."""
    store_id = _store_in_scope(ctx.caller, ctx.query.store_id)
    return Reply(StatsSummary.model_validate(service.summary(store_id)))


# --- reports (经营报表) -------------------------------------------------------------------------------------------


def _report_scope(caller: Caller, query: ReportQuery) -> reports.Scope:
    """What a report reads for the caller: staff scoped to stores read one of theirs (the only one when they have one
    and name none); others the chain, a store, a region's stores, a tier's or a payment method's figures."""
    named = {name: value for name, value in query.dimensions().items() if value is not None}
    if caller.stores and set(named) - {"store_id"}:
        raise ValidationFailed([{"field": next(iter(named)), "in": "query",
                                 "message": "staff scoped to stores report on one of their stores"}])  # fmt: skip
    if caller.stores or "store_id" in named:
        store_id = _store_in_scope(caller, query.store_id)
        return reports.Scope([scope_of(store_id)], distinct=True, chain=store_id is None)
    if "region" in named:
        stores = stores_in_region(named["region"])
        if not stores:
            raise ValidationFailed([{"field": "region", "in": "query", "message": "no store is in this region"}])
        return reports.Scope([scope_of(store) for store in stores], distinct=False, chain=False)
    if "tier" in named:
        return reports.Scope([f"tier#{named['tier']}"], distinct=False, chain=False)
    if "payment_method" in named:
        return reports.Scope([f"pay#{named['payment_method']}"], distinct=False, chain=False)
    return reports.Scope([CHAIN], distinct=True, chain=True)


def _not_after_today(query: ReportQuery) -> None:
    if query.to > clock.business_today():
        raise ValidationFailed([{"field": "to", "in": "query", "message": "a day that has not come has no figures"}])


@endpoint("/v1/reports/members", "GET", summary="Members by period: new, active, total", tag="reports",
          access=REPORTS, query=ReportQuery, response=MembersReport)  # fmt: skip
def get_members_report(ctx: RequestContext) -> Reply:
    """Members registered and erased, distinct members active (a purchase or an activity) in each day, ISO week or
    month, and the members at each period's end, for the chain, a store (its home members) or a region. Kept from the
    event stream (figures trail writes by the statistics queue's delay, seconds); reads grow with the days asked,
    never with the members.

    Errors: 422 for `to` before `from` or after today, a span too long for the granularity, more than one of
    `store_id` and `region`, a region without stores, and, for staff scoped to stores, anything but one of them."""
    query: ReportQuery = ctx.query
    _not_after_today(query)
    scope = _report_scope(ctx.caller, query)
    return Reply(MembersReport.model_validate(reports.members_report(scope, query.from_, query.to, query.granularity)))


@endpoint("/v1/reports/sales", "GET", summary="Sales through the programme by period", tag="reports",
          access=REPORTS, query=SalesQuery, response=SalesReport)  # fmt: skip
def get_sales_report(ctx: RequestContext) -> Reply:
    """Purchases and refunds by period, with what members paid, the average order (客单价), buyers, repeat buyers and
    the repurchase rate (复购率: repeat buyers ÷ buyers of the whole day, week or month), for the chain, a store, a
    region, a tier or a payment method. Amounts are null for staff without `reports:money` (finance and admins see
    money; marketing and store managers see counts).

    Errors: 422 as for the members report, and for more than one of `store_id`, `region`, `tier`,
    `payment_method`."""
    query: SalesQuery = ctx.query
    _not_after_today(query)
    scope = _report_scope(ctx.caller, query)
    money = ctx.caller.may(Permission.REPORTS_MONEY)
    answer = reports.sales_report(scope, query.from_, query.to, query.granularity, money)
    return Reply(SalesReport.model_validate(answer))


@endpoint("/v1/reports/points", "GET", summary="Points issued, redeemed, expired and outstanding by period",
          tag="reports", access=REPORTS, query=ReportQuery, response=PointsReport)  # fmt: skip
def get_points_report(ctx: RequestContext) -> Reply:
    """Points issued (by source), redeemed, expired, clawed back and adjusted out in each period, the points
    outstanding at its end (the chain's), and the consumption rate (积分消耗率) over the window and since the start.
    A store counts what happened there (its purchases' points and refunds' claw-backs).

    Errors: 422 as for the members report."""
    query: ReportQuery = ctx.query
    _not_after_today(query)
    scope = _report_scope(ctx.caller, query)
    return Reply(PointsReport.model_validate(reports.points_report(scope, query.from_, query.to, query.granularity)))


@endpoint("/v1/reports/liability", "GET", summary="What the programme owes (负债)", tag="reports", access=MONEY,
          query=LiabilityQuery, response=Liability)  # fmt: skip
def get_liability(ctx: RequestContext) -> Reply:
    """What the programme owes at the end of `as_of` (default today): the points outstanding at the configured value
    of a point (`LOYALTY_POINT_VALUE_FEN`) with the breakage expected at the rate points expired so far, stored value's
    principal and bonus, usable coupons' face value and unfulfilled mall orders (these two as they stand now), and
    the total. Finance and admins (`reports:money`); the chain's only.

    Errors: 422 for a day after today."""
    as_of = ctx.query.as_of or clock.business_today()
    if as_of > clock.business_today():
        raise ValidationFailed([{"field": "as_of", "in": "query", "message": "a day that has not come"}])
    value = get_settings().point_value_fen
    coupons = int(coupon_liability()["total_usable_face_value_fen"])
    mall = open_orders()
    owed = {"open": mall["open"], "value_fen": mall["cash_fen"] + int(mall["points"] * value)}
    return Reply(Liability.model_validate(reports.liability(as_of, value, coupons, owed)))
