"""Importing members from CSV: every rule of registration, once per phone, with a report of what failed."""

import csv
import json
from datetime import datetime

import pytest
from click.testing import CliRunner

from chalicelib import cli
from chalicelib.members.importer import fingerprint, import_members
from chalicelib.members.records import MemberRecord
from chalicelib.members.schemas import MemberCreate
from chalicelib.notifications import profiles
from chalicelib.shared import clock
from chalicelib.shared.crypto import lookup_hash
from chalicelib.shared.csvfiles import ImportUsageError
from chalicelib.shared.settings import get_settings
from chalicelib.tiers.service import OpeningStanding
from tests.conftest import deliver

HEADER = "name,phone,email,birthday,city,store_id,registered_at,member_no\n"
ROWS = [
    "张三,13800000001,zhang@example.com,1990-05-01,上海,SH-001,2019-03-01 10:00:00,",
    "李四,+86 138 0000 0002,,1985-12-31,北京,,2020-01-01T09:00:00+08:00,OLD-0002",
    "王五,12345,,,,,,",
    "赵六,13800000004,,,,NO-STORE,,",
    "钱七,138-0000-0001,,,,,,",
    "孙八,13800000008,,1990-13-01,,NO-STORE,,",  # two problems: both said, so the file is mended in one round
]


@pytest.fixture
def store(api):
    api.post("/v1/stores", {"store_id": "SH-001", "name": "静安", "city": "上海", "region": "华东"})


def write(tmp_path, lines, encoding="utf-8-sig", name="members.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding=encoding)
    return path


def test_good_rows_import_and_bad_rows_are_reported(tmp_path, store, api):
    report = import_members(write(tmp_path, ROWS), workers=1)
    assert (report.rows, report.imported, report.skipped, report.failed) == (6, 2, 0, 4)
    assert [error for error in report.errors if error[0] != 7] == [
        (4, "phone", "not a valid phone number"),
        (5, "store_id", "no store 'NO-STORE'"),
        (6, "phone", "the same phone as row 2"),
    ]
    assert [column for row, column, _ in report.errors if row == 7] == ["birthday", "store_id"]
    zhang = api.post("/v1/members/lookup", {"phone": "13800000001"}).body
    assert (zhang["source"], zhang["home_store_id"], zhang["birthday"]) == ("import", "SH-001", "1990-05-01")
    assert zhang["registered_at"] == "2019-03-01T02:00:00.000Z"  # read in Asia/Shanghai
    assert api.post("/v1/members/lookup", {"member_no": "OLD-0002"}).body["name"] == "李四"


def test_two_rows_giving_one_member_number_refuse_the_second_alone(tmp_path, store, api):
    """A probe: two rows of a file with one member number put its item twice in one transaction, which DynamoDB
    refuses whole, so every row of the batch was reported as an unexpected error and none was imported."""
    rows = ["张三,13800000001,,,,,,OLD-1", "李四,13800000002,,,,,,", "王五,13800000003,,,,,,OLD-1"]
    report = import_members(write(tmp_path, rows), workers=1)
    assert (report.imported, report.failed, report.errors) == (2, 1, [(4, "member_no", "already another member's")])
    assert api.post("/v1/members/lookup", {"member_no": "OLD-1"}).body["name"] == "张三"
    assert api.post("/v1/members/lookup", {"phone": "13800000002"}).status == 200


def test_running_the_same_file_again_adds_nothing(tmp_path, store):
    path = write(tmp_path, ROWS)
    import_members(path, workers=1)
    again = import_members(path, workers=1)
    assert (again.imported, again.skipped, again.failed) == (0, 2, 4)
    assert MemberRecord.count() == 2


def test_a_row_imported_before_a_field_was_added_matches_itself_again():
    """The fingerprint of a row is what it registered then: a field added since (`language`) counts only when given,
    else a file imported before would read as other rows for its phones (errors, not skips)."""
    row = MemberCreate.model_validate({"name": "张三", "phone": "13800138000", "tags": ["vip"],
                                       "consents": {"sms": True}, "source": "import"})  # fmt: skip
    before = (
        '{"name":"张三","phone":"+8613800138000","email":null,"gender":"undisclosed","birthday":null,"city":null,'
        '"region":null,"addresses":[],"referrer_id":null,"home_store_id":null,"registered_at":null,"tags":["vip"],'
        '"consents":{"sms":true},"consent_proof":null,"consent_proofs":{},"member_no":null}'
    )  # as 0c98b5c dumped it, before `language`
    assert fingerprint(row, OpeningStanding()) == lookup_hash("import-row", before)
    english = row.model_copy(update={"language": "en"})
    assert fingerprint(english, OpeningStanding()) != fingerprint(row, OpeningStanding())


def test_a_row_s_language_is_the_one_its_messages_come_in(tmp_path, store, api, aws):
    path = tmp_path / "members.csv"
    path.write_text("name,phone,language\n张三,13800000001,en\n李四,13800000002,\n王五,13800000003,fr\n", "utf-8")
    report = import_members(path, workers=1)
    assert (report.imported, report.errors[0][:2]) == (2, (4, "language"))
    deliver(aws, "points")
    languages = {profiles.profile(r.member_id).language for r in MemberRecord.scan()}
    assert sorted(languages) == ["en", "zh-CN"]


def test_a_phone_of_a_member_registered_otherwise_is_an_error_not_a_skip(tmp_path, store, api):
    api.post("/v1/members", {"name": "Walk-in", "phone": "13800000001"})
    report = import_members(write(tmp_path, ROWS[:1]), workers=1)
    assert report.errors == [(2, "phone", "already another member's")]


def test_gbk_files_from_spreadsheets_import_with_the_encoding_option(tmp_path, store):
    path = write(tmp_path, ROWS[:2], encoding="gbk")
    assert import_members(path, encoding="gbk", workers=1).imported == 2
    with pytest.raises(ImportUsageError, match="gbk"):
        import_members(write(tmp_path, ROWS[:2], encoding="gbk", name="again.csv"), workers=1)


def test_a_rerun_never_brings_back_an_erased_member(tmp_path, store, api):
    path = write(tmp_path, ROWS[:1])
    import_members(path, workers=1)
    member = api.post("/v1/members/lookup", {"phone": "13800000001"}).body
    api.call("DELETE", f"/v1/members/{member['member_id']}")
    again = import_members(path, workers=1)
    assert (again.imported, again.skipped) == (0, 1)
    assert api.post("/v1/members/lookup", {"phone": "13800000001"}).status == 404
    assert MemberRecord.count() == 1


def test_a_rerun_after_a_phone_change_adds_no_second_member(tmp_path, store, api):
    path = write(tmp_path, ROWS[:1])
    import_members(path, workers=1)
    member = api.post("/v1/members/lookup", {"phone": "13800000001"}).body
    api.patch(f"/v1/members/{member['member_id']}", {"phone": "13900000000"},
              headers={"content-type": "application/merge-patch+json", "if-match": '"1"'})  # fmt: skip
    assert import_members(path, workers=1).skipped == 1
    assert MemberRecord.count() == 1


def test_another_row_for_an_imported_phone_is_an_error_not_a_skip(tmp_path, store):
    import_members(write(tmp_path, ROWS[:1]), workers=1)
    other = write(tmp_path, ["李四,13800000001,,,,,,"], name="other.csv")
    report = import_members(other, workers=1)
    assert report.errors == [(2, "phone", "imported before from a row with other details")]


def test_rows_naming_their_source_rerun_cleanly(tmp_path, store):
    path = tmp_path / "sourced.csv"
    path.write_text("name,phone,source\nA,13800000011,store\nB,13800000012,ads\n", encoding="utf-8")
    assert import_members(path, workers=1).imported == 2
    again = import_members(path, workers=1)
    assert (again.skipped, again.failed) == (2, 0)


def test_extra_values_and_blank_lines_are_reported_at_their_line(tmp_path, store):
    path = tmp_path / "ragged.csv"
    path.write_text("name,phone\n\nA,13800000021,extra\n\nB,12345\n", encoding="utf-8")
    report = import_members(path, workers=1)
    assert report.errors == [(3, "", "3 values for 2 columns"), (5, "phone", "not a valid phone number")]


def test_a_bad_byte_anywhere_stops_the_import_before_anything_is_written(tmp_path, store):
    path = tmp_path / "broken.csv"
    good = "".join(f"A,138000001{n:02d}\n" for n in range(50)).encode()
    path.write_bytes(b"name,phone\n" + good + b"B,1380000\xff99\n")
    with pytest.raises(ImportUsageError, match="not utf-8"):
        import_members(path, workers=1)
    assert MemberRecord.count() == 0


def test_a_repeated_column_is_a_usage_error(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("name,phone,phone\nA,13800000001,13800000002\n", encoding="utf-8")
    with pytest.raises(ImportUsageError, match="repeated"):
        import_members(path, workers=1)


def test_a_bad_header_is_a_usage_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name,mobile\nA,13800000001\n", encoding="utf-8")
    with pytest.raises(ImportUsageError, match="mobile"):
        import_members(path, workers=1)


@pytest.mark.parametrize("content", ["", "\nname,phone\nA,13800000001\n"])
def test_an_empty_file_or_first_line_is_said_so(tmp_path, content):
    """Found by an operator: an empty file was refused as a header missing name and phone."""
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportUsageError, match="the file is empty, or its first line is"):
        import_members(path, workers=1)


class TestCommand:
    @pytest.fixture(autouse=True)
    def in_process(self, monkeypatch, store):
        monkeypatch.setattr("chalicelib.local.localdir.connect", lambda: {})

    def run(self, *args):
        return CliRunner().invoke(cli.cli, ["members", "import", "--direct", "--workers", "1", *map(str, args)])

    def test_exit_0_when_every_row_is_in(self, tmp_path):
        result = self.run(write(tmp_path, ROWS[:1]))
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["imported"] == 1

    def test_exit_1_with_an_error_report_next_to_the_file(self, tmp_path):
        result = self.run(write(tmp_path, ROWS))
        assert result.exit_code == 1
        summary = json.loads(result.stdout)
        with open(summary["error_report"], encoding="utf-8-sig") as report:
            rows = list(csv.reader(report))
        assert rows[0] == ["row", "field", "reason", "原因"]
        assert rows[1][3] == "不是有效的手机号"  # the reason in Chinese, for the operator who mends the file
        assert [row[:2] for row in rows[1:]] == [
            ["4", "phone"],
            ["5", "store_id"],
            ["6", "phone"],
            ["7", "birthday"],
            ["7", "store_id"],
        ]
        assert summary["error_report"].endswith("members.errors.csv")

    def test_a_clean_run_removes_an_old_error_report(self, tmp_path):
        path = write(tmp_path, ROWS[:1])
        (tmp_path / "members.errors.csv").write_text("row,field,reason\n9,phone,old\n", encoding="utf-8")
        assert self.run(path).exit_code == 0
        assert not (tmp_path / "members.errors.csv").exists()

    def test_exit_2_on_a_usage_error(self, tmp_path):
        bad = tmp_path / "bad.csv"
        bad.write_text("nom,phone\n", encoding="utf-8")
        assert self.run(bad).exit_code == 2
        assert self.run(tmp_path / "missing.csv").exit_code == 2
        assert self.run(write(tmp_path, ROWS[:1]), "--encoding", "klingon").exit_code == 2


MIGRATION_HEADER = ("name,phone,store_id,tags,consents,consented_at,consent_source,tier,tier_valid_until,"
                    "period_paid_fen,period_growth\n")  # fmt: skip


def test_migrated_members_keep_their_tier_consents_tags_and_this_periods_spend(tmp_path, store, api, aws):
    """A chain moving from an old system: members arrive with the tier they held (until its date, then
    reviewed like anyone), their marketing consents with the date and source of the original as proof, their
    tags, and this period's spend and growth as an opening growth entry, in the registration's commit."""
    path = tmp_path / "migration.csv"
    path.write_text(MIGRATION_HEADER + "\n".join([
        "金卡,13800000011,SH-001,VIP;常客,sms;email,2023-04-01 10:00,old-crm 注册表单,gold,2027-06-30,320000,3200",
        "普卡,13800000012,,,,,,,,0,0",
        "错级,13800000013,,,,,,platinum,,,",
        "过期,13800000014,,,,,,gold,2020-01-01,,",
        "半证,13800000015,,,sms,2023-04-01,,,,,",
        "无证,13800000016,,,sms,,,,,,",
        "两错,13800000017,,,sms,,,vip,,,",  # every problem of a row at once (a walkthrough read the first alone)
    ]) + "\n", encoding="utf-8")  # fmt: skip
    report = import_members(path, workers=1)
    assert (report.imported, report.failed) == (2, 5)
    assert [(row, column) for row, column, _ in report.errors] == [
        (4, "tier"), (5, "tier_valid_until"), (6, "consent_source"), (7, "consented_at"), (8, "consented_at"),
        (8, "tier")]  # fmt: skip
    assert "proof" in report.errors[3][2]  # a consent without its proof is no consent to market on
    gold = api.post("/v1/members/lookup", {"phone": "13800000011"}).body
    assert gold["tags"] == ["VIP", "常客"]
    assert gold["consents"]["sms"] == {"granted": True, "updated_at": "2023-04-01T02:00:00.000Z",
                                       "source": "old-crm 注册表单"}  # fmt: skip
    tier = api.get(f"/v1/members/{gold['member_id']}/tier").body
    assert (tier["tier"]["code"], tier["valid_until"], tier["value"]) == ("gold", "2027-06-30", 320000)
    assert [h["reason"] for h in tier["history"]] == ["opening"]
    growth = api.get(f"/v1/members/{gold['member_id']}/growth").body
    assert [(i["type"], i["growth"], i["paid_fen"]) for i in growth["items"]] == [("opening", 3200, 320000)]
    plain = api.post("/v1/members/lookup", {"phone": "13800000012"}).body
    assert api.get(f"/v1/members/{plain['member_id']}/tier").body["tier"]["code"] == "normal"
    again = import_members(path, workers=1)
    assert (again.imported, again.skipped) == (0, 2)  # nothing twice: the opening came with its registration
    assert len(api.get(f"/v1/members/{gold['member_id']}/growth").body["items"]) == 1
    deliver(aws, "points")  # the opening tier is announced: the profile's copy (member lists, filters) follows it
    assert api.get(f"/v1/members/{gold['member_id']}").body["tier"] == "gold"
    deliver(aws, "statistics")
    assert api.get("/v1/stats/summary").body["tier_distribution"] == {"normal": 1, "silver": 0, "gold": 1,
                                                                      "diamond": 0}  # fmt: skip


def test_a_channel_given_apart_keeps_its_own_proof(tmp_path, store, api, aws):
    """An old system that kept a date per channel: each consent arrives with its own date and source (the row's
    shared proof for the others), on the profile and in the consent history; a granted channel with no proof of
    its own nor a shared one refuses the row."""
    path = tmp_path / "channels.csv"
    path.write_text(
        "name,phone,consents,consented_at,consent_source,consented_at_email,consent_source_email,consented_at_sms\n"
        "两证,13800000021,sms;email;wechat,2022-01-05 09:00,门店纸质表单,2023-06-01 20:00,官网订阅,\n"
        "各证,13800000022,sms;email,,,2023-06-01 20:00,官网订阅,2021-03-01\n",
        encoding="utf-8",
    )
    report = import_members(path, workers=1)
    assert (report.imported, report.failed, report.errors) == (1, 1, [(3, "consent_source_sms", report.errors[0][2])])
    both = api.post("/v1/members/lookup", {"phone": "13800000021"}).body
    consents = both["consents"]
    assert (consents["email"]["updated_at"], consents["email"]["source"]) == ("2023-06-01T12:00:00.000Z", "官网订阅")
    assert (consents["sms"]["updated_at"], consents["sms"]["source"]) == ("2022-01-05T01:00:00.000Z", "门店纸质表单")
    assert consents["wechat"]["source"] == "门店纸质表单"
    deliver(aws, "points")  # the consent ledger records each with its proof
    history = api.get(f"/v1/members/{both['member_id']}/consent-history").body["items"]
    notes = {item["channel"]: item.get("note") for item in history}
    assert notes == {"sms": "proof: 门店纸质表单", "email": "proof: 官网订阅", "wechat": "proof: 门店纸质表单"}


def test_a_registration_with_one_channel_proven_apart_keeps_the_current_wording_for_the_others(api, aws):
    """Over the API: sms given years ago elsewhere (its own proof, its wording unknown), email given now on this
    registration (the current wording): each is recorded as it was given."""
    from chalicelib.members import service
    from chalicelib.members.schemas import MemberCreate

    proof = {"given_at": "2021-03-01T10:00:00+08:00", "source": "old-crm: paper form"}
    asked = MemberCreate(name="分证", phone="13800000031", consents={"sms": True, "email": True},
                         consent_proofs={"sms": proof})  # fmt: skip
    member_id, _ = service.register(asked)
    deliver(aws, "points")
    history = {item["channel"]: item for item in api.get(f"/v1/members/{member_id}/consent-history").body["items"]}
    assert (history["sms"]["note"], history["sms"]["wording_version"]) == ("proof: old-crm: paper form", None)
    assert (history["email"]["note"], history["email"]["wording_version"] is not None) == (None, True)


def test_rows_go_in_batches_one_marker_read_one_key_call_and_a_transaction_per_hundred_items(
    tmp_path, store, monkeypatch
):
    """130 rows of 5 items each (profile, phone, member number, marker, event): 2 batches of up to 100 rows,
    each with one read of its markers and one data-key call, and a transaction per 20 rows (100 items)."""
    from chalicelib.shared import crypto
    from chalicelib.shared.db import Transaction
    from chalicelib.shared.unique import UniqueRecord

    calls = {"commit": 0, "markers": 0, "keys": 0}
    commit, batch_get, new_keys = Transaction.commit, UniqueRecord.batch_get, crypto.LocalKeyring.new_data_keys

    def counting(name, original):
        def call(*args, **kwargs):
            calls[name] += 1
            return original(*args, **kwargs)

        return call

    monkeypatch.setattr(Transaction, "commit", counting("commit", commit))
    monkeypatch.setattr(UniqueRecord, "batch_get", counting("markers", batch_get))
    monkeypatch.setattr(crypto.LocalKeyring, "new_data_keys", counting("keys", new_keys))
    rows = [f"会员{i},139{i:08d},,,,SH-001,," for i in range(130)]
    report = import_members(write(tmp_path, rows), workers=1)
    assert (report.imported, report.failed) == (130, 0)
    assert calls == {"commit": 5 + 2, "markers": 2, "keys": 2}
    assert MemberRecord.count() == 130


def test_a_batch_refused_for_one_row_registers_the_others_one_by_one(tmp_path, store, api):
    api.post("/v1/members", {"name": "Walk-in", "phone": "13900000003"})
    rows = [f"会员{i},139{i:08d},,,,SH-001,," for i in range(6)]
    report = import_members(write(tmp_path, rows), workers=1)
    assert (report.imported, report.errors) == (5, [(5, "phone", "already another member's")])
    assert MemberRecord.count() == 6


def test_a_migrated_spend_without_growth_is_still_explained_by_an_opening_entry(tmp_path, store, api):
    """A programme that counts spend only: the old system's period spend arrives with no growth value, and the
    growth ledger still says where the member's counted spend came from (an opening entry of 0 growth)."""
    path = tmp_path / "spend-only.csv"
    path.write_text(MIGRATION_HEADER + "只有消费,13800000021,SH-001,,,,,,,300000,0\n", encoding="utf-8")
    assert import_members(path, workers=1).imported == 1
    member = api.post("/v1/members/lookup", {"phone": "13800000021"}).body
    growth = api.get(f"/v1/members/{member['member_id']}/growth").body
    assert (growth["value"], growth["paid_fen"]) == (0, 300000)
    assert [(i["type"], i["growth"], i["paid_fen"], i["value_after"]) for i in growth["items"]] == [
        ("opening", 0, 300000, 0)]  # fmt: skip


def test_a_migrated_spend_that_qualifies_for_more_opens_at_that_tier_without_a_gift(tmp_path, store, api):
    """The old system said normal, but this period's spend brought over qualifies for diamond here: the member opens
    at diamond (an opening standing, no gift), so a 1-fen purchase later upgrades nothing and gives no gift."""
    path = tmp_path / "qualifies.csv"
    path.write_text(MIGRATION_HEADER + "大客户,13800000031,SH-001,,,,,normal,,5000000,0\n", encoding="utf-8")
    assert import_members(path, workers=1).imported == 1
    member = api.post("/v1/members/lookup", {"phone": "13800000031"}).body
    tier = api.get(f"/v1/members/{member['member_id']}/tier").body
    assert tier["tier"]["code"] == "diamond"
    assert [h["reason"] for h in tier["history"]] == ["opening"]
    assert api.get(f"/v1/members/{member['member_id']}/points").body["available"] == 0


POINTS_HEADER = "name,phone,store_id,tier,tier_valid_until,points,points_expires_on\n"


def test_migrated_members_bring_their_points_once_with_their_expiry(tmp_path, store, api, aws):
    """积分迁移 in the member file: a row's ``points`` open the member's points book in the registration's commit,
    expiring on ``points_expires_on`` (blank: the expiry policy from today; ``never``), announced to the liability;
    a bad cell is an error row that writes nothing, and a later ``cli points import-balances`` row is skipped."""
    from chalicelib.ledger.jobs import reconcile
    from chalicelib.points import bulk
    from chalicelib.points import service as points

    path = tmp_path / "points.csv"
    path.write_text(POINTS_HEADER + "\n".join([
        "金卡积分,13800000041,SH-001,gold,2027-06-30,1500,2027-03-31",
        "只有积分,13800000042,,,,800,",
        "永久积分,13800000043,,,,200,never",
        "坏积分,13800000044,,,,12.5,",
        "过期积分,13800000045,,,,100,2020-01-01",
        "无积分日期,13800000046,,,,,2027-01-01",
        "零积分,13800000047,,,,0,",  # most members of an old system: joined with no balance (a review: refused)
    ]) + "\n", encoding="utf-8")  # fmt: skip
    report = import_members(path, workers=1)
    assert (report.imported, report.failed) == (4, 3)
    assert [(row, column) for row, column, _ in report.errors] == [
        (5, "points"), (6, "points_expires_on"), (7, "points_expires_on")]  # fmt: skip
    zero = api.post("/v1/members/lookup", {"phone": "13800000047"}).body["member_id"]
    assert api.get(f"/v1/members/{zero}/points/ledger").body["items"] == []
    assert "expire on arrival" in report.errors[1][2]
    for phone in ("13800000044", "13800000045", "13800000046"):
        assert api.post("/v1/members/lookup", {"phone": phone}).status == 404  # a bad cell: not half a member
    ids = {phone: api.post("/v1/members/lookup", {"phone": phone}).body["member_id"]
           for phone in ("13800000041", "13800000042", "13800000043")}  # fmt: skip
    held = {phone: api.get(f"/v1/members/{member_id}/points").body for phone, member_id in ids.items()}
    assert [held[phone]["available"] for phone in ids] == [1500, 800, 200]
    assert held["13800000041"]["expiring"] == [{"date": "2027-03-31", "points": 1500}]
    assert held["13800000042"]["expiring"] == [{"date": str(points.policy_expiry()), "points": 800}]
    assert held["13800000043"]["expiring"] == []  # never expires
    gold = api.get(f"/v1/members/{ids['13800000041']}/tier").body
    assert (gold["tier"]["code"], gold["valid_until"]) == ("gold", "2027-06-30")  # the same account, one commit
    history = api.get(f"/v1/members/{ids['13800000041']}/points/ledger").body["items"]
    assert [(i["type"], i["points"], i["balance_after"]) for i in history] == [("opening", 1500, 1500)]
    assert all(reconcile(member_id) == {} for member_id in ids.values())  # balance = the sum of its entries
    again = import_members(path, workers=1)
    assert (again.imported, again.skipped) == (0, 4)
    new_year = datetime(clock.business_today().year + 1, 1, 2, 10, tzinfo=get_settings().tz)
    expiring = points.policy_expiry()
    with clock.frozen(new_year):  # the same file in the new year: the same rows (a review: a blank expiry read as
        assert points.policy_expiry() != expiring  # the new year's policy made them other rows)
        later_year = import_members(path, workers=1)
    assert (later_year.imported, later_year.skipped, later_year.failed) == (0, 4, 3)
    opening = tmp_path / "opening.csv"
    opening.write_text("phone,points\n13800000041,1500\n", encoding="utf-8")
    later = bulk.import_balances(opening, "utf-8", lambda n: None)
    assert (later.imported, later.skipped) == (0, 1)  # its balance came with the member: not twice
    assert later.summary()["skipped_rows"] == [{"row": 2, "why": bulk.ALREADY_OPENED}]  # which, and why
    assert api.get(f"/v1/members/{ids['13800000041']}/points").body["available"] == 1500
    deliver(aws, "statistics")
    assert api.get("/v1/reports/liability").body["points"]["outstanding"] == 2500
