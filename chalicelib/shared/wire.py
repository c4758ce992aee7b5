"""DynamoDB's item operations sent by botocore's client without its walks of the service model.

Of a warm DynamoDB call, botocore spends about half its CPU before and after the network: it serializes the
parameters by walking the operation's model, resolves the endpoint through its rules on every call (a JMESPath
search of every transaction for its tables) and parses the answer by walking the model again. The item operations
(``ITEM_OPERATIONS``) send and receive DynamoDB JSON, which pynamodb builds and reads already, so their request
body is dumped and their answer loaded as they are (binary values as the protocol's base64), and their endpoint is
resolved once per operation (the tables are named, never ARNs, so each call would resolve the same).

The rest is botocore's own, so whatever hooks it keeps working: the client's events (``provide-client-params`` and
``before-parameter-build``, which fills a transaction's ``ClientRequestToken``; ``before-call``, on which a stub
answers; ``request-created``, on which the client signs; ``before-send``, on which moto and the emulator answer;
``needs-retry``, ``after-call``), its user agent, its HTTP session (pool, timeouts, proxies), its retries
(``Endpoint``'s loop: the configured attempts, back-off, quota and CRC32 check), its parsing of an error with the
error's modelled members, and its exception classes. Other operations go the client's way whole.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from botocore.awsrequest import prepare_request_dict
from botocore.context import get_context, start_as_current_context
from botocore.endpoint import Endpoint
from botocore.parsers import JSONParser

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
        self._endpoint = Endpoint(sent_by.host, sent_by._endpoint_prefix, client.meta.events,
                                  response_parser_factory=_Parsers(sent_by._response_parser_factory),
                                  http_session=sent_by.http_session)  # fmt: skip
        self._resolved: dict[str, tuple[str, dict[str, Any], dict[str, Any], set[str]]] = {}

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
        prepare_request_dict(
            request, endpoint_url=url, context=context, user_agent=client._user_agent_creator.to_string()
        )
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
        signing, the features named); resolved once per operation, unless a table is named by its ARN."""
        features = get_context().features
        if model.name not in self._resolved or b'"arn:' in body:
            found_before = set(features)
            url, headers, properties = self.botocore._resolve_endpoint_ruleset(model, params, context)
            if properties:
                context["endpoint_properties"] = properties
            added: dict[str, Any] = {
                name: context[name] for name in ("auth_type", "signing", "endpoint_properties") if name in context
            }
            self._resolved[model.name] = url, headers, copy.deepcopy(added), features - found_before
            return url, headers
        url, headers, added, named = self._resolved[model.name]
        context.update(copy.deepcopy(added))
        features.update(named)
        return url, headers


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
            parsed = json.loads(response["body"], object_hook=_binary_as_bytes) if response["body"] else {}
        except ValueError:
            return super()._do_parse(response, shape)  # type: ignore[no-any-return]
        self._inject_response_metadata(parsed, response["headers"])
        return parsed


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
