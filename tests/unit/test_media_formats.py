"""Inside picture files: their size in pixels read from their structure, and what a camera wrote about where and
when taken out, the pixels kept as they were (crafted files: each format's structure, not real photos)."""

import struct
import zlib

import pytest

from chalicelib.media import formats
from tests.pictures import png

IMAGE_DATA = b"\x12\x34" * 50 + b"\xff\xd9"  # what follows the start of scan, kept byte for byte


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def exif(orientation: int | None, little: bool = False) -> bytes:
    """An EXIF block with a GPS directory pointer and, if given, an orientation."""
    order = "<" if little else ">"
    entries = [(0x8825, 4, 1, 26)]  # GPSInfo, LONG: the GPS directory's offset
    if orientation is not None:
        entries.insert(0, (0x0112, 3, 1, orientation << (0 if little else 16)))
    directory = struct.pack(order + "H", len(entries)) + b"".join(struct.pack(order + "HHII", *e) for e in entries)
    gps = b"N\x00\x00\x0031.2304,121.4737"  # where the photo was taken
    return (
        b"Exif\x00\x00" + (b"II" if little else b"MM") + struct.pack(order + "HI", 42, 8) + directory + b"\0" * 4 + gps
    )


def jpeg(*extra: bytes, width: int = 640, height: int = 480) -> bytes:
    frame = segment(0xC0, b"\x08" + struct.pack(">HH", height, width) + b"\x03" + b"\x01\x22\x00" * 3)
    table = segment(0xDB, b"\x00" + bytes(64))
    scan = segment(0xDA, b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00")
    return b"\xff\xd8" + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00") + b"".join(extra) + table + (
        frame + scan + IMAGE_DATA)  # fmt: skip


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_a_jpeg_s_size_is_its_frame_s_and_its_metadata_goes_but_its_orientation_stays():
    photo = jpeg(segment(0xE1, exif(6)), segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"),
                 segment(0xED, b"Photoshop 3.0\x008BIM"), segment(0xFE, b"shot by Li Lei"))  # fmt: skip
    assert formats.size_of(photo, "image/jpeg") == (640, 480)
    kept = formats.without_metadata(photo, "image/jpeg")
    for said in (b"31.2304", b"xmpmeta", b"8BIM", b"Li Lei"):
        assert said not in kept
    assert kept.endswith(segment(0xDA, b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00") + IMAGE_DATA)
    assert formats.size_of(kept, "image/jpeg") == (640, 480)
    (minimal,) = [s for s in _segments(kept) if s[0] == 0xE1]
    assert formats._orientation(minimal[1][6:]) == 6  # turned a quarter, as the camera held it
    assert formats.without_metadata(kept, "image/jpeg") == kept  # nothing more to take out


@pytest.mark.parametrize(("orientation", "little"), [(1, False), (None, True), (1, True)])
def test_a_jpeg_drawn_upright_keeps_no_exif_at_all(orientation, little):
    kept = formats.without_metadata(jpeg(segment(0xE1, exif(orientation, little))), "image/jpeg")
    assert kept == jpeg()


def test_a_jpeg_s_unreadable_exif_goes_and_the_picture_stays():
    assert formats.without_metadata(jpeg(segment(0xE1, b"Exif\x00\x00MM\x00\x2a\xff\xff")), "image/jpeg") == jpeg()


@pytest.mark.parametrize("broken", [b"\xff\xd8\xff", jpeg()[:40], b"\xff\xd8\x00\x00" + jpeg()[4:],
                                    b"\xff\xd8" + segment(0xE0, b"JFIF")[:3] + b"\xff\xff"])  # fmt: skip
def test_a_file_that_only_begins_as_a_jpeg_is_unreadable(broken):
    with pytest.raises(formats.Unreadable):
        formats.size_of(broken, "image/jpeg")
    with pytest.raises(formats.Unreadable):
        formats.without_metadata(broken, "image/jpeg")


def test_a_png_s_size_is_its_header_s_and_its_text_chunks_go():
    picture = png(size=12)
    said = b"".join(chunk(kind, data) for kind, data in ((b"tEXt", b"Author\x00Li Lei"), (b"eXIf", exif(6)[6:]),
                                                         (b"tIME", b"\x07\xea\x0c\x04\x01\x02\x03")))  # fmt: skip
    marked = picture[:33] + said + picture[33:]  # after IHDR
    assert formats.size_of(marked, "image/png") == (12, 12)
    assert formats.without_metadata(marked, "image/png") == picture
    with pytest.raises(formats.Unreadable):
        formats.without_metadata(picture[:33] + struct.pack(">I", 10**6) + b"tEXt", "image/png")


def webp(*chunks: bytes) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def riff(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def test_a_webp_s_size_in_each_of_its_forms_and_its_exif_and_xmp_go():
    frame = riff(b"VP8 ", b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", 320, 240) + bytes(8))
    assert formats.size_of(webp(frame), "image/webp") == (320, 240)
    lossless = riff(b"VP8L", b"\x2f" + ((99) | (49 << 14)).to_bytes(4, "little") + bytes(5))
    assert formats.size_of(webp(lossless), "image/webp") == (100, 50)
    extended = riff(b"VP8X", bytes([0x0C, 0, 0, 0]) + (399).to_bytes(3, "little") + (299).to_bytes(3, "little"))
    marked = webp(extended, frame, riff(b"EXIF", exif(6)[6:]), riff(b"XMP ", b"<x:xmpmeta/>"))
    assert formats.size_of(marked, "image/webp") == (400, 300)
    kept = formats.without_metadata(marked, "image/webp")
    cleared = riff(b"VP8X", bytes([0, 0, 0, 0]) + (399).to_bytes(3, "little") + (299).to_bytes(3, "little"))
    assert kept == webp(cleared, frame)
    assert formats.without_metadata(webp(frame), "image/webp") == webp(frame)  # a simple one holds nothing else
    with pytest.raises(formats.Unreadable):
        formats.size_of(webp(riff(b"ALPH", b"")), "image/webp")


def _segments(data):
    return [(marker, data[payload:end]) for marker, _, payload, end in formats._jpeg_segments(data)]
