"""A report written as a file on request: a CSV (a BOM, its rows, a ``total`` row) under ``reports/`` behind a link that
expires. Apart from the BI files, so the report routes import no more than they need."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.exports import files, rules
from chalicelib.shared import clock
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.ids import new_id

LINK_SECONDS = 15 * 60  # a report's download link works this long (the file is kept a week)


def export_report(name: str, answer: dict[str, Any], file_name: str) -> dict[str, Any]:
    """Write a report's answer as a CSV file (a BOM, its rows and a ``total`` row) under ``reports/``, announce it
    (the audit log records who exported what) and hand out a link that expires."""
    export_id = new_id("rx_")
    columns, rows = rules.report_table(json.loads(json.dumps(answer, default=str)))
    data = rules.csv_file(columns, rows)
    key = f"reports/{clock.business_today().isoformat()}/{export_id}/{file_name}"
    files.put(key, data, "text/csv; charset=utf-8")
    tx = Transaction()
    emit(tx, new_event("report.exported", f"report/{export_id}", {
        "export_id": export_id, "report": name, "file_name": file_name, "rows": len(rows)}))  # fmt: skip
    tx.commit()
    link = files.link(key, LINK_SECONDS, file_name)
    return {"export_id": export_id, "report": name, "file_name": file_name, "rows": len(rows), "size_bytes": len(data),
            "url": link.url, "expires_at": clock.iso(link.expires_at)}  # fmt: skip
