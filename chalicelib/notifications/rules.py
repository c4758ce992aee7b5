"""Who may be sent what, where and when: the one place every message is decided (standard library only).

For each message the dispatcher hands ``decide`` what it knows (the kind, the channels the member can be reached
on, their consents, the policy, the clock) and gets back where it goes and when, or why it does not go:

- **Consent.** Login codes always go. A service message goes on a channel unless the member switched that channel
  off; marketing needs the member's consent for the channel *and* the channel not switched off. The inbox needs
  no consent and cannot be switched off: a service message no other channel may carry lands there.
- **Caps.** Marketing counts against a cap per member and channel (e.g. 2 SMS a calendar week, in the business
  time zone); a capped channel is passed over for the next.
- **Quiet hours.** A message that may wait (reminders, notices, marketing) is held through the quiet hours
  (21:00–09:00 by default) and released when they end, unless that is later than its ``send_by`` or the policy's
  longest delay: then it is dropped as too late. Marketing SMS may never leave the providers' 08:00–22:00 window.
- **Inbox copy.** Whatever another channel carries, the inbox keeps a copy (login codes aside).

Every outcome is recorded with its reason: ``no-consent``, ``opted-out``, ``capped``, ``no-address``,
``disabled``, ``too-late``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from chalicelib.notifications.kinds import EXTERNAL_CHANNELS, OPT_OUT_WORDINGS, Kind, Purpose, Timing, Words
from chalicelib.shared.phrases import Phrase

Outcome = Literal["send", "hold", "inbox", "suppressed"]
PROVIDER_WINDOW = (time(8, 0), time(22, 0))  # Chinese SMS providers refuse promotional texts outside it
REASONS = ("no-consent", "opted-out", "capped", "no-address", "disabled", "too-late", "member-frozen")


@dataclass(frozen=True)
class Cap:
    """At most ``limit`` marketing messages per member on ``channel`` per calendar ``period``."""

    channel: str
    limit: int
    period: Literal["day", "week"] = "week"

    def period_key(self, day: date) -> str:
        start = day - timedelta(days=day.weekday()) if self.period == "week" else day
        return f"{self.period}:{start.isoformat()}"


@dataclass(frozen=True)
class KindSetting:
    enabled: bool
    channels: tuple[str, ...]


DEFAULT_WORDING = {
    "zh-CN": "我同意接收商家通过所选渠道发送的会员权益与优惠活动信息，可随时在“消息设置”中关闭或回复R退订。",
    "en": "I agree to receive membership benefits and offers on the channels I choose; I can switch them off in "
    "Message settings at any time or reply R to opt out.",
}


@dataclass(frozen=True)
class Policy:
    """The business's messaging policy (消息策略), as staff set it."""

    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    max_delay: timedelta = timedelta(hours=24)
    caps: tuple[Cap, ...] = (Cap("sms", 2), Cap("email", 3), Cap("push", 1, "day"), Cap("wechat", 4))
    low_balance_fen: int = 2_000
    sms_opt_out: str = "拒收请回复R"
    kinds: Mapping[str, KindSetting] = field(default_factory=dict)  # staff's changes to a kind's defaults
    wording_version: str = "2026-12"
    wording: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_WORDING))
    version: int = 0

    def setting(self, kind: Kind) -> KindSetting:
        return self.kinds.get(kind.name) or KindSetting(kind.enabled, kind.channels)

    def cap(self, channel: str) -> Cap | None:
        return next((cap for cap in self.caps if cap.channel == channel), None)


def quiet_hours_problem(start: time, end: time) -> str | None:
    """Why a quiet window is refused, or None: it must cover the night the SMS providers refuse (22:00–08:00)."""
    if start == end:
        return "quiet hours must not be empty"
    for probe in (time(22, 0), time(23, 59), time(0, 0), time(7, 59)):
        if not in_window(probe, start, end):
            return f"quiet hours {start:%H:%M}–{end:%H:%M} must cover 22:00–08:00, when providers refuse marketing SMS"
    return None


def in_window(moment: time, start: time, end: time) -> bool:
    """Whether ``moment`` falls in [start, end), a window that may run past midnight."""
    return start <= moment < end if start < end else moment >= start or moment < end


def quiet_until(now: datetime, policy: Policy) -> datetime | None:
    """When the quiet hours around ``now`` (business time) end, or None when ``now`` is not quiet."""
    if not in_window(now.time(), policy.quiet_start, policy.quiet_end):
        return None
    ends = now.replace(hour=policy.quiet_end.hour, minute=policy.quiet_end.minute, second=0, microsecond=0)
    return ends if ends > now else ends + timedelta(days=1)


def consent_reason(channel: str, purpose: Purpose, states: Mapping[str, bool]) -> str | None:
    """Why ``channel`` may not carry a message of ``purpose``, or None when it may. ``states`` maps
    ``channel:purpose`` to what the member said (absent: never asked)."""
    if purpose is Purpose.LOGIN or channel == "inbox":
        return None
    if states.get(f"{channel}:{Purpose.SERVICE}") is False:
        return "opted-out"
    if purpose is Purpose.MARKETING:
        said = states.get(f"{channel}:{Purpose.MARKETING}")
        return None if said else ("opted-out" if said is False else "no-consent")
    return None


@dataclass(frozen=True)
class Notice:
    """A message owed to a member: of ``kind``, once per ``occurrence`` (an order id, an expiry date ...)."""

    member_id: str
    kind: str
    occurrence: str
    variables: Mapping[str, Any]
    send_by: datetime | None = None  # worthless after this (a reminder after its date)


@dataclass(frozen=True)
class Situation:
    """What the dispatcher knows when it decides one message."""

    kind: Kind
    policy: Policy
    now: datetime  # business time
    reachable: frozenset[str]  # the external channels with an address (a phone, devices, an openid with a grant)
    consents: Mapping[str, bool]
    capped: frozenset[str] = frozenset()  # channels whose cap this period is reached
    send_by: datetime | None = None  # worthless after this (a reminder after its date)
    frozen: bool = False  # the membership is frozen: no marketing reaches it


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    channel: str | None = None  # the external channel carrying it (send, hold)
    inbox: bool = False  # a copy (or the message itself) lands in the inbox
    reason: str | None = None  # suppressed: why; inbox: why no other channel carried it
    release_at: datetime | None = None  # hold: when the quiet hours end
    passed_over: tuple[tuple[str, str], ...] = ()  # (channel, reason) for each channel not taken


def decide(situation: Situation) -> Decision:
    """Where and when a message goes (see the module's rules)."""
    kind, policy = situation.kind, situation.policy
    setting = policy.setting(kind)
    if not setting.enabled:
        return Decision("suppressed", reason="disabled")
    if situation.frozen and kind.purpose is Purpose.MARKETING:
        return Decision("suppressed", reason="member-frozen")
    passed: list[tuple[str, str]] = []
    chosen = None
    for channel in setting.channels:
        if channel not in EXTERNAL_CHANNELS:
            continue
        reason = _refusal(situation, channel)
        if reason is None:
            chosen = channel
            break
        passed.append((channel, reason))
    with_copy = kind.inbox_copy and (kind.purpose is Purpose.SERVICE or "inbox" in setting.channels)
    if chosen is None:
        if kind.purpose is Purpose.SERVICE or (kind.purpose is Purpose.MARKETING and "inbox" in setting.channels):
            return Decision("inbox", inbox=True, reason=_telling(passed), passed_over=tuple(passed))
        return Decision("suppressed", reason=_telling(passed), passed_over=tuple(passed))
    release = release_at(situation.kind, policy, situation.now, chosen)
    if release is None:
        return Decision("send", chosen, with_copy, passed_over=tuple(passed))
    if release > situation.now + policy.max_delay or (situation.send_by and release > situation.send_by):
        passed.append((chosen, "too-late"))
        if with_copy:
            return Decision("inbox", inbox=True, reason="too-late", passed_over=tuple(passed))
        return Decision("suppressed", reason="too-late", passed_over=tuple(passed))
    return Decision("hold", chosen, with_copy, release_at=release, passed_over=tuple(passed))


def _refusal(situation: Situation, channel: str) -> str | None:
    if channel not in situation.reachable:
        return "no-address"
    reason = consent_reason(channel, situation.kind.purpose, situation.consents)
    if reason is None and situation.kind.purpose is Purpose.MARKETING and channel in situation.capped:
        return "capped"
    return reason


def _telling(passed: list[tuple[str, str]]) -> str:
    """The reason that says most about why nothing carried a message."""
    reasons = {reason for _, reason in passed}
    return next((reason for reason in REASONS if reason in reasons), "no-address")


def release_at(kind: Kind, policy: Policy, now: datetime, channel: str) -> datetime | None:
    """When a message of ``kind`` on ``channel`` may go, if not ``now`` (business time): the end of the quiet hours,
    and for marketing SMS of the providers' window too; None when it may go now. Asked when it is decided, and again
    when it is released (a release job running late must not send into the next night)."""
    if kind.timing is Timing.IMMEDIATE and kind.purpose is not Purpose.MARKETING:
        return None
    release = quiet_until(now, policy)
    if kind.purpose is Purpose.MARKETING and channel == "sms" and release is None:
        opens, closes = PROVIDER_WINDOW
        if not in_window(now.time(), opens, closes):  # policy quiet hours always cover it; kept as a guard
            release = quiet_until(now, Policy(quiet_start=closes, quiet_end=opens))
    return release


# --- words ------------------------------------------------------------------------------------------------------


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


STUDENT_MARK = re.compile(r"⟨(st_[0-9a-f]{8})⟩")


def student_marked(words: Any, student_id: str | None) -> Any:
    """A card's words (its plan, its benefit) marked as a student's (学员): the mark, not the child's name, is what a
    message keeps (its text holds no personal data); ``name_students`` puts the name in as the message is sent or
    read."""
    return f"⟨{student_id}⟩{words}" if student_id else words


def name_students(text: str, names: Mapping[str, str]) -> str:
    """``text`` with each student's mark replaced by their name as the words around it read: 小明的美术课时包 after
    Chinese words, Ming's 美术课时包 after English ones (a plan's Chinese name in an English text: a walkthrough read
    "Your Chen Xiaoxing的美术24课时包"), the words after it deciding at the start; a student since removed is left
    out."""

    def named(found: re.Match[str]) -> str:
        name = names.get(found.group(1))
        before, after = text[: found.start()].rstrip()[-1:], text[found.end() : found.end() + 1]
        chinese = ord(before or after or "a") >= 0x2E80
        return "" if name is None else f"{name}的" if chinese else f"{name}'s "

    return STUDENT_MARK.sub(named, text)


def render(words: Words, variables: Mapping[str, Any], language: str = "zh-CN") -> Words:
    """The words with their ``{name}`` variables filled as a member reads them in ``language`` (a variable the event
    did not carry renders empty; a business date reads 2026年12月31日, or 31 Dec 2026 in English)."""
    values = _Lenient({name: _shown(value, language) for name, value in variables.items()})
    return Words(
        string.Formatter().vformat(words.title, (), values), string.Formatter().vformat(words.text, (), values)
    )


_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # any locale


def _shown(value: Any, language: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, Phrase):  # the platform's words, in the language of the words around them
        return str(value) if language == "zh-CN" else value.en
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
        return (
            f"{day.year}年{day.month}月{day.day}日"
            if language == "zh-CN"
            else f"{day.day} {_MONTHS[day.month]} {day.year}"
        )
    return value


def with_opt_out(text: str, purpose: Purpose, channel: str, wording: str) -> str:
    """A marketing SMS ends with the opt-out wording its provider requires (拒收请回复R / 回T退订), after a space when
    the text ends in English."""
    if purpose is not Purpose.MARKETING or channel != "sms" or has_opt_out(text):
        return text
    return f"{text} {wording}" if text[-1:].isascii() else f"{text}{wording}"  # "…2 Jan 2027. 拒收请回复R"


def has_opt_out(text: str) -> bool:
    return any(wording in text for wording in OPT_OUT_WORDINGS)


def unknown_variables(text: str, known: tuple[str, ...]) -> list[str]:
    """The ``{name}`` variables of ``text`` that its kind does not provide (a template naming them is refused);
    raises ValueError for text that is not a valid template."""
    fields = [
        (name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text) if name is not None
    ]
    if any(spec or conversion for _, spec, conversion in fields):
        raise ValueError("variables take no format (write {amount}, not {amount:.2f} or {amount!r})")
    if any(not name.isidentifier() for name, _, _ in fields):
        raise ValueError("a variable is a plain name in braces, such as {points}")
    return sorted({name for name, _, _ in fields if name not in known})


def yuan(fen: int) -> str:
    """An amount in fen as the messages show it: ``12.50``."""
    return f"{fen / 100:.2f}"
