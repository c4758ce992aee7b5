"""The limits on money a cashier records at the counter: a sale's paid amount (消费记账) and a top-up (储值充值) alike;
and on the points staff of a store credit by hand (积分调整).

A cashier alone must not give a friend the points of a sale that never happened, nor stored value for money never
taken: one sale or top-up is at most ``LOYALTY_COUNTER_PURCHASE_LIMIT_FEN``, and a cashier's day of them together at
most ``LOYALTY_COUNTER_DAILY_LIMIT_FEN`` (0: none), counted in the write's own transaction, so a burst of requests
cannot pass it. Staff whose roles record large purchases (a store manager's) are held to neither.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from chalicelib.identity.access import Caller
from chalicelib.identity.rules import Permission, counter_purchase_cap
from chalicelib.shared import clock
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Forbidden
from chalicelib.shared.ratelimit import take_in_window
from chalicelib.shared.settings import get_settings


class OverCounterLimit(Forbidden):
    slug, title = "counter-purchase-over-limit", "A sale this large is recorded at the counter by a store manager"


class OverCounterDailyLimit(Forbidden):
    slug, title = "counter-daily-limit", "Today's sales and top-ups taken at the counter reached the cashier's limit"


Takings = Callable[[Transaction], None]  # counts an amount in the cashier's day, in the write's transaction


def counter_takings(caller: Caller, amount_fen: int, what: str) -> Takings | None:
    """The limits on ``amount_fen`` recorded at the counter as ``what`` (a sale, a top-up): 403
    ``counter-purchase-over-limit`` (with ``limit_fen``) above the one-sale limit, and the count of the cashier's day
    to commit with the write (403 ``counter-daily-limit`` at commit when the day would pass its limit). None for
    staff who record large amounts, and callers who are not staff."""
    if caller.grant is None or caller.grant.may(Permission.PURCHASES_RECORD_LARGE):
        return None
    settings = get_settings()
    cap = counter_purchase_cap(caller.grant, settings.counter_purchase_limit_fen)
    if cap is not None and amount_fen > cap:
        raise OverCounterLimit(f"Above {cap / 100:,.2f} CNY, a {what} is recorded at the counter by staff with "
                               f"{Permission.PURCHASES_RECORD_LARGE} (a store manager)", limit_fen=cap)  # fmt: skip
    limit = settings.counter_daily_limit_fen
    refusal = OverCounterDailyLimit(f"Your sales and top-ups taken at the counter today would pass {limit / 100:,.2f} "
                                    "CNY: a store manager records the rest", limit_fen=limit)  # fmt: skip
    return _counted_today("counter-sales", caller, amount_fen, limit, refusal)  # the name it had for sales alone


def _counted_today(counter: str, caller: Caller, amount: int, limit: int, refusal: Exception) -> Takings | None:
    """The count of ``amount`` in the caller's business day under ``counter``, to commit with the write that takes it
    (``refusal`` at commit when the day would pass ``limit``); None when there is no limit (0)."""
    if not limit:
        return None
    today = clock.business_today()
    ends = datetime.combine(today + timedelta(days=1), time(), get_settings().tz)
    key = f"{counter}:{caller.id}:{today.isoformat()}"
    return lambda tx: take_in_window(tx, key, limit, ends, refusal, amount)


class OverAdjustmentLimit(Forbidden):
    slug, title = "adjustment-over-limit", "A credit this large is made by head office"


class OverAdjustmentDailyLimit(Forbidden):
    slug, title = "adjustment-daily-limit", "Today's credits by hand reached the limit of staff of a store"


def adjustment_allowance(caller: Caller, points: int) -> Takings | None:
    """The limits on points staff scoped to stores credit by hand (a store manager's goodwill, found by a walkthrough:
    one credited a million points to a member of another store): one credit at most ``LOYALTY_ADJUST_LIMIT_POINTS``
    (403 ``adjustment-over-limit`` with ``limit_points``), their business day's credits together at most
    ``LOYALTY_ADJUST_DAILY_LIMIT_POINTS``, counted in the credit's own transaction (403 ``adjustment-daily-limit``).
    Head office (staff of every store) and debits are held to neither; every adjustment is audited."""
    if points <= 0 or caller.kind != "staff" or not caller.stores:
        return None
    settings = get_settings()
    cap = settings.adjust_limit_points
    if cap and points > cap:
        raise OverAdjustmentLimit(f"Above {cap:,} points, a credit by hand is made by head office (staff of every "
                                  "store)", limit_points=cap)  # fmt: skip
    limit = settings.adjust_daily_limit_points
    refusal = OverAdjustmentDailyLimit(f"Your credits by hand today would pass {limit:,} points: head office makes the "
                                       "rest", limit_points=limit)  # fmt: skip
    return _counted_today("points-credits", caller, points, limit, refusal)
