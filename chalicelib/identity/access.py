"""Who is calling, and whether they may call this route. Every endpoint declares its access rule.

- ``PUBLIC``: everyone (health, docs, log-in routes).
- ``Staff(permission)``: a staff bearer token whose roles grant ``permission`` (the matrix in ``rules``);
  its stores are the caller's scope. A route either *manages* (lists, edits, erases, reports: store scope
  limits which members it reaches) or *serves* (``serves=True``: finding a member at the counter, their
  counter view, balances, redemptions, adjustments; any member of the chain, since a chain serves its
  members at every store; personal data outside the caller's stores stays masked) or acts on the *whole chain*
  (``chain=True``: its configuration, chain-wide figures and lists, messages to any member, jobs, the audit log:
  staff scoped to stores get 403, since no store scope can limit it). Anyone else: 401
  without a valid token, 403 with another kind. A token whose account was disabled or ended its sessions
  since is 401 (within the session cache age).
- ``ANY_STAFF``: any staff bearer token, whatever its roles (the caller's own account, the roles matrix): read-only
  routes that name no member.
- ``MEMBER``: a member's bearer token; the route serves the caller's own data (``/v1/me``). Staff: 403. A
  token whose session a new password ended since is 401 (within the session cache age).
- ``StaffOrSelf(permission)``: staff as above, or the member the path's ``{member_id}`` names; a member
  naming another member's id gets 404, exactly as if it did not exist.
- ``PARTNER``: a request signed by a partner system (``X-Partner-Id`` + ``X-Signature``), scoped to its
  stores; bearer tokens do not count here (401).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalice.app import Request

from chalicelib.identity.rules import Permission, StaffGrant, grant_of, require_within
from chalicelib.identity.tokens import Claims, verify_access_token
from chalicelib.shared.errors import Forbidden, NotFound, TokenRejected, ValidationFailed


@dataclass(frozen=True)
class Caller:
    kind: str  # "staff" | "member" | "partner" | "anonymous"
    id: str
    grant: StaffGrant | None = None  # a partner's grant holds no permissions, only its stores
    auth_time: float = 0.0  # when the caller logged in (a token's ``auth_time``), for rules wanting a recent log-in
    serving: bool = False  # the route serves any member of the chain (store scope does not limit whom)

    @property
    def is_member(self) -> bool:
        return self.kind == "member"

    def may(self, permission: Permission) -> bool:
        return self.grant is not None and self.grant.may(permission)

    def covers_store(self, store_id: str | None) -> bool:
        return self.grant is not None and self.grant.covers_store(store_id)

    @property
    def stores(self) -> frozenset[str]:
        """The stores the caller is scoped to; empty: every store (or none apply, for members)."""
        return self.grant.stores if self.grant is not None else frozenset()

    def require_within(self, stores: Iterable[str], what: str) -> None:
        """A store-scoped caller grants only within its own stores (``rules.within``); 403 otherwise."""
        require_within(self.stores, stores, what)

    def require_trading_at(self, store_id: str, field: str) -> None:
        """Staff scoped to stores serve every member, but trade at their own tills: a payment or a coupon booked at
        another store would land in that store's statement and figures. 422 on ``field`` otherwise; unscoped staff
        (head office) trade at any store, and partners are held to theirs where each trade is checked."""
        if self.kind == "staff" and self.stores and not self.covers_store(store_id):
            raise ValidationFailed([{"field": field, "in": "body", "message": "not one of your stores"}],
                                   f"Store {store_id} is not one of your stores")  # fmt: skip

    @property
    def scope(self) -> str:
        """What idempotency keys and audit records are kept under."""
        return f"{self.kind}:{self.id}" if self.id else self.kind


ANONYMOUS = Caller("anonymous", "")


@dataclass(frozen=True)
class Public:
    @property
    def description(self) -> str:
        return "open to everyone"

    def authorize(self, request: Request) -> Caller:
        return ANONYMOUS

    def security(self) -> list[dict[str, Any]]:
        return []


@dataclass(frozen=True)
class Staff:
    """Staff holding ``permission``; a member token or a staff token without it is 403. ``serves``: the route
    serves any member of the chain, whatever the caller's stores (otherwise it manages within them). ``chain``:
    the route acts on the whole chain, so staff scoped to stores get 403."""

    permission: Permission
    serves: bool = False
    chain: bool = False

    @property
    def description(self) -> str:
        reach = {"serve": "serves any member of the chain", "manage": "manages within the caller's stores",
                 "chain": "acts on the whole chain: staff scoped to stores get 403"}[self.reach]  # fmt: skip
        return f"staff with `{self.permission}` ({reach})"

    @property
    def reach(self) -> str:
        return "serve" if self.serves else "chain" if self.chain else "manage"

    def authorize(self, request: Request) -> Caller:
        caller = _staff_caller(request, self.serves)
        if not caller.may(self.permission):
            raise Forbidden(f"This operation needs the {self.permission} permission")
        if self.chain and caller.stores:
            raise Forbidden("This operation acts on the whole chain: staff scoped to stores may not call it")
        return caller

    def security(self) -> list[dict[str, Any]]:
        return [{"bearer": []}]


@dataclass(frozen=True)
class AnyStaff:
    """Any staff member whose session holds, whatever their roles; a member token is 403."""

    @property
    def description(self) -> str:
        return "any staff member"

    def authorize(self, request: Request) -> Caller:
        return _staff_caller(request, serving=False)

    def security(self) -> list[dict[str, Any]]:
        return [{"bearer": []}]


def _staff_caller(request: Request, serving: bool) -> Caller:
    """The staff member a bearer token names, while their session holds (401 otherwise; 403 for another kind)."""
    claims = verify_access_token(bearer_token(request))
    if claims.kind != "staff":
        raise Forbidden("This operation is for staff")
    from chalicelib.identity.service import require_current_session

    require_current_session(claims)
    return Caller("staff", claims.id, grant_of(claims.roles, claims.stores), claims.auth_time, serving)


@dataclass(frozen=True)
class MemberSelf:
    """The member themself. A frozen member only reads, unless ``while_frozen``: the route lets them act still
    (withdrawing a consent is always possible), and its service says what a frozen member may not do."""

    while_frozen: bool = False

    @property
    def description(self) -> str:
        return "the member themself" + (", frozen too" if self.while_frozen else "")

    def authorize(self, request: Request) -> Caller:
        claims = verify_access_token(bearer_token(request))
        if claims.kind != "member":
            raise Forbidden("This operation is for members, about themselves")
        return _live_member(claims, request, self.while_frozen)

    def security(self) -> list[dict[str, Any]]:
        return [{"bearer": []}]


@dataclass(frozen=True)
class StaffOrSelf:
    """Staff holding ``permission``, or the member named by the path's ``{member_id}``."""

    permission: Permission
    serves: bool = False

    @property
    def description(self) -> str:
        return f"{Staff(self.permission, self.serves).description}, or the member themself"

    @property
    def reach(self) -> str:
        return Staff(self.permission, self.serves).reach

    def authorize(self, request: Request) -> Caller:
        claims = verify_access_token(bearer_token(request))
        if claims.kind == "member":
            if (request.uri_params or {}).get("member_id") != claims.id:
                raise NotFound("No such member")  # another member's data does not exist for this caller
            return _live_member(claims, request)
        return Staff(self.permission, self.serves).authorize(request)

    def security(self) -> list[dict[str, Any]]:
        return [{"bearer": []}]


@dataclass(frozen=True)
class StaffOrMember:
    """Staff holding ``permission``, or a member about their own resource (the service answers another's as
    absent, 404): a route the back office and the member pages share (a mall order's cancellation)."""

    permission: Permission
    serves: bool = False

    @property
    def description(self) -> str:
        return f"{Staff(self.permission, self.serves).description}, or the member whose it is"

    @property
    def reach(self) -> str:
        return Staff(self.permission, self.serves).reach

    def authorize(self, request: Request) -> Caller:
        claims = verify_access_token(bearer_token(request))
        if claims.kind == "member":
            return _live_member(claims, request)
        return Staff(self.permission, self.serves).authorize(request)

    def security(self) -> list[dict[str, Any]]:
        return [{"bearer": []}]


@dataclass(frozen=True)
class PartnerSigned:
    @property
    def description(self) -> str:
        return "a partner system, by signature"

    def authorize(self, request: Request) -> Caller:
        from chalicelib.identity.partners import authenticate

        raw = request.raw_body or b""
        body = raw.encode() if isinstance(raw, str) else raw
        partner_id = str(request.headers.get("x-partner-id", ""))
        signature, path = str(request.headers.get("x-signature", "")), str(request.context.get("path", ""))
        stores = authenticate(partner_id, signature, body, request.method, path)
        return Caller("partner", partner_id, StaffGrant(frozenset(), frozenset(stores)))

    def security(self) -> list[dict[str, Any]]:
        return [{"partnerId": [], "partnerSignature": []}]


@dataclass(frozen=True)
class PartnerOrStaff:
    """A partner system by signature (a request carrying ``X-Partner-Id``), or staff holding ``permission``: the
    e-shop and the till call the same route (a coupon's redemption). Staff on such a route serve any member."""

    permission: Permission

    @property
    def description(self) -> str:
        return f"a partner system, by signature, or {Staff(self.permission, serves=True).description}"

    @property
    def reach(self) -> str:
        return "serve"

    def authorize(self, request: Request) -> Caller:
        if request.headers.get("x-partner-id") is not None:
            return PARTNER.authorize(request)
        return Staff(self.permission, serves=True).authorize(request)

    def security(self) -> list[dict[str, Any]]:
        return [{"partnerId": [], "partnerSignature": []}, {"bearer": []}]


def _live_member(claims: Claims, request: Request, while_frozen: bool = False) -> Caller:
    """A member's token works while the membership lives (erased: 401) and its session holds (a new password ends
    the others: 401); a frozen member may only read (unless the route acts ``while_frozen``)."""
    from chalicelib.identity.member_auth import require_live_member

    require_live_member(claims, writing=request.method not in ("GET", "HEAD") and not while_frozen)
    return Caller("member", claims.id, auth_time=claims.auth_time)


PUBLIC = Public()
ANY_STAFF = AnyStaff()
MEMBER = MemberSelf()
PARTNER = PartnerSigned()


def bearer_token(request: Request) -> str:
    header = str(request.headers.get("authorization", ""))
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRejected("Send an access token: Authorization: Bearer <token>", sent=False)
    return token.strip()
