"""Top-up plans (充值方案): created by finance or admins, read whole and cached by every top-up that names one."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from chalicelib.identity.access import Caller
from chalicelib.shared import clock
from chalicelib.shared.cache import Cached
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import AlreadyExists, ValidationFailed
from chalicelib.shared.events import emit, new_event
from chalicelib.stores.service import not_open
from chalicelib.wallet.records import PLANS_SCOPE, WalletPlanRecord
from chalicelib.wallet.rules import Plan
from chalicelib.wallet.schemas import WalletPlanCreate

PLANS_CACHE_SECONDS = 30.0


class PlanNotApplicable(ValidationFailed):
    slug, title = "plan-not-applicable", "The top-up cannot take this plan"

    def __init__(self, detail: str) -> None:
        super().__init__([{"field": "plan_id", "in": "body", "message": detail}], detail)


def _plan(record: WalletPlanRecord) -> Plan:
    return Plan(
        plan_id=record.plan_id,
        name=record.name,
        pay_fen=int(record.pay_fen),
        bonus_fen=int(record.bonus_fen),
        gift_points=int(record.gift_points),
        starts_on=date.fromisoformat(record.starts_on),
        ends_on=date.fromisoformat(record.ends_on) if record.ends_on else None,
        stores=tuple(json.loads(record.stores)),
    )


def _load() -> dict[str, tuple[Plan, str, str]]:
    return {r.plan_id: (_plan(r), r.created_at, r.created_by) for r in WalletPlanRecord.query(PLANS_SCOPE)}


_plans = Cached(_load, PLANS_CACHE_SECONDS)


def forget_plans() -> None:
    _plans.forget()


def find(plan_id: str) -> Plan | None:
    """The plan, from the cache; a plan unknown to it is looked for once more (it may be new)."""
    found = _plans.get().get(plan_id)
    if found is None:
        forget_plans()
        found = _plans.get().get(plan_id)
    return found[0] if found else None


def listing(caller: Caller) -> list[dict[str, Any]]:
    """Every plan, by id; staff scoped to stores see those sold at one of their stores (or at every store)."""
    today = clock.business_today()
    return [
        _plan_json(plan, created_at, created_by, today)
        for plan, created_at, created_by in sorted(_plans.get().values(), key=lambda found: found[0].plan_id)
        if not caller.stores or not plan.stores or caller.stores & set(plan.stores)
    ]


def create(caller: Caller, data: WalletPlanCreate) -> dict[str, Any]:
    """A new plan, on sale from ``starts_on`` (default today); its id is the caller's choice and taken once (409).
    Staff scoped to stores create plans for their stores only (422)."""
    unknown = [not_open(store) or f"{store!r} is not one of your stores" for store in data.stores
               if not caller.covers_store(store) or not_open(store) is not None]  # fmt: skip
    if unknown or (caller.stores and not data.stores):
        detail = "; ".join(unknown) if unknown else "name your stores"
        raise ValidationFailed([{"field": "stores", "in": "body", "message": detail}])
    now = clock.iso(clock.now())
    starts_on = data.starts_on or clock.business_today()
    if data.ends_on is not None and data.ends_on < starts_on:
        raise ValidationFailed([{"field": "ends_on", "in": "body", "message": "before the first day on sale"}])
    record = WalletPlanRecord(
        PLANS_SCOPE,
        data.plan_id,
        name=data.name,
        pay_fen=data.pay_fen,
        bonus_fen=data.bonus_fen,
        gift_points=data.gift_points,
        starts_on=starts_on.isoformat(),
        ends_on=data.ends_on.isoformat() if data.ends_on else None,
        stores=json.dumps(data.stores),
        created_at=now,
        created_by=caller.scope,
    )
    tx = Transaction()
    taken = AlreadyExists(f"A plan with id {data.plan_id!r} already exists")
    tx.put(record, condition=WalletPlanRecord.plan_id.does_not_exist(), on_fail=taken)
    plan = _plan(record)
    emit(
        tx,
        new_event(
            "wallet.plan-created",
            f"wallet-plan/{plan.plan_id}",
            {
                "plan_id": plan.plan_id,
                "pay_fen": plan.pay_fen,
                "bonus_fen": plan.bonus_fen,
                "gift_points": plan.gift_points,
                "starts_on": record.starts_on,
                "ends_on": record.ends_on,
                "stores": list(plan.stores),
            },
        ),
    )
    tx.commit()
    forget_plans()
    return _plan_json(plan, now, caller.scope, clock.business_today())


def _plan_json(plan: Plan, created_at: str, created_by: str, today: date) -> dict[str, Any]:
    return {
        "plan_id": plan.plan_id,
        "name": plan.name,
        "pay_fen": plan.pay_fen,
        "bonus_fen": plan.bonus_fen,
        "gift_points": plan.gift_points,
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
        "stores": list(plan.stores),
        "on_sale": plan.on_sale(today),
        "created_at": created_at,
        "created_by": created_by,
    }
