"""MLA translations and language reasons, and translations as signed at approval.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 05:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caseflow.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mla_language_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("translator_name", sa.String(length=200), nullable=False),
        sa.Column("certification", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('translation', 'reason')", name=op.f("ck_mla_language_records_kind")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["mla_requests.id"],
            name=op.f("fk_mla_language_records_request_id_mla_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_mla_language_records_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mla_language_records")),
    )
    op.create_index(
        op.f("ix_mla_language_records_request_id"),
        "mla_language_records",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "mla_approval_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["mla_approvals.id"],
            name=op.f("fk_mla_approval_translations_approval_id_mla_approvals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mla_approval_translations")),
    )
    op.create_index(
        op.f("ix_mla_approval_translations_approval_id"),
        "mla_approval_translations",
        ["approval_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_mla_approval_translations_approval_id"), table_name="mla_approval_translations"
    )
    op.drop_table("mla_approval_translations")
    op.drop_index(op.f("ix_mla_language_records_request_id"), table_name="mla_language_records")
    op.drop_table("mla_language_records")
