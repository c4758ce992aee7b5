"""The job runner: nightly work that grows with what is due, caught up after a missed night, run once.

A job plans the item keys due between its watermark and the as-of date (reading a sparse, sharded
due-date index, never scanning a table), then processes them in batches: inline for the CLI and small
runs, fanned out through the ``jobs`` queue otherwise. ``process`` must be idempotent per item and date,
so a retried batch or a re-run changes nothing twice. Each run keeps a report (items planned, batches,
items processed); each batch is counted exactly once through a marker written with the counters. When
the last batch is done the run completes and the watermark moves to its as-of date, or to the last
business day that has ended if that is earlier.
"""

from __future__ import annotations

import abc
import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError

from chalicelib.shared import clock
from chalicelib.shared.db import NumberAttribute, Record, Transaction, table, with_retries
from chalicelib.shared.errors import Conflict, DomainError, NotFound
from chalicelib.shared.events import Event, emit
from chalicelib.shared.ids import new_id
from chalicelib.shared.logs import logger
from chalicelib.shared.settings import get_settings
from chalicelib.shared.sqs import send_messages

BATCH_SIZE = 100
INLINE_BATCHES = 1  # a run with more batches than this fans out when asked to
STALE_AFTER = timedelta(minutes=15)  # a run without progress this long was abandoned (the queue's visibility)
WAIT_POLL_SECONDS = 1.0  # how often a caller waiting for a run under way looks again
START_LEASE = timedelta(seconds=60)  # a run's start holds its job's lease at most this long (its holder died)
PLATFORM, EPOCH = "~platform", "epoch"  # platform-wide items of the jobs table (no job has this name)
LEASE = "lease"  # a job's item while a run of it starts


# a first run's lookback reaching the platform's first day (``first_day_of`` never starts before it): expiries,
# lapses and reviews are owed however late a first run finds them (a stack that never ran its nights, a test clock
# moved a year on); reading back costs a query per month and shard, not per day
SINCE_THE_FIRST_DAY = 36_500


class Job(abc.ABC):
    """A nightly job. Subclasses state which items are due and how to process a batch of them."""

    name: ClassVar[str]
    schedule: ClassVar[str]  # EventBridge cron, UTC
    description: ClassVar[str]
    first_run_lookback_days: ClassVar[int] = 7  # SINCE_THE_FIRST_DAY for work that is due however late it is found
    batch_size: ClassVar[int | None] = None  # keys per SQS message when fanned out (default and inline: BATCH_SIZE)
    tallied: ClassVar[bool] = False  # process returns tallies, which its reports add up from the batches
    as_the_day_begins: ClassVar[bool] = False  # scheduled runs are for today, not for the business day that ended
    ended_days_only: ClassVar[bool] = False  # it writes or checks whole days: a day under way would be partial

    @abc.abstractmethod
    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        """Keys of the items due on any day from ``first_day`` through ``as_of``."""

    @abc.abstractmethod
    def process(self, keys: list[str], as_of: date) -> int | Counter[str]:
        """Handle a batch; idempotent per item and as-of date. Returns how many items changed, or tallies
        of what it found (their ``changed`` counts as processed), which the run's report adds up."""

    def preview(self, keys: list[str], as_of: date) -> Iterator[dict[str, Any]]:
        """What ``process`` would do to a batch as of ``as_of`` (the future included), writing nothing: one
        finding per item it would change, with an ``outcome``."""
        raise NoPreview(f"{self.name} has no preview")


JOBS: dict[str, Job] = {}


def register(job: Job) -> Job:
    JOBS[job.name] = job
    return job


def get_job(name: str) -> Job:
    _import_all_jobs()
    if name not in JOBS:
        raise NotFound(f"No job named {name!r}; known: {', '.join(sorted(JOBS))}")
    return JOBS[name]


def all_jobs() -> list[Job]:
    _import_all_jobs()
    return [JOBS[name] for name in sorted(JOBS)]


def in_nightly_order(jobs: list[Job]) -> list[Job]:
    """The scheduled jobs in the order a night runs them: those that run every few minutes first, then by their cron
    time from the business day's midnight (16:00 UTC, 00:00 in Asia/Shanghai). Jobs that run only on request (a tier
    programme's preview and application) are no part of a night."""

    def minute_of_night(job: Job) -> int:
        if not job.schedule.startswith("cron("):
            return -1
        minute, hour = job.schedule.removeprefix("cron(").split()[:2]
        return (int(hour) * 60 + int(minute) - 16 * 60) % (24 * 60)

    return sorted((job for job in jobs if job.schedule), key=minute_of_night)


def _import_all_jobs() -> None:
    from chalicelib.shared.db import import_each

    import_each("jobs")


@table
class JobRecord(Record):
    """Per job: a watermark item, a report item per run, a marker per processed batch, and a lease while a run
    starts."""

    logical_name = "jobs"

    class Meta:
        table_name = "jobs"

    job = UnicodeAttribute(hash_key=True)
    item = UnicodeAttribute(range_key=True)  # "watermark" | "run#<run_id>" | "batch#<run_id>#<n>" | "lease"
    as_of = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    first_day = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    planned = NumberAttribute(null=True)
    batches = NumberAttribute(null=True)
    batches_done = NumberAttribute(null=True)
    processed = NumberAttribute(null=True)
    tallies = UnicodeAttribute(null=True)  # a batch's tallies (JSON), added up when its run's report is read
    updated_at = UnicodeAttribute(null=True)  # a run's last progress: a run without any for long was abandoned
    error = UnicodeAttribute(null=True)  # why a run failed
    offset_days = NumberAttribute(null=True)  # the test clock's offset (see ``testclock``)


class RunReport(BaseModel):
    model_config = ConfigDict(defer_build=True)  # these three are built by the first job run, not at import

    job: str
    run_id: str
    as_of: str
    first_day: str
    status: str
    started_at: str
    finished_at: str | None
    planned: int
    batches: int
    batches_done: int
    processed: int
    tallies: dict[str, int] = {}
    error: str | None = None


class PreviewReport(BaseModel):
    model_config = ConfigDict(defer_build=True)

    job: str
    as_of: str
    first_day: str
    today: str
    items: int
    tallies: dict[str, int]
    findings: list[dict[str, Any]]
    truncated: bool = False  # more findings than kept (the tallies count them all)


class BatchMessage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    job: str
    run_id: str
    as_of: str
    batch: int
    keys: list[str]


class FutureDay(DomainError):
    slug, title, status = "job-day-in-future", "A job cannot run for a day that has not come", 422


class DayUnderWay(DomainError):
    slug, title, status = "job-day-under-way", "This job runs for days that have ended", 422


class RunUnderWay(Conflict):
    slug, title = "job-run-under-way", "A run of this job is under way"


class NoPreview(DomainError):
    slug, title, status = "job-has-no-preview", "This job has no preview", 422


def watermark(job: Job) -> date | None:
    """The last as-of date a run of ``job`` completed."""
    record = JobRecord.find(job.name, "watermark")
    return date.fromisoformat(record.as_of) if record and record.as_of else None


def platform_epoch() -> date:
    """The first business day the platform holds data for: a job's first run looks back no further.

    Kept as an item of the jobs table (so a local snapshot keeps it); the first time it is asked for, it is
    the day the jobs table was created."""
    record = JobRecord.find(PLATFORM, EPOCH)
    if record is not None and record.as_of:
        return date.fromisoformat(record.as_of)
    return set_epoch(JobRecord.made_on(get_settings().tz), only_if_unset=True)


def set_epoch(day: date, *, only_if_unset: bool = False) -> date:
    """Record the first day the platform holds data for (set once from the jobs table's creation; an operator
    or a test setting it earlier lets first runs look further back)."""
    condition = JobRecord.job.does_not_exist() if only_if_unset else None
    try:
        JobRecord(PLATFORM, EPOCH, as_of=day.isoformat()).save(condition=condition)
    except PutError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        return platform_epoch()
    return day


def recorded_oldest(name: str) -> str | None:
    """The oldest value recorded for ``name`` (an ISO date or month a walk back through time may stop at), or None
    while nothing is recorded; read consistently."""
    record = JobRecord.find(PLATFORM, name)
    return record.as_of if record is not None else None


def lower_oldest(name: str, value: str) -> bool:
    """Record ``value`` as the oldest ``name`` unless an older one is recorded (writers racing keep the oldest);
    whether it was recorded."""
    condition = JobRecord.as_of.does_not_exist() | (JobRecord.as_of > value)
    try:
        JobRecord(PLATFORM, name, as_of=value).save(condition=condition)
    except PutError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def first_day_of(job: Job, as_of: date) -> date:
    """Where a run for ``as_of`` starts: the day after the watermark, or, on a first run, the lookback but
    never before the platform held data."""
    last = watermark(job)
    if last is not None:
        first_day = last + timedelta(days=1)
    elif job.first_run_lookback_days:
        first_day = max(as_of - timedelta(days=job.first_run_lookback_days), platform_epoch())
    else:
        first_day = as_of
    return min(first_day, as_of)


def run_job(
    job: Job, as_of: date, *, fan_out: bool = False, announce: Callable[[str], Event] | None = None
) -> RunReport:
    """Plan and run everything due from the day after the watermark through ``as_of``.

    A day that has not come is refused (preview it instead). A run left unfinished by a crash is marked
    failed first, so a job is never stuck; one still making progress makes this a 409. With ``fan_out`` and
    more than one batch, batches go to the jobs queue and the report completes as workers finish; otherwise
    every batch runs here before this returns, and a failure marks the run failed before it is raised.
    ``announce`` gives, for the new run's id, an event committed with the run's first record, before any work:
    a run that fails part-way is announced all the same, a refused one never.
    """
    today = clock.business_today()
    if as_of > today:
        raise FutureDay(
            f"{job.name} cannot run for {as_of}: today is {today}. "
            f"`jobs preview {job.name} --as-of {as_of}` shows what it would do, writing nothing"
        )
    if job.ended_days_only and as_of >= today:
        raise DayUnderWay(f"{job.name} runs for days that have ended, and {as_of} is under way: its files and checks "
                          f"would be partial. The last day that ended is {today - timedelta(days=1)}")  # fmt: skip
    run_id = new_id("run_")
    with _starting(job):  # one start at a time: the next one finds this run's record and is refused
        _settle_unfinished_runs(job)
        first_day = first_day_of(job, as_of)
        planning = JobRecord(
            job.name, f"run#{run_id}", as_of=as_of.isoformat(), status="planning", first_day=first_day.isoformat(),
            started_at=clock.iso(clock.now()), planned=0, batches=0, batches_done=0, processed=0,
            updated_at=_progress_stamp(),
        )  # fmt: skip
        if announce is None:
            planning.save()
        else:
            tx = Transaction()
            tx.put(planning)
            emit(tx, announce(run_id))
            tx.commit()
    try:
        messages = _messages(job, run_id, as_of, job.due(first_day, as_of), fan_out)
        run = JobRecord(job.name, f"run#{run_id}")
        with_retries(lambda: run.update(actions=[
            JobRecord.status.set("running"),
            JobRecord.planned.set(sum(len(message.keys) for message in messages)),
            JobRecord.batches.set(len(messages)),
        ]))  # fmt: skip
        _dispatch(messages, fan_out)
    except BaseException as e:  # an interrupt (Ctrl-C, SIGTERM) too: a run is never left "running" by its own process
        _fail(job.name, run_id, _described(e))
        raise
    _complete_if_done(job.name, run_id)
    report = get_report(job.name, run_id)
    logger.info("job planned", extra={"job": job.name, "run_id": run_id, "report": report.model_dump()})
    return report


def run_job_when_free(
    job: Job, as_of: date, *, fan_out: bool = False, patience: timedelta, on_wait: Callable[[str], None] | None = None
) -> RunReport:
    """``run_job``, but a run of the job under way (a schedule's, the local stack's once a minute) is waited for,
    up to ``patience``, instead of refused; ``on_wait`` hears once why. This run then covers what that one left
    due (``process`` is idempotent per item and date, so nothing is done twice either way)."""
    deadline = time.monotonic() + patience.total_seconds()
    told = False
    while True:
        try:
            return run_job(job, as_of, fan_out=fan_out)
        except RunUnderWay as e:
            if time.monotonic() >= deadline:
                raise
            if on_wait is not None and not told:
                on_wait(e.detail)
                told = True
            time.sleep(WAIT_POLL_SECONDS)


def run_keys(job: Job, keys: list[str], *, fan_out: bool = False) -> RunReport:
    """A run of ``job`` over ``keys`` someone asked for now (a coupon batch a user started), for today, beside any
    other run of the job: reported, batched and counted once like a planned run, and caught up by the job's own
    ``due`` on its next scheduled run if a worker never finished."""
    run_id, today = new_id("run_"), clock.business_today()
    messages = _messages(job, run_id, today, iter(keys), fan_out)
    JobRecord(
        job.name, f"run#{run_id}", as_of=today.isoformat(), status="running", first_day=today.isoformat(),
        started_at=clock.iso(clock.now()), planned=len(keys), batches=len(messages), batches_done=0, processed=0,
        updated_at=_progress_stamp(),
    ).save()  # fmt: skip
    try:
        _dispatch(messages, fan_out)
    except BaseException as e:
        _fail(job.name, run_id, _described(e))
        raise
    _complete_if_done(job.name, run_id)
    return get_report(job.name, run_id)


def _described(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else f"{type(error).__name__} (interrupted)"


def _messages(job: Job, run_id: str, as_of: date, keys: Iterator[str], fan_out: bool) -> list[BatchMessage]:
    """A run's keys in batches: the job's own size when fanned out to workers, else ``BATCH_SIZE``."""
    size = (job.batch_size or BATCH_SIZE) if fan_out else BATCH_SIZE
    return [BatchMessage(job=job.name, run_id=run_id, as_of=as_of.isoformat(), batch=n, keys=batch)
            for n, batch in enumerate(_chunks(keys, size))]  # fmt: skip


def _dispatch(messages: list[BatchMessage], fan_out: bool) -> None:
    """To the jobs queue when fanned out and more than inline runs take; otherwise processed here, in order."""
    if fan_out and len(messages) > INLINE_BATCHES:
        _enqueue(messages)
    else:
        for message in messages:
            process_batch(message)


def previewable(job: Job) -> bool:
    """Whether ``job`` says what a run would do before it runs (``Job.preview``)."""
    return type(job).preview is not Job.preview


PREVIEW_REACH = timedelta(days=3 * 366)  # how far ahead a preview looks: a rehearsal, not a scan of the calendar


class PreviewTooFar(DomainError):
    slug, title, status = "job-preview-too-far", "A preview looks at most three years ahead", 422


def preview_job(job: Job, as_of: date, *, keep: int | None = None) -> PreviewReport:
    """What a run for ``as_of`` (any day up to three years ahead) would do to the data as it stands now, item by
    item, keeping the first ``keep`` findings (all: None) and counting every one. Writes nothing: the watermark, the
    run reports and the data stay as they are."""
    if not previewable(job):
        raise NoPreview(f"{job.name} has no preview; its runs report what they did")
    today = clock.business_today()
    if as_of > today + PREVIEW_REACH:
        raise PreviewTooFar(f"preview a day before {today + PREVIEW_REACH}")
    first_day = first_day_of(job, min(as_of, today))  # from where the next run would start
    findings: list[dict[str, Any]] = []
    outcomes: Counter[str] = Counter()
    points = 0  # what the findings that name points add up to (a head office read 34 rows and no total)
    for keys in _chunks(job.due(first_day, as_of), BATCH_SIZE):
        for finding in job.preview(keys, as_of):
            outcomes[str(finding.get("outcome", "due"))] += 1
            points += int(finding.get("points") or 0)
            if keep is None or len(findings) < keep:
                findings.append(finding)
    items = sum(outcomes.values())
    tallies = {**outcomes, **({"points": points} if points else {})}
    return PreviewReport(job=job.name, as_of=as_of.isoformat(), first_day=first_day.isoformat(),
                         today=today.isoformat(), items=items, tallies=tallies, findings=findings,
                         truncated=items > len(findings))  # fmt: skip


@contextlib.contextmanager
def _starting(job: Job) -> Iterator[None]:
    """Hold ``job``'s start lease (an item of the jobs table, taken conditionally) while a run starts: two starts at
    once (a schedule delivered twice, an operator's run beside it) would each find no run under way and both run.
    The second is refused as a run under way. A lease its holder left (a crash) lapses after ``START_LEASE``. Its
    times are the wall clock's, whatever a test clock or a frozen one says."""
    holder, now = new_id("lease_"), datetime.now(UTC)
    lease = JobRecord(job.name, LEASE, status=holder, updated_at=clock.iso(now + START_LEASE))
    try:
        lease.save(condition=JobRecord.item.does_not_exist() | (JobRecord.updated_at < clock.iso(now)))
    except PutError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise RunUnderWay(f"a run of {job.name} is starting") from None
    try:
        yield
    finally:
        try:
            JobRecord(job.name, LEASE).delete(condition=JobRecord.status == holder)  # not one another start took
        except DeleteError as e:  # left, it lapses: never hide what the start itself raised
            logger.warning("job lease not released", extra={"job": job.name, "error": e.cause_response_code})


def _settle_unfinished_runs(job: Job) -> None:
    """Mark runs that stopped making progress (a crash, a killed CLI) failed; refuse while one progresses."""
    cutoff = clock.real_now() - STALE_AFTER
    runs = JobRecord.query(
        job.name, JobRecord.item.startswith("run#"), scan_index_forward=False, limit=20, consistent_read=True
    )  # a run whose start just released the lease is seen
    for record in runs:
        if record.status not in ("planning", "running"):
            continue
        progressed = datetime.fromisoformat((record.updated_at or record.started_at or "").replace("Z", "+00:00"))
        run_id = record.item.removeprefix("run#")
        if progressed > cutoff:
            raise RunUnderWay(f"run {run_id} of {job.name} is under way (last progress {record.updated_at})")
        _fail(job.name, run_id, f"abandoned: no progress since {record.updated_at or record.started_at}")


def _fail(job_name: str, run_id: str, error: str) -> None:
    try:
        JobRecord(job_name, f"run#{run_id}").update(
            actions=[JobRecord.status.set("failed"), JobRecord.error.set(error[:1000]),
                     JobRecord.finished_at.set(clock.iso(clock.now()))],
            condition=JobRecord.status.is_in("planning", "running"),
        )  # fmt: skip
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
    logger.error("job run failed", extra={"job": job_name, "run_id": run_id, "error": error})


def _progress_stamp() -> str:
    """Wall-clock time of a run's progress (a moved test clock must not make a live run look abandoned)."""
    return clock.iso(clock.real_now())


def process_batch(message: BatchMessage) -> None:
    """Process one batch and count it in its run's report, exactly once however often it is delivered."""
    job = get_job(message.job)
    outcome = job.process(message.keys, date.fromisoformat(message.as_of))
    tallies = outcome if isinstance(outcome, Counter) else None
    changed = outcome["changed"] if isinstance(outcome, Counter) else outcome
    tallied = json.dumps(dict(tallies), sort_keys=True) if tallies is not None else None
    tx = Transaction()
    tx.put(
        JobRecord(message.job, f"batch#{message.run_id}#{message.batch}", processed=changed, tallies=tallied),
        condition=JobRecord.item.does_not_exist(),
        on_fail=_BatchAlreadyCounted(),
    )
    tx.update(
        JobRecord(message.job, f"run#{message.run_id}"),
        actions=[
            JobRecord.batches_done.add(1),
            JobRecord.processed.add(changed),
            JobRecord.updated_at.set(_progress_stamp()),
        ],
    )
    try:
        tx.commit()
    except _BatchAlreadyCounted:
        logger.info("batch already counted", extra={"job": message.job, "batch": message.batch})
    _complete_if_done(message.job, message.run_id)


class _BatchAlreadyCounted(Exception):
    pass


def handle_job_messages(records: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    """Lambda SQS handler body for the jobs queue; failed batches are reported for redelivery."""
    failures = []
    for record in records:
        try:
            process_batch(BatchMessage.model_validate_json(record["body"]))
        except Exception:
            logger.exception("job batch failed", extra={"message_id": record.get("messageId")})
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _complete_if_done(job_name: str, run_id: str) -> None:
    run = JobRecord(job_name, f"run#{run_id}")
    try:
        run.update(
            actions=[JobRecord.status.set("completed"), JobRecord.finished_at.set(clock.iso(clock.now()))],
            condition=(JobRecord.status == "running") & (JobRecord.batches_done == JobRecord.batches),
        )
    except UpdateError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            return  # not finished yet, or another worker completed it
        raise
    as_of = date.fromisoformat(JobRecord.get(job_name, f"run#{run_id}", consistent_read=True).as_of or "")
    settled = min(as_of, last_ended_day()).isoformat()
    try:
        JobRecord(job_name, "watermark").update(
            actions=[JobRecord.as_of.set(settled)],
            condition=JobRecord.as_of.does_not_exist() | (JobRecord.as_of < settled),
        )
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise


def last_ended_day() -> date:
    """The latest business day that is over: the watermark never passes it, so work that comes due later
    on a day still under way (or a future ``--as-of``) is looked at again by the next run."""
    return clock.business_today() - timedelta(days=1)


def scheduled_day(job: Job) -> date:
    """The as-of date of a run on schedule (or from the CLI without ``--as-of``): the business day that just
    ended, or today for jobs that act on what comes due as the day begins (tier reviews, reminders)."""
    return clock.business_today() if job.as_the_day_begins else last_ended_day()


def night_day(job: Job, as_of: date) -> date:
    """The day a night of every job (``jobs run --all --as-of``) runs ``job`` for: ``as_of``, but the last day that
    ended for jobs that write or check whole days, when ``as_of`` is under way (a rehearsal of today runs the rest)."""
    return min(as_of, last_ended_day()) if job.ended_days_only else as_of


def get_report(job_name: str, run_id: str) -> RunReport:
    """A run's report; for a tallied job, with the tallies of its batches added up."""
    record = JobRecord.find(job_name, f"run#{run_id}")
    if record is None:
        raise NotFound(f"No run {run_id} of job {job_name}")
    if not get_job(job_name).tallied:
        return _report(record)
    tallies: Counter[str] = Counter()
    for batch in JobRecord.query(job_name, JobRecord.item.startswith(f"batch#{run_id}#")):
        tallies.update(json.loads(batch.tallies or "{}"))
    return _report(record).model_copy(update={"tallies": dict(tallies)})


def recent_reports(job_name: str, limit: int = 10) -> list[RunReport]:
    """The newest runs of a job, newest first."""
    records = JobRecord.query(
        job_name, JobRecord.item.startswith("run#"), scan_index_forward=False, limit=limit, consistent_read=True
    )
    return [_report(record) for record in records]


def _report(record: JobRecord) -> RunReport:
    return RunReport(
        job=record.job, run_id=record.item.removeprefix("run#"), as_of=record.as_of or "",
        first_day=record.first_day or "", status=record.status or "", started_at=record.started_at or "",
        finished_at=record.finished_at, planned=int(record.planned or 0), batches=int(record.batches or 0),
        batches_done=int(record.batches_done or 0), processed=int(record.processed or 0), error=record.error,
    )  # fmt: skip


def _enqueue(messages: list[BatchMessage]) -> None:
    send_messages(get_settings().jobs_queue_url, [message.model_dump_json() for message in messages])


def _chunks(keys: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for key in keys:
        batch.append(key)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def days(first_day: date, last_day: date) -> Iterator[date]:
    """Every date from ``first_day`` through ``last_day``."""
    day = first_day
    while day <= last_day:
        yield day
        day += timedelta(days=1)
