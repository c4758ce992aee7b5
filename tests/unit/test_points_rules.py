"""The points account's lots: an operation on many lots changes them in one pass, exactly as one change after
another would (the way the rules worked until 2026-12-02, kept here as the reference), and leaves one positive lot per
pair of dates, in spending order."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.points import rules
from chalicelib.points.rules import Account, Draw, Lot

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


def one_change_after_another(lots: tuple[Lot, ...], changes: list[Draw]) -> tuple[Lot, ...]:
    """The reference: each change merged into the lot with its dates (or a new lot), the lots sorted again each time."""
    for change in changes:
        merged, found = [], False
        for lot in lots:
            if (lot.expires_on, lot.available_on) == (change.expires_on, change.available_on):
                found, lot = True, Lot(lot.expires_on, lot.available_on, lot.points + change.points)
            if lot.points:
                merged.append(lot)
        if not found and change.points:
            merged.append(Lot(change.expires_on, change.available_on, change.points))
        lots = rules.sorted_lots(tuple(merged))
    return lots


@given(CREDITS, st.lists(st.integers(min_value=0, max_value=39), max_size=30))
def test_changes_in_one_pass_are_changes_one_after_another(credits: list[Draw], taken: list[int]) -> None:
    lots = rules.credit_lots(Account(), credits).lots
    changes = [Draw(lot.expires_on, lot.available_on, -lot.points) for n, lot in enumerate(lots) if n in taken]
    changes += [Draw(each.expires_on, None, each.points) for each in credits[:5]]  # and some added back
    ours = rules._with_lots(lots, changes)
    assert [(lot.expires_on, lot.available_on, lot.points) for lot in ours] == [
        (lot.expires_on, lot.available_on, lot.points) for lot in one_change_after_another(lots, changes)]  # fmt: skip


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
    due = [lot for lot in account.lots if lot.available_on is not None and lot.available_on <= TODAY]
    for expires_on in {lot.expires_on for lot in due}:  # each matured lot's points join its expiry date's lot
        now = sum(lot.points for lot in account.lots if (lot.expires_on, lot.available_on) == (expires_on, None))
        now += sum(lot.points for lot in due if lot.expires_on == expires_on)
        assert [lot.points for lot in matured.lots if (lot.expires_on, lot.available_on) == (expires_on, None)] == [now]
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


@given(CREDITS, st.integers(min_value=1, max_value=5_000), st.integers(min_value=1, max_value=3_000))
def test_a_claw_back_takes_pending_points_first_and_leaves_the_rest_as_debt_that_a_restore_pays(
    credits: list[Draw], asked: int, redeemed: int
) -> None:
    account = rules.credit_lots(Account(), credits)
    spend = min(redeemed, account.available(TODAY))
    spent, draws = rules.redeem(account, spend, TODAY) if spend else (account, [])
    clawed, taken = rules.claw_back(spent, asked, TODAY)
    assert well_formed(clawed)

    def pending(of: Account) -> int:  # not yet available, whatever their expiry
        return sum(lot.points for lot in of.lots if lot.pending(TODAY))

    there = pending(spent) + spent.available(TODAY)
    assert sum(draw.points for draw in taken) == min(asked, there)
    assert pending(clawed) == max(0, pending(spent) - asked)  # pending points go first
    assert clawed.debt == max(0, asked - there)
    restored = rules.restore(clawed, draws)  # the redemption undone: its points pay the debt first
    assert restored.debt == max(0, clawed.debt - spend)
    assert restored.balance == clawed.balance + spend
    assert well_formed(restored)
