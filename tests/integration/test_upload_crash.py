"""Crash safety: kill -9 a real server in the middle of a large streamed upload. Afterwards
no evidence row lacks its blob, no blob sits in the final location without a row, and the
temporary file is cleaned when the app starts again."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow import create_app
from caseflow.evidence.models import EvidenceItem
from tests.factories import make_case
from tests.live import LiveClient, free_port, start_server

FIELDS = {"description": "Large synthetic capture", "acquired_by": "DC Example",
          "acquired_at": "2026-11-01T08:30"}  # fmt: skip


def _sqlite_only(app) -> None:
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("one backend is enough for the live-server tests")


def _blobs(data_dir: Path) -> list[str]:
    return [f for _, _, files in os.walk(data_dir / "blobs") for f in files]


def test_killing_the_server_mid_upload_leaves_no_half_evidence(app, officer, tmp_path):
    _sqlite_only(app)
    case_id = make_case(app, officer).id
    data_dir = Path(app.config["DATA_DIR"])
    config = {
        "DATABASE_URL": app.config["DATABASE_URL"],
        "INSTANCE_PATH": app.instance_path,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": app.config["SECRET_KEY"],
        "TOTP_KEY": app.config["TOTP_KEY"],
        "PASSWORD_HASH_PROFILE": "test",
        "UPLOAD_TEMP_GRACE_SECONDS": 0,
    }
    port = free_port()
    server = start_server(config, port)
    try:
        client = LiveClient(port)
        client.login(officer.username, officer.password, officer.seed)
        size = 256 << 20
        sent = {"bytes": 0}

        def chunks():
            block = os.urandom(1 << 20)
            while sent["bytes"] < size:
                if sent["bytes"] >= 48 << 20:
                    # The server is writing the temp file: kill it without warning.
                    deadline = time.monotonic() + 20
                    while not any(p.stat().st_size for p in (data_dir / "tmp").iterdir()):
                        assert time.monotonic() < deadline, "upload never reached the store"
                        time.sleep(0.05)
                    os.kill(server.pid, signal.SIGKILL)
                    server.wait(10)
                    return
                sent["bytes"] += len(block)
                yield block

        with contextlib.suppress(OSError):  # the connection dies with the server
            client.stream_upload(case_id, chunks(), size, FIELDS).close()
        assert server.poll() is not None
        assert list((data_dir / "tmp").iterdir()), "a partial temp file is expected"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    # Restarting the app cleans temp files; nothing half-done remains anywhere.
    restarted = create_app({**config, "TESTING": True})
    engine = restarted.extensions["caseflow.engine"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(EvidenceItem.sha256)).scalars().all()
    engine.dispose()
    assert not list((data_dir / "tmp").iterdir())
    assert rows == [] and _blobs(data_dir) == []


def test_a_complete_streamed_upload_through_a_real_server_has_row_and_blob(app, officer):
    _sqlite_only(app)
    case_id = make_case(app, officer).id
    data_dir = Path(app.config["DATA_DIR"])
    config = {
        "DATABASE_URL": app.config["DATABASE_URL"],
        "INSTANCE_PATH": app.instance_path,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": app.config["SECRET_KEY"],
        "TOTP_KEY": app.config["TOTP_KEY"],
        "PASSWORD_HASH_PROFILE": "test",
    }
    port = free_port()
    server = start_server(config, port)
    try:
        client = LiveClient(port)
        client.login(officer.username, officer.password, officer.seed)
        block = os.urandom(1 << 20)
        conn = client.stream_upload(case_id, iter([block] * 8), 8 << 20, FIELDS)
        response = conn.getresponse()
        assert response.status == 302, response.read()[:500]
        conn.close()
    finally:
        server.terminate()
        server.wait(10)
    engine = app.extensions["caseflow.engine"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(EvidenceItem.sha256, EvidenceItem.size)).all()
    assert len(rows) == 1 and rows[0].size == 8 << 20
    assert _blobs(data_dir) == [rows[0].sha256]
