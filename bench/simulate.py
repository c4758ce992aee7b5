"""The seeded fault simulation of the ledger: many operations on every kind of book, with faults injected.

Drives the ledger engine with the platform's books (points, growth value, tier standing, stored value, a
payment's refundable amounts and paid cards' counted benefit uses) on the in-memory store: earns with their growth,
redemptions, refunds that claw back (and may leave debt), reversals (of redemptions and of benefit uses), adjustments,
benefit uses within their period's allowance, the expiry and maturity jobs, wallet top-ups,
payments split between principal and bonus (earning the top-up gift points pending), refunds of payments (taking
them back), cash refunds (forfeiting what is pending), repeats of the same business key (same
content, and other content), and jumps of the clock. Faults are injected between the engine's steps: the
store throttles a read or a commit, a commit loses a race, a response is lost after the commit (the caller
retries), and a job crashes between two members (it is run again).

After every operation, for every account it touched: each book's balance equals the sum of its entries,
entries are numbered without gaps with exact running balances, nothing is negative, and every business key
has had at most one effect (exactly one once it succeeded). A failure names its seed and step; the same
seed replays the same run: ``python bench/simulate.py --seed N``.

Prints JSON: seeds, operations and faults checked (``python bench/simulate.py --seeds 5 --operations 100000``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
for name, value in {  # settings the platform requires; nothing here reaches AWS (the store is in memory)
    "LOYALTY_STAGE": "simulation", "POWERTOOLS_LOG_LEVEL": "ERROR", "LOYALTY_TABLE_PREFIX": "loyalty-simulation",
    "LOYALTY_EVENTS_TOPIC_ARN": "arn:aws-cn:sns:cn-north-1:123456789012:loyalty-simulation-events",
    "LOYALTY_JOBS_QUEUE_URL": "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/loyalty-simulation-jobs",
    "LOYALTY_IMPORTS_QUEUE_URL": "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/loyalty-simulation-imports",
    "LOYALTY_IMPORTS_BUCKET": "loyalty-simulation-imports",
    "LOYALTY_CURSOR_SECRET": "simulation-cursor-secret-simulation", "AWS_DEFAULT_REGION": "cn-north-1",
    "LOYALTY_LOOKUP_HASH_KEY": "simulation-lookup-hash-key-simulation",
    "LOYALTY_JWT_SECRET": "simulation-jwt-secret-simulation-jwt",
    "LOYALTY_LOCAL_KEY_FILE": "/nonexistent/simulation.key",  # never read: nothing is sealed
}.items():  # fmt: skip
    os.environ.setdefault(name, value)

from chalicelib.ledger.engine import Holdings, Ledger, LedgerBusy, SourceConflict  # noqa: E402
from chalicelib.ledger.memory import MemoryStore  # noqa: E402
from chalicelib.ledger.model import Claim, Insufficient, Posting, Source  # noqa: E402
from chalicelib.ledger.store import Stale, Throttled, Uncertain  # noqa: E402
from chalicelib.membership.book import USES, UsesBook  # noqa: E402
from chalicelib.points import rules as points_rules  # noqa: E402
from chalicelib.points.book import PointsBook  # noqa: E402
from chalicelib.tiers.book import GrowthBook, TierBook  # noqa: E402
from chalicelib.wallet import rules as wallet  # noqa: E402
from chalicelib.wallet.rules import BONUS, GIFTS, PRINCIPAL, REFUNDABLE, Parts  # noqa: E402

BOOKS: dict[str, Any] = {"points": PointsBook(), "growth": GrowthBook(), "tier": TierBook(), **wallet.BOOKS,
                         USES: UsesBook()}  # fmt: skip
ALLOWED_USES = 3  # a counted benefit's uses a month (私教课 3 次/月)
FAULT_RATES = {
    "read:throttle": 0.01, "read-claim:throttle": 0.05, "commit:throttle": 0.01, "commit:conflict": 0.01,
    "committed:lost": 0.02,
}  # fmt: skip
START = date(2026, 3, 1)
KINDS = ("order", "redeem", "refund", "adjust", "top-up", "pay", "wallet-refund", "cash-refund", "use")


class SimulationFailed(AssertionError):
    pass


@dataclass
class Figures:
    seeds: list[int] = field(default_factory=list)
    operations: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    checks: int = 0
    entries: int = 0


class Faults:
    """Injects faults at the store's steps with the seed's own random numbers."""

    def __init__(self, rng: random.Random, figures: Figures) -> None:
        self.rng, self.figures, self.enabled = rng, figures, True

    def __call__(self, step: str) -> None:
        if not self.enabled:
            return
        for name, rate in FAULT_RATES.items():
            where, _, what = name.partition(":")
            if step == where and self.rng.random() < rate:
                self.figures.faults[name] += 1
                raise {"throttle": Throttled(), "conflict": Stale("simulated"), "lost": Uncertain()}[what]


class Run:
    """One seed's run: the store, the engine, the business keys seen and the checks."""

    def __init__(self, seed: int, figures: Figures) -> None:
        self.seed, self.figures = seed, figures
        self.rng = random.Random(seed)
        self.faults = Faults(random.Random(seed * 7919 + 1), figures)
        self.members = [f"m{n}" for n in range(20)]
        self.store = MemoryStore(statuses=dict.fromkeys(self.members, "active"), fault=self.faults)
        self.touched: set[tuple[str, str]] = set()  # the books the step's commits wrote
        commit = self.store.commit

        def noting(unit: Any) -> None:
            try:
                commit(unit)
            finally:  # a lost answer is raised after the commit wrote: check what it may have written either way
                self.touched.update((write.holder, book) for write in unit.accounts for book in write.books)

        self.store.commit = noting  # type: ignore[method-assign]
        self.today = START
        self.ledger = Ledger(self.store, BOOKS, pause=lambda attempt: None, today=lambda: self.today, attempts=200)
        self.keys: dict[str, tuple[list[Posting] | Callable[[Holdings], list[Posting]], Claim, list[str]]] = {}
        self.effects: Counter[str] = Counter()  # entries per business key (their source ids)
        self.expected: dict[str, int] = {}  # entries a business key's one effect made
        self.seen: dict[tuple[str, str], int] = {}  # entries checked so far per (holder, book)
        self.sums: dict[tuple[str, str], int] = {}
        self.redeemed: list[str] = []
        self.payments: list[tuple[str, str]] = []  # (claim key, member)
        self.serial = 0
        self.step = 0
        self.rng_split: wallet.Split = self.rng.choice(["proportional", "principal-first", "bonus-first"])

    # --- operations ----------------------------------------------------------------------------------------

    def next_key(self, kind: str) -> str:
        self.serial += 1
        return f"{kind}:{self.serial}"

    def member(self) -> str:
        return self.rng.choice(self.members)

    def post(self, key: str, plan: Any, holders: list[str], content: Any) -> None:
        """Post once per business key, retrying a lost answer as a caller would; remember what it did."""
        claim = Claim.of(key, content)
        self.keys[key] = (plan, claim, holders)
        self._post(key, plan, claim, holders)

    def _post(self, key: str, plan: Any, claim: Claim, holders: list[str]) -> None:
        for _ in range(10):  # a caller retries what failed without an answer
            try:
                answer = self.ledger.post(plan, holders=holders, claim=claim)
            except Insufficient:
                self.figures.outcomes["refused"] += 1
                return
            except SourceConflict:  # the key went to other content after this request was refused
                self.figures.outcomes["conflict"] += 1
                return
            except LedgerBusy:
                self.figures.outcomes["busy-retried"] += 1
                continue
            if answer.duplicate:  # a repeat, or the engine resolving a lost answer: the claim says what it did
                self.figures.outcomes["duplicate"] += 1
                if key not in self.expected:
                    self.expected[key] = len(self.store.claims[key][0].entries)
            else:
                self.figures.outcomes["posted"] += 1
                if answer.entries:
                    self.expected[key] = len(answer.entries)
            return
        raise SimulationFailed(f"seed {self.seed} step {self.step}: {key} never got an answer")

    def earn(self) -> None:
        member, points = self.member(), self.rng.randint(1, 500)
        key = self.next_key("order")
        expires = self.today + timedelta(days=self.rng.randint(0, 60))
        available = self.today + timedelta(days=self.rng.randint(1, 5)) if self.rng.random() < 0.3 else None
        month = f"{self.today:%Y-%m}"
        lots = [[expires.isoformat(), available.isoformat() if available else None, points]]

        def plan(holdings: Holdings) -> list[Posting]:
            before = holdings.state(member, "growth")
            growth = before.add(month, points, points * 100, self.today).growth - before.growth
            return [Posting(member, "points", points, "earn", Source("order", key), "earn", detail={"lots": lots}),
                    Posting(member, "growth", growth, "earn", Source("order", key), "growth",
                            detail={"growth": points, "paid_fen": points * 100, "month": month})]  # fmt: skip

        self.post(key, plan, [member], {"member": member, "points": points})

    def redeem(self) -> None:
        member, points, key = self.member(), self.rng.randint(1, 300), self.next_key("redeem")
        self.post(key, [Posting(member, "points", -points, "redeem", Source("redemption", key), "redeem")], [member],
                  {"member": member, "points": points})  # fmt: skip
        if key in self.expected:
            self.redeemed.append(key)

    def refund(self) -> None:
        member, points, key = self.member(), self.rng.randint(1, 200), self.next_key("refund")
        month = f"{self.today:%Y-%m}"

        def plan(holdings: Holdings) -> list[Posting]:
            before = holdings.state(member, "growth")
            growth = before.add(month, -points, -points * 100, self.today).growth - before.growth
            return [Posting(member, "points", -points, "refund", Source("refund", key), "claw back"),
                    Posting(member, "growth", growth, "reverse", Source("refund", key), "growth back",
                            detail={"growth": -points, "paid_fen": -points * 100, "month": month})]  # fmt: skip

        self.post(key, plan, [member], {"member": member, "points": points})

    def reverse(self) -> None:
        if not self.redeemed:
            return self.earn()
        original = self.rng.choice(self.redeemed)
        key = f"reverse:{original}"
        claim = Claim.of(key, {"original": original})
        for _ in range(10):
            try:
                answer = self.ledger.reverse(original, claim=claim, reason="reverse")
            except LedgerBusy:
                continue
            if not answer.duplicate:
                self.expected[key] = len(answer.entries)
                self.figures.outcomes["reversed"] += 1
            else:
                self.figures.outcomes["duplicate"] += 1
            return None
        raise SimulationFailed(f"seed {self.seed} step {self.step}: reversal of {original} never got an answer")

    def use_benefit(self) -> None:
        """A counted benefit used at the till: +1 in this month's count, refused past the month's allowance."""
        member, key = self.rng.choice(self.members[:3]), self.next_key("use")  # a few regulars: allowances run out
        detail = {"key": "card|pt-session", "period": self.today.replace(day=1).isoformat(), "allowed": ALLOWED_USES}
        self.post(key, [Posting(member, USES, 1, "use", Source("use", key), "use", detail=detail)], [member],
                  {"member": member})  # fmt: skip
        if key in self.expected:
            self.redeemed.append(key)  # a use is reversed as a redemption is (its claim's entries undone once)

    def adjust(self) -> None:
        member, points, key = self.member(), self.rng.randint(-100, 100) or 1, self.next_key("adjust")
        detail = {"lots": [[None, None, points]]} if points > 0 else None
        self.post(key, [Posting(member, "points", points, "adjust", Source("staff", key), "adjust", detail=detail)],
                  [member], {"member": member, "points": points})  # fmt: skip

    def top_up(self) -> None:
        """A plan's top-up: principal, a fifth of it in bonus, and gift points to earn as the principal is spent."""
        member, paid, key = self.member(), self.rng.randint(1, 50) * 1_000, self.next_key("top-up")
        bonus, gift, source = paid // 5, paid // 1_000, Source("top-up", key)

        def plan(holdings: Holdings) -> list[Posting]:
            gifts = wallet.gift_on_top_up(holdings.state(member, GIFTS), gift)
            return [Posting(member, PRINCIPAL, paid, "top-up", source, "top-up"),
                    Posting(member, BONUS, bonus, "top-up", source, "bonus"),
                    Posting(member, GIFTS, 0, "gift", source, "", gifts.to_json())]  # fmt: skip

        self.post(key, plan, [member], {"member": member, "paid": paid})

    def pay(self) -> None:
        member, amount, key = self.member(), self.rng.randint(1, 30) * 500, self.next_key("pay")
        payment = f"payment:{key}"

        def plan(holdings: Holdings) -> list[Posting]:
            balance = Parts(holdings.balance(member, PRINCIPAL), holdings.balance(member, BONUS))
            if amount > balance.total:
                raise Insufficient(PRINCIPAL, balance.total, amount)
            taken = wallet.split_payment(amount, balance, self.rng_split)
            source = Source("payment", key)
            gifts, earned, points = wallet.gift_on_payment(holdings.state(member, GIFTS), taken.principal,
                                                           balance.principal)  # fmt: skip
            refundable = {"principal": taken.principal, "bonus": taken.bonus, "member_id": member, "gift": earned}
            credit = [Posting(member, "points", points, "earn", source, "gift earned",
                              detail={"lots": [[None, None, points]]})] if points else []  # fmt: skip
            return [
                Posting(member, PRINCIPAL, -taken.principal, "payment", source, "pay"),
                Posting(member, BONUS, -taken.bonus, "payment", source, "pay"),
                Posting(payment, REFUNDABLE, amount, "payment", source, "refundable", detail=refundable),
                Posting(member, GIFTS, 0, "gift", source, "", gifts.to_json()),
                *credit,
            ]

        self.post(key, plan, [member, payment], {"member": member, "amount": amount})
        if key in self.expected:
            self.payments.append((key, member))

    def refund_payment(self) -> None:
        if not self.payments:
            return self.top_up()
        original, member = self.rng.choice(self.payments)
        payment, amount, key = f"payment:{original}", self.rng.randint(1, 10) * 500, self.next_key("wallet-refund")

        def plan(holdings: Holdings) -> list[Posting]:
            paid = holdings.state(payment, REFUNDABLE)
            left = paid.left
            if amount > left.total:
                raise Insufficient(REFUNDABLE, left.total, amount)
            back = wallet.split_refund(amount, left)
            source = Source("refund", key)
            gifts, unearned, points = wallet.gift_on_refund(holdings.state(member, GIFTS), paid.gift, back.principal,
                                                            left.principal)  # fmt: skip
            given = {"principal": -back.principal, "bonus": -back.bonus, "gift": -unearned}
            clawed = [Posting(member, "points", -points, "refund", source, "gift taken back")] if points else []
            return [
                Posting(payment, REFUNDABLE, -amount, "refund", source, "refunded", detail=given),
                Posting(member, PRINCIPAL, back.principal, "refund", source, "refund"),
                Posting(member, BONUS, back.bonus, "refund", source, "refund"),
                Posting(member, GIFTS, 0, "gift", source, "", gifts.to_json()),
                *clawed,
            ]

        self.post(key, plan, [payment, member], {"payment": original, "amount": amount})
        return None

    def cash_refund(self) -> None:
        """退余额: principal paid out in cash, with the bonus that goes with it (prorated)."""
        member, amount, key = self.member(), self.rng.randint(1, 20) * 500, self.next_key("cash-refund")

        def plan(holdings: Holdings) -> list[Posting]:
            balance = Parts(holdings.balance(member, PRINCIPAL), holdings.balance(member, BONUS))
            if amount > balance.principal:
                raise Insufficient(PRINCIPAL, balance.principal, amount)
            out = wallet.cash_out(amount, balance, "prorate")
            source = Source("cash-refund", key)
            gifts, _ = wallet.gift_on_cash_refund(holdings.state(member, GIFTS), out.principal, balance.principal)
            return [Posting(member, PRINCIPAL, -out.principal, "cash-refund", source, "cash"),
                    Posting(member, BONUS, -out.bonus, "cash-refund", source, "bonus forfeited"),
                    Posting(member, GIFTS, 0, "gift", source, "", gifts.to_json())]  # fmt: skip

        self.post(key, plan, [member], {"member": member, "amount": amount})

    def repeat(self) -> None:
        if not self.keys:
            return self.earn()
        key = self.rng.choice(sorted(self.keys))
        plan, claim, holders = self.keys[key]
        if self.rng.random() < 0.7:
            self._post(key, plan, claim, holders)  # the same request again: at most one effect
            return None
        other = Claim(claim.key, claim.content + "-other")
        try:
            answer = self.ledger.post(plan, holders=holders, claim=other)
        except SourceConflict:
            self.figures.outcomes["conflict"] += 1
            return None
        except (Insufficient, LedgerBusy):
            self.figures.outcomes["refused"] += 1
            return None
        if answer.duplicate:  # posted before (an earlier repeat's), or this post's own answer was lost
            self.figures.outcomes["duplicate"] += 1
            self.expected.setdefault(key, -1)
            return None
        if key in self.expected:
            raise SimulationFailed(f"seed {self.seed} step {self.step}: {key} with other content was posted again")
        self.expected[key] = -1  # the first attempt was refused: this content is now the key's one effect
        return None

    def run_job(self, job: Callable[[str], None]) -> None:
        """A nightly job over every member; it may crash between two of them, and is then run again."""
        for _ in range(20):
            try:
                for member in self.members:
                    if self.rng.random() < 0.01:
                        self.figures.faults["job:crash"] += 1
                        raise RuntimeError("the job's worker died")
                    job(member)
                return
            except (RuntimeError, LedgerBusy):
                continue
        raise SimulationFailed(f"seed {self.seed} step {self.step}: a job never completed")

    def expire(self, member: str) -> None:
        through = self.today - timedelta(days=1)

        def plan(holdings: Holdings) -> list[Posting]:
            _, draws = points_rules.expire(holdings.state(member, "points"), through)
            points = sum(draw.points for draw in draws)
            source = Source("job", f"expire:{through}")
            return [Posting(member, "points", -points, "expire", source, "expired",
                            detail={"through": through.isoformat()})] if points else []  # fmt: skip

        self.ledger.post(plan, holders=[member])

    def mature(self, member: str) -> None:
        self.ledger.amend(member, "points", lambda account: points_rules.mature(account, self.today)[0])

    def jump(self) -> None:
        self.today += timedelta(days=self.rng.randint(0, 20))

    # --- checks ----------------------------------------------------------------------------------------------

    def check(self) -> None:
        """Every book of every account adds up, nothing is negative, no business key had a second effect."""
        self.faults.enabled = False
        try:
            keys: set[str] = set()
            for holder, book in sorted(self.touched):
                entries = self.store.entries.get((holder, book), [])
                seen = self.seen.get((holder, book), 0)
                total = self.sums.get((holder, book), 0)
                for n, entry in enumerate(entries[seen:], start=seen + 1):
                    self.figures.checks += 1
                    total += entry.amount
                    self._require(entry.seq == n, f"{holder} {book}: entry {n} numbered {entry.seq}")
                    self._require(entry.balance_after == total, f"{holder} {book}: entry {n} says "
                                  f"{entry.balance_after}, the entries add up to {total}")  # fmt: skip
                    if entry.source.kind != "job" and entry.source.id:
                        undid = entry.source.kind == "entry"  # a reversal names the entry it undid
                        key = f"undo:{entry.source.id}" if undid else entry.source.id
                        self.effects[key] += 1
                        keys.add(key)
                self.seen[(holder, book)], self.sums[(holder, book)] = len(entries), total
                account = self.store.read(holder)
                state = BOOKS[book].load(account.books.get(book))
                balance = BOOKS[book].balance(state)
                self._require(balance == total, f"{holder} {book}: balance {balance}, entries {total}")
                if book in (PRINCIPAL, BONUS, REFUNDABLE, "growth"):
                    self._require(balance >= 0, f"{holder} {book} is negative: {balance}")
                if book == REFUNDABLE:
                    left = state.left
                    self._require(left.principal >= 0 and left.bonus >= 0, f"{holder}: a part below zero")
                if book == USES:
                    self._require(state.net >= 0, f"{holder} benefit uses below zero: {state.net}")
                    for usage in state.by_key.values():
                        self._require(0 <= usage.used <= ALLOWED_USES, f"{holder} used {usage.used} in a period")
                if book == "points":
                    self._require(state.available(self.today) >= 0, f"{holder} points available below zero")
                    self._require(not BOOKS["points"].problems(state), f"{holder} points counters do not add up")
            for key in keys | {f"{kind}:{self.serial}" for kind in KINDS}:
                made, expected = self.effects.get(key, 0), self.expected.get(key)
                if key.startswith("undo:"):
                    self._require(made <= 1, f"entry {key} reversed twice")
                elif expected is not None and expected != -1:
                    self._require(made == expected, f"{key}: {made} entries, its one effect made {expected}")
                else:
                    self._require(expected == -1 or made == 0, f"{key}: {made} entries from a refused request")
            self.touched.clear()
        finally:
            self.faults.enabled = True

    def _require(self, condition: bool, problem: str) -> None:
        if not condition:
            raise SimulationFailed(f"seed {self.seed} step {self.step}: {problem} "
                                   f"(replay: python bench/simulate.py --seed {self.seed})")  # fmt: skip

    def run(self, operations: int) -> None:
        choices: list[tuple[Callable[[], None], int]] = [
            (self.earn, 20), (self.redeem, 12), (self.refund, 5), (self.reverse, 4), (self.adjust, 6),
            (self.top_up, 10), (self.pay, 12), (self.refund_payment, 5), (self.cash_refund, 2), (self.repeat, 12),
            (self.use_benefit, 6),
            (lambda: self.run_job(self.expire), 2), (lambda: self.run_job(self.mature), 2), (self.jump, 3),
        ]  # fmt: skip
        actions, weights = zip(*choices, strict=True)
        for self.step in range(1, operations + 1):
            self.rng.choices(actions, weights)[0]()
            self.figures.operations += 1
            self.check()
        self.figures.entries += sum(len(entries) for entries in self.store.entries.values())


def simulate(seeds: list[int], operations: int) -> Figures:
    figures = Figures(seeds=seeds)
    for seed in seeds:
        Run(seed, figures).run(operations)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="how many seeds, from --first")
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--seed", type=int, help="replay one seed")
    parser.add_argument("--operations", type=int, default=100_000, help="operations per seed")
    args = parser.parse_args()
    seeds = [args.seed] if args.seed is not None else list(range(args.first, args.first + args.seeds))
    started = time.process_time()
    figures = simulate(seeds, args.operations)
    print(json.dumps({
        "bench": "simulate", "seeds": figures.seeds, "operations_per_seed": args.operations,
        "operations": figures.operations, "entries": figures.entries, "entry_checks": figures.checks,
        "faults_injected": sum(figures.faults.values()), "faults": dict(figures.faults),
        "outcomes": dict(figures.outcomes), "cpu_seconds": round(time.process_time() - started, 1),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
