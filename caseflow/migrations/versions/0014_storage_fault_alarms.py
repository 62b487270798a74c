"""Operator alarms for storage faults: integrity alarms of kind "storage-fault".

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

from alembic import op

from caseflow.migrations.append_only import drop_append_only, make_append_only

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OLD = "kind IN ('blob-mismatch', 'blob-missing', 'ledger-break')"
NEW = "kind IN ('blob-mismatch', 'blob-missing', 'ledger-break', 'storage-fault')"


def _kinds(condition: str) -> None:
    # SQLite rebuilds the table to change a CHECK constraint, which drops its triggers: the
    # append-only guard of 0008 is taken off and put back around it.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        drop_append_only("integrity_alarms")
    with op.batch_alter_table("integrity_alarms", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_integrity_alarms_kind"), type_="check")
        batch_op.create_check_constraint("kind", condition)
    if sqlite:
        make_append_only("integrity_alarms")


def upgrade() -> None:
    _kinds(NEW)


def downgrade() -> None:
    drop_append_only("integrity_alarms")
    op.execute("DELETE FROM integrity_alarms WHERE kind = 'storage-fault'")
    make_append_only("integrity_alarms")
    _kinds(OLD)
