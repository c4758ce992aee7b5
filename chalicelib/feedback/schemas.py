"""The feedback API contract: a member's message, the member's and the service desk's views, closing with a reply."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.feedback.model import MAX_TEXT, Category, Status
from chalicelib.shared.fields import NEXT_CURSOR, UTC_INSTANT, VERSION, Trimmed
from chalicelib.shared.http import Input, MergePatch, Schema

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT), Trimmed]
CATEGORY = "what it is (反馈类型): `suggestion` (建议), `complaint` (投诉), `praise` (表扬) or `other` (其他)"
TEXT = f"what the member wrote, 1 to {MAX_TEXT} characters on one line (line breaks are refused: join them)"
CONTACT_OK = "whether the member agrees to be called or texted about it (可联系)"
REPLY = f"staff's answer, shown to the member, 1 to {MAX_TEXT} characters on one line"
STATUS = "`open` until staff close it, then `closed`"


class FeedbackCreate(Input):
    """A member's message to the service desk (意见反馈)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"category": "suggestion", "text": "希望周末延长营业时间到晚上十点。", "contact_ok": True},
                {"category": "praise", "text": "静安店的店员很耐心，谢谢！", "contact_ok": False},
            ]
        }
    )

    category: Category = Field(description=CATEGORY)
    text: Text = Field(description=TEXT)
    contact_ok: bool = Field(description=CONTACT_OK)


class FeedbackClose(MergePatch):
    """Close a message, with an answer the member reads (JSON merge patch)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "closed", "reply": "已反馈门店，感谢建议！"}]})
    clearable: ClassVar[frozenset[str]] = frozenset()

    status: Literal["closed"] = Field(description="`closed`: the only change staff make")
    reply: Text | None = Field(default=None, description=f"{REPLY}; left out: closed without an answer")


class MyFeedback(Schema):
    """A member's own message and its answer."""

    confidential: ClassVar[bool] = True

    feedback_id: str = Field(description="the message's id (`fb_…`)")
    category: Category = Field(description=CATEGORY)
    text: str = Field(description=f"{TEXT}; blank once the member is erased")
    contact_ok: bool = Field(description=CONTACT_OK)
    status: Status = Field(description=STATUS)
    reply: str | None = Field(description=f"{REPLY}; null until answered")
    created_at: str = Field(description=f"when the member wrote it; {UTC_INSTANT}")
    closed_at: str | None = Field(description=f"when staff closed it; {UTC_INSTANT}; null while open")


class FeedbackMember(Schema):
    """Who wrote it, as member lists show members: name and masked phone."""

    member_id: str = Field(description="the member's id (`mb_…`): open their page for the rest")
    member_no: str | None = Field(description="the member number (会员卡号); null if the member is gone")
    name: str = Field(description="the member's name (姓名); blank once erased")
    phone_masked: str | None = Field(description="the phone as lists show it, e.g. `138****8000`")


class Feedback(MyFeedback):
    """A message as the service desk reads it."""

    member: FeedbackMember = Field(description="who wrote it")
    home_store_id: str | None = Field(description="the member's home store when they wrote it (所属门店); null: none")
    closed_by: str | None = Field(description="who closed it (`staff:<id>`); null while open")
    version: int = Field(description=VERSION)


class MyFeedbackPage(Schema):
    """A page of the member's messages, newest first."""

    items: list[MyFeedback] = Field(description="this page's messages")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class FeedbackPage(Schema):
    """A page of messages, newest first."""

    items: list[Feedback] = Field(description="this page's messages")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class FeedbackQuery(Input):
    """Which messages to list: open ones by default."""

    status: Status = Field(default=Status.OPEN, description=f"only messages of this status; {STATUS}")
    limit: int = Field(default=50, ge=1, le=200, description="the most messages a page holds")
    cursor: str | None = Field(default=None, max_length=4096, description="the previous page's `next_cursor`")
