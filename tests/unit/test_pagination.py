import pytest

from chalicelib.shared.errors import InvalidCursor
from chalicelib.shared.pagination import decode_cursor, encode_cursor


def test_a_cursor_round_trips_to_the_key_it_was_made_from():
    key = {"store_id": {"S": "SH-001"}}
    assert decode_cursor("stores", encode_cursor("stores", key)) == key


def test_the_last_page_has_no_cursor():
    assert encode_cursor("stores", None) is None
    assert decode_cursor("stores", None) is None


def test_a_cursor_from_another_list_is_refused():
    cursor = encode_cursor("ledger#m1", {"pk": {"S": "m1"}})
    with pytest.raises(InvalidCursor):
        decode_cursor("ledger#m2", cursor)


@pytest.mark.parametrize("cursor", ["not-base64!!", "AAAA", "x" * 300])
def test_garbage_cursors_are_refused(cursor):
    with pytest.raises(InvalidCursor):
        decode_cursor("stores", cursor)


def test_an_altered_cursor_is_refused():
    cursor = encode_cursor("stores", {"store_id": {"S": "SH-001"}})
    assert cursor is not None
    altered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    with pytest.raises(InvalidCursor):
        decode_cursor("stores", altered)
