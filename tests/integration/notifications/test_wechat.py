"""WeChat subscribe messages against a local fake of WeChat's server API."""

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import replace

import pytest

from chalicelib.notifications.channels import Delivery, Rejected, Throttled, Transient
from chalicelib.notifications.channels.wechat import WeChatSubscribe
from tests.fakes.wechat import FakeWeChat

OPENID = "oGZUI0egBJY1zhBYw2KhdUfwVJJE"


def points_expiring(**changes: object) -> Delivery:
    message = Delivery(
        message_id="nt_01WX", channel="wechat", address=OPENID, text="您有 120 积分将于 12月31日 到期",
        provider_template="tmpl-points-expiry", params=(("thing1", "积分到期提醒"), ("number2", "120")),
        page="pages/points/index",
    )  # fmt: skip
    return replace(message, **changes)  # type: ignore[arg-type]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeWeChat]:
    with FakeWeChat("wx-app", "app-secret") as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sender(fake: FakeWeChat, clock: Clock) -> WeChatSubscribe:
    return WeChatSubscribe("wx-app", "app-secret", base_url=fake.url, monotonic=clock)


def test_a_message_is_sent_to_the_released_mini_program_with_its_fields_by_name(fake, sender):
    message_id = sender.send(points_expiring())

    assert message_id == "3000000001"
    assert fake.sent == [{
        "touser": OPENID, "template_id": "tmpl-points-expiry",
        "data": {"thing1": {"value": "积分到期提醒"}, "number2": {"value": "120"}},
        "miniprogram_state": "formal", "lang": "zh_CN", "page": "pages/points/index",
    }]  # fmt: skip


def test_an_english_speaking_member_gets_the_english_card(fake, sender):
    sender.send(points_expiring(language="en", page=None))

    assert fake.sent[0]["lang"] == "en_US"
    assert "page" not in fake.sent[0]


def test_one_token_serves_until_five_minutes_before_it_lapses(fake, sender, clock):
    sender.send(points_expiring())
    clock.now += 7200 - 301
    sender.send(points_expiring())
    assert fake.tokens_issued == 1

    clock.now += 1
    sender.send(points_expiring())
    assert fake.tokens_issued == 2


def test_an_expired_token_is_fetched_again_and_the_message_sent_once(fake, sender):
    sender.send(points_expiring())
    fake.expire_tokens()

    sender.send(points_expiring())

    assert fake.tokens_issued == 2
    assert len(fake.sent) == 2


@pytest.mark.parametrize(
    ("errcode", "raised", "reason"),
    [
        (43101, Rejected, "no-grant"),
        (40003, Rejected, "invalid-address"),
        (40037, Rejected, "template-not-approved"),
        (47003, Rejected, "provider-error"),
        (41030, Rejected, "provider-error"),
        (45009, Throttled, "throttled"),
        (-1, Transient, "provider-unavailable"),
    ],
)
def test_each_documented_errcode_is_read_as_what_it_means(fake, sender, errcode, raised, reason):
    fake.fail_next(errcode)

    with pytest.raises(raised) as caught:
        sender.send(points_expiring())

    assert type(caught.value) is raised
    assert caught.value.reason == reason
    assert str(errcode) in caught.value.detail


def test_a_wrong_app_secret_is_a_configuration_error(fake):
    misconfigured = WeChatSubscribe("wx-app", "not-the-secret", base_url=fake.url)

    with pytest.raises(Rejected) as caught:
        misconfigured.send(points_expiring())

    assert caught.value.reason == "not-configured"
    assert fake.sent == []


def test_the_fake_refuses_data_not_shaped_as_wechat_documents(fake, sender):
    token = sender.access_token()
    request = urllib.request.Request(
        f"{fake.url}/cgi-bin/message/subscribe/send?access_token={token}",
        data=json.dumps({"touser": OPENID, "template_id": "t", "data": {"thing1": "积分"}}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read())["errcode"] == 47001
