"""No route takes text with a control character in: every write route with a body refuses one in any of its
text fields with a 422 naming the field, and writes nothing."""

import json
import re
import types
import typing
from enum import Enum

import pytest
from pydantic import BaseModel

import chalicelib.declarations  # noqa: F401  declares every route
from chalicelib.identity.access import MemberSelf, PartnerSigned
from chalicelib.shared.http import CONTROL_CHARACTERS_REFUSED, ENDPOINTS, Input
from tests.conftest import item_counts, member_token, signed_headers
from tests.functional.test_purchases import order, signed

POISON = "a\u0000b"


def _unwrapped(annotation):
    """The type under Optional/Annotated: X for ``X | None``, None when it is a union of several types."""
    args = [arg for arg in typing.get_args(annotation) if arg is not types.NoneType]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return _unwrapped(args[0]) if len(args) == 1 else None
    if typing.get_origin(annotation) is typing.Annotated:
        return _unwrapped(args[0])
    return annotation


def _is_text(annotation):
    return isinstance(annotation, type) and issubclass(annotation, str) and not issubclass(annotation, Enum)


def poisoned(model):
    """A body putting POISON in every text field of ``model`` (nested models and lists of either included),
    and the paths of those fields."""
    body, paths = {}, []
    for name, field in model.model_fields.items():
        key, kind = field.alias or name, _unwrapped(field.annotation)
        item = _unwrapped(typing.get_args(kind)[0]) if typing.get_origin(kind) is list else None
        if _is_text(kind):
            body[key], found = POISON, [key]
        elif _is_text(item):
            body[key], found = [POISON], [key]
        elif isinstance(kind, type) and issubclass(kind, BaseModel):
            body[key], inner = poisoned(kind)
            found = [f"{key}.{path}" for path in inner]
        elif isinstance(item, type) and issubclass(item, BaseModel):
            inner_body, inner = poisoned(item)
            body[key], found = [inner_body], [f"{key}.0.{path}" for path in inner]
        else:
            continue
        paths += found
    return body, paths


def nested_models(model, seen):
    if model not in seen:
        seen.add(model)
        for field in model.model_fields.values():
            stack = [field.annotation]
            while stack:
                annotation = stack.pop()
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    nested_models(annotation, seen)
                stack.extend(typing.get_args(annotation))
    return seen


@pytest.fixture
def partner(api):
    api.post("/v1/stores", {"store_id": "SH-001", "name": "SH", "city": "c", "region": "r"})
    created = api.post("/v1/partners", {"name": "POS", "stores": ["SH-001"]}).body
    return created["partner_id"], created["secret"]


def test_every_model_a_route_takes_in_is_input_down_to_its_nested_models():
    taken = set()
    for spec in ENDPOINTS:
        for model in (spec.body, spec.query):
            if model is not None:
                nested_models(model, taken)
    assert taken
    assert [model for model in taken if not issubclass(model, Input)] == []


def test_every_write_route_refuses_a_control_character_in_any_text_field_and_writes_nothing(api, partner):
    _, member = member_token("13900000001")
    before = item_counts()
    without_text, named_the_rule = set(), set()
    for spec in ENDPOINTS:
        if spec.body is None:
            continue
        body, paths = poisoned(spec.body)
        if not paths:
            without_text.add((spec.method, spec.path))
            continue
        path = re.sub(r"\{[^}]+\}", "x-1", spec.path)
        raw = json.dumps(body).encode()
        headers = {"if-match": '"1"', "idempotency-key": "poisoned-0001"}
        caller = api.as_(member) if isinstance(spec.access, MemberSelf) else api
        if isinstance(spec.access, PartnerSigned):
            signed = signed_headers(*partner, raw)
            signed.update(headers)
            caller, headers = api.as_(None), signed
        answer = caller.call(spec.method, path, raw=raw, headers=headers)
        assert answer.status == 422, (spec.method, spec.path, answer.body)
        errors = answer.body["errors"]
        for field in paths:
            assert any(e["field"] == field or e["field"].startswith(field + ".") for e in errors), (spec.path, field)
        named_the_rule |= {(spec.path, e["field"]) for e in errors if e["message"] == CONTROL_CHARACTERS_REFUSED}
    assert item_counts() == before
    assert without_text == {
        ("POST", "/v1/webhooks/ping"),
        ("POST", "/v1/tiers/preview"),
        ("POST", "/v1/members/imports"),
        ("POST", "/v1/jobs/{job}/runs"),
        ("POST", "/v1/coupons/templates/{template_id}/batches"),
        ("PATCH", "/v1/me/cards/{card_id}"),
        ("POST", "/v1/wallet/plans/{plan_id}/end"),
        ("POST", "/v1/me/agreements"),
        ("POST", "/v1/media/uploads"),
        ("POST", "/v1/gift-cards/{number}/extension"),
        ("PUT", "/v1/catalog/names"),
    }  # any object; a number; a choice of encodings; a day; a kind and a count; a switch; a day; kinds and versions;
    # a picture's kind; a day; names in maps by code, which this walk does not fill (tests/functional/test_catalog.py)
    assert {("/v1/members", "name"), ("/v1/stores", "name"), ("/v1/webhooks/purchases", "payment_method"),
            ("/v1/members/{member_id}/points/adjustments", "reason")} <= named_the_rule  # fmt: skip


class TestOverHttp:
    def test_a_member_name_with_a_nul_is_refused_and_nothing_is_stored(self, api):
        before = item_counts()
        answer = api.post("/v1/members", {"name": "Zhang\u0000San", "phone": "13900000002"})
        assert answer.status == 422
        assert answer.body["errors"] == [
            {"field": "name", "in": "body", "message": CONTROL_CHARACTERS_REFUSED, "code": "value_error"}
        ]
        assert item_counts() == before

    def test_a_name_of_invisible_characters_only_is_refused_and_one_with_them_at_its_ends_is_trimmed(self, api):
        before = item_counts()
        answer = api.post("/v1/members", {"name": "\u200b\u3164\u200d", "phone": "13900000012"})
        assert (answer.status, answer.body["errors"][0]["field"]) == (422, "name")
        assert item_counts() == before
        created = api.post("/v1/members", {"name": "\ufeff张三\u200b", "phone": "13900000012"})
        assert (created.status, created.body["name"]) == (201, "张三")

    def test_a_line_break_in_an_address_is_refused(self, api):
        _, token = member_token("13900000003")
        headers = {"content-type": "application/merge-patch+json", "if-match": '"1"'}
        answer = api.as_(token).patch("/v1/me", {"addresses": [{"detail": "静安区\r\n南京西路 1 号"}]}, headers=headers)
        assert (answer.status, answer.body["errors"][0]["field"]) == (422, "addresses.0.detail")

    def test_an_escape_in_a_purchase_line_or_a_rules_category_is_refused(self, api, partner):
        member_id, _ = member_token("13900000004")
        items = [{"line_id": "1", "sku": "\u001b[31mRED", "quantity": 1, "amount_fen": 100}]
        answer = signed(api, partner, "/v1/webhooks/purchases", order({"member_id": member_id}, items=items))
        assert (answer.status, answer.body["errors"][0]["field"]) == (422, "items.0.sku")
        rules = api.post("/v1/points/rules", {"category_rates": {"drinks\u0000": "2"}})
        assert (rules.status, rules.body["errors"][0]["field"]) == (422, "category_rates")

    def test_a_phone_with_a_nul_is_refused_as_sent_not_washed_out_by_its_normalising(self, api, partner):
        member_token("13900000005")
        before = item_counts()
        answer = signed(api, partner, "/v1/webhooks/purchases", order({"phone": "13900000005\u0000"}))
        assert (answer.status, answer.body["errors"][0]["field"]) == (422, "member.phone")
        assert answer.body["errors"][0]["message"].endswith(CONTROL_CHARACTERS_REFUSED)
        for hidden in ("13900000005\u200b", "\u202e13900000005"):  # zero-width space, right-to-left override
            answer = signed(api, partner, "/v1/webhooks/purchases", order({"phone": hidden}))
            assert (answer.status, answer.body["errors"][0]["field"]) == (422, "member.phone")
        assert item_counts() == before

    def test_a_direction_override_in_a_name_or_feedback_is_refused(self, api):
        before = item_counts()
        answer = api.post("/v1/members", {"name": "\u202e三张", "phone": "13900000006"})
        assert answer.body["errors"] == [
            {"field": "name", "in": "body", "message": CONTROL_CHARACTERS_REFUSED, "code": "value_error"}
        ]
        assert item_counts() == before
        _, token = member_token("13900000007")
        counted = item_counts()
        feedback = api.as_(token).post("/v1/me/feedback", {"text": "好\u2066评\u2069", "category": "other"})
        assert (feedback.status, feedback.body["errors"][0]["field"]) == (422, "text")
        assert item_counts() == counted

    def test_a_query_value_with_a_control_character_is_refused(self, api):
        answer = api.get("/v1/members?tier=gold%00")
        assert (answer.status, answer.body["errors"][0]["field"], answer.body["errors"][0]["in"]) == (
            422, "tier", "query")  # fmt: skip
