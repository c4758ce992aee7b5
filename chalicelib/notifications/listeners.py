"""The notifications consumers: the dispatcher deciding what each event owes a member, the sender sending what
was decided, and the consent ledger recording what members said at registration and on their profile."""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.notifications import profiles, service, settings, triggers
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer
from chalicelib.shared.settings import get_settings
from chalicelib.stores.service import store_name


@consumer("message-dispatcher", queue="notifications", types=list(triggers.TRIGGERS))
def dispatch_notices(tx: Transaction, event: Event) -> None:
    """Each notice the event gives is decided once; its message is written with the consumer's marker."""
    low = settings.policy().low_balance_fen
    grants_spent: Counter[tuple[str, str]] = Counter()
    for notice in triggers.notices_of(event.type, with_rewards(event.type, named_stores(event.payload)),
                                      get_settings().tz, low):  # fmt: skip
        service.dispatch(tx, notice, grants_spent)
    service.spend_grants(tx, grants_spent)


def named_stores(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with its pickup store's name, which the member's text says (a walkthrough's parent was told an
    order was ready without which centre); read at most a minute ago, only for an event naming a pickup store."""
    store_id = payload.get("pickup_store_id")
    name = store_name(store_id) if store_id and "pickup_store_name" not in payload else None
    return {**payload, "pickup_store_name": name} if name else payload


def with_rewards(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A points-expiry reminder's payload with rewards its points pay (``rewards``: names), so the text suggests what
    to exchange them for before they go."""
    if event_type != "points.expiring" or "rewards" in payload:
        return payload
    from chalicelib.mall.rewards import within_reach

    return {**payload, "rewards": within_reach(int(payload.get("points") or 0))}


@consumer("message-sender", queue="notifications", types=[service.REQUESTED])
def send_message(tx: Transaction, event: Event) -> None:
    """Send a decided message; provider throttling raises, so the queue delivers it again later."""
    service.send(tx, str(event.payload["message_id"]))


@consumer("login-code-sender", queue="login-codes", types=[service.CODE_REQUESTED])
def send_login_code(tx: Transaction, event: Event) -> None:
    """Send a login code, from a queue of its own: a reminder run of 100,000 messages never stands before it."""
    service.send(tx, str(event.payload["message_id"]))


@consumer("consent-ledger", queue="points", types=["member.registered", "member.updated"], batched=True)
def record_profile_consents(tx: Transaction, event: Event) -> None:
    """Marketing consents given on the registration form (or a migrated system's, or an import) and changed on the
    profile by staff or the member are recorded with their proof, unless the ledger already holds them; so is the
    language a member joined in, unless their messaging profile was written first. It rides
    the queue of the profile's events (deliveries of 100, one transaction each): an import of a million members
    costs it a marker each, not a request each."""
    payload = event.payload
    apart: dict[str, dict[str, str]] = {}  # channels given apart, each with its own date and source
    language = None
    if event.type == "member.registered":
        language = payload.get("language")  # as they joined
        given, at = payload.get("consents") or {}, payload.get("consented_at")
        source = "import" if payload.get("import_id") else "registration"
        note = f"proof: {payload['consent_source']}" if payload.get("consent_source") else None
        apart = payload.get("consent_proofs") or {}
    else:
        if "consents" not in payload.get("changed", []):
            return
        before = payload.get("before", {}).get("consents") or {}
        given = {  # only what this edit changed: the rest is the profile's copy, which may lag the ledger
            channel: bool(value["granted"])
            for channel, value in payload["after"]["consents"].items()
            if bool((before.get(channel) or {}).get("granted")) != bool(value["granted"]) or channel not in before
        }
        at, source = event.occurred_at, "staff" if event.actor.startswith("staff:") else "member-page"
        note = None
    changes = [
        profiles.ConsentChange(channel, "marketing", bool(granted), (apart.get(channel) or {}).get("given_at"),
                               _proof_note((apart.get(channel) or {}).get("source")))
        for channel, granted in given.items()
    ]  # fmt: skip
    if changes or language:
        wording = None if note else settings.policy().wording_version  # a migrated system's wording is unknown
        proof = profiles.Proof(source, wording_version=wording, note=note, at=at, actor=event.actor)
        profiles.record_in(tx, str(payload["member_id"]), changes, proof, joined_in=language)


def _proof_note(source: str | None) -> str | None:
    return f"proof: {source}" if source else None


@consumer("messaging-erasure", queue="notifications", types=["member.erased"])
def forget_erased_member(tx: Transaction, event: Event) -> None:
    """An erased member's devices and WeChat openid are forgotten (their push endpoints deleted); the consent history
    stays as proof (it holds no personal data), and nothing is sent to them again."""
    profiles.forget_contacts(tx, str(event.payload["member_id"]))
