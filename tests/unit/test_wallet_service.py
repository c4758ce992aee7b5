"""The wallet verbs on the ledger engine's in-memory store: what each books, once, and what it refuses, with the
books adding up after every step."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.ledger.engine import Ledger
from chalicelib.ledger.memory import MemoryStore
from chalicelib.ledger.model import Claim
from chalicelib.ledger.store import HolderUnavailable
from chalicelib.points.book import BOOK as POINTS
from chalicelib.points.book import PointsBook
from chalicelib.shared.errors import Conflict, ValidationFailed
from chalicelib.wallet.rules import BONUS, GIFTS, MICRO, PRINCIPAL, REFUNDABLE, Plan, Policy, payment_holder
from chalicelib.wallet.rules import BOOKS as WALLET_BOOKS
from chalicelib.wallet.service import (
    BalanceLimitExceeded,
    InsufficientBalance,
    PartnerPayment,
    RefundExceedsPayment,
    Wallets,
)

TODAY = date(2026, 11, 20)
PAID_AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
PLAN = Plan("CZ-100-20", "充100送20", 10_000, 2_000, 50, date(2026, 11, 1), None, ())
MEMBER, FROZEN = "mb_active", "mb_frozen"


DEFAULT = Policy()
BOOKS = {**WALLET_BOOKS, POINTS: PointsBook()}  # a plan's gift points are credited with its top-up


def wallets_on(store: MemoryStore, policy: Policy = DEFAULT, today: date = TODAY) -> Wallets:
    return Wallets(Ledger(store, BOOKS, pause=lambda attempt: None, today=lambda: today), policy)


@pytest.fixture
def store():
    return MemoryStore(statuses={MEMBER: "active", FROZEN: "frozen", "mb_erased": "erased"})


@pytest.fixture
def wallets(store):
    return wallets_on(store)


def payment(payment_id, store_id="SH-001"):
    return PartnerPayment("pt_pos", payment_id, store_id, PAID_AT)


def claim(key, content="same"):
    return Claim.of(key, content, conflict=Conflict(f"{key} conflicts"))


def top_up(wallets, amount, payment_id="t1", plan=None, member=MEMBER):
    return wallets.top_up(member, payment(payment_id), amount, plan, claim(f"top-up|{payment_id}"))


def pay(wallets, amount, payment_id="p1", member=MEMBER):
    return wallets.pay(member, payment(payment_id), amount, claim(f"pay|{payment_id}"))


def refund(wallets, amount, refund_id="r1", payment_id="p1", at=PAID_AT):
    return wallets.refund("pt_pos", refund_id, payment_id, amount, at, claim(f"refund|{refund_id}"))


def balances(store, holder=MEMBER):
    account = store.read(holder)
    return {book: BOOKS[book].balance(BOOKS[book].load(raw)) for book, raw in account.books.items()}


def assert_books_add_up(store):
    for (holder, book), entries in store.entries.items():
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        running = 0
        for entry in entries:
            running += entry.amount
            assert entry.balance_after == running >= 0
        assert balances(store, holder)[book] == running


def test_a_top_up_with_a_plan_books_principal_and_bonus_apart_once(store, wallets):
    first = top_up(wallets, 10_000, plan=PLAN)
    assert first == {
        "payment_id": "t1",
        "member_id": MEMBER,
        "principal_fen": 10_000,
        "bonus_fen": 2_000,
        "wallet": {"principal_fen": 10_000, "bonus_fen": 2_000},
        "gift_points": 50,
        "duplicate": False,
    }
    again = top_up(wallets, 10_000, plan=PLAN)
    assert again == {**first, "duplicate": True}
    with pytest.raises(Conflict, match="conflicts"):
        wallets.top_up(MEMBER, payment("t1"), 9_000, None, claim("top-up|t1", "other"))
    assert balances(store) == {PRINCIPAL: 10_000, BONUS: 2_000, GIFTS: 0}  # the gift points are to be earned
    assert BOOKS[GIFTS].load(store.read(MEMBER).books[GIFTS]).pending_points == 50
    [event] = store.outbox
    assert event.type == "wallet.topped-up"
    assert (event.payload["gift_points"], event.payload["plan_id"]) == (50, PLAN.plan_id)
    assert_books_add_up(store)


def test_a_top_up_past_the_limit_is_refused_and_writes_nothing(store):
    wallets = wallets_on(store, Policy(max_balance_fen=12_000))
    top_up(wallets, 10_000, plan=PLAN)
    commits = store.commits
    with pytest.raises(BalanceLimitExceeded) as refused:
        top_up(wallets, 1, "t2")
    assert refused.value.extensions["room_fen"] == 0
    assert store.commits == commits
    assert wallets_on(store, Policy(max_balance_fen=0)).top_up(MEMBER, payment("t3"), 10**9, None, claim("t3"))


def test_a_payment_splits_by_the_policy_and_keeps_what_it_may_refund(store, wallets):
    top_up(wallets, 10_000, plan=PLAN)
    paid = pay(wallets, 6_000)
    assert (paid["principal_fen"], paid["bonus_fen"], paid["wallet"]) == (
        5_000,
        1_000,
        {"principal_fen": 5_000, "bonus_fen": 1_000},
    )
    refundable = BOOKS[REFUNDABLE].load(store.read(payment_holder("pt_pos", "p1")).books[REFUNDABLE])
    assert (refundable.left.principal, refundable.left.bonus, refundable.member_id) == (5_000, 1_000, MEMBER)
    assert refundable.gift == 25 * MICRO  # half the principal spent: half the gift earned, and credited
    assert [event.type for event in store.outbox] == ["wallet.topped-up", "wallet.paid", "points.earned"]
    [gift] = store.entries[(MEMBER, POINTS)]
    assert (gift.kind, gift.amount, gift.source.id, gift.reason) == ("earn", 25, "p1", "储值消费·充值赠送积分到账")
    assert_books_add_up(store)


@pytest.mark.parametrize(("order", "taken"), [("principal-first", (6_000, 0)), ("bonus-first", (4_000, 2_000))])
def test_other_spending_orders(store, order, taken):
    wallets = wallets_on(store, Policy(split=order))
    top_up(wallets, 10_000, plan=PLAN)
    paid = pay(wallets, 6_000)
    assert (paid["principal_fen"], paid["bonus_fen"]) == taken


def test_not_enough_is_refused_and_a_repeat_of_a_payment_that_spent_it_still_answers(store, wallets):
    top_up(wallets, 1_000)
    first = pay(wallets, 1_000)
    commits = store.commits
    with pytest.raises(InsufficientBalance) as refused:
        pay(wallets, 1, "p2")
    assert refused.value.extensions["available_fen"] == 0
    assert pay(wallets, 1_000) == {**first, "duplicate": True}
    assert store.commits == commits


def test_refunds_give_back_what_the_payment_took_in_parts_never_more(store, wallets):
    top_up(wallets, 10_000, plan=PLAN)
    pay(wallets, 6_000)
    first = refund(wallets, 3_000)
    assert (first["principal_fen"], first["bonus_fen"], first["member_id"]) == (2_500, 500, MEMBER)
    assert refund(wallets, 3_000) == {**first, "duplicate": True}
    with pytest.raises(RefundExceedsPayment) as refused:
        refund(wallets, 3_001, "r2")
    assert refused.value.extensions["refundable_fen"] == 3_000
    last = refund(wallets, 3_000, "r2")
    assert last["wallet"] == {"principal_fen": 10_000, "bonus_fen": 2_000}
    assert balances(store, payment_holder("pt_pos", "p1")) == {REFUNDABLE: 0}
    assert_books_add_up(store)


def test_a_refund_of_an_unknown_payment_or_dated_before_it_is_refused(wallets):
    from chalicelib.shared.errors import NotFound

    with pytest.raises(NotFound):
        refund(wallets, 1, payment_id="nope")
    top_up(wallets, 1_000)
    pay(wallets, 500)
    with pytest.raises(ValidationFailed):
        refund(wallets, 100, at=PAID_AT - timedelta(hours=1))


def test_a_frozen_member_can_neither_top_up_nor_pay_but_gets_refunds_and_cash(store):
    wallets = wallets_on(store)
    store.statuses[FROZEN] = "active"
    top_up(wallets, 1_000, member=FROZEN)
    pay(wallets, 400, member=FROZEN)
    store.mark(FROZEN, "frozen")  # as the members domain changes a status: its account keeps it too
    for attempt in (lambda: top_up(wallets, 1, "t2", member=FROZEN), lambda: pay(wallets, 1, "p2", member=FROZEN)):
        with pytest.raises(HolderUnavailable):
            attempt()
    assert refund(wallets, 400)["wallet"]["principal_fen"] == 1_000
    assert wallets.cash_refund(FROZEN, "SH-001", None, "退卡", claim("c1"))["principal_fen"] == 1_000


@pytest.mark.parametrize(("rule", "forfeited"), [("prorate", 500), ("forfeit", 2_000)])
def test_a_cash_refund_pays_out_principal_and_forfeits_bonus_as_configured(store, rule, forfeited):
    wallets = wallets_on(store, Policy(bonus_on_cash_refund=rule))
    top_up(wallets, 10_000, plan=PLAN)
    out = wallets.cash_refund(MEMBER, "SH-001", 2_500, "退余额", claim("c1"))
    assert (out["principal_fen"], out["bonus_fen"]) == (2_500, forfeited)
    assert out["wallet"] == {"principal_fen": 7_500, "bonus_fen": 2_000 - forfeited}
    closed = wallets.cash_refund(MEMBER, "SH-001", None, "退卡", claim("c2"))
    assert closed["wallet"] == {"principal_fen": 0, "bonus_fen": 0}
    with pytest.raises(InsufficientBalance):
        wallets.cash_refund(MEMBER, "SH-001", None, "退卡", claim("c3"))
    kinds = [(e.book, e.kind) for e in store.entries[(MEMBER, BONUS)]]
    assert kinds[1:] == [(BONUS, "bonus-forfeit")] * len(kinds[1:])
    assert_books_add_up(store)


def points_of(store):
    return balances(store).get(POINTS, 0)


def pending_gift(store):
    return BOOKS[GIFTS].load(store.read(MEMBER).books.get(GIFTS)).pending_points


def test_a_gift_is_earned_by_payments_taken_back_by_their_refunds_and_forfeited_by_a_cash_refund(store, wallets):
    """Top up with a plan (50 points to earn), pay 60% of the principal (30 earned, credited), have the payment
    refunded (30 taken back, pending again), cash out a quarter (12 forfeited) and the rest: nothing is ever taken
    from points the member has (spent or expired), so topping up and cashing out gains nothing."""
    top_up(wallets, 10_000, plan=PLAN)
    paid = pay(wallets, 7_200)  # proportional: 6,000 of principal
    assert (paid["principal_fen"], points_of(store), pending_gift(store)) == (6_000, 30, 20)
    assert pay(wallets, 7_200)["duplicate"] is True  # a repeat earns nothing twice
    assert refund(wallets, 3_600)["principal_fen"] == 3_000
    assert (points_of(store), pending_gift(store)) == (15, 35)
    refund(wallets, 3_600, "r2")
    assert (points_of(store), pending_gift(store)) == (0, 50)
    clawed = [e for e in store.outbox if e.type == "points.clawed-back"]
    assert [(e.payload["points"], e.payload["source_kind"]) for e in clawed] == [(-15, "refund"), (-15, "refund")]
    quarter = wallets.cash_refund(MEMBER, "SH-001", 2_500, "退余额", claim("c1"))
    assert (quarter["gift_points_forfeited"], pending_gift(store)) == (12, 37)  # 12.5: the half point stays pending
    rest = wallets.cash_refund(MEMBER, "SH-001", None, "退卡", claim("c2"))
    assert (rest["gift_points_forfeited"], pending_gift(store), points_of(store)) == (37, 0, 0)
    assert_books_add_up(store)


def test_gift_points_earned_by_a_payment_reported_late_are_dated_from_when_they_are_booked(store, wallets):
    """A payment reported a year late earns gift points that last as the policy says from now (a review found them
    credited already expired)."""
    from chalicelib.points.service import policy_dates

    top_up(wallets, 10_000, plan=PLAN)
    late = PartnerPayment("pt_pos", "p-late", "SH-001", PAID_AT - timedelta(days=400))
    wallets.pay(MEMBER, late, 12_000, claim("pay|p-late"))
    [gift] = store.entries[(MEMBER, POINTS)]
    assert gift.detail[0][0] == policy_dates(None)[0].isoformat()


def test_the_gift_points_a_refund_takes_back_may_become_debt(store, wallets):
    from chalicelib.ledger.model import Posting, Source

    top_up(wallets, 10_000, plan=PLAN)
    pay(wallets, 12_000)  # all of it: 50 earned
    wallets.ledger.post(lambda holdings: [Posting(MEMBER, POINTS, -50, "redeem", Source("redemption", "rd1"), "兑换")],
                        holders=[MEMBER])  # fmt: skip
    refund(wallets, 12_000)
    account = BOOKS[POINTS].load(store.read(MEMBER).books[POINTS])
    assert (account.balance, account.debt, pending_gift(store)) == (-50, 50, 50)


def test_the_courts_example_end_to_end(store, wallets):
    """3,000 CNY paid with 1,000 of bonus, 3,594 spent in three payments, then the card returned: 304.5 CNY back."""
    plan = Plan("CZ-3000", "充3000送1000", 300_000, 100_000, 0, date(2026, 1, 1), None, ())
    top_up(wallets, 300_000, plan=plan)
    for n, amount in enumerate((100_000, 200_000, 59_400)):
        pay(wallets, amount, f"p{n}")
    out = wallets.cash_refund(MEMBER, "SH-001", None, "退卡", claim("c1"))
    assert (out["principal_fen"], out["bonus_fen"]) == (30_450, 10_150)


def test_pages_of_entries_merge_both_books_newest_first_and_cover_each_entry_once(store, wallets):
    top_up(wallets, 10_000, plan=PLAN)
    for n in range(5):
        pay(wallets, 700, f"p{n}")
    top_up(wallets, 500, "t2")  # principal only
    refund(wallets, 700, "r1", "p0")
    seen, positions = [], None
    while True:
        page, positions = wallets.entries(MEMBER, 3, positions)
        seen += page
        if positions is None:
            break
    everything = sorted(store.entries[(MEMBER, PRINCIPAL)] + store.entries[(MEMBER, BONUS)], key=lambda e: e.entry_id)
    assert sorted(seen, key=lambda e: e.entry_id) == everything
    assert [e.kind for e in seen[:3]] == ["refund", "refund", "top-up"]
    assert [e.book for e in seen[:2]] == [PRINCIPAL, BONUS]  # one post: the principal's entry first
    assert [(e.occurred_at, e.group) for e in seen] == sorted(((e.occurred_at, e.group) for e in seen), reverse=True)


def test_forty_simultaneous_payments_of_100_on_1000_ten_succeed(store, wallets):
    top_up(wallets, 1_000)

    def attempt(n):
        try:
            return pay(wallets, 100, f"race-{n}")["principal_fen"]
        except InsufficientBalance:
            return 0

    with ThreadPoolExecutor(max_workers=40) as pool:
        paid = list(pool.map(attempt, range(40)))
    assert sorted(paid) == [0] * 30 + [100] * 10
    assert balances(store) == {PRINCIPAL: 0}
    assert_books_add_up(store)
