"""Crash recovery of the evidence store: stale temp files, orphan blobs, missing blobs.
Must not import flask."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.evidence.blobstore import BlobStore
from caseflow.evidence.models import (
    EvidenceItem,
)


@dataclass(frozen=True)
class RecoveryReport:
    temp_removed: int
    orphans_quarantined: tuple[str, ...]
    missing_blobs: tuple[str, ...]


def recover_store(
    session: Session, store: BlobStore, *, min_age_seconds: float = 3600.0
) -> RecoveryReport:
    """After a crash: remove stale upload temp files, move blobs no evidence row refers to
    (an upload killed between storing and committing) to `<root>/orphans/` (moved, never
    deleted), and list evidence rows whose blob is missing. Read-only on the database."""
    removed = store.clean_temp(min_age_seconds)
    known = set(
        session.scalars(
            sa.select(EvidenceItem.sha256).where(
                EvidenceItem.kind == "file", EvidenceItem.sha256.is_not(None)
            )
        )
    )
    session.rollback()
    orphans = tuple(store.quarantine_orphans(known, min_age_seconds))
    missing = tuple(sorted(sha for sha in known if not store.exists(sha)))
    return RecoveryReport(removed, orphans, missing)
