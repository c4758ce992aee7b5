"""The points account's lots: an operation on many lots changes them in one pass, exactly as one change after
another would, and leaves one positive lot per pair of dates, in spending order."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.points import rules
from chalicelib.points.rules import Account, Draw

TODAY = date(2026, 12, 2)
DATES = st.one_of(st.none(), st.dates(min_value=date(2026, 11, 25), max_value=date(2026, 12, 9)))
CREDITS = st.lists(st.builds(Draw, DATES, DATES, st.integers(min_value=1, max_value=500)), max_size=40)


def held(account: Account) -> list[tuple[date | None, date | None, int]]:
    """The lots with their points (a ``Lot`` compares by its dates only)."""
    return [(lot.expires_on, lot.available_on, lot.points) for lot in account.lots]


def well_formed(account: Account) -> bool:
    pairs = [(lot.expires_on, lot.available_on) for lot in account.lots]
    return (len(set(pairs)) == len(pairs) and all(lot.points > 0 for lot in account.lots)
            and account.lots == rules.sorted_lots(account.lots))  # fmt: skip


@given(CREDITS, st.integers(min_value=0, max_value=2_000))
def test_credits_in_one_pass_are_credits_one_after_another(credits: list[Draw], debt: int) -> None:
    start = Account(debt=debt)
    stepwise = start
    for each in credits:
        stepwise = rules.credit(stepwise, each.points, each.expires_on, each.available_on)
    together = rules.credit_lots(start, credits)
    assert (held(together), together.debt, together.earned) == (held(stepwise), stepwise.debt, stepwise.earned)
    assert well_formed(together)
    assert together.balance == sum(each.points for each in credits) - debt


@given(CREDITS, st.integers(min_value=1, max_value=5_000))
def test_a_spend_restored_gives_back_every_lot_as_it_was(credits: list[Draw], asked: int) -> None:
    account = rules.credit_lots(Account(), credits)
    points = min(asked, account.available(TODAY))
    if not points:
        return
    spent, draws = rules.redeem(account, points, TODAY)
    assert well_formed(spent)
    assert sum(draw.points for draw in draws) == points
    assert spent.available(TODAY) == account.available(TODAY) - points
    assert held(rules.restore(spent, draws)) == held(account)


@given(CREDITS)
def test_maturing_moves_points_without_changing_the_balance(credits: list[Draw]) -> None:
    account = rules.credit_lots(Account(), credits)
    matured, moved = rules.mature(account, TODAY)
    assert well_formed(matured)
    assert matured.balance == account.balance
    assert not any(lot.available_on is not None and lot.available_on <= TODAY for lot in matured.lots)
    assert sum(draw.points for draw in moved) == sum(
        lot.points for lot in account.lots if lot.available_on is not None and lot.available_on <= TODAY
    )


def test_thousands_of_lots_are_spent_and_restored() -> None:
    first = date(2027, 1, 1).toordinal()
    credits = [Draw(date.fromordinal(first + n), None, 1) for n in range(5_000)]  # a lot a day, for 13 years
    account = rules.credit_lots(Account(), credits)
    spent, draws = rules.redeem(account, 5_000, TODAY)
    assert (spent.lots, len(draws)) == ((), 5_000)
    assert held(rules.restore(spent, draws)) == held(account)
