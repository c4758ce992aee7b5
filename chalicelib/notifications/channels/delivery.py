"""What a channel sender is handed, how it fails, and the one verb every sender offers.

A sender never decides whether a message should go (consent, quiet hours and caps are the dispatcher's); it
only carries one message to one address and says, through the exception it raises, whether a later try could
succeed: ``Throttled`` and ``Transient`` may be retried, ``Rejected`` never.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

REJECTION_REASONS = frozenset(
    {"invalid-address", "template-not-approved", "no-grant", "opted-out", "provider-error", "not-configured"}
)


@dataclass(frozen=True)
class Delivery:
    """One rendered message for one address on one channel."""

    message_id: str
    channel: str
    address: str
    text: str
    subject: str | None = None
    language: str = "zh-CN"
    provider_template: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    unsubscribe_url: str | None = None  # where a mail client posts a one-click unsubscribe (List-Unsubscribe)
    unsubscribe_page: str | None = None  # where a person confirms it (the member pages), linked in the text
    page: str | None = None


class SendFailed(Exception):
    """A message was not accepted by its provider: ``reason`` is ours (kebab-case), ``detail`` the provider's."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Throttled(SendFailed):
    """The provider limits how often we (or this address) may be sent to: try again later."""

    def __init__(self, reason: str, detail: str = "", retry_after: int | None = None) -> None:
        super().__init__(reason, detail)
        self.retry_after = retry_after


class Transient(SendFailed):
    """The provider could not be reached or failed on its side: the same message may be sent again."""


class Rejected(SendFailed):
    """The provider refused this message for good: sending it again would fail again."""

    def __init__(self, reason: str, detail: str = "") -> None:
        assert reason in REJECTION_REASONS, reason
        super().__init__(reason, detail)


class Sender(Protocol):
    name: str

    def send(self, delivery: Delivery) -> str:
        """Hand ``delivery`` to the provider; return the provider's id for it."""
        ...


@dataclass(frozen=True)
class Failure:
    """How a provider's error code is read: the exception to raise, our reason, and when to retry."""

    kind: type[SendFailed]
    reason: str
    retry_after: int | None = None


def failure_for(code: str, table: Mapping[str, Failure], detail: str = "") -> SendFailed:
    """The exception for a provider's error ``code``: its own entry in ``table``, else the entry of its longest
    dotted prefix (``InternalError`` covers ``InternalError.Timeout``), else a permanent provider error."""
    prefix = code
    while prefix:
        if (entry := table.get(prefix)) is not None:
            return _raised(entry, f"{code} {detail}".strip())
        prefix = prefix.rpartition(".")[0]
    return Rejected("provider-error", f"{code} {detail}".strip())


def _raised(entry: Failure, detail: str) -> SendFailed:
    if entry.kind is Throttled:
        return Throttled(entry.reason, detail, entry.retry_after)
    return entry.kind(entry.reason, detail)
