"""Access tokens: short-lived JWTs (HS256) naming the caller, their roles and stores, with audience and expiry.
A token also carries its subject's session generation (``gen``): raising it (a staff account's, or a member's on a
new password) ends the token.
``auth_time`` is when the caller last logged in (proved who they are); refreshing keeps it, so rules that want a
recent log-in read it rather than the token's issue time.

Refresh tokens are opaque random strings; only their SHA-256 is stored (see the sessions records), so a
leaked table does not leak sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from chalicelib.identity.rules import Role
from chalicelib.shared import clock
from chalicelib.shared.errors import TokenRejected
from chalicelib.shared.ids import new_id
from chalicelib.shared.settings import get_settings

ISSUER = "loyalty"
AUDIENCE = "loyalty-api"
ALGORITHM = "HS256"
LEEWAY_SECONDS = 5


@dataclass(frozen=True)
class Claims:
    subject: str  # "staff:<id>" or "member:<id>"
    roles: tuple[str, ...] = ()
    stores: tuple[str, ...] = ()
    generation: int = 0  # the subject's session generation when the token was issued
    auth_time: float = 0.0  # when the subject logged in (seconds since the epoch); every refresh carries it on

    @property
    def kind(self) -> str:
        return self.subject.partition(":")[0]

    @property
    def id(self) -> str:
        return self.subject.partition(":")[2]


def issue_access_token(claims: Claims) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds."""
    import jwt  # imported on first use: a webhook or a cold start that never sees a token does not pay for it

    settings = get_settings()
    now = clock.real_now()  # lifetimes are security, on real time: a moved test clock logs nobody out
    lifetime = timedelta(minutes=settings.access_token_minutes)
    payload = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": claims.subject, "iat": now, "nbf": now, "exp": now + lifetime,
        "jti": new_id("at_"), "roles": list(claims.roles), "stores": list(claims.stores), "gen": claims.generation,
        "auth_time": int(claims.auth_time),
    }  # fmt: skip
    return jwt.encode(payload, settings.jwt_secret, algorithm=ALGORITHM), int(lifetime.total_seconds())


def verify_access_token(token: str) -> Claims:
    """The claims of a valid token; 401 for anything else (bad signature, expired, wrong audience, or claims no
    account could hold, such as an unknown role)."""
    import jwt

    try:
        payload = jwt.decode(
            token, get_settings().jwt_secret, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"], "verify_exp": False, "verify_nbf": False,
                     "verify_iat": False},
        )  # fmt: skip
    except jwt.InvalidTokenError:
        raise TokenRejected("The access token is not valid") from None
    now = clock.real_now().timestamp()  # real time (tests may pin it); a test clock's offset does not apply
    if not isinstance(payload["exp"], int | float) or now > payload["exp"] + LEEWAY_SECONDS:
        raise TokenRejected("The access token has expired; refresh it")
    if now + LEEWAY_SECONDS < payload.get("nbf", 0):
        raise TokenRejected("The access token is not valid yet")
    subject = str(payload["sub"])
    if subject.partition(":")[0] not in ("staff", "member") or not subject.partition(":")[2]:
        raise TokenRejected("The access token is not valid")
    generation = payload.get("gen", 0)  # tokens issued before generations existed hold none: generation 0
    auth_time = payload.get("auth_time", 0)  # nor a log-in time: as old as can be
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in (generation, auth_time)):
        raise TokenRejected("The access token is not valid")
    roles, stores = payload.get("roles", []), payload.get("stores", [])
    if not (_names(roles) and _names(stores) and set(roles) <= {role.value for role in Role}):
        raise TokenRejected("The access token is not valid")  # signed with our key, yet no account holds it
    return Claims(subject, tuple(roles), tuple(stores), generation, float(auth_time))


def _names(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def new_refresh_token() -> tuple[str, str]:
    """A refresh token and the hash under which it is stored."""
    token = secrets.token_urlsafe(32)
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
