"""The local stack's data across a restart: what the emulator saved answers the same once reloaded, the reload
goes straight into the emulator's memory, and a snapshot is not reached by writes made after it."""

import json

import boto3
import pytest

from chalicelib.local.emulator import LockedEmulator, save

REGION = "cn-northwest-1"  # a region of its own: moto's backends are shared by every emulator in a process
LEDGER = {
    "TableName": "snapshot-ledger",
    "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in ("account", "entry", "day")],
    "KeySchema": [{"AttributeName": "account", "KeyType": "HASH"}, {"AttributeName": "entry", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "by-day",
            "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        },
    ],
}
OUTBOX = {
    "TableName": "snapshot-outbox",
    "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [{"AttributeName": "event_id", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "event_id", "KeyType": "HASH"}],
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
}
TABLES = [LEDGER["TableName"], OUTBOX["TableName"]]


def entry(account, n, blob=b"\x00\x01\x02"):
    """An item with every kind of attribute value, nested ones too (binary as boto3 takes it, or as saved)."""
    line = {"M": {"sku": {"S": f"sku-{n}"}, "qty": {"N": "2"}, "codes": {"SS": ["x"]}}}
    source = {"M": {"kind": {"S": "purchase"}, "refs": {"L": [{"N": "1"}, {"BOOL": False}]}}}
    return {
        "account": {"S": account},
        "entry": {"S": f"{n:04d}"},
        "day": {"S": f"2026-11-{1 + n % 3:02d}"},
        "points": {"N": str(n * 10)},
        "note": {"S": "积分 earned"},
        "blob": {"B": blob},
        "settled": {"BOOL": n % 2 == 0},
        "reversal_of": {"NULL": True},
        "tags": {"SS": ["a", f"t{n}"]},
        "amounts": {"NS": ["1", str(n + 2)]},
        "lines": {"L": [line, {"S": "x"}]},
        "source": source,
    }


@pytest.fixture(scope="module")
def emulator():
    emulator = LockedEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def dynamodb(emulator):
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=emulator.endpoint_url)
    for definition in (LEDGER, OUTBOX):
        client.create_table(**definition)
    yield client
    for name in TABLES:
        client.delete_table(TableName=name)


def everything(dynamodb):
    rows = {}
    for name in TABLES:
        items = dynamodb.scan(TableName=name, ConsistentRead=True)["Items"]
        rows[name] = sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=repr))
    return rows


def on_day(dynamodb, day):
    """Entries of a day, read through the table's global secondary index."""
    values = {":d": {"S": day}}
    query = {"IndexName": "by-day", "KeyConditionExpression": "#d = :d", "ExpressionAttributeNames": {"#d": "day"}}
    return dynamodb.query(TableName="snapshot-ledger", ExpressionAttributeValues=values, **query)["Items"]


def recreate(dynamodb):
    for name in TABLES:
        dynamodb.delete_table(TableName=name)
    for definition in (LEDGER, OUTBOX):
        dynamodb.create_table(**definition)


def test_a_reloaded_store_answers_as_the_saved_one(emulator, dynamodb, tmp_path):
    for n in range(30):
        dynamodb.put_item(TableName="snapshot-ledger", Item=entry(f"acct-{n % 4}", n))
    dynamodb.put_item(TableName="snapshot-outbox", Item={"event_id": {"S": "ev-1"}, "body": {"S": "{}"}})
    before = everything(dynamodb)
    by_day = on_day(dynamodb, "2026-11-02")

    assert save(emulator.snapshot(REGION, TABLES), tmp_path / "data.json") == 31
    recreate(dynamodb)
    assert everything(dynamodb) == {name: [] for name in TABLES}
    assert emulator.restore(REGION, tmp_path / "data.json") == 31

    assert everything(dynamodb) == before
    key = {"account": {"S": "acct-1"}, "entry": {"S": "0005"}}
    assert dynamodb.get_item(TableName="snapshot-ledger", Key=key)["Item"] == entry("acct-1", 5)
    assert on_day(dynamodb, "2026-11-02") == by_day
    assert dynamodb.describe_table(TableName="snapshot-ledger")["Table"]["ItemCount"] == 30


def test_a_reload_sends_no_request_and_counts_as_no_write(emulator, dynamodb, tmp_path):
    """The items go into the emulator's memory, not one BatchWriteItem per 25 over HTTP; loading what was
    saved is not a change worth saving again."""
    document = {"format": 1, "tables": {"snapshot-ledger": [entry("acct", n, blob="AAEC") for n in range(60)]}}
    (tmp_path / "data.json").write_text(json.dumps(document), encoding="utf-8")
    writes = emulator.writes_by_table()
    assert emulator.restore(REGION, tmp_path / "data.json") == 60
    assert emulator.writes_by_table() == writes
    key = {"account": {"S": "acct"}, "entry": {"S": "0007"}}
    assert dynamodb.get_item(TableName="snapshot-ledger", Key=key)["Item"] == entry("acct", 7)


ACCOUNTS = {
    "TableName": "snapshot-accounts",
    "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [{"AttributeName": "holder", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "holder", "KeyType": "HASH"}],
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
}


def stream_of(emulator, dynamodb, table):
    """A stream's records from its start: (event name, key, the new image)."""
    streams = boto3.client("dynamodbstreams", region_name=REGION, endpoint_url=emulator.endpoint_url)
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return [
        (r["eventName"], next(iter(r["dynamodb"]["Keys"].values()))["S"], r["dynamodb"].get("NewImage"))
        for r in records
    ]


@pytest.fixture
def accounts(dynamodb):
    dynamodb.create_table(**ACCOUNTS)
    yield ACCOUNTS["TableName"]
    dynamodb.delete_table(TableName=ACCOUNTS["TableName"])


def test_items_reloaded_into_a_table_with_a_stream_are_on_its_stream_if_the_relay_publishes_from_them(
    emulator, dynamodb, accounts, tmp_path
):
    """What was saved unrelayed (the outbox, the events an account carried) is offered again after a restart, the
    carried events as the bytes they were; an account carrying none is not (100,000 of them would be read for
    nothing)."""
    outbox = [{"event_id": {"S": f"ev-{n}"}, "envelope": {"S": "{}"}} for n in range(3)]
    saved = [{"holder": {"S": "mb-1"}, "events": {"B": "AQI="}}, {"holder": {"S": "mb-2"}}]
    document = {"format": 1, "tables": {"snapshot-outbox": outbox, accounts: saved}}
    (tmp_path / "data.json").write_text(json.dumps(document), encoding="utf-8")
    emulator.restore(REGION, tmp_path / "data.json")
    offered = [(name, key) for name, key, _ in stream_of(emulator, dynamodb, "snapshot-outbox")]
    assert offered == [("INSERT", "ev-0"), ("INSERT", "ev-1"), ("INSERT", "ev-2")]
    assert stream_of(emulator, dynamodb, accounts) == [("INSERT", "mb-1", {"holder": {"S": "mb-1"},
                                                                            "events": {"B": b"\x01\x02"}})]  # fmt: skip


def test_an_account_forgets_the_events_relayed_only_while_it_still_carries_them(emulator, dynamodb, accounts):
    """The relay relayed what two accounts carried; one was written again meanwhile with a new post's events, which
    stay for the relay's next step. Forgetting leaves no record on the stream, and lets go of the records read."""
    for holder in ("mb-1", "mb-2"):
        dynamodb.put_item(TableName=accounts, Item={"holder": {"S": holder}, "events": {"B": b"\x01old"}})
    dynamodb.update_item(TableName=accounts, Key={"holder": {"S": "mb-2"}}, UpdateExpression="SET events = :e",
                         ExpressionAttributeValues={":e": {"B": b"\x01new"}})  # fmt: skip
    assert [name for name, _, _ in stream_of(emulator, dynamodb, accounts)] == ["INSERT", "INSERT", "MODIFY"]
    second = emulator_table(accounts).stream_shard.items[1].record["dynamodb"]["SequenceNumber"]
    relayed = [({"holder": {"S": h}}, "AW9sZA==") for h in ("mb-1", "mb-2")]  # b"\x01old", read through the inserts
    emulator.forget(REGION, accounts, relayed, through=int(second))
    items = {i["holder"]["S"]: i for i in dynamodb.scan(TableName=accounts, ConsistentRead=True)["Items"]}
    assert items == {"mb-1": {"holder": {"S": "mb-1"}}, "mb-2": {"holder": {"S": "mb-2"}, "events": {"B": b"\x01new"}}}
    assert [name for name, _, _ in stream_of(emulator, dynamodb, accounts)] == ["MODIFY"]  # what was read is let go
    dynamodb.put_item(TableName=accounts, Item={"holder": {"S": "mb-3"}})
    assert [name for name, _, _ in stream_of(emulator, dynamodb, accounts)] == ["MODIFY", "INSERT"]


def emulator_table(name):
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[name]


def test_writes_after_a_snapshot_do_not_reach_into_it(emulator, dynamodb):
    dynamodb.put_item(TableName="snapshot-ledger", Item=entry("acct", 1))
    snapshot = emulator.snapshot(REGION, TABLES)
    as_taken = json.loads(json.dumps(snapshot))
    values = {":t": {"SS": ["new"]}, ":a": {"NS": ["99"]}, ":q": {"N": "5"}, ":k": {"S": "refund"}}
    dynamodb.update_item(
        TableName="snapshot-ledger",
        Key={"account": {"S": "acct"}, "entry": {"S": "0001"}},
        UpdateExpression="ADD tags :t, amounts :a SET #l[0].qty = :q, #s.kind = :k, points = points + :q",
        ExpressionAttributeNames={"#s": "source", "#l": "lines"},
        ExpressionAttributeValues=values,
    )
    assert snapshot == as_taken
    assert snapshot["snapshot-ledger"] == [entry("acct", 1, blob="AAEC")]


def test_no_saved_file_loads_nothing(emulator, tmp_path):
    assert emulator.restore(REGION, tmp_path / "missing.json") == 0


def test_relayed_items_are_forgotten_without_a_record_on_the_stream_and_the_next_save_sees_it(emulator, dynamodb):
    """The local relay drops the outbox items it relayed; a deletion would put a removal on the stream for each."""
    for n in range(3):
        dynamodb.put_item(TableName="snapshot-outbox", Item={"event_id": {"S": f"ev{n}"}})
        dynamodb.put_item(TableName="snapshot-ledger", Item=entry("acc-1", n))
    streams = boto3.client("dynamodbstreams", region_name=REGION, endpoint_url=emulator.endpoint_url)
    arn = dynamodb.describe_table(TableName="snapshot-outbox")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    writes = emulator.writes_by_table()
    emulator.forget(REGION, "snapshot-outbox", [({"event_id": {"S": "ev0"}}, None), ({"event_id": {"S": "ev2"}}, None)])
    emulator.forget(REGION, "snapshot-ledger", [({"account": {"S": "acc-1"}, "entry": {"S": "0001"}}, None)])
    assert [item["event_id"]["S"] for item in everything(dynamodb)["snapshot-outbox"]] == ["ev1"]
    assert [item["entry"]["S"] for item in everything(dynamodb)["snapshot-ledger"]] == ["0000", "0002"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [record["eventName"] for record in records] == ["INSERT"] * 3
    assert emulator.writes_by_table() == {**writes, "snapshot-outbox": writes["snapshot-outbox"] + 1,
                                          "snapshot-ledger": writes["snapshot-ledger"] + 1}  # fmt: skip


def test_messages_queued_or_in_flight_when_saved_are_queued_again_on_reload(emulator, tmp_path):
    """A stop saves what the queues hold instead of consuming it first: after the restart each message waiting, or
    received and not yet deleted (its consumer may not have finished), is delivered; none the consumer deleted is."""
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=emulator.endpoint_url)
    url = sqs.create_queue(QueueName="snapshot-events")["QueueUrl"]
    other = sqs.create_queue(QueueName="elsewhere-events")["QueueUrl"]  # not the stage's: neither saved nor reloaded
    kind = {"type": {"DataType": "String", "StringValue": "member.registered"}}
    for n in range(4):
        sqs.send_message(QueueUrl=url, MessageBody=f"event-{n}", MessageAttributes=kind)
    sqs.send_message(QueueUrl=other, MessageBody="theirs")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=600)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])  # consumed; the other is in flight

    _, queued = emulator.snapshot_with_queues(REGION, [], "snapshot-")
    assert sorted(m["body"] for m in queued["snapshot-events"]) == ["event-1", "event-2", "event-3"]
    save({}, tmp_path / "data.json", queued)
    for queue in (url, other):
        sqs.purge_queue(QueueUrl=queue)
    emulator.requeued = 0
    emulator.restore(REGION, tmp_path / "data.json")
    assert emulator.requeued == 3
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in again) == ["event-1", "event-2", "event-3"]
    assert {m["MessageAttributes"]["type"]["StringValue"] for m in again} == {"member.registered"}
    assert "Messages" not in sqs.receive_message(QueueUrl=other)
    sqs.delete_queue(QueueUrl=url)
    sqs.delete_queue(QueueUrl=other)


def test_writes_to_the_jobs_bookkeeping_alone_wait_for_the_next_save(emulator, tmp_path):
    """A frequent job's run that found nothing writes only its report and watermark, every minute: that alone makes no
    save (at a chain's size a save takes seconds); the next write elsewhere saves them too, and so does a stop. Writes
    are counted per table however they come: a put, a transaction, a batch, an update, the relay's forgetting."""
    from chalicelib.local.localdir import LocalDir
    from chalicelib.local.stack import REGION as STACK_REGION
    from chalicelib.local.stack import Saver

    client = boto3.client("dynamodb", region_name=STACK_REGION, endpoint_url=emulator.endpoint_url)
    names = ["saver-jobs", "saver-members"]
    for name in names:
        client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])  # fmt: skip
    try:
        saver = Saver(emulator, LocalDir(tmp_path), names, waiting={"saver-jobs"})
        client.put_item(TableName="saver-jobs", Item={"id": {"S": "run-1"}})
        client.transact_write_items(
            TransactItems=[{"Put": {"TableName": "saver-jobs", "Item": {"id": {"S": "run-2"}}}}]
        )
        assert saver.save() is None
        assert not (tmp_path / "data.json").exists()

        client.batch_write_item(RequestItems={"saver-members": [{"PutRequest": {"Item": {"id": {"S": "mb-1"}}}}]})
        assert saver.save() == 3  # the member, and the two runs that waited
        assert saver.save() is None
        client.update_item(TableName="saver-members", Key={"id": {"S": "mb-1"}}, UpdateExpression="SET n = :n",
                           ExpressionAttributeValues={":n": {"N": "1"}})  # fmt: skip
        assert saver.save() == 3
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": "saver-jobs", "Item": {"id": {"S": "run-3"}}}},
            {"Put": {"TableName": "saver-members", "Item": {"id": {"S": "mb-2"}}}},
        ])  # fmt: skip
        assert saver.save() == 5
        emulator.forget(STACK_REGION, "saver-members", [({"id": {"S": "mb-2"}}, None)])
        assert saver.save() == 4
        client.put_item(TableName="saver-jobs", Item={"id": {"S": "run-4"}})
        assert saver.save() is None
        assert saver.save(force=True) == 5  # a stop saves whatever was written
    finally:
        for name in names:
            client.delete_table(TableName=name)


def test_a_write_whose_tables_cannot_be_read_is_never_kept_from_a_save():
    """A chunked body (no length) is left to moto unread; a body that is not plain JSON is handed back whole; both
    count as a table no saver waits for."""
    import io

    from chalicelib.local.emulator import UNREAD, _tables_written

    chunked = io.BytesIO(b'{"TableName": "t"}')
    environ = {"wsgi.input": chunked, "wsgi.input_terminated": True}
    assert _tables_written(environ) == [UNREAD]
    assert environ["wsgi.input"] is chunked
    assert _tables_written({"CONTENT_LENGTH": "x", "wsgi.input": io.BytesIO(b"")}) == [UNREAD]
    compressed = {"CONTENT_LENGTH": "4", "wsgi.input": io.BytesIO(b"\x1f\x8b\x08\x00")}
    assert _tables_written(compressed) == [UNREAD]
    assert compressed["wsgi.input"].read() == b"\x1f\x8b\x08\x00"
    body = json.dumps({"TransactItems": [{"Put": {"TableName": "a"}}, {"Update": {"TableName": "b"}}]}).encode()
    assert _tables_written({"CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}) == ["a", "b"]
