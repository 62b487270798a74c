"""Exporting the signed packet of an approved request, and downloading it.
Must not import flask."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from caseflow.actor import Actor
from caseflow.cases.models import Case
from caseflow.errors import ConflictError, NotFoundError, ValidationError
from caseflow.evidence import services as evidence_services
from caseflow.evidence.blobstore import BlobStore
from caseflow.mla.packet import packet_data
from caseflow.mla.services.common import TRANSITIONS, _audit, _move, _prepare, reference
from exports.packet import build_packet
from exports.signing import PdfSigner


@dataclass(frozen=True)
class ExportResult:
    """An exported packet: the ZIP's path and SHA-256, and the packet digest in the PDF."""

    path: Path
    sha256: str
    digest: str


def packet_path(out_dir: Path, sha256: str) -> Path:
    return Path(out_dir) / f"{sha256}.zip"


def export_packet(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    recipient: str,
    signer: PdfSigner,
    store: BlobStore,
    out_dir: Path,
    now: datetime,
    include_files: bool = True,
) -> ExportResult:
    """Build the signed packet of an approved request into `out_dir/<sha256>.zip`.

    In one transaction: an "exported" custody event per evidence annex (to `recipient`), a
    freshly signed custody tree head proving those entries, and one audit record of category
    disclosure naming the recipient, the requested state and the legal basis. If the build
    fails nothing is recorded and no file is left behind.
    """
    req = _prepare(session, actor, request_id)
    if req.status not in TRANSITIONS["export"][0]:
        raise ConflictError(f"A request that is {req.status} cannot be exported.")
    recipient = " ".join(recipient.split())
    if not recipient:
        raise ValidationError("Recipient: name the authority the packet is for.", field="recipient")
    case = session.get(Case, req.case_id)
    assert case is not None
    ref = reference(case, req)
    item_ids = [a.evidence_item_id for a in req.annexes]
    evidence_services.record_export(
        session, actor, item_ids, recipient, now, purpose=f"MLA request {ref}", authority_ref=ref
    )
    extract = evidence_services.custody_extract(session, item_ids, now)
    data = packet_data(
        session,
        req,
        store=store,
        custody=extract.to_packet(),
        now=now,
        include_files=include_files,
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".packet-", suffix=".zip", dir=out_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w+b") as handle:
            summary = build_packet(data, signer, handle)
            handle.flush()
            os.fsync(handle.fileno())
            handle.seek(0)
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
        final = packet_path(out_dir, sha)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        session.rollback()
        raise
    _move(req, "export")
    req.exported_at = req.updated_at = now
    req.packet_sha256 = sha
    req.packet_digest = summary.digest
    _audit(
        session,
        actor,
        "request.export",
        "disclosure",
        req,
        details={
            "recipient": recipient,
            "requested_state": req.requested_state,
            "legal_basis": req.legal_basis,
            "evidence_items": item_ids,
            "packet_sha256": sha,
        },
    )
    session.commit()
    return ExportResult(final, sha, summary.digest)


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
    session.commit()
    return path
