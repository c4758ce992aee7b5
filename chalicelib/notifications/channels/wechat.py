"""WeChat mini-program subscribe messages (订阅消息), over WeChat's HTTPS API with the standard library.

A member grants a template from inside the mini program (one message per grant for one-time templates); the
server then sends it to their openid. Calls carry an access token from ``stable_token`` (valid ``expires_in``
seconds, 7200 today), kept per process and fetched again five minutes before it lapses (WeChat itself renews
a stable token five minutes early). A call answered "token invalid or expired" fetches a token and is tried
once more. Errors are read from ``errcode`` as documented for subscribeMessage.send.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from chalicelib.notifications.channels.delivery import (
    Delivery,
    Failure,
    Rejected,
    Throttled,
    Transient,
    failure_for,
)

API = "https://api.weixin.qq.com"
TOKEN_MARGIN_SECONDS = 300
TIMEOUT_SECONDS = 10
STALE_TOKEN = frozenset({40001, 40014, 42001})  # invalid credential, invalid token, token expired
ERRORS = {
    "43101": Failure(Rejected, "no-grant"),  # the member refused, or used up their one-time grant
    "40003": Failure(Rejected, "invalid-address"),  # openid empty, wrong, or of another app
    "40037": Failure(Rejected, "template-not-approved"),  # template id unknown to this app
    "47003": Failure(Rejected, "provider-error"),  # a value breaks its field's rules (errmsg names the field)
    "41030": Failure(Rejected, "provider-error"),  # page not in the released mini program
    "45009": Failure(Throttled, "throttled"),  # the app's daily quota of calls
    "-1": Failure(Transient, "provider-unavailable"),  # system busy
    "40013": Failure(Rejected, "not-configured"),  # invalid appid
    "40125": Failure(Rejected, "not-configured"),  # invalid appsecret
    "40164": Failure(Rejected, "not-configured"),  # calling IP not in the app's allow list
}
LANGUAGES = {"zh-CN": "zh_CN", "en": "en_US"}


def subscribe_message(delivery: Delivery) -> dict[str, Any]:
    """subscribeMessage.send's body: the template's fields by name, each as ``{"value": ...}``, opening
    ``page`` of the released (formal) mini program in the member's language."""
    if not delivery.provider_template:
        raise Rejected("not-configured", "WeChat sends approved templates only: provider_template is missing")
    body: dict[str, Any] = {
        "touser": delivery.address,
        "template_id": delivery.provider_template,
        "data": {name: {"value": value} for name, value in delivery.params},
        "miniprogram_state": "formal",
        "lang": LANGUAGES.get(delivery.language, "zh_CN"),
    }
    if delivery.page:
        body["page"] = delivery.page
    return body


class WeChatSubscribe:
    name = "wechat"

    def __init__(
        self, appid: str, secret: str, base_url: str = API, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"WeChat base URL must be http(s): {base_url!r}")
        self.appid = appid
        self._secret = secret
        self.base_url = base_url.rstrip("/")
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None  # (token, when to fetch the next)

    def send(self, delivery: Delivery) -> str:
        body = subscribe_message(delivery)
        token = self.access_token()
        answer = self._post(f"/cgi-bin/message/subscribe/send?access_token={token}", body)
        if answer.get("errcode") in STALE_TOKEN:
            self._forget(token)
            answer = self._post(f"/cgi-bin/message/subscribe/send?access_token={self.access_token()}", body)
        _raise_for_errcode(answer)
        return str(answer.get("msgid") or delivery.message_id)

    def access_token(self) -> str:
        """This process's access token, fetched when it has none or its token is within five minutes of lapsing."""
        with self._lock:
            if self._token is None or self._monotonic() >= self._token[1]:
                answer = self._post(
                    "/cgi-bin/stable_token",
                    {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret},
                )
                _raise_for_errcode(answer)
                lifetime = int(answer.get("expires_in", 0))
                self._token = (str(answer["access_token"]), self._monotonic() + lifetime - TOKEN_MARGIN_SECONDS)
            return self._token[0]

    def _forget(self, token: str) -> None:
        with self._lock:
            if self._token is not None and self._token[0] == token:  # another thread may have fetched a new one
                self._token = None

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        # both noqa: the base URL is configuration, checked to be http(s) when this sender was made
        request = urllib.request.Request(  # noqa: S310
            self.base_url + path,
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as e:
            if e.code == 429:
                raise Throttled("throttled", "HTTP 429") from e
            if e.code >= 500:
                raise Transient("provider-unavailable", f"HTTP {e.code}") from e
            raise Rejected("provider-error", f"HTTP {e.code}") from e
        except (urllib.error.URLError, OSError) as e:
            raise Transient("network", str(e)) from e
        try:
            answer = json.loads(raw)
        except ValueError as e:
            raise Transient("provider-unavailable", "answer is not JSON") from e
        if not isinstance(answer, dict):
            raise Transient("provider-unavailable", "answer is not a JSON object")
        return answer


def _raise_for_errcode(answer: dict[str, Any]) -> None:
    errcode = answer.get("errcode", 0)
    if errcode != 0:
        raise failure_for(str(errcode), ERRORS, str(answer.get("errmsg", "")))
