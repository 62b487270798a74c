"""Evidence items (immutable rows, numbered per case), integrity alarms, and the custody ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.clock import rfc3339
from caseflow.db import Base, intpk
from caseflow.ledger import LedgerMixin, Personal

ITEM_KINDS = ("file", "physical", "external")
CUSTODY_ACTIONS = (
    "acquired",
    "received",
    "transferred",
    "accessed",
    "analyzed",
    "copied",
    "sealed",
    "unsealed",
    "exported",
    "returned",
    "disposed",
)
# storage-fault: the evidence store (or the database's disk) refused a write; an operator
# alarm, with no case or item, shown on the administrators' dashboard.
ALARM_KINDS = ("blob-mismatch", "blob-missing", "ledger-break", "storage-fault")


class EvidenceItem(Base):
    """One exhibit. Rows are never updated or deleted (database triggers refuse it): what
    happens to the item afterwards is recorded as custody events.

    Its facts are chained in its "acquired" custody record (`facts()`); the personal ones
    (names, free text) are stored here only as salted commitments (caseflow.ledger.Personal).
    """

    __tablename__ = "evidence_items"

    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = (
        "description",
        "acquired_by",
        "filename",
        "location",
        "source",
    )
    PLAIN_FACTS: ClassVar[tuple[str, ...]] = (
        "kind",
        "sha256",
        "sha1",
        "md5",
        "size",
        "media_type",
        "acquired_at",
        "acquisition_method",
        "acquisition_tool",
        "seal_number",
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    number: Mapped[int]
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)  # CF-2026-0001/E-0003
    kind: Mapped[str] = mapped_column(sa.String(16))
    description = Personal()
    source = Personal()
    acquisition_method: Mapped[str] = mapped_column(sa.String(200), default="")
    acquisition_tool: Mapped[str] = mapped_column(sa.String(200), default="")
    acquired_by = Personal()
    acquired_at: Mapped[datetime]
    location = Personal()
    seal_number: Mapped[str] = mapped_column(sa.String(100), default="")
    # The client's filename, kept as metadata only: it never becomes a path.
    filename = Personal(empty=None)
    media_type: Mapped[str | None] = mapped_column(sa.String(127))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    sha1: Mapped[str | None] = mapped_column(sa.String(40))
    md5: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # {personal field: salted commitment or null}; the openings are in ledger_personal_values.
    commitments: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (
        sa.UniqueConstraint("case_id", "number", name="case_number"),
        sa.CheckConstraint(f"kind IN {ITEM_KINDS!r}", name="kind"),
        # What a link's composite foreign key (item, case) refers to.
        sa.Index("uq_evidence_items_id_case_id", "id", "case_id", unique=True),
    )

    @property
    def has_bytes(self) -> bool:
        """True when CaseFlow holds the bytes (kind "file")."""
        return self.kind == "file"

    def facts(self) -> dict[str, Any]:
        """Every fact of the item as its "acquired" custody record commits to it: the plain
        facts, and the personal ones as their commitments."""
        facts: dict[str, Any] = {name: getattr(self, name) for name in self.PLAIN_FACTS}
        facts["acquired_at"] = rfc3339(self.acquired_at)
        commitments = self.commitments or {}
        facts.update({name: commitments.get(name) for name in self.PERSONAL_FIELDS})
        return facts


class IntegrityAlarm(Base):
    """Raised when stored bytes or the ledger no longer match what was recorded."""

    __tablename__ = "integrity_alarms"

    id: Mapped[intpk]
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence_items.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    detail: Mapped[str] = mapped_column(sa.Text)
    raised_at: Mapped[datetime]
    raised_by: Mapped[str] = mapped_column(sa.String(128))

    __table_args__ = (sa.CheckConstraint(f"kind IN {ALARM_KINDS!r}", name="kind"),)


class CustodyEvent(LedgerMixin, Base):
    """One custody event: a leaf of the custody ledger (global order, hash-chained, Merkle).

    The canonical record (LEDGER_FIELDS plus ledger, seq, prev_hash) is what is hashed and
    what packets disclose; `item_id` and `case_id` are internal links kept consistent with
    `exhibit_number` and `case_reference` (checked by verify_custody).
    """

    __tablename__ = "custody_events"

    LEDGER_NAME = "custody"
    TIME_FIELD = "recorded_at"
    LEDGER_FIELDS = (
        "event_id",
        "case_reference",
        "exhibit_number",
        "root_exhibit_number",
        "evidence_sha256",
        "action",
        "actor",
        "from_custodian",
        "to_custodian",
        "ts_utc",
        "recorded_at",
        "location",
        "purpose",
        "authority_ref",
        "tool",
        "seal_ids",
        "seal_condition",
        "observed_sha256",
        "notes",
        "corrects_event_id",
        "item_facts",
    )
    PERSONAL_FIELDS = ("from_custodian", "to_custodian", "location", "purpose", "notes")

    id: Mapped[intpk]
    event_id: Mapped[str] = mapped_column(sa.String(36), unique=True)  # UUID
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("evidence_items.id"), index=True)
    case_reference: Mapped[str] = mapped_column(sa.String(16))
    exhibit_number: Mapped[str] = mapped_column(sa.String(32))
    root_exhibit_number: Mapped[str] = mapped_column(sa.String(32))
    evidence_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(16))
    # Who recorded the event: {"id", "name", "role", "organisation"}.
    actor: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    from_custodian = Personal(empty=None)  # released by
    to_custodian = Personal(empty=None)  # received by
    ts_utc: Mapped[datetime]  # when it happened (stated)
    recorded_at: Mapped[datetime]  # when CaseFlow recorded it (server clock)
    location = Personal()
    purpose = Personal()
    authority_ref: Mapped[str] = mapped_column(sa.String(200), default="")
    tool: Mapped[str] = mapped_column(sa.String(200), default="")
    seal_ids: Mapped[str] = mapped_column(sa.String(200), default="")
    seal_condition: Mapped[str] = mapped_column(sa.String(200), default="")
    observed_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    notes = Personal()
    corrects_event_id: Mapped[str | None] = mapped_column(sa.String(36))
    # "acquired" (and fact corrections): every fact of the item, EvidenceItem.facts().
    item_facts: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    __table_args__ = (
        sa.CheckConstraint(f"action IN {CUSTODY_ACTIONS!r}", name="action"),
        sa.Index("ix_custody_events_item_action", "item_id", "action"),
    )
