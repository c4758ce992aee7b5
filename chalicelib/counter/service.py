"""The counter view's use case: one member as a till serves them, read from their profile, their one ledger account
(points, tier, wallet and cards are its books), their newest coupons and the names their benefits need."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from chalicelib.counter.limits import Takings, counter_takings
from chalicelib.coupons import service as coupons
from chalicelib.coupons.rules import Item, goods_discount
from chalicelib.identity.access import Caller
from chalicelib.identity.rules import Permission
from chalicelib.ledger.registry import ledger
from chalicelib.members import service as members
from chalicelib.members.model import Status, mask_name, mask_phone
from chalicelib.membership import service as membership
from chalicelib.points import rules as points_rules
from chalicelib.points import service as points
from chalicelib.points.book import BOOK as POINTS
from chalicelib.purchases import service as purchases
from chalicelib.purchases.schemas import CounterPurchase
from chalicelib.shared import clock
from chalicelib.shared.db import together
from chalicelib.shared.errors import NotFound, ValidationFailed
from chalicelib.shared.settings import get_settings
from chalicelib.tiers import service as tiers
from chalicelib.wallet import service as wallet

COUPONS_SHOWN, COUPON_QUERIES = 20, 2  # the usable coupons the view lists, and the queries it may spend finding them
WALLET_ATTEMPTS = 3  # a sale judged again on its order's wallet payment, when a refund came in between (409 after)


def serve(member_id: str, language: str, store_id: str | None = None, *, students_named: bool = True) -> dict[str, Any]:
    """Who the member is (phone masked), their tier and benefits, points with the next expiry, stored value, up to
    ``COUPONS_SHOWN`` usable coupons, their paid cards and what applies now, the tier and the cards combined (a
    walkthrough's till read the earned tier's no discount for a member whose card gave 10% off and gold), at
    ``store_id`` when said (a card of other stores gives no discount there). Their students' names whole when
    ``students_named`` (a till choosing whose class or pack), else masked as profiles are. 404 for an unknown or
    erased member."""
    member = members.get_member(member_id)
    if member.status is Status.ERASED:
        raise NotFound(f"No member {member_id!r}")
    holdings, today, settings = ledger().holdings(member_id), clock.business_today(), get_settings()
    balance = points.balance_of(holdings.state(member_id, POINTS))
    standing = tiers.status(member_id, with_history=False, holdings=holdings)
    stored = wallet.parts_of(holdings, member_id)
    soonest = balance.expiring[0] if balance.expiring else None
    usable, more = coupons.member_coupons(member_id, "available", COUPONS_SHOWN, None, language,
                                          queries=COUPON_QUERIES)  # fmt: skip
    return {
        "member_id": member.member_id, "member_no": member.member_no, "name": member.name,
        "phone_masked": mask_phone(member.phone) if member.phone else None, "status": str(member.status),
        "home_store_id": member.home_store_id,
        "tier": {**standing["tier"], "valid_until": standing["valid_until"], "benefits": standing["benefits"],
                 "coupon_names": coupons.template_names(tiers.coupon_templates(standing["benefits"]))},
        "points": {"available": balance.available, "pending": balance.pending, "debt": balance.debt,
                   "next_expiry": soonest[0] if soonest else None, "next_expiry_points": soonest[1] if soonest else 0,
                   "cash": points_rules.cash_terms(balance.available, settings.point_value_fen,
                                                   settings.points_cash_max_percent)},
        "wallet": {**stored.to_json(), "total_fen": stored.total},
        "coupons": {"available": [{key: c[key] for key in ("code", "name", "rules", "valid_until")} for c in usable
                                    if not c.get("offered_until")],  # one offered to a friend waits for them
                    "more": more is not None},
        "cards": membership.cards_at_counter(holdings, member_id, today),
        "students": [{"student_id": s["student_id"], "name": s["name"] if students_named else mask_name(s["name"])}
                     for s in member.students],
        "effective": membership.effective_now(holdings, member_id, today, store_id),
    }  # fmt: skip


def sale(caller: Caller, member_id: str, store_id: str | None, order_id: str) -> dict[str, Any]:
    """A till order of the member as the counter made it, for a refund that undoes it all: the purchase recorded at
    the counter (null if none; another store's only to staff who refund purchases, as the purchase list shows staff
    their stores'), the wallet payment taken for it at the store (default: the purchase's) with what is left to
    refund (null if none), and the coupons used on it. 404 for an unknown or erased member. Writes nothing."""
    if members.status_of(member_id) in (None, Status.ERASED):
        raise NotFound(f"No member {member_id!r}")
    purchase = purchases.counter_order(member_id, order_id)
    if purchase and not caller.covers_store(purchase["store_id"]) and not caller.may(Permission.PURCHASES_REFUND):
        purchase = None
    store_id = store_id or (purchase["store_id"] if purchase else None)
    paid = wallet.counter_payment_of_order(member_id, store_id, order_id) if store_id else None
    return {
        "order_id": order_id,
        "store_id": store_id,
        "purchase": purchase,
        "wallet_payment": paid,
        "coupons": coupons.used_on_order(member_id, order_id),
        "points": points.order_points(member_id, order_id),
    }


def open_sales(member_id: str, store_id: str | None) -> list[dict[str, Any]]:
    """The member's till orders begun today at the store (None: at any store) and not recorded (消费记账), newest first
    (by what was done on them last), each as ``sale`` reads it: a wallet payment taken or a coupon used at the counter
    on the order, and no purchase (one whose payment went back whole and holds no coupon is over; a partner's till
    reports its own orders). The counter offers to take one up again wherever it is opened (the tab that began it may
    be gone: found by a walkthrough, a new tab began a new order and the payment stayed on the old one, tied to no
    sale). Looks at the wallet's newest 20 entries and the member's newest 20 coupons; an order older or begun
    otherwise is taken up by typing its number. 404 for an unknown or erased member. Writes nothing; reads each
    payment once (the wallet's entries name them) and each order's purchase and coupons."""
    if members.status_of(member_id) in (None, Status.ERASED):
        raise NotFound(f"No member {member_id!r}")
    since = clock.iso(datetime.combine(clock.business_today(), time.min, tzinfo=get_settings().tz))
    paid = {(p["order_id"], p["store_id"]): p for p in wallet.counter_payments_since(member_id, since, store_id)
            if p["order_id"]}  # fmt: skip
    last = {order: payment["paid_at"] for order, payment in paid.items()}
    for order, store, at in [*coupons.used_since(member_id, store_id, since),
                             *points.orders_paid_since(member_id, store_id, since)]:  # fmt: skip
        last[order, store] = max(at, last.get((order, store), at))
    begun = []
    for order_id, store in sorted(last, key=lambda order: last[order], reverse=True):  # newest first
        if purchases.counter_order(member_id, order_id) is None:
            payment = paid.get((order_id, store)) or wallet.counter_payment_of_order(member_id, store, order_id)
            held = {"order_id": order_id, "store_id": store, "purchase": None, "wallet_payment": payment,
                    "coupons": coupons.used_on_order(member_id, order_id),
                    "points": points.order_points(member_id, order_id)}  # fmt: skip
            standing = (held["points"] or {}).get("status") == "completed"
            if held["coupons"] or standing or (held["wallet_payment"] or {}).get("refundable_fen"):
                begun.append(held)
    return begun


def paid_with(wallet_fen: int, paid_fen: int) -> str | None:
    """The payment method a sale the wallet paid ``wallet_fen`` of is recorded with: `wallet` for all of it, `mixed`
    for part (the sales report by method must agree with the stored-value statement: found by a walkthrough, a
    wallet-paid sale recorded as cash showed cash the drawer never took); None when the wallet paid none of it."""
    if wallet_fen <= 0:
        return None
    return "wallet" if wallet_fen >= paid_fen else "mixed"


def record_sale(caller: Caller, member_id: str, purchase: CounterPurchase) -> dict[str, Any]:
    """消费记账: the sale recorded for points at the till (``purchases.record_at_counter``). A repeat of an order the
    counter booked answers its first answer (or 409), whatever the limits or its wallet payment became since. A new
    one: paid at least what the wallet payment taken for the order at that store has left (422 on ``paid_fen``:
    a sale recorded below it could never be refunded whole), its method saying what the wallet paid (``paid_with``;
    `wallet` with no wallet payment is refused: 422 on ``payment_method``), and, for staff who do not record large
    purchases, at most the chain's limit for one sale (403 ``counter-purchase-over-limit``) and for their day
    (403 ``counter-daily-limit``, counted in the sale's own transaction: a large sale split into orders under the
    one-sale limit still stops there), each with ``limit_fen``. The wallet payment is read again when a refund of it
    came in before the sale committed (``_record_sale``); 409 when it kept changing."""
    if purchases.counter_order(member_id, purchase.order_id) is not None:
        return purchases.record_at_counter(member_id, purchase)
    day = counter_takings(caller, purchase.paid_fen, "sale")  # whatever the one-sale limit (a review)
    for _ in range(WALLET_ATTEMPTS - 1):
        try:
            return _record_sale(member_id, purchase, day)
        except (wallet.PaymentMoved, coupons.OrderCouponsMoved, points.OrderPointsMoved):
            continue
    return _record_sale(member_id, purchase, day)  # its PaymentMoved is the 409


def _record_sale(member_id: str, purchase: CounterPurchase, day: Takings | None) -> dict[str, Any]:
    """The sale judged on its order's wallet payment and coupons as they stand, committed only while they still do (a
    refund or a coupon between the two: ``wallet.PaymentMoved``, ``coupons.OrderCouponsMoved``, judged again). What
    the coupons took off, and what points paid of it (积分抵现), is on top of what was paid: the total is at least all
    of them (a walkthrough's cashier, resuming an order, recorded ¥1.00 as its total beside a ¥7.60 coupon)."""
    paid, unchanged = wallet.counter_payment_held(member_id, purchase.store_id, purchase.order_id, others_refused=True)
    on_order, coupons_unchanged = coupons.order_held(purchase.order_id)
    off = goods_discount(on_order)
    held = points.order_cash_held(member_id, purchase.order_id)
    cash, points_unchanged = held.cash_fen, held.unchanged
    if purchase.total_fen < held.total_fen:  # the points' share was judged on that total (a review: 95% of a sale)
        detail = f"points paid part of this order as a total of {held.total_fen} fen: total_fen is at least that"
        raise ValidationFailed([{"field": "total_fen", "in": "body", "message": detail}], detail)
    if purchase.paid_fen + off + cash > purchase.total_fen:
        took = " and ".join(
            [*([f"coupons took {off} fen"] if off else []), *([f"points paid {cash} fen"] if cash else [])]
        )
        detail = f"{took} of this order: total_fen is at least paid_fen + {off + cash}"
        raise ValidationFailed([{"field": "total_fen", "in": "body", "message": detail}], detail)
    taken = paid["refundable_fen"] if paid else 0  # what the wallet still holds of the order: refunds gave the rest
    if purchase.paid_fen < taken:
        detail = f"the wallet paid {taken} fen of this order: paid_fen cannot be less"
        raise ValidationFailed([{"field": "paid_fen", "in": "body", "message": detail}], detail)
    if (method := paid_with(taken, purchase.paid_fen)) not in (None, purchase.payment_method):
        detail = f"the wallet paid {taken} fen of this order's {purchase.paid_fen}: payment_method is {method}"
        raise ValidationFailed([{"field": "payment_method", "in": "body", "message": detail}], detail)
    if taken == 0 and purchase.payment_method.casefold() in ("wallet", "mixed"):
        detail = "the wallet paid nothing of this order at this store: take the payment first (储值支付)"
        raise ValidationFailed([{"field": "payment_method", "in": "body", "message": detail}], detail)

    alongside = together(unchanged, coupons_unchanged, points_unchanged, day)
    by_line = None
    if off and purchase.items:  # a coupon for some items comes off those lines (a salon's walkthrough: the shampoo a
        # 满500减80 excluded was booked ¥132.86 of its ¥150, and its refund could not give the ¥150 back)
        items = [Item(i.sku, i.amount_fen, i.quantity, i.category, i.brand) for i in purchase.items]
        by_line = coupons.line_discounts(purchase.order_id, on_order, items)  # the order's coupons as read once
    return purchases.record_at_counter(member_id, purchase, alongside, by_line)
