"""Stored value's pure rules: how payments, refunds and cash refunds split between principal and bonus, plans, the
balance limit and the statement's arithmetic."""

import random
from datetime import date

import pytest

from chalicelib.ledger.model import Insufficient, Posting, Source
from chalicelib.wallet.rules import (
    MICRO,
    GiftState,
    Movements,
    Parts,
    Plan,
    RefundableBook,
    book_statement,
    cash_out,
    gift_on_cash_refund,
    gift_on_payment,
    gift_on_refund,
    gift_on_top_up,
    movements_of,
    over_limit,
    split_payment,
    split_refund,
    statement_shard,
)

TODAY = date(2026, 11, 20)


def test_a_proportional_payment_takes_bonus_in_the_bonus_share_of_the_balance():
    assert split_payment(600, Parts(1000, 200), "proportional") == Parts(500, 100)
    assert split_payment(1200, Parts(1000, 200), "proportional") == Parts(1000, 200)


def test_a_proportional_payment_rounds_the_principal_it_takes_down():
    assert split_payment(1, Parts(80, 20), "proportional") == Parts(0, 1)
    assert split_payment(2, Parts(2, 1), "proportional") == Parts(1, 1)


def test_rounding_keeps_at_most_a_fen_a_payment_of_principal_beyond_the_exact_proportion():
    """A probe found a run of 1-fen payments spends the bonus first: the member keeps more principal than exact
    proportion would leave them, by less than a fen per payment (the rounding's stated bound)."""
    wallet = Parts(1000, 200)
    for n in range(1, 601):
        taken = split_payment(1, wallet, "proportional")
        wallet = Parts(wallet.principal - taken.principal, wallet.bonus - taken.bonus)
        assert 0 <= wallet.principal - 1000 * (1200 - n) / 1200 < n  # exact proportion leaves 1000 × (1200 − n)/1200


def test_the_courts_example_leaves_the_principal_it_would_refund():
    """法释〔2025〕4号 draft art. 21: 3,000 paid + 1,000 bonus, 3,594 consumed: the refund is 3,000 − 3,594 × 3/4 =
    304.5 CNY. Proportional spending leaves exactly that principal."""
    taken = split_payment(359_400, Parts(300_000, 100_000), "proportional")
    assert taken == Parts(269_550, 89_850)
    assert 300_000 - taken.principal == 30_450


@pytest.mark.parametrize(
    ("order", "taken"),
    [("principal-first", Parts(1000, 100)), ("bonus-first", Parts(900, 200)), ("proportional", Parts(916, 184))],
)
def test_each_spending_order(order, taken):
    assert split_payment(1100, Parts(1000, 200), order) == taken


@pytest.mark.parametrize("amount", [0, 1201])
def test_a_payment_is_more_than_nothing_and_at_most_the_wallet(amount):
    with pytest.raises(ValueError, match="payment"):
        split_payment(amount, Parts(1000, 200), "proportional")


def test_a_refund_gives_back_in_the_proportion_the_payment_has_left_principal_rounded_up():
    assert split_refund(300, Parts(500, 100)) == Parts(250, 50)
    assert split_refund(1, Parts(500, 100)) == Parts(1, 0)
    assert split_refund(600, Parts(500, 100)) == Parts(500, 100)


def test_refunding_a_payment_in_parts_gives_back_exactly_what_it_took():
    left, back = Parts(917, 183), Parts()
    for amount in (333, 333, 333, 101):
        part = split_refund(amount, left)
        back = Parts(back.principal + part.principal, back.bonus + part.bonus)
        left = Parts(left.principal - part.principal, left.bonus - part.bonus)
        assert min(left.principal, left.bonus) >= 0
    assert (back, left) == (Parts(917, 183), Parts(0, 0))


def test_refunds_in_pieces_give_back_what_one_refund_of_their_sum_would():
    """Found by a review: a hundred 1-fen refunds of a payment that took 100 fen of principal and 100 of bonus gave
    back 100 of principal and none of bonus (each piece's principal rounded up), bonus the member had spent turned
    into principal they could cash out. Counted over the payment's refunds, the pieces add up as one refund does."""
    paid = Parts(100, 100)
    left, back = paid, Parts()
    for _ in range(100):
        part = split_refund(1, left, paid)
        back = Parts(back.principal + part.principal, back.bonus + part.bonus)
        left = Parts(left.principal - part.principal, left.bonus - part.bonus)
    assert back == split_refund(100, paid, paid) == Parts(50, 50)
    chosen = random.Random(11)
    for _ in range(300):
        paid = Parts(chosen.randint(0, 900), chosen.randint(0, 300))
        if not paid.total:
            continue
        left, back, refunded = paid, Parts(), 0
        while left.total:
            amount = chosen.randint(1, min(left.total, chosen.choice((1, 3, 50, 1000))))
            part = split_refund(amount, left, paid)
            assert 0 <= part.principal <= left.principal
            assert 0 <= part.bonus <= left.bonus
            back, refunded = Parts(back.principal + part.principal, back.bonus + part.bonus), refunded + amount
            left = Parts(left.principal - part.principal, left.bonus - part.bonus)
            assert back == split_refund(refunded, paid, paid), (paid, refunded)
        assert back == paid


def test_a_cash_refund_forfeits_the_bonus_that_goes_with_the_principal():
    assert cash_out(1000, Parts(1000, 200), "prorate") == Parts(1000, 200)
    assert cash_out(1000, Parts(1000, 200), "forfeit") == Parts(1000, 200)
    assert cash_out(250, Parts(1000, 200), "prorate") == Parts(250, 50)
    assert cash_out(250, Parts(1000, 200), "forfeit") == Parts(250, 200)
    assert cash_out(1, Parts(3, 1), "prorate") == Parts(1, 0)  # the member keeps the rounding
    with pytest.raises(ValueError, match="cash refund"):
        cash_out(1001, Parts(1000, 200), "prorate")


def test_the_limit_counts_principal_and_bonus_and_zero_is_none():
    assert not over_limit(Parts(400_000, 80_000), Parts(10_000, 2_000), 500_000)
    assert over_limit(Parts(400_000, 80_000), Parts(20_000, 2_000), 500_000)
    assert not over_limit(Parts(10**9, 0), Parts(1, 0), 0)


PLAN = Plan("CZ-100-20", "充100送20", 10_000, 2_000, 50, date(2026, 11, 1), date(2026, 11, 30), ("SH-001",))


def test_a_plan_applies_to_its_price_on_its_days_at_its_stores():
    assert PLAN.refusal(10_000, "SH-001", TODAY) is None
    assert "not 9999" in (PLAN.refusal(9_999, "SH-001", TODAY) or "")
    assert "not on sale" in (PLAN.refusal(10_000, "SH-001", date(2026, 12, 1)) or "")
    assert "not on sale" in (PLAN.refusal(10_000, "SH-001", date(2026, 10, 31)) or "")
    assert "not sold at store" in (PLAN.refusal(10_000, "BJ-001", TODAY) or "")
    everywhere = Plan("P", "P", 100, 0, 0, date(2026, 1, 1), None, ())
    assert everywhere.refusal(100, "BJ-001", date(2099, 1, 1)) is None


def test_a_payments_refundable_book_refuses_more_than_either_part_it_has_left():
    book, source = RefundableBook(), Source("payment", "p1")
    paid = {"principal": 500, "bonus": 100, "member_id": "mb_1", "store_id": "SH-001", "paid_at": "2026-11-20T00:00Z"}
    state, detail = book.apply(book.load(None), Posting("h", book.name, 600, "payment", source, "", paid), TODAY)
    assert (book.balance(state), state.member_id, detail) == (600, "mb_1", {"principal": 500, "bonus": 100})
    assert book.load(book.dump(state)) == state
    with pytest.raises(Insufficient):
        book.apply(state, Posting("h", book.name, -101, "refund", source, "", {"principal": 0, "bonus": -101}), TODAY)
    with pytest.raises(ValueError, match="add up"):
        book.apply(state, Posting("h", book.name, -10, "refund", source, "", {"principal": -1, "bonus": 0}), TODAY)


def test_a_statement_closes_on_all_time_less_what_came_after_whatever_the_order():
    day = Movements(top_ups=1000, payments=300)
    after = Movements(payments=200, refunds=50)
    total = Movements(top_ups=5000, payments=1500, refunds=50, cash_refunds=1000)
    booked = book_statement(day, after, total)
    assert booked.closing == total.net - after.net == 2700
    assert booked.opening + day.top_ups - day.payments + day.refunds - day.cash_refunds == booked.closing


def test_each_event_moves_its_own_figure_of_each_book():
    assert movements_of("wallet.paid", Parts(80, 20)) == (Movements(payments=80), Movements(payments=20))
    assert movements_of("wallet.cash-refunded", Parts(80, 20))[1] == Movements(cash_refunds=20)


def test_shards_are_stable_and_spread():
    assert (statement_shard("ev_1"), statement_shard("ev_2")) == (6, 4)  # by its key alone, in every process
    assert len({statement_shard(f"ev_{n}") for n in range(200)}) == 8


# --- gift points earned as the principal is spent -----------------------------------------------------------------


class GiftWallet:
    """A member's principal and top-up gift points, moved only by the pure rules, as the service moves them."""

    def __init__(self):
        self.principal, self.state, self.credited = 0, GiftState(), 0
        self.payments: dict[str, list[int]] = {}  # payment -> [principal left, millionths it earned]

    def top_up(self, amount, gift=0):
        self.state = gift_on_top_up(self.state, gift)
        self.principal += amount

    def pay(self, name, principal):
        self.state, earned, points = gift_on_payment(self.state, principal, self.principal)
        self.principal -= principal
        self.payments[name] = [principal, earned]
        self.credited += points

    def refund(self, name, principal):
        left, earned = self.payments[name]
        self.state, back, points = gift_on_refund(self.state, earned, principal, left)
        self.payments[name] = [left - principal, earned - back]
        self.principal += principal
        self.credited -= points

    def cash_out(self, amount=None):
        amount = self.principal if amount is None else amount
        self.state, forfeited = gift_on_cash_refund(self.state, amount, self.principal)
        self.principal -= amount
        return forfeited


def test_a_gift_is_earned_as_its_principal_is_spent_and_what_is_pending_goes_with_a_cash_refund():
    wallet = GiftWallet()
    wallet.top_up(30_000, gift=60)
    assert (wallet.credited, wallet.state.pending_points) == (0, 60)  # nothing to take back from a cash refund
    assert wallet.cash_out(12_050) == 24  # 60 × 120.50 / 300, forfeited with the principal paid out
    wallet.pay("p1", 8_985)  # half of what is left
    assert wallet.credited == 17  # half of the 35.9 pending, rounded down: the fraction waits for the next
    wallet.pay("p2", wallet.principal)
    assert (wallet.credited, wallet.state.pending, wallet.principal) == (35, 0, 0)
    assert wallet.state.earned == 900_000  # 35.9 earned: the last tenth waits for a gift to come


def test_a_refund_takes_back_exactly_what_its_payment_earned_in_any_parts():
    wallet = GiftWallet()
    wallet.top_up(10_000, gift=50)
    wallet.pay("p1", 3_333)
    wallet.pay("p2", 3_333)
    earned = wallet.credited
    for part in (1_000, 1_000, 1_333):
        wallet.refund("p1", part)
    wallet.refund("p2", 3_333)
    assert (wallet.credited, wallet.state) == (0, GiftState(50 * MICRO, 0)), earned
    assert wallet.payments == {"p1": [0, 0], "p2": [0, 0]}


def test_every_millionth_of_a_gift_is_pending_earned_by_a_payment_or_forfeited_whatever_the_order():
    """Random runs of top-ups, payments, refunds in parts and cash refunds: the gift is conserved to the millionth
    (pending + earned by open payments + forfeited = given), the points credited are exactly what the payments earned
    less the fraction waiting, and nothing goes below zero."""
    import random

    for seed in range(300):
        rng, wallet, given, forfeited = random.Random(seed), GiftWallet(), 0, 0
        for step in range(60):
            move = rng.choice(["top-up", "pay", "pay", "refund", "cash-out"])
            if move == "top-up":
                gift = rng.choice([0, 0, 7, 50])
                wallet.top_up(rng.choice([1, 99, 10_000]), gift=gift)
                given += gift * MICRO
            elif move == "pay" and wallet.principal:
                wallet.pay(f"p{step}", rng.randint(1, wallet.principal))
            elif move == "refund" and (refundable := [name for name, (left, _) in wallet.payments.items() if left]):
                name = rng.choice(refundable)
                wallet.refund(name, rng.randint(1, wallet.payments[name][0]))
            elif move == "cash-out" and wallet.principal:
                before = wallet.state.pending
                wallet.cash_out(rng.randint(1, wallet.principal))
                forfeited += before - wallet.state.pending
            earned = sum(earned for _, earned in wallet.payments.values())
            assert wallet.state.pending + earned + forfeited == given, (seed, step)
            assert wallet.credited * MICRO + wallet.state.earned == earned, (seed, step)
            assert wallet.state.pending >= 0
            assert 0 <= wallet.state.earned < MICRO


def test_a_payment_s_refundable_book_keeps_what_it_earned_and_gives_it_back_once():
    book = RefundableBook()
    paid, _ = book.apply(book.load(None), Posting("pay", "wallet-refundable", 1_000, "payment", Source("payment", "p"),
                         "", {"principal": 900, "bonus": 100, "member_id": "m", "gift": 4_500_000}), TODAY)  # fmt: skip
    assert book.load(book.dump(paid)).gift == 4_500_000
    refunded, detail = book.apply(paid, Posting("pay", "wallet-refundable", -1_000, "refund", Source("refund", "r"),
                                  "", {"principal": -900, "bonus": -100, "gift": -4_500_000}), TODAY)  # fmt: skip
    assert (refunded.gift, detail["gift"]) == (0, -4_500_000)
    assert "gift" not in book.dump(refunded)
    with pytest.raises(ValueError, match="cannot give back"):
        book.apply(refunded, Posting("pay", "wallet-refundable", 0, "refund", Source("refund", "r2"), "",
                                     {"gift": -1}), TODAY)  # fmt: skip


def test_the_statement_s_scopes_of_no_store_are_ids_no_store_may_take():
    """The stores domain keeps the ids the statement books what no store did under; it names them itself, so this
    says the two lists agree."""
    from chalicelib.stores.schemas import RESERVED_STORE_IDS
    from chalicelib.wallet.rules import SCOPES_OF_NO_STORE

    assert set(SCOPES_OF_NO_STORE) == RESERVED_STORE_IDS
