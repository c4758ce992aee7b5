"""Coupons (优惠券) through the API: templates, issuing once per source, members' claims within stock and limit,
the till's eligibility with reasons, reservation, redemption once per code, reversal, expiry, voiding, gifts and
the liability."""

import concurrent.futures
import json
import threading
from datetime import timedelta

import pytest

from chalicelib.coupons.records import CouponRecord
from chalicelib.ledger.jobs import reconcile
from chalicelib.ledger.registry import ledger
from chalicelib.shared import clock
from tests.conftest import deliver, item_counts, member_token, published_envelopes, signed_headers, token_for
from tests.functional.test_wallet import another_code

TEMPLATE = {"name": "满200减30", "kind": "threshold", "threshold_fen": 20000, "amount_off_fen": 3000,
            "validity": {"days_after_issue": 30}}  # fmt: skip
ORDER = {"store_id": "SH-001", "total_fen": 25000}
MERGE_PATCH = {"content-type": "application/merge-patch+json"}


@pytest.fixture
def member_and_token(api, partner):
    return member_token("13900000001")


@pytest.fixture
def member(member_and_token):
    return member_and_token[0]


def template(api, **changes):
    created = api.post("/v1/coupons/templates", {**TEMPLATE, **changes})
    assert created.status == 201, created.body
    return created.body


def issue(api, template_id, member_id, source_id="S-1"):
    return api.post(f"/v1/coupons/templates/{template_id}/issues", {"member_id": member_id, "source_id": source_id})


def redeem(api, code, order_id="O-1", order=ORDER, member_code=None):
    """Use ``code`` on an order; a cashier shows the member is there with ``member_code`` (their pages' code)."""
    body = {"order_id": order_id, "order": order, **({"member_code": member_code} if member_code else {})}
    return api.post(f"/v1/coupons/{code}/redemptions", body)


def shown(member_id):
    """The code the member's pages show now, as a cashier scans it."""
    from chalicelib.members import service as members

    return members.member_code(member_id).code


def top_up(api, partner, member_id, payment_id, amount_fen=50_000):
    """A partner's top-up of the member's stored value (储值), signed as the webhook takes it."""
    body = {"payment_id": payment_id, "member": {"member_id": member_id}, "store_id": "SH-001",
            "occurred_at": clock.now().isoformat(), "amount_fen": amount_fen}  # fmt: skip
    raw = json.dumps(body).encode()
    answer = api.as_(None).call("POST", "/v1/webhooks/wallet/top-ups", raw=raw, headers=signed_headers(*partner, raw))
    assert answer.status == 200, answer.body


def cash_out(api, member_id):
    """Finance pays the member's stored value back in cash (退余额); the cash refund's answer."""
    paid_out = api.as_(token_for(["finance"])).call(
        "POST", f"/v1/members/{member_id}/wallet/cash-refunds", {"store_id": "SH-001", "reason": "退余额"},
        headers={"Idempotency-Key": "cash-refund-1"},
    )  # fmt: skip
    assert paid_out.status == 201, paid_out.body
    return paid_out.body


def coupon_entries_add_up(code):
    """The coupon's book: its balance (1 usable, 0 not) is the sum of its entries, and reconciliation agrees."""
    holder = f"coupon:{code}"
    assert reconcile(holder) == {}
    entries = ledger().store.entries_between(holder, "coupon", 1, 100)
    assert ledger().balance(holder, "coupon") == sum(e.amount for e in entries)
    return [e.kind for e in entries]


def test_a_template_states_its_rules_in_words_and_its_stock_is_spread_over_shards(api):
    created = template(api, stock=1000, per_member_limit=2, weekdays=[6, 7], applies_to={"stores": ["SH-001"]})
    assert created["rules"] == "满200减30 · 限周六、周日 · 限门店 SH-001 · 不可与其他券叠加"
    assert (created["stock"], created["stock_left"], created["status"]) == (1000, 1000, "issuing")
    english = api.get(f"/v1/coupons/templates/{created['template_id']}", headers={"accept-language": "en"})
    assert english.body["rules"].startswith("¥30 off orders of ¥200 or more")
    assert english.headers["etag"] == '"1"'
    shards = [ledger().balance(f"coupon-stock:{created['template_id']}:{n}", "coupon-stock") for n in range(16)]
    assert sum(shards) == 1000
    assert max(shards) - min(shards) <= 1  # 1000 over 16 shards, evenly


def test_creating_a_template_with_an_idempotency_key_makes_it_once(api):
    headers = {"idempotency-key": "create-template-1"}
    first = api.post("/v1/coupons/templates", {**TEMPLATE, "stock": 10}, headers=headers)
    again = api.post("/v1/coupons/templates", {**TEMPLATE, "stock": 10}, headers=headers)
    assert (first.status, again.status) == (201, 201)
    assert again.body["template_id"] == first.body["template_id"]
    assert again.body["stock_left"] == 10  # the stock was posted once
    assert len(api.get("/v1/coupons/templates").body["items"]) == 1
    other = api.post("/v1/coupons/templates", {**TEMPLATE, "stock": 11}, headers=headers)
    assert other.body["type"].endswith("/idempotency-key-reused")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "threshold", "amount_off_fen": 30000}, "the amount off must be less than the threshold"),
        ({"kind": "percent_off", "percent_off": 20, "threshold_fen": None, "amount_off_fen": None,
          "cap_fen": 100, "exchange_sku": "X"}, "takes no exchange_sku"),
        ({"kind": "threshold", "exchange_name": "奶茶"}, "takes no exchange_name"),
        ({"code": {"length": 6, "charset": "0123456789"}}, "40 bits"),
        ({"validity": {"from": "2026-12-10", "until": "2026-12-01"}}, "until is before from"),
    ],
)  # fmt: skip
def test_a_template_that_makes_no_sense_is_refused_and_nothing_is_written(api, changes, field):
    before = item_counts()
    refused = api.post("/v1/coupons/templates", {k: v for k, v in {**TEMPLATE, **changes}.items() if v is not None})
    assert refused.status == 422
    assert field in json.dumps(refused.body, ensure_ascii=False)
    assert item_counts() == before


def test_issuing_is_once_per_source_and_takes_stock_once(api, member):
    created = template(api, stock=5)
    first = issue(api, created["template_id"], member)
    assert first.status == 201
    assert first.body["status"] == "available"
    again = issue(api, created["template_id"], member)
    assert (again.body["code"], again.body["duplicate"]) == (first.body["code"], True)
    other = member_token("13900000002")[0]
    assert issue(api, created["template_id"], other).body["type"].endswith("/issue-conflict")
    assert api.get(f"/v1/coupons/templates/{created['template_id']}").body["stock_left"] == 4
    assert coupon_entries_add_up(first.body["code"]) == ["issue"]
    listed = api.get(f"/v1/members/{member}/coupons").body["items"]
    assert [c["code"] for c in listed] == [first.body["code"]]


def test_members_claim_within_the_stock_and_their_limit(api, member_and_token):
    created = template(api, stock=2, per_member_limit=1, claimable=True)
    _, token = member_and_token
    me = api.as_(token)
    assert [t["template_id"] for t in me.get("/v1/me/coupons/claimable").body["items"]] == [created["template_id"]]
    claimed = me.post("/v1/me/coupons/claims", {"template_id": created["template_id"]})
    assert claimed.status == 201
    again = me.post("/v1/me/coupons/claims", {"template_id": created["template_id"]})
    assert (again.status, again.body["type"].rsplit("/", 1)[1]) == (409, "limit-reached")
    _, second = member_token("13900000002")
    assert api.as_(second).post("/v1/me/coupons/claims", {"template_id": created["template_id"]}).status == 201
    _, third = member_token("13900000003")
    empty = api.as_(third).post("/v1/me/coupons/claims", {"template_id": created["template_id"]})
    assert (empty.status, empty.body["type"].rsplit("/", 1)[1]) == (409, "out-of-stock")
    listed = me.get("/v1/me/coupons/claimable").body["items"][0]
    assert (listed["claimed_by_me"], listed["may_claim"], listed["stock_left"]) == (1, False, 0)
    mine = me.get("/v1/me/coupons?status=available").body["items"]
    assert [c["code"] for c in mine] == [claimed.body["code"]]
    assert mine[0]["rules"].startswith("满200减30")


def test_a_coupon_for_some_tiers_is_offered_to_and_claimed_by_their_members_only(aws, api, partner):
    """Found by a member's walkthrough: a silver member claimed 钻石专享 (stock gone) that the till then refused; its
    rules read "限等级 diamond"."""
    assert (
        api.post("/v1/stores", {"store_id": "SH-009", "name": "静安店", "city": "上海", "region": "华东"}).status == 201
    )
    created = template(api, name="钻石专享", claimable=True, applies_to={"tiers": ["diamond"], "stores": ["SH-009"]})
    assert created["rules"] == "满200减30 · 限门店 静安店 · 限等级 钻石会员 · 不可与其他券叠加"
    member_id, token = member_token("13900000021")
    me = api.as_(token)
    assert me.get("/v1/me/coupons/claimable").body["items"] == []
    before = item_counts()
    refused = me.post("/v1/me/coupons/claims", {"template_id": created["template_id"]})
    assert (refused.status, refused.body["type"].rsplit("/", 1)[1]) == (409, "tier-not-applicable")
    assert item_counts() == before
    pin = {"kind": "pin", "tier": "diamond", "until": "2027-03-31", "reason": "员工等级"}
    assert api.call("PUT", f"/v1/members/{member_id}/tier/override", pin).status == 200
    deliver(aws, "points")  # the member's tier, as the till reads it too
    assert [t["name"] for t in me.get("/v1/me/coupons/claimable").body["items"]] == ["钻石专享"]
    assert me.post("/v1/me/coupons/claims", {"template_id": created["template_id"]}).status == 201


def test_the_claim_centre_leaves_out_a_template_whose_coupons_last_day_has_passed(api, member_and_token):
    """Found by a probe: such a template was offered (may_claim true), then refused with "is issuing; it issues no
    coupons"; and one could be created with its window already over."""
    today = clock.business_today().isoformat()
    created = template(api, claimable=True, validity={"from": today, "until": today})
    over = api.post("/v1/coupons/templates", {**TEMPLATE, "validity": {"from": "2020-01-01", "until": "2020-01-31"}})
    assert (over.status, over.body["errors"][0]["field"]) == (422, "validity.until")
    with clock.frozen(clock.now() + timedelta(days=1)):
        _, token = member_token("13900000005")
        me = api.as_(token)
        assert me.get("/v1/me/coupons/claimable").body["items"] == []
        refused = me.post("/v1/me/coupons/claims", {"template_id": created["template_id"]})
    assert (refused.status, refused.body["detail"]) == (
        409, f"Template {created['template_id']} issues no coupons: its coupons' last day has passed")  # fmt: skip


def test_the_claim_centre_pages_are_full_until_the_last_past_templates_whose_last_day_has_passed(api, partner):
    today = clock.business_today().isoformat()
    later = (clock.business_today() + timedelta(days=30)).isoformat()
    lasting = [
        template(api, name=f"长期{n}", claimable=True, validity={"from": today, "until": later}) for n in range(2)
    ]
    for n in range(3):  # newer, so listed first: each page of two would hold none of them tomorrow
        template(api, name=f"今日{n}", claimable=True, validity={"from": today, "until": today})
    with clock.frozen(clock.now() + timedelta(days=1)):
        me = api.as_(member_token("13900000006")[1])
        first = me.get("/v1/me/coupons/claimable?limit=2").body
    assert [t["template_id"] for t in first["items"]] == [t["template_id"] for t in reversed(lasting)]


def test_a_template_not_open_to_claims_cannot_be_claimed(api, member_and_token):
    created = template(api)
    _, token = member_and_token
    refused = api.as_(token).post("/v1/me/coupons/claims", {"template_id": created["template_id"]})
    assert (refused.status, refused.body["type"].rsplit("/", 1)[1]) == (422, "template-not-claimable")


def test_a_frozen_members_coupons_wait_like_their_points_and_stored_value(api, member):
    """Found by a probe: a frozen member's coupons stayed usable while their points and stored value were refused."""
    code = issue(api, template(api)["template_id"], member).body["code"]
    etag = api.get(f"/v1/members/{member}").headers["etag"]
    ok_freeze = api.patch(f"/v1/members/{member}", {"status": "frozen"}, headers={**MERGE_PATCH, "if-match": etag})
    assert ok_freeze.status == 200
    found = api.post("/v1/coupons/eligibility", {"member_id": member, "order": ORDER}).body
    assert (found["usable"], [c["reason"] for c in found["unusable"]]) == ([], ["member-frozen"])
    refused = redeem(api, code)
    assert (refused.status, refused.body["reason"]) == (409, "member-frozen")
    assert api.get(f"/v1/coupons/{code}").body["coupon"]["status"] == "available"


def test_the_till_sees_usable_coupons_with_their_discount_and_the_others_with_their_reason(api, member):
    threshold = template(api)
    percent = template(api, name="8折", kind="percent_off", percent_off=20, cap_fen=2000, threshold_fen=None,
                       amount_off_fen=None)  # fmt: skip
    elsewhere = template(api, name="北京专享", applies_to={"stores": ["BJ-001"]})
    shoes = template(api, name="鞋类满减", applies_to={"categories": ["shoes"]})
    codes = {t["name"]: issue(api, t["template_id"], member, f"S-{n}").body["code"]
             for n, t in enumerate((threshold, percent, elsewhere, shoes))}  # fmt: skip
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))  # at their own till: a member joined online is served too
    order = {
        **ORDER,
        "items": [{"line_id": "1", "sku": "T1", "name": "牛津纺衬衫", "category": "shirts", "amount_fen": 25000}],
    }  # the purchase's own line (a walkthrough: line_id was 422)
    found = cashier.post("/v1/coupons/eligibility", {"member_id": member, "order": order}).body
    assert [(c["code"], c["discount_fen"]) for c in found["usable"]] == [
        (codes["满200减30"], 3000),
        (codes["8折"], 2000),
    ]  # the best first; 20 % of 250 is capped at 20
    reasons = {c["code"]: c["reason"] for c in found["unusable"]}
    assert reasons == {codes["北京专享"]: "store-not-applicable", codes["鞋类满减"]: "no-applicable-items"}
    small = cashier.post("/v1/coupons/eligibility", {"member_id": member, "order": {**ORDER, "total_fen": 15000}})
    assert {c["code"]: c["reason"] for c in small.body["unusable"]}[codes["满200减30"]] == "below-minimum-spend"
    elsewhere = api.as_(token_for(["cashier"], ("BJ-001",))).post(  # not their till: its figures are another's
        f"/v1/coupons/{codes['8折']}/redemptions", {"order_id": "O-BJ", "order": ORDER}
    )
    assert elsewhere.status == 422
    assert elsewhere.body["errors"][0] == {"field": "order.store_id", "in": "body", "message": "not one of your stores"}


def test_a_coupon_that_excludes_gift_cards_and_sale_items_counts_only_the_other_lines(api, member):
    """不适用品类/商品: a ¥200 gift card on the order does not reach 满200, nor does a sale item; the rules say so."""
    created = template(api, applies_to={"excluded_categories": ["gift-card"], "excluded_skus": ["SALE-TEE"]})
    assert created["rules"] == "满200减30 · 不适用品类 gift-card · 不适用商品 SALE-TEE · 不可与其他券叠加"
    code = issue(api, created["template_id"], member).body["code"]
    lines = [{"sku": "GC-200", "category": "gift-card", "amount_fen": 20000},
             {"sku": "SALE-TEE", "category": "shirts", "amount_fen": 5000},
             {"sku": "JK-1", "category": "jackets", "amount_fen": 15000}]  # fmt: skip
    order = {"store_id": "SH-001", "total_fen": 40000, "items": lines}
    found = api.post("/v1/coupons/eligibility", {"member_id": member, "order": order}).body
    assert [(c["code"], c["reason"]) for c in found["unusable"]] == [(code, "below-minimum-spend")]
    order["items"][2]["amount_fen"] = 20000
    order["total_fen"] = 45000
    found = api.post("/v1/coupons/eligibility", {"member_id": member, "order": order}).body
    assert [(c["code"], c["discount_fen"]) for c in found["usable"]] == [(code, 3000)]
    without_lines = api.post("/v1/coupons/eligibility", {"member_id": member, "order": ORDER}).body
    assert [c["reason"] for c in without_lines["unusable"]] == ["items-needed"]  # a total could hide one
    before = item_counts()
    both = api.post("/v1/coupons/templates", {**TEMPLATE, "applies_to": {"categories": ["a", "b"],
                                                                          "excluded_categories": ["b"]}})  # fmt: skip
    assert (both.status, both.body["errors"][0]["message"]) == (422, "categories both included and excluded: b")
    tea = {"name": "奶茶兑换", "kind": "exchange", "exchange_sku": "TEA", "validity": {"days_after_issue": 7},
           "applies_to": {"excluded_skus": ["TEA"]}}  # fmt: skip
    refused = api.post("/v1/coupons/templates", tea)
    assert (refused.status, refused.body["errors"][0]["message"]) == (
        422, "an exchange coupon cannot exclude the SKU it gives"
    )  # fmt: skip
    assert item_counts() == before


def test_a_category_given_by_the_name_members_read_is_kept_by_its_code(api, member, monkeypatch):
    """A new user's walkthrough: 礼品卡 typed in the console's 不适用品类, where order lines say gift-card, let a gift
    card reach the threshold. A name LOYALTY_CATEGORY_NAMES gives is kept as its code; the rules still say the name.
    Brands likewise, by LOYALTY_BRAND_NAMES."""
    from chalicelib.shared.settings import get_settings

    monkeypatch.setenv("LOYALTY_CATEGORY_NAMES", '{"gift-card": "礼品卡"}')
    monkeypatch.setenv("LOYALTY_BRAND_NAMES", '{"b-lor": "欧莱雅"}')
    get_settings.cache_clear()
    try:
        made = template(api, applies_to={"excluded_categories": ["礼品卡"], "excluded_brands": ["欧莱雅", "b-x"]})
        assert (made["applies_to"]["excluded_categories"], made["applies_to"]["excluded_brands"]) == (
            ["gift-card"], ["b-lor", "b-x"]
        )  # fmt: skip
        assert "不适用品类 礼品卡" in made["rules"]
        assert "不适用品牌 欧莱雅、b-x" in made["rules"]
        code = issue(api, made["template_id"], member).body["code"]
        lines = [{"sku": "T", "category": "tops", "amount_fen": 5000}, {"sku": "G", "category": "gift-card",
                                                                       "amount_fen": 20000}]  # fmt: skip
        found = api.post("/v1/coupons/eligibility", {"member_id": member, "order": {
            "store_id": "SH-001", "total_fen": 25000, "items": lines}}).body  # fmt: skip
        assert [(c["code"], c["reason"]) for c in found["unusable"]] == [(code, "below-minimum-spend")]
    finally:
        monkeypatch.delenv("LOYALTY_CATEGORY_NAMES")
        monkeypatch.delenv("LOYALTY_BRAND_NAMES")
        get_settings.cache_clear()


def test_stacked_coupons_for_the_same_items_never_take_more_than_those_items_cost(api, member):
    """A review: two stacking coupons that exclude gift cards, ¥80 and ¥50 off, on ¥100 of tops and a ¥100 gift card,
    took ¥130 off ¥100 of tops (¥30 of it off the gift card); one for every item may still take the rest."""
    no_cards = {"excluded_categories": ["gift-card"]}
    eighty, fifty = (template(api, name=f"{n}元券", kind="amount_off", amount_off_fen=n * 100, threshold_fen=None,
                              stacks=True, applies_to=no_cards) for n in (80, 50))  # fmt: skip
    anything = template(api, name="通用20元", kind="amount_off", amount_off_fen=2000, threshold_fen=None, stacks=True)
    codes = [
        issue(api, t["template_id"], member, f"S-{n}").body["code"] for n, t in enumerate((eighty, fifty, anything))
    ]
    lines = [{"sku": "TOP", "category": "tops", "amount_fen": 10000},
             {"sku": "GC", "category": "gift-card", "amount_fen": 10000}]  # fmt: skip
    order = {"store_id": "SH-001", "total_fen": 20000, "items": lines}
    code = shown(member)
    assert redeem(api, codes[0], "POS-GC", order, member_code=code).status == 201
    found = api.post("/v1/coupons/eligibility", {"member_id": member, "order": order, "order_id": "POS-GC"}).body
    assert {c["code"]: c["reason"] for c in found["unusable"]}[codes[1]] == "exceeds-order"  # said before it is tried
    assert codes[2] in {c["code"] for c in found["usable"]}
    before = item_counts()
    over = redeem(api, codes[1], "POS-GC", order, member_code=code)
    assert (over.status, over.body["reason"]) == (409, "exceeds-order"), over.body
    assert item_counts() == before
    assert redeem(api, codes[2], "POS-GC", order, member_code=code).status == 201  # a coupon for every item: fine


def test_a_coupon_is_redeemed_once_per_code_and_the_same_order_gets_the_same_answer(api, member):
    code = issue(api, template(api)["template_id"], member).body["code"]
    cashier = api.as_(token_for(["cashier"]))
    before = item_counts()  # a probe: a cashier used a stranger's coupon, the member not there
    missing = redeem(cashier, code)
    assert (missing.status, missing.body["errors"][0]["field"]) == (422, "member_code")
    assert item_counts() == before
    first = redeem(cashier, code, member_code=shown(member))
    assert (first.status, first.body["discount_fen"], first.body["duplicate"]) == (201, 3000, False)
    again = redeem(cashier, code)  # a repeat is answered, code or none
    assert (again.body["redemption_id"], again.body["duplicate"]) == (first.body["redemption_id"], True)
    other = redeem(cashier, code, "O-2", member_code=shown(member))
    assert (other.status, other.body["type"].rsplit("/", 1)[1]) == (409, "coupon-used")
    changed = redeem(cashier, code, "O-1", {**ORDER, "total_fen": 30000}, member_code=shown(member))
    assert changed.body["type"].endswith("/redemption-conflict")
    assert api.get(f"/v1/members/{member}/coupons?status=used").body["items"][0]["code"] == code
    assert coupon_entries_add_up(code) == ["issue", "redeem"]


def test_a_partner_redeems_only_at_its_stores(api, member, partner):
    code = issue(api, template(api)["template_id"], member).body["code"]

    def signed(order, **more):
        raw = json.dumps({"order_id": "E-1", "order": order, **more}).encode()
        return api.as_(None).call("POST", f"/v1/coupons/{code}/redemptions", raw=raw,
                                  headers=signed_headers(*partner, raw))  # fmt: skip

    assert signed({**ORDER, "store_id": "BJ-001"}).status == 403
    before = item_counts()  # a member of none of the partner's stores, by their coupon alone (a probe: a franchise's
    absent = signed(ORDER)  # till used other stores' members' coupons)
    assert (absent.status, absent.body["errors"][0]["field"]) == (422, "member_code")
    assert item_counts() == before
    assert signed(ORDER, member_code=shown(member)).status == 201


def test_a_partner_reads_what_happened_to_a_coupon_at_another_store_without_who_or_the_order(api, member, partner):
    """Found by a probe: a partner of SH-001 read a redemption at BJ-001 with its order, store and staff id."""
    code = issue(api, template(api)["template_id"], member).body["code"]
    assert redeem(api, code, "BJ-ORDER-1", {**ORDER, "store_id": "BJ-001"}).status == 201  # staff, at BJ-001
    read = api.as_(None).call("GET", f"/v1/coupons/{code}", headers=signed_headers(*partner, b""))
    issued, redeemed = read.body["entries"]
    assert (read.status, redeemed["kind"], redeemed["detail"], redeemed["actor"]) == (200, "redeem", None, None)
    assert "BJ-ORDER-1" not in json.dumps(read.body)
    assert issued["actor"] is not None  # issued at no store: shown whole
    staff = api.get(f"/v1/coupons/{code}").body["entries"][1]
    assert (staff["detail"]["order_id"], staff["actor"][:6]) == ("BJ-ORDER-1", "staff:")
    assert (staff["reason"], staff["reason_en"]) == ("核销 订单BJ-ORDER-1", "Used on order BJ-ORDER-1")  # for English
    back = api.post(f"/v1/coupons/{code}/redemptions/BJ-ORDER-1/reversal", {"reason": "refund"})  # at BJ-001's
    assert back.status in (200, 201), back.body  # order: its entry names the order, not the store (an integrator
    read = api.as_(None).call("GET", f"/v1/coupons/{code}", headers=signed_headers(*partner, b""))  # read both)
    returned = read.body["entries"][-1]
    assert (returned["detail"], returned["actor"], returned["reason"]) == (None, None, returned["kind"])
    assert "BJ-ORDER-1" not in json.dumps(read.body)

    def signed(path, body):
        raw = json.dumps(body).encode()
        return api.as_(None).call("POST", path, raw=raw, headers=signed_headers(*partner, raw))

    # an order number another store used too (a review): each entry is judged by the use it follows, not the number
    used = {"order_id": "BJ-ORDER-1", "order": ORDER, "member_code": shown(member)}
    assert signed(f"/v1/coupons/{code}/redemptions", used).status == 201
    assert signed(f"/v1/coupons/{code}/redemptions/BJ-ORDER-1/reversal", {"reason": "refund"}).status in (200, 201)
    assert redeem(api, code, "BJ-ORDER-1", {**ORDER, "store_id": "BJ-001"}).status == 201  # BJ-001 again
    assert api.post(f"/v1/coupons/{code}/redemptions/BJ-ORDER-1/reversal", {"reason": "refund"}).status in (200, 201)
    read = api.as_(None).call("GET", f"/v1/coupons/{code}", headers=signed_headers(*partner, b""))
    *_, own_use, own_return, other_use, other_return = read.body["entries"]
    assert (own_use["actor"], own_return["actor"]) == (f"partner:{partner[0]}", f"partner:{partner[0]}")
    assert (other_use["actor"], other_return["actor"], other_return["detail"]) == (None, None, None)


def test_an_erased_members_coupons_are_voided(api, aws, member):
    """Found by a probe: an erased member's coupons stayed usable (bearer codes at any till) and in the liability."""
    kept = issue(api, template(api)["template_id"], member, "S-1").body["code"]
    used = issue(api, template(api, name="又一张")["template_id"], member, "S-2").body["code"]
    assert redeem(api, used).status == 201
    assert api.call("DELETE", f"/v1/members/{member}").status == 204
    deliver(aws, "coupons", times=2)  # a redelivery voids nothing more
    assert api.get(f"/v1/coupons/{kept}").body["coupon"]["status"] == "voided"
    assert api.get(f"/v1/coupons/{used}").body["coupon"]["status"] == "used"  # what was used stays so
    assert coupon_entries_add_up(kept) == ["issue", "void"]


def test_coupons_that_do_not_stack_are_refused_on_an_order_that_has_one(api, member):
    alone = issue(api, template(api)["template_id"], member, "S-1").body["code"]
    stacking = template(api, name="立减5", kind="amount_off", amount_off_fen=500, threshold_fen=None, stacks=True)
    first = issue(api, stacking["template_id"], member, "S-2").body["code"]
    second = issue(api, stacking["template_id"], member, "S-3").body["code"]
    assert redeem(api, first).status == 201
    assert redeem(api, second).status == 201  # two that stack
    query = {"member_id": member, "order": ORDER, "order_id": "O-1"}  # the till asks what else fits the order
    unusable = {c["code"]: c["reason"] for c in api.post("/v1/coupons/eligibility", query).body["unusable"]}
    assert unusable[alone] == "not-stackable"  # found by a walkthrough: it was offered, then refused
    refused = redeem(api, alone)
    assert (refused.status, refused.body["reason"]) == (409, "not-stackable")


def test_a_reservation_holds_the_coupon_for_its_order_until_released(api, member):
    code = issue(api, template(api)["template_id"], member).body["code"]
    held = api.post(f"/v1/coupons/{code}/reservations", {"order_id": "O-1", "order": ORDER, "minutes": 10})
    assert held.status == 201
    taken = redeem(api, code, "O-2")
    assert (taken.status, taken.body["reason"]) == (409, "reserved")
    found = api.post("/v1/coupons/eligibility", {"member_id": member, "order": ORDER, "order_id": "O-1"}).body
    assert [c["code"] for c in found["usable"]] == [code]
    assert api.call("DELETE", f"/v1/coupons/{code}/reservations/O-2").body["type"].endswith("/not-reserved")
    assert api.call("DELETE", f"/v1/coupons/{code}/reservations/O-1").status == 204
    assert api.call("DELETE", f"/v1/coupons/{code}/reservations/O-1").status == 204  # a retry: nothing to do
    assert redeem(api, code, "O-2").status == 201
    assert coupon_entries_add_up(code) == ["issue", "reserve", "release", "redeem"]


def test_a_cashier_holds_a_members_coupon_only_with_the_member_there(api, member):
    """Found by a review: a cashier could hold any member's coupon for a day, again and again, knowing its code."""
    code = issue(api, template(api)["template_id"], member).body["code"]
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    body = {"order_id": "O-1", "order": ORDER, "minutes": 1440}
    before = item_counts()
    absent = cashier.post(f"/v1/coupons/{code}/reservations", body)
    assert (absent.status, absent.body["errors"][0]["field"]) == (422, "member_code")
    assert item_counts() == before
    assert cashier.post(f"/v1/coupons/{code}/reservations", {**body, "member_code": shown(member)}).status == 201
    assert cashier.post(f"/v1/coupons/{code}/reservations", body).status == 201  # its order extends it, code or none


def test_a_lapsed_reservation_frees_the_coupon(api, member):
    code = issue(api, template(api)["template_id"], member).body["code"]
    assert api.post(f"/v1/coupons/{code}/reservations", {"order_id": "O-1", "order": ORDER, "minutes": 1}).status == 201
    with clock.frozen(clock.now() + timedelta(minutes=2)):
        assert redeem(api, code, "O-2").status == 201


def test_a_refund_gives_the_coupon_back_once_and_it_can_be_used_again(api, member):
    code = issue(api, template(api)["template_id"], member).body["code"]
    assert redeem(api, code).status == 201
    path = f"/v1/coupons/{code}/redemptions/O-1/reversal"
    back = api.post(path, {"reason": "refund"})
    assert (back.status, back.body["status"], back.body["duplicate"]) == (200, "available", False)
    again = api.post(path, {"reason": "refund"})  # a repeat changes nothing, and says so
    assert (again.body["status"], again.body["duplicate"]) == ("available", True)
    assert redeem(api, code, "O-2").status == 201
    late = api.post(path, {"reason": "refund"})  # its answer lost, sent after the coupon's next use (an integrator)
    assert (late.status, late.body["status"], late.body["duplicate"]) == (200, "used", True)
    assert late.body.get("redemption") is None  # the next use's order is not this caller's to read (a review)
    assert api.post(f"/v1/coupons/{code}/redemptions/O-9/reversal", {"reason": "mistake"}).status == 409
    assert coupon_entries_add_up(code) == ["issue", "redeem", "return", "redeem"]


def test_a_mistake_is_undone_at_the_store_that_made_it_and_a_refund_anywhere(api, member):
    """Found by a walkthrough: a cashier of another store could undo any store's redemption. Elsewhere a coupon comes
    back only with a refund, by staff who refund purchases."""
    api.post("/v1/stores", {"store_id": "BJ-001", "name": "BJ", "city": "c", "region": "r"})
    code = issue(api, template(api)["template_id"], member).body["code"]
    assert redeem(api, code).status == 201  # at SH-001
    path = f"/v1/coupons/{code}/redemptions/O-1/reversal"
    elsewhere = api.as_(token_for(["cashier"], ("BJ-001",)))
    manager = api.as_(token_for(["store_manager"], ("BJ-001",)))
    before = item_counts()
    for who, reason in ((elsewhere, "mistake"), (elsewhere, "refund"), (manager, "mistake")):  # a review: "refund"
        refused = who.post(path, {"reason": reason})  # got round the rule for any cashier
        assert (refused.status, refused.body["errors"][0]["field"]) == (422, "reason")
    assert item_counts() == before
    assert manager.post(path, {"reason": "refund"}).body["status"] == "available"  # goods returned at any store


def test_a_coupon_given_back_after_its_last_day_comes_back_expired(api, member):
    code = issue(api, template(api, validity={"days_after_issue": 1})["template_id"], member).body["code"]
    assert redeem(api, code).status == 201
    with clock.frozen(clock.now() + timedelta(days=2)):
        back = api.as_(token_for(["admin"])).post(f"/v1/coupons/{code}/redemptions/O-1/reversal", {"reason": "refund"})
    assert back.body["status"] == "expired"


def test_a_coupon_past_its_last_day_is_expired_at_once_and_the_job_books_it(api, member):
    from chalicelib.coupons.jobs import expire_coupons
    from chalicelib.shared.jobs import run_job

    code = issue(api, template(api, validity={"days_after_issue": 3})["template_id"], member).body["code"]
    today = clock.business_today()
    reminded = run_job(expire_coupons, today)  # the last day is today + 2: three days' notice is now
    assert reminded.tallies["noticed"] == 1
    later = clock.now() + timedelta(days=3)
    with clock.frozen(later):
        api = api.as_(token_for(["admin"]))
        assert api.get(f"/v1/members/{member}/coupons?status=expired").body["items"][0]["code"] == code
        refused = redeem(api, code)
        assert (refused.status, refused.body["reason"]) == (409, "expired")
        report = run_job(expire_coupons, today + timedelta(days=3))
    assert report.tallies["expired"] == 1
    assert coupon_entries_add_up(code) == ["issue", "expire"]
    events = [json.loads(m["body"])["type"] for m in deliver_types()]
    assert "coupon.expiring" in events


def deliver_types():
    return [{"body": json.dumps(e)} for e in published_envelopes()]


def test_stopping_a_template_ends_issuing_and_voiding_it_ends_its_coupons(api, member):
    created = template(api)
    code = issue(api, created["template_id"], member).body["code"]
    path = f"/v1/coupons/templates/{created['template_id']}"
    stopped = api.patch(path, {"status": "stopped"}, headers={**MERGE_PATCH, "if-match": '"1"'})
    assert stopped.body["status"] == "stopped"
    refused = issue(api, created["template_id"], member, "S-2")
    assert refused.body["type"].endswith("/template-not-issuing")
    assert redeem(api, code).status == 201  # an issued coupon stays valid
    assert api.get(path).body["version"] == 2
    stale = api.patch(path, {"status": "voided"}, headers={**MERGE_PATCH, "if-match": '"1"'})
    assert stale.status == 412


def test_a_voided_templates_coupons_are_unusable_at_once_and_booked_voided_by_the_job(api, member):
    from chalicelib.coupons.jobs import void_coupons
    from chalicelib.shared.jobs import run_job

    created = template(api)
    code = issue(api, created["template_id"], member).body["code"]
    voided = api.patch(f"/v1/coupons/templates/{created['template_id']}", {"status": "voided"},
                       headers={**MERGE_PATCH, "if-match": '"1"'})  # fmt: skip
    assert voided.body["status"] == "voided"
    refused = redeem(api, code)
    assert (refused.status, refused.body["reason"]) == (409, "voided")
    assert run_job(void_coupons, clock.business_today()).processed == 1
    assert coupon_entries_add_up(code) == ["issue", "void"]
    assert CouponRecord.get(code).status == "voided"


def test_a_voided_templates_coupons_leave_the_liability_at_once(api, aws, member):
    created = template(api)
    issue(api, created["template_id"], member)
    api.patch(f"/v1/coupons/templates/{created['template_id']}", {"status": "voided"},
              headers={**MERGE_PATCH, "if-match": '"1"'})  # fmt: skip
    deliver(aws, "coupons")
    line = api.get("/v1/coupons/liability").body["templates"][0]
    assert (line["issued"], line["usable"], line["voided"], line["usable_face_value_fen"]) == (1, 0, 1, 0)


def test_the_liability_counts_what_is_usable_at_face_value(api, aws, member):
    created = template(api)
    codes = [issue(api, created["template_id"], member, f"S-{n}").body["code"] for n in range(3)]
    redeem(api, codes[0])
    deliver(aws, "coupons")
    line = api.get("/v1/coupons/liability").body["templates"][0]
    assert {k: line[k] for k in ("issued", "usable", "used", "usable_face_value_fen")} == {
        "issued": 3,
        "usable": 2,
        "used": 1,
        "usable_face_value_fen": 6000,
    }


def test_the_platform_gives_registration_gifts_once(api, aws, partner):
    gift = template(api, gift={"on": "registration"})
    member_id, _ = member_token("13900000009")
    deliver(aws, "coupons", times=2)  # a redelivery issues nothing twice
    coupons = api.get(f"/v1/members/{member_id}/coupons").body["items"]
    assert [(c["template_id"], c["source_kind"]) for c in coupons] == [(gift["template_id"], "registration")]


def test_welcome_gifts_are_once_per_phone_and_not_for_a_migrated_member(api, aws, partner):
    """Found by an F&B chain's walkthrough: a member closed their membership and joined again a minute later for a
    second 新人券, and could again and again. The phone's marker, kept a year after the erasure, says it was welcomed;
    a member imported from the old system is not new either (registration points were never given them)."""
    from chalicelib.members import service as members
    from chalicelib.members.schemas import MemberCreate
    from chalicelib.points import service as points
    from tests.functional.test_purchases import publish

    publish(api, activities={"registration": {"points": 50}})
    gift = template(api, gift={"on": "registration"})
    phone = "13900000029"

    def joined(member_id: str | None = None) -> tuple[str, list[str], int]:
        member_id = member_id or member_token(phone)[0]
        deliver(aws, "coupons")
        deliver(aws, "points")
        coupons = api.get(f"/v1/members/{member_id}/coupons").body["items"]
        return member_id, [c["template_id"] for c in coupons], points.balance(member_id).available

    first, coupons, welcome_points = joined()
    assert (coupons, welcome_points > 0) == ([gift["template_id"]], True)  # the coupon and registration points
    assert api.call("DELETE", f"/v1/members/{first}").status == 204
    again, coupons, given = joined()
    assert (again != first, coupons, given) == (True, [], 0)  # welcomed before: nothing
    assert api.call("DELETE", f"/v1/members/{again}").status == 204
    with clock.frozen(clock.now() + timedelta(days=366 + 31)):  # kept a year (to the end of its month)
        later, _ = member_token(phone)
    _, coupons, given = joined(later)
    assert (coupons, given) == ([gift["template_id"]], welcome_points)
    imported, _ = members.register(MemberCreate(name="老会员", phone="13900000039", source="import"))
    deliver(aws, "coupons")
    assert api.get(f"/v1/members/{imported}/coupons").body["items"] == []


def test_a_returning_phone_gets_no_birthday_gift_that_year_and_a_phone_changed_from_is_welcomed(api, aws, partner):
    """A review of the rule above: a member who joined again without a birthday and added one in their birthday month
    got that year's gift again, and a member's phone changed to another left the first to join as new."""
    from chalicelib.points import service as points
    from tests.functional.test_purchases import publish

    publish(api, activities={"registration": {"points": 50}, "birthday": {"points": 30}})
    gift = template(api, gift={"on": "registration"})
    first, _ = member_token("13900000049")
    assert api.call("DELETE", f"/v1/members/{first}").status == 204
    again, _ = member_token("13900000049")
    born = clock.business_today().replace(year=1990, day=1).isoformat()  # this month
    patch = {**MERGE_PATCH, "if-match": api.get(f"/v1/members/{again}").headers["etag"]}
    assert api.patch(f"/v1/members/{again}", {"birthday": born}, headers=patch).status == 200
    deliver(aws, "points", times=2)
    assert points.balance(again).available == 0  # neither the welcome nor this year's birthday gift again
    moved, _ = member_token("13900000059")
    deliver(aws, "coupons")
    patch = {**MERGE_PATCH, "if-match": api.get(f"/v1/members/{moved}").headers["etag"]}
    assert api.patch(f"/v1/members/{moved}", {"phone": "13900000069"}, headers=patch).status == 200
    newcomer, _ = member_token("13900000059")  # the phone the member left
    deliver(aws, "coupons")
    assert [c["template_id"] for c in api.get(f"/v1/members/{moved}/coupons").body["items"]] == [gift["template_id"]]
    assert api.get(f"/v1/members/{newcomer}/coupons").body["items"] == []


def test_a_birthday_gift_comes_once_a_year_and_a_top_up_gift_with_each_top_up_large_enough(api, aws, partner):
    birthday = template(api, name="生日礼", gift={"on": "birthday"})["template_id"]
    top_up_gift = template(api, name="充值礼", gift={"on": "top_up", "min_top_up_fen": 50_000})["template_id"]
    today = clock.business_today()
    born = today.replace(year=1990, day=min(today.day, 28)).isoformat()  # a birthday in this month, any year
    profile = {"name": "寿星", "phone": "13900000019", "home_store_id": "SH-001", "birthday": born}
    member_id = api.post("/v1/members", profile).body["member_id"]
    for n in range(2):  # two birthday reports in the month (a partner's, then the member pages'): one gift
        body = {"event_id": f"bd-{n}", "kind": "birthday", "member": {"member_id": member_id},
                "occurred_at": clock.now().isoformat()}  # fmt: skip
        raw = json.dumps(body).encode()
        assert api.as_(None).call("POST", "/v1/webhooks/activities", raw=raw,
                                  headers=signed_headers(*partner, raw)).status == 200  # fmt: skip
    for n, amount in enumerate((50_000, 10_000, 60_000)):
        top_up(api, partner, member_id, f"TU-{n}", amount)
    deliver(aws, "coupons", times=2)
    given = [c["template_id"] for c in api.get(f"/v1/members/{member_id}/coupons").body["items"]]
    assert sorted(given) == sorted([birthday, top_up_gift, top_up_gift])  # the 100-yuan top-up is below the least


def test_a_cash_refund_of_the_stored_value_takes_back_the_top_up_gifts_still_usable(api, aws, partner, member):
    """Found by a probe: top up 500 CNY, receive the 50 CNY gift coupon, have finance pay the principal back in cash,
    again and again: each round kept a coupon for nothing. A cash refund takes back the usable top-up gifts (as it
    forfeits the bonus); a used one stays used."""
    gift = template(api, name="充值礼", gift={"on": "top_up", "min_top_up_fen": 50_000})["template_id"]
    for n in range(2):
        top_up(api, partner, member, f"TU-{n}")
    deliver(aws, "coupons")
    used, kept = sorted(c["code"] for c in api.get(f"/v1/members/{member}/coupons").body["items"])
    assert redeem(api, used).status == 201
    cash_out(api, member)
    deliver(aws, "coupons", times=2)  # a redelivery voids nothing twice
    assert api.get(f"/v1/coupons/{kept}").body["coupon"]["status"] == "voided"
    assert api.get(f"/v1/coupons/{used}").body["coupon"]["status"] == "used"
    assert coupon_entries_add_up(kept) == ["issue", "void"]
    assert gift in {c["template_id"] for c in api.get(f"/v1/members/{member}/coupons").body["items"]}
    back = api.post(f"/v1/coupons/{used}/redemptions/O-1/reversal", {"reason": "refund"})  # its order refunded
    assert back.body["status"] == "voided"  # later: the gift went with the cash (a review: it came back usable)


def test_a_top_up_gift_still_to_come_when_the_stored_value_is_paid_out_in_cash_is_never_given(
    api, aws, partner, member, monkeypatch
):
    """Left by the session before: the cash refund took back the gift coupons it found, and a gift still in the queue
    came after it, kept (top up, cash out at once, keep the coupon). A gift comes only while the top-up's money is
    still in the wallet; a later top-up brings its own, which the cash refund's event, delivered again, leaves be."""
    from chalicelib.coupons import listeners
    from chalicelib.shared.db import Transaction
    from chalicelib.shared.events import new_event

    gift = template(api, name="充值礼", gift={"on": "top_up", "min_top_up_fen": 50_000})["template_id"]
    top_up(api, partner, member, "TU-0")
    with monkeypatch.context() as held:  # its gift is still in the queue when finance pays the principal out
        held.setattr(listeners.service, "gift_templates", lambda *on: [])
        cash_out(api, member)
        deliver(aws, "coupons")  # the cash refund's take-back finds nothing to take
    late = {"member_id": member, "partner_id": partner[0], "payment_id": "TU-0", "principal_fen": 50_000}
    listeners.top_up_gift(Transaction(), new_event("wallet.topped-up", f"member/{member}", late))  # the gift now
    assert [c for c in api.get(f"/v1/members/{member}/coupons").body["items"] if c["status"] != "voided"] == []
    top_up(api, partner, member, "TU-1")
    deliver(aws, "coupons", times=2)  # the cash refund's event again, after the later top-up
    (given,) = api.get(f"/v1/members/{member}/coupons?status=available").body["items"]
    assert given["template_id"] == gift


def test_the_counter_view_lists_the_members_usable_coupons(api, member):
    code = issue(api, template(api)["template_id"], member).body["code"]
    view = api.as_(token_for(["cashier"])).get(f"/v1/members/{member}/counter").body
    assert [(c["code"], c["name"]) for c in view["coupons"]["available"]] == [(code, "满200减30")]
    assert view["coupons"]["more"] is False


def test_the_counter_view_looks_at_a_bounded_number_of_coupons_however_many_the_member_used(api, member, monkeypatch):
    """A member whose newest 45 coupons have expired and whose only usable one is older: the view answers after two
    queries of 20, saying there may be more, where the member's own list reads on to find it."""
    lasting = template(api, name="长期券", validity={"days_after_issue": 365})["template_id"]
    brief = template(api, name="当日券", validity={"days_after_issue": 1}, stock=100)["template_id"]
    issue(api, lasting, member, "S-old")
    for n in range(45):
        assert issue(api, brief, member, f"S-{n}").status == 201
    queries = []
    original = CouponRecord.by_member.query
    monkeypatch.setattr(CouponRecord.by_member, "query", lambda *a, **k: queries.append(1) or original(*a, **k))
    with clock.frozen(clock.now() + timedelta(days=3)):
        view = api.as_(token_for(["cashier"])).get(f"/v1/members/{member}/counter").body
        assert (view["coupons"]["available"], view["coupons"]["more"], len(queries)) == ([], True, 2)
        mine = api.as_(token_for(["admin"])).get(f"/v1/members/{member}/coupons?status=available").body["items"]
    assert [c["template_id"] for c in mine] == [lasting]


def batch_codes(api, batch_id):
    """Every code a batch made, page by page (a page may hold fewer than its limit while more remain)."""
    codes, cursor = [], None
    while True:
        page = api.get(f"/v1/coupons/batches/{batch_id}/codes?limit=200" + (f"&cursor={cursor}" if cursor else "")).body
        codes += page["items"]
        if not (cursor := page["next_cursor"]):
            return codes


def test_a_codes_batch_makes_bearer_coupons_once_with_a_report_and_lists_their_codes(api, aws, partner):
    created = template(api, stock=60)
    batch = api.post(f"/v1/coupons/templates/{created['template_id']}/batches", {"kind": "codes", "count": 55})
    assert batch.status == 201, batch.body
    assert (batch.body["status"], batch.body["chunks"], batch.body["chunks_done"]) == ("completed", 3, 3)
    assert batch.body["report"]["tallies"]["issued"] == 55
    codes = batch_codes(api, batch.body["batch_id"])
    assert len(set(codes)) == 55
    assert api.get(f"/v1/coupons/templates/{created['template_id']}").body["stock_left"] == 5
    from chalicelib.coupons.batches import process

    assert process(f"{batch.body['batch_id']}#0")["duplicate"] == 20  # a chunk run again issues nothing
    assert redeem(api, codes[0]).status == 201  # a bearer coupon is redeemed by its code
    too_many = api.post(f"/v1/coupons/templates/{created['template_id']}/batches", {"kind": "codes", "count": 6})
    assert too_many.body["type"].endswith("/out-of-stock")
    deliver(aws, "coupons")
    line = api.get("/v1/coupons/liability").body["templates"][0]
    assert (line["issued"], line["used"], line["usable"]) == (55, 1, 54)


def test_a_members_batch_issues_to_each_row_of_the_csv_once_and_reports_each_outcome(api, member):
    import requests

    created = template(api, per_member_limit=1)
    batch = api.post(f"/v1/coupons/templates/{created['template_id']}/batches", {"kind": "members"}).body
    assert batch["status"] == "awaiting_file"
    early = api.post(f"/v1/coupons/batches/{batch['batch_id']}/start")
    assert early.body["type"].endswith("/bad-batch-file")
    other, _ = member_token("13900000002")
    csv = f"member_id\n{member}\n{other}\nmb_nobody\n{member}\n".encode()
    by_phone = api.post(f"/v1/coupons/templates/{template(api)['template_id']}/batches", {"kind": "members"}).body
    phones = b"phone\n139 0000 0001\n12345\n13911112222\n"  # spaces are fine; not a number; nobody's
    assert requests.put(by_phone["upload"]["url"], data=phones, headers=by_phone["upload"]["headers"], timeout=10).ok
    tallies = api.post(f"/v1/coupons/batches/{by_phone['batch_id']}/start").body["report"]["tallies"]
    assert tallies == {"issued": 1, "invalid-phone": 1, "unknown-member": 1, "changed": 1}
    sent = requests.put(batch["upload"]["url"], data=csv, headers=batch["upload"]["headers"], timeout=10)
    assert sent.status_code == 200
    started = api.post(f"/v1/coupons/batches/{batch['batch_id']}/start")
    assert started.status == 200, started.body
    assert started.body["report"]["tallies"] == {"issued": 2, "unknown-member": 1, "limit-reached": 1, "changed": 2}
    assert api.post(f"/v1/coupons/batches/{batch['batch_id']}/start").body["type"].endswith("/batch-started")
    assert len(api.get(f"/v1/members/{other}/coupons").body["items"]) == 1


@pytest.fixture
def diamond_gift(api, monkeypatch):
    """A ladder whose diamond tier gives an exclusive coupon: the template's id."""
    from chalicelib.tiers import programmes
    from chalicelib.tiers.rules import Programme, Tier

    gift = template(api, name="钻石专享")["template_id"]
    ladder = Programme((Tier("normal", "普通", "Normal"), Tier("silver", "白银", "Silver", 100),
                        Tier("diamond", "钻石", "Diamond", 800, benefits={"exclusive_coupons": [gift]})))  # fmt: skip
    monkeypatch.setattr(programmes, "programme", lambda: ladder)
    return gift


def tier_changed(member_id, change_id, tier, previous, **more):
    """A ``tier.changed`` event of ``member_id``'s, handed to the upgrade gift's consumer by the caller."""
    from chalicelib.shared.events import new_event

    payload = {"member_id": member_id, "change_id": change_id, "tier": tier, "previous": previous, "reason": "upgrade",
               **more}  # fmt: skip
    return new_event("tier.changed", f"member/{member_id}", payload)


def gift_handled(event):
    from chalicelib.coupons import listeners
    from chalicelib.shared.db import Transaction

    listeners.upgrade_gift(Transaction(), event)


def test_reaching_a_tier_gives_its_exclusive_coupons_once_and_a_move_down_gives_none(api, member, diamond_gift):
    gift_handled(tier_changed(member, "tc_1", "diamond", "silver"))
    gift_handled(tier_changed(member, "tc_1", "diamond", "silver"))  # the same change delivered again
    gift_handled(tier_changed(member, "tc_2", "silver", "diamond", reason="downgrade"))  # down: nothing
    # nobody upgraded (a retail chain's walkthrough): a migrated member's opening tier, a new programme's move, an
    # override by staff
    for n, reason in enumerate(("opening", "programme", "override")):
        gift_handled(tier_changed(member, f"tc_{n + 3}", "diamond", "normal", reason=reason))
    given = api.get(f"/v1/members/{member}/coupons").body["items"]
    assert [(c["template_id"], c["source_kind"]) for c in given] == [(diamond_gift, "tier-upgrade")]


def test_an_upgrade_gift_taken_back_while_it_is_being_given_ends_voided(api, member, diamond_gift, monkeypatch):
    """Another delivery's refund marks the upgrade taken back after the gift looked and before it issued (and finds
    nothing to void yet): the gift looks again once issued and voids its coupon."""
    from chalicelib.coupons import listeners

    undoes = [{"change_id": "tc_1", "tier": "diamond", "previous": "silver"}]
    refund = tier_changed(member, "tc_2", "silver", "diamond", reason="refund", undoes=undoes)
    given = listeners._give

    def refunded_meanwhile(*arguments):
        gift_handled(refund)
        given(*arguments)

    monkeypatch.setattr(listeners, "_give", refunded_meanwhile)
    gift_handled(tier_changed(member, "tc_1", "diamond", "silver"))
    found = api.get(f"/v1/members/{member}/coupons").body["items"]
    assert [(c["template_id"], c["status"]) for c in found] == [(diamond_gift, "voided")]


def test_an_upgrade_gift_that_failed_after_issuing_and_came_again_after_the_take_back_is_voided(
    api, member, diamond_gift, monkeypatch
):
    """Found by a review: the gift issued its coupon, then its attempt failed (a timeout, a throttled second
    template); the refund's take-back ran meanwhile and found nothing to void; the gift's redelivery saw the mark and
    gave nothing, leaving the coupon usable. Seeing the mark, it now voids what an earlier attempt gave."""
    from chalicelib.coupons import listeners

    upgrade = tier_changed(member, "tc_1", "diamond", "silver")
    # the first form of ``undoes`` (change ids alone) is read too
    refund = tier_changed(member, "tc_2", "silver", "diamond", reason="refund", undoes=["tc_1"])
    given = listeners._give

    def issued_then_failed(*arguments):
        gift_handled(refund)  # another delivery takes it back meanwhile: nothing to void yet
        given(*arguments)
        raise TimeoutError("the function ran out of time")

    monkeypatch.setattr(listeners, "_give", issued_then_failed)
    with pytest.raises(TimeoutError):
        gift_handled(upgrade)
    monkeypatch.setattr(listeners, "_give", given)
    gift_handled(upgrade)  # delivered again
    found = api.get(f"/v1/members/{member}/coupons").body["items"]
    assert [(c["template_id"], c["status"]) for c in found] == [(diamond_gift, "voided")]


def test_a_birthday_coupon_of_a_tier_a_refund_undid_is_voided_or_never_given_whichever_event_comes_first(
    api, partner, member, monkeypatch
):
    """A refund undid the diamond tier a birthday gift was given at: diamond's birthday coupon is voided if the gift
    came first, never given if the refund's event did; the general birthday gift is kept either way."""
    from chalicelib.coupons import listeners
    from chalicelib.shared.db import Transaction
    from chalicelib.shared.events import new_event
    from chalicelib.tiers import programmes
    from chalicelib.tiers.rules import Programme, Tier

    birthday = template(api, name="钻石生日券")["template_id"]
    general = template(api, name="生日券", gift={"on": "birthday"})["template_id"]
    diamond = Tier("diamond", "钻石", "Diamond", 800, benefits={"birthday_coupons": [birthday, general]})
    ladder = Programme((Tier("normal", "普通", "Normal"), diamond))
    monkeypatch.setattr(programmes, "programme", lambda: ladder)
    year = clock.business_today().year
    other, _ = member_token("13900000002")
    for first, who in ((True, member), (False, other)):
        gift = new_event("activity.recorded", f"member/{who}", {"member_id": who, "kind": "birthday", "points": 0,
                                                                 "limited": False, "tier": "diamond"})  # fmt: skip
        refund = tier_changed(who, "tc_9", "normal", "diamond", reason="refund", undoes=[],
                              birthday={"year": year, "templates": [birthday, general]})  # fmt: skip
        for event in (gift, refund) if first else (refund, gift):
            (listeners.birthday_gift if event is gift else listeners.upgrade_gift)(Transaction(), event)
        found = api.get(f"/v1/members/{who}/coupons").body["items"]
        given = sorted((c["template_id"], c["status"]) for c in found)
        assert given == sorted([(general, "available"), *([(birthday, "voided")] if first else [])]), first


def test_a_refund_gives_no_birthday_coupon_twice_when_its_template_was_the_general_gift_at_the_gift(
    api, member, monkeypatch
):
    """Found by a review: the tier the refund leaves names a template the gift gave as the general birthday gift; once
    staff made it a gift no more, the refund gave it again as the tier's."""
    from chalicelib.coupons import listeners
    from chalicelib.coupons import service as coupon_service
    from chalicelib.shared.db import Transaction
    from chalicelib.shared.events import new_event
    from chalicelib.tiers import programmes
    from chalicelib.tiers.rules import Programme, Tier

    diamond_coupon = template(api, name="钻石生日券")["template_id"]
    general = template(api, name="生日券", gift={"on": "birthday"})["template_id"]
    ladder = Programme((Tier("normal", "普通", "Normal"), Tier("gold", "黄金", "Gold", 300, benefits={
        "birthday_coupons": [general]}), Tier("diamond", "钻石", "Diamond", 800, benefits={
        "birthday_coupons": [diamond_coupon]})))  # fmt: skip
    monkeypatch.setattr(programmes, "programme", lambda: ladder)
    year = clock.business_today().year
    payload = {"member_id": member, "kind": "birthday", "points": 0, "limited": False, "tier": "diamond", "year": year}
    gift = new_event("activity.recorded", f"member/{member}", payload)
    listeners.birthday_gift(Transaction(), gift)
    headers = {**MERGE_PATCH, "if-match": '"1"'}
    assert api.patch(f"/v1/coupons/templates/{general}", {"gift": None}, headers=headers).status == 200
    coupon_service.GIFTS.forget()
    birthday = {"year": year, "templates": [diamond_coupon], "give": [general]}
    listeners.upgrade_gift(Transaction(), tier_changed(member, "tc_9", "gold", "diamond", reason="refund", undoes=[],
                                                       birthday=birthday))  # fmt: skip
    found = sorted((c["template_id"], c["status"]) for c in api.get(f"/v1/members/{member}/coupons").body["items"])
    assert found == sorted([(diamond_coupon, "voided"), (general, "available")])


def test_the_tier_screens_get_the_names_of_the_coupon_templates_a_tier_gives(api, member_and_token):
    from chalicelib.tiers.programmes import clothing

    member, token = member_and_token
    gift, birthday = template(api, name="普卡专享")["template_id"], template(api, name="生日券")["template_id"]
    document = clothing().model_dump(mode="json")
    document["tiers"][0]["benefits"] = {"exclusive_coupons": [gift, "ct_gone"], "birthday_coupons": [birthday]}
    version = api.post("/v1/tiers/programmes", document).body["version"]
    names = {gift: "普卡专享", birthday: "生日券"}  # an id naming no template is left out
    assert api.get("/v1/tiers/programmes").body["coupon_names"] == names  # the draft's too
    assert api.get(f"/v1/members/{member}/tier").body["coupon_names"] == {}  # not applied yet
    assert api.post(f"/v1/tiers/programmes/{version}/apply").status == 202
    assert api.get(f"/v1/members/{member}/tier").body["coupon_names"] == names
    assert api.as_(token).get("/v1/me/tier").body["coupon_names"] == names
    assert api.get(f"/v1/members/{member}/counter").body["tier"]["coupon_names"] == names


def test_a_redemption_given_back_by_mistake_can_be_redone_on_the_same_order_and_only_once(api, member):
    code = issue(api, template(api)["template_id"], member).body["code"]
    first = redeem(api, code)
    assert api.post(f"/v1/coupons/{code}/redemptions/O-1/reversal", {"reason": "mistake"}).body["status"] == "available"
    again = redeem(api, code)
    assert (again.status, again.body["duplicate"]) == (201, False)
    assert again.body["redemption_id"] != first.body["redemption_id"]
    assert redeem(api, code).body["duplicate"] is True
    assert redeem(api, code, "O-2").body["type"].endswith("/coupon-used")
    assert coupon_entries_add_up(code) == ["issue", "redeem", "return", "redeem"]


def test_once_the_counter_recorded_the_sale_its_coupon_comes_back_only_with_its_refund_and_none_is_used(api, member):
    """Found by a probe: a cashier used a coupon on an order, recorded the sale for points, gave the coupon back as a
    mistake and used it on the next sale, three sales off one coupon. A recorded sale is closed: its coupon comes
    back only with a refund, by staff who refund purchases."""
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    manager = api.as_(token_for(["store_manager"], ("SH-001",)))
    code = issue(api, template(api)["template_id"], member).body["code"]
    assert redeem(cashier, code, "POS-1", member_code=shown(member)).status == 201
    back = cashier.post(f"/v1/coupons/{code}/redemptions/POS-1/reversal", {"reason": "mistake"})
    assert back.body["status"] == "available"  # the order still open: a mistake at the till is undone
    assert redeem(cashier, code, "POS-1", member_code=shown(member)).status == 201
    sale = {"order_id": "POS-1", "store_id": "SH-001", "total_fen": 25_000, "paid_fen": 22_000,
            "payment_method": "cash"}  # fmt: skip
    assert cashier.post(f"/v1/members/{member}/purchases", sale).status == 201
    assert redeem(cashier, code, "POS-1", member_code=shown(member)).body["duplicate"] is True  # a repeat: answered
    before = item_counts()
    for who, reason in ((cashier, "mistake"), (cashier, "refund"), (manager, "mistake")):
        refused = who.post(f"/v1/coupons/{code}/redemptions/POS-1/reversal", {"reason": reason})
        assert (refused.status, refused.body["errors"][0]["field"]) == (422, "reason"), reason
    assert item_counts() == before
    refunds = f"/v1/members/{member}/purchases/POS-1/refunds"
    assert manager.post(refunds, {"amount_fen": 11_000}, headers={"idempotency-key": "half-back"}).status == 201
    half = manager.post(f"/v1/coupons/{code}/redemptions/POS-1/reversal", {"reason": "refund"})  # (an F&B walkthrough:
    assert (half.status, half.body["errors"][0]["field"]) == (422, "reason")  # the discount and the coupon both kept)
    assert "not refunded whole" in half.body["detail"]
    assert manager.post(refunds, {"amount_fen": 11_000}, headers={"idempotency-key": "all-back"}).status == 201
    assert manager.post(f"/v1/coupons/{code}/redemptions/POS-1/reversal", {"reason": "refund"}).status == 200
    after = redeem(cashier, code, "POS-1", member_code=shown(member))  # no coupon once the sale is recorded: the
    assert (after.status, after.body["errors"][0]["field"]) == (422, "order_id")  # sale it did not discount (a read)
    other, _ = member_token("13900000007")  # the coupon used on an order recorded as another member's sale: closed
    assert redeem(cashier, code, "POS-2", member_code=another_code(member)).status == 201  # too (a review)
    sale = {**sale, "order_id": "POS-2"}
    assert cashier.post(f"/v1/members/{other}/purchases", sale).status == 201
    assert cashier.post(f"/v1/coupons/{code}/redemptions/POS-2/reversal", {"reason": "mistake"}).status == 422


def test_a_sale_its_coupon_paid_whole_never_gives_the_coupon_back(api, member):
    """Found by a probe: a ¥10 coupon paid all of a ¥10 order, recorded as paid 0; a sale paid nothing reads as
    refunded whole (0 of 0), so the coupon came straight back and paid the next order, again and again."""
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    manager = api.as_(token_for(["store_manager"], ("SH-001",)))
    body = {"name": "10元券", "kind": "amount_off", "amount_off_fen": 1_000, "validity": {"days_after_issue": 30}}
    code = issue(api, api.post("/v1/coupons/templates", body).body["template_id"], member).body["code"]
    used = redeem(cashier, code, "POS-9", order={"store_id": "SH-001", "total_fen": 1_000}, member_code=shown(member))
    assert used.status == 201, used.body
    sale = {"order_id": "POS-9", "store_id": "SH-001", "total_fen": 1_000, "paid_fen": 0, "payment_method": "cash"}
    assert cashier.post(f"/v1/members/{member}/purchases", sale).status == 201
    before = item_counts()
    back = manager.post(f"/v1/coupons/{code}/redemptions/POS-9/reversal", {"reason": "refund"})
    assert (back.status, back.body["errors"][0]["field"]) == (422, "reason")
    assert item_counts() == before


def test_a_sale_recorded_on_an_order_its_coupon_discounted_totals_at_least_what_was_paid_and_taken_off(api, member):
    """Found by an F&B chain's walkthrough: a cashier resumed an order a ¥7.60 coupon was used on, and the counter
    recorded ¥1.00 as its total and its payment, the coupon's discount more than the order."""
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    code = issue(api, template(api)["template_id"], member).body["code"]
    used = redeem(cashier, code, "POS-9", member_code=shown(member))
    off = used.body["discount_fen"]
    assert off > 100
    before = item_counts()
    for total, paid in ((100, 100), (25_000, 25_000 - off + 1)):
        sale = {"order_id": "POS-9", "store_id": "SH-001", "total_fen": total, "paid_fen": paid,
                "payment_method": "cash"}  # fmt: skip
        refused = cashier.post(f"/v1/members/{member}/purchases", sale)
        assert (refused.status, refused.body["errors"][0]["field"]) == (422, "total_fen"), refused.body
        assert str(off) in refused.body["detail"]
    assert item_counts() == before
    sale = {"order_id": "POS-9", "store_id": "SH-001", "total_fen": 25_000, "paid_fen": 25_000 - off,
            "payment_method": "cash"}  # fmt: skip
    assert cashier.post(f"/v1/members/{member}/purchases", sale).status == 201


def test_stacked_coupons_never_take_more_than_the_order_costs_and_lines_add_up_to_its_total(api, member):
    """Found by a probe: three stacking 50-yuan coupons took 150 yuan off a 60-yuan order, and an order whose one
    line claimed 200 yuan of a 1-yuan total let a 50-yuan coupon through."""
    fifty = template(api, name="立减50", kind="amount_off", amount_off_fen=5000, threshold_fen=None, stacks=True)
    codes = [issue(api, fifty["template_id"], member, f"S-{n}").body["code"] for n in range(3)]
    order = {"store_id": "SH-001", "total_fen": 6000}
    assert redeem(api, codes[0], "O-9", order).body["discount_fen"] == 5000
    assert redeem(api, codes[1], "O-9", order).status == 409  # 100 yuan off 60: refused, nothing booked
    refused = redeem(api, codes[2], "O-9", order)
    assert (refused.status, refused.body["reason"]) == (409, "exceeds-order")
    assert [c["status"] for c in api.get(f"/v1/members/{member}/coupons").body["items"]].count("available") == 2
    lines = {"store_id": "SH-001", "total_fen": 100, "items": [{"category": "top", "amount_fen": 20000}]}
    padded = redeem(api, codes[1], "O-10", lines)
    assert (padded.status, padded.body["errors"][0]["field"]) == (422, "order.items")


def test_a_non_stacking_coupon_is_refused_on_an_order_whichever_store_names_it(api, member):
    first = issue(api, template(api)["template_id"], member, "S-1").body["code"]
    second = issue(api, template(api, name="又一张")["template_id"], member, "S-2").body["code"]
    assert redeem(api, first).status == 201
    refused = redeem(api, second, "O-1", {**ORDER, "store_id": "BJ-001"})
    assert (refused.status, refused.body["reason"]) == (409, "not-stackable")


def test_a_claim_key_names_one_template(api, member_and_token):
    _, token = member_and_token
    me = api.as_(token)
    first, other = (template(api, name=n, claimable=True)["template_id"] for n in ("甲", "乙"))
    headers = {"idempotency-key": "claim-key-0001"}
    assert me.post("/v1/me/coupons/claims", {"template_id": first}, headers=headers).status == 201
    reused = me.post("/v1/me/coupons/claims", {"template_id": other}, headers=headers)
    assert (reused.status, reused.body["type"].rsplit("/", 1)[1]) == (422, "idempotency-key-reused")
    api.patch(f"/v1/coupons/templates/{first}", {"claimable": False}, headers={**MERGE_PATCH, "if-match": '"1"'})
    repeat = me.post("/v1/me/coupons/claims", {"template_id": first}, headers=headers)  # a lost answer retried
    assert (repeat.status, repeat.body["duplicate"]) == (201, True)


def test_a_filtered_list_pages_through_every_coupon_of_that_status(api, member):
    made = template(api)["template_id"]
    codes = [issue(api, made, member, f"S-{n}").body["code"] for n in range(5)]
    redeem(api, codes[2])
    seen, cursor = [], None
    while True:
        page = api.get(f"/v1/members/{member}/coupons?status=available&limit=2"
                       + (f"&cursor={cursor}" if cursor else "")).body  # fmt: skip
        seen += [c["code"] for c in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(seen) == sorted(c for c in codes if c != codes[2])


def test_a_template_keeps_its_name(api):
    made = template(api)
    before = item_counts()
    refused = api.patch(f"/v1/coupons/templates/{made['template_id']}", {"name": None},
                        headers={**MERGE_PATCH, "if-match": '"1"'})  # fmt: skip
    assert refused.status == 422
    assert item_counts() == before


def test_a_coupon_given_back_after_its_template_was_voided_is_voided_in_the_liability(api, aws, member):
    made = template(api)["template_id"]
    code = issue(api, made, member).body["code"]
    assert redeem(api, code).status == 201
    api.patch(f"/v1/coupons/templates/{made}", {"status": "voided"}, headers={**MERGE_PATCH, "if-match": '"1"'})
    back = api.post(f"/v1/coupons/{code}/redemptions/O-1/reversal", {"reason": "refund"})
    assert back.body["status"] == "voided"
    deliver(aws, "coupons")
    line = api.get("/v1/coupons/liability").body["templates"][0]
    assert (line["issued"], line["used"], line["usable"], line["expired"], line["voided"]) == (1, 0, 0, 0, 1)


def test_a_codes_chunk_fits_a_transaction_however_the_stock_is_spread(api):
    from chalicelib.coupons.batches import process
    from chalicelib.ledger.model import Posting, Source

    made = template(api, stock=800)  # 16 shards of 50
    ledger().post([Posting(f"coupon-stock:{made['template_id']}:{n}", "coupon-stock", -48, "issue",
                           Source("test", "drain"), "drain") for n in range(16)])  # fmt: skip
    batch = api.post(f"/v1/coupons/templates/{made['template_id']}/batches", {"kind": "codes", "count": 30})
    assert batch.body["report"]["tallies"]["issued"] == 30  # a chunk drawing on all 16 shards
    assert process(f"{batch.body['batch_id']}#0")["duplicate"] == 20
    assert api.get(f"/v1/coupons/batches/{batch.body['batch_id']}").body["chunks_done"] == 2


def test_a_use_refused_at_commit_by_its_closed_order_answers_the_repeat_that_won_and_uses_nothing_more(
    api, member, monkeypatch
):
    """A cashier's redemption and its repeat race, and the sale is recorded between: the loser's commit is refused by
    the closed till order, yet it repeats the winner's use, so it gets the winner's answer and uses nothing more."""
    from chalicelib.coupons.service import Coupons

    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    code = issue(api, template(api)["template_id"], member).body["code"]
    sale = {"order_id": "POS-3", "store_id": "SH-001", "total_fen": 25_000, "paid_fen": 22_000,
            "payment_method": "cash"}  # fmt: skip
    change, paused, go_on = Coupons.change, threading.Event(), threading.Event()

    def change_after_the_winner(self, *args, **kwargs):
        if threading.current_thread() is not threading.main_thread():  # the loser: read all, about to commit
            paused.set()
            assert go_on.wait(60)
        return change(self, *args, **kwargs)

    monkeypatch.setattr(Coupons, "change", change_after_the_winner)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        losing = pool.submit(redeem, cashier, code, "POS-3", member_code=shown(member))
        assert paused.wait(60)
        won = redeem(cashier, code, "POS-3", member_code=shown(member))  # the repeat that wins, then the sale
        assert cashier.post(f"/v1/members/{member}/purchases", sale).status == 201
        go_on.set()
        lost = losing.result(60)
    assert won.status == 201, won.body
    assert won.body["duplicate"] is False
    assert lost.status in (200, 201), lost.body
    assert lost.body["duplicate"] is True
    assert lost.body["redemption_id"] == won.body["redemption_id"]
    coupon_entries_add_up(code)
    refused = redeem(cashier, code, "POS-4", member_code=shown(member))  # used once: no other order takes it
    assert (refused.status, refused.body["reason"]) == (409, "used")


def test_a_partners_order_numbered_as_a_recorded_counter_sale_still_takes_its_coupon(api, partner, member):
    """Found by a review: the counter's open-order condition went to every caller with a grant, and partners hold
    one (their stores): a partner's own order numbered like a till order the counter recorded was refused its coupon."""
    cashier = api.as_(token_for(["cashier"]))
    sale = {"order_id": "1001", "store_id": "SH-001", "total_fen": 25_000, "paid_fen": 25_000, "payment_method": "cash"}
    assert cashier.post(f"/v1/members/{member}/purchases", sale).status == 201
    code = issue(api, template(api)["template_id"], member).body["code"]
    raw = json.dumps({"order_id": "1001", "order": ORDER, "member_code": shown(member)}).encode()
    used = api.as_(None).call("POST", f"/v1/coupons/{code}/redemptions", raw=raw, headers=signed_headers(*partner, raw))
    assert used.status == 201, used.body


def test_a_gift_given_as_the_stored_value_is_paid_out_is_voided_by_its_code_whatever_the_index_shows(
    api, aws, partner, member, monkeypatch
):
    """Found by a review: the gift looked for a cash refund (none yet), the refund's take-back found nothing, the gift
    was given, and the second look saw the refund, but the member's coupon list is an index that may not show a coupon
    just given: it stayed usable. What the gift gave is voided by its own codes."""
    from chalicelib.coupons import listeners
    from chalicelib.shared.db import Transaction
    from chalicelib.shared.events import new_event
    from chalicelib.wallet import service as wallets

    gift = template(api, name="充值礼", gift={"on": "top_up", "min_top_up_fen": 50_000})["template_id"]
    top_up(api, partner, member, "TU-0")
    looks = iter(
        [None, cash_out(api, member)["cash_refund_id"]]
    )  # the first look came before the refund, the second after
    monkeypatch.setattr(wallets, "cashed_out_after_top_up", lambda *args: next(looks))
    monkeypatch.setattr(CouponRecord.by_member, "query", lambda *args, **kwargs: iter(()))  # the index lags
    event = {"member_id": member, "partner_id": partner[0], "payment_id": "TU-0", "principal_fen": 50_000}
    listeners.top_up_gift(Transaction(), new_event("wallet.topped-up", f"member/{member}", event))
    monkeypatch.undo()
    (given,) = [c for c in api.get(f"/v1/members/{member}/coupons").body["items"] if c["template_id"] == gift]
    assert given["status"] == "voided"


def test_a_coupon_is_given_back_by_the_channel_that_used_it(api, member, partner):
    """Found by a probe: a partner gave back a coupon a cashier used on a sale the counter recorded, and a cashier gave
    back ('mistake') one a partner's till used on a purchase it reported; each sale stood and the coupon was used
    again. A use is undone by whoever made it: the counter's by staff, a partner's by that partner."""
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    at_till, by_partner = (issue(api, template(api)["template_id"], member, f"S-{n}").body["code"] for n in (1, 2))
    assert redeem(cashier, at_till, "POS-1", member_code=shown(member)).status == 201

    def signed(path, body):
        raw = json.dumps(body).encode()
        return api.as_(None).call("POST", path, raw=raw, headers=signed_headers(*partner, raw))

    used = signed(f"/v1/coupons/{by_partner}/redemptions", {"order_id": "E-1", "order": ORDER,
                                                            "member_code": another_code(member)})  # fmt: skip
    assert used.status == 201, used.body
    before = item_counts()
    theirs = signed(f"/v1/coupons/{at_till}/redemptions/POS-1/reversal", {"reason": "refund"})
    assert (theirs.status, theirs.body["errors"][0]["field"]) == (422, "order_id")
    ours = cashier.post(f"/v1/coupons/{by_partner}/redemptions/E-1/reversal", {"reason": "mistake"})
    assert (ours.status, ours.body["errors"][0]["field"]) == (422, "order_id")
    assert item_counts() == before
    assert signed(f"/v1/coupons/{by_partner}/redemptions/E-1/reversal", {"reason": "refund"}).status == 200
    assert cashier.post(f"/v1/coupons/{at_till}/redemptions/POS-1/reversal", {"reason": "mistake"}).status == 200


def test_one_scan_uses_the_members_coupons_on_one_order(api, member):
    """Found by a probe: one scan of a member's code used their three coupons on three friends' orders. A code uses
    coupons on one order: several stack there; another order needs the member's next code."""
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    stacking = template(api, stacks=True)["template_id"]
    first, second, third = (issue(api, stacking, member, f"S-{n}").body["code"] for n in range(3))
    code = shown(member)
    assert redeem(cashier, first, "POS-1", member_code=code).status == 201
    assert redeem(cashier, second, "POS-1", member_code=code).status == 201  # stacked on the same order
    before = item_counts()
    elsewhere = redeem(cashier, third, "POS-2", member_code=code)
    assert (elsewhere.status, elsewhere.body["type"].split("/")[-1]) == (422, "member-code-used")
    assert item_counts() == before
    assert redeem(cashier, third, "POS-2", member_code=another_code(member, code)).status == 201


def test_a_printed_code_typed_on_the_member_pages_becomes_the_members_own_coupon_once(api, aws, member_and_token):
    """兑换码: a batch's printed codes, typed by a member, become coupons of their own (a new code: the printed one was
    seen by others), once per code, within their limit; a code that is no coupon is counted, and ten make them wait."""
    member, token = member_and_token
    made = template(api, per_member_limit=1)  # no stock limit: codes are made all the same (a walkthrough: none)
    batch = api.post(f"/v1/coupons/templates/{made['template_id']}/batches", {"kind": "codes", "count": 3}).body
    printed = batch_codes(api, batch["batch_id"])
    me = api.as_(token)
    spaced = " ".join([printed[0][:4], printed[0][4:]])  # typed as printed, in groups
    mine = me.post("/v1/me/coupons/code-claims", {"code": spaced})
    assert mine.status == 201, mine.body
    assert (mine.body["member_id"], mine.body["status"], mine.body["source_kind"]) == (member, "available", "code")
    assert mine.body["code"] != printed[0]
    assert me.post("/v1/me/coupons/code-claims", {"code": printed[0]}).body == {**mine.body, "duplicate": True}
    lower = me.post("/v1/me/coupons/code-claims", {"code": printed[0].lower()})  # typed in lower case (a review)
    assert lower.body == {**mine.body, "duplicate": True}
    assert api.get(f"/v1/coupons/{printed[0]}").body["coupon"]["status"] == "transferred"  # no till takes it now
    at_till = redeem(api, printed[0])
    assert (at_till.status, at_till.body["reason"]) == (409, "claimed")  # not 已转赠 (given to a friend)
    _, other_token = member_token("13900000002")
    taken = api.as_(other_token).post("/v1/me/coupons/code-claims", {"code": printed[0]})
    assert (taken.status, taken.body["type"].rsplit("/", 1)[1], taken.body["reason"]) == (
        409, "code-not-claimable", "claimed")  # fmt: skip
    over = me.post("/v1/me/coupons/code-claims", {"code": printed[1]})  # one per member
    assert (over.status, over.body["type"].rsplit("/", 1)[1]) == (409, "limit-reached")
    own = api.as_(other_token).post("/v1/me/coupons/code-claims", {"code": mine.body["code"]})
    assert (own.status, own.body["reason"]) == (409, "not-bearer")  # a member's coupon is not a printed code
    assert redeem(api, printed[2]).status == 201
    used = api.as_(other_token).post("/v1/me/coupons/code-claims", {"code": printed[2]})
    assert (used.status, used.body["reason"]) == (409, "used")
    before = item_counts()
    for n in range(10):
        assert api.as_(other_token).post("/v1/me/coupons/code-claims", {"code": f"GUESS{n:04d}XYZ"}).status == 404
    assert item_counts() == {**before, "rates": before["rates"] + 1}  # counted, writing nothing else
    waited = api.as_(other_token).post("/v1/me/coupons/code-claims", {"code": printed[1]})
    assert (waited.status, "retry-after" in waited.headers) == (429, True)
    assert coupon_entries_add_up(mine.body["code"]) == ["issue"]
    deliver(aws, "coupons")
    line = next(
        t for t in api.get("/v1/coupons/liability").body["templates"] if t["template_id"] == made["template_id"]
    )
    assert (line["issued"], line["used"], line["usable"]) == (3, 1, 2)  # the claimed one counted once
