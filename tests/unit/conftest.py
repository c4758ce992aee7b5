"""The unit tier checks rules in plain code: it reaches no network, not even this machine's. A test that tries is
stopped where it tries, with a pointer to the tiers that may (functional and integration tests)."""

import socket
from collections.abc import Callable
from typing import Any

import pytest


class NetworkInUnitTest(RuntimeError):
    """A unit test opened a connection, bound a port or looked a name up."""


def _refused(what: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NetworkInUnitTest(f"a unit test may not {what}: test this in tests/functional or tests/integration")

    return refuse


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    for method, what in (("connect", "connect a socket"), ("connect_ex", "connect a socket"),
                         ("bind", "bind a socket"), ("sendto", "send a datagram")):  # fmt: skip
        monkeypatch.setattr(socket.socket, method, _refused(what))
    monkeypatch.setattr(socket, "getaddrinfo", _refused("look a name up"))


@pytest.fixture(autouse=True)
def _no_catalogue_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalogue's saved names are a table's: rules in words read the deployment's defaults alone here."""
    from chalicelib.catalog import service

    monkeypatch.setattr(service.SAVED, "get", lambda: service.Names({}, {}, 0))
