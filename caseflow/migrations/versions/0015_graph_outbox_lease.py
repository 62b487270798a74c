"""The graph outbox lease: one applier at a time on SQLite.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caseflow.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    lease = op.create_table(
        "graph_outbox_lease",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("expires_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_outbox_lease")),
    )
    op.bulk_insert(lease, [{"id": 1, "holder": None, "expires_at": None}])


def downgrade() -> None:
    op.drop_table("graph_outbox_lease")
