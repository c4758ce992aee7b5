"""Tencent Cloud SMS through its SDK, against a local fake that checks each request's TC3 signature."""

import json
from collections.abc import Iterator
from dataclasses import replace

import boto3
import pytest
from moto import mock_aws

from chalicelib.notifications.channels import Delivery, Rejected, Throttled, Transient, sender_for
from chalicelib.notifications.channels.tencent_sms import TencentAccount, TencentSms
from tests.conftest import REGION, free_port
from tests.fakes.http import Received
from tests.fakes.tencent_sms import FakeTencentSms, verify_tc3

ACCOUNT = TencentAccount("AKIDfakeSecretId", "fakeSecretKey", "1400000001", "会员中心", "ap-guangzhou")
PHONE = "+8613800138000"


def login_code(**changes: object) -> Delivery:
    message = Delivery(
        message_id="nt_01TEST", channel="sms", address=PHONE, text="验证码 4370，5 分钟内有效",
        provider_template="1110", params=(("code", "4370"), ("minutes", "5")),
    )  # fmt: skip
    return replace(message, **changes)  # type: ignore[arg-type]


@pytest.fixture
def fake() -> Iterator[FakeTencentSms]:
    with FakeTencentSms(ACCOUNT.secret_id, ACCOUNT.secret_key, ACCOUNT.sdk_app_id) as server:
        yield server


@pytest.fixture
def sender(fake: FakeTencentSms) -> TencentSms:
    return TencentSms(ACCOUNT, endpoint=fake.url)


def test_a_message_is_one_signed_send_sms_with_the_template_values_in_order(fake, sender):
    serial = sender.send(login_code())

    assert serial.startswith("2433:")
    assert fake.accepted == [{
        "PhoneNumberSet": [PHONE], "SmsSdkAppId": "1400000001", "SignName": "会员中心", "TemplateId": "1110",
        "TemplateParamSet": ["4370", "5"], "SessionContext": "nt_01TEST",
    }]  # fmt: skip
    [request] = fake.received
    assert request.headers["x-tc-action"] == "SendSms"
    assert request.headers["x-tc-version"] == "2021-01-11"
    assert request.headers["x-tc-region"] == "ap-guangzhou"
    assert request.headers["authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDfakeSecretId/")


@pytest.mark.parametrize(
    ("code", "raised", "reason"),
    [
        ("LimitExceeded.PhoneNumberDailyLimit", Throttled, "throttled"),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", Throttled, "throttled"),
        ("InvalidParameterValue.IncorrectPhoneNumber", Rejected, "invalid-address"),
        ("FailedOperation.PhoneNumberInBlacklist", Rejected, "opted-out"),
    ],
)
def test_a_numbers_own_status_decides_how_its_message_failed(fake, sender, code, raised, reason):
    fake.fail_number(PHONE, code)

    with pytest.raises(raised) as caught:
        sender.send(login_code())

    assert type(caught.value) is raised
    assert caught.value.reason == reason
    assert code in caught.value.detail


@pytest.mark.parametrize(
    ("code", "raised", "reason"),
    [
        ("RequestLimitExceeded", Throttled, "throttled"),
        ("FailedOperation.TemplateIncorrectOrUnapproved", Rejected, "template-not-approved"),
        ("FailedOperation.SignatureIncorrectOrUnapproved", Rejected, "template-not-approved"),
        ("InternalError.Timeout", Transient, "provider-unavailable"),
        ("InternalError.OtherError", Transient, "provider-unavailable"),
        ("AuthFailure.UnauthorizedOperation", Rejected, "provider-error"),
        ("FailedOperation.InsufficientBalanceInSmsPackage", Rejected, "provider-error"),
    ],
)
def test_a_failed_request_is_read_from_its_error_code(fake, sender, code, raised, reason):
    fake.fail_request(code)

    with pytest.raises(raised) as caught:
        sender.send(login_code())

    assert type(caught.value) is raised
    assert caught.value.reason == reason


def test_the_thirty_second_limit_says_when_to_try_again(fake, sender):
    fake.fail_number(PHONE, "LimitExceeded.PhoneNumberThirtySecondLimit")

    with pytest.raises(Throttled) as caught:
        sender.send(login_code())

    assert caught.value.retry_after == 30


def test_a_request_signed_with_another_key_is_refused(fake):
    impostor = TencentSms(replace(ACCOUNT, secret_key="not-the-key"), endpoint=fake.url)

    with pytest.raises(Rejected, match=r"AuthFailure\.SignatureFailure") as caught:
        impostor.send(login_code())

    assert caught.value.reason == "provider-error"
    assert fake.accepted == []


def test_a_body_changed_after_signing_no_longer_verifies(fake, sender):
    sender.send(login_code())
    [signed] = fake.received
    tampered = Received(signed.method, signed.path, signed.headers, signed.body.replace(b"4370", b"0000"))

    assert verify_tc3(signed, fake.credentials, "sms") is None
    assert verify_tc3(tampered, fake.credentials, "sms") == (
        "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
    )  # fmt: skip


def test_a_stale_timestamp_is_refused(fake, sender):
    sender.send(login_code())
    [signed] = fake.received
    later = int(signed.headers["x-tc-timestamp"]) + 301

    assert verify_tc3(signed, fake.credentials, "sms", now=later)[0] == "AuthFailure.SignatureExpire"


def test_a_message_without_a_template_is_not_configured(fake, sender):
    with pytest.raises(Rejected) as caught:
        sender.send(login_code(provider_template=None))

    assert caught.value.reason == "not-configured"
    assert fake.received == []


def test_no_answer_at_all_is_transient():
    unreachable = TencentSms(ACCOUNT, endpoint=f"http://127.0.0.1:{free_port()}")

    with pytest.raises(Transient) as caught:
        unreachable.send(login_code())

    assert caught.value.reason == "network"


def test_the_configured_sms_sender_reads_its_account_from_secrets_manager(fake, monkeypatch):
    with mock_aws():
        secrets = boto3.client("secretsmanager", region_name=REGION)
        secrets.create_secret(Name="loyalty/test/sms", SecretString=json.dumps({
            "secret_id": ACCOUNT.secret_id, "secret_key": ACCOUNT.secret_key, "sdk_app_id": ACCOUNT.sdk_app_id,
            "sign_name": ACCOUNT.sign_name, "region": "ap-shanghai",
        }))  # fmt: skip
        monkeypatch.setenv("LOYALTY_SMS_SENDER", "tencent")
        monkeypatch.setenv("LOYALTY_SMS_SECRET", "loyalty/test/sms")
        monkeypatch.setenv("LOYALTY_SMS_ENDPOINT", fake.url)

        sender = sender_for("sms")
        sender.send(login_code())

    assert sender.name == "tencent-sms"
    assert fake.received[0].headers["x-tc-region"] == "ap-shanghai"
