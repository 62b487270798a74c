"""PostgreSQL runtime role: SELECT and INSERT only on the ledger tables

The application connects as a runtime role that owns nothing; the migration (owner) role
runs `caseflow db upgrade`. With CASEFLOW_MIGRATION_DATABASE_URL set, `caseflow db upgrade`
names the runtime role (the user of CASEFLOW_DATABASE_URL) and this revision grants it
SELECT, INSERT on the append-only tables and ordinary DML elsewhere, and sets the default
privileges for tables created later (caseflow/migrations/roles.py). Without a runtime role
(SQLite, or one role for both) there is nothing to grant.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 05:50:00
"""

from __future__ import annotations

from alembic import context, op

from caseflow.migrations.roles import grant_runtime_role

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    role = context.config.attributes.get("caseflow.runtime_role")
    if role:
        grant_runtime_role(op.get_bind(), role)


def downgrade() -> None:
    # Privileges granted to the runtime role are left as they are: the earlier schema has
    # the same tables, and taking them away would stop the application, not protect it.
    pass
