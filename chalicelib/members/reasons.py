"""An import's error reasons in Chinese (原因), for the operator who mends the file: the error report carries them
beside the English ones. A pure translation of the reasons the importer and the registration's schema give; a
reason it does not know stays as it is."""

from __future__ import annotations

import re

from chalicelib.members.importer import UNEXPECTED, UNPROVEN_CONSENT
from chalicelib.members.model import CONSENT_CHANNELS
from chalicelib.shared.http import CONTROL_CHARACTERS_REFUSED

_EXACT = {
    "not a valid phone number": "不是有效的手机号",
    "not a phone number": "不是手机号",
    "digits only: a phone number has no letters": "手机号只能是数字，不能含字母",
    "a phone number without an extension": "手机号不能带分机号",
    "a phone may not hold invisible formatting characters": "手机号不能含不可见的格式字符",
    "already another member's": "已是其他会员的",
    "not one of the importer's stores": "不是导入人所管的门店",
    "a whole number (fen for amounts)": "须为整数（金额以分计）",
    "a date as YYYY-MM-DD": "日期须写作 YYYY-MM-DD",
    "a day from today on (a tier that ended is not brought over)": "须为今天或以后（已到期的等级不迁移）",
    "a birthday between 1900 and today": "生日须在 1900 年与今天之间",
    "imported before from a row with other details": "此手机号此前已由内容不同的一行导入",
    "imported at the same time by another import": "另一次导入同时导入了此手机号",
    "Field required": "必填",
    "Input should be a valid string": "须为文字",
    UNEXPECTED: "意外错误：此行未导入（详见日志）",
    UNPROVEN_CONSENT: (
        "迁移的营销授权须有凭证：consented_at 与 consent_source（会员何时、在何处授权），或所授渠道各自的 "
        "consented_at_<渠道> 与 consent_source_<渠道>；没有凭证请留空 consents"
    ),
    CONTROL_CHARACTERS_REFUSED: "不能含控制字符、换行符或文字方向控制符",
    "at most three years ahead": "最多三年之后",
    "not negative": "不能为负数",
    "a whole number": "须为整数",
    "is past: the points would expire on arrival": "日期已过：积分导入即过期",
    "a date as YYYY-MM-DD or never": "日期须写作 YYYY-MM-DD，或填 never（永不过期）",
    "only with points": "须与 points（积分余额）一起填写",
}

_PATTERN_BY_FIELD = {
    "email": "不是有效的邮箱地址",
    "consents": f"渠道须为 {'、'.join(CONSENT_CHANNELS)} 之一，多个以分号分隔",
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"the same phone as row (\d+)"), r"与第 \1 行的手机号相同"),
    (re.compile(r"no store '(.*)'"), r"没有门店 \1"),
    (re.compile(r"store '(.*)' is closed"), r"门店 \1 已关闭"),
    (re.compile(r"no member '(.*)'"), r"没有会员 \1"),
    (re.compile(r"(\d+) more error rows in this part of the file"), r"文件这一部分另有 \1 行错误"),
    (re.compile(r"not a tier of the programme \((.*)\)"), r"不是本会员方案的等级（\1）"),
    (re.compile(r"a date between (\S+) and (\S+)"), r"日期须在 \1 与 \2 之间"),
    (re.compile(r"a whole number from 1 to (\d+)"), r"须为 1 到 \1 的整数"),
    (re.compile(r"a time between (\S+) and now"), r"时间须在 \1 与现在之间"),
    (re.compile(r"String should have at most (\d+) characters?"), r"最多 \1 个字"),
    (re.compile(r"String should have at least (\d+) characters?"), r"至少 \1 个字"),
    (re.compile(r"List should have at most (\d+) items? after validation, not (\d+)"), r"最多 \1 项（此行 \2 项）"),
    (re.compile(r"Input should be a valid date or datetime.*"), "不是有效的日期（YYYY-MM-DD）"),
    (re.compile(r"Input should be a valid datetime or date.*"), "不是有效的日期时间（YYYY-MM-DD HH:MM:SS）"),
    (re.compile(r"Input should be a valid datetime.*"), "不是有效的日期时间（YYYY-MM-DD HH:MM:SS）"),
    (re.compile(r"Input should be a valid date.*"), "不是有效的日期（YYYY-MM-DD）"),
]

_CHOICE = re.compile(r"Input should be (.+)")


def reason_zh(field: str, reason: str) -> str:
    """The reason an import gave for ``field`` of a row, in Chinese; the reason itself when it is not one known."""
    if reason in _EXACT:
        return _EXACT[reason]
    if reason.startswith("String should match pattern"):
        return _PATTERN_BY_FIELD.get(field, "格式不对")
    for pattern, said in _PATTERNS:
        if pattern.fullmatch(reason):
            return pattern.sub(said, reason)
    if choice := _CHOICE.fullmatch(reason):
        options = re.findall(r"'([^']*)'", choice.group(1))
        if options:
            return f"须为 {'、'.join(options)} 之一"
    return reason
