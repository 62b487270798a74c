"""Custody ledger on the database: rules, append-only triggers, proofs against signed heads,
tamper detection by `caseflow custody verify`, exports, gaps, and the audit ledger's heads."""

from __future__ import annotations

import base64
import io
import os
import stat
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow import ledger
from caseflow.actor import Actor
from caseflow.audit.models import AuditEvent
from caseflow.errors import ValidationError
from caseflow.evidence import services
from caseflow.evidence.models import CustodyEvent, EvidenceItem
from caseflow.extensions import db_session
from caseflow.uow import Transactions
from exports.verify import (
    canonical_bytes,
    leaf_hash,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from tests.factories import make_case, make_evidence_item


def _signer():
    """The app's tree-head key (the world fixture runs inside the app context)."""
    return current_app.extensions["caseflow.ledger_signer"]


@pytest.fixture
def world(app, officer, clock):
    """A case with one uploaded file and one physical item, inside an app context."""
    case_id = make_case(app, officer).id
    with app.app_context():
        session = db_session()
        actor = Actor(officer.id, officer.username, "officer")
        now = clock()
        details = {
            "description": "Seized phone image",
            "acquired_by": "DC Example",
            "acquired_at": now - timedelta(hours=2),
        }
        store = app.extensions["caseflow.blobstore"]
        item = make_evidence_item(
            session,
            officer,
            case_id,
            data=b"synthetic evidence " * 500,
            filename="img.bin",
            media_type=None,
            now=now,
            **details,
        )
        phone = make_evidence_item(session, officer, case_id, kind="physical", now=now, **details)
        yield session, actor, case_id, item, phone, store, now


def _event(session, actor, item, now, **kw):
    kw.setdefault("ts_utc", now - timedelta(minutes=5))
    return services.record_custody_event(session, actor, item.id, now=now, **kw)


def test_custody_event_rules_give_clear_errors(world):
    session, actor, _, item, _, _, now = world
    cases = [
        ({"action": "transferred", "from_custodian": "A"}, "a transfer names both parties"),
        ({"action": "transferred", "to_custodian": "B"}, "a transfer names both parties"),
        ({"action": "sealed"}, "a seal event names the seal"),
        ({"action": "accessed", "ts_utc": now + timedelta(minutes=1)}, "not be in the future"),
        ({"action": "teleported"}, "Action: one of"),
        ({"action": "accessed", "corrects_event_id": "nope"}, "must be an earlier event"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationError, match=message):
            _event(session, actor, item, now, **kwargs)
        session.rollback()
    disposed = _event(session, actor, item, now, action="disposed", purpose="court order")
    session.commit()
    with pytest.raises(ValidationError, match="only corrections may follow"):
        _event(session, actor, item, now, action="accessed")
    session.rollback()
    correction = _event(
        session,
        actor,
        item,
        now,
        action="disposed",
        purpose="court order 17/2026",
        corrects_event_id=disposed.event_id,
        notes="order number was missing",
    )
    assert correction.corrects_event_id == disposed.event_id


@pytest.mark.parametrize("table", ["custody_events", "evidence_items", "ledger_tree_heads"])
def test_database_refuses_update_and_delete_of_ledger_and_item_rows(world, table):
    session, _actor, *_, now = world
    services.sign_checkpoints(session, Actor.system("test"), now, signer=_signer())
    session.commit()
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):  # noqa: S608
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            session.execute(sa.text(statement))
        session.rollback()


def test_extract_proves_each_entry_in_a_freshly_signed_head(world):
    session, actor, _, item, phone, _, now = world
    _event(session, actor, item, now, action="sealed", seal_ids="S-100", seal_condition="intact")
    _event(session, actor, phone, now, action="accessed")
    exported = services.record_export(session, actor, [item.id], "Example Authority (NL)", now)
    result = services.custody_extract(session, actor, [item.id], now, signer=_signer())
    session.commit()
    assert [e.record["action"] for e in result.entries] == ["acquired", "sealed", "exported"]
    assert exported[0].to_custodian == "Example Authority (NL)"
    checkpoint = verify_checkpoint(
        result.checkpoint_text, base64.b64decode(result.public_key_b64), result.key_name
    )
    assert checkpoint.size == result.tree_size == 5
    for entry in result.entries:
        leaf = leaf_hash(canonical_bytes(entry.record))
        proof = [bytes.fromhex(p) for p in entry.inclusion_proof]
        assert verify_inclusion(leaf, entry.index, checkpoint.size, proof, checkpoint.root)
        assert not verify_inclusion(leaf, entry.index ^ 1, checkpoint.size, proof, checkpoint.root)
    packet = result.to_packet()
    assert packet.public_key == result.public_key_b64 and packet.entries == result.entries


def test_consistency_proofs_link_successive_signed_heads(world):
    session, actor, _, item, _, _, now = world
    signer = _signer()
    first = ledger.sign_tree_head(session, CustodyEvent, signer, now)
    for n in range(5):
        _event(session, actor, item, now, action="accessed", purpose=f"review {n}")
    second = ledger.sign_tree_head(session, CustodyEvent, signer, now)
    proof = ledger.consistency_proof(session, CustodyEvent, first.tree_size, second.tree_size)
    root1, root2 = bytes.fromhex(first.root_hash), bytes.fromhex(second.root_hash)
    assert verify_consistency(first.tree_size, second.tree_size, root1, root2, proof)
    assert not verify_consistency(first.tree_size, second.tree_size, root2, root1, proof)
    session.commit()
    assert ledger.verify_tree_heads(session, CustodyEvent, signer).ok


def _disable_triggers(session):
    if session.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            session.execute(sa.text(f"DROP TRIGGER custody_events_no_{verb}"))
    else:
        session.execute(sa.text("ALTER TABLE custody_events DISABLE TRIGGER USER"))


def test_database_tampering_is_named_by_seq(world):
    """A smaller number of examples over the database: change one field of one entry,
    bypassing the triggers, and the chain check names exactly that entry."""
    session, actor, _, item, phone, _, now = world
    for n in range(6):
        _event(session, actor, item if n % 2 else phone, now, action="accessed", purpose=f"p{n}")
    total = session.scalar(sa.select(sa.func.count()).select_from(CustodyEvent))
    session.commit()
    columns = {
        "tool": "Other tool",
        "authority_ref": "altered",
        "seal_condition": "altered",
        "exhibit_number": "CF-2026-0001/E-0099",
        "action": "disposed",
        "seal_ids": "S-FAKE",
    }

    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(seq=st.integers(1, total), column=st.sampled_from(sorted(columns)))
    def check(seq, column):
        try:
            _disable_triggers(session)
            session.execute(
                sa.text(f"UPDATE custody_events SET {column} = :v WHERE seq = :s"),  # noqa: S608
                {"v": columns[column], "s": seq},
            )
            report = ledger.verify_chain(session, CustodyEvent)
            assert report.first_bad_seq == seq
            assert "altered" in report.reason
        finally:
            session.rollback()

    check()
    assert ledger.verify_chain(session, CustodyEvent).ok
    session.rollback()


def test_cli_custody_verify_passes_then_names_a_changed_blob(app, world, runner):
    _session, _actor, _, item, *_ = world
    assert runner.invoke(args=["custody", "checkpoint"]).exit_code == 0
    ok = runner.invoke(args=["custody", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "custody OK" in ok.output and "1 blobs re-hashed" in ok.output
    path = app.extensions["caseflow.blobstore"].path_for(item.sha256)
    os.chmod(path, 0o600)
    with open(path, "r+b") as handle:
        handle.write(b"Z")
    bad = runner.invoke(args=["custody", "verify", "--case", "CF-2026-0001"])
    assert bad.exit_code == 1
    assert f"blob of {item.reference}" in bad.output
    assert runner.invoke(args=["custody", "verify", "--case", "CF-1999-0001"]).exit_code == 1


def test_cli_custody_verify_names_an_altered_entry_and_a_forged_head(app, world, runner):
    session, _actor, _, _item, *_ = world
    runner.invoke(args=["custody", "checkpoint"])
    _disable_triggers(session)
    session.execute(sa.text("UPDATE custody_events SET tool = 'elsewhere' WHERE seq = 2"))
    session.commit()
    result = runner.invoke(args=["custody", "verify"])
    assert result.exit_code == 1
    assert "entry seq 2" in result.output


def test_cli_public_key_matches_the_signed_heads_and_key_file_is_private(app, runner):
    signer = app.extensions["caseflow.ledger_signer"]
    result = runner.invoke(args=["custody", "public-key", "--format", "base64"])
    assert result.exit_code == 0
    assert signer.public_key_b64 in result.output
    key_file = os.path.join(app.instance_path, ledger.KEY_FILE)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    pem = runner.invoke(args=["custody", "public-key"]).output
    assert "BEGIN PUBLIC KEY" in pem


def test_audit_verify_checks_the_audit_ledger_tree_heads(app, world, runner):
    session, *_ = world
    assert runner.invoke(args=["custody", "checkpoint"]).exit_code == 0
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "signed tree heads verified" in ok.output
    head = ledger.latest_tree_head(session, AuditEvent)
    forged = ledger.LedgerTreeHead(
        ledger="audit",
        tree_size=head.tree_size,
        root_hash=head.root_hash,
        signed_at=head.signed_at,
        key_name=head.key_name,
        public_key=head.public_key,
        checkpoint=head.checkpoint.replace(head.checkpoint.split("\n")[1], "1"),
    )
    session.add(forged)
    session.commit()
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1 and "signature does not verify" in bad.output


def test_custody_gaps_find_stale_items_unreceived_transfers_and_unexplained_unsealing(world):
    session, actor, case_id, item, phone, _, now = world
    _event(
        session,
        actor,
        item,
        now,
        action="transferred",
        from_custodian="DC Example",
        to_custodian="Lab Example",
    )
    _event(session, actor, phone, now, action="unsealed", seal_ids="S-7")
    later = now + timedelta(days=31)
    gaps = {
        (g.reference, g.kind) for g in services.custody_gaps(session, actor, case_id, now=later)
    }
    assert gaps == {
        (item.reference, "stale"),
        (item.reference, "transfer-not-received"),
        (phone.reference, "stale"),
        (phone.reference, "unsealed-without-reason"),
    }
    _event(session, actor, item, now, action="received", to_custodian="Lab Example")
    gaps = {(g.reference, g.kind) for g in services.custody_gaps(session, actor, case_id, now=now)}
    assert gaps == {(phone.reference, "unsealed-without-reason")}
    session.rollback()


def test_recovery_quarantines_blobs_without_rows_and_keeps_evidence(world):
    session, _, _, item, _, store, now = world
    orphan = store.ingest(io.BytesIO(b"uploaded but never committed"), 10**6)
    report = services.recover_store(
        Transactions(session), Actor.system("test"), store, now=now, min_age_seconds=0, force=True
    )
    assert report.orphans_quarantined == (orphan.sha256,)
    assert not store.exists(orphan.sha256) and store.exists(item.sha256)
    assert (store.root / "orphans" / orphan.sha256).exists()
    assert report.missing_blobs == ()
    assert session.scalar(sa.select(sa.func.count()).select_from(EvidenceItem)) == 2
