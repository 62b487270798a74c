"""evidence and custody ledger

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-28 20:56:12.822383
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caseflow.db
from caseflow.migrations.append_only import drop_append_only, make_append_only

APPEND_ONLY = ("ledger_tree_heads", "evidence_items", "custody_events")


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_tree_heads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ledger", sa.String(length=32), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_name", sa.String(length=128), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.Column("tsa_url", sa.String(length=500), nullable=True),
        sa.Column("tsa_response", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_tree_heads")),
    )
    with op.batch_alter_table("ledger_tree_heads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_tree_heads_ledger"), ["ledger"], unique=False)

    op.create_table(
        "evidence_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("acquisition_method", sa.String(length=200), nullable=False),
        sa.Column("acquisition_tool", sa.String(length=200), nullable=False),
        sa.Column("acquired_by", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("seal_number", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("media_type", sa.String(length=127), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("sha1", sa.String(length=40), nullable=True),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("created_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('file', 'physical', 'external')", name=op.f("ck_evidence_items_kind")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_evidence_items_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_evidence_items_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_items")),
        sa.UniqueConstraint("case_id", "number", name="case_number"),
        sa.UniqueConstraint("reference", name=op.f("uq_evidence_items_reference")),
    )
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_items_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_items_sha256"), ["sha256"], unique=False)

    op.create_table(
        "custody_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("case_reference", sa.String(length=16), nullable=False),
        sa.Column("exhibit_number", sa.String(length=32), nullable=False),
        sa.Column("root_exhibit_number", sa.String(length=32), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("from_custodian", sa.String(length=200), nullable=True),
        sa.Column("to_custodian", sa.String(length=200), nullable=True),
        sa.Column("ts_utc", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("authority_ref", sa.String(length=200), nullable=False),
        sa.Column("tool", sa.String(length=200), nullable=False),
        sa.Column("seal_ids", sa.String(length=200), nullable=False),
        sa.Column("seal_condition", sa.String(length=200), nullable=False),
        sa.Column("observed_sha256", sa.String(length=64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("corrects_event_id", sa.String(length=36), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "action IN ('acquired', 'received', 'transferred', 'accessed', 'analyzed', 'copied', "
            "'sealed', 'unsealed', 'exported', 'returned', 'disposed')",
            name=op.f("ck_custody_events_action"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_custody_events_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["evidence_items.id"],
            name=op.f("fk_custody_events_item_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_events")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_custody_events_entry_hash")),
        sa.UniqueConstraint("event_id", name=op.f("uq_custody_events_event_id")),
        sa.UniqueConstraint("seq", name=op.f("uq_custody_events_seq")),
    )
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custody_events_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_custody_events_item_id"), ["item_id"], unique=False)

    op.create_table(
        "integrity_alarms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("raised_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raised_by", sa.String(length=128), nullable=False),
        sa.CheckConstraint(
            "kind IN ('blob-mismatch', 'blob-missing', 'ledger-break')",
            name=op.f("ck_integrity_alarms_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_integrity_alarms_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["evidence_items.id"],
            name=op.f("fk_integrity_alarms_item_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_alarms")),
    )
    with op.batch_alter_table("integrity_alarms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_integrity_alarms_case_id"), ["case_id"], unique=False)

    for table in APPEND_ONLY:
        make_append_only(table, refuse_rewrites=False)  # added by 0008


def downgrade() -> None:
    for table in APPEND_ONLY:
        drop_append_only(table)
    with op.batch_alter_table("integrity_alarms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integrity_alarms_case_id"))

    op.drop_table("integrity_alarms")
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_events_item_id"))
        batch_op.drop_index(batch_op.f("ix_custody_events_case_id"))

    op.drop_table("custody_events")
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_items_sha256"))
        batch_op.drop_index(batch_op.f("ix_evidence_items_case_id"))

    op.drop_table("evidence_items")
    with op.batch_alter_table("ledger_tree_heads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_tree_heads_ledger"))

    op.drop_table("ledger_tree_heads")
