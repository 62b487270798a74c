"""Every Cypher statement graph/ runs, as constants. Parameterized only: no data is ever
formatted into query text. Path-length bounds, which Cypher cannot take as parameters, come
from whitelisted tables of static strings built from integer literals below.

Model: (:Entity {id, kind, value, label, jurisdiction})-[:IN_CASE]->(:Case {id, reference,
owner_name, owner_contact}); links are (:Entity)-[:LINK {id, type, case_id, confidence,
assessment}]->(:Entity). Links are one relationship type with `type` as data (not :POSTED,
:PAID, ...) so that one uniqueness constraint covers every link id, an upsert or delete
finds a link by id without knowing its type, a link whose type changes keeps its identity,
and no query text depends on data. Visibility is decided per read from `$visible` (case ids).
"""

from __future__ import annotations

# Longest path the path queries search; their bound is part of the query text.
MAX_PATH_LENGTH = 6

# --- Schema.

SCHEMA = (
    "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE",
    "CREATE CONSTRAINT case_id IF NOT EXISTS FOR (c:Case) REQUIRE c.id IS UNIQUE",
    "CREATE CONSTRAINT link_id IF NOT EXISTS FOR ()-[r:LINK]-() REQUIRE r.id IS UNIQUE",
    "CREATE INDEX entity_kind IF NOT EXISTS FOR (e:Entity) ON (e.kind)",
    "CREATE INDEX entity_kind_value IF NOT EXISTS FOR (e:Entity) ON (e.kind, e.value)",
)
AWAIT_INDEXES = "CALL db.awaitIndexes($timeout_seconds)"

# --- Projection (outbox ops), each over `$rows`. MERGE by stable id: re-running is a no-op.

UPSERT_ENTITIES = """
UNWIND $rows AS row
MERGE (e:Entity {id: row.id})
SET e.kind = row.kind, e.value = row.value, e.label = row.label,
    e.jurisdiction = row.jurisdiction
"""

UPSERT_CASES = """
UNWIND $rows AS row
MERGE (c:Case {id: row.id})
SET c.reference = row.reference, c.owner_name = row.owner_name,
    c.owner_contact = row.owner_contact
"""

# Endpoints are MERGEd, not MATCHed, so ops apply in any order across outbox batches: a node
# created here has no kind/value and no case, so no read shows it until its upsert arrives.
ADD_MEMBERSHIPS = """
UNWIND $rows AS row
MERGE (e:Entity {id: row.entity_id})
MERGE (c:Case {id: row.case_id})
MERGE (e)-[:IN_CASE]->(c)
"""

REMOVE_MEMBERSHIPS = """
UNWIND $rows AS row
MATCH (:Entity {id: row.entity_id})-[m:IN_CASE]->(:Case {id: row.case_id})
DELETE m
"""

# An upsert that moves a link to other endpoints first removes the old relationship
# (a relationship cannot change its ends), so MERGE below never meets a duplicate id.
DELETE_MOVED_LINKS = """
UNWIND $rows AS row
MATCH (a:Entity)-[old:LINK {id: row.id}]->(b:Entity)
WHERE a.id <> row.source_id OR b.id <> row.target_id
DELETE old
"""

UPSERT_LINKS = """
UNWIND $rows AS row
MERGE (a:Entity {id: row.source_id})
MERGE (b:Entity {id: row.target_id})
MERGE (a)-[r:LINK {id: row.id}]->(b)
SET r.type = row.type, r.case_id = row.case_id, r.confidence = row.confidence,
    r.assessment = row.assessment
"""

DELETE_LINKS = """
UNWIND $rows AS row
MATCH ()-[r:LINK {id: row.id}]->()
DELETE r
"""

# Auto-commit only (CALL ... IN TRANSACTIONS cannot run in a managed transaction).
# Relationships first, then nodes: DETACH DELETE of well-connected nodes in one batch can
# exceed the transaction memory limit on large graphs.
CLEAR = (
    "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS",
    "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS",
)

# --- Reads. `_VISIBLE(x)`: x belongs to at least one case the caller may see.


def _visible(var: str) -> str:
    # Used only at import time with the literal variable names below.
    return f"EXISTS {{ MATCH ({var})-[:IN_CASE]->(vc:Case) WHERE vc.id IN $visible }}"


ENTITY_IS_VISIBLE = f"""
MATCH (e:Entity {{id: $entity_id}})
RETURN {_visible("e")} AS visible
"""

# One BFS level: visible neighbours of the frontier over visible links, not seen before.
NEIGHBOUR_LEVEL = f"""
UNWIND $frontier AS fid
MATCH (f:Entity {{id: fid}})-[r:LINK]-(n:Entity)
WHERE r.case_id IN $visible AND NOT n.id IN $seen AND {_visible("n")}
WITH DISTINCT n.id AS id
ORDER BY id
LIMIT $room
RETURN id
"""

DESCRIBE_NODES = f"""
UNWIND $ids AS id
MATCH (e:Entity {{id: id}})
WHERE {_visible("e")}
RETURN e.id AS id, e.kind AS kind, e.label AS label, e.value AS value,
       COLLECT {{
         MATCH (e)-[:IN_CASE]->(c:Case) WHERE c.id IN $visible
         RETURN c.reference ORDER BY c.reference
       }} AS case_refs
ORDER BY id
"""

EDGES_AMONG = """
UNWIND $ids AS id
MATCH (a:Entity {id: id})-[r:LINK]->(b:Entity)
WHERE b.id IN $ids AND r.case_id IN $visible
RETURN r.id AS id, r.type AS type, a.id AS source_id, b.id AS target_id, r.case_id AS case_id
ORDER BY id
"""

DESCRIBE_LINKS = """
UNWIND $ids AS id
MATCH (a:Entity)-[r:LINK {id: id}]->(b:Entity)
WHERE r.case_id IN $visible
RETURN r.id AS id, r.type AS type, a.id AS source_id, b.id AS target_id, r.case_id AS case_id
"""

# Hits through a visible entity v: the hidden cases v itself belongs to, and (with
# $through_links) the hidden cases of entities that sit only in hidden cases but are joined
# to v by a visible link. Only the case's reference and owner leave this query.
HITS = f"""
UNWIND $ids AS vid
MATCH (v:Entity {{id: vid}})
WHERE {_visible("v")}
CALL (v) {{
  MATCH (v)-[:IN_CASE]->(c:Case)
  WHERE NOT c.id IN $visible
  RETURN c
  UNION
  MATCH (v)-[r:LINK]-(h:Entity)-[:IN_CASE]->(c:Case)
  WHERE $through_links AND r.case_id IN $visible AND NOT {_visible("h")}
  RETURN c
}}
RETURN DISTINCT v.id AS via_entity_id, c.reference AS case_reference,
       c.owner_name AS owner_name, c.owner_contact AS owner_contact
ORDER BY case_reference, via_entity_id
"""


def _path_step() -> str:
    return f"(()-[r:LINK]-(x:Entity) WHERE r.case_id IN $visible AND {_visible('x')})"


_SHORTEST_PATHS = """
MATCH (a:Entity {id: $a_id}), (b:Entity {id: $b_id})
WHERE a <> b AND %(va)s AND %(vb)s
MATCH p = ALL SHORTEST (a)%(step)s{1,%(max)d}(b)
RETURN [n IN nodes(p) | n.id] AS node_ids, [r IN relationships(p) | r.id] AS link_ids
LIMIT $limit
"""

# Shortest path from each entity of case A (not also in B) to the nearest entity of case B.
# ANY SHORTEST picks one path per (a, b) pair; the nearest b per a is chosen after it.
_PATHS_BETWEEN_CASES = """
MATCH (ca:Case {id: $case_a}), (cb:Case {id: $case_b})
WHERE ca.id IN $visible AND cb.id IN $visible AND ca <> cb
MATCH (a:Entity)-[:IN_CASE]->(ca)
WHERE NOT (a)-[:IN_CASE]->(cb)
MATCH p = ANY SHORTEST
  (a)%(step)s{1,%(max)d}(b:Entity WHERE EXISTS { MATCH (b)-[:IN_CASE]->(:Case {id: $case_b}) })
WITH a, [n IN nodes(p) | n.id] AS node_ids, [r IN relationships(p) | r.id] AS link_ids
ORDER BY size(link_ids), node_ids
WITH a, collect({node_ids: node_ids, link_ids: link_ids})[0] AS nearest
RETURN nearest.node_ids AS node_ids, nearest.link_ids AS link_ids
ORDER BY size(link_ids), node_ids
LIMIT $limit
"""

# Static query text per allowed bound: the whitelist the store looks lengths up in.
SHORTEST_PATHS: dict[int, str] = {
    n: _SHORTEST_PATHS % {"va": _visible("a"), "vb": _visible("b"), "step": _path_step(), "max": n}
    for n in range(1, MAX_PATH_LENGTH + 1)
}
PATHS_BETWEEN_CASES: dict[int, str] = {
    n: _PATHS_BETWEEN_CASES % {"step": _path_step(), "max": n}
    for n in range(1, MAX_PATH_LENGTH + 1)
}

SHARED_ENTITIES = f"""
MATCH (:Case {{id: $case_a}})<-[:IN_CASE]-(e:Entity)-[:IN_CASE]->(:Case {{id: $case_b}})
WHERE {_visible("e")}
RETURN e.id AS id
ORDER BY id
"""

# The entities of one (visible) case, for the case graph view; capped by $limit.
CASE_ENTITIES = """
MATCH (c:Case {id: $case_id}) WHERE c.id IN $visible
MATCH (e:Entity)-[:IN_CASE]->(c)
RETURN e.id AS id
ORDER BY id
LIMIT $limit
"""

# Pairs of ads sharing one identifier, over visible links and visible nodes only.
AD_PAIRS = f"""
MATCH (c:Case) WHERE c.id IN $visible
MATCH (ad:Entity {{kind: 'ad'}})-[:IN_CASE]->(c)
WITH DISTINCT ad
MATCH (ad)-[r1:LINK]-(i:Entity)-[r2:LINK]-(other:Entity {{kind: 'ad'}})
WHERE i.kind IN $identifier_kinds AND ad.id < other.id
  AND r1.case_id IN $visible AND r2.case_id IN $visible
  AND {_visible("i")} AND {_visible("other")}
RETURN ad.id AS ad_id, other.id AS other_id, i.id AS identifier_id,
       r1.id AS link_a, r2.id AS link_b
"""

CASE_AD_IDS = """
MATCH (ad:Entity {kind: 'ad'})-[:IN_CASE]->(c:Case {id: $case_id})
WHERE c.id IN $visible
RETURN ad.id AS id
"""

# Codes come from an entity's own `jurisdiction` and from its visible LOCATED_IN links to
# visible entities of kind "jurisdiction" (whose value is the code). Jurisdiction entities
# themselves are not counted as touching entities.
CASE_JURISDICTIONS = f"""
MATCH (c:Case {{id: $case_id}})
WHERE c.id IN $visible
MATCH (e:Entity)-[:IN_CASE]->(c)
WHERE e.kind <> 'jurisdiction'
CALL (e) {{
  WITH e WHERE e.jurisdiction IS NOT NULL AND e.jurisdiction <> ''
  RETURN toUpper(e.jurisdiction) AS code
  UNION
  MATCH (e)-[r:LINK {{type: 'LOCATED_IN'}}]->(j:Entity {{kind: 'jurisdiction'}})
  WHERE r.case_id IN $visible AND {_visible("j")}
  RETURN toUpper(j.value) AS code
}}
RETURN code, count(DISTINCT e) AS entity_count,
       collect(DISTINCT CASE WHEN e.kind = 'service_provider' THEN e.id END) AS provider_ids
ORDER BY code
"""

# --- Inventory (for `graph check`) and health.

INVENTORY_ENTITIES = "MATCH (e:Entity) RETURN coalesce(e.kind, '') AS kind, e.id AS id"
INVENTORY_CASES = "MATCH (c:Case) RETURN c.id AS id"
INVENTORY_MEMBERSHIPS = (
    "MATCH (e:Entity)-[:IN_CASE]->(c:Case) RETURN e.id AS entity_id, c.id AS case_id"
)
INVENTORY_LINKS = "MATCH ()-[r:LINK]->() RETURN coalesce(r.type, '') AS type, r.id AS id"

PING = "RETURN 1 AS ok"
