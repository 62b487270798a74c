"""entities, involvements, observations, links

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 20:57:51.786149
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caseflow.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("value", sa.String(length=2100), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=True),
        sa.Column("created_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('account', 'ad', 'bank_account', 'device', 'domain', 'email', "
            "'ip_address', 'jurisdiction', 'organization', 'person', 'phone', "
            "'service_provider', 'url', 'wallet')",
            name=op.f("ck_entities_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_entities_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
        sa.UniqueConstraint("kind", "value", name="kind_value"),
    )
    op.create_table(
        "case_entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("added_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("removed_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IS NULL OR role IN ('suspect', 'victim', 'witness', 'other')",
            name=op.f("ck_case_entities_role"),
        ),
        sa.CheckConstraint(
            "source IN ('manual', 'ad', 'csv', 'api')", name=op.f("ck_case_entities_source")
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_case_entities_added_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_entities_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_case_entities_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_entities")),
        sa.UniqueConstraint("case_id", "entity_id", name="case_entity"),
    )
    with op.batch_alter_table("case_entities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_entities_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_entities_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "entity_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("observed_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_entity_observations_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_entity_observations_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_entity_observations_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_observations")),
    )
    with op.batch_alter_table("entity_observations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_entity_observations_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_entity_observations_entity_id"), ["entity_id"], unique=False
        )

    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("assessment", sa.Boolean(), nullable=False),
        sa.Column("evidence_item_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "confidence IN ('confirmed', 'probable', 'possible')", name=op.f("ck_links_confidence")
        ),
        sa.CheckConstraint(
            "type IN ('POSTED', 'CONTACT', 'CONTROLS', 'CONTACTED', 'PAID', "
            "'REGISTERED_WITH', 'LOCATED_IN', 'USES', 'HOSTED_AT', 'ASSOCIATED_WITH', "
            "'SAME_AS')",
            name=op.f("ck_links_type"),
        ),
        sa.CheckConstraint("source_id <> target_id", name=op.f("ck_links_not_self")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_links_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_links_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"], ["users.id"], name=op.f("fk_links_retracted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["entities.id"], name=op.f("fk_links_source_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["entities.id"], name=op.f("fk_links_target_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_links_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_links_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_links_target_id"), ["target_id"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_links_target_id"))
        batch_op.drop_index(batch_op.f("ix_links_source_id"))
        batch_op.drop_index(batch_op.f("ix_links_case_id"))

    op.drop_table("links")
    with op.batch_alter_table("entity_observations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entity_observations_entity_id"))
        batch_op.drop_index(batch_op.f("ix_entity_observations_case_id"))

    op.drop_table("entity_observations")
    with op.batch_alter_table("case_entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_entities_entity_id"))
        batch_op.drop_index(batch_op.f("ix_case_entities_case_id"))

    op.drop_table("case_entities")
    op.drop_table("entities")
    # ### end Alembic commands ###
