"""The coupon consumers: the liability's figures, kept from every coupon event, and the platform's own gifts —
a registration gift (注册送券), the tier programme's exclusive coupons on an upgrade (升级礼), a top-up gift
(充值送券), a birthday gift (生日礼, once a year). A gift is issued exactly once by its source (the member, the tier
change, the payment, the member and year), so a redelivered event issues nothing twice; a gift that cannot be issued
(out of stock, the member frozen) is skipped and logged, never retried for ever. The gift consumers share their
deliveries' markers in one transaction (``batched``): a gift is a post of its own, idempotent by its source, so
handling an event again gives nothing twice."""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.coupons import service
from chalicelib.coupons.records import CouponFigureRecord
from chalicelib.shared import clock
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer
from chalicelib.shared.logs import logger
from chalicelib.shared.settings import get_settings
from chalicelib.shared.unique import UniqueRecord
from chalicelib.wallet import service as wallet
from chalicelib.wallet.rules import GIFT_CARD_METHOD

FIGURE_SHARDS = 8
FIGURE_OF_EVENT = {
    "coupon.issued": "issued",
    "coupon.redeemed": "redeemed",
    "coupon.expired": "expired",
    "coupon.voided": "voided",
}


@consumer(
    "coupon-figures",
    queue="coupons",
    types=["coupon.issued", "coupon.redeemed", "coupon.returned", "coupon.expired", "coupon.voided"],
    batched=True,
)
def count_coupon(tx: Transaction, event: Event) -> None:
    """One count per event (a batch's event counts its coupons) in one of its template's shards; the events of a
    delivery are summed into one write per item."""
    payload = event.payload
    figures = [FIGURE_OF_EVENT.get(event.type)]
    if event.type == "coupon.returned":  # given back voided (its template was): no longer used, and voided
        figures = (
            ["returned", "voided"]
            if payload.get("voided")
            else ["returned" if payload.get("usable") else "returned_expired"]
        )
    shard = zlib.crc32(event.event_id.encode()) % FIGURE_SHARDS
    for figure in figures:
        tx.count(CouponFigureRecord(str(payload["template_id"]), shard), str(figure), int(payload.get("count", 1)))


def _give(template_ids: list[str], member_id: str, kind: str, source_id: str) -> list[str]:
    """Issue each template's gift once per source (what cannot be given is logged); the codes given, or given before."""
    codes = []
    for template_id in template_ids:
        try:
            codes.append(str(service.issue_for(template_id, member_id, source_kind=kind, source_id=source_id)["code"]))
        except (
            service.OutOfStock,
            service.LimitReached,
            service.TemplateNotIssuing,
            service.TemplateNotFound,
            service.MemberNotEligible,
        ) as refused:
            logger.warning(
                "coupon gift skipped",
                extra={
                    "template_id": template_id,
                    "member_id": member_id,
                    "gift": kind,
                    "reason": type(refused).__name__,
                },
            )
    return codes


@consumer("coupon-registration-gift", queue="coupons", types=["member.registered"], batched=True)
def registration_gift(tx: Transaction, event: Event) -> None:
    """Templates marked as a registration gift, once per member: not to a migrated member (an import: they are not
    new, as registration points are not given them either; a migration of 100,000 members would issue 100,000 新人券),
    nor to a phone joining again after its member was erased (``returning``: once per phone)."""
    if event.payload.get("source") == "import" or event.payload.get("returning"):
        return
    member_id = str(event.payload["member_id"])
    _give(service.gift_templates("registration"), member_id, "registration", member_id)


@consumer("coupon-upgrade-gift", queue="coupons", types=["tier.changed"], batched=True)
def upgrade_gift(tx: Transaction, event: Event) -> None:
    """The new tier's exclusive coupons (the programme's `exclusive_coupons`, naming templates), once per upgrade
    (a member's own: not an opening tier brought over, a new programme's move, nor a staff override). A refund that
    undid upgrades (``undoes``) takes back what they gave: their coupons still usable are voided (a used one stays
    used), and each undone upgrade is remembered, so its gift is not issued after the refund, whatever order the two
    events come in (``_take_back``). A refund would otherwise let a member buy, take the tier's coupons, return the
    goods and do it again."""
    payload = event.payload
    member_id = str(payload["member_id"])
    if payload.get("reason") == "refund":
        for undone in payload.get("undoes") or []:
            if isinstance(undone, str):  # the change id alone, as the first refunds that named them did
                undone = {"change_id": undone}
            change_id = str(undone["change_id"])
            templates = service.upgrade_gifts(str(undone["tier"]), undone.get("previous")) if "tier" in undone else []
            mark = service.taken_back_mark("tier-upgrade", change_id, "")
            _take_back(member_id, mark, event.occurred_at,
                       functools.partial(service.void_upgrade_coupons, member_id, change_id, templates))  # fmt: skip
        if birthday := payload.get("birthday"):  # and a birthday gift's coupons for the tier the refund took away
            _birthday_taken_back(member_id, birthday, event.occurred_at)
        return
    if payload.get("reason") != "upgrade":  # an opening tier, a new programme, an override: nobody upgraded (a
        return  # retail chain's walkthrough: every migrated gold member, and one a new programme moved down, got one)
    change_id = str(payload["change_id"])
    templates = service.upgrade_gifts(str(payload["tier"]), payload.get("previous"))
    void = functools.partial(service.void_upgrade_coupons, member_id, change_id, templates)
    _give_unless_taken_back(templates, member_id, "tier-upgrade", change_id, void)


def _birthday_taken_back(
    member_id: str, birthday: dict[str, Any], at: str, reason: str = service.VOIDED_BIRTHDAY
) -> None:
    """A birthday gift's tier coupons a refund took back (``templates``: voided, or never given), and the tier's it
    leaves that the gift's tier did not name (``give``: what the gift would have been without the undone tier)."""
    year, source = int(birthday["year"]), f"{member_id}:{birthday['year']}"
    for template_id in dict.fromkeys(str(t) for t in birthday.get("templates") or []):
        void = functools.partial(service.void_birthday_coupons, member_id, year, [template_id], reason)
        _take_back(member_id, service.taken_back_mark(service.BIRTHDAY_TIER, source, template_id), at, void)
    general = set(service.gift_templates("birthday"))
    for template_id in dict.fromkeys(str(t) for t in birthday.get("give") or [] if str(t) not in general):
        if service.birthday_given(member_id, year, template_id):
            continue  # the gift gave it already, as the general gift it then was
        void = functools.partial(service.void_birthday_coupons, member_id, year, [template_id])
        _give_unless_taken_back([template_id], member_id, service.BIRTHDAY_TIER, source, void)


@consumer("coupon-top-up-gift", queue="coupons", types=["wallet.topped-up"], batched=True)
def top_up_gift(tx: Transaction, event: Event) -> None:
    """Templates marked as a top-up gift whose least top-up the principal reaches, once per payment; none once the
    stored value was paid out in cash after the top-up (退余额: a gift arriving after the cash refund was kept), nor for
    a gift card bound (no money paid in: a review's ¥1,000 card brought a 充值礼 coupon)."""
    payload = event.payload
    if payload.get("payment_method") == GIFT_CARD_METHOD:
        return
    template_ids = service.gift_templates("top_up", int(payload.get("principal_fen") or 0))
    if not template_ids:
        return
    member_id, source = str(payload["member_id"]), f"{payload.get('partner_id')}:{payload.get('payment_id')}"

    def cashed_out() -> str | None:  # the stored value paid out in cash since: the gift goes with it
        return wallet.cashed_out_after_top_up(member_id, str(payload.get("payment_id")))

    given: list[str] = []
    if (cash_refund_id := cashed_out()) is None:
        given = _give(template_ids, member_id, "top-up", source)
        cash_refund_id = cashed_out()  # paid out while it was given: its take-back may have found nothing
    if cash_refund_id is not None:  # what an earlier attempt gave, too, and what this one just gave (by its codes: the
        later = functools.partial(wallet.top_ups_after, member_id, cash_refund_id)  # member's list is an index a new
        service.void_top_up_gifts(member_id, cash_refund_id, later, given)  # coupon may not be in yet); later ones stay


@consumer("coupon-top-up-gift-taken-back", queue="coupons", types=["wallet.cash-refunded"], batched=True)
def top_up_gifts_taken_back(tx: Transaction, event: Event) -> None:
    """Stored value paid back in cash takes back the top-up gift coupons still usable (``void_top_up_gifts``), but not
    those of top-ups after it (a delivery late or repeated voided a later top-up's gift)."""
    member_id, cash_refund_id = str(event.payload["member_id"]), str(event.payload.get("cash_refund_id"))
    service.void_top_up_gifts(
        member_id, cash_refund_id, functools.partial(wallet.top_ups_after, member_id, cash_refund_id)
    )


@consumer("coupon-birthday-gift", queue="coupons", types=["activity.recorded"], batched=True)
def birthday_gift(tx: Transaction, event: Event) -> None:
    """Templates marked as a birthday gift and the member's tier's `birthday_coupons`, once a member and year, on the
    birthday activity (the platform's own gift in the birthday month, or a partner's report in it). A refund that
    undoes the tier takes its coupons back (``tier.changed``'s ``birthday``), before or after they are given."""
    payload = event.payload
    if payload.get("kind") != "birthday" or payload.get("limited"):
        return
    booked = clock.business_date(datetime.fromisoformat(event.occurred_at.replace("Z", "+00:00")), get_settings().tz)
    year = int(payload.get("year") or booked.year)  # the year it counts in: a late report of 30 December is that year's
    member_id = str(payload["member_id"])
    general = service.gift_templates("birthday")
    _give(general, member_id, "birthday", f"{member_id}:{year}")
    for template_id in dict.fromkeys(service.birthday_gifts(payload.get("tier"))):
        if template_id not in general:  # the tier's, issued as such: a refund that undoes the tier takes it back
            void = functools.partial(service.void_birthday_coupons, member_id, year, [template_id])
            _give_unless_taken_back([template_id], member_id, service.BIRTHDAY_TIER, f"{member_id}:{year}", void)


@consumer("coupon-member-erased", queue="coupons", types=["member.erased"])
def void_erased_members_coupons(tx: Transaction, event: Event) -> None:
    """An erased member's usable coupons are voided: nobody may use them, and the liability stops counting them."""
    service.void_member_coupons(str(event.payload["member_id"]))


@consumer("coupon-card-cancelled", queue="coupons", types=["membership.card-cancelled"], batched=True)
def void_cancelled_card_packs(tx: Transaction, event: Event) -> None:
    """A paid card's cancellation takes back the coupon packs it names (those it refunded: none when nothing went
    back), their coupons still usable voided, and, refunded in full, the birthday coupons its tier floor gave
    (``birthday_coupons``, as a refund undoing a tier takes them). Each pack or coupon taken back is remembered, so
    it is not issued after the cancellation, whatever order the two events come in (``_take_back``)."""
    p = event.payload
    member_id = str(p["member_id"])
    for pack in p.get("packs_taken_back") or []:
        taken = (str(pack["template_id"]), str(pack["source"]))
        _take_back(member_id, service.taken_back_mark("membership-pack", taken[1], taken[0]), event.occurred_at,
                   functools.partial(service.void_pack_coupons, member_id, [taken]))  # fmt: skip
    for birthday in p.get("birthday_coupons") or []:
        _birthday_taken_back(member_id, birthday, event.occurred_at, service.VOIDED_CARD_BIRTHDAY)


def _take_back(member_id: str, mark: str | None, at: str, void: Callable[[], object]) -> None:
    """Remember that the gift is taken back (``mark``: ``service.taken_back_mark``), then ``void`` what of it was
    given. The mark is its own write, made before the voiding: a gift handled meanwhile (another delivery, or later in
    this one, whose batch's transaction commits at its end) looks for the mark before giving and again after
    (``_give_unless_taken_back``), so every order of the two ends with the gift voided or never given; a coupon of it
    given back by a refund of the order that used it comes back voided (``service.reverse_redemption``)."""
    assert mark is not None, "a gift that can be taken back has a mark"
    UniqueRecord(mark, owner=member_id, created_at=at).save()
    void()


def _give_unless_taken_back(template_ids: list[str], member_id: str, kind: str, source_id: str,
                            void: Callable[[], object]) -> None:  # fmt: skip
    """``_give``, unless the gift was taken back (its coupons' mark); taken back while it was being given, voided.
    Found taken back at first, what an earlier attempt gave before it failed is voided too (the take-back, done by
    then, found nothing to void)."""
    marks = {mark for t in template_ids if (mark := service.taken_back_mark(kind, source_id, t)) is not None}

    def taken_back() -> bool:
        return any(UniqueRecord.find(mark) is not None for mark in sorted(marks))

    if taken_back():
        void()
        return
    _give(template_ids, member_id, kind, source_id)
    if taken_back():
        void()


@consumer("coupon-membership-pack", queue="coupons", types=["membership.coupon-pack-due"], batched=True)
def membership_pack(tx: Transaction, event: Event) -> None:
    """A paid card's coupon pack for its period (月度券包): ``count`` coupons of its template, each once by the pack's
    ``source`` (its card and cycle, benefit and period) and number."""
    p = event.payload
    member_id = str(p["member_id"])
    pack = p.get("source") or f"{p['card_id']}:{p['benefit_id']}:{p['period']}"  # events from before cycles
    template_id = str(p["template_id"])
    for n in range(int(p.get("count", 1))):
        source = f"{pack}:{n}"  # its card's cancellation may take it back, before or while it is given
        _give_unless_taken_back(
            [template_id],
            member_id,
            "membership-pack",
            source,
            functools.partial(service.void_pack_coupons, member_id, [(template_id, source)]),
        )
