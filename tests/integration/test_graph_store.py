"""GraphStore on the suite's real Neo4j: projection, idempotence, access filtering, analysis."""

from __future__ import annotations

import random

import pytest
from neo4j import GraphDatabase

from graph.records import (
    CaseNode,
    EntityNode,
    GraphOp,
    Inventory,
    LinkEdge,
    Membership,
)
from graph.store import GraphStore

pytestmark = pytest.mark.neo4j

# Values of entities the caller must never see contain this marker; results are scanned for it.
SECRET = "hidden-"

CASE_MINE = CaseNode(1, "CF-2026-0001", "Ann Officer", "ann@police.example.com")
CASE_MINE_TOO = CaseNode(2, "CF-2026-0002", "Ann Officer", "ann@police.example.com")
CASE_OTHER = CaseNode(3, "CF-2026-0003", "Bea Liaison", "bea@police.example.org")


def entity(id_: int, kind: str, value: str, jurisdiction: str | None = None) -> GraphOp:
    return GraphOp.upsert_entity(EntityNode(id_, kind, value, f"{kind} {id_}", jurisdiction))


def member(entity_id: int, case_id: int) -> GraphOp:
    return GraphOp.add_membership(Membership(entity_id, case_id))


def link(id_: int, source: int, target: int, case_id: int, type_: str = "CONTACTED") -> GraphOp:
    return GraphOp.upsert_link(LinkEdge(id_, type_, source, target, case_id, "medium", False))


def cases() -> list[GraphOp]:
    return [GraphOp.upsert_case(c) for c in (CASE_MINE, CASE_MINE_TOO, CASE_OTHER)]


def assert_no_secret(result: object) -> None:
    assert SECRET not in repr(result)


# --- projection


def test_every_op_kind_is_projected(graph_store: GraphStore):
    graph_store.apply(
        [
            *cases(),
            entity(10, "phone", "+447700900010"),
            entity(11, "wallet", "bc1qexamplewallet0000000000000000000011"),
            member(10, 1),
            member(11, 1),
            member(11, 3),
            link(100, 10, 11, 1, "PAID"),
            link(101, 11, 10, 1, "SAME_AS"),
        ]
    )
    inv = graph_store.inventory()
    assert inv.entity_ids_by_kind == {"phone": {10}, "wallet": {11}}
    assert inv.case_ids == {1, 2, 3}
    assert inv.memberships == {(10, 1), (11, 1), (11, 3)}
    assert inv.link_ids_by_type == {"PAID": {100}, "SAME_AS": {101}}

    graph_store.apply(
        [
            entity(10, "phone", "+447700900099"),  # value corrected
            GraphOp.upsert_case(CaseNode(3, "CF-2026-0003", "Cy Liaison", "cy@police.example.org")),
            GraphOp.remove_membership(Membership(11, 3)),
            link(100, 11, 10, 1, "CONTROLS"),  # moved and retyped, same id
            GraphOp.delete_link(101),
        ]
    )
    inv = graph_store.inventory()
    assert inv.memberships == {(10, 1), (11, 1)}
    assert inv.link_ids_by_type == {"CONTROLS": {100}}
    sub = graph_store.neighbourhood(10, 1, [1])
    assert {n.id: n.value for n in sub.nodes} == {
        10: "+447700900099",
        11: "bc1qexamplewallet0000000000000000000011",
    }
    assert [(e.id, e.type, e.source_id, e.target_id) for e in sub.edges] == [
        (100, "CONTROLS", 11, 10)
    ]
    graph_store.apply([member(11, 3)])
    hits = graph_store.neighbourhood(10, 1, [1]).hits
    assert [(h.case_reference, h.owner_name, h.via_entity_id) for h in hits] == [
        ("CF-2026-0003", "Cy Liaison", 11)
    ]


def test_applying_the_same_ops_twice_changes_nothing(graph_store: GraphStore):
    ops = [
        *cases(),
        entity(10, "phone", "+447700900010"),
        entity(11, "email", "a@example.com"),
        member(10, 1),
        member(11, 2),
        link(100, 10, 11, 1),
    ]
    graph_store.apply(ops)
    first = graph_store.inventory()
    graph_store.apply(ops)
    graph_store.apply_one_by_one(ops)
    assert graph_store.inventory() == first
    assert first.counts.entities == 2 and first.counts.links == 1


def test_later_ops_on_the_same_object_win_within_a_batch(graph_store: GraphStore):
    graph_store.apply(
        [
            *cases(),
            entity(10, "phone", "+447700900010"),
            entity(11, "phone", "+447700900011"),
            member(10, 1),
            GraphOp.remove_membership(Membership(10, 1)),
            GraphOp.remove_membership(Membership(11, 1)),
            member(11, 1),
            link(100, 10, 11, 1),
            GraphOp.delete_link(100),
            GraphOp.delete_link(101),
            link(101, 11, 10, 1),
        ]
    )
    inv = graph_store.inventory()
    assert inv.memberships == {(11, 1)}
    assert inv.link_ids_by_type == {"CONTACTED": {101}}


def test_ops_arriving_before_their_nodes_are_completed_later(graph_store: GraphStore):
    graph_store.apply([link(100, 10, 11, 1), member(10, 1)])
    inv = graph_store.inventory()
    # Endpoints exist as placeholders (kind "") that no read shows.
    assert inv.entity_ids_by_kind == {"": {10, 11}}
    assert graph_store.neighbourhood(10, 1, [1]).nodes[0].value == ""
    graph_store.apply(
        [*cases(), entity(10, "phone", "+447700900010"), entity(11, "ad", "ad-11"), member(11, 1)]
    )
    assert graph_store.inventory().entity_ids_by_kind == {"phone": {10}, "ad": {11}}
    assert graph_store.neighbourhood(10, 1, [1]).node_ids() == {10, 11}


def test_one_by_one_and_batched_apply_build_the_same_graph(graph_store: GraphStore):
    ops = generated_ops(entities=40, cases_=4, links=80, seed=7)
    graph_store.apply_one_by_one(ops)
    one_by_one = graph_store.inventory()
    graph_store.clear()
    graph_store.apply(ops)
    assert graph_store.inventory() == one_by_one


# --- access filtering


@pytest.fixture
def mixed_graph(graph_store: GraphStore) -> GraphStore:
    """Case 1 and 2 are the caller's; case 3 is someone else's.

    10(ad,1) -100(1)- 12(phone,1+3) -102(3)- 30(ad,3)
    10 -103(1)- 31(person, 3 only: a visible link into a hidden entity)
    10 -104(3)- 11(ad,1): a hidden link between two visible entities
    12 -105(2)- 20(email,2) -106(2)- 21(wallet,2)
    """
    graph_store.apply(
        [
            *cases(),
            entity(10, "ad", "ad-10"),
            entity(11, "ad", "ad-11"),
            entity(12, "phone", "+447700900012"),
            entity(20, "email", "x20@example.com"),
            entity(21, "wallet", "bc1qexamplewallet21"),
            entity(30, "ad", f"{SECRET}ad-30"),
            entity(31, "person", f"{SECRET}person-31"),
            member(10, 1),
            member(11, 1),
            member(12, 1),
            member(12, 3),
            member(20, 2),
            member(21, 2),
            member(30, 3),
            member(31, 3),
            link(100, 10, 12, 1),
            link(102, 30, 12, 3),
            link(103, 10, 31, 1),
            link(104, 10, 11, 3),
            link(105, 12, 20, 2),
            link(106, 20, 21, 2),
        ]
    )
    return graph_store


def test_neighbourhood_shows_only_visible_nodes_and_edges(mixed_graph: GraphStore):
    sub = mixed_graph.neighbourhood(10, 3, [1, 2])
    assert_no_secret(sub)
    assert sub.node_ids() == {10, 12, 20, 21}  # 11 only through hidden link 104
    assert {e.id for e in sub.edges} == {100, 105, 106}
    assert {(h.case_reference, h.via_entity_id) for h in sub.hits} == {
        ("CF-2026-0003", 12),  # 12 is also in case 3
        ("CF-2026-0003", 10),  # 10 links (visibly) to 31, which only case 3 holds
    }
    assert {h.owner_contact for h in sub.hits} == {"bea@police.example.org"}
    node_12 = next(n for n in sub.nodes if n.id == 12)
    assert node_12.case_refs == ("CF-2026-0001",)


def test_a_hidden_link_between_visible_entities_is_not_shown(graph_store: GraphStore):
    graph_store.apply(
        [
            *cases(),
            entity(1, "account", "acct-1"),
            entity(2, "account", "acct-2"),
            member(1, 1),
            member(2, 1),
            link(100, 1, 2, 1, "CONTACTED"),
            link(101, 1, 2, 3, f"{SECRET}PAID"),  # asserted in someone else's case
        ]
    )
    sub = graph_store.neighbourhood(1, 1, [1])
    assert_no_secret(sub)
    assert [e.id for e in sub.edges] == [100]
    assert [[e.id for e in p.edges] for p in graph_store.shortest_paths(1, 2, [1])] == [[100]]
    assert {e.id for e in graph_store.neighbourhood(1, 1, [1, 3]).edges} == {100, 101}


def test_neighbourhood_of_a_hidden_entity_is_empty(mixed_graph: GraphStore):
    assert mixed_graph.neighbourhood(30, 2, [1, 2]) == mixed_graph.neighbourhood(999, 2, [1])
    assert mixed_graph.neighbourhood(30, 2, [1, 2]).nodes == ()
    assert mixed_graph.neighbourhood(30, 2, [1, 2]).hits == ()


def test_the_owner_of_the_other_case_sees_its_side(mixed_graph: GraphStore):
    sub = mixed_graph.neighbourhood(30, 2, [3])
    assert sub.node_ids() == {30, 12}  # 12's other links belong to cases 1 and 2
    assert {(h.case_reference, h.via_entity_id) for h in sub.hits} == {("CF-2026-0001", 12)}


def test_neighbourhood_respects_depth(graph_store: GraphStore):
    chain = [entity(i, "account", f"acct-{i}") for i in range(1, 7)]
    chain += [member(i, 1) for i in range(1, 7)]
    chain += [link(100 + i, i, i + 1, 1) for i in range(1, 6)]
    graph_store.apply([*cases(), *chain])
    for depth, expected in [(1, {1, 2}), (2, {1, 2, 3}), (3, {1, 2, 3, 4})]:
        sub = graph_store.neighbourhood(1, depth, [1])
        assert sub.node_ids() == expected
        assert len(sub.edges) == len(expected) - 1
        assert not sub.truncated
    assert graph_store.neighbourhood(3, 1, [1]).node_ids() == {2, 3, 4}
    with pytest.raises(ValueError):
        graph_store.neighbourhood(1, 4, [1])
    with pytest.raises(ValueError):
        graph_store.neighbourhood(1, 0, [1])


def test_neighbourhood_limit_truncates_breadth_first(graph_store: GraphStore):
    ops = [*cases(), entity(1, "phone", "+447700900001"), member(1, 1)]
    for i in range(2, 12):
        ops += [entity(i, "ad", f"ad-{i}"), member(i, 1), link(100 + i, i, 1, 1)]
    ops += [entity(50, "email", "far@example.com"), member(50, 1), link(150, 2, 50, 1)]
    graph_store.apply(ops)
    sub = graph_store.neighbourhood(1, 2, [1], limit=5)
    assert sub.truncated
    assert sub.node_ids() == {1, 2, 3, 4, 5}
    full = graph_store.neighbourhood(1, 2, [1], limit=100)
    assert not full.truncated and len(full.nodes) == 12


def test_shortest_paths_never_cross_hidden_parts(mixed_graph: GraphStore):
    paths = mixed_graph.shortest_paths(10, 21, [1, 2])
    assert [p.node_ids for p in paths] == [(10, 12, 20, 21)]
    assert [e.id for e in paths[0].edges] == [100, 105, 106]
    # 10-11 exist only through hidden link 104 (and 11 is not reachable otherwise).
    assert mixed_graph.shortest_paths(10, 11, [1, 2]) == ()
    assert mixed_graph.shortest_paths(10, 30, [1, 2]) == ()  # hidden end
    assert mixed_graph.shortest_paths(10, 21, [1, 2], max_len=2) == ()
    assert mixed_graph.shortest_paths(10, 21, [1]) == ()  # 20 and 21 are case 2's
    # With every case visible the hidden link is the direct route.
    assert [p.node_ids for p in mixed_graph.shortest_paths(10, 11, [1, 2, 3])] == [(10, 11)]
    with pytest.raises(ValueError):
        mixed_graph.shortest_paths(10, 21, [1], max_len=7)


def test_all_shortest_paths_are_returned(graph_store: GraphStore):
    ops = [*cases()]
    for i in (1, 2, 3, 4):
        ops += [entity(i, "account", f"acct-{i}"), member(i, 1)]
    ops += [link(101, 1, 2, 1), link(102, 2, 4, 1), link(103, 1, 3, 1), link(104, 3, 4, 1)]
    graph_store.apply(ops)
    paths = graph_store.shortest_paths(1, 4, [1])
    assert sorted(p.node_ids for p in paths) == [(1, 2, 4), (1, 3, 4)]
    assert all(p.length == 2 for p in paths)


def test_shared_entities_show_hits_for_the_hidden_case(mixed_graph: GraphStore):
    sub = mixed_graph.shared_entities(1, 3, [1, 2])
    assert_no_secret(sub)
    assert sub.node_ids() == {12}
    assert [(h.case_reference, h.via_entity_id) for h in sub.hits] == [("CF-2026-0003", 12)]
    assert mixed_graph.shared_entities(1, 3, [2]).nodes == ()  # neither case visible


def test_paths_between_cases_need_both_cases_visible(mixed_graph: GraphStore):
    paths = mixed_graph.paths_between_cases(1, 2, [1, 2])
    assert_no_secret(paths)
    assert {p.node_ids for p in paths} == {(12, 20), (10, 12, 20)}
    assert paths[0].length == 1  # shortest first
    assert mixed_graph.paths_between_cases(1, 3, [1, 2]) == ()
    assert mixed_graph.paths_between_cases(1, 2, [1]) == ()


def test_no_read_leaks_hidden_values(mixed_graph: GraphStore):
    visible = [1, 2]
    results = [
        *(mixed_graph.neighbourhood(i, 3, visible) for i in (10, 11, 12, 20, 21, 30, 31)),
        *(mixed_graph.shortest_paths(a, b, visible) for a in (10, 30, 31) for b in (12, 30, 31)),
        mixed_graph.shared_entities(1, 3, visible),
        mixed_graph.shared_entities(3, 2, visible),
        mixed_graph.paths_between_cases(1, 3, visible),
        mixed_graph.ad_clusters(visible),
        mixed_graph.ad_clusters(visible, case_id=3),
        mixed_graph.case_jurisdictions(3, visible),
    ]
    assert_no_secret(results)
    shown = {n.id for r in results for n in getattr(r, "nodes", ())}
    assert not shown & {30, 31}


# --- link analysis


def test_ad_clusters_join_ads_through_shared_identifiers(graph_store: GraphStore):
    ops = [*cases()]
    ads = {1: 1, 2: 1, 3: 1, 4: 1, 5: 2, 6: 3}
    for ad_id, case_id in ads.items():
        value = f"{SECRET}ad-{ad_id}" if case_id == 3 else f"ad-{ad_id}"
        ops += [entity(ad_id, "ad", value), member(ad_id, case_id)]
    idents = {
        10: ("phone", "+447700900010", 1),
        11: ("email", "x11@example.com", 1),
        12: ("wallet", "bc1qexamplewallet12", 2),
        13: ("person", "Person Thirteen", 1),  # not an identifier kind
    }
    for ident_id, (kind, value, case_id) in idents.items():
        ops += [entity(ident_id, kind, value), member(ident_id, case_id)]
    ops += [member(12, 3)]
    ops += [
        link(101, 1, 10, 1),  # ads 1 and 2 share phone 10
        link(102, 2, 10, 1),
        link(103, 2, 11, 1),  # ads 2 and 5 share email 11 (link in case 2)
        link(104, 5, 11, 2),
        link(105, 3, 13, 1),  # ads 3 and 4 share only a person: no cluster
        link(106, 4, 13, 1),
        link(107, 5, 12, 2),  # ad 5 and hidden ad 6 share wallet 12
        link(108, 6, 12, 3),
    ]
    graph_store.apply(ops)

    clusters = graph_store.ad_clusters([1, 2])
    assert_no_secret(clusters)
    assert [c.ad_ids for c in clusters] == [{1, 2, 5}]
    cluster = clusters[0]
    assert {n.id for n in cluster.identifiers} == {10, 11}
    assert {e.id for e in cluster.edges} == {101, 102, 103, 104}
    assert {(h.case_reference, h.via_entity_id) for h in cluster.hits} == set()

    assert graph_store.ad_clusters([1]) == graph_store.ad_clusters([1], case_id=1)
    assert [c.ad_ids for c in graph_store.ad_clusters([1])] == [{1, 2}]
    assert graph_store.ad_clusters([1, 2], case_id=3) == ()
    everything = graph_store.ad_clusters([1, 2, 3])
    assert [c.ad_ids for c in everything] == [{1, 2, 5, 6}]
    assert [c.ad_ids for c in graph_store.ad_clusters([2, 3], case_id=3)] == [{5, 6}]
    assert graph_store.ad_clusters([2]) == ()  # ad 5 shares wallet 12 only with a hidden ad


def test_case_jurisdictions_list_codes_and_providers(graph_store: GraphStore):
    ops = [
        *cases(),
        entity(1, "service_provider", "Example Telecom", "fr"),
        entity(2, "service_provider", "Example Exchange"),
        entity(3, "jurisdiction", "NL"),
        entity(4, "phone", "+447700900004", "GB"),
        entity(5, "wallet", "bc1qexamplewallet5"),
        entity(6, "jurisdiction", "DE"),
        entity(7, "service_provider", f"{SECRET}provider", "FR"),
    ]
    ops += [member(i, 1) for i in range(1, 6)] + [member(6, 3), member(7, 3)]
    ops += [
        link(101, 2, 3, 1, "LOCATED_IN"),
        link(102, 5, 3, 1, "LOCATED_IN"),
        link(103, 5, 6, 3, "LOCATED_IN"),  # hidden link to a hidden jurisdiction node
        link(104, 5, 2, 1, "REGISTERED_WITH"),
    ]
    graph_store.apply(ops)
    touches = graph_store.case_jurisdictions(1, [1, 2])
    assert_no_secret(touches)
    assert [(t.code, t.entity_count, tuple(p.id for p in t.providers)) for t in touches] == [
        ("FR", 1, (1,)),
        ("GB", 1, ()),
        ("NL", 2, (2,)),
    ]
    assert graph_store.case_jurisdictions(1, [2]) == ()
    codes = [t.code for t in graph_store.case_jurisdictions(1, [1, 3])]
    assert codes == ["DE", "FR", "GB", "NL"]


def test_ping_reports_an_unreachable_server():
    with GraphDatabase.driver("bolt://127.0.0.1:9", auth=("neo4j", "x")) as driver:
        assert GraphStore(driver).ping() is False


def test_ping_reports_the_suite_server(graph_store: GraphStore):
    assert graph_store.ping() is True


# --- a generated graph


def generated_ops(entities: int, cases_: int, links: int, seed: int) -> list[GraphOp]:
    """Synthetic projection: entities of several kinds in 1-2 cases each, random links."""
    rng = random.Random(seed)
    kinds = ["phone", "email", "wallet", "account", "ad", "person", "service_provider"]
    ops = [
        GraphOp.upsert_case(
            CaseNode(c, f"CF-2026-{c:04d}", f"Officer {c}", f"officer{c}@example.com")
        )
        for c in range(1, cases_ + 1)
    ]
    owner: dict[int, int] = {}
    for i in range(1, entities + 1):
        kind = rng.choice(kinds)
        ops.append(entity(i, kind, f"{kind}-{i}@example.com", rng.choice([None, "FR", "NL"])))
        owner[i] = rng.randint(1, cases_)
        ops.append(member(i, owner[i]))
        if rng.random() < 0.1:
            ops.append(member(i, rng.randint(1, cases_)))
    types = ["POSTED", "CONTACTED", "PAID", "CONTROLS", "SAME_AS"]
    for link_id in range(1, links + 1):
        a, b = rng.sample(range(1, entities + 1), 2)
        ops.append(link(link_id, a, b, owner[a], rng.choice(types)))
    return ops


def expected_inventory(ops: list[GraphOp]) -> Inventory:
    kinds: dict[str, set[int]] = {}
    types: dict[str, set[int]] = {}
    cases_, members = set(), set()
    for op in ops:
        p = op.payload
        if op.op == "upsert_entity":
            kinds.setdefault(p["kind"], set()).add(p["id"])
        elif op.op == "upsert_case":
            cases_.add(p["id"])
        elif op.op == "add_membership":
            members.add((p["entity_id"], p["case_id"]))
        elif op.op == "upsert_link":
            types.setdefault(p["type"], set()).add(p["id"])
    return Inventory(
        entity_ids_by_kind={k: frozenset(v) for k, v in kinds.items()},
        case_ids=frozenset(cases_),
        memberships=frozenset(members),
        link_ids_by_type={k: frozenset(v) for k, v in types.items()},
    )


@pytest.mark.slow
def test_a_generated_graph_is_projected_exactly(graph_store: GraphStore, neo4j_driver):
    ops = generated_ops(entities=2500, cases_=40, links=7500, seed=2026)
    small_batches = GraphStore(neo4j_driver, batch_size=700)  # several transactions per kind
    result = small_batches.apply(ops)
    expected = expected_inventory(ops)
    assert result.rows_by_op["upsert_entity"] == 2500
    assert graph_store.inventory() == expected
    assert expected.counts.entities == 2500 and expected.counts.links == 7500
    # Each visible read of a generated case agrees with the membership data.
    visible = [1, 2]
    allowed = {eid for eid, cid in expected.memberships if cid in visible}
    for start in sorted(allowed)[:20]:
        sub = graph_store.neighbourhood(start, 2, visible)
        assert sub.node_ids() <= allowed
        assert all(e.case_id in visible for e in sub.edges)


def test_case_subgraph_shows_a_visible_case_and_nothing_of_a_hidden_one(graph_store):
    from graph.records import CaseNode, EntityNode, GraphOp, LinkEdge, Membership

    ops = [
        GraphOp.upsert_case(CaseNode(1, "CF-2026-0001", "A", "a@example.org")),
        GraphOp.upsert_case(CaseNode(2, "CF-2026-0002", "B", "b@example.org")),
        GraphOp.upsert_entity(EntityNode(10, "phone", "+447700900001", "+44 7700 900001")),
        GraphOp.upsert_entity(EntityNode(11, "email", "x@example.com", "x@example.com")),
        GraphOp.upsert_entity(EntityNode(12, "email", "hidden@example.org", "hidden")),
        GraphOp.add_membership(Membership(10, 1)),
        GraphOp.add_membership(Membership(11, 1)),
        GraphOp.add_membership(Membership(10, 2)),
        GraphOp.add_membership(Membership(12, 2)),
        GraphOp.upsert_link(LinkEdge(100, "CONTACTED", 10, 11, 1, "confirmed", False)),
        GraphOp.upsert_link(LinkEdge(101, "CONTACTED", 10, 12, 2, "confirmed", False)),
    ]
    graph_store.apply(ops)
    sub = graph_store.case_subgraph(1, visible_case_ids=[1])
    assert sub.node_ids() == {10, 11}
    assert {e.id for e in sub.edges} == {100}
    assert {h.case_reference for h in sub.hits} == {"CF-2026-0002"}
    assert graph_store.case_subgraph(2, visible_case_ids=[1]).nodes == ()
    assert graph_store.case_subgraph(1, visible_case_ids=[1], limit=1).truncated
