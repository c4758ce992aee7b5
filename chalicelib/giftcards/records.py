"""Persistence shape of gift cards: their batches and each card."""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute

from chalicelib.shared.db import NumberAttribute, Record, table

BATCHES_SCOPE = "batches"


@table
class GiftCardBatchRecord(Record):
    """A batch of printed cards (one face value and validity), newest last by id; its counters move in the same
    transaction as its cards' sales and bindings."""

    logical_name = "gift-card-batches"

    class Meta:
        table_name = "gift-card-batches"

    scope = UnicodeAttribute(hash_key=True)  # BATCHES_SCOPE
    batch_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    face_value_fen = NumberAttribute()
    cards = NumberAttribute()  # how many were made
    valid_months = NumberAttribute()
    status = UnicodeAttribute()  # active | voided (its unsold cards)
    codes_key = UnicodeAttribute()  # the file of numbers and PINs, for the printer
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    voided_at = UnicodeAttribute(null=True)
    sold = NumberAttribute(default=0)
    redeemed = NumberAttribute(default=0)


@table
class GiftCardRecord(Record):
    """One card: its batch, its PIN's keyed hash (never the PIN), and its sale and binding once they happen. Its
    balance is the ``gift-card`` book of the holder ``gift-card:<number>``."""

    logical_name = "gift-cards"

    class Meta:
        table_name = "gift-cards"

    number = UnicodeAttribute(hash_key=True)
    batch_id = UnicodeAttribute()
    pin_hash = UnicodeAttribute()
    sold_at = UnicodeAttribute(null=True)
    sold_on = UnicodeAttribute(null=True)  # business day
    store_id = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    payment_method = UnicodeAttribute(null=True)
    sold_by = UnicodeAttribute(null=True)
    valid_until = UnicodeAttribute(null=True)  # its last valid day, from its sale
    redeemed_at = UnicodeAttribute(null=True)
    redeemed_by = UnicodeAttribute(null=True)  # the member whose stored value it went to


@table
class GiftCardSaleLineRecord(Record):
    """A sale of gift cards at a store's till, for the store's journal (礼品卡流水: ``entry`` ``<instant>#<order id>``,
    a range of days one query), written in the sale's own transaction (once, as the sale); kept 400 days."""

    logical_name = "gift-card-journal"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "gift-card-journal"

    store_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    order_id = UnicodeAttribute()
    payment_method = UnicodeAttribute()
    amount_fen = NumberAttribute()
    cards = NumberAttribute()
    sold_by = UnicodeAttribute()
    expires_at = TTLAttribute()
