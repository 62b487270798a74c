"""The transactional outbox that projects the system of record into Neo4j."""
