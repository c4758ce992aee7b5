"""Notifications routes: the member's inbox, message preferences (consents per channel and purpose), devices and
WeChat grants; one-click unsubscribe links and SMS reply callbacks; staff's templates, policy, announcements, a
member's message history and consents, and the day's report of what was and was not sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.identity.access import ANY_STAFF, MEMBER, PUBLIC, MemberSelf, Staff, StaffOrSelf
from chalicelib.identity.member_auth import MembershipFrozen
from chalicelib.identity.rules import Permission
from chalicelib.members import service as members
from chalicelib.members.model import Status as MemberStatus
from chalicelib.members.service import reachable
from chalicelib.notifications import messages, profiles, settings
from chalicelib.notifications.profiles import ConsentChange, Proof, TooManyDevices
from chalicelib.notifications.schemas import (
    Announcement,
    AnnouncementIn,
    ConsentHistory,
    DayReport,
    DeviceIn,
    InboxMessage,
    InboxPage,
    InboxQuery,
    InboxRead,
    MessagePage,
    MessagePreferences,
    Policy,
    PolicyPatch,
    PreferencesPatch,
    ReportQuery,
    SmsReplyAnswer,
    SmsReplyQuery,
    StaffPreferencesPatch,
    Template,
    TemplateIn,
    TemplateList,
    UnsentQuery,
    Unsubscribe,
    UnsubscribeQuery,
    WechatGrantsIn,
    Wording,
)
from chalicelib.shared.errors import (
    Conflict,
    IdempotencyKeyReused,
    InvalidCursor,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint, etag
from chalicelib.shared.pagination import PageQuery
from chalicelib.shared.settings import get_settings

MANAGE = Staff(Permission.NOTIFICATIONS_MANAGE, chain=True)
READ = Staff(Permission.NOTIFICATIONS_READ, chain=True)
MEMBER_MESSAGES = StaffOrSelf(Permission.NOTIFICATIONS_READ, serves=True)


class StaleWording(Conflict):
    slug, title = "stale-wording", "The consent wording changed; show the current one"


def _wording(language: str) -> dict[str, str]:
    policy = settings.policy()
    return {"version": policy.wording_version, "text": policy.wording.get(language) or policy.wording.get("zh-CN", "")}


@endpoint("/v1/consent-wording", "GET", summary="The consent wording in force", tag="notifications",
          access=ANY_STAFF, response=Wording)  # fmt: skip
def consent_wording(ctx: RequestContext) -> Reply:
    """The marketing consent wording (授权文案) in force, in the caller's language, with its version: what a counter
    shows a customer beside the consent it records at registration, as the member pages show it beside the switches
    (an F&B walkthrough's counter said 回复 TD 退订 where the wording the consent's proof names says 回复R)."""
    return Reply(Wording.model_validate(_wording(ctx.language)))


def _preferences(member_id: str, language: str, found: profiles.Profile | None = None) -> Reply:
    """The member's message preferences (``found``: the profile as a change just left it, read otherwise)."""
    found = found or profiles.profile(member_id)
    body = {
        "member_id": member_id,
        "language": found.language,
        "consents": profiles.consents_json(found),
        "wording": _wording(language),
        "devices": [{k: d[k] for k in ("device_id", "platform", "registered_at")} for d in found.devices],
        "wechat_bound": bool(found.wechat_openid),
        "wechat_grants": found.wechat_grants,
        "unread": max(found.unread, 0),
    }
    return Reply(MessagePreferences.model_validate(body))


def _change(
    member_id: str, patch: PreferencesPatch, source: str, note: str | None = None,
    marketing_granted_by: Callable[[], None] | None = None,
) -> profiles.Profile:  # fmt: skip
    """Record the answers of ``patch``; granting marketing needs the wording version the member was shown (and
    ``marketing_granted_by``: the member there, for staff). An erased member's consents are closed (409
    ``member-erased``); a frozen member may switch channels off, not on (403)."""
    reach = members.reach_of(member_id)
    if reach is None or reach.status == MemberStatus.ERASED:
        raise members.MemberErased(f"Member {member_id} was erased: nothing is sent to them")
    if reach.status == MemberStatus.FROZEN and any(a.granted for a in patch.consents):
        raise MembershipFrozen("The membership is frozen: channels may be switched off, not on")
    current = settings.policy().wording_version
    grants_marketing = any(a.granted and a.purpose == "marketing" for a in patch.consents)
    if grants_marketing and marketing_granted_by is not None:
        marketing_granted_by()
    if grants_marketing and patch.wording_version != current:
        raise StaleWording(f"Marketing consent is given to wording {current!r}; show it and send its version")
    changes = [ConsentChange(a.channel, a.purpose, a.granted) for a in patch.consents]
    proof = Proof(source, wording_version=patch.wording_version or current, note=note)
    return profiles.change(member_id, changes, proof, patch.language)


# --- the member's own --------------------------------------------------------------------------------------------


@endpoint(
    "/v1/me/inbox",
    "GET",
    summary="My inbox",
    tag="me",
    access=MEMBER,
    query=InboxQuery,
    response=InboxPage,
    errors=(InvalidCursor,),
)
def my_inbox(ctx: RequestContext) -> Reply:
    """The member's inbox (站内信), newest first: every service message (receipts, reminders, tier and order
    notices) and the marketing the member's settings let in, with the unread count."""
    query = ctx.query
    items, cursor = messages.inbox(ctx.caller.id, query.limit, query.cursor, query.unread_only)
    body = {"items": items, "unread": messages.unread(ctx.caller.id), "next_cursor": cursor}
    return Reply(InboxPage.model_validate(body))


@endpoint(
    "/v1/me/inbox/{message_id}/read",
    "POST",
    summary="Mark an inbox message read",
    tag="me",
    access=MEMBER,
    response=InboxMessage,
    errors=(NotFound,),
)
def read_message(ctx: RequestContext, message_id: str) -> Reply:
    """Mark one message read; reading it again changes nothing. 404 for a message not in this inbox."""
    return Reply(InboxMessage.model_validate(messages.mark_read(ctx.caller.id, message_id)))


@endpoint("/v1/me/inbox/read-all", "POST", summary="Mark my inbox read", tag="me", access=MEMBER, response=InboxRead)
def read_all(ctx: RequestContext) -> Reply:
    """Mark the newest unread messages read (up to 40 a call: call again while `unread` is above 0)."""
    marked = messages.mark_all_read(ctx.caller.id)
    return Reply(InboxRead(marked=marked, unread=messages.unread(ctx.caller.id)))


@endpoint(
    "/v1/me/message-preferences",
    "GET",
    summary="My message settings",
    tag="me",
    access=MEMBER,
    response=MessagePreferences,
)
def my_preferences(ctx: RequestContext) -> Reply:
    """What the member allows per channel (SMS, email, app push, WeChat) for service messages (on until switched
    off) and marketing (off until granted), with the consent wording to show beside the switches."""
    return _preferences(ctx.caller.id, ctx.language)


@endpoint(
    "/v1/me/message-preferences",
    "PATCH",
    summary="Change my message settings",
    tag="me",
    access=MemberSelf(while_frozen=True),
    body=PreferencesPatch,
    response=MessagePreferences,
    errors=(ValidationFailed, StaleWording, MembershipFrozen),
)
def change_my_preferences(ctx: RequestContext) -> Reply:
    """Switch channels on or off per purpose, and set the language messages come in. Each change is recorded with
    its proof (`member-page`, now, the wording version); granting marketing needs `wording_version`, the version
    of the wording shown (409 `stale-wording` when it changed meanwhile). A frozen member may switch channels off
    (403 `membership-frozen` to switch one on)."""
    return _preferences(ctx.caller.id, ctx.language, _change(ctx.caller.id, ctx.body, "member-page"))


@endpoint(
    "/v1/me/consent-history", "GET", summary="My consent history", tag="me", access=MEMBER, response=ConsentHistory
)
def my_consent_history(ctx: RequestContext) -> Reply:
    """Every change of the member's consents, newest first, with its proof."""
    return Reply(ConsentHistory.model_validate({"items": profiles.history(ctx.caller.id)}))


@endpoint(
    "/v1/me/devices",
    "POST",
    summary="Register a device for app push",
    tag="me",
    access=MEMBER,
    body=DeviceIn,
    response=MessagePreferences,
    status=201,
    errors=(TooManyDevices, ValidationFailed),
)
def register_device(ctx: RequestContext) -> Reply:
    """Register the app's push token (APNs or FCM): app push then reaches this device. The same token again is the
    same device; at most 10 devices (409 `too-many-devices`)."""
    profiles.add_device(ctx.caller.id, ctx.body.platform, ctx.body.token)
    reply = _preferences(ctx.caller.id, ctx.language)
    return Reply(reply.body, status=201)


@endpoint(
    "/v1/me/devices/{device_id}",
    "DELETE",
    summary="Forget a push device",
    tag="me",
    access=MEMBER,
    status=204,
    errors=(NotFound,),
)
def forget_device(ctx: RequestContext, device_id: str) -> Reply:
    """Stop app push to a device (a log-out on it, or the app uninstalled)."""
    profiles.forget_device(ctx.caller.id, device_id)
    return Reply(status=204)


@endpoint(
    "/v1/me/wechat-grants",
    "POST",
    summary="Count WeChat subscribe grants",
    tag="me",
    access=MEMBER,
    body=WechatGrantsIn,
    response=MessagePreferences,
    errors=(ValidationFailed,),
)
def add_wechat_grants(ctx: RequestContext) -> Reply:
    """Report the one-time subscribe grants (一次性订阅消息) the member just accepted in the mini program: WeChat
    offers no API to read them back, so each is counted here, and each message sent on WeChat spends one of its
    template's grants."""
    profiles.add_wechat_grants(ctx.caller.id, ctx.body.openid, list(ctx.body.template_ids))
    return _preferences(ctx.caller.id, ctx.language)


# --- links and callbacks ------------------------------------------------------------------------------------------


@endpoint(
    "/v1/unsubscribe",
    "GET",
    summary="Read an unsubscribe link",
    tag="notifications",
    access=PUBLIC,
    query=UnsubscribeQuery,
    response=Unsubscribe,
    errors=(ValidationFailed,),
)
def read_unsubscribe(ctx: RequestContext) -> Reply:
    """What an unsubscribe link (退订链接) withdraws, and whether it is withdrawn already: the member pages'
    confirmation page shows it before the member confirms."""
    member_id, channel, purpose = profiles.read_unsubscribe_token(ctx.query.token)
    granted = profiles.profile(member_id).states().get(f"{channel}:{purpose}", False)
    return Reply(Unsubscribe(channel=channel, purpose=purpose, granted=granted))


@endpoint(
    "/v1/unsubscribe",
    "POST",
    summary="Unsubscribe with one click",
    tag="notifications",
    access=PUBLIC,
    query=UnsubscribeQuery,
    response=Unsubscribe,
    errors=(ValidationFailed,),
    accepts=("*/*",),
)
def unsubscribe(ctx: RequestContext) -> Reply:
    """Withdraw what an unsubscribe link names (marketing on its channel), at once, recorded as
    `unsubscribe-link`. Mail clients post `List-Unsubscribe=One-Click` here (RFC 8058); the body is not read.
    Repeating it changes nothing."""
    member_id, channel, purpose = profiles.read_unsubscribe_token(ctx.query.token)
    reach = members.reach_of(member_id)
    if reach is not None and reach.status != MemberStatus.ERASED:  # an erased member is sent nothing: nothing to do
        profiles.change(member_id, [ConsentChange(channel, purpose, False)], Proof("unsubscribe-link"))
    return Reply(Unsubscribe(channel=channel, purpose=purpose, granted=False))


@endpoint(
    "/v1/notifications/sms-replies/{provider}",
    "POST",
    summary="Receive SMS replies",
    tag="notifications",
    access=PUBLIC,
    query=SmsReplyQuery,
    response=SmsReplyAnswer,
    errors=(Unauthenticated, NotFound, ValidationFailed),
    accepts=("*/*",),
)
def sms_replies(ctx: RequestContext, provider: str) -> Reply:
    """The SMS provider's reply callback (上行短信): a reply of T, TD, R, 退订 … withdraws the sender's marketing
    consent on SMS at once (`sms-reply`). Neither provider signs its callbacks: the URL carries our secret token
    (`LOYALTY_SMS_REPLY_TOKEN`), compared in constant time; 401 without it. A body that is not the provider's
    shape is 422; in an Aliyun batch a reply that cannot be read is left out and the others count."""
    from chalicelib.members.service import holder
    from chalicelib.notifications.channels.replies import ForgedCallback, InvalidReply, is_opt_out, parse_replies

    if provider not in ("tencent", "aliyun"):
        raise NotFound(f"No SMS provider {provider!r}")
    request = ctx.request
    try:
        replies = parse_replies(
            provider,
            dict(request.headers),
            _raw(request.raw_body),
            get_settings().sms_reply_token or "",
            url_token=ctx.query.token,
        )
    except ForgedCallback as e:
        raise Unauthenticated(str(e)) from None
    except InvalidReply as e:
        raise ValidationFailed([{"field": "", "in": "body", "message": str(e)}], str(e)) from None
    opted_out = 0
    for reply in replies:
        member_id = holder(phone=reply.phone_e164) if is_opt_out(reply.text) else None
        if member_id:
            proof = Proof("sms-reply", note=f"replied {reply.text.strip()[:10]!r}")
            profiles.change(member_id, [ConsentChange("sms", "marketing", False)], proof)
            opted_out += 1
    return Reply(SmsReplyAnswer(opted_out=opted_out))


# --- staff ----------------------------------------------------------------------------------------------------------


@endpoint(
    "/v1/notifications/templates",
    "GET",
    summary="Message templates",
    tag="notifications",
    access=READ,
    response=TemplateList,
)
def list_message_templates(ctx: RequestContext) -> Reply:
    """Every message kind on every channel it may use: staff's words where they exist, the defaults elsewhere."""
    items = [settings.template_json(found) for found in settings.all_templates()]
    return Reply(TemplateList.model_validate({"items": items}))


@endpoint(
    "/v1/notifications/templates/{kind}/{channel}",
    "PUT",
    summary="Set a message template",
    tag="notifications",
    access=MANAGE,
    body=TemplateIn,
    response=Template,
    errors=(NotFound, ValidationFailed, PreconditionFailed),
)
def set_message_template(ctx: RequestContext, kind: str, channel: str) -> Reply:
    """Set a kind's words on a channel (zh-CN required, en optional) and the provider's template id approved for
    them, with its parameters in order. Words may use only the kind's variables; a marketing SMS must carry its
    opt-out wording (拒收请回复R or 回T退订). `If-Match` (optional) guards against overwriting another's change."""
    body = ctx.body.model_dump()
    found = settings.set_template(kind, channel, body, ctx.if_match)
    return Reply(Template.model_validate(settings.template_json(found)))


@endpoint(
    "/v1/notifications/templates/{kind}/{channel}",
    "DELETE",
    summary="Restore a default template",
    tag="notifications",
    access=MANAGE,
    response=Template,
    errors=(NotFound,),
)
def reset_message_template(ctx: RequestContext, kind: str, channel: str) -> Reply:
    """Go back to the kind's default words on the channel."""
    return Reply(Template.model_validate(settings.template_json(settings.reset_template(kind, channel))))


@endpoint(
    "/v1/notifications/policy",
    "GET",
    summary="Messaging policy",
    tag="notifications",
    access=READ,
    response=Policy,
    etag=True,
)
def get_policy(ctx: RequestContext) -> Reply:
    """Quiet hours, caps, which kinds go out on which channels, and the consent wording; the `ETag` is its version
    (for `If-Match`)."""
    return _policy_reply(settings.policy_json(settings.policy()))


def _policy_reply(answer: dict[str, Any]) -> Reply:
    return Reply(Policy.model_validate(answer), headers={"ETag": etag(int(answer["version"]))})


@endpoint(
    "/v1/notifications/policy",
    "PATCH",
    summary="Change the messaging policy",
    tag="notifications",
    access=MANAGE,
    body=PolicyPatch,
    response=Policy,
    errors=(ValidationFailed, PreconditionFailed, PreconditionRequired),
    if_match=True,
    etag=True,
)
def change_policy(ctx: RequestContext) -> Reply:
    """Change quiet hours (they must cover 22:00–08:00, when providers refuse marketing SMS), caps, a kind's channels
    or whether it is sent (login codes stay on SMS), the SMS opt-out wording, or the consent wording (a new wording
    needs a new `wording_version`), under `If-Match` (428 without, 412 when someone changed it since)."""
    changes = ctx.body.model_dump(exclude_unset=True)
    return _policy_reply(settings.set_policy(changes, ctx.if_match))


@endpoint(
    "/v1/notifications/announcements",
    "POST",
    summary="Send a marketing message",
    tag="notifications",
    access=MANAGE,
    body=AnnouncementIn,
    response=Announcement,
    status=202,
    idempotency="required",
    errors=(ValidationFailed, IdempotencyKeyReused),
)
def announce(ctx: RequestContext) -> Reply:
    """A marketing message (营销消息) to up to 1,000 members. Each member's message is decided on its own: it needs
    their marketing consent on a channel, waits out the quiet hours and counts against the caps; it lands in the inbox
    when no channel may carry it only if the policy lists the inbox among the announcement's channels (not by default:
    marketing reaches those who agreed to it). The report of the day shows who received it and who was suppressed,
    and why. Once per `Idempotency-Key` (required): a retry answers the first announcement and sends nothing again."""
    body = ctx.body
    answer = messages.announce(body.title, body.text, list(body.member_ids), ctx.idempotency, list(body.member_nos))
    return Reply(Announcement.model_validate(answer), status=202)


@endpoint(
    "/v1/notifications/report",
    "GET",
    summary="Messages of a day",
    tag="notifications",
    access=READ,
    query=ReportQuery,
    response=DayReport,
)
def day_report(ctx: RequestContext) -> Reply:
    """A business day's messages per kind: sent, held, inbox only, suppressed and failed, with the reasons."""
    day = ctx.query.day
    return Reply(DayReport.model_validate({"day": day.isoformat(), "kinds": messages.day_report(day)}))


@endpoint(
    "/v1/notifications/unsent",
    "GET",
    summary="Messages not sent",
    tag="notifications",
    access=READ,
    query=UnsentQuery,
    response=MessagePage,
    errors=(InvalidCursor,),
)
def unsent(ctx: RequestContext) -> Reply:
    """The suppression report (未发送明细): a kind's messages a business day did not send, with the reason (no
    consent, opted out, capped, no address, too late, the provider's refusal) or the inbox that took them instead."""
    query = ctx.query
    items, cursor = messages.unsent(query.day, query.kind, query.limit, query.cursor)
    return Reply(MessagePage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint(
    "/v1/members/{member_id}/messages",
    "GET",
    summary="A member's messages",
    tag="notifications",
    access=MEMBER_MESSAGES,
    query=PageQuery,
    response=MessagePage,
    errors=(NotFound, InvalidCursor),
)
def member_messages(ctx: RequestContext, member_id: str) -> Reply:
    """Every message decided for a member, newest first: where it went or why not. A text about a student's card
    (学员) names the child to staff who read personal data (`pii:read`), the card's words alone to others."""
    items, cursor = messages.history(reachable(ctx.caller, member_id), ctx.query.limit, ctx.query.cursor,
                                     named=ctx.caller.may(Permission.PII_READ))  # fmt: skip
    return Reply(MessagePage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint(
    "/v1/members/{member_id}/message-preferences",
    "GET",
    summary="A member's message settings",
    tag="notifications",
    access=MEMBER_MESSAGES,
    response=MessagePreferences,
    errors=(NotFound,),
)
def member_preferences(ctx: RequestContext, member_id: str) -> Reply:
    """A member's consents per channel and purpose with their proof, language, devices and WeChat grants."""
    return _preferences(reachable(ctx.caller, member_id), ctx.language)


@endpoint(
    "/v1/members/{member_id}/message-preferences",
    "PATCH",
    summary="Record a member's message settings",
    tag="notifications",
    access=Staff(Permission.MEMBERS_WRITE, serves=True),
    body=StaffPreferencesPatch,
    response=MessagePreferences,
    errors=(NotFound, ValidationFailed, StaleWording, members.MemberCodeNotCurrent, RateLimited),
)
def change_member_preferences(ctx: RequestContext, member_id: str) -> Reply:
    """Record answers the member gave staff (at the counter, on the phone), as `staff` with the note saying how.

    A marketing consent is the member's own: staff record one granted only with the member there, `member_code` the
    code their pages show now (422 on `member_code` without one, 422 `member-code-not-current` for another, 429
    after ten). A probe's store manager switched marketing back on one request after the member had switched it off,
    with a note as the only proof. Withdrawals, service messages and the language need no code: the member may ask
    any store, or call, to stop texts."""
    body = ctx.body
    member_id = reachable(ctx.caller, member_id)

    def there() -> None:
        if not body.member_code:
            detail = "a marketing consent is the member's own: scan the code their pages show (会员码)"
            raise ValidationFailed([{"field": "member_code", "in": "body", "message": detail}], detail)
        members.require_present(member_id, body.member_code)

    changed = _change(member_id, body, "staff", note=body.note, marketing_granted_by=there)
    return _preferences(member_id, ctx.language, changed)


@endpoint(
    "/v1/members/{member_id}/consent-history",
    "GET",
    summary="A member's consent history",
    tag="notifications",
    access=MEMBER_MESSAGES,
    response=ConsentHistory,
    errors=(NotFound,),
)
def member_consent_history(ctx: RequestContext, member_id: str) -> Reply:
    """Every change of a member's consents, newest first, with its proof (when, from what, which wording, who)."""
    return Reply(ConsentHistory.model_validate({"items": profiles.history(reachable(ctx.caller, member_id))}))


def _raw(body: str | bytes | None) -> bytes:
    return body.encode() if isinstance(body, str) else body or b""
