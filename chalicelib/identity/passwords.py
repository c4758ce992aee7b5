"""Passwords: argon2id hashes (argon2-cffi's defaults), verified in constant time.

argon2 is imported on first use: only log-ins and password changes need it, not a cold start. A test stack on the
emulator may ask for argon2id at small costs (``LOYALTY_PASSWORD_HASHING=test``): its tests log in again and
again, at some 0.3 s of CPU each with the defaults. A hash records its own parameters, so either hasher verifies the
other's hashes.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_LENGTH = 10


def make_hasher(hashing: str) -> PasswordHasher:
    """The hasher for ``LOYALTY_PASSWORD_HASHING``'s value: argon2-cffi's defaults (RFC 9106's second recommendation:
    t=3, 64 MiB, p=4), or small ones for ``test`` (t=1, 1 MiB, p=1)."""
    from argon2 import PasswordHasher

    if hashing == "test":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


@functools.cache
def _hasher() -> PasswordHasher:
    from chalicelib.shared.settings import get_settings

    return make_hasher(get_settings().password_hashing)


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
