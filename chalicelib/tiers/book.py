"""The growth (成长值) and tier books on the ledger engine.

- ``growth``: lifetime growth value and paid fen, and both per business month (``rules.Metrics``). A posting
  counts ``detail = {"growth", "paid_fen", "month"}`` as reported (a refund's negative); its amount is the
  change of growth value that makes (nothing goes below zero), so a refund that only moves paid fen makes no
  entry. An entry's detail is ``{"paid_fen", "month"}``.
- ``tier``: the member's standing (tier, since, valid until, override, the warning sent, the programme version
  it was judged by, the next review day). Its balance is always 0: the tier service decides a new standing
  with the programme and posts it (``detail``) as a posting of 0, or amends it; the review day indexes the
  member for the nightly review. The history of changes is the tier service's own record.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.ledger.model import Entry, Posting
from chalicelib.ledger.registry import register_book
from chalicelib.tiers.rules import Metrics

GROWTH, TIER = "growth", "tier"


class GrowthBook:
    name = GROWTH
    entry_prefix = "ge_"

    def load(self, raw: Any) -> Metrics:
        if not raw:
            return Metrics()
        months = {month: (int(pair[0]), int(pair[1])) for month, pair in raw["months"].items()}
        return Metrics(int(raw["growth"]), int(raw["paid_fen"]), months)

    def dump(self, state: Metrics) -> dict[str, Any]:
        months = {month: list(pair) for month, pair in sorted(state.months.items())}
        return {"growth": state.growth, "paid_fen": state.paid_fen, "months": months}

    def apply(self, state: Metrics, posting: Posting, today: date) -> tuple[Metrics, Any]:
        detail = posting.detail
        after = state.add(detail["month"], int(detail["growth"]), int(detail["paid_fen"]), today)
        assert after.growth - state.growth == posting.amount, "a growth posting's amount is the change it makes"
        return after, {"paid_fen": int(detail["paid_fen"]), "month": detail["month"]}

    def undo(self, state: Metrics, entry: Entry, today: date) -> tuple[Metrics, Any]:
        raise ValueError("growth is taken back by the refund that cancels it, never undone as such")

    def balance(self, state: Metrics) -> int:
        return state.growth

    def due(self, state: Metrics, today: date) -> dict[str, date | None]:
        return {}


class TierBook:
    name = TIER

    def load(self, raw: Any) -> dict[str, Any]:
        return dict(raw or {})

    def dump(self, state: dict[str, Any]) -> dict[str, Any]:
        return state

    def apply(self, state: dict[str, Any], posting: Posting, today: date) -> tuple[dict[str, Any], Any]:
        assert posting.amount == 0, "a standing has no balance"
        return dict(posting.detail), None

    def undo(self, state: dict[str, Any], entry: Entry, today: date) -> tuple[dict[str, Any], Any]:
        raise ValueError("a standing is never undone; the tier service decides another")

    def balance(self, state: dict[str, Any]) -> int:
        return 0

    def due(self, state: dict[str, Any], today: date) -> dict[str, date | None]:
        review = state.get("review")
        return {"review": date.fromisoformat(review) if review else None}


register_book(GrowthBook())
register_book(TierBook())
