"""The nightly card job: reminders before a card ends (7 days and 1 day ahead), before a term of a pack renewed
ahead ends with its own classes left (7 days ahead), the automatic renewal's notice (a week ahead, at least 5 days
before any charge), the lapse once grace ended (the fallback: the member is back to
their earned tier's benefits), a card waiting for its first visit that started by itself (its end said), and the
period's coupon packs. Quotas need no job: a use reads which period it counts
in, so a new period starts from nothing by itself.

It reads only the member accounts the ledger's ``cards`` date index lists for the days due (each card's next
reminder, notice, lapse or pack day), never every member. Each account is changed by ``Ledger.amend``, conditional
on its revision, with the events it owes; what was sent is noted on the card, so a re-run sends nothing twice (and
the notifications dispatcher dedupes each message by member, kind and occurrence besides).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from chalicelib.ledger.model import Account
from chalicelib.ledger.registry import ledger
from chalicelib.membership import plans as plan_store
from chalicelib.membership import rules
from chalicelib.membership.book import MEMBERSHIP, USES, Cards, Uses
from chalicelib.membership.rules import Card
from chalicelib.shared import clock, schedules
from chalicelib.shared.dateindex import PARTITIONS_PER_BATCH, partitions
from chalicelib.shared.events import Event, new_event
from chalicelib.shared.jobs import SINCE_THE_FIRST_DAY, Job, register

READ_BATCH = 100


def _due(keys: list[str]) -> Iterator[tuple[str, Account]]:
    engine = ledger()
    for partition in keys:
        holders = engine.store.due_in("cards", partition)
        for start in range(0, len(holders), READ_BATCH):
            yield from engine.store.read_many(holders[start : start + READ_BATCH]).items()


def settle_card(
    member_id: str, card: Card, today: date, uses: Uses | None = None
) -> tuple[Card, list[Event], list[str]]:
    """The card after tonight's look, the events it owes and what they were (pure but for the plan's lookup); a
    reminder says what of a per-term quota is left unused (``uses``: the member's counts)."""
    events, done = [], []
    plan = plan_store.find_or_none(card.plan_id)
    name = plan.name if plan else card.plan_id
    until = card.valid_until.isoformat() if card.valid_until else None
    base = {"member_id": member_id, "card_id": card.card_id, "plan_id": card.plan_id, "plan_name": name,
            "valid_until": until, **({"student_id": card.student_id} if card.student_id else {})}  # fmt: skip
    for what in rules.notices_due(card, today):
        noted = f"{what}:{until}"
        if what.startswith("term-ending@"):  # a term renewed ahead ends: its own classes left end with it
            term_end = what.partition("@")[2]
            noted = f"term-ending:{until}@{term_end}"
            own = rules.term_uses_left(card, plan, uses.by_key, today, own_only=True) if plan and uses else []
            ending = [(name, n) for name, n, carries in own if not carries]
            if ending:
                events.append(new_event("membership.term-ending", f"member/{member_id}", {
                    **base, "term_ends_on": term_end, "uses_left": [{"benefit": name, "left": n} for name, n in ending],
                }))  # fmt: skip
        elif what.startswith("expiring-"):
            days = int(what.rpartition("-")[2])
            left = rules.term_uses_left(card, plan, uses.by_key, today) if plan and uses else []
            events.append(new_event("membership.card-expiring", f"member/{member_id}", {
                **base, "days_left": days, "uses_left": [{"benefit": name, "left": n, "carries": carries,
                                                 "refundable": rules.refunds_unused(card, plan)}
                                                for name, n, carries in left],
            }))  # fmt: skip
        elif what == "renewal-notice":
            noted += f"@{today.isoformat()}"
            charge = today + timedelta(days=rules.LEAST_NOTICE_DAYS)
            events.append(new_event("membership.renewal-notice", f"member/{member_id}", {
                **base, "amount_fen": plan.price_fen if plan else 0, "charge_not_before": charge.isoformat(),
            }))  # fmt: skip
        elif what == "started":  # a card waiting for its first visit started by itself: its end said
            events.append(new_event("membership.card-started", f"member/{member_id}", {
                **base, "started_on": card.started_on.isoformat()}))  # fmt: skip
        elif what == "lapsed":
            last = card.valid_until or today  # what its last term left unused (refundable: the member's still)
            left = rules.term_uses_left(card, plan, uses.by_key, last) if plan and uses else []
            card = replace(card, lapsed_on=today)
            events.append(new_event("membership.card-lapsed", f"member/{member_id}", {
                **base, "lapsed_on": today.isoformat(), **({"store_id": card.sold_at} if card.sold_at else {}),
                **({"uses_left": [{"benefit": name, "left": n, "refundable": rules.refunds_unused(card, plan)}
                                  for name, n, _ in left]} if left else {}),
            }))  # fmt: skip
        card = replace(card, notified=(*card.notified, noted))
        done.append(what)
    if plan is not None:
        for benefit, first in rules.packs_due(card, plan, today):
            pack = f"{benefit.benefit_id}:{first.isoformat()}"
            card = replace(card, packs=(*card.packs, pack))
            events.append(new_event("membership.coupon-pack-due", f"member/{member_id}", {
                "member_id": member_id, "card_id": card.card_id, "benefit_id": benefit.benefit_id,
                "template_id": benefit.template_id, "count": benefit.count, "period": first.isoformat(),
                "source": rules.pack_source(card, pack),
            }))  # fmt: skip
            done.append("coupon-pack")
    return (rules.compact(card, plan, today) if plan else card), events, done


def settle(member_id: str, today: date, known: Account | None = None) -> Counter[str]:
    """Tonight's look at every card of one member, in one conditional write with its events."""
    tallies: Counter[str] = Counter()
    owed: list[Event] = []
    uses = ledger().books[USES].load(known.books.get(USES)) if known is not None else None

    def change(state: Cards) -> Cards:
        owed.clear()
        tallies.clear()
        cards = dict(state.cards)
        for card_id, card in state.cards.items():
            after, events, done = settle_card(member_id, card, today, uses)
            cards[card_id] = after
            owed.extend(events)
            tallies.update(done)
        return replace(state, cards=cards) if cards != state.cards else state

    changed = ledger().amend(member_id, MEMBERSHIP, change, announce=lambda state: list(owed), known=known)
    return tallies if changed else Counter({"unchanged": 1})


class SettleMembershipCards(Job):
    """Send card reminders and renewal notices, lapse cards whose grace ended, issue the period's coupon packs."""

    name = "settle-membership-cards"
    schedule = schedules.SETTLE_MEMBERSHIP_CARDS
    description = "Card reminders (7 and 1 days ahead), renewal notices, lapses after grace, monthly coupon packs"
    first_run_lookback_days = SINCE_THE_FIRST_DAY  # lapses are owed however late; stale reminders are skipped
    batch_size = PARTITIONS_PER_BATCH
    tallied = True
    as_the_day_begins = True  # tonight's lapses and reminders are for the day that begins

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        return partitions(first_day, as_of)

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        today = min(as_of, clock.business_today())
        tallies: Counter[str] = Counter()
        for member_id, account in _due(keys):
            found = settle(member_id, today, account)
            tallies.update(found)
            if "unchanged" not in found:
                tallies["changed"] += 1
        return tallies

    def preview(self, keys: list[str], as_of: date) -> Iterator[dict[str, Any]]:
        """The reminders, notices, lapses and packs the job would give on ``as_of``, writing nothing."""
        book = ledger().books[MEMBERSHIP]
        for member_id, account in _due(keys):
            state: Cards = book.load(account.books.get(MEMBERSHIP))
            for card in state.cards.values():
                _, _, done = settle_card(member_id, card, as_of)
                for what in done:
                    yield {"member_id": member_id, "outcome": what, "card_id": card.card_id,
                           "valid_until": card.valid_until.isoformat() if card.valid_until else None}  # fmt: skip


register(SettleMembershipCards())
