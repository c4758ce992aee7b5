"""The stored value (储值) API contract: webhooks, wallets and their entries, plans, cash refunds, statements."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from chalicelib.members.schemas import MemberBrief
from chalicelib.purchases.schemas import HAPPENED, Happened, MemberRef
from chalicelib.shared.fields import (
    BUSINESS_DATE,
    FEN,
    NEXT_CURSOR,
    REASON_EN,
    UTC_INSTANT,
    Day,
    Id,
    MemberCode,
    Reason,
    Trimmed,
)  # fmt: skip
from chalicelib.shared.http import FieldInvalid, Input, Schema

Amount = Annotated[int, Field(gt=0, le=10**10)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Trimmed]

MEMBER_ID = "the member's id (`mb_…`)"
MEMBER = "the member, by exactly one of id, phone and member number"
DUPLICATE = "true when this repeats an earlier report: the first answer, nothing booked again"
PRINCIPAL = "principal (本金): money the member paid in; never expires, the only part a cash refund pays out"
BONUS = "bonus (赠送金): what top-up plans gave; spent, refunded and shown apart from the principal"
PLAN_ID = "the plan's code (充值方案编号), chosen by finance, e.g. `CZ-100-20`"


class WalletParts(Schema):
    """A wallet's balance, principal and bonus apart."""

    principal_fen: int = Field(description=f"{PRINCIPAL}; {FEN}")
    bonus_fen: int = Field(description=f"{BONUS}; {FEN}")


WALLET_AFTER = "the member's wallet after it"
TILL_ORDER = (
    "the till's order or receipt number (订单号) it belongs to: the member's wallet entries, the event, the store's "
    "journal and the BI `wallet_entries` file name it, so the drawer and the order can be matched"
)
TAKEN_BY = (
    "how the money was taken (支付方式): the till's cash drawer and its payment terminals are reconciled by it (the "
    "event, the store's journal and the BI `wallet_entries` file carry it); left out: not said"
)
PaymentMethod = Literal["cash", "wechat_pay", "alipay", "card", "mixed"]

# --- webhooks --------------------------------------------------------------------------------------------------


class WalletTopUp(Input):
    """A top-up (充值) a partner took payment for: the principal is what was paid, a plan may add bonus."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "payment_id": "PAY-SH001-20261111-0101",
                    "member": {"phone": "13800138000"},
                    "store_id": "SH-001",
                    "occurred_at": "2026-11-11T10:00:00+08:00",
                    "amount_fen": 50000,
                    "plan_id": "CZ-500-50",
                    "payment_method": "wechat_pay",
                }
            ]
        }
    )

    payment_id: Id = Field(description="the partner's payment id of the top-up (支付单号): booked once, for good")
    member: MemberRef = Field(description=MEMBER)
    store_id: Id = Field(description="the store (门店) that sold it, one of the partner's")
    occurred_at: Happened = Field(
        description=f"when it was paid; a plan applies if on sale that day and reported within 7 days; {HAPPENED}"
    )
    amount_fen: Amount = Field(description=f"what the member paid (充值金额), all of it principal; {FEN}")
    plan_id: Id | None = Field(default=None, description=f"{PLAN_ID}: its bonus is added; the amount must be its price")
    order_id: Id | None = Field(default=None, description=f"optional: {TILL_ORDER}")
    payment_method: PaymentMethod | None = Field(default=None, description=f"optional: {TAKEN_BY}")


class WalletTopUpAnswer(Schema):
    """What a top-up booked."""

    payment_id: str = Field(description="the partner's payment id, as reported")
    member_id: str = Field(description=MEMBER_ID)
    principal_fen: int = Field(description=f"principal added; {FEN}")
    bonus_fen: int = Field(description=f"bonus added by the plan (0 without one); {FEN}")
    gift_points: int = Field(
        default=0,
        description="gift points the plan adds (充值送积分): the member earns them as the principal is spent, each "
        "payment crediting its share",
    )
    wallet: WalletParts = Field(description=WALLET_AFTER)
    duplicate: bool = Field(description=DUPLICATE)


class WalletPayment(Input):
    """A payment from the wallet (储值支付) at a till or in the e-shop."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "payment_id": "POS-SH001-20261112-0042",
                    "member": {"phone": "13800138000"},
                    "store_id": "SH-001",
                    "occurred_at": "2026-11-12T12:30:00+08:00",
                    "amount_fen": 3600,
                    "order_id": "SH001-20261112-0042",
                }
            ]
        }
    )

    payment_id: Id = Field(description="the partner's payment id (支付单号): paid once, for good; refunds name it")
    member: MemberRef = Field(description=MEMBER)
    store_id: Id = Field(description="the store (门店) where it was paid, one of the partner's")
    occurred_at: Happened = Field(description=f"when it was paid; {HAPPENED}")
    amount_fen: Amount = Field(description=f"what the wallet pays (支付金额); {FEN}")
    order_id: Id | None = Field(default=None, description=f"optional: {TILL_ORDER}")
    member_code: MemberCode | None = Field(
        default=None,
        description="the member's code (会员码) as their pages show it now: a partner limited to stores takes a "
        "payment from the wallet of a member of none of its stores only with the member there; not part of the "
        "payment's content (a retry with the next minute's code is the same payment)",
    )


class WalletPaymentAnswer(Schema):
    """The split a wallet payment took."""

    payment_id: str = Field(description="the partner's payment id, as reported")
    member_id: str = Field(description=MEMBER_ID)
    principal_fen: int = Field(description=f"principal it took; {FEN}")
    bonus_fen: int = Field(description=f"bonus it took; {FEN}")
    wallet: WalletParts = Field(description=WALLET_AFTER)
    duplicate: bool = Field(description=DUPLICATE)


class WalletRefund(Input):
    """Money of a wallet payment given back to the wallet (退款至储值), once per refund id."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "refund_id": "RF-SH001-20261113-0003",
                    "payment_id": "POS-SH001-20261112-0042",
                    "occurred_at": "2026-11-13T09:00:00+08:00",
                    "amount_fen": 1200,
                }
            ]
        }
    )

    refund_id: Id = Field(description="the partner's refund id (退款单号): booked once per partner and refund id")
    payment_id: Id = Field(description="the wallet payment it refunds, as the partner reported it")
    occurred_at: Happened = Field(description=f"when the money was given back, not before the payment; {HAPPENED}")
    amount_fen: Amount = Field(description=f"money given back, at most what the payment has left; {FEN}")
    member_id: Id | None = Field(
        default=None,
        description="optional: the member who made the payment, when the partner knows it; the refund then reads the "
        "payment and the wallet in one request. A payment another member made is 422",
    )


class WalletCounterPaymentOut(Schema):
    """A payment taken at the counter, with what is left of it to refund."""

    payment_id: str = Field(description="the payment (`wp_…`)")
    member_id: str = Field(description=MEMBER_ID)
    order_id: str | None = Field(description="the till's order it paid (null for one recorded before it was kept)")
    store_id: str = Field(description="the store it was paid at")
    paid_at: str = Field(description="when it was paid (UTC ISO 8601)")
    paid: WalletParts | None = Field(description="what it took of each part; null for a payment recorded before "
                                     "that was kept")  # fmt: skip
    refundable: WalletParts = Field(description="what refunds may still give back of each part")
    refundable_fen: int = Field(description=f"what refunds may still give back in all; {FEN}")


class WalletRefundAnswer(Schema):
    """The split a refund gave back."""

    refund_id: str = Field(description="the partner's refund id, as reported")
    payment_id: str = Field(description="the payment it refunded")
    member_id: str = Field(description=MEMBER_ID)
    principal_fen: int = Field(description=f"principal given back; {FEN}")
    bonus_fen: int = Field(description=f"bonus given back; {FEN}")
    wallet: WalletParts = Field(description=WALLET_AFTER)
    duplicate: bool = Field(description=DUPLICATE)


# --- wallets ---------------------------------------------------------------------------------------------------


class Wallet(Schema):
    """A member's stored value (储值余额) as of now."""

    member_id: str = Field(description=MEMBER_ID)
    principal_fen: int = Field(description=f"{PRINCIPAL}; {FEN}")
    bonus_fen: int = Field(description=f"{BONUS}; {FEN}")
    total_fen: int = Field(description=f"what the member can spend: principal and bonus; {FEN}")
    max_balance_fen: int | None = Field(
        description=f"the most a top-up may bring the wallet to (principal and bonus); null: no limit; {FEN}"
    )
    gift_points_pending: int = Field(
        default=0,
        description="top-up plans' gift points still to be earned (待到账赠送积分): each payment of principal credits "
        "its share; a cash refund forfeits the share that goes with the principal paid out",
    )


class WalletEntrySource(Schema):
    """What booked a wallet entry."""

    kind: str = Field(description="`top-up`, `payment`, `refund` or `cash-refund`")
    id: str = Field(description="its id: the partner's payment or refund id, or the cash refund's (`wc_…`)")


class WalletEntry(Schema):
    """One entry of a wallet book (储值流水); entries are never changed."""

    entry_id: str = Field(description="the entry's id (`we_…`)")
    book: Literal["principal", "bonus"] = Field(description="the book it moved: principal (本金) or bonus (赠送金)")
    kind: Literal["top-up", "payment", "refund", "cash-refund", "bonus-forfeit"] = Field(
        description="top-up (充值), payment (支付), refund (退款 back to the wallet), cash-refund (退卡/退余额, paid "
        "out in cash), bonus-forfeit (bonus that went with a cash refund)"
    )
    amount_fen: int = Field(description=f"signed: money in positive, out negative; {FEN}")
    balance_after_fen: int = Field(description=f"the book's balance after this entry; {FEN}")
    source: WalletEntrySource = Field(description="what booked it")
    reason: str = Field(description="why, as shown to the member")
    reason_en: str | None = Field(default=None, description=REASON_EN)
    occurred_at: str = Field(description=f"when it was booked; {UTC_INSTANT}")
    store_id: str | None = Field(
        default=None,
        description="the store (门店) it happened at: the top-up's, the payment's (its refunds too) or the cash "
        "refund's; null where no store did it (a card bought on the member pages, a mall order delivered, an "
        "erasure's forfeit) and for entries booked before stores were kept",
    )
    recorded_by: str | None = Field(
        default=None,
        description="who booked it (`staff:<id>`, `partner:<id>`, `member:<id>`, `system`); null for the member",
    )


class WalletEntryPage(Schema):
    """A page of wallet entries of both books, newest first."""

    items: list[WalletEntry] = Field(description="this page's entries")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class WalletCounterTopUp(Input):
    """A top-up (储值充值) a cashier takes at the counter (cash, a bank card…), for a receipt of the till."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "store_id": "SH-001",
                    "order_id": "POS-20261120113859-UQKH",
                    "amount_fen": 50000,
                    "plan_id": "CZ-500-50",
                    "payment_method": "wechat_pay",
                }
            ]
        }
    )

    store_id: Id = Field(description="the store (门店) taking the money: one of a store-scoped cashier's")
    order_id: Id = Field(
        description="the till's order or receipt number (订单号) the money was taken under: one top-up per store and "
        "order, for good"
    )
    amount_fen: Amount = Field(description=f"what the member paid (充值金额), all of it principal; {FEN}")
    plan_id: Id | None = Field(default=None, description=f"{PLAN_ID}: its bonus is added; the amount must be its price")
    payment_method: PaymentMethod | None = Field(default=None, description=TAKEN_BY)


class WalletCounterPayment(Input):
    """A payment from the wallet (储值支付) a cashier takes at the counter, for an order of the till, with the member
    there to show their code."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "store_id": "SH-001",
                    "amount_fen": 3600,
                    "order_id": "SH001-20261130-0042",
                    "member_code": "668000123458493817",
                }
            ]
        }
    )

    store_id: Id = Field(description="the store (门店) where it is paid: any store of the chain, which must exist")
    amount_fen: Amount = Field(description=f"what the wallet pays (支付金额); {FEN}")
    order_id: Id = Field(
        description="the till's order or receipt number (订单号) it pays: one payment per order, at whichever store, "
        "for good"
    )
    member_code: MemberCode = Field(
        description="the member's code (会员码) as scanned or typed from the member's pages now (`GET /v1/me/code`): "
        "the member is there; accepted its minute and the next",
    )


class WalletCounterRefund(Input):
    """A counter payment given back to the wallet it came from (退款至储值): goods returned at the till."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"amount_fen": 3000, "reason": "退货：尺码不合适"}]})

    amount_fen: Amount = Field(description=f"how much of the payment goes back, never more than it has left; {FEN}")
    reason: Reason = Field(description="why, in words the member reads in their wallet entries")


class WalletCashRefundCreate(Input):
    """A cash refund of principal (退卡/退余额) by finance."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"store_id": "SH-001", "reason": "会员退卡 (closing the card at the member's request)"}]
        }
    )

    store_id: Id = Field(
        description="the store (门店) that pays the cash out, one of the caller's; its statement shows it"
    )
    amount_fen: Amount | None = Field(default=None, description=f"principal to pay out; null: all of it (退卡); {FEN}")
    reason: Reason = Field(description="why, in words the member reads in their wallet entries")


class WalletCashRefund(Schema):
    """A cash refund as booked."""

    cash_refund_id: str = Field(description="its id (`wc_…`)")
    member_id: str = Field(description=MEMBER_ID)
    store_id: str = Field(description="the store that paid it out")
    principal_fen: int = Field(description=f"principal paid out in cash; {FEN}")
    bonus_fen: int = Field(description=f"bonus forfeited with it (never paid out); {FEN}")
    gift_points_forfeited: int = Field(
        default=0,
        description="top-up gift points still to be earned that go with the principal paid out, forfeited (whole "
        "points; a point already earned is never taken)",
    )
    reason: str = Field(description="why")
    wallet: WalletParts = Field(description=WALLET_AFTER)


# --- plans -----------------------------------------------------------------------------------------------------


class WalletPlanCreate(Input):
    """A top-up plan: pay X, get Y of bonus (充X送Y), and optionally points, on some days at some stores."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "plan_id": "CZ-100-20",
                    "name": "充100送20",
                    "pay_fen": 10000,
                    "bonus_fen": 2000,
                    "gift_points": 50,
                    "starts_on": "2026-11-01",
                    "ends_on": "2026-12-31",
                    "stores": ["SH-001"],
                }
            ]
        }
    )

    plan_id: Id = Field(description=PLAN_ID)
    name: Label = Field(description="its name as the member sees it, e.g. 充100送20")
    pay_fen: Amount = Field(description=f"what the member pays: a top-up of exactly this amount takes the plan; {FEN}")
    bonus_fen: int = Field(ge=0, le=10**10, description=f"bonus (赠送金) added; {FEN}")
    gift_points: int = Field(
        default=0,
        ge=0,
        le=100_000_000,
        description="points (积分) each top-up on it gives, earned as its principal is spent (each payment credits "
        "its share; a refund of the payment takes it back); a cash refund forfeits the share still to be earned",
    )
    starts_on: Day | None = Field(default=None, description=f"first day on sale; default today; {BUSINESS_DATE}")
    ends_on: Day | None = Field(default=None, description=f"last day on sale; null: no end; {BUSINESS_DATE}")
    stores: list[Id] = Field(
        default_factory=list, max_length=500, description="the stores selling it; empty: every store"
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> WalletPlanCreate:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise FieldInvalid("ends_on", "ends_on is before starts_on")
        if len(set(self.stores)) != len(self.stores):
            raise FieldInvalid("stores", "a store repeats in stores")
        return self


class WalletPlanEnd(Input):
    """A plan taken off sale early (停售): its last day on sale, never before today."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"last_day": "2026-12-15"}, {}]})

    last_day: Day | None = Field(
        default=None, description=f"the last day it is on sale; default today; {BUSINESS_DATE}"
    )


class WalletPlan(Schema):
    """A top-up plan (充值方案)."""

    plan_id: str = Field(description=PLAN_ID)
    name: str = Field(description="its name as the member sees it")
    pay_fen: int = Field(description=f"its price: a top-up of exactly this amount; {FEN}")
    bonus_fen: int = Field(description=f"bonus added; {FEN}")
    gift_points: int = Field(description="points given with it")
    starts_on: date = Field(description=f"first day on sale; {BUSINESS_DATE}")
    ends_on: date | None = Field(description=f"last day on sale; null: no end; {BUSINESS_DATE}")
    stores: list[str] = Field(description="the stores selling it; empty: every store")
    on_sale: bool = Field(description="whether it is on sale today")
    created_at: str = Field(description=f"when it was created; {UTC_INSTANT}")
    created_by: str = Field(description="who created it (`staff:<id>`)")


class WalletPlanList(Schema):
    """Every top-up plan, by plan id."""

    items: list[WalletPlan] = Field(description="the plans")


# --- statements ------------------------------------------------------------------------------------------------


class WalletStatementQuery(Input):
    """Which day's statement, for the chain or one store."""

    day: Day | None = Field(default=None, description=f"the business day; default today; {BUSINESS_DATE}")
    to: Day | None = Field(
        default=None,
        description=f"the last day of a period's statement (a month's close): from `day` through `to`, at most 366 "
        f"days apart; default `day`; {BUSINESS_DATE}",
    )
    store_id: Id | None = Field(
        default=None,
        description="one store's figures, or what no store did: `membership` (paid cards bought on the member "
        "pages), `mall` (points-mall orders no store hands over), `erasure` (bonus forfeited on erasure); default the "
        "whole chain",
    )


class WalletBookFigures(Schema):
    """One book's float over the day: opening + top-ups − payments + refunds − cash refunds − forfeited = closing."""

    opening_fen: int = Field(description=f"the float at the start of the day; {FEN}")
    top_ups_fen: int = Field(description=f"added by top-ups (充值); {FEN}")
    payments_fen: int = Field(description=f"spent by wallet payments (支付); {FEN}")
    refunds_fen: int = Field(description=f"given back to wallets by refunds (退款); {FEN}")
    cash_refunds_fen: int = Field(
        description=f"taken out by cash refunds (退卡): principal paid out, or bonus forfeited with it; {FEN}"
    )
    forfeited_fen: int = Field(
        description=f"bonus forfeited (作废) when its member was erased, with no money paid; never principal; {FEN}"
    )
    closing_fen: int = Field(description=f"the float at the end of the day (so far, when provisional); {FEN}")


class WalletStatement(Schema):
    """A day's stored-value statement (储值日报): the float owed to members, a liability, principal and bonus apart.
    For the chain, the closing balances are the sum of every wallet; for a store, its movements' net."""

    day: date = Field(description=f"the business day, or a period's first; {BUSINESS_DATE}")
    to: date = Field(description=f"the period's last day: `day` for a day's statement; {BUSINESS_DATE}")
    store_id: str | None = Field(description="the store; null: the whole chain")
    provisional: bool = Field(description="true when its last day is under way: its figures still move")
    principal: WalletBookFigures = Field(description="the principal (本金)")
    bonus: WalletBookFigures = Field(description="the bonus (赠送金)")


class WalletJournalQuery(Input):
    """A store's journal of stored value on business days ``from`` through ``to`` (at most 31 days apart)."""

    from_: Day = Field(alias="from", description=f"the first day; {BUSINESS_DATE}")
    to: Day = Field(description=f"the last day, at most 31 days after `from`; {BUSINESS_DATE}")
    limit: int = Field(default=100, ge=1, le=500, description="the most lines a page holds")
    cursor: str | None = Field(default=None, max_length=2048, description="the previous page's `next_cursor`")

    @model_validator(mode="after")
    def _span(self) -> WalletJournalQuery:
        if not 0 <= (self.to - self.from_).days <= 31:
            raise ValueError("'to' must be on or after 'from', at most 31 days later")
        return self


class WalletJournalLine(Schema):
    """One movement of stored value at the store's till (储值流水)."""

    occurred_at: str = Field(description=f"when it was booked; {UTC_INSTANT}")
    kind: Literal["top-up", "payment", "refund", "cash-refund"] = Field(
        description="top-up (充值), payment (支付), refund (退款 back to the wallet), cash-refund (退卡/退余额)"
    )
    member_id: str = Field(description="whose wallet (`mb_…`)")
    principal_fen: int = Field(description=f"the principal (本金) it moved, signed: money in positive; {FEN}")
    bonus_fen: int = Field(description=f"the bonus (赠送金) it moved, signed; {FEN}")
    payment_method: str | None = Field(description="how a top-up's money was taken (支付方式), when said")
    order_id: str | None = Field(description="the till's order it belongs to, when one")
    reference: str = Field(description="the payment, refund or cash refund id")
    recorded_by: str = Field(description="who booked it (`staff:<id>`, `partner:<id>`, `member:<id>`, `system`)")
    reason: str | None = Field(description="why, as the member's wallet entries say it")
    reason_en: str | None = Field(default=None, description=REASON_EN)
    member: MemberBrief | None = Field(default=None, description="whose wallet, as member lists show them")


class WalletJournalPage(Schema):
    """A page of a store's journal of stored value, newest first."""

    items: list[WalletJournalLine] = Field(description="this page's lines")
    next_cursor: str | None = Field(description=NEXT_CURSOR)
