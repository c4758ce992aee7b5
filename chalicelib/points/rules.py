"""The points account as pure rules: lots, expiry, pending points, spending order, debt. No AWS here.

- Every credit becomes a lot: points with an expiry date (or none) from the expiry policy, and, during a
  return window, a date they become available on. Lots with the same dates merge.
- A lot is spendable from its availability date through the end of its expiry date (business dates).
  Balances are computed as of a day, so points past their date are never counted or spent, whether or not
  the nightly job has booked them as expired.
- Spending takes the soonest-expiring available points first; points that never expire go last.
- A credit pays off debt (left by a refund claw-back) before it becomes a lot.
- The booked balance is the sum of the ledger: lots (expired-but-unbooked included) minus debt, and equally
  earned - deducted - redeemed - expired.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from chalicelib.shared.validity import ExpiryPolicy as ExpiryPolicy  # points expire by it (re-exported)


class ShortOfPoints(Exception):
    """Fewer points are available than asked for (the pure rule's; the service answers 409 ``InsufficientPoints``)."""


@dataclass(frozen=True)
class Lot:
    """Points with the same availability and expiry dates. ``None``: available now / never expires."""

    expires_on: date | None
    available_on: date | None
    points: int = field(compare=False)

    def spendable(self, today: date) -> bool:
        return not self.pending(today) and not self.expired(today)

    def pending(self, today: date) -> bool:
        return self.available_on is not None and self.available_on > today

    def expired(self, today: date) -> bool:
        return self.expires_on is not None and self.expires_on < today


def _spending_order(lot: Lot) -> tuple[date, date]:
    return (lot.expires_on or date.max, lot.available_on or date.min)


def sorted_lots(lots: tuple[Lot, ...]) -> tuple[Lot, ...]:
    """Lots in spending order: soonest expiry first, those that never expire last."""
    return tuple(sorted(lots, key=_spending_order))


@dataclass(frozen=True)
class Draw:
    """Points taken from (or put back into) the lot with these dates."""

    expires_on: date | None
    available_on: date | None
    points: int


@dataclass(frozen=True)
class Account:
    """A member's points: the lots and the lifetime counters the ledger adds up to."""

    lots: tuple[Lot, ...] = ()
    debt: int = 0
    earned: int = 0  # credits: earn, opening balances, positive adjustments
    deducted: int = 0  # debits other than redemption and expiry: negative adjustments, refund claw-backs
    redeemed: int = 0  # net of reversals
    expired: int = 0

    @property
    def balance(self) -> int:
        return sum(lot.points for lot in self.lots) - self.debt

    def available(self, today: date) -> int:
        return sum(lot.points for lot in self.lots if lot.spendable(today))

    def pending(self, today: date) -> int:
        return sum(lot.points for lot in self.lots if lot.pending(today) and not lot.expired(today))

    def expiring(self, today: date) -> list[tuple[date, int]]:
        """Spendable points by expiry date, soonest first (points that never expire are not listed)."""
        dates: dict[date, int] = {}
        for lot in self.lots:
            if lot.spendable(today) and lot.expires_on is not None:
                dates[lot.expires_on] = dates.get(lot.expires_on, 0) + lot.points
        return sorted(dates.items())

    def soonest_expiry(self) -> date | None:
        return min((lot.expires_on for lot in self.lots if lot.expires_on is not None), default=None)

    def soonest_maturity(self) -> date | None:
        return min((lot.available_on for lot in self.lots if lot.available_on is not None), default=None)


def _with_lots(lots: tuple[Lot, ...], changes: list[Draw]) -> tuple[Lot, ...]:
    """Add each change's points (positive or negative) to the lot with its dates, all in one pass (an operation on
    thousands of lots stays linear); an emptied lot disappears."""
    held: dict[tuple[date | None, date | None], int] = {}
    for lot in lots:  # one lot per pair of dates; should a stored account hold two, they add up
        held[(lot.expires_on, lot.available_on)] = held.get((lot.expires_on, lot.available_on), 0) + lot.points
    for change in changes:
        dates = (change.expires_on, change.available_on)
        held[dates] = held.get(dates, 0) + change.points
    assert all(points >= 0 for points in held.values()), "a lot never holds negative points"
    return tuple(sorted((Lot(*dates, points) for dates, points in held.items() if points), key=_spending_order))


def _taken(draw: Draw) -> Draw:
    """The change a draw makes to its lot: its points taken away."""
    return replace(draw, points=-draw.points)


def credit(account: Account, points: int, expires_on: date | None, available_on: date | None = None) -> Account:
    """Add earned points: they pay off any debt first, the rest becomes (part of) a lot."""
    return credit_lots(account, [Draw(expires_on, available_on, points)])


def credit_lots(account: Account, credits: list[Draw]) -> Account:
    """Add earned points lot by lot, as ``credit`` one after the other: each pays off what debt is left first."""
    owed, changes = account.debt, []
    for each in credits:
        assert each.points > 0
        paid = min(each.points, owed)
        owed -= paid
        changes.append(replace(each, points=each.points - paid))
    earned = sum(each.points for each in credits)
    return replace(account, lots=_with_lots(account.lots, changes), debt=owed, earned=account.earned + earned)


def spend(account: Account, points: int, today: date) -> tuple[Account, list[Draw]]:
    """Take ``points`` from the available lots, soonest expiry first; ShortOfPoints if they fall short."""
    assert points > 0
    if account.available(today) < points:
        raise ShortOfPoints(f"{account.available(today)} points are available, {points} asked")
    draws, left = [], points
    for lot in sorted((lot for lot in account.lots if lot.spendable(today)), key=_spending_order):
        taken = min(left, lot.points)
        draws.append(Draw(lot.expires_on, lot.available_on, taken))
        left -= taken
        if not left:
            break
    return replace(account, lots=_with_lots(account.lots, [_taken(draw) for draw in draws])), draws


def redeem(account: Account, points: int, today: date) -> tuple[Account, list[Draw]]:
    spent, draws = spend(account, points, today)
    return replace(spent, redeemed=account.redeemed + points), draws


def restore(account: Account, draws: list[Draw]) -> Account:
    """Undo a redemption: its points go back to the lots they came from, with their expiry dates (points
    whose date has passed meanwhile come back expired, and the nightly job books them). Like any credit they
    pay off debt first, taken from the latest-expiring of them."""
    owed, changes = account.debt, []
    for draw in sorted(draws, key=lambda d: _spending_order(Lot(d.expires_on, d.available_on, d.points)), reverse=True):
        repaid = min(owed, draw.points)
        owed -= repaid
        changes.append(replace(draw, points=draw.points - repaid))
    lots = _with_lots(account.lots, changes)
    return replace(account, lots=lots, debt=owed, redeemed=account.redeemed - sum(draw.points for draw in draws))


def deduct(account: Account, points: int, today: date, *, allow_debt: bool = False) -> tuple[Account, list[Draw]]:
    """Take points away (a negative adjustment, a refund claw-back). Without ``allow_debt`` it cannot go
    below zero; with it, what the available lots cannot cover becomes debt."""
    assert points > 0
    covered = min(points, account.available(today)) if allow_debt else points
    spent, draws = spend(account, covered, today) if covered else (account, [])
    return replace(spent, debt=account.debt + points - covered, deducted=account.deducted + points), draws


def claw_back(account: Account, points: int, today: date) -> tuple[Account, list[Draw]]:
    """Take back points a refund cancels: pending points first (the newest, most likely the refunded
    order's), then spendable points soonest expiry first; what is not there becomes debt."""
    assert points > 0
    draws, left = [], points
    pending = sorted((lot for lot in account.lots if lot.pending(today)), key=lambda lot: lot.available_on or today,
                     reverse=True)  # fmt: skip
    spendable = sorted((lot for lot in account.lots if lot.spendable(today)), key=_spending_order)
    for lot in [*pending, *spendable]:
        if not left:
            break
        taken = min(left, lot.points)
        draws.append(Draw(lot.expires_on, lot.available_on, taken))
        left -= taken
    lots = _with_lots(account.lots, [_taken(draw) for draw in draws])
    return replace(account, lots=lots, debt=account.debt + left, deducted=account.deducted + points), draws


def expire(account: Account, through: date) -> tuple[Account, list[Draw]]:
    """Book the lots whose expiry date is ``through`` or earlier (pending or not) as expired."""
    due = [lot for lot in account.lots if lot.expires_on is not None and lot.expires_on <= through]
    if not due:
        return account, []
    lots = tuple(lot for lot in account.lots if lot not in due)
    points = sum(lot.points for lot in due)
    draws = [Draw(lot.expires_on, lot.available_on, lot.points) for lot in due]
    return replace(account, lots=lots, expired=account.expired + points), draws


def mature(account: Account, through: date) -> tuple[Account, list[Draw]]:
    """Make pending lots whose date is ``through`` or earlier plainly available (balances do not change)."""
    moved = [Draw(lot.expires_on, lot.available_on, lot.points) for lot in account.lots
             if lot.available_on is not None and lot.available_on <= through]  # fmt: skip
    changes = [change for draw in moved for change in (_taken(draw), replace(draw, available_on=None))]
    return replace(account, lots=_with_lots(account.lots, changes)), moved


class CashRefused(ValueError):
    """Why points cannot pay part of an order, and which field of the request says so."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def points_as_cash(points: int, value_fen: Decimal, total_fen: int, max_percent: int, taken_fen: int = 0) -> int:
    """积分抵现: the fen ``points`` pay of a till order of ``total_fen``, each point worth ``value_fen``
    (``LOYALTY_POINT_VALUE_FEN``). ``CashRefused`` says why not: the chain takes none (a worth or a share of 0),
    points whose worth is not whole fen (a member never loses part of a fen), or more than ``max_percent`` of the
    order or than what its coupons left of it (``taken_fen`` off: the sale could not be recorded)."""
    if not value_fen or not max_percent:
        raise CashRefused("order_id", "this chain takes no points as cash (积分抵现)")
    value = Fraction(value_fen)
    worth = value * points
    if worth.denominator != 1:
        raise CashRefused("points", f"points are worth whole fen: a multiple of {value.denominator}")
    most = min(total_fen * max_percent // 100, max(0, total_fen - taken_fen))
    if worth > most:
        left = f" and what its coupons left of it ({total_fen - taken_fen} fen)" if taken_fen else ""
        detail = f"points pay at most {max_percent}% of the order{left}: {most} fen, {int(most / value)} points"
        raise CashRefused("points", detail)
    return int(worth)


def cash_terms(available: int, value_fen: Decimal, max_percent: int) -> dict[str, object] | None:
    """积分抵现 as the chain offers it, for the till and the member: what ``available`` points pay at most (whole fen,
    rounded down), what a point is worth and the most of an order points pay; None when the chain takes none."""
    if not value_fen or not max_percent:
        return None
    worth = int(Fraction(value_fen) * max(available, 0))
    return {"worth_fen": worth, "point_value_fen": str(value_fen), "max_percent": max_percent}
