"""Statistics routes: the dashboard's figures by day and as they stand (reports, within the caller's stores)."""

from __future__ import annotations

from chalicelib.identity.access import Caller, Staff
from chalicelib.identity.rules import Permission
from chalicelib.shared.errors import ValidationFailed
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.stats import service
from chalicelib.stats.schemas import DailyQuery, DailyStats, StatsSummary, SummaryQuery

REPORTS = Staff(Permission.REPORTS_READ)


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
