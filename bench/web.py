"""What a browser downloads for the front ends: each app's files in web/dist, raw and gzip-compressed.

Run after `make web`. Prints one JSON object: per app the total, the entry chunk (what the first screen needs
before any lazy screen) and the largest lazy chunk, in bytes.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"


def sizes(path: Path) -> dict[str, int]:
    raw = path.read_bytes()
    return {"bytes": len(raw), "gzip_bytes": len(gzip.compress(raw, compresslevel=6))}


def app_figures(app: str) -> dict[str, object]:
    root = DIST / app
    index = (root / "index.html").read_text(encoding="utf-8")
    entry = {name.rsplit("/", 1)[-1] for name in re.findall(r'(?:src|href)="[^"]*/assets/([^"]+)"', index)}
    files = [path for path in (root / "assets").iterdir() if path.is_file()]
    lazy = [path for path in files if path.name not in entry and path.suffix == ".js"]
    largest = max(lazy, key=lambda path: path.stat().st_size) if lazy else None
    return {
        "files": len(files) + 1,
        "total_gzip_bytes": sum(sizes(path)["gzip_bytes"] for path in files),
        "entry_gzip_bytes": sum(sizes(root / "assets" / name)["gzip_bytes"] for name in entry),
        "largest_lazy_chunk": {"name": largest.name, **sizes(largest)} if largest else None,
    }


if __name__ == "__main__":
    print(json.dumps({app: app_figures(app) for app in ("console", "m")}, indent=2))
