"""What tests read of members' books, as the former account and entry items showed them.

A member's points, growth and tier standing are books of their ledger account; these views give tests the
fields by the names they always asserted on (``balance``, ``tier``, ``tier_until``, ``checked_seq`` ...), and
the few deliberate corruptions tests make (a concurrent writer, a bug that breaks a balance).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.ledger.records import LedgerAccountRecord, LedgerEntryRecord


@dataclass
class AccountView:
    record: LedgerAccountRecord

    def _book(self, name: str) -> dict[str, Any]:
        return json.loads(self.record.books).get(name) or {}

    def _points(self, field: str) -> int:
        return int(self._book("points").get(field, 0))

    @property
    def balance(self) -> int:
        points = self._book("points")
        return sum(int(lot[2]) for lot in points.get("lots", [])) - int(points.get("debt", 0))

    earned = property(lambda self: self._points("earned"))
    deducted = property(lambda self: self._points("deducted"))
    redeemed = property(lambda self: self._points("redeemed"))
    expired = property(lambda self: self._points("expired"))
    debt = property(lambda self: self._points("debt"))
    lots = property(lambda self: json.dumps(self._book("points").get("lots", [])))
    seq = property(lambda self: int(json.loads(self.record.seqs).get("points", 0)))
    growth_seq = property(lambda self: int(json.loads(self.record.seqs).get("growth", 0)))
    rev = property(lambda self: int(self.record.rev))
    expiry_due = property(lambda self: self.record.expiry_due)
    maturity_due = property(lambda self: self.record.maturity_due)
    tier_review = property(lambda self: self.record.review_due)
    growth = property(lambda self: int(self._book("growth").get("growth", 0)))
    paid_total = property(lambda self: int(self._book("growth").get("paid_fen", 0)))
    tier = property(lambda self: self._book("tier").get("tier"))
    tier_since = property(lambda self: self._book("tier").get("since"))
    tier_until = property(lambda self: self._book("tier").get("until"))
    tier_warned_for = property(lambda self: self._book("tier").get("warned_for"))

    @property
    def checked_seq(self) -> int:
        return int((json.loads(self.record.checked).get("points") or [0, 0])[0])

    @property
    def checked_sum(self) -> int:
        return int((json.loads(self.record.checked).get("points") or [0, 0])[1])


def find_account(member_id: str) -> AccountView | None:
    record = LedgerAccountRecord.find(member_id)
    return AccountView(record) if record else None


def account(member_id: str) -> AccountView:
    found = find_account(member_id)
    assert found is not None, f"no ledger account for {member_id}"
    return found


@dataclass
class EntryView:
    record: LedgerEntryRecord

    type = property(lambda self: self.record.kind)
    points = property(lambda self: int(self.record.amount))
    growth = property(lambda self: int(self.record.amount))
    seq = property(lambda self: int(self.record.seq))
    balance_after = property(lambda self: int(self.record.balance_after))
    value_after = property(lambda self: int(self.record.balance_after))
    reason = property(lambda self: self.record.reason)
    source_kind = property(lambda self: self.record.source_kind)
    source_id = property(lambda self: self.record.source_id)
    entry_id = property(lambda self: self.record.entry_id)
    lots = property(lambda self: self.record.detail or "[]")


def entries(member_id: str, book: str = "points") -> list[EntryView]:
    """A member's entries of a book, oldest first."""
    return [EntryView(record) for record in LedgerEntryRecord.query(f"{member_id}|{book}", consistent_read=True)]


def _rewrite(member_id: str, change: Any) -> None:
    record = LedgerAccountRecord.find(member_id) or LedgerAccountRecord(member_id, rev=0)
    books = json.loads(record.books)
    change(books)
    record.books, record.rev = json.dumps(books), int(record.rev) + 1
    record.save()


def rewrite_books(member_id: str, change: Any) -> None:
    """A bug elsewhere: ``change`` rewrites the account's books (a dict of book -> state) without an entry."""
    _rewrite(member_id, change)


def bump_rev(member_id: str) -> None:
    """Another writer committed: the account moved on."""
    LedgerAccountRecord(member_id).update(actions=[LedgerAccountRecord.rev.add(1)])


def break_points_balance(member_id: str, points: int) -> None:
    """A bug elsewhere: points appear on the account without an entry."""
    _rewrite(member_id, lambda books: books["points"]["lots"].append([None, None, points]))


def set_tier(member_id: str, tier: str) -> None:
    """Put a member at ``tier`` by hand (as if the programme had)."""
    _rewrite(member_id, lambda books: books.setdefault("tier", {}).update(tier=tier))
