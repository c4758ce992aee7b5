"""Which versions of the agreements bind members, and what a member has still to accept. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")
# Characters: a chain's privacy policy runs to 5,000-15,000; 20,000 Chinese characters fill a request body's 64 KiB
MAX_PARAGRAPHS, MAX_PARAGRAPH, MAX_TOTAL = 400, 2_000, 20_000


class Kind(StrEnum):
    """A document members accept: the membership agreement (会员协议) or the privacy policy (隐私政策)."""

    TERMS = "terms"
    PRIVACY = "privacy"


KIND_NAMES: dict[Kind, tuple[str, str]] = {  # (zh-CN, en)
    Kind.TERMS: ("会员协议", "Membership agreement"),
    Kind.PRIVACY: ("隐私政策", "Privacy policy"),
}


@dataclass(frozen=True)
class Version:
    """A published version of a document: its number (1, 2, …) and whether members must accept it again."""

    kind: Kind
    version: int
    requires_acceptance: bool


def in_order(by_kind: Mapping[Kind, T]) -> list[tuple[Kind, T]]:
    """Items by document in the order members read them: the agreement, then the privacy policy."""
    return [(kind, by_kind[kind]) for kind in Kind if kind in by_kind]


def current(versions: Iterable[Version]) -> dict[Kind, Version]:
    """The newest version of each document published so far (what members read and accept)."""
    newest: dict[Kind, Version] = {}
    for found in versions:
        if found.kind not in newest or found.version > newest[found.kind].version:
            newest[found.kind] = found
    return newest


def binding(versions: Iterable[Version]) -> dict[Kind, int]:
    """For each document, the newest version that required acceptance: a member who accepted it or a later one owes
    nothing (the first version of a document always requires it)."""
    bound: dict[Kind, int] = {}
    for found in versions:
        if (found.requires_acceptance or found.version == 1) and found.version > bound.get(found.kind, 0):
            bound[found.kind] = found.version
    return bound


def due(versions: Iterable[Version], accepted: Mapping[Kind, int]) -> list[Version]:
    """The current versions a member must still accept: of each document whose binding version is newer than the
    newest they accepted (``accepted``: the newest version accepted per document)."""
    versions = list(versions)
    newest = current(versions)
    return [newest[kind] for kind, version in in_order(binding(versions)) if accepted.get(kind, 0) < version]


def missing(versions: Iterable[Version], agreed: Iterable[tuple[Kind, int]]) -> list[Version]:
    """The current versions ``agreed`` leaves out: joining, and accepting on the member pages, accept exactly what
    is current (an older version named is not enough)."""
    named = set(agreed)
    return [found for kind, found in in_order(current(versions)) if (kind, found.version) not in named]


def stale(versions: Iterable[Version], agreed: Iterable[tuple[Kind, int]]) -> list[tuple[Kind, int]]:
    """What ``agreed`` names that is not a current version (an old one, or one never published)."""
    newest = {(kind, found.version) for kind, found in current(versions).items()}
    return sorted(set(agreed) - newest)
