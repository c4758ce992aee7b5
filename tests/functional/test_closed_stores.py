"""A closed store keeps its history and its members, and what happened there can still be given back; nothing new
happens there (found by a probe: purchases, top-ups, pickups, registrations and plans went on at a closed store)."""

import json
from datetime import timedelta

from chalicelib.shared import clock
from tests.conftest import item_counts, member_token, signed_headers

MERGE_PATCH = {"content-type": "application/merge-patch+json"}


def signed(api, partner, path, body):
    raw = json.dumps(body).encode()
    return api.as_(None).call("POST", path, raw=raw, headers=signed_headers(*partner, raw))


def test_a_closed_store_takes_no_new_business_and_still_gives_back_what_it_sold(api):
    api.post("/v1/stores", {"store_id": "XA-001", "name": "西安一店", "city": "西安", "region": "西北"})
    issued = api.post("/v1/partners", {"name": "POS", "stores": ["XA-001"]}).body
    partner = issued["partner_id"], issued["secret"]
    member_id, _ = member_token("13900000021")
    at = (clock.now() - timedelta(hours=1)).isoformat()
    sale = {"order_id": "XA-1", "member": {"member_id": member_id}, "store_id": "XA-001", "occurred_at": at,
            "total_fen": 10_000, "paid_fen": 10_000, "payment_method": "cash"}  # fmt: skip
    assert signed(api, partner, "/v1/webhooks/purchases", sale).status == 200
    assert (
        api.patch("/v1/stores/XA-001", {"status": "closed"}, headers={**MERGE_PATCH, "if-match": '"1"'}).status == 200
    )

    before = item_counts()
    top_up = {"payment_id": "T-1", "member": {"member_id": member_id}, "store_id": "XA-001", "occurred_at": at,
              "amount_fen": 10_000}  # fmt: skip
    refused = [
        signed(api, partner, "/v1/webhooks/purchases", {**sale, "order_id": "XA-2"}),
        signed(api, partner, "/v1/webhooks/wallet/top-ups", top_up),
        api.post("/v1/members", {"name": "新会员", "phone": "13900000022", "home_store_id": "XA-001"}),
        api.post(
            "/v1/wallet/plans",
            {"plan_id": "XA-PLAN", "name": "充100送10", "pay_fen": 10_000, "bonus_fen": 1_000, "stores": ["XA-001"]},
        ),
        api.post(
            "/v1/coupons/eligibility", {"member_id": member_id, "order": {"store_id": "XA-001", "total_fen": 100}}
        ),
    ]
    assert [answer.status for answer in refused] == [422] * 5
    assert all("is closed" in json.dumps(answer.body["errors"]) for answer in refused), [a.body for a in refused]
    assert item_counts() == before

    refund = {"refund_id": "XA-R1", "order_id": "XA-1", "occurred_at": clock.now().isoformat(), "amount_fen": 10_000}
    assert signed(api, partner, "/v1/webhooks/refunds", refund).status == 200  # what it sold can still go back
