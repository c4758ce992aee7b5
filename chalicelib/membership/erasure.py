"""What paid membership asks of an erasure (``members.before_erasure``): imported by the members domain before it
erases."""

from __future__ import annotations

from chalicelib.members import service as members
from chalicelib.membership import service


@members.before_erasure
def no_refundable_card(member_id: str) -> None:
    """A member holding a paid card that a cancellation would still refund something for (a 次卡 with classes left,
    a term not yet used) is not erased until it is cancelled (退卡, with its refund or, as the member agrees, none):
    erasure would strand prepaid value the member paid in (a walkthrough erased a member with an unused ¥3,600
    personal-training card, which stayed active). A trial, or a card whose refund has come to nothing, does not."""
    held = [card["card_id"] for card in service.cards_of(member_id) if card["status"] not in ("cancelled", "lapsed")]
    owed = [card_id for card_id in held if service.quote_cancellation(member_id, card_id, "policy")["refund_fen"] > 0]
    if owed:
        raise members.MemberHoldsValue(
            f"The member holds {len(owed)} paid card(s) a cancellation would still refund: cancel them first "
            f"(POST /v1/members/{member_id}/cards/{{card_id}}/cancellation)",
            cards=owed,
        )


@members.before_erasure
def no_card_refund_on_its_way(member_id: str) -> None:
    """A card just cancelled whose refund of what stored value paid has not reached the wallet yet holds the erasure
    for the moment its consumer takes: erased first, the member would have no wallet to take it back (a review)."""
    waiting = service.wallet_refunds_on_their_way(member_id)
    if waiting:
        raise members.MemberHoldsValue(
            "A card's refund to the member's stored value is on its way (moments; one that stays for minutes failed: "
            "see the wallet queue's dead letters): erase once it has landed, its principal paid out first",
            cancellations=waiting,
        )


@members.before_student_change
def no_card_left_without_its_student(member_id: str, removed: set[str], renamed: set[str], own: bool) -> None:
    """A student is not removed while a card of theirs still runs or still refunds what was not used (cancel it
    first: a walkthrough removed a child with 20 classes left, whose reminders then read as their sibling's and whose
    renewal was refused), and a member does not rename a student named on a card (a store corrects it, audited: a
    rename on the member pages handed a pack to another child, every past text reading the new name)."""
    cards = service.students_cards(member_id)
    holding = [card for card in cards if card["student_id"] in removed and card["holds"]]
    if holding:
        plans = "、".join(card["plan_name"] for card in holding)
        raise members.StudentHoldsCard(f"A student removed still holds {plans}: cancel the card first",
                                       cards=[card["card_id"] for card in holding])  # fmt: skip
    if own and any(card["student_id"] in renamed for card in cards):
        raise members.StudentHoldsCard("A student named on a card is renamed at a store, not on the member pages")
