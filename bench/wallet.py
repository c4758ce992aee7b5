"""Stored value figures: DynamoDB requests per signed top-up, wallet payment and refund (with and without the
member named), per cash refund, wallet read, page of entries and statement (counted at the client, as
bench/points.py counts them), the items each write's transaction holds, and in-process latency next to a raw
GetItem.

Every call goes through the whole HTTP path in-process (signature or token, parsing, the service, the engine), on
a warm function: the partner's secrets, the store, the plan and the staff session are cached after the first.
Prints one JSON object. Latencies are in-process against the moto emulator on a shared machine: compare them as
ratios to ``raw_get_p50`` from the same run, never as absolute numbers.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import botocore.handlers
from harness import STORE, admin_auth, emulator, latency_ms, requests_of

os.environ["LOYALTY_WALLET_MAX_BALANCE_FEN"] = "0"  # no limit per member: one member takes every top-up here

TRANSACTION_ITEMS: Counter[int] = Counter()  # items per TransactWriteItems, over the last counted call


def _count_transaction_items(request: Any, **kwargs: Any) -> None:
    """pynamodb sends its requests below botocore's client events: read the items off the request itself."""
    target = request.headers.get("X-Amz-Target", b"")
    if (target.decode() if isinstance(target, bytes) else target).endswith(".TransactWriteItems"):
        TRANSACTION_ITEMS[len(json.loads(request.body)["TransactItems"])] += 1


botocore.handlers.BUILTIN_HANDLERS.append(("before-send.dynamodb", _count_transaction_items))


def figures() -> dict[str, object]:
    import boto3
    from chalice.test import Client

    from chalicelib.identity.partners import create_partner
    from chalicelib.identity.signatures import signature_header
    from chalicelib.local import gateway
    from chalicelib.members.records import MemberRecord
    from chalicelib.shared import clock
    from chalicelib.stores.schemas import StoreCreate
    from chalicelib.stores.service import create_store

    result: dict[str, object] = {}
    with emulator():
        gateway.install()
        import app

        member_id = "mb_bench00000001"
        MemberRecord(
            member_id,
            member_no="0000000001",
            name="会员",
            gender="undisclosed",
            source="store",
            registered_at="2026-01-01T00:00:00Z",
            registered_month="2026-01",
            registered_key=f"2026-01-01T00:00:00Z#{member_id}",
            status="active",
            tier="normal",
            created_at="2026-01-01T00:00:00Z",
            updated_at="2026-01-01T00:00:00Z",
        ).save()
        create_store(StoreCreate(store_id=STORE, name="上海一店", city="上海", region="华东"))
        issued = create_partner("bench POS", [], enrols_members=False)
        auth = {"content-type": "application/json", **admin_auth()}
        ids = itertools.count()
        with Client(app.app, stage_name="local") as client:

            def signed(path: str, body: dict[str, Any]) -> dict[str, Any]:
                raw = json.dumps(body).encode()
                headers = {
                    "content-type": "application/json",
                    "x-partner-id": issued.partner.partner_id,
                    "x-signature": signature_header(issued.secret, int(time.time()), raw, "POST", path),
                }
                answer = client.http.post(path, headers=headers, body=raw)
                assert answer.status_code == 200, answer.body
                return dict(json.loads(answer.body))

            def staff(method: str, path: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
                raw = json.dumps(body).encode() if body is not None else b""
                answer = getattr(client.http, method)(path, headers={**auth, **headers}, body=raw)
                assert answer.status_code in (200, 201), answer.body
                return json.loads(answer.body)

            staff(
                "post",
                "/v1/wallet/plans",
                {
                    "plan_id": "CZ-100-20",
                    "name": "充100送20",
                    "pay_fen": 10_000,
                    "bonus_fen": 2_000,
                    "starts_on": "2026-01-01",
                },
            )
            at = clock.iso(clock.now())

            def top_up(i: int = 0) -> None:
                signed(
                    "/v1/webhooks/wallet/top-ups",
                    {
                        "payment_id": f"top-up-{next(ids)}",
                        "member": {"member_id": member_id},
                        "store_id": STORE,
                        "occurred_at": at,
                        "amount_fen": 10_000,
                        "plan_id": "CZ-100-20",
                    },
                )

            payments: list[str] = []

            def pay(i: int = 0) -> None:
                payments.append(f"payment-{next(ids)}")
                signed(
                    "/v1/webhooks/wallet/payments",
                    {
                        "payment_id": payments[-1],
                        "member": {"member_id": member_id},
                        "store_id": STORE,
                        "occurred_at": at,
                        "amount_fen": 1_200,
                    },
                )

            def refund(i: int = 0, **naming: str) -> None:
                signed(
                    "/v1/webhooks/wallet/refunds",
                    {
                        "refund_id": f"refund-{next(ids)}",
                        "payment_id": payments.pop(),
                        "occurred_at": at,
                        "amount_fen": 600,
                        **naming,
                    },
                )

            def refund_naming_the_member(i: int = 0) -> None:
                refund(i, member_id=member_id)

            def cash_refund(i: int = 0) -> None:
                staff(
                    "post",
                    f"/v1/members/{member_id}/wallet/cash-refunds",
                    {"store_id": STORE, "amount_fen": 100, "reason": "退余额"},
                    **{"idempotency-key": f"bench-cash-{next(ids)}"},
                )

            reads: dict[str, Callable[[], Any]] = {
                "requests_per_wallet_read": lambda: staff("get", f"/v1/members/{member_id}/wallet"),
                "requests_per_entries_page": lambda: staff("get", f"/v1/members/{member_id}/wallet/entries?limit=50"),
                "requests_per_store_statement": lambda: staff("get", f"/v1/wallet/statements?store_id={STORE}"),
                "requests_per_chain_statement": lambda: staff("get", "/v1/wallet/statements"),
            }
            for write in (top_up, top_up, pay, pay, pay, refund, refund_naming_the_member, cash_refund):
                write()  # partner secrets, the store, the plan and the staff session are cached from here on
            for read in reads.values():
                read()
            writes = {
                "requests_per_top_up": top_up,
                "requests_per_wallet_payment": pay,
                "requests_per_wallet_refund": refund,
                "requests_per_wallet_refund_naming_the_member": refund_naming_the_member,
                "requests_per_cash_refund": cash_refund,
            }
            for name, operation in writes.items():
                TRANSACTION_ITEMS.clear()
                total, by_operation = requests_of(operation)
                result[name] = {
                    "total": total,
                    "by_operation": by_operation,
                    "transaction_items": sum(n * c for n, c in TRANSACTION_ITEMS.items()),
                }
            for name, read in reads.items():
                total, by_operation = requests_of(read)
                result[name] = {"total": total, "by_operation": by_operation}

            raw = boto3.client("dynamodb", region_name="cn-north-1")
            key = {"holder": {"S": member_id}}
            latencies = {
                "raw_get": latency_ms(lambda i: raw.get_item(TableName="loyalty-bench-ledger-accounts", Key=key)),
                "wallet_read": latency_ms(lambda i: reads["requests_per_wallet_read"]()),
                "top_up": latency_ms(top_up, runs=100),  # funds the payments below
                "wallet_payment": latency_ms(pay, runs=100),
            }
        raw_p50 = latencies["raw_get"]["p50"]
        result["latency_ms"] = latencies
        result["raw_get_p50"] = raw_p50
        result["ratio_to_raw_get_p50"] = {
            name: round(values["p50"] / raw_p50, 2) for name, values in latencies.items() if name != "raw_get"
        }
    return result


if __name__ == "__main__":
    print(json.dumps({"bench": "wallet", **figures()}, indent=2))
