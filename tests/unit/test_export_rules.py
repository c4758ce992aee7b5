"""The BI export's pure rules: which file an event lands in, its row, the cells, the file's bytes and a report as a
table."""

import csv
import gzip
import io
import json
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.exports import rules

TZ = ZoneInfo("Asia/Shanghai")
KEY = b"test-lookup-hash-key"
COLUMNS = json.loads((Path(__file__).parent / "bi_columns.json").read_text())


def event(type_, payload, **extra):
    return {"event_id": "ev_1", "type": type_, "occurred_at": "2026-11-29T16:30:00.000Z", "subject": "member/m1",
            "payload": payload, "actor": "system", **extra}  # fmt: skip


def test_an_event_lands_in_its_entity_on_its_business_day_and_unknown_events_nowhere():
    entity, row = rules.fact_row(event("purchase.recorded", {"member_id": "m1", "store_id": "SH-001",
                                                             "paid_fen": 100, "order_id": "O1"}), TZ, KEY)  # fmt: skip
    assert entity == "purchases"
    assert row["business_day"] == "2026-11-30"  # 00:30 in Shanghai
    assert (row["member_id"], row["store_id"], row["paid_fen"], row["points"]) == ("m1", "SH-001", 100, None)
    assert set(row) == set(rules.columns_of("purchases"))
    assert rules.fact_row(event("staff.created", {"staff_id": "s"}), TZ, KEY) is None
    assert rules.fact_row(event("points.redeemed", {"points": -5}, actor="member:m1"), TZ, KEY)[1]["actor"] == "member"


def test_wallet_rows_are_signed_as_the_books_and_the_pending_gift_points_as_they_moved():
    topped = rules.fact_row(event("wallet.topped-up", {"principal_fen": 10_000, "bonus_fen": 2_000,
                                                       "gift_points": 50}), TZ, KEY)[1]  # fmt: skip
    cashed = rules.fact_row(event("wallet.cash-refunded", {"principal_fen": 2_500, "bonus_fen": 500,
                                                           "gift_points_forfeited": 12}), TZ, KEY)[1]  # fmt: skip
    assert [(row["principal_fen"], row["bonus_fen"], row["gift_points"]) for row in (topped, cashed)] == [
        (10_000, 2_000, 50), (-2_500, -500, -12),
    ]  # fmt: skip


def test_a_coupon_is_named_by_a_keyed_reference_never_by_the_code_that_redeems_it():
    issued = rules.fact_row(event("coupon.issued", {"code": "CPN-SECRET-1", "template_id": "t"}), TZ, KEY)[1]
    used = rules.fact_row(event("coupon.redeemed", {"code": "CPN-SECRET-1", "discount_fen": 500}), TZ, KEY)[1]
    assert issued["coupon_ref"] == used["coupon_ref"]
    assert "CPN-SECRET-1" not in rules.csv_file(rules.columns_of("coupons"), [issued, used]).decode()
    other_key = rules.fact_row(event("coupon.issued", {"code": "CPN-SECRET-1"}), TZ, b"another")[1]
    assert other_key["coupon_ref"] != issued["coupon_ref"]


def test_a_gift_to_a_friend_names_the_coupon_the_friend_received_so_its_later_use_is_traced():
    gift = {"code": "CPN-GIVER", "to_code": "CPN-FRIEND", "member_id": "m-giver", "to_member_id": "m-friend"}
    given = rules.fact_row(event("coupon.transferred", gift), TZ, KEY)[1]
    used = rules.fact_row(event("coupon.redeemed", {"code": "CPN-FRIEND", "member_id": "m-friend"}), TZ, KEY)[1]
    assert (given["member_id"], given["to_member_id"]) == ("m-giver", "m-friend")
    assert given["to_coupon_ref"] == used["coupon_ref"] != given["coupon_ref"]
    assert "CPN-FRIEND" not in rules.csv_file(rules.columns_of("coupons"), [given, used]).decode()
    assert rules.fact_row(event("coupon.issued", {"code": "CPN-GIVER"}), TZ, KEY)[1]["to_coupon_ref"] is None


def test_the_files_keep_their_columns_by_position_new_ones_only_at_the_end():
    """Athena reads a file's columns by position, and the files are kept: a column is never moved or taken out."""
    from chalicelib.exports.service import columns_of

    for entity, kept in COLUMNS.items():
        assert list(columns_of(entity))[: len(kept)] == kept, entity
    assert set(COLUMNS) == set(rules.entities())


def test_a_scope_in_a_file_name_never_names_a_path():
    assert rules.file_word("华东") == "华东"
    assert rules.file_word("../../secrets") == "_secrets"
    assert rules.file_word("a/b.c") == "a_b_c"


def test_every_landed_type_has_one_entity_and_every_entity_its_columns_once():
    assert len(rules.ENTITY_OF) == sum(len(types) for types, _ in rules.FACTS.values())
    for entity in rules.entities():
        columns = rules.columns_of(entity)
        assert len(set(columns)) == len(columns), entity


@given(st.text(alphabet="ab", min_size=1, max_size=6), st.integers(0, 1000), st.integers(0, 1000))
def test_a_members_events_of_a_day_land_in_one_part(member, first, second):
    day = date(2026, 11, 30)
    one = rules.landing_partition(day, {"event_id": f"ev_{first}", "payload": {"member_id": member}})
    other = rules.landing_partition(day, {"event_id": f"ev_{second}", "subject": f"member/{member}", "payload": {}})
    assert one == other
    assert one in rules.parts(day, day)


def test_cells_are_plain_text_that_no_spreadsheet_runs():
    assert [rules.cell(v) for v in (None, True, -300, "-300", "1.5", [1, "a"], {"b": 1, "a": 2})] == [
        "", "true", "-300", "-300", "1.5", '[1,"a"]', '{"a":2,"b":1}']  # fmt: skip
    assert [rules.cell(v) for v in ("=HYPERLINK(1)", "+1+1", "-1-1", "@SUM(A1)", "黄金会员")] == [
        "'=HYPERLINK(1)", "'+1+1", "'-1-1", "'@SUM(A1)", "黄金会员"]  # fmt: skip
    assert rules.cell("line one\r\nline two\ttab\x01") == "line one line two tab "  # a row is one line


def test_a_file_is_a_bom_a_header_and_rows_and_compresses_to_the_same_bytes_each_time():
    data = rules.csv_file(("a", "b"), [{"a": "升级礼遇：黄金会员", "b": 'say "hi", twice'}, {"b": 1}])
    text = data.decode("utf-8")
    assert text.startswith(rules.BOM + "a,b\r\n")
    assert list(csv.reader(io.StringIO(text.removeprefix(rules.BOM)))) == [
        ["a", "b"], ["升级礼遇：黄金会员", 'say "hi", twice'], ["", "1"]]  # fmt: skip
    assert rules.gzipped(data)[4:8] == b"\0\0\0\0"  # no timestamp in the header: the same bytes on any day
    assert gzip.decompress(rules.gzipped(data)) == data
    assert rules.file_key("purchases", "2026-11-30#3") == "bi/purchases/dt=2026-11-30/part-3.csv.gz"


def test_a_report_is_its_rows_then_a_total_row_with_nested_figures_in_dotted_columns():
    columns, rows = rules.report_table({
        "items": [{"period": "2026-W48", "issued": 5, "issued_by_source": {"purchases": 5, "gifts": 0}}],
        "totals": {"issued": 5, "issued_by_source": {"purchases": 5, "gifts": 0}, "consumption_rate": "0.1000"},
    })  # fmt: skip
    assert columns == ["period", "issued", "issued_by_source.purchases", "issued_by_source.gifts", "consumption_rate"]
    assert [row["period"] for row in rows] == ["2026-W48", "total"]
    one_row = rules.report_table({"as_of": "2026-11-30", "points": {"outstanding": 3}, "total_fen": 3})
    assert one_row == (["as_of", "points.outstanding", "total_fen"],
                       [{"as_of": "2026-11-30", "points.outstanding": 3, "total_fen": 3}])  # fmt: skip


def test_a_list_of_rows_in_a_report_spreads_into_columns_named_by_each_rows_first_field():
    (columns, [row]) = rules.report_table({
        "points": {"by_expiry": [{"expires": "2027-12", "points": 7}, {"expires": None, "points": 2}]},
        "by_store": {"stores": [{"store_id": "SH-001", "points": 5}], "elsewhere": {"points": 4}},
    })  # fmt: skip
    assert columns == ["points.by_expiry.2027-12.points", "points.by_expiry.none.points",
                       "by_store.stores.SH-001.points", "by_store.elsewhere.points"]  # fmt: skip
    assert list(row.values()) == [7, 2, 5, 4]


def test_a_catch_up_past_the_landed_events_counts_each_day_it_cannot_write():
    """After an outage of more than a month the oldest missed days cannot be written (their landed events may have
    expired): the run says how many, instead of reporting a complete export."""
    from datetime import datetime, timedelta

    from chalicelib.exports.jobs import ExportBi
    from chalicelib.exports.service import REWRITABLE
    from chalicelib.shared import clock

    with clock.frozen(datetime(2026, 9, 30, 12, tzinfo=ZoneInfo("Asia/Shanghai"))):
        today = clock.business_today()
        oldest = today - REWRITABLE
        due = list(ExportBi().due(oldest - timedelta(days=3), today - timedelta(days=1)))
        skipped = [key for key in due if key.startswith("skipped#")]
        assert skipped == [f"skipped#{oldest - timedelta(days=n)}" for n in (3, 2, 1)]
        assert min(key.partition("#")[0] for key in due if key not in skipped) == oldest.isoformat()
        assert ExportBi().process(skipped, today)["days_skipped"] == 3  # counted, nothing written
        yesterday = today - timedelta(days=1)  # a first run looks back over the days it can write, and no further
        first = list(ExportBi().due(yesterday - timedelta(days=ExportBi.first_run_lookback_days), yesterday))
        assert min(first) == f"{oldest.isoformat()}#0"
        assert not [key for key in first if key.startswith("skipped#")]


def test_a_child_s_card_rows_name_the_student_by_id_only():
    """学员: BI reads a child's classes and cards apart by the student's id; their name stays sealed on the member."""
    used = event("membership.benefit-used", {"member_id": "m1", "benefit_id": "art", "use_id": "U-1", "remaining": 23,
                                             "student_id": "st_0000000a", "benefit_name": "美术课"})  # fmt: skip
    entity, row = rules.fact_row(used, TZ, KEY)
    assert (entity, row["student_id"], row["use_id"]) == ("cards", "st_0000000a", "U-1")
    assert rules.fact_row(event("membership.card-paid", {"member_id": "m1", "card_id": "mc_1"}), TZ, KEY)[1][
        "student_id"] is None  # fmt: skip


def test_a_card_refund_says_how_each_payment_went_back():
    """A salon's walkthrough: a cancellation's rows left the payment method and till order empty, where the store's card
    journal said them; a refund of two payments says both, a part of nothing none."""
    parts = [{"payment_id": "cp_1", "method": "counter", "payment_method": "wechat_pay", "order_id": "SH1-0001",
              "amount_fen": 9_000, "store_id": "SH-001"},
             {"payment_id": "cp_2", "method": "wallet", "amount_fen": 3_000},
             {"payment_id": "cp_3", "method": "counter", "payment_method": "card", "order_id": "SH1-0009",
              "amount_fen": 0}]  # fmt: skip
    cancelled = event("membership.card-cancelled", {"member_id": "m1", "card_id": "mc_1", "refund_fen": 12_000,
                                                    "parts": parts})  # fmt: skip
    row = rules.fact_row(cancelled, TZ, KEY)[1]
    assert (row["method"], row["payment_id"], row["payment_method"], row["order_id"]) == (
        "counter;wallet", "cp_1;cp_2", "wechat_pay", "SH1-0001")  # fmt: skip
