"""The unit tier reaches no network: every way out is refused inside a unit test."""

import socket
import urllib.request

import pytest

from tests.unit.conftest import NetworkInUnitTest


def test_a_connection_even_to_this_machine_is_refused():
    with pytest.raises(NetworkInUnitTest), socket.socket() as sock:
        sock.connect(("127.0.0.1", 9))


def test_a_server_cannot_bind_a_port():
    with pytest.raises(NetworkInUnitTest), socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))


def test_a_url_is_refused_before_its_name_is_looked_up():
    with pytest.raises(NetworkInUnitTest):
        urllib.request.urlopen("http://example.invalid/", timeout=1)
