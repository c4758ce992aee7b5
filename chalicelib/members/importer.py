"""Import existing members from a CSV file, exactly once per phone, with an error report.

The header names the API's fields: name, phone (required), email, gender, birthday, city, store_id,
source, registered_at and member_no (optional). Rows become registrations through the same service as
the API, so every rule holds (unique phones, sealed personal data, events). A phone already held by an
imported member is skipped, so re-running a file adds nothing; a phone held by a member registered
another way is an error row. Dates without a time zone are read in the business time zone.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chalicelib.members import service
from chalicelib.members.model import Source
from chalicelib.members.records import MemberRecord, UniqueRecord
from chalicelib.members.repository import phone_key
from chalicelib.members.schemas import MemberCreate
from chalicelib.shared.errors import DomainError
from chalicelib.shared.settings import get_settings

COLUMNS = ("name", "phone", "email", "gender", "birthday", "city", "store_id", "source", "registered_at", "member_no")
REQUIRED = ("name", "phone")


class ImportUsageError(ValueError):
    """The file cannot be imported at all (unreadable, wrong encoding, bad header)."""


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, field, reason)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return len({row for row, _, _ in self.errors})

    def summary(self) -> dict[str, Any]:
        rate = round(self.rows / self.seconds, 1) if self.seconds else None
        return {"rows": self.rows, "imported": self.imported, "skipped": self.skipped, "failed": self.failed,
                "seconds": round(self.seconds, 1), "rows_per_second": rate}  # fmt: skip


def read_rows(path: Path, encoding: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, row) pairs; the header is row 1. UTF-8 may carry a byte order mark."""
    codec = "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding
    try:
        with path.open(encoding=codec, newline="") as file:
            reader = csv.DictReader(file)
            header = [name.strip() for name in reader.fieldnames or []]
            unknown = [name for name in header if name not in COLUMNS]
            missing = [name for name in REQUIRED if name not in header]
            if unknown or missing:
                raise ImportUsageError(
                    f"bad header: unknown columns {unknown or 'none'}, missing {missing or 'none'}; "
                    f"allowed: {', '.join(COLUMNS)}"
                )
            reader.fieldnames = header
            for number, row in enumerate(reader, start=2):
                yield number, {k: (v or "").strip() for k, v in row.items() if k is not None}
    except UnicodeDecodeError as e:
        raise ImportUsageError(
            f"the file is not {encoding} (try --encoding gbk for spreadsheet exports): {e}"
        ) from None
    except LookupError:
        raise ImportUsageError(f"unknown encoding {encoding!r}") from None


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
        for number, row in read_rows(path, encoding):
            report.rows += 1
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
    try:
        service.register(registration)
    except service.PhoneTaken:
        return "skipped" if _imported_before(registration.phone) else (number, "phone", "already another member's")
    except service.MemberNoTaken:
        return (number, "member_no", "already another member's")
    except DomainError as e:
        errors = e.extensions.get("errors") or [{"field": "", "message": e.detail}]
        field_name = "store_id" if errors[0]["field"] == "home_store_id" else errors[0]["field"]
        return (number, field_name, errors[0]["message"])
    return "imported"


def _imported_before(phone: str) -> bool:
    claim = UniqueRecord.find(phone_key(phone))
    owner = MemberRecord.find(claim.owner) if claim else None
    return owner is not None and owner.source == Source.IMPORT


def write_error_report(path: Path, report: ImportReport) -> Path:
    """The error rows as CSV next to the input: ``<name>.errors.csv`` with row, field, reason."""
    target = path.with_name(f"{path.stem}.errors.csv")
    with target.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["row", "field", "reason"])
        writer.writerows(report.errors)
    return target
