"""graph outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 20:53:07.240354
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caseflow.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "graph_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_outbox")),
    )
    with op.batch_alter_table("graph_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_graph_outbox_applied_at"), ["applied_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("graph_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_graph_outbox_applied_at"))

    op.drop_table("graph_outbox")
