"""What the BI export writes, as pure functions: which events land in which file, each file's columns, and the file
itself (CSV in UTF-8 with a BOM, so Excel opens Chinese text, gzip-compressed, the same bytes for the same rows).

Each entity is a table partitioned by business day, the layout Athena (and Glue, Power BI's and Tableau's S3
connectors) read: a day's rows are in up to ``LANDING_SHARDS`` parts, ``bi/<entity>/dt=<YYYY-MM-DD>/part-<n>.csv.gz``,
each written by its own batch (a part without rows is not written). A member's events of a day are in one part, so
each member is in at most one part of a day's ``members``.

- facts, one row per event of the day: ``purchases``, ``refunds``, ``activities``, ``points_entries``,
  ``wallet_entries``, ``coupons``, ``mall_orders``, ``cards`` and ``member_changes``;
- details read when the file is written: a purchase's ``growth`` (growth value), ``purchase_lines`` (the day's
  purchases' lines) and ``members`` (the members changed that day as they stand then, without personal data: no
  name, member number, phone, email, birthday or address);
- ``daily_figures``: the statistics' figures of the day, one row per scope (the chain and each store that has any;
  by tier or payment method, group ``purchases`` by its columns).

Amounts are in fen and points in points, signed as the ledgers book them; instants are UTC ISO 8601; a value that
is a list or an object is written as JSON. Text that a spreadsheet would read as a formula (``=``, ``+``, ``-``,
``@`` before anything but a number) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import hmac
import io
import json
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.shared.clock import business_date

LANDING_SHARDS = 16  # partitions of a day's landed events: at 1,000 write units a second each (2 an event, written in
# transactions), a day lands 8,000 events a second
BOM = "\ufeff"
CORE = ("event_id", "event_type", "occurred_at", "business_day", "member_id", "store_id", "actor")
"""The columns every fact file starts with: the event, when it happened (UTC, and its business day), whose it was,
where, and who caused it (``staff:<id>``, ``partner:<id>``, ``member``, ``system`` ...)."""

FACTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # entity: (the event types it lands, the payload fields after the core columns)
    "purchases": (("purchase.recorded",),
                  ("partner_id", "order_id", "total_fen", "paid_fen", "payment_method", "tier", "points", "growth",
                   "ordered_at")),
    "refunds": (("refund.recorded",), ("partner_id", "order_id", "refund_id", "amount_fen", "points")),
    "activities": (("activity.recorded",), ("activity_key", "kind", "points", "limited", "tier")),
    "points_entries": (("points.earned", "points.opened", "points.adjusted", "points.redeemed",
                        "points.redemption-reversed", "points.clawed-back", "points.expired", "points.matured"),
                       ("seq", "points", "balance_after", "reason", "source_kind", "source_id", "expires_on",
                        "effective_from", "reason_en")),
    "wallet_entries": (("wallet.topped-up", "wallet.paid", "wallet.refunded", "wallet.cash-refunded",
                        "wallet.forfeited"),
                       ("partner_id", "payment_id", "plan_id", "order_id", "refund_id", "principal_fen", "bonus_fen",
                        "balance_after_fen", "gift_points", "reason", "payment_method", "reason_en")),
    "coupons": (("coupon.issued", "coupon.redeemed", "coupon.returned", "coupon.expired", "coupon.voided",
                 "coupon.transferred"),
                ("coupon_ref", "template_id", "source_kind", "count", "face_value_fen", "discount_fen", "order_id",
                 "redemption_id", "valid_until", "reason", "to_member_id", "to_coupon_ref")),
    "mall_orders": (("mall.order-placed", "mall.order-paid", "mall.order-shipped", "mall.order-ready-for-pickup",
                     "mall.order-completed", "mall.order-cancelled", "mall.order-refunded"),
                    ("order_id", "reward_id", "kind", "quantity", "points", "cash_fen", "status", "pickup_store_id")),
    "cards": (("membership.card-paid", "membership.card-lapsed", "membership.card-cancelled",
               "membership.benefit-used", "membership.benefit-use-reversed", "membership.card-paused",
               "membership.card-resumed", "membership.card-activated", "membership.card-extended"),
              ("card_id", "plan_id", "kind", "method", "payment_id", "amount_fen", "refund_fen", "valid_until",
               "lapsed_on", "benefit_id", "use_id", "remaining", "payment_method", "order_id", "pause_id",
               "first_day", "last_day", "days", "days_back", "extension_id", "was_valid_until", "student_id")),
    "member_changes": (("member.registered", "member.updated", "member.erased", "tier.changed", "consent.changed"),
                       ("source", "home_store_id", "registered_at", "import_id", "tier", "previous",
                        "reason", "changed", "consents", "changes", "consent_source")),
    "gift_cards": (("giftcard.sold", "giftcard.redeemed"),
                   ("order_id", "payment_method", "amount_fen", "count", "batches", "batch_id", "card_ends")),
}  # fmt: skip
DETAILS: dict[str, tuple[str, ...]] = {
    "purchase_lines": ("partner_id", "order_id", "member_id", "store_id", "business_day", "line_id", "sku",
                       "category", "brand", "quantity", "amount_fen", "paid_fen", "name"),
    "members": ("business_day", "member_id", "status", "tier", "home_store_id", "city", "region", "source",
                "registered_at", "birth_month", "tags", "consents", "erased_at"),
    "daily_figures": ("business_day", "scope"),  # then the statistics' figure names (``figure_columns``)
}  # fmt: skip
ENTITY_OF = {event_type: entity for entity, (types, _) in FACTS.items() for event_type in types}
LANDED_TYPES = tuple(sorted(ENTITY_OF))


def columns_of(entity: str) -> tuple[str, ...]:
    """The columns of an entity's file, in order."""
    if entity in FACTS:
        return CORE + FACTS[entity][1]
    return DETAILS[entity]


def landing_partition(business_day: date, event: Mapping[str, Any]) -> str:
    """Where an event of ``business_day`` lands: the day and a shard of its member (of its id when it has none), so
    a member's events of a day are in one part."""
    key = member_of(event) or str(event["event_id"])
    return f"{business_day.isoformat()}#{zlib.crc32(key.encode()) % LANDING_SHARDS}"


def parts(first: date, last: date) -> list[str]:
    """The parts of the days from ``first`` through ``last``: ``<YYYY-MM-DD>#<shard>``, a landing partition each."""
    keys, day = [], first
    while day <= last:
        keys += [f"{day.isoformat()}#{shard}" for shard in range(LANDING_SHARDS)]
        day = date.fromordinal(day.toordinal() + 1)
    return keys


def member_of(event: Mapping[str, Any]) -> str | None:
    """The member an event is about: its payload's, else its subject's (``member/<id>``)."""
    payload = event.get("payload") or {}
    if isinstance(payload.get("member_id"), str):
        return str(payload["member_id"])
    subject = str(event.get("subject") or "")
    return subject.removeprefix("member/") if subject.startswith("member/") else None


SPENT_FROM_WALLET = (
    "wallet.paid",
    "wallet.cash-refunded",
    "wallet.forfeited",
)  # their rows' amounts are negative, as the books have them


def fact_row(event: Mapping[str, Any], tz: ZoneInfo, key: bytes) -> tuple[str, dict[str, Any]] | None:
    """The file an event lands in and its row there, or None for an event no file holds; ``key`` keys the hash that
    names a coupon (``coupon_ref``: the same coupon has the same reference in every file, its code is in none)."""
    entity = ENTITY_OF.get(str(event.get("type")))
    if entity is None:
        return None
    payload = event.get("payload") or {}
    occurred_at = str(event["occurred_at"])
    row: dict[str, Any] = {
        "event_id": event["event_id"], "event_type": event["type"], "occurred_at": occurred_at,
        "business_day": business_day_of(occurred_at, tz).isoformat(), "member_id": member_of(event),
        "store_id": payload.get("store_id"), "actor": actor_kind(str(event.get("actor") or "system")),
    }  # fmt: skip
    for name in FACTS[entity][1]:
        row[name] = payload.get(name)
    if entity == "wallet_entries" and event["type"] in SPENT_FROM_WALLET:  # the events carry amounts moved
        row.update({name: -int(row[name]) for name in ("principal_fen", "bonus_fen") if row[name] is not None})
    if event["type"] == "wallet.cash-refunded" and payload.get("gift_points_forfeited"):  # pending gift points lost
        row["gift_points"] = -int(payload["gift_points_forfeited"])
    if event["type"] == "membership.card-cancelled":  # its refund's parts say how each payment went back (a salon's
        # walkthrough: the files left them empty, where the store's card journal said them)
        parts = [part for part in payload.get("parts") or [] if int(part.get("amount_fen") or 0) > 0]
        for name in ("method", "payment_id", "payment_method", "order_id"):
            row[name] = ";".join(dict.fromkeys(str(part[name]) for part in parts if part.get(name))) or None
    if entity == "coupons":  # a coupon's code is what redeems it: the files name it by a keyed hash instead
        row["coupon_ref"] = coupon_ref(payload.get("code"), key)
        row["to_coupon_ref"] = coupon_ref(payload.get("to_code"), key)  # a friend's coupon, in place of the giver's
    return entity, row


def coupon_ref(code: Any, key: bytes) -> str | None:
    """A coupon's name in the files: a keyed hash of its code, the same in every file."""
    return hmac.new(key, str(code).encode(), hashlib.sha256).hexdigest()[:24] if code else None


def actor_kind(actor: str) -> str:
    """Who caused an event, without naming a member: staff and partners by id, members as ``member``."""
    return "member" if actor.startswith("member:") else actor


def business_day_of(occurred_at: str, tz: ZoneInfo) -> date:
    return business_date(datetime.fromisoformat(occurred_at), tz)


_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_BREAKS = re.compile(r"[\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]+")


def cell(value: Any) -> str:
    """A value as a CSV cell: empty for none, JSON for a list or an object, true/false for a flag; line breaks and
    control characters as a space, and text a spreadsheet would take for a formula behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    else:
        text = str(value)
    text = _BREAKS.sub(" ", text)  # one line a row: Athena and Hive read a line as a row
    if text[:1] in ("=", "+", "-", "@") and not _NUMBER.match(text):
        return "'" + text
    return text


def csv_file(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """A CSV file: a BOM, the header, then each row's cells in ``columns``' order (lines end in CRLF)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(name)) for name in columns])
    return buffer.getvalue().encode("utf-8")


def gzipped(data: bytes) -> bytes:
    """``data`` gzip-compressed, the same bytes each time (no timestamp in the header)."""
    return gzip.compress(data, mtime=0)


def file_key(entity: str, part: str) -> str:
    """Where a part of a day's file of an entity lands (``part``: ``<YYYY-MM-DD>#<shard>``), under ``bi/``."""
    day, _, shard = part.partition("#")
    return f"bi/{entity}/dt={day}/part-{shard}.csv.gz"


def entities() -> list[str]:
    """Every file of a day, facts first."""
    return [*FACTS, *DETAILS]


def flattened(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A row with nested objects spread into dotted columns (``issued_by_source.purchases``), and lists of objects by
    their first field's value (``by_store.stores.SH-001.points``; a null value is ``none``)."""
    flat: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, Mapping):
            flat |= flattened(value, f"{prefix}{name}.")
        elif isinstance(value, list) and all(isinstance(item, Mapping) and item for item in value):
            for item in value:
                first, *rest = item.items()
                flat |= flattened(dict(rest), f"{prefix}{name}.{'none' if first[1] is None else first[1]}.")
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def report_table(answer: Mapping[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """A report as a table: its rows (``items``) then a ``total`` row of its totals, or, for a report without rows
    (the liability), its one row; columns in the order they first appear."""
    if "items" in answer:
        rows = [flattened(item) for item in answer["items"]]
        rows.append({"period": "total", **flattened(answer.get("totals") or {})})
    else:
        rows = [flattened(answer)]
    columns: dict[str, None] = {}
    for row in rows:
        columns |= dict.fromkeys(row)
    return list(columns), rows


_NOT_A_WORD = re.compile(r"[^0-9A-Za-z_\u4e00-\u9fff-]+")


def file_word(value: str) -> str:
    """A scope's name (a store, a region, a city) as a part of a file name: letters, digits, Chinese characters, ``_``
    and ``-`` kept, anything else (a ``/``, a dot) an underscore, so it never names a path."""
    return _NOT_A_WORD.sub("_", value)
