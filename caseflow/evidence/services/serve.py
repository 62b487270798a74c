"""Serving an item's bytes: re-hashed before a byte leaves, each opening a custody event.
Must not import flask."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from caseflow import policy, uow
from caseflow.actor import Actor
from caseflow.cases.services import case_access, case_for
from caseflow.errors import NotFoundError, PermissionDenied, ValidationError
from caseflow.evidence.blobstore import BlobNotFound, BlobStore
from caseflow.evidence.models import (
    EvidenceItem,
)
from caseflow.evidence.services.common import (
    IntegrityFailure,
    _append_event,
    _audit,
    _history,
    _item_in_case,
    _raise_alarm,
    _text,
)
from caseflow.uow import Transactions


@dataclass(frozen=True)
class ServedFile:
    """A verified file ready to stream: `chunks` re-hashes again while it is read."""

    item: EvidenceItem
    filename: str
    media_type: str
    size: int
    chunks: Iterator[bytes] = field(repr=False)


def _serve(
    tx: Transactions,
    actor: Actor,
    item_id: int,
    store: BlobStore,
    now: datetime,
    *,
    how: str,
    purpose: str,
) -> ServedFile:
    with tx.read() as session:
        item = _item_in_case(session, actor, item_id, write=False)
        _, access = case_access(session, actor, item.case_id)
        if not policy.may_open_evidence_file(access):
            raise PermissionDenied(
                "Evidence files are opened by members of the case only; reading with a "
                "purpose shows an item's details and custody. Ask the case owner to add you "
                "as a member if you need the file."
            )
        if item.kind != "file" or not item.sha256:
            raise NotFoundError("This evidence item has no file held by CaseFlow.")
        disposed = _history(session, item.id).disposed
        sha256, reference, case_id = item.sha256, item.reference, item.case_id
    # No transaction (SQLite: no lock at all) while a large file is re-hashed.
    intact = store.verify(sha256)
    session = tx.session
    case = case_for(session, actor, case_id, write=False)
    if not intact:
        missing = not store.exists(sha256)
        kind = "blob-missing" if missing else "blob-mismatch"

        def alarm(s: Session) -> None:
            kept = s.get(EvidenceItem, item_id)
            _raise_alarm(
                s,
                case_id,
                kept,
                kind,
                f"{reference}: stored bytes {'missing' if missing else 'no longer match'} "
                f"SHA-256 {sha256}",
                actor.username,
                now,
            )
            _audit(
                s,
                actor,
                f"evidence.{how}",
                "consultation",
                case_id,
                kept,
                outcome="failure",
                details={"reference": reference, "alarm": kind},
            )

        uow.after_rollback(session, alarm)
        raise IntegrityFailure(
            f"{reference}: the stored file does not match its recorded SHA-256; it was "
            "not served and an integrity alarm was raised."
        )
    if disposed:
        raise ValidationError("The item was disposed of; its file is no longer served.")
    item = _item_in_case(session, actor, item_id, write=False)
    _append_event(
        session,
        actor,
        item,
        case,
        action="accessed",
        ts_utc=now,
        now=now,
        purpose=_text(purpose, "Purpose", "purpose", 2000),
        observed_sha256=sha256,
        notes="opened in the browser" if how == "open" else "downloaded",
    )
    _audit(
        session,
        actor,
        f"evidence.{how}",
        "consultation",
        case.id,
        item,
        details={"reference": reference},
    )
    try:
        chunks = store.iter_verified(sha256)
    except BlobNotFound as exc:  # removed between the check and now
        raise IntegrityFailure(f"{reference}: the stored file disappeared.") from exc
    return ServedFile(
        item=item,
        filename=item.filename or f"{reference.replace('/', '_')}.bin",
        media_type=item.media_type or "application/octet-stream",
        size=item.size or 0,
        chunks=chunks,
    )


def open_file(
    tx: Transactions, actor: Actor, item_id: int, *, store: BlobStore, purpose: str, now: datetime
) -> ServedFile:
    """A member deliberately opens an item's file: re-hashed first (outside any transaction),
    then an "accessed" custody event and an audit record are written in the boundary's unit
    of work, which commits them before any byte is served. A mismatch refuses, and raises an
    integrity alarm on the case and audits the failure (kept after the rollback:
    IntegrityFailure)."""
    return _serve(tx, actor, item_id, store, now, how="open", purpose=purpose)


def download(
    tx: Transactions, actor: Actor, item_id: int, *, store: BlobStore, purpose: str, now: datetime
) -> ServedFile:
    """Like open_file, for a download served as an attachment (also an "accessed" event)."""
    return _serve(tx, actor, item_id, store, now, how="download", purpose=purpose)
