"""Members' replies to our SMS (上行短信), pushed to us by the SMS provider, and which of them refuse marketing.

What the providers document (read 2026-11-30):

- Tencent Cloud SMS, "SMS Reply" callback (回复短信回调; tencentcloud.com/document/api/382/43548, older
  intl.cloud.tencent.com/document/product/382/5809): a POST of one JSON object ``{"extend", "mobile",
  "nationcode", "sign", "text", "time"}`` (``time`` in Unix seconds) to the URL set in the console, answered
  ``{"result": 0, "errmsg": "OK"}``. The callback carries no signature and no authentication header.
- Aliyun SMS, SmsUp over HTTP batch push (help.aliyun.com/zh/sms/developer-reference/smsup-http, and
  help.aliyun.com/knowledge_detail/60127.html): a POST of a JSON array of ``{"phone_number", "content",
  "send_time" ("YYYY-MM-DD HH:MM:SS", Beijing time), "dest_code", "sequence_id"}`` (older pages add
  ``sign_name``), answered ``{"code": 0, "msg": "..."}``; also unsigned.

Neither provider signs its callbacks nor lets us add a header, so an HMAC of the body is not available: the
only secret we control is the callback URL itself. Each provider is given a URL holding a random token of ours
(``.../sms-replies/tencent?token=...``); a callback is authentic when the token it arrived with equals our
secret, compared in constant time. Keep the token out of access logs.
"""

from __future__ import annotations

import hmac
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.shared.logs import logger

BEIJING = ZoneInfo("Asia/Shanghai")
# Replies that refuse marketing, compared after NFKC (full-width letters become ASCII), trimming and case
# folding: the Chinese carriers' conventions 回T退订 / 回TD退订 / 拒收请回复R, N (no), the words for
# unsubscribe and refuse, and STOP / UNSUBSCRIBE for numbers abroad.
OPT_OUT_REPLIES = frozenset({"t", "td", "r", "n", "退订", "退", "拒收", "取消", "stop", "unsubscribe"})
_TRIMMED = " \t\r\n。.!！,，;；~"


class InvalidReply(ValueError):
    """A callback that is not the provider's documented shape (or not authentic: ``ForgedCallback``)."""


class ForgedCallback(InvalidReply):
    """A callback whose URL does not carry our token: not the provider's."""


_UNREADABLE = (KeyError, TypeError, ValueError, OverflowError, OSError)  # a field missing, of a wrong type or range


@dataclass(frozen=True)
class Reply:
    phone_e164: str
    text: str
    received_at: datetime
    signature_name: str | None


def is_opt_out(text: str) -> bool:
    """Whether a member's reply refuses further marketing: the whole reply is one of ``OPT_OUT_REPLIES``, in
    any case or width, with surrounding spaces and punctuation ignored ("td", "ＴＤ", " 退订。" all count; a
    sentence that merely contains T does not)."""
    return unicodedata.normalize("NFKC", text).strip(_TRIMMED).casefold() in OPT_OUT_REPLIES


def parse_replies(
    provider: str, headers: Mapping[str, str], body: bytes, secret: str, *, url_token: str | None
) -> list[Reply]:
    """The replies in one provider callback, once it is shown authentic: ``url_token`` (the token the callback
    URL carried) must equal our ``secret`` (``ForgedCallback`` otherwise). Raises InvalidReply for a body of the
    wrong shape; in an Aliyun batch, a reply that cannot be read is left out (and logged) so the others count, and
    only a batch of nothing readable is refused."""
    if not secret or url_token is None or not hmac.compare_digest(url_token.encode(), secret.encode()):
        raise ForgedCallback("callback token missing or wrong")
    content_type = {name.lower(): value for name, value in headers.items()}.get("content-type", "application/json")
    if "json" not in content_type:
        raise InvalidReply(f"callback is {content_type}, not JSON")
    try:
        document = json.loads(body)
    except ValueError as e:
        raise InvalidReply("callback body is not JSON") from e
    if provider == "tencent":
        return [_read(_tencent_reply, document)]
    if provider == "aliyun":
        if not isinstance(document, list):
            raise InvalidReply("Aliyun pushes a JSON array")
        replies, unread = [], []
        for item in document:
            try:
                replies.append(_read(_aliyun_reply, item))
            except InvalidReply as e:
                unread.append(str(e))
        if unread:
            logger.warning("aliyun replies left out", extra={"left_out": len(unread), "why": unread[:3]})
        if unread and not replies:
            raise InvalidReply(unread[0])
        return replies
    raise InvalidReply(f"unknown SMS provider {provider!r}")


def _read(parse: Any, document: Any) -> Reply:
    """One reply, or InvalidReply saying what is wrong with it in words (never a Python exception's repr)."""
    try:
        return parse(document)  # type: ignore[no-any-return]
    except KeyError as e:
        raise InvalidReply(f"the reply lacks {e.args[0]!r}") from None
    except InvalidReply:
        raise
    except _UNREADABLE:
        raise InvalidReply("a field of the reply is of the wrong type or out of range") from None


def _tencent_reply(document: Any) -> Reply:
    if not isinstance(document, dict):
        raise InvalidReply("Tencent pushes a JSON object")
    nation_code, mobile = _digits(document["nationcode"]), _digits(document["mobile"])
    return Reply(
        phone_e164=f"+{nation_code}{mobile}",
        text=str(document["text"]),
        received_at=datetime.fromtimestamp(int(document["time"]), UTC),
        signature_name=document.get("sign") or None,
    )


def _aliyun_reply(item: Any) -> Reply:
    if not isinstance(item, dict):
        raise InvalidReply("each Aliyun reply is a JSON object")
    sent = datetime.strptime(str(item["send_time"]), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    return Reply(
        phone_e164=_mainland_e164(str(item["phone_number"])),
        text=str(item["content"]),
        received_at=sent.astimezone(UTC),
        signature_name=item.get("sign_name") or None,
    )


def _digits(value: Any) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"\d{1,15}", text):
        raise InvalidReply(f"not a phone number part: {text!r}")
    return text


def _mainland_e164(number: str) -> str:
    """Aliyun's SmsUp numbers are mainland mobiles, written bare (13800138000) or with their country code."""
    digits = number.strip().removeprefix("+").removeprefix("00")
    if re.fullmatch(r"861\d{10}", digits):
        return f"+{digits}"
    if re.fullmatch(r"1\d{10}", digits):
        return f"+86{digits}"
    raise InvalidReply(f"not a mainland mobile number: {number!r}")
