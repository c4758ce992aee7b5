"""A short run of the seeded fault simulation (bench/simulate.py runs many seeds of 100,000 operations):
every book adds up, nothing goes negative and every business key has one effect, under injected faults."""

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest

from chalicelib.ledger.model import CounterBook

BENCH = Path(__file__).resolve().parents[2] / "bench" / "simulate.py"


def _simulation():
    spec = importlib.util.spec_from_file_location("ledger_simulation", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


simulation = _simulation()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_seed_keeps_every_invariant_under_faults(seed):
    figures = simulation.simulate([seed], 2_000)
    assert figures.operations == 2_000
    assert sum(figures.faults.values()) > 50  # faults of every kind were injected, not a quiet run
    assert set(figures.faults) == {*simulation.FAULT_RATES, "job:crash"}
    assert "read-claim:throttle" in figures.faults  # a repeat's read of its claim is throttled too
    assert figures.outcomes["duplicate"] > 0
    assert figures.outcomes["conflict"] > 0
    assert figures.outcomes["refused"] > 0


def test_a_seed_replays_the_same_run():
    first, again = simulation.simulate([7], 500), simulation.simulate([7], 500)
    assert (first.outcomes, first.faults, first.entries) == (again.outcomes, again.faults, again.entries)


def test_a_book_that_breaks_its_rules_fails_the_run_naming_the_seed(monkeypatch):
    @dataclasses.dataclass(frozen=True)
    class Leaky(CounterBook):
        def apply(self, state, posting, today):
            after, detail = super().apply(state, posting, today)
            return (type(after)(after.balance + 1) if posting.amount > 0 else after), detail  # one fen too many

    monkeypatch.setitem(simulation.BOOKS, simulation.BONUS, Leaky(simulation.BONUS))
    with pytest.raises(simulation.SimulationFailed, match=r"seed 4 step \d+: .*replay: python bench/simulate.py"):
        simulation.simulate([4], 2_000)


def test_counted_benefit_uses_are_simulated_and_a_use_past_the_allowance_would_be_caught(monkeypatch):
    """The run drives paid cards' benefit uses too; a book that let a fourth use of a month through fails it."""
    run = simulation.Run(3, simulation.Figures(seeds=[3]))
    run.run(1_500)
    uses = [entry for (_, book), entries in run.store.entries.items() if book == simulation.USES for entry in entries]
    assert {"use", "reverse"} <= {entry.kind for entry in uses}

    class Generous(type(simulation.BOOKS[simulation.USES])):
        def apply(self, state, posting, today):
            return super().apply(state, simulation.Posting(
                posting.holder, posting.book, posting.amount, posting.kind, posting.source, posting.reason,
                {**posting.detail, "allowed": 99}), today)  # fmt: skip

    monkeypatch.setitem(simulation.BOOKS, simulation.USES, Generous())
    with pytest.raises(simulation.SimulationFailed, match="used 4 in a period"):
        simulation.simulate([3], 1_500)


def test_coupons_and_mall_orders_are_simulated_through_every_change():
    """The run claims coupons from a limited stock, uses them on orders, gives them back and expires them, and moves
    mall exchanges through shipping, cancellation and after-sale refunds."""
    run = simulation.Run(5, simulation.Figures(seeds=[5]))
    run.run(2_000)
    changes = {(book, entry.kind) for (_, book), entries in run.store.entries.items() for entry in entries}
    assert {("coupon", kind) for kind in ("issue", "redeem", "return", "expire")} <= changes
    assert {("coupon-stock", "issue"), ("coupon-taken", "issue"), ("coupon-order", "redeem"),
            ("coupon-order", "return")} <= changes  # fmt: skip
    assert {("mall-order", kind) for kind in ("place", "ship", "complete", "cancel", "refund")} <= changes
    assert {("mall-stock", "sale"), ("mall-stock", "return"), ("mall-limit", "count"),
            ("mall-limit", "uncount"), ("points", "reverse")} <= changes  # fmt: skip


@pytest.mark.parametrize(
    ("forgotten", "kind", "problem"),
    [
        ("mall-stock", "return", "the reward sold"),  # units back on the shelf while the order still counts them
        ("mall-limit", "uncount", "limit counts"),  # the member's limit still counting a cancelled order
        ("coupon-taken", "issue", r"holds \d+ of tpl-\d+, counted"),  # a coupon the member's limit never counted
    ],
)
def test_a_change_that_forgets_one_of_its_books_fails_the_run(monkeypatch, forgotten, kind, problem):
    """A post that leaves out one book's part (it posts nothing there) keeps every book adding up on its own and makes
    as many entries as its answer says: the checks across books catch it."""
    posting = simulation.Posting

    def forgetting(holder, book, amount, change, *rest, **named):
        return posting(holder, book, 0 if (book, change) == (forgotten, kind) else amount, change, *rest, **named)

    monkeypatch.setattr(simulation, "Posting", forgetting)
    with pytest.raises(simulation.SimulationFailed, match=problem):
        simulation.simulate([5], 1_500)


def test_paid_cards_are_simulated_and_a_card_that_misstates_its_refund_would_be_caught(monkeypatch):
    """Cards are bought from the wallet, cancelled with a pro-rata refund and the refund delivered to the wallet (at
    least once); a cancellation that wrote on the card less than the money it took off the card's book is caught."""
    run = simulation.Run(6, simulation.Figures(seeds=[6]))
    run.run(2_000)
    kinds = {
        entry.kind for (_, book), entries in run.store.entries.items() if book == "membership" for entry in entries
    }
    assert {"purchase", "renewal", "refund"} <= kinds
    assert any(key.startswith("card-refund:") for key in run.expected)

    refunded = simulation.cards.refunded

    def halved(card, refund, today):
        return refunded(card, dataclasses.replace(refund, parts=tuple((p, fen // 2) for p, fen in refund.parts)), today)

    monkeypatch.setattr(simulation.cards, "refunded", halved)
    with pytest.raises(simulation.SimulationFailed, match=r"holds \d+ for cards paid \d+"):
        simulation.simulate([6], 2_000)


def test_a_card_refund_listener_that_gives_back_twice_when_its_event_comes_again_fails_the_run(monkeypatch):
    """The card-cancelled event is delivered at least once: a listener keyed on each delivery instead of on the
    cancellation and payment refunds the wallet again, which the run catches."""
    deliveries = iter(range(1_000_000))

    def each_delivery(cancel, payment_id):
        return f"card-refund:{cancel}:{payment_id}:{next(deliveries)}"

    monkeypatch.setattr(simulation.Run, "card_refund_key", staticmethod(each_delivery))
    with pytest.raises(simulation.SimulationFailed, match=r"gave \d+ back to the wallet; the cancellations delivered"):
        simulation.simulate([1], 3_000)
