"""Platform routes: health, the OpenAPI document and the docs page (assets served from the package)."""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path
from typing import Literal

from chalice.app import Response
from pydantic import Field

from chalicelib.identity.access import PUBLIC
from chalicelib.shared import clock
from chalicelib.shared.errors import NotFound
from chalicelib.shared.http import Reply, RequestContext, Schema, endpoint
from chalicelib.shared.openapi import build_document
from chalicelib.shared.settings import get_settings

STATIC = Path(__file__).parent / "static"
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
}
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loyalty platform API</title>
<link rel="stylesheet" href="/v1/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/v1/docs/assets/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/v1/openapi.json", dom_id: "#ui", deepLinking: true});</script>
</body></html>"""


class Health(Schema):
    """The API is up."""

    status: Literal["ok"] = Field(description="always `ok` when it answers")
    version: str = Field(description="the platform's version")
    storage: Literal["emulator", "aws"] = Field(description="`emulator` locally, `aws` when deployed")
    stage: str = Field(description="the deployment stage, e.g. `dev`, `prod`, `local`")
    today: date = Field(description="the business day the platform's clock says it is (a test clock moves it)")
    time_zone: str = Field(description="the business time zone its days are counted in (`LOYALTY_TZ`)")


@endpoint(
    "/v1/health",
    "GET",
    summary="Liveness, version and storage kind",
    tag="platform",
    access=PUBLIC,
    response=Health,
)
def health(ctx: RequestContext) -> Reply:
    """Whether the API answers, its version, its storage (`emulator` locally, `aws` deployed), its stage, and the
    business day it is there (the front ends' "today", moved by a test clock on a stage that allows one). Reads no
    table (but a moved test clock's, at most every two seconds), so it stays up when the database is slow; use it for
    load balancer and uptime checks."""
    settings = get_settings()
    return Reply(Health(status="ok", version=settings.version, storage=settings.storage, stage=settings.stage,
                        today=clock.business_today(), time_zone=settings.tz.key))  # fmt: skip


@functools.cache
def _openapi_json() -> str:
    return json.dumps(build_document(), ensure_ascii=False)


@endpoint("/v1/openapi.json", "GET", summary="This API's OpenAPI 3.1 document", tag="platform", access=PUBLIC)
def openapi(ctx: RequestContext) -> Response:
    """This document: OpenAPI 3.1 generated from the code's routes and schemas (never written by hand), cached
    five minutes by clients. A committed copy lives at `docs/openapi.json`."""
    return Response(body=_openapi_json(), headers={"Content-Type": "application/json", "Cache-Control": "max-age=300"})


@endpoint("/v1/docs", "GET", summary="Interactive API docs", tag="platform", access=PUBLIC, content_type="text/html")
def docs(ctx: RequestContext) -> Response:
    """Swagger UI over this API's OpenAPI document. Its scripts and styles are served by this API
    (`/v1/docs/assets/...`), not a CDN, so the page works offline and inside China."""
    return Response(body=DOCS_PAGE, headers={"Content-Type": "text/html; charset=utf-8"})


@endpoint("/v1/docs/assets/{name}", "GET", summary="Docs page assets", tag="platform", access=PUBLIC,
          content_type="application/javascript", errors=(NotFound,))  # fmt: skip
def docs_asset(ctx: RequestContext, name: str) -> Response:
    """A static file of the docs page (Swagger UI's script or style sheet), cached a day. Any other name is 404."""
    if name not in ASSETS or not (STATIC / name).is_file():
        raise NotFound(f"No asset {name!r}")
    headers: dict[str, str | list[str]] = {"Content-Type": ASSETS[name], "Cache-Control": "max-age=86400"}
    return Response(body=(STATIC / name).read_text(encoding="utf-8"), headers=headers)
