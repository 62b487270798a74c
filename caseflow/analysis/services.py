"""Link-analysis use cases over the Neo4j projection, filtered to what the actor may see.

The need-to-know set is the actor's member cases, plus a case a supervisor opened with a
stated purpose. Every read is audited as a consultation. When Neo4j is unreachable the
services raise GraphUnavailable carrying the outbox backlog, so pages can say so instead of
failing. Must not import flask.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.cases.services import case_for, member_case_ids
from caseflow.errors import CaseFlowError, ValidationError
from caseflow.graphsync import GraphAccess
from caseflow.graphsync.projector import backlog
from graph.records import AdCluster, JurisdictionTouch, Path, Subgraph
from graph.store import GraphStore


class GraphUnavailable(CaseFlowError):
    code = "graph_unavailable"
    status = 503

    def __init__(self, backlog: int) -> None:
        super().__init__(
            "The link graph is unavailable right now"
            + (f"; {backlog} changes are waiting to be projected." if backlog else ".")
        )
        self.backlog = backlog


@dataclass(frozen=True)
class CaseGraph:
    subgraph: Subgraph
    backlog: int  # changes committed but not yet in the graph ("catching up")


def _visible(session: Session, actor: Actor, case_id: int) -> Collection[int]:
    ids = set(member_case_ids(session, actor))
    if actor.purpose_for(case_id):
        ids.add(case_id)
    return ids


def _store(session: Session, graph: GraphAccess) -> GraphStore:
    store = graph.store()
    if store is None or not store.ping():
        raise GraphUnavailable(backlog(session))
    return store


def _consulted(session: Session, actor: Actor, case_id: int, what: str, **details) -> None:
    record_event(
        session,
        actor,
        f"graph.{what}",
        category="consultation",
        object_type="case",
        object_id=case_id,
        case_id=case_id,
        purpose=actor.purpose_for(case_id),
        details=details,
    )


def case_graph(session: Session, actor: Actor, graph: GraphAccess, case_id: int) -> CaseGraph:
    """The case's entities, the visible links among them, and hits for hidden cases."""
    case = case_for(session, actor, case_id)
    store = _store(session, graph)
    sub = store.case_subgraph(case.id, _visible(session, actor, case.id))
    pending = backlog(session)
    _consulted(session, actor, case.id, "case_view", nodes=len(sub.nodes), hits=len(sub.hits))
    return CaseGraph(sub, pending)


def neighbourhood(
    session: Session,
    actor: Actor,
    graph: GraphAccess,
    case_id: int,
    entity_id: int,
    depth: int = 1,
    limit: int = 200,
) -> Subgraph:
    """Visible entities within `depth` links of an entity of this case (expand a node)."""
    case = case_for(session, actor, case_id)
    if not 1 <= depth <= 3:
        raise ValidationError("Depth: 1, 2 or 3.", field="depth")
    store = _store(session, graph)
    sub = store.neighbourhood(entity_id, depth, _visible(session, actor, case.id), limit=limit)
    _consulted(session, actor, case.id, "neighbourhood", entity_id=entity_id, depth=depth)
    return sub


def paths(
    session: Session, actor: Actor, graph: GraphAccess, case_id: int, a_id: int, b_id: int
) -> tuple[Path, ...]:
    case = case_for(session, actor, case_id)
    store = _store(session, graph)
    found = store.shortest_paths(a_id, b_id, _visible(session, actor, case.id), max_len=4)
    _consulted(session, actor, case.id, "path", source=a_id, target=b_id, found=len(found))
    return found


def ad_clusters(
    session: Session, actor: Actor, graph: GraphAccess, case_id: int
) -> tuple[AdCluster, ...]:
    case = case_for(session, actor, case_id)
    store = _store(session, graph)
    clusters = store.ad_clusters(_visible(session, actor, case.id), case_id=case.id)
    _consulted(session, actor, case.id, "ad_clusters", clusters=len(clusters))
    return clusters


def jurisdictions(
    session: Session, actor: Actor, graph: GraphAccess, case_id: int
) -> tuple[JurisdictionTouch, ...]:
    """Where the case's entities are, and the service providers there (whom to ask)."""
    case = case_for(session, actor, case_id)
    store = _store(session, graph)
    touched = store.case_jurisdictions(case.id, _visible(session, actor, case.id))
    _consulted(session, actor, case.id, "jurisdictions", count=len(touched))
    return touched
