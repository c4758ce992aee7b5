"""Publishing the built front ends (``web/dist``) to the stage's web bucket, behind its CloudFront distribution.

Assets first, each app's ``index.html`` last (so a new index never names an asset not yet there), and the index
also under its folder's keys (``console/`` and ``console``), which are what CloudFront asks S3 for at
``/console/`` and ``/console`` (the apps name their assets by absolute paths and route by the URL's hash, so
either address works). Hashed assets
are cached for a year, the indexes never; assets of earlier builds stay for pages still open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chalicelib.local.sites import NO_CACHE, SITES, caching, content_type


def publish_web(s3: Any, bucket: str, dist: Path) -> list[str]:
    """Upload every built file of both apps to ``bucket``; answer the keys written, in order."""
    written: list[str] = []
    for site in SITES:
        root = dist / site
        if not (root / "index.html").is_file():
            raise FileNotFoundError(f"{root}/index.html is missing: build the front ends first (make web)")
        files = sorted(path for path in root.rglob("*") if path.is_file() and path.name != "index.html")
        for path in files:
            key = f"{site}/{path.relative_to(root).as_posix()}"
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(path),
                          CacheControl=caching(path))  # fmt: skip
            written.append(key)
        index = (root / "index.html").read_bytes()
        for key in (f"{site}/index.html", f"{site}/", site):
            s3.put_object(Bucket=bucket, Key=key, Body=index, ContentType="text/html; charset=utf-8",
                          CacheControl=NO_CACHE)  # fmt: skip
            written.append(key)
    return written
