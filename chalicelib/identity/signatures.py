"""Partner request signatures. Pure.

A partner signs each request with a secret it shares with us::

    X-Partner-Id: <partner id>
    X-Signature: t=<unix seconds>,v2=<hex>

where hex = HMAC-SHA256(key = the secret's UTF-8 bytes, message = "<t>.<METHOD> <path>." + the raw body bytes):
``METHOD`` in capitals and ``path`` the request's path from ``/v1/`` on, percent-decoded, without the query
(``POST /v1/webhooks/purchases``). Signing the method and path binds a request to its route: a captured wallet
payment cannot be replayed as a top-up, nor a coupon's redemption onto another code. The older ``v1`` signs
``"<t>." + body`` alone; it passes only for partners still allowed it (``accepts_v1``). During a rotation a
partner may send one value per secret. A request is good when some value matches some active secret (compared in
constant time) and ``t`` is within 300 seconds of our clock, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

TOLERANCE_SECONDS = 300
_HEX = re.compile(r"[0-9a-fA-F]{64}")
MAX_SIGNATURES = 5
ROOT = "/v1/"


class BadSignature(ValueError):
    """Why a signature was refused (for logs; callers answer a plain 401)."""


class ClockSkew(BadSignature):
    """A signature that matches, made ``seconds`` away from the platform's clock (negative: behind it), beyond
    ``TOLERANCE_SECONDS``: its signer is told, as a till whose clock drifted cannot tell it from a wrong secret."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"the timestamp is {seconds} seconds from now, more than {TOLERANCE_SECONDS}")
        self.seconds = seconds


@dataclass(frozen=True)
class Signed:
    """An ``X-Signature`` header as read: its timestamp and its ``v1`` and ``v2`` values."""

    timestamp: int
    v1: tuple[str, ...] = ()
    v2: tuple[str, ...] = ()


def signed_path(path: str) -> str:
    """The part of a request path a signature covers: from ``/v1/`` on (whatever stage or prefix a gateway put
    before it), percent-decoded, without the query."""
    path = path.split("?", 1)[0]
    at = path.find(ROOT)
    return unquote(path[at:] if at >= 0 else path)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` value for ``body`` sent at ``timestamp`` (the body alone)."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign_request(secret: str, timestamp: int, method: str, path: str, body: bytes) -> str:
    """The ``v2`` value for a ``method`` request to ``path`` with ``body`` sent at ``timestamp``."""
    message = f"{timestamp}.{method.upper()} {signed_path(path)}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(
    secret: str, timestamp: int, body: bytes, method: str | None = None, path: str | None = None
) -> str:
    """The header for a request: ``v2`` when its method and path are given, else the body-only ``v1``."""
    if method and path:
        return f"t={timestamp},v2={sign_request(secret, timestamp, method, path, body)}"
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def parse(header: str) -> Signed:
    """The timestamp and the ``v1`` and ``v2`` values of an ``X-Signature`` header; other schemes are ignored."""
    timestamp: int | None = None
    values: dict[str, list[str]] = {"v1": [], "v2": []}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit() and timestamp is None and len(value) <= 12:
            timestamp = int(value)
        elif name == "t":
            raise BadSignature("the timestamp is malformed or repeated")
        elif name in values and _HEX.fullmatch(value):
            values[name].append(value.lower())
    if timestamp is None or not (values["v1"] or values["v2"]):
        raise BadSignature("a signature needs t= and at least one v2= (or v1=)")
    if len(values["v1"]) + len(values["v2"]) > MAX_SIGNATURES:
        raise BadSignature("too many signatures")
    return Signed(timestamp, tuple(values["v1"]), tuple(values["v2"]))


def verify(
    header: str, body: bytes, secrets: Iterable[str], now: float, *, method: str, path: str, accepts_v1: bool = False
) -> None:
    """Return when the header signs this request with one of ``secrets`` recently enough; else raise BadSignature
    (``ClockSkew`` for a signature that matches but is too old or too new: only its signer learns that its clock is
    off). A header with ``v2`` values is judged by them alone; one with only ``v1`` values passes only
    ``accepts_v1``."""
    signed = parse(header)
    if not signed.v2 and not accepts_v1:
        raise BadSignature("v1 signs the body alone: sign the method and path too (v2)")
    values = signed.v2 or signed.v1
    matched = False
    for secret in secrets:
        if signed.v2:
            expected = sign_request(secret, signed.timestamp, method, path, body)
        else:
            expected = sign(secret, signed.timestamp, body)
        for value in values:
            matched |= hmac.compare_digest(expected, value)  # no early exit: timing tells nothing
    if not matched:
        raise BadSignature("no signature matches an active secret")
    if abs(now - signed.timestamp) > TOLERANCE_SECONDS:
        raise ClockSkew(round(signed.timestamp - now))
