"""Serving an item's bytes: re-hashed before a byte leaves, each opening a custody event.
Must not import flask."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from caseflow.actor import Actor
from caseflow.cases.services import case_for
from caseflow.errors import NotFoundError, ValidationError
from caseflow.evidence.blobstore import BlobNotFound, BlobStore
from caseflow.evidence.models import (
    EvidenceItem,
)
from caseflow.evidence.services.common import (
    IntegrityFailure,
    _append_event,
    _audit,
    _events,
    _item_in_case,
    _raise_alarm,
    _text,
)


@dataclass(frozen=True)
class ServedFile:
    """A verified file ready to stream: `chunks` re-hashes again while it is read."""

    item: EvidenceItem
    filename: str
    media_type: str
    size: int
    chunks: Iterator[bytes] = field(repr=False)


def _serve(
    session: Session,
    actor: Actor,
    item_id: int,
    store: BlobStore,
    now: datetime,
    *,
    how: str,
    purpose: str,
) -> ServedFile:
    item = _item_in_case(session, actor, item_id, write=False)
    if item.kind != "file" or not item.sha256:
        raise NotFoundError("This evidence item has no file held by CaseFlow.")
    events = _events(session, item.id)
    session.rollback()  # no transaction (SQLite: no write lock) while re-hashing a large file
    intact = store.verify(item.sha256)
    case = case_for(session, actor, item.case_id, write=False)
    if not intact:
        missing = not store.exists(item.sha256)
        kind = "blob-missing" if missing else "blob-mismatch"
        _raise_alarm(
            session,
            case.id,
            item,
            kind,
            f"{item.reference}: stored bytes {'missing' if missing else 'no longer match'} "
            f"SHA-256 {item.sha256}",
            actor.username,
            now,
        )
        _audit(
            session,
            actor,
            f"evidence.{how}",
            "consultation",
            case.id,
            item,
            outcome="failure",
            details={"reference": item.reference, "alarm": kind},
        )
        session.commit()
        raise IntegrityFailure(
            f"{item.reference}: the stored file does not match its recorded SHA-256; it was "
            "not served and an integrity alarm was raised."
        )
    action = "accessed"
    if any(e.action == "disposed" for e in events):
        raise ValidationError("The item was disposed of; its file is no longer served.")
    _append_event(
        session,
        actor,
        item,
        case,
        action=action,
        ts_utc=now,
        now=now,
        purpose=_text(purpose, "Purpose", "purpose", 2000),
        observed_sha256=item.sha256,
        notes="opened in the browser" if how == "open" else "downloaded",
    )
    _audit(
        session,
        actor,
        f"evidence.{how}",
        "consultation",
        case.id,
        item,
        details={"reference": item.reference},
    )
    session.commit()
    try:
        chunks = store.iter_verified(item.sha256)
    except BlobNotFound as exc:  # removed between the check and now
        raise IntegrityFailure(f"{item.reference}: the stored file disappeared.") from exc
    return ServedFile(
        item=item,
        filename=item.filename or f"{item.reference.replace('/', '_')}.bin",
        media_type=item.media_type or "application/octet-stream",
        size=item.size or 0,
        chunks=chunks,
    )


def open_file(
    session: Session, actor: Actor, item_id: int, *, store: BlobStore, purpose: str, now: datetime
) -> ServedFile:
    """A member deliberately opens an item's file: re-hashed first, then an "accessed" custody
    event and an audit record are committed before any byte is served. A mismatch refuses,
    raises an integrity alarm on the case and audits the failure (IntegrityFailure)."""
    return _serve(session, actor, item_id, store, now, how="open", purpose=purpose)


def download(
    session: Session, actor: Actor, item_id: int, *, store: BlobStore, purpose: str, now: datetime
) -> ServedFile:
    """Like open_file, for a download served as an attachment (also an "accessed" event)."""
    return _serve(session, actor, item_id, store, now, how="download", purpose=purpose)
