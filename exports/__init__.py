"""Packet building, ledger proofs and the offline verifier.

Plain data in, bytes out. Must not import flask, sqlalchemy or caseflow.
"""
