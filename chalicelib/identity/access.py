"""Who is calling, and whether they may call this route. Every endpoint declares an ``Access``.

A staff caller carries a bearer access token; the token's roles give the permissions (the matrix in
``rules``), and its stores the scope. A route open to everyone says so with ``PUBLIC``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalice.app import Request

from chalicelib.identity.rules import Permission, StaffGrant, grant_of
from chalicelib.identity.tokens import verify_access_token
from chalicelib.shared.errors import Forbidden, Unauthenticated


@dataclass(frozen=True)
class Caller:
    kind: str  # "staff" | "member" | "anonymous"
    id: str
    grant: StaffGrant | None = None

    def may(self, permission: Permission) -> bool:
        return self.grant is not None and self.grant.may(permission)

    def covers_store(self, store_id: str | None) -> bool:
        return self.grant is not None and self.grant.covers_store(store_id)

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
    """Staff holding ``permission``; a member token or a staff token without it is 403."""

    permission: Permission

    @property
    def description(self) -> str:
        return f"staff with `{self.permission}`"

    def authorize(self, request: Request) -> Caller:
        claims = verify_access_token(bearer_token(request))
        if claims.kind != "staff":
            raise Forbidden("This operation is for staff")
        caller = Caller("staff", claims.id, grant_of(claims.roles, claims.stores))
        if not caller.may(self.permission):
            raise Forbidden(f"This operation needs the {self.permission} permission")
        return caller

    def security(self) -> list[dict[str, Any]]:
        return [{"bearer": []}]


PUBLIC = Public()


def bearer_token(request: Request) -> str:
    header = str(request.headers.get("authorization", ""))
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send an access token: Authorization: Bearer <token>")
    return token.strip()
