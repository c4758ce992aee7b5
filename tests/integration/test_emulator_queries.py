"""The emulator's partition-sized queries answer exactly as moto's own, and see every change made before them."""

import re

import boto3
import pytest
from moto import mock_aws

from chalicelib.local import queries
from chalicelib.local.emulator import LockedEmulator

REGION = "eu-west-3"  # a region of its own: moto's backends are shared by every emulator in a process
TABLE = {
    "TableName": "queried",
    "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in ("member", "entry", "month", "at")],
    "KeySchema": [{"AttributeName": "member", "KeyType": "HASH"}, {"AttributeName": "entry", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": name,
            "KeySchema": [{"AttributeName": "month", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
            "Projection": projection,
        }
        for name, projection in [
            ("by-month", {"ProjectionType": "ALL"}),
            ("by-month-keys", {"ProjectionType": "KEYS_ONLY"}),
            ("by-month-tiers", {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["tier"]}),
        ]
    ],
}
QUERIES = {
    "a member's entries": {"KeyConditionExpression": "#m = :m", "Values": {":m": "m1"}},
    "newest first, two at a time": {
        "KeyConditionExpression": "#m = :m",
        "Values": {":m": "m2"},
        "Limit": 2,
        "ScanIndexForward": False,
    },
    "a range of entries": {
        "KeyConditionExpression": "#m = :m AND entry BETWEEN :a AND :b",
        "Values": {":m": "m1", ":a": "e03", ":b": "e12"},
    },
    "nobody's": {"KeyConditionExpression": "#m = :m", "Values": {":m": "nobody"}},
    "a month through the index": {
        "IndexName": "by-month",
        "KeyConditionExpression": "#mo = :mo",
        "Values": {":mo": "2026-02"},
    },
    "a month, filtered, limited": {
        "IndexName": "by-month",
        "KeyConditionExpression": "#mo = :mo AND #at > :at",
        "FilterExpression": "tier = :t",
        "Limit": 3,
        "ScanIndexForward": False,
        "Values": {":mo": "2026-01", ":at": "2026-01-05", ":t": "gold"},
    },
    "an empty month": {"IndexName": "by-month", "KeyConditionExpression": "#mo = :mo", "Values": {":mo": "1999-01"}},
    "a month's keys": {
        "IndexName": "by-month-keys",
        "KeyConditionExpression": "#mo = :mo",
        "Limit": 4,
        "Values": {":mo": "2026-03"},
    },
    "a month's tiers, filtered": {
        "IndexName": "by-month-tiers",
        "KeyConditionExpression": "#mo = :mo",
        "FilterExpression": "tier = :t",
        "Values": {":mo": "2026-02", ":t": "normal"},
    },
}


def item(member, n):
    fields = {"member": member, "entry": f"e{n:02d}", "tier": ("gold", "normal")[n % 2], "note": f"note {n}"}
    if n % 5:  # every fifth entry has no month: it is not in the index
        fields.update(month=f"2026-0{1 + n % 3}", at=f"2026-0{1 + n % 3}-{1 + n:02d}")
    return {name: {"S": value} for name, value in fields.items()}


def answers(client):
    """Each query's pages, walked to the end."""
    names = {"#m": "member", "#mo": "month", "#at": "at"}
    found = {}
    for label, query in QUERIES.items():
        request = {key: value for key, value in query.items() if key != "Values"}
        request["ExpressionAttributeValues"] = {name: {"S": value} for name, value in query["Values"].items()}
        request["ExpressionAttributeNames"] = {n: v for n, v in names.items() if re.search(rf"{n}\b", str(query))}
        pages, start = [], {}
        while True:
            page = client.query(TableName="queried", **request, **start)
            pages.append((page["Items"], page["Count"], page["ScannedCount"], page.get("LastEvaluatedKey")))
            if "LastEvaluatedKey" not in page:
                break
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
        found[label] = pages
    return found


def fill(client):
    client.create_table(**TABLE)
    for member in ("m1", "m2", "m3"):
        for n in range(15):
            client.put_item(TableName="queried", Item=item(member, n))


def change(client):
    """A write of each kind: moved into another month, out of the index, deleted, added by batch and transaction."""

    def key(entry):
        return {"member": {"S": "m1"}, "entry": {"S": entry}}

    month, february = {"#mo": "month"}, {":mo": {"S": "2026-02"}}
    client.update_item(
        TableName="queried",
        Key=key("e01"),
        UpdateExpression="SET #mo = :mo",
        ExpressionAttributeNames=month,
        ExpressionAttributeValues=february,
    )
    client.update_item(
        TableName="queried", Key=key("e02"), UpdateExpression="REMOVE #mo", ExpressionAttributeNames=month
    )
    client.delete_item(TableName="queried", Key=key("e04"))
    client.batch_write_item(RequestItems={"queried": [{"PutRequest": {"Item": item("m4", n)}} for n in range(4)]})
    client.transact_write_items(TransactItems=[{"Put": {"TableName": "queried", "Item": item("m5", 7)}}])


@pytest.fixture(scope="module")
def moto_own():
    """moto's answers, from in-process moto (its queries sort the whole table)."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        fill(client)
        before = answers(client)
        change(client)
        return before, answers(client)


def test_queries_answer_as_moto_does_before_and_after_every_kind_of_write(moto_own, monkeypatch):
    emulator = LockedEmulator()
    monkeypatch.setattr(queries, "_original_all_items", lambda table: pytest.fail("a query read the whole table"))
    emulator.start()
    try:
        client = boto3.client("dynamodb", region_name=REGION, endpoint_url=emulator.endpoint_url)
        fill(client)
        assert answers(client) == moto_own[0]
        change(client)
        assert answers(client) == moto_own[1]
        client.delete_table(TableName="queried")
    finally:
        emulator.stop()
