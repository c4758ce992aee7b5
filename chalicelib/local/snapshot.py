"""The committed OpenAPI snapshot and how to build the current document without AWS."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"

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


def current_document() -> dict[str, Any]:
    """The OpenAPI document the code describes now (importing the app needs settings, not AWS)."""
    for name, value in _PLACEHOLDERS.items():
        os.environ.setdefault(name, value)
    import app  # noqa: F401  registers every route
    from chalicelib.shared.openapi import build_document

    return build_document()
