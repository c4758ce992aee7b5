"""Import existing members from a CSV file, exactly once per phone, with an error report.

The header names the API's fields: name, phone (required), email, gender, birthday, city, store_id,
source, registered_at and member_no (optional). Rows become registrations through the same service as
the API, so every rule holds (unique phones, sealed personal data, events). A phone held by a member
registered another way is an error row. Dates without a time zone are read in the business time zone.
An import leaves a marker per phone with a keyed fingerprint of its row: the same row again is skipped,
whatever happened to the member since (a changed phone, erasure); another row for that phone is an error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chalicelib.members import service
from chalicelib.members.model import Source
from chalicelib.members.schemas import MemberCreate
from chalicelib.shared.crypto import lookup_hash
from chalicelib.shared.csvfiles import ImportReport, read_rows
from chalicelib.shared.errors import DomainError
from chalicelib.shared.logs import logger
from chalicelib.shared.settings import get_settings

COLUMNS = ("name", "phone", "email", "gender", "birthday", "city", "store_id", "source", "registered_at", "member_no")
REQUIRED = ("name", "phone")


def fingerprint(registration: MemberCreate) -> str:
    """A keyed hash of what a row registers: equal rows match, nothing personal can be read back."""
    canonical = registration.model_dump_json(exclude={"source"})
    return lookup_hash("import-row", canonical)


def to_registration(row: dict[str, str]) -> MemberCreate:
    """The registration a row asks for; raises ValidationError with field names as in the file."""
    values: dict[str, Any] = {name: value for name, value in row.items() if value}
    if "store_id" in values:
        values["home_store_id"] = values.pop("store_id")
    values.setdefault("source", Source.IMPORT)
    if "registered_at" in values:
        values["registered_at"] = _instant(values["registered_at"])
    return MemberCreate.model_validate(values)


def _instant(text: str) -> str:
    """An ISO instant: dates and times without an offset are read in the business time zone."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text  # the schema reports it
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=get_settings().tz)
    return parsed.isoformat()


def import_members(
    path: Path, *, encoding: str = "utf-8", workers: int = 4, progress: Callable[[int], None] = lambda n: None
) -> ImportReport:
    """Import every row of ``path``; rows are independent, so one bad row never stops the others."""
    report = ImportReport()
    started = time.monotonic()
    seen_phones: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = []
        for number, row in read_rows(path, encoding, COLUMNS, REQUIRED):
            report.rows += 1
            if isinstance(row, str):
                report.errors.append((number, "", row))
                progress(1)
                continue
            try:
                registration = to_registration(row)
            except ValidationError as e:
                for error in e.errors(include_url=False):
                    name = str(error["loc"][0]) if error["loc"] else ""
                    report.errors.append((number, "store_id" if name == "home_store_id" else name,
                                          error["msg"].removeprefix("Value error, ")))  # fmt: skip
                progress(1)
                continue
            first = seen_phones.setdefault(registration.phone, number)
            if first != number:
                report.errors.append((number, "phone", f"the same phone as row {first}"))
                progress(1)
                continue
            pending.append(pool.submit(_register, number, registration))
            if len(pending) >= workers * 50:
                _collect(pending, report, progress)
        _collect(pending, report, progress)
    report.errors.sort()
    report.seconds = time.monotonic() - started
    return report


def _collect(pending: list[Any], report: ImportReport, progress: Callable[[int], None]) -> None:
    for future in pending:
        outcome = future.result()
        if outcome == "imported":
            report.imported += 1
        elif outcome == "skipped":
            report.skipped += 1
        else:
            report.errors.append(outcome)
        progress(1)
    pending.clear()


def _register(number: int, registration: MemberCreate) -> str | tuple[int, str, str]:
    """Import one row: skip it if this very row was imported before, else register it with a marker."""
    row_fingerprint = fingerprint(registration)
    try:
        marker = service.import_marker(registration.phone)
        if marker is not None:
            if marker.fingerprint == row_fingerprint:
                return "skipped"
            return (number, "phone", "imported before from a row with other details")
        service.register(registration, import_fingerprint=row_fingerprint)
    except service.PhoneTaken:
        return (number, "phone", "already another member's")
    except service.MemberNoTaken:
        return (number, "member_no", "already another member's")
    except service.AlreadyImported:
        return (number, "phone", "imported at the same time by another import")
    except DomainError as e:
        errors = e.extensions.get("errors") or [{"field": "", "message": e.detail}]
        field_name = "store_id" if errors[0]["field"] == "home_store_id" else errors[0]["field"]
        return (number, field_name, errors[0]["message"])
    except Exception:
        logger.exception("import row failed", extra={"row": number})
        return (number, "", "unexpected error: the row was not imported (see the logs)")
    return "imported"
