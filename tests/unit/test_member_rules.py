import re

import pytest

from chalicelib.members.model import (
    InvalidPhone,
    RuleBroken,
    Status,
    luhn_digit,
    mask_name,
    mask_phone,
    merge_consents,
    new_member_no,
    normalise_phone,
    with_student_ids,
)


@pytest.mark.parametrize(
    "raw", ["13812345678", "138 1234 5678", "+86 138-1234-5678", "+8613812345678", "008613812345678"]
)
def test_mainland_numbers_normalise_to_e164_with_or_without_86(raw):
    assert normalise_phone(raw) == "+8613812345678"


def test_foreign_numbers_keep_their_country():
    assert normalise_phone("+1 650 253 0000") == "+16502530000"


@pytest.mark.parametrize("raw", ["12345", "hello", "+86 123", "1381234567890123"])
def test_what_is_not_a_phone_is_refused(raw):
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


@pytest.mark.parametrize(
    "raw", ["1381234ABCD", "138一二三45678", "13812345678 ext. 12", "13812345678#5", "13812345678,5"]
)
def test_letters_and_extensions_are_refused_rather_than_read_as_another_number(raw):
    """A vanity reading would turn a typo into someone else's number (1381234ABCD is 13812342223), and an extension
    dropped silently would file an office line as a mobile."""
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_full_width_digits_from_a_chinese_keyboard_are_digits():
    assert normalise_phone("１３８１２３４５６７８") == "+8613812345678"


def test_phones_are_masked_as_shown_in_china():
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_phone("+16502530000").endswith("0000")
    assert "253" not in mask_phone("+16502530000")[3:]


def test_member_numbers_are_ten_printable_digits_with_a_check_digit():
    numbers = {new_member_no() for _ in range(500)}
    assert len(numbers) == 500
    assert all(len(n) == 10 and n.isdigit() and n[0] != "0" and luhn_digit(n[:-1]) == n[-1] for n in numbers)


def test_the_check_digit_catches_a_mistyped_digit():
    number = new_member_no()
    wrong = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]
    assert luhn_digit(wrong[:-1]) != wrong[-1]
    assert luhn_digit("7992739871") == "3"


def test_consents_are_stamped_only_when_they_change():
    first = merge_consents({}, {"sms": True}, "t1")
    assert first == {"sms": {"granted": True, "updated_at": "t1"}}
    again = merge_consents(first, {"sms": True, "email": False}, "t2")
    assert again["sms"]["updated_at"] == "t1"
    assert again["email"] == {"granted": False, "updated_at": "t2"}


def test_statuses_are_the_three_of_the_seed_documents():
    assert {s.value for s in Status} == {"active", "frozen", "erased"}


def test_students_keep_their_ids_new_ones_get_fresh_ids_and_strangers_are_refused():
    """学员: an edit gives the whole list; a student named by id keeps it (their cards name it), one without gets an id
    never given before, an id not the member's or named twice is refused."""
    ming = {"student_id": "st_0000000a", "name": "小明"}
    now = "2026-12-05T08:00:00Z"
    after = with_student_ids([ming], [{**ming, "name": "小明明"}, {"name": "小红", "guardian_consent": True}], now,
                             "member")  # fmt: skip
    assert after[0] == {"student_id": "st_0000000a", "name": "小明明"}
    assert (after[1]["name"], after[1]["consent_at"], after[1]["consent_by"]) == ("小红", now, "member")
    forged = with_student_ids(after, [{**after[1], "consent_at": "2020-01-01T00:00:00Z", "consent_by": "staff"}])
    assert (forged[0]["consent_at"], forged[0]["consent_by"]) == (now, "member")  # the consent kept as given
    assert after[1]["student_id"] != ming["student_id"]
    assert re.fullmatch(r"st_[0-9a-f]{8}", after[1]["student_id"])
    dated = {**ming, "birthday": "2016-03-09"}
    assert with_student_ids([dated], [{"student_id": "st_0000000a", "name": "明"}])[0]["birthday"] == "2016-03-09"
    assert "birthday" not in with_student_ids([dated], [{**ming, "birthday": None}])[0]  # kept unless cleared
    for given in ([{"student_id": "st_0000000b", "name": "x"}], [ming, ming], [{"name": "小刚"}]):  # no consent
        with pytest.raises(RuleBroken):
            with_student_ids([ming], given)


def test_a_masked_name_shows_its_first_character_only():
    assert (mask_name("陈小雨"), mask_name("乐"), mask_name("Li")) == ("陈**", "*", "L*")
