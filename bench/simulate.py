"""The seeded fault simulation of the ledger: many operations on every kind of book, with faults injected.

Drives the ledger engine with the platform's books (points, growth value, stored value, a payment's refundable
amounts, an order's refunds, paid cards and their counted benefit uses, coupons with their template's stock, a member's
share and an order's coupons, and the points mall's stock, per-member limits and orders; not the tier standing, a
state without a balance) on the in-memory store: earns with their growth, redemptions, partial refunds of orders that
claw back in proportion (and may leave debt), reversals (of redemptions and of benefit uses), adjustments, benefit
uses within their period's allowance, the expiry and maturity jobs, wallet top-ups, payments split between principal
and bonus (earning the top-up gift points pending), refunds of payments (taking them back), cash refunds (forfeiting
what is pending), paid cards bought and renewed from the wallet, cancelled with a pro-rata refund that the wallet's
listener gives back (delivered at least once), coupons claimed from a limited stock, used on orders (stacking
up to the order's total), given back and expired by their nightly job, points-mall exchanges (points, stock and the
member's limit taken with the order placed) moved through shipping, cancellation and after-sale refunds (giving
back what they took), repeats of the same business key (same content, and other content), and jumps of the clock.
Coupon uses and order moves are made once by their own state, as the services make them (a caller whose answer was
lost looks before trying again); the rest by their claims. Faults are injected between the engine's steps: the
store throttles a read or a commit, a commit loses a race, a commit is lost before it is applied or its answer after
(the caller cannot tell which, and retries), and a job crashes between two members (it is run again). A book or the
engine raising anything else fails the run, naming its seed and step.

After every operation, for every account it touched: each book's balance equals the sum of its entries,
entries are numbered without gaps with exact running balances, nothing is negative, and every business key
has had at most one effect (exactly one once it succeeded), an order's refunds never pass what it paid nor take back
more points than it earned, and a member's cards say what their book holds. Across books: a card payment's wallet has
given back what its cancellation refunded once the event was delivered (and nothing before); a template's stock left
and its coupons issued add up to what it was stocked with, a member holds no more of its coupons than the limit (and
the count says how many), a used coupon is on exactly the order that used it; a reward's units sold are the units of
its orders standing, a member's limit counts the units of their orders standing, and an order holds its points while
it stands.
Staff restock now and then (a new coupon template, more units of the reward). A failure names its seed and step; the
same seed replays the same run: ``python bench/simulate.py --seed N``.

Prints JSON: seeds, operations and faults checked (``python bench/simulate.py --seeds 5 --operations 100000``).
"""

from __future__ import annotations

import argparse
import functools
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

from chalicelib.coupons import rules as coupons  # noqa: E402
from chalicelib.coupons.rules import COUPON, Coupon, CouponRefused  # noqa: E402
from chalicelib.ledger.engine import Holdings, Ledger, LedgerBusy, SourceConflict  # noqa: E402
from chalicelib.ledger.memory import MemoryStore  # noqa: E402
from chalicelib.ledger.model import Claim, Insufficient, Posting, Source  # noqa: E402
from chalicelib.ledger.store import Stale, Throttled, Uncertain  # noqa: E402
from chalicelib.mall import rules as mall  # noqa: E402
from chalicelib.mall.rules import Action, NotAllowed, Order  # noqa: E402
from chalicelib.membership import rules as cards  # noqa: E402
from chalicelib.membership.book import MEMBERSHIP, USES, MembershipBook, UsesBook  # noqa: E402
from chalicelib.points import rules as points_rules  # noqa: E402
from chalicelib.points.book import PointsBook, dumped  # noqa: E402
from chalicelib.purchases.book import ORDER as ORDER_REFUNDS  # noqa: E402
from chalicelib.purchases.book import OrderRefundsBook  # noqa: E402
from chalicelib.purchases.book import order_holder as order_refunds_holder  # noqa: E402
from chalicelib.tiers.book import GrowthBook  # noqa: E402
from chalicelib.wallet import rules as wallet  # noqa: E402
from chalicelib.wallet.rules import BONUS, GIFTS, PRINCIPAL, REFUNDABLE, Parts  # noqa: E402

BOOKS: dict[str, Any] = {"points": PointsBook(), "growth": GrowthBook(), **wallet.BOOKS,
                         USES: UsesBook(), MEMBERSHIP: MembershipBook(), ORDER_REFUNDS: OrderRefundsBook(),
                         **coupons.BOOKS, **mall.BOOKS}  # fmt: skip
ALLOWED_USES = 3  # a counted benefit's uses a month (私教课 3 次/月)
SHARDS, STOCKED, COUPON_LIMIT = 2, 20, 4  # a coupon template: 2 stock shards of 20, 4 coupons a member
ORDER_TOTAL, COUPON_OFF = 3_000, 1_000  # a till order of 30 CNY takes at most three 10 CNY coupons
REWARD, REWARD_STOCK, REWARD_LIMIT, PRICE = "rw-sim", 20, 3, 150  # a mall reward: restocked by 20, 3 a member a month
CARD_PLAN = cards.Plan("plan-sim", "月卡", cards.Term(months=1), 9_900, refund=cards.RefundPolicy("pro_rata"))


class NoCardToCancel(Exception):
    """A cancellation of a card that is not running (none, cancelled or lapsed)."""


REFUSALS = (Insufficient, CouponRefused, NotAllowed, NoCardToCancel)  # what is refused as the state read stands
FAULT_RATES = {
    "read:throttle": 0.01, "read-claim:throttle": 0.05, "commit:throttle": 0.01, "commit:conflict": 0.01,
    "commit:lost": 0.01, "committed:lost": 0.02,
}  # fmt: skip
START = date(2026, 3, 1)
KINDS = ("order", "redeem", "refund", "adjust", "top-up", "pay", "wallet-refund", "cash-refund", "use", "coupon",
         "coupon-use", "coupon-return", "exchange", "order-move", "restock", "card", "card-cancel")  # fmt: skip


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
    effects: Counter[str] = field(default_factory=Counter)  # business keys that took effect, by kind


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
        self.claimed: list[str] = []  # the keys of self.keys, in the order first posted
        self.effects: Counter[str] = Counter()  # entries per business key (their source ids)
        self.expected: dict[str, int] = {}  # entries a business key's one effect made
        self.seen: dict[tuple[str, str], int] = {}  # entries checked so far per (holder, book)
        self.checked_states: dict[tuple[str, str], Any] = {}  # each book's state as last checked
        self.sums: dict[tuple[str, str], int] = {}
        self.redeemed: list[str] = []
        self.sales: list[tuple[str, str, int]] = []  # orders that earned: (key, member, points; paid 100 fen a point)
        self.sold: dict[str, tuple[int, int]] = {}  # their refunds' holders: the fen paid and the points earned
        self.payments: list[tuple[str, str]] = []  # (claim key, member)
        self.serial = 0
        self.step = 0
        self.rng_split: wallet.Split = self.rng.choice(["proportional", "principal-first", "bonus-first"])
        self.templates: list[str] = []  # coupon templates, the last one issuing
        self.stocks: dict[str, str] = {}  # their stock shards: holder -> template
        self.reward = mall.reward_holder(REWARD)
        self.codes: dict[str, str] = {}  # coupons issued (as the checks find them): code -> template
        self.usable: set[str] = set()  # coupons available or reserved (the expiry job's index)
        self.uses: list[tuple[str, str]] = []  # (code, till order) of coupons used
        self.tills = [f"till-{n}" for n in range(8)]  # a few till orders, so coupons meet on one
        self.mall_orders: dict[str, None] = {}  # mall orders placed (as the checks find them), in order
        self.standing: dict[str, tuple[str, int]] = {}  # mall orders standing: order id -> (member, units)
        self.owed: dict[str, tuple[tuple[str, int], ...]] = {}  # a card cancellation's refund parts, as it posted
        self.deliveries: list[tuple[str, str]] = []  # card cancellations whose wallet refund is to be delivered
        self.given: set[tuple[str, str]] = set()  # the (cancellation, payment) refunds that took effect
        self.card_refunds: dict[str, tuple[str, str]] = {}  # a card refund's key -> (cancellation, payment)
        self.delivered: Counter[str] = Counter()  # what card cancellations gave back to each payment's wallet
        self.planned: dict[str, int] = {}  # the entries the last plan of a key made (a post that is once by state)
        self.stocking()

    def stocking(self) -> None:
        """The reward on sale, before the run (no faults), and the first template with its stock."""
        self.faults.enabled = False
        terms = mall.Terms("保温杯", "goods", PRICE, per_member_limit=REWARD_LIMIT, limit_period="month",
                           fulfilment="shipping")  # fmt: skip
        self.ledger.post(
            [Posting(self.reward, mall.STOCK, 0, "terms", Source("job", "setup"), "上架", terms.to_json())]
        )
        self.faults.enabled = True
        self.restock()

    @staticmethod
    def shards(template: str) -> list[str]:
        return [coupons.stock_holder(template, n) for n in range(SHARDS)]

    def restock(self) -> None:
        """Staff restock (补货): a new coupon template issuing from its own stock, and more units of the reward."""
        key = self.next_key("restock")
        template, source = f"tpl-{self.serial}", Source("restock", key)
        self.post(key, [*(Posting(shard, coupons.STOCK, STOCKED, "stock", source, "初始库存")
                          for shard in self.shards(template)),
                        Posting(self.reward, mall.STOCK, REWARD_STOCK, "stock", source, "补货")], [],
                  {"template": template})  # fmt: skip
        if key in self.expected:
            self.templates.append(template)
            self.stocks.update(dict.fromkeys(self.shards(template), template))

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
        self.claimed.append(key)
        self._post(key, plan, claim, holders)

    def _post(self, key: str, plan: Any, claim: Claim, holders: list[str]) -> None:
        for _ in range(10):  # a caller retries what failed without an answer
            try:
                answer = self.ledger.post(plan, holders=holders, claim=claim)
            except REFUSALS:
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
        if key in self.expected:
            self.sales.append((key, member, points))
            self.sold[order_refunds_holder(key)] = (points * 100, points)

    def redeem(self) -> None:
        member, points, key = self.member(), self.rng.randint(1, 300), self.next_key("redeem")
        self.post(key, [Posting(member, "points", -points, "redeem", Source("redemption", key), "redeem")], [member],
                  {"member": member, "points": points})  # fmt: skip
        if key in self.expected:
            self.redeemed.append(key)

    def refund(self) -> None:
        """A refund of part of an earlier order (退货): its fen on the order's refunds book, never past what was paid
        (two refunds of one order cannot both spend the same money), and the points and growth it earned taken back
        in proportion (points spent meanwhile leave a debt)."""
        if not self.sales:
            return self.earn()
        original, member, points = self.rng.choice(self.sales[-50:])
        paid, key = points * 100, self.next_key("refund")
        fen, holder = self.rng.randint(1, paid), order_refunds_holder(original)
        source, month = Source("refund", key), f"{self.today:%Y-%m}"

        def plan(holdings: Holdings) -> list[Posting]:
            state = holdings.state(holder, ORDER_REFUNDS)
            before = BOOKS[ORDER_REFUNDS].balance(state)
            if before + fen > paid:
                raise Insufficient(ORDER_REFUNDS, paid - before, fen)
            clawed = points * (before + fen) // paid - state["points"]  # this simulation's orders earn growth = points
            growth = holdings.state(member, "growth")
            growth_back = growth.add(month, -clawed, -fen, self.today).growth - growth.growth
            refunded = {"lines": {"1": [before + fen, 0]}, "points": state["points"] + clawed,
                        "growth": state["growth"] + clawed}  # fmt: skip
            return [Posting(holder, ORDER_REFUNDS, fen, "refund", source, "退货", refunded),
                    *([Posting(member, "points", -clawed, "refund", source, "claw back")] if clawed else []),
                    Posting(member, "growth", growth_back, "reverse", source, "growth back",
                            detail={"growth": -clawed, "paid_fen": -fen, "month": month})]  # fmt: skip

        self.post(key, plan, [holder, member], {"order": original, "fen": fen})
        return None

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

    def paying(self, holdings: Holdings, member: str, amount: int, source: Source) -> list[Posting]:
        """A payment from the wallet: principal and bonus split by the run's order, the payment's own account
        keeping what it took (to refund), and the gift points its principal earns."""
        balance = Parts(holdings.balance(member, PRINCIPAL), holdings.balance(member, BONUS))
        if amount > balance.total:
            raise Insufficient(PRINCIPAL, balance.total, amount)
        taken = wallet.split_payment(amount, balance, self.rng_split)
        gifts, earned, points = wallet.gift_on_payment(holdings.state(member, GIFTS), taken.principal,
                                                       balance.principal)  # fmt: skip
        refundable = {"principal": taken.principal, "bonus": taken.bonus, "member_id": member, "gift": earned}
        credit = [Posting(member, "points", points, "earn", source, "gift earned",
                          detail={"lots": [[None, None, points]]})] if points else []  # fmt: skip
        return [
            Posting(member, PRINCIPAL, -taken.principal, "payment", source, "pay"),
            Posting(member, BONUS, -taken.bonus, "payment", source, "pay"),
            Posting(f"payment:{source.id}", REFUNDABLE, amount, "payment", source, "refundable", detail=refundable),
            Posting(member, GIFTS, 0, "gift", source, "", gifts.to_json()),
            *credit,
        ]

    def refunding(self, holdings: Holdings, payment: str, member: str, amount: int, source: Source) -> list[Posting]:
        """A payment given back to the wallet, in part: never more than it has left of principal or bonus, and the
        gift points its principal earned taken back in proportion."""
        paid = holdings.state(payment, REFUNDABLE)
        left = paid.left
        if amount > left.total:
            raise Insufficient(REFUNDABLE, left.total, amount)
        back = wallet.split_refund(amount, left, paid.paid)
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

    def pay(self) -> None:
        member, amount, key = self.member(), self.rng.randint(1, 30) * 500, self.next_key("pay")
        self.post(key, lambda holdings: self.paying(holdings, member, amount, Source("payment", key)),
                  [member, f"payment:{key}"], {"member": member, "amount": amount})  # fmt: skip
        if key in self.expected:
            self.payments.append((key, member))

    def refund_payment(self) -> None:
        if not self.payments:
            return self.top_up()
        original, member = self.rng.choice(self.payments)
        payment, amount, key = f"payment:{original}", self.rng.randint(1, 10) * 500, self.next_key("wallet-refund")
        self.post(key, lambda holdings: self.refunding(holdings, payment, member, amount, Source("refund", key)),
                  [payment, member], {"payment": original, "amount": amount})  # fmt: skip
        return None

    def buy_card(self) -> None:
        """A paid card (付费会员卡) bought, or renewed while it runs, from the wallet in the wallet's own payment: the
        card's book holds the money paid for it."""
        member, key = self.rng.choice(self.members[:8]), self.next_key("card")  # a few regulars
        source, price = Source("payment", key), CARD_PLAN.price_fen

        def plan(holdings: Holdings) -> list[Posting]:
            current = holdings.state(member, MEMBERSHIP).cards.get(f"card-{member}")
            live = current is not None and current.status(self.today) not in ("lapsed", "cancelled")
            kind = "renewal" if live else "purchase"
            card = cards.extend(current, CARD_PLAN, card_id=f"card-{member}", payment_id=key, kind=kind,
                                amount_fen=price, paid_at=f"{self.today}T10:00:00Z", today=self.today,
                                method="wallet")  # fmt: skip
            card = cards.compact(card, CARD_PLAN, self.today)  # as the service keeps it
            bought = Posting(member, MEMBERSHIP, price, kind, source, "开通会员卡", {"card": card.to_json()}, kept=True)
            return [*self.paying(holdings, member, price, source), bought]

        self.post(key, plan, [member, f"payment:{key}"], {"member": member})

    def cancel_card(self) -> None:
        """A card cancelled (退卡): the unused days' share of each payment refunded, every payment settled so none is
        refunded twice. The wallet's part goes back by the event's listener (``deliver_card_refund``)."""
        member, key = self.rng.choice(self.members[:8]), self.next_key("card-cancel")
        source = Source("cancellation", key)

        def plan(holdings: Holdings) -> list[Posting]:
            card = holdings.state(member, MEMBERSHIP).cards.get(f"card-{member}")
            if card is None or card.status(self.today) in ("cancelled", "lapsed"):
                raise NoCardToCancel(member)
            refund = cards.refund_for(card, CARD_PLAN.refund, self.today, 0)
            self.owed.setdefault(
                key, refund.parts
            )  # the plan that posts is the first: a repeat's replans change nothing
            after = cards.refunded(card, refund, self.today)
            return [Posting(member, MEMBERSHIP, -refund.amount_fen, "refund", source, "退卡",
                            {"card": after.to_json(), "refund": list(refund.parts)}, kept=True)]  # fmt: skip

        self.post(key, plan, [member], {"member": member})
        if key in self.expected and key in self.owed:
            self.deliveries.append((key, member))

    @staticmethod
    def card_refund_key(cancel: str, payment_id: str) -> str:
        """The listener's business key: one refund per cancellation and payment."""
        return f"card-refund:{cancel}:{payment_id}"

    def deliver_card_refund(self) -> None:
        """The card-cancelled event reaching the wallet's listener: each paid part goes back to the wallet from its
        payment, once per cancellation and payment however often the event is delivered (at least once)."""
        if not self.deliveries:
            return self.buy_card()
        at = self.rng.randrange(len(self.deliveries))
        cancel, member = self.deliveries[at] if self.rng.random() < 0.3 else self.deliveries.pop(at)  # again, later
        for payment_id, fen in self.owed[cancel]:
            key, payment = self.card_refund_key(cancel, payment_id), f"payment:{payment_id}"
            self.card_refunds[key] = (cancel, payment_id)
            source = Source("card-refund", key)
            plan = functools.partial(self.refunding, payment=payment, member=member, amount=fen, source=source)
            self.post(key, plan, [payment, member], {"cancel": cancel, "payment": payment_id, "fen": fen})
            self.card_refund_given(key, cancel, payment_id, fen)
        return None

    def card_refund_given(self, key: str, cancel: str, payment_id: str, fen: int) -> None:
        """Count what a cancellation owed a payment once its refund took effect (by its delivery, or by a repeat)."""
        if key in self.expected and (cancel, payment_id) not in self.given:
            self.given.add((cancel, payment_id))
            self.delivered[payment_id] += fen

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

    # --- coupons and the points mall --------------------------------------------------------------------------

    def peek(self, holder: str, book: str) -> Any:
        """A book's state as it stands, read without a fault (a caller looking before it tries again)."""
        self.faults.enabled, enabled = False, self.faults.enabled
        try:
            return BOOKS[book].load(self.store.read(holder).books.get(book))
        finally:
            self.faults.enabled = enabled

    def once_by_state(self, key: str, done: Callable[[], bool], plan: Callable[[Holdings], list[Posting]],
                      holders: list[str]) -> None:  # fmt: skip
        """Post without a claim, as a coupon's use or an order's move is: the state read makes it once. A lost answer
        (``LedgerBusy``) is retried after a look: ``done`` says whether the lost attempt had its effect."""

        def planning(holdings: Holdings) -> list[Posting]:
            postings = plan(holdings)
            self.planned[key] = sum(1 for posting in postings if posting.amount or posting.kept)
            return postings

        for attempt in range(10):
            if attempt and done():
                self.figures.outcomes["duplicate"] += 1
                self.expected[key] = self.planned[key]
                return
            try:
                answer = self.ledger.post(planning, holders=holders)
            except REFUSALS:
                self.figures.outcomes["refused"] += 1
                return
            except LedgerBusy:
                self.figures.outcomes["busy-retried"] += 1
                continue
            self.figures.outcomes["posted"] += 1
            self.expected[key] = len(answer.entries)
            return
        raise SimulationFailed(f"seed {self.seed} step {self.step}: {key} never got an answer")

    def claim_coupon(self) -> None:
        """A member receives a coupon: one from a stock shard with some left, within the member's limit."""
        member, key = self.member(), self.next_key("coupon")
        code, source = f"C{self.serial}", Source("coupon", key)
        valid_until = self.today + timedelta(days=self.rng.randint(0, 30))
        template, shards = self.templates[-1], self.shards(self.templates[-1])
        coupon = Coupon(code, template, member, "available", self.today.isoformat(), valid_until.isoformat(),
                        f"{self.today}T08:00:00Z", "claim", key)  # fmt: skip
        taken = coupons.taken_holder(template, member)

        def plan(holdings: Holdings) -> list[Posting]:
            shard = coupons.pick_shard([holdings.balance(holder, coupons.STOCK) for holder in shards], code)
            if shard is None:
                raise Insufficient(coupons.STOCK, 0, 1)
            return [Posting(shards[shard], coupons.STOCK, -1, "issue", source, f"发券 {code}"),
                    Posting(taken, coupons.TAKEN, 1, "issue", source, f"获得 {code}", COUPON_LIMIT),
                    coupons.issuing(coupon, source, "领券")]  # fmt: skip

        self.post(key, plan, [*shards, taken, coupons.coupon_holder(code)], {"member": member})

    def use_coupon(self) -> None:
        """A coupon used on a till order (核销): refused when used, expired, or past what the order may take off."""
        if not self.codes:
            return self.claim_coupon()
        usable = sorted(self.usable)  # mostly a usable one; now and then a recent one that may be used or expired
        code = self.rng.choice(usable if usable and self.rng.random() < 0.8 else list(self.codes)[-40:])
        till, key = self.rng.choice(self.tills), self.next_key("coupon-use")
        holder, at = coupons.coupon_holder(code), f"{self.today}T12:00:00Z"
        source = Source("coupon-use", key)
        detail = {"redemption_id": key, "order_id": till, "store_id": "s1", "discount_fen": COUPON_OFF, "at": at}
        on_order = {"code": code, "stacks": True, "discount_fen": COUPON_OFF, "total_fen": ORDER_TOTAL,
                    "shipping_fen": 0, "on_shipping": False}  # fmt: skip

        def used() -> bool:
            coupon: Coupon = self.peek(holder, COUPON)
            return coupon.redemption is not None and coupon.redemption.redemption_id == key

        self.once_by_state(key, used, lambda holdings: [
            Posting(holder, COUPON, -1, "redeem", source, "核销", {**detail, "now": at}, kept=True),
            Posting(coupons.order_holder(till), coupons.ORDER, 1, "redeem", source, "核销", on_order),
        ], [holder, coupons.order_holder(till)])  # fmt: skip
        if key in self.expected:
            self.uses.append((code, till))
        return None

    def return_coupon(self) -> None:
        """A used coupon given back by its order's refund (退券): usable again, or expired past its last day."""
        if not self.uses:
            return self.use_coupon()
        code, till = self.uses.pop(self.rng.randrange(len(self.uses)))
        key, holder = self.next_key("coupon-return"), coupons.coupon_holder(code)
        source = Source("coupon-return", key)

        def plan(holdings: Holdings) -> list[Posting]:
            coupon: Coupon = holdings.state(holder, COUPON)
            back = 1 if date.fromisoformat(coupon.valid_until) >= self.today else 0
            return [Posting(holder, COUPON, back, "return", source, "退券", {"order_id": till, "voided": False},
                            kept=True),
                    Posting(coupons.order_holder(till), coupons.ORDER, -1, "return", source, "退券",
                            {"code": code})]  # fmt: skip

        def returned() -> bool:
            coupon: Coupon = self.peek(holder, COUPON)
            return coupon.returned_from == till and coupon.status != "used"

        self.once_by_state(key, returned, plan, [holder, coupons.order_holder(till)])
        return None

    def coupons_due(self) -> list[str]:
        """The coupons the expiry job finds due (its index: usable ones past their last day)."""
        return sorted(
            code
            for code in self.usable
            if date.fromisoformat(self.peek(coupons.coupon_holder(code), COUPON).valid_until) < self.today
        )

    def expire_coupon(self, code: str) -> None:
        """The nightly job: a coupon still usable the day after its last day is booked expired."""
        holder = coupons.coupon_holder(code)
        coupon: Coupon = self.peek(holder, COUPON)
        if coupon.status not in ("available", "reserved") or date.fromisoformat(coupon.valid_until) >= self.today:
            return
        source = Source("job", f"coupon-expiry:{self.today}")
        self.ledger.post([Posting(holder, COUPON, -1, "expire", source, "过期", {}, kept=True)], holders=[holder])

    def exchange(self) -> None:
        """A points-mall exchange (兑换): points spent from their lots, units taken from the stock and counted against
        the member's monthly limit, and the order placed holding the points."""
        member, quantity, key = self.member(), self.rng.randint(1, 2), self.next_key("exchange")
        order_id, source, at = f"mo-{self.serial}", Source("exchange", key), f"{self.today}T12:00:00Z"
        period, quota, price = f"{self.today:%Y-%m}", mall.limit_holder(REWARD, member), PRICE * quantity

        def plan(holdings: Holdings) -> list[Posting]:
            try:
                _, draws = points_rules.redeem(holdings.state(member, "points"), price, self.today)
            except points_rules.ShortOfPoints:
                raise Insufficient("points", 0, price) from None
            order = Order(order_id, member, REWARD, "保温杯", "goods", quantity, price, 0, at, fulfilment="shipping",
                          draws=dumped(draws), limit_period=period)  # fmt: skip
            placing = {"action": "place", "at": at, "by": key, "changes": order.to_json()}
            return [Posting(member, "points", -price, "redeem", source, "积分商城兑换"),
                    Posting(self.reward, mall.STOCK, -quantity, "sale", source, "兑换"),
                    Posting(quota, mall.LIMIT, quantity, "count", source, "兑换",
                            {"period": period, "limit": REWARD_LIMIT}),
                    Posting(mall.order_holder(order_id), mall.ORDER, price, "place", source, "兑换",
                            placing)]  # fmt: skip

        self.post(key, plan, [member, self.reward, quota, mall.order_holder(order_id)],
                  {"member": member, "quantity": quantity})  # fmt: skip

    def move_order(self) -> None:
        """An order moved on: shipped, received, cancelled before it ships, or refunded after sale. Cancelling and
        refunding give back the points (to their lots), the units and the member's limit; the order's own status
        (its book's state machine) refuses a second give-back."""
        if not self.mall_orders:
            return self.exchange()
        order_id = self.rng.choice(list(self.mall_orders)[-60:])  # the recent ones: older ones are done with
        action = self.rng.choice([Action.SHIP, Action.COMPLETE, Action.CANCEL, Action.REFUND])
        key, holder = self.next_key("order-move"), mall.order_holder(order_id)
        source, at = Source("order-move", key), f"{self.today}T18:00:00Z"
        first: Order | None = self.peek(holder, mall.ORDER)
        assert first is not None
        quota = mall.limit_holder(REWARD, first.member_id)

        def plan(holdings: Holdings) -> list[Posting]:
            order: Order = holdings.state(holder, mall.ORDER)
            detail = {"action": str(action), "at": at, "by": key, "changes": {}}
            if action not in mall.GIVING_BACK:
                return [Posting(holder, mall.ORDER, 0, str(action), source, str(action), detail, kept=True)]
            period = {"period": order.limit_period}
            return [Posting(order.member_id, "points", order.held, "reverse", source, "退回积分",
                            detail={"draws": [list(draw) for draw in order.draws]}),
                    Posting(self.reward, mall.STOCK, order.quantity, "return", source, "退回库存"),
                    Posting(quota, mall.LIMIT, -order.quantity, "uncount", source, "退回限购", period),
                    Posting(holder, mall.ORDER, -order.held, str(action), source, str(action), detail)]  # fmt: skip

        def moved() -> bool:
            order: Order = self.peek(holder, mall.ORDER)
            return any(step["by"] == key for step in order.history)

        self.once_by_state(key, moved, plan, [holder, first.member_id, self.reward, quota])
        return None

    def repeat(self) -> None:
        if not self.keys:
            return self.earn()
        key = self.rng.choice(self.claimed)
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
        except (*REFUSALS, LedgerBusy):
            self.figures.outcomes["refused"] += 1
            return None
        if answer.duplicate:  # posted before (an earlier repeat's), or this post's own answer was lost
            self.figures.outcomes["duplicate"] += 1
            self.expected.setdefault(key, -1)
            return None
        if key in self.expected:
            raise SimulationFailed(f"seed {self.seed} step {self.step}: {key} with other content was posted again")
        self.expected[key] = len(answer.entries)  # the first attempt was refused: this content is its one effect
        if key.startswith("card-refund:"):
            cancel, payment_id = self.card_refunds[key]
            self.card_refund_given(key, cancel, payment_id, dict(self.owed[cancel])[payment_id])
        return None

    def run_job(self, job: Callable[[str], None], over: list[str] | None = None) -> None:
        """A nightly job over every member (or ``over`` those); it may crash between two of them, and is then run
        again."""
        for _ in range(20):
            try:
                for holder in self.members if over is None else over:
                    if self.rng.random() < 0.01:
                        self.figures.faults["job:crash"] += 1
                        raise RuntimeError("the job's worker died")
                    job(holder)
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
                grew = len(entries) > seen
                self.seen[(holder, book)], self.sums[(holder, book)] = len(entries), total
                raw = self.store.read(holder).books.get(book)
                if not grew and book != "points" and raw == self.checked_states.get((holder, book)):
                    continue  # as checked before (only the points' checks depend on the day)
                self.checked_states[(holder, book)] = raw
                state = BOOKS[book].load(raw)
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
                if book in (COUPON, coupons.STOCK, coupons.ORDER, mall.STOCK, mall.LIMIT):
                    self._require(balance >= 0, f"{holder} {book} is negative: {balance}")
                if book == COUPON:
                    self._require(balance <= 1, f"{holder} is usable {balance} times")
                if book == coupons.TAKEN:
                    self._require(0 <= balance <= COUPON_LIMIT, f"{holder} holds {balance} coupons of the template")
                if book == mall.STOCK:
                    self._require(not BOOKS[book].problems(state), f"{holder}: units left differ from stocked - sold")
                if book == ORDER_REFUNDS:
                    paid, earned = self.sold[holder]
                    self._require(balance <= paid, f"{holder}: {balance} fen refunded of {paid} paid")
                    self._require(
                        0 <= state["points"] <= earned, f"{holder}: {state['points']} of {earned} points back"
                    )
                if book == MEMBERSHIP:
                    paid = sum(card.paid_fen for card in state.cards.values())
                    self._require(state.held_fen == paid, f"{holder} holds {state.held_fen} for cards paid {paid}")
                if book == mall.LIMIT:
                    self._require(state.in_period <= REWARD_LIMIT, f"{holder}: {state.in_period} units in a month")
            for key in keys | {f"{kind}:{self.serial}" for kind in KINDS}:
                made, expected = self.effects.get(key, 0), self.expected.get(key)
                if key.startswith("undo:"):
                    self._require(made <= 1, f"entry {key} reversed twice")
                elif expected is not None and expected != -1:
                    self._require(made == expected, f"{key}: {made} entries, its one effect made {expected}")
                else:
                    self._require(expected == -1 or made == 0, f"{key}: {made} entries from a refused request")
            self.notice_new_assets()
            self.check_across_books()
            self.touched.clear()
        finally:
            self.faults.enabled = True

    def notice_new_assets(self) -> None:
        """The coupons issued and mall orders placed by the step (a repeat with other content, after a refusal, makes
        them too), and which coupons are usable now."""
        for holder, book in sorted(self.touched):
            if book == COUPON:
                coupon: Coupon = self.peek(holder, COUPON)
                self.codes.setdefault(coupon.code, coupon.template_id)
                (self.usable.add if coupon.status in ("available", "reserved") else self.usable.discard)(coupon.code)
            if book == mall.ORDER:
                self.mall_orders.setdefault(holder.removeprefix("mall-order:"))

    def check_card_refund(self, payment_id: str) -> None:
        """A card payment's wallet has given back what the cancellations of its card refunded of it once their events
        were delivered, and nothing before, however often they were delivered."""
        left = self.peek(f"payment:{payment_id}", REFUNDABLE).left.total
        given, back = self.delivered[payment_id], CARD_PLAN.price_fen - left
        self._require(back == given, f"card payment {payment_id} gave {back} back to the wallet; the cancellations "
                      f"delivered refunded {given}")  # fmt: skip

    def check_across_books(self) -> None:
        """What several books must agree on, for the coupons and mall orders the step touched: nothing issued or sold
        that the stock did not give, no limit passed, and a used coupon on exactly its order."""
        touched = {holder for holder, _ in self.touched}
        for holder in sorted(touched):
            if holder.startswith("payment:card:"):
                self.check_card_refund(holder.removeprefix("payment:"))
        used = {holder.removeprefix("coupon:") for holder, book in self.touched if book == COUPON}
        templates = {self.codes[code] for code in used}
        templates.update(self.stocks[holder] for holder in touched if holder in self.stocks)
        for template in templates:
            issued = [
                self.peek(coupons.coupon_holder(code), COUPON) for code, of in self.codes.items() if of == template
            ]
            left = sum(self.peek(shard, coupons.STOCK).balance for shard in self.shards(template))
            stocked = SHARDS * STOCKED
            self._require(
                left + len(issued) == stocked, f"{template}: {left} left and {len(issued)} issued of {stocked}"
            )
            for member in self.members:
                held = sum(1 for coupon in issued if coupon.member_id == member)
                taken = self.peek(coupons.taken_holder(template, member), coupons.TAKEN)
                self._require(taken == held <= COUPON_LIMIT, f"{member} holds {held} of {template}, counted {taken}")
        for code in used:
            coupon: Coupon = self.peek(coupons.coupon_holder(code), COUPON)
            if coupon.status == "used":
                assert coupon.redemption is not None
                till = coupon.redemption.order_id
                self._require(code in self.peek(coupons.order_holder(till), coupons.ORDER),
                              f"{code} is used by {till}, which does not hold it")  # fmt: skip
        for till in self.tills:
            if coupons.order_holder(till) not in touched:
                continue
            for code in self.peek(coupons.order_holder(till), coupons.ORDER):
                coupon = self.peek(coupons.coupon_holder(code), COUPON)
                on_it = coupon.status == "used" and coupon.redemption is not None and coupon.redemption.order_id == till
                self._require(on_it, f"{till} holds {code}, which is {coupon.status}")
        orders = [holder.removeprefix("mall-order:") for holder, book in sorted(self.touched) if book == mall.ORDER]
        if self.reward not in touched and not orders:
            return
        for order_id in orders:
            order: Order = self.peek(mall.order_holder(order_id), mall.ORDER)
            self._require(order.held == (order.points if order.live else 0),
                          f"{order_id} is {order.status} and holds {order.held} points")  # fmt: skip
            if order.status in (mall.Status.CANCELLED, mall.Status.REFUNDED):
                self.standing.pop(order_id, None)
            else:
                self.standing[order_id] = (order.member_id, order.quantity)
        stock = self.peek(self.reward, mall.STOCK)
        units = sum(quantity for _, quantity in self.standing.values())
        self._require(stock.sold == units, f"the reward sold {stock.sold} units; its standing orders hold {units}")
        for member in self.members:
            counted = self.peek(mall.limit_holder(REWARD, member), mall.LIMIT).used
            ordered = sum(quantity for owner, quantity in self.standing.values() if owner == member)
            self._require(counted == ordered, f"{member}'s limit counts {counted} units, their orders hold {ordered}")

    def _require(self, condition: bool, problem: str) -> None:
        if not condition:
            raise SimulationFailed(f"seed {self.seed} step {self.step}: {problem} "
                                   f"(replay: python bench/simulate.py --seed {self.seed})")  # fmt: skip

    def run(self, operations: int) -> None:
        choices: list[tuple[Callable[[], None], int]] = [
            (self.earn, 20), (self.redeem, 12), (self.refund, 5), (self.reverse, 4), (self.adjust, 6),
            (self.top_up, 10), (self.pay, 12), (self.refund_payment, 5), (self.cash_refund, 2), (self.repeat, 12),
            (self.use_benefit, 6), (self.claim_coupon, 5), (self.use_coupon, 5), (self.return_coupon, 3),
            (self.exchange, 5), (self.move_order, 5), (self.buy_card, 3), (self.cancel_card, 2),
            (self.deliver_card_refund, 2),
            (lambda: self.run_job(self.expire), 2), (lambda: self.run_job(self.mature), 2), (self.jump, 3),
            (lambda: self.run_job(self.expire_coupon, self.coupons_due()), 1), (self.restock, 1),
        ]  # fmt: skip
        actions, weights = zip(*choices, strict=True)
        for self.step in range(1, operations + 1):
            try:
                self.rng.choices(actions, weights)[0]()
            except SimulationFailed:
                raise
            except Exception as broken:  # a book or the engine breaking its own rules: name the seed all the same
                self._require(False, f"{type(broken).__name__}: {broken}")
            self.figures.operations += 1
            self.check()
        self.figures.entries += sum(len(entries) for entries in self.store.entries.values())
        self.figures.effects.update(key.split(":")[0] for key in self.expected)


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
        "outcomes": dict(figures.outcomes), "effects_by_kind": dict(sorted(figures.effects.items())),
        "cpu_seconds": round(time.process_time() - started, 1),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
