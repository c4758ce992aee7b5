"""The reports agree with the ledgers and the purchases to the unit: a generated month of activity at three stores in
two regions (members who join, buy at any store, climb tiers, get refunds, redeem and let points expire, top up and
pay from their wallets), delivered more than once, then every report compared with what the ledgers and the
purchases say."""

import contextlib
import json
import random
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from chalicelib.ledger.registry import ledger
from chalicelib.members import service as members
from chalicelib.members.schemas import MemberCreate
from chalicelib.points import jobs as points_jobs
from chalicelib.points import service as points
from chalicelib.shared import clock
from chalicelib.shared.jobs import days, run_job, set_epoch
from chalicelib.shared.settings import get_settings
from chalicelib.stats import reports
from chalicelib.tiers import service as tiers
from tests.conftest import deliver, signed_headers, token_for

TZ = get_settings().tz
FIRST, LAST = date(2026, 10, 1), date(2026, 10, 31)
STORES = {"SH-001": "华东", "HZ-001": "华东", "BJ-001": "华北"}


def signed(api, partner, path, body):
    raw = json.dumps(body, ensure_ascii=False).encode()
    answer = api.as_(None).call("POST", path, raw=raw, headers=signed_headers(*partner, raw))
    assert answer.status == 200, answer.body
    return answer.body


def at(day, hour):
    return datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=hour)


class Month:
    """What happened in the month, as the test made it happen (the purchases) and as the ledgers booked it."""

    def __init__(self, api, aws, monkeypatch):
        monkeypatch.setenv("LOYALTY_POINTS_EXPIRY", "rolling-days:10")
        get_settings.cache_clear()
        set_epoch(FIRST)
        for store_id, region in STORES.items():
            api.post("/v1/stores", {"store_id": store_id, "name": store_id, "city": "c", "region": region})
        created = api.post("/v1/partners", {"name": "POS", "all_stores": True}).body
        partner = created["partner_id"], created["secret"]
        rng = random.Random(18)
        self.joined: dict[str, tuple[date, str]] = {}
        self.purchases: list[tuple[date, str, str, int]] = []  # day, member, store, paid
        self.paid_in: dict[str, int] = defaultdict(int)  # stored value paid in less paid out, by store
        n = 0
        for day in days(FIRST, LAST):
            with clock.frozen(at(day, 10)):
                for _ in range(rng.choice((0, 1, 1, 2))):
                    n += 1
                    store = rng.choice(list(STORES))
                    member_id, _ = members.register(MemberCreate(name=f"会员{n}", phone=f"1390000{n:04d}",
                                                                 home_store_id=store))  # fmt: skip
                    self.joined[member_id] = (day, store)
            for k in range(rng.choice((1, 2, 3))):
                if not self.joined:
                    break
                member_id = rng.choice(sorted(self.joined))
                store, paid = rng.choice(list(STORES)), rng.choice((8_800, 25_000, 120_000, 400_000))
                with clock.frozen(at(day, 12 + k)):
                    order_id = f"O-{day:%d}-{k}"
                    signed(api, partner, "/v1/webhooks/purchases", {
                        "order_id": order_id, "member": {"member_id": member_id}, "store_id": store,
                        "occurred_at": clock.iso(clock.now()), "currency": "CNY", "total_fen": paid + 1_000,
                        "paid_fen": paid, "payment_method": rng.choice(("wechat_pay", "alipay", "cash")),
                    })  # fmt: skip
                    self.purchases.append((day, member_id, store, paid))
                    if rng.random() < 0.15:
                        signed(api, partner, "/v1/webhooks/refunds", {
                            "refund_id": f"R-{order_id}", "order_id": order_id, "occurred_at": clock.iso(clock.now()),
                            "amount_fen": paid // 2})  # fmt: skip
                    if rng.random() < 0.3:
                        with contextlib.suppress(points.InsufficientPoints):
                            points.redeem(member_id, 50, "换购", None)
                    if rng.random() < 0.2:
                        signed(api, partner, "/v1/webhooks/wallet/top-ups", {
                            "payment_id": f"T-{order_id}", "member": {"member_id": member_id}, "store_id": store,
                            "occurred_at": clock.iso(clock.now()), "amount_fen": 50_000})  # fmt: skip
                        signed(api, partner, "/v1/webhooks/wallet/payments", {
                            "payment_id": f"P-{order_id}", "member": {"member_id": member_id}, "store_id": store,
                            "occurred_at": clock.iso(clock.now()), "amount_fen": 12_000})  # fmt: skip
                        self.paid_in[store] += 50_000 - 12_000
            if day.day % 5 == 0 or day == LAST:  # the nightly expiry, caught up every few days
                with clock.frozen(at(day + timedelta(days=1), 0.1)):
                    run_job(points_jobs.expire_points, day)
        get_settings.cache_clear()
        deliver(aws, "statistics", times=2)  # a redelivery counts nothing twice
        self.entries = [e for member_id in self.joined for e in ledger().page(member_id, "points", 500)[0]]

    def booked(self, first, last, kinds, sign=1, positive=None):
        """The points entries of ``kinds`` counting from ``first`` through ``last`` (business days), summed."""
        total = 0
        for e in self.entries:
            if first <= counts_on(e) <= last and e.kind in kinds and (positive is None or (e.amount > 0) == positive):
                total += sign * e.amount
        return total

    def outstanding(self, through):
        return sum(e.amount for e in self.entries if counts_on(e) <= through)


def counts_on(entry):
    """The business day a points entry counts in: the day it was booked, and an expiry (booked the night after its
    points' last day) the day before, when its points stopped being owed."""
    booked = clock.business_date(datetime.fromisoformat(entry.occurred_at.replace("Z", "+00:00")), TZ)
    return booked - timedelta(days=1) if entry.kind == "expire" else booked


@pytest.fixture
def made(api, aws, monkeypatch):
    return Month(api, aws, monkeypatch)


def quarter(expires_on):
    """The quarter a lot expiring on ``expires_on`` (ISO, or None: never) counts in: ``2027-Q4``, or None."""
    return f"{expires_on[:4]}-Q{(int(expires_on[5:7]) - 1) // 3 + 1}" if expires_on else None


def report(api, name, **query):
    answer = api.get(f"/v1/reports/{name}?" + "&".join(f"{k}={v}" for k, v in query.items()))
    assert answer.status == 200, answer.body
    return answer.body


def test_every_report_equals_what_the_ledgers_and_purchases_say_and_money_is_for_finance(api, made):
    m = made
    weekly = report(api, "points", **{"from": FIRST, "to": LAST, "granularity": "week"})
    for row in weekly["items"]:
        first, last = date.fromisoformat(row["from"]), date.fromisoformat(row["to"])
        assert row["issued"] == m.booked(first, last, {"earn", "opening"}) + m.booked(
            first, last, {"adjust"}, positive=True
        )
        assert row["redeemed"] == m.booked(first, last, {"redeem", "reverse"}, sign=-1)
        assert row["expired"] == m.booked(first, last, {"expire"}, sign=-1)
        assert row["clawed_back"] == m.booked(first, last, {"refund"}, sign=-1)
        assert row["outstanding"] == m.outstanding(last)
        assert row["opening"] == m.outstanding(first - timedelta(days=1))  # 期初: the roll-forward adds up
        moved = row["issued"] - row["redeemed"] - row["expired"] - row["clawed_back"] - row["adjusted_out"]
        assert row["opening"] + moved == row["outstanding"]
    totals = weekly["totals"]
    assert min(totals["expired"], totals["clawed_back"], totals["redeemed"]) > 0  # the month has them all
    assert sum(totals["issued_by_source"].values()) == totals["issued"]
    assert totals["issued_by_source"]["gifts"] > 0  # tier upgrade gifts
    from_orders = sum(e.amount for e in m.entries if e.kind == "earn" and e.source.kind == "order")
    assert totals["issued_by_source"]["purchases"] == from_orders > 0

    monthly = report(api, "sales", **{"from": FIRST, "to": LAST, "granularity": "month"})
    (row,) = monthly["items"]
    bought = defaultdict(int)
    for _, member_id, _, _ in m.purchases:
        bought[member_id] += 1
    assert (row["purchases"], row["paid_fen"]) == (len(m.purchases), sum(p[3] for p in m.purchases))
    assert row["average_order_fen"] == sum(p[3] for p in m.purchases) // len(m.purchases)
    assert (row["buyers"], row["repeat_buyers"]) == (len(bought), sum(1 for n in bought.values() if n >= 2))
    assert row["repurchase_rate"] == f"{sum(1 for n in bought.values() if n >= 2) / len(bought):.4f}"
    for store in STORES:
        at_store = [p for p in m.purchases if p[2] == store]
        mine = report(api, "sales", **{"from": FIRST, "to": LAST, "granularity": "month", "store_id": store})
        assert (mine["items"][0]["purchases"], mine["items"][0]["paid_fen"]) == (
            len(at_store),
            sum(p[3] for p in at_store),
        )
        assert mine["items"][0]["buyers"] == len({p[1] for p in at_store})
    east = report(api, "sales", **{"from": FIRST, "to": LAST, "granularity": "month", "region": "华东"})["totals"]
    assert east["paid_fen"] == sum(p[3] for p in m.purchases if STORES[p[2]] == "华东")
    assert east["buyers"] is None  # a member may buy in several of its stores
    by_method = [report(api, "sales", **{"from": FIRST, "to": LAST, "granularity": "month", "payment_method": pm})
                 for pm in ("wechat_pay", "alipay", "cash")]  # fmt: skip
    assert sum(r["totals"]["purchases"] for r in by_method) == len(m.purchases)
    by_tier = [report(api, "sales", **{"from": FIRST, "to": LAST, "granularity": "month", "tier": tier})
               for tier in ("normal", "silver", "gold", "diamond")]  # fmt: skip
    assert sum(r["totals"]["paid_fen"] for r in by_tier) == sum(p[3] for p in m.purchases)
    chain = row  # ... and a refund counts by its order's payment method and tier, as the order did
    assert 0 < chain["refunds"] == sum(r["totals"]["refunds"] for r in by_method) == sum(
        r["totals"]["refunds"] for r in by_tier)  # fmt: skip
    assert chain["refunded_fen"] == sum(r["totals"]["refunded_fen"] for r in by_method) == sum(
        r["totals"]["refunded_fen"] for r in by_tier)  # fmt: skip

    city = report(api, "sales", **{"from": FIRST, "to": LAST, "granularity": "month", "city": "c"})["totals"]
    assert city["paid_fen"] == sum(p[3] for p in m.purchases)  # every store is in city "c"

    moved = report(api, "members", **{"from": FIRST, "to": LAST, "granularity": "month"})["totals"]
    assert moved["new_by_source"]["store"] == moved["new"] == len(m.joined)
    changes = [change for member_id in m.joined for change in tiers.history(member_id, 100)]
    assert moved["tier_ups"] == sum(1 for change in changes if change["reason"] == "upgrade") > 0
    assert moved["tier_downs"] == sum(1 for change in changes if change["reason"] in ("downgrade", "refund")) > 0
    last_seen = {}
    for day, member_id, _, _ in m.purchases:
        last_seen[member_id] = max(day, last_seen.get(member_id, day))
    assert reports.recently_active(LAST) == {  # as of the month's last day
        f"last_{n}_days": sum(1 for day in last_seen.values() if (LAST - day).days < n) for n in (7, 30, 90)
    }
    assert set(moved["recently_active"]) == {"last_7_days", "last_30_days", "last_90_days"}  # the chain's, today
    at_store = report(api, "members", **{"from": FIRST, "to": LAST, "store_id": "SH-001"})["totals"]
    assert at_store["recently_active"] is None

    assets = report(api, "programme", **{"from": FIRST, "to": LAST, "granularity": "week"})
    principal_at_end = sum(ledger().balance(member_id, "wallet-principal") for member_id in m.joined)
    assert assets["totals"]["wallet"]["held"]["principal_fen"] == principal_at_end > 0
    assert assets["items"][-1]["wallet"]["held"] == assets["totals"]["wallet"]["held"]
    topped_up = sum(row["wallet"]["top_ups_fen"] for row in assets["items"])
    assert topped_up == assets["totals"]["wallet"]["top_ups_fen"] > 0

    people = report(api, "members", **{"from": FIRST, "to": LAST, "granularity": "day"})
    for row in people["items"]:
        day = date.fromisoformat(row["period"])
        assert row["new"] == sum(1 for joined, _ in m.joined.values() if joined == day)
        assert row["total"] == sum(1 for joined, _ in m.joined.values() if joined <= day)
        assert row["active"] == len({p[1] for p in m.purchases if p[0] == day})

    owed = report(api, "liability", as_of=LAST)
    assert owed["points"]["outstanding"] == m.outstanding(LAST)
    assert owed["points"]["value_fen"] == m.outstanding(LAST)  # a point is worth a fen by default
    principal = sum(ledger().balance(member_id, "wallet-principal") for member_id in m.joined)
    assert owed["wallet"]["principal_fen"] == principal > 0
    # ... by age: what the members' lots hold by the month they expire, and what they owe, as their ledgers say
    expiring, owing = defaultdict(int), 0
    for member_id in m.joined:
        account = ledger().holdings(member_id).state(member_id, "points")
        owing += account.debt
        for lot in account.lots:
            expiring[quarter(lot.expires_on.isoformat() if lot.expires_on else None)] += lot.points
    today = owed_now = report(api, "liability")
    assert {row["expires"]: row["points"] for row in today["points"]["by_expiry"]} == {
        month: points for month, points in expiring.items() if points
    }
    assert (today["points"]["debt"], today["points"]["undated"]) == (owing, 0)
    halfway = date(2026, 10, 15)  # ... at an earlier day's end: what moved after it taken off
    was = report(api, "liability", as_of=halfway)["points"]
    booked = defaultdict(int)
    for e in m.entries:
        if counts_on(e) <= halfway:
            for expires_on, moved in points.lot_moves(e):
                booked[quarter(expires_on)] += moved
            booked["debt"] += e.amount - sum(moved for _, moved in points.lot_moves(e))
    assert {row["expires"]: row["points"] for row in was["by_expiry"]} == {
        month: amount for month, amount in booked.items() if amount and month != "debt"
    }
    assert was["debt"] == -booked["debt"]
    assert sum(row["points"] for row in was["by_expiry"]) - was["debt"] == was["outstanding"] == m.outstanding(halfway)
    long_ago = report(api, "liability", as_of=clock.business_today() - timedelta(days=93))  # too far back to break down
    assert (long_ago["points"]["by_expiry"], long_ago["points"]["debt"], long_ago["by_store"]) == (None, None, None)
    # ... by store: each store's stored value paid in less paid out there, and every row adding up to the chain's
    by_store = owed_now["by_store"]
    assert {row["store_id"]: row["principal_fen"] for row in by_store["stores"]} == {
        store: net for store, net in m.paid_in.items() if net
    }
    for name in ("points", "principal_fen", "bonus_fen"):
        total = owed_now["points"]["outstanding"] if name == "points" else owed_now["wallet"][name]
        assert sum(row[name] for row in by_store["stores"]) + by_store["elsewhere"][name] == total
    assert by_store["elsewhere"]["points"] < 0 < min(row["points"] for row in by_store["stores"])  # redeemed, expired

    # Money is for finance and admins; staff scoped to stores see their stores.
    marketing = api.as_(token_for(["marketing"]))
    sales = marketing.get(f"/v1/reports/sales?from={FIRST}&to={LAST}&granularity=month").body
    assert sales["items"][0]["purchases"] > 0
    assert (sales["items"][0]["whole"], sales["items"][0]["buyers"] > 0) == (True, True)
    cut = marketing.get(f"/v1/reports/sales?from={FIRST + timedelta(days=20)}&to={LAST}&granularity=month").body
    assert (cut["items"][0]["whole"], cut["items"][0]["buyers"], cut["totals"]["repurchase_rate"]) == (
        False,
        None,
        None,
    )
    assert (sales["items"][0]["paid_fen"], sales["totals"]["average_order_fen"]) == (None, None)
    counted = marketing.get(f"/v1/reports/programme?from={FIRST}&to={LAST}&granularity=month").body["totals"]
    assert counted["wallet"] == {"top_ups_fen": None, "payments_fen": None,
                                 "held": {"principal_fen": None, "bonus_fen": None}}  # fmt: skip
    assert marketing.get(f"/v1/reports/liability?as_of={LAST}").status == 403
    assert api.as_(token_for(["finance"])).get(f"/v1/reports/liability?as_of={LAST}").status == 200
    manager = api.as_(token_for(["store_manager"], stores=("HZ-001",)))
    mine = manager.get(f"/v1/reports/members?from={FIRST}&to={LAST}&granularity=month")
    assert mine.status == 200, mine.body
    assert mine.body["items"][0]["new"] == sum(1 for _, store in made.joined.values() if store == "HZ-001")
    for other in ("store_id=SH-001", "region=华东"):
        assert manager.get(f"/v1/reports/sales?from={FIRST}&to={LAST}&{other}").status == 422
    assert api.as_(token_for(["cashier"])).get(f"/v1/reports/points?from={FIRST}&to={LAST}").status == 403


@pytest.mark.parametrize("query", [
    f"from={LAST}&to={FIRST}", "from=2026-01-01&to=2026-06-30", "from=2026-01-01&to=2028-06-30&granularity=month",
    f"from={FIRST}&to={LAST}&granularity=year", f"from={FIRST}&to={LAST}&store_id=SH-001&region=华东",
    f"from={FIRST}&to=2999-01-01", f"from={FIRST}&to={LAST}&region=nowhere", f"from={FIRST}",
    f"from={FIRST}&to={LAST}&store_id=NOPE",  # an operator: a store not in the chain read as a store of zeros
])  # fmt: skip
def test_bad_report_queries_are_422(api, query):
    answer = api.get(f"/v1/reports/sales?{query}")
    assert answer.status == 422, answer.body
    assert answer.body["type"].endswith("/validation-failed")


def test_a_stores_members_at_a_past_days_end_follow_a_move_of_home_store(api, aws):
    """A member who joined at one store and moved to another counts at the first until the move and at the second
    from it, in every past day's total; a region holding both counts them throughout."""
    from chalicelib.shared.versions import ANY_VERSION

    for store_id, region in STORES.items():
        api.post("/v1/stores", {"store_id": store_id, "name": store_id, "city": "c", "region": region})
    today = clock.business_today()
    first = today - timedelta(days=3)
    with clock.frozen(at(first, 10)):
        moved, _ = members.register(MemberCreate(name="搬家", phone="13900000001", home_store_id="SH-001"))
        members.register(MemberCreate(name="留下", phone="13900000002", home_store_id="SH-001"))
    with clock.frozen(at(first + timedelta(days=2), 10)):
        members.update(moved, {"home_store_id": "BJ-001"}, ANY_VERSION)
    deliver(aws, "statistics", times=2)

    def totals(**scope):
        return [row["total"] for row in report(api, "members", **{"from": first, "to": today, **scope})["items"]]

    assert totals(store_id="SH-001") == [2, 2, 1, 1]
    assert totals(store_id="BJ-001") == [0, 0, 1, 1]
    assert totals(store_id="HZ-001") == [0, 0, 0, 0]
    assert totals() == [2, 2, 2, 2]
    assert totals(region="华东") == [2, 2, 1, 1]  # SH-001 and HZ-001


def test_a_test_clock_moved_back_leaves_the_standing_at_its_today_as_the_ledgers_had_it(api, aws):
    """A rehearsal moved the clock ahead and booked there; moved back, the liability at the day it says is today, and
    the days before it, leave out what was booked after it, as the wallet statement does."""
    created = api.post("/v1/partners", {"name": "POS", "all_stores": True}).body
    partner = created["partner_id"], created["secret"]
    api.post("/v1/stores", {"store_id": "SH-001", "name": "SH-001", "city": "c", "region": "华东"})
    moved_to = clock.business_today() - timedelta(days=5)
    with clock.frozen(at(moved_to, 9)):
        members.register(MemberCreate(name="储值", phone="13900000001", home_store_id="SH-001"))
    for n, (day, amount) in enumerate(((moved_to, 10_000), (moved_to + timedelta(days=3), 7_000))):
        with clock.frozen(at(day, 12)):
            signed(api, partner, "/v1/webhooks/wallet/top-ups", {
                "payment_id": f"T-{n}", "member": {"phone": "13900000001"}, "store_id": "SH-001",
                "occurred_at": clock.iso(clock.now()), "amount_fen": amount})  # fmt: skip
    deliver(aws, "statistics")
    with clock.frozen(at(moved_to, 15)):  # the clock moved back, after the rehearsal
        assert reports.held_totals(moved_to)["wallet_principal_fen"] == 10_000
        assert reports.held_totals(moved_to - timedelta(days=1))["wallet_principal_fen"] == 0
        assert reports.held_at("liability-by-store", moved_to, ["wallet_principal_fen"]) == {
            "SH-001": {"wallet_principal_fen": 10_000}}  # fmt: skip
