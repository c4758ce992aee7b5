"""Paid membership under races, over HTTP against the locked emulator: a quota is never used beyond what is left,
and a renewal payment delivered many times at once extends the card once."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from chalicelib.shared.settings import get_settings
from tests.conftest import signed_headers
from tests.http import send

pytestmark = pytest.mark.xdist_group("http-stack")

PLAN = {
    "name": "洗车月卡",
    "term": {"months": 1},
    "price_fen": 9_900,
    "benefits": [{"benefit_id": "car-wash", "name": "每月洗车4次", "kind": "quota", "quota": 4, "period": "month"}],
}


@pytest.fixture(scope="module")
def club(http_stack):
    """A partner, a plan and a member holding its card: ``(base, admin token, partner, member id, plan id)``."""
    base, token = http_stack.url, http_stack.token
    status, partner = send("POST", f"{base}/v1/partners", {"name": "Card POS", "all_stores": True}, token=token)
    assert status == 201
    status, member = send("POST", f"{base}/v1/members", {"name": "Racer", "phone": "13700000088"}, token=token)
    assert status == 201
    status, plan = send("POST", f"{base}/v1/membership/plans", PLAN, token=token)
    assert status == 201, plan
    club = base, token, (partner["partner_id"], partner["secret"]), member["member_id"], plan["plan_id"]
    status, card = pay(club, "race-card-1")
    assert status == 200, card
    return club


PAID_AT = datetime.now(get_settings().tz).replace(microsecond=0).isoformat()


def pay(club, payment_id):
    """The payment as the partner reports it (each delivery the same body)."""
    base, _, partner, member_id, plan_id = club
    body = {"payment_id": payment_id, "member": {"member_id": member_id}, "plan_id": plan_id,
            "occurred_at": PAID_AT, "amount_fen": 9_900}  # fmt: skip
    return send("POST", f"{base}/v1/webhooks/membership/payments", body,
                signed_headers(*partner, json.dumps(body).encode()))  # fmt: skip


def test_ten_simultaneous_uses_of_a_benefit_with_four_left_record_exactly_four(club):
    base, token, _, member_id, _ = club
    path = f"{base}/v1/members/{member_id}/benefits/car-wash/uses"
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda n: send("POST", path, {"use_id": f"wash-{n}"}, token=token), range(10)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * 4 + [409] * 6, answers
    assert all(body["type"].endswith("/quota-exhausted") for status, body in answers if status == 409)
    status, benefits = send("GET", f"{base}/v1/members/{member_id}/benefits", token=token)
    assert status == 200
    [wash] = [b for b in benefits["items"] if b["benefit_id"] == "car-wash"]
    assert wash["remaining"] == 0


def test_the_same_renewal_delivered_ten_times_at_once_extends_the_card_once(club):
    base, token, _, member_id, _ = club
    status, before = send("GET", f"{base}/v1/members/{member_id}/cards", token=token)
    assert status == 200
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: pay(club, "race-renewal-1"), range(10)))
    assert {status for status, _ in answers} == {200}
    assert len({body["valid_until"] for _, body in answers}) == 1
    assert sum(not body["duplicate"] for _, body in answers) == 1
    status, after = send("GET", f"{base}/v1/members/{member_id}/cards", token=token)
    [card] = after["items"]
    assert [p["payment_id"] for p in card["payments"]] == ["race-card-1", "race-renewal-1"]
    assert card["paid_fen"] == 2 * 9_900
    assert card["valid_until"] > before["items"][0]["valid_until"]
