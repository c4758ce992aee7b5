"""CSV files the CLI imports (members, points): strict headers, whole-file decoding, row reports."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ImportUsageError(ValueError):
    """The file cannot be imported at all (unreadable, wrong encoding, bad header)."""


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, field, reason)
    skipped_why: list[tuple[int, str]] = field(default_factory=list)  # (row, why), where a skip needs saying
    seconds: float = 0.0
    import_id: str | None = None  # the import job that did it (none: the CLI's own loop)

    @property
    def failed(self) -> int:
        return len({row for row, _, _ in self.errors})

    def summary(self) -> dict[str, Any]:
        rate = round(self.rows / self.seconds, 1) if self.seconds else None
        said = [{"row": row, "why": why} for row, why in self.skipped_why[:100]]  # the first hundred
        return {"rows": self.rows, "imported": self.imported, "skipped": self.skipped, "failed": self.failed,
                "seconds": round(self.seconds, 1), "rows_per_second": rate,
                **({"skipped_rows": said} if said else {})}  # fmt: skip


def read_rows(
    path: Path, encoding: str, columns: tuple[str, ...], required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(line number, row) pairs; a row that cannot be read is its reason instead. The header is line 1.

    The whole file is decoded before any row is given out, so a bad byte anywhere stops the import before
    it writes anything. Blank lines are skipped; missing trailing cells are empty.
    """
    text = decoded(path.read_bytes(), encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = checked_header(next(reader, []), columns, required)
    yield from _numbered_rows(reader, header, lines_before=0)


def decoded(raw: bytes, encoding: str) -> str:
    """The whole file as text (a UTF-8 byte order mark dropped); a bad byte anywhere is a usage error."""
    try:
        return raw.decode(_codec(encoding))
    except UnicodeDecodeError as e:
        hint = "try --encoding gbk for spreadsheet exports"
        raise ImportUsageError(f"the file is not {encoding} ({hint}): {e}") from None
    except LookupError:
        raise ImportUsageError(f"unknown encoding {encoding!r}") from None


def _codec(encoding: str) -> str:
    return "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding


def checked_header(cells: list[str], columns: tuple[str, ...], required: tuple[str, ...]) -> list[str]:
    """The header's column names; unknown, missing or repeated ones are a usage error."""
    header = [name.strip() for name in cells]
    if required and not any(header):  # an empty file, or an empty first line (an operator read "missing name, …")
        raise ImportUsageError(f"the file is empty, or its first line is: it starts with the header (at least "
                               f"{', '.join(required)}; allowed: {', '.join(columns)})")  # fmt: skip
    unknown = [name for name in header if name not in columns]
    missing = [name for name in required if name not in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if unknown or missing or repeated:
        raise ImportUsageError(
            f"bad header: unknown columns {unknown or 'none'}, missing {missing or 'none'}, "
            f"repeated {repeated or 'none'}; allowed: {', '.join(columns)}"
        )
    return header


def _numbered_rows(
    reader: Iterator[list[str]], header: list[str], lines_before: int
) -> Iterator[tuple[int, dict[str, str] | str]]:
    for cells in reader:
        line = lines_before + reader.line_num  # type: ignore[attr-defined]  # csv readers count the lines they read
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            yield line, f"{len(cells)} values for {len(header)} columns"
            continue
        yield line, {name: value.strip() for name, value in zip(header, cells, strict=False)}


# Encodings whose line breaks are never part of another character, so a file splits into byte ranges at them.
SPLITTABLE_ENCODINGS = ("utf-8", "gbk", "gb18030")


@dataclass(frozen=True)
class Chunk:
    """Consecutive rows of a file: its bytes ``start`` (included) to ``end`` (excluded), which begin on the
    file's line ``first_line`` (the header is line 1) and hold rows up to line ``last_line``."""

    number: int
    first_line: int
    last_line: int
    start: int
    end: int
    rows: int


@dataclass(frozen=True)
class FilePlan:
    """How a file is imported in chunks: its header, its rows, and the rows repeating an earlier row's key
    (line -> the line that had it first), which chunks apart could not see."""

    header: list[str]
    rows: int
    chunks: list[Chunk]
    repeats: dict[int, int]


def plan_chunks(
    raw: bytes,
    encoding: str,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    rows_per_chunk: int,
    key: Callable[[dict[str, str]], str | None],
) -> FilePlan:
    """Split a CSV file into chunks of ``rows_per_chunk`` rows, each a byte range that ``chunk_rows`` reads on
    its own with the same line numbers as the whole file. The file must decode whole and its header must
    name allowed columns (else ImportUsageError), as ``read_rows`` requires; ``key`` names what must not
    repeat across rows (None: nothing to compare)."""
    if encoding.replace("_", "-").lower() not in SPLITTABLE_ENCODINGS:
        raise ImportUsageError(f"encoding {encoding!r}: use one of {', '.join(SPLITTABLE_ENCODINGS)}")
    decoded(raw, encoding)
    lines = raw.splitlines(keepends=True)  # at \n, \r\n and \r, as the csv reader splits text
    offsets = [0]
    for physical in lines:
        offsets.append(offsets[-1] + len(physical))
    codec = _codec(encoding)
    reader = csv.reader(physical.decode(codec if n == 0 else codec.removesuffix("-sig"))
                        for n, physical in enumerate(lines))  # fmt: skip
    header = checked_header(next(reader, []), columns, required)
    chunks: list[Chunk] = []
    repeats: dict[int, int] = {}
    first_seen: dict[str, int] = {}
    chunk_start, rows_in_chunk, total, last_row = reader.line_num, 0, 0, 0
    for line, row in _numbered_rows(reader, header, lines_before=0):
        total += 1
        rows_in_chunk += 1
        found = key(row) if isinstance(row, dict) else None
        if found is not None:
            first = first_seen.setdefault(found, line)
            if first != line:
                repeats[line] = first
        last_row = line
        if rows_in_chunk == rows_per_chunk:
            chunks.append(Chunk(len(chunks), chunk_start + 1, line, offsets[chunk_start], offsets[line], rows_in_chunk))
            chunk_start, rows_in_chunk = line, 0
    if rows_in_chunk:
        chunks.append(Chunk(len(chunks), chunk_start + 1, last_row, offsets[chunk_start], offsets[-1], rows_in_chunk))
    return FilePlan(header, total, chunks, repeats)


def chunk_rows(
    raw: bytes, encoding: str, header: list[str], first_line: int
) -> Iterator[tuple[int, dict[str, str] | str]]:
    """The (line number, row) pairs of a chunk's bytes, numbered as in the whole file."""
    text = raw.decode(_codec(encoding).removesuffix("-sig"))
    yield from _numbered_rows(csv.reader(io.StringIO(text, newline="")), header, lines_before=first_line - 1)


def error_report_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.errors.csv")


Explain = Callable[[str, str], str]  # (field, reason) -> the reason in Chinese


def write_error_report(path: Path, report: ImportReport, explain: Explain | None = None) -> Path:
    """The error rows as CSV next to the input: ``<name>.errors.csv`` with row, field, reason (and 原因)."""
    target = error_report_path(path)
    target.write_text(error_report_text(report.errors, explain), encoding="utf-8", newline="")
    return target


def error_report_text(errors: list[tuple[int, str, str]], explain: Explain | None = None) -> str:
    """Error rows as CSV text (row, field, reason; with ``explain``, a fourth column 原因: the reason in Chinese),
    with a byte order mark so spreadsheets read it as UTF-8."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["row", "field", "reason", *(["原因"] if explain else [])])
    writer.writerows((row, column, reason, *([explain(column, reason)] if explain else []))
                     for row, column, reason in errors)  # fmt: skip
    return "\ufeff" + text.getvalue()
