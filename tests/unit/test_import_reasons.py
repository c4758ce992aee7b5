"""An import's error reasons in Chinese: every reason the importer and the registration's schema give is said."""

import pytest

from chalicelib.members.importer import UNEXPECTED, UNPROVEN_CONSENT
from chalicelib.members.reasons import reason_zh


@pytest.mark.parametrize(
    ("field", "reason", "said"),
    [
        ("phone", "not a valid phone number", "不是有效的手机号"),
        ("phone", "the same phone as row 12", "与第 12 行的手机号相同"),
        ("member_no", "already another member's", "已是其他会员的"),
        ("store_id", "no store 'NO-STORE'", "没有门店 NO-STORE"),
        ("store_id", "store 'SH-009' is closed", "门店 SH-009 已关闭"),
        ("email", "String should match pattern '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'", "不是有效的邮箱地址"),
        ("consents", "String should match pattern '^(sms|email|push|wechat)$'",
         "渠道须为 sms、email、push、wechat 之一，多个以分号分隔"),
        ("gender", "Input should be 'female', 'male' or 'undisclosed'", "须为 female、male、undisclosed 之一"),
        ("birthday", "Input should be a valid date or datetime, month value is outside expected range of 1-12",
         "不是有效的日期（YYYY-MM-DD）"),
        ("registered_at", "a time between 1990-01-01 and now", "时间须在 1990-01-01 与现在之间"),
        ("tier", "not a tier of the programme (normal, silver, gold)", "不是本会员方案的等级（normal, silver, gold）"),
        ("period_growth", "a whole number (fen for amounts)", "须为整数（金额以分计）"),
        ("name", "String should have at most 50 characters", "最多 50 个字"),
        ("tags", "List should have at most 50 items after validation, not 60", "最多 50 项（此行 60 项）"),
        ("", "120 more error rows in this part of the file", "文件这一部分另有 120 行错误"),
        ("", UNEXPECTED, "意外错误：此行未导入（详见日志）"),
        ("name", "Field required", "必填"),
        ("points", "a whole number from 1 to 100000000", "须为 1 到 100000000 的整数"),  # the points columns (a new
        ("points", "a whole number", "须为整数"),  # user's walkthrough read them in English under 原因)
        ("points_expires_on", "is past: the points would expire on arrival", "日期已过：积分导入即过期"),
        ("points_expires_on", "a date as YYYY-MM-DD or never", "日期须写作 YYYY-MM-DD，或填 never（永不过期）"),
        ("points_expires_on", "only with points", "须与 points（积分余额）一起填写"),
        ("tier_valid_until", "at most three years ahead", "最多三年之后"),
    ],
)  # fmt: skip
def test_a_known_reason_is_said_in_chinese(field, reason, said):
    assert reason_zh(field, reason) == said


def test_the_consent_proof_reason_names_its_columns_in_chinese():
    said = reason_zh("consented_at", UNPROVEN_CONSENT)
    assert all(words in said for words in ("凭证", "consented_at", "consent_source"))


def test_a_reason_not_known_stays_as_it_is():
    assert reason_zh("city", "something new") == "something new"
