"""Staff accounts and sessions: log in, refresh, log out; create, re-role, disable, reset passwords.

Five wrong passwords in a row lock an account for 15 minutes (``lockout``). A refresh token works once:
refreshing revokes it and issues the next, and logging out revokes it. A disabled account cannot log in or
refresh. Disabling, re-roling or re-scoping an account and resetting its password end all its sessions: the
account's session generation goes up, its refresh tokens are refused at once and its access tokens within
``SESSION_CACHE_SECONDS`` (see ``require_current_session``). Members' sessions end alike when they set a new
password (``member_auth``): sessions and tokens of both kinds carry their subject's generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.identity import lockout
from chalicelib.identity.passwords import hash_password, strong_enough, verify_password
from chalicelib.identity.records import SessionRecord, StaffRecord
from chalicelib.identity.rules import STAFF_SHOWN_IN_AUDIT, ends_sessions, require_within
from chalicelib.identity.schemas import StaffCreate, Tokens
from chalicelib.identity.tokens import Claims, issue_access_token, new_refresh_token, refresh_token_hash
from chalicelib.shared import clock
from chalicelib.shared.cache import CachedByKey
from chalicelib.shared.db import Transaction, one_page
from chalicelib.shared.errors import (
    AlreadyExists,
    Conflict,
    NotFound,
    PreconditionFailed,
    TokenRejected,
    Unauthenticated,
    ValidationFailed,
)
from chalicelib.shared.events import change_summary, emit, new_event
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.settings import get_settings
from chalicelib.shared.unique import UniqueRecord
from chalicelib.shared.versions import Expected

BAD_LOGIN = "Wrong username or password"
SESSION_CACHE_SECONDS = 30.0
SESSIONS_ENDED = "This session was ended (a new password, or the account was disabled or re-roled); log in again"


def username_key(username: str) -> str:
    return f"username:{username.lower()}"


def log_in(username: str, password: str) -> Tokens:
    """Tokens for a staff member whose password matches; 401 otherwise, 429 while the account is locked."""
    subject = username_key(username)  # counted per username, known or not, so a lock tells nothing
    lockout.begin_attempt(subject)
    claim = UniqueRecord.find(subject)
    staff = StaffRecord.find(claim.owner) if claim else None
    if not verify_password(staff.password_hash if staff else None, password) or staff is None:
        raise Unauthenticated(BAD_LOGIN)
    if staff.status != "active":
        raise Unauthenticated(BAD_LOGIN)
    lockout.clear(subject)
    return issue_tokens(_staff_claims(staff, clock.real_now().timestamp()))


def _staff_claims(staff: StaffRecord, auth_time: float) -> Claims:
    roles = tuple(str(role) for role in staff.roles or ())
    stores = tuple(str(store) for store in staff.stores or ())
    return Claims(f"staff:{staff.staff_id}", roles, stores, generation=_generation(staff), auth_time=auth_time)


def _generation(staff: StaffRecord) -> int:
    return int(staff.session_generation or 0)  # accounts made before generations existed hold none: 0


def issue_tokens(claims: Claims) -> Tokens:
    """An access token for ``claims`` and a new session (refresh token) for its subject, keeping its log-in time."""
    access, lifetime = issue_access_token(claims)
    refresh, hashed = new_refresh_token()
    now = clock.real_now()  # a session's life is security, on real time (a moved test clock ends none)
    expires = now + timedelta(days=get_settings().refresh_token_days)
    SessionRecord(
        hashed, subject=claims.subject, status="active", created_at=clock.iso(now), expires_at=expires,
        generation=claims.generation, auth_time=int(claims.auth_time),
    ).save()  # fmt: skip
    return Tokens(access_token=access, expires_in=lifetime, refresh_token=refresh)


def refresh(refresh_token: str) -> Tokens:
    """New tokens for a valid refresh token, which is used up, while its subject has ended no sessions since it
    began (401); the account's current roles apply, and the log-in time stays the session's (a refresh is not a
    log-in)."""
    hashed = refresh_token_hash(refresh_token)
    session = SessionRecord.find(hashed)
    if session is None or session.status != "active" or session.expires_at <= clock.real_now():
        raise Unauthenticated("The refresh token is not valid; log in again")
    try:
        SessionRecord(hashed).update(
            actions=[SessionRecord.status.set("used")], condition=SessionRecord.status == "active"
        )
    except UpdateError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            raise Unauthenticated("The refresh token was already used; log in again") from None
        raise
    kind, _, subject_id = session.subject.partition(":")
    auth_time = float(session.auth_time or 0)  # sessions begun before log-in times were kept: an old log-in
    if kind == "member":
        from chalicelib.identity.member_auth import member_claims

        claims = member_claims(subject_id, auth_time)
    else:
        staff = StaffRecord.find(subject_id) if kind == "staff" else None
        if staff is None or staff.status != "active":
            raise Unauthenticated("The account is disabled")
        claims = _staff_claims(staff, auth_time)
    if int(session.generation or 0) != claims.generation:  # sessions begun before generations existed: 0
        raise Unauthenticated(SESSIONS_ENDED)
    return issue_tokens(claims)


def log_out(refresh_token: str) -> None:
    """Revoke a refresh token; unknown or used tokens are already as good as revoked."""
    hashed = refresh_token_hash(refresh_token)
    if SessionRecord.find(hashed) is not None:
        SessionRecord(hashed).update(actions=[SessionRecord.status.set("revoked")])


@dataclass(frozen=True)
class SessionState:
    """What an access token is checked against: the status of its staff account or membership, and its session
    generation."""

    status: str
    generation: int


def _session_state(staff_id: str) -> SessionState | None:
    staff = StaffRecord.find(staff_id)
    return SessionState(staff.status, _generation(staff)) if staff else None


_sessions: CachedByKey[str, SessionState | None] = CachedByKey(_session_state, SESSION_CACHE_SECONDS)


def require_current_session(claims: Claims) -> None:
    """A staff access token works while its account is active and has ended no sessions since the token was
    issued (a disable, re-role, re-scope or new password raises the account's session generation; 401 then).
    Each process reads an account at most once every ``SESSION_CACHE_SECONDS`` (30 s), so such a change refuses
    old tokens within 30 seconds everywhere, and at once in the process that made it."""
    state = _sessions.get(claims.id)
    if state is None or state.status != "active":
        raise TokenRejected("The account is disabled")
    if state.generation != claims.generation:
        raise TokenRejected(SESSIONS_ENDED)


def _staff_values(staff: StaffRecord) -> dict[str, Any]:
    return {"roles": list(staff.roles or []), "stores": list(staff.stores or []), "status": staff.status}


def _staff_event(tx: Transaction, type: str, staff: StaffRecord, details: dict[str, Any]) -> None:
    """Staff changes are events too, so the audit log records who changed whom (never a password or a name)."""
    payload = {"staff_id": staff.staff_id, **_staff_values(staff), **details}
    emit(tx, new_event(type, f"staff/{staff.staff_id}", payload))


def create_staff(data: StaffCreate) -> StaffRecord:
    weak = strong_enough(data.password)
    if weak:
        raise ValidationFailed([{"field": "password", "in": "body", "message": weak}])
    require_known_stores(data.stores)
    now = clock.iso(clock.now())
    staff = StaffRecord(
        new_id("sf_"), username=data.username, display_name=data.display_name,
        password_hash=hash_password(data.password), roles=sorted({str(role) for role in data.roles}),
        stores=sorted(set(data.stores)), status="active", created_at=now, updated_at=now,
    )  # fmt: skip
    tx = Transaction()
    tx.put(staff, condition=StaffRecord.staff_id.does_not_exist())
    claim = UniqueRecord(username_key(data.username), owner=staff.staff_id, created_at=now)
    taken = AlreadyExists(f"The username {data.username!r} is taken")
    tx.put(claim, condition=UniqueRecord.key.does_not_exist(), on_fail=taken)
    _staff_event(tx, "staff.created", staff, {"changed": ["display_name", "roles", "stores", "status", "username"]})
    tx.commit()
    return get_staff(staff.staff_id)


def require_known_stores(stores: Any) -> None:
    """Staff and partners are scoped to stores that exist (stores are never deleted, so a read is enough): a scope
    naming a store made later would silently gain it."""
    from chalicelib.stores.service import store_exists

    unknown = sorted({str(store) for store in stores if not store_exists(str(store))})
    if unknown:
        raise ValidationFailed([{"field": "stores", "in": "body", "message": f"no such stores: {', '.join(unknown)}"}])


def get_staff(staff_id: str) -> StaffRecord:
    staff = StaffRecord.find(staff_id)
    if staff is None:
        raise NotFound(f"No staff member {staff_id!r}")
    return staff


class LockingOut(Conflict):
    slug, title = "locking-out", "Admins cannot disable themselves or drop their own admin role"


def update_staff(
    staff_id: str, changes: dict[str, Any], if_match: Expected, *, by: str, scope: frozenset[str] = frozenset()
) -> StaffRecord:
    """Re-role, re-scope, rename, disable or enable, if the account is at a version ``if_match`` names. A caller
    scoped to stores (``scope``) edits only accounts within them, and re-scopes only within them (403).

    ``by`` (the caller's staff id) may not disable their own account or drop their own admin role, so the
    platform always keeps an active admin: whoever disables the others stays one, and taking an active admin away
    commits only while the caller is still one (two admins disabling each other at once: the second is refused,
    409 ``locking-out``). Disabling, enabling,
    re-roling and re-scoping end the account's sessions (its own, when admins add a role to themselves).
    """
    staff = get_staff(staff_id)
    require_within(scope, staff.stores or (), "The account's store scope")
    if "stores" in changes:
        require_within(scope, changes["stores"] or (), "The account's new store scope")
    if_match.require(int(staff.version or 0), "staff member")
    if staff_id == by and (changes.get("status") == "disabled" or "admin" not in changes.get("roles", ["admin"])):
        raise LockingOut("Ask another admin to disable your account or change your roles")
    require_known_stores(changes.get("stores", ()))
    before = _staff_values(staff)
    actions: list[Any] = [StaffRecord.updated_at.set(clock.iso(clock.now()))]
    for name, value in changes.items():
        if name in ("roles", "stores"):
            value = sorted({str(item) for item in value})
        actions.append(getattr(StaffRecord, name).set(value))
        setattr(staff, name, value)
    after = _staff_values(staff)
    ended = ends_sessions(before, after)
    if ended:
        actions.append(StaffRecord.session_generation.add(1))
    tx = Transaction()
    versioned = StaffRecord(staff_id)
    versioned.version = staff.version
    tx.update(versioned, actions, on_fail=PreconditionFailed("The staff member changed while being edited"))
    if _active_admin(before) and not _active_admin(after):
        tx.check(StaffRecord, by, condition=(StaffRecord.status == "active") & StaffRecord.roles.contains("admin"),
                 on_fail=LockingOut("Your own account stopped being an active admin meanwhile"))  # fmt: skip
    summary = change_summary(changes, before, after, STAFF_SHOWN_IN_AUDIT)
    _staff_event(tx, "staff.updated", staff, {**summary, "sessions_ended": ended})
    tx.commit()
    _sessions.forget(staff_id)
    return get_staff(staff_id)


def _active_admin(values: dict[str, Any]) -> bool:
    return values["status"] == "active" and "admin" in values["roles"]


def reset_password(staff_id: str, password: str, *, scope: frozenset[str] = frozenset()) -> None:
    """Set a new password, unlock the account and end its sessions; a caller scoped to stores (``scope``) only for
    an account within them (403: resetting a chain admin's password would take their account over)."""
    weak = strong_enough(password)
    if weak:
        raise ValidationFailed([{"field": "password", "in": "body", "message": weak}])
    staff = get_staff(staff_id)
    require_within(scope, staff.stores or (), "The account's store scope")
    actions: list[Any] = [
        StaffRecord.password_hash.set(hash_password(password)),
        StaffRecord.updated_at.set(clock.iso(clock.now())),
        StaffRecord.session_generation.add(1),
    ]
    tx = Transaction()
    versioned = StaffRecord(staff_id)
    versioned.version = staff.version  # the version moves on, unconditionally: a reset wins over an edit
    tx.update(versioned, actions, add_version_condition=False)
    _staff_event(tx, "staff.password-reset", staff, {"changed": ["password"], "sessions_ended": True})
    tx.commit()
    _sessions.forget(staff_id)
    lockout.clear(username_key(staff.username))


def display_names(staff_ids: list[str]) -> dict[str, str]:
    """Colleagues' display names by account id, for screens that say who recorded something (one batch read); an
    unknown id is left out."""
    return {record.staff_id: record.display_name for record in StaffRecord.batch_get(sorted(set(staff_ids)))}


def list_staff(limit: int, cursor: str | None) -> tuple[list[StaffRecord], str | None]:
    records, last = one_page(
        StaffRecord, StaffRecord.scan(page_size=limit, last_evaluated_key=decode_cursor("staff", cursor))
    )
    return records, encode_cursor("staff", last)


def ensure_admin(username: str, password: str) -> bool:
    """Create the first admin if that username is free (local bootstrap); True when it was created."""
    if UniqueRecord.find(username_key(username)) is not None:
        return False
    create_staff(StaffCreate(username=username, display_name="Administrator", password=password, roles=["admin"]))
    return True
