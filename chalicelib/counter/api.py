"""Counter routes: the view a cashier serves a member from, at any store of the chain."""

from __future__ import annotations

from chalicelib.counter.schemas import CounterCoupons, CounterPoints, CounterTier, CounterView, CounterWallet
from chalicelib.coupons import service as coupons
from chalicelib.identity.access import Staff
from chalicelib.identity.rules import Permission
from chalicelib.ledger.registry import ledger
from chalicelib.members import service as members
from chalicelib.members.model import Status, mask_phone
from chalicelib.membership import service as membership
from chalicelib.points import service as points
from chalicelib.points.book import BOOK as POINTS
from chalicelib.shared import clock
from chalicelib.shared.errors import NotFound
from chalicelib.shared.http import Reply, RequestContext, endpoint
from chalicelib.tiers import service as tiers
from chalicelib.wallet import service as wallet

SERVE = Staff(Permission.MEMBERS_READ, serves=True)
COUPONS_SHOWN, COUPON_QUERIES = 20, 2  # the usable coupons the view lists, and the queries it may spend finding them


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
    member = members.get_member(member_id)
    if member.status is Status.ERASED:
        raise NotFound(f"No member {member_id!r}")
    holdings = ledger().holdings(member_id)
    balance = points.balance_of(holdings.state(member_id, POINTS))
    standing = tiers.status(member_id, with_history=False, holdings=holdings)
    stored = wallet.parts_of(holdings, member_id)
    soonest = balance.expiring[0] if balance.expiring else None
    usable, more = coupons.member_coupons(member_id, "available", COUPONS_SHOWN, None, ctx.language,
                                          queries=COUPON_QUERIES)  # fmt: skip
    view = CounterView(
        member_id=member.member_id, member_no=member.member_no, name=member.name,
        phone_masked=mask_phone(member.phone) if member.phone else None, status=str(member.status),
        home_store_id=member.home_store_id,
        tier=CounterTier(**standing["tier"], valid_until=standing["valid_until"], benefits=standing["benefits"],
                         coupon_names=coupons.template_names(tiers.coupon_templates(standing["benefits"]))),
        points=CounterPoints(available=balance.available, pending=balance.pending, debt=balance.debt,
                             next_expiry=soonest[0] if soonest else None,
                             next_expiry_points=soonest[1] if soonest else 0),
        wallet=CounterWallet(**stored.to_json(), total_fen=stored.total),
        coupons=CounterCoupons(available=[{key: c[key] for key in ("code", "name", "rules", "valid_until")}
                                          for c in usable], more=more is not None),
        cards=membership.cards_at_counter(holdings, member_id, clock.business_today()),
    )  # fmt: skip
    return Reply(view)
