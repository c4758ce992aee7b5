"""Bulk points files: adjustments and opening balances, exactly once per row, with error rows reported."""

from chalicelib.points import bulk, service
from chalicelib.shared import clock
from tests import ledger_views
from tests.conftest import member_token


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def types(member_id):
    return [(entry.type, int(entry.points)) for entry in ledger_views.entries(member_id)]


def test_adjustments_apply_once_per_row_even_when_the_file_is_run_again_edited(aws, tmp_path):
    first, _ = member_token("13900000001")
    second, _ = member_token("13900000002")
    text = (
        "member_id,phone,points,reason,expires_on\n"
        f"{first},,100,活动补发,2030-01-31\n"
        f",13900000002,50,活动补发,\n"
        f",13900000002,50,活动补发,\n"  # the same row twice: applied twice
        f"{first},,-500,扣回,\n"  # more than there is
        f",13800000000,10,x,\n"  # nobody
        f"{first},,abc,x,\n"
    )
    report = bulk.adjust_file(write(tmp_path, "adjust.csv", text), "utf-8", lambda n: None)
    assert (report.rows, report.imported, report.skipped, report.failed) == (6, 3, 0, 3)
    assert {field for _, field, _ in report.errors} == {"points", "phone"}
    assert types(first) == [("adjust", 100)]
    assert types(second) == [("adjust", 50), ("adjust", 50)]
    fixed = text.replace(f"{first},,-500", f"{first},,-50")
    again = bulk.adjust_file(write(tmp_path, "adjust.csv", fixed), "utf-8", lambda n: None)
    assert (again.imported, again.skipped, again.failed) == (1, 3, 2)
    assert types(first) == [("adjust", 100), ("adjust", -50)]


def test_opening_balances_once_per_member_with_their_own_expiry_dates(aws, tmp_path):
    member_id, _ = member_token("13900000003")
    stale, _ = member_token("13900000004")
    by_policy = service.policy_expiry()
    text = ("phone,points,expires_on\n13900000003,300,2099-06-30\n13900000003,200,never\n13900000003,50,\n"
            "13900000009,100,\n13900000004,70,2099-01-01\n13900000004,30,2020-01-01\n")  # fmt: skip
    path = write(tmp_path, "opening.csv", text)
    report = bulk.import_balances(path, "utf-8", lambda n: None)
    assert (report.rows, report.imported, report.failed) == (6, 3, 3)  # every row counted once
    assert {(field, message.split(":")[0]) for _, field, message in report.errors} == {
        ("phone", "No member matches"), ("expires_on", "is past"), ("member_id", "not imported")}  # fmt: skip
    with clock.frozen(clock.now()):
        balance = service.balance(member_id)
    assert balance.available == 550
    assert sorted((str(day), points) for day, points in balance.expiring) == [
        (str(by_policy), 50), ("2099-06-30", 300)]  # fmt: skip
    assert types(member_id) == [("opening", 550)]
    assert types(stale) == []  # none of a member's rows when one is wrong
    again = bulk.import_balances(path, "utf-8", lambda n: None)
    assert (again.imported, again.skipped) == (0, 3)
    assert types(member_id) == [("opening", 550)]


def test_an_expiry_beyond_the_platforms_calendar_is_a_row_error(aws, tmp_path):
    member_id, _ = member_token("13900000005")
    text = f"member_id,phone,points,reason,expires_on\n{member_id},,100,x,9999-12-31\n"
    report = bulk.adjust_file(write(tmp_path, "adjust.csv", text), "utf-8", lambda n: None)
    assert (report.imported, report.failed) == (0, 1)
    assert [(field, message) for _, field, message in report.errors] == [
        ("expires_on", "a date between 1900-01-01 and 2100-12-31")]  # fmt: skip
    assert types(member_id) == []


def test_a_reason_is_held_to_what_the_api_holds_it_to(aws, tmp_path):
    """Control characters and reasons over 200 characters are row errors in both files, as they are 422 on the API:
    nothing of those rows reaches the ledger."""
    member_id, _ = member_token("13900000006")
    opened, _ = member_token("13900000007")
    text = (
        "member_id,phone,points,reason,expires_on\n"
        f"{member_id},,10,补发\x00,\n"
        f"{member_id},,10,\x1b[31m补发,\n"
        f"{member_id},,10,{'长' * 201},\n"
        f"{member_id},,10,  补发  ,\n"
    )
    report = bulk.adjust_file(write(tmp_path, "adjust.csv", text), "utf-8", lambda n: None)
    assert (report.imported, report.failed) == (1, 3)
    assert [(number, field) for number, field, _ in report.errors] == [(2, "reason"), (3, "reason"), (4, "reason")]
    assert "control characters" in report.errors[0][2]
    assert [(entry.reason, int(entry.points)) for entry in ledger_views.entries(member_id)] == [("补发", 10)]
    opening = f"member_id,points,reason\n{opened},100,迁移\x07\n"
    refused = bulk.import_balances(write(tmp_path, "opening.csv", opening), "utf-8", lambda n: None)
    assert (refused.imported, refused.failed, refused.errors[0][1]) == (0, 1, "reason")
    assert types(opened) == []
