"""Persistence shape of feedback: one item per message, listed by status and by member, newest first."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.shared.db import Record, table


class _ByStatus(GlobalSecondaryIndex["FeedbackRecord"]):  # type: ignore[no-untyped-call]
    """Messages by status (`open`, `closed`), newest first: the service desk's queue."""

    class Meta:
        index_name = "by-status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class _ByMember(GlobalSecondaryIndex["FeedbackRecord"]):  # type: ignore[no-untyped-call]
    """A member's messages, newest first."""

    class Meta:
        index_name = "by-member"
        projection = AllProjection()

    member_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


@table
class FeedbackRecord(Record):
    """A member's message (意见反馈) and how staff closed it. ``home_store_id`` is the member's when they wrote, so
    staff scoped to stores read their members' messages."""

    logical_name = "feedback"

    class Meta:
        table_name = "feedback"

    feedback_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()
    home_store_id = UnicodeAttribute(null=True)
    category = UnicodeAttribute()
    text = UnicodeAttribute()
    contact_ok = BooleanAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_key = UnicodeAttribute()  # "<created_at>#<feedback_id>": newest first, unique
    reply = UnicodeAttribute(null=True)
    closed_by = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    version = VersionAttribute()

    by_status = _ByStatus()
    by_member = _ByMember()
