"""A store's journal (储值流水, 会员卡流水): lines kept by store in the order booked, each ``entry`` starting with its
instant (``<instant>#…``), so the lines of a range of business days are one query, newest first."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from chalicelib.shared import clock
from chalicelib.shared.db import Record, one_page
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.settings import get_settings

R = TypeVar("R", bound=Record)


def page_of_days(
    record: type[R], name: str, store_id: str, first: date, last: date, limit: int, cursor: str | None
) -> tuple[list[R], str | None]:
    """A page of ``limit`` of the store's ``record`` lines of business days ``first`` through ``last``, newest
    first, and the cursor of the next (its scope names the journal, the store and the days)."""
    starts, ends = clock.business_days_span(first, last, get_settings().tz)
    scope = f"{name}|{store_id}|{first}|{last}"
    results = record.query(
        store_id, record.entry.between(starts, f"{ends}#~"), scan_index_forward=False,  # type: ignore[attr-defined]
        page_size=limit, last_evaluated_key=decode_cursor(scope, cursor),
    )  # fmt: skip
    records, last_key = one_page(record, results)
    return records, encode_cursor(scope, last_key)
