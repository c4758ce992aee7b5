"""Uploading and publishing pictures.

Staff ask for an upload (a presigned PUT to the imports bucket, ``media/<upload id>``, valid 15 minutes: the file
never passes through the API), send the file, then publish it: checked (its size, its kind by its bytes, its size in
pixels, its structure: ``rules``, ``formats``), without its metadata, with its thumbnail (``thumbnails``), written
where the platform serves it from, ``LOYALTY_MEDIA``: ``s3://<bucket>`` (the stage's web bucket, under ``media/``,
which its CloudFront distribution serves at ``/media/``) or a folder (the local stack's gateway serves it), and kept
as an item of the ``pictures`` table (withdrawn for good by an operator, ``withdraw``). Nothing unchecked is ever
served: an upload is private, and the bucket's lifecycle deletes it after 7 days.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chalicelib.media import formats, rules, thumbnails
from chalicelib.media.records import PictureRecord
from chalicelib.shared import clock, uploads
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Conflict, DomainError, NotFound, PayloadTooLarge, ValidationFailed
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


class PictureWithdrawn(Conflict):
    slug, title = "picture-withdrawn", "This picture was withdrawn and is not published again"


@dataclass(frozen=True)
class Published:
    url: str
    content_type: str
    size_bytes: int
    thumbnail_url: str


def new_upload(content_type: str) -> tuple[str, uploads.Upload]:
    """A new upload of a picture of ``content_type`` and where to send it (a presigned PUT)."""
    upload_id = new_id("up_")
    return upload_id, uploads.upload_for(_upload_key(upload_id), UPLOAD_SECONDS, content_type)


def publish(upload_id: str) -> Published:
    """Check an uploaded file and publish it without its metadata (``formats.without_metadata``) under its name
    (``rules.published_name``), with its thumbnail (``thumbnails``). Publishing the same upload, or the same picture,
    again answers the same. 404 for what is no upload id, 409 ``picture-missing`` when nothing was sent to it and
    ``picture-withdrawn``, 413 ``picture-too-large`` over ``rules.MAX_BYTES``, 422 ``not-a-picture`` (its pixels
    too) and ``picture-too-many-pixels`` (over ``formats.MAX_SIDE`` a side)."""
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
    kind, data, small = _checked(data)
    name = rules.published_name(data, kind)
    found = PictureRecord.find(name)
    if found is not None and found.withdrawn_at:
        raise PictureWithdrawn(f"{rules.PATH_PREFIX}{name} was withdrawn on {found.withdrawn_at[:10]}")
    _store(name, data, kind)
    _store(rules.thumbnail_name(name), small, "image/jpeg")
    tx = Transaction()
    now = found.published_at if found else clock.iso(clock.now())
    tx.put(PictureRecord(name, content_type=kind, size_bytes=len(data), published_at=now),
           condition=PictureRecord.withdrawn_at.does_not_exist(), on_fail=PictureWithdrawn())  # fmt: skip
    emit(tx, new_event("media.picture-published", f"media/{name}", {
        "upload_id": upload_id, "url": rules.PATH_PREFIX + name, "content_type": kind, "size_bytes": len(data),
    }))  # fmt: skip
    try:
        tx.commit()
    except PictureWithdrawn:
        _delete(name)  # withdrawn meanwhile: the file just written goes too
        raise
    return Published(rules.PATH_PREFIX + name, kind, len(data), rules.thumbnail_of(rules.PATH_PREFIX + name))


def _checked(data: bytes) -> tuple[str, bytes, bytes]:
    """A file sent as a picture, checked: its kind, its bytes without metadata and its thumbnail (413, 422 else)."""
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
    if not width or not height:
        raise NotAPicture("The picture says it has no pixels")
    if width > formats.MAX_SIDE or height > formats.MAX_SIDE:
        raise PictureTooManyPixels(f"The picture is {width} × {height}; at most {formats.MAX_SIDE} pixels a side")
    try:
        return kind, data, thumbnails.thumbnail(data, (width, height))
    except thumbnails.Undecodable as e:
        raise NotAPicture(f"The picture's pixels cannot be read: {e}") from None


def require_published(urls: list[str], field: str) -> None:
    """422 on ``field`` when one of ``urls`` is a picture of ours (``/media/…``) that was never published or was
    withdrawn (one read for them all); https links are the caller's to vouch for."""
    names = {url.removeprefix(rules.PATH_PREFIX) for url in urls if url.startswith(rules.PATH_PREFIX)}
    found = PictureRecord.batch_get(sorted(names), consistent_read=True) if names else []
    shown = {record.name for record in found if not record.withdrawn_at}
    problems = [
        {"field": f"{field}.{index}", "in": "body", "message": "no picture published here by that name (or withdrawn)"}
        for index, url in enumerate(urls)
        if url.startswith(rules.PATH_PREFIX) and url.removeprefix(rules.PATH_PREFIX) not in shown
    ]
    if problems:
        raise ValidationFailed(problems, "A picture named is not published")


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


def withdraw(url: str, reason: str) -> tuple[bool, str]:
    """Delete a published picture (``/media/<name>`` or its name) for good: one uploaded by mistake, or that shows
    what it must not. It is never published again, nor named by a reward; its thumbnail's url names it too. Answers
    whether it was published (one withdrawn before answers False, its files removed again if any were left) and the
    picture's url; the audit log records who withdrew it and why. An operator's act (the CLI), with the operator's
    own credentials. Browsers that showed it may keep it until it leaves their cache, and a CDN until it is
    invalidated."""
    name = _picture_named(url.removeprefix(rules.PATH_PREFIX))
    url = rules.PATH_PREFIX + name
    found = PictureRecord.find(name)
    if found is not None and found.withdrawn_at:
        _delete(name)
        return False, url
    tx = Transaction()  # kept withdrawn before the file goes: a publication meanwhile is refused, or removes its file
    tx.put(PictureRecord(name, content_type=rules.content_type_of(name), size_bytes=found.size_bytes if found else None,
                         published_at=found.published_at if found else None, withdrawn_at=clock.iso(clock.now()),
                         withdrawn_reason=reason),
           condition=PictureRecord.withdrawn_at.does_not_exist(), on_fail=Conflict("Withdrawn meanwhile"))  # fmt: skip
    emit(tx, new_event("media.picture-withdrawn", f"media/{name}", {"url": url, "reason": reason}))
    try:
        tx.commit()
    except Conflict:
        return False, url  # another withdrawal came first
    _delete(name)
    return found is not None, url


def _picture_named(name: str) -> str:
    """The picture a name names: its own, or that of the picture a thumbnail's name is of (looked up among the
    kinds it may be). 404 for what is neither."""
    if rules.PUBLISHED.fullmatch(rules.PATH_PREFIX + name):
        return name
    if rules.content_type_of(name) is not None:  # a thumbnail
        stem = name.removesuffix(f"-{rules.THUMBNAIL_SIDE}.jpg")
        candidates = [f"{stem}.{extension}" for extension in rules.EXTENSIONS.values()]
        found = list(PictureRecord.batch_get(candidates, consistent_read=True))
        if found:
            return str(found[0].name)
    raise NotFound(f"/media/{name} is no picture published here (/media/<32 hex digits>.jpg|png|webp)")


def _delete(name: str) -> None:
    """The picture and its thumbnail gone."""
    bucket = _bucket()
    for each in (name, rules.thumbnail_name(name)):
        if bucket is not None:
            s3_client(get_settings().region).delete_object(Bucket=bucket, Key=f"media/{each}")
        else:
            (folder() / each).unlink(missing_ok=True)


def local_picture(name: str) -> tuple[bytes, str] | None:
    """A picture published to the local folder and its Content-Type, for the local gateway; None when there is none
    by that name (or the name is not one the platform gives)."""
    content_type = rules.content_type_of(name)
    if content_type is None or _bucket() is not None:
        return None
    path = folder() / name
    return (path.read_bytes(), content_type) if path.is_file() else None
