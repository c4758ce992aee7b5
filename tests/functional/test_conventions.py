"""Every refusal is problem+json with a stable type, and a refused write leaves every table untouched."""

import json

import pytest

from tests.conftest import item_counts

PROBLEM = "application/problem+json"
STORE = {"name": "Jing'an", "city": "Shanghai", "region": "East"}


def assert_problem(answer, status, slug):
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == PROBLEM
    assert answer.body["type"].endswith("/" + slug)
    assert answer.body["status"] == status
    assert answer.body["title"]


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "slug"),
    [
        (b"{not json", "application/json", 400, "malformed-request"),
        (b'{"name": "A", "name": "B", "city": "c", "region": "r"}', "application/json", 400, "malformed-request"),
        (b'{"name": 5, "city": "c", "region": "r"}', "application/json", 422, "validation-failed"),
        (b'{"name": "A", "city": "c", "region": "r", "owner": "x"}', "application/json", 422, "validation-failed"),
        (b"[1, 2]", "application/json", 422, "validation-failed"),
        (b"name=A", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
        (b"name: A", "text/plain", 415, "unsupported-media-type"),
        (
            b'{"name": "A", "city": "c", "region": "r"}',
            "application/json; charset=iso-8859-1",
            415,
            "unsupported-media-type",
        ),  # JSON is UTF-8: a body said to be in another charset is not read as UTF-8 anyway
    ],
)
def test_bad_bodies_get_a_clear_4xx_and_write_nothing(api, raw, content_type, status, slug):
    before = item_counts()
    answer = api.post("/v1/stores", raw=raw, headers={"content-type": content_type})
    assert_problem(answer, status, slug)
    assert item_counts() == before


def test_validation_problems_carry_field_paths(api):
    answer = api.post("/v1/stores", {"name": "", "city": "c", "region": "r", "extra": 1})
    assert_problem(answer, 422, "validation-failed")
    assert {(e["field"], e["in"]) for e in answer.body["errors"]} == {("name", "body"), ("extra", "body")}


def test_an_oversize_body_is_413_and_writes_nothing(api):
    before = item_counts()
    answer = api.post("/v1/stores", {**STORE, "name": "x" * 70_000})
    assert_problem(answer, 413, "payload-too-large")
    assert item_counts() == before


def test_an_unknown_route_is_a_404_problem(api):
    assert_problem(api.get("/v1/no-such-thing/here"), 404, "not-found")
    assert_problem(api.post("/v2", {}), 404, "not-found")


def test_a_wrong_method_is_a_405_problem_with_allow(api):
    answer = api.call("DELETE", "/v1/health")
    assert_problem(answer, 405, "method-not-allowed")
    assert "GET" in answer.headers["allow"]


def test_unknown_query_parameters_and_bad_values_are_422(api):
    assert_problem(api.get("/v1/stores?colour=red"), 422, "validation-failed")
    assert_problem(api.get("/v1/stores?limit=0"), 422, "validation-failed")
    assert_problem(api.get("/v1/stores?limit=ten"), 422, "validation-failed")
    assert_problem(api.get("/v1/health?x=1"), 422, "validation-failed")


def test_a_repeated_query_parameter_is_422_whatever_the_order(api):
    assert_problem(api.get("/v1/stores?limit=1&limit=500"), 422, "validation-failed")
    assert_problem(api.get("/v1/stores?limit=500&limit=1"), 422, "validation-failed")


def test_a_forged_cursor_is_400(api):
    assert_problem(api.get("/v1/stores?cursor=eyJzdG9yZV9pZCI6IHsiUyI6ICJ4In19"), 400, "invalid-cursor")


def test_a_body_on_an_operation_without_one_is_refused(api):
    assert_problem(api.call("GET", "/v1/health", raw=b'{"a": 1}'), 422, "validation-failed")


def test_every_answer_names_its_request(api):
    assert api.get("/v1/health").headers["x-request-id"]
    supplied = api.get("/v1/health", headers={"x-request-id": "trace-123"})
    assert supplied.headers["x-request-id"] == "trace-123"


def test_an_unexpected_failure_is_a_500_problem_without_details(api, monkeypatch):
    from chalicelib.stores import repository

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(repository, "get", explode)
    answer = api.get("/v1/stores/SH-001")
    assert_problem(answer, 500, "internal-error")
    assert "secret" not in json.dumps(answer.body)


def test_health_reports_version_and_storage(api):
    answer = api.get("/v1/health")
    assert answer.status == 200
    assert answer.body["storage"] == "emulator"
    assert answer.body["version"]


class TestCors:
    def test_an_allowed_origin_is_echoed(self, api):
        answer = api.get("/v1/health", headers={"origin": "https://console.example"})
        assert answer.headers["access-control-allow-origin"] == "https://console.example"
        assert answer.headers["vary"] == "Origin"

    def test_another_origin_gets_no_grant(self, api):
        answer = api.get("/v1/health", headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in answer.headers

    def test_preflight_lists_methods_and_headers(self, api):
        answer = api.call("OPTIONS", "/v1/stores/SH-001", headers={"origin": "https://console.example"})
        assert answer.status == 204
        assert set(answer.headers["access-control-allow-methods"].split(", ")) == {"GET", "PATCH", "OPTIONS"}
        assert "If-Match" in answer.headers["access-control-allow-headers"]
        assert answer.headers["access-control-allow-origin"] == "https://console.example"


@pytest.mark.parametrize(
    ("status", "slug"), [(415, "unsupported-media-type"), (409, "malformed-request"), (502, "internal-error")]
)
def test_early_answers_of_any_status_become_problems_with_that_status(status, slug):
    from chalice.app import Response

    from chalicelib.shared.http import _rewrite_early_answer

    early = Response(body={"Code": "SomeError", "Message": "internal detail"}, status_code=status)
    rewritten = _rewrite_early_answer(early, "/v1/x")
    document = json.loads(rewritten.body)
    assert rewritten.status_code == document["status"] == status
    assert document["type"].endswith("/" + slug)
    assert rewritten.headers["Content-Type"] == "application/problem+json"
    if status >= 500:
        assert "internal detail" not in rewritten.body
