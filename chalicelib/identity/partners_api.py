"""Partner routes: admins manage partner credentials; partners check their signing with a ping."""

from __future__ import annotations

from chalicelib.identity import partners
from chalicelib.identity.access import PARTNER, Staff
from chalicelib.identity.rules import Permission
from chalicelib.identity.schemas import (
    Partner,
    PartnerCreate,
    PartnerIssued,
    PartnerPage,
    PartnerPatch,
    PingAnswer,
    WebhookPing,
)
from chalicelib.identity.service import require_known_stores
from chalicelib.shared import clock
from chalicelib.shared.errors import (
    InvalidCursor,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthenticated,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint, etag
from chalicelib.shared.pagination import PageQuery

ADMIN = Staff(Permission.PARTNERS_ADMIN)


def _body(partner: partners.Partner) -> Partner:
    secrets = [s.__dict__ for s in partner.secrets]
    return Partner.model_validate({**partner.__dict__, "secrets": secrets, "all_stores": not partner.stores})


def _reply(partner: partners.Partner, status: int = 200) -> Reply:
    headers = {"ETag": etag(partner.version), "Location": f"/v1/partners/{partner.partner_id}"}
    return Reply(_body(partner), status=status, headers=headers)


def _issued(issued: partners.Issued, status: int) -> Reply:
    body = PartnerIssued.model_validate(
        {**_body(issued.partner).model_dump(), "secret_id": issued.secret_id, "secret": issued.secret}
    )
    headers = {"ETag": etag(issued.partner.version), "Location": f"/v1/partners/{issued.partner.partner_id}"}
    return Reply(body, status=status, headers=headers)


@endpoint("/v1/partners", "POST", summary="Create a partner and its first secret (shown once)", tag="partners",
          access=ADMIN, body=PartnerCreate, response=PartnerIssued, status=201, etag=True)  # fmt: skip
def create_partner(ctx: RequestContext) -> Reply:
    """Register a partner system (合作方: a POS, e-shop or mini-program backend) acting for the stores
    named, or for every store with `all_stores`, and issue its first signing secret. The secret is in this answer
    only (never shown again, never cached): store it safely."""
    data: PartnerCreate = ctx.body
    ctx.caller.require_within(data.stores, "The partner's store scope")  # a store-scoped admin: their stores only
    require_known_stores(data.stores)
    issued = partners.create_partner(data.name, data.stores, enrols_members=data.enrols_members,
                                     accepts_v1=data.accepts_v1)  # fmt: skip
    return _issued(issued, 201)


@endpoint("/v1/partners", "GET", summary="List partners", tag="partners", access=ADMIN, query=PageQuery,
          response=PartnerPage, errors=(InvalidCursor,))  # fmt: skip
def list_partners(ctx: RequestContext) -> Reply:
    """Partner systems, paged with `limit` and `cursor`. Secrets are listed by id and dates only."""
    found, cursor = partners.list_partners(ctx.query.limit, ctx.query.cursor)
    return Reply(PartnerPage(items=[_body(partner) for partner in found], next_cursor=cursor))


@endpoint("/v1/partners/{partner_id}", "GET", summary="Read a partner", tag="partners", access=ADMIN,
          response=Partner, etag=True, errors=(NotFound,))  # fmt: skip
def get_partner(ctx: RequestContext, partner_id: str) -> Reply:
    """One partner system with its secrets' ids and dates, and its `ETag`. Errors: 404 for an unknown id."""
    return _reply(partners.get_partner(partner_id))


@endpoint("/v1/partners/{partner_id}", "PATCH", summary="Rename, re-scope, disable or enable a partner",
          tag="partners", access=ADMIN, body=PartnerPatch, response=Partner, if_match=True, etag=True,
          errors=(NotFound, PreconditionFailed, PreconditionRequired))  # fmt: skip
def update_partner(ctx: RequestContext, partner_id: str) -> Reply:
    """Rename, re-scope (`stores`, or `all_stores`), disable or enable a partner, or let its purchases
    enrol unknown phones (JSON merge patch, `If-Match`). A disabled partner's signatures stop working within 30
    seconds everywhere.

    Errors: 412 on a stale `ETag`, 428 without `If-Match`; 404 for an unknown id."""
    patch: PartnerPatch = ctx.body
    changes = patch.changes()
    if changes.pop("all_stores", None):
        changes["stores"] = []  # no list of stores: every store
    if "stores" in changes:
        require_known_stores(changes["stores"] or ())
    assert ctx.if_match is not None
    return _reply(partners.update_partner(partner_id, changes, ctx.if_match, scope=ctx.caller.stores))


@endpoint("/v1/partners/{partner_id}/secrets", "POST", summary="Add a second secret to rotate to (shown once)",
          tag="partners", access=ADMIN, response=PartnerIssued, status=201,
          errors=(NotFound, partners.TooManySecrets))  # fmt: skip
def add_secret(ctx: RequestContext, partner_id: str) -> Reply:
    """Issue a second signing secret, for rotation: the partner switches to it, then the old one is revoked.
    The secret is in this answer only.

    Errors: 409 `too-many-secrets` when two secrets are already active; 404 for an unknown partner; 403 for a
    partner scoped beyond a store-scoped admin's stores."""
    return _issued(partners.add_secret(partner_id, scope=ctx.caller.stores), 201)


@endpoint("/v1/partners/{partner_id}/secrets/{secret_id}", "DELETE", summary="Revoke a secret",
          tag="partners", access=ADMIN, status=204, errors=(NotFound,))  # fmt: skip
def revoke_secret(ctx: RequestContext, partner_id: str, secret_id: str) -> Reply:
    """Revoke one of a partner's secrets: signatures made with it stop working within 30 seconds.
    Errors: 404 for an unknown partner or secret; 403 for a partner scoped beyond a store-scoped admin's stores."""
    partners.revoke_secret(partner_id, secret_id, scope=ctx.caller.stores)
    return Reply(status=204)


@endpoint("/v1/webhooks/ping", "POST", summary="Check a partner's request signing", tag="webhooks",
          access=PARTNER, body=WebhookPing, response=PingAnswer, errors=(Unauthenticated,))  # fmt: skip
def ping(ctx: RequestContext) -> Reply:
    """Check request signing before using the real webhooks: any JSON object, signed with `X-Partner-Id` and
    `X-Signature` (`t=<unix seconds>,v2=<hex HMAC-SHA256, keyed by the secret, of "<t>.POST /v1/webhooks/ping." +
    the raw body>`, as the `partnerSignature` scheme says), answers which partner signed it and its stores (`[]`: no
    limit, every store of the chain). Writes nothing.

    Errors: 401 for an unknown partner, a wrong or revoked secret, a changed body or a timestamp more than 300
    seconds from the server's clock."""
    stores = sorted(ctx.caller.stores)
    return Reply(PingAnswer(partner_id=ctx.caller.id, stores=stores, received_at=clock.iso(clock.now())))
