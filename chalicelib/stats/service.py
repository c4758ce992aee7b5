"""The dashboard's reads: a period's day figures and the standing figures, from what the statistics consumer keeps
(a query per shard for a period, a few reads for the standing), never from a scan of members or ledgers."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.shared import clock
from chalicelib.shared.jobs import days
from chalicelib.stats.listeners import CHAIN, scope_of
from chalicelib.stats.reports import Figures, members_by_tier, standing
from chalicelib.stats.rules import DAILY
from chalicelib.tiers import programmes


def daily(first: date, last: date, store_id: str | None) -> dict[str, Any]:
    """One row per business day from ``first`` through ``last`` (days without events are zeros) and the period's
    totals, for the chain (``store_id`` None) or one store."""
    figures = Figures([scope_of(store_id)], first, [], through=last)
    rows: list[dict[str, Any]] = [
        {"day": day.isoformat(), **{name: figures.days[day.isoformat()][name] for name in DAILY}}
        for day in days(first, last)
    ]
    totals = {name: sum(int(row[name]) for row in rows) for name in DAILY}
    return {"from": first.isoformat(), "to": last.isoformat(), "store_id": store_id, "days": rows, "totals": totals}


def summary(store_id: str | None) -> dict[str, Any]:
    """The standing figures: members and their tiers (of the chain, or of the members whose home store is
    ``store_id``), and for the chain the points outstanding and the stored-value float."""
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
        figures["wallet_float_fen"] = {"principal_fen": principal, "bonus_fen": bonus, "total_fen": principal + bonus}
    return figures
