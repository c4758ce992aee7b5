"""Tier figures: items the nightly ``recalculate-tiers`` job reads per member due for review (50,000
accounts above the lowest tier, 500 of them due), and DynamoDB requests of a signed purchase that upgrades
the member (points, growth, the upgrade and its gift in one transaction), with its latency next to a raw
GetItem and next to a purchase that upgrades nobody.

Prints one JSON object. Latencies are in-process against the moto emulator on a shared machine: compare
them as ratios to ``raw_get_p50`` from the same run, never as absolute numbers.
"""

from __future__ import annotations

import itertools
import json
import random
from datetime import date, datetime, timedelta

from harness import ITEMS_READ, emulator, latency_ms, requests_of, scaled, signed_purchases

MEMBERS = scaled(50_000)
DUE = scaled(500)
CNY = 100


def figures() -> dict[str, object]:
    import boto3

    result: dict[str, object] = {}
    with emulator():
        counter = itertools.count()
        near = [_member(f"mb_near{next(counter):08d}", spent_fen=999 * CNY) for _ in range(110)]
        with signed_purchases() as post:
            post(near.pop(), 100 * CNY)  # warm: partner secrets, rules and the programme are cached
            total, by_operation = requests_of(lambda: post(near.pop(), 100 * CNY))
            result["requests_per_upgrading_purchase"] = {"total": total, "by_operation": by_operation}
            steady = _member("mb_steady", spent_fen=0)
            raw = boto3.client("dynamodb", region_name="cn-north-1")
            key = {"holder": {"S": steady}}
            latencies = {
                "raw_get": latency_ms(lambda i: raw.get_item(TableName="loyalty-bench-ledger-accounts", Key=key)),
                "upgrading_purchase": latency_ms(lambda i: post(near.pop(), 100 * CNY), runs=100),
                "plain_purchase": latency_ms(lambda i: post(steady, 100), runs=100),
            }
        raw_p50 = latencies["raw_get"]["p50"]
        result["latency_ms"] = latencies
        result["raw_get_p50"] = raw_p50
        result["ratio_to_raw_get_p50"] = {
            name: round(values["p50"] / raw_p50, 2) for name, values in latencies.items() if name != "raw_get"
        }
        result.update(_recalc_reads(MEMBERS, DUE))
    return result


def _member(member_id: str, spent_fen: int) -> str:
    """A member whose account has ``spent_fen`` paid this month (the clothing programme counts paid fen)."""
    from chalicelib.ledger.records import LedgerAccountRecord
    from chalicelib.members.records import MemberRecord

    MemberRecord(member_id, member_no=member_id[-10:], name="会员", gender="undisclosed", source="store",
                 registered_at="2026-01-01T00:00:00Z", registered_month="2026-01",
                 registered_key=f"2026-01-01T00:00:00Z#{member_id}", status="active", tier="normal",
                 created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z").save()  # fmt: skip
    if spent_fen:
        growth = {"growth": 0, "paid_fen": spent_fen, "months": {"2026-11": [0, spent_fen]}}
        LedgerAccountRecord(member_id, rev=1, books=json.dumps({"growth": growth})).save()
    return member_id


def _recalc_reads(members: int, due: int) -> dict[str, object]:
    """``members`` gold accounts whose reviews fall over the coming year, ``due`` of them today; one run."""
    from chalicelib.ledger.records import LedgerAccountRecord
    from chalicelib.shared import clock
    from chalicelib.shared.dateindex import due_keys
    from chalicelib.shared.jobs import JobRecord, run_job
    from chalicelib.shared.settings import get_settings
    from chalicelib.tiers import jobs, programmes

    as_of, tz = date(2028, 1, 20), get_settings().tz
    grace = programmes.programme().grace_days
    rng = random.Random(7)
    due_ids = set(rng.sample(range(members), due))
    with LedgerAccountRecord.batch_write() as batch:
        for i in range(members):
            member_id = f"mb_tier{i:08d}"
            review_on = as_of if i in due_ids else as_of + timedelta(days=rng.randint(1, 365))
            valid_until = review_on - timedelta(days=grace + 1)
            tier = {
                "tier": "gold",
                "since": "2026-06-01",
                "until": valid_until.isoformat(),
                "override": None,
                "warned_for": valid_until.isoformat(),
                "programme": 0,
                "review": review_on.isoformat(),
            }
            growth = {"growth": 0, "paid_fen": 3_000 * CNY, "months": {"2026-06": [0, 3_000 * CNY]}}
            batch.save(LedgerAccountRecord(
                member_id, rev=1, books=json.dumps({"tier": tier, "growth": growth}),
                review_month=due_keys(review_on, member_id)[0], review_due=due_keys(review_on, member_id)[1],
            ))  # fmt: skip
    JobRecord(jobs.recalculate_tiers.name, "watermark", as_of=(as_of - timedelta(days=1)).isoformat()).save()
    ITEMS_READ.clear()
    with clock.frozen(datetime.combine(as_of, datetime.min.time(), tz) + timedelta(hours=1)):
        report = run_job(jobs.recalculate_tiers, as_of)
    reads = sum(ITEMS_READ.values())
    return {
        "recalc_accounts": members,
        "recalc_members_due": due,
        "recalc_tallies": report.tallies,
        "recalc_items_read": reads,
        "recalc_items_read_by_operation": dict(ITEMS_READ),
        "recalc_reads_per_due_member": round(reads / due, 3),
    }


if __name__ == "__main__":
    print(json.dumps({"bench": "tiers", **figures()}, indent=2))
