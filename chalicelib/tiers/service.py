"""Tiers and growth value on the member's account item: what a write adds, what the jobs and staff change,
and the views members and staff read.

Growth and metrics move with the write that causes them (a purchase, a refund, an activity), in its
transaction: ``advance`` prepares the account actions, the growth entry, an upgrade (with its gift, which
the points service books as its own ledger entry) and the ``tier.changed`` event. Downgrades, retention,
warnings, overrides and programme changes go through ``settle``: a conditional update of the standing alone,
with its history entry and event, retried on a fresh read when the account moved.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from chalicelib.points.records import PointsAccountRecord
from chalicelib.shared import clock
from chalicelib.shared.context import current_origin
from chalicelib.shared.dateindex import indexed
from chalicelib.shared.db import Transaction, back_off, one_page
from chalicelib.shared.errors import Unavailable
from chalicelib.shared.events import Event, change_summary, emit, new_event
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.tiers import programmes
from chalicelib.tiers.records import GrowthEntryRecord, TierChangeRecord
from chalicelib.tiers.rules import (
    Change,
    Metrics,
    Override,
    Programme,
    Standing,
    Tier,
    apply_override,
    month_of,
    on_metric_change,
    on_refund,
    review_date,
)

A = PointsAccountRecord
ATTEMPTS = 32


# --- reading the account item ----------------------------------------------------------------------------------


def metrics_of(record: PointsAccountRecord | None) -> Metrics:
    if record is None:
        return Metrics()
    months = {month: (int(pair[0]), int(pair[1])) for month, pair in json.loads(record.months or "{}").items()}
    return Metrics(int(record.growth or 0), int(record.paid_total or 0), months)


def standing_of(record: PointsAccountRecord | None, programme: Programme) -> Standing:
    """The member's standing; a tier the programme no longer has reads as its lowest (until re-judged)."""
    since = date.fromisoformat(record.tier_since) if record is not None and record.tier_since else None
    if record is None or not record.tier or not programme.knows(record.tier):
        return Standing(programme.tiers[0].code, since or clock.business_today(), None, _override(record))
    return Standing(
        record.tier, since or clock.business_today(),
        date.fromisoformat(record.tier_until) if record.tier_until else None, _override(record),
        date.fromisoformat(record.tier_warned_for) if record.tier_warned_for else None,
    )  # fmt: skip


def _override(record: PointsAccountRecord | None) -> Override | None:
    if record is None or not record.tier_override:
        return None
    raw = json.loads(record.tier_override)
    return Override(raw["kind"], raw["tier"], date.fromisoformat(raw["until"]), raw["reason"])


def metrics_actions(metrics: Metrics) -> list[Any]:
    months = {month: list(pair) for month, pair in sorted(metrics.months.items())}
    return [A.growth.set(metrics.growth), A.paid_total.set(metrics.paid_fen), A.months.set(json.dumps(months))]


def standing_actions(member_id: str, standing: Standing, programme: Programme) -> list[Any]:
    """The standing's fields, and the review index key: only members the job must look at are in it."""
    due = review_date(programme, standing)
    override = standing.override
    override_json = override and json.dumps({"kind": override.kind, "tier": override.tier, "reason": override.reason,
                                             "until": override.until.isoformat()}, ensure_ascii=False)  # fmt: skip
    return [
        A.tier.set(standing.tier), A.tier_since.set(standing.since.isoformat()),
        A.tier_until.set(standing.valid_until.isoformat()) if standing.valid_until else A.tier_until.remove(),
        A.tier_override.set(override_json) if override_json else A.tier_override.remove(),
        A.tier_warned_for.set(standing.warned_for.isoformat()) if standing.warned_for else A.tier_warned_for.remove(),
        A.tier_programme.set(programme.version),
        *indexed(A.tier_review_month, A.tier_review, due, member_id),
    ]  # fmt: skip


# --- what a write adds -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Growth and paid fen a write counts (negative: a refund takes them back), in the business month of
    ``occurred_on``; only a rise can upgrade."""

    growth: int
    paid_fen: int
    occurred_on: date
    source_kind: str
    source_id: str
    reason: str
    cause: str = ""  # the purchase behind it (``<partner>#<order id>``): a refund may undo its upgrade


@dataclass(frozen=True)
class Advance:
    """What ``progress`` does to an account: item actions, a growth entry, and a change of tier (its history
    entry and event): an upgrade whose gift the points service books, or a refund's undoing of an upgrade
    whose gift it takes back."""

    actions: list[Any]
    growth_entry: GrowthEntryRecord | None = None
    change: TierChangeRecord | None = None
    announce: Event | None = None
    gift_reason: str = ""

    @property
    def gift_points(self) -> int:
        return int(self.change.gift_points) if self.change and self.change.reason == "upgrade" else 0

    @property
    def gift_back(self) -> int:
        return int(self.change.gift_points) if self.change and self.change.reason == "refund" else 0

    def write(self, tx: Transaction) -> None:
        if self.growth_entry is not None:
            tx.put(self.growth_entry, condition=GrowthEntryRecord.seq.does_not_exist())
        if self.change is not None and self.announce is not None:
            tx.put(self.change)
            emit(tx, self.announce)


def advance(member_id: str, record: PointsAccountRecord | None, progress: Progress, today: date) -> Advance | None:
    """Count ``progress`` on the account as read, upgrading at once when the metric crosses a threshold."""
    if not progress.growth and not progress.paid_fen:
        return None
    programme = programmes.programme()
    before, standing = metrics_of(record), standing_of(record, programme)
    after = before.add(month_of(progress.occurred_on), progress.growth, progress.paid_fen, today)
    change: Change | None = None
    previous = standing
    if progress.growth > 0 or progress.paid_fen > 0:
        standing, change = on_metric_change(programme, standing, after.value(programme, today), today)
    elif progress.cause:
        value = after.value(programme, today)
        before_upgrade = _before_upgrade_by(member_id, progress.cause, standing, programme, value)
        standing, change = on_refund(programme, standing, value, before_upgrade, today)
    actions = metrics_actions(after)
    if change is not None or record is None or record.tier is None or record.tier_programme != programme.version:
        actions += standing_actions(member_id, standing, programme)  # otherwise the standing is as stored
    now, actor = clock.iso(clock.now()), current_origin().actor
    growth_entry = None
    if growth := after.growth - before.growth:
        seq = int(record.growth_seq or 0) + 1 if record else 1
        actions.append(A.growth_seq.set(seq))
        growth_entry = GrowthEntryRecord(
            member_id, seq, entry_id=new_id("ge_"), type="earn" if growth > 0 else "reverse", growth=growth,
            value_after=after.growth, paid_fen=progress.paid_fen, month=month_of(progress.occurred_on),
            source_kind=progress.source_kind, source_id=progress.source_id, reason=progress.reason, actor=actor,
            occurred_at=now,
        )  # fmt: skip
    if change is None:
        return Advance(actions, growth_entry)
    change_id = new_id("tc_")
    history = _history(member_id, change, change_id, programme, now, actor, None)
    if change.reason == "upgrade":
        history.cause = progress.cause or None
        history.previous_since = previous.since.isoformat()
        history.previous_until = previous.valid_until.isoformat() if previous.valid_until else None
        gift_reason = f"升级礼遇：{programme.tier(change.tier).name_zh}"
    else:
        gift_reason = f"退款撤销升级礼遇：{programme.tier(change.previous).name_zh}"
    return Advance(actions, growth_entry, history, _changed_event(member_id, change, change_id, programme),
                   gift_reason)  # fmt: skip


def _before_upgrade_by(
    member_id: str, cause: str, standing: Standing, programme: Programme, value: int
) -> Standing | None:
    """Where the member stood before ``cause`` upgraded them, if that upgrade is the last change of their tier
    and brought the tier they hold. One read of the history, only when a refund leaves the member short of
    their tier's threshold (otherwise nothing could be undone)."""
    if programme.rank(standing.tier) == 0 or value >= programme.tier(standing.tier).qualify_at:
        return None
    last = next(iter(TierChangeRecord.query(member_id, scan_index_forward=False, limit=1, consistent_read=True)), None)
    if last is None or last.reason != "upgrade" or last.cause != cause or last.tier != standing.tier:
        return None
    since = date.fromisoformat(last.previous_since) if last.previous_since else standing.since
    until = date.fromisoformat(last.previous_until) if last.previous_until else None
    return Standing(last.previous, since, until)


def _history(member_id: str, change: Change, change_id: str, programme: Programme, now: str, actor: str,
             note: str | None) -> TierChangeRecord:  # fmt: skip
    return TierChangeRecord(
        member_id, f"{now}#{change_id}", change_id=change_id, tier=change.tier, previous=change.previous,
        reason=change.reason, programme_version=programme.version, gift_points=change.gift_points, note=note,
        actor=actor, occurred_at=now,
    )  # fmt: skip


def _changed_event(member_id: str, change: Change, change_id: str, programme: Programme) -> Event:
    return new_event("tier.changed", f"member/{member_id}", {
        "member_id": member_id, "change_id": change_id, "tier": change.tier, "previous": change.previous,
        "reason": change.reason, "gift_points": change.gift_points, "programme_version": programme.version,
    })  # fmt: skip


# --- what a migrated member brings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningStanding:
    """What a member migrated from another system brings: their tier with its last valid day (an opening
    standing, reviewed like any other) and the current period's growth and paid amount, booked as one
    ``opening`` entry of the growth ledger in the month of the import."""

    tier: str | None = None
    valid_until: date | None = None
    growth: int = 0
    paid_fen: int = 0

    def problems(self) -> list[tuple[str, str]]:
        """(column, reason) for what the current programme cannot take."""
        programme, today = programmes.programme(), clock.business_today()
        found = []
        if self.tier is not None and not programme.knows(self.tier):
            found.append(("tier", f"not a tier of the programme ({', '.join(t.code for t in programme.tiers)})"))
        if self.valid_until is not None and self.valid_until < today:
            found.append(("tier_valid_until", "a day from today on (a tier that ended is not brought over)"))
        if self.valid_until is not None and self.valid_until > today + timedelta(days=3 * 366):
            found.append(("tier_valid_until", "at most three years ahead"))
        if self.growth < 0 or self.paid_fen < 0:
            found.append(("period_growth" if self.growth < 0 else "period_paid_fen", "not negative"))
        return found


def open_account(tx: Transaction, member_id: str, opening: OpeningStanding) -> None:
    """Add a new member's opening standing and growth to ``tx`` (the registration's transaction)."""
    programme, today = programmes.programme(), clock.business_today()
    tier = opening.tier or programme.tiers[0].code
    if programme.rank(tier) == 0 and not opening.growth and not opening.paid_fen:
        return
    until = (opening.valid_until or programme.valid_until(today)) if programme.rank(tier) else None
    standing = Standing(tier, today, until)
    metrics = Metrics().add(month_of(today), opening.growth, opening.paid_fen, today)
    actions = metrics_actions(metrics) + standing_actions(member_id, standing, programme) + [A.rev.set(1)]
    now, actor = clock.iso(clock.now()), current_origin().actor
    if opening.growth or opening.paid_fen:
        actions.append(A.growth_seq.set(1))
        tx.put(GrowthEntryRecord(
            member_id, 1, entry_id=new_id("ge_"), type="opening", growth=opening.growth, value_after=opening.growth,
            paid_fen=opening.paid_fen, month=month_of(today), source_kind="import", source_id=member_id,
            reason="迁移期初成长值", actor=actor, occurred_at=now,
        ), condition=GrowthEntryRecord.seq.does_not_exist())  # fmt: skip
    if programme.rank(tier):
        change_id = new_id("tc_")
        tx.put(TierChangeRecord(
            member_id, f"{now}#{change_id}", change_id=change_id, tier=tier, previous=programme.tiers[0].code,
            reason="opening", programme_version=programme.version, gift_points=0, note="迁移期初等级", actor=actor,
            occurred_at=now,
        ))  # fmt: skip
    tx.update(PointsAccountRecord(member_id), actions, condition=A.member_id.does_not_exist())


# --- changes of the standing alone ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What judging a member decided: the new standing, a change to record, a warning to send."""

    standing: Standing
    change: Change | None = None
    warn: bool = False
    note: str | None = None  # a staff reason, kept in the history
    announce: Event | None = None  # the staff action itself (so it is audited even when the tier stays)


Judge = Callable[[Programme, Standing, Metrics, date], Verdict]


class _Stale(Exception):
    pass


def settle(member_id: str, judge: Judge, *, image: PointsAccountRecord | None = None,
           programme: Programme | None = None, create: bool = False, today: date | None = None
           ) -> Verdict | None:  # fmt: skip
    """Judge the member's standing and write what changed, conditional on the account as read (``image``, an
    index image, serves the first attempt). ``create``: the member may have no account item yet (staff
    overrides); otherwise a member without one has nothing to settle. None when nothing changed."""
    record = image
    for attempt in range(ATTEMPTS):
        if record is None or attempt:
            record = PointsAccountRecord.find(member_id)
        if record is None and not create:
            return None
        chosen = programme or programmes.programme()
        standing = standing_of(record, chosen)
        verdict = judge(chosen, standing, metrics_of(record), today or clock.business_today())
        if (
            verdict.standing == standing
            and verdict.change is None
            and not verdict.warn
            and (record is not None and record.tier_programme == chosen.version)
        ):
            return None
        try:
            _write_verdict(member_id, record, verdict, chosen)
            return verdict
        except _Stale:
            back_off(attempt, cap=0.2)
    raise Unavailable("The account is too busy; retry", retry_after=1)


def _write_verdict(member_id: str, record: PointsAccountRecord | None, verdict: Verdict, programme: Programme) -> None:
    tx = Transaction()
    now = clock.iso(clock.now())
    actions = [*standing_actions(member_id, verdict.standing, programme), A.updated_at.set(now),
               A.rev.set(int(record.rev or 0) + 1 if record else 1)]  # fmt: skip
    condition: Any
    if record is None:
        condition = A.member_id.does_not_exist()
    else:
        condition = A.rev == record.rev if record.rev is not None else A.rev.does_not_exist()
    tx.update(A(member_id), actions, condition=condition, on_fail=_Stale())
    if verdict.change is not None:
        change_id = new_id("tc_")
        tx.put(_history(member_id, verdict.change, change_id, programme, now, current_origin().actor, verdict.note))
        emit(tx, _changed_event(member_id, verdict.change, change_id, programme))
    if verdict.announce is not None:
        emit(tx, verdict.announce)
    if verdict.warn:
        standing = verdict.standing
        emit(tx, new_event("tier.downgrade-warning", f"member/{member_id}", {
            "member_id": member_id, "tier": standing.tier, "review_on": str(standing.valid_until),
            "programme_version": programme.version,
        }))  # fmt: skip
    tx.commit()


def warned(standing: Standing) -> Standing:
    return replace(standing, warned_for=standing.valid_until)


def set_override(member_id: str, override: Override | None) -> None:
    """Staff set a floor or a pin (or lift it, with ``None``); a tier it changes changes at once."""

    def judge(programme: Programme, standing: Standing, metrics: Metrics, today: date) -> Verdict:
        moved, change = apply_override(programme, standing, override, metrics.value(programme, today), today)
        before = {"tier": standing.tier, "override": _described(standing.override)}
        after = {"tier": moved.tier, "override": _described(override)}
        changed = [name for name in ("override", "tier") if after[name] != before[name]]
        summary = change_summary(changed, before, after, shown=("override", "tier"))
        payload = {"member_id": member_id, "override": after["override"], "tier": moved.tier, **summary}
        event = new_event("tier.override-set" if override else "tier.override-lifted", f"member/{member_id}", payload)
        return Verdict(moved, change, note=override.reason if override else None, announce=event)

    settle(member_id, judge, create=True)


def _described(override: Override | None) -> dict[str, Any] | None:
    if override is None:
        return None
    return {"kind": override.kind, "tier": override.tier, "until": str(override.until), "reason": override.reason}


def status(member_id: str, *, with_history: bool = True) -> dict[str, Any]:
    """Where the member stands now: tier and period, progress to the next tier, retention, benefits, history
    (left empty without ``with_history``, which saves its query)."""
    record = PointsAccountRecord.find(member_id)
    version = programmes.current()
    programme, today = version.programme, clock.business_today()
    standing, metrics = standing_of(record, programme), metrics_of(record)
    value, rank = metrics.value(programme, today), programme.rank(standing.tier)
    tier = programme.tiers[rank]
    following = programme.tiers[rank + 1] if rank + 1 < len(programme.tiers) else None
    retention = None
    if standing.valid_until is not None:
        review_on = standing.valid_until + timedelta(days=programme.grace_days + 1)
        retention = {"retain_at": tier.retain_at, "value": value, "missing": max(0, tier.retain_at - value),
                     "review_on": review_on.isoformat(), "at_risk": value < tier.retain_at}  # fmt: skip
    override = standing.override
    return {
        "programme_version": version.version, "metric": programme.metric, "window": programme.window,
        "tier": _tier_view(tier), "since": standing.since.isoformat(),
        "valid_until": standing.valid_until.isoformat() if standing.valid_until else None, "value": value,
        "next": {**_tier_view(following), "qualify_at": following.qualify_at,
                 "missing": max(0, following.qualify_at - value)} if following else None,
        "retention": retention,
        "override": {"kind": override.kind, "tier": override.tier, "until": override.until.isoformat(),
                     "reason": override.reason} if override else None,
        "benefits": tier.benefits, "history": history(member_id) if with_history else [],
    }  # fmt: skip


def _tier_view(tier: Tier) -> dict[str, Any]:
    return {"code": tier.code, "name_zh": tier.name_zh, "name_en": tier.name_en}


def growth(member_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """The growth value, lifetime paid amount and monthly figures, and a page of growth entries."""
    metrics = metrics_of(PointsAccountRecord.find(member_id))
    items, next_cursor = growth_entries(member_id, limit, cursor)
    months = {month: {"growth": pair[0], "paid_fen": pair[1]} for month, pair in sorted(metrics.months.items())}
    return {"value": metrics.growth, "paid_fen": metrics.paid_fen, "months": months, "items": items,
            "next_cursor": next_cursor}  # fmt: skip


# --- views -----------------------------------------------------------------------------------------------------


def history(member_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """The member's latest tier changes, newest first."""
    records = TierChangeRecord.query(member_id, scan_index_forward=False, limit=limit)
    return [{"tier": r.tier, "previous": r.previous, "reason": r.reason, "gift_points": int(r.gift_points),
             "programme_version": int(r.programme_version), "note": r.note, "occurred_at": r.occurred_at}
            for r in records]  # fmt: skip


def growth_entry_json(record: GrowthEntryRecord) -> dict[str, Any]:
    return {
        "entry_id": record.entry_id, "seq": int(record.seq), "type": record.type, "growth": int(record.growth),
        "value_after": int(record.value_after), "paid_fen": int(record.paid_fen), "month": record.month,
        "source": {"kind": record.source_kind, "id": record.source_id}, "reason": record.reason,
        "occurred_at": record.occurred_at,
    }  # fmt: skip


def growth_entries(member_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    scope = f"growth-ledger|{member_id}"
    results = GrowthEntryRecord.query(
        member_id, scan_index_forward=False, page_size=limit, last_evaluated_key=decode_cursor(scope, cursor)
    )
    records, last = one_page(GrowthEntryRecord, results)
    return [growth_entry_json(record) for record in records], encode_cursor(scope, last)
