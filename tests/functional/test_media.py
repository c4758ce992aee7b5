"""Pictures: staff who manage the mall upload a file straight to storage, publish it once checked (its size, its
first bytes), and a reward shows it from the platform's own origin; nothing unchecked is ever published."""

import io
import json
import os
import struct
from pathlib import Path

import pytest
import requests

from chalicelib.media import rules
from chalicelib.media.service import local_picture
from tests.conftest import member_token, published_envelopes, token_for
from tests.pictures import png

CUP = {"name": "保温杯", "kind": "goods", "points": 300, "stock": 5, "fulfilment": "shipping"}


def ok(answer, status=200):
    assert answer.status == status, answer.body
    return answer.body


def refused(answer, status, slug):
    assert answer.status == status, answer.body
    assert answer.body["type"].endswith("/" + slug), answer.body
    return answer.body


def uploaded(client, data, content_type="image/png", declared=None):
    """An upload made and its file sent: the upload's id."""
    created = ok(client.post("/v1/media/uploads", {"content_type": declared or content_type}), 201)
    assert created["upload"]["headers"] == {"Content-Type": declared or content_type}
    sent = requests.put(created["upload"]["url"], data=data, headers=created["upload"]["headers"], timeout=10)
    assert sent.status_code == 200, sent.text
    return created["upload_id"]


def published_files():
    """The pictures published (each with its thumbnail beside it, which this checks)."""
    names = {path.name for path in Path(os.environ["LOYALTY_MEDIA"]).glob("*") if not path.name.startswith(".")}
    pictures = sorted(name for name in names if not name.endswith(f"-{rules.THUMBNAIL_SIDE}.jpg"))
    assert names == {*pictures, *(rules.thumbnail_name(name) for name in pictures)}
    return pictures


@pytest.fixture(autouse=True)
def _empty_media_folder():
    for path in Path(os.environ["LOYALTY_MEDIA"]).glob("*"):
        path.unlink()


def test_a_picture_is_uploaded_published_once_by_its_bytes_and_shown_on_a_reward(api):
    manager = api.as_(token_for(["marketing"]))
    red, blue = png((200, 40, 40)), png((40, 40, 200))

    first = ok(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, red)}), 201)
    assert first["url"] == f"/media/{rules.published_name(red, 'image/png')}"
    assert (first["content_type"], first["size_bytes"]) == ("image/png", len(red))
    assert local_picture(first["url"].removeprefix("/media/")) == (red, "image/png")
    again = ok(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, red)}), 201)
    assert again == first  # the same picture is one file
    other = ok(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, blue, declared="image/jpeg")}), 201)
    assert other["content_type"] == "image/png"  # its bytes say what it is
    assert other["url"].endswith(".png")
    assert len(published_files()) == 2

    reward = ok(
        manager.post("/v1/mall/rewards", {**CUP, "images": [first["url"], "https://cdn.example.com/a.jpg"]}), 201
    )
    assert reward["images"] == [first["url"], "https://cdn.example.com/a.jpg"]
    assert reward["thumbnails"] == [first["thumbnail_url"], "https://cdn.example.com/a.jpg"]  # what lists show
    published = [e for e in published_envelopes() if e["type"] == "media.picture-published"]
    assert len(published) == 3
    assert all(e["actor"].startswith("staff:") for e in published)  # for the audit log


def test_what_is_not_a_picture_or_too_large_or_not_sent_is_never_published(api):
    manager = api.as_(token_for(["marketing"]))
    page = b"<html><script>alert(1)</script></html>"
    refused(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, page)}), 422, "not-a-picture")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, svg)}), 422, "not-a-picture")
    refused(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, b"")}), 422, "not-a-picture")
    large = png() + b"\x00" * rules.MAX_BYTES
    refused(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, large)}), 413, "picture-too-large")
    waiting = ok(manager.post("/v1/media/uploads", {"content_type": "image/webp"}), 201)["upload_id"]
    refused(manager.post("/v1/media/pictures", {"upload_id": waiting}), 409, "picture-missing")
    refused(manager.post("/v1/media/pictures", {"upload_id": "up_01JDZ6X3K9V8Q2M4N5P6R7S8T9"}), 409, "picture-missing")
    for unknown in ("../members/im_1.csv", "up_01JDZ6X3K9V8Q2M4N5P6R7S8T9/../x", "im_01JDZ6X3K9V8Q2M4N5P6R7S8T9"):
        refused(manager.post("/v1/media/pictures", {"upload_id": unknown}), 422, "validation-failed")
    refused(manager.post("/v1/media/uploads", {"content_type": "image/svg+xml"}), 422, "validation-failed")
    assert published_files() == []
    assert not [e for e in published_envelopes() if e["type"] == "media.picture-published"]


@pytest.mark.parametrize("url", ["/media/../members.json", "/media/abc.png", "/media/" + "a" * 32 + ".svg",
                                 "/etc/passwd", "http://cdn.example.com/a.jpg", "javascript:alert(1)"])  # fmt: skip
def test_a_reward_takes_https_pictures_and_ours_only(api, url):
    answer = refused(api.post("/v1/mall/rewards", {**CUP, "images": [url]}), 422, "validation-failed")
    assert answer["errors"][0]["field"].startswith("images")


def test_only_staff_who_manage_the_mall_upload_and_publish(api):
    member = api.as_(member_token("13900000001")[1])
    for client in (api.as_(token_for(["cashier"])), api.as_(token_for(["customer_service"])), member):
        refused(client.post("/v1/media/uploads", {"content_type": "image/png"}), 403, "forbidden")
        refused(client.post("/v1/media/pictures", {"upload_id": "up_01JDZ6X3K9V8Q2M4N5P6R7S8T9"}), 403, "forbidden")


def test_a_file_sent_again_larger_after_its_size_was_read_is_read_no_further(api, monkeypatch):
    """The upload URL takes PUTs for 15 minutes: a file replaced between the size check and the read must not bring
    a gigabyte into the function's memory."""
    from chalicelib.shared import uploads

    manager = api.as_(token_for(["marketing"]))
    upload_id = uploaded(manager, png() + b"\x00" * rules.MAX_BYTES)
    monkeypatch.setattr(uploads, "size_of", lambda key: 100)  # as it was when its size was read
    read = uploads.read
    lengths = []
    monkeypatch.setattr(uploads, "read", lambda *a: lengths.append(len(found := read(*a))) or found)
    refused(manager.post("/v1/media/pictures", {"upload_id": upload_id}), 413, "picture-too-large")
    assert lengths == [rules.MAX_BYTES + 1]
    assert published_files() == []


@pytest.mark.parametrize("name", ["../credentials.json", "..%2Fdata.json", "0" * 32 + ".png/../../x", "0" * 32 + ".svg",
                                  "0" * 32 + ".png\n", "0" * 31 + ".png", "0" * 32 + ".PNG", ""])  # fmt: skip
def test_the_local_gateway_answers_only_names_the_platform_gives(name):
    """What /media/ serves locally: a published name whose file exists, nothing else of the folder or beyond it."""
    (Path(os.environ["LOYALTY_MEDIA"]).parent / "credentials.json").write_text("{}")  # a file beside the folder
    assert local_picture(name) is None


def test_a_published_picture_is_served_with_its_kind(api):
    manager = api.as_(token_for(["marketing"]))
    url = ok(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, png())}), 201)["url"]
    assert local_picture(url.removeprefix("/media/")) == (png(), "image/png")
    assert local_picture("f" * 32 + ".png") is None  # a name it could give, of a picture never published


def test_an_operator_withdraws_a_picture_published_by_mistake_and_learns_which_rewards_show_it(api, monkeypatch):
    """A photo with a customer's face in it, published: the operator deletes it from the CLI, with a reason the audit
    log keeps, and is told which rewards still name it."""
    from click.testing import CliRunner

    from chalicelib import cli

    monkeypatch.setattr("chalicelib.local.localdir.connect", lambda: {})
    manager = api.as_(token_for(["marketing"]))
    url = ok(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, png())}), 201)["url"]
    reward = ok(manager.post("/v1/mall/rewards", {**CUP, "images": [url]}), 201)

    done = CliRunner().invoke(cli.cli, ["media", "withdraw", url, "--reason", "a customer's face"])
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout)
    assert (answer["withdrawn"], answer["rewards_showing_it"]) == (True, [reward["reward_id"]])
    assert local_picture(url.removeprefix("/media/")) is None
    assert published_files() == []
    (withdrawn,) = [e for e in published_envelopes() if e["type"] == "media.picture-withdrawn"]
    assert (withdrawn["actor"], withdrawn["payload"]["reason"]) == ("cli", "a customer's face")

    again = CliRunner().invoke(cli.cli, ["media", "withdraw", url.removeprefix("/media/"), "--reason", "again"])
    assert json.loads(again.stdout)["withdrawn"] is False  # nothing twice
    refused(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, png())}), 409, "picture-withdrawn")
    assert published_files() == []  # the same bytes are the same name: withdrawn for good
    answer = refused(manager.post("/v1/mall/rewards", {**CUP, "images": [url]}), 422, "validation-failed")
    assert answer["errors"][0]["field"] == "images.0"
    unknown = CliRunner().invoke(cli.cli, ["media", "withdraw", "/media/../data.json", "--reason", "x"])
    assert unknown.exit_code == 2
    assert "no picture published here" in unknown.output
    silent = CliRunner().invoke(cli.cli, ["media", "withdraw", url, "--reason", "  "])
    assert (silent.exit_code, "say why" in silent.output) == (2, True)
    whole = CliRunner().invoke(cli.cli, ["media", "withdraw", f"https://loyalty.example{url}", "--reason", "again"])
    assert json.loads(whole.stdout)["url"] == url  # its whole address names it too


def test_a_photo_is_published_without_where_it_was_taken_and_a_picture_too_large_to_decode_is_refused(api):
    from PIL import Image

    from tests.pictures import photo
    from tests.unit.test_media_formats import exif, jpeg, segment

    manager = api.as_(token_for(["marketing"]))
    taken = photo(64, 32, segment(0xE1, exif(6)), segment(0xFE, b"shot by Li Lei"))  # to be turned a quarter
    published = ok(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, taken, "image/jpeg")}), 201)
    served, kind = local_picture(published["url"].removeprefix("/media/"))
    assert kind == "image/jpeg"
    assert b"31.2304" not in served
    assert b"Li Lei" not in served
    assert published["size_bytes"] == len(served) < len(taken)
    assert published["url"] == f"/media/{rules.published_name(served, 'image/jpeg')}"
    small, small_kind = local_picture(published["thumbnail_url"].removeprefix("/media/"))
    thumbnail = Image.open(io.BytesIO(small))
    assert (small_kind, thumbnail.format, thumbnail.size) == ("image/jpeg", "JPEG", (32, 64))  # turned upright
    assert thumbnail.getpixel((16, 4))[0] > 200  # the white band, on top once turned
    assert b"31.2304" not in small  # nor does its thumbnail say where

    claims = png()[:16] + struct.pack(">II", 60_000, 60_000) + png()[24:]  # a bomb for a phone's memory
    answer = manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, claims)})
    assert "60000 × 60000" in refused(answer, 422, "picture-too-many-pixels")["detail"]
    for broken in (jpeg()[:40], jpeg()):  # begins as a JPEG, is none; a JPEG's structure around no pixels
        refused(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, broken, "image/jpeg")}), 422,
                "not-a-picture")  # fmt: skip
    assert published_files() == [published["url"].removeprefix("/media/")]


def test_a_reward_names_only_pictures_published_here_each_once(api):
    """Found by a walkthrough: a reward took a /media/ name nobody published (a broken picture on sale) and the same
    picture twice."""
    manager = api.as_(token_for(["marketing"]))
    url = ok(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, png())}), 201)["url"]
    never = "/media/" + "0123456789abcdef" * 2 + ".png"
    answer = refused(manager.post("/v1/mall/rewards", {**CUP, "images": [url, never]}), 422, "validation-failed")
    assert [error["field"] for error in answer["errors"]] == ["images.1"]
    refused(manager.post("/v1/mall/rewards", {**CUP, "images": [url, url]}), 422, "validation-failed")
    reward = ok(manager.post("/v1/mall/rewards", {**CUP, "images": [url]}), 201)
    path, patch = f"/v1/mall/rewards/{reward['reward_id']}", {"content-type": "application/merge-patch+json"}
    changed = manager.call("PATCH", path, {"images": [never]}, headers={**patch, "if-match": '"1"'})
    assert refused(changed, 422, "validation-failed")["errors"][0]["field"] == "images.0"
    assert ok(manager.get(path))["images"] == [url]


def test_a_thumbnail_s_address_withdraws_its_picture_and_a_publication_withdrawn_meanwhile_leaves_no_file(
    api, monkeypatch
):
    """Found by a review: an operator copying the address a list shows (the thumbnail's) withdrew nothing; a
    withdrawal landing while the same picture was being published left its files up."""
    from click.testing import CliRunner

    from chalicelib import cli
    from chalicelib.media import service

    monkeypatch.setattr("chalicelib.local.localdir.connect", lambda: {})
    manager = api.as_(token_for(["marketing"]))
    first = ok(manager.post("/v1/media/pictures", {"upload_id": uploaded(manager, png((1, 2, 3)))}), 201)
    reward = ok(manager.post("/v1/mall/rewards", {**CUP, "images": [first["url"]]}), 201)
    done = CliRunner().invoke(cli.cli, ["media", "withdraw", first["thumbnail_url"], "--reason", "a face"])
    answer = json.loads(done.stdout)
    assert (answer["url"], answer["withdrawn"]) == (first["url"], True)
    assert answer["rewards_showing_it"] == [reward["reward_id"]]
    assert first["thumbnail_url"] in answer["then"][0]  # the CDN forgets both
    assert published_files() == []

    store = service._store
    upload_id = uploaded(manager, png((4, 5, 6)))

    def withdrawn_meanwhile(name, data, kind):
        store(name, data, kind)
        if not name.endswith("-480.jpg"):
            service.withdraw(name, "meanwhile")

    monkeypatch.setattr(service, "_store", withdrawn_meanwhile)
    refused(manager.post("/v1/media/pictures", {"upload_id": upload_id}), 409, "picture-withdrawn")
    assert published_files() == []
