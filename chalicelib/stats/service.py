"""The dashboard's reads: a period's day figures and the standing figures, from what the statistics consumer keeps
(one query per period, two reads for the standing), never from a scan of members or ledgers."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.shared import clock
from chalicelib.shared.jobs import days
from chalicelib.stats.listeners import CHAIN, scope_of
from chalicelib.stats.records import FigureRecord
from chalicelib.stats.rules import DAILY
from chalicelib.tiers import programmes


def daily(first: date, last: date, store_id: str | None) -> dict[str, Any]:
    """One row per business day from ``first`` through ``last`` (days without events are zeros) and the period's
    totals, for the chain (``store_id`` None) or one store."""
    found = {
        record.key.removeprefix("day#"): record
        for record in FigureRecord.query(
            scope_of(store_id), FigureRecord.key.between(f"day#{first.isoformat()}", f"day#{last.isoformat()}"),
            consistent_read=True,
        )
    }  # fmt: skip
    rows: list[dict[str, int]] = []
    for day in days(first, last):
        record = found.get(day.isoformat())
        rows.append({name: int(getattr(record, name) or 0) if record else 0 for name in DAILY})
    totals = {name: sum(row[name] for row in rows) for name in DAILY}
    rows_of_days = [{"day": day.isoformat(), **row} for day, row in zip(days(first, last), rows, strict=True)]
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "store_id": store_id,
        "days": rows_of_days,
        "totals": totals,
    }


def summary(store_id: str | None) -> dict[str, Any]:
    """The standing figures: members and their tiers (of the chain, or of the members whose home store is
    ``store_id``), and for the chain the points outstanding and the stored-value float."""
    scope = scope_of(store_id)
    counted = {
        record.key.removeprefix("tier#"): int(record.members or 0)
        for record in FigureRecord.query(scope, FigureRecord.key.startswith("tier#"), consistent_read=True)
    }
    tiers = {tier.code: 0 for tier in programmes.programme().tiers}
    tiers.update({code: members for code, members in counted.items() if members or code in tiers})
    figures: dict[str, Any] = {
        "store_id": store_id, "as_of": clock.iso(clock.now()), "members_total": sum(tiers.values()),
        "tier_distribution": tiers, "points_outstanding": None, "wallet_float_fen": None,
    }  # fmt: skip
    if scope == CHAIN:
        standing = FigureRecord.find(CHAIN, "now")
        principal = int(standing.wallet_principal_fen or 0) if standing else 0
        bonus = int(standing.wallet_bonus_fen or 0) if standing else 0
        figures["points_outstanding"] = int(standing.points_outstanding or 0) if standing else 0
        figures["wallet_float_fen"] = {"principal_fen": principal, "bonus_fen": bonus, "total_fen": principal + bonus}
    return figures
