from datetime import date

import pytest

from chalicelib.shared.errors import MalformedRequest, ValidationFailed
from chalicelib.shared.http import parse_body
from chalicelib.stores.schemas import StoreCreate, StorePatch

GOOD = b'{"name": "A", "city": "B", "region": "C"}'


def test_a_valid_body_parses():
    assert parse_body(StoreCreate, GOOD).name == "A"


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b'{"name": NaN}',
        b'{"name": "A", "name": "B", "city": "c", "region": "r"}',
        b"\xff\xfe",
        b'\xef\xbb\xbf{"name": "A", "city": "B", "region": "C"}',
        '{"name": "A", "city": "B", "region": "C"}'.encode("utf-16"),
    ],
)
def test_what_is_not_plain_json_is_malformed(raw):
    with pytest.raises(MalformedRequest):
        parse_body(StoreCreate, raw)


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"null", b"", b"3"])
def test_the_body_must_be_an_object(raw):
    with pytest.raises(ValidationFailed):
        parse_body(StoreCreate, raw)


def test_schema_errors_name_every_field():
    with pytest.raises(ValidationFailed) as caught:
        parse_body(StoreCreate, b'{"name": 5, "city": "B", "colour": "red"}')
    fields = {error["field"]: error["message"] for error in caught.value.extensions["errors"]}
    assert fields == {"name": "Input should be a valid string", "region": "Field required", "colour": "unknown field"}


def test_numbers_are_not_strings_and_strings_are_not_numbers():
    with pytest.raises(ValidationFailed):
        parse_body(StoreCreate, b'{"name": "A", "city": "B", "region": "C", "status": 1}')


def test_a_merge_patch_may_not_null_a_required_field():
    with pytest.raises(ValidationFailed):
        parse_body(StorePatch, b'{"name": null}')
    assert parse_body(StorePatch, b'{"city": "Hangzhou"}').changes() == {"city": "Hangzhou"}


def test_a_merge_patch_reads_dates_from_json_text_and_refuses_null_on_required_fields():
    from chalicelib.members.schemas import MyProfilePatch

    patch = parse_body(MyProfilePatch, b'{"birthday": "1990-05-01", "email": null}')
    assert patch.changes() == {"birthday": date(1990, 5, 1), "email": None}
    with pytest.raises(ValidationFailed) as caught:
        parse_body(MyProfilePatch, b'{"name": null, "gender": null}')
    assert {error["field"] for error in caught.value.extensions["errors"]} == {"name", "gender"}
