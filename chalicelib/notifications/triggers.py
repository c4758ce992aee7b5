"""Which domain events concern a member, and the notice each gives: the kind, the occurrence that makes it once
(an order, an expiry date, a ledger entry), the variables its words take, and when it becomes worthless.

Pure: an event in, notices out. A wallet payment that leaves less than the policy's low balance (but something)
also gives a low-balance notice; ``points.earned`` gives one only for points a purchase or activity earned (gifts and
adjustments come with their own words).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.notifications.rules import Notice, student_marked, yuan
from chalicelib.shared import clock
from chalicelib.shared.phrases import Phrase

Payload = dict[str, Any]


def _end_of(day: str, tz: ZoneInfo) -> datetime:
    """The end of a business day: a reminder of it is worthless after."""
    return clock.end_of_business_day(date.fromisoformat(day[:10]), tz)


def _points_earned(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    if p.get("source_kind") not in ("purchase", "activity") or int(p["points"]) <= 0:
        return []
    variables = {"points": p["points"], "balance": p.get("balance_after")}
    return [Notice(p["member_id"], "points-earned", str(p["seq"]), variables)]


def _points_expiring(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """Points expiring within the week, with rewards they pay when the mall has some (``rewards``: names)."""
    names = [str(name) for name in p.get("rewards") or []]
    variables = {"points": p["points"], "expires_on": p["expires_on"],
                 "rewards": f"，可兑换{'、'.join(names)}等" if names else "",
                 "rewards_en": f" (enough for {' or '.join(names)})" if names else ""}  # fmt: skip
    return [Notice(p["member_id"], "points-expiring", p["expires_on"], variables, _end_of(p["expires_on"], tz))]


def _points_expired(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """Points that expired, and what is left (a walkthrough's member read the loss alone)."""
    variables = {"points": abs(int(p["points"])), "balance": max(0, int(p.get("balance_after") or 0))}
    return [Notice(p["member_id"], "points-expired", str(p["seq"]), variables)]


def _clawed_back(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """A refund took back the points its purchase earned: how many, and what the member could not cover (owed, paid
    off by points earned next; a retail chain's walkthrough: a refund leaving a debt of 1,700 points was said only by
    its tier's text)."""
    if p.get("source_kind") != "refund":
        return []  # a gift's points taken back with its tier say so in the tier's text
    taken = abs(int(p["points"]))
    owed = max(0, taken - abs(sum(int(points) for _, points in p.get("lots") or [])))
    variables = {"points": taken,
                 "owed": f"，其中{owed}积分因可用积分不足，将从之后获得的积分中抵扣" if owed else "",
                 "owed_en": f" ({owed} of them owed: points you earn next pay them)" if owed else ""}  # fmt: skip
    return [Notice(p["member_id"], "points-clawed-back", str(p["seq"]), variables)]


def _points_adjusted(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """Staff credited or debited points (by hand or in a batch), with the reason the member reads in their ledger."""
    points = int(p["points"])
    variables = {"reason": p.get("reason") or "积分调整", "reason_en": p.get("reason_en") or p.get("reason") or
                 "Adjustment", "change": f"{points:+d}", "change_en": f"{points:+d}",
                 "balance": max(0, int(p.get("balance_after") or 0))}  # fmt: skip
    return [Notice(p["member_id"], "points-adjusted", str(p["seq"]), variables)]


def _points_redeemed(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """Points spent at a till (a gift, or part of an order): said at once, so a member whose code was misused knows.
    The mall's orders say their own words."""
    if p.get("source_kind") != "redemption":
        return []
    variables = {"points": abs(int(p["points"])), "reason": p.get("reason") or "积分兑换",
                 "reason_en": p.get("reason_en") or p.get("reason") or "redeemed",
                 "balance": max(0, int(p.get("balance_after") or 0))}  # fmt: skip
    return [Notice(p["member_id"], "points-redeemed", str(p["seq"]), variables)]


def _feedback_replied(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """The service desk answered: the member is told where to read it (the words stay on their pages)."""
    return [Notice(p["member_id"], "feedback-replied", p["feedback_id"], {})] if p.get("replied") else []


def _tier_names(p: Payload) -> dict[str, Any]:
    """The tier as members read it: its Chinese and English names (its code for an event from before names)."""
    return {"tier": p.get("tier_name_zh") or p["tier"], "tier_en": p.get("tier_name_en") or p["tier"]}


def _tier_changed(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """A move up (with its gift points) or down (from which tier), a refund undoing the upgrade its purchase caused
    (with the gift points taken back), or a new programme moving the member (a walkthrough's member lost diamond to a
    new programme in silence). An opening tier of a migrated member or a staff override says nothing."""
    reason = p.get("reason", "")
    kind = {"upgrade": "tier-upgraded", "downgrade": "tier-downgraded", "refund": "tier-refunded",
            "programme": "tier-adjusted"}.get(reason)  # fmt: skip
    points = int(p.get("gift_points") or 0)
    taken, given = (points, 0) if reason == "refund" else (0, points if reason == "upgrade" else 0)
    if reason == "programme" and p.get("previous_name_zh") == p.get("tier_name_zh"):
        return []  # a new programme's code for the same tier: nothing the member would see changed
    variables = {**_tier_names(p), "previous": p.get("previous"),
                 "previous_tier": p.get("previous_name_zh") or p.get("previous"),
                 "previous_tier_en": p.get("previous_name_en") or p.get("previous"),
                 "gift": f"升级礼{given}积分已到账。" if given else "",
                 "gift_en": f" Your {given} upgrade gift points have arrived." if given else "",
                 "gift_taken": f"，升级礼{taken}积分已扣回" if taken else "",
                 "gift_taken_en": f"; its {taken} gift points were taken back" if taken else ""}  # fmt: skip
    return [Notice(p["member_id"], kind, p["change_id"], variables)] if kind else []


def _downgrade_warning(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """The review ahead: the day it is reviewed (after its grace), the tier's last valid day, and what keeping it
    still needs (a walkthrough read the period's end as the review's day, and no amount)."""
    missing, spend = int(p.get("missing") or 0), p.get("metric") == "paid_fen"
    until = p.get("valid_until") or p["review_on"]
    if not missing:
        need, need_en = "达到保级条件即可保留", "meet its conditions to keep it"
    elif spend:
        need, need_en = (
            f"有效期内再消费{yuan(missing)}元即可保级",
            f"spend {yuan(missing)} CNY more before then to keep it",
        )
    else:
        need, need_en = f"有效期内再获得{missing}成长值即可保级", f"earn {missing} more growth before then to keep it"
    variables = {**_tier_names(p), "review_on": p["review_on"], "valid_until": until, "need": need, "need_en": need_en}
    occurrence = f"{p['tier']}@{until}"  # once per period, as before the review's day was said
    return [Notice(p["member_id"], "tier-downgrade-warning", occurrence, variables, _end_of(p["review_on"], tz))]


def _topped_up(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    bonus, gift = int(p.get("bonus_fen", 0)), int(p.get("gift_points") or 0)
    variables = {
        "amount": yuan(p["principal_fen"]),
        "bonus": yuan(bonus),
        "bonus_given": (f"，赠送{yuan(bonus)}元" if bonus else "")  # a walkthrough read "(+0.00 bonus)"
        + (f"，另赠{gift}积分（随储值消费到账）" if gift else ""),  # a tea chain's member was never told of them
        "bonus_given_en": (f" (+{yuan(bonus)} bonus)" if bonus else "")
        + (f" (plus {gift} points, earned as it is spent)" if gift else ""),
        "balance": yuan(p.get("balance_after_fen", 0)),
    }
    return [Notice(p["member_id"], "wallet-topped-up", f"{p['partner_id']}:{p['payment_id']}", variables)]


def _paid(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    paid, after = int(p["principal_fen"]) + int(p.get("bonus_fen", 0)), p.get("balance_after_fen")
    occurrence = f"{p['partner_id']}:{p['payment_id']}"
    notices = [Notice(p["member_id"], "wallet-paid", occurrence, {"amount": yuan(paid), "balance": yuan(after or 0)})]
    if after is not None and 0 < int(after) < low:  # spent to nothing, the receipt says so (a walkthrough read
        notices.append(
            Notice(p["member_id"], "wallet-low-balance", occurrence, {"balance": yuan(after)})
        )  # 仅剩0.00元)
    return notices


def _refunded(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    principal, bonus = int(p["principal_fen"]), int(p.get("bonus_fen", 0))
    variables = {"amount": yuan(principal + bonus), "principal": yuan(principal), "bonus": yuan(bonus),
                 "balance": yuan(p.get("balance_after_fen", 0))}  # fmt: skip
    return [Notice(p["member_id"], "wallet-refunded", f"{p['partner_id']}:{p['refund_id']}", variables)]


def _cash_refunded(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """A receipt for principal paid out in cash, which also tells a member who did not ask for it."""
    variables = {"principal": yuan(p["principal_fen"]), "bonus": yuan(p.get("bonus_fen", 0)),
                 "balance": yuan(p.get("balance_after_fen", 0))}  # fmt: skip
    return [Notice(p["member_id"], "wallet-cash-refunded", str(p["cash_refund_id"]), variables)]


PUSHED_COUPONS = frozenset({"staff", "batch"})  # coupons staff chose to give: marketing, whatever their words


def _coupon_issued(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """A coupon the member claimed, exchanged or earned by the programme's rules is a service notice; one staff gave
    (one by one, or a bulk issue to a file of members) is marketing, so it reaches only members who consented, within
    the caps and with the opt-out wording (a template's name is free text: it must not carry an advert past them)."""
    if not p.get("member_id") or not p.get("code"):
        return []  # a bearer coupon (a codes batch: whoever hands the codes out tells their holders)
    kind = "coupon-gift" if p.get("source_kind") in PUSHED_COUPONS else "coupon-issued"
    variables = {"name": p.get("name", ""), "valid_until": p.get("valid_until")}
    return [Notice(p["member_id"], kind, p["code"], variables)]


def _coupon_transferred(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """The giver hears that a friend took their coupon (转赠): a service notice, once per coupon (a bearer code a
    member claimed has no giver)."""
    if not p.get("member_id"):
        return []
    return [Notice(p["member_id"], "coupon-transferred", p["code"], {"name": p.get("name", "")})]


def _coupon_expiring(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    if not p.get("member_id"):
        return []
    variables = {"valid_until": p["valid_until"], "name": p.get("name") or p["code"]}  # the code, for an old event
    return [Notice(p["member_id"], "coupon-expiring", p["code"], variables, _end_of(p["valid_until"], tz))]


A_STORE = Phrase("门店", "the store")  # an order's pickup store not named (an event from before it was)


def _mall(kind: str) -> Callable[[Payload, ZoneInfo, int], list[Notice]]:
    def notices(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
        variables = {
            "order_id": p["order_id"],
            "reward": p.get("reward_name") or p["order_id"],
            "store": p.get("pickup_store_name") or A_STORE,
        }  # a walkthrough's parent was not told which centre
        return [Notice(p["member_id"], kind, p["order_id"], variables)]

    return notices


def _pickup_due(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """A pickup still waiting, cancelled on its day unless collected: where, and by when (worthless after)."""
    variables = {"order_id": p["order_id"], "reward": p.get("reward_name") or p["order_id"],
                 "store": p.get("pickup_store_name") or A_STORE, "cancel_on": p["cancel_on"]}  # fmt: skip
    return [Notice(p["member_id"], "mall-order-pickup-due", p["order_id"], variables, _end_of(p["cancel_on"], tz))]


def _mall_cancelled(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """An exchange cancelled by staff or a job (a tea chain's walkthrough: an order not collected in time went, its
    points back, and the member heard nothing); the member's own cancellation is theirs to know."""
    if "by" not in p or str(p.get("by") or "").startswith("member:"):
        return []
    why = Phrase(str(p.get("why") or "门店取消"), str(p.get("why_en") or p.get("why") or "cancelled by the store"))
    variables = {"order_id": p["order_id"], "reward": p.get("reward_name") or p["order_id"], "why": why,
                 "points": p.get("points") or 0}  # fmt: skip
    return [Notice(p["member_id"], "mall-order-cancelled", p["order_id"], variables)]


def _announcement(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    variables = {"title": p["title"], "text": p["text"]}
    return [Notice(member_id, "announcement", p["announcement_id"], variables) for member_id in p["member_ids"]]


FOREVER = Phrase(
    "永久", "further notice"
)  # a card's validity with no end: "有效期至永久", "active until further notice"


CARD_PAID = {  # what a card's payment did, as its text says it (a walkthrough's renewal was texted 已生效)
    "purchase": Phrase("已生效", "active"),
    "renewal": Phrase("已续费", "renewed"),
    "auto-renewal": Phrase("已自动续费", "renewed automatically"),
    "trial": Phrase("免费试用中", "on its free trial"),
}


def _card_activated(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    variables = {"plan": p["plan_name"], "valid_until": p.get("valid_until") or FOREVER}
    return [Notice(p["member_id"], "membership-activated", f"{p['card_id']}:opened@{p['started_on']}", variables)]


def _card_paid(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    if p.get("starts_on"):  # waits for the first visit: no end yet (a walkthrough's text gave a provisional one)
        waiting = {"plan": p.get("plan_name") or p["plan_id"], "starts_on": p["starts_on"]}
        return [Notice(p["member_id"], "membership-card-waiting", p["payment_id"], waiting)]
    variables = {"plan": p.get("plan_name") or p["plan_id"], "valid_until": p.get("valid_until") or FOREVER,
                 "done": CARD_PAID.get(str(p.get("kind")), CARD_PAID["purchase"])}  # fmt: skip
    return [Notice(p["member_id"], "membership-card-paid", p["payment_id"], variables)]


ENDING = {  # what becomes of a 次卡's classes not used at its end: carried by a renewal, refundable, or gone (an
    # education chain's walkthrough renewed early on 续费后权益不中断 and lost 15 classes at the first term's end)
    "carries": ("（续费可结转）", " (a renewal carries them)"),
    "refundable": (
        "（续费不结转，到期后仍可申请退还未使用部分）",
        " (a renewal does not carry them; what is not used can still be refunded after it ends)",
    ),
    "ends": ("（到期作废，续费不结转）", " (they end with it; a renewal does not carry them)"),
}


def _ending(use: dict[str, Any]) -> tuple[str, str]:
    return ENDING["carries" if use.get("carries") else "refundable" if use.get("refundable") else "ends"]


def _card_expiring(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    left = p.get("uses_left") or []  # a 次卡's classes not used yet: what its ending loses (a salon's walkthrough)
    variables = {
        "plan": p["plan_name"],
        "valid_until": p["valid_until"],
        "days_left": p["days_left"],
        "days_left_en": f"{p['days_left']} day" + ("" if int(p["days_left"]) == 1 else "s"),  # a walkthrough: 1 days
        "uses_left": "".join(f"，{u['benefit']}还剩{u['left']}次未使用{_ending(u)[0]}" for u in left),
        "uses_left_en": "".join(f"; {u['left']} × {u['benefit']} not used yet{_ending(u)[1]}" for u in left),
    }  # fmt: skip  unless the benefit rolls over, a renewal does not carry them (a walkthrough)
    occurrence = f"{p['card_id']}@{p['valid_until']}-{p['days_left']}"
    return [Notice(p["member_id"], "membership-expiring", occurrence, variables, _end_of(p["valid_until"], tz))]


def _renewal_notice(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    variables = {"plan": p["plan_name"], "amount": yuan(p["amount_fen"]), "charge_not_before": p["charge_not_before"]}
    occurrence = f"{p['card_id']}@{p['valid_until']}"
    return [Notice(p["member_id"], "membership-renewal-notice", occurrence, variables)]


def _card_lapsed(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """A card lapsed; a pack refunded by what was not used says its uses left can still be refunded (a fitness
    chain's walkthrough: the lapse said nothing of 18 refundable visits its reminder had named)."""
    occurrence = f"{p['card_id']}@{p['valid_until']}"
    refundable = [u for u in p.get("uses_left") or [] if u.get("refundable")]
    left = [f"{u['benefit']}{u['left']}次" for u in refundable]
    left_en = ", ".join(f"{u['left']} × {u['benefit']}" for u in refundable)  # the count, as the Chinese says it
    unused = f" (the {left_en} not used can still be refunded at the store)"
    said = Phrase(f"（未使用的{'、'.join(left)}仍可到店申请退还）", unused) if left else ""
    return [Notice(p["member_id"], "membership-lapsed", occurrence, {"plan": p["plan_name"], "left": said})]


REFUND_TO = {  # where a cancelled card's refund goes, by how its payments were taken (a walkthrough: the text said not;
    # a till's WeChat payment was told to collect its refund at the store: the store refunds it the way it was paid)
    "wallet": ("，已退回储值", ", back in your stored value"),
    "counter": ("，由门店按原支付方式退还", ", refunded by the store the way you paid"),
    "partner": ("，将原路退回", ", to the way you paid"),
}
REFUND_PART = {  # each way's share, when the refund goes back more than one way (a walkthrough: the text said neither)
    "wallet": ("{amount}元已退回储值", "{amount} CNY back in your stored value"),
    "counter": ("{amount}元由门店按原支付方式退还", "{amount} CNY refunded by the store the way you paid"),
    "partner": ("{amount}元将原路退回", "{amount} CNY to the way you paid"),
}


def _card_cancelled(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    by_way: dict[str, int] = {}
    for part in p.get("parts") or []:
        if int(part.get("amount_fen") or 0) > 0 and part.get("method") in REFUND_PART:
            by_way[part["method"]] = by_way.get(part["method"], 0) + int(part["amount_fen"])
    if len(by_way) == 1:
        way = REFUND_TO[next(iter(by_way))]
    elif by_way:
        parts = [(REFUND_PART[m][0].format(amount=yuan(f)), REFUND_PART[m][1].format(amount=yuan(f)))
                 for m, f in sorted(by_way.items())]  # fmt: skip
        way = ("（" + "，".join(zh for zh, _ in parts) + "）", " (" + "; ".join(en for _, en in parts) + ")")
    else:
        way = ("", "")
    variables = {"plan": p.get("plan_name") or p["plan_id"], "refund": yuan(p["refund_fen"]), "refund_to": way[0],
                 "refund_to_en": way[1]}  # fmt: skip
    return [Notice(p["member_id"], "membership-cancelled", f"{p['card_id']}:{p['cancel_id']}", variables)]


def _card_paused(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    ahead = p.get("begins") == "later"  # arranged ahead: said as to come (a walkthrough read 已停卡 a week early)
    variables = {"plan": p["plan_name"], "days": p["days"], "first": p["first_day"], "last": p["last_day"],
                 "until": p["valid_until"], "done": Phrase("将停卡", "will be paused") if ahead
                 else Phrase("已停卡", "is paused")}  # fmt: skip
    return [Notice(p["member_id"], "membership-paused", f"{p['card_id']}:{p['pause_id']}", variables)]


def _card_resumed(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    done = (Phrase("停卡已取消", "pause is withdrawn") if p.get("withdrawn")  # never began (a review: 已复卡 said)
            else Phrase("已复卡，权益即日恢复", "is resumed with its benefits from today"))  # fmt: skip
    variables = {"plan": p["plan_name"], "until": p["valid_until"], "done": done}
    return [Notice(p["member_id"], "membership-resumed", f"{p['card_id']}:{p['pause_id']}:resumed", variables)]


def _term_ending(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """A term of a pack renewed ahead ends with its own classes left (an education chain's walkthrough lost 22
    lessons at such a term's end with no word): once per card and term."""
    left = p.get("uses_left") or []
    variables = {"plan": p["plan_name"], "term_ends_on": p["term_ends_on"],
                 "uses_left": "，".join(f"{u['benefit']}还剩{u['left']}次" for u in left),
                 "uses_left_en": ", ".join(f"{u['left']} × {u['benefit']} left" for u in left)}  # fmt: skip
    occurrence = f"{p['card_id']}@term-{p['term_ends_on']}"
    return [Notice(p["member_id"], "membership-term-ending", occurrence, variables, _end_of(p["term_ends_on"], tz))]


def _card_extended(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    variables = {"plan": p["plan_name"], "days": p["days"], "valid_until": p["valid_until"]}
    return [Notice(p["member_id"], "membership-extended", f"{p['card_id']}:{p['extension_id']}", variables)]


def _benefit_used(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """消课提醒: each use recorded at the counter, with what is left, so a member hears of one they never made; not a
    use of no number (不限次: a gym's entry, texted at every visit, alarmed its members and cost the chain)."""
    if "benefit_name" not in p or p.get("unlimited"):  # an event from before the reminder; an entry
        return []
    variables = {
        "benefit": p["benefit_name"],
        "remaining": p["remaining"],
        "left": _uses_left(p),
        "where": Phrase(f"在{p['store_name']}", f" at {p['store_name']}") if p.get("store_name") else "",
    }
    return [Notice(p["member_id"], "benefit-used", str(p["use_id"]), variables)]


LOW = 2  # a pack's uses left at which its reminder asks for a renewal (课时不足提醒)


def _uses_left(p: Payload) -> Phrase:
    """What a use leaves, as its reminder says it: the card's own this period, apart those of its terms paid ahead
    (an education chain's walkthrough read 本期还剩47次 of two 24-lesson packs) and those other cards give (a review);
    a pack's last few ask for a renewal and its last one says it is used up, when nothing else gives them (课时不足提醒:
    the walkthrough's parents reached 0 with nothing more said), not a quota of a few a term (asked at every use)."""
    total = int(p["remaining"])
    own, ahead = int(p.get("source_remaining", total)), int(p.get("ahead") or 0)
    others = max(0, total - own)
    now = Phrase(f"本期还剩{own - ahead}次", f"{own - ahead} left this period")
    if ahead:
        now = Phrase(f"{now}，另有续费的{ahead}次", f"{now.en}, and {ahead} of the terms paid ahead")
    if others:
        return Phrase(f"{now}，其他卡另有{others}次", f"{now.en}; {others} more on your other cards")
    if ahead or p.get("period") != "term" or int(p.get("quota") or LOW * 2 + 1) <= LOW * 2:
        return now  # a week's or a month's come again; a few a term would ask at every use
    if own == 0:
        return Phrase("已全部用完，续费后可继续使用", "all used: renew to carry on")
    return Phrase(f"{now}，即将用完，请及时续费", f"{now.en}: renew soon") if own <= LOW else now


def _benefit_use_reversed(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """A use taken back, with what there is now: the member's last 消课提醒 said one fewer (a walkthrough)."""
    if "benefit_name" not in p or p.get("unlimited"):  # an event from before the notice; an entry, never texted
        return []
    variables = {"benefit": p["benefit_name"], "remaining": p["remaining"]}
    return [Notice(p["member_id"], "benefit-use-reversed", f"{p['use_id']}:reversed", variables)]


def _birthday_gift(p: Payload, tz: ZoneInfo, low: int) -> list[Notice]:
    """A birthday gift's greeting (生日快乐), worthless once its month is over: a gift a late catch-up gives is the
    member's, its greeting months later is not (a walkthrough's member born in July was wished a happy birthday in
    December after the jobs had stood still)."""
    if p.get("kind") != "birthday" or p.get("limited") or int(p.get("points") or 0) <= 0:
        return []
    until = None
    if month := p.get("month"):
        first = date.fromisoformat(f"{month}-01")
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        until = _end_of(last.isoformat(), tz)
    return [Notice(p["member_id"], "birthday-gift", str(p.get("activity_key")), {"points": p["points"]}, until)]


TRIGGERS: dict[str, Callable[[Payload, ZoneInfo, int], list[Notice]]] = {
    "points.earned": _points_earned,
    "points.expiring": _points_expiring,
    "points.expired": _points_expired,
    "points.clawed-back": _clawed_back,
    "points.adjusted": _points_adjusted,
    "points.redeemed": _points_redeemed,
    "feedback.closed": _feedback_replied,
    "tier.changed": _tier_changed,
    "tier.downgrade-warning": _downgrade_warning,
    "wallet.topped-up": _topped_up,
    "wallet.paid": _paid,
    "wallet.refunded": _refunded,
    "wallet.cash-refunded": _cash_refunded,
    "coupon.issued": _coupon_issued,
    "coupon.expiring": _coupon_expiring,
    "coupon.transferred": _coupon_transferred,
    "mall.order-shipped": _mall("mall-order-shipped"),
    "mall.order-ready-for-pickup": _mall("mall-order-ready"),
    "mall.order-pickup-due": _pickup_due,
    "mall.order-cancelled": _mall_cancelled,
    "messaging.announced": _announcement,
    "membership.card-paid": _card_paid,
    "membership.card-expiring": _card_expiring,
    "membership.renewal-notice": _renewal_notice,
    "membership.card-lapsed": _card_lapsed,
    "membership.card-cancelled": _card_cancelled,
    "membership.card-paused": _card_paused,
    "membership.card-activated": _card_activated,
    "membership.card-started": _card_activated,  # started by itself on its last waiting day: its end, said alike
    "membership.card-resumed": _card_resumed,
    "membership.card-extended": _card_extended,
    "membership.term-ending": _term_ending,
    "membership.benefit-used": _benefit_used,
    "membership.benefit-use-reversed": _benefit_use_reversed,
    "activity.recorded": _birthday_gift,
}


def notices_of(event_type: str, payload: Payload, tz: ZoneInfo, low_balance_fen: int) -> list[Notice]:
    """The notices an event gives (none for an event that concerns no member's messages); a card's for a student
    (学员) marks its plan or benefit as theirs (two children's packs of one plan: whose class was it?)."""
    trigger = TRIGGERS.get(event_type)
    notices = trigger(payload, tz, low_balance_fen) if trigger else []
    if student_id := payload.get("student_id"):
        notices = [replace(notice, variables={name: student_marked(value, student_id) if name in ("plan", "benefit")
                                              else value for name, value in notice.variables.items()})
                   for notice in notices]  # fmt: skip
    return notices
