"""Staff's messaging settings: the policy (quiet hours, caps, which kinds go out on which channels, the consent
wording) and the templates replacing a kind's default words on a channel, with the provider's template id beside
them. Both are read through a 30-second cache: a change reaches every sender within half a minute.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

from chalicelib.notifications.kinds import CHANNELS, KINDS, LANGUAGES, Kind, Purpose, Words
from chalicelib.notifications.records import MessagingSettingRecord
from chalicelib.notifications.rules import (
    Cap,
    KindSetting,
    Policy,
    has_opt_out,
    quiet_hours_problem,
    unknown_variables,
)
from chalicelib.shared import clock
from chalicelib.shared.cache import Cached
from chalicelib.shared.context import current_origin
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import NotFound, PreconditionFailed, ValidationFailed
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.versions import Expected

POLICY, TEMPLATES = "policy", "templates"


@dataclass(frozen=True)
class Template:
    """A kind's words on a channel: staff's (``custom``) or the default, with the provider's template id and the
    provider's names for its variables in order (``params``: ``[[provider name, our variable], ...]``)."""

    kind: str
    channel: str
    words: Mapping[str, Words]
    provider_template: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    custom: bool = False
    version: int = 0

    def in_language(self, language: str) -> tuple[Words, str]:
        """The words in ``language``, or the zh-CN ones where the template has none in it; and which they are."""
        return (self.words[language], language) if self.words.get(language) else (self.words["zh-CN"], "zh-CN")


# --- policy -----------------------------------------------------------------------------------------------------


def policy() -> Policy:
    return _policy.get()


def _load_policy() -> Policy:
    return _policy_of(MessagingSettingRecord.find(POLICY, POLICY))


def _policy_of(record: MessagingSettingRecord | None) -> Policy:
    return policy_from(json.loads(record.body), int(record.version or 0)) if record else Policy()


_policy: Cached[Policy] = Cached(_load_policy, 30.0)


def policy_from(body: Mapping[str, Any], version: int = 0) -> Policy:
    defaults = Policy()
    caps = tuple(Cap(c["channel"], int(c["limit"]), c.get("period", "week")) for c in body.get("caps", []))
    kinds = {name: KindSetting(bool(s["enabled"]), tuple(s["channels"])) for name, s in body.get("kinds", {}).items()}
    quiet = body.get("quiet_hours") or {}
    return Policy(
        quiet_start=time.fromisoformat(quiet.get("start", defaults.quiet_start.isoformat("minutes"))),
        quiet_end=time.fromisoformat(quiet.get("end", defaults.quiet_end.isoformat("minutes"))),
        max_delay=timedelta(hours=int(body.get("max_delay_hours", defaults.max_delay.total_seconds() // 3600))),
        caps=caps if "caps" in body else defaults.caps,
        low_balance_fen=int(body.get("low_balance_fen", defaults.low_balance_fen)),
        sms_opt_out=str(body.get("sms_opt_out", defaults.sms_opt_out)),
        kinds=kinds,
        wording_version=str(body.get("wording_version", defaults.wording_version)),
        wording=body.get("wording") or defaults.wording,
        version=version,
    )


def policy_json(current: Policy) -> dict[str, Any]:
    """The policy as the API shows it, every kind listed with its setting (default or staff's)."""
    return {
        "quiet_hours": {
            "start": current.quiet_start.isoformat("minutes"),
            "end": current.quiet_end.isoformat("minutes"),
        },
        "max_delay_hours": int(current.max_delay.total_seconds() // 3600),
        "caps": [{"channel": c.channel, "limit": c.limit, "period": c.period} for c in current.caps],
        "low_balance_fen": current.low_balance_fen,
        "sms_opt_out": current.sms_opt_out,
        "kinds": {
            name: {
                "enabled": s.enabled,
                "channels": list(s.channels),
                "purpose": str(KINDS[name].purpose),
                "timing": str(KINDS[name].timing),
                "description": KINDS[name].description,
            }
            for name in KINDS
            if (s := current.setting(KINDS[name]))
        },
        "wording_version": current.wording_version,
        "wording": dict(current.wording),
        "version": current.version,
    }


def set_policy(changes: Mapping[str, Any], if_match: Expected | None) -> dict[str, Any]:
    """Change the policy (消息策略). Quiet hours must cover 22:00–08:00 (when providers refuse marketing SMS);
    a kind's channels are known channels; login codes stay on SMS and on. A new consent wording needs a new
    ``wording_version``: consents given to the old wording keep its version as their proof."""
    record = MessagingSettingRecord.find(POLICY, POLICY)
    current = policy_json(_policy_of(record))
    if if_match is not None:
        if_match.require(int(record.version or 0) if record else 0, "messaging policy")
    body = {**current, **{name: value for name, value in changes.items() if value is not None}}
    for merged in ("kinds", "wording"):  # a patch of one kind or one language leaves the others as they are
        if changes.get(merged) is not None:
            body[merged] = {**current[merged], **changes[merged]}
    _check_policy(body, current)
    stored = {
        name: body[name]
        for name in (
            "quiet_hours",
            "max_delay_hours",
            "caps",
            "low_balance_fen",
            "sms_opt_out",
            "wording_version",
            "wording",
        )
    }
    stored["kinds"] = {
        name: {"enabled": s["enabled"], "channels": list(s["channels"])} for name, s in body["kinds"].items()
    }
    _save(record or MessagingSettingRecord(POLICY, POLICY), stored)
    _policy.forget()
    return policy_json(_load_policy())


CODES = ("login-code", "till-code")  # one-time codes: always sent, by SMS, their text naming the code


def _check_policy(body: Mapping[str, Any], current: Mapping[str, Any]) -> None:
    errors = []
    start, end = (time.fromisoformat(body["quiet_hours"][edge]) for edge in ("start", "end"))
    if problem := quiet_hours_problem(start, end):
        errors.append({"field": "quiet_hours", "in": "body", "message": problem, "code": "quiet_hours_night"})
    for name, setting in body["kinds"].items():
        if name not in KINDS:
            errors.append({"field": f"kinds.{name}", "in": "body", "message": f"no message kind {name!r}"})
        elif name in CODES and (not setting["enabled"] or list(setting["channels"]) != ["sms"]):
            errors.append({"field": f"kinds.{name}", "in": "body", "message": "one-time codes always go by SMS"})
        elif unknown := [c for c in setting["channels"] if c not in CHANNELS]:
            errors.append({"field": f"kinds.{name}.channels", "in": "body", "message": f"unknown channels {unknown}"})
    if body["wording"] != current["wording"] and body["wording_version"] == current["wording_version"]:
        errors.append(
            {
                "field": "wording_version",
                "in": "body",
                "message": "a changed consent wording needs a new wording_version",
            }
        )
    if not has_opt_out(body["sms_opt_out"]):
        errors.append(
            {
                "field": "sms_opt_out",
                "in": "body",
                "message": "name a wording the providers accept, such as 拒收请回复R or 回T退订",
            }
        )
    if errors:
        raise ValidationFailed(errors, "The messaging policy is not valid")


# --- templates --------------------------------------------------------------------------------------------------


def template(kind_name: str, channel: str) -> Template:
    """The template a message of ``kind_name`` uses on ``channel``: staff's, or the kind's default words."""
    custom = _templates.get().get(f"{kind_name}#{channel}")
    return custom or default_template(KINDS[kind_name], channel)


def default_template(kind: Kind, channel: str) -> Template:
    return Template(kind.name, channel, kind.words)


def _load_templates() -> dict[str, Template]:
    return {record.name: _template_of(record) for record in MessagingSettingRecord.query(TEMPLATES)}


_templates: Cached[dict[str, Template]] = Cached(_load_templates, 30.0)


def _template_of(record: MessagingSettingRecord) -> Template:
    body = json.loads(record.body)
    kind_name, channel = record.name.split("#")
    words = {language: Words(**w) for language, w in body["words"].items()}
    params = tuple((str(p[0]), str(p[1])) for p in body.get("params", []))
    return Template(kind_name, channel, words, body.get("provider_template"), params, True, int(record.version or 0))


def all_templates() -> list[Template]:
    """Every kind on every channel it may use (login codes: SMS only), staff's templates where they exist."""
    custom = _load_templates()
    return [
        custom.get(f"{name}#{channel}") or default_template(kind, channel)
        for name, kind in KINDS.items()
        for channel in _channels_of(kind)
    ]


def _channels_of(kind: Kind) -> tuple[str, ...]:
    return ("sms",) if kind.purpose is Purpose.LOGIN else CHANNELS


def set_template(kind_name: str, channel: str, body: Mapping[str, Any], if_match: Expected | None) -> Template:
    """Replace a kind's words on a channel. Every language's words may use only the kind's variables; a
    marketing SMS must carry the opt-out wording its provider requires; the provider's params name our variables."""
    kind = _known(kind_name, channel)
    record = MessagingSettingRecord.find(TEMPLATES, f"{kind_name}#{channel}")
    if if_match is not None:
        if_match.require(int(record.version or 0) if record else 0, "template")
    errors = []
    for language, words in body["words"].items():
        if language not in LANGUAGES:
            errors.append({"field": f"words.{language}", "in": "body", "message": f"languages are {list(LANGUAGES)}"})
            continue
        for part in ("title", "text"):
            try:
                unknown = unknown_variables(words[part], kind.variables)
            except ValueError as e:
                errors.append({"field": f"words.{language}.{part}", "in": "body", "message": str(e)})
                continue
            if unknown:
                errors.append(
                    {
                        "field": f"words.{language}.{part}",
                        "in": "body",
                        "message": f"unknown variables {unknown}; {kind_name} has {list(kind.variables)}",
                    }
                )
        if kind.name in CODES and "{code}" not in words["text"]:
            errors.append(
                {"field": f"words.{language}.text", "in": "body", "message": "a one-time code's text needs {code}"}
            )
        if kind.purpose is Purpose.MARKETING and channel == "sms" and not has_opt_out(words["text"]):
            errors.append(
                {
                    "field": f"words.{language}.text",
                    "in": "body",
                    "message": "a marketing SMS must end with its opt-out wording, e.g. 拒收请回复R",
                }
            )
    if "zh-CN" not in body["words"]:
        errors.append({"field": "words", "in": "body", "message": "zh-CN words are required"})
    for index, (_, variable) in enumerate(body.get("params") or []):
        if variable not in kind.variables:
            errors.append({"field": f"params.{index}", "in": "body", "message": f"{kind_name} has no {variable!r}"})
    if errors:
        raise ValidationFailed(errors, "The template is not valid")
    stored = {
        "words": body["words"],
        "provider_template": body.get("provider_template"),
        "params": [list(p) for p in body.get("params") or []],
    }
    _save(record or MessagingSettingRecord(TEMPLATES, f"{kind_name}#{channel}"), stored)
    _templates.forget()
    return template(kind_name, channel)


def reset_template(kind_name: str, channel: str) -> Template:
    """Go back to the kind's default words on ``channel``."""
    kind = _known(kind_name, channel)
    record = MessagingSettingRecord.find(TEMPLATES, f"{kind_name}#{channel}")
    if record is not None:
        _save(record, None)
    _templates.forget()
    return default_template(kind, channel)


def _known(kind_name: str, channel: str) -> Kind:
    kind = KINDS.get(kind_name)
    if kind is None or channel not in _channels_of(kind):
        raise NotFound(f"No template {kind_name!r} on {channel!r}")
    return kind


def _save(record: MessagingSettingRecord, body: Mapping[str, Any] | None) -> None:
    """Write (or, for None, delete) a setting with its event, for the audit log; a concurrent change is a 412."""
    tx = Transaction()
    changed = PreconditionFailed("The setting changed meanwhile")
    if body is None:
        tx.delete(record, condition=MessagingSettingRecord.version == record.version, on_fail=changed)
    else:
        record.body = json.dumps(body, ensure_ascii=False, sort_keys=True)
        record.updated_at = clock.iso(clock.now())
        record.updated_by = current_origin().actor
        tx.put(record, on_fail=changed)
    emit(
        tx,
        new_event(
            "messaging.setting-changed",
            f"messaging-setting/{record.scope}/{record.name}",
            {
                "scope": record.scope,
                "name": record.name,
                "removed": body is None,
            },
        ),
    )
    tx.commit()


def template_json(found: Template) -> dict[str, Any]:
    kind = KINDS[found.kind]
    return {
        "kind": found.kind,
        "channel": found.channel,
        "purpose": str(kind.purpose),
        "custom": found.custom,
        "words": {language: {"title": w.title, "text": w.text} for language, w in found.words.items()},
        "variables": list(kind.variables),
        "provider_template": found.provider_template,
        "params": [list(p) for p in found.params],
        "version": found.version,
    }


def forget() -> None:
    """Drop the cached policy and templates (a process that knows they changed elsewhere)."""
    _policy.forget()
    _templates.forget()
