"""Persistence shape of notifications: who and what are sealed, since both are personal (a phone, a code)."""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute

from chalicelib.shared.db import Record, table


@table
class NotificationRecord(Record):
    """One message to one recipient. Its event names only the id; the sender opens the sealed fields."""

    logical_name = "notifications"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "notifications"

    notification_id = UnicodeAttribute(hash_key=True)
    channel = UnicodeAttribute()  # sms
    purpose = UnicodeAttribute()  # otp, ...
    member_id = UnicodeAttribute(null=True)
    data_key = UnicodeAttribute()  # "<keyring>|<base64>": this message's own data key, wrapped
    recipient_sealed = UnicodeAttribute()
    text_sealed = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | sent | lapsed
    sent_via = UnicodeAttribute(null=True)  # dev-outbox | sns
    created_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)
    send_before = UnicodeAttribute(null=True)  # a one-time code is worthless later: not sent at all
    expires_at = TTLAttribute()
