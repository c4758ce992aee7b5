"""Partner credentials: an id and secrets for each partner system, scoped to stores.

- An admin creates a partner and receives its first secret once; only the sealed secret is kept.
- Rotation: add a second secret, move the partner to it, revoke the first. At most two secrets are active.
- A partner acts for the stores it names; an empty list (created with ``all_stores``) means every store.
- Signed requests are checked against a cache of each partner's active secrets that is at most
  ``CACHE_SECONDS`` old, so a revoked secret or a disabled partner stops working within that time.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib.identity.records import PartnerRecord
from chalicelib.identity.rules import require_within
from chalicelib.identity.signatures import TOLERANCE_SECONDS, BadSignature, ClockSkew, verify
from chalicelib.shared import clock
from chalicelib.shared.cache import CachedByKey
from chalicelib.shared.crypto import Sealer, keyring
from chalicelib.shared.db import Transaction, one_page
from chalicelib.shared.errors import (
    AlreadyExists,
    Conflict,
    NotFound,
    PreconditionFailed,
    Unauthenticated,
    ValidationFailed,
)
from chalicelib.shared.events import change_summary, emit, new_event
from chalicelib.shared.ids import COUNTER, new_id
from chalicelib.shared.logs import logger
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.versions import Expected

MAX_ACTIVE_SECRETS = 2
CACHE_SECONDS = 30.0
BAD_SIGNATURE = "The request is not signed by a known partner (X-Partner-Id, X-Signature)"
# what the audit log shows of a partner's change (its secrets never)
SHOWN_IN_AUDIT = frozenset({"name", "stores", "enrols_members", "accepts_v1", "status"})


class TooManySecrets(Conflict):
    slug, title = "too-many-secrets", "The partner already has two active secrets"


@dataclass(frozen=True)
class PartnerSecret:
    secret_id: str
    created_at: str
    revoked_at: str | None


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    stores: list[str]
    enrols_members: bool
    accepts_v1: bool
    status: str
    secrets: list[PartnerSecret]
    created_at: str
    updated_at: str
    version: int


@dataclass(frozen=True)
class Issued:
    """A partner with a secret just made: the only time the secret is shown."""

    partner: Partner
    secret_id: str
    secret: str


def new_secret() -> str:
    return "psk_" + secrets.token_urlsafe(32)


def create_partner(
    name: str, stores: list[str], *, partner_id: str | None = None, secret: str | None = None,
    enrols_members: bool = False, accepts_v1: bool = False,
) -> Issued:  # fmt: skip
    """A new partner and its first secret (``partner_id`` and ``secret`` are given only by the local bootstrap). Never
    under the counter's id: that partner's webhooks would reach the sales and payments cashiers booked."""
    if partner_id == COUNTER:
        raise ValidationFailed([{"field": "partner_id", "in": "body", "message": "reserved for the counter"}],
                               f"{COUNTER!r} is the counter's: no partner takes it")  # fmt: skip
    partner_id = partner_id or new_id("pt_")
    secret = secret or new_secret()
    data_key, wrapped = keyring().new_data_key()
    now = clock.iso(clock.now())
    secret_id = new_id("ps_")
    sealed = Sealer(f"partner/{partner_id}", data_key).seal(secret_id, secret)
    record = PartnerRecord(
        partner_id, name=name, stores=sorted(set(stores)), status="active", enrols_members=enrols_members,
        accepts_v1=accepts_v1, data_key=wrapped.stored, created_at=now, updated_at=now,
        secrets=json.dumps([{"secret_id": secret_id, "sealed": sealed, "created_at": now, "revoked_at": None}]),
    )  # fmt: skip
    tx = Transaction()
    taken = AlreadyExists(f"A partner {partner_id!r} exists")
    tx.put(record, condition=PartnerRecord.partner_id.does_not_exist(), on_fail=taken)
    _event(tx, "partner.created", record, {"secret_id": secret_id})
    tx.commit()
    _cache.forget(partner_id)
    return Issued(get_partner(partner_id), secret_id, secret)


def get_partner(partner_id: str) -> Partner:
    return _partner(_record(partner_id))


def list_partners(limit: int, cursor: str | None) -> tuple[list[Partner], str | None]:
    results = PartnerRecord.scan(page_size=limit, last_evaluated_key=decode_cursor("partners", cursor))
    records, last = one_page(PartnerRecord, results)
    return [_partner(record) for record in records], encode_cursor("partners", last)


def update_partner(
    partner_id: str, changes: dict[str, Any], if_match: Expected, *, scope: frozenset[str] = frozenset()
) -> Partner:
    """Rename, re-scope, disable or enable a partner at the version ``if_match`` names; a caller scoped to stores
    (``scope``) only a partner within them, and only within them (403)."""
    record = _record(partner_id)
    require_within(scope, record.stores or (), "The partner's store scope")
    if "stores" in changes:
        require_within(scope, changes["stores"] or (), "The partner's new store scope")
    if_match.require(int(record.version or 0), "partner")
    before = _shown_values(record)
    actions: list[Any] = [PartnerRecord.updated_at.set(clock.iso(clock.now()))]
    for name, value in changes.items():
        value = sorted(set(value)) if name == "stores" else value
        actions.append(getattr(PartnerRecord, name).set(value))
        setattr(record, name, value)
    _write(record, actions, "partner.updated", change_summary(changes, before, _shown_values(record), SHOWN_IN_AUDIT))
    return get_partner(partner_id)


def add_secret(partner_id: str, *, scope: frozenset[str] = frozenset()) -> Issued:
    """A further secret for rotation; 409 while two are active; 403 for a partner beyond a scoped caller's stores."""
    record = _record(partner_id)
    require_within(scope, record.stores or (), "The partner's store scope")
    listed = json.loads(record.secrets)
    if sum(1 for entry in listed if entry["revoked_at"] is None) >= MAX_ACTIVE_SECRETS:
        raise TooManySecrets("Revoke one of the two active secrets first")
    secret, secret_id, now = new_secret(), new_id("ps_"), clock.iso(clock.now())
    sealed = _sealer(record).seal(secret_id, secret)
    listed.append({"secret_id": secret_id, "sealed": sealed, "created_at": now, "revoked_at": None})
    _write(record, [PartnerRecord.secrets.set(json.dumps(listed)), PartnerRecord.updated_at.set(now)],
           "partner.secret-added", {"secret_id": secret_id})  # fmt: skip
    return Issued(get_partner(partner_id), secret_id, secret)


def revoke_secret(partner_id: str, secret_id: str, *, scope: frozenset[str] = frozenset()) -> Partner:
    """Revoke a secret (revoking a revoked one changes nothing); requests signed with it fail within the cache
    age. The sealed secret is dropped: nothing can sign with it again. 403 for a partner beyond a scoped caller's
    stores (``scope``)."""
    record = _record(partner_id)
    require_within(scope, record.stores or (), "The partner's store scope")
    listed = json.loads(record.secrets)
    entry = next((entry for entry in listed if entry["secret_id"] == secret_id), None)
    if entry is None:
        raise NotFound(f"No secret {secret_id!r} for partner {partner_id!r}")
    if entry["revoked_at"] is None:
        now = clock.iso(clock.now())
        entry.update(revoked_at=now, sealed=None)
        _write(record, [PartnerRecord.secrets.set(json.dumps(listed)), PartnerRecord.updated_at.set(now)],
               "partner.secret-revoked", {"secret_id": secret_id})  # fmt: skip
    return get_partner(partner_id)


def _write(record: PartnerRecord, actions: list[Any], event: str, details: dict[str, Any]) -> None:
    tx = Transaction()
    versioned = PartnerRecord(record.partner_id)
    versioned.version = record.version
    tx.update(versioned, actions, on_fail=PreconditionFailed("The partner changed meanwhile; read it again"))
    _event(tx, event, record, details)
    tx.commit()
    _cache.forget(record.partner_id)


def _event(tx: Transaction, type: str, record: PartnerRecord, details: dict[str, Any]) -> None:
    emit(tx, new_event(type, f"partner/{record.partner_id}", {
        "partner_id": record.partner_id, "stores": list(record.stores or []), "status": record.status, **details,
    }))  # fmt: skip


def _shown_values(record: PartnerRecord) -> dict[str, Any]:
    return {
        "name": record.name, "stores": list(record.stores or []), "enrols_members": bool(record.enrols_members),
        "accepts_v1": bool(record.accepts_v1), "status": record.status,
    }  # fmt: skip


def _record(partner_id: str) -> PartnerRecord:
    record = PartnerRecord.find(partner_id)
    if record is None:
        raise NotFound(f"No partner {partner_id!r}")
    return record


def _sealer(record: PartnerRecord) -> Sealer:
    return Sealer.for_stored_key(f"partner/{record.partner_id}", record.data_key)


def _partner(record: PartnerRecord) -> Partner:
    listed = [PartnerSecret(e["secret_id"], e["created_at"], e["revoked_at"]) for e in json.loads(record.secrets)]
    return Partner(
        partner_id=record.partner_id, name=record.name, stores=[str(store) for store in record.stores or []],
        status=record.status, enrols_members=bool(record.enrols_members), accepts_v1=bool(record.accepts_v1),
        secrets=listed, created_at=record.created_at, updated_at=record.updated_at, version=int(record.version or 0),
    )  # fmt: skip


@dataclass(frozen=True)
class SigningKeys:
    stores: tuple[str, ...]
    secrets: tuple[str, ...]  # active secrets, opened; empty when the partner is unknown or disabled
    enrols_members: bool = False
    accepts_v1: bool = False


def _load_keys(partner_id: str) -> SigningKeys:
    record = PartnerRecord.find(partner_id)
    if record is None or record.status != "active":
        return SigningKeys((), ())
    sealer = _sealer(record)
    active = [e for e in json.loads(record.secrets) if e["revoked_at"] is None and e["sealed"]]
    opened = tuple(sealer.open(e["secret_id"], e["sealed"]) for e in active)
    return SigningKeys(tuple(str(s) for s in record.stores or ()), opened, bool(record.enrols_members),
                       bool(record.accepts_v1))  # fmt: skip


# Each partner's active secrets as read at most CACHE_SECONDS ago (this process only); unknown or disabled partners
# are not kept, so made-up ids cannot flood the cache.
_cache: CachedByKey[str, SigningKeys] = CachedByKey(_load_keys, CACHE_SECONDS, keep=lambda keys: bool(keys.secrets))


def authenticate(partner_id: str, signature: str, body: bytes, method: str, path: str) -> tuple[str, ...]:
    """The stores of the partner whose active secret signed this request (``v2``: its method, path and body; ``v1``,
    the body alone, for a partner still allowed it); 401 for anything else, and for the counter's id whatever signs
    it (a partner left under it from before it was reserved would reach the counter's sales and payments)."""
    if not partner_id or partner_id == COUNTER or len(partner_id) > 64 or not signature or len(signature) > 1024:
        raise Unauthenticated(BAD_SIGNATURE)
    keys = _cache.get(partner_id)
    try:
        verify(signature, body, keys.secrets, clock.real_now().timestamp(), method=method, path=path,
               accepts_v1=keys.accepts_v1)  # fmt: skip
    except BadSignature as e:
        logger.info("partner signature refused", extra={"partner_id": partner_id, "reason": str(e)})
        if isinstance(e, ClockSkew):  # the partner's own secret signed it: its clock is off (an integrator)
            raise Unauthenticated(
                f"The signature's time t= is {e.seconds} seconds from the platform's clock; at most "
                f"{TOLERANCE_SECONDS} are accepted: set the sender's clock (NTP)"
            ) from None
        raise Unauthenticated(BAD_SIGNATURE) from None
    return keys.stores


def enrols_members(partner_id: str) -> bool:
    """Whether purchases from this partner may register unknown phones (as cached for its signatures)."""
    return _cache.get(partner_id).enrols_members


def ensure_partner(partner_id: str, secret: str, name: str = "Demo POS") -> bool:
    """Create the local demo partner with a known id and secret if it is missing; True when created."""
    if PartnerRecord.find(partner_id) is not None:
        return False
    create_partner(name, [], partner_id=partner_id, secret=secret, enrols_members=True)
    return True
