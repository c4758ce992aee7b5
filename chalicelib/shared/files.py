"""Files written whole and readable by their owner only (the local stack's state in ``.local/``, exported files), and
where a setting says files land: ``s3://<bucket>`` on AWS, a folder locally (``LOYALTY_EXPORTS``, ``LOYALTY_MEDIA``)."""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO


@contextlib.contextmanager
def private_file(path: Path, temporary: Path | None = None) -> Iterator[TextIO]:
    """Write ``path`` anew through the yielded file: mode 0600 from its first byte (it holds secrets or members'
    data), swapped in whole once written (a reader sees the old file or the new one, never half of one) from
    ``temporary`` (default ``<name>.tmp``; concurrent writers of one folder each name their own)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = temporary or path.with_name(path.name + ".tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(handle, 0o600)  # a temporary left by a killed run may have been made with another mode
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        yield file
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def write_private_bytes(path: Path, data: bytes) -> None:
    """Write ``path`` anew with ``data``, mode 0600 in a 0700 folder (an export or a report of members' figures),
    swapped in whole; several writers of one folder (the local stack's workers) each use a temporary of their own."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)  # a folder made before (or by a umask) is its owner's alone too
    with private_file(path, path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")) as file:
        file.buffer.write(data)


def bucket_of(place: str) -> str | None:
    """The bucket a place setting names (``s3://<bucket>``); None for a folder."""
    return place.removeprefix("s3://").strip("/") if place.startswith("s3://") else None


def folder_of(place: str) -> Path:
    """The folder a place setting names (a relative one is the working directory's: the repository for the CLI)."""
    return Path(place).resolve()


@functools.cache
def s3_client(region: str) -> Any:
    """The S3 client of the places that are buckets (made once a process)."""
    from chalicelib.shared import aws

    return aws.client("s3", region)
