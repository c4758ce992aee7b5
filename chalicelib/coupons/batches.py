"""Coupons issued in bulk, as a job with a report (批量发券): bearer codes to print or hand to a partner (up to
100,000 a batch), or one coupon to each member of an uploaded CSV.

A batch is split into chunks, each a key of the ``coupon-batches`` job, run at once (fanned out to workers when
large) and reported like any job run. A codes chunk is one ledger post of ``CODES_PER_CHUNK`` new coupons and the
stock they take, once per chunk (its claim); a members chunk issues to each of its rows once per row (the row's
source id), tallying what happened to each. A chunk a crash left undone is done by the job's next run.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections import Counter
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.coupons import service
from chalicelib.coupons.records import CouponBatchRecord, CouponBatchRowsRecord, CouponRecord
from chalicelib.coupons.rules import STOCK, Coupon, coupon_holder, issuing
from chalicelib.ledger.engine import Holdings
from chalicelib.ledger.model import Account, Answer, Claim, Insufficient, Posting, Source
from chalicelib.ledger.registry import ledger
from chalicelib.members import service as members
from chalicelib.members.model import InvalidPhone, normalise_phone
from chalicelib.shared import clock, uploads
from chalicelib.shared.csvfiles import ImportUsageError, checked_header, decoded
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Conflict, NotFound, ValidationFailed
from chalicelib.shared.events import Event, new_event
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.phrases import Phrase

CODES_PER_CHUNK = 20  # 20 coupons (account, entry, list record each) and 16 stock shards' writes fit 100 items
ROWS_PER_CHUNK = 100
MAX_FILE_BYTES = 4 * 1024 * 1024
UPLOAD_SECONDS = 900


class BatchNotFound(NotFound):
    """No such coupon batch."""


class BatchStarted(Conflict):
    slug, title = "batch-started", "The batch has started already"


class BadBatchFile(ValidationFailed):
    slug, title = "bad-batch-file", "The uploaded file cannot be read"

    def __init__(self, detail: str) -> None:
        super().__init__([{"field": "file", "in": "body", "message": detail}], detail)


def _job() -> Any:
    from chalicelib.coupons.jobs import coupon_batches

    return coupon_batches


def _json(record: CouponBatchRecord, upload: uploads.Upload | None = None) -> dict[str, Any]:
    report = None
    if record.run_id:
        from chalicelib.shared.jobs import get_report

        report = get_report("coupon-batches", record.run_id).model_dump()
    done = record.status == "completed" or (int(record.chunks_done) >= int(record.chunks) and int(record.chunks) > 0)
    return {
        "batch_id": record.batch_id,
        "template_id": record.template_id,
        "kind": record.kind,
        "count": int(record.size),
        "status": "completed" if done else record.status,
        "chunks": int(record.chunks),
        "chunks_done": int(record.chunks_done),
        "created_at": record.created_at,
        "created_by": record.created_by,
        "report": report,
        "upload": {
            "url": upload.url,
            "method": upload.method,
            "headers": upload.headers,
            "expires_at": clock.iso(upload.expires_at),
        }
        if upload
        else None,
    }


def create(template_id: str, kind: str, count: int | None, actor: str, *, fan_out: bool = True) -> dict[str, Any]:
    """A batch of ``count`` bearer codes, started at once (``fan_out``: its parts go to workers when there are
    many; otherwise they run here); or a members batch awaiting its CSV (the answer carries where to upload it;
    ``start`` then runs it)."""
    template = service.get_template(template_id)
    if template.status != "issuing":
        raise service.TemplateNotIssuing(f"Template {template_id} is {template.status}; it issues no coupons")
    batch_id = new_id("cb_")
    now = clock.iso(clock.now())
    if kind == "codes":
        assert count is not None
        left = service.stock_left(template)
        if left is not None and left < count:
            raise service.OutOfStock(f"Template {template_id} has {left} coupons left, not {count}", stock_left=left)
        chunks = -(-count // CODES_PER_CHUNK)
        record = CouponBatchRecord(
            batch_id,
            template_id=template_id,
            kind=kind,
            size=count,
            chunks=chunks,
            status="running",
            running="yes",
            created_at=now,
            created_by=actor,
        )
        record.save()
        return _run(record, fan_out)
    key = f"coupon-batches/{batch_id}.csv"
    record = CouponBatchRecord(
        batch_id,
        template_id=template_id,
        kind=kind,
        status="awaiting_file",
        upload_key=key,
        created_at=now,
        created_by=actor,
    )
    record.save()
    return _json(record, uploads.upload_for(key, UPLOAD_SECONDS))


def start(batch_id: str) -> dict[str, Any]:
    """Read a members batch's uploaded CSV (a `member_id` or `phone` column; UTF-8 or GBK), store its rows in
    chunks and run them. Nothing is issued if the file cannot be read."""
    record = _get(batch_id)
    if record.status != "awaiting_file":
        raise BatchStarted(f"Batch {batch_id} has started")
    size = uploads.size_of(record.upload_key or "")
    if size is None:
        raise BadBatchFile("Nothing was uploaded yet: PUT the CSV to the batch's upload URL first")
    if size > MAX_FILE_BYTES:
        raise BadBatchFile(f"The file may hold at most {MAX_FILE_BYTES} bytes")
    rows = parse_rows(uploads.read(record.upload_key or ""))
    chunks = [rows[n : n + ROWS_PER_CHUNK] for n in range(0, len(rows), ROWS_PER_CHUNK)]
    with CouponBatchRowsRecord.batch_write() as batch:
        for n, chunk in enumerate(chunks):
            batch.save(CouponBatchRowsRecord(batch_id, n, rows=json.dumps(chunk)))
    record.update(
        actions=[
            CouponBatchRecord.status.set("running"),
            CouponBatchRecord.running.set("yes"),
            CouponBatchRecord.size.set(len(rows)),
            CouponBatchRecord.chunks.set(len(chunks)),
        ],
        condition=CouponBatchRecord.status == "awaiting_file",
    )
    return _run(record)


def parse_rows(raw: bytes) -> list[list[Any]]:
    """``[[line, column, value], ...]`` from a CSV whose header names `member_id` or `phone` (one of them)."""
    for encoding in ("utf-8", "gbk"):
        try:
            text = decoded(raw, encoding)
            break
        except ImportUsageError:
            continue
    else:
        raise BadBatchFile("The file is neither UTF-8 nor GBK")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = checked_header(next(reader, []), ("member_id", "phone"), ())
    except ImportUsageError as e:
        raise BadBatchFile(str(e)) from None
    if len(header) != 1:
        raise BadBatchFile("The header names one column: member_id or phone")
    rows = [[reader.line_num, header[0], cells[0].strip()] for cells in reader if cells and cells[0].strip()]
    if not rows:
        raise BadBatchFile("The file holds no rows")
    return rows


def _run(record: CouponBatchRecord, fan_out: bool = True) -> dict[str, Any]:
    from chalicelib.shared.jobs import run_keys

    keys = [f"{record.batch_id}#{n}" for n in range(int(record.chunks))]
    report = run_keys(_job(), keys, fan_out=fan_out)
    record.update(actions=[CouponBatchRecord.run_id.set(report.run_id)])
    return _json(_get(record.batch_id))


def _get(batch_id: str) -> CouponBatchRecord:
    record = CouponBatchRecord.find(batch_id)
    if record is None:
        raise BatchNotFound(f"No coupon batch {batch_id!r}")
    return record


def get(batch_id: str) -> dict[str, Any]:
    return _json(_get(batch_id))


def open_chunks() -> list[str]:
    """The keys of every chunk of the batches still running (a sparse index lists only those; a chunk done before is
    done again as a repeat: nothing twice)."""
    keys = []
    for record in CouponBatchRecord.by_running.query("yes"):
        keys += [f"{record.batch_id}#{n}" for n in range(int(record.chunks))]
    return keys


def process(key: str, read: dict[str, Any] | None = None) -> Counter[str]:
    """One chunk of a batch, once: its tallies. ``read`` keeps the batches and templates a worker's message already
    read (what a batch issues never changes once it runs)."""
    read = {} if read is None else read
    batch_id, _, number = key.partition("#")
    record = read[batch_id] = read.get(batch_id) or _get(batch_id)
    chunk = int(number)
    if record.kind == "codes":
        template = read[record.template_id] = read.get(record.template_id) or service.get_template(record.template_id)
        tallies = _codes_chunk(record, template, chunk)
    else:
        tallies = _members_chunk(record, chunk)
    if record.kind == "members" or tallies["out-of-stock"]:  # a codes chunk counts itself done with its coupons
        _count_done(record, chunk)
    _close_if_done(batch_id)
    return tallies


def _count_done(record: CouponBatchRecord, chunk: int) -> None:
    """Count a chunk done once, however often it is processed (its rows item is marked in the same transaction): a
    members chunk, or a codes chunk refused for want of stock (its report says so; adding stock later does not
    resume it)."""
    tx = Transaction()
    tx.update(
        CouponBatchRowsRecord(record.batch_id, chunk),
        [CouponBatchRowsRecord.done.set("yes")],
        condition=CouponBatchRowsRecord.done.does_not_exist(),
        on_fail=_CountedBefore(),
    )
    tx.count(CouponBatchRecord(record.batch_id), "chunks_done", 1)
    with contextlib.suppress(_CountedBefore):
        tx.commit()


class _CountedBefore(Exception):
    pass


def _close_if_done(batch_id: str) -> None:
    """A batch whose every chunk is done leaves the running list (the job's own runs read only that)."""
    try:
        CouponBatchRecord(batch_id).update(
            actions=[CouponBatchRecord.status.set("completed"), CouponBatchRecord.running.remove()],
            condition=(CouponBatchRecord.chunks_done >= CouponBatchRecord.chunks)
            & (CouponBatchRecord.status == "running"),
        )
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise


def _codes_chunk(record: CouponBatchRecord, template: service.Template, chunk: int) -> Counter[str]:
    """``CODES_PER_CHUNK`` bearer coupons (fewer in the last chunk) in one post, once per chunk."""

    count = min(CODES_PER_CHUNK, int(record.size) - chunk * CODES_PER_CHUNK)
    today = clock.business_today()
    issued_at = clock.iso(clock.now())
    valid_from, valid_until = template.terms.validity.window(today)
    source = Source("batch", f"{record.batch_id}:{chunk}")
    coupons = [
        Coupon(
            template.code_format.new_code(),
            template.template_id,
            None,
            "available",
            valid_from.isoformat(),
            valid_until.isoformat(),
            issued_at,
            "batch",
            source.id or "",
        )
        for _ in range(count)
    ]

    def plan(holdings: Holdings) -> list[Posting]:
        postings = []
        wanted = count
        for holder in template.stock_holders:
            take = min(wanted, holdings.balance(holder, STOCK))
            if take:
                postings.append(Posting(holder, STOCK, -take, "issue", source, f"批量发券 {record.batch_id}"))
                wanted -= take
        if wanted and template.stock is not None:  # a template without a stock limit has no stock to draw on (a
            # new user's walkthrough: its codes batch made none, every row out of stock)
            raise service.OutOfStock(f"Template {template.template_id} has too few coupons left for this chunk")
        return [*postings, *(issuing(coupon, source, Phrase("批量发券", "Bulk issue")) for coupon in coupons)]

    def announce(answer: Answer) -> list[Event]:
        payload = {
            "template_id": template.template_id,
            "count": count,
            "batch_id": record.batch_id,
            "source_kind": "batch",
            "face_value_fen": template.terms.face_value,
        }
        return [new_event("coupon.issued", f"coupon-batch/{record.batch_id}", payload)]

    def attach(answer: Answer) -> list[Any]:
        done = CouponBatchRecord(record.batch_id)
        return [*(service.keep(coupon, new=True) for coupon in coupons), lambda tx: tx.count(done, "chunks_done", 1)]

    holders = [*template.stock_holders, *(coupon_holder(c.code) for c in coupons)]
    try:
        answer = ledger().post(
            plan,
            holders=holders,
            claim=Claim.of(f"coupon-batch:{record.batch_id}:{chunk}", {"count": count}),
            announce=announce,
            attach=attach,
            known={coupon_holder(c.code): Account(coupon_holder(c.code)) for c in coupons},
        )
    except (service.OutOfStock, Insufficient):
        return Counter({"out-of-stock": count})
    return Counter({"duplicate": count} if answer.duplicate else {"issued": count, "changed": count})


def _members_chunk(record: CouponBatchRecord, chunk: int) -> Counter[str]:
    """Each row's coupon, once per row; what happened to each row is tallied (and logged by row)."""
    stored = CouponBatchRowsRecord.find(record.batch_id, chunk)
    tallies: Counter[str] = Counter()
    for line, column, value in json.loads(stored.rows) if stored else []:
        if column == "phone":
            try:
                value = normalise_phone(value)
            except InvalidPhone:
                tallies["invalid-phone"] += 1
                continue
        member_id = value if column == "member_id" else members.holder(phone=value)
        if not member_id or members.status_of(str(member_id)) is None:
            tallies["unknown-member"] += 1
            continue
        try:
            issued = service.issue_for(
                record.template_id, str(member_id), source_kind="batch", source_id=f"{record.batch_id}:{line}"
            )
        except (
            service.OutOfStock,
            service.LimitReached,
            service.MemberNotEligible,
            service.TemplateNotIssuing,
            service.IssueConflict,
        ) as refused:
            tallies[refused.slug] += 1
            continue
        tallies["duplicate" if issued["duplicate"] else "issued"] += 1
    tallies["changed"] = tallies["issued"]
    return tallies


def codes(batch_id: str, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
    """A codes batch's codes, a page at a time (to print, or to hand to a partner)."""
    record = _get(batch_id)
    results = CouponRecord.by_template.query(
        record.template_id, limit=limit, last_evaluated_key=decode_cursor(f"batch:{batch_id}", cursor)
    )
    page = [found.code for found in results]
    issued = CouponRecord.batch_get(page) if page else []
    mine = sorted(found.code for found in issued if (found.source_id or "").startswith(f"{batch_id}:"))
    return mine, encode_cursor(f"batch:{batch_id}", results.last_evaluated_key)
