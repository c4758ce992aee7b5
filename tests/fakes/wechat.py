"""WeChat's server API for mini programs on a local port: ``POST /cgi-bin/stable_token`` and
``POST /cgi-bin/message/subscribe/send?access_token=...``, answering ``errcode``/``errmsg`` as WeChat does
(HTTP 200 whatever the outcome)."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http import Answer, FakeProvider, Received

TOKEN_LIFETIME_SECONDS = 7200
MINIPROGRAM_STATES = {"developer", "trial", "formal"}
LANGUAGES = {"zh_CN", "en_US", "zh_HK", "zh_TW"}


class FakeWeChat(FakeProvider):
    """Issues tokens to ``appid``/``secret``; ``expire_tokens()`` makes every issued token answer 42001, and
    ``fail_next(errcode)`` makes the next send answer that errcode."""

    def __init__(self, appid: str, secret: str) -> None:
        super().__init__()
        self.appid, self.secret = appid, secret
        self.valid_tokens: set[str] = set()
        self.tokens_issued = 0
        self.send_failures: list[int] = []
        self.sent: list[dict[str, Any]] = []
        self._message_ids = itertools.count(3_000_000_001)

    def expire_tokens(self) -> None:
        self.valid_tokens.clear()

    def fail_next(self, errcode: int) -> None:
        self.send_failures.append(errcode)

    def respond(self, request: Received) -> Answer:
        url = urlsplit(request.path)
        if request.method != "POST":
            return _error(43002, "require POST method")
        if url.path == "/cgi-bin/stable_token":
            return self._token(request.json())
        if url.path == "/cgi-bin/message/subscribe/send":
            token = parse_qs(url.query).get("access_token", [""])[0]
            return self._send(token, request.json())
        return Answer(404, {"errcode": 404, "errmsg": "not found"})

    def _token(self, body: dict[str, Any]) -> Answer:
        if body.get("grant_type") != "client_credential":
            return _error(40002, "invalid grant_type")
        if body.get("appid") != self.appid:
            return _error(40013, "invalid appid")
        if body.get("secret") != self.secret:
            return _error(40125, "invalid appsecret")
        self.tokens_issued += 1
        token = f"ACCESS_TOKEN_{self.tokens_issued}"
        self.valid_tokens.add(token)
        return Answer(200, {"access_token": token, "expires_in": TOKEN_LIFETIME_SECONDS})

    def _send(self, token: str, body: dict[str, Any]) -> Answer:
        if not token:
            return _error(41001, "access_token missing")
        if token not in self.valid_tokens:
            return _error(42001, "access_token expired")
        if problem := _shape_problem(body):
            return _error(47001, f"data format error: {problem}")
        if self.send_failures:
            errcode = self.send_failures.pop(0)
            return _error(errcode, f"scripted errcode {errcode}")
        self.sent.append(body)
        return Answer(200, {"errcode": 0, "errmsg": "ok", "msgid": next(self._message_ids)})


def _shape_problem(body: dict[str, Any]) -> str | None:
    if not isinstance(body.get("touser"), str) or not body["touser"]:
        return "touser"
    if not isinstance(body.get("template_id"), str) or not body["template_id"]:
        return "template_id"
    data = body.get("data")
    if not isinstance(data, dict) or not all(
        isinstance(field, dict) and set(field) == {"value"} and isinstance(field["value"], str)
        for field in data.values()
    ):
        return 'data must be {"name": {"value": "..."}}'
    if body.get("miniprogram_state", "formal") not in MINIPROGRAM_STATES:
        return "miniprogram_state"
    if body.get("lang", "zh_CN") not in LANGUAGES:
        return "lang"
    if "page" in body and not isinstance(body["page"], str):
        return "page"
    return None


def _error(errcode: int, errmsg: str) -> Answer:
    return Answer(200, {"errcode": errcode, "errmsg": f"{errmsg} rid: fake"})
