"""A coupon given to a friend (转赠) through the API: an offer's link, taking it once, the code that changes hands,
withdrawal and lapse, the limits, and the take-backs that follow a coupon to the friend who received it."""

from datetime import timedelta

import pytest

from chalicelib.coupons.rules import OFFERS_PER_COUPON
from chalicelib.shared import clock
from chalicelib.shared.settings import get_settings
from tests.conftest import deliver, member_token, published_envelopes, token_for
from tests.functional.test_coupons import MERGE_PATCH, cash_out, coupon_entries_add_up, redeem, template, top_up


@pytest.fixture
def giver(api, partner):
    return member_token("13900000001", "送券人")


@pytest.fixture
def friend(api, partner):
    return member_token("13900000002", "好友")


def as_member(api, token):
    return api.as_(token)


def fresh_token(member_id):
    """An access token of the member's as of now (a moved clock outlives the first)."""
    from chalicelib.identity.member_auth import member_claims
    from chalicelib.identity.service import issue_tokens

    return issue_tokens(member_claims(member_id, clock.now().timestamp())).access_token


def given(api, member_id, **changes):
    """A transferable template's coupon issued to ``member_id``: its code."""
    created = template(api, transferable=True, **changes)
    issued = api.post(f"/v1/coupons/templates/{created['template_id']}/issues", {"member_id": member_id,
                      "source_id": "S-1"})  # fmt: skip
    assert issued.status == 201, issued.body
    return issued.body["code"]


def offer(api, token, code):
    offered = as_member(api, token).post(f"/v1/me/coupons/{code}/offer")
    assert offered.status == 201, offered.body
    return offered.body


def test_a_friend_takes_an_offered_coupon_once_under_a_new_code_and_the_givers_ends_transferred(api, giver, friend):
    code = given(api, giver[0], per_member_limit=1)
    offered = offer(api, giver[1], code)
    token = offered["token"]
    assert offered["coupon"]["offered_until"] == offered["expires_at"]
    assert (offered["coupon"]["status"], offered["coupon"]["transferable"]) == ("available", True)

    seen = as_member(api, friend[1]).get(f"/v1/me/gifts/{token}")
    assert seen.status == 200, seen.body
    assert (seen.body["status"], seen.body["from_me"], seen.body["coupon"]["name"]) == ("open", False, "满200减30")
    assert code not in str(seen.body)  # the code and whose it is stay hidden
    assert giver[0] not in str(seen.body)
    assert as_member(api, giver[1]).get(f"/v1/me/gifts/{token}").body["from_me"] is True

    taken = as_member(api, friend[1]).post(f"/v1/me/gifts/{token}/acceptance")
    assert taken.status == 201, taken.body
    received = taken.body
    assert received["code"] != code
    assert received["member_id"] == friend[0]
    assert (received["source_kind"], received["status"], received["transferable"]) == ("transfer", "available", False)
    assert received["valid_until"] == offered["coupon"]["valid_until"]  # the same last day, not a fresh 30 days

    again = as_member(api, friend[1]).post(f"/v1/me/gifts/{token}/acceptance")
    assert (again.status, again.body["code"], again.body["duplicate"]) == (201, received["code"], True)
    seen = as_member(api, friend[1]).get(f"/v1/me/gifts/{token}").body
    assert (seen["status"], seen["received_code"]) == ("received", received["code"])

    mine = as_member(api, giver[1]).get("/v1/me/coupons").body["items"]
    assert [(c["code"], c["status"]) for c in mine] == [(code, "transferred")]
    assert coupon_entries_add_up(code) == ["issue", "offer", "transfer"]
    assert coupon_entries_add_up(received["code"]) == ["issue"]
    history = api.get(f"/v1/coupons/{code}").body
    assert received["code"] not in str(history)  # the till reading the old code never learns the new one
    assert friend[0] not in str([e["detail"] for e in history["entries"]])  # nor whom it went to (a review)
    assert redeem(api, code).body["type"].endswith("/coupon-unusable")
    assert redeem(api, received["code"]).status == 201
    transferred = [e for e in published_envelopes() if e["type"] == "coupon.transferred"]
    assert [(e["payload"]["code"], e["payload"]["to_code"], e["payload"]["to_member_id"]) for e in transferred] == [
        (code, received["code"], friend[0])
    ]


def test_anyone_else_finds_the_gift_taken_and_the_giver_cannot_take_their_own(api, giver, friend):
    code = given(api, giver[0])
    token = offer(api, giver[1], code)["token"]
    own = as_member(api, giver[1]).post(f"/v1/me/gifts/{token}/acceptance")
    assert (own.status, own.body["type"].rsplit("/", 1)[1]) == (409, "own-gift")
    assert as_member(api, friend[1]).post(f"/v1/me/gifts/{token}/acceptance").status == 201
    withdrawn = offer(api, giver[1], given(api, giver[0], name="另一张"))["token"]
    third = member_token("13900000003")[1]
    late = as_member(api, third).post(f"/v1/me/gifts/{token}/acceptance")
    assert (late.status, late.body["type"].rsplit("/", 1)[1], late.body["reason"]) == (409, "gift-over", "taken")
    assert as_member(api, third).get(f"/v1/me/gifts/{token}").body["status"] == "taken"
    # a link the giver replaced before the friend took the new one says withdrawn, not taken (a walkthrough)
    code_two = as_member(api, giver[1]).get("/v1/me/coupons?status=available").body["items"][0]["code"]
    newer = offer(api, giver[1], code_two)["token"]
    assert as_member(api, friend[1]).post(f"/v1/me/gifts/{newer}/acceptance").status == 201
    assert as_member(api, third).get(f"/v1/me/gifts/{withdrawn}").body["status"] == "withdrawn"
    late = as_member(api, third).post(f"/v1/me/gifts/{withdrawn}/acceptance")
    assert (late.status, late.body["reason"]) == (409, "withdrawn")
    unknown = as_member(api, third).get("/v1/me/gifts/not-a-token-at-all-0000000000")
    assert unknown.status == 404


def test_an_offered_coupon_waits_for_the_friend_and_a_withdrawal_or_a_lapse_gives_it_back(api, giver, friend):
    code = given(api, giver[0])
    token = offer(api, giver[1], code)["token"]
    held = redeem(api, code)
    assert (held.status, held.body["reason"]) == (409, "offered")  # not used at a till while a friend may take it
    reserve = api.post(f"/v1/coupons/{code}/reservations", {"order_id": "O-9", "order": {"store_id": "SH-001",
                       "total_fen": 25000}})  # fmt: skip
    assert (reserve.status, reserve.body["reason"]) == (409, "offered")

    back = as_member(api, giver[1]).call("DELETE", f"/v1/me/coupons/{code}/offer")
    assert (back.status, back.body["offered_until"], back.body["status"]) == (200, None, "available")
    gone = as_member(api, friend[1]).post(f"/v1/me/gifts/{token}/acceptance")
    assert (gone.status, gone.body["reason"]) == (409, "withdrawn")

    second = offer(api, giver[1], code)["token"]
    third = offer(api, giver[1], code)["token"]  # offering again ends the link before
    assert as_member(api, friend[1]).get(f"/v1/me/gifts/{second}").body["status"] == "withdrawn"
    assert as_member(api, friend[1]).get(f"/v1/me/gifts/{third}").body["expires_at"] <= clock.iso(
        clock.end_of_business_day(clock.business_today() + timedelta(days=29), get_settings().tz)
    )  # never past the coupon's last day
    with clock.frozen(clock.now() + timedelta(hours=25)):
        lapsed = as_member(api, fresh_token(friend[0])).post(f"/v1/me/gifts/{third}/acceptance")
        assert (lapsed.status, lapsed.body["reason"]) == (409, "lapsed")
        assert redeem(api.as_(token_for(["admin"])), code).status == 201  # usable again without a withdrawal
    assert coupon_entries_add_up(code) == ["issue", "offer", "withdraw", "offer", "offer", "redeem"]


def test_only_a_transferable_templates_coupons_are_offered_and_a_received_one_is_not_given_on(api, giver, friend):
    plain = template(api)["template_id"]
    code = api.post(f"/v1/coupons/templates/{plain}/issues", {"member_id": giver[0], "source_id": "S-2"}).body["code"]
    refused = as_member(api, giver[1]).post(f"/v1/me/coupons/{code}/offer")
    assert (refused.status, refused.body["reason"]) == (409, "template")
    assert refused.body["type"].endswith("/coupon-not-transferable")
    assert coupon_entries_add_up(code) == ["issue"]  # nothing written

    code = given(api, giver[0])
    received = as_member(api, friend[1]).post(f"/v1/me/gifts/{offer(api, giver[1], code)['token']}/acceptance")
    onward = as_member(api, friend[1]).post(f"/v1/me/coupons/{received.body['code']}/offer")
    assert (onward.status, onward.body["reason"]) == (409, "received")
    assert as_member(api, friend[1]).post(f"/v1/me/coupons/{code}/offer").status == 404  # not theirs
    looped = given(api, giver[0], name="反复分享")
    for _ in range(OFFERS_PER_COUPON):
        offer(api, giver[1], looped)
    refused = as_member(api, giver[1]).post(f"/v1/me/coupons/{looped}/offer")
    assert (refused.status, refused.body["reason"]) == (409, "offers-used")
    assert as_member(api, giver[1]).call("DELETE", f"/v1/me/coupons/{looped}/offer").body["status"] == "available"
    used = given(api, giver[0], name="已用")
    assert redeem(api, used).status == 201
    assert as_member(api, giver[1]).post(f"/v1/me/coupons/{used}/offer").body["type"].endswith("/coupon-used")


def test_a_gift_counts_against_the_friends_limit_and_never_makes_room_for_the_giver(api, giver, friend):
    created = template(api, transferable=True, per_member_limit=1, claimable=True)
    claim = {"template_id": created["template_id"]}
    mine = as_member(api, giver[1]).post("/v1/me/coupons/claims", claim).body["code"]
    theirs = as_member(api, friend[1]).post("/v1/me/coupons/claims", claim)
    assert theirs.status == 201
    token = offer(api, giver[1], mine)["token"]
    seen = as_member(api, friend[1]).get(f"/v1/me/gifts/{token}").body
    assert (seen["status"], seen["refusal"]) == ("open", "limit-reached")  # said before the member taps
    full = as_member(api, friend[1]).post(f"/v1/me/gifts/{token}/acceptance")
    assert (full.status, full.body["type"].rsplit("/", 1)[1]) == (409, "limit-reached")
    assert as_member(api, giver[1]).get("/v1/me/coupons").body["items"][0]["offered_until"]  # still offered
    again = as_member(api, giver[1]).post("/v1/me/coupons/claims", claim)
    assert again.status == 409  # the giver's count stays whatever becomes of the gift


def test_a_gift_for_some_tiers_is_taken_only_by_their_members(api, giver, friend):
    code = given(api, giver[0], applies_to={"tiers": ["normal"]})
    token = offer(api, giver[1], code)["token"]
    from chalicelib.members.records import MemberRecord

    assert as_member(api, friend[1]).get(f"/v1/me/gifts/{token}").body["refusal"] is None
    record = MemberRecord.find(friend[0])
    record.tier = "gold"
    record.save()
    assert as_member(api, friend[1]).get(f"/v1/me/gifts/{token}").body["refusal"] == "tier-not-applicable"
    refused = as_member(api, friend[1]).post(f"/v1/me/gifts/{token}/acceptance")
    assert (refused.status, refused.body["type"].rsplit("/", 1)[1]) == (409, "tier-not-applicable")


def test_an_open_link_closes_when_the_business_stops_gifts_of_its_template(api, giver, friend):
    code = given(api, giver[0])
    token = offer(api, giver[1], code)["token"]
    template_id = as_member(api, giver[1]).get("/v1/me/coupons").body["items"][0]["template_id"]
    changed = api.patch(f"/v1/coupons/templates/{template_id}", {"transferable": False},
                        headers={**MERGE_PATCH, "if-match": '"1"'})  # fmt: skip
    assert changed.status == 200, changed.body
    seen = as_member(api, friend[1]).get(f"/v1/me/gifts/{token}").body
    assert (seen["status"], seen["refusal"]) == ("closed", None)
    refused = as_member(api, friend[1]).post(f"/v1/me/gifts/{token}/acceptance")
    assert (refused.status, refused.body["reason"]) == (409, "closed")
    assert coupon_entries_add_up(code) == ["issue", "offer"]  # nothing written
    withdrawn = as_member(api, giver[1]).call("DELETE", f"/v1/me/coupons/{code}/offer").body
    assert (withdrawn["status"], withdrawn["offered_until"], withdrawn["transferable"]) == ("available", None, False)


def test_a_cash_refund_takes_back_a_top_up_gift_the_member_gave_a_friend(api, aws, partner, giver, friend):
    """A probe's game otherwise: top up, give the gift coupon to a friend, cash the top-up out, again and again."""
    template(api, name="充值礼", transferable=True, gift={"on": "top_up", "min_top_up_fen": 50_000})
    top_up(api, partner, giver[0], "TU-1")
    deliver(aws, "coupons")
    (code,) = [c["code"] for c in as_member(api, giver[1]).get("/v1/me/coupons").body["items"]]
    received = as_member(api, friend[1]).post(f"/v1/me/gifts/{offer(api, giver[1], code)['token']}/acceptance")
    cash_out(api, giver[0])
    deliver(aws, "coupons")
    assert api.get(f"/v1/coupons/{received.body['code']}").body["coupon"]["status"] == "voided"
    assert coupon_entries_add_up(received.body["code"]) == ["issue", "void"]


def test_the_liability_and_the_templates_figures_are_unchanged_by_a_gift(api, aws, giver, friend):
    code = given(api, giver[0], face_value_fen=3000)
    deliver(aws, "coupons")
    before = api.get("/v1/coupons/liability").body
    as_member(api, friend[1]).post(f"/v1/me/gifts/{offer(api, giver[1], code)['token']}/acceptance")
    deliver(aws, "coupons")
    after = api.get("/v1/coupons/liability").body
    assert {**after, "as_of": None} == {**before, "as_of": None}


def test_a_take_back_follows_a_coupon_given_away_in_the_instant_after_it_read_it(api, giver, friend, monkeypatch):
    """Found by a review: a take-back that read the coupon usable, then met the friend's acceptance committed
    meanwhile, gave up, and the friend kept a coupon whose source was taken back."""
    from chalicelib.coupons import service
    from chalicelib.ledger.model import Source

    code = given(api, giver[0])
    token = offer(api, giver[1], code)["token"]
    real, taken = service.read_coupon_account, []

    def read_then_given(read_code):
        answer = real(read_code)
        if read_code == code and not taken:
            taken.append(True)
            taken.append(as_member(api, friend[1]).post(f"/v1/me/gifts/{token}/acceptance").body["code"])
        return answer

    monkeypatch.setattr(service, "read_coupon_account", read_then_given)
    assert service._void_if_usable(code, Source("cash-refund", "cr-1"), service.VOIDED_CASH_OUT) == 1
    assert api.get(f"/v1/coupons/{taken[1]}").body["coupon"]["status"] == "voided"


def test_a_friend_s_repeat_that_read_the_gift_before_their_first_took_it_gets_the_same_coupon(
    api, giver, friend, monkeypatch
):
    """A double tap: the second read the coupon still offered, then met the transfer its twin had committed; the
    claim committed with the transfer answers it the same coupon, not 409."""
    from chalicelib.coupons import service

    token = offer(api, giver[1], given(api, giver[0]))["token"]
    before = service._gift(token)
    first = as_member(api, friend[1]).post(f"/v1/me/gifts/{token}/acceptance")
    monkeypatch.setattr(service, "_gift", lambda _: before)  # as read before the first committed
    again = as_member(api, friend[1]).post(f"/v1/me/gifts/{token}/acceptance")
    assert (again.status, again.body["code"], again.body["duplicate"]) == (201, first.body["code"], True)
