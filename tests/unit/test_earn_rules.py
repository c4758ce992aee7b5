"""Earn rules as pure functions: spreading paid money, most specific rate, one rounding, refunds."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.purchases.rules import (
    Activity,
    EarnRules,
    Line,
    Window,
    by_category,
    in_words,
    paid_by_line,
    remaining_score,
    score_order,
    spread,
    whole_order,
)

AT = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**7), min_size=1, max_size=30))
def test_spreading_adds_up_exactly_and_stays_proportional(paid, amounts):
    shares = spread(paid, amounts)
    assert sum(shares) == paid
    total = sum(amounts)
    if total:
        assert all(abs(share - paid * amount / total) < 1 for share, amount in zip(shares, amounts, strict=True))


def test_ties_go_to_the_earlier_line():
    assert spread(100, [1, 1, 1]) == [34, 33, 33]


def test_rounding_happens_once_on_the_order():
    lines = [Line(str(i), None, None, None, 1, 199) for i in range(3)]
    assert score_order(EarnRules(), lines, 597, AT, "normal").total == 5  # 5.97, not 1 + 1 + 1


def test_a_full_refund_takes_back_everything_and_a_partial_one_the_difference():
    rules = EarnRules(base_rate=Decimal("1.5"), category_bonuses={"food": 2}, min_paid_fen=5_000)
    lines = [Line("1", None, "food", None, 2, 4_000), Line("2", None, "misc", None, 1, 6_000)]
    shares = spread(10_000, [4_000, 6_000])
    earned = score_order(rules, lines, 10_000, AT, "normal").total
    assert earned == 150 + 4
    everything = remaining_score(rules, lines, shares, shares, [2, 1], AT, "normal").total
    assert everything == 0
    food_back = remaining_score(rules, lines, shares, [4_000, 0], [2, 0], AT, "normal").total
    assert food_back == 90  # 60 CNY x 1.5, no bonus left
    below_minimum = remaining_score(rules, lines, shares, [0, 6_000], [0, 1], AT, "normal").total
    assert below_minimum == 0  # 40 CNY left is under the 50 CNY minimum


def test_a_weekly_members_day_multiplies_on_its_weekday_in_the_business_time_zone_only():
    """周三会员日 ×2 through December: a Wednesday in Shanghai, even at 23:30 there (15:30 UTC) and from 00:00 (Tuesday
    16:00 UTC), never a Tuesday or a Thursday there, nor after the window."""
    shanghai = ZoneInfo("Asia/Shanghai")
    window = Window("周三会员日", datetime(2026, 12, 1, tzinfo=shanghai), datetime(2027, 1, 1, tzinfo=shanghai),
                    Decimal(2), frozenset({3}), shanghai)  # fmt: skip
    rules = EarnRules(windows=(window,))
    lines = [Line("1", None, None, None, 1, 1_000)]

    def points(at):
        return score_order(rules, lines, 1_000, at, "normal").total

    wednesday = datetime(2026, 12, 9, tzinfo=shanghai)
    assert points(wednesday) == points(wednesday.replace(hour=23, minute=30)) == 20
    assert points(datetime(2026, 12, 8, 16, 0, tzinfo=UTC)) == 20  # 00:00 Wednesday in Shanghai
    assert points(datetime(2026, 12, 8, 15, 59, tzinfo=UTC)) == 10  # still Tuesday there
    assert points(datetime(2026, 12, 10, 9, tzinfo=shanghai)) == 10  # Thursday
    assert points(datetime(2027, 1, 6, 12, tzinfo=shanghai)) == 10  # a Wednesday after the window
    assert points(datetime(2026, 12, 9, 12, tzinfo=shanghai)) == 20


def test_a_coupons_discount_comes_off_its_own_lines_and_the_rest_in_proportion():
    """A ¥550 hair colour and a ¥150 shampoo a 满500减80 excluded, paid ¥620: the shampoo keeps its ¥150."""
    assert paid_by_line(62_000, [55_000, 15_000], [8_000, 0]) == [47_000, 15_000]
    assert spread(62_000, [55_000, 15_000]) == [48_714, 13_286]  # what the order's proportion alone gave
    # points paid ¥10 more of it besides: that part in proportion to what is left of each line
    assert paid_by_line(61_000, [55_000, 15_000], [8_000, 0]) == [46_242, 14_758]
    # discounts that do not fit the lines (more than a line, or than the order's difference): the order's proportion
    assert paid_by_line(62_000, [55_000, 15_000], [0, 16_000]) == spread(62_000, [55_000, 15_000])
    assert paid_by_line(69_000, [55_000, 15_000], [8_000, 0]) == spread(69_000, [55_000, 15_000])


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=8), st.data())
def test_the_lines_paid_add_up_to_the_order_and_none_is_more_than_its_amount(lines, data):
    amounts = [amount for amount, _ in lines]
    discounts = [min(off, amount) for amount, off in lines]
    paid = data.draw(st.integers(0, sum(amounts)))
    shares = paid_by_line(paid, amounts, discounts)
    assert sum(shares) == paid
    assert all(0 <= share <= amount for share, amount in zip(shares, amounts, strict=True))


def test_the_rules_read_as_a_member_reads_them():
    """积分规则 on the member pages: each rule in a sentence, promotions that ended left out, categories and brands by
    name (a new user read a brand's code)."""
    tz = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 12, 5, 10, tzinfo=tz)
    wednesdays = Window("周三会员日", datetime(2026, 12, 1, tzinfo=tz), datetime(2027, 1, 1, tzinfo=tz), Decimal(2),
                        frozenset({3}), tz)  # fmt: skip
    over = Window("双11", datetime(2026, 11, 11, tzinfo=tz), datetime(2026, 11, 12, tzinfo=tz), Decimal(2), tz=tz)
    earn = EarnRules(base_rate=Decimal(1), category_rates={"outerwear": Decimal("1.5")}, min_paid_fen=1000,
                     excluded_categories=frozenset({"gift-card"}), category_bonuses={"shoes": 10},
                     brand_rates={"b-lor": Decimal(2)}, brand_bonuses={"b-nk": 5},
                     windows=(over, wednesdays), tier_multipliers={"gold": Decimal("1.2")},
                     activities={"checkin": Activity(5, per_day=1),
                                 "review": Activity(20, per_day=2, per_month=10)})  # fmt: skip
    names = {"gift-card": "礼品卡", "outerwear": "外套", "shoes": "鞋履"}
    brands = {"b-lor": "欧莱雅", "b-nk": "耐克"}
    assert in_words(earn, zh=True, now=now, tier="gold", tier_name="黄金会员", categories=names, brands=brands) == [
        "消费每1元得1积分", "单笔实付满10元起积分", "外套每1元得1.5积分", "欧莱雅每1元得2积分", "礼品卡不积分",
        "购买耐克每件另得5积分", "购买鞋履每件另得10积分",
        "周三会员日：周三，12月01日至12月31日积分×2", "您是黄金会员，消费积分×1.2", "每日签到得5积分（每天最多1次）",
        "评价得20积分（每天最多2次，每月最多10次）",
    ]  # fmt: skip
    english = in_words(earn, zh=False, now=now, tier="normal")
    assert english[0] == "1 point a yuan paid"
    assert "周三会员日: Wed, 01 Dec to 31 Dec, points ×2" in english
    assert not any("×1.2" in line for line in english)  # not their tier's


@given(st.lists(st.tuples(st.sampled_from(["tops", "shoes", None]), st.integers(1, 5), st.integers(0, 10**6)),
                min_size=1, max_size=6))  # fmt: skip
def test_lines_by_category_add_up_to_the_lines(raw):
    """The sales mix's categories add up to what the lines were paid and their items, every line in one category."""
    lines = [Line(str(n), f"S{n}", category, None, quantity, fen) for n, (category, quantity, fen) in enumerate(raw)]
    counted = by_category(lines, [line.amount_fen for line in lines], [line.quantity for line in lines])
    assert sum(fen for fen, _ in counted.values()) == sum(line.amount_fen for line in lines)
    assert sum(items for _, items in counted.values()) == sum(line.quantity for line in lines)
    assert set(counted) <= {"tops", "shoes", ""}


def test_an_order_without_lines_counts_its_amount_and_no_items():
    assert by_category([whole_order(9_900)], [9_000], [1]) == {"": [9_000, 0]}
    assert by_category([whole_order(9_900)], [0], [0]) == {}  # nothing: left out
