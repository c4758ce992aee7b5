"""Gift cards under races, over HTTP against the locked emulator: a card sold by one till only, bound to one member
only, and its PIN tried no more than the day allows however many tries arrive at once."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.giftcards import service
from chalicelib.giftcards.book import GIFT_CARD, card_holder
from chalicelib.ledger.registry import ledger
from tests.conftest import member_token
from tests.http import send

pytestmark = pytest.mark.xdist_group("http-stack")


@pytest.fixture(scope="module")
def till(http_stack):
    base, token = http_stack.url, http_stack.token
    status, _ = send("POST", f"{base}/v1/stores", {"store_id": "GR-001", "name": "G", "city": "c", "region": "r"},
                     token=token)  # fmt: skip
    assert status == 201
    return base, token


def printed(till, count):
    """A batch of ``count`` ¥100 cards: (number, PIN) each, from the printer's file."""
    base, token = till
    status, batch = send("POST", f"{base}/v1/gift-cards/batches", {"name": "抢", "face_value_fen": 10_000,
                                                                   "count": count}, token=token)  # fmt: skip
    assert status == 201, batch
    text = service.codes_file(batch["batch_id"]).decode("utf-8-sig")
    return [(line.split(",")[0].replace(" ", ""), line.split(",")[1]) for line in text.strip().splitlines()[1:]]


def sell(till, numbers, order_id):
    base, token = till
    body = {"store_id": "GR-001", "order_id": order_id, "payment_method": "cash", "card_numbers": numbers}
    return send("POST", f"{base}/v1/gift-cards/sales", body, token=token)


def at_once(calls):
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_ten_tills_selling_one_card_at_once_sell_it_once(till):
    ((number, _),) = printed(till, 1)
    answers = at_once([lambda n=n: sell(till, [number], f"R-{n}") for n in range(10)])
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * 9, answers  # never a 500, never twice
    assert ledger().balance(card_holder(number), GIFT_CARD) == 10_000


def test_two_members_binding_one_card_at_once_bind_it_once(till):
    ((number, pin),) = printed(till, 1)
    assert sell(till, [number], "R-PIN")[0] == 201
    members = [member_token(f"1370000{n:04d}")[1] for n in range(9100, 9102)]

    def bind(token):
        return send("POST", f"{till[0]}/v1/me/gift-cards/redemptions", {"card_number": number, "pin": pin},
                    token=token)  # fmt: skip

    pair = at_once([lambda t=t: bind(t) for t in members])
    assert sorted(status for status, _ in pair) == [201, 409], pair
    assert ledger().balance(card_holder(number), GIFT_CARD) == 0
    entries, _ = ledger().page(card_holder(number), GIFT_CARD, 10)
    assert sorted(e.amount for e in entries) == [-10_000, 10_000]  # taken once
