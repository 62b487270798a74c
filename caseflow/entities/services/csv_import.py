"""Bulk CSV import of identifiers: every row validated first, nothing written until clean
(or `skip_bad`). Must not import flask."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

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
) -> ImportReport:
    """Import identifiers into a case: every row is validated first and all bad rows are
    reported with their line numbers; nothing is written unless all rows are good or
    `skip_bad` is set (then the good ones are imported).

    `progress(done, total)` is called while writing. Audit: one "entity.import"
    (collection) record with the counts (each involvement row carries who, when and source
    "csv"); outbox rows per entity.
    """
    case, _ = case_access(session, actor, case_id, write=True)
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
