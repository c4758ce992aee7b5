"""Persistence shape of notifications: messages, the member's messaging profile and consent history, templates and
policy, cap counters and the day's figures.

A message's id is derived from (member, kind, occurrence), so however often its event arrives it is written once.
Login codes carry their recipient and text sealed (a phone, a code); other messages name only their member, whose
address the sender reads from the members domain when it sends.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, TTLAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.shared.db import NumberAttribute, Record, table


class _ByMember(GlobalSecondaryIndex["MessageRecord"]):  # type: ignore[no-untyped-call]
    """A member's messages, newest first: their message history."""

    class Meta:
        index_name = "by-member"
        projection = AllProjection()

    member_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class _Inbox(GlobalSecondaryIndex["MessageRecord"]):  # type: ignore[no-untyped-call]
    """A member's inbox (站内信), newest first: only messages the inbox received carry ``inbox_member``."""

    class Meta:
        index_name = "inbox"
        projection = AllProjection()

    inbox_member = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class _Held(GlobalSecondaryIndex["MessageRecord"]):  # type: ignore[no-untyped-call]
    """Messages held through the quiet hours, by the business day and shard of their release and its instant:
    only held messages carry ``release_partition``."""

    class Meta:
        index_name = "held"
        projection = AllProjection()

    release_partition = UnicodeAttribute(hash_key=True)
    release_at = UnicodeAttribute(range_key=True)


class _Unsent(GlobalSecondaryIndex["MessageRecord"]):  # type: ignore[no-untyped-call]
    """What was not sent, by day and kind (the suppression report): only suppressed, failed and lapsed messages,
    and those the inbox took instead, carry ``unsent_key``."""

    class Meta:
        index_name = "unsent"
        projection = AllProjection()

    unsent_key = UnicodeAttribute(hash_key=True)  # "<business day>#<kind>"
    created_key = UnicodeAttribute(range_key=True)


@table
class MessageRecord(Record):
    """One message to one member (or, for a login code, one phone) and every decision about it.

    ``status``: ``queued`` (to send now), ``held`` (until ``release_at``), ``sending``, ``sent``, ``inbox`` (the inbox
    carried it alone), ``suppressed``, ``failed`` or ``lapsed`` (a code past its use)."""

    logical_name = "messages"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "messages"

    message_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()
    purpose = UnicodeAttribute()
    occurrence = UnicodeAttribute()
    language = UnicodeAttribute()
    channel = UnicodeAttribute(null=True)  # the external channel carrying it
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    passed_over = UnicodeAttribute(null=True)  # JSON [[channel, reason], ...]
    title = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)  # service and marketing words (ids and amounts, no personal data)
    variables = UnicodeAttribute(default="{}")  # JSON: what the provider's template takes
    data_key = UnicodeAttribute(null=True)  # a login code's: its recipient and text are sealed
    recipient_sealed = UnicodeAttribute(null=True)
    text_sealed = UnicodeAttribute(null=True)
    send_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_key = UnicodeAttribute()  # "<created_at>#<message_id>"
    release_partition = UnicodeAttribute(null=True)
    release_at = UnicodeAttribute(null=True)
    unsent_key = UnicodeAttribute(null=True)
    inbox_member = UnicodeAttribute(null=True)
    read_at = UnicodeAttribute(null=True)
    sending_since = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    sent_via = UnicodeAttribute(null=True)  # the sender: tencent-sms | sns-sms | ses | sns-push | wechat | dev-outbox
    sent_to = UnicodeAttribute(null=True)  # the address, masked
    provider_id = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()

    by_member = _ByMember()
    inbox = _Inbox()
    held = _Held()
    unsent = _Unsent()


@table
class MessagingProfileRecord(Record):
    """What the notifications domain keeps of a member (``entry`` = ``profile``): their consents per
    ``channel:purpose``, language, WeChat openid, push devices and unread inbox count; (``entry`` =
    ``wechat#<template id>``) the WeChat one-time grants left; and (``entry`` = ``consent#<at>#<id>``) each change
    of consent with its proof."""

    logical_name = "messaging-profiles"

    class Meta:
        table_name = "messaging-profiles"

    member_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    consents = UnicodeAttribute(null=True)  # JSON {"sms:marketing": {granted, at, source, wording_version}, ...}
    language = UnicodeAttribute(null=True)
    wechat_openid = UnicodeAttribute(null=True)
    devices = UnicodeAttribute(null=True)  # JSON [{device_id, platform, endpoint, token_hash, registered_at}]
    unread = NumberAttribute(null=True)
    grants = NumberAttribute(null=True)  # a ``wechat#<template>`` entry: the one-time grants left
    updated_at = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    # a consent history entry
    channel = UnicodeAttribute(null=True)
    purpose = UnicodeAttribute(null=True)
    granted = BooleanAttribute(null=True)
    source = UnicodeAttribute(null=True)  # registration | member-page | import | staff | sms-reply | unsubscribe-link
    wording_version = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)


@table
class MessagingSettingRecord(Record):
    """Staff's messaging settings: the policy (``scope`` = ``policy``) and each template replacing a default
    (``scope`` = ``templates``, ``name`` = ``<kind>#<channel>``)."""

    logical_name = "messaging-settings"

    class Meta:
        table_name = "messaging-settings"

    scope = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)
    body = UnicodeAttribute()  # JSON
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()


@table
class MessageCountRecord(Record):
    """Counters: a member's marketing messages on a channel in a cap period (``key`` = ``cap#<member>#<channel>``,
    ``name`` = the period), and a day's decisions (``key`` = ``day#<business day>#<shard>``, ``name`` =
    ``<kind>#<outcome>[#<reason>]``): a report of a day reads its shards, never its messages."""

    logical_name = "message-counts"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "message-counts"

    key = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)
    tally = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)
