"""The points mall's rules in plain code: terms and prices, limits by period, the stock and limit books, and the order's
state machine."""

from dataclasses import replace
from datetime import date

import pytest

from chalicelib.ledger.model import Entry, Insufficient, Posting, Source
from chalicelib.mall.rules import (
    LIMIT,
    ORDER,
    STOCK,
    Action,
    Delivery,
    LimitBook,
    NotAllowed,
    Order,
    OrderBook,
    Quota,
    Refusal,
    Status,
    Stock,
    StockBook,
    Terms,
    affordable,
    mask_address,
    mask_name,
    mask_phone,
    next_status,
    normal_code,
    period_key,
    pickup_code,
)

TODAY = date(2026, 12, 1)
SOURCE = Source("mall-order", "mo_1")
CUP = Terms(name="保温杯", kind="goods", points=1_200, cash_fen=990, fulfilment="shipping")


@pytest.mark.parametrize(
    ("period", "day", "key"),
    [
        ("day", date(2026, 12, 31), "2026-12-31"),
        ("week", date(2026, 12, 31), "2026-W53"),
        ("week", date(2027, 1, 3), "2026-W53"),  # ISO weeks cross the new year
        ("week", date(2027, 1, 4), "2027-W01"),
        ("month", date(2026, 12, 31), "2026-12"),
        ("year", date(2026, 12, 31), "2026"),
        ("ever", date(2026, 12, 31), "ever"),
    ],
)
def test_a_limit_period_is_named_by_the_business_day_it_contains(period, day, key):
    assert period_key(period, day) == key


def test_a_price_is_per_unit_in_points_and_fen():
    assert CUP.price(3) == (3_600, 2_970)


def test_terms_refuse_outside_the_sale_window_a_stopped_reward_and_other_tiers():
    window = replace(CUP, on_sale_from="2026-12-01T02:00:00.000Z", on_sale_until="2026-12-02T02:00:00.000Z")
    assert window.refusal("2026-12-01T01:59:59.999Z", "normal") is Refusal.NOT_YET
    assert window.refusal("2026-12-01T02:00:00.000Z", "normal") is None
    assert window.refusal("2026-12-02T02:00:00.000Z", "normal") is Refusal.ENDED
    assert replace(CUP, selling=False).refusal("2026-12-01T03:00:00.000Z", "gold") is Refusal.STOPPED
    assert replace(CUP, tiers=("gold", "diamond")).refusal("2026-12-01T03:00:00.000Z", "silver") is Refusal.TIER
    assert replace(CUP, tiers=("gold", "diamond")).refusal("2026-12-01T03:00:00.000Z", "gold") is None


def test_terms_survive_their_json():
    terms = replace(CUP, tiers=("gold",), per_member_limit=2, limit_period="month")
    assert Terms.from_json(terms.to_json()) == terms


def test_affordable_means_the_points_price_fits_what_is_available():
    assert affordable(100, 100)
    assert not affordable(101, 100)


def post(book, state, amount, kind, detail=None):
    return book.apply(state, Posting("h", book.name, amount, kind, SOURCE, "r", detail), TODAY)[0]


def test_the_stock_never_goes_below_zero_and_stock_is_always_stocked_less_sold():
    book = StockBook()
    stock = post(book, Stock(), 0, "terms", CUP.to_json())
    stock = post(book, stock, 5, "stock")
    stock = post(book, stock, -3, "sale")
    with pytest.raises(Insufficient) as refused:
        post(book, stock, -3, "sale")
    assert (refused.value.available, refused.value.asked) == (2, 3)
    stock = post(book, stock, 1, "return")
    assert (stock.units, stock.stocked, stock.sold, stock.terms) == (3, 5, 2, CUP)
    assert book.problems(stock) == []
    assert book.problems(replace(stock, units=4)) != []
    assert book.load(book.dump(stock)) == stock


def test_undoing_a_sale_returns_the_units():
    book = StockBook()
    stock = post(book, post(book, Stock(), 5, "stock"), -2, "sale")
    sale = Entry("h", STOCK, 2, "ms_1", "sale", -2, 3, SOURCE, "r", None, "system", "t", "g")
    assert book.undo(stock, sale, TODAY)[0] == Stock(5, 5, 0)


def count(book, quota, units, period, limit):
    return post(book, quota, units, "count", {"period": period, "limit": limit})


def test_a_limit_counts_within_its_period_refuses_beyond_it_and_starts_again_in_the_next():
    book = LimitBook()
    quota = count(book, Quota(), 2, "2026-12", 3)
    with pytest.raises(Insufficient) as refused:
        count(book, quota, 2, "2026-12", 3)
    assert refused.value.available == 1
    quota = count(book, quota, 1, "2026-12", 3)
    assert quota.remaining(3, "2026-12") == 0
    assert quota.remaining(3, "2027-01") == 3
    quota = count(book, quota, 3, "2027-01", 3)
    assert (quota.used, quota.period, quota.in_period) == (6, "2027-01", 3)
    assert book.balance(quota) == 6  # for life: the sum of its entries


def test_giving_units_back_frees_only_the_period_they_were_counted_in():
    book = LimitBook()
    quota = count(book, Quota(), 2, "2026-12", 2)
    freed = post(book, quota, -1, "uncount", {"period": "2026-12"})
    assert (freed.used, freed.in_period) == (1, 1)
    january = count(book, quota, 1, "2027-01", 2)
    old = post(book, january, -2, "uncount", {"period": "2026-12"})  # December's units: January's count stays
    assert (old.used, old.period, old.in_period) == (1, "2027-01", 1)
    assert book.load(book.dump(old)) == old


def order(**fields):
    base = Order(
        "mo_1", "mb_1", "rw_1", "保温杯", "goods", 1, 1_200, 0, "2026-12-01T02:00:00.000Z", fulfilment="shipping"
    )
    return replace(base, **fields)


@pytest.mark.parametrize(
    ("kind", "fulfilment", "cash", "placed"),
    [
        ("goods", "shipping", 0, Status.PENDING),
        ("goods", "pickup", 0, Status.READY_FOR_PICKUP),
        ("service", None, 0, Status.READY_FOR_PICKUP),
        ("coupon", None, 0, Status.PENDING),
        ("goods", "shipping", 990, Status.AWAITING_PAYMENT),
        ("service", None, 500, Status.AWAITING_PAYMENT),
    ],
)
def test_an_exchange_starts_awaiting_payment_when_cash_is_due_else_where_its_fulfilment_starts(
    kind, fulfilment, cash, placed
):
    fresh = order(kind=kind, fulfilment=fulfilment, cash_fen=cash)
    assert next_status(fresh, Action.PLACE) == placed
    if cash:
        paid = order(kind=kind, fulfilment=fulfilment, cash_fen=cash, status=Status.AWAITING_PAYMENT)
        assert next_status(paid, Action.PAY) == next_status(replace(fresh, cash_fen=0), Action.PLACE)


ALLOWED = {  # (kind, fulfilment, status, action) -> status after; every other combination is refused
    ("goods", "shipping", "pending", "ship"): "shipped",
    ("goods", "shipping", "shipped", "complete"): "completed",
    ("goods", "shipping", "awaiting_payment", "pay"): "pending",
    ("goods", "pickup", "ready_for_pickup", "verify"): "completed",
    ("service", None, "ready_for_pickup", "verify"): "completed",
    ("coupon", None, "pending", "issue"): "completed",
    ("coupon", None, "pending", "fail"): "cancelled",
    ("coupon", None, "awaiting_payment", "cancel"): "cancelled",
    ("coupon", None, "awaiting_payment", "release"): "cancelled",
    ("goods", "shipping", "shipped", "refund"): "refunded",
    ("goods", "shipping", "completed", "refund"): "refunded",
    ("goods", "pickup", "completed", "refund"): "refunded",
}
for kind, fulfilment in (("goods", "shipping"), ("goods", "pickup"), ("service", None)):
    for status in ("awaiting_payment", "pending", "ready_for_pickup"):
        ALLOWED[(kind, fulfilment, status, "cancel")] = "cancelled"
    ALLOWED[(kind, fulfilment, "awaiting_payment", "release")] = "cancelled"
ALLOWED[("goods", "pickup", "awaiting_payment", "pay")] = "ready_for_pickup"
ALLOWED[("service", None, "awaiting_payment", "pay")] = "ready_for_pickup"
ALLOWED[("coupon", None, "awaiting_payment", "pay")] = "pending"
CASES = [
    (kind, fulfilment, status, action)
    for kind, fulfilment in (("goods", "shipping"), ("goods", "pickup"), ("service", None), ("coupon", None))
    for status in Status
    for action in Action
    if action is not Action.PLACE
]


@pytest.mark.parametrize(("kind", "fulfilment", "status", "action"), CASES)
def test_the_state_machine_allows_exactly_its_transitions(kind, fulfilment, status, action):
    current = order(kind=kind, fulfilment=fulfilment, status=str(status), cash_fen=990)
    expected = ALLOWED.get((kind, fulfilment, str(status), str(action)))
    if expected is None:
        with pytest.raises(NotAllowed):
            next_status(current, action)
    else:
        assert next_status(current, action) == expected


def move(book, state, action, amount=0, changes=None, new=None):
    detail = {
        "action": action,
        "at": "2026-12-01T02:00:00.000Z",
        "by": "staff:st_1",
        "changes": new.to_json() if new else (changes or {}),
    }
    return book.apply(state, Posting("mall-order:mo_1", ORDER, amount, action, SOURCE, "why", detail), TODAY)[0]


def test_the_order_book_holds_the_points_while_the_order_lives_and_records_each_step():
    book = OrderBook()
    placed = move(book, None, "place", 1_200, new=order())
    assert (placed.status, placed.held, book.balance(placed)) == ("pending", 1_200, 1_200)
    shipped = move(book, placed, "ship", changes={"shipment": {"carrier": "SF"}})
    with pytest.raises(ValueError, match="holding"):
        move(book, shipped, "refund", -1)  # a refund gives back all the order holds, never part of it
    refunded = move(book, shipped, "refund", -1_200)
    assert (refunded.held, refunded.shipment) == (0, {"carrier": "SF"})
    assert [(step["status"], step["action"], step["by"], step["why"]) for step in refunded.history] == [
        ("pending", "place", "staff:st_1", "why"),
        ("shipped", "ship", "staff:st_1", "why"),
        ("refunded", "refund", "staff:st_1", "why"),
    ]
    assert book.load(book.dump(refunded)) == refunded
    with pytest.raises(NotAllowed):
        move(book, placed, "place", 1_200, new=order())


def test_a_delivery_must_fit_the_reward():
    shipped, pickup = CUP, replace(CUP, fulfilment="pickup")
    service, coupon = Terms(name="洗车", kind="service", points=1), Terms(name="券", kind="coupon", points=1)
    address = {"sealed": "x", "masked": {}}

    def fields(delivery, terms, quantity=1):
        return [problem["field"] for problem in delivery.problems(terms, quantity)]

    assert fields(Delivery(address=address), shipped) == []
    assert fields(Delivery(), shipped) == ["address"]
    assert fields(Delivery(pickup_store_id="SH-001", address=address), shipped) == ["pickup_store_id"]
    assert fields(Delivery(pickup_store_id="SH-001"), pickup) == []
    assert fields(Delivery(), pickup) == ["pickup_store_id"]
    assert fields(Delivery(), service) == fields(Delivery(pickup_store_id="SH-001"), service) == []
    assert fields(Delivery(address=address), service) == ["address"]
    assert fields(Delivery(), coupon, quantity=2) == ["quantity"]


def test_a_pickup_code_is_sixteen_digits_of_a_keyed_hash_and_typing_it_in_groups_is_fine():
    code = pickup_code("f" * 64)
    assert len(code) == 16
    assert code.isdigit()
    assert pickup_code("0" * 63 + "1") == "0000000000000001"
    assert normal_code("1234 5678-9012 3456") == "1234567890123456"


def test_personal_data_is_masked_for_those_who_may_not_read_it():
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李*"
    assert mask_phone("+8613800138000") == "138****8000"
    assert mask_address("上海市黄浦区南京东路 1 号") == "上海市黄浦区****"


def test_the_books_are_registered_under_their_names():
    assert (StockBook.name, LimitBook.name, OrderBook.name) == (STOCK, LIMIT, ORDER)
