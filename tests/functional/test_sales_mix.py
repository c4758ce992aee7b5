"""The sales mix (商品与时段): what members buy, by category, and when, by hour of the week, from the purchases and
refunds the statistics consumer counts, checked against the day's events and rebuilt from them."""

from datetime import timedelta

import pytest

from chalicelib.exports.service import set_landed_since
from chalicelib.shared import clock
from chalicelib.shared.db import Transaction
from chalicelib.stats import checks
from chalicelib.stats.records import FigureRecord
from tests.conftest import deliver, token_for
from tests.functional.test_reports import at, signed


def test_the_mix_says_what_members_buy_and_when_net_of_refunds_and_the_nightly_check_holds_it(api, aws, partner):
    """A café's walkthrough asked which categories sell and at which hours (the sales report has neither): two orders
    at noon and at six, one with lines and a line refunded, one without lines; delivered twice, counted once."""
    yesterday = clock.business_today() - timedelta(days=1)
    with clock.frozen(at(yesterday, 12.5)):
        signed(api, partner, "/v1/webhooks/purchases", {
            "order_id": "O-1", "member": {"phone": "13900000001"}, "store_id": "SH-001", "currency": "CNY",
            "occurred_at": clock.iso(clock.now()), "total_fen": 40_000, "paid_fen": 36_000, "payment_method": "cash",
            "items": [{"line_id": "1", "sku": "T", "category": "tops", "quantity": 2, "amount_fen": 20_000},
                      {"line_id": "2", "sku": "G", "category": "gift-card", "quantity": 1, "amount_fen": 20_000}],
        })  # fmt: skip
    with clock.frozen(at(yesterday, 18.25)):
        signed(api, partner, "/v1/webhooks/purchases", {
            "order_id": "O-2", "member": {"phone": "13900000002"}, "store_id": "SH-001", "currency": "CNY",
            "occurred_at": clock.iso(clock.now()), "total_fen": 9_900, "paid_fen": 9_900, "payment_method": "cash",
        })  # fmt: skip
        signed(api, partner, "/v1/webhooks/refunds", {
            "refund_id": "R-1", "order_id": "O-1", "occurred_at": clock.iso(clock.now()), "amount_fen": 9_000,
            "items": [{"line_id": "1", "quantity": 1, "amount_fen": 9_000}],
        })  # fmt: skip
    deliver(aws, "statistics", times=2)  # a redelivery counts nothing twice

    mix = api.get(f"/v1/reports/sales-mix?from={yesterday}&to={yesterday}")
    assert mix.status == 200, mix.body
    rows = [(c["category"], c["items_sold"], c["items_refunded"], c["sales_fen"], c["refunded_fen"], c["net_fen"],
             c["share"]) for c in mix.body["categories"]]  # fmt: skip
    assert rows == [
        ("gift-card", 1, 0, 18_000, 0, 18_000, "0.4878"),  # each line's share of what was paid (¥360 of ¥400)
        (None, 0, 0, 9_900, 0, 9_900, "0.2683"),  # an order without lines: its amount, no items
        ("tops", 2, 1, 18_000, 9_000, 9_000, "0.2439"),  # the refunded line taken back
    ]
    weekday = yesterday.isoweekday()
    hours = {(h["weekday"], h["hour"]): (h["purchases"], h["sales_fen"]) for h in mix.body["hours"]}
    assert len(hours) == 168
    assert {k: v for k, v in hours.items() if v[0]} == {(weekday, 12): (1, 36_000), (weekday, 18): (1, 9_900)}
    assert [(b["weekday"], b["hour"], b["sales_fen"]) for b in mix.body["busiest"]] == [
        (weekday, 12, 36_000),
        (weekday, 18, 9_900),
    ]  # a tie: the more paid first, with what it paid
    assert mix.body["busiest_tied"] == 2
    assert mix.body["totals"] == {"purchases": 2, "items_sold": 3, "items_refunded": 1, "sales_fen": 45_900,
                                  "refunded_fen": 9_000, "net_fen": 36_900}  # fmt: skip
    sales = api.get(f"/v1/reports/sales?from={yesterday}&to={yesterday}").body["totals"]
    assert (sales["purchases"], sales["paid_fen"], sales["refunded_fen"]) == (2, 45_900, 9_000)  # the same sums
    store = api.get(f"/v1/reports/sales-mix?from={yesterday}&to={yesterday}&store_id=SH-001").body
    assert store["categories"] == mix.body["categories"]
    tops = api.get(f"/v1/reports/sales-mix?from={yesterday}&to={yesterday}&category=tops").body  # when tops sell (a
    assert tops["category"] == "tops"  # bakery's walkthrough: which categories sell at which hours)
    assert {(h["weekday"], h["hour"]): (h["purchases"], h["sales_fen"]) for h in tops["hours"] if h["purchases"]} == {
        (weekday, 12): (1, 18_000)}  # its lines' share of the noon order; the evening order held none  # fmt: skip
    assert tops["categories"] == mix.body["categories"]  # the categories stay the whole window's
    store_tops = api.get(f"/v1/reports/sales-mix?from={yesterday}&to={yesterday}&category=tops&store_id=SH-001")
    assert store_tops.status == 422  # a category's hours are the chain's

    counts = api.as_(token_for(["marketing"])).get(f"/v1/reports/sales-mix?from={yesterday}&to={yesterday}").body
    first = counts["categories"][0]
    assert (first["category"], first["items_sold"], first["net_fen"], first["share"]) == ("gift-card", 1, None, None)
    assert (counts["totals"]["sales_fen"], counts["totals"]["purchases"]) == (None, 2)  # counts without reports:money

    with clock.frozen(at(yesterday + timedelta(days=1), 3.5)):
        set_landed_since(yesterday)
        assert checks.check_day(yesterday) == []
        tx = Transaction()  # a consumer bug counts an item of tops twice, and a purchase of them at noon
        tx.count(FigureRecord("sales-mix#store#SH-001@3", f"day#{yesterday}#c#tops"), "items_sold", 1)
        tx.count(FigureRecord("sales-mix-x#chain@2", f"tops#day#{yesterday}#{weekday}12"), "purchases", 1)
        tx.commit()
        drifts = [checks.Drift("sales-mix#chain|x#tops#" + f"{weekday}12", "purchases", 2, 1),
                  checks.Drift("sales-mix#store#SH-001|c#tops", "items_sold", 3, 2)]  # fmt: skip
        assert checks.check_day(yesterday) == drifts
        assert checks.rebuild_day(yesterday) == drifts
        assert checks.check_day(yesterday) == []
    assert api.get(f"/v1/reports/sales-mix?from={yesterday}&to={yesterday}&store_id=SH-001").body == store


@pytest.mark.parametrize("query", [
    "from=2026-01-01&to=2026-06-30",  # more than 92 days
    "from=2026-11-02&to=2026-11-01",
    "from=2026-11-01&to=2026-11-02&store_id=SH-001&region=华东",
    "from=2026-11-01&to=2026-11-02&granularity=week",  # the mix is the window's, not rows
    "from=2026-11-01&to=2026-11-02&tier=gold",
])  # fmt: skip
def test_a_mix_of_days_or_scopes_it_does_not_take_is_refused(api, query):
    answer = api.get(f"/v1/reports/sales-mix?{query}")
    assert answer.status == 422, answer.body
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_basket_of_many_categories_counts_its_largest_apart_and_the_rest_together(api, aws, partner):
    """A review: a purchase of 22 categories made the statistics consumer's transaction hold 109 items, so it failed
    and every figure of the purchase went to the dead-letter queue. An order's 12 largest categories count apart,
    the rest as other categories (其他品类)."""
    yesterday = clock.business_today() - timedelta(days=1)
    lines = [{"line_id": str(n), "sku": f"S{n}", "category": f"cat-{n:02d}", "quantity": 1, "amount_fen": 1_000 + n}
             for n in range(22)]  # fmt: skip
    total = sum(line["amount_fen"] for line in lines)
    with clock.frozen(at(yesterday, 9)):
        signed(api, partner, "/v1/webhooks/purchases", {
            "order_id": "O-22", "member": {"phone": "13900000003"}, "store_id": "SH-001", "currency": "CNY",
            "occurred_at": clock.iso(clock.now()), "total_fen": total, "paid_fen": total, "payment_method": "cash",
            "items": lines})  # fmt: skip
    deliver(aws, "statistics")
    mix = api.get(f"/v1/reports/sales-mix?from={yesterday}&to={yesterday}").body
    named = [c["category"] for c in mix["categories"]]
    assert named[0] == "*"
    assert mix["categories"][0]["name"] == "其他品类"
    assert sorted(named[1:]) == [f"cat-{n:02d}" for n in range(10, 22)]  # the twelve it paid most for
    assert mix["categories"][0]["items_sold"] == 10
    assert mix["totals"]["sales_fen"] == total
    sales = api.get(f"/v1/reports/sales?from={yesterday}&to={yesterday}").body["totals"]
    assert sales["paid_fen"] == total  # every figure of the purchase counted
