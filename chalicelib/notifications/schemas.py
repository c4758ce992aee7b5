"""The notifications API contract: the inbox, message preferences and consents, devices and WeChat grants,
unsubscribe links, SMS reply callbacks, templates, the policy, message history and the suppression report."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.shared.fields import NEXT_CURSOR, Day
from chalicelib.shared.http import Input, MergePatch, Schema
from chalicelib.shared.pagination import PageQuery

Channel = Literal["sms", "email", "push", "wechat"]
AnyChannel = Literal["sms", "email", "push", "wechat", "inbox"]
Purpose = Literal["service", "marketing"]
Language = Literal["zh-CN", "en"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
TemplateText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
ProviderId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Hhmm = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]

STATUS = (
    "`queued` (to send now), `held` (through the quiet hours, until `release_at`), `sending`, `sent`, `inbox` (the "
    "inbox carried it alone), `suppressed` (not sent: see `reason`), `failed` (the provider refused it) or `lapsed`"
)
REASON = (
    "why it was not sent (or, for `inbox`, why no other channel carried it): `no-consent`, `opted-out`, `capped`, "
    "`no-address`, `disabled`, `too-late`, or a provider's refusal (`invalid-address`, `template-not-approved`, "
    "`no-grant`, `unconfirmed` ...)"
)


# --- the inbox --------------------------------------------------------------------------------------------------


class InboxQuery(PageQuery):
    unread_only: bool = Field(default=False, description="only messages not yet read")


class InboxMessage(Schema):
    """A message in the member's inbox (站内信)."""

    message_id: str
    kind: str = Field(description="the message kind, e.g. `points-expiring`, `coupon-issued`, `announcement`")
    purpose: str = Field(description="`service` (服务通知) or `marketing` (营销)")
    title: str
    text: str
    created_at: str
    read_at: str | None = Field(description="when the member read it; null: unread")


class InboxPage(Schema):
    items: list[InboxMessage]
    unread: int = Field(description="unread messages in the whole inbox")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class InboxRead(Schema):
    marked: int = Field(description="messages marked read by this call")
    unread: int


# --- preferences and consents -----------------------------------------------------------------------------------


class ConsentState(Schema):
    channel: Channel
    purpose: Purpose
    granted: bool = Field(description="service messages default to on, marketing to off, until the member answers")
    given: bool = Field(description="whether the member answered (false: the default applies)")
    source: str | None = Field(
        description="where it was given: `registration`, `member-page`, `import`, `staff`, "
        "`sms-reply`, `unsubscribe-link`"
    )
    at: str | None
    wording_version: str | None = Field(description="the consent wording version the member agreed to")


class Device(Schema):
    device_id: str
    platform: Literal["apns", "fcm"]
    registered_at: str


class Wording(Schema):
    version: str
    text: str = Field(description="the consent wording in the caller's language, as the member pages show it")


class MessagePreferences(Schema):
    """What a member allows: each channel for service and marketing messages, with its proof; their language;
    push devices; WeChat one-time grants left per template."""

    member_id: str
    language: Language
    consents: list[ConsentState]
    wording: Wording
    devices: list[Device]
    wechat_bound: bool
    wechat_grants: dict[str, int]
    unread: int


class ConsentAnswer(Input):
    channel: Channel
    purpose: Purpose
    granted: bool


class PreferencesPatch(Input):
    """Answers to change (others stay), the wording version shown (required to grant marketing), the language."""

    consents: list[ConsentAnswer] = Field(default_factory=list, max_length=8)
    wording_version: str | None = Field(default=None, max_length=40)
    language: Language | None = None


class StaffPreferencesPatch(PreferencesPatch):
    """Staff record answers the member gave them (at the counter, on the phone): the note says how."""

    note: Note


class ConsentChangeRow(Schema):
    channel: Channel
    purpose: Purpose
    granted: bool
    source: str
    wording_version: str | None
    actor: str | None = Field(description="who recorded it: `member:…`, `staff:…`, `system`")
    note: str | None
    at: str


class ConsentHistory(Schema):
    items: list[ConsentChangeRow]


class DeviceIn(Input):
    platform: Literal["apns", "fcm"] = Field(description="Apple (APNs) or Android (FCM)")
    token: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=4096)]


class WechatGrantsIn(Input):
    """The one-time subscribe grants (一次性订阅) the member just accepted in the mini program
    (`wx.requestSubscribeMessage` answered `accept` for these template ids)."""

    openid: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=64)]
    template_ids: list[ProviderId] = Field(min_length=1, max_length=3)


class UnsubscribeQuery(Input):
    token: Token


class Unsubscribe(Schema):
    channel: Channel
    purpose: Purpose
    granted: bool = Field(description="false once withdrawn")


class SmsReplyQuery(Input):
    token: Token


class SmsReplyAnswer(Schema):
    result: int = 0
    errmsg: str = "OK"
    opted_out: int = Field(description="replies that withdrew a member's marketing consent")


# --- templates and policy ---------------------------------------------------------------------------------------


class Words(Schema):
    title: str
    text: str


class WordsIn(Input):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    text: TemplateText


class Template(Schema):
    """A message kind's words on a channel (staff's, or the default), with the provider's template id."""

    kind: str
    channel: AnyChannel
    purpose: str
    custom: bool = Field(description="true: staff's words; false: the default")
    words: dict[str, Words] = Field(description="by language: `zh-CN`, `en`")
    variables: list[str] = Field(description="the `{name}` variables its words may use")
    provider_template: str | None = Field(
        description="the provider's template id (Tencent TemplateId, WeChat template_id) approved for these words"
    )
    params: list[list[str]] = Field(description="the provider's parameters in order: `[provider name, variable]`")
    version: int


class TemplateList(Schema):
    items: list[Template]


class TemplateIn(Input):
    words: dict[Language, WordsIn]
    provider_template: ProviderId | None = None
    params: list[Annotated[list[ProviderId], Field(min_length=2, max_length=2)]] = Field(
        default_factory=list, max_length=20
    )


class QuietHours(Schema):
    start: Hhmm
    end: Hhmm


class CapSchema(Schema):
    channel: Channel
    limit: int = Field(ge=0, le=100)
    period: Literal["day", "week"]


class KindSettingOut(Schema):
    enabled: bool
    channels: list[str]
    purpose: str
    timing: str = Field(description="`immediate` (follows what the member did) or `daytime` (held through quiet hours)")
    description: str


class Policy(Schema):
    """The messaging policy (消息策略)."""

    quiet_hours: QuietHours = Field(description="when messages that may wait are held (business time zone)")
    max_delay_hours: int = Field(description="a held message later than this is dropped (`too-late`)")
    caps: list[CapSchema] = Field(description="marketing messages per member and channel per calendar period")
    low_balance_fen: int = Field(description="a wallet payment leaving less than this sends `wallet-low-balance`")
    sms_opt_out: str = Field(description="the opt-out wording ending every marketing SMS (拒收请回复R / 回T退订)")
    kinds: dict[str, KindSettingOut]
    wording_version: str
    wording: dict[str, str]
    version: int


class KindSettingIn(Input):
    enabled: bool
    channels: list[AnyChannel] = Field(max_length=5)


class QuietHoursIn(Input):
    start: Hhmm
    end: Hhmm


class CapIn(Input):
    channel: Channel
    limit: int = Field(ge=0, le=100)
    period: Literal["day", "week"] = "week"


class PolicyPatch(MergePatch):
    quiet_hours: QuietHoursIn | None = None
    max_delay_hours: int | None = Field(default=None, ge=1, le=72)
    caps: list[CapIn] | None = Field(default=None, max_length=8)
    low_balance_fen: int | None = Field(default=None, ge=0, le=10**8)
    sms_opt_out: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)] | None = None
    kinds: dict[str, KindSettingIn] | None = None
    wording_version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    wording: dict[Language, TemplateText] | None = None


# --- history and reports ----------------------------------------------------------------------------------------


class MessageOut(Schema):
    """A message and every decision about it."""

    message_id: str
    member_id: str | None
    kind: str
    purpose: str
    occurrence: str
    title: str
    text: str
    channel: str | None = Field(description="the external channel that carried (or will carry) it")
    inbox: bool = Field(description="whether the inbox received it")
    status: str = Field(description=STATUS)
    reason: str | None = Field(description=REASON)
    passed_over: list[list[str]] = Field(description="`[channel, reason]` for each channel not taken")
    sent_via: str | None
    sent_to: str | None = Field(description="the address, masked")
    sent_at: str | None
    release_at: str | None
    attempts: int
    last_error: str | None
    created_at: str
    read_at: str | None


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class ReportQuery(Input):
    day: Day = Field(description="a business day")


class UnsentQuery(PageQuery):
    day: Day
    kind: Annotated[str, StringConstraints(pattern=r"^[a-z-]{1,40}$")]


class KindFigures(Schema):
    kind: str
    outcomes: dict[str, int] = Field(
        description="messages by status: `queued`/`sent`, `held`, `inbox`, `suppressed`, `failed`, `lapsed`"
    )
    reasons: dict[str, int] = Field(description="`<status>:<reason>` counts, e.g. `suppressed:no-consent`")


class DayReport(Schema):
    day: str
    kinds: list[KindFigures]


class AnnouncementIn(Input):
    """A marketing message (营销消息) to up to 1,000 members."""

    title: Title
    text: Text
    member_ids: list[Annotated[str, StringConstraints(pattern=r"^mb_[0-9A-Za-z]{6,40}$")]] = Field(
        min_length=1, max_length=1000
    )


class Announcement(Schema):
    announcement_id: str
    members: int
