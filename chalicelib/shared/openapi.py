"""OpenAPI 3.1 built from the endpoint registry and the pydantic schemas; no hand-written spec to drift."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue, models_json_schema

from chalicelib import __version__
from chalicelib.shared.errors import (
    Forbidden,
    MalformedRequest,
    PayloadTooLarge,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from chalicelib.shared.http import ENDPOINTS, EndpointSpec, Schema

REF = "#/components/schemas/{model}"
_COMMON_ERRORS = (MalformedRequest, PayloadTooLarge, ValidationFailed, Unavailable)
DESCRIPTION = """Members, points, tiers and more: the loyalty platform (会员管理系统) of a chain of stores.

Units and formats, everywhere: amounts are integer **fen** (分, 1/100 CNY); a **business date** is
`YYYY-MM-DD` in the business time zone (Asia/Shanghai unless the deployment sets another); an **instant** is
ISO 8601: answers give it in UTC (`2026-11-11T02:30:00.000Z`), requests give it with any UTC
offset (`2026-11-11T10:30:00+08:00`).

Errors are RFC 9457 `application/problem+json` with a stable `type`; a refused request writes nothing.
Lists take `limit` and an opaque `cursor` and answer `{items, next_cursor}`. Updates carry `If-Match` with the
resource's `ETag`; PATCH bodies are JSON merge patches (RFC 7396). A problem may carry members of its own beside
these (`available_fen`, `refundable_fen`, `limit_fen` …), named in its operation's description.

The examples name the local stack's demo data where they can (store `SH-001`, the top-up plan `CZ-500-50`); their
dates are examples: a webhook takes an `occurred_at` within the window its operation says (an activity's within 7
days), so send today's. "Try it out" writes to the stack it runs against."""
PATH_PARAMETERS = {
    "member_id": "The member's id (`mb_…`), as registration answered it",
    "store_id": "The store's id: its own store code (e.g. `SH-001`) or the one made for it (`st_…`)",
    "staff_id": "The staff account's id (`sf_…`)",
    "partner_id": "The partner system's id (`pt_…`)",
    "secret_id": "The partner secret's id (`ps_…`), as creating the secret answered it",
    "redemption_id": "The redemption's id (`rd_…`), as the redemption answered it",
    "version": "The tier programme version's number (1, 2, …)",
    "run_id": "The job run's id (`run_…`), as starting the run (a job run, a preview, an application) answered it",
    "feedback_id": "The feedback message's id (`fb_…`), as listed",
    "job": "The job's name, e.g. `expire-points` (`GET /v1/jobs` lists them)",
    "reward_id": "The points-mall reward's id (`rw_…`), as creating it answered it",
    "import_id": "The member import's id (`im_…`), as creating the import answered it",
    "name": "The asset's file name",
    "batch_id": "The batch's id, as creating it answered it: a coupon batch's (`cb_…`) on coupon routes, a gift card "
    "batch's (`gb_…`) on gift card routes",
    "number": "The gift card's number (卡号) as printed: 16 digits",
    "template_id": "The coupon template's id (`ct_…`), as creating it answered it",
    "code": "The coupon's code (券码), as issued (printed, shown to the member or scanned at the till)",
    "token": "A coupon gift's secret (转赠链接), from the link the friend sent (`/m/#/gifts/{token}`)",
    "message_id": "The inbox message's id (`ms_…`), as the inbox lists it",
    "device_id": "The device's id (`dv_…`), as registering it answered it",
    "provider": "The SMS provider posting replies: `tencent` or `aliyun`",
    "kind": "The message kind (消息类型), e.g. `points-expiring` (`GET /v1/notifications/templates` lists them)",
    "channel": "The channel: `sms`, `email`, `push`, `wechat` or `inbox`",
    "plan_id": "The paid membership plan's id (`mp_…`), as creating it answered it",
    "payment_id": "The wallet payment's id (`wp_…`), as the payment answered it (its wallet entries' `source.id`)",
    "card_id": "The membership card's id (`mc_…`), as buying it answered it (one per member and plan)",
    "benefit_id": "The benefit's code (权益), e.g. `pt-session`, as `GET …/benefits` lists it",
    "use_id": "The benefit use's id, as the caller gave it when recording the use",
    "pause_id": "The card pause's id (停卡), as the caller gave it when pausing the card",
    "order_id": "The order's id: on points-mall routes the mall's order (兑换订单号, `mo_…`) as the exchange answered "
    "it; on coupon routes the till's or e-shop's own order id",
}


class Problem(Schema):
    """RFC 9457 problem details; ``type`` is stable, ``errors`` lists field problems on 422. A problem type may carry
    extension members of its own, as RFC 9457 allows (`available_fen` on `insufficient-balance`, `refundable_fen` on
    `refund-exceeds-payment`, `reason` on `coupon-unusable` …), named where its operation says it: a client keeps
    the members it does not know (an integrator's client, generated from this schema, refused them)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="a URI naming the kind of problem, stable across releases: match on it")
    title: str = Field(description="a short English summary of the kind of problem")
    status: int = Field(description="the HTTP status code, repeated")
    detail: str = Field(description="what went wrong with this request, in English")
    instance: str | None = Field(default=None, description="the path of the request that failed")
    errors: list[dict[str, str]] | None = Field(
        default=None,
        description="on 422: one object per problem, with `field` (a dotted path, e.g. `items.0.amount_fen`), "
        "`in` (`body`, `query` or `header`) and `message` (English); a schema problem also has `code`, the "
        "validator's stable error type (`missing`, `greater_than_equal`, `string_too_long`, `datetime_parsing` …) "
        "to say it in the client's language, and `limit`, the bound it names, when it names one",
    )


class _ExamplesAsWritten(GenerateJsonSchema):
    """Pydantic's generator, but examples keep their keys in the order they were written (a request reads best
    as its fields are declared), where pydantic would sort them like every other key."""

    def sort(self, value: JsonSchemaValue, parent_key: str | None = None) -> JsonSchemaValue:
        in_order: JsonSchemaValue = _sorted(value, parent_key)
        return in_order


def _sorted(value: Any, parent_key: str | None) -> Any:
    if parent_key == "examples":
        return value
    if isinstance(value, dict):
        keys = value if parent_key in ("properties", "default") else sorted(value)
        return {key: _sorted(value[key], key) for key in keys}
    if isinstance(value, list):
        return [_sorted(item, parent_key) for item in value]
    return value


def build_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared endpoint (their domains are imported first)."""
    import chalicelib.declarations  # noqa: F401  the app imports a domain on its first request: import them all

    specs = sorted(ENDPOINTS, key=lambda spec: (spec.path, spec.method))
    models: set[type[BaseModel]] = {Problem}
    for spec in specs:
        models.update(model for model in (spec.body, spec.response) if model is not None)
    keyed: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (model, "validation" if _is_request(model, specs) else "serialization")
        for model in sorted(models, key=lambda m: m.__name__)
    ]
    _, schemas = models_json_schema(keyed, ref_template=REF, schema_generator=_ExamplesAsWritten)
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Loyalty platform API",
            "version": __version__,
            "description": DESCRIPTION,
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "partnerId": {"type": "apiKey", "in": "header", "name": "X-Partner-Id"},
                "partnerSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Signature",
                    "description": SIGNATURE,
                },
            },
        },
    }


SIGNATURE = (
    "`t=<unix seconds>,v2=<hex>`: hex is HMAC-SHA256, keyed by the secret's UTF-8 bytes, over "
    "`<t>.<METHOD> <path>.` then the raw body bytes (the method in capitals; the path from `/v1/` on, "
    "percent-decoded, without the query), e.g. `1767225600.POST /v1/webhooks/purchases.` + body. Several `v2=` "
    "values may be sent while a secret is rotated. A timestamp more than 300 seconds from the server's clock is "
    "refused. The older `v1=<hex>` (over `<t>.` + body alone) passes only for a partner created or changed with "
    "`accepts_v1: true`."
)


def _is_request(model: type[BaseModel], specs: list[EndpointSpec]) -> bool:
    return any(spec.body is model for spec in specs)


def _operation(spec: EndpointSpec) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": spec.operation_id,
        "summary": spec.summary,
        "description": "\n\n".join(filter(None, [spec.description, f"Who may call: {spec.access.description}."])),
        "tags": [spec.tag],
        "security": spec.access.security(),
        "parameters": _parameters(spec),
        "responses": _responses(spec),
    }
    if spec.body is not None:
        media = ["application/merge-patch+json", "application/json"] if spec.method == "PATCH" else ["application/json"]
        operation["requestBody"] = {
            "required": any(field.is_required() for field in spec.body.model_fields.values()),  # else: defaults
            "content": {media_type: {"schema": {"$ref": REF.format(model=spec.body.__name__)}} for media_type in media},
        }
    return operation


def _parameters(spec: EndpointSpec) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "description": PATH_PARAMETERS.get(name, ""),
         "schema": {"type": "string", "maxLength": 128}}
        for name in re.findall(r"{(\w+)}", spec.path)
    ]  # fmt: skip
    if spec.query is not None:
        schema = spec.query.model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            described = {"description": prop.pop("description")} if "description" in prop else {}
            parameters.append(
                {"name": name, "in": "query", "required": name in schema.get("required", []), **described,
                 "schema": prop}
            )  # fmt: skip
    if spec.idempotency:
        parameters.append({
            "name": "Idempotency-Key", "in": "header", "required": spec.idempotency == "required",
            "description": "Repeats with the same key and body return the first answer; another body is 422. Make "
                           "it from what the caller keeps across a restart (the till's refund or order number), so a "
                           "request sent again after a lost answer is the same request.",
            "schema": {"type": "string", "minLength": 8, "maxLength": 255},
        })  # fmt: skip
    if spec.if_match:
        parameters.append(
            {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
             "description": "The ETag of the version being edited"}
        )  # fmt: skip
    return parameters


def _responses(spec: EndpointSpec) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "Success"}
    if spec.response is not None:
        success["content"] = {spec.content_type: {"schema": {"$ref": REF.format(model=spec.response.__name__)}}}
    elif spec.content_type != "application/json":
        success["content"] = {spec.content_type: {"schema": {"type": "string"}}}
    if spec.etag:
        success.setdefault("headers", {})["ETag"] = {"schema": {"type": "string"}, "description": "The version, quoted"}
    if spec.no_store:
        success.setdefault("headers", {})["Cache-Control"] = {
            "schema": {"const": "no-store"}, "description": "Personal data or a secret: never cached"}  # fmt: skip
    responses: dict[str, Any] = {str(spec.status): success}
    problem_content = {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}
    errors = spec.errors + (_COMMON_ERRORS if spec.body or spec.query else (Unavailable,))
    if spec.access.security():
        errors += (Unauthenticated, Forbidden)
    by_status: dict[int, list[str]] = {}
    for error in sorted(set(errors), key=lambda e: (e.status, e.slug, e.title)):  # one order, every run
        by_status.setdefault(error.status, []).append(f"{error.title} (`{error.slug}`)")
    for status, titles in by_status.items():
        responses.setdefault(str(status), {"description": "; ".join(titles), "content": problem_content})
    return responses
