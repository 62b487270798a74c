"""entity match keys: probable-match keys of each entity, for "possible match" hits

Existing entities get their keys from caseflow.entities.probable (derived from the
canonical value alone; rerunning the function gives the same keys).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 05:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entity_match_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=2200), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_entity_match_keys_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_match_keys")),
        sa.UniqueConstraint("entity_id", "key", name="entity_key"),
    )
    with op.batch_alter_table("entity_match_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_entity_match_keys_entity_id"), ["entity_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_entity_match_keys_key"), ["key"], unique=False)
    _backfill(op.get_bind())


def _backfill(bind: sa.Connection) -> None:
    from caseflow.entities.probable import KEYS, probable_keys

    entities = sa.table(
        "entities", sa.column("id", sa.Integer()), sa.column("kind"), sa.column("value")
    )
    keys = sa.table(
        "entity_match_keys",
        sa.column("entity_id", sa.Integer()),
        sa.column("key"),
        sa.column("reason"),
    )
    rows = bind.execute(
        sa.select(entities.c.id, entities.c.kind, entities.c.value).where(
            entities.c.kind.in_(sorted(KEYS))
        )
    ).all()
    batch: list[dict[str, object]] = []
    for entity_id, kind, value in rows:
        found = {k.key: k.reason for k in probable_keys(kind, value)}
        batch.extend(
            {"entity_id": entity_id, "key": key[:2200], "reason": reason[:300]}
            for key, reason in found.items()
        )
        if len(batch) >= 1000:
            bind.execute(keys.insert(), batch)
            batch = []
    if batch:
        bind.execute(keys.insert(), batch)


def downgrade() -> None:
    with op.batch_alter_table("entity_match_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entity_match_keys_key"))
        batch_op.drop_index(batch_op.f("ix_entity_match_keys_entity_id"))
    op.drop_table("entity_match_keys")
