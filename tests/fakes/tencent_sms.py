"""Tencent Cloud SMS (API 3.0, SendSms 2021-01-11) on a local port.

Every request is authenticated as Tencent's "Signature v3" page describes TC3-HMAC-SHA256, written here from
that description and not from the SDK: a canonical request (method, URI ``/``, empty query, the signed headers
``name:value`` in lower case, the signed header names, the payload's SHA-256), a credential scope
``date/service/tc3_request`` whose date is the UTC day of ``X-TC-Timestamp``, and a key derived as
HMAC("TC3" + SecretKey, date) -> service -> "tc3_request". Failures answer HTTP 200 with
``Response.Error`` as Tencent does; a number's own failure is its ``SendStatusSet`` entry's Code.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.fakes.http import Answer, FakeProvider, Received

ALGORITHM = "TC3-HMAC-SHA256"
MAX_CLOCK_SKEW_SECONDS = 300
REQUIRED_PARAMETERS = ("PhoneNumberSet", "SmsSdkAppId", "TemplateId")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tc3_signature(secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    signing_key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    return hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def verify_tc3(
    request: Received, credentials: dict[str, str], service: str, now: float | None = None
) -> tuple[str, str] | None:
    """None when ``request`` is signed by one of ``credentials`` (SecretId -> SecretKey), else the (code,
    message) Tencent answers."""
    authorization = request.headers.get("authorization", "")
    algorithm, _, fields = authorization.partition(" ")
    parts = dict(part.strip().split("=", 1) for part in fields.split(",") if "=" in part)
    if algorithm != ALGORITHM or not {"Credential", "SignedHeaders", "Signature"} <= parts.keys():
        return "AuthFailure.InvalidAuthorization", "Authorization is not TC3-HMAC-SHA256"
    secret_id, date, scoped_service, terminator = [*parts["Credential"].split("/"), "", "", ""][:4]
    if secret_id not in credentials:
        return "AuthFailure.SecretIdNotFound", f"unknown SecretId {secret_id}"
    timestamp = request.headers.get("x-tc-timestamp", "")
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return "AuthFailure.SignatureExpire", "X-TC-Timestamp is missing or more than 5 minutes off"
    if date != datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d") or terminator != "tc3_request":
        return "AuthFailure.InvalidAuthorization", "credential scope is not <UTC date of timestamp>/service/tc3_request"
    if scoped_service != service:
        return "AuthFailure.InvalidAuthorization", f"credential scope names {scoped_service}, not {service}"
    signed = parts["SignedHeaders"].split(";")
    if not {"content-type", "host"} <= set(signed) or signed != sorted(signed):
        return "AuthFailure.InvalidAuthorization", "SignedHeaders must be sorted and include content-type;host"
    canonical_headers = "".join(f"{name}:{request.headers.get(name, '').strip().lower()}\n" for name in signed)
    canonical_request = "\n".join(
        [
            request.method,
            request.path.split("?", 1)[0],
            request.path.split("?", 1)[1] if "?" in request.path else "",
            canonical_headers,
            parts["SignedHeaders"],
            hashlib.sha256(request.body).hexdigest(),
        ]
    )
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            timestamp,
            f"{date}/{service}/tc3_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    expected = tc3_signature(credentials[secret_id], date, service, string_to_sign)
    if not hmac.compare_digest(expected, parts["Signature"]):
        return "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
    return None


class FakeTencentSms(FakeProvider):
    """Accepts SendSms for ``sdk_app_id`` signed with ``secret_id``/``secret_key``. ``fail_request(code)`` makes
    the next request fail as a whole; ``fail_number(phone, code)`` makes that number's status fail."""

    def __init__(self, secret_id: str, secret_key: str, sdk_app_id: str) -> None:
        super().__init__()
        self.credentials = {secret_id: secret_key}
        self.sdk_app_id = sdk_app_id
        self.request_failures: list[str] = []
        self.number_failures: dict[str, str] = {}
        self.accepted: list[dict[str, Any]] = []

    def fail_request(self, code: str) -> None:
        self.request_failures.append(code)

    def fail_number(self, phone: str, code: str) -> None:
        self.number_failures[phone] = code

    def respond(self, request: Received) -> Answer:
        request_id = str(uuid.uuid4())
        if problem := self._refusal(request):
            return Answer(
                200, {"Response": {"Error": {"Code": problem[0], "Message": problem[1]}, "RequestId": request_id}}
            )
        params = request.json()
        self.accepted.append(params)
        statuses = []
        for phone in params["PhoneNumberSet"]:
            code = self.number_failures.get(phone, "Ok")
            sent = code == "Ok"
            statuses.append(
                {
                    "SerialNo": f"2433:{uuid.uuid4().int % 10**20}" if sent else "",
                    "PhoneNumber": phone,
                    "Fee": 1 if sent else 0,
                    "SessionContext": params.get("SessionContext", ""),
                    "Code": code,
                    "Message": "send success" if sent else code,
                    "IsoCode": "CN",
                }
            )
        return Answer(200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}})

    def _refusal(self, request: Received) -> tuple[str, str] | None:
        if request.method != "POST" or request.headers.get("content-type", "").split(";")[0] != "application/json":
            return "InvalidParameter", "POST application/json expected"
        if problem := verify_tc3(request, self.credentials, "sms"):
            return problem
        if request.headers.get("x-tc-action") != "SendSms" or request.headers.get("x-tc-version") != "2021-01-11":
            return "InvalidAction", "only SendSms of version 2021-01-11 is served here"
        if not request.headers.get("x-tc-region"):
            return "MissingParameter", "X-TC-Region is required"
        params = request.json()
        if missing := [name for name in REQUIRED_PARAMETERS if not params.get(name)]:
            return "MissingParameter", f"missing {', '.join(missing)}"
        if params["SmsSdkAppId"] != self.sdk_app_id:
            return "InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist"
        if not all(isinstance(value, str) for value in params.get("TemplateParamSet", [])):
            return "InvalidParameterValue.TemplateParameterFormatError", "template parameters must be strings"
        if self.request_failures:
            code = self.request_failures.pop(0)
            return code, code
        return None
