"""The notifications API contract: the inbox, message preferences and consents, devices and WeChat grants,
unsubscribe links, SMS reply callbacks, templates, the policy, message history and the suppression report."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator, model_validator

from chalicelib.members.schemas import MemberNo
from chalicelib.shared.fields import FEN, NEXT_CURSOR, UTC_INSTANT, Day, MemberCode, Trimmed
from chalicelib.shared.http import Input, MergePatch, Schema
from chalicelib.shared.pagination import PageQuery

Channel = Literal["sms", "email", "push", "wechat"]
AnyChannel = Literal["sms", "email", "push", "wechat", "inbox"]
Purpose = Literal["service", "marketing"]
Language = Literal["zh-CN", "en"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), Trimmed]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), Trimmed]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Trimmed]
Token = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
TemplateText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), Trimmed]
ProviderId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), Trimmed]
Hhmm = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
MemberId = Annotated[str, StringConstraints(pattern=r"^mb_[0-9A-Za-z]{6,40}$")]

CHANNEL = "the channel: `sms` (短信), `email` (邮件), `push` (App 推送) or `wechat` (微信订阅消息)"
PURPOSE = (
    "`service` (服务通知: receipts, reminders, notices; on until switched off) or `marketing` (营销; off until granted)"
)
GRANTED = "whether the member allows it"
KIND = "the message kind (消息类型), e.g. `points-expiring`, `wallet-paid`, `announcement`"
MESSAGE_ID = "the message's id (`ms_…`)"
TITLE = "the title: email subject, push and inbox title"
TEXT = "the words as the member reads them"
SOURCE = (
    "where it was given (授权来源): `registration`, `member-page`, `import`, `staff` (on the member's request), "
    "`sms-reply` (回T退订) or `unsubscribe-link`"
)
WORDING_VERSION = "the version of the consent wording (授权文案) the member agreed to"
LANGUAGE = "the language messages come in: `zh-CN` or `en`"
HHMM = "a time of day, HH:MM in the business time zone"
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

    message_id: str = Field(description=MESSAGE_ID)
    kind: str = Field(description=KIND)
    purpose: str = Field(description="`service` (服务通知) or `marketing` (营销)")
    title: str = Field(description=TITLE)
    text: str = Field(description=TEXT)
    created_at: str = Field(description=f"when it was decided; {UTC_INSTANT}")
    read_at: str | None = Field(description="when the member read it; null: unread")
    about: str | None = Field(
        default=None, description="the order a points-mall order's message is about (`mo_…`), for the pages to open it"
    )


class InboxPage(Schema):
    """A page of the inbox, newest first."""

    items: list[InboxMessage] = Field(description="the messages")
    unread: int = Field(description="unread messages in the whole inbox")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class InboxRead(Schema):
    """What marking the inbox read did."""

    marked: int = Field(description="messages marked read by this call")
    unread: int = Field(description="unread messages left (call again while above 0)")


# --- preferences and consents -----------------------------------------------------------------------------------


class ConsentState(Schema):
    """The member's answer for a channel and purpose, or the default when they never gave one."""

    channel: Channel = Field(description=CHANNEL)
    purpose: Purpose = Field(description=PURPOSE)
    granted: bool = Field(description="service messages default to on, marketing to off, until the member answers")
    given: bool = Field(description="whether the member answered (false: the default applies)")
    source: str | None = Field(description=SOURCE)
    at: str | None = Field(description=f"when it was given; {UTC_INSTANT}")
    wording_version: str | None = Field(description=WORDING_VERSION)


class Device(Schema):
    """A device app push reaches."""

    device_id: str = Field(description="the device's id (`dv_…`)")
    platform: Literal["apns", "fcm"] = Field(description="Apple (APNs) or Android (FCM)")
    registered_at: str = Field(description=UTC_INSTANT)


class Wording(Schema):
    """The consent wording (授权文案) to show beside the marketing switches."""

    version: str = Field(description="its version: send it when granting marketing")
    text: str = Field(description="the wording in the caller's language")


class MessagePreferences(Schema):
    """What a member allows: each channel for service and marketing messages, with its proof; their language;
    push devices; WeChat one-time grants left per template."""

    member_id: str = Field(description="the member's id (`mb_…`)")
    language: Language = Field(description=LANGUAGE)
    consents: list[ConsentState] = Field(description="every channel × purpose")
    wording: Wording = Field(description="the consent wording in force")
    devices: list[Device] = Field(description="devices app push reaches (at most 10)")
    wechat_bound: bool = Field(description="whether the member's WeChat openid is known")
    wechat_grants: dict[str, int] = Field(description="WeChat one-time grants (一次性订阅) left, by template id")
    unread: int = Field(description="unread inbox messages")


class ConsentAnswer(Input):
    """One answer of the member's."""

    channel: Channel = Field(description=CHANNEL)
    purpose: Purpose = Field(description=PURPOSE)
    granted: bool = Field(description=GRANTED)


PREFERENCES_EXAMPLE: dict[str, Any] = {
    "consents": [{"channel": "sms", "purpose": "marketing", "granted": True}],
    "wording_version": "2026-12",
    "language": "zh-CN",
}


class PreferencesPatch(Input):
    """Answers to change (others stay), the wording version shown (required to grant marketing), the language."""

    model_config = ConfigDict(json_schema_extra={"examples": [PREFERENCES_EXAMPLE]})

    consents: list[ConsentAnswer] = Field(
        default_factory=list, max_length=8, description="the answers to record, at most one per channel and purpose"
    )
    wording_version: str | None = Field(default=None, max_length=40, description=WORDING_VERSION + " (shown now)")
    language: Language | None = Field(default=None, description=LANGUAGE)

    @field_validator("consents")
    @classmethod
    def _one_answer_each(cls, consents: list[ConsentAnswer]) -> list[ConsentAnswer]:
        """Two answers for one channel and purpose would record a grant and a withdrawal at the same instant."""
        asked = [(answer.channel, answer.purpose) for answer in consents]
        if len(set(asked)) < len(asked):
            raise ValueError("one answer per channel and purpose")
        return consents


class StaffPreferencesPatch(PreferencesPatch):
    """Staff record answers the member gave them (at the counter, on the phone): the note says how."""

    model_config = ConfigDict(json_schema_extra={"examples": [{**PREFERENCES_EXAMPLE, "note": "会员到店口头要求"}]})

    note: Note = Field(description="how the member gave the answer (kept as its proof)")
    member_code: MemberCode | None = Field(
        default=None,
        description="the member's code (会员码) as their pages show it now: a marketing consent staff record is the "
        "member's own, given with them there (withdrawals and service messages need none)",
    )


class ConsentChangeRow(Schema):
    """One change of consent with its proof."""

    channel: Channel = Field(description=CHANNEL)
    purpose: Purpose = Field(description=PURPOSE)
    granted: bool = Field(description=GRANTED)
    source: str = Field(description=SOURCE)
    wording_version: str | None = Field(description=WORDING_VERSION)
    actor: str | None = Field(description="who recorded it: `member:…`, `staff:…`, `system`")
    note: str | None = Field(description="staff's note, or what an SMS reply said")
    at: str = Field(description=f"when it was given; {UTC_INSTANT}")


class ConsentHistory(Schema):
    """A member's consent changes, newest first."""

    items: list[ConsentChangeRow] = Field(description="the changes")


class DeviceIn(Input):
    """The app's push token."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"platform": "fcm", "token": "dQw4w9WgXcQ:APA91bH"}]})

    platform: Literal["apns", "fcm"] = Field(description="Apple (APNs) or Android (FCM)")
    token: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=4096), Trimmed] = Field(
        description="the token the platform gave the app"
    )


class WechatGrantsIn(Input):
    """The one-time subscribe grants (一次性订阅) the member just accepted in the mini program
    (`wx.requestSubscribeMessage` answered `accept` for these template ids)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "template_ids": ["tpl-points"]}]}
    )

    openid: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=64), Trimmed] = Field(
        description="the member's openid in the mini program"
    )
    template_ids: list[ProviderId] = Field(
        min_length=1, max_length=3, description="the templates accepted, one grant each"
    )


class UnsubscribeQuery(Input):
    token: Token = Field(description="the token of the unsubscribe link (signed by this platform)")


class Unsubscribe(Schema):
    """What an unsubscribe link withdraws, and whether it is still granted."""

    channel: Channel = Field(description=CHANNEL)
    purpose: Purpose = Field(description=PURPOSE)
    granted: bool = Field(description="false once withdrawn")


class SmsReplyQuery(Input):
    token: Token = Field(description="our secret token, set in the provider's callback URL (`LOYALTY_SMS_REPLY_TOKEN`)")


class SmsReplyAnswer(Schema):
    """The answer the provider's callback expects."""

    result: int = Field(default=0, description="0: received (Tencent's callback contract)")
    errmsg: str = Field(default="OK", description="`OK`")
    opted_out: int = Field(description="replies that withdrew a member's marketing consent")


# --- templates and policy ---------------------------------------------------------------------------------------


class Words(Schema):
    """A message in one language."""

    title: str = Field(description=TITLE)
    text: str = Field(description="the text, with `{variables}`")


class WordsIn(Input):
    """A message in one language, with the kind's `{variables}`."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), Trimmed] = Field(
        description=TITLE
    )
    text: TemplateText = Field(description="the text, with the kind's `{variables}`")


class Template(Schema):
    """A message kind's words on a channel (staff's, or the default), with the provider's template id."""

    kind: str = Field(description=KIND)
    channel: AnyChannel = Field(description=CHANNEL + ", or `inbox` (站内信)")
    purpose: str = Field(description="`login`, `service` or `marketing`")
    custom: bool = Field(description="true: staff's words; false: the default")
    words: dict[str, Words] = Field(description="by language: `zh-CN`, `en`")
    variables: list[str] = Field(description="the `{name}` variables its words may use")
    provider_template: str | None = Field(
        description="the provider's template id (Tencent TemplateId, WeChat template_id) approved for these words"
    )
    params: list[list[str]] = Field(description="the provider's parameters in order: `[provider name, variable]`")
    version: int = Field(description="its version (send it as `If-Match` to change it)")


class TemplateList(Schema):
    """Every kind on every channel it may use."""

    items: list[Template] = Field(description="the templates")


class TemplateIn(Input):
    """A kind's words on a channel, and the provider's template approved for them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "words": {
                        "zh-CN": {"title": "储值到账", "text": "您已充值{amount}元，当前余额{balance}元。"},
                        "en": {
                            "title": "Top-up received",
                            "text": "You topped up {amount} CNY; balance {balance} CNY.",
                        },
                    },
                    "provider_template": "1834561",
                    "params": [["1", "amount"], ["2", "balance"]],
                }
            ]
        }
    )

    words: dict[Language, WordsIn] = Field(description="by language; `zh-CN` required")
    provider_template: ProviderId | None = Field(default=None, description="the provider's template id")
    params: list[Annotated[list[ProviderId], Field(min_length=2, max_length=2)]] = Field(
        default_factory=list,
        max_length=20,
        description="the provider's parameters in order: `[provider name, variable]`",
    )


class QuietHours(Schema):
    """When messages that may wait are held."""

    start: Hhmm = Field(description=HHMM)
    end: Hhmm = Field(description=HHMM)


class CapSchema(Schema):
    """At most `limit` marketing messages per member on a channel per calendar period."""

    channel: Channel = Field(description=CHANNEL)
    limit: int = Field(ge=0, le=100, description="messages per period")
    period: Literal["day", "week"] = Field(description="a calendar day or week (Monday first), business time")


class KindSettingOut(Schema):
    """A kind's setting: default or staff's."""

    enabled: bool = Field(description="whether it is sent")
    channels: list[str] = Field(description="the channels tried in order")
    purpose: str = Field(description="`login`, `service` or `marketing`")
    timing: str = Field(description="`immediate` (follows what the member did) or `daytime` (held through quiet hours)")
    description: str = Field(description="what it is for")


class Policy(Schema):
    """The messaging policy (消息策略)."""

    quiet_hours: QuietHours = Field(description="when messages that may wait are held (business time zone)")
    max_delay_hours: int = Field(description="a held message later than this is dropped (`too-late`)")
    caps: list[CapSchema] = Field(description="marketing messages per member and channel per calendar period")
    low_balance_fen: int = Field(description=f"a wallet payment leaving less sends `wallet-low-balance`; {FEN}")
    sms_opt_out: str = Field(description="the opt-out wording ending every marketing SMS (拒收请回复R / 回T退订)")
    kinds: dict[str, KindSettingOut] = Field(description="every kind's setting")
    wording_version: str = Field(description="the version of the consent wording")
    wording: dict[str, str] = Field(description="the consent wording by language")
    version: int = Field(description="the policy's version (send it as `If-Match` to change it)")


class KindSettingIn(Input):
    """A kind switched on or off, with its channels in order."""

    enabled: bool = Field(description="whether it is sent")
    channels: list[AnyChannel] = Field(max_length=5, description="the channels tried in order")


class QuietHoursIn(Input):
    """When messages that may wait are held: must cover 22:00–08:00."""

    start: Hhmm = Field(description=HHMM)
    end: Hhmm = Field(description=HHMM)


class CapIn(Input):
    """A marketing cap."""

    channel: Channel = Field(description=CHANNEL)
    limit: int = Field(ge=0, le=100, description="messages per period")
    period: Literal["day", "week"] = Field(default="week", description="a calendar day or week")


class PolicyPatch(MergePatch):
    """Changes to the policy (merge patch: what is left out stays)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "quiet_hours": {"start": "21:00", "end": "09:00"},
                    "caps": [{"channel": "sms", "limit": 2, "period": "week"}],
                    "kinds": {"points-earned": {"enabled": True, "channels": ["push", "inbox"]}},
                }
            ]
        }
    )

    quiet_hours: QuietHoursIn | None = Field(default=None, description="when messages that may wait are held")
    max_delay_hours: int | None = Field(default=None, ge=1, le=72, description="the longest a message may be held")
    caps: list[CapIn] | None = Field(default=None, max_length=8, description="the caps (replacing all of them)")
    low_balance_fen: int | None = Field(default=None, ge=0, le=10**8, description=f"the low-balance line; {FEN}")
    sms_opt_out: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), Trimmed] | None
    ) = Field(default=None, description="the opt-out wording ending every marketing SMS")
    kinds: dict[str, KindSettingIn] | None = Field(default=None, description="kinds to change, by name")
    wording_version: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), Trimmed] | None
    ) = Field(default=None, description="a new consent wording's version")
    wording: dict[Language, TemplateText] | None = Field(default=None, description="the consent wording by language")


# --- history and reports ----------------------------------------------------------------------------------------


class MessageOut(Schema):
    """A message and every decision about it: its text and (masked) address are one member's, never cached."""

    confidential: ClassVar[bool] = True

    message_id: str = Field(description=MESSAGE_ID)
    member_id: str | None = Field(description="the member's id (`mb_…`)")
    kind: str = Field(description=KIND)
    purpose: str = Field(description="`login`, `service` or `marketing`")
    occurrence: str = Field(description="what makes it once: the payment, the order, the expiry date …")
    title: str = Field(description=TITLE)
    text: str = Field(description=TEXT)
    channel: str | None = Field(description="the external channel that carried (or will carry) it")
    inbox: bool = Field(description="whether the inbox received it")
    status: str = Field(description=STATUS)
    reason: str | None = Field(description=REASON)
    passed_over: list[list[str]] = Field(description="`[channel, reason]` for each channel not taken")
    sent_via: str | None = Field(description="the sender: `tencent-sms`, `sns-sms`, `ses`, `sns-push`, `wechat`, …")
    sent_to: str | None = Field(description="the address, masked")
    sent_at: str | None = Field(description=UTC_INSTANT)
    release_at: str | None = Field(description=f"a held message's release; {UTC_INSTANT}")
    attempts: int = Field(description="sends tried")
    last_error: str | None = Field(description="the provider's last error")
    created_at: str = Field(description=f"when it was decided; {UTC_INSTANT}")
    read_at: str | None = Field(description="when the member read it in the inbox")


class MessagePage(Schema):
    """A page of messages, newest first."""

    items: list[MessageOut] = Field(description="the messages")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class ReportQuery(Input):
    day: Day = Field(description="a business day")


class UnsentQuery(PageQuery):
    day: Day = Field(description="a business day")
    kind: Annotated[str, StringConstraints(pattern=r"^[a-z-]{1,40}$")] = Field(description=KIND)


class KindFigures(Schema):
    """A kind's messages of the day."""

    kind: str = Field(description=KIND)
    outcomes: dict[str, int] = Field(
        description="decisions and sends by status: `queued`, `sent`, `held`, `inbox`, `suppressed`, `failed`, `lapsed`"
    )
    reasons: dict[str, int] = Field(description="`<status>:<reason>` counts, e.g. `suppressed:no-consent`")


class DayReport(Schema):
    """A business day's messages per kind."""

    day: str = Field(description="the business day")
    kinds: list[KindFigures] = Field(description="each kind with messages that day")


class AnnouncementIn(Input):
    """A marketing message (营销消息) to up to 1,000 members."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"title": "双11会员日", "text": "全场积分翻倍，会员专享8折。", "member_ids": ["mb_01JDEMO0MEMBER"]}
            ]
        }
    )

    title: Title = Field(description=TITLE)
    text: Text = Field(description="the text (a marketing SMS gets the opt-out wording added)")
    member_ids: list[MemberId] = Field(default_factory=list, max_length=1000, description="the members (`mb_…`)")
    member_nos: list[MemberNo] = Field(
        default_factory=list, max_length=1000,
        description="the members by member number (会员号, as the member list shows it), with or instead of ids",
    )  # fmt: skip

    @model_validator(mode="after")
    def _someone(self) -> AnnouncementIn:
        if not self.member_ids and not self.member_nos:
            raise ValueError("name at least one member, by member_ids or member_nos")
        if len(self.member_ids) + len(self.member_nos) > 1000:
            raise ValueError("at most 1,000 members, ids and numbers together")
        return self


class Announcement(Schema):
    """An announcement accepted: each member's message is decided on its own."""

    announcement_id: str = Field(description="its id (`an_…`)")
    members: int = Field(description="the members it goes to")
    unknown: list[str] = Field(default_factory=list, description="ids and member numbers given that are no member's "
                               "(or an erased one's): sent nothing")  # fmt: skip
