"""The short way of DynamoDB's item operations (``chalicelib.shared.wire``) answers, fails and retries as botocore's own
call does, against moto."""

import datetime
import json
import zlib
from unittest.mock import ANY

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError
from botocore.history import BaseHistoryHandler, get_global_history_recorder
from moto import mock_aws

from chalicelib.shared.wire import WireClient

TABLE = "wire"
ITEM = {
    "pk": {"S": "a"},
    "sk": {"N": "1"},
    "events": {"B": b"\x01\x9d\x94K\x00\xff"},
    "keys": {"BS": [b"\x00", b"\xfe\x01"]},
    "nested": {"M": {"B": {"B": b"\x02"}, "BS": {"S": "a map member named BS"}, "L": {"L": [{"N": "-1.5"}]}}},
    "tags": {"SS": ["x", "y"]},
    "name": {"S": "会员"},
    "flag": {"BOOL": False},
    "nothing": {"NULL": True},
}
KEY = {"pk": {"S": "a"}, "sk": {"N": "1"}}


@pytest.fixture
def clients():
    """A botocore client and the short way over another, both answered by moto; a table holding ``ITEM``."""
    with mock_aws():
        plain = boto3.client("dynamodb", region_name="cn-north-1")
        plain.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "N"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        )  # fmt: skip
        plain.put_item(TableName=TABLE, Item=ITEM)
        yield plain, WireClient(boto3.client("dynamodb", region_name="cn-north-1"))


def _answer(parsed):
    """An answer without what differs from one request to the next (the request id, the date)."""
    metadata = parsed.get("ResponseMetadata", {})
    kept = {name: value for name, value in metadata.items() if name not in {"RequestId", "HTTPHeaders"}}
    headers = sorted(name for name in metadata.get("HTTPHeaders", {}) if name not in {"date", "x-amzn-requestid"})
    return {**parsed, "ResponseMetadata": {**kept, "headers": headers}}


def _sends(client):
    """The requests ``client`` hands its HTTP layer, by operation (moto answers on the same event, after this)."""
    sent = []
    client.meta.events.register_first("before-send.dynamodb", lambda request, **_: sent.append(request))
    return sent


READS = [
    ("GetItem", {"TableName": TABLE, "Key": KEY, "ConsistentRead": True, "ReturnConsumedCapacity": "TOTAL"}),
    ("Query", {"TableName": TABLE, "KeyConditionExpression": "pk = :pk",
               "ExpressionAttributeValues": {":pk": {"S": "a"}}}),
    ("Scan", {"TableName": TABLE}),
    ("BatchGetItem", {"RequestItems": {TABLE: {"Keys": [KEY]}}}),
    ("TransactGetItems", {"TransactItems": [{"Get": {"TableName": TABLE, "Key": KEY}}]}),
    ("UpdateItem", {"TableName": TABLE, "Key": KEY, "UpdateExpression": "SET events = :e",
                    "ExpressionAttributeValues": {":e": {"B": b"\x01\x9d\x94K\x00\xff"}}, "ReturnValues": "ALL_NEW"}),
]  # fmt: skip


@pytest.mark.parametrize(("operation", "params"), READS, ids=[operation for operation, _ in READS])
def test_an_item_operation_answers_what_botocore_answers_binary_values_as_bytes(clients, operation, params):
    plain, wire = clients
    sent = _sends(wire)
    assert _answer(wire._make_api_call(operation, params)) == _answer(plain._make_api_call(operation, params))
    assert [request.headers["X-Amz-Target"] for request in sent] == [f"DynamoDB_20120810.{operation}".encode()]


def test_what_the_short_way_writes_is_what_botocore_writes(clients):
    plain, wire = clients
    wire._make_api_call("PutItem", {"TableName": TABLE, "Item": {**ITEM, "sk": {"N": "2"}}})
    wire._make_api_call("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": {**ITEM, "sk": {"N": "3"}}}},
        {"Update": {"TableName": TABLE, "Key": KEY, "UpdateExpression": "SET #k = :k",
                    "ExpressionAttributeNames": {"#k": "keys"},
                    "ExpressionAttributeValues": {":k": {"BS": [b"\x07"]}}}},
    ]})  # fmt: skip
    wire._make_api_call(
        "BatchWriteItem", {"RequestItems": {TABLE: [{"PutRequest": {"Item": {**ITEM, "sk": {"N": "4"}}}}]}}
    )
    stored = {item["sk"]["N"]: item for item in plain.scan(TableName=TABLE)["Items"]}
    assert {sk: stored[sk] for sk in "234"} == {sk: {**ITEM, "sk": {"N": sk}} for sk in "234"}
    assert stored["1"]["keys"] == {"BS": [b"\x07"]}
    wire._make_api_call("DeleteItem", {"TableName": TABLE, "Key": {**KEY, "sk": {"N": "4"}}})
    assert "Item" not in plain.get_item(TableName=TABLE, Key={**KEY, "sk": {"N": "4"}})


def test_a_refused_write_raises_botocores_exception_with_its_modelled_members(clients):
    plain, wire = clients
    put = {"TableName": TABLE, "Item": ITEM, "ConditionExpression": "attribute_not_exists(pk)",
           "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}  # fmt: skip
    transaction = {
        "TransactItems": [
            {"Put": put},
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": {**KEY, "sk": {"N": "9"}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        ]
    }
    for operation, params, error in [("PutItem", put, "ConditionalCheckFailedException"),
                                     ("TransactWriteItems", transaction, "TransactionCanceledException")]:  # fmt: skip
        raised = []
        for client in (wire, plain):
            with pytest.raises(ClientError) as caught:
                client._make_api_call(operation, params)
            raised.append(caught.value)
        ours, botocores = raised
        assert type(ours) is type(botocores)
        assert ours.response["Error"]["Code"] == error
        assert _answer(ours.response) == _answer(botocores.response)
    assert [reason["Code"] for reason in ours.response["CancellationReasons"]] == [
        "ConditionalCheckFailed",
        "ConditionalCheckFailed",
    ]
    assert ours.response["CancellationReasons"][0]["Item"] == ITEM


def _throttled() -> AWSResponse:
    body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                       "message": "Rate exceeded"}).encode()  # fmt: skip
    return AWSResponse("https://dynamodb", 400, {"x-amz-crc32": str(zlib.crc32(body))}, _Raw(body))


def _damaged() -> AWSResponse:
    body = json.dumps({"Item": {"pk": {"S": "a"}}}).encode()
    return AWSResponse("https://dynamodb", 200, {"x-amz-crc32": str(zlib.crc32(body) ^ 1)}, _Raw(body))


def _cut_short() -> AWSResponse:
    body = json.dumps({"Item": {"pk": {"S": "a"}}}).encode()
    return AWSResponse("https://dynamodb", 200, {"x-amz-crc32": str(zlib.crc32(body))}, _Raw(body[:-9]))


def _lost() -> AWSResponse:
    raise ConnectionClosedError(endpoint_url="https://dynamodb")


def _refused() -> AWSResponse:
    raise EndpointConnectionError(endpoint_url="https://dynamodb")


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *args, **kwargs):
        yield self.body


def _faulty(client, fault, times):
    """The attempts ``client`` sends, the first ``times`` of them answered by ``fault`` (the rest by moto)."""
    attempts = []

    def answer(request, **_):
        attempts.append(request)
        return fault() if len(attempts) <= times else None

    client.meta.events.register_first("before-send.dynamodb", answer)
    return attempts


@pytest.mark.parametrize(
    "fault",
    [_throttled, _damaged, _cut_short, _lost, _refused],
    ids=["throttled", "damaged", "cut-short", "lost", "refused"],
)
@pytest.mark.parametrize("times", [1, 3, 10], ids=["once", "to-the-last-attempt", "throughout"])
def test_a_fault_is_retried_as_botocore_retries_it(clients, monkeypatch, fault, times):
    """botocore's own retries, attempt for attempt: the configured attempts, then botocore's exception."""
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)
    plain, wire = clients
    outcomes = []
    for client in (plain, wire):
        attempts = _faulty(client, fault, times)
        try:
            outcome = _answer(client._make_api_call("GetItem", {"TableName": TABLE, "Key": KEY}))
        except Exception as e:
            outcome = type(e)
        outcomes.append((outcome, len(attempts)))
    assert outcomes[1] == outcomes[0]  # its answer too: the last attempt's is marked MaxAttemptsReached
    assert outcomes[0][1] == (2 if times == 1 else 4)  # botocore's standard mode: four attempts in all


def test_a_refusal_botocore_does_not_retry_is_sent_once(clients):
    _, wire = clients
    sent = _sends(wire)
    with pytest.raises(ClientError) as caught:
        wire._make_api_call("GetItem", {"TableName": "no-such-table", "Key": KEY})
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert len(sent) == 1


def test_other_operations_and_attributes_are_the_clients_own(clients):
    _, wire = clients
    described = wire.describe_table(TableName=TABLE)["Table"]
    assert isinstance(described["CreationDateTime"], datetime.datetime)  # parsed by botocore's model
    assert wire.meta is wire.botocore.meta


def test_the_request_is_botocores_own_request_for_the_same_call(clients):
    """Same method, URL, body and headers (their values too, but for the date, the signature over it, the
    invocation's id and the user agent's metrics): DynamoDB verifies the signature (moto does not)."""
    plain, wire = clients
    ours, botocores = _sends(wire), _sends(plain)
    params = {"TableName": TABLE, "Key": KEY, "ConsistentRead": True}
    wire._make_api_call("GetItem", params)
    plain._make_api_call("GetItem", params)
    (sent,), (expected,) = ours, botocores
    assert (sent.method, sent.url, sent.body) == (expected.method, expected.url, expected.body)
    varying = {"X-Amz-Date", "Authorization", "amz-sdk-invocation-id"}

    def headers(request):
        kept = {name: value for name, value in request.headers.items() if name not in varying}
        agent = kept.pop("User-Agent").split(b" ")  # less its business metrics (m/...): botocore counts the
        return kept, [part for part in agent if not part.startswith(b"m/")]  # credentials' each time it resolves

    assert headers(sent) == headers(expected)
    assert set(sent.headers) == set(expected.headers)

    def signed(request):
        return request.headers["Authorization"].decode().split("SignedHeaders=")[1].split(",")[0]

    assert signed(sent) == signed(expected)
    assert "x-amz-target" in signed(sent).split(";")


def _traced(params, **_):
    params["headers"]["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_the_signature_is_botocores_at_the_same_instant_with_a_session_token(monkeypatch):
    """Every header botocore signs and sends, the signature itself too, at one instant (and the signing key made for
    one day is made again the next)."""
    with mock_aws():
        made = [boto3.client("dynamodb", region_name="cn-north-1", aws_access_key_id="AKID",
                             aws_secret_access_key="secret", aws_session_token="TOKEN") for _ in range(2)]  # fmt: skip
        plain, wire = made[0], WireClient(made[1])
        for day in (1, 2):
            instant = datetime.datetime(2026, 12, day, 8, 30, 5)
            monkeypatch.setattr("botocore.auth.get_current_datetime", lambda instant=instant: instant)
            monkeypatch.setattr("chalicelib.shared.wire.get_current_datetime", lambda instant=instant: instant)
            ours, botocores = _sends(wire), _sends(plain)
            params = {"TableName": TABLE, "Key": KEY}
            for client in (wire, plain):  # a header botocore leaves out of the signature (W3C trace context)
                client.meta.events.register("before-call.dynamodb.GetItem", _traced)
            for client in (wire, plain):
                with pytest.raises(ClientError):  # no such table: signed and sent all the same
                    client._make_api_call("GetItem", params)
            (sent,), (expected,) = ours, botocores
            for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token", "Content-Type", "X-Amz-Target"):
                assert sent.headers[name] == expected.headers[name]
            assert f"/202612{day:02}/cn-north-1/dynamodb/aws4_request".encode() in sent.headers["Authorization"]
            assert b"x-amz-security-token" in sent.headers["Authorization"]
            assert b"traceparent" not in sent.headers["Authorization"]
            for client in (wire, plain):
                client.meta.events.unregister("before-call.dynamodb.GetItem", _traced)


def test_with_botocores_history_recorded_a_call_goes_botocores_way_from_the_first(monkeypatch):
    recorded = []

    class Recorder(BaseHistoryHandler):
        def emit(self, event_type, payload, source):
            recorded.append(event_type)

    with mock_aws():
        plain = boto3.client("dynamodb", region_name="cn-north-1")
        plain.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])  # fmt: skip
        wire = WireClient(boto3.client("dynamodb", region_name="cn-north-1"))
        history = get_global_history_recorder()
        handler = Recorder()
        history.add_handler(handler)
        history.enable()
        try:
            assert wire._make_api_call("GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "a"}}}) == {
                "ResponseMetadata": ANY
            }
        finally:
            history.disable()
            history._handlers.remove(handler)
    assert "HTTP_REQUEST" in recorded


def _made_by_botocore(monkeypatch) -> list[int]:
    """One element per request botocore's endpoint makes (the short way makes its own)."""
    made: list[int] = []
    create_request = botocore.endpoint.Endpoint.create_request

    def counted(endpoint, *args, **kwargs):
        made.append(1)
        return create_request(endpoint, *args, **kwargs)

    monkeypatch.setattr(botocore.endpoint.Endpoint, "create_request", counted)
    return made


def test_an_item_operation_goes_the_short_way_and_a_handler_around_signing_sends_it_botocores_way(clients, monkeypatch):
    plain, wire = clients
    made = _made_by_botocore(monkeypatch)
    params = {"TableName": TABLE, "Key": KEY}
    assert wire._make_api_call("GetItem", params)["Item"] == ITEM
    assert made == []
    signed_by = []
    wire.meta.events.register("before-sign.dynamodb.GetItem", lambda request, **_: signed_by.append(request))
    assert _answer(wire._make_api_call("GetItem", params)) == _answer(plain._make_api_call("GetItem", params))
    assert made == [1, 1]  # botocore made the request for either client
    assert len(signed_by) == 1  # and signed it, calling the handler


def test_with_another_botocore_than_the_one_pinned_every_call_goes_botocores_way(clients, monkeypatch):
    plain, wire = clients
    monkeypatch.setattr("chalicelib.shared.wire._KNOWN_BOTOCORE", False)
    made = _made_by_botocore(monkeypatch)
    params = {"TableName": TABLE, "Key": KEY}
    assert _answer(wire._make_api_call("GetItem", params)) == _answer(plain._make_api_call("GetItem", params))
    assert made == [1, 1]
