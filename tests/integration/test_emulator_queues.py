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
