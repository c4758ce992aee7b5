"""Member imports as a job, the same on AWS and locally: a CSV file uploaded, planned into chunks, imported by
queue workers, with progress and an error report.

An import is created awaiting its file (a presigned upload to the imports bucket), started once the file is
there, and planned by a worker: the whole file must decode and its header must be right (else the import
fails with the reason, and nothing is written), then it is split into chunks of ``CHUNK_ROWS`` rows (byte
ranges of the file) and one message per chunk goes to the imports queue. A worker imports its chunk through
the same batched ``import_rows`` as the CLI and counts it once: the chunk's item (its counts and error rows) is
written with the import's running totals in one transaction, on the condition that it does not exist yet. A
chunk delivered twice, or retried after a crash, imports nothing twice (each row's marker is found) and counts
the rows its own import brought as imported. On its last delivery a chunk that still fails reports its rows as
error rows, so every import ends. The import completes when its last chunk is counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pynamodb.exceptions import UpdateError

from chalicelib.members import importer, service
from chalicelib.members.reasons import reason_zh
from chalicelib.members.records import MemberImportRecord
from chalicelib.shared import clock, uploads
from chalicelib.shared.csvfiles import ImportUsageError, chunk_rows, error_report_text, plan_chunks
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Conflict, DomainError, NotFound
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.ids import new_id
from chalicelib.shared.logs import logger
from chalicelib.shared.settings import get_settings
from chalicelib.shared.sqs import send_messages

CHUNK_ROWS = 500  # rows a worker imports from one message: five batches of import_rows
MAX_FILE_BYTES = 64 * 1024 * 1024  # about 600,000 rows; a planner reads the whole file once
UPLOAD_SECONDS = 900
STALLED_AFTER = timedelta(minutes=15)  # the imports queue's visibility: no progress that long, nothing is coming
KEPT_FOR = timedelta(days=90)
MAX_ERROR_ROWS_KEPT = 2000  # per chunk (500 rows)
MAX_ERRORS_BYTES = 300_000  # what a chunk's error rows take at most: its item stays below DynamoDB's 400 KB
MAX_REASON = 1000  # characters of one reason (the longest the importer says is some 200)
IMPORT = "import"
Status = Literal["awaiting-file", "planning", "planned", "running", "completed", "failed"]


class ImportAlreadyStarted(Conflict):
    slug, title = "import-already-started", "This import was started already"


class ImportFileMissing(Conflict):
    slug, title = "import-file-missing", "Nothing was uploaded for this import"


class ImportFileTooLarge(DomainError):
    slug, title, status = "import-file-too-large", "The import file is too large", 413


@dataclass(frozen=True)
class ImportStatus:
    """An import as its owner follows it. ``running`` once a chunk is counted; ``failed`` when the file was
    refused, or when nothing progressed for ``STALLED_AFTER`` (a local stack killed during an import loses the chunks
    queued since its last save)."""

    import_id: str
    status: Status
    encoding: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    rows: int
    imported: int
    skipped: int
    failed: int
    errors: int
    chunks: int
    chunks_done: int
    error: str | None


def _chunk_item(number: int) -> str:
    return f"chunk#{number:06d}"


def _object_key(import_id: str) -> str:
    return f"members/{import_id}.csv"


def create_import(encoding: str, created_by: str, stores: frozenset[str]) -> tuple[ImportStatus, uploads.Upload]:
    """A new import awaiting its file, and where to upload it (a presigned PUT valid ``UPLOAD_SECONDS``).
    ``stores``: the importer's store scope, which every row's store must then be in (none: any store)."""
    import_id = new_id("im_")
    now = clock.iso(clock.now())
    record = MemberImportRecord(
        import_id, IMPORT, status="awaiting-file", encoding=encoding, object_key=_object_key(import_id),
        created_by=created_by, stores=sorted(stores) or None, created_at=now, updated_at=_progress_stamp(),
        expires_at=clock.now() + KEPT_FOR,
    )  # fmt: skip
    tx = Transaction()
    tx.put(record, condition=MemberImportRecord.import_id.does_not_exist())
    emit(tx, new_event("member.import-created", f"member-import/{import_id}", {"import_id": import_id,
                                                                                "encoding": encoding}))  # fmt: skip
    tx.commit()
    return _status(record), uploads.upload_for(record.object_key or "", UPLOAD_SECONDS)


def start_import(import_id: str, scope: frozenset[str] = frozenset()) -> ImportStatus:
    """Start an import whose file was uploaded: a worker plans it (the answer says ``planning``). An import
    starts once; a file over ``MAX_FILE_BYTES`` is refused (413), a missing one is 409. ``scope``: the stores of the
    staff starting it (``_import_record``)."""
    record = _import_record(import_id, scope)
    if record.status != "awaiting-file":
        raise ImportAlreadyStarted(f"Import {import_id} is {record.status}")
    size = uploads.size_of(record.object_key or "")
    if size is None:
        raise ImportFileMissing("Upload the file to the import's upload URL first (PUT, Content-Type: text/csv)")
    if size > MAX_FILE_BYTES:
        raise ImportFileTooLarge(f"The file holds {size} bytes; split it into files of {MAX_FILE_BYTES} at most")
    tx = Transaction()
    tx.update(
        MemberImportRecord(import_id, IMPORT),
        actions=[MemberImportRecord.status.set("planning"), MemberImportRecord.started_at.set(clock.iso(clock.now())),
                 MemberImportRecord.updated_at.set(_progress_stamp())],
        condition=MemberImportRecord.status == "awaiting-file",
        on_fail=ImportAlreadyStarted(f"Import {import_id} was started meanwhile"),
    )  # fmt: skip
    emit(tx, new_event("member.import-started", f"member-import/{import_id}", {"import_id": import_id,
                                                                                "bytes": size}))  # fmt: skip
    tx.commit()
    send_messages(get_settings().imports_queue_url, [PlanMessage(import_id=import_id).model_dump_json()])
    return get_import(import_id)


class PlanMessage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    kind: Literal["plan"] = "plan"
    import_id: str


class ChunkMessage(BaseModel):
    """A chunk of an import's file, with what reading it needs (so a worker reads no import item)."""

    model_config = ConfigDict(defer_build=True)

    kind: Literal["chunk"] = "chunk"
    import_id: str
    chunk: int
    object_key: str
    encoding: str
    header: list[str]
    first_line: int
    start: int
    end: int
    repeats: dict[int, int]  # line -> the earlier line with the same phone
    stores: list[str]


class ImportMessage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    message: Annotated[PlanMessage | ChunkMessage, Field(discriminator="kind")]


def plan_import(import_id: str) -> None:
    """Read the started import's whole file, split it into chunks and send one message per chunk. Runs again
    harmlessly: a plan already made is sent again (chunks already counted are skipped)."""
    record = _import_record(import_id)
    if record.status not in ("planning", "planned"):
        return
    raw = uploads.read(record.object_key or "")
    try:
        plan = plan_chunks(raw, record.encoding or "utf-8", importer.COLUMNS, importer.REQUIRED, CHUNK_ROWS,
                           importer.phone_of)  # fmt: skip
    except ImportUsageError as e:
        _fail(import_id, str(e))
        return
    if record.status == "planning":
        M = MemberImportRecord
        record.update(
            actions=[M.status.set("planned"), M.rows.set(plan.rows), M.chunks.set(len(plan.chunks)),
                     *(getattr(M, name).set(0) for name in ("chunks_done", "imported", "skipped", "failed", "errors")),
                     M.updated_at.set(_progress_stamp())],
            condition=M.status == "planning",
        )  # fmt: skip
    messages = [
        ChunkMessage(
            import_id=import_id, chunk=chunk.number, object_key=record.object_key or "",
            encoding=record.encoding or "utf-8", header=plan.header, first_line=chunk.first_line,
            start=chunk.start, end=chunk.end, stores=list(record.stores or []),
            repeats={line: first for line, first in plan.repeats.items()
                     if chunk.first_line <= line <= chunk.last_line},
        ).model_dump_json()
        for chunk in plan.chunks
    ]  # fmt: skip
    send_messages(get_settings().imports_queue_url, messages)
    _complete_if_done(import_id)  # a file of no rows is done once planned


@dataclass
class _ChunkReport:
    imported: int = 0
    skipped: int = 0
    errors: list[importer.ErrorRow] = field(default_factory=list)

    def add(self, outcome: importer.RowOutcome) -> None:
        if outcome == "imported":
            self.imported += 1
        elif outcome == "skipped":
            self.skipped += 1
        else:
            assert isinstance(outcome, tuple)
            self.errors.append(outcome)

    @property
    def failed(self) -> int:
        return len({row for row, _, _ in self.errors})


def import_chunk(message: ChunkMessage, *, last_attempt: bool = False) -> None:
    """Import one chunk and count it in its import, exactly once however often it is delivered.

    A failure is raised for the queue to deliver the chunk again (what it committed is found again, not
    repeated); on the ``last_attempt`` the rows of a batch that fails are error rows instead, so the import
    still ends."""
    if MemberImportRecord.find(message.import_id, _chunk_item(message.chunk)) is not None:
        logger.info("import chunk already counted", extra={"import_id": message.import_id, "chunk": message.chunk})
        return
    raw = uploads.read(message.object_key, message.start, message.end)
    report = _ChunkReport()
    batch: list[tuple[int, service.ImportRow]] = []
    for number, row in chunk_rows(raw, message.encoding, message.header, message.first_line):
        outcome = _row_to_import(message, number, row)
        if isinstance(outcome, list):
            report.errors.extend(outcome)
            continue
        batch.append((number, outcome))
        if len(batch) == importer.BATCH_ROWS:
            _import_batch(batch, report, last_attempt)
            batch = []
    _import_batch(batch, report, last_attempt)
    _count(message, report)
    _complete_if_done(message.import_id)


def _row_to_import(
    message: ChunkMessage, number: int, row: dict[str, str] | str
) -> service.ImportRow | list[importer.ErrorRow]:
    if number in message.repeats:
        return [(number, "phone", f"the same phone as row {message.repeats[number]}")]
    outcome = importer.prepared(number, row, import_id=message.import_id, stores=frozenset(message.stores or ()))
    if isinstance(outcome, list) or not message.stores:
        return outcome
    if outcome.registration.home_store_id not in message.stores:
        return [(number, "store_id", "not one of the importer's stores")]
    return outcome


def _import_batch(batch: list[tuple[int, service.ImportRow]], report: _ChunkReport, last_attempt: bool) -> None:
    for outcome in importer.import_batch(batch, contain_failure=last_attempt):
        report.add(outcome)


def kept_errors(errors: list[importer.ErrorRow]) -> list[importer.ErrorRow]:
    """A chunk's error rows as its item keeps them, in row order: each reason whole (at most ``MAX_REASON``
    characters: the fix a reason ends with is the point of it), as many as ``MAX_ERROR_ROWS_KEPT`` and
    ``MAX_ERRORS_BYTES`` allow, then a row saying how many more there were."""
    kept: list[importer.ErrorRow] = []
    size = 0
    for row, column, reason in sorted(errors):
        size += len(json.dumps([row, column, reason[:MAX_REASON]], ensure_ascii=False).encode())
        if len(kept) == MAX_ERROR_ROWS_KEPT or size > MAX_ERRORS_BYTES:
            more = len(errors) - len(kept)
            return [*kept, (kept[-1][0] if kept else row, "", f"{more} more error rows in this part of the file")]
        kept.append((row, column, reason[:MAX_REASON]))
    return kept


class _ChunkCounted(Exception):
    pass


def _count(message: ChunkMessage, report: _ChunkReport) -> None:
    kept = kept_errors(report.errors)
    now = clock.iso(clock.now())
    chunk = MemberImportRecord(
        message.import_id, _chunk_item(message.chunk), imported=report.imported, skipped=report.skipped,
        failed=report.failed, errors=len(kept), error_rows=json.dumps(kept, ensure_ascii=False), finished_at=now,
        expires_at=clock.now() + KEPT_FOR,
    )  # fmt: skip
    M = MemberImportRecord
    tx = Transaction()
    tx.put(chunk, condition=M.item.does_not_exist(), on_fail=_ChunkCounted())
    tx.update(M(message.import_id, IMPORT), actions=[
        M.chunks_done.add(1), M.imported.add(report.imported), M.skipped.add(report.skipped),
        M.failed.add(report.failed), M.errors.add(len(kept)), M.updated_at.set(_progress_stamp()),
    ])  # fmt: skip
    try:
        tx.commit()
    except _ChunkCounted:
        logger.info("import chunk counted meanwhile", extra={"import_id": message.import_id, "chunk": message.chunk})


class _NotDone(Exception):
    pass


def _complete_if_done(import_id: str) -> None:
    """Complete the import once its last chunk is counted, with its ``member.import-completed`` event."""
    record = MemberImportRecord.get(import_id, IMPORT, consistent_read=True)
    if record.status != "planned" or (record.chunks_done or 0) < (record.chunks or 0):
        return
    M = MemberImportRecord
    tx = Transaction()
    tx.update(
        M(import_id, IMPORT), actions=[M.status.set("completed"), M.finished_at.set(clock.iso(clock.now()))],
        condition=(M.status == "planned") & (M.chunks_done == M.chunks), on_fail=_NotDone(),
    )  # fmt: skip
    totals = {name: int(getattr(record, name) or 0) for name in ("rows", "imported", "skipped", "failed")}
    emit(tx, new_event("member.import-completed", f"member-import/{import_id}", {"import_id": import_id, **totals}))
    try:
        tx.commit()
    except _NotDone:
        return  # another worker completed it


def _fail(import_id: str, error: str) -> None:
    try:
        MemberImportRecord(import_id, IMPORT).update(
            actions=[MemberImportRecord.status.set("failed"), MemberImportRecord.error.set(error[:1000]),
                     MemberImportRecord.finished_at.set(clock.iso(clock.now()))],
            condition=MemberImportRecord.status.is_in("planning", "planned"),
        )  # fmt: skip
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
    logger.warning("member import failed", extra={"import_id": import_id, "error": error[:200]})


def _progress_stamp() -> str:
    """Wall-clock time of progress (a moved test clock must not make a live import look stalled)."""
    return clock.iso(clock.real_now())


def _import_record(import_id: str, scope: frozenset[str] = frozenset()) -> MemberImportRecord:
    """The import, as staff scoped to ``scope``'s stores may reach it (none: any import): only an import made by staff
    scoped within their stores, whose rows are held to those stores; another is 404, as an unknown one."""
    record = MemberImportRecord.find(import_id, IMPORT)
    if record is None or (scope and not (record.stores and set(record.stores) <= scope)):
        raise NotFound(f"No import {import_id!r}")
    return record


def get_import(import_id: str, scope: frozenset[str] = frozenset()) -> ImportStatus:
    return _status(_import_record(import_id, scope))


def _status(record: MemberImportRecord) -> ImportStatus:
    status: Status = record.status or "awaiting-file"  # type: ignore[assignment]
    error = record.error
    progressed = datetime.fromisoformat((record.updated_at or "").replace("Z", "+00:00"))
    if status in ("planning", "planned") and clock.real_now() - progressed > STALLED_AFTER:
        status, error = (
            "failed",
            (
                f"no progress since {record.updated_at}: the import stopped (a local stack killed during an import "
                "loses the chunks queued since its last save); import the file again, rows already in are skipped"
            ),
        )
    elif status == "planned" and record.chunks_done:
        status = "running"
    return ImportStatus(
        import_id=record.import_id, status=status, encoding=record.encoding or "utf-8",
        created_at=record.created_at or "", started_at=record.started_at, finished_at=record.finished_at,
        rows=int(record.rows or 0), imported=int(record.imported or 0), skipped=int(record.skipped or 0),
        failed=int(record.failed or 0), errors=int(record.errors or 0), chunks=int(record.chunks or 0),
        chunks_done=int(record.chunks_done or 0), error=error,
    )  # fmt: skip


def error_rows(import_id: str, scope: frozenset[str] = frozenset()) -> Iterator[importer.ErrorRow]:
    """The import's error rows, in file order: (line, column, reason), as the CLI's report holds them."""
    _import_record(import_id, scope)
    rows: list[importer.ErrorRow] = []
    for chunk in MemberImportRecord.query(import_id, MemberImportRecord.item.startswith("chunk#")):
        rows += [(int(row), str(column), str(reason)) for row, column, reason in json.loads(chunk.error_rows or "[]")]
    yield from sorted(rows)


def error_report(import_id: str, scope: frozenset[str] = frozenset()) -> str:
    """The error rows as the CSV file the CLI writes (row, field, reason, 原因)."""
    return error_report_text(list(error_rows(import_id, scope)), reason_zh)


def handle_import_messages(records: list[dict[str, Any]], max_receives: int) -> dict[str, list[dict[str, str]]]:
    """Lambda SQS handler body for the imports queue; a message that fails is reported for redelivery, and on
    its ``max_receives``-th delivery a chunk reports its failing rows as error rows instead."""
    failures = []
    for record in records:
        try:
            message = ImportMessage.model_validate({"message": json.loads(record["body"])}).message
            received = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
            if isinstance(message, PlanMessage):
                _plan_or_fail(message.import_id, last_attempt=received >= max_receives)
            else:
                import_chunk(message, last_attempt=received >= max_receives)
        except Exception:
            logger.exception("import message failed", extra={"message_id": record.get("messageId")})
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _plan_or_fail(import_id: str, *, last_attempt: bool) -> None:
    try:
        plan_import(import_id)
    except Exception as e:
        if last_attempt:
            _fail(import_id, f"the file could not be planned: {type(e).__name__}")
        raise
