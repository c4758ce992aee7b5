"""The dashboard's reads: a period's day figures and the standing figures, from what the statistics consumer keeps
(a query per shard for a period, a few reads for the standing), never from a scan of members or ledgers."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.catalog import service as catalog
from chalicelib.coupons.service import liability as coupon_liability
from chalicelib.mall.orders import open_orders
from chalicelib.shared import clock
from chalicelib.shared.errors import ValidationFailed
from chalicelib.shared.jobs import days
from chalicelib.shared.settings import get_settings
from chalicelib.stats import reports
from chalicelib.stats.listeners import CHAIN, scope_of
from chalicelib.stats.reports import Figures, members_by_tier, read_day, standing
from chalicelib.stats.rules import DAILY, DISTINCT, MOVES, OTHER, REPORTED
from chalicelib.stats.schemas import MixQuery, ReportQuery, ScopedQuery
from chalicelib.stores.service import all_stores, store_exists, stores_in_city, stores_in_region
from chalicelib.tiers import programmes

DASHBOARD = (*DAILY, "cards_revenue_fen", "cards_uses")  # and the paid cards (a gym's sales are mostly cards)


def daily(first: date, last: date, store_id: str | None, money: bool = True) -> dict[str, Any]:
    """One row per business day from ``first`` through ``last`` (days without events are zeros) and the period's
    totals, for the chain (``store_id`` None) or one store; amounts are None unless the caller sees ``money``."""
    figures = Figures([scope_of(store_id)], first, [], through=last)
    rows: list[dict[str, Any]] = [
        {"day": day.isoformat(), **{name: figures.days[day.isoformat()][name] for name in DASHBOARD}}
        for day in days(first, last)
    ]
    totals = {name: sum(int(row[name]) for row in rows) for name in DASHBOARD}
    if not money:
        for figures_of in (*rows, totals):
            figures_of.update({name: None for name in DASHBOARD if name.endswith("_fen")})
    return {"from": first.isoformat(), "to": last.isoformat(), "store_id": store_id, "days": rows, "totals": totals}


def summary(store_id: str | None, money: bool = True) -> dict[str, Any]:
    """The standing figures: members and their tiers (of the chain, or of the members whose home store is
    ``store_id``), and for the chain the points outstanding and (for callers who see ``money``) the stored-value
    float."""
    scope = scope_of(store_id)
    counted = members_by_tier(scope)
    tiers = {tier.code: 0 for tier in programmes.programme().tiers}
    tiers.update({code: members for code, members in counted.items() if members or code in tiers})
    figures: dict[str, Any] = {
        "store_id": store_id, "as_of": clock.iso(clock.now()), "members_total": sum(tiers.values()),
        "tier_distribution": tiers, "points_outstanding": None, "wallet_float_fen": None,
    }  # fmt: skip
    if scope == CHAIN:
        now = standing(CHAIN)
        principal, bonus = now["wallet_principal_fen"], now["wallet_bonus_fen"]
        figures["points_outstanding"] = now["points_outstanding"]
        if money:
            figures["wallet_float_fen"] = {
                "principal_fen": principal,
                "bonus_fen": bonus,
                "total_fen": principal + bonus,
            }
    return figures


FIGURE_NAMES = (
    *DAILY,
    *REPORTED,
    *DISTINCT,
    *MOVES,
)  # a day's figures, as BI's ``daily_figures`` lists them (new last)


def day_figures(day: date, scopes: list[str]) -> list[dict[str, Any]]:
    """The figures of one business day for the chain and the ``scopes`` named (``store#<id>``, ``tier#<code>``,
    ``pay#<method>``), each scope's shards added up; a scope without figures that day is left out. One batch read per
    25 scopes."""
    wanted = [CHAIN, *sorted(set(scopes) - {CHAIN})]
    found = read_day(day, wanted)
    return [{"business_day": day.isoformat(), "scope": scope, **found[scope]} for scope in wanted if scope in found]


# --- reports (经营报表) for a caller's stores ---------------------------------------------------------------------


def store_in_scope(stores: frozenset[str], store_id: str | None, where: str = "query") -> str | None:
    """The store to read: staff scoped to stores read one of theirs (the only one when they have one and name
    none); unscoped staff may leave it out for the whole chain."""
    scope = sorted(stores)
    if scope and store_id is None and len(scope) == 1:
        return scope[0]
    if scope and store_id not in scope:
        message = f"one of your stores: {', '.join(scope)}" if store_id is None else "not one of your stores"
        raise ValidationFailed([{"field": "store_id", "in": where, "message": message}])
    if store_id is not None and not store_exists(store_id):  # a typo read as a store of zeros (an operator)
        raise ValidationFailed([{"field": "store_id", "in": where, "message": "no such store"}])
    return store_id


def report_scope(stores: frozenset[str], query: ScopedQuery, where: str = "query") -> reports.Scope:
    """What a report reads for a caller scoped to ``stores``: staff scoped to stores read one of theirs (the only one
    when they have one and name none); others the chain, a store, a region's or a city's stores, a tier's or a payment
    method's figures."""
    named = {name: value for name, value in query.dimensions().items() if value is not None}
    if stores and set(named) - {"store_id"}:
        raise ValidationFailed([{"field": next(iter(named)), "in": where,
                                 "message": "staff scoped to stores report on one of their stores"}])  # fmt: skip
    if stores or "store_id" in named:
        store_id = store_in_scope(stores, query.store_id, where)
        return reports.Scope([scope_of(store_id)], distinct=True, chain=store_id is None)
    for area, stores_in in (("region", stores_in_region), ("city", stores_in_city)):
        if area in named:
            found = stores_in(named[area])
            if not found:
                raise ValidationFailed([{"field": area, "in": where, "message": f"no store is in this {area}"}])
            return reports.Scope([scope_of(store) for store in found], distinct=False, chain=False)
    if "tier" in named:
        return reports.Scope([f"tier#{named['tier']}"], distinct=False, chain=False)
    if "payment_method" in named:
        return reports.Scope([f"pay#{named['payment_method']}"], distinct=False, chain=False)
    return reports.Scope([CHAIN], distinct=True, chain=True)


def _not_ahead(query: ScopedQuery, where: str) -> None:
    if query.to > clock.business_today():
        raise ValidationFailed([{"field": "to", "in": where, "message": "a day that has not come has no figures"}])


def report(name: str, query: ReportQuery, stores: frozenset[str], money: bool, where: str = "query") -> dict[str, Any]:
    """A report's answer for a caller scoped to ``stores`` (none: the chain's), with the sales' and the programme's
    amounts when ``money``."""
    _not_ahead(query, where)
    scope = report_scope(stores, query, where)
    if name == "members":
        return reports.members_report(scope, query.from_, query.to, query.granularity)
    if name == "points":
        return reports.points_report(scope, query.from_, query.to, query.granularity)
    if name == "programme":
        return reports.programme_report(scope, query.from_, query.to, query.granularity, money)
    return reports.sales_report(scope, query.from_, query.to, query.granularity, money)


def sales_mix(query: MixQuery, stores: frozenset[str], money: bool, language: str) -> dict[str, Any]:
    """The sales mix for a caller scoped to ``stores``, categories named in ``language``, amounts when ``money``."""
    _not_ahead(query, "query")
    zh = language.startswith("zh")
    names = {**catalog.category_names(zh), OTHER: "其他品类" if zh else "other categories"}
    if query.category:
        category: str | None = catalog.codes_of(catalog.catalogue()["categories"]).get(query.category, query.category)
    else:
        category = None
    if category is not None and (stores or any(query.dimensions().values())):
        detail = "a category's hours are the chain's: name no store, region or city"
        raise ValidationFailed([{"field": "category", "in": "query", "message": detail}], detail)
    return reports.mix_report(report_scope(stores, query), query.from_, query.to, money, names, category)


def liability(as_of: date | None, where: str = "query") -> dict[str, Any]:
    """What the programme owes at the end of ``as_of`` (default today)."""
    as_of = as_of or clock.business_today()
    if as_of > clock.business_today():
        raise ValidationFailed([{"field": "as_of", "in": where, "message": "a day that has not come"}])
    value = get_settings().point_value_fen
    coupons = int(coupon_liability()["total_usable_face_value_fen"])
    stores = [store.store_id for store in all_stores()]
    return reports.liability(as_of, value, coupons, open_orders(), stores)
