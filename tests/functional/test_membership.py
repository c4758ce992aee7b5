"""Paid membership through the API: plans, a card bought and renewed once per payment, benefits combined with the
tier, counted uses never beyond the quota, cancellations refunded by policy, and the nightly card job."""

import json
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

import pytest

from chalicelib.ledger.registry import ledger
from chalicelib.members import service as members_service
from chalicelib.membership import rules as membership_rules
from chalicelib.membership.book import MEMBERSHIP, USES
from chalicelib.shared import clock
from chalicelib.shared.jobs import run_job
from chalicelib.shared.settings import get_settings
from chalicelib.shared.versions import ANY_VERSION
from tests.conftest import deliver, item_counts, member_token, published_envelopes, signed_headers, token_for

TZ = get_settings().tz
DAY1 = datetime(2027, 3, 1, 10, 0, tzinfo=TZ)  # a Monday, after the tokens are made

GOLD_CARD = {
    "name": "健身金卡·月卡",
    "term": {"months": 1},
    "price_fen": 29_900,
    "benefits": [
        {"benefit_id": "pt-session", "name": "私教课每周1次", "kind": "quota", "quota": 1, "period": "week",
         "value_fen": 10_000},
        {"benefit_id": "car-wash", "name": "每月洗车4次", "kind": "quota", "quota": 4, "period": "month"},
        {"benefit_id": "discount", "name": "购物9折", "kind": "discount", "rate": "0.9"},
        {"benefit_id": "points", "name": "积分2倍", "kind": "points_multiplier", "rate": "2"},
        {"benefit_id": "gold", "name": "享黄金会员权益", "kind": "tier_floor", "tier": "gold"},
    ],
    "trial_days": 7,
    "auto_renew": True,
    "grace_days": 3,
    "refund": {"kind": "pro_rata", "deduct_used": True},
}  # fmt: skip


def ok(answer, status=200):
    assert answer.status == status, answer.body
    return answer.body


def refused(answer, status, slug):
    assert answer.status == status, answer.body
    assert answer.body["type"].endswith("/" + slug), answer.body
    return answer.body


def paid(api, partner, member_id, plan_id, payment_id, amount=29_900, at=DAY1, **extra):
    body = {"payment_id": payment_id, "member": {"member_id": member_id}, "plan_id": plan_id,
            "occurred_at": at.isoformat(), "amount_fen": amount, **extra}  # fmt: skip
    raw = json.dumps(body).encode()
    return api.as_(None).call("POST", "/v1/webhooks/membership/payments", raw=raw,
                              headers=signed_headers(*partner, raw))  # fmt: skip


def bought(api, partner, member_id, order_id, store_id, at=DAY1):
    """The partner's signed purchase of 100 CNY paid in cash at ``store_id``."""
    order = {"order_id": order_id, "member": {"member_id": member_id}, "store_id": store_id,
             "occurred_at": at.isoformat(), "total_fen": 10_000, "paid_fen": 10_000,
             "payment_method": "cash"}  # fmt: skip
    raw = json.dumps(order).encode()
    return api.as_(None).call("POST", "/v1/webhooks/purchases", raw=raw, headers=signed_headers(*partner, raw))


def topped_up(api, partner, member_id, payment_id, amount, at=DAY1):
    """The partner's signed top-up of the member's wallet."""
    body = {"payment_id": payment_id, "member": {"member_id": member_id}, "store_id": "SH-001",
            "occurred_at": at.isoformat(), "amount_fen": amount}  # fmt: skip
    raw = json.dumps(body).encode()
    return api.as_(None).call("POST", "/v1/webhooks/wallet/top-ups", raw=raw, headers=signed_headers(*partner, raw))


PAUSED_CARD = {**GOLD_CARD, "name": "健身月卡（可停卡）", "pause": {"times": 1, "days": 30, "min_days": 7}}
ART_PACK = {
    **GOLD_CARD,
    "name": "美术24课时",
    "term": {"months": 3},
    "price_fen": 432_000,
    "auto_renew": False,
    "trial_days": 0,
    "refund": {"kind": "unused"},
    "benefits": [
        {"benefit_id": "art", "name": "美术课", "kind": "quota", "quota": 24, "period": "term", "value_fen": 18_000}
    ],
}  # fmt: skip  an education chain's 课时包: 24 lessons a term, ¥180 each


def pack_plan(api):
    """The gold card's terms with a pack of two 10-yuan coupons a month (月度券包) instead of its benefits."""
    coupon = {"name": "会员月券", "kind": "amount_off", "amount_off_fen": 1_000, "validity": {"days_after_issue": 30}}
    template = ok(api.post("/v1/coupons/templates", coupon), 201)["template_id"]
    return {**GOLD_CARD, "benefits": [{"benefit_id": "pack", "name": "每月2张券", "kind": "coupon_pack",
                                       "template_id": template, "count": 2, "period": "month"}]}  # fmt: skip


@pytest.fixture
def plan_id(api):
    return ok(api.post("/v1/membership/plans", GOLD_CARD), 201)["plan_id"]


class Member:
    """A member's client whose token is issued at the (frozen) time of each call."""

    def __init__(self, api, member_id):
        self.api, self.member_id = api, member_id

    def __getattr__(self, verb):
        from chalicelib.identity.member_auth import member_claims
        from chalicelib.identity.service import issue_tokens

        token = issue_tokens(member_claims(self.member_id, clock.now().timestamp())).access_token
        return getattr(self.api.as_(token), verb)


class Staff:
    """A staff client with ``roles`` whose token is made at the (frozen) time of each call. A cashier's uses of a
    member's benefits carry the code the member shows (``shows_code``), as at the till."""

    def __init__(self, api, roles, stores=(), shows_code=True):
        self.api, self.roles, self.stores, self.shows_code = api, roles, stores, shows_code

    def __getattr__(self, verb):
        client = self.api.as_(token_for(self.roles, stores=self.stores))
        if verb != "post" or not self.shows_code:
            return getattr(client, verb)

        def post(path, body=None, **kwargs):
            parts = path.split("/")
            if body is not None and parts[-1] == "uses" and parts[2] == "members":
                # each use on a code of its own: a code records one use of a benefit (the code of a minute later)
                self.minutes = getattr(self, "minutes", 0) + 2
                with clock.frozen(clock.now() + timedelta(minutes=self.minutes)):
                    body = {"member_code": members_service.member_code(parts[3]).code, **body}
                    return self.api.as_(token_for(self.roles, stores=self.stores)).post(path, body, **kwargs)
            return client.post(path, body, **kwargs)

        return post


@pytest.fixture
def member(api):
    member_id, _ = member_token("13900000001")
    return member_id, Member(api, member_id)


@pytest.fixture
def admin(api):
    return Staff(api, ["admin"])


def balances_add_up(member_id):
    """Every book's balance equals the sum of its entries."""
    for book in (MEMBERSHIP, USES):
        entries, cursor = ledger().page(member_id, book, 100)
        assert cursor is None
        assert ledger().balance(member_id, book) == sum(e.amount for e in entries)


class TestCards:
    def test_a_payment_starts_a_card_once_and_a_renewal_extends_it_from_its_end(self, api, partner, plan_id, member):
        member_id, client = member
        with clock.frozen(DAY1):
            first = ok(paid(api, partner, member_id, plan_id, "P-1"))
            again = ok(paid(api, partner, member_id, plan_id, "P-1"))
            assert first["valid_until"] == "2027-03-31"
            assert not first["duplicate"]
            assert again == {**first, "duplicate": True}
        with clock.frozen(DAY1 + timedelta(days=20)):  # renewing early loses nothing
            renewed = ok(paid(api, partner, member_id, plan_id, "P-2", at=DAY1 + timedelta(days=20)))
        assert (renewed["card_id"], renewed["valid_until"]) == (first["card_id"], "2027-04-30")
        with clock.frozen(DAY1 + timedelta(days=20)):
            [card] = ok(client.get("/v1/me/cards"))["items"]
        assert (card["status"], card["paid_fen"], [p["kind"] for p in card["payments"]]) == (
            "active",
            59_800,
            ["purchase", "renewal"],
        )
        with clock.frozen(DAY1 + timedelta(days=20)):
            refused(paid(api, partner, member_id, plan_id, "P-9", amount=100), 422, "payment-not-applicable")
            refused(paid(api, partner, member_id, plan_id, "P-1", at=DAY1 + timedelta(hours=1)), 409,
                    "membership-payment-conflict")  # fmt: skip
        balances_add_up(member_id)

    def test_a_card_in_grace_keeps_its_benefits_then_lapses_back_to_the_earned_tier(
        self, api, partner, plan_id, member
    ):
        member_id, client = member
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan_id, "P-1"))
            benefits = ok(client.get("/v1/me/benefits"))
            assert benefits["effective"]["tier"] == "gold"
            card = ok(client.get("/v1/me/cards"))["items"][0]
            from_tier = [item for item in benefits["items"] if item["source"] == "tier"]
            assert from_tier, "gold's own benefits, through the card's floor"
            assert {(item["through_card"], item["until"]) for item in from_tier} == {  # a walkthrough read 长期有效
                (GOLD_CARD["name"], card["grace_ends_on"] or card["valid_until"])
            }
        with clock.frozen(datetime(2027, 4, 2, 10, tzinfo=TZ)):
            assert ok(client.get("/v1/me/cards"))["items"][0]["status"] == "grace"
            assert ok(client.get("/v1/me/benefits"))["effective"]["discount_rate"] == "0.9"
        with clock.frozen(datetime(2027, 4, 4, 10, tzinfo=TZ)):
            assert ok(client.get("/v1/me/cards"))["items"][0]["status"] == "lapsed"
            benefits = ok(client.get("/v1/me/benefits"))
            assert benefits["effective"] == {"discount_rate": "1", "points_multiplier": "1", "tier": "normal",
                                             "earned_tier": "normal"}  # fmt: skip
            renewed = ok(paid(api, partner, member_id, plan_id, "P-3", at=datetime(2027, 4, 4, 10, tzinfo=TZ)))
            assert renewed["valid_until"] == "2027-05-03"  # after a lapse it starts again today

    def test_a_card_renewed_every_month_lists_its_latest_payments_and_refunds_as_if_it_listed_all(
        self, api, admin, partner, plan_id, member
    ):
        """A year of monthly renewals: the card (kept on the member's ledger account, read by every purchase) lists
        the payments a refund may still touch and counts the rest; its cancellation refunds the unused days."""
        member_id, client = member
        for month in range(12):
            at = datetime(2027, 1 + month, 1, 10, tzinfo=TZ)
            with clock.frozen(at):
                ok(paid(api, partner, member_id, plan_id, f"P-{month}", at=at))
        with clock.frozen(datetime(2027, 12, 11, 10, tzinfo=TZ)):
            [card] = ok(client.get("/v1/me/cards"))["items"]
            assert (card["valid_until"], card["paid_fen"]) == ("2027-12-31", 12 * 29_900)
            assert [p["payment_id"] for p in card["payments"]] == ["P-9", "P-10", "P-11"]
            assert card["earlier_payments"] == {"count": 9, "settled": 0, "paid_fen": 9 * 29_900}
            cancelled = ok(admin.post(f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation",
                                      {"cancel_id": "C-1", "reason": "搬家"}))  # fmt: skip
        assert cancelled["refund_fen"] == 29_900 * 20 // 31  # December's 20 days left, nothing of months gone by
        assert cancelled["card"]["paid_fen"] == 12 * 29_900 - cancelled["refund_fen"]
        balances_add_up(member_id)

    def test_the_trial_is_once_per_member_and_plan_has_no_grace_and_its_card_bought_is_sold_not_renewed(
        self, api, partner, plan_id, member
    ):
        member_id, client = member
        with clock.frozen(DAY1):
            trial = ok(client.post("/v1/me/cards", {"plan_id": plan_id, "pay_with": "trial"},
                                   headers={"idempotency-key": "trial-001"}), 201)  # fmt: skip
            assert trial["valid_until"] == "2027-03-07"
            refused(client.post("/v1/me/cards", {"plan_id": plan_id, "pay_with": "trial"},
                                headers={"idempotency-key": "trial-002"}), 409, "card-not-renewable")  # fmt: skip
            (card,) = ok(client.get("/v1/me/cards"))["items"]
            assert card["grace_ends_on"] == "2027-03-07"  # 7 days are 7 (a walkthrough's trial gave 10)
            ok(paid(api, partner, member_id, plan_id, "P-1"))  # bought on its trial: sold, not renewed
        kinds = [e["payload"]["kind"] for e in published_envelopes() if e["type"] == "membership.card-paid"]
        assert kinds == ["trial", "purchase"]

    def test_a_trial_is_once_per_phone_not_per_membership(self, api, plan_id):
        """A probe took a trial, closed its membership and joined again with the same phone a minute later for a
        second one (welcome gifts are once per phone already)."""
        phone = "13900000077"
        first, _ = member_token(phone)

        def trial_open(member_id):  # as the member pages read their plans: the trial offered, or not
            listed = ok(Member(api, member_id).get("/v1/me/membership/plans"))["items"]
            return next(plan["trial_open"] for plan in listed if plan["plan_id"] == plan_id)

        assert trial_open(first) is True
        taken = Member(api, first).post("/v1/me/cards", {"plan_id": plan_id, "pay_with": "trial"},
                                        headers={"idempotency-key": "trial-001"})  # fmt: skip
        assert ok(taken, 201)["valid_until"]
        assert trial_open(first) is False
        assert api.call("DELETE", f"/v1/members/{first}").status == 204
        again, _ = member_token(phone)
        second = Member(api, again).post("/v1/me/cards", {"plan_id": plan_id, "pay_with": "trial"},
                                         headers={"idempotency-key": "trial-001"})  # fmt: skip
        refused(second, 409, "card-not-renewable")
        assert ok(Member(api, again).get("/v1/me/cards"))["items"] == []
        assert trial_open(again) is False  # not offered to be refused (a review)
        assert {plan.get("trial_open") for plan in ok(api.get("/v1/membership/plans"))["items"]} == {None}  # staff


class TestBenefits:
    def test_a_code_records_one_use_of_a_benefit_and_another_benefit_may_be_used_on_it(
        self, api, partner, plan_id, member
    ):
        """Found by a salon's walkthrough: three facials were recorded on one scan of the member's code (a code pays
        once and redeems once). A second use of the benefit on it is 422 member-code-used and records nothing; the car
        wash may still be used on the same scan; the next code records the next use; a retry is answered."""
        member_id, _ = member
        cashier = api.as_(token_for(["cashier"], ("SH-001",)))
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan_id, "P-1"))
        code = members_service.member_code(member_id).code
        uses = f"/v1/members/{member_id}/benefits/{{}}/uses"
        first = {"use_id": "W-1", "store_id": "SH-001", "member_code": code}
        assert ok(cashier.post(uses.format("car-wash"), first), 201)["remaining"] == 3
        assert ok(cashier.post(uses.format("car-wash"), first), 201)["duplicate"] is True  # a retry: answered
        before = item_counts()
        refused(cashier.post(uses.format("car-wash"), {**first, "use_id": "W-2"}), 422, "member-code-used")
        assert item_counts() == before
        ok(cashier.post(uses.format("pt-session"), {**first, "use_id": "PT-1"}), 201)  # another benefit, one scan
        with clock.frozen(clock.now() + timedelta(minutes=2)):
            later = {**first, "use_id": "W-2", "member_code": members_service.member_code(member_id).code}
            assert ok(cashier.post(uses.format("car-wash"), later), 201)["remaining"] == 2

    def test_benefits_combine_the_tier_and_the_card_and_a_quota_is_counted(
        self, api, partner, plan_id, member, monkeypatch
    ):
        member_id, client = member
        cashier = Staff(api, ["cashier"], stores=("BJ-001",))  # another store's: the member is served anywhere
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan_id, "P-1"))
            benefits = ok(client.get("/v1/me/benefits"))
            by_id = {b["benefit_id"]: b for b in benefits["items"]}
            assert by_id["pt-session"]["remaining"] == 1
            assert by_id["pt-session"]["period_ends_on"] == "2027-03-07"
            assert benefits["effective"]["tier"] == "gold"
            assert benefits["effective"]["discount_rate"] == "0.9"  # better than gold's 0.95
            assert by_id["tier-discount"]["applies"] is False
            used = ok(
                cashier.post(
                    f"/v1/members/{member_id}/benefits/pt-session/uses", {"use_id": "U-1", "store_id": "BJ-001"}
                ),
                201,
            )
            again = ok(cashier.post(f"/v1/members/{member_id}/benefits/pt-session/uses",
                                    {"use_id": "U-1", "store_id": "BJ-001"}), 201)  # fmt: skip
            assert (used["remaining"], again["duplicate"]) == (0, True)
            refused(cashier.post(f"/v1/members/{member_id}/benefits/pt-session/uses",
                                 {"use_id": "U-2", "store_id": "BJ-001"}), 409,
                    "quota-exhausted")  # fmt: skip
            absent = Staff(api, ["cashier"], stores=("BJ-001",), shows_code=False)  # a probe: a stranger's class
            refused(absent.post(f"/v1/members/{member_id}/benefits/pt-session/uses",  # or coffee taken by phone
                                {"use_id": "U-9", "store_id": "BJ-001"}), 422, "validation-failed")  # fmt: skip
            repeat = ok(absent.post(f"/v1/members/{member_id}/benefits/pt-session/uses",
                                    {"use_id": "U-1", "store_id": "BJ-001"}), 201)  # fmt: skip
            assert repeat["duplicate"] is True  # a repeat is answered, code or none
            from chalicelib.shared.settings import get_settings

            monkeypatch.setenv("LOYALTY_BENEFIT_USES_NEED_CODE", "false")  # a school: children come without a phone
            get_settings.cache_clear()
            try:  # (an education chain's walkthrough): the code is not asked, what is left still counts
                refused(absent.post(f"/v1/members/{member_id}/benefits/pt-session/uses",
                                    {"use_id": "U-9", "store_id": "BJ-001"}), 409, "quota-exhausted")  # fmt: skip
            finally:
                monkeypatch.delenv("LOYALTY_BENEFIT_USES_NEED_CODE")
                get_settings.cache_clear()
            back = ok(cashier.call("DELETE", f"/v1/members/{member_id}/benefits/pt-session/uses/U-1"))
            assert (back["reversed"], back["remaining"]) == (True, 1)
            twice = ok(cashier.call("DELETE", f"/v1/members/{member_id}/benefits/pt-session/uses/U-1"))
            assert (twice["duplicate"], twice["remaining"]) == (True, 1)
            at_till = {"use_id": "U-3", "store_id": "BJ-001"}
            ok(cashier.post(f"/v1/members/{member_id}/benefits/pt-session/uses", at_till), 201)
            elsewhere = api.as_(token_for(["cashier"], ("SH-001",)))  # a walkthrough: another store's cashier took
            before = item_counts()  # a use back (its store's figures and the card's refund move with it)
            refused(elsewhere.call("DELETE", f"/v1/members/{member_id}/benefits/pt-session/uses/U-3"), 403,
                    "use-not-reversible")  # fmt: skip
            assert item_counts() == before
            elsewhere_manager = api.as_(token_for(["store_manager"], ("SH-001",)))
            refused(elsewhere_manager.call("DELETE", f"/v1/members/{member_id}/benefits/pt-session/uses/U-3"), 403,
                    "use-not-reversible")  # fmt: skip
        with clock.frozen(DAY1 + timedelta(days=1)):  # a class given yesterday: a cashier no longer takes it back
            till = api.as_(token_for(["cashier"], ("BJ-001",)))  # (a probe: taking back classes given raised the
            before = item_counts()  # card's refund)
            refused(till.call("DELETE", f"/v1/members/{member_id}/benefits/pt-session/uses/U-3"), 403,
                    "use-not-reversible")  # fmt: skip
            assert item_counts() == before
            ok(cashier.call("DELETE", f"/v1/members/{member_id}/benefits/pt-session/uses/U-1"))  # a repeat: answered
            manager = api.as_(token_for(["store_manager"], ("BJ-001",)))
            assert ok(manager.call("DELETE", f"/v1/members/{member_id}/benefits/pt-session/uses/U-3"))["reversed"]
            ok(cashier.post(f"/v1/members/{member_id}/benefits/pt-session/uses", {**at_till, "use_id": "U-4"}), 201)
        with clock.frozen(DAY1 + timedelta(days=7)):  # a new week: the quota starts again, nothing rolls over
            assert ok(client.get("/v1/me/benefits"))["items"][0]["remaining"] == 1
        balances_add_up(member_id)

    def test_a_ten_class_card_counts_its_classes_over_its_term_not_the_calendar(self, api, partner, member):
        """Found by a walkthrough: a 次卡 of 10 classes for a quarter could only count per calendar quarter, so one
        bought in the quarter's last month gave 10 more on the next quarter's first day."""
        member_id, client = member
        plan = {
            **GOLD_CARD,
            "name": "私教季卡",
            "term": {"months": 3},
            "benefits": [{"benefit_id": "pt", "name": "私教课10节", "kind": "quota", "quota": 10, "period": "term"}],
        }
        plan_id = ok(api.post("/v1/membership/plans", plan), 201)["plan_id"]
        cashier = Staff(api, ["cashier"], stores=("SH-001",))
        bought = DAY1 + timedelta(days=20)  # 21 March: the quarter ends in ten days
        with clock.frozen(bought):
            ok(paid(api, partner, member_id, plan_id, "P-1"))
            for n in range(10):
                at_till = {"use_id": f"U-{n}", "store_id": "SH-001"}
                ok(cashier.post(f"/v1/members/{member_id}/benefits/pt/uses", at_till), 201)
        with clock.frozen(bought + timedelta(days=15)):  # April: a new calendar quarter, the same term
            (pt,) = ok(client.get("/v1/me/benefits"))["items"][:1]
            assert (pt["remaining"], pt["period"], pt["period_ends_on"]) == (
                0,
                "term",
                "2027-06-23",
            )  # its grace counted in
            refused(cashier.post(f"/v1/members/{member_id}/benefits/pt/uses", {"use_id": "U-10", "store_id": "SH-001"}),
                    409,
                    "quota-exhausted")  # fmt: skip
        pack = {**plan, "benefits": [{"benefit_id": "p", "name": "券包", "kind": "coupon_pack", "period": "term",
                                      "template_id": "ct_x"}]}  # fmt: skip
        refused(api.post("/v1/membership/plans", pack), 422, "validation-failed")  # packs follow the calendar
        loose = (({"kind": "full_within_days", "days": 0}, {"months": 1}),  # refunds nothing (a walkthrough)
                 ({"kind": "pro_rata", "days": 7}, {"months": 1}),
                 ({"kind": "pro_rata"}, "lifetime"))  # no unused days  # fmt: skip
        for refund, term in loose:
            refused(
                api.post("/v1/membership/plans", {**plan, "term": term, "refund": refund}), 422, "validation-failed"
            )

    def test_two_packs_whose_classes_share_a_code_are_used_each_from_the_pack_named(self, api, partner, member):
        """An education chain's walkthrough: two plans' classes were both coded `benefit-1` (the console's default),
        and a 体适能课 recorded at the counter came off the dance pack, the SMS naming 舞蹈课 and the two packs' classes
        added together. A use names its pack; unnamed, a code held as two benefits is 422 and nothing is drawn."""
        member_id, client = member
        packs = {}
        for name, classes, lesson in (("体适能20次", 20, "体适能课"), ("舞蹈10次", 10, "舞蹈课")):
            plan = {
                **GOLD_CARD,
                "name": name,
                "term": {"months": 6},
                "benefits": [
                    {"benefit_id": "benefit-1", "name": lesson, "kind": "quota", "quota": classes, "period": "term"}
                ],
            }
            plan_id = ok(api.post("/v1/membership/plans", plan), 201)["plan_id"]
            with clock.frozen(DAY1):
                ok(paid(api, partner, member_id, plan_id, f"P-{classes}"))
            packs[name] = plan_id
        cashier = Staff(api, ["cashier"], stores=("SH-001",))
        with clock.frozen(DAY1 + timedelta(days=1)):
            held = {i["source_name"]: i["source_id"] for i in ok(client.get("/v1/me/benefits"))["items"]}
            path = f"/v1/members/{member_id}/benefits/benefit-1/uses"
            unnamed = refused(cashier.post(path, {"use_id": "U-1", "store_id": "SH-001"}), 422, "validation-failed")
            assert unnamed["errors"][0]["field"] == "source_id"
            assert "体适能课" in unnamed["detail"] and "舞蹈课" in unnamed["detail"]  # noqa: PT018  which to name
            untouched = {i["source_name"]: i["remaining"] for i in ok(client.get("/v1/me/benefits"))["items"]}
            assert untouched == {"体适能20次": 20, "舞蹈10次": 10}
            fitness = {"use_id": "U-1", "store_id": "SH-001", "source_id": held["体适能20次"]}
            used = ok(cashier.post(path, fitness), 201)
            assert (used["source_id"], used["remaining"]) == (held["体适能20次"], 19)
            left = {i["source_name"]: i["remaining"] for i in ok(client.get("/v1/me/benefits"))["items"]}
            assert left == {"体适能20次": 19, "舞蹈10次": 10}
            elsewhere = {"use_id": "U-2", "store_id": "SH-001", "source_id": "mc_nothing"}
            refused(
                cashier.post(f"/v1/members/{member_id}/benefits/benefit-1/uses", elsewhere), 404, "benefit-not-held"
            )

    def test_a_ten_class_card_bought_again_the_day_it_was_cancelled_gives_ten_classes_afresh(
        self, api, partner, member
    ):
        """Found by a walkthrough (a beauty salon): a 次卡 cancelled with its two facials deducted from the refund
        and bought again the same day gave 8 facials, not 10: the new term began on the old one's first day, so the
        old term's uses counted in it, and the member paid for those two facials twice."""
        member_id, client = member
        plan = {**GOLD_CARD, "name": "面部护理10次卡", "term": {"months": 12},
                "benefits": [{"benefit_id": "facial", "name": "面部护理", "kind": "quota", "quota": 10,
                              "period": "term", "value_fen": 38_800},
                             {"benefit_id": "mask", "name": "面膜每月1次", "kind": "quota", "quota": 1,
                              "period": "month"}]}  # fmt: skip
        plan_id = ok(api.post("/v1/membership/plans", plan), 201)["plan_id"]
        cashier = Staff(api, ["cashier"], stores=("SH-001",))
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan_id, "P-1"))
            uses = f"/v1/members/{member_id}/benefits/facial/uses"
            for n in range(2):
                ok(cashier.post(uses, {"use_id": f"U-{n}", "store_id": "SH-001"}), 201)
            masks = f"/v1/members/{member_id}/benefits/mask/uses"
            ok(cashier.post(masks, {"use_id": "M-1", "store_id": "SH-001"}), 201)
            ok(Staff(api, ["admin"]).post(f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation",
                                          {"cancel_id": "C-1", "reason": "换卡"}))  # fmt: skip
            ok(paid(api, partner, member_id, plan_id, "P-2"))
            (facial,) = [b for b in ok(client.get("/v1/me/benefits"))["items"] if b["benefit_id"] == "facial"]
            assert facial["remaining"] == 10
            # a calendar month's uses stay the month's (a review: cancelling and buying again gave the month twice)
            (mask,) = [b for b in ok(client.get("/v1/me/benefits"))["items"] if b["benefit_id"] == "mask"]
            assert mask["remaining"] == 0
            refused(cashier.post(masks, {"use_id": "M-2", "store_id": "SH-001"}), 409, "quota-exhausted")
            used = ok(cashier.post(uses, {"use_id": "U-2", "store_id": "SH-001"}), 201)
            assert used["remaining"] == 9
            ok(cashier.call("DELETE", f"{uses}/U-2"))  # a mistake
            (facial,) = [b for b in ok(client.get("/v1/me/benefits"))["items"] if b["benefit_id"] == "facial"]
            assert facial["remaining"] == 10  # given back to this cycle
            again = ok(cashier.post(uses, {"use_id": "U-2", "store_id": "SH-001"}), 201)  # sent again: said taken
            assert (again["duplicate"], again["reversed"], again["remaining"]) == (
                True,
                True,
                10,
            )  # back (a walkthrough)
            settled = Staff(api, ["admin"]).call("DELETE", f"{uses}/U-0")  # the cancelled cycle's: its refund kept
            refused(settled, 409, "use-settled")  # ¥388 for it (a walkthrough took such a class back after)
        balances_add_up(member_id)

    def test_a_class_pack_bought_again_before_the_last_ran_out_gives_its_classes_at_once(self, api, partner, member):
        """A fitness chain's walkthrough: the second 10-class pack, sold when the first was used up, took ¥1,500 and
        gave no class until the first pack's term ended six months later."""
        member_id, client = member
        plan = {**GOLD_CARD, "name": "团课10次卡", "term": {"months": 6},
                "benefits": [{"benefit_id": "class", "name": "团课", "kind": "quota", "quota": 10,
                              "period": "term", "value_fen": 15_000}]}  # fmt: skip
        plan_id = ok(api.post("/v1/membership/plans", plan), 201)["plan_id"]
        cashier = Staff(api, ["cashier"], stores=("SH-001",))
        uses = f"/v1/members/{member_id}/benefits/class/uses"
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan_id, "P-1"))
            for n in range(10):
                ok(cashier.post(uses, {"use_id": f"A-{n}", "store_id": "SH-001"}), 201)
            refused(cashier.post(uses, {"use_id": "A-10", "store_id": "SH-001"}), 409, "quota-exhausted")
            ok(paid(api, partner, member_id, plan_id, "P-2"))  # the second pack, its term after the first's
            (left,) = [b for b in ok(client.get("/v1/me/benefits"))["items"] if b["benefit_id"] == "class"]
            assert left["remaining"] == 10
            for n in range(3):
                assert ok(cashier.post(uses, {"use_id": f"B-{n}", "store_id": "SH-001"}), 201)["remaining"] == 9 - n
        told = [e["payload"] for e in published_envelopes() if e["type"] == "membership.benefit-used"]
        assert [(t["remaining"], t.get("ahead"), t["period"]) for t in told[9:]] == [
            (0, None, "term"),
            (9, 9, "term"),
            (8, 8, "term"),
            (7, 7, "term"),
        ]  # the texts: 0 this term, 9 paid ahead
        with clock.frozen(DAY1 + timedelta(days=200)):  # the second term: the three drawn from it count in it
            (left,) = [b for b in ok(client.get("/v1/me/benefits"))["items"] if b["benefit_id"] == "class"]
            assert left["remaining"] == 7
            # one of the first term's classes taken back, before this term's first use and after it: one fewer drawn
            # from this term each time (reviews: it was lost, then refused before a use of this term)
            head_office = Staff(api, ["admin"])
            assert ok(head_office.call("DELETE", f"{uses}/B-0"))["remaining"] == 8
            assert ok(cashier.post(uses, {"use_id": "C-0", "store_id": "SH-001"}), 201)["remaining"] == 7
            assert [ok(head_office.call("DELETE", f"{uses}/A-{n}"))["remaining"] for n in (1, 2)] == [8, 9]
            over = head_office.call("DELETE", f"{uses}/A-3")  # none drawn from this term any more: the first term's
            refused(over, 409, "use-settled")  # own lesson stands (an education chain's walkthrough took one back)
        reversals = [e["payload"] for e in published_envelopes() if e["type"] == "membership.benefit-use-reversed"]
        assert [r["remaining"] for r in reversals] == [8, 8, 9]  # the member's text says what there is now
        balances_add_up(member_id)

    def test_each_use_is_recorded_with_its_store_and_note_and_listed_with_its_reversal(
        self, api, partner, plan_id, member
    ):
        """Found by a walkthrough: a use kept neither its store nor its note and no one could list them, so a member's
        "I never took that class" could not be answered, nor coaches and stores settled."""
        member_id, client = member
        cashier = Staff(api, ["cashier"], stores=("SH-001",))
        uses = f"/v1/members/{member_id}/benefits/pt-session/uses"
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan_id, "P-1"))
            body = {"use_id": "BOOK-1", "note": "私教课 · 王教练", "store_id": "SH-001"}
            head_office = Staff(api, ["admin"])
            for who, store, why in (
                (cashier, "BJ-001", "not one of your stores"),
                (head_office, "NOWHERE", "no such store"),
            ):
                problem = refused(who.post(uses, {**body, "store_id": store}), 422, "validation-failed")
                assert problem["errors"][0] == {"field": "store_id", "in": "body", "message": why}
            unnamed = refused(cashier.post(uses, {"use_id": "BOOK-0"}), 422, "validation-failed")  # say where
            assert unnamed["errors"][0]["message"] == "required: one of your stores"
            ok(cashier.post(uses, body), 201)
            ok(cashier.call("DELETE", f"{uses}/BOOK-1"))
            record = ok(cashier.get(f"/v1/members/{member_id}/benefits/uses"))["items"]
            mine = ok(client.get("/v1/me/benefits/uses"))["items"]
        reversal, use = record
        assert (use["kind"], use["use_id"], use["benefit_id"], use["note"], use["store_id"]) == (
            "use", "BOOK-1", "pt-session", "私教课 · 王教练", "SH-001")  # fmt: skip
        assert use["recorded_by"].startswith("staff:")
        assert use["reason"] == "使用权益「私教课每周1次」"
        in_english = [("撤销使用权益「私教课每周1次」", "Use reversed: 私教课每周1次"),  # what it took back
                      ("使用权益「私教课每周1次」", "Used: 私教课每周1次")]  # fmt: skip
        assert [(m["reason"], m["reason_en"]) for m in mine] == in_english  # what the platform wrote, in English too
        assert (reversal["kind"], reversal["undoes"], reversal["store_id"]) == ("reversal", use["entry_id"], "SH-001")
        assert reversal["use_id"] == "BOOK-1"
        (reversed_event,) = [e for e in published_envelopes() if e["type"] == "membership.benefit-use-reversed"]
        assert reversed_event["payload"]["store_id"] == "SH-001"  # the BI row and the store's figures say where
        said = reversed_event["payload"]
        assert (said["benefit_name"], said["remaining"]) == ("私教课每周1次", 1)  # the member's text says what is back
        assert [m["recorded_by"] for m in mine] == [None, None]  # the member sees what, where and when, not who

    def test_the_counter_says_a_card_lapsed_so_the_cashier_offers_a_renewal(self, api, partner, plan_id, member):
        """Found by a walkthrough: once a card lapsed the counter said only that the member had no benefits."""
        member_id, _ = member
        cashier = Staff(api, ["cashier"], stores=("SH-001",))
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan_id, "P-1"))
            view = ok(cashier.get(f"/v1/members/{member_id}/counter"))
            (shown,) = view["cards"]
            assert (shown["plan_name"], shown["status"], shown["valid_until"]) == (GOLD_CARD["name"], "active",
                                                                                    card["valid_until"])  # fmt: skip
            # what applies, the card's 10% off, doubled points and gold floor with the earned tier (an integrator's
            # till read the earned tier's none)
            assert view["effective"] == {"discount_rate": "0.9", "points_multiplier": "2", "tier": "gold",
                                         "earned_tier": view["tier"]["code"]}  # fmt: skip
            assert view["effective"] == ok(cashier.get(f"/v1/members/{member_id}/benefits"))["effective"]
        with clock.frozen(DAY1 + timedelta(days=60)):
            view = ok(cashier.get(f"/v1/members/{member_id}/counter"))
            (shown,) = view["cards"]
            assert (shown["status"], shown["valid_until"]) == ("lapsed", card["valid_until"])
            assert shown["grace_ends_on"] > shown["valid_until"]
            assert (view["effective"]["discount_rate"], view["effective"]["tier"]) == ("1", view["tier"]["code"])

    def test_a_card_refunded_in_full_takes_back_what_its_multiplier_added_and_one_refunded_in_part_does_not(
        self, aws, api, admin, partner, member
    ):
        """Found by a probe: buy a card that doubles points, buy goods, cancel the card within its full-refund window:
        the member kept the doubled points for nothing. A card refunded in full counts as never held; one refunded in
        part keeps what it gave (the days used were paid for)."""
        from chalicelib.points import service as points

        member_id, _ = member
        full = {**GOLD_CARD, "name": "七天无理由卡", "refund": {"kind": "full_within_days", "days": 7}}
        plans = [ok(api.post("/v1/membership/plans", plan), 201)["plan_id"] for plan in (full, GOLD_CARD)]
        other, _ = member_token("13900000002")
        for who, plan, n in ((member_id, plans[0], 1), (other, plans[1], 2)):
            with clock.frozen(DAY1):
                card = ok(paid(api, partner, who, plan, f"P-{n}"))
                order = {"order_id": f"O-{n}", "member": {"member_id": who}, "store_id": "SH-001",
                         "occurred_at": DAY1.isoformat(), "total_fen": 10_000, "paid_fen": 10_000,
                         "payment_method": "cash"}  # fmt: skip
                raw = json.dumps(order).encode()
                bought = api.as_(None).call("POST", "/v1/webhooks/purchases", raw=raw,
                                            headers=signed_headers(*partner, raw))  # fmt: skip
                assert bought.body["points_awarded"] == 200  # doubled by the card
            with clock.frozen(DAY1 + timedelta(days=2)):
                cancelled = ok(admin.post(f"/v1/members/{who}/cards/{card['card_id']}/cancellation",
                                          {"cancel_id": f"C-{n}", "reason": "不想要了"}))  # fmt: skip
                deliver(aws, "points", times=2)  # a redelivery takes nothing more
            assert cancelled["refund_fen"] > 0
        assert points.balance(member_id).available == 100  # all refunded: the card's 100 went back
        assert points.balance(other).available == 200  # refunded pro rata: what the days used gave stays
        back = [(e.amount, e.reason) for e in ledger().page(member_id, "points", 10)[0] if e.kind == "refund"]
        assert back == [(-100, "退卡撤销会员卡倍率积分")]

    def test_a_purchase_earns_with_the_card_s_multiplier(self, api, partner, plan_id, member):
        member_id, _ = member
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan_id, "P-1"))
            answer = bought(api, partner, member_id, "O-1", "SH-001")
        assert answer.status in (200, 201), answer.body
        assert answer.body["points_awarded"] == 200  # 100 CNY at 1 point each, doubled by the card


class TestCounterSales:
    """开卡 / 续卡 at the counter (a beauty salon's walkthrough: with no till reporting payments, it could not sell its
    次卡 for cash or WeChat Pay at the desk)."""

    def test_a_cashier_sells_a_card_once_per_till_order_and_renews_it_from_its_end(self, aws, api, plan_id, member):
        member_id, client = member
        cashier = Staff(api, ["cashier"], stores=("SH-001",))
        cards = f"/v1/members/{member_id}/cards"
        sale = {"plan_id": plan_id, "store_id": "SH-001", "order_id": "POS-1", "amount_fen": 29_900,
                "payment_method": "wechat_pay"}  # fmt: skip
        books = ("ledger-accounts", "ledger-entries", "ledger-claims")
        with clock.frozen(DAY1):
            before = [item_counts()[table] for table in books]
            for wrong, field in (({"amount_fen": 19_900}, "amount_fen"), ({"store_id": "BJ-001"}, "store_id")):
                answer = refused(cashier.post(cards, {**sale, **wrong}), 422, "payment-not-applicable"
                                 if field == "amount_fen" else "validation-failed")  # fmt: skip
                assert answer["errors"][0]["field"] == field
            assert [item_counts()[table] for table in books] == before  # nothing written
            sold = ok(cashier.post(cards, sale), 201)
            again = ok(cashier.post(cards, sale), 201)
            assert (again["duplicate"], again["card_id"], again["valid_until"]) == (True, sold["card_id"],
                                                                                    sold["valid_until"])  # fmt: skip
            refused(cashier.post(cards, {**sale, "payment_method": "cash"}), 409, "membership-payment-conflict")
            (card,) = ok(client.get("/v1/me/cards"))["items"]
            assert (card["status"], card["valid_until"]) == ("active", sold["valid_until"])
            assert card["payments"][0]["method"] == "counter:wechat_pay"
        with clock.frozen(DAY1 + timedelta(days=20)):  # renewed early at the counter: from the card's end
            renewed = ok(cashier.post(cards, {**sale, "order_id": "POS-2"}), 201)
            assert renewed["valid_until"] > sold["valid_until"]
        (paid_event, *_) = [e for e in published_envelopes() if e["type"] == "membership.card-paid"]
        said = paid_event["payload"]
        assert (said["store_id"], said["method"], said["payment_method"], said["order_id"]) == (
            "SH-001", "counter", "wechat_pay", "POS-1")  # the drawer is reconciled by them (a review)  # fmt: skip
        balances_add_up(member_id)
        assert ledger().balance(member_id, MEMBERSHIP) == 2 * 29_900
        with clock.frozen(DAY1 + timedelta(days=21)):
            elsewhere = Staff(api, ["customer_service"], stores=("BJ-001",))  # a review: refunded SH-001's cash
            cancellation = f"{cards}/{sold['card_id']}/cancellation"
            refused(elsewhere.get(f"{cancellation}-quote"), 403, "card-refund-elsewhere")
            refused(elsewhere.post(cancellation, {"cancel_id": "C-0", "reason": "x"}), 403, "card-refund-elsewhere")
            other_manager = Staff(api, ["store_manager"], stores=("BJ-001",))  # a manager refunds their own stores'
            refused(other_manager.post(cancellation, {"cancel_id": "C-0", "reason": "x"}), 403, "card-refund-elsewhere")
            unrefunded = {"cancel_id": "C-0", "reason": "x", "refund": "none"}  # a review: the member lost the term
            refused(other_manager.post(cancellation, unrefunded), 403, "card-refund-elsewhere")
            assert ok(Staff(api, ["customer_service"], stores=("SH-001",)).get(f"{cancellation}-quote"))["refund_fen"]
            # an education centre's manager sent each pack's refund to head office: theirs to give now
            ok(
                Staff(api, ["store_manager"], stores=("SH-001",)).post(
                    cancellation, {"cancel_id": "C-1", "reason": "x"}
                )
            )
        (cancelled,) = [e["payload"] for e in published_envelopes() if e["type"] == "membership.card-cancelled"]
        assert cancelled["store_id"] == "SH-001"  # the store that sold it counts its refund (a review)
        deliver(aws, "statistics", times=2)  # a redelivery writes no line twice
        manager = Staff(api, ["store_manager"], stores=("SH-001",))
        day, end = DAY1.date().isoformat(), (DAY1 + timedelta(days=21)).date().isoformat()
        with clock.frozen(DAY1 + timedelta(days=21)):
            lines = ok(manager.get(f"/v1/stores/SH-001/cards/journal?from={day}&to={end}"))["items"]
            other = refused(Staff(api, ["store_manager"], stores=("BJ-001",)).get(
                f"/v1/stores/SH-001/cards/journal?from={day}&to={end}"), 404, "not-found")  # fmt: skip
            assert other["detail"] == "Store 'SH-001' is not one of yours"  # (a walkthrough read "No store 'SH-001'")
        assert [(line["kind"], line["payment_method"], line["order_id"]) for line in lines[-2:]] == [
            ("sale", "wechat_pay", "POS-2"),
            ("sale", "wechat_pay", "POS-1"),
        ]  # the drawer's card money (a review)
        refunds = lines[:-2]  # one line a payment it gave back of (the renewal's unused term, the first's rest)
        assert {line["kind"] for line in refunds} == {"refund"}
        assert len(refunds) == len(cancelled["parts"])
        assert sum(line["amount_fen"] for line in lines) == 2 * 29_900 - cancelled["refund_fen"]
        assert all(line["member"] and line["recorded_by"].startswith("staff:") for line in lines)
        assert {(part["method"], part["store_id"], part["partner_id"]) for part in cancelled["parts"]} == {
            ("counter", "SH-001", None)}  # fmt: skip

    def test_stored_value_pays_a_card_whole_in_its_own_sale_and_gets_its_refund_back(
        self, aws, api, admin, partner, plan_id, member
    ):
        """A fitness chain's walkthrough: stored value taken for a till order, then the card sold under that order
        (as `mixed`), gave the member ¥2,991.66 back for ¥1,500: the cancellation refunded it at the counter and the
        wallet payment was refunded again. A card is paid whole, by the till or by the wallet in the card's own sale,
        and its refund goes back the way it came."""
        member_id, client = member
        cashier = Staff(api, ["cashier"], stores=("SH-001",))
        cards, wallet = f"/v1/members/{member_id}/cards", f"/v1/members/{member_id}/wallet/payments"
        sale = {"plan_id": plan_id, "store_id": "SH-001", "amount_fen": 29_900}
        code = lambda: members_service.member_code(member_id).code  # noqa: E731  the code their pages show now
        with clock.frozen(DAY1):
            ok(topped_up(api, partner, member_id, "T-1", 80_000))
            taken = {"store_id": "SH-001", "order_id": "POS-W1", "amount_fen": 29_900, "member_code": code()}
            ok(cashier.post(wallet, taken, headers={"idempotency-key": "wallet-pay-1"}), 201)
            books = ("ledger-accounts", "ledger-entries", "ledger-claims")
            before = [item_counts()[table] for table in books]
            apart = refused(cashier.post(cards, {**sale, "order_id": "POS-W1", "payment_method": "cash"}), 422,
                            "validation-failed")  # fmt: skip
            assert apart["errors"][0]["field"] == "order_id"
            mixed = refused(cashier.post(cards, {**sale, "order_id": "POS-W3", "payment_method": "mixed"}), 422,
                            "payment-not-applicable")  # fmt: skip
            assert mixed["errors"][0]["field"] == "payment_method"
            refused(cashier.post(cards, {**sale, "order_id": "POS-W2", "payment_method": "wallet"}), 422,
                    "validation-failed")  # no member code  # fmt: skip
            assert [item_counts()[table] for table in books] == before  # nothing written
            ok(cashier.post(cards, {**sale, "order_id": "POS-C1", "payment_method": "cash"}), 201)
            again = cashier.post(wallet, {**taken, "order_id": "POS-C1", "member_code": code()},
                                 headers={"idempotency-key": "wallet-pay-2"})  # fmt: skip
            after_card = refused(again, 422, "validation-failed")
            assert after_card["errors"][0]["field"] == "order_id"  # the card's cancellation would refund it too
            off = {"name": "课时包立减50", "kind": "threshold", "threshold_fen": 10_000, "amount_off_fen": 5_000,
                   "validity": {"days_after_issue": 30}}  # fmt: skip
            made = ok(admin.post("/v1/coupons/templates", off), 201)["template_id"]
            issued = [ok(admin.post(f"/v1/coupons/templates/{made}/issues", {"member_id": member_id,
                                                                              "source_id": f"K-{n}"}), 201)["code"]
                      for n in range(2)]  # fmt: skip
            till = {"store_id": "SH-001", "total_fen": 29_900}
            ok(admin.post(f"/v1/coupons/{issued[0]}/redemptions", {"order_id": "POS-K1", "order": till}), 201)
            discounted = refused(
                cashier.post(cards, {**sale, "order_id": "POS-K1", "payment_method": "cash"}), 422, "validation-failed"
            )  # an education chain's walkthrough: refunded the coupon too
            assert discounted["errors"][0]["field"] == "order_id"
            after_sale = refused(
                admin.post(f"/v1/coupons/{issued[1]}/redemptions", {"order_id": "POS-C1", "order": till}),
                422,
                "validation-failed",
            )  # fmt: skip  a coupon on a card's order: never discounted it
            assert after_sale["errors"][0]["field"] == "order_id"
        with clock.frozen(DAY1 + timedelta(minutes=2)):  # the next code: one pays once
            by_wallet = {**sale, "order_id": "POS-W2", "payment_method": "wallet", "member_code": code()}
            renewed = ok(cashier.post(cards, by_wallet), 201)
        wallet_after = ok(client.get("/v1/me/wallet"))["total_fen"]
        assert wallet_after == 80_000 - 29_900 - 29_900  # the order's own payment, and the card's
        with clock.frozen(DAY1 + timedelta(minutes=9)):  # a retry once the code expired: its first answer
            assert ok(cashier.post(cards, by_wallet), 201) == {**renewed, "duplicate": True}
        assert ok(client.get("/v1/me/wallet"))["total_fen"] == wallet_after
        paid_events = [e["payload"] for e in published_envelopes() if e["type"] == "membership.card-paid"]
        assert [(p["method"], p.get("payment_method"), p.get("order_id"), p.get("store_id")) for p in paid_events] == [
            ("counter", "cash", "POS-C1", "SH-001"), ("wallet", "wallet", "POS-W2", "SH-001")]  # fmt: skip
        (paid_out,) = [e["payload"] for e in published_envelopes() if e["type"] == "wallet.paid"
                       and e["payload"].get("order_id") == "POS-W2"]  # fmt: skip
        assert paid_out["store_id"] == "SH-001"  # the till's stored-value journal lists it
        with clock.frozen(DAY1 + timedelta(days=1)):
            cancelled = ok(
                admin.post(f"{cards}/{renewed['card_id']}/cancellation", {"cancel_id": "C-1", "reason": "x"})
            )
            deliver(aws, "wallet")
            deliver(aws, "statistics")
        (event,) = [e["payload"] for e in published_envelopes() if e["type"] == "membership.card-cancelled"]
        by_way = {part["payment_method"]: part for part in event["parts"]}
        assert set(by_way) == {"cash", "wallet"}
        assert by_way["cash"]["order_id"] == "POS-C1"  # the drawer gives it back (a walkthrough: refunds said neither)
        assert ok(client.get("/v1/me/wallet"))["total_fen"] == wallet_after + by_way["wallet"]["amount_fen"]
        assert sum(part["amount_fen"] for part in event["parts"]) == cancelled["refund_fen"]
        manager = Staff(api, ["store_manager"], stores=("SH-001",))
        day = DAY1.date()
        with clock.frozen(DAY1 + timedelta(days=1)):
            lines = ok(manager.get(f"/v1/stores/SH-001/cards/journal?from={day}&to={day + timedelta(days=1)}"))
        refunds = {(line["payment_method"], line["order_id"]) for line in lines["items"] if line["kind"] == "refund"}
        assert refunds == {("cash", "POS-C1"), ("wallet", "POS-W2")}

    def test_a_cashier_sells_within_the_counters_limits_and_a_frozen_member_is_refused(self, api, member):
        member_id, _ = member
        dear = ok(api.post("/v1/membership/plans", {**GOLD_CARD, "name": "钻石年卡", "price_fen": 600_000}), 201)
        sale = {"plan_id": dear["plan_id"], "store_id": "SH-001", "order_id": "POS-9", "amount_fen": 600_000}
        cashier = Staff(api, ["cashier"], stores=("SH-001",))
        with clock.frozen(DAY1):
            over = refused(cashier.post(f"/v1/members/{member_id}/cards", sale), 403, "counter-purchase-over-limit")
            assert over["limit_fen"] == 500_000
            manager = Staff(api, ["store_manager"], stores=("SH-001",))
            ok(manager.post(f"/v1/members/{member_id}/cards", sale), 201)  # a store manager takes it
            frozen = Staff(api, ["admin"]).patch(f"/v1/members/{member_id}", {"status": "frozen"},
                               headers={"content-type": "application/merge-patch+json", "if-match": "*"})  # fmt: skip
            assert frozen.status == 200, frozen.body
            refused(manager.post(f"/v1/members/{member_id}/cards", {**sale, "order_id": "POS-10"}), 422,
                    "member-not-eligible")  # fmt: skip
            assert ok(manager.post(f"/v1/members/{member_id}/cards", sale), 201)["duplicate"] is True  # a retry
            refused(manager.post("/v1/members/mb_nobody/cards", {**sale, "order_id": "POS-11"}), 404, "not-found")


class TestCardsOfSomeStores:
    """单店卡 (a fitness chain: a club's own card is sold, used and discounts at that club; its all-club card 通店卡
    everywhere)."""

    def test_a_card_of_one_store_is_sold_used_and_discounts_there_and_its_tier_holds_everywhere(
        self, api, partner, member
    ):
        member_id, client = member
        unknown = refused(api.post("/v1/membership/plans", {**GOLD_CARD, "stores": ["SH-001", "NOWHERE"]}), 422,
                          "validation-failed")  # fmt: skip
        assert unknown["errors"] == [{"field": "stores.1", "in": "body", "message": "no store 'NOWHERE'"}]
        plan = ok(api.post("/v1/membership/plans", {**GOLD_CARD, "stores": ["SH-001"]}), 201)
        assert plan["stores"] == ["SH-001"]
        here, there = Staff(api, ["cashier"], stores=("SH-001",)), Staff(api, ["cashier"], stores=("BJ-001",))
        cards, uses = f"/v1/members/{member_id}/cards", f"/v1/members/{member_id}/benefits/pt-session/uses"
        sale = {"plan_id": plan["plan_id"], "store_id": "BJ-001", "order_id": "POS-1", "amount_fen": 29_900,
                "payment_method": "cash"}  # fmt: skip
        books = ("ledger-accounts", "ledger-entries", "ledger-claims")
        with clock.frozen(DAY1):
            before = [item_counts()[table] for table in books]
            wrong_store = refused(there.post(cards, sale), 422, "payment-not-applicable")
            assert wrong_store["errors"][0]["field"] == "store_id"
            assert [item_counts()[table] for table in books] == before  # nothing written
            card = ok(here.post(cards, {**sale, "store_id": "SH-001"}), 201)
            before = [item_counts()[table] for table in books]
            elsewhere = refused(there.post(uses, {"use_id": "U-1", "store_id": "BJ-001"}), 422, "benefit-elsewhere")
            assert elsewhere["errors"][0]["field"] == "store_id"
            unnamed = refused(
                Staff(api, ["admin"]).post(uses, {"use_id": "U-1"}), 422, "benefit-elsewhere"
            )  # say where
            assert unnamed["detail"].endswith("name the store")
            assert [item_counts()[table] for table in books] == before
            assert ok(here.post(uses, {"use_id": "U-1", "store_id": "SH-001"}), 201)["source_id"] == card["card_id"]
            at = {store: ok(here.get(f"/v1/members/{member_id}/counter?store_id={store}")) for store in
                  ("SH-001", "BJ-001")}  # fmt: skip
            anywhere = ok(here.get(f"/v1/members/{member_id}/counter"))
            refused(here.get(f"/v1/members/{member_id}/counter?store_id=NOWHERE"), 422, "validation-failed")
            benefits = {item["benefit_id"]: item for item in ok(client.get("/v1/me/benefits"))["items"]}
            there_listed = ok(there.get(f"/v1/members/{member_id}/benefits?store_id=BJ-001"))
            (counter_card,) = anywhere["cards"]
        assert counter_card["stores"] == ["SH-001"]  # the till says where it is used
        assert {k: at["SH-001"]["effective"][k] for k in ("discount_rate", "points_multiplier", "tier")} == {
            "discount_rate": "0.9", "points_multiplier": "2", "tier": "gold"}  # fmt: skip
        assert {k: at["BJ-001"]["effective"][k] for k in ("discount_rate", "points_multiplier", "tier")} == {
            "discount_rate": "0.95", "points_multiplier": "1.5", "tier": "gold"}  # gold's: the floor holds  # fmt: skip
        assert anywhere["effective"]["discount_rate"] == "0.9"
        assert there_listed["effective"] == at["BJ-001"]["effective"]  # the till's benefits say what applies there
        assert [i["applies"] for i in there_listed["items"] if i["benefit_id"] == "discount"] == [False]
        assert (benefits["pt-session"]["stores"], benefits["gold"]["stores"]) == (["SH-001"], [])
        balances_add_up(member_id)

    def test_a_purchase_at_another_store_earns_without_the_cards_multiplier(self, api, partner, member):
        member_id, _ = member
        plan = ok(api.post("/v1/membership/plans", {**GOLD_CARD, "stores": ["SH-001"]}), 201)
        beijing = ok(api.post("/v1/partners", {"name": "POS BJ", "stores": ["BJ-001"]}), 201)
        tills = {"SH-001": partner, "BJ-001": (beijing["partner_id"], beijing["secret"])}
        earned = {}
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan["plan_id"], "P-1", store_id="SH-001"))
            for store, till in tills.items():
                answer = bought(api, till, member_id, f"O-{store}", store)
                assert answer.status in (200, 201), answer.body
                earned[store] = answer.body["points_awarded"]
        assert earned == {"SH-001": 200, "BJ-001": 150}  # the card's 2× at its club, its gold floor's 1.5× elsewhere
        with clock.frozen(DAY1):  # a partner's till says where it serves the member: one of its stores
            for store, till, status in (
                ("BJ-001", partner, 403),
                ("SH-001", partner, 200),
                ("BJ-001", tills["BJ-001"], 200),
            ):
                raw = json.dumps({"code": members_service.member_code(member_id).code, "store_id": store}).encode()
                seen = api.as_(None).call(
                    "POST", "/v1/webhooks/members/lookup", raw=raw, headers=signed_headers(*till, raw)
                )
                assert seen.status == status, seen.body
                if status == 200:
                    assert seen.body["effective"]["points_multiplier"] == {"SH-001": "2", "BJ-001": "1.5"}[store]


class TestFirstUse:
    """首次使用开卡 (a fitness chain's walkthrough: every card started the day it was sold, a gym's sold ahead)."""

    def test_a_card_sold_ahead_starts_at_its_first_visit_or_by_itself_and_is_owed_whole_until_then(
        self, aws, api, partner, member
    ):
        member_id, client = member
        plan = ok(api.post("/v1/membership/plans", {**GOLD_CARD, "activation_days": 30}), 201)
        assert plan["activation_days"] == 30
        desk = Staff(api, ["cashier"], stores=("SH-001",))
        admin = Staff(api, ["admin"])
        uses = f"/v1/members/{member_id}/benefits/pt-session/uses"
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan["plan_id"], "P-1"))  # 1 March: waits until 31 March at most
            assert card["starts_on"] == "2027-03-31"  # the till says it waits (a walkthrough's said 已开卡)
            (waiting,) = ok(client.get("/v1/me/cards"))["items"]
            refused(desk.post(uses, {"use_id": "U-0", "store_id": "SH-001"}), 404, "benefit-not-held")
        assert (waiting["status"], waiting["started_on"], card["valid_until"]) == (
            "pending",
            "2027-03-31",
            "2027-04-29",
        )
        assert ok(client.get("/v1/me/cards"), 200)["items"][0]["status"] == "pending"
        activation = f"/v1/members/{member_id}/cards/{card['card_id']}/activation"
        first_visit = DAY1 + timedelta(days=3)  # 4 March
        with clock.frozen(first_visit):
            opened = ok(desk.post(activation), 201)
            assert ok(desk.post(activation), 200)["duplicate"] is True  # a retry: nothing moved again
            ok(desk.post(uses, {"use_id": "U-1", "store_id": "SH-001"}), 201)
        assert (opened["status"], opened["started_on"], opened["valid_until"]) == ("active", "2027-03-04", "2027-04-03")
        deliver(aws, "statistics", times=2)
        with clock.frozen(first_visit):
            owed = ok(admin.get(f"/v1/reports/liability?as_of={first_visit.date()}"))["cards"]
        assert owed["unearned_fen"] == round(29_900 * 30 / 31)  # 4 March given of its 31 days
        with clock.frozen(DAY1 + timedelta(days=1)):  # another card never opened starts by itself on its last day
            other, _ = member_token("13900000002")
            late = ok(paid(api, partner, other, plan["plan_id"], "P-2", at=DAY1 + timedelta(days=1)))
        with clock.frozen(DAY1 + timedelta(days=31)):
            (mine,) = ok(admin.get(f"/v1/members/{other}/cards"))["items"]
        assert (mine["status"], late["valid_until"]) == ("active", "2027-04-30")
        for _ in range(2):  # the night it starts by itself, its member hears its end, once
            with clock.frozen(datetime(2027, 4, 1, 1, tzinfo=TZ)):
                run_job_now(date(2027, 4, 1))
        started = [e["payload"] for e in published_envelopes() if e["type"] == "membership.card-started"]
        assert [(s["member_id"], s["valid_until"]) for s in started] == [(other, "2027-04-30")]
        with clock.frozen(DAY1 + timedelta(days=31)):
            refused(admin.post(f"/v1/members/{other}/cards/{mine['card_id']}/activation"), 422, "card-not-pausable")
            runs = ok(admin.post("/v1/membership/plans", GOLD_CARD), 201)  # a card that never waited is not opened
            ok(paid(api, partner, member_id, runs["plan_id"], "P-9"))
            (running,) = [c for c in ok(desk.get(f"/v1/members/{member_id}/cards"))["items"]
                          if c["plan_id"] == runs["plan_id"]]  # fmt: skip
            refused(desk.post(f"/v1/members/{member_id}/cards/{running['card_id']}/activation"), 422,
                    "card-not-pausable")  # fmt: skip
        balances_add_up(member_id)


class TestUnlimitedEntry:
    """不限次 (a fitness chain's walkthrough: its all-you-can-train monthly card became 入场 1 次/日, a second visit
    the same day was refused, and every entry texted the member)."""

    def test_an_unlimited_benefit_records_every_use_refuses_none_and_texts_no_one(self, aws, api, partner, member):
        member_id, client = member
        entry = {"benefit_id": "entry", "name": "入场不限次", "kind": "quota", "unlimited": True}
        for wrong in (
            {**entry, "quota": 3},
            {**entry, "kind": "discount", "rate": "0.9"},
            {**entry, "rolls_over": True},
        ):
            refused(api.post("/v1/membership/plans", {**GOLD_CARD, "benefits": [wrong]}), 422, "validation-failed")
        by_uses = {**GOLD_CARD, "benefits": [entry], "refund": {"kind": "unused"}, "auto_renew": False}
        refused(api.post("/v1/membership/plans", by_uses), 422, "validation-failed")  # nothing to count a refund by
        plan = ok(api.post("/v1/membership/plans", {**GOLD_CARD, "benefits": [entry]}), 201)
        assert plan["benefits"][0]["unlimited"] is True
        assert (plan["benefits"][0]["period"], plan["benefits"][0]["quota"]) == ("day", None)
        desk = Staff(api, ["cashier"], stores=("SH-001",))
        uses = f"/v1/members/{member_id}/benefits/entry/uses"
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan["plan_id"], "P-1"))
            answers = [ok(desk.post(uses, {"use_id": f"IN-{n}", "store_id": "SH-001"}), 201) for n in range(3)]
            (listed,) = [b for b in ok(client.get("/v1/me/benefits"))["items"] if b["benefit_id"] == "entry"]
            back = ok(desk.call("DELETE", f"{uses}/IN-2"))
            record = ok(client.get("/v1/me/benefits/uses"))["items"]
        assert [a["remaining"] for a in answers] == [None, None, None]
        assert (listed["unlimited"], listed["remaining"], listed["allowed"]) == (True, None, None)
        assert (back["reversed"], back["remaining"]) == (True, None)
        assert len(record) == 4  # three entries and a reversal, each with where and when
        for _ in range(2):
            deliver(aws, "notifications")
        from chalicelib.notifications.records import MessageRecord

        assert not [m for m in MessageRecord.by_member.query(member_id) if m.kind.startswith("benefit-")]
        assert ledger().balance(member_id, USES) == 2
        deliver(aws, "statistics", times=2)  # a redelivery counts nothing twice
        day = DAY1.date().isoformat()
        with clock.frozen(DAY1):
            query = f"from={day}&to={day}&granularity=day"
            (counted,) = ok(Staff(api, ["admin"]).get(f"/v1/reports/programme?{query}"))["items"]
            (members,) = ok(Staff(api, ["admin"]).get(f"/v1/reports/members?{query}"))["items"]
            (club,) = ok(Staff(api, ["admin"]).get(f"/v1/reports/programme?{query}&store_id=SH-001"))["items"]
        assert (counted["cards"]["uses"], club["cards"]["uses"]) == (2, 2)  # three entries, one taken back
        assert members["active"] == 1  # the member trained: active, though they bought nothing


class TestPauses:
    """停卡/复卡 (a fitness chain's walkthrough: a member's knee surgery, a month away on business)."""

    def test_a_card_is_paused_at_the_desk_its_end_moved_and_resumed_early_once_each(self, aws, api, partner, member):
        member_id, client = member
        plan = ok(api.post("/v1/membership/plans", PAUSED_CARD), 201)
        assert plan["pause"] == {"times": 1, "days": 30, "min_days": 7}
        lifetime = {**PAUSED_CARD, "term": "lifetime", "auto_renew": False, "refund": {"kind": "none"}}
        refused(api.post("/v1/membership/plans", lifetime), 422, "validation-failed")  # no end to move
        desk = Staff(api, ["customer_service"], stores=("BJ-001",))  # any member of the chain
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan["plan_id"], "P-1"))  # 1..31 March
            pauses = f"/v1/members/{member_id}/cards/{card['card_id']}/pauses"
            body = {"pause_id": "PZ-1", "first_day": "2027-03-06", "days": 10, "reason": "膝伤"}
            books = ("ledger-accounts", "ledger-entries", "ledger-claims")
            before = [item_counts()[table] for table in books]
            refused(Staff(api, ["cashier"]).post(pauses, body), 403, "forbidden")
            for wrong in ({"days": 5}, {"days": 31}, {"first_day": "2027-02-28"}):
                refused(desk.post(pauses, {**body, **wrong}), 422, "card-not-pausable")
            assert [item_counts()[table] for table in books] == before  # nothing written
            done = ok(desk.post(pauses, body), 201)
            again = ok(desk.post(pauses, body), 200)
            refused(desk.post(pauses, {**body, "days": 12}), 409, "conflict")  # the id again, other content
            refused(desk.post(pauses, {**body, "pause_id": "PZ-2", "first_day": "2027-03-20"}), 422,
                    "card-not-pausable")  # one pause a term  # fmt: skip
        assert (done["valid_until"], done["status"], again["duplicate"]) == ("2027-04-10", "active", True)
        assert done["pauses"] == [{"pause_id": "PZ-1", "first_day": "2027-03-06", "last_day": "2027-03-15",
                                   "reason": "膝伤"}]  # fmt: skip
        with clock.frozen(DAY1 + timedelta(days=6)):  # 7 March: paused, no class
            (mine,) = ok(client.get("/v1/me/cards"))["items"]
            assert mine["status"] == "paused"
            assert mine["pauses"][0]["reason"] == ""  # staff's note is not the member's to read (a review)
            (at_till,) = ok(desk.get(f"/v1/members/{member_id}/counter"))["cards"]
            assert at_till["paused_until"] == "2027-03-15"  # the till says until when (a walkthrough read 停卡中 alone)
            resting_list = ok(client.get("/v1/me/benefits"))  # the benefits say why the card's are missing (a salon)
            assert [(p["card_id"], p["paused_until"]) for p in resting_list["paused"]] == [
                (card["card_id"], "2027-03-15")]  # fmt: skip
            assert all(item["source"] != "card" for item in resting_list["items"])
            uses = f"/v1/members/{member_id}/benefits/pt-session/uses"
            resting = refused(desk.post(uses, {"use_id": "U-1", "store_id": "BJ-001"}), 404, "benefit-not-held")
            assert resting["detail"].endswith("is paused until 2027-03-15 (停卡中)")  # not "no counted benefit" alone
            history = ok(client.get(f"/v1/me/cards/{card['card_id']}/history"))["items"]
            resumed = ok(desk.call("DELETE", f"{pauses}/PZ-1"))  # back early: 9 days not taken
            assert ok(desk.call("DELETE", f"{pauses}/PZ-1"))["duplicate"] is True  # a retry: nothing again
            refused(desk.call("DELETE", f"{pauses}/PZ-9"), 422, "card-not-pausable")  # no such pause
            ok(desk.post(uses, {"use_id": "U-1", "store_id": "BJ-001"}), 201)
        assert [h["reason"] for h in history if h["kind"] == "pause"] == [
            "停卡 10 天（2027-03-06 至 2027-03-15），到期日顺延至 2027-04-10"]  # staff's note not shown  # fmt: skip
        assert (resumed["valid_until"], resumed["pauses"][0]["last_day"]) == ("2027-04-01", "2027-03-06")
        texts = [e["payload"] for e in published_envelopes() if e["type"] in ("membership.card-paused",
                                                                               "membership.card-resumed")]  # fmt: skip
        assert [t["valid_until"] for t in texts] == ["2027-04-10", "2027-04-01"]
        deliver(aws, "statistics", times=2)
        admin = Staff(api, ["admin"])
        with clock.frozen(DAY1 + timedelta(days=6)):
            owed = ok(admin.get(f"/v1/reports/liability?as_of={(DAY1 + timedelta(days=6)).date()}"))["cards"]
        assert owed["unearned_fen"] == round(29_900 * 25 / 31)  # 1–5 and 7 March given, 6 March paused
        balances_add_up(member_id)


def test_a_plan_past_the_chain_s_limits_on_fees_charged_ahead_is_refused_on_its_fields(
    api, partner, member, monkeypatch
):  # fmt: skip
    """预收费上限 (an education chain: 3 months or 60 classes a payment, 5,000 CNY in some cities), none by default."""
    from chalicelib.shared.settings import get_settings

    pack = {**GOLD_CARD, "name": "英语48课时", "term": {"months": 12}, "price_fen": 864_000, "auto_renew": False,
            "trial_days": 0, "refund": {"kind": "unused"},
            "benefits": [{"benefit_id": "en", "name": "英语课", "kind": "quota", "quota": 48, "period": "term",
                          "value_fen": 18_000}]}  # fmt: skip
    for name, value in (("PRICE_FEN", "500000"), ("TERM_DAYS", "92"), ("USES", "60")):
        monkeypatch.setenv(f"LOYALTY_PLAN_MAX_{name}", value)
    get_settings.cache_clear()
    try:
        refusal = refused(api.post("/v1/membership/plans", pack), 422, "validation-failed")
        fine = {**pack, "term": {"months": 3}, "price_fen": 432_000,
                "benefits": [{**pack["benefits"][0], "quota": 24}]}  # fmt: skip
        within = ok(api.post("/v1/membership/plans", fine), 201)
        with clock.frozen(DAY1):  # a family's packs paid ahead together (a walkthrough sold one four times over)
            first = ok(paid(api, partner, member[0], within["plan_id"], "P-1", amount=432_000))
            again = refused(paid(api, partner, member[0], within["plan_id"], "P-2", amount=432_000), 422,
                            "payment-not-applicable")  # fmt: skip
            # the money limit counts what is not yet given: a pack's classes taken are (a walkthrough's parent, two
            # classes left, was refused a renewal for the 22 taken)
            monkeypatch.setenv("LOYALTY_PLAN_MAX_TERM_DAYS", "0")
            get_settings.cache_clear()
            desk = Staff(api, ["store_manager"], stores=("SH-001",))
            for n in range(22):
                ok(desk.post(f"/v1/members/{member[0]}/benefits/en/uses", {"use_id": f"U-{n}", "store_id": "SH-001"}),
                   201)  # fmt: skip
                if n == 19:  # four left: 4 × ¥180 + ¥4,320 is past ¥5,000
                    early = refused(paid(api, partner, member[0], within["plan_id"], "P-3", amount=432_000), 422,
                                    "payment-not-applicable")  # fmt: skip
            renewed = ok(paid(api, partner, member[0], within["plan_id"], "P-4", amount=432_000))  # ¥360 + ¥4,320
    finally:
        for name in ("PRICE_FEN", "TERM_DAYS", "USES"):
            monkeypatch.delenv(f"LOYALTY_PLAN_MAX_{name}")
        get_settings.cache_clear()
    assert [e["field"] for e in refusal["errors"]] == ["price_fen", "term"]
    assert "limit on a fee charged ahead (5,000.00 CNY)" in refusal["errors"][0]["message"]
    assert (refusal["errors"][0]["code"], refusal["errors"][0]["limit"]) == (
        "prepaid_price",
        "5,000.00",
    )  # 中文 on screens
    assert "its days would run 184 days ahead, past 92" in again["detail"]  # and 48 classes, ¥8,640: past ¥5,000
    assert "8,640.00 CNY paid ahead" in again["detail"]
    assert "5,040.00 CNY paid ahead" in early["detail"]
    assert renewed["valid_until"] > first["valid_until"]  # a term added
    ok(api.post("/v1/membership/plans", pack), 201)  # none by default


def test_a_renewal_coupon_takes_its_discount_off_a_pack_sold_at_the_till_and_stays_used_when_it_is_refunded(
    aws, api, admin, partner, member
):  # fmt: skip
    """An education chain's walkthrough: its 续费券 and 新生券 were useless, every pack sold at its list price only. A
    coupon redeemed on the card's till order (the card its one line) takes its discount off the price; its refund is
    of what was paid, the classes taken counted at their plan value, and the coupon stays used."""
    member_id, _ = member
    plan = ok(api.post("/v1/membership/plans", ART_PACK), 201)
    off = {"name": "续费立减300", "kind": "threshold", "threshold_fen": 300_000, "amount_off_fen": 30_000,
           "validity": {"days_after_issue": 30}}  # fmt: skip
    cashier = Staff(api, ["store_manager"], stores=("SH-001",))
    cards = f"/v1/members/{member_id}/cards"
    sale = {"plan_id": plan["plan_id"], "store_id": "SH-001", "order_id": "POS-R1", "payment_method": "wechat_pay"}
    line = {"sku": plan["plan_id"], "category": "membership", "amount_fen": 432_000}  # the card's one line
    with clock.frozen(DAY1):
        template = ok(admin.post("/v1/coupons/templates", off), 201)["template_id"]
        issue = {"member_id": member_id, "source_id": "R-1"}
        code = ok(admin.post(f"/v1/coupons/templates/{template}/issues", issue), 201)["code"]
        order = {"store_id": "SH-001", "total_fen": 432_000, "items": [line]}
        used = ok(admin.post(f"/v1/coupons/{code}/redemptions", {"order_id": "POS-R1", "order": order}), 201)
        books = ("ledger-accounts", "ledger-entries", "ledger-claims")
        before = [item_counts()[table] for table in books]
        for wrong, field in (({"amount_fen": 432_000}, "order_id"),  # its coupon not said
                             ({"amount_fen": 412_000, "coupon_discount_fen": 20_000}, "coupon_discount_fen"),
                             ({"amount_fen": 432_000, "coupon_discount_fen": 30_000}, "amount_fen")):  # fmt: skip
            refusal = cashier.post(cards, {**sale, **wrong})
            assert (refusal.status, refusal.body["errors"][0]["field"]) == (422, field), refusal.body
        assert [item_counts()[table] for table in books] == before  # nothing written
        card = ok(cashier.post(cards, {**sale, "amount_fen": 402_000, "coupon_discount_fen": 30_000}), 201)
        deliver(aws, "statistics")
        day = DAY1.date().isoformat()
        (line,) = ok(cashier.get(f"/v1/stores/SH-001/cards/journal?from={day}&to={day}"))["items"]
        assert (line["amount_fen"], line["coupon_fen"]) == (402_000, 30_000)  # its coupons said beside its money
        again = ok(cashier.post(cards, {**sale, "amount_fen": 402_000, "coupon_discount_fen": 30_000}), 201)
        uses = f"/v1/members/{member_id}/benefits/art/uses"
        for n in range(6):
            ok(cashier.post(uses, {"use_id": f"U-{n}", "store_id": "SH-001"}), 201)
        back = cashier.post(f"/v1/coupons/{code}/redemptions/POS-R1/reversal", {"reason": "mistake"})
        assert (back.status, back.body["errors"][0]["field"]) == (422, "order_id")  # the card costs what was paid
        quote = ok(admin.get(f"{cards}/{card['card_id']}/cancellation-quote"))
        cancelled = ok(admin.post(f"{cards}/{card['card_id']}/cancellation", {"cancel_id": "C-1", "reason": "搬家"}))
        held = ok(admin.get(f"/v1/coupons/{code}"))["coupon"]
        other = ok(admin.post(f"/v1/coupons/templates/{template}/issues", {**issue, "source_id": "R-2"}), 201)["code"]
        shampoo = {"store_id": "SH-001", "total_fen": 900_000,
                   "items": [{"sku": "SHAMPOO", "category": "retail", "amount_fen": 900_000}]}  # fmt: skip
        ok(admin.post(f"/v1/coupons/{other}/redemptions", {"order_id": "POS-X1", "order": shampoo}), 201)
        elsewhere = cashier.post(cards, {**sale, "order_id": "POS-X1", "amount_fen": 402_000,
                                         "coupon_discount_fen": 30_000})  # fmt: skip
        assert (elsewhere.status, elsewhere.body["errors"][0]["field"]) == (422, "order_id")  # not the card's order
    assert (used["discount_fen"], again["duplicate"]) == (30_000, True)
    assert quote["refund_fen"] == cancelled["refund_fen"] == 402_000 - 6 * 18_000  # 按标准课时单价扣除
    assert held["status"] == "used"  # the coupon stays used: the refund is of what was paid
    paid = [e["payload"] for e in published_envelopes() if e["type"] == "membership.card-paid"]
    assert [p["amount_fen"] for p in paid] == [402_000]
    balances_add_up(member_id)


class TestStudents:
    """一家长多孩: an education chain's walkthrough sold a parent a 24-lesson pack for each of two children at the desk,
    and the second became a renewal of the first, their lessons pooled and their dates one."""

    def test_each_child_s_pack_is_a_card_of_its_own_used_by_name_and_texted_with_the_child_s_name(
        self, aws, api, admin, member
    ):  # fmt: skip
        from chalicelib.notifications.channels.dev_outbox import dev_outbox
        from chalicelib.notifications.records import MessageRecord

        member_id, client = member
        plan = ok(api.post("/v1/membership/plans", ART_PACK), 201)["plan_id"]
        cashier = Staff(api, ["store_manager"], stores=("SH-001",))
        cards, uses = f"/v1/members/{member_id}/cards", f"/v1/members/{member_id}/benefits/art/uses"
        sale = {"plan_id": plan, "store_id": "SH-001", "amount_fen": 432_000, "payment_method": "alipay"}
        with clock.frozen(DAY1):
            profile = admin.get(f"/v1/members/{member_id}")
            students = [{"name": "小明", "guardian_consent": True}, {"name": "小红", "guardian_consent": True}]
            edited = admin.patch(f"/v1/members/{member_id}", {"students": students},
                               headers={"content-type": "application/merge-patch+json",
                                        "if-match": profile.headers["etag"]})  # fmt: skip
            ming, hong = (s["student_id"] for s in ok(edited)["students"])
            books = ("ledger-accounts", "ledger-entries", "ledger-claims")
            before = [item_counts()[table] for table in books]
            stranger = refused(cashier.post(cards, {**sale, "order_id": "POS-S0", "student_id": "st_00000000"}), 422,
                               "validation-failed")  # fmt: skip
            assert stranger["errors"][0]["field"] == "student_id"
            assert [item_counts()[table] for table in books] == before  # nothing written
            for_ming = ok(cashier.post(cards, {**sale, "order_id": "POS-S1", "student_id": ming}), 201)
            for_hong = ok(cashier.post(cards, {**sale, "order_id": "POS-S2", "student_id": hong}), 201)
            again = ok(cashier.post(cards, {**sale, "order_id": "POS-S2", "student_id": hong}), 201)
            other = cashier.post(cards, {**sale, "order_id": "POS-S2", "student_id": ming})
            counter = ok(cashier.get(f"/v1/members/{member_id}/counter?store_id=SH-001"))
            deliver(aws, "statistics")
            day = DAY1.date().isoformat()
            journal = ok(cashier.get(f"/v1/stores/SH-001/cards/journal?from={day}&to={day}"))["items"]
        assert sorted((line["student_id"], line["student_name"]) for line in journal) == sorted(
            [(ming, "小明"), (hong, "小红")]
        )  # fmt: skip  whose pack each sale was (a walkthrough)
        assert for_ming["card_id"] != for_hong["card_id"]  # a card of its own, not a renewal of the first
        assert for_ming["valid_until"] == for_hong["valid_until"] == "2027-05-31"
        assert (again["duplicate"], again["card_id"], other.status) == (True, for_hong["card_id"], 409)
        assert {c["card_id"]: c["student_id"] for c in counter["cards"]} == {for_ming["card_id"]: ming,
                                                                            for_hong["card_id"]: hong}  # fmt: skip
        assert counter["students"] == [{"student_id": ming, "name": "小明"}, {"student_id": hong, "name": "小红"}]
        with clock.frozen(DAY1 + timedelta(days=1)):
            unnamed = refused(cashier.post(uses, {"use_id": "U-1", "store_id": "SH-001"}), 422, "validation-failed")
            assert unnamed["errors"][0]["field"] == "source_id"  # whose lesson it was must be said
            used = ok(cashier.post(uses, {"use_id": "U-1", "store_id": "SH-001", "source_id": for_ming["card_id"]}),
                      201)  # fmt: skip
            left = {i["source_id"]: i["remaining"] for i in ok(client.get("/v1/me/benefits"))["items"]}
            taken_back = ok(cashier.call("DELETE", f"{uses}/U-1"))
            ok(cashier.post(uses, {"use_id": "U-2", "store_id": "SH-001", "source_id": for_ming["card_id"]}), 201)
            record = [(u["kind"], u["student_id"]) for u in ok(client.get("/v1/me/benefits/uses"))["items"]]
            renewed = ok(cashier.post(cards, {**sale, "order_id": "POS-S3", "student_id": ming}), 201)
            for _ in range(3):
                deliver(aws, "notifications")
            inbox = [m["text"] for m in ok(client.get("/v1/me/inbox"))["items"]]
        assert used["remaining"] == 23
        assert taken_back["remaining"] == 24  # 小明's, not the family's 48 (a review)
        assert left == {for_ming["card_id"]: 23, for_hong["card_id"]: 24}  # each child's lessons apart
        assert record == [("use", ming), ("reversal", ming), ("use", ming)]  # 消课记录: whose class each was
        assert (renewed["card_id"], renewed["valid_until"]) == (for_ming["card_id"], "2027-08-31")  # 小明's renewed
        mine = {c["card_id"]: (c["student_id"], c["valid_until"]) for c in ok(client.get("/v1/me/cards"))["items"]}
        assert mine == {for_ming["card_id"]: (ming, "2027-08-31"), for_hong["card_id"]: (hong, "2027-05-31")}
        texts = [m.text for m in dev_outbox()]
        assert any("小明的美术课" in text and "本期还剩23次" in text for text in texts), (
            texts
        )  # 消课提醒 names the child
        assert any("小红的美术24课时" in text for text in texts), texts
        assert any("小明的美术课" in text for text in inbox), inbox
        stored = " ".join(str(m.text) for m in MessageRecord.by_member.query(member_id))
        assert "小明" not in stored  # and "小红" neither: a message keeps the student's id, their name stays sealed
        assert "小红" not in stored
        balances_add_up(member_id)

    def test_a_parent_buys_a_child_s_pack_on_their_pages_and_a_partner_reports_one_for_the_other(
        self, api, admin, partner, member
    ):  # fmt: skip
        """The member pages and a partner's till name the student too: each child's card, once, and a stranger is
        422 with nothing taken from the wallet."""
        member_id, client = member
        plan = ok(api.post("/v1/membership/plans", {**ART_PACK, "self_service": True}), 201)["plan_id"]
        with clock.frozen(DAY1):
            ok(topped_up(api, partner, member_id, "T-1", 432_000))
            profile = admin.get(f"/v1/members/{member_id}")
            two = [{"name": "小明", "guardian_consent": True}, {"name": "小红", "guardian_consent": True}]
            edited = admin.patch(f"/v1/members/{member_id}", {"students": two},
                                 headers={"content-type": "application/merge-patch+json",
                                          "if-match": profile.headers["etag"]})  # fmt: skip
            ming, hong = (s["student_id"] for s in ok(edited)["students"])
            buy = {"plan_id": plan, "pay_with": "wallet"}
            stranger = client.post("/v1/me/cards", {**buy, "student_id": "st_00000000"},
                                   headers={"Idempotency-Key": "buy-0000"})  # fmt: skip
            assert (stranger.status, stranger.body["errors"][0]["field"]) == (422, "student_id")
            assert ok(client.get("/v1/me/wallet"))["total_fen"] == 432_000  # nothing taken
            bought = ok(client.post("/v1/me/cards", {**buy, "student_id": ming},
                                    headers={"Idempotency-Key": "buy-0001"}), 201)  # fmt: skip
            reported = ok(paid(api, partner, member_id, plan, "P-HONG", amount=432_000, student_id=hong))
            ok(
                admin.post(
                    f"/v1/members/{member_id}/cards/{reported['card_id']}/cancellation",
                    {"cancel_id": "C-HONG", "reason": "转学"},
                )
            )  # fmt: skip  settled, 小红 may leave
            profile = admin.get(f"/v1/members/{member_id}")
            ok(
                admin.patch(
                    f"/v1/members/{member_id}",
                    {"students": [{"student_id": ming, "name": "小明"}]},
                    headers={"content-type": "application/merge-patch+json", "if-match": profile.headers["etag"]},
                )
            )  # fmt: skip  小红 removed
            again = ok(paid(api, partner, member_id, plan, "P-HONG", amount=432_000, student_id=hong))  # a retry
            refused(
                paid(api, partner, member_id, plan, "P-HONG-2", amount=432_000, student_id=hong),
                422,
                "validation-failed",
            )  # a new sale names a student on record
            cards = {c["card_id"]: c["student_id"] for c in ok(client.get("/v1/me/cards"))["items"]}
            gold = ok(admin.post("/v1/membership/plans", {**GOLD_CARD, "self_service": True}), 201)["plan_id"]
            ok(paid(api, partner, member_id, gold, "P-GOLD-MING", student_id=ming))
            childs = ok(client.get("/v1/me/benefits"))
            trial = client.post("/v1/me/cards", {"plan_id": gold, "pay_with": "trial"},
                                headers={"Idempotency-Key": "trial-0001"})  # fmt: skip
            ok(paid(api, partner, member_id, gold, "P-GOLD"))
            effective = ok(client.get("/v1/me/benefits"))["effective"]
        assert cards == {bought["card_id"]: ming, reported["card_id"]: hong}
        assert (again["duplicate"], again["card_id"]) == (True, reported["card_id"])  # the student removed since
        assert (trial.status, trial.body["type"].rpartition("/")[2]) == (409, "card-not-renewable")  # one a family
        assert (
            childs["effective"]["points_multiplier"],
            childs["effective"]["discount_rate"],
            childs["effective"]["tier"],
        ) == ("1", "1", "normal")  # fmt: skip  a child's card: their classes only
        assert {i["benefit_id"] for i in childs["items"] if i["student_id"] == ming} == {
            "art",
            "pt-session",
            "car-wash",
        }
        assert (effective["points_multiplier"], effective["tier"]) == ("2", "gold")  # the parent's own card's
        balances_add_up(member_id)

    def test_a_child_holding_a_card_stays_until_it_is_cancelled_and_is_renamed_at_a_store(self, api, admin, member):
        """An education chain's walkthrough removed a child with 20 classes left (their reminders then read as their
        sibling's, their renewal refused) and renamed another on the member pages (a pack handed to another child,
        every past text reading the new name); siblings in one class could not both be checked in on one scan."""
        member_id, client = member
        plan = ok(admin.post("/v1/membership/plans", ART_PACK), 201)["plan_id"]
        desk = Staff(api, ["store_manager"], stores=("SH-001",))
        patch = {"content-type": "application/merge-patch+json"}

        def edit(who, path, students):
            read = who.get(path)
            return who.patch(path, {"students": students}, headers={**patch, "if-match": read.headers["etag"]})

        with clock.frozen(DAY1):
            ming, hong = ok(
                edit(
                    admin,
                    f"/v1/members/{member_id}",
                    [{"name": "小明", "guardian_consent": True}, {"name": "小红", "guardian_consent": True}],
                )
            )["students"]
            sale = {"plan_id": plan, "store_id": "SH-001", "amount_fen": 432_000, "payment_method": "alipay"}
            cards = [ok(desk.post(f"/v1/members/{member_id}/cards", {**sale, "order_id": f"POS-{n}",
                                                                     "student_id": child["student_id"]}), 201)
                     for n, child in enumerate((ming, hong))]  # fmt: skip
            cashier = Staff(api, ["cashier"], stores=("SH-001",), shows_code=False)
            code = members_service.member_code(member_id).code
            siblings = [cashier.post(f"/v1/members/{member_id}/benefits/art/uses", {
                "use_id": f"U-{n}", "store_id": "SH-001", "source_id": card["card_id"], "member_code": code})
                for n, card in enumerate(cards)]  # fmt: skip
            again = cashier.post(
                f"/v1/members/{member_id}/benefits/art/uses",
                {"use_id": "U-9", "store_id": "SH-001", "source_id": cards[0]["card_id"], "member_code": code},
            )
            removed = edit(client, "/v1/me", [hong])
            renamed = edit(client, "/v1/me", [{**ming, "name": "小刚"}, hong])
            corrected = edit(admin, f"/v1/members/{member_id}", [{**ming, "name": "明明"}, hong])
            shown = ok(Staff(api, ["marketing"]).get(f"/v1/members/{member_id}"))["students"]
            at_counter = [ok(who.get(f"/v1/members/{member_id}/counter"))["students"]
                          for who in (Staff(api, ["marketing"]), Staff(api, ["finance"]), cashier)]  # fmt: skip
            ok(admin.post(f"/v1/members/{member_id}/cards/{cards[0]['card_id']}/cancellation",
                          {"cancel_id": "C-1", "reason": "转学"}))  # fmt: skip
            left = edit(client, "/v1/me", [hong])
        assert [answer.status for answer in siblings] == [201, 201]  # one scan, each child's class
        refused(again, 422, "member-code-used")  # but not the same card's twice
        refused(removed, 409, "student-holds-card")
        refused(renamed, 409, "student-holds-card")
        assert [s["name"] for s in ok(corrected)["students"]] == ["明明", "小红"]  # a store corrects it
        assert [s["name"] for s in shown] == ["明*", "小*"]  # a child's name is personal data
        assert [[s["name"] for s in students] for students in at_counter] == [
            ["明*", "小*"],
            ["明*", "小*"],
            ["明明", "小红"],
        ]  # fmt: skip  whole to the till choosing whose class
        assert [s["student_id"] for s in ok(left)["students"]] == [hong["student_id"]]  # once the card is settled

    def test_each_childs_use_record_is_read_apart_page_by_page(self, api, admin, member):
        """A parent of two reads each child's attendance (消课记录) across their packs; a staff member the same."""
        member_id, client = member
        plan = ok(admin.post("/v1/membership/plans", ART_PACK), 201)["plan_id"]
        desk = Staff(api, ["store_manager"], stores=("SH-001",))
        read = client.get("/v1/me")
        two = [{"name": "小明", "guardian_consent": True}, {"name": "小红", "guardian_consent": True}]
        headers = {"content-type": "application/merge-patch+json", "if-match": read.headers["etag"]}
        with clock.frozen(DAY1):
            ming, hong = ok(client.patch("/v1/me", {"students": two}, headers=headers))["students"]
            sale = {"plan_id": plan, "store_id": "SH-001", "amount_fen": 432_000, "payment_method": "alipay"}
            cards = [ok(desk.post(f"/v1/members/{member_id}/cards", {**sale, "order_id": f"POS-{n}",
                                                                     "student_id": child["student_id"]}), 201)
                     for n, child in enumerate((ming, hong))]  # fmt: skip
            uses = f"/v1/members/{member_id}/benefits/art/uses"
            for n, card in enumerate([cards[0], cards[1], cards[0], cards[1], cards[1], cards[0]]):
                ok(desk.post(uses, {"use_id": f"U-{n}", "store_id": "SH-001", "source_id": card["card_id"]}), 201)
            ok(desk.call("DELETE", f"{uses}/U-1"))  # 小红's first class taken back

        def asked(path, **query):
            return f"{path}?{urlencode(query)}"

        def every_page(reader, path, student):
            items, cursor, sizes = [], None, []
            while True:
                page = ok(
                    reader.get(asked(path, limit=2, student_id=student, **({"cursor": cursor} if cursor else {})))
                )
                items, cursor = items + page["items"], page["next_cursor"]
                sizes.append(len(page["items"]))
                if cursor is None:
                    return items, sizes

        for reader, path in ((client, "/v1/me/benefits/uses"), (desk, f"/v1/members/{member_id}/benefits/uses")):
            mings, sizes = every_page(reader, path, ming["student_id"])
            assert [(r["kind"], r["use_id"]) for r in mings] == [("use", "U-5"), ("use", "U-2"), ("use", "U-0")]
            assert sizes == [2, 1]  # no empty page before the end
            hongs, _ = every_page(reader, path, hong["student_id"])
            assert [(r["kind"], r["use_id"]) for r in hongs] == [
                ("reversal", "U-1"), ("use", "U-4"), ("use", "U-3"), ("use", "U-1")]  # fmt: skip
            assert {r["student_id"] for r in mings + hongs} == {ming["student_id"], hong["student_id"]}
            assert len(ok(reader.get(asked(path, limit=50)))["items"]) == 7  # every record, unasked
            first = ok(reader.get(asked(path, limit=1, student_id=ming["student_id"])))
            other = asked(path, limit=1, student_id=hong["student_id"], cursor=first["next_cursor"])
            refused(reader.get(other), 400, "invalid-cursor")  # a cursor is its student's record's
        refused(client.get(asked("/v1/me/benefits/uses", student_id="小明")), 422, "validation-failed")

    def test_a_sale_and_a_removal_of_its_student_racing_leave_no_card_naming_nobody(
        self, api, admin, member, monkeypatch
    ):  # fmt: skip
        """Each reads before the other commits: whichever commits second reads again (the sale finds its student
        gone, 422; the removal finds the card, 409), so no card is left for a student the member no longer has."""
        from chalicelib.membership import service as membership_service
        from chalicelib.membership.schemas import CounterCardSale

        member_id, client = member
        plan = ok(admin.post("/v1/membership/plans", ART_PACK), 201)["plan_id"]
        desk = Staff(api, ["store_manager"], stores=("SH-001",))
        sale = {"plan_id": plan, "store_id": "SH-001", "amount_fen": 432_000, "payment_method": "alipay"}
        by_patch = {"content-type": "application/merge-patch+json"}

        def edit(students):
            read = client.get("/v1/me")
            return client.patch(
                "/v1/me", {"students": students}, headers={**by_patch, "if-match": read.headers["etag"]}
            )

        def remove_all_but(kept):
            members_service.update(member_id, {"students": kept}, ANY_VERSION, own=True)

        with clock.frozen(DAY1):
            ming, hong = ok(
                edit([{"name": "小明", "guardian_consent": True}, {"name": "小红", "guardian_consent": True}])
            )["students"]
            student_ids, raced = members_service.student_ids, []

            def removed_meanwhile(member, record=None):  # after the sale read its student
                found = student_ids(member, record)
                if not raced:
                    raced.append(remove_all_but([hong]))
                return found

            monkeypatch.setattr(members_service, "student_ids", removed_meanwhile)
            late_sale = desk.post(f"/v1/members/{member_id}/cards",
                                  {**sale, "order_id": "POS-1", "student_id": ming["student_id"]})  # fmt: skip
            monkeypatch.setattr(members_service, "student_ids", student_ids)
            students_cards = membership_service.students_cards

            def sold_meanwhile(member):  # after the removal's checks read the cards
                found = students_cards(member)
                if len(raced) == 1:
                    till = CounterCardSale(**sale, order_id="POS-2", student_id=hong["student_id"])
                    raced.append(membership_service.sell_at_counter(member_id, till))
                return found

            monkeypatch.setattr(membership_service, "students_cards", sold_meanwhile)
            late_removal = edit([])
        refused(late_sale, 422, "validation-failed")
        refused(late_removal, 409, "student-holds-card")
        cards = ok(admin.get(f"/v1/members/{member_id}/cards"))["items"]
        assert [card["student_id"] for card in cards] == [hong["student_id"]]  # the sale that came first
        assert [s["student_id"] for s in ok(client.get("/v1/me"))["students"]] == [hong["student_id"]]


class TestExtensions:
    """延期 (an education chain: a term's pack of lessons ends with lessons left; a gym member's complaint)."""

    def test_a_lapsed_pack_is_extended_once_its_lessons_left_usable_and_none_given_again(
        self, aws, api, partner, member
    ):  # fmt: skip
        member_id, client = member
        pack = {**GOLD_CARD, "name": "美术12课时包", "term": {"months": 3}, "price_fen": 240_000, "auto_renew": False,
                "trial_days": 0, "grace_days": 0, "refund": {"kind": "unused"},
                "benefits": [{"benefit_id": "art", "name": "美术课", "kind": "quota", "quota": 12, "period": "term",
                              "value_fen": 20_000}]}  # fmt: skip
        plan = ok(api.post("/v1/membership/plans", pack), 201)
        lifetime = {**pack, "name": "终身卡", "term": "lifetime", "refund": {"kind": "none"},
                    "benefits": [GOLD_CARD["benefits"][2]]}  # fmt: skip
        forever = ok(api.post("/v1/membership/plans", lifetime), 201)
        uses = f"/v1/members/{member_id}/benefits/art/uses"
        desk = Staff(api, ["store_manager"], stores=("BJ-001",))  # any member of the chain
        head = Staff(api, ["admin"])
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan["plan_id"], "P-1", amount=240_000, store_id="SH-001"))
            life = ok(paid(api, partner, member_id, forever["plan_id"], "P-2", amount=240_000))
            for n in range(3):
                ok(desk.post(uses, {"use_id": f"U-{n}", "store_id": "BJ-001"}), 201)
        lapsed_on = date(2027, 6, 1)
        with clock.frozen(datetime.combine(lapsed_on, datetime.min.time(), TZ) + timedelta(hours=1)):
            run_job_now(lapsed_on)
        extensions = f"/v1/members/{member_id}/cards/{card['card_id']}/extensions"
        body = {"extension_id": "EX-1", "days": 30, "reason": "暑假前课时未用完"}
        with clock.frozen(datetime(2027, 6, 10, 10, tzinfo=TZ)):
            quote = ok(head.get(f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation-quote"))
            at_till = {c["card_id"]: c for c in ok(desk.get(f"/v1/members/{member_id}/counter"))["cards"]}
            assert (at_till[card["card_id"]]["status"], at_till[card["card_id"]]["refundable_unused"]) == (
                "lapsed",
                True,
            )
            refused(desk.post(uses, {"use_id": "U-late", "store_id": "BJ-001"}), 404, "benefit-not-held")
            books = ("ledger-accounts", "ledger-entries", "ledger-claims")
            before = [item_counts()[table] for table in books]
            refused(Staff(api, ["cashier"]).post(extensions, body), 403, "forbidden")
            refused(desk.post(f"/v1/members/{member_id}/cards/{life['card_id']}/extensions", body), 422,
                    "card-not-extendable")  # a lifetime card has no end  # fmt: skip
            refused(desk.post(extensions, {**body, "days": 0}), 422, "validation-failed")
            assert [item_counts()[table] for table in books] == before  # nothing written
            done = ok(desk.post(extensions, body), 201)
            again = ok(desk.post(extensions, body), 200)
            refused(desk.post(extensions, {**body, "days": 40}), 409, "conflict")  # the id again, other content
            answers = [ok(desk.post(uses, {"use_id": f"V-{n}", "store_id": "BJ-001"}), 201) for n in range(9)]
            refused(desk.post(uses, {"use_id": "V-9", "store_id": "BJ-001"}), 409, "quota-exhausted")  # none again
            after = ok(head.get(f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation-quote"))
            mine = ok(client.get(f"/v1/me/cards/{card['card_id']}/history"))["items"]
            staff_reads = ok(desk.get(f"/v1/members/{member_id}/cards/{card['card_id']}/history"))["items"]
        assert (done["status"], done["valid_until"], again["duplicate"]) == ("active", "2027-07-09", True)
        assert [p["kind"] for p in done["payments"]] == ["purchase", "extension"]
        assert (done["payments"][1]["amount_fen"], done["paid_fen"]) == (0, 240_000)  # nothing paid
        assert [a["remaining"] for a in answers][-1] == 0  # the 9 lessons left, then none
        assert (quote["refund_fen"], after["refund_fen"]) == (9 * 20_000, 0)  # the lessons left were the member's
        assert [h["reason"] for h in mine if h["kind"] == "extension"] == ["延期 30 天，有效期至 2027-07-09"]
        assert [h["reason"] for h in staff_reads if h["kind"] == "extension"] == [
            "延期 30 天，有效期至 2027-07-09：暑假前课时未用完"]  # fmt: skip
        reminded = date(2027, 7, 2)  # 7 days before the new end: the account was filed for it again
        with clock.frozen(datetime.combine(reminded, datetime.min.time(), TZ) + timedelta(hours=1)):
            run_job_now(reminded)
            for _ in range(3):
                deliver(aws, "notifications")
            deliver(aws, "statistics", times=2)
            days = "from=2027-06-01&to=2027-06-30&granularity=day"
            lapses = [row["cards"]["lapsed"] for row in ok(head.get(f"/v1/reports/programme?{days}"))["items"]]
            at_store = ok(head.get(f"/v1/reports/programme?{days}&store_id=SH-001"))["items"]  # where it was sold
            months = "from=2027-03-01&to=2027-06-30&granularity=month&store_id=BJ-001"
            taken = [row["cards"]["used_fen"] for row in ok(head.get(f"/v1/reports/programme?{months}"))["items"]]
            hidden = ok(Staff(api, ["marketing"]).get(f"/v1/reports/programme?{months}"))["items"]
        assert (lapses[0], lapses[9], sum(lapses)) == (1, -1, 0)  # the lapse counted, undone by the revival
        assert [row["cards"]["lapsed"] for row in at_store][:10] == [1, 0, 0, 0, 0, 0, 0, 0, 0, -1]  # a campus's too
        assert taken == [3 * 20_000, 0, 0, 9 * 20_000]  # 课消金额 where taken: the pack's whole price by its lessons
        assert {row["cards"]["used_fen"] for row in hidden} == {None}  # money, for those who read it
        from chalicelib.notifications.records import MessageRecord

        texts = {m.kind: m for m in MessageRecord.by_member.query(member_id) if m.kind.startswith("membership")}
        assert "已延期30天，有效期至2027年7月9日" in texts["membership-extended"].text
        assert "2027年7月9日" in texts["membership-expiring"].text
        balances_add_up(member_id)


def test_a_pause_ended_on_its_first_day_is_a_resumption_not_a_withdrawal(aws, api, partner, member):
    """A walkthrough: the member read 停卡 …顺延 and then 停卡未开始 of a pause that had begun that morning."""
    member_id, _ = member
    plan = ok(api.post("/v1/membership/plans", PAUSED_CARD), 201)
    desk = Staff(api, ["customer_service"])
    with clock.frozen(DAY1):
        card = ok(paid(api, partner, member_id, plan["plan_id"], "P-1"))
        pauses = f"/v1/members/{member_id}/cards/{card['card_id']}/pauses"
        ok(desk.post(pauses, {"pause_id": "PZ-1", "days": 10, "reason": "出差"}), 201)  # from today
        back = ok(desk.call("DELETE", f"{pauses}/PZ-1"))
    (resumed,) = [e["payload"] for e in published_envelopes() if e["type"] == "membership.card-resumed"]
    assert (back["valid_until"], resumed["withdrawn"]) == (card["valid_until"], False)


class TestCancellation:
    def test_a_member_holding_a_refundable_card_is_erased_only_once_it_is_cancelled(
        self, api, admin, partner, plan_id, member
    ):
        """A fitness chain's walkthrough erased a member holding an unused ¥3,600 card (and a member closed their own
        membership with a ¥2,600 次卡 unused): the card stayed active, its prepaid value stranded."""
        member_id, client = member
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan_id, "P-1"))
            held = refused(admin.call("DELETE", f"/v1/members/{member_id}"), 409, "member-holds-value")
            assert held["cards"] == [card["card_id"]]
            closing = client.post("/v1/me/closure", {})
            refused(closing, 409, "member-holds-value")  # their own closure too
            cancel = {"cancel_id": "C-erase", "reason": "注销", "refund": "none"}  # as the member agreed
            ok(admin.post(f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation", cancel))
            assert admin.call("DELETE", f"/v1/members/{member_id}").status == 204

    def test_a_pro_rata_refund_deducts_what_was_used_and_says_so(self, api, admin, partner, plan_id, member):
        member_id, client = member
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan_id, "P-1"))
            ok(admin.post(f"/v1/members/{member_id}/benefits/pt-session/uses", {"use_id": "U-1"}), 201)
        with clock.frozen(DAY1 + timedelta(days=9)):  # 31 days paid, 9 used and today: 21 unused
            body = {"cancel_id": "C-1", "reason": "搬家"}
            books = ("ledger-accounts", "ledger-entries", "ledger-claims")
            before = [item_counts()[table] for table in books]  # the counter tells the member first, writing nothing
            quote = ok(admin.get(f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation-quote"))
            none = ok(admin.get(f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation-quote?refund=none"))
            assert [item_counts()[table] for table in books] == before
            cancelled = ok(admin.post(f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation", body))
            refused(admin.get(f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation-quote"), 409,
                    "card-not-cancellable")  # fmt: skip
            again = ok(admin.post(f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation", body))
            taken_back = admin.call("DELETE", f"/v1/members/{member_id}/benefits/pt-session/uses/U-1")
            refused(taken_back, 409, "use-settled")  # the refund kept ¥100 for it: it stands (a walkthrough)
        assert (quote["refund_fen"], none["refund_fen"]) == (cancelled["refund_fen"], 0)
        assert none["explanation"].startswith("本次退卡不退款")  # staff's choice, not "this card is not refundable"
        assert quote["explanation"] == cancelled["explanation"]
        assert cancelled["refund_fen"] == 29_900 * 21 // 31 - 10_000
        assert cancelled["card"]["status"] == "cancelled"
        assert again["duplicate"] is True
        assert again["refund_fen"] == cancelled["refund_fen"]
        history = ok(admin.get(f"/v1/members/{member_id}/cards/{card['card_id']}/history"))["items"]
        assert [h["kind"] for h in history] == ["purchase", "refund"]
        assert "扣除已使用权益100.00元" in history[-1]["reason"]
        assert history[-1]["reason"].startswith("退卡：搬家。")
        mine = ok(client.get(f"/v1/me/cards/{card['card_id']}/history"))["items"]  # the member reads how, not who
        assert [h["kind"] for h in mine] == [h["kind"] for h in history]
        assert mine[0]["reason"] == history[0]["reason"]
        assert mine[-1]["reason"] == f"退卡。{cancelled['explanation']}"  # not the note staff typed (搬家)
        assert quote["explanation_en"] == cancelled["explanation_en"]  # and in English, for English pages
        assert mine[-1]["reason_en"] == f"Card cancelled. {cancelled['explanation_en']}"
        assert "less 100.00 CNY of benefits used" in cancelled["explanation_en"]
        assert history[-1]["reason_en"].startswith("Card cancelled: 搬家. ")  # the staff's words as they typed them
        assert mine[0]["reason_en"].startswith("Card bought: ")
        assert (history[-1]["actor"][:6], mine[-1]["actor"]) == ("staff:", "staff")
        refused(client.get("/v1/me/cards/mc_nobody/history"), 404, "card-not-found")
        balances_add_up(member_id)
        assert ledger().balance(member_id, MEMBERSHIP) == 29_900 - cancelled["refund_fen"]

    def test_a_class_pack_refunds_the_classes_left_whenever_it_is_cancelled(self, api, admin, partner, member):
        """Left alone by an education chain's walkthrough: a 10-lesson pack bought for life could be refunded in full
        within days, pro rata by days (never, for life) or not at all, where the school refunds the lessons left
        (退还未使用部分): all that was paid less each lesson taken at its value, two years on as on the first day."""
        member_id, client = member
        pack = {**GOLD_CARD, "name": "钢琴课10次卡", "term": "lifetime", "price_fen": 150_000, "auto_renew": False,
                "trial_days": 0, "refund": {"kind": "unused"},
                "benefits": [{"benefit_id": "lesson", "name": "钢琴课", "kind": "quota", "quota": 10,
                              "period": "term", "value_fen": 15_000}]}  # fmt: skip
        plan = ok(api.post("/v1/membership/plans", pack), 201)
        assert plan["refund"] == {"kind": "unused", "days": 0, "deduct_used": True}
        loose = ({"auto_renew": True, "term": {"months": 6}},  # each payment would stay refundable: by hand only
                 {"refund": {"kind": "unused", "deduct_used": False}},  # the uses are always kept back
                 {"benefits": [{**pack["benefits"][0], "value_fen": 0}]},  # a lesson taken would be refunded
                 {"benefits": [*pack["benefits"], GOLD_CARD["benefits"][2]]},  # a discount counts no use
                 {"benefits": [{**pack["benefits"][0], "value_fen": 1}]},  # ten lessons worth ¥0.10 for ¥1,500
                 {"benefits": [{**pack["benefits"][0], "period": "month", "quota": 8, "value_fen": 0}]},  # for life,
                 # 8 a month given free: refunded whole for ever (a review)
                 {"benefits": [*pack["benefits"], {"benefit_id": "pack", "name": "券包", "kind": "coupon_pack",
                                                   "template_id": "ct_x", "period": "month"}]})  # fmt: skip
        monthly = {
            "term": {"months": 6},
            "price_fen": 100_000,  # six classes at most, ¥600 of ¥1,000 (a probe)
            "benefits": [{**pack["benefits"][0], "period": "month", "quota": 1, "value_fen": 10_000}],
        }
        for change in (*loose, monthly):
            refused(api.post("/v1/membership/plans", {**pack, **change}), 422, "validation-failed")
        ok(api.post("/v1/membership/plans", {**pack, **monthly, "price_fen": 60_000}), 201)  # worth its price
        bonus = {"benefit_id": "bonus", "name": "赠课", "kind": "quota", "quota": 2, "period": "term"}
        unsaid = refused(api.post("/v1/membership/plans", {**pack, "benefits": [*pack["benefits"], bonus]}), 422,
                         "validation-failed")  # fmt: skip
        assert "0 said for classes given free" in unsaid["errors"][0]["message"]
        given = {**pack, "benefits": [*pack["benefits"], {**bonus, "value_fen": 0}]}  # 10 + 2 given (an education
        ok(api.post("/v1/membership/plans", given), 201)  # chain's walkthrough could not say its 赠课 were worth 0)
        cashier = Staff(api, ["cashier"], stores=("SH-001",))
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan["plan_id"], "P-1", amount=150_000))
            for n in range(3):
                ok(
                    cashier.post(
                        f"/v1/members/{member_id}/benefits/lesson/uses", {"use_id": f"L-{n}", "store_id": "SH-001"}
                    ),
                    201,
                )
        quote_at = f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation-quote"
        with clock.frozen(DAY1 + timedelta(days=730)):
            quote = ok(admin.get(quote_at))
            cancelled = ok(admin.post(f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation",
                                      {"cancel_id": "C-1", "reason": "搬家"}))  # fmt: skip
        assert quote["refund_fen"] == cancelled["refund_fen"] == 150_000 - 3 * 15_000
        assert cancelled["explanation"] == "退还未使用部分，扣除已使用权益450.00元：退款1050.00元"
        assert ok(client.get("/v1/me/membership/plans"))["items"][0]["refund"]["kind"] == "unused"
        balances_add_up(member_id)
        assert ledger().balance(member_id, MEMBERSHIP) == 150_000 - cancelled["refund_fen"]

    def test_a_class_pack_with_a_term_still_refunds_its_classes_left_once_it_lapsed(
        self, api, admin, partner, member, monkeypatch
    ):
        """Found by a beauty salon's walkthrough: a year's 10-facial card refunded by what was not used lapsed with
        seven facials left, and could no longer be cancelled (409 card-not-cancellable): ¥1,386 paid for nothing.
        What was paid for and not used stays the member's; a card of another refund policy still ends with its term."""
        member_id, _ = member
        pack = {**GOLD_CARD, "name": "面部护理10次卡", "term": {"months": 12}, "price_fen": 198_000,
                "auto_renew": False, "trial_days": 0, "grace_days": 0, "refund": {"kind": "unused"},
                "benefits": [{"benefit_id": "facial", "name": "面部护理", "kind": "quota", "quota": 10,
                              "period": "term", "value_fen": 19_800}]}  # fmt: skip
        plan = ok(api.post("/v1/membership/plans", pack), 201)
        yearly = ok(api.post("/v1/membership/plans", {**pack, "name": "年卡", "refund": {"kind": "pro_rata"}}), 201)
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan["plan_id"], "P-1", amount=198_000))
            other = ok(paid(api, partner, member_id, yearly["plan_id"], "P-2", amount=198_000))
            for n in range(3):
                ok(admin.post(f"/v1/members/{member_id}/benefits/facial/uses", {"use_id": f"U-{n}"}), 201)
        later = DAY1 + timedelta(days=400)
        at = f"/v1/members/{member_id}/cards/{{}}/cancellation"
        with clock.frozen(later):
            cards = {c["card_id"]: c["status"] for c in ok(admin.get(f"/v1/members/{member_id}/cards"))["items"]}
            assert cards[card["card_id"]] == "lapsed"
            refused(admin.post(at.format(other["card_id"]), {"cancel_id": "C-2", "reason": "到期"}), 409,
                    "card-not-cancellable")  # fmt: skip
            with monkeypatch.context() as older:  # a plan made before its classes had to be worth its price (a
                older.setattr(membership_rules, "classes_worth", lambda benefits, term: 198_000 - 1)  # review): its
                refused(
                    admin.post(at.format(card["card_id"]), {"cancel_id": "C-0", "reason": "到期"}),
                    409,
                    "card-not-cancellable",
                )  # fmt: skip  lapsed card ends with its term, as before
            cancelled = ok(admin.post(at.format(card["card_id"]), {"cancel_id": "C-1", "reason": "到期退余次"}))
        assert cancelled["refund_fen"] == 198_000 - 3 * 19_800
        assert cancelled["explanation"] == "退还未使用部分，扣除已使用权益594.00元：退款1386.00元"
        balances_add_up(member_id)

    def test_a_card_bought_again_after_a_cancellation_never_refunds_the_earlier_payment_or_its_uses_again(
        self, api, admin, partner, plan_id, member
    ):
        member_id, _ = member
        cancel = f"/v1/members/{member_id}/cards/{{}}/cancellation"
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan_id, "P-1"))
            ok(admin.post(f"/v1/members/{member_id}/benefits/pt-session/uses", {"use_id": "U-1"}), 201)
        day10 = DAY1 + timedelta(days=9)
        with clock.frozen(day10):
            first = ok(admin.post(cancel.format(card["card_id"]), {"cancel_id": "C-1", "reason": "搬家"}))
            again = ok(paid(api, partner, member_id, plan_id, "P-2", at=day10))
            assert again["card_id"] == card["card_id"]  # the same card, bought again
            second = ok(admin.post(cancel.format(card["card_id"]), {"cancel_id": "C-2", "reason": "又不要了"}))
        p1, p2 = second["card"]["payments"]
        assert (p1["payment_id"], p1["refunded_fen"], p1["settled"]) == ("P-1", first["refund_fen"], True)
        days = (date.fromisoformat(p2["last_day"]) - date.fromisoformat(p2["first_day"])).days + 1
        assert second["refund_fen"] == 29_900 * (days - 1) // days  # P-2's unused days, its one use counted before
        assert (p2["refunded_fen"], p2["settled"]) == (second["refund_fen"], True)
        balances_add_up(member_id)
        assert ledger().balance(member_id, MEMBERSHIP) == 2 * 29_900 - first["refund_fen"] - second["refund_fen"]


class TestNightlyJob:
    def test_reminders_a_lapse_and_their_messages_once(self, aws, api, partner, plan_id, member):
        member_id, _ = member
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan_id, "P-1"))
        for day in (date(2027, 3, 24), date(2027, 3, 24), date(2027, 3, 30), date(2027, 4, 4)):
            with clock.frozen(datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=1)):
                run_job_now(day)
        with clock.frozen(datetime(2027, 4, 4, 12, tzinfo=TZ)):
            for _ in range(3):
                deliver(aws, "notifications")
        from chalicelib.notifications.records import MessageRecord

        kinds = sorted(m.kind for m in MessageRecord.by_member.query(member_id) if m.kind.startswith("membership"))
        assert kinds.count("membership-expiring") == 2  # 7 days and 1 day ahead, the first run repeated
        assert kinds.count("membership-lapsed") == 1
        with clock.frozen(datetime(2027, 4, 4, 12, tzinfo=TZ)):
            (card,) = ok(Member(api, member_id).get("/v1/me/cards"))["items"]
            lines = ok(Member(api, member_id).get(f"/v1/me/cards/{card['card_id']}/history"))["items"]
        assert [(line["kind"], line["reason"]) for line in lines][-1] == (
            "lapse",
            "已过期：有效期至2027-03-31，宽限期至2027-04-03",
        )  # its history ends with it (a walkthrough)
        assert lines[-1]["occurred_at"] == "2027-04-03T16:00:00.000Z"  # the day it lapsed began, in Shanghai

    def test_a_term_of_a_pack_renewed_ahead_tells_its_member_a_week_ahead_what_of_it_ends_unused(
        self, aws, api, partner, member
    ):  # fmt: skip
        """An education chain's walkthrough: a parent who bought a second pack ahead lost 22 lessons of the first at
        its term's end, with no word (the reminders looked only at the card's end, half a year on)."""
        member_id, _ = member
        plan = ok(api.post("/v1/membership/plans", ART_PACK), 201)
        with clock.frozen(DAY1):
            for n in (1, 2):  # the second ahead: 1 June to 31 August
                ok(paid(api, partner, member_id, plan["plan_id"], f"P-{n}", amount=432_000))
            for n in range(2):
                ok(Staff(api, ["admin"]).post(f"/v1/members/{member_id}/benefits/art/uses", {"use_id": f"U-{n}"}), 201)
        for day in (date(2027, 5, 23), date(2027, 5, 24), date(2027, 5, 24), date(2027, 5, 25)):
            with clock.frozen(datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=1)):
                run_job_now(day)
        with clock.frozen(datetime(2027, 5, 25, 12, tzinfo=TZ)):
            for _ in range(3):
                deliver(aws, "notifications")
        told = [e["payload"] for e in published_envelopes() if e["type"] == "membership.term-ending"]
        assert [(t["term_ends_on"], t["uses_left"]) for t in told] == [("2027-05-31", [{"benefit": "美术课",
                                                                                        "left": 22}])]  # fmt: skip
        from chalicelib.notifications.records import MessageRecord

        (text,) = [m.text for m in MessageRecord.by_member.query(member_id) if m.kind == "membership-term-ending"]
        assert text == "您的美术24课时本期将于2027年5月31日结束，美术课还剩22次，到期后不转入已续的下一期，请尽快使用。"

    def test_a_trial_looked_at_the_night_after_it_began_still_gets_its_reminder_and_lapse(self, aws, api, plan_id,
                                                                                            member):  # fmt: skip
        """A fitness chain's walkthrough: every 7-day trial lost its "ends tomorrow" text and its lapse, because the
        first night looked at it (for an automatic renewal's notice it never had), changed nothing, and left it filed
        under that night, which no later night reads."""
        member_id, client = member
        with clock.frozen(DAY1):
            ok(client.post("/v1/me/cards", {"plan_id": plan_id, "pay_with": "trial"},
                           headers={"Idempotency-Key": "trial-0001"}), 201)  # fmt: skip
        for night in range(0, 13):  # every night, as the scheduler runs it
            day = DAY1.date() + timedelta(days=night)
            with clock.frozen(datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=1)):
                run_job_now(day)
        with clock.frozen(DAY1 + timedelta(days=12)):
            for _ in range(3):
                deliver(aws, "notifications")
        from chalicelib.notifications.records import MessageRecord

        kinds = sorted(m.kind for m in MessageRecord.by_member.query(member_id) if m.kind.startswith("membership"))
        assert kinds == ["membership-card-paid", "membership-expiring", "membership-lapsed"]

    def test_a_class_cards_reminder_says_the_classes_left_unused(self, aws, api, partner, member):
        """Found by a beauty salon's walkthrough: the reminder of a 次卡 ending did not say how many facials were left,
        which is what brings a member back before it ends."""
        member_id, _ = member
        plan = {**GOLD_CARD, "name": "面部护理10次卡", "auto_renew": False,
                "benefits": [{"benefit_id": "facial", "name": "面部护理", "kind": "quota", "quota": 10,
                              "period": "term"}]}  # fmt: skip
        plan_id = ok(api.post("/v1/membership/plans", plan), 201)["plan_id"]
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan_id, "P-1"))
            for n in range(2):
                ok(Staff(api, ["admin"]).post(f"/v1/members/{member_id}/benefits/facial/uses", {"use_id": f"U-{n}"}),
                   201)  # fmt: skip
        week_before = date.fromisoformat(card["valid_until"]) - timedelta(days=7)
        with clock.frozen(datetime.combine(week_before, datetime.min.time(), TZ) + timedelta(hours=1)):
            run_job_now(week_before)
        (reminder,) = [e["payload"] for e in published_envelopes() if e["type"] == "membership.card-expiring"]
        assert reminder["uses_left"] == [{"benefit": "面部护理", "left": 8, "carries": False, "refundable": False}]
        lapse = date.fromisoformat(card["valid_until"]) + timedelta(days=4)  # its grace over: the lapse says the
        # facials left (a fitness chain's walkthrough: it said nothing of 18 refundable visits)
        with clock.frozen(datetime.combine(lapse, datetime.min.time(), TZ) + timedelta(hours=1)):
            run_job_now(lapse)
        (lapsed,) = [e["payload"] for e in published_envelopes() if e["type"] == "membership.card-lapsed"]
        assert lapsed["uses_left"] == [{"benefit": "面部护理", "left": 8, "refundable": False}]


def run_job_now(day):
    from chalicelib.shared.jobs import get_job

    return run_job(get_job("settle-membership-cards"), day)


class TestMemberPages:
    def test_a_plan_sold_at_the_counter_only_is_not_offered_on_the_member_pages(self, api, partner, plan_id, member):
        """An education chain's walkthrough: every pack showed on the member pages with 储值支付."""
        member_id, client = member
        pack = ok(api.post("/v1/membership/plans", {**GOLD_CARD, "name": "舞蹈20次", "self_service": False}), 201)
        assert pack["self_service"] is False
        change = {"content-type": "application/merge-patch+json", "if-match": "*"}
        with clock.frozen(DAY1):
            ok(topped_up(api, partner, member_id, "T-1", 50_000))
            offered = [p["plan_id"] for p in ok(client.get("/v1/me/membership/plans"))["items"]]
            assert (plan_id in offered, pack["plan_id"] in offered) == (True, False)
            before = {name: n for name, n in item_counts().items() if name != "sessions"}  # a token a call
            for pay_with in ("wallet", "trial"):
                buy = {"plan_id": pack["plan_id"], "pay_with": pay_with}
                refused(client.post("/v1/me/cards", buy, headers={"idempotency-key": f"buy-{pay_with}"}), 422,
                        "payment-not-applicable")  # fmt: skip
            assert {name: n for name, n in item_counts().items() if name != "sessions"} == before
            ok(paid(api, partner, member_id, pack["plan_id"], "P-DESK"))  # sold at the desk's till
        opened = ok(api.patch(f"/v1/membership/plans/{pack['plan_id']}", {"self_service": True}, headers=change))
        assert opened["self_service"] is True
        assert pack["plan_id"] in [p["plan_id"] for p in ok(client.get("/v1/me/membership/plans"))["items"]]

    def test_a_card_bought_from_the_wallet_is_refunded_to_the_wallet_when_cancelled(self, aws, api, admin, partner,
                                                                                    plan_id, member):  # fmt: skip
        member_id, client = member
        with clock.frozen(DAY1):
            ok(topped_up(api, partner, member_id, "T-1", 50_000))
            buy = {"plan_id": plan_id, "pay_with": "wallet"}
            bought = ok(client.post("/v1/me/cards", buy, headers={"idempotency-key": "buy-card-1"}), 201)
            again = ok(client.post("/v1/me/cards", buy, headers={"idempotency-key": "buy-card-1"}), 201)
            assert again["duplicate"] is True
            assert again["card_id"] == bought["card_id"]
            assert ok(client.get("/v1/me/wallet"))["principal_fen"] == 50_000 - 29_900
            entries = ok(client.get("/v1/me/wallet/entries"))["items"]
            assert entries[0]["reason"] == "储值支付·会员卡「健身金卡·月卡」"  # the member sees what they paid for
            assert entries[0]["store_id"] is None  # no store: not the statement's scope `membership` (a review)
            refused(client.post("/v1/me/cards", buy, headers={"idempotency-key": "buy-card-2"}), 409,
                    "insufficient-balance")  # fmt: skip
            cancel = {"cancel_id": "C-1", "reason": "不想要了"}
            cancelled = ok(admin.post(f"/v1/members/{member_id}/cards/{bought['card_id']}/cancellation", cancel))
            assert cancelled["refund_fen"] == 29_900 * 30 // 31  # today counts as used
            deliver(aws, "wallet")
            assert ok(client.get("/v1/me/wallet"))["principal_fen"] == 50_000 - 29_900 + cancelled["refund_fen"]
            deliver(aws, "wallet")  # redelivered: nothing more
            assert ok(client.get("/v1/me/wallet"))["principal_fen"] == 50_000 - 29_900 + cancelled["refund_fen"]
            held = refused(admin.call("DELETE", f"/v1/members/{member_id}"), 409, "member-holds-value")
            assert "cancellations" not in held  # the refund landed: only the principal now holds the erasure
            assert held["principal_fen"] == 50_000 - 29_900 + cancelled["refund_fen"]
            back = ok(client.get("/v1/me/wallet/entries"))["items"][0]  # which card it was (a walkthrough)
            assert (back["reason"], back["reason_en"]) == ("储值退款：退卡「健身金卡·月卡」",
                                                           "Wallet refund: card cancelled: 健身金卡·月卡")  # fmt: skip
            online = ok(admin.get("/v1/wallet/statements?store_id=membership"))["principal"]  # no store sold the card
            assert (online["payments_fen"], online["refunds_fen"]) == (29_900, cancelled["refund_fen"])

    def test_a_wallet_purchase_repeated_after_months_of_renewals_answers_what_it_first_answered(
        self, api, partner, plan_id, member
    ):
        """The card lists only its latest payments after a while; a repeat of the first purchase still answers the
        card as that purchase left it (its answer is kept with the wallet payment's claim)."""
        member_id, client = member
        buy = {"plan_id": plan_id, "pay_with": "wallet"}
        with clock.frozen(DAY1):
            ok(topped_up(api, partner, member_id, "T-1", 200_000))
            first = ok(client.post("/v1/me/cards", buy, headers={"idempotency-key": "buy-card-first"}), 201)
        for month in range(1, 5):
            with clock.frozen(datetime(2027, 3 + month, 1, 10, tzinfo=TZ)):
                ok(client.post("/v1/me/cards", buy, headers={"idempotency-key": f"renew-card-{month}"}), 201)
        with clock.frozen(datetime(2027, 7, 2, 10, tzinfo=TZ)):
            [card] = ok(client.get("/v1/me/cards"))["items"]
            assert card["earlier_payments"]["count"] == 2  # the first purchase among them
            again = ok(client.post("/v1/me/cards", buy, headers={"idempotency-key": "buy-card-first"}), 201)
        assert again == {**first, "duplicate": True}
        assert first["valid_until"] == "2027-03-31"

    def test_a_card_s_wallet_refund_for_a_member_erased_meanwhile_is_logged_not_retried_forever(
        self, aws, api, admin, partner, plan_id, member, caplog, monkeypatch
    ):
        """The member spent all their principal on a card, staff cancelled it, and the erasure waits for the refund
        on its way to the wallet (a review: erased first, it found no wallet). Were the member erased all the same
        (the checks passed by), the refund has no wallet to go to, so it is logged for finance, never retried."""
        member_id, client = member
        with clock.frozen(DAY1):
            ok(topped_up(api, partner, member_id, "T-9", 29_900))
            bought = ok(client.post("/v1/me/cards", {"plan_id": plan_id, "pay_with": "wallet"},
                                    headers={"idempotency-key": "buy-card-9"}), 201)  # fmt: skip
            cancel = {"cancel_id": "C-9", "reason": "注销账户"}
            ok(admin.post(f"/v1/members/{member_id}/cards/{bought['card_id']}/cancellation", cancel))
            waiting = refused(admin.call("DELETE", f"/v1/members/{member_id}"), 409, "member-holds-value")
            assert waiting["cancellations"] == ["C-9"]
            monkeypatch.setattr(members_service, "erasure_checks", lambda: [])
            assert admin.call("DELETE", f"/v1/members/{member_id}").status == 204
            deliver(aws, "wallet")  # every message handled: none left to fail again and again
        [logged] = [r for r in caplog.records if "erased" in r.getMessage()]
        assert (logged.member_id, logged.cancel_id) == (member_id, "C-9")

    def test_automatic_renewal_is_announced_and_never_charged_inside_its_notice_window(self, api, partner, plan_id,
                                                                                      member):  # fmt: skip
        member_id, client = member
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan_id, "P-1"))
            switched = ok(client.patch(f"/v1/me/cards/{card['card_id']}", {"auto_renew": True}))
            assert (switched["auto_renew"], switched["renewal_notice_on"]) == (True, "2027-03-25")
        noticed = datetime(2027, 3, 25, 1, tzinfo=TZ)
        with clock.frozen(noticed):
            assert run_job_now(noticed.date()).tallies["renewal-notice"] == 1
            assert ok(client.get("/v1/me/cards"))["items"][0]["charge_not_before"] == "2027-03-30"
        with clock.frozen(noticed + timedelta(days=4)):
            early = paid(api, partner, member_id, plan_id, "AUTO-1", at=noticed + timedelta(days=4), auto_renewal=True)
            refused(early, 409, "card-not-renewable")
        with clock.frozen(noticed + timedelta(days=5)):
            charged = ok(paid(api, partner, member_id, plan_id, "AUTO-2", at=noticed + timedelta(days=5),
                              auto_renewal=True))  # fmt: skip
            assert charged["valid_until"] == "2027-04-30"


class TestPlans:
    def test_a_plan_names_real_tiers_and_templates_and_each_kind_its_fields(self, api):
        bad_tier = {**GOLD_CARD, "benefits": [{"benefit_id": "x", "name": "x", "kind": "tier_floor", "tier": "nope"}]}
        assert refused(api.post("/v1/membership/plans", bad_tier), 422, "validation-failed")["errors"][0]["field"] == (
            "benefits.0.tier")  # fmt: skip
        no_quota = {**GOLD_CARD, "benefits": [{"benefit_id": "x", "name": "x", "kind": "quota"}]}
        refused(api.post("/v1/membership/plans", no_quota), 422, "validation-failed")
        cheaper = {**GOLD_CARD, "benefits": [{"benefit_id": "x", "name": "x", "kind": "discount", "rate": "1.2"}]}
        refused(api.post("/v1/membership/plans", cheaper), 422, "validation-failed")
        assert ok(api.get("/v1/membership/plans"))["items"] == []
        refused(api.as_(token_for(["cashier"])).post("/v1/membership/plans", GOLD_CARD), 403, "forbidden")

    def test_a_card_sold_at_a_till_counts_in_that_stores_figures(self, api, partner, plan_id, member):
        """Found by a walkthrough: a partner's card sale named no store, so no store's figures counted card sales."""
        from chalicelib.stats.rules import store_of

        member_id, _ = member
        with clock.frozen(DAY1):
            refused(paid(api, partner, member_id, plan_id, "P-BJ", store_id="BJ-001"), 403, "forbidden")  # not its own
            ok(paid(api, partner, member_id, plan_id, "P-SH", store_id="SH-001"))
            assert ok(paid(api, partner, member_id, plan_id, "P-SH", store_id="SH-001"))["duplicate"] is True
            refused(paid(api, partner, member_id, plan_id, "P-SH"), 409, "membership-payment-conflict")  # other content
        (sold,) = [e for e in published_envelopes() if e["type"] == "membership.card-paid"]
        assert store_of(sold["type"], sold["payload"]) == "SH-001"

    def test_the_liability_owes_the_days_cards_paid_for_and_not_given(self, api, aws, admin, partner, plan_id, member):
        """An education chain's walkthrough: the liability left out prepaid cards and packs. A card's payments are
        owed over their days (a renewal paid ahead whole), a lifetime card apart, a cancelled card not at all."""
        member_id, _ = member
        other, _ = member_token("13900000002")
        lifetime = ok(
            api.post(
                "/v1/membership/plans",
                {**GOLD_CARD, "name": "终身卡", "term": "lifetime", "price_fen": 88_000, "refund": {"kind": "none"},
                 "auto_renew": False},
            ),
            201,
        )  # fmt: skip
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan_id, "P-1"))  # March, its 31 days
            ok(paid(api, partner, member_id, plan_id, "P-2"))  # April, ahead
            ok(paid(api, partner, other, plan_id, "P-3"))
            ok(paid(api, partner, other, lifetime["plan_id"], "P-4", amount=88_000))
        later = DAY1 + timedelta(days=10)  # 11 March: ten days of March given, none of April
        with clock.frozen(later):
            [gone] = ok(admin.get(f"/v1/members/{other}/cards"))["items"][:1]
            ok(admin.post(f"/v1/members/{other}/cards/{gone['card_id']}/cancellation", {"cancel_id": "C-9",
                                                                                       "reason": "搬家"}))  # fmt: skip
            ok(paid(api, partner, other, plan_id, "P-5", at=later))  # bought again: 11 March to 10 April
            deliver(aws, "statistics", times=2)
            owed = ok(admin.get(f"/v1/reports/liability?as_of={later.date()}"))
            before = ok(admin.get(f"/v1/reports/liability?as_of={(later - timedelta(days=1)).date()}"))["cards"]
        assert owed["cards"] == {"unearned_fen": round(29_900 * 20 / 31 + 29_900 + 29_900 * 30 / 31),
                                 "undated_fen": 88_000}  # fmt: skip
        # a past day (a review: a year-end close run in January counted January's sales): what was owed then, the
        # card cancelled since still owed, the one bought since not yet
        assert before == {"unearned_fen": round(2 * 29_900 * 21 / 31 + 29_900), "undated_fen": 88_000}
        with clock.frozen(datetime(2027, 3, 31, 23, tzinfo=TZ)):
            ahead = ok(admin.get(f"/v1/reports/liability?as_of={date(2027, 3, 31)}"))["cards"]
            assert ok(admin.get(f"/v1/reports/liability?as_of={date(2026, 12, 1)}"))["cards"] is None  # too far back
        assert ahead["unearned_fen"] == round(29_900 + 29_900 * 10 / 31)  # March given, April not begun

    def test_a_pack_refunded_by_its_uses_is_owed_by_them_whatever_the_days_until_it_is_cancelled(
        self, api, aws, admin, partner, member
    ):
        """A fitness chain's walkthrough: a 20-visit pass was owed by its days (about ¥989 where its quote said ¥1,080)
        and, lapsed, owed ¥0 while ¥1,080 could still be refunded. A pack refunded by what was not used is owed by its
        uses: its price, less each use at its value (given back when the use is), until it is cancelled."""
        member_id, _ = member
        pack = {**GOLD_CARD, "name": "20次卡", "term": {"days": 90}, "price_fen": 120_000, "auto_renew": False,
                "trial_days": 0, "refund": {"kind": "unused"},
                "benefits": [{"benefit_id": "visit", "name": "入场", "kind": "quota", "quota": 20, "period": "term",
                              "value_fen": 6_000}]}  # fmt: skip
        plan = ok(api.post("/v1/membership/plans", pack), 201)
        desk = Staff(api, ["cashier"], stores=("SH-001",))
        uses = f"/v1/members/{member_id}/benefits/visit/uses"

        def owed(day):
            deliver(aws, "statistics", times=2)  # a redelivery moves nothing twice
            with clock.frozen(datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=12)):
                return ok(admin.get(f"/v1/reports/liability?as_of={day}"))["cards"]

        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan["plan_id"], "P-1", amount=120_000))
            for n in range(3):
                ok(desk.post(uses, {"use_id": f"V-{n}", "store_id": "SH-001"}), 201)
            ok(desk.call("DELETE", f"{uses}/V-2"))  # recorded by mistake: given back
        assert owed(DAY1.date()) == {"unearned_fen": 0, "undated_fen": 120_000 - 2 * 6_000}
        lapsed = DAY1.date() + timedelta(days=100)  # past its days and grace: still the member's money
        with clock.frozen(datetime.combine(lapsed, datetime.min.time(), TZ) + timedelta(hours=12)):
            cancellation = f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation"
            quote = ok(admin.get(f"{cancellation}-quote"))
        assert quote["refund_fen"] == owed(lapsed)["undated_fen"] == 108_000
        with clock.frozen(datetime.combine(lapsed, datetime.min.time(), TZ) + timedelta(hours=13)):
            ok(admin.post(cancellation, {"cancel_id": "C-1", "reason": "搬家"}))
        assert owed(lapsed) == {"unearned_fen": 0, "undated_fen": 0}

    def test_a_card_paid_a_year_ahead_week_by_week_is_cancelled_within_one_transaction(self, api, aws, admin, partner,
                                                                                        member):  # fmt: skip
        """A review: 48 weekly payments ahead, cancelled, gave the statistics consumer 101 items: it failed for good."""
        member_id, _ = member
        weekly = ok(api.post("/v1/membership/plans", {**GOLD_CARD, "name": "周卡", "term": {"days": 7},
                                                        "price_fen": 7_000}), 201)  # fmt: skip
        with clock.frozen(DAY1):
            for n in range(50):
                ok(paid(api, partner, member_id, weekly["plan_id"], f"W-{n}", amount=7_000))
            deliver(aws, "statistics")
            owed = ok(admin.get(f"/v1/reports/liability?as_of={DAY1.date()}"))["cards"]["unearned_fen"]
            assert owed == round(7_000 * 6 / 7 + 49 * 7_000)
            [card] = ok(admin.get(f"/v1/members/{member_id}/cards"))["items"]
            ok(admin.post(f"/v1/members/{member_id}/cards/{card['card_id']}/cancellation",
                          {"cancel_id": "C-W", "reason": "搬家", "refund": "none"}))  # fmt: skip
            deliver(aws, "statistics")
            assert ok(admin.get(f"/v1/reports/liability?as_of={DAY1.date()}"))["cards"]["unearned_fen"] == 0

    def test_a_change_never_undoes_another_made_elsewhere_a_moment_before(self, api, plan_id):
        """Found by a review: a change read the plan from a cache up to 30 s old and wrote it whole, so renaming a plan
        in one process put back on sale the plan another had just taken off."""
        from chalicelib.membership import plans
        from chalicelib.membership.records import PLANS_SCOPE, MembershipPlanRecord

        assert plans.document(plan_id)["on_sale"] is True  # this process caches it on sale
        stored = MembershipPlanRecord.find(PLANS_SCOPE, plan_id)
        stored.document = json.dumps({**json.loads(stored.document), "on_sale": False}, ensure_ascii=False)
        stored.save()  # another process takes it off sale
        renamed = ok(api.patch(f"/v1/membership/plans/{plan_id}", {"name": "金卡（新）"},
                               headers={"content-type": "application/merge-patch+json"}))  # fmt: skip
        assert (renamed["name"], renamed["on_sale"]) == ("金卡（新）", False)
        assert ok(api.get(f"/v1/membership/plans/{plan_id}"))["on_sale"] is False
        nameless = api.patch(f"/v1/membership/plans/{plan_id}", {"name": None},
                             headers={"content-type": "application/merge-patch+json"})  # fmt: skip
        assert refused(nameless, 422, "validation-failed")["errors"][0]["field"] == "name"  # (it answered 200)

    def test_a_plan_off_sale_renews_the_cards_it_sold_but_sells_no_new_ones(self, api, partner, plan_id, member):
        member_id, _ = member
        other, _ = member_token("13900000002")
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan_id, "P-1"))
        ok(api.patch(f"/v1/membership/plans/{plan_id}", {"on_sale": False},
                     headers={"content-type": "application/merge-patch+json"}))  # fmt: skip
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan_id, "P-2"))
            refused(paid(api, partner, other, plan_id, "P-3"), 422, "payment-not-applicable")

    def test_a_card_cancelled_with_money_back_takes_back_its_packs_unused_coupons(
        self, aws, api, admin, partner, member
    ):
        member_id, client = member
        pack = pack_plan(api)
        cards = []
        for n in (1, 2):  # one cancelled with money back, one without
            plan = ok(api.post("/v1/membership/plans", {**pack, "name": f"{pack['name']}{n}"}), 201)["plan_id"]
            with clock.frozen(DAY1):
                cards.append(ok(paid(api, partner, member_id, plan, f"P-{n}"))["card_id"])
        day2 = DAY1 + timedelta(days=1)
        with clock.frozen(day2):
            run_job_now(day2.date())
            deliver(aws, "coupons")
            assert len(ok(client.get("/v1/me/coupons?status=available"))["items"]) == 4
            cancel = f"/v1/members/{member_id}/cards/{{}}/cancellation"
            back = ok(admin.post(cancel.format(cards[0]), {"cancel_id": "C-1", "reason": "退卡"}))
            kept = ok(admin.post(cancel.format(cards[1]), {"cancel_id": "C-2", "reason": "退卡", "refund": "none"}))
            assert back["refund_fen"] > 0
            assert kept["refund_fen"] == 0
            deliver(aws, "coupons", times=2)  # a redelivery voids nothing more
            mine = ok(client.get("/v1/me/coupons"))["items"]
        assert sorted(c["status"] for c in mine) == ["available", "available", "voided", "voided"]
        assert {c["source_kind"] for c in mine} == {"membership-pack"}

    def test_a_used_coupon_of_a_pack_the_cancellation_takes_back_is_kept_back_from_the_refund(
        self, aws, api, admin, partner, member
    ):
        """Found by a probe: buy, use the month's pack, cancel for a pro-rata refund, buy again: each round turned a
        day's price into the pack's value. A pack the refund pays back cannot be voided once used: its discount is
        kept back instead, whatever the plan says of other benefits."""
        member_id, client = member
        cards, packs = [], []
        for n in (1, 2):  # the same terms, one pack used and one not
            packs.append(pack_plan(api))
            plan = ok(api.post("/v1/membership/plans", {**packs[-1], "name": f"券包卡{n}"}), 201)["plan_id"]
            with clock.frozen(DAY1):
                cards.append(ok(paid(api, partner, member_id, plan, f"P-{n}"))["card_id"])
        day2 = DAY1 + timedelta(days=1)
        with clock.frozen(day2):
            run_job_now(day2.date())
            deliver(aws, "coupons")
            first_template = packs[0]["benefits"][0]["template_id"]
            (code, _) = sorted(c["code"] for c in ok(client.get("/v1/me/coupons?status=available"))["items"]
                               if c["template_id"] == first_template)  # fmt: skip
            order = {"store_id": "SH-001", "total_fen": 5_000}
            used = ok(admin.post(f"/v1/coupons/{code}/redemptions", {"order_id": "ORD-1", "order": order}), 201)
            assert used["discount_fen"] == 1_000
            cancel = f"/v1/members/{member_id}/cards/{{}}/cancellation"
            with_use = ok(admin.post(cancel.format(cards[0]), {"cancel_id": "C-1", "reason": "退卡"}))
            without = ok(admin.post(cancel.format(cards[1]), {"cancel_id": "C-2", "reason": "退卡"}))
        assert with_use["refund_fen"] == without["refund_fen"] - 1_000
        assert "扣除已使用券包优惠10.00元" in with_use["explanation"]

    def test_a_card_bought_again_after_a_refunded_cancellation_gets_the_periods_pack_afresh(
        self, aws, api, admin, partner, member
    ):
        """The cancellation voided the pack it refunded; the new cycle pays in full for the same month, so it is
        given its own pack (the taken-back one stays void)."""
        member_id, client = member
        plan = ok(api.post("/v1/membership/plans", pack_plan(api)), 201)["plan_id"]
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan, "P-1"))["card_id"]
        day2 = DAY1 + timedelta(days=1)
        with clock.frozen(day2):
            run_job_now(day2.date())
            deliver(aws, "coupons")
            cancel = {"cancel_id": "C-1", "reason": "退卡"}
            assert ok(admin.post(f"/v1/members/{member_id}/cards/{card}/cancellation", cancel))["refund_fen"] > 0
            deliver(aws, "coupons")
            assert ok(paid(api, partner, member_id, plan, "P-2"))["card_id"] == card  # the same card, a new cycle
            run_job_now(day2.date())
            deliver(aws, "coupons", times=2)
            mine = ok(client.get("/v1/me/coupons"))["items"]
        assert sorted(c["status"] for c in mine) == ["available", "available", "voided", "voided"]

    def test_a_pack_whose_issue_arrives_after_its_cards_cancellation_is_not_issued(
        self, aws, api, admin, partner, member
    ):
        from chalicelib.coupons.listeners import void_cancelled_card_packs
        from chalicelib.shared.db import Transaction
        from chalicelib.shared.events import Event

        member_id, client = member
        pack = pack_plan(api)
        plan = ok(api.post("/v1/membership/plans", pack), 201)["plan_id"]
        with clock.frozen(DAY1):
            card = ok(paid(api, partner, member_id, plan, "P-1"))["card_id"]
        day2 = DAY1 + timedelta(days=1)
        with clock.frozen(day2):
            run_job_now(day2.date())  # the pack is due: its event waits on the queue
            cancel = {"cancel_id": "C-1", "reason": "退卡"}
            assert ok(admin.post(f"/v1/members/{member_id}/cards/{card}/cancellation", cancel))["refund_fen"] > 0
            (cancelled,) = [Event(**e) for e in published_envelopes()
                            if e["type"] == "membership.card-cancelled"]  # fmt: skip
            tx = Transaction()
            void_cancelled_card_packs(tx, cancelled)  # the cancellation's delivery comes first
            tx.commit()
            deliver(aws, "coupons", times=2)  # then the pack's (and the cancellation's again)
            assert ok(client.get("/v1/me/coupons"))["items"] == []

    def test_a_monthly_coupon_pack_is_issued_once_a_period(self, aws, api, partner, member):
        member_id, client = member
        pack = pack_plan(api)
        plan = ok(api.post("/v1/membership/plans", pack), 201)["plan_id"]
        with clock.frozen(DAY1):
            ok(paid(api, partner, member_id, plan, "P-1"))
        for day in (DAY1, DAY1 + timedelta(days=1)):
            with clock.frozen(day):
                run_job_now(day.date())
        with clock.frozen(DAY1 + timedelta(days=1)):
            deliver(aws, "coupons")
            deliver(aws, "coupons")
            coupons = ok(client.get("/v1/me/coupons"))["items"]
        assert len(coupons) == 2


def test_a_cards_floor_is_the_tier_the_mall_prices_and_the_rules_page_names(api, partner, plan_id, member):
    """A new user's walkthrough: a silver member whose 金卡 gives gold benefits saw silver's 会员价 and 白银会员 ×1.2 on
    积分规则, while their purchases earned as the card made them. The tier whose benefits they have prices the mall, and
    the rules page says the multiplier their purchases earn with."""
    member_id, client = member
    reward = {"name": "会员价雨伞", "kind": "goods", "points": 400, "stock": 5, "fulfilment": "pickup",
              "tier_points": {"silver": 300, "gold": 250}}  # fmt: skip
    made = ok(api.post("/v1/mall/rewards", reward), 201)
    kept = ok(api.post("/v1/mall/rewards", {**reward, "name": "黄金专享", "tiers": ["gold"], "tier_points": {}}), 201)
    with clock.frozen(DAY1):
        ok(paid(api, partner, member_id, plan_id, "P-1"))
        listed = ok(client.get("/v1/me/mall/rewards"))["items"]
        (shown,) = [r for r in listed if r["reward_id"] == made["reward_id"]]
        assert (shown["points"], shown["regular_points"]) == (250, 400)  # gold's, by the card
        assert kept["reward_id"] not in {r["reward_id"] for r in listed}  # kept for gold: their own tier decides, as
        # a coupon's tiers do (a review: a card-lifted member bought a gold coupon the till then refused)
        said = ok(client.get("/v1/me/points/rules"))
    assert "您是黄金会员，消费积分×2" in said["lines"]  # the card's multiplier, as its purchases earn


def test_one_scan_uses_a_benefit_a_coupon_and_pays_from_stored_value_in_either_order(api, partner, plan_id, member):
    """A salon's walkthrough read a stored-value payment refused (member-code-used) after a benefit or a coupon went on
    the same scan. One scan records a benefit's use, uses a coupon and pays once, whichever comes first."""
    from tests.functional.test_coupons import issue, template, top_up

    member_id, _ = member
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    with clock.frozen(DAY1):
        ok(paid(api, partner, member_id, plan_id, "P-1"))
    top_up(api, partner, member_id, "TU-1")
    coupons = [issue(api, template(api)["template_id"], member_id, f"S-{n}").body["code"] for n in range(2)]
    start = clock.now()

    def visit(n: int, order: str, steps: tuple[str, ...]) -> None:
        with clock.frozen(start + timedelta(minutes=5 * n)):  # each visit its own scan
            code = members_service.member_code(member_id).code
            calls = {
                "benefit": (f"/v1/members/{member_id}/benefits/car-wash/uses",
                            {"use_id": f"W-{n}", "store_id": "SH-001", "member_code": code}, {}),
                "coupon": (f"/v1/coupons/{coupons[n]}/redemptions", {"order_id": order, "member_code": code,
                           "order": {"store_id": "SH-001", "total_fen": 25000}}, {}),
                "pay": (f"/v1/members/{member_id}/wallet/payments",
                        {"store_id": "SH-001", "amount_fen": 1000, "order_id": order, "member_code": code},
                        {"Idempotency-Key": f"pay-key-{order}"}),
            }  # fmt: skip
            for step in steps:
                path, body, headers = calls[step]
                answer = cashier.post(path, body, headers=headers)
                assert answer.status == 201, (order, step, answer.body)

    visit(0, "POS-A", ("benefit", "coupon", "pay"))
    visit(1, "POS-B", ("pay", "coupon", "benefit"))
