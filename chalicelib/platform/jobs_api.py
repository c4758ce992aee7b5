"""Jobs routes: admins list the jobs, run one by hand for a day and read the runs' reports."""

from __future__ import annotations

from chalicelib.identity.access import Staff
from chalicelib.identity.rules import Permission
from chalicelib.platform import runs
from chalicelib.platform.schemas import JobList, JobPreview, JobRun, JobRunCreate, JobRuns, PreviewQuery, RunsQuery
from chalicelib.shared.errors import NotFound
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.shared.jobs import DayUnderWay, FutureDay, NoPreview, PreviewTooFar, RunUnderWay

RUN = Staff(Permission.JOBS_RUN, chain=True)


@endpoint("/v1/jobs", "GET", summary="The jobs, their schedules and latest runs", tag="jobs", access=RUN,
          response=JobList)  # fmt: skip
def list_jobs(ctx: RequestContext) -> Reply:
    """Every job of the platform (任务): name, what it does, its schedule (an EventBridge cron in UTC; null for jobs
    that run only from their own route, such as the tier programme's preview and apply), the last day a run completed
    through (its watermark), and its three newest runs with their status."""
    return Reply(JobList.model_validate({"items": runs.listing()}))


@endpoint("/v1/jobs/{job}/runs", "POST", summary="Run a job by hand for a day", tag="jobs", access=RUN,
          body=JobRunCreate, response=JobRun, status=202,
          errors=(NotFound, FutureDay, DayUnderWay, RunUnderWay, runs.OnRequestOnly))  # fmt: skip
def run_job_by_hand(ctx: RequestContext, job: str) -> Reply:
    """Run a scheduled job (补跑) for everything due through `as_of` (default: the day its schedule would run it for),
    exactly as the schedule runs it: from the day after its watermark, a missed night caught up, small runs at once
    and larger ones fanned out to workers. Answers 202 with the run's report (`completed` when it ran at once, else
    `running`: poll `GET /v1/jobs/{job}/runs/{run_id}`). Re-running a day changes nothing twice. The audit log records
    who asked (`job.run-requested`); what the job itself books is the system's, as on schedule.

    Errors: 404 for an unknown job; 422 `job-day-in-future` for a day after today (a preview shows what it would do);
    422 `job-day-under-way` for today with a job that writes or checks whole days (`export-bi`, `check-figures`);
    422 `job-on-request` for a job that runs from its own route; 409 `job-run-under-way` while a run progresses."""
    return Reply(JobRun.model_validate(runs.request_run(job, ctx.body.as_of)), status=202)


@endpoint("/v1/jobs/{job}/preview", "GET", summary="Rehearse a job for any day, writing nothing", tag="jobs",
          access=RUN, query=PreviewQuery, response=JobPreview, errors=(NotFound, NoPreview, PreviewTooFar))  # fmt: skip
def preview_job(ctx: RequestContext, job: str) -> Reply:
    """What a run of the job for `as_of` would do to the data as it stands now (预演), the future included, writing
    nothing: whose points would expire or become available, who would be reminded, warned, downgraded or kept, which
    coupons would expire and whom they would be told of, with tallies by outcome. The CLI's `jobs preview` answers
    the same. Errors: 404 for an unknown job; 422 `job-has-no-preview` for a job whose runs only report what they
    did (`previewable` in the list says which have one); 422 `job-preview-too-far` past three years ahead."""
    return Reply(JobPreview.model_validate(runs.preview(job, ctx.query.as_of)))


@endpoint("/v1/jobs/{job}/runs", "GET", summary="A job's newest runs", tag="jobs", access=RUN,
          query=RunsQuery, response=JobRuns, errors=(NotFound,))  # fmt: skip
def list_job_runs(ctx: RequestContext, job: str) -> Reply:
    """A job's newest runs, newest first, each with its status, progress (planned, batches done, processed),
    tallies and error. Errors: 404 for an unknown job."""
    return Reply(JobRuns.model_validate({"items": runs.runs_of(job, ctx.query.limit)}))


@endpoint("/v1/jobs/{job}/runs/{run_id}", "GET", summary="A job run's report", tag="jobs", access=RUN,
          response=JobRun, errors=(NotFound,))  # fmt: skip
def get_job_run(ctx: RequestContext, job: str, run_id: str) -> Reply:
    """One run's report: the day it ran for and the first day it covered, its status (`planning`, `running`,
    `completed`, `failed` with the `error`), items planned and processed, batches done of planned, tallies and
    times. Errors: 404 for an unknown job or run."""
    return Reply(JobRun.model_validate(runs.run_of(job, run_id)))
