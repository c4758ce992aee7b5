"""Feedback rules that need no storage: what a member may write, how often, and how staff close it."""

from __future__ import annotations

from enum import StrEnum

MAX_TEXT = 1000  # characters of a message or a reply
# A member may write this many messages a business day: enough for anything real, too few to flood the service desk;
# the next day they may write again.
MESSAGES_PER_MEMBER_PER_DAY = 5
# What stays of a message once its member is erased: nothing they wrote (it may name them).
ERASED_TEXT = ""


class Category(StrEnum):
    """What the member writes (反馈类型): a suggestion (建议), a complaint (投诉), praise (表扬) or anything else
    (其他)."""

    SUGGESTION = "suggestion"
    COMPLAINT = "complaint"
    PRAISE = "praise"
    OTHER = "other"


class Status(StrEnum):
    """`open` until staff close it (with or without a reply), then `closed` for good."""

    OPEN = "open"
    CLOSED = "closed"


def may_close(status: Status) -> bool:
    """Only open feedback is closed; a closed one stays as it was answered (a new concern is a new message)."""
    return status is Status.OPEN
