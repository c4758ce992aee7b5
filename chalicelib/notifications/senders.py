"""The notifications service's sender, until it moves to ``chalicelib.notifications.channels``.

Kept as a thin adapter so the service's ``sender().send(channel, recipient, text)`` goes on working: the
message is handed to the channel's configured sender (dev outbox, SNS SMS, Tencent SMS...).
"""

from __future__ import annotations

from chalicelib.notifications.channels import DEV_OUTBOX, Delivery, sender_for
from chalicelib.shared.ids import new_id

__all__ = ["DEV_OUTBOX", "ChannelSender", "sender"]


class ChannelSender:
    """The configured SMS sender, behind the service's former three-argument ``send``."""

    def __init__(self) -> None:
        self.name = sender_for("sms").name

    def send(self, channel: str, recipient: str, text: str) -> None:
        sender_for(channel).send(Delivery(message_id=new_id("msg_"), channel=channel, address=recipient, text=text))


def sender() -> ChannelSender:
    return ChannelSender()
