"""The coupons' nightly jobs: expiring coupons past their last day (and announcing those three days from it), and
booking the unused coupons of voided templates voided."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from chalicelib.coupons import batches, service
from chalicelib.ledger.registry import ledger
from chalicelib.shared import schedules
from chalicelib.shared.dateindex import PARTITIONS_PER_BATCH, partitions
from chalicelib.shared.jobs import SINCE_THE_FIRST_DAY, Job, register

CLOSE = "close:"  # a void-coupons key closing a template's voiding (codes never hold a colon)
NOTICE_DAYS = 3  # coupon.expiring goes out this many days before a coupon's last day


class ExpireCoupons(Job):
    """Book usable coupons expired the day after their last day, and announce ``coupon.expiring`` for those whose
    last day is ``NOTICE_DAYS`` away. Both read the coupon expiry index (keys only) for the days due, so the run
    reads about one coupon per coupon due; each change is once per coupon (its state), whatever the re-runs."""

    name = "expire-coupons"
    schedule = schedules.EXPIRE_COUPONS
    description = "Expire coupons past their last day; announce those expiring in 3 days"
    first_run_lookback_days = SINCE_THE_FIRST_DAY
    batch_size = PARTITIONS_PER_BATCH
    tallied = True
    as_the_day_begins = True  # 00:15 on the day after a coupon's last day expires it

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        """Coupons past their last day since ``first_day`` (however long ago: a coupon lapsed is owed its expiry),
        and notices for those whose last day is ``NOTICE_DAYS`` away or nearer and not yet passed (a run that
        finds them late sends no notice of a coupon already over)."""
        for partition in partitions(first_day, as_of):
            yield f"expire@{partition}"
        ahead = timedelta(days=NOTICE_DAYS + 1)  # listed on the day after the last day
        for partition in partitions(max(first_day + ahead, as_of + timedelta(days=1)), as_of + ahead):
            yield f"notice@{partition}"

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        """Each coupon due is read once, from the index (which holds its whole account); the templates' face
        values once per batch."""
        found: Counter[str] = Counter()
        store = ledger().store
        values: dict[str, int] = {}
        for key in keys:
            action, _, partition = key.partition("@")
            accounts = store.due_accounts("coupon_expiry", partition)
            if action == "expire":
                unknown = {service.template_of(account) for account in accounts} - set(values)
                values |= service.face_values(unknown) if unknown else {}
                for account in accounts:
                    found["expired" if service.expire(account, as_of, values) else "unchanged"] += 1
            else:
                for account in accounts:
                    found["noticed" if service.notice(account) else "unchanged"] += 1
        found["changed"] = found["expired"] + found["noticed"]
        return found

    def preview(self, keys: list[str], as_of: date) -> Iterator[dict[str, Any]]:
        """The coupons a run for ``as_of`` would expire, and the members it would tell of a coupon expiring in
        ``NOTICE_DAYS`` (the ``coupon.expiring`` message), as the coupons stand now."""
        store = ledger().store
        for key in keys:
            action, _, partition = key.partition("@")
            for account in store.due_accounts("coupon_expiry", partition):
                coupon = service.coupon_of(account)
                expires = service.would_expire(coupon, as_of)  # a coupon the run expires is told nothing more
                would = expires if action == "expire" else service.would_notice(coupon) and not expires
                if would:
                    yield {
                        "code": coupon.code,
                        "member_id": coupon.member_id,
                        "template_id": coupon.template_id,
                        "valid_until": coupon.valid_until,
                        "outcome": "expire" if action == "expire" else "notice",
                    }


class VoidCoupons(Job):
    """Book every unused coupon of a voided template voided (they stopped being usable when it was voided)."""

    name = "void-coupons"
    schedule = schedules.VOID_COUPONS
    description = "Book the unused coupons of voided templates voided"
    first_run_lookback_days = 1

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        """The codes of voided templates not yet done, then each template's closing key: a template found done is
        never read again, so the nightly cost follows the voidings under way."""
        for template_id in service.voided_template_ids():
            yield from service.codes_of(template_id)
            yield f"{CLOSE}{template_id}"

    def process(self, keys: list[str], as_of: date) -> int:
        values = service.face_values(service.voided_template_ids())
        voided = sum(service.void(key, values) for key in keys if not key.startswith(CLOSE))
        for key in keys:
            if key.startswith(CLOSE):
                service.close_voiding(key.removeprefix(CLOSE))
        return voided


class CouponBatches(Job):
    """Run the chunks of coupon batches (bulk codes, a CSV of members): each chunk once. A batch runs when it is
    started; this job's own runs pick up any chunk a crash left undone."""

    name = "coupon-batches"
    schedule = schedules.COUPON_BATCHES
    description = "Finish coupon batches (bulk codes, CSV issues) left undone"
    first_run_lookback_days = 1
    batch_size = 10  # chunks per worker message: 250 codes, or 1,000 members
    tallied = True

    def due(self, first_day: date, as_of: date) -> Iterator[str]:
        yield from batches.open_chunks()

    def process(self, keys: list[str], as_of: date) -> Counter[str]:
        tallies: Counter[str] = Counter()
        read: dict[str, object] = {}
        for key in keys:
            tallies.update(batches.process(key, read))
        tallies["changed"] = tallies["issued"]
        return tallies


expire_coupons = register(ExpireCoupons())
coupon_batches = register(CouponBatches())
void_coupons = register(VoidCoupons())
