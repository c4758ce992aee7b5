"""Transient conflicts are retried; when they persist the answer is 503 with Retry-After and nothing applies."""

import pytest
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.shared import db
from tests.conftest import item_counts, member_token

STORE = {"name": "Jing'an", "city": "Shanghai", "region": "East"}


class _Conflict(TransactWriteError):
    def __init__(self) -> None:
        super().__init__("conflict")

    @property
    def cause_response_code(self):
        return "TransactionCanceledException"

    @property
    def cancellation_reasons(self):
        from pynamodb.exceptions import CancellationReason

        return [CancellationReason(code="TransactionConflict", message="conflict")]


@pytest.fixture
def conflicts(monkeypatch):
    """Make the next ``n`` transactions fail with TransactionConflict before reaching the table."""
    state = {"left": 0, "seen": 0}
    original = TransactWrite._commit

    def flaky(self):
        state["seen"] += 1
        if state["left"] > 0:
            state["left"] -= 1
            raise _Conflict()
        return original(self)

    monkeypatch.setattr(TransactWrite, "_commit", flaky)
    monkeypatch.setattr(db.time, "sleep", lambda seconds: None)
    return state


def test_a_few_conflicts_are_retried_invisibly(api, conflicts):
    conflicts["left"] = 3
    answer = api.post("/v1/stores", STORE)
    assert answer.status == 201
    assert conflicts["seen"] == 4
    assert item_counts()["stores"] == 1


def test_persistent_conflicts_answer_503_with_retry_after_and_apply_nothing(api, conflicts):
    conflicts["left"] = 100
    before = item_counts()
    answer = api.post("/v1/stores", STORE)
    assert answer.status == 503
    assert answer.headers["retry-after"] == "1"
    assert answer.body["type"].endswith("/unavailable")
    assert conflicts["seen"] == db.MAX_ATTEMPTS
    assert item_counts() == before


def test_a_transaction_refuses_more_than_100_items(aws):
    from chalicelib.stats.records import DailyCountRecord

    tx = db.Transaction()
    for n in range(101):
        tx.update(DailyCountRecord("2026-01-01", f"m{n}"), actions=[DailyCountRecord.total.add(1)])
    with pytest.raises(ValueError, match="at most 100"):
        tx.commit()


@pytest.fixture
def throttled_reads(monkeypatch):
    """Make DynamoDB refuse the next ``left`` reads (GetItem, BatchGetItem, Query) as botocore gives up on them."""
    from botocore.exceptions import ClientError
    from pynamodb.connection.base import Connection

    from chalicelib.ledger import engine

    state = {"left": 0, "refused": 0, "table": ""}  # "table": only reads of tables whose name holds it
    original = Connection._make_api_call

    def refusing(self, operation_name, operation_kwargs):
        table = str(operation_kwargs.get("TableName") or operation_kwargs.get("RequestItems") or "")
        if operation_name in {"GetItem", "BatchGetItem", "Query"} and state["left"] > 0 and state["table"] in table:
            state["left"] -= 1
            state["refused"] += 1
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}}
            raise ClientError(error, operation_name)
        return original(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", refusing)
    monkeypatch.setattr(engine.time, "sleep", lambda seconds: None)
    return state


def test_a_read_dynamodb_keeps_refusing_answers_503_not_500(api, throttled_reads):
    created = api.post("/v1/stores", STORE)
    throttled_reads["left"] = 1_000
    answer = api.get(f"/v1/stores/{created.body['store_id']}")
    assert (answer.status, answer.headers["retry-after"]) == (503, "1")
    assert answer.body["type"].endswith("/unavailable")
    assert throttled_reads["refused"] >= 1


def test_the_ledger_retries_a_throttled_read_like_a_throttled_write(api, throttled_reads):
    """A balance read, and a repeat of a claimed post whose claim read is throttled, get through on a retry."""
    member_id, _ = member_token("13800138000")
    key = {"Idempotency-Key": "adjust-1"}
    first = api.post(f"/v1/members/{member_id}/points/adjustments", {"points": 50, "reason": "goodwill"}, headers=key)
    assert first.status == 201
    throttled_reads["left"] = 1
    assert api.get(f"/v1/members/{member_id}/points").body["available"] == 50
    throttled_reads["left"] = 2  # the account read of the repeat, then its read of the claim
    repeat = api.post(f"/v1/members/{member_id}/points/adjustments", {"points": 50, "reason": "goodwill"}, headers=key)
    assert (repeat.status, repeat.body) == (first.status, first.body)
    assert throttled_reads["refused"] == 3


def test_a_ledger_read_outside_a_post_that_dynamodb_keeps_refusing_answers_503(api, throttled_reads):
    """A coupon looked up by its code reads its ledger account directly: refused throughout, it is 503, not 500."""
    throttled_reads.update(left=1_000, table="ledger-accounts")
    answer = api.get("/v1/coupons/NO-SUCH-CODE")
    assert (answer.status, answer.headers["retry-after"]) == (503, "1")
    assert answer.body["type"].endswith("/unavailable")
