"""The membership agreement and privacy policy (会员协议与隐私政策): an administrator publishes versions; joining
online accepts the current ones (a code log-in is refused before its code is used when it leaves one out); members
who owe an acceptance are asked and accept once; staff read the proof; every version stays as published."""

from datetime import timedelta

from chalicelib.agreements.records import AcceptanceRecord
from chalicelib.shared import clock
from chalicelib.shared.events import OutboxRecord
from tests.conftest import item_counts, token_for
from tests.functional.test_member_login import PHONE, latest_code, log_in, request_code

TERMS = {"kind": "terms", "title": "会员协议", "paragraphs": ["第一条 会员权益以本协议为准。", "第二条 积分不得转让。"]}
PRIVACY = {"kind": "privacy", "title": "隐私政策", "paragraphs": ["我们只为会员服务使用您的手机号和消费记录。"]}


def published(api, *documents):
    for document in documents:
        answer = api.post("/v1/agreements", document)
        assert answer.status == 201, answer.body
    return [{"kind": d["kind"], "version": d["version"]} for d in api.as_(None).get("/v1/agreements").body["items"]]


def code_for(api, aws, phone=PHONE):
    assert request_code(api, phone).status == 202
    return latest_code(aws, phone)


def test_nothing_is_asked_while_nothing_is_published(api, aws):
    assert api.as_(None).get("/v1/agreements").body == {"items": []}
    tokens = log_in(api, code=code_for(api, aws))
    assert tokens.status == 200, tokens.body
    mine = api.as_(tokens.body["access_token"]).get("/v1/me/agreements")
    assert mine.body == {"due": [], "accepted": []}


def test_joining_accepts_the_current_versions_and_keeps_the_proof(api, aws):
    agreed = published(api, TERMS, PRIVACY)
    assert agreed == [{"kind": "terms", "version": 1}, {"kind": "privacy", "version": 1}]
    current = api.as_(None).get("/v1/agreements").body["items"]
    assert [(d["title"], d["paragraphs"], d["requires_acceptance"]) for d in current] == [
        ("会员协议", TERMS["paragraphs"], True), ("隐私政策", PRIVACY["paragraphs"], True)]  # fmt: skip
    tokens = log_in(api, code=code_for(api, aws), agreed=agreed)
    assert tokens.status == 200, tokens.body
    mine = api.as_(tokens.body["access_token"]).get("/v1/me/agreements").body
    assert mine["due"] == []
    assert sorted((a["kind"], a["version"], a["via"]) for a in mine["accepted"]) == [
        ("privacy", 1, "code-login"), ("terms", 1, "code-login")]  # fmt: skip
    member_id = api.as_(tokens.body["access_token"]).get("/v1/me").body["member_id"]
    proof = api.as_(token_for(["customer_service"])).get(f"/v1/members/{member_id}/agreements")
    assert proof.status == 200, proof.body
    assert proof.body["accepted"] == mine["accepted"]
    assert proof.body["due"] == []
    events = [r.envelope for r in OutboxRecord.scan() if '"member.agreed"' in r.envelope]
    assert len(events) == 1
    assert PHONE[3:] not in events[0]


def test_a_code_log_in_without_the_current_versions_is_refused_and_its_code_still_works(api, aws):
    """Refused before the code is used, for a member's phone and a stranger's alike: the answer tells nothing."""
    agreed = published(api, TERMS, PRIVACY)
    member = log_in(api, code=code_for(api, aws), agreed=agreed)
    assert member.status == 200
    for phone in (PHONE, "+8613912340000"):
        with clock.frozen(clock.now() + timedelta(seconds=61)):  # a phone's next code, a minute on
            code = code_for(api, aws, phone)
        before = item_counts()
        for wrong in (None, agreed[:1], [*agreed[:1], {"kind": "privacy", "version": 2}]):
            refused = log_in(api, phone, code=code, **({"agreed": wrong} if wrong is not None else {}))
            assert refused.status == 422, refused.body
            assert refused.body["type"].endswith("/agreements-required")
            assert refused.body["current"] == agreed
        assert item_counts() == before
        assert log_in(api, phone, code=code, agreed=agreed).status == 200  # the code was not used up


def test_a_new_version_is_owed_accepted_once_and_a_correction_asks_no_one(api, aws):
    agreed = published(api, TERMS, PRIVACY)
    member = api.as_(log_in(api, code=code_for(api, aws), agreed=agreed).body["access_token"])
    said = ["新增：第三方共享的说明。", "调整：消费记录保存三年。"]  # what changed, read first (a walkthrough)
    published(api, {**PRIVACY, "paragraphs": ["我们更新了第三方共享的说明。"], "changes": said})
    (owed,) = member.get("/v1/me/agreements").body["due"]
    assert (owed["kind"], owed["version"], owed["paragraphs"]) == ("privacy", 2, ["我们更新了第三方共享的说明。"])
    assert owed["changes"] == said
    assert [v["changes"] for v in api.as_(None).get("/v1/agreements/privacy/versions").body["items"]] == [said, []]
    stale = member.post("/v1/me/agreements", {"agreed": agreed})
    assert stale.status == 422
    assert stale.body["type"].endswith("/agreements-required")
    now = [{"kind": "privacy", "version": 2}]  # what is owed is enough
    first = member.post("/v1/me/agreements", {"agreed": now})
    assert first.status == 200, first.body
    assert first.body["due"] == []
    assert member.post("/v1/me/agreements", {"agreed": now}).body == first.body  # kept once: the first moment stays
    assert AcceptanceRecord.count() == 3  # terms 1 and privacy 1 when joining, privacy 2 now
    correction = api.post("/v1/agreements", {**TERMS, "paragraphs": ["第一条 会员权益以本协议为准（错字更正）。"],
                                             "requires_acceptance": False})  # fmt: skip
    assert correction.status == 201
    assert correction.body["version"] == 2
    assert member.get("/v1/me/agreements").body["due"] == []
    history = api.as_(None).get("/v1/agreements/terms/versions").body["items"]
    assert [(v["version"], v["requires_acceptance"]) for v in history] == [(2, False), (1, True)]


def test_members_registered_at_a_till_owe_the_current_versions_until_they_accept(api, aws):
    agreed = published(api, TERMS, PRIVACY)
    member_id = api.post("/v1/members", {"name": "王芳", "phone": PHONE}).body["member_id"]
    member = api.as_(log_in(api, code=code_for(api, aws), agreed=agreed).body["access_token"])
    assert member.get("/v1/me/agreements").body["due"] == []  # the code log-in accepted them
    assert api.get(f"/v1/members/{member_id}/agreements").body["accepted"][0]["via"] == "code-login"
    other = api.post("/v1/members", {"name": "李雷", "phone": "+8613912340001"}).body["member_id"]
    owed = api.get(f"/v1/members/{other}/agreements").body
    assert [(d["kind"], d["version"]) for d in owed["due"]] == [("terms", 1), ("privacy", 1)]
    assert "paragraphs" not in owed["due"][0]


def test_who_may_publish_and_read_and_what_is_refused(api):
    for role in ("marketing", "customer_service", "store_manager", "finance"):
        assert api.as_(token_for([role])).post("/v1/agreements", TERMS).status == 403
    assert api.as_(token_for(["admin"], ("SH-001",))).post("/v1/agreements", TERMS).status == 403  # chain-wide
    before = item_counts()
    for bad in ({**TERMS, "kind": "cookies"}, {**TERMS, "paragraphs": []}, {**TERMS, "paragraphs": ["一\n二"]},
                {**TERMS, "title": " "}, {**TERMS, "paragraphs": ["long " * 400] * 11},
                {**TERMS, "changes": ["一\n二"]}, {**TERMS, "changes": ["x"] * 21}, {**TERMS, "changes": [" "]},
                {**TERMS, "changes": "一"}):  # fmt: skip
        refused = api.post("/v1/agreements", bad)
        assert refused.status == 422, (bad, refused.body)
    assert item_counts() == before
    assert api.as_(None).get("/v1/agreements/cookies/versions").status == 404
    assert api.get("/v1/members/mb_nobody/agreements").status == 404
    assert api.as_(token_for(["cashier"])).get("/v1/members/mb_nobody/agreements").status in (403, 404)


def test_a_password_log_in_may_accept_and_a_stale_version_is_refused_before_the_password_is_tried(api, aws):
    agreed = published(api, TERMS, PRIVACY)
    member_id = api.post("/v1/members", {"name": "王芳", "phone": PHONE}).body["member_id"]  # joined at a till
    member = api.as_(log_in(api, code=code_for(api, aws), agreed=agreed).body["access_token"])
    assert member.call("PUT", "/v1/me/password", {"password": "a long passphrase 42"}).status == 200
    published(api, {**PRIVACY, "paragraphs": ["第二版。"]})
    now = api.as_(None).get("/v1/agreements").body["items"]
    current = [{"kind": d["kind"], "version": d["version"]} for d in now]
    before = item_counts()
    stale = log_in(api, password="not even checked", agreed=agreed)  # an old version: refused before the password
    assert stale.status == 422
    assert stale.body["type"].endswith("/agreements-required")
    assert item_counts() == before  # no lockout attempt counted, nothing kept
    assert log_in(api, password="a long passphrase 42", agreed=current).status == 200
    proof = api.get(f"/v1/members/{member_id}/agreements").body
    assert proof["due"] == []
    assert (proof["accepted"][0]["version"], proof["accepted"][0]["via"]) == (2, "password-login")


def test_a_log_in_whose_acceptance_cannot_be_kept_still_answers_and_the_member_is_asked_later(api, aws, monkeypatch):
    """The code is used and the session made before the acceptance is kept: a failure to keep it must not turn the
    log-in into a 500 its retry cannot repeat (the code is gone); the versions stay due and the pages ask again."""
    from chalicelib.agreements import service

    agreed = published(api, TERMS, PRIVACY)

    def failing(*args, **kwargs):
        raise RuntimeError("throttled past every retry")

    monkeypatch.setattr(service, "accept", failing)
    tokens = log_in(api, code=code_for(api, aws), agreed=agreed)
    assert tokens.status == 200, tokens.body
    monkeypatch.undo()
    owed = api.as_(tokens.body["access_token"]).get("/v1/me/agreements").body["due"]
    assert [(d["kind"], d["version"]) for d in owed] == [("terms", 1), ("privacy", 1)]
