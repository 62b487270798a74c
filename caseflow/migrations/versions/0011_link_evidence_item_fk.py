"""A link's evidence item must exist and belong to the link's case: a composite foreign key
(evidence_item_id, case_id) -> evidence_items (id, case_id), on a unique index of the latter.

References that already point nowhere or to another case's item cannot be kept under the key:
they are cleared and each clearing is counted in the migration's output (a dangling or foreign
reference never supported the link).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

FK = "fk_links_evidence_item_id_evidence_items"
INDEX = "uq_evidence_items_id_case_id"


def _triggers_on_links(bind) -> list[str]:
    """SQLite rebuilds the table to add a key, dropping its triggers: keep them to restore."""
    if bind.dialect.name != "sqlite":
        return []
    rows = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'links'")
    )
    return [row[0] for row in rows if row[0]]


def upgrade() -> None:
    bind = op.get_bind()
    op.create_index(INDEX, "evidence_items", ["id", "case_id"], unique=True)
    cleared = bind.execute(
        sa.text(
            "UPDATE links SET evidence_item_id = NULL WHERE evidence_item_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM evidence_items e "
            "WHERE e.id = links.evidence_item_id AND e.case_id = links.case_id)"
        )
    ).rowcount
    if cleared:
        print(f"0011: cleared {cleared} link evidence references to no item of the link's case")
    triggers = _triggers_on_links(bind)
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_foreign_key(
            FK, "evidence_items", ["evidence_item_id", "case_id"], ["id", "case_id"]
        )
    for sql in triggers:
        op.execute(sql)


def downgrade() -> None:
    bind = op.get_bind()
    triggers = _triggers_on_links(bind)
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
    for sql in triggers:
        op.execute(sql)
    op.drop_index(INDEX, table_name="evidence_items")
