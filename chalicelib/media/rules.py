"""What a published picture is, as pure rules: the kinds a browser shows safely, the size, the name.

A file is judged by its first bytes, never by what its uploader declared: a page or a script sent as ``image/png``
is refused, and SVG (which may carry script) is no kind at all. A published picture is named by a hash of its bytes,
so the same picture uploaded twice is one file, and a name never changes what it shows (it is cached for good).
"""

from __future__ import annotations

import hashlib
import re

MAX_BYTES = 2 * 1024 * 1024  # 2 MiB: a product photo for a phone screen
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PATH_PREFIX = "/media/"
UPLOAD_ID = r"up_[0-9A-Z]{26}"  # an upload's id, whole (its key in the imports bucket is made of it)
PUBLISHED = re.compile(r"/media/[0-9a-f]{32}\.(?:jpg|png|webp)")  # a picture's url, whole
THUMBNAIL_SIDE = 480  # pixels a side at most: a list's card on a phone (about 170 points wide, 3 pixels a point)
SERVED = re.compile(rf"/media/[0-9a-f]{{32}}(?:\.(?:jpg|png|webp)|-{THUMBNAIL_SIDE}\.jpg)")  # pictures, thumbnails


def sniffed(head: bytes) -> str | None:
    """The picture kind ``head`` (a file's first 12 bytes or more) begins with: JPEG, PNG or WebP; None otherwise."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def published_name(data: bytes, content_type: str) -> str:
    """The file name a picture is published under: 128 bits of the SHA-256 of its bytes, and its kind's extension."""
    return f"{hashlib.sha256(data).hexdigest()[:32]}.{EXTENSIONS[content_type]}"


def content_type_of(name: str) -> str | None:
    """The Content-Type a published name (a picture's or its thumbnail's) is served with (None: not one)."""
    if not SERVED.fullmatch(PATH_PREFIX + name):
        return None
    extension = name.rsplit(".", 1)[1]
    return next(kind for kind, known in EXTENSIONS.items() if known == extension)


def thumbnail_name(name: str) -> str:
    """The name of a picture's thumbnail (a JPEG at most ``THUMBNAIL_SIDE`` a side)."""
    return f"{name.rsplit('.', 1)[0]}-{THUMBNAIL_SIDE}.jpg"


def thumbnail_of(url: str) -> str:
    """What a list shows for a picture: the thumbnail of one published here, a link itself."""
    return PATH_PREFIX + thumbnail_name(url.removeprefix(PATH_PREFIX)) if PUBLISHED.fullmatch(url) else url
