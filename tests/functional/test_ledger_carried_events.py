"""A post's events ride on an account the post writes anyway, where its last kilobyte has room: no outbox item, and
the accounts table's stream relays them once. Elsewhere (no room, a coupon's account that a whole-item index copies)
they go to the outbox as before."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.ledger.dynamo import DynamoStore
from chalicelib.ledger.engine import Ledger
from chalicelib.ledger.model import CounterBook, Posting, Source
from chalicelib.ledger.records import LedgerAccountRecord
from chalicelib.ledger.store import AccountWrite, Unit
from chalicelib.shared.events import CARRIED, OutboxRecord, new_event
from tests.conftest import published_envelopes

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
    DynamoStore().mark("mb_1", "active")  # a write that leaves the events where they are
    book.post(post("mb_1", 1, "o-3"))  # a post without events takes the last ones off the account
    assert LedgerAccountRecord.get("mb_1").events is None
    assert OutboxRecord.count() == 0
    assert posted_sources() == ["o-1", "o-2"]


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
    DynamoStore().commit(Unit(accounts=[AccountWrite("c-1", None, {"cash": 1}, {}, due, kept_bytes=9)], entries=[],
                              events=[event]))  # fmt: skip
    assert CARRIED not in LedgerAccountRecord.get("c-1").attribute_values
    assert OutboxRecord.count() == 1
    assert DynamoStore().read("c-1").kept_bytes is None  # nor later, while the index lists it
