"""The one place messages are decided, as a table: channel × purpose × what the member said × the hour × the cap,
and the words the decision sends (no AWS)."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.notifications.kinds import KINDS, Words
from chalicelib.notifications.rules import (
    Cap,
    KindSetting,
    Policy,
    Situation,
    decide,
    name_students,
    quiet_hours_problem,
    render,
    unknown_variables,
    with_opt_out,
)
from chalicelib.notifications.triggers import notices_of
from chalicelib.shared import clock
from chalicelib.shared.phrases import Phrase

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 20, 14, 0, tzinfo=TZ)
NIGHT = datetime(2026, 11, 20, 22, 30, tzinfo=TZ)
ALL = frozenset({"sms", "email", "push", "wechat"})
POLICY = Policy()
RECEIPT, REMINDER, MARKETING, CODE = (
    KINDS[k] for k in ("wallet-paid", "points-expiring", "announcement", "login-code")
)


def situation(
    kind, *, now=DAY, reachable=frozenset({"sms"}), consents=None, capped=frozenset(), send_by=None, policy=POLICY
):
    return Situation(kind, policy, now, reachable, consents or {}, capped, send_by)


# (kind, what the member said, the hour, capped?) -> (outcome, channel, reason)
MATRIX = [
    # service on SMS: on unless switched off; immediate receipts ignore the hour, reminders wait for the day
    (RECEIPT, {}, DAY, False, ("send", "sms", None)),
    (RECEIPT, {}, NIGHT, False, ("send", "sms", None)),
    (RECEIPT, {"sms:service": False}, DAY, False, ("inbox", None, "opted-out")),
    (RECEIPT, {"sms:marketing": False}, DAY, False, ("send", "sms", None)),
    (REMINDER, {}, DAY, False, ("send", "sms", None)),
    (REMINDER, {}, NIGHT, False, ("hold", "sms", None)),
    (REMINDER, {"sms:service": False}, NIGHT, False, ("inbox", None, "opted-out")),
    # marketing: needs its consent, and the channel not switched off; held at night; capped passes the channel over
    (MARKETING, {}, DAY, False, ("suppressed", None, "no-consent")),
    (MARKETING, {"sms:marketing": False}, DAY, False, ("suppressed", None, "opted-out")),
    (MARKETING, {"sms:marketing": True}, DAY, False, ("send", "sms", None)),
    (MARKETING, {"sms:marketing": True}, NIGHT, False, ("hold", "sms", None)),
    (MARKETING, {"sms:marketing": True}, DAY, True, ("suppressed", None, "capped")),
    (MARKETING, {"sms:marketing": True, "sms:service": False}, DAY, False, ("suppressed", None, "opted-out")),
    # login codes: always, at any hour, whatever the member said
    (CODE, {"sms:service": False, "sms:marketing": False}, NIGHT, True, ("send", "sms", None)),
]


@pytest.mark.parametrize(("kind", "said", "now", "capped", "expected"), MATRIX)
def test_the_consent_matrix(kind, said, now, capped, expected):
    decision = decide(situation(kind, now=now, consents=said, capped=frozenset({"sms"}) if capped else frozenset()))
    assert (decision.outcome, decision.channel if decision.outcome in ("send", "hold") else None, decision.reason) == (
        expected
    )


def test_a_held_message_is_released_when_the_quiet_hours_end_the_next_morning():
    decision = decide(situation(REMINDER, now=NIGHT))
    assert decision.release_at == datetime(2026, 11, 21, 9, 0, tzinfo=TZ)
    early = decide(situation(REMINDER, now=datetime(2026, 11, 21, 6, 0, tzinfo=TZ)))
    assert early.release_at == datetime(2026, 11, 21, 9, 0, tzinfo=TZ)


def test_a_message_that_would_arrive_after_its_date_or_too_late_is_dropped_to_the_inbox():
    due_tonight = decide(situation(REMINDER, now=NIGHT, send_by=datetime(2026, 11, 21, 0, 0, tzinfo=TZ)))
    assert (due_tonight.outcome, due_tonight.reason) == ("inbox", "too-late")
    impatient = replace(POLICY, max_delay=timedelta(hours=2))
    late = decide(situation(REMINDER, now=NIGHT, policy=impatient))
    assert (late.outcome, late.reason) == ("inbox", "too-late")
    marketing = decide(situation(MARKETING, now=NIGHT, consents={"sms:marketing": True}, policy=impatient))
    assert (marketing.outcome, marketing.reason) == ("suppressed", "too-late")


def test_the_first_channel_the_member_allows_carries_it_and_the_others_are_named_with_their_reason():
    said = {"sms:service": False}
    decision = decide(situation(RECEIPT, reachable=ALL - {"wechat"}, consents=said))
    assert (decision.channel, decision.inbox) == ("push", True)
    assert decision.passed_over == (("sms", "opted-out"), ("wechat", "no-address"))


def test_a_capped_channel_is_passed_over_for_the_next_allowed_one():
    said = {"sms:marketing": True, "push:marketing": True}
    decision = decide(situation(MARKETING, reachable=ALL, consents=said, capped=frozenset({"sms"})))
    assert (decision.outcome, decision.channel, decision.passed_over[0]) == ("send", "push", ("sms", "capped"))


def test_a_kind_switched_off_sends_nothing_and_a_kind_may_take_the_inbox_for_marketing():
    off = replace(POLICY, kinds={"wallet-paid": KindSetting(False, ("sms",))})
    assert decide(situation(RECEIPT, policy=off)).reason == "disabled"
    inbox_too = replace(POLICY, kinds={"announcement": KindSetting(True, ("sms", "inbox"))})
    decision = decide(situation(MARKETING, policy=inbox_too))
    assert (decision.outcome, decision.inbox, decision.reason) == ("inbox", True, "no-consent")


def test_quiet_hours_must_cover_the_night_the_providers_refuse():
    assert quiet_hours_problem(time(21), time(9)) is None
    assert quiet_hours_problem(time(20), time(8)) is None
    assert "22:00–08:00" in quiet_hours_problem(time(23), time(8))
    assert quiet_hours_problem(time(22), time(7)) is not None
    assert quiet_hours_problem(time(9), time(9)) == "quiet hours must not be empty"


def test_caps_count_calendar_weeks_and_days():
    assert Cap("sms", 2).period_key(datetime(2026, 11, 22).date()) == "week:2026-11-16"  # a Sunday: its Monday
    assert Cap("push", 1, "day").period_key(datetime(2026, 11, 22).date()) == "day:2026-11-22"


def test_words_fill_their_variables_and_marketing_sms_end_with_the_opt_out():
    words = render(Words("{title}", "{text}，{missing}"), {"title": "双11", "text": "8折"})
    assert words == Words("双11", "8折，")
    assert with_opt_out("8折", MARKETING.purpose, "sms", "拒收请回复R") == "8折拒收请回复R"
    english = "Your coupon is valid until 2 Jan 2027."  # a walkthrough read "…2 Jan 2027.拒收请回复R"
    assert with_opt_out(english, MARKETING.purpose, "sms", "拒收请回复R") == f"{english} 拒收请回复R"
    assert with_opt_out("8折 回T退订", MARKETING.purpose, "sms", "拒收请回复R") == "8折 回T退订"
    assert with_opt_out("到账", RECEIPT.purpose, "sms", "拒收请回复R") == "到账"
    assert unknown_variables("{points}{nope}", ("points",)) == ["nope"]


def test_business_dates_read_as_members_write_them_in_their_language():
    words = Words("{valid_until}", "{points}积分将于{expires_on}过期，{order_id}")
    variables = {"valid_until": "2026-12-31", "expires_on": "2027-01-05", "points": 40, "order_id": "2026-13-99"}
    assert render(words, variables) == Words("2026年12月31日", "40积分将于2027年1月5日过期，2026-13-99")
    assert render(words, variables, "en") == Words("31 Dec 2026", "40积分将于5 Jan 2027过期，2026-13-99")
    assert render(Words("{a}", "{a}"), {"a": "2026-12-31T10:00:00Z"}).text == "2026-12-31T10:00:00Z"  # no date
    card = KINDS["membership-card-paid"].words  # a card with no end: 永久 in Chinese, not in English
    forever = Phrase("永久", "further notice")  # the platform's words render in the language of the words around
    active = Phrase("已生效", "active")
    assert render(card["zh-CN"], {"plan": "金卡", "valid_until": forever, "done": active}).text == (
        "您的金卡已生效，有效期至永久。"
    )
    assert render(card["en"], {"plan": "Gold", "valid_until": forever, "done": active}, "en").text == (
        "Your Gold is active until further notice."
    )
    assert render(Words("{a}", "{a}"), {"a": "永久"}, "en").text == "永久"  # text that only reads the same stays
    (lifetime,) = notices_of(
        "membership.card-paid", {"member_id": "mb_1", "payment_id": "p1", "plan_name": "金卡"}, TZ, 0
    )
    assert render(card["en"], lifetime.variables, "en").text == "Your 金卡 is active until further notice."


@pytest.mark.parametrize(
    ("said", "zh", "en"),
    [
        ({"remaining": 2, "store_name": "西湖校区", "period": "term", "quota": 24},  # a pack's last lessons
         "您在西湖校区使用了「美术课」1次，本期还剩2次，即将用完，请及时续费。如非您或家人使用，请联系门店。",
         "You used 1 美术课 at 西湖校区; 2 left this period: renew soon. Not you or your family?"),
        ({"remaining": 0, "period": "term", "quota": 24}, "您使用了「美术课」1次，已全部用完，续费后可继续使用。",
         "You used 1 美术课; all used: renew to carry on."),
        ({"remaining": 47, "ahead": 24, "period": "term"},  # two packs: 本期还剩47次 was read
         "您使用了「美术课」1次，本期还剩23次，另有续费的24次。", "23 left this period, and 24 of the terms paid"),
        ({"remaining": 26, "source_remaining": 2, "period": "term", "quota": 3},  # two cards (a review): apart,
         "您使用了「美术课」1次，本期还剩2次，其他卡另有24次。", "2 left this period; 24 more on your other cards"),
        ({"remaining": 1, "period": "term", "quota": 2},  # a few a term: no renewal asked at every use
         "您使用了「美术课」1次，本期还剩1次。", "1 left this period."),
        ({"remaining": 0, "period": "week"},  # a week's come again
         "您使用了「美术课」1次，本期还剩0次。", "0 left this period."),
        ({"remaining": 5}, "您使用了「美术课」1次，本期还剩5次。", "You used 1 美术课; 5 left this period."),  # before
    ],
)  # fmt: skip
def test_a_use_says_where_what_is_left_this_period_and_ahead_and_asks_for_a_renewal_near_the_end(said, zh, en):
    event = {"member_id": "mb_1", "use_id": "U-1", "benefit_name": "美术课", **said}
    (notice,) = notices_of("membership.benefit-used", event, TZ, 0)
    words = KINDS["benefit-used"].words
    assert zh in render(words["zh-CN"], notice.variables).text
    assert en in render(words["en"], notice.variables, "en").text


def test_events_give_one_notice_each_keyed_by_what_makes_it_once():
    paid = {
        "member_id": "mb_1",
        "partner_id": "pt_1",
        "payment_id": "P-1",
        "principal_fen": 1_500,
        "bonus_fen": 0,
        "balance_after_fen": 900,
    }
    notices = notices_of("wallet.paid", paid, TZ, 2_000)
    assert [(n.kind, n.occurrence, dict(n.variables)) for n in notices] == [
        ("wallet-paid", "pt_1:P-1", {"amount": "15.00", "balance": "9.00"}),
        ("wallet-low-balance", "pt_1:P-1", {"balance": "9.00"}),
    ]
    emptied = notices_of("wallet.paid", {**paid, "balance_after_fen": 0}, TZ, 2_000)  # spent to nothing: the receipt
    assert [n.kind for n in emptied] == ["wallet-paid"]  # says it (a walkthrough read 仅剩0.00元 after a card)
    back = {**paid, "refund_id": "R-1", "principal_fen": 1_000, "bonus_fen": 200, "balance_after_fen": 2_100}
    assert [(n.kind, n.occurrence, dict(n.variables)) for n in notices_of("wallet.refunded", back, TZ, 2_000)] == [
        ("wallet-refunded", "pt_1:R-1", {"amount": "12.00", "principal": "10.00", "bonus": "2.00", "balance": "21.00"})
    ]  # a refund never warns of a low balance: it raised it
    out = {
        "member_id": "mb_1",
        "cash_refund_id": "wc_1",
        "principal_fen": 5_000,
        "bonus_fen": 500,
        "balance_after_fen": 0,
    }
    assert [(n.kind, n.occurrence, dict(n.variables)) for n in notices_of("wallet.cash-refunded", out, TZ, 2_000)] == [
        ("wallet-cash-refunded", "wc_1", {"principal": "50.00", "bonus": "5.00", "balance": "0.00"})
    ]
    expiring = notices_of("points.expiring", {"member_id": "mb_1", "expires_on": "2026-12-01", "points": 5}, TZ, 0)
    assert expiring[0].send_by == datetime(2026, 12, 2, 0, 0, tzinfo=TZ)
    assert notices_of("points.earned", {"member_id": "mb_1", "points": 5, "seq": 3, "source_kind": "gift"}, TZ, 0) == []
    assert (
        notices_of("tier.changed", {"member_id": "mb_1", "change_id": "c", "tier": "gold", "reason": "override"}, TZ, 0)
        == []
    )
    assert notices_of("coupon.issued", {"template_id": "t", "count": 3, "batch_id": "b"}, TZ, 0) == []


@pytest.mark.parametrize(("source", "reason"), [("registration", "no-consent"), ("import", "no-consent"),
                                                ("member-page", "opted-out"), ("sms-reply", "opted-out")])  # fmt: skip
def test_a_marketing_no_given_on_joining_is_no_consent_and_a_later_one_is_opted_out(source, reason):
    """The report says why a member got no marketing: one who declined as they joined never agreed; one who said no
    later (their pages, a reply T, a link) withdrew."""
    from chalicelib.notifications.kinds import Purpose
    from chalicelib.notifications.profiles import Profile
    from chalicelib.notifications.rules import consent_reason

    said = {"granted": False, "at": "2026-11-03T10:00:00.000Z", "source": source, "wording_version": "2026-11"}
    service = {"granted": False, "at": "2026-11-03T10:00:00.000Z", "source": source, "wording_version": "2026-11"}
    states = Profile("mb_1", consents={"sms:marketing": said, "email:service": service}).states()
    assert consent_reason("sms", Purpose.MARKETING, states) == reason
    assert consent_reason("email", Purpose.SERVICE, states) == "opted-out"  # a service "no" is a switch turned off


def test_a_mall_order_s_message_names_what_was_exchanged_not_the_order_id():
    """Found by a walkthrough: the inbox read 您的积分商城订单mo_01M8…已可到店自提."""
    ready = {
        "member_id": "mb_1",
        "order_id": "mo_01M8TG8FA0CZ",
        "reward_name": "品牌帆布袋",
        "pickup_store_id": "SH-001",
        "pickup_store_name": "静安店",
    }
    (notice,) = notices_of("mall.order-ready-for-pickup", ready, TZ, 2_000)
    text = render(KINDS["mall-order-ready"].words["zh-CN"], notice.variables).text
    assert text == "您在积分商城兑换的品牌帆布袋已可到静安店自提，请在会员中心的兑换订单里出示提货码。"  # which store
    unnamed = {key: value for key, value in ready.items() if key != "pickup_store_name"}  # an event from before
    (older,) = notices_of("mall.order-ready-for-pickup", unnamed, TZ, 2_000)
    assert "已可到门店自提" in render(KINDS["mall-order-ready"].words["zh-CN"], older.variables).text
    assert "ready at the store" in render(KINDS["mall-order-ready"].words["en"], older.variables, "en").text
    assert "mo_" not in text
    assert "order_id" in KINDS["mall-order-ready"].variables  # an operator's template may still name the order
    (older,) = notices_of("mall.order-shipped", {"member_id": "mb_1", "order_id": "mo_2"}, TZ, 2_000)
    assert older.variables["reward"] == "mo_2"  # an event from before names no reward: the order id stands in


def test_an_inbox_message_about_a_mall_order_names_it_for_the_pages_to_open():
    from chalicelib.notifications.messages import inbox_item
    from chalicelib.notifications.records import MessageRecord

    ready = MessageRecord("ms_1", kind="mall-order-ready", occurrence="mo_01M8", purpose="service", created_at="t")
    receipt = MessageRecord("ms_2", kind="wallet-paid", occurrence="wp_01", purpose="service", created_at="t")
    assert (inbox_item(ready)["about"], inbox_item(receipt)["about"]) == ("mo_01M8", None)


def test_a_template_without_english_words_keeps_its_dates_chinese_for_an_english_member(monkeypatch):
    """Found by a review: staff's templates need no English words, and an English member then reads the Chinese ones,
    whose dates must read as Chinese does."""
    from chalicelib.notifications import service, settings

    chinese = Words("积分即将过期", "您有{points}积分将于{expires_on}过期")
    zh_only = settings.Template("points-expiring", "sms", {"zh-CN": chinese}, custom=True)
    monkeypatch.setattr(settings, "template", lambda kind, channel: zh_only)
    words = service._words("points-expiring", "sms", "en", {"points": 40, "expires_on": "2026-12-31"})
    assert words.text == "您有40积分将于2026年12月31日过期"
    both = settings.Template("points-expiring", "sms", {**zh_only.words, "en": Words("Expiring", "by {expires_on}")})
    monkeypatch.setattr(settings, "template", lambda kind, channel: both)
    assert service._words("points-expiring", "sms", "en", {"expires_on": "2026-12-31"}).text == "by 31 Dec 2026"


def test_a_card_refund_going_back_two_ways_says_each():
    """An education chain's walkthrough: ¥9,200 refunded, ¥4,800 of it to stored value and ¥4,400 in cash at the
    centre, read "退款9200.00元" and nothing of where."""
    parts = [{"payment_id": "P-1", "amount_fen": 480_000, "method": "wallet"},
             {"payment_id": "P-2", "amount_fen": 440_000, "method": "counter"}]  # fmt: skip
    event = {"member_id": "m", "card_id": "c", "plan_id": "p", "cancel_id": "C-1", "plan_name": "48课时包",
             "refund_fen": 920_000, "parts": parts}  # fmt: skip
    (notice,) = notices_of("membership.card-cancelled", event, TZ, 2_000)
    assert notice.variables["refund_to"] == "（4400.00元由门店按原支付方式退还，4800.00元已退回储值）"
    assert (
        notice.variables["refund_to_en"]
        == " (4400.00 CNY refunded by the store the way you paid; 4800.00 CNY back in your stored value)"
    )
    (one,) = notices_of("membership.card-cancelled", {**event, "parts": parts[:1], "refund_fen": 480_000}, TZ, 2_000)
    assert one.variables["refund_to"] == "，已退回储值"


def test_a_card_ending_says_its_unused_classes_end_with_it_unless_a_renewal_carries_them():
    """An education chain's walkthrough renewed and still lost 38 lessons the reminder said renewing would keep; a
    review: a benefit that rolls over does carry them."""
    event = {"member_id": "m", "card_id": "c", "plan_name": "48课时包", "valid_until": "2027-12-03", "days_left": 7,
             "uses_left": [{"benefit": "课时", "left": 38, "carries": False}, {"benefit": "体测", "left": 1,
                                                                              "carries": True}]}  # fmt: skip
    (notice,) = notices_of("membership.card-expiring", event, TZ, 2_000)
    assert (
        notice.variables["uses_left"] == "，课时还剩38次未使用（到期作废，续费不结转），体测还剩1次未使用（续费可结转）"
    )


def test_a_card_refunded_by_what_was_not_used_says_its_classes_left_can_still_be_refunded():
    """A beauty salon's walkthrough read 到期作废 for facials its plan refunds: they stay refundable after the end."""
    event = {
        "member_id": "m",
        "card_id": "c",
        "plan_name": "面部护理10次卡",
        "valid_until": "2027-12-03",
        "days_left": 7,
        "uses_left": [{"benefit": "面部护理", "left": 7, "carries": False, "refundable": True}],
    }
    (notice,) = notices_of("membership.card-expiring", event, TZ, 2_000)
    assert notice.variables["uses_left"] == "，面部护理还剩7次未使用（续费不结转，到期后仍可申请退还未使用部分）"
    assert (
        notice.variables["uses_left_en"]
        == "; 7 × 面部护理 not used yet (a renewal does not carry them; what is not used can still be refunded after it"
        " ends)"
    )


def test_a_top_up_receipt_names_its_bonus_and_the_gift_points_still_to_come():
    """A tea chain's walkthrough: 充100送20 with 100 gift points said nothing of the points, at the till or by text."""
    topped = {"member_id": "mb_1", "partner_id": "counter", "payment_id": "wt_1", "principal_fen": 10_000,
              "bonus_fen": 2_000, "gift_points": 100, "balance_after_fen": 12_000}  # fmt: skip
    (notice,) = notices_of("wallet.topped-up", topped, TZ, 2_000)
    text = render(KINDS["wallet-topped-up"].words["zh-CN"], notice.variables).text
    assert text == "您已充值100.00元，赠送20.00元，另赠100积分（随储值消费到账），当前余额120.00元。"
    (plain,) = notices_of("wallet.topped-up", {**topped, "bonus_fen": 0, "gift_points": 0}, TZ, 2_000)
    assert (
        render(KINDS["wallet-topped-up"].words["zh-CN"], plain.variables).text == "您已充值100.00元，当前余额120.00元。"
    )


def test_a_student_s_card_is_marked_in_its_words_and_named_only_as_it_is_read():
    """学员: a message keeps the student's id, never their name (its text holds no personal data); the name goes in as
    it is sent or read, as the words after it read, and a student removed since is left out."""
    used = {"member_id": "mb_1", "use_id": "U-1", "benefit_name": "美术课", "remaining": 23, "period": "term",
            "student_id": "st_0000000a"}  # fmt: skip
    (notice,) = notices_of("membership.benefit-used", used, TZ, 0)
    assert notice.variables["benefit"] == "⟨st_0000000a⟩美术课"
    (own,) = notices_of("membership.benefit-used", {**used, "student_id": None}, TZ, 0)
    assert own.variables["benefit"] == "美术课"
    text = render(Words("", "您使用了「{benefit}」1次"), notice.variables).text
    assert name_students(text, {"st_0000000a": "小明"}) == "您使用了「小明的美术课」1次"
    english = render(Words("", "You used 1 × {benefit}"), {"benefit": "⟨st_0000000a⟩Art"}).text
    assert name_students(english, {"st_0000000a": "Ming"}) == "You used 1 × Ming's Art"
    assert name_students("Your ⟨st_0000000a⟩美术课时包 is active", {"st_0000000a": "陈小星"}) == (
        "Your 陈小星's 美术课时包 is active"
    )  # fmt: skip  a Chinese plan name in English words
    assert name_students(text, {}) == "您使用了「美术课」1次"


def test_a_card_s_english_words_count_as_the_chinese_do():
    """A walkthrough read "(1 days left)", and an English lapse text without the classes the Chinese one counted."""
    expiring = {"member_id": "mb_1", "card_id": "mc_1", "plan_name": "Art", "valid_until": "2027-03-04", "days_left": 1}
    (notice,) = notices_of("membership.card-expiring", expiring, TZ, 0)
    assert notice.variables["days_left_en"] == "1 day"
    (week,) = notices_of("membership.card-expiring", {**expiring, "days_left": 7}, TZ, 0)
    assert week.variables["days_left_en"] == "7 days"
    lapsed = {"member_id": "mb_1", "card_id": "mc_1", "plan_name": "Art", "valid_until": "2027-03-04",
              "uses_left": [{"benefit": "Art class", "left": 20, "refundable": True}]}  # fmt: skip
    (gone,) = notices_of("membership.card-lapsed", lapsed, TZ, 0)
    assert "20 × Art class" in gone.variables["left"].en
    assert "Art class20次" in str(gone.variables["left"])  # the Chinese as it was


def test_a_birthday_greeting_is_worthless_once_its_month_is_over():
    """A walkthrough's member born in July was wished a happy birthday in December, the jobs having stood still: the
    gift is theirs, its greeting is not sent after its month."""
    event = {"member_id": "mb_1", "kind": "birthday", "points": 300, "limited": False,
             "activity_key": "birthday#mb_1:2027", "year": 2027, "month": "2027-07"}  # fmt: skip
    (notice,) = notices_of("activity.recorded", event, TZ, 0)
    assert notice.send_by == clock.end_of_business_day(date(2027, 7, 31), TZ)
    (older,) = notices_of("activity.recorded", {**event, "month": None}, TZ, 0)
    assert older.send_by is None  # an event from before the month was said
