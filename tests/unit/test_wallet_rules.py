"""Stored value's pure rules: how payments, refunds and cash refunds split between principal and bonus, plans, the
balance limit and the statement's arithmetic."""

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
    Riding,
    book_statement,
    cash_out,
    movements_of,
    over_limit,
    ride_on_cash_refund,
    ride_on_expiry,
    ride_on_payment,
    ride_on_refund,
    ride_on_top_up,
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
    assert statement_shard("ev_1") == statement_shard("ev_1")
    assert len({statement_shard(f"ev_{n}") for n in range(200)}) == 8


# --- gift points riding on the principal ---------------------------------------------------------------------------


class GiftWallet:
    """A member's principal and gift points riding, moved only by the pure rules, as the service moves them."""

    EXPIRES = date(2027, 12, 31)

    def __init__(self, today=TODAY):
        self.today, self.principal, self.state, self.taken_back = today, 0, GiftState(), 0
        self.payments: dict[str, list] = {}  # payment -> [principal left, gift carried off]

    def top_up(self, amount, gift=0, expires=EXPIRES):
        self.state = ride_on_top_up(self.state, expires, gift) if gift else self.state
        self.principal += amount

    def pay(self, name, principal):
        self.state, carried = ride_on_payment(self.state, principal, self.principal)
        self.principal -= principal
        self.payments[name] = [principal, carried]

    def refund(self, name, principal):
        left, carried = self.payments[name]
        self.state, back = ride_on_refund(self.state, self.today, carried, principal, left)
        self.payments[name] = [left - principal, carried.minus(back)]
        self.principal += principal

    def cash_out(self, amount=None):
        amount = self.principal if amount is None else amount
        self.state, points = ride_on_cash_refund(self.state, amount, self.principal)
        self.principal -= amount
        self.taken_back += points
        return points


def test_gift_points_go_back_with_the_principal_they_ride_on_and_are_earned_as_it_is_spent():
    wallet = GiftWallet()
    wallet.top_up(10_000, gift=50)
    assert wallet.cash_out(2_500) == 12  # a quarter of 50: the half point is owed to the next
    assert wallet.cash_out() == 38  # the rest, the half point with it
    wallet.top_up(10_000, gift=50)
    wallet.pay("p1", 9_000)  # nine tenths spent: earned
    assert wallet.cash_out() == 5
    wallet.top_up(10_000)
    wallet.top_up(10_000, gift=50)  # rides on 20,000 now, with the principal that came without a gift
    wallet.pay("p2", 10_000)
    assert wallet.cash_out() == 25


def test_a_refunded_payment_puts_back_what_it_carried_off_whatever_came_between():
    """Paying, topping up a fen or cashing out a fen, then having the payment refunded, and cashing out: the gift
    goes back as if the payment had never been made (a review found such sequences kept all of it)."""
    for between in ("top-up", "cash-out"):
        wallet = GiftWallet()
        wallet.top_up(10_000, gift=50)
        wallet.pay("p1", 9_999)
        if between == "top-up":
            wallet.top_up(1)
        else:
            wallet.cash_out(1)
        wallet.refund("p1", 5_000)
        wallet.refund("p1", 4_999)
        wallet.cash_out()
        # the cash refund of the last fen took the 0.005 point riding on it to 0 points (rounded the member's way)
        # and the one that closed the wallet found 49.995 riding: each cash refund leaves the member under a point
        assert wallet.taken_back == {"top-up": 50, "cash-out": 49}[between]
        assert wallet.state == GiftState()


def test_many_small_payments_and_top_ups_never_wear_a_gift_away():
    """Each share is kept in millionths and rounds the member's riding share up, so fifty one-fen payments
    (each followed by a one-fen top-up) earn what fifty fen of 10,000 earn: a quarter of a point."""
    wallet = GiftWallet()
    wallet.top_up(10_000, gift=50)
    for n in range(50):
        wallet.pay(f"p{n}", 1)
        wallet.top_up(1)
    assert wallet.cash_out() == 49
    assert wallet.state == GiftState()


def test_cash_refunds_take_back_whole_points_and_owe_the_fractions_to_the_next_whatever_the_lots():
    """Two gifts in two lots, then a cash refund whose share is 1.98 points: one point back, not none (a review
    found each lot rounded apart); twenty refunds each worth under a point take back what they add up to (a review
    found the fractions left riding, so the gift piled onto the principal left)."""
    wallet = GiftWallet()
    wallet.top_up(10_000, gift=50, expires=date(2027, 12, 31))
    wallet.top_up(10_000, gift=50, expires=date(2028, 12, 31))
    assert wallet.cash_out(396) == 1
    assert wallet.state.owed == 980_000
    wallet = GiftWallet()
    wallet.top_up(10_000, gift=5)
    exact = 0.0
    for _ in range(20):
        withdrawn = wallet.principal // 5
        exact += 5 * withdrawn / 10_000
        wallet.cash_out(withdrawn)
    assert wallet.taken_back == int(exact)  # every whole point of the exact share, and no more
    wallet.pay("p", wallet.principal)
    assert wallet.payments["p"][1].micro <= 5 * MICRO * wallet.payments["p"][0] // 10_000 + 1


def test_gift_points_lost_to_expiry_stop_riding_but_spent_ones_ride_on():
    """Expired unspent, a gift is not taken back (the member no longer has it); spent before its lot's last day, it
    still is, as debt (a review kept a redeemed gift by waiting for its lot's day to pass)."""
    lot = GiftWallet.EXPIRES.isoformat()
    wallet = GiftWallet()
    wallet.top_up(10_000, gift=50)
    wallet.state = ride_on_expiry(wallet.state, {lot: 30})  # 30 of the lot expired: 20 of the gift were spent
    assert wallet.cash_out() == 20
    wallet = GiftWallet()
    wallet.top_up(10_000, gift=50)
    wallet.state = ride_on_expiry(wallet.state, {lot: 80})  # more than the gift expired: the gift first
    wallet.today = date(2028, 1, 1)
    assert (wallet.state, wallet.cash_out()) == (GiftState(), 0)
    wallet = GiftWallet()
    wallet.top_up(10_000, gift=50)  # all 50 redeemed at once: the expiry finds nothing in the lot
    wallet.today = date(2028, 1, 1)
    assert wallet.cash_out() == 50


def test_a_payment_s_refundable_book_keeps_the_gift_it_carried_off_and_gives_it_back_once():
    book = RefundableBook()
    paid, _ = book.apply(book.load(None), Posting("pay", "wallet-refundable", 1_000, "payment", Source("payment", "p"),
                         "", {"principal": 900, "bonus": 100, "member_id": "m", "gift": {"2027-12-31": 4_500_000}}),
                         TODAY)  # fmt: skip
    assert book.load(book.dump(paid)).gift == Riding({"2027-12-31": 4_500_000})
    refunded, detail = book.apply(paid, Posting("pay", "wallet-refundable", -1_000, "refund", Source("refund", "r"),
                                  "", {"principal": -900, "bonus": -100, "gift": {"2027-12-31": -4_500_000}}),
                                  TODAY)  # fmt: skip
    assert (refunded.gift, detail["gift"]) == (Riding(), {"2027-12-31": -4_500_000})
    assert "gift" not in book.dump(refunded)
    with pytest.raises(ValueError, match="taking"):
        book.apply(refunded, Posting("pay", "wallet-refundable", 0, "refund", Source("refund", "r2"), "",
                                     {"gift": {"2027-12-31": -1}}), TODAY)  # fmt: skip
