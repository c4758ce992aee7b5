"""Paid membership plans (付费会员卡方案): made by marketing or admins, read whole and cached by every payment that
names one. A plan's terms and benefits are kept as sold: only its name, description and sale may change."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from chalicelib.identity.access import Caller
from chalicelib.membership.records import PLANS_SCOPE, MembershipPlanRecord
from chalicelib.membership.rules import PausePolicy, Plan, PlanBenefit, RefundPolicy, Term, prepaid_limits_passed
from chalicelib.membership.schemas import PlanCreate, PlanPatch
from chalicelib.shared import clock
from chalicelib.shared.cache import Cached
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Conflict, NotFound, ValidationFailed
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.ids import new_id
from chalicelib.shared.settings import get_settings
from chalicelib.stores.service import not_open

PLANS_CACHE_SECONDS = 30.0


class PlanNotFound(NotFound):
    slug, title = "plan-not-found", "No such membership plan"


def rule_of(document: dict[str, Any]) -> Plan:
    """The pure plan of a stored document."""
    refund = document.get("refund") or {}
    return Plan(
        plan_id=document["plan_id"],
        name=document["name"],
        term=Term.from_json(document["term"]),
        price_fen=int(document["price_fen"]),
        benefits=tuple(
            PlanBenefit(
                benefit_id=b["benefit_id"],
                name=b["name"],
                kind=b["kind"],
                quota=b.get("quota"),
                period=b.get("period"),
                rolls_over=bool(b.get("rolls_over")),
                rate=Decimal(str(b["rate"])) if b.get("rate") is not None else None,
                stacks=bool(b.get("stacks")),
                tier=b.get("tier"),
                template_id=b.get("template_id"),
                count=int(b.get("count", 1)),
                value_fen=int(b.get("value_fen", 0)),
                unlimited=bool(b.get("unlimited")),
            )
            for b in document.get("benefits", [])
        ),
        trial_days=int(document.get("trial_days", 0)),
        auto_renew=bool(document.get("auto_renew")),
        grace_days=int(document.get("grace_days", 3)),
        refund=RefundPolicy(refund.get("kind", "none"), int(refund.get("days", 0)), bool(refund.get("deduct_used"))),
        on_sale=bool(document.get("on_sale", True)),
        self_service=bool(document.get("self_service", True)),
        stores=tuple(document.get("stores", ())),
        pause=PausePolicy(int(pause["times"]), int(pause["days"]), int(pause.get("min_days", 1)))
        if (pause := document.get("pause"))
        else None,
        activation_days=document.get("activation_days"),
    )


def due_part(plan: Plan) -> dict[str, Any]:
    """What a member's card book keeps of its plan to know when the nightly job is due: its coupon packs."""
    packs = [{"benefit_id": b.benefit_id, "period": b.period} for b in plan.benefits if b.kind == "coupon_pack"]
    return {"plan_id": plan.plan_id, "packs": packs}


def due_plan(raw: dict[str, Any] | None) -> Plan | None:
    """The plan as far as ``due_part`` kept it (its coupon packs), for the card book's due date."""
    if not raw or not raw.get("packs"):
        return None
    packs = tuple(PlanBenefit(p["benefit_id"], "", "coupon_pack", period=p["period"]) for p in raw["packs"])
    return Plan(raw["plan_id"], "", Term(), 0, packs)


def _load() -> dict[str, dict[str, Any]]:
    return {
        record.plan_id: {
            **json.loads(record.document),
            "created_at": record.created_at,
            "created_by": record.created_by,
        }
        for record in MembershipPlanRecord.query(PLANS_SCOPE)
    }


_plans = Cached(_load, PLANS_CACHE_SECONDS)


def forget_plans() -> None:
    _plans.forget()


def document(plan_id: str) -> dict[str, Any]:
    """The plan as stored (404 ``plan-not-found``); a plan unknown to the cache is looked for once more."""
    found = _plans.get().get(plan_id)
    if found is None:
        forget_plans()
        found = _plans.get().get(plan_id)
    if found is None:
        raise PlanNotFound(f"No membership plan {plan_id!r}")
    return found


def find(plan_id: str) -> Plan:
    return rule_of(document(plan_id))


def find_or_none(plan_id: str) -> Plan | None:
    """The plan, or None for one no longer known (a card outlives nothing, but a test may forget its plans)."""
    try:
        return find(plan_id)
    except PlanNotFound:
        return None


def listing(on_sale_only: bool = False) -> list[dict[str, Any]]:
    plans = sorted(_plans.get().values(), key=lambda plan: plan["created_at"])
    return [plan for plan in plans if plan.get("on_sale", True) or not on_sale_only]


def on_member_pages() -> list[dict[str, Any]]:
    """The plans a member buys on their own pages: on sale, and not sold at the counter only (``self_service``)."""
    return [plan for plan in listing(on_sale_only=True) if plan.get("self_service", True)]


def create(caller: Caller, data: PlanCreate, known_tiers: set[str], coupon_exists: Any) -> dict[str, Any]:
    """A new plan. A tier floor names a tier of the programme, a coupon pack an existing template, and a plan of some
    stores (单店卡) stores that trade; its price, term and classes within the chain's limits on fees charged ahead
    (预收费上限, ``LOYALTY_PLAN_MAX_*``; 422 on the field past one)."""
    problems = [
        {"field": f"stores.{i}", "in": "body", "message": why}
        for i, store_id in enumerate(data.stores)
        if (why := not_open(store_id)) is not None
    ] + [
        {"field": f"benefits.{i}.{name}", "in": "body", "message": message}
        for i, b in enumerate(data.benefits)
        for name, message in (
            [("tier", f"no tier {b.tier!r} in the programme")] if b.kind == "tier_floor" and b.tier not in known_tiers
            else [("template_id", f"no coupon template {b.template_id!r}")]
            if b.kind == "coupon_pack" and not coupon_exists(b.template_id) else []
        )
    ]  # fmt: skip
    settings = get_settings()
    problems += [{"field": field, "in": "body", "message": why, "code": code, "limit": limit}
                 for field, why, code, limit in prepaid_limits_passed(
        data.price_fen, data.benefits, Term.from_json(data.model_dump(mode="json")["term"]),
        max_price_fen=settings.plan_max_price_fen, max_days=settings.plan_max_term_days,
        max_uses=settings.plan_max_uses)]  # fmt: skip
    if problems:
        raise ValidationFailed(problems)
    now = clock.iso(clock.now())
    plan_id = new_id("mp_")
    body = data.model_dump(mode="json")
    doc = {"plan_id": plan_id, **body, "on_sale": True}
    record = MembershipPlanRecord(PLANS_SCOPE, plan_id, document=json.dumps(doc, ensure_ascii=False),
                                  created_at=now, created_by=caller.scope)  # fmt: skip
    tx = Transaction()
    tx.put(record, condition=MembershipPlanRecord.plan_id.does_not_exist())
    emit(tx, new_event("membership.plan-created", f"membership-plan/{plan_id}",
                       {"plan_id": plan_id, "price_fen": data.price_fen, "term": doc["term"]}))  # fmt: skip
    tx.commit()
    forget_plans()
    return {**doc, "created_at": now, "created_by": caller.scope}


class PlanChanged(Conflict):
    slug, title = "plan-changed", "The plan changed meanwhile"


def change(caller: Caller, plan_id: str, patch: PlanPatch) -> dict[str, Any]:
    """Rename a plan, reword it, or take it off (or back on) sale; cards sold keep what they were sold. The plan is
    read as stored, not as a cache holds it, and written only if it is still that: another change in between is 409
    ``plan-changed`` (read it again), never undone by this one."""
    stored = MembershipPlanRecord.find(PLANS_SCOPE, plan_id)
    if stored is None:
        raise PlanNotFound(f"No membership plan {plan_id!r}")
    changed = patch.model_dump(exclude_unset=True, exclude_none=True)
    doc = {**json.loads(stored.document), **changed}
    now = clock.iso(clock.now())
    record = MembershipPlanRecord(
        PLANS_SCOPE, plan_id, document=json.dumps(doc, ensure_ascii=False), created_at=stored.created_at,
        created_by=stored.created_by, updated_at=now,
    )  # fmt: skip
    tx = Transaction()
    refused = PlanChanged(f"Plan {plan_id} changed while this change was made: read it again")
    tx.put(record, condition=MembershipPlanRecord.document == stored.document, on_fail=refused)
    emit(tx, new_event("membership.plan-changed", f"membership-plan/{plan_id}",
                       {"plan_id": plan_id, "changed": sorted(changed)}))  # fmt: skip
    tx.commit()
    forget_plans()
    return {**doc, "created_at": stored.created_at, "created_by": stored.created_by}
