"""Inside a picture file, as pure functions over its bytes: how many pixels it is, and the file without what a
camera or an editor wrote about it.

Nothing is decoded: each format is walked by its structure (JPEG's segments, PNG's chunks, WebP's RIFF chunks). A
file whose structure cannot be walked is no picture. What is taken out is what can say where and when a photo was
taken and who made it (EXIF with its GPS position, XMP, IPTC, comments, PNG's text chunks); a JPEG keeps the one
thing its EXIF says that changes how it looks, its orientation, in a minimal EXIF of its own.
"""

from __future__ import annotations

import struct

MAX_SIDE = 6000  # pixels a side: more than a phone shows, small enough for one to decode (a 2 MiB PNG of one colour
# can otherwise claim 60,000 × 60,000)

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}  # frame headers: the size
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # markers without a length
_JPEG_DROPPED = {0xE1, 0xED, 0xFE}  # APP1 (EXIF, XMP), APP13 (IPTC), COM
_PNG_DROPPED = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
_WEBP_DROPPED = {b"EXIF", b"XMP "}


class Unreadable(ValueError):
    """The file's structure is not its format's."""


def size_of(data: bytes, kind: str) -> tuple[int, int]:
    """The picture's width and height in pixels. ``Unreadable`` when its structure says none."""
    try:
        if kind == "image/png":
            if data[12:16] != b"IHDR":
                raise Unreadable("no IHDR chunk first")
            return struct.unpack(">II", data[16:24])
        if kind == "image/jpeg":
            return _jpeg_size(data)
        return _webp_size(data)
    except (struct.error, IndexError) as e:
        raise Unreadable(str(e)) from None


def _jpeg_size(data: bytes) -> tuple[int, int]:
    for marker, _, payload, _ in _jpeg_segments(data):
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[payload + 1 : payload + 5])
            return width, height
    raise Unreadable("no frame header before the image data")


def _webp_size(data: bytes) -> tuple[int, int]:
    kind = data[12:16]
    if kind == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if kind == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            raise Unreadable("no VP8 start code")
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L":
        if data[20] != 0x2F:
            raise Unreadable("no VP8L signature")
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    raise Unreadable("no VP8, VP8L or VP8X chunk first")


def _jpeg_segments(data: bytes) -> list[tuple[int, int, int, int]]:
    """The segments from the start of image to the start of scan: (marker, where the segment starts, where its
    payload starts, where it ends); the start of scan's runs on to the end of the file (the image data)."""
    if data[:2] != b"\xff\xd8":
        raise Unreadable("no start of image")
    segments, at = [], 2
    while True:
        if at + 4 > len(data) or data[at] != 0xFF:
            raise Unreadable("a segment does not start with a marker")
        marker = data[at + 1]
        if marker == 0xFF:  # a fill byte before a marker
            at += 1
            continue
        if marker in _STANDALONE:
            segments.append((marker, at, at + 2, at + 2))
            at += 2
            continue
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if length < 2 or at + 2 + length > len(data):
            raise Unreadable("a segment runs past the end of the file")
        if marker == 0xDA:
            segments.append((marker, at, at + 4, len(data)))
            return segments
        segments.append((marker, at, at + 4, at + 2 + length))
        at += 2 + length


def without_metadata(data: bytes, kind: str) -> bytes:
    """The file without what it says about where, when and by whom it was made (see the module); its pixels and
    colour profile unchanged. ``Unreadable`` when its structure cannot be walked."""
    try:
        if kind == "image/jpeg":
            return _jpeg_without(data)
        if kind == "image/png":
            return _png_without(data)
        return _webp_without(data)
    except (struct.error, IndexError) as e:
        raise Unreadable(str(e)) from None


def _jpeg_without(data: bytes) -> bytes:
    kept = [data[:2]]
    for marker, start, payload, end in _jpeg_segments(data):
        if marker == 0xE1 and data[payload : payload + 6] == b"Exif\x00\x00":
            turned = _orientation(data[payload + 6 : end])
            if turned not in (None, 1):
                kept.append(_minimal_exif(turned))
        elif marker not in _JPEG_DROPPED:
            kept.append(data[start:end])
    return b"".join(kept)


def _orientation(tiff: bytes) -> int | None:
    """The orientation tag (0x0112) of an EXIF block's first directory, if it has one."""
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return None
    try:
        (first,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[first : first + 2])
        for n in range(count):
            entry = tiff[first + 2 + 12 * n : first + 14 + 12 * n]
            tag, kind = struct.unpack(order + "HH", entry[:4])
            if tag == 0x0112 and kind == 3:  # SHORT
                value: int = struct.unpack(order + "H", entry[8:10])[0]
                return value if 1 <= value <= 8 else None
    except struct.error:
        return None  # an EXIF block that cannot be read says nothing: it goes, and the picture stays as drawn
    return None


def _minimal_exif(orientation: int) -> bytes:
    """An APP1 segment whose EXIF says only the orientation."""
    tiff = b"MM\x00\x2a" + struct.pack(">IH", 8, 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + b"\0" * 4
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _png_without(data: bytes) -> bytes:
    kept, at = [data[:8]], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, end = data[at + 4 : at + 8], at + 12 + length
        if end > len(data):
            raise Unreadable("a chunk runs past the end of the file")
        if kind not in _PNG_DROPPED:
            kept.append(data[at:end])
        at = end
        if kind == b"IEND":
            break
    return b"".join(kept)


def _webp_without(data: bytes) -> bytes:
    if data[12:16] != b"VP8X":
        return data  # a simple WebP holds its picture alone: nothing else to take out
    chunks, at = [], 12
    while at + 8 <= len(data):
        kind, (length,) = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])
        end = at + 8 + length + (length & 1)  # chunks are padded to an even length
        if end > len(data):
            raise Unreadable("a chunk runs past the end of the file")
        if kind not in _WEBP_DROPPED:
            chunks.append(bytearray(data[at:end]))
        at = end
    chunks[0][8] &= ~0x0C & 0xFF  # VP8X's flags: no EXIF (0x08), no XMP (0x04)
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
