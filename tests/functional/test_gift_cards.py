"""Gift cards (礼品卡): a batch printed, cards sold at a till once per order, bound by members to their stored value
once per card, PINs not guessed, and every card's book adding up."""

import threading
from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest

from chalicelib.exports import files
from chalicelib.giftcards.book import GIFT_CARD, card_holder
from chalicelib.giftcards.rules import add_months, check_digit, valid_number
from chalicelib.ledger.registry import ledger
from chalicelib.shared import clock
from tests.conftest import deliver, item_counts, member_token, published_envelopes, token_for


def batch(api, count=3, face=20_000, **more):
    made = api.post("/v1/gift-cards/batches", {"name": "春节礼品卡", "face_value_fen": face, "count": count, **more})
    assert made.status == 201, made.body
    return made.body


def codes(batch_id):
    """The printer's file: (number, PIN) a card."""
    from chalicelib.giftcards import service

    text = service.codes_file(batch_id).decode("utf-8-sig")
    rows = [line.split(",") for line in text.strip().splitlines()[1:]]
    return [(row[0].replace(" ", ""), row[1]) for row in rows]


def sell(api, numbers, order_id, store_id="SH-001", method="cash"):
    return api.post("/v1/gift-cards/sales", {"store_id": store_id, "order_id": order_id, "payment_method": method,
                                             "card_numbers": numbers})  # fmt: skip


def bind(api, token, number, pin):
    return api.as_(token).post("/v1/me/gift-cards/redemptions", {"card_number": number, "pin": pin})


def card_balance(number):
    return ledger().balance(card_holder(number), GIFT_CARD)


def test_a_card_printed_sold_at_a_till_and_bound_by_a_member_moves_its_value_once(api, aws, partner):
    made = batch(api)
    assert (made["count"], made["sold"], made["unsold"], made["valid_months"]) == (3, 0, 3, 36)
    (n1, p1), (n2, p2), (n3, _) = printed = codes(made["batch_id"])
    assert all(valid_number(number) and len(pin) == 8 for number, pin in printed)
    link = api.post(f"/v1/gift-cards/batches/{made['batch_id']}/codes", {})
    assert (link.status, link.body["file_name"]) == (201, f"gift-cards_{made['batch_id']}.csv")
    assert [e for e in published_envelopes() if e["type"] == "giftcard.codes-fetched"]  # who took the PINs

    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    grouped = " ".join(n1[i : i + 4] for i in range(0, 16, 4))  # as printed on the card's face
    sold = sell(cashier, [grouped, n2], "GC-1")
    assert sold.status == 201, sold.body
    last_day = add_months(clock.business_today(), 36) - timedelta(days=1)
    assert (sold.body["amount_fen"], [c["valid_until"] for c in sold.body["cards"]]) == (
        40_000, [last_day.isoformat()] * 2)  # fmt: skip
    assert sell(cashier, [n1, n2], "GC-1").body["duplicate"] is True  # a till's retry after a lost answer
    assert sell(cashier, [n1], "GC-1").status == 409  # the same order, other cards
    again = sell(cashier, [n1, n3], "GC-2")
    assert (again.status, again.body["type"].rsplit("/", 1)[-1], again.body["cards"]) == (
        409, "gift-cards-not-sellable", [{"number": n1, "reason": "sold"}])  # fmt: skip
    assert api.get(f"/v1/gift-cards/{n3}").body["status"] == "unsold"  # refused whole: n3 not sold
    assert sell(cashier, [n3], "GC-3", store_id="BJ-001").status == 422  # not the cashier's store
    today = clock.business_today()
    manager = api.as_(token_for(["store_manager"], ("SH-001",)))  # 礼品卡流水: the store closes its drawer with it
    (line,) = manager.get(f"/v1/stores/SH-001/gift-cards/journal?from={today}&to={today}").body["items"]
    assert (line["order_id"], line["payment_method"], line["amount_fen"], line["cards"]) == ("GC-1", "cash", 40_000, 2)
    assert line["recorded_by"].startswith("staff:")
    assert manager.get(f"/v1/stores/BJ-001/gift-cards/journal?from={today}&to={today}").status == 404  # not theirs
    assert (card_balance(n1), card_balance(n2), card_balance(n3)) == (20_000, 20_000, 0)

    member_id, token = member_token("13900000071")
    wrong = bind(api, token, n1, "00000000" if p1 != "00000000" else "11111111")
    assert wrong.status == 404
    bound = bind(api, token, grouped, p1)
    assert bound.status == 201, bound.body
    assert (bound.body["principal_fen"], bound.body["card_ends"], bound.body["wallet"]["principal_fen"]) == (
        20_000, n1[-4:], 20_000)  # fmt: skip
    assert bind(api, token, n1, p1).body["duplicate"] is True
    wallet = api.as_(token).get("/v1/me/wallet").body
    assert wallet["principal_fen"] == 20_000
    other_id, other = member_token("13900000072")
    taken = bind(api, other, n1, p1)
    assert (taken.status, taken.body["reason"]) == (409, "redeemed")
    unsold = bind(api, other, n3, codes(made["batch_id"])[2][1])
    assert (unsold.status, unsold.body["reason"]) == (409, "unsold")
    assert card_balance(n1) == 0
    card = api.get(f"/v1/gift-cards/{n1}").body
    assert (card["status"], card["balance_fen"], card["redeemed_by"], card["store_id"]) == (
        "redeemed", 0, member_id, "SH-001")  # fmt: skip
    entries, _ = ledger().page(card_holder(n1), GIFT_CARD, 10)
    assert sorted(e.amount for e in entries) == [-20_000, 20_000]  # the book is the sum of its entries

    listed = api.get("/v1/gift-cards/batches").body
    assert (listed["items"][0]["sold"], listed["items"][0]["redeemed"], listed["outstanding_fen"]) == (2, 1, 20_000)
    deliver(aws, "statistics")
    owed = api.get("/v1/reports/liability").body
    assert owed["gift_cards"] == {"cards": 1, "value_fen": 20_000}  # sold, not bound: owed

    voided = api.post(f"/v1/gift-cards/batches/{made['batch_id']}/void", {})
    assert (voided.status, voided.body["status"]) == (200, "voided")
    assert sell(api, [n3], "GC-4").body["cards"] == [{"number": n3, "reason": "voided"}]
    assert bind(api, other, n2, p2).status == 201  # a card sold stays good
    assert other_id != member_id


def test_pins_are_not_guessed_and_a_card_past_its_day_is_not_bound(api, partner):
    made = batch(api, count=2)
    (n1, p1), (n2, p2) = codes(made["batch_id"])
    assert sell(api, [n1, n2], "GC-9").status == 201
    _, token = member_token("13900000073")
    wrong = "0" * 8 if p1 != "0" * 8 else "1" * 8
    for _ in range(5):
        assert bind(api, token, n1, wrong).status == 404
    locked = bind(api, token, n1, p1)  # five wrong PINs for the card today: even the right one waits
    assert locked.status == 429, locked.body
    assert card_balance(n1) == 20_000
    later = clock.now() + timedelta(days=3 * 366 + 1)
    with clock.frozen(later):
        _, fresh = member_token("13900000074")  # a token of that day
        expired = bind(api, fresh, n2, p2)
    assert (expired.status, expired.body["reason"]) == (409, "expired")
    card = api.get(f"/v1/gift-cards/{n2}").body
    assert api.post(f"/v1/gift-cards/{n2}/extension", {"valid_until": card["valid_until"]}).status == 200  # as it is
    assert api.post(f"/v1/gift-cards/{n2}/extension", {"valid_until": "2020-01-01"}).status == 422
    from chalicelib.giftcards import service

    with clock.frozen(later):  # 延期: an expired card with a balance is renewed, then bound as any other
        extended = service.extend(n2, (later + timedelta(days=365)).date())
        assert extended["status"] == "active"
        assert bind(api, fresh, n2, p2).status == 201
    assert api.post(f"/v1/gift-cards/{n2}/extension", {"valid_until": "2031-01-01"}).status == 422  # bound: no more


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "x", "face_value_fen": 100_001, "count": 1}, "face_value_fen"),  # an anonymous card: ¥1,000 at most
    ({"name": "x", "face_value_fen": 10_000, "count": 0}, "count"),
    ({"name": "x", "face_value_fen": 10_000, "count": 1, "valid_months": 12}, "valid_months"),  # three years at least
    ({"name": " ", "face_value_fen": 10_000, "count": 1}, "name"),
])  # fmt: skip
def test_a_batch_the_rules_do_not_allow_is_refused_and_nothing_is_written(api, body, field):
    before = item_counts()
    answer = api.post("/v1/gift-cards/batches", body)
    assert answer.status == 422, answer.body
    assert field in str(answer.body["errors"])
    assert item_counts() == before


def test_a_sale_refused_writes_nothing(api, partner):
    big = batch(api, count=10, face=100_000)
    numbers = [number for number, _ in codes(big["batch_id"])]
    cashier = api.as_(token_for(["cashier"], ("SH-001",)))
    before = item_counts()
    mistyped = numbers[0][:-1] + str((int(numbers[0][-1]) + 1) % 10)  # the check digit catches it
    assert check_digit(mistyped[:-1]) != mistyped[-1]
    answer = sell(api, [mistyped], "GC-5")
    assert (answer.status, "check digit" in answer.body["detail"]) == (422, True)
    real_name = sell(api, numbers, "GC-6")  # 10,000 CNY of cards: sold by real name only
    assert real_name.status == 422, real_name.body
    over = sell(cashier, numbers[:6], "GC-7")  # 6,000 CNY: more than a cashier records alone
    assert (over.status, over.body["type"].rsplit("/", 1)[-1]) == (403, "counter-purchase-over-limit")
    for store_id in ("NO-SUCH", "gift-cards"):  # a review sold at a store that does not exist, and at a scope's id
        assert sell(api, numbers[:1], f"GC-{store_id}", store_id=store_id).status == 422
    transfer = sell(cashier, numbers[:1], "GC-T1", method="transfer")  # a company's transfer: head office's
    assert (transfer.status, transfer.body["errors"][0]["field"]) == (422, "payment_method")
    assert item_counts() == before
    assert sell(api, numbers[:9], "GC-8", method="transfer").status == 201  # head office's sale of 9,000 CNY to a
    # company, paid by transfer: its store's journal says so, and the drawer close leaves it out


def test_tries_at_a_pin_sent_at_once_are_counted_before_they_are_compared(api, partner):
    """A review: twenty binds at once, each from its own account (nineteen wrong PINs and the right one), all passed
    the check of a count of misses before any was written, and the right PIN bound the card. Tries are counted
    first: at most five are compared a day."""
    from chalicelib.giftcards import service

    made = batch(api, count=1)
    ((number, pin),) = codes(made["batch_id"])
    assert sell(api, [number], "GC-R").status == 201
    members = [member_token(f"139000002{n:02d}")[0] for n in range(20)]
    guesses = [f"{(int(pin) + k) % 10**8:08d}" for k in range(1, 20)] + [pin]
    together = threading.Barrier(20)
    checked = service.refusal_now

    def arriving_together(*limits):
        refusal = checked(*limits)
        together.wait()  # every request past the member's check before any other step
        return refusal

    outcomes: Counter[str] = Counter()

    def bind_as(member_id, guess):
        try:
            service.redeem(member_id, number, guess)
            outcomes["bound"] += 1
        except Exception as refused:  # what each try was answered is counted
            outcomes[type(refused).__name__] += 1

    with mock.patch.object(service, "refusal_now", arriving_together):
        tries = [threading.Thread(target=bind_as, args=pair) for pair in zip(members, guesses, strict=True)]
        for thread in tries:
            thread.start()
        for thread in tries:
            thread.join()
    assert outcomes["CardNotFound"] + outcomes["bound"] <= 5, outcomes  # compared: five at most
    assert outcomes["RateLimited"] >= 15, outcomes
    assert card_balance(number) == (0 if outcomes["bound"] else 20_000)


def test_the_liability_of_a_past_day_holds_the_cards_sold_then_and_bound_since(api, aws, partner):
    """A review: a card sold on one day and bound two days later was in neither the gift cards nor the stored value
    of the first day's close, read after the binding. The cards held at a day's end are counted from the events, as
    stored value is; the programme report says what was sold and bound each day."""
    made = batch(api, count=2)
    (n1, p1), (n2, _) = codes(made["batch_id"])
    before = clock.business_today() - timedelta(days=2)
    from chalicelib.giftcards import service

    with clock.frozen(clock.now() - timedelta(days=2)):  # as a till sold them then (a token of today is not yet valid)
        assert service.sell("SH-001", [n1, n2], "cash", "GC-P", "staff:test")["amount_fen"] == 40_000
    _, token = member_token("13900000075")
    assert bind(api, token, n1, p1).status == 201
    deliver(aws, "statistics")
    then = api.get(f"/v1/reports/liability?as_of={before}").body
    now = api.get("/v1/reports/liability").body
    assert (then["gift_cards"], now["gift_cards"]) == (
        {"cards": 2, "value_fen": 40_000},
        {"cards": 1, "value_fen": 20_000},
    )
    assert now["wallet"]["principal_fen"] - then["wallet"]["principal_fen"] == 20_000  # bound: stored value now
    assert then["total_fen"] - now["total_fen"] == then["points"]["value_fen"] - now["points"]["value_fen"]
    programme = api.get(f"/v1/reports/programme?from={before}&to={clock.business_today()}&granularity=day").body
    assert [(row["gift_cards"]["sold"], row["gift_cards"]["sold_fen"], row["gift_cards"]["bound"]) for row in
            programme["items"]] == [(2, 40_000, 0), (0, 0, 0), (0, 0, 1)]  # fmt: skip
    assert programme["totals"]["wallet"]["top_ups_fen"] == 0  # a card bound brought no money in: its sale did


def test_a_card_bound_brings_no_top_up_gift(api, aws, partner):
    """A review: a ¥1,000 card bound brought the 充值礼 coupon of top-ups of ¥500 or more; no money was paid in."""
    from tests.functional.test_coupons import template

    template(api, name="充值礼", gift={"on": "top_up", "min_top_up_fen": 50_000})
    made = batch(api, count=1, face=100_000)
    ((number, pin),) = codes(made["batch_id"])
    assert sell(api, [number], "GC-G").status == 201
    member_id, token = member_token("13900000076")
    assert bind(api, token, number, pin).status == 201
    deliver(aws, "coupons")
    assert api.get(f"/v1/members/{member_id}/coupons").body["items"] == []


def test_typos_cost_no_try_and_a_chinese_keyboard_s_digits_are_digits(api, partner):
    """A walkthrough: ten numbers mistyped (their check digit) each counted as a miss and locked the member out for an
    hour; a PIN typed in full-width digits was read as a wrong PIN; a number looked up with its spaces was not found."""
    made = batch(api, count=1)
    ((number, pin),) = codes(made["batch_id"])
    assert sell(api, [number], "GC-T").status == 201
    _, token = member_token("13900000077")
    mistyped = number[:-1] + str((int(number[-1]) + 1) % 10)
    for _ in range(11):
        answer = bind(api, token, mistyped, pin)
        assert (answer.status, answer.body["errors"][0]["field"]) == (422, "card_number")
    wide = "".join(chr(ord(digit) + 0xFEE0) for digit in pin)  # ５７５６…
    bound = bind(api, token, " ".join(number[n : n + 4] for n in range(0, 16, 4)), wide)
    assert (bound.status, bound.body["principal_fen"]) == (201, 20_000)
    spaced = api.get("/v1/gift-cards/" + "%20".join(number[n : n + 4] for n in range(0, 16, 4)))
    assert (spaced.status, spaced.body["number"]) == (200, number)


def test_a_pin_file_no_longer_kept_is_said_gone_and_its_presence_is_asked_without_reading_it(api, aws, monkeypatch):
    """The link asks whether the file is there (a HEAD request on S3: the PINs are not read to hand out a link); once
    the exports bucket's rule removed it, 404 gift-card-codes-gone."""
    from chalicelib.shared.settings import get_settings

    made = batch(api, count=1)
    key = f"gift-cards/{made['batch_id']}/gift-cards_{made['batch_id']}.csv"
    (files.folder() / key).unlink()
    gone = api.post(f"/v1/gift-cards/batches/{made['batch_id']}/codes", {})
    assert (gone.status, gone.body["type"].rsplit("/", 1)[-1]) == (404, "gift-card-codes-gone")

    import boto3

    boto3.client("s3", region_name=get_settings().region).create_bucket(
        Bucket="gift-card-pins", CreateBucketConfiguration={"LocationConstraint": get_settings().region}
    )
    monkeypatch.setenv("LOYALTY_EXPORTS", "s3://gift-card-pins")
    get_settings.cache_clear()
    try:
        files.put(key, b"x", "text/csv")
        assert (files.exists(key), files.exists(key + ".old")) == (True, False)
    finally:
        monkeypatch.delenv("LOYALTY_EXPORTS")
        get_settings.cache_clear()
