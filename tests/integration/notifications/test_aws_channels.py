"""SNS SMS, SES email and SNS mobile push, against the in-process AWS emulator; and how settings choose senders."""

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID

from chalicelib.notifications.channels import Delivery, DevOutbox, Rejected, Throttled, Transient, sender_for
from chalicelib.notifications.channels.aws import client
from chalicelib.notifications.channels.ses_email import SesEmail
from chalicelib.notifications.channels.sns_push import SnsPush, forget_device, register_device
from chalicelib.notifications.channels.sns_sms import SnsSms
from tests.conftest import REGION

SENDER = "会员中心 <noreply@loyalty.example>"
SES_REGION = "ap-southeast-1"  # SES is not offered in the China regions


@pytest.fixture
def emulator() -> Iterator[None]:
    with mock_aws():
        yield


def sns_backend() -> Any:
    from moto.sns.models import sns_backends

    return sns_backends[DEFAULT_ACCOUNT_ID][REGION]


def test_an_sms_abroad_is_a_transactional_sns_message(emulator):
    message = Delivery(message_id="nt_1", channel="sms", address="+4915112345678", text="Your code is 4370")

    message_id = SnsSms().send(message)

    assert sns_backend().sms_messages[message_id] == ("+4915112345678", "Your code is 4370")


def test_an_sms_to_a_malformed_number_is_an_invalid_address(emulator):
    with pytest.raises(Rejected) as caught:
        SnsSms().send(Delivery(message_id="nt_1", channel="sms", address="+86 138-abc", text="hi"))

    assert caught.value.reason == "invalid-address"


def email(**changes: object) -> Delivery:
    message = Delivery(
        message_id="nt_01MAIL", channel="email", address="member@example.com", text="您的积分将于月底到期。",
        subject="积分到期提醒", unsubscribe_url="https://loyalty.example/v1/unsubscribe?token=tok123",
        unsubscribe_page="https://loyalty.example/m/#/unsubscribe?token=tok123",
    )  # fmt: skip
    return replace(message, **changes)  # type: ignore[arg-type]


def sent_requests(service: str, operation: str) -> list[dict[str, Any]]:
    """Parameters of every ``operation`` call the shared client makes from now on."""
    calls: list[dict[str, Any]] = []
    client(service, SES_REGION).meta.events.register(
        f"provide-client-params.{service}.{operation}", lambda params, **_: calls.append(params)
    )
    return calls


def test_an_email_carries_one_click_unsubscribe_headers(emulator):
    boto3.client("sesv2", region_name=SES_REGION).create_email_identity(EmailIdentity="noreply@loyalty.example")
    calls = sent_requests("sesv2", "SendEmail")

    message_id = SesEmail(SENDER, SES_REGION).send(email())

    assert message_id
    [params] = calls
    assert params["Content"]["Simple"]["Headers"] == [
        {"Name": "List-Unsubscribe", "Value": "<https://loyalty.example/v1/unsubscribe?token=tok123>"},
        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
    ]
    assert params["Content"]["Simple"]["Body"]["Text"]["Data"].endswith(
        "\n\n退订: https://loyalty.example/m/#/unsubscribe?token=tok123")  # fmt: skip
    assert params["Content"]["Simple"]["Subject"]["Data"] == "积分到期提醒"
    assert params["EmailTags"] == [{"Name": "message_id", "Value": "nt_01MAIL"}]


def test_an_email_without_an_unsubscribe_link_has_no_list_headers(emulator):
    boto3.client("sesv2", region_name=SES_REGION).create_email_identity(EmailIdentity="noreply@loyalty.example")
    calls = sent_requests("sesv2", "SendEmail")

    SesEmail(SENDER, SES_REGION).send(email(unsubscribe_url=None, unsubscribe_page=None))

    assert "Headers" not in calls[0]["Content"]["Simple"]


def test_an_email_from_an_unverified_sender_is_rejected(emulator):
    with pytest.raises(Rejected) as caught:
        SesEmail(SENDER, SES_REGION).send(email())

    assert caught.value.reason == "provider-error"
    assert "MessageRejected" in caught.value.detail


@pytest.mark.parametrize(
    ("code", "status", "raised", "reason"),
    [
        ("TooManyRequestsException", 429, Throttled, "throttled"),
        ("Throttling", 400, Throttled, "throttled"),
        ("MessageRejected", 400, Rejected, "provider-error"),
        ("InternalFailure", 500, Transient, "provider-unavailable"),
    ],
)
def test_ses_errors_are_read_from_their_codes(code, status, raised, reason):
    ses = boto3.client("sesv2", region_name=SES_REGION)
    with Stubber(ses) as stub, pytest.MonkeyPatch.context() as patch:
        stub.add_client_error("send_email", service_error_code=code, http_status_code=status)
        patch.setattr("chalicelib.notifications.channels.ses_email.client", lambda service, region: ses)
        with pytest.raises(raised) as caught:
            SesEmail(SENDER, SES_REGION).send(email())

    assert caught.value.reason == reason


@pytest.fixture
def push_apps(emulator, monkeypatch) -> dict[str, str]:
    sns = boto3.client("sns", region_name=REGION)
    apps = {
        platform: sns.create_platform_application(Name=f"loyalty-{platform}", Platform=kind, Attributes={})[
            "PlatformApplicationArn"
        ]
        for platform, kind in (("fcm", "GCM"), ("apns", "APNS"))
    }
    monkeypatch.setenv("LOYALTY_PUSH_SENDER", "sns")
    monkeypatch.setenv("LOYALTY_PUSH_APPLICATIONS", json.dumps(apps))
    return apps


def test_registering_a_token_twice_answers_the_same_endpoint(push_apps):
    first = register_device("fcm", "fcm-token-1", "mb_1")

    assert register_device("fcm", "fcm-token-1", "mb_1") == first
    assert ":endpoint/GCM/loyalty-fcm/" in first


def test_a_token_that_changed_hands_moves_to_its_new_member_and_is_enabled(push_apps):
    sns = boto3.client("sns", region_name=REGION)
    arn = register_device("fcm", "fcm-token-1", "mb_1")
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})

    assert register_device("fcm", "fcm-token-1", "mb_2") == arn
    attributes = sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]
    assert attributes["CustomUserData"] == "mb_2"
    assert attributes["Enabled"] == "true"


def test_a_push_carries_title_body_and_page_for_every_platform(push_apps):
    arn = register_device("apns", "apns-token-1", "mb_1")
    message = Delivery(message_id="nt_P", channel="push", address=arn, text="积分已到账", subject="到账提醒",
                       page="/points")  # fmt: skip

    SnsPush().send(message)

    [sent] = sns_backend().platform_endpoints[arn].messages.values()
    payload = json.loads(sent)
    assert payload["default"] == "积分已到账"
    assert json.loads(payload["APNS"]) == {
        "aps": {"alert": {"title": "到账提醒", "body": "积分已到账"}},
        "message_id": "nt_P",
        "page": "/points",
    }
    assert json.loads(payload["GCM"])["notification"] == {"title": "到账提醒", "body": "积分已到账"}


def test_a_disabled_device_is_an_invalid_address(push_apps):
    arn = register_device("fcm", "fcm-token-1", "mb_1")
    boto3.client("sns", region_name=REGION).set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})

    with pytest.raises(Rejected) as caught:
        SnsPush().send(Delivery(message_id="nt_P", channel="push", address=arn, text="hi"))

    assert caught.value.reason == "invalid-address"


def test_a_forgotten_device_is_gone(push_apps):
    arn = register_device("fcm", "fcm-token-1", "mb_1")

    forget_device(arn)

    assert arn not in sns_backend().platform_endpoints


def test_a_platform_without_an_application_is_not_configured(push_apps):
    with pytest.raises(Rejected) as caught:
        register_device("hms", "huawei-token", "mb_1")

    assert caught.value.reason == "not-configured"


def test_every_channel_sends_to_the_dev_outbox_by_default():
    for channel in ("sms", "email", "push", "wechat"):
        assert isinstance(sender_for(channel), DevOutbox)
        assert sender_for(channel).send(Delivery(message_id="nt_D", channel=channel, address="a", text="t")) == "nt_D"


def test_an_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="unknown channel"):
        sender_for("fax")


def test_a_secret_that_does_not_exist_leaves_the_sender_not_configured(emulator, monkeypatch):
    monkeypatch.setenv("LOYALTY_WECHAT_SENDER", "wechat")
    monkeypatch.setenv("LOYALTY_WECHAT_SECRET", "loyalty/test/wechat")

    with pytest.raises(Rejected) as caught:
        sender_for("wechat")

    assert caught.value.reason == "not-configured"
