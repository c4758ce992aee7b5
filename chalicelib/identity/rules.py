"""Who may do what: one permission matrix for the roles of the seed documents, and store scopes. Pure.

Roles (seed documents: 前台收银员, 门店店长, 市场专员, 客服人员, 财务人员, 高层管理者):

- cashier: serves members at the till: finds and registers members, redeems points, sees stores.
- store_manager: a cashier who may also edit and freeze members, read full phone numbers and adjust or
  reverse points.
- marketing: reads members (masked) and stores for campaigns and segments, and sets the earn rules; no
  personal data.
- customer_service: answers members: reads and edits members with full phones, erases on request,
  adjusts points and reverses redemptions.
- finance: reads members (masked) and stores for reconciliation and reports, and the audit log; manages
  stored value: top-up plans, the daily statements and cash refunds of principal (退卡/退余额).
- admin: everything, including staff, partners, the audit log and member imports (a migration's files).

Staff may be scoped to stores: a scoped caller sees members whose home store is in scope and the
stores themselves; an unscoped caller (empty scope) sees every store.

A staff account's tokens carry its roles and stores, so disabling, re-roling or re-scoping it (or a new
password) ends every session it has: its refresh tokens at once, its access tokens within the session cache age.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Permission(StrEnum):
    STORES_READ = "stores:read"
    STORES_WRITE = "stores:write"
    MEMBERS_READ = "members:read"
    MEMBERS_REGISTER = "members:register"
    MEMBERS_WRITE = "members:write"
    MEMBERS_ERASE = "members:erase"
    MEMBERS_IMPORT = "members:import"
    PII_READ = "pii:read"
    POINTS_REDEEM = "points:redeem"
    POINTS_ADJUST = "points:adjust"
    RULES_WRITE = "rules:write"
    TIERS_OVERRIDE = "tiers:override"
    STAFF_ADMIN = "staff:admin"
    PARTNERS_ADMIN = "partners:admin"
    AUDIT_READ = "audit:read"
    WALLET_PLANS = "wallet:plans"
    WALLET_STATEMENTS = "wallet:statements"
    WALLET_CASH_REFUND = "wallet:cash-refund"


SESSION_FIELDS = ("roles", "stores", "status")  # what a staff token's grant depends on
STAFF_SHOWN_IN_AUDIT = frozenset({"roles", "stores", "status"})  # values the audit log shows (not the display name)


class Role(StrEnum):
    """A staff role (员工角色): cashier (收银员), store manager (店长), marketing (市场), customer service (客服),
    finance (财务) or admin (管理员); each grants a fixed set of permissions."""

    CASHIER = "cashier"
    STORE_MANAGER = "store_manager"
    MARKETING = "marketing"
    CUSTOMER_SERVICE = "customer_service"
    FINANCE = "finance"
    ADMIN = "admin"


P = Permission
_CASHIER = {P.STORES_READ, P.MEMBERS_READ, P.MEMBERS_REGISTER, P.POINTS_REDEEM}
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CASHIER: frozenset(_CASHIER),
    Role.STORE_MANAGER: frozenset(_CASHIER | {P.MEMBERS_WRITE, P.PII_READ, P.POINTS_ADJUST, P.TIERS_OVERRIDE}),
    Role.MARKETING: frozenset({P.STORES_READ, P.MEMBERS_READ, P.RULES_WRITE}),
    Role.CUSTOMER_SERVICE: frozenset(
        _CASHIER | {P.MEMBERS_WRITE, P.MEMBERS_ERASE, P.PII_READ, P.POINTS_ADJUST, P.TIERS_OVERRIDE}
    ),
    Role.FINANCE: frozenset(
        {P.STORES_READ, P.MEMBERS_READ, P.AUDIT_READ, P.WALLET_PLANS, P.WALLET_STATEMENTS, P.WALLET_CASH_REFUND}
    ),
    Role.ADMIN: frozenset(Permission),
}


@dataclass(frozen=True)
class StaffGrant:
    """What a staff caller may do: the union of their roles' permissions, within their stores."""

    roles: frozenset[Role]
    stores: frozenset[str] = field(default_factory=frozenset)  # empty: every store

    @property
    def permissions(self) -> frozenset[Permission]:
        return frozenset().union(*(PERMISSIONS[role] for role in self.roles))

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions

    def covers_store(self, store_id: str | None) -> bool:
        """Whether a store is in scope. A member without a home store is only in an unscoped caller's view."""
        return not self.stores or (store_id is not None and store_id in self.stores)


def grant_of(roles: Iterable[str], stores: Iterable[str] = ()) -> StaffGrant:
    return StaffGrant(frozenset(Role(role) for role in roles), frozenset(stores))


def ends_sessions(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """A staff edit ends the account's sessions when it disables (or enables), re-roles or re-scopes it: tokens
    must not keep a grant the account no longer has. Renaming does not."""
    return any(before[name] != after[name] for name in SESSION_FIELDS)
