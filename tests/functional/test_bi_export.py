"""The BI export: a generated month of activity (``test_reports.Month``: purchases at three stores, refunds,
redemptions, expiry, tier gifts, wallets), its events delivered twice, written by the nightly job, then read back as a
BI tool reads the files and compared with the ledgers and the purchases."""

import csv
import gzip
import io
import json
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from chalicelib.exports import files, rules
from chalicelib.exports import jobs as export_jobs
from chalicelib.exports.service import landed_since, set_landed_since
from chalicelib.ledger.registry import ledger
from chalicelib.shared import clock
from chalicelib.shared.errors import ValidationFailed
from chalicelib.shared.jobs import run_job
from tests.conftest import published_envelopes, token_for
from tests.functional.test_reports import FIRST, LAST, TZ, Month, at

EXPORT = export_jobs.ExportBi()


@pytest.fixture
def made(api, aws, monkeypatch):
    return Month(api, aws, monkeypatch)


def read_table(entity):
    """Every row of an entity, as a BI tool reads the files: gzip, a BOM, a header, then rows."""
    rows = []
    for path in sorted((files.folder() / "bi" / entity).glob("dt=*/part-*.csv.gz")):
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
        assert text.startswith(rules.BOM)
        found = list(csv.DictReader(io.StringIO(text.removeprefix(rules.BOM))))
        assert found, f"{path} was written without rows"
        assert {row["business_day"] for row in found} == {path.parent.name.removeprefix("dt=")}
        rows += found
    return rows


def test_the_nightly_files_hold_every_event_once_and_agree_with_the_ledgers_and_purchases(made):
    m = made
    with clock.frozen(at(LAST + timedelta(days=2), 1)):  # the month's first night, then a catch-up of the rest
        run_job(EXPORT, FIRST)
        report = run_job(EXPORT, LAST + timedelta(days=1))  # the last night's expiry is booked on the day after
    assert report.status == "completed"

    bought = read_table("purchases")
    assert sorted((r["business_day"], r["member_id"], r["store_id"], int(r["paid_fen"])) for r in bought) == sorted(
        (day.isoformat(), member_id, store, paid) for day, member_id, store, paid in m.purchases
    )
    assert len({r["event_id"] for r in bought}) == len(bought)  # delivered twice, landed once
    growth = sum(e.amount for member_id in m.joined for e in ledger().page(member_id, "growth", 500)[0] if e.amount > 0)
    assert sum(int(r["growth"]) for r in bought) == growth > 0
    lines = read_table("purchase_lines")
    assert sum(int(r["paid_fen"]) for r in lines) == sum(p[3] for p in m.purchases)

    points = read_table("points_entries")
    assert len(points) == len(m.entries)  # every entry of every member's points ledger, once
    by_member = defaultdict(int)
    for row in points:
        by_member[row["member_id"]] += int(row["points"])
    assert dict(by_member) == {member_id: ledger().balance(member_id, "points") for member_id in by_member}
    books = {
        (member_id, entry.seq): entry
        for member_id in by_member
        for entry in ledger().page(member_id, "points", 1000)[0]
    }
    assert all(row["reason_en"] == (books[(row["member_id"], int(row["seq"]))].reason_en or "") for row in points)
    assert {(r["event_type"], r["reason"]) for r in points if not r["reason_en"]} == {("points.redeemed", "换购")}
    # the test's redemptions say 换购 as the till typed it; every other reason is the platform's, in English too
    kinds = Counter(r["event_type"] for r in points)
    assert {"points.earned", "points.redeemed", "points.expired", "points.clawed-back"} <= set(kinds)

    wallet = read_table("wallet_entries")
    principal, last = defaultdict(int), {}
    for row in sorted(wallet, key=lambda row: row["occurred_at"]):
        principal[row["member_id"]] += int(row["principal_fen"])  # signed as the books have them
        last[row["member_id"]] = int(row["balance_after_fen"])
    assert wallet  # and each says why, as the entries say it (a walkthrough found none in the files)
    assert all(row["reason"] and row["reason_en"] for row in wallet)
    assert dict(principal) == {member_id: ledger().balance(member_id, "wallet-principal") for member_id in principal}
    assert last == {member_id: ledger().balance(member_id, "wallet-principal") + ledger().balance(member_id,
                    "wallet-bonus") for member_id in last}  # fmt: skip

    refunds = read_table("refunds")
    assert refunds
    assert {r["order_id"] for r in refunds} <= {r["order_id"] for r in bought}
    clawed_back = sum(int(r["points"]) for r in points if r["source_kind"] == "refund")
    assert sum(int(r["points"]) for r in refunds) == clawed_back
    people = read_table("members")
    assert {r["member_id"] for r in people} == set(m.joined)  # on each day they changed (joined, moved up)
    assert len({(r["business_day"], r["member_id"]) for r in people}) == len(people)
    assert all(r["status"] == "active" and r["tier"] for r in people)

    chain = [r for r in read_table("daily_figures") if r["scope"] == "chain"]
    assert sum(int(r["purchases"]) for r in chain) == len(m.purchases)
    assert sum(int(r["new_members"]) for r in chain) == len(m.joined)

    # Writing a day again (an operator's re-run) gives the same bytes.
    with clock.frozen(at(LAST + timedelta(days=2), 1)):
        written = {path: path.read_bytes() for path in (files.folder() / "bi").rglob(f"dt={LAST}/*.csv.gz")}
        again = run_job(EXPORT, LAST)
    assert again.planned == rules.LANDING_SHARDS
    assert written
    assert {path: path.read_bytes() for path in written} == written

    # No personal data in any file: the members' names and phones are nowhere.
    everything = b"".join(gzip.decompress(p.read_bytes()) for p in (files.folder() / "bi").rglob("*.csv.gz"))
    assert not re.search(r"会员\d".encode(), everything)  # the members' names: 会员<n>
    assert b"1390000" not in everything  # their phones


def download(url):
    """What a browser gets from an export link of the local stack (the local gateway's check, as S3's)."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    found = files.local_file(unquote(parsed.path.removeprefix(files.LOCAL_PREFIX)), query["expires"][0],
                             query["signature"][0])  # fmt: skip
    return None if found is None else found.read_text(encoding="utf-8")


def test_a_report_exports_as_a_csv_file_behind_a_link_with_what_the_caller_may_see(api, aws):
    today = clock.business_today()
    body = {"report": "sales", "from": (today - timedelta(days=13)).isoformat(), "to": today.isoformat(),
            "granularity": "week"}  # fmt: skip
    answer = api.as_(token_for(["marketing"])).post("/v1/reports/exports", body)
    assert answer.status == 201, answer.body
    shown = api.get(f"/v1/reports/sales?from={body['from']}&to={body['to']}&granularity=week").body
    text = download(answer.body["url"])
    assert text.startswith(rules.BOM)
    rows = list(csv.DictReader(io.StringIO(text.removeprefix(rules.BOM))))
    assert [r["period"] for r in rows] == [item["period"] for item in shown["items"]] + ["total"]
    assert answer.body["rows"] == len(rows)
    assert answer.body["file_name"] == f"sales_{body['from']}_{body['to']}_week.csv"
    assert {r["paid_fen"] for r in rows} == {""}  # marketing sees counts, not money
    assert [r["purchases"] for r in rows] == [str(i["purchases"]) for i in shown["items"]] + ["0"]

    finance = api.as_(token_for(["finance"]))
    owed = finance.post("/v1/reports/exports", {"report": "liability", "as_of": today.isoformat()})
    assert owed.status == 201, owed.body
    (row,) = csv.DictReader(io.StringIO(download(owed.body["url"]).removeprefix(rules.BOM)))
    assert {"points.value_fen", "wallet.principal_fen", "total_fen"} <= set(row)
    assert api.as_(token_for(["marketing"])).post("/v1/reports/exports", {"report": "liability"}).status == 403

    tampered = owed.body["url"].replace("signature=", "signature=0")
    assert download(tampered) is None
    assert files.local_file("../secrets.json", "9999999999", "x") is None
    exported = [e for e in published_envelopes() if e["type"] == "report.exported"]
    assert {e["payload"]["report"] for e in exported} == {"sales", "liability"}  # the audit log records who


@pytest.mark.parametrize("body", [
    {"report": "liability", "from": "2026-11-01"},
    {"report": "points", "as_of": "2026-11-01"},
    {"report": "points", "from": "2026-11-01"},
    {"report": "points", "from": "2026-11-01", "to": "2026-11-02", "tier": "gold"},
    {"report": "sales", "from": "2026-11-02", "to": "2026-11-01"},
    {"report": "sales", "from": "2026-01-01", "to": "2026-11-01", "granularity": "day"},
    {"report": "visits", "from": "2026-11-01", "to": "2026-11-02"},
])  # fmt: skip
def test_an_export_of_something_a_report_does_not_take_is_refused_and_writes_nothing(api, aws, body):
    answer = api.post("/v1/reports/exports", body)
    assert answer.status == 422, answer.body
    assert not (files.folder() / "reports").exists()


def test_the_nightly_check_finds_a_figure_counted_twice_and_a_rebuild_from_the_events_corrects_it(api, aws, partner):
    """A day's figures against its events: clean as kept; a double count (as a consumer bug would make) is drift,
    alarmed and announced; `stats rebuild` writes the day anew and the reports agree again."""
    from chalicelib.shared.db import Transaction
    from chalicelib.stats import checks
    from chalicelib.stats import service as stats
    from chalicelib.stats.jobs import CheckFigures
    from chalicelib.stats.records import FigureRecord
    from tests.conftest import deliver
    from tests.functional.test_reports import signed

    yesterday = clock.business_today() - timedelta(days=1)
    with clock.frozen(at(yesterday, 12)):
        for n, (phone, paid) in enumerate([("13900000001", 8_800), ("13900000001", 25_000), ("13900000002", 9_900)]):
            signed(api, partner, "/v1/webhooks/purchases", {
                "order_id": f"O-{n}", "member": {"phone": phone}, "store_id": "SH-001", "currency": "CNY",
                "occurred_at": clock.iso(clock.now()), "total_fen": paid, "paid_fen": paid, "payment_method": "cash",
            })  # fmt: skip
    deliver(aws, "statistics")
    with clock.frozen(at(yesterday + timedelta(days=1), 3.5)):
        assert landed_since() > yesterday  # the landing table was made this session: earlier events were never landed
        assert run_job(CheckFigures(), yesterday).planned == 0  # so nothing before it is checked
        with pytest.raises(ValidationFailed):
            checks.rebuild_day(yesterday)  # nor rebuilt from the part of a day that was landed
        set_landed_since(yesterday)  # as if the landing had been there since
        clean = run_job(CheckFigures(), yesterday)
        assert clean.tallies["drifted-figures"] == 0
        assert clean.tallies["days"] == clean.planned == 1  # a first run: the day that ended
        tx = Transaction()  # the chain counts a purchase twice
        tx.count(FigureRecord("chain@1", f"day#{yesterday}"), "purchases", 1)
        tx.commit()
        assert checks.check_day(yesterday) == [checks.Drift("chain", "purchases", 4, 3)]
        assert [e["payload"]["day"] for e in published_envelopes() if e["type"] == "stats.drift"]
        corrected = checks.rebuild_day(yesterday)
        assert checks.check_day(yesterday) == []
        held = stats.liability(None)["by_store"]["stores"]
        tx = Transaction()  # the liability by store counts 7 of a store's points twice, as a consumer bug would
        for key in (f"day#{yesterday}#SH-001", "now#SH-001"):
            tx.count(FigureRecord("liability-by-store@2", key), "points_outstanding", 7)
        tx.commit()
        (drift,) = checks.check_day(yesterday)
        assert (drift.scope, drift.figure, drift.kept - drift.counted) == ("liability-by-store#SH-001",
                                                                           "points_outstanding", 7)  # fmt: skip
        assert drift.counted > 0  # what the day's purchases at the store earned
        assert checks.rebuild_day(yesterday) == [drift]  # the day's moves and the standing, mended
        assert checks.check_day(yesterday) == []
        assert stats.liability(None)["by_store"]["stores"] == held
    assert corrected == [checks.Drift("chain", "purchases", 4, 3)]
    sales = api.get(f"/v1/reports/sales?from={yesterday}&to={yesterday}").body["items"][0]
    assert (sales["purchases"], sales["paid_fen"], sales["buyers"], sales["repeat_buyers"]) == (3, 43_700, 2, 1)
    with pytest.raises(ValidationFailed):
        checks.rebuild_day(clock.business_today())  # a day under way is still being counted


def test_the_liability_is_checked_against_the_sums_of_the_ledgers(api, aws, partner, monkeypatch):
    """The liability's points outstanding, principal and bonus at the end of the day reconciliation checked equal the
    sums of those books over every member (reconciliation's totals, kept from its checkpoints): an entry of the day
    under way counts on neither side; a figure kept wrong (a lost event, a consumer bug) is drift; a platform
    reconciled before the totals were kept is compared once it has counted them."""
    from chalicelib.ledger.dynamo import WHOLE, DynamoStore
    from chalicelib.ledger.jobs import checked_totals, reconcile_ledger
    from chalicelib.ledger.records import LedgerTotalRecord
    from chalicelib.shared.db import Transaction
    from chalicelib.stats import checks
    from chalicelib.stats.jobs import CheckFigures
    from chalicelib.stats.records import FigureRecord
    from tests.conftest import deliver, member_token
    from tests.functional.test_reports import signed

    plan = {
        "plan_id": "CZ-100-20",
        "name": "充100送20",
        "pay_fen": 10_000,
        "bonus_fen": 2_000,
        "starts_on": "2026-01-01",
    }
    assert api.post("/v1/wallet/plans", plan).status == 201
    yesterday, phones = clock.business_today() - timedelta(days=1), ("13900000001", "13900000002")
    with clock.frozen(at(yesterday, 9)):
        members = [member_token(phone)[0] for phone in phones]

    def sale(n, phone, paid, day, hour):
        with clock.frozen(at(day, hour)):
            signed(api, partner, "/v1/webhooks/purchases", {
                "order_id": f"O-{n}", "member": {"phone": phone}, "store_id": "SH-001", "currency": "CNY",
                "occurred_at": clock.iso(clock.now()), "total_fen": paid, "paid_fen": paid, "payment_method": "cash",
            })  # fmt: skip

    sale(1, phones[0], 25_000, yesterday, 12)
    sale(2, phones[1], 9_900, yesterday, 13)
    with clock.frozen(at(yesterday, 14)):
        for kind, body in (("top-ups", {"payment_id": "T-1", "amount_fen": 10_000, "plan_id": "CZ-100-20"}),
                           ("payments", {"payment_id": "P-1", "amount_fen": 3_000})):  # fmt: skip
            from chalicelib.members.service import member_code

            shown = {"member_code": member_code(members[0]).code} if kind == "payments" else {}  # the member there
            signed(api, partner, f"/v1/webhooks/wallet/{kind}", {
                **body, **shown, "member": {"phone": phones[0]}, "store_id": "SH-001",
                "occurred_at": clock.iso(clock.now()),
            })  # fmt: skip
    sale(3, phones[0], 50_000, yesterday + timedelta(days=1), 1)  # tonight, before the run: after the day's end
    deliver(aws, "statistics")

    def booked(book, through):
        """A book's entries over the members, summed through the end of ``through``."""
        return sum(e.amount for member_id in members for e in ledger().page(member_id, book, 500)[0]
                   if clock.business_date(datetime.fromisoformat(e.occurred_at), TZ) <= through)  # fmt: skip

    refused, checkpoint = [], DynamoStore.checkpoint

    def busy_at_first(store, checkpoints):  # the batch's commit and the next meet posts: nothing moves
        if len(refused) < 2:
            refused.append(len(checkpoints))
            return False
        return checkpoint(store, checkpoints)

    monkeypatch.setattr(DynamoStore, "checkpoint", busy_at_first)
    with clock.frozen(at(yesterday + timedelta(days=1), 3)):
        assert checked_totals(yesterday) is None  # never reconciled
        assert run_job(reconcile_ledger, yesterday).status == "completed"
        assert refused[0] > 1, "the batch's checkpoints commit together"
        assert refused[1] == 1, "then each account's on its own, checked again afresh when it does not commit"
        totals = checked_totals(yesterday)
        assert checked_totals(yesterday - timedelta(days=1)) is None  # they stand at one day's end only
        expected = {book: booked(book, yesterday) for book in ("points", "wallet-principal", "wallet-bonus")}
        assert {book: totals.get(book, 0) for book in expected} == expected
        assert expected["points"] < booked("points", yesterday + timedelta(days=1))  # tonight's sale is not in them
        assert min(expected.values()) > 0
        set_landed_since(yesterday)
        assert run_job(CheckFigures(), yesterday).tallies["drifted-figures"] == 0
        assert checks.ledger_drift(yesterday) == []
        tx = Transaction()  # the chain's points outstanding kept 7 too many, as a lost refund's event would leave it
        tx.count(FigureRecord("chain@3", "now"), "points_outstanding", 7)
        tx.commit()
        assert checks.check_day(yesterday) == [
            checks.Drift("liability-vs-ledger", "points_outstanding", expected["points"] + 7, expected["points"])
        ]
        assert checks.ledger_drift(yesterday - timedelta(days=1)) == []  # the totals stand at one day's end only
        LedgerTotalRecord(WHOLE, 0).delete()  # as on a platform reconciled before the totals were kept
        assert checked_totals(yesterday) is None
        assert checks.ledger_drift(yesterday) == []
        assert ledger().store.recount_totals() == totals  # `cli ledger count-totals`
        assert checked_totals(yesterday) == totals
        assert checked_totals(yesterday + timedelta(days=1)) is None  # the day under way never stands

        def crash(self, keys, as_of):
            raise RuntimeError("a worker died")

        monkeypatch.setattr(type(reconcile_ledger), "process", crash)
        with pytest.raises(RuntimeError):  # the run is recorded as failed
            run_job(reconcile_ledger, yesterday + timedelta(days=1))
        assert checked_totals(yesterday) is None  # a later run may have moved some checkpoints past the day


def test_points_that_expire_at_a_days_end_leave_its_liability_and_count_as_expired_that_day(api, aws):
    """Points are spendable through their last day, and the nightly job books their expiry minutes into the next. The
    liability at that day's end leaves them out (a year's closing leaves out the year's expiring points), the day's
    figures count them as expired, and the nightly checks agree with the events and with the ledgers' totals."""
    from datetime import date

    from chalicelib.ledger.jobs import checked_totals, reconcile_ledger
    from chalicelib.points import jobs as points_jobs
    from chalicelib.points import service as points
    from chalicelib.shared.jobs import set_epoch
    from chalicelib.stats import checks
    from chalicelib.stats.jobs import CheckFigures
    from tests.conftest import deliver, member_token

    yesterday = clock.business_today() - timedelta(days=1)
    set_epoch(yesterday - timedelta(days=3))
    with clock.frozen(at(yesterday, 10)):
        member_id = member_token("13900000001")[0]
        points.adjust(member_id, 500, "赠送", None, expires_on=yesterday)
        points.adjust(member_id, 300, "赠送", None, expires_on=date(yesterday.year + 1, 12, 31))
    with clock.frozen(at(yesterday + timedelta(days=1), 0.1)):
        assert run_job(points_jobs.expire_points, yesterday).status == "completed"
    assert ledger().balance(member_id, "points") == 300
    points.adjust(member_id, 200, "赠送", None)  # today: the rate points expired at falls; yesterday's stays
    deliver(aws, "statistics")
    owed = api.get(f"/v1/reports/liability?as_of={yesterday}").body["points"]
    assert (owed["outstanding"], owed["expiry_rate"]) == (300, "0.6250")  # 500 of 800 issued by then
    assert api.get("/v1/reports/liability").body["points"]["expiry_rate"] == "0.5000"
    quarter = f"{yesterday.year}-Q{(yesterday.month - 1) // 3 + 1}"
    assert quarter not in {row["expires"] for row in owed["by_expiry"]}
    assert api.get(f"/v1/reports/liability?as_of={yesterday - timedelta(days=1)}").body["points"]["outstanding"] == 0
    daily = api.get(f"/v1/reports/points?from={yesterday}&to={yesterday + timedelta(days=1)}").body["items"]
    assert [(row["expired"], row["outstanding"]) for row in daily] == [(500, 300), (0, 500)]
    with clock.frozen(at(yesterday + timedelta(days=1), 0.2)):
        assert run_job(reconcile_ledger, yesterday).status == "completed"
        assert checked_totals(yesterday)["points"] == 800  # the ledger booked the expiry after the day's end
        set_landed_since(yesterday)
        assert run_job(CheckFigures(), yesterday).tallies["drifted-figures"] == 0
        assert checks.check_day(yesterday) == []
        assert checks.rebuild_day(yesterday) == []  # counted again from the events landed that day and the next


def test_the_totals_are_counted_from_the_cli_but_not_while_reconciliation_runs(aws, monkeypatch):
    """`cli ledger count-totals` counts the books' checked totals from the checkpoints (a platform reconciled before
    the totals were kept); while a reconcile-ledger run is under way its checkpoints would move under the count, so
    it refuses and counts nothing."""
    from click.testing import CliRunner

    from chalicelib import cli
    from chalicelib.ledger.jobs import reconcile_ledger
    from chalicelib.shared.jobs import JobRecord

    monkeypatch.setattr("chalicelib.local.localdir.connect", lambda: {})
    JobRecord(reconcile_ledger.name, "run#run_0001", as_of="2026-11-01", status="running").save()
    refused = CliRunner().invoke(cli.cli, ["ledger", "count-totals"])
    assert refused.exit_code == 1
    assert "reconcile-ledger is running (run run_0001)" in refused.output
    assert ledger().store.totals() is None  # nothing counted
    JobRecord(reconcile_ledger.name, "run#run_0002", as_of="2026-11-01", status="completed").save()
    counted = CliRunner().invoke(cli.cli, ["ledger", "count-totals"])
    assert counted.exit_code == 0, counted.output
    assert json.loads(counted.stdout) == {"totals": {}}
    assert ledger().store.totals() == {}  # whole now (the sums themselves: the ledger contract's tests)


def test_the_totals_count_from_zero_only_from_the_first_reconciliation_ever(aws):
    """Runs of code older than the totals (even unfinished ones) may have moved checkpoints without adding to them: a
    platform with such runs counts its totals once instead (`cli ledger count-totals`)."""
    from chalicelib.ledger.jobs import reconcile_ledger
    from chalicelib.shared.jobs import JobRecord

    yesterday = clock.business_today() - timedelta(days=1)
    JobRecord(reconcile_ledger.name, "run#run_0001", as_of=yesterday.isoformat(), status="failed").save()
    assert run_job(reconcile_ledger, yesterday).status == "completed"
    assert ledger().store.totals() is None
    for record in JobRecord.query(reconcile_ledger.name):  # as on a platform never reconciled
        record.delete()
    assert run_job(reconcile_ledger, yesterday).status == "completed"
    assert ledger().store.totals() == {}


def test_a_rebuild_mends_the_chains_standing_by_what_the_days_moves_were_off(api, aws, partner):
    """A consumer that counted a purchase's points twice left the day's figures and the chain's standing (what the
    liability reads) both off: the rebuild writes the day anew and takes the same off the standing, so the liability
    and the earlier days agree with the ledgers again."""
    from chalicelib.shared.db import Transaction
    from chalicelib.stats import checks
    from chalicelib.stats import service as stats
    from chalicelib.stats.records import FigureRecord
    from tests.conftest import deliver
    from tests.functional.test_reports import signed

    yesterday = clock.business_today() - timedelta(days=1)
    with clock.frozen(at(yesterday, 12)):
        signed(api, partner, "/v1/webhooks/purchases", {
            "order_id": "O-1", "member": {"phone": "13900000001"}, "store_id": "SH-001", "currency": "CNY",
            "occurred_at": clock.iso(clock.now()), "total_fen": 8_800, "paid_fen": 8_800, "payment_method": "cash",
        })  # fmt: skip
    deliver(aws, "statistics")
    earned = stats.summary(None)["points_outstanding"]
    assert earned > 0
    tx = Transaction()  # the earn counted twice, in the day's moves and the standing, as one consumer commit does
    tx.count(FigureRecord("chain@1", f"day#{yesterday}"), "points_net", earned)
    tx.count(FigureRecord("chain@1", f"day#{yesterday}"), "points_issued", earned)
    tx.count(FigureRecord("chain@1", "now"), "points_outstanding", earned)
    tx.count(FigureRecord("chain@1", "now"), "points_issued_total", earned)
    tx.commit()
    with clock.frozen(at(yesterday + timedelta(days=1), 3.5)):
        set_landed_since(yesterday)
        drifted = {(drift.scope, drift.figure) for drift in checks.check_day(yesterday)}
        assert {("chain", "points_net"), ("chain", "points_issued")} <= drifted
        checks.rebuild_day(yesterday)
        assert checks.check_day(yesterday) == []
    assert stats.summary(None)["points_outstanding"] == earned
    owed = api.get(f"/v1/reports/liability?as_of={yesterday}").body["points"]
    assert (owed["outstanding"], owed["undated"]) == (earned, 0)
    before = api.get(f"/v1/reports/points?from={yesterday - timedelta(days=1)}&to={yesterday}").body["items"]
    assert [row["outstanding"] for row in before] == [0, earned]


def test_a_day_under_way_is_neither_exported_nor_checked(api, aws):
    """Found by a walkthrough: `jobs run export-bi --as-of <today>` wrote partial files for the day under way and
    reported them completed. Jobs that write or check whole days refuse it, by the API as by the CLI, writing
    nothing."""
    from chalicelib.shared.jobs import DayUnderWay, get_job

    today = clock.business_today()
    for name in ("export-bi", "check-figures"):
        with pytest.raises(DayUnderWay, match="under way"):
            run_job(get_job(name), today)
    admin = api.as_(token_for(["admin"]))
    refused = admin.post("/v1/jobs/export-bi/runs", {"as_of": today.isoformat()})
    assert (refused.status, refused.body["type"].split("/")[-1]) == (422, "job-day-under-way")
    assert admin.get("/v1/jobs").body["items"]  # listed as before; the day that ended still runs:
    assert run_job(get_job("export-bi"), today - timedelta(days=1)).status == "completed"
