"""Agreements routes: anyone reads the current versions; an administrator publishes; a member accepts; staff read
a member's acceptances."""

from __future__ import annotations

from chalicelib.agreements import service
from chalicelib.agreements.model import Kind
from chalicelib.agreements.schemas import (
    Agreement,
    AgreementHistory,
    AgreementPublish,
    AgreementsAccept,
    CurrentAgreements,
    MemberAgreements,
    MyAgreements,
)
from chalicelib.identity.access import MEMBER, PUBLIC, Staff
from chalicelib.identity.rules import Permission
from chalicelib.members import service as members
from chalicelib.members.service import reachable
from chalicelib.shared.errors import NotFound
from chalicelib.shared.http import Reply, RequestContext, endpoint

PUBLISH = Staff(Permission.AGREEMENTS_PUBLISH, chain=True)
READ_MEMBER = Staff(Permission.MEMBERS_READ)


@endpoint("/v1/agreements", "GET", summary="The current membership agreement and privacy policy", tag="agreements",
          access=PUBLIC, response=CurrentAgreements)  # fmt: skip
def current_agreements(ctx: RequestContext) -> Reply:
    """The newest version of each published document (会员协议, 隐私政策) with its text: what the log-in page links
    to and what joining accepts (`POST /v1/auth/member-token` names these versions in `agreed`). Empty while none
    is published."""
    return Reply(CurrentAgreements(items=[Agreement.model_validate(d) for d in service.current_documents()]))


@endpoint("/v1/agreements", "POST", summary="Publish a new version of the agreement or the privacy policy",
          tag="agreements", access=PUBLISH, body=AgreementPublish, response=Agreement, status=201,
          errors=(service.VersionTaken,))  # fmt: skip
def publish_agreement(ctx: RequestContext) -> Reply:
    """Publish the next version of a document (版本 1, 2 …), shown at once and never changed after. With
    `requires_acceptance` (the default, and always for a first version) every member must accept it: joining online
    names it, and members who accepted an older version are asked on their pages. A correction published with
    `requires_acceptance: false` asks no one again. The audit log records who published which version.

    Errors: 409 `version-taken` when another version of the document was published at the same moment."""
    body: AgreementPublish = ctx.body
    published = service.publish(
        ctx.caller.scope, body.kind, body.title, body.paragraphs, body.requires_acceptance, body.changes
    )
    return Reply(Agreement.model_validate(published), status=201)


@endpoint("/v1/agreements/{kind}/versions", "GET", summary="Every version of a document, newest first",
          tag="agreements", access=PUBLIC, response=AgreementHistory, errors=(NotFound,))  # fmt: skip
def agreement_versions(ctx: RequestContext, kind: str) -> Reply:
    """The versions of `terms` or `privacy` published so far, newest first, without their text (the current one's
    text is in `GET /v1/agreements`; the audit log says who published each).

    Errors: 404 for another kind."""
    if kind not in set(Kind):
        raise NotFound(f"No document {kind!r}: terms or privacy")
    return Reply(AgreementHistory.model_validate({"items": service.history(Kind(kind))}))


@endpoint("/v1/me/agreements", "GET", summary="What I accepted, and what I must still accept", tag="me",
          access=MEMBER, response=MyAgreements)  # fmt: skip
def my_agreements(ctx: RequestContext) -> Reply:
    """The member's acceptances, newest first, and `due`: the current versions (with their text) they must accept,
    because they joined at a store or by import, or a new version requires it. The member pages ask until then."""
    return Reply(MyAgreements.model_validate(service.of_member(ctx.caller.id, full=True)))


@endpoint("/v1/me/agreements", "POST", summary="Accept the current agreement and privacy policy", tag="me",
          access=MEMBER, body=AgreementsAccept, response=MyAgreements,
          errors=(service.AgreementsRequired,))  # fmt: skip
def accept_agreements(ctx: RequestContext) -> Reply:
    """The member accepts (同意) current versions, as `GET /v1/agreements` lists them (those `due`, or every one):
    each acceptance is kept once, with when and how it was given. Accepting again changes nothing.

    Errors: 422 `agreements-required` when `agreed` names a version that is not current (`current` lists them)."""
    body: AgreementsAccept = ctx.body
    agreed = [(v.kind, v.version) for v in body.agreed]
    return Reply(MyAgreements.model_validate(service.accept_current(ctx.caller.id, agreed)))


@endpoint("/v1/members/{member_id}/agreements", "GET", summary="A member's acceptances of the agreements",
          tag="members", access=READ_MEMBER, response=MemberAgreements, errors=(NotFound,))  # fmt: skip
def member_agreements(ctx: RequestContext, member_id: str) -> Reply:
    """Proof of the member's consent to the membership agreement and the privacy policy: every version they
    accepted, when and how, newest first, and the current versions they have still to accept. Staff scoped to
    stores read their stores' members.

    Errors: 404 for an unknown member, or one of another store for staff scoped to stores."""
    member_id = reachable(ctx.caller, member_id)
    if members.status_of(member_id) is None:
        raise NotFound(f"No member {member_id!r}")
    return Reply(MemberAgreements.model_validate(service.of_member(member_id, full=False)))
