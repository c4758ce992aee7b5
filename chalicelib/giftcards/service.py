"""Gift cards (礼品卡): batches printed for the chain, cards sold at its tills, and cards members bind to their stored
value.

- A **batch** is made once per Idempotency-Key: its cards (random numbers with a check digit, PINs kept only as a
  keyed hash) and a file of numbers and PINs for the printer, which staff who manage cards fetch while it is kept.
  Voiding a batch stops its unsold cards from being sold; cards sold stay good.
- A **sale** at a till (售卡) activates up to 20 cards of active batches, worth less than the real-name threshold
  together, once per store and till order: in one post each card's book is credited its face value, each card's
  record says when, where, how it was paid and when it expires (anonymous cards: at least three years), and the
  batches count them; a cashier's sale counts in their day at the counter like a top-up.
- **Binding** (绑定到储值) by a member with the card's number and PIN moves its whole balance into their stored value
  as principal, in one post with the wallet's top-up (within its balance limit), once per card: the same member
  again is answered as before, anyone else refused. Ten wrong numbers or PINs an hour make a member wait, and five
  tries at a card's PIN a day (counted before the PIN is compared) lock it for the day, so PINs are not guessed.
"""

from __future__ import annotations

import csv
import hmac
import io
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from chalicelib.exports import files
from chalicelib.giftcards.book import GIFT_CARD, card_holder
from chalicelib.giftcards.records import BATCHES_SCOPE, GiftCardBatchRecord, GiftCardRecord, GiftCardSaleLineRecord
from chalicelib.giftcards.rules import (
    MAX_CARDS_PER_SALE,
    MAX_VALID_MONTHS,
    REAL_NAME_SALE_FEN,
    CardState,
    add_months,
    new_number,
    new_pin,
    normalised_number,
    normalised_pin,
    status_of,
    valid_number,
)
from chalicelib.ledger.engine import Holdings
from chalicelib.ledger.model import Answer, Claim, Posting, Source
from chalicelib.ledger.registry import ledger
from chalicelib.ledger.store import HolderUnavailable
from chalicelib.shared import clock
from chalicelib.shared.crypto import lookup_hash
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Conflict, NotFound, ValidationFailed
from chalicelib.shared.events import Event, emit, new_event
from chalicelib.shared.idempotency import IdempotencyKey, run_once
from chalicelib.shared.ids import new_id
from chalicelib.shared.journals import page_of_days
from chalicelib.shared.phrases import Phrase
from chalicelib.shared.ratelimit import Limit, refusal_now, take
from chalicelib.stores.service import not_open
from chalicelib.wallet import service as wallet
from chalicelib.wallet.rules import GIFT_CARD_METHOD, GIFT_CARD_SCOPE

CODES_LINK_SECONDS = 15 * 60
MEMBER_MISSES = Limit(10, 3600, "Ten wrong gift card numbers or PINs this hour: try again later")
CARD_TRIES = Limit(5, 86400, "Five tries at this card's PIN today: it is locked until tomorrow")
PARTNER = "gift-card"  # the wallet's partner id for a card bound (its payment id: gc_<number>)
WRITES_PER_TRANSACTION = 100
JOURNAL_KEPT = timedelta(days=400)  # a store's journal of card sales, as its other journals


class BatchNotFound(NotFound):
    slug, title = "not-found", "No such gift card batch"


class CardNotFound(NotFound):
    slug, title = "gift-card-not-found", "No gift card with this number and PIN"


class CardsNotSellable(Conflict):
    slug, title = "gift-cards-not-sellable", "Some of these cards cannot be sold"


class CardNotRedeemable(Conflict):
    slug, title = "gift-card-not-redeemable", "This gift card cannot be bound"


class SaleConflict(Conflict):
    slug, title = "gift-card-sale-conflict", "This till order sold other cards"


class CodesGone(NotFound):
    slug, title = "gift-card-codes-gone", "The file of this batch's numbers and PINs is no longer kept"


# --- batches -----------------------------------------------------------------------------------------------------


def create_batch(
    name: str, face_value_fen: int, count: int, valid_months: int, actor: str, key: IdempotencyKey | None
) -> dict[str, Any]:
    """A batch of ``count`` new cards and the file of their numbers and PINs, once per ``key``: the cards are written
    first (each number once in the chain), then the batch in the key's own transaction, so a crash between leaves
    only cards no batch names, which cannot be sold."""

    def perform(tx: Transaction) -> dict[str, Any]:
        batch_id = new_id("gb_")
        cards = _write_cards(batch_id, count)
        codes_key = f"gift-cards/{batch_id}/gift-cards_{batch_id}.csv"  # the name a download is saved under
        files.put(codes_key, _codes_file(name, face_value_fen, valid_months, cards), "text/csv; charset=utf-8")
        record = GiftCardBatchRecord(
            BATCHES_SCOPE, batch_id, name=name, face_value_fen=face_value_fen, cards=count, valid_months=valid_months,
            status="active", codes_key=codes_key, created_at=clock.iso(clock.now()), created_by=actor, sold=0,
            redeemed=0,
        )  # fmt: skip
        tx.put(record, condition=GiftCardBatchRecord.batch_id.does_not_exist())
        emit(tx, new_event("giftcard.batch-created", f"gift-card-batch/{batch_id}", {
            "batch_id": batch_id, "name": name, "face_value_fen": face_value_fen, "count": count,
            "valid_months": valid_months}))  # fmt: skip
        return {"batch_id": batch_id}

    answer, _ = run_once(key, perform)
    return batch_json(_batch(str(answer["batch_id"])))


def _write_cards(batch_id: str, count: int) -> list[tuple[str, str]]:
    """``count`` cards of the batch, each number new to the chain (a number taken is drawn again)."""
    made: list[tuple[str, str]] = []
    while len(made) < count:
        wanted = [(new_number(), new_pin()) for _ in range(min(WRITES_PER_TRANSACTION, count - len(made)))]
        tx = Transaction()
        for number, pin in wanted:
            tx.put(GiftCardRecord(number, batch_id=batch_id, pin_hash=_pin_hash(number, pin)),
                   condition=GiftCardRecord.number.does_not_exist())  # fmt: skip
        try:
            tx.commit()
        except Exception:  # one of 10^15 numbers drawn twice: draw the chunk again
            if any(GiftCardRecord.find(number) is not None for number, _ in wanted):
                continue
            raise
        made += wanted
    return made


def _codes_file(name: str, face_value_fen: int, valid_months: int, cards: list[tuple[str, str]]) -> bytes:
    """The printer's file: a BOM (Excel opens it in Chinese), then a card a row, its number in groups of four as on the
    card's face, written as text so a spreadsheet keeps every digit."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["卡号 number", "卡密 PIN", "面值（元）face value (CNY)", "有效期（月，自售出）valid months", "批次 batch"]
    )
    for number, pin in cards:
        grouped = " ".join(number[n : n + 4] for n in range(0, len(number), 4))
        writer.writerow([grouped, pin, f"{face_value_fen / 100:.2f}", valid_months, name])
    return ("\ufeff" + out.getvalue()).encode()


def _pin_hash(number: str, pin: str) -> str:
    return lookup_hash("gift-card-pin", f"{number}:{pin}")


def _batch(batch_id: str) -> GiftCardBatchRecord:
    record = GiftCardBatchRecord.find(BATCHES_SCOPE, batch_id)
    if record is None:
        raise BatchNotFound(f"No gift card batch {batch_id}")
    return record


def batch_json(record: GiftCardBatchRecord) -> dict[str, Any]:
    """A batch with its cards by status: sold and bound count as they happen; unsold (or voided) are the rest;
    ``outstanding_fen`` is what the cards sold and not bound hold (the liability)."""
    sold, redeemed, count = int(record.sold or 0), int(record.redeemed or 0), int(record.cards)
    face = int(record.face_value_fen)
    return {
        "batch_id": record.batch_id, "name": record.name, "face_value_fen": face, "count": count,
        "valid_months": int(record.valid_months), "status": record.status, "created_at": record.created_at,
        "created_by": record.created_by, "voided_at": record.voided_at, "sold": sold, "redeemed": redeemed,
        "unsold": count - sold, "outstanding_fen": (sold - redeemed) * face,
    }  # fmt: skip


def list_batches() -> list[dict[str, Any]]:
    """Every batch, newest first (one query)."""
    return [batch_json(r) for r in GiftCardBatchRecord.query(BATCHES_SCOPE, scan_index_forward=False)]


def void_batch(batch_id: str) -> dict[str, Any]:
    """Stop a batch's unsold cards from being sold (printed cards lost, a print run spoiled); its cards sold stay good.
    Once: voiding a voided batch answers it as it is."""
    record = _batch(batch_id)
    if record.status != "voided":
        now = clock.iso(clock.now())
        tx = Transaction()
        tx.update(record, [GiftCardBatchRecord.status.set("voided"), GiftCardBatchRecord.voided_at.set(now)],
                  condition=GiftCardBatchRecord.status == "active", add_version_condition=False)  # fmt: skip
        emit(tx, new_event("giftcard.batch-voided", f"gift-card-batch/{batch_id}", {
            "batch_id": batch_id, "unsold": int(record.cards) - int(record.sold or 0)}))  # fmt: skip
        try:
            tx.commit()
        except Exception:
            if _batch(batch_id).status != "voided":
                raise
    return batch_json(_batch(batch_id))


def codes_file(batch_id: str) -> bytes:
    """The printer's file of the batch's numbers and PINs (the demo's till and tests read it as a printer would)."""
    data = files.read(_batch(batch_id).codes_key)
    if data is None:
        raise CodesGone("The file was removed")
    return data


def codes_link(batch_id: str) -> dict[str, Any]:
    """A link to the batch's file of numbers and PINs, for 15 minutes; announced, so the audit log says who took
    it."""
    record = _batch(batch_id)
    if not files.exists(record.codes_key):
        raise CodesGone("The file was removed: void the batch's unsold cards and make a new batch")
    tx = Transaction()
    emit(tx, new_event("giftcard.codes-fetched", f"gift-card-batch/{batch_id}", {"batch_id": batch_id}))
    tx.commit()
    file_name = f"gift-cards_{batch_id}.csv"
    link = files.link(record.codes_key, CODES_LINK_SECONDS, file_name)
    return {"batch_id": batch_id, "file_name": file_name, "url": link.url, "expires_at": clock.iso(link.expires_at)}


# --- a card ------------------------------------------------------------------------------------------------------


def _state(card: GiftCardRecord, batch: GiftCardBatchRecord) -> CardState:
    return CardState(batch.status, date.fromisoformat(card.sold_on) if card.sold_on else None,
                     date.fromisoformat(card.valid_until) if card.valid_until else None,
                     card.redeemed_at is not None)  # fmt: skip


def card_json(card: GiftCardRecord, batch: GiftCardBatchRecord) -> dict[str, Any]:
    sold = card.sold_at is not None
    return {
        "number": card.number, "batch_id": card.batch_id, "batch_name": batch.name,
        "face_value_fen": int(batch.face_value_fen), "status": status_of(_state(card, batch), clock.business_today()),
        "balance_fen": int(batch.face_value_fen) if sold and card.redeemed_at is None else 0,
        "sold_at": card.sold_at, "store_id": card.store_id, "order_id": card.order_id,
        "payment_method": card.payment_method, "valid_until": card.valid_until, "redeemed_at": card.redeemed_at,
        "redeemed_by": card.redeemed_by,
    }  # fmt: skip


def _card(typed: str) -> GiftCardRecord:
    """A card by its number as a path names it (printed, typed or scanned: spaces sent as ``%20``), or 404."""
    number = normalised_number(unquote(typed))
    card = GiftCardRecord.find(number) if valid_number(number) else None
    if card is None:
        raise NotFound("No gift card with this number")
    return card


def find_card(typed: str) -> dict[str, Any]:
    """A card by its number, for staff: its status, balance, sale and binding."""
    card = _card(typed)
    return card_json(card, _batch(card.batch_id))


def extend(typed: str, until: date) -> dict[str, Any]:
    """延期: a card sold and not bound is valid through ``until`` (an expired card with a balance is renewed, as the
    rules for prepaid cards ask): later than its last day now, not before today, at most ten years on. Once per day
    asked: the same day again answers the card as it is; a card extended meanwhile is 409 ``conflict``."""
    card = _card(typed)
    batch, today = _batch(card.batch_id), clock.business_today()
    if card.valid_until == until.isoformat():
        return card_json(card, batch)
    why = None
    if card.sold_at is None or card.redeemed_at is not None:
        why = "only a card sold and not bound is extended"
    elif until < today or until <= date.fromisoformat(str(card.valid_until)):
        why = f"a day after its last day now ({card.valid_until}), not before today"
    elif until > add_months(today, MAX_VALID_MONTHS):
        why = f"at most {MAX_VALID_MONTHS // 12} years on"
    if why is not None:
        raise ValidationFailed([{"field": "valid_until", "in": "body", "message": why}], why)
    tx = Transaction()
    tx.update(card, [GiftCardRecord.valid_until.set(until.isoformat())], add_version_condition=False,
              condition=(GiftCardRecord.valid_until == card.valid_until) & GiftCardRecord.redeemed_at.does_not_exist(),
              on_fail=Conflict("The card changed meanwhile: read it again"))  # fmt: skip
    emit(tx, new_event("giftcard.extended", f"gift-card-batch/{card.batch_id}", {
        "batch_id": card.batch_id, "card_ends": card.number[-4:], "was_valid_until": card.valid_until,
        "valid_until": until.isoformat()}))  # fmt: skip
    tx.commit()
    card.valid_until = until.isoformat()
    return card_json(card, batch)


# --- a sale at the till ------------------------------------------------------------------------------------------


def sell(
    store_id: str, typed: list[str], payment_method: str, order_id: str, actor: str,
    takings: Callable[[int], Callable[[Transaction], None] | None] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """售卡: activate the cards named, once per store and till order (a repeat answers the first sale; other cards or
    another payment method on it is 409 ``gift-card-sale-conflict``). Refused whole, with each card's reason (409
    ``gift-cards-not-sellable``: unknown, sold, voided), when any cannot be sold; 422 for a number mistyped (its check
    digit), more than 20 cards, a store that does not trade, or a sale worth the real-name threshold. ``takings``
    gives the cashier's day count for the sale's amount (or refuses it)."""
    numbers = list(dict.fromkeys(normalised_number(n) for n in typed))
    mistyped = [n for n in numbers if not valid_number(n)]
    if mistyped:
        detail = f"not a gift card number (16 digits, its last the check digit): {', '.join(mistyped)}"
        raise ValidationFailed([{"field": "card_numbers", "in": "body", "message": detail}], detail)
    if len(numbers) > MAX_CARDS_PER_SALE:
        detail = f"at most {MAX_CARDS_PER_SALE} cards a sale"
        raise ValidationFailed([{"field": "card_numbers", "in": "body", "message": detail}], detail)
    content = {"store_id": store_id, "card_numbers": sorted(numbers), "payment_method": payment_method}
    claim = Claim.of(f"gift-card-sale:{store_id}:{order_id}", content,
                     conflict=SaleConflict(f"Till order {order_id} at {store_id} sold other cards"))  # fmt: skip
    engine = ledger()
    if (replayed := engine.replay(claim)) is not None:  # answered even once the store has closed since
        return {**replayed.result, "duplicate": True}
    if (why := not_open(store_id)) is not None:  # a review sold at a store that does not exist
        raise ValidationFailed([{"field": "store_id", "in": "body", "message": why}], why)
    cards = {card.number: card for card in GiftCardRecord.batch_get(numbers)}
    batch_keys = [(BATCHES_SCOPE, batch_id) for batch_id in {card.batch_id for card in cards.values()}]
    batches = {batch.batch_id: batch for batch in GiftCardBatchRecord.batch_get(batch_keys)}
    refused = []
    for number in numbers:
        card = cards.get(number)
        batch = batches.get(card.batch_id) if card else None
        if card is None or batch is None:
            refused.append({"number": number, "reason": "unknown"})
        elif card.sold_at is not None:
            refused.append({"number": number, "reason": "sold"})
        elif batch.status != "active":
            refused.append({"number": number, "reason": "voided"})
    if refused:
        raise CardsNotSellable("; ".join(f"{r['number']}: {r['reason']}" for r in refused), cards=refused)
    amount = sum(int(batches[cards[n].batch_id].face_value_fen) for n in numbers)
    if amount >= REAL_NAME_SALE_FEN:
        detail = f"cards worth {REAL_NAME_SALE_FEN // 100:,} CNY or more are sold to a buyer by real name: sell fewer"
        raise ValidationFailed([{"field": "card_numbers", "in": "body", "message": detail}], detail)
    counted = takings(amount) if takings else None
    now, today = clock.now(), clock.business_today()
    source = Source("gift-card-sale", f"{store_id}:{order_id}")
    said = Phrase(f"售卡·订单 {order_id}", f"Sold, order {order_id}")

    def plan(holdings: Holdings) -> list[Posting]:
        return [Posting(card_holder(n), GIFT_CARD, int(batches[cards[n].batch_id].face_value_fen), "sale", source, said)
                for n in numbers]  # fmt: skip

    def attach(answer: Answer) -> list[Callable[[Transaction], None]]:
        sale = {"store_id": store_id, "order_id": order_id, "payment_method": payment_method, "sold_by": actor}
        writes = [_marked_sold(cards[n], _last_day(batches[cards[n].batch_id], today), now, today, sale)
                  for n in numbers]  # fmt: skip
        for batch_id in {cards[n].batch_id for n in numbers}:
            writes.append(_counted_sold(batches[batch_id], [n for n in numbers if cards[n].batch_id == batch_id]))
        line = GiftCardSaleLineRecord(store_id, f"{clock.iso(now)}#{order_id}", order_id=order_id, cards=len(numbers),
                                      payment_method=payment_method, amount_fen=amount, sold_by=actor,
                                      expires_at=now + JOURNAL_KEPT)  # fmt: skip
        return [*writes, lambda tx: tx.put(line), *([counted] if counted else [])]

    def result(answer: Answer) -> dict[str, Any]:
        return {"store_id": store_id, "order_id": order_id, "payment_method": payment_method, "amount_fen": amount,
                "cards": [{"number": n, "face_value_fen": int(batches[cards[n].batch_id].face_value_fen),
                           "valid_until": _last_day(batches[cards[n].batch_id], today).isoformat()}
                          for n in numbers]}  # fmt: skip

    def announce(answer: Answer) -> list[Event]:
        return [new_event("giftcard.sold", f"store/{store_id}", {
            "store_id": store_id, "order_id": order_id, "payment_method": payment_method, "amount_fen": amount,
            "count": len(numbers), "batches": sorted({cards[n].batch_id for n in numbers})})]  # fmt: skip

    holders = [card_holder(n) for n in numbers]
    answer = engine.post(plan, holders=holders, claim=claim, result=result, announce=announce, attach=attach)
    return {**answer.result, "duplicate": answer.duplicate}


def _last_day(batch: GiftCardBatchRecord, sold_on: date) -> date:
    """The last day a card of ``batch`` sold on ``sold_on`` may be bound."""
    return add_months(sold_on, int(batch.valid_months)) - timedelta(days=1)


def _marked_sold(
    card: GiftCardRecord, until: date, now: datetime, today: date, sale: dict[str, str]
) -> Callable[[Transaction], None]:
    """A card's record says its sale (``sale``: its store, order, payment method and seller), the moment and day the
    sale's answer names, while no sale of it was written meanwhile."""
    sets = [GiftCardRecord.sold_at.set(clock.iso(now)), GiftCardRecord.sold_on.set(today.isoformat()),
            GiftCardRecord.valid_until.set(until.isoformat()),
            *(getattr(GiftCardRecord, name).set(value) for name, value in sale.items())]  # fmt: skip
    refusal = CardsNotSellable(f"{card.number}: sold", cards=[{"number": card.number, "reason": "sold"}])

    def write(tx: Transaction) -> None:
        tx.update(GiftCardRecord(card.number), sets, condition=GiftCardRecord.sold_at.does_not_exist(),
                  on_fail=refusal, add_version_condition=False)  # fmt: skip

    return write


def _counted_sold(batch: GiftCardBatchRecord, numbers: list[str]) -> Callable[[Transaction], None]:
    """The batch counts its cards sold, while it is not voided."""
    refusal = CardsNotSellable("the batch was voided", cards=[{"number": n, "reason": "voided"} for n in numbers])

    def write(tx: Transaction) -> None:
        tx.update(batch, [GiftCardBatchRecord.sold.add(len(numbers))], condition=GiftCardBatchRecord.status == "active",
                  on_fail=refusal, add_version_condition=False)  # fmt: skip

    return write


def journal(
    store_id: str, first: date, last: date, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The store's gift card sales of business days ``first`` through ``last``, newest first (礼品卡流水)."""
    records, next_cursor = page_of_days(GiftCardSaleLineRecord, "gift-card-journal", store_id, first, last, limit,
                                        cursor)  # fmt: skip
    rows = [{"occurred_at": r.entry.rpartition("#")[0], "order_id": r.order_id, "payment_method": r.payment_method,
             "amount_fen": int(r.amount_fen), "cards": int(r.cards), "recorded_by": r.sold_by}
            for r in records]  # fmt: skip
    return rows, next_cursor


# --- binding by a member ------------------------------------------------------------------------------------------


def redeem(member_id: str, typed_number: str, pin: str) -> dict[str, Any]:
    """绑定礼品卡: the card's whole balance into the member's stored value as principal, once per card (see the module's
    docstring). 404 ``gift-card-not-found`` for a number and PIN that name no card (counted); 409
    ``gift-card-not-redeemable`` with ``reason`` (``unsold``, ``redeemed``, ``expired``, ``voided``); 422
    ``balance-limit-exceeded`` past the wallet's limit and ``member-not-eligible`` for a frozen member, nothing
    written; 429 after ten misses an hour, or five tries at a card's PIN in a day."""
    number, misses = normalised_number(typed_number), f"gift-card-miss:{member_id}"
    if not valid_number(number):  # a typo, caught by the check digit: said as such, and no miss (a walkthrough's ten
        detail = "not a gift card number: 16 digits, the last a check digit"  # typos locked a member out for an hour)
        raise ValidationFailed([{"field": "card_number", "in": "body", "message": detail}], detail)
    if (refused := refusal_now((misses, MEMBER_MISSES))) is not None:
        raise refused
    card = GiftCardRecord.find(number)
    if card is not None:  # every try at a card's PIN counts before it is compared, so tries sent at once (from many
        tx = Transaction()  # accounts) cannot pass the limit: a review tried 20 at once against a count of misses
        take(tx, f"gift-card-pin:{number}", CARD_TRIES)
        tx.commit()
    if card is None or not hmac.compare_digest(card.pin_hash, _pin_hash(number, normalised_pin(pin))):
        tx = Transaction()
        take(tx, misses, MEMBER_MISSES)
        tx.commit()
        raise CardNotFound("No gift card with this number and PIN")
    batch = _batch(card.batch_id)
    claim = Claim.of(f"gift-card-redeem:{number}", {"member_id": member_id},
                     conflict=CardNotRedeemable("Another member bound this card", reason="redeemed"))  # fmt: skip
    status = status_of(_state(card, batch), clock.business_today())
    if status == "redeemed":
        replayed = ledger().replay(claim)  # theirs: the first answer; another member's: the conflict
        if replayed is None:
            raise CardNotRedeemable("This card was bound", reason="redeemed")
        return {**replayed.result, "duplicate": True}
    if status != "active":
        raise CardNotRedeemable(f"This card is {status}", reason=status)
    amount, holder, now = int(batch.face_value_fen), card_holder(number), clock.now()
    source = Source("gift-card", number)
    ends = number[-4:]

    def take_card(holdings: Holdings) -> list[Posting]:
        if holdings.balance(holder, GIFT_CARD) != amount:  # bound meanwhile: its claim answers a repeat of theirs
            raise CardNotRedeemable("This card was bound", reason="redeemed")
        return [Posting(holder, GIFT_CARD, -amount, "redeem", source, Phrase("绑定到储值", "Bound to stored value"),
                        {"member_id": member_id})]  # fmt: skip

    def attach(answer: Answer) -> list[Callable[[Transaction], None]]:
        bound = CardNotRedeemable("This card was bound", reason="redeemed")
        return [
            lambda tx: tx.update(GiftCardRecord(number), [GiftCardRecord.redeemed_at.set(clock.iso(now)),
                                                          GiftCardRecord.redeemed_by.set(member_id)],
                                 condition=GiftCardRecord.redeemed_at.does_not_exist(), on_fail=bound,
                                 add_version_condition=False),
            lambda tx: tx.update(batch, [GiftCardBatchRecord.redeemed.add(1)], add_version_condition=False),
        ]  # fmt: skip

    def announce(answer: Answer) -> Iterable[Event]:
        return [new_event("giftcard.redeemed", f"member/{member_id}", {
            "member_id": member_id, "batch_id": batch.batch_id, "card_ends": ends, "amount_fen": amount})]  # fmt: skip

    joined = wallet.Joined(holders=[holder], plan=take_card, announce=announce, attach=attach,
                           result=lambda answer: {"card_ends": ends})  # fmt: skip
    said = Phrase(f"礼品卡充值·尾号 {ends}", f"Gift card ending {ends}")
    payment = wallet.PartnerPayment(PARTNER, f"gc_{number}", GIFT_CARD_SCOPE, now, paid_for=said,
                                    method=GIFT_CARD_METHOD)  # fmt: skip
    try:
        return wallet.wallets().top_up(member_id, payment, amount, None, claim, joined)
    except HolderUnavailable:
        raise wallet.MemberNotEligible("A frozen membership cannot bind a gift card") from None
