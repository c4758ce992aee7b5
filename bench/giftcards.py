"""Gift card figures: DynamoDB requests (and the items each write's transaction holds) per batch of 100 cards made,
per sale of one card and of five at the till, per card looked up and per card a member binds to their stored value,
and the S3 requests a batch writes (its file of numbers and PINs).

Every call goes through the whole HTTP path in-process, on a warm function. Prints one JSON object.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from typing import Any

from harness import S3_REQUESTS, STORE, TRANSACTIONS, admin_auth, emulator, requests_of


def figures() -> dict[str, object]:
    from chalice.test import Client

    from chalicelib.giftcards import service as giftcards
    from chalicelib.identity.member_auth import member_claims
    from chalicelib.identity.service import issue_tokens
    from chalicelib.local import gateway
    from chalicelib.members import service as members
    from chalicelib.members.schemas import MemberCreate
    from chalicelib.shared import clock
    from chalicelib.stores.schemas import StoreCreate
    from chalicelib.stores.service import create_store

    result: dict[str, Any] = {}
    with emulator():
        gateway.install()
        import app

        create_store(StoreCreate(store_id=STORE, name="上海一店", city="上海", region="华东"))
        auth = {"content-type": "application/json", **admin_auth()}
        orders = itertools.count()
        with Client(app.app, stage_name="local") as client:

            def call(path: str, body: Any = None, headers: dict[str, str] | None = None, method: str = "post") -> Any:
                raw = json.dumps(body).encode() if body is not None else b""
                answer = getattr(client.http, method)(path, headers={**auth, **(headers or {})}, body=raw)
                assert answer.status_code in (200, 201), answer.body
                return json.loads(answer.body)

            made: dict[str, Any] = {}

            def batch() -> None:
                made.update(call("/v1/gift-cards/batches", {"name": "礼品卡", "face_value_fen": 10_000, "count": 100}))

            batch()  # warm
            cards = iter(_printed(giftcards.codes_file(made["batch_id"])))

            def sell(count: int) -> None:
                numbers = [next(cards)[0] for _ in range(count)]
                call("/v1/gift-cards/sales", {"store_id": STORE, "order_id": f"GC-{next(orders)}",
                                              "payment_method": "cash", "card_numbers": numbers})  # fmt: skip

            sell(1)  # warm
            held: list[tuple[str, str]] = []

            def sell_one() -> None:
                held.append(next(cards))
                call("/v1/gift-cards/sales", {"store_id": STORE, "order_id": f"GC-{next(orders)}",
                                              "payment_method": "cash", "card_numbers": [held[-1][0]]})  # fmt: skip

            member_id, _ = members.register(MemberCreate(name="会员", phone="13700000001"))
            token = issue_tokens(member_claims(member_id, clock.now().timestamp())).access_token

            def bind() -> None:
                number, pin = held.pop()
                call("/v1/me/gift-cards/redemptions", {"card_number": number, "pin": pin},
                     {"authorization": f"Bearer {token}"})  # fmt: skip

            sell_one()
            bind()  # warm
            sell_one()

            def look_up() -> None:
                call(f"/v1/gift-cards/{held[-1][0]}", method="get")

            operations = {
                "batch_of_100": batch, "sale_of_1": lambda: sell(1), "sale_of_5": lambda: sell(5),
                "card_lookup": look_up, "binding": bind,
            }  # fmt: skip
            for name, operation in operations.items():
                TRANSACTIONS.clear()
                total, by_operation = requests_of(operation)
                result[f"requests_per_{name}"] = {
                    "total": total, "by_operation": by_operation, "transactions": len(TRANSACTIONS),
                    "transaction_items": sum(len(t) for t in TRANSACTIONS),
                    **({"s3_requests": sum(S3_REQUESTS.values())} if S3_REQUESTS else {}),
                }  # fmt: skip
    return result


def _printed(data: bytes) -> list[tuple[str, str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
    return [(row[0].replace(" ", ""), row[1]) for row in rows]


if __name__ == "__main__":
    print(json.dumps(figures(), indent=2, ensure_ascii=False))
