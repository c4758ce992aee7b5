"""Where messages go: the dev outbox (local stack and tests) or a real gateway (SNS SMS on AWS).

The sender is configuration (``LOYALTY_SMS_SENDER``). The dev outbox sends nothing anywhere: a message
marked sent through it stays readable with ``python -m chalicelib.cli outbox``.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol

from chalicelib.shared.settings import get_settings

DEV_OUTBOX = "dev-outbox"


class Sender(Protocol):
    name: str

    def send(self, channel: str, recipient: str, text: str) -> None: ...


class DevOutbox:
    name = DEV_OUTBOX

    def send(self, channel: str, recipient: str, text: str) -> None:
        """Nothing leaves the machine; the notification record itself is the outbox entry."""


class SnsSms:
    """Amazon SNS direct-to-phone SMS (transactional). Not offered in the China regions: deployments there
    plug in their SMS provider as another sender."""

    name = "sns"

    def send(self, channel: str, recipient: str, text: str) -> None:
        _sns().publish(
            PhoneNumber=recipient, Message=text,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )  # fmt: skip


@functools.cache
def _sns() -> Any:
    import boto3

    return boto3.client("sns", region_name=get_settings().region)


def sender() -> Sender:
    return SnsSms() if get_settings().sms_sender == "sns" else DevOutbox()
