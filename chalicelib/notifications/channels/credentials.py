"""Provider credentials, read from Secrets Manager once per process (a secret is a JSON object)."""

from __future__ import annotations

import functools
import json
from typing import Any

from chalicelib.notifications.channels.delivery import Rejected
from chalicelib.shared.settings import get_settings


@functools.cache
def provider_secret(secret_id: str) -> dict[str, str]:
    """The JSON object held by ``secret_id``; a missing or malformed secret stops sending as not configured."""
    from botocore.exceptions import ClientError

    try:
        text = _secrets().get_secret_value(SecretId=secret_id)["SecretString"]
    except ClientError as e:
        raise Rejected("not-configured", f"secret {secret_id}: {e.response['Error']['Code']}") from e
    try:
        values = json.loads(text)
    except ValueError as e:
        raise Rejected("not-configured", f"secret {secret_id} is not JSON") from e
    if not isinstance(values, dict):
        raise Rejected("not-configured", f"secret {secret_id} is not a JSON object")
    return {str(key): str(value) for key, value in values.items()}


def required(values: dict[str, str], secret_id: str, *names: str) -> list[str]:
    """The values of ``names`` in a provider secret, in order; a missing one is a configuration error."""
    if missing := [name for name in names if not values.get(name)]:
        raise Rejected("not-configured", f"secret {secret_id} lacks {', '.join(missing)}")
    return [values[name] for name in names]


@functools.cache
def _secrets() -> Any:
    from chalicelib.shared import aws

    return aws.client("secretsmanager", get_settings().region)
