"""The pictures' request and answer bodies."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from chalicelib.media.rules import MAX_BYTES, THUMBNAIL_SIDE, UPLOAD_ID
from chalicelib.shared.fields import UTC_INSTANT
from chalicelib.shared.http import Input, Schema

KINDS = "`image/jpeg`, `image/png` or `image/webp`"


class PictureUploadCreate(Input):
    """A picture to upload: the kind it is."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"content_type": "image/jpeg"}]})

    content_type: Literal["image/jpeg", "image/png", "image/webp"] = Field(description=f"the picture's kind: {KINDS}")


class PictureUploadTarget(Schema):
    """Where to send the picture: `method` (PUT) to `url` with `headers`, the file as the body, before `expires_at`
    (e.g. `curl -X PUT -H 'Content-Type: image/jpeg' --data-binary @cup.jpg "$url"`)."""

    url: str = Field(description="a presigned URL of the imports bucket (S3; the local stack's emulator locally)")
    method: Literal["PUT"] = Field(description="the HTTP method of the upload")
    headers: dict[str, str] = Field(description="headers the upload must send, exactly (its `Content-Type`)")
    expires_at: str = Field(description=f"when the URL stops working; {UTC_INSTANT}")


class PictureUpload(Schema):
    """An upload awaiting its file; publish it with `POST /v1/media/pictures` once sent."""

    upload_id: str = Field(description="the upload's id (`up_…`)")
    upload: PictureUploadTarget = Field(description="where and how to send the file")
    max_bytes: int = Field(description=f"the largest picture published, in bytes ({MAX_BYTES:,})")


class PictureCreate(Input):
    """An uploaded file to publish."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"upload_id": "up_01JDZ6X3K9V8Q2M4N5P6R7S8T9"}]})

    upload_id: str = Field(
        pattern=f"^{UPLOAD_ID}$", description="the upload's id (`up_…`), as `POST /v1/media/uploads` gave it"
    )


EXAMPLE: JsonDict = {
    "url": "/media/3f1c0a9b7e2d4c6a8b0e1f2a3b4c5d6e.jpg",
    "content_type": "image/jpeg",
    "size_bytes": 183412,
    "thumbnail_url": "/media/3f1c0a9b7e2d4c6a8b0e1f2a3b4c5d6e-480.jpg",
}
URL = (
    "where it is served, on the platform's own origin: `/media/<name>`, a name made from its bytes (the same picture "
    "is one file; cached for good); a reward's `images` take it"
)


class Picture(Schema):
    """A published picture."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    url: str = Field(description=URL)
    content_type: str = Field(description=f"what its bytes are: {KINDS}")
    size_bytes: int = Field(description="its size in bytes")
    thumbnail_url: str = Field(description=f"its thumbnail, what lists show: a JPEG at most {THUMBNAIL_SIDE} pixels a "
                               "side, turned upright (`/media/<name>-480.jpg`)")  # fmt: skip
