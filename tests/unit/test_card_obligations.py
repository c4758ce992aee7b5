"""会员卡预收: what the chain owes for the days its card payments paid for and has not given yet, from buckets summed
after a day, equal to each payment's own straight-line share, whatever the payments and the day."""

import random
from collections import defaultdict
from datetime import date, timedelta

from chalicelib.stats.rules import obligation_moves, unearned_fen

START = date(2026, 1, 1)


def owed_by_each(payments, day):
    """The brute force: each payment's share of its days after ``day`` (all of it before they begin)."""
    total = 0.0
    for amount, first, last in payments:
        days = (last - first).days + 1
        total += amount * min(1, max(0, (last - day).days / days))
    return total


def paid(amount, first, last):
    return {"amount_fen": amount, "first_day": first.isoformat(), "last_day": last and last.isoformat()}


def buckets_after(payments, cancelled=()):
    buckets = defaultdict(int)
    undated = 0
    events = [("membership.card-paid", paid(*p)) for p in payments]
    events += [("membership.card-cancelled", {"closed_payments": [paid(*p)]}) for p in cancelled]
    for event_type, payload in events:
        moves, lifetime = obligation_moves(event_type, payload)
        undated += lifetime
        for day, net in moves.items():
            buckets[date.fromisoformat(day)] += net
    return buckets, undated


def test_the_buckets_owe_what_each_payment_owes_on_any_day():
    picked = random.Random(20261205)
    payments = []
    for _ in range(300):
        first = START + timedelta(days=picked.randrange(0, 400))
        days = picked.choice([1, 7, 30, 31, 90, 365, 366, 1_000])
        payments.append((picked.randrange(1, 500_000), first, first + timedelta(days=days - 1)))
    buckets, _ = buckets_after(payments)
    for offset in range(-5, 1_500, 37):
        day = START + timedelta(days=offset)
        assert abs(unearned_fen(buckets.items(), day) - owed_by_each(payments, day)) <= 1, day


def test_a_payment_for_days_not_begun_is_owed_whole_and_a_past_one_not_at_all():
    year = (36_500, date(2027, 1, 1), date(2027, 12, 31))  # a renewal paid ahead
    buckets, _ = buckets_after([year])
    assert unearned_fen(buckets.items(), date(2026, 12, 5)) == 36_500
    assert unearned_fen(buckets.items(), date(2026, 12, 31)) == 36_500  # its first day not given yet
    assert unearned_fen(buckets.items(), date(2027, 1, 1)) == 36_400  # a day given
    assert unearned_fen(buckets.items(), date(2027, 12, 31)) == 0


def test_renewals_one_after_another_net_their_buckets_where_one_ends_and_the_next_begins():
    """A review: a weekly card paid 48 weeks ahead and cancelled passed a transaction's 100 items, for good."""
    weeks = [(7_000, START + timedelta(weeks=n), START + timedelta(weeks=n, days=6)) for n in range(60)]
    moves, _ = obligation_moves("membership.card-cancelled", {"closed_payments": [paid(*w) for w in weeks]})
    assert sorted(moves) == [(START - timedelta(days=1)).isoformat(), weeks[-1][2].isoformat()]  # two buckets
    buckets, _ = buckets_after(weeks)
    assert unearned_fen(buckets.items(), START + timedelta(days=9)) == 7_000 * 60 - 10 * 1_000


def test_a_cancelled_payment_owes_nothing_and_a_lifetime_card_is_owed_undated():
    kept, gone = (10_000, date(2026, 12, 1), date(2026, 12, 10)), (99_00, date(2026, 12, 1), date(2027, 11, 30))
    lifetime = (880_00, date(2026, 12, 1), None)
    buckets, undated = buckets_after([kept, gone, lifetime], cancelled=[gone])
    assert unearned_fen(buckets.items(), date(2026, 12, 5)) == 5_000
    assert undated == 880_00
    trial = paid(0, date(2026, 12, 1), date(2026, 12, 31))
    assert obligation_moves("membership.card-paid", trial) == ({}, 0)  # a trial owes nothing
    assert obligation_moves("membership.card-paid", {"amount_fen": 500}) == ({}, 0)  # an event from before


def test_a_cancellation_closes_only_what_the_liability_counted_and_still_owes():
    """A review: cancelling a card sold before its days were said took away what was never added, below zero."""
    from chalicelib.membership.rules import Payment, owed_still

    today = date(2027, 3, 11)
    stored = {"payment_id": "P-1", "kind": "purchase", "amount_fen": 29_900, "first_day": "2027-03-01",
              "last_day": "2027-03-31", "paid_at": "t"}  # fmt: skip
    assert owed_still(Payment.from_json(stored), today) is False  # kept before 2026-12-05: never counted
    counted = Payment.from_json({**stored, "owed": True})
    assert owed_still(counted, today) is True
    assert Payment.from_json(counted.to_json()).owed is True
    assert owed_still(Payment.from_json({**stored, "owed": True, "last_day": "2027-03-10"}), today) is False  # past
    assert owed_still(Payment.from_json({**stored, "owed": True, "settled": True}), today) is False
    assert owed_still(Payment.from_json({**stored, "owed": True, "last_day": None}), today) is True  # lifetime


def test_a_pause_keeps_the_figure_still_over_its_days_and_a_resumption_gives_them_back_whatever_the_day():
    """停卡: a 30-day card of 3,000 fen paused 10 days from its 11th, then resumed on its 15th: what is owed on each
    day is what the card gives after it (its paused days give nothing), and ends at 0 on its end, moved and moved
    back; a cancellation after both closes it to 0."""
    from chalicelib.membership.rules import PausePolicy, Plan, RefundPolicy, Term, extend, pause, resume

    plan = Plan("gym", "月卡", Term(days=30), 3_000, refund=RefundPolicy("pro_rata"), pause=PausePolicy(2, 20))
    card = extend(None, plan, card_id="c", payment_id="p1", kind="purchase", amount_fen=3_000, paid_at="t",
                  today=START)  # fmt: skip
    paused = pause(card, plan, "z1", START + timedelta(days=10), 10, "出差", START + timedelta(days=10))
    resumed, back = resume(paused, "z1", START + timedelta(days=14))
    assert (back, resumed.valid_until) == (6, START + timedelta(days=33))

    def event(before, after):
        return {"moved_payments": [{"amount_fen": 3_000, "before": before.payments[0].days_json(),
                                    "after": after.payments[0].days_json()}]}  # fmt: skip

    buckets = defaultdict(int)
    for kind, payload in (("membership.card-paid", paid(3_000, START, START + timedelta(days=29))),
                          ("membership.card-paused", event(card, paused)),
                          ("membership.card-resumed", event(paused, resumed))):  # fmt: skip
        for day, net in obligation_moves(kind, payload)[0].items():
            buckets[date.fromisoformat(day)] += net
    given = [START + timedelta(days=n) for n in (*range(10), *range(14, 34))]  # the days the card gives: 30
    assert len(given) == 30
    assert resumed.payments[0].given_days == 30
    for offset in range(-1, 40):
        day = START + timedelta(days=offset)
        assert unearned_fen(buckets.items(), day) == 100 * sum(1 for d in given if d > day), day
    closed, _ = obligation_moves(
        "membership.card-cancelled", {"closed_payments": [{"amount_fen": 3_000, **resumed.payments[0].days_json()}]}
    )
    for day, net in closed.items():
        buckets[date.fromisoformat(day)] += net
    assert all(net == 0 for net in buckets.values())  # its layout taken away whole


def test_a_pack_owed_by_its_uses_moves_no_day_bucket_and_its_events_net_to_nothing():
    """A pack refunded by its uses (次卡): its sale, each use and use taken back, and its cancellation move only the
    undated fen, by what each event says it moved, so that after all of them nothing is owed."""
    events = [("membership.card-paid", {"amount_fen": 120_000, "by_use": True, "by_use_fen": 120_000}),
              ("membership.benefit-used", {"by_use_fen": -6_000}), ("membership.benefit-used", {"by_use_fen": -6_000}),
              ("membership.benefit-use-reversed", {"by_use_fen": 6_000}),
              ("membership.card-cancelled", {"closed_payments": [], "by_use_closed_fen": 114_000})]  # fmt: skip
    moved = [obligation_moves(kind, payload) for kind, payload in events]
    assert [buckets for buckets, _ in moved] == [{}] * 5
    assert [undated for _, undated in moved] == [120_000, -6_000, -6_000, 6_000, -114_000]
    assert sum(undated for _, undated in moved) == 0
