"""Tier evaluation as pure rules: windows, upgrades at once, reviews with retention and grace, overrides."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.tiers.rules import (
    BirthdayBonus,
    Growth,
    Metrics,
    Override,
    Programme,
    Standing,
    Tier,
    add_months,
    apply_override,
    birthday_coupons_beyond,
    birthday_on_refund,
    direction,
    on_metric_change,
    on_refund,
    rejudge,
    review,
    review_date,
    review_value,
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
YEARLY = replace(CLOTHING, validity="calendar-year", grace_days=31)
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
    assert review(CLOTHING, gold, 0, date(2027, 5, 27)) == (gold, None)  # valid through the 20th, 7 grace days


@pytest.mark.parametrize(
    ("value", "tier", "reason"),
    [(2_600 * CNY, "gold", "retained"), (900 * CNY, "silver", "downgrade"), (100 * CNY, "normal", "downgrade")],
)
def test_at_review_a_member_retains_or_drops_to_what_they_retain(value, tier, reason):
    gold = Standing("gold", date(2026, 5, 20), date(2027, 5, 20))
    standing, change = review(CLOTHING, gold, value, date(2027, 5, 28))
    assert (standing.tier, change.reason) == (tier, reason)
    if tier != "normal":
        assert standing.valid_until == date(2028, 5, 20)  # the next period runs from the old end


def test_retention_never_lifts_above_the_current_tier():
    silver = Standing("silver", date(2026, 1, 5), date(2027, 1, 5))
    standing, change = review(CLOTHING, silver, 2_600 * CNY, date(2027, 1, 13))  # gold's retention, not its bar
    assert (standing.tier, change.reason) == ("silver", "retained")


def test_a_warning_is_due_once_before_a_review_that_would_drop():
    gold = Standing("gold", date(2026, 5, 20), date(2027, 5, 20))
    assert not warning_due(CLOTHING, gold, 100 * CNY, date(2027, 4, 19))
    assert warning_due(CLOTHING, gold, 100 * CNY, date(2027, 4, 20))
    assert not warning_due(CLOTHING, gold, 2_600 * CNY, date(2027, 4, 20))
    warned = Standing("gold", gold.since, gold.valid_until, warned_for=gold.valid_until)
    assert not warning_due(CLOTHING, warned, 100 * CNY, date(2027, 4, 25))
    assert review_date(CLOTHING, gold) == date(2027, 4, 20)
    assert review_date(CLOTHING, warned) == date(2027, 5, 28)


def test_overrides_floor_and_pin_until_they_end():
    floor = Override("floor", "gold", date(2027, 12, 31), "VIP 客户")
    gold = Standing("gold", date(2026, 5, 20), date(2027, 5, 20), override=floor)
    kept, _ = review(CLOTHING, gold, 0, date(2027, 5, 28))
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


def test_a_calendar_year_tier_runs_through_the_next_year_and_is_judged_on_the_year_that_ended():
    gold, _ = on_metric_change(YEARLY, NEW, 3_000 * CNY, date(2026, 11, 11))
    assert gold.valid_until == date(2027, 12, 31)
    spent = Metrics(paid_fen=5_000 * CNY, months={"2026-11": (0, 3_000 * CNY), "2027-06": (0, 2_600 * CNY)})
    assert review(YEARLY, gold, review_value(YEARLY, gold, spent, date(2028, 1, 31)), date(2028, 1, 31)) == (gold, None)
    value = review_value(YEARLY, gold, spent, date(2028, 2, 1))
    assert value == 2_600 * CNY  # 2027, the year that ended, not the empty 2028
    kept, change = review(YEARLY, gold, value, date(2028, 2, 1))
    assert (kept.tier, kept.valid_until, change.reason) == ("gold", date(2028, 12, 31), "retained")


def test_what_a_member_makes_up_during_grace_counts_at_review():
    gold = Standing("gold", date(2026, 3, 1), date(2027, 12, 31))
    made_up = Metrics(paid_fen=2_500 * CNY, months={"2027-03": (0, 100 * CNY), "2028-01": (0, 2_500 * CNY)})
    assert review_value(YEARLY, gold, made_up, date(2028, 2, 1)) == 2_500 * CNY
    assert review(YEARLY, gold, 2_500 * CNY, date(2028, 2, 1))[0].tier == "gold"


def test_metrics_keep_two_years_of_months_and_never_go_below_zero():
    metrics = Metrics().add("2024-01", 10, 1_000, date(2024, 1, 5)).add("2026-11", 5, 500, date(2026, 11, 5))
    assert metrics.months == {"2026-11": (5, 500)}  # January 2024 is older than 24 months
    assert (metrics.growth, metrics.paid_fen) == (15, 1_500)  # lifetime totals stay
    refunded = metrics.add("2026-11", -9, -900, date(2026, 11, 6))
    assert refunded.months == {}
    assert (refunded.growth, refunded.paid_fen) == (6, 600)
    assert metrics.value(CLOTHING, date(2026, 11, 30)) == 500
    assert metrics.value(replace(CLOTHING, metric="growth", window="lifetime"), date(2026, 11, 30)) == 15


def test_growth_per_cny_rounds_down_per_purchase():
    assert Growth(Decimal("1.5")).for_paid(1_999) == 29  # 19.99 CNY x 1.5 = 29.985
    assert Growth().for_paid(99) == 0


def test_staff_overrides_take_effect_at_once_and_lifting_one_waits_for_the_review():
    pin = Override("pin", "silver", date(2027, 3, 31), "员工等级")
    gold = Standing("gold", date(2026, 5, 20), date(2027, 5, 20))
    pinned, change = apply_override(CLOTHING, gold, pin, 3_500 * CNY, date(2026, 7, 1))
    assert (pinned.tier, change.reason, pinned.valid_until) == ("silver", "override", date(2027, 7, 1))
    floor = Override("floor", "diamond", date(2026, 12, 31), "VIP 客户")
    raised, change = apply_override(CLOTHING, NEW, floor, 0, date(2026, 7, 1))
    assert (raised.tier, change.previous) == ("diamond", "normal")
    lifted, none = apply_override(CLOTHING, raised, None, 0, date(2026, 8, 1))
    assert (lifted.tier, lifted.override, none) == ("diamond", None, None)
    same, none = apply_override(CLOTHING, gold, Override("floor", "silver", date(2027, 1, 1), "x"), 0, date(2026, 7, 1))
    assert (same.tier, same.override.tier, none) == ("gold", "silver", None)


def test_a_new_programme_moves_up_at_once_keeps_kept_tiers_and_maps_dropped_ones():
    lower = replace(CLOTHING, tiers=(CLOTHING.tiers[0], replace(CLOTHING.tiers[1], qualify_at=500 * CNY),
                                     replace(CLOTHING.tiers[2], qualify_at=2_000 * CNY)), version=2)  # fmt: skip
    silver = Standing("silver", date(2026, 3, 1), date(2027, 12, 31))
    moved, change = rejudge(lower, silver, 2_100 * CNY, date(2026, 11, 1))
    assert (moved.tier, change.reason, change.gift_points) == ("gold", "programme", 0)
    assert direction(CLOTHING, lower, "silver", moved.tier) == "up"
    assert rejudge(lower, silver, 100 * CNY, date(2026, 11, 1)) == (silver, None)  # kept until review
    diamond = Standing("diamond", date(2026, 3, 1), date(2027, 12, 31))
    mapped, change = rejudge(lower, diamond, 600 * CNY, date(2026, 11, 1))
    assert (mapped.tier, direction(CLOTHING, lower, "diamond", mapped.tier)) == ("silver", "down")


def test_a_new_programme_keeps_a_pinned_member_on_the_pin_and_a_floored_one_above_the_floor():
    lower = replace(CLOTHING, tiers=(CLOTHING.tiers[0], replace(CLOTHING.tiers[1], qualify_at=500 * CNY),
                                     replace(CLOTHING.tiers[2], qualify_at=2_000 * CNY)), version=2)  # fmt: skip
    today = date(2026, 11, 1)
    pin = Override("pin", "silver", date(2027, 3, 31), "store manager's decision")
    pinned = Standing("silver", date(2026, 3, 1), date(2027, 3, 31), override=pin)
    assert rejudge(lower, pinned, 2_100 * CNY, today) == (pinned, None)  # qualifies for gold, pinned to silver
    floor = Override("floor", "gold", date(2027, 3, 31), "compensation")
    floored = Standing("diamond", date(2026, 3, 1), date(2027, 3, 31), override=floor)
    mapped, change = rejudge(lower, floored, 100 * CNY, today)  # diamond dropped: the floor, not normal
    assert (mapped.tier, mapped.override, change.reason) == ("gold", floor, "programme")
    ended = Standing("silver", date(2026, 3, 1), date(2027, 3, 31), override=replace(pin, until=date(2026, 10, 31)))
    assert rejudge(lower, ended, 2_100 * CNY, today)[0].tier == "gold"  # a pin that ended binds no more
    dropped = Standing("diamond", date(2026, 3, 1), date(2027, 3, 31), override=replace(pin, tier="diamond"))
    lifted, _ = rejudge(lower, dropped, 600 * CNY, today)
    assert (lifted.tier, lifted.override) == ("silver", None)  # a pin on a dropped tier is lifted, never binds again
    assert on_metric_change(lower, lifted, 2_100 * CNY, today)[0].tier == "gold"  # so the member moves up as anyone
    long_floor = replace(floor, until=date(2028, 6, 30))
    raised, _ = rejudge(lower, replace(floored, override=long_floor), 100 * CNY, today)
    assert (raised.tier, raised.valid_until) == ("gold", date(2028, 6, 30))  # valid through the floor's end


def test_a_refund_undoes_only_the_upgrade_its_purchase_caused_down_to_what_the_rest_qualifies_for():
    today = date(2026, 6, 1)
    before = Standing("silver", date(2026, 2, 1), date(2027, 12, 31))
    diamond, change = on_metric_change(CLOTHING, before, 8_500 * CNY, today)
    assert change is not None
    gone, undo = on_refund(CLOTHING, diamond, 1_200 * CNY, before, today)  # all but what silver had
    assert (gone, undo) == (before, replace(undo, tier="silver", previous="diamond", reason="refund",
                                            gift_points=300 + 800))  # fmt: skip
    gold, partial = on_refund(CLOTHING, diamond, 3_100 * CNY, before, today)
    assert (gold.tier, gold.since, partial and partial.gift_points) == ("gold", today, 800)
    assert on_refund(CLOTHING, diamond, 8_000 * CNY, before, today) == (diamond, None)  # still qualifies
    assert on_refund(CLOTHING, diamond, 0, None, today) == (diamond, None)  # not this purchase's upgrade
    pinned = replace(diamond, override=Override("floor", "diamond", date(2027, 1, 1), "VIP"))
    assert on_refund(CLOTHING, pinned, 0, before, today) == (pinned, None)  # staff's floor holds


def test_a_refund_takes_back_what_a_birthday_gift_had_for_a_tier_it_undid_and_only_that():
    """A gift booked at diamond after the first undone upgrade gives back diamond's birthday points beyond the tier
    left's; one booked before it, at a tier not above the tier left, or of a tier the programme lost keeps them."""
    gold, diamond = 300, 800
    bonus = {"gold": {"birthday_bonus_points": gold}, "diamond": {"birthday_bonus_points": diamond}}
    programme = replace(CLOTHING, tiers=tuple(replace(t, benefits=bonus.get(t.code, {})) for t in CLOTHING.tiers))
    given = BirthdayBonus("2027-06-01T02:00:00Z", "diamond", diamond)
    assert birthday_on_refund(programme, given, "2027-05-31T04:00:00Z", "normal") == (
        diamond,
        BirthdayBonus(given.given_at, "normal", 0),
    )
    assert birthday_on_refund(programme, given, "2027-05-31T04:00:00Z", "gold") == (
        diamond - gold,
        BirthdayBonus(given.given_at, "gold", gold),
    )
    assert birthday_on_refund(programme, given, "2027-06-01T03:00:00Z", "normal") == (0, given)  # before the upgrade
    assert birthday_on_refund(programme, given, "2027-05-31T04:00:00Z", "diamond") == (0, given)
    assert birthday_on_refund(programme, None, "2027-05-31T04:00:00Z", "normal") == (0, None)
    lost = BirthdayBonus(given.given_at, "platinum", 900)
    assert birthday_on_refund(programme, lost, "2027-05-31T04:00:00Z", "normal") == (0, lost)
    carded = BirthdayBonus(given.given_at, "diamond", diamond, floor=gold, floor_tier="gold")  # a gold card's floor
    assert birthday_on_refund(programme, carded, "2027-05-31T04:00:00Z", "normal") == (
        diamond - gold,
        BirthdayBonus(given.given_at, "normal", gold, gold, "gold"),
    )
    once = birthday_on_refund(programme, given, "2027-05-31T04:00:00Z", "gold")[1]
    assert birthday_on_refund(programme, once, "2027-05-31T04:00:00Z", "normal") == (
        gold,
        BirthdayBonus(given.given_at, "normal", 0),
    )  # a later refund takes only what the first left


def test_a_tiers_birthday_coupons_beyond_the_tiers_kept_are_those_no_kept_tier_names():
    coupons = {"silver": ["ct_s"], "gold": ["ct_g", "ct_s"], "diamond": ["ct_d", "ct_g", "ct_d"]}
    programme = replace(CLOTHING, tiers=tuple(replace(t, benefits={"birthday_coupons": coupons.get(t.code, [])})
                                              for t in CLOTHING.tiers))  # fmt: skip
    assert birthday_coupons_beyond(programme, "diamond", "normal") == ["ct_d", "ct_g"]
    assert birthday_coupons_beyond(programme, "diamond", "silver", "gold") == ["ct_d"]  # the tier left, a card's floor
    assert birthday_coupons_beyond(programme, "diamond", "normal", "") == ["ct_d", "ct_g"]  # no card
    assert birthday_coupons_beyond(programme, "silver", "gold") == []
    assert birthday_coupons_beyond(programme, "platinum", "normal") == []  # a tier the programme lost


def test_a_birthday_gift_noted_before_card_floors_were_kept_keeps_its_coupons_and_reads_back_as_it_was():
    """Found by a review: a note of the earlier four-element form read back as "no card's floor", so a refund voided
    coupons a paid card still gave; it now takes no coupon back, and a new note keeps the floor, even none."""
    from chalicelib.tiers.service import _birthday_coupons_back, _birthday_state, standing_of

    coupons = {"gold": ["ct_g"], "diamond": ["ct_d", "ct_g"]}
    programme = replace(CLOTHING, tiers=tuple(replace(t, benefits={"birthday_coupons": coupons.get(t.code, [])})
                                              for t in CLOTHING.tiers))  # fmt: skip
    state = {"tier": "diamond", "since": "2027-05-31", "until": "2028-12-31"}
    old = standing_of({**state, "birthday": ["2027-06-01T02:00:00Z", "diamond", 800, 300]}, programme).birthday
    assert old is not None
    assert old.floor_tier is None
    assert _birthday_coupons_back(programme, old, "normal") is None
    carded = replace(old, floor_tier="gold")
    assert _birthday_coupons_back(programme, carded, "normal") == {"year": 2027, "templates": ["ct_d"], "give": []}
    no_card = replace(old, floor_tier="")
    assert _birthday_state(no_card)[4:] == [""]
    assert _birthday_coupons_back(programme, no_card, "gold") == {"year": 2027, "templates": ["ct_d"], "give": []}
    held_gold = replace(CLOTHING, tiers=tuple(replace(t, benefits={"birthday_coupons": {"gold": ["ct_g"], "diamond": [
        "ct_d"]}.get(t.code, [])}) for t in CLOTHING.tiers))  # fmt: skip
    assert _birthday_coupons_back(held_gold, no_card, "gold") == {"year": 2027, "templates": ["ct_d"], "give": ["ct_g"]}
    late = replace(no_card, given_at="2027-01-02T02:00:00Z", year=2026)  # a report of 30 December booked on 2 January
    assert _birthday_coupons_back(programme, late, "normal")["year"] == 2026  # the year its coupons were given in
    assert _birthday_state(late)[4:] == ["", 2026]
