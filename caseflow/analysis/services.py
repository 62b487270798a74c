"""Link-analysis use cases over the Neo4j projection, filtered to what the actor may see.

The need-to-know set is the actor's member cases, plus a case a supervisor opened with a
stated purpose. Every read is audited as a consultation. When Neo4j is unreachable the
services raise GraphUnavailable carrying the outbox backlog, so pages can say so instead of
failing. Must not import flask.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import policy
from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.cases.services import case_for, member_case_ids
from caseflow.entities.models import CaseEntity
from caseflow.entities.services.results import VICTIM_MASK
from caseflow.errors import CaseFlowError, ValidationError
from caseflow.graphsync import GraphAccess
from caseflow.graphsync.projector import backlog
from graph.records import AdCluster, GraphNode, HitStub, JurisdictionTouch, Path, Subgraph
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


class _Masking:
    """The case page's victim masking and hit rules, applied to what the graph returned.

    A node involved as a victim in a visible case whose victims the actor may not see (a case
    a supervisor reads with a purpose) keeps its kind but loses its label and value
    (`policy.graph_node_masked`); hits are shown only to members (`policy.may_see_hits`), never
    through a person, a directory entry or anything involved as a victim in any case, as the
    SQL hits on the case page."""

    def __init__(self, session: Session, actor: Actor, case_id: int) -> None:
        members = member_case_ids(session, actor)
        self.session = session
        self.access = {
            c: policy.case_access(actor, c, is_member=c in members)
            for c in _visible(session, actor, case_id)
        }
        self.hits_allowed = policy.may_see_hits(
            self.access.get(case_id, policy.CaseAccess.NONE), actor
        )

    def _victim_cases(self, ids: Collection[int]) -> dict[int, list[int]]:
        found: dict[int, list[int]] = defaultdict(list)
        if not ids:
            return found
        rows = self.session.execute(
            sa.select(CaseEntity.entity_id, CaseEntity.case_id).where(
                CaseEntity.entity_id.in_(sorted(ids)),
                CaseEntity.role == "victim",
                CaseEntity.removed_at.is_(None),
            )
        )
        for entity_id, case_id in rows:
            found[entity_id].append(case_id)
        return found

    def prepare(self, nodes: Iterable[GraphNode], hits: Iterable[HitStub] = ()) -> None:
        nodes = list(nodes)
        victims = self._victim_cases({n.id for n in nodes} | {h.via_entity_id for h in hits})
        self.masked = frozenset(
            entity_id
            for entity_id, cases in victims.items()
            if policy.graph_node_masked(self.access[c] for c in cases if c in self.access)
        )
        self.victims_anywhere = frozenset(victims)
        self.kinds = {n.id: n.kind for n in nodes}

    def node(self, n: GraphNode) -> GraphNode:
        return replace(n, label=VICTIM_MASK, value="") if n.id in self.masked else n

    def hits(self, hits: Iterable[HitStub]) -> tuple[HitStub, ...]:
        if not self.hits_allowed:
            return ()
        return tuple(
            h
            for h in hits
            if h.via_entity_id not in self.victims_anywhere
            and self.kinds.get(h.via_entity_id) not in policy.NO_HIT_KINDS
        )

    def subgraph(self, sub: Subgraph) -> Subgraph:
        self.prepare(sub.nodes, sub.hits)
        return replace(sub, nodes=tuple(self.node(n) for n in sub.nodes), hits=self.hits(sub.hits))

    def paths(self, found: Iterable[Path]) -> tuple[Path, ...]:
        found = tuple(found)
        self.prepare(n for p in found for n in p.nodes)
        return tuple(replace(p, nodes=tuple(self.node(n) for n in p.nodes)) for p in found)

    def clusters(self, clusters: Iterable[AdCluster]) -> tuple[AdCluster, ...]:
        clusters = tuple(clusters)
        self.prepare(
            (n for c in clusters for n in (*c.ads, *c.identifiers)),
            (h for c in clusters for h in c.hits),
        )
        return tuple(
            replace(
                c,
                ads=tuple(self.node(n) for n in c.ads),
                identifiers=tuple(self.node(n) for n in c.identifiers),
                hits=self.hits(c.hits),
            )
            for c in clusters
        )

    def places(self, touched: Iterable[JurisdictionTouch]) -> tuple[JurisdictionTouch, ...]:
        touched = tuple(touched)
        self.prepare(n for t in touched for n in t.providers)
        return tuple(
            replace(t, providers=tuple(self.node(n) for n in t.providers)) for t in touched
        )


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
    sub = _Masking(session, actor, case.id).subgraph(
        store.case_subgraph(case.id, _visible(session, actor, case.id))
    )
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
    sub = _Masking(session, actor, case.id).subgraph(
        store.neighbourhood(entity_id, depth, _visible(session, actor, case.id), limit=limit)
    )
    _consulted(session, actor, case.id, "neighbourhood", entity_id=entity_id, depth=depth)
    return sub


def paths(
    session: Session, actor: Actor, graph: GraphAccess, case_id: int, a_id: int, b_id: int
) -> tuple[Path, ...]:
    case = case_for(session, actor, case_id)
    store = _store(session, graph)
    found = _Masking(session, actor, case.id).paths(
        store.shortest_paths(a_id, b_id, _visible(session, actor, case.id), max_len=4)
    )
    _consulted(session, actor, case.id, "path", source=a_id, target=b_id, found=len(found))
    return found


def ad_clusters(
    session: Session, actor: Actor, graph: GraphAccess, case_id: int
) -> tuple[AdCluster, ...]:
    case = case_for(session, actor, case_id)
    store = _store(session, graph)
    clusters = _Masking(session, actor, case.id).clusters(
        store.ad_clusters(_visible(session, actor, case.id), case_id=case.id)
    )
    _consulted(session, actor, case.id, "ad_clusters", clusters=len(clusters))
    return clusters


def jurisdictions(
    session: Session, actor: Actor, graph: GraphAccess, case_id: int
) -> tuple[JurisdictionTouch, ...]:
    """Where the case's entities are, and the service providers there (whom to ask)."""
    case = case_for(session, actor, case_id)
    store = _store(session, graph)
    touched = _Masking(session, actor, case.id).places(
        store.case_jurisdictions(case.id, _visible(session, actor, case.id))
    )
    _consulted(session, actor, case.id, "jurisdictions", count=len(touched))
    return touched
