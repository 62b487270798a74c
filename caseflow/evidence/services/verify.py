"""`caseflow custody verify`: recompute the custody ledger and re-hash every blob; failures
raise integrity alarms. Must not import flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import ledger, policy
from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.cases.models import Case
from caseflow.cases.services import case_for
from caseflow.evidence.blobstore import BlobStore
from caseflow.evidence.models import (
    CustodyEvent,
    EvidenceItem,
    IntegrityAlarm,
)
from caseflow.evidence.services.common import _raise_alarm
from caseflow.uow import Transactions
from exports.merkle import MerkleTree
from exports.model import CustodyEntryProof
from exports.verify import canonical_bytes, leaf_hash, verify_inclusion


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
    openings: ledger.OpeningsReport
    blob_problems: tuple[BlobProblem, ...]
    blobs_checked: int
    verified_at: datetime

    @property
    def ok(self) -> bool:
        return (
            self.chain.ok
            and self.heads.ok
            and not self.link_problems
            and self.openings.ok
            and not self.blob_problems
        )

    @property
    def first_problem(self) -> str | None:
        if not self.chain.ok:
            return f"custody ledger entry seq {self.chain.first_bad_seq}: {self.chain.reason}"
        if self.heads.problems:
            return self.heads.problems[0]
        if self.link_problems:
            return self.link_problems[0]
        if self.openings.problems:
            return self.openings.problems[0]
        if self.blob_problems:
            bad = self.blob_problems[0]
            return f"blob of {bad.reference} ({bad.sha256}): {bad.reason}"
        return None


def verify_custody(
    tx: Transactions,
    actor: Actor,
    store: BlobStore,
    case_id: int | None = None,
    *,
    signer: ledger.LedgerSigner,
    check_timestamp: Any = None,
    now: datetime,
) -> CustodyReport:
    """Recompute the custody ledger: every entry hash and chain link, the Merkle tree against
    every stored signed head (signatures with the installation's `signer` key, consistency,
    RFC 3161 tokens when a checker is given), each entry's links to its item, and re-hash
    every stored blob (of one case, or all).

    The ledger is checked in a read transaction (no write lock), the blobs are re-hashed
    outside any transaction, and only then are the integrity alarms and the audit record
    ("custody.verify", which the audit page shows as "last verified") written, in the
    boundary's unit of work. System, or custody.audit with access to the case.
    """
    if not actor.is_system:
        policy.require_permission(actor, "custody.audit")
    with tx.read() as session:
        if case_id is not None and not actor.is_system:
            case_for(session, actor, case_id)
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
        acquired: dict[int, CustodyEvent] = {}
        events = list(session.scalars(events_stmt))
        for event in events:
            if event.action == "acquired" and event.corrects_event_id is None:
                acquired.setdefault(event.item_id, event)
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
        for item in items.values():
            link_problems.extend(_fact_problems(item, acquired.get(item.id)))
        openings = ledger.check_openings(
            session,
            [
                *((f"evidence item {i.reference}", i.commitments) for i in items.values()),
                *((f"custody entry seq {e.seq}", e.commitments) for e in events),
            ],
        )
        files = [
            (i.id, i.case_id, i.reference, i.sha256)
            for i in items.values()
            if i.kind == "file" and i.sha256
        ]
    # Re-hashing every stored file is the slow part: no transaction is open meanwhile.
    blob_problems = []
    alarms: list[tuple[int | None, int | None, str, str]] = []
    for item_id, item_case, reference, sha256 in files:
        if not store.exists(sha256):
            reason = "missing"
        elif not store.verify(sha256):
            reason = "bytes no longer match the SHA-256"
        else:
            continue
        blob_problems.append(BlobProblem(reference, sha256, reason))
        kind = "blob-missing" if reason == "missing" else "blob-mismatch"
        alarms.append((item_case, item_id, kind, f"{reference}: {reason}"))
    report = CustodyReport(
        case_id,
        chain,
        heads,
        tuple(link_problems),
        openings,
        tuple(blob_problems),
        len(files),
        now,
    )
    if not (chain.ok and heads.ok and not link_problems and openings.ok):
        alarms.append((case_id, None, "ledger-break", report.first_problem or ""))
    session = tx.session
    for alarm_case, item_id, kind, detail in alarms:
        _raise_alarm_once(session, alarm_case, item_id, kind, detail, now)
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
        details={
            "entries": chain.entries,
            "blobs": len(files),
            "erased": len(openings.erased),
            "ok": report.ok,
        },
        now=now,
    )
    return report


def _fact_problems(item: EvidenceItem, event: CustodyEvent | None) -> list[str]:
    """The item row against the facts its "acquired" custody record commits to, naming
    each field that differs."""
    if event is None:
        return [f"evidence item {item.reference}: no acquired custody record commits to its facts"]
    chained = event.item_facts
    if not isinstance(chained, dict):
        return [
            f"evidence item {item.reference}: its acquired custody record (seq {event.seq}) "
            "carries no item facts"
        ]
    facts = item.facts()
    return [
        f"evidence item {item.reference}: {name} differs from its acquired custody record "
        f"(seq {event.seq}): item row {facts.get(name)!r}, chained {chained.get(name)!r}"
        for name in sorted(set(facts) | set(chained))
        if facts.get(name) != chained.get(name)
    ]


def _tree_or_none(session: Session) -> MerkleTree | None:
    try:
        return ledger.build_tree(session, CustodyEvent)
    except (TypeError, ValueError):
        return None


def _raise_alarm_once(
    session: Session,
    case_id: int | None,
    item_id: int | None,
    kind: str,
    detail: str,
    now: datetime,
) -> None:
    exists = session.scalar(
        sa.select(IntegrityAlarm.id).where(
            IntegrityAlarm.case_id.is_(None)
            if case_id is None
            else IntegrityAlarm.case_id == case_id,
            IntegrityAlarm.item_id.is_(None)
            if item_id is None
            else IntegrityAlarm.item_id == item_id,
            IntegrityAlarm.kind == kind,
            IntegrityAlarm.detail == detail,
        )
    )
    if exists is None:
        item = session.get(EvidenceItem, item_id) if item_id is not None else None
        _raise_alarm(session, case_id, item, kind, detail, "custody-verify", now)


def verify_entry_proof(entry: CustodyEntryProof, tree_size: int, root: bytes) -> bool:
    """Check one exported entry against a root (what a recipient does with verify.py)."""
    data = canonical_bytes(entry.record)
    proof = [bytes.fromhex(p) for p in entry.inclusion_proof]
    return verify_inclusion(leaf_hash(data), entry.index, tree_size, proof, root)
