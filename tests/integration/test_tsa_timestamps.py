"""RFC 3161: tree heads timestamped by a local `openssl ts` authority (a loopback HTTP server
in this process), checked with rfc3161-client and with `openssl ts -verify`."""

from __future__ import annotations

import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from caseflow import ledger
from caseflow.evidence.models import CustodyEvent
from caseflow.evidence.timestamp import TimestampAuthority, TimestampChecker
from caseflow.extensions import db_session
from tests.tsa import _setup as setup_tsa_files

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tsa_dir(tmp_path_factory) -> Path:
    """A root CA and a TSA certificate (critical EKU timeStamping), and tsa.cnf embedding only
    the signer certificate (rfc3161-client refuses unsorted multi-certificate sets)."""
    d = tmp_path_factory.mktemp("tsa")
    setup_tsa_files(d)
    return d


@pytest.fixture
def tsa_url(tsa_dir):
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415)
                return
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                (tsa_dir / "req.tsq").write_bytes(query)
                _run("openssl", "ts", "-reply", "-config", "tsa.cnf", "-queryfile", "req.tsq",
                     "-out", "resp.tsr", cwd=tsa_dir)  # fmt: skip
                body = (tsa_dir / "resp.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    server.shutdown()
    server.server_close()
    thread.join()


def test_checkpoint_is_timestamped_and_the_token_verifies_with_both_tools(
    app, runner, tsa_url, tsa_dir, tmp_path
):
    app.config.update(
        TSA_URL=tsa_url,
        TSA_CA_FILE=str(tsa_dir / "ca.crt"),
        TSA_CERT_FILE=str(tsa_dir / "tsa.crt"),
    )
    result = runner.invoke(args=["custody", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert "RFC 3161 timestamped" in result.output
    with app.app_context():
        head = ledger.latest_tree_head(db_session(), CustodyEvent)
        assert head.tsa_url == tsa_url and head.tsa_response
        data, token = head.checkpoint.encode(), head.tsa_response
    checker = TimestampChecker.from_files(tsa_dir / "ca.crt", tsa_dir / "tsa.crt")
    assert checker(data, token) is None
    assert "does not verify" in checker(data + b"x", token)
    (tmp_path / "checkpoint.txt").write_bytes(data)
    (tmp_path / "altered.txt").write_bytes(data.replace(b"\n0\n", b"\n1\n"))
    (tmp_path / "head.tsr").write_bytes(token)
    verify = ["openssl", "ts", "-verify", "-in", "head.tsr", "-CAfile", str(tsa_dir / "ca.crt"),
              "-untrusted", str(tsa_dir / "tsa.crt"), "-data"]  # fmt: skip
    good = subprocess.run([*verify, "checkpoint.txt"], cwd=tmp_path, capture_output=True, text=True)
    assert good.returncode == 0 and "Verification: OK" in good.stdout
    bad = subprocess.run([*verify, "altered.txt"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode != 0
    assert "message imprint mismatch" in (bad.stdout + bad.stderr)
    verified = runner.invoke(args=["custody", "verify"])
    assert verified.exit_code == 0, verified.output
    audit = runner.invoke(args=["audit", "verify"])
    assert audit.exit_code == 0, audit.output


def test_unreachable_tsa_is_a_clear_error(tsa_dir):
    from caseflow.evidence.timestamp import TimestampError

    with pytest.raises(TimestampError, match="unreachable"):
        TimestampAuthority("http://127.0.0.1:9/tsa", timeout=2)(b"checkpoint")
    with pytest.raises(ValueError, match="http"):
        TimestampAuthority("file:///etc/passwd")
