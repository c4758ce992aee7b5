"""Files clients upload (member imports, pictures): a presigned PUT to the imports bucket, then ranged reads by workers.

The bucket is S3 on AWS and the emulator's S3 locally; a client uploads with a plain HTTP PUT to the URL it
was given, so neither the API nor its 64 KiB body limit carries the file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.shared import clock
from chalicelib.shared.settings import get_settings

CSV = "text/csv"


@dataclass(frozen=True)
class Upload:
    """Where and how a client sends a file: ``method`` to ``url`` with ``headers``, before ``expires_at``."""

    url: str
    method: str
    headers: dict[str, str]
    expires_at: datetime


@functools.cache
def _s3(region: str, emulated: bool) -> Any:
    from botocore.config import Config

    from chalicelib.shared import aws

    # the emulator answers on 127.0.0.1, where only path-style URLs reach a bucket
    style = "path" if emulated else "virtual"
    return aws.client("s3", region, config=Config(signature_version="s3v4", s3={"addressing_style": style}))


def _client() -> Any:
    settings = get_settings()
    return _s3(settings.region, settings.storage == "emulator")


def upload_for(key: str, seconds: int, content_type: str = CSV) -> Upload:
    """A presigned PUT of a file of ``content_type`` (a CSV file by default) to ``key``, valid ``seconds``."""
    url = _client().generate_presigned_url(
        "put_object", Params={"Bucket": get_settings().imports_bucket, "Key": key, "ContentType": content_type},
        ExpiresIn=seconds,
    )  # fmt: skip
    return Upload(url, "PUT", {"Content-Type": content_type}, clock.real_now() + timedelta(seconds=seconds))


def size_of(key: str) -> int | None:
    """The uploaded file's size in bytes, or None when nothing was uploaded to ``key``."""
    from botocore.exceptions import ClientError

    try:
        return int(_client().head_object(Bucket=get_settings().imports_bucket, Key=key)["ContentLength"])
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def read(key: str, start: int | None = None, end: int | None = None) -> bytes:
    """The file's bytes, or those from ``start`` (included) to ``end`` (excluded)."""
    ranged = {"Range": f"bytes={start}-{end - 1}"} if start is not None and end is not None and end > start else {}
    if start is not None and end is not None and end <= start:
        return b""
    answer = _client().get_object(Bucket=get_settings().imports_bucket, Key=key, **ranged)
    return bytes(answer["Body"].read())
