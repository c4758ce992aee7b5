"""The emulator rings a bell when a stream gets a record or a queue a message; a local worker sleeps until then."""

import threading
import time

import boto3
import pytest

from chalicelib.local.arrivals import QUEUE_MESSAGES, STREAM_RECORDS, Bell
from chalicelib.local.emulator import LockedEmulator
from chalicelib.local.stack import Worker

REGION = "ap-east-1"  # a region of its own: moto's backends are shared by every emulator in a process


@pytest.fixture(scope="module")
def endpoint():
    emulator = LockedEmulator()
    emulator.start()
    yield emulator.endpoint_url
    emulator.stop()


def eventually(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.01)


def test_a_ring_between_looking_and_waiting_is_not_missed():
    bell = Bell()
    seen = bell.rings
    bell.ring()
    started = time.monotonic()
    bell.wait(seen, timeout=30)
    assert time.monotonic() - started < 5


def test_stream_records_and_queued_messages_ring_their_bells(endpoint):
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    dynamodb.create_table(
        TableName="arrivals-outbox",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
    url = sqs.create_queue(QueueName="arrivals")["QueueUrl"]

    records, messages = STREAM_RECORDS.rings, QUEUE_MESSAGES.rings
    dynamodb.put_item(TableName="arrivals-outbox", Item={"id": {"S": "1"}})
    assert (STREAM_RECORDS.rings, QUEUE_MESSAGES.rings) == (records + 1, messages)
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert (STREAM_RECORDS.rings, QUEUE_MESSAGES.rings) == (records + 1, messages + 1)


def test_an_idle_worker_sleeps_until_its_bell_rings():
    bell, steps = Bell(), []

    def step():
        steps.append(time.monotonic())
        return len(steps) == 2  # the step the ring wakes finds work

    worker = Worker("test", step, bell, idle=60)
    worker.start()
    try:
        eventually(lambda: len(steps) == 1)
        time.sleep(0.5)
        assert len(steps) == 1  # nothing to do, and no bell: no polling
        threading.Timer(0.1, bell.ring).start()
        eventually(lambda: len(steps) == 3)  # woken; that step was busy, so the next follows at once
        time.sleep(0.5)
        assert len(steps) == 3
    finally:
        worker.stop()
        worker.join(timeout=5)
    assert not worker.is_alive()
