"""What cases contribute to the graph when it is rebuilt from SQL."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from caseflow.cases.models import Case
from caseflow.cases.services import case_graph_payload
from caseflow.graphsync.projector import snapshot_provider
from graph.records import GraphOp


@snapshot_provider
def case_nodes(session: Session) -> Iterator[GraphOp]:
    for case in session.scalars(sa.select(Case).options(joinedload(Case.owner))):
        yield GraphOp("upsert_case", case_graph_payload(case, case.owner))
