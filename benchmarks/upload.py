"""Peak memory of an evidence upload through the HTTP endpoint (real server, streamed body).

Run: python benchmarks/upload.py [--size-mib 1024]. Starts the app in a werkzeug server
subprocess on 127.0.0.1, logs in, streams a multipart upload of --size-mib MiB, and prints the
server's peak RSS (VmHWM) against a 1 MiB upload in a fresh server (the baseline), with the
throughput. Goal: peak RSS < 100 MiB for a 1 GiB upload.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyotp

from caseflow import create_app
from caseflow.auth.services import actor_for
from caseflow.cases.services import open_case
from caseflow.db import upgrade
from caseflow.demo import create_enrolled_user
from caseflow.extensions import db_session
from tests.live import LiveClient, free_port, start_server

MiB = 1 << 20
FIELDS = {"description": "Benchmark capture (synthetic)", "acquired_by": "Bench",
          "acquired_at": "2026-01-01T00:00"}  # fmt: skip


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def prepare(work: Path) -> tuple[dict, tuple[str, str, str], int]:
    config = {
        "DATABASE_URL": f"sqlite:///{work / 'caseflow.db'}",
        "INSTANCE_PATH": str(work / "instance"),
        "DATA_DIR": str(work / "data"),
        "SECRET_KEY": "bench-secret-key-0123456789abcdefghijklmnop",
        "TOTP_KEY": "bench-totp-key-0123456789abcdefghijklmnopqr",
        "PASSWORD_HASH_PROFILE": "test",
        "MAX_CONTENT_LENGTH": 8 << 30,
    }
    app = create_app(config)
    upgrade(app.extensions["caseflow.engine"])
    seed, password = pyotp.random_base32(32), "correct horse bench staple"
    with app.app_context():
        session = db_session()
        user = create_enrolled_user(
            session, app.extensions["caseflow.auth"], username="bench", display_name="Bench",
            role="officer", organisation="Bench", password=password, seed=seed,
            now=datetime.now(UTC),
        )  # fmt: skip
        case = open_case(session, actor_for(user), title="Bench", summary="",
                         lead_jurisdiction="GB", now=datetime.now(UTC))  # fmt: skip
        case_id = case.id
    app.extensions["caseflow.engine"].dispose()
    return config, ("bench", password, seed), case_id


def run(size_mib: int) -> tuple[float, float]:
    """(peak RSS MiB of the server, seconds) for one upload of size_mib MiB."""
    with tempfile.TemporaryDirectory(prefix="caseflow-upload-bench-") as tmp:
        config, (user, password, seed), case_id = prepare(Path(tmp))
        port = free_port()
        server = start_server(config, port)
        try:
            client = LiveClient(port)
            client.login(user, password, seed)
            block = hashlib.shake_256(b"caseflow upload bench").digest(MiB)
            chunks = (i.to_bytes(8, "big") + block[8:] for i in range(size_mib))
            start = time.perf_counter()
            conn = client.stream_upload(case_id, chunks, size_mib * MiB, FIELDS)
            response = conn.getresponse()
            elapsed = time.perf_counter() - start
            response.read()
            conn.close()
            if response.status != 302:
                raise RuntimeError(f"upload failed: HTTP {response.status}")
            return peak_rss_mib(server.pid), elapsed
        finally:
            server.terminate()
            server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    base_rss, base_s = run(1)
    rss, seconds = run(args.size_mib)
    print(f"{'upload':<28}{'peak RSS MiB':>14}{'ratio':>8}{'seconds':>10}{'MiB/s':>8}")
    print(f"{'1 MiB (baseline)':<28}{base_rss:>14.1f}{1.0:>8.2f}{base_s:>10.2f}{1 / base_s:>8.0f}")
    label = f"{args.size_mib} MiB"
    print(
        f"{label:<28}{rss:>14.1f}{rss / base_rss:>8.2f}{seconds:>10.2f}"
        f"{args.size_mib / seconds:>8.0f}"
    )
    print(f"goal: peak RSS < 100 MiB -> {'met' if rss < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
