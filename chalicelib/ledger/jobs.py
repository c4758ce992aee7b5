"""The nightly reconciliation of every book: each account written since the last run is checked, book by
book, from its checkpoint: the entries are numbered without gaps, each entry's balance after is the running
sum, and the book's balance (and the book's own counters, where it has a check) equals that sum. Drift is
logged, counted as the ``<Book>Drift`` metric (``PointsDrift``, ``GrowthDrift``, ``WalletPrincipalDrift`` ...,
alarmed) and announced as ``<asset>.drift``; a clean account moves its checkpoint, so each entry is read once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from chalicelib.ledger.registry import ledger
from chalicelib.shared import schedules
from chalicelib.shared.dateindex import PARTITIONS_PER_BATCH, partitions
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.jobs import Job, register
from chalicelib.shared.logs import logger
from chalicelib.shared.settings import get_settings


class ReconcileLedger(Job):
    """Check every book of the accounts written since the last run against their entries."""

    name = "reconcile-ledger"
    schedule = schedules.RECONCILE_LEDGER
    description = "Check every book's balance against its entries"
    batch_size = PARTITIONS_PER_BATCH

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        """Accounts last written through the day under way: one written every night before this run would
        otherwise always sit in tonight's partition. That day is read again by the next run (checking an
        account twice is cheap: it starts from its checkpoint)."""
        return partitions(first_day, as_of + timedelta(days=1))

    def process(self, keys: list[str], as_of: date) -> int:
        checked = 0
        for partition in keys:
            for holder in ledger().store.due_in("touched", partition):
                reconcile(holder)
                checked += 1
        return checked


def reconcile(holder: str) -> dict[str, list[str]]:
    """Check one account's books; returns what is wrong per book (and announces it), moving the checkpoints
    when all is well."""
    engine = ledger()
    account = engine.store.read(holder)
    if account.rev is None:
        return {}
    found: dict[str, list[str]] = {}
    checked = dict(account.checked)
    for name, raw in account.books.items():
        book = engine.books[name]
        seq = account.seqs.get(name, 0)
        start, total = checked.get(name, (0, 0))
        problems, expected = [], start
        for entry in engine.store.entries_between(holder, name, start + 1, seq):
            expected += 1
            if entry.seq != expected:
                problems.append(f"entry {expected} is missing")
                expected = entry.seq
            total += entry.amount
            if entry.balance_after != total:
                problems.append(f"entry {entry.seq} says balance {entry.balance_after}, the ledger adds up to {total}")
        if expected != seq:
            problems.append(f"the account counts {seq} entries, the ledger {expected}")
        state = book.load(raw)
        if book.balance(state) != total:
            problems.append(f"balance {book.balance(state)}, ledger {total}")
        problems += list(getattr(book, "problems", lambda state: [])(state))
        if problems:
            found[name] = problems
            _report_drift(holder, name, problems)
        else:
            checked[name] = (seq, total)
    if checked != dict(account.checked):
        engine.store.checkpoint(holder, int(account.rev), checked)  # a write meanwhile: it moves next time
    return found


def drift_metric(book: str) -> str:
    """The metric a book's drift is counted in: ``points`` -> ``PointsDrift``, ``wallet-bonus`` ->
    ``WalletBonusDrift`` (each alarmed, see infra)."""
    return "".join(part.capitalize() for part in book.split("-")) + "Drift"


def _report_drift(holder: str, book: str, problems: list[str]) -> None:
    from aws_lambda_powertools.metrics import MetricUnit, single_metric  # only a drift needs it

    logger.error("ledger drift", extra={"holder": holder, "book": book, "problems": problems})
    with single_metric(name=drift_metric(book), unit=MetricUnit.Count, value=1, namespace="Loyalty") as metric:
        metric.add_dimension(name="stage", value=get_settings().stage)
    tx = Transaction()
    asset = book.split("-")[0]
    emit(tx, new_event(f"{asset}.drift", f"member/{holder}", {
        "member_id": holder, "book": book, "problems": problems,
    }))  # fmt: skip
    tx.commit()


reconcile_ledger = register(ReconcileLedger())
