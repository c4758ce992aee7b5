"""The AWS clients the channel senders share, made once per process, and how their errors read."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from chalicelib.notifications.channels.delivery import Failure, SendFailed, Transient, failure_for
from chalicelib.shared.settings import get_settings


@functools.cache
def client(service: str, region: str | None = None) -> Any:
    """A client of ``service`` in ``region`` (the stage's own by default)."""
    from chalicelib.shared import aws

    return aws.client(service, region or get_settings().region)


def aws_failure(error: Exception, table: Mapping[str, Failure]) -> SendFailed:
    """The exception for a failed AWS call: its error code read through ``table``; no answer at all is transient."""
    from botocore.exceptions import ClientError

    if not isinstance(error, ClientError):
        return Transient("network", str(error))
    details = error.response.get("Error", {})
    if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        return Transient("provider-unavailable", f"{details.get('Code', '')} {details.get('Message', '')}".strip())
    return failure_for(details.get("Code", ""), table, details.get("Message", ""))
