"""Members' credentials: SMS codes, passwords and the member apps' tokens.

- A code is 6 digits, valid 5 minutes, single use; a new code replaces the last one. Every try counts
  before it is checked, and the fifth wrong try burns the code.
- Code requests are limited per phone (1 a minute, 5 an hour, 10 a day), per client address (an IPv6
  /64 counts as one; ``LOYALTY_OTP_REQUESTS_PER_ADDRESS_HOUR``, default 20 an hour) and in all
  (``LOYALTY_OTP_REQUESTS_PER_HOUR``, default 1000: a ceiling on SMS spending): 429 with Retry-After,
  nothing sent. Codes go only to phones of ``LOYALTY_OTP_REGIONS`` (default CN).
- The code travels as a notification (sealed, sent from its event); the answer never says whether the
  phone belongs to a member.
- A verified phone that is not a member's registers one (source ``online``, named 会员 + the phone's last
  four digits unless a name is given) while self-registration is on (``LOYALTY_SELF_REGISTRATION``,
  default on); off, it is 403.
- A member may set a password and log in with phone and password; five wrong passwords in a row lock
  the phone's password logins for 15 minutes. The first password needs a fresh code or a log-in at most
  10 minutes old (refreshing tokens is not logging in); changing it needs the current one or a fresh code.
  A new password ends every other session of the member; the session that set it goes on with fresh tokens.
- Frozen members may not log in or refresh (403) and their tokens only read; erased members no longer
  hold a phone and their tokens stop working.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from datetime import timedelta

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.agreements import service as agreements
from chalicelib.agreements.model import Kind
from chalicelib.identity import lockout
from chalicelib.identity.passwords import hash_password, strong_enough, verify_password
from chalicelib.identity.records import MemberCredentialRecord, OneTimeCodeRecord
from chalicelib.identity.schemas import Tokens
from chalicelib.identity.service import SESSION_CACHE_SECONDS, SESSIONS_ENDED, SessionState, issue_tokens
from chalicelib.identity.tokens import Claims
from chalicelib.members import service as members
from chalicelib.members.model import Source, Status
from chalicelib.members.schemas import MemberCreate, MessageLanguage
from chalicelib.notifications import service as notifications
from chalicelib.shared import clock
from chalicelib.shared.cache import CachedByKey
from chalicelib.shared.crypto import lookup_hash
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Forbidden, TokenRejected, Unauthenticated, ValidationFailed
from chalicelib.shared.ids import new_id
from chalicelib.shared.logs import logger
from chalicelib.shared.ratelimit import Limit, take
from chalicelib.shared.settings import get_settings

CODE_LIFETIME = timedelta(minutes=5)
RECENT_LOGIN = timedelta(minutes=10)
PASSWORD_LOGINS_PER_ADDRESS = Limit(60, 3600, "Too many password logins from this address")
MAX_TRIES = 5
PER_PHONE = (
    Limit(1, 60, "A code was sent to this phone less than a minute ago"),
    Limit(5, 3600, "Five codes were sent to this phone this hour"),
    Limit(10, 86400, "Ten codes were sent to this phone today"),
)
WRONG_CODE = "The code is wrong or has expired; request a new one"
BAD_LOGIN = "Wrong phone or password"


class RegistrationClosed(Forbidden):
    slug, title = "registration-closed", "Self-registration is closed"


class MembershipFrozen(Forbidden):
    slug, title = "membership-frozen", "The membership is frozen"


def request_code(phone: str, address: str | None) -> None:
    """Send a new code to ``phone`` (E.164), if the phone's and the address's limits allow it."""
    code = f"{secrets.randbelow(10**6):06d}"
    code_id = new_id("cd_")
    phone_hash = lookup_hash("phone", phone)
    now = clock.now()
    tx = Transaction()
    take(tx, f"code-phone:{phone_hash}", *PER_PHONE)
    settings = get_settings()
    if region_of(phone) not in settings.otp_regions:
        problem = f"codes are sent to phones of {', '.join(settings.otp_regions)} only"
        raise ValidationFailed([{"field": "phone", "in": "body", "message": problem}])
    take(tx, "code-all", Limit(settings.otp_requests_per_hour, 3600, "Too many codes are being sent; try later"))
    if address:
        per_address = Limit(settings.otp_requests_per_address_hour, 3600, "Too many codes from this address")
        take(tx, f"code-address:{_address_bucket(address)}", per_address)
    tx.put(OneTimeCodeRecord(
        phone_hash, code_id=code_id, code_hash=_code_hash(code_id, code), tries=0,
        valid_until=clock.iso(now + CODE_LIFETIME), expires_at=now + timedelta(days=1),
    ))  # fmt: skip
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    notifications.request_code(tx, phone=phone, code=code, minutes=minutes, send_before=now + CODE_LIFETIME)
    tx.commit()


def region_of(phone: str) -> str:
    import phonenumbers  # imported on first use, as in members.model

    return phonenumbers.region_code_for_number(phonenumbers.parse(phone)) or "ZZ"


def _address_bucket(address: str) -> str:
    """A client address as rate limits count it: IPv4 as is, IPv6 by its /64 (one subscriber's block)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return lookup_hash("address", address)
    network = ipaddress.ip_network(f"{ip}/64", strict=False) if ip.version == 6 else ip
    return lookup_hash("address", str(network))


def _code_hash(code_id: str, code: str) -> str:
    return lookup_hash("code", f"{code_id}:{code}")


def redeem_code(phone: str, code: str) -> None:
    """Use up the phone's current code if ``code`` is it; 401 otherwise. Each try is counted first."""
    record = OneTimeCodeRecord(lookup_hash("phone", phone))
    try:
        record.update(
            actions=[OneTimeCodeRecord.tries.add(1)],
            condition=OneTimeCodeRecord.phone_hash.exists() & (OneTimeCodeRecord.tries < MAX_TRIES),
        )
    except UpdateError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            raise Unauthenticated(WRONG_CODE) from None
        raise
    right = hmac.compare_digest(record.code_hash, _code_hash(record.code_id, code))
    if not right or record.valid_until <= clock.iso(clock.now()):
        raise Unauthenticated(WRONG_CODE)
    try:
        record.delete(condition=OneTimeCodeRecord.code_id == record.code_id)
    except DeleteError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            raise Unauthenticated(WRONG_CODE) from None  # used by a concurrent request, or replaced
        raise


def log_in_with_code(
    phone: str,
    code: str,
    name: str | None = None,
    agreed: list[tuple[Kind, int]] | None = None,
    language: MessageLanguage | None = None,
) -> Tokens:
    """Tokens for the phone's member, who joins when there is none. The current agreements must be named (checked
    before the code is used, for every phone alike) and the member's acceptance is kept."""
    accepted = agreements.require_agreed(agreed)
    redeem_code(phone, code)
    member_id = members.holder(phone=phone) or _self_register(phone, name, language)
    tokens = issue_tokens(member_claims(member_id, clock.real_now().timestamp()))
    _keep_acceptance(member_id, accepted, "code-login")
    return tokens


def log_in_with_password(
    phone: str, password: str, address: str | None, agreed: list[tuple[Kind, int]] | None = None
) -> Tokens:
    """Tokens for the member holding ``phone`` whose password matches. Attempts are counted per phone, member
    or not, so a lockout tells nothing, and per client address. Agreements named are checked first and kept."""
    accepted = agreements.require_agreed(agreed) if agreed else []
    if address:
        tx = Transaction()
        take(tx, f"login-address:{_address_bucket(address)}", PASSWORD_LOGINS_PER_ADDRESS)
        tx.commit()
    subject = f"phone:{lookup_hash('phone', phone)}"
    lockout.begin_attempt(subject)
    member_id = members.holder(phone=phone)
    credential = MemberCredentialRecord.find(member_id) if member_id else None
    if not verify_password(credential.password_hash if credential else None, password) or member_id is None:
        raise Unauthenticated(BAD_LOGIN)
    lockout.clear(subject)
    tokens = issue_tokens(member_claims(member_id, clock.real_now().timestamp()))
    _keep_acceptance(member_id, accepted, "password-login")
    return tokens


def _keep_acceptance(member_id: str, accepted: list[tuple[Kind, int]], via: str) -> None:
    """Keep what the log-in accepted, never deciding its answer: the code is used and the session made, so a write
    that fails is logged and the member's pages ask again (the versions stay due)."""
    try:
        agreements.accept(member_id, accepted, via)
    except Exception:  # any failure: the log-in still answers with its tokens
        logger.warning("an acceptance of the agreements was not kept", extra={"member_id": member_id, "via": via})


def member_claims(member_id: str, auth_time: float) -> Claims:
    """The claims of a member who may hold tokens, logged in at ``auth_time``, at their current session generation:
    401 once erased, 403 while frozen."""
    status = members.status_of(member_id)
    if status is None or status == Status.ERASED:
        raise Unauthenticated("The membership no longer exists")
    if status == Status.FROZEN:
        raise MembershipFrozen("The membership is frozen; please contact customer service")
    generation = _generation(MemberCredentialRecord.find(member_id))
    return Claims(f"member:{member_id}", generation=generation, auth_time=auth_time)


def _generation(credential: MemberCredentialRecord | None) -> int:
    return int(credential.session_generation or 0) if credential else 0  # no password yet: generation 0


def _self_register(phone: str, name: str | None, language: MessageLanguage | None) -> str:
    if not get_settings().self_registration:
        raise RegistrationClosed("This phone is not a member's, and joining online is closed; join at a store")
    return members.join(
        MemberCreate(name=name or f"会员{phone[-4:]}", phone=phone, source=Source.ONLINE, language=language)
    )


def set_password(
    caller_id: str, password: str, current_password: str | None, code: str | None, auth_time: float
) -> Tokens:
    """Set or change a member's password. The first needs a fresh SMS code or a log-in (``auth_time``, which
    refreshing does not renew) at most 10 minutes ago; a change needs the current password or a fresh code.

    Either way every other session of the member ends (the member's session generation goes up, as a staff
    account's does on a reset), and the caller goes on with the fresh tokens answered here. A frozen member gets
    none (403, read afresh: fresh tokens would outlive the freeze a log-in or refresh would have met)."""
    if members.status_of(caller_id) == Status.FROZEN:
        raise MembershipFrozen("The membership is frozen; please contact customer service")
    weak = strong_enough(password)
    if weak:
        raise ValidationFailed([{"field": "password", "in": "body", "message": weak}])
    credential = MemberCredentialRecord.find(caller_id)
    if code:
        phone = members.get_member(caller_id).phone
        if phone is None:
            raise Unauthenticated("The membership no longer exists")
        redeem_code(phone, code)
        auth_time = clock.real_now().timestamp()
    elif credential is not None and current_password:
        subject = f"member:{caller_id}"
        lockout.begin_attempt(subject)
        if not verify_password(credential.password_hash, current_password):
            raise Unauthenticated("The current password is wrong")
        lockout.clear(subject)
        auth_time = clock.real_now().timestamp()
    elif credential is not None or clock.real_now().timestamp() - auth_time > RECENT_LOGIN.total_seconds():
        wanted = "current_password" if credential is not None else "code"
        problem = "give current_password, or a code sent by POST /v1/auth/otp"
        raise ValidationFailed([{"field": wanted, "in": "body", "message": problem}])
    updated = MemberCredentialRecord(caller_id)
    updated.update(actions=[
        MemberCredentialRecord.password_hash.set(hash_password(password)),
        MemberCredentialRecord.updated_at.set(clock.iso(clock.now())),
        MemberCredentialRecord.session_generation.add(1),
    ])  # fmt: skip
    _sessions.forget(caller_id)
    return issue_tokens(Claims(f"member:{caller_id}", generation=_generation(updated), auth_time=auth_time))


def close_membership(caller_id: str, code: str | None, auth_time: float) -> None:
    """注销会员: the member erases their own membership (PIPL: the right to delete), as staff with ``members:erase``
    would (``members.erase``: 409 while stored value holds principal or a mall order is under way, each said), once
    they prove it is them now: a log-in at most 10 minutes old (a refresh is not one) or a fresh SMS ``code`` (422 on
    ``code`` otherwise, 401 for a wrong one). Every session of theirs ends with it."""
    if code:
        phone = members.get_member(caller_id).phone
        if phone is None:
            raise Unauthenticated("The membership no longer exists")
        redeem_code(phone, code)
    elif clock.real_now().timestamp() - auth_time > RECENT_LOGIN.total_seconds():
        problem = "log in again, or give a code sent by POST /v1/auth/otp"
        raise ValidationFailed([{"field": "code", "in": "body", "message": problem}])
    members.erase(caller_id)
    _sessions.forget(caller_id)


def _session_state(member_id: str) -> SessionState:
    status = members.status_of(member_id)
    if status is None or status == Status.ERASED:
        return SessionState(str(Status.ERASED), 0)
    return SessionState(str(status), _generation(MemberCredentialRecord.find(member_id)))


_sessions: CachedByKey[str, SessionState] = CachedByKey(_session_state, SESSION_CACHE_SECONDS)


def require_live_member(claims: Claims, *, writing: bool) -> None:
    """A member's access token works while the membership lives (erased: 401) and no new password has ended its
    session since it was issued (401); a frozen member's writes are 403. Each process reads a member at most once
    every ``SESSION_CACHE_SECONDS``, as for staff: such changes hold everywhere within that time, and a new
    password at once in the process that set it."""
    state = _sessions.get(claims.id)
    if state.status == Status.ERASED:
        raise TokenRejected("The membership no longer exists")
    if state.generation != claims.generation:
        raise TokenRejected(SESSIONS_ENDED)
    if state.status == Status.FROZEN and writing:
        raise MembershipFrozen("The membership is frozen; please contact customer service")
