"""Channel senders: one small interface (``Sender.send(Delivery) -> provider id``), one implementation per
provider, chosen per channel by configuration.

| channel | ``LOYALTY_*_SENDER`` | sender |
|---|---|---|
| sms | ``dev-outbox`` / ``sns`` / ``tencent`` | DevOutbox / SnsSms (abroad) / TencentSms (mainland China) |
| email | ``dev-outbox`` / ``ses`` | DevOutbox / SesEmail |
| push | ``dev-outbox`` / ``sns`` | DevOutbox / SnsPush (devices: ``register_device`` / ``forget_device``) |
| wechat | ``dev-outbox`` / ``wechat`` | DevOutbox / WeChatSubscribe |

Provider SDKs are imported inside the sender that needs them, on its first message.
"""

from __future__ import annotations

import functools

from chalicelib.notifications.channels.delivery import (
    Delivery,
    Rejected,
    Sender,
    SendFailed,
    Throttled,
    Transient,
)
from chalicelib.notifications.channels.dev_outbox import DEV_OUTBOX, DevOutbox
from chalicelib.notifications.kinds import EXTERNAL_CHANNELS as CHANNELS
from chalicelib.shared.settings import get_settings

__all__ = [
    "CHANNELS",
    "DEV_OUTBOX",
    "Delivery",
    "DevOutbox",
    "Rejected",
    "SendFailed",
    "Sender",
    "Throttled",
    "Transient",
    "device_endpoint",
    "forget_endpoint",
    "sender_for",
]


@functools.cache
def sender_for(channel: str) -> Sender:
    """The configured sender of ``channel``, made once per process; its credentials are read from Secrets
    Manager when it is made."""
    from chalicelib.notifications.channels.credentials import provider_secret, required

    settings = get_settings()
    chosen = {
        "sms": settings.sms_sender,
        "email": settings.email_sender,
        "push": settings.push_sender,
        "wechat": settings.wechat_sender,
    }.get(channel)
    if chosen is None:
        raise ValueError(f"unknown channel {channel!r}: one of {', '.join(CHANNELS)}")
    if chosen == DEV_OUTBOX:
        return DevOutbox()
    if channel == "sms" and chosen == "sns":
        from chalicelib.notifications.channels.sns_sms import SnsSms

        return SnsSms()
    if channel == "sms" and chosen == "tencent" and settings.sms_secret:
        from chalicelib.notifications.channels.tencent_sms import TencentAccount, TencentSms

        values = provider_secret(settings.sms_secret)
        secret_id, secret_key, app, sign = required(
            values, settings.sms_secret, "secret_id", "secret_key", "sdk_app_id", "sign_name"
        )
        account = TencentAccount(secret_id, secret_key, app, sign, values.get("region") or "ap-guangzhou")
        return TencentSms(account, endpoint=settings.sms_endpoint)
    if channel == "email" and settings.email_from:
        from chalicelib.notifications.channels.ses_email import SesEmail

        return SesEmail(settings.email_from, settings.email_region)
    if channel == "push":
        from chalicelib.notifications.channels.sns_push import SnsPush

        return SnsPush()
    if channel == "wechat" and settings.wechat_secret:
        from chalicelib.notifications.channels.wechat import API, WeChatSubscribe

        appid, secret = required(provider_secret(settings.wechat_secret), settings.wechat_secret, "appid", "secret")
        return WeChatSubscribe(appid, secret, base_url=settings.wechat_endpoint or API)
    raise Rejected("not-configured", f"{channel} sender {chosen!r} lacks its settings")


def device_endpoint(platform: str, token: str, member_id: str) -> str:
    """Where app push reaches a device: its SNS platform endpoint, or (the dev outbox) a name of it."""
    if get_settings().push_sender != "sns":
        return f"{DEV_OUTBOX}:{platform}:{token[-8:]}"
    from chalicelib.notifications.channels.sns_push import register_device

    return register_device(platform, token, member_id)


def forget_endpoint(endpoint: str) -> None:
    """Delete a device's SNS endpoint (idempotent); the dev outbox keeps none."""
    if get_settings().push_sender == "sns":
        from chalicelib.notifications.channels.sns_push import forget_device

        forget_device(endpoint)
