"""ad captures: each case's own capture of an ad; the shared ad entity keeps its URL only

Existing ads kept the title, text and posted time of whichever case took them in first, in
the shared entity's attributes. Those move to a capture of that first case (the earliest
involvement, removed or not), captured when and by whom it was added; a case that took in the
same ad later gets no capture from it (what it saw was never stored, and giving it the first
case's copy is the leak this table closes). The entity keeps its URL and platform.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 04:55:00
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import caseflow.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

CAPTURE_KEYS = ("title", "text", "posted_at", "posted_at_offset")

entities = sa.table(
    "entities",
    sa.column("id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("attributes", sa.JSON()),
)
case_entities = sa.table(
    "case_entities",
    sa.column("id", sa.Integer()),
    sa.column("case_id", sa.Integer()),
    sa.column("entity_id", sa.Integer()),
    sa.column("added_at", caseflow.db.UTCDateTime(timezone=True)),
    sa.column("added_by_id", sa.Integer()),
)
captures = sa.table(
    "ad_captures",
    sa.column("id", sa.Integer()),
    sa.column("case_id", sa.Integer()),
    sa.column("entity_id", sa.Integer()),
    sa.column("title", sa.String()),
    sa.column("text", sa.Text()),
    sa.column("posted_at", caseflow.db.UTCDateTime(timezone=True)),
    sa.column("posted_at_offset", sa.String()),
    sa.column("details", sa.JSON()),
    sa.column("captured_at", caseflow.db.UTCDateTime(timezone=True)),
    sa.column("captured_by_id", sa.Integer()),
)


def upgrade() -> None:
    op.create_table(
        "ad_captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("posted_at", caseflow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("posted_at_offset", sa.String(length=8), nullable=True),
        sa.Column("price_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("price_currency", sa.String(length=3), nullable=True),
        sa.Column("price_unit", sa.String(length=16), nullable=True),
        sa.Column("stated_age", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("location_country", sa.String(length=2), nullable=True),
        sa.Column("location_subdivision", sa.String(length=8), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("captured_at", caseflow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("captured_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "stated_age IS NULL OR stated_age BETWEEN 0 AND 150",
            name=op.f("ck_ad_captures_age"),
        ),
        sa.ForeignKeyConstraint(
            ["captured_by_id"], ["users.id"], name=op.f("fk_ad_captures_captured_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_ad_captures_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_ad_captures_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_captures")),
    )
    with op.batch_alter_table("ad_captures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ad_captures_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ad_captures_entity_id"), ["entity_id"], unique=False)
    _move_to_captures(op.get_bind())


def _posted_at(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _move_to_captures(bind: sa.Connection) -> None:
    ads = bind.execute(
        sa.select(entities.c.id, entities.c.attributes).where(entities.c.kind == "ad")
    ).all()
    for entity_id, attributes in ads:
        attributes = dict(attributes or {})
        seen = {k: attributes.pop(k) for k in CAPTURE_KEYS if k in attributes}
        if not seen:
            continue
        ce = case_entities.c
        first = bind.execute(
            sa.select(ce.case_id, ce.added_at, ce.added_by_id)
            .where(ce.entity_id == entity_id)
            .order_by(ce.added_at, ce.id)
            .limit(1)
        ).first()
        if first is not None:
            title = seen.get("title")
            bind.execute(
                captures.insert().values(
                    case_id=first.case_id,
                    entity_id=entity_id,
                    title=str(title)[:500] if title else None,
                    text=seen.get("text"),
                    posted_at=_posted_at(seen.get("posted_at")),
                    posted_at_offset=seen.get("posted_at_offset"),
                    details={"migrated": True},
                    captured_at=first.added_at,
                    captured_by_id=first.added_by_id,
                )
            )
        bind.execute(
            entities.update().where(entities.c.id == entity_id).values(attributes=attributes)
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            captures.c.entity_id,
            captures.c.title,
            captures.c.text,
            captures.c.posted_at,
            captures.c.posted_at_offset,
        ).order_by(captures.c.captured_at.desc(), captures.c.id.desc())
    ).all()
    first: dict[int, Any] = {}
    for row in rows:  # the earliest capture of each ad, as the entity used to keep it
        first[row.entity_id] = row
    for entity_id, row in first.items():
        attributes = dict(
            bind.scalar(sa.select(entities.c.attributes).where(entities.c.id == entity_id)) or {}
        )
        if row.title:
            attributes["title"] = row.title
        if row.text:
            attributes["text"] = row.text
        if row.posted_at is not None:
            attributes["posted_at"] = row.posted_at.isoformat().replace("+00:00", "Z")
            attributes["posted_at_offset"] = row.posted_at_offset
        bind.execute(
            entities.update().where(entities.c.id == entity_id).values(attributes=attributes)
        )
    with op.batch_alter_table("ad_captures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ad_captures_entity_id"))
        batch_op.drop_index(batch_op.f("ix_ad_captures_case_id"))
    op.drop_table("ad_captures")
