"""Command line: ``python -m chalicelib.cli ...`` from the repository root.

``local up`` runs the local stack (``make run``). Every other command acts on the running local stack
through what it wrote under ``.local/``; on AWS the same operations run as Lambda functions.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click

PROJECT_DIR = Path(__file__).resolve().parents[1]


def _iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected a date as YYYY-MM-DD") from None


@click.group()
def cli() -> None:
    """Loyalty platform command line."""


@cli.group()
def local() -> None:
    """The local development stack."""


@local.command("up")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "8000")), show_default="$PORT or 8000")
@click.option("--seed/--no-seed", default=True, help="Create the demo data if it is missing.")
def local_up(port: int, seed: bool) -> None:
    """Start the emulator, relay, poller and API; Ctrl-C or SIGTERM stops and saves."""
    from chalicelib.local.stack import serve
    from chalicelib.shared.settings import SettingsError

    try:
        serve(port, seed=seed)
    except SettingsError as bad:  # a LOYALTY_ variable given wrong: said in words, the data saved as it was
        raise click.ClickException(str(bad)) from None


@cli.command()
def seed() -> None:
    """Create the demo data that is missing (safe to repeat)."""
    from chalicelib.local.localdir import LocalDir, connect
    from chalicelib.local.seed import seed_demo_data

    connect()
    click.echo(f"{seed_demo_data(LocalDir.default().credentials)} demo items created")


@cli.group()
def jobs() -> None:
    """Nightly jobs: list them, run one for a date, read run reports."""


@jobs.command("list")
def jobs_list() -> None:
    """The jobs, their schedules (UTC cron) and watermarks."""
    from chalicelib.local.localdir import connect
    from chalicelib.shared.jobs import all_jobs, watermark

    connect()
    for job in all_jobs():
        last = watermark(job)
        click.echo(f"{job.name}\t{job.schedule}\tdone through {last or 'never'}\t{job.description}")


@jobs.command("run")
@click.argument("names", nargs=-1, metavar="NAME...")
@click.option("--all", "every", is_flag=True, help="Every job, in the order a night runs them (a rehearsed night).")
@click.option(
    "--as-of",
    "as_of",
    callback=_iso_date,
    help="Process what is due up to this date (default: as scheduled, yesterday or today; never after today).",
)
@click.option("--fan-out", is_flag=True, help="Send batches through the jobs queue instead of running them here.")
@click.option(
    "--wait",
    "wait_seconds",
    type=click.IntRange(0, 3600),
    default=120,
    show_default=True,
    help="Seconds to wait for a run of the same job under way (a schedule's) to end before refusing.",
)
def jobs_run(names: tuple[str, ...], every: bool, as_of: date | None, fan_out: bool, wait_seconds: int) -> None:
    """Run each job NAME (or --all) for everything due through --as-of; prints the run report as JSON (one job) or a
    JSON array of them, in order; exits 1 if a run failed. A run of the job under way is waited for (--wait). With
    --all and a day under way, the jobs that write or check whole days (export-bi, check-figures) run for the day
    before it."""
    from datetime import timedelta

    from chalicelib.local.localdir import connect
    from chalicelib.shared.jobs import all_jobs, get_job, in_nightly_order, night_day, run_job_when_free, scheduled_day

    if every == bool(names):
        raise click.UsageError("name the jobs to run, or say --all")
    connect()
    with _usage_errors():
        chosen = in_nightly_order(all_jobs()) if every else [get_job(name) for name in names]
        reports = [
            run_job_when_free(job, night_day(job, as_of) if as_of and every else as_of or scheduled_day(job),
                              fan_out=fan_out, patience=timedelta(seconds=wait_seconds), on_wait=_say_waiting)
            for job in chosen
        ]  # fmt: skip
    if len(reports) == 1 and not every:
        click.echo(reports[0].model_dump_json(indent=2))
    else:
        click.echo(json.dumps([report.model_dump() for report in reports], indent=2, ensure_ascii=False))
    sys.exit(1 if any(report.status == "failed" for report in reports) else 0)


def _say_waiting(why: str) -> None:
    click.echo(f"waiting: {why}", err=True)


@jobs.command("preview")
@click.argument("name")
@click.option("--as-of", "as_of", callback=_iso_date, required=True, help="The day to rehearse, future included.")
def jobs_preview(name: str, as_of: date) -> None:
    """What job NAME would do if it ran for --as-of on the data as it stands (writes nothing), as JSON."""
    from chalicelib.local.localdir import connect
    from chalicelib.shared.jobs import get_job, preview_job

    connect()
    with _usage_errors():
        report = preview_job(get_job(name), as_of)
    click.echo(report.model_dump_json(indent=2))


@contextlib.contextmanager
def _usage_errors() -> Iterator[None]:
    """A refused request (an unknown job, a day in the future, a run under way) is a usage error, not a crash."""
    from chalicelib.shared.errors import DomainError

    try:
        yield
    except DomainError as e:
        raise click.UsageError(e.detail) from None


@jobs.command("runs")
@click.argument("name")
@click.option("--limit", type=click.IntRange(1, 100), default=10)
def jobs_runs(name: str, limit: int) -> None:
    """The newest run reports of job NAME as a JSON array, with their tallies (as `GET /v1/jobs/NAME/runs`)."""
    from chalicelib.local.localdir import connect
    from chalicelib.platform.runs import runs_of

    connect()
    with _usage_errors():
        reports = runs_of(name, limit)
    click.echo(json.dumps(reports, indent=2))


@cli.group()
def clock() -> None:
    """The test clock: move the platform's "today" (local stack and stages that allow it; never production)."""


@clock.command("set")
@click.argument("day", callback=_iso_date)
def clock_set(day: date) -> None:
    """Make DAY (YYYY-MM-DD) the platform's today for the API, the jobs and the CLI (time of day keeps running)."""
    from chalicelib.local.localdir import connect
    from chalicelib.shared.testclock import set_today

    connect()
    with _usage_errors():
        offset = set_today(day)
    click.echo(f"today is {day.isoformat()} ({offset.days:+d} days from real time); `clock reset` returns")
    if offset.days > 0:  # said before the rehearsal, not only after it (a walkthrough learnt it at `clock reset`)
        said = (
            "jobs run on the days ahead stay done for them: on this data their nights will not run again once "
            "real time gets there; keep a copy of .local/data.json to put back after `clock reset`"
        )
        click.echo(said, err=True)


@clock.command("reset")
def clock_reset() -> None:
    """Return the platform to real time."""
    from chalicelib.local.localdir import connect
    from chalicelib.shared.testclock import reset

    connect()
    with _usage_errors():
        ahead = reset()
    click.echo("the platform runs on real time")
    if ahead:
        days = ", ".join(f"{name} through {day.isoformat()}" for name, day in ahead.items())
        click.echo(f"jobs the rehearsal ran stay done for days to come ({days}): their nights will not run again on "
                   "this data; put back the .local/data.json kept aside before `clock set`", err=True)  # fmt: skip


@clock.command("show")
def clock_show() -> None:
    """The platform's today and how far the test clock moved it."""
    from chalicelib.local.localdir import connect
    from chalicelib.shared import clock as platform_clock
    from chalicelib.shared.testclock import stored_offset

    connect()
    click.echo(f"today is {platform_clock.business_today().isoformat()} ({stored_offset().days:+d} days)")


@cli.group()
def stats() -> None:
    """Counters kept from the event stream."""


@stats.command("daily")
@click.option("--day", callback=_iso_date, help="Business day (default today).")
def stats_daily(day: date | None) -> None:
    """Event counts of one business day as JSON."""
    from chalicelib.local.localdir import connect
    from chalicelib.shared import clock
    from chalicelib.stats.listeners import daily_counts

    connect()
    chosen = day or clock.business_today()
    click.echo(json.dumps({"day": chosen.isoformat(), "counts": daily_counts(chosen.isoformat())}, indent=2))


@cli.group()
def reports() -> None:
    """The reports (经营报表) as files."""


@reports.command("export")
@click.argument("report", type=click.Choice(["members", "sales", "points", "programme", "liability"]))
@click.option("--from", "from_", callback=_iso_date, help="First day (all but the liability).")
@click.option("--to", callback=_iso_date, help="Last day (all but the liability).")
@click.option("--granularity", type=click.Choice(["day", "week", "month"]), default="day", show_default=True)
@click.option("--store-id", help="One store's figures.")
@click.option("--region", help="A region's stores added up.")
@click.option("--city", help="A city's stores added up.")
@click.option("--tier", help="Sales by the tier members had.")
@click.option("--payment-method", help="Sales by how members paid.")
@click.option("--as-of", callback=_iso_date, help="The liability's day (default today).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="The file (default: the exports folder).")
def reports_export(report: str, out: Path | None, **given: Any) -> None:
    """Write a report as a CSV file (UTF-8 with a BOM): its rows and a total row, everything an admin sees."""
    from pydantic import ValidationError

    from chalicelib.exports import files, rules
    from chalicelib.local.localdir import connect
    from chalicelib.shared.errors import ValidationFailed
    from chalicelib.shared.files import write_private_bytes
    from chalicelib.stats import service
    from chalicelib.stats.schemas import ReportExportIn

    connect()
    try:
        asked = ReportExportIn.model_validate({"report": report, **{k: v for k, v in given.items() if v is not None}})
    except ValidationError as e:
        raise click.UsageError("; ".join(error["msg"].removeprefix("Value error, ") for error in e.errors())) from None
    try:
        if report == "liability":
            answer = service.liability(asked.as_of, "option")
            name = f"liability_{answer['as_of']}.csv"
        else:
            query = asked.query()
            answer = service.report(report, query, frozenset(), money=True, where="option")
            name = f"{report}_{query.from_}_{query.to}_{query.granularity}.csv"
    except ValidationFailed as e:
        problems = (f"{error['field']}: {error['message']}" for error in e.extensions["errors"])
        raise click.UsageError("; ".join(problems)) from None
    columns, rows = rules.report_table(json.loads(json.dumps(answer, default=str)))
    target = out or files.folder() / "reports" / name
    write_private_bytes(target, rules.csv_file(columns, rows))
    click.echo(f"wrote {len(rows)} rows to {target}")


@stats.command("rebuild")
@click.option("--day", callback=_iso_date, required=True, help="A business day that has ended.")
def stats_rebuild(day: date) -> None:
    """Write a day's figures anew from its events (after `jobs run check-figures` found drift); prints what changed."""
    from chalicelib.local.localdir import connect
    from chalicelib.shared.errors import ValidationFailed
    from chalicelib.stats.checks import rebuild_day

    connect()
    try:
        corrected = rebuild_day(day)
    except ValidationFailed as e:
        raise click.UsageError(e.extensions["errors"][0]["message"]) from None
    click.echo(json.dumps({"day": day.isoformat(), "corrected": [drift.__dict__ for drift in corrected]}, indent=2))


@cli.command()
@click.option("--check", is_flag=True, help="Exit 1 if the committed snapshot differs instead of writing it.")
def openapi(check: bool) -> None:
    """Write the OpenAPI snapshot (docs/openapi.json) and the route index (chalicelib/routes.py) from the code."""
    from chalicelib.local.snapshot import ROUTE_INDEX, SNAPSHOT, current_document, current_route_index

    generated = {
        SNAPSHOT: json.dumps(current_document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n",
        ROUTE_INDEX: current_route_index(),
    }
    if check:
        for path, text in generated.items():
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                sys.exit(f"{path} is out of date: run `python -m chalicelib.cli openapi`")
        click.echo("OpenAPI snapshot and route index are current")
        return
    for path, text in generated.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {path}")


@cli.group()
def members() -> None:
    """Members: bulk import, the name and birthday indexes."""


@members.command("index-names")
def members_index_names() -> None:
    """Index the names of members registered before name search existed (a one-off scan; safe to repeat)."""
    from chalicelib.local.localdir import connect
    from chalicelib.members.service import index_names

    connect()
    click.echo(json.dumps({"indexed": index_names()}))


@members.command("index-birthdays")
def members_index_birthdays() -> None:
    """Index the birth months of members whose birthday was recorded before the birthday gift existed (a one-off
    scan; safe to repeat)."""
    from chalicelib.local.localdir import connect
    from chalicelib.members.service import index_birth_months

    connect()
    click.echo(json.dumps({"indexed": index_birth_months()}))


@members.command("index-months")
def members_index_months() -> None:
    """Record the oldest month a member registered in, where a list of all members stops walking back (a one-off
    scan for a platform that had members before the record existed; safe to repeat)."""
    from chalicelib.local.localdir import connect
    from chalicelib.members.service import record_oldest_registration

    connect()
    click.echo(json.dumps({"oldest_month": record_oldest_registration()}))


@members.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--encoding", default="utf-8", show_default=True, help="gbk for spreadsheet exports; a UTF-8 BOM is fine."
)
@click.option(
    "--direct", is_flag=True,
    help="Import from this process (the loop of old) instead of as the platform's import job: uploaded, planned "
    "and imported by the stack's queue workers, as on AWS.",
)  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 32), default=4, show_default=True, help="Threads of --direct.")
def members_import(file: Path, encoding: str, direct: bool, workers: int) -> None:
    """Import members from FILE.csv; re-running skips rows already imported.

    By default the file goes through the import job, as on AWS: uploaded to the imports bucket, planned into
    parts and imported by the local stack's queue workers; progress comes from the import. Prints a JSON
    summary; error rows go to FILE.errors.csv (row, field, reason, 原因: the reason in Chinese). Exit 0 when
    every row was imported or already there, 1 when some rows failed, 2 on a usage error (the file refused:
    encoding, header).
    """
    from tqdm import tqdm

    from chalicelib.local.localdir import connect
    from chalicelib.shared.csvfiles import ImportUsageError, error_report_path, write_error_report

    connect()
    with file.open("rb") as raw:
        total = max(sum(1 for _ in raw) - 1, 0)
    with tqdm(total=total, unit="row", file=sys.stderr, smoothing=0.1) as bar:
        try:
            if direct:
                from chalicelib.members.importer import import_members

                report = import_members(file, encoding=encoding, workers=workers, progress=bar.update)
            else:
                report = _import_job(file, encoding, bar)
        except ImportUsageError as e:
            raise click.UsageError(str(e)) from None
    summary = report.summary()
    if report.errors:
        from chalicelib.members.reasons import reason_zh

        summary["error_report"] = str(write_error_report(file, report, reason_zh))
    else:
        error_report_path(file).unlink(missing_ok=True)  # a report from an earlier run no longer applies
    if not direct:
        summary["import_id"] = report.import_id
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    sys.exit(1 if report.failed else 0)


def _import_job(file: Path, encoding: str, bar: Any) -> Any:
    """Create the import, upload FILE to its URL, start it and follow it until it ends; its report."""
    import time
    import urllib.request

    from chalicelib.members import imports
    from chalicelib.shared.context import Origin, acting_as
    from chalicelib.shared.csvfiles import SPLITTABLE_ENCODINGS, ImportReport, ImportUsageError

    if encoding.replace("_", "-").lower() not in SPLITTABLE_ENCODINGS:
        raise ImportUsageError(f"the import job reads {', '.join(SPLITTABLE_ENCODINGS)}; use --direct for {encoding}")
    started = time.monotonic()
    with acting_as(Origin("cli")):
        created, upload = imports.create_import(encoding.replace("_", "-").lower(), "cli", frozenset())
        request = urllib.request.Request(  # noqa: S310  the URL the platform made
            upload.url, data=file.read_bytes(), method=upload.method, headers=upload.headers
        )
        with urllib.request.urlopen(request, timeout=600) as sent:  # noqa: S310
            sent.read()
        imports.start_import(created.import_id)
    done = 0
    while True:
        status = imports.get_import(created.import_id)
        counted = status.imported + status.skipped + status.failed
        bar.update(counted - done)
        done = counted
        if status.status in ("completed", "failed"):
            break
        time.sleep(0.5)
    if status.status == "failed" and not status.chunks:
        raise ImportUsageError(status.error or "the file was refused")
    report = ImportReport(rows=status.rows, imported=status.imported, skipped=status.skipped,
                          errors=list(imports.error_rows(created.import_id)), seconds=time.monotonic() - started,
                          import_id=created.import_id)  # fmt: skip
    if status.status == "failed":
        click.echo(f"the import stopped: {status.error}", err=True)
    return report


@members.command("import-status")
@click.argument("import_id")
def members_import_status(import_id: str) -> None:
    """The status and counts of member import IMPORT_ID as JSON (as `GET /v1/members/imports/{id}` answers)."""
    from dataclasses import asdict

    from chalicelib.local.localdir import connect
    from chalicelib.members import imports

    connect()
    with _usage_errors():
        status = imports.get_import(import_id)
    click.echo(json.dumps(asdict(status), ensure_ascii=False, indent=2))


@cli.group("ledger")
def ledger_group() -> None:
    """The ledger's upkeep."""


@ledger_group.command("count-totals")
def ledger_count_totals() -> None:
    """Count every book's checked total over all accounts from their checkpoints, so the nightly check compares the
    liability with the ledgers (a one-off scan for a platform reconciled before the totals were kept; run it while
    reconcile-ledger is not running; safe to repeat)."""
    from chalicelib.ledger.jobs import reconcile_ledger
    from chalicelib.ledger.registry import ledger
    from chalicelib.local.localdir import connect
    from chalicelib.shared.jobs import recent_reports

    connect()
    running = [run for run in recent_reports(reconcile_ledger.name, 1) if run.status == "running"]
    if running:  # its checkpoints would move under the count: a move counted twice, or lost
        raise click.ClickException(f"reconcile-ledger is running (run {running[0].run_id}): count once it is done")
    click.echo(json.dumps({"totals": ledger().store.recount_totals()}))


@cli.group()
def points() -> None:
    """Bulk points operations from CSV files."""


def _run_file(file: Path, encoding: str, apply: Any) -> None:
    """Apply a CSV file row by row with a progress bar; print the JSON summary, write the error rows, exit 0/1."""
    from tqdm import tqdm

    from chalicelib.local.localdir import connect
    from chalicelib.shared.context import Origin, acting_as
    from chalicelib.shared.csvfiles import ImportUsageError, error_report_path, write_error_report

    connect()
    with file.open("rb") as raw:
        total = max(sum(1 for _ in raw) - 1, 0)
    with tqdm(total=total, unit="row", file=sys.stderr, smoothing=0.1) as bar, acting_as(Origin("cli")):
        try:
            report = apply(file, encoding, bar.update)
        except ImportUsageError as e:
            raise click.UsageError(str(e)) from None
    summary = report.summary()
    if report.errors:
        summary["error_report"] = str(write_error_report(file, report))
    else:
        error_report_path(file).unlink(missing_ok=True)
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    sys.exit(1 if report.failed else 0)


@points.command("adjust")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--encoding", default="utf-8", show_default=True)
def points_adjust(file: Path, encoding: str) -> None:
    """Credit or debit points from FILE.csv (member_id or phone, points, reason[, expires_on]).

    Each row applies once for good: re-running the file (even edited) applies only rows not applied yet.
    """
    from chalicelib.points.bulk import adjust_file

    _run_file(file, encoding, adjust_file)


@points.command("import-balances")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--encoding", default="utf-8", show_default=True)
def points_import_balances(file: Path, encoding: str) -> None:
    """Opening balances from an old system (member_id or phone, points[, expires_on, reason]), once per member."""
    from chalicelib.points.bulk import import_balances

    _run_file(file, encoding, import_balances)


@cli.group()
def media() -> None:
    """The pictures staff published (POST /v1/media/pictures)."""


@media.command("withdraw")
@click.argument("url")
@click.option("--reason", required=True, help="Why, for the audit log (e.g. a customer's face shown by mistake).")
def media_withdraw(url: str, reason: str) -> None:
    """Delete the published picture URL (/media/<name>, its name, or its whole address) for good, and name the rewards
    that still show it."""
    from chalicelib.mall.rewards import list_rewards
    from chalicelib.media.rules import PATH_PREFIX, thumbnail_of
    from chalicelib.media.service import withdraw
    from chalicelib.shared.context import Origin, acting_as

    if os.environ.get("LOYALTY_STORAGE") != "aws":
        from chalicelib.local.localdir import connect

        connect()
    if not reason.strip():
        raise click.BadParameter("say why, for the audit log", param_hint="--reason")
    url = PATH_PREFIX + url.rpartition(PATH_PREFIX)[2] if PATH_PREFIX in url else f"{PATH_PREFIX}{url}"
    with _usage_errors(), acting_as(Origin("cli")):
        withdrawn, url = withdraw(url, reason.strip())  # a thumbnail's url names its picture
    showing, cursor = [], None
    while True:
        page, cursor = list_rewards(100, cursor)
        showing += [reward["reward_id"] for reward in page if url in reward["images"]]
        if not cursor:
            break
    then = [f"deployed: aws cloudfront create-invalidation --distribution-id <WebDistribution> --paths {url} "
            f"{thumbnail_of(url)}"]  # fmt: skip
    then += ["edit the rewards that show it (the member pages show their kind's icon meanwhile)"] if showing else []
    click.echo(json.dumps({"url": url, "withdrawn": withdrawn, "rewards_showing_it": showing, "then": then},
                          indent=2))  # fmt: skip


@cli.group()
def queues() -> None:
    """The message queues."""


@queues.command("redrive")
@click.argument("queue")
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True)
def queues_redrive(queue: str, limit: int) -> None:
    """Move a queue's dead-lettered messages back to it (e.g. ``notifications`` after a provider outage)."""
    from chalicelib.shared.sqs import redrive
    from chalicelib.shared.topology import QUEUES

    if queue not in {spec.logical_name for spec in QUEUES}:
        raise click.BadParameter(f"one of {sorted(spec.logical_name for spec in QUEUES)}", param_hint="QUEUE")
    if os.environ.get("LOYALTY_STORAGE") != "aws":
        from chalicelib.local.localdir import connect

        connect()
    click.echo(json.dumps({"queue": queue, "redriven": redrive(queue, limit)}))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (oldest first) instead of lines.")
def outbox(as_json: bool) -> None:
    """Messages the local stack "sent" (SMS codes ...): its dev outbox, oldest first."""
    from chalicelib.local.localdir import connect
    from chalicelib.notifications.channels.dev_outbox import dev_outbox, outbox_json

    connect()
    messages = outbox_json(dev_outbox())
    if as_json:
        click.echo(json.dumps(messages, ensure_ascii=False, indent=2))
        return
    for message in messages:
        click.echo(f"{message['created_at']}  {message['channel']}  {message['recipient']}  {message['text']}")


@cli.command()
@click.argument("body", type=click.File("rb"), default="-")
@click.option("--path", "path", required=True, help="The path the request goes to, e.g. /v1/webhooks/purchases.")
@click.option("--method", default="POST", show_default=True, help="Its method.")
@click.option("--partner", "partner_id", help="Partner id (default: the local demo partner).")
@click.option("--secret", envvar="LOYALTY_PARTNER_SECRET", help="Its secret (default: the demo partner's).")
def sign(body: Any, path: str, method: str, partner_id: str | None, secret: str | None) -> None:
    """Print the headers that sign a request with BODY (a file, or - for stdin) to PATH as a partner (v2: the
    method, path and body), as curl -H arguments."""
    import time

    from chalicelib.identity.signatures import signature_header

    if not (partner_id and secret):
        from chalicelib.local.localdir import LocalDir

        saved = json.loads(LocalDir.default().credentials.read_text()).get("partner", {})
        partner_id, secret = partner_id or saved["partner_id"], secret or saved["secret"]
    raw = body.read()
    signature = signature_header(secret, int(time.time()), raw, method, path)
    click.echo(f"-H 'X-Partner-Id: {partner_id}' -H 'X-Signature: {signature}'")


@cli.group()
def infra() -> None:
    """The CloudFormation package and the generated IAM policies."""


@infra.command("render")
def infra_render() -> None:
    """Write .chalice/policy-<stage>.json from the table, queue and topic definitions."""
    from infra.resources import write_infra

    for path in write_infra(PROJECT_DIR):
        click.echo(f"wrote {path.relative_to(PROJECT_DIR)}")


@infra.command("package")
@click.option("--stage", type=click.Choice(["dev", "prod"]), default="dev", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default="dist", show_default=True)
def infra_package(stage: str, out_dir: Path) -> None:
    """Build the stage's CloudFormation template and deployment package into --out (no AWS call). The stage needs
    LOYALTY_PUBLIC_URL, where its member pages are served: in its config, or in this command's environment."""
    from infra.resources import PublicUrlMissing, package

    try:
        click.echo(f"wrote {package(PROJECT_DIR, stage, out_dir)}")
    except PublicUrlMissing as missing:
        raise click.UsageError(str(missing)) from None


@infra.command("publish-web")
@click.option("--bucket", required=True, help="The stack's WebBucketName output.")
def infra_publish_web(bucket: str) -> None:
    """Upload the built back office and member pages (web/dist) to the stage's web bucket."""
    import boto3

    from infra.web import publish_web

    keys = publish_web(boto3.client("s3"), bucket, PROJECT_DIR / "web" / "dist")
    click.echo(f"published {len(keys)} files to s3://{bucket}/ (invalidate /console/* and /m/* to see them at once)")


if __name__ == "__main__":
    import signal
    import sys

    # A termination ends the process as Ctrl-C does, through its handlers: a job run under way is marked failed, so
    # the next run takes over at once instead of waiting for it to go stale.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    cli()
