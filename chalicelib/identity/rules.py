"""Who may do what: one permission matrix for the roles of the seed documents, and store scopes. Pure.

Roles (seed documents: 前台收银员, 门店店长, 市场专员, 客服人员, 财务人员, 高层管理者):

- cashier: serves members at the till: finds and registers members, redeems points, takes wallet payments,
  sees stores.
- store_manager: a cashier who may also edit and freeze members, read full phone numbers and adjust or
  reverse points, read the dashboard's reports and answer members' feedback.
- marketing: reads members (masked) and stores for campaigns and segments, sets the earn rules and reads the
  dashboard's reports; no personal data.
- customer_service: answers members: reads and edits members with full phones, erases on request,
  adjusts points and reverses redemptions, takes wallet payments, reads and answers feedback (意见反馈).
- finance: reads members (masked) and stores for reconciliation and reports, and the audit log; manages
  stored value: top-up plans, the daily statements and cash refunds of principal (退卡/退余额).
- admin: everything, including staff, partners, the audit log, member imports (a migration's files) and running
  jobs by hand.

Staff may be scoped to stores: a scoped caller sees members whose home store is in scope and the
stores themselves; an unscoped caller (empty scope) sees every store.

A staff account's tokens carry its roles and stores, so disabling, re-roling or re-scoping it (or a new
password) ends every session it has: its refresh tokens at once, its access tokens within the session cache age.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.shared.errors import Forbidden


class Permission(StrEnum):
    """A permission (权限) a role grants, `<area>:<action>`, e.g. `members:read`; `GET /v1/roles` lists them."""

    STORES_READ = "stores:read"
    STORES_WRITE = "stores:write"
    MEMBERS_READ = "members:read"
    MEMBERS_REGISTER = "members:register"
    MEMBERS_WRITE = "members:write"
    MEMBERS_ERASE = "members:erase"
    MEMBERS_IMPORT = "members:import"
    PII_READ = "pii:read"
    POINTS_REDEEM = "points:redeem"
    POINTS_ADJUST = "points:adjust"
    RULES_WRITE = "rules:write"
    TIERS_OVERRIDE = "tiers:override"
    STAFF_ADMIN = "staff:admin"
    PARTNERS_ADMIN = "partners:admin"
    AUDIT_READ = "audit:read"
    WALLET_PLANS = "wallet:plans"
    WALLET_STATEMENTS = "wallet:statements"
    WALLET_CASH_REFUND = "wallet:cash-refund"
    WALLET_PAY = "wallet:pay"
    WALLET_REFUND = "wallet:refund"
    WALLET_TOP_UP = "wallet:top-up"
    PURCHASES_RECORD = "purchases:record"
    PURCHASES_REFUND = "purchases:refund"
    PURCHASES_RECORD_LARGE = "purchases:record-large"
    SALES_JOURNAL = "sales:journal"
    REPORTS_READ = "reports:read"
    REPORTS_MONEY = "reports:money"
    JOBS_RUN = "jobs:run"
    FEEDBACK_READ = "feedback:read"
    FEEDBACK_REPLY = "feedback:reply"
    COUPONS_MANAGE = "coupons:manage"
    COUPONS_REDEEM = "coupons:redeem"
    MALL_MANAGE = "mall:manage"
    MALL_FULFIL = "mall:fulfil"
    MALL_REFUND = "mall:refund"
    NOTIFICATIONS_READ = "notifications:read"
    NOTIFICATIONS_MANAGE = "notifications:manage"
    MEMBERSHIP_PLANS = "membership:plans"
    MEMBERSHIP_CANCEL = "membership:cancel"
    BENEFITS_USE = "benefits:use"
    MEMBERSHIP_SELL = "membership:sell"
    MEMBERSHIP_PAUSE = "membership:pause"
    MEMBERSHIP_EXTEND = "membership:extend"
    AGREEMENTS_PUBLISH = "agreements:publish"
    GIFT_CARDS_MANAGE = "giftcards:manage"
    GIFT_CARDS_SELL = "giftcards:sell"


SESSION_FIELDS = ("roles", "stores", "status")  # what a staff token's grant depends on
STAFF_SHOWN_IN_AUDIT = frozenset({"roles", "stores", "status"})  # values the audit log shows (not the display name)


class Role(StrEnum):
    """A staff role (员工角色): cashier (收银员), store manager (店长), marketing (市场), customer service (客服),
    finance (财务) or admin (管理员); each grants a fixed set of permissions."""

    CASHIER = "cashier"
    STORE_MANAGER = "store_manager"
    MARKETING = "marketing"
    CUSTOMER_SERVICE = "customer_service"
    FINANCE = "finance"
    ADMIN = "admin"


P = Permission
_CASHIER = {P.STORES_READ, P.MEMBERS_READ, P.MEMBERS_REGISTER, P.POINTS_REDEEM, P.WALLET_PAY, P.COUPONS_REDEEM}
_CASHIER |= {P.MALL_FULFIL, P.BENEFITS_USE, P.PURCHASES_RECORD, P.WALLET_TOP_UP, P.MEMBERSHIP_SELL, P.GIFT_CARDS_SELL}
_FEEDBACK = {P.FEEDBACK_READ, P.FEEDBACK_REPLY, P.NOTIFICATIONS_READ}
_FINANCE = {P.STORES_READ, P.MEMBERS_READ, P.AUDIT_READ, P.REPORTS_READ, P.REPORTS_MONEY}
_FINANCE |= {P.WALLET_PLANS, P.WALLET_STATEMENTS, P.WALLET_CASH_REFUND, P.MEMBERSHIP_CANCEL, P.SALES_JOURNAL}
_FINANCE |= {P.GIFT_CARDS_MANAGE, P.GIFT_CARDS_SELL}  # batches printed, their PINs, voided: money's, as stored
# value's plans are; and cards sold and looked up (a company's order of cards is sold by head office)
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CASHIER: frozenset(_CASHIER),
    Role.STORE_MANAGER: frozenset(
        _CASHIER
        | _FEEDBACK
        | {P.MEMBERS_WRITE, P.PII_READ, P.POINTS_ADJUST, P.TIERS_OVERRIDE, P.REPORTS_READ}
        | {P.WALLET_REFUND, P.MALL_REFUND, P.PURCHASES_REFUND, P.PURCHASES_RECORD_LARGE}
        | {P.WALLET_STATEMENTS, P.SALES_JOURNAL}  # their own stores' (a store closes its day; found by a walkthrough)
        | {P.REPORTS_MONEY}  # their stores' amounts in the reports (a tea chain's manager read — beside 门店流水's);
        # the liability stays the whole chain's, which staff scoped to stores never read
        | {P.MEMBERSHIP_PAUSE}  # 停卡/复卡 at the desk, for any member of the chain (a gym member travels)
        | {P.MEMBERSHIP_EXTEND}  # 延期: days given after a card's end (a pack's lessons left, a complaint)
        | {P.MEMBERSHIP_CANCEL}  # a card their stores sold (an education centre's manager sent each refund to head
        # office); a payment another store took is refunded there (403 card-refund-elsewhere)
    ),
    Role.MARKETING: frozenset(
        {P.STORES_READ, P.MEMBERS_READ, P.RULES_WRITE, P.REPORTS_READ, P.COUPONS_MANAGE, P.MALL_MANAGE}
        | {P.NOTIFICATIONS_READ, P.NOTIFICATIONS_MANAGE, P.MEMBERSHIP_PLANS}
    ),
    Role.CUSTOMER_SERVICE: frozenset(
        _CASHIER
        | _FEEDBACK
        | {P.MEMBERS_WRITE, P.MEMBERS_ERASE, P.PII_READ, P.POINTS_ADJUST, P.TIERS_OVERRIDE}
        | {P.MEMBERSHIP_CANCEL, P.MEMBERSHIP_PAUSE, P.MEMBERSHIP_EXTEND, P.WALLET_REFUND, P.MALL_REFUND}
        | {P.PURCHASES_REFUND}
    ),
    Role.FINANCE: frozenset(_FINANCE),
    Role.ADMIN: frozenset(Permission),
}

ROLE_LABELS: dict[Role, tuple[str, str]] = {  # (zh-CN, en), as the back office shows them
    Role.CASHIER: ("收银员", "Cashier"),
    Role.STORE_MANAGER: ("店长", "Store manager"),
    Role.MARKETING: ("市场专员", "Marketing"),
    Role.CUSTOMER_SERVICE: ("客服人员", "Customer service"),
    Role.FINANCE: ("财务人员", "Finance"),
    Role.ADMIN: ("管理员", "Administrator"),
}
PERMISSION_LABELS: dict[Permission, tuple[str, str]] = {  # (zh-CN, en)
    P.STORES_READ: ("查看门店", "Read stores"),
    P.STORES_WRITE: ("管理门店", "Manage stores"),
    P.MEMBERS_READ: ("查看会员", "Read members"),
    P.MEMBERS_REGISTER: ("注册会员", "Register members"),
    P.MEMBERS_WRITE: ("编辑与冻结会员", "Edit and freeze members"),
    P.MEMBERS_ERASE: ("注销会员", "Erase members"),
    P.MEMBERS_IMPORT: ("导入会员", "Import members"),
    P.PII_READ: ("查看完整个人信息", "Read full personal data"),
    P.PURCHASES_RECORD: ("消费记账", "Record purchases at the counter"),
    P.WALLET_TOP_UP: ("储值充值", "Take stored-value top-ups at the counter"),
    P.PURCHASES_REFUND: ("消费退款", "Refund purchases recorded at the counter"),
    P.PURCHASES_RECORD_LARGE: ("大额消费记账", "Record purchases above the counter's limit"),
    P.SALES_JOURNAL: ("门店流水", "A store's sales journal, with totals by method and cashier"),
    P.POINTS_REDEEM: ("积分兑换", "Redeem points"),
    P.POINTS_ADJUST: ("积分调整与冲正", "Adjust points and reverse redemptions"),
    P.RULES_WRITE: ("积分规则", "Earn rules"),
    P.TIERS_OVERRIDE: ("等级调整", "Override tiers"),
    P.STAFF_ADMIN: ("员工与角色", "Staff and roles"),
    P.PARTNERS_ADMIN: ("合作方系统", "Partner systems"),
    P.AUDIT_READ: ("审计日志", "Audit log"),
    P.WALLET_PLANS: ("充值方案", "Top-up plans"),
    P.WALLET_STATEMENTS: ("储值日报", "Stored-value statements"),
    P.WALLET_CASH_REFUND: ("退卡/退余额", "Cash refunds of stored value"),
    P.WALLET_PAY: ("储值支付", "Wallet payments at the counter"),
    P.WALLET_REFUND: ("储值退款", "Refunds of counter payments to the wallet"),
    P.REPORTS_READ: ("经营报表", "Reports and dashboard"),
    P.REPORTS_MONEY: (
        "报表金额与负债",
        "Money in reports, and the liability (the whole chain's: not for staff scoped to stores)",
    ),
    P.JOBS_RUN: ("运行任务", "Run jobs"),
    P.FEEDBACK_READ: ("查看意见反馈", "Read feedback"),
    P.FEEDBACK_REPLY: ("回复意见反馈", "Answer feedback"),
    P.COUPONS_MANAGE: ("优惠券模板与发券", "Coupon templates and issuing"),
    P.COUPONS_REDEEM: ("核销优惠券", "Redeem coupons at the till"),
    P.MALL_MANAGE: ("积分商城商品", "Points-mall rewards"),
    P.MALL_FULFIL: ("兑换订单发货与核销", "Fulfil points-mall orders"),
    P.MALL_REFUND: ("兑换订单售后退款", "Refund points-mall goods after sale"),
    P.NOTIFICATIONS_READ: ("消息记录与授权", "Message history and consents"),
    P.NOTIFICATIONS_MANAGE: ("消息模板、策略与营销消息", "Message templates, policy and marketing messages"),
    P.MEMBERSHIP_PLANS: ("付费会员卡方案", "Paid membership plans"),
    P.MEMBERSHIP_CANCEL: ("会员卡退卡退款", "Cancel and refund membership cards"),
    P.BENEFITS_USE: ("核销会员权益", "Record benefit uses at the counter"),
    P.MEMBERSHIP_SELL: ("柜台开卡续卡", "Sell and renew membership cards at the counter"),
    P.MEMBERSHIP_PAUSE: ("会员卡停卡复卡", "Pause and resume membership cards"),
    P.MEMBERSHIP_EXTEND: ("会员卡延期", "Extend membership cards (days given)"),
    P.AGREEMENTS_PUBLISH: ("发布会员协议与隐私政策", "Publish the membership agreement and privacy policy"),
    P.GIFT_CARDS_MANAGE: ("管理礼品卡批次与卡密", "Manage gift card batches and PINs"),
    P.GIFT_CARDS_SELL: ("售卖礼品卡", "Sell gift cards"),
}


@dataclass(frozen=True)
class StaffGrant:
    """What a staff caller may do: the union of their roles' permissions, within their stores."""

    roles: frozenset[Role]
    stores: frozenset[str] = field(default_factory=frozenset)  # empty: every store

    @property
    def permissions(self) -> frozenset[Permission]:
        return frozenset().union(*(PERMISSIONS[role] for role in self.roles))

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions

    def covers_store(self, store_id: str | None) -> bool:
        """Whether a store is in scope. A member without a home store is only in an unscoped caller's view."""
        return not self.stores or (store_id is not None and store_id in self.stores)


def counter_purchase_cap(grant: StaffGrant, limit_fen: int) -> int | None:
    """The most a caller may record as paid at the counter (消费记账) under one of the chain's limits (a sale's:
    ``LOYALTY_COUNTER_PURCHASE_LIMIT_FEN``, or a day's; 0: none), unless their roles record large purchases (a
    store manager's): a cashier alone cannot give a friend the points of a sale that never happened above it.
    None: no cap."""
    return limit_fen if limit_fen and not grant.may(Permission.PURCHASES_RECORD_LARGE) else None


def grant_of(roles: Iterable[str], stores: Iterable[str] = ()) -> StaffGrant:
    return StaffGrant(frozenset(Role(role) for role in roles), frozenset(stores))


def ends_sessions(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """A staff edit ends the account's sessions when it disables (or enables), re-roles or re-scopes it: tokens
    must not keep a grant the account no longer has. Renaming does not."""
    return any(before[name] != after[name] for name in SESSION_FIELDS)


def within(scope: frozenset[str], stores: Iterable[Any]) -> bool:
    """Whether a caller scoped to ``scope`` (empty: every store) may grant or edit what is scoped to ``stores``: a
    store-scoped caller only within its own stores; every store (an empty list) is an unscoped caller's alone."""
    if not scope:
        return True
    asked = frozenset(str(store) for store in stores)
    return bool(asked) and asked <= scope


def require_within(scope: frozenset[str], stores: Iterable[Any], what: str) -> None:
    """403 unless ``within``."""
    if not within(scope, stores):
        raise Forbidden(f"{what} reaches beyond your stores")
