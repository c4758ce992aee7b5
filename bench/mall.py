"""Points mall figures: DynamoDB requests, transactions, the items each write's transaction holds and the write units
it costs, per exchange (points only, points + cash, picked up in store), per payment of the cash part (wallet, partner),
per shipment, per cancellation (with and without a wallet refund) and per pickup verification; what the release job
reads per order due; requests per picture published (a phone photo's size); and in-process latency of an exchange and
of a picture's publication next to a raw GetItem.

Every call goes through the whole HTTP path in-process, on a warm function. Prints one JSON object. Latencies are
in-process against the moto emulator on a shared machine: compare them as ratios to ``raw_get_p50`` from the same run,
never as absolute numbers.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from harness import (
    ITEMS_READ,
    S3_REQUESTS,
    STORE,
    TRANSACTIONS,
    admin_auth,
    emulator,
    latency_ms,
    requests_of,
    scaled,
    write_units_of,
)

ADDRESS = {"name": "张三", "phone": "13800138000", "address": "上海市黄浦区南京东路 1 号 101 室"}


def _item(item: dict[str, Any]) -> str:
    """One written item as the figures show it: table, kind, size and the indexes it wrote."""
    indexes = f" +{','.join(item['indexes'])}" if item["indexes"] else ""
    return f"{item['table']} {item['kind']} {item['bytes']} B{indexes}"


def figures() -> dict[str, object]:
    import boto3
    import requests
    from chalice.test import Client

    from chalicelib.identity.member_auth import member_claims
    from chalicelib.identity.partners import create_partner
    from chalicelib.identity.service import issue_tokens
    from chalicelib.identity.signatures import signature_header
    from chalicelib.local import gateway
    from chalicelib.mall.jobs import release_unpaid_mall_orders
    from chalicelib.members import service as members
    from chalicelib.members.schemas import MemberCreate
    from chalicelib.shared import clock
    from chalicelib.shared.jobs import run_job, scheduled_day
    from chalicelib.stores.schemas import StoreCreate
    from chalicelib.stores.service import create_store
    from tests.pictures import large_photo

    result: dict[str, Any] = {}
    with emulator():
        gateway.install()
        import app

        create_store(StoreCreate(store_id=STORE, name="上海一店", city="上海", region="华东"))
        member_id, _ = members.register(MemberCreate(name="会员", phone="13700000001"))
        member = {
            "authorization": f"Bearer {issue_tokens(member_claims(member_id, clock.now().timestamp())).access_token}"
        }
        issued = create_partner("bench pay", [], enrols_members=False)
        auth = {"content-type": "application/json", **admin_auth()}
        ids = itertools.count()
        with Client(app.app, stage_name="local") as client:

            def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
                raw = json.dumps(body).encode() if body is not None else b""
                answer = getattr(client.http, method)(path, headers={**auth, **(headers or {})}, body=raw)
                assert answer.status_code in (200, 201), answer.body
                return json.loads(answer.body)

            def signed(path: str, body: dict[str, Any]) -> Any:
                raw = json.dumps(body).encode()
                headers = {
                    "content-type": "application/json",
                    "x-partner-id": issued.partner.partner_id,
                    "x-signature": signature_header(issued.secret, int(time.time()), raw, "POST", path),
                }
                answer = client.http.post(path, headers=headers, body=raw)
                assert answer.status_code == 200, answer.body
                return json.loads(answer.body)

            call(
                "post",
                f"/v1/members/{member_id}/points/adjustments",
                {"points": 10**8, "reason": "bench"},
                {"idempotency-key": "bench-points"},
            )
            top_up = {
                "payment_id": "bench-top-up",
                "member": {"member_id": member_id},
                "store_id": STORE,
                "occurred_at": clock.iso(clock.now()),
                "amount_fen": 400_000,
            }
            signed("/v1/webhooks/wallet/top-ups", top_up)

            def reward(**fields: Any) -> str:
                body = {"name": "保温杯", "kind": "goods", "points": 100, "stock": 10**6, "fulfilment": "shipping"}
                return str(call("post", "/v1/mall/rewards", {**body, **fields})["reward_id"])

            shipped, cash, pickup = reward(), reward(cash_fen=990), reward(fulfilment="pickup")
            orders: dict[str, list[dict[str, Any]]] = {"shipped": [], "cash": [], "pickup": [], "cash-paid": []}

            def exchanger(reward_id: str, kind: str, **delivery: Any) -> Callable[..., None]:
                def exchange(i: int = 0) -> None:
                    body = {"reward_id": reward_id, "quantity": 1, **delivery}
                    headers = {**member, "idempotency-key": f"bench-order-{next(ids)}"}
                    orders[kind].append(call("post", "/v1/me/mall/orders", body, headers))

                return exchange

            exchange = exchanger(shipped, "shipped", address=ADDRESS)
            exchange_cash = exchanger(cash, "cash", address=ADDRESS)
            exchange_pickup = exchanger(pickup, "pickup", pickup_store_id=STORE)

            def pay_from_wallet(i: int = 0) -> None:
                order = orders["cash"].pop()
                call("post", f"/v1/me/mall/orders/{order['order_id']}/wallet-payment", None, member)
                orders["cash-paid"].append(order)

            def pay_by_partner(i: int = 0) -> None:
                order = orders["cash"].pop()
                body = {
                    "order_id": order["order_id"],
                    "payment_id": f"bench-pay-{next(ids)}",
                    "amount_fen": 990,
                    "paid_at": order["placed_at"],
                }
                signed("/v1/webhooks/mall/payments", body)

            def ship(i: int = 0) -> None:
                order = orders["shipped"].pop()
                body = {"carrier": "SF", "tracking_no": f"SF{next(ids):08d}"}
                call("post", f"/v1/mall/orders/{order['order_id']}/shipment", body)

            def cancel(i: int = 0) -> None:
                order = orders["shipped"].pop(0)
                call("post", f"/v1/mall/orders/{order['order_id']}/cancellation", {"reason": "bench"})

            def cancel_wallet_paid(i: int = 0) -> None:
                order = orders["cash-paid"].pop()
                call("post", f"/v1/mall/orders/{order['order_id']}/cancellation", {"reason": "bench"})

            for warm in (
                exchange,
                exchange,
                exchange_cash,
                exchange_cash,
                exchange_cash,
                exchange_pickup,
                exchange_pickup,
                pay_from_wallet,
                pay_by_partner,
                ship,
                cancel,
                cancel_wallet_paid,
            ):
                warm()  # the staff session, the member's token, the store and the partner are cached from here on
            for prepare in (exchange, exchange, exchange_cash, exchange_cash, exchange_cash, exchange_pickup):
                prepare()
            measured: dict[str, Callable[..., None]] = {
                "exchange": exchange,
                "exchange_points_and_cash": exchange_cash,
                "exchange_picked_up_in_store": exchange_pickup,
                "wallet_payment": pay_from_wallet,
                "partner_payment": pay_by_partner,
                "shipment": ship,
                "cancellation": cancel,
                "cancellation_with_wallet_refund": cancel_wallet_paid,
            }
            for name, operation in measured.items():
                TRANSACTIONS.clear()
                total, by_operation = requests_of(operation)
                result[f"requests_per_{name}"] = {
                    "total": total,
                    "by_operation": by_operation,
                    "transactions": len(TRANSACTIONS),
                    "transaction_items": sum(len(t) for t in TRANSACTIONS),
                }
            exchange_pickup()
            order = orders["pickup"][-1]
            code = call("get", f"/v1/me/mall/orders/{order['order_id']}", None, member)["pickup_code"]
            TRANSACTIONS.clear()
            total, by_operation = requests_of(
                lambda: call("post", "/v1/mall/pickups", {"code": code, "store_id": STORE})
            )
            result["requests_per_pickup_verification"] = {
                "total": total,
                "by_operation": by_operation,
                "transactions": len(TRANSACTIONS),
                "transaction_items": sum(len(t) for t in TRANSACTIONS),
            }
            for name, operation in (
                ("exchange", exchange),
                ("exchange_points_and_cash", exchange_cash),
                ("wallet_payment", pay_from_wallet),
                ("cancellation", cancel),
                ("cancellation_with_wallet_refund", cancel_wallet_paid),
            ):
                if name == "wallet_payment":
                    exchange_cash()
                if name == "cancellation_with_wallet_refund":
                    exchange_cash()
                    pay_from_wallet()
                units = write_units_of(operation)
                result[f"requests_per_{name}"]["write_units"] = {
                    key: units[key] for key in ("total", "transactional_units", "index_units")
                }
                result[f"requests_per_{name}"]["items"] = [_item(item) for item in units["items"]]

            raw = boto3.client("dynamodb", region_name="cn-north-1")
            key = {"holder": {"S": member_id}}
            latencies = {
                "raw_get": latency_ms(lambda i: raw.get_item(TableName="loyalty-bench-ledger-accounts", Key=key)),
                "exchange": latency_ms(exchange, runs=100),
            }

            # a picture published: its upload's size and bytes read from storage (S3's HEAD and ranged GET), its
            # metadata walked, its thumbnail made, its item read (withdrawn?), one transaction (item, event)
            picture = large_photo(1000, 600)  # a phone photo's size, stored without compression
            upload = call("post", "/v1/media/uploads", {"content_type": "image/png"})
            sent = requests.put(upload["upload"]["url"], data=picture, headers=upload["upload"]["headers"], timeout=30)
            sent.raise_for_status()

            def publish(_: int = 0) -> Any:
                return call("post", "/v1/media/pictures", {"upload_id": upload["upload_id"]})

            total, by_operation = requests_of(publish)
            result["requests_per_picture_published"] = {
                "total": total, "by_operation": by_operation, "s3_by_method": dict(S3_REQUESTS),
                "picture_bytes": len(picture),
            }  # fmt: skip
            latencies["picture_published"] = latency_ms(publish, runs=20)

            # the release job: orders awaiting payment, all due
            orders["cash"].clear()
            for _ in range(scaled(200, least=20)):
                exchange_cash()
            ITEMS_READ.clear()
            reports = []
            with clock.frozen(clock.now() + timedelta(minutes=31)):
                total, by_operation = requests_of(
                    lambda: reports.append(
                        run_job(release_unpaid_mall_orders, scheduled_day(release_unpaid_mall_orders))
                    )
                )
            items = {operation: count for operation, count in ITEMS_READ.items() if count}
            assert all(
                call("get", f"/v1/me/mall/orders/{order['order_id']}", None, member)["status"] == "cancelled"
                for order in orders["cash"]
            )
            due = reports[0].processed  # these and the orders the measurements above left unpaid
            reads = sum(by_operation.get(operation, 0) for operation in ("Query", "BatchGetItem", "GetItem"))
            result["release_job"] = {
                "orders_due_and_released": due,
                "requests": total,
                "by_operation": by_operation,
                "read_requests": reads,
                "partitions_read": reports[0].planned,  # a day's shards, two days just before midnight
                "read_requests_per_order_due": round(reads / due, 3),
                "batch_reads_per_order_due": round(by_operation.get("BatchGetItem", 0) / due, 3),
                "items_read": sum(items.values()),
                "items_read_by_operation": items,
                "items_read_per_order_due": round(sum(items.values()) / due, 3),
            }
        raw_p50 = latencies["raw_get"]["p50"]
        result["latency_ms"] = latencies
        result["raw_get_p50"] = raw_p50
        result["ratio_to_raw_get_p50"] = {
            name: round(values["p50"] / raw_p50, 2) for name, values in latencies.items() if name != "raw_get"
        }
    return result


if __name__ == "__main__":
    print(json.dumps({"bench": "mall", **figures()}, indent=2, ensure_ascii=False))
