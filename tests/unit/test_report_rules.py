"""The reports' pure rules: periods, distinct counts, where an event counts, and the shards that spread the writes."""

import itertools
from collections import Counter
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.stats import rules
from chalicelib.stats.reports import periods


def test_periods_cover_the_days_asked_once_clipped_to_them():
    weeks = periods(date(2026, 10, 1), date(2026, 10, 31), "week")
    assert [(p.label, p.first.day, p.last.day) for p in weeks][:2] == [("2026-W40", 1, 4), ("2026-W41", 5, 11)]
    assert weeks[-1].last == date(2026, 10, 31)
    months = periods(date(2026, 11, 15), date(2027, 1, 3), "month")
    assert [(p.label, p.key) for p in months] == [("2026-11", "month#2026-11"), ("2026-12", "month#2026-12"),
                                                  ("2027-01", "month#2027-01")]  # fmt: skip
    assert [p.whole for p in months] == [False, True, False]  # cut short: their month's distinct counts are not theirs
    assert [p.whole for p in weeks][:2] == [False, True]


@given(st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.integers(0, 400), st.sampled_from(["day", "week", "month"]))
def test_periods_partition_any_span(first, span, granularity):
    last = first + timedelta(days=span)
    rows = periods(first, last, granularity)
    assert rows[0].first == first
    assert rows[-1].last == last
    for before, after in itertools.pairwise(rows):
        assert after.first == before.last + timedelta(days=1)


def test_a_member_counts_once_active_once_a_buyer_and_once_a_repeat_buyer_per_period():
    moves, purchases = Counter(), None
    for bought in (False, True, True, True, False):
        moves.update(rules.distinct_moves(purchases, bought))
        purchases = (purchases or 0) + (1 if bought else 0)
    assert moves == {"active": 1, "buyers": 1, "repeat_buyers": 1}


def test_a_purchase_counts_at_the_chain_its_store_its_tier_and_its_payment_method():
    payload = {"member_id": "m", "store_id": "SH-001", "paid_fen": 100, "total_fen": 120, "tier": "gold",
               "payment_method": "alipay", "points": 1}  # fmt: skip
    scopes = dict(rules.scopes_of("purchase.recorded", payload))
    assert list(scopes) == ["chain", "store#SH-001", "tier#gold", "pay#alipay"]
    assert scopes["tier#gold"] == rules.SALES
    assert rules.day_figures("purchase.recorded", payload) == {"purchases": 1, "sales_fen": 100, "total_fen": 120}


def test_a_card_refund_of_what_several_stores_took_comes_off_each_stores_card_revenue():
    """A review: a card sold at one counter and renewed at another, then cancelled, left both stores' revenue."""
    parts = [{"payment_id": "p1", "amount_fen": 28_935, "method": "counter", "store_id": "SH-001"},
             {"payment_id": "p2", "amount_fen": 29_900, "method": "counter", "store_id": "BJ-001"},
             {"payment_id": "p3", "amount_fen": 5_000, "method": "wallet"}]  # fmt: skip
    split = {"member_id": "m", "refund_fen": 63_835, "parts": parts}
    assert rules.scoped_figures("membership.card-cancelled", split) == [
        ("chain", {"cards_cancelled": 1, "cards_revenue_fen": -63_835}),
        ("store#SH-001", {"cards_revenue_fen": -28_935}),
        ("store#BJ-001", {"cards_revenue_fen": -29_900}),
    ]  # the wallet's part was taken at no store
    one = {**split, "store_id": "SH-001", "refund_fen": 28_935, "parts": parts[:1]}
    assert rules.scoped_figures("membership.card-cancelled", one) == [
        ("chain", {"cards_cancelled": 1, "cards_revenue_fen": -28_935}),
        ("store#SH-001", {"cards_cancelled": 1, "cards_revenue_fen": -28_935}),
    ]
    assert rules.recount([("membership.card-cancelled", split)])["store#BJ-001"] == {"cards_revenue_fen": -29_900}


def test_points_count_by_source_and_their_net_moves_the_outstanding():
    earned = rules.day_figures("points.earned", {"points": 30, "source_kind": "tier"})
    assert earned == {"points_net": 30, "points_issued": 30, "points_issued_gifts": 30}
    bought = rules.day_figures("points.earned", {"points": 250, "source_kind": "order"})  # as the ledger names it
    assert bought["points_issued_purchases"] == 250
    assert rules.day_figures("points.earned", {"points": 5, "source_kind": "activity"})["points_issued_activities"] == 5
    clawed = rules.day_figures("points.clawed-back", {"points": -10})
    assert clawed == {"points_net": -10, "points_deducted": 10, "points_clawed_back": 10}


def test_events_spread_over_every_shard():
    counted = Counter(rules.shard_of(f"ev_{n:06d}") for n in range(4_000))
    assert set(counted) == set(range(rules.SHARDS))
    assert max(counted.values()) < 1.2 * 4_000 / rules.SHARDS


def test_a_day_recounted_from_its_events_counts_sums_by_scope_and_each_member_once():
    bought = {"member_id": "m1", "store_id": "SH-001", "paid_fen": 100, "total_fen": 100, "tier": "gold",
              "payment_method": "cash", "points": 1}  # fmt: skip
    counted = rules.recount([
        ("member.registered", {"member_id": "m1", "home_store_id": "SH-001"}),
        ("purchase.recorded", bought), ("purchase.recorded", {**bought, "paid_fen": 50, "total_fen": 50}),
        ("activity.recorded", {"member_id": "m2", "points": 0}),
    ])  # fmt: skip
    assert counted["chain"] == {"new_members": 1, "purchases": 2, "sales_fen": 150, "total_fen": 150, "active": 2,
                                "buyers": 1, "repeat_buyers": 1}  # fmt: skip
    assert counted["store#SH-001"] == {"new_members": 1, "purchases": 2, "sales_fen": 150, "total_fen": 150,
                                       "active": 1, "buyers": 1, "repeat_buyers": 1}  # fmt: skip
    assert counted["pay#cash"] == {"purchases": 2, "sales_fen": 150, "total_fen": 150}


def test_coupons_mall_orders_cards_and_tier_moves_count_as_the_programme_figures():
    day = rules.day_figures
    assert day("coupon.issued", {"face_value_fen": 500}) == {"coupons_issued": 1}
    assert day("coupon.issued", {"count": 20, "batch_id": "b"}) == {"coupons_issued": 20}  # a batch's chunk
    assert day("coupon.redeemed", {"discount_fen": 500}) == {"coupons_used": 1, "coupon_discount_fen": 500}
    assert day("coupon.returned", {"discount_fen": 500}) == {"coupons_returned": 1, "coupon_discount_fen": -500}
    assert day("mall.order-placed", {"points": 100, "cash_fen": 990}) == {"mall_orders_placed": 1}
    assert day("mall.order-paid", {"cash_fen": 990}) == {"mall_cash_fen": 990}
    assert day("mall.order-refunded", {"cash_fen": 990, "cash_refund_due_fen": 990}) == {
        "mall_orders_cancelled": 1, "mall_cash_fen": -990}  # fmt: skip
    assert day("membership.card-paid", {"kind": "auto-renewal", "amount_fen": 1_900}) == {
        "cards_renewed": 1, "cards_revenue_fen": 1_900}  # fmt: skip
    assert day("membership.card-paid", {"kind": "trial", "amount_fen": 0}) == {"cards_trials": 1}
    assert day("membership.card-cancelled", {"refund_fen": 950}) == {"cards_cancelled": 1, "cards_revenue_fen": -950}
    assert day("tier.changed", {"reason": "upgrade"}) == {"tier_ups": 1}
    assert day("tier.changed", {"reason": "refund"}) == {"tier_downs": 1}
    assert day("tier.changed", {"reason": "override"}) == {}
    assert day("member.registered", {"source": "referral"}) == {"new_members": 1, "new_members_referral": 1}


def test_the_sources_counted_are_the_ways_members_join():
    from chalicelib.members.model import Source

    assert set(rules.SOURCES) == {str(source) for source in Source}


def test_a_member_counts_once_by_the_last_day_they_were_active():
    assert rules.last_active_moves(None, "2026-11-30") == {"last#2026-11-30": 1}
    assert rules.last_active_moves("2026-11-02", "2026-11-30") == {"last#2026-11-02": -1, "last#2026-11-30": 1}
    assert rules.last_active_moves("2026-11-30", "2026-11-30") == {}
    assert rules.last_active_moves("2026-11-30", "2026-11-02") == {}  # a late event changes nothing


LIABILITY_STEPS = st.lists(st.tuples(
    st.sampled_from(("earn", "redeem", "refund", "expire", "reverse")), st.integers(1, 300), st.integers(0, 90),
), max_size=40)  # fmt: skip


@given(LIABILITY_STEPS)
def test_the_liability_by_expiry_month_is_what_the_lots_hold_and_the_debt_what_members_owe(steps):
    """Whatever a member's points go through (credits into lots of several months, spends, claw-backs beyond what
    they have, credits paying that debt off, expiry, reversals), the buckets the events move by month and debt are
    exactly the book's lots by expiry month and its debt, and add up to its balance."""
    from chalicelib.ledger.model import Entry, Posting, Source
    from chalicelib.points.book import PointsBook, dumped
    from chalicelib.points.rules import Account, Draw
    from chalicelib.points.service import lot_moves

    book, today, state = PointsBook(), date(2026, 6, 1), Account()
    buckets: Counter[str] = Counter()
    redemptions: list[Entry] = []
    for n, (kind, points, days) in enumerate(steps):
        detail, amount, undoes = None, -points, None
        if kind == "earn":
            expires_on = today + timedelta(days=days) if days else None
            detail, amount = {"lots": dumped([Draw(expires_on, None, points)])}, points
        elif kind == "expire":
            through = today + timedelta(days=days)
            detail = {"through": through.isoformat()}
            amount = -sum(lot.points for lot in state.lots if lot.expires_on and lot.expires_on <= through)
        elif kind == "redeem" and state.available(today) < points:
            continue
        elif kind == "reverse":
            if not redemptions:
                continue
            undoes = redemptions.pop()
            amount = -undoes.amount
        if amount == 0:
            continue
        posting = Posting("m", "points", amount, kind, Source("test", str(n)), "r", detail, undoes)
        after, recorded = book.undo(state, undoes, today) if undoes else book.apply(state, posting, today)
        entry = Entry("m", "points", n + 1, f"pe_{n}", kind, amount, book.balance(after), posting.source, "r",
                      recorded, "test", "2026-06-01T00:00:00Z", "g")  # fmt: skip
        if kind == "redeem":
            redemptions.append(entry)
        event = {"earn": "points.earned", "redeem": "points.redeemed", "refund": "points.clawed-back",
                 "expire": "points.expired", "reverse": "points.redemption-reversed"}[kind]  # fmt: skip
        buckets.update(rules.expiry_moves(event, {"points": amount, "lots": lot_moves(entry)}))
        state = after
        held: Counter[str] = Counter()
        for lot in state.lots:
            held[rules.expiry_quarter(lot.expires_on.isoformat() if lot.expires_on else None)] += lot.points
        held[rules.DEBT] -= state.debt
        assert {name: amount for name, amount in buckets.items() if amount} == {
            name: amount for name, amount in held.items() if amount
        }
        assert sum(buckets.values()) == book.balance(state)


def test_an_expiry_counts_in_the_day_its_points_stopped_being_owed_never_earlier_than_the_night_before():
    booked = date(2027, 1, 1)
    year_end = {"points": -500, "lots": [["2026-12-31", -500]]}
    assert rules.figure_day("points.expired", year_end, booked) == date(2026, 12, 31)
    caught_up = {"points": -80, "lots": [["2026-12-20", -30], ["2026-12-31", -50]]}
    assert rules.figure_day("points.expired", caught_up, booked) == date(2026, 12, 31)  # a catch-up: the night before
    assert rules.figure_day("points.expired", {"points": -5}, booked) == booked  # booked before events named lots
    assert rules.figure_day("points.expired", {"lots": [["2027-01-01", -5]]}, booked) == booked  # not yet over
    assert rules.figure_day("points.earned", {"points": 5, "lots": [["2026-12-31", 5]]}, booked) == booked


def test_a_purchase_moves_its_categories_and_its_hour_of_the_week_and_a_refund_its_categories_only():
    """The sales mix: 18:30 in Shanghai on Monday 7 December is hour 118 (ISO weekday 1, hour 18); events recorded
    before the mix was kept (no categories) move nothing, so a day's recount agrees with what was kept."""
    from zoneinfo import ZoneInfo

    from chalicelib.stats.rules import mix_moves, mix_recount

    tz = ZoneInfo("Asia/Shanghai")
    bought = {"paid_fen": 36_000, "store_id": "SH-001", "ordered_at": "2026-12-07T10:30:00Z",
              "categories": {"tops": [18_000, 2], "": [18_000, 0]}}  # fmt: skip
    assert mix_moves("purchase.recorded", bought, tz) == {
        "c#tops": {"sales_fen": 18_000, "items_sold": 2}, "c#": {"sales_fen": 18_000},
        "h#118": {"purchases": 1, "sales_fen": 36_000},
        "x#tops#118": {"purchases": 1, "items_sold": 2, "sales_fen": 18_000},
        "x##118": {"purchases": 1, "sales_fen": 18_000},  # a category by hour: when it sells
    }  # fmt: skip
    refunded = {"amount_fen": 9_000, "store_id": "SH-001", "categories": {"tops": [9_000, 1]}}
    assert mix_moves("refund.recorded", refunded, tz) == {"c#tops": {"refunded_fen": 9_000, "items_refunded": 1}}
    assert mix_moves("purchase.recorded", {"paid_fen": 100, "store_id": "SH-001"}, tz) == {}
    recounted = mix_recount([("purchase.recorded", bought), ("refund.recorded", refunded)], tz)
    assert recounted["chain|c#tops"] == recounted["store#SH-001|c#tops"] == {
        "sales_fen": 18_000, "items_sold": 2, "refunded_fen": 9_000, "items_refunded": 1}  # fmt: skip
