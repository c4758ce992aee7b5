"""A picture's thumbnail, what lists show: at most ``rules.THUMBNAIL_SIDE`` pixels a side, turned as the picture's
orientation says, on white where it was transparent, as a JPEG (tens of kilobytes where the picture may be two
megabytes) with the picture's colour profile. Pillow decodes it: only a file already checked (its kind, its bytes,
its size in pixels) comes here, and one whose decoder finds another size is refused."""

from __future__ import annotations

import io

from chalicelib.media.rules import THUMBNAIL_SIDE


class Undecodable(ValueError):
    """The picture's pixels cannot be read as the size its structure says."""


def thumbnail(data: bytes, size: tuple[int, int]) -> bytes:
    """The JPEG thumbnail of a picture's bytes (a JPEG, PNG or WebP) of ``size`` pixels (``formats.size_of``).
    ``Undecodable`` when its pixels are broken or its decoder finds another size."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            picture: Image.Image = opened
            if picture.size != size:
                raise Undecodable(f"its decoder reads {picture.size[0]} × {picture.size[1]}, not {size[0]} × {size[1]}")
            profile = picture.info.get("icc_profile")
            orientation = picture.getexif().get(0x0112)
            opened.draft("RGB", (2 * THUMBNAIL_SIDE, 2 * THUMBNAIL_SIDE))  # a JPEG decodes at a fraction of its size
            if picture.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit grey: brought to 8 bits, not clipped white
                picture = picture.point(lambda value: value / 256).convert("L")
            picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)  # small first: less memory
            if orientation:
                exif = picture.getexif()
                exif[0x0112] = orientation
                picture = ImageOps.exif_transpose(picture)  # turned once small
            rgba = picture.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            out = io.BytesIO()
            flat.save(out, "JPEG", quality=82, optimize=True, progressive=True, icc_profile=profile)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise Undecodable(str(e)) from None
