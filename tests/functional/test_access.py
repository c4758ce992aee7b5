"""Every route knows who is calling: the permission matrix (staff roles, members, partners), staff sessions,
store scopes and masking."""

import re
import time
from datetime import datetime, timedelta

import jwt
import pytest

import app
import chalicelib.declarations  # noqa: F401  declares every route, so the matrix below sees them all
from chalicelib.identity import service as staff
from chalicelib.identity.access import (
    AnyStaff,
    MemberSelf,
    PartnerOrStaff,
    PartnerSigned,
    Public,
    Staff,
    StaffOrMember,
    StaffOrSelf,
)
from chalicelib.identity.records import StaffRecord
from chalicelib.identity.rules import PERMISSIONS, Permission, Role
from chalicelib.members import service as members
from chalicelib.shared import clock
from chalicelib.shared.http import ENDPOINTS
from tests.conftest import STAFF_PASSWORD, item_counts, member_token, signed_headers, token_for

ROUTES = sorted({(spec.path, spec.method) for spec in ENDPOINTS})
SELF_ROUTES = sorted({(spec.path, spec.method) for spec in ENDPOINTS if isinstance(spec.access, StaffOrSelf)})


def spec_of(path, method):
    return next(spec for spec in ENDPOINTS if (spec.path, spec.method) == (path, method))


def concrete(path, member_id="x"):
    return re.sub(r"{\w+}", "x", path.replace("{member_id}", member_id))


PUBLIC_ROUTES = {  # the issue's list: health, OpenAPI, docs, staff login, member SMS-code and login routes
    ("/v1/health", "GET"), ("/v1/openapi.json", "GET"), ("/v1/docs", "GET"), ("/v1/docs/assets/{name}", "GET"),
    ("/v1/auth/token", "POST"), ("/v1/auth/refresh", "POST"), ("/v1/auth/logout", "POST"),
    ("/v1/auth/otp", "POST"), ("/v1/auth/member-token", "POST"),
    # a signed unsubscribe link's token is its own proof; SMS providers sign nothing, so their callback URL holds
    # our secret token (both checked by the route, 422 / 401 without)
    ("/v1/unsubscribe", "GET"), ("/v1/unsubscribe", "POST"), ("/v1/notifications/sms-replies/{provider}", "POST"),
    # what joining accepts is read before anyone logs in: the membership agreement and privacy policy, published text
    ("/v1/agreements", "GET"), ("/v1/agreements/{kind}/versions", "GET"),
}  # fmt: skip
FALLBACK_PATHS = {"/", "/{proxy+}"}  # answer 404 problem+json for paths no route serves


def test_every_served_route_has_an_access_rule_and_only_the_listed_ones_are_public():
    """A route added with a bare ``@app.route`` (no access rule), left out of the route index, or made public by
    mistake fails here."""
    served = {(path, method) for path, methods in app.app.routes.items() for method in methods
              if method != "OPTIONS" and path not in FALLBACK_PATHS}  # fmt: skip
    assert served == set(ROUTES)
    assert {(spec.path, spec.method) for spec in ENDPOINTS if isinstance(spec.access, Public)} == PUBLIC_ROUTES


def test_preflight_and_fallback_routes_serve_no_data(api):
    for path in ("/v1/staff", "/v1/members/x", "/v1/audit"):
        preflight = api.as_(None).call("OPTIONS", path)
        assert (preflight.status, preflight.body) == (204, ""), path
    for method in ("GET", "POST", "DELETE"):
        missing = api.as_(None).call(method, "/v1/staff-dump")
        assert (missing.status, missing.body["type"].rsplit("/", 1)[1]) == (404, "not-found"), method


@pytest.fixture
def tokens(api):
    return {role: token_for([role.value]) for role in Role}


@pytest.fixture
def partner(api):
    issued = api.post("/v1/partners", {"name": "POS", "all_stores": True}).body
    return issued["partner_id"], issued["secret"]


@pytest.mark.parametrize(("path", "method"), ROUTES)
def test_every_route_answers_only_the_callers_its_rule_admits(api, tokens, partner, path, method):
    """Each role, a member and a partner against every route: allowed ones get past the door (neither 401
    nor 403), the others are refused with the status the rule names."""
    spec = spec_of(path, method)
    access, body = spec.access, ({} if spec.body else None)
    member_id, member = member_token()
    url = concrete(path, member_id)
    anonymous = api.as_(None).call(method, url, body)
    if isinstance(access, Public):
        assert anonymous.status not in (401, 403), (path, method)
        return
    assert anonymous.status == 401, (path, method)
    assert anonymous.body["type"].endswith("/unauthenticated")
    forged = jwt.encode({"sub": "staff:x", "aud": "loyalty-api"}, "a-wrong-key-of-thirty-two-bytes!", algorithm="HS256")
    assert api.as_(forged).call(method, url, body).status == 401
    as_member = api.as_(member).call(method, url, body).status
    by_role = {role: api.as_(token).call(method, url, body).status for role, token in tokens.items()}
    if isinstance(access, PartnerSigned):
        assert {as_member, *by_role.values()} == {401}, (path, method)
        raw = b"{}"
        good = api.as_(None).call(method, url, raw=raw, headers=signed_headers(*partner, raw))
        assert good.status not in (401, 403), (path, method)
        return
    if isinstance(access, MemberSelf):
        named = "{" in path  # a route naming one of the member's own things (an order): 404 for one they do not have
        assert as_member not in ((401, 403) if named else (401, 403, 404)), (path, method)
        assert set(by_role.values()) == {403}, (path, method)
        return
    if isinstance(access, AnyStaff):
        assert as_member == 403, (path, method)
        assert not {401, 403} & set(by_role.values()), (path, method, by_role)
        return
    if isinstance(access, PartnerOrStaff):
        raw = b"{}"
        good = api.as_(None).call(method, url, raw=raw, headers=signed_headers(*partner, raw))
        assert good.status not in (401, 403), (path, method)
        unsigned = api.as_(None).call(method, url, raw=raw, headers={"X-Partner-Id": partner[0]})
        assert unsigned.status == 401, (path, method)
    assert isinstance(access, Staff | StaffOrSelf | PartnerOrStaff | StaffOrMember), (
        f"{path} {method}: an access rule this test does not know"
    )
    if isinstance(access, StaffOrSelf):
        named = path.count("{") > 1  # it names one of the member's things too (a card): 404 for one they lack
        assert as_member not in ((401, 403) if named else (401, 403, 404)), (path, method)
    elif isinstance(access, StaffOrMember):
        assert as_member not in (401, 403), (path, method)  # past the door: the service knows whose it is
    else:
        assert as_member == 403, (path, method)
    for role, status in by_role.items():
        if access.permission in PERMISSIONS[role]:
            assert status not in (401, 403), (path, method, role)
        else:
            assert status == 403, (path, method, role)


SERVE_ROUTES = {  # a chain serves its members at every store: these reach any member, whatever the caller's stores
    ("/v1/members/lookup", "POST"), ("/v1/members/{member_id}", "GET"), ("/v1/members/{member_id}/counter", "GET"),
    ("/v1/members/{member_id}/points", "GET"), ("/v1/members/{member_id}/points/ledger", "GET"),
    ("/v1/members/{member_id}/points/redemptions", "POST"), ("/v1/members/{member_id}/points/adjustments", "POST"),
    ("/v1/members/{member_id}/points/redemptions/{redemption_id}/reversal", "POST"),
    ("/v1/members/{member_id}/tier", "GET"), ("/v1/members/{member_id}/growth", "GET"),
    ("/v1/members/{member_id}/purchases", "GET"), ("/v1/members/{member_id}/wallet", "GET"),
    ("/v1/members/{member_id}/wallet/entries", "GET"), ("/v1/members/{member_id}/wallet/payments", "POST"),
    ("/v1/members/{member_id}/wallet/payments/{payment_id}/refunds", "POST"),
    ("/v1/members/{member_id}/wallet/payments/{payment_id}", "GET"),
    ("/v1/members/{member_id}/purchases", "POST"), ("/v1/members/{member_id}/purchases/{order_id}/refunds", "POST"),
    ("/v1/members/{member_id}/wallet/top-ups", "POST"),
    ("/v1/members/{member_id}/sales/{order_id}", "GET"), ("/v1/members/{member_id}/open-sales", "GET"),
    ("/v1/members/{member_id}/mall/orders", "GET"),
    ("/v1/members/{member_id}/coupons", "GET"),
    ("/v1/members/{member_id}/messages", "GET"), ("/v1/members/{member_id}/message-preferences", "GET"),
    ("/v1/members/{member_id}/message-preferences", "PATCH"), ("/v1/members/{member_id}/consent-history", "GET"),
    ("/v1/members/{member_id}/cards", "GET"), ("/v1/members/{member_id}/cards/{card_id}/history", "GET"),
    ("/v1/members/{member_id}/cards", "POST"),
    ("/v1/members/{member_id}/cards/{card_id}/cancellation", "POST"), ("/v1/members/{member_id}/benefits", "GET"),
    ("/v1/members/{member_id}/cards/{card_id}/cancellation-quote", "GET"),
    ("/v1/members/{member_id}/cards/{card_id}/pauses", "POST"),
    ("/v1/members/{member_id}/cards/{card_id}/extensions", "POST"),
    ("/v1/members/{member_id}/cards/{card_id}/activation", "POST"),
    ("/v1/members/{member_id}/cards/{card_id}/pauses/{pause_id}", "DELETE"),
    ("/v1/members/{member_id}/benefits/uses", "GET"),
    ("/v1/members/{member_id}/benefits/{benefit_id}/uses", "POST"),
    ("/v1/members/{member_id}/benefits/{benefit_id}/uses/{use_id}", "DELETE"),
    ("/v1/members/{member_id}/students", "POST"),
    ("/v1/members/{member_id}/till-codes", "POST"),
}  # fmt: skip
MEMBER_ROUTES = sorted((spec.path, spec.method) for spec in ENDPOINTS
                       if "{member_id}" in spec.path and isinstance(spec.access, Staff | StaffOrSelf))  # fmt: skip
VALID_BODIES = {
    ("/v1/members/{member_id}", "PATCH"): {"city": "x"},
    ("/v1/members/{member_id}/message-preferences", "PATCH"): {"note": "at the counter", "language": "en"},
    ("/v1/members/{member_id}/points/redemptions", "POST"): {"points": 1, "reason": "x"},
    ("/v1/members/{member_id}/points/adjustments", "POST"): {"points": 1, "reason": "x"},
    ("/v1/members/{member_id}/tier/override", "PUT"): {"kind": "floor", "tier": "gold", "until": "2030-01-01",
                                                       "reason": "x"},
    ("/v1/members/{member_id}/wallet/cash-refunds", "POST"): {"store_id": "SH-001", "reason": "x"},
    ("/v1/members/{member_id}/wallet/payments", "POST"): {"store_id": "SH-001", "amount_fen": 1, "order_id": "x",
                                                          "member_code": "shown now"},
    ("/v1/members/{member_id}/cards/{card_id}/cancellation", "POST"): {"cancel_id": "x", "reason": "x"},
    ("/v1/members/{member_id}/cards/{card_id}/pauses", "POST"): {"pause_id": "x", "days": 7, "reason": "x"},
    ("/v1/members/{member_id}/cards/{card_id}/extensions", "POST"): {"extension_id": "x", "days": 7, "reason": "x"},
    ("/v1/members/{member_id}/wallet/payments/{payment_id}/refunds", "POST"): {"amount_fen": 1, "reason": "x"},
    ("/v1/members/{member_id}/benefits/{benefit_id}/uses", "POST"): {"use_id": "x", "store_id": "SH-001"},
    ("/v1/members/{member_id}/wallet/top-ups", "POST"): {"store_id": "SH-001", "order_id": "x", "amount_fen": 1},
    ("/v1/members/{member_id}/cards", "POST"): {"plan_id": "x", "store_id": "SH-001", "order_id": "x",
                                               "amount_fen": 1},
    ("/v1/members/{member_id}/purchases", "POST"): {"order_id": "x", "store_id": "SH-001", "total_fen": 100,
                                                   "paid_fen": 100, "payment_method": "cash"},
    ("/v1/members/{member_id}/purchases/{order_id}/refunds", "POST"): {"amount_fen": 1},
    ("/v1/members/{member_id}/students", "POST"): {"name": "小明", "guardian_consent": True},
}  # fmt: skip


def valid_body(path, method, member_id):
    """A valid body of the route for ``member_id``: a member code is the one their pages show now."""
    body = VALID_BODIES.get((path, method))
    if body and "member_code" in body:
        return {**body, "member_code": members.member_code(member_id).code}
    return body


def test_the_serve_routes_are_the_listed_ones():
    """A route that starts serving every member of the chain (or stops) fails here until the README says so."""
    serving = {(spec.path, spec.method) for spec in ENDPOINTS if getattr(spec.access, "serves", False)}
    assert serving == SERVE_ROUTES


@pytest.mark.parametrize(("path", "method"), MEMBER_ROUTES)
def test_store_scope_limits_whom_staff_manage_never_whom_they_serve(api, path, method):
    """A scoped admin (every permission, one store) against a member of another store: serve routes reach
    them; manage routes answer 404 exactly as for a member who does not exist."""
    api.post("/v1/stores", {"store_id": "BJ-001", "name": "BJ", "city": "c", "region": "r"})
    member = api.post("/v1/members", {"name": "京", "phone": "13800000002", "home_store_id": "BJ-001"}).body
    scoped = api.as_(token_for(["admin"], ("SH-001",)))
    headers = {"idempotency-key": "serve-or-manage-1", "if-match": '"1"',
               **({"content-type": "application/merge-patch+json"} if method == "PATCH" else {})}  # fmt: skip
    answer = scoped.call(method, concrete(path, member["member_id"]), valid_body(path, method, member["member_id"]),
                         headers=headers)  # fmt: skip
    not_reached = answer.status == 404 and answer.body["detail"] == f"No member {member['member_id']!r}"
    assert answer.status != 422, (path, method, answer.body)  # give it a valid body above
    assert not_reached is ((path, method) not in SERVE_ROUTES), (path, method, answer.status, answer.body)


CHAIN_ROUTES = {  # the whole chain's configuration, figures, lists and jobs: no store scope can limit them
    ("/v1/agreements", "POST"), ("/v1/audit", "GET"), ("/v1/coupons/liability", "GET"),
    ("/v1/reports/liability", "GET"),
    ("/v1/coupons/templates", "GET"), ("/v1/coupons/templates", "POST"), ("/v1/coupons/templates/{template_id}", "GET"),
    ("/v1/coupons/templates/{template_id}", "PATCH"), ("/v1/coupons/templates/{template_id}/batches", "POST"),
    ("/v1/coupons/templates/{template_id}/issues", "POST"), ("/v1/coupons/batches/{batch_id}", "GET"),
    ("/v1/coupons/batches/{batch_id}/codes", "GET"), ("/v1/coupons/batches/{batch_id}/start", "POST"),
    ("/v1/jobs", "GET"), ("/v1/jobs/{job}/runs", "GET"), ("/v1/jobs/{job}/runs", "POST"),
    ("/v1/jobs/{job}/runs/{run_id}", "GET"), ("/v1/jobs/{job}/preview", "GET"),
    ("/v1/mall/rewards", "GET"), ("/v1/mall/rewards", "POST"), ("/v1/mall/rewards/{reward_id}", "GET"),
    ("/v1/mall/rewards/ranking", "GET"),
    ("/v1/gift-cards/batches", "GET"), ("/v1/gift-cards/batches", "POST"),
    ("/v1/gift-cards/batches/{batch_id}/codes", "POST"), ("/v1/gift-cards/batches/{batch_id}/void", "POST"),
    ("/v1/gift-cards/{number}/extension", "POST"),
    ("/v1/catalog/names", "PUT"),
    ("/v1/mall/rewards/{reward_id}", "PATCH"), ("/v1/media/uploads", "POST"), ("/v1/media/pictures", "POST"),
    ("/v1/membership/plans", "POST"), ("/v1/membership/plans/{plan_id}", "PATCH"),
    ("/v1/notifications/announcements", "POST"), ("/v1/notifications/policy", "GET"),
    ("/v1/notifications/policy", "PATCH"), ("/v1/notifications/report", "GET"), ("/v1/notifications/templates", "GET"),
    ("/v1/notifications/templates/{kind}/{channel}", "PUT"), ("/v1/notifications/templates/{kind}/{channel}", "DELETE"),
    ("/v1/notifications/unsent", "GET"),
    ("/v1/points/rules", "POST"), ("/v1/points/rules/preview", "POST"), ("/v1/stores", "POST"),
    ("/v1/points/adjustment-batches", "POST"),
    ("/v1/tiers/preview", "POST"), ("/v1/tiers/programmes", "POST"), ("/v1/tiers/programmes/{version}/apply", "POST"),
    ("/v1/tiers/runs/{run_id}", "GET"),
}  # fmt: skip


def test_the_chain_routes_are_the_listed_ones():
    """A route that starts acting on the whole chain (or stops) fails here until the README says so."""
    assert {(spec.path, spec.method) for spec in ENDPOINTS if getattr(spec.access, "chain", False)} == CHAIN_ROUTES


@pytest.mark.parametrize(("path", "method"), sorted(CHAIN_ROUTES))
def test_staff_scoped_to_stores_are_refused_what_acts_on_the_whole_chain(api, path, method):
    """A scoped admin (every permission, one store) sending SMS to the chain's members, reading the chain's audit
    log or liability, or changing what every store uses: 403 and nothing written."""
    scoped = api.as_(token_for(["admin"], ("SH-001",)))
    before = item_counts()
    answer = scoped.call(method, concrete(path), {} if spec_of(path, method).body else None,
                         headers={"idempotency-key": "chain-route-1", "if-match": '"1"'})  # fmt: skip
    assert (answer.status, answer.body["type"].rsplit("/", 1)[1]) == (403, "forbidden"), (path, method)
    assert "whole chain" in answer.body["detail"]
    assert item_counts() == before


def test_there_are_member_routes_that_name_a_member():
    assert ("/v1/members/{member_id}", "GET") in SELF_ROUTES


@pytest.mark.parametrize(("path", "method"), SELF_ROUTES)
def test_a_member_naming_another_member_finds_nothing(api, path, method):
    """Every route a member may call with a member id answers 404 for a second member's id, as for an id
    that does not exist: nothing tells the caller the other member is there."""
    _, token = member_token("13900000001")
    other_id, _ = member_token("13900000002")
    body = {} if spec_of(path, method).body else None
    other = api.as_(token).call(method, concrete(path, other_id), body)
    nobody = api.as_(token).call(method, concrete(path, "mb_nobody"), body)
    assert other.status == nobody.status == 404
    without_instance = [{k: v for k, v in answer.body.items() if k != "instance"} for answer in (other, nobody)]
    assert without_instance[0] == without_instance[1]


class TestStaffSessions:
    @pytest.fixture(autouse=True)
    def desk(self, api):
        body = {"username": "desk", "display_name": "Front desk", "password": STAFF_PASSWORD, "roles": ["admin"]}
        assert api.post("/v1/staff", body).status == 201

    def login(self, api, username="desk", password=STAFF_PASSWORD):
        return api.as_(None).post("/v1/auth/token", {"username": username, "password": password})

    def test_log_in_refresh_once_and_log_out(self, api):
        tokens = self.login(api).body
        assert tokens["token_type"] == "bearer"
        assert tokens["expires_in"] == 900
        assert api.as_(tokens["access_token"]).get("/v1/staff").status == 200
        renewed = api.as_(None).post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
        assert renewed.status == 200
        again = api.as_(None).post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
        assert again.status == 401
        refresh = renewed.body["refresh_token"]
        assert api.as_(None).post("/v1/auth/logout", {"refresh_token": refresh}).status == 204
        assert api.as_(None).post("/v1/auth/refresh", {"refresh_token": refresh}).status == 401

    def test_a_refresh_keeps_the_log_in_time(self, api):
        tokens = self.login(api).body
        with clock.frozen(clock.now() + timedelta(minutes=20)):
            renewed = api.as_(None).post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}).body
        [logged_in, kept] = [jwt.decode(body["access_token"], options={"verify_signature": False})["auth_time"]
                             for body in (tokens, renewed)]  # fmt: skip
        assert kept == logged_in

    def test_wrong_password_and_unknown_user_look_the_same(self, api):
        wrong = self.login(api, password="not the password")
        unknown = self.login(api, username="nobody")
        assert wrong.status == unknown.status == 401
        assert wrong.body["detail"] == unknown.body["detail"]

    def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(self, api):
        for _ in range(5):
            assert self.login(api, password="not the password").status == 401
        locked = self.login(api)
        assert locked.status == 429
        assert 800 <= int(locked.headers["retry-after"]) <= 901
        with clock.frozen(clock.now() + timedelta(minutes=16)):
            assert self.login(api).status == 200

    def test_an_access_token_expires(self, api):
        token = self.login(api).body["access_token"]
        with clock.frozen(clock.now() + timedelta(minutes=16)):
            answer = api.as_(token).get("/v1/staff")
        assert answer.status == 401

    def test_a_disabled_account_cannot_log_in_or_refresh(self, api):
        staff = api.post("/v1/staff", {"username": "temp", "display_name": "Temp", "password": STAFF_PASSWORD,
                                       "roles": ["cashier"]}).body  # fmt: skip
        refresh = self.login(api, "temp").body["refresh_token"]
        disabled = api.patch(f"/v1/staff/{staff['staff_id']}", {"status": "disabled"},
                             headers={"content-type": "application/merge-patch+json", "if-match": '"1"'})  # fmt: skip
        assert disabled.body["status"] == "disabled"
        assert self.login(api, "temp").status == 401
        assert api.as_(None).post("/v1/auth/refresh", {"refresh_token": refresh}).status == 401


class TestStaffSessionsEnd:
    """Disabling, re-roling, re-scoping and a new password end every session of the account: refresh tokens at
    once, access tokens within the session cache age (at once in the process that made the change)."""

    @pytest.fixture
    def cashier(self, api):
        body = {"username": "till", "display_name": "Till", "password": STAFF_PASSWORD, "roles": ["cashier"]}
        staff_id = api.post("/v1/staff", body).body["staff_id"]
        tokens = api.as_(None).post("/v1/auth/token", {"username": "till", "password": STAFF_PASSWORD}).body
        assert api.as_(tokens["access_token"]).get("/v1/stores").status == 200  # its account is now cached here
        return f"/v1/staff/{staff_id}", tokens

    def later(self, monkeypatch):
        """As seen once the session cache has aged out, in any process."""
        assert staff.SESSION_CACHE_SECONDS <= 30
        moved = time.monotonic() + staff.SESSION_CACHE_SECONDS
        monkeypatch.setattr(time, "monotonic", lambda: moved)

    def edit(self, api, path, change):
        version = api.get(path).headers["etag"]
        return api.patch(path, change, headers={"content-type": "application/merge-patch+json", "if-match": version})

    def refresh(self, api, tokens):
        return api.as_(None).post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})

    def test_a_disabled_accounts_access_token_is_refused(self, api, cashier, monkeypatch):
        path, tokens = cashier
        assert self.edit(api, path, {"status": "disabled"}).status == 200
        self.later(monkeypatch)
        refused = api.as_(tokens["access_token"]).get("/v1/stores")
        assert (refused.status, refused.headers["www-authenticate"]) == (401, 'Bearer error="invalid_token"')
        assert "invalid_token" not in self.refresh(api, tokens).headers.get("www-authenticate", "")  # a log-in's 401
        assert self.edit(api, path, {"status": "active"}).status == 200
        assert api.as_(tokens["access_token"]).get("/v1/stores").status == 401  # enabling again revives nothing
        assert self.refresh(api, tokens).status == 401

    def test_a_change_made_elsewhere_holds_within_the_cache_age(self, api, cashier, monkeypatch):
        path, tokens = cashier
        staff_id = path.rpartition("/")[2]
        StaffRecord.get(staff_id).update(actions=[StaffRecord.status.set("disabled")])  # as another instance would
        assert api.as_(tokens["access_token"]).get("/v1/stores").status == 200  # cached here
        self.later(monkeypatch)
        assert api.as_(tokens["access_token"]).get("/v1/stores").status == 401

    def test_a_re_roled_accounts_old_tokens_are_refused_and_a_new_log_in_gets_the_new_roles(
        self, api, cashier, monkeypatch
    ):
        path, tokens = cashier
        assert self.edit(api, path, {"roles": ["store_manager"]}).status == 200
        assert self.refresh(api, tokens).status == 401  # at once
        self.later(monkeypatch)
        assert api.as_(tokens["access_token"]).get("/v1/stores").status == 401
        fresh = api.as_(None).post("/v1/auth/token", {"username": "till", "password": STAFF_PASSWORD}).body
        claims = jwt.decode(fresh["access_token"], options={"verify_signature": False})
        assert claims["roles"] == ["store_manager"]
        assert api.as_(fresh["access_token"]).get("/v1/stores").status == 200
        assert self.refresh(api, fresh).status == 200

    def test_a_re_scoped_accounts_old_tokens_are_refused(self, api, cashier, monkeypatch):
        path, tokens = cashier
        api.post("/v1/stores", {"store_id": "SH-001", "name": "SH", "city": "c", "region": "r"})
        assert self.edit(api, path, {"stores": ["SH-001"]}).status == 200
        self.later(monkeypatch)
        assert api.as_(tokens["access_token"]).get("/v1/stores").status == 401

    def test_a_password_reset_ends_every_session(self, api, cashier, monkeypatch):
        path, tokens = cashier
        assert api.call("PUT", f"{path}/password", {"password": "another long password"}).status == 204
        assert self.refresh(api, tokens).status == 401
        self.later(monkeypatch)
        assert api.as_(tokens["access_token"]).get("/v1/stores").status == 401
        login = api.as_(None).post("/v1/auth/token", {"username": "till", "password": "another long password"})
        assert api.as_(login.body["access_token"]).get("/v1/stores").status == 200

    def test_an_admin_who_resets_their_own_password_logs_in_again(self, api):
        """Staff have no password change of their own: a reset is an admin's act and ends every session."""
        body = {"username": "boss", "display_name": "Boss", "password": STAFF_PASSWORD, "roles": ["admin"]}
        path = f"/v1/staff/{api.post('/v1/staff', body).body['staff_id']}"
        tokens = api.as_(None).post("/v1/auth/token", {"username": "boss", "password": STAFF_PASSWORD}).body
        boss = api.as_(tokens["access_token"])
        assert boss.call("PUT", f"{path}/password", {"password": "another long password"}).status == 204
        assert boss.get("/v1/staff").status == 401
        assert self.refresh(api, tokens).status == 401

    def test_renaming_keeps_the_sessions(self, api, cashier, monkeypatch):
        path, tokens = cashier
        assert self.edit(api, path, {"display_name": "Till 2", "roles": ["cashier"]}).status == 200
        self.later(monkeypatch)
        assert api.as_(tokens["access_token"]).get("/v1/stores").status == 200
        assert self.refresh(api, tokens).status == 200

    def test_the_session_check_reads_the_account_once_per_cache_period(self, api, cashier, monkeypatch):
        _, tokens = cashier
        reads, find = [], StaffRecord.find
        monkeypatch.setattr(StaffRecord, "find", lambda *key: reads.append(key) or find(*key))
        staff._sessions.clear()
        for _ in range(3):
            assert api.as_(tokens["access_token"]).get("/v1/stores").status == 200
        assert len(reads) == 1
        self.later(monkeypatch)
        assert api.as_(tokens["access_token"]).get("/v1/stores").status == 200
        assert len(reads) == 2


class TestStaffAdministration:
    def test_create_re_role_and_reset(self, api):
        api.post("/v1/stores", {"store_id": "SH-001", "name": "SH", "city": "c", "region": "r"})
        created = api.post("/v1/staff", {"username": "Li.Na", "display_name": "李娜", "password": STAFF_PASSWORD,
                                         "roles": ["cashier"], "stores": ["SH-001"]})  # fmt: skip
        assert created.status == 201
        assert (created.body["username"], created.body["stores"]) == ("li.na", ["SH-001"])
        assert "password" not in str(created.body)
        path = f"/v1/staff/{created.body['staff_id']}"
        patch = {"content-type": "application/merge-patch+json", "if-match": '"1"'}
        assert api.patch(path, {"roles": ["store_manager"]}, headers=patch).body["roles"] == ["store_manager"]
        assert api.patch(path, {"roles": ["cashier"]}, headers=patch).status == 412
        assert api.call("PUT", f"{path}/password", {"password": "another long password"}).status == 204
        login = api.as_(None).post("/v1/auth/token", {"username": "li.na", "password": "another long password"})
        assert login.status == 200

    def test_an_admin_cannot_lock_themself_out(self, api):
        body = {"username": "boss", "display_name": "Boss", "password": STAFF_PASSWORD, "roles": ["admin"]}
        boss_id = api.post("/v1/staff", body).body["staff_id"]
        boss = api.as_(api.as_(None).post("/v1/auth/token", {"username": "boss", "password": STAFF_PASSWORD}).body[
            "access_token"])  # fmt: skip
        patch = {"content-type": "application/merge-patch+json", "if-match": '"1"'}
        for change in ({"status": "disabled"}, {"roles": ["finance"]}):
            refused = boss.patch(f"/v1/staff/{boss_id}", change, headers=patch)
            assert refused.status == 409
            assert refused.body["type"].endswith("/locking-out")
        assert boss.patch(f"/v1/staff/{boss_id}", {"roles": ["admin", "finance"]}, headers=patch).status == 200
        assert (
            api.patch(f"/v1/staff/{boss_id}", {"status": "disabled"}, headers={**patch, "if-match": '"2"'}).status
            == 200
        )

    def test_two_admins_disabling_each_other_at_once_leave_one_of_them_active(self, api):
        """Each passed the access check while still active; the one committing second finds itself disabled (or no
        longer an admin) and is refused, so the platform keeps an active admin."""
        from chalicelib.shared.versions import ANY_VERSION as ANY

        ids = [api.post("/v1/staff", {"username": name, "display_name": name, "password": STAFF_PASSWORD,
                                      "roles": ["admin"]}).body["staff_id"] for name in ("ann", "bob")]  # fmt: skip
        ann, bob = ids
        for change in ({"status": "disabled"}, {"roles": ["finance"]}):
            staff.update_staff(ann, change, ANY, by=bob)  # bob's request commits first
            before = item_counts()
            with pytest.raises(staff.LockingOut):  # ann's, checked while she was an active admin, commits next
                staff.update_staff(bob, change, ANY, by=ann)
            assert item_counts() == before
            kept = StaffRecord.get(bob)
            assert (kept.status, "admin" in kept.roles) == ("active", True)
            staff.update_staff(ann, {"status": "active", "roles": ["admin"]}, ANY, by=bob)
            ann, bob = bob, ann  # and the other way round

    def test_a_store_scoped_admin_grants_and_edits_only_within_their_stores(self, api):
        """An admin of SH-001 cannot make an admin of every store, widen their own scope, touch a chain admin's
        account, or create or re-key a partner for every store: 403 and nothing written."""
        for store_id in ("SH-001", "BJ-001"):
            api.post("/v1/stores", {"store_id": store_id, "name": store_id, "city": "c", "region": "r"})
        scoped = api.as_(token_for(["admin"], ("SH-001",)))
        me = scoped.get("/v1/staff/me").body["staff_id"]
        chain = api.post("/v1/staff", {"username": "chain", "display_name": "C", "password": STAFF_PASSWORD,
                                       "roles": ["admin"]}).body["staff_id"]  # fmt: skip
        body = {"username": "sh.admin", "display_name": "X", "password": STAFF_PASSWORD, "roles": ["admin"]}
        before = item_counts()
        assert scoped.post("/v1/staff", {**body, "stores": []}).status == 403
        assert scoped.post("/v1/staff", {**body, "stores": ["SH-001", "BJ-001"]}).status == 403
        patch = {"content-type": "application/merge-patch+json", "if-match": "*"}
        assert scoped.patch(f"/v1/staff/{me}", {"stores": []}, headers=patch).status == 403
        assert scoped.patch(f"/v1/staff/{chain}", {"status": "disabled"}, headers=patch).status == 403
        assert scoped.call("PUT", f"/v1/staff/{chain}/password", {"password": "another long password"}).status == 403
        assert scoped.post("/v1/partners", {"name": "p", "all_stores": True}).status == 403
        assert item_counts() == before
        demo = api.post("/v1/partners", {"name": "chain POS", "all_stores": True}).body["partner_id"]
        before = item_counts()
        assert scoped.post(f"/v1/partners/{demo}/secrets").status == 403
        assert item_counts() == before
        assert scoped.post("/v1/staff", {**body, "stores": ["SH-001"]}).status == 201  # within: fine

    def test_a_taken_username_is_409_and_a_weak_password_422(self, api):
        body = {"username": "dup", "display_name": "D", "password": STAFF_PASSWORD, "roles": ["cashier"]}
        assert api.post("/v1/staff", body).status == 201
        assert api.post("/v1/staff", body).status == 409
        assert api.post("/v1/staff", {**body, "username": "weak", "password": "short"}).status == 422
        assert api.post("/v1/staff", {**body, "username": "norole", "roles": ["janitor"]}).status == 422


class TestScopeAndMasking:
    @pytest.fixture
    def members(self, api):
        for store_id in ("SH-001", "BJ-001"):
            api.post("/v1/stores", {"store_id": store_id, "name": store_id, "city": "c", "region": "r"})
        shanghai = api.post("/v1/members", {"name": "沪", "phone": "13800000001", "email": "hu@example.com",
                                            "birthday": "1990-01-01", "home_store_id": "SH-001"}).body  # fmt: skip
        beijing = api.post("/v1/members", {"name": "京", "phone": "13800000002", "home_store_id": "BJ-001"}).body
        return shanghai, beijing

    def test_a_scoped_manager_manages_only_members_and_stores_of_their_stores(self, api, members):
        shanghai, beijing = members
        manager = api.as_(token_for(["store_manager"], ("SH-001",)))
        assert [r["member_id"] for r in manager.get("/v1/members").body["items"]] == [shanghai["member_id"]]
        assert manager.get("/v1/members?store_id=BJ-001").status == 422
        assert [s["store_id"] for s in manager.get("/v1/stores").body["items"]] == ["SH-001"]
        assert manager.get("/v1/stores/BJ-001").status == 404
        edit = {"content-type": "application/merge-patch+json", "if-match": '"1"'}
        assert manager.patch(f"/v1/members/{beijing['member_id']}", {"city": "x"}, headers=edit).status == 404
        moved = manager.patch(f"/v1/members/{shanghai['member_id']}", {"home_store_id": "BJ-001"}, headers=edit)
        assert moved.status == 422
        assert (
            manager.post("/v1/members", {"name": "新", "phone": "13800000003", "home_store_id": "BJ-001"}).status == 422
        )

    def test_a_scoped_cashier_serves_any_member_of_the_chain_with_personal_data_masked(self, api, members):
        """A member of another store (or one who joined online) is found at any till by phone, member number or
        their code, and served: counter view, points, redemption. Their full phone stays out of sight."""
        _, beijing = members
        online = api.post("/v1/members", {"name": "网", "phone": "13800000009"}).body  # no home store
        api.post(f"/v1/members/{beijing['member_id']}/points/adjustments", {"points": 500, "reason": "opening"},
                 headers={"idempotency-key": "opening-bj"})  # fmt: skip
        cashier = api.as_(token_for(["cashier"], ("SH-001",)))
        manager = api.as_(token_for(["store_manager"], ("SH-001",)))
        for member in (beijing, online):
            for query in ({"phone": member["phone"]}, {"member_no": member["member_no"]}):
                found = manager.post("/v1/members/lookup", query)
                assert (found.status, found.body["member_id"]) == (200, member["member_id"]), query
                assert found.body["phone"] == found.body["phone_masked"]  # masked outside the manager's stores
        view = cashier.get(f"/v1/members/{beijing['member_id']}/counter").body
        assert (view["name"], view["phone_masked"], view["points"]["available"]) == ("京", "138****0002", 500)
        assert view["tier"]["code"] == "normal"
        path = f"/v1/members/{beijing['member_id']}/points/redemptions"
        from chalicelib.members import service as member_service

        code = member_service.member_code(beijing["member_id"]).code  # the member there, showing their code
        redeemed = cashier.post(path, {"points": 200, "reason": "换购", "member_code": code},
                                headers={"idempotency-key": "redeem-bj-1"})  # fmt: skip
        assert redeemed.status == 201, redeemed.body
        assert cashier.get(f"/v1/members/{beijing['member_id']}/points").body["available"] == 300

    def test_a_lookup_answers_alike_for_no_member_an_erased_one_and_a_stale_code(self, api, members):
        _, beijing = members
        cashier = api.as_(token_for(["cashier"], ("SH-001",)))
        nobody = cashier.post("/v1/members/lookup", {"phone": "13899999999"})
        stale = cashier.post("/v1/members/lookup", {"code": f"66{beijing['member_no']}000000"})
        api.call("DELETE", f"/v1/members/{beijing['member_id']}")
        erased = cashier.post("/v1/members/lookup", {"member_no": beijing["member_no"]})
        answers = {(a.status, a.body["detail"]) for a in (nobody, stale, erased)}
        assert answers == {(404, "No member matches")}

    def test_staff_are_scoped_only_to_stores_that_exist(self, api, members):
        body = {"username": "ghost", "display_name": "G", "password": STAFF_PASSWORD, "roles": ["cashier"],
                "stores": ["SH-001", "NOWHERE-1"]}  # fmt: skip
        before = item_counts()
        refused = api.post("/v1/staff", body)
        assert (refused.status, refused.body["errors"][0]["field"]) == (422, "stores")
        assert "NOWHERE-1" in refused.body["errors"][0]["message"]
        assert item_counts() == before
        created = api.post("/v1/staff", {**body, "stores": ["SH-001"]}).body
        patch = {"content-type": "application/merge-patch+json", "if-match": '"1"'}
        assert api.patch(f"/v1/staff/{created['staff_id']}", {"stores": ["NOWHERE-2"]}, headers=patch).status == 422

    def test_without_pii_read_phones_and_emails_are_masked(self, api, members):
        shanghai, _ = members
        marketing = api.as_(token_for(["marketing"])).get(f"/v1/members/{shanghai['member_id']}").body
        assert (marketing["phone"], marketing["email"]) == ("138****0001", "h***@example.com")
        assert (marketing["birthday"], marketing["addresses"]) == (None, [])
        service = api.as_(token_for(["customer_service"])).get(f"/v1/members/{shanghai['member_id']}").body
        assert (service["phone"], service["email"]) == ("+8613800000001", "hu@example.com")


def test_a_cashier_scans_the_members_code_and_a_stale_code_finds_nobody(api):
    """The member pages show a code refreshed every minute; a lookup resolves it while it is current."""
    member_id, token = member_token("13900000007")
    shown = api.as_(token).get("/v1/me/code")
    assert (shown.status, shown.headers["cache-control"]) == (200, "no-store")
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    found = cashier.post("/v1/members/lookup", {"code": shown.body["code"]})
    assert (found.status, found.body["member_id"]) == (200, member_id)
    later = datetime.fromisoformat(shown.body["expires_at"].replace("Z", "+00:00"))
    with clock.frozen(later):
        stale = cashier.post("/v1/members/lookup", {"code": shown.body["code"]})
    assert (stale.status, stale.body["detail"]) == (404, "No member matches")
    assert api.as_(token_for(["cashier"])).get("/v1/me/code").status == 403  # a member's own code only


class TestWhoAmI:
    def test_staff_read_their_account_roles_stores_and_the_permissions_of_their_grant(self, api):
        cashier = api.as_(token_for(["cashier", "finance"], ("SH-001",))).get("/v1/staff/me")
        assert cashier.status == 200
        me = cashier.body
        assert me["staff_id"].startswith("sf_")
        assert (me["roles"], me["stores"]) == (["cashier", "finance"], ["SH-001"])
        granted = PERMISSIONS[Role.CASHIER] | PERMISSIONS[Role.FINANCE]
        assert me["permissions"] == sorted(granted)
        assert "staff:admin" not in me["permissions"]  # a cashier's console hides staff admin
        manager = api.as_(token_for(["store_manager"], ("SH-001",))).get("/v1/staff/me").body
        assert (manager["adjust_limit_points"], manager["adjust_daily_limit_points"]) == (5_000, 20_000)

    def test_the_name_and_username_are_the_accounts(self, api):
        body = {"username": "Wang.Li", "display_name": "王丽", "password": STAFF_PASSWORD, "roles": ["marketing"]}
        assert api.post("/v1/staff", body).status == 201
        token = api.as_(None).post("/v1/auth/token", {"username": "wang.li", "password": STAFF_PASSWORD}).body
        me = api.as_(token["access_token"]).get("/v1/staff/me").body
        assert (me["username"], me["name"], me["display_name"], me["stores"]) == ("wang.li", "王丽", "王丽", [])
        assert (me["adjust_limit_points"], me["adjust_daily_limit_points"]) == (None, None)  # adjusts no points
        assert "reports:read" in me["permissions"]
        assert "pii:read" not in me["permissions"]

    def test_the_roles_matrix_names_every_role_and_permission_in_both_languages(self, api):
        matrix = api.as_(token_for(["cashier"])).get("/v1/roles").body
        roles = {row["role"]: row for row in matrix["roles"]}
        assert set(roles) == {role.value for role in Role}
        for role in Role:
            assert roles[role.value]["permissions"] == sorted(PERMISSIONS[role])
        assert roles["store_manager"]["label"] == {"zh-CN": "店长", "en": "Store manager"}
        assert [row["permission"] for row in matrix["permissions"]] == [p.value for p in Permission]
        assert all(row["label"]["zh-CN"] and row["label"]["en"] for row in matrix["permissions"])

    def test_any_staff_reads_colleagues_names_by_id_and_nothing_else(self, api):
        body = {"username": "zhao.yun", "display_name": "赵云", "password": STAFF_PASSWORD, "roles": ["admin"]}
        zhao = api.post("/v1/staff", body).body["staff_id"]
        cashier = api.as_(token_for(["cashier"], ("SH-001",)))
        answer = cashier.post("/v1/staff/names", {"ids": [zhao, "sf_nobody", zhao]})
        assert (answer.status, answer.body) == (200, {"names": {zhao: "赵云"}})  # no roles, stores or username
        assert cashier.post("/v1/staff/names", {"ids": []}).status == 422
        assert cashier.post("/v1/staff/names", {"ids": [f"sf_{n}" for n in range(101)]}).status == 422
        _, token = member_token()
        assert api.as_(token).post("/v1/staff/names", {"ids": [zhao]}).status == 403

    def test_a_member_is_not_staff(self, api):
        _, token = member_token()
        assert api.as_(token).get("/v1/staff/me").status == 403
        assert api.as_(token).get("/v1/roles").status == 403
