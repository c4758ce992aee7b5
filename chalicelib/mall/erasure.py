"""What the points mall asks of an erasure (``members.before_erasure``): imported by the members domain before it
erases."""

from __future__ import annotations

from chalicelib.mall.records import MallOrderRecord
from chalicelib.mall.rules import Status
from chalicelib.members import service as members

OPEN = (Status.AWAITING_PAYMENT, Status.PENDING, Status.READY_FOR_PICKUP, Status.SHIPPED)


@members.before_erasure
def no_open_orders(member_id: str) -> None:
    """A member with an order under way (awaiting payment, to ship or to collect, on its way) is not erased until it
    is completed or cancelled: the goods, the points it holds and its pickup code would otherwise outlive them."""
    condition = MallOrderRecord.status.is_in(*(str(status) for status in OPEN))
    open_orders = [record.order_id for record in MallOrderRecord.by_member.query(member_id, filter_condition=condition)]
    if open_orders:
        raise members.MemberHoldsValue(
            f"The member has {len(open_orders)} points-mall order(s) under way: complete or cancel them first",
            open_orders=open_orders[:20],
        )
