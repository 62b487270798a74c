"""The audit log is append-only in the database and its chain exposes any direct alteration."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from caseflow.actor import Actor
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import record_event, verify_audit_log
from exports.verify import GENESIS_HASH, canonical_bytes, entry_hash


def write_events(db, count=5):
    actor = Actor(7, "officer7", "officer", "127.0.0.1", "req-1")
    for i in range(count):
        record_event(
            db,
            actor,
            "case.view",
            category="consultation",
            object_type="case",
            object_id=i,
            purpose="test",
            details={"fields": ["title"], "n": i},
        )
    db.commit()


def test_records_form_a_chain_of_documented_canonical_bytes(db):
    write_events(db, 3)
    rows = list(db.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == GENESIS_HASH
    assert rows[1].prev_hash == rows[0].entry_hash
    record = rows[2].ledger_record()
    assert record["occurred_at"].endswith("Z")
    import hashlib

    assert hashlib.sha256(canonical_bytes(record)).hexdigest() == rows[2].entry_hash
    assert entry_hash(record) == rows[2].entry_hash
    assert verify_audit_log(db, Actor.system()).ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'forged' WHERE seq = 2",
        "DELETE FROM audit_events WHERE seq = 2",
    ],
)
def test_the_database_refuses_update_and_delete(db, statement):
    write_events(db, 3)
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(sa.text(statement))
    db.rollback()
    assert verify_audit_log(db, Actor.system()).ok


def _bypass_triggers(db):
    """What an attacker with DBA rights could do: drop the guard, then edit rows."""
    if db.get_bind().dialect.name == "sqlite":
        db.execute(sa.text("DROP TRIGGER audit_events_no_update"))
        db.execute(sa.text("DROP TRIGGER audit_events_no_delete"))
    else:
        db.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))


@pytest.mark.parametrize(
    ("tamper", "bad_seq"),
    [
        ("UPDATE audit_events SET action = 'case.edit' WHERE seq = 3", 3),
        ("UPDATE audit_events SET actor_name = 'someone' WHERE seq = 1", 1),
        ("DELETE FROM audit_events WHERE seq = 4", 4),
        ("UPDATE audit_events SET seq = 9 WHERE seq = 5", 5),
    ],
)
def test_direct_alteration_is_named_by_audit_verify(app, db, runner, tamper, bad_seq):
    write_events(db, 6)
    _bypass_triggers(db)
    db.execute(sa.text(tamper))
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"seq {bad_seq}" in result.output


def test_audit_verify_passes_on_an_intact_log(db, runner):
    write_events(db, 4)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "4 records" in result.output


def test_rewriting_a_record_and_its_hash_still_breaks_the_next_link(db, runner):
    write_events(db, 4)
    _bypass_triggers(db)
    row = db.scalar(sa.select(AuditEvent).where(AuditEvent.seq == 2))
    record = row.ledger_record()
    record["action"] = "case.export"
    db.execute(
        sa.text("UPDATE audit_events SET action = 'case.export', entry_hash = :h WHERE seq = 2"),
        {"h": entry_hash(record)},
    )
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "seq 3" in result.output
