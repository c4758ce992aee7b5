"""Every route knows who is calling: the permission matrix, staff sessions, store scopes and masking."""

import re
from datetime import timedelta

import jwt
import pytest

import app  # noqa: F401  registers every route, so the matrix below sees them all
from chalicelib.identity.rules import PERMISSIONS, Role
from chalicelib.shared import clock
from chalicelib.shared.http import ENDPOINTS
from tests.conftest import STAFF_PASSWORD, token_for

ROUTES = sorted({(spec.path, spec.method) for spec in ENDPOINTS})


def concrete(path):
    return re.sub(r"{\w+}", "x", path)


def permission_of(path, method):
    spec = next(spec for spec in ENDPOINTS if (spec.path, spec.method) == (path, method))
    return getattr(spec.access, "permission", None)


@pytest.fixture
def tokens(api):
    return {role: token_for([role.value]) for role in Role}


@pytest.mark.parametrize(("path", "method"), ROUTES)
def test_every_route_is_open_only_to_the_roles_the_matrix_allows(api, tokens, path, method):
    permission = permission_of(path, method)
    anonymous = api.as_(None).call(method, concrete(path), {})
    forged = api.as_(
        jwt.encode({"sub": "staff:x", "aud": "loyalty-api"}, "a-wrong-key-of-thirty-two-bytes!", algorithm="HS256")
    )
    if permission is None:
        assert anonymous.status not in (401, 403), (path, method)
        return
    assert anonymous.status == 401, (path, method)
    assert anonymous.body["type"].endswith("/unauthenticated")
    assert forged.call(method, concrete(path), {}).status == 401
    for role, token in tokens.items():
        status = api.as_(token).call(method, concrete(path), {}).status
        if permission in PERMISSIONS[role]:
            assert status not in (401, 403), (path, method, role)
        else:
            assert status == 403, (path, method, role)


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


class TestStaffAdministration:
    def test_create_re_role_and_reset(self, api):
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

    def test_a_scoped_manager_sees_only_members_and_stores_of_their_stores(self, api, members):
        shanghai, beijing = members
        manager = api.as_(token_for(["store_manager"], ("SH-001",)))
        assert manager.get(f"/v1/members/{shanghai['member_id']}").status == 200
        assert manager.get(f"/v1/members/{beijing['member_id']}").status == 404
        assert manager.post("/v1/members/lookup", {"phone": "13800000002"}).status == 404
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

    def test_without_pii_read_phones_and_emails_are_masked(self, api, members):
        shanghai, _ = members
        marketing = api.as_(token_for(["marketing"])).get(f"/v1/members/{shanghai['member_id']}").body
        assert (marketing["phone"], marketing["email"]) == ("138****0001", "h***@example.com")
        assert (marketing["birthday"], marketing["addresses"]) == (None, [])
        service = api.as_(token_for(["customer_service"])).get(f"/v1/members/{shanghai['member_id']}").body
        assert (service["phone"], service["email"]) == ("+8613800000001", "hu@example.com")
