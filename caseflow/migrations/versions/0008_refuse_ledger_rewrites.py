"""refuse rewrites of ledger rows: REPLACE / upsert guard on SQLite, integrity alarms append-only

SQLite's `INSERT OR REPLACE` and `REPLACE INTO` delete the row they collide with without
firing the DELETE trigger, so the UPDATE/DELETE triggers of 0001 and 0005 let a forger
rewrite any ledger row. Every append-only table now also refuses an INSERT that collides with
an existing row's primary or unique key. Integrity alarms become append-only as well: an alarm
deleted is tampering hidden.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

from caseflow.migrations.append_only import (
    drop_append_only,
    drop_rewrite_proof,
    make_append_only,
    make_rewrite_proof,
)

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The append-only tables of 0001 and 0005.
GUARDED = ("audit_events", "ledger_tree_heads", "evidence_items", "custody_events")


def upgrade() -> None:
    for table in GUARDED:
        make_rewrite_proof(table)
    make_append_only("integrity_alarms")


def downgrade() -> None:
    drop_append_only("integrity_alarms")
    for table in GUARDED:
        drop_rewrite_proof(table)
