"""What an erasure removes of identity's (``members.on_erasure``): imported by the members domain before it erases."""

from __future__ import annotations

from chalicelib.identity.records import MemberCredentialRecord
from chalicelib.members import service as members
from chalicelib.shared.db import Transaction


@members.on_erasure
def forget_password(tx: Transaction, member_id: str) -> None:
    """The member's password goes with them, in the erasure's transaction: a credential must not outlive its member."""
    tx.delete(MemberCredentialRecord(member_id))
