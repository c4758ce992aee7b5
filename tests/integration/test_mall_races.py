"""The points mall under races, over HTTP against the locked emulator: a reward's stock is never oversold, and a mall
order racing a redemption of the same points never spends them twice."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.ledger.jobs import reconcile
from chalicelib.mall.rules import reward_holder
from tests.conftest import member_token
from tests.http import send

pytestmark = pytest.mark.xdist_group("http-stack")
ADDRESS = {"name": "张三", "phone": "13800138000", "address": "上海市黄浦区南京东路 1 号"}


def ok(answer, status=200):
    assert answer[0] == status, answer[1]
    return answer[1]


def credited(http_stack, member_id, points, key):
    body = {"points": points, "reason": "race"}
    ok(
        send(
            "POST",
            f"{http_stack.url}/v1/members/{member_id}/points/adjustments",
            body,
            {"idempotency-key": key},
            token=http_stack.token,
        ),
        201,
    )


def reward(http_stack, **fields):
    body = {"name": "限量保温杯", "kind": "goods", "points": 100, "stock": 5, "fulfilment": "shipping", **fields}
    return ok(send("POST", f"{http_stack.url}/v1/mall/rewards", body, token=http_stack.token), 201)


def order(http_stack, token, reward_id, key):
    body = {"reward_id": reward_id, "quantity": 1, "address": ADDRESS}
    return send("POST", f"{http_stack.url}/v1/me/mall/orders", body, {"idempotency-key": key}, token=token)


def points_of(http_stack, member_id):
    return ok(send("GET", f"{http_stack.url}/v1/members/{member_id}/points", token=http_stack.token))["available"]


def test_fifty_simultaneous_orders_on_a_stock_of_five_give_exactly_five(http_stack):
    members = [member_token(f"137000001{n:02d}") for n in range(50)]
    for n, (member_id, _) in enumerate(members):
        credited(http_stack, member_id, 100, f"race-mall-credit-{n:02d}")
    cup = reward(http_stack)

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(
            pool.map(lambda n: order(http_stack, members[n][1], cup["reward_id"], f"race-mall-{n:02d}"), range(50))
        )
    won = [body for status, body in answers if status == 201]
    refused = sorted({(status, body["type"].rsplit("/", 1)[1]) for status, body in answers if status != 201})
    assert len(won) == 5
    assert refused == [(409, "out-of-stock")]  # never a 503, never a 500
    assert sum(status == 409 for status, _ in answers) == 45
    shown = ok(send("GET", f"{http_stack.url}/v1/mall/rewards/{cup['reward_id']}", token=http_stack.token))
    assert (shown["stock"], shown["sold"], shown["stocked"]) == (0, 5, 5)
    winners = {body["member_id"] for body in won}
    assert sorted(points_of(http_stack, member_id) for member_id, _ in members) == [0] * 5 + [100] * 45
    assert all(points_of(http_stack, member_id) == 0 for member_id in winners)
    assert reconcile(reward_holder(cup["reward_id"])) == {}


def test_a_mall_order_racing_a_redemption_of_the_same_points_never_overspends(http_stack):
    """Rounds of a member holding exactly one reward's price: the order and a redemption of all their points race;
    exactly one wins each round and the points never go below zero."""
    cup = reward(http_stack, stock=100)
    outcomes = []
    for round_ in range(8):
        member_id, token = member_token(f"1370000020{round_}")
        credited(http_stack, member_id, 100, f"race-both-credit-{round_}")

        def race(n, member_id=member_id, token=token, round_=round_):
            if n % 2:
                return "order", order(http_stack, token, cup["reward_id"], f"race-both-order-{round_}-{n}")
            body = {"points": 100, "reason": "柜台兑换"}
            return "redemption", send(
                "POST",
                f"{http_stack.url}/v1/members/{member_id}/points/redemptions",
                body,
                {"idempotency-key": f"race-both-redeem-{round_}-{n}"},
                token=http_stack.token,
            )

        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(race, range(6)))
        winners = [kind for kind, (status, _) in answers if status == 201]
        losers = {(status, body["type"].rsplit("/", 1)[1]) for _, (status, body) in answers if status != 201}
        assert len(winners) == 1, answers
        assert losers == {(409, "insufficient-points")}
        assert points_of(http_stack, member_id) == 0
        assert reconcile(member_id) == {}
        outcomes.append(winners[0])
    shown = ok(send("GET", f"{http_stack.url}/v1/mall/rewards/{cup['reward_id']}", token=http_stack.token))
    assert shown["sold"] == outcomes.count("order") == 100 - shown["stock"]
