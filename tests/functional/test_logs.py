"""Logs are JSON lines that carry the request id and never the request's personal data."""

import io
import json
import logging

import pytest

from chalicelib.shared.logs import logger


@pytest.fixture
def log_lines():
    """What the platform logs during the test, as parsed JSON lines, at INFO level."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    previous = logger.log_level
    logger.addHandler(handler)
    logger.setLevel("INFO")
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(previous)


def test_request_lines_are_json_with_the_request_id_and_no_body_content(api, log_lines):
    api.post("/v1/stores", {"name": "13812345678 Zhang San", "city": "Shanghai", "region": "East"},
             headers={"x-request-id": "req-log-1"})  # fmt: skip
    lines = log_lines()
    request_lines = [line for line in lines if line.get("message") == "request"]
    assert request_lines, lines
    assert all(line["request_id"] == "req-log-1" for line in request_lines)
    assert request_lines[-1]["status"] == 201
    assert all("13812345678" not in json.dumps(line) for line in lines)
