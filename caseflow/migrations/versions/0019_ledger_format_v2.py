"""Ledger record format v2: a `v` field in every record, `system_time` (set when the clock
stepped back), exhibit facts chained in the "acquired" custody record, personal fields
(names, free text) chained as salted commitments with their openings in
`ledger_personal_values` (erasable), head frontiers, and existing data migrated.

Existing custody and audit records are rewritten in v2 and re-chained; the tree heads
signed over v1 roots are removed (CaseFlow had no production installation on v1). The
application signs new heads as it writes (docs/ledger.md).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import caseflow.db
from caseflow.migrations.append_only import drop_append_only, make_append_only

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
LEDGER_TABLES = ("audit_events", "custody_events", "evidence_items", "ledger_tree_heads")
ITEM_PERSONAL = ("description", "acquired_by", "filename", "location", "source")
ITEM_PLAIN = (
    "kind",
    "sha256",
    "sha1",
    "md5",
    "size",
    "media_type",
    "acquired_at",
    "acquisition_method",
    "acquisition_tool",
    "seal_number",
)
CUSTODY_PERSONAL = ("from_custodian", "to_custodian", "location", "purpose", "notes")
CUSTODY_FIELDS = (
    "event_id",
    "case_reference",
    "exhibit_number",
    "root_exhibit_number",
    "evidence_sha256",
    "action",
    "actor",
    "from_custodian",
    "to_custodian",
    "ts_utc",
    "recorded_at",
    "location",
    "purpose",
    "authority_ref",
    "tool",
    "seal_ids",
    "seal_condition",
    "observed_sha256",
    "notes",
    "corrects_event_id",
    "item_facts",
)
AUDIT_FIELDS = (
    "occurred_at",
    "action",
    "category",
    "outcome",
    "actor_id",
    "actor_name",
    "actor_role",
    "object_type",
    "object_id",
    "case_id",
    "ip",
    "request_id",
    "purpose",
    "details",
)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value: Any) -> Any:
    return _rfc3339(value) if isinstance(value, datetime) else value


def _entry_hash(record: dict[str, Any]) -> str:
    from exports.verify import entry_hash

    return entry_hash(record)


def _commit(conn: sa.Connection, values: sa.Table, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    salt = secrets.token_hex(16)
    digest = hashlib.sha256(
        bytes.fromhex(salt) + json.dumps(value, ensure_ascii=False).encode()
    ).hexdigest()
    conn.execute(values.insert().values(commitment=digest, salt=salt, value=value))
    return digest


def upgrade() -> None:
    values = op.create_table(
        "ledger_personal_values",
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("commitment", name=op.f("pk_ledger_personal_values")),
    )
    for table in LEDGER_TABLES:
        drop_append_only(table)
    # Plain ALTER TABLE (SQLite >= 3.35 drops columns natively): no table is recreated, so
    # the foreign keys into evidence_items and its indexes stay as they are.
    for table in ("audit_events", "custody_events"):
        op.add_column(table, sa.Column("format", sa.Integer(), nullable=False, server_default="2"))
        op.add_column(
            table, sa.Column("commitments", sa.JSON(), nullable=False, server_default="{}")
        )
        op.add_column(
            table, sa.Column("system_time", caseflow.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.add_column("ledger_tree_heads", sa.Column("frontier", sa.JSON(), nullable=True))
    op.add_column("custody_events", sa.Column("item_facts", sa.JSON(), nullable=True))
    op.add_column(
        "evidence_items", sa.Column("commitments", sa.JSON(), nullable=False, server_default="{}")
    )

    conn = op.get_bind()
    dt = caseflow.db.UTCDateTime(timezone=True)
    items = sa.table(
        "evidence_items",
        sa.column("id", sa.Integer),
        sa.column("acquired_at", dt),
        sa.column("size", sa.BigInteger),
        sa.column("commitments", sa.JSON),
        *(
            sa.column(name, sa.Text)
            for name in (*ITEM_PERSONAL, *ITEM_PLAIN)
            if name not in ("size", "acquired_at")
        ),
    )
    facts: dict[int, dict[str, Any]] = {}
    for row in conn.execute(sa.select(items).order_by(items.c.id)).mappings().all():
        commitments = {name: _commit(conn, values, row[name]) for name in ITEM_PERSONAL}
        conn.execute(items.update().where(items.c.id == row["id"]).values(commitments=commitments))
        chained = {name: _plain(row[name]) for name in ITEM_PLAIN}
        chained.update(commitments)
        facts[row["id"]] = chained

    custody = sa.table(
        "custody_events",
        sa.column("id", sa.Integer),
        sa.column("item_id", sa.Integer),
        sa.column("seq", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("entry_hash", sa.String),
        sa.column("format", sa.Integer),
        sa.column("commitments", sa.JSON),
        sa.column("item_facts", sa.JSON),
        sa.column("actor", sa.JSON),
        sa.column("ts_utc", dt),
        sa.column("recorded_at", dt),
        *(
            sa.column(name, sa.Text)
            for name in CUSTODY_FIELDS
            if name not in ("actor", "ts_utc", "recorded_at", "item_facts")
        ),
    )
    previous = GENESIS
    for row in conn.execute(sa.select(custody).order_by(custody.c.seq)).mappings().all():
        commitments = {name: _commit(conn, values, row[name]) for name in CUSTODY_PERSONAL}
        item_facts = facts.get(row["item_id"]) if row["action"] == "acquired" else None
        record: dict[str, Any] = {name: _plain(row[name]) for name in CUSTODY_FIELDS}
        record.update(commitments)
        record.update(item_facts=item_facts, v=2, system_time=None)
        record.update(ledger="custody", seq=row["seq"])
        record["prev_hash"] = previous
        previous = _entry_hash(record)
        conn.execute(
            custody.update()
            .where(custody.c.id == row["id"])
            .values(
                format=2,
                commitments=commitments,
                item_facts=item_facts,
                prev_hash=record["prev_hash"],
                entry_hash=previous,
            )
        )

    audit = sa.table(
        "audit_events",
        sa.column("id", sa.Integer),
        sa.column("seq", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("entry_hash", sa.String),
        sa.column("format", sa.Integer),
        sa.column("commitments", sa.JSON),
        sa.column("occurred_at", dt),
        sa.column("actor_id", sa.Integer),
        sa.column("case_id", sa.Integer),
        sa.column("details", sa.JSON),
        *(
            sa.column(name, sa.Text)
            for name in AUDIT_FIELDS
            if name not in ("occurred_at", "actor_id", "case_id", "details")
        ),
    )
    previous = GENESIS
    for row in conn.execute(sa.select(audit).order_by(audit.c.seq)).mappings().all():
        record = {name: _plain(row[name]) for name in AUDIT_FIELDS}
        record.update(v=2, system_time=None, ledger="audit", seq=row["seq"], prev_hash=previous)
        previous = _entry_hash(record)
        conn.execute(
            audit.update()
            .where(audit.c.id == row["id"])
            .values(format=2, commitments={}, prev_hash=record["prev_hash"], entry_hash=previous)
        )
    conn.execute(sa.text("DELETE FROM ledger_tree_heads"))

    for name in CUSTODY_PERSONAL:
        op.drop_column("custody_events", name)
    for name in ITEM_PERSONAL:
        op.drop_column("evidence_items", name)
    op.create_index("ix_custody_events_item_action", "custody_events", ["item_id", "action"])
    for table in LEDGER_TABLES:
        make_append_only(table)


def downgrade() -> None:
    """Back to v1 columns: the plain values return to the rows (erased ones as ""), the v2
    columns go. The records stay hashed as v2, so the v1 code's verify reports the chains
    broken: downgrading is for development databases only."""
    for table in LEDGER_TABLES:
        drop_append_only(table)
    op.drop_index("ix_custody_events_item_action", table_name="custody_events")
    text = {"from_custodian": 200, "to_custodian": 200, "location": 500, "source": 500}
    nullable = ("from_custodian", "to_custodian", "filename")
    for table, names in (("custody_events", CUSTODY_PERSONAL), ("evidence_items", ITEM_PERSONAL)):
        for name in names:
            kind = sa.String(length=text[name]) if name in text else sa.Text()
            if name == "acquired_by":
                kind = sa.String(length=200)
            if name == "filename":
                kind = sa.String(length=255)
            default = None if name in nullable else ""
            op.add_column(
                table,
                sa.Column(name, kind, nullable=name in nullable, server_default=default),
            )
    conn = op.get_bind()
    values: dict[str, str | None] = dict(
        conn.execute(sa.text("SELECT commitment, value FROM ledger_personal_values")).all()
    )
    for table, names in (("custody_events", CUSTODY_PERSONAL), ("evidence_items", ITEM_PERSONAL)):
        rows = sa.table(table, sa.column("id", sa.Integer), sa.column("commitments", sa.JSON))
        for row in conn.execute(sa.select(rows)).mappings().all():
            commitments = row["commitments"] or {}
            plain = {
                name: values.get(commitments[name], "") if commitments.get(name) else None
                for name in names
            }
            plain = {k: (v if v is not None or k in nullable else "") for k, v in plain.items()}
            target = sa.table(table, sa.column("id", sa.Integer), *(sa.column(n) for n in names))
            conn.execute(target.update().where(target.c.id == row["id"]).values(**plain))
    for table in ("audit_events", "custody_events"):
        for name in ("format", "commitments", "system_time"):
            op.drop_column(table, name)
    op.drop_column("custody_events", "item_facts")
    op.drop_column("evidence_items", "commitments")
    op.drop_column("ledger_tree_heads", "frontier")
    op.drop_table("ledger_personal_values")
    for table in LEDGER_TABLES:
        make_append_only(table)
