"""Crash recovery of the evidence store: stale temp files, orphan blobs, missing blobs.
Must not import flask."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from caseflow import policy
from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.errors import ConflictError, ValidationError
from caseflow.evidence.blobstore import BlobStore
from caseflow.evidence.models import (
    EvidenceItem,
)
from caseflow.uow import Transactions

RECOVERY_MODES = ("quarantine", "dry-run", "delete")


@dataclass(frozen=True)
class RecoveryReport:
    temp_removed: int
    orphans_quarantined: tuple[str, ...]
    missing_blobs: tuple[str, ...]
    mode: str = "quarantine"
    orphans_found: tuple[str, ...] = ()  # what a dry run would quarantine or delete
    orphan_bytes: int = 0
    orphans_deleted: tuple[str, ...] = ()
    # Given back by a dry run; `delete` needs it, so it deletes exactly what was shown.
    confirmation: str = field(default="")


def orphan_confirmation(names: list[str] | tuple[str, ...]) -> str:
    """A short code naming one set of orphans: a dry run prints it, a deletion must quote it."""
    joined = "\n".join(sorted(names)).encode()
    return hashlib.sha256(joined).hexdigest()[:12]


def check_recovery_is_safe(
    store: BlobStore,
    min_age_seconds: float | None,
    grace_seconds: float,
    *,
    force: bool,
    touches: bool,
) -> float:
    """The minimum age a recovery may use while CaseFlow may be running, or a refusal.

    An upload stores its blob, then commits its row: a blob younger than the upload grace
    period (`UPLOAD_TEMP_GRACE_SECONDS`) may belong to a row about to commit, so the minimum
    age defaults to that period and a shorter one needs `force` (only when no CaseFlow
    process runs). A recovery that moves or deletes files is refused while uploads are being
    written (temp files younger than the grace period), unless `force`."""
    if min_age_seconds is None:
        min_age_seconds = grace_seconds
    if force:
        return min_age_seconds
    if min_age_seconds < grace_seconds:
        raise ValidationError(
            f"Min age: at least the upload grace period ({grace_seconds:.0f} s), so that an "
            "upload about to commit keeps its file; pass --force only when no CaseFlow "
            "process is running.",
            field="min_age",
        )
    in_flight = store.uploads_in_flight(grace_seconds) if touches else 0
    if in_flight:
        raise ConflictError(
            f"{in_flight} upload{' is' if in_flight == 1 else 's are'} being written to the "
            "evidence store: run the recovery when they have finished (or with --force when "
            "no CaseFlow process is running)."
        )
    return min_age_seconds


def orphan_blobs(
    tx: Transactions, actor: Actor, store: BlobStore, *, min_age_seconds: float
) -> tuple[str, ...]:
    """Stored blobs no evidence row refers to and older than `min_age_seconds` (an upload
    that never committed, or a row that is gone), and those an earlier recovery moved to
    `<root>/orphans/`; reported by `caseflow custody verify`. System or custody.audit."""
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
    return tuple(p.name for p in store.find_orphans(known, min_age_seconds))


def recover_store(
    tx: Transactions,
    actor: Actor,
    store: BlobStore,
    *,
    now: datetime,
    min_age_seconds: float | None = None,
    grace_seconds: float = 3600.0,
    force: bool = False,
    mode: str = "quarantine",
    confirm: str | None = None,
) -> RecoveryReport:
    """After a crash: remove stale upload temp files, deal with blobs no evidence row refers
    to (an upload killed between storing and committing), and list evidence rows whose blob
    is missing. The rows are read in a short read transaction, the files handled outside any;
    the run is audited ("custody.recover", administration) in the boundary's unit of work.
    System or custody.audit only.

    Orphans are, by `mode`: "quarantine" moved to `<root>/orphans/` (same disk, nothing
    freed); "dry-run" only listed (nothing touched, temp files included) with their size and
    a confirmation code; "delete" deleted, together with earlier quarantined ones, to free
    the disk, only when `confirm` is the code a dry run gave for the same set
    (ValidationError otherwise: the set changed or no dry run was made).

    Safe while CaseFlow runs: blobs younger than `min_age_seconds` are left alone, which
    defaults to the upload grace period `grace_seconds`; a shorter one, or a run while
    uploads are being written, is refused unless `force` (check_recovery_is_safe)."""
    if not actor.is_system:
        policy.require_permission(actor, "custody.audit")
    if mode not in RECOVERY_MODES:
        raise ValidationError(f"Mode: one of {', '.join(RECOVERY_MODES)}.", field="mode")
    min_age_seconds = check_recovery_is_safe(
        store, min_age_seconds, grace_seconds, force=force, touches=mode != "dry-run"
    )
    with tx.read() as session:
        known = set(
            session.scalars(
                sa.select(EvidenceItem.sha256).where(
                    EvidenceItem.kind == "file", EvidenceItem.sha256.is_not(None)
                )
            )
        )
    found = [p for p in store.find_orphans(known, min_age_seconds) if p.name not in known]
    names = tuple(p.name for p in found)
    code = orphan_confirmation(names)
    size = sum(p.stat().st_size for p in found if p.exists())
    if mode == "delete" and confirm != code:
        raise ValidationError(
            "Confirm: run a dry run first and quote its confirmation code; the orphans "
            f"found now give {code}.",
            field="confirm",
        )
    removed = 0
    quarantined: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    if mode != "dry-run":
        removed = store.clean_temp(min_age_seconds)
    if mode == "quarantine":
        quarantined = tuple(store.quarantine_orphans(known, min_age_seconds))
    elif mode == "delete":
        deleted = tuple(store.delete_orphans(found, known))
    missing = tuple(sorted(sha for sha in known if sha and not store.exists(sha)))
    report = RecoveryReport(
        removed, quarantined, missing, mode, names, size, deleted, code if names else ""
    )
    record_event(
        tx.session,
        actor,
        "custody.recover",
        category="administration",
        outcome="success" if not missing else "failure",
        details={
            "mode": mode,
            "min_age_seconds": min_age_seconds,
            "forced": force,
            "temp_removed": removed,
            "orphans_found": list(names),
            "orphan_bytes": size,
            "orphans_quarantined": list(quarantined),
            "orphans_deleted": list(deleted),
            "missing_blobs": list(missing),
        },
        now=now,
    )
    return report
