"""The messages the platform sends (消息类型): what each is for, when it may go out, on which channels, and its words.

A kind's ``purpose`` decides the consent it needs: ``login`` (a one-time code: always sent, on SMS only),
``service`` (服务通知: receipts, reminders, tier and card notices; sent unless the member switched the channel off)
or ``marketing`` (营销: needs the member's consent for the channel). ``timing`` says whether it follows what the
member just did (``immediate``: a receipt, a code) or may wait for a decent hour (``daytime``: reminders, notices,
marketing, held through the quiet hours). Standard library only.

Texts take ``{name}`` variables from the event that caused the message. Staff may replace any text and configure
the provider's template id beside it (``TemplateRecord``); these are the defaults a new platform starts with.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from enum import StrEnum


class Purpose(StrEnum):
    LOGIN = "login"
    SERVICE = "service"
    MARKETING = "marketing"


class Timing(StrEnum):
    IMMEDIATE = "immediate"
    DAYTIME = "daytime"


EXTERNAL_CHANNELS = ("sms", "email", "push", "wechat")  # each can be switched off by the member
CHANNELS = (*EXTERNAL_CHANNELS, "inbox")  # the in-app inbox (站内信) cannot: it is where everything else lands
LANGUAGES = ("zh-CN", "en")
OPT_OUT_WORDINGS = ("拒收请回复R", "回T退订", "Reply STOP to opt out")  # one must end every marketing SMS


@dataclass(frozen=True)
class Words:
    """A message in one language: a title (email subject, push and inbox title) and its text."""

    title: str
    text: str


@dataclass(frozen=True)
class Kind:
    name: str
    purpose: Purpose
    timing: Timing
    channels: tuple[str, ...]  # tried in this order; the first the member may receive it on carries it
    words: dict[str, Words]  # by language
    variables: tuple[str, ...]
    enabled: bool = True  # a kind switched off by default sends nothing until staff switch it on
    description: str = ""
    inbox_copy: bool = True  # the inbox keeps a copy of what another channel carried


def _kind(
    name: str,
    purpose: Purpose,
    timing: Timing,
    zh: tuple[str, str],
    en: tuple[str, str],
    *,
    channels: tuple[str, ...] = ("sms", "wechat", "push", "email"),
    enabled: bool = True,
    description: str = "",
    inbox_copy: bool = True,
    also: tuple[str, ...] = (),
) -> Kind:
    """A kind whose variables are those its texts name, and ``also`` those its own templates may name besides."""
    words = {"zh-CN": Words(*zh), "en": Words(*en)}
    variables = tuple(sorted({*also, *(name for w in words.values() for name in _names(w.title + w.text))}))
    return Kind(name, purpose, timing, channels, words, variables, enabled, description, inbox_copy)


def _names(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


S, M = Purpose.SERVICE, Purpose.MARKETING
NOW, DAY = Timing.IMMEDIATE, Timing.DAYTIME

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        _kind(
            "login-code",
            Purpose.LOGIN,
            NOW,
            ("登录验证码", "您的验证码是{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。"),
            ("Sign-in code", "Your code is {code}, valid for {minutes} minutes. Ignore this if it was not you."),
            channels=("sms",),
            inbox_copy=False,
            description="the one-time code of a member signing in",
        ),
        _kind(
            "till-code",
            Purpose.LOGIN,
            NOW,
            (
                "门店验证码",
                "您正在门店使用会员储值、积分或权益，验证码{code}，{minutes}分钟内有效。如非本人在场，请勿告知他人。",
            ),
            (
                "Store code",
                "You are paying with your stored value, points or benefits at a store: your code is {code}, "
                "valid for {minutes} minutes. Do not tell it to anyone unless you are there.",
            ),
            channels=("sms",),
            inbox_copy=False,
            description="the one-time code a till texts a member who has no member pages to show",
        ),
        _kind(
            "points-earned",
            S,
            NOW,
            ("积分到账", "您获得{points}积分，当前可用{balance}积分。"),
            ("Points earned", "You earned {points} points; you now have {balance}."),
            enabled=False,
            description="points a purchase or activity earned (off by default: members buy often)",
        ),
        _kind(
            "points-expiring",
            S,
            DAY,
            ("积分即将过期", "您有{points}积分将于{expires_on}过期{rewards}，请尽快使用。"),
            ("Points expiring", "{points} of your points expire on {expires_on}{rewards_en}. Use them before then."),
            description="points expiring within a week (7 days ahead)",
        ),
        _kind(
            "points-expired",
            S,
            DAY,
            ("积分已过期", "您有{points}积分已过期，积分余额{balance}。"),
            ("Points expired", "{points} of your points have expired; your balance is {balance} points."),
            description="points that expired",
        ),
        _kind(
            "points-adjusted",
            S,
            DAY,  # a batch sent at night waits for the morning
            ("积分变动", "{reason}：积分{change}，当前可用{balance}积分。"),
            ("Points adjusted", "{reason_en}: {change_en} points; you now have {balance}."),
            enabled=False,
            description="staff credited or debited points by hand or in a batch (积分调整: 会员权益变动通知; off by "
            "default: a batch would text every member in it)",
        ),
        _kind(
            "points-redeemed",
            S,
            NOW,
            ("积分使用", "您使用了{points}积分（{reason}），当前可用{balance}积分。如非本人操作，请联系门店。"),
            ("Points used", "You used {points} points ({reason_en}); you now have {balance}. Not you? Call the store."),
            description="points spent at a till: a gift or part of an order (积分兑换、积分抵现; the mall's orders say "
            "their own)",
        ),
        _kind(
            "feedback-replied",
            S,
            DAY,
            ("意见反馈已回复", "您提交的意见反馈已有回复，请在会员中心「意见反馈」查看。"),
            ("Feedback answered", "Your feedback has an answer: read it under Feedback on your member pages."),
            description="the service desk answered the member's feedback",
        ),
        _kind(
            "points-clawed-back",
            S,
            DAY,
            ("积分扣回", "因订单退款，已扣回该订单所得{points}积分{owed}。"),
            ("Points taken back", "A refund took back the {points} points its order earned{owed_en}."),
            description="a refund took back the points its purchase earned (and what the member could not cover)",
        ),
        _kind(
            "tier-upgraded",
            S,
            DAY,
            ("会员升级", "恭喜您升级为{tier}！{gift}"),
            ("Tier upgraded", "Congratulations, you are now a {tier_en} member!{gift_en}"),
            description="a member moved up a tier",
        ),
        _kind(
            "tier-downgrade-warning",
            S,
            DAY,
            ("会员等级提醒", "您的{tier}等级有效期至{valid_until}，{need}，将于{review_on}复核。"),
            (
                "Tier review ahead",
                "Your {tier_en} tier runs until {valid_until}: {need_en}. It is reviewed on {review_on}.",
            ),
            description="a tier review that would downgrade the member is near",
        ),
        _kind(
            "tier-downgraded",
            S,
            DAY,
            ("会员等级变更", "您的会员等级已由{previous_tier}调整为{tier}。"),
            ("Tier changed", "Your tier has moved from {previous_tier_en} to {tier_en}."),
            description="a member moved down a tier",
        ),
        _kind(
            "tier-refunded",
            S,
            DAY,
            ("会员等级变更", "因订单退款，您的会员等级已调整为{tier}{gift_taken}。"),
            ("Tier changed", "After a refund, your tier is {tier_en} again{gift_taken_en}."),
            description="a refund undid the upgrade its purchase caused (and took its gift points back)",
        ),
        _kind(
            "tier-adjusted",
            S,
            DAY,
            ("会员等级变更", "因会员等级体系调整，您的会员等级已由{previous_tier}调整为{tier}。"),
            (
                "Tier changed",
                "Our membership tiers have changed: your tier has moved from {previous_tier_en} to {tier_en}.",
            ),
            enabled=False,  # a programme applied would text everyone it moves: switched on before, when wanted
            description="a new tier programme moved the member (up or down)",
        ),
        _kind(
            "wallet-topped-up",
            S,
            NOW,
            ("储值到账", "您已充值{amount}元{bonus_given}，当前余额{balance}元。"),
            ("Top-up received", "You topped up {amount} CNY{bonus_given_en}; your balance is {balance} CNY."),
            description="a receipt for a stored-value top-up",
            also=("bonus",),  # the bonus alone, for staff's own words (a top-up without a plan has none to say)
        ),
        _kind(
            "wallet-paid",
            S,
            NOW,
            ("储值消费", "您使用储值支付{amount}元，当前余额{balance}元。"),
            ("Wallet payment", "You paid {amount} CNY from your wallet; your balance is {balance} CNY."),
            description="a receipt for a stored-value payment",
        ),
        _kind(
            "wallet-refunded",
            S,
            NOW,
            ("储值退款", "您的一笔储值支付退回{amount}元（本金{principal}元，赠送金{bonus}元），当前余额{balance}元。"),
            (
                "Wallet refund",
                "{amount} CNY of a wallet payment came back to your wallet (principal {principal}, "
                "bonus {bonus}); your balance is {balance} CNY.",
            ),
            description="goods paid from the wallet were refunded to it",
        ),
        _kind(
            "wallet-cash-refunded",
            S,
            NOW,
            (
                "储值退款已办理",
                "已为您退还储值本金{principal}元，赠送金{bonus}元随之作废，当前余额{balance}元。"
                "如非本人办理，请立即联系门店。",
            ),
            (
                "Stored value paid out",
                "{principal} CNY of your stored value was paid back to you and {bonus} CNY of "
                "bonus went with it; your balance is {balance} CNY. If this was not you, contact the store at once.",
            ),
            description="principal paid out in cash (退余额/退卡), with the bonus forfeited",
        ),
        _kind(
            "wallet-low-balance",
            S,
            NOW,
            ("余额不足提醒", "您的储值余额仅剩{balance}元。"),
            ("Low balance", "Your wallet balance is down to {balance} CNY."),
            description="the wallet fell below the configured balance after a payment",
        ),
        _kind(
            "coupon-issued",
            S,
            DAY,
            ("优惠券到账", "您获得一张优惠券：{name}，有效期至{valid_until}。"),
            ("Coupon received", "You received a coupon: {name}, valid until {valid_until}."),
            description="a coupon the member claimed, exchanged or earned (a gift of the programme's own rules)",
        ),
        _kind(
            "coupon-gift",
            M,
            DAY,
            ("优惠券到账", "送您一张优惠券：{name}，有效期至{valid_until}。"),
            ("A coupon for you", "Here is a coupon for you: {name}, valid until {valid_until}."),
            description="a coupon staff gave the member, one by one or in a bulk issue: marketing, by consent",
        ),
        _kind(
            "coupon-transferred",
            S,
            DAY,
            ("转赠已领取", "您送出的优惠券「{name}」已被好友领取。"),
            ("Your gift was taken", "Your friend took the coupon you gave them: {name}."),
            description="a coupon the member offered a friend was taken (转赠)",
        ),
        _kind(
            "coupon-expiring",
            S,
            DAY,
            ("优惠券即将过期", "您的优惠券「{name}」将于{valid_until}过期，请尽快使用。"),
            ("Coupon expiring", "Your coupon {name} expires on {valid_until}. Use it before then."),
            description="a coupon expiring in 3 days",
        ),
        _kind(
            "mall-order-shipped",
            S,
            DAY,
            ("订单已发货", "您在积分商城兑换的{reward}已发货。"),
            ("Order shipped", "Your {reward} from the points mall has shipped."),
            description="a points-mall order was shipped",
            also=("order_id",),
        ),
        _kind(
            "mall-order-ready",
            S,
            DAY,
            ("订单待自提", "您在积分商城兑换的{reward}已可到{store}自提，请在会员中心的兑换订单里出示提货码。"),
            ("Ready for pickup", "Your {reward} from the points mall is ready at {store}: show its pickup code there."),
            description="a points-mall order is ready for pickup",
            also=("order_id",),
        ),
        _kind(
            "mall-order-pickup-due",
            S,
            DAY,
            ("提货提醒", "您兑换的{reward}还在{store}等您自提，请于{cancel_on}前领取，逾期将自动取消并退回积分。"),
            (
                "Pickup reminder",
                "Your {reward} is still waiting at {store}: collect it by {cancel_on}, or it is "
                "cancelled and its points go back.",
            ),
            description="a points-mall pickup not collected is cancelled in 3 days",
            also=("order_id",),
        ),
        _kind(
            "mall-order-cancelled",
            S,
            DAY,
            ("兑换订单已取消", "您在积分商城兑换的{reward}订单已取消（{why}），{points}积分已退回。"),
            (
                "Exchange cancelled",
                "Your {reward} order from the points mall was cancelled ({why}); {points} points are back.",
            ),
            description="a points-mall order cancelled by staff or a job (not collected in time), not by the member",
            also=("order_id",),
        ),
        _kind(
            "membership-card-paid",
            S,
            NOW,
            ("会员卡{done}", "您的{plan}{done}，有效期至{valid_until}。"),
            ("Membership {done}", "Your {plan} is {done} until {valid_until}."),
            description="a paid membership card bought (已生效), renewed (已续费) or started as a trial (试用中)",
        ),
        _kind(
            "membership-expiring",
            S,
            DAY,
            ("会员卡即将到期", "您的{plan}将于{valid_until}到期（还剩{days_left}天）{uses_left}，续费后权益不中断。"),
            (
                "Membership ending",
                "Your {plan} ends on {valid_until} ({days_left_en} left){uses_left_en}; renew to keep it.",
            ),
            description="a paid card ends in 7 days, and again in 1 day",
        ),
        _kind(
            "membership-renewal-notice",
            S,
            DAY,
            (
                "自动续费提醒",
                "您的{plan}已开通自动续费，将于{charge_not_before}起扣费{amount}元，如需取消请在会员中心关闭。",
            ),
            (
                "Automatic renewal ahead",
                "Your {plan} renews automatically: {amount} CNY will be charged from"
                " {charge_not_before}. Turn it off in your member centre to cancel.",
            ),
            description="an automatic renewal is a week away (charged 5 days after this notice at the soonest)",
        ),
        _kind(
            "membership-lapsed",
            S,
            DAY,
            ("会员卡已过期", "您的{plan}已过期，相关权益已停止{left}；续费将开通新的一期。"),
            (
                "Membership lapsed",
                "Your {plan} has lapsed and its benefits have stopped{left}; renewing starts a new term.",
            ),
            description="a paid card lapsed after its grace days",
        ),
        _kind(
            "birthday-gift",
            S,
            DAY,
            ("生日快乐", "祝您生日快乐！您的生日礼{points}积分已到账。"),
            ("Happy birthday", "Happy birthday! Your birthday gift of {points} points is in your account."),
            description="the birthday gift (生日礼) given in the member's birthday month, once a year",
        ),
        _kind(
            "membership-cancelled",
            S,
            NOW,
            ("会员卡已退卡", "您的{plan}已退卡，退款{refund}元{refund_to}。"),
            ("Membership cancelled", "Your {plan} was cancelled; {refund} CNY refunded{refund_to_en}."),
            description="a paid card cancelled, with its refund and where it goes",
        ),
        _kind(
            "membership-card-waiting",
            S,
            NOW,
            ("会员卡已购买", "您的{plan}已购买，首次到店时开卡起算，最迟{starts_on}自动开卡。"),
            ("Membership bought", "Your {plan} is bought; it starts at your first visit, or by itself on {starts_on}."),
            description="a card bought to start at the first visit (首次使用开卡), with the day it starts by itself",
        ),
        _kind(
            "membership-activated",
            S,
            NOW,
            ("会员卡已开卡", "您的{plan}已开卡，有效期至{valid_until}。"),
            ("Membership opened", "Your {plan} is opened and runs until {valid_until}."),
            description="a card waiting for the first visit opened at the counter (开卡), with its end",
        ),
        _kind(
            "membership-paused",
            S,
            NOW,
            ("会员卡停卡通知", "您的{plan}{done}{days}天（{first}至{last}），期间权益暂停，到期日顺延至{until}。"),
            (
                "Membership paused",
                "Your {plan} {done} for {days} days ({first} to {last}); its benefits resume "
                "after, and it now ends on {until}.",
            ),
            description="a paid card paused at the desk (停卡), with its new end",
        ),
        _kind(
            "membership-resumed",
            S,
            NOW,
            ("会员卡复卡通知", "您的{plan}{done}，到期日为{until}。"),
            ("Membership resumed", "Your {plan} {done}; it ends on {until}."),
            description="a paused card resumed early (复卡), with its end",
        ),
        _kind(
            "membership-term-ending",
            S,
            DAY,
            (
                "本期次数即将到期",
                "您的{plan}本期将于{term_ends_on}结束，{uses_left}，到期后不转入已续的下一期，请尽快使用。",
            ),
            (
                "This term's uses end soon",
                "This term of your {plan} ends on {term_ends_on}; {uses_left_en}, and they do not carry into the term "
                "you renewed: use them before then.",
            ),
            description="a term of a pack renewed ahead ends in 7 days with its own uses left, which end with it",
        ),
        _kind(
            "membership-extended",
            S,
            NOW,
            ("会员卡延期通知", "您的{plan}已延期{days}天，有效期至{valid_until}。"),
            ("Membership extended", "Your {plan} is extended by {days} days and now ends on {valid_until}."),
            description="days given after a paid card's end by staff (延期), with its new end",
        ),
        _kind(
            "benefit-used",
            S,
            NOW,
            ("权益使用提醒", "您{where}使用了「{benefit}」1次，{left}。如非您或家人使用，请联系门店。"),
            ("Benefit used", "You used 1 {benefit}{where}; {left}. Not you or your family? Please tell the store."),
            description="a counted benefit used at the counter (消课提醒), where, and what is left (a pack's last "
            "few ask for a renewal: 课时不足提醒)",
            also=("remaining",),
        ),
        _kind(
            "benefit-use-reversed",
            S,
            NOW,
            (
                "权益使用已撤销",
                "您的「{benefit}」使用记录已撤销1次，次数已退回，现有{remaining}次。如有疑问，请联系门店。",
            ),
            (
                "Benefit use taken back",
                "One use of {benefit} was taken back; {remaining} now. Questions? Please ask the store.",
            ),
            description="a counted benefit's use taken back at the counter, with what there is now",
        ),
        _kind(
            "announcement",
            M,
            DAY,
            ("{title}", "{text}"),
            ("{title}", "{text}"),
            channels=("sms", "wechat", "push", "email"),
            description="a marketing message staff send to members",
        ),
    )
}
