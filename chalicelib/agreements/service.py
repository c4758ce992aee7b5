"""Agreements use cases: publish a version, read what is current, check and keep members' acceptances."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from chalicelib.agreements.model import KIND_NAMES, Kind, Version, current, due, in_order, missing, stale
from chalicelib.agreements.records import DOCUMENTS_SCOPE, AcceptanceRecord, AgreementRecord, version_key
from chalicelib.shared import clock
from chalicelib.shared.cache import Cached
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Conflict, ValidationFailed
from chalicelib.shared.events import emit, new_event

CACHE_SECONDS = 30  # a version published elsewhere is seen within this; a log-in naming it reads again at once


class AgreementsRequired(ValidationFailed):
    slug, title = "agreements-required", "Accept the current membership agreement and privacy policy"

    def __init__(self, wanted: list[Version], named: list[tuple[Kind, int]], now: list[Version]) -> None:
        detail = "Accept the current " + " and ".join(
            f"{KIND_NAMES[v.kind][1].lower()} (version {v.version})" for v in wanted
        ) if wanted else "Name only the current versions"  # fmt: skip
        problems = [{"field": "agreed", "in": "body", "message": f"{v.kind} version {v.version} is not accepted"}
                    for v in wanted]  # fmt: skip
        problems += [{"field": "agreed", "in": "body", "message": f"{kind} version {number} is not current"}
                     for kind, number in named]  # fmt: skip
        super().__init__(problems, detail)
        self.extensions["current"] = [{"kind": str(v.kind), "version": v.version} for v in now]


class VersionTaken(Conflict):
    slug, title = "version-taken", "Another version was published at the same moment; publish again"


def _read_all() -> list[AgreementRecord]:
    return list(AgreementRecord.query(DOCUMENTS_SCOPE, consistent_read=True))


_published: Cached[list[AgreementRecord]] = Cached(_read_all, CACHE_SECONDS)


def _version(record: AgreementRecord) -> Version:
    return Version(Kind(record.kind), int(record.version), bool(record.requires_acceptance))


def _full(record: AgreementRecord) -> dict[str, Any]:
    return {**_summary(record), "paragraphs": json.loads(record.paragraphs)}


def _summary(record: AgreementRecord) -> dict[str, Any]:
    return {"kind": record.kind, "version": int(record.version), "title": record.title,
            "requires_acceptance": bool(record.requires_acceptance), "changes": json.loads(record.changes or "[]"),
            "published_at": record.published_at}  # fmt: skip


def publish(
    actor: str, kind: Kind, title: str, paragraphs: list[str], requires_acceptance: bool, changes: Sequence[str] = ()
) -> dict[str, Any]:
    """Publish the next version of a document (1 for the first): members read it at once, and owe their acceptance
    when it requires one (a first version always does), shown ``changes`` (what changed since the version before)
    first. Two publications racing for one number: the later is 409."""
    records = _read_all()
    number = 1 + max((int(r.version) for r in records if r.kind == kind), default=0)
    record = AgreementRecord(
        DOCUMENTS_SCOPE, version_key(kind, number), kind=str(kind), version=number, title=title,
        paragraphs=json.dumps(paragraphs, ensure_ascii=False), requires_acceptance=requires_acceptance or number == 1,
        changes=json.dumps(list(changes), ensure_ascii=False) if changes else None,
        published_at=clock.iso(clock.now()), published_by=actor,
    )  # fmt: skip
    tx = Transaction()
    tx.put(record, condition=AgreementRecord.key.does_not_exist(), on_fail=VersionTaken(f"{kind} version {number}"))
    emit(tx, new_event("agreement.published", f"agreements/{kind}/{number}", {
        "kind": str(kind), "version": number, "requires_acceptance": record.requires_acceptance,
    }))  # fmt: skip
    tx.commit()
    _published.set([*records, record])
    return _full(record)


def current_documents() -> list[dict[str, Any]]:
    """The newest version of each published document, `terms` first; none while nothing is published."""
    records = _published.get()
    newest = current(_version(r) for r in records)
    return [_full(r) for r in _sorted(records) if newest.get(Kind(r.kind)) == _version(r)]


def history(kind: Kind) -> list[dict[str, Any]]:
    """Every version of a document, newest first."""
    return [_summary(r) for r in reversed(_sorted(_published.get())) if r.kind == kind]


def _sorted(records: Iterable[AgreementRecord]) -> list[AgreementRecord]:
    order = list(Kind)
    return sorted(records, key=lambda r: (order.index(Kind(r.kind)), int(r.version)))


def require_agreed(agreed: Iterable[tuple[Kind, int]] | None, every: bool = True) -> list[tuple[Kind, int]]:
    """What a log-in must accept, checked before its code is used (so a refusal leaves the code valid and says
    nothing of whether the phone is a member's): every current version (``every``; else at least those named),
    and no other. Nothing while no document is published. 422 ``agreements-required`` otherwise, naming the
    current versions."""
    named = sorted(set(agreed or ()))
    versions = [_version(r) for r in _published.get()]

    def refused() -> tuple[list[Version], list[tuple[Kind, int]]]:
        return (missing(versions, named) if every else []), stale(versions, named)

    if named and any(refused()):
        _published.forget()  # a version published by another process a moment ago: read again before refusing
        versions = [_version(r) for r in _published.get()]
    wanted, wrong = refused()
    if wanted or wrong:
        raise AgreementsRequired(wanted, wrong, [found for _, found in in_order(current(versions))])
    return named


def accept(member_id: str, agreed: Iterable[tuple[Kind, int]], via: str) -> None:
    """Keep the member's acceptance of each version named (already checked current), once: an acceptance given
    before stays as it was (its first moment is the proof)."""
    named = sorted(set(agreed))
    if not named:
        return
    held = {r.key for r in AcceptanceRecord.query(member_id, consistent_read=True)}
    new = [(kind, number) for kind, number in named if version_key(kind, number) not in held]
    if not new:
        return
    now = clock.iso(clock.now())
    tx = Transaction()
    for kind, number in new:
        record = AcceptanceRecord(member_id, version_key(kind, number), accepted_at=now, via=via)
        tx.put(record, condition=AcceptanceRecord.key.does_not_exist(), on_fail=_AlreadyKept())
    emit(tx, new_event("member.agreed", f"members/{member_id}", {
        "member_id": member_id, "agreed": [{"kind": str(k), "version": n} for k, n in new], "via": via,
    }))  # fmt: skip
    try:
        tx.commit()
    except _AlreadyKept:
        accept(member_id, named, via)  # a concurrent log-in kept some of them first: keep what is still missing


class _AlreadyKept(Conflict):
    slug = "agreement-already-kept"


def accept_current(member_id: str, agreed: Iterable[tuple[Kind, int]]) -> dict[str, Any]:
    """The member accepts current versions on their pages, those they owe or more (422 ``agreements-required`` for
    a version that is not current)."""
    accept(member_id, require_agreed(agreed, every=False), "member-pages")
    return of_member(member_id, full=True)


def of_member(member_id: str, full: bool) -> dict[str, Any]:
    """What the member accepted, newest first, and the current versions they still owe (with their text when
    ``full``, for the member pages)."""
    records = AcceptanceRecord.query(member_id, consistent_read=True)
    accepted = []
    newest: dict[Kind, int] = {}
    for record in records:
        kind, number = record.key.split("#")
        newest[Kind(kind)] = max(newest.get(Kind(kind), 0), int(number))
        accepted.append({"kind": kind, "version": int(number), "accepted_at": record.accepted_at, "via": record.via})
    published = _published.get()
    owed = {(v.kind, v.version) for v in due((_version(r) for r in published), newest)}
    shown = _full if full else _summary
    return {
        "due": [shown(r) for r in _sorted(published) if (Kind(r.kind), int(r.version)) in owed],
        "accepted": sorted(accepted, key=lambda a: a["accepted_at"], reverse=True),
    }
