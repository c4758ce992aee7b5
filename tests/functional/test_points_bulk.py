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


def test_a_batch_from_the_console_applies_each_row_once_under_its_name(api, aws):
    """批量调整积分 over the API: rows fail alone with a stable problem, a lost answer or a file sent again with its
    failed rows mended applies only what was not applied, and nothing is written for a body that is not rows."""
    from chalicelib.ledger.jobs import reconcile
    from tests.conftest import item_counts, token_for

    first, _ = member_token("13900000011")
    second, _ = member_token("13900000012")
    number = api.get(f"/v1/members/{second}").body["member_no"]
    rows = [
        {"line": 2, "member_id": first, "points": 300, "expires_on": "2099-01-31"},
        {"line": 3, "member_no": number, "points": 120, "reason": "生日月双倍补发"},
        {"line": 4, "phone": "13900000011", "points": 300, "expires_on": "2099-01-31"},  # line 2 again
        {"line": 5, "phone": "13900000012", "points": -500},  # more than they hold
        {"line": 6, "phone": "13800000999", "points": 10},  # nobody
        {"line": 7, "phone": "not a phone", "points": 10},
        {"line": 8, "member_id": first, "points": 20, "expires_on": "2020-01-01"},
    ]
    body = {"batch": "2026-11 会员日奖励", "reason": "11月会员日奖励", "rows": rows}
    answer = api.post("/v1/points/adjustment-batches", body)
    assert answer.status == 200, answer.body
    assert (answer.body["applied"], answer.body["skipped"], answer.body["failed"]) == (2, 0, 5)
    assert [(r["line"], r["outcome"], r["problem"]) for r in answer.body["rows"]] == [
        (2, "applied", None), (3, "applied", None), (4, "failed", "same-row"), (5, "failed", "insufficient-points"),
        (6, "failed", "no-member"), (7, "failed", "not-a-phone"), (8, "failed", "expiry-past")]  # fmt: skip
    assert answer.body["rows"][1]["member_id"] == second
    assert (types(first), types(second)) == ([("adjust", 300)], [("adjust", 120)])
    mended = [rows[0], rows[1], {**rows[3], "points": -100}]  # sent again, the debit mended
    again = api.post("/v1/points/adjustment-batches", {**body, "rows": mended}).body
    assert [(r["line"], r["outcome"]) for r in again["rows"]] == [(2, "skipped"), (3, "skipped"), (5, "applied")]
    assert types(second) == [("adjust", 120), ("adjust", -100)]
    ledger = api.get(f"/v1/members/{second}/points/ledger").body["items"]
    assert (ledger[1]["reason"], ledger[0]["reason"]) == (
        "生日月双倍补发",
        "11月会员日奖励",
    )  # a row's own, or the batch's
    assert api.get(f"/v1/members/{first}/points").body["expiring"] == [{"date": "2099-01-31", "points": 300}]
    assert (reconcile(first), reconcile(second)) == ({}, {})
    other = api.post("/v1/points/adjustment-batches", {**body, "batch": "2026-12 会员日奖励", "rows": rows[:1]}).body
    assert other["applied"] == 1  # another batch's row is its own
    retyped = api.post("/v1/points/adjustment-batches", {**body, "reason": "11月 会员日奖励", "rows": rows[:1]}).body
    assert retyped["skipped"] == 1  # the batch's default reason retyped on a resend: still the row applied (a review)
    frozen, _ = member_token("13900000013")
    api.patch(f"/v1/members/{frozen}", {"status": "frozen"},
              headers={"content-type": "application/merge-patch+json", "if-match": '"1"'})  # fmt: skip
    unheld = [{"line": 9, "member_id": frozen, "points": 5}, {"line": 10, "member_id": "mb_nobody", "points": 5}]
    cold = api.post("/v1/points/adjustment-batches", {**body, "rows": unheld})
    assert [(r["outcome"], r["problem"]) for r in cold.body["rows"]] == [("failed", "member-not-active"),
                                                                         ("failed", "no-member")]  # fmt: skip
    scoped = api.as_(token_for(["admin"], ("SH-001",)))
    before = item_counts()
    for bad in ({**body, "rows": []}, {**body, "reason": None, "rows": [{**rows[0], "points": 5}]},
                {**body, "rows": [{"line": 9, "member_id": first, "phone": "13900000011", "points": 5}]},
                {**body, "rows": [{"line": 9, "member_id": first, "points": -5, "expires_on": "2099-01-01"}]},
                {**body, "batch": "13900000011 的奖励"}, {**body, "rows": [rows[0]] * 201}):  # fmt: skip
        refused = api.post("/v1/points/adjustment-batches", bad)
        assert refused.status == 422, (bad, refused.body)
    assert (
        scoped.post("/v1/points/adjustment-batches", body).status == 403
    )  # a store's staff adjust one member at a time, within their limits
    assert item_counts() == before
