"""The local stack serves the built front ends as CloudFront does: index, assets, redirects, nothing else."""

from pathlib import Path

import pytest

from chalicelib.local.sites import SECURITY_HEADERS, answer, content_security_policy, site_of


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "console" / "assets").mkdir(parents=True)
    (tmp_path / "console" / "index.html").write_text("<title>后台</title>")
    (tmp_path / "console" / "assets" / "app-1a2b.js").write_text("export {}")
    (tmp_path / "secret.txt").write_text("not a site's file")
    return tmp_path


def test_only_the_two_front_ends_are_sites() -> None:
    assert [site_of(path) for path in ("/console/", "/m", "/m/x?y=1", "/v1/health", "/mall/")] == [
        "console", "m", "m", None, None]  # fmt: skip


def test_a_folder_gets_its_index_never_cached_with_the_security_headers(dist: Path) -> None:
    found = answer("/console/", dist)
    assert (found.status, found.body) == (200, "<title>后台</title>".encode())
    assert found.headers["Content-Type"] == "text/html; charset=utf-8"
    assert found.headers["Cache-Control"] == "no-cache"
    assert SECURITY_HEADERS.items() <= found.headers.items()
    assert "connect-src 'self';" in found.headers["Content-Security-Policy"]


def test_the_console_may_put_files_to_the_imports_bucket_and_nowhere_else() -> None:
    policy = content_security_policy("http://127.0.0.1:5000")
    assert "connect-src 'self' http://127.0.0.1:5000;" in policy
    assert "default-src 'self'" in policy
    assert "script-src" not in policy  # scripts fall back to 'self': no inline or foreign script


def test_hashed_assets_are_cached_for_good(dist: Path) -> None:
    found = answer("/console/assets/app-1a2b.js?v=1", dist)
    assert found.status == 200
    assert "immutable" in found.headers["Cache-Control"]


def test_a_bare_site_path_is_redirected_to_its_folder(dist: Path) -> None:
    assert (answer("/console", dist).status, answer("/console", dist).headers["Location"]) == (301, "/console/")


def test_nothing_outside_a_site_folder_is_served(dist: Path) -> None:
    assert answer("/console/../secret.txt", dist).status == 404
    assert answer("/console/missing.js", dist).status == 404
    assert b"make run" in answer("/m/", dist).body  # not built yet: says how to build it
