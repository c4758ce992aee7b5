"""DynamoDB's item operations sent by botocore's client the short way: where botocore's way would come to the same.

Of a warm DynamoDB call, botocore spends most of its CPU outside the network: it serializes the parameters by walking
the operation's model, resolves the endpoint through its rules on every call (a JMESPath search of every transaction
for its tables), builds, signs and prepares the request through layers of events and header objects, sends it through
urllib3 and ``http.client`` (an e-mail parser reads the answer's headers) and parses the answer by walking the model
again. The item operations (``ITEM_OPERATIONS``) send and receive DynamoDB JSON, which pynamodb builds and reads
already, so here:

- their request body is dumped and their answer loaded as they are (binary values as the protocol's base64), and
  their endpoint is resolved once per operation (the tables are named, never ARNs, so each call would resolve the
  same);
- the request is signed as botocore's ``SigV4Auth`` signs it (the key derived once a day), the handlers botocore calls
  after its signer are called (the retries' headers, the user agent), and it goes as one write over a kept-alive
  connection per thread (``_Transport``, with the session's timeouts, socket options and certificates, raising the
  exceptions botocore's session raises); a 200 is read as it is.

Everything else stays botocore's, so its hooks keep working: the client's events (``provide-client-params`` and
``before-parameter-build``, which fills a transaction's ``ClientRequestToken``; ``before-call``, on which a stub
answers; ``before-send``, on which moto and the emulator answer; ``needs-retry``, ``after-call``), its retries (the
configured attempts, back-off, quota and CRC32 check, through ``needs-retry``), its parsing of an error with the
error's modelled members, and its exception classes. Where botocore's way could differ (another signer or
credentials, a handler around signing or watching answers, a proxy, a client certificate), the call goes botocore's
way whole, as do other operations.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import hmac
import http.client
import json
import select
import socket
import ssl
import threading
import zlib
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import botocore
from botocore.auth import SIGNED_HEADERS_BLACKLIST, _host_from_url
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HeadersDict, prepare_request_dict
from botocore.compat import get_current_datetime
from botocore.context import get_context, start_as_current_context
from botocore.endpoint import Endpoint, convert_to_response_dict
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
)  # fmt: skip
from botocore.history import get_global_history_recorder
from botocore.hooks import first_non_none_response
from botocore.httpsession import URLLib3Session, get_cert_path
from botocore.parsers import JSONParser
from botocore.retries.standard import RetryHandler

# Every client's last handler of ``request-created`` writes the user agent naming the features the call used, in place
# of the one the request was made with: so that one is not built (botocore builds it twice).
_PROVISIONAL_AGENT = "Botocore"
ITEM_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
    "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
})  # fmt: skip
_OUTPUTS = frozenset(f"{operation}Output" for operation in ITEM_OPERATIONS)  # the model's names of their answers


class WireClient:
    """A botocore DynamoDB client whose item operations go the short way; any other attribute is the client's."""

    def __init__(self, client: Any) -> None:
        self.botocore = client
        sent_by = client._endpoint
        self._endpoint = _Endpoint(sent_by.host, sent_by._endpoint_prefix, client.meta.events,
                                   response_parser_factory=_Parsers(sent_by._response_parser_factory),
                                   http_session=sent_by.http_session)  # fmt: skip
        self._endpoint.signer = client._request_signer
        # per operation: the URL, headers, what the resolution added to the context (and whether it is all text) and
        # the features it named, kept as one tuple (a thread reading it meanwhile sees all of it or none)
        self._resolved: dict[str, tuple[str, dict[str, Any], dict[str, Any], bool, set[str]]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.botocore, name)

    def _make_api_call(self, operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
        """What ``BaseClient._make_api_call`` answers, raising the exceptions it raises."""
        if operation_name not in ITEM_OPERATIONS:
            return self.botocore._make_api_call(operation_name, params)  # type: ignore[no-any-return]
        with start_as_current_context():  # the features the user agent names, as botocore's call counts them
            return self._item_call(operation_name, params)

    def _item_call(self, operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
        client = self.botocore
        model = client.meta.service_model.operation_model(operation_name)  # cached by botocore
        context = self._context(model)
        params = client._emit_api_params(api_params=params, operation_model=model, context=context)
        body = json.dumps(params, default=_as_json).encode()
        url, headers = self._endpoint_of(model, params, body, context)
        metadata = model.metadata
        request = {
            "url_path": "/", "query_string": "", "method": "POST", "body": body,
            "headers": {"X-Amz-Target": f"{metadata['targetPrefix']}.{operation_name}",
                        "Content-Type": f"application/x-amz-json-{metadata['jsonVersion']}", **headers},
        }  # fmt: skip
        prepare_request_dict(request, endpoint_url=url, context=context, user_agent=_PROVISIONAL_AGENT)
        events = client.meta.events
        _, stubbed = events.emit_until_response(f"before-call.dynamodb.{operation_name}", model=model, params=request,
                                                request_signer=client._request_signer, context=context)  # fmt: skip
        if stubbed is not None:
            http, parsed = stubbed
        else:
            try:
                http, parsed = self._endpoint.make_request(model, request)
            except Exception as e:
                events.emit(f"after-call-error.dynamodb.{operation_name}", exception=e, context=context)
                raise
        events.emit(f"after-call.dynamodb.{operation_name}", http_response=http, parsed=parsed, model=model,
                    context=context)  # fmt: skip
        if http.status_code >= 300:
            raise client.exceptions.from_code(parsed.get("Error", {}).get("Code"))(parsed, operation_name)
        return parsed  # type: ignore[no-any-return]

    def _context(self, model: Any) -> dict[str, Any]:
        meta = self.botocore.meta
        return {"client_region": meta.region_name, "client_config": meta.config, "has_streaming_input": False,
                "auth_type": model.resolved_auth_type, "unsigned_payload": model.unsigned_payload,
                "auth_options": meta.service_model.metadata.get("auth")}  # fmt: skip

    def _endpoint_of(
        self, model: Any, params: dict[str, Any], body: bytes, context: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """The URL and headers botocore's endpoint rules give the call, with what they add to its context (the
        signing, the features named); resolved once per operation, and each time a table is named by its ARN (that
        resolution not kept)."""
        features = get_context().features
        by_arn = b'"arn:' in body
        if model.name not in self._resolved or by_arn:
            found_before = set(features)
            url, headers, properties = self.botocore._resolve_endpoint_ruleset(model, params, context)
            if properties:
                context["endpoint_properties"] = properties
            added: dict[str, Any] = {
                name: context[name] for name in ("auth_type", "signing", "endpoint_properties") if name in context
            }
            if not by_arn:
                text = all(value is None or isinstance(value, str) for value in added.values())
                self._resolved[model.name] = url, headers, copy.deepcopy(added), text, features - found_before
            return url, headers
        url, headers, added, text, named = self._resolved[model.name]
        context.update(added if text else copy.deepcopy(added))  # each call its own
        features.update(named)
        return url, headers


# The botocore whose internals the short way is written against (``requirements.txt`` pins it, and the Lambda package
# ships it); with any other, every call goes botocore's way.
_KNOWN_BOTOCORE = botocore.__version__.startswith("1.44.")
_HISTORY = get_global_history_recorder()  # what botocore's endpoint records each request in, when enabled
_UNSIGNED = frozenset(SIGNED_HEADERS_BLACKLIST)  # the headers botocore's SigV4 never signs


class _Endpoint(Endpoint):  # type: ignore[misc]
    """botocore's endpoint, sending an item operation the short way where botocore's own way would come to the same
    (``_way``): the request signed as ``SigV4Auth`` signs it, the handlers botocore calls after its signer called, sent
    over a kept-alive connection of our own (``_Transport``), a success read as it is; attempts, retries
    (``needs-retry``) and errors (botocore's parser and exceptions) as ``Endpoint`` has them. Anything else goes
    botocore's way whole."""

    signer: Any = None
    _keys: tuple[tuple[str, str, str, str], bytes] | None = None
    _ways_for: object = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ways: dict[tuple[str, str | None], _Way | None] = {}
        self._transport = _Transport(self.http_session) if type(self.http_session) is URLLib3Session else None

    def make_request(self, operation_model: Any, request_dict: dict[str, Any]) -> Any:
        way = self._way(operation_model, request_dict)
        if way is None:
            return super().make_request(operation_model, request_dict)
        context, attempts = request_dict["context"], 1
        self._update_retries_context(context, attempts)
        while True:  # ``Endpoint._send_request``'s loop
            request = self._signed(operation_model, request_dict, way)
            response, error = self._answer(request, operation_model, way)
            if error is None and self._settled(way, attempts, request_dict, response[0]):
                break
            if not self._needs_retry(attempts, operation_model, request_dict, response, error):
                break
            attempts += 1
            self._update_retries_context(context, attempts, response)
        if response is not None and "ResponseMetadata" in response[1]:
            response[1]["ResponseMetadata"]["RetryAttempts"] = attempts - 1
        if error is not None:
            raise error
        return response

    def _way(self, model: Any, request_dict: dict[str, Any]) -> _Way | None:
        """How this call goes the short way, or None where botocore's way could differ: another botocore than the
        one pinned, another signature than SigV4, credentials other than the client's, a handler of ``before-sign``
        or before botocore's signer, one watching answers (``before-parse``, ``response-received``, the history
        recorder), a checksum to check, a direct connection not possible. Decided once per operation until a handler
        is registered or removed."""
        signer, context = self.signer, request_dict["context"]
        signing = context.get("signing", {})
        recording = _HISTORY._enabled and _HISTORY._handlers
        if (not _KNOWN_BOTOCORE or signing.get("request_credentials") or signing.get("identity_cache") is not None
                or not signer._credentials or "checksum" in context or recording):  # fmt: skip
            return None
        emitter = self._event_emitter._emitter
        if self._ways_for is not emitter._lookup_cache:  # botocore made a new one: handlers changed
            self._ways, self._ways_for = {}, emitter._lookup_cache
        key = model.name, context.get("auth_type")
        if key not in self._ways:
            self._ways[key] = self._decide(model, context, emitter)
        way = self._ways[key]
        direct = self._transport is not None and self._transport.serves(request_dict["url"])
        return way if direct else None

    def _decide(self, model: Any, context: dict[str, Any], emitter: Any) -> _Way | None:
        def handlers(event: str) -> list[Any]:
            return list(emitter._handlers.prefix_search(f"{event}.dynamodb.{model.name}"))

        created = handlers("request-created")
        if not created or created[0] != self.signer.handler or handlers("before-sign"):
            return None
        if handlers("before-parse") or handlers("response-received"):
            return None
        if self.signer._choose_signer(model.name, "standard", context) != "v4":
            return None
        retried = handlers("needs-retry")
        standard = len(retried) == 1 and isinstance(getattr(retried[0], "__self__", None), RetryHandler)
        return _Way(tuple(created[1:]), standard, f"before-send.dynamodb.{model.name}",
                    f"request-created.dynamodb.{model.name}", bool(handlers("before-send")))  # fmt: skip

    def _signed(self, model: Any, request_dict: dict[str, Any], way: _Way) -> AWSPreparedRequest:
        """The request as ``create_request`` makes it: signed, then the rest of ``request-created`` called."""
        request = _Request(request_dict)
        self._sign(request)
        for handler in way.after_signing:
            handler(request=request, operation_name=model.name, event_name=way.created)
        headers = {name: value.encode() if isinstance(value, str) else value for name, value in request.headers.items()}
        headers["Content-Length"] = str(len(request.body))  # as botocore prepares it
        shown = HeadersDict(headers) if way.shown else headers  # what handlers of ``before-send`` see: botocore's
        return AWSPreparedRequest("POST", request.url, shown, request.body, False, request.context)

    def _answer(self, request: AWSPreparedRequest, model: Any, way: _Way) -> tuple[Any, Exception | None]:
        """``Endpoint._do_get_response``'s outcome: ``before-send`` may answer (a stub, moto, the emulator), else the
        transport; a success is read as it is, anything else by botocore's parser with its modelled members."""
        try:
            answer = first_non_none_response(self._event_emitter.emit(way.sent, request=request)) if way.shown else None
            if answer is None:
                answer = self._transport.send(request)  # type: ignore[union-attr]
        except Exception as e:
            return None, e
        if answer.status_code == 200:
            try:
                return (answer, _success(answer)), None
            except ValueError:
                pass  # not JSON (cut short, damaged): botocore's parser reads it, and its retries judge it
        response_dict = convert_to_response_dict(answer, model)
        parser = self._response_parser_factory.create_parser("json")
        parsed = parser.parse(response_dict, model.output_shape)
        if answer.status_code >= 300:
            self._add_modeled_error_fields(response_dict, parsed, model, parser)
        return (answer, parsed), None

    def _sign(self, request: _Request) -> None:
        """Sign ``request`` as botocore's ``SigV4Auth`` does, with the signing key kept for the day."""
        signer, context = self.signer, request.context
        signing = context.get("signing", {})
        region, service = signing.get("region", signer._region_name), signing.get("signing_name", signer._signing_name)
        credentials = signer._credentials.get_frozen_credentials()
        timestamp = context["timestamp"] = get_current_datetime().strftime("%Y%m%dT%H%M%SZ")
        headers = request.headers
        headers["X-Amz-Date"] = timestamp
        if credentials.token:
            headers["X-Amz-Security-Token"] = credentials.token
        signed = {name.lower(): " ".join(value.split()) for name, value in headers.items()
                  if name.lower() not in _UNSIGNED}  # fmt: skip
        signed.setdefault("host", request.host)
        names = sorted(signed)
        scope = f"{timestamp[:8]}/{region}/{service}/aws4_request"
        canonical = "\n".join([
            "POST", "/", "", *(f"{name}:{signed[name]}" for name in names), "", ";".join(names),
            hashlib.sha256(request.body).hexdigest(),
        ])  # fmt: skip
        to_sign = f"AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._key(credentials.secret_key, timestamp[:8], region, service), to_sign.encode(),
                             hashlib.sha256).hexdigest()  # fmt: skip
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, SignedHeaders={';'.join(names)}, "
            f"Signature={signature}"
        )

    def _key(self, secret: str, day: str, region: str, service: str) -> bytes:
        """SigV4's signing key, derived once a day (per secret, region and service)."""
        kept = self._keys
        if kept is not None and kept[0] == (secret, day, region, service):
            return kept[1]
        key = f"AWS4{secret}".encode()
        for part in (day, region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        self._keys = (secret, day, region, service), key
        return key

    @staticmethod
    def _settled(way: _Way, attempts: int, request_dict: dict[str, Any], answer: AWSResponse) -> bool:
        """Whether an answer needs no ``needs-retry``: botocore's standard retries alone would judge it, and never
        retry it (a 200 whose CRC32 is right: none of their conditions holds, a 5xx, an error's code, a transport
        error, a damaged CRC32), before the last attempt allowed (which they mark ``MaxAttemptsReached``)."""
        if not way.retried_by_standard or answer.status_code != 200:
            return False
        if attempts >= request_dict["context"].get("retries", {}).get("max", 0):
            return False
        checksum = _header(answer, "x-amz-crc32")
        return checksum is None or zlib.crc32(answer.content) & 0xFFFFFFFF == int(checksum)


class _Way(NamedTuple):
    """How an operation goes the short way: the handlers of ``request-created`` after botocore's signer, whether
    botocore's standard retries alone answer ``needs-retry``, the names of the events sent, and whether any handler
    of ``before-send`` sees the request."""

    after_signing: tuple[Any, ...]
    retried_by_standard: bool
    sent: str
    created: str
    shown: bool  # whether handlers of ``before-send`` see the request (else it goes straight to the transport)


def _header(answer: AWSResponse, name: str) -> str | None:
    """A header of an answer (``name`` in lower case)."""
    if isinstance(answer, _Answer) and answer._headers is None:
        return next((value for listed, value in answer.listed if listed.lower() == name), None)
    return answer.headers.get(name)  # type: ignore[no-any-return]


def _success(answer: AWSResponse) -> dict[str, Any]:
    """A successful item operation's answer as botocore's parser gives it: DynamoDB JSON (binary values as bytes),
    and its metadata."""
    parsed = _loaded(answer.content)
    listed = answer.listed if isinstance(answer, _Answer) else answer.headers.items()
    headers = {name.lower(): value for name, value in listed}
    metadata = {"RequestId": headers["x-amzn-requestid"]} if "x-amzn-requestid" in headers else {}
    metadata.update(HTTPStatusCode=200, HTTPHeaders=headers)
    parsed["ResponseMetadata"] = metadata
    return parsed


class _Request:
    """What botocore's ``request-created`` handlers read and write of a request (its headers, context and URL)."""

    method = "POST"

    def __init__(self, params: dict[str, Any]) -> None:
        self.url: str = params["url"]
        self.host = _host(self.url)
        self.body: bytes = params["body"]
        self.context: dict[str, Any] = params["context"]
        self.headers = _Headers(params["headers"])


class _Headers(dict[str, Any]):
    """A request's headers as ``request-created`` handlers change them."""

    def replace_header(self, name: str, value: str) -> None:
        self[name] = value


@functools.lru_cache(maxsize=64)
def _host(url: str) -> str:
    """The host SigV4 signs and ``Host`` names: botocore's (the port unless the scheme's own, IPv6 in brackets)."""
    return _host_from_url(url)  # type: ignore[no-any-return]


class _Transport:
    """HTTP/1.1 over a kept-alive connection per thread and host, with the timeouts, socket options and certificates of
    the client's HTTP session, raising what botocore's session raises; for a URL the session would send to directly
    (no proxy, no client certificate). A request is written in one ``sendall``; an answer is read by its
    ``Content-Length``, its chunks, or to the connection's end."""

    def __init__(self, session: URLLib3Session) -> None:
        self._session = session
        timeout = session._timeout
        self._connect_timeout = getattr(timeout, "connect_timeout", timeout)
        self._read_timeout = getattr(timeout, "read_timeout", timeout)
        self._direct: dict[str, tuple[str, str, int, str] | None] = {}
        self._local = threading.local()
        self._tls: ssl.SSLContext | None = None

    def serves(self, url: str) -> bool:
        return self._where(url) is not None

    def _where(self, url: str) -> tuple[str, str, int, str] | None:
        """The scheme, host, port and ``Host`` header of a URL this transport sends to; None for botocore's."""
        if url not in self._direct:
            parts = urlsplit(url)
            session = self._session
            direct = (parts.scheme in ("http", "https") and parts.path in ("", "/") and not parts.query
                      and not session._cert_file and session._proxy_config.proxy_url_for(url) is None)  # fmt: skip
            port = parts.port or (443 if parts.scheme == "https" else 80)
            self._direct[url] = (parts.scheme, parts.hostname or "", port, _host(url)) if direct else None
        return self._direct[url]

    def send(self, request: Any) -> AWSResponse:
        where = self._where(request.url)
        assert where is not None
        connections = self._local.__dict__.setdefault("connections", {})
        connection: _Socket | None = connections.get(where)
        if connection is not None and connection.dropped():
            del connections[where]  # before connecting again, which may fail
            connection = None
        if connection is None:
            connection = connections[where] = self._connect(request.url, *where)
        timeout = (request.context or {}).get("read_timeout", self._read_timeout)
        try:
            head = _head(where[3], request.headers)
            connection.settimeout(timeout)
            try:
                connection.sock.sendall(head + request.body)
            except (BrokenPipeError, ConnectionResetError):  # the server may have answered before reading it all
                status, headers, body, _ = connection.answer()
                closing = True
            else:
                status, headers, body, closing = connection.answer()
        except BaseException as e:  # whatever stops it (an interrupt too), its answer must not meet the next request
            connection.close()
            connections.pop(where, None)
            if not isinstance(e, Exception):
                raise
            if isinstance(e, TimeoutError):
                raise ReadTimeoutError(endpoint_url=request.url, error=e) from e
            if isinstance(e, ssl.SSLError):
                raise SSLError(endpoint_url=request.url, error=e) from e
            if isinstance(e, OSError | http.client.HTTPException):
                raise ConnectionClosedError(error=e, request=request, endpoint_url=request.url) from e
            raise HTTPClientError(error=e) from e
        if closing:
            connection.close()
            connections.pop(where, None)
        return _Answer(request.url, status, headers, body)

    def _connect(self, url: str, scheme: str, host: str, port: int, _: str) -> _Socket:
        try:
            sock = socket.create_connection((host, port), timeout=self._connect_timeout)
        except TimeoutError as e:
            raise ConnectTimeoutError(endpoint_url=url, error=e) from e
        except OSError as e:
            raise EndpointConnectionError(endpoint_url=url, error=e) from e
        try:
            for option in self._session._socket_options:
                sock.setsockopt(*option)
            if scheme == "https":
                sock = self._context().wrap_socket(sock, server_hostname=host)
        except Exception as e:
            sock.close()
            if isinstance(e, ssl.SSLError):
                raise SSLError(endpoint_url=url, error=e) from e
            if isinstance(e, TimeoutError):
                raise ConnectTimeoutError(endpoint_url=url, error=e) from e
            raise EndpointConnectionError(endpoint_url=url, error=e) from e
        return _Socket(sock)

    def _context(self) -> ssl.SSLContext:
        """TLS as botocore's session verifies it: against its certificate bundle, or not at all (``verify=False``)."""
        if self._tls is None:
            verify = self._session._verify
            tls = ssl.create_default_context(cafile=get_cert_path(verify) if verify else None)
            if not verify:
                tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
            self._tls = tls
        return self._tls


def _head(host: str, headers: Any) -> bytes:
    """A request's line and headers (``Host`` first; ``Accept-Encoding: identity`` as ``http.client`` adds it), any
    value holding a line break refused as ``http.client`` refuses it."""
    lines = [b"POST / HTTP/1.1\r\nHost: %s\r\nAccept-Encoding: identity\r\n" % host.encode()]
    for name, value in headers.items():
        written = value if type(value) is bytes else str(value).encode("latin-1")
        if b"\r" in written or b"\n" in written or ":" in name or "\r" in name or "\n" in name:
            raise ValueError(f"Invalid header {name!r}: {written!r}")
        lines.append(b"%s: %s\r\n" % (name.encode("latin-1"), written))
    lines.append(b"\r\n")
    return b"".join(lines)


class _Socket:
    """One kept-alive connection and the reader of its answers."""

    _LINE = 65_536

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._reader = sock.makefile("rb")
        self._timeout: float | None = sock.gettimeout()

    def settimeout(self, timeout: float | None) -> None:
        """The socket's timeout, set only when it changes (each setting is a system call)."""
        if timeout != self._timeout:
            self.sock.settimeout(timeout)
            self._timeout = timeout

    def dropped(self) -> bool:
        """Whether the server closed the connection (or sent something unasked) while it was idle."""
        waiting = select.poll()  # not ``select``, which refuses descriptors above 1,023
        waiting.register(self.sock, select.POLLIN)
        if waiting.poll(0):
            self.close()
            return True
        return False

    def close(self) -> None:
        self._reader.close()
        self.sock.close()

    def answer(self) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        """The status, headers and body of the next answer, and whether the server closes the connection after it
        (an informational ``1xx`` answer skipped)."""
        while True:
            line = self._reader.readline(self._LINE + 1)
            if not line:
                raise http.client.RemoteDisconnected("the server closed the connection without an answer")
            version, _, rest = line.partition(b" ")
            status = int(rest[:3])
            headers = self._headers()
            if status >= 200 or status < 100:
                break
        found = {name.lower(): value for name, value in headers}
        closing = found.get("connection", "").lower() == "close" or (
            version == b"HTTP/1.0" and found.get("connection", "").lower() != "keep-alive"
        )
        if found.get("transfer-encoding", "").lower() == "chunked":
            body = self._chunks()
        elif "content-length" in found:
            body = self._exactly(int(found["content-length"]))
        elif status in (204, 304):
            body = b""
        else:
            body, closing = self._reader.read(), True
        return status, headers, body, closing

    def _headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        while True:
            line = self._reader.readline(self._LINE + 1)
            if line in (b"\r\n", b"\n"):
                return headers
            if not line or len(line) > self._LINE:
                raise http.client.HTTPException("an answer's headers were cut off or too long")
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))

    def _exactly(self, size: int) -> bytes:
        body = self._reader.read(size)
        if len(body) < size:
            raise http.client.IncompleteRead(body, size - len(body))
        return body

    def _chunks(self) -> bytes:
        parts = []
        while size := int(self._reader.readline(self._LINE + 1).split(b";", 1)[0], 16):
            parts.append(self._exactly(size))
            self._exactly(2)  # the chunk's CRLF
        self._headers()  # trailers, if any
        return b"".join(parts)


class _Answer(AWSResponse):  # type: ignore[misc]
    """An answer read whole, its headers as listed (botocore's ``HeadersDict`` of them made if asked for)."""

    def __init__(self, url: str, status: int, listed: list[tuple[str, str]], body: bytes) -> None:
        self.url, self.status_code, self.raw, self._content = url, status, _Read(body), body
        self.listed = _joined(listed)
        self._headers: HeadersDict | None = None

    @property
    def headers(self) -> HeadersDict:
        if self._headers is None:
            self._headers = HeadersDict(self.listed)
        return self._headers

    @headers.setter
    def headers(self, headers: Any) -> None:
        self._headers = HeadersDict(headers)


def _joined(listed: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers named more than once as one, their values joined by ", " (as urllib3 hands them to botocore)."""
    found: dict[str, tuple[str, str]] = {}
    for name, value in listed:
        key = name.lower()
        found[key] = (found[key][0], f"{found[key][1]}, {value}") if key in found else (name, value)
    return list(found.values())


class _Read:
    """An answer's body, read whole, as ``AWSResponse`` reads its raw stream."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        yield self._body


class _Parsers:
    """The client's parser factory, but for the JSON protocol a parser that reads an item operation's answer as it
    is."""

    def __init__(self, made_by: Any) -> None:
        self._defaults = getattr(made_by, "_defaults", {})
        self._made_by = made_by

    def create_parser(self, protocol: str) -> Any:
        return _ItemAnswers(**self._defaults) if protocol == "json" else self._made_by.create_parser(protocol)


class _ItemAnswers(JSONParser):  # type: ignore[misc]
    """botocore's JSON parser, loading an item operation's answer without walking its model: the answer is DynamoDB
    JSON whose only values botocore would convert are binary ones (``_binary_as_bytes``). Errors, and any other
    answer, are parsed by botocore's walk."""

    def _do_parse(self, response: dict[str, Any], shape: Any) -> dict[str, Any]:
        if shape is None or shape.name not in _OUTPUTS:
            return super()._do_parse(response, shape)  # type: ignore[no-any-return]
        try:
            parsed = _loaded(response["body"])
        except ValueError:
            return super()._do_parse(response, shape)  # type: ignore[no-any-return]
        self._inject_response_metadata(parsed, response["headers"])
        return parsed


def _loaded(body: bytes) -> dict[str, Any]:
    """An item operation's answer, binary values as bytes (only looked for where the body names a ``B`` member)."""
    if not body:
        return {}
    return json.loads(body, object_hook=_binary_as_bytes) if b'"B' in body else json.loads(body)  # type: ignore[no-any-return]


def _as_json(value: Any) -> Any:
    """What ``json`` cannot dump itself: binary values (sent as base64) and sets (as lists)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not a DynamoDB JSON value")


def _binary_as_bytes(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute value of binary (``B``) or a binary set (``BS``) with its base64 decoded; any other as it is.
    Only an attribute value has a single member named so holding text or a list: an item's and a map's members are
    attribute values (objects), and the answers' other maps are keyed by table names (three characters at least)."""
    if len(value) == 1:
        if type(found := value.get("B")) is str:
            return {"B": base64.b64decode(found)}
        if type(found := value.get("BS")) is list:
            return {"BS": [base64.b64decode(member) for member in found]}
    return value
