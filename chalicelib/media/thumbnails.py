"""A picture's thumbnail, what lists show: at most ``rules.THUMBNAIL_SIDE`` pixels a side, turned as the picture's
orientation says, on white where it was transparent, as a JPEG (tens of kilobytes where the picture may be two
megabytes). Pillow decodes it: only a file already checked (its kind, its bytes, its size in pixels) comes here."""

from __future__ import annotations

import io

from chalicelib.media.rules import THUMBNAIL_SIDE


class Undecodable(ValueError):
    """The picture's pixels cannot be read."""


def thumbnail(data: bytes) -> bytes:
    """The JPEG thumbnail of a picture's bytes (a JPEG, PNG or WebP). ``Undecodable`` when its pixels are broken."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    side = (THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.draft("RGB", (2 * THUMBNAIL_SIDE, 2 * THUMBNAIL_SIDE))  # a JPEG decodes at a fraction of its size
            upright = ImageOps.exif_transpose(picture)
            upright.thumbnail(side, Image.Resampling.LANCZOS)
            rgba = upright.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            out = io.BytesIO()
            flat.save(out, "JPEG", quality=82, optimize=True, progressive=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise Undecodable(str(e)) from None
