"""Tiers and growth through the webhooks, the member and staff routes, and the jobs across period ends.

The default programme is the clothing retailer's: paid amount over the calendar year, 白银 1,000 CNY,
黄金 3,000 CNY, 钻石 8,000 CNY, valid through the end of the next year, 15 grace days, warnings 30 days ahead.
"""

from datetime import date, datetime, timedelta

import boto3

from chalicelib.purchases.service import RESCORED_ORDERS
from chalicelib.shared import clock
from chalicelib.shared.jobs import run_job
from chalicelib.shared.settings import get_settings
from chalicelib.tiers import jobs
from chalicelib.tiers.records import TierChangeRecord
from tests import ledger_views
from tests.conftest import REGION, deliver, member_token, published_envelopes, token_for
from tests.functional.test_purchases import order, signed

TZ = get_settings().tz
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=TZ)  # before the session's real today: occurred_at is never ahead
CNY = 100


def buy(api, partner, member_id, order_id, paid_fen, at=NOW):
    answer = signed(api, partner, "/v1/webhooks/purchases", order({"member_id": member_id}, order_id=order_id,
                                                                  paid=paid_fen, items=[], at=at))  # fmt: skip
    assert answer.status == 200, answer.body
    return answer.body


def events(kind):
    return [e for e in published_envelopes() if e["type"] == kind]


def ledger(member_id):
    return [(e.type, int(e.points), e.source_kind) for e in ledger_views.entries(member_id)]


def test_a_purchase_that_crosses_a_threshold_upgrades_at_once_with_its_gift_exactly_once(api, partner):
    member_id, token = member_token("13900000001")
    first = buy(api, partner, member_id, "A-1", 1_200 * CNY)
    assert first["points_awarded"] == 1_200  # earned at the tier the member had when buying
    assert first["upgrade_gift_points"] == 100  # and the gift beside it, said (an integrator's receipt missed it)
    assert ledger(member_id) == [("earn", 1_200, "order"), ("earn", 100, "tier")]  # the gift, its own entry
    again = signed(api, partner, "/v1/webhooks/purchases", order({"member_id": member_id}, order_id="A-1",
                                                                 paid=1_200 * CNY, items=[], at=NOW))  # fmt: skip
    assert (again.body["duplicate"], again.body["upgrade_gift_points"]) == (True, 100)
    assert len(ledger(member_id)) == 2
    assert len(events("tier.changed")) == 1
    (changed,) = events("tier.changed")
    assert changed["payload"] | {"change_id": None} == {
        "member_id": member_id, "change_id": None, "tier": "silver", "previous": "normal", "reason": "upgrade",
        "gift_points": 100, "programme_version": 0, "tier_name_zh": "白银会员", "tier_name_en": "Silver",
        "previous_name_zh": "普通会员", "previous_name_en": "Member",
    }  # fmt: skip
    mine = api.as_(token).get("/v1/me/tier").body
    assert (mine["tier"]["code"], mine["tier"]["name_zh"], mine["valid_until"]) == ("silver", "白银会员", "2027-12-31")
    assert (mine["value"], mine["next"]["code"], mine["next"]["missing"]) == (1_200 * CNY, "gold", 1_800 * CNY)
    assert mine["benefits"]["points_multiplier"] == "1.2"
    assert [h["reason"] for h in mine["history"]] == ["upgrade"]
    # kept at the review in January 2028 by 2027's spending: none counted yet (this year's 1,200 CNY is not 2027's;
    # found by a member's walkthrough: the page said the tier was kept already)
    retention = mine["retention"]
    assert (retention["review_on"], retention["value"], retention["missing"]) == ("2028-01-16", 1_200 * CNY, 0)
    assert (retention["counted"], retention["counted_missing"]) == (0, 800 * CNY)
    assert api.get(f"/v1/members/{member_id}/tier").body == mine
    in_2027 = datetime(2027, 6, 1, 12, 0, tzinfo=TZ)
    with clock.frozen(in_2027 + timedelta(hours=1)):
        buy(api, partner, member_id, "A-2027", 500 * CNY, at=in_2027)
        retention = api.as_(token_for(["admin"])).get(f"/v1/members/{member_id}/tier").body["retention"]
    assert (retention["counted"], retention["counted_missing"]) == (500 * CNY, 300 * CNY)
    second = buy(api, partner, member_id, "A-2", 100 * CNY)
    assert second["points_awarded"] == 120  # silver's multiplier from the programme's benefits


def test_crossing_two_thresholds_at_once_gives_both_gifts_and_the_balance_is_the_ledger(api, partner):
    member_id, _ = member_token("13900000002")
    buy(api, partner, member_id, "B-1", 3_500 * CNY)
    account = ledger_views.account(member_id)
    assert (account.tier, int(account.balance)) == ("gold", 3_500 + 100 + 300)
    assert int(account.balance) == sum(points for _, points, _ in ledger(member_id))
    assert [e.tier for e in TierChangeRecord.query(member_id)] == ["gold"]


def test_growth_has_its_own_ledger_and_a_refund_that_leaves_the_threshold_met_keeps_the_tier(api, partner):
    member_id, token = member_token("13900000003")
    buy(api, partner, member_id, "C-1", 1_400 * CNY)
    refund = {"refund_id": "R-1", "order_id": "C-1", "occurred_at": NOW.isoformat(), "amount_fen": 400 * CNY}
    assert signed(api, partner, "/v1/webhooks/refunds", refund).status == 200
    assert signed(api, partner, "/v1/webhooks/refunds", refund).body["duplicate"] is True
    growth = api.as_(token).get("/v1/me/growth").body
    assert growth["value"] == 1_000
    assert growth["paid_fen"] == 1_000 * CNY
    assert [(i["type"], i["growth"], i["paid_fen"]) for i in growth["items"]] == [
        ("reverse", -400, -400 * CNY), ("earn", 1_400, 1_400 * CNY)]  # fmt: skip
    assert growth["months"] == {"2026-11": {"growth": 1_000, "paid_fen": 1_000 * CNY}}
    tier = api.as_(token).get("/v1/me/tier").body
    assert tier["tier"]["code"] == "silver"  # 1,000 CNY still qualifies
    assert [h["reason"] for h in tier["history"]] == ["upgrade"]
    entries = ledger_views.entries(member_id, "growth")
    assert sum(int(e.growth) for e in entries) == int(ledger_views.account(member_id).growth) == 1_000


def refund_all(api, partner, order_id, paid_fen, refund_id="R-ALL"):
    body = {"refund_id": refund_id, "order_id": order_id, "occurred_at": NOW.isoformat(), "amount_fen": paid_fen}
    answer = signed(api, partner, "/v1/webhooks/refunds", body)
    assert answer.status == 200, answer.body
    return answer.body


def test_a_refund_undoes_the_upgrade_its_purchase_caused_and_takes_back_the_gifts(api, partner):
    """Buy 8,000 CNY, refund it all: the points, the diamond standing and its 1,200-point gifts all go (the
    gifts already spent become debt, as the refund policy says)."""
    member_id, token = member_token("13900000021")
    buy(api, partner, member_id, "G-1", 8_000 * CNY)
    assert ledger_views.account(member_id).tier == "diamond"
    gifts = sum(points for kind, points, source in ledger(member_id) if source == "tier")
    redeemed = api.post(f"/v1/members/{member_id}/points/redemptions", {"points": 8_500, "reason": "换购"},
                        headers={"idempotency-key": "spend-the-gift"})  # fmt: skip
    assert redeemed.status == 201
    refunded = refund_all(api, partner, "G-1", 8_000 * CNY)
    assert (refunded["points_clawed_back"], refunded["tier_points_clawed_back"]) == (8_000, gifts)  # both said
    again = refund_all(api, partner, "G-1", 8_000 * CNY)
    assert (again["duplicate"], again["tier_points_clawed_back"]) == (True, gifts)
    account = ledger_views.account(member_id)
    assert (account.tier, account.tier_until) == ("normal", None)
    assert [(kind, points) for kind, points, source in ledger(member_id) if source == "tier"][-1] == ("refund", -gifts)
    assert int(account.balance) == sum(points for _, points, _ in ledger(member_id))
    balance = api.as_(token).get("/v1/me/points").body
    assert (balance["available"], balance["debt"]) == (0, 8_500)  # all that was spent of what the order brought
    history = api.as_(token).get("/v1/me/tier").body["history"]
    assert [h["reason"] for h in history] == ["refund", "upgrade"]
    assert events("tier.changed")[-1]["payload"]["reason"] == "refund"


def test_a_partial_refund_keeps_the_tiers_what_remains_still_qualifies_for(api, partner):
    member_id, _ = member_token("13900000022")
    buy(api, partner, member_id, "G-2", 3_500 * CNY)  # gold, through silver: gifts 100 + 300
    body = {"refund_id": "R-2", "order_id": "G-2", "occurred_at": NOW.isoformat(), "amount_fen": 1_000 * CNY}
    assert signed(api, partner, "/v1/webhooks/refunds", body).status == 200
    account = ledger_views.account(member_id)
    assert (account.tier, account.tier_until) == ("silver", "2027-12-31")  # 2,500 CNY qualifies for silver
    assert [(kind, points) for kind, points, source in ledger(member_id) if source == "tier"] == [
        ("earn", 400), ("refund", -300)]  # fmt: skip


def test_an_upgrade_refunded_in_two_steps_is_undone_whole_with_every_gift(api, partner):
    """1 fen back first (diamond to gold, its gift back), the rest later: the member ends where they stood, every
    gift of the upgrade taken back; the same when two orders' upgrades are refunded newest first."""
    member_id, _ = member_token("13900000024")
    buy(api, partner, member_id, "G-5", 8_000 * CNY)  # diamond, through silver and gold
    refund_all(api, partner, "G-5", 1, "R-5A")
    assert ledger_views.account(member_id).tier == "gold"
    refund_all(api, partner, "G-5", 8_000 * CNY - 1, "R-5B")
    account = ledger_views.account(member_id)
    assert (account.tier, account.tier_until) == ("normal", None)
    assert sum(points for kind, points, source in ledger(member_id) if source == "tier") == 0
    other, _ = member_token("13900000025")
    buy(api, partner, other, "G-6", 1_000 * CNY)  # silver
    buy(api, partner, other, "G-7", 2_000 * CNY)  # gold
    refund_all(api, partner, "G-7", 2_000 * CNY, "R-7")
    assert ledger_views.account(other).tier == "silver"
    refund_all(api, partner, "G-6", 1_000 * CNY, "R-6")
    assert ledger_views.account(other).tier == "normal"
    assert sum(points for kind, points, source in ledger(other) if source == "tier") == 0


def test_a_refund_takes_back_a_tier_a_later_purchase_reached_only_with_the_refunded_money(api, partner):
    """Buy 7,999.99 CNY (gold), then 0.01 CNY (diamond), refund the first: the penny did not earn diamond, so every
    upgrade since the refunded order is undone with its gift; a refund of an earlier order leaves the tier the rest
    still qualifies for."""
    member_id, _ = member_token("13900000023")
    buy(api, partner, member_id, "G-3", 8_000 * CNY - 1)  # gold, through silver
    buy(api, partner, member_id, "G-4", 1)  # diamond, caused by the penny
    assert ledger_views.account(member_id).tier == "diamond"
    refund_all(api, partner, "G-3", 8_000 * CNY - 1)
    account = ledger_views.account(member_id)
    assert (account.tier, account.tier_until) == ("normal", None)
    assert sum(points for kind, points, source in ledger(member_id) if source == "tier") == 0
    assert [e.reason for e in TierChangeRecord.query(member_id)] == ["upgrade", "upgrade", "refund"]
    other, _ = member_token("13900000026")
    buy(api, partner, other, "G-8", 1_000 * CNY)  # silver
    buy(api, partner, other, "G-9", 2_000 * CNY)  # gold, caused by this one with the first's money
    refund_all(api, partner, "G-8", 1_000 * CNY, "R-8")  # 2,000 left: silver, and gold's 300 points back
    assert ledger_views.account(other).tier == "silver"
    assert sum(points for kind, points, source in ledger(other) if source == "tier") == 100


def test_a_refund_that_undoes_a_tier_rescores_the_orders_placed_at_it(api, partner):
    """Buy 8,000 CNY (diamond, ×2), then 1,000 CNY at diamond (2,000 points), refund the first: what remains qualifies
    for silver only, so the second order keeps silver's ×1.2 (1,200) and 800 go back, once; its own refunds later
    take what is left of it at silver's rate, so in the end it brought nothing."""
    member_id, _ = member_token("13900000028")
    buy(api, partner, member_id, "G-12", 8_000 * CNY)
    beijing = api.post("/v1/partners", {"name": "POS 北京", "stores": ["BJ-001"]}).body
    at_bj = order({"member_id": member_id}, order_id="G-13", paid=1_000 * CNY, items=[], at=NOW, store="BJ-001")
    bought = signed(api, (beijing["partner_id"], beijing["secret"]), "/v1/webhooks/purchases", at_bj)
    assert bought.body["points_awarded"] == 2_000
    refund_all(api, partner, "G-12", 8_000 * CNY, "R-12")
    (rescored_event,) = [e for e in events("points.clawed-back") if e["payload"]["source_kind"] == "order"]
    assert rescored_event["payload"]["store_id"] == "BJ-001"  # the rescored order's store, for its figures
    assert refund_all(api, partner, "G-12", 8_000 * CNY, "R-12")["duplicate"] is True
    assert ledger_views.account(member_id).tier == "silver"
    rescored = [(kind, points) for kind, points, source in ledger(member_id) if source == "order"]
    assert rescored == [("earn", 8_000), ("earn", 2_000), ("refund", -800)]
    half = {"refund_id": "R-13A", "order_id": "G-13", "occurred_at": NOW.isoformat(), "amount_fen": 500 * CNY}
    beijing_pos = (beijing["partner_id"], beijing["secret"])
    assert signed(api, beijing_pos, "/v1/webhooks/refunds", half).body["points_clawed_back"] == 600
    rest = {**half, "refund_id": "R-13B"}
    assert signed(api, beijing_pos, "/v1/webhooks/refunds", rest).body["points_clawed_back"] == 600
    assert sum(points for _, points, source in ledger(member_id) if source != "tier") == 0
    account = ledger_views.account(member_id)
    assert int(account.balance) == sum(points for _, points, _ in ledger(member_id))
    (history,) = [p for p in api.get(f"/v1/members/{member_id}/purchases").body["items"] if p["order_id"] == "G-13"]
    assert (history["points_awarded"], history["points_clawed_back"]) == (2_000, 2_000)


def paid_card(api, partner, member_id, benefits, payment_id):
    """A paid card of ``benefits`` bought for the member through the signed payment webhook."""
    plan = {"name": f"卡 {payment_id}", "term": {"months": 1}, "price_fen": 1_000, "benefits": benefits,
            "auto_renew": False, "grace_days": 0, "refund": {"kind": "none"}}  # fmt: skip
    plan_id = api.post("/v1/membership/plans", plan).body["plan_id"]
    body = {"payment_id": payment_id, "member": {"member_id": member_id}, "plan_id": plan_id,
            "occurred_at": NOW.isoformat(), "amount_fen": plan["price_fen"]}  # fmt: skip
    answer = signed(api, partner, "/v1/webhooks/membership/payments", body)
    assert answer.status in (200, 201), answer.body


def test_a_rescoring_counts_the_members_cards_at_the_tier_left_and_chooses_the_orders_holding_most(api, partner):
    """Found by a review: any paid card stopped the rescoring (its multiplier was worked out at the tier as read,
    still diamond), a stacking card's orders were skipped, orders dated long before they were reported were not found,
    and 0-point orders took the places of those owing points. A card without a multiplier changes nothing; a stacking
    ×1.1 keeps 1.2 × 1.1 of the order; the refund's debt counts all that goes back."""
    discount = [{"benefit_id": "discount", "name": "购物95折", "kind": "discount", "rate": "0.95"}]
    stacking = [{"benefit_id": "more", "name": "积分加成", "kind": "points_multiplier", "rate": "1.1", "stacks": True}]
    for n, (benefits, awarded, back) in enumerate(((discount, 2_000, 800), (stacking, 2_200, 880))):
        member_id, _ = member_token(f"1390000004{n}")
        paid_card(api, partner, member_id, benefits, f"CARD-{n}")
        buy(api, partner, member_id, f"C{n}-0", 8_000 * CNY)
        for k in range(RESCORED_ORDERS + 2):  # pennies at diamond, 0 points each: none is rescored
            buy(api, partner, member_id, f"C{n}-P{k}", 1)
        late = buy(api, partner, member_id, f"C{n}-1", 1_000 * CNY, at=NOW - timedelta(days=40))  # a late report
        assert late["points_awarded"] == awarded
        spent = api.post(f"/v1/members/{member_id}/points/redemptions", {"points": 9_000, "reason": "换购"},
                         headers={"idempotency-key": f"spend-rescored-{n}"})  # fmt: skip
        assert spent.status == 201, spent.body
        refund = refund_all(api, partner, f"C{n}-0", 8_000 * CNY, f"RC{n}-0")
        assert ledger_views.account(member_id).tier == "silver"
        assert [(kind, points) for kind, points, source in ledger(member_id) if source == "order"][-1] == (
            "refund", -back)  # fmt: skip
        assert refund["debt_after"] == ledger_views.account(member_id).debt  # the gifts and the rescoring counted
        held = 8_000 + 1_200 + awarded - 9_000  # the orders' points and gifts, less what was spent
        assert int(ledger_views.account(member_id).debt) == 8_000 + (1_200 - 100) + back - held  # silver's gift kept


def test_a_refund_rescores_as_many_orders_as_one_transaction_holds_those_holding_most_first(api, partner):
    member_id, _ = member_token("13900000042")
    buy(api, partner, member_id, "M-0", 8_000 * CNY)
    for n in range(RESCORED_ORDERS + 4):  # 20 to 41 CNY at ×2; each keeps half once the refund leaves normal
        buy(api, partner, member_id, f"M-{n + 1}", (20 + n) * CNY)
    refund_all(api, partner, "M-0", 8_000 * CNY, "RM-0")
    assert ledger_views.account(member_id).tier == "normal"
    taken = [-points for kind, points, source in ledger(member_id) if source == "order" and kind == "refund"]
    assert sorted(taken) == list(range(24, 24 + RESCORED_ORDERS))  # the 18 largest, each giving back its ×2 half


def test_a_refund_never_takes_back_a_tier_held_before_its_purchase(api, partner):
    """Gold from staff (a floor, lifted: the tier stays until its review) stands, whatever is refunded of the
    purchases made before or since."""
    member_id, _ = member_token("13900000027")
    buy(api, partner, member_id, "G-10", 500 * CNY)
    floor = {"kind": "floor", "tier": "gold", "until": "2027-06-30", "reason": "品牌大使"}
    assert api.call("PUT", f"/v1/members/{member_id}/tier/override", floor).status == 200
    assert api.call("DELETE", f"/v1/members/{member_id}/tier/override").status == 200
    buy(api, partner, member_id, "G-11", 600 * CNY)
    refund_all(api, partner, "G-10", 500 * CNY, "R-10")
    refund_all(api, partner, "G-11", 600 * CNY, "R-11")
    assert ledger_views.account(member_id).tier == "gold"
    assert "refund" not in [e.reason for e in TierChangeRecord.query(member_id)]


def test_a_check_in_earns_growth_by_the_programme(api):
    _member_id, token = member_token("13900000004")
    assert api.as_(token).post("/v1/me/check-ins").status in (200, 201)
    assert api.as_(token).get("/v1/me/growth").body["value"] == 1


def test_a_completed_profile_earns_growth_once_and_the_profile_shows_the_tier(api, aws, partner):
    member_id, token = member_token("13900000010")
    me = api.as_(token)
    patch = {"content-type": "application/merge-patch+json"}
    assert me.patch("/v1/me", {"city": "杭州"}, headers={**patch, "if-match": '"1"'}).status == 200
    deliver(aws, "points", times=2)  # redelivered too
    assert me.get("/v1/me/growth").body["value"] == 0  # not complete yet
    complete = {"gender": "female", "birthday": "1990-05-01", "email": "a@example.com"}
    assert me.patch("/v1/me", complete, headers={**patch, "if-match": '"2"'}).status == 200
    deliver(aws, "points", times=2)
    assert me.patch("/v1/me", {"city": "苏州"}, headers={**patch, "if-match": '"3"'}).status == 200
    deliver(aws, "points")
    growth = me.get("/v1/me/growth").body
    assert [(i["growth"], i["reason"]) for i in growth["items"]] == [(50, "完善资料奖励")]
    buy(api, partner, member_id, "G-1", 1_000 * CNY)
    deliver(aws, "points", times=2)
    assert api.get(f"/v1/members/{member_id}").body["tier"] == "silver"


def test_the_nightly_job_warns_then_downgrades_after_grace_and_a_rerun_changes_nothing(api, partner):
    gold, _ = member_token("13900000005")
    kept, _ = member_token("13900000006")
    buy(api, partner, gold, "D-1", 3_000 * CNY)
    buy(api, partner, kept, "D-2", 3_000 * CNY)
    with clock.frozen(datetime(2027, 6, 1, 12, tzinfo=TZ)):
        buy(api, partner, kept, "D-3", 2_600 * CNY, at=datetime(2027, 6, 1, 11, tzinfo=TZ))  # 2027: retains
    with clock.frozen(datetime(2027, 12, 1, 1, tzinfo=TZ)):
        report = run_job(jobs.recalculate_tiers, date(2027, 12, 1))
    assert report.tallies == {"warned": 1, "checked": 1}  # the second member's 2027 spend keeps gold
    assert [e["payload"]["member_id"] for e in events("tier.downgrade-warning")] == [gold]
    (warning,) = events("tier.downgrade-warning")  # the review's day as it comes, and what keeping gold needs
    said = {key: warning["payload"][key] for key in ("valid_until", "review_on", "metric", "missing")}
    assert said == {
        "valid_until": "2027-12-31",
        "review_on": "2028-01-16",
        "metric": "paid_fen",
        "missing": 2_500 * CNY,
    }
    with clock.frozen(datetime(2028, 1, 15, 1, tzinfo=TZ)):
        assert run_job(jobs.recalculate_tiers, date(2028, 1, 15)).tallies.get("changed", 0) == 0  # grace
    with clock.frozen(datetime(2028, 1, 16, 1, tzinfo=TZ)):
        report = run_job(jobs.recalculate_tiers, date(2028, 1, 16))
        assert (report.tallies["downgrade"], report.tallies["retained"]) == (1, 1)
        again = run_job(jobs.recalculate_tiers, date(2028, 1, 16))  # today's partitions again
        assert (again.planned, again.tallies) == (16, {})  # both members have left today's partitions
    assert ledger_views.account(gold).tier == "normal"
    assert ledger_views.account(gold).tier_review is None  # the lowest tier is never reviewed
    survivor = ledger_views.account(kept)
    assert (survivor.tier, survivor.tier_until) == ("gold", "2028-12-31")
    assert [e.reason for e in TierChangeRecord.query(gold)] == ["upgrade", "downgrade"]
    assert [e.reason for e in TierChangeRecord.query(kept)] == ["upgrade", "retained"]


def test_staff_pin_and_floor_with_a_reason_take_effect_at_once_and_are_audited(api, partner):
    member_id, token = member_token("13900000007")
    buy(api, partner, member_id, "E-1", 3_200 * CNY)
    pin = {"kind": "pin", "tier": "silver", "until": "2027-03-31", "reason": "员工等级"}
    answer = api.call("PUT", f"/v1/members/{member_id}/tier/override", pin)
    assert answer.status == 200, answer.body
    assert (answer.body["tier"]["code"], answer.body["override"]["reason"]) == ("silver", "员工等级")
    assert api.as_(token).call("PUT", f"/v1/members/{member_id}/tier/override", pin).status == 403
    bad = api.call("PUT", f"/v1/members/{member_id}/tier/override", {**pin, "tier": "platinum"})
    assert bad.status == 422
    lifted = api.call("DELETE", f"/v1/members/{member_id}/tier/override")
    assert (lifted.body["tier"]["code"], lifted.body["override"]) == ("silver", None)  # until its review
    assert [e["type"] for e in events("tier.override-set") + events("tier.override-lifted")] == [
        "tier.override-set", "tier.override-lifted"]  # fmt: skip
    assert all(e["actor"].startswith("staff:") for e in events("tier.override-set"))
    pinned = events("tier.override-set")[0]["payload"]  # the audit log shows the standing before and after
    assert (pinned["before"]["override"], pinned["after"]["override"]["tier"]) == (None, "silver")
    assert pinned["before"]["tier"] != pinned["after"]["tier"] == "silver"
    history = [(e.reason, e.note) for e in TierChangeRecord.query(member_id)]
    assert history == [("upgrade", None), ("override", "员工等级")]


def test_a_programme_version_is_previewed_then_applied_by_jobs_with_reports(api, partner, aws, monkeypatch):
    monkeypatch.setenv("LOYALTY_JOBS_QUEUE_URL", aws.queue_urls["jobs"])
    get_settings.cache_clear()
    try:
        low, _ = member_token("13900000008")
        high, _ = member_token("13900000009")
        buy(api, partner, low, "F-1", 600 * CNY)
        buy(api, partner, high, "F-2", 1_500 * CNY)
        draft = api.post("/v1/tiers/programmes", {
            "metric": "paid_fen", "window": "calendar-year", "tiers": [
                {"code": "normal", "name_zh": "普通", "name_en": "Member"},
                {"code": "silver", "name_zh": "白银", "name_en": "Silver", "qualify_at": 500 * CNY},
                {"code": "gold", "name_zh": "黄金", "name_en": "Gold", "qualify_at": 1_000 * CNY}]})  # fmt: skip
        assert (draft.status, draft.body["status"]) == (201, "draft")
        version = draft.body["version"]
        assert api.post("/v1/tiers/programmes", {"tiers": [{"code": "a", "name_zh": "a", "name_en": "a",
                                                            "qualify_at": 5}]}).status == 422  # fmt: skip
        started = api.post("/v1/tiers/preview", {"version": version})
        assert (started.status, started.body["status"]) == (202, "running")
        drain_jobs(aws)
        report = api.get(f"/v1/tiers/runs/{started.body['run_id']}").body
        assert (report["status"], report["tallies"]["up"], report["tallies"].get("down", 0)) == ("completed", 2, 0)
        assert ledger_views.account(low).tier == "normal"  # a preview writes nothing
        applied = api.post(f"/v1/tiers/programmes/{version}/apply")
        assert applied.status == 202
        drain_jobs(aws)
        assert api.get(f"/v1/tiers/runs/{applied.body['run_id']}").body["tallies"]["up"] == 2
        assert (ledger_views.account(low).tier, ledger_views.account(high).tier) == ("silver", "gold")
        assert api.post(f"/v1/tiers/programmes/{version}/apply").status == 409
        listed = api.get("/v1/tiers/programmes").body
        assert listed["current"]["version"] == version
        assert listed["current"]["status"] == "current"
    finally:
        get_settings.cache_clear()


def apply_silver_over(api, lowest):
    """Apply a new programme of two tiers on the amount paid this year: ``lowest`` (code, Chinese and English names)
    and silver from 10,000 CNY; its members are judged again by the jobs (``drain_jobs``)."""
    tiers = [dict(zip(("code", "name_zh", "name_en"), lowest, strict=True)),
             {"code": "silver", "name_zh": "白银", "name_en": "Silver", "qualify_at": 10_000 * CNY}]  # fmt: skip
    draft = api.post("/v1/tiers/programmes", {"metric": "paid_fen", "window": "calendar-year", "tiers": tiers})
    assert draft.status == 201, draft.body
    assert api.post(f"/v1/tiers/programmes/{draft.body['version']}/apply").status == 202


def test_a_tier_a_new_programme_drops_moves_its_members_with_a_change_the_figures_count(api, partner, aws, monkeypatch):
    """Found by a walkthrough: a programme without diamond moved the diamond member down as a member of the lowest
    tier already (no change, no history, no event), and the dashboard kept counting one diamond member."""
    monkeypatch.setenv("LOYALTY_JOBS_QUEUE_URL", aws.queue_urls["jobs"])
    get_settings.cache_clear()
    try:
        member_id, _ = member_token("13900000008")
        buy(api, partner, member_id, "D-1", 8_000 * CNY)
        assert ledger_views.account(member_id).tier == "diamond"
        deliver(aws, "statistics")
        assert api.get("/v1/stats/summary").body["tier_distribution"]["diamond"] == 1
        apply_silver_over(api, ("normal", "普通", "Member"))  # a programme without diamond
        drain_jobs(aws)
        assert ledger_views.account(member_id).tier == "normal"
        (change,) = [c for c in TierChangeRecord.query(member_id) if c.reason == "programme"]
        assert (change.previous, change.tier) == ("diamond", "normal")
        deliver(aws, "statistics")
        figures = api.get("/v1/stats/summary").body["tier_distribution"]
        assert (figures.get("diamond", 0), figures["normal"]) == (0, 1)
    finally:
        get_settings.cache_clear()


def drain_jobs(aws):
    from chalicelib.platform.handlers import job_batches

    sqs = boto3.client("sqs", region_name=REGION)
    while batch := sqs.receive_message(QueueUrl=aws.queue_urls["jobs"], MaxNumberOfMessages=10).get("Messages"):
        records = [{"messageId": m["MessageId"], "body": m["Body"]} for m in batch]
        assert job_batches({"Records": records}, None) == {"batchItemFailures": []}
        sqs.delete_message_batch(QueueUrl=aws.queue_urls["jobs"],
                                 Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                          for i, m in enumerate(batch)])  # fmt: skip


def test_a_refund_that_undoes_an_upgrade_voids_the_coupons_it_gave_however_often_it_is_done(api, partner, aws):
    """Found by a review: buying 1,000 CNY, taking silver's exclusive coupon and returning the goods, three times
    over, left three usable coupons on a normal member. The refund's ``tier.changed`` names the upgrade it undid,
    whose coupons still usable are voided; one the refund's event reaches first is never issued."""
    from chalicelib.shared.events import Event, consume_delivery
    from chalicelib.tiers.programmes import clothing
    from tests.functional.test_coupons import template

    gift = template(api, name="白银专享")["template_id"]
    document = clothing().model_dump(mode="json")
    document["tiers"][1]["benefits"]["exclusive_coupons"] = [gift]
    assert (
        api.post(f"/v1/tiers/programmes/{api.post('/v1/tiers/programmes', document).body['version']}/apply").status
        == 202
    )
    member_id, token = member_token("13900000031")

    def coupons():
        return sorted((c["source_kind"], c["status"]) for c in api.as_(token).get("/v1/me/coupons").body["items"])

    for n in range(2):
        buy(api, partner, member_id, f"U-{n}", 1_200 * CNY)
        deliver(aws, "coupons")
        assert ("tier-upgrade", "available") in coupons()
        refund_all(api, partner, f"U-{n}", 1_200 * CNY, refund_id=f"R-U-{n}")
        deliver(aws, "coupons")
        assert ledger_views.account(member_id).tier == "normal"
        assert coupons() == [("tier-upgrade", "voided")] * (n + 1)
    undoing = events("tier.changed")[-1]["payload"]
    assert (undoing["reason"], len(undoing["undoes"])) == ("refund", 1)

    buy(api, partner, member_id, "U-2", 1_200 * CNY)
    refund_all(api, partner, "U-2", 1_200 * CNY, refund_id="R-U-2")
    upgrade, refund = [Event.model_validate(e) for e in events("tier.changed")[-2:]]
    assert upgrade.payload["reason"] == "upgrade"
    assert refund.payload["undoes"] == [{"change_id": upgrade.payload["change_id"], "tier": "silver",
                                         "previous": "normal"}]  # fmt: skip
    # the refund's event first, in the same delivery as the upgrade's (whose batch commits at its end), then again
    assert consume_delivery("coupons", [(refund.event_id, refund), (upgrade.event_id, upgrade)]) == {}
    assert consume_delivery("coupons", [(upgrade.event_id, upgrade)]) == {}
    assert coupons() == [("tier-upgrade", "voided")] * 2  # the third upgrade's coupon was never issued


def test_a_never_judged_member_erased_under_a_programme_whose_lowest_is_not_normal_leaves_the_lowest(
    api, aws, monkeypatch
):
    """Found by a review: the profile's copy says `normal` until a first change, and `normal` is a code a programme
    had (the built-in one), so the erasure was taken off `normal`, not the lowest tier the registration counted."""
    monkeypatch.setenv("LOYALTY_JOBS_QUEUE_URL", aws.queue_urls["jobs"])
    get_settings.cache_clear()
    try:
        apply_silver_over(api, ("bronze", "铜", "Bronze"))  # a programme without diamond
        drain_jobs(aws)
        member_id, _ = member_token("13900000091")
        deliver(aws, "statistics")
        assert api.get("/v1/stats/summary").body["tier_distribution"].get("bronze") == 1
        assert api.call("DELETE", f"/v1/members/{member_id}").status == 204
        deliver(aws, "statistics")
        figures = api.get("/v1/stats/summary").body["tier_distribution"]
        assert (figures.get("bronze"), figures.get("normal", 0)) == (0, 0), figures
    finally:
        get_settings.cache_clear()


def test_a_dropped_tier_member_who_buys_before_the_apply_job_reaches_them_leaves_it_all_the_same(
    api, partner, aws, monkeypatch
):
    """Found by a review: only the apply job read a dropped tier as itself; a purchase between the switch and the
    job read it as the lowest, so its tier.changed said it left `normal`, and diamond was never taken off."""
    monkeypatch.setenv("LOYALTY_JOBS_QUEUE_URL", aws.queue_urls["jobs"])
    get_settings.cache_clear()
    try:
        member_id, _ = member_token("13900000092")
        buy(api, partner, member_id, "DR-1", 8_000 * CNY)
        deliver(aws, "statistics")
        apply_silver_over(api, ("normal", "普通", "Member"))  # a programme without diamond
        buy(api, partner, member_id, "DR-2", 2_500 * CNY)  # before the job reached this member
        drain_jobs(aws)
        assert ledger_views.account(member_id).tier == "silver"
        deliver(aws, "statistics")
        figures = api.get("/v1/stats/summary").body["tier_distribution"]
        assert (figures.get("diamond", 0), figures.get("normal"), figures.get("silver")) == (0, 0, 1), figures
    finally:
        get_settings.cache_clear()


def test_a_tier_a_new_programme_dropped_is_named_as_the_last_applied_one_named_it(aws):
    """A review: a member moved off diamond by the first programme applied read 由diamond调整为… (the built-in
    programme's names were never looked at)."""
    from chalicelib.tiers import programmes
    from chalicelib.tiers.service import _names

    built_in = programmes.clothing()
    without = built_in.model_copy(update={"tiers": built_in.tiers[:2]}).to_programme(1)
    assert not without.knows("diamond")
    assert _names(without, "diamond") == {"tier_name_zh": "钻石会员", "tier_name_en": "Diamond"}
    assert _names(without, "platinum") == {"tier_name_zh": "platinum", "tier_name_en": "platinum"}  # none ever
