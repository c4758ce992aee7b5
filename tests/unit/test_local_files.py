"""What the local stack keeps under .local/ (members' data, secrets) is readable by its owner only, however the
file was before."""

import json
import os

import pytest

from chalicelib.local.emulator import save
from chalicelib.shared.files import private_file

ITEMS = {"loyalty-local-members": [{"member_id": {"S": "mb_1"}, "name": {"S": "张三"}}]}


def mode(path):
    return oct(path.stat().st_mode & 0o777)


@pytest.fixture(autouse=True)
def permissive_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_data_snapshot_is_written_0600_and_reads_back(tmp_path):
    path = tmp_path / ".local" / "data.json"
    assert save(ITEMS, path) == 1
    assert mode(path) == "0o600"
    assert mode(path.parent) == "0o700"
    assert json.loads(path.read_text(encoding="utf-8"))["tables"] == ITEMS


def test_replacing_a_world_readable_snapshot_leaves_it_0600(tmp_path):
    path = tmp_path / "data.json"
    path.write_text("{}")
    path.chmod(0o644)
    (tmp_path / "data.json.tmp").write_text("left by a killed run")
    (tmp_path / "data.json.tmp").chmod(0o666)
    save(ITEMS, path)
    assert mode(path) == "0o600"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.json"]


def write(path, text, *, fail=False):
    with private_file(path) as file:
        file.write(text)
        if fail:
            raise RuntimeError("killed")


def test_a_failed_write_keeps_the_file_as_it_was(tmp_path):
    path = tmp_path / "credentials.json"
    write(path, "old")
    with pytest.raises(RuntimeError):
        write(path, "half", fail=True)
    assert path.read_text() == "old"


def test_an_export_or_a_report_file_is_its_owner_s_alone(tmp_path, monkeypatch):
    from chalicelib.exports import files

    monkeypatch.setattr(files, "folder", lambda: tmp_path / "exports")
    monkeypatch.setattr(files, "_bucket", lambda: None)
    written = files.put("bi/2026-12-01/members.csv", b"member,tier\n", "text/csv")
    assert mode(tmp_path / "exports" / "bi" / "2026-12-01" / "members.csv") == "0o600"
    assert files.read("bi/2026-12-01/members.csv") == b"member,tier\n"
    assert sorted(p.name for p in (tmp_path / "exports" / "bi" / "2026-12-01").iterdir()) == ["members.csv"]
    assert written.endswith("members.csv")
