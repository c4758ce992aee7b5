"""Partner request signatures. Pure.

A partner signs each request with a secret it shares with us::

    X-Partner-Id: <partner id>
    X-Signature: t=<unix seconds>,v1=<hex>

where hex = HMAC-SHA256(key = the secret's UTF-8 bytes, message = "<t>." + the raw body bytes). During a
rotation a partner may send one ``v1=`` per secret. A request is good when some ``v1`` matches some active
secret (compared in constant time) and ``t`` is within 300 seconds of our clock, so a captured request
cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

TOLERANCE_SECONDS = 300
_HEX = re.compile(r"[0-9a-fA-F]{64}")
MAX_SIGNATURES = 5


class BadSignature(ValueError):
    """Why a signature was refused (for logs; callers answer a plain 401)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` value for ``body`` sent at ``timestamp``."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def parse(header: str) -> tuple[int, list[str]]:
    """The timestamp and ``v1`` values of an ``X-Signature`` header; other schemes are ignored."""
    timestamp: int | None = None
    values: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit() and timestamp is None and len(value) <= 12:
            timestamp = int(value)
        elif name == "t":
            raise BadSignature("the timestamp is malformed or repeated")
        elif name == "v1" and _HEX.fullmatch(value):
            values.append(value.lower())
    if timestamp is None or not values:
        raise BadSignature("a signature needs t= and at least one v1=")
    if len(values) > MAX_SIGNATURES:
        raise BadSignature("too many signatures")
    return timestamp, values


def verify(header: str, body: bytes, secrets: Iterable[str], now: float) -> None:
    """Return when the header signs ``body`` with one of ``secrets`` recently enough; else raise BadSignature."""
    timestamp, values = parse(header)
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise BadSignature("the timestamp is more than 300 seconds from now")
    matched = False
    for secret in secrets:
        expected = sign(secret, timestamp, body)
        for value in values:
            matched |= hmac.compare_digest(expected, value)  # no early exit: timing tells nothing
    if not matched:
        raise BadSignature("no signature matches an active secret")
