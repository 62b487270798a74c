"""Plain frozen dataclasses crossing the graph/ boundary: projection inputs, outbox ops, results.

Neo4j objects never leave graph/; callers build and receive only these. No flask/sqlalchemy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

# --- Inputs: the projection of the system of record.


@dataclass(frozen=True, slots=True)
class EntityNode:
    """A selector (phone, wallet, ad, ...), unique across the system by id and by kind+value."""

    id: int
    kind: str
    value: str
    label: str
    jurisdiction: str | None = None


@dataclass(frozen=True, slots=True)
class CaseNode:
    """A case as the graph needs it: enough to tell another investigator whom to call."""

    id: int
    reference: str
    owner_name: str
    owner_contact: str


@dataclass(frozen=True, slots=True)
class Membership:
    """Entity `entity_id` belongs to case `case_id` (need-to-know is decided per case)."""

    entity_id: int
    case_id: int


@dataclass(frozen=True, slots=True)
class LinkEdge:
    """A typed relation between two entities, asserted in one case."""

    id: int
    type: str
    source_id: int
    target_id: int
    case_id: int
    confidence: str
    assessment: bool


# --- Outbox operations.

OP_UPSERT_ENTITY = "upsert_entity"
OP_UPSERT_CASE = "upsert_case"
OP_ADD_MEMBERSHIP = "add_membership"
OP_REMOVE_MEMBERSHIP = "remove_membership"
OP_UPSERT_LINK = "upsert_link"
OP_DELETE_LINK = "delete_link"

OP_FIELDS: Mapping[str, tuple[str, ...]] = {
    OP_UPSERT_ENTITY: ("id", "kind", "value", "label", "jurisdiction"),
    OP_UPSERT_CASE: ("id", "reference", "owner_name", "owner_contact"),
    OP_ADD_MEMBERSHIP: ("entity_id", "case_id"),
    OP_REMOVE_MEMBERSHIP: ("entity_id", "case_id"),
    OP_UPSERT_LINK: ("id", "type", "source_id", "target_id", "case_id", "confidence", "assessment"),
    OP_DELETE_LINK: ("id",),
}


class GraphOpError(ValueError):
    """An outbox operation that cannot be applied: unknown op or missing/extra payload keys."""


@dataclass(frozen=True, slots=True)
class GraphOp:
    """One outbox row: `op` (a key of OP_FIELDS) and its JSON-able payload.

    The payload must carry exactly the fields OP_FIELDS names (jurisdiction may be omitted);
    construction fails with GraphOpError otherwise, so a bad row is caught where it is made.
    """

    op: str
    payload: Mapping[str, Any]

    def __post_init__(self) -> None:
        fields = OP_FIELDS.get(self.op)
        if fields is None:
            raise GraphOpError(f"unknown graph op {self.op!r}")
        keys = set(self.payload)
        required = set(fields) - ({"jurisdiction"} if self.op == OP_UPSERT_ENTITY else set())
        if not required <= keys <= set(fields):
            raise GraphOpError(
                f"{self.op} payload needs {sorted(required)}, got {sorted(keys)}",
            )

    @classmethod
    def upsert_entity(cls, entity: EntityNode) -> GraphOp:
        return cls(OP_UPSERT_ENTITY, asdict(entity))

    @classmethod
    def upsert_case(cls, case: CaseNode) -> GraphOp:
        return cls(OP_UPSERT_CASE, asdict(case))

    @classmethod
    def add_membership(cls, membership: Membership) -> GraphOp:
        return cls(OP_ADD_MEMBERSHIP, asdict(membership))

    @classmethod
    def remove_membership(cls, membership: Membership) -> GraphOp:
        return cls(OP_REMOVE_MEMBERSHIP, asdict(membership))

    @classmethod
    def upsert_link(cls, link: LinkEdge) -> GraphOp:
        return cls(OP_UPSERT_LINK, asdict(link))

    @classmethod
    def delete_link(cls, link_id: int) -> GraphOp:
        return cls(OP_DELETE_LINK, {"id": link_id})


# --- Outputs: what a caller may see.


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A visible entity. `case_refs` lists only the caller's visible cases holding it."""

    id: int
    kind: str
    label: str
    value: str
    case_refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HitStub:
    """A cross-case hit: a case the caller cannot see also holds something they reached.

    Carries only whom to contact. `via_entity_id` is the caller's own visible entity through
    which the hit was found (the shared entity itself, or the visible end of a visible link
    whose other end sits only in hidden cases); it is never the id of a hidden entity.
    """

    case_reference: str
    owner_name: str
    owner_contact: str
    via_entity_id: int


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """A visible link (its case is visible and both ends are visible entities)."""

    id: int
    type: str
    source_id: int
    target_id: int
    case_id: int


@dataclass(frozen=True, slots=True)
class Subgraph:
    """Visible nodes and edges, hits for what is hidden; `truncated` when a limit cut it."""

    nodes: tuple[GraphNode, ...] = ()
    edges: tuple[GraphEdge, ...] = ()
    hits: tuple[HitStub, ...] = ()
    truncated: bool = False

    def node_ids(self) -> frozenset[int]:
        return frozenset(n.id for n in self.nodes)


@dataclass(frozen=True, slots=True)
class Path:
    """Visible nodes joined by visible edges; `edges[i]` joins `nodes[i]` and `nodes[i+1]`."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]

    @property
    def length(self) -> int:
        return len(self.edges)

    @property
    def node_ids(self) -> tuple[int, ...]:
        return tuple(n.id for n in self.nodes)


@dataclass(frozen=True, slots=True)
class AdCluster:
    """Ads joined, directly or transitively, by shared identifiers (phone, email, wallet, account).

    `ads` and `identifiers` are visible nodes, `edges` the visible links between them; `hits`
    name hidden cases that also hold one of these ads or identifiers.
    """

    ads: tuple[GraphNode, ...]
    identifiers: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    hits: tuple[HitStub, ...]

    @property
    def ad_ids(self) -> frozenset[int]:
        return frozenset(a.id for a in self.ads)


@dataclass(frozen=True, slots=True)
class JurisdictionTouch:
    """A jurisdiction (ISO 3166-1 alpha-2) a case's entities touch, and its providers there."""

    code: str
    entity_count: int
    providers: tuple[GraphNode, ...]


@dataclass(frozen=True, slots=True)
class GraphCounts:
    entities: int
    cases: int
    memberships: int
    links: int


@dataclass(frozen=True)
class Inventory:
    """Every id in the graph, for `caseflow graph check` to compare with SQL.

    Entities created only as link/membership endpoints (not yet upserted) have kind "".
    """

    entity_ids_by_kind: Mapping[str, frozenset[int]] = field(default_factory=dict)
    case_ids: frozenset[int] = frozenset()
    memberships: frozenset[tuple[int, int]] = frozenset()
    link_ids_by_type: Mapping[str, frozenset[int]] = field(default_factory=dict)

    @property
    def counts(self) -> GraphCounts:
        return GraphCounts(
            entities=sum(len(v) for v in self.entity_ids_by_kind.values()),
            cases=len(self.case_ids),
            memberships=len(self.memberships),
            links=sum(len(v) for v in self.link_ids_by_type.values()),
        )


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What `GraphStore.apply` did, after coalescing: rows sent per op kind."""

    rows_by_op: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows_by_op.values())
