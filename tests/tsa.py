"""A local RFC 3161 timestamp authority for tests: `openssl ts` behind a loopback HTTP server
(as tests/integration/test_tsa_timestamps.py runs one), plus an empty CRL of its root so
signatures can embed validation data (PAdES B-LT)."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


@dataclass(frozen=True)
class LocalTsa:
    url: str
    root_pem: bytes
    root_crl: bytes  # DER


def _setup(d: Path) -> None:
    (d / "tsa.ext").write_text(
        "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=critical,timeStamping\n"
        "keyUsage=critical,digitalSignature,nonRepudiation\n"
    )
    _run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "30",
         "-subj", "/CN=CaseFlow Test TSA Root (fictional)", "-addext",
         "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         cwd=d)  # fmt: skip
    _run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=CaseFlow Test TSA (fictional)",
         cwd=d)  # fmt: skip
    _run("openssl", "x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "tsa.crt", "-days", "30", "-extfile", "tsa.ext",
         cwd=d)  # fmt: skip
    (d / "serial").write_text("01\n")
    (d / "tsa.cnf").write_text(
        f"""[tsa]
default_tsa = tsa_config
[tsa_config]
dir = {d}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""
    )


def _crl(d: Path) -> bytes:
    key = serialization.load_pem_private_key((d / "ca.key").read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate((d / "ca.crt").read_bytes())
    now = dt.datetime.now(dt.UTC)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(cert.subject)
        .last_update(now - dt.timedelta(minutes=5))
        .next_update(now + dt.timedelta(days=30))
        .add_extension(x509.CRLNumber(1), critical=False)
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return crl.public_bytes(serialization.Encoding.DER)


@contextlib.contextmanager
def local_tsa(d: Path) -> Iterator[LocalTsa]:
    """Serve a TSA from folder `d` (created on first use) until the block ends."""
    if not (d / "tsa.crt").exists():
        d.mkdir(parents=True, exist_ok=True)
        _setup(d)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415)
                return
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                (d / "req.tsq").write_bytes(query)
                _run("openssl", "ts", "-reply", "-config", "tsa.cnf", "-queryfile", "req.tsq",
                     "-out", "resp.tsr", cwd=d)  # fmt: skip
                body = (d / "resp.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalTsa(
            f"http://127.0.0.1:{server.server_address[1]}/tsa",
            (d / "ca.crt").read_bytes(),
            _crl(d),
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
