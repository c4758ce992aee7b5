"""Coupons under races, over HTTP against the locked emulator: a template's stock is never oversold, whether it sits
in one shard or several, and a coupon is used by one order only."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.coupons import rules as coupon_rules
from chalicelib.ledger.registry import ledger
from tests.conftest import member_token
from tests.http import send

pytestmark = pytest.mark.xdist_group("http-stack")
ORDER = {"store_id": "CR-001", "total_fen": 25000}


@pytest.fixture(scope="module")
def shop(http_stack):
    base, token = http_stack.url, http_stack.token
    status, _ = send("POST", f"{base}/v1/stores", {"store_id": "CR-001", "name": "C", "city": "c", "region": "r"},
                     token=token)  # fmt: skip
    assert status == 201
    member_id, member = member_token("13700000088")
    return base, token, member_id, member


def template(shop, stock):
    base, token, _, _ = shop
    body = {"name": "抢券", "kind": "amount_off", "amount_off_fen": 1000, "validity": {"days_after_issue": 7},
            "stock": stock, "claimable": True}  # fmt: skip
    status, created = send("POST", f"{base}/v1/coupons/templates", body, token=token)
    assert status == 201, created
    return created


def claim_many(shop, template_id, claims, workers=50):
    base, _, _, member = shop

    def claim(n):
        return send("POST", f"{base}/v1/me/coupons/claims", {"template_id": template_id},
                    {"idempotency-key": f"{template_id}-{n}"}, token=member)  # fmt: skip

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(claim, range(claims)))


def stock_shards(created):
    return [ledger().balance(f"coupon-stock:{created['template_id']}:{n}", "coupon-stock") for n in range(16)]


def test_a_hundred_simultaneous_claims_on_ten_left_give_exactly_ten_coupons(shop):
    created = template(shop, 10)
    answers = claim_many(shop, created["template_id"], 100)
    won = [body for status, body in answers if status == 201]
    refused = sorted({(status, body["type"].rsplit("/", 1)[1]) for status, body in answers if status != 201})
    assert len(won) == 10
    assert refused == [(409, "out-of-stock")]  # never a 503, never a 500
    assert len({body["code"] for body in won}) == 10
    assert sum(stock_shards(created)) == 0


def test_a_sharded_stock_is_drained_exactly_whichever_shard_each_claim_takes(shop, monkeypatch):
    monkeypatch.setattr(coupon_rules, "UNITS_PER_SHARD", 5)  # shards of 5, not 50: every shard drains in 30 claims
    created = template(shop, 20)  # four shards of 5
    assert [n for n in stock_shards(created) if n] == [5, 5, 5, 5]
    answers = claim_many(shop, created["template_id"], 30, workers=12)  # the emulator serialises every request
    assert sum(status == 201 for status, _ in answers) == 20
    assert {status for status, _ in answers} == {201, 409}
    assert stock_shards(created) == [0] * 16


def test_a_coupon_redeemed_by_several_orders_at_once_is_used_by_one(shop):
    base, token, _, _ = shop
    created = template(shop, 5)
    status, coupon = claim_many(shop, created["template_id"], 1)[0]
    assert status == 201

    def redeem(n):
        return send("POST", f"{base}/v1/coupons/{coupon['code']}/redemptions", {"order_id": f"O-{n}", "order": ORDER},
                    token=token)  # fmt: skip

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(redeem, range(12)))
    assert sorted(status for status, _ in answers) == [201] + [409] * 11
    assert {body["type"].rsplit("/", 1)[1] for status, body in answers if status == 409} == {"coupon-used"}
    entries = ledger().store.entries_between(f"coupon:{coupon['code']}", "coupon", 1, 100)
    assert [e.kind for e in entries] == ["issue", "redeem"]


def test_a_gift_taken_by_several_friends_while_its_giver_withdraws_it_goes_to_one_or_none(shop):
    """A friend's coupon gift (转赠) under a race: eight friends take the link while the giver takes it back; the
    giver's coupon ends either transferred to exactly one friend or withdrawn and usable, never both, never two."""
    base, token, _, giver = shop
    created = template(shop, 5)
    status, _ = send("PATCH", f"{base}/v1/coupons/templates/{created['template_id']}", {"transferable": True},
                     {"content-type": "application/merge-patch+json", "if-match": '"1"'}, token=token)  # fmt: skip
    assert status == 200
    status, coupon = claim_many(shop, created["template_id"], 1)[0]
    status, offer = send("POST", f"{base}/v1/me/coupons/{coupon['code']}/offer", token=giver)
    assert status == 201, offer
    friends = [member_token(f"137000002{n:02d}")[1] for n in range(8)]

    def take(n):
        if n == len(friends):
            return send("DELETE", f"{base}/v1/me/coupons/{coupon['code']}/offer", token=giver)
        return send("POST", f"{base}/v1/me/gifts/{offer['token']}/acceptance", token=friends[n])

    with ThreadPoolExecutor(max_workers=9) as pool:
        *taken, withdrawn = list(pool.map(take, range(len(friends) + 1)))
    won = [body for status, body in taken if status == 201]
    assert {(status, body["type"].rsplit("/", 1)[1]) for status, body in taken if status != 201} <= {
        (409, "gift-over")
    }  # never a 5xx
    kinds = [e.kind for e in ledger().store.entries_between(f"coupon:{coupon['code']}", "coupon", 1, 100)]
    if won:  # either way is right; the round below makes sure acceptance wins without a withdrawal
        assert (len(won), kinds, withdrawn[1]["status"]) == (1, ["issue", "offer", "transfer"], "transferred")
        assert ledger().balance(f"coupon:{won[0]['code']}", "coupon") == 1
    else:
        assert (kinds, withdrawn[1]["status"]) == (["issue", "offer", "withdraw"], "available")
    status, coupon = claim_many(shop, created["template_id"], 2)[1]  # a new claim key: another coupon
    status, offer = send("POST", f"{base}/v1/me/coupons/{coupon['code']}/offer", token=giver)
    assert status == 201, offer
    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(
            pool.map(lambda t: send("POST", f"{base}/v1/me/gifts/{offer['token']}/acceptance", token=t), friends)
        )
    assert sorted(status for status, _ in taken) == [201] + [409] * 7
