"""Partner credentials: created by admins with a secret shown once, signed requests checked, secrets rotated."""

import json
from datetime import timedelta

import boto3
import pytest

from chalicelib.identity import partners
from chalicelib.identity.records import PartnerRecord
from chalicelib.shared import cache, clock
from chalicelib.shared.db import physical_name
from chalicelib.shared.settings import get_settings
from tests.conftest import PREFIX, REGION, deliver, signed_headers, token_for

PATCH = {"content-type": "application/merge-patch+json"}


@pytest.fixture
def partner(api):
    for store_id in ("SH-001", "SH-002"):
        api.post("/v1/stores", {"store_id": store_id, "name": store_id, "city": "c", "region": "r"})
    created = api.post("/v1/partners", {"name": "收银系统", "stores": ["SH-001", "SH-002"]})
    assert created.status == 201
    return created.body


def ping(api, partner_id, secret, body=b'{"hello": "world"}', **kw):
    return api.as_(None).call(
        "POST", "/v1/webhooks/ping", raw=body, headers=signed_headers(partner_id, secret, body, **kw)
    )


def test_a_signed_request_names_its_partner_and_stores(api, partner):
    answer = ping(api, partner["partner_id"], partner["secret"])
    assert answer.status == 200
    assert (answer.body["partner_id"], answer.body["stores"]) == (partner["partner_id"], ["SH-001", "SH-002"])


def test_a_partner_signing_as_the_openapi_description_says_is_let_in(api, partner):
    """Found by an integrator: the description said `v1` over "<t>." + body, which a new partner is refused. Signed
    from the description alone (its example message), as an integrator writes it, the ping answers 200."""
    import hashlib
    import hmac
    import time

    scheme = api.get("/v1/openapi.json").body["components"]["securitySchemes"]["partnerSignature"]["description"]
    assert "`1767225600.POST /v1/webhooks/purchases.` + body" in scheme
    body, t = b'{"hello": "pos"}', int(time.time())
    digest = hmac.new(partner["secret"].encode(), f"{t}.POST /v1/webhooks/ping.".encode() + body, hashlib.sha256)
    headers = {"content-type": "application/json", "x-partner-id": partner["partner_id"],
               "x-signature": f"t={t},v2={digest.hexdigest()}"}  # fmt: skip
    assert api.as_(None).call("POST", "/v1/webhooks/ping", raw=body, headers=headers).status == 200


def test_a_signed_request_cannot_be_replayed_onto_another_route(api, partner):
    """Found by a probe: the same signed bytes made a wallet payment and then a top-up (the signature covered the
    body alone). v2 signs the method and path: replayed elsewhere, the request is 401 and changes nothing."""
    body = b'{"payment_id": "REPLAY-1"}'
    signed = signed_headers(partner["partner_id"], partner["secret"], body).for_request("POST", "/v1/webhooks/ping")
    assert api.as_(None).call("POST", "/v1/webhooks/ping", raw=body, headers=signed).status == 200
    for method, path in (("POST", "/v1/webhooks/wallet/top-ups"), ("POST", "/v1/webhooks/wallet/payments")):
        assert api.as_(None).call(method, path, raw=body, headers=signed).status == 401


def test_the_body_only_v1_signature_passes_only_for_a_partner_allowed_it(api, partner):
    partner_id, secret = partner["partner_id"], partner["secret"]
    assert partner["accepts_v1"] is False
    assert ping(api, partner_id, secret, v1=True).status == 401
    allowed = api.patch(f"/v1/partners/{partner_id}", {"accepts_v1": True}, headers={**PATCH, "if-match": '"1"'})
    assert allowed.body["accepts_v1"] is True
    cache.forget_every()  # past the 30 seconds a process keeps a partner's keys
    assert ping(api, partner_id, secret, v1=True).status == 200
    assert ping(api, partner_id, secret).status == 200  # v2 passes too


def test_the_secret_is_shown_once_and_sealed_at_rest(api, partner):
    assert partner["secret"].startswith("psk_")
    assert partner["secret_id"]
    read = api.get(f"/v1/partners/{partner['partner_id']}").body
    listed = api.get("/v1/partners").body["items"]
    stored = boto3.client("dynamodb", region_name=REGION).scan(TableName=physical_name(PREFIX, "partners"))["Items"]
    for text in (json.dumps(read), json.dumps(listed), json.dumps(stored)):
        assert partner["secret"] not in text
        assert partner["secret"][4:20] not in text
    assert [s["secret_id"] for s in read["secrets"]] == [partner["secret_id"]]


@pytest.mark.parametrize(
    "case",
    ["wrong secret", "stale", "tampered body", "unknown partner", "no signature", "bearer token instead"],
)
def test_anything_but_a_good_signature_is_401(api, partner, case):
    partner_id, secret, body = partner["partner_id"], partner["secret"], b'{"amount": 100}'
    headers = signed_headers(partner_id, secret, body)
    if case == "wrong secret":
        headers = signed_headers(partner_id, partners.new_secret(), body)
    elif case == "stale":
        headers = signed_headers(partner_id, secret, body, timestamp=int(clock.now().timestamp()) - 301)
    elif case == "tampered body":
        body = b'{"amount": 900}'
    elif case == "unknown partner":
        headers = signed_headers("pt_nobody", secret, body)
    elif case == "no signature":
        headers = {"x-partner-id": partner_id}
    elif case == "bearer token instead":
        headers = {"authorization": f"Bearer {api.token}"}
    answer = api.as_(None).call("POST", "/v1/webhooks/ping", raw=body, headers=headers)
    assert answer.status == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.body["type"].endswith("/unauthenticated")
    # only the partner's own good signature learns its clock is off (an integrator could not tell it from a wrong
    # secret); anyone else reads the one answer
    assert ("seconds from the platform's clock" in answer.body["detail"]) is (case == "stale")


def test_rotation_two_secrets_then_the_old_one_revoked(api, partner):
    partner_id, old = partner["partner_id"], partner["secret"]
    added = api.post(f"/v1/partners/{partner_id}/secrets")
    assert added.status == 201
    new = added.body["secret"]
    assert ping(api, partner_id, old).status == ping(api, partner_id, new).status == 200
    third = api.post(f"/v1/partners/{partner_id}/secrets")
    assert third.status == 409
    assert third.body["type"].endswith("/too-many-secrets")
    assert api.call("DELETE", f"/v1/partners/{partner_id}/secrets/{partner['secret_id']}").status == 204
    assert ping(api, partner_id, old).status == 401
    assert ping(api, partner_id, new).status == 200
    assert api.call("DELETE", f"/v1/partners/{partner_id}/secrets/ps_nothing").status == 404


def test_a_revocation_elsewhere_takes_effect_within_the_cache_age(api, partner, monkeypatch):
    """Another function instance revokes; this one notices once its cache (at most 60 s) is old enough."""
    partner_id, secret = partner["partner_id"], partner["secret"]
    assert ping(api, partner_id, secret).status == 200  # now cached here
    record = PartnerRecord.get(partner_id)
    record.update(actions=[PartnerRecord.status.set("disabled")])  # as another instance would
    assert partners.CACHE_SECONDS <= 60
    later = cache.time.monotonic() + partners.CACHE_SECONDS
    monkeypatch.setattr(cache.time, "monotonic", lambda: later)
    with clock.frozen(clock.now() + timedelta(seconds=partners.CACHE_SECONDS)):
        assert ping(api, partner_id, secret).status == 401


def test_a_disabled_partner_is_refused_and_enabled_again(api, partner):
    path = f"/v1/partners/{partner['partner_id']}"
    disabled = api.patch(path, {"status": "disabled"}, headers={**PATCH, "if-match": '"1"'})
    assert disabled.status == 200
    assert disabled.headers["etag"] == '"2"'
    assert ping(api, partner["partner_id"], partner["secret"]).status == 401
    assert api.patch(path, {"status": "active"}, headers={**PATCH, "if-match": '"1"'}).status == 412
    assert api.patch(path, {"status": "active"}, headers={**PATCH, "if-match": '"2"'}).status == 200
    assert ping(api, partner["partner_id"], partner["secret"]).status == 200


def test_only_admins_manage_partners_and_the_audit_log_keeps_no_secret(api, aws, partner):
    assert api.as_(token_for(["store_manager"])).post("/v1/partners", {"name": "x", "all_stores": True}).status == 403
    api.post(f"/v1/partners/{partner['partner_id']}/secrets")
    deliver(aws, "audit")
    today = clock.business_date(clock.now(), get_settings().tz)
    log = api.get(f"/v1/audit?from={today}&to={today}").body["items"]
    actions = {entry["action"] for entry in log}
    assert {"partner.created", "partner.secret-added"} <= actions
    assert partner["secret"] not in json.dumps(log)


def test_a_partner_names_its_stores_or_says_all_stores(api):
    assert api.post("/v1/partners", {"name": "x"}).status == 422
    assert api.post("/v1/partners", {"name": "x", "stores": ["SH-001"], "all_stores": True}).status == 422
    everywhere = api.post("/v1/partners", {"name": "e-shop", "all_stores": True}).body
    assert (everywhere["stores"], everywhere["all_stores"]) == ([], True)
    path = f"/v1/partners/{everywhere['partner_id']}"
    unknown = api.patch(path, {"stores": ["SH-009"]}, headers={**PATCH, "if-match": '"1"'})
    assert (unknown.status, unknown.body["errors"][0]["field"]) == (422, "stores")  # only stores that exist
    assert api.post("/v1/partners", {"name": "y", "stores": ["NOPE"]}).status == 422
    api.post("/v1/stores", {"store_id": "SH-009", "name": "SH-009", "city": "c", "region": "r"})
    scoped = api.patch(path, {"stores": ["SH-009"]}, headers={**PATCH, "if-match": '"1"'}).body
    assert (scoped["stores"], scoped["all_stores"]) == (["SH-009"], False)
    again = api.patch(path, {"all_stores": True}, headers={**PATCH, "if-match": '"2"'}).body
    assert (again["stores"], again["all_stores"]) == ([], True)
    assert api.patch(path, {"stores": []}, headers={**PATCH, "if-match": '"3"'}).status == 422


def test_a_signature_that_is_not_hex_is_401_not_a_crash(api, partner):
    body = b"{}"
    headers = {"x-partner-id": partner["partner_id"], "x-signature": f"t={int(clock.now().timestamp())},v1={'é' * 64}"}
    assert api.as_(None).call("POST", "/v1/webhooks/ping", raw=body, headers=headers).status == 401


def test_no_partner_takes_the_counters_id(aws):
    """The counter books its sales, wallet payments and top-ups as the seller `counter`: a partner under that id (the
    local bootstrap names its demo partner from LOYALTY_DEMO_PARTNER_ID) would refund them by webhook."""
    from chalicelib.shared.errors import ValidationFailed
    from chalicelib.shared.ids import COUNTER

    with pytest.raises(ValidationFailed, match="the counter's"):
        partners.ensure_partner(COUNTER, "s" * 32)
    assert PartnerRecord.find(COUNTER) is None


def test_no_signature_passes_under_the_counters_id(api, partner, monkeypatch):
    """A partner left under the reserved id from before it was reserved signs nothing (found by a review)."""
    assert ping(api, partner["partner_id"], partner["secret"]).status == 200
    monkeypatch.setattr(partners, "COUNTER", partner["partner_id"])  # as if this partner held the counter's id
    assert ping(api, partner["partner_id"], partner["secret"]).status == 401


def test_a_scoped_partner_naming_a_store_the_chain_does_not_have_is_told_422_not_403(api, partner):
    """Found by an integrator: a partner limited to stores read 403 for a store that does not exist, where the README
    promises 422 (as a partner of every store reads); another store of the chain stays 403."""
    from chalicelib.shared import clock as platform_clock
    from tests.functional.test_purchases import order, signed

    api.post("/v1/stores", {"store_id": "BJ-001", "name": "BJ", "city": "c", "region": "r"})
    member = {"phone": "13900000077"}
    creds = partner["partner_id"], partner["secret"]
    at = platform_clock.now() - timedelta(minutes=1)
    nowhere = signed(api, creds, "/v1/webhooks/purchases", order(member, "N-1", at=at, store="XX-999"))
    assert (nowhere.status, nowhere.body["errors"][0]["field"]) == (422, "store_id"), nowhere.body
    elsewhere = signed(api, creds, "/v1/webhooks/purchases", order(member, "N-2", at=at, store="BJ-001"))
    assert elsewhere.status == 403, elsewhere.body
    top_up = {"payment_id": "T-1", "member": member, "store_id": "XX-999", "occurred_at": at.isoformat(),
              "amount_fen": 10_000}  # fmt: skip
    assert signed(api, creds, "/v1/webhooks/wallet/top-ups", top_up).status == 422
