"""MLA approvals: the issuing/validating authority block and the packet snapshot (with its
SHA-256) frozen at approval.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caseflow.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mla_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issuer_kind", sa.String(length=24), nullable=False),
        sa.Column("issuer_name", sa.String(length=200), nullable=False),
        sa.Column("issuer_post", sa.String(length=200), nullable=False),
        sa.Column("issuer_place", sa.String(length=200), nullable=False),
        sa.Column("issuer_seal", sa.String(length=300), nullable=False),
        sa.Column("validator_authority", sa.String(length=300), nullable=False),
        sa.Column("validator_name", sa.String(length=200), nullable=False),
        sa.Column("validator_post", sa.String(length=200), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("snapshot_sha256", sa.String(length=64), nullable=False),
        sa.Column("packet_digest", sa.String(length=64), nullable=False),
        sa.Column("document_pdf", sa.LargeBinary(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["users.id"], name=op.f("fk_mla_approvals_approver_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["mla_requests.id"],
            name=op.f("fk_mla_approvals_request_id_mla_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mla_approvals")),
    )
    op.create_index(
        op.f("ix_mla_approvals_request_id"), "mla_approvals", ["request_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mla_approvals_request_id"), table_name="mla_approvals")
    op.drop_table("mla_approvals")
