"""HTTP conventions for every route: strict parsing, problem+json errors, ETags, idempotency keys, CORS.

A view is declared with ``endpoint`` and receives a ``RequestContext`` whose ``body`` and ``query`` are
already-validated pydantic models. Anything a view raises that is a ``DomainError`` becomes RFC 9457
problem+json here, in one place; anything else is logged and answered as a 500 problem without
details. The same declarations feed the OpenAPI document (``chalicelib.shared.openapi``).
"""

from __future__ import annotations

import functools
import hmac
import importlib
import inspect
import ipaddress
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, NamedTuple, Protocol, Self, get_args

from chalice.app import Chalice, Request, Response
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator, model_validator

from chalicelib.shared.context import Origin, acting_as
from chalicelib.shared.crypto import lookup_hash
from chalicelib.shared.db import is_throttled
from chalicelib.shared.errors import (
    DomainError,
    InternalError,
    MalformedRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionRequired,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from chalicelib.shared.fields import DIRECTION_CONTROLS
from chalicelib.shared.idempotency import IdempotencyKey as IdempotencyKey  # what services take (re-exported)
from chalicelib.shared.ids import new_id
from chalicelib.shared.logs import logger
from chalicelib.shared.settings import get_settings
from chalicelib.shared.versions import Expected

PROBLEM_JSON = "application/problem+json"
JSON_TYPES = ["application/json", "application/merge-patch+json"]
MAX_PATH_PARAM = 128
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{8,255}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class Schema(BaseModel):
    """Base of every request and response model: unknown fields are refused, not ignored.

    A model holding a member's personal data or a secret sets ``confidential``: every answer carrying one, at
    any depth, is sent with ``Cache-Control: no-store``, so no browser, proxy or CDN keeps a copy (as is every
    answer of a route about one member, ``EndpointSpec.no_store``).

    Each model builds its validator and serializer when first used, not at import: a cold start builds the
    few its request needs instead of all of them (most routes are rarely called).
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)
    confidential: ClassVar[bool] = False


def holds_confidential(model: type[BaseModel]) -> bool:
    """Whether ``model`` or any model nested in its fields (in lists, dicts, optionals) is confidential."""
    seen: set[type[BaseModel]] = set()
    pending: list[Any] = [model]
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in seen:
            if getattr(annotation, "confidential", False):
                return True
            seen.add(annotation)
            pending += [field.annotation for field in annotation.model_fields.values()]
        pending += get_args(annotation)
    return False


# C0 and C1 controls, the line and paragraph separators (line breaks too: a probe's name broke a CSV and a script
# apart), and the direction overrides and isolates that make text read otherwise than it is stored
_CONTROL_CHARACTER = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\u2028\u2029{DIRECTION_CONTROLS}]")
CONTROL_CHARACTERS_REFUSED = (
    "may not hold control characters (U+0000-U+001F, U+007F-U+009F), line or paragraph separators (U+2028, U+2029) "
    "or direction overrides (U+202A-U+202E, U+2066-U+2069)"
)


def holds_control_character(value: object) -> bool:
    """Whether ``value`` (text, or lists, sets and dicts of it, keys included) holds a control character."""
    if isinstance(value, str):
        return _CONTROL_CHARACTER.search(value) is not None
    if isinstance(value, dict):
        return any(holds_control_character(key) or holds_control_character(item) for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(holds_control_character(item) for item in value)
    return False


class FieldInvalid(ValueError):
    """A model's own check (one that reads several fields) finding one ``field`` wrong, relative to the model (a
    dotted path: ``items``, ``refund.kind``): the 422 names that field, not the model (an integrator read ``field:
    ""`` for a paid_fen above total_fen, where the README says the field is named)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Input(Schema):
    """Base of every model that takes data in (request bodies and queries, rows imported through them).

    No text in it, at any depth, holds a control character (Unicode Cc: U+0000-U+001F and U+007F-U+009F),
    tab and line breaks included: no field takes multi-line text, and these characters only ever hide or forge
    something (NUL cuts text short in C tools, ESC drives terminals, CR and LF forge log and CSV lines).
    Every body and query model is one (``endpoint`` checks); so must be the models nested in them.
    """

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if holds_control_character(value):
            raise ValueError(CONTROL_CHARACTERS_REFUSED)
        return value

    @model_validator(mode="after")
    def _no_control_characters_in_free_form_fields(self) -> Self:
        if holds_control_character(self.model_extra or {}):
            raise ValueError(CONTROL_CHARACTERS_REFUSED)
        return self


class MergePatch(Input):
    """A JSON merge patch (RFC 7396): a field left out stays as it is; ``null`` clears a field named in
    ``clearable`` and is refused (422, with the field) on any other, since those always hold a value."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*")  # after parsing, so JSON text still parses as dates; it never sees absent fields
    @classmethod
    def _null_only_where_clearable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError("may not be null: this field always holds a value")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the patch names, with their new values (None: cleared)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


@dataclass(frozen=True)
class Reply:
    """What a view answers: a status, an optional body model and headers."""

    body: BaseModel | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


IfMatch = Expected  # the If-Match header as the services take it: the versions named (None: "*")


class AccessRule(Protocol):
    """Who may call a route (``chalicelib.identity.access``): authorize the request or raise 401/403."""

    @property
    def description(self) -> str: ...

    def authorize(self, request: Request) -> Any: ...

    def security(self) -> list[dict[str, Any]]: ...


@dataclass
class RequestContext:
    request: Request
    caller: Any = None  # chalicelib.identity.access.Caller
    body: Any = None
    query: Any = None
    idempotency: IdempotencyKey | None = None
    if_match: IfMatch | None = None

    @property
    def language(self) -> str:
        """The caller's language for words the API writes (rules, reasons): `en` when `Accept-Language` prefers
        English, zh-CN otherwise."""
        wanted = str(self.request.headers.get("accept-language", "")).strip().lower()
        return "en" if wanted.startswith("en") else "zh-CN"


@dataclass(frozen=True)
class EndpointSpec:
    """One route as the OpenAPI document describes it; ``description`` is the view's docstring."""

    path: str
    method: str
    operation_id: str
    module: str
    summary: str
    description: str
    tag: str
    access: AccessRule
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[type[DomainError], ...]
    idempotency: Literal["required", "optional"] | None
    if_match: bool
    etag: bool
    content_type: str = "application/json"
    accepts: tuple[str, ...] = ()  # request content types besides JSON's (a form a mail client posts)

    @property
    def no_store(self) -> bool:
        """Whether answers carry personal data or secrets, and so must not be cached anywhere: a confidential
        model's, or anything about one member (their own ``/v1/me…`` routes, and every route naming a member)."""
        about_a_member = self.path == "/v1/me" or self.path.startswith("/v1/me/") or "{member_id}" in self.path
        return about_a_member or (self.response is not None and holds_confidential(self.response))


ENDPOINTS: list[EndpointSpec] = []
View = Callable[..., Response]  # called with the request and the route's path parameters
VIEWS: dict[tuple[str, str], View] = {}  # (method, path) -> the declared view, wrapped in the conventions


class Route(NamedTuple):
    """One line of the route index (``chalicelib/routes.py``): a route and the module that declares it."""

    path: str
    method: str
    operation_id: str
    module: str
    accepts: tuple[str, ...] = ()  # the request content types it takes, when not JSON's


def endpoint(
    path: str,
    method: str,
    *,
    summary: str,
    tag: str,
    access: AccessRule,
    body: type[Input] | None = None,
    query: type[Input] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[type[DomainError], ...] = (),
    idempotency: Literal["required", "optional"] | None = None,
    if_match: bool = False,
    etag: bool = False,
    content_type: str = "application/json",
    accepts: tuple[str, ...] = (),
) -> Callable[[Callable[..., Reply | Response]], View]:
    """Declare a route: record it for the route index and the OpenAPI document, wrap it in the conventions.

    Chalice learns the route from the index (``install_routes``), so that a domain is imported on its first
    request rather than when the app starts."""

    for model in (body, query):
        if model is not None and not issubclass(model, Input):
            raise TypeError(f"{model.__name__} takes data in: derive it from Input")

    def decorate(view: Callable[..., Reply | Response]) -> View:
        spec = EndpointSpec(
            path=path, method=method, operation_id=view.__name__, module=view.__module__, summary=summary,
            description=inspect.cleandoc(view.__doc__ or ""), tag=tag, access=access, body=body, query=query,
            response=response, status=status, errors=errors, idempotency=idempotency, if_match=if_match, etag=etag,
            content_type=content_type, accepts=accepts,
        )  # fmt: skip
        ENDPOINTS.append(spec)
        no_store = spec.no_store

        @functools.wraps(view)
        def handle(request: Request, **path_params: str) -> Response:
            try:
                for value in path_params.values():
                    if len(value) > MAX_PATH_PARAM:
                        raise NotFound("No such resource")
                ctx = _build_context(spec, request)
                with acting_as(Origin(ctx.caller.scope, _request_id(request), source_ip(request))):
                    result = view(ctx, **path_params)
                response = result if isinstance(result, Response) else to_response(result)
                if no_store:
                    response.headers["Cache-Control"] = "no-store"
                return response
            except DomainError as e:
                return problem_response(e, instance=concrete_path(request))
            except Exception as e:
                if is_throttled(e):  # a read or write DynamoDB kept refusing: nothing was applied
                    logger.warning("throttled", extra={"route": request.path})
                    return problem_response(Unavailable(THROTTLED_DETAIL), instance=concrete_path(request))
                logger.exception("unhandled error", extra={"route": request.path})
                return _internal_error(concrete_path(request))

        VIEWS[(method, path)] = handle
        return handle

    return decorate


def declared_routes() -> list[Route]:
    """The route index as the declarations imported so far describe it, in a stable order."""
    return sorted(Route(spec.path, spec.method, spec.operation_id, spec.module, spec.accepts) for spec in ENDPOINTS)


def install_routes(app: Chalice, routes: Iterable[Route]) -> None:
    """Register every route of the index with Chalice (its local server, test client and packaging see them
    all); each route's module is imported when the route is first called."""
    for route in routes:
        view = _view_importing(app, route)
        accepted = list(route.accepts) or JSON_TYPES
        app.route(route.path, methods=[route.method], content_types=accepted, name=route.operation_id)(view)


def _view_importing(app: Chalice, route: Route) -> Callable[..., Response]:
    key = (route.method, route.path)

    def view(**path_params: str) -> Response:
        declared = VIEWS.get(key)
        if declared is None:
            importlib.import_module(route.module)
            declared = VIEWS[key]
        return declared(_current_request(app), **path_params)

    return view


def _current_request(app: Chalice) -> Request:
    request = app.current_request
    assert request is not None  # Chalice sets it before calling any route
    return request


def concrete_path(request: Request) -> str:
    """The path as requested (Chalice's ``request.path`` is the route template, e.g. ``/v1/stores/{id}``)."""
    path = str(request.path)
    for name, value in (request.uri_params or {}).items():
        path = path.replace("{" + name + "+}", value).replace("{" + name + "}", value)
    return path


def _require_utf8(content_type: str) -> None:
    """JSON travels in UTF-8 (RFC 8259): a body said to be in another charset is 415, not read as UTF-8 anyway."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"JSON bodies are UTF-8, not {value.strip()}")


def _build_context(spec: EndpointSpec, request: Request) -> RequestContext:
    ctx = RequestContext(request=request, caller=spec.access.authorize(request))
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > get_settings().max_body_bytes:
        raise PayloadTooLarge(f"The body may hold at most {get_settings().max_body_bytes} bytes")
    if spec.query is not None:
        ctx.query = parse_model(spec.query, _single_values(request), location="query")
    elif request.query_params:
        raise ValidationFailed([{"field": name, "in": "query", "message": "unknown parameter"}
                                for name in request.query_params])  # fmt: skip
    if spec.body is not None:
        _require_utf8(str(request.headers.get("content-type", "")))
        optional = not any(field.is_required() for field in spec.body.model_fields.values())
        ctx.body = parse_body(spec.body, b"{}" if optional and not raw.strip() else raw)  # none: {}
    elif raw.strip() and not spec.accepts:  # a route taking other content types reads its raw body itself
        if not _empty_object(raw):  # `{}`, as many clients send with every POST, says nothing: none (a walkthrough)
            raise ValidationFailed([{"field": "", "in": "body", "message": "this operation takes no body"}])
        raw = b""
    if spec.idempotency:
        ctx.idempotency = _idempotency_key(spec, request, raw, ctx.caller.scope)
    if spec.if_match:
        ctx.if_match = _if_match(request)
    return ctx


def parse_body(model: type[BaseModel], raw: bytes) -> Any:
    """Parse a JSON body strictly: 400 when it is not JSON, 422 with field paths when it breaks the schema."""
    try:
        text = (raw or b"null").decode("utf-8")  # JSON is UTF-8 (RFC 8259); a byte order mark is refused
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except (ValueError, RecursionError) as e:
        raise MalformedRequest(f"The body is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValidationFailed([{"field": "", "in": "body", "message": "the body must be a JSON object"}])
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as e:
        raise ValidationFailed(_field_errors(e, "body")) from None


def _single_values(request: Request) -> dict[str, str]:
    """Query parameters, each given once: a repeated parameter is 422, never silently last-wins."""
    params = request.query_params
    if not params:
        return {}
    repeated = [name for name in params if len(params.getlist(name)) > 1]
    if repeated:
        raise ValidationFailed([{"field": name, "in": "query", "message": "give this parameter once"}
                                for name in repeated])  # fmt: skip
    return {name: params[name] for name in params}


def _empty_object(raw: bytes) -> bool:
    """Whether a body is an empty JSON object (``{}``, spaces allowed)."""
    return raw.strip().replace(b" ", b"").replace(b"\n", b"").replace(b"\t", b"").replace(b"\r", b"") == b"{}"


def parse_model(model: type[BaseModel], data: dict[str, Any], *, location: str) -> Any:
    """Validate already-decoded values (query strings) in lax mode, since they arrive as text."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ValidationFailed(_field_errors(e, location)) from None


LIMITS = ("ge", "gt", "le", "lt", "min_length", "max_length")  # the bound a schema error names, when it names one


_SCHEMA_TAG = re.compile(r"[\[(]|^[A-Z][A-Za-z0-9]*$")  # pydantic's own parts of a path: ``literal[…]``, ``Months``


def field_name(loc: tuple[int | str, ...]) -> str:
    """A schema error's field as the caller wrote it (``term.months``, ``items.0.sku``, a map's key as sent:
    ``kinds.wallet-topped-up.enabled``): without the tags pydantic puts in a union's or a validator's path
    (``function-after[…]``, ``literal['lifetime']``, a model's class name), which a walkthrough read as
    ``term.function-after[_no_control_characters_in_free_form_fields(), Months].months``."""
    return ".".join(str(part) for part in loc if isinstance(part, int) or not _SCHEMA_TAG.search(part))


def _field_errors(error: ValidationError, location: str) -> list[dict[str, str]]:
    """Each schema problem with its field, its English message, its ``code`` (the validator's stable error type, e.g.
    ``greater_than_equal``: clients say it in their own language; a walkthrough's console showed pydantic's English)
    and the ``limit`` it names, if any."""
    found = []
    for item in error.errors(include_url=False):
        context = item.get("ctx") or {}
        limit = next((str(context[name]) for name in LIMITS if name in context), None)
        named = context.get("error")
        loc = (*item["loc"], *named.field.split(".")) if isinstance(named, FieldInvalid) else item["loc"]
        found.append(
            {
                "field": field_name(loc),
                "in": location,
                "message": "unknown field"
                if item["type"] == "extra_forbidden"
                else item["msg"].removeprefix("Value error, "),
                "code": item["type"],
                **({"limit": limit} if limit is not None else {}),
            }
        )
    return found


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


PROOFS = frozenset({"member_code"})  # a body's proof that the member is there: a new one every minute, not content


def request_hash(request: Request, raw: bytes) -> str:
    """Fingerprint of a request: method, path and the body as canonical JSON (key order and spacing ignored),
    without its proofs (``PROOFS``): a retry carrying the next minute's member code is the same request.

    Keyed, because it is stored: a plain hash of a body holding a phone could be reversed by guessing.
    """
    try:
        body = json.loads(raw)
        if isinstance(body, dict):
            body = {name: value for name, value in body.items() if name not in PROOFS}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        canonical = raw.decode(errors="replace")
    return lookup_hash("request", f"{request.method} {concrete_path(request)}\n{canonical}")


def _idempotency_key(spec: EndpointSpec, request: Request, raw: bytes, caller: str) -> IdempotencyKey | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        if spec.idempotency == "required":
            raise PreconditionRequired("This operation requires an Idempotency-Key header")
        return None
    if not _IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed(
            [{"field": "Idempotency-Key", "in": "header", "message": "8 to 255 printable ASCII characters"}]
        )
    return IdempotencyKey(key=key, operation=spec.operation_id, request_hash=request_hash(request, raw), caller=caller)


def _if_match(request: Request) -> IfMatch:
    value = request.headers.get("if-match")
    if value is None:
        raise PreconditionRequired("This operation requires an If-Match header with the resource's ETag")
    if value.strip() == "*":
        return Expected(None)
    tags = [tag.strip() for tag in value.split(",")]
    if not all(re.fullmatch(r'(?:W/)?"[\x21\x23-\x7e]*"', tag) for tag in tags):
        raise ValidationFailed([{"field": "If-Match", "in": "header", "message": 'ETags such as "3", or *'}])
    strong = (tag.strip('"') for tag in tags if not tag.startswith("W/"))  # weak tags never match
    return Expected(frozenset(int(tag) for tag in strong if re.fullmatch(r"0|[1-9][0-9]{0,17}", tag)))  # as etag()


def etag(version: int) -> str:
    """The ETag of a resource version: its number, quoted."""
    return f'"{version}"'


def to_response(reply: Reply) -> Response:
    headers: dict[str, str | list[str]] = dict(reply.headers)
    if reply.body is None:
        return Response(body="", status_code=reply.status, headers=headers)
    headers.setdefault("Content-Type", "application/json")
    return Response(body=reply.body.model_dump_json(), status_code=reply.status, headers=headers)


def problem(error: DomainError, instance: str | None = None) -> dict[str, Any]:
    """The RFC 9457 document for a domain error."""
    document: dict[str, Any] = {
        "type": error.type_uri,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
    }
    if instance:
        document["instance"] = instance
    document.update(error.extensions)
    return document


def problem_response(error: DomainError, instance: str | None = None) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": PROBLEM_JSON, **error.headers}
    return Response(
        body=json.dumps(problem(error, instance), ensure_ascii=False), status_code=error.status, headers=headers
    )


INTERNAL_DETAIL = "The request failed unexpectedly; nothing was applied if it was a write. Retry later."
THROTTLED_DETAIL = "The store is busy; nothing was applied if it was a write. Retry shortly."


def _internal_error(instance: str) -> Response:
    return problem_response(InternalError(INTERNAL_DETAIL), instance=instance)


# Chalice answers some requests before a view runs; their bodies look like {"Code": ..., "Message": ...}.
_EARLY_ANSWERS: dict[int, type[DomainError]] = {
    400: MalformedRequest,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


def install_http_conventions(app: Chalice) -> None:
    """Register the middleware every route runs through, and the catch-all and CORS preflight routes."""

    @app.middleware("http")
    def http_conventions(request: Request, get_response: Callable[[Request], Response]) -> Response:
        request_id = _request_id(request)
        request.context["requestId"] = request_id  # the view's events and audit carry the same id
        logger.thread_safe_append_keys(request_id=request_id)  # the local server runs requests on threads
        try:
            response = get_response(request)
            response = _rewrite_early_answer(response, concrete_path(request))
            response.headers["X-Request-Id"] = request_id
            _add_cors_headers(request, response)
            logger.info(
                "request",
                extra={"method": request.method, "route": request.context.get("resourcePath"),
                       "status": response.status_code},
            )  # fmt: skip
            return response
        finally:
            logger.thread_safe_remove_keys(["request_id"])

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]

    @app.route("/", methods=methods, content_types=["*/*"])
    def unknown_root() -> Response:
        return problem_response(NotFound("No such route"), instance="/")

    @app.route("/{proxy+}", methods=methods, content_types=["*/*"])
    def unknown_route() -> Response:
        return problem_response(NotFound("No such route"), instance=concrete_path(_current_request(app)))


def install_preflight_routes(app: Chalice, routes: Iterable[Route]) -> None:
    """Answer CORS preflight (OPTIONS) on every path of the route index."""
    methods: dict[str, list[str]] = {}
    for route in routes:
        methods.setdefault(route.path, []).append(route.method)
    paths = sorted(methods)

    def preflight(**_: str) -> Response:
        request = _current_request(app)
        allowed = sorted(methods.get(str(request.context.get("resourcePath")), []))
        response = Response(body="", status_code=204, headers={"Allow": ", ".join([*allowed, "OPTIONS"])})
        if _allowed_origin(request):
            response.headers.update(
                {
                    "Access-Control-Allow-Methods": ", ".join([*allowed, "OPTIONS"]),
                    "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key, If-Match, "
                    "X-Request-Id, X-Partner-Id, X-Signature",
                    "Access-Control-Max-Age": "600",
                }
            )
        return response

    for path in paths:
        app.route(path, methods=["OPTIONS"], content_types=["*/*"], name=f"preflight{path}")(preflight)


ORIGIN_VERIFY_HEADER = "X-Origin-Verify"  # the stage's distribution sends its secret in it (infra/resources.py)
VIEWER_ADDRESS_HEADER = "CloudFront-Viewer-Address"  # the viewer's ip:port, as the distribution saw it
_PORT = re.compile(r"^[0-9]{1,5}$")


def source_ip(request: Request) -> str | None:
    """The client's address: the viewer's address CloudFront reports when the request came through the stage's own
    distribution, else the address the gateway saw.

    Behind CloudFront the gateway sees an edge's address, shared by every viewer it serves. The viewer's address
    (``CloudFront-Viewer-Address``) is only believed beside the origin secret the distribution adds
    (``X-Origin-Verify``): anyone calling the API directly can send that header, and without the secret it is ignored.
    """
    if _from_our_distribution(request):
        viewer = viewer_ip(str(request.headers.get(VIEWER_ADDRESS_HEADER.lower(), "")))
        if viewer is not None:
            return viewer
    identity = request.context.get("identity") or {}
    return str(identity.get("sourceIp")) if identity.get("sourceIp") else None


def _from_our_distribution(request: Request) -> bool:
    secret = get_settings().origin_verify_secret
    supplied = request.headers.get(ORIGIN_VERIFY_HEADER.lower())
    if not secret or not supplied:
        return False
    return hmac.compare_digest(str(supplied).encode(), secret.encode())


def viewer_ip(value: str) -> str | None:
    """The address in a ``CloudFront-Viewer-Address`` value, ``ip:port``: IPv4 (``198.51.100.10:46532``) or IPv6,
    unbracketed as CloudFront sends it (``2001:db8::1:46532``: the port is after the last colon) or bracketed
    (``[2001:db8::1]:46532``). None for anything else."""
    text = value.strip()
    if text.startswith("["):
        host, separator, port = text[1:].partition("]:")
    else:
        host, separator, port = text.rpartition(":")
    if not separator or not _PORT.match(port):
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _request_id(request: Request) -> str:
    supplied = str(request.headers.get("x-request-id", ""))
    if _REQUEST_ID.match(supplied):
        return supplied
    return str(request.context.get("requestId") or new_id("req_"))


def _rewrite_early_answer(response: Response, instance: str) -> Response:
    if response.status_code < 400 or not isinstance(response.body, dict) or "Code" not in response.body:
        return response
    status = response.status_code
    error_class = _EARLY_ANSWERS.get(status, InternalError if status >= 500 else MalformedRequest)
    detail = INTERNAL_DETAIL if status >= 500 else str(response.body.get("Message", ""))
    document = {**problem(error_class(detail), instance), "status": status}
    rewritten = Response(body=json.dumps(document, ensure_ascii=False), status_code=status,
                         headers={"Content-Type": PROBLEM_JSON})  # fmt: skip
    for name, value in response.headers.items():
        if name.lower() not in {"content-type", "content-length"}:
            rewritten.headers[name] = value
    return rewritten


def _allowed_origin(request: Request) -> str | None:
    origin = request.headers.get("origin")
    return str(origin) if origin and origin in get_settings().cors_origins else None


def _add_cors_headers(request: Request, response: Response) -> None:
    origin = _allowed_origin(request)
    response.headers["Vary"] = "Origin"
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = (
            "ETag, Location, Retry-After, WWW-Authenticate, X-Request-Id"
        )
