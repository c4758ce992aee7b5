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


def buckets_after(payments, cancelled=()):
    buckets = defaultdict(lambda: [0, 0])
    undated = 0
    for amount, first, last in payments:
        paid = {"amount_fen": amount, "first_day": first.isoformat(), "last_day": last and last.isoformat()}
        moves, lifetime = obligation_moves("membership.card-paid", paid)
        undated += lifetime
        for move in moves:
            buckets[move.key][0] += move.rate
            buckets[move.key][1] += move.weighted
    for amount, first, last in cancelled:
        closed = {"closed_payments": [{"amount_fen": amount, "first_day": first.isoformat(),
                                       "last_day": last and last.isoformat()}]}  # fmt: skip
        moves, lifetime = obligation_moves("membership.card-cancelled", closed)
        undated += lifetime
        for move in moves:
            buckets[move.key][0] += move.rate
            buckets[move.key][1] += move.weighted
    return buckets, undated


def owed_from_buckets(buckets, day):
    ends = [tuple(v) for k, v in buckets.items() if k.startswith("end#") and k[4:] > day.isoformat()]
    starts = [tuple(v) for k, v in buckets.items()
              if k.startswith("start#") and k[6:] > (day + timedelta(days=1)).isoformat()]  # fmt: skip
    return unearned_fen(ends, starts, day)


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
        assert abs(owed_from_buckets(buckets, day) - owed_by_each(payments, day)) <= 1, day


def test_a_payment_for_days_not_begun_is_owed_whole_and_a_past_one_not_at_all():
    year = (36_500, date(2027, 1, 1), date(2027, 12, 31))  # a renewal paid ahead
    buckets, _ = buckets_after([year])
    assert owed_from_buckets(buckets, date(2026, 12, 5)) == 36_500
    assert owed_from_buckets(buckets, date(2026, 12, 31)) == 36_500  # its first day not given yet
    assert owed_from_buckets(buckets, date(2027, 1, 1)) == 36_400  # a day given
    assert owed_from_buckets(buckets, date(2027, 12, 31)) == 0


def test_a_cancelled_payment_owes_nothing_and_a_lifetime_card_is_owed_undated():
    kept, gone = (10_000, date(2026, 12, 1), date(2026, 12, 10)), (99_00, date(2026, 12, 1), date(2027, 11, 30))
    lifetime = (880_00, date(2026, 12, 1), None)
    buckets, undated = buckets_after([kept, gone, lifetime], cancelled=[gone])
    assert owed_from_buckets(buckets, date(2026, 12, 5)) == 5_000
    assert undated == 880_00
    assert obligation_moves(
        "membership.card-paid", {"amount_fen": 0, "first_day": "2026-12-01", "last_day": "2026-12-31"}
    ) == ([], 0)  # a trial owes nothing
    assert obligation_moves("membership.card-paid", {"amount_fen": 500}) == ([], 0)  # an event from before
