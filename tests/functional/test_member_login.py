"""Members log in (and join) with an SMS code or a password, and read and edit their own profile."""

import json
import re
import time
from datetime import timedelta

import jwt
import pytest

from chalicelib.identity import member_auth
from chalicelib.identity.records import MemberCredentialRecord
from chalicelib.identity.service import SESSION_CACHE_SECONDS
from chalicelib.notifications.channels.dev_outbox import dev_outbox
from chalicelib.shared import clock
from chalicelib.shared.events import OutboxRecord
from chalicelib.shared.settings import get_settings
from tests.conftest import deliver, item_counts

PHONE = "+8613912345678"
PATCH = {"content-type": "application/merge-patch+json"}


def request_code(api, phone=PHONE):
    return api.as_(None).post("/v1/auth/otp", {"phone": phone})


def latest_code(aws, phone=PHONE):
    """What the member reads on their phone: the newest text sent to it."""
    deliver(aws, "login-codes")
    texts = [m.text for m in dev_outbox() if m.recipient == phone]
    return re.search(r"\d{6}", texts[-1]).group()


def log_in(api, phone=PHONE, **proof):
    return api.as_(None).post("/v1/auth/member-token", {"phone": phone, **proof})


def refresh(api, tokens):
    return api.as_(None).post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})


def new_password(member, **body):
    """Set a password as ``member``, who goes on as the fresh tokens answered."""
    answer = member.call("PUT", "/v1/me/password", body)
    assert answer.status == 200, answer.body
    return member.as_(answer.body["access_token"])


def later(monkeypatch):
    """As seen once the per-process member cache (status and session generation) has aged out, in any process."""
    moved = time.monotonic() + SESSION_CACHE_SECONDS
    monkeypatch.setattr(time, "monotonic", lambda: moved)


@pytest.fixture
def codes(api, aws):
    """Request a code for a phone and return what arrived by SMS."""

    def send(phone=PHONE):
        assert request_code(api, phone).status == 202
        return latest_code(aws, phone)

    return send


class TestCodes:
    def test_a_new_phone_joins_with_its_code_and_reads_its_profile(self, api, codes):
        sent = request_code(api)
        assert sent.status == 202
        assert sent.body == {"expires_in": 300, "resend_after": 60}
        with clock.frozen(clock.now() + timedelta(seconds=61)):
            code = codes()
            tokens = log_in(api, code=code, name="小王")
            assert tokens.status == 200
            me = api.as_(tokens.body["access_token"]).get("/v1/me")
        assert me.status == 200
        assert (me.body["phone"], me.body["name"], me.body["source"]) == (PHONE, "小王", "online")
        assert me.body["tier"] == "normal"

    def test_the_text_says_the_code_and_nothing_personal_travels_in_events(self, api, aws, codes):
        code = codes()
        [message] = dev_outbox()
        assert (message.channel, message.recipient) == ("sms", PHONE)
        assert code in message.text
        assert "5分钟" in message.text
        envelopes = " ".join(record.envelope for record in OutboxRecord.scan())
        assert "notification.code-requested" in envelopes
        assert PHONE[3:] not in envelopes
        assert code not in envelopes

    def test_a_redelivered_event_sends_one_text(self, api, aws):
        assert request_code(api).status == 202
        deliver(aws, "login-codes", times=3)
        assert len(dev_outbox()) == 1

    def test_a_code_works_once(self, api, codes):
        code = codes()
        assert log_in(api, code=code).status == 200
        again = log_in(api, code=code)
        assert again.status == 401
        assert again.body["type"].endswith("/unauthenticated")

    def test_a_code_expires_after_five_minutes(self, api, codes):
        code = codes()
        with clock.frozen(clock.now() + timedelta(minutes=5, seconds=1)):
            assert log_in(api, code=code).status == 401

    def test_the_fifth_try_is_the_last(self, api, codes):
        code = codes()
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(5):
            assert log_in(api, code=wrong).status == 401
        assert log_in(api, code=code).status == 401

    def test_a_new_code_replaces_the_last(self, api, codes):
        first = codes()
        with clock.frozen(clock.now() + timedelta(seconds=61)):
            second = codes()
            if first != second:
                assert log_in(api, code=first).status == 401
            assert log_in(api, code=second).status == 200

    def test_a_phone_that_joins_in_english_gets_its_messages_in_english_unless_it_chose_first(self, api, aws, codes):
        """Found by a walkthrough: a member who joined on the English log-in page got their messages in Chinese."""
        joined = api.as_(log_in(api, code=codes(), language="en").body["access_token"])
        deliver(aws, "points")
        assert joined.get("/v1/me/message-preferences").body["language"] == "en"
        with clock.frozen(clock.now() + timedelta(seconds=61)):  # a code a minute
            assert log_in(api, code=codes(), language="zh-CN").status == 200  # a member's own stays as it is
        deliver(aws, "points")
        assert joined.get("/v1/me/message-preferences").body["language"] == "en"

        other = "+8613912340000"  # chose Chinese in their message settings before the event came: theirs stands
        chose = api.as_(log_in(api, other, code=codes(other), language="en").body["access_token"])
        assert chose.call("PATCH", "/v1/me/message-preferences", {"language": "zh-CN"}).status == 200
        deliver(aws, "points")
        assert chose.get("/v1/me/message-preferences").body["language"] == "zh-CN"
        refused = log_in(api, "+8613912340001", code="123456", language="fr")
        assert (refused.status, refused.body["errors"][0]["field"]) == (422, "language")

    def test_a_known_phone_logs_in_to_its_member(self, api, codes):
        registered = api.post("/v1/members", {"name": "张三", "phone": "13912345678"}).body
        tokens = log_in(api, code=codes()).body
        assert api.as_(tokens["access_token"]).get("/v1/me").body["member_id"] == registered["member_id"]

    def test_bad_requests_write_nothing(self, api):
        before = item_counts()
        assert request_code(api, "12345").status == 422
        assert log_in(api, code="12345").status == 422
        assert log_in(api, code="123456", password="x" * 12).status == 422
        assert log_in(api, password="a long password", name="x").status == 422
        assert item_counts() == before


class TestRateLimits:
    def test_one_code_a_minute_per_phone_and_nothing_sent_when_refused(self, api):
        assert request_code(api).status == 202
        before = item_counts()
        refused = request_code(api)
        assert refused.status == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert item_counts() == before
        assert request_code(api, "13900000009").status == 202  # another phone is not held up

    def test_five_codes_an_hour_per_phone(self, api):
        start = clock.now().replace(minute=0, second=0, microsecond=0)
        answers = []
        for minute in range(0, 12, 2):
            with clock.frozen(start + timedelta(minutes=minute)):
                answers.append(request_code(api).status)
        assert answers == [202] * 5 + [429]

    def test_codes_per_client_address(self, api, monkeypatch):
        limited = get_settings().model_copy(update={"otp_requests_per_address_hour": 3})
        monkeypatch.setattr(member_auth, "get_settings", lambda: limited)
        answers = [request_code(api, f"1390000000{i}").status for i in range(4)]
        assert answers == [202, 202, 202, 429]


class TestClientAddressBehindCloudFront:
    """Behind the stage's distribution the gateway sees an edge's address; the viewer's counts, with the secret."""

    SECRET = "origin-verify-secret-origin-verify-secret"

    @pytest.fixture(autouse=True)
    def distribution(self, api, monkeypatch):
        monkeypatch.setenv("LOYALTY_ORIGIN_VERIFY_SECRET", self.SECRET)
        monkeypatch.setenv("LOYALTY_OTP_REQUESTS_PER_ADDRESS_HOUR", "3")
        get_settings.cache_clear()
        yield
        monkeypatch.undo()
        get_settings.cache_clear()

    def from_viewer(self, api, viewer, verify, phone):
        headers = {"cloudfront-viewer-address": f"198.51.100.{viewer}:443"}
        if verify:
            headers["x-origin-verify"] = verify
        return api.as_(None).post("/v1/auth/otp", {"phone": f"+86139000000{phone:02d}"}, headers=headers).status

    def test_each_viewer_has_their_own_code_limit(self, api):
        assert [self.from_viewer(api, i, self.SECRET, phone=i) for i in range(4)] == [202] * 4
        assert [self.from_viewer(api, 0, self.SECRET, phone=10 + i) for i in range(3)] == [202, 202, 429]

    @pytest.mark.parametrize("verify", [None, "a-guess-at-the-origin-secret-of-the-stage"])
    def test_a_viewer_address_without_the_origin_secret_is_ignored(self, api, verify):
        assert [self.from_viewer(api, i, verify, phone=i) for i in range(4)] == [202, 202, 202, 429]

    def test_the_audit_trail_records_the_viewer(self, api):
        headers = {"x-origin-verify": self.SECRET, "cloudfront-viewer-address": "2001:db8::7:50432"}
        store = {"store_id": "SH-009", "name": "n", "city": "c", "region": "r"}
        created = api.post("/v1/stores", store, headers=headers)
        assert created.status == 201
        envelopes = [json.loads(record.envelope) for record in OutboxRecord.scan()]
        (event,) = [e for e in envelopes if e["type"] == "store.created"]
        assert event["source_ip"] == "2001:db8::7"


class TestJoiningAndStatus:
    def test_joining_online_can_be_closed(self, api, codes, monkeypatch):
        closed = get_settings().model_copy(update={"self_registration": False})
        monkeypatch.setattr(member_auth, "get_settings", lambda: closed)
        answer = log_in(api, code=codes())
        assert answer.status == 403
        assert answer.body["type"].endswith("/registration-closed")
        assert api.post("/v1/members/lookup", {"phone": PHONE}).status == 404

    def test_a_frozen_member_cannot_log_in_or_refresh(self, api, codes):
        tokens = log_in(api, code=codes()).body
        me = api.as_(tokens["access_token"]).get("/v1/me").body
        frozen = api.patch(f"/v1/members/{me['member_id']}", {"status": "frozen"}, headers={**PATCH, "if-match": '"1"'})
        assert frozen.status == 200
        with clock.frozen(clock.now() + timedelta(seconds=61)):
            assert log_in(api, code=codes()).status == 403
        assert api.as_(None).post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status == 403
        answer = api.as_(tokens["access_token"]).call("PUT", "/v1/me/password", {"password": "my long password"})
        assert answer.status == 403, "a new password would mint tokens that outlive the freeze"
        assert answer.body["type"].endswith("/membership-frozen")

    def test_a_member_refreshes_and_logs_out(self, api, codes):
        tokens = log_in(api, code=codes()).body
        renewed = api.as_(None).post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
        assert renewed.status == 200
        assert api.as_(renewed.body["access_token"]).get("/v1/me").status == 200
        assert api.as_(None).post("/v1/auth/logout", {"refresh_token": renewed.body["refresh_token"]}).status == 204
        assert api.as_(None).post("/v1/auth/refresh", {"refresh_token": renewed.body["refresh_token"]}).status == 401


class TestPasswords:
    @pytest.fixture
    def member(self, api, codes):
        return api.as_(log_in(api, code=codes()).body["access_token"])

    def test_set_a_password_and_log_in_with_it(self, api, member):
        assert member.call("PUT", "/v1/me/password", {"password": "my long password"}).status == 200
        assert log_in(api, password="my long password").status == 200
        wrong = log_in(api, password="not my password")
        unknown = log_in(api, "13800000000", password="my long password")
        assert wrong.status == unknown.status == 401
        assert wrong.body["detail"] == unknown.body["detail"]

    def test_changing_a_password_needs_the_current_one_or_a_code(self, api, aws, member):
        member = new_password(member, password="my long password")
        assert member.call("PUT", "/v1/me/password", {"password": "another password"}).status == 422
        bad = member.call("PUT", "/v1/me/password", {"password": "another password", "current_password": "guess w"})
        assert bad.status == 401
        assert "invalid_token" not in bad.headers.get("www-authenticate", "")  # the token stands: send nothing again
        expired = member.as_("not-a-token").call("PUT", "/v1/me/password", {"password": "another password"})
        assert (expired.status, expired.headers["www-authenticate"]) == (401, 'Bearer error="invalid_token"')
        assert member.as_(None).get("/v1/me").headers["www-authenticate"] == "Bearer"  # no token sent
        member = new_password(member, password="another password", current_password="my long password")
        with clock.frozen(clock.now() + timedelta(seconds=61)):
            assert request_code(api).status == 202
            new_password(member, password="third password", code=latest_code(aws))
            assert log_in(api, password="third password").status == 200

    def test_five_wrong_passwords_lock_the_member_for_fifteen_minutes(self, api, member):
        member.call("PUT", "/v1/me/password", {"password": "my long password"})
        for _ in range(5):
            assert log_in(api, password="not my password").status == 401
        locked = log_in(api, password="my long password")
        assert locked.status == 429
        with clock.frozen(clock.now() + timedelta(minutes=16)):
            assert log_in(api, password="my long password").status == 200

    def test_a_weak_password_is_refused(self, member):
        assert member.call("PUT", "/v1/me/password", {"password": "short"}).status == 422


class TestMyProfile:
    @pytest.fixture
    def member(self, api, codes):
        return api.as_(log_in(api, code=codes()).body["access_token"])

    def test_edit_my_profile_under_if_match(self, member):
        me = member.get("/v1/me")
        assert me.headers["etag"] == '"1"'
        assert member.patch("/v1/me", {"city": "杭州"}, headers=PATCH).status == 428
        edit = {"name": "王小明", "email": "Wang@Example.com", "consents": {"sms": False}, "birthday": "1990-05-01"}
        edited = member.patch("/v1/me", edit, headers={**PATCH, "if-match": '"1"'})
        assert edited.status == 200
        assert (edited.body["name"], edited.body["email"]) == ("王小明", "wang@example.com")
        assert edited.body["consents"]["sms"]["granted"] is False
        assert member.patch("/v1/me", {"city": "苏州"}, headers={**PATCH, "if-match": '"1"'}).status == 412

    def test_a_member_records_their_birthday_once_and_staff_correct_it(self, api, member):
        """Found by a review: a member moved their birthday to the month that suited (a borrowed tier's gift, then
        another); now they record it once, and a change or a clearing of it is 409 with nothing written."""
        recorded = member.patch("/v1/me", {"birthday": "1990-05-01"}, headers={**PATCH, "if-match": '"1"'})
        assert recorded.status == 200
        again = member.patch("/v1/me", {"birthday": "1990-05-01", "city": "杭州"}, headers={**PATCH, "if-match": '"2"'})
        assert again.status == 200  # the same birthday is no change
        for change in ("1990-12-01", None):
            moved = member.patch("/v1/me", {"birthday": change}, headers={**PATCH, "if-match": '"3"'})
            assert (moved.status, moved.body["type"].rsplit("/", 1)[1]) == (409, "birthday-on-record")
        mine = member.get("/v1/me")
        assert (mine.body["birthday"], mine.headers["etag"]) == ("1990-05-01", '"3"')
        fixed = api.patch(f"/v1/members/{mine.body['member_id']}", {"birthday": "1990-06-01"},
                          headers={**PATCH, "if-match": '"3"'})  # fmt: skip
        assert (fixed.status, fixed.body["birthday"]) == (200, "1990-06-01")

    def test_marketing_consent_is_given_with_the_wording_shown_never_on_the_profile(self, member):
        """Found by a probe: a grant through the profile was recorded against whatever wording was current, which
        the member may never have seen. Withdrawing there stays possible."""
        refused = member.patch("/v1/me", {"consents": {"push": True}}, headers={**PATCH, "if-match": '"1"'})
        assert (refused.status, refused.body["errors"][0]["field"]) == (422, "consents.push")
        assert member.get("/v1/me").headers["etag"] == '"1"'  # nothing written

    @pytest.mark.parametrize(
        ("field", "value"),
        [("tier", "gold"), ("points", 1000), ("status", "active"), ("home_store_id", "SH-001"),
         ("member_no", "0000000001"), ("phone", "13800000000"), ("tags", ["vip"]), ("referrer_id", "mb_x")],
    )  # fmt: skip
    def test_no_member_sets_what_the_business_decides(self, member, field, value):
        before = member.get("/v1/me").body
        answer = member.patch("/v1/me", {field: value}, headers={**PATCH, "if-match": '"1"'})
        assert answer.status == 422
        assert answer.body["errors"][0]["field"] == field
        assert member.get("/v1/me").body == before

    def test_a_member_token_is_not_a_staff_token(self, api, member):
        me = member.get("/v1/me").body
        assert member.get(f"/v1/members/{me['member_id']}").status == 200  # their own record
        assert member.get("/v1/members").status == 403
        assert member.post("/v1/members/lookup", {"phone": PHONE}).status == 403
        assert member.patch(f"/v1/members/{me['member_id']}", {"tier": "x"}, headers=PATCH).status == 403
        assert json.dumps(member.get(f"/v1/members/{me['member_id']}").body).count(PHONE) == 1


class TestMembershipChanges:
    @pytest.fixture
    def joined(self, api, codes):
        tokens = log_in(api, code=codes()).body
        member = api.as_(tokens["access_token"])
        return member, member.get("/v1/me").body, tokens

    def test_an_erased_members_tokens_and_password_stop_working(self, api, joined, monkeypatch):
        member, me, _ = joined
        member = new_password(member, password="my long password")
        assert member.get("/v1/me").status == 200
        assert api.call("DELETE", f"/v1/members/{me['member_id']}").status == 204
        assert MemberCredentialRecord.find(me["member_id"]) is None
        later(monkeypatch)
        assert member.get("/v1/me").status == 401
        assert member.call("PUT", "/v1/me/password", {"password": "another password", "code": "123456"}).status == 401
        assert log_in(api, password="my long password").status == 401

    def test_a_frozen_member_reads_but_does_not_write(self, api, joined, monkeypatch):
        member, me, _ = joined
        api.patch(f"/v1/members/{me['member_id']}", {"status": "frozen"}, headers={**PATCH, "if-match": '"1"'})
        later(monkeypatch)
        assert member.get("/v1/me").status == 200
        refused = member.patch("/v1/me", {"city": "杭州"}, headers={**PATCH, "if-match": '"2"'})
        assert refused.status == 403
        assert refused.body["type"].endswith("/membership-frozen")

    def test_a_member_closes_their_membership_with_a_recent_log_in_or_a_code(self, api, aws, joined, monkeypatch):
        """Found by a walkthrough: the privacy policy offered 注销 and the member pages had no way to it. A member
        closes it themself once they prove it is them now; what it holds is said first; their sessions end."""
        member, me, _ = joined

        with clock.frozen(clock.now() + timedelta(minutes=11)):  # a log-in too old, and no code
            stale = member.post("/v1/me/closure", {})
            assert (stale.status, stale.body["errors"][0]["field"]) == (422, "code")
            assert request_code(api).status == 202
            wrong = member.post("/v1/me/closure", {"code": "000000"})
            assert wrong.status == 401
        assert api.get(f"/v1/members/{me['member_id']}").body["status"] == "active"
        assert member.post("/v1/me/closure", {}).status == 204  # within 10 minutes of the log-in
        assert api.get(f"/v1/members/{me['member_id']}").body["status"] == "erased"
        later(monkeypatch)
        assert member.get("/v1/me").status == 401  # every session ended

    def test_a_member_holding_stored_value_is_told_to_have_it_paid_out_first(self, api, partner, joined):
        member, me, _ = joined
        from tests.functional.test_wallet import top_up

        assert top_up(api, partner, {"member_id": me["member_id"]}, 10_000).status == 200
        held = member.post("/v1/me/closure", {})
        assert (held.status, held.body["principal_fen"]) == (409, 10_000)
        assert held.body["type"].endswith("/member-holds-value")
        assert api.get(f"/v1/members/{me['member_id']}").body["status"] == "active"

    def test_a_first_password_needs_a_recent_log_in_or_a_code(self, api, aws, joined):
        member, _, _ = joined
        with clock.frozen(clock.now() + timedelta(minutes=11)):
            assert member.call("PUT", "/v1/me/password", {"password": "my long password"}).status == 422
            assert request_code(api).status == 202
            code = latest_code(aws)
            assert member.call("PUT", "/v1/me/password", {"password": "my long password", "code": code}).status == 200

    def test_a_refresh_is_not_a_log_in_so_it_cannot_make_a_first_password_possible(self, api, aws, joined):
        _, _, tokens = joined
        with clock.frozen(clock.now() + timedelta(minutes=11)):
            renewed = api.as_(None).post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}).body
            refused = api.as_(renewed["access_token"]).call("PUT", "/v1/me/password", {"password": "my long password"})
            assert refused.status == 422
            assert refused.body["type"].endswith("/validation-failed")
            assert request_code(api).status == 202
            fresh = log_in(api, code=latest_code(aws)).body
            answer = api.as_(fresh["access_token"]).call("PUT", "/v1/me/password", {"password": "my long password"})
            assert answer.status == 200

    def test_every_token_of_a_session_carries_the_time_of_its_log_in(self, api, joined):
        _, _, tokens = joined
        logged_in = jwt.decode(tokens["access_token"], options={"verify_signature": False})["auth_time"]
        with clock.frozen(clock.now() + timedelta(minutes=20)):
            renewed = api.as_(None).post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}).body
            again = api.as_(None).post("/v1/auth/refresh", {"refresh_token": renewed["refresh_token"]}).body
        for token in (renewed["access_token"], again["access_token"]):
            assert jwt.decode(token, options={"verify_signature": False})["auth_time"] == logged_in

    def test_password_lockouts_look_the_same_for_members_and_strangers(self, api, joined):
        member, _, _ = joined
        member.call("PUT", "/v1/me/password", {"password": "my long password"})
        for phone in (PHONE, "+8613800000000"):
            answers = [log_in(api, phone, password="not my password").status for _ in range(6)]
            assert answers == [401] * 5 + [429]


class TestNewPasswordsEndOtherSessions:
    """A new password ends every other session of the member (refresh tokens at once, access tokens within the
    session cache age, at once in the process that set it); the session that set it goes on with fresh tokens."""

    @pytest.fixture
    def sessions(self, api, codes):
        """Two sessions of one member: this device's, logged in a minute ago, and another device's."""
        with clock.frozen(clock.now() - timedelta(seconds=61)):
            this = log_in(api, code=codes()).body
        other = log_in(api, code=codes()).body
        for tokens in (this, other):  # the member is now cached by this process
            assert api.as_(tokens["access_token"]).get("/v1/me").status == 200
        return this, other

    def test_a_first_password_answers_fresh_tokens_and_ends_every_other_session(self, api, sessions):
        this, other = sessions
        answer = api.as_(this["access_token"]).call("PUT", "/v1/me/password", {"password": "my long password"})
        assert answer.status == 200
        fresh = answer.body
        assert (fresh["token_type"], fresh["expires_in"]) == ("bearer", 900)
        assert api.as_(fresh["access_token"]).get("/v1/me").status == 200
        assert api.as_(other["access_token"]).get("/v1/me").status == 401
        assert refresh(api, other).status == 401
        assert api.as_(this["access_token"]).get("/v1/me").status == 401  # replaced by the fresh tokens
        assert refresh(api, this).status == 401
        assert refresh(api, fresh).status == 200

    def test_a_password_change_keeps_the_session_that_made_it_and_ends_the_others(self, api, sessions):
        this, _ = sessions
        member = new_password(api.as_(this["access_token"]), password="my long password")
        elsewhere = log_in(api, password="my long password").body
        assert api.as_(elsewhere["access_token"]).get("/v1/me").status == 200
        change = {"password": "another password", "current_password": "my long password"}
        fresh = member.call("PUT", "/v1/me/password", change).body
        assert api.as_(fresh["access_token"]).get("/v1/me").status == 200
        edited = api.as_(fresh["access_token"]).patch("/v1/me", {"city": "杭州"}, headers={**PATCH, "if-match": '"1"'})
        assert edited.status == 200
        assert api.as_(elsewhere["access_token"]).get("/v1/me").status == 401
        assert refresh(api, elsewhere).status == 401
        renewed = refresh(api, fresh)
        assert renewed.status == 200
        assert api.as_(renewed.body["access_token"]).get("/v1/me").status == 200
        assert log_in(api, password="another password").status == 200

    def test_a_password_set_elsewhere_ends_access_tokens_within_the_cache_age(self, api, sessions, monkeypatch):
        _, other = sessions
        member_id = api.as_(other["access_token"]).get("/v1/me").body["member_id"]
        written_elsewhere = {"password_hash": "x", "updated_at": clock.iso(clock.now()), "session_generation": 1}
        MemberCredentialRecord(member_id, **written_elsewhere).save()  # as another process would
        assert api.as_(other["access_token"]).get("/v1/me").status == 200  # cached here
        later(monkeypatch)
        assert api.as_(other["access_token"]).get("/v1/me").status == 401
        assert refresh(api, other).status == 401


class TestCodeLimits:
    def test_codes_go_only_to_phones_of_the_allowed_regions(self, api):
        before = item_counts()
        refused = request_code(api, "+12025550123")
        assert refused.status == 422
        assert refused.body["errors"][0]["field"] == "phone"
        assert item_counts() == before

    def test_a_code_not_sent_in_time_is_never_sent(self, api, aws):
        assert request_code(api).status == 202
        with clock.frozen(clock.now() + timedelta(minutes=6)):
            deliver(aws, "login-codes")
        assert dev_outbox() == []

    def test_an_ipv6_subscriber_block_counts_as_one_address(self):
        bucket = member_auth._address_bucket
        assert bucket("2001:db8:1:2::1") == bucket("2001:db8:1:2:ffff::9")
        assert bucket("2001:db8:1:3::1") != bucket("2001:db8:1:2::1")
        assert bucket("203.0.113.7") != bucket("203.0.113.8")
