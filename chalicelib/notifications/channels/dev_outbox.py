"""The dev outbox: nothing leaves the machine (the local stack and tests send through it), and what it "sent" is
read back here (the CLI's ``outbox``, which imports no more than the message records and the sealer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.notifications.channels.delivery import Delivery
from chalicelib.notifications.records import MessageRecord
from chalicelib.shared.crypto import Sealer

DEV_OUTBOX = "dev-outbox"


class DevOutbox:
    """Accepts every message and sends none; the notification record itself is the outbox entry."""

    name = DEV_OUTBOX

    def send(self, delivery: Delivery) -> str:
        return delivery.message_id


@dataclass(frozen=True)
class Message:
    notification_id: str
    channel: str
    purpose: str
    recipient: str
    text: str
    status: str
    created_at: str
    sent_at: str | None


def dev_outbox() -> list[Message]:
    """Messages sent through the dev outbox, oldest first (a scan: for the local stack only)."""
    records = MessageRecord.scan(MessageRecord.sent_via == DEV_OUTBOX)
    return sorted((_opened(record) for record in records), key=lambda message: message.created_at)


def _opened(record: MessageRecord) -> Message:
    recipient, text = str(record.sent_to or ""), str(record.text or "")
    if record.data_key:
        sealer = Sealer.for_stored_key(f"message/{record.message_id}", record.data_key)
        recipient = sealer.open("recipient", str(record.recipient_sealed))
        text = sealer.open("text", str(record.text_sealed))
    elif record.member_id:  # as it was sent: a student's name in (学员)
        from chalicelib.notifications.service import students_named

        (text,) = students_named(record.member_id, text)
    return Message(
        notification_id=record.message_id,
        channel=str(record.channel),
        purpose=record.purpose,
        recipient=recipient,
        text=text,
        status=record.status,
        created_at=record.created_at,
        sent_at=record.sent_at,
    )


def outbox_json(messages: list[Message]) -> list[dict[str, Any]]:
    """The dev outbox as the CLI prints it."""
    return [
        {
            "channel": m.channel,
            "recipient": m.recipient,
            "text": m.text,
            "created_at": m.created_at,
            "purpose": m.purpose,
            "notification_id": m.notification_id,
        }
        for m in messages
    ]
