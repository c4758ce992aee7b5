"""Stores: create, read, edit with If-Match, list with cursors; each write emits its event."""

import pytest

from tests.conftest import item_counts, published_envelopes

STORE = {"name": "上海静安旗舰店", "city": "上海", "region": "华东"}


def outbox_types():
    """The store events in the outbox (the admin the fixture made has its own)."""
    types = (envelope["type"] for envelope in published_envelopes())
    return sorted(type_ for type_ in types if type_.startswith("store."))


def test_creating_a_store_answers_201_with_etag_and_location(api):
    answer = api.post("/v1/stores", {**STORE, "store_id": "SH-001"})
    assert answer.status == 201
    assert answer.body["store_id"] == "SH-001"
    assert answer.body["status"] == "open"
    assert answer.headers["etag"] == '"1"'
    assert answer.headers["location"] == "/v1/stores/SH-001"
    assert api.get("/v1/stores/SH-001").body == answer.body


def test_a_store_without_an_id_gets_a_generated_one(api):
    answer = api.post("/v1/stores", STORE)
    assert answer.status == 201
    assert answer.body["store_id"].startswith("st_")


def test_a_taken_store_id_is_409_and_the_first_store_is_untouched(api):
    first = api.post("/v1/stores", {**STORE, "store_id": "SH-001"}).body
    answer = api.post("/v1/stores", {"name": "Other", "city": "x", "region": "y", "store_id": "SH-001"})
    assert answer.status == 409
    assert answer.body["type"].endswith("/already-exists")
    assert api.get("/v1/stores/SH-001").body == first
    assert outbox_types() == ["store.created"]


def test_an_unknown_store_is_404(api):
    assert api.get("/v1/stores/NOPE").status == 404
    assert api.get("/v1/stores/" + "x" * 500).status == 404


class TestEditing:
    @pytest.fixture
    def store(self, api):
        return api.post("/v1/stores", {**STORE, "store_id": "SH-001"}).body

    def patch(self, api, body, etag=None, content_type="application/merge-patch+json"):
        headers = {"content-type": content_type}
        if etag is not None:
            headers["if-match"] = etag
        return api.patch("/v1/stores/SH-001", body, headers=headers)

    def test_a_patch_with_the_current_etag_applies_and_bumps_the_version(self, api, store):
        answer = self.patch(api, {"status": "closed"}, '"1"')
        assert answer.status == 200
        assert answer.body["status"] == "closed"
        assert answer.body["name"] == store["name"]
        assert answer.headers["etag"] == '"2"'
        assert api.get("/v1/stores/SH-001").body == answer.body
        assert outbox_types() == ["store.created", "store.updated"]

    def test_an_address_and_phone_are_given_changed_and_cleared_and_members_read_them(self, api, store):
        """An education chain's walkthrough: a store had no address or phone (`address` was 422), so a parent was
        told to collect at 门店 with nothing to find it by."""
        from tests.conftest import member_token

        assert store["address"] is None
        given = self.patch(api, {"address": "  上海市静安区南京西路1515号 ", "phone": "021-6288 1234"}, '"1"')
        assert (given.status, given.body["address"], given.body["phone"]) == (200, "上海市静安区南京西路1515号",
                                                                             "021-6288 1234")  # fmt: skip
        for wrong in ({"phone": "call me"}, {"address": ""}, {"address": "x" * 201}, {"name": None}):
            assert self.patch(api, wrong, '"2"').status == 422, wrong
        _, token = member_token("13900000001")
        (listed,) = api.as_(token).get("/v1/me/stores").body["items"]
        assert (listed["address"], listed["phone"]) == ("上海市静安区南京西路1515号", "021-6288 1234")
        cleared = self.patch(api, {"phone": None}, '"2"')
        assert (cleared.status, cleared.body["phone"], cleared.body["address"]) == (
            200,
            None,
            "上海市静安区南京西路1515号",
        )
        made = api.post("/v1/stores", {**STORE, "store_id": "SH-002", "address": "徐汇区", "phone": "+86 21 6400"})
        assert (made.status, made.body["address"]) == (201, "徐汇区")

    def test_plain_json_is_accepted_for_patches_too(self, api, store):
        assert self.patch(api, {"city": "杭州"}, '"1"', content_type="application/json").status == 200

    def test_without_if_match_it_is_428(self, api, store):
        answer = self.patch(api, {"status": "closed"})
        assert answer.status == 428
        assert api.get("/v1/stores/SH-001").body == store

    def test_a_stale_etag_is_412_and_changes_nothing(self, api, store):
        self.patch(api, {"name": "New name"}, '"1"')
        before = item_counts()
        answer = self.patch(api, {"status": "closed"}, '"1"')
        assert answer.status == 412
        assert answer.body["type"].endswith("/precondition-failed")
        assert api.get("/v1/stores/SH-001").body["status"] == "open"
        assert item_counts() == before

    def test_a_malformed_if_match_is_422(self, api, store):
        assert self.patch(api, {"status": "closed"}, "1").status == 422

    def test_null_for_a_required_field_is_422(self, api, store):
        assert self.patch(api, {"name": None}, '"1"').status == 422

    @pytest.mark.parametrize(("if_match", "status"), [("*", 200), ('"7", "1"', 200), ('W/"1"', 412), ('"01"', 412)])
    def test_if_match_follows_rfc_9110(self, api, store, if_match, status):
        assert self.patch(api, {"status": "closed"}, if_match).status == status

    def test_repeating_current_values_changes_nothing(self, api, store):
        answer = self.patch(api, {"name": store["name"], "status": "open"}, '"1"')
        assert answer.headers["etag"] == '"1"'
        assert outbox_types() == ["store.created"]

    def test_an_empty_patch_changes_nothing(self, api, store):
        answer = self.patch(api, {}, '"1"')
        assert answer.status == 200
        assert answer.body == store
        assert outbox_types() == ["store.created"]


def test_listing_walks_every_store_once_with_cursors(api):
    created = {api.post("/v1/stores", {**STORE, "store_id": f"S-{n:02d}"}).body["store_id"] for n in range(7)}
    seen, cursor, pages = [], None, 0
    while True:
        answer = api.get("/v1/stores?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status == 200
        assert len(answer.body["items"]) <= 3
        seen += [store["store_id"] for store in answer.body["items"]]
        cursor, pages = answer.body["next_cursor"], pages + 1
        if cursor is None:
            break
    assert sorted(seen) == sorted(created)
    assert pages >= 3


def test_a_member_chooses_among_the_chains_open_stores_by_name(api):
    """The member pages name stores and let a member choose one (a pickup store) without knowing its code: every open
    store by city and code; a closed one is left out; staff tokens are for the staff routes."""
    from tests.conftest import member_token

    made = (
        ("SH-002", "徐汇店", "上海"),
        ("BJ-001", "国贸店", "北京"),
        ("SH-001", "静安店", "上海"),
        ("HZ-001", "西湖店", "杭州"),
    )
    for store_id, name, city in made:
        assert api.post("/v1/stores", {"store_id": store_id, "name": name, "city": city, "region": "r"}).status == 201
    closed = api.patch("/v1/stores/HZ-001", {"status": "closed"},
                       headers={"content-type": "application/merge-patch+json", "if-match": '"1"'})  # fmt: skip
    assert closed.status == 200, closed.body
    _, token = member_token("13900000001")
    listed = api.as_(token).get("/v1/me/stores")
    assert listed.status == 200, listed.body
    assert [(s["store_id"], s["name"], s["city"]) for s in listed.body["items"]] == [
        ("SH-001", "静安店", "上海"), ("SH-002", "徐汇店", "上海"), ("BJ-001", "国贸店", "北京")]  # fmt: skip
    assert api.get("/v1/me/stores").status == 403
