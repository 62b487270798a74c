"""The forger's tests: each changes what a court would rely on, directly in the database
(bypassing the append-only triggers, as an attacker with the database file or the owner role
would), and `caseflow custody verify` / `caseflow audit verify` must fail naming the record."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow import ledger
from caseflow.actor import Actor
from caseflow.audit.models import AuditEvent
from caseflow.evidence import services
from caseflow.evidence.models import CustodyEvent, EvidenceItem
from caseflow.extensions import db_session
from exports.verify import entry_hash
from tests.factories import make_case, make_evidence_item

LEDGER_TABLES = ("evidence_items", "custody_events", "audit_events", "ledger_tree_heads")


def disable_triggers(session: sa.orm.Session) -> None:
    """What a forger with the database file (SQLite) or the owner role (PostgreSQL) does."""
    if session.get_bind().dialect.name == "sqlite":
        names = session.scalars(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        for name in names:
            if any(name.startswith(table) for table in LEDGER_TABLES):
                session.execute(sa.text(f'DROP TRIGGER "{name}"'))
    else:
        for table in LEDGER_TABLES:
            session.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


@pytest.fixture
def exhibits(app, officer, clock):
    """A case with an uploaded file and an external item, every fact filled in."""
    case_id = make_case(app, officer).id
    with app.app_context():
        session = db_session()
        now = clock()
        details = {
            "acquired_at": now - timedelta(hours=2),
            "source": "Seller's web page",
            "acquisition_method": "Screen capture",
            "acquisition_tool": "Capture 2.1",
            "location": "Room 4, Example Street Station",
            "seal_number": "S-1",
        }
        item = make_evidence_item(
            session,
            officer,
            case_id,
            data=b"synthetic evidence " * 50,
            filename="capture.txt",
            description="Advert capture",
            acquired_by="DC Jane Example",
            now=now,
            **details,
        )
        external = make_evidence_item(
            session,
            officer,
            case_id,
            kind="external",
            sha256="a" * 64,
            md5="b" * 32,
            sha1="c" * 40,
            size=1234,
            description="Phone image held by the lab",
            acquired_by="DC John Example",
            now=now,
            **details,
        )
        session.commit()
        yield session, item, external


def _verify(runner) -> tuple[int, str]:
    db_session().expire_all()  # the CLI shares the test's app context and session
    result = runner.invoke(args=["custody", "verify"])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("md5", "0" * 32),
        ("sha1", "0" * 40),
        ("size", 999),
        ("media_type", "image/png"),
        ("acquired_at", "2020-01-01 00:00:00"),
        ("acquisition_method", "Forensic image"),
        ("acquisition_tool", "Other tool"),
        ("seal_number", "S-999"),
        ("kind", "physical"),
    ],
)
def test_a_changed_item_fact_fails_custody_verify_naming_item_and_field(
    app, exhibits, runner, column, value
):
    session, item, _ = exhibits
    assert _verify(runner)[0] == 0
    disable_triggers(session)
    session.execute(
        sa.text(f"UPDATE evidence_items SET {column} = :v WHERE id = :id"),  # noqa: S608
        {"v": value, "id": item.id},
    )
    session.commit()
    code, output = _verify(runner)
    assert code == 1, output
    assert f"evidence item {item.reference}: {column} differs" in output


@pytest.mark.parametrize("field", ["description", "acquired_by", "filename", "location", "source"])
def test_a_changed_personal_fact_fails_whichever_copy_the_forger_edits(
    app, exhibits, runner, field
):
    """Personal facts are commitments on the row and in the chain; their plain values sit in
    ledger_personal_values. Editing the plain value breaks its commitment; replacing the
    row's commitment by a fresh one (the forger's own salt) breaks the chained facts."""
    session, item, _ = exhibits
    commitment = item.commitments[field]
    disable_triggers(session)
    session.execute(
        sa.text("UPDATE ledger_personal_values SET value = 'forged' WHERE commitment = :c"),
        {"c": commitment},
    )
    session.commit()
    code, output = _verify(runner)
    assert code == 1, output
    assert f"evidence item {item.reference}: {field}: stored personal value" in output

    session.execute(
        sa.text("UPDATE ledger_personal_values SET value = :v WHERE commitment = :c"),
        {"v": "restored", "c": commitment},
    )
    salt = "11" * 16
    forged = ledger.commitment_of(salt, "forged")
    session.add(ledger.PersonalValue(commitment=forged, salt=salt, value="forged"))
    commitments = dict(item.commitments)
    commitments[field] = forged
    session.execute(
        sa.update(EvidenceItem).where(EvidenceItem.id == item.id).values(commitments=commitments)
    )
    session.commit()
    code, output = _verify(runner)
    assert code == 1, output
    assert f"evidence item {item.reference}: {field} differs" in output


def test_the_acquired_record_commits_to_every_fact(exhibits):
    session, item, external = exhibits
    for exhibit in (item, external):
        acquired = session.scalars(
            sa.select(CustodyEvent).where(
                CustodyEvent.item_id == exhibit.id, CustodyEvent.action == "acquired"
            )
        ).one()
        facts = acquired.ledger_record()["item_facts"]
        assert acquired.ledger_record()["v"] == 2
        assert set(facts) >= {
            "sha256",
            "md5",
            "sha1",
            "size",
            "filename",
            "media_type",
            "acquired_at",
            "location",
            "acquired_by",
            "acquisition_method",
            "description",
        }
        assert facts == exhibit.facts()
    assert facts["md5"] == "b" * 32 and facts["size"] == 1234
    # Personal facts are chained only as commitments: no plain name in any record.
    record_bytes = b"".join(
        ledger.canonical_bytes(e.ledger_record()) for e in session.scalars(sa.select(CustodyEvent))
    )
    assert b"Jane Example" not in record_bytes and b"Advert capture" not in record_bytes
    assert item.description == "Advert capture" and item.acquired_by == "DC Jane Example"


def test_erased_personal_values_still_verify_and_are_reported_as_erased(app, exhibits, runner):
    session, item, _ = exhibits
    for field in ("acquired_by", "description"):
        session.execute(
            sa.delete(ledger.PersonalValue).where(
                ledger.PersonalValue.commitment == item.commitments[field]
            )
        )
    session.commit()
    session.expire_all()
    assert item.acquired_by == ledger.ERASED
    code, output = _verify(runner)
    assert code == 0, output
    assert "2 personal values erased" in output


def test_a_custody_event_whose_personal_value_is_edited_is_named(app, exhibits, runner, officer):
    session, item, _ = exhibits
    actor = Actor(officer.id, officer.username, "officer")
    now = app.config["CLOCK"]()
    event = services.record_custody_event(
        session,
        actor,
        item.id,
        action="transferred",
        ts_utc=now - timedelta(minutes=1),
        now=now,
        from_custodian="DC Jane Example",
        to_custodian="Lab Officer Example",
    )
    session.commit()
    disable_triggers(session)
    session.execute(
        sa.text("UPDATE ledger_personal_values SET value = 'Somebody Else' WHERE commitment = :c"),
        {"c": event.commitments["to_custodian"]},
    )
    session.commit()
    code, output = _verify(runner)
    assert code == 1
    assert f"custody entry seq {event.seq}: to_custodian: stored personal value" in output


# --- no unsigned tail: heads signed with every write, logged beside the data ---------------------


def ledger_signer(app):
    return app.extensions["caseflow.ledger_signer"]


def _head_log(app):
    return Path(app.config["DATA_DIR"]) / ledger.HEAD_LOG_FILE


def _rechain_from(session, model, seq, change):
    """The forger's best effort: change entry `seq` and re-hash it and every entry after it
    with the project's own hash function, so the chain holds again."""
    rows = session.scalars(sa.select(model).where(model.seq >= seq).order_by(model.seq)).all()
    previous = session.scalar(sa.select(model.entry_hash).where(model.seq == seq - 1))
    previous = previous or ledger.GENESIS_HASH
    for row in rows:
        if row.seq == seq:
            change(row)
        row.prev_hash = previous
        row.entry_hash = entry_hash(row.ledger_record())
        previous = row.entry_hash
    session.flush()


def _delete_heads_after(session, name, size):
    session.execute(
        sa.delete(ledger.LedgerTreeHead).where(
            ledger.LedgerTreeHead.ledger == name, ledger.LedgerTreeHead.tree_size > size
        )
    )


def test_every_write_signs_heads_into_the_database_and_the_head_log(app, exhibits):
    session, _item, _ = exhibits
    for model in (CustodyEvent, AuditEvent):
        count = session.scalar(sa.select(sa.func.count()).select_from(model))
        head = ledger.latest_tree_head(session, model)
        assert head is not None and head.tree_size == count
    logged, problems = ledger.read_head_log(_head_log(app))
    assert not problems
    assert {h.ledger for h in logged} == {"custody", "audit"}
    newest = max(h.size for h in logged if h.ledger == "custody")
    assert newest == session.scalar(sa.select(sa.func.count()).select_from(CustodyEvent))


def _record(app, session, officer, item, **kw):
    actor = Actor(officer.id, officer.username, "officer")
    now = app.config["CLOCK"]()
    event = services.record_custody_event(
        session, actor, item.id, action="accessed", ts_utc=now, now=now, **kw
    )
    session.commit()
    return event


def test_deleting_the_last_custody_event_and_its_heads_fails_verify(app, exhibits, runner, officer):
    session, item, _ = exhibits
    event = _record(app, session, officer, item, purpose="review")
    disable_triggers(session)
    session.execute(sa.delete(CustodyEvent).where(CustodyEvent.seq == event.seq))
    _delete_heads_after(session, "custody", event.seq - 1)
    session.commit()
    code, output = _verify(runner)
    assert code == 1, output
    assert f"signed {event.seq} entries, the ledger has {event.seq - 1}" in output


def test_rewriting_and_rehashing_a_custody_event_fails_verify(app, exhibits, runner, officer):
    session, item, _ = exhibits
    event = _record(app, session, officer, item, purpose="review")
    _record(app, session, officer, item, purpose="second look")
    disable_triggers(session)
    _rechain_from(session, CustodyEvent, event.seq, lambda row: setattr(row, "action", "sealed"))
    _delete_heads_after(session, "custody", event.seq - 1)
    session.commit()
    code, output = _verify(runner)
    assert code == 1, output
    assert f"custody entry seq {event.seq}: changed after it was signed" in output


def test_deleted_heads_and_an_emptied_head_log_are_detected(app, exhibits, runner, officer):
    session, item, _ = exhibits
    _record(app, session, officer, item, purpose="review")
    _record(app, session, officer, item, purpose="again")
    disable_triggers(session)
    newest = ledger.latest_tree_head(session, CustodyEvent)
    session.execute(sa.delete(ledger.LedgerTreeHead).where(ledger.LedgerTreeHead.id == newest.id))
    session.commit()
    code, output = _verify(runner)
    assert code == 1 and "missing from the database (tree head deleted)" in output
    _head_log(app).write_text("")
    code, output = _verify(runner)
    assert code == 1 and "missing from the head log" in output
    problems = ledger.verify_tree_heads(session, CustodyEvent, ledger_signer(app)).problems
    assert any("has no custody heads" in p for p in problems)


def _audit_verify(runner):
    db_session().expire_all()
    result = runner.invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def test_deleting_the_last_audit_rows_fails_audit_verify(app, exhibits, runner):
    session, *_ = exhibits
    assert _audit_verify(runner)[0] == 0
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    disable_triggers(session)
    session.execute(sa.delete(AuditEvent).where(AuditEvent.seq > total - 3))
    _delete_heads_after(session, "audit", total - 3)
    session.commit()
    code, output = _audit_verify(runner)
    assert code == 1, output
    assert "signed" in output and "deleted)" in output


def test_rewriting_one_audit_row_and_rechaining_the_rest_fails_audit_verify(app, exhibits, runner):
    session, *_ = exhibits
    disable_triggers(session)
    _rechain_from(session, AuditEvent, 2, lambda row: setattr(row, "outcome", "failure"))
    _delete_heads_after(session, "audit", 1)
    session.commit()
    code, output = _audit_verify(runner)
    assert code == 1, output
    # Named exactly, or within the entries of the first head that covers it.
    assert re.search(r"audit entr(y seq 2|ies seq 1\.\.2): .*changed after", output), output


def test_an_empty_audit_log_fails_audit_verify(app, exhibits, runner):
    session, *_ = exhibits
    disable_triggers(session)
    session.execute(sa.delete(AuditEvent))
    session.execute(sa.delete(ledger.LedgerTreeHead))
    session.commit()
    _head_log(app).write_text("")
    code, output = _audit_verify(runner)
    assert code == 1, output
    assert "empty" in output


# --- ledger time is monotonic: one clock, taken under the lock ------------------------------------


def test_a_clock_stepping_back_is_recorded_as_such_and_time_never_goes_backwards(
    app, exhibits, runner, officer, clock
):
    session, item, _ = exhibits
    first = _record(app, session, officer, item, purpose="before the step")
    clock.advance(hours=-1)
    second = _record(app, session, officer, item, purpose="after the step")
    assert second.recorded_at == first.recorded_at
    assert second.system_time == clock()
    assert second.ledger_record()["system_time"] == ledger.rfc3339(clock())
    # One clock for both ledgers: the custody entry and its audit record agree.
    audit = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "custody.record").order_by(AuditEvent.seq)
    ).all()[-1]
    assert audit.occurred_at == second.recorded_at and audit.system_time == clock()
    report = ledger.verify_chain(session, CustodyEvent)
    assert report.ok and any(
        f"seq {second.seq}: clock stepped back" in s for s in report.clock_steps
    )
    code, output = _verify(runner)
    assert code == 0, output
    assert "clock stepped back" in output


def test_an_entry_dated_before_its_predecessor_fails_verify(app, exhibits, officer):
    session, item, _ = exhibits
    event = _record(app, session, officer, item, purpose="review")
    disable_triggers(session)
    _rechain_from(
        session,
        CustodyEvent,
        event.seq,
        lambda row: setattr(row, "recorded_at", row.recorded_at - timedelta(hours=3)),
    )
    report = ledger.verify_chain(session, CustodyEvent)
    assert report.first_bad_seq == event.seq
    assert "time went backwards" in report.reason
    session.rollback()


def test_validating_a_custody_event_does_not_read_the_items_history(app, exhibits, officer):
    """Append cost independent of history length: the rules need two index lookups, never
    the item's events (counted as rows loaded from custody_events)."""
    session, item, _ = exhibits
    for n in range(20):
        _record(app, session, officer, item, purpose=f"look {n}")
    loaded = []

    def count(*args):
        loaded.append(args)

    sa.event.listen(CustodyEvent, "load", count)
    try:
        session.expire_all()
        _record(app, session, officer, item, purpose="one more")
    finally:
        sa.event.remove(CustodyEvent, "load", count)
    assert len(loaded) <= 1  # at most the newest head's computation reads the new entry


def test_a_disclosed_personal_value_must_open_its_commitment(app, exhibits, officer):
    """A custody extract (what packets carry) discloses the personal values with their
    salts; the recipient's check refuses a disclosed value that was changed."""
    from exports.verify import _custody_entry_problem

    session, item, _ = exhibits
    _record(app, session, officer, item, purpose="Examination for the court")
    actor = Actor(officer.id, officer.username, "officer")
    extract = services.custody_extract(
        session, actor, [item.id], app.config["CLOCK"](), signer=ledger_signer(app)
    )
    root = bytes.fromhex(ledger.latest_tree_head(session, CustodyEvent).root_hash)
    entry = extract.entries[-1]
    assert entry.disclosed()["purpose"] == "Examination for the court"
    assert entry.record["purpose"] != "Examination for the court"  # a commitment
    as_json = {
        "index": entry.index,
        "record": dict(entry.record),
        "entry_hash": entry.entry_hash,
        "inclusion_proof": list(entry.inclusion_proof),
        "openings": {k: dict(v) for k, v in entry.openings.items()},
    }
    assert _custody_entry_problem(as_json, extract.tree_size, root) is None
    as_json["openings"]["purpose"]["value"] = "Something else"
    problem = _custody_entry_problem(as_json, extract.tree_size, root)
    assert problem == "disclosed purpose does not match the commitment in the record"
    session.rollback()
