"""The identity API contract: tokens, staff accounts, members' log-in and partners."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.identity.rules import Role
from chalicelib.members.schemas import Name, Phone
from chalicelib.shared.http import Input, MergePatch, Schema

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$"),
    AfterValidator(str.lower),
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
StoreId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Code = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class LoginRequest(Input):
    username: Username
    password: Password


class RefreshRequest(Input):
    refresh_token: Annotated[str, StringConstraints(min_length=16, max_length=256)]


class Tokens(Schema):
    confidential = True  # RFC 6749 5.1: token answers are never cached

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  (the scheme's name, not a secret)
    expires_in: int
    refresh_token: str


class StaffCreate(Input):
    """A staff account. ``stores`` limits what they see to those stores; empty means every store."""

    username: Username
    display_name: DisplayName
    password: Password
    roles: list[Role] = Field(min_length=1, max_length=6)
    stores: list[StoreId] = Field(default_factory=list, max_length=200)


class StaffPatch(MergePatch):
    """A JSON merge patch of a staff account: rename, re-role, re-scope, disable or enable (nothing is null)."""

    display_name: DisplayName | None = None
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=6)
    stores: list[StoreId] | None = Field(default=None, max_length=200)
    status: Literal["active", "disabled"] | None = None


class PasswordReset(Input):
    password: Password


class Staff(Schema):
    staff_id: str
    username: str
    display_name: str
    roles: list[Role]
    stores: list[str]
    status: Literal["active", "disabled"]
    created_at: str
    updated_at: str
    version: int


class StaffPage(Schema):
    items: list[Staff]
    next_cursor: str | None


class CodeRequest(Input):
    """Send a one-time code by SMS to this phone (mainland numbers may omit +86)."""

    phone: Phone


class CodeSent(Schema):
    expires_in: int = Field(description="seconds the code stays valid")
    resend_after: int = Field(description="seconds before another code may be requested for this phone")


class MemberLogin(Input):
    """Log in with the phone and either the code just sent or the member's password. With a code, a phone
    that is not yet a member's joins (``name`` optional, else 会员 + the last four digits)."""

    phone: Phone
    code: Code | None = None
    password: Password | None = None
    name: Name | None = None

    @model_validator(mode="after")
    def _one_proof(self) -> MemberLogin:
        if (self.code is None) == (self.password is None):
            raise ValueError("give exactly one of code and password")
        if self.name is not None and self.code is None:
            raise ValueError("name is only for joining, with a code")
        return self


class MemberPasswordSet(Input):
    """Set a password; changing an existing one needs ``current_password`` or a fresh ``code``. A new password
    ends every other session of the member; the answer holds fresh tokens for this one (the tokens sent with
    the request end too)."""

    password: Password
    current_password: Password | None = None
    code: Code | None = None


class PartnerCreate(Input):
    """A partner system, acting for the ``stores`` named, or for every store with ``all_stores``."""

    name: DisplayName
    stores: list[StoreId] = Field(default_factory=list, max_length=200)
    all_stores: bool = False
    enrols_members: bool = Field(default=False, description="a purchase naming an unknown phone registers it")

    @model_validator(mode="after")
    def _scoped(self) -> PartnerCreate:
        if bool(self.stores) == self.all_stores:
            raise ValueError("name the partner's stores, or set all_stores (not both)")
        return self


class PartnerPatch(MergePatch):
    """A JSON merge patch of a partner: rename, disable or enable, or re-scope (``stores``: a non-empty list;
    ``all_stores``: true); nothing is null."""

    name: DisplayName | None = None
    stores: list[StoreId] | None = Field(default=None, min_length=1, max_length=200)
    all_stores: Literal[True] | None = None
    enrols_members: bool | None = None
    status: Literal["active", "disabled"] | None = None

    @model_validator(mode="after")
    def _one_scope(self) -> PartnerPatch:
        if self.stores is not None and self.all_stores:
            raise ValueError("give stores or all_stores, not both")
        return self


class PartnerSecret(Schema):
    secret_id: str
    created_at: str
    revoked_at: str | None


class Partner(Schema):
    partner_id: str
    name: str
    stores: list[str]
    all_stores: bool
    enrols_members: bool
    status: Literal["active", "disabled"]
    secrets: list[PartnerSecret]
    created_at: str
    updated_at: str
    version: int


class PartnerIssued(Partner):
    """A partner with a secret just made. The secret is shown this once; keep it safe."""

    confidential = True

    secret_id: str
    secret: str


class PartnerPage(Schema):
    items: list[Partner]
    next_cursor: str | None


class WebhookPing(Input):
    """Any JSON object: the ping answers who signed it."""

    model_config = ConfigDict(extra="allow")


class PingAnswer(Schema):
    partner_id: str
    stores: list[str]
    received_at: str
