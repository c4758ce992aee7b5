"""A post's events ride on an account the post writes anyway, where its last kilobyte has room: no outbox item, and
the accounts table's stream relays them once. Elsewhere (no room, a coupon's account that a whole-item index copies)
they go to the outbox as before."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chalicelib.ledger.dynamo import DynamoStore
from chalicelib.ledger.engine import Ledger
from chalicelib.ledger.model import CounterBook, Posting, Source
from chalicelib.ledger.records import LedgerAccountRecord
from chalicelib.ledger.store import AccountWrite, Checkpoint, Unit
from chalicelib.shared import events
from chalicelib.shared.events import CARRIED, OutboxRecord, new_event
from tests.conftest import published_envelopes, stream_records

BOOKS: dict[str, Any] = {"cash": CounterBook("cash"), "bonus": CounterBook("bonus")}


def ledger() -> Ledger:
    return Ledger(DynamoStore(), BOOKS, pause=lambda attempt: None, today=lambda: date(2026, 6, 1))


def post(holder: str, amount: int, source: str) -> list[Posting]:
    return [Posting(holder, "cash", amount, "test", Source("order", source), "test")]


def announce(holder: str, source: str) -> Any:
    return lambda answer: [new_event("test.posted", f"member/{holder}", {"holder": holder, "source": source})]


def posted_sources() -> list[str]:
    return [e["payload"]["source"] for e in published_envelopes() if e["type"] == "test.posted"]


def test_a_posts_events_ride_on_its_account_and_each_is_relayed_once(aws: Any) -> None:
    book = ledger()
    book.post(post("mb_1", 10, "o-1"), announce=announce("mb_1", "o-1"))
    assert OutboxRecord.count() == 0
    assert LedgerAccountRecord.get("mb_1").events is not None
    book.post(post("mb_1", 5, "o-2"), announce=announce("mb_1", "o-2"))
    book.post(post("mb_1", 1, "o-3"))  # a post without events takes the last ones off the account
    assert LedgerAccountRecord.get("mb_1").events is None
    book.post(post("mb_1", 2, "o-4"), announce=announce("mb_1", "o-4"))
    DynamoStore().mark("mb_1", "active")  # any other write of the account takes them off too (an erasure's)
    assert LedgerAccountRecord.get("mb_1").events is None
    book.post(post("mb_1", 2, "o-5"), announce=announce("mb_1", "o-5"))
    assert DynamoStore().checkpoint([Checkpoint("mb_1", {}, {"cash": (5, 20)})])  # and a checkpoint
    assert LedgerAccountRecord.get("mb_1").events is None
    assert OutboxRecord.count() == 0
    assert posted_sources() == ["o-1", "o-2", "o-4", "o-5"]


def test_an_account_without_room_in_its_last_kilobyte_leaves_the_events_to_the_outbox(aws: Any) -> None:
    book = ledger()
    book.post(post("mb_2", 10, "o-1"))
    padding = '{"pad":[0,0]}' + " " * 850  # the account some 990 bytes: the events would take it past a kilobyte
    LedgerAccountRecord("mb_2").update([LedgerAccountRecord.checked.set(padding)])
    book.post(post("mb_2", 5, "o-2"), announce=announce("mb_2", "o-2"))
    assert LedgerAccountRecord.get("mb_2").events is None
    assert OutboxRecord.count() == 1
    assert posted_sources() == ["o-2"]


def test_an_account_a_whole_item_index_copies_carries_no_events(aws: Any) -> None:
    """A coupon's account is in the expiry index that projects whole accounts: events on it would be copied there."""
    event = new_event("test.posted", "coupon/c-1", {"holder": "c-1", "source": "issue"})
    due = {"coupon_expiry": date(2026, 7, 1)}
    DynamoStore().commit(Unit(accounts=[AccountWrite("c-1", None, {"cash": 1}, {}, due, stored_sizes={})], entries=[],
                              events=[event]))  # fmt: skip
    assert CARRIED not in LedgerAccountRecord.get("c-1").attribute_values
    assert OutboxRecord.count() == 1
    assert DynamoStore().read("c-1").stored_sizes is None  # nor later, while the index lists it


def test_when_publishing_fails_the_events_an_account_carried_are_parked_in_the_outbox_once(
    aws: Any, monkeypatch
) -> None:
    """The account keeps its events only until its next write; the outbox keeps them for days, and its own stream
    publishes them once the topic answers again. A batch retried parks nothing twice."""
    book = ledger()
    book.post(post("mb_3", 10, "o-1"), announce=announce("mb_3", "o-1"))
    book.post(post("mb_3", 10, "o-2"), announce=announce("mb_3", "o-2"))
    carried = [record for record in stream_records() if "NewImage" in record["dynamodb"]]

    class Down:
        def publish_batch(self, **kwargs: Any) -> Any:
            raise ConnectionError("the topic does not answer")

    monkeypatch.setattr(events, "_sns", lambda: Down())
    for _ in range(2):  # the stream hands the batch again
        assert events.relay(carried) == 0
    parked = [envelope["payload"]["source"] for record in OutboxRecord.scan() for envelope in record.envelopes()]
    assert sorted(parked) == ["o-1", "o-2"]
    with pytest.raises(ConnectionError):  # the outbox's own records are retried by its stream
        events.relay(stream_records())
    monkeypatch.undo()
    assert sorted(posted_sources()) == ["o-1", "o-1", "o-2", "o-2"]  # the stream and the outbox: consumers dedupe
