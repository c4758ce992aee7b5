"""Bulk points operations from CSV files (the CLI), each exactly once per row, with a report.

- Adjustments: ``member_id`` or ``phone``, ``points`` (signed), ``reason``, optional ``expires_on`` for
  credits. Each row is applied once for good: a marker keyed by a keyed hash of what it does (the member,
  however the row names them, points, reason, expiry) and its occurrence among such rows in the file
  travels in the row's transaction, so re-running a file, even an edited one, applies only the rows not
  applied before. A later file repeating such a row is the same row: name the batch in the reason
  ("2026-11 月度奖励") to apply it again.
- Opening balances (migration from an old system): ``member_id`` or ``phone``, ``points``, optional
  ``expires_on`` (blank: the expiry policy, from the day of the import; ``never``: never expires) and
  ``reason``. A member's rows become one ``opening`` entry with a lot per row, once per member.

An expiry date must not be past (points would be dead on arrival): such a row is an error.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from chalicelib.members import service as members
from chalicelib.points import service
from chalicelib.points.schemas import MAX_POINTS, AdjustmentBatchCreate, BatchRow
from chalicelib.shared import clock
from chalicelib.shared.crypto import lookup_hash
from chalicelib.shared.csvfiles import ImportReport, read_rows
from chalicelib.shared.errors import DomainError, NotFound
from chalicelib.shared.fields import Reason, within_calendar
from chalicelib.shared.http import Input

ADJUST_COLUMNS = ("member_id", "phone", "points", "reason", "expires_on")
OPENING_COLUMNS = ("member_id", "phone", "points", "expires_on", "reason")
OPENING_REASON = service.OPENING_REASON
NEVER = "never"


class RowError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def _member_of(row: dict[str, str]) -> str:
    if bool(row.get("member_id")) == bool(row.get("phone")):
        raise RowError("member_id", "give member_id or phone (one of them)")
    if row.get("member_id"):
        return row["member_id"]
    from chalicelib.members.model import InvalidPhone, normalise_phone

    try:
        phone = normalise_phone(row["phone"])
    except InvalidPhone as e:
        raise RowError("phone", str(e)) from None
    try:
        return members.lookup(phone=phone).member_id
    except DomainError as e:
        raise RowError("phone", e.detail) from None


def _points(row: dict[str, str], *, signed: bool) -> int:
    return points_of(row.get("points", ""), signed=signed)


def points_of(text: str, *, signed: bool = False) -> int:
    """A file's points cell: a whole number from 1 (or its negative, ``signed``) to ``MAX_POINTS``."""
    try:
        points = int(text)
    except ValueError:
        raise RowError("points", "a whole number") from None
    if points == 0 or abs(points) > MAX_POINTS or (points < 0 and not signed):
        raise RowError("points", f"a whole number from 1 to {MAX_POINTS}" + (" or its negative" if signed else ""))
    return points


def _expiry(row: dict[str, str], *, blank: date | None = None, never: bool = False) -> date | None:
    return expiry_of(row.get("expires_on", ""), blank=blank, never=never)


def expiry_of(text: str, *, blank: date | None = None, never: bool = False) -> date | None:
    """A file's expiry cell: ``blank`` when empty, None for ``never`` (where allowed), else a day not past."""
    text = text.strip()
    if not text:
        return blank
    if never and text.lower() == NEVER:
        return None
    try:
        expires_on = date.fromisoformat(text)
    except ValueError:
        raise RowError("expires_on", "a date as YYYY-MM-DD" + (" or never" if never else "")) from None
    if expires_on < clock.business_today():
        raise RowError("expires_on", "is past: the points would expire on arrival")
    try:
        return within_calendar(expires_on)
    except ValueError as e:
        raise RowError("expires_on", str(e)) from None


class _ReasonCell(Input):
    """A row's reason, held to what the API's bodies hold it to (1-200 characters, no control characters)."""

    reason: Reason


def _reason(row: dict[str, str], default: str | None = None) -> str:
    text = row.get("reason") or ""
    if not text.strip() and default is not None:
        return default
    if not text.strip():
        raise RowError("reason", "a reason is required")
    try:
        return _ReasonCell(reason=text).reason
    except ValidationError as e:
        raise RowError("reason", str(e.errors()[0]["msg"]).removeprefix("Value error, ")) from None


def adjust_file(path: Path, encoding: str, progress: Callable[[int], None]) -> ImportReport:
    report, started, occurrences = ImportReport(), time.monotonic(), Counter[str]()
    for number, row in read_rows(path, encoding, ADJUST_COLUMNS, ("points", "reason")):
        report.rows += 1
        progress(1)
        if isinstance(row, str):
            report.errors.append((number, "", row))
            continue
        try:
            member_id, points, expires_on = _member_of(row), _points(row, signed=True), _expiry(row)
            content = f"{member_id}|{points}|{row.get('reason', '')}|{expires_on}"  # the member, however named
            occurrences[content] += 1
            once = lookup_hash("points-adjust-row", f"{content}#{occurrences[content]}")
            reason = _reason(row)
            if expires_on and points < 0:
                raise RowError("expires_on", "only credits take an expiry date")
            service.adjust(member_id, points, reason, None, source_kind="import", source_id=path.name,
                           expires_on=expires_on, once=once)  # fmt: skip
            report.imported += 1
        except service.AlreadyApplied:
            report.skipped += 1
        except RowError as e:
            report.errors.append((number, e.field, str(e)))
        except DomainError as e:
            report.errors.append((number, "points", e.detail))
    report.seconds = time.monotonic() - started
    return report


ALREADY_OPENED = "this member's opening balance was booked before (an earlier run, or their member import's points)"
HELD_BACK = (
    "not imported: another row of this member was refused (a member's opening balance is all their rows or none)"
)


def import_balances(path: Path, encoding: str, progress: Callable[[int], None]) -> ImportReport:
    report, started = ImportReport(), time.monotonic()
    lots: dict[str, list[tuple[int, date | None]]] = defaultdict(list)
    rows_of: dict[str, list[int]] = defaultdict(list)
    reasons: dict[str, str] = {}
    broken: set[str] = set()
    policy = service.policy_expiry()
    for number, row in read_rows(path, encoding, OPENING_COLUMNS, ("points",)):
        report.rows += 1
        if isinstance(row, str):
            report.errors.append((number, "", row))
            progress(1)
            continue
        try:
            member_id = _member_of(row)
        except RowError as e:
            report.errors.append((number, e.field, str(e)))
            progress(1)
            continue
        rows_of[member_id].append(number)
        try:
            lots[member_id].append((_points(row, signed=False), _expiry(row, blank=policy, never=True)))
            reasons.setdefault(member_id, _reason(row, default=OPENING_REASON))
        except RowError as e:
            report.errors.append((number, e.field, f"{e} (none of this member's rows were imported)"))
            broken.add(member_id)
    refused = {number for number, _, _ in report.errors}
    for member_id, numbers in rows_of.items():
        progress(len(numbers))
        if member_id in broken:  # its other rows are refused with it, so every row is counted once
            report.errors += [(number, "member_id", HELD_BACK) for number in numbers if number not in refused]
            continue
        try:
            service.open_balance(member_id, lots[member_id], reasons[member_id])
            report.imported += len(numbers)
        except service.OpeningBalanceExists:
            report.skipped += len(numbers)
            report.skipped_why += [(number, ALREADY_OPENED) for number in numbers]
        except DomainError as e:
            report.errors += [(number, "member_id", e.detail) for number in numbers]
    report.seconds = time.monotonic() - started
    return report


# --- a batch from the console (the API) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchOutcome:
    line: int
    outcome: str  # applied, skipped or failed
    member_id: str | None = None
    problem: str | None = None
    seq: int | None = None


def _batch_member(row: BatchRow) -> str:
    from chalicelib.members.model import InvalidPhone, normalise_phone

    if row.member_id is not None:
        return row.member_id  # an unknown one is said by its post (no read here: the post reads the account anyway)
    try:
        phone = normalise_phone(row.phone) if row.phone is not None else None
    except InvalidPhone:
        raise RowError("phone", "not-a-phone") from None
    try:
        return members.lookup(phone=phone, member_no=row.member_no).member_id
    except NotFound:
        raise RowError("member", "no-member") from None


def adjust_batch(batch: AdjustmentBatchCreate) -> list[BatchOutcome]:
    """Apply a batch's rows, each once for good under the batch's name: the same member, points, row reason (the
    batch's default left out) and expiry again in a later request of the batch is skipped (a lost answer, a file sent
    again with its failed rows mended), and twice in one request is refused (``same-row``: add them up, or tell them
    apart in the reason). A frozen member's row fails (``member-not-active``). A row's failure never stops the
    others."""
    outcomes, seen, today = [], dict[str, int](), clock.business_today()
    for row in batch.rows:
        try:
            member_id = _batch_member(row)
        except RowError as e:
            outcomes.append(BatchOutcome(row.line, "failed", problem=str(e)))
            continue
        reason = row.reason or batch.reason or ""
        content = f"{batch.batch}|{member_id}|{row.points}|{row.reason or ''}|{row.expires_on}"  # the row as sent: the
        # batch's default reason retyped on a resend leaves its rows the rows applied before (a review)
        if content in seen:
            outcomes.append(BatchOutcome(row.line, "failed", member_id, "same-row"))
            continue
        seen[content] = row.line
        if row.expires_on is not None and row.expires_on < today:
            outcomes.append(BatchOutcome(row.line, "failed", member_id, "expiry-past"))
            continue
        try:
            once = lookup_hash("points-batch-row", content)
            entry, _ = service.adjust(member_id, row.points, reason, None, source_kind="import", source_id=batch.batch,
                                      expires_on=row.expires_on, once=once, require="active")  # fmt: skip
            outcomes.append(BatchOutcome(row.line, "applied", member_id, seq=entry.get("seq")))
        except service.AlreadyApplied:
            outcomes.append(BatchOutcome(row.line, "skipped", member_id))
        except service.InsufficientPoints:
            outcomes.append(BatchOutcome(row.line, "failed", member_id, "insufficient-points"))
        except service.MemberNotActive:
            outcomes.append(BatchOutcome(row.line, "failed", member_id, "member-not-active"))
        except NotFound:
            outcomes.append(BatchOutcome(row.line, "failed", member_id, "no-member"))
    return outcomes
