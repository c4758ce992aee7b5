"""The gift cards' API contract: batches, a card, a sale at the till and a member's binding."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.giftcards.rules import MAX_CARDS_PER_BATCH, MAX_CARDS_PER_SALE, MAX_FACE_FEN, MAX_VALID_MONTHS
from chalicelib.giftcards.rules import MIN_VALID_MONTHS as MIN_MONTHS
from chalicelib.shared.fields import BUSINESS_DATE, FEN, NEXT_CURSOR, UTC_INSTANT, Id, Trimmed
from chalicelib.shared.http import Input, Schema
from chalicelib.stores.schemas import StoreId
from chalicelib.wallet.schemas import WalletParts

BatchName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), Trimmed]
TypedNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=24), Trimmed]
Pin = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9０-９]{8}$")]  # full-width as typed
NUMBER = "the card's number (卡号) as printed: 16 digits, spaces or dashes between its groups of four allowed"
STATUS = (
    "`unsold` (printed, not sold), `active` (sold: its balance waits to be bound), `redeemed` (bound to a member's "
    "stored value), `expired` (sold, not bound by its last day) or `voided` (unsold in a voided batch)"
)


class GiftCardBatchIn(Input):
    """A batch of anonymous cards to print (不记名礼品卡): one face value, one validity."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "2027 春节礼品卡 ¥200", "face_value_fen": 20000, "count": 500, "valid_months": 36}]})  # fmt: skip

    name: BatchName = Field(description="what staff call the batch (批次名称), 1-40 characters")
    face_value_fen: int = Field(ge=100, le=MAX_FACE_FEN, description=f"each card's value (面值), ¥1 to ¥1,000 (an "
                                f"anonymous prepaid card holds at most 1,000 CNY); {FEN}")  # fmt: skip
    count: int = Field(ge=1, le=MAX_CARDS_PER_BATCH, description=f"cards to make, 1-{MAX_CARDS_PER_BATCH}")
    valid_months: int = Field(default=MIN_MONTHS, ge=MIN_MONTHS, le=MAX_VALID_MONTHS, description="months a card is "
                              "valid from its sale (有效期), at least 36 (an anonymous card: three years)")  # fmt: skip


class GiftCardBatch(Schema):
    """A batch and its cards by status."""

    batch_id: str = Field(description="the batch's id (`gb_…`)")
    name: str = Field(description="its name")
    face_value_fen: int = Field(description=f"each card's value; {FEN}")
    count: int = Field(description="cards made")
    valid_months: int = Field(description="months a card is valid from its sale")
    status: Literal["active", "voided"] = Field(description="`voided`: its unsold cards are no longer sold")
    created_at: str = Field(description=f"when it was made; {UTC_INSTANT}")
    created_by: str = Field(description="who made it (`staff:<id>`)")
    voided_at: str | None = Field(description=f"when its unsold cards were voided; {UTC_INSTANT}")
    sold: int = Field(description="cards sold (已售)")
    redeemed: int = Field(description="cards bound to members' stored value (已绑定)")
    unsold: int = Field(description="cards not sold (void ones included)")
    outstanding_fen: int = Field(description=f"what its cards sold and not bound hold (未绑定余额: owed); {FEN}")


class GiftCardBatches(Schema):
    """Every batch, newest first, with what sold cards not bound hold in all."""

    items: list[GiftCardBatch] = Field(description="the batches, newest first")
    outstanding_fen: int = Field(description=f"what every card sold and not bound holds; {FEN}")


class GiftCardCodes(Schema):
    """A link to the batch's file of numbers and PINs (卡密), for the printer."""

    batch_id: str = Field(description="the batch")
    file_name: str = Field(description="the file's name")
    url: str = Field(description="downloads the CSV (UTF-8 with a BOM: number, PIN, face value, months, batch)")
    expires_at: str = Field(description=f"when the link stops working (15 minutes); {UTC_INSTANT}")


class GiftCardOut(Schema):
    """A card as staff read it."""

    number: str = Field(description=NUMBER)
    batch_id: str = Field(description="its batch")
    batch_name: str = Field(description="its batch's name")
    face_value_fen: int = Field(description=f"its value; {FEN}")
    status: Literal["unsold", "active", "redeemed", "expired", "voided"] = Field(description=STATUS)
    balance_fen: int = Field(description=f"what it holds now (its value from its sale until bound); {FEN}")
    sold_at: str | None = Field(description=f"when it was sold; {UTC_INSTANT}")
    store_id: str | None = Field(description="the store that sold it")
    order_id: str | None = Field(description="the till's order it was sold on")
    payment_method: str | None = Field(description="how it was paid for")
    valid_until: str | None = Field(description=f"its last day to be bound; {BUSINESS_DATE}")
    redeemed_at: str | None = Field(description=f"when it was bound; {UTC_INSTANT}")
    redeemed_by: str | None = Field(description="the member whose stored value it went to")


class GiftCardSaleIn(Input):
    """售卡: the cards sold on one till order and how they were paid."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"store_id": "SH-001", "order_id": "GC-SH001-20261205-0001", "payment_method": "wechat_pay",
         "card_numbers": ["6201 2345 6789 0125"]}]})  # fmt: skip

    store_id: StoreId = Field(description="the store selling them (one of a store-scoped cashier's), open")
    order_id: Id = Field(description="the till's order (订单号): the sale happens once per store and order")
    payment_method: Literal["cash", "wechat_pay", "alipay", "card", "transfer"] = Field(
        description="how the money was taken (支付方式; not stored value: a card is not bought with a card's money); "
        "`transfer` (对公转账): a company's order paid to head office's account, sold by staff of the whole chain, "
        "which a store's drawer close leaves out"
    )
    card_numbers: list[TypedNumber] = Field(min_length=1, max_length=MAX_CARDS_PER_SALE, description=f"{NUMBER}; "
                                            f"1-{MAX_CARDS_PER_SALE} cards")  # fmt: skip


class SoldCard(Schema):
    """A card sold, with its value and last day."""

    number: str = Field(description=NUMBER)
    face_value_fen: int = Field(description=f"its value; {FEN}")
    valid_until: str = Field(description=f"its last day to be bound; {BUSINESS_DATE}")


class GiftCardSale(Schema):
    """A sale of cards: each activated with its value."""

    store_id: str = Field(description="the store")
    order_id: str = Field(description="the till's order")
    payment_method: str = Field(description="how it was paid")
    amount_fen: int = Field(description=f"the cards' value together: what the till takes; {FEN}")
    cards: list[SoldCard] = Field(description="the cards sold")
    duplicate: bool = Field(description="a repeat of this order's sale: its first answer")


class GiftCardRedeemIn(Input):
    """绑定礼品卡: the number and PIN on the card."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"card_number": "6201234567890125",
                                                               "pin": "40917736"}]})  # fmt: skip

    card_number: TypedNumber = Field(description=NUMBER)
    pin: Pin = Field(description="the 8 digits under the scratch panel (卡密)")


class GiftCardRedeemed(Schema):
    """What binding a card added to the member's stored value."""

    payment_id: str = Field(description="the wallet's top-up id for it (`gc_<number>`), on the member's wallet entries")
    member_id: str = Field(description="the member")
    card_ends: str = Field(description="the card number's last four digits")
    principal_fen: int = Field(description=f"principal added: the card's balance; {FEN}")
    bonus_fen: int = Field(description=f"bonus added: none; {FEN}")
    gift_points: int = Field(default=0, description="none for a card")
    wallet: WalletParts = Field(description="the member's stored value after it")
    duplicate: bool = Field(description="a repeat of their binding: its first answer")


class GiftCardExtension(Input):
    """延期: the card's new last day to be bound."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"valid_until": "2030-12-31"}]})

    valid_until: date = Field(description=f"its new last day: after the current one, not before today, at most ten "
                              f"years on; {BUSINESS_DATE}")  # fmt: skip


class GiftCardJournalLine(Schema):
    """A sale of gift cards at the store's till (礼品卡流水)."""

    occurred_at: str = Field(description=f"when it was sold; {UTC_INSTANT}")
    order_id: str = Field(description="the till's order")
    payment_method: str = Field(description="how the money was taken: `cash`, `wechat_pay`, `alipay` or `card`")
    amount_fen: int = Field(description=f"the money taken: the cards' value; {FEN}")
    cards: int = Field(description="cards sold")
    recorded_by: str = Field(description="who sold them (`staff:<id>`)")


class GiftCardJournalPage(Schema):
    """A page of a store's gift card sales, newest first."""

    items: list[GiftCardJournalLine] = Field(description="this page's lines")
    next_cursor: str | None = Field(description=NEXT_CURSOR)
