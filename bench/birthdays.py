"""Birthday gift figures: the items the monthly ``give-birthday-gifts`` run reads per member given a gift, among
members born in every month of the year, and the DynamoDB requests per gift (the index pages, the member's
profile, the account read and one transaction). Prints one JSON object.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from harness import ITEMS_READ, REQUESTS, emulator, scaled


def figures() -> dict[str, object]:
    from chalicelib.members import service as members
    from chalicelib.members.schemas import MemberCreate
    from chalicelib.purchases.jobs import GiveBirthdayGifts
    from chalicelib.shared import clock
    from chalicelib.shared.jobs import run_job
    from chalicelib.shared.settings import get_settings

    result: dict[str, object] = {}
    with emulator():
        born = scaled(1_200, least=120)
        for n in range(born):  # a twelfth of them born in each month
            birthday = date(1990, n % 12 + 1, n % 28 + 1)
            members.register(MemberCreate(name="会员", phone=f"1350000{n:04d}", birthday=birthday))
        without = scaled(600, least=60)
        for n in range(without):
            members.register(MemberCreate(name="会员", phone=f"1360000{n:04d}"))
        first = date(2027, 6, 1)
        with clock.frozen(datetime.combine(first, datetime.min.time(), get_settings().tz) + timedelta(minutes=40)):
            ITEMS_READ.clear()
            REQUESTS.clear()
            report = run_job(GiveBirthdayGifts(), first)
            reads, requests = sum(ITEMS_READ.values()), sum(REQUESTS.values())
            given = report.tallies.get("changed", 0)
            result["monthly_run"] = {
                "members": born + without, "born_this_month": born // 12, "given": given,
                "items_read": reads, "items_read_by_operation": dict(ITEMS_READ),
                "items_read_per_gift": round(reads / given, 3), "requests": requests,
                "requests_by_operation": dict(REQUESTS), "requests_per_gift": round(requests / given, 3),
            }  # fmt: skip
            ITEMS_READ.clear()
            again = run_job(GiveBirthdayGifts(), first + timedelta(days=0))
            result["rerun_items_read"] = sum(ITEMS_READ.values())
            result["rerun_planned"] = again.planned
    return result


if __name__ == "__main__":
    print(json.dumps({"bench": "birthdays", **figures()}, indent=2))
