"""Notification figures: DynamoDB requests and write units per message decided (a service receipt, a marketing
message with its cap) and per message sent; what the held-message release reads per message due; requests per inbox
read; and messages per second through the pipeline in-process (decide, then send through the dev outbox), next to a
raw GetItem.

The consumers run as the notifications Lambda runs them (``consume_delivery`` on deliveries of ten), on the in-process
emulator; SQS and SNS hops are not in the rate (on AWS they add latency, not work). Prints one JSON object; compare
latencies and rates as ratios to ``raw_get_p50_ms`` from the same run, never as absolute numbers.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

from harness import ITEMS_READ, TRANSACTIONS, emulator, latency_ms, requests_of, scaled, take_events, write_units_of


def figures() -> dict[str, object]:
    import boto3

    from chalicelib.members import service as members
    from chalicelib.members.schemas import MemberCreate
    from chalicelib.notifications import messages, profiles
    from chalicelib.notifications.jobs import release_held_messages
    from chalicelib.shared import clock
    from chalicelib.shared.events import Event, consume_delivery, new_event
    from chalicelib.shared.jobs import run_job
    from chalicelib.shared.settings import get_settings

    tz = get_settings().tz
    noon = datetime(2026, 11, 20, 12, 0, tzinfo=tz)
    result: dict[str, Any] = {}
    with emulator(), clock.frozen(noon):
        members_count = scaled(200, least=20)
        member_ids = [members.register(MemberCreate(name="会员", phone=f"137{n:08d}"))[0] for n in range(members_count)]
        for member_id in member_ids:
            granted = [profiles.ConsentChange("sms", "marketing", True)]
            profiles.change(member_id, granted, profiles.Proof("import", wording_version="2026-12"))
        take_events()  # what registering them announced

        def paid(member_id: str, n: int) -> Event:
            return new_event(
                "wallet.paid",
                f"member/{member_id}",
                {
                    "member_id": member_id,
                    "partner_id": "pt_bench",
                    "payment_id": f"P-{n}",
                    "store_id": "SH-001",
                    "principal_fen": 1_000,
                    "bonus_fen": 0,
                    "balance_after_fen": 50_000,
                },
            )

        def announced(member_ids: list[str], n: int) -> Event:
            return new_event(
                "messaging.announced",
                f"announcement/an_{n}",
                {
                    "announcement_id": f"an_{n}",
                    "title": "新品",
                    "text": "新品到店",
                    "member_ids": member_ids,
                },
            )

        def requested() -> list[Event]:
            """The send requests the decisions left in the outbox (as the relay would publish them), taken out."""
            found = [Event.model_validate(e) for e in take_events()]
            return [event for event in found if event.type == "notification.requested"]

        def deliver(events: list[Event]) -> None:
            for start in range(0, len(events), 10):
                batch = [(event.event_id, event) for event in events[start : start + 10]]
                assert consume_delivery("notifications", batch) == {}

        # warm: the policy, templates and the member read path are cached from here on
        deliver([paid(member_ids[0], -1)])
        deliver(requested())
        counter = iter(range(10**6))

        def decide_receipt() -> None:
            deliver([paid(member_ids[1], next(counter))])

        def decide_marketing() -> None:
            deliver([announced([member_ids[2]], next(counter))])

        for name, operation in (
            ("decided_service_receipt", decide_receipt),
            ("decided_marketing_with_cap", decide_marketing),
        ):
            TRANSACTIONS.clear()
            total, by_operation = requests_of(operation)
            result[f"requests_per_message_{name}"] = {
                "total": total,
                "by_operation": by_operation,
                "transactions": len(TRANSACTIONS),
            }
            result[f"write_units_per_message_{name}"] = write_units_of(operation)["total"]
        pending = requested()
        total, by_operation = requests_of(lambda: deliver(pending[:1]))
        result["requests_per_message_sent"] = {"total": total, "by_operation": by_operation}
        result["write_units_per_message_sent"] = write_units_of(lambda: deliver(pending[1:2]))["total"]
        deliver(pending[2:])

        # the inbox as a member opens it
        total, by_operation = requests_of(
            lambda: (messages.inbox(member_ids[1], 20, None, False), messages.unread(member_ids[1]))
        )
        result["requests_per_inbox_read"] = {"total": total, "by_operation": by_operation}

        # held through the night, then released: items read per message due
        held = scaled(100, least=10)
        with clock.frozen(noon + timedelta(hours=11)):
            deliver(
                [announced(member_ids[10 + start : 10 + start + 10], 10**5 + start) for start in range(0, held, 10)]
            )
        requested()
        with clock.frozen(noon + timedelta(hours=21, minutes=5)):
            ITEMS_READ.clear()
            report = run_job(release_held_messages, clock.business_today())
            released = len(requested())
        result["release_items_read_per_message_due"] = round(sum(ITEMS_READ.values()) / max(released, 1), 3)
        result["release_messages"] = released
        assert report.status == "completed", report

        # messages per second through decide + send, service receipts to every member
        events = [paid(member_id, 10**6 + n) for n, member_id in enumerate(member_ids)]
        start = time.perf_counter()
        deliver(events)
        deliver(requested())
        elapsed = time.perf_counter() - start
        result["pipeline_messages"] = len(events)
        result["pipeline_messages_per_second"] = round(len(events) / elapsed, 1)

        client = boto3.client("dynamodb", region_name="cn-north-1")
        table = "loyalty-bench-messaging-profiles"
        result["raw_get_p50_ms"] = latency_ms(
            lambda i: client.get_item(
                TableName=table, Key={"member_id": {"S": member_ids[0]}, "entry": {"S": "profile"}}
            )
        )["p50"]
        result["pipeline_ms_per_message_over_raw_get"] = round(
            (elapsed * 1000 / len(events)) / result["raw_get_p50_ms"], 1
        )
    return result


if __name__ == "__main__":
    print(json.dumps(figures(), ensure_ascii=False, indent=2))
