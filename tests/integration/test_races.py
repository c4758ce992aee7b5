"""Concurrent requests over HTTP against the locked emulator: one effect, every other caller told why."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.http import send

pytestmark = pytest.mark.xdist_group("http-stack")


TOKEN: dict[str, str] = {}


@pytest.fixture(autouse=True)
def admin_token(http_stack):
    TOKEN["admin"] = http_stack.token


def post(url, body, headers=None):
    return send("POST", url, body, headers, token=TOKEN["admin"])


def get(url):
    status, body = send("GET", url, token=TOKEN["admin"])
    assert status == 200, body
    return body


def all_stores(base):
    stores, cursor = [], None
    while True:
        page = get(f"{base}/v1/stores?limit=200" + (f"&cursor={cursor}" if cursor else ""))
        stores += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return stores


def test_twenty_simultaneous_requests_with_one_key_have_one_effect(http_stack):
    before = len(all_stores(http_stack.url))
    body = {"name": "Race", "city": "Shanghai", "region": "East"}
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(
                lambda _: post(f"{http_stack.url}/v1/stores", body, {"idempotency-key": "race-key-0001"}), range(20)
            )
        )
    assert {status for status, _ in answers} == {201}
    assert len({json.dumps(body, sort_keys=True) for _, body in answers}) == 1
    assert len(all_stores(http_stack.url)) == before + 1


def test_twenty_simultaneous_creates_of_one_store_id_give_one_201_and_409s(http_stack):
    body = {"store_id": "RACE-1", "name": "Race", "city": "Shanghai", "region": "East"}
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(
            status for status, _ in pool.map(lambda _: post(f"{http_stack.url}/v1/stores", body), range(20))
        )
    assert statuses == [201] + [409] * 19


def patch(url, body, etag):
    headers = {"content-type": "application/merge-patch+json", "if-match": etag}
    return send("PATCH", url, body, headers, token=TOKEN["admin"])


def test_simultaneous_registrations_of_one_phone_give_one_member(http_stack):
    def register(n):
        return post(f"{http_stack.url}/v1/members", {"name": f"Racer {n}", "phone": "+86 137 0000 0001"})

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(register, range(10)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * 9
    assert all(body["type"].endswith("/phone-taken") for status, body in answers if status == 409)
    status, found = post(f"{http_stack.url}/v1/members/lookup", {"phone": "13700000001"})
    winner = next(body for status, body in answers if status == 201)
    assert (status, found["member_id"]) == (200, winner["member_id"])


def test_simultaneous_edits_with_one_etag_let_exactly_one_win(http_stack):
    status, member = post(f"{http_stack.url}/v1/members", {"name": "Editor", "phone": "13700000002"})
    assert status == 201

    def edit(n):
        return patch(f"{http_stack.url}/v1/members/{member['member_id']}", {"city": f"city-{n}"}, '"1"')

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(edit, range(10)))
    assert sorted(status for status, _ in answers) == [200] + [412] * 9
    winner = next(body for status, body in answers if status == 200)
    current = get(f"{http_stack.url}/v1/members/{member['member_id']}")
    assert (current["city"], current["version"]) == (winner["city"], 2)


def funded_member(base, phone, points):
    """A member with ``points`` credited by an adjustment over HTTP."""
    status, member = post(f"{base}/v1/members", {"name": "Race", "phone": phone})
    assert status == 201, member
    credit = {"points": points, "reason": "race funds"}
    status, entry = post(f"{base}/v1/members/{member['member_id']}/points/adjustments", credit,
                         {"idempotency-key": f"fund-{phone}"})  # fmt: skip
    assert status == 201, entry
    return member["member_id"]


def test_forty_simultaneous_redemptions_of_100_on_1000_give_ten_201_and_thirty_409(http_stack):
    base = http_stack.url
    member_id = funded_member(base, "13700000040", 1000)
    url = f"{base}/v1/members/{member_id}/points/redemptions"
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(
            lambda i: post(url, {"points": 100, "reason": "race"}, {"idempotency-key": f"redeem-race-{i:04d}"}),
            range(40),
        ))  # fmt: skip
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * 10 + [409] * 30, [body for status, body in answers if status not in (201, 409)]
    assert all(body["type"].endswith("/insufficient-points") for status, body in answers if status == 409)
    balance = get(f"{base}/v1/members/{member_id}/points")
    assert (balance["available"], balance["redeemed"]) == (0, 1000)
    entries = get(f"{base}/v1/members/{member_id}/points/ledger?limit=200")["items"]
    assert sorted(e["balance_after"] for e in entries if e["type"] == "redeem") == list(range(0, 1000, 100))
    assert sum(e["points"] for e in entries) == 0


def test_twenty_simultaneous_redemptions_with_one_key_spend_once(http_stack):
    base = http_stack.url
    member_id = funded_member(base, "13700000020", 1000)
    url = f"{base}/v1/members/{member_id}/points/redemptions"
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(
            lambda _: post(url, {"points": 100, "reason": "race"}, {"idempotency-key": "one-key-for-all"}), range(20)
        ))  # fmt: skip
    assert {status for status, _ in answers} == {201}
    assert len({json.dumps(body, sort_keys=True) for _, body in answers}) == 1
    assert get(f"{base}/v1/members/{member_id}/points")["available"] == 900


def test_parallel_wrong_passwords_get_five_tries_in_all(http_stack):
    """Attempts are counted before passwords are checked, so guessing in parallel buys nothing."""
    body = {"username": "guessed", "display_name": "G", "password": "correct horse battery staple",
            "roles": ["cashier"]}  # fmt: skip
    assert post(f"{http_stack.url}/v1/staff", body)[0] == 201
    guess = {"username": "guessed", "password": "not the password at all"}
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(pool.map(lambda _: send("POST", f"{http_stack.url}/v1/auth/token", guess)[0], range(20)))
    assert statuses == [401] * 5 + [429] * 15


def test_twenty_simultaneous_deliveries_of_one_order_book_one_entry(http_stack):
    from tests.conftest import signed_headers

    base = http_stack.url
    store = post(f"{base}/v1/stores", {"store_id": "SH-001", "name": "静安", "city": "上海", "region": "华东"})
    assert store[0] in (201, 409), store  # 409: an earlier test of this stack made it
    status, partner = post(f"{base}/v1/partners", {"name": "race POS", "all_stores": True})
    assert status == 201, partner
    status, member = post(f"{base}/v1/members", {"name": "Race", "phone": "13700000099"})
    assert status == 201, member
    order = {"order_id": "RACE-ORDER-1", "member": {"member_id": member["member_id"]}, "store_id": "SH-001",
             "occurred_at": "2026-11-20T14:00:00+08:00", "total_fen": 12_300, "paid_fen": 12_300,
             "payment_method": "cash", "items": []}  # fmt: skip
    raw = json.dumps(order).encode()

    def deliver(_):
        return send("POST", f"{base}/v1/webhooks/purchases", order,
                    headers=signed_headers(partner["partner_id"], partner["secret"], raw))  # fmt: skip

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(deliver, range(20)))
    assert {status for status, _ in answers} == {200}, answers
    assert sorted(body["duplicate"] for _, body in answers) == [False] + [True] * 19
    assert {body["ledger_entry_id"] for _, body in answers} == {answers[0][1]["ledger_entry_id"]}
    ledger = get(f"{base}/v1/members/{member['member_id']}/points/ledger")["items"]
    assert [(e["type"], e["points"]) for e in ledger] == [("earn", 123)]


def test_ten_simultaneous_refunds_of_100_on_an_order_of_500_give_back_500_once(http_stack):
    """Different refunds of one order race for what is left of it: five are booked, five are refused as more
    than is left, and the points taken back add up to what the refunded money had earned."""
    from tests.conftest import signed_headers

    base = http_stack.url
    store = post(f"{base}/v1/stores", {"store_id": "SH-001", "name": "静安", "city": "上海", "region": "华东"})
    assert store[0] in (201, 409), store
    status, partner = post(f"{base}/v1/partners", {"name": "refund race POS", "all_stores": True})
    assert status == 201, partner
    status, member = post(f"{base}/v1/members", {"name": "Refund", "phone": "13700000098"})
    assert status == 201, member

    def signed(path, body):
        raw = json.dumps(body).encode()
        return send(
            "POST", f"{base}{path}", body, headers=signed_headers(partner["partner_id"], partner["secret"], raw)
        )

    order = {"order_id": "RACE-REFUND-1", "member": {"member_id": member["member_id"]}, "store_id": "SH-001",
             "occurred_at": "2026-11-20T14:00:00+08:00", "total_fen": 50_000, "paid_fen": 50_000,
             "payment_method": "cash", "items": []}  # fmt: skip
    status, bought = signed("/v1/webhooks/purchases", order)
    assert status == 200, bought

    def refund(n):
        return signed(
            "/v1/webhooks/refunds",
            {
                "refund_id": f"RACE-R-{n}",
                "order_id": "RACE-REFUND-1",
                "occurred_at": "2026-11-21T10:00:00+08:00",
                "amount_fen": 10_000,
            },
        )

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(refund, range(10)))
    assert sorted(status for status, _ in answers) == [200] * 5 + [422] * 5, answers
    clawed = sum(body["points_clawed_back"] for status, body in answers if status == 200)
    assert clawed == bought["points_awarded"]
    ledger = get(f"{base}/v1/members/{member['member_id']}/points/ledger?limit=50")
    assert sum(entry["points"] for entry in ledger["items"]) == 0  # earned, then all taken back
