"""Versions: edits made by people are optimistic (an edit names the versions of the resource it was made on), and
documents kept in numbered versions (earn rules, tier programmes) append the next number once, whoever else writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.shared.errors import PreconditionFailed, Unavailable

if TYPE_CHECKING:
    from chalicelib.shared.db import Transaction


@dataclass(frozen=True)
class Expected:
    """The versions an edit was made on (``None``: any version). The api makes one from an If-Match header."""

    versions: frozenset[int] | None

    def allows(self, version: int) -> bool:
        return self.versions is None or version in self.versions

    def require(self, version: int, what: str) -> None:
        """``PreconditionFailed`` unless ``version`` is one the editor named: someone else's edit came first."""
        if not self.allows(version):
            raise PreconditionFailed(f'The {what} is at version {version} (ETag "{version}")')


ANY_VERSION = Expected(None)


def append_version(latest: Callable[[], int], write: Callable[[int], Transaction], taken: type[Exception],
                   busy: str) -> int:  # fmt: skip
    """Write version ``latest() + 1`` of a versioned document with ``write`` (its transaction puts the version on
    condition that it does not exist yet, failing with ``taken``). Another writer taking that number in between is
    not an error: the latest is read again and the next number tried, at most five times (then 503 ``busy``).
    Answers the version written."""
    for _ in range(5):
        number = latest() + 1
        try:
            write(number).commit()
        except taken:
            continue
        return number
    raise Unavailable(busy, retry_after=1)
