"""Jobs run by hand over the API: the same runner the schedule and the CLI use, one audited event per request.

A run asked for by an admin is the scheduled run's twin: ``run_job`` with fan-out, as the scheduled Lambda calls it,
for a day that has come (the future is refused, as the CLI refuses it; a preview shows what it would do). The job's
own writes are the system's, as on schedule (its events stay out of the audit log); the request itself is
announced as ``job.run-requested`` by the admin who asked, committed with the run's first record before any work, so
the audit log says who ran what for which day, even of a run that fails part-way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.shared import clock
from chalicelib.shared.context import Origin, acting_as, current_origin
from chalicelib.shared.errors import DomainError
from chalicelib.shared.events import Event, new_event
from chalicelib.shared.jobs import (
    FutureDay,
    Job,
    RunReport,
    all_jobs,
    get_job,
    get_report,
    preview_job,
    previewable,
    recent_reports,
    run_job,
    scheduled_day,
    watermark,
)

LAST_RUNS = 3


class OnRequestOnly(DomainError):
    slug, title, status = "job-on-request", "This job runs only from its own route", 422


def _report(job: Job, report: RunReport) -> dict[str, Any]:
    """A run's report, with its tallies added up for a tallied job (the list of runs does not add them)."""
    return (get_report(job.name, report.run_id) if job.tallied else report).model_dump()


def runs_of(name: str, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` runs of a job, newest first; an unknown job is 404."""
    job = get_job(name)
    return [_report(job, report) for report in recent_reports(job.name, limit)]


def run_of(name: str, run_id: str) -> dict[str, Any]:
    """One run's report; 404 for an unknown job or run."""
    return get_report(get_job(name).name, run_id).model_dump()


def listing() -> list[dict[str, Any]]:
    """Every job: what it does, its schedule (None: on request), its watermark and its latest runs."""
    return [
        {
            "name": job.name, "description": job.description, "schedule": job.schedule or None,
            "watermark": (done := watermark(job)) and done.isoformat(),
            "last_runs": [_report(job, report) for report in recent_reports(job.name, LAST_RUNS)],
            "previewable": previewable(job),
            "ended_days_only": job.ended_days_only,
        }
        for job in all_jobs()
    ]  # fmt: skip


PREVIEW_FINDINGS = 500  # findings a preview over the API lists (the tallies count them all)


def preview(name: str, as_of: date) -> dict[str, Any]:
    """What a run of ``name`` for ``as_of`` (the future included, up to three years ahead: else 422
    ``job-preview-too-far``) would do, writing nothing; 404 for an unknown job, 422 ``job-has-no-preview`` for a job
    whose runs only report what they did."""
    return preview_job(get_job(name), as_of, keep=PREVIEW_FINDINGS).model_dump()


def request_run(name: str, as_of: date | None) -> dict[str, Any]:
    """Run a scheduled job for ``as_of`` (default: the day its schedule would run it for) as the schedule does,
    announcing who asked as the run starts. Refused, writing nothing: an unknown job (404), a job that only runs from
    its own route (the tier programme's preview and apply: 422), a day after today (422), a run under way (409)."""
    job = get_job(name)
    if not job.schedule:
        raise OnRequestOnly(f"{job.name} runs from its own route (the tier programme's preview or apply)")
    day = as_of or scheduled_day(job)
    if day > clock.business_today():
        raise FutureDay(f"{job.name} cannot run for {day}: today is {clock.business_today()}; preview it instead")
    asked_by = current_origin()

    def requested(run_id: str) -> Event:
        with acting_as(asked_by):  # the run itself is the system's; the request is the admin's
            return new_event("job.run-requested", f"job/{job.name}", {
                "job": job.name, "run_id": run_id, "as_of": day.isoformat(),
            })  # fmt: skip

    with acting_as(Origin("system", asked_by.request_id, asked_by.source_ip)):
        report = run_job(job, day, fan_out=True, announce=requested)
    return _report(job, report)
