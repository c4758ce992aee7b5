"""Cold start and CPU per request, as Lambda pays them: each figure is CPU time of a fresh process.

- ``import app`` next to importing its frameworks alone (chalice, pynamodb, pydantic, boto3), both from
  compiled bytecode as the Lambda package ships it, and ``import app`` as a package without bytecode costs
  (the standard library compiled, as Lambda's is; every packaged module compiled on import);
- the first signed purchase webhook of a fresh process (an API Gateway event handed to the app, as Lambda
  does), then warm webhooks next to one raw ``GetItem``, against the locked emulator over HTTP in this process
  (its CPU is not counted: it stands in for DynamoDB);
- where a warm webhook's CPU goes (``warm_request_split``): inside the DynamoDB client's call, per operation (timed
  around pynamodb's ``Connection._make_api_call``: the request built, signed, sent and its answer read), and the rest
  (the app, pynamodb's models, chalice), each also as raw ``GetItem``s;
- botocore sessions and clients the process made for DynamoDB, and TCP connections it opened.

Each figure is the median over fresh processes (``bench/fresh_process.py``); a ratio is the median of each process's
own (the app's import next to the frameworks' of the probe run just before it; a process's warm requests next to its
raw ``GetItem``s), as the CPU time of the slower machines varies by a third from one minute to the next. Prints one JSON
object.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from harness import PROJECT, STORE, scaled

PROBE = PROJECT / "bench" / "fresh_process.py"
PREFIX, REGION = "loyalty-bench", "cn-north-1"
RUNS = scaled(5, least=1)  # medians of five at full size; the smoke run of `make test` probes once
WARM_REQUESTS = scaled(50, least=10)
GOALS = {"import_app_vs_frameworks": 1.3, "first_request_cpu_ms": 250, "warm_request_vs_raw_get": 2.5}


def seed() -> tuple[str, str, str]:
    """A store, a partner and a member with points: what a purchase webhook needs. Returns their ids and secret."""
    from chalicelib.identity.partners import create_partner
    from chalicelib.members.records import MemberRecord
    from chalicelib.points import service
    from chalicelib.stores.schemas import StoreCreate
    from chalicelib.stores.service import create_store

    create_store(StoreCreate(store_id=STORE, name="上海一店", city="上海", region="华东"))
    issued = create_partner("bench POS", [], enrols_members=False)
    member_id = "mb_bench00000001"
    MemberRecord(member_id, member_no="0000000001", name="会员", gender="undisclosed", source="store",
                 registered_at="2026-01-01T00:00:00Z", registered_month="2026-01",
                 registered_key=f"2026-01-01T00:00:00Z#{member_id}", status="active", tier="normal",
                 created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z").save()  # fmt: skip
    service.earn(member_id, 100, source_kind="order", source_id="bench", reason="bench", key=None)
    return issued.partner.partner_id, issued.secret, member_id


def purchase_event(partner_id: str, secret: str, member_id: str, order_id: str) -> dict[str, Any]:
    """A signed purchase webhook as API Gateway hands it to the function."""
    from chalicelib.identity.signatures import signature_header
    from chalicelib.shared import clock

    body = json.dumps({"order_id": order_id, "member": {"member_id": member_id}, "store_id": STORE,
                       "occurred_at": clock.iso(clock.now() - timedelta(hours=1)), "total_fen": 12_300,
                       "paid_fen": 12_300, "payment_method": "cash"})  # fmt: skip
    path = "/v1/webhooks/purchases"
    headers = {"content-type": "application/json", "x-partner-id": partner_id,
               "x-signature": signature_header(secret, int(time.time()), body.encode(), "POST", path)}  # fmt: skip
    return {
        "resource": path, "path": path, "httpMethod": "POST", "headers": headers,
        "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": {},
        "requestContext": {"httpMethod": "POST", "resourcePath": path, "path": f"/v{path}", "stage": "v",
                           "identity": {"sourceIp": "127.0.0.1"}, "requestId": f"req-{order_id}"},
        "body": body, "isBase64Encoded": False,
    }  # fmt: skip


def probe(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, *args], cwd=PROJECT, env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _requests(by_operation: dict[str, int]) -> dict[str, object]:
    return {"total": sum(by_operation.values()), "by_operation": by_operation}


def median(runs: list[dict[str, Any]], name: str) -> float:
    return round(statistics.median(run[name] for run in runs), 2)


def split(runs: list[dict[str, Any]], raw_get_ms: float) -> dict[str, Any]:
    """Where a warm purchase's CPU goes (means over its warm requests, the median run): inside the client's call for
    each DynamoDB operation, and the rest (the app, pynamodb's models, chalice); each also as raw ``GetItem``s."""
    operations = sorted({op for run in runs for op in run["warm_request_client_mean_cpu_ms"]})
    by_operation = {op: median([{"ms": run["warm_request_client_mean_cpu_ms"].get(op, 0.0)} for run in runs], "ms")
                    for op in operations}  # fmt: skip
    rest = median([{"ms": run["warm_request_mean_cpu_ms"] - sum(run["warm_request_client_mean_cpu_ms"].values())}
                   for run in runs], "ms")  # fmt: skip
    return {
        "dynamodb_client_cpu_ms": by_operation,
        "dynamodb_client_vs_raw_get": round(sum(by_operation.values()) / raw_get_ms, 2),
        "rest_cpu_ms": rest,
        "rest_vs_raw_get": round(rest / raw_get_ms, 2),
    }


def figures() -> dict[str, Any]:
    from chalicelib.local.emulator import LockedEmulator
    from chalicelib.local.provision import provision

    emulator = LockedEmulator()
    emulator.start()
    try:
        os.environ["AWS_ENDPOINT_URL"] = emulator.endpoint_url
        provision(PREFIX, REGION, endpoint_url=emulator.endpoint_url)
        import app  # noqa: F401  binds the tables
        from chalicelib.shared.db import physical_name

        partner_id, secret, member_id = seed()
        orders = iter(range(1_000_000))
        raw_get = {"TableName": physical_name(PREFIX, "ledger-accounts"), "Key": {"holder": {"S": member_id}}}

        def plan_file(directory: str) -> str:
            events = [purchase_event(partner_id, secret, member_id, f"cold-{next(orders)}")
                      for _ in range(WARM_REQUESTS + 2)]  # fmt: skip
            plan = {"first": events[0], "warm": events[1:-1], "last": events[-1], "raw_get": raw_get}
            path = Path(directory) / f"plan-{next(orders)}.json"
            path.write_text(json.dumps(plan), "utf-8")
            return str(path)

        with tempfile.TemporaryDirectory(prefix="loyalty-coldstart-") as work:
            compiled, source = Path(work) / "pyc", Path(work) / "none"
            child = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
            with_bytecode = ["-X", f"pycache_prefix={compiled}", str(PROBE)]
            without_bytecode = ["-X", f"pycache_prefix={source}", str(PROBE)]
            writing = {k: v for k, v in child.items() if k != "PYTHONDONTWRITEBYTECODE"}
            probe([*with_bytecode, "frameworks"], writing)  # compiles every module once, as packaging does
            probe([*with_bytecode, "app", plan_file(work)], writing)
            stdlib = sysconfig.get_paths()["stdlib"].lstrip("/")  # the prefix mirrors absolute paths
            shutil.copytree(compiled / stdlib, source / stdlib)
            frameworks, runs = [], []
            for _ in range(RUNS):  # in pairs: a machine that slows down meanwhile slows both of a pair
                frameworks.append(probe([*with_bytecode, "frameworks"], child))
                runs.append(probe([*with_bytecode, "app", plan_file(work)], child))
            from_source = [probe([*without_bytecode, "app", plan_file(work)], child) for _ in range(max(1, RUNS // 2))]
    finally:
        emulator.stop()
    result: dict[str, Any] = {
        "import_frameworks_cpu_ms": median(frameworks, "import_cpu_ms"),
        "import_app_cpu_ms": median(runs, "import_cpu_ms"),
        "import_app_cpu_ms_without_bytecode": median(from_source, "import_cpu_ms"),
        "first_request_cpu_ms": median(runs, "first_request_cpu_ms"),
        "first_request_cpu_ms_without_bytecode": median(from_source, "first_request_cpu_ms"),
        "warm_request_cpu_ms": median(runs, "warm_request_cpu_ms"),
        "raw_get_cpu_ms": median(runs, "raw_get_cpu_ms"),
        "botocore_sessions": max(run["botocore_sessions"] for run in runs),
        "botocore_clients": max(run["botocore_clients"] for run in runs),
        "requests_per_first_purchase": _requests(runs[0]["first_request_dynamodb_requests"]),
        "requests_per_warm_purchase": _requests(runs[0]["warm_request_dynamodb_requests"]),
    }
    pairs = zip(runs, frameworks, strict=True)
    result["import_app_vs_frameworks"] = round(
        statistics.median(a["import_cpu_ms"] / f["import_cpu_ms"] for a, f in pairs), 2
    )
    result["warm_request_vs_raw_get"] = round(
        statistics.median(r["warm_request_cpu_ms"] / r["raw_get_cpu_ms"] for r in runs), 2
    )
    result["warm_request_split"] = split(runs, result["raw_get_cpu_ms"])
    result["goals"] = {name: {"goal": goal, "met": result[name] <= goal} for name, goal in GOALS.items()}
    return result


if __name__ == "__main__":
    print(json.dumps({"bench": "coldstart", "runs": RUNS, "warm_requests": WARM_REQUESTS, **figures()}, indent=2))
