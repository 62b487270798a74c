"""Migration 0019 turns v1 ledger data into format v2: personal values moved into
ledger_personal_values, exhibit facts chained, both ledgers re-chained and verifying."""

# ruff: noqa: S608 - fixed synthetic rows, no input
from __future__ import annotations

import sqlalchemy as sa

from caseflow import ledger
from caseflow.audit.models import AuditEvent
from caseflow.db import make_engine, make_sessionmaker, upgrade
from caseflow.evidence.models import CustodyEvent, EvidenceItem
from caseflow.evidence.services.verify import _fact_problems

WHEN = "2026-11-02 09:00:00.000000+00:00"


def _v1_rows(conn: sa.Connection) -> None:
    conn.exec_driver_sql(
        "INSERT INTO evidence_items (id, case_id, number, reference, kind, description, source,"
        " acquisition_method, acquisition_tool, acquired_by, acquired_at, location, seal_number,"
        " filename, media_type, size, sha256, sha1, md5, created_at, created_by_id) VALUES"
        " (1, 1, 1, 'CF-2026-0001/E-0001', 'external', 'Phone image', 'Lab', 'Imaging',"
        f" 'Tool 1', 'DC Jane Example', '{WHEN}', 'Lab B', 'S-1', NULL, NULL, 10,"
        f" '{'a' * 64}', '{'b' * 40}', '{'c' * 32}', '{WHEN}', NULL)"
    )
    for seq, action in ((1, "acquired"), (2, "transferred")):
        conn.exec_driver_sql(
            "INSERT INTO custody_events (event_id, case_id, item_id, case_reference,"
            " exhibit_number, root_exhibit_number, evidence_sha256, action, actor,"
            " from_custodian, to_custodian, ts_utc, recorded_at, location, purpose,"
            " authority_ref, tool, seal_ids, seal_condition, observed_sha256, notes,"
            " corrects_event_id, seq, prev_hash, entry_hash) VALUES"
            f" ('e{seq}', 1, 1, 'CF-2026-0001', 'CF-2026-0001/E-0001', 'CF-2026-0001/E-0001',"
            f" '{'a' * 64}', '{action}', '{{\"id\": 1, \"name\": \"DC Example\"}}',"
            f" 'DC Jane Example', 'Lab Officer', '{WHEN}', '{WHEN}', 'Lab B', 'analysis', '',"
            f" '', '', '', NULL, 'v1 note', NULL, {seq}, 'x', 'v1-hash-{seq}')"
        )
        conn.exec_driver_sql(
            "INSERT INTO audit_events (occurred_at, action, category, outcome, actor_id,"
            " actor_name, actor_role, object_type, object_id, case_id, ip, request_id, purpose,"
            f" details, seq, prev_hash, entry_hash) VALUES ('{WHEN}', 'case.view',"
            " 'consultation', 'success', 1, 'officer1', 'officer', 'case', '1', 1, NULL, NULL,"
            f" NULL, '{{}}', {seq}, 'x', 'v1-audit-{seq}')"
        )


def test_v1_data_migrates_to_a_verifying_v2_ledger(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'v1.db'}")

    @sa.event.listens_for(engine, "connect")
    def _no_foreign_keys(dbapi_connection, _record) -> None:  # no case or user rows here
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    upgrade(engine, "0018")
    with engine.begin() as conn:
        _v1_rows(conn)
    upgrade(engine)
    session = make_sessionmaker(engine)()
    for model in (CustodyEvent, AuditEvent):
        report = ledger.verify_chain(session, model)
        assert report.ok and report.entries == 2, report
    item = session.get(EvidenceItem, 1)
    assert item.description == "Phone image" and item.acquired_by == "DC Jane Example"
    events = session.scalars(sa.select(CustodyEvent).order_by(CustodyEvent.seq)).all()
    assert _fact_problems(item, events[0]) == []
    assert events[0].ledger_record()["v"] == 2 and events[1].item_facts is None
    assert events[1].to_custodian == "Lab Officer" and events[1].notes == "v1 note"
    owners = [("item", item.commitments), *((f"seq {e.seq}", e.commitments) for e in events)]
    openings = ledger.check_openings(session, owners)
    assert openings.ok and openings.checked == 4 + 2 * 5
    assert session.scalar(sa.select(sa.func.count()).select_from(ledger.LedgerTreeHead)) == 0
    session.close()
    with engine.connect() as conn:  # still append-only after the rewrite
        try:
            conn.exec_driver_sql("UPDATE custody_events SET tool = 'x'")
            raise AssertionError("custody_events accepted an UPDATE")
        except sa.exc.DatabaseError as exc:
            assert "append-only" in str(exc)
    engine.dispose()
