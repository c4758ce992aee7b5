"""Points mall routes: rewards (marketing, admins), the mall and orders of the member, the payment partner's webhook,
and fulfilment at the desk and the counter (cashiers, store managers, customer service, admins)."""

from __future__ import annotations

from typing import Any

from chalicelib.identity.access import MEMBER, PARTNER, Staff, StaffOrMember, StaffOrSelf
from chalicelib.identity.rules import Permission
from chalicelib.mall import orders, rewards, service
from chalicelib.mall.schemas import (
    MallCancellation,
    MallMemberReward,
    MallMemberRewardList,
    MallMemberRewardQuery,
    MallOrder,
    MallOrderCreate,
    MallOrderListQuery,
    MallOrderPage,
    MallPartnerPayment,
    MallPickup,
    MallRanking,
    MallRankingQuery,
    MallReason,
    MallReward,
    MallRewardCreate,
    MallRewardPage,
    MallRewardPatch,
    MallShipmentIn,
)
from chalicelib.members.service import reachable
from chalicelib.points.service import InsufficientPoints, MemberNotActive
from chalicelib.shared.errors import (
    IdempotencyKeyReused,
    InvalidCursor,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthenticated,
    ValidationFailed,
)
from chalicelib.shared.http import Reply, RequestContext, endpoint, etag
from chalicelib.shared.pagination import PageQuery
from chalicelib.stores.service import require_known
from chalicelib.wallet.service import InsufficientBalance

MANAGE = Staff(Permission.MALL_MANAGE, chain=True)
FULFIL = Staff(Permission.MALL_FULFIL)
REFUND = Staff(Permission.MALL_REFUND)  # goods handed over come back: not the cashier who handed them over alone
READ_MEMBER = StaffOrSelf(Permission.MEMBERS_READ, serves=True)
MOVE_ERRORS = (NotFound, service.OrderStateConflict)


def _reward(body: dict[str, Any], status: int = 200) -> Reply:
    headers = {"ETag": etag(body["version"]), "Location": f"/v1/mall/rewards/{body['reward_id']}"}
    return Reply(MallReward.model_validate(body), status=status, headers=headers)


def _order(body: dict[str, Any], status: int = 200) -> Reply:
    return Reply(MallOrder.model_validate(body), status=status)


def _page(items: list[dict[str, Any]], cursor: str | None) -> Reply:
    return Reply(MallOrderPage.model_validate({"items": items, "next_cursor": cursor}))


# --- rewards ---------------------------------------------------------------------------------------------------


@endpoint(
    "/v1/mall/rewards",
    "POST",
    summary="Put a reward in the points mall",
    tag="mall",
    access=MANAGE,
    body=MallRewardCreate,
    response=MallReward,
    status=201,
    idempotency="optional",
    etag=True,
    errors=(IdempotencyKeyReused, ValidationFailed),
)
def create_reward(ctx: RequestContext) -> Reply:
    """Put a reward in the points mall (积分商城上架): a coupon (`template_id`: the coupon template it issues), goods
    (`fulfilment`: shipped, or picked up in store with a pickup code) or a service (collected in store with a pickup
    code), for `points` (and `cash_fen` per unit: points + cash, paid after the exchange), with `stock` units, at most
    `per_member_limit` units per member and `limit_period`, to the `tiers` listed, from `on_sale_from` until
    `on_sale_until`. The stock is a ledger account: more is added by `add_stock` (PATCH), never overwritten. With an
    `Idempotency-Key`, a repeat answers the first creation.

    Errors: 422 for a coupon reward without `template_id` (or another with one), goods without `fulfilment`, a sale
    ending before it begins, a `limit_period` without `per_member_limit`, a coupon template that does not exist; 422
    `idempotency-key-reused`."""
    return _reward(rewards.create_reward(ctx.caller, ctx.body, ctx.idempotency), status=201)


@endpoint(
    "/v1/mall/rewards/ranking",
    "GET",
    summary="The rewards members exchange most (兑换排行)",
    tag="mall",
    access=MANAGE,
    query=MallRankingQuery,
    response=MallRanking,
)
def reward_ranking(ctx: RequestContext) -> Reply:
    """Which rewards are popular (哪些兑换商品最受会员欢迎): every reward by the units members exchanged of it, net of
    cancellations and refunds, the most first, at most `limit`; never exchanged ones left out. Reads every reward once
    (one query and a batch read of their stock)."""
    return Reply(MallRanking.model_validate({"items": rewards.ranking(ctx.query.limit)}))


@endpoint(
    "/v1/mall/rewards",
    "GET",
    summary="The points mall's rewards",
    tag="mall",
    access=MANAGE,
    query=PageQuery,
    response=MallRewardPage,
    errors=(InvalidCursor,),
)
def list_rewards(ctx: RequestContext) -> Reply:
    """Every reward, newest first, with its terms, stock (库存), units sold and whether it sells now, paged with
    `limit` and `cursor`: one query and one batch read a page."""
    items, cursor = rewards.list_rewards(ctx.query.limit, ctx.query.cursor)
    return Reply(MallRewardPage.model_validate({"items": items, "next_cursor": cursor}))


@endpoint(
    "/v1/mall/rewards/{reward_id}",
    "GET",
    summary="A reward",
    tag="mall",
    access=MANAGE,
    response=MallReward,
    etag=True,
    errors=(NotFound,),
)
def get_reward(ctx: RequestContext, reward_id: str) -> Reply:
    """One reward with its stock and `ETag` (send it back in `If-Match` to edit). Errors: 404 for no such reward."""
    return _reward(rewards.get_reward(reward_id))


@endpoint(
    "/v1/mall/rewards/{reward_id}",
    "PATCH",
    summary="Edit a reward, stop selling it or add stock (JSON merge patch)",
    tag="mall",
    access=MANAGE,
    body=MallRewardPatch,
    response=MallReward,
    if_match=True,
    etag=True,
    errors=(NotFound, PreconditionFailed, PreconditionRequired, service.OutOfStock),
)
def update_reward(ctx: RequestContext, reward_id: str) -> Reply:
    """Edit a reward's terms, pictures and description with a JSON merge patch and `If-Match`; `status: stopped` stops
    selling it (停售; orders placed stand), `on_sale` resumes; `add_stock` adds units to the stock (补货) through its
    ledger, or withdraws unsold ones when negative. Terms and stock change in one transaction with the record, and an
    exchange racing the edit is planned again on the new terms; new terms apply to orders placed from then on. The
    `If-Match` makes a retried patch add nothing twice (its second try is 412).

    Errors: 412 on a stale `ETag`, 428 without `If-Match`; 404 for no such reward; 409 `out-of-stock` for withdrawing
    more than is left; 422 for a sale ending before it begins."""
    assert ctx.if_match is not None
    patch: MallRewardPatch = ctx.body
    return _reward(rewards.update_reward(ctx.caller, reward_id, patch.changes(), ctx.if_match))


@endpoint(
    "/v1/me/mall/rewards",
    "GET",
    summary="The points mall, as I may shop it",
    tag="me",
    access=MEMBER,
    query=MallMemberRewardQuery,
    response=MallMemberRewardList,
)
def browse_mall(ctx: RequestContext) -> Reply:
    """The rewards on sale now to the member's tier, newest first, each saying whether their points available pay a
    unit (`affordable`) and how many units their limit still allows this period (`remaining_for_member`);
    `affordable=true` lists only those their points pay. Also answers the member's points available."""
    return Reply(MallMemberRewardList.model_validate(rewards.browse(ctx.caller.id, ctx.query.affordable)))


@endpoint(
    "/v1/me/mall/rewards/{reward_id}",
    "GET",
    summary="A reward of the points mall, as I may shop it",
    tag="me",
    access=MEMBER,
    response=MallMemberReward,
    errors=(NotFound,),
)
def browse_reward(ctx: RequestContext, reward_id: str) -> Reply:
    """One reward on sale now to the member's tier, with `affordable` and `remaining_for_member` as the mall lists it.

    Errors: 404 for a reward not on sale to them (stopped, over, not for their tier) or unknown."""
    listed = rewards.browse(ctx.caller.id, False)["items"]
    found = next((item for item in listed if item["reward_id"] == reward_id), None)
    if found is None:
        raise NotFound(f"No reward {reward_id!r} on sale to this member")
    return Reply(MallMemberReward.model_validate(found))


# --- the member's orders -----------------------------------------------------------------------------------------


@endpoint(
    "/v1/me/mall/orders",
    "POST",
    summary="Exchange points for a reward (积分兑换)",
    tag="me",
    access=MEMBER,
    body=MallOrderCreate,
    response=MallOrder,
    status=201,
    idempotency="required",
    errors=(
        NotFound,
        PreconditionRequired,
        IdempotencyKeyReused,
        ValidationFailed,
        InsufficientPoints,
        MemberNotActive,
        service.OutOfStock,
        service.LimitReached,
        service.RewardNotOnSale,
        service.RewardNotForTier,
    ),
)
def place_order(ctx: RequestContext) -> Reply:
    """Exchange points for `quantity` units of a reward (兑换订单). One transaction spends the points (soonest-expiring
    first), takes the stock, counts the units under the member's limit for the period and places the order: nothing
    is oversold or overspent, however many members race for the last units. A points + cash reward's order waits
    `awaiting_payment`, holding the points and the stock, until its cash part is paid (`wallet-payment`, or the
    payment partner's webhook) and is released if not paid in time (`pay_by`, `LOYALTY_MALL_PAYMENT_MINUTES`, 30).
    Goods to ship need `address` (sealed at rest); goods picked up in store need `pickup_store_id`, and their order
    (like a service's) shows the member a one-time `pickup_code` for the counter; a coupon reward's coupon is issued at
    once (`coupon_code`). Requires an `Idempotency-Key`: a repeat answers the same order as it stands.

    Errors: 409 `insufficient-points` (with `available`), `out-of-stock` (with `available`), `limit-reached` (with
    `remaining`); 422 `reward-not-on-sale`, `reward-not-for-tier`, and for a delivery the reward does not take (field
    `address`, `pickup_store_id` or `quantity`) or a store that does not exist; 404 for no such reward; 428 without
    `Idempotency-Key`, 422 `idempotency-key-reused` with another body."""
    return _order(service.place_order(ctx.caller.id, ctx.body, ctx.idempotency), status=201)


@endpoint(
    "/v1/me/mall/orders",
    "GET",
    summary="My points-mall orders, newest first",
    tag="me",
    access=MEMBER,
    query=PageQuery,
    response=MallOrderPage,
    errors=(InvalidCursor,),
)
def list_my_orders(ctx: RequestContext) -> Reply:
    """The member's orders (我的兑换), newest first, each with its status; open one for its pickup code, address and
    history."""
    return _page(*orders.orders_of(ctx.caller.id, ctx.query.limit, ctx.query.cursor))


@endpoint(
    "/v1/me/mall/orders/{order_id}",
    "GET",
    summary="One of my points-mall orders",
    tag="me",
    access=MEMBER,
    response=MallOrder,
    errors=(NotFound,),
)
def get_my_order(ctx: RequestContext, order_id: str) -> Reply:
    """The member's order with its one-time `pickup_code` (核销码, while it can be used), the address in full, its
    payment and every change of status (when, who, why). Errors: 404 for no such order of the member's."""
    return _order(orders.my_order(ctx.caller.id, order_id))


@endpoint(
    "/v1/me/mall/orders/{order_id}/wallet-payment",
    "POST",
    summary="Pay an order's cash part from my wallet (储值支付)",
    tag="me",
    access=MEMBER,
    response=MallOrder,
    errors=(NotFound, InsufficientBalance, service.OrderNotAwaitingPayment, service.MallPaymentConflict),
)
def pay_from_wallet(ctx: RequestContext, order_id: str) -> Reply:
    """Pay a points + cash order's cash part from the member's stored value: the wallet's payment (principal and bonus
    split as for any wallet payment) and the order becoming paid are one transaction, once per order, so money is
    never taken for an order released or cancelled meanwhile; a repeat answers the paid order. A coupon reward's coupon
    is issued once paid.

    Errors: 409 `order-not-awaiting-payment` (released, cancelled, or paid another way: nothing taken); 409
    `insufficient-balance`; 404 for no such order of the member's."""
    return _order(service.pay_from_wallet(ctx.caller.id, order_id))


@endpoint(
    "/v1/me/mall/orders/{order_id}/cancellation",
    "POST",
    summary="Cancel my order while it is not fulfilled",
    tag="me",
    access=MEMBER,
    body=MallCancellation,
    response=MallOrder,
    errors=MOVE_ERRORS,
)
def cancel_my_order(ctx: RequestContext, order_id: str) -> Reply:
    """The member cancels their order while it awaits payment, shipment or pickup: the points go back to the lots they
    came from, the stock and the limit's count back, once; a cash part paid from the wallet goes back to the wallet in
    the same transaction (`cash_refund_due_fen`, `cash_refund_to: wallet`). A cancelled order again answers as it is.

    Errors: 409 `order-state-conflict` once shipped, collected or a coupon issued; 404 for no such order of the
    member's."""
    return _order(service.cancel(ctx.caller, order_id, ctx.body.reason))


@endpoint(
    "/v1/me/mall/orders/{order_id}/completion",
    "POST",
    summary="Confirm receipt of my shipped order (确认收货)",
    tag="me",
    access=MEMBER,
    response=MallOrder,
    errors=MOVE_ERRORS,
)
def complete_my_order(ctx: RequestContext, order_id: str) -> Reply:
    """The member confirms the goods arrived: a shipped order is completed (again: the order as it is).

    Errors: 409 `order-state-conflict` for an order not shipped; 404 for no such order of the member's."""
    return _order(service.complete(ctx.caller, order_id))


@endpoint(
    "/v1/members/{member_id}/mall/orders",
    "GET",
    summary="A member's points-mall orders, newest first",
    tag="mall",
    access=READ_MEMBER,
    query=PageQuery,
    response=MallOrderPage,
    errors=(NotFound, InvalidCursor),
)
def list_member_orders(ctx: RequestContext, member_id: str) -> Reply:
    """A member's orders, newest first, with their status, at any store of the chain (addresses masked).

    Errors: 404 for another member's id from a member token."""
    return _page(*orders.orders_of(reachable(ctx.caller, member_id), ctx.query.limit, ctx.query.cursor))


# --- payment partners ------------------------------------------------------------------------------------------


@endpoint(
    "/v1/webhooks/mall/payments",
    "POST",
    summary="Report the payment of an order's cash part (once per payment id)",
    tag="webhooks",
    access=PARTNER,
    body=MallPartnerPayment,
    response=MallOrder,
    errors=(
        Unauthenticated,
        NotFound,
        ValidationFailed,
        service.PaymentAmountMismatch,
        service.OrderNotAwaitingPayment,
        service.MallPaymentConflict,
    ),
)
def mall_payment(ctx: RequestContext) -> Reply:
    """A payment partner took a points + cash order's cash part: the order is paid, once per partner and payment id, for
    good (a repeat answers the order). `amount_fen` must be the order's `cash_fen`. A partner scoped to stores pays
    only the orders collected at them (an order shipped, or not yet tied to a store, needs a partner of every store).

    Errors: 409 `order-not-awaiting-payment` when the order was released for want of payment (or cancelled, or paid
    already): nothing is recorded and the partner refunds the payer; 422 `payment-amount-mismatch`; 404 for no such
    order (or one beyond the partner's stores); 409 `mall-payment-conflict` for the payment id reported before with
    other content."""
    return _order(service.pay_by_partner(ctx.caller, ctx.body))


# --- fulfilment --------------------------------------------------------------------------------------------------


@endpoint(
    "/v1/mall/orders",
    "GET",
    summary="Points-mall orders, newest first",
    tag="mall",
    access=FULFIL,
    query=MallOrderListQuery,
    response=MallOrderPage,
    errors=(InvalidCursor, ValidationFailed),
)
def list_orders(ctx: RequestContext) -> Reply:
    """Orders newest first, of a `status` (`pending`: to ship, `ready_for_pickup`: to collect ...) and collected at a
    `store_id`, either or both; addresses masked. Staff scoped to stores list one of their stores' orders.

    Errors: 422 for staff scoped to stores without one of theirs as `store_id`, and for no such store."""
    query: MallOrderListQuery = ctx.query
    require_known(query.store_id)
    return _page(*orders.list_orders(ctx.caller, query.status, query.store_id, query.limit, query.cursor))


@endpoint(
    "/v1/mall/orders/{order_id}",
    "GET",
    summary="A points-mall order",
    tag="mall",
    access=FULFIL,
    response=MallOrder,
    errors=(NotFound,),
)
def get_order(ctx: RequestContext, order_id: str) -> Reply:
    """An order with its payment and every change of status (when, who, why). The shipping address is whole for staff
    with `pii:read` (the read is audited), masked for others; the pickup code is the member's alone.

    Errors: 404 for no such order, or, for staff scoped to stores, one not collected at their stores."""
    return _order(orders.staff_order(ctx.caller, order_id))


@endpoint(
    "/v1/mall/orders/{order_id}/shipment",
    "POST",
    summary="Ship an order's goods (发货)",
    tag="mall",
    access=FULFIL,
    body=MallShipmentIn,
    response=MallOrder,
    errors=MOVE_ERRORS,
)
def ship_order(ctx: RequestContext, order_id: str) -> Reply:
    """Goods to ship are handed to a carrier: the order goes pending → shipped, with the carrier and tracking number
    (the same shipment again answers the order). Announces `mall.order-shipped`.

    Errors: 409 `order-state-conflict` for an order not pending (awaiting payment, cancelled, shipped with another
    tracking number) or not goods to ship; 404 for no such order."""
    return _order(service.ship(ctx.caller, order_id, ctx.body))


@endpoint(
    "/v1/mall/orders/{order_id}/completion",
    "POST",
    summary="Mark shipped goods received",
    tag="mall",
    access=FULFIL,
    response=MallOrder,
    errors=MOVE_ERRORS,
)
def complete_order(ctx: RequestContext, order_id: str) -> Reply:
    """Shipped goods were delivered (签收): the order is completed (again: the order as it is).

    Errors: 409 `order-state-conflict` for an order not shipped; 404 for no such order."""
    return _order(service.complete(ctx.caller, order_id))


@endpoint(
    "/v1/mall/orders/{order_id}/cancellation",
    "POST",
    summary="Cancel an order not yet fulfilled",
    tag="mall",
    access=StaffOrMember(Permission.MALL_FULFIL),
    body=MallCancellation,
    response=MallOrder,
    errors=MOVE_ERRORS,
)
def cancel_order(ctx: RequestContext, order_id: str) -> Reply:
    """Cancel an order awaiting payment, shipment or pickup (staff with `mall:fulfil`, or the member their own order
    as `POST /v1/me/mall/orders/{order_id}/cancellation` does), with a reason the member reads: the points go back to
    the lots they came from, the stock and the limit's count back, exactly once (a cancelled order again answers as it
    is). A cash part paid from the wallet goes back to the wallet in the same transaction; one paid through a payment
    partner is answered as `cash_refund_due_fen` (`cash_refund_to: partner`) for the partner to refund, and one paid
    from the wallet of a member erased since (`cash_refund_to: till`) for a store to pay back in cash.

    Errors: 409 `order-state-conflict` once shipped or collected (refund it after sale instead) or a coupon issued; 404
    for no such order."""
    reason = ctx.body.reason
    if ctx.caller.kind == "staff" and "reason" not in ctx.body.model_fields_set:  # not the member's doing (a review:
        reason = "门店取消"  # the member was told they cancelled it themselves)
    return _order(service.cancel(ctx.caller, order_id, reason))


@endpoint(
    "/v1/mall/orders/{order_id}/refund",
    "POST",
    summary="Refund shipped or completed goods after sale (售后退款)",
    tag="mall",
    access=REFUND,
    body=MallReason,
    response=MallOrder,
    errors=MOVE_ERRORS,
)
def refund_order(ctx: RequestContext, order_id: str) -> Reply:
    """An after-sale refund of goods (shipped, or completed): as a cancellation, the points, stock and limit's count
    back exactly once, and a paid cash part back to the wallet, owed back by the partner, or owed back in cash at a
    store when the wallet it came from was closed (`cash_refund_due_fen`, `cash_refund_to`: its principal part only,
    what its bonus paid being forfeited with the wallet). Store managers, customer service and administrators
    (`mall:refund`): a cashier verifies pickups and cancels orders not yet fulfilled, but cannot give back what was
    handed over.

    Errors: 409 `order-state-conflict` for an order not shipped or completed, or not goods; 404 for no such order."""
    return _order(service.refund(ctx.caller, order_id, ctx.body.reason))


@endpoint(
    "/v1/mall/pickups",
    "POST",
    summary="Verify a pickup code at the counter (核销)",
    tag="mall",
    access=FULFIL,
    body=MallPickup,
    response=MallOrder,
    errors=(NotFound, ValidationFailed, service.PickupCodeUsed, service.WrongPickupStore, service.OrderStateConflict),
)
def verify_pickup(ctx: RequestContext) -> Reply:
    """A cashier verifies the one-time pickup code a member shows (goods picked up in store, or a service) at one of
    their stores: the order is completed, exactly once. The code is 16 digits worked out from the order under a
    server key (nobody can guess it) and never stored, only its keyed hash.

    Errors: 404 for a code of no order; 409 `pickup-code-used` for a code verified before; 422 `wrong-pickup-store`
    for goods collected at another store; 409 `order-state-conflict` for an order not paid yet or cancelled; 422 for a
    store not one of the cashier's."""
    return _order(service.verify_pickup(ctx.caller, ctx.body))
