"""Seeded random card histories, each compacted as the service and the nightly job keep it, against a twin never
compacted: on the day of every step and each of the 70 days after, the refund (amount, parts, explanation), the packs
a cancellation takes back, the status, the notices due, the sums and the renewal notice read the same."""

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest

from chalicelib.membership import rules
from chalicelib.membership.rules import Card, NotRenewable, Plan, PlanBenefit, RefundPolicy, Term


def a_plan(rng: random.Random) -> Plan:
    """A plan of any term and refund policy, with a counted benefit and a coupon pack."""
    term = rng.choice([Term(days=rng.randint(1, 40)), Term(months=1), Term(months=rng.randint(1, 3)), Term()])
    policy = rng.choice([
        RefundPolicy("none"), RefundPolicy("pro_rata", deduct_used=rng.random() < 0.5),
        RefundPolicy("full_within_days", days=rng.randint(0, 60), deduct_used=rng.random() < 0.5),
        RefundPolicy("unused", deduct_used=True),
    ])  # fmt: skip
    pack = PlanBenefit("pack", "券包", "coupon_pack", period=rng.choice(["week", "month"]), template_id="t")
    benefits = (PlanBenefit("wash", "洗车", "quota", quota=2, period="week", value_fen=300), pack)
    return Plan("p", "卡", term, rng.choice([0, 1_000, 2_999]), benefits, trial_days=rng.choice([0, 7]),
                auto_renew=True, grace_days=rng.randint(0, 5), refund=policy)  # fmt: skip


def nightly(card: Card, plan: Plan, today: date) -> Card:
    """What the nightly job notes on a card (as ``membership.jobs.settle_card`` does): notices sent, packs issued."""
    until = card.valid_until.isoformat() if card.valid_until else None
    for what in rules.notices_due(card, today):
        noted = f"{what}:{until}" + (f"@{today.isoformat()}" if what == "renewal-notice" else "")
        card = replace(card, notified=(*card.notified, noted), lapsed_on=today if what == "lapsed" else card.lapsed_on)
    for benefit, first in rules.packs_due(card, plan, today):
        card = replace(card, packs=(*card.packs, f"{benefit.benefit_id}:{first.isoformat()}"))
    return card


def reads_alike(card: Card, twin: Card, plan: Plan, today: date, used: int) -> None:
    for later in (today + timedelta(days=d) for d in range(70)):
        refund = rules.refund_for(card, plan.refund, later, used)
        assert refund == rules.refund_for(twin, plan.refund, later, used), later
        if card.status(later) not in ("cancelled", "lapsed"):
            assert rules.packs_taken_back(card, plan, refund, later) == rules.packs_taken_back(
                twin, plan, refund, later
            )
        assert card.status(later) == twin.status(later)
        assert rules.notices_due(card, later) == rules.notices_due(twin, later)
    assert (card.paid_fen, card.open_fen, rules.notice_sent_on(card)) == (
        twin.paid_fen, twin.open_fen, rules.notice_sent_on(twin))  # fmt: skip
    assert Card.from_json(card.to_json()) == card
    settled = card.earlier.settled_count + sum(p.settled for p in card.payments)
    assert (card.earlier.count + len(card.payments), settled) == (
        len(twin.payments),
        sum(p.settled for p in twin.payments),
    )


@pytest.mark.parametrize("seed", range(48))
def test_a_compacted_card_reads_as_its_twin_on_every_later_day(seed: int) -> None:
    rng, listed = random.Random(seed), seed % 3  # listing none, one or two payments: folding as much as it may
    plan = a_plan(rng)
    card = twin = None
    today, used, trials, paid = date(2027, 1, 1), 0, [], 0
    for _ in range(rng.randint(5, 40)):
        today += timedelta(days=rng.choice([0, 0, 1, 2, 3, 5, 10, 20, 31, 45]))
        action = rng.choice(["pay", "pay", "pay", "nightly", "nightly", "cancel", "use", "auto-renew"])
        if action in ("pay", "auto-renew"):
            paid += 1
            kind = "auto-renewal" if action == "auto-renew" else "trial" if rng.random() < 0.15 else "purchase"
            if kind == "purchase" and card is not None and card.status(today) not in ("lapsed", "cancelled"):
                kind = "renewal"
            paying = {"card_id": "mc", "payment_id": f"p{paid}", "kind": kind, "paid_at": "t", "today": today,
                      "amount_fen": 0 if kind == "trial" else plan.price_fen, "trials": trials, "method": "wallet",
                      "used_value_fen": used}  # fmt: skip
            try:
                extended = rules.extend(card, plan, **paying)
            except NotRenewable as refused:
                with pytest.raises(NotRenewable, match=str(refused)):
                    rules.extend(twin, plan, **paying)
                continue
            card, twin = rules.compact(extended, plan, today, listed=listed), rules.extend(twin, plan, **paying)
            trials += ["p"] if kind == "trial" else []
        elif action == "nightly" and card is not None:
            card, twin = (
                rules.compact(nightly(card, plan, today), plan, today, listed=listed),
                nightly(twin, plan, today),
            )
        elif action == "cancel" and card is not None and card.status(today) not in ("cancelled", "lapsed"):
            refund = rules.refund_for(card, plan.refund, today, used)
            assert {payment_id for payment_id, _ in refund.parts} <= {p.payment_id for p in card.payments}
            card, twin = rules.refunded(card, refund, today), rules.refunded(twin, refund, today)
        elif action == "use":
            used += 300
        if card is not None and twin is not None:
            reads_alike(card, twin, plan, today, used)


def test_a_card_with_a_monthly_coupon_pack_keeps_only_the_packs_a_cancellation_may_take_back() -> None:
    """Two years of a monthly card issuing a monthly coupon pack: once a day of it is gone no refund gives back all
    the cycle paid, so only this month's pack is kept, and a cancellation takes back what it would with all 24."""
    pack = PlanBenefit("pack", "券包", "coupon_pack", period="month", template_id="t")
    plan = Plan("p", "月卡", Term(months=1), 9_900, (pack,), refund=RefundPolicy("pro_rata"))
    card = twin = None
    for month in range(24):
        first = date(2027 + month // 12, month % 12 + 1, 1)
        paying = {"card_id": "mc", "payment_id": f"p{month}", "kind": "renewal" if card else "purchase",
                  "amount_fen": plan.price_fen, "paid_at": "t", "today": first}  # fmt: skip
        card = rules.compact(nightly(rules.extend(card, plan, **paying), plan, first), plan, first)
        twin = nightly(rules.extend(twin, plan, **paying), plan, first)
    assert card is not None
    assert twin is not None
    assert (card.packs, len(twin.packs)) == (("pack:2028-12-01",), 24)
    cancelled_on = date(2028, 12, 11)
    refund = rules.refund_for(card, plan.refund, cancelled_on, 0)
    assert rules.packs_taken_back(card, plan, refund, cancelled_on) == rules.packs_taken_back(
        twin, plan, refund, cancelled_on) == [{"template_id": "t", "source": "mc:pack:2028-12-01:0"}]  # fmt: skip
