"""Identifiers: ULIDs, sortable by creation time, generated on call (never at import)."""

from __future__ import annotations

from chalicelib.shared import clock

COUNTER = "counter"  # the seller the console's counter books its sales, payments and top-ups under: no partner's id


def new_id(prefix: str = "") -> str:
    """A new ULID string, optionally prefixed (``st_01J...``) so ids say what they name."""
    from ulid import ULID  # imported on first use: a cold start that makes no id does not load it

    return f"{prefix}{ULID.from_datetime(clock.now())}"
