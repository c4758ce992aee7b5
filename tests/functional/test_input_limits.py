"""Whatever a caller sends, a request the schema cannot take is a 4xx with its field, never a 500, and writes
nothing: dates near the calendar's ends, a time without a UTC offset, an empty lookup, a forged role, null
where a field is required."""

import time

import jwt
import pytest

from chalicelib.identity.tokens import verify_access_token
from chalicelib.shared import clock
from chalicelib.shared.settings import get_settings
from tests.conftest import item_counts, member_token
from tests.functional.test_purchases import order, signed

MERGE_PATCH = {"content-type": "application/merge-patch+json"}
FIRST_INSTANT = "0001-01-01T00:00:00+08:00"
LAST_INSTANT = "9999-12-31T23:59:59-08:00"


@pytest.fixture
def member(api):
    member_id, _ = member_token("13900000001")
    return member_id


def assert_refused(answer, *fields, location="body"):
    assert answer.status == 422, answer.body
    assert answer.headers["content-type"] == "application/problem+json"
    assert {(e["field"], e["in"]) for e in answer.body["errors"]} >= {(field, location) for field in fields}


class TestDatesAtTheEndsOfTheCalendar:
    def test_webhook_events_in_year_one_are_422_and_write_nothing(self, api, partner, member):
        before = item_counts()
        purchase = {**order({"member_id": member}), "occurred_at": FIRST_INSTANT}
        refund = {"refund_id": "R-1", "order_id": "A-1", "occurred_at": FIRST_INSTANT, "amount_fen": 1}
        activity = {"event_id": "E-1", "kind": "review", "member": {"member_id": member}, "occurred_at": FIRST_INSTANT}
        for path, body in (("purchases", purchase), ("refunds", refund), ("activities", activity)):
            assert_refused(signed(api, partner, f"/v1/webhooks/{path}", body), "occurred_at")
        assert item_counts() == before

    @pytest.mark.parametrize("instant", [FIRST_INSTANT, LAST_INSTANT])
    def test_earn_rules_dated_at_the_calendars_ends_are_422_and_write_nothing(self, api, instant):
        before = item_counts()
        assert_refused(api.post("/v1/points/rules", {"effective_from": instant}), "effective_from")
        window = {"name": "Double 11", "starts_at": "2026-11-11T00:00:00+08:00", "ends_at": instant, "factor": 2}
        assert_refused(api.post("/v1/points/rules", {"windows": [window]}), "windows.0.ends_at")
        assert item_counts() == before

    def test_a_rules_preview_at_a_time_without_a_utc_offset_is_422(self, api):
        answer = api.post("/v1/points/rules/preview", {"occurred_at": "2026-11-11T10:00:00", "paid_fen": 100})
        assert_refused(answer, "occurred_at")
        assert "offset" in answer.body["errors"][0]["message"]
        assert_refused(api.post("/v1/points/rules/preview", {"occurred_at": FIRST_INSTANT, "paid_fen": 100}),
                       "occurred_at")  # fmt: skip

    @pytest.mark.parametrize("query", ["from=0001-01-01&to=0001-01-02", "from=9999-12-30&to=9999-12-31"])
    def test_a_stores_purchases_between_days_at_the_calendars_ends_are_422(self, api, partner, query):
        assert_refused(api.get(f"/v1/stores/SH-001/purchases?{query}"), "from", "to", location="query")

    def test_an_audit_read_between_days_at_the_calendars_ends_is_422(self, api):
        assert_refused(api.get("/v1/audit?from=9999-12-30&to=9999-12-31"), "from", "to", location="query")

    def test_points_expiring_in_year_9999_are_422(self, api, member):
        answer = api.post(f"/v1/members/{member}/points/adjustments",
                          {"points": 5, "reason": "goodwill", "expires_on": "9999-12-31"},
                          headers={"idempotency-key": "limits-0001"})  # fmt: skip
        assert_refused(answer, "expires_on")


class TestTierOverrides:
    def override(self, api, member, until):
        body = {"kind": "pin", "tier": "silver", "until": until, "reason": "员工等级"}
        return api.call("PUT", f"/v1/members/{member}/tier/override", body)

    @pytest.mark.parametrize("until", ["9999-12-31", "9998-12-31", "2100-12-31"])
    def test_an_override_ends_at_most_ten_years_ahead(self, api, member, until):
        before = item_counts()
        assert_refused(self.override(api, member, until), "until")
        assert item_counts() == before

    def test_an_override_may_end_ten_years_ahead_but_not_in_the_past(self, api, member):
        today = clock.business_today()
        assert self.override(api, member, today.replace(year=today.year + 10).isoformat()).status == 200
        assert_refused(self.override(api, member, "2020-01-01"), "until")


class TestEmptyBodies:
    @pytest.mark.parametrize("raw", [b"", b"{}"])
    def test_a_lookup_naming_nobody_is_422(self, api, raw):
        answer = api.post("/v1/members/lookup", raw=raw)
        assert_refused(answer, "")
        assert "exactly one" in answer.body["errors"][0]["message"]


class TestForgedTokens:
    def forged(self, api, **claims):
        real = verify_access_token(api.token)
        now = int(time.time())
        payload = {"iss": "loyalty", "aud": "loyalty-api", "sub": real.subject, "iat": now, "exp": now + 600,
                   "roles": ["admin"], "stores": [], "gen": real.generation, **claims}  # fmt: skip
        return jwt.encode(payload, get_settings().jwt_secret, algorithm="HS256")

    @pytest.mark.parametrize(
        "claims", [{"roles": ["wizard"]}, {"roles": "admin"}, {"roles": [7]}, {"stores": 5}, {"stores": [None]}]
    )
    def test_a_signed_token_with_claims_no_account_could_hold_is_401(self, api, member, claims):
        token = self.forged(api, **claims)
        for path in ("/v1/stores", f"/v1/members/{member}"):
            answer = api.as_(token).get(path)
            assert answer.status == 401, answer.body
            assert answer.body["type"].endswith("/unauthenticated")


class TestNullInMergePatches:
    def test_null_on_a_staff_accounts_fields_is_422_and_changes_nothing(self, api):
        staff = api.post("/v1/staff", {"username": "bob", "display_name": "Bob", "password": "a long password 1",
                                       "roles": ["cashier"]}).body  # fmt: skip
        for field in ("display_name", "roles", "stores", "status"):
            answer = api.patch(f"/v1/staff/{staff['staff_id']}", {field: None},
                               headers={**MERGE_PATCH, "if-match": '"1"'})  # fmt: skip
            assert_refused(answer, field)
        assert api.get(f"/v1/staff/{staff['staff_id']}").body == staff

    def test_null_on_a_partners_fields_is_422_and_changes_nothing(self, api, partner):
        before = api.get(f"/v1/partners/{partner[0]}").body
        for field in ("name", "stores", "all_stores", "enrols_members", "status"):
            answer = api.patch(f"/v1/partners/{partner[0]}", {field: None}, headers={**MERGE_PATCH, "if-match": '"1"'})
            assert_refused(answer, field)
        assert api.get(f"/v1/partners/{partner[0]}").body == before


class TestPersonalDataInReasons:
    """A reason staff type is shown to the member and travels in the write's event to the audit log and the BI files,
    which hold no personal data: a phone number, an email address or an ID number in one is 422, and nothing is
    written. An order number is not a phone."""

    @pytest.mark.parametrize("reason", ["张三 13812345678 投诉补偿", "回电 138-1234-5678", "邮件 zhang@example.com",
                                        "身份证 11010519491231002X 核实"])  # fmt: skip
    def test_a_reason_holding_personal_data_is_422_and_writes_nothing(self, api, member, reason):
        before = item_counts()
        for n, (path, body) in enumerate((
            (f"/v1/members/{member}/points/adjustments", {"points": 10, "reason": reason}),
            (f"/v1/members/{member}/points/redemptions", {"points": 1, "reason": reason}),
            (f"/v1/members/{member}/tier/override", {"kind": "floor", "tier": "gold", "until": "2030-12-31",
                                                     "reason": reason}),
        )):  # fmt: skip
            method = "PUT" if path.endswith("override") else "POST"
            answer = api.call(method, path, body, headers={"idempotency-key": f"pii-{hash(reason)}-{n}"})
            assert_refused(answer, "reason")
            assert "personal data" in answer.body["errors"][0]["message"]
        assert item_counts() == before

    def test_an_order_number_in_a_reason_is_not_personal_data(self, api, member):
        for n, reason in enumerate(("美团订单 123456789012345678 退款补偿", "订单 20261202138123456789 补积分")):
            answer = api.post(f"/v1/members/{member}/points/adjustments", {"points": 10, "reason": reason},
                              headers={"idempotency-key": f"order-number-{n}"})  # fmt: skip
            assert answer.status == 201, answer.body
