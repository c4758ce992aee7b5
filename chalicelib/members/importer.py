"""Import existing members from a CSV file, exactly once per phone, with an error report.

The header names the API's fields: name, phone (required), email, gender, birthday, city, store_id,
source, registered_at, member_no and language (their messages', zh-CN or en) (optional), and what a member brings
from the old system (optional):
tags (separated by ``;``), consents (the channels granted, ``;``-separated: sms, email, push, wechat) with
consented_at and consent_source as their proof (or, for a channel given apart, its own consented_at_<channel> and
consent_source_<channel>, e.g. consented_at_sms), tier with tier_valid_until (an opening standing, reviewed
like any other), this period's period_paid_fen and period_growth (an opening growth entry), and points with
points_expires_on (an opening points balance; blank: the expiry policy, ``never``: never). Rows become
registrations through the same service as the API, in one transaction with their opening standing, so every
rule holds (unique phones, sealed personal data, events). A phone held by a member registered another way
is an error row. Dates without a time zone are read in the business time zone.
An import leaves a marker per phone with a keyed fingerprint of its row: the same row again is skipped,
whatever happened to the member since (a changed phone, erasure); another row for that phone is an error.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chalicelib.ledger.registry import open_in
from chalicelib.members import service
from chalicelib.members.model import CONSENT_CHANNELS, InvalidPhone, Source, normalise_phone
from chalicelib.members.schemas import MemberCreate
from chalicelib.points import service as points
from chalicelib.points.bulk import RowError, expiry_of, points_of
from chalicelib.shared.crypto import lookup_hash
from chalicelib.shared.csvfiles import ImportReport, read_rows
from chalicelib.shared.db import Transaction
from chalicelib.shared.logs import logger
from chalicelib.shared.settings import get_settings
from chalicelib.stores.service import not_open
from chalicelib.tiers import service as tiers
from chalicelib.tiers.service import OpeningStanding

COLUMNS = (
    "name",
    "phone",
    "email",
    "gender",
    "birthday",
    "city",
    "store_id",
    "source",
    "registered_at",
    "member_no",
    "language",
    "tags",
    "consents",
    "consented_at",
    "consent_source",
    *(f"consented_at_{channel}" for channel in CONSENT_CHANNELS),
    *(f"consent_source_{channel}" for channel in CONSENT_CHANNELS),
    "tier",
    "tier_valid_until",
    "period_paid_fen",
    "period_growth",
    "points",
    "points_expires_on",
)
OPENING_COLUMNS = ("tier", "tier_valid_until", "period_paid_fen", "period_growth", "points", "points_expires_on")
LATER_FIELDS = ("language", "students")  # registration fields added after rows were first imported (their
# fingerprints lack them)
REQUIRED = ("name", "phone")


@dataclass(frozen=True)
class Brought:
    """What a row brings from the old system besides the registration: the opening standing and growth, and the
    points balance (one lot: ``points`` expiring on ``expires_on``, None: never)."""

    standing: OpeningStanding = field(default_factory=OpeningStanding)
    points: int = 0
    expires_on: date | None = None
    expires_cell: str = ""  # the expiry as the file says it (blank, never, a day): what the row's fingerprint keeps

    def opens(self) -> bool:
        return self != Brought()


def fingerprint(registration: MemberCreate, brought: Brought | OpeningStanding) -> str:
    """A keyed hash of what a row registers: equal rows match, nothing personal can be read back. A field added since
    the first imports counts only when a row gives it, so a row imported before matches itself again."""
    if isinstance(brought, OpeningStanding):
        brought = Brought(brought)
    unsaid = {name for name in LATER_FIELDS if getattr(registration, name) in (None, [])}
    canonical = registration.model_dump_json(exclude={"source", *unsaid})
    if brought.standing != OpeningStanding():  # rows without an opening keep the fingerprints they always had
        canonical += repr(brought.standing)
    if brought.points:  # the cell as written: a blank follows the policy from the day of the import, so the same
        # file run again on a later day (a new year, a rolling policy) is still the same row
        canonical += f"|points={brought.points}|{brought.expires_cell}"
    return lookup_hash("import-row", canonical)


def _open(tx: Transaction, member_id: str, brought: Brought) -> None:
    """Open the new member's account inside the registration's transaction with what the row brings: the standing
    and growth, and the points as an ``opening`` entry (a later ``cli points import-balances`` row for the member is
    then skipped, as it would be after that command's own import)."""
    postings = tiers.opening_postings(tx, member_id, brought.standing) if brought.standing != OpeningStanding() else []
    balance = points.opening(member_id, [(brought.points, brought.expires_on)]) if brought.points else None
    if balance is not None:
        postings += balance.postings
    if postings:
        open_in(tx, member_id, postings, announce=balance and points.announce, claim=balance and balance.claim)


def to_registration(row: dict[str, str]) -> MemberCreate:
    """The registration a row asks for; raises ValidationError with field names as in the file."""
    values: dict[str, Any] = {name: value for name, value in row.items() if value and name not in OPENING_COLUMNS}
    if "store_id" in values:
        values["home_store_id"] = values.pop("store_id")
    values.setdefault("source", Source.IMPORT)
    if "registered_at" in values:
        values["registered_at"] = _instant(values["registered_at"])
    if "tags" in values:
        values["tags"] = _listed(values["tags"])
    if "consents" in values:
        values["consents"] = dict.fromkeys(_listed(values["consents"]), True)
    consented_at, source = values.pop("consented_at", None), values.pop("consent_source", None)
    if consented_at or source:
        values["consent_proof"] = {"given_at": _instant(consented_at or ""), "source": source or ""}
    proofs = {}
    for channel in CONSENT_CHANNELS:
        at, where = values.pop(f"consented_at_{channel}", None), values.pop(f"consent_source_{channel}", None)
        if at or where:
            proofs[channel] = {"given_at": _instant(at or ""), "source": where or ""}
    if proofs:
        values["consent_proofs"] = proofs
    return MemberCreate.model_validate(values)


def to_opening(row: dict[str, str]) -> Brought | list[tuple[str, str]]:
    """What a row brings (its opening standing and points), or (column, reason) problems."""
    problems: list[tuple[str, str]] = []
    balance, expires_on, cell = 0, None, (row.get("points_expires_on") or "").strip()
    if (row.get("points") or "").strip() not in ("", "0"):  # 0 (most members of an old system): no balance to open
        try:
            balance = points_of(row["points"].strip())
            expires_on = expiry_of(cell, blank=points.policy_expiry(), never=True)
        except RowError as e:
            problems.append(("points_expires_on" if e.field == "expires_on" else "points", str(e)))
    elif cell:
        problems.append(("points_expires_on", "only with points"))

    def number(column: str) -> int:
        text = (row.get(column) or "0").strip()
        if not text.isdigit():
            problems.append((column, "a whole number (fen for amounts)"))
            return 0
        return int(text)

    until = None
    if row.get("tier_valid_until"):
        try:
            until = date.fromisoformat(row["tier_valid_until"].strip())
        except ValueError:
            problems.append(("tier_valid_until", "a date as YYYY-MM-DD"))
    opening = OpeningStanding(row.get("tier") or None, until, number("period_growth"), number("period_paid_fen"))
    return problems + opening.problems() or Brought(opening, balance, expires_on, cell.lower() if balance else "")


def _listed(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _instant(text: str) -> str:
    """An ISO instant: dates and times without an offset are read in the business time zone."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text  # the schema reports it
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=get_settings().tz)
    return parsed.isoformat()


BATCH_ROWS = 100  # rows read (one BatchGetItem holds 100 keys), keyed and written together (100 items a transaction)
ErrorRow = tuple[int, str, str]  # (line, column, reason): never a row's values
RowOutcome = str | ErrorRow  # "imported", "skipped" or an error row


def phone_of(row: dict[str, str]) -> str | None:
    """The phone a row registers, normalised; None when it has none that is valid. Two rows of a file with
    the same phone: the later one is an error row, whatever became of the first."""
    try:
        return normalise_phone(row["phone"]) if row.get("phone") else None
    except InvalidPhone:
        return None


UNPROVEN_CONSENT = (
    "a consent migrated needs its proof: consented_at and consent_source (when and where the member "
    "gave it), or a granted channel's own consented_at_<channel> and consent_source_<channel>, or leave consents empty"
)


def prepared(
    number: int, row: dict[str, str] | str, import_id: str | None = None, stores: frozenset[str] = frozenset()
) -> service.ImportRow | list[ErrorRow]:
    """What line ``number`` of a file imports, or its error rows (a row that could not be read is its reason). A row
    refused for something else says its store's problem too (``stores``: an importer scoped to them), so the file is
    mended in one round (a head office's walkthrough mended a gender, then read of the store)."""
    if isinstance(row, str):
        return [(number, "", row)]
    errors: list[
        ErrorRow
    ] = []  # every problem of the row at once (a walkthrough mended a consent, then read of a tier)
    registration = None
    try:
        registration = to_registration(row)
    except ValidationError as e:
        for error in e.errors(include_url=False):
            name = ".".join(str(part) for part in error["loc"])
            errors.append(
                (number, _COLUMN_OF.get(name, name.partition(".")[0]), error["msg"].removeprefix("Value error, "))
            )
    if registration is not None:
        proven = set(registration.consent_proofs) if registration.consent_proof is None else set(CONSENT_CHANNELS)
        if any(granted and channel not in proven for channel, granted in registration.consents.items()):
            errors.append((number, "consented_at", UNPROVEN_CONSENT))
    opening = to_opening(row)
    if isinstance(opening, list):
        errors += [(number, column, reason) for column, reason in opening]
    if errors or registration is None or isinstance(opening, list):
        return _with_store(number, row, errors, stores)
    opens = functools.partial(_open, brought=opening) if opening.opens() else None
    return service.ImportRow(registration, fingerprint(registration, opening), opens, import_id)


def _with_store(number: int, row: dict[str, str], errors: list[ErrorRow], stores: frozenset[str]) -> list[ErrorRow]:
    """``errors`` and the row's store's problem, if it has one and they do not name it: outside an importer's
    ``stores``, unknown or closed (one cached read)."""
    store = (row.get("store_id") or "").strip()
    if not store or any(column == "store_id" for _, column, _ in errors):
        return errors
    why = "not one of the importer's stores" if stores and store not in stores else not_open(store)
    return [*errors, (number, "store_id", why)] if why else errors


def import_members(
    path: Path, *, encoding: str = "utf-8", workers: int = 4, progress: Callable[[int], None] = lambda n: None
) -> ImportReport:
    """Import every row of ``path``; rows are independent, so one bad row never stops the others. Valid rows
    go in batches: one read for their markers, one data-key call and one transaction per 100 items."""
    report = ImportReport()
    started = time.monotonic()
    seen_phones: dict[str, int] = {}
    batch: list[tuple[int, service.ImportRow]] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[Any] = []
        for number, row in read_rows(path, encoding, COLUMNS, REQUIRED):
            report.rows += 1
            phone = phone_of(row) if isinstance(row, dict) else None
            first = seen_phones.setdefault(phone, number) if phone else number
            outcome = (
                prepared(number, row) if first == number else [(number, "phone", f"the same phone as row {first}")]
            )
            if isinstance(outcome, list):
                report.errors.extend(outcome)
                progress(1)
                continue
            batch.append((number, outcome))
            if len(batch) == BATCH_ROWS:
                pending.append(pool.submit(import_batch, batch))
                batch = []
            if len(pending) >= workers * 4:
                _collect(pending, report, progress)
        if batch:
            pending.append(pool.submit(import_batch, batch))
        _collect(pending, report, progress)
    report.errors.sort()
    report.seconds = time.monotonic() - started
    return report


_COLUMN_OF = {
    "home_store_id": "store_id", "consent_proof.given_at": "consented_at", "consent_proof.source": "consent_source",
    **{f"consent_proofs.{channel}.given_at": f"consented_at_{channel}" for channel in CONSENT_CHANNELS},
    **{f"consent_proofs.{channel}.source": f"consent_source_{channel}" for channel in CONSENT_CHANNELS},
}  # fmt: skip


def _collect(pending: list[Any], report: ImportReport, progress: Callable[[int], None]) -> None:
    for future in pending:
        outcomes: list[RowOutcome] = future.result()
        for outcome in outcomes:
            if outcome == "imported":
                report.imported += 1
            elif outcome == "skipped":
                report.skipped += 1
            else:
                assert isinstance(outcome, tuple)
                report.errors.append(outcome)
        progress(len(outcomes))
    pending.clear()


UNEXPECTED = "unexpected error: the row was not imported (see the logs)"


def import_batch(batch: list[tuple[int, service.ImportRow]], *, contain_failure: bool = True) -> list[RowOutcome]:
    """Import a batch of rows; each outcome is ``imported``, ``skipped`` or an error row (number, column,
    reason). An unexpected failure makes every row of the batch an error row, or, unless ``contain_failure``,
    is raised (a queue worker's chunk is retried whole instead)."""
    try:
        outcomes = service.import_rows([row for _, row in batch]) if batch else []
    except Exception:
        if not contain_failure:
            raise
        logger.exception("import batch failed", extra={"rows": [number for number, _ in batch]})
        return [(number, "", UNEXPECTED) for number, _ in batch]
    return [_as_row_outcome(number, outcome) for (number, _), outcome in zip(batch, outcomes, strict=True)]


def _as_row_outcome(number: int, outcome: service.ImportOutcome) -> str | tuple[int, str, str]:
    if isinstance(outcome, str):
        return outcome
    if isinstance(outcome, service.PhoneTaken):
        return (number, "phone", "already another member's")
    if isinstance(outcome, service.MemberNoTaken):
        return (number, "member_no", "already another member's")
    if isinstance(outcome, service.AlreadyImported):
        return (number, "phone", outcome.detail)
    errors = outcome.extensions.get("errors") or [{"field": "", "message": outcome.detail}]
    field_name = "store_id" if errors[0]["field"] == "home_store_id" else errors[0]["field"]
    return (number, field_name, errors[0]["message"])
