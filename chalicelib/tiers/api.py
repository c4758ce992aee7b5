"""Tier and growth routes: a member's tier and growth (staff or the member), staff overrides, and the
programme's versions with their preview and apply jobs (marketing)."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.coupons import service as coupons
from chalicelib.identity.access import MEMBER, Staff, StaffOrSelf
from chalicelib.identity.rules import Permission
from chalicelib.members.service import reachable
from chalicelib.platform.schemas import JobRun
from chalicelib.shared import clock
from chalicelib.shared.errors import InvalidCursor, NotFound, ValidationFailed
from chalicelib.shared.events import Event, new_event
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.shared.jobs import Job, RunReport, get_report, run_job
from chalicelib.shared.pagination import PageQuery
from chalicelib.tiers import programmes, service
from chalicelib.tiers.jobs import ApplyTierProgramme, PreviewTierProgramme
from chalicelib.tiers.rules import Override
from chalicelib.tiers.schemas import (
    GrowthPage,
    OverrideIn,
    ProgrammeIn,
    ProgrammeJobIn,
    ProgrammeVersion,
    ProgrammeVersions,
    TierStatus,
)

READ = StaffOrSelf(Permission.MEMBERS_READ, serves=True)
OVERRIDE = Staff(Permission.TIERS_OVERRIDE)
READ_PROGRAMMES = Staff(Permission.STORES_READ)
WRITE_PROGRAMMES = Staff(Permission.RULES_WRITE, chain=True)
PROGRAMME_JOBS = (PreviewTierProgramme.name, ApplyTierProgramme.name)


@endpoint("/v1/members/{member_id}/tier", "GET", summary="A member's tier, progress, benefits and history",
          tag="tiers", access=READ, response=TierStatus, errors=(NotFound,))  # fmt: skip
def get_tier(ctx: RequestContext, member_id: str) -> Reply:
    """Where a member stands in the tier programme (会员等级): tier, since when, valid until, the metric's value
    now, progress to the next tier, what keeping the tier at review (保级) needs, any override, benefits (权益) and
    the history of changes.

    Errors: 404 for an unknown member, or another member's id from a member token."""
    return Reply(_standing(reachable(ctx.caller, member_id)))


@endpoint("/v1/me/tier", "GET", summary="My tier, progress, benefits and history", tag="me", access=MEMBER,
          response=TierStatus)  # fmt: skip
def get_my_tier(ctx: RequestContext) -> Reply:
    """The member's own tier (会员等级): since when, valid until, progress to the next tier, retention (保级),
    benefits (权益) and history."""
    return Reply(_standing(ctx.caller.id))


@endpoint("/v1/members/{member_id}/growth", "GET", summary="A member's growth value and its entries",
          tag="tiers", access=READ, query=PageQuery, response=GrowthPage, errors=(NotFound, InvalidCursor))  # fmt: skip
def get_growth(ctx: RequestContext, member_id: str) -> Reply:
    """A member's growth value (成长值): the lifetime value and paid amount, monthly figures for the last 24
    months and the growth entries, newest first. Growth value is never spendable; it qualifies for tiers.

    Errors: 404 for an unknown member, or another member's id from a member token."""
    member_id = reachable(ctx.caller, member_id)
    return Reply(GrowthPage.model_validate(service.growth(member_id, ctx.query.limit, ctx.query.cursor)))


@endpoint("/v1/me/growth", "GET", summary="My growth value and its entries", tag="me", access=MEMBER,
          query=PageQuery, response=GrowthPage, errors=(InvalidCursor,))  # fmt: skip
def get_my_growth(ctx: RequestContext) -> Reply:
    """The member's own growth value (成长值), monthly figures and growth entries, newest first."""
    return Reply(GrowthPage.model_validate(service.growth(ctx.caller.id, ctx.query.limit, ctx.query.cursor)))


@endpoint("/v1/members/{member_id}/tier/override", "PUT", summary="Set a floor or a pinned tier until a date",
          tag="tiers", access=OVERRIDE, body=OverrideIn, response=TierStatus,
          errors=(NotFound, ValidationFailed))  # fmt: skip
def set_override(ctx: RequestContext, member_id: str) -> Reply:
    """Set a tier override with a reason, through a business day at most 10 years ahead: a `floor` (the
    member is never below the tier) or a `pin` (exactly the tier). A tier it changes changes at once and stays
    valid through the override's end at least, then is reviewed as usual. Audited.

    Errors: 422 for a tier the current programme does not have or an end outside the allowed range; 404 for an
    unknown member or one outside the caller's stores."""
    body: OverrideIn = ctx.body
    member_id = reachable(ctx.caller, member_id)
    if not programmes.programme().knows(body.tier):
        raise ValidationFailed([{"field": "tier", "in": "body", "message": "not a tier of the current programme"}])
    service.set_override(member_id, Override(body.kind, body.tier, body.until, body.reason))
    return Reply(_standing(member_id))


@endpoint("/v1/members/{member_id}/tier/override", "DELETE", summary="Lift an override (the tier stays until "
          "its review)", tag="tiers", access=OVERRIDE, response=TierStatus, errors=(NotFound,))  # fmt: skip
def lift_override(ctx: RequestContext, member_id: str) -> Reply:
    """Lift a member's tier override. The tier stays until its next review. Audited.
    Errors: 404 for an unknown member or one outside the caller's stores."""
    member_id = reachable(ctx.caller, member_id)
    service.set_override(member_id, None)
    return Reply(_standing(member_id))


def _standing(member_id: str) -> TierStatus:
    standing = service.status(member_id)
    names = coupons.template_names(service.coupon_templates(standing["benefits"]))
    return TierStatus.model_validate({**standing, "coupon_names": names})


def _version_body(version: programmes.Version) -> ProgrammeVersion:
    return ProgrammeVersion.model_validate({
        **version.document.model_dump(), "version": version.version, "status": version.status,
        "created_at": version.created_at, "created_by": version.created_by, "applied_at": version.applied_at,
        "applied_by": version.applied_by,
    })  # fmt: skip


@endpoint("/v1/tiers/programmes", "GET", summary="Tier programme versions and the current one", tag="tiers",
          access=READ_PROGRAMMES, response=ProgrammeVersions)  # fmt: skip
def list_programmes(ctx: RequestContext) -> Reply:
    """The tier programme (会员等级体系) versions, newest first, and the current one."""
    known = programmes.versions()
    named = {template for version in known for tier in version.document.tiers
             for template in service.coupon_templates(tier.benefits.model_dump())}  # fmt: skip
    return Reply(ProgrammeVersions(current=_version_body(programmes.current()),
                                   versions=[_version_body(v) for v in reversed(known)],
                                   coupon_names=coupons.template_names(named)))  # fmt: skip


@endpoint("/v1/tiers/programmes", "POST", summary="Draft a tier programme version (applies only when applied)",
          tag="tiers", access=WRITE_PROGRAMMES, body=ProgrammeIn, response=ProgrammeVersion, status=201)  # fmt: skip
def create_programme(ctx: RequestContext) -> Reply:
    """Draft a tier programme version: tiers lowest first with their thresholds, retention (保级),
    upgrade gifts and benefits (权益), the metric and window they are judged on, and how growth value (成长值) is
    earned. A draft changes nothing until it is applied; preview it first.

    Errors: 422 for a ladder that does not rise strictly, a first tier that is not open to everyone, repeated tier
    codes, or a retention above its qualification."""
    return Reply(_version_body(programmes.create(ctx.body, ctx.caller.scope)), status=201)


def _run(report: RunReport) -> Reply:
    return Reply(JobRun.model_validate(report.model_dump()), status=202)


@endpoint("/v1/tiers/preview", "POST", summary="Dry-run a programme version: how many members would move",
          tag="tiers", access=WRITE_PROGRAMMES, body=ProgrammeJobIn, response=JobRun, status=202,
          errors=(NotFound,))  # fmt: skip
def preview_programme(ctx: RequestContext) -> Reply:
    """Dry-run a programme version over every member: a job whose report tallies who would move `up`,
    `down` or stay `unchanged`. Writes no member data. Answers 202 with the run; poll `GET /v1/tiers/runs/{run_id}`.

    Errors: 404 for an unknown version."""
    version = programmes.get(ctx.body.version)
    job = PreviewTierProgramme(version.version, programmes.current().version)
    return _run(run_job(job, clock.business_today(), fan_out=True, announce=_requested(job)))


@endpoint("/v1/tiers/programmes/{version}/apply", "POST", summary="Make a draft current and re-judge members",
          tag="tiers", access=WRITE_PROGRAMMES, response=JobRun, status=202,
          errors=(NotFound, programmes.NotADraft))  # fmt: skip
def apply_programme(ctx: RequestContext, version: str) -> Reply:
    """Make a draft programme version current (new purchases are judged by it at once) and start the job
    that re-judges every member: who qualifies higher moves up (no gift), a tier the new version keeps is kept
    until its review, a tier it dropped becomes what the member qualifies for. Answers 202 with the run.

    Errors: 409 `programme-not-draft` for a version that is not a draft; 404 for an unknown version."""
    if not version.isdigit():
        raise NotFound(f"No tier programme version {version!r}")
    previous = programmes.current().version
    chosen = programmes.make_current(int(version), ctx.caller.scope)
    job = ApplyTierProgramme(chosen.version, previous)
    return _run(run_job(job, clock.business_today(), fan_out=True, announce=_requested(job)))


def _requested(job: Job) -> Callable[[str], Event]:
    """The run's request as the caller made it (``job.run-requested``, in the audit log), committed as it starts."""
    today = clock.business_today().isoformat()
    return lambda run_id: new_event("job.run-requested", f"job/{job.name}",
                                    {"job": job.name, "run_id": run_id, "as_of": today})  # fmt: skip


@endpoint("/v1/tiers/runs/{run_id}", "GET", summary="A programme preview's or application's report",
          tag="tiers", access=WRITE_PROGRAMMES, response=JobRun, errors=(NotFound,))  # fmt: skip
def get_run(ctx: RequestContext, run_id: str) -> Reply:
    """The report of a programme preview or application run: its status, progress and tallies (members up,
    down, unchanged). Errors: 404 for an unknown run."""
    for name in PROGRAMME_JOBS:
        try:
            return Reply(JobRun.model_validate(get_report(name, run_id).model_dump()))
        except NotFound:
            continue
    raise NotFound(f"No tier programme run {run_id!r}")
