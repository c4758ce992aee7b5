"""Member search for the back office: a phone or member number finds that member, anything else a whole name through
an index of keyed name hashes (no scan), within the caller's stores, in the body (never in a URL)."""

import pytest

from chalicelib.members import service
from chalicelib.members.model import normalise_name, search_terms
from chalicelib.members.records import MemberRecord
from tests.conftest import token_for

PATCH = {"content-type": "application/merge-patch+json", "if-match": '"1"'}
MEMBERS = (
    ("zw-sh", "张伟", "13800000001", "SH-001"),
    ("zw-bj", "张伟", "13800000002", "BJ-001"),
    ("li", "Li Na", "13800000003", "SH-001"),
    ("wf", "王芳", "13800000004", "SH-001"),
)


@pytest.fixture
def members(api):
    for store_id in ("SH-001", "BJ-001"):
        api.post("/v1/stores", {"store_id": store_id, "name": store_id, "city": "c", "region": "r"})
    made = {}
    for key, name, phone, store in (
        ("zw-sh", "张伟", "13800000001", "SH-001"),
        ("zw-bj", "张伟", "13800000002", "BJ-001"),
        ("li", "Li Na", "13800000003", "SH-001"),
        ("wf", "王芳", "13800000004", "SH-001"),
    ):
        made[key] = api.post("/v1/members", {"name": name, "phone": phone, "home_store_id": store}).body  # fmt: skip
    return made


def found(client, body):
    answer = client.post("/v1/members/search", body)
    assert answer.status == 200, answer.body
    return [row["member_id"] for row in answer.body["items"]]


def test_a_whole_name_finds_every_member_of_that_name_newest_first(api, members):
    assert found(api, {"q": "张伟"}) == [members["zw-bj"]["member_id"], members["zw-sh"]["member_id"]]
    assert found(api, {"q": " 张 伟 "}) == found(api, {"q": "张伟"})
    assert found(api, {"q": "ＬＩ　ｎａ"}) == [members["li"]["member_id"]]  # full width, case and spaces ignored
    assert found(api, {"q": "张"}) == []  # whole names only
    row = api.post("/v1/members/search", {"q": "王芳"}).body["items"][0]
    assert (row["name"], row["phone_masked"], row["home_store_id"]) == ("王芳", "138****0004", "SH-001")
    assert "phone" not in row


def test_a_phone_or_member_number_finds_that_member_as_a_lookup_does(api, members):
    shanghai = members["zw-sh"]
    assert found(api, {"q": "138 0000 0001"}) == [shanghai["member_id"]]
    assert found(api, {"q": "+86 138-0000-0001"}) == [shanghai["member_id"]]
    assert found(api, {"q": shanghai["member_no"]}) == [shanghai["member_id"]]
    assert found(api, {"q": "13899999999"}) == []


def test_store_scoped_staff_find_only_members_of_their_stores(api, members):
    manager = api.as_(token_for(["store_manager"], ("SH-001",)))
    assert found(manager, {"q": "张伟"}) == [members["zw-sh"]["member_id"]]
    assert found(manager, {"q": "13800000002"}) == []  # a Beijing member: served by lookup, not managed here
    refused = manager.post("/v1/members/search", {"q": "张伟", "store_id": "BJ-001"})
    assert (refused.status, refused.body["errors"][0]["field"]) == (422, "store_id")
    assert found(api, {"q": "张伟", "store_id": "BJ-001"}) == [members["zw-bj"]["member_id"]]


def test_the_lists_filters_apply_and_pages_go_on(api, members):
    frozen = members["zw-sh"]["member_id"]
    assert api.patch(f"/v1/members/{frozen}", {"status": "frozen"}, headers=PATCH).status == 200
    assert found(api, {"q": "张伟", "status": "frozen"}) == [frozen]
    assert found(api, {"q": "13800000001", "status": "active"}) == []
    first = api.post("/v1/members/search", {"q": "张伟", "limit": 1}).body
    second = api.post("/v1/members/search", {"q": "张伟", "limit": 1, "cursor": first["next_cursor"]}).body
    assert [r["member_id"] for r in first["items"] + second["items"]] == found(api, {"q": "张伟"})
    assert api.post("/v1/members/search", {"q": "王芳", "cursor": first["next_cursor"]}).status == 400


def test_renamed_and_erased_members_are_found_by_what_they_are_now(api, members):
    li = members["li"]["member_id"]
    assert api.patch(f"/v1/members/{li}", {"name": "李娜"}, headers=PATCH).status == 200
    assert (found(api, {"q": "Li Na"}), found(api, {"q": "李娜"})) == ([], [li])
    assert api.call("DELETE", f"/v1/members/{li}").status == 204
    assert found(api, {"q": "李娜"}) == []
    assert found(api, {"q": members["li"]["member_no"]}) == []


def test_the_index_holds_keyed_hashes_and_members_from_before_are_indexed_once(api, members):
    record = MemberRecord.get(members["wf"]["member_id"])
    assert "王芳" not in record.name_hash
    record.update(actions=[MemberRecord.name_hash.remove()], add_version_condition=False)  # registered before search
    assert found(api, {"q": "王芳"}) == []
    assert service.index_names() == 1
    assert found(api, {"q": "王芳"}) == [members["wf"]["member_id"]]
    assert service.index_names() == 0


def test_what_a_search_box_may_mean():
    assert search_terms("138 0013 8000") == [("phone", "+8613800138000")]
    assert search_terms("8000123458")[-1] == ("member_no", "8000123458")
    assert search_terms("VIP-0042") == [("member_no", "VIP-0042")]
    assert search_terms("Alice") == [("name", "alice")]
    assert normalise_name("张　伟") == normalise_name("张伟") == "张伟"
