"""Tiers and growth value on the member's account item: what a write adds, what the jobs and staff change,
and the views members and staff read.

Growth and metrics move with the write that causes them (a purchase, a refund, an activity), in its
transaction: ``advance`` prepares the account actions, the growth entry, an upgrade (with its gift, which
the points service books as its own ledger entry) and the ``tier.changed`` event. Downgrades, retention,
warnings, overrides and programme changes go through ``settle``: a conditional update of the standing alone,
with its history entry and event, retried on a fresh read when the account moved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.ledger.engine import Holdings
from chalicelib.ledger.model import Account, Posting, Source
from chalicelib.ledger.registry import ledger
from chalicelib.shared import clock
from chalicelib.shared.context import current_origin
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, change_summary, emit, new_event
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.phrases import Phrase
from chalicelib.shared.settings import get_settings
from chalicelib.tiers import programmes
from chalicelib.tiers.book import GROWTH, TIER
from chalicelib.tiers.records import TierChangeRecord
from chalicelib.tiers.rules import (
    BirthdayBonus,
    Change,
    Metrics,
    Override,
    Programme,
    Standing,
    Tier,
    apply_override,
    birthday_coupons_beyond,
    birthday_on_refund,
    month_of,
    on_metric_change,
    on_refund,
    qualifying,
    review_date,
    review_value,
)

# --- the standing as its book keeps it ---------------------------------------------------------------------------


def standing_of(state: dict[str, Any], programme: Programme, *, dropped: bool = False) -> Standing:
    """The member's standing; a tier the programme no longer has reads as its lowest (until re-judged), or as it is
    with ``dropped`` (the re-judging by a new programme, which moves its members and says from where)."""
    since = date.fromisoformat(state["since"]) if state.get("since") else None
    override = _override(state)
    if not state.get("tier") or not (dropped or programme.knows(state["tier"])):
        return Standing(programme.tiers[0].code, since or clock.business_today(), None, override)
    return Standing(
        state["tier"], since or clock.business_today(),
        date.fromisoformat(state["until"]) if state.get("until") else None, override,
        date.fromisoformat(state["warned_for"]) if state.get("warned_for") else None,
        BirthdayBonus(*state["birthday"][:6]) if state.get("birthday") else None,  # a later form's more: not read
    )  # fmt: skip


def naming_dropped(stored: dict[str, Any], programme: Programme, standing: Standing,
                   change: Change | None) -> Change | None:  # fmt: skip
    """A write that moves a member off a tier the programme dropped says so: its change names that tier as the one
    left (``standing_of`` reads it as the lowest), or, when judging changed nothing else, is a ``programme`` change
    from it. Whatever path writes first (the apply job, a purchase, a review, an override), the member's history and
    the members counted by tier leave the dropped tier (a walkthrough's dashboard kept a diamond member)."""
    left = stored.get("tier")
    if not left or programme.knows(left) or left == standing.tier:
        return change
    if change is not None:
        return replace(change, previous=left)
    return Change(standing.tier, left, "programme")


def _override(state: dict[str, Any]) -> Override | None:
    raw = state.get("override")
    if not raw:
        return None
    return Override(raw["kind"], raw["tier"], date.fromisoformat(raw["until"]), raw["reason"])


def tier_state(standing: Standing, programme: Programme) -> dict[str, Any]:
    """The standing as its book keeps it, with the day the nightly job must look at it next (a warning or a
    review): members at the lowest tier are never due."""
    due = review_date(programme, standing)
    override = standing.override
    return {
        "tier": standing.tier, "since": standing.since.isoformat(),
        "until": standing.valid_until.isoformat() if standing.valid_until else None,
        "override": {"kind": override.kind, "tier": override.tier, "until": override.until.isoformat(),
                     "reason": override.reason} if override else None,
        "warned_for": standing.warned_for.isoformat() if standing.warned_for else None,
        "programme": programme.version, "review": due.isoformat() if due else None,
        **({"birthday": _birthday_state(standing.birthday)} if standing.birthday else {}),
    }  # fmt: skip


def _birthday_state(gift: BirthdayBonus) -> list[Any]:
    if gift.floor_tier is None:  # noted before floors were kept: as it was
        return [gift.given_at, gift.tier, gift.bonus, gift.floor]
    other_year = [gift.year] if gift.year not in (None, _booked_year(gift)) else []  # a late report across new year's
    return [gift.given_at, gift.tier, gift.bonus, gift.floor, gift.floor_tier, *other_year]


def _booked_year(gift: BirthdayBonus) -> int:
    """The business year a gift was booked in (the year it counts in, unless it says another)."""
    return clock.business_date(datetime.fromisoformat(gift.given_at), get_settings().tz).year


def tier_in(holdings: Holdings, member_id: str) -> str:
    """The member's tier as read (the programme's lowest when they have none)."""
    return standing_of(holdings.state(member_id, TIER), programmes.programme()).tier


def tier_with_benefits(holdings: Holdings, member_id: str) -> str:
    """The tier whose benefits the member has now: their own, or the floor of a card paid for above it (a 金卡 lifts
    silver to gold; a free trial's does not), read from the account the caller read. A member without cards costs no
    import of the membership service."""
    from chalicelib.membership.book import MEMBERSHIP

    if not holdings.state(member_id, MEMBERSHIP).cards:
        return tier_in(holdings, member_id)
    from chalicelib.membership.service import tier_of_benefits

    return tier_of_benefits(holdings, member_id, clock.business_today(), paid_only=True)


def _standing_posting(member_id: str, standing: Standing, programme: Programme, source: Source) -> Posting:
    return Posting(member_id, TIER, 0, "standing", source, "", detail=tier_state(standing, programme))


def noting_birthday(
    holdings: Holdings, member_id: str, tier: str, bonus: int, floor: tuple[str, int], source: Source,
    postings: list[Posting], year: int | None = None,
) -> list[Posting]:  # fmt: skip
    """``postings`` (a birthday gift's) with the gift kept on the member's standing, when its ``bonus`` or birthday
    coupons came from their earned ``tier`` above the lowest, beyond what a card's floor alone gives (``floor``: its
    tier and points): a refund that undoes the upgrade that reached the tier takes that part back
    (``rules.birthday_on_refund``). Otherwise an earlier
    gift kept there is forgotten: no refund can undo this one, and an older one is not this year's. The rest of the
    standing is left as it was stored (a gift judges no tier)."""
    programme = programmes.programme()
    stored = holdings.state(member_id, TIER)
    floor_tier, floor_bonus = floor  # the lowest tier as a floor is no card's: the tier left keeps its coupons
    floor_tier = floor_tier if programme.knows(floor_tier) and programme.rank(floor_tier) > 0 else ""
    beyond = bonus > floor_bonus or bool(birthday_coupons_beyond(programme, tier, floor_tier))
    given = tier == tier_in(holdings, member_id) and programme.rank(tier) > 0 and beyond
    if not given and not stored.get("birthday"):
        return postings
    gift = BirthdayBonus(clock.iso(clock.now()), tier, bonus, floor_bonus, floor_tier, year)
    noted = {"birthday": _birthday_state(gift)} if given else {}
    for n, posting in enumerate(postings):
        if posting.book == TIER and posting.holder == member_id:  # the gift's growth moved the standing too
            detail = {name: value for name, value in (posting.detail or {}).items() if name != "birthday"}
            return [*postings[:n], replace(posting, detail={**detail, **noted}), *postings[n + 1 :]]
    kept = {name: value for name, value in stored.items() if name != "birthday"}
    return [*postings, Posting(member_id, TIER, 0, "standing", source, "", detail={**kept, **noted})]


# --- what a write adds -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Growth and paid fen a write counts (negative: a refund takes them back), in the business month of
    ``occurred_on``; only a rise can upgrade."""

    growth: int
    paid_fen: int
    occurred_on: date
    source_kind: str
    source_id: str
    reason: str
    cause: str = ""  # the purchase behind it (``<partner>#<order id>``): a refund may undo its upgrade
    cause_at: str = ""  # when that purchase was recorded (ISO): a refund may undo every upgrade since


@dataclass(frozen=True)
class Advance:
    """What ``progress`` does to a member's books: the growth and standing postings, and a change of tier (its
    history record and event): an upgrade whose gift the points service books, or a refund's undoing of an
    upgrade whose gift it takes back."""

    postings: list[Posting]
    change: TierChangeRecord | None = None
    announce: Event | None = None
    gift_reason: str = ""
    birthday_back: int = 0  # a refund's: what a birthday gift had for a tier it undid (``rules.birthday_on_refund``)
    undone_since: str = ""  # a refund's: when the first upgrade it undid was made (ISO), if it undid one

    @property
    def gift_points(self) -> int:
        return int(self.change.gift_points) if self.change and self.change.reason == "upgrade" else 0

    @property
    def gift_back(self) -> int:
        return int(self.change.gift_points) if self.change and self.change.reason == "refund" else 0

    def write(self, tx: Transaction) -> None:
        if self.change is not None:
            tx.put(self.change)


def advance(holdings: Holdings, member_id: str, progress: Progress, today: date) -> Advance | None:
    """Count ``progress`` on the books as read, upgrading at once when the metric crosses a threshold."""
    if not progress.growth and not progress.paid_fen:
        return None
    programme = programmes.programme()
    before: Metrics = holdings.state(member_id, GROWTH)
    stored = holdings.state(member_id, TIER)
    standing = previous = standing_of(stored, programme)
    month = month_of(progress.occurred_on)
    after = before.add(month, progress.growth, progress.paid_fen, today)
    change: Change | None = None
    counted: list[TierChangeRecord] = []
    birthday_back, undone_since, birthday_coupons = 0, "", None
    if progress.growth > 0 or progress.paid_fen > 0:
        standing, change = on_metric_change(programme, standing, after.value(programme, today), today)
    elif progress.cause:
        value = after.value(programme, today)
        before_upgrade, counted = _before_upgrades_since(member_id, progress.cause, progress.cause_at, standing,
                                                         programme, value)  # fmt: skip
        standing, change = on_refund(programme, standing, value, before_upgrade, today)
        if change is not None:  # the standing before the upgrades knows no later birthday gift: the one held does
            undone = [c.occurred_at for c in counted if programme.rank(c.tier) > programme.rank(change.tier)]
            undone_since = min(undone, default="")
            taken, birthday = (birthday_on_refund(programme, previous.birthday, undone_since, change.tier) if undone
                               else (0, previous.birthday))  # fmt: skip
            standing, birthday_back = replace(standing, birthday=birthday), taken
            if previous.birthday is not None and birthday != previous.birthday:
                birthday_coupons = _birthday_coupons_back(programme, previous.birthday, change.tier)
    change = naming_dropped(stored, programme, standing, change)
    source = Source(progress.source_kind, progress.source_id)
    growth = after.growth - before.growth
    kind = "earn" if growth > 0 else "reverse"
    postings = [Posting(member_id, GROWTH, growth, kind, source, progress.reason,
                        detail={"growth": progress.growth, "paid_fen": progress.paid_fen, "month": month})]  # fmt: skip
    if change is not None or stored.get("programme") != programme.version or not stored.get("tier"):
        postings.append(_standing_posting(member_id, standing, programme, source))
    if change is None:
        return Advance(postings)
    now, actor = clock.iso(clock.now()), current_origin().actor
    change_id = new_id("tc_")
    history = _history(member_id, change, change_id, programme, now, actor, None)
    if change.reason == "upgrade":
        history.cause = progress.cause or None
        history.previous_since = previous.since.isoformat()
        history.previous_until = previous.valid_until.isoformat() if previous.valid_until else None
        names = _names(programme, change.tier)
        gift_reason = Phrase(f"升级礼遇：{names['tier_name_zh']}", f"Upgrade gift: {names['tier_name_en']}")
    else:  # a refund's (a programme change carries no gift)
        names = _names(programme, change.previous)
        gift_reason = Phrase(
            f"退款撤销升级礼遇：{names['tier_name_zh']}", f"Upgrade gift taken back (refund): {names['tier_name_en']}"
        )
    undoes = [{"change_id": c.change_id, "tier": c.tier, "previous": c.previous} for c in counted
              if programme.rank(c.tier) > programme.rank(change.tier)]  # fmt: skip
    event = _changed_event(member_id, change, change_id, programme, undoes, birthday_coupons)
    return Advance(postings, history, event, gift_reason, birthday_back, undone_since)


def _birthday_coupons_back(programme: Programme, gift: BirthdayBonus, tier_left: str) -> dict[str, Any] | None:
    """What a refund does to the coupons of a birthday gift given at the tier it takes away, by the gift's business
    year (the coupons' source): those the tier left and the card's floor then do not name go back (``templates``),
    and those the tier whose benefits apply now names and the gift's did not are given (``give``), so the gift is
    what it would have been without the undone tier. A gift noted before floors were kept keeps its coupons."""
    if gift.floor_tier is None:
        return None
    applies = max((tier for tier in (tier_left, gift.floor_tier) if programme.knows(tier)), key=programme.rank)
    templates = birthday_coupons_beyond(programme, gift.tier, tier_left, gift.floor_tier)
    give = birthday_coupons_beyond(programme, applies, gift.tier)
    if not templates and not give:
        return None
    return {"year": gift.year or _booked_year(gift), "templates": templates, "give": give}


HISTORY_WALK = 20  # changes read back from the newest: the upgrades and refunds since the refunded purchase
OPENING_GROWTH = Phrase("迁移期初成长值", "Opening growth (migration)")  # a migrated member's growth entry


def _before_upgrades_since(
    member_id: str, cause: str, cause_at: str, standing: Standing, programme: Programme, value: int
) -> tuple[Standing | None, list[TierChangeRecord]]:
    """Where the member stood before the first upgrade that counted the refunded purchase ``cause`` (its own, and
    every upgrade made since it was recorded at ``cause_at``), when the history back to it holds only upgrades and
    refunds: a refund never undoes a staff change or a review, nor an upgrade the member had before that purchase.
    An upgrade a refund undid whole since is no longer part of the tier held. So a refund of the purchase that
    made a later small one reach a tier takes that tier back too, unless what remains still qualifies for it.
    Besides, those upgrades, which a refund to below a tier they reached undoes with
    what they gave. Reads the history only when a refund leaves the member short of their tier's threshold
    (otherwise nothing could be undone), at most ``HISTORY_WALK`` changes."""
    held = programme.rank(standing.tier)
    if held == 0 or value >= programme.tier(standing.tier).qualify_at:
        return None, []
    changes = TierChangeRecord.query(member_id, scan_index_forward=False, limit=HISTORY_WALK, consistent_read=True)
    before: Standing | None = None
    counted: list[TierChangeRecord] = []
    for change in changes:
        if change.occurred_at < cause_at and change.cause != cause:
            break  # made before the refunded purchase: it counted none of it
        if change.reason == "refund":
            continue
        if change.reason != "upgrade" or not programme.knows(change.tier) or not programme.knows(change.previous):
            return before, counted  # a staff change or a review since stands, and what came before it
        if held <= programme.rank(change.previous):
            continue  # undone whole by a refund since: no longer part of the tier held
        since = date.fromisoformat(change.previous_since) if change.previous_since else standing.since
        until = date.fromisoformat(change.previous_until) if change.previous_until else None
        before = Standing(change.previous, since, until)
        counted.append(change)
        if change.cause == cause:
            break  # the refunded purchase's own upgrade: nothing before it counted that purchase
    return before, counted


def _history(member_id: str, change: Change, change_id: str, programme: Programme, now: str, actor: str,
             note: str | None) -> TierChangeRecord:  # fmt: skip
    return TierChangeRecord(
        member_id, f"{now}#{change_id}", change_id=change_id, tier=change.tier, previous=change.previous,
        reason=change.reason, programme_version=programme.version, gift_points=change.gift_points, note=note,
        actor=actor, occurred_at=now,
    )  # fmt: skip


def _changed_event(
    member_id: str, change: Change, change_id: str, programme: Programme, undoes: list[dict[str, str]] | None = None,
    birthday: dict[str, Any] | None = None,
) -> Event:  # fmt: skip
    """``tier.changed``; a refund's names the upgrades it undid (``undoes``), whose gifts go back with them, and the
    birthday coupons of the tier it took from a birthday gift (``birthday``: its year and templates)."""
    was = _names(programme, change.previous)
    return new_event("tier.changed", f"member/{member_id}", {
        "member_id": member_id, "change_id": change_id, "tier": change.tier, "previous": change.previous,
        "reason": change.reason, "gift_points": change.gift_points, "programme_version": programme.version,
        "previous_name_zh": was["tier_name_zh"], "previous_name_en": was["tier_name_en"],
        **_names(programme, change.tier), **({"undoes": undoes} if change.reason == "refund" else {}),
        **({"birthday": birthday} if birthday else {}),
    })  # fmt: skip


def _names(programme: Programme, code: str) -> dict[str, str]:
    """A tier's names, for the messages an event gives (a code is no word for a member): the programme's, else the
    latest programme applied that had it, the built-in one included (a tier a new programme dropped), else its code."""
    tier: Tier | None = None
    if programme.knows(code):
        tier = programme.tier(code)
    else:  # never a draft's (a review)
        applied = [v for v in (programmes.default_version(), *programmes.versions()) if v.applied_at or not v.version]
        tier = next((v.programme.tier(code) for v in reversed(applied) if v.programme.knows(code)), None)
    return {"tier_name_zh": tier.name_zh if tier else code, "tier_name_en": tier.name_en if tier else code}


# --- what a migrated member brings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningStanding:
    """What a member migrated from another system brings: their tier with its last valid day (an opening
    standing, reviewed like any other) and the current period's growth and paid amount, booked as one
    ``opening`` entry of the growth ledger in the month of the import."""

    tier: str | None = None
    valid_until: date | None = None
    growth: int = 0
    paid_fen: int = 0

    def problems(self) -> list[tuple[str, str]]:
        """(column, reason) for what the current programme cannot take."""
        programme, today = programmes.programme(), clock.business_today()
        found = []
        if self.tier is not None and not programme.knows(self.tier):
            found.append(("tier", f"not a tier of the programme ({', '.join(t.code for t in programme.tiers)})"))
        if self.valid_until is not None and self.valid_until < today:
            found.append(("tier_valid_until", "a day from today on (a tier that ended is not brought over)"))
        if self.valid_until is not None and self.valid_until > today + timedelta(days=3 * 366):
            found.append(("tier_valid_until", "at most three years ahead"))
        if self.growth < 0 or self.paid_fen < 0:
            found.append(("period_growth" if self.growth < 0 else "period_paid_fen", "not negative"))
        return found


def opening_postings(tx: Transaction, member_id: str, opening: OpeningStanding) -> list[Posting]:
    """The postings that open a new member's account with their opening standing and growth (the caller opens the
    account inside ``tx``, the registration's transaction, with any other book's); the tier change joins ``tx``.
    A member whose period brought over already qualifies for a higher tier than the one brought over opens at that
    tier, valid as an upgrade today would be, and without its gift: their next purchase, however small, would
    otherwise upgrade them with the gift of a tier it did nothing to earn."""
    programme, today = programmes.programme(), clock.business_today()
    tier, valid_until = opening.tier or programme.tiers[0].code, opening.valid_until
    if programme.rank(tier) == 0 and not opening.growth and not opening.paid_fen:
        return []
    month = month_of(today)
    metrics = Metrics().add(month, opening.growth, opening.paid_fen, today)
    earned = qualifying(programme, metrics.value(programme, today))
    if earned > programme.rank(tier):
        tier, valid_until = programme.tiers[earned].code, None
    until = (valid_until or programme.valid_until(today)) if programme.rank(tier) else None
    source = Source("import", member_id)
    growth = metrics.growth
    detail = {"growth": opening.growth, "paid_fen": opening.paid_fen, "month": month}
    postings = [
        Posting(member_id, GROWTH, growth, "opening", source, OPENING_GROWTH, detail=detail, kept=True),
        _standing_posting(member_id, Standing(tier, today, until), programme, source),
    ]
    if programme.rank(tier):
        now, actor = clock.iso(clock.now()), current_origin().actor
        change_id = new_id("tc_")
        lowest = programme.tiers[0].code
        tx.put(TierChangeRecord(
            member_id, f"{now}#{change_id}", change_id=change_id, tier=tier, previous=lowest,
            reason="opening", programme_version=programme.version, gift_points=0, note="迁移期初等级", actor=actor,
            occurred_at=now,
        ))  # fmt: skip
        emit(tx, new_event("tier.changed", f"member/{member_id}", {  # the profile's copy and the statistics follow
            "member_id": member_id, "change_id": change_id, "tier": tier, "previous": lowest, "reason": "opening",
            "gift_points": 0, "programme_version": programme.version,
        }))  # fmt: skip
    return postings


# --- changes of the standing alone ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What judging a member decided: the new standing, a change to record, a warning to send."""

    standing: Standing
    change: Change | None = None
    warn: bool = False
    missing: int = 0  # with a warning: what retaining the tier still needs, in the programme's metric (fen, growth)
    note: str | None = None  # a staff reason, kept in the history
    announce: Event | None = None  # the staff action itself (so it is audited even when the tier stays)
    programme: Programme | None = None  # the programme it was judged by (set when it is written)
    change_id: str = field(default_factory=lambda: new_id("tc_"))


Judge = Callable[[Programme, Standing, Metrics, date], Verdict]


def settle(member_id: str, judge: Judge, *, image: Account | None = None, programme: Programme | None = None,
           create: bool = False, today: date | None = None, dropped: bool = False) -> Verdict | None:  # fmt: skip
    """Judge the member's standing and write what changed, conditional on the books as read (``image``, an
    account a job read in a batch, serves the first attempt). ``create``: the member may have no books yet
    (staff overrides); otherwise a member without any has nothing to settle. ``dropped``: the judge sees a tier
    the programme no longer has as it is (``standing_of``). None when nothing changed."""
    found: list[Verdict] = []

    def plan(holdings: Holdings) -> list[Posting]:
        found.clear()
        if holdings.accounts[member_id].rev is None and not create:
            return []
        chosen = programme or programmes.programme()
        stored = holdings.state(member_id, TIER)
        standing = standing_of(stored, chosen, dropped=dropped)
        verdict = judge(chosen, standing, holdings.state(member_id, GROWTH), today or clock.business_today())
        verdict = replace(verdict, change=naming_dropped(stored, chosen, verdict.standing, verdict.change))
        if (verdict.standing == standing and verdict.change is None and not verdict.warn
                and stored.get("programme") == chosen.version):  # fmt: skip
            return []
        found.append(replace(verdict, programme=chosen))
        return [_standing_posting(member_id, verdict.standing, chosen, Source("tier", None))]

    ledger().post(plan, holders=[member_id], announce=lambda answer: _verdict_events(member_id, found),
                  attach=lambda answer: _verdict_records(member_id, found),
                  known={member_id: image} if image is not None else None)  # fmt: skip
    return found[0] if found else None


def _verdict_events(member_id: str, found: list[Verdict]) -> list[Event]:
    if not found:
        return []
    verdict, events = found[0], []
    assert verdict.programme is not None
    if verdict.change is not None:
        events.append(_changed_event(member_id, verdict.change, verdict.change_id, verdict.programme))
    if verdict.announce is not None:
        events.append(verdict.announce)
    if verdict.warn:
        standing, programme = verdict.standing, verdict.programme
        assert standing.valid_until is not None  # only a tier with an end is warned of its review
        events.append(
            new_event(
                "tier.downgrade-warning",
                f"member/{member_id}",
                {
                    "member_id": member_id,
                    "tier": standing.tier,
                    "valid_until": str(standing.valid_until),
                    "review_on": str(standing.valid_until + timedelta(days=programme.grace_days + 1)),
                    "metric": programme.metric,
                    "missing": verdict.missing,
                    "programme_version": programme.version,
                    **_names(programme, standing.tier),
                },
            )
        )  # fmt: skip  the review's day, as the tier page says it (a walkthrough's text said the period's end)
    return events


def _verdict_records(member_id: str, found: list[Verdict]) -> list[Callable[[Transaction], None]]:
    if not found or found[0].change is None:
        return []
    verdict = found[0]
    assert verdict.change is not None
    assert verdict.programme is not None
    record = _history(member_id, verdict.change, verdict.change_id, verdict.programme, clock.iso(clock.now()),
                      current_origin().actor, verdict.note)  # fmt: skip
    return [lambda tx: tx.put(record)]


def warned(standing: Standing) -> Standing:
    return replace(standing, warned_for=standing.valid_until)


def set_override(member_id: str, override: Override | None) -> None:
    """Staff set a floor or a pin (or lift it, with ``None``); a tier it changes changes at once."""

    def judge(programme: Programme, standing: Standing, metrics: Metrics, today: date) -> Verdict:
        moved, change = apply_override(programme, standing, override, metrics.value(programme, today), today)
        before = {"tier": standing.tier, "override": _described(standing.override)}
        after = {"tier": moved.tier, "override": _described(override)}
        changed = [name for name in ("override", "tier") if after[name] != before[name]]
        summary = change_summary(changed, before, after, shown=("override", "tier"))
        payload = {"member_id": member_id, "override": after["override"], "tier": moved.tier, **summary}
        event = new_event("tier.override-set" if override else "tier.override-lifted", f"member/{member_id}", payload)
        return Verdict(moved, change, note=override.reason if override else None, announce=event)

    settle(member_id, judge, create=True)


def _described(override: Override | None) -> dict[str, Any] | None:
    if override is None:
        return None
    return {"kind": override.kind, "tier": override.tier, "until": str(override.until), "reason": override.reason}


def coupon_templates(benefits: dict[str, Any]) -> list[str]:
    """The coupon templates a tier's benefits name: its exclusive coupons (专属券) and birthday coupons (生日券)."""
    return [*benefits.get("exclusive_coupons", []), *benefits.get("birthday_coupons", [])]


def status(member_id: str, *, with_history: bool = True, holdings: Holdings | None = None) -> dict[str, Any]:
    """Where the member stands now: tier and period, progress to the next tier, retention, benefits, history
    (left empty without ``with_history``, which saves its query). ``holdings``: the member's books already read."""
    holdings = holdings or ledger().holdings(member_id)
    version = programmes.current()
    programme, today = version.programme, clock.business_today()
    standing, metrics = standing_of(holdings.state(member_id, TIER), programme), holdings.state(member_id, GROWTH)
    value, rank = metrics.value(programme, today), programme.rank(standing.tier)
    tier = programme.tiers[rank]
    following = programme.tiers[rank + 1] if rank + 1 < len(programme.tiers) else None
    retention = None
    if standing.valid_until is not None:
        review_on = standing.valid_until + timedelta(days=programme.grace_days + 1)
        judged = (metrics.value(programme, standing.valid_until) if standing.valid_until >= today
                  else review_value(programme, standing, metrics, today))  # fmt: skip
        retention = {"retain_at": tier.retain_at, "value": value, "missing": max(0, tier.retain_at - value),
                     "review_on": review_on.isoformat(), "at_risk": value < tier.retain_at,
                     "counted": judged, "counted_missing": max(0, tier.retain_at - judged)}  # fmt: skip
    override = standing.override
    return {
        "programme_version": version.version, "metric": programme.metric, "window": programme.window,
        "tier": _tier_view(tier), "since": standing.since.isoformat(),
        "valid_until": standing.valid_until.isoformat() if standing.valid_until else None, "value": value,
        "next": {**_tier_view(following), "qualify_at": following.qualify_at,
                 "missing": max(0, following.qualify_at - value)} if following else None,
        "retention": retention,
        "override": {"kind": override.kind, "tier": override.tier, "until": override.until.isoformat(),
                     "reason": override.reason} if override else None,
        "benefits": tier.benefits, "history": history(member_id) if with_history else [],
    }  # fmt: skip


def _tier_view(tier: Tier) -> dict[str, Any]:
    return {"code": tier.code, "name_zh": tier.name_zh, "name_en": tier.name_en}


def growth(member_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """The growth value, lifetime paid amount and monthly figures, and a page of growth entries."""
    metrics: Metrics = ledger().holdings(member_id).state(member_id, GROWTH)
    items, next_cursor = growth_entries(member_id, limit, cursor)
    months = {month: {"growth": pair[0], "paid_fen": pair[1]} for month, pair in sorted(metrics.months.items())}
    return {"value": metrics.growth, "paid_fen": metrics.paid_fen, "months": months, "items": items,
            "next_cursor": next_cursor}  # fmt: skip


# --- views -----------------------------------------------------------------------------------------------------


def history(member_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """The member's latest tier changes, newest first."""
    records = TierChangeRecord.query(member_id, scan_index_forward=False, limit=limit)
    return [{"tier": r.tier, "previous": r.previous, "reason": r.reason, "gift_points": int(r.gift_points),
             "programme_version": int(r.programme_version), "note": r.note, "occurred_at": r.occurred_at}
            for r in records]  # fmt: skip


def growth_entry_json(entry: Any) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id, "seq": entry.seq, "type": entry.kind, "growth": entry.amount,
        "value_after": entry.balance_after, "paid_fen": int(entry.detail["paid_fen"]), "month": entry.detail["month"],
        "source": {"kind": entry.source.kind, "id": entry.source.id}, "reason": entry.reason,
        "reason_en": entry.reason_en, "occurred_at": entry.occurred_at,
    }  # fmt: skip


def growth_entries(member_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    scope = f"growth-ledger|{member_id}"
    position = decode_cursor(scope, cursor)
    entries, after = ledger().page(member_id, GROWTH, limit, position["seq"] if position else None, consistent=False)
    return [growth_entry_json(entry) for entry in entries], encode_cursor(scope, {"seq": after} if after else None)
