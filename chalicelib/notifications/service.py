"""Send a message: ``request`` seals it and emits ``notification.requested`` in the caller's transaction;
``deliver`` (fed by the notifications queue) opens it and hands it to the configured sender.

The event carries only the notification id, never the phone or the text. A message is sent once: a
redelivered event finds it already sent and does nothing (two copies of one event racing each other
could still both reach the gateway; SMS gateways accept that risk, ledgers never do).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.notifications.records import NotificationRecord
from chalicelib.notifications.senders import DEV_OUTBOX, sender
from chalicelib.shared import clock
from chalicelib.shared.crypto import Sealer, WrappedKey, keyring
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.ids import new_id
from chalicelib.shared.logs import logger

CHANNELS = ("sms",)


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


def request(
    tx: Transaction, *, channel: str, recipient: str, text: str, purpose: str, keep: timedelta,
    member_id: str | None = None, send_before: datetime | None = None,
) -> str:  # fmt: skip
    """Add a message and its event to ``tx``; kept ``keep`` long (a one-time code needs no more than a day),
    and not sent at all after ``send_before``."""
    assert channel in CHANNELS
    notification_id = new_id("nt_")
    data_key, wrapped = _data_key()
    sealer = Sealer(f"notification/{notification_id}", data_key)
    now = clock.now()
    record = NotificationRecord(
        notification_id, channel=channel, purpose=purpose, member_id=member_id,
        data_key=wrapped.stored, recipient_sealed=sealer.seal("recipient", recipient),
        text_sealed=sealer.seal("text", text), status="pending", created_at=clock.iso(now), expires_at=now + keep,
        send_before=clock.iso(send_before) if send_before else None,
    )  # fmt: skip
    tx.put(record, condition=NotificationRecord.notification_id.does_not_exist())
    emit(tx, new_event("notification.requested", f"notification/{notification_id}", {
        "notification_id": notification_id, "channel": channel, "purpose": purpose, "member_id": member_id,
    }))  # fmt: skip
    return notification_id


_key_lock = threading.Lock()
_current_key: tuple[float, bytes, WrappedKey] | None = None
KEY_REUSE_SECONDS = 300.0


def _data_key() -> tuple[bytes, WrappedKey]:
    """A data key for sealing messages, made at most every five minutes per process (one KMS call then,
    not one per message); each message is still bound to its own id."""
    global _current_key
    with _key_lock:
        now = time.monotonic()
        if _current_key is None or now - _current_key[0] > KEY_REUSE_SECONDS:
            _current_key = (now, *keyring().new_data_key())
        return _current_key[1], _current_key[2]


def deliver(tx: Transaction, notification_id: str) -> None:
    """Send a pending message and mark it sent (in ``tx``); a sent one is left alone, and one past its
    ``send_before`` is marked lapsed instead of sent."""
    record = NotificationRecord.find(notification_id)
    if record is None or record.status != "pending":
        logger.info("notification not pending", extra={"notification_id": notification_id})
        return
    if record.send_before and record.send_before < clock.iso(clock.now()):
        tx.update(NotificationRecord(notification_id), [NotificationRecord.status.set("lapsed")],
                  condition=NotificationRecord.status == "pending")  # fmt: skip
        return
    message = _opened(record)
    chosen = sender()
    chosen.send(message.channel, message.recipient, message.text)
    tx.update(
        NotificationRecord(notification_id),
        [NotificationRecord.status.set("sent"), NotificationRecord.sent_via.set(chosen.name),
         NotificationRecord.sent_at.set(clock.iso(clock.now()))],
        condition=NotificationRecord.status == "pending",
    )  # fmt: skip


def dev_outbox() -> list[Message]:
    """Messages sent through the dev outbox, oldest first (a scan: for the local stack only)."""
    records = NotificationRecord.scan(NotificationRecord.sent_via == DEV_OUTBOX)
    return sorted((_opened(record) for record in records), key=lambda message: message.created_at)


def _opened(record: NotificationRecord) -> Message:
    sealer = Sealer.for_stored_key(f"notification/{record.notification_id}", record.data_key)
    return Message(
        notification_id=record.notification_id, channel=record.channel, purpose=record.purpose,
        recipient=sealer.open("recipient", record.recipient_sealed), text=sealer.open("text", record.text_sealed),
        status=record.status, created_at=record.created_at, sent_at=record.sent_at,
    )  # fmt: skip


def outbox_json(messages: list[Message]) -> list[dict[str, Any]]:
    """The dev outbox as the CLI prints it."""
    return [{"channel": m.channel, "recipient": m.recipient, "text": m.text, "created_at": m.created_at,
             "purpose": m.purpose, "notification_id": m.notification_id} for m in messages]  # fmt: skip
