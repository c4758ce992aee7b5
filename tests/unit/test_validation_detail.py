"""A 422's detail is what a person reads first: the one field wrong and why, or how many errors there are."""

from chalicelib.shared.errors import ValidationFailed


def test_one_error_is_said_in_the_detail_and_several_are_counted():
    one = ValidationFailed([{"field": "day", "in": "query", "message": "a day that has begun"}])
    assert one.detail == "day: a day that has begun"
    two = ValidationFailed([{"field": "a", "in": "body", "message": "x"}, {"field": "b", "in": "body", "message": "y"}])
    assert two.detail == "The request does not match the schema (2 errors)"
    assert ValidationFailed([{"field": "a", "message": "x"}], "said otherwise").detail == "said otherwise"


def test_a_field_is_named_as_the_caller_wrote_it_never_by_the_schema_s_inner_tags():
    """Found by a walkthrough: a card's bad term was said to be at
    ``term.function-after[_no_control_characters_in_free_form_fields(), Months].months``."""
    from pydantic import ValidationError

    from chalicelib.membership.schemas import PlanCreate
    from chalicelib.shared.http import field_name

    try:
        PlanCreate.model_validate({"name": "月卡", "term": {"months": 0}, "price_fen": 100, "benefits": []})
    except ValidationError as e:
        fields = {field_name(item["loc"]) for item in e.errors()}
    assert fields == {"term", "term.months", "term.days"}
    assert field_name(("items", 0, "sku")) == "items.0.sku"
    assert field_name(("kinds", "wallet-topped-up", "enabled")) == "kinds.wallet-topped-up.enabled"  # a map's key
    assert field_name(("words", "zh-CN", "title")) == "words.zh-CN.title"  # (a review: both were dropped)
