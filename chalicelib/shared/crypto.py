"""Personal data at rest: envelope encryption with a data key per member, and keyed hashes for lookups.

Each member's fields are sealed with AES-256-GCM under that member's own data key. The data key is stored
only wrapped: by KMS on AWS (``LOYALTY_KMS_KEY_ID``), by a local master key file in local mode
(``LOYALTY_LOCAL_KEY_FILE``). Erasure deletes the wrapped key from the live table, so the sealed fields
left anywhere in it can no longer be opened; a backup taken before holds both and stays readable until it
ages out (point-in-time recovery keeps 35 days). Each sealed value is bound to its owner and field (GCM
associated data), so a value copied to another member or field does not decrypt.

Exact-match lookups (phone, email) use an HMAC-SHA256 of the normalised value under
``LOYALTY_LOOKUP_HASH_KEY``: the tables hold the hash, never the value.

cryptography is imported where a key is first used: a cold start whose request opens no sealed value never
loads it.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import os
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.shared.settings import get_settings

SEALED_PREFIX = "v1:"
HASH_PREFIX = "h1:"
_NONCE_BYTES = 12
_KEY_CACHE_SECONDS = 300
BATCHED = b"kms-batch"  # the keyring name (and associated data) of keys wrapped under a KMS batch key


class KeyUnavailable(Exception):
    """The data key is gone (the owner was erased) or cannot be unwrapped."""


@dataclass(frozen=True)
class WrappedKey:
    keyring: str  # which keyring wrapped it, e.g. "local:v1" or "kms:<key id>"
    blob: str  # base64

    @property
    def stored(self) -> str:
        """The form kept in an item's ``data_key`` attribute: ``<keyring>|<base64>``."""
        return f"{self.keyring}|{self.blob}"

    @classmethod
    def from_stored(cls, text: str) -> WrappedKey:
        keyring, _, blob = text.partition("|")
        return cls(keyring, blob)


class Keyring(ABC):
    """Makes and unwraps data keys. The wrapped form is safe to store; the plain key never is."""

    @abstractmethod
    def new_data_key(self) -> tuple[bytes, WrappedKey]: ...

    def new_data_keys(self, count: int) -> list[tuple[bytes, WrappedKey]]:
        """``count`` data keys, one per owner (an import's batch of members)."""
        return [self.new_data_key() for _ in range(count)]

    @abstractmethod
    def unwrap(self, wrapped: WrappedKey) -> bytes: ...


class LocalKeyring(Keyring):
    """Wraps data keys with a 256-bit master key read from a file (local development and tests)."""

    name = "local:v1"

    def __init__(self, path: Path) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._master = AESGCM(_read_or_create_master_key(path))

    def new_data_key(self) -> tuple[bytes, WrappedKey]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE_BYTES)
        blob = nonce + self._master.encrypt(nonce, key, self.name.encode())
        return key, WrappedKey(self.name, base64.b64encode(blob).decode())

    def unwrap(self, wrapped: WrappedKey) -> bytes:
        from cryptography.exceptions import InvalidTag

        raw = base64.b64decode(wrapped.blob)
        try:
            return self._master.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], self.name.encode())
        except InvalidTag:
            raise KeyUnavailable("the data key was not wrapped by this master key") from None


def _read_or_create_master_key(path: Path) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".master-")  # created 0600
        with os.fdopen(handle, "wb") as file:
            file.write(base64.b64encode(AESGCM.generate_key(bit_length=256)))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)  # never replace a key another process made first
        os.unlink(temporary)
    key = base64.b64decode(path.read_bytes())
    if len(key) != 32:
        raise ValueError(f"{path} does not hold a 256-bit key")
    return key


class KmsKeyring(Keyring):
    """Data keys from AWS KMS (GenerateDataKey / Decrypt under one customer managed key)."""

    def __init__(self, key_id: str) -> None:
        from chalicelib.shared import aws

        self._key_id = key_id
        self._kms = aws.client("kms", get_settings().region)

    @property
    def name(self) -> str:
        return f"kms:{self._key_id}"

    def new_data_key(self) -> tuple[bytes, WrappedKey]:
        result = self._kms.generate_data_key(KeyId=self._key_id, KeySpec="AES_256")
        return result["Plaintext"], WrappedKey(self.name, base64.b64encode(result["CiphertextBlob"]).decode())

    def new_data_keys(self, count: int) -> list[tuple[bytes, WrappedKey]]:
        """``count`` data keys for one KMS call: each owner still gets a random key of their own, wrapped
        under a batch key that KMS made and wrapped. Only the owner's item holds their wrapped key, so
        erasing it shreds their data as before; the batch key opens nothing without it."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        result = self._kms.generate_data_key(KeyId=self._key_id, KeySpec="AES_256")
        batch_key, kms_blob = AESGCM(result["Plaintext"]), bytes(result["CiphertextBlob"])
        keys = []
        for _ in range(count):
            key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(_NONCE_BYTES)
            blob = len(kms_blob).to_bytes(2, "big") + kms_blob + nonce + batch_key.encrypt(nonce, key, BATCHED)
            keys.append((key, WrappedKey(f"{BATCHED.decode()}:{self._key_id}", base64.b64encode(blob).decode())))
        return keys

    def unwrap(self, wrapped: WrappedKey) -> bytes:
        if wrapped.keyring.startswith(BATCHED.decode() + ":"):
            from cryptography.exceptions import InvalidTag
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            raw = base64.b64decode(wrapped.blob)
            size = int.from_bytes(raw[:2], "big")
            kms_blob, rest = raw[2 : 2 + size], raw[2 + size :]
            batch_key = self._decrypt(base64.b64encode(kms_blob).decode())
            try:
                return AESGCM(batch_key).decrypt(rest[:_NONCE_BYTES], rest[_NONCE_BYTES:], BATCHED)
            except InvalidTag:
                raise KeyUnavailable("the data key was not wrapped by its batch key") from None
        return self._decrypt(wrapped.blob)

    def _decrypt(self, blob: str) -> bytes:
        try:
            result: dict[str, Any] = self._kms.decrypt(CiphertextBlob=base64.b64decode(blob))
        except self._kms.exceptions.InvalidCiphertextException:
            raise KeyUnavailable("KMS refused the data key") from None
        return bytes(result["Plaintext"])


_keyring_lock = threading.Lock()


@functools.cache
def keyring() -> Keyring:
    """The keyring the settings name: KMS on AWS, the local key file otherwise (made once per process)."""
    with _keyring_lock:
        settings = get_settings()
        if settings.kms_key_id:
            return KmsKeyring(settings.kms_key_id)
        assert settings.local_key_file is not None  # settings require one of the two
        return LocalKeyring(Path(settings.local_key_file))


class _UnwrappedKeys:
    """Plain data keys recently unwrapped, kept a few minutes so a busy member costs one KMS call."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def get(self, wrapped: WrappedKey) -> bytes:
        now = time.monotonic()
        with self._lock:
            cached = self._keys.get(wrapped.blob)
            if cached and now - cached[0] < _KEY_CACHE_SECONDS:
                return cached[1]
        key = keyring().unwrap(wrapped)
        with self._lock:
            if len(self._keys) > 1_000:  # drop what has aged out, so plain keys do not pile up
                self._keys = {blob: entry for blob, entry in self._keys.items() if now - entry[0] < _KEY_CACHE_SECONDS}
            self._keys[wrapped.blob] = (now, key)
        return key

    def forget(self, wrapped: WrappedKey) -> None:
        with self._lock:
            self._keys.pop(wrapped.blob, None)


unwrapped_keys = _UnwrappedKeys()


class Sealer:
    """Seals and opens one owner's fields with that owner's data key."""

    def __init__(self, owner: str, data_key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._owner = owner
        self._aead = AESGCM(data_key)

    @classmethod
    def for_stored_key(cls, owner: str, stored: str) -> Sealer:
        """The sealer of an owner whose wrapped data key is ``stored`` (unwrapped through the key cache)."""
        return cls(owner, unwrapped_keys.get(WrappedKey.from_stored(stored)))

    def seal(self, field: str, value: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, value.encode(), f"{self._owner}/{field}".encode())
        return SEALED_PREFIX + base64.b64encode(sealed).decode()

    def open(self, field: str, sealed: str) -> str:
        from cryptography.exceptions import InvalidTag

        if not sealed.startswith(SEALED_PREFIX):
            raise ValueError("not a sealed value")
        raw = base64.b64decode(sealed.removeprefix(SEALED_PREFIX))
        try:
            return self._aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], f"{self._owner}/{field}".encode()
            ).decode()
        except InvalidTag:
            raise KeyUnavailable(f"{field} was not sealed for {self._owner}") from None


def lookup_hash(kind: str, normalised: str) -> str:
    """The keyed hash a value is found by (``kind`` separates phones from emails with equal text)."""
    key = get_settings().lookup_hash_key.encode()
    digest = hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()
    return HASH_PREFIX + digest
