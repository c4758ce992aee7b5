"""A reason the platform writes (``Phrase``): the Chinese as a string, its English beside it, and neither lost on
the way to an entry; a person's words, or a phrase joined with other text, carry no English of their own."""

import copy
import json
import pickle

from chalicelib.membership.rules import Refund, keeping_back_used_packs
from chalicelib.shared.phrases import Phrase, english, phrased


def test_a_phrase_is_its_chinese_wherever_a_string_goes_and_keeps_its_english() -> None:
    phrase = Phrase("消费积分", "Purchase")
    assert phrase == "消费积分"
    assert isinstance(phrase, str)
    assert json.dumps({"reason": phrase}, ensure_ascii=False) == '{"reason": "消费积分"}'
    assert english(phrase) == "Purchase"
    for kept in (copy.copy(phrase), copy.deepcopy(phrase), pickle.loads(pickle.dumps(phrase))):
        assert (kept, english(kept)) == ("消费积分", "Purchase")


def test_words_a_person_gave_and_a_phrase_joined_with_text_have_no_english() -> None:
    assert english("客诉补偿") is None
    assert english(f"{Phrase('退款', 'Refund')}：尺码不合适") is None
    assert english(Phrase("退款", "Refund") + "：尺码不合适") is None


def test_a_default_reason_given_back_in_either_language_is_the_platforms_phrase() -> None:
    """The English console fills in a reversal's default reason in English: it is still the platform's words."""
    reversed_ = Phrase("撤销兑换", "Redemption reversed")
    for given in ("撤销兑换", "Redemption reversed"):
        kept = phrased(given, reversed_)
        assert (kept, english(kept)) == ("撤销兑换", "Redemption reversed")
    assert english(phrased("顾客取消兑换", reversed_)) is None


def test_a_card_refund_explained_in_both_languages_keeps_both_when_its_used_packs_are_kept_back() -> None:
    refund = Refund(
        10_000,
        (("p1", 10_000),),
        Phrase("按未使用天数比例退款：退款100.00元", "Refunded pro rata for the days not used: 100.00 CNY refunded"),
    )
    kept = keeping_back_used_packs(refund, [{"source": "pack-1"}], {"pack-1": 2_000})
    assert (kept.amount_fen, kept.explanation) == (
        8_000,
        "按未使用天数比例退款，扣除已使用券包优惠20.00元：退款80.00元",
    )
    assert kept.explanation.en == (
        "Refunded pro rata for the days not used, less 20.00 CNY of pack coupons used: 80.00 CNY refunded"
    )
