"""A packet export holds no write transaction while it builds: a custody write on another case
during the export of a large annex finishes at once (SQLite and PostgreSQL).

The annex is large enough that an export building inside its write transaction holds the
probe for well over a second (that was the finding); the probe must finish well under one.
"""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow.evidence import services as evidence_services
from caseflow.evidence.blobstore import BlobStore
from caseflow.mla import services as mla_services
from caseflow.mla.models import MlaRequest
from tests.factories import (
    actor_of,
    approve,
    arrange,
    make_case,
    make_evidence_item,
    make_request,
    make_user,
)
from tests.helpers import csrf_token, totp_now

ANNEX_BYTES = 256 * 1024 * 1024
PROBE_LIMIT_SECONDS = 0.5


class PatternStream(io.RawIOBase):
    """`size` bytes of a repeated synthetic pattern, produced as they are read."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.block = (b"synthetic annex bytes, test only. " * 32768)[: 1 << 20]

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = self.left if size < 0 else min(size, self.left)
        self.left -= n
        whole, part = divmod(n, len(self.block))
        return self.block * whole + self.block[:part]


class SignallingStore(BlobStore):
    """The real store; `opened` is set when the packet build starts reading an annex."""

    def __init__(self, root) -> None:
        super().__init__(root)
        self.opened = threading.Event()

    def open(self, sha256: str):  # type: ignore[no-untyped-def]
        self.opened.set()
        return super().open(sha256)


@pytest.mark.slow
def test_a_custody_write_on_another_case_is_not_held_up_by_a_packet_export(
    app, auth, client, clock, db
):
    liaison = make_user(app, "liaison")
    supervisor = make_user(app, "supervisor")
    officer = make_user(app, "officer")
    case = make_case(app, liaison, members=[supervisor])
    annex = make_evidence_item(
        app,
        liaison,
        case.id,
        data=PatternStream(ANNEX_BYTES),
        filename="device-image.bin",
        media_type="application/octet-stream",
    )
    request_id = make_request(app, liaison, case.id).id

    def submit(session, now):
        me = actor_of(session, liaison)
        mla_services.add_annex(session, me, request_id, annex.id, now=now)
        mla_services.submit_request(session, me, request_id, now=now)

    arrange(app, submit)
    clock.advance(seconds=30)
    approve(app, supervisor, request_id, totp_now(supervisor.seed, clock))
    elsewhere = make_case(app, officer, title="Another unit's case")
    seized = make_evidence_item(app, officer, elsewhere.id, kind="physical")

    store = SignallingStore(app.extensions["caseflow.blobstore"].root)
    app.extensions["caseflow.blobstore"] = store
    auth.login(liaison)
    token = csrf_token(client, f"/requests/{request_id}")
    outcome: dict[str, object] = {}

    def export() -> None:
        started = time.perf_counter()
        outcome["response"] = client.post(
            f"/requests/{request_id}/export",
            data={"recipient": "Central authority (fictional)", "csrf_token": token},
        )
        outcome["seconds"] = time.perf_counter() - started

    exporter = threading.Thread(target=export)
    exporter.start()
    try:
        assert store.opened.wait(120), "the export never started reading its annex"
        started = time.perf_counter()
        arrange(
            app,
            lambda session, now: evidence_services.record_custody_event(
                session,
                actor_of(session, officer),
                seized.id,
                action="accessed",
                ts_utc=now,
                now=now,
                purpose="Probe while another case exports",
            ),
        )
        probe = time.perf_counter() - started
        building = exporter.is_alive()
    finally:
        exporter.join(300)
        for path in Path(app.config["DATA_DIR"]).rglob("*"):
            if path.is_file() and path.stat().st_size > ANNEX_BYTES // 2:
                path.unlink()  # the annex and its packet: keep the disk for the next tests
    print(f"\nexport {outcome.get('seconds', 0):.2f} s, probe write {probe:.3f} s")
    response = outcome["response"]
    assert response.status_code == 302, response.get_data(as_text=True)
    status = db.scalar(sa.select(MlaRequest.status).where(MlaRequest.id == request_id))
    assert status == "exported"
    assert probe < PROBE_LIMIT_SECONDS, f"a write on another case waited {probe:.2f} s"
    assert building, "the probe must run while the packet is being built"
