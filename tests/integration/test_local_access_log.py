"""The local server's access log names each request's method and path, never what its query string held."""

import socket
from urllib.parse import urlparse

import pytest

from tests.http import send

pytestmark = pytest.mark.xdist_group("http-stack")  # one local server at a time in a process

PHONE = "13812345678"


def test_request_lines_are_logged_without_their_query_strings(http_stack, capfd):
    status, _ = send("GET", f"{http_stack.url}/v1/members?phone={PHONE}", token=http_stack.token)
    assert status == 422  # personal data never goes into a URL; a caller who tries still leaves none in the log
    send("GET", f"{http_stack.url}/v1/stores?limit=5&cursor={PHONE}", token=http_stack.token)  # a bad cursor: 400
    logged = capfd.readouterr().err
    assert '"GET /v1/members?[redacted] HTTP/1.1" 422' in logged
    assert '"GET /v1/stores?[redacted] HTTP/1.1" 400' in logged
    assert PHONE not in logged


def test_a_malformed_request_line_is_logged_without_its_query_string(http_stack, capfd):
    address = urlparse(http_stack.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(f"GET /v1/members?phone={PHONE} HTTP/1.1 trailing\r\n\r\n".encode())
        assert b"400" in connection.recv(4096)
    logged = capfd.readouterr().err
    assert '"GET /v1/members?[redacted] HTTP/1.1 trailing" 400' in logged
    assert PHONE not in logged
