"""Passwords: argon2id hashes (argon2-cffi's defaults), verified in constant time.

argon2 is imported on first use: only log-ins and password changes need it, not a cold start.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_LENGTH = 10


@functools.cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no stored hash a dummy one is checked, so timing tells nothing."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher().hash("no such account: this hash only spends the same time")


def strong_enough(password: str) -> str | None:
    """Why a new password is refused, or None. Length is what matters; no composition rules."""
    if len(password) < MIN_LENGTH:
        return f"at least {MIN_LENGTH} characters"
    if len(set(password)) < 4:
        return "more than three different characters"
    return None
