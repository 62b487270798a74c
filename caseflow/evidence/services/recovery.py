"""Crash recovery of the evidence store: stale temp files, orphan blobs, missing blobs.
Must not import flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from caseflow import policy
from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.evidence.blobstore import BlobStore
from caseflow.evidence.models import (
    EvidenceItem,
)
from caseflow.uow import Transactions


@dataclass(frozen=True)
class RecoveryReport:
    temp_removed: int
    orphans_quarantined: tuple[str, ...]
    missing_blobs: tuple[str, ...]


def recover_store(
    tx: Transactions,
    actor: Actor,
    store: BlobStore,
    *,
    now: datetime,
    min_age_seconds: float = 3600.0,
) -> RecoveryReport:
    """After a crash: remove stale upload temp files, move blobs no evidence row refers to
    (an upload killed between storing and committing) to `<root>/orphans/` (moved, never
    deleted), and list evidence rows whose blob is missing. The rows are read in a short read
    transaction, the files handled outside any; the run is audited ("custody.recover",
    administration) in the boundary's unit of work. System or custody.audit only."""
    if not actor.is_system:
        policy.require_permission(actor, "custody.audit")
    with tx.read() as session:
        known = set(
            session.scalars(
                sa.select(EvidenceItem.sha256).where(
                    EvidenceItem.kind == "file", EvidenceItem.sha256.is_not(None)
                )
            )
        )
    removed = store.clean_temp(min_age_seconds)
    orphans = tuple(store.quarantine_orphans(known, min_age_seconds))
    missing = tuple(sorted(sha for sha in known if sha and not store.exists(sha)))
    report = RecoveryReport(removed, orphans, missing)
    record_event(
        tx.session,
        actor,
        "custody.recover",
        category="administration",
        outcome="success" if not missing else "failure",
        details={
            "temp_removed": removed,
            "orphans_quarantined": list(orphans),
            "missing_blobs": list(missing),
        },
        now=now,
    )
    return report
