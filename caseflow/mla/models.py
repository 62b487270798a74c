"""MLA requests of a case: contents, offences, identifiers, evidence annexes, workflow state."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.db import Base, intpk

REQUEST_STATUSES = (
    "draft",
    "submitted",
    "approved",
    "returned",
    "exported",
    "sent",
    "acknowledged",
    "fulfilled",
    "refused",
    "withdrawn",
)
PROCEEDINGS_STAGES = ("investigation", "prosecution", "trial")
# The yes/no/unknown facts (caseflow.mla.facts.ANSWER_FIELDS), each a column.
ANSWER_COLUMNS = (
    "transnational",
    "organised_group",
    "child_exploitation",
    "offence_in_issuing_state",
    "person_in_issuing_state",
    "production_to_follow",
)


class MlaRequest(Base):
    """One cross-border request prepared in a case.

    The facts the legal-basis resolver and the checklists read are stored as the officer
    answered them (caseflow.mla.facts): a yes/no fact is "yes", "no" or "unknown", a choice
    "unknown" until it is made, never a default that states something nobody said.
    `data_categories` is a comma-separated list of caseflow.mla.facts.CATEGORIES.
    `legal_basis` is the instrument code in force; `proposed_basis` what the resolver proposed
    when it was last asked; a differing `legal_basis` needs `override_reason`.
    """

    __tablename__ = "mla_requests"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    number: Mapped[int]  # per case: CF-2026-0001/R-01
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    requesting_state: Mapped[str] = mapped_column(sa.String(8))
    requesting_authority: Mapped[str] = mapped_column(sa.String(300), default="")
    authority_address: Mapped[str] = mapped_column(sa.Text, default="")
    contact_person: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    contact_24_7: Mapped[str] = mapped_column(sa.String(200), default="")
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="")
    requested_state: Mapped[str] = mapped_column(sa.String(8))
    central_authority: Mapped[str] = mapped_column(sa.String(300), default="")
    measure: Mapped[str] = mapped_column(sa.String(16), default="unknown")
    data_categories: Mapped[str] = mapped_column(sa.String(200), default="")
    holder_kind: Mapped[str] = mapped_column(sa.String(24), default="unknown")
    holder_name: Mapped[str] = mapped_column(sa.String(300), default="")
    holder_eu_presence: Mapped[str] = mapped_column(sa.String(32), default="unknown")
    holder_eu_state: Mapped[str] = mapped_column(sa.String(8), default="")
    issuing_authority_type: Mapped[str] = mapped_column(sa.String(24), default="unknown")
    issuing_file_reference: Mapped[str] = mapped_column(sa.String(120), default="")
    validating_authority: Mapped[str] = mapped_column(sa.String(300), default="")
    validating_authority_type: Mapped[str] = mapped_column(sa.String(24), default="unknown")
    validating_file_reference: Mapped[str] = mapped_column(sa.String(120), default="")
    conducting_authority: Mapped[str] = mapped_column(sa.String(300), default="")
    proceedings_stage: Mapped[str] = mapped_column(sa.String(24), default="investigation")
    time_from: Mapped[datetime | None]
    time_to: Mapped[datetime | None]
    summary_of_facts: Mapped[str] = mapped_column(sa.Text, default="")
    necessity: Mapped[str] = mapped_column(sa.Text, default="")
    urgency: Mapped[str] = mapped_column(sa.String(12), default="normal")
    urgency_reason: Mapped[str] = mapped_column(sa.Text, default="")
    confidentiality: Mapped[str] = mapped_column(sa.Text, default="")
    use_limits: Mapped[str] = mapped_column(sa.Text, default="")
    earlier_requests: Mapped[str] = mapped_column(sa.Text, default="")
    persons_concerned: Mapped[str] = mapped_column(sa.Text, default="")
    probable_cause: Mapped[str] = mapped_column(sa.Text, default="")
    transnational: Mapped[str] = mapped_column(sa.String(8), default="unknown")
    organised_group: Mapped[str] = mapped_column(sa.String(8), default="unknown")
    child_exploitation: Mapped[str] = mapped_column(sa.String(8), default="unknown")
    offence_in_issuing_state: Mapped[str] = mapped_column(sa.String(8), default="unknown")
    person_in_issuing_state: Mapped[str] = mapped_column(sa.String(8), default="unknown")
    production_to_follow: Mapped[str] = mapped_column(sa.String(8), default="unknown")
    immunities: Mapped[str] = mapped_column(sa.Text, default="")
    formalities: Mapped[str] = mapped_column(sa.Text, default="")
    legal_remedies: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str] = mapped_column(sa.String(40), default="")

    legal_basis: Mapped[str] = mapped_column(sa.String(24), default="")
    proposed_basis: Mapped[str] = mapped_column(sa.String(24), default="")
    # Instruments cited with the main basis (e.g. OPSC-6), comma-separated codes.
    basis_supplements: Mapped[str] = mapped_column(sa.String(200), default="")
    basis_explanation: Mapped[str] = mapped_column(sa.Text, default="")
    override_reason: Mapped[str] = mapped_column(sa.Text, default="")

    submitted_at: Mapped[datetime | None]
    approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    return_reason: Mapped[str] = mapped_column(sa.Text, default="")
    exported_at: Mapped[datetime | None]
    packet_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    packet_digest: Mapped[str | None] = mapped_column(sa.String(64))
    sent_at: Mapped[datetime | None]
    sent_to: Mapped[str] = mapped_column(sa.String(300), default="")
    acknowledged_at: Mapped[datetime | None]
    foreign_reference: Mapped[str] = mapped_column(sa.String(120), default="")
    extended_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome_note: Mapped[str] = mapped_column(sa.Text, default="")

    case: Mapped[Case] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])
    offences: Mapped[list[MlaOffence]] = relationship(order_by="MlaOffence.id")
    identifiers: Mapped[list[MlaIdentifier]] = relationship(order_by="MlaIdentifier.id")
    annexes: Mapped[list[MlaAnnex]] = relationship(order_by="MlaAnnex.id")

    __table_args__ = (
        sa.UniqueConstraint("case_id", "number", name="uq_mla_requests_case_number"),
        sa.CheckConstraint(f"status IN {REQUEST_STATUSES!r}", name="status"),
        sa.CheckConstraint(f"proceedings_stage IN {PROCEEDINGS_STAGES!r}", name="stage"),
        sa.CheckConstraint("urgency IN ('normal', 'urgent', 'emergency')", name="urgency"),
        *(
            sa.CheckConstraint(f"{name} IN ('yes', 'no', 'unknown')", name=name)
            for name in ANSWER_COLUMNS
        ),
    )

    @property
    def supplements(self) -> tuple[str, ...]:
        return tuple(c for c in self.basis_supplements.split(",") if c)

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(t for t in self.data_categories.split(",") if t)


class MlaOffence(Base):
    __tablename__ = "mla_offences"

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("mla_requests.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    provision: Mapped[str] = mapped_column(sa.String(300), default="")
    maximum_penalty: Mapped[str] = mapped_column(sa.String(100), default="")
    # caseflow.mla.facts.OFFENCE_TAGS the officer asserted, comma-separated.
    tags: Mapped[str] = mapped_column(sa.String(200), default="")
    by_information_system: Mapped[str] = mapped_column(sa.String(8), default="unknown")

    __table_args__ = (
        sa.CheckConstraint(
            "by_information_system IN ('yes', 'no', 'unknown')", name="by_information_system"
        ),
    )

    @property
    def tag_set(self) -> frozenset[str]:
        return frozenset(t for t in self.tags.split(",") if t)


class MlaIdentifier(Base):
    """An identifier the request concerns, chosen from the case's entities.

    `kind` and `value` are copied from the entity when chosen, so the request shows what was
    asked even if the entity is later corrected. `observed_at` (UTC) and `port` are this
    request's observation of an IP address.
    """

    __tablename__ = "mla_identifiers"

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("mla_requests.id"), index=True)
    entity_id: Mapped[int] = mapped_column(sa.ForeignKey("entities.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    value: Mapped[str] = mapped_column(sa.String(2100))
    observed_at: Mapped[datetime | None]
    port: Mapped[int | None]
    relevance: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (
        sa.UniqueConstraint("request_id", "entity_id", name="uq_mla_identifiers_request_entity"),
        sa.CheckConstraint("port IS NULL OR (port >= 0 AND port <= 65535)", name="port"),
    )


class MlaAnnex(Base):
    """An evidence item attached to the request as an annex."""

    __tablename__ = "mla_annexes"

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("mla_requests.id"), index=True)
    evidence_item_id: Mapped[int] = mapped_column(sa.ForeignKey("evidence_items.id"), index=True)

    __table_args__ = (
        sa.UniqueConstraint("request_id", "evidence_item_id", name="uq_mla_annexes_request_item"),
    )


class MlaApproval(Base):
    """One approval of a request: who approved it, when, the issuing (and where the
    instrument needs one, validating) authority's block as recorded at approval, and the
    snapshot of everything the packet will show (exports.snapshot canonical JSON) with its
    SHA-256, and the request PDF rendered from it and signed at approval, with the packet
    digest printed in it. Append-only: a new approval adds a row; an export renders the latest one's
    snapshot only, so a case changed after approval cannot change the packet."""

    __tablename__ = "mla_approvals"

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("mla_requests.id"), index=True)
    approver_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime]
    issuer_kind: Mapped[str] = mapped_column(sa.String(24), default="")
    issuer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    issuer_post: Mapped[str] = mapped_column(sa.String(200), default="")
    issuer_place: Mapped[str] = mapped_column(sa.String(200), default="")
    issuer_seal: Mapped[str] = mapped_column(sa.String(300), default="")
    validator_authority: Mapped[str] = mapped_column(sa.String(300), default="")
    validator_name: Mapped[str] = mapped_column(sa.String(200), default="")
    validator_post: Mapped[str] = mapped_column(sa.String(200), default="")
    snapshot: Mapped[bytes] = mapped_column(sa.LargeBinary)
    snapshot_sha256: Mapped[str] = mapped_column(sa.String(64))
    packet_digest: Mapped[str] = mapped_column(sa.String(64))
    document_pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    document_sha256: Mapped[str] = mapped_column(sa.String(64))

    translations: Mapped[list[MlaApprovalTranslation]] = relationship(
        back_populates="approval", order_by="MlaApprovalTranslation.id"
    )


class MlaLanguageRecord(Base):
    """What makes a request's document acceptable to a state that does not accept its
    language: a certified translation (a PDF with the translator's name and certification)
    or a recorded reason to send it as it is. Append-only; the approval uses every record."""

    __tablename__ = "mla_language_records"

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("mla_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))  # translation | reason
    language: Mapped[str] = mapped_column(sa.String(16), default="")
    translator_name: Mapped[str] = mapped_column(sa.String(200), default="")
    certification: Mapped[str] = mapped_column(sa.Text, default="")
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    size: Mapped[int] = mapped_column(default=0)
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (sa.CheckConstraint("kind IN ('translation', 'reason')", name="kind"),)


class MlaApprovalTranslation(Base):
    """A translation as signed at approval (the installation's seal), packed as it is."""

    __tablename__ = "mla_approval_translations"

    id: Mapped[intpk]
    approval_id: Mapped[int] = mapped_column(sa.ForeignKey("mla_approvals.id"), index=True)
    language: Mapped[str] = mapped_column(sa.String(16))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)

    approval: Mapped[MlaApproval] = relationship(back_populates="translations")
