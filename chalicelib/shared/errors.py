"""One exception hierarchy for the whole platform.

Domain code raises these; the HTTP layer turns each into RFC 9457 problem+json using the class's
``status`` and ``type`` (a stable slug clients may switch on). Nothing else maps errors to statuses.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "https://loyalty.example/problems/"


class DomainError(Exception):
    """Base of every expected failure; ``slug`` and ``status`` define its problem+json answer."""

    slug: ClassVar[str] = "domain-error"
    title: ClassVar[str] = "Request failed"
    status: ClassVar[int] = 400

    def __init__(self, detail: str = "", **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extensions = extensions
        self.headers: dict[str, str] = {}

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.slug


class MalformedRequest(DomainError):
    slug, title, status = "malformed-request", "Malformed request", 400


class InvalidCursor(DomainError):
    slug, title, status = "invalid-cursor", "Invalid pagination cursor", 400


class Unauthenticated(DomainError):
    slug, title, status = "unauthenticated", "Authentication required", 401


class TokenRejected(Unauthenticated):
    """The access token itself is refused (missing, malformed, expired, or its session ended): said in
    ``WWW-Authenticate`` as RFC 6750 has it, so a client refreshes and retries on these 401s alone, never on one
    that answers what the request said (a wrong current password, a wrong code), which it must not send again."""

    def __init__(self, detail: str = "", *, sent: bool = True, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if sent else "Bearer"


class Forbidden(DomainError):
    slug, title, status = "forbidden", "Permission denied", 403


class NotFound(DomainError):
    slug, title, status = "not-found", "Not found", 404


class MethodNotAllowed(DomainError):
    slug, title, status = "method-not-allowed", "Method not allowed", 405


class Conflict(DomainError):
    slug, title, status = "conflict", "Conflict", 409


class AlreadyExists(Conflict):
    slug, title = "already-exists", "Already exists"


class PreconditionFailed(DomainError):
    slug, title, status = "precondition-failed", "The resource has changed (If-Match does not match)", 412


class PayloadTooLarge(DomainError):
    slug, title, status = "payload-too-large", "Request body too large", 413


class UnsupportedMediaType(DomainError):
    slug, title, status = "unsupported-media-type", "Unsupported media type", 415


class ValidationFailed(DomainError):
    """The body or query parsed but breaks the schema; ``errors`` lists field paths and reasons."""

    slug, title, status = "validation-failed", "Validation failed", 422

    def __init__(self, errors: list[dict[str, str]], detail: str = "") -> None:
        super().__init__(detail or _said(errors), errors=errors)


def _said(errors: list[dict[str, str]]) -> str:
    """A detail a person reads: the one field wrong and why (a walkthrough read only "does not match the schema"
    where the reason was plain, "a day that has begun"), or how many are wrong (each is in ``errors``)."""
    if len(errors) == 1 and errors[0].get("message"):
        field = errors[0].get("field")
        return f"{field}: {errors[0]['message']}" if field else str(errors[0]["message"])
    return (
        f"The request does not match the schema ({len(errors)} errors)"
        if errors
        else "The request does not match the schema"
    )


class IdempotencyKeyReused(DomainError):
    slug, title, status = "idempotency-key-reused", "Idempotency-Key reused with a different request", 422


class PreconditionRequired(DomainError):
    slug, title, status = "precondition-required", "Precondition header required", 428


class RateLimited(DomainError):
    slug, title, status = "rate-limited", "Too many requests", 429

    def __init__(self, detail: str = "", retry_after: int = 1) -> None:
        super().__init__(detail)
        self.headers["Retry-After"] = str(retry_after)


class InternalError(DomainError):
    """An unexpected failure. Its problem never carries details; the logs do."""

    slug, title, status = "internal-error", "Internal error", 500


class Unavailable(DomainError):
    """A transient fault (throttling, repeated transaction conflicts): nothing was applied; retry."""

    slug, title, status = "unavailable", "Temporarily unavailable", 503

    def __init__(self, detail: str = "", retry_after: int = 1) -> None:
        super().__init__(detail)
        self.headers["Retry-After"] = str(retry_after)
