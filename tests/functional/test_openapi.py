"""The API describes itself: OpenAPI 3.1 from the code, a committed snapshot, docs served without a CDN."""

import json
import re
from typing import get_args

import pytest
from pydantic import BaseModel, ValidationError

from chalicelib.local.snapshot import SNAPSHOT, current_document
from chalicelib.shared.http import ENDPOINTS, Input
from tests.conftest import signed_headers


def test_the_committed_snapshot_matches_the_code():
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(current_document())), (
        "docs/openapi.json is out of date: run `python -m chalicelib.cli openapi` and commit it"
    )


def test_the_served_document_is_openapi_3_1_and_lists_every_route(api):
    answer = api.get("/v1/openapi.json")
    assert answer.status == 200
    document = answer.body
    assert document["openapi"] == "3.1.0"
    described = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    assert described == {(spec.path, spec.method) for spec in ENDPOINTS}


def test_every_reference_resolves():
    document = current_document()
    text = json.dumps(document)
    for name in set(re.findall(r'"#/components/schemas/([^"]+)"', text)):
        assert name in document["components"]["schemas"], name


def test_operation_ids_are_unique_and_errors_are_problems():
    document = current_document()
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    create = document["paths"]["/v1/stores"]["post"]
    assert set(create["responses"]) >= {"201", "409", "422", "400", "413"}
    assert "application/problem+json" in create["responses"]["409"]["content"]


def test_problems_as_served_are_what_the_document_says_a_problem_is(api):
    """Found by an integrator validating answers against the document: a problem's extension members (``available``
    beside ``insufficient-points``) were refused by a Problem schema closed to them."""
    from jsonschema import Draft202012Validator

    document = current_document()
    problem = {**document["components"]["schemas"]["Problem"], "components": document["components"]}
    validator = Draft202012Validator(problem)
    member_id = api.post("/v1/members", {"phone": "13900009999", "name": "甲"}).body["member_id"]
    answers = [
        api.get("/v1/members/mb_nobody"),  # 404
        api.post("/v1/stores", {"store_id": "bad id"}),  # 422 with errors
        api.post(f"/v1/members/{member_id}/points/redemptions", {"points": 10, "reason": "兑换"},
                 headers={"idempotency-key": "too-many"}),  # 409 with `available`
    ]  # fmt: skip
    assert [a.status for a in answers] == [404, 422, 409]
    assert answers[2].body.get("available") == 0, answers[2].body
    for answer in answers:
        assert answer.headers["content-type"] == "application/problem+json"
        assert list(validator.iter_errors(answer.body)) == [], answer.body


def test_every_problem_an_operation_names_is_among_its_responses():
    """Found by an integrator: descriptions named `member-code-not-current` or `plan-not-applicable` that the
    operation's responses did not list, so a client generated from them knew nothing of those problems."""
    from chalicelib.shared.errors import DomainError

    document = current_document()

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    slugs = {cls.slug for cls in subclasses(DomainError)}
    missing = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            named = set(re.findall(r"`([a-z][a-z0-9-]+)`", operation.get("description", ""))) & slugs
            listed = set(re.findall(r"\(`([a-z0-9-]+)`\)", json.dumps(operation["responses"])))
            if named - listed:
                missing[f"{method.upper()} {path}"] = sorted(named - listed)
    assert missing == {}


def test_the_docs_page_loads_its_assets_from_this_api(api):
    page = api.get("/v1/docs")
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.body)
    assert sources
    for source in sources:
        assert source.startswith("/v1/docs/assets/"), source
        asset = api.get(source)
        assert asset.status == 200, source
        assert len(asset.body) > 10_000


def test_an_unknown_asset_is_404(api):
    assert api.get("/v1/docs/assets/evil.js").status == 404


def operations(document):
    return [(f"{method.upper()} {path}", op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_every_operation_says_what_it_does_not_only_who_may_call():
    for name, operation in operations(current_document()):
        assert operation["summary"].strip(), f"{name}: give it a summary"
        what, _, access = operation["description"].rpartition("Who may call: ")
        assert access, f"{name}: the description ends with who may call"
        assert len(what.split()) >= 5, f"{name}: write the view's docstring (what it does, the rule, the errors)"


def test_every_schema_field_and_parameter_says_what_it_means():
    document = current_document()
    undescribed = [
        f"{name}.{field}" if field else name
        for name, schema in document["components"]["schemas"].items()
        for field in ["", *schema.get("properties", {})]
        if not (schema["properties"][field] if field else schema).get("description", "").strip()
    ]
    undescribed += [
        f"{name} {parameter['in']} parameter {parameter['name']}"
        for name, operation in operations(document)
        for parameter in operation["parameters"]
        if not parameter.get("description", "").strip()
    ]
    assert not undescribed, "give these a description (meaning, unit, 中文 term): " + ", ".join(undescribed)


def described_models() -> set[type[BaseModel]]:
    """Every model the document describes: bodies, queries and answers of every route, and the models in them."""
    current_document()  # registers every route
    found: set[type[BaseModel]] = set()
    pending: list[object] = [model for spec in ENDPOINTS for model in (spec.body, spec.query, spec.response) if model]
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in found:
            found.add(annotation)
            pending += [field.annotation for field in annotation.model_fields.values()]
        pending += get_args(annotation)
    return found


def test_every_request_body_shows_an_example():
    document = current_document()
    for spec in ENDPOINTS:
        if spec.body is not None:
            body = document["paths"][spec.path][spec.method.lower()]["requestBody"]["content"]["application/json"]
            schema = document["components"]["schemas"][body["schema"]["$ref"].rpartition("/")[2]]
            assert schema.get("examples"), f"{spec.body.__name__}: give it examples (json_schema_extra)"


WITH_EXAMPLES = sorted((m for m in described_models() if "examples" in m.model_json_schema()), key=lambda m: m.__name__)


@pytest.mark.parametrize("model", WITH_EXAMPLES, ids=lambda model: model.__name__)
def test_every_example_is_one_its_own_model_accepts(model):
    """Examples are validated as the routes parse bodies (strict JSON), so they never drift from the contract."""
    for example in model.model_json_schema()["examples"]:
        try:
            model.model_validate_json(json.dumps(example), strict=issubclass(model, Input))
        except ValidationError as e:
            pytest.fail(f"{model.__name__} refuses its example {example}: {e}")


def example(model):
    return model.model_json_schema()["examples"][0]


def test_the_examples_tell_a_story_the_api_accepts(api):
    """A store, a member registered there and found by phone, points credited, redeemed and given back, a partner
    whose purchase and refunds are booked, a rules preview, a programme draft and an override: each posted as its
    schema's example."""
    from chalicelib.identity.schemas import PartnerCreate, StaffCreate
    from chalicelib.members.schemas import Lookup, MemberCreate
    from chalicelib.points.schemas import AdjustmentCreate, RedemptionCreate, Reversal
    from chalicelib.purchases.schemas import PreviewOrder, Purchase, Refund
    from chalicelib.stores.schemas import StoreCreate
    from chalicelib.tiers.schemas import OverrideIn, ProgrammeIn

    def accepted(answer, status):
        assert answer.status == status, answer.body
        return answer.body

    def key(name):
        return {"idempotency-key": f"story-{name}"}

    def signed(path, body):
        raw = json.dumps(body, ensure_ascii=False).encode()
        return api.as_(None).call("POST", path, raw=raw, headers=signed_headers(*partner, raw))

    accepted(api.post("/v1/stores", example(StoreCreate)), 201)
    member_id = accepted(api.post("/v1/members", example(MemberCreate)), 201)["member_id"]
    assert accepted(api.post("/v1/members/lookup", example(Lookup)), 200)["member_id"] == member_id
    accepted(api.post("/v1/staff", example(StaffCreate)), 201)
    points = f"/v1/members/{member_id}/points"
    accepted(api.post(f"{points}/adjustments", example(AdjustmentCreate), headers=key("adjust")), 201)
    redemption = accepted(api.post(f"{points}/redemptions", example(RedemptionCreate), headers=key("redeem")), 201)
    accepted(api.post(f"{points}/redemptions/{redemption['redemption_id']}/reversal", example(Reversal)), 201)
    created = accepted(api.post("/v1/partners", example(PartnerCreate)), 201)
    partner = created["partner_id"], created["secret"]
    assert accepted(signed("/v1/webhooks/purchases", example(Purchase)), 200)["member_id"] == member_id
    for refund in Refund.model_json_schema()["examples"]:
        accepted(signed("/v1/webhooks/refunds", refund), 200)
    accepted(api.post("/v1/points/rules/preview", example(PreviewOrder)), 200)
    accepted(api.post("/v1/tiers/programmes", example(ProgrammeIn)), 201)
    accepted(api.call("PUT", f"/v1/members/{member_id}/tier/override", example(OverrideIn)), 200)
