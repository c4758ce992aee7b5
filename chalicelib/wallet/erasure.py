"""What the wallet asks of an erasure (``members.before_erasure``): imported by the members domain before it erases."""

from __future__ import annotations

from chalicelib.members import service as members
from chalicelib.wallet.service import wallets


@members.before_erasure
def no_stranded_principal(member_id: str) -> None:
    """A member holding principal (本金) is not erased until it is paid out (退余额): erasure would strand money
    the member paid in. A bonus left alone does not stop it (it is forfeited with the membership)."""
    held = wallets().wallet(member_id)
    if held is not None and held.principal > 0:
        raise members.MemberHoldsValue(
            f"The member's stored value holds {held.principal} fen of principal: refund it in cash first "
            f"(POST /v1/members/{member_id}/wallet/cash-refunds)",
            principal_fen=held.principal,
        )
