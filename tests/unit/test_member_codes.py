"""The member's code: current for its minute and the next, never again, and bound to its member."""

from datetime import UTC, datetime, timedelta

from chalicelib.members import codes

KEY = "k" * 32
AT = datetime(2026, 11, 30, 8, 0, 30, tzinfo=UTC)


def test_a_code_names_the_member_number_and_is_current_for_two_minutes_at_most():
    shown = codes.issue("mb_1", "1234567890", AT, KEY)
    assert shown.code.startswith("661234567890")
    assert len(shown.code) == 18
    assert codes.member_no_in(shown.code) == "1234567890"
    assert shown.refresh_after == 30
    assert shown.expires_at == datetime(2026, 11, 30, 8, 2, tzinfo=UTC)
    assert codes.is_current(shown.code, "mb_1", AT + timedelta(seconds=89), KEY)
    assert not codes.is_current(shown.code, "mb_1", shown.expires_at, KEY)


def test_a_code_is_bound_to_its_member_and_key():
    shown = codes.issue("mb_1", "1234567890", AT, KEY)
    assert not codes.is_current(shown.code, "mb_2", AT, KEY)
    assert not codes.is_current(shown.code, "mb_1", AT, "x" * 32)
    assert codes.member_no_in("12345") is None
    assert not codes.is_current("661234567890abcdef", "mb_1", AT, KEY)
