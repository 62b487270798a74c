"""MLA requests

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-28 20:57:30.112323
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caseflow.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mla_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requesting_state", sa.String(length=8), nullable=False),
        sa.Column("requesting_authority", sa.String(length=300), nullable=False),
        sa.Column("authority_address", sa.Text(), nullable=False),
        sa.Column("contact_person", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("contact_24_7", sa.String(length=200), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("requested_state", sa.String(length=8), nullable=False),
        sa.Column("central_authority", sa.String(length=300), nullable=False),
        sa.Column("request_types", sa.String(length=200), nullable=False),
        sa.Column("holder_kind", sa.String(length=24), nullable=False),
        sa.Column("holder_name", sa.String(length=300), nullable=False),
        sa.Column("proceedings_stage", sa.String(length=24), nullable=False),
        sa.Column("time_from", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("time_to", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("summary_of_facts", sa.Text(), nullable=False),
        sa.Column("necessity", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=12), nullable=False),
        sa.Column("urgency_reason", sa.Text(), nullable=False),
        sa.Column("confidentiality", sa.Text(), nullable=False),
        sa.Column("use_limits", sa.Text(), nullable=False),
        sa.Column("earlier_requests", sa.Text(), nullable=False),
        sa.Column("production_to_follow", sa.Boolean(), nullable=False),
        sa.Column("child_offence", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=40), nullable=False),
        sa.Column("legal_basis", sa.String(length=24), nullable=False),
        sa.Column("proposed_basis", sa.String(length=24), nullable=False),
        sa.Column("basis_explanation", sa.Text(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=False),
        sa.Column("submitted_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=False),
        sa.Column("exported_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("packet_sha256", sa.String(length=64), nullable=True),
        sa.Column("packet_digest", sa.String(length=64), nullable=True),
        sa.Column("sent_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_to", sa.String(length=300), nullable=False),
        sa.Column("acknowledged_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("foreign_reference", sa.String(length=120), nullable=False),
        sa.Column("extended_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "proceedings_stage IN ('investigation', 'prosecution', 'trial')",
            name=op.f("ck_mla_requests_stage"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'returned', 'exported', 'sent', "
            "'acknowledged', 'fulfilled', 'refused', 'withdrawn')",
            name=op.f("ck_mla_requests_status"),
        ),
        sa.CheckConstraint(
            "urgency IN ('normal', 'urgent', 'emergency')", name=op.f("ck_mla_requests_urgency")
        ),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["users.id"], name=op.f("fk_mla_requests_approver_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_mla_requests_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_mla_requests_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mla_requests")),
        sa.UniqueConstraint("case_id", "number", name="uq_mla_requests_case_number"),
    )
    with op.batch_alter_table("mla_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mla_requests_case_id"), ["case_id"], unique=False)

    op.create_table(
        "mla_annexes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("evidence_item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_item_id"],
            ["evidence_items.id"],
            name=op.f("fk_mla_annexes_evidence_item_id_evidence_items"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["mla_requests.id"], name=op.f("fk_mla_annexes_request_id_mla_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mla_annexes")),
        sa.UniqueConstraint("request_id", "evidence_item_id", name="uq_mla_annexes_request_item"),
    )
    with op.batch_alter_table("mla_annexes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mla_annexes_evidence_item_id"), ["evidence_item_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mla_annexes_request_id"), ["request_id"], unique=False)

    op.create_table(
        "mla_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("value", sa.String(length=2100), nullable=False),
        sa.Column("observed_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("relevance", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "port IS NULL OR (port >= 0 AND port <= 65535)", name=op.f("ck_mla_identifiers_port")
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_mla_identifiers_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["mla_requests.id"],
            name=op.f("fk_mla_identifiers_request_id_mla_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mla_identifiers")),
        sa.UniqueConstraint("request_id", "entity_id", name="uq_mla_identifiers_request_entity"),
    )
    with op.batch_alter_table("mla_identifiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mla_identifiers_entity_id"), ["entity_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mla_identifiers_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "mla_offences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("provision", sa.String(length=300), nullable=False),
        sa.Column("maximum_penalty", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["mla_requests.id"],
            name=op.f("fk_mla_offences_request_id_mla_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mla_offences")),
    )
    with op.batch_alter_table("mla_offences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mla_offences_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mla_offences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mla_offences_request_id"))

    op.drop_table("mla_offences")
    with op.batch_alter_table("mla_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mla_identifiers_request_id"))
        batch_op.drop_index(batch_op.f("ix_mla_identifiers_entity_id"))

    op.drop_table("mla_identifiers")
    with op.batch_alter_table("mla_annexes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mla_annexes_request_id"))
        batch_op.drop_index(batch_op.f("ix_mla_annexes_evidence_item_id"))

    op.drop_table("mla_annexes")
    with op.batch_alter_table("mla_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mla_requests_case_id"))

    op.drop_table("mla_requests")
