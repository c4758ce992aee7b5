"""Partner signatures, as pure rules: what passes and what is refused."""

import hashlib
import hmac

import pytest

from chalicelib.identity.signatures import (
    TOLERANCE_SECONDS,
    BadSignature,
    Signed,
    parse,
    sign,
    sign_request,
    signature_header,
    signed_path,
    verify,
)

SECRET = "psk_the-partners-secret"
BODY = b'{"order_id":"A-1","amount":1999}'
NOW = 1_800_000_000
PATH = "/v1/webhooks/wallet/payments"


def header(secret=SECRET, t=NOW, body=BODY, method="POST", path=PATH):
    return signature_header(secret, t, body, method, path)


def check(value, body=BODY, secrets=(SECRET,), method="POST", path=PATH, accepts_v1=False):
    verify(value, body, secrets, NOW, method=method, path=path, accepts_v1=accepts_v1)


def test_v2_is_hmac_sha256_of_timestamp_method_path_and_body():
    message = b"1800000000.POST /v1/webhooks/wallet/payments." + BODY
    assert (
        sign_request(SECRET, NOW, "post", PATH, BODY) == hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    )
    assert header() == f"t={NOW},v2={hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()}"


def test_v1_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), b"1800000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == expected
    assert signature_header(SECRET, NOW, BODY) == f"t={NOW},v1={expected}"


def test_the_path_signed_starts_at_v1_is_percent_decoded_and_leaves_out_the_query():
    assert signed_path("/v/v1/coupons/AB%20C/redemptions?x=1") == "/v1/coupons/AB C/redemptions"
    assert signed_path("/v1/webhooks/ping") == "/v1/webhooks/ping"


def test_a_good_signature_passes_at_both_ends_of_the_window():
    for t in (NOW - TOLERANCE_SECONDS, NOW, NOW + TOLERANCE_SECONDS):
        check(header(t=t))
    check(header(path=f"/v{PATH}"))  # an API Gateway stage before /v1 is not part of what is signed


@pytest.mark.parametrize(
    ("value", "method", "path"),
    [
        (header(secret="psk_another-secret"), "POST", PATH),  # wrong secret
        (header(t=NOW - TOLERANCE_SECONDS - 1), "POST", PATH),  # stale
        (header(t=NOW + TOLERANCE_SECONDS + 1), "POST", PATH),  # from the future
        (header(body=BODY.replace(b"1999", b"9999")), "POST", PATH),  # another body
        (header(), "POST", "/v1/webhooks/wallet/top-ups"),  # replayed onto another route
        (header(path="/v1/coupons/AAA/redemptions"), "POST", "/v1/coupons/BBB/redemptions"),  # onto another code
        (header(), "PUT", PATH),  # another method
        (header().replace(f"t={NOW}", f"t={NOW + 1}"), "POST", PATH),  # moved time
        (signature_header(SECRET, NOW, BODY), "POST", PATH),  # v1 from a partner not allowed it
        (f"t={NOW}", "POST", PATH),
        (f"v2={sign_request(SECRET, NOW, 'POST', PATH, BODY)}", "POST", PATH),
        (f"t={NOW},t={NOW},v2={sign_request(SECRET, NOW, 'POST', PATH, BODY)}", "POST", PATH),
        (f"t=-{NOW},v2={sign_request(SECRET, NOW, 'POST', PATH, BODY)}", "POST", PATH),
        (f"t={NOW},v0={sign(SECRET, NOW, BODY)}", "POST", PATH),
        (f"t={NOW},v2={'é' * 64}", "POST", PATH),
        (f"t={NOW},v2={'g' * 64}", "POST", PATH),
        ("", "POST", PATH),
    ],
)
def test_anything_else_is_refused(value, method, path):
    with pytest.raises(BadSignature):
        check(value, method=method, path=path)


def test_an_unknown_partner_has_no_secret_to_match():
    with pytest.raises(BadSignature):
        check(header(), secrets=())


def test_v1_passes_only_for_a_partner_allowed_it_and_a_v2_value_decides_alone():
    v1 = signature_header(SECRET, NOW, BODY)
    check(v1, accepts_v1=True)
    check(v1, path="/v1/webhooks/wallet/top-ups", accepts_v1=True)  # the reason v1 is off by default
    with pytest.raises(BadSignature):  # a wrong v2 beside a good v1 is refused: v2 is judged alone
        check(f"{v1},v2={'0' * 64}", accepts_v1=True)


def test_during_rotation_either_secret_and_several_signatures_pass():
    old, new = SECRET, "psk_the-new-secret"
    both = f"t={NOW},v2={sign_request(old, NOW, 'POST', PATH, BODY)},v2={sign_request(new, NOW, 'POST', PATH, BODY)}"
    check(both, secrets=(new,))
    check(both, secrets=(old,))
    check(header(secret=new), secrets=(old, new))


def test_the_header_is_read_leniently_but_exactly():
    assert parse(f" t={NOW} , v1={'A' * 64}, v2={'B' * 64}, x=1") == Signed(NOW, ("a" * 64,), ("b" * 64,))
