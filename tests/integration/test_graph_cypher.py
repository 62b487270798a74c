"""Every statement in graph.cypher compiles on the suite's Neo4j without deprecated syntax."""

from __future__ import annotations

import pytest
from neo4j import Driver, NotificationClassification

from graph import cypher

pytestmark = pytest.mark.neo4j


def all_statements() -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in vars(cypher).items():
        # Schema commands cannot be explained (ensure_schema runs them in every session).
        if name.startswith("_") or name in {"AWAIT_INDEXES", "SCHEMA"}:
            continue
        if isinstance(value, str) and name.isupper():
            found[name] = value
        elif isinstance(value, tuple):
            found.update({f"{name}[{i}]": v for i, v in enumerate(value)})
        elif isinstance(value, dict):
            # The tables differ only in the bound; the shortest and longest stand for all.
            found.update({f"{name}[{k}]": value[k] for k in (min(value), max(value))})
    return found


def test_the_statement_list_covers_the_module():
    names = all_statements()
    assert {"UPSERT_LINKS", "HITS", "SHORTEST_PATHS[6]", "CLEAR[1]", "PING"} <= set(names)


@pytest.mark.parametrize("name", sorted(all_statements()))
def test_statement_compiles_without_deprecations(neo4j_driver: Driver, name: str):
    statement = all_statements()[name]
    with neo4j_driver.session(database="neo4j") as session:
        summary = session.run("EXPLAIN " + statement).consume()
    deprecated = [
        s.status_description
        for s in summary.gql_status_objects
        if s.classification == NotificationClassification.DEPRECATION
    ]
    assert deprecated == []
