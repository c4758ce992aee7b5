"""A 422's detail is what a person reads first: the one field wrong and why, or how many errors there are."""

from chalicelib.shared.errors import ValidationFailed


def test_one_error_is_said_in_the_detail_and_several_are_counted():
    one = ValidationFailed([{"field": "day", "in": "query", "message": "a day that has begun"}])
    assert one.detail == "day: a day that has begun"
    two = ValidationFailed([{"field": "a", "in": "body", "message": "x"}, {"field": "b", "in": "body", "message": "y"}])
    assert two.detail == "The request does not match the schema (2 errors)"
    assert ValidationFailed([{"field": "a", "message": "x"}], "said otherwise").detail == "said otherwise"
