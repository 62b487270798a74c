"""Evidence rules: registering items, streamed uploads, custody events, downloads, verification.

Each use case checks access through caseflow.policy and caseflow.cases.services.case_for,
writes its audit record in the same transaction and commits once (record_export and
custody_extract are parts of the caller's export transaction and do not commit).
Evidence bytes are never modified or deleted here. Must not import flask.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, BinaryIO, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import ledger, policy
from caseflow.actor import Actor
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import record_event
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.cases.services import case_for
from caseflow.clock import as_utc
from caseflow.errors import ConflictError, NotFoundError, ValidationError
from caseflow.evidence.blobstore import BlobNotFound, BlobStore, BlobTooLarge
from caseflow.evidence.models import (
    CUSTODY_ACTIONS,
    ITEM_KINDS,
    CustodyEvent,
    EvidenceItem,
    IntegrityAlarm,
)
from exports.merkle import MerkleTree
from exports.model import CustodyEntryProof, CustodyExtract
from exports.verify import canonical_bytes, leaf_hash, verify_inclusion

_HEX = {"sha256": 64, "sha1": 40, "md5": 32}
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
# Actions after which an item normally needs nothing more (no "stale custody" gap).
_FINAL_ACTIONS = frozenset({"disposed", "returned"})
SEAL_ACTIONS = frozenset({"sealed", "unsealed"})


class IntegrityFailure(ConflictError):
    """Stored bytes no longer match their recorded SHA-256: the file is not served."""

    code = "integrity_failure"


# --- registering -------------------------------------------------------------------------------


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


def _text(value: str | None, label: str, field_name: str, limit: int, required=False) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise ValidationError(f"{label}: required.", field=field_name)
    if len(value) > limit:
        raise ValidationError(f"{label}: at most {limit} characters.", field=field_name)
    return value


def _not_future(moment: datetime | None, label: str, field_name: str, now: datetime) -> datetime:
    if moment is None:
        raise ValidationError(f"{label}: required.", field=field_name)
    if moment.tzinfo is None:
        raise ValidationError(f"{label}: give the time in UTC.", field=field_name)
    if as_utc(moment) > now:
        raise ValidationError(f"{label}: may not be in the future.", field=field_name)
    return as_utc(moment)


def _hex(value: str | None, algorithm: str, required: bool = False) -> str | None:
    value = (value or "").strip().lower()
    if not value:
        if required:
            raise ValidationError(f"{algorithm.upper()}: required.", field=algorithm)
        return None
    if len(value) != _HEX[algorithm] or not re.fullmatch(r"[0-9a-f]+", value):
        raise ValidationError(
            f"{algorithm.upper()}: {_HEX[algorithm]} hexadecimal digits.", field=algorithm
        )
    return value


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


def _actor_record(session: Session, actor: Actor) -> dict[str, Any]:
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    return {
        "id": actor.user_id,
        "name": user.display_name if user else actor.username,
        "username": actor.username,
        "role": actor.role,
        "organisation": user.organisation if user else "",
    }


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    category: str,
    case_id: int,
    item: EvidenceItem | None = None,
    **kw: Any,
) -> None:
    record_event(
        session,
        actor,
        action,
        category=category,
        object_type="evidence_item" if item is not None else "case",
        object_id=item.id if item is not None else case_id,
        case_id=case_id,
        purpose=kw.pop("purpose", None) or actor.purpose_for(case_id),
        **kw,
    )


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
    event, audits collection, commits. Files go through upload_file instead."""
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
    session.commit()
    return item


def safe_filename(name: str | None, fallback: str = "evidence.bin") -> str:
    """A display/download name from a client's filename: last path part, no control or
    shell-special characters, at most 200 characters. Never used as a filesystem path."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _FILENAME_UNSAFE.sub("_", name).strip(" .")
    return name[:200] or fallback


def check_upload_access(session: Session, actor: Actor, case_id: int) -> None:
    """Raise unless the actor may add evidence to the case; ends the read transaction so no
    database lock is held while the bytes stream in."""
    case_for(session, actor, case_id, write=True)
    session.rollback()


def upload_file(
    session: Session,
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
) -> EvidenceItem:
    """Stream a file into the content-addressed store and register it as an evidence item.

    The bytes go to the store first (1 MiB chunks, SHA-256/SHA-1/MD5 in one pass, fsync,
    atomic link; identical bytes are stored once) with no database transaction open; then the
    item row, its "acquired" event (with the observed SHA-256) and the audit record commit
    together. A crash in between leaves at most a blob without a row, which recover_store
    quarantines. Over `max_bytes`: ValidationError, nothing stored.
    """
    check_upload_access(session, actor, case_id)
    clean = _clean_details(details, now)
    try:
        blob = store.ingest(stream, max_bytes)
    except BlobTooLarge as exc:
        raise ValidationError(
            f"File: larger than the upload limit of {exc.limit:,} bytes.", field="file"
        ) from exc
    if blob.size == 0:
        raise ValidationError("File: the upload is empty.", field="file")
    case = case_for(session, actor, case_id, write=True)
    item = _create_item(
        session,
        actor,
        case,
        "file",
        clean,
        now,
        filename=safe_filename(filename),
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
    session.commit()
    return item


# --- custody events ------------------------------------------------------------------------------


def _append_event(
    session: Session,
    actor: Actor,
    item: EvidenceItem,
    case: Case,
    *,
    action: str,
    ts_utc: datetime,
    now: datetime,
    **fields: Any,
) -> CustodyEvent:
    event = CustodyEvent(
        event_id=str(uuid.uuid4()),
        case_id=case.id,
        item_id=item.id,
        case_reference=case.reference,
        exhibit_number=item.reference,
        root_exhibit_number=item.reference,
        evidence_sha256=item.sha256,
        action=action,
        actor=_actor_record(session, actor),
        ts_utc=ts_utc,
        recorded_at=now,
        from_custodian=fields.pop("from_custodian", None) or None,
        to_custodian=fields.pop("to_custodian", None) or None,
        location=fields.pop("location", "") or "",
        purpose=fields.pop("purpose", "") or "",
        authority_ref=fields.pop("authority_ref", "") or "",
        tool=fields.pop("tool", "") or "",
        seal_ids=fields.pop("seal_ids", "") or "",
        seal_condition=fields.pop("seal_condition", "") or "",
        observed_sha256=fields.pop("observed_sha256", None) or None,
        notes=fields.pop("notes", "") or "",
        corrects_event_id=fields.pop("corrects_event_id", None) or None,
    )
    if fields:
        raise TypeError(f"unknown custody fields: {sorted(fields)}")
    return ledger.append(session, event)


def _item_in_case(session: Session, actor: Actor, item_id: int, write: bool) -> EvidenceItem:
    item = session.get(EvidenceItem, item_id)
    if item is None:
        raise NotFoundError("No such evidence item, or you cannot see it.")
    case_for(session, actor, item.case_id, write=write)
    return item


def _events(session: Session, item_id: int) -> list[CustodyEvent]:
    return list(
        session.scalars(
            sa.select(CustodyEvent)
            .where(CustodyEvent.item_id == item_id)
            .order_by(CustodyEvent.seq)
        )
    )


def validate_custody_event(
    *,
    action: str,
    ts_utc: datetime | None,
    now: datetime,
    from_custodian: str = "",
    to_custodian: str = "",
    seal_ids: str = "",
    earlier: Sequence[CustodyEvent] = (),
    corrects_event_id: str | None = None,
) -> datetime:
    """The rules every custody event obeys; returns the UTC time. Raises ValidationError:
    a known action; a time, not in the future; a transfer names who released and who
    received; a seal event names the seal; nothing follows "disposed" except a correction;
    a correction refers to an earlier event of the same item."""
    if action not in CUSTODY_ACTIONS:
        raise ValidationError(f"Action: one of {', '.join(CUSTODY_ACTIONS)}.", field="action")
    moment = _not_future(ts_utc, "Time", "ts_utc", now)
    if action == "transferred":
        if not from_custodian.strip():
            raise ValidationError("Released by: a transfer names both parties.", field="from")
        if not to_custodian.strip():
            raise ValidationError("Received by: a transfer names both parties.", field="to")
    if action in SEAL_ACTIONS and not seal_ids.strip():
        raise ValidationError("Seal number: a seal event names the seal.", field="seal_ids")
    if corrects_event_id:
        if corrects_event_id not in {e.event_id for e in earlier}:
            raise ValidationError(
                "Corrects: the event corrected must be an earlier event of this item.",
                field="corrects_event_id",
            )
    elif any(e.action == "disposed" for e in earlier):
        raise ValidationError(
            "Action: the item was disposed of; only corrections may follow.", field="action"
        )
    return moment


def record_custody_event(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    action: str,
    ts_utc: datetime | None,
    now: datetime,
    from_custodian: str = "",
    to_custodian: str = "",
    location: str = "",
    purpose: str = "",
    authority_ref: str = "",
    tool: str = "",
    seal_ids: str = "",
    seal_condition: str = "",
    observed_sha256: str | None = None,
    notes: str = "",
    corrects_event_id: str | None = None,
) -> CustodyEvent:
    """Append a custody event for an item (members only), audited as alteration; commits.

    Nothing is ever edited: a correction is a new event whose `corrects_event_id` names the
    event it corrects. An observed SHA-256 that differs from the recorded one raises an
    integrity alarm on the case (the event is still recorded: it is what was observed).
    """
    item = _item_in_case(session, actor, item_id, write=True)
    case = session.get(Case, item.case_id)
    assert case is not None
    texts = {
        "from_custodian": _text(from_custodian, "Released by", "from", 200),
        "to_custodian": _text(to_custodian, "Received by", "to", 200),
        "location": _text(location, "Location", "location", 500),
        "purpose": _text(purpose, "Purpose", "purpose", 2000),
        "authority_ref": _text(authority_ref, "Authority", "authority_ref", 200),
        "tool": _text(tool, "Tool", "tool", 200),
        "seal_ids": _text(seal_ids, "Seal number", "seal_ids", 200),
        "seal_condition": _text(seal_condition, "Seal condition", "seal_condition", 200),
        "notes": _text(notes, "Notes", "notes", 5000),
    }
    moment = validate_custody_event(
        action=action,
        ts_utc=ts_utc,
        now=now,
        from_custodian=texts["from_custodian"],
        to_custodian=texts["to_custodian"],
        seal_ids=texts["seal_ids"],
        earlier=_events(session, item.id),
        corrects_event_id=(corrects_event_id or "").strip() or None,
    )
    observed = _hex(observed_sha256, "sha256")
    event = _append_event(
        session,
        actor,
        item,
        case,
        action=action,
        ts_utc=moment,
        now=now,
        observed_sha256=observed,
        corrects_event_id=(corrects_event_id or "").strip() or None,
        **texts,
    )
    if observed and item.sha256 and observed != item.sha256:
        _raise_alarm(
            session,
            item.case_id,
            item,
            "blob-mismatch",
            f"{item.reference}: custody event {event.event_id} observed SHA-256 {observed}, "
            f"recorded {item.sha256}",
            actor.username,
            now,
        )
    _audit(
        session,
        actor,
        "custody.record",
        "alteration",
        case.id,
        item,
        details={"reference": item.reference, "action": action, "seq": event.seq},
    )
    session.commit()
    return event


@dataclass(frozen=True)
class ItemCustody:
    item: EvidenceItem
    case: Case
    events: tuple[CustodyEvent, ...]
    alarms: tuple[IntegrityAlarm, ...]

    @property
    def disposed(self) -> bool:
        return any(e.action == "disposed" for e in self.events)


def custody_for_item(session: Session, actor: Actor, item_id: int) -> ItemCustody:
    """An item with its custody timeline (ledger order) and alarms; audited as consultation.
    Shows metadata and hashes only: opening the bytes is open_file (a custody event)."""
    item = _item_in_case(session, actor, item_id, write=False)
    case = session.get(Case, item.case_id)
    assert case is not None
    alarms = session.scalars(
        sa.select(IntegrityAlarm)
        .where(IntegrityAlarm.item_id == item.id)
        .order_by(IntegrityAlarm.id.desc())
    )
    result = ItemCustody(item, case, tuple(_events(session, item.id)), tuple(alarms))
    _audit(session, actor, "evidence.view", "consultation", case.id, item)
    session.commit()
    return result


def items_for_case(session: Session, actor: Actor, case: Case) -> list[EvidenceItem]:
    """A case's items in number order (the caller has checked access to `case`)."""
    return list(
        session.scalars(
            sa.select(EvidenceItem)
            .where(EvidenceItem.case_id == case.id)
            .order_by(EvidenceItem.number)
        )
    )


# --- serving bytes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServedFile:
    """A verified file ready to stream: `chunks` re-hashes again while it is read."""

    item: EvidenceItem
    filename: str
    media_type: str
    size: int
    chunks: Iterator[bytes] = field(repr=False)


def _raise_alarm(
    session: Session,
    case_id: int | None,
    item: EvidenceItem | None,
    kind: str,
    detail: str,
    raised_by: str,
    now: datetime,
) -> IntegrityAlarm:
    alarm = IntegrityAlarm(
        case_id=case_id,
        item_id=item.id if item else None,
        kind=kind,
        detail=detail,
        raised_at=now,
        raised_by=raised_by,
    )
    session.add(alarm)
    session.flush()
    return alarm


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


# --- exports (used by the MLA packet builder) ----------------------------------------------------


def record_export(
    session: Session,
    actor: Actor,
    item_ids: Iterable[int],
    recipient: str,
    now: datetime,
    *,
    purpose: str = "",
    authority_ref: str = "",
) -> list[CustodyEvent]:
    """Append an "exported" custody event per item (released by the actor, received by
    `recipient`) inside the caller's export transaction: flushed, NOT committed, and no audit
    record (the caller audits the disclosure once for the whole packet). Needs write access
    to each item's case; disposed items are refused."""
    recipient = _text(recipient, "Recipient", "recipient", 200, required=True)
    events = []
    for item_id in item_ids:
        item = _item_in_case(session, actor, item_id, write=True)
        case = session.get(Case, item.case_id)
        assert case is not None
        validate_custody_event(
            action="exported", ts_utc=now, now=now, earlier=_events(session, item.id)
        )
        events.append(
            _append_event(
                session,
                actor,
                item,
                case,
                action="exported",
                ts_utc=now,
                now=now,
                from_custodian=_actor_record(session, actor)["name"],
                to_custodian=recipient,
                purpose=purpose,
                authority_ref=authority_ref,
                observed_sha256=item.sha256,
            )
        )
    return events


class CustodyExtractResult(NamedTuple):
    """Custody entries of some items, each with its inclusion proof in a fresh signed head."""

    entries: tuple[CustodyEntryProof, ...]
    checkpoint_text: str
    public_key_b64: str
    key_name: str
    tree_size: int

    def to_packet(self) -> CustodyExtract:
        """The exports.model form the packet builder takes."""
        return CustodyExtract(
            entries=self.entries,
            tree_size=self.tree_size,
            checkpoint_text=self.checkpoint_text,
            public_key=self.public_key_b64,
            key_name=self.key_name,
        )


def custody_extract(
    session: Session,
    item_ids: Iterable[int],
    now: datetime,
    *,
    signer: ledger.LedgerSigner | None = None,
    timestamper: ledger.Timestamper | None = None,
) -> CustodyExtractResult:
    """Sign a fresh custody tree head (stored, not committed) and return every custody entry
    of the items (ledger order) with its canonical record, entry hash and RFC 9162 inclusion
    proof against that head. No access check: the caller has checked the items' cases."""
    signer = signer or ledger.default_signer()
    head = ledger.sign_tree_head(session, CustodyEvent, signer, now, timestamper=timestamper)
    tree = ledger.build_tree(session, CustodyEvent)
    ids = list(item_ids)
    rows = session.scalars(
        sa.select(CustodyEvent)
        .where(CustodyEvent.item_id.in_(ids), CustodyEvent.seq <= head.tree_size)
        .order_by(CustodyEvent.seq)
    )
    entries = []
    for row in rows:
        record = row.ledger_record()
        entries.append(
            CustodyEntryProof(
                index=row.seq - 1,
                record=record,
                entry_hash=row.entry_hash,
                inclusion_proof=tuple(
                    p.hex() for p in tree.inclusion_proof(row.seq - 1, head.tree_size)
                ),
            )
        )
    return CustodyExtractResult(
        tuple(entries), head.checkpoint, signer.public_key_b64, signer.key_name, head.tree_size
    )


def sign_checkpoints(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    signer: ledger.LedgerSigner | None = None,
    timestamper: ledger.Timestamper | None = None,
) -> list[ledger.LedgerTreeHead]:
    """Sign the custody and the audit ledger's current heads (CLI, audit page); commits."""
    if not actor.is_system:
        policy.require_permission(actor, "custody.audit")
    signer = signer or ledger.default_signer()
    heads = [
        ledger.sign_tree_head(session, CustodyEvent, signer, now, timestamper=timestamper),
        ledger.sign_tree_head(session, AuditEvent, signer, now, timestamper=timestamper),
    ]
    record_event(
        session,
        actor,
        "ledger.checkpoint",
        category="administration",
        details={"custody_size": heads[0].tree_size, "audit_size": heads[1].tree_size},
        now=now,
    )
    session.commit()
    return heads


# --- verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlobProblem:
    reference: str
    sha256: str
    reason: str


@dataclass(frozen=True)
class CustodyReport:
    """Everything `caseflow custody verify` checks; `first_problem` names the first failure."""

    case_id: int | None
    chain: ledger.ChainReport
    heads: ledger.HeadsReport
    link_problems: tuple[str, ...]
    blob_problems: tuple[BlobProblem, ...]
    blobs_checked: int
    verified_at: datetime

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.heads.ok and not self.link_problems and not self.blob_problems

    @property
    def first_problem(self) -> str | None:
        if not self.chain.ok:
            return f"custody ledger entry seq {self.chain.first_bad_seq}: {self.chain.reason}"
        if self.heads.problems:
            return self.heads.problems[0]
        if self.link_problems:
            return self.link_problems[0]
        if self.blob_problems:
            bad = self.blob_problems[0]
            return f"blob of {bad.reference} ({bad.sha256}): {bad.reason}"
        return None


def verify_custody(
    session: Session,
    store: BlobStore,
    case_id: int | None = None,
    *,
    actor: Actor | None = None,
    signer: ledger.LedgerSigner | None = None,
    check_timestamp: Any = None,
    now: datetime,
) -> CustodyReport:
    """Recompute the custody ledger: every entry hash and chain link, the Merkle tree against
    every stored signed head (signatures, consistency, RFC 3161 tokens when a checker is
    given), each entry's links to its item, and re-hash every stored blob (of one case, or
    all). Failures raise integrity alarms; the run is audited ("custody.verify", which the
    audit page shows as "last verified") and committed."""
    actor = actor or Actor.system("custody-verify")
    signer = signer or ledger.default_signer()
    chain = ledger.verify_chain(session, CustodyEvent)
    tree = _tree_or_none(session)
    heads = (
        ledger.verify_tree_heads(
            session, CustodyEvent, signer, tree=tree, check_timestamp=check_timestamp
        )
        if tree is not None
        else ledger.HeadsReport("custody", 0, ("ledger rows unreadable",), 0, "")
    )
    items_stmt = sa.select(EvidenceItem).order_by(EvidenceItem.id)
    events_stmt = sa.select(CustodyEvent).order_by(CustodyEvent.seq)
    if case_id is not None:
        items_stmt = items_stmt.where(EvidenceItem.case_id == case_id)
        events_stmt = events_stmt.where(CustodyEvent.case_id == case_id)
    items = {item.id: item for item in session.scalars(items_stmt)}
    cases = {c.id: c.reference for c in session.execute(sa.select(Case.id, Case.reference))}
    link_problems = []
    for event in session.scalars(events_stmt):
        item = items.get(event.item_id)
        if (
            item is None
            or event.exhibit_number != item.reference
            or event.case_reference != cases.get(event.case_id)
            or event.case_id != item.case_id
            or event.evidence_sha256 != item.sha256
        ):
            link_problems.append(
                f"custody entry seq {event.seq}: does not match evidence item "
                f"{event.exhibit_number} (item row or entry altered)"
            )
    blob_problems = []
    checked = 0
    for item in items.values():
        if item.kind != "file" or not item.sha256:
            continue
        checked += 1
        if not store.exists(item.sha256):
            blob_problems.append(BlobProblem(item.reference, item.sha256, "missing"))
        elif not store.verify(item.sha256):
            blob_problems.append(
                BlobProblem(item.reference, item.sha256, "bytes no longer match the SHA-256")
            )
    report = CustodyReport(
        case_id, chain, heads, tuple(link_problems), tuple(blob_problems), checked, now
    )
    for bad in blob_problems:
        item = next(i for i in items.values() if i.reference == bad.reference)
        kind = "blob-missing" if bad.reason == "missing" else "blob-mismatch"
        _raise_alarm_once(session, item.case_id, item, kind, f"{item.reference}: {bad.reason}", now)
    if not (chain.ok and heads.ok and not link_problems):
        _raise_alarm_once(session, case_id, None, "ledger-break", report.first_problem or "", now)
    record_event(
        session,
        actor,
        "custody.verify",
        category="administration",
        outcome="success" if report.ok else "failure",
        object_type="case" if case_id else None,
        object_id=case_id,
        case_id=case_id,
        purpose=actor.purpose_for(case_id) if case_id else None,
        details={"entries": chain.entries, "blobs": checked, "ok": report.ok},
        now=now,
    )
    session.commit()
    return report


def _tree_or_none(session: Session) -> MerkleTree | None:
    try:
        return ledger.build_tree(session, CustodyEvent)
    except (TypeError, ValueError):
        return None


def _raise_alarm_once(
    session: Session,
    case_id: int | None,
    item: EvidenceItem | None,
    kind: str,
    detail: str,
    now: datetime,
) -> None:
    exists = session.scalar(
        sa.select(IntegrityAlarm.id).where(
            IntegrityAlarm.case_id.is_(None)
            if case_id is None
            else IntegrityAlarm.case_id == case_id,
            IntegrityAlarm.item_id.is_(None) if item is None else IntegrityAlarm.item_id == item.id,
            IntegrityAlarm.kind == kind,
            IntegrityAlarm.detail == detail,
        )
    )
    if exists is None:
        _raise_alarm(session, case_id, item, kind, detail, "custody-verify", now)


def verify_entry_proof(entry: CustodyEntryProof, tree_size: int, root: bytes) -> bool:
    """Check one exported entry against a root (what a recipient does with verify.py)."""
    data = canonical_bytes(entry.record)
    proof = [bytes.fromhex(p) for p in entry.inclusion_proof]
    return verify_inclusion(leaf_hash(data), entry.index, tree_size, proof, root)


# --- gaps and the supervisor's audit page -------------------------------------------------------


@dataclass(frozen=True)
class CustodyGap:
    reference: str
    item_id: int
    kind: str  # "stale", "transfer-not-received", "unsealed-without-reason"
    detail: str


def custody_gaps(
    session: Session, case_id: int, *, now: datetime, days: int = 30
) -> list[CustodyGap]:
    """Items with no custody event for `days` days (unless returned or disposed), transfers
    never followed by a "received" event, and seals opened without a stated reason."""
    gaps: list[CustodyGap] = []
    items = session.scalars(
        sa.select(EvidenceItem).where(EvidenceItem.case_id == case_id).order_by(EvidenceItem.number)
    )
    for item in items:
        events = _events(session, item.id)
        if events:
            last = max(events, key=lambda e: as_utc(e.ts_utc))
            idle = now - as_utc(last.ts_utc)
            if idle > timedelta(days=days) and last.action not in _FINAL_ACTIONS:
                gaps.append(
                    CustodyGap(
                        item.reference,
                        item.id,
                        "stale",
                        f"no custody event for {idle.days} days (last: {last.action})",
                    )
                )
        pending: CustodyEvent | None = None
        for event in events:
            if event.action == "transferred":
                pending = event
            elif event.action == "received" and pending is not None:
                pending = None
            if event.action == "unsealed" and not event.purpose.strip():
                gaps.append(
                    CustodyGap(
                        item.reference,
                        item.id,
                        "unsealed-without-reason",
                        f"seal {event.seal_ids} opened without a stated reason (seq {event.seq})",
                    )
                )
        if pending is not None:
            gaps.append(
                CustodyGap(
                    item.reference,
                    item.id,
                    "transfer-not-received",
                    f"transferred to {pending.to_custodian} (seq {pending.seq}); "
                    "no receipt recorded",
                )
            )
    return gaps


@dataclass(frozen=True)
class CustodyAudit:
    case: Case
    items: tuple[EvidenceItem, ...]
    alarms: tuple[IntegrityAlarm, ...]
    gaps: tuple[CustodyGap, ...]
    last_verified: AuditEvent | None
    latest_head: ledger.LedgerTreeHead | None
    entries: int


def custody_audit(
    session: Session, actor: Actor, case_id: int, *, now: datetime, gap_days: int = 30
) -> CustodyAudit:
    """The supervisor's custody audit view of one case (permission custody.audit; supervisors
    who are not members need a stated purpose, like any case read); audited."""
    policy.require_permission(actor, "custody.audit")
    case = case_for(session, actor, case_id)
    items = tuple(items_for_case(session, actor, case))
    alarms = tuple(
        session.scalars(
            sa.select(IntegrityAlarm)
            .where(IntegrityAlarm.case_id == case.id)
            .order_by(IntegrityAlarm.id.desc())
        )
    )
    last = session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.action == "custody.verify",
            sa.or_(AuditEvent.case_id == case.id, AuditEvent.case_id.is_(None)),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    entries = session.scalar(
        sa.select(sa.func.count()).select_from(CustodyEvent).where(CustodyEvent.case_id == case.id)
    )
    result = CustodyAudit(
        case,
        items,
        alarms,
        tuple(custody_gaps(session, case.id, now=now, days=gap_days)),
        last,
        ledger.latest_tree_head(session, CustodyEvent),
        entries or 0,
    )
    _audit(session, actor, "custody.audit", "consultation", case.id)
    session.commit()
    return result


# --- recovery ------------------------------------------------------------------------------------


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
