"""Coupon rules without sockets: what a coupon takes off an order and why it does not fit, and the coupon lifecycle
on the ledger engine's in-memory store, whose invariants hold after every step of any sequence (Hypothesis)."""

import contextlib
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.coupons.rules import (
    BOOKS,
    COUPON,
    OFFERS_PER_COUPON,
    STATUSES,
    STOCK,
    CodeFormat,
    Coupon,
    CouponRefused,
    Item,
    Order,
    OrderBook,
    Scope,
    Terms,
    Validity,
    coupon_holder,
    discount,
    discounts_by_line,
    fits,
    in_words,
    pick_shard,
    spread,
)
from chalicelib.coupons.service import Coupons, OutOfStock, Template
from chalicelib.ledger.engine import Ledger
from chalicelib.ledger.memory import MemoryStore
from chalicelib.ledger.model import Claim, Posting, Source
from chalicelib.shared import clock
from chalicelib.shared.settings import get_settings

TODAY = date(2026, 11, 20)
NOW = "2026-11-20T04:00:00.000Z"
LOCAL = datetime(2026, 11, 20, 12, 0, tzinfo=get_settings().tz)  # a Friday
ORDER = Order("SH-001", 25_000, (Item("JK-1", 20_000, 1, "jackets", "North"), Item("TS-1", 5_000, 2, "shirts")))


def coupon(**changes):
    fields = {"code": "C1", "template_id": "ct_1", "valid_from": "2026-11-01", "valid_until": "2026-11-30"}
    return Coupon(**{**fields, **changes})


def fit(terms, order=ORDER, **coupon_changes):
    return fits(coupon(**coupon_changes), terms, order, tier="gold", local=LOCAL, now=NOW, today=TODAY)


def test_a_threshold_coupon_counts_only_the_items_it_covers():
    jackets = Terms("threshold", amount_off_fen=3_000, threshold_fen=20_000, scope=Scope(categories=("jackets",)))
    assert discount(jackets, ORDER).discount_fen == 3_000
    shirts = Terms("threshold", amount_off_fen=3_000, threshold_fen=20_000, scope=Scope(categories=("shirts",)))
    assert discount(shirts, ORDER).reason == "below-minimum-spend"


def test_an_excluded_line_never_counts_towards_a_coupon():
    """不适用品类/商品: a gift card or a sale item on the order neither earns the threshold nor takes the discount,
    and an order without lines has nothing such a coupon applies to (its total could hide a gift card)."""
    with_gift_card = Order("S", 30_000, (Item("JK-1", 20_000, 1, "jackets"), Item("GC-500", 10_000, 1, "gift-card")))
    not_gift_cards = Scope(excluded_categories=("gift-card",))
    threshold = Terms("threshold", amount_off_fen=3_000, threshold_fen=25_000, scope=not_gift_cards)
    assert discount(threshold, with_gift_card).reason == "below-minimum-spend"
    assert discount(replace(threshold, threshold_fen=20_000), with_gift_card).discount_fen == 3_000
    percent = Terms("percent_off", percent_off=10, scope=Scope(excluded_skus=("JK-1",)))
    assert discount(percent, with_gift_card).discount_fen == 1_000
    only_gift_cards = Order("S", 10_000, (Item("GC-500", 10_000, 1, "gift-card"),))
    assert discount(Terms("amount_off", amount_off_fen=500, scope=not_gift_cards), only_gift_cards).reason == (
        "no-applicable-items"
    )
    assert discount(Terms("amount_off", amount_off_fen=500, scope=not_gift_cards), Order("S", 10_000)).reason == (
        "items-needed"
    )
    north = Terms("amount_off", amount_off_fen=500, scope=Scope(categories=("jackets",), excluded_brands=("North",)))
    assert discount(north, ORDER).reason == "no-applicable-items"
    assert in_words(threshold) == "满250减30 · 不适用品类 gift-card · 不可与其他券叠加"
    assert "不适用品类 礼品卡" in in_words(threshold, categories={"gift-card": "礼品卡"})  # LOYALTY_CATEGORY_NAMES
    assert "not for items: JK-1" in in_words(percent, "en")


def test_a_coupons_discount_is_taken_off_the_lines_it_covers():
    lines = (Item("HAIR", 55_000, 1, "hair"), Item("SHAMPOO", 15_000, 1, "retail"), Item("MASK", 5_000, 1, "hair"))
    not_retail = Terms("threshold", amount_off_fen=8_000, threshold_fen=50_000,
                       scope=Scope(excluded_categories=("retail",)))  # fmt: skip
    assert discounts_by_line([(not_retail, 8_000)], lines) == [7_333, 0, 667]
    assert discounts_by_line([(Terms("amount_off", amount_off_fen=1_000), 1_000)], lines) == [733, 200, 67]
    assert discounts_by_line([(Terms("exchange", exchange_sku="MASK"), 5_000)], lines) == [0, 0, 5_000]
    assert discounts_by_line([(Terms("free_shipping"), 800)], lines) == [0, 0, 0]
    shoes = Terms("amount_off", amount_off_fen=1_000, scope=Scope(categories=("shoes",)))
    assert sum(discounts_by_line([(shoes, 1_000)], lines)) == 1_000  # judged on a total: over every line


def test_stacked_coupons_come_off_what_is_left_of_their_lines_one_after_another():
    """A review: a free tea and ¥10 off stacked on tea ¥20 + cake ¥30 booked the tea ¥8; two coupons excluding gift
    cards, ¥80 and ¥50 off ¥100 of tops, booked part of the discount on the gift card."""
    tea_and_cake = (Item("TEA", 2_000, 1, "drinks"), Item("CAKE", 3_000, 1, "food"))
    free_tea, ten_off = Terms("exchange", exchange_sku="TEA"), Terms("amount_off", amount_off_fen=1_000, stacks=True)
    assert discounts_by_line([(ten_off, 1_000), (free_tea, 2_000)], tea_and_cake) == [2_000, 1_000]
    top_and_card = (Item("TOP", 10_000, 1, "tops"), Item("GC", 10_000, 1, "gift-card"))
    no_cards = Scope(excluded_categories=("gift-card",))
    stacked = [(Terms("amount_off", amount_off_fen=8_000, scope=no_cards), 8_000),
               (Terms("amount_off", amount_off_fen=5_000, scope=no_cards), 5_000)]  # fmt: skip
    assert discounts_by_line(stacked, top_and_card) == [10_000, 0]  # never on the gift card


def test_a_percent_coupon_rounds_down_and_stops_at_its_cap():
    assert discount(Terms("percent_off", percent_off=15), Order("S", 999)).discount_fen == 149
    assert discount(Terms("percent_off", percent_off=15, cap_fen=100), Order("S", 999)).discount_fen == 100


def test_an_amount_never_takes_more_than_what_it_applies_to():
    assert discount(Terms("amount_off", amount_off_fen=50_000), ORDER).discount_fen == 25_000


def test_an_exchange_coupon_gives_one_unit_and_free_shipping_needs_a_fee():
    assert discount(Terms("exchange", exchange_sku="TS-1"), ORDER).discount_fen == 2_500
    assert discount(Terms("exchange", exchange_sku="XX"), ORDER).reason == "item-not-in-order"
    assert discount(Terms("free_shipping"), ORDER).reason == "no-shipping-fee"
    assert discount(Terms("free_shipping"), Order("S", 100, shipping_fen=800)).discount_fen == 800
    spend_first = Terms("free_shipping", min_spend_fen=9_900)
    assert discount(spend_first, Order("S", 100, shipping_fen=800)).reason == "below-minimum-spend"
    assert discount(Terms("exchange", exchange_sku="TS-1", min_spend_fen=30_000), ORDER).reason == "below-minimum-spend"


def test_why_a_coupon_does_not_fit_comes_in_order_of_what_a_cashier_can_change_least():
    weekend = Terms("amount_off", amount_off_fen=100, validity=Validity(days_after_issue=7, weekdays=(6, 7)))
    assert fit(weekend).reason == "not-on-this-day"
    lunch = Terms("amount_off", amount_off_fen=100, validity=Validity(7, hours=(time(14), time(17))))
    assert fit(lunch).reason == "not-at-this-hour"
    assert fit(Terms("amount_off", amount_off_fen=100, scope=Scope(tiers=("diamond",)))).reason == "tier-not-applicable"
    assert fit(Terms("amount_off", amount_off_fen=100), valid_from="2026-11-21").reason == "not-yet-valid"
    assert fit(Terms("amount_off", amount_off_fen=100), valid_until="2026-11-19").reason == "expired"
    assert fit(Terms("amount_off", amount_off_fen=100), status="used").reason == "used"


def test_rules_read_as_members_read_them():
    terms = Terms("percent_off", percent_off=15, cap_fen=2_000, min_spend_fen=10_000, stacks=True,
                  validity=Validity(7, weekdays=(1, 2)))  # fmt: skip
    assert in_words(terms) == "8.5折，最多减20元 · 满100元可用 · 限周一、周二 · 可与其他券叠加"
    assert in_words(terms, "en") == "15% off, at most ¥20 · on ¥100 or more · Mon, Tue only · stacks with other coupons"
    tea = Terms("exchange", exchange_sku="TEA-MILK-001", exchange_name="招牌奶茶一杯")  # the item by name, and its SKU
    assert (in_words(tea), in_words(Terms("exchange", exchange_sku="TEA-MILK-001"))) == (
        "兑换商品 招牌奶茶一杯（TEA-MILK-001） · 不可与其他券叠加",
        "兑换商品 TEA-MILK-001 · 不可与其他券叠加",
    )
    assert in_words(tea, "en").startswith("one 招牌奶茶一杯 (TEA-MILK-001) free")
    renewal = Terms("threshold", threshold_fen=300_000, amount_off_fen=30_000, scope=Scope(categories=("membership",)))
    assert (
        in_words(renewal) == "满3000减300 · 限品类 会员卡 · 不可与其他券叠加"
    )  # a 续费券 (a walkthrough read membership)
    assert "categories: paid cards" in in_words(renewal, "en")


def test_codes_are_drawn_from_their_charset_and_stock_spreads_evenly():
    code = CodeFormat(10, "ABC234", "YH-").new_code()
    assert code.startswith("YH-")
    assert len(code) == 13
    assert set(code[3:]) <= set("ABC234")
    assert spread(10, 3) == [4, 3, 3]
    assert pick_shard([0, 0, 5], "any") == 2
    assert pick_shard([0, 0], "any") is None


# --- the lifecycle on the engine -----------------------------------------------------------------------------------

TEMPLATE = Template("ct_1", "立减10", None, Terms("amount_off", amount_off_fen=1_000, validity=Validity(3)), {},
                    CodeFormat(), 4, 1, None, False, "issuing", None, "", "", 1)  # fmt: skip
STEPS = st.lists(st.tuples(st.sampled_from(["issue", "reserve", "release", "redeem", "return", "expire", "void",
                                            "offer", "withdraw", "transfer", "day"]), st.integers(0, 4),
                           st.integers(0, 2)), max_size=40)  # fmt: skip


def counts(store):
    statuses = [
        BOOKS[COUPON].load(a.books.get(COUPON)).status for h, a in store.accounts.items() if h.startswith("coupon:")
    ]
    return {status: statuses.count(status) for status in STATUSES}


@settings(max_examples=60, deadline=None)
@given(STEPS)
def test_every_coupon_is_in_exactly_one_state_and_the_books_add_up(steps):
    """issued = available + reserved + used + expired + voided + transferred; stock left + issued = the stock; each
    coupon's balance is the sum of its entries and is 1 exactly while it can be used."""
    store = MemoryStore()
    engine = Ledger(store, BOOKS, pause=lambda attempt: None)
    verbs = Coupons(engine)
    engine.post([_stock_posting()])
    codes: list[str] = []
    day = 0
    for verb, which, order in steps:
        with clock.frozen(datetime(2026, 11, 20, 4, tzinfo=get_settings().tz) + timedelta(days=day)):
            now = clock.iso(clock.now())
            if verb == "day":
                day += 1
                continue
            if verb == "issue":
                try:
                    answer = verbs.issue(TEMPLATE, None, Source("test", str(len(codes) + which * 100)),
                                         Claim.of(f"i{len(codes)}-{which}", "x"), "zh-CN")  # fmt: skip
                except OutOfStock:
                    assert engine.balance("coupon-stock:ct_1:0", STOCK) == 0
                    continue
                if not answer["duplicate"]:
                    codes.append(answer["code"])
                continue
            if not codes:
                continue
            code = codes[which % len(codes)]
            order_id = f"O{order}"
            detail = {
                "reserve": {"order_id": order_id, "store_id": "S", "until": clock.iso(clock.now() + timedelta(hours=1)),
                            "now": now},
                "release": {"order_id": order_id}, "return": {"order_id": order_id},
                "redeem": {"redemption_id": f"r{order}", "order_id": order_id, "store_id": "S", "discount_fen": 1,
                           "at": now, "now": now},
                "offer": {"token_hash": f"t{order}", "until": clock.iso(clock.now() + timedelta(hours=30)), "now": now},
                "withdraw": {"now": now},
                "transfer": {"token_hash": f"t{order}", "to_code": "FRIEND", "to_member_id": "mb_2", "now": now},
            }.get(verb, {})  # fmt: skip
            amount = {"reserve": 0, "release": 0, "redeem": -1, "return": 1, "expire": -1, "void": -1, "offer": 0,
                      "withdraw": 0, "transfer": -1}[verb]  # fmt: skip
            with contextlib.suppress(CouponRefused):
                verbs.change(code, verb, amount, detail, Source("test", order_id), verb)
        found = counts(store)
        assert sum(found.values()) == len(codes)
        stock_left = engine.balance("coupon-stock:ct_1:0", STOCK)
        assert stock_left + len(codes) == 4
        for code in codes:
            holder = coupon_holder(code)
            entries = store.entries.get((holder, COUPON), [])
            balance = engine.balance(holder, COUPON)
            assert balance == sum(e.amount for e in entries)
            state = BOOKS[COUPON].load(store.accounts[holder].books[COUPON])
            assert balance == (1 if state.status in ("available", "reserved") else 0)


def test_an_offered_coupon_waits_for_the_friend_holding_its_token_until_the_offer_lapses():
    """While offered (转赠中) a coupon fits no order and cannot be held or used; only the offer's token transfers it,
    while the offer is open; a withdrawal, a lapse or its end (expiry, voiding) frees it or ends the offer."""
    book = BOOKS[COUPON]
    source = Source("member", "mb_1")
    later = "2026-11-20T05:00:00.000Z"

    def change(state, kind, amount=0, now=NOW, **detail):
        return book.apply(state, Posting("coupon:C1", COUPON, amount, kind, source, kind, {**detail, "now": now}),
                          TODAY)[0]  # fmt: skip

    offered = change(coupon(), "offer", token_hash="t1", until=later)
    assert fits(offered, Terms("amount_off", amount_off_fen=1_000), ORDER, tier=None, local=LOCAL, now=NOW,
                today=TODAY).reason == "offered"  # fmt: skip
    for kind, amount in (("reserve", 0), ("redeem", -1)):
        with pytest.raises(CouponRefused, match="offered"):
            change(offered, kind, amount, order_id="O-1", store_id="S", until=later, redemption_id="r", at=NOW,
                   discount_fen=1)  # fmt: skip
    with pytest.raises(CouponRefused, match="not-offered"):
        change(offered, "transfer", -1, token_hash="t2", to_code="C2", to_member_id="mb_2")
    with pytest.raises(CouponRefused, match="not-offered"):  # lapsed
        change(offered, "transfer", -1, now="2026-11-20T05:00:00.001Z", token_hash="t1", to_code="C2",
               to_member_id="mb_2")  # fmt: skip
    assert change(offered, "redeem", -1, now=later, order_id="O-1", store_id="S", redemption_id="r", at=later,
                  discount_fen=1).status == "used"  # fmt: skip
    given_away = change(offered, "transfer", -1, token_hash="t1", to_code="C2", to_member_id="mb_2")
    assert (given_away.status, given_away.transferred_to, given_away.offer, given_away.usable_count) == (
        "transferred", "C2", None, 0)  # fmt: skip
    with pytest.raises(CouponRefused, match="transferred"):
        change(given_away, "offer", token_hash="t3", until=later)
    assert change(offered, "withdraw").offer is None
    assert change(offered, "void", -1).offer is None
    assert book.load(book.dump(offered)) == offered  # kept and read back whole


def test_a_coupon_is_offered_ten_times_at_most_whatever_became_of_each_offer():
    """Another link for a friend who missed one, but no loop of offers and withdrawals without end."""
    book = BOOKS[COUPON]
    source = Source("member", "mb_1")
    state = coupon()
    for n in range(OFFERS_PER_COUPON):
        state = book.apply(state, Posting("coupon:C1", COUPON, 0, "offer", source, "", {"token_hash": f"t{n}",
                           "until": "2026-11-20T05:00:00.000Z", "now": NOW}), TODAY)[0]  # fmt: skip
        if n % 2:
            state = book.apply(state, Posting("coupon:C1", COUPON, 0, "withdraw", source, "", {"now": NOW}), TODAY)[0]
    assert state.offers == OFFERS_PER_COUPON
    with pytest.raises(CouponRefused, match="offers-used"):
        book.apply(state, Posting("coupon:C1", COUPON, 0, "offer", source, "", {"token_hash": "t-last",
                   "until": "2026-11-20T05:00:00.000Z", "now": NOW}), TODAY)  # fmt: skip
    kept_before = {name: value for name, value in book.dump(coupon()).items() if name != "offers"}
    assert book.load(kept_before).offers == 0  # a coupon kept before offers were counted


def _stock_posting():
    from chalicelib.ledger.model import Posting

    return Posting("coupon-stock:ct_1:0", STOCK, 4, "stock", Source("template", "ct_1"), "初始库存")


def test_stacked_coupons_never_take_an_order_below_nothing_and_old_orders_still_load():
    """The order book keeps each coupon's discount: a stacking coupon that would take the order's coupons past what
    its goods cost, or its free-shipping coupons past its shipping fee, is refused (``exceeds-order``), each cost the
    least any redemption said; giving one back makes room again. Orders booked when the book kept less still load."""
    book = OrderBook()
    source = Source("order", "O-1")

    def add(state, code, off, total=6000, stacks=True, shipping=0, on_shipping=False):
        detail = {"code": code, "stacks": stacks, "discount_fen": off, "total_fen": total, "shipping_fen": shipping,
                  "on_shipping": on_shipping}  # fmt: skip
        return book.apply(state, Posting("co|O-1", book.name, 1, "redeem", source, "", detail), date(2027, 3, 1))[0]

    def refused(*adding, **terms):
        with pytest.raises(CouponRefused) as refusal:
            add(*adding, **terms)
        return refusal.value.reason

    state = add(add(book.load({}), "A", 5000), "B", 1000)
    assert refused(state, "C", 1) == "exceeds-order"
    back = book.apply(state, Posting("co|O-1", book.name, -1, "return", source, "", {"code": "B"}), date(2027, 3, 1))[0]
    assert add(back, "C", 1000) == {"A": [True, 5000, 6000, 0, False, None, ""],
                                    "C": [True, 1000, 6000, 0, False, None, ""]}  # fmt: skip
    assert book.dump(book.load({"A": True})) == {"A": [True, 0, None, None, False, None, ""]}
    assert book.load({"A": [True, 300]}) == {"A": [True, 300, None, None, False, None, ""]}
    assert book.load({"A": [True, 300, 6000, 0, False]}) == {"A": [True, 300, 6000, 0, False, None, ""]}
    # a later redemption saying the order costs more makes no room
    assert refused(add(book.load({}), "A", 5000), "B", 5000, 1_000_000) == "exceeds-order"
    # all of the goods off, and a free-shipping coupon beside it: the order costs nothing, not less
    all_goods_off = add(book.load({}), "A", 10_000, 10_000, shipping=800)
    assert add(all_goods_off, "S", 800, 10_000, shipping=800, on_shipping=True)["S"][:5] == [
        True,
        800,
        10_000,
        800,
        True,
    ]
    # coupons on the goods never take the shipping off, nor free-shipping coupons more than the fee
    assert refused(add(book.load({}), "A", 5000, shipping=1000), "B", 1500, shipping=1000) == "exceeds-order"
    one_free = add(book.load({}), "S", 800, shipping=800, on_shipping=True)
    assert refused(one_free, "T", 800, shipping=800, on_shipping=True) == "exceeds-order"
