"""Operator alarms for storage faults: integrity alarms of kind "storage-fault".

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD = "kind IN ('blob-mismatch', 'blob-missing', 'ledger-break')"
NEW = "kind IN ('blob-mismatch', 'blob-missing', 'ledger-break', 'storage-fault')"


def _kinds(condition: str) -> None:
    with op.batch_alter_table("integrity_alarms", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_integrity_alarms_kind"), type_="check")
        batch_op.create_check_constraint("kind", condition)


def upgrade() -> None:
    _kinds(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM integrity_alarms WHERE kind = 'storage-fault'")
    _kinds(OLD)
