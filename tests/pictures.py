"""Real pictures made in a few bytes, for the tests that upload them."""

import struct
import zlib


def png(rgb: tuple[int, int, int] = (200, 40, 40), size: int = 8) -> bytes:
    """A ``size``×``size`` PNG of one colour, as any browser decodes it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
