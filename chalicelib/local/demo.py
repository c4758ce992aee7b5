"""The demo chain's last 30 days, for the local stack: members joining at four stores, buying, earning points and
tiers, redeeming, losing points that expired, topping up and paying from their wallets, claiming and using coupons,
exchanging points in the points mall, buying a paid membership card and using one of its benefits, writing feedback.

Everything goes through the domain services, on the platform's clock pinned to the moment each thing happens (the
way a test pins it), so every profile, ledger entry, event and statistic carries that moment and they all agree: the
ledgers hold only what the services booked, and the statistics consumer counts the events on the days they were
booked, once the outbox relay hands them on. The story is anchored to the day it was first told (kept in a marker),
and each step is idempotent (its own order, payment, refund and Idempotency-Key ids; registrations find their
phone's member), so a seeding cut short resumes where it stopped and a finished one is never told twice.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from chalicelib.identity.access import Caller
from chalicelib.identity.rules import StaffGrant
from chalicelib.shared import clock
from chalicelib.shared.context import Origin, acting_as
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import DomainError
from chalicelib.shared.idempotency import IdempotencyKey
from chalicelib.shared.phrases import Phrase
from chalicelib.shared.settings import get_settings
from chalicelib.shared.unique import UniqueRecord

DAYS = 30
MARKER = "demo:story"
DEMO_PHONE = "13800138000"  # the member whose password .local/credentials.json keeps under "member"
STORES = ("SH-001", "BJ-001", "GZ-001", "CD-001")
NAMES = (
    "张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏", "徐强", "孙悦", "胡军", "朱琳",
    "高峰", "林涛", "何雪", "郭亮", "马超", "罗敏", "梁晨", "宋佳", "郑宇", "谢婷", "韩冰", "唐诗", "冯刚", "于洁",
    "董鹏", "萧然", "程琳", "曹阳", "袁媛", "邓超", "许晴", "傅博", "沈月", "曾毅", "彭丹", "吕斌",
)  # fmt: skip
PRICES = (8_800, 12_900, 19_900, 25_900, 39_900, 59_900, 89_900)  # fen
BIG_SPENDERS = {0: 128_000, 5: 329_000, 12: 168_000, 21: 812_000}  # member index -> one large order (tiers move)
GIFT_CARD_BATCH = "春节礼品卡 ¥200"  # twenty printed; three sold at the flagship, one bound by a member
PLAN = {"plan_id": "CZ-500-50", "name": "充500送50", "pay_fen": 50_000, "bonus_fen": 5_000, "gift_points": 0}
TRIAL_POINTS, TRIAL_DAYS = 50, 7  # 限时体验积分 for the first week's members, all expiring on one day
PRODUCTS = {"tops": "纯棉T恤", "outerwear": "羽绒夹克", "shoes": "休闲运动鞋", "accessories": "羊毛围巾"}  # by category
TOPPED_UP = (0, 3, 5, 10, 17, 26)  # members who buy the top-up plan the day they join
FEEDBACK = (
    (0, "suggestion", "希望静安店周末营业到晚上十点。", True),
    (7, "complaint", "排队结账等了二十分钟，希望多开一个收银台。", True),
    (14, "praise", "天河店的店员很耐心，帮我找到了合适的尺码，谢谢！", False),
)
ANSWER = "已转告门店，周末营业时间将延长至晚上十点，感谢您的建议！"
COUPON_TEMPLATES = {  # name -> template: a claimable welcome coupon, and a percent coupon marketing gives out (which
    # members may give to a friend, 转赠)
    "新人满100减10": {"kind": "threshold", "threshold_fen": 10_000, "amount_off_fen": 1_000,
                  "validity": {"days_after_issue": 30}, "stock": 500, "per_member_limit": 1, "claimable": True},
    "会员专享9折": {"kind": "percent_off", "percent_off": 10, "cap_fen": 5_000, "validity": {"days_after_issue": 14},
                "stock": 200, "description": "最多减50元", "transferable": True},
}  # fmt: skip
CLAIMERS = (0, 2, 4, 6, 9, 13, 18, 22, 30)  # members who claim the welcome coupon the day they join
GIFTED = (0, 5, 12, 21)  # members marketing gives the 9折 coupon (the big spenders, and the demo member)
EARN_RULES = {  # a point a yuan (none on gift cards); a check-in, a review and a share earn a little, once a day
    "base_rate": 1,
    "excluded_categories": ["gift-card"],
    "activities": {"checkin": {"points": 5, "per_day": 1}, "review": {"points": 20, "per_day": 1},
                   "share": {"points": 10, "per_day": 1}},
}  # fmt: skip
MALL_REWARDS = {  # name -> reward: the 9折 coupon for points, a tote bag picked up in store, a cup for points + cash;
    # "picture": the drawing of ``pictures`` published as its picture
    "会员专享9折券": {"kind": "coupon", "template": "会员专享9折", "points": 300, "stock": 100, "per_member_limit": 1,
                 "limit_period": "month", "picture": "coupon",
                 "description": "兑换后立即发放到「我的优惠券」，14 天内有效，最多减 50 元"},
    "品牌帆布袋": {"kind": "goods", "fulfilment": "pickup", "points": 500, "stock": 50, "per_member_limit": 2,
              "picture": "tote_bag", "description": "加厚帆布，容量 15 升。兑换后凭提货码到所选门店领取。"},
    "保温杯（积分+现金）": {"kind": "goods", "fulfilment": "shipping", "points": 800, "cash_fen": 2_990, "stock": 30,
                   "picture": "vacuum_cup",
                   "description": "304 不锈钢，500 毫升，包邮到家。兑换后请在规定时间内支付现金部分。"},
}  # fmt: skip
PICKED = "品牌帆布袋"  # the reward the demo member exchanged yesterday and has yet to pick up at their store
MEMBERSHIP_PLAN = {  # the paid card (付费会员卡) the demo member bought from their wallet, with one class used since
    "name": "健身金卡·月卡", "term": {"months": 1}, "price_fen": 29_900,
    "description": "每周一节私教课，购物9折，并享黄金会员权益。可免费试用 7 天。",
    "benefits": [
        {"benefit_id": "pt-session", "name": "私教课每周1次", "kind": "quota", "quota": 1, "period": "week",
         "value_fen": 10_000},
        {"benefit_id": "discount", "name": "购物9折", "kind": "discount", "rate": "0.9"},
        {"benefit_id": "gold", "name": "享黄金会员权益", "kind": "tier_floor", "tier": "gold"},
    ],
    "trial_days": 7, "auto_renew": True, "grace_days": 3, "refund": {"kind": "pro_rata", "deduct_used": True},
}  # fmt: skip


AGREEMENTS = {  # what members accept when they join online (会员协议, 隐私政策), as a chain's lawyer might start them
    "terms": ("会员协议", [
        "欢迎加入本品牌会员计划。本协议是您与本品牌就会员服务达成的约定，请您在注册前仔细阅读。",
        "一、会员资格：年满十四周岁、持有中国大陆手机号的个人均可注册成为会员，一个手机号只能注册一个会员账户。",
        "二、积分：消费实付金额每 1 元累积 1 积分，退货时扣回相应积分。"
        "积分有效期与兑换规则以会员中心公布的为准，积分不可转让、不可兑换现金。",
        "三、等级与权益：会员等级按会员中心公布的等级规则评定（现行规则按年度累计消费），每年复核一次；各等级权益以会员中心公布的为准。",
        "四、储值：储值余额分为本金与赠送金，本金可按规定申请退还，赠送金不可提现。储值卡为记名卡，余额上限 5,000 元。",
        "五、账户安全：请妥善保管验证码与密码，因您泄露造成的损失由您自行承担；发现异常请及时联系客服。",
        "六、协议变更：本协议如有重大变更，我们会在会员中心提示，经您同意后生效。",
        "七、客服热线：400-000-0000（每日 9:00–21:00）。",
    ]),
    "privacy": ("隐私政策", [
        "本政策说明我们在会员服务中如何收集、使用、保存和保护您的个人信息，以及您享有的权利。",
        "一、我们收集的信息：手机号（用于注册登录与身份核验）、姓名、生日与性别（选填，用于生日礼遇与服务），以及消费、积分、储值与优惠券记录。",
        "二、使用目的：提供会员服务、计算积分与等级、发放权益、处理退款；经您单独同意后，向您发送营销消息，您可随时在「消息设置」中关闭。",
        "三、保存与保护：个人信息加密存储于中国境内，员工按岗位最小权限访问，手机号等信息在后台默认脱敏显示。",
        "四、共享：除法律法规要求外，我们不会向第三方出售或提供您的个人信息。",
        "五、您的权利：您可以查阅、更正个人信息，撤回营销同意，或申请注销会员；注销后我们将删除或匿名化您的个人信息。",
        "六、联系我们：如对本政策有疑问，请通过会员中心「意见反馈」或客服热线与我们联系。",
    ]),
}  # fmt: skip


@dataclass(order=True)
class Step:
    """One thing that happens at ``at``."""

    at: datetime
    order: int
    run: Callable[[], Any] = field(compare=False)
    staff: str | None = field(default=None, compare=False)  # the demo staff member who does it (None: the system)


@dataclass
class Cast:
    """Who acts in the story: the demo partner's POS, and the demo staff by username (``staff`` answers once the
    account exists: the accounts are made beside the story, their passwords' hashing outside the GIL)."""

    partner_id: str
    staff: Callable[[str], Caller]


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, datetime.min.time(), get_settings().tz) + timedelta(hours=hour, minutes=minute)


def _published(drawing: str) -> str:
    """One of ``pictures``' drawings published as staff publish a picture: uploaded to its presigned URL, then checked
    and published (the same picture again is the same file); its url."""
    import requests

    from chalicelib.local import pictures
    from chalicelib.media import service as media

    upload_id, upload = media.new_upload("image/png")
    requests.put(upload.url, data=getattr(pictures, drawing)(), headers=upload.headers, timeout=30).raise_for_status()
    return media.publish(upload_id).url


def _started_on() -> date | None:
    """The first day of the story, if it was begun; None once it was told to the end."""
    marker = UniqueRecord.find(MARKER)
    if marker is None:
        start = clock.business_today() - timedelta(days=DAYS)
        UniqueRecord(MARKER, owner="seeding", created_at=clock.iso(clock.now()), fingerprint=start.isoformat()).save()
        return start
    return date.fromisoformat(marker.fingerprint or "") if marker.owner == "seeding" else None


def tell(cast: Cast) -> int:
    """Tell the story (or the rest of it); returns how many steps happened now (0: told before)."""
    from chalicelib.exports.service import set_landed_since
    from chalicelib.shared.jobs import platform_epoch, set_epoch

    start = _started_on()
    if start is None:
        return 0
    if platform_epoch() > start:
        set_epoch(start)  # the platform holds data from the story's first day: a job's first run looks back to it
        set_landed_since(start)  # and every event of the story is landed for the BI files as it is told
    steps = sorted(_steps(start, cast))
    done = 0
    for step in steps:
        if step.at > clock.now():
            continue
        actor = cast.staff(step.staff).scope if step.staff else "system"
        with clock.frozen(step.at), acting_as(Origin(actor)):
            try:
                step.run()
            except DomainError:
                continue  # a step told before (a resumed seeding) or refused as the platform would refuse it
        done += 1
    UniqueRecord(MARKER, owner="seeded", created_at=clock.iso(clock.now()), fingerprint=start.isoformat()).save()
    return done


def _steps(start: date, cast: Cast) -> list[Step]:
    """Every step of the story, from its first day, in no particular order (``tell`` sorts them)."""
    story, rng, now = Story(cast), random.Random(20261130), clock.now()  # the same story whenever it is told
    steps: list[Step] = []

    def at(moment: datetime, run: Callable[[], Any], staff: str | None = None) -> None:
        steps.append(Step(min(moment, now - timedelta(minutes=5)), len(steps), run, staff))

    trial_ends = start + timedelta(days=TRIAL_DAYS)
    at(_at(start, 8, 50), story.publish_agreements)
    at(_at(start, 8, 55), story.publish_earn_rules)
    at(_at(start, 9, 0), partial(story.create_plan, start), "finance")
    at(_at(start, 9, 5), story.create_coupon_templates, "marketing")
    at(_at(start, 9, 10), story.create_mall_rewards, "marketing")
    at(_at(start, 9, 15), story.create_membership_plan, "marketing")
    at(_at(start, 9, 20), story.create_gift_cards, "finance")
    at(_at(start + timedelta(days=3), 16, 10), story.sell_gift_cards, "cashier")
    at(_at(start + timedelta(days=6), 21, 5), partial(story.bind_gift_card, 3))
    for i, name in enumerate(NAMES):
        day = start + timedelta(days=i * (DAYS - 1) // (len(NAMES) - 1))
        joined = _at(day, 10 + rng.randrange(10), rng.randrange(60))
        home = STORES[i % len(STORES)]
        at(joined, partial(story.register, i, name, DEMO_PHONE if i == 0 else f"1370000{i:04d}", home))
        if i == 0:  # joined at a store, then agreed on the member pages; the others are asked at their first log-in
            at(joined + timedelta(minutes=2), partial(story.accept_agreements, i))
        if day < trial_ends:
            at(joined + timedelta(minutes=1), partial(story.trial, i, trial_ends))
        if i in TOPPED_UP:
            at(joined + timedelta(hours=2), partial(story.top_up, i, home))
        handed = _at(start + timedelta(days=DAYS - 2), 9, 30) if i == 0 else joined  # the demo member's still valid
        if i in CLAIMERS:
            at(handed + timedelta(minutes=30), partial(story.claim_coupon, i, "新人满100减10"))
        if i in GIFTED:
            at(handed + timedelta(minutes=40), partial(story.give_coupon, i, "会员专享9折"), "marketing")
        moment, spent = joined, 0
        orders = [rng.choice(PRICES) for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3)))]
        orders += [BIG_SPENDERS[i]] if i in BIG_SPENDERS else []
        for n, paid in enumerate(orders):
            moment += timedelta(days=rng.randint(0, 4), hours=rng.randint(1, 6))
            if moment >= now:
                break
            order_id, category = f"DEMO-{i:02d}-{n}", rng.choice(("tops", "outerwear", "shoes", "accessories"))
            store = home if rng.random() < 0.8 else rng.choice(STORES)  # members shop at any store of the chain
            if n == 0 and i in CLAIMERS and i != 0 and paid >= 10_000:  # the welcome coupon on the first order
                at(
                    moment - timedelta(minutes=1),
                    partial(story.use_coupon, i, order_id, paid, store),
                    "cashier" if store == STORES[0] else None,
                )  # elsewhere the store's POS redeems it
            at(moment, partial(story.buy, i, order_id, paid, store, category))
            spent += paid
            if i % 9 == 4 and n == 0 and paid >= 19_900:  # half of it returned two days later
                at(moment + timedelta(days=2), partial(story.refund, f"DEMO-RF-{i:02d}", order_id, paid // 2))
        if spent >= 30_000 and i % 4 == 1:
            at(moment + timedelta(days=1, hours=1), partial(story.redeem, i, 200))
    at(_at(start + timedelta(days=DAYS - 10), 19, 40), partial(story.buy_card, 0))  # from their wallet
    at(_at(start + timedelta(days=DAYS - 9), 18, 30), partial(story.use_benefit, 0, "pt-session"), "cashier")
    at(_at(start + timedelta(days=DAYS - 3), 15, 20), partial(story.pay, 0, "DEMO-PAY-00", 12_800, "SH-001"))
    at(_at(start + timedelta(days=DAYS - 2), 18, 5), partial(story.pay_at_counter, 5, 8_800, "SH-001"), "cashier")
    at(_at(trial_ends + timedelta(days=1), 0, 5), partial(story.expire, trial_ends))  # the nightly expiry
    at(_at(start + timedelta(days=DAYS - 1), 12, 30), partial(story.exchange, 0, PICKED, STORES[0]))  # their home store
    for n, (i, category, text, contact_ok) in enumerate(FEEDBACK):
        at(_at(start + timedelta(days=DAYS - 6 + n), 20, 30), partial(story.write, i, category, text, contact_ok))
    at(_at(start + timedelta(days=DAYS - 5), 10, 15), partial(story.answer, 0, ANSWER), "service")
    return steps


class Story:
    """The story's steps, each through a domain service as the platform's own callers would ask, run on the clock
    pinned to its moment. Members are known by their place in ``NAMES``."""

    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        self.pos = Caller("partner", cast.partner_id, StaffGrant(frozenset(), frozenset()))  # every store
        self.ids: dict[int, str] = {}
        self.written: dict[int, str] = {}

    @staticmethod
    def _key(name: str) -> IdempotencyKey:
        return IdempotencyKey(key=f"demo-{name}", operation="demo-seed", request_hash=name, caller="system")

    def create_plan(self, start: date) -> None:
        from chalicelib.wallet import plans
        from chalicelib.wallet.schemas import WalletPlanCreate

        plans.create(self.cast.staff("finance"), WalletPlanCreate.model_validate({**PLAN, "starts_on": start}))

    def create_coupon_templates(self) -> None:
        from chalicelib.coupons import service as coupons
        from chalicelib.coupons.schemas import CouponTemplateCreate

        made = {t["name"]: t["template_id"] for t in coupons.list_templates(None, 50, None, "zh-CN")[0]}
        for name, body in COUPON_TEMPLATES.items():
            if name not in made:  # not made before the seeding was cut short
                data = CouponTemplateCreate.model_validate({"name": name, **body})
                coupons.create_template(data.model_dump(mode="json", by_alias=True), "staff:demo-marketing", "zh-CN")

    def _template_id(self, name: str) -> str:
        from chalicelib.coupons import service as coupons

        return str(
            next(t["template_id"] for t in coupons.list_templates(None, 50, None, "zh-CN")[0] if t["name"] == name)
        )

    def claim_coupon(self, i: int, name: str) -> None:
        from chalicelib.coupons import service as coupons

        coupons.issue_for(self._template_id(name), self.ids[i], source_kind="claim", source_id=f"demo-claim-{i}")

    def give_coupon(self, i: int, name: str) -> None:
        from chalicelib.coupons import service as coupons

        coupons.issue_for(self._template_id(name), self.ids[i], source_kind="staff", source_id=f"demo-gift-{i}")

    def use_coupon(self, i: int, order_id: str, paid: int, store: str) -> None:
        from chalicelib.coupons import service as coupons

        till = self.cast.staff("cashier") if store == STORES[0] else self.pos  # the demo cashier works at SH-001
        found = coupons.eligibility(till, self.ids[i], {"store_id": store, "total_fen": paid}, None, "zh-CN")
        if found["usable"]:
            code = found["usable"][0]["code"]
            coupons.redeem(till, code, order_id, {"store_id": store, "total_fen": paid}, "zh-CN")

    def create_mall_rewards(self) -> None:
        from chalicelib.mall import rewards
        from chalicelib.mall.schemas import MallRewardCreate

        made = {reward["name"] for reward in rewards.list_rewards(50, None)[0]}
        for name, terms in MALL_REWARDS.items():
            if name not in made:  # not made before the seeding was cut short
                body = {key: value for key, value in terms.items() if key not in ("template", "picture")}
                if "template" in terms:
                    body["template_id"] = self._template_id(str(terms["template"]))
                body["images"] = [_published(str(terms["picture"]))]
                data = MallRewardCreate.model_validate({"name": name, **body})
                rewards.create_reward(self.cast.staff("marketing"), data, None)

    def create_gift_cards(self) -> None:
        from chalicelib.giftcards import service as giftcards

        if not any(batch["name"] == GIFT_CARD_BATCH for batch in giftcards.list_batches()):
            giftcards.create_batch(GIFT_CARD_BATCH, 20_000, 20, 36, self.cast.staff("finance").scope, None)

    def _gift_cards(self) -> list[tuple[str, str]]:
        """The demo batch's numbers and PINs, from the printer's file."""
        from chalicelib.giftcards import service as giftcards

        (batch,) = [batch for batch in giftcards.list_batches() if batch["name"] == GIFT_CARD_BATCH]
        text = giftcards.codes_file(batch["batch_id"]).decode("utf-8-sig")
        return [(row[0].replace(" ", ""), row[1]) for row in csv.reader(io.StringIO(text))][1:]

    def sell_gift_cards(self) -> None:
        from chalicelib.giftcards import service as giftcards

        numbers = [number for number, _ in self._gift_cards()[:3]]
        giftcards.sell(STORES[0], numbers, "wechat_pay", "DEMO-GC-1", self.cast.staff("cashier").scope)

    def bind_gift_card(self, i: int) -> None:
        from chalicelib.giftcards import service as giftcards

        number, pin = self._gift_cards()[0]
        giftcards.redeem(self.ids[i], number, pin)

    def exchange(self, i: int, name: str, store: str) -> None:
        from chalicelib.mall import rewards
        from chalicelib.mall import service as mall
        from chalicelib.mall.schemas import MallOrderCreate

        reward_id = next(reward["reward_id"] for reward in rewards.list_rewards(50, None)[0] if reward["name"] == name)
        order = MallOrderCreate(reward_id=reward_id, quantity=1, pickup_store_id=store)
        mall.place_order(self.ids[i], order, self._key(f"mall-order-{i}"))  # the same order again if told before

    def create_membership_plan(self) -> None:
        from chalicelib.membership import plans
        from chalicelib.membership.schemas import PlanCreate
        from chalicelib.tiers import programmes

        if any(plan["name"] == MEMBERSHIP_PLAN["name"] for plan in plans.listing()):
            return  # made before the seeding was cut short
        known = {tier.code for tier in programmes.programme().tiers}
        data = PlanCreate.model_validate(MEMBERSHIP_PLAN)
        plans.create(self.cast.staff("marketing"), data, known, coupon_exists=lambda template_id: False)  # no pack

    def _membership_plan_id(self) -> str:
        from chalicelib.membership import plans

        return str(next(plan["plan_id"] for plan in plans.listing() if plan["name"] == MEMBERSHIP_PLAN["name"]))

    def buy_card(self, i: int) -> None:
        from chalicelib.membership import service as membership

        membership.buy_as_member(self.ids[i], self._membership_plan_id(), "wallet", self._key(f"card-{i}"))

    def use_benefit(self, i: int, benefit_id: str) -> None:
        from chalicelib.membership import service as membership

        membership.use(self.ids[i], benefit_id, f"demo-use-{i}-{benefit_id}", "私教课 · 王教练", STORES[0])

    def publish_agreements(self) -> None:
        """The membership agreement and the privacy policy, version 1 of each."""
        from chalicelib.agreements import service as agreements
        from chalicelib.agreements.model import Kind

        if not agreements.current_documents():
            for kind, (title, paragraphs) in AGREEMENTS.items():
                agreements.publish("demo", Kind(kind), title, paragraphs, requires_acceptance=True)

    def accept_agreements(self, i: int) -> None:
        from chalicelib.agreements import service as agreements

        current = [(d["kind"], d["version"]) for d in agreements.current_documents()]
        agreements.accept_current(self.ids[i], current)

    def publish_earn_rules(self) -> None:
        """The chain's earn rules: a point a yuan, as before any version, and points for a daily check-in (签到), a
        review and a share, so the member pages' check-in earns something."""
        from chalicelib.purchases.schemas import RulesIn
        from chalicelib.purchases.service import publish, versions

        if not versions():
            publish(RulesIn.model_validate(EARN_RULES), "demo")

    def register(self, i: int, name: str, phone: str, store: str) -> None:
        from chalicelib.members import service as members
        from chalicelib.members.schemas import MemberCreate
        from chalicelib.purchases.activities import reward_registration

        data = MemberCreate(name=name, phone=phone, home_store_id=store, consents={"sms": i % 3 != 0,
                                                                                   "wechat": i % 2 == 0})  # fmt: skip
        try:
            self.ids[i] = members.register(data)[0]
        except members.PhoneTaken:  # registered before the seeding was cut short
            self.ids[i] = str(members.holder(phone=data.phone))
        # booked at the story's moment, as its consumer would have then (it finds it booked): booked by the consumer
        # once the story is told, every member's registration would count them active on the day the stack started.
        # It earns nothing here, so the story's own note of it is what makes the booking a write
        noted = Transaction()
        noted.put(UniqueRecord(f"demo-registered:{self.ids[i]}", owner=self.ids[i], created_at=clock.iso(clock.now())))
        reward_registration(self.ids[i], clock.now(), "store", alongside=noted)

    def trial(self, i: int, expires_on: date) -> None:
        from chalicelib.points import service as points

        reason = Phrase("限时体验积分", "Trial points")
        points.adjust(self.ids[i], TRIAL_POINTS, reason, None, source_kind="activity", source_id="demo-trial",
                      expires_on=expires_on, once=f"demo-trial-{i}")  # fmt: skip

    def buy(self, i: int, order_id: str, paid: int, store: str, category: str) -> None:
        from chalicelib.purchases import service as purchases
        from chalicelib.purchases.schemas import Purchase

        purchases.record_purchase(self.pos, Purchase.model_validate({
            "order_id": order_id, "member": {"member_id": self.ids[i]}, "store_id": store,
            "occurred_at": clock.now().isoformat(), "total_fen": paid, "paid_fen": paid, "payment_method": "wechat_pay",
            "items": [{"line_id": "1", "sku": f"{category.upper()}-{paid}", "name": PRODUCTS[category],
                       "category": category, "brand": "Acme", "quantity": 1, "amount_fen": paid}],
        }))  # fmt: skip

    def refund(self, refund_id: str, order_id: str, amount: int) -> None:
        from chalicelib.purchases import service as purchases
        from chalicelib.purchases.schemas import Refund

        purchases.record_refund(self.pos, Refund(refund_id=refund_id, order_id=order_id, occurred_at=clock.now(),
                                                 amount_fen=amount))  # fmt: skip

    def redeem(self, i: int, points_asked: int) -> None:
        from chalicelib.points import service as points

        points.redeem(
            self.ids[i], points_asked, Phrase("积分换购 帆布袋", "Points exchange: 帆布袋"), self._key(f"redeem-{i}")
        )

    def top_up(self, i: int, store: str) -> None:
        from chalicelib.wallet import service as wallet
        from chalicelib.wallet.schemas import WalletTopUp

        wallet.top_up(self.pos, WalletTopUp.model_validate({
            "payment_id": f"DEMO-TU-{i:02d}", "member": {"member_id": self.ids[i]}, "store_id": store,
            "occurred_at": clock.now().isoformat(), "amount_fen": PLAN["pay_fen"], "plan_id": PLAN["plan_id"],
        }))  # fmt: skip

    def pay(self, i: int, payment_id: str, amount: int, store: str) -> None:
        from chalicelib.wallet import service as wallet
        from chalicelib.wallet.schemas import WalletPayment

        wallet.pay(self.pos, WalletPayment.model_validate({
            "payment_id": payment_id, "member": {"member_id": self.ids[i]}, "store_id": store,
            "occurred_at": clock.now().isoformat(), "amount_fen": amount,
        }))  # fmt: skip

    def pay_at_counter(self, i: int, amount: int, store: str) -> None:
        from chalicelib.members import service as members
        from chalicelib.wallet import service as wallet
        from chalicelib.wallet.schemas import WalletCounterPayment

        shown = members.member_code(self.ids[i]).code  # the member shows their code at the till
        payment = WalletCounterPayment(
            store_id=store, amount_fen=amount, order_id=f"{store}-DEMO-{i:04d}", member_code=shown
        )
        wallet.pay_at_counter(self.ids[i], payment)

    def expire(self, through: date) -> None:
        from chalicelib.points.jobs import expire_points
        from chalicelib.shared.jobs import run_job

        run_job(expire_points, through)

    def write(self, i: int, category: str, text: str, contact_ok: bool) -> None:
        from chalicelib.feedback import service as feedback
        from chalicelib.feedback.model import Category

        if not feedback.mine(self.ids[i], 1, None)[0]:  # not written before the seeding was cut short
            self.written[i] = feedback.submit(self.ids[i], Category(category), text, contact_ok)["feedback_id"]

    def answer(self, i: int, reply: str) -> None:
        from chalicelib.feedback import service as feedback
        from chalicelib.shared.versions import ANY_VERSION

        if i in self.written:
            feedback.close(self.cast.staff("service"), self.written[i], reply, ANY_VERSION)
