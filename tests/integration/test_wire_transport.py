"""The short way's own HTTP (``chalicelib.shared.wire._Transport``) against a server on 127.0.0.1 that answers as told:
kept-alive connections, connections the server drops, the answers' framings, timeouts, refusals and TLS, each
raising or retried as botocore's own HTTP session has it (the same server answers a plain botocore client)."""

import contextlib
import datetime
import ipaddress
import json
import os
import socket
import ssl
import threading
import zlib
from collections.abc import Callable

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, HTTPClientError, ReadTimeoutError, SSLError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chalicelib.shared import wire
from chalicelib.shared.wire import WireClient

ITEM = {"pk": {"S": "a"}, "blob": {"B": "AZ2USwD/"}}
GET = {"TableName": "t", "Key": {"pk": {"S": "a"}}}


def answer(body: bytes, *, headers: tuple[str, ...] = (), framing: str = "length") -> bytes:
    """An HTTP answer to a DynamoDB call: the body framed by its length, in chunks, or by the connection's end."""
    lines = ["HTTP/1.1 200 OK", "Content-Type: application/x-amz-json-1.0", "x-amzn-RequestId: R1",
             f"x-amz-crc32: {zlib.crc32(body)}", *headers]  # fmt: skip
    if framing == "length":
        return "\r\n".join([*lines, f"Content-Length: {len(body)}", "", ""]).encode() + body
    if framing == "chunked":
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:5], body[5:]) if part)
        return "\r\n".join([*lines, "Transfer-Encoding: chunked", "", ""]).encode() + chunks + b"0\r\n\r\n"
    return "\r\n".join([*lines, "Connection: close", "", ""]).encode() + body


ITEM_ANSWER = answer(json.dumps({"Item": ITEM}).encode())


class Server:
    """Answers each request with what ``script`` gives for its number (from 0): bytes to send, or None to close the
    connection without answering; a script may sleep. Counts connections and requests."""

    def __init__(self, script: Callable[[int], bytes | None], tls: ssl.SSLContext | None = None, port: int = 0) -> None:
        self.script, self.tls = script, tls
        self.listener = socket.create_server(("127.0.0.1", port))
        self.port = self.listener.getsockname()[1]
        self.connections = self.requests = 0
        self.heads: list[bytes] = []
        self.close_after_answer = False
        self.reads_body = True
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            reader = sock.makefile("rb")
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))  # fmt: skip
                if not self.reads_body:  # answers at once, as a front end refusing what it sees in the head
                    sock.sendall(self.script(self.requests) or b"")
                    sock.shutdown(socket.SHUT_WR)
                    wait(0.2)
                    return
                reader.read(length)
                self.heads.append(head)
                number, self.requests = self.requests, self.requests + 1
                reply = self.script(number)
                if reply is None:
                    return
                sock.sendall(reply)
                if self.close_after_answer or b"Connection: close" in reply:
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            sock.close()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._stopped = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread: the port refuses from now on
        self.listener.close()


@pytest.fixture
def serve():
    started: list[Server] = []

    def start(script: Callable[[int], bytes | None], tls: ssl.SSLContext | None = None, port: int = 0) -> Server:
        started.append(Server(script, tls, port))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def clients(url: str, *, verify: bool | str | None = None, **config: object) -> tuple[WireClient, object]:
    """The short way and a plain botocore client, both for ``url``."""
    made = []
    for _ in range(2):
        made.append(boto3.client("dynamodb", region_name="cn-north-1", endpoint_url=url, aws_access_key_id="AKID",
                                 aws_secret_access_key="secret", verify=verify,
                                 config=Config(**config) if config else None))  # fmt: skip
    return WireClient(made[0]), made[1]


@pytest.fixture(autouse=True)
def no_back_off(monkeypatch):
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)  # botocore's is the ``time`` module's


def wait(seconds: float) -> None:
    """Sleep, whatever became of ``time.sleep``."""
    threading.Event().wait(seconds)


def the_short_way_taken(client: WireClient, monkeypatch) -> list[str]:
    """The URLs ``client``'s own transport sent to (botocore's HTTP session refuses to send meanwhile)."""
    sent: list[str] = []
    send = wire._Transport.send

    def counted(transport, request):
        sent.append(request.url)
        return send(transport, request)

    def refused(*args, **kwargs):
        raise AssertionError("botocore's HTTP session was used")

    monkeypatch.setattr(wire._Transport, "send", counted)
    monkeypatch.setattr(client._endpoint.http_session, "send", refused)
    return sent


def test_calls_share_one_kept_alive_connection_and_answer_as_botocore_does(serve, monkeypatch):
    server = serve(lambda number: ITEM_ANSWER)
    wire_client, plain = clients(server.url)
    sent = the_short_way_taken(wire_client, monkeypatch)
    answers = [wire_client._make_api_call("GetItem", GET) for _ in range(3)]
    assert server.connections == 1
    assert len(sent) == 3
    expected = plain._make_api_call("GetItem", GET)
    assert answers[0]["Item"] == expected["Item"] == {"pk": {"S": "a"}, "blob": {"B": b"\x01\x9d\x94K\x00\xff"}}
    assert answers[0]["ResponseMetadata"] == {**expected["ResponseMetadata"], "HTTPHeaders": answers[0][
        "ResponseMetadata"]["HTTPHeaders"]}  # fmt: skip
    assert answers[0]["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == "R1"


def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending(serve, monkeypatch):
    server = serve(lambda number: ITEM_ANSWER)
    server.close_after_answer = True
    wire_client, _ = clients(server.url, retries={"max_attempts": 1})
    sent = the_short_way_taken(wire_client, monkeypatch)
    for _ in range(3):
        wire_client._make_api_call("GetItem", GET)
        wait(0.05)  # the server's close arrives
    assert (server.connections, server.requests, len(sent)) == (3, 3, 3)


@pytest.mark.parametrize("dropped", [1, 5], ids=["once", "throughout"])
def test_a_connection_dropped_before_the_answer_is_retried_as_botocore_retries_it(serve, dropped):
    outcomes = []
    for way in range(2):
        server = serve(lambda number: None if number < dropped else ITEM_ANSWER)
        client = clients(server.url)[way]
        try:
            outcome: object = client._make_api_call("GetItem", GET)["Item"]["pk"]
        except Exception as e:
            outcome = type(e).__name__
        outcomes.append((outcome, server.requests))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] == (({"S": "a"}, 2) if dropped == 1 else ("ConnectionClosedError", 4))  # botocore: four attempts


@pytest.mark.parametrize("framing", ["chunked", "close"])
def test_answers_in_chunks_or_to_the_connections_end_are_read_whole(serve, framing):
    body = json.dumps({"Item": ITEM}).encode()
    server = serve(lambda number: answer(body, framing=framing))
    wire_client, _ = clients(server.url)
    for _ in range(2):
        assert wire_client._make_api_call("GetItem", GET)["Item"]["blob"] == {"B": b"\x01\x9d\x94K\x00\xff"}
    assert server.connections == (1 if framing == "chunked" else 2)


def test_a_slow_answer_raises_botocores_read_timeout(serve):
    def slow(number: int) -> bytes:
        wait(0.5)
        return ITEM_ANSWER

    server = serve(slow)
    for client in clients(server.url, read_timeout=0.1, retries={"max_attempts": 1}):
        with pytest.raises(ReadTimeoutError):
            client._make_api_call("GetItem", GET)


def test_a_refused_connection_raises_botocores_endpoint_connection_error():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    for client in clients(f"http://127.0.0.1:{port}", retries={"max_attempts": 2}):
        with pytest.raises(EndpointConnectionError):
            client._make_api_call("GetItem", GET)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[ssl.SSLContext, str]:
    """A server's TLS context for 127.0.0.1 and the file of its (self-signed) certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context, str(folder / "cert.pem")


@pytest.mark.parametrize("verify", ["bundle", False], ids=["verified", "unverified"])
def test_tls_is_verified_against_the_sessions_certificates(serve, certificate, monkeypatch, verify):
    context, cert_file = certificate
    server = serve(lambda number: ITEM_ANSWER, tls=context)
    wire_client, _ = clients(server.url, verify=cert_file if verify == "bundle" else False)
    sent = the_short_way_taken(wire_client, monkeypatch)
    for _ in range(3):
        assert wire_client._make_api_call("GetItem", GET)["Item"]["pk"] == {"S": "a"}
        wait(0.02)  # what the server sends after its handshake (TLS 1.3's session tickets) arrives meanwhile
    assert sent == [f"{server.url}/"] * 3
    assert server.connections == 1


def test_a_certificate_the_session_does_not_trust_raises_botocores_ssl_error(serve, certificate):
    server = serve(lambda number: ITEM_ANSWER, tls=certificate[0])
    for client in clients(server.url, retries={"max_attempts": 1}):  # the default bundle does not hold it
        with pytest.raises(SSLError):
            client._make_api_call("GetItem", GET)


def test_what_goes_on_the_wire_is_what_botocore_sends(serve):
    """Every header, by name and value, but for those that differ each time (the date, the signature over it, the
    invocation's id, the user agent's metrics)."""
    server = serve(lambda number: ITEM_ANSWER)
    for client in clients(server.url):
        client._make_api_call("GetItem", GET)
    varying = {"x-amz-date", "authorization", "amz-sdk-invocation-id", "user-agent"}

    def headers(head: bytes) -> dict[str, str]:
        lines = head.decode("latin-1").split("\r\n")[1:]
        named = dict(line.split(": ", 1) for line in lines if line)
        return {name.lower(): value for name, value in named.items() if name.lower() not in varying}

    ours, botocores = (headers(head) for head in server.heads)
    assert ours == botocores
    assert ours["accept-encoding"] == "identity"
    assert server.heads[0].split(b"\r\n")[0] == server.heads[1].split(b"\r\n")[0] == b"POST / HTTP/1.1"


def test_a_call_stopped_while_waiting_leaves_no_answer_for_the_next(serve, monkeypatch):
    """An interrupt (a signal's exit, Ctrl-C) while the answer is awaited closes the connection: the next call on the
    thread reads its own answer, never the late one."""

    def numbered(number: int) -> bytes:
        if number == 0:
            wait(0.3)  # still on its way when the next call is sent
        return answer(json.dumps({"Item": {"pk": {"S": f"answer {number}"}}}).encode())

    server = serve(numbered)
    wire_client, _ = clients(server.url)
    read = wire._Socket.answer
    stops = iter([True])

    def stopped(socket):
        if next(stops, False):
            raise SystemExit("stopped by a signal")
        return read(socket)

    monkeypatch.setattr(wire._Socket, "answer", stopped)
    with pytest.raises(SystemExit):
        wire_client._make_api_call("GetItem", GET)
    assert wire_client._make_api_call("GetItem", GET)["Item"]["pk"] == {"S": "answer 1"}


def test_a_header_value_holding_a_line_break_is_refused_as_botocore_refuses_it(serve):
    server = serve(lambda number: ITEM_ANSWER)

    def injected(params, **_):
        params["headers"]["X-Note"] = "a\r\nX-Injected: 1"

    for client in clients(server.url, retries={"max_attempts": 1}):
        client.meta.events.register("before-call.dynamodb.GetItem", injected)
        with pytest.raises(HTTPClientError):
            client._make_api_call("GetItem", GET)
    assert server.requests == 0


def test_a_failed_reconnection_leaves_the_thread_able_to_call_again(serve):
    """The server closed the idle connection, then could not be reached: that call fails as botocore's does, and the
    next one, the server back, succeeds (the closed connection is not kept)."""
    first = serve(lambda number: ITEM_ANSWER)
    first.close_after_answer = True
    wire_client, _ = clients(first.url, retries={"max_attempts": 1})
    wire_client._make_api_call("GetItem", GET)
    first.stop()
    wait(0.05)
    with pytest.raises(EndpointConnectionError):
        wire_client._make_api_call("GetItem", GET)
    serve(lambda number: ITEM_ANSWER, port=first.port)
    assert wire_client._make_api_call("GetItem", GET)["Item"]["pk"] == {"S": "a"}


def test_connections_on_descriptors_above_1023_are_kept_and_checked(serve):
    """``select`` refuses such descriptors; a process holding many files (an import, the local stack) still calls."""
    server = serve(lambda number: ITEM_ANSWER)
    wire_client, _ = clients(server.url)
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        for _ in range(3):
            assert wire_client._make_api_call("GetItem", GET)["Item"]["pk"] == {"S": "a"}
    finally:
        for descriptor in held:
            os.close(descriptor)
    assert server.connections == 1


def test_an_error_answered_before_the_body_was_read_is_read_as_botocore_reads_it(serve):
    refusal = json.dumps({"__type": "com.amazon.coral.validate#ValidationException",
                          "message": "Item size has exceeded the maximum allowed size"}).encode()  # fmt: skip
    server = serve(lambda number: b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\n"
                   b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(refusal), refusal))  # fmt: skip
    server.reads_body = False
    large = {"TableName": "t", "Item": {"pk": {"S": "a"}, "blob": {"S": "x" * 8_000_000}}}
    for client in clients(server.url):
        with pytest.raises(ClientError) as refused:
            client._make_api_call("PutItem", large)
        assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert server.connections == 2  # one each: nothing retried


def test_no_read_timeout_waits_for_the_answer(serve):
    def late(number: int) -> bytes:
        wait(0.6)
        return ITEM_ANSWER

    server = serve(late)
    for client in clients(server.url, connect_timeout=0.2, read_timeout=None, retries={"max_attempts": 1}):
        assert client._make_api_call("GetItem", GET)["Item"]["pk"] == {"S": "a"}


def test_a_header_answered_twice_is_one_with_both_values_as_botocore_reads_it(serve):
    twice = answer(json.dumps({"Item": ITEM}).encode(), headers=("x-repeated: one", "x-repeated: two"))
    server = serve(lambda number: twice)
    answers = [
        client._make_api_call("GetItem", GET)["ResponseMetadata"]["HTTPHeaders"] for client in clients(server.url)
    ]
    assert answers[0]["x-repeated"] == answers[1]["x-repeated"] == "one, two"


def test_a_table_named_by_its_arn_leaves_the_others_endpoint_as_it_was():
    sent: list[list[str]] = []
    for wrap in (WireClient, lambda client: client):
        client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="AKID",
                              aws_secret_access_key="secret", config=Config(retries={"max_attempts": 1}))  # fmt: skip
        urls: list[str] = []

        def answered(request, urls=urls, **_):
            urls.append(request.url)
            return AWSResponse(request.url, 200, {}, _Raw(b"{}"))

        client.meta.events.register("before-send.dynamodb", answered)
        called = wrap(client)
        for table in ("mine", "arn:aws:dynamodb:us-east-1:111122223333:table/other", "mine"):
            called._make_api_call("GetItem", {"TableName": table, "Key": {"pk": {"S": "a"}}})
        sent.append(urls)
    assert sent[0] == sent[1]
    assert sent[0][0] == sent[0][2] != sent[0][1]


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *args, **kwargs):
        yield self.body
