"""Points-mall rewards as the API asks: put on sale, read, listed, edited (terms, pictures, stock), browsed by members.

A reward's terms and stock are its ledger account (``mall-reward:<id>``, ``rules.StockBook``); its pictures and
description are its record, versioned for If-Match. Every write moves both in one transaction (``Mall.open_reward``,
``Mall.change_reward``); a read takes the record and the account, a list one query and one batch read a page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.identity.access import Caller
from chalicelib.ledger.engine import Holdings, idempotency_claim
from chalicelib.ledger.model import Account
from chalicelib.ledger.registry import ledger
from chalicelib.mall.records import REWARDS_SCOPE, MallRewardRecord
from chalicelib.mall.rules import (
    BOOKS,
    LIMIT,
    STOCK,
    Quota,
    Refusal,
    Stock,
    Terms,
    affordable,
    limit_holder,
    period_key,
    reward_holder,
)
from chalicelib.mall.service import mall
from chalicelib.media import rules as media_rules
from chalicelib.media import service as media
from chalicelib.points import service as points
from chalicelib.shared import clock
from chalicelib.shared.cache import Cached
from chalicelib.shared.db import one_page
from chalicelib.shared.errors import NotFound, PreconditionFailed, ValidationFailed
from chalicelib.shared.idempotency import IdempotencyKey
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.versions import Expected
from chalicelib.tiers import service as tiers

READ_BATCH = 100  # accounts per BatchGetItem


def _require_template(template_id: str) -> None:
    """A coupon reward names a coupon template that exists (whether it still issues is the coupons domain's to say at
    each exchange: a coupon it refuses cancels that order)."""
    from chalicelib.coupons.service import get_template

    try:
        get_template(template_id)
    except NotFound:
        problem = {"field": "template_id", "in": "body", "message": f"no coupon template {template_id!r}"}
        raise ValidationFailed([problem], f"No coupon template {template_id!r}") from None


# --- the use cases ----------------------------------------------------------------------------------


def _iso(instant: datetime | None) -> str | None:
    return clock.iso(instant) if instant else None


def _reward_view(record: MallRewardRecord, stock: Stock, version: int | None = None) -> dict[str, Any]:
    terms = stock.terms
    assert terms is not None
    return {
        "reward_id": record.reward_id,
        **{name: value for name, value in terms.to_json().items() if name != "selling"},
        "stock": stock.units,
        "stocked": stock.stocked,
        "sold": stock.sold,
        "status": "on_sale" if terms.selling else "stopped",
        "on_sale_now": terms.refusal(clock.iso(clock.now()), "") in (None, Refusal.TIER),
        **_pictures(record),
        "description": record.description,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "version": version if version is not None else int(record.version or 0),
    }


def _pictures(record: MallRewardRecord) -> dict[str, list[str]]:
    """A reward's pictures, and what lists show of each (a thumbnail of one published here)."""
    images = json.loads(record.images or "[]")
    return {"images": images, "thumbnails": [media_rules.thumbnail_of(url) for url in images]}


def _require_tier_prices(prices: Mapping[str, int], regular: int) -> None:
    """会员价 names tiers of the programme and is below the regular price."""
    _require_tiers(list(prices), field="tier_points")
    if any(price >= regular for price in prices.values()):
        detail = "a tier's price is below points (会员价 is a lower price)"
        raise ValidationFailed([{"field": "tier_points", "in": "body", "message": detail}], detail)


def _require_tiers(codes: Sequence[str], field: str = "tiers") -> None:
    """A reward kept for tiers (or priced for them) names tiers of the programme members are judged by (a typo would
    keep it from everyone)."""
    from chalicelib.tiers.programmes import programme

    current = programme()
    unknown = [code for code in codes if not current.knows(code)]
    if unknown:
        detail = f"not a tier of the current programme: {', '.join(unknown)}"
        raise ValidationFailed([{"field": field, "in": "body", "message": detail}], detail)


def create_reward(caller: Caller, body: Any, key: IdempotencyKey | None) -> dict[str, Any]:
    """Put a reward in the mall (marketing, admins), its first stock on its account; once per Idempotency-Key."""
    if body.template_id is not None:
        _require_template(body.template_id)
    _require_tiers(body.tiers)
    _require_tier_prices(body.tier_points, body.points)
    media.require_published(body.images, "images")
    reward_id, now = new_id("rw_"), clock.iso(clock.now())
    terms = Terms(
        name=body.name,
        kind=body.kind,
        points=body.points,
        cash_fen=body.cash_fen,
        per_member_limit=body.per_member_limit,
        limit_period=body.limit_period,
        tiers=tuple(body.tiers),
        on_sale_from=_iso(body.on_sale_from),
        on_sale_until=_iso(body.on_sale_until),
        fulfilment=body.fulfilment,
        template_id=body.template_id,
        tier_points=dict(body.tier_points),
    )
    record = MallRewardRecord(
        REWARDS_SCOPE,
        reward_id,
        images=json.dumps(body.images),
        description=body.description,
        created_at=now,
        created_by=caller.scope,
        updated_at=now,
    )
    put = [lambda tx: tx.put(record, condition=MallRewardRecord.reward_id.does_not_exist())]
    repeat = mall().open_reward(reward_id, terms, body.stock, claim=idempotency_claim(key), attach=put)
    if repeat:
        return get_reward(_replayed_reward(key))
    return _reward_view(record, Stock(body.stock, body.stock, 0, terms), version=1)


def _replayed_reward(key: IdempotencyKey | None) -> str:
    claim = idempotency_claim(key)
    assert claim is not None
    stored = ledger().store.read_claim(claim.key)
    assert stored is not None
    return str(stored.result["reward_id"])


def get_reward(reward_id: str) -> dict[str, Any]:
    record = MallRewardRecord.find(REWARDS_SCOPE, reward_id)
    stock: Stock = ledger().holdings(reward_holder(reward_id)).state(reward_holder(reward_id), STOCK)
    if record is None or stock.terms is None:
        raise NotFound(f"No reward {reward_id!r}")
    return _reward_view(record, stock)


def _stocks(reward_ids: Sequence[str], also: Sequence[str] = ()) -> Holdings:
    """The accounts of these rewards (and ``also``), read a hundred at a time."""
    engine = ledger()
    holders = [*(reward_holder(reward_id) for reward_id in reward_ids), *also]
    accounts: dict[str, Account] = {}
    for start in range(0, len(holders), READ_BATCH):
        accounts |= engine.store.read_many(holders[start : start + READ_BATCH])
    return Holdings(engine.books, accounts)


def list_rewards(limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Rewards newest first, with their stock: one query and one batch read a page."""
    scope = "mall-rewards"
    results = MallRewardRecord.query(
        REWARDS_SCOPE, scan_index_forward=False, page_size=limit, last_evaluated_key=decode_cursor(scope, cursor)
    )
    records, last = one_page(MallRewardRecord, results)
    holdings = _stocks([record.reward_id for record in records])
    views = []
    for record in records:
        stock: Stock = holdings.state(reward_holder(record.reward_id), STOCK)
        if stock.terms is not None:
            views.append(_reward_view(record, stock))
    return views, encode_cursor(scope, last)


TERM_FIELDS = (
    "name",
    "points",
    "cash_fen",
    "per_member_limit",
    "limit_period",
    "tiers",
    "tier_points",
    "on_sale_from",
    "on_sale_until",
)


def update_reward(caller: Caller, reward_id: str, changes: dict[str, Any], if_match: Expected) -> dict[str, Any]:
    """Apply a merge patch under ``If-Match``: terms and stock on the reward's account, pictures and description on
    its record, in one transaction (a version seen by two edits is 412 for the second, so a retried ``add_stock``
    adds nothing twice)."""
    record = MallRewardRecord.find(REWARDS_SCOPE, reward_id)
    if record is None:
        raise NotFound(f"No reward {reward_id!r}")
    if_match.require(int(record.version or 0), "reward")
    if not changes:
        return get_reward(reward_id)
    _require_tiers(changes.get("tiers") or ())
    media.require_published(changes.get("images") or [], "images")
    terms_changed = {name: changes[name] for name in TERM_FIELDS if name in changes}

    def change(terms: Terms) -> Terms:
        edited: dict[str, Any] = {
            name: _iso(value) if name.startswith("on_sale_") else value for name, value in terms_changed.items()
        }
        if "tiers" in edited:
            edited["tiers"] = tuple(edited["tiers"])
        if "status" in changes:
            edited["selling"] = changes["status"] == "on_sale"
        after = replace(terms, **edited)
        if after.on_sale_from and after.on_sale_until and after.on_sale_until <= after.on_sale_from:
            problem = {"field": "on_sale_until", "in": "body", "message": "after on_sale_from"}
            raise ValidationFailed([problem], "The sale would end before it begins")
        _require_tier_prices(after.tier_points, after.points)  # a new regular price under a tier's is refused too
        if after.per_member_limit is None and "limit_period" in changes:
            problem = {"field": "limit_period", "in": "body", "message": "only with per_member_limit"}
            raise ValidationFailed([problem], "A limit period needs a per-member limit")
        return after

    if "images" in changes:
        record.images = json.dumps(changes["images"])
    if "description" in changes:
        record.description = changes["description"]
    record.updated_at = clock.iso(clock.now())
    put = [lambda tx: tx.put(record, on_fail=PreconditionFailed("The reward changed while it was being edited"))]
    stock = mall().change_reward(
        reward_id, change, int(changes.get("add_stock") or 0), attach=put, announce={"changed": sorted(changes)}
    )
    return _reward_view(record, stock)  # pynamodb moved the record's version on when the transaction committed


def browse(
    member_id: str,
    affordable_only: bool,
    tier_of: Callable[[Holdings, str], str] = tiers.tier_in,
) -> dict[str, Any]:
    """The mall as a member sees it: the rewards on sale now to their tier, newest first, each saying whether their
    available points pay a unit and how many units their limit still allows this period; with ``affordable_only``,
    only those their points pay. One query, and one batch read for the rewards and the member (a second for the
    limits of rewards that have one)."""
    records = list(MallRewardRecord.query(REWARDS_SCOPE, scan_index_forward=False))
    holdings = _stocks([record.reward_id for record in records], also=[member_id])
    today, now = clock.business_today(), clock.iso(clock.now())
    tier, priced_as = tier_of(holdings, member_id), tiers.tier_with_benefits(holdings, member_id)
    available = points.available_in(holdings, member_id, today)
    shown: list[tuple[MallRewardRecord, Terms, Stock]] = []
    for record in records:
        stock: Stock = holdings.state(reward_holder(record.reward_id), STOCK)
        terms = stock.terms
        if terms is None or terms.refusal(now, tier) is not None:
            continue
        if affordable_only and not affordable(terms.points_for(priced_as), available):
            continue
        shown.append((record, terms, stock))
    limited = [limit_holder(record.reward_id, member_id) for record, terms, _ in shown if terms.per_member_limit]
    quotas = ledger().store.read_many(limited) if limited else {}
    items = []
    for record, terms, stock in shown:
        raw = quotas[limit_holder(record.reward_id, member_id)].books.get(LIMIT) if terms.per_member_limit else None
        quota: Quota = BOOKS[LIMIT].load(raw)
        items.append(
            {
                "reward_id": record.reward_id,
                "name": terms.name,
                "kind": terms.kind,
                "points": terms.points_for(priced_as),
                "regular_points": terms.points if terms.points_for(priced_as) < terms.points else None,
                "cash_fen": terms.cash_fen,
                **_pictures(record),
                "description": record.description,
                "fulfilment": terms.fulfilment,
                "on_sale_until": terms.on_sale_until,
                "in_stock": stock.units > 0,
                "affordable": affordable(terms.points_for(priced_as), available),
                "per_member_limit": terms.per_member_limit,
                "limit_period": terms.limit_period,
                "remaining_for_member": quota.remaining(terms.per_member_limit, period_key(terms.limit_period, today)),
                "tiers": list(terms.tiers),
            }
        )
    return {"items": items, "available_points": available, "points_owed": points.owed_in(holdings, member_id)}


def _every_reward() -> list[tuple[MallRewardRecord, Stock]]:
    """Every reward with its stock and terms, newest first: one query and a batch read of their stock accounts."""
    records = list(MallRewardRecord.query(REWARDS_SCOPE, scan_index_forward=False))
    holdings = _stocks([record.reward_id for record in records])
    stocks = [(record, holdings.state(reward_holder(record.reward_id), STOCK)) for record in records]
    return [(record, stock) for record, stock in stocks if stock.terms is not None]


def _on_sale_to_all() -> list[tuple[str, int]]:
    """(name, points) of the rewards on sale now to every tier and in stock, dearest first."""
    now = clock.iso(clock.now())
    found = [(stock.terms.name, stock.terms.points) for _, stock in _every_reward() if stock.terms
             and not stock.terms.tiers and stock.terms.refusal(now, "") is None and stock.units > 0]  # fmt: skip
    return sorted(found, key=lambda item: -item[1])


ON_SALE_TO_ALL: Cached[list[tuple[str, int]]] = Cached(_on_sale_to_all, 300.0)  # a nightly job names them per member


def within_reach(points: int, most: int = 2) -> list[str]:
    """The names of up to ``most`` rewards a balance of ``points`` pays (on sale to every tier, in stock, the dearest
    first, read at most five minutes ago): what a points-expiry reminder suggests (提前一周…推荐几个热门的兑换商品)."""
    return list(dict.fromkeys(name for name, price in ON_SALE_TO_ALL.get() if price <= points))[:most]  # a name
    # two rewards share is said once


def ranking(most: int) -> list[dict[str, Any]]:
    """The rewards members exchange most (兑换排行): every reward by units sold (net of cancellations and refunds),
    the most first, ties the newest first; one query and a batch read of their stock a hundred at a time."""
    sold = sorted(((record, stock) for record, stock in _every_reward() if stock.terms and stock.sold > 0),
                  key=lambda pair: -pair[1].sold)[:most]  # stable: the newest first on ties  # fmt: skip
    return [{"reward_id": record.reward_id, "name": stock.terms.name, "kind": stock.terms.kind, "sold": stock.sold,
             "points": stock.terms.points, "stock": stock.units,
             "status": "on_sale" if stock.terms.selling else "stopped"}
            for record, stock in sold if stock.terms]  # fmt: skip
