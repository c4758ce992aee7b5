"""Whether a post's events may ride on an account: only where they leave it in the kilobytes it takes without them,
with room to spare for a size that is a little off."""

from datetime import date

from chalicelib.ledger.dynamo import MARGIN, _has_room, _may_carry, _stored_sizes
from chalicelib.ledger.records import LedgerAccountRecord
from chalicelib.ledger.store import AccountWrite

NOW = "2026-12-03T09:00:00.000Z"


def write(pad: int, **kw) -> AccountWrite:
    """An account whose other attributes take ``pad`` bytes (plus what the write sets: about 60)."""
    return AccountWrite("mb_1", 3, {"cash": 1}, {"cash": 1}, kw.pop("due", {}), stored_sizes={"pad": pad}, **kw)


def test_events_ride_only_within_the_kilobytes_the_account_takes_anyway():
    assert _has_room(write(700), NOW, 150)
    assert not _has_room(write(820), NOW, 150)  # past its kilobyte
    assert _has_room(write(1024 + 100), NOW, 150)  # the second kilobyte has room
    assert not _has_room(write(1024 - 60), NOW, 10)  # its size is too near a kilobyte to be sure of it


def test_what_the_write_replaces_is_counted_once():
    """The books, counts and revision read are replaced by the write's; so are the date index attributes it moves."""
    stored = {"pad": 600, "books": 400, "seqs": 300, "expiry_month": 200, "expiry_due": 200}
    moved = AccountWrite("mb_1", 3, {"cash": 1}, {"cash": 1}, {"expiry": date(2027, 1, 1)}, stored_sizes=stored)
    assert _has_room(moved, NOW, 150)
    kept = AccountWrite("mb_1", 3, {"cash": 1}, {"cash": 1}, {}, stored_sizes=stored)
    assert not _has_room(kept, NOW, 150)  # its date index attributes stay


def test_an_account_a_whole_item_index_lists_never_carries():
    listed = LedgerAccountRecord("c-1", rev=1, coupon_expiry_month="2026-07#3", coupon_expiry_due="2026-07-01#3")
    assert _stored_sizes("c-1", listed) is None
    assert not _may_carry(write(10, due={"coupon_expiry": date(2026, 7, 1)}))
    assert _may_carry(write(10))
    assert MARGIN > 0
