"""What entities contribute to the graph when it is rebuilt from SQL: every entity, every
active membership in a case, every link not retracted. The same payloads the services put
in the outbox, so `graph check` compares like with like."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.entities.models import CaseEntity, Entity, Link
from caseflow.entities.services import entity_graph_payload, link_graph_payload
from caseflow.graphsync.projector import snapshot_provider
from graph.records import GraphOp


@snapshot_provider
def entity_graph(session: Session) -> Iterator[GraphOp]:
    for entity in session.scalars(
        sa.select(Entity).order_by(Entity.id).execution_options(yield_per=5000)
    ):
        yield GraphOp("upsert_entity", entity_graph_payload(entity))
    rows = session.execute(
        sa.select(CaseEntity.entity_id, CaseEntity.case_id)
        .where(CaseEntity.removed_at.is_(None))
        .distinct()
    )
    for entity_id, case_id in rows:
        yield GraphOp("add_membership", {"entity_id": entity_id, "case_id": case_id})
    for link in session.scalars(sa.select(Link).where(Link.retracted_at.is_(None))):
        yield GraphOp("upsert_link", link_graph_payload(link))
