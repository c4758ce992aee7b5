"""The local server reads a URL as API Gateway does where curl and browsers differ."""

import socket
from urllib.parse import quote, urlparse

import pytest

from chalicelib.local.gateway import percent_encoded
from tests.http import send

pytestmark = pytest.mark.xdist_group("http-stack")  # one local server at a time in a process


def raw_get(url: str, target: bytes, token: str) -> bytes:
    """The status line of a GET of ``target`` sent byte for byte, as curl sends a URL typed with Chinese in it."""
    address = urlparse(url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode()
                           + b"\r\nConnection: close\r\n\r\n")  # fmt: skip
        return connection.recv(4096).split(b"\r\n", 1)[0]


def test_chinese_typed_raw_in_a_query_reads_as_if_percent_encoded(http_stack):
    """Found by a walkthrough: `?tier=金卡` sent raw was refused as holding control characters (each UTF-8 byte
    read as a Latin-1 character), while its percent-encoded form was answered."""
    encoded, _ = send("GET", f"{http_stack.url}/v1/members?tier={quote('金卡')}", token=http_stack.token)
    assert encoded == 200
    raw = raw_get(http_stack.url, "/v1/members?tier=金卡".encode(), http_stack.token)
    assert raw.endswith(b" 200 OK"), raw


def test_only_bytes_beyond_ascii_are_encoded():
    assert percent_encoded("/v1/members?tier=gold&x=%20") == "/v1/members?tier=gold&x=%20"
    assert percent_encoded("/v1/x?city=上海".encode().decode("latin-1")) == f"/v1/x?city={quote('上海')}"
