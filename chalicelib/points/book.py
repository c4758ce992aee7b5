"""The points book (积分) on the ledger engine: its state is the account of ``rules`` (lots, debt, counters).

What a posting does depends on its kind, as the ledger entries have always been typed:

- ``earn``, ``opening``, ``adjust`` (positive): a credit into the lots its detail names
  (``{"lots": [[expires_on, available_on, points], ...]}``), paying off debt first;
- ``redeem``: a spend, soonest expiry first, never below what is available (``Insufficient``);
- ``adjust`` (negative): a deduction, never below zero;
- ``refund``: a claw-back, pending points first, what is not there becoming debt;
- ``expire``: the lots expired through the day its detail names (``{"through": day}``);
- ``reverse``: a redemption's draws (``{"draws": ...}``) put back into their lots.

Each entry's detail is the lots it added to or took from (``[[expires_on, available_on, points], ...]``): a credit
that paid off debt names only what reached its lots, so an entry's lots and its amount differ by what the debt moved.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.ledger.model import Entry, Insufficient, Posting
from chalicelib.ledger.registry import register_book
from chalicelib.points import rules
from chalicelib.points.rules import Account, Draw, Lot

BOOK = "points"
CREDITS = ("earn", "opening", "adjust")


def draws_of(raw: Any) -> list[Draw]:
    return [Draw(_day(e), _day(a), int(p)) for e, a, p in raw or []]


def added(before: Account, after: Account) -> list[Draw]:
    """What a credit put into each lot: the lots' growth from ``before`` to ``after`` (not the debt it paid off)."""
    held = {(lot.expires_on, lot.available_on): lot.points for lot in before.lots}
    return [Draw(lot.expires_on, lot.available_on, lot.points - held.get((lot.expires_on, lot.available_on), 0))
            for lot in after.lots if lot.points > held.get((lot.expires_on, lot.available_on), 0)]  # fmt: skip


def dumped(draws: list[Draw]) -> list[list[Any]]:
    return [[_iso(d.expires_on), _iso(d.available_on), d.points] for d in draws]


class PointsBook:
    name = BOOK
    entry_prefix = "pe_"

    def load(self, raw: Any) -> Account:
        if not raw:
            return Account()
        lots = tuple(Lot(_day(e), _day(a), int(p)) for e, a, p in raw["lots"])
        counters = {name: int(raw[name]) for name in ("debt", "earned", "deducted", "redeemed", "expired")}
        return Account(lots=rules.sorted_lots(lots), **counters)

    def dump(self, state: Account) -> dict[str, Any]:
        return {
            "lots": [[_iso(lot.expires_on), _iso(lot.available_on), lot.points] for lot in state.lots],
            "debt": state.debt, "earned": state.earned, "deducted": state.deducted, "redeemed": state.redeemed,
            "expired": state.expired,
        }  # fmt: skip

    def apply(self, state: Account, posting: Posting, today: date) -> tuple[Account, Any]:
        kind, amount, detail = posting.kind, posting.amount, posting.detail or {}
        try:
            if kind in CREDITS and amount > 0:
                credited = draws_of(detail["lots"])
                assert sum(d.points for d in credited) == amount, "a credit's lots add up to its amount"
                after = rules.credit_lots(state, credited)
                return after, dumped(added(state, after))
            if kind == "redeem":
                after, draws = rules.redeem(state, -amount, today)
            elif kind == "adjust":
                after, draws = rules.deduct(state, -amount, today)
            elif kind == "refund":
                after, draws = rules.claw_back(state, -amount, today)
            elif kind == "expire":
                after, draws = rules.expire(state, date.fromisoformat(detail["through"]))
                assert -sum(d.points for d in draws) == amount, "an expiry books exactly what expired"
            elif kind == "reverse":
                after = rules.restore(state, draws_of(detail["draws"]))
                draws = added(state, after)
            else:
                raise ValueError(f"the points book has no {kind!r} of {amount}")
        except rules.ShortOfPoints:
            raise Insufficient(BOOK, state.available(today), -amount) from None
        return after, dumped(draws)

    def undo(self, state: Account, entry: Entry, today: date) -> tuple[Account, Any]:
        if entry.kind != "redeem":
            raise ValueError("only a redemption is undone as such; other corrections are adjustments")
        after = rules.restore(state, draws_of(entry.detail))
        return after, dumped(added(state, after))

    def balance(self, state: Account) -> int:
        return state.balance

    def problems(self, state: Account) -> list[str]:
        """The counters add up: earned - deducted - redeemed - expired = lots - debt (reconciliation checks)."""
        if state.earned - state.deducted - state.redeemed - state.expired != state.balance:
            return ["earned - deducted - redeemed - expired differs from the balance"]
        return []

    def due(self, state: Account, today: date) -> dict[str, date | None]:
        return {"expiry": state.soonest_expiry(), "maturity": state.soonest_maturity()}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


register_book(PointsBook())
