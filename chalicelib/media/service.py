"""Uploading and publishing pictures.

Staff ask for an upload (a presigned PUT to the imports bucket, ``media/<upload id>``, valid 15 minutes: the file
never passes through the API), send the file, then publish it: its size and first bytes are checked (``rules``) and
it is written where the platform serves it from, ``LOYALTY_MEDIA``: ``s3://<bucket>`` (the stage's web bucket, under
``media/``, which its CloudFront distribution serves at ``/media/``) or a folder (the local stack's gateway serves
it). Nothing unchecked is ever served: an upload is private, and the bucket's lifecycle deletes it after 7 days.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chalicelib.media import formats, rules
from chalicelib.shared import uploads
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Conflict, DomainError, NotFound, PayloadTooLarge
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.files import bucket_of, folder_of, s3_client
from chalicelib.shared.ids import new_id
from chalicelib.shared.settings import get_settings

UPLOAD_SECONDS = 15 * 60
CACHED_FOR_GOOD = "public, max-age=31536000, immutable"  # a published name never shows anything else


class PictureMissing(Conflict):
    slug, title = "picture-missing", "Nothing was uploaded for this upload"


class PictureTooLarge(PayloadTooLarge):
    slug, title = "picture-too-large", "The picture is too large"


class NotAPicture(DomainError):
    slug, title, status = "not-a-picture", "The file is not a JPEG, PNG or WebP picture", 422


class PictureTooManyPixels(DomainError):
    slug, title, status = "picture-too-many-pixels", "The picture has more pixels than a phone can show", 422


@dataclass(frozen=True)
class Published:
    url: str
    content_type: str
    size_bytes: int


def new_upload(content_type: str) -> tuple[str, uploads.Upload]:
    """A new upload of a picture of ``content_type`` and where to send it (a presigned PUT)."""
    upload_id = new_id("up_")
    return upload_id, uploads.upload_for(_upload_key(upload_id), UPLOAD_SECONDS, content_type)


def publish(upload_id: str) -> Published:
    """Check an uploaded file and publish it without its metadata (``formats.without_metadata``) under its name
    (``rules.published_name``). Publishing the same upload, or the same picture, again answers the same. 404 for what
    is no upload id, 409 ``picture-missing`` when nothing was sent to it, 413 ``picture-too-large`` over
    ``rules.MAX_BYTES``, 422 ``not-a-picture`` and ``picture-too-many-pixels`` (over ``formats.MAX_SIDE`` a side)."""
    if not re.fullmatch(rules.UPLOAD_ID, upload_id):
        raise NotFound(f"No upload {upload_id}")
    size = uploads.size_of(_upload_key(upload_id))
    if size is None:
        raise PictureMissing("Send the file to the upload's URL first (PUT, with the upload's Content-Type)")
    if size == 0:
        raise NotAPicture("The file sent is empty")
    if size > rules.MAX_BYTES:
        raise PictureTooLarge(f"The file holds {size} bytes; a picture may hold {rules.MAX_BYTES} at most")
    data = uploads.read(_upload_key(upload_id), 0, rules.MAX_BYTES + 1)  # a file sent again since is read no further
    if len(data) > rules.MAX_BYTES:
        raise PictureTooLarge(f"The file holds more than {rules.MAX_BYTES} bytes, the most a picture may hold")
    kind = rules.sniffed(data[:16])
    if kind is None:
        raise NotAPicture("Upload a JPEG, PNG or WebP picture (its bytes say what it is, not its name)")
    try:
        width, height = formats.size_of(data, kind)
        data = formats.without_metadata(data, kind)  # where and when a photo was taken is nobody's business
    except formats.Unreadable as e:
        raise NotAPicture(f"The file begins as a picture but is not one: {e}") from None
    if not 0 < width <= formats.MAX_SIDE or not 0 < height <= formats.MAX_SIDE:
        raise PictureTooManyPixels(f"The picture is {width} × {height}; at most {formats.MAX_SIDE} pixels a side")
    name = rules.published_name(data, kind)
    _store(name, data, kind)
    tx = Transaction()
    emit(tx, new_event("media.picture-published", f"media/{name}", {
        "upload_id": upload_id, "url": rules.PATH_PREFIX + name, "content_type": kind, "size_bytes": len(data),
    }))  # fmt: skip
    tx.commit()
    return Published(rules.PATH_PREFIX + name, kind, len(data))


def _upload_key(upload_id: str) -> str:
    return f"media/{upload_id}"


def _bucket() -> str | None:
    return bucket_of(get_settings().media)


def folder() -> Path:
    """The local folder pictures are published to."""
    return folder_of(get_settings().media)


def _store(name: str, data: bytes, content_type: str) -> None:
    bucket = _bucket()
    if bucket is not None:
        s3 = s3_client(get_settings().region)
        s3.put_object(Bucket=bucket, Key=f"media/{name}", Body=data, ContentType=content_type,
                      CacheControl=CACHED_FOR_GOOD)  # fmt: skip
        return
    folder().mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=folder(), prefix=f".{name}.")  # one of its own for each writer
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    os.chmod(partial, 0o644)  # published: anyone may read it
    os.replace(partial, folder() / name)  # a reader sees the whole picture or none


def withdraw(url: str, reason: str) -> bool:
    """Delete a published picture (``/media/<name>`` or its name): one uploaded by mistake, or that shows what it must
    not. Answers whether there was one; the audit log records who withdrew it and why. An operator's act (the CLI),
    with the operator's own credentials: the functions may not delete. Browsers that showed it may keep it until it
    leaves their cache, and a CDN until it is invalidated."""
    name = url.removeprefix(rules.PATH_PREFIX)
    if rules.content_type_of(name) is None:
        raise NotFound(f"{url} is no picture published here (/media/<32 hex digits>.jpg|png|webp)")
    bucket = _bucket()
    if bucket is not None:
        from botocore.exceptions import ClientError

        try:
            s3_client(get_settings().region).head_object(Bucket=bucket, Key=f"media/{name}")
        except ClientError:
            return False
        s3_client(get_settings().region).delete_object(Bucket=bucket, Key=f"media/{name}")
    else:
        path = folder() / name
        if not path.is_file():
            return False
        path.unlink()
    tx = Transaction()
    emit(tx, new_event("media.picture-withdrawn", f"media/{name}", {"url": rules.PATH_PREFIX + name,
                                                                      "reason": reason}))  # fmt: skip
    tx.commit()
    return True


def local_picture(name: str) -> tuple[bytes, str] | None:
    """A picture published to the local folder and its Content-Type, for the local gateway; None when there is none
    by that name (or the name is not one the platform gives)."""
    content_type = rules.content_type_of(name)
    if content_type is None or _bucket() is not None:
        return None
    path = folder() / name
    return (path.read_bytes(), content_type) if path.is_file() else None
