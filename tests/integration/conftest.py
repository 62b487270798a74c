"""Fixtures for integration tests: the suite's real Neo4j (see neo4j_fixtures.py)."""

from tests.integration.neo4j_fixtures import graph_store, neo4j_driver, neo4j_store

__all__ = ["graph_store", "neo4j_driver", "neo4j_store"]
