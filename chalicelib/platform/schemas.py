"""The platform's API contract for jobs: what each job is, its runs' reports, and a run asked for by hand."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from chalicelib.shared.fields import BUSINESS_DATE, UTC_INSTANT, Day
from chalicelib.shared.http import Input, Schema


class JobRun(Schema):
    """A job run's report; ``tallies`` count what it found (for tiers: members up, down, unchanged)."""

    job: str = Field(description="the job's name, e.g. `expire-points`")
    run_id: str = Field(description="the run's id (`run_…`)")
    as_of: str = Field(description=f"the day it runs for; {BUSINESS_DATE}")
    first_day: str = Field(description=f"the first day it covers; {BUSINESS_DATE}")
    status: str = Field(description="`planning`, `running`, `completed` or `failed`")
    planned: int = Field(description="items it plans to process")
    batches: int = Field(description="batches the items were split into")
    batches_done: int = Field(description="batches finished so far")
    processed: int = Field(description="items processed so far")
    tallies: dict[str, int] = Field(description="counts of what it found, e.g. `up`, `down`, `unchanged`")
    started_at: str = Field(description=f"when it started; {UTC_INSTANT}")
    finished_at: str | None = Field(description=f"when it finished; {UTC_INSTANT}; null while under way")
    error: str | None = Field(default=None, description="why the run failed (status `failed`)")


class JobRuns(Schema):
    """A job's newest runs, newest first."""

    items: list[JobRun] = Field(description="the runs' reports")


class JobOut(Schema):
    """A job (任务): what it does, when it runs, how far it got and its latest runs."""

    name: str = Field(description="the job's name, e.g. `expire-points`")
    description: str = Field(description="what it does")
    schedule: str | None = Field(description="when it runs by itself: an EventBridge cron, in UTC; null: on request")
    watermark: str | None = Field(description=f"the last day a run completed through; {BUSINESS_DATE}; null: never")
    last_runs: list[JobRun] = Field(description="its newest runs (at most 3), newest first")
    previewable: bool = Field(description="whether it has a preview (`GET /v1/jobs/{job}/preview`)")
    ended_days_only: bool = Field(
        default=False, description="whether it runs only for days that have ended (today: 422 `job-day-under-way`)"
    )


class JobList(Schema):
    """Every job of the platform, by name."""

    items: list[JobOut] = Field(description="the jobs")


class JobRunCreate(Input):
    """A run asked for by hand (补跑): for a day, or as the schedule would run it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"as_of": "2026-11-29"}, {}]})

    as_of: Day | None = Field(
        default=None,
        description=f"process what is due through this day, never after today; left out: the day the schedule "
        f"would run it for (yesterday, or today for reviews and reminders); {BUSINESS_DATE}",
    )


class PreviewQuery(Input):
    """The day a preview rehearses."""

    as_of: Day = Field(description=f"the day a run would be for, the future included; {BUSINESS_DATE}")


class JobPreview(Schema):
    """What a run of the job for ``as_of`` would do to the data as it stands now (预演), writing nothing."""

    job: str = Field(description="the job's name")
    as_of: str = Field(description=f"the day rehearsed; {BUSINESS_DATE}")
    first_day: str = Field(description=f"the first day a run would cover (after the last one done); {BUSINESS_DATE}")
    today: str = Field(description=f"the platform's today (a test clock's, where one is set); {BUSINESS_DATE}")
    items: int = Field(description="how many findings in all")
    tallies: dict[str, int] = Field(description="findings by outcome, e.g. `expire`, `remind`, `downgrade`, `notice`")
    findings: list[dict[str, Any]] = Field(
        description="the first findings (at most 500), one per member or coupon: `outcome`, `member_id` and what "
        "would happen (points and dates, tiers, a coupon's code and last day)"
    )
    truncated: bool = Field(description="true when there were more findings than listed")


class RunsQuery(Input):
    """How many of a job's newest runs to read."""

    limit: int = Field(default=20, ge=1, le=100, description="the most runs to answer")
