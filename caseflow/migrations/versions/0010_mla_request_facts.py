"""MLA request facts: every fact the legal-basis resolver and the checklists use, stored as the
officer answered it, "unknown" where nobody said.

The legacy list of types of assistance becomes a measure and data categories. Values the old
form assumed are not kept as statements: a holder left at the default "service provider",
the child-offence box ticked by default and an unticked "production will follow" box all
become "unknown" (an officer who unticked the child-offence box said "no").

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ANSWERS = (
    "transnational",
    "organised_group",
    "child_exploitation",
    "offence_in_issuing_state",
    "person_in_issuing_state",
)
# Legacy type of assistance -> (measure, data categories), as caseflow.mla.facts.LEGACY_TYPES
# (copied: a migration must not change when the app's code does).
LEGACY = {
    "preservation": ("preserve", ()),
    "subscriber-data": ("obtain", ("subscriber",)),
    "traffic-data": ("obtain", ("traffic",)),
    "content-data": ("obtain", ("content",)),
    "financial-records": ("obtain", ("financial",)),
    "search-or-testimony": ("obtain", ("search", "hearing")),
}
CATEGORY_ORDER = (
    "subscriber",
    "identification",
    "traffic",
    "content",
    "financial",
    "search",
    "hearing",
    "other",
)


def _column(name: str, type_: sa.types.TypeEngine, default: str) -> sa.Column:
    return sa.Column(name, type_, nullable=False, server_default=default)


def upgrade() -> None:
    with op.batch_alter_table("mla_requests", schema=None) as batch_op:
        batch_op.add_column(_column("measure", sa.String(length=16), "unknown"))
        batch_op.add_column(_column("data_categories", sa.String(length=200), ""))
        batch_op.add_column(_column("holder_eu_presence", sa.String(length=32), "unknown"))
        batch_op.add_column(_column("holder_eu_state", sa.String(length=8), ""))
        batch_op.add_column(_column("issuing_authority_type", sa.String(length=24), "unknown"))
        batch_op.add_column(_column("issuing_file_reference", sa.String(length=120), ""))
        batch_op.add_column(_column("validating_authority", sa.String(length=300), ""))
        batch_op.add_column(_column("validating_authority_type", sa.String(length=24), "unknown"))
        batch_op.add_column(_column("validating_file_reference", sa.String(length=120), ""))
        batch_op.add_column(_column("conducting_authority", sa.String(length=300), ""))
        batch_op.add_column(_column("persons_concerned", sa.Text(), ""))
        batch_op.add_column(_column("probable_cause", sa.Text(), ""))
        for name in ANSWERS:
            batch_op.add_column(_column(name, sa.String(length=8), "unknown"))
        batch_op.add_column(_column("follow_up_answer", sa.String(length=8), "unknown"))
        batch_op.add_column(_column("immunities", sa.Text(), ""))
        batch_op.add_column(_column("formalities", sa.Text(), ""))
        batch_op.add_column(_column("legal_remedies", sa.Text(), ""))
        batch_op.add_column(_column("basis_supplements", sa.String(length=200), ""))

    requests = sa.table(
        "mla_requests",
        sa.column("id", sa.Integer),
        sa.column("request_types", sa.String),
        sa.column("holder_kind", sa.String),
        sa.column("child_offence", sa.Boolean),
        sa.column("production_to_follow", sa.Boolean),
        sa.column("measure", sa.String),
        sa.column("data_categories", sa.String),
        sa.column("child_exploitation", sa.String),
        sa.column("follow_up_answer", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            requests.c.id,
            requests.c.request_types,
            requests.c.holder_kind,
            requests.c.child_offence,
            requests.c.production_to_follow,
        )
    ).all()
    for row in rows:
        types = [t for t in (row.request_types or "").split(",") if t in LEGACY]
        categories = {c for t in types for c in LEGACY[t][1]}
        measure = "preserve" if "preservation" in types else ("obtain" if types else "unknown")
        conn.execute(
            requests.update()
            .where(requests.c.id == row.id)
            .values(
                measure=measure,
                data_categories=",".join(c for c in CATEGORY_ORDER if c in categories),
                holder_kind="unknown" if row.holder_kind == "service-provider" else row.holder_kind,
                child_exploitation="unknown" if row.child_offence else "no",
                follow_up_answer="yes" if row.production_to_follow else "unknown",
            )
        )

    with op.batch_alter_table("mla_requests", schema=None) as batch_op:
        batch_op.drop_column("request_types")
        batch_op.drop_column("child_offence")
        batch_op.drop_column("production_to_follow")
        batch_op.alter_column(
            "follow_up_answer",
            new_column_name="production_to_follow",
            existing_type=sa.String(length=8),
            existing_nullable=False,
        )
        for name in (*ANSWERS, "production_to_follow"):
            batch_op.create_check_constraint(
                op.f(f"ck_mla_requests_{name}"), f"{name} IN ('yes', 'no', 'unknown')"
            )

    with op.batch_alter_table("mla_offences", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tags", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "by_information_system",
                sa.String(length=8),
                nullable=False,
                server_default="unknown",
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_mla_offences_by_information_system"),
            "by_information_system IN ('yes', 'no', 'unknown')",
        )


def downgrade() -> None:
    with op.batch_alter_table("mla_offences", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_mla_offences_by_information_system"), type_="check")
        batch_op.drop_column("by_information_system")
        batch_op.drop_column("tags")
    with op.batch_alter_table("mla_requests", schema=None) as batch_op:
        for name in (*ANSWERS, "production_to_follow"):
            batch_op.drop_constraint(op.f(f"ck_mla_requests_{name}"), type_="check")
        batch_op.add_column(
            sa.Column("request_types", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("child_offence", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("follow_up_flag", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    requests = sa.table(
        "mla_requests",
        sa.column("id", sa.Integer),
        sa.column("measure", sa.String),
        sa.column("data_categories", sa.String),
        sa.column("child_exploitation", sa.String),
        sa.column("production_to_follow", sa.String),
        sa.column("request_types", sa.String),
        sa.column("child_offence", sa.Boolean),
        sa.column("follow_up_flag", sa.Boolean),
    )
    back = {"subscriber": "subscriber-data", "identification": "subscriber-data"}
    back |= {"traffic": "traffic-data", "content": "content-data"}
    back |= {"financial": "financial-records", "search": "search-or-testimony"}
    back |= {"hearing": "search-or-testimony"}
    conn = op.get_bind()
    for row in conn.execute(sa.select(requests)).all():
        cats = [c for c in (row.data_categories or "").split(",") if c in back]
        types = (["preservation"] if row.measure == "preserve" else []) + [back[c] for c in cats]
        conn.execute(
            requests.update()
            .where(requests.c.id == row.id)
            .values(
                request_types=",".join(dict.fromkeys(types)),
                child_offence=row.child_exploitation != "no",
                follow_up_flag=row.production_to_follow == "yes",
            )
        )
    with op.batch_alter_table("mla_requests", schema=None) as batch_op:
        for name in (
            "production_to_follow",
            "basis_supplements",
            "legal_remedies",
            "formalities",
            "immunities",
            *ANSWERS,
            "probable_cause",
            "persons_concerned",
            "conducting_authority",
            "validating_file_reference",
            "validating_authority_type",
            "validating_authority",
            "issuing_file_reference",
            "issuing_authority_type",
            "holder_eu_state",
            "holder_eu_presence",
            "data_categories",
            "measure",
        ):
            batch_op.drop_column(name)
        batch_op.alter_column(
            "follow_up_flag",
            new_column_name="production_to_follow",
            existing_type=sa.Boolean(),
            existing_nullable=False,
        )
