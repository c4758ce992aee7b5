"""The caller's address: behind the stage's CloudFront distribution it is the viewer's, and only when the request
carries the distribution's origin secret; anyone else's ``CloudFront-Viewer-Address`` is ignored."""

import pytest
from chalice.app import Request

from chalicelib.shared import http
from chalicelib.shared.http import source_ip, viewer_ip
from chalicelib.shared.settings import get_settings

SECRET = "origin-verify-secret-origin-verify-secret"
EDGE = "130.176.1.1"  # what the gateway sees behind CloudFront: an edge's address


def request(headers):
    return Request({
        "multiValueQueryStringParameters": None, "headers": headers, "pathParameters": None, "body": None,
        "stageVariables": None,
        "requestContext": {"httpMethod": "POST", "resourcePath": "/v1/auth/otp", "identity": {"sourceIp": EDGE}},
    })  # fmt: skip


@pytest.fixture
def behind_cloudfront(monkeypatch):
    configured = get_settings().model_copy(update={"origin_verify_secret": SECRET})
    monkeypatch.setattr(http, "get_settings", lambda: configured)


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("198.51.100.10:46532", "198.51.100.10"),
        ("2001:db8:85a3::8a2e:370:7334:46532", "2001:db8:85a3::8a2e:370:7334"),  # as CloudFront sends IPv6
        ("[2001:db8::1]:443", "2001:db8::1"),
        (" 203.0.113.7:1 ", "203.0.113.7"),
    ],
)
def test_the_viewer_address_is_the_ip_before_the_port(value, address):
    assert viewer_ip(value) == address


@pytest.mark.parametrize(
    "value", ["", "198.51.100.10", "198.51.100.10:", "198.51.100.10:port", "[2001:db8::1]", "example.com:443",
              "999.1.1.1:80", "198.51.100.10:٣٤"],
)  # fmt: skip
def test_anything_but_ip_and_port_is_no_address(value):
    assert viewer_ip(value) is None


def test_through_the_distribution_the_caller_is_the_viewer(behind_cloudfront):
    headers = {"x-origin-verify": SECRET, "cloudfront-viewer-address": "198.51.100.10:46532"}
    assert source_ip(request(headers)) == "198.51.100.10"


@pytest.mark.parametrize("verify", [None, "", "not-the-secret", SECRET[:-1], SECRET + "x"])
def test_a_viewer_address_without_the_origin_secret_is_ignored(behind_cloudfront, verify):
    headers = {"cloudfront-viewer-address": "198.51.100.10:46532"}
    if verify is not None:
        headers["x-origin-verify"] = verify
    assert source_ip(request(headers)) == EDGE


def test_without_a_configured_secret_no_header_is_believed():
    assert get_settings().origin_verify_secret is None  # the local stack and the tests: no distribution
    headers = {"x-origin-verify": "", "cloudfront-viewer-address": "198.51.100.10:46532"}
    assert source_ip(request(headers)) == EDGE


def test_a_malformed_viewer_address_falls_back_to_the_gateways(behind_cloudfront):
    assert source_ip(request({"x-origin-verify": SECRET, "cloudfront-viewer-address": "nonsense"})) == EDGE
    assert source_ip(request({"x-origin-verify": SECRET})) == EDGE
