"""What one fresh process spends, in CPU time: run by ``bench/coldstart.py``, never on its own.

``python bench/fresh_process.py frameworks``: import the frameworks alone (chalice, pynamodb, pydantic, boto3).
``python bench/fresh_process.py app PLAN``: import the app, then answer the requests of the JSON file PLAN the
way Lambda calls the app (an API Gateway event), the first one as on a cold start, then the rest warm, then
raw ``GetItem`` calls for comparison. Prints one JSON object of milliseconds of CPU time.

Only the standard library is imported before measuring, so nothing the app needs is loaded early.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

FRAMEWORKS = ("chalice.app", "pynamodb.models", "pydantic", "boto3")


def cpu_ms(operation: Any) -> float:
    start = time.process_time()
    operation()
    return (time.process_time() - start) * 1000


def import_frameworks() -> None:
    import importlib

    for name in FRAMEWORKS:
        importlib.import_module(name)
    from pydantic import BaseModel  # noqa: F401  pydantic's package import is lazy; its models are what apps use


def frameworks() -> dict[str, Any]:
    return {"import_cpu_ms": round(cpu_ms(import_frameworks), 1)}


class _LambdaContext:
    """The few attributes of Lambda's context object a handler may read."""

    function_name = "loyalty-bench-api_handler"
    aws_request_id = "bench"
    memory_limit_in_mb = 512

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def app_process(plan_path: str) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    loaded: dict[str, Any] = {}

    def import_app() -> None:
        import app as module

        loaded["app"] = module.app

    import_ms = cpu_ms(import_app)
    handler, context = loaded["app"], _LambdaContext()
    requests: Counter[str] = Counter()

    def count(request: Any, **kwargs: Any) -> None:
        requests[request.headers["X-Amz-Target"].decode().rpartition(".")[2]] += 1

    import botocore.client  # already imported by the app: this costs nothing measured
    import botocore.handlers

    botocore.handlers.BUILTIN_HANDLERS.append(("before-send.dynamodb", count))  # sessions made from now on

    def answer(event: dict[str, Any]) -> None:
        response = handler(event, context)
        if response["statusCode"] != 200:
            raise SystemExit(f"the app answered {response['statusCode']}: {response['body']}")

    first_ms = cpu_ms(lambda: answer(plan["first"]))
    first_requests = dict(requests)
    from pynamodb.connection import Connection

    in_client: Counter[str] = Counter()  # CPU ms inside the DynamoDB client's call, by operation, over warm requests
    made = Connection._make_api_call

    def timed(connection: Any, operation: str, params: dict[str, Any]) -> Any:
        start = time.process_time()
        try:
            return made(connection, operation, params)
        finally:
            in_client[operation] += (time.process_time() - start) * 1000

    settling = len(plan["warm"]) // 5  # the first warm calls still fill caches: the figures leave them out
    warm_ms = [cpu_ms(lambda event=event: answer(event)) for event in plan["warm"][:settling]]
    Connection._make_api_call = timed  # type: ignore[method-assign]
    warm_ms += [cpu_ms(lambda event=event: answer(event)) for event in plan["warm"][settling:]]
    Connection._make_api_call = made  # type: ignore[method-assign]
    settled = warm_ms[settling:]
    requests.clear()
    answer(plan["last"])
    warm_requests = dict(requests)
    sessions, clients = _instances("botocore.session", "Session"), _instances("botocore.client", "BaseClient")

    import boto3

    raw = boto3.client("dynamodb")
    raw_get_ms = [cpu_ms(lambda: raw.get_item(**plan["raw_get"])) for _ in plan["warm"]]
    raw_get_ms = raw_get_ms[len(raw_get_ms) // 5 :]  # the first calls warm the client up
    return {
        "import_cpu_ms": round(import_ms, 1),
        "first_request_cpu_ms": round(first_ms, 1),
        "warm_request_cpu_ms": round(statistics.median(settled), 2),
        "warm_request_mean_cpu_ms": round(statistics.mean(settled), 3),
        "warm_request_client_mean_cpu_ms": {op: round(ms / len(settled), 3) for op, ms in in_client.items()},
        "raw_get_cpu_ms": round(statistics.median(raw_get_ms), 2),
        "botocore_sessions": sessions,
        "botocore_clients": clients,
        "first_request_dynamodb_requests": first_requests,
        "warm_request_dynamodb_requests": warm_requests,
    }


def _instances(module: str, name: str) -> int:
    cls = getattr(sys.modules[module], name)
    gc.unfreeze()  # the app froze what its import made; count that too
    gc.collect()
    return sum(1 for value in gc.get_objects() if isinstance(value, cls))


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    print(json.dumps(frameworks() if mode == "frameworks" else app_process(*args)))
