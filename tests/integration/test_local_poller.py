"""The local stack's poller does what an SQS event source mapping does: batches of up to the queue's batch size
handed to the handler as one SQS event, only the messages the handler did not report as failed deleted, and only
queues that got messages asked (besides a look at every queue now and then)."""

import time

import boto3
import pytest
from moto import mock_aws

from chalicelib.local import arrivals, poller, queues
from chalicelib.platform import handlers

REGION = "cn-north-1"


@pytest.fixture
def sqs(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    poller._sqs.cache_clear()
    queues.install()
    arrivals.install()
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)
    poller._sqs.cache_clear()


def send(sqs, url, count):
    for start in range(0, count, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"m{start + n}"}
                                                      for n in range(min(10, count - start))])  # fmt: skip


def test_a_delivery_takes_a_batch_in_several_receives_and_deletes_only_what_did_not_fail(sqs, monkeypatch):
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    send(sqs, url, 25)
    calls = []

    def handler(event, context):
        calls.append(event["Records"])
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]
                                      if r["body"] in ("m3", "m17")]}  # fmt: skip

    monkeypatch.setattr(handlers, "fake_events", handler, raising=False)
    assert poller.deliver(poller.Delivery(url, "fake_events", batch_size=20)) == 20
    [records] = calls
    assert [r["body"] for r in records] == [f"m{n}" for n in range(20)]
    assert all(r["attributes"]["ApproximateReceiveCount"] == "1" and r["eventSource"] == "aws:sqs" for r in records)
    time.sleep(1.1)  # the two that failed are visible again
    assert poller.deliver(poller.Delivery(url, "fake_events", batch_size=20)) == 7  # 5 left and 2 back (failed)
    assert sorted(r["body"] for r in calls[1]) == sorted(["m3", "m17", *(f"m{n}" for n in range(20, 25))])
    redelivered = {r["body"]: r["attributes"]["ApproximateReceiveCount"] for r in calls[1]}
    assert (redelivered["m3"], redelivered["m20"]) == ("2", "1")
    time.sleep(1.1)
    assert poller.deliver(poller.Delivery(url, "fake_events", batch_size=20)) == 2  # m3 and m17 again


def test_a_handler_that_raises_deletes_nothing(sqs, monkeypatch):
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    send(sqs, url, 3)
    monkeypatch.setattr(handlers, "fake_events", lambda event, context: 1 / 0, raising=False)
    assert poller.deliver(poller.Delivery(url, "fake_events", batch_size=10)) == 3
    time.sleep(1.1)
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 3


def test_the_poller_serves_the_queues_that_got_messages_and_comes_back_while_batches_are_full(sqs, monkeypatch):
    from chalicelib.shared.topology import QUEUES

    urls = {spec.logical_name: sqs.create_queue(QueueName=f"t-{spec.logical_name}")["QueueUrl"] for spec in QUEUES}
    delivered, served = [], []

    def deliver(delivery):  # a full batch the first time a queue is served, then part of one
        delivered.append(delivery.handler)
        served.append(delivery.handler)
        return delivery.batch_size if served.count(delivery.handler) == 1 else min(3, delivery.batch_size - 1)

    monkeypatch.setattr(poller, "deliver", deliver)
    local = poller.QueuePoller(urls, {}, workers=0)
    local.step()  # the first step looks at every queue
    assert len(delivered) == len(QUEUES)
    delivered.clear()
    arrivals.QUEUE_MESSAGES.take()
    assert local.step() is True  # the full ones are served again
    assert sorted(delivered) == sorted({spec.handler for spec in QUEUES})
    delivered.clear()
    assert local.step() is False  # none was full, none got messages
    send(sqs, urls["statistics"], 1)
    assert local.step() is True
    assert delivered == ["statistics_events"]
