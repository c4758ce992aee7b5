"""The short way of DynamoDB's item operations (``chalicelib.shared.wire``) answers, fails and retries as botocore's own
call does, against moto."""

import datetime
import json
import zlib

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, ConnectionClosedError
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
    return {name: value for name, value in parsed.items() if name != "ResponseMetadata"}


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
    wire.put_item(TableName=TABLE, Item={**ITEM, "sk": {"N": "2"}})
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


def _lost() -> AWSResponse:
    raise ConnectionClosedError(endpoint_url="https://dynamodb")


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *args, **kwargs):
        yield self.body


@pytest.mark.parametrize("first", [_throttled, _damaged, _lost], ids=["throttled", "damaged", "lost"])
def test_an_outcome_botocore_retries_is_sent_again_through_botocores_own_call(clients, first):
    plain, wire = clients
    wire.meta.config.retries = {"total_max_attempts": 1}  # botocore's call makes one attempt of its own
    attempts = []

    def once(request, **_):
        attempts.append(request)
        return first() if len(attempts) == 1 else None  # then moto answers

    wire.meta.events.register_first("before-send.dynamodb", once)
    params = {"TableName": TABLE, "Key": KEY}
    assert _answer(wire._make_api_call("GetItem", params)) == _answer(plain.get_item(**params))
    assert len(attempts) == 2


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


def test_the_request_signs_and_carries_what_botocores_own_request_does(clients):
    """Same method, URL, body and signed headers as botocore's request for the same call: DynamoDB verifies the
    signature over them (moto does not), so they must not differ."""
    plain, wire = clients
    ours, botocores = _sends(wire), _sends(plain)
    params = {"TableName": TABLE, "Key": KEY, "ConsistentRead": True}
    wire._make_api_call("GetItem", params)
    plain._make_api_call("GetItem", params)
    (sent,), (expected,) = ours, botocores
    assert (sent.method, sent.url) == (expected.method, expected.url)
    assert json.loads(sent.body) == json.loads(expected.body)

    def signed(request):
        authorization = request.headers["Authorization"].decode()
        names = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
        return {name: request.headers.get(name) for name in names if name not in {"x-amz-date", "host"}}, names

    assert signed(sent) == signed(expected)
    assert "x-amz-date" in signed(sent)[1]
