"""Counter routes: the view a cashier serves a member from, at any store of the chain."""

from __future__ import annotations

from chalicelib.counter import limits, service
from chalicelib.counter.schemas import (
    CounterView,
    OpenSales,
    OpenSalesQuery,
    PartnerMemberLookup,
    Sale,
    SaleQuery,
)
from chalicelib.coupons import service as coupons
from chalicelib.identity.access import PARTNER, Staff
from chalicelib.identity.rules import Permission
from chalicelib.members import service as members
from chalicelib.membership.schemas import TillQuery
from chalicelib.purchases import service as purchases
from chalicelib.purchases.schemas import CounterPurchase, PurchaseAnswer
from chalicelib.shared.errors import NotFound, RateLimited, ValidationFailed
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.stores.service import require_known, require_partners
from chalicelib.wallet import service as wallet

SERVE = Staff(Permission.MEMBERS_READ, serves=True)
RECORD = Staff(Permission.PURCHASES_RECORD, serves=True)
# who read the students' (学员) names whole at the counter: those who read personal data, and the till's staff who
# record a child's class or sell their pack (a probe: marketing and finance read children's names here, masked
# everywhere else)
NAME_STUDENTS = (Permission.PII_READ, Permission.BENEFITS_USE, Permission.MEMBERSHIP_SELL)


@endpoint("/v1/members/{member_id}/counter", "GET",
          summary="Serve a member: who, tier and benefits, points, stored value",
          tag="counter", access=SERVE, query=TillQuery, response=CounterView,
          errors=(NotFound, ValidationFailed))  # fmt: skip
def counter_view(ctx: RequestContext, member_id: str) -> Reply:
    """The counter view (收银台视图) a cashier serves a member from, at any store of the chain: member number,
    name, masked phone, status, home store, tier (会员等级) with its valid-until date and benefits (权益), points
    (积分): available, pending, debt and the next expiry, stored value (储值): principal and bonus, and the usable
    coupons (优惠券). Reached by member id, usually after a lookup by member code (会员码) or phone. Reads: the
    profile, the member's books (points, tier and wallet are books of one ledger account), their newest coupons (at
    most 40 looked at, in two queries, however many they have used: ``more`` says there may be other usable ones,
    listed on the member's coupon page) with the templates of those shown, and the names of the coupon templates
    the tier's benefits name, when it names any.

    At the till's store (`store_id`), `effective` is what applies there: a card of some stores (单店卡) gives its
    discount and multiplier at its own.

    Errors: 404 for an unknown or erased member; 422 on `store_id` for no such store."""
    store_id = ctx.query.store_id
    if store_id is not None:
        require_known(store_id, "store_id")
    named = any(map(ctx.caller.may, NAME_STUDENTS))
    return Reply(CounterView.model_validate(service.serve(member_id, ctx.language, store_id, students_named=named)))


@endpoint("/v1/webhooks/members/lookup", "POST", summary="Serve the member whose code a partner's till scanned",
          tag="webhooks", access=PARTNER, body=PartnerMemberLookup, response=CounterView,
          errors=(NotFound, ValidationFailed, RateLimited))  # fmt: skip
def partner_lookup(ctx: RequestContext) -> Reply:
    """What a partner's till shows the member standing at it: the counter view (收银台视图) of the member whose code
    (会员码, from their member pages, current for a minute) it scanned: member number, name, masked phone, tier and
    benefits, points (积分) with the next expiry, stored value (储值), usable coupons and paid cards. Any member of the
    chain, whatever the partner's stores: the code proves they are there. Only a code finds a member here (a phone
    or member number would let a till read anyone's points and balance); the till then reports by `member_id`.
    Writes nothing but a wrong code's count.

    Errors: 404 `No member matches` for every miss alike (no such code, an expired one, an erased member); 429 after
    10 wrong codes for one member, or 30 from one partner, in 10 minutes."""
    if ctx.body.store_id is not None:
        require_partners(ctx.caller, ctx.body.store_id)
        require_known(ctx.body.store_id, "store_id", "body")
    member = members.lookup(code=ctx.body.code)
    return Reply(CounterView.model_validate(service.serve(member.member_id, ctx.language, ctx.body.store_id)))


@endpoint("/v1/members/{member_id}/sales/{order_id}", "GET", summary="A till order: what a refund of it all gives back",
          tag="counter", access=SERVE, query=SaleQuery, response=Sale, errors=(NotFound, ValidationFailed))  # fmt: skip
def sale(ctx: RequestContext, member_id: str, order_id: str) -> Reply:
    """A member's till order (`order_id`, at the till of `store_id`, by default the store of the purchase recorded at
    the counter) as the counter made it: the purchase recorded at
    the counter (消费记账), the wallet payment taken for it with what is left to refund, and the coupons used on it.
    The console refunds it all from there: the purchase's points, the payment back to the wallet, the coupons back
    to the member, each by its own route. Any member of the chain (a serve read); another store's purchase only to
    staff who refund purchases (`purchases:refund`). Writes nothing, and answers nulls and no coupons for an order the
    counter never made. Errors: 404 for an unknown or erased member; 422 on `store_id` for no such store."""
    require_known(ctx.query.store_id)
    return Reply(Sale.model_validate(service.sale(ctx.caller, member_id, ctx.query.store_id, order_id)))


@endpoint("/v1/members/{member_id}/open-sales", "GET", summary="A member's till orders begun today and not recorded",
          tag="counter", access=SERVE, query=OpenSalesQuery, response=OpenSales,
          errors=(NotFound, ValidationFailed))  # fmt: skip
def open_sales(ctx: RequestContext, member_id: str) -> Reply:
    """The member's till orders begun today at the tills of `store_id` (default: of any store) and not recorded
    (消费记账): a wallet payment (储值支付) taken or a coupon used on the order, and no purchase recorded for it;
    newest first (by what was done on them last), each as `GET /v1/members/{member_id}/sales/{order_id}` answers it.
    The console's counter offers to take one up again when it finds the member, in whatever tab or browser, so a
    payment taken for a sale is never left tied to no sale. Looks at the wallet's 20 newest entries and the member's
    20 newest coupons (an older order is taken up by typing its number). Any member of the chain (a serve read).
    Writes nothing. Errors: 404 for an unknown or erased member; 422 on `store_id` for no such store."""
    require_known(ctx.query.store_id)
    items = service.open_sales(member_id, ctx.query.store_id)
    return Reply(OpenSales.model_validate({"items": items}))


@endpoint("/v1/members/{member_id}/purchases", "POST", summary="Record a purchase at the counter (消费记账)",
          tag="purchases", access=RECORD, body=CounterPurchase, response=PurchaseAnswer, status=201,
          errors=(NotFound, ValidationFailed, purchases.MemberNotEligible, purchases.OrderConflict,
                  purchases.CounterPurchasesOff, limits.OverCounterLimit, limits.OverCounterDailyLimit,
                  wallet.PaymentMoved, coupons.OrderCouponsMoved))  # fmt: skip
def record_counter_purchase(ctx: RequestContext, member_id: str) -> Reply:
    """A cashier records a purchase at the till for any member of the chain, as a partner reports one (a chain whose
    till system reports nothing gives points this way): the earn rules in force now (the platform's clock stamps it:
    never a day the till says) turn `paid_fen` into points, growth value and possibly an upgrade. Once per till order
    (`order_id`, unique in the chain): the same order again answers the first answer with `duplicate: true`.
    Store-scoped staff record at their own stores. The audit log records who did it (`purchase.recorded`, actor
    `staff:<id>`). A chain whose till reports its purchases turns this off (`LOYALTY_COUNTER_PURCHASES=false`), so no
    sale earns twice. What was paid is at least what the wallet took for the order at that store, its payment method
    `wallet` when the wallet paid all of it and `mixed` when it paid part (never `wallet` when it paid none), its total
    at least what was paid and what the coupons used on the order took off, and above the chain's limit
    (`LOYALTY_COUNTER_PURCHASE_LIMIT_FEN`, default 5,000 CNY; `/v1/staff/me` says the caller's) only staff who record
    large purchases (`purchases:record-large`: store managers) record it; the others record at most
    `LOYALTY_COUNTER_DAILY_LIMIT_FEN` a day, so a large sale split into small orders stops there.

    Errors: 404 for an unknown or erased member; 422 `member-not-eligible` for a frozen one; 422 for a store that does
    not exist or is not one of a store-scoped cashier's, `paid_fen` below the order's wallet payment, a `payment_method`
    that disagrees with it, or `total_fen` below `paid_fen` and the order's coupons' discount; 409 `order-conflict` for
    the same order with other content; 403 `counter-purchases-off` when the chain turned it off; 403
    `counter-purchase-over-limit` (with `limit_fen`) above the caller's limit for one sale, 403 `counter-daily-limit`
    (with `limit_fen`) past their day's (`LOYALTY_COUNTER_DAILY_LIMIT_FEN`, default 50,000 CNY, counted with the sale);
    409 `conflict` when the order's wallet payment, coupons or points kept changing while the sale was recorded (it is
    judged again twice: retry). Points that paid part of the order (积分抵现) count on top of what was paid, and the
    total is at least the one they were paid against (422 on `total_fen`); another member's wallet payment or points
    on the order are 422 on `order_id`. A repeat of a booked order answers its first answer whatever the limits
    became.
    """
    ctx.caller.require_trading_at(ctx.body.store_id, "store_id")
    answer = service.record_sale(ctx.caller, member_id, ctx.body)
    return Reply(PurchaseAnswer.model_validate(answer), status=201)
