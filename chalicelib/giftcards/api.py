"""Gift card routes (礼品卡): batches for those who manage them, a sale at the till, a card looked up, and a member's
binding on the member pages."""

from __future__ import annotations

from chalicelib.counter import limits
from chalicelib.giftcards import service
from chalicelib.giftcards.schemas import (
    GiftCardBatch,
    GiftCardBatches,
    GiftCardBatchIn,
    GiftCardCodes,
    GiftCardExtension,
    GiftCardJournalPage,
    GiftCardOut,
    GiftCardRedeemed,
    GiftCardRedeemIn,
    GiftCardSale,
    GiftCardSaleIn,
)
from chalicelib.identity.access import MEMBER, Staff
from chalicelib.identity.rules import Permission
from chalicelib.shared.errors import (
    Conflict,
    IdempotencyKeyReused,
    InvalidCursor,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.stores.service import require_theirs
from chalicelib.wallet.schemas import WalletJournalQuery
from chalicelib.wallet.service import BalanceLimitExceeded, MemberNotEligible

MANAGE = Staff(Permission.GIFT_CARDS_MANAGE, chain=True)
JOURNAL = Staff(Permission.SALES_JOURNAL)  # who close a store's day: its managers, finance, admins
SELL = Staff(Permission.GIFT_CARDS_SELL)


@endpoint("/v1/gift-cards/batches", "POST", summary="Make a batch of gift cards to print (礼品卡批次)",
          tag="gift-cards", access=MANAGE, body=GiftCardBatchIn, response=GiftCardBatch, status=201,
          idempotency="optional", errors=(IdempotencyKeyReused,))  # fmt: skip
def create_gift_card_batch(ctx: RequestContext) -> Reply:
    """`count` anonymous cards (不记名卡) of one face value, each with a random 16-digit number (its last digit a check
    digit) and an 8-digit PIN (卡密) kept only as a keyed hash, valid `valid_months` from their sale; and a file of
    their numbers and PINs for the printer (`POST /v1/gift-cards/batches/{batch_id}/codes`). The cards are sold at the
    tills and bound by members to their stored value. Head office's (finance, admins). With an `Idempotency-Key`, a
    repeat answers the first batch.

    Errors: 422 for a face value above ¥1,000 (an anonymous card's most), validity under 36 months, more than 1,000
    cards."""
    body: GiftCardBatchIn = ctx.body
    made = service.create_batch(body.name, body.face_value_fen, body.count, body.valid_months, ctx.caller.scope,
                                ctx.idempotency)  # fmt: skip
    return Reply(GiftCardBatch.model_validate(made), status=201)


@endpoint("/v1/gift-cards/batches", "GET", summary="Every gift card batch, with its cards sold and bound",
          tag="gift-cards", access=MANAGE, response=GiftCardBatches)  # fmt: skip
def list_gift_card_batches(ctx: RequestContext) -> Reply:
    """Every batch, newest first: cards made, sold, bound and unsold, and what its cards sold and not bound hold
    (未绑定余额), which is owed, with the total. One query."""
    items = service.list_batches()
    total = sum(batch["outstanding_fen"] for batch in items)
    return Reply(GiftCardBatches.model_validate({"items": items, "outstanding_fen": total}))


@endpoint("/v1/gift-cards/batches/{batch_id}/codes", "POST", summary="A link to a batch's numbers and PINs",
          tag="gift-cards", access=MANAGE, response=GiftCardCodes, status=201,
          errors=(NotFound, service.CodesGone))  # fmt: skip
def gift_card_codes(ctx: RequestContext, batch_id: str) -> Reply:
    """A link, for 15 minutes, to the CSV of the batch's card numbers and PINs (UTF-8 with a BOM, numbers in groups of
    four as printed), for the printer. Each link is announced (`giftcard.codes-fetched`): the audit log says who took
    the PINs.

    Errors: 404 for an unknown batch, or `gift-card-codes-gone` once the file is no longer kept."""
    return Reply(GiftCardCodes.model_validate(service.codes_link(batch_id)), status=201)


@endpoint("/v1/gift-cards/batches/{batch_id}/void", "POST", summary="Stop selling a batch's unsold cards",
          tag="gift-cards", access=MANAGE, response=GiftCardBatch, errors=(NotFound,))  # fmt: skip
def void_gift_card_batch(ctx: RequestContext, batch_id: str) -> Reply:
    """A batch's unsold cards are no longer sold (printed cards lost, a spoiled print run): a till refuses them as
    `voided`. Its cards sold stay good to bind. Once: a voided batch is answered as it is.

    Errors: 404 for an unknown batch."""
    return Reply(GiftCardBatch.model_validate(service.void_batch(batch_id)))


@endpoint("/v1/gift-cards/sales", "POST", summary="Sell gift cards at the till (售卡)", tag="gift-cards",
          access=SELL, body=GiftCardSaleIn, response=GiftCardSale, status=201,
          errors=(ValidationFailed, service.CardsNotSellable, service.SaleConflict, limits.OverCounterLimit,
                  limits.OverCounterDailyLimit))  # fmt: skip
def sell_gift_cards(ctx: RequestContext) -> Reply:
    """The cards scanned or typed at the till are sold (activated) for the money taken: each holds its face value
    from now and is valid `valid_months` from today. Once per store and till order, for good: a repeat answers the
    first sale; other cards or another payment method on the order is 409 `gift-card-sale-conflict`. All or none: a
    card unknown, sold or voided refuses the sale (409 `gift-cards-not-sellable`, with each card's `reason`). A
    cashier's sale counts in their day at the counter as a top-up does (403 `counter-purchase-over-limit` or
    `counter-daily-limit`). The audit log records who (`giftcard.sold`).

    Errors: 422 for a number mistyped (16 digits and their check digit), more than 20 cards, cards worth 10,000 CNY or
    more together (sold to a buyer by real name, which the till does not take), a store that does not exist or is
    closed, or one not a store-scoped cashier's, and `transfer` from staff scoped to stores; 409 and 403 as above."""
    body: GiftCardSaleIn = ctx.body
    ctx.caller.require_trading_at(body.store_id, "store_id")
    if body.payment_method == "transfer" and ctx.caller.stores:  # a company's order, paid to head office
        detail = "a company transfer (对公转账) is taken by head office: staff of the whole chain"
        raise ValidationFailed([{"field": "payment_method", "in": "body", "message": detail}], detail)
    caller = ctx.caller
    answer = service.sell(body.store_id, body.card_numbers, body.payment_method, body.order_id, caller.scope,
                          lambda amount: limits.counter_takings(caller, amount, "gift card sale"))  # fmt: skip
    return Reply(GiftCardSale.model_validate(answer), status=201)


@endpoint("/v1/stores/{store_id}/gift-cards/journal", "GET", summary="A store's gift card sales, one by one",
          tag="gift-cards", access=JOURNAL, query=WalletJournalQuery, response=GiftCardJournalPage,
          errors=(NotFound, InvalidCursor))  # fmt: skip
def store_gift_card_journal(ctx: RequestContext, store_id: str) -> Reply:
    """A store's journal of gift card sales (礼品卡流水) between two business days, newest first: each sale at its tills
    with the till's order, how the money was taken, the cards' value and count and who sold them, so a store closes
    its day against its drawer and terminals beside its sales, stored value and cards (a bakery's manager found the
    day's card takings nowhere). Written with each sale, kept 400 days.

    Errors: 404 for an unknown store or one outside the caller's stores; 422 when `to` is before `from` or more
    than 31 days after it; 400 for a cursor from another list."""
    query: WalletJournalQuery = ctx.query
    require_theirs(ctx.caller, store_id)
    rows, cursor = service.journal(store_id, query.from_, query.to, query.limit, query.cursor)
    return Reply(GiftCardJournalPage.model_validate({"items": rows, "next_cursor": cursor}))


@endpoint("/v1/gift-cards/{number}", "GET", summary="A gift card by its number", tag="gift-cards", access=SELL,
          response=GiftCardOut, errors=(NotFound,))  # fmt: skip
def get_gift_card(ctx: RequestContext, number: str) -> Reply:
    """A card's status, balance, sale (store, order, how paid, last valid day) and binding (when, to which member):
    a till checks a card before selling it, and answers a customer asking what a card holds. Never its PIN.

    Errors: 404 for a number that is no card."""
    return Reply(GiftCardOut.model_validate(service.find_card(number)))


@endpoint("/v1/gift-cards/{number}/extension", "POST", summary="Extend a gift card's validity (延期)",
          tag="gift-cards", access=MANAGE, body=GiftCardExtension, response=GiftCardOut,
          errors=(NotFound, ValidationFailed, Conflict))  # fmt: skip
def extend_gift_card(ctx: RequestContext, number: str) -> Reply:
    """A card sold and not bound stays valid through `valid_until`: the rules for prepaid cards ask that an expired
    card with a balance be renewed or exchanged, and its holder then binds it as any other. The same day again answers
    the card as it is. The audit log records who (`giftcard.extended`, with the day it was valid until before).

    Errors: 404 for a number that is no card; 422 for a card not sold or bound already, or a day not after its last
    day now, before today or more than ten years on; 409 when the card changed meanwhile."""
    return Reply(GiftCardOut.model_validate(service.extend(number, ctx.body.valid_until)))


@endpoint("/v1/me/gift-cards/redemptions", "POST", summary="Bind a gift card to my stored value (绑定礼品卡)",
          tag="me", access=MEMBER, body=GiftCardRedeemIn, response=GiftCardRedeemed, status=201,
          errors=(service.CardNotFound, RateLimited, service.CardNotRedeemable, BalanceLimitExceeded,
                  MemberNotEligible))  # fmt: skip
def redeem_gift_card(ctx: RequestContext) -> Reply:
    """The card's number and PIN move its whole balance into the member's stored value as principal (本金: spent at the
    tills like any top-up, never expiring), once per card: the same member again is answered as before.

    Errors: 422 for a number its check digit says is mistyped (not counted as a miss); 404 `gift-card-not-found` for
    a number and PIN that name no card (ten an hour, or five tries at a card's PIN in a day, then 429); 409
    `gift-card-not-redeemable` with `reason` (`unsold`: not sold yet, `redeemed`: bound before, `expired`,
    `voided`); 422 `balance-limit-exceeded` past the stored-value limit, `member-not-eligible` for a frozen
    membership."""
    answer = service.redeem(ctx.caller.id, ctx.body.card_number, ctx.body.pin)
    return Reply(GiftCardRedeemed.model_validate(answer), status=201)
