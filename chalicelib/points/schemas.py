"""The points API contract."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, field_validator, model_validator

from chalicelib.shared import clock
from chalicelib.shared.fields import (
    BUSINESS_DATE,
    NEXT_CURSOR,
    REASON_EN,
    UTC_INSTANT,
    Day,
    Id,
    MemberCode,
    Reason,
    Trimmed,
    without_personal_data,
)
from chalicelib.shared.http import FieldInvalid, Input, Schema

MAX_POINTS = 100_000_000
REASON = "why, in words the member reads in their ledger (write no personal data)"


class Expiring(Schema):
    """Points that expire together."""

    # the description rides in Annotated: a default here would shadow the type ``date`` the field is named after
    date: Annotated[date, Field(description=f"the last day they can be spent: they expire at its end; {BUSINESS_DATE}")]
    points: int = Field(description="how many points (积分) expire then")


class PointsBalance(Schema):
    """As of now: points past their expiry date are gone and matured pending points count as available. With
    the negative-balance refund policy ``available`` may be negative (the debt)."""

    available: int = Field(description="points (积分) spendable now")
    pending: int = Field(description="points in a return window, spendable from a later day")
    expiring: list[Expiring] = Field(
        description="spendable points by expiry day, soonest first (never-expiring not listed)"
    )
    lifetime_earned: int = Field(
        description="every point ever credited: earned, opening balances, positive adjustments"
    )
    redeemed: int = Field(description="points ever redeemed (兑换), net of reversals")
    expired: int = Field(description="points ever expired (过期), including those past their day not yet booked")
    deducted: int = Field(
        description="points ever taken back by refunds (退款扣回) or debited by hand (扣减): lifetime_earned − "
        "redeemed − expired − deducted = available + pending − debt"
    )
    debt: int = Field(
        description="points owed after refunds (退款) took back more than was left; credits repay it first"
    )
    cash: CashTerms | None = Field(
        default=None, description="积分抵现 at a till (the member shows their code): null when the chain takes none"
    )


class CashTerms(Schema):
    """积分抵现: points paying part of an order at a till, as the chain offers it."""

    worth_fen: int = Field(description="what the available points pay at most, in fen (分), rounded down")
    point_value_fen: str = Field(description="what a point pays, in fen (`LOYALTY_POINT_VALUE_FEN`, a decimal)")
    max_percent: int = Field(
        description="the most of an order points pay, in per cent (`LOYALTY_POINTS_CASH_MAX_PERCENT`)"
    )


class Source(Schema):
    """What booked a ledger entry."""

    kind: str = Field(
        description="`order`, `refund`, `redemption`, `activity`, `staff`, `import`, `job`, `tier` (an upgrade gift) "
        "or `payment` (top-up gift points a wallet payment earned; a refund of it takes them back as `refund`)"
    )
    id: str | None = Field(
        description="its id (order id, refund id, redemption id …); null for staff and imports when a member reads"
    )


class LedgerEntry(Schema):
    """One entry of the points ledger (积分流水); entries are never changed, corrections are new entries."""

    entry_id: str = Field(description="the entry's id (`pe_…`)")
    seq: int = Field(description="its number in the member's ledger: 1, 2, 3 … without gaps")
    type: Literal["earn", "redeem", "expire", "adjust", "refund", "reverse", "opening"] = Field(
        description="earn (获得), redeem (兑换), expire (过期), adjust (调整), refund (退款 claw-back), reverse (a "
        "redemption given back), opening (a migrated balance)"
    )
    points: int = Field(description="signed: credits positive, debits negative")
    balance_after: int = Field(description="the member's booked balance after this entry, net of debt")
    source: Source = Field(description="what booked it")
    reason: str = Field(description="why, as shown to the member")
    reason_en: str | None = Field(default=None, description=REASON_EN)
    occurred_at: str = Field(description=f"when it was booked; {UTC_INSTANT}")
    recorded_by: str | None = Field(
        default=None,
        description="who booked it (`staff:<id>`, `partner:<id>`, `system`, `cli`), in the ledger staff read; null for "
        "the member, and in the answer of the write that booked it",
    )


class LedgerPage(Schema):
    """A page of ledger entries, newest first."""

    items: list[LedgerEntry] = Field(description="this page's entries")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


BATCH_ROWS = (
    200  # rows a batch request takes: two requests a row keep one well inside API Gateway's 29 s (a file of more
)
# goes in several requests under one batch name)
BatchName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Trimmed,
    AfterValidator(without_personal_data),
]  # fmt: skip


class BatchRow(Input):
    """One row of a bulk adjustment: the member (one of `member_id`, `phone`, `member_no`), points, and a reason
    and expiry of its own when it has them."""

    line: int = Field(ge=1, le=10_000_000, description="the row's line in the operator's file, echoed in the answer")
    member_id: Id | None = Field(default=None, description="the member's id")
    phone: str | None = Field(default=None, max_length=32, description="or the member's phone")
    member_no: str | None = Field(default=None, max_length=64, description="or the member number (会员号)")
    points: int = Field(ge=-MAX_POINTS, le=MAX_POINTS, description="points (积分) to credit or (negative) debit")
    reason: Reason | None = Field(default=None, description=f"{REASON}; default: the batch's `reason`")
    expires_on: Day | None = Field(
        default=None, description=f"credits only: the last day they can be spent; {BUSINESS_DATE}; default: the policy"
    )

    @model_validator(mode="after")
    def _one_member_nonzero(self) -> BatchRow:
        if sum(value is not None for value in (self.member_id, self.phone, self.member_no)) != 1:
            raise ValueError("name the member by one of member_id, phone or member_no")
        if self.points == 0:
            raise ValueError("an adjustment of 0 points changes nothing")
        if self.expires_on is not None and self.points < 0:
            raise ValueError("only credits take an expiry date")
        return self


class AdjustmentBatchCreate(Input):
    """A bulk adjustment (批量调整积分): a month's rewards, a campaign's credits, corrections from a list."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"batch": "2026-11 会员日奖励", "reason": "11月会员日奖励", "rows": [
                {"line": 2, "phone": "13800138000", "points": 200},
                {"line": 3, "member_no": "M00012345", "points": -50, "reason": "重复发放更正"},
            ]}]
        }
    )  # fmt: skip

    batch: BatchName = Field(
        description="the batch's name, e.g. 2026-11 会员日奖励: each row (its member, points, own reason and "
        "expiry) is applied once for good under it, so sending the file again (a lost answer, the failed rows "
        "mended) applies only rows not applied before"
    )
    reason: Reason | None = Field(default=None, description="the reason of rows that give none")
    rows: list[BatchRow] = Field(min_length=1, max_length=BATCH_ROWS, description=f"at most {BATCH_ROWS} rows")

    @model_validator(mode="after")
    def _reasons(self) -> AdjustmentBatchCreate:
        if self.reason is None and any(row.reason is None for row in self.rows):
            raise ValueError("give a reason for the batch or for every row")
        return self


class BatchRowOutcome(Schema):
    """What became of one row."""

    line: int = Field(description="the row's line, as sent")
    outcome: Literal["applied", "skipped", "failed"] = Field(
        description="applied now; skipped (applied before under this batch); failed (see `problem`)"
    )
    member_id: str | None = Field(description="the member it names (null when none was found)")
    problem: str | None = Field(
        description="why it failed: `not-a-phone`, `no-member`, `member-not-active`, `insufficient-points`, "
        "`expiry-past`, "
        "`same-row` (the same member, points, reason and expiry twice in the batch: add them up or tell them apart)"
    )
    seq: int | None = Field(description="the entry's number in the member's ledger, when applied")


class AdjustmentBatchOut(Schema):
    """A bulk adjustment's answer: counts and each row's outcome, in the order sent."""

    batch: str = Field(description="the batch's name")
    applied: int = Field(description="rows applied now")
    skipped: int = Field(description="rows applied before under this batch")
    failed: int = Field(description="rows not applied")
    rows: list[BatchRowOutcome] = Field(description="each row's outcome")


class RedemptionCreate(Input):
    """Points to spend."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"points": 500, "reason": "兑换 50 元代金券"},
                {"points": 500, "order_id": "POS-20261120113859-UQKH", "order_total_fen": 3800,
                 "member_code": "660123456789012345", "store_id": "SH-001"},
            ]
        }
    )  # fmt: skip

    points: int = Field(gt=0, le=MAX_POINTS, description="how many points (积分) to spend")
    reason: Reason | None = Field(
        default=None,
        description=f"{REASON}, e.g. 兑换 50 元代金券; left out only with `order_id` (the member reads "
        "积分抵现 ¥5.00·订单 …)",
    )
    order_id: Id | None = Field(
        default=None,
        description="积分抵现: the till order (订单号) the points pay part of, `LOYALTY_POINT_VALUE_FEN` fen a point "
        "(the answer's `cash_fen` comes off what is left to pay); once per order (409 `order-points-used`), before its "
        "sale is recorded (消费记账, which counts it), and given back when that sale is refunded whole",
    )
    order_total_fen: int | None = Field(
        default=None, gt=0, le=10**12,
        description="with `order_id`, and only with it: the order's total in fen (分); points pay at most "
        "`LOYALTY_POINTS_CASH_MAX_PERCENT` of it",
    )  # fmt: skip
    store_id: Id | None = Field(
        default=None,
        description="the store (门店) where they were spent, whose figures count them: one of a store-scoped "
        "caller's (left out, the only store of a caller scoped to one)",
    )
    member_code: MemberCode | None = Field(
        default=None,
        description="the member's code (会员码) as their pages show it now: a cashier spends a member's points only "
        "with the member there (staff who adjust points, and the member themselves, need none); not part of the "
        "request's content, so a retry with the next minute's code is the same redemption",
    )

    @model_validator(mode="after")
    def _as_cash_or_named(self) -> RedemptionCreate:
        if (self.order_id is None) != (self.order_total_fen is None):
            field = "order_total_fen" if self.order_id else "order_id"
            raise FieldInvalid(field, "order_id and order_total_fen go together (积分抵现 on a till order)")
        if self.order_id is None and self.reason is None:
            raise FieldInvalid("reason", "Field required: what the points are redeemed for")
        return self


class Redemption(Schema):
    """A redemption (积分兑换) and its ledger entry."""

    redemption_id: str = Field(description="the redemption's id (`rd_…`): reverse it by this id")
    points: int = Field(description="points spent")
    reason: str = Field(description="why, as given")
    status: Literal["completed"] = Field(description="always `completed`: a redemption is booked at once")
    order_id: str | None = Field(default=None, description="积分抵现: the till order the points paid part of")
    cash_fen: int | None = Field(default=None, description="积分抵现: what they paid of it, in fen (分)")
    created_at: str = Field(description=f"when it was booked; {UTC_INSTANT}")
    entry: LedgerEntry = Field(description="the `redeem` entry it booked")


class Reversal(Input):
    """Why a redemption is given back; the body may be left out."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "顾客取消兑换"}]})

    reason: Reason = Field(default="撤销兑换", description=f"{REASON}; default 撤销兑换 (redemption reversed)")


class AdjustmentCreate(Input):
    """Credit (positive) or debit (negative) points; a debit never takes the balance below zero."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"points": 800, "reason": "客诉补偿"}, {"points": -100, "reason": "重复发放更正"}]
        }
    )

    points: int = Field(
        ge=-MAX_POINTS, le=MAX_POINTS, description="points (积分) to credit (positive) or debit (negative)"
    )
    reason: Reason = Field(description=f"{REASON}, e.g. 客诉补偿")
    expires_on: Day | None = Field(
        default=None,
        description=f"credits only: the last day they can be spent, not past; {BUSINESS_DATE}; "
        "default: the expiry policy",
    )

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("an adjustment of 0 points changes nothing")
        return value

    @field_validator("expires_on")
    @classmethod
    def _not_past(cls, value: date | None) -> date | None:
        if value is not None and value < clock.business_today():
            raise ValueError("is past: the points would expire on arrival")
        return value
