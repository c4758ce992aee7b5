"""The birthday gift (生日礼): given by the platform itself in the month of the member's birthday on record, once a
year (the earn rules' birthday points, the tier's birthday points, the birthday coupons, a message), whether the
nightly job, a registration or an edit in the month, or a partner's report gives it first."""

import json
from datetime import date, datetime, timedelta

import pytest

from chalicelib.ledger.registry import ledger
from chalicelib.members import service as members
from chalicelib.members.records import MemberRecord
from chalicelib.members.schemas import MemberCreate
from chalicelib.shared import clock
from chalicelib.shared.jobs import get_job, preview_job, run_job
from chalicelib.shared.settings import get_settings
from chalicelib.shared.versions import ANY_VERSION
from tests import ledger_views
from tests.conftest import deliver, signed_headers, token_for
from tests.functional.test_coupons import template
from tests.functional.test_purchases import publish

TZ = get_settings().tz
JUNE_1 = datetime(2027, 6, 1, 0, 40, tzinfo=TZ)  # the job's run for the day that begins
GOLD_BIRTHDAY_POINTS = 300  # the default programme's gold tier


def joined(phone, birthday=None):
    member_id, _ = members.register(MemberCreate(name="寿星", phone=phone, home_store_id="SH-001", birthday=birthday))
    return member_id


def gifts(member_id):
    return [(int(e.points), e.reason) for e in ledger_views.entries(member_id) if e.reason == "生日奖励"]


def run_on(day, hour=0):
    with clock.frozen(datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=hour, minutes=40)):
        return run_job(get_job("give-birthday-gifts"), day)


def bought(api, partner, member_id, paid_fen, order_id=None):
    body = {"order_id": order_id or f"O-{member_id}", "member": {"member_id": member_id}, "store_id": "SH-001",
            "occurred_at": clock.now().isoformat(), "currency": "CNY", "total_fen": paid_fen, "paid_fen": paid_fen,
            "payment_method": "wechat"}  # fmt: skip
    raw = json.dumps(body).encode()
    answer = api.as_(None).call("POST", "/v1/webhooks/purchases", raw=raw, headers=signed_headers(*partner, raw))
    assert answer.status == 200, answer.body


def partner_birthday(api, partner, member_id, event_id, at):
    body = {"event_id": event_id, "kind": "birthday", "member": {"member_id": member_id},
            "occurred_at": at.isoformat()}  # fmt: skip
    raw = json.dumps(body).encode()
    with clock.frozen(at):
        return api.as_(None).call("POST", "/v1/webhooks/activities", raw=raw, headers=signed_headers(*partner, raw))


@pytest.fixture
def born(api, partner):
    """A gold member born in June, a member born in July, one without a birthday."""
    publish(api, activities={"birthday": {"points": 100, "per_month": 1}})
    june = joined("13900000031", date(1990, 6, 18))
    bought(api, partner, june, 3_000_00)  # gold, valid through next year's end
    return {"june": june, "july": joined("13900000032", date(1988, 7, 2)), "none": joined("13900000033")}


def test_the_month_of_a_birthday_gives_the_tiers_gift_once_a_year(api, aws, partner, born):
    birthday_coupon = template(api, name="生日礼券", gift={"on": "birthday"})["template_id"]
    report = run_on(JUNE_1.date())
    assert (report.status, report.planned, report.processed) == ("completed", 16, 1)  # June's 16 shards, one member
    assert report.tallies == {"changed": 1, "points": 100 + GOLD_BIRTHDAY_POINTS}
    assert gifts(born["june"]) == [(100 + GOLD_BIRTHDAY_POINTS, "生日奖励")]
    assert gifts(born["july"]) == gifts(born["none"]) == []
    entries, _ = ledger().page(born["june"], "points", 100)
    assert ledger().balance(born["june"], "points") == sum(e.amount for e in entries)

    again = run_on(JUNE_1.date())  # a re-run of the same day reads nothing
    assert (again.planned, gifts(born["june"])) == (0, [(400, "生日奖励")])
    assert run_on(date(2027, 6, 2)).planned == 0  # later days of the month read nothing
    late = partner_birthday(api, partner, born["june"], "bd-1", JUNE_1 + timedelta(days=3, hours=10))
    assert (late.status, late.body["points_awarded"], late.body["limited"]) == (200, 0, True)  # once a year

    with clock.frozen(JUNE_1 + timedelta(hours=10)):
        deliver(aws, "coupons", times=2)
        deliver(aws, "notifications")
    coupons = [c["template_id"] for c in api.get(f"/v1/members/{born['june']}/coupons").body["items"]]
    assert coupons.count(birthday_coupon) == 1
    from chalicelib.notifications.records import MessageRecord

    messages = [m for m in MessageRecord.by_member.query(born["june"]) if m.kind == "birthday-gift"]
    assert len(messages) == 1

    july = run_on(date(2027, 7, 1))
    assert (july.planned, july.tallies) == (16, {"changed": 1, "points": 100})  # a normal member: the rules' alone
    next_june = run_on(date(2028, 6, 1))
    assert next_june.tallies["changed"] == 1  # a new year, a new gift (July's gift of 2027 is not given again)
    assert (len(gifts(born["june"])), len(gifts(born["july"]))) == (2, 1)


def test_the_preview_lists_whom_the_month_would_give_and_writes_nothing(born):
    with clock.frozen(JUNE_1 - timedelta(days=10)):
        preview = preview_job(get_job("give-birthday-gifts"), JUNE_1.date())
    assert [(f["member_id"], f["outcome"]) for f in preview.findings] == [(born["june"], "birthday-gift")]
    assert gifts(born["june"]) == []


def test_a_partners_report_first_makes_the_platforms_gift_nothing_more(api, partner, born):
    first = partner_birthday(api, partner, born["june"], "bd-1", JUNE_1 + timedelta(hours=9))
    assert first.body["points_awarded"] == 100 + GOLD_BIRTHDAY_POINTS  # the tier's birthday points with it
    assert run_on(JUNE_1.date(), hour=10).tallies == {"reported-before": 1}
    assert gifts(born["june"]) == [(400, "生日奖励")]


def test_a_birthday_recorded_in_its_month_gives_next_years_gift(api, aws, partner):
    """A retail chain's walkthrough: a new member set their birthday to this month on their pages and was given the
    gift at once, as anyone could. A birthday recorded during its month, at joining or after, gives next year's; one
    on record before the month began gives this year's on its first day."""
    publish(api, activities={"birthday": {"points": 100}})
    today = clock.business_today()
    this_month = today.replace(year=1990, day=min(today.day, 28))
    newcomer = joined("13900000043", this_month)
    chooser = joined("13900000044")
    version = members.get_member(chooser).version
    edited = api.call("PATCH", f"/v1/members/{chooser}", raw=json.dumps({"birthday": this_month.isoformat()}).encode(),
                      headers={"content-type": "application/merge-patch+json", "if-match": f'"{version}"'})  # fmt: skip
    assert edited.status == 200, edited.body
    deliver(aws, "points", times=2)
    assert gifts(newcomer) == gifts(chooser) == []
    next_year = today.replace(year=today.year + 1, day=1)
    run_on(next_year)
    assert gifts(newcomer) == gifts(chooser) == [(100, "生日奖励")]


def test_joining_or_recording_a_birthday_in_its_month_gives_the_gift_at_once_and_once(
    api, aws, partner, monkeypatch
):  # fmt: skip
    """Where the chain gives it at once (LOYALTY_BIRTHDAY_GIFT_NEEDS_NOTICE=false)."""
    monkeypatch.setenv("LOYALTY_BIRTHDAY_GIFT_NEEDS_NOTICE", "false")
    get_settings.cache_clear()
    publish(api, activities={"birthday": {"points": 100}})
    today = clock.business_today()
    this_month = today.replace(year=1990, day=min(today.day, 28))
    other_month = (today.replace(day=1) - timedelta(days=1)).replace(year=1990, day=1)
    newcomer, later = joined("13900000041", this_month), joined("13900000042", other_month)
    deliver(aws, "points", times=2)
    assert (gifts(newcomer), gifts(later)) == ([(100, "生日奖励")], [])
    headers = {"content-type": "application/merge-patch+json"}
    for birthday in (this_month, other_month, this_month):  # to the month, away and back: one gift
        version = members.get_member(later).version
        edited = api.call("PATCH", f"/v1/members/{later}", raw=json.dumps({"birthday": birthday.isoformat()}).encode(),
                          headers={**headers, "if-match": f'"{version}"'})  # fmt: skip
        assert edited.status == 200, edited.body
        deliver(aws, "points")
    assert gifts(later) == [(100, "生日奖励")]
    monkeypatch.delenv("LOYALTY_BIRTHDAY_GIFT_NEEDS_NOTICE")
    get_settings.cache_clear()


def test_members_recorded_before_the_index_are_indexed_once_and_erasure_takes_them_out(born):
    record = MemberRecord.get(born["june"])
    record.update(actions=[MemberRecord.birth_month.remove()], add_version_condition=False)
    assert members.index_birth_months() == 1
    assert members.index_birth_months() == 0
    assert MemberRecord.get(born["june"]).birth_month.startswith("06#")  # the month alone, in clear
    members.erase(born["july"])
    assert MemberRecord.get(born["july"]).birth_month is None


def test_the_tiers_birthday_coupons_come_with_its_gift(api, aws, partner, born):
    coupon = template(api, name="黄金生日券")["template_id"]
    with_birthday_coupons(api, {"gold": [coupon]})
    run_on(JUNE_1.date())
    run_on(date(2027, 7, 1))
    with clock.frozen(JUNE_1 + timedelta(days=30, hours=10)):
        deliver(aws, "coupons", times=2)
    given = {who: [c["template_id"] for c in api.get(f"/v1/members/{born[who]}/coupons").body["items"]]
             for who in ("june", "july")}  # fmt: skip
    assert given == {"june": [coupon], "july": []}  # gold's coupon; the July member is not gold


def with_birthday_coupons(api, coupons_by_tier):
    """The clothing programme with these birthday coupons per tier code (the others none), made current."""
    from chalicelib.tiers.programmes import clothing

    document = clothing().model_dump(mode="json")
    for tier in document["tiers"]:
        tier["benefits"]["birthday_coupons"] = coupons_by_tier.get(tier["code"], [])
    version = api.post("/v1/tiers/programmes", document).body["version"]
    assert api.post(f"/v1/tiers/programmes/{version}/apply").status == 202


def refunded(api, partner, order_id, paid_fen):
    body = {"refund_id": f"R-{order_id}", "order_id": order_id, "occurred_at": clock.now().isoformat(),
            "amount_fen": paid_fen}  # fmt: skip
    raw = json.dumps(body).encode()
    answer = api.as_(None).call("POST", "/v1/webhooks/refunds", raw=raw, headers=signed_headers(*partner, raw))
    assert answer.status == 200, answer.body


def test_a_refund_that_undoes_the_tier_a_birthday_gift_was_given_at_takes_its_tiers_part_back(api, partner, born):
    """Found by a review: buying diamond just before the birthday gift (800 of diamond's birthday points besides the
    rules' 100) and returning the goods kept the 800. The refund that undoes the upgrade takes them back with the
    upgrade's gifts; a gift given before the undone upgrade keeps its tier's points."""
    late = joined("13900000034", date(1991, 6, 9))
    with clock.frozen(JUNE_1 - timedelta(hours=12)):
        bought(api, partner, late, 8_000_00)  # diamond: 1,200 of upgrade gifts (silver, gold and diamond)
    standing = ledger().holdings(late).state(late, "tier")
    with clock.frozen(JUNE_1 + timedelta(hours=10)):  # the late one's upgrade came after the June member's gift
        run_on(JUNE_1.date())
    assert gifts(late) == [(100 + 800, "生日奖励")]
    noted = ledger().holdings(late).state(late, "tier")
    assert ({**noted, "birthday": None}, noted["birthday"][1:]) == (
        {**standing, "birthday": None}, ["diamond", 800, 0, ""])  # fmt: skip
    assert gifts(born["june"]) == [(100 + GOLD_BIRTHDAY_POINTS, "生日奖励")]
    with clock.frozen(JUNE_1 + timedelta(days=1)):
        refunded(api, partner, f"O-{late}", 8_000_00)
        bought(api, partner, born["june"], 8_000_00, "O-more")
        assert ledger_views.account(born["june"]).tier == "diamond"
        refunded(api, partner, "O-more", 8_000_00)

    def taken_back(member_id):
        return [int(e.points) for e in ledger_views.entries(member_id) if e.source_kind == "tier" and e.points < 0]

    assert ledger_views.account(late).tier == "normal"
    assert taken_back(late) == [-1_200, -800]  # the upgrades' gifts, then diamond's birthday points
    assert int(ledger_views.account(late).balance) == 100  # the rules' birthday points alone are kept
    assert ledger_views.account(born["june"]).tier == "gold"
    assert taken_back(born["june"]) == [-800]  # diamond's upgrade gift; the gift at gold keeps gold's 300
    for member_id in (late, born["june"]):
        entries, _ = ledger().page(member_id, "points", 100)
        assert ledger().balance(member_id, "points") == sum(e.amount for e in entries)


def test_a_refund_leaves_a_birthday_gift_what_a_paid_cards_tier_floor_gives(api, partner, born):
    """Found by a review of the change: a gold card's member who bought diamond before the gift lost gold's 300
    too when the refund took diamond back, though the card still gives gold. Only diamond's part beyond it goes."""
    from tests.functional.test_membership import GOLD_CARD, paid

    carded = joined("13900000035", date(1992, 6, 20))
    plan_id = api.post("/v1/membership/plans", GOLD_CARD).body["plan_id"]
    at = JUNE_1 - timedelta(days=2)
    with clock.frozen(at):
        assert paid(api, partner, carded, plan_id, "CARD-1", at=at).status == 200
    with clock.frozen(JUNE_1 - timedelta(hours=12)):
        bought(api, partner, carded, 8_000_00)
    with clock.frozen(JUNE_1 + timedelta(hours=10)):
        run_on(JUNE_1.date())
    assert gifts(carded) == [(100 + 800, "生日奖励")]
    with clock.frozen(JUNE_1 + timedelta(days=1)):
        refunded(api, partner, f"O-{carded}", 8_000_00)
    birthday_back = [int(e.points) for e in ledger_views.entries(carded) if e.reason == "退款撤销生日等级礼遇"]
    assert birthday_back == [-(800 - GOLD_BIRTHDAY_POINTS)]


def test_a_refund_that_undoes_the_tier_a_birthday_gift_was_given_at_voids_that_tiers_birthday_coupons(
    api, aws, partner, born
):
    """Diamond's birthday coupon came with a gift given at diamond, reached the day before with goods then returned:
    the refund voids it with diamond's points. Gold's coupon, which diamond names too, goes with it from a member the
    refund leaves below gold, and stays with the gold member whose gift came at gold."""
    gold_coupon = template(api, name="黄金生日券")["template_id"]
    diamond_coupon = template(api, name="钻石生日券")["template_id"]
    with_birthday_coupons(api, {"gold": [gold_coupon], "diamond": [gold_coupon, diamond_coupon]})
    late = joined("13900000036", date(1991, 6, 9))
    with clock.frozen(JUNE_1 - timedelta(hours=12)):
        bought(api, partner, late, 8_000_00)  # diamond
    with clock.frozen(JUNE_1 + timedelta(hours=10)):
        run_on(JUNE_1.date())
        deliver(aws, "coupons", times=2)

    def coupons(member_id):
        return sorted(
            (c["template_id"], c["status"]) for c in api.get(f"/v1/members/{member_id}/coupons").body["items"]
        )

    assert coupons(late) == sorted([(gold_coupon, "available"), (diamond_coupon, "available")])
    assert coupons(born["june"]) == [(gold_coupon, "available")]
    with clock.frozen(JUNE_1 + timedelta(days=1)):
        refunded(api, partner, f"O-{late}", 8_000_00)
        bought(api, partner, born["june"], 8_000_00, "O-more")
        refunded(api, partner, "O-more", 8_000_00)
        deliver(aws, "coupons", times=2)
    assert ledger_views.account(late).tier == "normal"
    assert coupons(late) == sorted([(gold_coupon, "voided"), (diamond_coupon, "voided")])
    assert ledger_views.account(born["june"]).tier == "gold"
    assert coupons(born["june"]) == [(gold_coupon, "available")]


def test_a_refund_leaves_the_birthday_gift_the_coupons_of_the_tier_it_leaves_and_never_takes_the_general_ones(
    api, aws, partner, born
):
    """Found by a review: a gold member who bought diamond just before the gift, then returned it, lost diamond's
    coupon but never had gold's; the general birthday coupon, which diamond also names, was voided once its template
    stopped; and diamond's coupon, used before the refund, came back usable when its order was refunded."""
    from tests.functional.test_coupons import ORDER

    gold_coupon, diamond_coupon = (template(api, name=name)["template_id"] for name in ("黄金生日券", "钻石生日券"))
    general = template(api, name="生日礼券", gift={"on": "birthday"})["template_id"]
    with_birthday_coupons(api, {"gold": [gold_coupon], "diamond": [diamond_coupon, general]})
    member = joined("13900000037", date(1991, 6, 9))

    def coupons():  # read as staff at the frozen moment (a token of the real day would have expired by then)
        found = api.as_(token_for(["admin"])).get(f"/v1/members/{member}/coupons").body["items"]
        return {c["template_id"]: (c["status"], c["code"]) for c in found}

    with clock.frozen(JUNE_1 - timedelta(days=3)):
        bought(api, partner, member, 3_000_00)  # gold, held before the gift
    with clock.frozen(JUNE_1 - timedelta(hours=12)):
        bought(api, partner, member, 5_000_00, "O-diamond")
    assert ledger_views.account(member).tier == "diamond"
    with clock.frozen(JUNE_1 + timedelta(hours=10)):
        run_on(JUNE_1.date())
        deliver(aws, "coupons", times=2)
        given = coupons()
        assert {t: status for t, (status, _) in given.items()} == {diamond_coupon: "available", general: "available"}
        staff = api.as_(token_for(["admin"]))
        used = staff.post(f"/v1/coupons/{given[diamond_coupon][1]}/redemptions", {"order_id": "O-use", "order": ORDER})
        assert used.status == 201, used.body
        headers = {"content-type": "application/merge-patch+json", "if-match": '"1"'}
        stopped = staff.patch(f"/v1/coupons/templates/{general}", {"status": "stopped"}, headers=headers)
        assert stopped.status == 200, stopped.body
    with clock.frozen(JUNE_1 + timedelta(days=1)):
        refunded(api, partner, "O-diamond", 5_000_00)
        deliver(aws, "coupons", times=2)
        assert ledger_views.account(member).tier == "gold"
        back = api.as_(token_for(["admin"])).post(
            f"/v1/coupons/{given[diamond_coupon][1]}/redemptions/O-use/reversal", {"reason": "refund"}
        )
        assert back.status == 200, back.body
        after = {t: status for t, (status, _) in coupons().items()}
    assert after == {diamond_coupon: "voided", general: "available", gold_coupon: "available"}


def test_a_partners_late_report_of_a_december_birthday_brings_that_years_coupons(api, aws, partner):
    """Found by a review: a report of 30 December's birthday booked on 2 January gave its coupon as the new year's,
    so that year's own gift, months later, brought none."""
    publish(api, activities={"birthday": {"points": 100, "per_month": 1}})
    general = template(api, name="生日券", gift={"on": "birthday"})["template_id"]
    member_id = joined("13900000038", date(1990, 12, 30))
    with clock.frozen(datetime(2027, 1, 2, 10, tzinfo=TZ)):  # booked in the new year
        body = {"event_id": "bd-late", "kind": "birthday", "member": {"member_id": member_id},
                "occurred_at": datetime(2026, 12, 30, 12, tzinfo=TZ).isoformat()}  # fmt: skip
        raw = json.dumps(body).encode()
        late = api.as_(None).call("POST", "/v1/webhooks/activities", raw=raw, headers=signed_headers(*partner, raw))
        assert late.status == 200, late.body
        deliver(aws, "coupons", times=2)
    run_on(date(2027, 12, 1))
    with clock.frozen(datetime(2027, 12, 1, 10, tzinfo=TZ)):
        deliver(aws, "coupons", times=2)
        found = api.as_(token_for(["admin"])).get(f"/v1/members/{member_id}/coupons").body["items"]
    assert len(gifts(member_id)) == 2
    assert [c["template_id"] for c in found] == [general, general]


def test_a_cards_free_trial_gives_no_birthday_points_of_its_tier_floor(api, born):
    """Found by a probe: a plan with a free trial and a diamond floor gave diamond's birthday points for nothing at
    all. A floor counts for the gift once the card is paid for; a trial's members get their earned tier's."""
    from chalicelib.identity.member_auth import member_claims
    from chalicelib.identity.service import issue_tokens
    from tests.functional.test_membership import GOLD_CARD

    trying = joined("13900000037", date(1993, 6, 15))
    plan_id = api.post("/v1/membership/plans", GOLD_CARD).body["plan_id"]
    with clock.frozen(JUNE_1 - timedelta(days=2)):
        member = api.as_(issue_tokens(member_claims(trying, clock.now().timestamp())).access_token)
        started = member.post("/v1/me/cards", {"plan_id": plan_id, "pay_with": "trial"},
                              headers={"idempotency-key": "trial-birthday"})  # fmt: skip
        assert started.status == 201, started.body
    with clock.frozen(JUNE_1 + timedelta(hours=10)):
        run_on(JUNE_1.date())
    assert gifts(trying) == [(100, "生日奖励")]  # not gold's 300 on top


def test_a_card_refunded_in_full_takes_back_the_birthday_points_its_floor_gave_and_one_refunded_in_part_does_not(
    api, aws, partner, born
):
    """Found by a review: buy a gold card in the month of one's birthday, take gold's birthday points, cancel the card
    within its full-refund window: the member kept 300 points for nothing, every year. A card refunded in full counts
    as never held (its floor's part of the gift goes back, as a claw-back); one refunded in part keeps it (the days
    used were paid for), as its multiplier's points."""
    from chalicelib.points import service as points

    members = gold_cards_before_the_gift(api, partner, "13900000041", "13900000042")
    assert [gifts(m) for m in members] == [[(100 + GOLD_BIRTHDAY_POINTS, "生日奖励")]] * 2  # gold's, by the card
    with clock.frozen(JUNE_1 + timedelta(days=2, hours=10)):
        cancel_cards(api, members)
        deliver(aws, "points", times=2)  # a redelivery takes nothing more
    assert [points.balance(m).available for m in members] == [100, 100 + GOLD_BIRTHDAY_POINTS]
    back = [(e.amount, e.reason) for e in ledger().page(members[0], "points", 10)[0] if e.kind == "refund"]
    assert back == [(-GOLD_BIRTHDAY_POINTS, "退卡撤销会员卡等级生日礼积分")]
    for member_id in members:
        entries, _ = ledger().page(member_id, "points", 100)
        assert ledger().balance(member_id, "points") == sum(e.amount for e in entries)


def test_a_card_refunded_in_full_takes_back_the_birthday_coupons_its_floor_gave(api, aws, partner, born):
    """Found by a review (left alone then): the points of a gold card's birthday gift went back with a full refund,
    but gold's birthday coupon stayed. Now it is voided (a redelivery voids nothing more), the coupon of the tier the
    member has without the card is given instead, and a card refunded in part keeps its gift."""
    gold_coupon, member_coupon = (template(api, name=name)["template_id"] for name in ("黄金生日券", "会员生日券"))
    with_birthday_coupons(api, {"normal": [member_coupon], "gold": [gold_coupon]})
    members = gold_cards_before_the_gift(api, partner, "13900000043", "13900000044")
    with clock.frozen(JUNE_1 + timedelta(hours=10)):
        deliver(aws, "coupons", times=2)
    admin = api.as_(token_for(["admin"]))

    def coupons(member_id):
        return sorted(
            (c["template_id"], c["status"]) for c in admin.get(f"/v1/members/{member_id}/coupons").body["items"]
        )

    assert [coupons(m) for m in members] == [[(gold_coupon, "available")]] * 2  # gold's, by the card
    with clock.frozen(JUNE_1 + timedelta(days=2, hours=10)):
        admin = cancel_cards(api, members)
        deliver(aws, "coupons", times=2)  # a redelivery voids and gives nothing more
        assert coupons(members[0]) == sorted([(gold_coupon, "voided"), (member_coupon, "available")])
        assert coupons(members[1]) == [(gold_coupon, "available")]  # refunded in part: the days used were paid for
        voided = admin.get(f"/v1/members/{members[0]}/coupons?status=voided").body["items"]
        (code,) = [c["code"] for c in voided]
        history = admin.get(f"/v1/coupons/{code}").body
    assert "退卡撤销会员卡等级生日礼券" in json.dumps(history, ensure_ascii=False)


def gold_cards_before_the_gift(api, partner, *phones):
    """Two members born in June, each sold a gold card the day before the month's gift: the first card refundable in
    full within 7 days, the second pro rata; the gift then given (June 1st)."""
    from tests.functional.test_membership import GOLD_CARD, paid

    full = {**GOLD_CARD, "name": "七天无理由金卡", "refund": {"kind": "full_within_days", "days": 7}}
    plans = [api.post("/v1/membership/plans", plan).body["plan_id"] for plan in (full, GOLD_CARD)]
    members = [joined(phones[0], date(1991, 6, 9)), joined(phones[1], date(1992, 6, 20))]
    bought_on = JUNE_1 - timedelta(days=1)
    with clock.frozen(bought_on + timedelta(hours=10)):
        for n, (member_id, plan_id) in enumerate(zip(members, plans, strict=True)):
            assert paid(api, partner, member_id, plan_id, f"P-{n}", at=bought_on).status == 200
    with clock.frozen(JUNE_1 + timedelta(hours=10)):
        run_on(JUNE_1.date())
    return members


def cancel_cards(api, members):
    """Cancel each member's card now, by its plan's policy; the admin client of this moment."""
    admin = api.as_(token_for(["admin"]))  # a token of the frozen day
    for n, member_id in enumerate(members):
        card_id = admin.get(f"/v1/members/{member_id}/cards").body["items"][0]["card_id"]
        cancelled = admin.post(f"/v1/members/{member_id}/cards/{card_id}/cancellation",
                               {"cancel_id": f"C-{n}", "reason": "不想要了"})  # fmt: skip
        assert cancelled.status == 200, cancelled.body
    return admin


def test_a_member_imported_in_their_birthday_month_gets_the_gift_from_their_next_one(api, monkeypatch):
    """A retail chain's walkthrough imported a member born in the month it went live: the first run gave them a second
    gift that month (the old system had given it). One imported the month before gets it in their month. (Where the
    chain gives a birthday recorded in its month at once: the import's own rule, not the notice's.)"""
    monkeypatch.setenv("LOYALTY_BIRTHDAY_GIFT_NEEDS_NOTICE", "false")
    get_settings.cache_clear()
    publish(api, activities={"birthday": {"points": 100, "per_month": 1}})

    def imported(phone, on):
        with clock.frozen(datetime.combine(on, datetime.min.time(), TZ) + timedelta(hours=10)):
            created = MemberCreate(name="老会员", phone=phone, birthday=date(1990, 6, 18), source="import")
            return members.register(created)[0]

    live = imported("13900000041", date(2027, 6, 5))
    before = imported("13900000042", date(2027, 5, 20))
    preview = preview_job(get_job("give-birthday-gifts"), date(2027, 6, 5))
    report = run_on(date(2027, 6, 5), hour=1)
    assert (gifts(live), gifts(before)) == ([], [(100, "生日奖励")])
    assert report.tallies["imported-this-month"] == 1  # said why (a review read not-their-month)
    assert sorted(item["outcome"] for item in preview.findings) == ["birthday-gift", "imported-this-month"]
    run_on(date(2028, 6, 1))
    assert gifts(live) == [(100, "生日奖励")]  # from their next birthday month on


def test_a_store_correcting_a_birthdays_year_keeps_when_it_was_recorded_and_a_new_month_does_not(api, partner):
    """A review: a store fixing the year of a birthday in its month lost that year's gift (recorded anew, in its
    month); a birthday moved to another month is recorded anew (what could be gamed)."""

    def corrected(member_id, birthday):  # by staff (their edit, as the console's)
        members.update(member_id, {"birthday": date.fromisoformat(birthday)}, ANY_VERSION)
        return MemberRecord.get(member_id).birthday_recorded_on

    with clock.frozen(datetime(2027, 5, 20, 10, tzinfo=TZ)):
        member_id = joined("13900000045", date(1990, 6, 18))
    with clock.frozen(datetime(2027, 6, 10, 10, tzinfo=TZ)):
        assert corrected(member_id, "1991-06-18") == "2027-05-20"  # the year: as recorded
        assert corrected(member_id, "1991-07-18") == "2027-06-10"  # another month: recorded now
