"""Events: committed with the change, relayed to the topic, consumed exactly once however often delivered."""

import json
from datetime import datetime

import boto3
import pytest

from chalicelib.platform.handlers import outbox_relay, statistics_events
from chalicelib.shared.clock import business_date
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import AlreadyExists
from chalicelib.shared.events import Event, OutboxRecord, emit, emit_all, new_event
from chalicelib.shared.settings import get_settings
from chalicelib.stats.listeners import daily_counts
from chalicelib.stores.records import StoreRecord
from tests.conftest import REGION

STORE = {"name": "Jing'an", "city": "Shanghai", "region": "East", "store_id": "SH-001"}


def stream_records():
    """The outbox items as the table's stream hands them to the relay."""
    return [
        {
            "eventName": "INSERT",
            "dynamodb": {"NewImage": {"event_id": {"S": r.event_id}, "envelope": {"S": r.envelope}}},
        }
        for r in OutboxRecord.scan()
    ]


@pytest.fixture
def api(api):
    """The API, with the outbox emptied of the events its admin's creation left."""
    for record in OutboxRecord.scan():
        record.delete()
    return api


def receive(queue_url, wait=0):
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get("Messages", [])
    return [{"messageId": m["MessageId"], "body": m["Body"]} for m in messages]


def test_an_event_commits_with_its_change_or_not_at_all(aws):
    tx = Transaction()
    tx.put(StoreRecord("SH-001", name="n", city="c", region="r", status="open", created_at="t", updated_at="t"),
           condition=StoreRecord.store_id.does_not_exist(), on_fail=AlreadyExists())  # fmt: skip
    emit(tx, new_event("store.created", "store/SH-001", {"store_id": "SH-001"}))
    tx.commit()
    assert OutboxRecord.count() == 1

    tx = Transaction()
    tx.put(StoreRecord("SH-001", name="n", city="c", region="r", status="open", created_at="t", updated_at="t"),
           condition=StoreRecord.store_id.does_not_exist(), on_fail=AlreadyExists())  # fmt: skip
    emit(tx, new_event("store.created", "store/SH-001", {"store_id": "SH-001"}))
    with pytest.raises(AlreadyExists):
        tx.commit()
    assert OutboxRecord.count() == 1


def test_the_relay_publishes_envelopes_that_reach_subscribed_queues(aws, api):
    api.post("/v1/stores", STORE)
    assert outbox_relay({"Records": stream_records()}, None) == {"published": 1}
    messages = receive(aws.queue_urls["statistics"])
    assert len(messages) == 1
    event = Event.model_validate_json(messages[0]["body"])
    assert event.type == "store.created"
    assert event.subject == "store/SH-001"
    assert event.payload["store_id"] == "SH-001"
    assert receive(aws.queue_urls["jobs"]) == []


def test_the_events_of_one_transaction_share_one_outbox_item_and_are_relayed_one_by_one(aws, api):
    tx = Transaction()
    tx.put(StoreRecord("SH-001", name="n", city="c", region="r", status="open", created_at="t", updated_at="t"))
    emit_all(tx, [new_event("store.created", "store/SH-001", {"store_id": "SH-001"}),
                  new_event("store.updated", "store/SH-001", {"store_id": "SH-001", "changed": ["name"]})])  # fmt: skip
    tx.commit()
    assert OutboxRecord.count() == 1
    assert outbox_relay({"Records": stream_records()}, None) == {"published": 2}
    messages = receive(aws.queue_urls["statistics"])
    assert sorted(Event.model_validate_json(m["body"]).type for m in messages) == ["store.created", "store.updated"]


def test_the_relay_ignores_removals(aws):
    assert outbox_relay({"Records": [{"eventName": "REMOVE", "dynamodb": {}}]}, None) == {"published": 0}


def test_a_consumer_counts_an_event_once_however_often_it_is_delivered(aws, api):
    api.post("/v1/stores", STORE)
    outbox_relay({"Records": stream_records() * 2}, None)  # the stream and SNS may each deliver twice
    messages = receive(aws.queue_urls["statistics"])
    assert len(messages) == 2
    for _ in range(2):
        assert statistics_events({"Records": messages}, None) == {"batchItemFailures": []}
    event = Event.model_validate_json(messages[0]["body"])
    day = business_date(datetime.fromisoformat(event.occurred_at), get_settings().tz).isoformat()
    assert daily_counts(day) == {"store.created": 1, "store.created@SH-001": 1}


def test_a_message_that_fails_is_reported_alone_for_redelivery(aws, api):
    api.post("/v1/stores", STORE)
    outbox_relay({"Records": stream_records()}, None)
    good = receive(aws.queue_urls["statistics"])
    bad = {"messageId": "broken-1", "body": json.dumps({"not": "an event"})}
    result = statistics_events({"Records": [bad, *good]}, None)
    assert result == {"batchItemFailures": [{"itemIdentifier": "broken-1"}]}


def test_a_delivery_of_several_events_is_counted_in_one_transaction_with_its_counters_summed(aws, api, monkeypatch):
    for n in range(3):
        api.post("/v1/stores", {**STORE, "store_id": f"SH-00{n}"})
    outbox_relay({"Records": stream_records()}, None)
    messages = receive(aws.queue_urls["statistics"])
    commits = []
    original = Transaction.commit
    monkeypatch.setattr(Transaction, "commit", lambda tx: (commits.append(len(tx)), original(tx))[1])
    assert statistics_events({"Records": messages}, None) == {"batchItemFailures": []}
    assert commits == [3 + 1 + 3]  # three markers, one summed "store.created" counter, one counter per store
    day = business_date(datetime.fromisoformat(Event.model_validate_json(messages[0]["body"]).occurred_at),
                        get_settings().tz).isoformat()  # fmt: skip
    assert daily_counts(day)["store.created"] == 3


def test_a_delivery_holding_a_redelivered_event_counts_each_event_once(aws, api):
    for n in range(2):
        api.post("/v1/stores", {**STORE, "store_id": f"SH-00{n}"})
    outbox_relay({"Records": stream_records()}, None)
    first, second = receive(aws.queue_urls["statistics"])
    assert statistics_events({"Records": [first]}, None) == {"batchItemFailures": []}
    assert statistics_events({"Records": [first, second, second]}, None) == {"batchItemFailures": []}
    day = business_date(datetime.fromisoformat(Event.model_validate_json(first["body"]).occurred_at),
                        get_settings().tz).isoformat()  # fmt: skip
    assert daily_counts(day)["store.created"] == 2


def test_in_a_shared_delivery_only_the_event_that_fails_is_reported(aws, api, monkeypatch):
    from chalicelib.stats import listeners

    for n in range(3):
        api.post("/v1/stores", {**STORE, "store_id": f"SH-00{n}"})
    outbox_relay({"Records": stream_records()}, None)
    messages = receive(aws.queue_urls["statistics"])
    poisoned = Event.model_validate_json(messages[1]["body"]).event_id
    metrics_of = listeners.metrics_of

    def failing(event):
        if event.event_id == poisoned:
            raise RuntimeError("a consumer bug")
        return metrics_of(event)

    monkeypatch.setattr(listeners, "metrics_of", failing)
    assert statistics_events({"Records": messages}, None) == {
        "batchItemFailures": [{"itemIdentifier": messages[1]["messageId"]}]}  # fmt: skip
    monkeypatch.setattr(listeners, "metrics_of", metrics_of)
    assert statistics_events({"Records": messages}, None) == {"batchItemFailures": []}
    day = business_date(datetime.fromisoformat(Event.model_validate_json(messages[0]["body"]).occurred_at),
                        get_settings().tz).isoformat()  # fmt: skip
    assert daily_counts(day)["store.created"] == 3


def test_after_a_refused_shared_commit_only_the_events_it_left_are_consumed_one_by_one(aws, api, monkeypatch):
    from chalicelib.shared import events

    for n in range(3):
        api.post("/v1/stores", {**STORE, "store_id": f"SH-00{n}"})
    outbox_relay({"Records": stream_records()}, None)
    messages = receive(aws.queue_urls["statistics"])
    monkeypatch.setattr(events, "MAX_TRANSACTION_ITEMS", 4)  # an event's marker and counters: 3 items, one a commit
    tried, original = [], Transaction.commit

    def second_refused(tx, *args, **kwargs):
        tried.append(len(tried) + 1)
        if len(tried) == 2:
            raise RuntimeError("refused")  # the second shared commit, after the first took the first event
        return original(tx, *args, **kwargs)

    monkeypatch.setattr(Transaction, "commit", second_refused)
    assert statistics_events({"Records": messages}, None) == {"batchItemFailures": []}
    assert len(tried) == 2 + 2  # the two shared commits, then the two events the first did not take, one by one
    day = business_date(datetime.fromisoformat(Event.model_validate_json(messages[0]["body"]).occurred_at),
                        get_settings().tz).isoformat()  # fmt: skip
    assert daily_counts(day)["store.created"] == 3


def test_only_what_staff_and_operators_did_reaches_the_audit_queue(aws, api):
    from chalicelib.shared.context import Origin, acting_as

    api.post("/v1/stores", STORE)  # an admin's write
    with acting_as(Origin("system")):
        tx = Transaction()
        emit(tx, new_event("points.expired", "member/mb_1", {"member_id": "mb_1"}))  # a job's
        tx.commit()
    outbox_relay({"Records": stream_records()}, None)
    audited = [Event.model_validate_json(m["body"]).type for m in receive(aws.queue_urls["audit"])]
    counted = [Event.model_validate_json(m["body"]).type for m in receive(aws.queue_urls["statistics"])]
    assert (audited, sorted(counted)) == (["store.created"], ["points.expired", "store.created"])
