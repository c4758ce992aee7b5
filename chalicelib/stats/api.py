"""Statistics routes: the dashboard's figures by day and as they stand (reports, within the caller's stores)."""

from __future__ import annotations

from typing import Any

from chalicelib.exports.reports import export_report as export_file
from chalicelib.exports.rules import file_word
from chalicelib.identity.access import Caller, Staff
from chalicelib.identity.rules import Permission
from chalicelib.shared.errors import Forbidden
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.stats import service
from chalicelib.stats.schemas import (
    DailyQuery,
    DailyStats,
    Liability,
    LiabilityQuery,
    MembersReport,
    MixQuery,
    MixReport,
    PointsReport,
    ProgrammeReport,
    ReportExport,
    ReportExportIn,
    ReportQuery,
    SalesQuery,
    SalesReport,
    StatsSummary,
    SummaryQuery,
)

REPORTS = Staff(Permission.REPORTS_READ)
MONEY = Staff(Permission.REPORTS_MONEY, chain=True)


@endpoint("/v1/stats/daily", "GET", summary="The dashboard's figures day by day", tag="stats", access=REPORTS,
          query=DailyQuery, response=DailyStats)  # fmt: skip
def get_daily_stats(ctx: RequestContext) -> Reply:
    """What was booked on each business day from `from` through `to` (at most 92 days), for the whole chain or one
    store: members registered, purchases and sales, refunds, points issued, redeemed, expired and deducted, wallet
    top-ups and payments, with the period's totals. Amounts are null for staff without `reports:money`, as in the
    reports (finance and admins see money; marketing and store managers see counts). Days without events are zeros.
    A day counts what was booked on it (a late purchase upload counts on the day it arrived, as the ledger books
    it), except an expiry of points: booked by the nightly job minutes into the next day, it counts in the day whose
    end the points expired at. A store counts its purchases and refunds, the points they earned or took back, its
    wallet movements, and the members registered with it as their home store; points redeemed, adjusted or expired
    belong to no store and count for the chain only. Kept from the event stream (figures follow writes within
    seconds); one query a period.

    Errors: 422 for `to` before `from` or more than 92 days, and, for staff scoped to stores, a store outside
    them (or none named when they have several)."""
    query: DailyQuery = ctx.query
    store_id = service.store_in_scope(ctx.caller.stores, query.store_id)
    money = ctx.caller.may(Permission.REPORTS_MONEY)
    return Reply(DailyStats.model_validate(service.daily(query.from_, query.to, store_id, money)))


@endpoint("/v1/stats/summary", "GET", summary="The dashboard's figures as they stand", tag="stats",
          access=REPORTS, query=SummaryQuery, response=StatsSummary)  # fmt: skip
def get_stats_summary(ctx: RequestContext) -> Reply:
    """The standing figures: members (not erased) and their distribution by tier, for the chain or for the members
    whose home store is `store_id`; for the chain also the points outstanding (the sum of every member's points
    ledger) and the stored-value float, principal and bonus apart (a store's are null: points and stored value are
    the chain's; the float is null without `reports:money`). Running totals kept from the event stream, never a scan;
    two reads.

    Errors: 422, for staff scoped to stores, for a store outside them (or none named when they have several)."""
    store_id = service.store_in_scope(ctx.caller.stores, ctx.query.store_id)
    return Reply(StatsSummary.model_validate(service.summary(store_id, ctx.caller.may(Permission.REPORTS_MONEY))))


# --- reports (经营报表) -------------------------------------------------------------------------------------------


def _report(caller: Caller, name: str, query: ReportQuery, where: str = "query") -> dict[str, Any]:
    return service.report(name, query, caller.stores, caller.may(Permission.REPORTS_MONEY), where)


@endpoint("/v1/reports/members", "GET", summary="Members by period: new, active, total", tag="reports",
          access=REPORTS, query=ReportQuery, response=MembersReport)  # fmt: skip
def get_members_report(ctx: RequestContext) -> Reply:
    """Members registered and erased, distinct members active (a purchase or an activity) in each day, ISO week or
    month, and the members at each period's end, for the chain, a store (its home members) or a region. Kept from the
    event stream (figures trail writes by the statistics queue's delay, seconds); reads grow with the days asked,
    never with the members.

    Errors: 422 for `to` before `from` or after today, a span too long for the granularity, more than one of
    `store_id` and `region`, a region without stores, and, for staff scoped to stores, anything but one of them."""
    return Reply(MembersReport.model_validate(_report(ctx.caller, "members", ctx.query)))


@endpoint("/v1/reports/sales", "GET", summary="Sales through the programme by period", tag="reports",
          access=REPORTS, query=SalesQuery, response=SalesReport)  # fmt: skip
def get_sales_report(ctx: RequestContext) -> Reply:
    """Purchases and refunds by period, with what members paid, the average order (客单价), buyers, repeat buyers and
    the repurchase rate (复购率: repeat buyers ÷ buyers of the whole day, week or month), for the chain, a store, a
    region, a tier or a payment method. Amounts are null for staff without `reports:money` (finance and admins see
    money; marketing and store managers see counts).

    Errors: 422 as for the members report, and for more than one of `store_id`, `region`, `tier`,
    `payment_method`."""
    return Reply(SalesReport.model_validate(_report(ctx.caller, "sales", ctx.query)))


@endpoint("/v1/reports/sales-mix", "GET", summary="What members buy and when: categories and hours (商品与时段)",
          tag="reports", access=REPORTS, query=MixQuery, response=MixReport)  # fmt: skip
def get_sales_mix(ctx: RequestContext) -> Reply:
    """Over the window (at most 92 days), for the chain, a store, a region or a city: each category (品类分析) with the
    items and what members paid for its lines, what refunds took back and its share of the net; every hour of the week
    (时段分析: weekday and hour in the business time zone, when the till says the order was placed) with its purchases,
    and the three busiest; with `category`, the hours are that category's (when bread sells, and coffee: the
    purchases holding it and what its lines paid). A line's amount is what was paid for it (its share of the order's
    payment, or the line's `paid_fen` a partner gave); lines without a category, and orders reported without their
    lines, count under a null category. Refunds count on the day they are booked and take back from categories, not
    from hours. Counted from the purchases and refunds recorded since the mix was kept (December 2026). Amounts are
    null without `reports:money`. A query a shard and store (two with `category`).

    Errors: 422 as for the members report (a window of at most 92 days)."""
    money = ctx.caller.may(Permission.REPORTS_MONEY)
    return Reply(MixReport.model_validate(service.sales_mix(ctx.query, ctx.caller.stores, money, ctx.language)))


@endpoint("/v1/reports/points", "GET", summary="Points issued, redeemed, expired and outstanding by period",
          tag="reports", access=REPORTS, query=ReportQuery, response=PointsReport)  # fmt: skip
def get_points_report(ctx: RequestContext) -> Reply:
    """Points issued (by source), redeemed, expired, clawed back and adjusted out in each period, the points
    outstanding at its end (the chain's), and the consumption rate (积分消耗率) over the window and since the start.
    A store counts what happened there (its purchases' points and refunds' claw-backs).

    Errors: 422 as for the members report."""
    return Reply(PointsReport.model_validate(_report(ctx.caller, "points", ctx.query)))


@endpoint("/v1/reports/programme", "GET", summary="Coupons, mall orders, paid cards and stored value by period",
          tag="reports", access=REPORTS, query=ReportQuery, response=ProgrammeReport)  # fmt: skip
def get_programme_report(ctx: RequestContext) -> Reply:
    """What the programme's assets did in each period (权益与储值): coupons issued, used, given back by refunds,
    expired and voided, with the discount used; points-mall orders placed, completed and cancelled, with their cash;
    paid cards sold, trials, renewed, lapsed and cancelled, with what they brought; stored value paid in and spent, and
    held at each period's end (the chain's). A store counts what happened there (coupons used and stored value paid
    there); the mall and cards belong to the chain. Amounts are null without `reports:money`.

    Errors: 422 as for the members report."""
    return Reply(ProgrammeReport.model_validate(_report(ctx.caller, "programme", ctx.query)))


@endpoint("/v1/reports/liability", "GET", summary="What the programme owes (负债)", tag="reports", access=MONEY,
          query=LiabilityQuery, response=Liability)  # fmt: skip
def get_liability(ctx: RequestContext) -> Reply:
    """What the programme owes at the end of `as_of` (default today): the points outstanding at the configured value
    of a point (`LOYALTY_POINT_VALUE_FEN`) with the breakage expected at the rate points expired so far, stored value's
    principal and bonus, usable coupons' face value and unfulfilled mall orders (these two as they stand now, the
    orders also by how long they have waited), paid cards' days not given yet (会员卡预收: each payment shared over the
    days it paid for, lifetime cards apart; null more than 92 days back), and the total. Broken down, for a day in the
    last 92 days (else null):
    the points by the quarter their lots expire, with the debt members owe (积分账龄), and the points and stored value
    by the store whose counter added them (跨店结算; `elsewhere` the rest). Staff with `reports:money` who are not
    scoped to stores (finance, admins): a store manager's `reports:money` is their stores' amounts in the reports.

    Errors: 422 for a day after today."""
    return Reply(Liability.model_validate(service.liability(ctx.query.as_of)))


@endpoint("/v1/reports/exports", "POST", summary="Export a report as a CSV file", tag="reports", access=REPORTS,
          body=ReportExportIn, response=ReportExport, status=201)  # fmt: skip
def export_report(ctx: RequestContext) -> Reply:
    """Write a report (`members`, `sales`, `points` or `programme` with `from`, `to`, `granularity` and a scope, as
    their GET routes take them; or the `liability` with `as_of`) as a CSV file in UTF-8 with a BOM (Excel opens it in
    Chinese): its rows, nested figures in dotted columns (`issued_by_source.purchases`), then a `total` row. Answers
    a link that downloads it for 15 minutes (S3's pre-signed link when deployed; the file is kept 7 days). The file
    holds what the caller may see: amounts only with `reports:money`, and the liability only for them. The audit log
    records the export (`report.exported`).

    Errors: 403 for the liability without `reports:money` or for staff scoped to stores; 422 as the report's own
    route answers, and for fields the report does not take."""
    body: ReportExportIn = ctx.body
    if body.report == "liability":
        if not ctx.caller.may(Permission.REPORTS_MONEY):
            raise Forbidden("the liability is for staff with reports:money (finance, admins)")
        if ctx.caller.stores:
            raise Forbidden("the liability is the whole chain's: staff scoped to stores may not export it")
        answer = service.liability(body.as_of, "body")
        file_name = f"liability_{answer['as_of']}.csv"
    else:
        query = body.query()
        answer = _report(ctx.caller, body.report, query, "body")
        named = next((value for value in query.dimensions().values() if value is not None), None)
        scope = f"_{file_word(named)}" if named else ""
        file_name = f"{body.report}_{query.from_}_{query.to}_{query.granularity}{scope}.csv"
    exported = export_file(body.report, answer, file_name)
    return Reply(ReportExport.model_validate(exported), 201)
