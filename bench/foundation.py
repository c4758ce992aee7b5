"""Platform figures: DynamoDB requests per store operation, latency next to a raw GetItem, import and start-up.

Prints one JSON object. Latencies are in-process against the moto emulator on a shared machine: compare
them as ratios to ``raw_get_p50`` from the same run, never as absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import PROJECT, admin_auth, emulator, latency_ms, local_stack, requests_of, scaled


def in_process() -> dict[str, object]:
    import boto3
    from chalice.test import Client

    from chalicelib.local import gateway

    gateway.install()
    import app

    figures: dict[str, object] = {}
    with emulator(), Client(app.app, stage_name="local") as client:
        auth = admin_auth()
        json_headers = {"content-type": "application/json", **auth}
        client.http.get("/v1/stores?limit=1", headers=auth)  # warm: the session check is cached per instance

        def create(i: int, key: str | None = None) -> None:
            headers = {**json_headers, **({"idempotency-key": key} if key else {})}
            body = json.dumps({"store_id": f"B-{i}", "name": "Bench", "city": "Shanghai", "region": "East"})
            assert client.http.post("/v1/stores", headers=headers, body=body).status_code == 201

        figures["requests_per_store_create"] = requests_of(lambda: create(100_000))
        figures["requests_per_idempotent_create"] = requests_of(lambda: create(100_001, "bench-key-1"))
        figures["requests_per_idempotent_replay"] = requests_of(lambda: create(100_001, "bench-key-1"))
        figures["requests_per_store_read"] = requests_of(lambda: client.http.get("/v1/stores/B-100000", headers=auth))
        patch_headers = {"content-type": "application/merge-patch+json", "if-match": '"1"', **auth}
        figures["requests_per_store_patch"] = requests_of(
            lambda: client.http.patch("/v1/stores/B-100000", headers=patch_headers, body='{"city": "Hangzhou"}')
        )
        raw = boto3.client("dynamodb", region_name="cn-north-1")
        table = "loyalty-bench-stores"

        def raw_transact_put(i: int) -> None:
            condition = "attribute_not_exists(store_id)"
            put = {"TableName": table, "Item": {"store_id": {"S": f"R-{i}"}}, "ConditionExpression": condition}
            raw.transact_write_items(TransactItems=[{"Put": put}])

        latencies = {
            "raw_get": latency_ms(lambda i: raw.get_item(TableName=table, Key={"store_id": {"S": "B-100000"}})),
            "raw_transact_put": latency_ms(raw_transact_put),
            "store_read": latency_ms(lambda i: client.http.get("/v1/stores/B-100000", headers=auth)),
            "store_create": latency_ms(lambda i: create(i)),
            "health": latency_ms(lambda i: client.http.get("/v1/health")),
        }
        raw_p50 = latencies["raw_get"]["p50"]
        figures["latency_ms"] = latencies
        figures["raw_get_p50"] = raw_p50
        figures["ratio_to_raw_get_p50"] = {
            name: round(values["p50"] / raw_p50, 2) for name, values in latencies.items() if name != "raw_get"
        }
        figures["store_create_vs_raw_transact_p50"] = round(
            latencies["store_create"]["p50"] / latencies["raw_transact_put"]["p50"], 2
        )
    for name in [key for key in figures if key.startswith("requests_per_")]:
        total, by_operation = figures[name]  # type: ignore[misc]
        figures[name] = {"total": total, "by_operation": by_operation}
    return figures


def import_seconds(runs: int = 5) -> float:
    """Median wall time of ``import app`` in a fresh interpreter, as -X importtime reports it."""
    env = {**os.environ}
    totals = []
    for _ in range(runs):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import app"], cwd=PROJECT, env=env,
                             capture_output=True, text=True, check=True).stderr  # fmt: skip
        totals.append(int(re.findall(r"\|\s+(\d+) \| app$", err, re.M)[-1]) / 1e6)
    return round(sorted(totals)[len(totals) // 2], 3)


def emulator_get_cpu_ms(calls: int) -> dict[str, float]:
    """CPU per ``GetItem`` from the local stack's process to its emulator (the client's and the server's threads):
    over HTTP, as the CLI and the workers send, and answered in the process, as the stack's own requests are."""
    import boto3

    from chalicelib.local.emulator import LockedEmulator

    emulator = LockedEmulator()
    emulator.start()
    try:
        over_http = boto3.client("dynamodb", region_name="ap-east-1", endpoint_url=emulator.endpoint_url)
        emulator.answer_this_process()
        in_process = boto3.client("dynamodb", region_name="ap-east-1", endpoint_url=emulator.endpoint_url)
        in_process.create_table(
            TableName="bench-emulator-get", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )  # fmt: skip
        key = {"id": {"S": "1"}}
        in_process.put_item(TableName="bench-emulator-get", Item={**key, "n": {"N": "1"}})

        def cpu_ms(client: Any) -> float:
            for _ in range(20):
                client.get_item(TableName="bench-emulator-get", Key=key)
            started = time.process_time()
            for _ in range(calls):
                client.get_item(TableName="bench-emulator-get", Key=key)
            return round(1000 * (time.process_time() - started) / calls, 2)

        return {"over_http": cpu_ms(over_http), "in_process": cpu_ms(in_process)}
    finally:
        emulator.stop()


def local_start_and_stop_seconds(seed: bool = True) -> dict[str, float]:
    """Seconds from launching the local stack (what `make run` execs) on an empty ``.local/`` to the first healthy
    answer, then from SIGTERM at once (the demo month's events still queued) to its exit; without ``seed``, as `local
    up --no-seed` starts it (the smoke run of `make test`, whose `make run` tests start and stop the demo data)."""
    with tempfile.TemporaryDirectory() as scratch, local_stack(Path(scratch) / "local", seed=seed) as stack:
        return {"local_start_seconds_first_run": stack.seconds_to_healthy, "local_stop_seconds_first_run": stack.stop()}


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description="Platform figures; prints JSON.")
    arguments.add_argument(
        "--no-seed", dest="seed", action="store_false", help="start the local stack without the demo data"
    )
    given = arguments.parse_args()
    result = {
        "bench": "foundation",
        **in_process(),
        "import_app_seconds": import_seconds(runs=scaled(5, least=2)),
        "local_stack_get_cpu_ms": emulator_get_cpu_ms(scaled(1000, least=50)),
        **local_start_and_stop_seconds(given.seed),
        "note": "Latencies are in-process against moto. moto's TransactWriteItems deep-copies each table it touches "
        "before applying, so transactional writes slow down as emulator tables grow; DynamoDB has no such cost.",
    }
    print(json.dumps(result, indent=2))
