"""Persistence shape of coupons beyond the ledger: templates, and each coupon as members and tills list it.

A coupon's state is its ledger account's (``rules.CouponBook``); its record here is that state as a list reads
it, written in the same transaction as every change of it, so listing a member's coupons or a template's never
reads the ledger.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.shared.db import NumberAttribute, Record, table

TEMPLATES_SCOPE = "templates"


@table
class CouponTemplateRecord(Record):
    """A coupon template (券模板). Every template sits in one partition (``scope``), listed newest first by id.
    ``terms`` is the JSON of what its coupons are worth and when they apply; ``status`` is ``issuing``,
    ``stopped`` (停发: no new coupons; issued ones stay valid) or ``voided`` (stopped, and the unused voided)."""

    logical_name = "coupon-templates"

    class Meta:
        table_name = "coupon-templates"

    scope = UnicodeAttribute(hash_key=True)
    template_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    terms = UnicodeAttribute()  # JSON
    code_format = UnicodeAttribute()  # JSON {length, charset, prefix}
    stock = NumberAttribute(null=True)  # the stock it was created with (absent: unlimited)
    shards = NumberAttribute(default=1)
    per_member_limit = NumberAttribute(null=True)
    claimable = UnicodeAttribute(default="no")  # "yes": members may claim it (领券)
    transferable = UnicodeAttribute(null=True)  # "yes": members may give its coupons to a friend (转赠)
    status = UnicodeAttribute(default="issuing")
    gift_on = UnicodeAttribute(null=True)  # "registration" | "top_up": the platform gives it on that event
    gift_min_fen = NumberAttribute(null=True)  # a top-up gift's least principal
    void_booked_at = UnicodeAttribute(null=True)  # a voided template whose unused coupons are all booked voided
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


class _ByMember(GlobalSecondaryIndex["CouponRecord"]):  # type: ignore[no-untyped-call]
    """A member's coupons, newest first (bearer coupons, with no member, are not listed)."""

    class Meta:
        index_name = "by-member"
        projection = AllProjection()

    member_id = UnicodeAttribute(hash_key=True)
    issued_key = UnicodeAttribute(range_key=True)


class _ByTemplate(GlobalSecondaryIndex["CouponRecord"]):  # type: ignore[no-untyped-call]
    """A template's coupons, by code: what voiding a template walks."""

    class Meta:
        index_name = "by-template"
        projection = KeysOnlyProjection()

    template_id = UnicodeAttribute(hash_key=True)
    code = UnicodeAttribute(range_key=True)


@table
class CouponRecord(Record):
    """A coupon as lists read it: its ledger account's state when it last changed."""

    logical_name = "coupons"

    class Meta:
        table_name = "coupons"

    code = UnicodeAttribute(hash_key=True)
    template_id = UnicodeAttribute()
    member_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    valid_from = UnicodeAttribute()
    valid_until = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    issued_key = UnicodeAttribute()  # "<issued_at>#<code>": newest first, unique
    source_kind = UnicodeAttribute()
    source_id = UnicodeAttribute(null=True)
    state = UnicodeAttribute()  # JSON: the coupon book's state (reservation, redemption)
    updated_at = UnicodeAttribute()

    by_member = _ByMember()
    by_template = _ByTemplate()


@table
class CouponFigureRecord(Record):
    """How many of a template's coupons each kind of change moved, kept by the ``coupon-figures`` consumer. Each
    event counts into one of ``FIGURE_SHARDS`` items of its template (chosen by the event id), so a flash sale's
    issues do not all write one item; the liability adds a template's shards up."""

    logical_name = "coupon-figures"

    class Meta:
        table_name = "coupon-figures"

    template_id = UnicodeAttribute(hash_key=True)
    shard = NumberAttribute(range_key=True)
    issued = NumberAttribute(default=0)
    redeemed = NumberAttribute(default=0)
    returned = NumberAttribute(default=0)  # redemptions given back usable
    returned_expired = NumberAttribute(default=0)  # redemptions given back past their last day: expired
    expired = NumberAttribute(default=0)
    voided = NumberAttribute(default=0)


class _Running(GlobalSecondaryIndex["CouponBatchRecord"]):  # type: ignore[no-untyped-call]
    """The batches still running (sparse: a batch leaves it when its last chunk is done)."""

    class Meta:
        index_name = "by-running"
        projection = AllProjection()

    running = UnicodeAttribute(hash_key=True)
    batch_id = UnicodeAttribute(range_key=True)


@table
class CouponBatchRecord(Record):
    """A batch issued as a job (批量发券): ``codes`` makes ``size`` bearer coupons (codes to print or hand to a
    partner), ``members`` issues one coupon to each member of an uploaded CSV. Its work is ``chunks`` keys of the
    ``coupon-batches`` job; ``chunks_done`` counts those finished."""

    logical_name = "coupon-batches"

    class Meta:
        table_name = "coupon-batches"

    batch_id = UnicodeAttribute(hash_key=True)
    template_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # "codes" | "members"
    size = NumberAttribute(default=0)  # codes asked, or the CSV's rows
    chunks = NumberAttribute(default=0)
    chunks_done = NumberAttribute(default=0)
    status = UnicodeAttribute()  # "awaiting_file" | "running" | "completed"
    running = UnicodeAttribute(null=True)  # "yes" while running: the sparse index's key
    run_id = UnicodeAttribute(null=True)
    upload_key = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()

    by_running = _Running()


@table
class CouponBatchRowsRecord(Record):
    """A chunk of a members batch's rows (JSON ``[[row number, kind, value], ...]``: kind ``member_id`` or
    ``phone``)."""

    logical_name = "coupon-batch-rows"

    class Meta:
        table_name = "coupon-batch-rows"

    batch_id = UnicodeAttribute(hash_key=True)
    chunk = NumberAttribute(range_key=True)
    rows = UnicodeAttribute()
    done = UnicodeAttribute(null=True)  # "yes" once the chunk was counted done
