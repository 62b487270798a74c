"""The Neo4j adapter: projection of the system of record and link analysis.

Plain data in, plain data out. Must not import flask, sqlalchemy or caseflow.
"""
