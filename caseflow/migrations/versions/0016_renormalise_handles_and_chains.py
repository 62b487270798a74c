"""renormalise handles and chains: old tron:/monero: wallets and messaging handles written as
national numbers become the one canonical entity normalize gives today

Before, `tron:T...` and `trx:T...` (and `monero:`/`xmr:`) were two wallets, and
`signal:07700900123` / `signal:+447700900123` two accounts. Each such entity is normalized
again (a national number with the lead jurisdiction of the first case that held it). When
no entity has the new value, the entity's value and label are updated in place; when one
does, the old entity is merged into it: its involvements, sightings and links move to it
(an involvement of a case that already holds it is marked removed, a link that would join
the entity to itself is retracted), and the old row stays, marked `merged_into`, so audit
records naming its id still resolve. Values that no longer validate (a broken TRON
checksum) are left as they were. Graph operations go to the outbox; MLA request
identifiers keep the entity they were frozen with.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 06:15:00
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import caseflow.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

MESSAGING = ("signal", "telegram", "wechat", "line", "viber", "whatsapp")
OLD_CHAINS = ("tron", "monero")
_NUMBER = re.compile(r"\+?[\d\s().\-]{6,}")

T = caseflow.db.UTCDateTime(timezone=True)
entities = sa.table(
    "entities",
    sa.column("id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("value", sa.String()),
    sa.column("label", sa.String()),
    sa.column("attributes", sa.JSON()),
    sa.column("jurisdiction", sa.String()),
)
case_entities = sa.table(
    "case_entities",
    sa.column("id", sa.Integer()),
    sa.column("case_id", sa.Integer()),
    sa.column("entity_id", sa.Integer()),
    sa.column("added_at", T),
    sa.column("removed_at", T),
)
cases = sa.table("cases", sa.column("id", sa.Integer()), sa.column("lead_jurisdiction"))
observations = sa.table(
    "entity_observations", sa.column("id", sa.Integer()), sa.column("entity_id", sa.Integer())
)
links = sa.table(
    "links",
    sa.column("id", sa.Integer()),
    sa.column("case_id", sa.Integer()),
    sa.column("type", sa.String()),
    sa.column("source_id", sa.Integer()),
    sa.column("target_id", sa.Integer()),
    sa.column("confidence", sa.String()),
    sa.column("assessment", sa.Boolean()),
    sa.column("retracted_at", T),
)
match_keys = sa.table(
    "entity_match_keys",
    sa.column("entity_id", sa.Integer()),
    sa.column("key", sa.String()),
    sa.column("reason", sa.String()),
)
outbox = sa.table(
    "graph_outbox",
    sa.column("op", sa.String()),
    sa.column("payload", sa.JSON()),
    sa.column("created_at", T),
    sa.column("attempts", sa.Integer()),
)


def _candidate(kind: str, value: str) -> bool:
    """An old tron:/monero: wallet, or a messaging handle that is a number not in E.164."""
    head, _, tail = value.partition(":")
    if kind == "wallet":
        return head in OLD_CHAINS
    e164 = tail.startswith("+") and tail[1:].isdigit()
    return head in MESSAGING and not e164 and bool(_NUMBER.fullmatch(tail))


def upgrade() -> None:
    from caseflow.entities.errors import InvalidIdentifier
    from caseflow.entities.normalize import normalize
    from caseflow.entities.probable import probable_keys

    bind = op.get_bind()
    now = datetime.now(UTC)
    ops: list[dict[str, Any]] = []
    rows = bind.execute(
        sa.select(entities.c.id, entities.c.kind, entities.c.value).where(
            entities.c.kind.in_(("wallet", "account"))
        )
    ).all()
    for entity_id, kind, value in rows:
        if not _candidate(kind, value):
            continue
        region = bind.scalar(
            sa.select(cases.c.lead_jurisdiction)
            .join(case_entities, case_entities.c.case_id == cases.c.id)
            .where(case_entities.c.entity_id == entity_id)
            .order_by(case_entities.c.added_at, case_entities.c.id)
            .limit(1)
        )
        try:
            normalized = normalize(kind, value, default_region=region)
        except InvalidIdentifier:
            continue
        if normalized.value == value:
            continue
        survivor = bind.scalar(
            sa.select(entities.c.id).where(
                entities.c.kind == kind, entities.c.value == normalized.value
            )
        )
        if survivor is None:
            _rename(bind, entity_id, kind, normalized, probable_keys, ops)
        else:
            _merge(bind, entity_id, survivor, now, ops)
    for item in ops:
        bind.execute(outbox.insert().values(created_at=now, attempts=0, **item))


def _rename(bind, entity_id, kind, normalized, probable_keys, ops) -> None:
    attributes = dict(
        bind.scalar(sa.select(entities.c.attributes).where(entities.c.id == entity_id)) or {}
    )
    attributes.update({k: v for k, v in normalized.attributes.items() if k not in attributes})
    label = normalized.label[:300]
    bind.execute(
        entities.update()
        .where(entities.c.id == entity_id)
        .values(value=normalized.value, label=label, attributes=attributes)
    )
    bind.execute(match_keys.delete().where(match_keys.c.entity_id == entity_id))
    found = {k.key: k.reason for k in probable_keys(kind, normalized.value)}
    for key, reason in found.items():
        bind.execute(
            match_keys.insert().values(entity_id=entity_id, key=key[:2200], reason=reason[:300])
        )
    jurisdiction = bind.scalar(sa.select(entities.c.jurisdiction).where(entities.c.id == entity_id))
    ops.append(
        {
            "op": "upsert_entity",
            "payload": {
                "id": entity_id,
                "kind": kind,
                "value": normalized.value,
                "label": label,
                "jurisdiction": jurisdiction,
            },
        }
    )


def _merge(bind, old: int, survivor: int, now: datetime, ops) -> None:
    for ce_id, case_id, removed_at in bind.execute(
        sa.select(case_entities.c.id, case_entities.c.case_id, case_entities.c.removed_at).where(
            case_entities.c.entity_id == old
        )
    ).all():
        theirs = bind.execute(
            sa.select(case_entities.c.id, case_entities.c.removed_at).where(
                case_entities.c.case_id == case_id, case_entities.c.entity_id == survivor
            )
        ).first()
        if theirs is None:
            bind.execute(
                case_entities.update().where(case_entities.c.id == ce_id).values(entity_id=survivor)
            )
        else:
            if removed_at is None:
                bind.execute(
                    case_entities.update().where(case_entities.c.id == ce_id).values(removed_at=now)
                )
                if theirs.removed_at is not None:
                    bind.execute(
                        case_entities.update()
                        .where(case_entities.c.id == theirs.id)
                        .values(removed_at=None)
                    )
        if removed_at is None:
            ops.append(
                {"op": "remove_membership", "payload": {"entity_id": old, "case_id": case_id}}
            )
            ops.append(
                {"op": "add_membership", "payload": {"entity_id": survivor, "case_id": case_id}}
            )
    bind.execute(
        observations.update().where(observations.c.entity_id == old).values(entity_id=survivor)
    )
    for link in bind.execute(
        sa.select(links).where(sa.or_(links.c.source_id == old, links.c.target_id == old))
    ).all():
        source = survivor if link.source_id == old else link.source_id
        target = survivor if link.target_id == old else link.target_id
        if source == target:  # a link between the two spellings: retracted, kept as it was
            if link.retracted_at is None:
                bind.execute(links.update().where(links.c.id == link.id).values(retracted_at=now))
                ops.append({"op": "delete_link", "payload": {"id": link.id}})
            continue
        bind.execute(
            links.update().where(links.c.id == link.id).values(source_id=source, target_id=target)
        )
        if link.retracted_at is None:
            ops.append(
                {
                    "op": "upsert_link",
                    "payload": {
                        "id": link.id,
                        "type": link.type,
                        "source_id": source,
                        "target_id": target,
                        "case_id": link.case_id,
                        "confidence": link.confidence,
                        "assessment": bool(link.assessment),
                    },
                }
            )
    attributes = dict(
        bind.scalar(sa.select(entities.c.attributes).where(entities.c.id == old)) or {}
    )
    attributes["merged_into"] = survivor
    bind.execute(entities.update().where(entities.c.id == old).values(attributes=attributes))
    bind.execute(match_keys.delete().where(match_keys.c.entity_id == old))


def downgrade() -> None:
    """Nothing to undo in the schema; merged and renamed entities stay as they are (the old
    spellings were duplicates of one identifier)."""
