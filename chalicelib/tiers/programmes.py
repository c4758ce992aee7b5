"""Tier programme versions: staff write drafts, preview them, and apply one, which becomes current.

Purchases and jobs judge members by the current version, read at most every ``CACHE_SECONDS`` per process.
Before any version is applied the built-in default holds: the clothing retailer's calendar-year spend
programme of the seed documents (普通 0, 白银 1,000 CNY, 黄金 3,000 CNY, 钻石 8,000 CNY), which the local
stack also stores as version 1.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from chalicelib.shared import clock
from chalicelib.shared.cache import Cached
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Conflict, NotFound, Unavailable
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.versions import append_version
from chalicelib.tiers.records import TierProgrammeRecord
from chalicelib.tiers.rules import Programme
from chalicelib.tiers.schemas import Benefits, GrowthIn, ProgrammeIn, TierIn

SCOPE = "tiers"
CACHE_SECONDS = 30.0
CNY = 100


@functools.cache
def clothing() -> ProgrammeIn:
    """The built-in default programme (made on first use, not at import)."""
    return ProgrammeIn(
        name="年度消费等级", metric="paid_fen", window="calendar-year", validity="calendar-year", grace_days=15,
        warning_days=30,
        growth=GrowthIn(activities={"checkin": 1, "review": 10, "share": 10, "profile": 50}),
        tiers=[
            TierIn(code="normal", name_zh="普通会员", name_en="Member"),
            TierIn(code="silver", name_zh="白银会员", name_en="Silver", qualify_at=1_000 * CNY, retain_at=800 * CNY,
                   upgrade_gift_points=100,
                   benefits=Benefits(discount_rate="0.98", points_multiplier="1.2", birthday_bonus_points=100)),
            TierIn(code="gold", name_zh="黄金会员", name_en="Gold", qualify_at=3_000 * CNY, retain_at=2_500 * CNY,
                   upgrade_gift_points=300,
                   benefits=Benefits(discount_rate="0.95", points_multiplier="1.5", birthday_bonus_points=300,
                                     free_shipping=True)),
            TierIn(code="diamond", name_zh="钻石会员", name_en="Diamond", qualify_at=8_000 * CNY, retain_at=6_000 * CNY,
                   upgrade_gift_points=800,
                   benefits=Benefits(discount_rate="0.9", points_multiplier="2", birthday_bonus_points=800,
                                     free_shipping=True, priority_purchase=True)),
        ],
    )  # fmt: skip


class NotADraft(Conflict):
    slug, title = "programme-not-draft", "Only a draft programme version can be applied"


@dataclass(frozen=True)
class Version:
    version: int
    document: ProgrammeIn
    programme: Programme
    status: str
    created_at: str
    created_by: str
    applied_at: str | None = None
    applied_by: str | None = None


@functools.cache
def default_version() -> Version:
    """What members are judged by before any version is applied: the built-in programme."""
    return Version(0, clothing(), clothing().to_programme(0), "current", "", "default")


def _version(record: TierProgrammeRecord) -> Version:
    document = ProgrammeIn.model_validate_json(record.document)
    return Version(int(record.version), document, document.to_programme(int(record.version)), record.status,
                   record.created_at, record.created_by, record.applied_at, record.applied_by)  # fmt: skip


def _load() -> list[Version]:
    return [_version(record) for record in TierProgrammeRecord.query(SCOPE, consistent_read=True)]


_versions = Cached(_load, CACHE_SECONDS)


def versions() -> list[Version]:
    """Every stored version, oldest first."""
    return _versions.get()


def forget() -> None:
    _versions.forget()


def current() -> Version:
    return next((v for v in reversed(versions()) if v.status == "current"), default_version())


def programme() -> Programme:
    """The programme members are judged by now."""
    return current().programme


def codes_ever() -> frozenset[str]:
    """The tier codes of the built-in programme and of every version applied since (drafts never were)."""
    applied = [version for version in (default_version(), *versions()) if version.applied_at or not version.version]
    return frozenset(tier.code for version in applied for tier in version.programme.tiers)


def get(number: int) -> Version:
    """A stored version (0: the built-in default)."""
    if number == 0:
        return default_version()
    found = next((v for v in _load() if v.version == number), None)
    if found is None:
        raise NotFound(f"No tier programme version {number}")
    return found


def create(document: ProgrammeIn, by: str) -> Version:
    """Store a draft; nothing changes for members until it is applied."""
    written: list[TierProgrammeRecord] = []

    def write(number: int) -> Transaction:
        record = TierProgrammeRecord(SCOPE, number, document=document.model_dump_json(), status="draft",
                                     created_at=clock.iso(clock.now()), created_by=by)  # fmt: skip
        written[:] = [record]
        tx = Transaction()
        tx.put(record, condition=TierProgrammeRecord.version.does_not_exist(), on_fail=_Taken())
        emit(tx, new_event("tier.programme-drafted", f"tier-programme/{number}", {"version": number}))
        return tx

    append_version(lambda: max((v.version for v in _load()), default=0), write, _Taken,
                   "Programme versions are being written concurrently; retry")  # fmt: skip
    forget()
    return _version(written[0])


class _Taken(Exception):
    pass


def make_current(number: int, by: str) -> Version:
    """Make a draft the current version (the one before it is superseded). Members are then re-judged by the
    apply job; new purchases are judged by it at once."""
    chosen = get(number)
    if chosen.status != "draft":
        raise NotADraft(f"Version {number} is {chosen.status}")
    before = current()
    now = clock.iso(clock.now())
    tx = Transaction()
    P = TierProgrammeRecord
    tx.update(P(SCOPE, number), [P.status.set("current"), P.applied_at.set(now), P.applied_by.set(by)],
              condition=P.status == "draft", on_fail=NotADraft(f"Version {number} was applied meanwhile"))  # fmt: skip
    if before.version:
        tx.update(TierProgrammeRecord(SCOPE, before.version), [TierProgrammeRecord.status.set("superseded")],
                  condition=TierProgrammeRecord.status == "current",
                  on_fail=Unavailable("Another version was applied meanwhile; retry", retry_after=1))  # fmt: skip
    emit(tx, new_event("tier.programme-applied", f"tier-programme/{number}", {
        "version": number, "previous_version": before.version,
    }))  # fmt: skip
    tx.commit()
    forget()
    return get(number)
