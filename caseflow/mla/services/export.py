"""Exporting the signed packet of an approved request, and downloading it.
Must not import flask."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.actor import Actor
from caseflow.cases.models import Case
from caseflow.errors import ConflictError, NotFoundError, ValidationError
from caseflow.evidence import services as evidence_services
from caseflow.evidence.blobstore import BlobStore
from caseflow.evidence.services import IntegrityFailure
from caseflow.mla.models import MlaApproval, MlaRequest
from caseflow.mla.packet import opener
from caseflow.mla.services.common import TRANSITIONS, _audit, _move, _prepare, reference
from caseflow.uow import Transactions
from exports import snapshot
from exports.model import PacketData
from exports.packet import AnnexIntegrityError, ApprovedDocument, build_packet
from exports.signing import PdfSigner


@dataclass(frozen=True)
class ExportResult:
    """An exported packet: the ZIP's path and SHA-256, and the packet digest in the PDF."""

    path: Path
    sha256: str
    digest: str


def packet_path(out_dir: Path, sha256: str) -> Path:
    return Path(out_dir) / f"{sha256}.zip"


@dataclass(frozen=True)
class PreparedExport:
    """What the build needs, read in the export's first short transaction: plain data only."""

    request_id: int
    reference: str
    recipient: str
    item_ids: tuple[int, ...]
    data: PacketData
    document: ApprovedDocument
    snapshot_sha256: str


@dataclass(frozen=True)
class BuiltPacket:
    path: Path
    sha256: str
    digest: str


def latest_approval(session: Session, request_id: int) -> MlaApproval | None:
    """The request's latest approval record (None before its first approval)."""
    return session.scalars(
        sa.select(MlaApproval)
        .where(MlaApproval.request_id == request_id)
        .order_by(MlaApproval.id.desc())
        .limit(1)
    ).first()


def approved_packet(approval: MlaApproval, store: BlobStore) -> tuple[PacketData, ApprovedDocument]:
    """The packet data frozen at `approval` (evidence bytes re-attached from `store` by
    SHA-256: the build re-hashes them) and the document signed at approval. Refused if the
    snapshot or the document no longer matches the hash kept in the approval record."""
    if (
        snapshot.digest(approval.snapshot) != approval.snapshot_sha256
        or hashlib.sha256(approval.document_pdf).hexdigest() != approval.document_sha256
    ):
        raise ConflictError(
            "The approved snapshot does not match the hash in its approval record; "
            "the request must be approved again."
        )
    data = snapshot.thaw(approval.snapshot, opener(store))
    signed = {t.sha256: t.pdf for t in approval.translations}
    translations = []
    for item in data.translations:
        pdf = signed.get(item.sha256)
        if pdf is None or hashlib.sha256(pdf).hexdigest() != item.sha256:
            raise ConflictError(
                f"The translation ({item.language}) signed at approval is missing or changed; "
                "the request must be approved again."
            )
        translations.append(
            dataclasses.replace(item, open_bytes=functools.partial(io.BytesIO, pdf))
        )
    data = dataclasses.replace(data, translations=tuple(translations))
    return data, ApprovedDocument(approval.packet_digest, approval.document_pdf)


def prepare_export(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    recipient: str,
    store: BlobStore,
    now: datetime,
) -> PreparedExport:
    """The export's first, short transaction: refuse early (status, recipient, disposed
    items, access) and read the packet's data from the snapshot frozen at approval (the
    custody extract in it is proven against the tree head signed at approval). Nothing the
    case gained or lost since approval reaches the packet: that needs a new approval."""
    req = _prepare(session, actor, request_id)
    if req.status not in TRANSITIONS["export"][0]:
        raise ConflictError(f"A request that is {req.status} cannot be exported.")
    recipient = " ".join(recipient.split())
    if not recipient:
        raise ValidationError("Recipient: name the authority the packet is for.", field="recipient")
    case = session.get(Case, req.case_id)
    assert case is not None
    item_ids = tuple(a.evidence_item_id for a in req.annexes)
    recipient = evidence_services.check_exportable(session, actor, item_ids, recipient, now)
    approval = latest_approval(session, req.id)
    if approval is None:
        raise ConflictError("This request has no approval record: it must be approved again.")
    data, document = approved_packet(approval, store)
    return PreparedExport(
        req.id, reference(case, req), recipient, item_ids, data, document, approval.snapshot_sha256
    )


def build_export(prepared: PreparedExport, signer: PdfSigner, out_dir: Path) -> BuiltPacket:
    """Build the signed packet into `out_dir/<sha256>.zip` (temp file, fsync, rename; removed
    on failure). Slow (it copies and hashes every annex): no transaction may be open."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".packet-", suffix=".zip", dir=out_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w+b") as handle:
            summary = build_packet(prepared.data, signer, handle, prepared.document)
            handle.flush()
            os.fsync(handle.fileno())
            handle.seek(0)
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
        final = packet_path(out_dir, sha)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BuiltPacket(final, sha, summary.digest)


def record_packet(
    session: Session, actor: Actor, prepared: PreparedExport, built: BuiltPacket, *, now: datetime
) -> ExportResult:
    """The export's last, short transaction: the request is exported with this packet, an
    "exported" custody event per annex names the recipient and the packet's SHA-256, and one
    audit record of category disclosure names the recipient, the requested state and the
    legal basis. Re-checks the request: it may have been withdrawn during the build."""
    req = _prepare(session, actor, prepared.request_id)
    _move(req, "export")
    evidence_services.record_export(
        session,
        actor,
        prepared.item_ids,
        prepared.recipient,
        now,
        purpose=f"MLA request {prepared.reference}",
        authority_ref=prepared.reference,
        notes=f"packet SHA-256 {built.sha256}",
    )
    req.exported_at = req.updated_at = now
    req.packet_sha256 = built.sha256
    req.packet_digest = built.digest
    _audit(
        session,
        actor,
        "request.export",
        "disclosure",
        req,
        details={
            "recipient": prepared.recipient,
            "requested_state": req.requested_state,
            "legal_basis": req.legal_basis,
            "evidence_items": list(prepared.item_ids),
            "packet_sha256": built.sha256,
            "snapshot_sha256": prepared.snapshot_sha256,
        },
    )
    return ExportResult(built.path, built.sha256, built.digest)


def export_packet(
    tx: Transactions,
    actor: Actor,
    request_id: int,
    *,
    recipient: str,
    signer: PdfSigner,
    store: BlobStore,
    out_dir: Path,
    now: datetime,
) -> ExportResult:
    """Export the signed packet of an approved request, in three steps so that no write
    transaction is open while it is built (an annex may be gigabytes: other cases' custody
    and audit writes must not wait for it):

    1. a short write (`prepare_export`): checks, the data frozen at approval;
    2. the build, with no transaction open (`build_export`);
    3. a short write (`record_packet`): "exported" custody events, status, disclosure audit.

    If the build or the last step fails, nothing is left: no custody
    event, no status change, no file; the failure is audited ("request.export", failure).
    An annexed file that is missing or no longer matches its intake SHA-256 also raises an
    integrity alarm on the item and refuses with IntegrityFailure naming it.
    """
    with tx.write() as session:
        prepared = prepare_export(
            session,
            actor,
            request_id,
            recipient=recipient,
            store=store,
            now=now,
        )
    built = None
    try:
        built = build_export(prepared, signer, out_dir)
        with tx.write() as session:
            return record_packet(session, actor, prepared, built, now=now)
    except BaseException as exc:
        if built is not None:
            built.path.unlink(missing_ok=True)
        details = {"recipient": prepared.recipient, "error": type(exc).__name__}
        with tx.write() as session:
            req = session.get(MlaRequest, request_id)
            assert req is not None
            if isinstance(exc, AnnexIntegrityError):
                details["item"] = exc.number
                details["alarm"] = evidence_services.raise_annex_alarm(
                    session,
                    actor,
                    prepared.item_ids,
                    reference=exc.number,
                    sha256=exc.sha256,
                    missing=exc.missing,
                    raised_by="request.export",
                    now=now,
                )
            _audit(
                session,
                actor,
                "request.export",
                "disclosure",
                req,
                outcome="failure",
                details=details,
            )
        if isinstance(exc, AnnexIntegrityError):
            state = "is missing" if exc.missing else "no longer matches its recorded SHA-256"
            raise IntegrityFailure(
                f"{exc.number}: the stored file {state}; the packet was not exported and an "
                "integrity alarm was raised."
            ) from exc
        raise


def packet_file(session: Session, actor: Actor, request_id: int, *, out_dir: Path) -> Path:
    """The latest exported packet of a request, for download; audited as consultation."""
    req = _prepare(session, actor, request_id)
    if req.packet_sha256 is None:
        raise NotFoundError("This request has not been exported yet.")
    path = packet_path(out_dir, req.packet_sha256)
    if not path.is_file():
        raise NotFoundError("The exported packet file is missing; export it again.")
    _audit(
        session,
        actor,
        "request.packet_download",
        "consultation",
        req,
        details={"packet_sha256": req.packet_sha256},
    )
    return path
