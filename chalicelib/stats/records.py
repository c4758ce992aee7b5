"""Persistence shape of daily counters."""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute

from chalicelib.shared.db import NumberAttribute, Record, table


@table
class DailyCountRecord(Record):
    """One counter: a business day and what was counted (``<event type>`` or ``<event type>@<store id>``)."""

    logical_name = "daily-stats"

    class Meta:
        table_name = "daily-stats"

    day = UnicodeAttribute(hash_key=True)
    metric = UnicodeAttribute(range_key=True)
    total = NumberAttribute(default=0)


@table
class FigureRecord(Record):
    """The figures of one scope and shard (``scope``: ``<scope>@<shard>``, the scope ``chain``, ``store#<id>``,
    ``tier#<code>`` or ``pay#<method>``): a day's sums and distinct members (``key`` ``day#YYYY-MM-DD``, so a period is
    one query a shard), a week's or a month's distinct members (``week#YYYY-Www``, ``month#YYYY-MM``), the chain's
    standing totals (``now``) and the members at each tier (``tier#<code>``, in ``members``). The liability's
    breakdowns have scopes of their own: ``liability-by-expiry`` (points by expiry quarter, ``now#<quarter>``,
    and each day's moves, ``day#<day>#<quarter>``), ``liability-by-store`` (``now#<store>``, ``day#<day>#<store>``) and
    ``card-obligations`` (``d#<day>``: paid cards' payments by the days they end and begin; ``now``: lifetime cards;
    ``m#<day>#<bucket>``, ``m#<day>#now``: each day's moves of them).
    Every attribute is a counter the statistics consumer adds to; a figure is the sum of its scope's shards."""

    logical_name = "stats-figures"

    class Meta:
        table_name = "stats-figures"

    scope = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    new_members = NumberAttribute(null=True)
    purchases = NumberAttribute(null=True)
    sales_fen = NumberAttribute(null=True)
    refunds = NumberAttribute(null=True)
    refunded_fen = NumberAttribute(null=True)
    points_issued = NumberAttribute(null=True)
    points_redeemed = NumberAttribute(null=True)
    points_expired = NumberAttribute(null=True)
    points_deducted = NumberAttribute(null=True)
    wallet_top_ups_fen = NumberAttribute(null=True)
    wallet_payments_fen = NumberAttribute(null=True)
    points_outstanding = NumberAttribute(null=True)
    wallet_principal_fen = NumberAttribute(null=True)
    wallet_bonus_fen = NumberAttribute(null=True)
    members = NumberAttribute(null=True)
    erased_members = NumberAttribute(null=True)
    members_moved_in = NumberAttribute(null=True)
    members_moved_out = NumberAttribute(null=True)
    total_fen = NumberAttribute(null=True)
    points_clawed_back = NumberAttribute(null=True)
    points_adjusted_out = NumberAttribute(null=True)
    points_net = NumberAttribute(null=True)
    wallet_principal_net_fen = NumberAttribute(null=True)
    wallet_bonus_net_fen = NumberAttribute(null=True)
    points_issued_purchases = NumberAttribute(null=True)
    points_issued_activities = NumberAttribute(null=True)
    points_issued_gifts = NumberAttribute(null=True)
    points_issued_adjustments = NumberAttribute(null=True)
    points_issued_opening = NumberAttribute(null=True)
    points_issued_total = NumberAttribute(null=True)
    points_expired_total = NumberAttribute(null=True)
    points_redeemed_total = NumberAttribute(null=True)
    obligation_net = NumberAttribute(null=True)  # card-obligations: nano-fen a day (``rules.obligation_moves``)
    cards_undated_fen = NumberAttribute(null=True)  # lifetime cards' payments: no days to share
    coupons_issued = NumberAttribute(null=True)
    coupons_used = NumberAttribute(null=True)
    coupons_returned = NumberAttribute(null=True)
    coupons_expired = NumberAttribute(null=True)
    coupons_voided = NumberAttribute(null=True)
    coupon_discount_fen = NumberAttribute(null=True)
    mall_orders_placed = NumberAttribute(null=True)
    mall_orders_completed = NumberAttribute(null=True)
    mall_orders_cancelled = NumberAttribute(null=True)
    mall_cash_fen = NumberAttribute(null=True)
    cards_sold = NumberAttribute(null=True)
    cards_trials = NumberAttribute(null=True)
    cards_renewed = NumberAttribute(null=True)
    cards_lapsed = NumberAttribute(null=True)
    cards_uses = NumberAttribute(null=True)  # counted uses (消课/入场) net of those taken back
    cards_used_fen = NumberAttribute(null=True)  # 课消金额: what those uses took off the liability (packs by uses)
    cards_cancelled = NumberAttribute(null=True)
    gift_cards_sold = NumberAttribute(null=True)
    gift_cards_sold_fen = NumberAttribute(null=True)
    gift_cards_bound = NumberAttribute(null=True)
    gift_cards_bound_fen = NumberAttribute(null=True)
    gift_cards_held = NumberAttribute(null=True)  # the chain's standing: cards sold and not bound
    gift_cards_fen = NumberAttribute(null=True)  # and what they hold
    items_sold = NumberAttribute(null=True)  # sales-mix: the items of a category's lines
    items_refunded = NumberAttribute(null=True)
    cards_revenue_fen = NumberAttribute(null=True)
    tier_ups = NumberAttribute(null=True)
    tier_downs = NumberAttribute(null=True)
    new_members_store = NumberAttribute(null=True)
    new_members_online = NumberAttribute(null=True)
    new_members_referral = NumberAttribute(null=True)
    new_members_ads = NumberAttribute(null=True)
    new_members_offline_event = NumberAttribute(null=True)
    new_members_import = NumberAttribute(null=True)
    active = NumberAttribute(null=True)
    buyers = NumberAttribute(null=True)
    repeat_buyers = NumberAttribute(null=True)


@table
class ActiveMarkerRecord(Record):
    """That a member was active in a period at a scope (``period``: ``<scope>|<period key>``), with the purchases
    counted there up to two (what the distinct counts need); and (``chain|last``) the day they were last active. Kept a
    little over a year."""

    logical_name = "stats-markers"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "stats-markers"

    member_id = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)
    purchases = NumberAttribute(default=0)
    last_day = UnicodeAttribute(null=True)  # ``chain|last``: the business day the member was last active
    expires_at = TTLAttribute(null=True)
