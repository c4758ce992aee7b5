"""The identity API contract: tokens and staff accounts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from chalicelib.identity.rules import Role
from chalicelib.shared.http import Schema

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$"),
    AfterValidator(str.lower),
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
StoreId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class LoginRequest(Schema):
    username: Username
    password: Password


class RefreshRequest(Schema):
    refresh_token: Annotated[str, StringConstraints(min_length=16, max_length=256)]


class Tokens(Schema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  (the scheme's name, not a secret)
    expires_in: int
    refresh_token: str


class StaffCreate(Schema):
    """A staff account. ``stores`` limits what they see to those stores; empty means every store."""

    username: Username
    display_name: DisplayName
    password: Password
    roles: list[Role] = Field(min_length=1, max_length=6)
    stores: list[StoreId] = Field(default_factory=list, max_length=200)


class StaffPatch(Schema):
    """A JSON merge patch of a staff account: rename, re-role, re-scope, disable or enable."""

    display_name: DisplayName | None = None
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=6)
    stores: list[StoreId] | None = Field(default=None, max_length=200)
    status: Literal["active", "disabled"] | None = None


class PasswordReset(Schema):
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
