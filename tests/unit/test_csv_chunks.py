"""A file split into chunks reads back, chunk by chunk, exactly as the whole file reads: same rows, same line
numbers, same reasons; a key repeated across chunks is found by the plan."""

import pytest

from chalicelib.shared.csvfiles import ImportUsageError, chunk_rows, plan_chunks, read_rows

COLUMNS = ("name", "phone", "city")


def phone(row):
    return row.get("phone") or None


def rows_by_chunks(raw, encoding, size):
    plan = plan_chunks(raw, encoding, COLUMNS, ("name", "phone"), size, phone)
    rows = [row for chunk in plan.chunks for row in chunk_rows(raw[chunk.start : chunk.end], encoding, plan.header,
                                                                 chunk.first_line)]  # fmt: skip
    return plan, rows


@pytest.mark.parametrize("size", [1, 2, 3, 500])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_chunks_read_back_the_rows_of_the_whole_file_with_their_line_numbers(tmp_path, size, newline):
    lines = ["name,phone,city", "张三,13800000001,上海", "", '"李,四",13800000002,"北', '京"', "王五,1,2,3,4",
             "赵六,13800000004", "", ""]  # fmt: skip
    raw = ("\ufeff" + newline.join(lines)).encode("utf-8")
    path = tmp_path / "members.csv"
    path.write_bytes(raw)
    plan, rows = rows_by_chunks(raw, "utf-8", size)
    assert rows == list(read_rows(path, "utf-8", COLUMNS, ("name", "phone")))
    assert [line for line, _ in rows] == [2, 5, 6, 7]
    assert rows[1][1] == {"name": "李,四", "phone": "13800000002", "city": f"北{newline}京"}
    assert plan.rows == 4
    assert sum(chunk.rows for chunk in plan.chunks) == 4
    assert len(plan.chunks) == -(-4 // size)


def test_gbk_files_split_between_characters():
    raw = b"name,phone\n" + "".join(f"顾客{n},1380000{n:04d}\n" for n in range(7)).encode("gbk")
    plan, rows = rows_by_chunks(raw, "gbk", 3)
    assert [row["name"] for _, row in rows] == [f"顾客{n}" for n in range(7)]
    assert [chunk.rows for chunk in plan.chunks] == [3, 3, 1]


def test_a_key_repeated_in_another_chunk_points_to_its_first_line():
    raw = b"name,phone\nA,1\nB,2\nC,1\nD,\nE,2\n"
    plan, _ = rows_by_chunks(raw, "utf-8", 2)
    assert plan.repeats == {4: 2, 6: 3}


@pytest.mark.parametrize(
    ("raw", "encoding", "message"),
    [
        (b"name,phone\nA,1\n\xff\n", "utf-8", "not utf-8"),
        (b"name,mobile\nA,1\n", "utf-8", "mobile"),
        (b"name,phone\nA,1\n", "utf-16", "use one of"),
    ],
)
def test_a_file_that_cannot_be_read_whole_is_refused_before_any_chunk(raw, encoding, message):
    with pytest.raises(ImportUsageError, match=message):
        plan_chunks(raw, encoding, COLUMNS, ("name", "phone"), 2, phone)
