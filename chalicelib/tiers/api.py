"""Tier and growth routes: a member's tier and growth (staff or the member), staff overrides, and the
programme's versions with their preview and apply jobs (marketing)."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.identity.access import MEMBER, Staff, StaffOrSelf
from chalicelib.identity.rules import Permission
from chalicelib.members.api import reachable
from chalicelib.shared import clock
from chalicelib.shared.errors import InvalidCursor, NotFound, ValidationFailed
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.shared.jobs import RunReport, get_report, run_job
from chalicelib.shared.pagination import PageQuery
from chalicelib.tiers import programmes, service
from chalicelib.tiers.jobs import ApplyTierProgramme, PreviewTierProgramme
from chalicelib.tiers.rules import Override
from chalicelib.tiers.schemas import (
    GrowthPage,
    JobRun,
    OverrideIn,
    ProgrammeIn,
    ProgrammeJobIn,
    ProgrammeVersion,
    ProgrammeVersions,
    TierStatus,
)

bp = Blueprint(__name__)
READ = StaffOrSelf(Permission.MEMBERS_READ, serves=True)
OVERRIDE = Staff(Permission.TIERS_OVERRIDE)
READ_PROGRAMMES = Staff(Permission.STORES_READ)
WRITE_PROGRAMMES = Staff(Permission.RULES_WRITE)
PROGRAMME_JOBS = (PreviewTierProgramme.name, ApplyTierProgramme.name)


@endpoint(bp, "/v1/members/{member_id}/tier", "GET", summary="A member's tier, progress, benefits and history",
          tag="tiers", access=READ, response=TierStatus, errors=(NotFound,))  # fmt: skip
def get_tier(ctx: RequestContext, member_id: str) -> Reply:
    return Reply(TierStatus.model_validate(service.status(reachable(ctx.caller, member_id))))


@endpoint(bp, "/v1/me/tier", "GET", summary="My tier, progress, benefits and history", tag="me", access=MEMBER,
          response=TierStatus)  # fmt: skip
def get_my_tier(ctx: RequestContext) -> Reply:
    return Reply(TierStatus.model_validate(service.status(ctx.caller.id)))


@endpoint(bp, "/v1/members/{member_id}/growth", "GET", summary="A member's growth value and its entries",
          tag="tiers", access=READ, query=PageQuery, response=GrowthPage, errors=(NotFound, InvalidCursor))  # fmt: skip
def get_growth(ctx: RequestContext, member_id: str) -> Reply:
    member_id = reachable(ctx.caller, member_id)
    return Reply(GrowthPage.model_validate(service.growth(member_id, ctx.query.limit, ctx.query.cursor)))


@endpoint(bp, "/v1/me/growth", "GET", summary="My growth value and its entries", tag="me", access=MEMBER,
          query=PageQuery, response=GrowthPage, errors=(InvalidCursor,))  # fmt: skip
def get_my_growth(ctx: RequestContext) -> Reply:
    return Reply(GrowthPage.model_validate(service.growth(ctx.caller.id, ctx.query.limit, ctx.query.cursor)))


@endpoint(bp, "/v1/members/{member_id}/tier/override", "PUT", summary="Set a floor or a pinned tier until a date",
          tag="tiers", access=OVERRIDE, body=OverrideIn, response=TierStatus,
          errors=(NotFound, ValidationFailed))  # fmt: skip
def set_override(ctx: RequestContext, member_id: str) -> Reply:
    body: OverrideIn = ctx.body
    member_id = reachable(ctx.caller, member_id)
    if not programmes.programme().knows(body.tier):
        raise ValidationFailed([{"field": "tier", "in": "body", "message": "not a tier of the current programme"}])
    service.set_override(member_id, Override(body.kind, body.tier, body.until, body.reason))
    return Reply(TierStatus.model_validate(service.status(member_id)))


@endpoint(bp, "/v1/members/{member_id}/tier/override", "DELETE", summary="Lift an override (the tier stays until "
          "its review)", tag="tiers", access=OVERRIDE, response=TierStatus, errors=(NotFound,))  # fmt: skip
def lift_override(ctx: RequestContext, member_id: str) -> Reply:
    member_id = reachable(ctx.caller, member_id)
    service.set_override(member_id, None)
    return Reply(TierStatus.model_validate(service.status(member_id)))


def _version_body(version: programmes.Version) -> ProgrammeVersion:
    return ProgrammeVersion.model_validate({
        **version.document.model_dump(), "version": version.version, "status": version.status,
        "created_at": version.created_at, "created_by": version.created_by, "applied_at": version.applied_at,
        "applied_by": version.applied_by,
    })  # fmt: skip


@endpoint(bp, "/v1/tiers/programmes", "GET", summary="Tier programme versions and the current one", tag="tiers",
          access=READ_PROGRAMMES, response=ProgrammeVersions)  # fmt: skip
def list_programmes(ctx: RequestContext) -> Reply:
    known = programmes.versions()
    return Reply(ProgrammeVersions(current=_version_body(programmes.current()),
                                   versions=[_version_body(v) for v in reversed(known)]))  # fmt: skip


@endpoint(bp, "/v1/tiers/programmes", "POST", summary="Draft a tier programme version (applies only when applied)",
          tag="tiers", access=WRITE_PROGRAMMES, body=ProgrammeIn, response=ProgrammeVersion, status=201)  # fmt: skip
def create_programme(ctx: RequestContext) -> Reply:
    return Reply(_version_body(programmes.create(ctx.body, ctx.caller.scope)), status=201)


def _run(report: RunReport) -> Reply:
    return Reply(JobRun.model_validate(report.model_dump()), status=202)


@endpoint(bp, "/v1/tiers/preview", "POST", summary="Dry-run a programme version: how many members would move",
          tag="tiers", access=WRITE_PROGRAMMES, body=ProgrammeJobIn, response=JobRun, status=202,
          errors=(NotFound,))  # fmt: skip
def preview_programme(ctx: RequestContext) -> Reply:
    version = programmes.get(ctx.body.version)
    job = PreviewTierProgramme(version.version, programmes.current().version)
    return _run(run_job(job, clock.business_today(), fan_out=True))


@endpoint(bp, "/v1/tiers/programmes/{version}/apply", "POST", summary="Make a draft current and re-judge members",
          tag="tiers", access=WRITE_PROGRAMMES, response=JobRun, status=202,
          errors=(NotFound, programmes.NotADraft))  # fmt: skip
def apply_programme(ctx: RequestContext, version: str) -> Reply:
    if not version.isdigit():
        raise NotFound(f"No tier programme version {version!r}")
    previous = programmes.current().version
    chosen = programmes.make_current(int(version), ctx.caller.scope)
    job = ApplyTierProgramme(chosen.version, previous)
    return _run(run_job(job, clock.business_today(), fan_out=True))


@endpoint(bp, "/v1/tiers/runs/{run_id}", "GET", summary="A programme preview's or application's report",
          tag="tiers", access=WRITE_PROGRAMMES, response=JobRun, errors=(NotFound,))  # fmt: skip
def get_run(ctx: RequestContext, run_id: str) -> Reply:
    for name in PROGRAMME_JOBS:
        try:
            return Reply(JobRun.model_validate(get_report(name, run_id).model_dump()))
        except NotFound:
            continue
    raise NotFound(f"No tier programme run {run_id!r}")
