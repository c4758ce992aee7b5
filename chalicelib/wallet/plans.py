"""Top-up plans (充值方案): created by finance or admins, read whole and cached by every top-up that names one."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from chalicelib.identity.access import Caller
from chalicelib.shared import clock
from chalicelib.shared.cache import Cached
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import AlreadyExists, NotFound, PreconditionFailed, ValidationFailed
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.settings import get_settings
from chalicelib.stores.service import not_open
from chalicelib.wallet.records import PLANS_SCOPE, WalletPlanRecord
from chalicelib.wallet.rules import Plan
from chalicelib.wallet.schemas import WalletPlanCreate, WalletPlanEnd

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
    Staff scoped to stores create plans for their stores only (422); its price and bonus together fit in an empty
    wallet (the balance limit per member, 422), or no top-up could take it."""
    unknown = [not_open(store) or f"{store!r} is not one of your stores" for store in data.stores
               if not caller.covers_store(store) or not_open(store) is not None]  # fmt: skip
    if unknown or (caller.stores and not data.stores):
        detail = "; ".join(unknown) if unknown else "name your stores"
        raise ValidationFailed([{"field": "stores", "in": "body", "message": detail}])
    limit = get_settings().wallet_max_balance_fen
    if limit and data.pay_fen + data.bonus_fen > limit:  # a walkthrough made a plan no top-up could ever take
        field = "pay_fen" if data.pay_fen > limit else "bonus_fen"
        detail = f"A top-up on this plan would take even an empty wallet past its limit of {limit} fen"
        raise ValidationFailed([{"field": field, "in": "body", "message": f"price and bonus over {limit} fen"}], detail)
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


def end(caller: Caller, plan_id: str, data: WalletPlanEnd) -> dict[str, Any]:
    """Take a plan off sale after ``last_day`` (default today): never before today, nor later than it already ends.
    A plan not on sale yet whose last day comes before its first is withdrawn (never sold). Its terms never change
    (top-ups booked on it keep what they got); ending it again earlier is allowed, and the same day again changes
    nothing. Staff scoped to stores end only plans sold at their stores alone (404 for others, as unseen)."""
    record = WalletPlanRecord.find(PLANS_SCOPE, plan_id)
    stores = json.loads(record.stores) if record else []
    if record is None or (caller.stores and not (stores and set(stores) <= caller.stores)):
        raise NotFound(f"No top-up plan {plan_id!r}")
    today = clock.business_today()
    last_day = data.last_day or today
    ends_on = date.fromisoformat(record.ends_on) if record.ends_on else None
    problem = (
        "before today: a plan's past sales stay as they were" if last_day < today
        else f"after its last day on sale ({ends_on})" if ends_on and last_day > ends_on
        else None
    )  # fmt: skip
    if problem:
        raise ValidationFailed([{"field": "last_day", "in": "body", "message": problem}])
    if ends_on == last_day:  # asked again: it ends that day already
        return _plan_json(_plan(record), record.created_at, record.created_by, today)
    tx = Transaction()
    was = WalletPlanRecord.ends_on == record.ends_on if record.ends_on else WalletPlanRecord.ends_on.does_not_exist()
    tx.update(WalletPlanRecord(PLANS_SCOPE, plan_id), [WalletPlanRecord.ends_on.set(last_day.isoformat())],
              condition=was, on_fail=PreconditionFailed("The plan changed meanwhile; read it again"))  # fmt: skip
    emit(tx, new_event("wallet.plan-ended", f"wallet-plan/{plan_id}", {
        "plan_id": plan_id, "last_day": last_day.isoformat(), "was_ending": record.ends_on,
    }))  # fmt: skip
    tx.commit()
    forget_plans()
    record.ends_on = last_day.isoformat()
    return _plan_json(_plan(record), record.created_at, record.created_by, today)


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
