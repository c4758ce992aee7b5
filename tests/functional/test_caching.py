"""Answers carrying a member's personal data or a secret say Cache-Control: no-store, so no browser, proxy or
CDN keeps a copy; the response model declares it once, for every route that answers with it."""

import pytest

import chalicelib.declarations  # noqa: F401  declares every route
from chalicelib.shared.http import ENDPOINTS
from tests.conftest import STAFF_PASSWORD, member_token

MERGE_PATCH = {"content-type": "application/merge-patch+json", "if-match": '"1"'}


@pytest.fixture
def member(api):
    return api.post("/v1/members", {"name": "张三", "phone": "13900000001", "email": "zs@example.com"})


def test_every_answer_about_a_member_is_no_store(api, member):
    member_id = member.body["member_id"]
    answers = [
        member,
        api.get(f"/v1/members/{member_id}"),
        api.post("/v1/members/lookup", {"phone": "13900000001"}),
        api.get("/v1/members"),
        api.patch(f"/v1/members/{member_id}", {"city": "上海"}, headers=MERGE_PATCH),
    ]
    _, token = member_token("13900000002")
    answers += [api.as_(token).get("/v1/me"), api.as_(token).patch("/v1/me", {"city": "北京"}, headers=MERGE_PATCH)]
    assert [a.status for a in answers] == [201, 200, 200, 200, 200, 200, 200]
    assert all(a.headers["cache-control"] == "no-store" for a in answers)


def test_tokens_and_partner_secrets_are_no_store(api):
    login = {"username": "cashier-cache", "password": STAFF_PASSWORD}
    api.post("/v1/staff", {**login, "display_name": "收银", "roles": ["cashier"]})
    tokens = api.as_(None).post("/v1/auth/token", login)
    partner = api.post("/v1/partners", {"name": "POS", "all_stores": True})
    assert (tokens.status, partner.status) == (200, 201)
    assert tokens.headers["cache-control"] == partner.headers["cache-control"] == "no-store"


def test_answers_without_personal_data_leave_caching_alone(api):
    store = api.post("/v1/stores", {"store_id": "SH-001", "name": "静安", "city": "上海", "region": "华东"})
    assert "cache-control" not in store.headers
    assert "cache-control" not in api.get("/v1/stores/SH-001").headers


def about_a_member(path):
    return path == "/v1/me" or path.startswith("/v1/me/") or "{member_id}" in path


def test_every_route_about_one_member_is_no_store(api):
    """Found by a probe: a member's inbox, coupons (bearer codes), points, wallet and purchases were cacheable."""
    routes = [spec for spec in ENDPOINTS if about_a_member(spec.path)]
    assert len(routes) > 40
    assert all(spec.no_store for spec in routes)
    _, token = member_token("13900000003")
    member = api.as_(token)
    answers = [member.get(path) for path in ("/v1/me/inbox", "/v1/me/coupons", "/v1/me/points", "/v1/me/wallet",
                                             "/v1/me/purchases", "/v1/me/consent-history")]  # fmt: skip
    assert [(a.status, a.headers["cache-control"]) for a in answers] == [(200, "no-store")] * 6


def test_the_other_routes_that_answer_with_personal_data_or_secrets_are_exactly_these(api):
    assert {(spec.method, spec.path) for spec in ENDPOINTS if spec.no_store and not about_a_member(spec.path)} == {
        ("POST", "/v1/members"), ("POST", "/v1/members/lookup"), ("GET", "/v1/members"), ("POST", "/v1/members/search"),
        ("POST", "/v1/auth/token"), ("POST", "/v1/auth/refresh"), ("POST", "/v1/auth/member-token"),
        ("POST", "/v1/partners"), ("POST", "/v1/partners/{partner_id}/secrets"),
        ("GET", "/v1/feedback"), ("PATCH", "/v1/feedback/{feedback_id}"),
        # points-mall orders: a shipping address (masked to staff without pii:read) and the pickup code
        ("GET", "/v1/mall/orders"), ("GET", "/v1/mall/orders/{order_id}"), ("POST", "/v1/mall/pickups"),
        ("POST", "/v1/mall/orders/{order_id}/shipment"), ("POST", "/v1/mall/orders/{order_id}/completion"),
        ("POST", "/v1/mall/orders/{order_id}/cancellation"), ("POST", "/v1/mall/orders/{order_id}/refund"),
        ("POST", "/v1/webhooks/mall/payments"),
        # a coupon's code is a bearer instrument; a message's text and address are one member's
        ("GET", "/v1/coupons/{code}"), ("POST", "/v1/coupons/templates/{template_id}/issues"),
        ("POST", "/v1/coupons/{code}/redemptions/{order_id}/reversal"), ("GET", "/v1/notifications/unsent"),
        ("POST", "/v1/coupons/{code}/redemptions"),  # (an integrator: its answer names the code too)
        # a store's rows name their members; a partner's till reads the member it scanned (their coupons' codes)
        ("GET", "/v1/stores/{store_id}/purchases"), ("GET", "/v1/stores/{store_id}/refunds"),
        ("GET", "/v1/stores/{store_id}/wallet/journal"), ("POST", "/v1/webhooks/members/lookup"),
        ("GET", "/v1/stores/{store_id}/cards/journal"),
    }  # fmt: skip
