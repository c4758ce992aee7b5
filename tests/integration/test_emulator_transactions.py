"""The emulator's two-phase TransactWriteItems ends exactly where moto's own does, for every outcome."""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends

from chalicelib.local import transactions

ORIGINAL = DynamoDBBackend.transact_write_items  # read at collection, before any test installs the two-phase one
TABLES = ("accounts", "ledger")


def put(table, key, **attributes):
    item = {"pk": {"S": key}, **attributes}
    return {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}


def debit(key, amount):
    return {
        "Update": {
            "TableName": "accounts",
            "Key": {"pk": {"S": key}},
            "UpdateExpression": "SET balance = balance - :n",
            "ConditionExpression": "balance >= :n",
            "ExpressionAttributeValues": {":n": {"N": str(amount)}},
        }
    }


ACCOUNT_A = {"TableName": "accounts", "Key": {"pk": {"S": "a"}}}
ZERO, ONE = {":z": {"N": "0"}}, {":n": {"N": "1"}}

SCENARIOS = {
    "all conditions pass": [debit("a", 30), put("ledger", "e1", amount={"N": "-30"})],
    "one condition fails": [debit("a", 500), put("ledger", "e2", amount={"N": "-500"})],
    "a later item's condition fails": [put("ledger", "e3"), debit("a", 500)],
    "an existing key": [put("ledger", "e0"), debit("a", 1)],
    "a condition check only": [
        {"ConditionCheck": {**ACCOUNT_A, "ConditionExpression": "balance > :z", "ExpressionAttributeValues": ZERO}},
        put("ledger", "e4"),
    ],
    "a type error while applying": [
        put("ledger", "e5"),
        {"Update": {**ACCOUNT_A, "UpdateExpression": "SET balance = note + :n", "ExpressionAttributeValues": ONE}},
    ],
    "a delete": [{"Delete": {"TableName": "ledger", "Key": {"pk": {"S": "e0"}}}}, debit("a", 10)],
    "the same item twice": [put("ledger", "e6"), put("ledger", "e6")],
}


def run(implementation, items):
    """Apply one scenario on fresh tables; return the error code and reasons, and every table's items."""
    DynamoDBBackend.transact_write_items = implementation
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="cn-north-1")
            for table in TABLES:
                client.create_table(
                    TableName=table,
                    BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                )
            client.put_item(TableName="accounts", Item={"pk": {"S": "a"}, "balance": {"N": "100"}, "note": {"S": "x"}})
            client.put_item(TableName="ledger", Item={"pk": {"S": "e0"}})
            try:
                client.transact_write_items(TransactItems=items)
                outcome = None
            except ClientError as e:
                reasons = [r.get("Code") for r in e.response.get("CancellationReasons", [])]
                outcome = (e.response["Error"]["Code"], reasons)
            state = {t: sorted(str(i) for i in client.scan(TableName=t)["Items"]) for t in TABLES}
            return outcome, state
    finally:
        DynamoDBBackend.transact_write_items = ORIGINAL


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_outcome_and_the_tables_match_moto(name):
    assert ORIGINAL is not transactions.transact_write_items, "compared with itself, not with moto's"
    items = SCENARIOS[name]
    assert run(transactions.transact_write_items, items) == run(ORIGINAL, items)


def test_a_failed_transaction_leaves_no_trace():
    outcome, state = run(transactions.transact_write_items, SCENARIOS["a later item's condition fails"])
    assert outcome == ("TransactionCanceledException", ["None", "ConditionalCheckFailed"])
    assert state["ledger"] == [str({"pk": {"S": "e0"}})]


def test_a_transaction_that_fails_while_applying_puts_nothing_on_a_stream():
    """Its first write was applied, then undone when a later one failed: the stream (what the relay reads) shows
    neither, as DynamoDB's shows nothing of a transaction that did not commit."""
    DynamoDBBackend.transact_write_items = transactions.transact_write_items
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="cn-north-1")
            stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
            for table in TABLES:
                client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST", StreamSpecification=stream,
                                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])  # fmt: skip
            client.put_item(TableName="accounts", Item={"pk": {"S": "a"}, "balance": {"N": "100"}, "note": {"S": "x"}})
            with pytest.raises(ClientError):
                client.transact_write_items(TransactItems=SCENARIOS["a type error while applying"])
            tables = dynamodb_backends[DEFAULT_ACCOUNT_ID]["cn-north-1"].tables
            assert [len(tables[table].stream_shard.items) for table in TABLES] == [1, 0]  # the account's put only
    finally:
        DynamoDBBackend.transact_write_items = ORIGINAL
