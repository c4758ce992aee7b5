"""Inside a picture file, as pure functions over its bytes: how many pixels it is, and the file with only what shows
the picture.

Nothing is decoded: each format is walked by its structure (JPEG's segments and scans to its end, PNG's chunks,
WebP's RIFF chunks). A file whose structure cannot be walked is no picture, nor one that says its size twice (a
decoder would believe the other). What is kept is what a decoder needs to show the picture as it was made (its
pixels, colour profile, transparency, animation); everything else goes: EXIF with its GPS position, XMP, IPTC,
comments, text, and whatever follows the picture's end (a second picture, a motion photo's video). A JPEG keeps the
one thing its EXIF says that changes how it looks, its orientation, in a minimal EXIF of its own.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

MAX_SIDE = 6000  # pixels a side: more than a phone shows, small enough for one to decode (a 2 MiB PNG of one colour
# can otherwise claim 60,000 × 60,000)

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}  # frame headers: the size
_SOS, _EOI, _APP0, _APP1, _APP2, _APP14 = 0xDA, 0xD9, 0xE0, 0xE1, 0xE2, 0xEE
_JPEG_KEPT = {*_SOF, 0xC4, 0xCC, 0xDB, 0xDD, 0xDC, _SOS}  # tables (Huffman, arithmetic, quantisation), restarts, lines
_JPEG_KEPT_APPS = {_APP0: b"JFIF\x00", _APP2: b"ICC_PROFILE\x00", _APP14: b"Adobe"}  # by what their payload begins with
_PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"bKGD",
             b"pHYs", b"cICP", b"acTL", b"fcTL", b"fdAT"}  # fmt: skip
_WEBP_KEPT = {b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"}
_WEBP_FRAMES = {b"VP8 ", b"VP8L"}
_VP8X_EXIF_XMP = 0x0C  # VP8X's flags for EXIF (0x08) and XMP (0x04)


class Unreadable(ValueError):
    """The file's structure is not its format's."""


def size_of(data: bytes, kind: str) -> tuple[int, int]:
    """The picture's width and height in pixels. ``Unreadable`` when its structure says none, or says it twice."""
    try:
        if kind == "image/png":
            return _png_size(data)
        if kind == "image/jpeg":
            return _jpeg_size(data)
        return _webp_size(data)
    except (struct.error, IndexError) as e:
        raise Unreadable(str(e)) from None


def without_metadata(data: bytes, kind: str) -> bytes:
    """The file with only what shows the picture (see the module), its pixels unchanged. ``Unreadable`` when its
    structure cannot be walked."""
    try:
        if kind == "image/jpeg":
            return _jpeg_without(data)
        if kind == "image/png":
            return _png_without(data)
        return _webp_without(data)
    except (struct.error, IndexError) as e:
        raise Unreadable(str(e)) from None


# --- JPEG ---------------------------------------------------------------------------------------------------------


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int, int]]:
    """Each segment from after the start of image to the end of image: (marker, where the segment starts, where its
    payload starts, where it ends); a start of scan's segment ends where its image data does (at the next marker)."""
    if data[:2] != b"\xff\xd8":
        raise Unreadable("no start of image")
    at = 2
    while True:
        if at + 2 > len(data) or data[at] != 0xFF:
            raise Unreadable("a segment does not start with a marker")
        marker = data[at + 1]
        if marker == 0xFF:  # a fill byte before a marker
            at += 1
            continue
        if marker == _EOI:
            yield marker, at, at + 2, at + 2
            return
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length, outside a scan: nothing to keep
            at += 2
            continue
        if at + 4 > len(data):
            raise Unreadable("the file ends inside a segment")
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if length < 2 or at + 2 + length > len(data):
            raise Unreadable("a segment runs past the end of the file")
        end = at + 2 + length
        if marker == _SOS:
            end = _scan_end(data, end)
        yield marker, at, at + 4, end
        at = end


def _scan_end(data: bytes, at: int) -> int:
    """Where a scan's image data ends: its next marker (``FF`` followed by neither ``00``, a stuffed byte, nor a
    restart marker ``D0``-``D7``); the end of the file when it has none."""
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            raise Unreadable("the image data has no end of image")
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            at += 1 if following == 0xFF else 2
            continue
        return at


def _jpeg_size(data: bytes) -> tuple[int, int]:
    frames = [(payload, end) for marker, _, payload, end in _jpeg_segments(data) if marker in _SOF]
    if len(frames) != 1:
        raise Unreadable("no frame header" if not frames else "more than one frame header")
    payload, end = frames[0]
    if end - payload < 6:
        raise Unreadable("a frame header too short to say the size")
    height, width = struct.unpack(">HH", data[payload + 1 : payload + 5])
    return width, height


def _jpeg_without(data: bytes) -> bytes:
    kept = [data[:2]]
    for marker, start, payload, end in _jpeg_segments(data):
        if marker == _APP1 and data[payload : payload + 6] == b"Exif\x00\x00":
            turned = _orientation(data[payload + 6 : end])
            if turned not in (None, 1):
                kept.append(_minimal_exif(turned))
        elif marker in _JPEG_KEPT or marker == _EOI or data[payload:end].startswith(_JPEG_KEPT_APPS.get(marker, b"-")):
            kept.append(data[start:end])
    return b"".join(kept)  # what follows the end of image (a second picture, a video) is not kept


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


# --- PNG ----------------------------------------------------------------------------------------------------------


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """Each chunk to the image's end: (its type, where it starts, where it ends)."""
    at = 8
    while True:
        if at + 8 > len(data):
            raise Unreadable("the file ends before its IEND chunk")
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, end = data[at + 4 : at + 8], at + 12 + length
        if end > len(data):
            raise Unreadable("a chunk runs past the end of the file")
        yield kind, at, end
        if kind == b"IEND":
            return
        at = end


def _png_size(data: bytes) -> tuple[int, int]:
    if data[12:16] != b"IHDR":
        raise Unreadable("no IHDR chunk first")
    if sum(1 for kind, _, _ in _png_chunks(data) if kind == b"IHDR") != 1:
        raise Unreadable("more than one IHDR chunk")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _png_without(data: bytes) -> bytes:
    return data[:8] + b"".join(data[start:end] for kind, start, end in _png_chunks(data) if kind in _PNG_KEPT)


# --- WebP ---------------------------------------------------------------------------------------------------------


def _webp_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """The RIFF container's chunks (as far as it says it runs): (type, start, end with its padding)."""
    (riff,) = struct.unpack("<I", data[4:8])
    last = min(len(data), 8 + riff)
    chunks, at = [], 12
    while at + 8 <= last:
        kind, (length,) = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])
        end = at + 8 + length + (length & 1)  # chunks are padded to an even length
        if end > last:
            raise Unreadable("a chunk runs past the end of the file")
        chunks.append((kind, at, end))
        at = end
    if not chunks:
        raise Unreadable("no chunk")
    return chunks


def _webp_size(data: bytes) -> tuple[int, int]:
    kind, start, _ = _webp_chunks(data)[0]
    if kind == b"VP8X":
        at = start + 8
        return 1 + int.from_bytes(data[at + 4 : at + 7], "little"), 1 + int.from_bytes(data[at + 7 : at + 10], "little")
    if kind == b"VP8 ":
        if data[start + 11 : start + 14] != b"\x9d\x01\x2a":
            raise Unreadable("no VP8 start code")
        width, height = struct.unpack("<HH", data[start + 14 : start + 18])
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L":
        if data[start + 8] != 0x2F:
            raise Unreadable("no VP8L signature")
        bits = int.from_bytes(data[start + 9 : start + 13], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    raise Unreadable("no VP8, VP8L or VP8X chunk first")


def _webp_without(data: bytes) -> bytes:
    chunks = _webp_chunks(data)
    if chunks[0][0] in _WEBP_FRAMES:  # a simple WebP: its frame alone is the picture
        chunks = chunks[:1]
    kept = [bytearray(data[start:end]) for kind, start, end in chunks if kind in _WEBP_KEPT]
    if kept[0][:4] == b"VP8X":
        kept[0][8] &= ~_VP8X_EXIF_XMP & 0xFF
    body = b"WEBP" + b"".join(kept)
    return b"RIFF" + struct.pack("<I", len(body)) + body
