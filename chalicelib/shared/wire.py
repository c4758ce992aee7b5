"""DynamoDB's item operations sent through botocore's client without its walk of the service model.

Of a warm DynamoDB call, botocore spends about half its CPU before and after the network: it serializes the
parameters by walking the operation's model, resolves the endpoint through its rules (a JMESPath search of every
transaction for its tables) and parses the answer by walking the model again. DynamoDB's protocol is JSON, and the
item operations (``ITEM_OPERATIONS``) send and receive DynamoDB JSON, which pynamodb builds and reads already: their
body is dumped and loaded as it is (binary values as the protocol's base64), to the client's endpoint URL.

Everything else is the client's own, so whatever hooks botocore keeps working: its events (``provide-client-params``
and ``before-parameter-build``; ``before-call`` and ``before-send``, on which a stub, moto and the emulator answer;
``after-call``), its signer and credentials, its HTTP session (pool, timeouts, proxies), its parsing of an error
into its exception classes, and its retries: an outcome botocore's standard policy retries (throttling, a 5xx, a
lost connection, an answer whose CRC32 does not match) is sent again through the client's own call, which retries
as configured (one attempt more in all, the first of them at once). Other operations go the client's way whole.
"""

from __future__ import annotations

import base64
import json
import zlib
from functools import cached_property
from typing import Any

from botocore.awsrequest import AWSResponse, create_request_object
from botocore.endpoint import convert_to_response_dict
from botocore.exceptions import HTTPClientError
from botocore.retries.standard import RetryContext, StandardRetryConditions

ITEM_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
    "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
})  # fmt: skip
_RETRIED = StandardRetryConditions(max_attempts=2)  # would botocore retry a first attempt's outcome?


class WireClient:
    """A botocore DynamoDB client whose item operations go the short way; any other attribute is the client's."""

    def __init__(self, client: Any) -> None:
        self.botocore = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.botocore, name)

    @cached_property
    def _protocol(self) -> tuple[str, str, str]:
        """The URL every item operation posts to, its target's prefix and the body's content type."""
        meta = self.botocore.meta
        metadata = meta.service_model.metadata
        return (f"{meta.endpoint_url.rstrip('/')}/", f"{metadata['targetPrefix']}.",
                f"application/x-amz-json-{metadata['jsonVersion']}")  # fmt: skip

    def _make_api_call(self, operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
        """What ``BaseClient._make_api_call`` answers, raising the exceptions it raises."""
        client = self.botocore
        if operation_name not in ITEM_OPERATIONS:
            return client._make_api_call(operation_name, params)  # type: ignore[no-any-return]
        model = client.meta.service_model.operation_model(operation_name)  # cached by botocore
        context = {"client_region": client.meta.region_name, "client_config": client.meta.config,
                   "has_streaming_input": False, "auth_type": model.resolved_auth_type}  # fmt: skip
        params = client._emit_api_params(api_params=params, operation_model=model, context=context)
        url, target, content_type = self._protocol
        request_dict = {
            "url_path": "/", "query_string": "", "method": "POST", "url": url, "context": context,
            "headers": {"X-Amz-Target": f"{target}{operation_name}", "Content-Type": content_type},
            "body": json.dumps(params, default=_as_json).encode(),
        }  # fmt: skip
        events = client.meta.events
        _, stubbed = events.emit_until_response(f"before-call.dynamodb.{operation_name}", model=model,
                                                params=request_dict, request_signer=client._request_signer,
                                                context=context)  # fmt: skip
        if stubbed is not None:
            http, parsed = stubbed
        else:
            try:
                http = self._send(operation_name, request_dict)
            except HTTPClientError:  # no answer (it may have applied): sent again as botocore would
                return client._make_api_call(operation_name, params)  # type: ignore[no-any-return]
            parsed = _parsed(client, http, model)
            if parsed is None or _retried(http, parsed, model, context):
                return client._make_api_call(operation_name, params)  # type: ignore[no-any-return]
        events.emit(f"after-call.dynamodb.{operation_name}", http_response=http, parsed=parsed, model=model,
                    context=context)  # fmt: skip
        if http.status_code >= 300:
            raise client.exceptions.from_code(parsed.get("Error", {}).get("Code"))(parsed, operation_name)
        return parsed  # type: ignore[no-any-return]

    def _send(self, operation_name: str, request_dict: dict[str, Any]) -> AWSResponse:
        client = self.botocore
        request = create_request_object(request_dict)
        client._request_signer.sign(operation_name, request)
        prepared = client._endpoint.prepare_request(request)
        _, answer = client.meta.events.emit_until_response(f"before-send.dynamodb.{operation_name}",
                                                           request=prepared)  # fmt: skip
        return answer if answer is not None else client._endpoint.http_session.send(prepared)


def _retried(http: AWSResponse, parsed: dict[str, Any], model: Any, context: dict[str, Any]) -> bool:
    """Whether botocore's standard policy retries this answer to a first attempt."""
    first = RetryContext(1, model, parsed, http, None, context)
    return http.status_code >= 300 and bool(_RETRIED.is_retryable(first))


def _parsed(client: Any, http: AWSResponse, model: Any) -> Any:
    """An answer as botocore parses it (binary values as bytes); None for a body damaged on the way (its CRC32
    differs from the one DynamoDB sent), which botocore retries."""
    body = http.content
    checksum = http.headers.get("x-amz-crc32")
    if checksum is not None and zlib.crc32(body) != int(checksum):
        return None
    if http.status_code >= 300:  # as botocore's endpoint parses it, with the error's modelled members
        answer, parser = convert_to_response_dict(http, model), client._response_parser
        parsed = parser.parse(answer, model.output_shape)
        client._endpoint._add_modeled_error_fields(answer, parsed, model, parser)
        return parsed
    return json.loads(body, object_hook=_binary_as_bytes) if body else {}


def _as_json(value: Any) -> Any:
    """What ``json`` cannot dump itself: binary values (sent as base64) and sets (as lists)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not a DynamoDB JSON value")


def _binary_as_bytes(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute value of binary (``B``) or a binary set (``BS``) with its base64 decoded; any other as it is.
    Only an attribute value has a single member named so holding text (a map's members are attribute values)."""
    if len(value) == 1:
        if type(found := value.get("B")) is str:
            return {"B": base64.b64decode(found)}
        if type(found := value.get("BS")) is list:
            return {"BS": [base64.b64decode(member) for member in found]}
    return value
