"""Custody for the MLA packet builder: "exported" events, the custody extract with
inclusion proofs in a fresh signed head, signing checkpoints. Must not import flask."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import ledger, policy
from caseflow.actor import Actor
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import record_event
from caseflow.cases.models import Case
from caseflow.evidence.models import (
    CustodyEvent,
    EvidenceItem,
)
from caseflow.evidence.services.common import (
    _actor_record,
    _append_event,
    _history,
    _item_in_case,
    _raise_alarm,
    _text,
)
from caseflow.evidence.services.custody import validate_custody_event
from exports.model import CustodyEntryProof, CustodyExtract


def raise_annex_alarm(
    session: Session,
    actor: Actor,
    item_ids: Iterable[int],
    *,
    reference: str,
    sha256: str,
    missing: bool,
    raised_by: str,
    now: datetime,
) -> str:
    """An export found the stored file of the annexed item `reference` (one of `item_ids`)
    missing or no longer matching its intake SHA-256: raise an integrity alarm on the item
    and its case (in the caller's unit of work) and return the alarm's kind."""
    item = session.scalar(
        sa.select(EvidenceItem).where(
            EvidenceItem.id.in_(list(item_ids)), EvidenceItem.reference == reference
        )
    )
    kind = "blob-missing" if missing else "blob-mismatch"
    state = "missing" if missing else "no longer match"
    _raise_alarm(
        session,
        item.case_id if item else None,
        item,
        kind,
        f"{reference}: stored bytes {state} SHA-256 {sha256} (found by {raised_by})",
        actor.username,
        now,
    )
    return kind


def check_exportable(
    session: Session, actor: Actor, item_ids: Iterable[int], recipient: str, now: datetime
) -> str:
    """Refuse an export before anything is built: write access to each item's case, no
    disposed item, a named recipient (returned cleaned). Writes nothing."""
    recipient = _text(recipient, "Recipient", "recipient", 200, required=True)
    for item_id in item_ids:
        item = _item_in_case(session, actor, item_id, write=True)
        validate_custody_event(
            action="exported", ts_utc=now, now=now, history=_history(session, item.id)
        )
    return recipient


def record_export(
    session: Session,
    actor: Actor,
    item_ids: Iterable[int],
    recipient: str,
    now: datetime,
    *,
    purpose: str = "",
    authority_ref: str = "",
    notes: str = "",
) -> list[CustodyEvent]:
    """Append an "exported" custody event per item (released by the actor, received by
    `recipient`) in the caller's unit of work, with no audit record (the caller audits the
    disclosure once for the whole packet). Needs write access to each item's case; disposed
    items are refused."""
    ids = list(item_ids)
    recipient = check_exportable(session, actor, ids, recipient, now)
    events = []
    for item_id in ids:
        item = _item_in_case(session, actor, item_id, write=True)
        case = session.get(Case, item.case_id)
        assert case is not None
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
                notes=notes,
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
    actor: Actor,
    item_ids: Iterable[int],
    now: datetime,
    *,
    signer: ledger.LedgerSigner,
    timestamper: ledger.Timestamper | None = None,
) -> CustodyExtractResult:
    """Sign a fresh custody tree head with the installation's `signer` (stored in the
    caller's unit of work) and return every custody entry of the items (ledger order) with
    its canonical record, entry hash and RFC 9162 inclusion proof against that head. The
    actor must be able to read each item's case."""
    ids = list(item_ids)
    for item_id in ids:
        _item_in_case(session, actor, item_id, write=False)
    head = ledger.sign_tree_head(session, CustodyEvent, signer, now, timestamper=timestamper)
    tree = ledger.build_tree(session, CustodyEvent)
    rows = session.scalars(
        sa.select(CustodyEvent)
        .where(CustodyEvent.item_id.in_(ids), CustodyEvent.seq <= head.tree_size)
        .order_by(CustodyEvent.seq)
    )
    entries = []
    events = list(rows)
    ledger.load_openings(session, events)
    for row in events:
        record = row.ledger_record()
        entries.append(
            CustodyEntryProof(
                index=row.seq - 1,
                record=record,
                entry_hash=row.entry_hash,
                inclusion_proof=tuple(
                    p.hex() for p in tree.inclusion_proof(row.seq - 1, head.tree_size)
                ),
                openings=ledger.openings_of(session, row),
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
    signer: ledger.LedgerSigner,
    timestamper: ledger.Timestamper | None = None,
) -> list[ledger.LedgerTreeHead]:
    """Sign the custody and the audit ledger's current heads with the installation's
    `signer` (CLI, audit page); audited "ledger.checkpoint" (administration)."""
    if not actor.is_system:
        policy.require_permission(actor, "custody.audit")
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
    return heads
