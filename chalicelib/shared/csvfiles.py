"""CSV files the CLI imports (members, points): strict headers, whole-file decoding, row reports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
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
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return len({row for row, _, _ in self.errors})

    def summary(self) -> dict[str, Any]:
        rate = round(self.rows / self.seconds, 1) if self.seconds else None
        return {"rows": self.rows, "imported": self.imported, "skipped": self.skipped, "failed": self.failed,
                "seconds": round(self.seconds, 1), "rows_per_second": rate}  # fmt: skip


def read_rows(
    path: Path, encoding: str, columns: tuple[str, ...], required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(line number, row) pairs; a row that cannot be read is its reason instead. The header is line 1.

    The whole file is decoded before any row is given out, so a bad byte anywhere stops the import before
    it writes anything. Blank lines are skipped; missing trailing cells are empty.
    """
    codec = "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding
    try:
        text = path.read_text(encoding=codec)
    except UnicodeDecodeError as e:
        hint = "try --encoding gbk for spreadsheet exports"
        raise ImportUsageError(f"the file is not {encoding} ({hint}): {e}") from None
    except LookupError:
        raise ImportUsageError(f"unknown encoding {encoding!r}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    unknown = [name for name in header if name not in columns]
    missing = [name for name in required if name not in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if unknown or missing or repeated:
        raise ImportUsageError(
            f"bad header: unknown columns {unknown or 'none'}, missing {missing or 'none'}, "
            f"repeated {repeated or 'none'}; allowed: {', '.join(columns)}"
        )
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            yield reader.line_num, f"{len(cells)} values for {len(header)} columns"
            continue
        yield reader.line_num, {name: value.strip() for name, value in zip(header, cells, strict=False)}


def error_report_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.errors.csv")


def write_error_report(path: Path, report: ImportReport) -> Path:
    """The error rows as CSV next to the input: ``<name>.errors.csv`` with row, field, reason."""
    target = error_report_path(path)
    with target.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["row", "field", "reason"])
        writer.writerows(report.errors)
    return target
