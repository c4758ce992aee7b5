"""Settings read from the environment once, validated at start.

Every variable is prefixed ``LOYALTY_`` (in any case) but the region, AWS_DEFAULT_REGION. A missing or malformed
value stops the start-up with a message that names the variable, instead of failing on the first request that
needs it. A plain pydantic model reads them: importing pydantic-settings to do the same cost ~45 ms of CPU on
every cold start.
"""

from __future__ import annotations

import functools
import json
import os
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chalicelib import __version__

ENV_PREFIX = "LOYALTY_"


PUSH_PLATFORMS = ("apns", "fcm")
# channel -> (its sender that needs a setting, that setting)
SENDER_NEEDS = {
    "sms": ("tencent", "sms_secret"),
    "email": ("ses", "email_from"),
    "push": ("sns", "push_applications"),
    "wechat": ("wechat", "wechat_secret"),
}


class SettingsError(RuntimeError):
    """The environment does not describe a runnable deployment."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    stage: str = "local"
    storage: Literal["emulator", "aws"] = "aws"
    region: str = Field(default="cn-north-1", validation_alias="AWS_DEFAULT_REGION")
    table_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,200}$")]
    events_topic_arn: str
    jobs_queue_url: str
    imports_queue_url: str
    imports_bucket: str
    cursor_secret: Annotated[str, Field(min_length=32)]
    business_timezone: str = "Asia/Shanghai"
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    cors_origins: tuple[str, ...] = ()
    idempotency_retention_days: int = Field(default=30, ge=1)
    lookup_hash_key: Annotated[str, Field(min_length=32)]
    jwt_secret: Annotated[str, Field(min_length=32)]
    # what the stage's CloudFront distribution sends its API origin (X-Origin-Verify); None: no distribution in front
    origin_verify_secret: Annotated[str, Field(min_length=32)] | None = None
    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=30, ge=1, le=90)
    self_registration: bool = True
    otp_requests_per_address_hour: int = Field(default=20, ge=1)
    otp_requests_per_hour: int = Field(default=1000, ge=1)
    otp_regions: tuple[str, ...] = ("CN",)
    # channel senders (chalicelib.notifications.channels); provider credentials live in Secrets Manager
    sms_sender: Literal["dev-outbox", "sns", "tencent"] = "dev-outbox"
    sms_secret: str | None = None  # secret id: Tencent {"secret_id", "secret_key", "sdk_app_id", "sign_name", "region"}
    sms_endpoint: str | None = None  # the provider's API base URL, when not its public one (tests: a fake)
    email_sender: Literal["dev-outbox", "ses"] = "dev-outbox"
    email_from: str | None = None
    email_region: str | None = None  # SES's region when not the stage's (SES is not offered in the China regions)
    push_sender: Literal["dev-outbox", "sns"] = "dev-outbox"
    push_applications: dict[str, str] = {}  # JSON: platform -> SNS platform application ARN
    category_names: dict[str, str] = {}  # JSON: an item category's code -> the name members read (品类名称, Chinese)
    category_names_en: dict[str, str] = {}  # the same in English
    brand_names: dict[str, str] = {}  # JSON: an item brand's code -> the name members read (品牌名称, Chinese)
    brand_names_en: dict[str, str] = {}  # the same in English
    wechat_sender: Literal["dev-outbox", "wechat"] = "dev-outbox"
    wechat_secret: str | None = None  # secret id: {"appid", "secret"} of the mini program
    wechat_endpoint: str | None = None
    sms_reply_token: str | None = None  # the secret token in the SMS provider's reply callback URL (they sign nothing)
    public_url: str = "http://127.0.0.1:8000"  # where members open the member pages (unsubscribe links point there)
    points_expiry: str = "end-of-next-year"
    points_pending_days: int = Field(default=0, ge=0, le=365)
    points_reminder_days: int = Field(default=7, ge=1, le=90)
    point_value_fen: Decimal = Field(default=Decimal(1), ge=0, le=10_000)  # what a point is worth, for the liability
    points_cash_max_percent: int = Field(default=50, ge=0, le=100)  # 积分抵现: the most of an order points pay; 0: off
    exports: str = Field(default=".local/exports", min_length=1)  # export files: "s3://<bucket>" or a local folder
    media: str = Field(default=".local/media", min_length=1)  # published pictures: "s3://<bucket>" or a local folder
    refund_policy: Literal["debt", "negative-balance"] = "debt"
    wallet_max_balance_fen: int = Field(default=500_000, ge=0)  # 5,000 CNY, a named prepaid card's limit; 0: none
    wallet_split: Literal["proportional", "principal-first", "bonus-first"] = "proportional"
    wallet_cash_refund_bonus: Literal["prorate", "forfeit"] = "prorate"
    counter_purchases: bool = True  # the console records purchases at the till; off when the till reports them itself
    counter_purchase_limit_fen: int = Field(default=500_000, ge=0)  # above it, only purchases:record-large; 0: none
    counter_daily_limit_fen: int = Field(default=5_000_000, ge=0)  # what one such cashier records a day; 0: none
    plan_max_price_fen: int = Field(default=0, ge=0)  # 预收费上限: a plan's price at most (a city's 5,000 CNY); 0: none
    plan_max_term_days: int = Field(default=0, ge=0)  # its term's days at most (校外培训: 3 months, 92); 0: none
    plan_max_uses: int = Field(default=0, ge=0)  # the classes a term pays for ahead at most (校外培训: 60); 0: none
    benefit_uses_need_code: bool = True  # a cashier records a counted use with the member's code; off: a school's
    # children attend without their parent's phone (each use is still audited and texted to the member: 消课提醒)
    adjust_limit_points: int = Field(default=5_000, ge=0)  # one credit by hand of staff scoped to stores; 0: none
    adjust_daily_limit_points: int = Field(default=20_000, ge=0)  # their credits by hand in a business day; 0: none
    mall_payment_minutes: int = Field(default=30, ge=1, le=24 * 60)  # points + cash: unpaid this long, released
    mall_pickup_days: int = Field(default=30, ge=0, le=366)  # a pickup not collected this long is cancelled; 0: never
    # the birthday gift for a birthday on record before its month began (one recorded in its month, at joining too,
    # gives next year's: a walkthrough's new member chose this month and was given it at once); false: at once
    birthday_gift_needs_notice: bool = True
    welcome_memory_days: int = Field(default=365, ge=0, le=3660)  # a closed phone joining again gets no welcome gift
    test_clock: bool = False  # `cli clock set` may move this stage's "today" (never on a production stage)
    password_hashing: Literal["standard", "test"] = "standard"  # noqa: S105  test: small argon2id costs, emulator only
    kms_key_id: str | None = None
    local_key_file: str | None = None

    @model_validator(mode="after")
    def _one_key_source(self) -> Settings:
        if (self.kms_key_id is None) == (self.local_key_file is None):
            raise ValueError("set exactly one of LOYALTY_KMS_KEY_ID (AWS) and LOYALTY_LOCAL_KEY_FILE (local)")
        return self

    @model_validator(mode="after")
    def _no_test_clock_in_production(self) -> Settings:
        if self.test_clock and self.stage.startswith("prod"):
            raise ValueError("LOYALTY_TEST_CLOCK cannot be set on a production stage")
        return self

    @model_validator(mode="after")
    def _test_hashing_only_on_the_emulator(self) -> Settings:
        if self.password_hashing == "test" and self.storage != "emulator":  # noqa: S105
            raise ValueError("LOYALTY_PASSWORD_HASHING=test is for test stacks on the emulator only")
        return self

    @model_validator(mode="after")
    def _senders_have_their_settings(self) -> Settings:
        missing = []
        for channel, (sender, needed) in SENDER_NEEDS.items():
            chosen = getattr(self, f"{channel}_sender")
            if chosen == sender and not getattr(self, needed):
                missing.append(
                    f"{ENV_PREFIX}{needed.upper()} is required when {ENV_PREFIX}{channel.upper()}_SENDER is {chosen}"
                )
        if missing:
            raise ValueError("; ".join(missing))
        return self

    @field_validator(
        "push_applications", "category_names", "category_names_en", "brand_names", "brand_names_en", mode="before"
    )
    @classmethod
    def _json_object(cls, value: object) -> object:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @field_validator("push_applications")
    @classmethod
    def _known_push_platforms(cls, value: dict[str, str]) -> dict[str, str]:
        if unknown := sorted(set(value) - set(PUSH_PLATFORMS)):
            raise ValueError(f"unknown push platforms {unknown}: use {', '.join(PUSH_PLATFORMS)}")
        return value

    @field_validator("business_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {value!r}") from e
        return value

    @field_validator("points_expiry")
    @classmethod
    def _known_expiry_policy(cls, value: str) -> str:
        from chalicelib.shared.validity import ExpiryPolicy

        ExpiryPolicy.parse(value)  # raises ValueError naming the accepted forms
        return value

    @field_validator("cors_origins", "otp_regions", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @property
    def version(self) -> str:
        return __version__

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.business_timezone)


def setting_names() -> frozenset[str]:
    """The environment variables the settings are read from (upper case)."""
    return frozenset(
        (field.validation_alias if isinstance(field.validation_alias, str) else ENV_PREFIX + name).upper()
        for name, field in Settings.model_fields.items()
    )


def from_environment() -> dict[str, str]:
    """The environment's value of each setting, keyed by field name (by its alias where it has one)."""
    environment = {name.lower(): value for name, value in os.environ.items()}
    values = {}
    for name, field in Settings.model_fields.items():
        key = field.validation_alias if isinstance(field.validation_alias, str) else None
        value = environment.get((key or ENV_PREFIX + name).lower())
        if value is not None:
            values[key or name] = value
    return values


def load_settings() -> Settings:
    """Read and validate the environment; raise SettingsError naming each bad variable."""
    try:
        return Settings.model_validate(from_environment())
    except ValidationError as e:
        problems = []
        for error in e.errors():
            if not error["loc"]:
                problems.append(error["msg"].removeprefix("Value error, "))
                continue
            field = str(error["loc"][0])
            name = "AWS_DEFAULT_REGION" if field == "AWS_DEFAULT_REGION" else f"{ENV_PREFIX}{field.upper()}"
            reason = "is missing" if error["type"] == "missing" else f"is invalid: {error['msg']}"
            problems.append(f"{name} {reason}")
        raise SettingsError("settings: " + "; ".join(problems)) from None


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, loaded on first use."""
    return load_settings()
