"""What the dashboard counts from each event, as pure functions: the consumer only says which business day and
which store, and writes the sums.

- **Day figures** (``DAILY``) add up what was booked on a business day: members registered, purchases and their paid
  amounts, refunds, points issued, redeemed (net of reversals), expired and deducted (negative adjustments, refund
  claw-backs), wallet top-ups and payments. They count on the chain and, when the event names one, on its store. An
  expiry of points counts in the day its points stopped being owed, the night before it was booked (``figure_day``).
- **Standing figures** (``STANDING``) are running totals of everything booked so far, kept for the chain: the points
  outstanding (every points entry's signed amount, so the total is the sum over every member's points ledger: their
  booked balance, available and pending, debt counted negative) and the stored-value float (principal and bonus).
- **Members by tier** move by one per member: a registration adds one at the lowest tier, a tier change takes one
  from the previous tier and adds one to the new, an erasure takes one away, a move to another home store takes one
  from the old store and adds one to the new. ``members_total`` of a scope is the sum over its tiers.

Points and stored value are the chain's liabilities (a member belongs to the chain, not to a store), so no store
keeps a standing of them; a store's day figures count what happened there (a purchase's points at its store). The
liability's breakdowns are kept beside them: the points outstanding by the quarter their lots expire (``expiry_moves``)
and what each store's counter added to what is owed (``held_moves``), each as it stands and as it moved by day.

- **Distinct members** of a period (a day, an ISO week, a calendar month): ``active`` members did something (a
  purchase or a rewarded activity) in it, ``buyers`` bought at least once and ``repeat_buyers`` at least twice. They
  are counted once per member and period through a marker per member, scope and period (``distinct_moves``), so they
  are kept for whole periods, never summed from days.

Every figure is kept in ``SHARDS`` partitions per scope, chosen by the event id, so no partition takes more than a
quarter of the writes; and the events of one delivery share one update per item.
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from chalicelib.wallet.rules import GIFT_CARD_METHOD  # a wallet top-up that is a gift card bound

MAX_DAYS = 92  # a period's longest: a quarter
SHARDS = 4  # partitions per scope: each takes a quarter of the writes
DAILY = (
    "new_members", "purchases", "sales_fen", "refunds", "refunded_fen", "points_issued", "points_redeemed",
    "points_expired", "points_deducted", "wallet_top_ups_fen", "wallet_payments_fen",
)  # fmt: skip
ISSUED_SOURCES = ("purchases", "activities", "gifts", "adjustments", "opening")
SOURCES = ("store", "online", "referral", "ads", "offline_event", "import")  # how members join (members' Source)
PROGRAMME = (
    "coupons_issued", "coupons_used", "coupons_returned", "coupons_expired", "coupons_voided", "coupon_discount_fen",
    "mall_orders_placed", "mall_orders_completed", "mall_orders_cancelled", "mall_cash_fen",
    "cards_sold", "cards_trials", "cards_renewed", "cards_lapsed", "cards_cancelled", "cards_revenue_fen",
    "tier_ups", "tier_downs", *(f"new_members_{source}" for source in SOURCES),
)  # fmt: skip
"""Day figures of the programme's other assets and of the members' moves: coupons (issued, used, given back by a
refund, expired, voided; the discount used net of what refunds gave back), mall orders (placed, completed, cancelled
or refunded; the cash paid net of what is owed back), paid cards (sold, free trials, renewed, lapsed, cancelled; what
they brought net of refunds; their counted uses, entries and classes, net of those taken back, where recorded), tier
moves (up: an upgrade; down: a downgrade at review or after a refund) and the new members by how they joined."""
REPORTED = (
    "erased_members", "total_fen", "points_clawed_back", "points_adjusted_out", "points_net",
    "wallet_principal_net_fen", "wallet_bonus_net_fen", *(f"points_issued_{source}" for source in ISSUED_SOURCES),
    *PROGRAMME,
)  # fmt: skip
"""Day figures the reports add to the dashboard's: erasures, order totals, where points came from and went, and the
signed movements that give a standing at any past day (``points_net``, the wallet's nets)."""
DISTINCT = ("active", "buyers", "repeat_buyers")
ADDED = (
    "cards_uses",
    "cards_used_fen",
    "gift_cards_sold",
    "gift_cards_sold_fen",
    "gift_cards_bound",
    "gift_cards_bound_fen",
)
"""Day figures added since the BI files' columns were first set, which keep their place after every older one (a
file's columns never move): the paid cards' counted uses (消课/入场) net of those taken back, and what the uses of
packs refunded by uses took off the liability (课消金额: an education chain's revenue recognised as lessons are taken),
net of those taken back; gift cards sold at the tills (礼品卡: cards and what they were sold for) and bound by members
to their stored value (cards and what they moved there)."""
MOVES = ("members_moved_in", "members_moved_out")
"""Day figures of a store's members who moved their home store: in, to it; out, from it (a store's members at a past
day's end are those now, less what joined, moved in and out since, plus what was erased)."""
STANDING = ("points_outstanding", "wallet_principal_fen", "wallet_bonus_fen", "points_issued_total",
            "points_expired_total", "points_redeemed_total", "gift_cards_held", "gift_cards_fen")  # fmt: skip
SALES = frozenset({"purchases", "sales_fen", "total_fen"})  # what a purchase counts by its tier and payment method
REFUNDS = frozenset({"refunds", "refunded_fen"})  # what a refund counts by its order's tier and payment method
POINTS_EVENTS = frozenset({
    "points.earned", "points.opened", "points.adjusted", "points.redeemed", "points.redemption-reversed",
    "points.clawed-back", "points.expired",
})  # fmt: skip
WALLET_SIGNS = {"wallet.topped-up": 1, "wallet.paid": -1, "wallet.refunded": 1, "wallet.cash-refunded": -1,
                "wallet.forfeited": -1}  # fmt: skip
MEMBERSHIP_EVENTS = frozenset({"member.registered", "member.erased", "member.updated", "tier.changed"})


COUNTED_EARLIER = frozenset({"points.expired"})  # the events ``figure_day`` may count the day before their booking


def figure_day(event_type: str, payload: Mapping[str, Any], booked: date) -> date:
    """The business day an event's figures count in: the day it was booked, except an expiry of points. Points are
    spendable through their last day and stop being owed at its end; the nightly job books that minutes into the next
    day, so the expiry counts in the day before its booking: the liability at a day's end leaves out what expired at
    that end (a year's closing leaves out the year's expiring points), and a month's expired points are those whose
    last day fell in it. Never earlier (a late catch-up counts the day before it ran), so a day's figures are counted
    again from the events landed on it and on the next (``stats.checks``)."""
    if event_type in COUNTED_EARLIER:
        lots = payload.get("lots")
        if isinstance(lots, list) and lots and all(lot[0] and lot[0] < booked.isoformat() for lot in lots):
            return booked - timedelta(days=1)
    return booked


def _number(payload: Mapping[str, Any], name: str) -> int:
    value = payload.get(name)
    return int(value) if isinstance(value, int) else 0


def shard_of(event_id: str) -> int:
    return zlib.crc32(event_id.encode()) % SHARDS


ISSUED_BY = {"order": "purchases", "activity": "activities"}  # a credit's source kind; others are gifts


def _points_figures(event_type: str, payload: Mapping[str, Any]) -> dict[str, int]:
    """Where a points entry's signed amount counts: credits are issued (by where they came from: purchases,
    activities, gifts such as a tier's, adjustments by hand, opening balances of migrated members), a redemption is
    redeemed (its reversal gives it back, so redeemed is net of reversals, as the ledger's own counter), expiry is
    expired, a refund's claw-back is clawed back and a debit by hand adjusted out (both are deducted). ``points_net``
    is the signed amount: what the points outstanding moved by."""
    points = _number(payload, "points")
    figures: dict[str, int] = {"points_net": points}
    if event_type in ("points.earned", "points.opened") or (event_type == "points.adjusted" and points > 0):
        source = {"points.opened": "opening", "points.adjusted": "adjustments"}.get(event_type) or ISSUED_BY.get(
            str(payload.get("source_kind")), "gifts"
        )
        figures |= {"points_issued": points, f"points_issued_{source}": points}
    elif event_type == "points.adjusted":
        figures |= {"points_deducted": -points, "points_adjusted_out": -points}
    elif event_type in ("points.redeemed", "points.redemption-reversed"):
        figures |= {"points_redeemed": -points}
    elif event_type == "points.expired":
        figures |= {"points_expired": -points}
    else:  # points.clawed-back
        figures |= {"points_deducted": -points, "points_clawed_back": -points}
    return figures


def day_figures(event_type: str, payload: Mapping[str, Any]) -> dict[str, int]:
    """The day figures an event adds to the business day it was booked on (figures it leaves alone are absent).
    Sales are what members paid (`paid_fen`, after discounts); a top-up counts the money paid in (principal), a
    wallet payment everything it took (principal and bonus)."""
    figures: dict[str, int] = {}
    if event_type == "member.registered":
        figures = {"new_members": 1}
        if payload.get("source") in SOURCES:
            figures[f"new_members_{payload['source']}"] = 1
    elif event_type == "member.erased":
        figures = {"erased_members": 1}
    elif _home_move(event_type, payload) is not None:
        figures = {"members_moved_in": 1, "members_moved_out": 1}
    elif event_type == "purchase.recorded":
        paid, total = _number(payload, "paid_fen"), _number(payload, "total_fen")
        figures = {"purchases": 1, "sales_fen": paid, "total_fen": total}
    elif event_type == "refund.recorded":
        figures = {"refunds": 1, "refunded_fen": _number(payload, "amount_fen")}
    elif event_type in POINTS_EVENTS:
        figures = _points_figures(event_type, payload)
    elif event_type in WALLET_SIGNS:
        sign = WALLET_SIGNS[event_type]
        figures = {"wallet_principal_net_fen": sign * _number(payload, "principal_fen"),
                   "wallet_bonus_net_fen": sign * _number(payload, "bonus_fen")}  # fmt: skip
        if event_type == "wallet.topped-up" and payload.get("payment_method") != GIFT_CARD_METHOD:
            figures["wallet_top_ups_fen"] = _number(payload, "principal_fen")  # money paid in: not a card bound
        elif event_type == "wallet.paid":
            figures["wallet_payments_fen"] = _number(payload, "principal_fen") + _number(payload, "bonus_fen")
    elif event_type in GIFT_CARD_SIGNS:
        figures = _gift_card_figures(event_type, payload)
    else:
        figures = _programme_figures(event_type, payload)
    return {name: amount for name, amount in figures.items() if amount}


GIFT_CARD_SIGNS = {"giftcard.sold": 1, "giftcard.redeemed": -1}  # gift cards held: sold, not yet bound


def _gift_card_figures(event_type: str, payload: Mapping[str, Any]) -> dict[str, int]:
    """A sale of gift cards (their count and what they were sold for), or one bound to a member's stored value."""
    if event_type == "giftcard.sold":
        return {"gift_cards_sold": _number(payload, "count"), "gift_cards_sold_fen": _number(payload, "amount_fen")}
    if event_type == "giftcard.redeemed":
        return {"gift_cards_bound": 1, "gift_cards_bound_fen": _number(payload, "amount_fen")}
    return {}


COUPON_COUNTS = {"coupon.issued": "coupons_issued", "coupon.redeemed": "coupons_used",
                 "coupon.returned": "coupons_returned", "coupon.expired": "coupons_expired",
                 "coupon.voided": "coupons_voided"}  # fmt: skip
CARD_KINDS = {"purchase": "cards_sold", "trial": "cards_trials", "renewal": "cards_renewed",
              "auto-renewal": "cards_renewed"}  # fmt: skip
MALL_COUNTS = {"mall.order-placed": "mall_orders_placed", "mall.order-completed": "mall_orders_completed",
               "mall.order-cancelled": "mall_orders_cancelled",
               "mall.order-refunded": "mall_orders_cancelled"}  # fmt: skip


def _programme_figures(event_type: str, payload: Mapping[str, Any]) -> dict[str, int]:
    """What coupons, mall orders, paid cards and tier changes add to the day (``PROGRAMME``)."""
    figures: dict[str, int] = {}
    if event_type in COUPON_COUNTS:
        figures[COUPON_COUNTS[event_type]] = _number(payload, "count") or 1  # a batch's chunk announces its count
        sign = {"coupon.redeemed": 1, "coupon.returned": -1}.get(event_type, 0)
        figures["coupon_discount_fen"] = sign * _number(payload, "discount_fen")
    elif event_type in MALL_COUNTS or event_type == "mall.order-paid":
        if event_type in MALL_COUNTS:
            figures[MALL_COUNTS[event_type]] = 1
        paid = _number(payload, "cash_fen") if event_type == "mall.order-paid" else 0
        figures["mall_cash_fen"] = paid - _number(payload, "cash_refund_due_fen")
    elif event_type == "membership.card-paid":
        kind = CARD_KINDS.get(str(payload.get("kind")))
        figures = {kind: 1} if kind else {}
        figures["cards_revenue_fen"] = _number(payload, "amount_fen")
    elif event_type == "membership.card-lapsed":
        figures = {"cards_lapsed": 1}
    elif event_type == "membership.card-extended" and payload.get("was_lapsed_on"):
        figures = {"cards_lapsed": -1}  # revived (延期): its lapse counted is undone (a review counted one lapse twice)
    elif event_type in ("membership.benefit-used", "membership.benefit-use-reversed"):
        figures = {
            "cards_uses": 1 if event_type == "membership.benefit-used" else -1,  # 消课/入场 (a gym's 客流)
            "cards_used_fen": -_number(payload, "by_use_fen"),
        }  # 课消金额: off the liability (back, reversed)
    elif event_type == "membership.card-cancelled":
        figures = {"cards_cancelled": 1, "cards_revenue_fen": -_number(payload, "refund_fen")}
    elif event_type == "tier.changed":
        moves = {"upgrade": "tier_ups", "downgrade": "tier_downs", "refund": "tier_downs"}
        move = moves.get(str(payload.get("reason")))
        figures = {move: 1} if move else {}
    return figures


def scopes_of(event_type: str, payload: Mapping[str, Any]) -> list[tuple[str, frozenset[str] | None]]:
    """Where an event's day figures count, each with the figures that count there (None: all of them): the chain,
    its store (``store#<id>``, see ``store_of``), and for a purchase its member's tier (``tier#<code>``) and its
    payment method (``pay#<method>``), for its sales figures only; a refund in its order's, for its refund figures (a
    refund booked before its event named them counts in neither)."""
    moved = _home_move(event_type, payload)
    if moved is not None:  # the chain's members do not change
        before, after = moved
        return [
            ("chain", frozenset()),
            *(
                (f"store#{store}", frozenset({name}))
                for store, name in ((before, "members_moved_out"), (after, "members_moved_in"))
                if store
            ),
        ]
    scopes: list[tuple[str, frozenset[str] | None]] = [("chain", None)]
    store_id = store_of(event_type, payload)
    if store_id:
        scopes.append((f"store#{store_id}", None))
    only = {"purchase.recorded": SALES, "refund.recorded": REFUNDS}.get(event_type)
    if only is not None:
        for dimension, name in (("tier", "tier"), ("pay", "payment_method")):
            value = payload.get(name)
            if isinstance(value, str) and value:
                scopes.append((f"{dimension}#{value}", only))
    return scopes


def scoped_figures(event_type: str, payload: Mapping[str, Any]) -> list[tuple[str, dict[str, int]]]:
    """An event's day figures in each scope they count in (``day_figures`` where ``scopes_of`` says), and a card
    cancellation's refund, when it gives back what several stores took, in each store by its parts (a review: neither
    store's card revenue went down)."""
    figures = day_figures(event_type, payload)
    counted = [(scope, {name: amount for name, amount in figures.items() if only is None or name in only})
               for scope, only in scopes_of(event_type, payload)]  # fmt: skip
    if event_type == "membership.card-cancelled" and store_of(event_type, payload) is None:
        by_store: Counter[str] = Counter()
        for part in payload.get("parts") or []:
            if isinstance(part, Mapping) and isinstance(part.get("store_id"), str) and part["store_id"]:
                by_store[part["store_id"]] -= _number(part, "amount_fen")
        counted += [(f"store#{store}", {"cards_revenue_fen": fen}) for store, fen in by_store.items() if fen]
    return counted


def _home_move(event_type: str, payload: Mapping[str, Any]) -> tuple[str | None, str | None] | None:
    """The home stores a member moved from and to (either may be none: a member who joined online), if the event
    moved them."""
    if event_type != "member.updated" or "home_store_id" not in payload.get("changed", []):
        return None
    before, after = payload.get("before", {}).get("home_store_id"), payload.get("after", {}).get("home_store_id")
    return (before or None, after or None) if before != after else None


def activity_of(event_type: str, payload: Mapping[str, Any]) -> tuple[str, str | None, bool] | None:
    """The member an event shows active, the store it happened at, and whether it was a purchase: a purchase, or an
    activity (a check-in, a review, a registration; one past its limits too: the member was there), or a counted
    benefit used at a store (a gym's entry, a class: a fitness chain's members trained and counted as inactive)."""
    if event_type == "purchase.recorded":
        return str(payload["member_id"]), store_of(event_type, payload), True
    if event_type == "membership.benefit-used":
        return str(payload["member_id"]), store_of(event_type, payload), False
    if event_type == "activity.recorded":
        return str(payload["member_id"]), None, False
    return None


def period_keys(day: date) -> list[str]:
    """The periods a business day belongs to, as figure keys: the day, its ISO week, its calendar month."""
    year, week, _ = day.isocalendar()
    return [f"day#{day.isoformat()}", f"week#{year}-W{week:02d}", f"month#{day:%Y-%m}"]


def distinct_moves(purchases_before: int | None, bought: bool) -> dict[str, int]:
    """What one more activity of a member moves of a period's distinct counts, given the purchases their marker of
    the period counted before (None: no marker, so not yet active in it)."""
    moves: dict[str, int] = {}
    if purchases_before is None:
        moves["active"] = 1
    if bought:
        before = purchases_before or 0
        if before == 0:
            moves["buyers"] = 1
        elif before == 1:
            moves["repeat_buyers"] = 1
    return moves


RECENT_WINDOWS = (7, 30, 90)  # days: members active in the last 7, 30 and 90 days, as of today


def last_active_moves(previous: str | None, day: str) -> dict[str, int]:
    """How one more activity on ``day`` moves the count of members by the day they were last active (``last#<day>``),
    given the last day their marker holds (None: none): the member leaves their previous day for this one. An activity
    older than the one on record (an event delivered late) moves nothing."""
    if previous is not None and previous >= day:
        return {}
    moves = {f"last#{day}": 1}
    if previous is not None:
        moves[f"last#{previous}"] = -1
    return moves


def store_of(event_type: str, payload: Mapping[str, Any]) -> str | None:
    """The store an event's day figures count at besides the chain: a registration's or an erasure's home store, else
    the store the event names (a purchase's, a refund's order's, a wallet movement's, the points of a purchase or
    refund)."""
    store_id = payload.get("home_store_id" if event_type in ("member.registered", "member.erased") else "store_id")
    return store_id if isinstance(store_id, str) and store_id else None


def standing_moves(event_type: str, payload: Mapping[str, Any]) -> dict[str, int]:
    """How an event moves the chain's standing figures: a points entry by its signed amount, a wallet movement by
    its principal and bonus (in on top-ups and refunds back to the wallet, out on payments and cash refunds)."""
    moves: dict[str, int] = {}
    if event_type in POINTS_EVENTS:
        figures = _points_figures(event_type, payload)
        moves = {"points_outstanding": _number(payload, "points"),
                 "points_issued_total": figures.get("points_issued", 0),
                 "points_expired_total": figures.get("points_expired", 0),
                 "points_redeemed_total": figures.get("points_redeemed", 0)}  # fmt: skip
    elif event_type in WALLET_SIGNS:
        sign = WALLET_SIGNS[event_type]
        moves = {"wallet_principal_fen": sign * _number(payload, "principal_fen"),
                 "wallet_bonus_fen": sign * _number(payload, "bonus_fen")}  # fmt: skip
    elif event_type in GIFT_CARD_SIGNS:
        sign, cards = GIFT_CARD_SIGNS[event_type], _number(payload, "count") or 1
        moves = {"gift_cards_held": sign * cards, "gift_cards_fen": sign * _number(payload, "amount_fen")}
    return {name: amount for name, amount in moves.items() if amount}


# --- paid cards' obligations (会员卡预收) ----------------------------------------------------------------------

OBLIGATION_SCALE = 10**9  # a payment's daily share is kept in nano-fen, rounded up: a payment's days add up to it


def obligation_moves(event_type: str, payload: Mapping[str, Any]) -> tuple[dict[str, int], int]:
    """What a card payment moves of what the chain owes for days not yet given, by bucket day (a card paid: its
    payment; cancelled: each payment it closed, taken away; paused or resumed, 停卡/复卡: each payment whose days
    moved, as it was taken away and as it is now), and the fen of lifetime cards, which have no days to share. A
    payment of ``amount`` giving ``days`` days owes at the end of day D ``amount`` × (its days given after D) / days:
    for each run of days it gives, ``first``..``last`` (one run; a pause's days split it), its daily rate (nano-fen,
    amount / days) added to the bucket of ``last`` adds rate × (last − D) for each D before it, and taken from the
    bucket of the day before ``first`` takes rate × (first − 1 − D) back for each D before that, so the buckets after
    D (``unearned_fen``) sum every payment's share, whatever the members; a pause keeps the figure still over its
    days. A renewal ending where the next at its price begins nets its bucket to nothing, so a card renewed weekly
    for a year moves two buckets, not a hundred (a review: a cancellation's items passed a transaction's 100). A
    payment of an event from before the days were said is not counted. A pack refunded by its uses (次卡) is owed by
    them, not by days, with the lifetime cards' undated fen: what its sale adds (``by_use_fen``), each use takes off
    and each use taken back gives back (``by_use_fen``), and its cancellation closes (``by_use_closed_fen``), so a
    lapsed pack still owes what a refund would give (a fitness chain's walkthrough read ¥0 beside a ¥1,080 quote)."""
    by_use = {
        "membership.card-paid": "by_use_fen",
        "membership.card-cancelled": "by_use_closed_fen",
        "membership.benefit-used": "by_use_fen",
        "membership.benefit-use-reversed": "by_use_fen",
    }
    undated = 0
    if event_type in by_use:  # a pack owed by its uses (次卡): owed undated, until used or cancelled
        undated = (-1 if event_type == "membership.card-cancelled" else 1) * _number(payload, by_use[event_type])
    if event_type == "membership.card-paid":
        layouts = [(payload, 1)]
    elif event_type == "membership.card-cancelled":
        layouts = [(payment, -1) for payment in payload.get("closed_payments") or []]
    elif event_type in ("membership.card-paused", "membership.card-resumed", "membership.card-activated"):
        layouts = [(days, sign) for moved in payload.get("moved_payments") or []
                   for days, sign in (({**moved["before"], "amount_fen": moved["amount_fen"]}, -1),
                                      ({**moved["after"], "amount_fen": moved["amount_fen"]}, 1))]  # fmt: skip
    else:
        return {}, undated
    buckets: dict[str, int] = {}
    for payment, sign in layouts:
        amount, first = int(payment.get("amount_fen") or 0), payment.get("first_day")
        if amount <= 0 or not first:
            continue
        if payment.get("last_day") is None:
            undated += sign * amount
            continue
        runs = _runs(date.fromisoformat(first), date.fromisoformat(payment["last_day"]), payment.get("gaps") or ())
        given = sum((end - start).days + 1 for start, end in runs)
        rate = sign * -(-amount * OBLIGATION_SCALE // given)  # rounded up: its days make it whole
        for start, end in runs:
            for key, moved in ((end.isoformat(), rate), ((start - timedelta(days=1)).isoformat(), -rate)):
                buckets[key] = buckets.get(key, 0) + moved
    return {day: net for day, net in buckets.items() if net}, undated


def _runs(first: date, last: date, gaps: Iterable[Sequence[str]]) -> list[tuple[date, date]]:
    """The runs of days ``first``..``last`` gives, its ``gaps`` (paused days, ISO pairs) left out."""
    runs, start = [], first
    for a, b in sorted((date.fromisoformat(a), date.fromisoformat(b)) for a, b in gaps):
        if a > start:
            runs.append((start, a - timedelta(days=1)))
        start = b + timedelta(days=1)
    return [*runs, (start, last)] if start <= last else runs


def unearned_fen(buckets: Iterable[tuple[date, int]], day: date) -> int:
    """What card payments owe at the end of ``day``, in fen, from the buckets (their day, and the net daily rate
    they hold) after it (``obligation_moves``)."""
    d = day.toordinal()
    owed = sum(net * (bucket.toordinal() - d) for bucket, net in buckets if bucket > day)
    return (owed + OBLIGATION_SCALE // 2) // OBLIGATION_SCALE


NEVER, DEBT = "never", "debt"  # the expiry buckets of points that never expire, and of what members owe (negative)


def expiry_quarter(expires_on: str | None) -> str:
    """The bucket of a lot expiring on ``expires_on`` (an ISO date, or None for never): its calendar quarter
    (``2027-Q4``). Quarters, not months: a points entry touches few of them, so its writes stay well inside a
    transaction's 100 items even under a ten-year rolling expiry."""
    if not expires_on:
        return NEVER
    return f"{expires_on[:4]}-Q{(int(expires_on[5:7]) - 1) // 3 + 1}"


def expiry_moves(event_type: str, payload: Mapping[str, Any]) -> dict[str, int]:
    """How a points entry moves the points outstanding by when they expire (the liability's age): each expiry quarter
    (``2027-Q4``; ``never``) by what its lots gained or lost, and ``debt`` by the rest of its amount (negative when
    members came to owe more: a claw-back's shortfall; positive when a credit paid debt off). The buckets add up to the
    points outstanding. An event without its lots (booked before they were announced) moves nothing here."""
    lots = payload.get("lots")
    if event_type not in POINTS_EVENTS or not isinstance(lots, list):
        return {}
    moves: Counter[str] = Counter()
    for expires_on, points in lots:
        moves[expiry_quarter(expires_on)] += int(points)
    moves[DEBT] += _number(payload, "points") - sum(int(points) for _, points in lots)
    return {bucket: amount for bucket, amount in moves.items() if amount}


HELD = ("points_outstanding", "wallet_principal_fen", "wallet_bonus_fen")


def held_moves(event_type: str, payload: Mapping[str, Any]) -> tuple[str, dict[str, int]] | None:
    """The store whose counter an event adds to what the programme owes, or takes off it, and by how much: the points
    of a purchase or a refund, stored value paid in or out at a store (what stores settle between them, 跨店结算).
    None when no store did it (redemptions online or by hand, gifts, expiry)."""
    store_id = store_of(event_type, payload)
    moves = standing_moves(event_type, payload)
    held = {name: moves[name] for name in HELD if moves.get(name)}
    return (store_id, held) if store_id and held else None


def breakdown_moves(events: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, dict[str, int]]:
    """A day's moves of the liability's breakdowns counted afresh from its events (type and payload): by expiry bucket
    (``expiry#<bucket>``, its points) and by store (``store#<id>``, its ``HELD`` figures). What the statistics consumer
    kept of the day must equal it."""
    moves: dict[str, Counter[str]] = defaultdict(Counter)
    for event_type, payload in events:
        for bucket, amount in expiry_moves(event_type, payload).items():
            moves[f"expiry#{bucket}"]["points_outstanding"] += amount
        held = held_moves(event_type, payload)
        if held is not None:
            moves[f"store#{held[0]}"].update(held[1])
    return {key: {name: amount for name, amount in counted.items() if amount} for key, counted in moves.items()}


MIX = ("purchases", "sales_fen", "items_sold", "refunded_fen", "items_refunded")
"""The sales mix's figures (商品与时段): by category (``c#<category>``, ``c#`` for lines without one) what members paid
for its lines and how many items, and what refunds took back of them; by the hour of the week members bought at
(``h#<ISO weekday><hour>``, h#118 for Monday 18:00-18:59 in the business time zone) the purchases and what they
paid; and, the chain's, by category and hour (``x#<category>#<weekday><hour>``: the purchases holding the category,
its items and what they paid for them: when bread sells, and coffee). Refunds move categories only: the hours say
when members buy. An order's ``MIX_CATEGORIES`` largest categories (by what was paid) count apart, the rest of a
larger basket together as ``OTHER``: an event's counters fit one transaction however many categories it holds."""
CROSS = "x#"  # the keys of a category by hour, kept apart (``listeners.mix_item``): read only when asked for
MIX_CATEGORIES = 12
OTHER = "*"  # the rest of a larger basket's categories (其他品类)


def _capped(categories: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """An order's categories as the mix counts them: the ``MIX_CATEGORIES`` it paid most for, the rest as ``OTHER``."""
    ranked = sorted(((str(code), (int(fen), int(items))) for code, (fen, items) in categories.items()),
                    key=lambda item: (-item[1][0], item[0]))  # fmt: skip
    kept = dict(ranked[:MIX_CATEGORIES])
    for _, (fen, items) in ranked[MIX_CATEGORIES:]:
        was = kept.get(OTHER, (0, 0))
        kept[OTHER] = (was[0] + fen, was[1] + items)
    return kept


def kept_at(scope: str, key: str) -> bool:
    """Whether a scope keeps a sales-mix key: a category by hour is the chain's alone."""
    return scope == "chain" or not key.startswith(CROSS)


def mix_moves(event_type: str, payload: Mapping[str, Any], tz: tzinfo) -> dict[str, dict[str, int]]:
    """What a purchase or a refund moves of the sales mix, by key (see ``MIX``). Events recorded before the mix was
    kept (without ``categories``) move nothing, so a day's mix and its recount agree."""
    given = payload.get("categories")
    if not isinstance(given, Mapping):
        return {}
    categories = _capped(given)
    if event_type == "purchase.recorded":
        bought = datetime.fromisoformat(str(payload["ordered_at"])).astimezone(tz)
        moves = {f"c#{code}": {"sales_fen": int(fen), "items_sold": int(items)} for code, (fen, items) in
                 categories.items()}  # fmt: skip
        hour = f"{bought.isoweekday()}{bought.hour:02d}"
        moves[f"h#{hour}"] = {"purchases": 1, "sales_fen": _number(payload, "paid_fen")}
        moves |= {f"{CROSS}{code}#{hour}": {"purchases": 1, "items_sold": int(items), "sales_fen": int(fen)}
                  for code, (fen, items) in categories.items()}  # fmt: skip
    elif event_type == "refund.recorded":
        moves = {f"c#{code}": {"refunded_fen": int(fen), "items_refunded": int(items)} for code, (fen, items) in
                 categories.items()}  # fmt: skip
    else:
        return {}
    return {key: {name: amount for name, amount in figures.items() if amount} for key, figures in moves.items()}


def mix_scopes(event_type: str, payload: Mapping[str, Any]) -> list[str]:
    """The scopes whose sales mix an event moves: the chain's, and its store's (a refund's: its order's store)."""
    return list(dict.fromkeys(("chain", f"store#{payload['store_id']}" if payload.get("store_id") else "chain")))


def mix_recount(events: Iterable[tuple[str, Mapping[str, Any]]], tz: tzinfo) -> dict[str, dict[str, int]]:
    """A day's sales mix counted afresh from its events (type and payload), by ``<scope>|<key>``: what the statistics
    consumer kept of the day must equal it."""
    moves: dict[str, Counter[str]] = defaultdict(Counter)
    for event_type, payload in events:
        for key, figures in mix_moves(event_type, payload, tz).items():
            for scope in mix_scopes(event_type, payload):
                if kept_at(scope, key):
                    moves[f"{scope}|{key}"].update(figures)
    return {key: {name: amount for name, amount in counted.items() if amount} for key, counted in moves.items()}


@dataclass(frozen=True)
class TierMove:
    """One member more (``members`` 1) or fewer (-1) at ``tier`` in a scope: the chain (``store_id`` None) or the
    members whose home store is ``store_id``."""

    store_id: str | None
    tier: str
    members: int


def _both(store_id: str | None, tier: str, members: int) -> list[TierMove]:
    moves = [TierMove(None, tier, members)]
    return [*moves, TierMove(store_id, tier, members)] if store_id else moves


def tier_moves(
    event_type: str, payload: Mapping[str, Any], tiers: Sequence[str], home_store: str | None,
    ever: Collection[str] = (),
) -> list[TierMove]:  # fmt: skip
    """How an event moves the members counted by tier. ``tiers`` are the programme's tier codes, lowest first: a
    new member starts at the lowest, and a tier the profile's copy names that the programme does not know counts as
    the lowest (its default, before the member's first change: an erasure, a move of home store). A change's tier
    left counts as itself when some programme version had it (``ever``): a tier a new version dropped, whose
    members leave it when first written (a walkthrough's dashboard kept a diamond member after diamond went).
    ``home_store`` is the member's home store where the event does not say (a tier change)."""
    lowest = tiers[0]

    def known(code: object) -> str:  # a profile's copy: its default (`normal`) until the first change
        return code if isinstance(code, str) and code in tiers else lowest

    def counted(code: object) -> str:  # a change's tier left: one a programme had, as the ledger held it
        return code if isinstance(code, str) and (code in tiers or code in ever) else lowest

    if event_type == "member.registered":
        return _both(store_of(event_type, payload), lowest, 1)
    if event_type == "member.erased":
        return _both(store_of(event_type, payload), known(payload.get("tier")), -1)
    if event_type == "tier.changed":
        previous, tier = counted(payload.get("previous")), str(payload["tier"])
        return [*_both(home_store, previous, -1), *_both(home_store, tier, 1)]
    moved = _home_move(event_type, payload)
    if moved is not None:
        tier = known(payload.get("tier"))
        return [TierMove(store, tier, members) for store, members in zip(moved, (-1, 1), strict=True) if store]
    return []


def recount(events: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, dict[str, int]]:
    """A day's figures counted afresh from its events (type and payload), per scope: the day sums as
    ``scoped_figures`` counts them, and the day's distinct members (active, buyers, repeat buyers at the chain and at
    the store). What the statistics consumer kept for the day must equal it."""
    figures: dict[str, Counter[str]] = defaultdict(Counter)
    active: set[tuple[str, str]] = set()
    bought: Counter[tuple[str, str]] = Counter()
    for event_type, payload in events:
        for scope, counted in scoped_figures(event_type, payload):
            figures[scope].update(counted)
        activity = activity_of(event_type, payload)
        if activity is not None:
            member_id, store_id, purchase = activity
            for scope in dict.fromkeys(("chain", f"store#{store_id}" if store_id else "chain")):
                active.add((scope, member_id))
                if purchase:
                    bought[(scope, member_id)] += 1
    for scope, _ in active:
        figures[scope]["active"] += 1
    for (scope, _), purchases in bought.items():
        figures[scope]["buyers"] += 1
        figures[scope]["repeat_buyers"] += purchases >= 2
    return {scope: {name: amount for name, amount in counted.items() if amount} for scope, counted in figures.items()}
