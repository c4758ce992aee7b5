"""Stored value under races, over HTTP against the locked emulator: never below zero, never refunded twice, one
effect per payment id."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import signed_headers
from tests.http import send

pytestmark = pytest.mark.xdist_group("http-stack")
AT = "2026-11-20T14:00:00+08:00"


@pytest.fixture(scope="module")
def shop(http_stack):
    """A store, a partner selling there and a member: ``(base url, admin token, partner, member id)``."""
    base, token = http_stack.url, http_stack.token
    status, _ = send(
        "POST", f"{base}/v1/stores", {"store_id": "WR-001", "name": "W", "city": "c", "region": "r"}, token=token
    )
    assert status == 201
    status, partner = send("POST", f"{base}/v1/partners", {"name": "Race POS", "all_stores": True}, token=token)
    assert status == 201
    status, member = send("POST", f"{base}/v1/members", {"name": "Race", "phone": "13700000077"}, token=token)
    assert status == 201
    return base, token, (partner["partner_id"], partner["secret"]), member["member_id"]


def signed(base, partner, path, body):
    return send("POST", f"{base}{path}", body, signed_headers(*partner, json.dumps(body).encode()))


def report(shop, kind, amount, payment_id):
    """A signed top-up or payment (``kind``) of ``amount`` for the shop's member: (status, body)."""
    base, _, partner, member_id = shop
    body = {"payment_id": payment_id, "member": {"member_id": member_id}, "store_id": "WR-001", "occurred_at": AT}
    return signed(base, partner, f"/v1/webhooks/wallet/{kind}", {**body, "amount_fen": amount})


def top_up(shop, amount, payment_id):
    status, answer = report(shop, "top-ups", amount, payment_id)
    assert status == 200, answer
    return answer


def pay(shop, amount, payment_id):
    return report(shop, "payments", amount, payment_id)


def wallet_and_entries(shop):
    base, token, _, member_id = shop
    status, wallet = send("GET", f"{base}/v1/members/{member_id}/wallet", token=token)
    assert status == 200
    entries, cursor = [], None
    while True:
        status, page = send(
            "GET",
            f"{base}/v1/members/{member_id}/wallet/entries?limit=200" + (f"&cursor={cursor}" if cursor else ""),
            token=token,
        )
        assert status == 200
        entries += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return wallet, entries


def assert_balance_is_the_sum_of_entries(shop):
    wallet, entries = wallet_and_entries(shop)
    for book in ("principal", "bonus"):
        assert sum(e["amount_fen"] for e in entries if e["book"] == book) == wallet[f"{book}_fen"]
        assert all(e["balance_after_fen"] >= 0 for e in entries)
    return wallet


def test_forty_simultaneous_payments_of_100_on_1000_give_ten_200_and_thirty_409(shop):
    top_up(shop, 1_000, "race-fund-1")
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(lambda n: pay(shop, 100, f"race-pay-{n:02d}"), range(40)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 10 + [409] * 30, [body for status, body in answers if status not in (200, 409)]
    assert all(body["type"].endswith("/insufficient-balance") for status, body in answers if status == 409)
    wallet = assert_balance_is_the_sum_of_entries(shop)
    assert (wallet["principal_fen"], wallet["bonus_fen"]) == (0, 0)


def test_ten_simultaneous_refunds_of_100_on_a_payment_of_500_give_five_200_and_five_422(shop):
    top_up(shop, 1_000, "race-fund-2")
    status, _ = pay(shop, 500, "race-refunded")
    assert status == 200
    base, _, partner, _ = shop

    def refund(n):
        body = {"refund_id": f"race-refund-{n}", "payment_id": "race-refunded", "occurred_at": AT, "amount_fen": 100}
        return signed(base, partner, "/v1/webhooks/wallet/refunds", body)

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(refund, range(10)))
    assert sorted(status for status, _ in answers) == [200] * 5 + [422] * 5
    assert all(body["type"].endswith("/refund-exceeds-payment") for status, body in answers if status == 422)
    assert assert_balance_is_the_sum_of_entries(shop)["principal_fen"] == 1_000


def test_twenty_simultaneous_reports_of_one_payment_pay_once(shop):
    before, _ = wallet_and_entries(shop)
    top_up(shop, 300, "race-fund-3")
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: pay(shop, 300, "race-once"), range(20)))
    assert {status for status, _ in answers} == {200}
    assert sorted(body["duplicate"] for _, body in answers) == [False] + [True] * 19
    assert len({json.dumps({**body, "duplicate": None}, sort_keys=True) for _, body in answers}) == 1
    assert assert_balance_is_the_sum_of_entries(shop)["total_fen"] == before["total_fen"]
