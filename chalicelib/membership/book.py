"""Paid membership's books on the ledger engine, registered when this module is imported, both on the member's own
account (so a purchase's one read of the account also reads the member's cards):

- ``membership``: the member's cards (state) and the money paid for them still held (balance, fen): a payment adds
  its amount, a refund takes it back; a free trial is an entry of 0 that explains itself.
- ``benefit-uses``: the counted benefits' uses per source and period (state) and the net uses ever (balance): a use
  is +1, refused past the period's allowance; its reversal -1, once (``Ledger.reverse``).

The cards' rules are imported when a state holds a card or a use: a purchase reads these books for every member, and
most hold none (the rules cost about 15 ms of CPU of a cold start on the slower machines).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from chalicelib.ledger.model import Entry, Insufficient, Posting
from chalicelib.ledger.registry import register_book

if TYPE_CHECKING:
    from chalicelib.membership.rules import Card, Usage

MEMBERSHIP = "membership"
USES = "benefit-uses"


@dataclass(frozen=True)
class Cards:
    """A member's cards by id, the plans whose trial they took, and the money held for them (fen)."""

    cards: dict[str, Card] = field(default_factory=dict)
    trials: tuple[str, ...] = ()
    held_fen: int = 0
    plans: dict[str, Any] = field(default_factory=dict)  # plan id -> the plan's due-relevant part (``due_plan``)


class MembershipBook:
    """Postings carry the card as it becomes (``detail["card"]``, planned by ``rules``): the book sets it and moves
    the money held by the posting's amount, never below zero (a refund of more than was paid)."""

    name = MEMBERSHIP
    entry_prefix: ClassVar[str] = "me_"

    def load(self, raw: Any) -> Cards:
        raw = raw or {}
        cards: dict[str, Card] = {}
        if raw.get("cards"):
            from chalicelib.membership.rules import Card

            cards = {card_id: Card.from_json(card) for card_id, card in raw["cards"].items()}
        return Cards(cards, tuple(raw.get("trials", [])), int(raw.get("held", 0)), dict(raw.get("plans", {})))

    def dump(self, state: Cards) -> Any:
        if not state.cards and not state.trials and not state.held_fen:
            return None
        return {"cards": {card_id: card.to_json() for card_id, card in state.cards.items()},
                "trials": list(state.trials), "held": state.held_fen, "plans": state.plans}  # fmt: skip

    def apply(self, state: Cards, posting: Posting, today: date) -> tuple[Cards, Any]:
        held = state.held_fen + posting.amount
        if held < 0:
            raise Insufficient(self.name, state.held_fen, -posting.amount)
        detail = posting.detail or {}
        cards, trials, plans = dict(state.cards), state.trials, dict(state.plans)
        if "card" in detail:
            from chalicelib.membership.rules import Card

            card = Card.from_json(detail["card"])
            cards[card.card_id] = card
            if detail.get("trial") and card.plan_id not in trials:
                trials = (*trials, card.plan_id)
        if "plan" in detail:
            plans[detail["plan"]["plan_id"]] = detail["plan"]
        said = {  # a refund's (or a pause's) words, for the member, and the payments of it the wallet takes back
            key: detail[key]
            for key in ("explanation", "explanation_en", "to_wallet", "member_reason", "member_reason_en")
            if key in detail
        }
        return Cards(cards, trials, held, plans), {"card_id": detail.get("card", {}).get("card_id"), **said}

    def undo(self, state: Cards, entry: Entry, today: date) -> tuple[Cards, Any]:
        raise NotImplementedError("a card's payments are refunded by a cancellation, never reversed")

    def balance(self, state: Cards) -> int:
        return state.held_fen

    def due(self, state: Cards, today: date) -> dict[str, date | None]:
        """The next day the nightly card job must look at this member (reminders, lapses, coupon packs)."""
        if not state.cards:
            return {"cards": None}
        from chalicelib.membership.plans import due_plan
        from chalicelib.membership.rules import next_due

        days = [next_due(card, due_plan(state.plans.get(card.plan_id)), today) for card in state.cards.values()]
        found = [day for day in days if day is not None]
        return {"cards": min(found, default=None)}


@dataclass(frozen=True)
class Uses:
    """Uses per counted benefit (``<source>|<benefit id>``), and the net uses ever (the book's balance)."""

    by_key: dict[str, Usage] = field(default_factory=dict)
    net: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # uses ever per key (what a refund may deduct)


USE_RECORD = ("benefit_id", "note", "store_id", "student_id")  # what an entry keeps of its use, besides its key and
# period (whose class it was, for a student's card: 学员)


class UsesBook:
    """A use posts +1 with ``detail`` {key, period, allowed, cycle?, drawn?}: refused (``Insufficient``) when the
    period's uses (of the card's cycle, for a term quota) reached what is allowed; a new period starts from ``drawn``,
    the uses earlier terms drew from it (a term quota's terms paid ahead). A reversal takes the use back from its
    period's count while that period (and cycle) lasts. A count or an entry without a cycle was kept before cycles
    were: it counts in the cycle now."""

    name = USES
    entry_prefix: ClassVar[str] = "bu_"

    def load(self, raw: Any) -> Uses:
        raw = raw or {}
        by_key: dict[str, Usage] = {}
        if raw.get("k"):
            from chalicelib.membership.rules import Usage

            by_key = {key: Usage(date.fromisoformat(value["p"]), int(value["u"]), int(value.get("c", 0)),
                                 value.get("y"), int(value.get("d", 0)))
                      for key, value in raw["k"].items()}  # fmt: skip
        return Uses(by_key, int(raw.get("n", 0)), {key: int(n) for key, n in raw.get("t", {}).items()})

    def dump(self, state: Uses) -> Any:
        if not state.by_key and not state.net:
            return None
        keys = {key: {"p": u.period.isoformat(), "u": u.used, **({"c": u.carried} if u.carried else {}),
                      **({"y": u.cycle} if u.cycle is not None else {}), **({"d": u.drawn} if u.drawn else {})}
                for key, u in state.by_key.items()}  # fmt: skip
        return {"k": keys, "n": state.net, "t": state.totals}

    def apply(self, state: Uses, posting: Posting, today: date) -> tuple[Uses, Any]:
        detail = posting.detail
        key, period, cycle = detail["key"], date.fromisoformat(detail["period"]), detail.get("cycle")
        usage = state.by_key.get(key)
        if usage is None or usage.period != period or not usage.counts_in(cycle):
            from chalicelib.membership.rules import Usage

            drawn = int(detail.get("drawn", 0))
            usage = Usage(period, drawn, int(detail.get("carried", 0)), cycle, drawn)
        used = usage.used + posting.amount
        if posting.amount > 0 and used > int(detail["allowed"]):
            raise Insufficient(self.name, max(0, int(detail["allowed"]) - usage.used), posting.amount)
        by_key = {**state.by_key, key: replace(usage, used=max(0, used), cycle=usage.cycle if cycle is None else cycle)}
        totals = {**state.totals, key: state.totals.get(key, 0) + posting.amount}
        kept = {name: detail[name] for name in USE_RECORD if detail.get(name)}  # the use record (消课记录) lists them
        said = {"key": key, "period": detail["period"], **({"cycle": cycle} if cycle is not None else {}), **kept,
                **({"card_cycle": detail["card_cycle"]} if "card_cycle" in detail else {})}  # fmt: skip
        return Uses(by_key, state.net + posting.amount, totals), said

    def undo(self, state: Uses, entry: Entry, today: date) -> tuple[Uses, Any]:
        """Give a use back: to its period's count when that period is still the one counted; to a later term's count
        while it holds uses its earlier terms drew from it (one of them, then, was drawn from it: a review); else
        only to the net."""
        key, period = entry.detail["key"], date.fromisoformat(entry.detail["period"])
        usage = state.by_key.get(key)
        by_key = dict(state.by_key)
        made_in = entry.detail.get("cycle")  # None: a calendar quota's, or recorded before cycles were kept
        if usage is not None and usage.period == period and usage.counts_in(made_in):
            by_key[key] = replace(usage, used=max(0, usage.used - entry.amount))
        elif usage is not None and made_in is not None and usage.period > period and usage.counts_in(made_in):
            back = min(usage.drawn, entry.amount)
            by_key[key] = replace(usage, used=max(0, usage.used - back), drawn=usage.drawn - back)
        totals = {**state.totals, key: state.totals.get(key, 0) - entry.amount}
        undone = {"key": key, "period": entry.detail["period"], "undoes": entry.entry_id, "use_id": entry.source.id,
                  **({"cycle": made_in} if made_in is not None else {}),
                  **{name: entry.detail[name] for name in USE_RECORD if entry.detail.get(name)}}  # fmt: skip
        return Uses(by_key, state.net - entry.amount, totals), undone

    def balance(self, state: Uses) -> int:
        return state.net

    def due(self, state: Uses, today: date) -> dict[str, date | None]:
        return {}  # a new period needs no write: a use reads which period it counts in


register_book(MembershipBook())
register_book(UsesBook())
