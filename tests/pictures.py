"""Real pictures made in a few bytes, for the tests that upload them."""

from chalicelib.local.pictures import chunk, png_of

__all__ = ["chunk", "large_photo", "photo", "png"]


def png(rgb: tuple[int, int, int] = (200, 40, 40), size: int = 8) -> bytes:
    """A ``size``×``size`` PNG of one colour, as any browser decodes it."""
    return png_of(size, size, b"".join(b"\x00" + bytes(rgb) * size for _ in range(size)), 6)


def photo(width: int, height: int, *segments: bytes) -> bytes:
    """A JPEG as a camera writes one (Pillow's), with ``segments`` (an EXIF block ...) after its start."""
    import io

    from PIL import Image

    out = io.BytesIO()
    picture = Image.new("RGB", (width, height), (42, 157, 58))
    picture.paste((255, 255, 255), (0, 0, width // 4, height))  # a white band on the left: which way is up
    picture.save(out, "JPEG", quality=90)
    data = out.getvalue()
    return data[:2] + b"".join(segments) + data[2:]


def large_photo(width: int, height: int) -> bytes:
    """A PNG as large as a phone's photo (3 bytes a pixel): a gradient stored without compression."""
    reds = bytes(x * 255 // width for x in range(width))
    rows = bytearray()
    for y in range(height):
        row = bytearray(3 * width)
        row[0::3], row[1::3], row[2::3] = reds, bytes([y * 255 // height]) * width, b"\xa0" * width
        rows += b"\x00" + row
    return png_of(width, height, bytes(rows), level=0)
