"""Persistence shape of stored value beyond the ledger: top-up plans and the statement's figures.

The wallets themselves (balances, entries, claims) are the ledger engine's items; nothing here duplicates them.
"""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute

from chalicelib.shared.db import NumberAttribute, Record, table

PLANS_SCOPE = "plans"


@table
class WalletPlanRecord(Record):
    """A top-up plan (充值方案); every plan sits in one small partition (``scope``), read whole and cached."""

    logical_name = "wallet-plans"

    class Meta:
        table_name = "wallet-plans"

    scope = UnicodeAttribute(hash_key=True)
    plan_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    pay_fen = NumberAttribute()
    bonus_fen = NumberAttribute()
    gift_points = NumberAttribute(default=0)
    starts_on = UnicodeAttribute()
    ends_on = UnicodeAttribute(null=True)
    stores = UnicodeAttribute(default="[]")  # JSON list of store ids; empty: every store
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()


@table
class WalletFigureRecord(Record):
    """What moved the float of one ``scope`` over one ``period``, for principal and bonus apart (fen).

    ``scope`` is ``store#<store id>`` or ``chain#<shard>`` (the chain's movements spread over shards, so no
    partition takes every wallet write); ``period`` is ``d#YYYY-MM-DD`` (a business day), ``m#YYYY-MM`` (its
    month) or ``total`` (all time). Only the statement consumer writes them, adding to every period at once.
    """

    logical_name = "wallet-figures"

    class Meta:
        table_name = "wallet-figures"

    scope = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)
    principal_top_ups = NumberAttribute(default=0)
    principal_payments = NumberAttribute(default=0)
    principal_refunds = NumberAttribute(default=0)
    principal_cash_refunds = NumberAttribute(default=0)
    principal_forfeited = NumberAttribute(default=0)  # never moves: principal is never forfeited
    bonus_top_ups = NumberAttribute(default=0)
    bonus_payments = NumberAttribute(default=0)
    bonus_refunds = NumberAttribute(default=0)
    bonus_cash_refunds = NumberAttribute(default=0)
    bonus_forfeited = NumberAttribute(default=0)


@table
class WalletJournalRecord(Record):
    """One movement of stored value at a store's till, for the store's journal (储值流水): a top-up, a payment, a
    refund back to the wallet or a cash refund, by store in the order booked (``entry`` ``<instant>#<event id>``:
    a range of days is one query). Only the journal consumer writes them, once per event; kept 400 days (the BI
    files keep the rest)."""

    logical_name = "wallet-journal"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "wallet-journal"

    store_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # top-up, payment, refund, cash-refund
    member_id = UnicodeAttribute()
    principal_fen = NumberAttribute()  # signed as the wallet moved: money in positive
    bonus_fen = NumberAttribute()
    payment_method = UnicodeAttribute(null=True)  # how a top-up's money was taken, when said
    order_id = UnicodeAttribute(null=True)
    reference = UnicodeAttribute()  # the payment, refund or cash refund id
    actor = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    reason_en = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()
