"""The local stack's own requests reach the emulator without a socket: the same answers, the same lock, the same
count of writes, and the other processes' requests still over HTTP."""

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.session import Session

from chalicelib.local import emulator as emulator_module
from chalicelib.local.emulator import LockedEmulator

REGION = "ap-southeast-3"  # a region of its own: moto's backends are shared by every emulator in a process


@pytest.fixture
def over_http(monkeypatch):
    """The requests the emulator's HTTP server answers, by target (or path)."""
    seen = []
    answer = emulator_module._QuietHandler.run_wsgi

    def counted(handler):
        seen.append(handler.headers.get("X-Amz-Target") or handler.path)
        answer(handler)

    monkeypatch.setattr(emulator_module._QuietHandler, "run_wsgi", counted)
    return seen


def test_clients_made_while_answering_this_process_get_http_s_answers_without_a_socket(over_http):
    made_by_botocore = Session.create_client
    emulator = LockedEmulator()
    emulator.start()
    try:
        http_client = boto3.client("dynamodb", region_name=REGION, endpoint_url=emulator.endpoint_url)
        emulator.answer_this_process()
        once = Config(retries={"total_max_attempts": 1})
        dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=emulator.endpoint_url, config=once)
        with pytest.raises(RuntimeError, match="already answers"):  # a second hand would apply each write twice
            emulator.answer_this_process()
        elsewhere = boto3.client("dynamodb", region_name=REGION, endpoint_url="http://127.0.0.1:9", config=once)

        dynamodb.create_table(
            TableName="in-process", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )  # fmt: skip
        writes = emulator.writes_by_table()
        dynamodb.put_item(TableName="in-process", Item={"id": {"S": "1"}, "n": {"N": "1"}})
        assert emulator.writes_by_table() == {**writes, "in-process": 1}  # the saver still learns the data changed
        with pytest.raises(ClientError) as refused:
            dynamodb.put_item(
                TableName="in-process", Item={"id": {"S": "1"}}, ConditionExpression="attribute_not_exists(id)"
            )
        assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
        assert emulator.writes_by_table() == {**writes, "in-process": 1}  # a refused write changed nothing
        assert http_client.get_item(TableName="in-process", Key={"id": {"S": "1"}})["Item"]["n"] == {"N": "1"}
        assert over_http == ["DynamoDB_20120810.GetItem"]  # only the client made before answered over HTTP

        s3 = boto3.client("s3", region_name=REGION, endpoint_url=emulator.endpoint_url)
        s3.create_bucket(Bucket="in-process", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket="in-process", Key="imports/a b.csv", Body=b"phone\n13800138000\n")
        assert s3.get_object(Bucket="in-process", Key="imports/a b.csv")["Body"].read(6) == b"phone\n"
        sqs = boto3.client("sqs", region_name=REGION, endpoint_url=emulator.endpoint_url)
        queue = sqs.create_queue(QueueName="in-process")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="hello")
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=queue)["Messages"]] == ["hello"]
        assert over_http == ["DynamoDB_20120810.GetItem"]
        with pytest.raises(Exception, match="Could not connect"):  # another endpoint is left to its socket
            elsewhere.get_item(TableName="in-process", Key={"id": {"S": "1"}})
    finally:
        emulator.stop()
    assert Session.create_client is made_by_botocore
    with pytest.raises(Exception, match="Could not connect"):  # a stopped emulator answers no one, in process or not
        dynamodb.get_item(TableName="in-process", Key={"id": {"S": "1"}})
