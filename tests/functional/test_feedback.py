"""Feedback (意见反馈): members write a few messages a day and read the answers; the service desk lists them by
status within its stores, closes them with a reply under If-Match, audited; erasure blanks what a member wrote."""

from datetime import timedelta

import pytest

from chalicelib.identity.member_auth import member_claims
from chalicelib.identity.service import issue_tokens
from chalicelib.shared import clock
from tests.conftest import deliver, item_counts, token_for

MESSAGE = {"category": "suggestion", "text": "希望周末延长营业时间到晚上十点。", "contact_ok": True}
CLOSE = {"content-type": "application/merge-patch+json"}


def as_member(api, member_id):
    """A client acting as the member, as if they had just logged in."""
    return api.as_(issue_tokens(member_claims(member_id, clock.now().timestamp())).access_token)


def member_of(api, phone, store):
    """A member registered at ``store`` and a client acting as them."""
    body = {"name": f"会员{phone[-4:]}", "phone": phone, **({"home_store_id": store} if store else {})}
    member_id = api.post("/v1/members", body).body["member_id"]
    return member_id, as_member(api, member_id)


@pytest.fixture
def members(api):
    for store_id in ("SH-001", "BJ-001"):
        api.post("/v1/stores", {"store_id": store_id, "name": store_id, "city": "c", "region": "r"})
    return {store: member_of(api, phone, store) for store, phone in (("SH-001", "13800000001"),
                                                                     ("BJ-001", "13800000002"))}  # fmt: skip


def test_a_member_writes_and_reads_the_answer(api, members):
    member_id, member = members["SH-001"]
    written = member.post("/v1/me/feedback", MESSAGE)
    assert written.status == 201, written.body
    assert written.headers["cache-control"] == "no-store"
    assert (written.body["status"], written.body["text"], written.body["reply"]) == ("open", MESSAGE["text"], None)
    desk = api.as_(token_for(["customer_service"]))
    (listed,) = desk.get("/v1/feedback").body["items"]
    assert listed["member"]["member_id"] == member_id
    assert (listed["member"]["name"], listed["member"]["phone_masked"]) == ("会员0001", "138****0001")
    assert (listed["home_store_id"], listed["category"], listed["contact_ok"]) == ("SH-001", "suggestion", True)
    closed = desk.patch(f"/v1/feedback/{listed['feedback_id']}", {"status": "closed", "reply": "已转门店，谢谢！"},
                        headers={**CLOSE, "if-match": f'"{listed["version"]}"'})  # fmt: skip
    assert closed.status == 200, closed.body
    assert (closed.body["status"], closed.body["reply"]) == ("closed", "已转门店，谢谢！")
    assert closed.body["closed_by"].startswith("staff:")
    assert closed.headers["etag"] == f'"{closed.body["version"]}"'
    (mine,) = member.get("/v1/me/feedback").body["items"]
    assert (mine["status"], mine["reply"]) == ("closed", "已转门店，谢谢！")
    assert "closed_by" not in mine
    assert desk.get("/v1/feedback").body["items"] == []
    assert [f["feedback_id"] for f in desk.get("/v1/feedback?status=closed").body["items"]] == [mine["feedback_id"]]


def test_five_messages_a_day_then_429_writing_nothing(api, members):
    member_id, member = members["SH-001"]
    for n in range(5):
        assert member.post("/v1/me/feedback", {**MESSAGE, "text": f"第{n}条"}).status == 201
    before = item_counts()
    refused = member.post("/v1/me/feedback", MESSAGE)
    assert refused.status == 429
    assert 0 < int(refused.headers["retry-after"]) <= 86_400
    assert item_counts() == before
    with clock.frozen(clock.now() + timedelta(days=1)):
        assert as_member(api, member_id).post("/v1/me/feedback", MESSAGE).status == 201  # a new business day


def test_a_retried_message_is_kept_once_and_counted_once(api, members):
    _, member = members["SH-001"]
    key = {"idempotency-key": "feedback-retry-1"}
    first = member.post("/v1/me/feedback", MESSAGE, headers=key)
    assert first.status == 201, first.body
    before = item_counts()
    retried = member.post("/v1/me/feedback", MESSAGE, headers=key)
    assert (retried.status, retried.body) == (201, first.body)
    assert item_counts() == before
    reused = member.post("/v1/me/feedback", {**MESSAGE, "text": "另一条"}, headers=key)
    assert (reused.status, reused.body["type"].rsplit("/", 1)[1]) == (422, "idempotency-key-reused")
    for n in range(4):  # the retry used none of the day's five
        assert member.post("/v1/me/feedback", {**MESSAGE, "text": f"第{n}条"}).status == 201
    assert member.post("/v1/me/feedback", MESSAGE, headers=key).status == 201  # a retry still answers after five
    assert member.post("/v1/me/feedback", MESSAGE).status == 429
    assert len(member.get("/v1/me/feedback").body["items"]) == 5


@pytest.mark.parametrize(
    "body",
    [
        {**MESSAGE, "category": "rant"},
        {**MESSAGE, "text": "   "},
        {**MESSAGE, "text": "长" * 1001},
        {**MESSAGE, "text": "第一行\n第二行"},
        {"category": "praise", "text": "好"},
    ],
)
def test_a_bad_message_is_422_and_kept_nowhere(api, members, body):
    _, member = members["SH-001"]
    before = item_counts()
    assert member.post("/v1/me/feedback", body).status == 422
    assert item_counts() == before


def test_the_desk_pages_newest_first_within_its_stores(api, members):
    for store in ("SH-001", "BJ-001"):
        for n in range(3):
            assert members[store][1].post("/v1/me/feedback", {**MESSAGE, "text": f"{store} {n}"}).status == 201
    manager = api.as_(token_for(["store_manager"], ("SH-001",)))
    first = manager.get("/v1/feedback?limit=2").body
    rest = manager.get(f"/v1/feedback?limit=2&cursor={first['next_cursor']}").body
    texts = [f["text"] for f in first["items"] + rest["items"]]
    assert texts == ["SH-001 2", "SH-001 1", "SH-001 0"]
    assert len(api.get("/v1/feedback?limit=50").body["items"]) == 6  # unscoped: every store
    other = api.get("/v1/feedback?limit=50").body["items"][0]
    assert other["home_store_id"] == "BJ-001"
    close = {**CLOSE, "if-match": f'"{other["version"]}"'}
    assert manager.patch(f"/v1/feedback/{other['feedback_id']}", {"status": "closed"}, headers=close).status == 404


def test_closing_needs_the_current_version_and_happens_once(api, aws, members):
    _, member = members["SH-001"]
    feedback_id = member.post("/v1/me/feedback", MESSAGE).body["feedback_id"]
    path = f"/v1/feedback/{feedback_id}"
    assert api.patch(path, {"status": "closed"}, headers=CLOSE).status == 428
    assert api.patch(path, {"status": "closed"}, headers={**CLOSE, "if-match": '"7"'}).status == 412
    assert api.patch(path, {"status": "open"}, headers={**CLOSE, "if-match": '"1"'}).status == 422
    closed = api.patch(path, {"status": "closed"}, headers={**CLOSE, "if-match": '"1"'})
    assert (closed.status, closed.body["reply"]) == (200, None)
    again = api.patch(path, {"status": "closed"}, headers={**CLOSE, "if-match": closed.headers["etag"]})
    assert (again.status, again.body["type"].rsplit("/", 1)[1]) == (409, "feedback-closed")
    assert (
        api.patch("/v1/feedback/fb_nothing", {"status": "closed"}, headers={**CLOSE, "if-match": '"1"'}).status == 404
    )
    deliver(aws, "audit")
    today = clock.business_today()
    entries = api.get(f"/v1/audit?from={today}&to={today}").body["items"]
    assert [(e["action"], e["summary"]["replied"]) for e in entries if e["target"] == f"feedback/{feedback_id}"] == [
        ("feedback.closed", False)]  # fmt: skip
    assert not [e for e in entries if e["action"] == "feedback.submitted"]  # members' writes are not staff writes


def test_erasing_a_member_blanks_what_they_wrote(api, aws, members):
    member_id, member = members["BJ-001"]
    member.post("/v1/me/feedback", {**MESSAGE, "text": "我的电话是13800000002，请回电"})
    listed = api.get("/v1/feedback").body["items"][0]
    api.patch(f"/v1/feedback/{listed['feedback_id']}", {"status": "closed", "reply": "王先生您好，已回电"},
              headers={**CLOSE, "if-match": '"1"'})  # fmt: skip
    assert api.call("DELETE", f"/v1/members/{member_id}").status == 204
    deliver(aws, "statistics")
    (erased,) = api.get("/v1/feedback?status=closed").body["items"]
    assert (erased["text"], erased["reply"], erased["contact_ok"]) == ("", None, False)
    assert (erased["category"], erased["member"]["name"]) == ("suggestion", "")
