"""Picture routes: staff who manage the points mall upload a reward's photos and publish them."""

from __future__ import annotations

from chalicelib.identity.access import Staff
from chalicelib.identity.rules import Permission
from chalicelib.media import rules, service
from chalicelib.media.schemas import Picture, PictureCreate, PictureUpload, PictureUploadCreate, PictureUploadTarget
from chalicelib.shared import clock
from chalicelib.shared.http import Reply, RequestContext, endpoint

UPLOAD = Staff(Permission.MALL_MANAGE, chain=True)  # the pictures of the chain's rewards


@endpoint("/v1/media/uploads", "POST", summary="Start uploading a picture (上传图片)", tag="media", access=UPLOAD,
          body=PictureUploadCreate, response=PictureUpload, status=201)  # fmt: skip
def create_upload(ctx: RequestContext) -> Reply:
    """Get where to send a picture (a reward's photo): a presigned `PUT` (`upload.url`, `upload.headers`), valid
    15 minutes, straight to storage, so the picture never passes through the API. Send the file, then publish it
    with `POST /v1/media/pictures`. Nothing is served until it is published; an upload never published is deleted
    after 7 days."""
    body: PictureUploadCreate = ctx.body
    upload_id, upload = service.new_upload(body.content_type)
    target = PictureUploadTarget(url=upload.url, method="PUT", headers=upload.headers,
                                 expires_at=clock.iso(upload.expires_at))  # fmt: skip
    return Reply(PictureUpload(upload_id=upload_id, upload=target, max_bytes=rules.MAX_BYTES), status=201)


@endpoint("/v1/media/pictures", "POST", summary="Publish an uploaded picture", tag="media", access=UPLOAD,
          body=PictureCreate, response=Picture, status=201,
          errors=(service.PictureMissing, service.PictureWithdrawn, service.PictureTooLarge, service.NotAPicture,
                  service.PictureTooManyPixels))  # fmt: skip
def publish_picture(ctx: RequestContext) -> Reply:
    """Check an uploaded file and publish it: at most 2 MiB, a JPEG, PNG or WebP picture by its bytes (whatever its
    upload declared: SVG, which may carry script, is never one), at most 6,000 pixels a side. What a camera or an
    editor wrote in it is taken out first (EXIF with its GPS position, XMP, IPTC, comments, PNG text; a JPEG keeps
    its orientation), so the published file says nothing of where or when it was taken. The answer's `url`
    (`/media/<name>`, on the platform's own origin, cached for good) goes into a reward's `images`. Publishing the
    same upload or the same picture again answers the same `url`; a picture an operator withdrew is never published
    again (the same bytes have the same name). The audit log records who published what.

    Errors: 409 `picture-missing` when nothing was sent to the upload (yet), `picture-withdrawn`; 413
    `picture-too-large`;
    422 `not-a-picture`, `picture-too-many-pixels`."""
    body: PictureCreate = ctx.body
    published = service.publish(body.upload_id)
    return Reply(Picture(url=published.url, content_type=published.content_type, size_bytes=published.size_bytes,
                         thumbnail_url=published.thumbnail_url), status=201)  # fmt: skip
