"""Channel rules in plain code: opt-out replies, reply callbacks, error tables, and sender settings."""

import json
from datetime import UTC, datetime

import pytest

from chalicelib.notifications.channels.delivery import Failure, Rejected, Throttled, Transient, failure_for
from chalicelib.notifications.channels.replies import ForgedCallback, InvalidReply, Reply, is_opt_out, parse_replies
from chalicelib.notifications.channels.tencent_sms import ERRORS as TENCENT_ERRORS
from chalicelib.shared.settings import SettingsError, load_settings

TOKEN = "cb-token-7f3a9c"
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("reply", ["T", "t", "TD", " td ", "ＴＤ", "R", "N", "退订", "退订。", "STOP", "Unsubscribe!"])
def test_a_reply_of_one_refusal_word_opts_out_in_any_case_or_width(reply):
    assert is_opt_out(reply)


@pytest.mark.parametrize("reply", ["", "谢谢", "TDD", "T恤还有货吗", "please stop by", "好的"])
def test_a_reply_that_only_contains_a_refusal_letter_does_not_opt_out(reply):
    assert not is_opt_out(reply)


def tencent_body(**changes: object) -> bytes:
    body = {"extend": "", "mobile": "13800138000", "nationcode": "86", "sign": "会员中心", "text": "TD",
            "time": 1767225600, **changes}  # fmt: skip
    return json.dumps(body, ensure_ascii=False).encode()


def test_a_tencent_reply_names_the_phone_in_e164_and_the_time_it_came():
    [reply] = parse_replies("tencent", JSON, tencent_body(), TOKEN, url_token=TOKEN)

    assert reply == Reply("+8613800138000", "TD", datetime(2026, 1, 1, tzinfo=UTC), "会员中心")


def test_aliyun_pushes_replies_in_a_batch_in_beijing_time():
    body = json.dumps([
        {"phone_number": "13800138000", "content": "退订", "send_time": "2026-01-01 08:00:00", "dest_code": "1234",
         "sequence_id": "1"},
        {"phone_number": "8613900139000", "content": "好", "send_time": "2026-01-01 09:30:00", "dest_code": "1234",
         "sequence_id": "2", "sign_name": "会员中心"},
    ], ensure_ascii=False).encode()  # fmt: skip

    replies = parse_replies("aliyun", JSON, body, TOKEN, url_token=TOKEN)

    assert replies == [
        Reply("+8613800138000", "退订", datetime(2026, 1, 1, 0, 0, tzinfo=UTC), None),
        Reply("+8613900139000", "好", datetime(2026, 1, 1, 1, 30, tzinfo=UTC), "会员中心"),
    ]


@pytest.mark.parametrize("presented", [None, "", "cb-token-7f3a9d", TOKEN + "x"])
def test_a_callback_without_our_url_token_is_refused(presented):
    with pytest.raises(InvalidReply, match="token"):
        parse_replies("tencent", JSON, tencent_body(), TOKEN, url_token=presented)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", tencent_body(mobile="138-0013"), tencent_body(time="yesterday"), b'{"mobile": "1"}'],
)
def test_a_tencent_callback_of_the_wrong_shape_is_refused(body):
    with pytest.raises(InvalidReply):
        parse_replies("tencent", JSON, body, TOKEN, url_token=TOKEN)


def test_an_aliyun_reply_from_a_number_that_is_not_a_mainland_mobile_is_refused():
    body = json.dumps([{"phone_number": "4915112345678", "content": "T", "send_time": "2026-01-01 08:00:00"}]).encode()

    with pytest.raises(InvalidReply, match="mainland"):
        parse_replies("aliyun", JSON, body, TOKEN, url_token=TOKEN)


def test_an_unknown_provider_is_refused():
    with pytest.raises(InvalidReply, match="unknown"):
        parse_replies("yunpian", JSON, tencent_body(), TOKEN, url_token=TOKEN)


def test_an_error_code_is_read_by_its_own_entry_before_its_prefix():
    assert failure_for("LimitExceeded.PhoneNumberThirtySecondLimit", TENCENT_ERRORS).retry_after == 30
    assert isinstance(failure_for("LimitExceeded.AppDailyLimit", TENCENT_ERRORS), Throttled)
    assert isinstance(failure_for("InternalError.RestApiInterfaceNotExist", TENCENT_ERRORS), Transient)


def test_an_unknown_error_code_is_a_permanent_provider_error():
    failed = failure_for("SomethingNew.NeverSeen", {"Other": Failure(Transient, "provider-unavailable")}, "msg")

    assert isinstance(failed, Rejected)
    assert failed.reason == "provider-error"
    assert failed.detail == "SomethingNew.NeverSeen msg"


@pytest.mark.parametrize(
    ("sender", "needed"),
    [
        ({"LOYALTY_SMS_SENDER": "tencent"}, "LOYALTY_SMS_SECRET is required when LOYALTY_SMS_SENDER is tencent"),
        ({"LOYALTY_EMAIL_SENDER": "ses"}, "LOYALTY_EMAIL_FROM is required when LOYALTY_EMAIL_SENDER is ses"),
        ({"LOYALTY_PUSH_SENDER": "sns"}, "LOYALTY_PUSH_APPLICATIONS is required when LOYALTY_PUSH_SENDER is sns"),
        ({"LOYALTY_WECHAT_SENDER": "wechat"}, "LOYALTY_WECHAT_SECRET is required when LOYALTY_WECHAT_SENDER is wechat"),
    ],
)
def test_a_provider_sender_without_its_settings_stops_the_start_naming_the_variable(monkeypatch, sender, needed):
    for name, value in sender.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError, match=needed):
        load_settings()


def test_push_applications_are_a_json_object_of_known_platforms(monkeypatch):
    monkeypatch.setenv("LOYALTY_PUSH_APPLICATIONS", '{"fcm": "arn:aws-cn:sns:cn-north-1:1:app/GCM/loyalty"}')
    assert load_settings().push_applications == {"fcm": "arn:aws-cn:sns:cn-north-1:1:app/GCM/loyalty"}

    monkeypatch.setenv("LOYALTY_PUSH_APPLICATIONS", '{"hms": "arn"}')
    with pytest.raises(SettingsError, match="LOYALTY_PUSH_APPLICATIONS is invalid"):
        load_settings()


def test_aliyun_is_not_an_sms_sender_yet(monkeypatch):
    monkeypatch.setenv("LOYALTY_SMS_SENDER", "aliyun")

    with pytest.raises(SettingsError, match="LOYALTY_SMS_SENDER is invalid"):
        load_settings()


@pytest.mark.parametrize("when", [10**20, -(10**20), 1e308])
def test_a_tencent_reply_dated_out_of_any_calendar_is_refused_in_words(when):
    """Found by a probe: such a time was a 500 (OverflowError)."""
    with pytest.raises(InvalidReply, match="out of range"):
        parse_replies("tencent", JSON, tencent_body(time=when), TOKEN, url_token=TOKEN)


def test_a_missing_field_is_named_and_a_forged_callback_is_told_apart():
    with pytest.raises(InvalidReply, match="lacks 'nationcode'") as caught:
        parse_replies("tencent", JSON, b'{"mobile": "13800138000"}', TOKEN, url_token=TOKEN)
    assert not isinstance(caught.value, ForgedCallback)
    with pytest.raises(ForgedCallback):
        parse_replies("tencent", JSON, tencent_body(), TOKEN, url_token="wrong")


def test_an_aliyun_batch_counts_the_replies_it_can_read_and_leaves_out_the_others():
    body = json.dumps([
        {"phone_number": "12345", "content": "T", "send_time": "2026-01-01 08:00:00"},
        {"phone_number": "13800138000", "content": "R", "send_time": "2026-01-01 08:00:00"},
    ]).encode()  # fmt: skip
    assert [r.phone_e164 for r in parse_replies("aliyun", JSON, body, TOKEN, url_token=TOKEN)] == ["+8613800138000"]
