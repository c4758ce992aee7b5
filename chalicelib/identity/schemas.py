"""The identity API contract: tokens, staff accounts, members' log-in and partners."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.agreements.schemas import AgreedVersion
from chalicelib.identity.rules import Permission, Role
from chalicelib.members.schemas import MESSAGE_LANGUAGE, MessageLanguage, Name, Phone
from chalicelib.shared.fields import NEXT_CURSOR, UTC_INSTANT, VERSION, Trimmed
from chalicelib.shared.http import Input, MergePatch, Schema

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$"),
    AfterValidator(str.lower),
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
StoreId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), Trimmed]
Code = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]

USERNAME = "the staff member's log-in name: letters, digits, `.`, `_` and `-`, kept in lower case"
DISPLAY_NAME = "the name shown to colleagues and in the audit log"
STRONG_ENOUGH = "the new password: at least 10 characters, more than three different ones"
ROLES = "the roles (员工角色) granting permissions; one to six"
STAFF_STORES = "store ids limiting whom they manage to those stores (which must exist); empty: every store"
STAFF_STATUS = "`active`, or `disabled` (cannot log in; every session ended)"
PHONE = "mobile phone (手机号); mainland numbers may omit +86, e.g. `13800138000`"
SMS_CODE = "the 6-digit code (验证码) just texted by `POST /v1/auth/otp`"
PARTNER_NAME = "the partner system's name, e.g. `Demo POS` (收银系统)"
PARTNER_STORES = "the store ids the partner reports for (门店)"
ALL_STORES = "true: the partner acts for every store of the chain, now and to come"
ENROLS = "a purchase naming a phone that is no member's registers it (source `store`)"
ACCEPTS_V1 = (
    "its signatures may still be `v1` (the body alone), for a system not yet signing the method and path (`v2`); "
    "off by default: a `v1` signature can be replayed onto another route within its 300 seconds"
)
PARTNER_STATUS = "`active`, or `disabled` (its signatures refused within 30 seconds)"


class LoginRequest(Input):
    """A staff log-in."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"username": "li.na", "password": "correct horse battery staple"}]}
    )

    username: Username = Field(description="the staff member's log-in name (case does not matter)")
    password: Password = Field(description="their password")


class RefreshRequest(Input):
    """A refresh token, to exchange or revoke."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"refresh_token": "k3Jx9VbQ2mW7pLr0tY5uZc8nHd4sAe1fGi6oBqXwMzE"}]}
    )

    refresh_token: Annotated[str, StringConstraints(min_length=16, max_length=256)] = Field(
        description="the refresh token a log-in or the last refresh answered"
    )


class Tokens(Schema):
    """A session's tokens (staff or member): send the access token as `Authorization: Bearer <token>`."""

    confidential = True  # RFC 6749 5.1: token answers are never cached

    access_token: str = Field(description="a JWT to send as `Authorization: Bearer <access_token>`")
    token_type: Literal["bearer"] = Field(default="bearer", description="always `bearer`")
    expires_in: int = Field(description="seconds the access token stays valid (900, 15 minutes, by default)")
    refresh_token: str = Field(
        description="an opaque token, valid once and for 30 days by default, for `POST /v1/auth/refresh`"
    )


class StaffCreate(Input):
    """A staff account. ``stores`` limits what they see to those stores; empty means every store."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "li.na",
                    "display_name": "李娜",
                    "password": "correct horse battery staple",
                    "roles": ["cashier"],
                    "stores": ["SH-001"],
                }
            ]
        }
    )

    username: Username = Field(description=f"{USERNAME}; unique")
    display_name: DisplayName = Field(description=DISPLAY_NAME)
    password: Password = Field(
        description="their first password: at least 10 characters, more than three different ones"
    )
    roles: list[Role] = Field(min_length=1, max_length=6, description=ROLES)
    stores: list[StoreId] = Field(default_factory=list, max_length=200, description=STAFF_STORES)


class StaffPatch(MergePatch):
    """A JSON merge patch of a staff account: rename, re-role, re-scope, disable or enable (nothing is null)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"roles": ["store_manager"], "stores": ["SH-001", "SH-002"]}, {"status": "disabled"}]
        }
    )

    display_name: DisplayName | None = Field(default=None, description=DISPLAY_NAME)
    roles: list[Role] | None = Field(
        default=None, min_length=1, max_length=6, description=f"the whole list, replacing the old one: {ROLES}"
    )
    stores: list[StoreId] | None = Field(
        default=None, max_length=200, description=f"the whole list, replacing the old one: {STAFF_STORES}"
    )
    status: Literal["active", "disabled"] | None = Field(default=None, description=STAFF_STATUS)


StaffId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class StaffNamesQuery(Input):
    """Staff accounts whose names a screen wants, e.g. those who recorded the entries it lists."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"ids": ["sf_3k9x2m7q", "sf_8h2n5c1r"]}]})

    ids: list[StaffId] = Field(min_length=1, max_length=100, description="account ids (`sf_…`), at most 100")


class StaffNames(Schema):
    """Display names by account id; an id no account has is left out."""

    names: dict[str, str] = Field(description=f"{DISPLAY_NAME}, by account id")


class PasswordReset(Input):
    """A staff account's new password."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"password": "tr0ub4dor and 3 more words"}]})

    password: Password = Field(description=STRONG_ENOUGH)


class Staff(Schema):
    """A staff account (员工账号)."""

    staff_id: str = Field(description="the account's id (`sf_…`)")
    username: str = Field(description=USERNAME)
    display_name: str = Field(description=DISPLAY_NAME)
    roles: list[Role] = Field(description=ROLES)
    stores: list[str] = Field(description=STAFF_STORES)
    status: Literal["active", "disabled"] = Field(description=STAFF_STATUS)
    created_at: str = Field(description=f"when it was created; {UTC_INSTANT}")
    updated_at: str = Field(description=f"when it last changed; {UTC_INSTANT}")
    version: int = Field(description=VERSION)


class StaffMe(Schema):
    """Who the caller is: their account and what their session's grant allows (the back office shows its menus by
    ``permissions``)."""

    staff_id: str = Field(description="the account's id (`sf_…`)")
    username: str = Field(description=USERNAME)
    name: str = Field(description=DISPLAY_NAME)
    roles: list[Role] = Field(description="the roles (员工角色) this session holds")
    stores: list[str] = Field(description="the stores (门店) this session manages within; empty: every store")
    permissions: list[Permission] = Field(description="every permission the roles grant, sorted")
    counter_purchase_limit_fen: int | None = Field(
        description="the most this caller may record as paid in one sale at the counter (消费记账), in fen; null: no "
        "limit (the chain set none, the roles record large purchases: `purchases:record-large`, or none at all)"
    )
    counter_daily_limit_fen: int | None = Field(
        default=None,
        description="the most this caller may record at the counter in a business day, in fen; null as above",
    )
    display_name: str = Field(default="", description=f"{DISPLAY_NAME}: `name` again, as `POST /v1/staff` names it")
    adjust_limit_points: int | None = Field(
        default=None,
        description="the most points (积分) this caller credits by hand at once; null: no limit (head office, or who "
        "adjusts no points)",
    )
    adjust_daily_limit_points: int | None = Field(
        default=None, description="the most points this caller credits by hand in a business day; null as above"
    )


class Label(Schema):
    """A name as the back office shows it, keyed by its locales (`zh-CN`, `en`)."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    zh_CN: str = Field(alias="zh-CN", description="in Chinese (简体中文)")
    en: str = Field(description="in English")


class RoleOut(Schema):
    """A role and the permissions it grants."""

    role: Role = Field(description="the role's code (员工角色)")
    label: Label = Field(description="its name, in Chinese and English")
    permissions: list[Permission] = Field(description="the permissions it grants, sorted")


class PermissionOut(Schema):
    """A permission and its name."""

    permission: Permission = Field(description="the permission's code, e.g. `members:read`")
    label: Label = Field(description="its name, in Chinese and English")


class RoleMatrix(Schema):
    """The permission matrix (权限矩阵): every role with what it grants, and every permission with its name."""

    roles: list[RoleOut] = Field(description="the roles, as the seed documents order them")
    permissions: list[PermissionOut] = Field(description="every permission, in the matrix's order")


class StaffPage(Schema):
    """A page of staff accounts."""

    items: list[Staff] = Field(description="this page's staff accounts")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class CodeRequest(Input):
    """Send a one-time code by SMS to this phone (mainland numbers may omit +86)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "13800138000"}]})

    phone: Phone = Field(description=PHONE)


class CodeSent(Schema):
    """A code is on its way (or the phone is no member's: the answer is the same)."""

    expires_in: int = Field(description="seconds the code stays valid")
    resend_after: int = Field(description="seconds before another code may be requested for this phone")


class MemberLogin(Input):
    """Log in with the phone and either the code just sent or the member's password. With a code, a phone
    that is not yet a member's joins (``name`` optional, else 会员 + the last four digits), accepting the current
    agreement and privacy policy (``agreed``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"phone": "13800138000", "code": "123456"},
                {"phone": "13800138000", "password": "my own long passphrase"},
                {
                    "phone": "13900139000",
                    "code": "654321",
                    "name": "王芳",
                    "agreed": [{"kind": "terms", "version": 1}, {"kind": "privacy", "version": 2}],
                },
            ]
        }
    )

    phone: Phone = Field(description=PHONE)
    code: Code | None = Field(default=None, description=f"{SMS_CODE}; or give `password`")
    password: Password | None = Field(default=None, description="the password the member set; or give `code`")
    name: Name | None = Field(default=None, description="the name (姓名) to join with, with a code only")
    language: MessageLanguage | None = Field(
        default=None, description=f"for a phone that joins now: {MESSAGE_LANGUAGE}; a member's own stays as it is"
    )
    agreed: list[AgreedVersion] | None = Field(
        default=None, max_length=10,
        description="the current versions of the membership agreement and privacy policy the member accepts (the "
        "log-in page's tick box), as `GET /v1/agreements` lists them: required with a code once any is published "
        "(joining or not, so the answer never tells whether the phone is a member's); optional with a password",
    )  # fmt: skip

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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"password": "my own long passphrase", "code": "123456"},
                {"password": "an even longer passphrase", "current_password": "my own long passphrase"},
            ]
        }
    )

    password: Password = Field(description=STRONG_ENOUGH)
    current_password: Password | None = Field(default=None, description="the password now, to change it")
    code: Code | None = Field(default=None, description=f"{SMS_CODE}, instead of the current password")


class MembershipClose(Input):
    """The member closes their membership (注销会员): a log-in at most 10 minutes old, or a fresh ``code``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "123456"}, {}]})

    code: Code | None = Field(default=None, description=f"{SMS_CODE}, when the log-in is older than 10 minutes")


class PartnerCreate(Input):
    """A partner system, acting for the ``stores`` named, or for every store with ``all_stores``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Demo POS", "stores": ["SH-001"], "enrols_members": True},
                {"name": "微信小程序", "all_stores": True},
            ]
        }
    )

    name: DisplayName = Field(description=PARTNER_NAME)
    stores: list[StoreId] = Field(default_factory=list, max_length=200, description=f"{PARTNER_STORES}; or all_stores")
    all_stores: bool = Field(default=False, description=f"{ALL_STORES}; or name the stores")
    enrols_members: bool = Field(default=False, description=ENROLS)
    accepts_v1: bool = Field(default=False, description=ACCEPTS_V1)

    @model_validator(mode="after")
    def _scoped(self) -> PartnerCreate:
        if bool(self.stores) == self.all_stores:
            raise ValueError("name the partner's stores, or set all_stores (not both)")
        return self


class PartnerPatch(MergePatch):
    """A JSON merge patch of a partner: rename, disable or enable, or re-scope (``stores``: a non-empty list;
    ``all_stores``: true); nothing is null."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"stores": ["SH-001", "SH-002"]}, {"status": "disabled"}]}
    )

    name: DisplayName | None = Field(default=None, description=PARTNER_NAME)
    stores: list[StoreId] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description=f"{PARTNER_STORES}: the whole list, replacing the old one",
    )
    all_stores: Literal[True] | None = Field(default=None, description=ALL_STORES)
    enrols_members: bool | None = Field(default=None, description=ENROLS)
    accepts_v1: bool | None = Field(default=None, description=ACCEPTS_V1)
    status: Literal["active", "disabled"] | None = Field(default=None, description=PARTNER_STATUS)

    @model_validator(mode="after")
    def _one_scope(self) -> PartnerPatch:
        if self.stores is not None and self.all_stores:
            raise ValueError("give stores or all_stores, not both")
        return self


class PartnerSecret(Schema):
    """A signing secret, by id and dates only: its value is shown once, when issued."""

    secret_id: str = Field(description="the secret's id (`ps_…`)")
    created_at: str = Field(description=f"when it was issued; {UTC_INSTANT}")
    revoked_at: str | None = Field(description=f"when it was revoked; {UTC_INSTANT}; null while active")


class Partner(Schema):
    """A partner system (合作方: POS, e-shop, mini-program backend) that signs its requests."""

    partner_id: str = Field(description="the partner's id (`pt_…`), sent as `X-Partner-Id`")
    name: str = Field(description=PARTNER_NAME)
    stores: list[str] = Field(description=f"{PARTNER_STORES}; empty with all_stores")
    all_stores: bool = Field(description=ALL_STORES)
    enrols_members: bool = Field(description=ENROLS)
    accepts_v1: bool = Field(description=ACCEPTS_V1)
    status: Literal["active", "disabled"] = Field(description=PARTNER_STATUS)
    secrets: list[PartnerSecret] = Field(description="its signing secrets, active and revoked")
    created_at: str = Field(description=f"when it was created; {UTC_INSTANT}")
    updated_at: str = Field(description=f"when it last changed; {UTC_INSTANT}")
    version: int = Field(description=VERSION)


class PartnerIssued(Partner):
    """A partner with a secret just made. The secret is shown this once; keep it safe."""

    confidential = True

    secret_id: str = Field(description="the new secret's id (`ps_…`)")
    secret: str = Field(description="the new secret (`psk_…`): the HMAC-SHA256 key of `X-Signature`; shown only now")


class PartnerPage(Schema):
    """A page of partner systems."""

    items: list[Partner] = Field(description="this page's partners")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class WebhookPing(Input):
    """Any JSON object: the ping answers who signed it."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"hello": "pos"}]})


class PingAnswer(Schema):
    """Who signed the ping."""

    partner_id: str = Field(description="the partner whose signature checked out")
    stores: list[str] = Field(description="its stores; empty: every store")
    received_at: str = Field(description=f"when the ping arrived; {UTC_INSTANT}")
