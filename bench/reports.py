"""Report figures: DynamoDB requests (and items read) per report call over one month and over twelve, at a small
and a fifty-times larger membership (ten times in `make test`'s smoke run): the requests stay flat in the members,
and the items read are at most the days asked times the 4 shards (a day nobody did anything on has no item); and the
statistics consumer's requests per event (the figures and the BI landing), delivered one at a time and in the
batches a busy queue delivers; and the BI export's and the nightly check's requests for the day at the larger
membership.

Members register through the service and buy through the signed purchase webhook (a third of them, at three
stores); the statistics consumer then takes every event from the outbox. Prints one JSON object.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from harness import ITEMS_READ, REQUESTS, emulator, requests_of, scaled, signed_purchases, take_events, warm_requests_of


def _consume(batch: int) -> tuple[int, int]:
    """Hand every event in the outbox not yet consumed to the statistics consumer, ``batch`` at a time; returns the
    events and the DynamoDB requests they took."""
    from chalicelib.shared.events import Event, consume_delivery

    events = [Event.model_validate(e) for e in take_events()]
    REQUESTS.clear()
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        assert consume_delivery("statistics", [(e.event_id, e) for e in chunk]) == {}
    return len(events), sum(REQUESTS.values())


def _population(count: int, first: int, post: Any) -> None:
    """``count`` members who joined over the past year (one a day in turn), a third of whom buy today."""
    from chalicelib.members import service as members
    from chalicelib.members.schemas import MemberCreate
    from chalicelib.shared import clock

    now = clock.now()
    for n in range(first, first + count):
        with clock.frozen(now - timedelta(days=n % 360)):
            member_id, _ = members.register(MemberCreate(name="会员", phone=f"13{n:09d}", home_store_id="SH-001"))
        if n % 3 == 0:
            post(member_id, 12_800)


def _report_requests() -> dict[str, Any]:
    from chalice.test import Client
    from harness import admin_auth

    import app
    from chalicelib.shared import clock

    today = clock.business_today()
    figures: dict[str, Any] = {}
    auth = admin_auth()  # one staff session, logged in once: a report call checks it (cached per instance)
    with Client(app.app, stage_name="local") as client:
        for label, days, granularity in (("1_month", 30, "day"), ("12_months", 364, "month")):
            for report in ("members", "sales", "points"):
                path = f"/v1/reports/{report}?from={today - timedelta(days=days)}&to={today}&granularity={granularity}"

                def call(path: str = path) -> None:
                    answer = client.http.get(path, headers=auth)
                    assert answer.status_code == 200, answer.body

                total, _ = warm_requests_of(call)
                figures[f"{report}_{label}"] = {"requests": total, "items_read": sum(ITEMS_READ.values())}
        owed = f"/v1/reports/liability?as_of={today}"
        total, _ = warm_requests_of(lambda: client.http.get(owed, headers=auth))
        figures["liability"] = {"requests": total, "items_read": sum(ITEMS_READ.values())}
    return figures


def _export_requests() -> dict[str, Any]:
    """The BI export of today (the job's work for a day, part by part) and the nightly check of today's figures
    against its events: requests, items read and rows written."""
    from chalicelib.exports import rules
    from chalicelib.exports.service import export_part
    from chalicelib.shared import clock
    from chalicelib.stats.checks import check_day

    today = clock.business_today()
    written: dict[str, int] = {}

    def export() -> None:
        for part in rules.parts(today, today):
            for entity, rows in export_part(part).items():
                written[entity] = written.get(entity, 0) + rows

    ITEMS_READ.clear()
    requests, _ = requests_of(export)
    rows = sum(written.values())
    exported = {"rows": rows, "files_rows": written, "requests": requests, "items_read": sum(ITEMS_READ.values()),
                "requests_per_1000_rows": round(requests * 1000 / rows, 1)}  # fmt: skip
    ITEMS_READ.clear()
    drift: list[Any] = []
    checking, _ = requests_of(lambda: drift.extend(check_day(today)))
    assert drift == [], drift
    return {"export_day": exported, "check_day": {"requests": checking, "items_read": sum(ITEMS_READ.values())}}


def figures() -> dict[str, object]:
    result: dict[str, object] = {}
    small = scaled(1_000, least=20)
    large = max(scaled(50_000), small * 10)  # fifty times as many; at least ten times in the smoke run
    with emulator(as_the_local_stack=True), signed_purchases() as post:  # its figures are counts
        _population(small, 0, post)
        one_at_a_time, requests = _consume(1)
        per_event = round(requests / one_at_a_time, 2)
        result["consumer"] = {"events": one_at_a_time, "requests_per_event_one_at_a_time": per_event}
        result["at_small"] = {"members": small, **_report_requests()}
        _population(large - small, small, post)
        batched, requests = _consume(100)
        result["consumer"]["requests_per_event_in_batches_of_100"] = round(requests / batched, 2)  # type: ignore[index]
        result["at_large"] = {"members": large, **_report_requests(), **_export_requests()}
    return result


if __name__ == "__main__":
    print(json.dumps({"bench": "reports", **figures()}, indent=2))
