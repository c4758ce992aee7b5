"""Where export files land (``LOYALTY_EXPORTS``): an S3 bucket on AWS (``s3://<bucket>``, the stack's exports bucket),
a folder locally (default ``.local/exports``). A file is written whole (a reader sees the old file or the new one)
and handed out through a link that expires: S3's pre-signed GET on AWS; locally the local gateway's
``/local-exports/<key>?expires=&signature=``, signed with the stage's cursor secret and checked the same way.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from chalicelib.shared import clock
from chalicelib.shared.files import bucket_of, folder_of, s3_client, write_private_bytes
from chalicelib.shared.settings import get_settings

LOCAL_PREFIX = "/local-exports/"


@dataclass(frozen=True)
class Link:
    """A download of one file, valid until ``expires_at``."""

    url: str
    expires_at: datetime


def _bucket() -> str | None:
    return bucket_of(get_settings().exports)


def folder() -> Path:
    """The local folder files land in."""
    return folder_of(get_settings().exports)


def put(key: str, data: bytes, content_type: str) -> str:
    """Write ``data`` to ``key``; returns where it went (an ``s3://`` URL or a path)."""
    bucket = _bucket()
    if bucket is not None:
        s3_client(get_settings().region).put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
        return f"s3://{bucket}/{key}"
    path = (folder() / key).resolve()
    if not path.is_relative_to(folder()):
        raise ValueError(f"{key!r} is not a key within the exports folder")
    write_private_bytes(path, data)  # members' figures, on a developer's machine: the owner's alone
    return str(path)


def read(key: str) -> bytes | None:
    """A file's bytes, or None when there is none at ``key``."""
    bucket = _bucket()
    if bucket is None:
        path = folder() / key
        return path.read_bytes() if path.is_file() else None
    from botocore.exceptions import ClientError

    try:
        return bytes(s3_client(get_settings().region).get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def exists(key: str) -> bool:
    """Whether there is a file at ``key`` (a HEAD request: its bytes are not read)."""
    bucket = _bucket()
    if bucket is None:
        return (folder() / key).is_file()
    from botocore.exceptions import ClientError

    try:
        s3_client(get_settings().region).head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def link(key: str, seconds: int, filename: str) -> Link:
    """A link that downloads ``key`` as ``filename`` for ``seconds``."""
    expires_at = clock.real_now() + timedelta(seconds=seconds)
    bucket = _bucket()
    if bucket is not None:
        url = s3_client(get_settings().region).generate_presigned_url("get_object", Params={
            "Bucket": bucket, "Key": key,
            "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        }, ExpiresIn=seconds)  # fmt: skip
        return Link(url, expires_at)
    expires = int(expires_at.timestamp())
    query = f"expires={expires}&signature={_signature(key, expires)}"
    return Link(f"{get_settings().public_url}{LOCAL_PREFIX}{quote(key)}?{query}", expires_at)


def _signature(key: str, expires: int) -> str:
    secret = get_settings().cursor_secret.encode()
    return hmac.new(secret, f"{key}|{expires}".encode(), hashlib.sha256).hexdigest()


def local_file(key: str, expires: str, signature: str) -> Path | None:
    """The local file a link names, when its signature holds and it has not expired (None otherwise)."""
    if not expires.isdigit() or int(expires) < clock.real_now().timestamp():
        return None
    if not hmac.compare_digest(_signature(key, int(expires)), signature):
        return None
    root = folder()
    path = (root / key).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None
