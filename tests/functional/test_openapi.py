"""The API describes itself: OpenAPI 3.1 from the code, a committed snapshot, docs served without a CDN."""

import json
import re

from chalicelib.local.snapshot import SNAPSHOT, current_document
from chalicelib.shared.http import ENDPOINTS


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
