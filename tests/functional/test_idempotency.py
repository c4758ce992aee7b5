"""Idempotency-Key: the same request answers the same, once; a different request under the key is 422."""

from datetime import UTC, datetime, timedelta

from chalicelib.shared import clock
from chalicelib.stores.records import StoreRecord
from tests.conftest import STAFF_PASSWORD, item_counts, token_for

STORE = {"name": "Jing'an", "city": "Shanghai", "region": "East"}
KEY = {"idempotency-key": "create-store-0001"}


def test_a_repeat_returns_the_first_answer_and_creates_nothing_more(api):
    first = api.post("/v1/stores", STORE, headers=KEY)
    counts = item_counts()
    again = api.post("/v1/stores", STORE, headers=KEY)
    assert first.status == again.status == 201
    assert again.body == first.body
    assert item_counts() == counts
    assert StoreRecord.count() == 1


def test_key_order_and_spacing_do_not_make_a_different_request(api):
    first = api.post("/v1/stores", raw=b'{"name":"Jing\'an","city":"Shanghai","region":"East"}', headers=KEY)
    again = api.post("/v1/stores", raw=b'{ "region": "East",  "city": "Shanghai", "name": "Jing\'an" }', headers=KEY)
    assert again.body == first.body


def test_the_same_key_with_another_body_is_422_and_writes_nothing(api):
    api.post("/v1/stores", STORE, headers=KEY)
    counts = item_counts()
    answer = api.post("/v1/stores", {**STORE, "name": "Other"}, headers=KEY)
    assert answer.status == 422
    assert answer.body["type"].endswith("/idempotency-key-reused")
    assert item_counts() == counts


def log_in(api, username):
    tokens = api.as_(None).post("/v1/auth/token", {"username": username, "password": STAFF_PASSWORD}).body
    return api.as_(tokens["access_token"])


def test_a_repeat_days_later_still_replays(api):
    api.post(
        "/v1/staff", {"username": "clerk", "display_name": "Clerk", "password": STAFF_PASSWORD, "roles": ["admin"]}
    )
    first = log_in(api, "clerk").post("/v1/stores", STORE, headers=KEY)
    with clock.frozen(datetime.now(UTC) + timedelta(days=20)):
        again = log_in(api, "clerk").post("/v1/stores", STORE, headers=KEY)
    assert again.body == first.body
    assert StoreRecord.count() == 1


def test_keys_are_kept_per_caller(api):
    api.post("/v1/stores", STORE, headers=KEY)
    other = api.as_(token_for(["admin"])).post("/v1/stores", STORE, headers=KEY)
    assert other.status == 201
    assert StoreRecord.count() == 2


def test_a_malformed_key_is_422(api):
    answer = api.post("/v1/stores", STORE, headers={"idempotency-key": "short"})
    assert answer.status == 422
    assert StoreRecord.count() == 0


def test_a_refused_request_does_not_use_up_its_key(api):
    api.post("/v1/stores", {**STORE, "store_id": "SH-001"})
    refused = api.post("/v1/stores", {**STORE, "store_id": "SH-001"}, headers=KEY)
    assert refused.status == 409
    retried = api.post("/v1/stores", {**STORE, "store_id": "SH-002"}, headers=KEY)
    assert retried.status == 201
    assert retried.body["store_id"] == "SH-002"
