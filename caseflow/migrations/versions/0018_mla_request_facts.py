"""MLA request facts: every fact the legal-basis resolver and the checklists use, stored as the
officer answered it, "unknown" where nobody said.

The legacy list of types of assistance becomes a measure and data categories. Values the old
form assumed are not kept as statements: a holder left at the default "service provider",
the child-offence box ticked by default and an unticked "production will follow" box all
become "unknown" (an officer who unticked the child-offence box said "no").

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
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


# Plain ALTER TABLE statements (SQLite >= 3.35 and PostgreSQL both run them): no table is
# rebuilt, so the rows of mla_offences, mla_identifiers, mla_annexes and the approvals that
# reference a request are never touched. SQLite cannot add a CHECK constraint to an existing
# table; the services check every answer, and PostgreSQL gets the constraints.
def _drop(table: str, column: str) -> None:
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def _rename(table: str, old: str, new: str) -> None:
    op.execute(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


REQUEST_COLUMNS: tuple[tuple[str, sa.types.TypeEngine, str], ...] = (
    ("measure", sa.String(length=16), "unknown"),
    ("data_categories", sa.String(length=200), ""),
    ("holder_eu_presence", sa.String(length=32), "unknown"),
    ("holder_eu_state", sa.String(length=8), ""),
    ("issuing_authority_type", sa.String(length=24), "unknown"),
    ("issuing_file_reference", sa.String(length=120), ""),
    ("validating_authority", sa.String(length=300), ""),
    ("validating_authority_type", sa.String(length=24), "unknown"),
    ("validating_file_reference", sa.String(length=120), ""),
    ("conducting_authority", sa.String(length=300), ""),
    ("persons_concerned", sa.Text(), ""),
    ("probable_cause", sa.Text(), ""),
    *((name, sa.String(length=8), "unknown") for name in ANSWERS),
    ("follow_up_answer", sa.String(length=8), "unknown"),
    ("immunities", sa.Text(), ""),
    ("formalities", sa.Text(), ""),
    ("legal_remedies", sa.Text(), ""),
    ("basis_supplements", sa.String(length=200), ""),
)


def upgrade() -> None:
    for name, type_, default in REQUEST_COLUMNS:
        op.add_column("mla_requests", _column(name, type_, default))

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

    for column in ("request_types", "child_offence", "production_to_follow"):
        _drop("mla_requests", column)
    _rename("mla_requests", "follow_up_answer", "production_to_follow")
    op.add_column("mla_offences", _column("tags", sa.String(length=200), ""))
    op.add_column("mla_offences", _column("by_information_system", sa.String(length=8), "unknown"))
    if _postgres():
        for name in (*ANSWERS, "production_to_follow"):
            op.create_check_constraint(
                op.f(f"ck_mla_requests_{name}"),
                "mla_requests",
                f"{name} IN ('yes', 'no', 'unknown')",
            )
        op.create_check_constraint(
            op.f("ck_mla_offences_by_information_system"),
            "mla_offences",
            "by_information_system IN ('yes', 'no', 'unknown')",
        )


def downgrade() -> None:
    if _postgres():
        op.drop_constraint(op.f("ck_mla_offences_by_information_system"), "mla_offences")
        for name in (*ANSWERS, "production_to_follow"):
            op.drop_constraint(op.f(f"ck_mla_requests_{name}"), "mla_requests")
    _drop("mla_offences", "by_information_system")
    _drop("mla_offences", "tags")
    op.add_column("mla_requests", _column("request_types", sa.String(length=200), ""))
    op.add_column(
        "mla_requests",
        sa.Column("child_offence", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "mla_requests",
        sa.Column("follow_up_flag", sa.Boolean(), nullable=False, server_default=sa.false()),
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
    for name, _type, _default in reversed(REQUEST_COLUMNS):
        if name != "follow_up_answer":
            _drop("mla_requests", name)
    _drop("mla_requests", "production_to_follow")
    _rename("mla_requests", "follow_up_flag", "production_to_follow")
