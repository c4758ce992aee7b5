"""Points routes: balances and ledgers (staff or the member), redemptions, reversals and adjustments."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from chalicelib.counter import limits
from chalicelib.coupons import service as coupons
from chalicelib.identity.access import MEMBER, Caller, Staff, StaffOrSelf
from chalicelib.identity.rules import Permission
from chalicelib.members import service as members
from chalicelib.members.service import reachable
from chalicelib.membership.service import no_card_sold_on
from chalicelib.points import bulk, rules, service
from chalicelib.points.schemas import (
    AdjustmentBatchCreate,
    AdjustmentBatchOut,
    AdjustmentCreate,
    BatchRowOutcome,
    LedgerEntry,
    LedgerPage,
    PointsBalance,
    Redemption,
    RedemptionCreate,
    Reversal,
)
from chalicelib.purchases.service import counter_order_open
from chalicelib.shared.db import Transaction, together
from chalicelib.shared.errors import (
    IdempotencyKeyReused,
    InvalidCursor,
    NotFound,
    PreconditionRequired,
    RateLimited,
    ValidationFailed,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.shared.pagination import PageQuery
from chalicelib.shared.settings import get_settings
from chalicelib.stores.service import not_open
from chalicelib.wallet import service as wallet

READ = StaffOrSelf(Permission.MEMBERS_READ, serves=True)
REDEEM = StaffOrSelf(Permission.POINTS_REDEEM, serves=True)
ADJUST = Staff(Permission.POINTS_ADJUST, serves=True)
WRITE_ERRORS = (NotFound, PreconditionRequired, IdempotencyKeyReused, service.MemberNotActive)


def _balance(member_id: str) -> Reply:
    view = service.balance(member_id)
    expiring = [{"date": day, "points": points} for day, points in view.expiring]
    settings = get_settings()
    cash = rules.cash_terms(view.available, settings.point_value_fen, settings.points_cash_max_percent)
    return Reply(PointsBalance.model_validate({**view.__dict__, "expiring": expiring, "cash": cash}))


def _ledger(caller: Caller, member_id: str, query: PageQuery) -> Reply:
    items, cursor = service.ledger_page(member_id, query.limit, query.cursor, for_member=caller.is_member)
    return Reply(LedgerPage.model_validate({"items": items, "next_cursor": cursor}))


def _created(body: dict[str, Any], model: type[Redemption] | type[LedgerEntry]) -> Reply:
    """A write's answer: 201 with what it booked, the first time and on every repeat of the same request."""
    return Reply(model.model_validate(body), status=201)


@endpoint("/v1/members/{member_id}/points", "GET", summary="A member's points", tag="points", access=READ,
          response=PointsBalance, errors=(NotFound,))  # fmt: skip
def get_balance(ctx: RequestContext, member_id: str) -> Reply:
    """A member's points (积分) as of now: available, pending (in a return window), expiring by business
    date, debt and lifetime counters. Points past their expiry date never count, and matured pending points are
    available, whether or not the nightly jobs ran.

    Errors: 404 for an unknown member, or another member's id from a member token."""
    return _balance(reachable(ctx.caller, member_id))


@endpoint("/v1/me/points", "GET", summary="My points", tag="me", access=MEMBER, response=PointsBalance)
def get_my_balance(ctx: RequestContext) -> Reply:
    """The member's own points (积分) as of now: available, pending, expiring by business date, debt and
    lifetime counters."""
    return _balance(ctx.caller.id)


@endpoint("/v1/members/{member_id}/points/ledger", "GET", summary="A member's points ledger, newest first",
          tag="points", access=READ, query=PageQuery, response=LedgerPage,
          errors=(NotFound, InvalidCursor))  # fmt: skip
def get_ledger(ctx: RequestContext, member_id: str) -> Reply:
    """A member's points ledger (积分流水), newest first: every earn, redemption, expiry, adjustment, refund,
    reversal and opening balance, with its signed points and the balance after it. A member reading their own
    ledger sees that staff or an import booked an entry, not who or which file.

    Errors: 404 for an unknown member, or another member's id from a member token."""
    return _ledger(ctx.caller, reachable(ctx.caller, member_id), ctx.query)


@endpoint("/v1/me/points/ledger", "GET", summary="My points ledger, newest first", tag="me", access=MEMBER,
          query=PageQuery, response=LedgerPage, errors=(InvalidCursor,))  # fmt: skip
def get_my_ledger(ctx: RequestContext) -> Reply:
    """The member's own points ledger (积分流水), newest first."""
    return _ledger(ctx.caller, ctx.caller.id, ctx.query)


@endpoint("/v1/members/{member_id}/points/redemptions", "POST", summary="Redeem points", tag="points",
          access=REDEEM, body=RedemptionCreate, response=Redemption, status=201, idempotency="required",
          errors=(*WRITE_ERRORS, service.InsufficientPoints, ValidationFailed, members.MemberCodeNotCurrent,
                  members.MemberCodeUsed, RateLimited, service.OrderPointsUsed))  # fmt: skip
def redeem(ctx: RequestContext, member_id: str) -> Reply:
    """Spend points (积分兑换), soonest-expiring first. Requires an `Idempotency-Key`: a repeat with the same key
    and body answers the first redemption and spends nothing more. Never takes the balance below zero.

    A cashier spends a member's points only with the member there: `member_code`, the code their pages show now
    (staff who adjust points, and the member themselves, need none). A retry answers whatever became of the code.
    `store_id` names the store where they were spent, whose figures count them (one of a store-scoped caller's; left
    out, the only store of a caller scoped to one).

    Errors: 409 `insufficient-points` (with `available`, the points available now); 409 `member-not-active` for a frozen
    member; 428 without `Idempotency-Key`, 422 `idempotency-key-reused` with another body; 404 for an unknown member;
    422 on `member_code` without one, 422 `member-code-not-current` for a code that is not the member's now (429 after
    ten), 422 `member-code-used` for a code that redeemed already (a code redeems once, so a till that lost its key
    cannot redeem twice with one scan; it still pays and uses coupons); 422 on `store_id` for a store that does not
    exist, is closed or is not one of a store-scoped caller's, or from the member themselves.

    积分抵现: with `order_id` and `order_total_fen`, the points pay part of a till order, each worth
    `LOYALTY_POINT_VALUE_FEN` fen, at most `LOYALTY_POINTS_CASH_MAX_PERCENT` of the order (422 on `points` past it or
    for points not worth whole fen; 422 on `order_id` when the chain takes none, from the member themselves, or once
    the order's sale is recorded, a card was sold under it or another member's stored value paid it); once per
    order, by any member (409 `order-points-used`, whatever the key, even once given back), after its coupons (none
    after them). The sale recorded at the counter (消费记账) counts what they paid; a refund of all of it gives them
    back."""
    body: RedemptionCreate = ctx.body
    member_id = reachable(ctx.caller, member_id)
    repeats = functools.cache(lambda: service.repeats(ctx.idempotency))  # read once, where asked
    spent = None  # a code redeems once (another redemption with it: 422 member-code-used)
    if members.check_in_person(ctx.caller, member_id, body.member_code, repeated=repeats) and body.member_code:
        spent = members.spending_code(member_id, body.member_code, "redeemed")
    store_id = body.store_id
    refused = _not_a_till(ctx.caller, store_id) if store_id is not None else None
    if refused is not None and not repeats():  # a repeat is answered, whatever changed since
        raise refused
    if store_id is None and len(ctx.caller.stores) == 1:  # the till of a caller scoped to one store, while it trades
        only = next(iter(ctx.caller.stores))
        store_id = only if not_open(only) is None else None
    order, alongside = None, spent
    if body.order_id is not None and body.order_total_fen is not None:
        order, coupons_held = _as_cash(ctx.caller, body.points, body.order_id, body.order_total_fen, repeats())
        unsold = no_card_sold_on(store_id or "", body.order_id)  # a card is paid whole, at its plan's price (a review)
        paid_apart = None if repeats() else wallet.order_paid_by(member_id, store_id or "", body.order_id)
        alongside = together(
            spent, counter_order_open(body.order_id, "points pay part of the order"), coupons_held, unsold, paid_apart
        )
    answer, _ = service.redeem(member_id, body.points, body.reason, ctx.idempotency, store_id, alongside, order)
    return _created(answer, Redemption)


def _as_cash(
    caller: Caller, points: int, order_id: str, total_fen: int, repeated: bool
) -> tuple[service.OrderPart, Callable[[Transaction], None] | None]:
    """积分抵现 as the chain allows it, within what the order's coupons left of it (read, and held unchanged to the
    commit); a repeat is answered as it was, whatever the settings or the coupons became since."""
    if repeated:
        return service.OrderPart(order_id, 0, total_fen), None
    settings = get_settings()
    off, coupons_held = coupons.order_discount_held(order_id)
    try:
        if caller.kind == "member":
            raise rules.CashRefused("order_id", "points pay part of an order at a till, not from the member pages")
        cash = rules.points_as_cash(points, settings.point_value_fen, total_fen, settings.points_cash_max_percent, off)
    except rules.CashRefused as e:
        raise ValidationFailed([{"field": e.field, "in": "body", "message": str(e)}], str(e)) from None
    return service.OrderPart(order_id, cash, total_fen), coupons_held


def _not_a_till(caller: Caller, store_id: str) -> ValidationFailed | None:
    """Why points cannot be spent at ``store_id`` by ``caller`` (its figures count them): a member's own redemption
    happens at no till, a store-scoped caller's at one of theirs, and a closed store takes none; None when they can."""
    if caller.kind == "member":
        return ValidationFailed([{"field": "store_id", "in": "body", "message": "a store is named by staff"}])
    try:
        caller.require_trading_at(store_id, "store_id")
    except ValidationFailed as e:
        return e
    why = not_open(store_id)
    return ValidationFailed([{"field": "store_id", "in": "body", "message": why}], why) if why else None


@endpoint("/v1/members/{member_id}/points/redemptions/{redemption_id}/reversal", "POST",
          summary="Reverse a redemption (its points go back to their lots)", tag="points", access=ADJUST,
          body=Reversal, response=LedgerEntry, status=201, idempotency="optional",
          errors=(*WRITE_ERRORS, service.AlreadyReversed))  # fmt: skip
def reverse(ctx: RequestContext, member_id: str, redemption_id: str) -> Reply:
    """Give a redemption's points back to the lots they came from, with their original expiry dates, once
    (撤销兑换).

    Errors: 409 `already-reversed`; 404 for an unknown member or redemption; 422 `idempotency-key-reused`."""
    member_id = reachable(ctx.caller, member_id)
    return _created(service.reverse(member_id, redemption_id, ctx.body.reason, ctx.idempotency)[0], LedgerEntry)


@endpoint("/v1/members/{member_id}/points/adjustments", "POST", summary="Credit or debit points by hand",
          tag="points", access=ADJUST, body=AdjustmentCreate, response=LedgerEntry, status=201,
          idempotency="required", errors=(*WRITE_ERRORS, service.InsufficientPoints, ValidationFailed,
                                          limits.OverAdjustmentLimit, limits.OverAdjustmentDailyLimit))  # fmt: skip
def adjust(ctx: RequestContext, member_id: str) -> Reply:
    """Credit (positive) or debit (negative) points by hand (积分调整), with a reason the member reads. A credit
    expires by the expiry policy unless `expires_on` says otherwise; a debit never takes the balance below zero.
    Requires an `Idempotency-Key`. Staff scoped to stores (a store manager) credit at most
    `LOYALTY_ADJUST_LIMIT_POINTS` at once and `LOYALTY_ADJUST_DAILY_LIMIT_POINTS` a business day; head office (staff
    of every store) is held to neither. A repeat is answered whatever the limits became.

    Errors: 409 `insufficient-points` for a debit larger than what is available; 409 `member-not-active` for a
    frozen member; 422 for `expires_on` on a debit or in the past; 428 without `Idempotency-Key`; 403
    `adjustment-over-limit` / `adjustment-daily-limit` (with `limit_points`) past a store's staff's limits."""
    body: AdjustmentCreate = ctx.body
    if body.expires_on is not None and body.points < 0:
        raise ValidationFailed([{"field": "expires_on", "in": "body", "message": "only credits take an expiry date"}])
    member_id = reachable(ctx.caller, member_id)
    try:
        counted = limits.adjustment_allowance(ctx.caller, body.points)
    except limits.OverAdjustmentLimit:
        if not service.repeats(ctx.idempotency):  # a repeat is answered, whatever the limit became
            raise
        counted = None
    answer, _ = service.adjust(member_id, body.points, body.reason, ctx.idempotency, expires_on=body.expires_on,
                               limit=counted)  # fmt: skip
    return _created(answer, LedgerEntry)


@endpoint("/v1/points/adjustment-batches", "POST", summary="Credit or debit points for a list of members",
          tag="points", access=Staff(Permission.POINTS_ADJUST, chain=True), body=AdjustmentBatchCreate,
          response=AdjustmentBatchOut)  # fmt: skip
def adjust_batch(ctx: RequestContext) -> Reply:
    """A bulk adjustment (批量调整积分): up to 200 rows a request, each naming a member (id, phone or member number),
    points (negative to debit) and, if its own, a reason and an expiry. Each row is applied once for good under the
    batch's name, so a file goes in several requests under one name, and sent again (a lost answer, its failed rows
    mended) applies only what was not applied before; no `Idempotency-Key` is needed. Rows fail alone (no such member,
    too few points for a debit …: each row's `problem` says which); the answer is 200 with every row's outcome.
    Head office only (staff of every store), held to no per-adjustment limit: a store's staff credit one member at a
    time.

    Errors: 403 for staff scoped to stores; 422 for a body that is not rows (each field by its path, e.g.
    `rows.3.points`)."""
    body: AdjustmentBatchCreate = ctx.body
    outcomes = bulk.adjust_batch(body)
    counts = {name: sum(outcome.outcome == name for outcome in outcomes) for name in ("applied", "skipped", "failed")}
    return Reply(AdjustmentBatchOut(batch=body.batch, **counts, rows=[BatchRowOutcome(**asdict(o)) for o in outcomes]))
