"""Paid membership routes: plans (marketing, admins), the payment webhook (partners), cards and benefits (the member,
staff serving them at any store), benefit uses at the counter (cashier and up), cancellations (customer service,
finance, admins)."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.counter import limits
from chalicelib.identity.access import MEMBER, PARTNER, Staff, StaffOrSelf
from chalicelib.identity.rules import Permission
from chalicelib.members import service as members
from chalicelib.members.service import reachable
from chalicelib.membership import journal, plans, service
from chalicelib.membership.schemas import (
    BenefitList,
    BenefitUse,
    BenefitUseAnswer,
    BenefitUsePage,
    BenefitUseQuery,
    CancellationAnswer,
    CancellationQuery,
    CancellationQuote,
    CardCancellation,
    CardChanged,
    CardExtension,
    CardHistory,
    CardList,
    CardOut,
    CardPatch,
    CardPause,
    CardPurchase,
    CounterCardSale,
    MembershipJournalPage,
    MembershipPayment,
    MembershipPaymentAnswer,
    PlanCreate,
    PlanList,
    PlanOut,
    PlanPatch,
    TillQuery,
)
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import (
    Conflict,
    Forbidden,
    InvalidCursor,
    NotFound,
    PreconditionRequired,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.shared.settings import get_settings
from chalicelib.stores.service import require_known, require_theirs, store_exists
from chalicelib.tiers import programmes
from chalicelib.wallet.schemas import WalletJournalQuery
from chalicelib.wallet.service import InsufficientBalance

READ_PLANS = Staff(Permission.STORES_READ)
WRITE_PLANS = Staff(Permission.MEMBERSHIP_PLANS, chain=True)
READ = StaffOrSelf(Permission.MEMBERS_READ, serves=True)
USE = Staff(Permission.BENEFITS_USE, serves=True)
CANCEL = Staff(Permission.MEMBERSHIP_CANCEL, serves=True)
SELL = Staff(Permission.MEMBERSHIP_SELL, serves=True)
PAUSE = Staff(Permission.MEMBERSHIP_PAUSE, serves=True)
EXTEND = Staff(Permission.MEMBERSHIP_EXTEND, serves=True)
JOURNAL = Staff(Permission.SALES_JOURNAL)  # who close a store's day: its managers, finance, admins


def _coupon_exists(template_id: str) -> bool:
    from chalicelib.coupons.service import get_template

    try:
        get_template(template_id)
        return True
    except NotFound:
        return False


@endpoint("/v1/membership/plans", "GET", summary="Paid membership plans", tag="membership", access=READ_PLANS,
          response=PlanList)  # fmt: skip
def list_plans(ctx: RequestContext) -> Reply:
    """Every paid membership plan (付费会员卡方案), oldest first, on sale or not."""
    return Reply(PlanList.model_validate({"items": plans.listing()}))


@endpoint("/v1/membership/plans", "POST", summary="Create a paid membership plan", tag="membership",
          access=WRITE_PLANS, body=PlanCreate, response=PlanOut, status=201, errors=(ValidationFailed,))  # fmt: skip
def create_plan(ctx: RequestContext) -> Reply:
    """A plan by the month, quarter, year, N days or for life: its price, what it gives (a tier floor while active,
    a discount, a points multiplier, a coupon pack per period, counted benefits per period), a free trial once per
    member, whether automatic renewal is offered, grace days, and what a cancellation refunds.

    Errors: 422 for a tier floor naming no tier of the programme, a coupon pack naming no template, a benefit
    without the fields its kind needs, or benefit ids used twice."""
    known = {tier.code for tier in programmes.programme().tiers}
    return Reply(PlanOut.model_validate(plans.create(ctx.caller, ctx.body, known, _coupon_exists)), status=201)


@endpoint("/v1/membership/plans/{plan_id}", "GET", summary="A paid membership plan", tag="membership",
          access=READ_PLANS, response=PlanOut, errors=(plans.PlanNotFound,))  # fmt: skip
def get_plan(ctx: RequestContext, plan_id: str) -> Reply:
    """One plan. Errors: 404 `plan-not-found`."""
    return Reply(PlanOut.model_validate(plans.document(plan_id)))


@endpoint("/v1/membership/plans/{plan_id}", "PATCH", summary="Rename a plan or take it off sale", tag="membership",
          access=WRITE_PLANS, body=PlanPatch, response=PlanOut,
          errors=(plans.PlanNotFound, plans.PlanChanged))  # fmt: skip
def change_plan(ctx: RequestContext, plan_id: str) -> Reply:
    """Its name, description and whether it is on sale; cards sold keep their terms and benefits, and a plan off
    sale still renews the cards it sold. The fields sent change, the others stay as stored.

    Errors: 404 `plan-not-found`; 409 `plan-changed` when another change landed while this one was made (read the
    plan again)."""
    return Reply(PlanOut.model_validate(plans.change(ctx.caller, plan_id, ctx.body)))


@endpoint("/v1/me/membership/plans", "GET", summary="Plans on sale", tag="me", access=MEMBER, response=PlanList)
def list_my_plans(ctx: RequestContext) -> Reply:
    """The plans a member may buy now on their pages (on sale, and sold there: not those sold at the counter only),
    each saying whether its free trial is open to them (`trial_open`: the pages offer it only then; a member who
    closed their membership and joined again with its phone was offered one the purchase then refused)."""
    return Reply(PlanList.model_validate({"items": service.plans_for_member(ctx.caller.id, plans.on_member_pages())}))


@endpoint(
    "/v1/webhooks/membership/payments",
    "POST",
    summary="Report a paid card purchase or renewal (once per payment id)",
    tag="webhooks",
    access=PARTNER,
    body=MembershipPayment,
    response=MembershipPaymentAnswer,
    errors=(Unauthenticated, Forbidden, ValidationFailed, plans.PlanNotFound, service.MemberNotEligible,
            service.PaymentNotApplicable, service.PaymentConflict, service.CardNotRenewable),
)  # fmt: skip
def membership_payment(ctx: RequestContext) -> Reply:
    """A partner took payment for a card of `plan_id`: the member's card starts, or extends from its current end
    (renewing early loses nothing; after it lapsed it starts again today), and its benefits apply at once. Once
    per payment id, for good: a repeat answers the first answer with `duplicate: true`. An automatic renewal's
    charge (`auto_renewal: true`) is refused until 5 days after its notice went out.

    Errors: 422 `member-not-eligible` for a frozen, erased or unknown member; 422 `payment-not-applicable` for an
    amount other than the plan's price, or a plan no longer sold to a member without its card; 404 `plan-not-found`;
    409 `membership-payment-conflict` for the same payment id with other content; 409 `card-not-renewable` for a
    lifetime card, or an automatic renewal charged inside its notice window."""
    return Reply(MembershipPaymentAnswer.model_validate(service.pay(ctx.caller, ctx.body)))


@endpoint("/v1/me/cards", "GET", summary="My membership cards", tag="me", access=MEMBER, response=CardList)
def list_my_cards(ctx: RequestContext) -> Reply:
    """The member's paid cards (付费会员卡), newest first, with their state, dates and payments."""
    return Reply(CardList.model_validate({"items": service.cards_of(ctx.caller.id, for_member=True)}))


@endpoint("/v1/me/cards/{card_id}/history", "GET", summary="What happened to my card", tag="me", access=MEMBER,
          response=CardHistory, errors=(service.CardNotFound,))  # fmt: skip
def my_card_history(ctx: RequestContext, card_id: str) -> Reply:
    """The member's card's history, oldest first: each purchase, renewal, trial and refund with its amount and why
    (a cancellation says how its refund was worked out: the days used, the uses deducted, the coupons kept back);
    who did it by kind only (`staff`, `partner`, `member`, `system`). Errors: 404 `card-not-found`."""
    return Reply(CardHistory.model_validate({"items": service.history(ctx.caller.id, card_id, for_member=True)}))


@endpoint(
    "/v1/me/cards",
    "POST",
    summary="Buy or renew a card (stored value or the free trial)",
    tag="me",
    access=MEMBER,
    body=CardPurchase,
    response=MembershipPaymentAnswer,
    status=201,
    idempotency="required",
    errors=(PreconditionRequired, plans.PlanNotFound, InsufficientBalance, service.CardNotRenewable,
            service.PaymentNotApplicable, service.MemberNotEligible),
)  # fmt: skip
def buy_my_card(ctx: RequestContext) -> Reply:
    """The member buys (or renews) a card of a plan on sale, paid from their stored value (储值支付) in one
    transaction with the card, or starts the plan's free trial (once per member and plan). Once per
    `Idempotency-Key`: a repeat answers the first answer with `duplicate: true`.

    Errors: 409 `insufficient-balance` with `available_fen` when the wallet holds less than the price; 409
    `card-not-renewable` for a trial taken before, a plan without a trial or a lifetime card; 404 `plan-not-found`;
    428 without `Idempotency-Key`."""
    assert ctx.idempotency is not None
    answer = service.buy_as_member(
        ctx.caller.id, ctx.body.plan_id, ctx.body.pay_with, ctx.idempotency, ctx.body.student_id
    )
    return Reply(MembershipPaymentAnswer.model_validate(answer), status=201)


@endpoint(
    "/v1/members/{member_id}/cards",
    "POST",
    summary="Sell or renew a card at the counter (开卡 / 续卡)",
    tag="membership",
    access=SELL,
    body=CounterCardSale,
    response=MembershipPaymentAnswer,
    status=201,
    errors=(NotFound, ValidationFailed, plans.PlanNotFound, service.MemberNotEligible, service.PaymentNotApplicable,
            service.PaymentConflict, service.CardNotRenewable, limits.OverCounterLimit,
            limits.OverCounterDailyLimit, InsufficientBalance, members.MemberCodeNotCurrent, members.MemberCodeUsed,
            RateLimited, Conflict),
)  # fmt: skip
def sell_card_at_counter(ctx: RequestContext, member_id: str) -> Reply:
    """A cashier takes the money for a card of `plan_id` at the till (cash, WeChat Pay, a bank card …) for any member
    of the chain, and the card starts, or extends from its current end, at once: a salon or a gym whose till reports
    nothing sells its 次卡 this way. `amount_fen` is the plan's price, which the cashier confirms, less what coupons
    used on the order took (`coupon_discount_fen`: a 续费券 or 新生券 redeemed on `order_id` first, the card its one
    line: sku the plan's id, category `membership`; 422 on it unless the order's coupons took exactly that, 422 on
    `order_id` for coupons not said). Once per till order, at whichever store, for good (`order_id`): a repeat
    answers the first answer (`duplicate: true`); the same order with another member, plan or amount is 409
    `membership-payment-conflict`; none under an order stored value paid apart or points (积分抵现) paid part of (422
    on `order_id`). Store-scoped staff sell at their own stores; the store counts the sale in its figures. A
    cancellation refunds what was paid here at the counter (the way it was taken), by the plan's policy: a card sold
    with a coupon refunds from what was paid, its classes taken counted at their plan value (按标准课时单价), and its
    coupon stays used.

    `payment_method: wallet` pays the card whole from the member's stored value (储值) in the wallet's own payment,
    with the member there (`member_code`, which pays once): booked at the till's store in its stored-value journal,
    and a cancellation gives its refund back to the wallet. A card is paid whole, by the till or by stored value: an
    order stored value paid apart (`POST …/wallet/payments`) sells no card (422 on `order_id`), nor does that route
    take a payment for an order a card was sold under (the card's refund would pay it back twice).

    Staff who do not record large purchases (cashiers) sell within the counter's limits, as a sale: at most
    `LOYALTY_COUNTER_PURCHASE_LIMIT_FEN` (403 `counter-purchase-over-limit`), and their day's sales, top-ups and
    cards together at most `LOYALTY_COUNTER_DAILY_LIMIT_FEN` (403 `counter-daily-limit`); a card paid from stored
    value takes no money at the till and counts in neither.

    Errors: 404 for an unknown or erased member, 404 `plan-not-found`; 422 `member-not-eligible` for a frozen one;
    422 `payment-not-applicable` for an amount other than the price or a plan no longer sold to a member without
    its card; 422 for a store that does not exist, is closed, or is not one of a store-scoped cashier's; 409
    `card-not-renewable` for a lifetime card; 409 `conflict` when the order's coupons changed while it was sold (sell
    again); 403 past the counter's limits; with `wallet`: 409
    `insufficient-balance`, 422 `member-code-not-current` / `member-code-used`, 429 after ten wrong codes."""
    ctx.caller.require_trading_at(ctx.body.store_id, "store_id")
    caller, amount = ctx.caller, ctx.body.amount_fen
    answer = service.sell_at_counter(member_id, ctx.body, lambda: limits.counter_takings(caller, amount, "card sale"))
    return Reply(MembershipPaymentAnswer.model_validate(answer), status=201)


@endpoint("/v1/me/cards/{card_id}", "PATCH", summary="Turn automatic renewal on or off", tag="me", access=MEMBER,
          body=CardPatch, response=CardOut,
          errors=(service.CardNotFound, service.AutoRenewNotOffered, service.CardNotCancellable))  # fmt: skip
def change_my_card(ctx: RequestContext, card_id: str) -> Reply:
    """Automatic renewal (自动续费) on, where the plan offers it: announced a week before the card ends and charged
    5 days after the notice at the soonest; or off, at once.

    Errors: 404 `card-not-found`; 422 `auto-renew-not-offered`; 409 `card-not-cancellable` for a card ended."""
    return Reply(CardOut.model_validate(service.set_auto_renew(ctx.caller.id, card_id, ctx.body.auto_renew)))


@endpoint("/v1/members/{member_id}/cards", "GET", summary="A member's membership cards", tag="membership",
          access=READ, response=CardList, errors=(NotFound,))  # fmt: skip
def list_cards(ctx: RequestContext, member_id: str) -> Reply:
    """A member's paid cards, as `GET /v1/me/cards` lists them; staff of any store serve any member.

    Errors: 404 for an unknown member, or another member's id from a member token."""
    return Reply(CardList.model_validate({"items": service.cards_of(reachable(ctx.caller, member_id))}))


@endpoint("/v1/members/{member_id}/cards/{card_id}/history", "GET", summary="What happened to a card",
          tag="membership", access=READ, response=CardHistory, errors=(NotFound, service.CardNotFound))  # fmt: skip
def card_history(ctx: RequestContext, member_id: str, card_id: str) -> Reply:
    """The card's history, oldest first: each purchase, renewal, trial and refund with its amount and why (a refund
    says how it was worked out). Errors: 404 `card-not-found`."""
    return Reply(CardHistory.model_validate({"items": service.history(reachable(ctx.caller, member_id), card_id)}))


@endpoint(
    "/v1/members/{member_id}/cards/{card_id}/cancellation",
    "POST",
    summary="Cancel a card and refund it by its plan's policy",
    tag="membership",
    access=CANCEL,
    body=CardCancellation,
    response=CancellationAnswer,
    errors=(NotFound, service.CardNotFound, service.CardNotCancellable, service.RefundElsewhere),
)
def cancel_card(ctx: RequestContext, member_id: str, card_id: str) -> Reply:
    """Cancel a card today (退卡): its benefits stop and it is refunded as its plan's policy says (none; pro rata
    by the unused days; in full within N days of the first payment), less the value of the counted benefits used
    where the policy says so; or with `refund: none`, not at all. The history explains the refund. A part paid from
    stored value goes back to the wallet; a partner refunds its own payments' parts (the `membership.card-cancelled`
    event lists them). Once per `cancel_id`. Staff scoped to stores cancel, refunded or not, only a card whose
    standing payments their stores took (another store's manager once cancelled one without refund).

    Errors: 404 `card-not-found`; 409 `card-not-cancellable` for a card cancelled or lapsed already; 403
    `card-refund-elsewhere` for staff scoped to stores when a payment still standing on the card was taken at another
    store (or none)."""
    answer = service.cancel(ctx.caller, reachable(ctx.caller, member_id), card_id, ctx.body)
    return Reply(CancellationAnswer.model_validate(answer))


@endpoint(
    "/v1/members/{member_id}/cards/{card_id}/pauses",
    "POST",
    summary="Pause a card (停卡), its end moved as many days later",
    tag="membership",
    access=PAUSE,
    body=CardPause,
    response=CardChanged,
    errors=(NotFound, service.CardNotFound, service.CardNotPausable, service.MemberUnavailable, Conflict),
)
def pause_card(ctx: RequestContext, member_id: str, card_id: str) -> Reply:
    """停卡 at the desk, for any member of the chain: the card gives no benefit from `first_day` (default today, up to
    30 days ahead) for `days` days, and its end, with every day paid after, moves as many days later; a pro-rata
    refund and the liability count only the days it gives. Within the plan's `pause` policy: pauses and days begun in
    one paid term, each at least `min_days`, never two at once. Once per `pause_id` (a repeat answers the card as it
    is, `duplicate: true`; the id again with other content: 409). The member is texted (停卡通知) and the card's
    history says it (the reason typed is staff's to read).

    Errors: 404 `card-not-found`; 422 `card-not-pausable` saying why (a plan without pauses, a lifetime or ended card,
    a day outside the window, too short, overlapping, the term's pauses used up); 404 `member-unavailable` for a frozen
    member."""
    body: CardPause = ctx.body
    answer = service.pause(reachable(ctx.caller, member_id), card_id, body.pause_id, body.first_day, body.days,
                           body.reason)  # fmt: skip
    return Reply(CardChanged.model_validate(answer), status=200 if answer["duplicate"] else 201)


@endpoint("/v1/members/{member_id}/cards/{card_id}/pauses/{pause_id}", "DELETE", tag="membership", access=PAUSE,
          summary="End a card's pause today (复卡), or withdraw one not begun", response=CardChanged,
          errors=(NotFound, service.CardNotFound, service.CardNotPausable, service.MemberUnavailable,
                  Conflict))  # fmt: skip
def resume_card(ctx: RequestContext, member_id: str, card_id: str, pause_id: str) -> Reply:
    """复卡: the pause ends today, the card's benefits apply again from today on, and the days it no longer takes
    come back off the card's end (a pause not begun is withdrawn whole). Once (a repeat answers the card as it is).

    Errors: 404 `card-not-found`; 422 `card-not-pausable` for a pause over or unknown; 404 `member-unavailable`."""
    answer = service.resume(reachable(ctx.caller, member_id), card_id, pause_id)
    return Reply(CardChanged.model_validate(answer))


@endpoint("/v1/members/{member_id}/cards/{card_id}/extensions", "POST", tag="membership", access=EXTEND,
          summary="Extend a card (延期): days given after its end, nothing paid", body=CardExtension,
          response=CardChanged, errors=(NotFound, service.CardNotFound, service.CardNotExtendable,
                                        service.MemberUnavailable, Conflict))  # fmt: skip
def extend_card(ctx: RequestContext, member_id: str, card_id: str) -> Reply:
    """延期 at the desk, for any member of the chain: `days` days given after the card's end (a class pack's lessons
    left at its end, an injury, a complaint), counted in the term before them, so its counted uses left are used then
    and none are given again. A card in grace runs on from its end; a lapsed card not bought again is revived from
    today. Nothing is paid: the liability and a pro-rata refund read the days paid for as before (a fee, where one is
    charged, is taken at the till as a sale). Once per `extension_id` (a repeat answers the card as it is,
    `duplicate: true`; the id again with other content: 409). The member is texted (延期通知) and the card's history
    says it (the reason typed is staff's to read). Staff scoped to stores extend any member's card: the history and
    the audit log say who.

    Errors: 404 `card-not-found`; 422 `card-not-extendable` saying why (a lifetime, cancelled or waiting card, a free
    trial, an automatic renewal announced); 404 `member-unavailable` for a frozen member."""
    body: CardExtension = ctx.body
    answer = service.prolong(reachable(ctx.caller, member_id), card_id, body.extension_id, body.days, body.reason)
    return Reply(CardChanged.model_validate(answer), status=200 if answer["duplicate"] else 201)


@endpoint("/v1/members/{member_id}/cards/{card_id}/activation", "POST", summary="Open a card at the first visit (开卡)",
          tag="membership", access=USE, response=CardChanged,
          errors=(NotFound, service.CardNotFound, service.CardNotPausable, service.MemberUnavailable))  # fmt: skip
def activate_card(ctx: RequestContext, member_id: str, card_id: str) -> Reply:
    """开卡 at the counter, for any member of the chain: a card whose plan starts it at its first use (`pending`,
    待开卡) starts today, and its end moves as many days earlier; a card started already is answered as it is
    (`duplicate: true`). A card not started by its last waiting day starts by itself then.

    Errors: 404 `card-not-found`; 422 `card-not-pausable` for a card cancelled or lapsed; 404 `member-unavailable`."""
    answer = service.activate(reachable(ctx.caller, member_id), card_id)
    return Reply(CardChanged.model_validate(answer), status=200 if answer["duplicate"] else 201)


@endpoint(
    "/v1/members/{member_id}/cards/{card_id}/cancellation-quote",
    "GET",
    summary="What cancelling a card now would refund, and why",
    tag="membership",
    access=CANCEL,
    query=CancellationQuery,
    response=CancellationQuote,
    errors=(NotFound, service.CardNotFound, service.CardNotCancellable, service.RefundElsewhere),
)
def quote_cancellation(ctx: RequestContext, member_id: str, card_id: str) -> Reply:
    """The refund a cancellation today would give (退卡试算), worked out exactly as `POST …/cancellation` would: the
    policy's refund, less the counted benefits used where the policy says so and the used coupons of the packs it
    takes back, with the explanation the card's history would show. Nothing is written: the counter tells the member
    before they agree. A use or a payment in between changes the figure the cancellation finds.

    Errors: 404 `card-not-found`; 409 `card-not-cancellable` for a card cancelled or lapsed already; 403
    `card-refund-elsewhere` as the cancellation would answer."""
    query: CancellationQuery = ctx.query
    quote = service.quote_cancellation(reachable(ctx.caller, member_id), card_id, query.refund, ctx.caller)
    return Reply(CancellationQuote.model_validate(quote))


@endpoint("/v1/members/{member_id}/benefits/uses", "GET", summary="A member's use record (消课记录)",
          tag="membership", access=READ, query=BenefitUseQuery, response=BenefitUsePage,
          errors=(NotFound, InvalidCursor))  # fmt: skip
def member_benefit_uses(ctx: RequestContext, member_id: str) -> Reply:
    """Every use of the member's counted benefits and every reversal, newest first: which benefit and card, when, at
    which store, what for and who recorded it, so a disputed class can be answered and coaches and stores settled;
    `student_id` keeps one student's (学员) classes.

    Errors: 404 for an unknown member, or another member's id from a member token; 400 for a cursor of another
    member's or student's record."""
    query: BenefitUseQuery = ctx.query
    member_id = reachable(ctx.caller, member_id)
    if members.status_of(member_id) is None:
        raise NotFound(f"No member {member_id!r}")
    items, cursor = service.uses_page(member_id, query.limit, query.cursor, for_member=ctx.caller.is_member,
                                      student_id=query.student_id)  # fmt: skip
    return Reply(BenefitUsePage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint("/v1/me/benefits/uses", "GET", summary="My use record (消课记录)", tag="me", access=MEMBER,
          query=BenefitUseQuery, response=BenefitUsePage, errors=(InvalidCursor,))  # fmt: skip
def my_benefit_uses(ctx: RequestContext) -> Reply:
    """The member's uses of their counted benefits and their reversals, newest first (who recorded each is not
    shown); `student_id` keeps one of their children's classes."""
    query: BenefitUseQuery = ctx.query
    items, cursor = service.uses_page(ctx.caller.id, query.limit, query.cursor, for_member=True,
                                      student_id=query.student_id)  # fmt: skip
    return Reply(BenefitUsePage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint("/v1/me/benefits", "GET", summary="My benefits now", tag="me", access=MEMBER, response=BenefitList)
def my_benefits(ctx: RequestContext) -> Reply:
    """Every benefit the member has now (权益): from their tier and their active cards, which applies, and for
    counted ones what is left this period and until when."""
    return Reply(BenefitList.model_validate(service.benefits_of(ctx.caller.id)))


@endpoint("/v1/members/{member_id}/benefits", "GET", summary="A member's benefits now", tag="membership",
          access=READ, query=TillQuery, response=BenefitList, errors=(NotFound, ValidationFailed))  # fmt: skip
def member_benefits(ctx: RequestContext, member_id: str) -> Reply:
    """A member's benefits now, as `GET /v1/me/benefits` lists them (the counter view shows them); at the till's
    store (`store_id`), what applies there (a card of other stores, 单店卡, gives no discount nor multiplier there).

    Errors: 404 for an unknown member, or another member's id from a member token; 422 on `store_id` for no such
    store."""
    require_known(ctx.query.store_id, "store_id")
    return Reply(BenefitList.model_validate(service.benefits_of(reachable(ctx.caller, member_id), ctx.query.store_id)))


@endpoint(
    "/v1/members/{member_id}/benefits/{benefit_id}/uses",
    "POST",
    summary="Record a use of a counted benefit",
    tag="membership",
    access=USE,
    body=BenefitUse,
    response=BenefitUseAnswer,
    status=201,
    errors=(
        service.MemberUnavailable,
        service.BenefitNotHeld,
        service.QuotaExhausted,
        service.UseConflict,
        members.MemberCodeNotCurrent,
        members.MemberCodeUsed,
    ),
)
def use_benefit(ctx: RequestContext, member_id: str, benefit_id: str) -> Reply:
    """A cashier records one use of a counted benefit (a class, a car wash) for the member in front of them, any member
    of the chain, at one of their stores (`store_id`, kept on the use record with the note and who recorded it):
    drawn from `source_id` (the card or tier the benefits list names) or, left out, from the source that ends first.
    Once per `use_id`: the same id again answers the same answer (`duplicate: true`). A code the member holds as
    different benefits (two class packs whose classes share it, under other names) needs `source_id` (422 on it).

    Errors: 409 `quota-exhausted` when none are left this period (nothing recorded); 404 `benefit-not-held` when
    the member has no such counted benefit now; 404 `member-unavailable` for an unknown, frozen or erased member;
    409 `use-conflict` for a use id recorded for another benefit; 422 for a store that does not exist or is not one of
    a store-scoped caller's, or none named by staff scoped to stores. A cashier uses a member's benefit only with the
    member there (`member_code`: 422 on it without one, 422 `member-code-not-current`), as points and coupons; a
    code records one use of a benefit (422 `member-code-used` for a second: a till that lost its answer cannot book a
    second class on one scan; another benefit may be used on it); a repeat of a use is answered whatever became of
    its code. A chain whose members attend without their phone (a
    school's children) turns that off (`LOYALTY_BENEFIT_USES_NEED_CODE=false`): each use is still recorded with who
    and where, and texted to the member (消课提醒)."""
    body: BenefitUse = ctx.body
    # a code records one use of a benefit a person (a salon's walkthrough booked three facials on one scan)
    spent: Callable[[str], Callable[[Transaction], None]] | None = None
    if (
        get_settings().benefit_uses_need_code
        and members.check_in_person(  # a free class or coffee is value too
            ctx.caller, member_id, body.member_code, repeated=lambda: service.use_recorded(member_id, body.use_id)
        )
        and body.member_code
    ):
        code = body.member_code

        def spend(whose: str) -> Callable[[Transaction], None]:  # once per benefit and person whose class it is
            return members.spending_code(member_id, code, "used", of=f"{benefit_id}-{whose}")

        spent = spend

    if body.store_id is None and ctx.caller.kind == "staff" and ctx.caller.stores:
        detail = "Staff scoped to stores say which of theirs the use is at"
        raise ValidationFailed([{"field": "store_id", "in": "body", "message": "required: one of your stores"}], detail)
    if body.store_id is not None:
        ctx.caller.require_trading_at(body.store_id, "store_id")
        if not store_exists(body.store_id):
            raise ValidationFailed([{"field": "store_id", "in": "body", "message": "no such store"}])
    answer = service.use(member_id, benefit_id, body.use_id, body.note, body.store_id, spent, body.source_id)
    return Reply(BenefitUseAnswer.model_validate(answer), status=201)


@endpoint(
    "/v1/members/{member_id}/benefits/{benefit_id}/uses/{use_id}",
    "DELETE",
    summary="Take a benefit use back",
    tag="membership",
    access=USE,
    response=BenefitUseAnswer,
    errors=(NotFound, service.UseNotFound, service.UseNotReversible, service.UseSettled),
)
def reverse_benefit_use(ctx: RequestContext, member_id: str, benefit_id: str, use_id: str) -> Reply:
    """Take a recorded use back (the class was cancelled, a mistake at the till), once: it counts again in its
    period while that period lasts. Cashiers take back a use of today only; an earlier one is taken back by staff
    who record benefit uses and also refund purchases or cancel cards (a store manager, customer service; finance,
    who records none, takes none back).

    Staff scoped to stores take back only a use recorded at one of theirs.

    A use of a card cancelled since, or bought again since, stands: the cancellation's refund counted it; so does a
    use whose period is over, unless a later term holds uses drawn from it.

    Errors: 404 `use-not-found`; 403 `use-not-reversible` for an earlier day's use taken back by a cashier, or a use
    recorded at another store taken back by staff scoped to stores; 409 `use-settled` for a use of a card cancelled
    or bought again since, or of a period over."""
    return Reply(BenefitUseAnswer.model_validate(service.reverse_use(member_id, benefit_id, use_id, ctx.caller)))


@endpoint("/v1/stores/{store_id}/cards/journal", "GET", summary="A store's paid cards sold and refunded, one by one",
          tag="membership", access=JOURNAL, query=WalletJournalQuery, response=MembershipJournalPage,
          errors=(NotFound, InvalidCursor))  # fmt: skip
def store_card_journal(ctx: RequestContext, store_id: str) -> Reply:
    """A store's journal of paid cards (会员卡流水) between two business days, newest first: each card sold or renewed
    at its tills (at the counter, with how the money was taken, `payment_method`, and the till's order; or reported by
    its till system with the store) and each refund a cancellation gave of such a payment, with who booked it (and a
    child's card, the student's name), so a store closes its day against its drawer and terminals beside its sales
    and stored value. Kept from the card events within seconds, 400 days.

    Errors: 404 for an unknown store or one outside the caller's stores; 422 when `to` is before `from` or more
    than 31 days after it; 400 for a cursor from another list."""
    query: WalletJournalQuery = ctx.query
    require_theirs(ctx.caller, store_id)
    rows, cursor = journal.lines(store_id, query.from_, query.to, query.limit, query.cursor)
    items = members.with_briefs(journal.with_students(rows, whole=ctx.caller.may(Permission.PII_READ)))
    return Reply(MembershipJournalPage.model_validate({"items": items, "next_cursor": cursor}))
