"""Paid membership figures: DynamoDB requests (and the items each write's transaction holds) per card renewal (the
signed payment webhook), per card sold or renewed at the counter, per benefit use and per benefits read; the size of
the member's ledger account (read and written with every purchase) once its card was renewed some sixty times; the
items the nightly ``settle-membership-cards`` reads per card due, among many members whose cards are not due; and
in-process latency of a use next to a raw GetItem.

Every call goes through the whole HTTP path in-process, on a warm function. Prints one JSON object. Latencies are
in-process against the moto emulator on a shared machine: compare them as ratios to ``raw_get_p50`` from the same
run, never as absolute numbers.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from typing import Any

from harness import ITEMS_READ, TRANSACTIONS, admin_auth, emulator, item_size, latency_ms, requests_of, scaled

RENEWALS = 60  # five years of a monthly card
PLAN = {
    "name": "健身金卡·月卡",
    "term": {"months": 1},
    "price_fen": 29_900,
    "benefits": [
        {"benefit_id": "class", "name": "团课每天1次", "kind": "quota", "quota": 1, "period": "day"},
        {"benefit_id": "wash", "name": "洗车每月1000次", "kind": "quota", "quota": 1000, "period": "month"},
        {"benefit_id": "off", "name": "9折", "kind": "discount", "rate": "0.9"},
    ],
    "pause": {"times": 12, "days": 365},  # 停卡, as often as the bench pauses it
}


def figures() -> dict[str, object]:
    import boto3
    from chalice.test import Client

    from chalicelib.identity.partners import create_partner
    from chalicelib.identity.signatures import signature_header
    from chalicelib.local import gateway
    from chalicelib.members import service as members
    from chalicelib.members.schemas import MemberCreate
    from chalicelib.membership.jobs import SettleMembershipCards
    from chalicelib.membership.rules import Term
    from chalicelib.shared import clock
    from chalicelib.shared.jobs import JobRecord, run_job
    from chalicelib.shared.settings import get_settings

    result: dict[str, Any] = {}
    with emulator():
        gateway.install()
        import app

        member_id, _ = members.register(MemberCreate(name="会员", phone="13700000001"))
        auth = {"content-type": "application/json", **admin_auth()}
        issued = create_partner("bench POS", [], enrols_members=False)
        ids = itertools.count()
        with Client(app.app, stage_name="local") as client:

            def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
                raw = json.dumps(body).encode() if body is not None else b""
                answer = getattr(client.http, method)(path, headers={**auth, **(headers or {})}, body=raw)
                assert answer.status_code in (200, 201), answer.body
                return json.loads(answer.body) if answer.body else None

            plan_id = call("post", "/v1/membership/plans", PLAN)["plan_id"]

            def pay(who: str) -> None:
                body = json.dumps({"payment_id": f"pay-{next(ids)}", "member": {"member_id": who},
                                   "plan_id": plan_id, "occurred_at": clock.iso(clock.now()),
                                   "amount_fen": 29_900}).encode()  # fmt: skip
                signature = signature_header(issued.secret, int(clock.now().timestamp()), body, "POST",
                                             "/v1/webhooks/membership/payments")  # fmt: skip
                headers = {"content-type": "application/json", "x-partner-id": issued.partner.partner_id,
                           "x-signature": signature}  # fmt: skip
                answer = client.http.post("/v1/webhooks/membership/payments", headers=headers, body=body)
                assert answer.status_code == 200, answer.body

            def renew(i: int = 0) -> None:
                pay(member_id)

            def use(i: int = 0) -> None:
                call("post", f"/v1/members/{member_id}/benefits/wash/uses", {"use_id": f"use-{next(ids)}"})

            def benefits(i: int = 0) -> None:
                call("get", f"/v1/members/{member_id}/benefits")

            call("post", "/v1/stores", {"store_id": "BENCH-1", "name": "门店", "city": "上海", "region": "华东"})

            def counter_sale(i: int = 0) -> None:  # 续卡 at the counter: the till's order, the plan's price
                call("post", f"/v1/members/{member_id}/cards", {"plan_id": plan_id, "store_id": "BENCH-1",
                     "order_id": f"POS-{next(ids)}", "amount_fen": 29_900, "payment_method": "cash"})  # fmt: skip

            def pause_and_resume(i: int = 0) -> None:  # 停卡 today, then 复卡 (withdrawn the same day): two writes
                card_id = call("get", f"/v1/members/{member_id}/cards")["items"][0]["card_id"]
                pause_id = f"pz-{next(ids)}"
                cards = f"/v1/members/{member_id}/cards/{card_id}/pauses"
                call("post", cards, {"pause_id": pause_id, "days": 10, "reason": "出差"})
                call("delete", f"{cards}/{pause_id}")

            for warm in (renew, renew, use, benefits, counter_sale, pause_and_resume):
                warm()  # the plan, the partner and the staff session are cached from here on
            operations = {
                "renewal": renew,
                "benefit_use": use,
                "benefits_read": benefits,
                "counter_sale": counter_sale,
                "pause_read_pause_and_resume": pause_and_resume,
            }
            for name, operation in operations.items():
                TRANSACTIONS.clear()
                total, by_operation = requests_of(operation)
                result[f"requests_per_{name}"] = {
                    "total": total, "by_operation": by_operation,
                    "transactions": len(TRANSACTIONS), "transaction_items": sum(len(t) for t in TRANSACTIONS),
                }  # fmt: skip

            raw = boto3.client("dynamodb", region_name="cn-north-1")
            key = {"holder": {"S": member_id}}
            latencies = {
                "raw_get": latency_ms(lambda i: raw.get_item(TableName="loyalty-bench-ledger-accounts", Key=key)),
                "benefit_use": latency_ms(use, runs=100),
                "renewal": latency_ms(renew, runs=50),
            }
            # a member who renewed on the first of every month for five years: their ledger account (read and written
            # by every purchase) keeps the payments a refund may touch, not all sixty
            loyal, _ = members.register(MemberCreate(name="会员", phone="13700000002"))
            today = clock.business_today()
            for n in range(RENEWALS, 0, -1):
                month = (today.year * 12 + today.month - 1) - n
                first = datetime(month // 12, month % 12 + 1, 1, 12, tzinfo=get_settings().tz)
                with clock.frozen(first):
                    pay(loyal)
            account = raw.get_item(TableName="loyalty-bench-ledger-accounts", Key={"holder": {"S": loyal}},
                                   ConsistentRead=True)["Item"]  # fmt: skip
            card = next(iter(json.loads(account["books"]["S"])["membership"]["cards"].values()))
            result["account_after_monthly_renewals"] = {
                "payments": len(card["payments"]) + card.get("earlier", {}).get("count", 0),
                "payments_listed": len(card["payments"]), "account_item_bytes": item_size(account),
            }  # fmt: skip

            # the nightly job: cards ending in a week (a reminder each), among members whose cards are not due
            due, quiet = scaled(200, least=20), scaled(400, least=40)
            today = clock.business_today()
            holders = []
            for n in range(due + quiet):
                holder, _ = members.register(MemberCreate(name="会员", phone=f"1350000{n:04d}"))
                holders.append(holder)
            start = next(today - timedelta(days=d) for d in range(20, 40)
                         if Term(months=1).end(today - timedelta(days=d)) == today + timedelta(days=7))  # fmt: skip
            with clock.frozen(datetime.combine(start, datetime.min.time(), get_settings().tz) + timedelta(hours=12)):
                for holder in holders[:due]:
                    pay(holder)  # a month that ends in a week: its 7-day reminder is due today
            for holder in holders[due:]:
                pay(holder)  # a month from today: nothing due for three weeks

        job = SettleMembershipCards()
        JobRecord(job.name, "watermark", as_of=(today - timedelta(days=1)).isoformat()).save()
        ITEMS_READ.clear()
        report = run_job(job, today)
        reads = sum(ITEMS_READ.values())
        result["nightly"] = {
            "cards_due": due, "cards_not_due": quiet + 1, "reminded": report.tallies.get("expiring-7", 0),
            "items_read": reads, "items_read_by_operation": dict(ITEMS_READ),
            "items_read_per_card_due": round(reads / due, 3),
        }  # fmt: skip
        raw_p50 = latencies["raw_get"]["p50"]
        result["latency_ms"] = latencies
        result["raw_get_p50"] = raw_p50
        result["ratio_to_raw_get_p50"] = {
            name: round(values["p50"] / raw_p50, 2) for name, values in latencies.items() if name != "raw_get"
        }
    return result


if __name__ == "__main__":
    print(json.dumps({"bench": "membership", **figures()}, indent=2))
