"""A state a job looked at and left as it was is filed again under the day its book is next due, so an account never
stays under a day no later night reads (a fitness chain's walkthrough: every trial lost its reminder and lapse)."""

from datetime import date, timedelta
from typing import Any

from chalicelib.ledger.engine import Ledger
from chalicelib.ledger.memory import MemoryStore
from chalicelib.ledger.model import Entry, Posting, Source

DAY = date(2027, 6, 12)


class Review:
    """A book whose state is the day its holder is due for a look (its balance never moves)."""

    name = "review"
    entry_prefix = "rv_"

    def load(self, raw: Any) -> date | None:
        return date.fromisoformat(raw) if raw else None

    def dump(self, state: date | None) -> Any:
        return state.isoformat() if state else None

    def apply(self, state: date | None, posting: Posting, today: date) -> tuple[date | None, Any]:
        return date.fromisoformat(posting.detail), None

    def undo(self, state: date | None, entry: Entry, today: date) -> tuple[date | None, Any]:
        raise NotImplementedError("the review book's state is set, never reversed: the test posts no reversal")

    def balance(self, state: date | None) -> int:
        return 0

    def due(self, state: date | None, today: date) -> dict[str, date | None]:
        return {"review": state if state is None or state >= today else today + timedelta(days=5)}


def test_an_account_looked_at_and_left_as_it_was_is_filed_under_its_next_day_once() -> None:
    today = [DAY]
    store = MemoryStore(statuses={"m1": "active"})
    ledger = Ledger(store, {"review": Review()}, pause=lambda attempt: None, today=lambda: today[0])
    ledger.post([Posting("m1", "review", 0, "set", Source("t", "1"), "x", DAY.isoformat(), kept=True)])
    assert store.read("m1").due["review"] == DAY
    today[0] = DAY + timedelta(days=1)  # the night after: nothing to do, but its day has passed
    commits = store.commits
    assert ledger.amend("m1", "review", lambda state: state) is False  # nothing changed, no event
    assert store.read("m1").due["review"] == DAY + timedelta(days=6)  # filed where a later night reads it
    assert ledger.amend("m1", "review", lambda state: state) is False
    assert store.commits == commits + 1  # filed once, not again
