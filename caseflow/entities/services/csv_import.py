"""Bulk CSV import of identifiers: every row validated first, nothing written until clean
(or `skip_bad`). Must not import flask."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from caseflow.actor import Actor
from caseflow.cases.services import case_access
from caseflow.entities.inputs import (
    CsvRow,
    check_kind,
)
from caseflow.entities.normalize import Normalized
from caseflow.entities.services.common import (
    _attach,
    _audit,
    _check_role,
    normalize_input,
)
from caseflow.entities.services.results import ImportReport, RowError
from caseflow.errors import ValidationError

# Imports from the web page and the API run inside one request: above this many rows they are
# refused and the command line (`caseflow entities import`, no cap, with a progress bar) is the
# way. 5,000 rows import in a few seconds; the review's 100,000 took 93 s in one request.
MAX_WEB_IMPORT_ROWS = 5_000
# The web form reads the file into memory: a file larger than this is refused unread.
MAX_WEB_IMPORT_BYTES = 8 * 1024 * 1024

CLI_HINT = "caseflow entities import CASE_REFERENCE FILE"


def check_web_import_size(*, rows: int | None = None, size: int | None = None) -> None:
    """Refuse, naming the cap and the way round it, an import too large for one request."""
    if size is not None and size > MAX_WEB_IMPORT_BYTES:
        raise ValidationError(
            f"File: {size:,} bytes; the web import takes files up to "
            f"{MAX_WEB_IMPORT_BYTES // (1024 * 1024)} MiB. Import larger files on the server "
            f"with the command line: {CLI_HINT}. Nothing was imported.",
            field="file",
        )
    if rows is not None and rows > MAX_WEB_IMPORT_ROWS:
        raise ValidationError(
            f"File: {rows:,} rows; the web import takes at most {MAX_WEB_IMPORT_ROWS:,}. "
            f"Import larger files on the server with the command line: {CLI_HINT}. "
            "Nothing was imported.",
            field="file",
        )


def import_csv(
    session: Session,
    actor: Actor,
    case_id: int,
    rows: Sequence[CsvRow],
    *,
    skip_bad: bool = False,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
    source_name: str | None = None,
    max_rows: int | Literal["web"] | None = "web",
) -> ImportReport:
    """Import identifiers into a case: every row is validated first and all bad rows are
    reported with their line numbers; nothing is written unless all rows are good or
    `skip_bad` is set (then the good ones are imported). More than `max_rows` rows (the web
    cap by default; the CLI passes None) are refused before any is read.

    `progress(done, total)` is called while writing. Audit: one "entity.import"
    (collection) record with the counts (each involvement row carries who, when and source
    "csv"); outbox rows per entity.
    """
    case, _ = case_access(session, actor, case_id, write=True)
    cap = MAX_WEB_IMPORT_ROWS if max_rows == "web" else max_rows
    if cap is not None and len(rows) > cap:
        check_web_import_size(rows=len(rows))
    errors: list[RowError] = []
    good: list[tuple[Normalized, str | None, str | None]] = []
    for row in rows:
        try:
            kind = check_kind(row.fields.get("kind") or "")
            role = _check_role(kind, row.fields.get("role"))
            normalized = normalize_input(kind, row.fields, default_region=case.lead_jurisdiction)
        except ValidationError as exc:
            errors.append(RowError(row.line, exc.field, exc.message))
            continue
        good.append((normalized, role, (row.fields.get("note") or "").strip() or None))
    if errors and not skip_bad:
        return ImportReport(0, errors, False, len(rows))
    new = 0
    for done, (normalized, role, note) in enumerate(good, 1):
        _, _, _, already = _attach(
            session, actor, case, normalized, role=role, note=note, source="csv", now=now
        )
        new += not already
        if progress is not None:
            progress(done, len(good))
    _audit(
        session,
        actor,
        "entity.import",
        "collection",
        case,
        object_type="case",
        object_id=case.id,
        now=now,
        details={
            "rows": len(rows),
            "imported": len(good),
            "new_in_case": new,
            "skipped": len(errors),
            "file": source_name,
        },
    )
    return ImportReport(len(good), errors, True, len(rows))
