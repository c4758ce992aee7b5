"""The two front ends as the local stack serves them, the way CloudFront serves them from S3 when deployed.

``/console/`` and ``/m/`` answer the built single-page apps (``web/dist``, built by ``make run``); a path
without its trailing slash is redirected to it. Hashed assets are cached for good, each ``index.html`` never,
so a new build is seen at once. A missing file is a 404; the apps route with the URL's hash, so no other
path needs the index.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
SITES = ("console", "m")


def content_security_policy(*uploads: str) -> str:
    """What the apps may load: their own files, inline styles (Element Plus sets them), data: images (the QR);
    calls only to their own origin, and to ``uploads`` (the imports bucket a member file is PUT to)."""
    connect = " ".join(("'self'", *uploads))
    return (
        "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    )


SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
IMMUTABLE = "public, max-age=31536000, immutable"  # hashed assets: a new build has new names
NO_CACHE = "no-cache"  # each index.html: a new build is seen at once


def content_type(path: Path) -> str:
    """A built file's Content-Type, text in UTF-8."""
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    text = kind.startswith("text/") or kind in ("application/javascript", "application/json")
    return f"{kind}; charset=utf-8" if text else kind


def caching(path: Path) -> str:
    """How long a built file may be kept: the hashed files under ``assets/`` for good, the rest never."""
    return IMMUTABLE if path.parent.name == "assets" else NO_CACHE


@dataclass(frozen=True)
class StaticAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


def site_of(path: str) -> str | None:
    """The front end a request path belongs to, if any."""
    first = path.split("?", 1)[0].lstrip("/").split("/", 1)[0]
    return first if first in SITES else None


def answer(path: str, dist: Path = DIST, uploads: tuple[str, ...] = ()) -> StaticAnswer:
    """The file a GET of ``path`` (under ``/console`` or ``/m``) answers; ``uploads``: where files are PUT."""
    bare = path.split("?", 1)[0]
    site = site_of(bare)
    assert site is not None
    if bare == f"/{site}":
        return StaticAnswer(301, {"Location": f"/{site}/"}, b"")
    root = (dist / site).resolve()
    relative = bare[len(site) + 2 :] or "index.html"
    file = (root / relative).resolve()
    if root not in file.parents or not file.is_file():
        missing = b"Not found" if (root / "index.html").is_file() else b"Not built yet: run `make run`"
        return StaticAnswer(404, {"Content-Type": "text/plain; charset=utf-8"}, missing)
    headers = {"Content-Type": content_type(file), "Cache-Control": caching(file), **SECURITY_HEADERS}
    headers["Content-Security-Policy"] = content_security_policy(*uploads)
    return StaticAnswer(200, headers, file.read_bytes())
