"""Messages to members through the whole local pipeline: an event that concerns a member is decided once (consent,
quiet hours, caps), sent once on the channel they allow however often it is redelivered, kept in their inbox, and
recorded with its reason when it is not sent; consents with their proof, opt-outs by SMS reply and unsubscribe link,
templates and policy, provider failures retried or recorded."""

import json
from datetime import datetime, timedelta

import pytest

from chalicelib.identity import member_auth
from chalicelib.members import service as members
from chalicelib.notifications import channels, profiles, service
from chalicelib.notifications import jobs as notification_jobs
from chalicelib.notifications.channels.dev_outbox import dev_outbox
from chalicelib.notifications.records import MessageRecord
from chalicelib.notifications.service import message_id
from chalicelib.platform import handlers
from chalicelib.shared import clock, sqs
from chalicelib.shared.jobs import run_job
from chalicelib.shared.settings import get_settings
from tests.conftest import deliver, item_counts, member_token, published_envelopes, signed_headers, token_for

TZ = get_settings().tz
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=TZ)
NIGHT = datetime(2026, 11, 20, 23, 30, tzinfo=TZ)
MERGE_PATCH = {"content-type": "application/merge-patch+json"}
POLICY_PATCH = {**MERGE_PATCH, "if-match": "*"}  # whatever its version: the policy has one, read by no test


def ok(answer, status=200):
    assert answer.status == status, answer.body
    return answer.body


def refused(answer, status, slug):
    assert answer.status == status, answer.body
    assert answer.body["type"].endswith("/" + slug), answer.body
    return answer.body


def through(aws, times=1):
    """Run the notifications pipeline to rest: decisions, then the sends they request (each delivery ``times``)."""
    for _ in range(3):
        sends = deliver(aws, "notifications", times=times) + deliver(aws, "login-codes", times=times)
        if not sends:
            return


def sent_to(phone_tail):
    return [m for m in dev_outbox() if m.recipient.endswith(phone_tail)]


def signed(api, partner, path, body):
    raw = json.dumps(body, ensure_ascii=False).encode()
    return api.as_(None).call("POST", path, raw=raw, headers=signed_headers(*partner, raw))


def top_up(api, partner, member_id, amount, payment_id, at=NOON):
    return _wallet_webhook(api, partner, "top-ups", member_id, amount, payment_id, at)


def pay(api, partner, member_id, amount, payment_id, at=NOON):
    return _wallet_webhook(api, partner, "payments", member_id, amount, payment_id, at)


def _wallet_webhook(api, partner, what, member_id, amount, payment_id, at):
    from chalicelib.members import service as members

    shown = {"member_code": members.member_code(member_id).code} if what == "payments" else {}  # the member there
    body = {
        **shown,
        "payment_id": payment_id,
        "member": {"member_id": member_id},
        "store_id": "SH-001",
        "occurred_at": at.isoformat(),
        "amount_fen": amount,
    }
    return ok(signed(api, partner, f"/v1/webhooks/wallet/{what}", body))


@pytest.fixture
def member(api):
    """A member with a phone, as a client of their own: ``(member id, client)``."""
    member_id, token = member_token("13900000001")
    return member_id, api.as_(token)


def messages_of(member_id):
    return sorted(MessageRecord.by_member.query(member_id), key=lambda record: record.created_key)


class TestTriggers:
    def test_a_top_up_receipt_is_texted_once_and_kept_in_the_inbox_however_often_it_is_redelivered(
        self, aws, api, partner, member
    ):
        member_id, client = member
        with clock.frozen(NOON):
            top_up(api, partner, member_id, 10_000, "T-1")
            through(aws, times=3)

        [text] = sent_to("0001")
        assert "100.00" in text.text
        assert "当前余额100.00元" in text.text
        [message] = messages_of(member_id)
        assert (message.kind, message.channel, message.status, message.sent_via) == (
            "wallet-topped-up",
            "sms",
            "sent",
            "dev-outbox",
        )
        assert message.sent_to == "139****0001"
        inbox = ok(client.get("/v1/me/inbox"))
        assert inbox["unread"] == 1
        assert [m["title"] for m in inbox["items"]] == ["储值到账"]

    def test_a_payment_leaving_little_in_the_wallet_also_warns_of_the_low_balance(self, aws, api, partner, member):
        member_id, _ = member
        with clock.frozen(NOON):
            top_up(api, partner, member_id, 3_000, "T-1")
            pay(api, partner, member_id, 2_000, "P-1")
            through(aws)

        kinds = sorted(m.kind for m in messages_of(member_id))
        assert kinds == ["wallet-low-balance", "wallet-paid", "wallet-topped-up"]

    def test_a_refund_to_the_wallet_and_a_cash_refund_each_send_a_receipt_once(self, aws, api, partner, member):
        """储值退款 and 退余额 move the member's money as much as a payment does: each sends its receipt, once however
        often its event is delivered; the cash refund's says whom to call if the member did not ask for it."""
        member_id, client = member
        with clock.frozen(NOON):
            top_up(api, partner, member_id, 10_000, "T-1")
            pay(api, partner, member_id, 4_000, "P-1")
            body = {"refund_id": "R-1", "payment_id": "P-1", "occurred_at": NOON.isoformat(), "amount_fen": 1_500}
            ok(signed(api, partner, "/v1/webhooks/wallet/refunds", body))
        out = {"store_id": "SH-001", "amount_fen": 2_000, "reason": "会员申请退余额"}  # now: staff tokens are of now
        ok(
            api.post(f"/v1/members/{member_id}/wallet/cash-refunds", out, headers={"idempotency-key": "cash-out-1"}),
            201,
        )
        through(aws, times=2)

        receipts = {m.kind: m for m in messages_of(member_id)}
        assert receipts.keys() >= {"wallet-refunded", "wallet-cash-refunded"}
        texts = [m.text for m in sent_to("0001")]
        assert sum("退回15.00元" in text and "当前余额" in text for text in texts) == 1
        assert sum("已为您退还储值本金20.00元" in text and "如非本人办理" in text for text in texts) == 1
        titles = [m["title"] for m in ok(client.get("/v1/me/inbox"))["items"]]
        assert (titles.count("储值退款"), titles.count("储值退款已办理")) == (1, 1)

    def test_points_expiring_are_held_through_the_night_and_sent_when_the_quiet_hours_end(self, aws, api, member):
        member_id, _ = member
        tx_event = {"member_id": member_id, "expires_on": "2026-11-27", "points": 120}
        with clock.frozen(NIGHT):
            _emit("points.expiring", member_id, tx_event)
            through(aws)
            [held] = messages_of(member_id)
            assert (held.status, held.channel) == ("held", "sms")
            assert held.release_at == clock.iso(datetime(2026, 11, 21, 9, 0, tzinfo=TZ))
            assert sent_to("0001") == []
        with clock.frozen(datetime(2026, 11, 21, 8, 59, tzinfo=TZ)):
            run_job(notification_jobs.release_held_messages, clock.business_today())
            assert messages_of(member_id)[0].status == "held"
        with clock.frozen(datetime(2026, 11, 21, 9, 15, tzinfo=TZ)):
            run_job(notification_jobs.release_held_messages, clock.business_today())
            run_job(notification_jobs.release_held_messages, clock.business_today())  # a re-run sends nothing twice
            through(aws, times=2)

        [text] = sent_to("0001")
        assert "120积分将于2026年11月27日过期" in text.text
        assert messages_of(member_id)[0].status == "sent"

    def test_points_expiring_suggest_what_in_the_mall_they_pay(self, aws, api, member):
        """提前一周…推荐几个热门的兑换商品 (seed 002): the reminder names the dearest rewards its points pay, on sale to
        every tier and in stock; none the points do not reach, nor one kept for a tier."""
        member_id, _ = member
        from chalicelib.mall.rewards import ON_SALE_TO_ALL

        for name, price, more in (("保温杯", 100, {}), ("保温杯", 90, {}), ("帆布袋", 60, {}), ("行李箱", 5_000, {}),
                                  ("黄金专享", 80, {"tiers": ["gold"]}), ("钥匙扣", 20, {})):  # fmt: skip
            body = {"name": name, "kind": "goods", "points": price, "stock": 5, "fulfilment": "pickup", **more}
            assert api.post("/v1/mall/rewards", body).status == 201
        ON_SALE_TO_ALL.forget()
        with clock.frozen(NOON):
            _emit("points.expiring", member_id, {"member_id": member_id, "expires_on": "2026-11-27", "points": 120})
            through(aws, times=2)
        [text] = sent_to("0001")
        assert "您有120积分将于2026年11月27日过期，可兑换保温杯、帆布袋等，请尽快使用。" in text.text

    def test_a_held_message_released_later_than_the_longest_hold_is_too_late(self, aws, api, member):
        """An education chain's walkthrough: the release job ran late (a test clock moved on; an outage alike) and a
        held message went out 357 days later, at 23:04."""
        member_id, _ = member
        with clock.frozen(NIGHT):
            _emit("points.expiring", member_id, {"member_id": member_id, "expires_on": "2027-12-31", "points": 9})
            through(aws)
            [held] = messages_of(member_id)
            assert held.status == "held"
        with clock.frozen(NIGHT + timedelta(days=30)):  # its night's release, run a month late
            run_job(notification_jobs.release_held_messages, (NIGHT + timedelta(days=1)).date())
            through(aws, times=2)
        [message] = messages_of(member_id)
        assert (message.status, message.reason) == ("suppressed", "too-late")
        assert sent_to("0001") == []

    def test_a_held_reminder_past_its_date_is_dropped_as_too_late(self, aws, api, member):
        member_id, _ = member
        with clock.frozen(NIGHT):
            _emit("points.expiring", member_id, {"member_id": member_id, "expires_on": "2026-11-20", "points": 5})
            through(aws)
        # send_by is the end of 2026-11-20: the quiet hours end after it, so the decision itself drops it
        [message] = messages_of(member_id)
        assert (message.status, message.reason) == ("inbox", "too-late")
        assert sent_to("0001") == []

    def test_an_erased_member_is_sent_nothing(self, aws, api, member):
        member_id, _ = member
        ok(api.call("DELETE", f"/v1/members/{member_id}"), 204)
        with clock.frozen(NOON):
            _emit("points.expired", member_id, {"member_id": member_id, "points": -5, "seq": 3})
            through(aws)
        assert messages_of(member_id) == []


def _emit(event_type, member_id, payload):
    from chalicelib.shared.db import Transaction
    from chalicelib.shared.events import emit, new_event

    tx = Transaction()
    emit(tx, new_event(event_type, f"member/{member_id}", payload))
    tx.commit()


class TestConsent:
    def test_a_channel_switched_off_gets_nothing_but_login_codes_and_service_lands_in_the_inbox(
        self, aws, api, partner, member
    ):
        member_id, client = member
        off = {"consents": [{"channel": "sms", "purpose": "service", "granted": False}]}
        prefs = ok(client.patch("/v1/me/message-preferences", off, headers=MERGE_PATCH))
        assert {(c["channel"], c["purpose"]): c["granted"] for c in prefs["consents"]}[("sms", "service")] is False
        with clock.frozen(NOON):
            top_up(api, partner, member_id, 10_000, "T-1")
            ok(api.as_(None).post("/v1/auth/otp", {"phone": "+8613900000001"}), 202)
            through(aws)

        texts = sent_to("13900000001")
        assert len(texts) == 1  # the login code only
        assert "验证码" in texts[0].text
        [receipt] = [m for m in messages_of(member_id) if m.kind == "wallet-topped-up"]
        assert (receipt.status, receipt.reason, json.loads(receipt.passed_over)) == (
            "inbox",
            "opted-out",
            [["sms", "opted-out"], ["wechat", "no-address"], ["push", "no-address"], ["email", "no-address"]],
        )
        assert ok(client.get("/v1/me/inbox"))["items"][0]["kind"] == "wallet-topped-up"

    def test_marketing_needs_consent_carries_the_opt_out_wording_and_stops_at_the_cap(self, aws, api, member):
        member_id, client = member
        prefs = ok(client.get("/v1/me/message-preferences"))
        without = ok(
            api.post(
                "/v1/notifications/announcements",
                {"title": "双11", "text": "全场8折", "member_ids": [member_id]},
                headers={"idempotency-key": "announce-double-11"},
            ),
            202,
        )
        with clock.frozen(NOON):
            through(aws)
        first = MessageRecord.find(message_id(member_id, "announcement", without["announcement_id"]))
        assert (first.status, first.reason) == ("suppressed", "no-consent")

        grant = {
            "consents": [{"channel": "sms", "purpose": "marketing", "granted": True}],
            "wording_version": prefs["wording"]["version"],
        }
        ok(client.patch("/v1/me/message-preferences", grant, headers=MERGE_PATCH))
        for n in range(3):
            ok(
                api.post(
                    "/v1/notifications/announcements",
                    {"title": "新品", "text": f"新品{n}到店", "member_ids": [member_id]},
                    headers={"idempotency-key": f"announce-new-{n}"},
                ),
                202,
            )
        with clock.frozen(NOON):
            through(aws, times=2)

        texts = [m.text for m in sent_to("0001")]
        assert len(texts) == 2  # 2 a week by default
        assert all(text.endswith("拒收请回复R") for text in texts)
        statuses = sorted((m.status, m.reason) for m in messages_of(member_id) if m.kind == "announcement")
        assert statuses == [("sent", None), ("sent", None), ("suppressed", "capped"), ("suppressed", "no-consent")]

    def test_a_frozen_member_is_sent_no_marketing_and_may_still_switch_it_off_but_not_on(self, aws, api, member):
        """Found by a probe: a frozen member got marketing and could not withdraw (403)."""
        member_id, client = member
        version = ok(client.get("/v1/me/message-preferences"))["wording"]["version"]
        sms = {"channel": "sms", "purpose": "marketing"}
        ok(client.patch("/v1/me/message-preferences", {"consents": [{**sms, "granted": True}],
                                                       "wording_version": version}, headers=MERGE_PATCH))  # fmt: skip
        etag = api.get(f"/v1/members/{member_id}").headers["etag"]
        ok(api.patch(f"/v1/members/{member_id}", {"status": "frozen"}, headers={**MERGE_PATCH, "if-match": etag}))
        member_auth._sessions.forget(member_id)  # past the session cache's age: the freeze holds everywhere
        body = {"title": "双12", "text": "全场8折", "member_ids": [member_id]}
        sent = ok(api.post("/v1/notifications/announcements", body, headers={"idempotency-key": "frozen-1"}), 202)
        with clock.frozen(NOON):
            through(aws)
        decided = MessageRecord.find(message_id(member_id, "announcement", sent["announcement_id"]))
        assert (decided.status, decided.reason) == ("suppressed", "member-frozen")
        off = ok(client.patch("/v1/me/message-preferences", {"consents": [{**sms, "granted": False}]},
                              headers=MERGE_PATCH))  # fmt: skip
        assert {(c["channel"], c["purpose"]): c["granted"] for c in off["consents"]}[("sms", "marketing")] is False
        on = client.patch("/v1/me/message-preferences", {"consents": [{**sms, "granted": True}],
                                                          "wording_version": version}, headers=MERGE_PATCH)  # fmt: skip
        refused(on, 403, "membership-frozen")
        refused(client.patch("/v1/me", {"city": "苏州"}, headers={**MERGE_PATCH, "if-match": '"2"'}), 403,
                "membership-frozen")  # the rest of a frozen member's writes stay refused  # fmt: skip

    def test_an_erased_members_consents_are_closed(self, api, member):
        """Found by a probe: staff re-granted an erased member's marketing, and their unsubscribe link wrote history."""
        member_id, _ = member
        token = profiles.unsubscribe_token(member_id, "sms")
        assert api.call("DELETE", f"/v1/members/{member_id}").status == 204
        before = item_counts()
        grant = {
            "consents": [{"channel": "sms", "purpose": "marketing", "granted": True}],
            "note": "电话",
            "wording_version": ok(api.get(f"/v1/members/{member_id}/message-preferences"))["wording"]["version"],
        }
        refused(api.patch(f"/v1/members/{member_id}/message-preferences", grant, headers=MERGE_PATCH), 409,
                "member-erased")  # fmt: skip
        assert ok(api.as_(None).call("POST", f"/v1/unsubscribe?token={token}"))["granted"] is False
        assert item_counts() == before

    def test_an_announcement_names_the_ids_that_are_no_members_and_goes_to_no_one_else(self, api, member):
        """Found by a probe: 4 real ids and a made-up one answered members 5, the fifth silently dropped."""
        member_id, _ = member
        body = {"title": "新品", "text": "新品到店", "member_ids": [member_id, "mb_nobody"]}
        answer = ok(api.post("/v1/notifications/announcements", body, headers={"idempotency-key": "ann-unknown"}), 202)
        assert (answer["members"], answer["unknown"]) == (1, ["mb_nobody"])
        nobody = {**body, "member_ids": ["mb_nobody"]}
        refused(api.post("/v1/notifications/announcements", nobody, headers={"idempotency-key": "ann-nobody"}), 422,
                "validation-failed")  # fmt: skip

    def test_an_announcement_is_addressed_by_the_member_numbers_staff_see(self, api, member):
        """Found by a walkthrough: marketing pasted the 会员号 of the member list and got them refused as ids."""
        member_id, _ = member
        number = ok(api.get(f"/v1/members/{member_id}"))["member_no"]
        body = {"title": "新品", "text": "新品到店", "member_nos": [number, "9999999999"]}
        answer = ok(api.post("/v1/notifications/announcements", body, headers={"idempotency-key": "ann-numbers"}), 202)
        assert (answer["members"], answer["unknown"]) == (1, ["9999999999"])
        both = {**body, "member_ids": [member_id], "member_nos": [number]}  # the same member twice: one message
        answer = ok(api.post("/v1/notifications/announcements", both, headers={"idempotency-key": "ann-both"}), 202)
        assert (answer["members"], answer["unknown"]) == (1, [])
        before = item_counts()
        for wrong in ({"title": "t", "text": "x"}, {"title": "t", "text": "x", "member_nos": ["9999999999"]}):
            key = {"idempotency-key": f"ann-{len(wrong)}"}
            refused(api.post("/v1/notifications/announcements", wrong, headers=key), 422, "validation-failed")
        assert item_counts() == before

    def test_granting_marketing_needs_the_wording_shown(self, member):
        _, client = member
        grant = {"consents": [{"channel": "sms", "purpose": "marketing", "granted": True}], "wording_version": "old"}
        refused(client.patch("/v1/me/message-preferences", grant, headers=MERGE_PATCH), 409, "stale-wording")
        assert ok(client.get("/v1/me/consent-history"))["items"] == []

    def test_two_answers_for_one_channel_and_purpose_are_refused(self, member):
        _, client = member
        version = ok(client.get("/v1/me/message-preferences"))["wording"]["version"]
        answers = [{"channel": "sms", "purpose": "marketing", "granted": granted} for granted in (True, False)]
        both = {"consents": answers, "wording_version": version}
        problem = refused(
            client.patch("/v1/me/message-preferences", both, headers=MERGE_PATCH), 422, "validation-failed"
        )
        assert problem["errors"][0]["field"] == "consents"
        assert ok(client.get("/v1/me/consent-history"))["items"] == []

    def test_consents_given_at_registration_and_by_staff_are_recorded_with_their_proof(self, aws, api):
        body = {
            "name": "王芳",
            "phone": "13900000002",
            "consents": {"sms": True},
            "consent_proof": {"given_at": "2019-03-08T14:20:00+08:00", "source": "old-crm"},
        }
        member_id = ok(api.post("/v1/members", body), 201)["member_id"]
        deliver(aws, "points")  # the consent ledger records the registration form's answers
        change = {
            "note": "会员到店口头要求",
            "consents": [{"channel": "sms", "purpose": "marketing", "granted": False}],
        }
        ok(api.patch(f"/v1/members/{member_id}/message-preferences", change, headers=MERGE_PATCH))
        deliver(aws, "points")  # the profile's copy follows

        history = ok(api.get(f"/v1/members/{member_id}/consent-history"))["items"]
        assert [(h["source"], h["granted"], h["note"]) for h in history] == [
            ("staff", False, "会员到店口头要求"),
            ("registration", True, "proof: old-crm"),
        ]
        assert history[1]["at"] == "2019-03-08T06:20:00.000Z"
        assert history[0]["actor"].startswith("staff:")
        assert ok(api.get(f"/v1/members/{member_id}"))["consents"]["sms"]["granted"] is False

    def test_staff_record_a_marketing_consent_only_with_the_member_there(self, aws, api, member):
        """A probe: a store manager switched marketing back on one request after the member switched it off, a note
        the only proof. Granting marketing takes the member's code; withdrawing and service messages do not."""
        member_id, _ = member
        manager = api.as_(token_for(["store_manager"], ("BJ-001",)))  # of another store: staff serve any member
        version = ok(api.get(f"/v1/members/{member_id}/message-preferences"))["wording"]["version"]
        grant = {"consents": [{"channel": "sms", "purpose": "marketing", "granted": True}], "note": "电话中同意",
                 "wording_version": version}  # fmt: skip
        before = item_counts()
        missing = refused(manager.patch(f"/v1/members/{member_id}/message-preferences", grant, headers=MERGE_PATCH),
                          422, "validation-failed")  # fmt: skip
        assert missing["errors"][0]["field"] == "member_code"
        assert item_counts() == before
        wrong = {**grant, "member_code": "0000000000000000"}
        refused(manager.patch(f"/v1/members/{member_id}/message-preferences", wrong, headers=MERGE_PATCH), 422,
                "member-code-not-current")  # fmt: skip
        assert item_counts() == {**before, "rates": before["rates"] + 2}  # a miss counted: for the member, the caller
        there = {**grant, "note": "会员到店出示会员码", "member_code": members.member_code(member_id).code}
        ok(manager.patch(f"/v1/members/{member_id}/message-preferences", there, headers=MERGE_PATCH))
        off = {"consents": [{"channel": "sms", "purpose": "marketing", "granted": False}], "note": "来电要求退订"}
        ok(manager.patch(f"/v1/members/{member_id}/message-preferences", off, headers=MERGE_PATCH))
        history = ok(api.get(f"/v1/members/{member_id}/consent-history"))["items"]
        assert [(h["granted"], h["note"]) for h in history[:2]] == [
            (False, "来电要求退订"),
            (True, "会员到店出示会员码"),
        ]

    def test_an_sms_reply_of_t_withdraws_marketing_on_sms(self, api, member, monkeypatch):
        member_id, client = member
        monkeypatch.setenv("LOYALTY_SMS_REPLY_TOKEN", "reply-token-reply-token")
        get_settings.cache_clear()
        profiles.change(member_id, [profiles.ConsentChange("sms", "marketing", True)], profiles.Proof("member-page"))
        reply = {
            "extend": "",
            "mobile": "13900000001",
            "nationcode": "86",
            "sign": "会员中心",
            "text": "T",
            "time": 1763600000,
        }
        raw = json.dumps(reply, ensure_ascii=False).encode()
        path = "/v1/notifications/sms-replies/tencent"
        refused(api.as_(None).call("POST", f"{path}?token=wrong", raw=raw), 401, "unauthenticated")
        answer = ok(api.as_(None).call("POST", f"{path}?token=reply-token-reply-token", raw=raw))
        get_settings.cache_clear()

        assert answer == {"result": 0, "errmsg": "OK", "opted_out": 1}
        [latest, *_] = ok(client.get("/v1/me/consent-history"))["items"]
        assert (latest["source"], latest["granted"], latest["channel"]) == ("sms-reply", False, "sms")

    def test_an_unsubscribe_link_withdraws_with_one_click(self, api, member):
        member_id, client = member
        profiles.change(member_id, [profiles.ConsentChange("email", "marketing", True)], profiles.Proof("member-page"))
        token = profiles.unsubscribe_token(member_id, "email")
        public = api.as_(None)
        assert ok(public.get(f"/v1/unsubscribe?token={token}")) == {
            "channel": "email",
            "purpose": "marketing",
            "granted": True,
        }
        form = {"content-type": "application/x-www-form-urlencoded"}
        one_click, page = service.unsubscribe_links(member_id, "email")  # what an email's List-Unsubscribe names
        assert (one_click.split("/v1/")[1], page.split("/m/#/")[1]) == (f"unsubscribe?token={token}",) * 2
        for _ in range(2):  # a mail client's one-click post (RFC 8058), twice, to the URL the email named
            answer = public.call("POST", "/v1/" + one_click.split("/v1/")[1], raw=b"List-Unsubscribe=One-Click",
                                 headers=form)  # fmt: skip
            assert ok(answer)["granted"] is False
        refused(public.get(f"/v1/unsubscribe?token={token[:-2]}xx"), 422, "validation-failed")
        sources = [h["source"] for h in ok(client.get("/v1/me/consent-history"))["items"]]
        assert sources == ["unsubscribe-link", "member-page"]


class TestTemplatesAndPolicy:
    def test_a_template_may_use_only_its_kinds_variables_and_is_used_once_saved(self, aws, api, partner, member):
        member_id, _ = member
        path = "/v1/notifications/templates/wallet-topped-up/sms"
        bad = {"words": {"zh-CN": {"title": "到账", "text": "充值{amount}元，积分{points}"}}}
        errors = refused(api.call("PUT", path, bad), 422, "validation-failed")["errors"]
        assert "points" in errors[0]["message"]
        good = {
            "words": {"zh-CN": {"title": "到账", "text": "【会员中心】充值{amount}元已到账"}},
            "provider_template": "1234567",
            "params": [["1", "amount"]],
        }
        saved = ok(api.call("PUT", path, good))
        assert saved["custom"] is True
        assert saved["params"] == [["1", "amount"]]
        with clock.frozen(NOON):
            top_up(api, partner, member_id, 5_000, "T-1")
            through(aws)
        assert [m.text for m in sent_to("0001")] == ["【会员中心】充值50.00元已到账"]
        assert ok(api.call("DELETE", path))["custom"] is False

    def test_a_marketing_sms_template_must_carry_its_opt_out_wording(self, api):
        body = {"words": {"zh-CN": {"title": "{title}", "text": "{text}"}}}
        refused(api.call("PUT", "/v1/notifications/templates/announcement/sms", body), 422, "validation-failed")
        body["words"]["zh-CN"]["text"] = "{text} 拒收请回复R"
        ok(api.call("PUT", "/v1/notifications/templates/announcement/sms", body))

    def test_quiet_hours_must_cover_the_night_providers_refuse_and_kinds_can_be_switched(
        self, aws, api, partner, member
    ):
        member_id, _ = member
        short = {"quiet_hours": {"start": "23:00", "end": "07:00"}}
        refused(api.patch("/v1/notifications/policy", short, headers=MERGE_PATCH), 428, "precondition-required")
        refused(api.patch("/v1/notifications/policy", short, headers=POLICY_PATCH), 422, "validation-failed")
        policy = ok(
            api.patch(
                "/v1/notifications/policy",
                {
                    "quiet_hours": {"start": "20:00", "end": "10:00"},
                    "kinds": {"wallet-topped-up": {"enabled": False, "channels": ["sms"]}},
                },
                headers=POLICY_PATCH,
            )
        )
        assert policy["quiet_hours"] == {"start": "20:00", "end": "10:00"}
        login = {"kinds": {"login-code": {"enabled": False, "channels": ["sms"]}}}
        refused(api.patch("/v1/notifications/policy", login, headers=POLICY_PATCH), 422, "validation-failed")
        with clock.frozen(NOON):
            top_up(api, partner, member_id, 5_000, "T-1")
            through(aws)
        [message] = messages_of(member_id)
        assert (message.status, message.reason) == ("suppressed", "disabled")

    def test_only_marketing_and_admins_change_templates_and_policy(self, api):
        cashier = api.as_(token_for(["cashier"]))
        refused(cashier.get("/v1/notifications/templates"), 403, "forbidden")
        marketing = api.as_(token_for(["marketing"]))
        ok(marketing.get("/v1/notifications/templates"))
        service = api.as_(token_for(["customer_service"]))
        refused(
            service.patch("/v1/notifications/policy", {"max_delay_hours": 5}, headers=POLICY_PATCH), 403, "forbidden"
        )


class TestDelivery:
    def test_provider_throttling_is_retried_and_a_refusal_is_recorded_with_its_reason(
        self, aws, api, partner, member, monkeypatch
    ):
        member_id, _ = member
        answers = [channels.Throttled("throttled", "LimitExceeded.PhoneNumberThirtySecondLimit", 30), "serial-1"]
        hidden = []
        monkeypatch.setattr(sqs, "hide_for", lambda queue, entries: hidden.append((queue, entries)))

        class Flaky:
            name = "tencent-sms"

            def send(self, delivery):
                answer = answers.pop(0)
                if isinstance(answer, Exception):
                    raise answer
                return answer

        monkeypatch.setattr(channels, "sender_for", lambda channel: Flaky())
        with clock.frozen(NOON):
            top_up(api, partner, member_id, 5_000, "T-1")
            deliver(aws, "notifications")  # decided
            failed = _deliver_reporting(aws)  # the send: throttled, so the queue keeps it
            [message] = messages_of(member_id)
            assert failed
            assert (message.status, message.attempts) == ("queued", 1)
            assert "LimitExceeded" in message.last_error
            [(queue, [(handle, seconds)])] = hidden  # back after the provider's 30 s at the least, not at once
            assert (queue, handle, seconds) == ("notifications", failed[0]["receiptHandle"], 30)
            _deliver_again(failed)
        [message] = messages_of(member_id)
        assert (message.status, message.provider_id, message.sent_via) == ("sent", "serial-1", "tencent-sms")

        refusal = channels.Rejected("invalid-address", "InvalidParameterValue.IncorrectPhoneNumber")
        monkeypatch.setattr(channels, "sender_for", lambda channel: _Refusing(refusal))
        with clock.frozen(NOON):
            top_up(api, partner, member_id, 5_000, "T-2")
            through(aws)
        failed_one = next(m for m in messages_of(member_id) if m.status == "failed")
        assert failed_one.reason == "invalid-address"
        report = ok(api.get("/v1/notifications/report?day=2026-11-20"))["kinds"]
        assert report == [
            {
                "kind": "wallet-topped-up",
                "outcomes": {"queued": 2, "sent": 1, "failed": 1},
                "reasons": {"failed:invalid-address": 1},
            }
        ]
        unsent = ok(api.get("/v1/notifications/unsent?day=2026-11-20&kind=wallet-topped-up"))["items"]
        assert [(m["status"], m["reason"]) for m in unsent] == [("failed", "invalid-address")]


class _Refusing:
    name = "tencent-sms"

    def __init__(self, error):
        self.error = error

    def send(self, delivery):
        raise self.error


def _deliver_reporting(aws):
    """Hand the notifications queue's messages to its handler once; return the failed ones' records."""
    from tests.conftest import emulator_client, stream_records

    handlers.outbox_relay({"Records": stream_records()}, None)
    sqs = emulator_client("sqs")
    batch = []
    while found := sqs.receive_message(
        QueueUrl=aws.queue_urls["notifications"], MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages"):
        batch += [{"messageId": m["MessageId"], "body": m["Body"], "receiptHandle": m["ReceiptHandle"],
                   "attributes": m.get("Attributes", {})} for m in found]  # fmt: skip
    failures = handlers.notification_events({"Records": batch}, None)["batchItemFailures"]
    failed_ids = {f["itemIdentifier"] for f in failures}
    return [record for record in batch if record["messageId"] in failed_ids]


def test_a_message_hidden_for_its_backoff_returns_when_it_ends(aws):
    """What a retried consumer asks of SQS: the received message stays hidden as long as told (here: not at all)."""
    from tests.conftest import emulator_client

    sqs_client, url = emulator_client("sqs"), aws.queue_urls["notifications"]
    sqs_client.send_message(QueueUrl=url, MessageBody="{}")
    [first] = sqs_client.receive_message(QueueUrl=url)["Messages"]
    assert sqs_client.receive_message(QueueUrl=url).get("Messages") is None  # hidden for the queue's 120 s
    sqs.hide_for("notifications", [(first["ReceiptHandle"], 0)])
    [again] = sqs_client.receive_message(QueueUrl=url)["Messages"]
    assert again["MessageId"] == first["MessageId"]
    sqs_client.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])


def _deliver_again(records):
    assert handlers.notification_events({"Records": records}, None) == {"batchItemFailures": []}


def test_a_member_reads_the_inbox_once_and_the_unread_count_stays_exact(aws, api, partner, member):
    member_id, client = member
    with clock.frozen(NOON):
        top_up(api, partner, member_id, 1_000, "T-1")
        top_up(api, partner, member_id, 1_000, "T-2")
        through(aws)
    items = ok(client.get("/v1/me/inbox"))["items"]
    first = items[0]["message_id"]
    for _ in range(2):
        assert ok(client.post(f"/v1/me/inbox/{first}/read"))["read_at"] is not None
    assert ok(client.get("/v1/me/inbox?unread_only=true"))["unread"] == 1
    assert ok(client.post("/v1/me/inbox/read-all")) == {"marked": 1, "unread": 0}
    other_id, other_token = member_token("13900000009")
    refused(api.as_(other_token).post(f"/v1/me/inbox/{first}/read"), 404, "not-found")
    history = ok(api.get(f"/v1/members/{member_id}/messages"))["items"]
    assert [m["status"] for m in history] == ["sent", "sent"]
    assert history[0]["sent_to"] == "139****0001"
    assert other_id not in {m["member_id"] for m in history}


def test_a_dead_lettered_message_is_redriven_to_its_queue_and_sent(aws, api, partner, member):
    """A message that kept failing waits in the dead-letter queue; once the cause is fixed, `cli queues redrive`
    hands it back and it is sent, once."""
    from chalicelib.shared.sqs import redrive
    from chalicelib.shared.topology import dead_letter_name
    from tests.conftest import PREFIX, emulator_client

    member_id, _ = member
    with clock.frozen(NOON):
        top_up(api, partner, member_id, 1_000, "T-1")
        deliver(aws, "notifications")  # decided; its send request waits in the outbox
    [requested] = [json.loads(envelope) for envelope in _outbox_envelopes() if "notification.requested" in envelope]
    sqs = emulator_client("sqs")
    dlq = sqs.get_queue_url(QueueName=dead_letter_name(PREFIX, "notifications"))["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(requested))

    assert redrive("notifications") == 1
    assert sqs.receive_message(QueueUrl=dlq).get("Messages") is None
    found = sqs.receive_message(QueueUrl=aws.queue_urls["notifications"], MaxNumberOfMessages=10)["Messages"]
    batch = [{"messageId": m["MessageId"], "body": m["Body"]} for m in found]
    with clock.frozen(NOON):
        assert handlers.notification_events({"Records": batch}, None) == {"batchItemFailures": []}
    assert [m.status for m in messages_of(member_id)] == ["sent"]


def _outbox_envelopes():
    return [json.dumps(e) for e in published_envelopes()]


# every event that concerns a member, as its domain emits it, and the words its message carries
TRIGGERS = [
    (
        "points.adjusted",
        {
            "points": 200,
            "seq": 5,
            "balance_after": 330,
            "type": "adjust",
            "source_kind": "import",
            "source_id": "2026-11 会员日奖励",
            "reason": "11月会员日奖励",
        },
        "points-adjusted",
        "11月会员日奖励：积分+200，当前可用330积分。",
    ),
    (
        "points.redeemed",
        {
            "points": -500,
            "seq": 6,
            "balance_after": 80,
            "type": "redeem",
            "source_kind": "redemption",
            "source_id": "rd_1",
            "reason": "兑换 50 元代金券",
        },
        "points-redeemed",
        "您使用了500积分（兑换 50 元代金券），当前可用80积分。",
    ),
    (
        "feedback.closed",
        {"feedback_id": "fb_1", "replied": True},
        "feedback-replied",
        "您提交的意见反馈已有回复",
    ),
    (
        "points.earned",
        {
            "points": 30,
            "seq": 4,
            "balance_after": 130,
            "type": "earn",
            "source_kind": "purchase",
            "source_id": "o-1",
            "reason": "消费",
        },
        "points-earned",
        "您获得30积分，当前可用130积分。",
    ),
    (
        "points.expiring",
        {"expires_on": "2026-11-27", "points": 40},
        "points-expiring",
        "您有40积分将于2026年11月27日过期",
    ),
    (
        "points.expired",
        {
            "points": -40,
            "seq": 9,
            "balance_after": 0,
            "type": "expire",
            "source_kind": "expiry",
            "source_id": "2026-11-19",
            "reason": "过期",
        },
        "points-expired",
        "您有40积分已过期，积分余额0。",  # what is left said (a retail chain's walkthrough)
    ),
    (
        "points.clawed-back",  # a refund's, more than was available (a retail chain's walkthrough: not said)
        {
            "points": -4200,
            "seq": 12,
            "balance_after": -1700,
            "type": "refund",
            "source_kind": "refund",
            "source_id": "rf_1",
            "reason": "退款扣回积分",
            "lots": [["2027-12-31", -2500]],
        },
        "points-clawed-back",
        "因订单退款，已扣回该订单所得4200积分，其中1700积分因可用积分不足，将从之后获得的积分中抵扣。",
    ),
    (
        "tier.changed",
        {
            "change_id": "tc-1",
            "tier": "gold",
            "previous": "silver",
            "reason": "upgrade",
            "gift_points": 200,
            "programme_version": 1,
            "tier_name_zh": "黄金会员",
            "tier_name_en": "Gold",
        },
        "tier-upgraded",
        "恭喜您升级为黄金会员！升级礼200积分已到账。",  # its gift said (a retail chain's walkthrough)
    ),
    (
        "tier.changed",
        {
            "change_id": "tc-2",
            "tier": "silver",
            "previous": "gold",
            "reason": "downgrade",
            "gift_points": 0,
            "programme_version": 1,
        },
        "tier-downgraded",
        "您的会员等级已由gold调整为silver。",
    ),
    (
        "tier.changed",  # a new programme moved the member (a retail chain's walkthrough: silent)
        {
            "change_id": "tc-6",
            "tier": "gold",
            "previous": "diamond",
            "reason": "programme",
            "gift_points": 0,
            "programme_version": 2,
            "tier_name_zh": "黄金会员",
            "previous_name_zh": "钻石会员",
        },
        "tier-adjusted",
        "因会员等级体系调整，您的会员等级已由钻石会员调整为黄金会员。",
    ),
    (
        "tier.changed",  # a refund undid the upgrade it caused: found by a member's walkthrough, nothing was said
        {
            "change_id": "tc-3",
            "tier": "silver",
            "previous": "gold",
            "reason": "refund",
            "gift_points": 300,
            "programme_version": 1,
            "tier_name_zh": "白银会员",
            "tier_name_en": "Silver",
            "undoes": [{"change_id": "tc-1", "tier": "gold", "previous": "silver"}],
        },
        "tier-refunded",
        "因订单退款，您的会员等级已调整为白银会员，升级礼300积分已扣回。",
    ),
    (
        "activity.recorded",
        {"kind": "birthday", "points": 400, "limited": False, "activity_key": "birthday#m:2027", "tier": "gold"},
        "birthday-gift",
        "您的生日礼400积分已到账",
    ),
    (
        "tier.downgrade-warning",
        {
            "tier": "gold",
            "valid_until": "2026-12-31",
            "review_on": "2027-01-16",
            "metric": "paid_fen",
            "missing": 120_000,
            "programme_version": 1,
        },
        "tier-downgrade-warning",
        "您的gold等级有效期至2026年12月31日，有效期内再消费1200.00元即可保级，将于2027年1月16日复核。",
    ),
    (
        "coupon.issued",
        {
            "code": "C0DE",
            "template_id": "ct_1",
            "name": "满100减10",
            "valid_until": "2026-12-31",
            "source_kind": "claim",
            "face_value_fen": 1_000,
        },
        "coupon-issued",
        "您获得一张优惠券：满100减10",
    ),
    (
        "coupon.transferred",  # 转赠: the giver hears their friend took it
        {
            "code": "C0DE",
            "to_code": "N3W",
            "template_id": "ct_1",
            "name": "满100减10",
            "to_member_id": "mb_2",
            "valid_until": "2026-12-31",
            "face_value_fen": 1_000,
        },
        "coupon-transferred",
        "您送出的优惠券「满100减10」已被好友领取。",
    ),
    (
        "membership.benefit-used",  # 消课提醒 (a salon's walkthrough: a member heard nothing of a use)
        {
            "benefit_id": "facial",
            "use_id": "U-1",
            "source": "card:mc_1",
            "remaining": 8,
            "benefit_name": "面部护理",
            "store_id": "SH-001",
        },
        "benefit-used",
        "您使用了「面部护理」1次，本期还剩8次。如非您或家人使用",  # an event from before it named its store
    ),
    (
        "membership.benefit-use-reversed",  # a use taken back (an education chain's walkthrough: the last text
        {"benefit_id": "facial", "use_id": "U-1", "remaining": 9, "benefit_name": "面部护理"},  # said one fewer)
        "benefit-use-reversed",
        "您的「面部护理」使用记录已撤销1次，次数已退回，现有9次。",
    ),
    (
        "membership.card-expiring",  # what a 次卡's ending would lose (a salon's walkthrough)
        {
            "card_id": "mc_1",
            "plan_id": "p1",
            "plan_name": "面部护理10次卡",
            "valid_until": "2027-01-03",
            "days_left": 7,
            "uses_left": [{"benefit": "面部护理", "left": 8}],
        },
        "membership-expiring",
        "（还剩7天），面部护理还剩8次未使用（到期作废，续费不结转），续费后权益不中断。",
    ),
    (
        "membership.term-ending",  # a term renewed ahead ends with its own classes (an education chain's walkthrough)
        {
            "card_id": "mc_1",
            "plan_id": "p1",
            "plan_name": "美术24课时",
            "valid_until": "2027-08-31",
            "term_ends_on": "2027-05-31",
            "uses_left": [{"benefit": "美术课", "left": 22}],
        },
        "membership-term-ending",
        "本期将于2027年5月31日结束，美术课还剩22次，到期后不转入已续的下一期",
    ),
    (
        "membership.card-cancelled",  # where the refund goes (a walkthrough: the text said not)
        {
            "card_id": "mc_1",
            "plan_id": "p1",
            "cancel_id": "C-1",
            "plan_name": "面部护理10次卡",
            "refund_fen": 219_583,
            "parts": [{"payment_id": "P-1", "amount_fen": 219_583, "method": "counter", "partner_id": None}],
            "wallet_partner": "membership",
            "packs_taken_back": [],
        },
        "membership-cancelled",
        "您的面部护理10次卡已退卡，退款2195.83元，由门店按原支付方式退还。",
    ),
    (
        "membership.card-lapsed",  # a pack refunded by uses: what is left is still the member's (a fitness chain)
        {
            "card_id": "mc_2",
            "plan_id": "p2",
            "plan_name": "20次卡",
            "valid_until": "2027-06-04",
            "lapsed_on": "2027-06-05",
            "uses_left": [{"benefit": "入场", "left": 18, "refundable": True}],
        },
        "membership-lapsed",
        "您的20次卡已过期，相关权益已停止（未使用的入场18次仍可到店申请退还）；续费将开通新的一期。",
    ),
    (
        "membership.card-paid",  # a card waiting for the first visit: no end yet, the day it starts by itself
        {
            "card_id": "mc_3",
            "plan_id": "p3",
            "payment_id": "P-3",
            "plan_name": "通店年卡",
            "kind": "purchase",
            "amount_fen": 365_000,
            "valid_until": "2028-01-03",
            "starts_on": "2027-01-04",
        },
        "membership-card-waiting",
        "您的通店年卡已购买，首次到店时开卡起算，最迟2027年1月4日自动开卡。",
    ),
    (
        "membership.card-activated",  # opened at the till: its end (a walkthrough's member kept the provisional one)
        {
            "card_id": "mc_3",
            "plan_id": "p3",
            "plan_name": "通店年卡",
            "started_on": "2026-12-08",
            "valid_until": "2027-12-07",
            "moved_payments": [],
        },
        "membership-activated",
        "您的通店年卡已开卡，有效期至2027年12月7日。",
    ),
    (
        "membership.card-paused",  # 停卡: the days and the end moved (a fitness chain's walkthrough)
        {
            "card_id": "mc_1",
            "plan_id": "p1",
            "pause_id": "PZ-1",
            "plan_name": "健身年卡",
            "first_day": "2027-03-10",
            "last_day": "2027-04-08",
            "days": 30,
            "valid_until": "2028-03-30",
            "moved_payments": [],
        },
        "membership-paused",
        "您的健身年卡已停卡30天（2027年3月10日至2027年4月8日），期间权益暂停，到期日顺延至2028年3月30日。",
    ),
    (
        "coupon.expiring",
        {"code": "C0DE", "template_id": "ct_1", "name": "满30减5", "valid_until": "2026-11-23"},
        "coupon-expiring",
        "您的优惠券「满30减5」将于2026年11月23日过期",  # which one (an F&B walkthrough read "one of your coupons")
    ),
    (
        "mall.order-shipped",
        {
            "order_id": "mo_1",
            "reward_id": "rw_1",
            "kind": "goods",
            "quantity": 1,
            "points": 300,
            "cash_fen": 0,
            "status": "shipped",
            "action": "ship",
        },
        "mall-order-shipped",
        "mo_1已发货",
    ),
    (
        "mall.order-ready-for-pickup",
        {
            "order_id": "mo_2",
            "reward_id": "rw_1",
            "kind": "goods",
            "quantity": 1,
            "points": 300,
            "cash_fen": 0,
            "status": "ready_for_pickup",
            "action": "place",
            "pickup_store_id": "SH-001",
        },
        "mall-order-ready",
        "mo_2已可到门店自提",
    ),
    (
        "mall.order-pickup-due",  # told before it is cancelled (a retail chain's walkthrough: no word)
        {"order_id": "mo_4", "reward_name": "帆布袋", "pickup_store_id": "SH-001", "cancel_on": "2026-12-31"},
        "mall-order-pickup-due",
        "您兑换的帆布袋还在门店等您自提，请于2026年12月31日前领取",
    ),
    (
        "mall.order-cancelled",
        {
            "order_id": "mo_3",
            "reward_id": "rw_1",
            "points": 300,
            "status": "cancelled",
            "action": "cancel",
            "reward_name": "品牌帆布袋",
            "by": "system",
            "why": "超过 30 天未提货，自动取消",
        },
        "mall-order-cancelled",
        "品牌帆布袋订单已取消（超过 30 天未提货，自动取消），300积分已退回",
    ),
]


def test_every_trigger_reaches_the_member_once_through_the_whole_pipeline(aws, api, member):
    """Each event type that concerns a member, delivered three times over: one text each, with its words, and a copy
    in the inbox. Points earned are off by default: switched on here."""
    member_id, client = member
    ok(
        api.patch(
            "/v1/notifications/policy",
            {
                "kinds": {
                    "points-earned": {"enabled": True, "channels": ["sms"]},
                    "tier-adjusted": {"enabled": True, "channels": ["sms"]},
                    "points-adjusted": {"enabled": True, "channels": ["sms"]},
                }
            },  # fmt: skip  (all three off by default)
            headers=POLICY_PATCH,
        )
    )
    with clock.frozen(NOON):
        for event_type, payload, _, _ in TRIGGERS:
            _emit(event_type, member_id, {"member_id": member_id, **payload})
        through(aws, times=3)

    sent = {m.kind: m for m in messages_of(member_id)}
    assert sorted(sent) == sorted(kind for _, _, kind, _ in TRIGGERS)
    assert {m.status for m in sent.values()} == {"sent"}
    texts = [m.text for m in sent_to("0001")]
    assert len(texts) == len(TRIGGERS)
    for _, _, kind, words in TRIGGERS:
        assert words in sent[kind].text, (kind, sent[kind].text)
    assert ok(client.get("/v1/me/inbox?limit=50"))["unread"] == len(TRIGGERS)


def test_an_erased_member_s_devices_are_forgotten(aws, api, member):
    member_id, client = member
    ok(client.post("/v1/me/devices", {"platform": "fcm", "token": "device-token-0001"}), 201)
    assert len(ok(client.get("/v1/me/message-preferences"))["devices"]) == 1
    ok(api.call("DELETE", f"/v1/members/{member_id}"), 204)
    through(aws)
    assert profiles.profile(member_id).devices == []


class TestAfterReview:
    def test_a_member_who_joined_in_english_is_written_in_english_before_their_profile_says_so(self, aws, api, partner):
        """A message caused by the joining (a registration coupon's) may be decided before the consumer that puts the
        language joined in on the messaging profile has run: it came in Chinese. The member record keeps that
        language, and a profile the member has written still decides."""
        from chalicelib.members import service as members
        from chalicelib.members.schemas import MemberCreate

        joined, _ = members.register(MemberCreate(name="Ann Lee", phone="13900000002", language="en"))
        chose, _ = members.register(MemberCreate(name="Bo Li", phone="13900000003", language="en"))
        pushed, _ = members.register(MemberCreate(name="Cy Wu", phone="13900000004", language="en"))
        profiles.change(chose, [], profiles.Proof("member-page"), "zh-CN")
        profiles.add_device(pushed, "fcm", "device-token-0004")  # an app's token, recorded before the language
        with clock.frozen(NOON):
            for member_id in (joined, chose, pushed):
                top_up(api, partner, member_id, 10_000, f"T-{member_id}")
            through(aws)  # the notifications queue only: the profiles' consumer has not run
        assert profiles.profile(joined).version == 0
        english = "You topped up 100.00 CNY; your balance is 100.00 CNY."  # no "(+0.00 bonus)" without a plan
        assert [m.text for m in sent_to("0002")] == [english]
        assert [m.text for m in sent_to("0003")] == ["您已充值100.00元，当前余额100.00元。"]
        assert [(m.language, m.text) for m in messages_of(pushed)] == [("en", english)]
        deliver(aws, "points")  # the profiles' consumer: the language joined in, where none was recorded
        assert [profiles.profile(m).language for m in (joined, chose, pushed)] == ["en", "zh-CN", "en"]

    def test_a_coupon_staff_gave_is_marketing_and_reaches_only_those_who_consented(self, aws, api, member):
        """Found by a probe: a template named 双12全场5折！回复Y抢购 issued to a member who had declined marketing went
        out as a service text, past their consent, the caps and the opt-out wording."""
        member_id, _ = member
        advert = {"code": "GIFT1", "template_id": "ct_1", "name": "双12全场5折！回复Y抢购", "valid_until": "2026-12-31",
                  "face_value_fen": 1, "member_id": member_id}  # fmt: skip
        with clock.frozen(NOON):
            for source_kind in ("staff", "batch"):
                _emit("coupon.issued", member_id, {**advert, "code": source_kind, "source_kind": source_kind})
            through(aws)
        assert {(m.kind, m.status, m.reason) for m in messages_of(member_id)} == {
            ("coupon-gift", "suppressed", "no-consent")}  # fmt: skip
        assert sent_to("0001") == []
        profiles.change(member_id, [profiles.ConsentChange("sms", "marketing", True)], profiles.Proof("member-page"))
        with clock.frozen(NOON):
            _emit("coupon.issued", member_id, {**advert, "code": "GIFT2", "source_kind": "staff"})
            through(aws)
        (text,) = [m.text for m in sent_to("0001")]
        assert "双12全场5折" in text
        assert text.endswith("拒收请回复R")

    @staticmethod
    def _replied_t(api, member_id):
        profiles.change(member_id, [profiles.ConsentChange("sms", "marketing", False)], profiles.Proof("sms-reply"))

    @staticmethod
    def _frozen(api, member_id):  # a probe: an announcement held through the night went out to a frozen member
        etag = api.get(f"/v1/members/{member_id}").headers["etag"]
        ok(api.patch(f"/v1/members/{member_id}", {"status": "frozen"}, headers={**MERGE_PATCH, "if-match": etag}))

    @pytest.mark.parametrize(("overnight", "reason"), [("_replied_t", "opted-out"), ("_frozen", "member-frozen")])
    def test_a_held_marketing_message_is_not_sent_once_what_allowed_it_changed_overnight(
        self, aws, api, member, overnight, reason
    ):
        """Consent, and the membership not frozen, are asked again when a held message is released."""
        member_id, _ = member
        profiles.change(member_id, [profiles.ConsentChange("sms", "marketing", True)], profiles.Proof("member-page"))
        body = {"title": "早鸟", "text": "明早8折", "member_ids": [member_id]}
        ok(api.post("/v1/notifications/announcements", body, headers={"idempotency-key": "announce-early-bird"}), 202)
        with clock.frozen(NIGHT):
            through(aws)
        assert [m.status for m in messages_of(member_id)] == ["held"]
        getattr(self, overnight)(api, member_id)
        with clock.frozen(datetime(2026, 11, 21, 9, 15, tzinfo=TZ)):
            run_job(notification_jobs.release_held_messages, clock.business_today())
            through(aws)
        [message] = messages_of(member_id)
        assert (message.status, message.reason) == ("suppressed", reason)
        assert sent_to("0001") == []

    def test_a_late_release_in_the_next_nights_quiet_hours_holds_it_again_or_drops_it(self, aws, api, member):
        """A probe: the release job running late (a test clock moved on) sent held messages at 05:42, inside the
        quiet hours. A release that finds them begun holds the message until they end, or, past its send-by, drops it
        as too late."""
        member_id, _ = member
        with clock.frozen(NIGHT):  # held until 09:00, to go by 00:30 the night after (the longest hold: 24 hours)
            _emit("points.expiring", member_id, {"member_id": member_id, "expires_on": "2027-12-31", "points": 9})
            through(aws)
        with clock.frozen(datetime(2026, 11, 21, 21, 45, tzinfo=TZ)):  # the release ran late, in the quiet hours
            run_job(notification_jobs.release_held_messages, clock.business_today())
            through(aws, times=2)
        [message] = messages_of(member_id)
        assert (message.status, message.reason) == ("suppressed", "too-late")
        ok(api.patch("/v1/notifications/policy", {"max_delay_hours": 72}, headers=POLICY_PATCH))
        with clock.frozen(NIGHT):
            _emit("points.expiring", member_id, {"member_id": member_id, "expires_on": "2027-12-30", "points": 8})
            through(aws)
        with clock.frozen(datetime(2026, 11, 22, 5, 42, tzinfo=TZ)):  # late again: held until 09:00, within 72 hours
            run_job(notification_jobs.release_held_messages, clock.business_today())
            through(aws, times=2)
            held = [m for m in messages_of(member_id) if m.status == "held"]
            assert [m.release_at for m in held] == [clock.iso(datetime(2026, 11, 22, 9, 0, tzinfo=TZ))]
        assert sent_to("0001") == []
        with clock.frozen(datetime(2026, 11, 22, 9, 15, tzinfo=TZ)):
            run_job(notification_jobs.release_held_messages, clock.business_today())
            through(aws, times=2)
        [text] = sent_to("0001")
        assert "8积分" in text.text

    def test_a_pickup_message_names_the_store_to_collect_at(self, aws, api, member):
        """An education chain's walkthrough: a parent was told an exchange was ready without which centre."""
        member_id, _ = member
        ok(api.post("/v1/stores", {"store_id": "HZ-01", "name": "杭州西湖中心", "city": "杭州", "region": "华东"}), 201)
        ready = {"order_id": "mo_9", "reward_name": "帆布袋", "status": "ready_for_pickup", "pickup_store_id": "HZ-01"}
        with clock.frozen(NOON):
            _emit("mall.order-ready-for-pickup", member_id, {"member_id": member_id, **ready})
            through(aws, times=2)
        [text] = [m.text for m in sent_to("0001")]
        assert "帆布袋已可到杭州西湖中心自提" in text

    def test_a_retried_announcement_is_sent_once(self, aws, api, member):
        member_id, _ = member
        body = {"title": "重试", "text": "只发一次", "member_ids": [member_id]}
        first = ok(
            api.post("/v1/notifications/announcements", body, headers={"idempotency-key": "announce-retry"}), 202
        )
        again = ok(
            api.post("/v1/notifications/announcements", body, headers={"idempotency-key": "announce-retry"}), 202
        )
        assert again == first
        refused(api.post("/v1/notifications/announcements", body), 428, "precondition-required")
        with clock.frozen(NOON):
            through(aws)
        assert len([m for m in messages_of(member_id) if m.kind == "announcement"]) == 1

    def test_templates_take_plain_variables_and_a_login_code_needs_its_code(self, api):
        formatted = {"words": {"zh-CN": {"title": "到账", "text": "余额{balance:.2f}元"}}}
        refused(api.call("PUT", "/v1/notifications/templates/wallet-paid/sms", formatted), 422, "validation-failed")
        no_code = {"words": {"zh-CN": {"title": "验证码", "text": "请在{minutes}分钟内登录"}}}
        refused(api.call("PUT", "/v1/notifications/templates/login-code/sms", no_code), 422, "validation-failed")
        assert ok(api.post("/v1/auth/otp", {"phone": "+8613900000005"}), 202)  # codes still go out

    def test_an_edit_of_one_channel_does_not_bring_back_a_consent_withdrawn_elsewhere(self, aws, api):
        body = {"name": "赵六", "phone": "13900000006", "consents": {"sms": True, "email": True}}
        member_id = ok(api.post("/v1/members", body), 201)["member_id"]
        deliver(aws, "points")  # the ledger records the registration's consents
        profiles.change(member_id, [profiles.ConsentChange("sms", "marketing", False)], profiles.Proof("sms-reply"))
        version = ok(api.get(f"/v1/members/{member_id}"))["version"]
        headers = {**MERGE_PATCH, "if-match": f'"{version}"'}
        ok(api.patch(f"/v1/members/{member_id}", {"consents": {"email": False}}, headers=headers))
        deliver(aws, "points")  # the edit (whose profile still shows sms granted) and the copy of the reply

        states = profiles.profile(member_id).states()
        assert states["sms:marketing"] is False
        assert states["email:marketing"] is False
        latest = ok(api.get(f"/v1/members/{member_id}/consent-history"))["items"][0]
        assert (latest["channel"], latest["source"], latest["actor"][:6]) == ("email", "staff", "staff:")

    def test_two_notices_of_one_event_share_the_wechat_grants_they_have(self, aws, api, partner, member):
        member_id, client = member
        ok(client.post("/v1/me/wechat-grants", {"openid": "oUpF8uMuAJO_M2pxb1Q9", "template_ids": ["tpl-account"]}))
        for kind in ("wallet-paid", "wallet-low-balance"):
            words = {
                "words": {"zh-CN": {"title": "账户变动", "text": "余额{balance}元"}},
                "provider_template": "tpl-account",
            }
            ok(api.call("PUT", f"/v1/notifications/templates/{kind}/wechat", words))
        kinds = {
            kind: {"enabled": True, "channels": ["wechat", "sms"]} for kind in ("wallet-paid", "wallet-low-balance")
        }
        ok(api.patch("/v1/notifications/policy", {"kinds": kinds}, headers=POLICY_PATCH))
        with clock.frozen(NOON):
            top_up(api, partner, member_id, 3_000, "T-1")
            pay(api, partner, member_id, 2_000, "P-1")
            through(aws)
        channels_of = {m.kind: m.channel for m in messages_of(member_id) if m.kind != "wallet-topped-up"}
        assert sorted(channels_of.values()) == ["sms", "wechat"]  # one grant: one of them on WeChat
        assert profiles.profile(member_id).wechat_grants == {"tpl-account": 0}
