"""The emulator's SQS retention check answers as moto's own, without counting the queue's messages."""

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import SQSBackend, sqs_backends

from chalicelib.local import queues

ORIGINAL = SQSBackend.is_message_valid_based_on_retention_period


@pytest.mark.parametrize("age_seconds", [0, 59, 61, 3600])
def test_retention_answers_match_moto(age_seconds):
    with mock_aws():
        sqs = boto3.client("sqs", region_name="cn-north-1")
        url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        for n in range(5):
            sqs.send_message(QueueUrl=url, MessageBody=str(n))
        backend = sqs_backends[DEFAULT_ACCOUNT_ID]["cn-north-1"]
        message = backend.get_queue("q")._messages[0]
        message.sent_timestamp -= age_seconds * 1000
        assert queues.is_message_valid_based_on_retention_period(backend, "q", message) == ORIGINAL(
            backend, "q", message
        )


def test_approximate_counts_catch_up_within_a_second(monkeypatch):
    queues.install()
    clock = {"now": 1000.0}
    monkeypatch.setattr(queues.time, "monotonic", lambda: clock["now"])
    with mock_aws():
        sqs = boto3.client("sqs", region_name="cn-north-1")
        url = sqs.create_queue(QueueName="counted")["QueueUrl"]

        def count():
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

        assert count() == 0
        for n in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=str(n))
        clock["now"] += queues.COUNT_REFRESH_SECONDS
        assert count() == 3
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in received] == ["0", "1", "2"]


def test_a_receive_reads_only_the_oldest_messages_it_takes(monkeypatch):
    """Ten messages out of a backlog of 2,000 read about ten messages, not the backlog."""
    from moto.sqs.models import Message

    queues.install()
    looked_at = {"count": 0}
    visible = Message.visible

    def counted(message):
        looked_at["count"] += 1
        return visible.fget(message)

    with mock_aws():
        sqs = boto3.client("sqs", region_name="cn-north-1")
        url = sqs.create_queue(QueueName="backlog")["QueueUrl"]
        for start in range(0, 2000, 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": str(start + n)}
                                                          for n in range(10)])  # fmt: skip
        monkeypatch.setattr(Message, "visible", property(counted))
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in received] == [str(n) for n in range(10)]
        assert looked_at["count"] <= 20
        following = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in following] == [str(n) for n in range(10, 20)]  # in flight ones are passed by


def test_deletes_by_receipt_handle_answer_as_moto_does():
    queues.install()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="cn-north-1")
        url = sqs.create_queue(QueueName="deletes", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="a")
        sqs.send_message(QueueUrl=url, MessageBody="b")
        old = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"][0]
        new = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"][0]
        assert old["Body"] == new["Body"] == "a"  # visible again at once, received again with a new handle
        sqs.delete_message(QueueUrl=url, ReceiptHandle=old["ReceiptHandle"])  # any handle it was given works
        sqs.delete_message(QueueUrl=url, ReceiptHandle=new["ReceiptHandle"])  # deleting twice is fine
        answer = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "x", "ReceiptHandle": "no-such-handle"}])
        assert answer["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["b"]
