"""Coupon (优惠券) use cases on the ledger engine: templates, issuing (by staff, the platform's own gifts, a member's
claim, the points mall), the till's eligibility, reservation, redemption and its reversal, expiry and voiding.

Each change of a coupon is one ``Ledger.post``: one read of the accounts it touches (the coupon, the template's
stock shards and the member's count of the template, or the order's coupons) and one transaction holding the
entries, the claim that makes it happen once, the coupon's list record and its event. The functions take plain
inputs and answer dicts the API validates; they never return HTTP statuses.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from chalicelib.catalog import service as catalog
from chalicelib.coupons import book as _books  # noqa: F401  registers the coupon books
from chalicelib.coupons.records import TEMPLATES_SCOPE, CouponFigureRecord, CouponRecord, CouponTemplateRecord
from chalicelib.coupons.rules import (
    BOOKS,
    COUPON,
    COUPON_BOOK,
    GIFT_HOURS,
    OFFERS_PER_COUPON,
    ORDER,
    REASONS,
    STOCK,
    TAKEN,
    CodeFormat,
    Coupon,
    CouponRefused,
    Fit,
    Item,
    Order,
    Redemption,
    Scope,
    Terms,
    Validity,
    coupon_holder,
    covered_fen,
    discounts_by_line,
    fits,
    goods_discount,
    in_words,
    issuing,
    order_holder,
    pick_shard,
    scope_key,
    shards_for,
    spread,
    stacks_with,
    stock_holder,
    taken_holder,
    within_covered,
)
from chalicelib.identity.rules import Permission
from chalicelib.ledger.engine import Holdings, Ledger, idempotency_claim
from chalicelib.ledger.model import Account, Answer, Claim, Insufficient, Posting, Source
from chalicelib.ledger.registry import ledger, never_posted, unchanged_in
from chalicelib.ledger.store import HolderUnavailable
from chalicelib.members import service as members
from chalicelib.members.model import Status as MemberStatus
from chalicelib.shared import clock
from chalicelib.shared.cache import Cached, CachedByKey
from chalicelib.shared.crypto import lookup_hash
from chalicelib.shared.db import Transaction, together
from chalicelib.shared.errors import (
    Conflict,
    DomainError,
    IdempotencyKeyReused,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from chalicelib.shared.events import Event, change_summary, emit, new_event
from chalicelib.shared.idempotency import IdempotencyKey
from chalicelib.shared.ids import new_id
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.phrases import Phrase
from chalicelib.shared.ratelimit import Limit, refusal_now, take
from chalicelib.shared.settings import get_settings
from chalicelib.shared.unique import UniqueRecord
from chalicelib.shared.versions import Expected
from chalicelib.stores.service import not_open, open_stores, require_partners, store_exists


class TemplateNotFound(NotFound):
    """No such coupon template."""


class CouponNotFound(NotFound):
    """No such coupon (or not this caller's)."""


class OutOfStock(Conflict):
    slug, title = "out-of-stock", "The template has no coupons left to issue"


class LimitReached(Conflict):
    slug, title = "limit-reached", "The member already has as many of these coupons as one member may"


class TemplateNotIssuing(Conflict):
    slug, title = "template-not-issuing", "The template no longer issues coupons"


class NotClaimable(DomainError):
    slug, title, status = "template-not-claimable", "Members cannot claim this template's coupons", 422


class TierNotApplicable(Conflict):
    slug, title = "tier-not-applicable", "The template's coupons are for members of other tiers"


class IssueConflict(Conflict):
    slug, title = "issue-conflict", "This source id issued a coupon of this template to another member"


class CouponUnusable(Conflict):
    slug, title = "coupon-unusable", "The coupon cannot be used now"


class CouponUsed(Conflict):
    slug, title = "coupon-used", "The coupon was used on another order"


class RedemptionConflict(Conflict):
    slug, title = "redemption-conflict", "This order redeemed the coupon before with other content"


class OrderCouponsMoved(Conflict):
    """A decision made on an order's coupons met them changed at commit (one used or given back between): decide
    again."""

    title = "The order's coupons changed meanwhile; try again"


class NotReversible(Conflict):
    slug, title = "not-reversible", "The coupon was not used on this order, or its use was already reversed"


class NotReserved(Conflict):
    slug, title = "not-reserved", "The coupon is not reserved for this order"


class NotTransferable(Conflict):
    slug, title = "coupon-not-transferable", "This coupon cannot be given to a friend"


class GiftOver(Conflict):
    slug, title = "gift-over", "The gift was taken, withdrawn or has lapsed"


class OwnGift(Conflict):
    slug, title = "own-gift", "A member cannot take a coupon they offered themselves"


class PointsOnOrder(ValidationFailed):
    """Points paid part of the order (积分抵现) before this coupon: coupons go on first, points pay what they leave (a
    review: a coupon after points left a sale that could never be recorded)."""

    slug, title = "points-on-order", "Points already paid part of this order"

    def __init__(self) -> None:
        detail = "points paid part of this order: use coupons before points (积分抵现), or start a new order"
        super().__init__([{"field": "order_id", "in": "body", "message": detail}], detail)


class MemberNotEligible(ValidationFailed):
    slug, title = "member-not-eligible", "The member cannot receive coupons"

    def __init__(self, detail: str) -> None:
        super().__init__([{"field": "member_id", "in": "body", "message": detail}], detail)


def _refusal(reason: str, language: str = "zh-CN") -> CouponUnusable | CouponUsed:
    if reason == "used":
        return CouponUsed("The coupon was used on another order", reason=reason)
    zh, en = REASONS.get(reason, (reason, reason))
    return CouponUnusable(f"The coupon cannot be used: {en}", reason=reason, reason_text=zh if _zh(language) else en)


def _zh(language: str) -> bool:
    return not language.lower().startswith("en")


# --- templates ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A template as the service uses it."""

    template_id: str
    name: str
    description: str | None
    terms: Terms
    raw_terms: Mapping[str, Any]  # as created, for answers
    code_format: CodeFormat
    stock: int | None
    shards: int
    per_member_limit: int | None
    claimable: bool
    status: str
    gift: dict[str, Any] | None
    created_at: str
    created_by: str
    version: int
    transferable: bool = False  # members may give its coupons to a friend (转赠)

    @property
    def stock_holders(self) -> list[str]:
        return [stock_holder(self.template_id, n) for n in range(self.shards)] if self.stock is not None else []


SCOPE_LISTS = (
    "stores",
    "categories",
    "brands",
    "skus",
    "tiers",
    "excluded_categories",
    "excluded_brands",
    "excluded_skus",
)


def terms_of(raw: Mapping[str, Any]) -> Terms:
    """A template's terms from the JSON it was created with (the API's field names)."""
    validity_raw = raw["validity"]
    hours = raw.get("hours")
    validity = Validity(
        days_after_issue=validity_raw.get("days_after_issue"),
        starts_on=date.fromisoformat(validity_raw["from"]) if "from" in validity_raw else None,
        ends_on=date.fromisoformat(validity_raw["until"]) if "until" in validity_raw else None,
        weekdays=tuple(raw.get("weekdays") or ()),
        hours=(time.fromisoformat(hours["from"]), time.fromisoformat(hours["until"])) if hours else None,
    )
    scope_raw = raw.get("applies_to") or {}
    scope = Scope(**{name: tuple(scope_raw.get(name) or ()) for name in SCOPE_LISTS})
    return Terms(
        kind=raw["kind"],
        amount_off_fen=raw.get("amount_off_fen") or 0,
        percent_off=raw.get("percent_off") or 0,
        cap_fen=raw.get("cap_fen"),
        threshold_fen=raw.get("threshold_fen") or 0,
        exchange_sku=raw.get("exchange_sku"),
        exchange_name=raw.get("exchange_name"),
        min_spend_fen=raw.get("min_spend_fen") or 0,
        stacks=bool(raw.get("stacks")),
        validity=validity,
        scope=scope,
        face_value_fen=raw.get("face_value_fen"),
    )


ISSUED = Phrase("发券", "Issued")
ISSUED_BY = {  # a coupon's first entry, by what issued it
    "staff": Phrase("员工发券", "Given by staff"), "claim": Phrase("领券", "Claimed"),
    "registration": Phrase("注册礼", "Welcome gift"), "tier-upgrade": Phrase("升级礼", "Upgrade gift"),
    "mall-order": Phrase("积分兑换", "Exchanged for points"), "top-up": Phrase("充值礼", "Top-up gift"),
    "birthday": Phrase("生日礼", "Birthday gift"), "membership-pack": Phrase("会员卡券包", "Card's coupon pack"),
    "transfer": Phrase("好友转赠", "Given by a friend"), "code": Phrase("兑换码领取", "Claimed with a code"),
}  # fmt: skip
CODE_CLAIMED = Phrase("会员以兑换码领取", "Claimed by a member with its code")
TRANSFER = "transfer"  # how a coupon a friend gave is issued (its ``source_id``: the code the friend gave)
OFFERED = Phrase("转赠给好友，待领取", "Offered to a friend")
WITHDRAWN = Phrase("收回转赠", "Offer to a friend withdrawn")
TRANSFERRED = Phrase("好友已领取转赠", "Taken by a friend")
VOIDED_CARD = Phrase("会员卡退卡作废", "Voided: the card was cancelled")
VOIDED_BIRTHDAY = Phrase("退款撤销生日等级礼券", "Voided: a refund undid the tier of the birthday gift")
VOIDED_CARD_BIRTHDAY = Phrase(
    "退卡撤销会员卡等级生日礼券", "Voided: the card that gave the birthday tier was cancelled"
)
VOIDED_UPGRADE = Phrase("退款撤销升级礼券", "Voided: a refund undid the upgrade")
VOIDED_CASH_OUT = Phrase("退余额收回充值赠券", "Voided: the top-up was paid out in cash")
VOIDED_CLOSED = Phrase("会员注销作废", "Voided: the membership was closed")
TERM_FIELDS = (
    "kind",
    "amount_off_fen",
    "percent_off",
    "cap_fen",
    "threshold_fen",
    "exchange_sku",
    "exchange_name",
    "min_spend_fen",
    "face_value_fen",
    "validity",
    "weekdays",
    "hours",
    "applies_to",
    "stacks",
)


def _template(record: CouponTemplateRecord) -> Template:
    raw = json.loads(record.terms)
    code = json.loads(record.code_format)
    gift = {"on": record.gift_on, "min_top_up_fen": int(record.gift_min_fen or 0)} if record.gift_on else None
    return Template(
        record.template_id,
        record.name,
        record.description,
        terms_of(raw),
        raw,
        CodeFormat(**code),
        int(record.stock) if record.stock is not None else None,
        int(record.shards),
        int(record.per_member_limit) if record.per_member_limit is not None else None,
        record.claimable == "yes",
        record.status,
        gift,
        record.created_at,
        record.created_by,
        int(record.version or 0),
        transferable=record.transferable == "yes",
    )


def get_template(template_id: str) -> Template:
    record = CouponTemplateRecord.find(TEMPLATES_SCOPE, template_id)
    if record is None:
        raise TemplateNotFound(f"No coupon template {template_id!r}")
    return _template(record)


def templates_by_id(template_ids: Iterable[str]) -> dict[str, Template]:
    """Templates by id, in one batch read per hundred (unknown ids left out)."""
    keys = [(TEMPLATES_SCOPE, template_id) for template_id in sorted(set(template_ids))]
    return {record.template_id: _template(record) for record in CouponTemplateRecord.batch_get(keys)} if keys else {}


def stock_left(template: Template, holdings: Holdings | None = None) -> int | None:
    if template.stock is None:
        return None
    holders = template.stock_holders
    holdings = holdings or ledger().holdings(*holders)
    return sum(holdings.balance(holder, STOCK) for holder in holders)


def template_names(template_ids: Iterable[str]) -> dict[str, str]:
    """The names of the templates other domains name by id (a tier's 专属券 and 生日券), for screens to show;
    an unknown id is left out."""
    return {template_id: template.name for template_id, template in templates_by_id(template_ids).items()}


# a template's name as read at most five minutes ago: a nightly job naming each coupon it announces reads each
# template once, not each coupon's (names change rarely; a coupon's notice may say the name of a minute before)
NAMES: CachedByKey[str, str] = CachedByKey(lambda template_id: template_names([template_id]).get(template_id, ""),
                                           300.0, keep=bool)  # fmt: skip


def template_json(template: Template, language: str, left: int | None = None) -> dict[str, Any]:
    raw = template.raw_terms
    return {
        "template_id": template.template_id,
        "name": template.name,
        "description": template.description,
        "kind": raw["kind"],
        "amount_off_fen": raw.get("amount_off_fen"),
        "percent_off": raw.get("percent_off"),
        "cap_fen": raw.get("cap_fen"),
        "threshold_fen": raw.get("threshold_fen"),
        "exchange_sku": raw.get("exchange_sku"),
        "exchange_name": raw.get("exchange_name"),
        "min_spend_fen": raw.get("min_spend_fen") or 0,
        "face_value_fen": template.terms.face_value,
        "validity": raw["validity"],
        "weekdays": raw.get("weekdays") or [],
        "hours": raw.get("hours"),
        "applies_to": raw.get("applies_to") or {},
        "stacks": bool(raw.get("stacks")),
        "stock": template.stock,
        "stock_left": left,
        "per_member_limit": template.per_member_limit,
        "claimable": template.claimable,
        "transferable": template.transferable,
        "status": template.status,
        "rules": rules_in_words(template.terms, language),
        "code": {
            "length": template.code_format.length,
            "charset": template.code_format.charset,
            "prefix": template.code_format.prefix,
        },
        "gift": template.gift,
        "created_at": template.created_at,
        "created_by": template.created_by,
        "version": template.version,
    }


def _beside(on_order: Mapping[str, list[Any]], terms: Terms, order: Order, fit: Fit) -> bool:
    """Whether the order book would take the coupon beside the same items' coupons on the order (``within_covered``)."""
    return terms.kind == "free_shipping" or within_covered(
        on_order, scope_key(terms.scope), covered_fen(terms.scope, order), fit.discount_fen
    )


def _by_code(applies_to: Mapping[str, Any]) -> dict[str, Any]:
    """Where a template applies, its categories and brands by the tills' codes: one given by the name members read
    (the catalogue's: 礼品卡) is its code (gift-card), which order lines carry (a new user's walkthrough typed 礼品卡 in
    the console, and a gift card reached the coupon's threshold)."""
    named = catalog.catalogue(fresh=True)  # one read, as saved now: the template keeps the codes for good
    code_of = {
        **dict.fromkeys(("categories", "excluded_categories"), catalog.codes_of(named["categories"])),
        **dict.fromkeys(("brands", "excluded_brands"), catalog.codes_of(named["brands"])),
    }
    return {key: [code_of[key].get(value, value) for value in values] if key in code_of else values
            for key, values in applies_to.items()}  # fmt: skip


def create_template(
    data: Mapping[str, Any], actor: str, language: str, key: IdempotencyKey | None = None
) -> dict[str, Any]:
    """A new template; its stock, when it has one, is posted to its shards in the same transaction (the stock's
    first entries explain it). Once per ``key`` when given: a repeat answers the first template."""
    template_id = new_id("ct_")
    terms = {name: data[name] for name in TERM_FIELDS if name in data}
    if terms.get("applies_to"):
        terms["applies_to"] = _by_code(terms["applies_to"])
    until = (data.get("validity") or {}).get("until")
    if until is not None and date.fromisoformat(str(until)) < clock.business_today():
        problem = {"field": "validity.until", "in": "body", "message": "its coupons' last day has passed"}
        raise ValidationFailed([problem], "A template whose coupons' last day has passed could issue nothing usable")
    stock = data.get("stock")
    shards = shards_for(stock) if stock else 1
    record = CouponTemplateRecord(
        TEMPLATES_SCOPE,
        template_id,
        name=data["name"],
        description=data.get("description"),
        terms=json.dumps(terms, ensure_ascii=False, default=str),
        code_format=json.dumps(data["code"]),
        stock=stock,
        shards=shards,
        per_member_limit=data.get("per_member_limit"),
        claimable="yes" if data.get("claimable") else "no",
        transferable="yes" if data.get("transferable") else None,
        status="issuing",
        gift_on=(data.get("gift") or {}).get("on"),
        gift_min_fen=(data.get("gift") or {}).get("min_top_up_fen"),
        created_at=clock.iso(clock.now()),
        created_by=actor,
    )
    source = Source("template", template_id)
    postings = [
        Posting(stock_holder(template_id, n), STOCK, amount, "stock", source, "初始库存")
        for n, amount in enumerate(spread(stock, shards) if stock else [])
        if amount
    ]

    def attach(answer: Answer) -> list[Any]:
        return [lambda tx: tx.put(record, condition=CouponTemplateRecord.template_id.does_not_exist())]

    created = {"template_id": template_id, "name": record.name, "kind": terms.get("kind"), "stock": stock,
               "per_member_limit": record.per_member_limit, "claimable": record.claimable == "yes",
               "transferable": record.transferable == "yes",
               "valid_until": None if until is None else str(until)}  # fmt: skip
    answer = ledger().post(
        postings,
        claim=idempotency_claim(key),
        attach=attach,
        result=lambda answer: {"template_id": template_id},
        announce=lambda answer: [new_event("coupon.template-created", f"coupon-template/{template_id}", created)],
    )
    GIFTS.forget()
    saved = get_template(str(answer.result["template_id"]))  # a repeat of the same key: the first template
    return template_json(saved, language, stock_left(saved))


def list_templates(
    status: str | None,
    limit: int,
    cursor: str | None,
    language: str,
    *,
    claimable: bool = False,
    member_id: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Templates newest first (ids sort by time), ``status`` and ``claimable`` filtering; each with its stock left
    (one read of the page's stock shards). For a member (the claim centre), each also says how many of its coupons
    they received and whether they may claim one now, and templates whose coupons' last day has passed are left out:
    it reads on until the page is full (or the list ends), up to ``CLAIM_CENTRE_ROUNDS`` queries. Nor are a member
    offered templates for other tiers than theirs."""
    condition = None
    if status is not None:
        condition = CouponTemplateRecord.status == status
    if claimable:
        claim_filter = (CouponTemplateRecord.claimable == "yes") & (CouponTemplateRecord.status == "issuing")
        condition = claim_filter if condition is None else condition & claim_filter
    kept: list[Template] = []
    key, today = decode_cursor("coupon-templates", cursor), clock.business_today()
    tier: object = _UNREAD  # the member's, read once when a template is for some tiers only
    for _ in range(CLAIM_CENTRE_ROUNDS):  # the claim centre leaves out templates past their coupons' last day
        results = CouponTemplateRecord.query(
            TEMPLATES_SCOPE,
            filter_condition=condition,
            scan_index_forward=False,
            limit=limit - len(kept),
            last_evaluated_key=key,
        )
        templates = [_template(record) for record in results]
        key = results.last_evaluated_key
        if member_id is not None:
            templates = [t for t in templates if t.terms.validity.issuable_on(today)]
            if tier is _UNREAD and any(t.terms.scope.tiers for t in templates):
                tier = _holder(member_id)[0]
            templates = [t for t in templates if not t.terms.scope.tiers or tier in t.terms.scope.tiers]
        kept += templates
        if len(kept) >= limit or key is None:
            break
    return _listed(kept, language, member_id), encode_cursor("coupon-templates", key)


_UNREAD = object()  # a value not read yet
CLAIM_CENTRE_ROUNDS = 10  # reads of templates past their last day before a short page is answered (with its cursor)


def _listed(templates: list[Template], language: str, member_id: str | None) -> list[dict[str, Any]]:
    """Templates as listed, with their stock left and, for a member, what they may still claim (one read)."""
    holders = [holder for template in templates for holder in template.stock_holders]
    if member_id is not None:
        holders += [taken_holder(template.template_id, member_id) for template in templates]
    holdings = ledger().holdings(*holders) if holders else None
    items = []
    for template in templates:
        item = template_json(template, language, stock_left(template, holdings))
        if member_id is not None and holdings is not None:
            taken = holdings.balance(taken_holder(template.template_id, member_id), TAKEN)
            limit_left = template.per_member_limit is None or taken < template.per_member_limit
            item |= {"claimed_by_me": taken, "may_claim": limit_left and item["stock_left"] != 0}
        items.append(item)
    return items


def _changeable(record: CouponTemplateRecord) -> dict[str, Any]:
    """What a change of a template may change, as its event and the audit log show it (templates hold no personal
    data)."""
    return {
        "name": record.name,
        "description": record.description,
        "status": record.status,
        "claimable": record.claimable == "yes",
        "transferable": record.transferable == "yes",
        "gift_on": record.gift_on,
        "gift_min_fen": record.gift_min_fen,
    }


def change_template(template_id: str, changes: Mapping[str, Any], if_match: Expected, language: str) -> dict[str, Any]:
    """Edit a template's words or claimability, or stop (停发) or void (作废) it; neither goes back (a stopped
    template may still be voided). Voiding makes every unused coupon of it unusable at once; the ``void-coupons``
    job books them voided."""
    record = CouponTemplateRecord.find(TEMPLATES_SCOPE, template_id)
    if record is None:
        raise TemplateNotFound(f"No coupon template {template_id!r}")
    if_match.require(int(record.version or 0), "coupon template")
    before = _changeable(record)
    status = changes.get("status")
    if status is not None and status != record.status:
        allowed = {"issuing": {"stopped", "voided"}, "stopped": {"voided"}, "voided": set()}[record.status]
        if status not in allowed:
            raise TemplateNotIssuing(f"A {record.status} template cannot become {status}")
        record.status = status
    for name in ("name", "description"):
        if name in changes:
            setattr(record, name, changes[name])
    if changes.get("claimable") is not None:
        record.claimable = "yes" if changes["claimable"] else "no"
    if changes.get("transferable") is not None:
        record.transferable = "yes" if changes["transferable"] else None
    if "gift" in changes:
        gift = changes["gift"] or {}
        record.gift_on, record.gift_min_fen = gift.get("on"), gift.get("min_top_up_fen")
    record.updated_at = clock.iso(clock.now())
    after = _changeable(record)
    changed = [name for name in after if after[name] != before[name]]
    tx = Transaction()
    tx.put(record, on_fail=PreconditionFailed("The template changed meanwhile"))
    summary = change_summary(changed, before, after, shown=after.keys())  # templates hold no personal data
    emit(
        tx,
        new_event("coupon.template-changed", f"coupon-template/{template_id}", {"template_id": template_id, **summary}),
    )
    tx.commit()
    GIFTS.forget()
    template = _template(record)
    return template_json(template, language, stock_left(template))


# --- coupons as lists show them --------------------------------------------------------------------------------


def _record(coupon: Coupon) -> CouponRecord:
    return CouponRecord(
        coupon.code,
        template_id=coupon.template_id,
        member_id=coupon.member_id,
        status=coupon.status,
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
        issued_at=coupon.issued_at,
        issued_key=f"{coupon.issued_at}#{coupon.code}",
        source_kind=coupon.source_kind,
        source_id=coupon.source_id,
        state=json.dumps(COUPON_BOOK.dump(coupon), ensure_ascii=False),
        updated_at=clock.iso(clock.now()),
    )


def keep(coupon: Coupon, new: bool = False) -> Any:
    """The write keeping a coupon's list record in step with its book (an attachment of the post)."""
    record = _record(coupon)
    condition = CouponRecord.code.does_not_exist() if new else None
    return lambda tx: tx.put(record, condition=condition)


def rules_in_words(terms: Terms, language: str) -> str:
    """A template's rules as a member reads them (``rules.in_words``), its stores and tiers by their names."""
    stores = {store.store_id: store.name for store in open_stores()} if terms.scope.stores else {}
    tiers: dict[str, str] = {}
    if terms.scope.tiers:
        from chalicelib.tiers.programmes import programme

        current = programme()
        for code in filter(current.knows, terms.scope.tiers):
            tiers[code] = current.tier(code).name_zh if _zh(language) else current.tier(code).name_en
    zh = language.startswith("zh")
    categories, brands = catalog.category_names(zh), catalog.brand_names(zh)
    return in_words(terms, language, stores=stores, tiers=tiers, categories=categories, brands=brands)


def status_now(coupon: Coupon, template: Template | None, now: str, today: date) -> str:
    """A coupon's status as members and tills read it at ``now``: as of the moment (``Coupon.status_at``), and voided
    while usable once its template is voided (before the nightly job books it)."""
    status = coupon.status_at(now, today)
    return "voided" if template and template.status == "voided" and status in ("available", "reserved") else status


def coupon_json(coupon: Coupon, template: Template | None, language: str, now: str, today: date) -> dict[str, Any]:
    terms = template.terms if template else None
    return {
        "code": coupon.code,
        "template_id": coupon.template_id,
        "name": template.name if template else "",
        "kind": terms.kind if terms else "amount_off",
        "rules": rules_in_words(terms, language) if terms else "",
        "description": template.description if template else None,
        "face_value_fen": terms.face_value if terms else 0,
        "amount_off_fen": (terms.amount_off_fen or None) if terms else None,
        "percent_off": (terms.percent_off or None) if terms else None,
        "cap_fen": terms.cap_fen if terms else None,
        "min_spend_fen": terms.least_spend_fen if terms else 0,
        "member_id": coupon.member_id,
        "status": status_now(coupon, template, now, today),
        "valid_from": coupon.valid_from,
        "valid_until": coupon.valid_until,
        "issued_at": coupon.issued_at,
        "source_kind": coupon.source_kind,
        "reservation": vars(coupon.reservation) if coupon.held_for(now) else None,
        "offered_until": offer.until if (offer := coupon.offered(now)) else None,
        "transferable": bool(template and template.transferable and coupon.source_kind != TRANSFER),
        "redemption": {k: v for k, v in vars(coupon.redemption).items() if k not in ("order_hash", "partner_id")}
        if coupon.redemption and coupon.status == "used"
        else None,
    }


def _coupon_of(record: CouponRecord) -> Coupon:
    return COUPON_BOOK.load(json.loads(record.state))


def member_coupons(
    member_id: str, status: str | None, limit: int, cursor: str | None, language: str, *, queries: int | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """A member's coupons, newest first, in the status they have now (a coupon past its last day is expired
    before the nightly job books it). A status filter reads on until the page is full or the list ends, or after
    ``queries`` queries (a view that must answer at once, whatever the member's history of used coupons); the next
    page continues after the last coupon looked at."""
    now, today = clock.iso(clock.now()), clock.business_today()
    start = decode_cursor(f"coupons:{member_id}", cursor)
    found: list[Coupon] = []
    templates: dict[str, Template] = {}
    last_seen: CouponRecord | None = None
    more, asked = True, 0
    while more and len(found) < limit and (queries is None or asked < queries):
        asked += 1
        results = CouponRecord.by_member.query(
            member_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
        )
        page = list(results)
        templates |= templates_by_id({record.template_id for record in page} - set(templates))
        for n, record in enumerate(page):
            coupon = _coupon_of(record)
            shown = status_now(coupon, templates.get(coupon.template_id), now, today)
            last_seen = record
            if status is None or shown == status:
                found.append(coupon)
            if len(found) == limit:
                more = n < len(page) - 1 or results.last_evaluated_key is not None
                break
        else:
            start = results.last_evaluated_key
            more = start is not None
    items = [coupon_json(c, templates.get(c.template_id), language, now, today) for c in found]
    next_key = None
    if more and last_seen is not None:
        next_key = {
            "member_id": {"S": member_id},
            "issued_key": {"S": last_seen.issued_key},
            "code": {"S": last_seen.code},
        }
    return items, encode_cursor(f"coupons:{member_id}", next_key)


def _used_on(on_order: Mapping[str, list[Any]], order_id: str) -> tuple[list[Coupon], dict[str, Template]]:
    """The coupons an order's coupons' book names, each read to be sure it is still used there, and their templates."""
    used = [coupon for coupon in map(read_coupon, sorted(on_order)) if coupon.status == "used"
            and coupon.redemption is not None and coupon.redemption.order_id == order_id]  # fmt: skip
    return used, templates_by_id(coupon.template_id for coupon in used)


def used_on_order(member_id: str, order_id: str) -> list[dict[str, Any]]:
    """The member's coupons used on an order now (its coupons' book names them; each coupon is read to be sure it is
    still the member's and still used there): code, template name, what it took off, the store, the order's total
    as its redemption said it, and what the order had to reach for it (``least_spend_fen``: a part refund that
    leaves less has the till say so)."""
    on_order = BOOKS[ORDER].load(ledger().store.read(order_holder(order_id)).books.get(ORDER))
    used, templates = _used_on(on_order, order_id)

    def terms(template: Template | None, template_id: str) -> dict[str, Any]:
        if template is None:
            return {"name": template_id, "least_spend_fen": 0}
        return {"name": template.name, "least_spend_fen": template.terms.least_spend_fen,
                "narrows_items": template.terms.scope.narrows_items}  # fmt: skip

    return [{"code": c.code, "discount_fen": c.redemption.discount_fen, "store_id": c.redemption.store_id,
             "order_total_fen": on_order[c.code][2], **terms(templates.get(c.template_id), c.template_id)}
            for c in used if c.member_id == member_id and c.redemption is not None]  # fmt: skip


def order_discount_held(order_id: str) -> tuple[int, Callable[[Transaction], None]]:
    """What the coupons used on an order took off its goods now (one read of its coupons' book), and the condition a
    decision made on it commits with: the order's coupons still as read, else ``OrderCouponsMoved`` (decide again)."""
    on_order, unchanged = order_held(order_id)
    return goods_discount(on_order), unchanged


def line_discounts(order_id: str, on_order: Mapping[str, list[Any]], items: Sequence[Item]) -> list[int]:
    """What the coupons on an order (its coupons' book as ``order_held`` read it) took off each of its lines
    (``rules.discounts_by_line``, one after another): a coupon for some items comes off those lines alone. Reads
    each coupon and their templates."""
    used, templates = _used_on({code: value for code, value in on_order.items() if not value[4]}, order_id)
    return discounts_by_line([(templates[c.template_id].terms, c.redemption.discount_fen)
                              for c in used if c.template_id in templates and c.redemption], items)  # fmt: skip


def order_held(order_id: str) -> tuple[dict[str, list[Any]], Callable[[Transaction], None]]:
    """An order's coupons (``OrderBook``'s state, one read) and the condition that they are still as read."""
    holder = order_holder(order_id)
    seen = ledger().store.read(holder)
    moved = OrderCouponsMoved("The order's coupons changed meanwhile")
    return BOOKS[ORDER].load(seen.books.get(ORDER)), lambda tx: unchanged_in(tx, holder, seen, moved)


def card_order_discount(
    order_id: str, card_order: Mapping[str, Any], member_id: str, on_fail: Callable[[str], Exception]
) -> tuple[int, Callable[[Transaction], None]]:  # fmt: skip
    """What the coupons used on a card's till order took off it (``order_discount_held``), each checked to be used
    on that order as the card's (``card_order``, its one line, as the till sent it: a review discounted a card with a
    coupon used on a ¥9,000 order of shampoo) and to be the member's or a bearer's (``on_fail(why)`` otherwise); and
    the condition the sale commits with: the order's coupons still as read."""
    on_order, unchanged = order_held(order_id)  # one read of the order, as the discount's
    expected = _order_hash(card_order)
    for code in on_order:
        coupon = read_coupon(code)
        used = coupon.redemption
        if used is None or used.order_id != order_id or used.order_hash != expected:
            raise on_fail(f"coupon {code} was used on this order as another order than the card's own line")
        if coupon.member_id not in (None, "", member_id):
            raise on_fail(f"coupon {code} is another member's")
    return goods_discount(on_order), unchanged


def no_coupon_on_order(order_id: str, on_fail: Exception) -> Callable[[Transaction], None]:
    """The condition a sale that takes no coupon commits with (a card sold at the till): no coupon was ever used on
    the order (``on_fail`` otherwise). A condition, not a read: it costs no request."""
    holder = order_holder(order_id)
    return never_posted(holder, on_fail)


def used_since(member_id: str, store_id: str | None, since: str, look: int = 20) -> list[tuple[str, str, str]]:
    """The orders the counter used the member's coupons on at a store (None: any) since ``since`` (an instant), each
    with its store and when (a partner's till uses them on orders it reports itself): found among their ``look``
    newest coupons (one query), so an older coupon used today is left out."""
    records = CouponRecord.by_member.query(member_id, scan_index_forward=False, limit=look)
    coupons = [_coupon_of(record) for record in itertools.islice(records, look)]
    used = [c.redemption for c in coupons if c.status == "used" and c.redemption is not None]
    return [(r.order_id, r.store_id, r.at) for r in used
            if r.partner_id is None and store_id in (None, r.store_id) and r.at >= since]  # fmt: skip


def read_coupon(code: str) -> Coupon:
    """A coupon as its book has it now (one consistent read of its account)."""
    return read_coupon_account(code)[0]


def read_coupon_account(code: str) -> tuple[Coupon, Account]:
    """A coupon and its account as read: a change given the account as ``known`` reads it no more."""
    account = ledger().store.read(coupon_holder(code))
    coupon: Coupon = COUPON_BOOK.load(account.books.get(COUPON))
    if not coupon.code:
        raise CouponNotFound(f"No coupon {code!r}")
    return coupon, account


def _shown_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """An entry's detail as a till reads it: never an offer's token nor the code a friend received (bearer secrets),
    nor who received it."""
    return {name: value for name, value in detail.items() if name not in ("token_hash", "to_code", "to_member_id")}


def coupon_history(code: str, language: str, within: frozenset[str] | None = None) -> dict[str, Any]:
    """A coupon and every entry of its history. For a caller ``within`` some stores (a partner scoped to them), an
    entry made at another store shows what happened and when, not its details or who did it, and the coupon does
    not name the order another store holds it for or used it on."""
    coupon = read_coupon(code)
    template = templates_by_id([coupon.template_id]).get(coupon.template_id)
    engine = ledger()
    entries = engine.store.entries_between(coupon_holder(code), COUPON, 1, 1000)

    # The store each entry was made at: one naming an order but no store (a reversal) was made where the use it
    # follows was (found by an integrator: a reversal at another store showed its order and who; order numbers repeat
    # across stores, a review found); an order of no known store is another's.
    store_of: dict[int, str | None] = {}
    last_at: dict[str, str] = {}
    for e in entries:
        detail = e.detail if isinstance(e.detail, dict) else {}
        order = detail.get("order_id")
        if "store_id" in detail:
            store_of[e.seq] = detail["store_id"]
            if order:
                last_at[order] = detail["store_id"]
        else:
            store_of[e.seq] = last_at.get(order, "") if order else None

    def shown(store: str | None) -> bool:
        return within is None or store in (None, *within)

    now = coupon_json(coupon, template, language, clock.iso(clock.now()), clock.business_today())
    for order in ("reservation", "redemption"):  # the order another store holds it for or used it on
        held = now.get(order)
        if isinstance(held, dict) and not shown(held.get("store_id")):
            now[order] = None
    return {
        "coupon": now,
        "entries": [
            {
                "seq": e.seq,
                "kind": e.kind,
                "amount": e.amount,
                "usable_after": e.balance_after,
                "reason": e.reason if shown(store_of[e.seq]) else e.kind,
                "reason_en": e.reason_en if shown(store_of[e.seq]) else None,
                "detail": _shown_detail(e.detail) if isinstance(e.detail, dict) and shown(store_of[e.seq]) else None,
                "actor": e.actor if shown(store_of[e.seq]) else None,
                "occurred_at": e.occurred_at,
            }
            for e in entries
        ],
    }


# --- issuing -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coupons:
    """The coupon verbs on one ledger."""

    ledger: Ledger

    def issue(
        self,
        template: Template,
        member_id: str | None,
        source: Source,
        claim: Claim,
        language: str,
        *,
        reason: str = ISSUED,
    ) -> dict[str, Any]:
        """Issue one coupon of ``template`` to ``member_id`` (None: a bearer coupon), once per ``claim``: a repeat
        answers the same coupon with ``duplicate``. Takes one from a stock shard with some left (409 out of stock)
        and counts it against the member's limit of the template (409 limit reached); the member must be active."""
        today = clock.business_today()
        if template.status != "issuing" or not template.terms.validity.issuable_on(today):
            replayed = self.replay(claim)
            if replayed is not None:
                return replayed
            why = "its coupons' last day has passed" if template.status == "issuing" else f"it is {template.status}"
            raise TemplateNotIssuing(f"Template {template.template_id} issues no coupons: {why}")
        code = template.code_format.new_code()
        holder = coupon_holder(code)
        taken = taken_holder(template.template_id, member_id) if member_id else None
        valid_from, valid_until = template.terms.validity.window(today)
        issued_at = clock.iso(clock.now())
        coupon = Coupon(
            code,
            template.template_id,
            member_id,
            "available",
            valid_from.isoformat(),
            valid_until.isoformat(),
            issued_at,
            source.kind,
            source.id or "",
        )

        def plan(holdings: Holdings) -> list[Posting]:
            postings = []
            if template.stock is not None:
                shard = pick_shard([holdings.balance(h, STOCK) for h in template.stock_holders], code)
                if shard is None:
                    raise OutOfStock(f"Template {template.template_id} has no coupons left")
                postings.append(Posting(template.stock_holders[shard], STOCK, -1, "issue", source, f"发券 {code}"))
            if taken is not None:
                postings.append(Posting(taken, TAKEN, 1, "issue", source, f"获得 {code}", template.per_member_limit))
            postings.append(issuing(coupon, source, reason))
            return postings

        def announce(answer: Answer) -> list[Event]:
            payload = {
                "code": code,
                "template_id": template.template_id,
                "member_id": member_id,
                "name": template.name,
                "valid_until": coupon.valid_until,
                "source_kind": source.kind,
                "face_value_fen": template.terms.face_value,
            }
            return [new_event("coupon.issued", f"member/{member_id}" if member_id else f"coupon/{code}", payload)]

        def result(answer: Answer) -> dict[str, Any]:
            return coupon_json(coupon, template, language, issued_at, today)

        holders = [*template.stock_holders, *([taken] if taken else []), holder]
        try:
            answer = self.ledger.post(
                plan,
                holders=holders,
                claim=claim,
                require={member_id: "active"} if member_id else None,
                result=result,
                announce=announce,
                attach=lambda answer: [keep(coupon, new=True)],
                known={holder: Account(holder)},
            )
        except Insufficient as refused:
            if refused.book == TAKEN:
                raise LimitReached(f"A member may receive {template.per_member_limit} of these coupons") from None
            raise OutOfStock(f"Template {template.template_id} has no coupons left") from None
        except HolderUnavailable:
            raise MemberNotEligible("The member is frozen, erased or unknown") from None
        return {**answer.result, "duplicate": answer.duplicate}

    def replay(self, claim: Claim) -> dict[str, Any] | None:
        """The first answer of a claimed issue, marked a duplicate, if it was made (other content: the conflict)."""
        replayed = self.ledger.replay(claim)
        return None if replayed is None else {**replayed.result, "duplicate": True}

    # --- at the till --------------------------------------------------------------------------------------------

    def change(
        self,
        code: str,
        kind: str,
        amount: int,
        detail: Mapping[str, Any],
        source: Source,
        reason: str,
        *,
        order: tuple[str, int, Mapping[str, Any]] | None = None,
        event: str | None = None,
        payload: Mapping[str, Any] | None = None,
        known: Account | None = None,
        alongside: Callable[[Transaction], None] | None = None,
    ) -> Coupon:
        """Post one change of the coupon ``code`` (and, for a redemption or its reversal, of its order's coupons:
        ``order`` is (order holder, +1/-1, what the order book needs: whether it stacks, its discount and the order's
        total)), keeping its list record in step; the coupon after
        it. ``known`` is its account as just read (the commit checks its revision); ``alongside`` a condition or
        write of another domain's that commits with it (the till order still open)."""
        holder = coupon_holder(code)
        changed: dict[str, Coupon] = {}

        def plan(holdings: Holdings) -> list[Posting]:
            before: Coupon = holdings.state(holder, COUPON)
            if not before.code:
                raise CouponNotFound(f"No coupon {code!r}")
            posting = Posting(holder, COUPON, amount, kind, source, reason, dict(detail), kept=True)
            changed["after"], _ = COUPON_BOOK.apply(before, posting, clock.business_today())  # for its list record
            postings = [posting]
            if order is not None:
                order_id, delta, on_order = order
                postings.append(Posting(order_id, ORDER, delta, kind, source, reason, {"code": code, **on_order}))
            return postings

        def announce(answer: Answer) -> list[Event]:
            after = changed["after"]
            if event is None:
                return []
            subject = f"member/{after.member_id}" if after.member_id else f"coupon/{code}"
            facts = {"code": code, "template_id": after.template_id, "member_id": after.member_id, **(payload or {})}
            return [new_event(event, subject, facts)]

        self.ledger.post(
            plan,
            holders=[holder, *([order[0]] if order else [])],
            announce=announce,
            attach=lambda answer: [keep(changed["after"]), *([alongside] if alongside else [])],
            known={holder: known} if known is not None else None,
        )
        return changed["after"]


def coupons() -> Coupons:
    return Coupons(ledger())


def issue_for(
    template_id: str,
    member_id: str | None,
    *,
    source_kind: str,
    source_id: str,
    language: str = "zh-CN",
    reason: str | None = None,
) -> dict[str, Any]:
    """Issue one coupon of a template to a member, once per (template, source kind, source id): staff gifts, the
    platform's own gifts (registration, tier upgrade), the points mall. Repeats answer the same coupon."""
    template = get_template(template_id)
    claim = _issue_claim(template_id, member_id, source_kind, source_id)
    return coupons().issue(
        template,
        member_id,
        Source(source_kind, source_id),
        claim,
        language,
        reason=reason or ISSUED_BY.get(source_kind, ISSUED),
    )


def _issue_claim(template_id: str, member_id: str | None, source_kind: str, source_id: str) -> Claim:
    """Once per (template, source kind, source id): what an issue claims, and what finds the coupon it issued."""
    return Claim.of(
        f"coupon-issue:{template_id}:{source_kind}:{source_id}",
        {"member_id": member_id},
        conflict=IssueConflict(f"Source {source_id!r} issued a coupon of {template_id} to another member"),
    )


def claim(member_id: str, template_id: str, key: IdempotencyKey | None, language: str) -> dict[str, Any]:
    """A member claims a coupon of a claimable, issuing template (领券): once per Idempotency-Key when given (a repeat
    answers the same coupon, whatever became of the template since; the key with another template is 422), never
    beyond the template's stock or the member's limit, and only for a member of a tier its coupons are for."""
    engine = coupons()
    source_id = key.key if key else new_id("cl_")
    once = Claim.of(
        f"coupon-claim:{member_id}:{source_id}",
        {"template_id": template_id},
        conflict=IdempotencyKeyReused("This Idempotency-Key claimed another template"),
    )
    replayed = engine.replay(once)
    if replayed is not None:
        return replayed
    template = get_template(template_id)
    if not template.claimable:
        raise NotClaimable(f"Template {template_id} is not open to claims")
    if template.terms.scope.tiers and (tier := _holder(member_id)[0]) not in template.terms.scope.tiers:
        raise TierNotApplicable(f"Template {template_id} is for members of {', '.join(template.terms.scope.tiers)}, "
                                f"not {tier}")  # fmt: skip
    return engine.issue(
        template, member_id, Source("claim", f"{member_id}:{source_id}"), once, language, reason=ISSUED_BY["claim"]
    )


# --- gifts to a friend (转赠) ---------------------------------------------------------------------------------------


def _gift_key(token_hash: str) -> str:
    return f"coupon-gift:{token_hash}"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _gift_claim(token_hash: str, member_id: str) -> Claim:
    """Once per offer: the member who takes it; a repeat of theirs answers their coupon, anyone else's is 409."""
    return Claim.of(
        f"coupon-gift:{token_hash}",
        {"member_id": member_id},
        conflict=GiftOver("Another member took this gift", reason="taken"),
    )


def _own(member_id: str, code: str) -> tuple[Coupon, Account]:
    coupon, account = read_coupon_account(code)
    if coupon.member_id != member_id:
        raise CouponNotFound(f"No coupon {code!r}")
    return coupon, account


def offer_gift(member_id: str, code: str, language: str) -> dict[str, Any]:
    """Offer one of the member's own coupons to a friend (转赠): a link holding a new random token, open
    ``GIFT_HOURS`` hours, in place of any offer of it before. Only a template's that lets its coupons be given, never a
    coupon received from a friend (one gift per coupon: coupons do not circulate), and only one usable now; it cannot
    be used or held for an order while offered, and is offered ``OFFERS_PER_COUPON`` times at most. The token is
    answered once and kept only as its hash."""
    coupon, account = _own(member_id, code)
    template = get_template(coupon.template_id)
    if not template.transferable:
        raise NotTransferable("This template's coupons cannot be given to a friend", reason="template")
    if coupon.source_kind == TRANSFER:
        raise NotTransferable("A coupon received from a friend cannot be given on", reason="received")
    now, _, today = _moment()
    status = status_now(coupon, template, now, today)
    if status != "available":
        raise _refusal(status, language)
    token = secrets.token_urlsafe(24)
    hashed = _token_hash(token)
    last = clock.end_of_business_day(date.fromisoformat(coupon.valid_until), get_settings().tz)  # never past it
    until = clock.iso(min(clock.now() + timedelta(hours=GIFT_HOURS), last))
    marker = UniqueRecord(_gift_key(hashed), owner=code, created_at=now)
    try:
        offered = coupons().change(
            code, "offer", 0, {"token_hash": hashed, "until": until, "now": now}, Source("member", member_id), OFFERED,
            known=account, alongside=lambda tx: tx.put(marker, condition=UniqueRecord.key.does_not_exist()),
        )  # fmt: skip
    except CouponRefused as refused:
        if refused.reason == "offers-used":
            used = f"This coupon was offered {OFFERS_PER_COUPON} times, the most"
            raise NotTransferable(used, reason="offers-used") from None
        raise _refusal(refused.reason, language) from None
    return {"token": token, "expires_at": until, "coupon": coupon_json(offered, template, language, now, today)}


def withdraw_gift(member_id: str, code: str, language: str) -> dict[str, Any]:
    """Take back an offer of the member's coupon (收回转赠): usable again at once; a coupon not offered, or taken
    meanwhile, is answered as it is."""
    coupon, account = _own(member_id, code)
    now, _, today = _moment()
    if coupon.offer is not None:
        try:
            coupon = coupons().change(code, "withdraw", 0, {"now": now}, Source("member", member_id), WITHDRAWN,
                                      known=account)  # fmt: skip
        except CouponRefused:
            coupon = read_coupon(code)  # withdrawn or taken meanwhile
    template = templates_by_id([coupon.template_id]).get(coupon.template_id)
    return coupon_json(coupon, template, language, now, today)


def _gift(token: str) -> tuple[str, Coupon, Account]:
    """The offer's token hash, and the coupon offered with it and its account; 404 for a token never offered."""
    hashed = _token_hash(token)
    marker = UniqueRecord.find(_gift_key(hashed))
    if marker is None:
        raise NotFound("No such gift")
    coupon, account = read_coupon_account(marker.owner)
    return hashed, coupon, account


def _gift_state(coupon: Coupon, hashed: str, template: Template | None, now: str, today: date) -> str:
    """Where an offer stands: open, taken (by whoever), withdrawn (or offered again since), lapsed, unusable (the
    coupon was used, expired or voided) or closed (the business stopped gifts of the template since: an open link
    closes with it)."""
    if coupon.status == "transferred":
        return "taken"
    if coupon.offer is None or coupon.offer.token_hash != hashed:
        return "withdrawn"
    if status_now(coupon, template, now, today) != "available":
        return "unusable"
    if template is None or not template.transferable:
        return "closed"
    return "open" if coupon.offered(now) else "lapsed"


def _gift_terms(coupon: Coupon, template: Template | None, language: str, now: str, today: date) -> dict[str, Any]:
    """What a gift is as its taker sees it before taking it: never its code nor whose it is."""
    shown = coupon_json(coupon, template, language, now, today)
    kept = ("template_id", "name", "kind", "rules", "description", "face_value_fen", "amount_off_fen", "percent_off",
            "cap_fen", "min_spend_fen", "valid_from", "valid_until")  # fmt: skip
    return {name: shown[name] for name in kept}


def _gift_refusal(member_id: str, template: Template) -> str | None:
    """Why the member could not take an open gift of the template, as taking it would answer (the problem's slug):
    a tier the template is not for, their limit of it reached, or a membership frozen; None when they may."""
    tier, frozen = _holder(member_id)
    if template.terms.scope.tiers and tier not in template.terms.scope.tiers:
        return TierNotApplicable.slug
    if frozen:
        return MemberNotEligible.slug
    if template.per_member_limit is not None:
        taken = ledger().holdings(holder := taken_holder(template.template_id, member_id)).balance(holder, TAKEN)
        if taken >= template.per_member_limit:
            return LimitReached.slug
    return None


def gift_preview(member_id: str, token: str, language: str) -> dict[str, Any]:
    """An offer as the member opening its link sees it: the coupon's terms, whether it is open, and, once taken,
    whether they took it (``received``: their coupon's code); while open, why they could not take it
    (``refusal``), so the page says so before the member taps."""
    hashed, coupon, _ = _gift(token)
    template = templates_by_id([coupon.template_id]).get(coupon.template_id)
    now, _, today = _moment()
    state, received = _gift_state(coupon, hashed, template, now, today), None
    if state == "taken":  # by this link (its claim commits with the transfer) or after another link of the coupon
        try:
            answer = coupons().replay(_gift_claim(hashed, member_id))
        except GiftOver:  # this link, by another member
            pass
        else:
            state, received = ("withdrawn", None) if answer is None else ("received", str(answer["code"]))
    until = coupon.offer.until if coupon.offer is not None and coupon.offer.token_hash == hashed else None
    from_me = coupon.member_id == member_id
    refusal = _gift_refusal(member_id, template) if state == "open" and not from_me and template else None
    return {"status": state, "from_me": from_me, "expires_at": until, "received_code": received, "refusal": refusal,
            "coupon": _gift_terms(coupon, template, language, now, today)}  # fmt: skip


def _taken(engine: Coupons, claim: Claim) -> dict[str, Any]:
    """A link whose coupon was given: the claim commits with the transfer, so this member's repeat is answered as the
    first time, another member's is 409 taken (the claim's conflict), and after another link of it, withdrawn."""
    replayed = engine.replay(claim)
    if replayed is None:
        raise GiftOver("The gift is withdrawn", reason="withdrawn")
    return replayed


def _hand_over(
    coupon: Coupon, account: Account, template: Template, member_id: str, *, kind: str, source_kind: str,
    said: Phrase, detail: dict[str, Any], claim: Claim, language: str,
) -> Answer:  # fmt: skip
    """In one transaction ``coupon`` ends ``transferred`` (``kind``: a friend's gift taken, a printed code claimed)
    and ``member_id`` gets a coupon of their own: a new code, the same template and days, counted against their limit
    of the template (``Insufficient`` past it); once per ``claim``. Both holders must be active (a bearer coupon has
    none but the member)."""
    code = template.code_format.new_code()
    now, _, today = _moment()
    received = Coupon(code, template.template_id, member_id, "available", coupon.valid_from, coupon.valid_until, now,
                      source_kind, coupon.code)  # fmt: skip
    given, holder = coupon_holder(coupon.code), coupon_holder(code)
    taken = taken_holder(template.template_id, member_id)
    source = Source(source_kind, coupon.code)
    after: dict[str, Coupon] = {}

    def plan(holdings: Holdings) -> list[Posting]:
        posting = Posting(given, COUPON, -1, kind, source, said,
                          {**detail, "to_code": code, "to_member_id": member_id, "now": now})  # fmt: skip
        after["given"], _ = COUPON_BOOK.apply(holdings.state(given, COUPON), posting, today)
        return [
            posting,
            Posting(taken, TAKEN, 1, kind, source, f"获得 {code}", template.per_member_limit),
            issuing(received, source, ISSUED_BY[source_kind]),
        ]

    def announce(answer: Answer) -> list[Event]:
        facts = {"code": coupon.code, "to_code": code, "template_id": template.template_id, "name": template.name,
                 "member_id": coupon.member_id, "to_member_id": member_id, "valid_until": coupon.valid_until,
                 "face_value_fen": template.terms.face_value}  # fmt: skip
        return [new_event("coupon.transferred", f"member/{coupon.member_id or member_id}", facts)]

    answer: Answer = coupons().ledger.post(
        plan,
        holders=[given, taken, holder],
        claim=claim,
        require={member_id: "active", **({coupon.member_id: "active"} if coupon.member_id else {})},
        result=lambda answer: coupon_json(received, template, language, now, today),
        announce=announce,
        attach=lambda answer: [keep(after["given"]), keep(received, new=True)],
        known={given: account, holder: Account(holder)},
    )
    return answer


def accept_gift(member_id: str, token: str, language: str) -> dict[str, Any]:
    """Take a friend's gift (领取转赠): in one transaction the friend's coupon ends ``transferred`` and the member
    gets a coupon of their own (a new code, the same template and days), counted against their limit of the
    template; once per offer (a repeat of theirs answers the same coupon, anyone else gets 409 ``gift-over``). The
    giver's count of the template stays (a gift does not make room for another claim). Refused for the giver
    themselves, a member of a tier the template is not for, and when either cannot hold coupons (frozen)."""
    hashed, coupon, account = _gift(token)
    claim = _gift_claim(hashed, member_id)
    engine = coupons()
    if coupon.status == "transferred":
        return _taken(engine, claim)
    if coupon.member_id == member_id:
        raise OwnGift("This is your own coupon: send the link to a friend")
    template = get_template(coupon.template_id)
    now, _, today = _moment()
    state = _gift_state(coupon, hashed, template, now, today)
    if state != "open":
        raise GiftOver(f"The gift is {state}", reason=state)
    if template.terms.scope.tiers and (tier := _holder(member_id)[0]) not in template.terms.scope.tiers:
        raise TierNotApplicable(f"The coupon is for members of {', '.join(template.terms.scope.tiers)}, not {tier}")
    try:
        answer = _hand_over(coupon, account, template, member_id, kind="transfer", source_kind=TRANSFER,
                            said=TRANSFERRED, detail={"token_hash": hashed}, claim=claim,
                            language=language)  # fmt: skip
    except CouponRefused:  # taken by another member, withdrawn or used meanwhile (this member's repeat: its claim)
        state = _gift_state(read_coupon(coupon.code), hashed, template, now, today)
        raise GiftOver(f"The gift is {state}", reason=state) from None
    except Insufficient:
        raise LimitReached(f"A member may receive {template.per_member_limit} of these coupons") from None
    except HolderUnavailable:
        raise MemberNotEligible("The giver or the member taking the gift cannot hold coupons now (frozen)") from None
    return {**answer.result, "duplicate": answer.duplicate}


CODE_CLAIM = "code"  # how a coupon a member claimed by a bearer code is issued (its ``source_id``: the code typed)
CODE_MISSES = Limit(10, 3600, "Too many codes that are no coupon: try again in an hour")


class CodeNotClaimable(Conflict):
    slug, title = "code-not-claimable", "The code is not a coupon a member can claim"


def _typed_coupon(code: str) -> tuple[Coupon, Account]:
    """The coupon of a code as a member typed it: as typed, else in capitals (printed codes are drawn from capitals
    unless their template says otherwise; a member typing one in lower case was told no such code)."""
    try:
        return read_coupon_account(code)
    except CouponNotFound:
        if code.upper() == code:
            raise
        return read_coupon_account(code.upper())


def claim_code(member_id: str, code: str, language: str) -> dict[str, Any]:
    """A member types a bearer code on their pages (兑换码: a batch's printed or partner-handed codes): in one
    transaction the bearer coupon ends ``transferred`` and the member gets a coupon of their own (a new code: the
    printed one was seen by others; the same template and days), counted against their limit of the template.
    Once per code: a repeat of theirs answers the same coupon; anyone else gets 409 ``code-not-claimable`` (reason
    `claimed`), as does a code used, expired, voided or a member's own coupon (reason: its status, or `not-bearer`).
    A code that is no coupon is 404, and ten of those an hour make the member wait (429): codes are not guessed."""
    buckets = ((f"coupon-code-miss:{member_id}", CODE_MISSES),)
    if (refused := refusal_now(*buckets)) is not None:
        raise refused
    engine = coupons()
    try:
        coupon, account = _typed_coupon(code)
    except CouponNotFound:
        tx = Transaction()
        for bucket, limit in buckets:
            take(tx, bucket, limit)
        tx.commit()
        raise
    claim = Claim.of(f"coupon-code-claim:{lookup_hash('coupon-code', coupon.code)}", {"member_id": member_id},
                     conflict=CodeNotClaimable("Another member claimed this code", reason="claimed"))  # fmt: skip
    if coupon.status == "transferred":
        replayed = engine.replay(claim)
        if replayed is None:
            raise CodeNotClaimable("The code was given on", reason="claimed")
        return replayed
    if coupon.member_id is not None:
        raise CodeNotClaimable("This code is a member's own coupon", reason="not-bearer")
    template = get_template(coupon.template_id)
    now, _, today = _moment()
    if (status := status_now(coupon, template, now, today)) != "available":
        raise CodeNotClaimable(f"The coupon is {status}", reason=status)
    if template.terms.scope.tiers and (tier := _holder(member_id)[0]) not in template.terms.scope.tiers:
        raise TierNotApplicable(f"The coupon is for members of {', '.join(template.terms.scope.tiers)}, not {tier}")
    try:
        answer = _hand_over(coupon, account, template, member_id, kind="claim-code", source_kind=CODE_CLAIM,
                            said=CODE_CLAIMED, detail={}, claim=claim, language=language)  # fmt: skip
    except CouponRefused as refusal:  # claimed, reserved or used meanwhile (this member's repeat: its claim)
        raise CodeNotClaimable(f"The coupon is {refusal.reason}", reason=str(refusal.reason)) from None
    except Insufficient:
        raise LimitReached(f"A member may receive {template.per_member_limit} of these coupons") from None
    except HolderUnavailable:
        raise MemberNotEligible("A frozen membership cannot receive coupons") from None
    return {**answer.result, "duplicate": answer.duplicate}


# --- at the till -----------------------------------------------------------------------------------------------


def order_of(data: Mapping[str, Any]) -> Order:
    items = tuple(
        Item(i.get("sku"), int(i["amount_fen"]), int(i.get("quantity", 1)), i.get("category"), i.get("brand"))
        for i in data.get("items") or ()
    )
    return Order(data["store_id"], int(data["total_fen"]), items, int(data.get("shipping_fen") or 0))


def _moment() -> tuple[str, datetime, date]:
    now = clock.now()
    local = now.astimezone(get_settings().tz)
    return clock.iso(now), local, clock.business_today()


def _holder(member_id: str | None) -> tuple[str | None, bool]:
    """The coupon holder's tier (None for a bearer coupon) and whether their membership is frozen (their coupons
    wait, as their points and stored value do); 404 for a member unknown or erased."""
    if member_id is None:
        return None, False
    record = members.get_record(member_id)
    if record.status == str(MemberStatus.ERASED):
        raise NotFound("No such member")
    return str(record.tier), record.status == str(MemberStatus.FROZEN)


def _check_store(caller: Any, store_id: str, *, trading: bool = False) -> None:
    """A partner serves only its own stores; staff at the till serve any member of the chain, at their own stores
    (any, for staff of the whole chain). An order (``trading``) needs the store open; giving back what happened at a
    closed one only needs it to exist."""
    if caller.kind == "partner":
        require_partners(caller, store_id, "order.store_id")
    if trading:
        caller.require_trading_at(store_id, "order.store_id")
    why = not_open(store_id) if trading else (None if store_exists(store_id) else "no such store")
    if why is not None:
        raise ValidationFailed([{"field": "order.store_id", "in": "body", "message": why}], why)


def eligibility(
    caller: Any, member_id: str, order_data: Mapping[str, Any], order_id: str | None, language: str
) -> dict[str, Any]:
    """Every coupon of the member that could be used now, each either usable on the order (with what it takes
    off, best first) or not (with the reason). Reads the member's coupons from their list records: the
    redemption decides on the coupon's own account. For a named order already holding coupons (the till redeeming
    one after another), one that would not stack with them is unusable (``not-stackable``), as its redemption
    would be refused."""
    order = order_of(order_data)
    _check_store(caller, order.store_id, trading=True)
    tier, frozen = _holder(member_id)
    now, local, today = _moment()
    records = list(
        CouponRecord.by_member.query(member_id, filter_condition=CouponRecord.status.is_in("available", "reserved"))
    )
    on_order = BOOKS[ORDER].load(ledger().store.read(order_holder(order_id)).books.get(ORDER)) if order_id else {}
    templates = templates_by_id(record.template_id for record in records)
    usable: list[dict[str, Any]] = []
    unusable: list[dict[str, Any]] = []
    for record in records:
        coupon = _coupon_of(record)
        template = templates.get(coupon.template_id)
        if template is None:
            continue
        fit = fits(coupon, template.terms, order, tier=tier, local=local, now=now, today=today, order_id=order_id)
        if template.status == "voided":
            fit = replace(fit, reason="voided")
        elif frozen:
            fit = replace(fit, reason="member-frozen")
        elif fit.usable and not stacks_with(on_order, template.terms.stacks):
            fit = replace(fit, reason="not-stackable")
        elif fit.usable and coupon.code not in on_order and not _beside(on_order, template.terms, order, fit):
            fit = replace(fit, reason="exceeds-order")  # as its redemption would be refused
        shown = {
            "code": coupon.code,
            "name": template.name,
            "rules": rules_in_words(template.terms, language),
            "valid_until": coupon.valid_until,
        }
        if fit.usable:
            usable.append({**shown, "discount_fen": fit.discount_fen, "stacks": template.terms.stacks})
        else:
            zh, en = REASONS.get(fit.reason or "", (fit.reason, fit.reason))
            unusable.append({**shown, "reason": fit.reason, "reason_text": zh if _zh(language) else en})
    usable.sort(key=lambda item: (-item["discount_fen"], item["valid_until"]))
    return {"usable": usable, "unusable": unusable}


def _fit_now(coupon: Coupon, order: Order, order_id: str, language: str) -> tuple[Template, int]:
    """The coupon's template and what it takes off ``order`` now; 409 ``coupon-unusable`` with the reason when it
    does not fit (a voided template's coupons fit nothing)."""
    template = get_template(coupon.template_id)
    if template.status == "voided" and coupon.status in ("available", "reserved"):
        raise _refusal("voided", language)
    now, local, today = _moment()
    tier, frozen = _holder(coupon.member_id)
    if frozen:
        raise _refusal("member-frozen", language)
    fit = fits(coupon, template.terms, order, tier=tier, local=local, now=now, today=today, order_id=order_id)
    if not fit.usable:
        raise _refusal(fit.reason or "", language)
    return template, fit.discount_fen


def _till_order(caller: Any, order_data: Mapping[str, Any]) -> Order:
    order = order_of(order_data)
    _check_store(caller, order.store_id, trading=True)
    return order


def reserve(
    caller: Any, code: str, order_id: str, order_data: Mapping[str, Any], minutes: int, language: str,
    present: Callable[[str], None] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Hold a coupon for an order while it is paid: no other order may use it until ``minutes`` pass or it is
    released; the same order may reserve it again (the hold is extended). ``present`` checks that the member
    holding it is there, unless the order holds it already (a cashier's hold)."""
    order = _till_order(caller, order_data)
    coupon, account = read_coupon_account(code)
    held = coupon.held_for(clock.iso(clock.now()))
    if present is not None and coupon.member_id and (held is None or held.order_id != order_id):
        present(coupon.member_id)
    _, discount_fen = _fit_now(coupon, order, order_id, language)
    until = clock.iso(clock.now() + timedelta(minutes=minutes))
    detail = {"order_id": order_id, "store_id": order.store_id, "until": until, "now": clock.iso(clock.now())}
    try:
        coupons().change(
            code,
            "reserve",
            0,
            detail,
            Source("order", order_id),
            Phrase(f"锁定 订单{order_id}", f"Reserved for order {order_id}"),
            event="coupon.reserved",
            payload={"order_id": order_id, "until": until},
            known=account,
        )
    except CouponRefused as refused:
        raise _refusal(refused.reason, language) from None
    return {
        "code": code,
        "order_id": order_id,
        "store_id": order.store_id,
        "until": until,
        "discount_fen": discount_fen,
    }


def release(caller: Any, code: str, order_id: str) -> None:
    """End an order's hold on a coupon (the order was abandoned). Idempotent: when the order holds nothing (released
    before, redeemed, lapsed) there is nothing to do; a hold of another order is 409."""
    coupon, account = read_coupon_account(code)
    if coupon.reservation is not None:
        _check_store(caller, coupon.reservation.store_id)
    if coupon.status != "reserved" or coupon.reservation is None:
        return
    if coupon.reservation.order_id != order_id:
        raise NotReserved(f"Coupon {code} is reserved for another order")
    try:
        coupons().change(
            code,
            "release",
            0,
            {"order_id": order_id},
            Source("order", order_id),
            Phrase(f"解锁 订单{order_id}", f"Released from order {order_id}"),
            event="coupon.released",
            payload={"order_id": order_id},
            known=account,
        )
    except CouponRefused:
        raise NotReserved(f"Coupon {code} is not reserved for order {order_id}") from None


def _order_hash(order_data: Mapping[str, Any]) -> str:
    return Claim.of("order", dict(order_data)).content


def _repeat(coupon: Coupon, order_id: str, order_data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The answer of an earlier redemption of ``coupon`` by this order, if it is the one standing: a repeat (a
    retry, a lost response) answers it again; the same order with other content is a conflict."""
    redemption = coupon.redemption
    if coupon.status != "used" or redemption is None or redemption.order_id != order_id:
        return None
    if redemption.order_hash != _order_hash(order_data):
        raise RedemptionConflict(f"Order {order_id} redeemed {coupon.code} before with another order body")
    return _redemption_answer(coupon, redemption, duplicate=True)


def _redemption_answer(coupon: Coupon, redemption: Redemption, *, duplicate: bool) -> dict[str, Any]:
    return {
        "redemption_id": redemption.redemption_id,
        "order_id": redemption.order_id,
        "store_id": redemption.store_id,
        "discount_fen": redemption.discount_fen,
        "code": coupon.code,
        "member_id": coupon.member_id,
        "duplicate": duplicate,
    }


def redeem(
    caller: Any, code: str, order_id: str, order_data: Mapping[str, Any], language: str,
    new_use: Callable[[str | None], Callable[[Transaction], None] | None] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Use a coupon on an order (核销), once: the coupon's own state is what makes it once. While its use by this order
    stands, the same order again answers the same redemption (``duplicate``); another order gets 409 ``coupon-used``.
    Once given back, the coupon may be used again, by this order too. The discount is the coupon's on this order,
    and the order refuses a coupon that does not stack with those already on it. ``new_use`` checks a use that is no
    repeat, given the member holding the coupon (None: a bearer coupon): the member there; it may give a condition
    the use commits with (the order still open)."""
    order = _till_order(caller, order_data)
    coupon, account = read_coupon_account(code)
    repeated = _repeat(coupon, order_id, order_data)
    if repeated is not None:
        return repeated
    alongside = new_use(coupon.member_id or None) if new_use is not None else None
    template, discount_fen = _fit_now(coupon, order, order_id, language)
    redemption_id = new_id("cr_")
    now = clock.iso(clock.now())
    detail = {
        "redemption_id": redemption_id,
        "order_id": order_id,
        "store_id": order.store_id,
        "discount_fen": discount_fen,
        "at": now,
        "order_hash": _order_hash(order_data),
        **({"partner_id": caller.id} if getattr(caller, "kind", None) == "partner" else {}),
    }
    try:
        used = coupons().change(
            code,
            "redeem",
            -1,
            {**detail, "now": now},
            Source("order", order_id),
            Phrase(f"核销 订单{order_id}", f"Used on order {order_id}"),
            order=(
                order_holder(order_id),
                1,
                {
                    "stacks": template.terms.stacks,
                    "discount_fen": discount_fen,
                    "total_fen": order.total_fen,
                    "shipping_fen": order.shipping_fen,
                    "on_shipping": template.terms.kind == "free_shipping",
                    "covered_fen": covered_fen(template.terms.scope, order),
                    "scope": scope_key(template.terms.scope),
                },
            ),
            event="coupon.redeemed",
            payload={
                "order_id": order_id,
                "store_id": order.store_id,
                "discount_fen": discount_fen,
                "redemption_id": redemption_id,
                "face_value_fen": template.terms.face_value,
            },
            known=account,
            alongside=alongside,
        )
    except CouponRefused as refused:
        repeated = _repeat(read_coupon(code), order_id, order_data)  # a concurrent repeat of this order won
        if repeated is not None:
            return repeated
        raise _refusal(refused.reason, language) from None
    except ValidationFailed:  # the till order closed (``new_use``'s condition): a concurrent repeat that won is said
        repeated = _repeat(read_coupon(code), order_id, order_data)
        if repeated is not None:
            return repeated
        raise
    assert used.redemption is not None
    return _redemption_answer(used, used.redemption, duplicate=False)


def reverse_redemption(
    caller: Any, code: str, order_id: str, reason: str, note: str | None, language: str,
    recorded: Callable[[str], bool] | None = None,
    refunded_whole: Callable[[str, Exception], Callable[[Transaction], None]] | None = None,
    no_card_sold: Callable[[str, str], Callable[[Transaction], None]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Give a used coupon back, once per use: the order was refunded (退券回流) or the redemption was a mistake
    (撤销核销). It is usable again until its last day; past it, it comes back expired (of a voided template, or of a
    gift taken back since it was used, voided). A mistake is undone by staff of the store that made it (or of the whole
    chain); at another store a coupon comes back only with a refund, by staff who refund purchases (a store manager,
    customer service): anyone else gets 422 on ``reason``. So does a coupon of an order the counter has recorded as a
    sale, whoever's (``recorded(order_id)``, asked only where it decides; ``refunded_whole``, the condition the reversal
    commits with): the sale is closed, so only its refund gives the coupon back (a probe: a cashier gave one coupon back
    after each recorded sale and used it again and again), and only a refund of all of it (an F&B walkthrough's member
    kept both the coupon's discount and the coupon after half the order came back). A redemption is given back by the
    channel that made it, whose sale it discounted: the counter's by staff, a partner's by that partner (422 on
    ``order_id`` otherwise: a probe's partner gave back a coupon of a sale the counter recorded, and staff one of a
    partner's reported purchase, each used again). Nor does the coupon of an order a card was sold under come back
    (``no_card_sold``, the condition it commits with: the card costs what was paid after it, and a review gave it back
    and sold a second card with it). A repeat answers the coupon as it is now, ``duplicate`` (an integrator's till, its
    answer lost, sent it again after the coupon was used on the next order and read 409)."""
    coupon, account = read_coupon_account(code)
    redemption = coupon.redemption
    if coupon.status != "used" or redemption is None or redemption.order_id != order_id:
        if (coupon.returned_from == order_id and coupon.status != "used") or _returned_from(code, order_id):
            template = templates_by_id([coupon.template_id]).get(coupon.template_id)
            now, _, today = _moment()
            answer = {**coupon_json(coupon, template, language, now, today), "duplicate": True}
            return {**answer, "redemption": None} if coupon.status == "used" else answer  # not its next use's order
        raise NotReversible(f"Coupon {code} is not used on order {order_id}")
    _check_store(caller, redemption.store_id)
    made_by = redemption.partner_id  # None: the counter
    if (caller.kind == "partner" and made_by != caller.id) or (caller.kind == "staff" and made_by is not None):
        detail = (
            "the counter used this coupon on the order: it is given back there"
            if made_by is None
            else "a partner's till used this coupon on the order: that till gives it back, with its refund"
        )
        raise ValidationFailed([{"field": "order_id", "in": "path", "message": detail}], detail)
    elsewhere = caller.kind == "staff" and not caller.covers_store(redemption.store_id)  # another store's redemption
    refunds = reason == "refund" and caller.may(Permission.PURCHASES_REFUND)  # a refund, by who refunds
    if elsewhere and not refunds:
        detail = "another store's redemption comes back only with a refund, by staff who refund purchases"
        raise ValidationFailed([{"field": "reason", "in": "body", "message": detail}], detail)
    if caller.kind == "staff" and not refunds and recorded is not None and recorded(order_id):
        detail = "the sale was recorded: its coupon comes back only with its refund, by staff who refund purchases"
        raise ValidationFailed([{"field": "reason", "in": "body", "message": detail}], detail)
    whole = None
    if caller.kind == "staff" and refunded_whole is not None:
        detail = "the sale is not refunded whole: its coupon comes back with the refund of all of it"
        whole = refunded_whole(
            order_id, ValidationFailed([{"field": "reason", "in": "body", "message": detail}], detail)
        )
    if caller.kind == "staff" and no_card_sold is not None:
        whole = together(whole, no_card_sold(redemption.store_id, order_id))
    template = get_template(coupon.template_id)
    today = clock.business_today()
    origin = read_coupon(coupon.source_id) if coupon.source_kind == TRANSFER else coupon  # a friend's gift: its own
    mark = taken_back_mark(origin.source_kind, origin.source_id, origin.template_id)
    taken_back = mark is not None and UniqueRecord.find(mark) is not None  # its gift was taken back since it was used
    voided = template.status == "voided" or taken_back
    back = 1 if date.fromisoformat(coupon.valid_until) >= today and not voided else 0
    words = {"refund": ("退款退券", "Returned by a refund of"), "mistake": ("撤销核销", "Use reversed on")}[reason]
    try:
        returned = coupons().change(
            code,
            "return",
            back,
            {"order_id": order_id, "reason": reason, "note": note, "voided": voided},
            Source("order", order_id),
            Phrase(f"{words[0]} 订单{order_id}", f"{words[1]} order {order_id}"),
            order=(order_holder(order_id), -1, {"stacks": template.terms.stacks}),
            event="coupon.returned",
            payload={
                "order_id": order_id,
                "store_id": redemption.store_id,
                "reason": reason,
                "usable": bool(back),
                "voided": voided,
                "discount_fen": redemption.discount_fen,
                "face_value_fen": template.terms.face_value,
            },
            known=account,
            alongside=whole,
        )
        duplicate = False
    except CouponRefused:
        returned = read_coupon(code)
        if returned.returned_from != order_id or returned.status == "used":  # not a concurrent repeat's doing
            raise NotReversible(f"Coupon {code} is not used on order {order_id}") from None
        duplicate = True
    now, _, today = _moment()
    return {**coupon_json(returned, template, language, now, today), "duplicate": duplicate}


RETURNS_LOOKED_AT = 50  # a coupon's entries a repeated reversal reads back for its return (a coupon has a few)


def _returned_from(code: str, order_id: str) -> bool:
    """Whether the coupon was given back from ``order_id`` before, though used again since (one query, on a repeat
    of a reversal only)."""
    entries, _ = ledger().page(coupon_holder(code), COUPON, RETURNS_LOOKED_AT)
    return any(e.kind == "return" and e.source == Source("order", order_id) for e in entries)


# --- nightly -------------------------------------------------------------------------------------------------------


def coupon_of(account: Account) -> Coupon:
    """The coupon an account holds (a nightly job's read of it)."""
    return COUPON_BOOK.load(account.books.get(COUPON))


def would_expire(coupon: Coupon, as_of: date) -> bool:
    """Whether a run for ``as_of`` books the coupon expired: still usable, and ``as_of`` is after its last day."""
    return coupon.status in ("available", "reserved") and date.fromisoformat(coupon.valid_until) < as_of


def would_notice(coupon: Coupon) -> bool:
    """Whether the coupon's member is still to be told it expires soon (once, while it is usable)."""
    return coupon.status in ("available", "reserved") and not coupon.noticed and bool(coupon.member_id)


def expire(account: Account, as_of: date, face_values: Mapping[str, int]) -> bool:
    """Book a coupon expired once the day after its last day has begun (as of ``as_of``), from its account as a
    nightly job read it (``face_values`` by template, for the event); True if it changed."""
    coupon = coupon_of(account)
    if not would_expire(coupon, as_of):
        return False
    try:
        coupons().change(
            coupon.code,
            "expire",
            -1,
            {},
            Source("job", f"expire-coupons:{as_of}"),
            Phrase("过期", "Expired"),
            event="coupon.expired",
            payload={"face_value_fen": face_values.get(coupon.template_id, 0)},
            known=account,
        )
    except CouponRefused:
        return False
    return True


def template_of(account: Account) -> str:
    return str(COUPON_BOOK.load(account.books.get(COUPON)).template_id)


def face_values(template_ids: Iterable[str]) -> dict[str, int]:
    return {template_id: t.terms.face_value for template_id, t in templates_by_id(template_ids).items()}


def void(code: str, face_values: Mapping[str, int]) -> bool:
    """Book an unused coupon of a voided template voided (``face_values`` by template, for the event); True if it
    changed."""
    coupon, account = read_coupon_account(code)
    if coupon.status not in ("available", "reserved"):
        return False
    try:
        coupons().change(
            code,
            "void",
            -1,
            {},
            Source("template", coupon.template_id),
            Phrase("作废", "Voided"),
            event="coupon.voided",
            payload={"face_value_fen": face_values.get(coupon.template_id, 0)},
            known=account,
        )
    except CouponRefused:
        return False
    return True


def void_pack_coupons(member_id: str, packs: Iterable[tuple[str, str]]) -> int:
    """Void the coupons a cancelled paid card's packs (月度券包) issued, as the membership domain names them
    (template, source), that are still usable, reserved for an order included (退卡作废): the member does not keep
    what they were refunded for. Each is found by its issue's claim, not an index; a coupon redeemed stays
    redeemed. Once each (a voided one is passed over); how many it voided."""
    voided = 0
    for template_id, source in packs:
        issued = coupons().replay(_issue_claim(template_id, member_id, "membership-pack", source))
        if issued is None:
            continue  # never issued: the taken-back mark keeps it so
        voided += _void_if_usable(str(issued["code"]), Source("membership-card", source), VOIDED_CARD)
    return voided


def pack_discounts(member_id: str, packs: Iterable[tuple[str, str]]) -> dict[str, int]:
    """What each coupon of a paid card's packs (template, source, as the membership domain names them) took off the
    order that used it, by source; coupons never issued, or not used, are left out. Found by their issues' claims."""
    found: dict[str, int] = {}
    for template_id, source in packs:
        issued = coupons().replay(_issue_claim(template_id, member_id, "membership-pack", source))
        if issued is None:
            continue
        coupon = read_coupon(str(issued["code"]))
        if coupon.status == "transferred" and coupon.transferred_to:  # the friend's use counts as the member's
            coupon = read_coupon(coupon.transferred_to)
        if coupon.status == "used" and coupon.redemption is not None:
            found[source] = coupon.redemption.discount_fen
    return found


BIRTHDAY_TIER = "birthday-tier"  # how a tier's birthday coupon is issued, told apart from the general birthday gift's


def taken_back_mark(source_kind: str, source_id: str, template_id: str) -> str | None:
    """The key of the mark saying that the gift a coupon was issued from is taken back (a refund undid the upgrade,
    or the tier a birthday gift was given at; a card's cancellation refunded its pack), by how it was issued; None for
    coupons no take-back concerns. A gift given after the mark is voided, and so is a coupon given back after it."""
    suffix = {"tier-upgrade": f"tier-upgrade:{source_id}", "membership-pack": source_id,
              BIRTHDAY_TIER: f"birthday:{source_id}:{template_id}", "top-up": f"top-up:{source_id}"}.get(
        source_kind)  # fmt: skip
    return f"coupon-pack-taken-back:{suffix}" if suffix else None


def void_birthday_coupons(member_id: str, year: int, template_ids: Iterable[str], reason: str = VOIDED_BIRTHDAY) -> int:
    """Void the coupons of ``template_ids`` a member's birthday gift of ``year`` gave as its tier's (``BIRTHDAY_TIER``:
    never the general gift's, whatever became of its template since) that are still usable, reserved for an order
    included (退款撤销生日等级礼券): a refund undid the tier that named them, or a card's cancellation refunded the card
    whose floor did (``reason`` says which). Found by their issues' claims; once each; how many it voided."""
    source, voided = f"{member_id}:{year}", 0
    for template_id in dict.fromkeys(template_ids):
        if (issued := coupons().replay(_issue_claim(template_id, member_id, BIRTHDAY_TIER, source))) is not None:
            voided += _void_if_usable(str(issued["code"]), Source("tier-refund", source), reason)
    return voided


def birthday_given(member_id: str, year: int, template_id: str) -> bool:
    """Whether a member's birthday gift of ``year`` gave a coupon of ``template_id``, as the general gift or as its
    tier's: a refund's gift of the coupons of the tier it leaves gives none twice."""
    source = f"{member_id}:{year}"
    return any(coupons().replay(_issue_claim(template_id, member_id, kind, source)) is not None
               for kind in (BIRTHDAY_TIER, "birthday"))  # fmt: skip


def void_upgrade_coupons(member_id: str, change_id: str, template_ids: Iterable[str]) -> int:
    """Void the coupons a tier upgrade gave (source ``tier-upgrade``, its change id) that are still usable, reserved
    for an order included (退款撤销升级礼): a refund undid the upgrade. Found by their issues' claims for the templates
    the upgrade's tier names (a coupon issued a moment ago, which the member's list may not show yet), and through
    that list for templates the programme has stopped naming since; once each; how many it voided."""
    codes = {
        str(issued["code"])
        for template_id in template_ids
        if (issued := coupons().replay(_issue_claim(template_id, member_id, "tier-upgrade", change_id))) is not None
    }
    listed = CouponRecord.by_member.query(
        member_id,
        filter_condition=(CouponRecord.source_kind == "tier-upgrade") & (CouponRecord.source_id == change_id)
        & CouponRecord.status.is_in("available", "reserved", "transferred"),
    )  # fmt: skip
    codes.update(record.code for record in listed)
    return sum(_void_if_usable(code, Source("tier-refund", change_id), VOIDED_UPGRADE) for code in sorted(codes))


def void_top_up_gifts(
    member_id: str, cash_refund_id: str, later: Callable[[], Collection[str]] = tuple, given: Collection[str] = ()
) -> int:
    """Void the member's top-up gift coupons (充值送券) still usable, reserved for an order included: stored value paid
    back in cash (退余额) takes with it what topping up gave, as it forfeits the bonus and the gift points (a probe:
    top up, take the coupon, cash the top-up out, again and again). A used one stays used. Found through the
    member's coupon list, and ``given`` (codes a gift just issued, which that list, an index, may not show yet); once
    each; how many it voided. Each gift's take-back is marked first, so one used before and given back by its order's
    refund later comes back voided (``reverse_redemption``). The gifts of top-ups booked after the cash refund stay:
    ``later`` says which (payment ids), asked after the list is read, so a top-up landing meanwhile is among them."""
    listed = list(CouponRecord.by_member.query(member_id, filter_condition=CouponRecord.source_kind == "top-up"))
    kept = set(later())
    listed = [record for record in listed if (record.source_id or "").partition(":")[2] not in kept]
    now = clock.iso(clock.now())
    for mark in sorted(
        {m for r in listed if r.source_id and (m := taken_back_mark("top-up", r.source_id, r.template_id))}
    ):
        UniqueRecord(mark, owner=member_id, created_at=now).save()  # one used comes back voided (a review)
    source = Source("cash-refund", cash_refund_id)
    usable = [record.code for record in listed if record.status in ("available", "reserved", "transferred")]
    return sum(_void_if_usable(code, source, VOIDED_CASH_OUT) for code in dict.fromkeys([*usable, *given]))


def void_member_coupons(member_id: str) -> int:
    """Void an erased member's coupons still usable, reserved for an order included (注销作废): nobody may use a
    coupon issued to a member who no longer exists, and the liability stops counting them. Found through the
    member's coupon list; once each (a voided one is passed over); how many it voided."""
    listed = CouponRecord.by_member.query(
        member_id, filter_condition=CouponRecord.status.is_in("available", "reserved")
    )
    closed = Source("member", member_id)  # a coupon given to a friend is theirs now
    return sum(_void_if_usable(record.code, closed, VOIDED_CLOSED, follow=False) for record in listed)


def _void_if_usable(code: str, source: Source, reason: str, *, follow: bool = True) -> int:
    """Void one coupon if its own account says it is still usable (reserved included); 1 when it did. The list a
    caller found it in only points at it: the decision is the account's, in the post that voids it. A take-back
    (``follow``) follows a coupon given to a friend to the coupon the friend received (a probe's game otherwise: top
    up, give the gift coupon away, cash the top-up out)."""
    coupon, account = read_coupon_account(code)
    if follow and coupon.status == "transferred" and coupon.transferred_to:
        return _void_if_usable(coupon.transferred_to, source, reason, follow=False)
    if coupon.status not in ("available", "reserved"):
        return 0
    value = face_values([coupon.template_id]).get(coupon.template_id, 0)
    try:
        coupons().change(code, "void", -1, {}, source, reason, event="coupon.voided",
                         payload={"face_value_fen": value}, known=account)  # fmt: skip
    except CouponRefused:  # changed meanwhile: read again, so one given to a friend in that instant is followed
        return _void_if_usable(code, source, reason) if follow else 0  # (a review's race)
    return 1


def notice(account: Account) -> bool:
    """Announce ``coupon.expiring`` for a usable coupon of a member, once (its state remembers it), from its
    account as a nightly job read it."""
    found: dict[str, Coupon] = {}

    def change(state: Coupon) -> Coupon:
        if not would_notice(state):
            return state
        found["coupon"] = replace(state, noticed=True)
        return found["coupon"]

    def announce(state: Coupon) -> list[Event]:
        payload = {
            "code": state.code,
            "template_id": state.template_id,
            "name": NAMES.get(state.template_id),  # the member reads which coupon (a walkthrough read "one of")
            "member_id": state.member_id,
            "valid_until": state.valid_until,
        }
        return [new_event("coupon.expiring", f"member/{state.member_id}", payload)]

    return ledger().amend(account.holder, COUPON, change, announce=announce, known=account)


def codes_of(template_id: str) -> list[str]:
    """Every code of a template (its list records, by the template index: eventually consistent, so the voiding job
    reads a template again on its next run)."""
    return [record.code for record in CouponRecord.by_template.query(template_id)]


def voided_template_ids() -> list[str]:
    """Voided templates whose unused coupons are not all booked voided yet."""
    condition = (CouponTemplateRecord.status == "voided") & CouponTemplateRecord.void_booked_at.does_not_exist()
    return [record.template_id for record in CouponTemplateRecord.query(TEMPLATES_SCOPE, filter_condition=condition)]


def close_voiding(template_id: str) -> bool:
    """Mark a voided template done when none of its coupons' list records is still usable (the voiding job then
    never reads it again); False while some are (the next run looks again)."""
    codes = codes_of(template_id)
    records = CouponRecord.batch_get(codes) if codes else []
    if any(record.status in ("available", "reserved") for record in records):
        return False
    CouponTemplateRecord(TEMPLATES_SCOPE, template_id).update(
        actions=[CouponTemplateRecord.void_booked_at.set(clock.iso(clock.now()))], add_version_condition=False
    )
    return True


# --- gifts and the liability ---------------------------------------------------------------------------------------


def _gifts() -> list[tuple[str, str, int]]:
    condition = CouponTemplateRecord.gift_on.exists() & (CouponTemplateRecord.status == "issuing")
    found = CouponTemplateRecord.query(TEMPLATES_SCOPE, filter_condition=condition)
    return [(record.template_id, str(record.gift_on), int(record.gift_min_fen or 0)) for record in found]


GIFTS = Cached(_gifts, seconds=30)  # a registration or top-up event costs no read for the gifts


def gift_templates(on: str, top_up_fen: int = 0) -> list[str]:
    """Issuing templates the platform gives on ``on`` (registration, top_up: when ``top_up_fen`` reaches its least),
    as known within the last 30 seconds (a template made a gift just now applies from then)."""
    return [template_id for template_id, gift_on, least in GIFTS.get() if gift_on == on and top_up_fen >= least]


def upgrade_gifts(tier: str, previous: str | None) -> list[str]:
    """The templates a member reaching ``tier`` from ``previous`` is given: the new tier's `exclusive_coupons`
    (template ids), on a move up only."""
    from chalicelib.tiers.programmes import programme

    current = programme()
    if not current.knows(tier) or (previous and current.rank(tier) <= current.rank(previous)):
        return []
    return [str(name) for name in current.tier(tier).benefits.get("exclusive_coupons") or []]


def birthday_gifts(tier: str | None) -> list[str]:
    """The templates the programme's ``tier`` gives with the birthday gift (its `birthday_coupons`)."""
    from chalicelib.tiers.programmes import programme

    current = programme()
    if not tier or not current.knows(tier):
        return []
    return [str(name) for name in current.tier(tier).benefits.get("birthday_coupons") or []]


def liability() -> dict[str, Any]:
    """Per template, from the figures the coupon events keep: issued, usable, used, expired and voided, and the face
    value of the usable ones. Reads one item per template and shard."""
    totals: dict[str, dict[str, int]] = {}
    for record in CouponFigureRecord.scan():
        figures = totals.setdefault(record.template_id, {})
        for name in ("issued", "redeemed", "returned", "returned_expired", "expired", "voided"):
            figures[name] = figures.get(name, 0) + int(getattr(record, name) or 0)
    templates = templates_by_id(totals)
    lines: list[dict[str, Any]] = []
    for template_id, f in sorted(totals.items()):
        template = templates.get(template_id)
        used = f["redeemed"] - f["returned"] - f["returned_expired"]
        expired, voided = f["expired"] + f["returned_expired"], f["voided"]
        usable = f["issued"] - used - expired - voided
        if template is not None and template.status == "voided":
            voided, usable = voided + usable, 0  # unusable from the moment it was voided, booked or not
        face = template.terms.face_value if template else 0
        lines.append(
            {
                "template_id": template_id,
                "name": template.name if template else template_id,
                "face_value_fen": face,
                "issued": f["issued"],
                "usable": usable,
                "used": used,
                "expired": expired,
                "voided": voided,
                "usable_face_value_fen": usable * face,
            }
        )
    total = sum(int(line["usable_face_value_fen"]) for line in lines)
    return {"templates": lines, "total_usable_face_value_fen": total, "as_of": clock.iso(clock.now())}
