"""Edits made by people are optimistic: an edit names the versions of the resource it was made on."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.shared.errors import PreconditionFailed


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
