"""What the endpoint declarations generate and the repository commits: the OpenAPI snapshot and the route index
``app.py`` registers; both are built without AWS."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
ROUTE_INDEX = Path(__file__).resolve().parents[1] / "routes.py"

_PLACEHOLDERS = {
    "LOYALTY_TABLE_PREFIX": "loyalty-snapshot",
    "LOYALTY_EVENTS_TOPIC_ARN": "arn:aws:sns:cn-north-1:000000000000:loyalty-snapshot-events",
    "LOYALTY_JOBS_QUEUE_URL": "https://sqs.invalid/loyalty-snapshot-jobs",
    "LOYALTY_IMPORTS_QUEUE_URL": "https://sqs.invalid/loyalty-snapshot-imports",
    "LOYALTY_IMPORTS_BUCKET": "loyalty-snapshot-imports",
    "LOYALTY_CURSOR_SECRET": "snapshot-only-secret-never-used-for-data",
    "LOYALTY_LOOKUP_HASH_KEY": "snapshot-only-lookup-key-never-used-for-data",
    "LOYALTY_JWT_SECRET": "snapshot-only-jwt-secret-never-used-for-tokens",
    "LOYALTY_LOCAL_KEY_FILE": "/nonexistent/snapshot-master.key",
}


def _declare_everything() -> None:
    """Import every declaration (that needs settings, not AWS)."""
    for name, value in _PLACEHOLDERS.items():
        os.environ.setdefault(name, value)
    import chalicelib.declarations  # noqa: F401


def current_document() -> dict[str, Any]:
    """The OpenAPI document the code describes now."""
    _declare_everything()
    from chalicelib.shared.openapi import build_document

    return build_document()


def current_route_index() -> str:
    """The text of ``chalicelib/routes.py`` as the declarations describe the routes now."""
    _declare_everything()
    from chalicelib.shared.http import declared_routes

    lines = "".join(f"    Route({_route_arguments(route)}),\n" for route in declared_routes())
    return f'''"""Every HTTP route and the module declaring it, generated from the ``endpoint`` declarations by
``python -m chalicelib.cli openapi`` (``--check`` and a test fail when it drifts): do not edit. ``app.py`` registers
these routes with Chalice and imports a route's module on its first request."""

from chalicelib.shared.http import Route

ROUTES = (
{lines})
'''


def _route_arguments(route: Any) -> str:
    named = [json.dumps(part) for part in route[:4]]
    if route.accepts:
        named.append(f"accepts=({', '.join(json.dumps(kind) for kind in route.accepts)},)")
    return ", ".join(named)
