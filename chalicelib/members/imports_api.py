"""Member import routes: an import job for a CSV file, uploaded straight to storage, with progress and errors."""

from __future__ import annotations

from dataclasses import asdict

from chalice.app import Response

from chalicelib.identity.access import Staff
from chalicelib.identity.rules import Permission
from chalicelib.members import imports
from chalicelib.members.schemas import ImportCreate, ImportCreated, ImportOut, UploadOut
from chalicelib.shared import clock
from chalicelib.shared.errors import NotFound
from chalicelib.shared.http import Reply, RequestContext, endpoint

IMPORT = Staff(Permission.MEMBERS_IMPORT)


@endpoint("/v1/members/imports", "POST", summary="Create a member import and get its upload URL",
          tag="member imports", access=IMPORT, body=ImportCreate, response=ImportCreated, status=201)  # fmt: skip
def create_import(ctx: RequestContext) -> Reply:
    """Create a member import (会员导入, a migration from an old system) and get where to upload its CSV file: a
    presigned `PUT` (`upload.url`, `upload.headers`), valid 15 minutes, straight to storage, so files of any
    size up to 64 MiB never pass through the API. Then `POST /v1/members/imports/{import_id}/start`. The file is
    the one `python -m chalicelib.cli members import` reads (header row of API field names, `name` and `phone`
    required). Staff scoped to stores import only members of those stores (rows at other stores are error rows).
    Created and started imports are in the audit log."""
    body: ImportCreate = ctx.body
    status, upload = imports.create_import(body.encoding, ctx.caller.scope, ctx.caller.stores)
    created = ImportCreated(
        **asdict(status),
        upload=UploadOut(url=upload.url, method="PUT", headers=upload.headers, expires_at=clock.iso(upload.expires_at)),
    )
    return Reply(created, status=201, headers={"Location": f"/v1/members/imports/{status.import_id}"})


@endpoint("/v1/members/imports/{import_id}/start", "POST", summary="Start a member import once its file is up",
          tag="member imports", access=IMPORT, response=ImportOut, status=202,
          errors=(NotFound, imports.ImportAlreadyStarted, imports.ImportFileMissing,
                  imports.ImportFileTooLarge))  # fmt: skip
def start_import(ctx: RequestContext, import_id: str) -> Reply:
    """Start an import whose file was uploaded; answers 202 (`planning`). A worker reads the whole file (a
    byte that is not of its encoding, or a bad header, fails the import with the reason and writes nothing),
    splits it into parts of 500 rows and queues one message per part; workers import the parts in parallel, each
    exactly once, through the same rules as a registration. Follow it with `GET /v1/members/imports/{import_id}`.

    Staff scoped to stores reach only imports made within their stores.

    Errors: 404 for an unknown import (or one beyond the caller's stores); 409 `import-already-started`; 409
    `import-file-missing` before the upload; 413 `import-file-too-large` over 64 MiB."""
    return Reply(ImportOut(**asdict(imports.start_import(import_id, ctx.caller.stores))), status=202)


@endpoint("/v1/members/imports/{import_id}", "GET", summary="A member import's progress", tag="member imports",
          access=IMPORT, response=ImportOut, errors=(NotFound,))  # fmt: skip
def get_import(ctx: RequestContext, import_id: str) -> Reply:
    """A member import's status and counts so far: rows, imported, skipped (already brought in by an earlier
    import: a re-run adds nothing), failed rows and error-report lines, parts done of the parts planned, start
    and finish times. An import that made no progress for 15 minutes is `failed` (a local stack stopped during an
    import loses its queued parts; import the file again: rows already in are skipped).

    Errors: 404 for an unknown import (or one beyond the caller's stores)."""
    return Reply(ImportOut(**asdict(imports.get_import(import_id, ctx.caller.stores))))


@endpoint("/v1/members/imports/{import_id}/errors", "GET", summary="A member import's error report (CSV)",
          tag="member imports", access=IMPORT, errors=(NotFound,), content_type="text/csv")  # fmt: skip
def get_import_errors(ctx: RequestContext, import_id: str) -> Response:
    """The import's error rows as CSV (UTF-8 with a byte order mark, for spreadsheets): `row` (the line of the
    file, the header being line 1), `field` (the column), `reason` and `原因` (the reason in Chinese, for the
    operator who mends the file), in file order: the same report the CLI writes next to the file. It names lines
    and columns, never a row's values. Complete once the import is.

    Errors: 404 for an unknown import (or one beyond the caller's stores)."""
    return Response(
        body=imports.error_report(import_id, ctx.caller.stores), status_code=200,
        headers={"Content-Type": "text/csv; charset=utf-8",
                 "Content-Disposition": f'attachment; filename="{import_id}.errors.csv"'},
    )  # fmt: skip
