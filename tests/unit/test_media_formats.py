"""Inside picture files: their size in pixels read from their structure, and what a camera wrote about where and
when taken out, the pixels kept as they were (crafted files: each format's structure, not real photos)."""

import struct

import pytest

from chalicelib.media import formats
from tests.pictures import chunk, png

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


def test_what_follows_a_jpeg_s_end_and_what_no_decoder_needs_goes_what_it_needs_stays():
    """Found by a review: a second picture with its own GPS after the end (a motion photo's video, a phone's depth
    map), a comment between a progressive JPEG's scans, and segments of kinds no list named all stayed."""
    icc = segment(0xE2, b"ICC_PROFILE\x00\x01\x01profile")
    scan = segment(0xDA, b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00") + b"\x12\xff\x00\x34\xff\xd0\x56"  # stuffed, RST
    huffman = segment(0xC4, b"\x00" + bytes(16))
    second = jpeg(segment(0xE1, exif(6)))  # its GPS after the first picture's end
    first = jpeg(icc, segment(0xE2, b"MPF\x00"), segment(0xEB, b"JPc2pa"), segment(0xEF, b"x"))[:-2]  # no end yet
    progressive = first + segment(0xFE, b"Li Lei") + huffman + scan + b"\xff\xd9" + second
    kept = formats.without_metadata(progressive, "image/jpeg")
    assert kept.endswith(huffman + scan + b"\xff\xd9")  # the second scan and its table kept, to the end of image
    assert icc in kept
    for gone in (b"31.2304", b"Li Lei", b"MPF", b"c2pa", second[:40]):
        assert gone not in kept
    assert formats.size_of(kept, "image/jpeg") == (640, 480)


def test_a_jpeg_that_says_its_size_twice_or_too_shortly_is_unreadable():
    twice = jpeg(segment(0xC0, b"\x08" + struct.pack(">HH", 60_000, 60_000) + b"\x01\x01\x11\x00"))
    short = b"\xff\xd8" + segment(0xC0, b"\x08\x00") + jpeg()[2:].replace(segment(0xC0, b"")[:2], b"\xff\xfe", 1)
    for file in (twice, short):
        with pytest.raises(formats.Unreadable):
            formats.size_of(file, "image/jpeg")


def test_a_png_that_says_its_size_twice_is_unreadable_and_only_its_picture_s_chunks_stay():
    picture = png(size=12)
    private = chunk(b"prIv", b"where it was taken") + chunk(b"caBX", b"provenance")
    marked = picture[:33] + private + picture[33:] + b"trailing: a second file"
    assert formats.without_metadata(marked, "image/png") == picture
    twice = picture[:33] + chunk(b"IHDR", struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0)) + picture[33:]
    with pytest.raises(formats.Unreadable):
        formats.size_of(twice, "image/png")


def test_a_simple_webp_keeps_its_frame_alone_and_an_extended_one_only_the_chunks_that_show_it():
    frame = riff(b"VP8 ", b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", 320, 240) + bytes(8))
    assert formats.without_metadata(webp(frame, riff(b"EXIF", exif(6)[6:])), "image/webp") == webp(frame)
    extended = riff(b"VP8X", bytes([0x20, 0, 0, 0]) + (319).to_bytes(3, "little") + (239).to_bytes(3, "little"))
    icc = riff(b"ICCP", b"profile")
    assert formats.without_metadata(webp(extended, icc, frame, riff(b"C2PA", b"x")), "image/webp") == webp(
        extended, icc, frame)  # fmt: skip
