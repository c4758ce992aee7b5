"""The guide's worked example (docs/ledger.md) runs as written: adding a book is what it says."""

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def test_the_guide_s_stamp_card_runs_as_written():
    [code] = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)
    namespace: dict[str, object] = {"__name__": "guide"}
    exec(compile(code, str(GUIDE), "exec"), namespace)  # our own document, in the repository
    ledger = namespace["stamps"]
    assert ledger.balance("m1", "stamps") == 2  # type: ignore[attr-defined]
    assert ledger.store.commits == 13  # type: ignore[attr-defined]  twelve stamps and the free coffee
    assert len(ledger.store.claims) == 12  # type: ignore[attr-defined]  the refused 13th stamp kept no claim


def test_the_guide_s_book_moves_its_state_by_exactly_each_amount_or_refuses():
    """Whatever the postings and reversals, the stamp book's balance is the sum of the amounts it took."""
    from hypothesis import given
    from hypothesis import strategies as st

    from chalicelib.ledger.model import Insufficient

    [code] = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)
    namespace: dict[str, object] = {"__name__": "guide"}
    exec(compile(code.partition("\nstamps = ")[0], str(GUIDE), "exec"), namespace)  # the book alone
    book, refused = namespace["StampBook"](), (Insufficient, namespace["CardFull"])  # type: ignore[operator]

    @given(st.lists(st.integers(-15, 15), max_size=40))
    def moves(amounts: list[int]) -> None:
        state, taken = 0, 0
        for amount in amounts:
            try:
                state, _ = book.apply(state, _posting(amount), None)
            except refused:
                continue
            taken += amount
            assert 0 <= state <= book.most
        assert state == taken

    moves()


def _posting(amount: int):  # type: ignore[no-untyped-def]
    from chalicelib.ledger.model import Posting, Source

    return Posting("m1", "stamps", amount, "stamp", Source("order", "o"), "test")
