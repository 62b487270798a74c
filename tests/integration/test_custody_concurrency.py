"""Concurrent appends from several processes on PostgreSQL: one valid chain and tree.

8 processes x 250 custody events (each its own transaction, some signing tree heads too);
skipped unless CASEFLOW_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import multiprocessing
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow import ledger
from caseflow.evidence.models import CustodyEvent
from caseflow.extensions import db_session
from tests.dbs import PG_URL
from tests.factories import make_case, make_evidence_item

PROCESSES = 8
APPENDS = 250


def _worker(url: str, instance: str, head_log: str, item_id: int, case_id: int, worker: int) -> int:
    from caseflow.clock import utcnow
    from caseflow.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    signer = ledger.load_or_create_signer(instance, "caseflow.invalid", "caseflow.invalid")
    # As the app's sessions do: each transaction signs the head and logs it beside the data.
    ledger.install_auto_heads(factory, signer, Path(head_log), utcnow)
    session = factory()
    try:
        for n in range(APPENDS):
            now = utcnow()
            ledger.append(
                session,
                CustodyEvent(
                    event_id=str(uuid.uuid4()), case_id=case_id, item_id=item_id,
                    case_reference="CF-2026-0001", exhibit_number="CF-2026-0001/E-0001",
                    root_exhibit_number="CF-2026-0001/E-0001", evidence_sha256=None,
                    action="accessed", actor={"name": f"worker {worker}"}, ts_utc=now,
                    recorded_at=now, purpose=f"load {worker}/{n}",
                ),
            )  # fmt: skip
            if n % 50 == 49:
                ledger.sign_tree_head(session, CustodyEvent, signer, now)
            session.commit()
    finally:
        session.close()
        engine.dispose()
    return APPENDS


@pytest.mark.skipif(not PG_URL, reason="needs CASEFLOW_TEST_DATABASE_URL (PostgreSQL)")
def test_eight_processes_appending_concurrently_make_one_valid_chain_and_tree(
    app, officer, clock, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL run covers this")
    case_id = make_case(app, officer).id
    item = make_evidence_item(
        app, officer, case_id, data=b"x", filename="x", media_type=None, description="x"
    )
    head_log = Path(app.config["DATA_DIR"]) / ledger.HEAD_LOG_FILE
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        done = pool.starmap(
            _worker,
            [
                (database_url, app.instance_path, str(head_log), item.id, case_id, w)
                for w in range(PROCESSES)
            ],
        )
    assert sum(done) == PROCESSES * APPENDS
    with app.app_context():
        session = db_session()
        chain = ledger.verify_chain(session, CustodyEvent)
        assert chain.ok and chain.entries == PROCESSES * APPENDS + 1
        seqs = session.scalars(sa.select(CustodyEvent.seq).order_by(CustodyEvent.seq)).all()
        assert seqs == list(range(1, PROCESSES * APPENDS + 2))
        signer = app.extensions["caseflow.ledger_signer"]
        heads = ledger.verify_tree_heads(session, CustodyEvent, signer)
        assert heads.ok, heads.problems
        # A head with every transaction (the acquisition's and each append's); a head a
        # worker signs itself stands for its transaction's, never a second at the same size.
        assert heads.heads >= PROCESSES * APPENDS + 1
