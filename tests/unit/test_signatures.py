"""Partner signatures, as pure rules: what passes and what is refused."""

import hashlib
import hmac

import pytest

from chalicelib.identity.signatures import TOLERANCE_SECONDS, BadSignature, parse, sign, signature_header, verify

SECRET = "psk_the-partners-secret"
BODY = b'{"order_id":"A-1","amount":1999}'
NOW = 1_800_000_000


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), b"1800000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == expected


def test_a_good_signature_passes_at_both_ends_of_the_window():
    for t in (NOW - TOLERANCE_SECONDS, NOW, NOW + TOLERANCE_SECONDS):
        verify(signature_header(SECRET, t, BODY), BODY, [SECRET], NOW)


@pytest.mark.parametrize(
    ("header", "body", "secrets"),
    [
        (signature_header("psk_another-secret", NOW, BODY), BODY, [SECRET]),  # wrong secret
        (signature_header(SECRET, NOW - TOLERANCE_SECONDS - 1, BODY), BODY, [SECRET]),  # stale
        (signature_header(SECRET, NOW + TOLERANCE_SECONDS + 1, BODY), BODY, [SECRET]),  # from the future
        (signature_header(SECRET, NOW, BODY), BODY.replace(b"1999", b"9999"), [SECRET]),  # tampered body
        (signature_header(SECRET, NOW, BODY), BODY, []),  # unknown partner: no secret to match
        (signature_header(SECRET, NOW, BODY).replace(f"t={NOW}", f"t={NOW + 1}"), BODY, [SECRET]),  # moved time
        (f"t={NOW}", BODY, [SECRET]),
        (f"v1={sign(SECRET, NOW, BODY)}", BODY, [SECRET]),
        (f"t={NOW},t={NOW},v1={sign(SECRET, NOW, BODY)}", BODY, [SECRET]),
        (f"t=-{NOW},v1={sign(SECRET, NOW, BODY)}", BODY, [SECRET]),
        (f"t={NOW},v0={sign(SECRET, NOW, BODY)}", BODY, [SECRET]),
        (f"t={NOW},v1={'é' * 64}", BODY, [SECRET]),
        (f"t={NOW},v1={'g' * 64}", BODY, [SECRET]),
        ("", BODY, [SECRET]),
    ],
)
def test_anything_else_is_refused(header, body, secrets):
    with pytest.raises(BadSignature):
        verify(header, body, secrets, NOW)


def test_during_rotation_either_secret_and_several_signatures_pass():
    old, new = SECRET, "psk_the-new-secret"
    both = f"t={NOW},v1={sign(old, NOW, BODY)},v1={sign(new, NOW, BODY)}"
    verify(both, BODY, [new], NOW)
    verify(both, BODY, [old], NOW)
    verify(signature_header(new, NOW, BODY), BODY, [old, new], NOW)


def test_the_header_is_read_leniently_but_exactly():
    assert parse(f" t={NOW} , v1={'A' * 64}, x=1") == (NOW, ["a" * 64])
