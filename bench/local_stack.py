"""The local stack at the size of a real chain: ``python bench/local_stack.py [MEMBERS] [--no-seed]`` prints one
JSON object.

MEMBERS (default 100,000 at ``LOYALTY_BENCH_SCALE``) is how many members' worth of items the restart reloads:
copies of members imported through the CLI into a running stack, with every item their registration wrote
and every consumer's marker of their events. It measures:

- ``cold_start_seconds``: the stack (what `make run` execs) with an empty ``.local/``, to its first healthy
  answer (with ``--no-seed``, as `local up --no-seed` starts it: without the demo data, which the tests' smoke
  run skips, as the `make run` and browser tests start with it); ``idle_cpu_percent``: the CPU its process used
  over ``idle_seconds`` while nothing happened;
- ``restart``: the same with MEMBERS members' worth of items in ``.local/data.json``: items reloaded, the
  reload's seconds and items per second (as the stack reports them), seconds to healthy, CPU when idle, and
  the seconds SIGTERM takes to finish the deliveries under way, save every item and queued message and exit;
- ``sparse_list``: the members of a tier one in 1,000 holds, listed 50 a page through the service against the
  restarted stack: pages, members per page, members and distinct members, DynamoDB requests in all and per page,
  seconds for the whole list.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness import PROJECT, REQUESTS, LocalStack, local_env, local_stack, scaled
from make_members_csv import STORES
from make_members_csv import write as write_members_csv

TEMPLATE_MEMBERS = 100
GOLD_EVERY = 1000  # one member in GOLD_EVERY holds the tier the sparse list asks for
MEMBER_ID = re.compile(r"mb_[0-9A-Z]{26}")


def cpu_percent_when_idle(stack: LocalStack, seconds: float) -> float:
    """The share of one core the stack's process used over ``seconds``, once its start-up work is done: the
    start-up's events relayed and consumed, seen as two seconds in a row under 3% of a core each (a fixed wait of
    3 s measured a start-up still consuming its demo events: 65% of a core at the smoke scale)."""

    def cpu_seconds() -> float:
        fields = Path(f"/proc/{stack.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # user and system time

    deadline, quiet = time.monotonic() + 120, 0
    while quiet < 2 and time.monotonic() < deadline:
        before = cpu_seconds()
        time.sleep(1)
        quiet = quiet + 1 if cpu_seconds() - before < 0.03 else 0
    used = cpu_seconds()
    time.sleep(seconds)
    return round(100 * (cpu_seconds() - used) / seconds, 2)


def key_names() -> dict[str, list[str]]:
    """Each local table's key attributes (hash first)."""
    from chalicelib.local.stack import PREFIX
    from chalicelib.shared.db import physical_name, registered_tables, table_definition

    definitions = (table_definition(cls, physical_name(PREFIX, cls.logical_name)) for cls in registered_tables())
    return {d["TableName"]: [k["AttributeName"] for k in d["KeySchema"]] for d in definitions}


def stack_items(stack: LocalStack) -> set[tuple[str, str]]:
    """The table and key of every item the running stack holds, read through its emulator."""
    dynamodb = stack.client("dynamodb")
    keys = key_names()
    return {(table, _key(item, keys[table])) for table in keys
            for page in dynamodb.get_paginator("scan").paginate(TableName=table) for item in page["Items"]}  # fmt: skip


def member_items(stack: LocalStack, scratch: Path) -> dict[str, list[dict[str, Any]]]:
    """The items TEMPLATE_MEMBERS members imported into the settled ``stack`` add to its saved data, their events
    consumed; read from its data once the stack has stopped and saved."""
    before = stack_items(stack)
    members_csv = write_members_csv(scratch / "members.csv", TEMPLATE_MEMBERS)
    command = [sys.executable, "-m", "chalicelib.cli", "members", "import", str(members_csv)]
    subprocess.run(command, cwd=PROJECT, env=local_env(stack.local_dir), capture_output=True, check=True)
    stack.settle()  # every event consumed, so the consumers' markers are among the items saved
    stack.stop()
    keys = key_names()
    saved = json.loads((stack.local_dir / "data.json").read_text(encoding="utf-8"))["tables"]
    added = {table: [i for i in items if (table, _key(i, keys[table])) not in before] for table, items in saved.items()}
    return {table: items for table, items in added.items() if items}


def copies(template: dict[str, list[dict[str, Any]]], times: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """The template's items ``times`` over, each time with member ids of its own (``<id>-<n>``) and other keys
    made distinct; one member in GOLD_EVERY, picked at random, is gold."""
    keys = key_names()
    members = times * len(template["loyalty-local-members"])
    gold = set(random.Random(7).sample(range(members), members // GOLD_EVERY))
    made = 0
    for n in range(times):
        for table, items in template.items():
            for item in items:
                copy = _renamed(item, n)
                last_key = keys[table][-1]
                if all(copy[name] == item[name] for name in keys[table]) and "S" in copy[last_key]:
                    copy[last_key] = {"S": f"{item[last_key]['S']}-{n}"}
                if table.endswith("-members"):
                    copy["tier"] = {"S": "gold" if made in gold else "normal"}
                    made += 1
                yield table, copy


def _renamed(value: Any, n: int) -> Any:
    if isinstance(value, dict):
        return {name: _renamed(member, n) for name, member in value.items()}
    if isinstance(value, list):
        return [_renamed(member, n) for member in value]
    if isinstance(value, str):
        return MEMBER_ID.sub(lambda found: f"{found.group()}-{n}", value)
    return value


def _key(item: dict[str, Any], names: list[str]) -> str:
    return json.dumps([item[name] for name in names])


def gold_members(local_dir: Path) -> int:
    """The gold members the stack saved (the demo data's), which the sparse list finds beside the copies'."""
    saved = json.loads((local_dir / "data.json").read_text(encoding="utf-8"))["tables"]
    members = next(items for table, items in saved.items() if table.endswith("-members"))
    return sum(1 for item in members if item.get("tier", {}).get("S") == "gold")


def write_data(local_dir: Path, template: dict[str, list[dict[str, Any]]], members: int) -> int:
    """``.local/data.json`` holding what the stack saved, plus about ``members`` members' worth of copies of
    the template; how many members the copies hold."""
    saved = json.loads((local_dir / "data.json").read_text(encoding="utf-8"))
    times = max(1, round(members / len(template["loyalty-local-members"])))
    for table, item in copies(template, times):
        saved["tables"][table].append(item)
    text = json.dumps(saved, ensure_ascii=False, separators=(",", ":"))
    (local_dir / "data.json").write_text(text, encoding="utf-8")
    return times * len(template["loyalty-local-members"])


def sparse_list(local_dir: Path) -> dict[str, Any]:
    """The gold members, 50 a page, through the service against the running stack."""
    from chalicelib.local.localdir import LocalDir, connect
    from chalicelib.members.schemas import MemberListQuery
    from chalicelib.members.service import list_members

    connect(LocalDir(local_dir))
    pages, requests, listed, cursor = [], [], set(), None
    start = time.perf_counter()
    while True:
        REQUESTS.clear()
        rows, cursor = list_members(MemberListQuery(tier="gold", limit=50, cursor=cursor))
        pages.append(len(rows))
        listed.update(row["member_id"] for row in rows)
        requests.append(sum(REQUESTS.values()))
        if cursor is None:
            break
    return {
        "pages": len(pages),
        "members_per_page": pages,
        "members": sum(pages),
        "distinct_members": len(listed),
        "requests": sum(requests),
        "requests_per_page": requests,
        "seconds": round(time.perf_counter() - start, 2),
    }


def reloaded(log: Path) -> dict[str, float]:
    """Items and seconds of the reload, as the stack reported it."""
    found = re.findall(r"(\d+) items reloaded from .* in ([\d.]+) s", log.read_text())
    items, seconds = int(found[-1][0]), float(found[-1][1])
    return {"items": items, "reload_seconds": seconds, "items_per_second": round(items / max(seconds, 0.05))}


def figures(members: int, idle_seconds: float, *, seed: bool = True) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="loyalty-bench-local-") as scratch:
        local_dir = Path(scratch) / "local"
        with local_stack(local_dir, seed=seed) as cold:
            result: dict[str, Any] = {
                "seeded": seed,
                "cold_start_seconds": cold.seconds_to_healthy,
                "idle_seconds": idle_seconds,
                "idle_cpu_percent": cpu_percent_when_idle(cold, idle_seconds),
            }
            if seed:
                cold.settle()  # the demo month consumed, so the template's items are the imported members' alone
            else:
                cold.make_stores(STORES)  # the members file's, which the demo data holds (it settles after them)
            template = member_items(cold, Path(scratch))
        seeded_gold = gold_members(local_dir)
        members = write_data(local_dir, template, members)
        with local_stack(local_dir, seed=seed) as restarted:
            result["restart"] = {
                "members": members,
                "seeded_gold_members": seeded_gold,
                **reloaded(restarted.log),
                "seconds_to_healthy": restarted.seconds_to_healthy,
                "idle_cpu_percent": cpu_percent_when_idle(restarted, idle_seconds),
            }
            result["sparse_list"] = sparse_list(local_dir)
            result["restart"]["stop_seconds"] = restarted.stop()
    return result


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description="The local stack at the size of a real chain; prints JSON.")
    arguments.add_argument("members", nargs="?", type=int, default=scaled(100_000))
    arguments.add_argument(
        "--no-seed", dest="seed", action="store_false", help="start the local stack without the demo data"
    )
    given = arguments.parse_args()
    result = figures(given.members, idle_seconds=scaled(30, least=3), seed=given.seed)
    print(json.dumps({"bench": "local_stack", **result}, indent=2))
