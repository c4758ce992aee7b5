"""Points figures: DynamoDB requests per redemption, balance read and signed purchase webhook, items the
expiry job reads per lot it expires (50,000 accounts, 500 due), what reconciliation costs per account it checks
(500 written the day before), and in-process latency next to a raw GetItem.

Prints one JSON object. Latencies are in-process against the moto emulator on a shared machine: compare
them as ratios to ``raw_get_p50`` from the same run, never as absolute numbers.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta

from harness import ITEMS_READ, emulator, latency_ms, requests_of, scaled, signed_purchases, write_units_of

MEMBERS = scaled(50_000)
DUE = scaled(500)
CHECKED = scaled(500, least=50)


def figures() -> dict[str, object]:
    import boto3

    from chalicelib.members.records import MemberRecord
    from chalicelib.points import service
    from chalicelib.shared.http import IdempotencyKey

    result: dict[str, object] = {}
    with emulator():

        def member(i: int) -> str:
            member_id = f"mb_bench{i:08d}"
            MemberRecord(member_id, member_no=f"{i:010d}", name="会员", gender="undisclosed", source="store",
                         registered_at="2026-01-01T00:00:00Z", registered_month="2026-01",
                         registered_key=f"2026-01-01T00:00:00Z#{member_id}", status="active", tier="normal",
                         created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z").save()  # fmt: skip
            return member_id

        spender = member(0)
        service.earn(spender, 1_000_000, source_kind="order", source_id="bench", reason="bench", key=None)
        keys = itertools.count()

        def redeem(i: int = 0) -> object:
            n = next(keys)
            key = IdempotencyKey(
                key=f"bench-redeem-{n}", operation="points.redeem", request_hash=str(n), caller="bench"
            )
            return service.redeem(spender, 1, "bench", key)

        counted = {
            "requests_per_redemption": redeem,
            "requests_per_balance_read": lambda: service.balance(spender),
            "requests_per_ledger_page": lambda: service.ledger_page(spender, 50, None),
        }
        for name, operation in counted.items():
            total, by_operation = requests_of(operation)
            result[name] = {"total": total, "by_operation": by_operation}

        raw = boto3.client("dynamodb", region_name="cn-north-1")
        key = {"holder": {"S": spender}}
        latencies = {
            "raw_get": latency_ms(lambda i: raw.get_item(TableName="loyalty-bench-ledger-accounts", Key=key)),
            "balance_read": latency_ms(lambda i: service.balance(spender)),
            "redemption": latency_ms(redeem, runs=100),
            "ledger_page": latency_ms(lambda i: service.ledger_page(spender, 50, None)),
        }
        purchase_requests, purchase_latency, purchase_units = _purchase_path(spender)
        result["requests_per_purchase"] = purchase_requests
        result["write_units_per_purchase"] = purchase_units
        latencies["purchase_webhook"] = purchase_latency
        raw_p50 = latencies["raw_get"]["p50"]
        result["latency_ms"] = latencies
        result["raw_get_p50"] = raw_p50
        result["ratio_to_raw_get_p50"] = {
            name: round(values["p50"] / raw_p50, 2) for name, values in latencies.items() if name != "raw_get"
        }
        result.update(_expiry_reads(member, MEMBERS, DUE))
        result.update(_reconciliation(member, MEMBERS, CHECKED))
    return result


def _purchase_path(member_id: str) -> tuple[dict[str, object], dict[str, float], dict[str, object]]:
    """A signed purchase through the whole HTTP path (signature, rules, scoring, one transaction), with the
    partner's secrets and the rules already cached, as they are on a warm function; and what it writes."""
    with signed_purchases() as post:

        def purchase(i: int = 0) -> None:
            post(member_id, 12_300)

        purchase()  # warm: the partner's secrets and the rules are cached from here on
        total, by_operation = requests_of(purchase)
        units = write_units_of(purchase)
        return {"total": total, "by_operation": by_operation}, latency_ms(purchase, runs=100), units


def _expiry_reads(member: Callable[[int], str], members: int, due: int) -> dict[str, object]:
    """``members`` accounts with lots expiring over the coming year, ``due`` of them today; one expiry run."""
    from chalicelib.ledger.records import LedgerAccountRecord
    from chalicelib.points import jobs
    from chalicelib.shared import clock
    from chalicelib.shared.dateindex import due_keys
    from chalicelib.shared.jobs import JobRecord, run_job
    from chalicelib.shared.settings import get_settings

    as_of, tz = date(2026, 6, 30), get_settings().tz
    rng = random.Random(7)
    due_ids = set(rng.sample(range(1, members + 1), due))
    with LedgerAccountRecord.batch_write() as batch:
        for i in range(1, members + 1):
            member_id = member(i) if i in due_ids else f"mb_bench{i:08d}"
            expires = as_of if i in due_ids else as_of + timedelta(days=rng.randint(1, 365))
            points = {"lots": [[expires.isoformat(), None, 100]], "debt": 0, "earned": 100, "deducted": 0,
                      "redeemed": 0, "expired": 0}  # fmt: skip
            month_key, day_key = due_keys(expires, member_id)
            batch.save(LedgerAccountRecord(
                member_id, rev=1, books=json.dumps({"points": points}), seqs=json.dumps({"points": 0}),
                expiry_month=month_key, expiry_due=day_key,
            ))  # fmt: skip
    JobRecord("expire-points", "watermark", as_of=(as_of - timedelta(days=1)).isoformat()).save()
    ITEMS_READ.clear()
    with clock.frozen(datetime.combine(as_of + timedelta(days=1), datetime.min.time(), tz)):
        report = run_job(jobs.expire_points, as_of)
    reads = sum(ITEMS_READ.values())
    return {
        "expiry_accounts": members,
        "expiry_lots_due": due,
        "expiry_lots_expired": report.processed,
        "expiry_items_read": reads,
        "expiry_items_read_by_operation": dict(ITEMS_READ),
        "expiry_reads_per_due_lot": round(reads / max(report.processed, 1), 3),  # a key from the index, an account
    }


def _reconciliation(member: Callable[[int], str], after: int, accounts: int) -> dict[str, object]:
    """``accounts`` members who each earned on the day that ended; one nightly reconciliation: requests, items read
    and write units per account it checks (a read, a query of the new entries, a share of a checkpoint commit)."""
    from chalicelib.ledger.jobs import reconcile_ledger
    from chalicelib.points import service
    from chalicelib.shared import clock
    from chalicelib.shared.jobs import JobRecord, run_job
    from chalicelib.shared.settings import get_settings

    day, tz = date(2026, 8, 3), get_settings().tz  # a month after the expiry bench's accounts were last written
    with clock.frozen(datetime.combine(day, datetime.min.time(), tz) + timedelta(hours=12)):
        for i in range(after + 1, after + accounts + 1):
            service.earn(member(i), 10, source_kind="order", source_id=f"r{i}", reason="bench", key=None)
    JobRecord(reconcile_ledger.name, "watermark", as_of=(day - timedelta(days=1)).isoformat()).save()
    done: list[object] = []
    ITEMS_READ.clear()
    with clock.frozen(datetime.combine(day + timedelta(days=1), datetime.min.time(), tz) + timedelta(hours=3)):
        units = write_units_of(lambda: done.append(requests_of(lambda: run_job(reconcile_ledger, day))))
    (total, by_operation), reads = done[0], sum(ITEMS_READ.values())
    assert isinstance(total, int)
    return {
        "reconcile_accounts": accounts,
        "reconcile_requests_per_account": round(total / accounts, 3),
        "reconcile_requests_by_operation": by_operation,
        "reconcile_items_read_per_account": round(reads / accounts, 3),
        "reconcile_write_units_per_account": round(units["total"] / accounts, 3),
    }


if __name__ == "__main__":
    print(json.dumps({"bench": "points", **figures()}, indent=2))
