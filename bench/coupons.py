"""Coupon figures: DynamoDB requests (and the items each write's transaction holds) per member claim, staff issue,
eligibility, reservation, redemption, reversal, an offer to a friend and the friend taking it (转赠); the items the
nightly ``expire-coupons`` reads per coupon due; and in-process latency of a claim and a redemption next to a raw
GetItem.

Every call goes through the whole HTTP path in-process, on a warm function. Prints one JSON object. Latencies are
in-process against the moto emulator on a shared machine: compare them as ratios to ``raw_get_p50`` from the same
run, never as absolute numbers.
"""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timedelta
from typing import Any

from harness import ITEMS_READ, STORE, TRANSACTIONS, admin_auth, emulator, latency_ms, requests_of, scaled

ORDER = {"store_id": STORE, "total_fen": 25_000}


def figures() -> dict[str, object]:
    import boto3
    from chalice.test import Client

    from chalicelib.coupons.jobs import expire_coupons
    from chalicelib.identity.member_auth import member_claims
    from chalicelib.identity.service import issue_tokens
    from chalicelib.local import gateway
    from chalicelib.members import service as members
    from chalicelib.members.schemas import MemberCreate
    from chalicelib.shared import clock
    from chalicelib.shared.jobs import JobRecord, run_job
    from chalicelib.shared.settings import get_settings
    from chalicelib.stores.schemas import StoreCreate
    from chalicelib.stores.service import create_store

    result: dict[str, Any] = {}
    with emulator():
        gateway.install()
        import app

        create_store(StoreCreate(store_id=STORE, name="上海一店", city="上海", region="华东"))
        member_id, _ = members.register(MemberCreate(name="会员", phone="13700000001"))
        member = {
            "authorization": f"Bearer {issue_tokens(member_claims(member_id, clock.now().timestamp())).access_token}"
        }
        friend_id, _ = members.register(MemberCreate(name="好友", phone="13700000002"))
        friend = {
            "authorization": f"Bearer {issue_tokens(member_claims(friend_id, clock.now().timestamp())).access_token}"
        }
        auth = {"content-type": "application/json", **admin_auth()}
        ids = itertools.count()
        with Client(app.app, stage_name="local") as client:

            def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
                raw = json.dumps(body).encode() if body is not None else b""
                sent = {**auth, **(headers or {})}
                answer = getattr(client.http, method)(path, headers=sent, body=raw)
                assert answer.status_code in (200, 201, 204), answer.body
                return json.loads(answer.body) if answer.body else None

            template = call("post", "/v1/coupons/templates", {
                "name": "满200减30", "kind": "threshold", "threshold_fen": 20_000, "amount_off_fen": 3_000,
                "validity": {"days_after_issue": 30}, "stock": 1_000_000, "claimable": True,
            })["template_id"]  # fmt: skip
            codes: list[str] = []
            giftable = call("post", "/v1/coupons/templates", {
                "name": "好友券", "kind": "amount_off", "amount_off_fen": 1_000, "validity": {"days_after_issue": 30},
                "stock": 1_000_000, "transferable": True,
            })["template_id"]  # fmt: skip
            issues = f"/v1/coupons/templates/{giftable}/issues"
            to_give = [
                call("post", issues, {"member_id": member_id, "source_id": f"give-{n}"})["code"] for n in range(8)
            ]
            tokens: list[str] = []

            def offer(i: int = 0) -> None:
                tokens.append(call("post", f"/v1/me/coupons/{to_give.pop()}/offer", None, member)["token"])

            def take(i: int = 0) -> None:
                call("post", f"/v1/me/gifts/{tokens.pop()}/acceptance", None, friend)

            def claim(i: int = 0) -> None:
                codes.append(call("post", "/v1/me/coupons/claims", {"template_id": template},
                                  {**member, "idempotency-key": f"bench-claim-{next(ids)}"})["code"])  # fmt: skip

            def issue(i: int = 0) -> None:
                body = {"member_id": member_id, "source_id": f"gift-{next(ids)}"}
                codes.append(call("post", f"/v1/coupons/templates/{template}/issues", body)["code"])

            redeemed: list[str] = []

            def redeem(i: int = 0) -> None:
                code = codes.pop()
                call("post", f"/v1/coupons/{code}/redemptions", {"order_id": f"O-{code}", "order": ORDER})
                redeemed.append(code)

            def reserve(i: int = 0) -> None:
                call("post", f"/v1/coupons/{codes[-1]}/reservations", {"order_id": f"O-{codes[-1]}", "order": ORDER})

            def reverse(i: int = 0) -> None:
                code = redeemed.pop()
                call("post", f"/v1/coupons/{code}/redemptions/O-{code}/reversal", {"reason": "refund"})

            def eligibility(i: int = 0) -> None:
                call("post", "/v1/coupons/eligibility", {"member_id": member_id, "order": ORDER})

            for warm in (claim, issue, claim, redeem, reserve, reverse, eligibility, offer, take):
                warm()  # the template, the staff session and the member's token are cached from here on
            for _ in range(20):
                claim()  # the member holds 20 coupons: what eligibility and the counter view list
            measured = {"claim": claim, "staff_issue": issue, "reservation": reserve, "redemption": redeem,
                        "reversal": reverse, "eligibility": eligibility, "gift_offer": offer,
                        "gift_acceptance": take}  # fmt: skip
            for name, operation in measured.items():
                TRANSACTIONS.clear()
                total, by_operation = requests_of(operation)
                result[f"requests_per_{name}"] = {
                    "total": total, "by_operation": by_operation,
                    "transactions": len(TRANSACTIONS), "transaction_items": sum(len(t) for t in TRANSACTIONS),
                }  # fmt: skip

            raw = boto3.client("dynamodb", region_name="cn-north-1")
            key = {"holder": {"S": f"coupon:{codes[0]}"}}
            latencies = {
                "raw_get": latency_ms(lambda i: raw.get_item(TableName="loyalty-bench-ledger-accounts", Key=key)),
                "claim": latency_ms(claim, runs=100),
                "redemption": latency_ms(redeem, runs=100),
            }

        # bulk codes: a batch run inline (on AWS its chunks fan out to workers, 10 chunks a message)
        from chalicelib.coupons import batches, service

        bulk = scaled(2_500, least=100)
        big = service.create_template({"name": "印刷券", "kind": "amount_off", "amount_off_fen": 500, "stock": bulk,
                                       "validity": {"days_after_issue": 30},
                                       "code": {"length": 12, "charset": "ABCDEFGHJKLMNPQRSTUVWXYZ23456789",
                                                "prefix": "YH"}}, "bench", "zh-CN")["template_id"]  # fmt: skip
        started = time.perf_counter()
        total, by_operation = requests_of(lambda: batches.create(big, "codes", bulk, "bench", fan_out=False))
        seconds = time.perf_counter() - started
        result["code_batch"] = {
            "codes": bulk, "requests": total, "transactions": by_operation.get("TransactWriteItems", 0),
            "requests_per_1000_codes": round(total * 1000 / bulk, 1),
            "seconds_per_1000_codes_in_process": round(seconds * 1000 / bulk, 2),
        }  # fmt: skip

        # the nightly expiry: coupons whose last day is tomorrow, among many that stay valid
        due = scaled(1_000, least=50)
        short = service.create_template({"name": "一日券", "kind": "amount_off", "amount_off_fen": 500,
                                         "validity": {"days_after_issue": 1},
                                         "code": {"length": 12, "charset": "ABCDEFGHJKLMNPQRSTUVWXYZ23456789",
                                                  "prefix": ""}}, "bench", "zh-CN")["template_id"]  # fmt: skip
        for n in range(due):
            service.issue_for(short, member_id, source_kind="staff", source_id=f"due-{n}")
        today = clock.business_today()
        JobRecord("expire-coupons", "watermark", as_of=today.isoformat()).save()
        ITEMS_READ.clear()
        with clock.frozen(datetime.combine(today + timedelta(days=1), datetime.min.time(), get_settings().tz)):
            report = run_job(expire_coupons, today + timedelta(days=1))
        reads = sum(ITEMS_READ.values())
        result["expiry"] = {
            "coupons_due": due, "coupons_expired": report.tallies.get("expired", 0), "items_read": reads,
            "items_read_by_operation": dict(ITEMS_READ), "items_read_per_coupon_due": round(reads / due, 3),
        }  # fmt: skip
        raw_p50 = latencies["raw_get"]["p50"]
        result["latency_ms"] = latencies
        result["raw_get_p50"] = raw_p50
        result["ratio_to_raw_get_p50"] = {
            name: round(values["p50"] / raw_p50, 2) for name, values in latencies.items() if name != "raw_get"
        }
    return result


if __name__ == "__main__":
    print(json.dumps({"bench": "coupons", **figures()}, indent=2))
