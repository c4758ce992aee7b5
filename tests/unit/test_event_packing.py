"""Events an item carries: packed small, unpacked as they were, and relayed once from the stream of the item's table."""

import base64
import hashlib

from chalicelib.shared import events
from chalicelib.shared.events import CARRIED, Event, envelopes_of, packed, relayed_envelopes, unpacked


def purchase_events() -> list[Event]:
    shared = {"version": 1, "occurred_at": "2026-12-03T08:56:45.688Z",
              "subject": "member/mb_01M8XHXMVRRE2G8G3F4ENGA6EG", "actor": "partner:pt_01M8XHXMT9Q4CMP6BAKCYQQNCN",
              "request_id": "req_01M8XHXMVPE90Q09QY2SFA5PDC",
              "source_ip": "10.1.2.3"}  # fmt: skip
    recorded = {"member_id": "mb_01M8XHXMVRRE2G8G3F4ENGA6EG", "partner_id": "pt_01M8XHXMT9Q4CMP6BAKCYQQNCN",
                "order_id": "SO-20261203-0042", "store_id": "SH-001", "paid_fen": 12300, "total_fen": 12800,
                "points": 123, "tier": "silver", "payment_method": "wechat_pay"}  # fmt: skip
    earned = {"member_id": "mb_01M8XHXMVRRE2G8G3F4ENGA6EG", "points": 123, "seq": 7, "balance_after": 1846,
              "type": "earn", "source_kind": "order", "source_id": "SO-20261203-0042", "reason": "消费积分",
              "lots": [["2027-12-31", 123]], "store_id": "SH-001"}  # fmt: skip
    return [
        Event(event_id="ev_01M8XHXMVRRE2G8G3F4ENGA6EG", type="purchase.recorded", payload=recorded, **shared),
        Event(event_id="ev_01M8XHXMVRRE2G8G3F4ENGA6EM", type="points.earned", payload=earned, **shared),
    ]


def as_published(found: list[Event]) -> list[dict]:
    return [event.model_dump(mode="json") for event in found]


def test_packed_events_unpack_as_they_were_in_a_quarter_of_their_json():
    found = purchase_events()
    blob = packed(found)
    assert unpacked(blob) == as_published(found)
    assert unpacked(packed(found[:1])) == as_published(found[:1])
    assert blob[0] == events.PACKING
    assert len(blob) * 3 < len(events._encoded(found).encode())  # about 200 bytes of some 800


def test_the_words_of_a_packing_never_change_once_items_carry_them():
    """Items written with version 1 are unpacked with its words for as long as they live: new words are version 2."""
    assert hashlib.sha256(events._WORDS[1]).hexdigest()[:16] == "586baac6e99d16b6"


def account_record(event_name: str, new_carried: object = None, old_carried: object = None) -> dict:
    images: dict = {"Keys": {"holder": {"S": "mb_1"}}}
    if event_name != "REMOVE":
        images["NewImage"] = {"holder": {"S": "mb_1"}, **({CARRIED: {"B": new_carried}} if new_carried else {})}
    if event_name != "INSERT":
        images["OldImage"] = {"holder": {"S": "mb_1"}, **({CARRIED: {"B": old_carried}} if old_carried else {})}
    return {"eventName": event_name, "dynamodb": images}


def test_the_relay_publishes_what_a_write_put_on_an_item_once_whether_it_comes_as_bytes_or_as_base64_text():
    first, second = purchase_events()[:1], purchase_events()[1:]
    a, b = packed(first), packed(second)
    records = [
        account_record("INSERT", a),  # the account's first post
        account_record("MODIFY", b, a),  # the next post replaced them
        account_record("MODIFY", b, b),  # a write that left them (a status, a checkpoint)
        account_record("MODIFY", None, b),  # a post without events removed them
        account_record("REMOVE", None, None),
    ]
    assert relayed_envelopes(records) == as_published(first) + as_published(second)
    as_lambda_hands_it = account_record("MODIFY", base64.b64encode(b).decode(), base64.b64encode(a).decode())
    assert relayed_envelopes([as_lambda_hands_it]) == as_published(second)


def test_an_outbox_item_is_published_when_inserted_only():
    envelope = events._encoded(purchase_events())
    inserted = {"eventName": "INSERT", "dynamodb": {"NewImage": {"envelope": {"S": envelope}}}}
    expired = {"eventName": "REMOVE", "dynamodb": {"OldImage": {"envelope": {"S": envelope}}}}
    assert relayed_envelopes([inserted, expired]) == envelopes_of(envelope) == as_published(purchase_events())
