"""Member use cases: register, read, edit with If-Match, erase, look up, list.

Every write is one transaction holding the profile, the uniqueness items it claims or releases and its
event, so a phone belongs to one member even under concurrent registrations.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.identity.rules import Permission
from chalicelib.ledger.model import Account
from chalicelib.ledger.registry import account as ledger_account
from chalicelib.ledger.registry import mark_in, register_guard, unchanged_in
from chalicelib.members import codes, repository
from chalicelib.members.model import (
    SHOWN_IN_AUDIT,
    Member,
    RuleBroken,
    Status,
    apply_changes,
    mask_email,
    mask_phone,
    merge_consents,
    new_member_no,
    normalise_email,
    search_terms,
    with_student_ids,
)
from chalicelib.members.records import MemberRecord
from chalicelib.members.schemas import MemberCreate, MemberListQuery, MemberSearch
from chalicelib.shared import clock
from chalicelib.shared.cache import Cached
from chalicelib.shared.context import current_origin
from chalicelib.shared.crypto import Sealer, WrappedKey, keyring, lookup_hash, unwrapped_keys
from chalicelib.shared.dateindex import shard_of
from chalicelib.shared.db import FilledPage, Transaction
from chalicelib.shared.errors import Conflict, DomainError, NotFound, PreconditionFailed, Unavailable, ValidationFailed
from chalicelib.shared.events import change_summary, emit, new_event
from chalicelib.shared.idempotency import IdempotencyKey, run_once
from chalicelib.shared.ids import new_id
from chalicelib.shared.jobs import lower_oldest, platform_epoch, recorded_oldest
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.ratelimit import Limit, refusal_now, take, take_in_window
from chalicelib.shared.settings import get_settings

if TYPE_CHECKING:
    from chalicelib.identity.access import Caller
from chalicelib.shared.unique import UniqueRecord
from chalicelib.shared.versions import Expected
from chalicelib.stores.service import not_open

DEFAULT_TIER = "normal"
FIRST_LIST_MONTH = "1990-01"  # no registration is earlier (the schema refuses it)
OLDEST_REGISTRATION = "oldest-registration-month"  # the platform's record of the oldest month anyone registered in
EARLIEST = "0"  # sorts before every ISO instant: "no lower bound" in a key condition
READS_PER_PAGE = 25  # index reads a page may make once it has found a member
ERASED_NAME = ""


class PhoneTaken(Conflict):
    slug, title = "phone-taken", "This phone already belongs to a member"


class MemberNoTaken(Conflict):
    slug, title = "member-no-taken", "This member number is already in use"


class BirthdayOnRecord(Conflict):
    slug, title = "birthday-on-record", "The birthday is on record: a member records it once, staff correct it"


class MemberErased(Conflict):
    slug, title = "member-erased", "The member was erased"


class AlreadyImported(Conflict):
    slug, title = "already-imported", "A row with this phone was imported before"


Opening = Callable[[Transaction, str], None]  # writes of another domain joining a registration (a migration)


def register(
    data: MemberCreate,
    key: IdempotencyKey | None = None,
    *,
    import_fingerprint: str | None = None,
    opening: Opening | None = None,
    import_id: str | None = None,
) -> tuple[str, bool]:
    """Register a member; returns the member id and whether this answer replays an earlier request.

    The phone (as a keyed hash) and the member number are claimed in the same transaction as the profile.
    A generated member number that collides is replaced; a given one that is taken is 409. An import also
    leaves a marker per phone holding a keyed fingerprint of its row and no member id: it outlives phone
    changes and erasure, so re-running a file never brings back what was changed or erased; it names the
    import job that wrote it (``import_id``), if any. ``opening`` adds what a migrated member brings from
    elsewhere (their tier, this period's spend) to the same commit.
    """
    _check_references(data.home_store_id, data.referrer_id)
    _note_registered([_registered_month(data)])
    for _ in range(5):
        member_no = data.member_no or new_member_no()
        try:
            perform = functools.partial(_register, data=data, member_no=member_no, fingerprint=import_fingerprint,
                                        opening=opening, import_id=import_id)  # fmt: skip
            answer, replayed = run_once(key, perform)
        except MemberNoTaken:
            if data.member_no:
                raise
            continue
        return str(answer["member_id"]), replayed
    raise MemberNoTaken("Could not find a free member number; retry")


def _register(
    tx: Transaction,
    *,
    data: MemberCreate,
    member_no: str,
    fingerprint: str | None,
    opening: Opening | None,
    data_key: tuple[bytes, WrappedKey] | None = None,
    import_id: str | None = None,
) -> dict[str, Any]:
    now = clock.iso(clock.now())
    registered_at = clock.iso(data.registered_at) if data.registered_at else now
    member = Member(
        member_id=new_id("mb_"), member_no=member_no, name=data.name, phone=data.phone, email=data.email,
        gender=data.gender, birthday=data.birthday, city=data.city, region=data.region,
        addresses=[address.model_dump(exclude_none=True) for address in data.addresses], source=data.source,
        referrer_id=data.referrer_id, home_store_id=data.home_store_id, registered_at=registered_at,
        status=Status.ACTIVE, tier=DEFAULT_TIER, tags=sorted(set(data.tags)),
        consents=_stamped_consents(data, now), created_at=now, updated_at=now,
        version=1, students=with_student_ids([], [s.model_dump(mode="json", exclude_none=True) for s in data.students],
                                             now),
    )  # fmt: skip
    plain_key, wrapped = data_key or keyring().new_data_key()
    sealer = Sealer(member.member_id, plain_key)
    assert member.phone is not None
    returning = str(member.source) != "import" and _returned(member.phone)
    record = repository.new_record(member, wrapped, sealer, data.language)
    record.returning = True if returning else None
    tx.put(record, condition=MemberRecord.member_id.does_not_exist())
    _claim(tx, repository.phone_key(member.phone), member.member_id, now, PhoneTaken())
    _claim(tx, repository.member_no_key(member_no), member.member_id, now, MemberNoTaken())
    if fingerprint:
        marker_key = repository.import_key(member.phone)
        marker = UniqueRecord(marker_key, owner="import", created_at=now, fingerprint=fingerprint,
                              imported_by=import_id)  # fmt: skip
        tx.put(marker, condition=UniqueRecord.key.does_not_exist(), on_fail=AlreadyImported())
    if data.referrer_id:
        _require_referrer(tx, data.referrer_id)
    if opening is not None:
        opening(tx, member.member_id)
    emit(tx, new_event("member.registered", f"member/{member.member_id}", {
        "member_id": member.member_id, "member_no": member_no, "home_store_id": member.home_store_id,
        "source": str(member.source), "referrer_id": member.referrer_id, "registered_at": registered_at,
        "consents": dict(data.consents), "consented_at": _consent_stamp(data, now)[0],
        "consent_source": _consent_stamp(data, now)[1], "import_id": import_id,
        "consent_proofs": {channel: dict(zip(("given_at", "source"), _consent_stamp(data, now, channel), strict=True))
                           for channel in data.consent_proofs},
        "born_this_month": member.birthday is not None and member.birthday.month == clock.business_today().month,
        **({"language": data.language} if data.language else {}),
        **({"returning": True} if returning else {}),
    }))  # fmt: skip
    return {"member_id": member.member_id}


def _returned(phone: str) -> bool:
    """Whether the phone was an erased member's within ``LOYALTY_WELCOME_MEMORY_DAYS`` (its marker, one read): the
    welcome gifts (registration points and coupons, a birthday gift on joining) are once per phone, not per
    membership (a walkthrough closed its membership and joined again a minute later for a second 新人券)."""
    marker = UniqueRecord.find(repository.welcomed_key(lookup_hash("phone", phone)))
    return marker is not None and (marker.expires_at is None or marker.expires_at > clock.now())


def welcomed_before(member_id: str) -> bool:
    """Whether the member joined with a phone an erased member had within ``LOYALTY_WELCOME_MEMORY_DAYS``: what is
    given once per phone, not per membership (welcome gifts, a paid card's free trial), was given already."""
    record = MemberRecord.find(member_id)
    return bool(record and record.returning)


def _welcomed(tx: Transaction, phone_hash: str) -> None:
    """Leave the marker that a phone was welcomed, for ``LOYALTY_WELCOME_MEMORY_DAYS``: its time is the month it ends
    in, not the moment, so it tells nothing of when, or whose, it was (a review: it matched the erasure's time)."""
    if days := get_settings().welcome_memory_days:
        month = (clock.now() + timedelta(days=days)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        until = (month + timedelta(days=32)).replace(day=1)  # the first of the next month: at least the days said
        tx.put(UniqueRecord(repository.welcomed_key(phone_hash), owner="welcomed", created_at=month.date().isoformat(),
                            expires_at=until))  # fmt: skip


def _registered_month(data: MemberCreate) -> str:
    """The month (UTC, as the month index keys it) a registration is dated."""
    return clock.iso(data.registered_at or clock.now())[:7]


_oldest_known = Cached(lambda: recorded_oldest(OLDEST_REGISTRATION), seconds=3600.0)


def _note_registered(months: list[str]) -> None:
    """Before registrations dated in ``months`` commit: record the oldest of them if it is older than the platform's
    record (a registration dated back, an import), so a list walking back month by month knows where to stop.

    The record only ever goes back, so a process's cached copy is never older than it: a month no older than the
    copy needs no write, and a new registration costs nothing. The platform's first registration records the
    month of its epoch, or an earlier one it is dated in."""
    if not months:
        return
    month, known = min(months), _oldest_known.get()
    if known is not None and month >= known:
        return
    oldest = min(month, platform_epoch().isoformat()[:7])
    if lower_oldest(OLDEST_REGISTRATION, oldest):
        _oldest_known.set(oldest)
    else:
        _oldest_known.forget()  # an older month was recorded meanwhile


def _consent_stamp(data: MemberCreate, now: str, channel: str | None = None) -> tuple[str, str | None]:
    """When and where a channel's consent was given: its own proof, else the registration's, else now, here."""
    proof = data.consent_proofs.get(channel) if channel else None
    proof = proof or data.consent_proof
    return (clock.iso(proof.given_at), proof.source) if proof else (now, None)


def _stamped_consents(data: MemberCreate, now: str) -> dict[str, dict[str, Any]]:
    """A new member's consents, each channel stamped with its proof, or said given by this registration (an
    ``import``'s, else ``registration``: as the consent history says; a walkthrough read none on the profile)."""
    merged: dict[str, dict[str, Any]] = {}
    by_itself = "import" if data.source == "import" else "registration"
    for channel, granted in data.consents.items():
        given_at, source = _consent_stamp(data, now, channel)
        merged |= merge_consents({}, {channel: granted}, given_at, source or by_itself)
    return merged


@dataclass(frozen=True)
class ImportRow:
    """A row of a member import: the registration, its keyed fingerprint, what it opens elsewhere, and the
    import job it belongs to (none: the CLI's loop)."""

    registration: MemberCreate
    fingerprint: str
    opening: Opening | None = None
    import_id: str | None = None

    def brought(self, marker: UniqueRecord) -> bool:
        """Whether ``marker`` was left by this row's own import job (a retried chunk meets its own rows)."""
        return self.import_id is not None and marker.imported_by == self.import_id


ImportOutcome = str | DomainError  # "imported", "skipped", or why the row was refused
MAX_TRANSACTION_ITEMS = 100


def import_rows(rows: list[ImportRow]) -> list[ImportOutcome]:
    """Import a batch of rows (distinct phones): one read for their markers, one data-key call, and one
    transaction for as many rows as fit in 100 items (a member number two rows give goes in two). When a
    transaction is refused (a phone or member number taken meanwhile, or by an earlier row), its rows are
    registered one by one, so each gets its own answer. A row whose marker
    holds its fingerprint is ``skipped`` (``imported`` when its own import job left the marker: a retried
    chunk counts its rows once); another fingerprint is refused."""
    keys = [repository.import_key(row.registration.phone) for row in rows]
    markers = {marker.key: marker for marker in UniqueRecord.batch_get(keys, consistent_read=True)}
    outcomes: list[ImportOutcome | None] = [None] * len(rows)
    fresh = []
    for i, (row, key) in enumerate(zip(rows, keys, strict=True)):
        marker = markers.get(key)
        if marker is None:
            fresh.append(i)
        elif marker.fingerprint == row.fingerprint:
            outcomes[i] = "imported" if row.brought(marker) else "skipped"
        else:
            outcomes[i] = AlreadyImported("imported before from a row with other details")
    data_keys = keyring().new_data_keys(len(fresh))
    _note_registered([_registered_month(rows[i].registration) for i in fresh])
    group: list[int] = []
    numbers: set[str] = set()  # the member numbers the transaction holds: two rows of a file may give one
    tx = Transaction()
    for i, data_key in zip(fresh, data_keys, strict=True):
        row = rows[i]
        try:
            _check_references(row.registration.home_store_id, row.registration.referrer_id)
        except DomainError as e:
            outcomes[i] = e
            continue
        part = Transaction()
        member_no = row.registration.member_no or new_member_no()
        _register(part, data=row.registration, member_no=member_no, fingerprint=row.fingerprint, opening=row.opening,
                  data_key=data_key, import_id=row.import_id)  # fmt: skip
        if len(tx) + len(part) > MAX_TRANSACTION_ITEMS or member_no in numbers:  # one item once a transaction
            _commit_rows(tx, group, rows, outcomes)
            tx, group, numbers = Transaction(), [], set()
        tx.extend(part)
        group.append(i)
        numbers.add(member_no)
    _commit_rows(tx, group, rows, outcomes)
    return [outcome if outcome is not None else "imported" for outcome in outcomes]


def _commit_rows(
    tx: Transaction, group: list[int], rows: list[ImportRow], outcomes: list[ImportOutcome | None]
) -> None:
    if not group:
        return
    try:
        tx.commit()
    except DomainError:
        for i in group:  # one row broke a rule: find which, registering each on its own
            outcomes[i] = _import_one(rows[i])
        return
    for i in group:
        outcomes[i] = "imported"


def _import_one(row: ImportRow) -> ImportOutcome:
    try:
        register(row.registration, import_fingerprint=row.fingerprint, opening=row.opening, import_id=row.import_id)
    except AlreadyImported:
        marker = import_marker(row.registration.phone)
        if marker is None or marker.fingerprint != row.fingerprint:
            return AlreadyImported("imported at the same time by another import")
        return "imported" if row.brought(marker) else "skipped"
    except DomainError as e:
        return e
    return "imported"


def holder(phone: str | None = None, member_no: str | None = None) -> str | None:
    """The id of the member holding a phone (E.164) or member number, read from its uniqueness item."""
    key = repository.phone_key(phone) if phone else repository.member_no_key(member_no or "")
    claim = UniqueRecord.find(key)
    return claim.owner if claim else None


def holders_of_member_nos(member_nos: Iterable[str]) -> dict[str, str]:
    """The member id holding each of these member numbers (会员号) that one holds, in one batch read per hundred of
    their uniqueness items: what staff see of a member, turned into what messages are addressed by."""
    keys = {repository.member_no_key(no): no for no in set(member_nos)}
    return {keys[claim.key]: claim.owner for claim in UniqueRecord.batch_get(list(keys))} if keys else {}


def join(data: MemberCreate) -> str:
    """Register a member for a phone that had none (self-registration, a partner's enrolment); if someone
    registered it a moment earlier (at a till, a concurrent request), that member is the answer."""
    try:
        return register(data)[0]
    except PhoneTaken:
        found = holder(phone=data.phone)
        if found is None:
            raise
        return found


def _require_referrer(tx: Transaction, referrer_id: str) -> None:
    """The referrer must still be a member when the write commits, not only when it was checked."""
    active = MemberRecord.member_id.exists() & (MemberRecord.status != str(Status.ERASED))
    problem = {"field": "referrer_id", "in": "body", "message": f"no member {referrer_id!r}"}
    tx.check(MemberRecord, referrer_id, condition=active, on_fail=ValidationFailed([problem]))


def require(tx: Transaction, member_id: str, requirement: str, on_fail: Exception) -> None:
    """Require, when ``tx`` commits, that the member exists and is ``active`` (may earn and spend) or
    ``present`` (not erased: corrections still apply). The ledger's guard for member holders whose account does
    not keep their status yet (every change of status keeps it there: ``update`` and ``erase`` mark it)."""
    wanted = (
        MemberRecord.status == str(Status.ACTIVE)
        if requirement == "active"
        else MemberRecord.status != str(Status.ERASED)
    )
    tx.check(MemberRecord, member_id, condition=MemberRecord.member_id.exists() & wanted, on_fail=on_fail)


register_guard(require)


def reachable(caller: Caller, member_id: str) -> str:
    """``member_id`` if the caller may reach that member: a route that serves reaches every member of the
    chain; one that manages, called by staff scoped to stores, reaches only members of those stores (others
    are 404, as if absent; the profile is read unopened); anyone else passes here."""
    if caller.stores and not caller.serving:
        member = MemberRecord.find(member_id)
        if member is None or not caller.covers_store(member.home_store_id):
            raise NotFound(f"No member {member_id!r}")
    return member_id


def status_of(member_id: str) -> Status | None:
    """The member's status, or None when there is no such member."""
    record = MemberRecord.find(member_id)
    return Status(record.status) if record else None


def sealer_of(member_id: str) -> Sealer | None:
    """The sealer of the member's own data key, for personal data about them that another domain keeps (a points-mall
    order's shipping address): sealed under their key, it is shredded with their profile on erasure. None for nobody,
    or once erased."""
    record = MemberRecord.find(member_id)
    return repository.sealer_for(record) if record else None


def student_ids(member_id: str, record: MemberRecord | None = None) -> set[str]:
    """The ids of the member's students (学员), opened from their sealed list (none for an unknown or erased member);
    from ``record`` when the caller read it already."""
    return set(student_names(member_id, record))


def student_names(member_id: str, record: MemberRecord | None = None) -> dict[str, str]:
    """The member's students' names by id, for words that name them (a text, a screen): opened where shown, never
    stored elsewhere; from ``record`` when the caller read it already."""
    record = record or MemberRecord.find(member_id)
    if record is None or not record.students_sealed or (sealer := repository.sealer_for(record)) is None:
        return {}
    return {s["student_id"]: s["name"] for s in json.loads(sealer.open("students", record.students_sealed))}


def home_store_of(member_id: str) -> str | None:
    """The member's home store (None: joined online, or no such member)."""
    record = MemberRecord.find(member_id)
    return record.home_store_id if record else None


def summaries(member_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """List rows of these members by id (as member lists show them: name, masked phone, no personal field
    opened), in one batch read per hundred; ids of nobody are left out."""
    wanted = sorted(set(member_ids))
    return {record.member_id: repository.summary(record) for record in MemberRecord.batch_get(wanted)} if wanted else {}


def with_briefs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows (each with a ``member_id``) given ``member``: their member as lists show them (``MemberBrief``), in one
    batch read per hundred."""
    found = summaries(row["member_id"] for row in rows)
    for row in rows:
        summary = found.get(row["member_id"], {})
        if summary.get("status") == Status.ERASED:  # erasure keeps the number for the books, not for lists
            summary = {}
        row["member"] = {"member_no": summary.get("member_no"), "name": summary.get("name", ""),
                         "phone_masked": summary.get("phone_masked")}  # fmt: skip
    return rows


def current_members(member_ids: Iterable[str]) -> set[str]:
    """Which of these ids are members now (neither unknown nor erased), in one batch read per hundred of their
    status alone."""
    wanted = sorted(set(member_ids))
    found = MemberRecord.batch_get(wanted, attributes_to_get=["member_id", "status"]) if wanted else []
    return {record.member_id for record in found if record.status != Status.ERASED}


def bi_rows(member_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The members as the BI export shows them: no personal data (no name, member number, phone, email, birthday or
    address; the birth month only), in one batch read per hundred, by id."""
    wanted = sorted(set(member_ids))
    records = sorted(MemberRecord.batch_get(wanted), key=lambda record: record.member_id) if wanted else []
    return [{
        "member_id": r.member_id, "status": r.status, "tier": r.tier,
        "home_store_id": r.home_store_id, "city": r.city, "region": r.region, "source": r.source,
        "registered_at": r.registered_at, "birth_month": (r.birth_month or "").partition("#")[0] or None,
        "tags": list(r.tags or []), "erased_at": r.erased_at,
        "consents": {channel: bool(given.get("granted")) for channel, given in sorted(json.loads(r.consents).items())},
    } for r in records]  # fmt: skip


@dataclass(frozen=True)
class Reach:
    """How a member can be reached, without opening anything sealed: for deciding a message."""

    status: Status
    has_phone: bool
    has_email: bool
    joined_in: str | None = None  # the language they joined in, if they said one


def reach_of(member_id: str) -> Reach | None:
    """Whether the member has a phone and an email, and the language they joined in (None: no such member)."""
    record = MemberRecord.find(member_id)
    if record is None:
        return None
    return Reach(Status(record.status), bool(record.phone_sealed), bool(record.email_sealed), record.joined_in)


def address_of(member_id: str, channel: str) -> tuple[str, str] | None:
    """The member's phone (``sms``) or email (``email``) opened for sending, with its masked form; None when they
    have none (or were erased)."""
    record = MemberRecord.find(member_id)
    sealer = repository.sealer_for(record) if record else None
    if record is None or sealer is None or record.status == Status.ERASED:
        return None
    member = repository.to_member(record)
    if channel == "sms" and member.phone:
        return member.phone, mask_phone(member.phone)
    if channel == "email" and member.email:
        return member.email, mask_email(member.email) or ""
    return None


def copy_consents(tx: Transaction, member_id: str, given: dict[str, bool], at: str, source: str) -> None:
    """Add to ``tx`` the profile's copy of marketing consents the notifications domain recorded (its ledger of
    consents is the authority), unless the profile already shows each as given. The copy moves no version and
    announces nothing: it only mirrors."""
    record = MemberRecord.find(member_id)
    if record is None or record.status == Status.ERASED:
        return
    current = json.loads(record.consents or "{}")
    merged = merge_consents(current, given, at, source)
    if merged == current:
        return
    M = MemberRecord
    member = M(member_id)
    member.version = 0
    tx.update(member, [M.consents.set(json.dumps(merged, sort_keys=True))],
              condition=M.member_id.exists() & (M.consents == record.consents),
              on_fail=Unavailable("The profile changed meanwhile; the change is redelivered"),
              add_version_condition=False)  # fmt: skip


PROFILE_FIELDS = ("gender", "city", "birthday_sealed", "email_hash")  # what a complete profile has


def profile_complete(member_id: str, *, first_welcome: bool = False) -> bool:
    """Gender stated, city, birthday and email given; with ``first_welcome``, by a member who is new here (not one
    who joined with a phone an erased member had: its reward was a welcome already)."""
    record = MemberRecord.find(member_id)
    if record is None or (first_welcome and record.returning):
        return False
    return record.gender != "undisclosed" and all(getattr(record, f) for f in PROFILE_FIELDS)


def copy_tier(tx: Transaction, member_id: str, tier: str, changed_at: str) -> None:
    """Add to ``tx`` the profile's copy of a tier change, for member lists and segments, unless the profile
    already shows a later change (a change redelivered late never overwrites it). The profile's version (its
    ETag) moves on, as what it shows changed; a change racing another is refused whole and redelivered."""
    record = MemberRecord.find(member_id)
    if record is None or (record.tier_changed_at is not None and record.tier_changed_at >= changed_at):
        return
    M = MemberRecord
    member = M(member_id)
    member.version = 0  # not None: pynamodb then adds 1 to the stored version instead of setting it to 1
    later = M.tier_changed_at.does_not_exist() | (M.tier_changed_at < changed_at)
    tx.update(member, [M.tier.set(tier), M.tier_changed_at.set(changed_at)], condition=M.member_id.exists() & later,
              on_fail=Unavailable("The profile changed meanwhile; the change is redelivered"),
              add_version_condition=False)  # fmt: skip


def import_marker(phone: str) -> UniqueRecord | None:
    """The marker an import left for this phone, if any."""
    return UniqueRecord.find(repository.import_key(phone))


def _claim(tx: Transaction, key: str, owner: str, now: str, taken: Exception) -> None:
    tx.put(UniqueRecord(key, owner=owner, created_at=now), condition=UniqueRecord.key.does_not_exist(), on_fail=taken)


def _release(tx: Transaction, key: str, owner: str) -> None:
    tx.delete(UniqueRecord(key), condition=UniqueRecord.owner == owner)


def get_record(member_id: str) -> MemberRecord:
    record = MemberRecord.find(member_id)
    if record is None:
        raise NotFound(f"No member {member_id!r}")
    return record


def get_member(member_id: str) -> Member:
    return repository.to_member(get_record(member_id))


def update(member_id: str, changes: dict[str, Any], if_match: Expected, *, own: bool = False) -> Member:
    """Apply a merge patch if the member's version is one ``if_match`` names (its ETag); else 412.

    A member editing their ``own`` profile records their birthday once: changing or clearing one on record is 409
    ``birthday-on-record`` (staff correct it, audited), so the birthday gift (生日礼) cannot be moved to the month
    that suits, at a tier borrowed for it.

    Only the changed attributes are written, so a concurrent change of other items (balances, tier) is
    never overwritten. A new phone claims its uniqueness item and releases the old one in the same commit.
    Marketing consents may be withdrawn here but not given: a grant needs the wording the member was shown as
    its proof, which only the message preferences take (422 naming the channel).
    """
    for attempt in range(3):
        tx = Transaction()
        try:
            if edit(tx, member_id, changes, if_match, own=own) is not None:
                tx.commit()
            break
        except _CardsMoved:  # a card was sold while a student's removal was judged: judge it again
            if attempt == 2:
                raise Unavailable("The member's cards kept changing; retry", retry_after=1) from None
    return get_member(member_id)


def add_student(member_id: str, student: dict[str, Any], key: IdempotencyKey | None) -> dict[str, Any]:
    """A student (学员) added by a desk serving the member, at whichever store (a parent who joined online buys a
    child's pack at a campus: an education chain's walkthrough found no desk could name the child), audited as any
    staff edit; once per Idempotency-Key, which keeps the student's id only (their name stays sealed with the
    member's, and a repeat answers the student as the member holds them now). 404 for no such member (or one erased,
    or a student removed since), 422 past ten students; another edit in between is retried."""

    def perform(tx: Transaction) -> dict[str, Any]:
        current = get_member(member_id)
        if current.status is Status.ERASED:
            raise NotFound(f"No member {member_id!r}")
        if len(current.students) >= 10:
            raise ValidationFailed([{"field": "name", "in": "body", "message": "a member names ten students at most"}])
        updated = edit(
            tx, member_id, {"students": [*current.students, student]}, Expected(frozenset({current.version}))
        )
        assert updated is not None  # a student added is a change
        return {"student_id": updated.students[-1]["student_id"]}

    for attempt in range(3):
        try:
            answer, _ = run_once(key, perform)
            break
        except PreconditionFailed:  # another edit of the member came first: read it again
            if attempt == 2:
                raise Unavailable("The member kept changing; retry", retry_after=1) from None
    member = get_member(member_id)
    found = next((s for s in member.students if s["student_id"] == answer["student_id"]), None)
    if member.status is Status.ERASED or found is None:
        raise NotFound(f"No student {answer['student_id']!r} of member {member_id!r}")
    return dict(found)


def edit(tx: Transaction, member_id: str, changes: dict[str, Any], if_match: Expected, *, own: bool = False
         ) -> Member | None:  # fmt: skip
    """Add ``update``'s writes to ``tx``: the member as it will be, or None when nothing changes."""
    record = get_record(member_id)
    current = repository.to_member(record)
    if_match.require(current.version, "member")
    if own and "birthday" in changes and current.birthday is not None and changes["birthday"] != current.birthday:
        raise BirthdayOnRecord("Your birthday is on record; ask a store to correct it")
    granted = [channel for channel, given in (changes.get("consents") or {}).items()
               if given and not (current.consents.get(channel) or {}).get("granted")]  # fmt: skip
    if granted:
        detail = "give marketing consent through the message preferences, with the wording shown (wording_version)"
        errors = [{"field": f"consents.{channel}", "in": "body", "message": detail} for channel in granted]
        raise ValidationFailed(errors, detail)
    try:
        updated = apply_changes(current, changes, clock.iso(clock.now()), "member" if own else "staff")
    except RuleBroken as e:
        if current.status is Status.ERASED:
            raise MemberErased(str(e)) from None
        raise ValidationFailed([{"field": "", "in": "body", "message": str(e)}]) from None
    if not updated.changed:
        return None
    judged_on = _students_may_change(member_id, current.students, updated.students, own) if (
        "students" in updated.changed) else None  # fmt: skip
    _check_references(
        updated.home_store_id if "home_store_id" in updated.changed else None,
        updated.referrer_id if "referrer_id" in updated.changed else None,
    )
    if updated.referrer_id == member_id:
        raise ValidationFailed([{"field": "referrer_id", "in": "body", "message": "a member cannot refer themself"}])
    sealer = repository.sealer_for(record)
    assert sealer is not None  # only erased members lack a key, and they were refused above
    values = {
        **repository.plain_values(updated, updated.changed),
        **repository.sealed_values(updated, sealer, updated.changed),
        "updated_at": updated.updated_at,
    }
    if "birthday" in updated.changed and current.birthday and updated.birthday and (
            current.birthday.month == updated.birthday.month):  # fmt: skip
        values["birthday_recorded_on"] = record.birthday_recorded_on  # a year or day corrected: as recorded (a review)
    versioned = MemberRecord(member_id)
    versioned.version = current.version
    tx.update(versioned, _set_or_remove(values), on_fail=PreconditionFailed("The member changed while being edited"))
    if "students" in updated.changed:  # a sale for a student commits only while this is as it read it
        mark = _students_mark(values.get("students_sealed"))
        tx.put(UniqueRecord(f"students:{member_id}", owner=mark, created_at=updated.updated_at))
    moved = _CardsMoved("A card was sold while a student's removal was judged")
    if judged_on is not None and "status" not in updated.changed:  # the cards as the students' checks read them
        unchanged_in(tx, member_id, judged_on, moved)
    if "referrer_id" in updated.changed and updated.referrer_id:
        _require_referrer(tx, updated.referrer_id)
    if "status" in updated.changed:  # the ledger account keeps it too, so a post needs no check of its own; with a
        # student removed, only while as the checks read it (one operation on the account: a review's freeze and
        # removal in one edit was refused whole)
        mark_in(tx, member_id, str(updated.status), unchanged_since=judged_on, on_fail=moved if judged_on else None)
    if "phone" in updated.changed:
        assert updated.phone is not None
        assert current.phone is not None
        _claim(tx, repository.phone_key(updated.phone), member_id, updated.updated_at, PhoneTaken())
        _release(tx, repository.phone_key(current.phone), member_id)
        _welcomed(tx, lookup_hash("phone", current.phone))  # the phone left was welcomed (a review)
    summary = change_summary(updated.changed, vars(current), vars(updated), SHOWN_IN_AUDIT)
    emit(tx, new_event("member.updated", f"member/{member_id}", {
        "member_id": member_id, "status": str(updated.status), "tier": current.tier, **summary,
        **(_students_moved(current.students, updated.students) if "students" in updated.changed else {}),
    }))  # fmt: skip
    return updated


def _students_moved(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Which students an edit added, removed and renamed, by id (the audit log says whose name a store corrected,
    never the names: a review)."""
    was = {student["student_id"]: student["name"] for student in before}
    now = {student["student_id"]: student["name"] for student in after}
    moved = {"students_added": sorted(set(now) - set(was)), "students_removed": sorted(set(was) - set(now)),
             "students_renamed": sorted(sid for sid in set(now) & set(was) if now[sid] != was[sid])}  # fmt: skip
    return {name: ids for name, ids in moved.items() if ids}


def _students_may_change(
    member_id: str, before: list[dict[str, Any]], after: list[dict[str, Any]], own: bool
) -> Account | None:
    """Run the checks of students removed (or renamed by the member): the member's ledger account as read before
    them, which the edit commits only while unchanged (a card sold for a student meanwhile is judged again), or None
    when no check applies."""
    names = {student["student_id"]: student["name"] for student in after}
    removed = {student["student_id"] for student in before} - set(names)
    renamed = {s["student_id"] for s in before if s["student_id"] in names and names[s["student_id"]] != s["name"]}
    if not (removed or (own and renamed)):
        return None
    seen = ledger_account(member_id)
    _discover_erasure_checks()
    for check in _student_checks:
        check(member_id, removed, renamed, own)
    return seen


def _set_or_remove(values: dict[str, Any]) -> list[Any]:
    attributes = MemberRecord.get_attributes()
    return [
        attributes[name].remove() if value is None or value == [] else attributes[name].set(value)
        for name, value in values.items()
    ]


ERASE_ATTEMPTS = 3


class MemberHoldsValue(Conflict):
    slug, title = "member-holds-value", "The member still holds something that must be settled first"


class StudentHoldsCard(Conflict):
    slug, title = "student-holds-card", "A student named on a card is not removed or renamed so"


class _CardsMoved(PreconditionFailed):
    """A post reached the member's account between a student's removal's checks and its commit (retried)."""


class StudentsChanged(PreconditionFailed):
    """The member's students changed between a sale's check of its student and its commit (the sale reads again)."""


def student_held(
    member_id: str, student_id: str, record: MemberRecord | None = None
) -> Callable[[Transaction], None] | None:
    """The condition a card sold for ``student_id`` commits with: the member's students still as read, so a removal
    committing in between makes the sale read them again (``StudentsChanged``) rather than leave a card naming nobody.
    None when the student is not the member's; ``record``: the member's, when read already."""
    record = record or MemberRecord.find(member_id)
    if student_id not in student_ids(member_id, record):
        return None
    assert record is not None  # it names the student
    # the marker every edit of the students writes (none before one did): not the member record, which the ledger's
    # guard may check in the same transaction
    as_read = UniqueRecord.key.does_not_exist() | (UniqueRecord.owner == _students_mark(record.students_sealed))
    changed = StudentsChanged("The member's students changed while a card was sold for one")
    return lambda tx: tx.check(UniqueRecord, f"students:{member_id}", condition=as_read, on_fail=changed)


def _students_mark(sealed: str | None) -> str:
    """What the students' marker holds of their sealed list: a digest of its ciphertext (sealed anew by every
    edit), no personal data."""
    return hashlib.sha256((sealed or "").encode()).hexdigest()[:32]


_student_checks: list[Callable[[str, set[str], set[str], bool], None]] = []


def before_student_change(check: Callable[[str, set[str], set[str], bool], None]) -> Callable[..., None]:
    """Register ``check(member_id, removed, renamed, own)``: it raises ``StudentHoldsCard`` when students leaving the
    member (``removed``) or renamed by the member themself (``own``) would leave a card naming nobody, or hand a pack
    to another child without a trace (an education chain's walkthrough). Checks live in their domain's ``erasure``
    module, found as the erasure checks are."""
    _student_checks.append(check)
    return check


_erasure_checks: list[Callable[[str], None]] = []


def before_erasure(check: Callable[[str], None]) -> Callable[[str], None]:
    """Register ``check(member_id)``: it raises ``MemberHoldsValue`` when erasing would strand what the member
    owns (another domain's money, e.g. stored value's principal, which only a cash refund may pay out). Checks live
    in their domain's ``erasure`` module, which ``erasure_checks`` imports: a process that imported only the
    members domain (the function answering the erasure) still runs every one."""
    _erasure_checks.append(check)
    return check


@functools.cache
def _discover_erasure_checks() -> None:
    from chalicelib.shared.db import import_each

    import_each("erasure")


def erasure_checks() -> list[Callable[[str], None]]:
    """Every domain's check before an erasure (their ``erasure`` modules imported on first need)."""
    _discover_erasure_checks()
    return list(_erasure_checks)


_erasure_writes: list[Callable[[Transaction, str], None]] = []


def on_erasure(write: Callable[[Transaction, str], None]) -> Callable[[Transaction, str], None]:
    """Register ``write(tx, member_id)``: what another domain removes of the member in the erasure's own transaction
    (identity: the member's password, which must not outlive them), from that domain's ``erasure`` module, so the
    members domain never touches another domain's records."""
    _erasure_writes.append(write)
    return write


def erasure_writes() -> list[Callable[[Transaction, str], None]]:
    _discover_erasure_checks()
    return list(_erasure_writes)


def erase(member_id: str) -> None:
    """Erase a member (PIPL/GDPR): anonymise the profile, release the phone, destroy the data key. The phone's keyed
    hash is kept ``LOYALTY_WELCOME_MEMORY_DAYS`` (365; 0: not kept) as a marker that it was welcomed, nothing else.

    Ledgers and audit records stay, keyed by the member id alone. The member number stays reserved so an
    old card can never reach someone else. Erasing an erased member changes nothing. Erasure is owed, so a
    concurrent edit makes it read again and retry rather than fail; but it waits until nothing the member
    owns would be stranded (409 ``member-holds-value``: refund their stored value's principal first). The checks
    judge the member's ledger account as read before them, and the erasure commits only while it is unchanged:
    a top-up landing in between makes it look again (and refuse), never strands the money.
    """
    for _ in range(ERASE_ATTEMPTS):
        record = get_record(member_id)
        if record.status == Status.ERASED:
            return
        seen = ledger_account(member_id)
        for check in erasure_checks():
            check(member_id)
        try:
            _erase_once(record, seen)
            return
        except PreconditionFailed:
            continue
    raise Unavailable("The member kept changing during erasure; retry", retry_after=1)


def _erase_once(record: MemberRecord, seen: Account) -> None:
    member_id = record.member_id
    now = clock.iso(clock.now())
    erased = {
        "name": ERASED_NAME, "name_hash": None, "gender": "undisclosed", "city": None, "region": None,
        "referrer_id": None, "tags": None, "consents": "{}", "data_key": None, "phone_sealed": None, "phone_hash": None,
        "phone_masked": None, "email_sealed": None, "email_hash": None, "joined_in": None,
        "birthday_sealed": None, "birth_month": None, "addresses_sealed": None, "students_sealed": None,
        "birthday_recorded_on": None,
        "status": str(Status.ERASED),
        "erased_at": now, "updated_at": now,
    }  # fmt: skip
    tx = Transaction()
    versioned = MemberRecord(member_id)
    versioned.version = record.version
    tx.update(versioned, _set_or_remove(erased), on_fail=PreconditionFailed("The member changed while being erased"))
    if record.phone_hash:
        _release(tx, f"phone:{record.phone_hash}", member_id)
        _welcomed(tx, record.phone_hash)  # only that the phone was welcomed, for that long
    if record.students_sealed:
        tx.delete(UniqueRecord(f"students:{member_id}"))  # their list's marker goes with it
    for write in erasure_writes():  # what other domains remove with the member (identity: their password)
        write(tx, member_id)
    mark_in(tx, member_id, str(Status.ERASED), unchanged_since=seen)
    emit(tx, new_event("member.erased", f"member/{member_id}", {
        "member_id": member_id, "erased_at": now, "home_store_id": record.home_store_id, "tier": record.tier,
    }))  # fmt: skip
    tx.commit()
    wrapped = repository.wrapped_key(record)
    if wrapped:
        unwrapped_keys.forget(wrapped)


class AmbiguousEmail(Conflict):
    slug, title = "ambiguous-email", "Several members share this email"


NO_MATCH = "No member matches"  # one answer for every miss, so a lookup tells nothing about who is a member


def lookup(
    phone: str | None = None, member_no: str | None = None, email: str | None = None, code: str | None = None
) -> Member:
    """The member holding a phone (E.164), member number, email or current member code; 404 if none, if
    erased, or if the code expired, all with the same answer.

    Phones and member numbers are unique; an email may be shared, and then the answer is 409.
    """
    if email:
        return _lookup_by_email(email)
    if code is not None:
        member_no = codes.member_no_in(code)
        if member_no is None:
            raise NotFound(NO_MATCH)
    member_id = holder(phone=phone, member_no=member_no)
    if member_id is None:
        raise NotFound(NO_MATCH)
    member = get_member(member_id)
    if member.status is Status.ERASED:
        raise NotFound(NO_MATCH)
    if code is not None and not _code_is_current(member_id, code):
        raise NotFound(NO_MATCH)
    return member


# Wrong codes (a lookup by code, or a payment's proof that the member is there) per 10-minute window, for one
# member and for one caller: past either, every code of that member, or every code that caller sends, is refused
# (429) until the window ends. A code's one-time part is 6 digits with two current at a time, so a guess succeeds
# one time in 500,000: a staff login gets 30 tries a window across all the members it may guess at, and a
# cashier's mistyped scans never come close.
CODE_MISSES = Limit(10, 600, "Too many wrong codes for this member: scan the code their pages show in a few minutes")
CALLER_CODE_MISSES = Limit(30, 600, "Too many wrong member codes from this account: try again in a few minutes")


def code_matches(member_id: str, code: str) -> bool:
    """Whether ``code`` is the member's current code, judged alone: counting nothing (a repeat checks its claim
    first, so a retry of a payment taken while its code was current is never a miss)."""
    return codes.is_current(code, member_id, clock.real_now(), get_settings().lookup_hash_key)


def _code_is_current(member_id: str, code: str) -> bool:
    """Whether ``code`` is the member's current code, counting a miss against the member and the caller."""
    buckets = (
        (f"member-code:{member_id}", CODE_MISSES),
        (f"member-code-by:{current_origin().actor}", CALLER_CODE_MISSES),
    )
    if (refused := refusal_now(*buckets)) is not None:
        raise refused
    if code_matches(member_id, code):
        return True
    tx = Transaction()
    for bucket, limit in buckets:
        take(tx, bucket, limit)
    tx.commit()
    return False


class MemberCodeNotCurrent(ValidationFailed):
    slug, title = "member-code-not-current", "The member code is not the member's current code"

    def __init__(self, detail: str) -> None:
        super().__init__([{"field": "member_code", "in": "body", "message": detail}], detail)


class MemberCodeUsed(ValidationFailed):
    slug, title = "member-code-used", "The member code was used for this already"

    def __init__(self, detail: str) -> None:
        super().__init__([{"field": "member_code", "in": "body", "message": detail}], detail)


SPENDS = {
    "paid": "This code has paid already",
    "redeemed": "This code has redeemed points already",
    "used": "This code has recorded a use of this benefit already",
}


def _shown_minute(member_id: str, code: str, now: datetime) -> int:
    """The minute the member's code was shown in, which its spends are keyed by; 422 ``member-code-not-current``
    for a code that is not theirs now."""
    shown = codes.shown_at(code, member_id, now, get_settings().lookup_hash_key)
    if shown is None:
        raise MemberCodeNotCurrent("This code is expired or not the member's: scan the code their pages show now")
    return shown


def spending_code(member_id: str, code: str, spend: str = "paid", of: str = "") -> Callable[[Transaction], None]:
    """The write that spends a member's current code on a payment (``spend``: `paid`), a points redemption
    (`redeemed`) or a use of the benefit ``of`` (`used`: another benefit may be used on the same scan, a facial and a
    massage in one visit), for its own transaction: a code does each once, as the payment codes members know do, so a
    code scanned or photographed at the till cannot pay or redeem again while it is current (the member pages show a
    new one every minute; an integrator's till, its answer lost, redeemed twice under a new key with one code). The code
    is known by the member and the minute it was shown in, however its text is written. A second one with it is 422
    ``member-code-used``, writing nothing; a repeat of the same request is answered from its claim before this is
    written. One scan still pays, redeems and uses coupons on one order."""
    now = clock.real_now()
    shown = _shown_minute(member_id, code, now)
    used = MemberCodeUsed(f"{SPENDS[spend]}: ask the member for the next code their pages show")
    key = f"member-code-{spend}{f'-{of}' if of else ''}:{member_id}:{shown}"
    return lambda tx: take_in_window(tx, key, 1, now + codes.lifetime(), used)


def code_on_order(member_id: str, code: str, order_id: str) -> Callable[[Transaction], None]:
    """The write that ties the member's current code to one till order for their coupons: several may go on that
    order (stacked), none on another while the code is current (422 ``member-code-used``: a probe's cashier used a
    member's three coupons on three friends' orders on one scan). A marker of the member and the minute the code was
    shown in, naming the order, kept while the code is."""
    now = clock.real_now()
    shown = _shown_minute(member_id, code, now)
    until = now + codes.lifetime() + timedelta(days=1)
    marker = UniqueRecord(f"member-code-order:{member_id}:{shown}", owner=order_id, created_at=clock.iso(now),
                          expires_at=until)  # fmt: skip
    used = MemberCodeUsed("This code used coupons on another order: ask the member for the next code their pages show")
    held = UniqueRecord.key.does_not_exist() | (UniqueRecord.owner == order_id)
    return lambda tx: tx.put(marker, condition=held, on_fail=used)


def require_present(member_id: str, code: str) -> None:
    """The member is at the counter: ``code`` is the code their pages show them now (accepted its minute and the
    next), and it is this member's. An expired, forged or another member's code is 422 ``member-code-not-current``;
    after ``CODE_MISSES`` every code of the member's is 429 until the window ends. One read (the misses' counter):
    the code's one-time value is keyed by the member's id."""
    if not _code_is_current(member_id, code):
        raise MemberCodeNotCurrent("This code is expired or not the member's: scan the code their pages show now")


class NoCodeToText(ValidationFailed):
    slug, title = "member-not-eligible", "The member cannot be texted a code"

    def __init__(self, detail: str) -> None:
        super().__init__([{"field": "member_id", "in": "path", "message": detail}], detail)


TILL_CODE_SENDS = (
    Limit(1, 60, "A code was texted to this member a moment ago: ask them to read it, or send again in a minute"),
    Limit(5, 3600, "Five codes were texted to this member this hour: scan the code their pages show"),
)
TILL_CODE_BY = Limit(60, 3600, "Too many codes texted from this account this hour")


def send_till_code(member_id: str) -> dict[str, Any]:
    """Text the member a till code (门店验证码): six digits, good for a five-minute step and the next, that stand for
    their member code at the till (an older member who never opens their pages still pays from stored value: a retail
    chain's walkthrough could spend none of theirs). Once a minute and five times an hour a member, 60 an hour an
    account (429). 404 for no such member; 422 ``member-not-eligible`` for one frozen, or with no phone."""
    from chalicelib.notifications.service import request_code

    record = get_record(member_id)
    if record.status == str(Status.ERASED):
        raise NotFound(f"No member {member_id!r}")
    sealer = repository.sealer_for(record)  # the phone alone opened
    phone = sealer.open("phone", record.phone_sealed) if sealer and record.phone_sealed else None
    if record.status != str(Status.ACTIVE) or not phone:
        raise NoCodeToText("The member is frozen, or has no phone to text: scan the code their pages show")
    now = clock.real_now()
    code, until = codes.till_code(member_id, now, get_settings().lookup_hash_key)
    tx = Transaction()
    take(tx, f"till-code:{member_id}", *TILL_CODE_SENDS)
    take(tx, f"till-code-by:{current_origin().actor}", TILL_CODE_BY)
    minutes = max(1, int((until - now).total_seconds()) // 60)
    request_code(tx, phone=phone, code=code, minutes=minutes, send_before=now + timedelta(minutes=2),
                 kind="till-code")  # fmt: skip
    tx.commit()
    return {"phone_masked": mask_phone(phone), "expires_at": clock.iso(until)}


def in_person_required(caller: Caller, member_id: str | None = None) -> bool:
    """Whether the caller spends a member's points, coupons or stored value only with the member there (their
    code): a cashier, whom anyone's phone number reaches at the counter (a probe: a cashier spent a stranger's
    points and coupons on a friend's sale), and a partner limited to stores spending for a member of no store of
    its (a probe: a franchise's till spent other stores' members' wallets and coupons by their phone numbers; one
    read of the member's home store). Staff who adjust points by hand (store managers, customer service, admins),
    partners at the member's own stores and the member themselves need no code."""
    if caller.kind == "staff":
        return not caller.may(Permission.POINTS_ADJUST)
    if caller.kind == "partner" and caller.stores and member_id is not None:
        member = MemberRecord.find(member_id)  # nobody: nothing to spend (refused as such after)
        return member is not None and not caller.covers_store(member.home_store_id)
    return False


def require_in_person(member_id: str, code: str | None) -> None:
    """The member is at the counter to spend (``require_present``): 422 on ``member_code`` when none is given."""
    if not code:
        detail = "the member's code (会员码) shows they are here: scan the code their pages show to spend for them"
        raise ValidationFailed([{"field": "member_code", "in": "body", "message": detail}], detail)
    require_present(member_id, code)


def check_in_person(
    caller: Caller, member_id: str, code: str | None, *, repeated: Callable[[], bool] | None = None,
    partners: bool = True,
) -> bool:  # fmt: skip
    """Every spend's rule: where ``in_person_required``, the member is there (``require_in_person``), unless the
    request repeats one answered already (``repeated``: its code may have expired since). ``partners`` False leaves
    partners out (a coupon's hold, which an e-shop makes for members who are online). Whether it checked the code."""
    if caller.kind == "partner" and not partners:
        return False
    if in_person_required(caller, member_id) and not (repeated is not None and repeated()):
        require_in_person(member_id, code)
        return True
    return False


def member_code(member_id: str) -> codes.MemberCode:
    """The code the member pages show now (the member number and a one-time value of this minute)."""
    member = get_member(member_id)
    return codes.issue(member_id, member.member_no, clock.real_now(), get_settings().lookup_hash_key)


def _lookup_by_email(email: str) -> Member:
    """Emails are not unique and are found through an index: a lookup for people, never for a rule."""
    hashed = lookup_hash("email", normalise_email(email))
    ids = [record.member_id for record in MemberRecord.by_email.query(hashed, limit=2)]
    if len(ids) > 1:
        raise AmbiguousEmail("Several members share this email; look them up by phone or member number")
    member = get_member(ids[0]) if ids else None
    if member is None or member.email != normalise_email(email):
        raise NotFound(NO_MATCH)
    return member


def list_members(query: MemberListQuery) -> tuple[list[dict[str, Any]], str | None]:
    """Members newest first, by home store or else month by month, filtered by tier and status.

    A page holds ``limit`` members unless the list ends with it, however few members the filters let by: it
    reads on until it has them, or has found some and made ``READS_PER_PAGE`` index reads (see
    ``FilledPage``). So only the last page can be short or empty.
    """
    scope = f"members|{query.store_id}|{query.tier}|{query.status}|{query.registered_from}|{query.registered_to}"
    start = decode_cursor(scope, query.cursor) or {}
    tz = get_settings().tz
    start_day = query.registered_from - timedelta(days=1) if query.registered_from else None
    lower = clock.iso(clock.end_of_business_day(start_day, tz)) if start_day else EARLIEST
    upper = clock.iso(clock.end_of_business_day(query.registered_to, tz)) if query.registered_to else "~"
    search: dict[str, Any] = {
        "range_key_condition": MemberRecord.registered_key.between(lower, upper),
        "filter_condition": _filters(query),
        "scan_index_forward": False,
    }
    page = FilledPage(MemberRecord, query.limit, READS_PER_PAGE)
    if query.store_id:
        key = page.read(MemberRecord.by_store.query(query.store_id, last_evaluated_key=start.get("key"), **search))
        position = {"key": key} if key else None
    else:
        newest = upper[:7] if upper != "~" else clock.iso(clock.now() + timedelta(days=1))[:7]
        oldest = max(lower[:7], FIRST_LIST_MONTH) if lower != EARLIEST else FIRST_LIST_MONTH
        position = _read_months(page, search, start.get("month", newest), start.get("key"), oldest)
    rows = [repository.summary(record) for record in page.records]
    return rows, encode_cursor(scope, position) if position else None


def _read_months(
    page: FilledPage[MemberRecord], search: dict[str, Any], month: str, key: dict[str, Any] | None, oldest: str
) -> dict[str, Any] | None:
    """Fill ``page`` from the month index, from ``month`` (at ``key``) back to ``oldest`` or the oldest month anyone
    registered in, whichever is later; where to go on. The platform's record of that month is read once, when the
    walk reaches the process's copy of it (a registration dated back may have moved it since)."""
    floor = None
    while True:
        key = page.read(MemberRecord.by_month.query(month, last_evaluated_key=key, **search))
        if key:
            return {"month": month, "key": key}
        if floor is None and month <= max(oldest, _oldest_known.get() or FIRST_LIST_MONTH):
            floor = max(oldest, recorded_oldest(OLDEST_REGISTRATION) or FIRST_LIST_MONTH)
        if floor is not None and month <= floor:
            return None
        month = _previous_month(month)
        if page.full:
            return {"month": month}


def search(query: MemberSearch, stores: frozenset[str]) -> tuple[list[dict[str, Any]], str | None]:
    """Members matching a search box, newest first, within ``stores`` (empty: every store) and the list's filters.

    A phone or member number finds at most one member through its uniqueness item (as a lookup does, erased members
    excepted), kept only if it is in scope and passes the filters; a name reads the name index (a keyed hash of the
    whole normalised name: no scan, no partial matches), filtered as a list is, page by page."""
    for kind, term in search_terms(query.q):
        if kind == "name":
            return _search_by_name(query, term, stores)
        member_id = holder(phone=term) if kind == "phone" else holder(member_no=term)
        record = MemberRecord.find(member_id) if member_id else None
        if record is not None and record.status != Status.ERASED:
            shown = _in_scope(record, query, stores)
            return ([repository.summary(record)] if shown else []), None
    return [], None


def _in_scope(record: MemberRecord, query: MemberListQuery, stores: frozenset[str]) -> bool:
    """Whether one member found by a unique key belongs on a filtered list within ``stores``."""
    day = clock.business_date(datetime.fromisoformat(record.registered_at), get_settings().tz)
    return (
        (not stores or record.home_store_id in stores)
        and query.store_id in (None, record.home_store_id)
        and query.tier in (None, record.tier)
        and query.status in (None, record.status)
        and (query.registered_from is None or day >= query.registered_from)
        and (query.registered_to is None or day <= query.registered_to)
    )


def _search_by_name(
    query: MemberSearch, normalised: str, stores: frozenset[str]
) -> tuple[list[dict[str, Any]], str | None]:
    name_hash = lookup_hash("name", normalised)
    filters = _filters(query)
    if query.store_id or stores:
        in_stores = (MemberRecord.home_store_id == query.store_id if query.store_id
                     else MemberRecord.home_store_id.is_in(*sorted(stores)))  # fmt: skip
        filters = in_stores if filters is None else filters & in_stores
    scope = (f"member-search|{name_hash}|{query.store_id}|{','.join(sorted(stores))}|{query.tier}|{query.status}|"
             f"{query.registered_from}|{query.registered_to}")  # fmt: skip
    tz = get_settings().tz
    start_day = query.registered_from - timedelta(days=1) if query.registered_from else None
    lower = clock.iso(clock.end_of_business_day(start_day, tz)) if start_day else EARLIEST
    upper = clock.iso(clock.end_of_business_day(query.registered_to, tz)) if query.registered_to else "~"
    page = FilledPage(MemberRecord, query.limit, READS_PER_PAGE)
    key = page.read(MemberRecord.by_name.query(
        name_hash, range_key_condition=MemberRecord.registered_key.between(lower, upper), filter_condition=filters,
        scan_index_forward=False, last_evaluated_key=(decode_cursor(scope, query.cursor) or {}).get("key"),
    ))  # fmt: skip
    return [repository.summary(record) for record in page.records], encode_cursor(scope, {"key": key} if key else None)


def index_names() -> int:
    """Give members registered before names were indexed their name's index key; returns how many. A one-off
    migration that scans the table once (registrations and edits keep the key since); an edit racing it keeps its
    own name, and re-running it changes nothing."""
    indexed = 0
    missing = MemberRecord.name_hash.does_not_exist() & (MemberRecord.status != str(Status.ERASED))
    for record in MemberRecord.scan(filter_condition=missing):
        key = repository.name_key(record.name)
        if key is None:
            continue
        try:
            record.update(actions=[MemberRecord.name_hash.set(key)], condition=MemberRecord.name == record.name,
                          add_version_condition=False)  # fmt: skip
        except UpdateError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise
            continue  # renamed meanwhile: the edit wrote its own key
        indexed += 1
    return indexed


def record_oldest_registration() -> str | None:
    """Record the oldest month a member registered in, from one scan of the table; returns it (None: no members). A
    one-off migration for a platform that registered members before the record existed (since then each
    registration keeps it; without it, a list of every member's last page walked back to 1990); safe to repeat."""
    months = (record.registered_month for record in MemberRecord.scan(attributes_to_get=["registered_month"]))
    oldest = min((month for month in months if month), default=None)
    if oldest is not None:
        lower_oldest(OLDEST_REGISTRATION, oldest)
        _oldest_known.forget()
    return oldest


def born_in(month: int, shard: int) -> Iterator[str]:
    """The ids of members whose birthday on record falls in ``month``, one shard of them (``dateindex.SHARDS``)."""
    for record in MemberRecord.by_birth_month.query(repository.birth_month_key(month, shard)):
        yield record.member_id


def index_birth_months() -> int:
    """Give members whose birthday was recorded before the birthday index existed their index key; returns how many.
    A one-off migration that scans the table once and opens each birthday (registrations, imports and edits keep
    the key since); an edit racing it wrote its own key, and re-running it changes nothing."""
    indexed = 0
    missing = MemberRecord.birthday_sealed.exists() & MemberRecord.birth_month.does_not_exist()
    for record in MemberRecord.scan(filter_condition=missing):
        birthday = repository.to_member(record).birthday
        if birthday is None:
            continue
        key = repository.birth_month_key(birthday.month, shard_of(record.member_id))
        try:
            record.update(actions=[MemberRecord.birth_month.set(key)],
                          condition=MemberRecord.birthday_sealed == record.birthday_sealed,
                          add_version_condition=False)  # fmt: skip
        except UpdateError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise
            continue
        indexed += 1
    return indexed


def _filters(query: MemberListQuery) -> Condition | None:
    condition: Condition | None = None
    if query.tier:
        condition = MemberRecord.tier == query.tier
    if query.status:
        by_status = MemberRecord.status == str(query.status)
        condition = by_status if condition is None else condition & by_status
    return condition


def _previous_month(month: str) -> str:
    first = datetime.strptime(month + "-01", "%Y-%m-%d").date()
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _check_references(store_id: str | None, referrer_id: str | None) -> None:
    problems = []
    if store_id and (why := not_open(store_id)) is not None:
        problems.append({"field": "home_store_id", "in": "body", "message": why})
    if referrer_id:
        referrer = MemberRecord.find(referrer_id)
        if referrer is None or referrer.status == Status.ERASED:
            problems.append({"field": "referrer_id", "in": "body", "message": f"no member {referrer_id!r}"})
    if problems:
        raise ValidationFailed(problems)
