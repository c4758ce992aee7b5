"""The front ends' routes: each name once per app (vue-router keeps the last route of a name, so a second one took the
privacy policy's page away from the member pages: found by the fresh-clone run)."""

import re
from collections import Counter
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"


@pytest.mark.parametrize("app", ["console", "m"])
def test_every_route_name_is_used_once_in_its_app(app: str) -> None:
    files = sorted((WEB / app / "src" / "views").glob("*/routes.js"))
    assert files, app
    names = Counter(name for file in files for name in re.findall(r"\bname: '([^']+)'", file.read_text("utf-8")))
    assert names, app
    assert [name for name, count in names.items() if count > 1] == []
