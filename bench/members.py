"""Members figures: DynamoDB requests per operation and in-process latency next to a raw GetItem.

Prints one JSON object. Latencies are in-process against the moto emulator on a shared machine: compare
them as ratios to ``raw_get_p50`` from the same run, never as absolute numbers.
"""

from __future__ import annotations

import itertools
import json

from harness import admin_auth, emulator, latency_ms, requests_of


def figures() -> dict[str, object]:
    import boto3
    from chalice.test import Client

    from chalicelib.local import gateway

    gateway.install()
    import app

    result: dict[str, object] = {}
    with emulator(), Client(app.app, stage_name="local") as client:
        auth = admin_auth()
        headers = {"content-type": "application/json", **auth}

        def post(path: str, body: dict[str, object], **extra: str) -> dict[str, object]:
            answer = client.http.post(path, headers={**headers, **extra}, body=json.dumps(body))
            assert answer.status_code in (200, 201), answer.body
            return dict(json.loads(answer.body))

        post("/v1/stores", {"store_id": "SH-001", "name": "静安", "city": "上海", "region": "华东"})

        def register(i: int) -> dict[str, object]:
            body = {"name": "张三", "phone": f"139{i % 100_000_000:08d}", "email": f"u{i}@example.com",
                    "birthday": "1990-05-01", "home_store_id": "SH-001"}  # fmt: skip
            return post("/v1/members", body)

        member = register(99_999_999)
        member_id = member["member_id"]
        edit = {"content-type": "application/merge-patch+json", "if-match": '"1"', **auth}
        city = '{"city": "杭州"}'
        counted = {
            "requests_per_registration": lambda: register(99_999_998),
            "requests_per_member_read": lambda: client.http.get(f"/v1/members/{member_id}", headers=auth),
            "requests_per_lookup_by_phone": lambda: post("/v1/members/lookup", {"phone": "13999999999"}),
            "requests_per_lookup_by_member_no": lambda: post("/v1/members/lookup", {"member_no": member["member_no"]}),
            "requests_per_edit": lambda: client.http.patch(
                f"/v1/members/{member_id}", body=city, headers={**edit, **auth}
            ),
            "requests_per_list_page_by_store": lambda: client.http.get(
                "/v1/members?store_id=SH-001&limit=50", headers=auth
            ),
            "requests_per_erasure": lambda: client.http.delete(f"/v1/members/{member_id}", headers=auth),
        }
        for name, operation in counted.items():
            total, by_operation = requests_of(operation)
            result[name] = {"total": total, "by_operation": by_operation}

        reader = register(99_999_997)
        fresh = itertools.count(1)
        raw = boto3.client("dynamodb", region_name="cn-north-1")
        key = {"member_id": {"S": str(reader["member_id"])}}
        latencies = {
            "raw_get": latency_ms(lambda i: raw.get_item(TableName="loyalty-bench-members", Key=key)),
            "member_read": latency_ms(lambda i: client.http.get(f"/v1/members/{reader['member_id']}", headers=auth)),
            "lookup_by_phone": latency_ms(lambda i: post("/v1/members/lookup", {"phone": "13999999997"})),
            "registration": latency_ms(lambda i: register(next(fresh)), runs=100),
        }
        result["import"] = import_figures()
        raw_p50 = latencies["raw_get"]["p50"]
        result["latency_ms"] = latencies
        result["raw_get_p50"] = raw_p50
        result["ratio_to_raw_get_p50"] = {
            name: round(values["p50"] / raw_p50, 2) for name, values in latencies.items() if name != "raw_get"
        }
    return result


def import_figures() -> dict[str, object]:
    """A CSV import in-process: DynamoDB requests per row (markers read, transactions) and rows per second."""
    import tempfile
    import time
    from pathlib import Path

    from harness import REQUESTS, scaled

    from chalicelib.members.importer import import_members

    rows = scaled(2_000, least=100)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "members.csv"
        lines = [f"会员{i},137{i:08d},,,,SH-001,," for i in range(rows)]
        path.write_text("name,phone,email,birthday,city,store_id,registered_at,member_no\n" + "\n".join(lines))
        REQUESTS.clear()
        started = time.perf_counter()
        report = import_members(path, workers=1)
        seconds = time.perf_counter() - started
    assert report.imported == rows, report.summary()
    requests = dict(REQUESTS)
    return {"rows": rows, "rows_per_second": round(rows / seconds, 1), "requests": requests,
            "requests_per_row": round(sum(requests.values()) / rows, 3)}  # fmt: skip


if __name__ == "__main__":
    print(json.dumps({"bench": "members", **figures()}, indent=2))
