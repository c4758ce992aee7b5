"""Tier evaluation as pure rules: windows, upgrades at once, reviews with retention and grace, overrides."""

from datetime import date

import pytest

from chalicelib.tiers.rules import (
    Override,
    Programme,
    Standing,
    Tier,
    add_months,
    on_metric_change,
    review,
    review_date,
    warning_due,
    window_total,
)

CNY = 100
CLOTHING = Programme(
    tiers=(
        Tier("normal", "普通会员", "Member"),
        Tier("silver", "白银会员", "Silver", qualify_at=1_000 * CNY, retain_at=800 * CNY, upgrade_gift_points=100),
        Tier("gold", "黄金会员", "Gold", qualify_at=3_000 * CNY, retain_at=2_500 * CNY, upgrade_gift_points=300),
        Tier("diamond", "钻石会员", "Diamond", qualify_at=8_000 * CNY, retain_at=6_000 * CNY, upgrade_gift_points=800),
    ),
    metric="paid_fen", window="calendar-year", validity_months=12, grace_days=7, warning_days=30,
)  # fmt: skip
NEW = Standing("normal", date(2026, 1, 1), None)


def test_windows_add_up_monthly_buckets():
    buckets = {"2025-10": 3, "2025-11": 5, "2025-12": 7, "2026-01": 11, "2026-10": 13}
    today = date(2026, 10, 15)
    assert window_total(buckets, "calendar-year", today, 99) == 24
    assert window_total(buckets, "rolling-12-months", today, 99) == 5 + 7 + 11 + 13  # this month and 11 before
    assert window_total(buckets, "lifetime", today, 99) == 99


def test_an_upgrade_happens_at_once_with_every_gift_it_passes():
    standing, change = on_metric_change(CLOTHING, NEW, 3_200 * CNY, date(2026, 5, 20))
    assert (standing.tier, standing.since, standing.valid_until) == ("gold", date(2026, 5, 20), date(2027, 5, 20))
    assert (change.previous, change.reason, change.gift_points) == ("normal", "upgrade", 400)
    again, none = on_metric_change(CLOTHING, standing, 3_300 * CNY, date(2026, 5, 21))
    assert (again, none) == (standing, None)  # nothing twice


def test_no_downgrade_between_reviews():
    gold = Standing("gold", date(2026, 5, 20), date(2027, 5, 20))
    assert review(CLOTHING, gold, 0, date(2026, 12, 31)) == (gold, None)
    assert review(CLOTHING, gold, 0, date(2027, 5, 26)) == (gold, None)  # within the 7 grace days


@pytest.mark.parametrize(
    ("value", "tier", "reason"),
    [(2_600 * CNY, "gold", "retained"), (900 * CNY, "silver", "downgrade"), (100 * CNY, "normal", "downgrade")],
)
def test_at_review_a_member_retains_or_drops_to_what_they_retain(value, tier, reason):
    gold = Standing("gold", date(2026, 5, 20), date(2027, 5, 20))
    standing, change = review(CLOTHING, gold, value, date(2027, 5, 27))
    assert (standing.tier, change.reason) == (tier, reason)
    if tier != "normal":
        assert standing.valid_until == date(2028, 5, 27)


def test_retention_never_lifts_above_the_current_tier():
    silver = Standing("silver", date(2026, 1, 5), date(2027, 1, 5))
    standing, change = review(CLOTHING, silver, 2_600 * CNY, date(2027, 1, 12))  # gold's retention, not its bar
    assert (standing.tier, change.reason) == ("silver", "retained")


def test_a_warning_is_due_once_before_a_review_that_would_drop():
    gold = Standing("gold", date(2026, 5, 20), date(2027, 5, 20))
    assert not warning_due(CLOTHING, gold, 100 * CNY, date(2027, 4, 19))
    assert warning_due(CLOTHING, gold, 100 * CNY, date(2027, 4, 20))
    assert not warning_due(CLOTHING, gold, 2_600 * CNY, date(2027, 4, 20))
    warned = Standing("gold", gold.since, gold.valid_until, warned_for=gold.valid_until)
    assert not warning_due(CLOTHING, warned, 100 * CNY, date(2027, 4, 25))
    assert review_date(CLOTHING, gold) == date(2027, 4, 20)
    assert review_date(CLOTHING, warned) == date(2027, 5, 27)


def test_overrides_floor_and_pin_until_they_end():
    floor = Override("floor", "gold", date(2027, 12, 31), "VIP 客户")
    gold = Standing("gold", date(2026, 5, 20), date(2027, 5, 20), override=floor)
    kept, _ = review(CLOTHING, gold, 0, date(2027, 5, 27))
    assert kept.tier == "gold"
    upgraded, _ = on_metric_change(CLOTHING, kept, 9_000 * CNY, date(2027, 6, 1))
    assert upgraded.tier == "diamond"  # a floor does not hold anyone back
    pin = Override("pin", "silver", date(2027, 12, 31), "员工等级")
    pinned, change = on_metric_change(CLOTHING, Standing("silver", date(2026, 1, 1), date(2027, 1, 1), pin),
                                      9_000 * CNY, date(2026, 6, 1))  # fmt: skip
    assert (pinned.tier, change) == ("silver", None)
    ended = review(CLOTHING, Standing("gold", date(2026, 5, 20), date(2028, 5, 20), floor), 0, date(2028, 1, 1))[0]
    assert ended.override is None


def test_months_are_added_to_the_end_of_short_months():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), 12) == date(2027, 12, 15)


def test_a_fitness_clubs_benefits_are_data():
    club = Programme(
        tiers=(
            Tier("basic", "普通", "Basic"),
            Tier("silver", "白银", "Silver", qualify_at=500, benefits={"entitlements": [
                {"name": "private_class", "quota": 1, "period": "month"}]}),
            Tier("gold", "黄金", "Gold", qualify_at=2_000, benefits={"entitlements": [
                {"name": "equipment", "quota": None, "period": "unlimited"},
                {"name": "private_class", "quota": 1, "period": "week"}]}),
        ),
        metric="growth", window="rolling-12-months",
    )  # fmt: skip
    gold, _ = on_metric_change(club, Standing("basic", date(2026, 1, 1), None), 2_500, date(2026, 3, 1))
    assert club.tier(gold.tier).benefits["entitlements"][1] == {"name": "private_class", "quota": 1, "period": "week"}
