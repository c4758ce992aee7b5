"""积分抵现: points pay part of a till order, once per order, counted by the sale recorded at the counter and given
back when that sale is refunded whole."""

from contextlib import contextmanager

import pytest

from chalicelib.identity.member_auth import member_claims
from chalicelib.identity.service import issue_tokens
from chalicelib.members import service as members
from chalicelib.points import rules
from chalicelib.shared import clock
from chalicelib.shared.settings import get_settings
from tests import ledger_views
from tests.conftest import deliver, item_counts, member_token, token_for


@pytest.fixture
def member(api, partner):
    member_id, _ = member_token("13900000001")
    credited = api.post(f"/v1/members/{member_id}/points/adjustments", {"points": 2_000, "reason": "开卡礼"},
                        headers={"idempotency-key": "opening-points"})  # fmt: skip
    assert credited.status == 201, credited.body
    return member_id


@contextmanager
def settings(monkeypatch, **values):
    for name, value in values.items():
        monkeypatch.setenv(f"LOYALTY_{name.upper()}", str(value))
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name in values:
            monkeypatch.delenv(f"LOYALTY_{name.upper()}")
        get_settings.cache_clear()


def as_cash(till, member_id, points, order_id="POS-1", total=3_800, key="cash-key-1", code=True):
    """积分抵现 at SH-001's till: a cashier's with the code the member's pages show (a code redeems once)."""
    body = {"points": points, "order_id": order_id, "order_total_fen": total, "store_id": "SH-001",
            **({"member_code": members.member_code(member_id).code} if code else {})}  # fmt: skip
    return till.post(f"/v1/members/{member_id}/points/redemptions", body, headers={"idempotency-key": key})


def sale(order_id="POS-1", paid=3_300, total=3_800):
    return {"order_id": order_id, "store_id": "SH-001", "total_fen": total, "paid_fen": paid, "payment_method": "cash"}


def assert_balanced(member_id):
    """The points book's balance is the sum of its entries, and never below zero."""
    balance = ledger_views.account(member_id).balance
    assert balance == sum(entry.points for entry in ledger_views.entries(member_id)) >= 0


def available(api, member_id):
    return api.get(f"/v1/members/{member_id}/points").body["available"]


def test_points_pay_part_of_a_till_order_once_and_its_sale_counts_them(api, member):
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    paid = as_cash(cashier, member, 500)
    assert paid.status == 201, paid.body
    assert (paid.body["points"], paid.body["cash_fen"], paid.body["order_id"]) == (500, 500, "POS-1")
    assert paid.body["reason"] == "积分抵现 ¥5.00·订单 POS-1"  # what the member reads in their history
    assert as_cash(cashier, member, 500).body == paid.body  # a retry: the same answer, nothing more spent
    before = item_counts()
    again = as_cash(cashier, member, 300, key="cash-key-2")  # another key on the same order: one per order
    assert (again.status, again.body["type"].split("/")[-1]) == (409, "order-points-used")
    assert item_counts() == before
    assert available(api, member) == 1_500

    held = cashier.get(f"/v1/members/{member}/sales/POS-1?store_id=SH-001").body["points"]
    assert {k: held[k] for k in ("points", "cash_fen", "order_total_fen", "status")} == {
        "points": 500, "cash_fen": 500, "order_total_fen": 3_800, "status": "completed"}  # fmt: skip
    terms = cashier.get(f"/v1/members/{member}/counter").body["points"]["cash"]  # what the till offers
    assert terms == {"worth_fen": 1_500, "point_value_fen": "1", "max_percent": 50}
    assert api.get(f"/v1/members/{member}/points").body["cash"]["worth_fen"] == 1_500  # and the member reads
    begun = cashier.get(f"/v1/members/{member}/open-sales?store_id=SH-001").body["items"]
    assert [(order["order_id"], order["points"]["cash_fen"]) for order in begun] == [("POS-1", 500)]

    path = f"/v1/members/{member}/purchases"
    short = cashier.post(path, sale(paid=3_400))  # what points paid is on top of what was paid
    assert (short.status, short.body["errors"][0]["field"]) == (422, "total_fen")
    assert "points paid 500 fen" in short.body["detail"]
    recorded = cashier.post(path, sale())
    assert (recorded.status, recorded.body["points_awarded"]) == (201, 33)  # earned on what was paid, not the points
    assert cashier.get(f"/v1/members/{member}/open-sales?store_id=SH-001").body["items"] == []

    assert cashier.post(path, sale("POS-2", paid=1_000, total=1_000)).status == 201
    late = as_cash(cashier, member, 100, order_id="POS-2", total=1_000, key="cash-key-3")  # its sale is recorded
    assert (late.status, late.body["errors"][0]["field"]) == (422, "order_id")
    assert available(api, member) == 1_500 + 33 + 10
    assert_balanced(member)


def test_what_points_may_pay_is_the_chains_rule(api, member, monkeypatch):
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    token = issue_tokens(member_claims(member, clock.now().timestamp())).access_token
    before = item_counts()
    over = as_cash(cashier, member, 1_901)  # 50% of ¥38.00 by default
    assert (over.status, over.body["errors"][0]["field"]) == (422, "points")
    assert "at most 50% of the order: 1900 fen, 1900 points" in over.body["detail"]
    unpaired = cashier.post(f"/v1/members/{member}/points/redemptions", {"points": 10, "order_id": "POS-1"},
                            headers={"idempotency-key": "cash-try-1"})  # fmt: skip
    assert (unpaired.status, unpaired.body["errors"][0]["field"]) == (422, "order_total_fen")
    unsaid = api.post(
        f"/v1/members/{member}/points/redemptions", {"points": 10}, headers={"idempotency-key": "cash-try-2"}
    )
    assert (unsaid.status, unsaid.body["errors"][0]["field"]) == (422, "reason")
    own = api.as_(token).post(f"/v1/members/{member}/points/redemptions",
                              {"points": 10, "order_id": "POS-9", "order_total_fen": 1_000},
                              headers={"idempotency-key": "cash-try-3"})  # fmt: skip
    assert (own.status, own.body["errors"][0]["field"]) == (422, "order_id")  # at a till only
    with settings(monkeypatch, points_cash_max_percent=0):
        assert api.get(f"/v1/members/{member}/points").body["cash"] is None  # nothing offered
        off = as_cash(cashier, member, 100, key="cash-try-4")
        assert (off.status, off.body["errors"][0]["field"]) == (422, "order_id")
        assert "takes no points as cash" in off.body["detail"]
    with settings(monkeypatch, point_value_fen="0.5", points_cash_max_percent=100):
        odd = as_cash(cashier, member, 3, key="cash-try-5")
        assert (odd.status, odd.body["errors"][0]["field"]) == (422, "points")
    assert item_counts() == before
    with settings(monkeypatch, point_value_fen="0.5", points_cash_max_percent=100):
        assert as_cash(cashier, member, 1_000, key="cash-try-6").body["cash_fen"] == 500


def test_a_sale_refunded_whole_gives_its_points_back_once_and_a_partial_refund_keeps_them(api, aws, member):
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    manager = api.as_(token_for(["store_manager"], ("SH-001",)))
    for order_id in ("POS-1", "POS-2"):
        assert as_cash(manager, member, 500, order_id=order_id, key=f"cash-key-{order_id}", code=False).status == 201
        assert cashier.post(f"/v1/members/{member}/purchases", sale(order_id)).status == 201
    assert available(api, member) == 1_000 + 2 * 33
    refund = f"/v1/members/{member}/purchases/POS-1/refunds"
    assert manager.post(refund, {"amount_fen": 1_000}, headers={"idempotency-key": "refund-key-1"}).status == 201
    deliver(aws, "points")
    assert available(api, member) == 1_000 + 2 * 33 - 10  # part of it: the points stay spent
    assert manager.post(refund, {"amount_fen": 2_300}, headers={"idempotency-key": "refund-key-2"}).status == 201
    deliver(aws, "points", times=2)  # and a redelivery
    assert available(api, member) == 1_000 + 33 + 500  # all of it: its points back, once
    back = [e for e in ledger_views.entries(member) if e.type == "reverse"]
    assert [(int(e.points), e.reason) for e in back] == [(500, "退款退回抵现积分")]
    held = cashier.get(f"/v1/members/{member}/sales/POS-1?store_id=SH-001").body["points"]
    assert held["status"] == "reversed"
    assert cashier.get(f"/v1/members/{member}/sales/POS-2?store_id=SH-001").body["points"]["status"] == "completed"
    assert_balanced(member)


@pytest.mark.parametrize(
    ("points", "value", "total", "percent", "cash"),
    [(500, "1", 3_800, 50, 500), (1_900, "1", 3_800, 50, 1_900), (10, "10", 1_000, 10, 100), (4, "0.25", 100, 100, 1)],
)
def test_points_as_cash_is_their_worth_within_the_share(points, value, total, percent, cash):
    from decimal import Decimal

    assert rules.points_as_cash(points, Decimal(value), total, percent) == cash


@pytest.mark.parametrize(
    ("points", "value", "total", "percent", "field"),
    [(1_901, "1", 3_800, 50, "points"), (3, "0.5", 1_000, 100, "points"), (1, "1", 100, 0, "order_id"),
     (1, "0", 100, 50, "order_id"), (11, "10", 1_000, 10, "points")],
)  # fmt: skip
def test_points_as_cash_refuses_past_the_share_part_fen_or_when_off(points, value, total, percent, field):
    from decimal import Decimal

    with pytest.raises(rules.CashRefused) as refused:
        rules.points_as_cash(points, Decimal(value), total, percent)
    assert refused.value.field == field


def test_points_pay_no_more_than_the_orders_coupons_left_of_it(api, member):
    """A review: points paid half of a ¥38.00 order its ¥30.00 coupon had already taken ¥30.00 off, and the sale could
    never be recorded (it totals at least what coupons and points took off). Points pay within what is left."""
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    body = {"name": "30元券", "kind": "amount_off", "amount_off_fen": 3_000, "validity": {"days_after_issue": 30}}
    template_id = api.post("/v1/coupons/templates", body).body["template_id"]
    code = api.post(f"/v1/coupons/templates/{template_id}/issues", {"member_id": member, "source_id": "S-1"}).body[
        "code"
    ]
    used = cashier.post(f"/v1/coupons/{code}/redemptions", {"order_id": "POS-7", "member_code": members.member_code(
        member).code, "order": {"store_id": "SH-001", "total_fen": 3_800}})  # fmt: skip
    assert used.status == 201, used.body
    manager = api.as_(token_for(["store_manager"], ("SH-001",)))  # adjusts points: no code spent
    over = as_cash(manager, member, 801, order_id="POS-7", code=False, key="cash-key-7a")
    assert (over.status, over.body["errors"][0]["field"]) == (422, "points")
    assert "what its coupons left of it (800 fen)" in over.body["detail"]
    assert as_cash(manager, member, 800, order_id="POS-7", code=False, key="cash-key-7b").body["cash_fen"] == 800
    recorded = cashier.post(f"/v1/members/{member}/purchases", sale("POS-7", paid=0, total=3_800))
    assert recorded.status == 201, recorded.body


def test_points_on_an_order_stand_beside_no_card_sold_under_it_and_no_coupon_after_them(api, member):
    """A review: points paid part of an order a card was then sold under at full price (its cancellation refunded what
    points had paid), a card sold first took points after it, and a coupon after points left a sale that could never
    be recorded. Points pay what coupons left, and a card is paid whole under an order of its own."""
    manager = api.as_(token_for(["store_manager"], ("SH-001",)))
    plan = api.post("/v1/membership/plans", {"name": "月卡", "term": {"months": 1}, "price_fen": 3_800, "benefits": [],
                                             "auto_renew": False}).body  # fmt: skip
    card = {"plan_id": plan["plan_id"], "store_id": "SH-001", "amount_fen": 3_800, "payment_method": "cash"}
    assert as_cash(manager, member, 500, order_id="POS-C1", code=False, key="cash-key-c1").status == 201
    body = {"name": "5元券", "kind": "amount_off", "amount_off_fen": 500, "validity": {"days_after_issue": 30}}
    template_id = api.post("/v1/coupons/templates", body).body["template_id"]
    code = api.post(f"/v1/coupons/templates/{template_id}/issues", {"member_id": member, "source_id": "S-1"}).body[
        "code"
    ]
    before = item_counts()
    sold = manager.post(f"/v1/members/{member}/cards", {**card, "order_id": "POS-C1"})
    assert (sold.status, sold.body["errors"][0]["field"]) == (422, "order_id")
    after = manager.post(
        f"/v1/coupons/{code}/redemptions", {"order_id": "POS-C1", "order": {"store_id": "SH-001", "total_fen": 3_800}}
    )
    assert (after.status, after.body["type"].split("/")[-1]) == (422, "points-on-order")
    assert item_counts() == before
    assert manager.post(f"/v1/members/{member}/cards", {**card, "order_id": "POS-C2"}).status == 201
    before = item_counts()
    late = as_cash(manager, member, 500, order_id="POS-C2", code=False, key="cash-key-c2")
    assert (late.status, late.body["errors"][0]["field"]) == (422, "order_id")
    assert item_counts() == before


def test_an_orders_points_are_one_members_and_its_sale_totals_what_they_were_paid_against(api, member):
    """A review: two members' points paid parts of one order (once per member and order), the sale counted one of
    them, and the other's were never given back; points paid half of a ¥38.00 total, then the sale was recorded at
    ¥20.00, points 95% of it. The order's points are one member's, and its sale totals at least what they paid on."""
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    manager = api.as_(token_for(["store_manager"], ("SH-001",)))
    other, _ = member_token("13900000002")
    api.post(f"/v1/members/{other}/points/adjustments", {"points": 2_000, "reason": "开卡礼"},
             headers={"idempotency-key": "opening-other"})  # fmt: skip
    assert as_cash(manager, member, 1_900, order_id="POS-T", code=False, key="cash-key-t1").status == 201
    before = item_counts()
    second = as_cash(manager, other, 1_000, order_id="POS-T", code=False, key="cash-key-t2")
    assert (second.status, second.body["type"].split("/")[-1]) == (409, "order-points-used")
    theirs = cashier.post(f"/v1/members/{other}/purchases", sale("POS-T", paid=1_900))
    assert (theirs.status, theirs.body["errors"][0]["field"]) == (422, "order_id")
    smaller = cashier.post(f"/v1/members/{member}/purchases", sale("POS-T", paid=100, total=2_000))
    assert (smaller.status, smaller.body["errors"][0]["field"]) == (422, "total_fen")
    assert item_counts() == before
    assert cashier.post(f"/v1/members/{member}/purchases", sale("POS-T", paid=1_900)).status == 201


def test_an_order_is_one_members_whether_points_or_stored_value_came_first(api, member):
    """A probe: member A's points paid part of an order and member B's stored value paid it too (each write checked its
    own kind), after which neither's sale could be recorded. One member's points and wallet pay an order; another's
    either way is 422 on `order_id`, and nothing is written."""
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    manager = api.as_(token_for(["store_manager"], ("SH-001",)))
    other, _ = member_token("13900000002")
    topped = {"store_id": "SH-001", "order_id": "TOP-1", "amount_fen": 10_000}
    assert manager.post(f"/v1/members/{other}/wallet/top-ups", topped).status == 201
    api.post(f"/v1/members/{other}/points/adjustments", {"points": 2_000, "reason": "开卡礼"},
             headers={"idempotency-key": "opening-other"})  # fmt: skip

    def pay(member_id, order_id, key):
        body = {"store_id": "SH-001", "order_id": order_id, "amount_fen": 1_000,
                "member_code": members.member_code(member_id).code}  # fmt: skip
        return cashier.post(f"/v1/members/{member_id}/wallet/payments", body, headers={"idempotency-key": key})

    assert as_cash(manager, member, 500, order_id="POS-A", code=False, key="cash-key-a").status == 201
    before = item_counts()
    theirs = pay(other, "POS-A", "till-key-a")
    assert (theirs.status, theirs.body["errors"][0]["field"]) == (422, "order_id")
    assert item_counts() == before
    assert pay(other, "POS-B", "till-key-b").status == 201
    before = item_counts()
    mine = as_cash(manager, member, 500, order_id="POS-B", code=False, key="cash-key-b")
    assert (mine.status, mine.body["errors"][0]["field"]) == (422, "order_id")
    assert item_counts() == before
    assert as_cash(manager, other, 500, order_id="POS-B", code=False, key="cash-key-b2").status == 201
    assert cashier.post(f"/v1/members/{other}/purchases", {**sale("POS-B", paid=3_300), "payment_method": "mixed",
                                                          "other_method": "cash"}).status == 201  # fmt: skip
    assert_balanced(member)
    assert_balanced(other)
