"""GraphStore: projects outbox ops into Neo4j and answers link-analysis reads, access-filtered.

One driver per process is passed in; each call opens a short session and runs managed
transactions. Must not import flask, sqlalchemy or caseflow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, LiteralString, TypeVar

from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import DriverError, Neo4jError

from graph import cypher
from graph.records import (
    OP_ADD_MEMBERSHIP,
    OP_DELETE_LINK,
    OP_FIELDS,
    OP_REMOVE_MEMBERSHIP,
    OP_UPSERT_CASE,
    OP_UPSERT_ENTITY,
    OP_UPSERT_LINK,
    AdCluster,
    ApplyResult,
    GraphEdge,
    GraphNode,
    GraphOp,
    HitStub,
    Inventory,
    JurisdictionTouch,
    Path,
    Subgraph,
)

# Identifier kinds that make two ads "the same operation" when both point at one of them.
AD_IDENTIFIER_KINDS = ("phone", "email", "wallet", "account")
MAX_DEPTH = 3

# Application order after coalescing. With at most one op per key left, no two groups touch
# the same key, so this order only has to put node upserts before anything else.
_APPLY_ORDER = (
    OP_UPSERT_CASE,
    OP_UPSERT_ENTITY,
    OP_ADD_MEMBERSHIP,
    OP_REMOVE_MEMBERSHIP,
    OP_UPSERT_LINK,
    OP_DELETE_LINK,
)
_OP_QUERIES: dict[str, tuple[str, ...]] = {
    OP_UPSERT_ENTITY: (cypher.UPSERT_ENTITIES,),
    OP_UPSERT_CASE: (cypher.UPSERT_CASES,),
    OP_ADD_MEMBERSHIP: (cypher.ADD_MEMBERSHIPS,),
    OP_REMOVE_MEMBERSHIP: (cypher.REMOVE_MEMBERSHIPS,),
    OP_UPSERT_LINK: (cypher.DELETE_MOVED_LINKS, cypher.UPSERT_LINKS),
    OP_DELETE_LINK: (cypher.DELETE_LINKS,),
}


T = TypeVar("T")


def _q(text: str) -> LiteralString:
    # Every query comes from graph.cypher constants; the driver's typing wants LiteralString
    # (which mypy checks as str).
    return text


def _op_key(op: GraphOp) -> tuple[Any, ...]:
    """The graph object an op writes: later ops on the same key supersede earlier ones."""
    p = op.payload
    if op.op == OP_UPSERT_ENTITY:
        return ("entity", p["id"])
    if op.op == OP_UPSERT_CASE:
        return ("case", p["id"])
    if op.op in (OP_ADD_MEMBERSHIP, OP_REMOVE_MEMBERSHIP):
        return ("membership", p["entity_id"], p["case_id"])
    return ("link", p["id"])


def _row(op: GraphOp) -> dict[str, Any]:
    return {name: op.payload.get(name) for name in OP_FIELDS[op.op]}


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class GraphStore:
    """The Neo4j side of CaseFlow.

    Access rule, applied inside every read query (never after the fact in Python): an entity
    is shown, with kind/label/value, only if it belongs (IN_CASE) to at least one case in
    `visible_case_ids`; a link only if its case is visible and both ends are shown;
    traversals never pass through hidden links or hidden entities. What is hidden surfaces
    only as HitStub (case reference and owner) found through one of the caller's own
    entities, so a caller cannot probe hidden ids.
    """

    def __init__(self, driver: Driver, database: str = "neo4j", batch_size: int = 10_000):
        self._driver = driver
        self._database = database
        self._batch_size = batch_size

    # --- plumbing

    def _read(self, work: Callable[[ManagedTransaction], T]) -> T:
        with self._driver.session(database=self._database) as session:
            return session.execute_read(work)

    def _write(self, work: Callable[[ManagedTransaction], T]) -> T:
        with self._driver.session(database=self._database) as session:
            return session.execute_write(work)

    # --- schema and maintenance

    def ensure_schema(self, timeout_seconds: int = 300) -> None:
        """Create the uniqueness constraints and indexes if missing, and wait until online."""
        for statement in cypher.SCHEMA:

            def create(tx: ManagedTransaction, text: str = statement) -> None:
                tx.run(_q(text)).consume()

            self._write(create)

        def await_indexes(tx: ManagedTransaction) -> None:
            tx.run(_q(cypher.AWAIT_INDEXES), timeout_seconds=timeout_seconds).consume()

        self._read(await_indexes)

    def clear(self) -> None:
        """Delete every node and relationship (schema stays). For tests and `graph rebuild`.

        Runs as auto-commit batches, so it is not atomic.
        """
        with self._driver.session(database=self._database) as session:
            for statement in cypher.CLEAR:
                session.run(_q(statement)).consume()

    def ping(self) -> bool:
        """True when the server answers `RETURN 1` with these credentials; never raises.

        Auto-commit on purpose: a managed transaction would retry for 30 s before giving up.
        """
        try:
            with self._driver.session(database=self._database) as session:
                return bool(session.run(_q(cypher.PING)).single(strict=True)["ok"] == 1)
        except (DriverError, Neo4jError, OSError):
            return False

    # --- projection

    def apply(self, ops: Sequence[GraphOp]) -> ApplyResult:
        """Apply outbox ops idempotently, batched by op kind with UNWIND.

        Ops are first coalesced: for each graph object (entity, case, membership, link) only
        the last op in `ops` counts, which is what applying them one by one in order gives.
        Each batch of up to `batch_size` rows is one write transaction; a failure part-way
        leaves earlier batches applied, which is safe because every op is idempotent and the
        projector re-applies the whole outbox row set. Side effect: writes to Neo4j only.
        """
        latest: dict[tuple[Any, ...], GraphOp] = {}
        for op in ops:
            key = _op_key(op)
            latest.pop(key, None)  # keep the order of last occurrence
            latest[key] = op
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for op in latest.values():
            grouped[op.op].append(_row(op))
        for name in _APPLY_ORDER:
            for chunk in _chunks(grouped.get(name, []), self._batch_size):

                def batch(tx: ManagedTransaction, n: str = name, c: list[Any] = chunk) -> None:
                    self._run_op(tx, n, c)

                self._write(batch)
        return ApplyResult({name: len(grouped[name]) for name in _APPLY_ORDER if grouped[name]})

    def apply_one_by_one(self, ops: Sequence[GraphOp]) -> ApplyResult:
        """Apply each op in its own transaction with a one-row MERGE: the benchmark baseline."""
        counts: dict[str, int] = defaultdict(int)
        for op in ops:

            def one(tx: ManagedTransaction, o: GraphOp = op) -> None:
                self._run_op(tx, o.op, [_row(o)])

            self._write(one)
            counts[op.op] += 1
        return ApplyResult(dict(counts))

    @staticmethod
    def _run_op(tx: ManagedTransaction, name: str, rows: list[dict[str, Any]]) -> None:
        for query in _OP_QUERIES[name]:
            tx.run(_q(query), rows=rows).consume()

    # --- reads: building blocks (all inside one read transaction)

    @staticmethod
    def _nodes(tx: ManagedTransaction, ids: Collection[int], visible: list[int]) -> list[GraphNode]:
        result = tx.run(_q(cypher.DESCRIBE_NODES), ids=list(ids), visible=visible)
        return [
            GraphNode(
                id=r["id"],
                kind=r["kind"] or "",
                label=r["label"] or "",
                value=r["value"] or "",
                case_refs=tuple(r["case_refs"]),
            )
            for r in result
        ]

    @staticmethod
    def _edges_among(
        tx: ManagedTransaction, ids: Collection[int], visible: list[int]
    ) -> list[GraphEdge]:
        result = tx.run(_q(cypher.EDGES_AMONG), ids=list(ids), visible=visible)
        return [GraphEdge(**r.data()) for r in result]

    @staticmethod
    def _hits(
        tx: ManagedTransaction, ids: Collection[int], visible: list[int], through_links: bool
    ) -> list[HitStub]:
        result = tx.run(
            _q(cypher.HITS), ids=list(ids), visible=visible, through_links=through_links
        )
        return [HitStub(**r.data()) for r in result]

    def _subgraph(
        self,
        tx: ManagedTransaction,
        ids: Collection[int],
        visible: list[int],
        *,
        through_links: bool,
        truncated: bool = False,
    ) -> Subgraph:
        nodes = self._nodes(tx, ids, visible)
        shown = [n.id for n in nodes]
        return Subgraph(
            nodes=tuple(nodes),
            edges=tuple(self._edges_among(tx, shown, visible)),
            hits=tuple(self._hits(tx, shown, visible, through_links)),
            truncated=truncated,
        )

    def _paths(
        self, tx: ManagedTransaction, rows: list[tuple[list[int], list[int]]], visible: list[int]
    ) -> tuple[Path, ...]:
        node_ids = {i for ids, _ in rows for i in ids}
        link_ids = {i for _, ids in rows for i in ids}
        nodes = {n.id: n for n in self._nodes(tx, node_ids, visible)}
        result = tx.run(_q(cypher.DESCRIBE_LINKS), ids=list(link_ids), visible=visible)
        edges = {r["id"]: GraphEdge(**r.data()) for r in result}
        paths = []
        for path_nodes, path_links in rows:
            # A path is only returned whole; the queries guarantee visibility, this re-checks.
            if all(i in nodes for i in path_nodes) and all(i in edges for i in path_links):
                paths.append(
                    Path(
                        nodes=tuple(nodes[i] for i in path_nodes),
                        edges=tuple(edges[i] for i in path_links),
                    )
                )
        return tuple(paths)

    # --- reads: public API

    def neighbourhood(
        self,
        entity_id: int,
        depth: int,
        visible_case_ids: Collection[int],
        limit: int = 500,
    ) -> Subgraph:
        """Visible entities within `depth` (1..3) visible links of `entity_id`, breadth first.

        Nodes are taken level by level in id order until `limit` (the start included), then
        `truncated` is set. Edges are the visible links among the returned nodes; hits are
        hidden cases of returned nodes and of hidden entities they link to. A start the
        caller cannot see gives an empty Subgraph (no hits: ids cannot be probed).
        """
        if not 1 <= depth <= MAX_DEPTH:
            raise ValueError(f"depth must be 1..{MAX_DEPTH}, got {depth}")
        if limit < 1:
            raise ValueError("limit must be positive")
        visible = sorted(set(visible_case_ids))

        def work(tx: ManagedTransaction) -> Subgraph:
            record = tx.run(
                _q(cypher.ENTITY_IS_VISIBLE), entity_id=entity_id, visible=visible
            ).single()
            if record is None or not record["visible"]:
                return Subgraph()
            seen = [entity_id]
            frontier = [entity_id]
            truncated = False
            for _ in range(depth):
                room = limit - len(seen)
                found = [
                    r["id"]
                    for r in tx.run(
                        _q(cypher.NEIGHBOUR_LEVEL),
                        frontier=frontier,
                        seen=seen,
                        visible=visible,
                        room=room + 1,
                    )
                ]
                if len(found) > room:
                    found, truncated = found[:room], True
                seen.extend(found)
                frontier = found
                if truncated or not frontier:
                    break
            return self._subgraph(tx, seen, visible, through_links=True, truncated=truncated)

        return self._read(work)

    def shortest_paths(
        self,
        a_id: int,
        b_id: int,
        visible_case_ids: Collection[int],
        max_len: int = 4,
        limit: int = 25,
    ) -> tuple[Path, ...]:
        """All shortest paths (up to `limit`) from a to b of at most `max_len` links.

        Every node and link on a path is visible; paths through hidden parts do not exist for
        the caller. Empty when either end is hidden, a == b, or no such path exists.
        """
        query = cypher.SHORTEST_PATHS.get(max_len)
        if query is None:
            raise ValueError(f"max_len must be 1..{cypher.MAX_PATH_LENGTH}, got {max_len}")
        visible = sorted(set(visible_case_ids))

        def work(tx: ManagedTransaction) -> tuple[Path, ...]:
            rows = [
                (r["node_ids"], r["link_ids"])
                for r in tx.run(_q(query), a_id=a_id, b_id=b_id, visible=visible, limit=limit)
            ]
            return self._paths(tx, rows, visible)

        return self._read(work)

    def shared_entities(
        self, case_a: int, case_b: int, visible_case_ids: Collection[int]
    ) -> Subgraph:
        """Entities belonging to both cases, if the caller can see at least one of the two.

        The shared entities are shown with the visible links among them; a hidden case among
        the two (and any other hidden case holding them) appears as a HitStub.
        """
        visible = sorted(set(visible_case_ids))

        def work(tx: ManagedTransaction) -> Subgraph:
            ids = [
                r["id"]
                for r in tx.run(
                    _q(cypher.SHARED_ENTITIES), case_a=case_a, case_b=case_b, visible=visible
                )
            ]
            return self._subgraph(tx, ids, visible, through_links=False)

        return self._read(work)

    def case_subgraph(
        self, case_id: int, visible_case_ids: Collection[int], limit: int = 1000
    ) -> Subgraph:
        """Every entity of a visible case (up to `limit`), the visible links among them, and
        hits: hidden cases holding them or linked to them. Empty when the case is hidden."""
        visible = sorted(set(visible_case_ids))

        def work(tx: ManagedTransaction) -> Subgraph:
            ids = [
                r["id"]
                for r in tx.run(
                    _q(cypher.CASE_ENTITIES), case_id=case_id, visible=visible, limit=limit + 1
                )
            ]
            truncated = len(ids) > limit
            return self._subgraph(tx, ids[:limit], visible, through_links=True, truncated=truncated)

        return self._read(work)

    def paths_between_cases(
        self,
        case_a: int,
        case_b: int,
        visible_case_ids: Collection[int],
        max_len: int = 4,
        limit: int = 25,
    ) -> tuple[Path, ...]:
        """Shortest visible paths from case A's entities to the nearest entity of case B.

        One path per starting entity of A (entities in both cases are `shared_entities`,
        not paths), shortest first, at most `limit`. Both cases must be visible; otherwise
        the result is empty (a path into a hidden case would disclose its content).
        """
        query = cypher.PATHS_BETWEEN_CASES.get(max_len)
        if query is None:
            raise ValueError(f"max_len must be 1..{cypher.MAX_PATH_LENGTH}, got {max_len}")
        visible = sorted(set(visible_case_ids))

        def work(tx: ManagedTransaction) -> tuple[Path, ...]:
            rows = [
                (r["node_ids"], r["link_ids"])
                for r in tx.run(
                    _q(query), case_a=case_a, case_b=case_b, visible=visible, limit=limit
                )
            ]
            return self._paths(tx, rows, visible)

        return self._read(work)

    def ad_clusters(
        self, visible_case_ids: Collection[int], case_id: int | None = None
    ) -> tuple[AdCluster, ...]:
        """Groups of visible ads linked, directly or through other ads, by shared identifiers.

        Two ads share an identifier when both have a visible link to the same visible entity
        of kind phone, email, wallet or account. Clusters (connected components, two ads at
        least) are ordered by size, largest first. With `case_id`, only clusters holding an
        ad of that (visible) case. Hits: hidden cases holding a cluster's ads or identifiers.
        """
        visible = sorted(set(visible_case_ids))

        def work(tx: ManagedTransaction) -> tuple[AdCluster, ...]:
            parent: dict[int, int] = {}

            def find(x: int) -> int:
                parent.setdefault(x, x)
                while parent[x] != x:
                    parent[x] = parent[parent[x]]
                    x = parent[x]
                return x

            shared: dict[int, set[int]] = defaultdict(set)  # ad -> identifiers
            links: dict[int, set[int]] = defaultdict(set)  # ad -> link ids
            for r in tx.run(
                _q(cypher.AD_PAIRS), visible=visible, identifier_kinds=list(AD_IDENTIFIER_KINDS)
            ):
                ad, other = r["ad_id"], r["other_id"]
                parent[find(ad)] = find(other)
                shared[ad].add(r["identifier_id"])
                shared[other].add(r["identifier_id"])
                links[ad].add(r["link_a"])
                links[other].add(r["link_b"])
            components: dict[int, set[int]] = defaultdict(set)
            for ad in list(parent):
                components[find(ad)].add(ad)
            if case_id is not None:
                result = tx.run(_q(cypher.CASE_AD_IDS), case_id=case_id, visible=visible)
                wanted = {r["id"] for r in result}
                groups = [ads for ads in components.values() if ads & wanted]
            else:
                groups = list(components.values())
            clusters = []
            for ads in groups:
                identifiers = set().union(*(shared[a] for a in ads))
                link_ids = set().union(*(links[a] for a in ads))
                nodes = {n.id: n for n in self._nodes(tx, ads | identifiers, visible)}
                edges = tx.run(_q(cypher.DESCRIBE_LINKS), ids=list(link_ids), visible=visible)
                hits = self._hits(tx, sorted(nodes), visible, through_links=False)
                clusters.append(
                    AdCluster(
                        ads=tuple(nodes[i] for i in sorted(ads) if i in nodes),
                        identifiers=tuple(nodes[i] for i in sorted(identifiers) if i in nodes),
                        edges=tuple(
                            sorted(
                                (
                                    edge
                                    for edge in (GraphEdge(**e.data()) for e in edges)
                                    if edge.source_id in nodes and edge.target_id in nodes
                                ),
                                key=_by_id,
                            )
                        ),
                        hits=tuple(hits),
                    )
                )
            clusters.sort(key=lambda c: (-len(c.ads), min(c.ad_ids)))
            return tuple(clusters)

        return self._read(work)

    def case_jurisdictions(
        self, case_id: int, visible_case_ids: Collection[int]
    ) -> tuple[JurisdictionTouch, ...]:
        """Jurisdictions the case's entities touch, with the case's service providers there.

        An entity touches a code through its own `jurisdiction` property or a visible
        LOCATED_IN link to a visible entity of kind "jurisdiction" (value = the code).
        `providers` are the case's service_provider entities touching that code. Empty when
        the case is not visible. Ordered by code.
        """
        visible = sorted(set(visible_case_ids))

        def work(tx: ManagedTransaction) -> tuple[JurisdictionTouch, ...]:
            rows = list(tx.run(_q(cypher.CASE_JURISDICTIONS), case_id=case_id, visible=visible))
            provider_ids = {i for r in rows for i in r["provider_ids"]}
            providers = {n.id: n for n in self._nodes(tx, provider_ids, visible)}
            return tuple(
                JurisdictionTouch(
                    code=r["code"],
                    entity_count=r["entity_count"],
                    providers=tuple(
                        providers[i] for i in sorted(r["provider_ids"]) if i in providers
                    ),
                )
                for r in rows
            )

        return self._read(work)

    def inventory(self) -> Inventory:
        """Every entity id per kind, case id, membership pair and link id per type.

        Unfiltered: for `caseflow graph check` (a system task), never for a user's view.
        """

        def work(tx: ManagedTransaction) -> Inventory:
            entities: dict[str, set[int]] = defaultdict(set)
            for r in tx.run(_q(cypher.INVENTORY_ENTITIES)):
                entities[r["kind"]].add(r["id"])
            cases = frozenset(r["id"] for r in tx.run(_q(cypher.INVENTORY_CASES)))
            members = frozenset(
                (r["entity_id"], r["case_id"]) for r in tx.run(_q(cypher.INVENTORY_MEMBERSHIPS))
            )
            links: dict[str, set[int]] = defaultdict(set)
            for r in tx.run(_q(cypher.INVENTORY_LINKS)):
                links[r["type"]].add(r["id"])
            return Inventory(
                entity_ids_by_kind={k: frozenset(v) for k, v in entities.items()},
                case_ids=cases,
                memberships=members,
                link_ids_by_type={k: frozenset(v) for k, v in links.items()},
            )

        return self._read(work)


def _by_id(edge: GraphEdge) -> int:
    return edge.id
