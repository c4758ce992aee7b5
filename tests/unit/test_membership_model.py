"""A Hypothesis model of one member's card across purchases, early and late renewals, grace, lapses, cancellations
with refunds, and counted uses, on the ledger engine in memory: the card's dates follow the rules, money held is
what was paid less what was refunded, uses never pass the period's quota, every book adds up; and the card as kept
(compacted at each payment) answers every refund, status and sum as a twin that lists every payment does."""

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chalicelib.ledger.engine import Ledger
from chalicelib.ledger.memory import MemoryStore
from chalicelib.ledger.model import Claim, Insufficient, Posting, Source
from chalicelib.membership import rules
from chalicelib.membership.book import MEMBERSHIP, USES, MembershipBook, UsesBook
from chalicelib.membership.rules import (
    Card,
    NotPausable,
    NotRenewable,
    Payment,
    Plan,
    PlanBenefit,
    RefundPolicy,
    Term,
    classes_worth,
    periods_held,
)

MEMBER = "mb_model"
START = date(2027, 1, 1)
PLANS = {
    "monthly": Plan("monthly", "月卡", Term(months=1), 9_900,
                    (PlanBenefit("wash", "洗车", "quota", quota=2, period="week", value_fen=1_000),
                     PlanBenefit("off", "9折", "discount", rate=Decimal("0.9"))),
                    trial_days=7, grace_days=3, refund=RefundPolicy("pro_rata", deduct_used=True)),
    "ten-days": Plan("ten-days", "十日卡", Term(days=10), 3_000,
                     (PlanBenefit("class", "课程", "quota", quota=1, period="day", rolls_over=True),),
                     grace_days=0, refund=RefundPolicy("full_within_days", days=3)),
    "two-days": Plan("two-days", "两日卡", Term(days=2), 500,
                     (PlanBenefit("pt", "私教课", "quota", quota=3, period="term"),),  # 3 a term: a 次卡
                     grace_days=1, refund=RefundPolicy("full_within_days", days=10)),  # its window outlasts its term
    "class-pack": Plan("class-pack", "十次卡", Term(days=20), 1_500,
                       (PlanBenefit("yoga", "瑜伽课", "quota", quota=10, period="term", value_fen=150),),
                       grace_days=0, refund=RefundPolicy("unused", deduct_used=True)),  # classes left, any day
}  # fmt: skip


class CardModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.today = START
        self.store = MemoryStore(statuses={MEMBER: "active"})
        self.ledger = Ledger(self.store, {MEMBERSHIP: MembershipBook(), USES: UsesBook()}, pause=lambda attempt: None,
                             today=lambda: self.today)  # fmt: skip
        self.paid = 0
        self.refunded = 0
        self.payments = 0
        self.uses: list[tuple[str, str, date, str]] = []  # (use id, key, period start, benefit id)
        self.reversed: set[str] = set()
        self.twins: dict[str, Card] = {}  # each card as it would be never compacted

    # --- the model's view -------------------------------------------------------------------------------------

    def cards(self) -> dict[str, Card]:
        return dict(self.ledger.holdings(MEMBER).state(MEMBER, MEMBERSHIP).cards)

    def card_of(self, plan_id: str) -> Card | None:
        return next((c for c in self.cards().values() if c.plan_id == plan_id), None)

    def used_value(self, plan_id: str) -> int:
        """What the card's uses so far are worth, as the service values them."""
        card, uses = self.card_of(plan_id), self.ledger.holdings(MEMBER).state(MEMBER, USES)
        if card is None:
            return 0
        benefits = PLANS[plan_id].benefits
        return sum(uses.totals.get(f"card|{card.card_id}|{b.benefit_id}", 0) * b.value_fen for b in benefits)

    # --- what happens -----------------------------------------------------------------------------------------

    @rule(days=st.integers(1, 20))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(plan_id=st.sampled_from(sorted(PLANS)), trial=st.booleans())
    def pay(self, plan_id: str, trial: bool) -> None:
        plan = PLANS[plan_id]
        before = self.card_of(plan_id)
        kind = "trial" if trial else "purchase"
        self.payments += 1
        payment_id = f"p{self.payments}"
        state = self.ledger.holdings(MEMBER).state(MEMBER, MEMBERSHIP)
        paying = {"card_id": f"mc_{plan_id}", "payment_id": payment_id, "kind": kind, "paid_at": "t",
                  "amount_fen": 0 if trial else plan.price_fen, "today": self.today, "trials": state.trials,
                  "used_value_fen": self.used_value(plan_id)}  # fmt: skip
        try:
            card = rules.compact(rules.extend(before, plan, **paying), plan, self.today, listed=2)
        except NotRenewable:
            assert trial
            return
        self.twins[plan_id] = rules.extend(self.twins.get(plan_id), plan, **paying)
        amount = 0 if trial else plan.price_fen
        self.ledger.post(
            [
                Posting(
                    MEMBER,
                    MEMBERSHIP,
                    amount,
                    kind,
                    Source("payment", payment_id),
                    "",
                    {"card": card.to_json(), "trial": trial},
                    kept=True,
                )
            ],
            claim=Claim.of(f"pay|{payment_id}", {}),
        )
        self.paid += amount
        live = before is not None and before.cancelled_on is None and before.status(self.today) != "lapsed"
        if live and before is not None and before.valid_until is not None:  # renewed: runs on from its end
            assert card.valid_until == (plan.term.end(before.valid_until + timedelta(days=1)))
            assert card.card_id == before.card_id
        else:
            assert card.started_on == self.today
        assert card.status(self.today) in ("active", "renewal-due")

    @rule(
        plan_id=st.sampled_from(sorted(PLANS)), benefit=st.sampled_from(["wash", "class", "pt"]), n=st.integers(0, 999)
    )
    def use(self, plan_id: str, benefit: str, n: int) -> None:
        card = self.card_of(plan_id)
        plan = PLANS[plan_id]
        found = plan.benefit(benefit)
        if card is None or found is None or not card.gives_benefits(self.today):
            return
        key = f"card|{card.card_id}|{benefit}"
        uses = self.ledger.holdings(MEMBER).state(MEMBER, USES)
        source = rules.card_source(card, plan)  # as the service reads it (terms paid ahead where the plan allows)
        usage = uses.by_key.get(key)
        allowed, used, _ = rules.allowance(found, usage, self.today, source)
        first, _ = rules.span_of(found.period or "day", self.today, source.terms)
        use_id = f"u{len(self.uses)}-{n}"
        carried = allowed - (found.quota or 0) - rules.paid_ahead(found, source, self.today)
        detail = {"key": key, "period": first.isoformat(), "allowed": allowed, "carried": carried,
                  "drawn": used if usage is None or usage.period != first else 0}  # fmt: skip
        try:
            self.ledger.post([Posting(MEMBER, USES, 1, "use", Source("use", use_id), "", detail)],
                             claim=Claim.of(f"use|{use_id}", {}))  # fmt: skip
        except Insufficient:
            assert used >= allowed
            return
        assert used < allowed
        self.uses.append((use_id, key, first, benefit))

    @precondition(lambda self: self.uses)
    @rule(pick=st.integers(0, 10_000))
    def reverse(self, pick: int) -> None:
        use_id, _, _, _ = self.uses[pick % len(self.uses)]
        before = self.ledger.holdings(MEMBER).state(MEMBER, USES)
        self.ledger.reverse(f"use|{use_id}", claim=Claim.of(f"reverse|{use_id}", {}), reason="")
        after = self.ledger.holdings(MEMBER).state(MEMBER, USES)
        if use_id in self.reversed:
            assert after == before  # once
        else:
            self.reversed.add(use_id)
            assert after.net == before.net - 1

    @rule(plan_id=st.sampled_from(sorted(PLANS)))
    def cancel(self, plan_id: str) -> None:
        card = self.card_of(plan_id)
        if card is None or card.status(self.today) in ("cancelled", "lapsed"):
            return
        plan = PLANS[plan_id]
        refund = rules.refund_for(card, plan.refund, self.today, self.used_value(plan_id))
        assert 0 <= refund.amount_fen <= card.open_fen
        after = rules.refunded(card, refund, self.today)
        self.twins[plan_id] = rules.refunded(self.twins[plan_id], refund, self.today)
        kept = {p.payment_id: p.refunded_fen for p in card.payments if p.settled}  # an earlier cycle's: never again
        assert all(p.refunded_fen == kept[p.payment_id] for p in after.payments if p.payment_id in kept)
        assert all(p.settled for p in after.payments)
        self.ledger.post([Posting(MEMBER, MEMBERSHIP, -refund.amount_fen, "refund", Source("cancel", card.card_id),
                                  refund.explanation, {"card": after.to_json()}, kept=True)])  # fmt: skip
        self.refunded += refund.amount_fen
        assert self.card_of(plan_id).status(self.today) == "cancelled"

    @rule(plan_id=st.sampled_from(sorted(PLANS)), days=st.integers(1, 30))
    def give_days(self, plan_id: str, days: int) -> None:
        """延期: days given after the end (a lapsed card revived), nothing paid: a refund reads as before."""
        card = self.card_of(plan_id)
        if card is None:
            return
        self.payments += 1
        given_id, status = f"x{self.payments}", card.status(self.today)
        why = "ended" if status == "cancelled" else "trial" if card.on_trial(self.today) else None
        if why is not None:  # a cancelled card, a free trial: refused, and only they
            with pytest.raises(NotPausable) as refused:
                rules.prolong(card, given_id, days, "t", self.today)
            assert refused.value.why == why
            return
        plan, used = PLANS[plan_id], self.used_value(plan_id)
        given = rules.prolong(card, given_id, days, "t", self.today)
        assert len(given.paid_terms) == len(card.paid_terms)  # no term of its own: no quota given again
        after = rules.compact(given, plan, self.today, listed=2)
        self.twins[plan_id] = rules.prolong(self.twins[plan_id], given_id, days, "t", self.today)
        assert rules.refund_for(after, plan.refund, self.today, used) == rules.refund_for(
            card, plan.refund, self.today, used)  # fmt: skip
        if status in ("lapsed", "grace"):  # past its end: from today
            assert (after.valid_until, after.status(self.today)) == (self.today + timedelta(days=days - 1), "active")
        else:
            assert after.valid_until == card.valid_until + timedelta(days=days)
        self.ledger.post([Posting(MEMBER, MEMBERSHIP, 0, "extension", Source("extension", given_id), "",
                                  {"card": after.to_json()}, kept=True)])  # fmt: skip

    # --- what always holds ------------------------------------------------------------------------------------

    @invariant()
    def money_held_is_paid_less_refunded(self) -> None:
        held = self.ledger.balance(MEMBER, MEMBERSHIP)
        assert held == self.paid - self.refunded >= 0
        assert held == sum(card.paid_fen for card in self.cards().values())

    @invariant()
    def every_book_adds_up(self) -> None:
        for book in (MEMBERSHIP, USES):
            entries, _ = self.ledger.page(MEMBER, book, 1_000)
            assert sum(e.amount for e in entries) == self.ledger.balance(MEMBER, book)

    @invariant()
    def uses_never_pass_the_quota(self) -> None:
        uses = self.ledger.holdings(MEMBER).state(MEMBER, USES)
        for key, usage in uses.by_key.items():
            benefit = next(b for p in PLANS.values() for b in p.benefits if key.endswith(f"|{b.benefit_id}"))
            assert 0 <= usage.used <= (benefit.quota or 0) + usage.carried
            assert usage.carried <= (benefit.quota or 0)

    @invariant()
    def a_compacted_card_answers_as_its_twin_listing_every_payment(self) -> None:
        for card in self.cards().values():
            twin, plan = self.twins[card.plan_id], PLANS[card.plan_id]
            used = self.used_value(card.plan_id)
            assert rules.refund_for(card, plan.refund, self.today, used) == rules.refund_for(
                twin, plan.refund, self.today, used)  # fmt: skip
            assert (card.status(self.today), card.valid_until, card.paid_fen, card.open_fen) == (
                twin.status(self.today), twin.valid_until, twin.paid_fen, twin.open_fen)  # fmt: skip
            assert rules.notices_due(card, self.today) == rules.notices_due(twin, self.today)
            assert card.earlier.count + len(card.payments) == len(twin.payments)

    @invariant()
    def a_card_s_days_run_forward(self) -> None:
        for card in self.cards().values():
            assert card.valid_until is None or card.valid_until >= card.started_on
            assert all(p.refunded_fen <= p.amount_fen for p in card.payments)


CardModel.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_a_card_across_renewals_lapses_refunds_and_uses = CardModel.TestCase


def test_days_given_never_pass_for_a_payment_and_keep_their_term_s_pauses_and_a_lapsed_renewal_is_spent() -> None:
    """A review of 延期: an extension id equal to a payment's was refunded as that payment; a lapsed card whose
    automatic renewal was announced (its charge failed) could never be extended; the payment before days given was
    folded away while its term ran on through them, and its pauses with it (the term's allowance came back)."""
    from chalicelib.membership.rules import PausePolicy, compact, pause, prolong, refund_for, refunded

    plan = Plan("m", "月卡", Term(months=1), 9_900, refund=RefundPolicy("pro_rata"), pause=PausePolicy(1, 10, 1))
    card = rules.extend(None, plan, card_id="c", payment_id="ORD-1", kind="purchase", amount_fen=9_900, paid_at="t",
                        today=START, method="wallet")  # fmt: skip
    given = prolong(card, "ORD-1", 10, "t", START)  # the till's order number again
    assert [p.payment_id for p in given.payments] == ["ORD-1", "extension:ORD-1"]
    day = START + timedelta(days=4)
    refund = refund_for(given, plan.refund, day, 0)
    assert refund == refund_for(card, plan.refund, day, 0)
    assert refunded(given, refund, day).paid_fen == 9_900 - refund.amount_fen  # not refunded twice
    with pytest.raises(NotPausable) as refused:
        prolong(given, "ORD-1", 10, "t", START)
    assert refused.value.why == "again"

    announced = replace(card, auto_renew=True, notified=(f"renewal-notice:{card.valid_until}@{START}",))
    with pytest.raises(NotPausable):
        prolong(announced, "x", 10, "t", START + timedelta(days=28))  # running: its charge would be refused
    lapsed_day = card.valid_until + timedelta(days=plan.grace_days + 5)
    revived = prolong(announced, "x", 10, "t", lapsed_day)  # its charge failed: the announcement is spent
    assert (revived.status(lapsed_day), revived.valid_until) == ("active", lapsed_day + timedelta(days=9))
    in_grace = card.valid_until + timedelta(days=1)
    assert prolong(card, "g", 1, "t", in_grace).valid_until == in_grace  # from today, not a day already past

    paused = pause(card, plan, "z", START + timedelta(days=4), 10, "x", START)
    longer = prolong(paused, "e", 20, "t", START + timedelta(days=30))  # its term runs on through the days given
    ahead = rules.extend(longer, plan, card_id="c", payment_id="P-2", kind="renewal", amount_fen=9_900, paid_at="t",
                         today=START + timedelta(days=45))  # fmt: skip
    ahead = rules.extend(ahead, plan, card_id="c", payment_id="P-3", kind="renewal", amount_fen=9_900, paid_at="t",
                         today=START + timedelta(days=45))  # fmt: skip
    kept = compact(ahead, plan, START + timedelta(days=50), listed=1)
    assert (kept.paid_terms[0], kept.pauses) == (ahead.paid_terms[0], ahead.pauses)
    with pytest.raises(NotPausable) as refused:  # the term's one pause was taken, before and after folding
        pause(kept, plan, "z2", START + timedelta(days=50), 3, "x", START + timedelta(days=50))
    assert refused.value.why == "used-up"


def test_a_plan_past_the_chain_s_limits_on_fees_charged_ahead_is_named_by_each_field_it_passes() -> None:
    """预收费上限 (an education chain's walkthrough sold a 12-month ¥8,640 pack: the rules allow 3 months or 60 classes
    a payment, some cities 5,000 CNY): the longest span of a term whenever it starts, classes counted per period."""
    from chalicelib.membership.rules import longest_days, prepaid_limits_passed, uses_prepaid

    assert [longest_days(Term(months=n)) for n in (1, 3, 12)] == [31, 92, 366]  # July to September; a leap year
    assert (longest_days(Term(days=90)), longest_days(Term())) == (90, None)
    lessons = PlanBenefit("art", "美术课", "quota", quota=48, period="term", value_fen=18_000)
    weekly = PlanBenefit("pt", "私教", "quota", quota=2, period="week", value_fen=10_000)
    entry = PlanBenefit("in", "入场", "quota", period="day", unlimited=True)
    assert uses_prepaid((lessons, weekly, entry), Term(months=3)) == 48 + 2 * 14  # 92 days touch 14 weeks
    assert uses_prepaid((weekly,), Term()) is None
    limits = {"max_price_fen": 500_000, "max_days": 92, "max_uses": 60}
    yearly = prepaid_limits_passed(864_000, (lessons,), Term(months=12), **limits)
    assert [(field, code) for field, _, code, _ in yearly] == [("price_fen", "prepaid_price"), ("term", "prepaid_days")]
    assert prepaid_limits_passed(432_000, (replace(lessons, quota=24),), Term(months=3), **limits) == []
    assert [f for f, *_ in prepaid_limits_passed(100, (lessons, weekly), Term(months=3), **limits)] == ["benefits"]
    assert prepaid_limits_passed(10**9, (weekly,), Term(), max_price_fen=0, max_days=0, max_uses=0) == []  # none
    monthly = PlanBenefit("m", "私教", "quota", quota=21, period="month", value_fen=10_000)
    assert uses_prepaid((monthly,), Term(months=1)) == 42  # a month touches two (a review read three: 63 > 60)
    assert [uses_prepaid((replace(monthly, quota=1),), Term(months=n)) for n in (3, 12)] == [4, 13]


def test_a_card_bought_again_after_a_lapse_or_an_old_cancellation_starts_a_new_cycle() -> None:
    """Its earlier payments are settled even when stored before payments said so (a card cancelled before this rule,
    or one that lapsed), so neither a pro-rata share nor the 'full within N days' window looks at them again, and
    the uses made so far are the earlier cycle's."""
    plan = PLANS["ten-days"]
    old = rules.Payment("p1", "purchase", 3_000, START, START + timedelta(days=9), "t", refunded_fen=2_000)
    cancelled = Card("mc_x", plan.plan_id, START, START + timedelta(days=9), 0, cancelled_on=START, payments=(old,))
    lapsed = replace(cancelled, cancelled_on=None, payments=(replace(old, refunded_fen=0),))
    later = START + timedelta(days=40)
    for card in (cancelled, lapsed):
        again = rules.extend(card, plan, card_id="mc_new", payment_id="p2", kind="purchase", amount_fen=3_000,
                             paid_at="t", today=later, used_value_fen=1_000)  # fmt: skip
        assert [p.settled for p in again.payments] == [True, False]
        assert again.uses_counted_fen == 1_000
        refund = rules.refund_for(again, plan.refund, later, used_value_fen=1_000)
        assert refund.parts == (("p2", 3_000),)  # within 3 days of the new cycle's first payment: all of it


def test_a_class_pack_refunds_the_classes_left_on_any_day_of_any_term() -> None:
    """Refund ``unused`` (退还未使用部分): all paid, less each class taken at its value, however long ago it was
    bought, over every term paid and not refunded; the uses a cancellation counted are not counted again."""
    plan = replace(PLANS["class-pack"], term=Term())  # for life: no days to share pro rata
    card = rules.extend(None, plan, card_id="mc_p", payment_id="p1", kind="purchase", amount_fen=1_500, paid_at="t",
                        today=START)  # fmt: skip
    later = START + timedelta(days=700)
    for used, back in ((0, 1_500), (3 * 150, 1_050), (10 * 150, 0), (12 * 150, 0)):
        refund = rules.refund_for(card, plan.refund, later, used)
        assert (refund.amount_fen, refund.parts) == (back, (("p1", back),) if back else ())
    assert (
        rules.refund_for(card, plan.refund, later, 450).explanation
        == "退还未使用部分，扣除已使用权益4.50元：退款10.50元"
    )
    termed = PLANS["class-pack"]  # 20 days a term, two bought: the second's 10 classes ahead of it
    first = rules.extend(None, termed, card_id="mc_t", payment_id="p1", kind="purchase", amount_fen=1_500,
                         paid_at="t", today=START)  # fmt: skip
    both = rules.extend(first, termed, card_id="mc_t", payment_id="p2", kind="renewal", amount_fen=1_500,
                        paid_at="t", today=START + timedelta(days=5))  # fmt: skip
    refund = rules.refund_for(both, termed.refund, START + timedelta(days=15), 4 * 150)
    assert refund.parts == (("p1", 900), ("p2", 1_500))  # the uses kept back from the first payment, theirs
    source = rules.card_source(both, termed)
    assert source.draws_ahead  # the second term's classes are there at once: a refund keeps back what they gave


def test_a_cancellation_takes_back_the_packs_it_refunds() -> None:
    """Nothing refunded: no pack taken back; everything refunded: every pack of the cycle; a part: the packs of the
    period the card ends in (the periods before were kept)."""
    pack = PlanBenefit("pack", "月券", "coupon_pack", period="month", template_id="ct_1", count=2)
    plan = rules.Plan("yearly", "年卡", Term(months=12), 120_000, (pack,), refund=RefundPolicy("pro_rata"))
    paid = rules.Payment("p1", "purchase", 120_000, START, date(2027, 12, 31), "t")
    card = Card("mc_y", "yearly", START, date(2027, 12, 31), 0, payments=(paid,),
                packs=("pack:2027-01-01", "pack:2027-02-01", "pack:2027-03-01"))  # fmt: skip
    today = date(2027, 3, 10)

    def taken(amount: int) -> list[str]:
        packs = rules.packs_taken_back(card, plan, rules.Refund(amount, (("p1", amount),), ""), today)
        assert {pack["template_id"] for pack in packs} <= {"ct_1"}
        return [pack["source"] for pack in packs]

    assert taken(0) == []
    assert taken(120_000) == [f"mc_y:pack:2027-0{m}-01:{n}" for m in (1, 2, 3) for n in (0, 1)]
    assert taken(96_000) == ["mc_y:pack:2027-03-01:0", "mc_y:pack:2027-03-01:1"]


def test_a_card_bought_again_owes_its_packs_afresh_under_sources_of_its_cycle() -> None:
    """A new cycle pays for its periods: the packs of the cycle before (one taken back, or kept) do not stand in for
    its own, and its coupons' sources name the cycle, so they are not the ones a cancellation took back."""
    pack = PlanBenefit("pack", "月券", "coupon_pack", period="month", template_id="ct_1", count=1)
    plan = rules.Plan("monthly", "月卡", Term(months=1), 3_000, (pack,), refund=RefundPolicy("pro_rata"))
    paid = rules.Payment("p1", "purchase", 3_000, START, START + timedelta(days=30), "t")
    card = Card("mc_z", "monthly", START, START + timedelta(days=30), 0, cancelled_on=START, payments=(paid,),
                packs=(f"pack:{START.replace(day=1)}",))  # fmt: skip
    again = rules.extend(card, plan, card_id="mc_new", payment_id="p2", kind="purchase", amount_fen=3_000,
                         paid_at="t", today=START)  # fmt: skip
    assert (again.card_id, again.cycle, again.packs) == ("mc_z", 1, ())
    assert rules.packs_due(again, plan, START) == [(pack, START.replace(day=1))]
    given = replace(again, packs=(f"pack:{START.replace(day=1)}",))
    refund = rules.Refund(3_000, (("p2", 3_000),), "")
    assert [p["source"] for p in rules.packs_taken_back(given, plan, refund, START)] == [
        f"mc_z#1:pack:{START.replace(day=1)}:0"]  # fmt: skip
    assert rules.Card.from_json(given.to_json()) == given
    renewed = rules.extend(given, plan, card_id="mc_new", payment_id="p3", kind="renewal", amount_fen=3_000,
                           paid_at="t", today=START)  # fmt: skip
    assert (renewed.cycle, renewed.packs) == (1, given.packs)  # a renewal of a live card is the same cycle


def test_a_card_renewed_every_month_for_five_years_stays_the_size_of_a_few_payments() -> None:
    """The card rides on the member's ledger account, read and written with every purchase: sixty renewals leave it
    listing three payments, and it refunds what a card listing all sixty would."""
    plan = PLANS["monthly"]
    card, twin, today = None, None, START
    for n in range(60):
        paying = {"card_id": "mc_monthly", "payment_id": f"p{n}", "kind": "renewal" if card else "purchase",
                  "amount_fen": plan.price_fen, "paid_at": "t", "today": today}  # fmt: skip
        card = rules.compact(rules.extend(card, plan, **paying), plan, today)
        twin = rules.extend(twin, plan, **paying)
        today = card.valid_until - timedelta(days=3)  # renewed three days before each end
    assert card is not None
    assert twin is not None
    assert (len(card.payments), card.earlier.count, len(twin.payments)) == (rules.LISTED, 57, 60)
    assert len(json.dumps(card.to_json())) < 2_000 < len(json.dumps(twin.to_json())) // 5
    assert rules.refund_for(card, plan.refund, today, 0) == rules.refund_for(twin, plan.refund, today, 0)
    assert card.paid_fen == twin.paid_fen == 60 * plan.price_fen


@pytest.mark.parametrize("plan_id", sorted(PLANS))
def test_what_a_card_folds_away_no_refund_of_any_later_day_gives_back(plan_id: str) -> None:
    """Paid early, late, in runs and after gaps, compacted at every payment down to two listed: on every day after,
    its refund (pro rata, or in full within a window that may outlast its term) is the uncompacted twin's."""
    plan, card, twin = PLANS[plan_id], None, None
    for n, day in enumerate(START + timedelta(days=d) for d in (0, 0, 0, 5, 5, 9, 12, 12, 12, 14, 30, 31, 45)):
        live = card is not None and card.status(day) not in ("lapsed", "cancelled")
        paying = {"card_id": "mc", "payment_id": f"p{n}", "kind": "renewal" if live else "purchase",
                  "amount_fen": plan.price_fen, "paid_at": "t", "today": day}  # fmt: skip
        card = rules.compact(rules.extend(card, plan, **paying), plan, day, listed=2)
        twin = rules.extend(twin, plan, **paying)
        for later in (day + timedelta(days=d) for d in range(40)):
            assert rules.refund_for(card, plan.refund, later, 0) == rules.refund_for(twin, plan.refund, later, 0)
    assert card is not None
    assert card.earlier.count > 0 or plan.refund.always_open  # something was folded (all refundable by uses)


def test_a_quota_per_term_counts_over_each_paid_term_whatever_the_calendar():
    """Found by a walkthrough: a 10-class card could only count per calendar period, so a card bought in December with
    10 classes a quarter gave 10 more on 1 January."""
    classes = PlanBenefit("pt", "私教课10节", "quota", quota=10, period="term")
    bought = (date(2026, 12, 3), date(2027, 3, 2))
    card = rules.Source("card:c1", "私教季卡", bought[0], date(2027, 3, 5), (classes,), (bought,))
    used_up = rules.Usage(period=bought[0], used=10)
    assert rules.allowance(classes, used_up, date(2026, 12, 3), card) == (10, 10, date(2027, 3, 5))
    assert rules.allowance(classes, used_up, date(2027, 1, 5), card) == (10, 10, date(2027, 3, 5))  # the same term
    # grace counts in the last term, which so ends with it (a console said a pack's classes came back after its end)
    assert rules.allowance(classes, used_up, date(2027, 3, 4), card) == (10, 10, date(2027, 3, 5))
    renewed = replace(card, until=date(2027, 6, 5), terms=(bought, (date(2027, 3, 3), date(2027, 6, 2))))
    assert rules.allowance(classes, used_up, date(2027, 3, 10), renewed) == (10, 0, date(2027, 6, 5))  # paid again
    # bought again before the first ran out (a walkthrough: the second pack's classes waited for its term): the
    # term paid ahead gives its classes at once, and what was drawn from it counts in it when it begins; where the
    # plan's refund keeps back what was used (or refunds nothing), else a term not begun would be refunded whole
    assert rules.allowance(classes, used_up, date(2027, 1, 5), renewed) == (10, 10, date(2027, 3, 2))
    ahead = replace(renewed, draws_ahead=True)
    assert rules.allowance(classes, used_up, date(2027, 1, 5), ahead) == (20, 10, date(2027, 3, 2))
    drew = rules.Usage(period=bought[0], used=13)  # three of the second pack's used in the first term
    assert rules.allowance(classes, drew, date(2027, 3, 10), ahead) == (10, 3, date(2027, 6, 5))
    few = rules.Usage(period=bought[0], used=4)  # the first term's unused classes end with it
    assert rules.allowance(classes, few, date(2027, 3, 10), ahead) == (10, 0, date(2027, 6, 5))
    rolling = replace(classes, rolls_over=True)  # three terms; 15 used in the first: the second had 5 left to carry
    third = (date(2027, 6, 3), date(2027, 9, 2))
    three = replace(ahead, until=date(2027, 9, 5), terms=(*ahead.terms, third))
    assert rules.allowance(rolling, rules.Usage(period=bought[0], used=15), date(2027, 6, 10), three)[:2] == (15, 0)
    quarterly = PlanBenefit("pt", "私教课", "quota", quota=10, period="quarter")
    short = replace(card, until=date(2027, 1, 20))
    assert rules.allowance(quarterly, None, date(2027, 1, 5), short)[2] == date(2027, 1, 20)  # never past the card


def test_a_term_counts_afresh_in_a_new_cycle_but_a_month_and_a_count_kept_before_cycles_do_not():
    """A card bought again the day its cancelled term began counts its term afresh (a walkthrough: 8 of 10 facials);
    a calendar month's uses stay the month's (a review: cancel and buy again gave the month twice); and a count kept
    before cycles were kept counts in the cycle the card is in now (a review: re-bought cards got their uses back)."""
    facials = PlanBenefit("facial", "面部护理", "quota", quota=10, period="term")
    masks = PlanBenefit("mask", "面膜", "quota", quota=1, period="month")
    term = (date(2026, 12, 4), date(2027, 12, 3))
    again = rules.Source("card:c1", "次卡", term[0], None, (facials, masks), (term,), cycle=1)
    assert rules.allowance(facials, rules.Usage(term[0], 2, cycle=0), term[0], again)[:2] == (10, 0)
    assert rules.allowance(facials, rules.Usage(term[0], 2), term[0], again)[:2] == (10, 2)  # kept before cycles
    assert rules.allowance(masks, rules.Usage(date(2026, 12, 1), 1, cycle=0), term[0], again)[:2] == (1, 1)
    book = UsesBook()
    kept_before = book.load({"k": {"card|c1|facial": {"p": "2026-12-04", "u": 2}}, "n": 2})
    assert kept_before.by_key["card|c1|facial"].cycle is None
    used = book.apply(kept_before, Posting("m", USES, 1, "use", Source("use", "U-3"), "", {
        "key": "card|c1|facial", "period": "2026-12-04", "allowed": 10, "cycle": 1}), term[0])[0]  # fmt: skip
    assert (used.by_key["card|c1|facial"].used, used.by_key["card|c1|facial"].cycle) == (3, 1)
    assert book.load(book.dump(used)) == used


def test_a_free_trials_days_count_in_the_term_paid_after_them():
    """Found by a review: a 10-class card with a free trial gave 10 classes in the trial and 10 more once paid."""
    trial = Payment("tr", "trial", 0, date(2027, 1, 1), date(2027, 1, 7), "", method="trial")
    bought = Payment("p1", "purchase", 199_900, date(2027, 1, 8), date(2027, 4, 7), "")
    renewed = Payment("p2", "renewal", 199_900, date(2027, 4, 8), date(2027, 7, 7), "")
    assert Card("c1", "pt", date(2027, 1, 1), date(2027, 1, 7), 3, payments=(trial,)).paid_terms == (
        (date(2027, 1, 1), date(2027, 1, 7)),)  # fmt: skip
    paid = Card("c1", "pt", date(2027, 1, 1), date(2027, 7, 7), 3, payments=(trial, bought, renewed))
    assert paid.paid_terms == ((date(2027, 1, 1), date(2027, 4, 7)), (date(2027, 4, 8), date(2027, 7, 7)))


@pytest.mark.parametrize(
    ("period", "term", "held"),
    [("term", Term(), 1), ("month", Term(months=6), 6), ("week", Term(months=1), 4), ("day", Term(days=10), 10),
     ("quarter", Term(months=1), 1), ("year", Term(months=18), 1), ("month", Term(), None)],
)  # fmt: skip
def test_a_term_holds_at_least_so_many_periods_whenever_it_starts(period, term, held):
    assert periods_held(period, term) == held


def test_classes_are_worth_their_uses_over_the_term_or_unbounded_on_a_lifetime_card():
    """A six-month card of one ¥100 class a month is worth ¥600 at most (a probe's ¥1,000 card refunded after all six
    were taken); a calendar quota on a lifetime card has no end."""
    monthly = PlanBenefit("yoga", "瑜伽", "quota", quota=1, period="month", value_fen=10_000)
    assert classes_worth([monthly], Term(months=6)) == 60_000
    assert classes_worth([monthly], Term()) is None
    assert classes_worth([PlanBenefit("d", "9折", "discount")], Term(months=6)) == 0


def test_a_card_of_some_stores_discounts_and_multiplies_there_only_and_its_floor_holds_everywhere():
    """单店卡: its discount and multiplier at its stores (or where no store is said); its tier floor everywhere."""
    benefits = (
        PlanBenefit("d", "9折", "discount", rate=Decimal("0.9")),
        PlanBenefit("m", "2倍", "points_multiplier", rate=Decimal(2)),
        PlanBenefit("f", "金卡", "tier_floor", tier="gold"),
    )
    club = rules.Source("card:c1", "静安店月卡", date(2027, 1, 1), None, benefits, stores=("SH-001",))
    rank = {"normal": 0, "gold": 1}
    at = {store: rules.combine([club], rank, "normal", store) for store in ("SH-001", "BJ-001", None)}
    assert [(c.discount_rate, c.points_multiplier, c.tier) for c in at.values()] == [
        (Decimal("0.9"), Decimal(2), "gold"),
        (Decimal(1), Decimal(1), "gold"),
        (Decimal("0.9"), Decimal(2), "gold"),
    ]
    assert rules.combine([replace(club, stores=())], rank, "normal", "BJ-001").discount_rate == Decimal("0.9")


def test_a_pause_moves_the_end_and_a_pro_rata_refund_counts_only_the_days_the_card_gives():
    """停卡 within the plan's policy: the end moves as many days; a refund during the pause or after a resumption
    gives back the days not given, paused ones counting for nothing; the policy's limits refuse the rest."""
    from chalicelib.membership.rules import NotPausable, PausePolicy, pause, refund_for, resume

    plan = Plan("gym", "月卡", Term(days=30), 3_000, refund=RefundPolicy("pro_rata"), pause=PausePolicy(2, 20, 3))
    card = rules.extend(None, plan, card_id="c", payment_id="p1", kind="purchase", amount_fen=3_000, paid_at="t",
                        today=START)  # fmt: skip
    day = lambda n: START + timedelta(days=n)  # noqa: E731
    paused = pause(card, plan, "z1", day(10), 10, "出差", day(10))
    assert (paused.valid_until, paused.status(day(12)), paused.status(day(20))) == (day(39), "paused", "active")
    assert not paused.gives_benefits(day(19))
    policy = RefundPolicy("pro_rata")
    assert refund_for(paused, policy, day(12), 0).amount_fen == refund_for(card, policy, day(9), 0).amount_fen == 2_000
    resumed, back = resume(paused, "z1", day(14))
    assert (back, resumed.valid_until, resumed.status(day(14))) == (6, day(33), "active")
    assert refund_for(resumed, policy, day(14), 0).amount_fen == 1_900  # 11 days given: 0–9 and 14
    renewed = rules.extend(resumed, plan, card_id="c", payment_id="p2", kind="renewal", amount_fen=3_000,
                           paid_at="t", today=day(20))  # fmt: skip
    assert renewed.payments[1].first_day == day(34)  # from the moved end
    for card_then, first, days, why in (
        (resumed, day(20), 2, "too-short"), (paused, day(25), 5, "overlaps"), (resumed, day(20), 17, "used-up"),
        (resumed, day(5), 5, "when"), (resumed, day(45), 5, "when"),  # one at a time: a trip arranged later stays
        (pause(resumed, plan, "z9", day(25), 5, "x", day(14)), day(18), 5, "overlaps"),  # on its days (a review)
    ):  # fmt: skip
        with pytest.raises(NotPausable) as refused:
            pause(card_then, plan, "z2", first, days, "x", day(14))
        assert refused.value.why == why
    with pytest.raises(NotPausable):
        pause(card, replace(plan, pause=None), "z1", day(10), 10, "x", day(10))
    with pytest.raises(NotPausable):
        resume(resumed, "z1", day(15))  # over
    assert rules.next_due(paused, plan, day(12)) == day(20)  # looked at again the day it gives benefits (a review
    # lost the monthly packs of a pause over a month's start)
    trial = rules.extend(None, replace(plan, trial_days=7), card_id="t", payment_id="tr", kind="trial", amount_fen=0,
                         paid_at="t", today=START)  # fmt: skip
    with pytest.raises(NotPausable) as refused:  # a review: a paused trial gave free days
        pause(trial, plan, "z4", day(1), 5, "x", day(1))
    assert refused.value.why == "trial"
    noticed = replace(card, auto_renew=True, notified=(f"renewal-notice:{card.valid_until}@{day(23)}",))
    with pytest.raises(NotPausable) as refused:  # the charge it announced would be refused (a review)
        pause(noticed, plan, "z5", day(24), 5, "x", day(24))
    assert refused.value.why == "renewal-notice"
    withdrawn, whole = resume(pause(card, plan, "z3", day(12), 5, "x", day(10)), "z3", day(11))  # not begun
    assert (whole, withdrawn.valid_until, withdrawn.pauses, withdrawn.payments[0].gaps) == (5, day(29), (), ())


def test_a_card_bought_for_a_student_stays_theirs_through_renewals_and_a_new_cycle() -> None:
    """一家长多孩: a card names the student it was bought for; renewed, or bought again after a lapse, it is still
    theirs, and the JSON the ledger keeps says so."""
    plan = PLANS["ten-days"]
    card = rules.extend(None, plan, card_id="mc_a", payment_id="p1", kind="purchase", amount_fen=3_000, paid_at="t",
                        today=START, student_id="st_0000000a")  # fmt: skip
    renewed = rules.extend(card, plan, card_id="mc_new", payment_id="p2", kind="renewal", amount_fen=3_000,
                           paid_at="t", today=START)  # fmt: skip
    later = START + timedelta(days=60)
    again = rules.extend(renewed, plan, card_id="mc_new", payment_id="p3", kind="purchase", amount_fen=3_000,
                         paid_at="t", today=later)  # fmt: skip
    assert [c.student_id for c in (card, renewed, again)] == ["st_0000000a"] * 3
    assert Card.from_json(json.loads(json.dumps(again.to_json()))) == again
    assert rules.card_source(again, plan).student_id == "st_0000000a"
    assert "student_id" not in rules.extend(None, plan, card_id="mc_b", payment_id="p4", kind="purchase",
                                            amount_fen=3_000, paid_at="t", today=START).to_json()  # fmt: skip


def test_what_a_card_has_not_given_yet_is_its_days_left_share_and_its_classes_left_value() -> None:
    """预收费上限's money limit counts what is not given yet: a parent with two of 24 classes left was refused a
    renewal for the 22 taken."""
    plan = PLANS["ten-days"]  # 3,000 fen for 10 days
    card = rules.extend(None, plan, card_id="mc_a", payment_id="p1", kind="purchase", amount_fen=3_000, paid_at="t",
                        today=START)  # fmt: skip
    assert rules.unearned_fen(card, START, 0) == 3_000 * 9 // 10  # today counts as given
    assert rules.unearned_fen(card, START + timedelta(days=9), 0) == 0
    pack = PLANS["class-pack"]  # 1,500 fen for ten classes of 150, refunded by their uses
    bought = rules.extend(None, pack, card_id="mc_b", payment_id="p2", kind="purchase", amount_fen=1_500,
                          paid_at="t", today=START, method="counter")  # fmt: skip
    assert bought.payments[0].by_use
    assert rules.unearned_fen(bought, START, 8 * 150) == 300  # two classes left, whatever its days
    assert rules.unearned_fen(bought, START, 12 * 150) == 0  # never below nothing


def test_a_card_bought_for_a_student_gives_their_classes_and_no_coupon_pack() -> None:
    """A probe bought a plan with a monthly coupon pack for two children named on the member pages: four coupons a
    month came to the parent, the pack once per child (a child's card gives its classes only)."""
    pack = PlanBenefit("pack", "月券", "coupon_pack", period="month", template_id="ct_1", count=2)
    classes = PlanBenefit("cls", "课", "quota", quota=5, period="term", value_fen=2_000)
    plan = rules.Plan("kids", "学员课包带券", Term(months=3), 10_000, (classes, pack), refund=RefundPolicy("none"))
    own, child = (
        rules.extend(
            None,
            plan,
            card_id="mc_a",
            payment_id="p1",
            kind="purchase",
            amount_fen=10_000,
            paid_at="t",
            today=START,
            student_id=student,
        )
        for student in (None, "st_0000000a")
    )
    assert rules.packs_due(own, plan, START) == [(pack, START)]
    assert rules.packs_due(child, plan, START) == []
    assert [b.benefit_id for b in rules.card_source(child, plan).benefits] == ["cls"]
    assert rules.next_due(child, plan, START) != START  # nothing owed today, so not looked at for a pack


def test_a_trial_s_classes_left_are_no_money_to_refund() -> None:
    """A walkthrough's lapsed free trial of a pack refunded by its classes texted "24次仍可到店申请退还"; its quote
    was 0."""
    plan = replace(PLANS["class-pack"], trial_days=7)
    trial = rules.extend(None, plan, card_id="mc_t", payment_id="t1", kind="trial", amount_fen=0, paid_at="t",
                         today=START)  # fmt: skip
    bought = rules.extend(trial, plan, card_id="mc_t", payment_id="p1", kind="purchase", amount_fen=3_000,
                          paid_at="t", today=START + timedelta(days=3))  # fmt: skip
    assert (rules.refunds_unused(trial, plan), rules.refunds_unused(bought, plan)) == (False, True)
    assert not rules.refunds_unused(bought, PLANS["ten-days"])  # a plan refunding otherwise
    assert not rules.refunds_unused(bought, None)  # a plan gone
