"""Registering exhibits: physical items and external references, and streamed file
uploads into the content-addressed store. Must not import flask."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import ledger
from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.cases.models import Case
from caseflow.cases.services import case_for
from caseflow.errors import StorageUnavailable, ValidationError
from caseflow.evidence.blobstore import BlobStore, BlobTooLarge, StorageFault
from caseflow.evidence.models import (
    ITEM_KINDS,
    EvidenceItem,
)
from caseflow.evidence.services.common import (
    _append_event,
    _audit,
    _hex,
    _not_future,
    _text,
    raise_operator_alarm,
)
from caseflow.uow import Transactions, after_rollback, undo_on_rollback

log = logging.getLogger(__name__)

_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass(frozen=True)
class ItemDetails:
    """What an officer records about an exhibit when it is registered (all but the bytes)."""

    description: str
    acquired_by: str
    acquired_at: datetime
    source: str = ""
    acquisition_method: str = ""
    acquisition_tool: str = ""
    location: str = ""
    seal_number: str = ""


def _clean_details(details: ItemDetails, now: datetime) -> dict[str, Any]:
    return {
        "description": _text(details.description, "Description", "description", 5000, True),
        "acquired_by": _text(details.acquired_by, "Acquired by", "acquired_by", 200, True),
        "acquired_at": _not_future(details.acquired_at, "Acquired at", "acquired_at", now),
        "source": _text(details.source, "Source", "source", 500),
        "acquisition_method": _text(
            details.acquisition_method, "Acquisition method", "acquisition_method", 200
        ),
        "acquisition_tool": _text(
            details.acquisition_tool, "Acquisition tool", "acquisition_tool", 200
        ),
        "location": _text(details.location, "Location", "location", 500),
        "seal_number": _text(details.seal_number, "Seal number", "seal_number", 100),
    }


def _lock_case(session: Session, case_id: int) -> None:
    """Serialize item numbering per case (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE)."""
    session.execute(sa.select(Case.id).where(Case.id == case_id).with_for_update())


def _next_number(session: Session, case_id: int) -> int:
    _lock_case(session, case_id)
    last = session.scalar(
        sa.select(sa.func.max(EvidenceItem.number)).where(EvidenceItem.case_id == case_id)
    )
    return (last or 0) + 1


def _create_item(
    session: Session,
    actor: Actor,
    case: Case,
    kind: str,
    clean: dict[str, Any],
    now: datetime,
    **fields: Any,
) -> EvidenceItem:
    number = _next_number(session, case.id)
    item = EvidenceItem(
        case_id=case.id,
        number=number,
        reference=f"{case.reference}/E-{number:04d}",
        kind=kind,
        created_at=now,
        created_by_id=actor.user_id,
        **clean,
        **fields,
    )
    ledger.seal_personal(session, item)
    session.add(item)
    session.flush()
    _append_event(
        session,
        actor,
        item,
        case,
        action="acquired",
        ts_utc=clean["acquired_at"],
        now=now,
        location=clean["location"],
        tool=clean["acquisition_tool"],
        seal_ids=clean["seal_number"],
        to_custodian=clean["acquired_by"],
        observed_sha256=item.sha256,
        notes=clean["acquisition_method"],
        item_facts=item.facts(),
    )
    return item


def register_item(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    kind: str,
    details: ItemDetails,
    sha256: str | None = None,
    sha1: str | None = None,
    md5: str | None = None,
    size: int | None = None,
    now: datetime,
) -> EvidenceItem:
    """Register a physical item or an external reference (bytes held elsewhere, hashes
    recorded: SHA-256 required). Numbers it within the case, appends its "acquired" custody
    event, audits collection. Files go through upload_file instead."""
    if kind not in ITEM_KINDS or kind == "file":
        raise ValidationError("Kind: physical or external (upload files instead).", field="kind")
    case = case_for(session, actor, case_id, write=True)
    clean = _clean_details(details, now)
    hashes: dict[str, Any] = {}
    if kind == "external":
        hashes = {
            "sha256": _hex(sha256, "sha256", required=True),
            "sha1": _hex(sha1, "sha1"),
            "md5": _hex(md5, "md5"),
        }
        if size is not None and size < 0:
            raise ValidationError("Size: a whole number of bytes.", field="size")
        hashes["size"] = size
    item = _create_item(session, actor, case, kind, clean, now, **hashes)
    _audit(
        session,
        actor,
        "evidence.register",
        "collection",
        case.id,
        item,
        details={"reference": item.reference, "kind": kind},
    )
    return item


def safe_filename(name: str | None, fallback: str = "evidence.bin") -> str:
    """An ASCII stand-in for a client's filename (the `filename=` fallback of a download's
    Content-Disposition): last path part, only letters, digits, `._ -`, at most 200
    characters. The record keeps the name as given (original_filename)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _FILENAME_UNSAFE.sub("_", name).strip(" .")
    return name[:200] or fallback


def original_filename(name: str | None) -> str | None:
    """The client's file name as given, for the record (any script, emoji included): only
    its last path part (a client may send the folder too). Metadata only: it never becomes a
    filesystem path (blobs are stored by SHA-256) and is served with RFC 6266 `filename*`.
    A control character or more than 255 characters is refused (ValidationError)."""
    if not name:
        return None
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise ValidationError("File: the file name contains a control character.", field="file")
    if len(name) > 255:
        raise ValidationError("File: the file name is longer than 255 characters.", field="file")
    return name or None


def upload_file(
    tx: Transactions,
    actor: Actor,
    case_id: int,
    stream: BinaryIO,
    *,
    store: BlobStore,
    max_bytes: int,
    filename: str | None,
    media_type: str | None,
    details: ItemDetails,
    now: datetime,
    expected_size: int | None = None,
) -> EvidenceItem:
    """Stream a file into the content-addressed store and register it as an evidence item.

    Access is checked in a short read transaction; the bytes then go to the store (1 MiB
    chunks, SHA-256/SHA-1/MD5 in one pass, fsync, atomic link; identical bytes are stored
    once) with no database transaction open; then the item row, its "acquired" event (with
    the observed SHA-256) and the audit record are written in the boundary's unit of work,
    which commits them together. If that unit is rolled back or its commit fails (a disk
    too full for the database), a blob this upload created is removed again in the same
    request; a crash in between leaves at most a blob without a row, which recover_store
    finds. Over `max_bytes`: ValidationError, nothing stored.
    An empty file is valid evidence (size 0, the SHA-256 of no bytes). The file name is
    kept as given (original_filename), checked before any byte is stored.

    The store's filesystem full (or short of `expected_size` plus its reserve), read-only,
    refusing permission or failing with an I/O error: StorageUnavailable naming the
    problem, nothing stored, and after the rollback a failed "evidence.upload" audit record
    and a "storage-fault" operator alarm (logged at ERROR too).
    """
    with tx.read() as session:
        case_for(session, actor, case_id, write=True)
    clean = _clean_details(details, now)
    name = original_filename(filename)
    try:
        blob = store.ingest(stream, max_bytes, expected_size)
    except BlobTooLarge as exc:
        raise ValidationError(
            f"File: larger than the upload limit of {exc.limit:,} bytes.", field="file"
        ) from exc
    except StorageFault as exc:
        _storage_failure(tx.session, actor, case_id, exc, now)
        raise StorageUnavailable(
            f"File: {exc.message}. The administrators have been alerted.", field="file"
        ) from exc
    session = tx.session
    if blob.created:
        sha256 = blob.sha256
        undo_on_rollback(session, lambda: store.remove(sha256))
    case = case_for(session, actor, case_id, write=True)
    item = _create_item(
        session,
        actor,
        case,
        "file",
        clean,
        now,
        filename=name,
        media_type=(media_type or "application/octet-stream")[:127],
        size=blob.size,
        sha256=blob.sha256,
        sha1=blob.sha1,
        md5=blob.md5,
    )
    _audit(
        session,
        actor,
        "evidence.upload",
        "collection",
        case.id,
        item,
        details={"reference": item.reference, "size": blob.size, "stored": blob.created},
    )
    return item


_REMEDY = {
    "full": "Free space on the evidence store's disk (see `caseflow custody recover`).",
    "read-only": "The evidence store's filesystem was remounted read-only: check the disk.",
    "permission": "The evidence store's directories must be writable by the CaseFlow user.",
    "io": "The evidence store's disk reported an I/O error: check the disk and its logs.",
}


def _storage_failure(
    session: Session, actor: Actor, case_id: int, fault: StorageFault, now: datetime
) -> None:
    """Log, then (after the rollback) audit the failed attempt and raise the operator alarm."""
    log.error("evidence upload to case %s refused: %s", case_id, fault)
    detail = f"Evidence upload refused: {fault.message}. {_REMEDY[fault.problem]}"

    def write(s: Session) -> None:
        record_event(
            s,
            actor,
            "evidence.upload",
            category="collection",
            outcome="failure",
            object_type="case",
            object_id=case_id,
            case_id=case_id,
            purpose=actor.purpose_for(case_id),
            details={"problem": fault.problem, "error": fault.detail},
            now=now,
        )
        raise_operator_alarm(s, "storage-fault", detail, raised_by="evidence.upload", now=now)

    after_rollback(session, write)
