"""Property-based forger: one random mutation of the custody ledger or its heads, made in the
database behind the app's back, always fails verification, and the failure names the record.

Mutations: a changed byte in a field, a deleted entry, two entries swapped, the tail cut off,
an entry changed and every later entry re-hashed with the project's own hash function, a
deleted tree head. SQLite runs the most examples; PostgreSQL fewer (the total is >= 500).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow import ledger
from caseflow.actor import Actor
from caseflow.evidence import services
from caseflow.evidence.models import CustodyEvent
from caseflow.extensions import db_session
from exports.verify import entry_hash
from tests.factories import make_case, make_evidence_item
from tests.integration.test_ledger_forgery import disable_triggers

EVENTS = 12
TEXT_COLUMNS = ("tool", "seal_ids", "authority_ref", "seal_condition", "event_id")


@pytest.fixture
def ledger_world(app, officer, clock):
    case_id = make_case(app, officer).id
    with app.app_context():
        session = db_session()
        now = clock()
        item = make_evidence_item(session, officer, case_id, data=b"forger " * 40, now=now)
        session.commit()
        actor = Actor(officer.id, officer.username, "officer")
        for n in range(EVENTS):
            services.record_custody_event(
                session,
                actor,
                item.id,
                action="accessed",
                ts_utc=now - timedelta(minutes=1),
                now=now,
                tool=f"tool {n}",
                seal_ids=f"S-{n}",
            )
            session.commit()
        total = session.scalar(sa.select(sa.func.count()).select_from(CustodyEvent))
        yield session, total, app.extensions["caseflow.ledger_signer"]


def _problems(session, signer) -> list[str]:
    session.expire_all()
    chain = ledger.verify_chain(session, CustodyEvent)
    found = [f"seq {chain.first_bad_seq}: {chain.reason}"] if not chain.ok else []
    try:
        tree = ledger.build_tree(session, CustodyEvent)
    except ValueError as exc:
        return [*found, str(exc)]
    return [*found, *ledger.verify_tree_heads(session, CustodyEvent, signer, tree=tree).problems]


def _flip(text: str, position: int) -> str:
    index = position % len(text)
    char = text[index]
    return text[:index] + ("x" if char != "x" else "y") + text[index + 1 :]


def _mutate(session, total: int, kind: str, seq: int, column: str, position: int) -> str:
    """Apply one mutation; return the text the verifier's report must contain."""
    seq = 1 + (seq - 1) % total
    if kind == "flip":
        value = session.scalar(
            sa.text(f"SELECT {column} FROM custody_events WHERE seq = :s"),  # noqa: S608
            {"s": seq},
        )
        session.execute(
            sa.text(f"UPDATE custody_events SET {column} = :v WHERE seq = :s"),  # noqa: S608
            {"v": _flip(value or "-", position), "s": seq},
        )
        return f"seq {seq}"
    if kind == "delete":
        session.execute(sa.delete(CustodyEvent).where(CustodyEvent.seq == seq))
        return f"seq {seq}" if seq < total else f"after seq {total - 1} deleted"
    if kind == "swap":
        other = seq + 1 if seq < total else seq - 1
        low, high = min(seq, other), max(seq, other)
        session.execute(sa.update(CustodyEvent).where(CustodyEvent.seq == low).values(seq=-1))
        session.execute(sa.update(CustodyEvent).where(CustodyEvent.seq == high).values(seq=low))
        session.execute(sa.update(CustodyEvent).where(CustodyEvent.seq == -1).values(seq=high))
        return f"seq {low}"
    if kind == "truncate":
        keep = max(1, seq - 1)
        session.execute(sa.delete(CustodyEvent).where(CustodyEvent.seq > keep))
        return f"after seq {keep} deleted"
    if kind == "rechain":
        rows = session.scalars(
            sa.select(CustodyEvent).where(CustodyEvent.seq >= seq).order_by(CustodyEvent.seq)
        ).all()
        previous = session.scalar(
            sa.select(CustodyEvent.entry_hash).where(CustodyEvent.seq == seq - 1)
        )
        previous = previous or ledger.GENESIS_HASH
        for row in rows:
            if row.seq == seq:
                row.tool = _flip(row.tool or "-", position)
            row.prev_hash = previous
            row.entry_hash = entry_hash(row.ledger_record())
            previous = row.entry_hash
        session.flush()
        return f"seq {seq}"
    assert kind == "head"
    heads = session.scalars(
        sa.select(ledger.LedgerTreeHead.id)
        .where(ledger.LedgerTreeHead.ledger == "custody")
        .order_by(ledger.LedgerTreeHead.id)
    ).all()
    victim = heads[(seq - 1) % len(heads)]
    session.execute(sa.delete(ledger.LedgerTreeHead).where(ledger.LedgerTreeHead.id == victim))
    return "tree head"


MUTATIONS = st.tuples(
    st.sampled_from(["flip", "delete", "swap", "truncate", "rechain", "head"]),
    st.integers(1, 200),
    st.sampled_from(TEXT_COLUMNS),
    st.integers(0, 200),
)


def test_any_single_mutation_fails_verification_naming_the_record(ledger_world, database_url):
    session, total, signer = ledger_world
    assert _problems(session, signer) == []
    examples = 400 if database_url.startswith("sqlite") else 120

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(MUTATIONS)
    def check(mutation):
        kind, seq, column, position = mutation
        try:
            disable_triggers(session)
            expected = _mutate(session, total, kind, seq, column, position)
            problems = _problems(session, signer)
            assert problems, f"{mutation} was not detected"
            pattern = re.compile(re.escape(expected) + r"\b")
            assert any(pattern.search(p) for p in problems), (mutation, problems)
        finally:
            session.rollback()

    check()
    assert _problems(session, signer) == []
