"""JSON over real HTTP for tests that talk to a running server (races, end to end)."""

import json
import urllib.error
import urllib.request
from typing import Any


def send(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None, token: str | None = None
) -> tuple[int, Any]:
    """(status, parsed JSON body) of one request; error statuses are answers, not exceptions."""
    data = json.dumps(body).encode() if body is not None else None
    auth = {"authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json", **auth, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    return status, json.loads(raw) if raw else None
