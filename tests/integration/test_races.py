"""Concurrent requests over HTTP against the locked emulator: one effect, every other caller told why."""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.xdist_group("http-stack")


def post(url, body, headers=None):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"content-type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def all_stores(base):
    stores, cursor = [], None
    while True:
        page = get(f"{base}/v1/stores?limit=200" + (f"&cursor={cursor}" if cursor else ""))
        stores += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return stores


def test_twenty_simultaneous_requests_with_one_key_have_one_effect(http_stack):
    before = len(all_stores(http_stack))
    body = {"name": "Race", "city": "Shanghai", "region": "East"}
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(lambda _: post(f"{http_stack}/v1/stores", body, {"idempotency-key": "race-key-0001"}), range(20))
        )
    assert {status for status, _ in answers} == {201}
    assert len({json.dumps(body, sort_keys=True) for _, body in answers}) == 1
    assert len(all_stores(http_stack)) == before + 1


def test_twenty_simultaneous_creates_of_one_store_id_give_one_201_and_409s(http_stack):
    body = {"store_id": "RACE-1", "name": "Race", "city": "Shanghai", "region": "East"}
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(status for status, _ in pool.map(lambda _: post(f"{http_stack}/v1/stores", body), range(20)))
    assert statuses == [201] + [409] * 19
