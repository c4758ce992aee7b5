"""JSON over real HTTP for tests that talk to a running server (races, end to end)."""

import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class SignedHeaders(dict[str, str]):
    """A partner's headers, signed (``v2``, as the README shows) once the request's method and path are known:
    ``send`` and the test client call ``for_request``."""

    def __init__(self, partner_id: str, secret: str, body: bytes, timestamp: int) -> None:
        super().__init__({"x-partner-id": partner_id})
        self.secret, self.body, self.timestamp = secret, body, timestamp

    def for_request(self, method: str, url: str) -> dict[str, str]:
        path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
        path = path[path.find("/v1/") :]
        message = f"{self.timestamp}.{method.upper()} {path}.".encode() + self.body
        digest = hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()
        return {**self, "x-signature": f"t={self.timestamp},v2={digest}"}


def finished(headers: dict[str, str] | None, method: str, url: str) -> dict[str, str]:
    """``headers`` with a pending partner signature made for this request."""
    return headers.for_request(method, url) if isinstance(headers, SignedHeaders) else dict(headers or {})


def send(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None, token: str | None = None
) -> tuple[int, Any]:
    """(status, parsed JSON body) of one request; error statuses are answers, not exceptions."""
    data = json.dumps(body).encode() if body is not None else None
    auth = {"authorization": f"Bearer {token}"} if token else {}
    sent = {"content-type": "application/json", **auth, **finished(headers, method, url)}
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    return status, json.loads(raw) if raw else None
