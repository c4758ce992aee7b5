"""The nightly reconciliation of every book: each account written since the last run is checked, book by
book, from its checkpoint: the entries are numbered without gaps, each entry's balance after is the running
sum, and the book's balance (and the book's own counters, where it has a check) equals that sum. Drift is
logged, counted as the ``<Book>Drift`` metric (``PointsDrift``, ``GrowthDrift``, ``WalletPrincipalDrift`` ...,
alarmed) and announced as ``<asset>.drift``. A clean book moves its checkpoint to its last entry of the business
day that ended, so each entry is read once more at most; each checkpoint's move is added, in the same commit, to
its book's total, so the totals are every book's sum over all holders at that day's end (``checked_totals``), which
the reports' liability is checked against (``stats.checks``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from chalicelib.ledger.engine import LedgerBusy
from chalicelib.ledger.model import Account
from chalicelib.ledger.registry import ledger
from chalicelib.ledger.store import MAX_ITEMS, Checkpoint, checkpoint_items
from chalicelib.shared import clock, schedules
from chalicelib.shared.clock import business_date
from chalicelib.shared.dateindex import PARTITIONS_PER_BATCH, partitions
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.jobs import SINCE_THE_FIRST_DAY, Job, last_ended_day, recent_reports, register, watermark
from chalicelib.shared.logs import logger
from chalicelib.shared.settings import get_settings

CHECKPOINT_ATTEMPTS = 3  # fresh reads of one account whose checkpoint did not commit, before its batch is retried


class ReconcileLedger(Job):
    """Check every book of the accounts written since the last run against their entries."""

    name = "reconcile-ledger"
    schedule = schedules.RECONCILE_LEDGER
    description = "Check every book's balance against its entries"
    batch_size = PARTITIONS_PER_BATCH
    first_run_lookback_days = SINCE_THE_FIRST_DAY  # the totals need every account checked

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        """Accounts last written through today: one written every night before this run (or on the days since
        ``as_of``, when a run catches up) would otherwise never be listed on a day the run reads. Checking an account
        twice is cheap: it starts from its checkpoint. Before the first run ever (this one is the only run there is),
        no account has a checkpoint, so the totals count from zero; runs of code older than the totals may have
        moved checkpoints without adding to them, so then they are counted once (``cli ledger count-totals``)."""
        if watermark(self) is None and len(recent_reports(self.name, 2)) <= 1:
            ledger().store.mark_totals_whole()
        return partitions(first_day, max(as_of + timedelta(days=1), clock.business_today()))

    def process(self, keys: list[str], as_of: date) -> int:
        """The batch's accounts read 100 at a time, checked, and their checkpoints committed up to 100 items at a
        time (the batch's partitions are shards no other batch of the night reads, so commits rarely meet)."""
        store, through = ledger().store, min(as_of, last_ended_day())
        # once each: an index that lags may list a holder in two partitions of the batch
        holders = list(dict.fromkeys(holder for partition in keys for holder in store.due_in("touched", partition)))
        checkpoints, drifted = [], {}
        for start in range(0, len(holders), 100):
            for account in store.read_many(holders[start : start + 100]).values():
                found, point = check(account, through, report=False)
                drifted[account.holder] = found
                if point is not None:
                    checkpoints.append(point)
        for chunk in _chunks(checkpoints):
            if not store.checkpoint(chunk):  # a concurrent run moved one: each on its own, afresh (and reported so)
                for point in chunk:
                    reconcile(point.holder, through)
                    drifted.pop(point.holder, None)
        for holder, found in drifted.items():  # each account's drift reported once, from its last check
            for name, problems in found.items():
                _report_drift(holder, name, problems)
        return len(holders)


def reconcile(holder: str, through: date | None = None) -> dict[str, list[str]]:
    """Check one account's books (see ``check``) and record its checkpoint; returns what is wrong per book. A
    checkpoint that did not commit is checked again from a fresh read (a concurrent run's move reads as none left);
    an account too busy to take it fails the batch, which is delivered again."""
    for _ in range(CHECKPOINT_ATTEMPTS):
        found, point = check(ledger().store.read(holder), through)
        if point is None or ledger().store.checkpoint([point]):
            return found
    raise LedgerBusy(f"the checkpoint of {holder} kept meeting its posts; the batch is retried")


def check(
    account: Account, through: date | None = None, *, report: bool = True
) -> tuple[dict[str, list[str]], Checkpoint | None]:
    """Check an account's books from their checkpoints: what is wrong per book (announced as drift), and the
    checkpoint to record (None: nothing moved). A book that adds up moves its checkpoint to its last entry made by
    the end of ``through`` (the business day that ended, by default), so the books' totals stand at a day's end; a
    later entry is checked now and again next time. A book that does not add up keeps its checkpoint. ``report``
    False leaves reporting the drift to the caller (a batch reports each account once, from its last check)."""
    engine, through, holder = ledger(), through or last_ended_day(), account.holder
    if account.rev is None:
        return {}, None
    found: dict[str, list[str]] = {}
    checked = dict(account.checked)
    tz = get_settings().tz
    for name, raw in account.books.items():
        book = engine.books[name]
        seq = account.seqs.get(name, 0)
        start, total = checked.get(name, (0, 0))
        problems, expected, cut = [], start, (start, total)
        for entry in engine.store.entries_between(holder, name, start + 1, seq):
            expected += 1
            if entry.seq != expected:
                problems.append(f"entry {expected} is missing")
                expected = entry.seq
            total += entry.amount
            if entry.balance_after != total:
                problems.append(f"entry {entry.seq} says balance {entry.balance_after}, the ledger adds up to {total}")
            if cut[0] == entry.seq - 1 and business_date(datetime.fromisoformat(entry.occurred_at), tz) <= through:
                cut = (entry.seq, total)
        if expected != seq:
            problems.append(f"the account counts {seq} entries, the ledger {expected}")
        state = book.load(raw)
        if book.balance(state) != total:
            problems.append(f"balance {book.balance(state)}, ledger {total}")
        problems += list(getattr(book, "problems", lambda state: [])(state))
        if problems:
            found[name] = problems
            if report:
                _report_drift(holder, name, problems)
        else:
            checked[name] = cut
    point = Checkpoint(holder, account.checked, checked)
    return found, point if point.now != point.was else None


def _chunks(checkpoints: list[Checkpoint]) -> Iterator[list[Checkpoint]]:
    """Checkpoints in commits of at most ``MAX_ITEMS`` items (accounts and the book totals they move)."""
    chunk: list[Checkpoint] = []
    for point in checkpoints:
        if chunk and checkpoint_items([*chunk, point]) > MAX_ITEMS:
            yield chunk
            chunk = []
        chunk.append(point)
    if chunk:
        yield chunk


def checked_totals(day: date) -> dict[str, int] | None:
    """Each book's sum over every holder at the end of ``day``, from the checkpoints' totals, when they stand there:
    ``day`` has ended, reconciliation last completed for it (its watermark) and no run for a later day has started
    since (even one that failed part-way moved some checkpoints past it); else None, as while the totals are not
    whole (a platform reconciled before they were kept: ``cli ledger count-totals``). A book whose account does not
    add up keeps its checkpoint, so the totals then lag by what moved in it since (its drift is alarmed on its own)."""
    if day >= clock.business_today() or watermark(reconcile_ledger) != day:
        return None
    newest = recent_reports(reconcile_ledger.name, 1)
    if newest and date.fromisoformat(newest[0].as_of) > day:
        return None
    return ledger().store.totals()


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
