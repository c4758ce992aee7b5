"""Opaque list cursors: a signed, URL-safe encoding of DynamoDB's LastEvaluatedKey.

The signature binds a cursor to the list it came from (its ``scope``), so a client can neither forge a
start key into another member's partition nor reuse one list's cursor on another: both are 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from pydantic import Field

from chalicelib.shared.errors import InvalidCursor
from chalicelib.shared.http import Input
from chalicelib.shared.settings import get_settings

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _signature(scope: str, payload: bytes) -> bytes:
    key = get_settings().cursor_secret.encode()
    return hmac.new(key, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:16]


def encode_cursor(scope: str, last_evaluated_key: dict[str, Any] | None) -> str | None:
    """The cursor for the next page, or None at the end of the list."""
    if not last_evaluated_key:
        return None
    payload = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(_signature(scope, payload) + payload).decode().rstrip("=")


def decode_cursor(scope: str, cursor: str | None) -> dict[str, Any] | None:
    """The start key a cursor stands for; InvalidCursor if it was altered or belongs to another list."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCursor("The cursor is not one this API issued") from None
    signature, payload = raw[:16], raw[16:]
    if not hmac.compare_digest(signature, _signature(scope, payload)):
        raise InvalidCursor("The cursor is not one this API issued for this list")
    key = json.loads(payload)
    if not isinstance(key, dict):
        raise InvalidCursor("The cursor is not one this API issued")
    return key


class PageQuery(Input):
    """The query of a plain list: a page size and the cursor to continue from."""

    limit: int = Field(default=50, ge=1, le=200, description="the most items a page holds")
    cursor: str | None = Field(default=None, max_length=2048, description="the previous page's `next_cursor`")
