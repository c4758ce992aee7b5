"""Counter routes: the view a cashier serves a member from, at any store of the chain."""

from __future__ import annotations

from chalicelib.counter import service
from chalicelib.counter.schemas import CounterView
from chalicelib.identity.access import Staff
from chalicelib.identity.rules import Permission
from chalicelib.shared.errors import NotFound
from chalicelib.shared.http import Reply, RequestContext, endpoint

SERVE = Staff(Permission.MEMBERS_READ, serves=True)


@endpoint("/v1/members/{member_id}/counter", "GET",
          summary="Serve a member: who, tier and benefits, points, stored value",
          tag="counter", access=SERVE, response=CounterView, errors=(NotFound,))  # fmt: skip
def counter_view(ctx: RequestContext, member_id: str) -> Reply:
    """The counter view (收银台视图) a cashier serves a member from, at any store of the chain: member number,
    name, masked phone, status, home store, tier (会员等级) with its valid-until date and benefits (权益), points
    (积分): available, pending, debt and the next expiry, stored value (储值): principal and bonus, and the usable
    coupons (优惠券). Reached by member id, usually after a lookup by member code (会员码) or phone. Reads: the
    profile, the member's books (points, tier and wallet are books of one ledger account), their newest coupons (at
    most 40 looked at, in two queries, however many they have used: ``more`` says there may be other usable ones,
    listed on the member's coupon page) with the templates of those shown, and the names of the coupon templates
    the tier's benefits name, when it names any.

    Errors: 404 for an unknown or erased member."""
    return Reply(CounterView.model_validate(service.serve(member_id, ctx.language)))
