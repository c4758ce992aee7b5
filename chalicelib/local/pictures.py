"""The demo's reward pictures, drawn here rather than shipped as files: flat shapes measured by signed distance (a
pixel half inside an edge is half covered, so edges are smooth without drawing at a larger size), written as PNG."""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable

WIDTH, HEIGHT = 480, 360  # 4:3, as the member pages' reward cards show them
Rgb = tuple[int, int, int]
Box = tuple[float, float, float, float]
Shape = tuple[Box, Callable[[float, float], float]]  # its bounds, and the distance to its edge (negative inside)
RED = "#c8102e"


def rgb(colour: str) -> Rgb:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def mix(a: Rgb, b: Rgb, t: float) -> Rgb:
    return round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t)


class Canvas:
    """A picture being drawn on a vertical gradient from ``top`` to ``bottom``."""

    def __init__(self, top: str, bottom: str) -> None:
        self.rows = [bytearray(bytes(mix(rgb(top), rgb(bottom), y / (HEIGHT - 1))) * WIDTH) for y in range(HEIGHT)]

    def paint(self, shape: Shape, colour: str | Callable[[int, int], Rgb]) -> None:
        """Cover ``shape`` with ``colour`` (one colour, or one a pixel ``(x, y)``)."""
        (left, top, right, bottom), distance = shape
        for y in range(max(0, int(top) - 1), min(HEIGHT, int(bottom) + 2)):
            row = self.rows[y]
            for x in range(max(0, int(left) - 1), min(WIDTH, int(right) + 2)):
                d = distance(x + 0.5, y + 0.5)
                if d >= 0.5:
                    continue
                paint = colour(x, y) if callable(colour) else rgb(colour)
                was = (row[3 * x], row[3 * x + 1], row[3 * x + 2])
                row[3 * x : 3 * x + 3] = bytes(paint if d <= -0.5 else mix(was, paint, 0.5 - d))

    def png(self) -> bytes:
        return png_of(WIDTH, HEIGHT, b"".join(b"\x00" + bytes(row) for row in self.rows))


def chunk(kind: bytes, data: bytes) -> bytes:
    """A PNG chunk: its length, type, data and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_of(width: int, height: int, rows: bytes, level: int = 9) -> bytes:
    """An 8-bit RGB PNG of ``rows`` (each a filter byte, then its pixels), compressed at ``level`` (0: stored)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, level))
            + chunk(b"IEND", b""))  # fmt: skip


def box(cx: float, cy: float, half_w: float, half_h: float, radius: float) -> Shape:
    def distance(x: float, y: float) -> float:
        qx, qy = abs(x - cx) - half_w + radius, abs(y - cy) - half_h + radius
        return math.hypot(max(qx, 0), max(qy, 0)) + min(max(qx, qy), 0) - radius

    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h), distance


def ellipse(cx: float, cy: float, rx: float, ry: float) -> Shape:
    return (
        cx - rx,
        cy - ry,
        cx + rx,
        cy + ry,
    ), lambda x, y: (math.hypot((x - cx) / rx, (y - cy) / ry) - 1) * min(rx, ry)


def ring(cx: float, cy: float, radius: float, width: float, *, upper_half: bool = False) -> Shape:
    def distance(x: float, y: float) -> float:
        d = abs(math.hypot(x - cx, y - cy) - radius) - width / 2
        return max(d, y - cy) if upper_half else d

    reach = radius + width
    return (cx - reach, cy - reach, cx + reach, cy + reach), distance


def bar(x0: float, y0: float, x1: float, y1: float, width: float) -> Shape:
    """A line from (x0, y0) to (x1, y1) with round ends."""
    length2 = (x1 - x0) ** 2 + (y1 - y0) ** 2

    def distance(x: float, y: float) -> float:
        t = min(max(((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / length2, 0), 1)
        return math.hypot(x - x0 - t * (x1 - x0), y - y0 - t * (y1 - y0)) - width / 2

    return (min(x0, x1) - width, min(y0, y1) - width, max(x0, x1) + width, max(y0, y1) + width), distance


def across(left: float, right: float, *colours: str) -> Callable[[int, int], Rgb]:
    """A horizontal gradient through ``colours`` from ``left`` to ``right``."""
    stops = [rgb(colour) for colour in colours]

    def colour(x: int, _y: int) -> Rgb:
        t = min(max((x - left) / (right - left), 0), 1) * (len(stops) - 1)
        i = min(int(t), len(stops) - 2)
        return mix(stops[i], stops[i + 1], t - i)

    return colour


def tote_bag() -> bytes:
    """A canvas tote bag with the brand's red mark."""
    c = Canvas("#fff4ec", "#f8dcc8")
    c.paint(ellipse(240, 294, 100, 10), "#efc7ae")  # its shadow
    for handle in (198, 282):
        c.paint(ring(handle, 150, 36, 11, upper_half=True), "#b89a6e")
    c.paint(box(240, 217, 96, 80, 10), across(144, 336, "#f1e6d0", "#dac6a4"))
    c.paint(box(240, 143, 96, 6, 3), "#d2bd98")  # the hem
    c.paint(ellipse(240, 222, 31, 31), RED)
    c.paint(ring(240, 222, 19, 5), "#ffffff")
    return c.png()


def vacuum_cup() -> bytes:
    """A steel vacuum cup with a dark lid and the brand's red band."""
    c = Canvas("#eef5fb", "#d5e6f3")
    c.paint(ellipse(240, 314, 64, 8), "#bcd3e6")
    c.paint(box(240, 202, 50, 112, 16), across(190, 290, "#8d98a4", "#e9eef2", "#aeb8c2", "#7f8a96"))
    c.paint(box(240, 88, 46, 16, 9), "#2e3a46")
    c.paint(box(240, 72, 30, 6, 4), "#45535f")
    c.paint(box(240, 208, 50, 14, 2), RED)
    return c.png()


def coupon() -> bytes:
    """A red coupon ticket with its notches, a tear line and a per-cent sign."""
    c = Canvas("#fff1f0", "#ffe0dc")
    c.paint(box(240, 186, 150, 86, 14), across(90, 390, "#e23a4f", RED))
    for side in (90, 390):
        c.paint(ellipse(side, 186, 16, 16), "#ffe9e6")  # the notches
    for y in range(112, 262, 16):
        c.paint(box(300, y + 4, 2, 5, 1), "#ffffff")  # the tear line
    c.paint(ring(178, 150, 17, 8), "#ffffff")
    c.paint(ring(238, 222, 17, 8), "#ffffff")
    c.paint(bar(236, 130, 180, 242, 10), "#ffffff")
    c.paint(ellipse(346, 186, 24, 24), "#ffd666")  # a coin
    return c.png()
