"""Stored value routes: partner webhooks (top-ups, payments, refunds), wallets and their entries (staff at the
counter, or the member), cash refunds, top-up plans and the daily statement (finance, admins)."""

from __future__ import annotations

from chalicelib.counter import limits
from chalicelib.identity.access import MEMBER, PARTNER, Staff, StaffOrSelf
from chalicelib.identity.rules import Permission
from chalicelib.members import service as members
from chalicelib.members.service import MemberCodeNotCurrent, MemberCodeUsed, reachable
from chalicelib.points import service as points
from chalicelib.shared import clock
from chalicelib.shared.errors import (
    AlreadyExists,
    Forbidden,
    IdempotencyKeyReused,
    InvalidCursor,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.shared.pagination import PageQuery
from chalicelib.stores.service import require_theirs
from chalicelib.wallet import journal, plans, service, statements
from chalicelib.wallet.schemas import (
    Wallet,
    WalletCashRefund,
    WalletCashRefundCreate,
    WalletCounterPayment,
    WalletCounterPaymentOut,
    WalletCounterRefund,
    WalletCounterTopUp,
    WalletEntryPage,
    WalletJournalPage,
    WalletJournalQuery,
    WalletPayment,
    WalletPaymentAnswer,
    WalletPlan,
    WalletPlanCreate,
    WalletPlanEnd,
    WalletPlanList,
    WalletRefund,
    WalletRefundAnswer,
    WalletStatement,
    WalletStatementQuery,
    WalletTopUp,
    WalletTopUpAnswer,
)

READ = StaffOrSelf(Permission.MEMBERS_READ, serves=True)
CASH_REFUND = Staff(Permission.WALLET_CASH_REFUND)
READ_PLANS = Staff(Permission.STORES_READ)
WRITE_PLANS = Staff(Permission.WALLET_PLANS)
STATEMENTS = Staff(Permission.WALLET_STATEMENTS)
JOURNAL = Staff(Permission.SALES_JOURNAL)  # who close a store's day: its managers, finance, admins
PAY = Staff(Permission.WALLET_PAY, serves=True)
REFUND = Staff(Permission.WALLET_REFUND, serves=True)
TOP_UP = Staff(Permission.WALLET_TOP_UP, serves=True)
WEBHOOK_ERRORS = (Unauthenticated, Forbidden, ValidationFailed, service.MemberNotEligible)


@endpoint(
    "/v1/webhooks/wallet/top-ups",
    "POST",
    summary="Report a top-up of a member's wallet (once per payment id)",
    tag="webhooks",
    access=PARTNER,
    body=WalletTopUp,
    response=WalletTopUpAnswer,
    errors=(*WEBHOOK_ERRORS, plans.PlanNotApplicable, service.BalanceLimitExceeded, service.TopUpConflict),
)
def wallet_top_up(ctx: RequestContext) -> Reply:
    """A partner took payment for a top-up (充值) of a member's stored value: `amount_fen` becomes principal (本金);
    a `plan_id` adds the plan's bonus (赠送金) and its gift points (`gift_points`), which the member earns as the
    principal is spent. Once per payment id, for good: a repeat answers the first answer with `duplicate: true`.

    Errors: 403 for a store outside the partner's stores; 422 for a store that does not exist; 422
    `member-not-eligible` for a frozen, erased or unknown member; 422 `plan-not-applicable` for an unknown plan, an
    amount other than its price, a day it is not on sale or a store that does not sell it; 422
    `balance-limit-exceeded` when the wallet would hold more than the limit per member; 409 `top-up-conflict` for
    the same payment id with other content."""
    return Reply(WalletTopUpAnswer.model_validate(service.top_up(ctx.caller, ctx.body)))


@endpoint(
    "/v1/webhooks/wallet/payments",
    "POST",
    summary="Pay from a member's wallet (once per payment id)",
    tag="webhooks",
    access=PARTNER,
    body=WalletPayment,
    response=WalletPaymentAnswer,
    errors=(*WEBHOOK_ERRORS, service.InsufficientBalance, service.PaymentConflict, members.MemberCodeUsed),
)
def wallet_payment(ctx: RequestContext) -> Reply:
    """A member pays from their stored value (储值支付) at a till or in the e-shop. The payment takes principal and
    bonus in the configured order (default: in proportion to the balance, so refunds and cash refunds stay fair)
    and answers the split it took. The principal it takes earns its share of the member's top-up gift points still
    pending, credited to their points in the same write. Once per payment id, for good; never takes the wallet
    below zero.

    Errors: 409 `insufficient-balance` when the wallet holds less than the amount, with `available_fen` (not to a
    partner limited to stores for a member of another store or of none: a partner reads within its stores); 403 for
    a store outside the partner's stores; 422 for a store that does not exist; 422 `member-not-eligible` for a
    frozen, erased or unknown member; 409 `payment-conflict` for the same payment id with other content; 422
    `member-code-used` for a code that paid already (a code pays once, here and at the counter)."""
    return Reply(WalletPaymentAnswer.model_validate(service.pay(ctx.caller, ctx.body)))


@endpoint(
    "/v1/webhooks/wallet/refunds",
    "POST",
    summary="Refund a wallet payment back to the wallet",
    tag="webhooks",
    access=PARTNER,
    body=WalletRefund,
    response=WalletRefundAnswer,
    errors=(
        Unauthenticated,
        NotFound,
        ValidationFailed,
        service.MemberNotEligible,
        service.RefundExceedsPayment,
        service.RefundConflict,
    ),
)
def wallet_refund(ctx: RequestContext) -> Reply:
    """A partner gives money of a wallet payment back to the wallet it came from (退款至储值): principal and bonus in
    the proportion the payment has left of each, answered as the split given back. The top-up gift points its
    principal earned go back to pending, their whole points taken back from the member's points. A payment may be
    refunded in parts, never beyond what it took. Once per refund id, for good.

    Errors: 404 for a payment this partner never reported (retry later); 422 `refund-exceeds-payment` for more than
    the payment has left; 422 for a refund dated before its payment; 422 `member-not-eligible` for an erased member;
    409 `refund-conflict` for the same refund id with other content."""
    return Reply(WalletRefundAnswer.model_validate(service.refund(ctx.caller, ctx.body)))


@endpoint(
    "/v1/members/{member_id}/wallet",
    "GET",
    summary="A member's wallet",
    tag="wallet",
    access=READ,
    response=Wallet,
    errors=(NotFound,),
)
def get_wallet(ctx: RequestContext, member_id: str) -> Reply:
    """A member's stored value (储值余额) as of now: principal (本金) and bonus (赠送金) apart, their total, and the
    limit per member a top-up may reach. Served at any store of the chain.

    Errors: 404 for an unknown or erased member, or another member's id from a member token."""
    return Reply(Wallet.model_validate(service.wallet_of(reachable(ctx.caller, member_id))))


@endpoint("/v1/me/wallet", "GET", summary="My wallet", tag="me", access=MEMBER, response=Wallet)
def get_my_wallet(ctx: RequestContext) -> Reply:
    """The member's own stored value (储值余额): principal (本金), bonus (赠送金) and their total."""
    return Reply(Wallet.model_validate(service.wallet_of(ctx.caller.id)))


def _entries(member_id: str, query: PageQuery, for_member: bool) -> Reply:
    items, cursor = service.entries_of(member_id, query.limit, query.cursor, for_member=for_member)
    return Reply(WalletEntryPage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint(
    "/v1/members/{member_id}/wallet/entries",
    "GET",
    summary="A member's wallet entries, newest first",
    tag="wallet",
    access=READ,
    query=PageQuery,
    response=WalletEntryPage,
    errors=(NotFound, InvalidCursor),
)
def get_wallet_entries(ctx: RequestContext, member_id: str) -> Reply:
    """A member's stored-value history (储值流水), both books newest first: each entry with its book (principal or
    bonus), signed amount, the book's balance after it, what booked it and why.

    Errors: 404 for an unknown or erased member, or another member's id from a member token."""
    return _entries(reachable(ctx.caller, member_id), ctx.query, for_member=ctx.caller.is_member)


@endpoint(
    "/v1/me/wallet/entries",
    "GET",
    summary="My wallet entries, newest first",
    tag="me",
    access=MEMBER,
    query=PageQuery,
    response=WalletEntryPage,
    errors=(InvalidCursor,),
)
def get_my_wallet_entries(ctx: RequestContext) -> Reply:
    """The member's own stored-value history (储值流水), both books newest first."""
    return _entries(ctx.caller.id, ctx.query, for_member=True)


@endpoint(
    "/v1/members/{member_id}/wallet/payments",
    "POST",
    summary="Take a wallet payment at the counter (储值支付), the member present",
    tag="wallet",
    access=PAY,
    body=WalletCounterPayment,
    response=WalletPaymentAnswer,
    status=201,
    idempotency="required",
    errors=(
        NotFound,
        PreconditionRequired,
        ValidationFailed,
        MemberCodeNotCurrent,
        MemberCodeUsed,
        RateLimited,
        service.MemberNotEligible,
        service.InsufficientBalance,
        service.PaymentConflict,
    ),
)
def wallet_counter_payment(ctx: RequestContext, member_id: str) -> Reply:
    """A cashier takes a payment from the member's stored value for an order of the till (any member of the chain; the
    till one of the cashier's stores, or any store for staff of the whole chain):
    the same payment as a partner's `POST /v1/webhooks/wallet/payments` (principal and bonus split by the configured
    order, never below zero) and the same answer. The member must be there: `member_code` is the code their pages
    show now (`GET /v1/me/code`, scanned or typed), checked for this member. Once per `order_id`, at whichever store,
    for good (the order is the chain's: the same order at another store is 409 `payment-conflict`; one paid before
    orders were the chain's kept its store in its id, and is met at that store only): the payment id is made from
    it, so a repeat from any tab or under any `Idempotency-Key` (still required, as on
    every spending write) answers the first answer with `duplicate: true` and takes nothing again. The audit log
    records who took it (`wallet.paid`, with the order id).

    Errors: 422 `member-code-not-current` for an expired, forged or another member's code, and nothing is taken; 422
    `member-code-used` for a code that paid for another order already (a code pays once: the member shows their next
    one); 409
    `insufficient-balance` with `available_fen` when the wallet holds less; 409 `payment-conflict` for an order paid
    before with another member or amount; 404 for an unknown or erased member; 422 `member-not-eligible` for a frozen
    member; 422 for a store that does not exist or is not one of a store-scoped cashier's; 428 without
    `Idempotency-Key`; 429 after 10 wrong codes for the member in 10 minutes, whatever the code, until the window ends;
    422 on `order_id` for an order whose sale the counter recorded already (消费记账: the wallet pays first), or under
    which a card was sold at the store (开卡/续卡: a card is paid from stored value in its own sale), or that another
    member's points paid part of (积分抵现: an order is one member's sale).
    """
    from chalicelib.membership.service import no_card_sold_on  # a card's cancellation would refund it again
    from chalicelib.purchases.service import counter_order_open  # the counter's record of a sale

    ctx.caller.require_trading_at(ctx.body.store_id, "store_id")
    conditions = (
        counter_order_open(ctx.body.order_id, "the wallet pays"),
        no_card_sold_on(ctx.body.store_id, ctx.body.order_id),
        points.no_other_members_points(member_id, ctx.body.order_id),
    )  # an order is one member's
    answer = service.pay_at_counter(member_id, ctx.body, conditions)
    return Reply(WalletPaymentAnswer.model_validate(answer), status=201)


@endpoint("/v1/members/{member_id}/wallet/top-ups", "POST", summary="Take a top-up at the counter (储值充值)",
          tag="wallet", access=TOP_UP, body=WalletCounterTopUp, response=WalletTopUpAnswer, status=201,
          errors=(NotFound, ValidationFailed, service.TopUpConflict, service.MemberNotEligible,
                  service.BalanceLimitExceeded, plans.PlanNotApplicable, limits.OverCounterLimit,
                  limits.OverCounterDailyLimit))  # fmt: skip
def wallet_counter_top_up(ctx: RequestContext, member_id: str) -> Reply:
    """A cashier takes a top-up at the till for any member of the chain (a chain whose till reports nothing sells
    stored value this way): `amount_fen` of principal, and a plan's bonus and gift points when `plan_id` names one
    on sale today at the store (the amount its price), within the balance limit, as a partner's top-up. Once per
    store and till order, for good (`order_id`): a repeat answers the first answer; the same order with another
    member, amount or plan is 409 `top-up-conflict`. Store-scoped staff take it at their own stores. The audit log
    records who (`wallet.topped-up`, actor `staff:<id>`); the member gets the receipt.

    Staff who do not record large purchases (cashiers) take a top-up within the counter's limits, as a sale: at most
    `LOYALTY_COUNTER_PURCHASE_LIMIT_FEN` (403 `counter-purchase-over-limit`), and their day's sales and top-ups
    together at most `LOYALTY_COUNTER_DAILY_LIMIT_FEN` (403 `counter-daily-limit`), each with `limit_fen`: a cashier
    alone cannot make stored value for money never taken (a probe: 55,500 CNY in a day, bonus and gifts besides).

    Errors: 404 for an unknown or erased member; 422 `member-not-eligible` for a frozen one; 422 for a store that
    does not exist or is not one of a store-scoped cashier's; 422 `plan-not-applicable`; 422
    `balance-limit-exceeded` with `room_fen` past the balance limit; 403 past the counter's limits."""
    ctx.caller.require_trading_at(ctx.body.store_id, "store_id")
    caller, amount = ctx.caller, ctx.body.amount_fen
    answer = service.top_up_at_counter(member_id, ctx.body, lambda: limits.counter_takings(caller, amount, "top-up"))
    return Reply(WalletTopUpAnswer.model_validate(answer), status=201)


@endpoint("/v1/members/{member_id}/wallet/payments/{payment_id}", "GET", summary="Read a counter payment",
          tag="wallet", access=REFUND, response=WalletCounterPaymentOut, errors=(NotFound,))  # fmt: skip
def get_wallet_counter_payment(ctx: RequestContext, member_id: str, payment_id: str) -> Reply:
    """A payment taken at the counter (`payment_id` as its wallet entries name it, `source.id`), with what it took of
    principal and bonus and what refunds may still give back (`refundable_fen`): the refund a store manager is about
    to give fills in the whole of it. Reads the payment once, writes nothing.

    Once its order was recorded as a sale, `refundable_fen` is what the sale's refunds let it give back (refund the
    sale first), as its refund would allow.

    Errors: 404 for a payment not taken at the counter for this member (a partner's, another member's, or none)."""
    answer = service.counter_payment(member_id, payment_id, _sale_refunded(member_id))
    return Reply(WalletCounterPaymentOut.model_validate(answer))


def _sale_refunded(member_id: str) -> service.SaleRefunded:
    """What the member's sale recorded at the counter under a till order had given back (None: no sale), at whichever
    store it was recorded (a review: one recorded at another store escaped)."""
    from chalicelib.purchases.service import counter_order  # the counter's record of the member's sale

    def refunded(order_id: str) -> int | None:
        sale = counter_order(member_id, order_id)
        return int(sale["refunded_fen"]) if sale is not None else None

    return refunded


@endpoint(
    "/v1/members/{member_id}/wallet/payments/{payment_id}/refunds",
    "POST",
    summary="Give a counter payment back to the wallet (退款至储值)",
    tag="wallet",
    access=REFUND,
    body=WalletCounterRefund,
    response=WalletRefundAnswer,
    status=201,
    idempotency="required",
    errors=(
        NotFound,
        PreconditionRequired,
        ValidationFailed,
        IdempotencyKeyReused,
        service.MemberNotEligible,
        service.RefundExceedsPayment,
    ),
)
def wallet_counter_refund(ctx: RequestContext, member_id: str, payment_id: str) -> Reply:
    """Goods paid from the wallet at a till come back (at any store of the chain): `amount_fen` of that counter
    payment (`payment_id`, as its payment answered, or the `source.id` of its wallet entries) goes back to the
    wallet it came from, principal and bonus in the proportion the payment has left, as a partner's refund does. A
    payment is refunded in parts, never beyond what it took; the member reads `reason` in their entries and the
    audit log records who gave it back (`wallet.refunded`). Once per `Idempotency-Key`.

    Errors: 404 for a payment not taken at the counter for this member (a partner's is refunded through its own
    webhook), or an unknown member; 422 `refund-exceeds-payment` with `refundable_fen` for more than the payment has
    left, or, once its order was recorded as a sale (消费记账), for more than the sale's refunds gave back (refund the
    sale first: the console gives the wallet part back with it); 422 `member-not-eligible` for an erased member; 428
    without `Idempotency-Key`, 422 `idempotency-key-reused` with another body."""
    assert ctx.idempotency is not None  # required: the request was refused without one
    answer = service.refund_at_counter(member_id, payment_id, ctx.body, ctx.idempotency, _sale_refunded(member_id))
    return Reply(WalletRefundAnswer.model_validate(answer), status=201)


@endpoint(
    "/v1/members/{member_id}/wallet/cash-refunds",
    "POST",
    summary="Pay a member's principal out in cash (退卡/退余额)",
    tag="wallet",
    access=CASH_REFUND,
    body=WalletCashRefundCreate,
    response=WalletCashRefund,
    status=201,
    idempotency="required",
    errors=(NotFound, PreconditionRequired, IdempotencyKeyReused, service.InsufficientBalance),
)
def wallet_cash_refund(ctx: RequestContext, member_id: str) -> Reply:
    """Finance pays principal (本金) out in cash at one of their stores: `amount_fen`, or all of it to close the card
    (退卡). The bonus (赠送金) that goes with it is forfeited, never paid out: in proportion to the principal
    withdrawn, or all of it, as configured (`LOYALTY_WALLET_CASH_REFUND_BONUS`). The share of the top-up gift points
    still to be earned that goes with the principal paid out is forfeited too (`gift_points_forfeited`).
    Requires an `Idempotency-Key`; the member reads `reason` in their entries; the audit log records who did it.

    Errors: 409 `insufficient-balance` for more than the principal, or none left; 404 for an unknown or erased
    member, or one outside the caller's stores; 422 for a store outside the caller's stores; 428 without
    `Idempotency-Key`, 422 `idempotency-key-reused` with another body."""
    member_id = reachable(ctx.caller, member_id)
    assert ctx.idempotency is not None  # required: the request was refused without one
    answer = service.cash_refund(ctx.caller, member_id, ctx.body, ctx.idempotency)
    return Reply(WalletCashRefund.model_validate(answer), status=201)


@endpoint("/v1/wallet/plans", "GET", summary="Top-up plans", tag="wallet", access=READ_PLANS, response=WalletPlanList)
def list_wallet_plans(ctx: RequestContext) -> Reply:
    """Every top-up plan (充值方案): price, bonus, gift points, days on sale and stores, and whether it is on sale
    today. Staff scoped to stores see the plans sold at their stores."""
    return Reply(WalletPlanList.model_validate({"items": plans.listing(ctx.caller)}))


@endpoint(
    "/v1/wallet/plans",
    "POST",
    summary="Create a top-up plan",
    tag="wallet",
    access=WRITE_PLANS,
    body=WalletPlanCreate,
    response=WalletPlan,
    status=201,
    errors=(AlreadyExists,),
)
def create_wallet_plan(ctx: RequestContext) -> Reply:
    """Create a top-up plan (充值方案): pay `pay_fen`, get `bonus_fen` of bonus (充100送20) and optionally
    `gift_points`, from `starts_on` (default today) through `ends_on`, at `stores` (empty: every store). A top-up
    names it by `plan_id`; its amount must be the plan's price. Plans are cached 30 seconds.

    Errors: 409 `already-exists` when the plan id is taken; 422 for a store outside the caller's stores or that does
    not exist, `ends_on` before `starts_on`, or a price and bonus that together exceed the wallet's balance limit
    (no top-up could take the plan)."""
    return Reply(WalletPlan.model_validate(plans.create(ctx.caller, ctx.body)), status=201)


@endpoint(
    "/v1/wallet/plans/{plan_id}/end",
    "POST",
    summary="Take a top-up plan off sale (停售)",
    tag="wallet",
    access=WRITE_PLANS,
    body=WalletPlanEnd,
    response=WalletPlan,
    errors=(NotFound, ValidationFailed, PreconditionFailed, plans.PlanNotApplicable),
)
def end_wallet_plan(ctx: RequestContext, plan_id: str) -> Reply:
    """Stop selling a top-up plan after `last_day` (default today): a promotion ended early. Its price, bonus and
    gift points never change, so top-ups booked on it keep what they got; a top-up dated after its last day no longer
    takes it (422 `plan-not-applicable`). Plans are cached 30 seconds. Audited (`wallet.plan-ended`).

    Errors: 404 for an unknown plan (or, for staff scoped to stores, one sold beyond their stores); 422 for a day
    before today, before its first day on sale or after the day it already ends; 412 when it changed meanwhile."""
    return Reply(WalletPlan.model_validate(plans.end(ctx.caller, plan_id, ctx.body)))


@endpoint(
    "/v1/wallet/statements",
    "GET",
    summary="A day's (or a period's) stored-value statement",
    tag="wallet",
    access=STATEMENTS,
    query=WalletStatementQuery,
    response=WalletStatement,
)
def get_wallet_statement(ctx: RequestContext) -> Reply:
    """The stored-value statement (储值日报) of a business day, for the chain or one store: for the principal (本金)
    and the bonus (赠送金) apart, opening balance + top-ups − payments + refunds − cash refunds − forfeited = closing
    balance. The chain's closing balances are the float owed to members (a liability): the sum of every wallet. A
    store's are the net of the movements booked there; three scopes read what no store did (the chain's figures
    include them): `membership` (paid cards bought with the wallet on the member pages), `mall` (points-mall orders
    paid from the wallet that no store hands over) and `erasure` (bonus forfeited when its member was erased). The
    day under way answers too, marked `provisional`; figures follow the wallet's events within seconds. With `to`, the
    statement of the days `day` through `to` (a month's close): the first day's opening, the period's movements and the
    last day's closing.

    Errors: 422 for a day after today, a `to` before `day`, after today or more than 366 days after it, a store that
    is no store of the chain, or, for staff scoped to stores, a store outside them (or none named)."""
    query: WalletStatementQuery = ctx.query
    today = clock.business_today()
    day = query.day or today
    if day > today:
        raise ValidationFailed([{"field": "day", "in": "query", "message": "a day that has begun"}])
    if query.to is not None and not (day <= query.to <= today and (query.to - day).days <= 366):
        message = "on or after `day`, at most 366 days later, and begun"
        raise ValidationFailed([{"field": "to", "in": "query", "message": message}])
    if ctx.caller.stores and (query.store_id is None or not ctx.caller.covers_store(query.store_id)):
        raise ValidationFailed([{"field": "store_id", "in": "query", "message": "name one of your stores"}])
    if query.store_id is not None and not statements.known_scope(query.store_id):
        raise ValidationFailed([{"field": "store_id", "in": "query", "message": "no store of the chain"}])
    return Reply(WalletStatement.model_validate(statements.statement(day, query.store_id, query.to)))


@endpoint("/v1/stores/{store_id}/wallet/journal", "GET", summary="A store's stored-value movements, one by one",
          tag="wallet", access=JOURNAL, query=WalletJournalQuery, response=WalletJournalPage,
          errors=(NotFound, InvalidCursor))  # fmt: skip
def store_wallet_journal(ctx: RequestContext, store_id: str) -> Reply:
    """A store's journal of stored value (储值流水) between two business days, newest first: each top-up (with how its
    money was taken, `payment_method`), payment, refund back to the wallet and cash refund booked at its tills, with
    the order, who booked it and why, so a store closes its day against its drawer and terminals (the statement gives
    the day's totals). Kept from the wallet's events within seconds, 400 days.

    Errors: 404 for an unknown store or one outside the caller's stores; 422 when `to` is before `from` or more
    than 31 days after it; 400 for a cursor from another list."""
    query: WalletJournalQuery = ctx.query
    require_theirs(ctx.caller, store_id)
    rows, cursor = journal.lines(store_id, query.from_, query.to, query.limit, query.cursor)
    return Reply(WalletJournalPage.model_validate({"items": members.with_briefs(rows), "next_cursor": cursor}))
