"""Numbers in records (``chalicelib.shared.db.NumberAttribute``): whole numbers as their digits, and what DynamoDB holds
read back as pynamodb's own attribute reads it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pynamodb.attributes import NumberAttribute as PynamoNumber

from chalicelib.shared.db import NumberAttribute

ours, pynamodbs = NumberAttribute(), PynamoNumber()


@given(st.integers() | st.floats(allow_nan=False, allow_infinity=False))
def test_a_number_is_written_and_read_as_pynamodb_writes_and_reads_it(number):
    written = ours.serialize(number)
    assert written == pynamodbs.serialize(number)
    assert ours.deserialize(written) == pynamodbs.deserialize(written)
    assert type(ours.deserialize(written)) is type(pynamodbs.deserialize(written))


@pytest.mark.parametrize("stored", ["0", "-0", "12", "-12", "1.5", "-0.25", "1E+3", "100000000000000000000000000000"])
def test_what_dynamodb_holds_is_read_as_pynamodb_reads_it(stored):
    assert ours.deserialize(stored) == pynamodbs.deserialize(stored)
    assert type(ours.deserialize(stored)) is type(pynamodbs.deserialize(stored))


def test_a_digit_that_is_not_ascii_is_no_whole_number():
    with pytest.raises(ValueError, match="Expecting value"):  # JSON's refusal, as pynamodb's
        ours.deserialize("²")
