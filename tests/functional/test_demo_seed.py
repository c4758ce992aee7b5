"""The local stack's demo data: staff for every role and a member who can log in, 30 days of a chain's life told
through the services (so the ledgers and the dashboard agree), once."""

import json
from datetime import timedelta

from chalicelib.ledger.registry import ledger
from chalicelib.local import demo
from chalicelib.local.seed import DEMO_STAFF, seed_demo_data
from chalicelib.membership.book import MEMBERSHIP, USES
from chalicelib.points.book import BOOK as POINTS
from chalicelib.shared import clock
from chalicelib.shared.jobs import set_epoch
from chalicelib.tiers.book import GROWTH
from chalicelib.wallet.rules import BONUS, PRINCIPAL
from tests.conftest import deliver, item_counts


def test_the_demo_chain_is_seeded_once_with_logins_for_every_role_and_a_month_the_ledgers_agree_with(
    api, aws, tmp_path
):
    """One seeding, checked whole (it is the slowest thing here): credentials, the dashboard against the ledgers,
    and a second seeding that adds nothing."""
    set_epoch(clock.business_today() - timedelta(days=demo.DAYS))  # a fresh platform: its data starts with the story
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps({"admin": {"username": "admin", "password": "kept as it is"}}))
    created = seed_demo_data(credentials)  # its cost is printed by `make run` (no wall-clock limit in a test)
    assert created > 40
    logins_work(api, credentials)
    deliver(aws, "points")  # first: what its consumers announce is counted too
    deliver(aws, "statistics")
    dashboard_agrees_with_the_ledgers(api)
    the_days_activity_is_when_it_happened(api)
    the_rewards_have_pictures(api)
    before = item_counts()
    assert seed_demo_data(credentials) == 0
    assert item_counts() == before


def the_days_activity_is_when_it_happened(api):
    """Found by a walkthrough: every member counted active on the day the stack started, their registrations booked
    by the consumer once the story was told. A check-in earns the rules' points (none were published)."""
    today = clock.business_today()
    report = api.get(f"/v1/reports/members?from={today}&to={today}&granularity=day").body
    (day,) = report["items"]
    assert day["active"] < len(demo.NAMES) // 2
    assert api.get("/v1/points/rules").body["current"]["activities"]["checkin"]["points"] == 5


def the_rewards_have_pictures(api):
    """The mall's rewards each show a picture of its own, published as staff publish one (served at /media/)."""
    from chalicelib.media.service import local_picture

    rewards = api.get("/v1/mall/rewards?limit=50").body["items"]
    assert {reward["name"] for reward in rewards} == set(demo.MALL_REWARDS)
    shown = [local_picture(reward["images"][0].removeprefix("/media/")) for reward in rewards]
    assert [kind for _, kind in shown] == ["image/png"] * len(rewards)
    assert len({picture for picture, _ in shown}) == len(rewards)


def logins_work(api, credentials):
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    saved = json.loads(credentials.read_text())
    assert saved["admin"] == {"username": "admin", "password": "kept as it is"}
    assert set(saved) >= {"cashier", "manager", "marketing", "service", "finance", "member"}
    for account in DEMO_STAFF:
        login = api.as_(None).post("/v1/auth/token", saved[account.username])
        assert login.status == 200, (account, login.body)
        me = api.as_(login.body["access_token"]).get("/v1/staff/me").body
        assert (me["roles"], me["stores"]) == (list(account.roles), list(account.stores))
    assert saved["member"]["phone"] == demo.DEMO_PHONE
    login = api.as_(None).post("/v1/auth/member-token", saved["member"])
    assert login.status == 200, login.body
    assert api.as_(login.body["access_token"]).get("/v1/me").body["name"] == "张伟"


def every_entry_reads_in_english_too(api, member_ids, member_id):
    """What the platform wrote on the members' ledgers it wrote in English too, for English pages: the month's
    purchases and refunds, expiries, gifts, top-ups, wallet payments, the card and its use, the mall's exchange."""
    books = (POINTS, GROWTH, PRINCIPAL, BONUS, MEMBERSHIP, USES)
    entries = [entry for holder in member_ids for book in books for entry in ledger().page(holder, book, 500)[0]]
    assert {entry.book for entry in entries} == set(books)
    assert [(entry.book, entry.kind, entry.reason) for entry in entries if not entry.reason_en] == []
    points = api.get(f"/v1/members/{member_id}/points/ledger?limit=100").body["items"]
    assert {"消费积分": "Purchase", "积分商城兑换 品牌帆布袋 ×1": "Points mall: 品牌帆布袋 ×1"}.items() <= {
        entry["reason"]: entry["reason_en"] for entry in points
    }.items()
    wallet = api.get(f"/v1/members/{member_id}/wallet/entries").body["items"]
    assert {entry["reason_en"].partition(" for ")[0].partition(":")[0] for entry in wallet} >= {
        "Top-up 充500送50",
        "Wallet payment",
    }


def dashboard_agrees_with_the_ledgers(api):
    summary = api.get("/v1/stats/summary").body
    assert summary["members_total"] == len(demo.NAMES)
    assert {tier for tier, members in summary["tier_distribution"].items() if members} >= {"normal", "silver", "gold"}
    today = clock.business_today()
    days = api.get(f"/v1/stats/daily?from={today - timedelta(days=demo.DAYS)}&to={today}").body
    assert sum(1 for day in days["days"] if day["new_members"]) >= 20  # members joined over the month
    totals = days["totals"]
    assert totals["new_members"] == len(demo.NAMES)
    assert totals["purchases"] > 40
    assert totals["refunds"] >= 1
    assert (totals["points_redeemed"] > 0, totals["points_expired"] > 0) == (True, True)
    bound = 20_000  # a member bound one of the demo's gift cards: their wallet's principal, but no money paid in
    assert totals["wallet_top_ups_fen"] == len(demo.TOPPED_UP) * 50_000
    card_fen = demo.MEMBERSHIP_PLAN["price_fen"]  # the demo member's card, paid from their wallet
    assert totals["wallet_payments_fen"] == 12_800 + 8_800 + card_fen
    members = api.get("/v1/members?limit=200").body["items"]
    assert len(members) == len(demo.NAMES)
    balances = [api.get(f"/v1/members/{m['member_id']}/points").body for m in members]
    assert summary["points_outstanding"] == sum(b["available"] + b["pending"] for b in balances)
    wallets = [api.get(f"/v1/members/{m['member_id']}/wallet").body["total_fen"] for m in members]
    paid_from_wallets = 12_800 + 8_800 + card_fen
    assert summary["wallet_float_fen"]["total_fen"] == sum(wallets) == (
        len(demo.TOPPED_UP) * 55_000 + bound - paid_from_wallets)  # fmt: skip
    gift_cards = api.get("/v1/reports/liability").body["gift_cards"]
    assert gift_cards == {"cards": 2, "value_fen": 40_000}  # three sold at the flagship, one bound
    assert {m["tier"] for m in members} == {t for t, n in summary["tier_distribution"].items() if n}
    assert len(api.get("/v1/feedback?status=open").body["items"]) == 2
    (answered,) = api.get("/v1/feedback?status=closed").body["items"]
    assert answered["closed_by"].startswith("staff:")
    member_id = next(m["member_id"] for m in members if m["name"] == "张伟")
    demo_coupons = api.get(f"/v1/members/{member_id}/coupons").body["items"]
    assert {c["name"] for c in demo_coupons} == set(demo.COUPON_TEMPLATES)  # the demo member's coupons to show
    used = sum(len(api.get(f"/v1/members/{m['member_id']}/coupons?status=used").body["items"]) for m in members)
    assert used >= 3  # welcome coupons used on first orders at the till
    (card,) = api.get(f"/v1/members/{member_id}/cards").body["items"]  # the paid card, one class used on it
    assert (card["plan_name"], card["status"], card["paid_fen"]) == (demo.MEMBERSHIP_PLAN["name"], "active", card_fen)
    history = api.get(f"/v1/members/{member_id}/cards/{card['card_id']}/history").body["items"]
    assert [entry["kind"] for entry in history] == ["purchase"]
    benefits = api.get(f"/v1/members/{member_id}/benefits").body
    assert benefits["effective"]["tier"] == "gold"  # the card's floor
    assert any(b["benefit_id"] == "pt-session" and b["source"] == "card" for b in benefits["items"])
    uses, _ = ledger().page(member_id, USES, 10)
    assert [(use.kind, use.amount) for use in uses] == [("use", 1)]
    every_entry_reads_in_english_too(api, [m["member_id"] for m in members], member_id)

    # The programme report counts the month's coupons, cards and stored value as the members' accounts show them.
    month = f"from={today - timedelta(days=demo.DAYS)}&to={today}&granularity=month"
    assets = api.get(f"/v1/reports/programme?{month}").body["totals"]
    issued = sum(len(api.get(f"/v1/members/{m['member_id']}/coupons?status={status}").body["items"])
                 for m in members for status in ("available", "reserved", "used", "expired", "voided"))  # fmt: skip
    assert (assets["coupons"]["issued"], assets["coupons"]["used"]) == (issued, used)
    assert (assets["cards"]["sold"], assets["cards"]["revenue_fen"]) == (1, card_fen)
    assert assets["wallet"]["held"]["principal_fen"] + assets["wallet"]["held"]["bonus_fen"] == sum(wallets)
    joined = api.get(f"/v1/reports/members?{month}").body["totals"]
    assert sum(joined["new_by_source"].values()) == len(demo.NAMES)
